//! The language-ecosystem version schemes: documented behaviour (tables written by hand from
//! each ecosystem's documentation), order properties on random versions (proptest), and
//! hostile inputs (huge numbers, very many segments, deep nesting, non-ASCII, control
//! characters), which must finish quickly without panicking.
//!
//! The reference comparisons are in version_pep440.rs (Python `packaging`),
//! version_semver.rs (node-semver) and version_lang_refs.rs (maven-artifact, RubyGems,
//! composer/semver; optional).

use drydock_matcher::version::{
    GoVersion, MavenVersion, Scheme, composer, gem, golang, maven, nuget, pep440, semver,
};
use proptest::prelude::*;
use std::cmp::Ordering::{self, *};
use std::time::{Duration, Instant};

const LANG: [Scheme; 7] = [
    Scheme::Pep440,
    Scheme::Semver,
    Scheme::Go,
    Scheme::Maven,
    Scheme::Gem,
    Scheme::Composer,
    Scheme::Nuget,
];

/// Every adjacent pair is `<`, every pair `i < j` too, and the reverse is `>`.
fn assert_sorted(scheme: Scheme, sorted: &[&str]) {
    for (i, a) in sorted.iter().enumerate() {
        for b in &sorted[i + 1..] {
            assert_eq!(scheme.compare(a, b).unwrap(), Less, "{scheme}: {a} < {b}");
            assert_eq!(
                scheme.compare(b, a).unwrap(),
                Greater,
                "{scheme}: {b} > {a}"
            );
        }
    }
}

fn assert_equal(scheme: Scheme, equal: &[&str]) {
    for a in equal {
        for b in equal {
            assert_eq!(scheme.compare(a, b).unwrap(), Equal, "{scheme}: {a} == {b}");
        }
    }
}

