//! The Debian tracker JSON export and DSA/DLA list samples from the fixture bundles (real
//! excerpts: there is no full copy of the tracker export in `../shared`).

mod common;

use std::path::Path;

use drydock_vulndb::{AffectedRecord, BuildOptions, Db, FixStatus, Severity, build};

const VUNNEL_DEBIAN: &str = "tests/unit/providers/debian/test-fixtures/input/debian.json";
const VUNNEL_DSA: &str = "tests/unit/providers/debian/test-fixtures/input/DSA";
const OSV_TRACKER_MOCK: &str = "vulnfeeds/test_data/debian/debian_security_tracker_mock.json";
const VLU_DSA: &str = "debian/tracker/testdata/happy/data/DSA/list";
const VLU_DLA: &str = "debian/tracker/testdata/happy/data/DLA/list";

/// A feed folder whose `debian/` holds `files` as `(name in debian/, path in unpacked)`.
fn debian_feed(unpacked: &Path, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, src) in files {
        common::link(dir.path(), &format!("debian/{name}"), &unpacked.join(src));
    }
    dir
}

fn get<'a>(rows: &'a [AffectedRecord], vuln: &str) -> &'a AffectedRecord {
    rows.iter()
        .find(|r| r.vuln_id == vuln)
        .unwrap_or_else(|| panic!("{vuln}"))
}

