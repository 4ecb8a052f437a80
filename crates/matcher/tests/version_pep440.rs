//! PEP 440 checked against Python's `packaging` (the reference pip and OSV use).
//!
//! Every batch goes to one `python3` process that parses each string with
//! `packaging.version.Version` (normal form or "invalid") and compares the requested pairs;
//! we must agree on validity, on the normal form (`str(Version(v))`) and on every order.
//! The interpreter is `$DRYDOCK_PYTHON`, else `python3`; `packaging` must be importable
//! (`python3 -m pip install packaging`). Without it these tests fail.
//!
//! Inputs: (a) a deterministic generator of structured versions covering every segment
//! kind and spelling (epochs, release lengths, leading zeros, all pre/post/dev spellings and
//! separators, implicit numbers, local labels, case, `v`, whitespace), rendered twice to
//! get equal pairs, tweaked to get neighbours, and mutated to get invalid and odd strings;
//! (b) proptest-generated strings; (c) the real versions of the OSV PyPI feed; (d) every
//! Unicode code point as surrounding whitespace.

mod version_support;

use drydock_matcher::version::pep440;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use version_support::{Rng, mutate, random_pairs, run_reference, sign};

const INSTALL: &str = "python3 -m pip install packaging";

const SCRIPT: &str = r#"
import sys, json
import packaging
from packaging.version import Version, InvalidVersion
d = json.load(sys.stdin)
vs, norm = [], []
for s in d["versions"]:
    try:
        v = Version(s)
        vs.append(v)
        norm.append(str(v))
    except InvalidVersion:
        vs.append(None)
        norm.append(None)
cmp = []
for i, j in d["pairs"]:
    a, b = vs[i], vs[j]
    cmp.append(None if a is None or b is None else (a > b) - (a < b))
json.dump({"packaging": packaging.__version__, "norm": norm, "cmp": cmp}, sys.stdout)
"#;