fn assert_invalid(scheme: Scheme, invalid: &[&str]) {
    for v in invalid {
        let e = scheme.validate(v).unwrap_err();
        assert_eq!(e.scheme(), scheme);
        assert!(scheme.compare(v, v).is_err(), "{scheme}: {v:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Documented behaviour

#[test]
fn namespaces_map_to_schemes() {
    for (ns, scheme, name) in [
        ("pypi", Scheme::Pep440, "pep440"),
        ("npm", Scheme::Semver, "semver"),
        ("crates.io", Scheme::Semver, "semver"),
        ("go", Scheme::Go, "go"),
        ("maven", Scheme::Maven, "maven"),
        ("rubygems", Scheme::Gem, "gem"),
        ("packagist", Scheme::Composer, "composer"),
        ("nuget", Scheme::Nuget, "nuget"),
    ] {
        assert_eq!(Scheme::for_namespace(ns), Some(scheme), "{ns}");
        assert_eq!(scheme.as_str(), name);
        assert_eq!(scheme.to_string(), name);
    }
}

#[test]
fn pep440_documented() {
    let s = Scheme::Pep440;
    // PEP 440's examples, epochs and the special places of dev-releases.
    assert_sorted(
        s,
        &[
            "0.9",
            "1.0.dev0",
            "1.0a0.dev0",
            "1.0a0",
            "1.0a1",
            "1.0b0.dev5",
            "1.0b0",
            "1.0rc0",
            "1.0",
            "1.0+abc",
            "1.0+abc.1",
            "1.0+0",
            "1.0+1",
            "1.0.post0.dev0",
            "1.0.post0",
            "1.0.post1",
            "1.0.1",
            "1!0.0",
        ],
    );
    assert_equal(s, &["1.0", "1.0.0", "1", "v1.0", " 1.0.0.0 ", "0!1", "V1"]);
    assert_equal(
        s,
        &["1.0a1", "1.0.alpha1", "1.0-a.1", "1.0_ALPHA_1", "1.0a01"],
    );
    assert_equal(
        s,
        &["1.0rc1", "1.0c1", "1.0pre1", "1.0preview1", "1.0-rc.1"],
    );
    assert_equal(
        s,
        &[
            "1.0.post1",
            "1.0-1",
            "1.0post1",
            "1.0.r1",
            "1.0-rev1",
            "1.0_post_1",
        ],
    );
    assert_equal(s, &["1.0.post0", "1.0-r", "1.0.post", "1.0-post-0"]);
    assert_equal(s, &["1.0+ubuntu.1", "1.0+ubuntu-1", "1.0+Ubuntu_01"]);
    assert_invalid(
        s,
        &[
            "",
            "1.0-final",
            "0.3m1",
            "latest",
            "1.0+",
            "1..0",
            "1.0.",
            "a1",
        ],
    );
    assert_eq!(pep440::normalize("1.0.0-Alpha.1").unwrap(), "1.0.0a1");
}

#[test]
fn semver_documented() {
    let s = Scheme::Semver;
    // semver.org, section 11.
    assert_sorted(
        s,
        &[
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ],
    );
    assert_equal(
        s,
        &["1.0.0", "v1.0.0", "=1.0.0", " 1.0.0 ", "1.0.0+build.1"],
    );
    assert_sorted(s, &["1.0.0-2", "1.0.0-10", "1.0.0-1a", "1.0.0-a"]);
    assert_invalid(
        s,
        &[
            "1.2", "latest", "1.2.3.4", "01.0.0", "1.0.0-01", "^1.0.0", "*",
        ],
    );
}

#[test]
fn go_documented() {
    let s = Scheme::Go;
    assert_sorted(
        s,
        &[
            "v0.0.0-20191109021931-daa7c04131f5",
            "v0.1.0",
            "v1.0.0-rc.1",
            "v1.0.0",
            "v1.0.1-0.20200101000000-abcdefabcdef",
            "v1.0.1",
            "v2.0.0-20200101000000-abcdefabcdef",
            "v2.0.0+incompatible",
        ],
    );
    assert_sorted(
        s,
        &[
            "go1.20",
            "1.21.0-0",
            "go1.21rc2",
            "1.21.0",
            "go1.21.3",
            "go1.22.0",
        ],
    );
    assert_equal(s, &["v2.0.0+incompatible", "2.0.0", "v2", "v2.0"]);
    assert_equal(s, &["go1.20", "1.20.0", "v1.20"]);
    assert_invalid(
        s,
        &[
            "", "v1.0.0.0", "v01.0.0", "latest", "go1.0", "V1.0.0", "1.0.0-",
        ],
    );
    assert_eq!(
        golang::toolchain_to_semver("go1.22rc1").as_deref(),
        Some("1.22.0-rc.1")
    );
    assert!(golang::is_pseudo_version(
        "v0.0.0-20191109021931-daa7c04131f5"
    ));
    let v: GoVersion = "1.2".parse().unwrap();
    assert_eq!(v.canonical(), "v1.2.0");
}

#[test]
fn maven_documented() {
    let s = Scheme::Maven;
    // The POM reference's "Version Order Specification" examples; where the page disagrees
    // with maven-artifact 3.9 (it claims `1-ga-1 == 1-1`), the jar's answer.
    assert_sorted(s, &["1", "1.1"]);
    assert_sorted(s, &["1-snapshot", "1", "1-sp"]);
    assert_sorted(s, &["1-foo2", "1-foo10"]);
    assert_sorted(s, &["1-foo", "1-1", "1.1"]);
    assert_equal(s, &["1.foo", "1-foo"]);
    assert_equal(
        s,
        &[
            "1.ga",
            "1-ga",
            "1-0",
            "1.0",
            "1",
            "1.0.0",
            "1.0.RELEASE",
            "1.final",
        ],
    );
    assert_sorted(s, &["1-ga", "1-sp"]);
    assert_sorted(s, &["1-ga.1", "1-sp.1"]);
    assert_sorted(s, &["1-sp-1", "1-ga-1", "1-1"]);
    assert_equal(s, &["1-a1", "1-alpha-1", "1.0-alpha1", "1.0-ALPHA-1"]);
    // Qualifier order, aliases, unknown qualifiers after the known ones.
    assert_sorted(
        s,
        &[
            "1-alpha",
            "1-beta",
            "1-milestone",
            "1-rc",
            "1-snapshot",
            "1",
            "1-sp",
            "1-abc",
            "1-xyz",
            "1-1",
            "1.0.1",
        ],
    );
    assert_equal(s, &["1-rc", "1-cr", "1-RC"]);
    assert_equal(s, &["2.0.0.Final", "2.0.0", "2.0.0-GA"]);
    assert_sorted(s, &["1.0.RC2", "1.0-RC3", "1.0.1"]);
    assert_sorted(s, &["1.0.0.X1", "1.0.0-X2"]);
    assert_invalid(s, &[""]);
    let v: MavenVersion = "1-1.foo-bar1baz-.1".parse().unwrap();
    assert_eq!(v.canonical(), "1-1.foo-bar-1-baz-0.1");
}

#[test]
fn gem_documented() {
    let s = Scheme::Gem;
    // Gem::Version's documentation: "1.0.a.2 < 1.0.b1 < 1.0", and the canonical segments.
    assert_sorted(s, &["1.0.a", "1.0.a.2", "1.0.b1", "1.0", "1.0.0.1", "1.1"]);
    assert_sorted(s, &["2.0.0.rc1", "2.0.0.rc2", "2.0.0"]);
    assert_sorted(s, &["1.0.A", "1.0.B", "1.0.a"]);
    assert_equal(s, &["1", "1.0", "1.0.0", " 1.0\n"]);
    assert_equal(s, &["1.0-rc1", "1.0.pre.rc1", "1.0.0.pre.rc.1"]);
    assert_equal(s, &["", "0", "0.0"]);
    assert_invalid(s, &["1a", "1.", ".1", "1.0_1", "v1", "1.0 1"]);
    assert!(gem::compare("1.0.a", "1.0").unwrap() == Less);
}

#[test]
fn composer_documented() {
    let s = Scheme::Composer;
    assert_sorted(
        s,
        &[
            "1.0.0-dev",
            "1.0.0-alpha1",
            "1.0.0-alpha2",
            "1.0.0-beta",
            "1.0.0-RC1",
            "1.0.0",
            "1.0.0-p1",
            "1.0.0.1",
            "1.0.1",
            "1.1.x-dev",
            "2.0",
        ],
    );
    assert_equal(
        s,
        &["1.0", "1.0.0", "v1.0.0.0", "1.0.0+build", "1.0.0@stable"],
    );
    assert_equal(
        s,
        &["1.0.0-beta2", "1.0.0-b2", "1.0.0.beta.2", "1.0.0BETA2"],
    );
    assert_equal(s, &["2.1.3-pl1", "2.1.3-patch1", "2.1.3p1"]);
    assert_invalid(s, &["", "foo", "1.0.0.0.0", "1.0.0-foo", "1.0-2"]);
    assert_eq!(composer::normalize("2010-01-02").unwrap(), "2010.01.02");
    assert!(composer::compare("dev-master", "1.0.0").is_err());
    assert_eq!(composer::compare("dev-master", "master").unwrap(), Equal);
}

#[test]
fn nuget_documented() {
    let s = Scheme::Nuget;
    assert_sorted(
        s,
        &[
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-beta",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.0.1",
            "1.0.1-preview",
            "1.0.1",
            "1.10.0",
        ],
    );
    assert_equal(s, &["1.0", "1.0.0", "1.0.0.0", "01.0", "1"]);
    assert_equal(s, &["1.0.0-Beta", "1.0.0-BETA", "1.0.0-beta+meta.1"]);
    assert_invalid(s, &["", "1.0.0.0.0", "a.b", "1.0-", "1.0-01", "1.0+"]);
}

// ---------------------------------------------------------------------------------------
// Properties

/// Characters (and fragments) each scheme's versions are made of.
fn fragments(scheme: Scheme) -> &'static [&'static str] {
    match scheme {
        Scheme::Pep440 => &[
            "0", "1", "2", "10", "01", ".", "-", "_", "a", "b", "rc", "post", "dev", "+", "x", "!",
            "v", "c", "r",
        ],
        Scheme::Semver | Scheme::Go => &[
            "0", "1", "2", "10", ".", "-", "+", "a", "b", "rc", "0a", "A", "x-y", "v",
        ],
        Scheme::Maven => &[
            "0", "1", "2", "10", "01", ".", "-", "alpha", "a", "b", "m", "rc", "cr", "snapshot",
            "ga", "final", "release", "sp", "abc", "x", "SP", "Final", "_",
        ],
        Scheme::Gem => &[
            "0", "1", "2", "10", "01", ".", "-", "a", "b", "pre", "rc", "A",
        ],
        Scheme::Composer => &[
            "0", "1", "2", "10", ".", "-", "_", "v", "alpha", "a", "beta", "b", "RC", "patch", "p",
            "pl", "dev", "stable", "x", "@", "+",
        ],
        _ => &[
            "0", "1", "2", "10", "01", ".", "-", "+", "a", "beta", "RC", "x-y",
        ],
    }
}

/// Random versions of `scheme`: a number followed by fragments (many invalid, which the
/// properties skip).
fn version_of(scheme: Scheme) -> impl Strategy<Value = String> {
    let frags = fragments(scheme);
    (
        0usize..3,
        proptest::collection::vec(proptest::sample::select(frags), 0..10),
    )
        .prop_map(move |(lead, rest)| {
            let mut s = ["1", "0", "2"][lead].to_owned();
            for f in rest {
                s.push_str(f);
            }
            s
        })
}

fn schemes() -> impl Strategy<Value = Scheme> {
    proptest::sample::select(LANG.to_vec())
}

fn triple() -> impl Strategy<Value = (Scheme, String, String, String)> {
    schemes().prop_flat_map(|s| (Just(s), version_of(s), version_of(s), version_of(s)))
}

fn le(o: Ordering) -> bool {
    o != Greater
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, .. ProptestConfig::default() })]

    /// compare is reflexive, antisymmetric and transitive, and errors exactly on invalid
    /// input.
    #[test]
    fn order_is_total_and_consistent((s, a, b, c) in triple()) {
        let (va, vb, vc) = (s.validate(&a).is_ok(), s.validate(&b).is_ok(), s.validate(&c).is_ok());
        prop_assert_eq!(s.compare(&a, &b).is_ok(), va && vb);
        if !(va && vb && vc) {
            return Ok(());
        }
        // Composer branches (`dev-*`) have no order.
        if s == Scheme::Composer
            && [&a, &b, &c].iter().any(|v| composer::normalize(v).unwrap().starts_with("dev-"))
        {
            return Ok(());
        }
        let ab = s.compare(&a, &b).unwrap();
        let bc = s.compare(&b, &c).unwrap();
        let ac = s.compare(&a, &c).unwrap();
        prop_assert_eq!(s.compare(&a, &a).unwrap(), Equal);
        prop_assert_eq!(s.compare(&b, &a).unwrap(), ab.reverse());
        if le(ab) && le(bc) {
            prop_assert!(le(ac), "{} <= {} <= {} but {:?}", a, b, c, ac);
        }
        if ab == Equal {
            prop_assert_eq!(ac, bc);
        }
    }

    /// Equality is consistent with normalisation.
    #[test]
    fn equal_to_normal_form((s, a, _b, _c) in triple()) {
        match s {
            Scheme::Pep440 => {
                if let Ok(n) = pep440::normalize(&a) {
                    prop_assert_eq!(pep440::compare(&a, &n).unwrap(), Equal);
                    prop_assert_eq!(pep440::normalize(&n).unwrap(), n);
                }
            }
            Scheme::Semver => {
                if semver::compare(&a, &a).is_ok() {
                    prop_assert_eq!(semver::compare(&format!("v{a}"), &a).unwrap(), Equal);
                    prop_assert_eq!(semver::compare(&format!("{a}+b.1"), &a).unwrap(), Equal);
                }
            }
            Scheme::Go => {
                if let Ok(v) = a.parse::<GoVersion>() {
                    prop_assert_eq!(golang::compare(&v.canonical(), &a).unwrap(), Equal);
                }
            }
            Scheme::Maven => {
                if a.ends_with(|c: char| c.is_ascii_digit()) {
                    prop_assert_eq!(maven::compare(&format!("{a}.0"), &a).unwrap(), Equal);
                }
            }
            Scheme::Gem => {
                if gem::compare(&a, &a).is_ok() && a.ends_with(|c: char| c.is_ascii_alphanumeric()) {
                    prop_assert_eq!(gem::compare(&format!("{a}.0"), &a).unwrap(), Equal);
                }
            }
            Scheme::Composer => {
                if let Ok(n) = composer::normalize(&a)
                    && !n.starts_with("dev-")
                {
                    prop_assert_eq!(composer::compare(&format!("v{a}"), &a).unwrap(), Equal);
                }
            }
            _ => {
                if let Ok(v) = a.parse::<drydock_matcher::version::NugetVersion>() {
                    prop_assert_eq!(nuget::compare(&v.normalized(), &a).unwrap(), Equal);
                    prop_assert_eq!(nuget::compare(&a.to_uppercase(), &a).unwrap(), Equal);
                }
            }
        }
    }

    /// Arbitrary strings never panic.
    #[test]
    fn arbitrary_strings_never_panic(s in schemes(), a in ".{0,40}", b in "\\PC{0,20}") {
        let _ = s.compare(&a, &b);
        let _ = s.validate(&a);
    }
}

