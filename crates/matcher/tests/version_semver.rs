//! SemVer checked against node-semver (npm's own implementation).
//!
//! Every batch goes to one `node` process that parses each string with `new
//! semver.SemVer(v)` (strict mode: its normalised `version`, or "invalid") and compares the
//! requested pairs with `semver.compare`; we must agree on validity, on the version without
//! build metadata, and on every order. node-semver is looked up in `$DRYDOCK_NODE_MODULES`,
//! else `$HOME/.cache/drydock-test/node/node_modules` (install it with
//! `npm install --prefix ~/.cache/drydock-test/node semver`); `node` must be on `PATH`.
//! Without them these tests fail.
//!
//! By design we accept a leading `=` (node-semver only in loose mode) and numbers beyond
//! 2^53 and strings longer than 256 characters (node-semver's limits): the generators below
//! stay inside node-semver's domain, and these differences are tested separately.

mod version_support;

use drydock_matcher::version::{SemVersion, semver};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::PathBuf;
use version_support::{Rng, mutate, random_pairs, run_reference, sign};

const INSTALL: &str = "npm install --prefix ~/.cache/drydock-test/node semver";

const SCRIPT: &str = r#"
const path = require('path');
const dir = process.argv[1];
const semver = require(path.join(dir, 'semver'));
const pkg = require(path.join(dir, 'semver', 'package.json'));
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => {
  const d = JSON.parse(input);
  if (d.spaces) {
    const ok = [];
    for (let c = 0; c < 0x110000; c++) {
      if (c >= 0xD800 && c <= 0xDFFF) continue;
      const ch = String.fromCodePoint(c);
      try { new semver.SemVer(ch + '1.2.3' + ch); ok.push(c); } catch (e) {}
    }
    process.stdout.write(JSON.stringify(ok));
    return;
  }
  const parsed = d.versions.map((v) => { try { return new semver.SemVer(v); } catch (e) { return null; } });
  const norm = parsed.map((p) => (p ? p.version : null));
  const cmp = d.pairs.map(([i, j]) => (parsed[i] && parsed[j]) ? semver.compare(d.versions[i], d.versions[j]) : null);
  process.stdout.write(JSON.stringify({ semver: pkg.version, norm, cmp }));
});
"#;

fn node_modules() -> PathBuf {
    if let Some(p) = std::env::var_os("DRYDOCK_NODE_MODULES") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME").unwrap_or_default();
    PathBuf::from(home).join(".cache/drydock-test/node/node_modules")
}

fn node(input: &Value) -> Value {
    let dir = node_modules();
    assert!(
        dir.join("semver/package.json").is_file(),
        "node-semver not found in {} (set DRYDOCK_NODE_MODULES or run `{INSTALL}`); \
         this test compares against it and must not pass without it.",
        dir.display()
    );
    let dir = dir.to_string_lossy().into_owned();
    run_reference("node-semver", INSTALL, "node", &["-e", SCRIPT, &dir], input)
}

/// Our version without build metadata (node-semver's `version`).
fn ours_normalised(v: &str) -> Option<String> {
    let c = v.parse::<SemVersion>().ok()?.canonical();
    Some(c.split_once('+').map_or(c.clone(), |(a, _)| a.to_owned()))
}

/// Whether `v` is inside node-semver's domain: at most 256 UTF-16 units, no leading `=`,
/// core numbers up to 2^53-1 and numeric pre-release identifiers below it (see the module
/// documentation; outside it we differ by design).
fn in_node_domain(v: &str) -> bool {
    const MAX_SAFE: &str = "9007199254740991";
    let big = |n: &str| n.len() > MAX_SAFE.len() || (n.len() == MAX_SAFE.len() && n > MAX_SAFE);
    if v.encode_utf16().count() > 256
        || v.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
            .starts_with('=')
    {
        return false;
    }
    let Ok(sv) = v.parse::<SemVersion>() else {
        return true;
    };
    let c = sv.canonical();
    let core = c.split(['-', '+']).next().unwrap_or("");
    if core.split('.').any(big) {
        return false;
    }
    !sv.prerelease()
        .split('.')
        .any(|id| id.bytes().all(|b| b.is_ascii_digit()) && (big(id) || id == MAX_SAFE))
}

