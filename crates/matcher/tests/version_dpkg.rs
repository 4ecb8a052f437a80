//! dpkg version comparison, checked against the real `dpkg --compare-versions`.
//!
//! Every pair is compared by us first; dpkg is then asked to confirm our exact answer
//! (`lt`, `eq` or `gt`, exit status 0), or, when we call a version invalid, to reject it with
//! the same message (exit status 2). dpkg's warnings (it accepts such versions) must match
//! [`DebVersion::syntax_warning`]. The reference binary is required: without it these tests
//! fail rather than pass untested.
//!
//! Pairs: (a) proptest-generated versions over an alphabet rich in `~ + . - :`, digits (with
//! leading zeros and very long runs) and letters, epochs included, plus odd characters that
//! reach dpkg's errors and warnings; (b) every real version in the Debian dpkg status files
//! and the DSA/DLA fixed versions of `../shared`, paired deterministically.

use drydock_matcher::version::{DebVersion, Scheme, dpkg};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::time::Instant;

const DPKG: &str = "/usr/bin/dpkg";
/// Concurrent dpkg processes (they mostly wait on fork/exec; 2 cores).
const WORKERS: usize = 4;

fn require_dpkg() {
    assert!(
        Path::new(DPKG).is_file(),
        "the reference binary {DPKG} is missing: install Debian's `dpkg` package (CI does). \
         These tests compare against it and must not pass without it."
    );
}

fn op(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "lt",
        Ordering::Equal => "eq",
        Ordering::Greater => "gt",
    }
}

/// Checks one pair against dpkg; `Some(description)` on any disagreement.
fn check_pair(a: &str, b: &str) -> Option<String> {
    let ours = dpkg::compare(a, b);
    let relation = match &ours {
        Ok(o) => op(*o),
        Err(_) => "lt",
    };
    let out = match Command::new(DPKG)
        .args(["--compare-versions", "--", a, relation, b])
        .env("LC_ALL", "C")
        .output()
    {
        Ok(out) => out,
        Err(e) => return Some(format!("cannot run {DPKG}: {e}")),
    };
    let code = out.status.code();
    let stderr = String::from_utf8_lossy(&out.stderr);
    match ours {
        Ok(_) => {
            if code != Some(0) {
                return Some(format!(
                    "we say {a:?} {relation} {b:?}; dpkg disagrees (exit {code:?}) {stderr}"
                ));
            }
            for v in [a, b] {
                let warning = DebVersion::parse(v).ok()?.syntax_warning();
                let needle = format!("version '{v}' has bad syntax: ");
                let ok = match warning {
                    Some(msg) => stderr.contains(&format!("{needle}{msg}")),
                    None => !stderr.contains(&needle),
                };
                if !ok {
                    return Some(format!(
                        "warning for {v:?}: we say {warning:?}; dpkg printed {stderr:?}"
                    ));
                }
            }
            None
        }
        Err(e) => {
            let expected = if e.is_truncated() {
                format!("has bad syntax: {}", e.reason())
            } else {
                format!("version '{}' has bad syntax: {}", e.input(), e.reason())
            };
            if code == Some(2) && stderr.contains(&expected) {
                None
            } else {
                Some(format!(
                    "we reject ({e}); dpkg exit {code:?}, stderr {stderr:?}, pair {a:?} {b:?}"
                ))
            }
        }
    }
}

/// Checks every pair against dpkg with a few worker threads; returns the disagreements.
fn check_all(label: &str, pairs: &[(String, String)]) -> Vec<String> {
    require_dpkg();
    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let bad = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, AtomicOrdering::Relaxed);
                    let Some((a, b)) = pairs.get(i) else { break };
                    if let Some(d) = check_pair(a, b) {
                        bad.lock().unwrap().push(d);
                    }
                }
            });
        }
    });
    eprintln!(
        "{label}: {} pairs checked against {DPKG} in {:.1?}",
        pairs.len(),
        start.elapsed()
    );
    bad.into_inner().unwrap()
}

