//! The native language feeds on the real recorded archives: RubySec
//! (`rubysec/ruby-advisory-db.tar.gz`), FriendsOfPHP (`friendsofphp/security-advisories.tar.gz`)
//! and the Node.js security WG (`nodejs-security-wg/vuln.tar.gz`). Every expected value
//! below was read from the named file inside those archives; hand-written inputs are marked
//! as such.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use drydock_vulndb::{
    AffectedRecord, BuildOptions, BuildReport, Constraint, ConstraintOp, Db, Error, FixStatus,
    Severity, build,
};

const RUBYSEC: &str = "rubysec/ruby-advisory-db.tar.gz";
const FOP: &str = "friendsofphp/security-advisories.tar.gz";
const NODEJS: &str = "nodejs-security-wg/vuln.tar.gz";

struct Built {
    _dir: tempfile::TempDir,
    db: PathBuf,
    report: BuildReport,
}

/// The three archives, built once per test binary.
fn built() -> &'static Built {
    static B: OnceLock<Built> = OnceLock::new();
    B.get_or_init(|| {
        let dir = common::feed_dir(&[RUBYSEC, FOP, NODEJS]);
        let db = dir.path().join("lang.sqlite");
        let report = build(dir.path(), &db, &BuildOptions::default()).unwrap();
        Built {
            _dir: dir,
            db,
            report,
        }
    })
}

fn db() -> Db {
    Db::open(&built().db).unwrap()
}

fn row<'a>(rows: &'a [AffectedRecord], vuln: &str) -> &'a AffectedRecord {
    rows.iter().find(|r| r.vuln_id == vuln).unwrap_or_else(|| {
        panic!(
            "{vuln} not in {:?}",
            rows.iter().map(|r| &r.vuln_id).collect::<Vec<_>>()
        )
    })
}

/// Constraint groups from compact text: `">=5.2.4 <5.3 >=5.2.4.3 || >=6.0.3.1"`; `*` is an
/// empty group.
fn groups(s: &str) -> Vec<Vec<Constraint>> {
    if s.is_empty() {
        return Vec::new();
    }
    s.split(" || ")
        .map(|g| {
            if g == "*" {
                return Vec::new();
            }
            g.split(' ')
                .map(|c| {
                    let (op, v) = [
                        ("<=", ConstraintOp::Le),
                        (">=", ConstraintOp::Ge),
                        ("!=", ConstraintOp::Ne),
                        ("<", ConstraintOp::Lt),
                        (">", ConstraintOp::Gt),
                        ("=", ConstraintOp::Eq),
                    ]
                    .into_iter()
                    .find_map(|(p, op)| c.strip_prefix(p).map(|v| (op, v)))
                    .unwrap_or_else(|| panic!("{c}"));
                    Constraint::new(op, v)
                })
                .collect()
        })
        .collect()
}