fn check_against_node(label: &str, versions: &[String], pairs: &[(usize, usize)]) -> usize {
    assert!(
        versions.iter().all(|v| in_node_domain(v)),
        "{label}: a test input is outside node-semver's domain"
    );
    let out = node(&json!({ "versions": versions, "pairs": pairs }));
    let norm = out["norm"].as_array().expect("norm");
    let cmp = out["cmp"].as_array().expect("cmp");
    assert_eq!((norm.len(), cmp.len()), (versions.len(), pairs.len()));
    let mut bad = Vec::new();
    for (v, theirs) in versions.iter().zip(norm) {
        let ours = ours_normalised(v);
        if ours.as_deref() != theirs.as_str() {
            bad.push(format!("{v:?}: we {ours:?}, node-semver {theirs}"));
        }
    }
    let mut compared = 0;
    for (&(i, j), theirs) in pairs.iter().zip(cmp) {
        let (a, b) = (&versions[i], &versions[j]);
        let ours = semver::compare(a, b).ok().map(sign);
        if ours != theirs.as_i64() {
            bad.push(format!("{a:?} vs {b:?}: we {ours:?}, node-semver {theirs}"));
        }
        compared += usize::from(theirs.is_i64());
    }
    eprintln!(
        "{label}: {} versions, {} pairs ({compared} ordered) checked against node-semver {}",
        versions.len(),
        pairs.len(),
        out["semver"]
    );
    assert!(
        bad.is_empty(),
        "{label}: {} disagreements with node-semver, e.g.:\n{}",
        bad.len(),
        bad.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
    compared
}

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "9",
    "10",
    "11",
    "99",
    "100",
    "4294967296",
    "9007199254740990",
];
const IDENTS: &[&str] = &[
    "alpha", "beta", "rc", "a", "b", "A", "Z", "x-y", "-", "--", "0a", "a0", "1a", "pre", "dev",
    "next", "beta-1", "zz", "0-0", "SNAPSHOT",
];

fn number(rng: &mut Rng) -> String {
    if rng.chance(80) {
        rng.pick(&NUMBERS[..6]).to_string()
    } else {
        rng.pick(NUMBERS).to_string()
    }
}

fn ident(rng: &mut Rng) -> String {
    if rng.chance(40) {
        number(rng)
    } else {
        rng.pick(IDENTS).to_string()
    }
}

fn gen_version(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(5) {
        s.push_str(rng.pick(&[" ", "\t", "\u{feff}", "\u{3000}", "\n"]));
    }
    if rng.chance(15) {
        s.push('v');
    }
    s.push_str(&format!("{}.{}.{}", number(rng), number(rng), number(rng)));
    if rng.chance(50) {
        let ids: Vec<String> = (0..1 + rng.below(4)).map(|_| ident(rng)).collect();
        s.push('-');
        s.push_str(&ids.join("."));
    }
    if rng.chance(20) {
        let ids: Vec<String> = (0..1 + rng.below(3))
            .map(|_| rng.pick(&["build", "001", "sha", "5", "x-1"]).to_string())
            .collect();
        s.push('+');
        s.push_str(&ids.join("."));
    }
    s
}

const ALPHABET: &[char] = &[
    '0', '1', '9', '.', '-', '+', 'v', 'V', 'a', 'z', 'A', '_', ' ', '~', '^', '*', 'x', '\u{e9}',
];

#[test]
fn generated_versions_match_node_semver() {
    let mut rng = Rng::new(2);
    let mut versions: Vec<String> = (0..5000)
        .map(|_| gen_version(&mut rng))
        .filter(|v| in_node_domain(v))
        .collect();
    let n = versions.len();
    for _ in 0..2500 {
        let base = versions[rng.below(n)].clone();
        let m = mutate(&mut rng, &base, ALPHABET);
        if in_node_domain(&m) {
            versions.push(m);
        }
    }
    for v in [
        "1.2.3",
        "1.2.3-0",
        "1.2.3-0.0",
        "1.2.3--",
        "1.2.3-a.-",
        "1.2.3-01",
        "1.2.3-0a",
        "1.2.3+01",
        "01.2.3",
        "1.2",
        "1",
        "latest",
        "",
        " ",
        "v1.2.3",
        "vv1.2.3",
        "1.2.3.4",
        "1.2.3-",
        "1.2.3+",
        "1.2.3-a+b+c",
        "1.2.3-\u{e9}",
        "\u{85}1.2.3",
        "1.2.3\u{feff}",
    ] {
        versions.push(v.to_owned());
    }
    let n = versions.len();
    let mut pairs = random_pairs(&mut rng, n, 45_000);
    // Same core, different pre-releases: the interesting part of the order.
    let mut by_core: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for (i, v) in versions.iter().enumerate() {
        if let Ok(sv) = v.parse::<SemVersion>() {
            let c = sv.canonical();
            let core = c.split(['-', '+']).next().unwrap_or("").to_owned();
            by_core.entry(core).or_default().push(i);
        }
    }
    for group in by_core.values() {
        for w in group.windows(2) {
            pairs.push((w[0], w[1]));
        }
    }
    let compared = check_against_node("generated", &versions, &pairs);
    assert!(compared >= 25_000, "only {compared} ordered pairs");
}