fn python() -> String {
    std::env::var("DRYDOCK_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Checks validity and normal form of every version and the order of every pair against
/// `packaging`; returns the number of pairs whose order was compared.
fn check_against_packaging(label: &str, versions: &[String], pairs: &[(usize, usize)]) -> usize {
    let input = json!({ "versions": versions, "pairs": pairs });
    let out = run_reference(
        "Python packaging",
        INSTALL,
        &python(),
        &["-c", SCRIPT],
        &input,
    );
    let norm = out["norm"].as_array().expect("norm");
    let cmp = out["cmp"].as_array().expect("cmp");
    assert_eq!(norm.len(), versions.len());
    assert_eq!(cmp.len(), pairs.len());
    let mut bad = Vec::new();
    for (v, theirs) in versions.iter().zip(norm) {
        let ours = pep440::normalize(v).ok();
        if ours.as_deref() != theirs.as_str() {
            bad.push(format!("{v:?}: we {ours:?}, packaging {theirs}"));
        }
    }
    let mut compared = 0;
    for (&(i, j), theirs) in pairs.iter().zip(cmp) {
        let (a, b) = (&versions[i], &versions[j]);
        let ours = pep440::compare(a, b).ok().map(sign);
        if ours != theirs.as_i64() {
            bad.push(format!("{a:?} vs {b:?}: we {ours:?}, packaging {theirs}"));
        }
        if theirs.is_i64() {
            compared += 1;
        }
    }
    eprintln!(
        "{label}: {} versions, {} pairs ({compared} ordered) checked against packaging {}",
        versions.len(),
        pairs.len(),
        out["packaging"]
    );
    assert!(
        bad.is_empty(),
        "{label}: {} disagreements with packaging, e.g.:\n{}",
        bad.len(),
        bad.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
    compared
}

// ---------------------------------------------------------------------------------------
// (a) structured generator

#[derive(Clone, Debug)]
struct V {
    epoch: Option<String>,
    release: Vec<String>,
    /// (kind 0 = a, 1 = b, 2 = rc; number)
    pre: Option<(usize, String)>,
    post: Option<String>,
    dev: Option<String>,
    local: Option<Vec<String>>,
}

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "9",
    "10",
    "11",
    "100",
    "2024",
    "4294967296",
    "18446744073709551616",
    "123456789012345678901234567890",
];
const LOCAL_SEGMENTS: &[&str] = &["abc", "1", "0", "ubuntu", "deb12u1", "x", "2", "b", "10"];

fn number(rng: &mut Rng) -> String {
    if rng.chance(70) {
        rng.pick(&NUMBERS[..7]).to_string()
    } else {
        rng.pick(NUMBERS).to_string()
    }
}

fn gen_v(rng: &mut Rng) -> V {
    V {
        epoch: rng.chance(15).then(|| number(rng)),
        release: (0..1 + rng.below(4)).map(|_| number(rng)).collect(),
        pre: rng.chance(40).then(|| (rng.below(3), number(rng))),
        post: rng.chance(30).then(|| number(rng)),
        dev: rng.chance(30).then(|| number(rng)),
        local: rng.chance(20).then(|| {
            (0..1 + rng.below(3))
                .map(|_| rng.pick(LOCAL_SEGMENTS).to_string())
                .collect()
        }),
    }
}

fn zeros(rng: &mut Rng, n: &str) -> String {
    if rng.chance(10) {
        format!("0{n}")
    } else {
        n.to_owned()
    }
}

fn sep(rng: &mut Rng) -> &'static str {
    rng.pick(&["", "", ".", "-", "_"])
}

fn cased(rng: &mut Rng, word: &str) -> String {
    match rng.below(5) {
        0 => word.to_uppercase(),
        1 => {
            let mut c = word.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        }
        _ => word.to_owned(),
    }
}

/// Renders with a random spelling (the normal form is the same for every rendering).
fn render(rng: &mut Rng, v: &V) -> String {
    let mut s = String::new();
    if rng.chance(8) {
        s.push_str(rng.pick(&[
            " ", "\t", "\n", "  ", "\u{a0}", "\r\n", "\u{2003}", "\u{1f}",
        ]));
    }
    if rng.chance(15) {
        s.push(if rng.chance(80) { 'v' } else { 'V' });
    }
    if let Some(e) = &v.epoch {
        s.push_str(&zeros(rng, e));
        s.push('!');
    }
    let rel: Vec<String> = v.release.iter().map(|n| zeros(rng, n)).collect();
    s.push_str(&rel.join("."));
    if let Some((kind, n)) = &v.pre {
        let words: &[&str] = match kind {
            0 => &["a", "alpha"],
            1 => &["b", "beta"],
            _ => &["rc", "c", "pre", "preview"],
        };
        s.push_str(sep(rng));
        let w = rng.pick(words).to_string();
        s.push_str(&cased(rng, &w));
        let implicit = n == "0" && rng.chance(50);
        s.push_str(sep(rng));
        if !implicit {
            s.push_str(&zeros(rng, n));
        }
    }
    if let Some(n) = &v.post {
        if rng.chance(25) {
            s.push('-');
            s.push_str(&zeros(rng, n));
        } else {
            s.push_str(sep(rng));
            let w = rng.pick(&["post", "rev", "r"]).to_string();
            s.push_str(&cased(rng, &w));
            s.push_str(sep(rng));
            if !(n == "0" && rng.chance(50)) {
                s.push_str(&zeros(rng, n));
            }
        }
    }
    if let Some(n) = &v.dev {
        s.push_str(sep(rng));
        s.push_str(&cased(rng, "dev"));
        s.push_str(sep(rng));
        if !(n == "0" && rng.chance(50)) {
            s.push_str(&zeros(rng, n));
        }
    }
    if let Some(local) = &v.local {
        s.push('+');
        for (k, seg) in local.iter().enumerate() {
            if k > 0 {
                s.push_str(rng.pick(&[".", "-", "_"]));
            }
            if seg.bytes().all(|c| c.is_ascii_digit()) {
                s.push_str(&zeros(rng, seg));
            } else {
                s.push_str(&cased(rng, seg));
            }
        }
    }
    if rng.chance(8) {
        s.push_str(rng.pick(&[" ", "\n", "\t\t", "\u{3000}"]));
    }
    s
}

/// A neighbour: one small change (some changes keep the version equal).
fn tweak(rng: &mut Rng, v: &V) -> V {
    let mut w = v.clone();
    match rng.below(9) {
        0 => w.release.push("0".into()),
        1 => {
            let k = rng.below(w.release.len());
            w.release[k] = number(rng);
        }
        2 => {
            w.pre = if w.pre.is_some() {
                None
            } else {
                Some((rng.below(3), number(rng)))
            }
        }
        3 => {
            w.post = if w.post.is_some() {
                None
            } else {
                Some(number(rng))
            }
        }
        4 => {
            w.dev = if w.dev.is_some() {
                None
            } else {
                Some(number(rng))
            }
        }
        5 => {
            w.local = match w.local {
                Some(mut l) if rng.chance(50) => {
                    l.push(rng.pick(LOCAL_SEGMENTS).to_string());
                    Some(l)
                }
                Some(_) => None,
                None => Some(vec![rng.pick(LOCAL_SEGMENTS).to_string()]),
            }
        }
        6 => {
            w.epoch = if w.epoch.is_some() {
                None
            } else {
                Some(number(rng))
            }
        }
        7 => {
            if let Some((k, _)) = w.pre {
                w.pre = Some(((k + 1) % 3, number(rng)));
            }
        }
        _ => {
            if w.release.len() > 1 && w.release.last().map(String::as_str) == Some("0") {
                w.release.pop();
            }
        }
    }
    w
}

const ALPHABET: &[char] = &[
    '0', '1', '9', '.', '-', '_', '+', '!', 'v', 'a', 'b', 'c', 'r', 'e', 'p', 'o', 's', 't', 'd',
    'l', 'h', 'w', 'i', 'x', 'A', 'R', 'C', ' ', '\t', '\u{e9}',
];

#[test]
fn generated_versions_match_packaging() {
    let mut rng = Rng::new(440);
    let mut versions: Vec<String> = Vec::new();
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut structs = Vec::new();
    for _ in 0..3000 {
        let v = gen_v(&mut rng);
        // Two spellings of the same version: must compare equal.
        let (a, b) = (render(&mut rng, &v), render(&mut rng, &v));
        let n = versions.len();
        versions.push(a);
        versions.push(b);
        pairs.push((n, n + 1));
        // A neighbour.
        let w = tweak(&mut rng, &v);
        versions.push(render(&mut rng, &w));
        pairs.push((n, n + 2));
        pairs.push((n + 2, n + 1));
        structs.push(v);
    }
    // Odd and invalid strings: edits of valid ones.
    let valid = versions.len();
    for _ in 0..3000 {
        let base = versions[rng.below(valid)].clone();
        versions.push(mutate(&mut rng, &base, ALPHABET));
    }
    // Hand-written edge cases (normal forms and orders decided by packaging).
    for v in [
        "1.0.dev0",
        "1.0a0",
        "1.0.post0.dev0",
        "1.0.post0",
        "1.0-1",
        "1.0-r",
        "1.0.dev-",
        "1.0a-",
        "1.0.post-",
        "1.0a.1",
        "1.0a-1",
        "1.0-a-1",
        "1.0.a.post.dev",
        "1.0+0",
        "1.0+a",
        "1.0+1",
        "1.0+a.1",
        "1.0+A.01",
        "v1!2",
        "1!",
        "1.0-",
        "1.0-dev",
        "1.0prev1",
        "1.0re",
        "1.0rev",
        "1.0al",
        "0",
        "00",
        "0.0.0",
        " 1 ",
        "1.0.0.0.0.0.0.0.0.1",
    ] {
        versions.push(v.to_owned());
    }
    let n = versions.len();
    pairs.extend(random_pairs(&mut rng, n, 20_000));
    // Pairs among the hand-written ones.
    for i in n - 31..n {
        for j in n - 31..n {
            pairs.push((i, j));
        }
    }
    let compared = check_against_packaging("generated", &versions, &pairs);
    assert!(compared >= 20_000, "only {compared} ordered pairs");
}

// ---------------------------------------------------------------------------------------
// (b) proptest strings

#[test]
fn proptest_strings_match_packaging() {
    // Deterministic: the same strings on every run (the property tests of version_lang.rs
    // use fresh random cases).
    let mut runner = TestRunner::deterministic();
    let loose = "[ v]?[0-9]{1,3}(!?[0-9]{0,2})([._-]?(a|b|rc|c|pre|preview|alpha|beta|post|rev|r|dev|A|RC|DEV)[._-]?[0-9]{0,2}){0,3}(\\+[a-z0-9]{1,3}([._-][a-zA-Z0-9]{1,3}){0,2})?[ ]?";
    let structured = proptest::string::string_regex(loose).expect("regex");
    let noise =
        proptest::string::string_regex("[0-9.!+_ vabcdeilnoprstvxAVR-]{0,12}").expect("regex");
    let mut versions = Vec::new();
    for k in 0..4000 {
        let strategy = if k % 4 == 3 { &noise } else { &structured };
        let tree = strategy.new_tree(&mut runner).expect("value");
        versions.push(tree.current());
    }
    let mut rng = Rng::new(7);
    let mut pairs: Vec<(usize, usize)> = (1..versions.len()).map(|i| (i - 1, i)).collect();
    pairs.extend(random_pairs(&mut rng, versions.len(), 10_000));
    check_against_packaging("proptest", &versions, &pairs);
}

// ---------------------------------------------------------------------------------------
// (c) the real versions of the OSV PyPI feed

#[test]
fn osv_pypi_versions_match_packaging() {
    let zip = version_support::shared_dir().join("feeds/osv/PyPI/all.zip");
    let groups = version_support::osv_versions(&zip, "PyPI");
    let mut versions = Vec::new();
    let mut pairs = Vec::new();
    let mut rng = Rng::new(3);
    for group in groups {
        let start = versions.len();
        versions.extend(group);
        let end = versions.len();
        // Consecutive pairs within a package's entry, plus a few random ones.
        for i in start + 1..end {
            pairs.push((i - 1, i));
            pairs.push((start + rng.below(end - start), i));
        }
    }
    let compared = check_against_packaging("OSV PyPI", &versions, &pairs);
    assert!(compared > 100_000, "only {compared} ordered pairs");
}

// ---------------------------------------------------------------------------------------
// (d) surrounding whitespace: every code point

#[test]
fn surrounding_whitespace_matches_python() {
    const SPACES: &str = r#"
import sys, json
from packaging.version import Version, InvalidVersion
ok = []
for c in range(0x110000):
    if 0xD800 <= c <= 0xDFFF:
        continue
    ch = chr(c)
    try:
        Version(ch + "1" + ch)
        ok.append(c)
    except InvalidVersion:
        pass
json.dump(ok, sys.stdout)
"#;
    let out = run_reference(
        "Python packaging",
        INSTALL,
        &python(),
        &["-c", SPACES],
        &Value::Null,
    );
    let theirs: BTreeSet<u32> = out
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c.as_u64().expect("code point") as u32)
        .collect();
    let ours: BTreeSet<u32> = (0..0x11_0000u32)
        .filter_map(char::from_u32)
        .filter(|&c| pep440::compare(&format!("{c}1{c}"), "1").is_ok())
        .map(u32::from)
        .collect();
    assert_eq!(ours, theirs);
    // Digits (the version itself) and whitespace: 10 + the 29 Python spaces.
    assert_eq!(theirs.len(), 39);
}