// ---------------------------------------------------------------------------------------
// Hostile inputs

/// Runs `f`, which must finish within a generous bound (quadratic work on these inputs
/// would take minutes).
fn fast<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(5), "{what} took {took:?}");
    out
}

#[test]
fn huge_numbers() {
    let big = format!("1{}", "0".repeat(1_000_000));
    let nines = "9".repeat(1_000_000);
    for (scheme, fmt) in [
        (Scheme::Pep440, "1.{}"),
        (Scheme::Semver, "1.{}.0"),
        (Scheme::Go, "v1.{}.0"),
        (Scheme::Maven, "1.{}"),
        (Scheme::Gem, "1.{}"),
        (Scheme::Composer, "1.{}"),
    ] {
        let a = fmt.replace("{}", &big);
        let b = fmt.replace("{}", &nines);
        let ord = fast(&format!("{scheme} 10^6 digits"), || scheme.compare(&a, &b));
        assert_eq!(ord.unwrap(), Greater, "{scheme}");
        // Leading zeros (where the scheme allows them).
        if !matches!(scheme, Scheme::Semver | Scheme::Go) {
            let zeros = fmt.replace("{}", &format!("{}7", "0".repeat(1_000_000)));
            assert_eq!(
                scheme.compare(&zeros, &fmt.replace("{}", "7")).unwrap(),
                Equal,
                "{scheme}"
            );
        }
    }
    // Pre-release identifiers and local segments, too.
    assert_eq!(
        semver::compare(&format!("1.0.0-{big}"), &format!("1.0.0-{nines}")).unwrap(),
        Greater
    );
    assert_eq!(
        pep440::compare(&format!("1.0+{big}"), &format!("1.0+{nines}")).unwrap(),
        Greater
    );
    // NuGet numbers are 32-bit: an error, not a panic.
    assert!(nuget::compare(&format!("1.{big}"), "1.0").is_err());
    let e = pep440::compare(&format!("x{big}"), "1").unwrap_err();
    assert!(e.is_truncated());
}

