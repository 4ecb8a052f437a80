//! RPM distro feeds: Azure Linux / CBL-Mariner OVAL (real, `../shared/feeds/azurelinux-oval`),
//! Oracle ELSA OVAL, Amazon ALAS and Rocky updateinfo (real samples from the peer scanners'
//! fixtures, `../shared/fixtures/vuln-list-update-testdata.tar.gz`).
//!
//! The Azure Linux rows are checked against an independent, naive pass over the raw XML (string
//! splitting, no XML parser): every (package, CVE, bound) it finds must be a row, and nothing
//! else.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use drydock_vulndb::{AffectedRecord, BuildOptions, Db, FixStatus, Range, Severity, build};

fn build_from(dir: &Path) -> (tempfile::TempDir, Db, drydock_vulndb::BuildReport) {
    let out = tempfile::tempdir().unwrap();
    let db_path = out.path().join("db.sqlite");
    let report = build(dir, &db_path, &BuildOptions::default()).unwrap();
    let db = Db::open(&db_path).unwrap();
    (out, db, report)
}

fn row<'a>(rows: &'a [AffectedRecord], id: &str) -> &'a AffectedRecord {
    let found: Vec<&AffectedRecord> = rows.iter().filter(|r| r.vuln_id == id).collect();
    assert_eq!(found.len(), 1, "{id} in {rows:#?}");
    found[0]
}

fn fixed(v: &str) -> Vec<Range> {
    vec![Range {
        introduced: Some("0".into()),
        fixed: Some(v.into()),
        ..Default::default()
    }]
}

/// The naive reading of an Azure OVAL file: per definition, its CVE, its one test's object name
/// and state bound (joined through the ids in the raw text).
fn naive_azure(xml: &str) -> BTreeSet<(String, String, String, &'static str)> {
    let attr = |s: &str, name: &str| -> String {
        let k = format!("{name}=\"");
        let i = s.find(&k).unwrap() + k.len();
        s[i..i + s[i..].find('"').unwrap()].to_string()
    };
    let between = |s: &str, open: &str, close: &str| -> Option<String> {
        let i = s.find(open)? + open.len();
        let j = s[i..].find(close)?;
        Some(s[i..i + j].to_string())
    };
    let mut objects = std::collections::HashMap::new();
    for part in xml.split("<linux-def:rpminfo_object ").skip(1) {
        objects.insert(
            attr(part, "id"),
            between(part, "<linux-def:name>", "</linux-def:name>").unwrap(),
        );
    }
    let mut states = std::collections::HashMap::new();
    for part in xml.split("<linux-def:rpminfo_state ").skip(1) {
        let evr_elem = &part[part.find("<linux-def:evr ").unwrap()..];
        let evr = between(evr_elem, ">", "</linux-def:evr>").unwrap();
        let evr: String = evr.split_whitespace().collect();
        let le = attr(evr_elem, "operation") == "less than or equal";
        states.insert(
            attr(part, "id"),
            (evr.trim_start_matches("0:").to_string(), le),
        );
    }
    let mut tests = std::collections::HashMap::new();
    for part in xml.split("<linux-def:rpminfo_test ").skip(1) {
        tests.insert(
            attr(part, "id"),
            (attr(part, "object_ref"), attr(part, "state_ref")),
        );
    }
    let mut out = BTreeSet::new();
    for def in xml.split("<definition ").skip(1) {
        let cve = attr(def.split("<reference ").nth(1).unwrap(), "ref_id");
        let patchable = between(def, "<patchable>", "</patchable>").unwrap();
        let (obj, st) = &tests[&attr(def.split("<criterion ").nth(1).unwrap(), "test_ref")];
        let (bound, le) = states[st].clone();
        let (bound, kind) = match (patchable.as_str(), le) {
            ("Not Applicable", _) => (String::new(), "not-affected"),
            (_, true) => (bound, "last_affected"),
            ("true", false) => (bound, "fixed"),
            (_, false) => (bound, "limit"),
        };
        out.insert((objects[obj].clone(), cve, bound, kind));
    }
    out
}