/// Row count per namespace, straight from SQLite.
fn count(db_path: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db_path).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn record_counts_per_feed() {
    let b = built();
    let r = &b.report;
    assert_eq!(r.warning_count, 0, "{:?}", r.warnings);
    assert!(r.skipped.is_empty(), "{:?}", r.skipped);
    let feed = |n: &str| r.feeds.iter().find(|f| f.name == n).unwrap();
    // README / DATA-MANIFEST: 1,381 rubysec (1,234 gems/** + 147 rubies/**).
    assert_eq!(feed("rubysec").records, 1381);
    assert_eq!(feed("rubysec").affected_rows, 1381);
    assert_eq!(feed("rubysec").newest_date.as_deref(), Some("2026-08-18"));
    assert_eq!(feed("rubysec").files, [RUBYSEC]);
    // 1,592 FriendsOfPHP YAML files, one row each.
    assert_eq!(feed("friendsofphp").records, 1592);
    assert_eq!(feed("friendsofphp").affected_rows, 1592);
    assert_eq!(
        feed("friendsofphp").newest_date.as_deref(),
        Some("2026-08-05")
    );
    // The README's 468 npm files are 467 advisories plus `vuln/npm/index.json` (an
    // aggregate, not read); plus 171 core advisories. Rows: one per CVE (6 npm and 4 core
    // advisories name several), or one for an advisory without CVE.
    assert_eq!(feed("nodejs-security-wg").records, 467 + 171);
    assert_eq!(feed("nodejs-security-wg").affected_rows, 477 + 186);
    assert_eq!(
        feed("nodejs-security-wg").newest_date.as_deref(),
        Some("2020-07-13")
    );
    assert_eq!(r.affected_rows, 1381 + 1592 + 663);

    let per_ns = |ns: &str| {
        count(
            &b.db,
            &format!("SELECT COUNT(*) FROM affected WHERE namespace = '{ns}'"),
        )
    };
    assert_eq!(per_ns("rubygems"), 1234);
    assert_eq!(per_ns("ruby"), 147);
    assert_eq!(per_ns("packagist"), 1592);
    assert_eq!(per_ns("npm"), 477);
    assert_eq!(per_ns("nodejs"), 186);
    // Every row of these feeds carries constraints and no ranges.
    assert_eq!(
        count(
            &b.db,
            "SELECT COUNT(*) FROM affected WHERE constraints IS NULL OR ranges != '[]' \
             OR versions != '[]'"
        ),
        0
    );
    // Not fixed: 99 gems without patched versions; 13 Composer advisories whose branches
    // end in `<=` only (or in the next branch); npm: 55 without `patched_versions` and 138
    // with the "no fix" range `<0.0.0`.
    let not_fixed = |ns: &str| {
        count(
            &b.db,
            &format!(
                "SELECT COUNT(*) FROM affected WHERE namespace = '{ns}' AND status = 'not-fixed'"
            ),
        )
    };
    assert_eq!(not_fixed("rubygems"), 99);
    assert_eq!(not_fixed("ruby"), 0);
    assert_eq!(not_fixed("packagist"), 13);
    assert_eq!(not_fixed("npm"), 55 + 138);
    assert_eq!(not_fixed("nodejs"), 0);
    // 81 gem advisories list neither patched nor unaffected versions: every version.
    assert_eq!(
        count(
            &b.db,
            "SELECT COUNT(*) FROM affected WHERE namespace = 'rubygems' \
             AND constraints = '{\"affected\":[[]]}'"
        ),
        81
    );
}

#[test]
fn rubysec_actionpack_strong_parameters() {
    // gems/actionpack/CVE-2020-8164.yml: cve 2020-8164, ghsa 8727-m6gj-mc37, cvss_v3 7.5,
    // unaffected "< 4.0.0", patched "~> 5.2.4, >= 5.2.4.3" and ">= 6.0.3.1".
    let db = db();
    let rows = db.affected("rubygems", "actionpack").unwrap();
    let r = row(&rows, "CVE-2020-8164");
    assert_eq!(r.source, "rubysec");
    assert_eq!(r.status, FixStatus::Fixed);
    assert_eq!(r.fixed_version.as_deref(), Some("5.2.4.3"));
    assert!(r.affected_constraints.is_empty());
    assert_eq!(
        r.unaffected_constraints,
        groups(">=5.2.4 <5.3 >=5.2.4.3 || >=6.0.3.1 || <4.0.0")
    );
    assert!(r.ranges.is_empty() && r.versions.is_empty());
    assert_eq!(r.advisory_ids, ["CVE-2020-8164"]);
    assert_eq!(r.severity, Some(Severity::High));
    let v = db.vulnerability("CVE-2020-8164").unwrap().unwrap();
    assert_eq!(
        v.summary.as_deref(),
        Some("Possible Strong Parameters Bypass in ActionPack")
    );
    assert_eq!(v.published.as_deref(), Some("2020-05-18"));
    assert_eq!(v.aliases, ["GHSA-8727-m6gj-mc37"]);
    assert_eq!(
        v.references,
        ["https://groups.google.com/forum/#!topic/rubyonrails-security/f6ioe4sdpbY"]
    );
    assert_eq!(v.severities.len(), 1);
    assert_eq!(v.severities[0].source, "rubysec");
    assert_eq!(v.severities[0].score, Some(7.5));
    assert_eq!(v.severities[0].cvss_vector, None);
    assert!(
        db.details("CVE-2020-8164")
            .unwrap()
            .unwrap()
            .starts_with("There is a strong parameters bypass vector in ActionPack.")
    );
    // 63 advisories in gems/actionpack/.
    assert_eq!(rows.len(), 63);
}