fn assert_no_disagreement(label: &str, pairs: &[(String, String)]) {
    let bad = check_all(label, pairs);
    assert!(
        bad.is_empty(),
        "{label}: {} of {} pairs disagree with dpkg, e.g.:\n{}",
        bad.len(),
        pairs.len(),
        bad.iter().take(25).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// `dpkg --compare-versions` reads the arguments `""` and `<unknown>` as a blank version (a
/// command-line convention, see the module docs of `version::dpkg`): keep them out.
fn dpkg_can_take(v: &str) -> bool {
    !v.is_empty() && v != "<unknown>" && !v.contains('\0')
}

// ---------------------------------------------------------------------------------------
// (a) generated versions

/// One run of version characters: digits (leading zeros, long runs), letters, separators.
fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "0{0,3}[0-9]{1,3}",
        1 => "[1-9][0-9]{18,40}",
        3 => "[a-zA-Z]{1,3}",
        4 => "[.+~:-]",
        1 => "~~?[a-z]?",
        1 => "[.+~:-]{2,3}",
    ]
}

fn atoms(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(atom(), 0..=max).prop_map(|v| v.concat())
}

/// Versions shaped like real ones (epoch, upstream starting with a digit, revision), with
/// every special character in every position.
fn shaped_version() -> impl Strategy<Value = String> {
    let epoch = prop_oneof![
        4 => Just(String::new()),
        2 => "[0-9]{1,2}:",
        1 => "0{1,3}[0-9]:",
        1 => prop_oneof![Just("2147483647:"), Just("2147483648:"), Just("-0:"), Just("+1:")]
            .prop_map(String::from),
    ];
    let upstream = ("[0-9]", atoms(5)).prop_map(|(d, rest)| d + &rest);
    let revision = prop_oneof![
        2 => Just(String::new()),
        3 => atoms(3).prop_map(|r| format!("-{r}")),
    ];
    (epoch, upstream, revision).prop_map(|(e, u, r)| e + &u + &r)
}

/// Short strings over a wider alphabet: reach every error and warning of `parseversion`.
fn odd_version() -> impl Strategy<Value = String> {
    "[0-9a-zA-Z.+~: _\t\né-]{1,12}"
}

fn any_version() -> impl Strategy<Value = String> {
    prop_oneof![4 => shaped_version(), 1 => odd_version()]
}

/// Pairs that are often close to each other: a shared prefix with different endings.
fn version_pair() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        1 => (any_version(), any_version()),
        2 => (shaped_version(), atoms(2), atoms(2)).prop_map(|(p, x, y)| (p.clone() + &x, p + &y)),
        1 => shaped_version().prop_map(|v| {
            // the same version with zeros put in front of its first digit run
            let mut w = v.clone();
            if let Some(i) = w.find(|c: char| c.is_ascii_digit()) {
                w.insert_str(i, "00");
            }
            (v, w)
        }),
    ]
}

fn generated_pairs(n: usize) -> Vec<(String, String)> {
    let mut runner = TestRunner::deterministic();
    let strategy = version_pair();
    let mut pairs = Vec::with_capacity(n);
    while pairs.len() < n {
        let (a, b) = strategy.new_tree(&mut runner).unwrap().current();
        if dpkg_can_take(&a) && dpkg_can_take(&b) {
            pairs.push((a, b));
        }
    }
    pairs
}

#[test]
fn generated_pairs_agree_with_dpkg() {
    let mut pairs = generated_pairs(2500);
    // Hand-picked edges: huge digit runs (no overflow), tildes, epochs, blanks.
    let huge = "9".repeat(5000);
    let huger = format!("1{}", "0".repeat(5000));
    let edges: Vec<(String, String)> = [
        (format!("1.{huge}"), format!("1.{huger}")),
        (format!("1.{huge}"), format!("1.000{huge}")),
        (format!("{huge}:1"), "1".to_string()),
        ("1.0~rc1".into(), "1.0".into()),
        ("1.0~~".into(), "1.0~".into()),
        ("1.0~".into(), "1.0~a".into()),
        ("1.0".into(), "1.0+b1".into()),
        ("1.0a".into(), "1.0+".into()),
        ("1.0A".into(), "1.0a".into()),
        ("1.0".into(), "1.00".into()),
        ("1.0".into(), "1.0-0".into()),
        ("0:1.0".into(), "1.0".into()),
        ("1:0".into(), "0:99999".into()),
        ("2147483647:1".into(), "2147483646:9".into()),
        ("-0:1".into(), "1".into()),
        ("\n5:1".into(), "5:1".into()),
        (" 1.0\t".into(), "1.0".into()),
        ("1:2:3".into(), "1:2:3-4".into()),
        ("1.0-1-1".into(), "1.0-1-0".into()),
        ("1.é".into(), "1.+".into()),
        ("1.é".into(), "1.z".into()),
        ("abc".into(), "1".into()),
        ("1:".into(), "1".into()),
        ("1: ".into(), "1".into()),
        ("-1:1".into(), "1".into()),
        ("1 0".into(), "1".into()),
        ("   ".into(), "1".into()),
    ]
    .into_iter()
    .collect();
    pairs.extend(edges);
    assert_no_disagreement("generated", &pairs);
}