#[test]
fn vunnel_tracker_json_and_dsa_sample() {
    let fx = tempfile::tempdir().unwrap();
    common::unpack(
        "vunnel-test-fixtures.tar.gz",
        &[VUNNEL_DEBIAN, VUNNEL_DSA],
        fx.path(),
    );
    let feeds = debian_feed(
        fx.path(),
        &[("tracker.json", VUNNEL_DEBIAN), ("DSA.list", VUNNEL_DSA)],
    );
    let out = feeds.path().join("db.sqlite");
    let report = build(feeds.path(), &out, &BuildOptions::default()).unwrap();
    assert_eq!(report.warning_count, 0, "{:?}", report.warnings);
    let tracker = report
        .feeds
        .iter()
        .find(|f| f.name == "debian-tracker")
        .unwrap();
    // 7 (package, CVE) pairs; 25 (release) entries in total.
    assert_eq!(tracker.records, 7);
    assert_eq!(tracker.affected_rows, 25);
    assert_eq!(tracker.files, ["debian/tracker.json"]);
    let db = Db::open(&out).unwrap();

    // prototypejs CVE-2008-7220: resolved, fixed_version 1.6.0.2-1, urgency "high**".
    for ns in ["debian:8", "debian:9", "debian:10", "debian:sid"] {
        let rows = db.affected(ns, "prototypejs").unwrap();
        let r = get(&rows, "CVE-2008-7220");
        assert_eq!(r.status, FixStatus::Fixed, "{ns}");
        assert_eq!(r.fixed_version.as_deref(), Some("1.6.0.2-1"));
        assert_eq!(r.ranges[0].introduced.as_deref(), Some("0"));
        assert_eq!(r.severity, Some(Severity::High));
        assert_eq!(r.source, "debian-tracker");
        // CVE-2007-2383: resolved with fixed_version "0", urgency unimportant.
        let r = get(&rows, "CVE-2007-2383");
        assert_eq!(r.status, FixStatus::NotAffected);
        assert_eq!(r.fixed_version, None);
        assert!(r.ranges.is_empty());
        assert_eq!(r.severity, Some(Severity::Negligible));
    }
    let v = db.vulnerability("CVE-2008-7220").unwrap().unwrap();
    assert!(
        v.summary
            .unwrap()
            .starts_with("Unspecified vulnerability in Prototype JavaScript framework")
    );
    assert_eq!(v.severities.len(), 1);
    assert_eq!(v.severities[0].source, "debian-tracker");
    assert_eq!(v.severities[0].severity, Severity::High);

    // txt2man CVE-2013-1444 "low**" → Low.
    let r = &db.affected("debian:10", "txt2man").unwrap()[0];
    assert_eq!(
        (r.vuln_id.as_str(), r.severity),
        ("CVE-2013-1444", Some(Severity::Low))
    );
    assert_eq!(r.fixed_version.as_deref(), Some("1.5.5-4.1"));

    // chromium CVE-2022-0456: bookworm resolved 98.0.4758.80-1 "not yet assigned";
    // buster and stretch open with urgency end-of-life.
    let r = &db.affected("debian:12", "chromium").unwrap()[0];
    assert_eq!(r.status, FixStatus::Fixed);
    assert_eq!(r.fixed_version.as_deref(), Some("98.0.4758.80-1"));
    assert_eq!(r.severity, None);
    let r = &db.affected("debian:11", "chromium").unwrap()[0];
    assert_eq!(r.fixed_version.as_deref(), Some("98.0.4758.80-1~deb11u1"));
    for ns in ["debian:9", "debian:10"] {
        let r = &db.affected(ns, "chromium").unwrap()[0];
        assert_eq!(r.status, FixStatus::EndOfLife, "{ns}");
        assert!(r.ranges.is_empty());
        assert_eq!(r.severity, None);
    }
    // chromium-browser CVE-2022-0358 has `"releases": []`: known, no rows.
    assert!(
        db.affected("debian:11", "chromium-browser")
            .unwrap()
            .is_empty()
    );
    assert!(db.vulnerability("CVE-2022-0358").unwrap().is_some());

    // sope CVE-2025-53603: tracker trixie 5.12.1-2; DSA sample DSA-5970-1 bookworm.
    let r = &db.affected("debian:13", "sope").unwrap()[0];
    assert_eq!(r.fixed_version.as_deref(), Some("5.12.1-2"));
    let rows = db.affected("debian:12", "sope").unwrap();
    assert_eq!(rows.len(), 2);
    let dsa = rows.iter().find(|r| r.source == "debian-dsa").unwrap();
    assert_eq!(dsa.fixed_version.as_deref(), Some("5.8.0-1+deb12u1"));
    assert_eq!(dsa.advisory_ids, ["DSA-5970-1"]);

    // DSA sample: "DSA-141 mpack" (old id without revision), [woody] - mpack 1.5-7woody2.
    let r = &db.affected("debian:3.0", "mpack").unwrap()[0];
    assert_eq!(r.vuln_id, "CVE-2002-1425");
    assert_eq!(r.advisory_ids, ["DSA-141"]);
    assert_eq!(r.fixed_version.as_deref(), Some("1.5-7woody2"));
    // DSA-140: two packages for one release.
    assert_eq!(db.affected("debian:3.0", "libpng").unwrap().len(), 2);
    assert_eq!(db.affected("debian:3.0", "libpng3").unwrap().len(), 2);
    // DSA-2808-2 openjpeg has no CVE line: the advisory is the id, per release.
    let r = &db.affected("debian:7", "openjpeg").unwrap()[0];
    assert_eq!(
        (r.vuln_id.as_str(), r.fixed_version.as_deref()),
        ("DSA-2808-2", Some("1.3+dfsg-4.8"))
    );
    let r = &db.affected("debian:6", "openjpeg").unwrap()[0];
    assert_eq!(r.fixed_version.as_deref(), Some("1.3+dfsg-4+squeeze3"));
    let dsa = report
        .feeds
        .iter()
        .find(|f| f.name == "debian-dsa")
        .unwrap();
    assert_eq!(dsa.records, 10);
    assert_eq!(dsa.newest_date.as_deref(), Some("2025-07-31"));
}

#[test]
fn osv_dev_tracker_mock() {
    let fx = tempfile::tempdir().unwrap();
    common::unpack(
        "osv.dev-vulnfeeds-test_data.tar.gz",
        &[OSV_TRACKER_MOCK],
        fx.path(),
    );
    let feeds = debian_feed(fx.path(), &[("tracker.json", OSV_TRACKER_MOCK)]);
    let out = feeds.path().join("db.sqlite");
    build(feeds.path(), &out, &BuildOptions::default()).unwrap();
    let db = Db::open(&out).unwrap();
    // apparmor CVE-2016-1585: bookworm "open", urgency unimportant; sid resolved 3.0.12-1.
    let rows = db.affected("debian:12", "apparmor").unwrap();
    let r = get(&rows, "CVE-2016-1585");
    assert_eq!(r.status, FixStatus::NotFixed);
    assert!(r.ranges.is_empty());
    assert_eq!(r.severity, Some(Severity::Negligible));
    assert_eq!(get(&rows, "CVE-2014-1424").status, FixStatus::NotAffected);
    assert_eq!(
        get(&rows, "CVE-2017-6507").fixed_version.as_deref(),
        Some("2.11.0-3")
    );
    let rows = db.affected("debian:sid", "apparmor").unwrap();
    assert_eq!(
        get(&rows, "CVE-2016-1585").fixed_version.as_deref(),
        Some("3.0.12-1")
    );
}