#[test]
fn rubysec_interpreters() {
    // rubies/ruby/CVE-2021-31810.yml and rubies/jruby/CVE-2021-31810.yml.
    let db = db();
    let r = db.affected("ruby", "ruby").unwrap();
    let r = row(&r, "CVE-2021-31810");
    assert_eq!(
        r.unaffected_constraints,
        groups(">=2.6.8 <2.7 || >=2.7.4 <2.8 || >=3.0.2")
    );
    assert_eq!(r.fixed_version.as_deref(), Some("2.6.8"));
    let j = db.affected("ruby", "jruby").unwrap();
    let j = row(&j, "CVE-2021-31810");
    assert_eq!(j.unaffected_constraints, groups(">=9.3.0"));
    assert_eq!(j.severity, Some(Severity::Medium));
    // rubies/mruby/CVE-2020-15866.yml: patched "~> 3.0.0-preview", ">= 3.0.0".
    let m = db.affected("ruby", "mruby").unwrap();
    assert_eq!(
        row(&m, "CVE-2020-15866").unaffected_constraints,
        groups(">=3.0.0-preview <3.1 || >=3.0.0")
    );
}

#[test]
fn friendsofphp_branches() {
    let db = db();
    // symfony/http-kernel/CVE-2014-5245.yaml: six branches 2.0.x … 2.5.x; 2.0–2.2 end where
    // the next branch starts (no fix there), the first real fix is 2.3.19.
    let rows = db.affected("packagist", "symfony/http-kernel").unwrap();
    let r = row(&rows, "CVE-2014-5245");
    assert_eq!(
        r.affected_constraints,
        groups(
            ">=2.0.0 <2.1.0 || >=2.1.0 <2.2.0 || >=2.2.0 <2.3.0 || >=2.3.0 <2.3.19 || \
             >=2.4.0 <2.4.9 || >=2.5.0 <2.5.4"
        )
    );
    assert!(r.unaffected_constraints.is_empty());
    assert_eq!(r.fixed_version.as_deref(), Some("2.3.19"));
    assert_eq!(r.status, FixStatus::Fixed);
    assert_eq!(r.source, "friendsofphp");
    assert_eq!(r.severity, None);
    let v = db.vulnerability("CVE-2014-5245").unwrap().unwrap();
    assert_eq!(
        v.summary.as_deref(),
        Some("Direct access of ESI URLs behind a trusted proxy")
    );
    assert_eq!(v.references, ["https://symfony.com/cve-2014-5245"]);

    // laravel/framework/2014-04-15.yaml: no CVE, two branches.
    let rows = db.affected("packagist", "laravel/framework").unwrap();
    let r = row(&rows, "FRIENDSOFPHP-laravel/framework/2014-04-15");
    assert_eq!(
        r.affected_constraints,
        groups(">=4.0.0 <4.0.99 || >=4.1.0 <4.1.26")
    );
    assert_eq!(r.fixed_version.as_deref(), Some("4.0.99"));
    // laravel/framework/2021-01-21.yaml: no CVE, the GHSA id of its link is the id.
    let r = row(&rows, "GHSA-x7p5-p2c9-phvg");
    assert_eq!(
        r.affected_constraints,
        groups(">=6.0.0 <6.20.14 || >=7.0.0 <7.30.4 || >=8.0.0 <8.24.0")
    );
    assert_eq!(
        r.advisory_ids,
        ["FRIENDSOFPHP-laravel/framework/2021-01-21"]
    );
    assert_eq!(
        db.vulnerability("GHSA-x7p5-p2c9-phvg")
            .unwrap()
            .unwrap()
            .summary
            .as_deref(),
        Some("Unexpected bindings in QueryBuilder")
    );
    // 18 files in laravel/framework/.
    assert_eq!(rows.len(), 18);
    // Composer names are case-insensitive: the lookup lowercases them.
    assert_eq!(
        db.affected("packagist", "Laravel/Framework").unwrap().len(),
        18
    );
}