// ---------------------------------------------------------------------------------------
// (b) real versions

/// (package, version) from the real dpkg status files: `Version:` and `Source: name (ver)`.
fn status_versions() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let dir = drydock_testkit::shared_dir().join("rootfs");
    for release in ["debian-bookworm-minbase", "debian-trixie-minbase"] {
        let path = dir.join(release).join("dpkg-status");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for para in text.split("\n\n") {
            let field = |name: &str| {
                para.lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim().to_string())
            };
            let (Some(pkg), Some(version)) = (field("Package:"), field("Version:")) else {
                continue;
            };
            let source = field("Source:").unwrap_or_else(|| pkg.clone());
            let (src_name, src_version) = match source.split_once(" (") {
                Some((n, v)) => (n.to_string(), v.trim_end_matches(')').to_string()),
                None => (source, version.clone()),
            };
            out.push((src_name.clone(), version));
            out.push((src_name, src_version));
        }
    }
    out
}

/// (source package, fixed version) from `[release] - pkg version` lines of DSA.list and
/// DLA.list; `<not-affected>` and the like are not versions.
fn advisory_versions() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let dir = drydock_testkit::shared_dir().join("feeds/debian");
    for list in ["DSA.list", "DLA.list"] {
        let path = dir.join(list);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for line in text.lines() {
            let Some(rest) = line.trim_start().strip_prefix('[') else {
                continue;
            };
            let Some((_, rest)) = rest.split_once("] - ") else {
                continue;
            };
            let mut fields = rest.split_whitespace();
            match (fields.next(), fields.next()) {
                (Some(pkg), Some(version)) if !version.starts_with('<') => {
                    out.push((pkg.to_string(), version.to_string()));
                }
                _ => {}
            }
        }
    }
    out
}