#[test]
fn very_many_segments() {
    let dots = format!("1{}", ".1".repeat(100_000));
    let dashes = format!("1{}", "-1".repeat(100_000));
    let mixed = "1a".repeat(100_000);
    let pre = format!("1.0.0-{}", "a.1.".repeat(50_000)) + "a";
    for scheme in LANG {
        for v in [&dots, &dashes, &mixed, &pre] {
            fast(&format!("{scheme} {} bytes", v.len()), || {
                let _ = scheme.compare(v, v);
                let _ = scheme.compare(v, "1.0");
            });
        }
    }
    // Maven's nesting (a list per `-` or letter/digit change) is compared without
    // recursion.
    assert_eq!(maven::compare(&dashes, &dashes).unwrap(), Equal);
    // `…1a` ends with the unknown qualifier `a`; in `…1a1` it is `alpha` (a digit follows).
    assert_eq!(
        maven::compare(&mixed, &format!("{mixed}1")).unwrap(),
        Greater
    );
    assert_eq!(maven::compare(&mixed, &format!("{mixed}.1")).unwrap(), Less);
    let deep: MavenVersion = dashes.parse().unwrap();
    assert_eq!(fast("maven canonical", || deep.canonical()), dashes);
    assert_eq!(pep440::compare(&dots, &format!("{dots}.0")).unwrap(), Equal);
    assert_eq!(semver::compare(&pre, &format!("{pre}.1")).unwrap(), Less);
}