/// HAND-WRITTEN in the tracker export's format: none of the real samples has `nodsa_reason`,
/// `undetermined`, an unknown release or a malformed entry. The CVE ids are invented
/// (`CVE-0000-…`) so they cannot be mistaken for advisory facts.
const HAND_WRITTEN_TRACKER: &str = r#"{
  "pkg-a": {
    "CVE-0000-0001": {
      "description": "hand-written test entry",
      "releases": {
        "bookworm": {"status": "open", "urgency": "low", "nodsa": "Minor issue", "nodsa_reason": "ignored", "repositories": {"bookworm": "1.0-1"}},
        "bullseye": {"status": "open", "urgency": "low*", "nodsa": "Minor issue", "nodsa_reason": "postponed", "repositories": {"bullseye": "1.0-1"}},
        "trixie": {"status": "undetermined", "urgency": "not yet assigned", "repositories": {"trixie": "1.0-1"}},
        "sid": {"status": "resolved", "fixed_version": "1.0-2", "urgency": "low", "repositories": {"sid": "1.0-2"}},
        "hamm2": {"status": "open", "urgency": "low", "repositories": {}}
      }
    },
    "CVE-0000-0002": "not an object"
  }
}"#;

#[test]
fn tracker_status_rules_hand_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("debian")).unwrap();
    std::fs::write(dir.path().join("debian/tracker.json"), HAND_WRITTEN_TRACKER).unwrap();
    let out = dir.path().join("db.sqlite");
    let report = build(dir.path(), &out, &BuildOptions::default()).unwrap();
    // The unknown release and the malformed entry are warnings, not errors.
    assert_eq!(report.warning_count, 2, "{:?}", report.warnings);
    assert!(report.warnings.iter().any(|w| w.contains("hamm2")));
    assert!(report.warnings.iter().any(|w| w.contains("CVE-0000-0002")));
    let db = Db::open(&out).unwrap();
    let one = |ns: &str| db.affected(ns, "pkg-a").unwrap().remove(0);
    assert_eq!(one("debian:12").status, FixStatus::WontFix);
    assert_eq!(one("debian:11").status, FixStatus::NotFixed);
    assert_eq!(one("debian:11").severity, Some(Severity::Low));
    assert_eq!(one("debian:13").status, FixStatus::NotFixed);
    assert_eq!(one("debian:13").severity, None);
    assert_eq!(one("debian:sid").status, FixStatus::Fixed);
}

#[test]
fn vuln_list_update_list_samples() {
    // Trimmed real lists: both lack their final newline, the DLA one has a malformed header
    // (all warnings; the rest is read).
    let fx = tempfile::tempdir().unwrap();
    common::unpack(
        "vuln-list-update-testdata.tar.gz",
        &[VLU_DSA, VLU_DLA],
        fx.path(),
    );
    let feeds = debian_feed(fx.path(), &[("DSA.list", VLU_DSA), ("DLA.list", VLU_DLA)]);
    let out = feeds.path().join("db.sqlite");
    let report = build(feeds.path(), &out, &BuildOptions::default()).unwrap();
    assert_eq!(report.warning_count, 3, "{:?}", report.warnings);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("debian/DSA.list") && w.contains("truncated"))
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("debian/DLA.list:4"))
    );
    let db = Db::open(&out).unwrap();
    // [buster] - redis 5:5.0.3-4+deb10u1 is the unterminated last line.
    let rows = db.affected("debian:10", "redis").unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r.fixed_version.as_deref() == Some("5:5.0.3-4+deb10u1"))
    );
    let rows = db.affected("debian:9", "thunderbird").unwrap();
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r.advisory_ids == ["DLA-2711-1"]));
}
