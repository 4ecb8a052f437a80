//! RPM version comparison checked against the real rpm (Debian package `rpm`, 4.18): every
//! pair is also compared by `rpm.vercmp` in rpm's embedded Lua, all pairs of a test in one
//! `rpm --eval` run (the pairs are read from a file by the Lua chunk).
//!
//! Pairs: thousands of generated `[epoch:]version[-release]` strings built to hit rpm's corner
//! cases (`~`, `^`, separators, leading zeros, letters against digits, empty epochs, several
//! dashes), plus real versions — every fixed version in the AlmaLinux OSV feed and every
//! `evr` bound in the Azure Linux / CBL-Mariner OVAL feeds from `../shared` — paired with
//! their neighbours in sorted order (same package, consecutive fixes) and at random.

use std::cmp::Ordering;
use std::io::{Read, Write};
use std::process::Command;

use drydock_matcher::version::{Scheme, rpm};

/// A small deterministic PRNG (xorshift64*), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// One random rpm-like version string.
fn gen_version(r: &mut Rng) -> String {
    let mut s = String::new();
    if r.below(4) == 0 {
        s.push_str(r.pick(&["0", "1", "2", "10", "01", ""]));
        s.push(':');
    }
    let segs = 1 + r.below(4);
    for i in 0..segs {
        if i > 0 {
            s.push_str(r.pick(&[".", ".", ".", "_", "+", "~", "^", "..", "-"]));
        }
        match r.below(6) {
            0 => s.push_str(r.pick(&["a", "b", "rc", "beta", "Z", "pre", "git"])),
            1 => s.push_str(r.pick(&["0", "00", "007", "10", "9", "100"])),
            2 => {
                s.push_str(r.pick(&["1", "2", "3"]));
                s.push_str(r.pick(&["a", "b", ""]));
            }
            _ => s.push_str(&r.below(20).to_string()),
        }
    }
    if r.below(3) > 0 {
        s.push('-');
        s.push_str(r.pick(&[
            "1", "2", "10", "1.el9", "1.el9_2", "3.cm2", "0.rc1", "1~", "1^g", "5.amzn2", "",
        ]));
    }
    if r.below(10) == 0 {
        s.push_str(r.pick(&["~", "^", ".", "~rc1", "^post"]));
    }
    if s.is_empty() {
        s.push('0');
    }
    s
}

/// Run rpm's own comparison on all pairs; returns -1/0/1 per pair.
fn rpm_vercmp(pairs: &[(String, String)]) -> Vec<i32> {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    for (a, b) in pairs {
        assert!(!a.contains(['\t', '\n']) && !b.contains(['\t', '\n']));
        writeln!(f, "{a}\t{b}").unwrap();
    }
    f.flush().unwrap();
    let script = format!(
        "%{{lua: local out = {{}} for line in io.lines(\"{}\") do local a, b = line:match(\"^(.-)\\t(.*)$\") out[#out+1] = tostring(rpm.vercmp(a, b)) end print(table.concat(out, \" \")) }}",
        f.path().display()
    );
    let out = Command::new("rpm")
        .args(["--eval", &script])
        .output()
        .expect("run rpm (apt-get install rpm)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let v: Vec<i32> = text
        .split_whitespace()
        .map(|t| t.parse().unwrap())
        .collect();
    assert_eq!(v.len(), pairs.len(), "rpm answered every pair");
    v
}

fn ours(a: &str, b: &str) -> i32 {
    match Scheme::Rpm.compare(a, b).unwrap() {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }
}

fn check_against_rpm(pairs: &[(String, String)]) {
    let want = rpm_vercmp(pairs);
    let mismatches: Vec<String> = pairs
        .iter()
        .zip(&want)
        .filter(|((a, b), w)| ours(a, b) != **w)
        .map(|((a, b), w)| format!("{a:?} vs {b:?}: rpm {w}, ours {}", ours(a, b)))
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} pairs differ from rpm, e.g. {:?}",
        mismatches.len(),
        pairs.len(),
        &mismatches[..mismatches.len().min(20)]
    );
}