#[test]
fn azure_linux_and_mariner_oval() {
    let dir = common::feed_dir(&[
        "azurelinux-oval/azurelinux-3.0-oval.xml",
        "azurelinux-oval/cbl-mariner-1.0-oval.xml",
    ]);
    let (_t, db, report) = build_from(dir.path());
    let feed = report
        .feeds
        .iter()
        .find(|f| f.name == "azurelinux-oval")
        .unwrap();
    assert_eq!(report.warnings, Vec::<String>::new());
    assert_eq!(feed.records, 1222 + 2252);
    assert_eq!(
        feed.files,
        vec![
            "azurelinux-oval/azurelinux-3.0-oval.xml",
            "azurelinux-oval/cbl-mariner-1.0-oval.xml"
        ]
    );
    // the newest <advisory_date> in either file
    assert_eq!(feed.newest_date.as_deref(), Some("2024-10-01"));

    // the first definition of the Azure Linux 3.0 file
    let rows = db.affected("azurelinux:3.0", "oath-toolkit").unwrap();
    let r = row(&rows, "CVE-2024-47191");
    assert_eq!(r.status, FixStatus::Fixed);
    assert_eq!(r.fixed_version.as_deref(), Some("2.6.7-3.azl3"));
    assert_eq!(r.ranges, fixed("2.6.7-3.azl3"));
    assert_eq!(r.severity, Some(Severity::High));
    assert_eq!(r.source, "azurelinux-oval");
    let v = db.vulnerability("CVE-2024-47191").unwrap().unwrap();
    assert_eq!(
        v.summary.as_deref(),
        Some("CVE-2024-47191 affecting package oath-toolkit for versions less than 2.6.7-3")
    );
    // the bound written "0: 1.20.10-1.azl3" in the feed
    let spaced =
        std::fs::read_to_string(common::feeds().join("azurelinux-oval/azurelinux-3.0-oval.xml"))
            .unwrap();
    assert!(spaced.contains(">0: 1.20.10-1.azl3<"));

    // every row against the naive reading of the raw XML, per file
    for (file, ns) in [
        ("azurelinux-3.0-oval.xml", "azurelinux:3.0"),
        ("cbl-mariner-1.0-oval.xml", "mariner:1.0"),
    ] {
        let xml =
            std::fs::read_to_string(common::feeds().join("azurelinux-oval").join(file)).unwrap();
        let want = naive_azure(&xml);
        let conn = rusqlite::Connection::open(db_path_of(&_t)).unwrap();
        let mut st = conn
            .prepare(
                "SELECT package, vuln_id, IFNULL(fixed_version, ''), status, ranges FROM affected \
                 WHERE namespace = ?1",
            )
            .unwrap();
        let got: BTreeSet<(String, String, String, &'static str)> = st
            .query_map([ns], |r| {
                let status: String = r.get(3)?;
                let ranges: String = r.get(4)?;
                let fixed: String = r.get(2)?;
                let v: serde_json::Value = serde_json::from_str(&ranges).unwrap();
                // fixed rows: the fix; not-fixed rows keep the bound as limit / last_affected
                let (bound, kind) = if status == "not-affected" {
                    assert_eq!(ranges, "[]");
                    (String::new(), "not-affected")
                } else if status == "fixed" {
                    assert_eq!(v[0]["fixed"].as_str(), Some(fixed.as_str()));
                    (fixed, "fixed")
                } else if let Some(l) = v[0]["limit"].as_str() {
                    (l.to_string(), "limit")
                } else {
                    (
                        v[0]["last_affected"].as_str().unwrap().to_string(),
                        "last_affected",
                    )
                };
                Ok((r.get(0)?, r.get(1)?, bound, kind))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(got.len(), want.len(), "{file}");
        assert_eq!(got, want, "{file}");
    }
    // CBL-Mariner 1.0: 126 definitions say <patchable>false</patchable> (not fixed; all of them
    // bounded "installed with version V or earlier", `less than or equal`); 78 say
    // <patchable>Not Applicable</patchable> ("no longer is or was never applicable")
    let conn = rusqlite::Connection::open(db_path_of(&_t)).unwrap();
    let not_fixed: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM affected WHERE namespace = 'mariner:1.0' AND status = 'not-fixed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(not_fixed, 126);
    let not_affected: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM affected WHERE namespace = 'mariner:1.0' AND status = 'not-affected'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(not_affected, 78);
}

fn db_path_of(t: &tempfile::TempDir) -> std::path::PathBuf {
    t.path().join("db.sqlite")
}

const VLU: &str = "vuln-list-update-testdata.tar.gz";

#[test]
fn oracle_elsa_oval() {
    let src = tempfile::tempdir().unwrap();
    common::unpack(
        VLU,
        &["oracle/oval/testdata/ELSA-2007-0057.xml"],
        src.path(),
    );
    let dir = tempfile::tempdir().unwrap();
    common::link(
        dir.path(),
        "oracle-oval/ELSA-2007-0057.xml",
        &src.path().join("oracle/oval/testdata/ELSA-2007-0057.xml"),
    );
    let (_t, db, report) = build_from(dir.path());
    let feed = report
        .feeds
        .iter()
        .find(|f| f.name == "oracle-oval")
        .unwrap();
    assert_eq!((feed.records, feed.affected_rows), (1, 16));
    assert_eq!(feed.newest_date.as_deref(), Some("2007-06-26"));
    let rows = db.affected("ol:5", "bind-libs").unwrap();
    assert_eq!(rows.len(), 2);
    for cve in ["CVE-2007-0493", "CVE-2007-0494"] {
        let r = row(&rows, cve);
        assert_eq!(r.fixed_version.as_deref(), Some("30:9.3.3-8.el5"));
        assert_eq!(r.advisory_ids, vec!["ELSA-2007-0057"]);
        assert_eq!(r.severity, Some(Severity::Medium));
    }
    let mut aliases = db.aliases("ELSA-2007-0057").unwrap();
    aliases.sort();
    assert_eq!(aliases, vec!["CVE-2007-0493", "CVE-2007-0494"]);
    assert_eq!(db.affected("ol:5", "caching-nameserver").unwrap().len(), 2);
    assert!(db.affected("ol:6", "bind").unwrap().is_empty());
}

/// The compressed samples: 14 ELSAs across Oracle Linux 5–7, one definition covering two
/// releases with a criteria branch each, one without CVEs; and a truncated file.
#[test]
fn oracle_elsa_oval_bz2() {
    let src = tempfile::tempdir().unwrap();
    let files = [
        "oracle/oval/testdata/all-positive-data.xml.bz2",
        "oracle/oval/testdata/broken-oval-data.xml.bz2",
    ];
    common::unpack(VLU, &files, src.path());
    let dir = tempfile::tempdir().unwrap();
    common::link(
        dir.path(),
        "oracle-oval/com.oracle.elsa-sample.xml.bz2",
        &src.path().join(files[0]),
    );
    let (_t, db, report) = build_from(dir.path());
    let feed = report
        .feeds
        .iter()
        .find(|f| f.name == "oracle-oval")
        .unwrap();
    assert_eq!(report.warnings, Vec::<String>::new());
    assert_eq!(feed.records, 14);
    // ELSA-2016-3646 (UEK): the el5uek build for Oracle Linux 5, the el6uek one for 6
    for (ns, fix) in [
        ("ol:5", "2.6.39-400.290.2.el5uek"),
        ("ol:6", "2.6.39-400.290.2.el6uek"),
    ] {
        let rows = db.affected(ns, "kernel-uek-devel").unwrap();
        let r = row(&rows, "CVE-2016-1583");
        assert_eq!(r.fixed_version.as_deref(), Some(fix), "{ns}");
        assert_eq!(r.advisory_ids, vec!["ELSA-2016-3646"]);
    }
    // ELSA-2011-1268 names no CVE: rows under the ELSA id
    let rows = db.affected("ol:6", "xulrunner").unwrap();
    let r = row(&rows, "ELSA-2011-1268");
    assert_eq!(r.severity, Some(Severity::High));
    // an epoch kept: dbus 1:1.2.24-7.0.1.el6_3
    let rows = db.affected("ol:6", "dbus").unwrap();
    assert_eq!(
        row(&rows, "CVE-2012-3524").fixed_version.as_deref(),
        Some("1:1.2.24-7.0.1.el6_3")
    );

    // the truncated sample stops the build, naming the file
    let dir = tempfile::tempdir().unwrap();
    common::link(
        dir.path(),
        "oracle-oval/broken.xml.bz2",
        &src.path().join(files[1]),
    );
    let out = tempfile::tempdir().unwrap();
    let err = build(dir.path(), &out.path().join("db"), &BuildOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("oracle-oval/broken.xml.bz2") && msg.contains("invalid XML"),
        "{msg}"
    );
}

#[test]
fn amazon_and_rocky_updateinfo() {
    let src = tempfile::tempdir().unwrap();
    let files = [
        "amazon/testdata/fixtures/updateinfo_2_items.xml.gz",
        "amazon/testdata/fixtures/updateinfo_AL2023.xml.gz",
        "rocky/testdata/fixtures/happy/updateinfo.xml",
    ];
    common::unpack(VLU, &files, src.path());
    let dir = tempfile::tempdir().unwrap();
    common::link(
        dir.path(),
        "amazon/2/updateinfo.xml.gz",
        &src.path().join(files[0]),
    );
    common::link(
        dir.path(),
        "amazon/2023/updateinfo.xml.gz",
        &src.path().join(files[1]),
    );
    common::link(
        dir.path(),
        "rocky/8/updateinfo.xml",
        &src.path().join(files[2]),
    );
    let (_t, db, report) = build_from(dir.path());

    let amazon = report
        .feeds
        .iter()
        .find(|f| f.name == "amazon-alas")
        .unwrap();
    assert_eq!(amazon.records, 3);
    let rows = db.affected("amzn:2", "qemu-img").unwrap();
    let r = row(&rows, "CVE-2017-5715");
    assert_eq!(r.fixed_version.as_deref(), Some("10:1.5.3-141.amzn2.5.3"));
    assert_eq!(r.advisory_ids, vec!["ALAS2-2018-942"]);
    assert_eq!(r.severity, Some(Severity::High));
    let rows = db.affected("amzn:2023", "rsyslog").unwrap();
    let r = row(&rows, "CVE-2022-24903");
    assert_eq!(r.fixed_version.as_deref(), Some("8.2204.0-3.amzn2023.0.2"));
    assert_eq!(r.advisory_ids, vec!["ALAS2023-2023-001"]);
    let mut aliases = db.aliases("ALAS2023-2023-001").unwrap();
    aliases.sort();
    assert_eq!(aliases, vec!["CVE-2014-3634", "CVE-2022-24903"]);

    let rocky = report
        .feeds
        .iter()
        .find(|f| f.name == "rocky-updateinfo")
        .unwrap();
    // 4 updates in the file, one of them a bug fix (not loaded)
    assert_eq!(rocky.records, 3);
    let rows = db.affected("rocky:8", "lz4").unwrap();
    let r = row(&rows, "CVE-2021-3520");
    assert_eq!(r.fixed_version.as_deref(), Some("1.8.3-3.el8_4"));
    assert_eq!(r.advisory_ids, vec!["RLSA-2021:2575"]);
    assert_eq!(r.severity, Some(Severity::Medium));
    assert!(db.affected("rocky:8", "firewalld").unwrap().is_empty());
    // module packages are keyed by their stream
    assert!(db.affected("rocky:8", "rubygem-bson").unwrap().is_empty());
    let rows = db.affected("rocky:8", "ruby:2.6/rubygem-bson").unwrap();
    let r = row(&rows, "CVE-2019-8324");
    assert_eq!(
        r.fixed_version.as_deref(),
        Some("4.3.0-2.module+el8.4.0+592+03ff458a")
    );
}

#[test]
fn broken_updateinfo_and_oval_name_the_file() {
    let src = tempfile::tempdir().unwrap();
    common::unpack(
        VLU,
        &["amazon/testdata/fixtures/updateinfo_invalid.xml.gz"],
        src.path(),
    );
    let dir = tempfile::tempdir().unwrap();
    common::link(
        dir.path(),
        "amazon/2/updateinfo.xml.gz",
        &src.path()
            .join("amazon/testdata/fixtures/updateinfo_invalid.xml.gz"),
    );
    let out = tempfile::tempdir().unwrap();
    let err = build(dir.path(), &out.path().join("db"), &BuildOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("amazon/2/updateinfo.xml.gz"), "{msg}");
    assert!(msg.contains("invalid XML"), "{msg}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("azurelinux-oval")).unwrap();
    std::fs::write(
        dir.path().join("azurelinux-oval/azurelinux-3.0-oval.xml"),
        "<oval_definitions><definitions><definition",
    )
    .unwrap();
    let err = build(dir.path(), &out.path().join("db"), &BuildOptions::default()).unwrap_err();
    assert!(err.to_string().contains("azurelinux-3.0-oval.xml"), "{err}");
    std::fs::write(
        dir.path().join("azurelinux-oval/azurelinux-3.0-oval.xml"),
        "<oval_definitions/>",
    )
    .unwrap();
    std::fs::rename(
        dir.path().join("azurelinux-oval/azurelinux-3.0-oval.xml"),
        dir.path().join("azurelinux-oval/oval.xml"),
    )
    .unwrap();
    let err = build(dir.path(), &out.path().join("db"), &BuildOptions::default()).unwrap_err();
    assert!(err.to_string().contains("names no release"), "{err}");
}

const CLAIRCORE: &str = "claircore-testdata.tar.gz";

#[test]
fn redhat_csaf_vex() {
    let src = tempfile::tempdir().unwrap();
    let files = [
        "rhel/vex/testdata/cve-2023-38545.json",
        "rhel/vex/testdata/cve-2022-38752.json",
        "rhel/vex/testdata/cve-2023-4154.json",
        "rhel/vex/testdata/delete_CVE-2023-0030.json",
    ];
    common::unpack(CLAIRCORE, &files, src.path());
    let dir = tempfile::tempdir().unwrap();
    for f in files {
        let name = Path::new(f)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let year = if name.contains("2022") {
            "2022"
        } else {
            "2023"
        };
        common::link(
            dir.path(),
            &format!("redhat-csaf/{year}/{name}"),
            &src.path().join(f),
        );
    }
    let (_t, db, report) = build_from(dir.path());
    let feed = report
        .feeds
        .iter()
        .find(|f| f.name == "redhat-csaf")
        .unwrap();
    assert_eq!(feed.files.len(), 4);
    // the deletion marker is not a VEX document
    assert_eq!(feed.records, 3);
    assert_eq!(
        report.warnings,
        vec![
            "redhat-csaf/2023/delete_CVE-2023-0030.json: no vulnerabilities (not a VEX document): skipped"
        ]
    );

    // curl in RHEL 9: fixed in 9.3 and in the 9.2 stream (both CPE enterprise_linux:9); the
    // 9.0 EUS stream (CPE rhel_eus) and the layered products are not RHEL rows
    let rows = db.affected("rhel:9", "curl").unwrap();
    let mut fixes: Vec<(String, Vec<String>)> = rows
        .iter()
        .map(|r| (r.fixed_version.clone().unwrap(), r.advisory_ids.clone()))
        .collect();
    fixes.sort();
    assert_eq!(
        fixes,
        vec![
            (
                "7.76.1-23.el9_2.4".to_string(),
                vec!["RHSA-2023:5763".to_string()]
            ),
            (
                "7.76.1-26.el9_3.2".to_string(),
                vec!["RHSA-2023:6745".to_string()]
            ),
        ]
    );
    for r in &rows {
        assert_eq!(
            (r.vuln_id.as_str(), r.status),
            ("CVE-2023-38545", FixStatus::Fixed)
        );
        assert_eq!(r.severity, Some(Severity::High));
        assert_eq!(r.source, "redhat-csaf");
        assert_eq!(r.ranges, fixed(r.fixed_version.as_deref().unwrap()));
    }
    // binaries are matched through their source RPM: no row for libcurl in RHEL 9
    assert!(db.affected("rhel:9", "libcurl").unwrap().is_empty());
    // RHEL 8: not affected
    let rows = db.affected("rhel:8", "curl").unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, FixStatus::NotAffected);
    assert!(
        db.affected("rhel:9", "jbcs-httpd24-curl")
            .unwrap()
            .is_empty()
    );
    let v = db.vulnerability("CVE-2023-38545").unwrap().unwrap();
    assert_eq!(
        v.summary.as_deref(),
        Some("curl: heap based buffer overflow in the SOCKS5 proxy handshake")
    );
    assert!(v.severities.iter().any(|s| s.source == "redhat-csaf"
        && s.cvss_vector.as_deref() == Some("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H")
        && s.score == Some(8.1)
        && s.severity == Severity::High));
    let mut aliases = db.aliases("CVE-2023-38545").unwrap();
    aliases.retain(|a| a.starts_with("RHSA-2023:5763") || a.starts_with("RHSA-2023:6745"));
    assert_eq!(aliases, vec!["RHSA-2023:5763", "RHSA-2023:6745"]);

    // snakeyaml in RHEL 7: affected, "Out of support scope"
    let rows = db.affected("rhel:7", "snakeyaml").unwrap();
    let r = row(&rows, "CVE-2022-38752");
    assert_eq!(r.status, FixStatus::EndOfLife);
    assert_eq!(r.ranges, vec![]);
    assert_eq!(r.severity, Some(Severity::Medium));

    // samba in RHEL 9 not affected by CVE-2023-4154
    let rows = db.affected("rhel:9", "samba").unwrap();
    assert_eq!(row(&rows, "CVE-2023-4154").status, FixStatus::NotAffected);
}

#[test]
fn suse_cvrf() {
    let src = tempfile::tempdir().unwrap();
    let files = [
        "suse/cvrf/testdata/cvrf/cvrf-suse-su-2019-1608-1.xml",
        "suse/cvrf/testdata/cvrf/cvrf-opensuse-su-2018-1633-1.xml",
        "suse/cvrf/testdata/cvrf/cvrf-suse-su-2019-3294-1.xml",
    ];
    common::unpack(VLU, &files, src.path());
    let dir = tempfile::tempdir().unwrap();
    for f in files {
        let name = Path::new(f)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        common::link(
            dir.path(),
            &format!("suse-cvrf/{name}"),
            &src.path().join(f),
        );
    }
    let (_t, db, report) = build_from(dir.path());
    let feed = report.feeds.iter().find(|f| f.name == "suse-cvrf").unwrap();
    assert_eq!(feed.records, 3);
    assert_eq!(report.warnings, Vec::<String>::new());

    // SLES 12 SP3 / SP4 and SAP 12 SP1–SP4 (Desktop and Legacy module too) → sles:12.x
    for ns in [
        "sles:12.1",
        "sles:12.2",
        "sles:12.3",
        "sles:12.4",
        "sles:12",
    ] {
        let rows = db.affected(ns, "libopenssl0_9_8").unwrap();
        let r = row(&rows, "CVE-2019-1559");
        assert_eq!(r.fixed_version.as_deref(), Some("0.9.8j-106.12.1"), "{ns}");
        assert_eq!(r.advisory_ids, vec!["SUSE-SU-2019:1608-1"]);
        assert_eq!(r.severity, Some(Severity::Medium));
        assert_eq!(r.source, "suse-cvrf");
    }
    // the 32-bit package is only in the Legacy module (12, no SP)
    assert_eq!(
        db.affected("sles:12", "libopenssl0_9_8-32bit")
            .unwrap()
            .len(),
        1
    );
    assert!(
        db.affected("sles:12.4", "libopenssl0_9_8-32bit")
            .unwrap()
            .is_empty()
    );
    // openSUSE Leap 15.0 glibc
    let rows = db.affected("opensuse-leap:15.0", "glibc").unwrap();
    assert_eq!(
        row(&rows, "CVE-2018-11237").fixed_version.as_deref(),
        Some("2.26-lp150.11.3.2")
    );
    // the Real Time kernel advisory: no sles rows (Real Time Extension is skipped)
    let conn = rusqlite::Connection::open(db_path_of(&_t)).unwrap();
    let rt: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM affected WHERE source = 'suse-cvrf' AND advisory_ids LIKE '%3294%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rt, 0);
    let mut aliases = db.aliases("SUSE-SU-2019:1608-1").unwrap();
    aliases.sort();
    assert_eq!(aliases, vec!["CVE-2019-1559"]);
}

#[test]
fn photon_oval() {
    let src = tempfile::tempdir().unwrap();
    let f = "photon/testdata/com.vmware.phsa-photon3.xml";
    common::unpack(CLAIRCORE, &[f], src.path());
    let dir = tempfile::tempdir().unwrap();
    common::link(
        dir.path(),
        "photon-oval/com.vmware.phsa-photon3.xml",
        &src.path().join(f),
    );
    let (_t, db, report) = build_from(dir.path());
    let feed = report
        .feeds
        .iter()
        .find(|f| f.name == "photon-oval")
        .unwrap();
    assert_eq!(feed.records, 222);
    assert_eq!(report.warnings, Vec::<String>::new());
    let rows = db.affected("photon:3.0", "sqlite-libs").unwrap();
    let r = row(&rows, "CVE-2019-16168");
    assert_eq!(r.fixed_version.as_deref(), Some("3.27.2-5.ph3"));
    assert_eq!(r.advisory_ids, vec!["PHSA-2020:00001"]);
    assert_eq!(r.severity, Some(Severity::High));
    assert_eq!(r.source, "photon-oval");
    assert_eq!(
        db.aliases("PHSA-2020:00001").unwrap(),
        vec!["CVE-2019-16168"]
    );
}

/// A minimal HTTP/1.1 server on 127.0.0.1 serving fixed paths (404 otherwise); stops when
/// dropped. Serves at most `limit` requests.
struct Server {
    addr: String,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(files: std::collections::HashMap<String, Vec<u8>>, limit: usize) -> Server {
        use std::io::{BufRead, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        // bodies may name the server itself (a mirror list): `{ADDR}` is replaced
        let files: std::collections::HashMap<String, Vec<u8>> = files
            .into_iter()
            .map(|(k, v)| match String::from_utf8(v) {
                Ok(t) => (k, t.replace("{ADDR}", &addr).into_bytes()),
                Err(e) => (k, e.into_bytes()),
            })
            .collect();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming().take(limit) {
                let Ok(mut conn) = conn else { continue };
                let mut reader = std::io::BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                if path == "/stop" {
                    break;
                }
                let (status, body) = match files.get(&path) {
                    Some(b) => (200, b.clone()),
                    None => (404, Vec::new()),
                };
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(&body);
            }
        });
        Server {
            addr,
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::net::TcpStream::connect(self.addr.trim_start_matches("http://")).and_then(
            |mut c| {
                use std::io::Write;
                c.write_all(b"GET /stop HTTP/1.1\r\n\r\n")
            },
        );
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `db update` for the RPM feeds against a local server: Azure Linux OVAL, Oracle OVAL (bzip2)
/// and Amazon Linux through its mirror list and the real `repomd.xml` sample.
#[test]
fn update_fetches_rpm_feeds_through_repomd() {
    use drydock_vulndb::{FeedUrls, UpdateOptions, update};
    let src = tempfile::tempdir().unwrap();
    let files = [
        "amazon/testdata/fixtures/repomd_valid.xml",
        "amazon/testdata/fixtures/updateinfo_2_items.xml.gz",
        "oracle/oval/testdata/all-positive-data.xml.bz2",
    ];
    common::unpack(VLU, &files, src.path());
    let read = |f: &str| std::fs::read(src.path().join(f)).unwrap();
    let repomd = String::from_utf8(read(files[0])).unwrap();
    let href = repomd
        .split("<data type=\"updateinfo\">")
        .nth(1)
        .unwrap()
        .split("<location href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let mut served = std::collections::HashMap::new();
    served.insert(
        "/al2/mirror.list".to_string(),
        b"# mirror list\n{ADDR}/al2/repo\n".to_vec(),
    );
    served.insert(
        "/al2/repo/repodata/repomd.xml".to_string(),
        repomd.into_bytes(),
    );
    served.insert(format!("/al2/repo/{href}"), read(files[1]));
    served.insert(
        "/oracle/com.oracle.elsa-all.xml.bz2".to_string(),
        read(files[2]),
    );
    served.insert(
        "/azure/azurelinux-3.0-oval.xml".to_string(),
        std::fs::read(common::feeds().join("azurelinux-oval/azurelinux-3.0-oval.xml")).unwrap(),
    );
    let server = Server::start(served, 64);
    let urls = FeedUrls {
        azurelinux_oval: format!("{}/azure", server.addr),
        oracle_oval: format!("{}/oracle", server.addr),
        amazon_mirror_lists: vec![("2".into(), format!("{}/al2/mirror.list", server.addr))],
        rocky: format!("{}/rocky", server.addr),
        ..FeedUrls::default()
    };
    let opts = UpdateOptions {
        alpine_branches: vec![],
        debian_tracker: false,
        debian_lists: false,
        osv_ecosystems: vec![],
        kev: false,
        azurelinux_oval: vec![
            "azurelinux-3.0-oval.xml".into(),
            "cbl-mariner-9.9-oval.xml".into(),
        ],
        rocky_releases: vec!["9".into()],
        rocky_repos: vec!["BaseOS".into()],
        photon_oval: vec![],
        redhat_csaf: false,
        rubysec: false,
        friendsofphp: false,
        nodejs_security_wg: false,
        epss: false,
        ..UpdateOptions::default()
    };
    let feeds = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let report = update(&urls, feeds.path(), &out.path().join("db.sqlite"), &opts).unwrap();
    let names: Vec<&str> = report.feeds.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, vec!["azurelinux-oval", "oracle-oval", "amazon-alas"]);
    let notes = &report.notes;
    assert!(
        notes
            .iter()
            .any(|n| n.ends_with("/azure/cbl-mariner-9.9-oval.xml: 404 Not Found, skipped")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n
            .ends_with("/rocky/9/BaseOS/x86_64/os/repodata/repomd.xml: 404 Not Found, skipped")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with(&format!("downloaded {}/al2/repo/{href} (", server.addr))),
        "{notes:?}"
    );
    assert!(feeds.path().join("amazon/2/updateinfo.xml.gz").is_file());
    let db = Db::open(&out.path().join("db.sqlite")).unwrap();
    let rows = db.affected("amzn:2", "qemu-img").unwrap();
    assert_eq!(
        row(&rows, "CVE-2017-5715").fixed_version.as_deref(),
        Some("10:1.5.3-141.amzn2.5.3")
    );
    assert_eq!(db.affected("ol:6", "dbus").unwrap().len(), 1);
    assert!(
        feeds
            .path()
            .join("oracle-oval/com.oracle.elsa-all.xml.bz2")
            .is_file()
    );
}

/// The build reads Red Hat's archive in place (claircore's recorded `csaf_vex_2023-10-31.tar.zst`,
/// five real documents): only the newest archive, a loose copy in place of the archive's,
/// deletions dated on or after the archive's date; a truncated archive stops the build naming
/// it. The `deletions.csv` rows are hand-written in Red Hat's format.
#[test]
fn redhat_csaf_archive_loose_copies_and_deletions() {
    let src = tempfile::tempdir().unwrap();
    let rel = "rhel/vex/testdata/server/csaf_vex_2023-10-31.tar.zst";
    common::unpack(CLAIRCORE, &[rel], src.path());
    let archive = std::fs::read(src.path().join(rel)).unwrap();
    // the archive's copy of CVE-2023-0051, to lay out as a loose file
    let mut ar = tar::Archive::new(zstd::stream::read::Decoder::new(&archive[..]).unwrap());
    let mut doc_0051 = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_string_lossy() == "2023/cve-2023-0051.json" {
            std::io::Read::read_to_end(&mut e, &mut doc_0051).unwrap();
        }
    }
    assert!(!doc_0051.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let rh = dir.path().join("redhat-csaf");
    std::fs::create_dir_all(rh.join("2023")).unwrap();
    std::fs::write(rh.join("csaf_vex_2023-10-31.tar.zst"), &archive).unwrap();
    // an older archive next to it is not read
    std::fs::write(rh.join("csaf_vex_2023-09-30.tar.zst"), &archive).unwrap();
    std::fs::write(rh.join("2023/cve-2023-0051.json"), &doc_0051).unwrap();
    std::fs::write(
        rh.join("deletions.csv"),
        "\"2023/cve-2023-0030.json\",\"2023-11-03T00:00:00+00:00\"\n\
         \"2023/cve-2023-0045.json\",\"2023-10-01T00:00:00+00:00\"\n\
         not a row\n",
    )
    .unwrap();
    std::fs::write(rh.join(".update-state.json"), "{}").unwrap();
    let (_t, db, report) = build_from(dir.path());
    let feed = report
        .feeds
        .iter()
        .find(|f| f.name == "redhat-csaf")
        .unwrap();
    assert_eq!(
        feed.files,
        [
            "redhat-csaf/csaf_vex_2023-10-31.tar.zst",
            "redhat-csaf/2023/cve-2023-0051.json"
        ]
    );
    // 0049, 0045 (deleted before the archive was built: not applied), 0044 from the archive,
    // 0051 from its loose copy; 0030 deleted since
    assert_eq!(feed.records, 4);
    assert_eq!(report.skipped, ["redhat-csaf/csaf_vex_2023-09-30.tar.zst"]);
    assert_eq!(
        report.warnings,
        ["redhat-csaf/deletions.csv: 1 line(s) not read (first: line 3)"]
    );
    assert!(
        report.notes.contains(
            &"redhat-csaf/csaf_vex_2023-10-31.tar.zst: 1 document(s) replaced by newer loose copies, 1 deleted since the archive was built".to_string()
        ),
        "{:?}",
        report.notes
    );
    assert!(db.vulnerability("CVE-2023-0030").unwrap().is_none());
    for id in [
        "CVE-2023-0044",
        "CVE-2023-0045",
        "CVE-2023-0049",
        "CVE-2023-0051",
    ] {
        assert!(db.vulnerability(id).unwrap().is_some(), "{id}");
    }

    // a truncated archive stops the build, naming it
    std::fs::write(
        rh.join("csaf_vex_2023-10-31.tar.zst"),
        &archive[..archive.len() - 40],
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let err = build(dir.path(), &out.path().join("db"), &BuildOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("redhat-csaf/csaf_vex_2023-10-31.tar.zst")
            && msg.contains("truncated or corrupt .tar.zst archive"),
        "{msg}"
    );
}