/// A small deterministic generator for sampling (xorshift).
struct Sampler(u64);
impl Sampler {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Every real version parses: dpkg accepts all of them (some with a warning).
#[test]
fn real_versions_parse() {
    let all: BTreeSet<String> = status_versions()
        .into_iter()
        .chain(advisory_versions())
        .map(|(_, v)| v)
        .collect();
    assert!(all.len() > 10_000, "only {} real versions found", all.len());
    let mut warned = Vec::new();
    for v in &all {
        let parsed = DebVersion::parse(v).unwrap_or_else(|e| panic!("real version: {e}"));
        assert_eq!(Scheme::Dpkg.compare(v, v).unwrap(), Ordering::Equal);
        let again = DebVersion::parse(&parsed.to_string()).unwrap();
        assert_eq!(
            (again.epoch(), again.upstream(), again.revision()),
            (parsed.epoch(), parsed.upstream(), parsed.revision())
        );
        if let Some(w) = parsed.syntax_warning() {
            warned.push(format!("{v}: {w}"));
        }
    }
    // The one real oddity: a list line giving the package name again as the version.
    assert_eq!(
        warned,
        ["kernel-image-2.4.17-ia64: version number does not start with digit"]
    );
}

#[test]
fn real_pairs_agree_with_dpkg() {
    let status = status_versions();
    let advisories = advisory_versions();
    let mut pairs: Vec<(String, String)> = Vec::new();

    // 1. Each installed binary version against its source version (binNMUs, +debNuN).
    for chunk in status.chunks(2) {
        if let [(_, bin), (_, src)] = chunk {
            pairs.push((bin.clone(), src.clone()));
        }
    }

    // 2. Per source package: its versions sorted by us; every adjacent pair must agree with
    //    dpkg, which proves the whole sort right. Installed versions join their package.
    let mut by_pkg: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (pkg, v) in advisories.iter().chain(&status) {
        by_pkg.entry(pkg).or_default().insert(v);
    }
    let mut chains = 0;
    for versions in by_pkg.values() {
        let mut raw: Vec<&str> = versions.iter().copied().collect();
        raw.sort_by(|a, b| dpkg::compare(a, b).unwrap());
        for w in raw.windows(2) {
            pairs.push((w[0].to_string(), w[1].to_string()));
        }
        chains += 1;
    }

    // 3. All distinct versions in one sorted list: neighbours are near-equal versions of
    //    unrelated packages. Sample 600 neighbour pairs evenly.
    let all: BTreeSet<&str> = advisories
        .iter()
        .chain(&status)
        .map(|(_, v)| v.as_str())
        .collect();
    let mut all: Vec<&str> = all.into_iter().collect();
    all.sort_by(|a, b| dpkg::compare(a, b).unwrap());
    let step = (all.len() / 600).max(1);
    for i in (0..all.len() - 1).step_by(step) {
        pairs.push((all[i].to_string(), all[i + 1].to_string()));
    }

    // 4. Random pairs across everything (both directions of the order get exercised).
    let mut rng = Sampler(0x5DEE_CE66_D1CE_4E5B);
    for _ in 0..400 {
        let (a, b) = (all[rng.below(all.len())], all[rng.below(all.len())]);
        pairs.push((a.to_string(), b.to_string()));
    }

    pairs.sort();
    pairs.dedup();
    assert!(
        pairs.len() >= 3000,
        "only {} real pairs ({chains} package chains)",
        pairs.len()
    );
    assert_no_disagreement(&format!("real ({chains} package chains)"), &pairs);
}

// ---------------------------------------------------------------------------------------
// Properties and hostile inputs (no dpkg needed).

proptest! {
    #![proptest_config(Config { cases: 2000, ..Config::default() })]

    /// A total order: reflexive, antisymmetric, transitive; Display round-trips.
    #[test]
    fn total_order(a in any_version(), b in any_version(), c in any_version()) {
        let (Ok(x), Ok(y), Ok(z)) = (a.parse::<DebVersion>(), b.parse::<DebVersion>(), c.parse::<DebVersion>()) else {
            return Ok(());
        };
        prop_assert_eq!(x.cmp(&x), Ordering::Equal);
        prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
        prop_assert_eq!(dpkg::compare(&a, &b).unwrap(), x.cmp(&y));
        let mut v = [&x, &y, &z];
        v.sort();
        prop_assert!(v[0] <= v[2], "{} {} {}", v[0], v[1], v[2]);
        let again: DebVersion = x.to_string().parse().unwrap();
        prop_assert_eq!((again.epoch(), again.upstream(), again.revision()), (x.epoch(), x.upstream(), x.revision()));
    }

    /// Anything at all: an answer or an error, never a panic; equal strings are equal.
    #[test]
    fn hostile_strings(a in any::<String>(), b in "\\PC{0,40}") {
        for (x, y) in [(&a, &b), (&b, &a), (&a, &a)] {
            if let Ok(o) = dpkg::compare(x, y) {
                prop_assert_eq!(dpkg::compare(y, x).unwrap(), o.reverse());
            }
        }
        if dpkg::compare(&a, &a).is_ok() {
            prop_assert_eq!(dpkg::compare(&a, &a).unwrap(), Ordering::Equal);
        }
    }
}

#[test]
fn huge_inputs_are_fast_and_exact() {
    let start = Instant::now();
    let n = 1_000_000;
    let nines = format!("1.{}", "9".repeat(n));
    let ten = format!("1.1{}", "0".repeat(n));
    assert_eq!(dpkg::compare(&nines, &ten).unwrap(), Ordering::Less);
    let padded = format!("1.{}{}", "0".repeat(n), "9".repeat(n));
    assert_eq!(dpkg::compare(&nines, &padded).unwrap(), Ordering::Equal);
    let tildes = "~".repeat(n);
    assert_eq!(
        dpkg::compare(&format!("1{tildes}"), "1").unwrap(),
        Ordering::Less
    );
    let epoch = format!("{}:1", "9".repeat(n));
    assert_eq!(
        dpkg::compare(&epoch, "1").unwrap_err().reason(),
        "epoch in version is too big"
    );
    let mixed = "1a.".repeat(n / 3);
    assert_eq!(dpkg::compare(&mixed, &mixed).unwrap(), Ordering::Equal);
    assert!(start.elapsed().as_secs() < 10, "took {:?}", start.elapsed());
}