#[test]
fn generated_pairs_agree_with_rpm() {
    let mut r = Rng(0x5eed_1234_abcd_0001);
    let mut pairs = Vec::new();
    for _ in 0..6000 {
        let a = gen_version(&mut r);
        // half of the pairs share a prefix, to reach the later segments
        let b = if r.below(2) == 0 {
            let cut = r.below(a.len() + 1);
            let cut = (0..=cut).rev().find(|&c| a.is_char_boundary(c)).unwrap();
            format!("{}{}", &a[..cut], gen_version(&mut r))
        } else {
            gen_version(&mut r)
        };
        pairs.push((a.clone(), b));
        if r.below(20) == 0 {
            pairs.push((a.clone(), a)); // equality
        }
    }
    assert!(pairs.len() >= 6000);
    check_against_rpm(&pairs);
    // and the comparison is a total order on these strings: antisymmetric
    for (a, b) in &pairs {
        assert_eq!(ours(a, b), -ours(b, a), "{a} {b}");
    }
}

/// Every fixed version of the AlmaLinux OSV feed and every evr bound of the Azure Linux /
/// Mariner OVAL feeds.
fn real_versions() -> Vec<String> {
    let shared = drydock_testkit::shared_dir();
    let mut out = Vec::new();
    let f = std::fs::File::open(shared.join("feeds/osv/AlmaLinux/all.zip")).unwrap();
    let mut zip = zip::ZipArchive::new(f).unwrap();
    for i in 0..zip.len() {
        let mut e = zip.by_index(i).unwrap();
        let mut s = String::new();
        e.read_to_string(&mut s).unwrap();
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        for a in v["affected"].as_array().into_iter().flatten() {
            for r in a["ranges"].as_array().into_iter().flatten() {
                for ev in r["events"].as_array().into_iter().flatten() {
                    if let Some(x) = ev["fixed"].as_str() {
                        out.push(x.to_string());
                    }
                }
            }
        }
    }
    for name in ["azurelinux-3.0-oval.xml", "cbl-mariner-1.0-oval.xml"] {
        let xml = std::fs::read_to_string(shared.join("feeds/azurelinux-oval").join(name)).unwrap();
        for part in xml.split("<linux-def:evr ").skip(1) {
            let v = part.split_once('>').unwrap().1.split_once('<').unwrap().0;
            // the OVAL loader drops whitespace inside a bound (one real value is
            // "0: 1.20.10-1.azl3"); compare what the DB stores
            out.push(v.split_whitespace().collect());
        }
    }
    out
}

#[test]
fn real_feed_versions_agree_with_rpm() {
    let mut versions = real_versions();
    let total = versions.len();
    assert!(total > 20_000, "{total} real versions");
    versions.sort();
    versions.dedup();
    for v in &versions {
        rpm::check(v).unwrap();
    }
    let mut pairs: Vec<(String, String)> = versions
        .windows(2)
        .map(|w| (w[0].clone(), w[1].clone()))
        .collect();
    let mut r = Rng(0x00a1_0abe_1100_0007);
    for _ in 0..5000 {
        let a = versions[r.below(versions.len())].clone();
        let b = versions[r.below(versions.len())].clone();
        pairs.push((a, b));
    }
    assert!(pairs.len() > 10_000, "{} pairs", pairs.len());
    check_against_rpm(&pairs);
}

#[test]
fn known_orderings() {
    // from the feeds: AlmaLinux module builds and an epoch bump
    assert_eq!(
        ours(
            "1:10.24.0-1.module_el8.3.0+2047+b07ac28e",
            "1:10.24.0-1.module_el8.5.0+81+7dbe79d3"
        ),
        -1
    );
    assert_eq!(ours("1:1.0-1.el9", "2.0-1.el9"), 1);
    assert_eq!(ours("0:2.6.7-3.azl3", "2.6.7-3.azl3"), 0);
    assert_eq!(ours("2.6.7-2.azl3", "2.6.7-3.azl3"), -1);
    assert!(Scheme::Rpm.compare("", "1").is_err());
}