#[test]
fn proptest_strings_match_node_semver() {
    // Deterministic: the same strings on every run (the property tests of version_lang.rs
    // use fresh random cases).
    let mut runner = TestRunner::deterministic();
    let structured = proptest::string::string_regex(
        "v?(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})(-[0-9A-Za-z-]{1,4}(\\.[0-9A-Za-z-]{1,4}){0,3})?(\\+[0-9A-Za-z-]{1,3}(\\.[0-9A-Za-z-]{1,3}){0,2})?",
    )
    .expect("regex");
    let noise = proptest::string::string_regex("[0-9.+vxA -]{0,12}").expect("regex");
    let mut versions = Vec::new();
    for k in 0..4000 {
        let s = if k % 4 == 3 { &noise } else { &structured };
        versions.push(s.new_tree(&mut runner).expect("value").current());
    }
    let mut rng = Rng::new(11);
    let mut pairs: Vec<(usize, usize)> = (1..versions.len()).map(|i| (i - 1, i)).collect();
    pairs.extend(random_pairs(&mut rng, versions.len(), 10_000));
    check_against_node("proptest", &versions, &pairs);
}

/// The real versions of the OSV crates.io feed (SemVer) and the npm records of the mixed
/// sample, ordered like node-semver.
#[test]
fn osv_semver_versions_match_node_semver() {
    let shared = version_support::shared_dir();
    let mut groups =
        version_support::osv_versions(&shared.join("feeds/osv/crates.io/all.zip"), "crates.io");
    groups.extend(version_support::osv_versions(
        &shared.join("feeds/osv/_samples/mixed-ecosystems.zip"),
        "npm",
    ));
    let mut versions = Vec::new();
    let mut pairs = Vec::new();
    for group in groups {
        let start = versions.len();
        versions.extend(group);
        for i in start + 1..versions.len() {
            pairs.push((i - 1, i));
            pairs.push((start, i));
        }
    }
    let compared = check_against_node("OSV crates.io + npm", &versions, &pairs);
    assert!(compared > 1_000, "only {compared} ordered pairs");
}

#[test]
fn surrounding_whitespace_matches_node() {
    let out = node(&json!({ "spaces": true }));
    let theirs: BTreeSet<u32> = out
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c.as_u64().expect("code point") as u32)
        .collect();
    let ours: BTreeSet<u32> = (0..0x11_0000u32)
        .filter_map(char::from_u32)
        .filter(|&c| c != '=' && semver::compare(&format!("{c}1.2.3{c}"), "1.0.0").is_ok())
        .map(u32::from)
        .collect();
    assert_eq!(ours, theirs);
    // The 25 JavaScript trim characters, and the digits 1-9 ("11.2.33"; "01.2.30" has a
    // leading zero).
    assert_eq!(theirs.len(), 34);
}

/// Where we accept more than node-semver, by design (module documentation).
#[test]
fn documented_extensions() {
    use std::cmp::Ordering::*;
    assert_eq!(semver::compare("=1.2.3", "1.2.3").unwrap(), Equal);
    assert_eq!(semver::compare("=v1.2.3", "v1.2.3").unwrap(), Equal);
    // Beyond 2^53: exact.
    assert_eq!(
        semver::compare("9007199254740993.0.0", "9007199254740992.0.0").unwrap(),
        Greater
    );
    assert_eq!(
        semver::compare("1.0.0-9007199254740993", "1.0.0-9007199254740992").unwrap(),
        Greater
    );
    let long = format!("1.0.0-{}", "a".repeat(300));
    assert_eq!(semver::compare(&long, "1.0.0").unwrap(), Less);
}