#[test]
fn non_ascii_and_control_characters() {
    for scheme in LANG {
        for v in [
            "\u{ff11}.\u{ff10}",
            "\u{661}.\u{662}",
            "1.0\u{0}",
            "1.0\u{7f}",
            "\u{1f600}",
            "1.\u{e9}",
            "1.0-\u{130}",
            "\u{202e}1.0",
            "1.0\u{feff}",
        ] {
            // Never a panic; errors or an order, consistently.
            let ab = scheme.compare(v, "1.0");
            let ba = scheme.compare("1.0", v);
            if let (Ok(x), Ok(y)) = (&ab, &ba) {
                assert_eq!(*x, y.reverse(), "{scheme} {v:?}");
            }
        }
    }
    // The defined results.
    assert!(pep440::compare("\u{ff11}.0", "1").is_err());
    assert!(semver::compare("1.0.0-\u{e9}", "1.0.0").is_err());
    assert!(maven::compare("\u{661}.\u{662}", "1").is_err());
    assert_eq!(maven::compare("1.\u{e9}", "1.z").unwrap(), Greater);
    assert!(gem::compare("1.\u{e9}", "1").is_err());
    assert!(composer::compare("1.\u{0}0", "1.0").is_err());
    // PHP's trim() removes NUL at the ends.
    assert_eq!(composer::compare("1.0\u{0}", "1.0").unwrap(), Equal);
    assert!(nuget::compare("\u{ff11}.0", "1.0").is_err());
    assert_eq!(semver::compare("1.0.0\u{feff}", "1.0.0").unwrap(), Equal);
}