#[test]
fn nodejs_wg_npm_prototype_pollution() {
    let db = db();
    // vuln/npm/368.json: lodash, CVE-2018-3721, "<4.17.5" / ">=4.17.5",
    // CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:L (computed base score 1.8, Low).
    let rows = db.affected("npm", "lodash").unwrap();
    assert_eq!(rows.len(), 3);
    let r = row(&rows, "CVE-2018-3721");
    assert_eq!(r.affected_constraints, groups("<4.17.5"));
    assert_eq!(r.unaffected_constraints, groups(">=4.17.5"));
    assert_eq!(r.fixed_version.as_deref(), Some("4.17.5"));
    assert_eq!(r.advisory_ids, ["NSWG-ECO-368"]);
    assert_eq!(r.source, "nodejs-security-wg");
    assert_eq!(r.severity, Some(Severity::Low));
    // The GHSA id comes from RubySec's lodash-rails advisory of the same CVE.
    assert_eq!(
        db.aliases("CVE-2018-3721").unwrap(),
        ["GHSA-fvqr-27wr-82fm", "NSWG-ECO-368"]
    );
    // vuln/npm/516.json: no CVE, ">=4.17.15 <4.17.19".
    let r = row(&rows, "NSWG-ECO-516");
    assert_eq!(r.affected_constraints, groups(">=4.17.15 <4.17.19"));
    assert_eq!(r.unaffected_constraints, groups(">=4.17.19"));

    // vuln/npm/496.json: jQuery $.extend prototype pollution, two CVEs → two rows.
    let rows = db.affected("npm", "jQuery").unwrap();
    for id in ["CVE-2019-5428", "CVE-2019-11358"] {
        let r = row(&rows, id);
        assert_eq!(r.affected_constraints, groups("<3.4.0"));
        assert_eq!(r.fixed_version.as_deref(), Some("3.4.0"));
        assert_eq!(r.advisory_ids, ["NSWG-ECO-496"]);
        assert_eq!(r.severity, Some(Severity::Medium));
    }
    assert_eq!(
        db.aliases("NSWG-ECO-496").unwrap(),
        ["CVE-2019-11358", "CVE-2019-5428"]
    );

    // vuln/npm/332.json: yui, four CVEs, ">=3.0.0 <=3.9.1 || =3.10.2" / "=3.10.1 || >=3.10.3".
    let rows = db.affected("npm", "yui").unwrap();
    let r = row(&rows, "CVE-2013-4942");
    assert_eq!(r.affected_constraints, groups(">=3.0.0 <=3.9.1 || =3.10.2"));
    assert_eq!(r.unaffected_constraints, groups("=3.10.1 || >=3.10.3"));
    assert_eq!(r.fixed_version.as_deref(), Some("3.10.1"));

    // vuln/npm/116.json: igniteui, "<=0.0.5", patched "<0.0.0" = no fix.
    let rows = db.affected("npm", "igniteui").unwrap();
    let r = row(&rows, "NSWG-ECO-116");
    assert_eq!(r.affected_constraints, groups("<=0.0.5"));
    assert!(r.unaffected_constraints.is_empty());
    assert_eq!(r.status, FixStatus::NotFixed);
    assert_eq!(r.fixed_version, None);
}

#[test]
fn nodejs_wg_core() {
    // vuln/core/1.json: CVE-2017-1000381, "8.x || 7.x || 4.x || 6.x || 5.x" /
    // "^8.1.4 || ^7.10.1 || ^4.8.4 || ^6.11.1", severity high.
    let db = db();
    let rows = db.affected("nodejs", "node").unwrap();
    let r = row(&rows, "CVE-2017-1000381");
    assert_eq!(
        r.affected_constraints,
        groups(
            ">=8.0.0 <9.0.0-0 || >=7.0.0 <8.0.0-0 || >=4.0.0 <5.0.0-0 || >=6.0.0 <7.0.0-0 || \
             >=5.0.0 <6.0.0-0"
        )
    );
    assert_eq!(
        r.unaffected_constraints,
        groups(">=8.1.4 <9.0.0-0 || >=7.10.1 <8.0.0-0 || >=4.8.4 <5.0.0-0 || >=6.11.1 <7.0.0-0")
    );
    assert_eq!(r.fixed_version.as_deref(), Some("4.8.4"));
    assert_eq!(r.severity, Some(Severity::High));
    assert_eq!(r.advisory_ids, ["NSWG-CORE-1"]);
    let v = db.vulnerability("CVE-2017-1000381").unwrap().unwrap();
    assert_eq!(
        v.summary.as_deref(),
        Some("memory overread when parsing invalid NAPTR responses")
    );
    assert_eq!(
        v.references,
        ["https://nodejs.org/en/blog/vulnerability/july-2017-security-releases/"]
    );
    // vuln/core/87.json names five CVEs: five rows.
    for id in [
        "CVE-2021-37701",
        "CVE-2021-37712",
        "CVE-2021-37713",
        "CVE-2021-39134",
        "CVE-2021-39135",
    ] {
        let r = row(&rows, id);
        assert_eq!(
            r.unaffected_constraints,
            groups(">=12.22.6 <13.0.0-0 || >=14.17.6 <15.0.0-0")
        );
        assert_eq!(r.advisory_ids, ["NSWG-CORE-87"]);
    }
    assert_eq!(rows.len(), 186);
}

#[test]
fn github_archive_layout_builds_the_same_rows() {
    // The archives as GitHub serves them (`<repo>-<branch>/` folder, pax header, extra
    // files) give the same DB rows as the recorded copies.
    let dir = tempfile::tempdir().unwrap();
    for (rel, prefix) in [
        (RUBYSEC, "ruby-advisory-db-master"),
        (FOP, "security-advisories-master"),
        (NODEJS, "security-wg-main"),
    ] {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(
            &p,
            common::github_layout(&common::feeds().join(rel), prefix),
        )
        .unwrap();
    }
    let out = dir.path().join("gh.sqlite");
    let report = build(dir.path(), &out, &BuildOptions::default()).unwrap();
    assert_eq!(report.warning_count, 0, "{:?}", report.warnings);
    assert_eq!(report.affected_rows, built().report.affected_rows);
    assert_eq!(
        common::dump_affected(&out),
        common::dump_affected(&built().db)
    );
    let a = Db::open(&out).unwrap().info().unwrap();
    let b = Db::open(&built().db).unwrap().info().unwrap();
    assert_eq!(a.feeds, b.feeds);
    assert_eq!(a.vulnerabilities, b.vulnerabilities);
}

#[test]
fn truncated_archive_fails_and_keeps_the_previous_db() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("vulndb.sqlite");
    let good = common::feed_dir(&[FOP]);
    build(good.path(), &out, &BuildOptions::default()).unwrap();
    let before = std::fs::read(&out).unwrap();

    let real = std::fs::read(common::feeds().join(RUBYSEC)).unwrap();
    for cut in [real.len() / 2, real.len() - 10] {
        let dir = common::feed_dir(&[FOP]);
        let p = dir.path().join(RUBYSEC);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &real[..cut]).unwrap();
        let e = build(dir.path(), &out, &BuildOptions::default()).unwrap_err();
        eprintln!("as shown: {e}");
        match &e {
            Error::Feed { path, msg } => {
                assert!(path.ends_with(RUBYSEC), "{}", path.display());
                assert!(msg.contains("truncated or corrupt .tar.gz"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains(RUBYSEC), "{e}");
        assert_eq!(std::fs::read(&out).unwrap(), before, "DB changed");
    }
    let leftovers: Vec<_> = std::fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".drydock-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn garbage_files_are_warnings_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    // Hand-made damage inside otherwise real archives.
    let write = |rel: &str, bytes: Vec<u8>| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    write(
        FOP,
        common::patched_archive(
            &common::feeds().join(FOP),
            &[
                (
                    "symfony/http-kernel/CVE-2014-5245.yaml",
                    Some(&b"title: [unclosed\n\x00\xff garbage"[..]),
                ),
                (
                    "laravel/framework/2014-04-15.yaml",
                    Some(&b"title: t\nbranches: {4.x: {versions: ['4.0']}}\n"[..]),
                ),
            ],
        ),
    );
    write(
        RUBYSEC,
        common::patched_archive(
            &common::feeds().join(RUBYSEC),
            &[(
                "gems/actionpack/CVE-2020-8164.yml",
                Some(
                    &b"gem: actionpack\ncve: 2020-8164\npatched_versions:\n  - \">= one.two\"\n"[..],
                ),
            )],
        ),
    );
    write(
        NODEJS,
        common::patched_archive(
            &common::feeds().join(NODEJS),
            &[
                (
                    "vuln/npm/368.json",
                    Some(&br#"{"id": 368, "module_name": "lodash", "cves": ["CVE-2018-3721"], "vulnerable_versions": "<4.17.5 ||"}"#[..]),
                ),
                ("vuln/core/1.json", Some(&b"{\"cve\": [\"CVE-2017-1000381\"], "[..])),
            ],
        ),
    );
    let out = dir.path().join("db.sqlite");
    let report = build(dir.path(), &out, &BuildOptions::default()).unwrap();
    let mut warnings = report.warnings.clone();
    warnings.sort();
    for w in &warnings {
        eprintln!("{w}");
    }
    assert_eq!(report.warning_count, 5);
    let expect = [
        (
            "friendsofphp/security-advisories.tar.gz: laravel/framework/2014-04-15.yaml: branch 4.x: no comparison operator",
        ),
        (
            "friendsofphp/security-advisories.tar.gz: symfony/http-kernel/CVE-2014-5245.yaml: not a FriendsOfPHP advisory",
        ),
        ("nodejs-security-wg/vuln.tar.gz: vuln/core/1.json: not a security WG core advisory",),
        (
            "nodejs-security-wg/vuln.tar.gz: vuln/npm/368.json: NSWG-ECO-368: vulnerable versions: empty alternative",
        ),
        (
            "rubysec/ruby-advisory-db.tar.gz: gems/actionpack/CVE-2020-8164.yml: CVE-2020-8164: not a gem version",
        ),
    ];
    for ((want,), got) in expect.iter().zip(&warnings) {
        assert!(
            got.starts_with(want),
            "{got:?} does not start with {want:?}"
        );
    }
    let feed = |n: &str| report.feeds.iter().find(|f| f.name == n).unwrap().clone();
    assert_eq!(feed("friendsofphp").records, 1590);
    assert_eq!(feed("friendsofphp").warnings, 2);
    assert_eq!(feed("rubysec").records, 1380);
    assert_eq!(feed("nodejs-security-wg").records, 636);
    assert_eq!(feed("nodejs-security-wg").affected_rows, 663 - 2);
    // The skipped advisories left no rows; their neighbours are there.
    let db = Db::open(&out).unwrap();
    let http_kernel = db.affected("packagist", "symfony/http-kernel").unwrap();
    assert!(http_kernel.iter().all(|r| r.vuln_id != "CVE-2014-5245"));
    assert_eq!(
        http_kernel.len(),
        db_row_count("packagist", "symfony/http-kernel") - 1
    );
    let lodash = db.affected("npm", "lodash").unwrap();
    assert_eq!(
        lodash
            .iter()
            .map(|r| r.vuln_id.as_str())
            .collect::<Vec<_>>(),
        ["CVE-2018-16487", "NSWG-ECO-516"]
    );
    assert_eq!(db.affected("rubygems", "actionpack").unwrap().len(), 62);
}

/// Rows of `package` in the full build of the three real archives.
fn db_row_count(ns: &str, package: &str) -> usize {
    db().affected(ns, package).unwrap().len()
}

#[test]
fn hand_written_osv_json_records() {
    // Hand-written OSV records as loose files in `osv/_handwritten/`, next to a zip folder.
    let dir = common::feed_dir(&["osv/crates.io/all.zip"]);
    let hw = dir.path().join("osv/_handwritten");
    std::fs::create_dir_all(&hw).unwrap();
    std::fs::write(
        hw.join("DRYDOCK-TEST-0001.json"),
        br#"{"id": "DRYDOCK-TEST-0001", "modified": "2099-01-01T00:00:00Z",
            "aliases": ["CVE-2099-0101"], "summary": "hand-written npm record",
            "affected": [{"package": {"ecosystem": "npm", "name": "left-pad"},
              "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.0"}]}]}]}"#,
    )
    .unwrap();
    std::fs::write(
        hw.join("DRYDOCK-TEST-0002.json"),
        br#"{"id": "DRYDOCK-TEST-0002", "modified": "2099-01-02T00:00:00Z",
            "affected": [{"package": {"ecosystem": "Packagist", "name": "Vendor/Thing"},
              "versions": ["1.0.0", "1.0.1"]}]}"#,
    )
    .unwrap();
    std::fs::write(hw.join("broken.json"), b"{\"id\": \"DRYDOCK-TEST-0003\", ").unwrap();
    std::fs::write(hw.join("notes.txt"), b"not read").unwrap();
    let out = dir.path().join("db.sqlite");
    let report = build(dir.path(), &out, &BuildOptions::default()).unwrap();
    let f = report
        .feeds
        .iter()
        .find(|f| f.name == "osv/_handwritten")
        .unwrap();
    assert_eq!(f.records, 2);
    assert_eq!(f.affected_rows, 2);
    assert_eq!(f.newest_date.as_deref(), Some("2099-01-02"));
    assert_eq!(
        f.files,
        [
            "osv/_handwritten/DRYDOCK-TEST-0001.json",
            "osv/_handwritten/DRYDOCK-TEST-0002.json",
            "osv/_handwritten/broken.json"
        ]
    );
    assert_eq!(report.warning_count, 1);
    assert!(
        report.warnings[0].starts_with("osv/_handwritten/broken.json: not a valid OSV record"),
        "{:?}",
        report.warnings
    );
    assert!(
        report
            .skipped
            .contains(&"osv/_handwritten/notes.txt".to_string())
    );
    let db = Db::open(&out).unwrap();
    let r = db.affected("npm", "left-pad").unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].vuln_id, "DRYDOCK-TEST-0001");
    assert_eq!(r[0].fixed_version.as_deref(), Some("1.3.0"));
    assert!(!r[0].has_constraints());
    assert_eq!(db.aliases("DRYDOCK-TEST-0001").unwrap(), ["CVE-2099-0101"]);
    // Packagist names are stored and looked up lowercased.
    let r = db.affected("packagist", "vendor/thing").unwrap();
    assert_eq!(r[0].versions, ["1.0.0", "1.0.1"]);
    assert_eq!(db.affected("packagist", "Vendor/Thing").unwrap().len(), 1);
}
