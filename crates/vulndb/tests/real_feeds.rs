//! Build from the real feeds in `../shared/feeds` and check the DB against what the feed files
//! say. Every expected value below was read from the named feed file.

mod common;

use drydock_vulndb::{AffectedRecord, Db, FixStatus, Range, Severity};

fn db() -> Db {
    Db::open(&common::full().db).expect("open built DB")
}

fn row<'a>(rows: &'a [AffectedRecord], vuln: &str) -> &'a AffectedRecord {
    rows.iter().find(|r| r.vuln_id == vuln).unwrap_or_else(|| {
        panic!(
            "{vuln} not in {:?}",
            rows.iter().map(|r| &r.vuln_id).collect::<Vec<_>>()
        )
    })
}

fn fixed_range(v: &str) -> Vec<Range> {
    vec![Range {
        introduced: Some("0".into()),
        fixed: Some(v.into()),
        ..Range::default()
    }]
}

#[test]
fn build_time_and_size() {
    let b = common::full();
    let r = &b.report;
    println!(
        "shared/feeds: {:.2} s (debug profile), {} bytes ({:.1} MiB), {} affected rows, {} vulnerabilities",
        r.elapsed.as_secs_f64(),
        r.db_bytes,
        r.db_bytes as f64 / 1048576.0,
        r.affected_rows,
        r.vulnerabilities
    );
    assert_eq!(r.db_bytes, std::fs::metadata(&b.db).unwrap().len());
    assert_eq!(r.warning_count, 0, "warnings: {:?}", r.warnings);
    // Feed folders present in shared/feeds that this version does not parse.
    assert_eq!(r.skipped, ["wolfi"]);
    // 17 Go + 10 PyPI + 13 crates.io records carry `withdrawn`.
    assert_eq!(r.withdrawn_skipped, 40);
    // 1,394 GIT ranges in PyPI (1,391) and the samples (3).
    assert_eq!(r.git_ranges_dropped, 1394);
}

#[test]
fn alpine_320_openssl_matches_secdb() {
    // alpine-secdb/v3.20/main.json, package openssl: 78 ids, 5 of them under "0".
    let rows = db().affected("alpine:3.20", "openssl").unwrap();
    assert_eq!(rows.len(), 78);
    assert_eq!(
        rows.iter()
            .filter(|r| r.status == FixStatus::NotAffected)
            .count(),
        5
    );

    let r = row(&rows, "CVE-2024-13176");
    assert_eq!(r.status, FixStatus::Fixed);
    assert_eq!(r.fixed_version.as_deref(), Some("3.3.2-r2"));
    assert_eq!(r.ranges, fixed_range("3.3.2-r2"));
    assert_eq!(r.source, "alpine-secdb");
    assert_eq!(r.namespace, "alpine:3.20");
    assert_eq!(r.package, "openssl");
    assert_eq!(r.severity, None);

    assert_eq!(
        row(&rows, "CVE-2022-0778").fixed_version.as_deref(),
        Some("3.0.2-r0")
    );
    assert_eq!(
        row(&rows, "CVE-2023-3817").fixed_version.as_deref(),
        Some("3.1.2-r0")
    );
    assert_eq!(
        row(&rows, "CVE-2026-31790").fixed_version.as_deref(),
        Some("3.3.7-r0")
    );
    for id in ["CVE-2025-9230", "CVE-2025-9231", "CVE-2025-9232"] {
        assert_eq!(row(&rows, id).fixed_version.as_deref(), Some("3.3.5-r0"));
    }

    // "0": ["CVE-2022-1292", ...] → not affected, no range.
    let r = row(&rows, "CVE-2022-1292");
    assert_eq!(r.status, FixStatus::NotAffected);
    assert_eq!(r.fixed_version, None);
    assert!(r.ranges.is_empty());

    let busybox = db().affected("alpine:3.20", "busybox").unwrap();
    assert_eq!(busybox.len(), 31);
    assert_eq!(
        row(&busybox, "CVE-2021-42373").status,
        FixStatus::NotAffected
    );
    assert_eq!(
        row(&busybox, "CVE-2022-28391").fixed_version.as_deref(),
        Some("1.35.0-r7")
    );
    // "1.35.0-r7": ["ALPINE-13661", "CVE-2022-28391"]: separate entries, both kept.
    assert_eq!(
        row(&busybox, "ALPINE-13661").fixed_version.as_deref(),
        Some("1.35.0-r7")
    );
    assert_eq!(db().affected("alpine:3.20", "musl").unwrap().len(), 6);
    assert_eq!(db().affected("alpine:3.20", "zlib").unwrap().len(), 4);
    assert!(
        db().affected("alpine:3.20", "no-such-package")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn alpine_secfix_text_is_split_into_ids() {
    let db = db();
    // v3.9/main.json xen "4.11.0-r0": ["CVE-2018-12892  XSA-266", ...]
    let xen = db.affected("alpine:3.9", "xen").unwrap();
    assert_eq!(
        row(&xen, "CVE-2018-12892").fixed_version.as_deref(),
        Some("4.11.0-r0")
    );
    assert!(
        db.aliases("CVE-2018-12892")
            .unwrap()
            .contains(&"XSA-266".to_string())
    );
    assert_eq!(db.aliases("XSA-266").unwrap(), ["CVE-2018-12892"]);
    // "4.11.2-r0": ["CVE-????-?????  XSA-295"] → the XSA id is the row.
    assert_eq!(
        row(&xen, "XSA-295").fixed_version.as_deref(),
        Some("4.11.2-r0")
    );
    // v3.9/main.json ansible "2.7.3-r0": ["CVE 2018-16859"] (a space for the dash).
    let ansible = db.affected("alpine:3.9", "ansible").unwrap();
    assert_eq!(
        row(&ansible, "CVE-2018-16859").fixed_version.as_deref(),
        Some("2.7.3-r0")
    );
    // v3.9/community.json exim lists CVE-2018-6789 under 4.90.1-r0 and 4.91-r0: one row, the
    // higher version.
    let exim = db.affected("alpine:3.9", "exim").unwrap();
    let r = row(&exim, "CVE-2018-6789");
    assert_eq!(
        exim.iter().filter(|r| r.vuln_id == "CVE-2018-6789").count(),
        1
    );
    assert_eq!(r.fixed_version.as_deref(), Some("4.91-r0"));
}

#[test]
fn alpine_legacy_yaml_gives_the_same_rows_as_json() {
    // The JSON of v3.3–v3.11 was converted from this YAML: reading either must give the same DB.
    let mut json_rels = Vec::new();
    let mut yaml_rels = Vec::new();
    for b in 3..=11 {
        for repo in ["main", "community"] {
            json_rels.push(format!("alpine-secdb/v3.{b}/{repo}.json"));
            yaml_rels.push(format!("alpine-secdb-legacy/v3.{b}/{repo}.yaml"));
        }
    }
    let j = common::feed_dir(&json_rels.iter().map(String::as_str).collect::<Vec<_>>());
    let y = common::feed_dir(&yaml_rels.iter().map(String::as_str).collect::<Vec<_>>());
    let opts = drydock_vulndb::BuildOptions::default();
    let jdb = j.path().join("j.sqlite");
    let ydb = y.path().join("y.sqlite");
    let jr = drydock_vulndb::build(j.path(), &jdb, &opts).unwrap();
    let yr = drydock_vulndb::build(y.path(), &ydb, &opts).unwrap();
    assert_eq!(jr.feeds[0].records, yr.feeds[0].records);
    let (jrows, yrows) = (common::dump_affected(&jdb), common::dump_affected(&ydb));
    assert!(jrows.len() > 11_000, "{}", jrows.len());
    assert_eq!(jrows, yrows);

    // Both present: the JSON wins, nothing is inserted twice.
    let both = common::feed_dir(&[
        "alpine-secdb/v3.9/main.json",
        "alpine-secdb-legacy/v3.9/main.yaml",
    ]);
    let bdb = both.path().join("b.sqlite");
    let br = drydock_vulndb::build(both.path(), &bdb, &opts).unwrap();
    assert_eq!(br.feeds[0].files, ["alpine-secdb/v3.9/main.json"]);
    assert!(
        br.notes
            .iter()
            .any(|n| n.contains("alpine-secdb-legacy/v3.9/main.yaml"))
    );
    let only = common::feed_dir(&["alpine-secdb/v3.9/main.json"]);
    let odb = only.path().join("o.sqlite");
    drydock_vulndb::build(only.path(), &odb, &opts).unwrap();
    assert_eq!(common::dump_affected(&bdb), common::dump_affected(&odb));
}

#[test]
fn debian_dsa_dla_dtsa_lists() {
    let db = db();
    // DSA.list: [29 Mar 2023] DSA-5380-1 xorg-server / {CVE-2023-1393} /
    //           [bullseye] - xorg-server 2:1.20.11-1+deb11u6
    let rows = db.affected("debian:11", "xorg-server").unwrap();
    let r = rows
        .iter()
        .find(|r| r.vuln_id == "CVE-2023-1393" && r.source == "debian-dsa")
        .unwrap();
    assert_eq!(r.status, FixStatus::Fixed);
    assert_eq!(r.fixed_version.as_deref(), Some("2:1.20.11-1+deb11u6"));
    assert_eq!(r.ranges, fixed_range("2:1.20.11-1+deb11u6"));
    assert_eq!(r.advisory_ids, ["DSA-5380-1"]);
    // DLA.list: DLA-3372-1 xorg-server [buster] - xorg-server 2:1.20.4-1+deb10u9
    let rows = db.affected("debian:10", "xorg-server").unwrap();
    let r = rows
        .iter()
        .find(|r| r.vuln_id == "CVE-2023-1393" && r.source == "debian-dla")
        .unwrap();
    assert_eq!(r.fixed_version.as_deref(), Some("2:1.20.4-1+deb10u9"));
    assert_eq!(r.advisory_ids, ["DLA-3372-1"]);

    // DSA-5378-1 xen: five CVEs, one row each, same fix.
    let xen = db.affected("debian:11", "xen").unwrap();
    for cve in [
        "CVE-2022-23824",
        "CVE-2022-42331",
        "CVE-2022-42332",
        "CVE-2022-42333",
        "CVE-2022-42334",
    ] {
        let r = xen
            .iter()
            .find(|r| r.vuln_id == cve && r.advisory_ids == ["DSA-5378-1"])
            .unwrap();
        assert_eq!(r.fixed_version.as_deref(), Some("4.14.5+94-ge49571868d-1"));
    }

    // DSA-5356-2 sox lists no CVE: the advisory id is the row's id.
    let sox = db.affected("debian:11", "sox").unwrap();
    let r = row(&sox, "DSA-5356-2");
    assert_eq!(
        r.fixed_version.as_deref(),
        Some("14.4.2+git20190427-2+deb11u2")
    );

    // CVE-2022-3201 is listed by DSA-5230-1 (105.0.5195.125-1~deb11u1) and again by
    // DSA-5244-1 (106.…): one row, the first fix, both advisories.
    let chromium = db.affected("debian:11", "chromium").unwrap();
    let r = row(&chromium, "CVE-2022-3201");
    assert_eq!(r.fixed_version.as_deref(), Some("105.0.5195.125-1~deb11u1"));
    assert_eq!(r.advisory_ids, ["DSA-5230-1", "DSA-5244-1"]);

    // [woody] - mantis <not-affected> (DSA-944-1), [jessie] - virtualbox <end-of-life>.
    let mantis = db.affected("debian:3.0", "mantis").unwrap();
    let r = row(&mantis, "CVE-2005-4238");
    assert_eq!(r.status, FixStatus::NotAffected);
    assert!(r.ranges.is_empty());
    let vbox = db.affected("debian:8", "virtualbox").unwrap();
    assert_eq!(row(&vbox, "DSA-3699-1").status, FixStatus::EndOfLife);

    // DTSA.list: [August 26th, 2005] DTSA-1-1 kismet / [etch] - kismet 2005.08.R1-0.1etch1 (high)
    let kismet = db.affected("debian:4", "kismet").unwrap();
    let r = row(&kismet, "CVE-2005-2626");
    assert_eq!(r.source, "debian-dtsa");
    assert_eq!(r.severity, Some(Severity::High));
    assert_eq!(r.fixed_version.as_deref(), Some("2005.08.R1-0.1etch1"));

    // Advisory ids and CVEs are aliases of each other, both ways.
    assert_eq!(db.aliases("DSA-5380-1").unwrap(), ["CVE-2023-1393"]);
    let v = db.vulnerability("CVE-2023-1393").unwrap().unwrap();
    // (AlmaLinux advisories name it too.)
    assert!(
        v.aliases.contains(&"DSA-5380-1".to_string()),
        "{:?}",
        v.aliases
    );
    assert!(
        v.aliases.contains(&"DLA-3372-1".to_string()),
        "{:?}",
        v.aliases
    );
    let v = db.vulnerability("DSA-5380-1").unwrap().unwrap();
    assert_eq!(v.summary.as_deref(), Some("xorg-server - security update"));
    assert_eq!(v.published.as_deref(), Some("2023-03-29"));
}

#[test]
fn info_reports_feeds() {
    let info = db().info().unwrap();
    assert_eq!(info.schema_version, drydock_vulndb::SCHEMA_VERSION);
    assert!(info.builder.starts_with("drydock-vulndb "));
    assert!(info.built_at.len() >= 20, "{}", info.built_at);
    let feed = |n: &str| {
        info.feeds
            .iter()
            .find(|f| f.name == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    // DATA-MANIFEST.md: 5,406 DSA / 3,534 DLA / 208 DTSA, newest 2023-04-01.
    assert_eq!(feed("debian-dsa").records, 5406);
    assert_eq!(feed("debian-dla").records, 3534);
    assert_eq!(feed("debian-dtsa").records, 208);
    assert_eq!(
        feed("debian-dsa").newest_date.as_deref(),
        Some("2023-03-29")
    );
    assert_eq!(
        feed("debian-dla").newest_date.as_deref(),
        Some("2023-04-01")
    );
    assert_eq!(feed("debian-dsa").files, ["debian/DSA.list"]);
    // OSV: records = non-withdrawn records (manifest count minus the `withdrawn` ones).
    assert_eq!(feed("osv/Go").records, 4291 - 17);
    assert_eq!(feed("osv/PyPI").records, 2661 - 10);
    assert_eq!(feed("osv/crates.io").records, 1206 - 13);
    assert_eq!(feed("osv/AlmaLinux").records, 5637);
    assert_eq!(feed("osv/Maven").records, 363);
    // Go dates are placeholders: no newest date rather than 0001-01-01.
    assert_eq!(feed("osv/Go").newest_date, None);
    assert_eq!(
        feed("osv/crates.io").newest_date.as_deref(),
        Some("2026-08-21")
    );
    assert_eq!(feed("osv/PyPI").newest_date.as_deref(), Some("2024-10-10"));
    assert_eq!(feed("kev").records, 1404);
    assert_eq!(feed("kev").newest_date.as_deref(), Some("2025-08-25"));
    assert_eq!(feed("alpine-secdb").newest_date, None);
    let sum: u64 = info.feeds.iter().map(|f| f.affected_rows).sum();
    assert_eq!(sum, info.affected_rows);
}

#[test]
fn osv_go_record() {
    let db = db();
    // Go/all.zip GO-2022-0969: stdlib introduced 0 fixed 1.18.6, introduced 1.19.0-0 fixed 1.19.1.
    let std = db.affected("go", "stdlib").unwrap();
    let r = row(&std, "GO-2022-0969");
    assert_eq!(r.status, FixStatus::Fixed);
    assert_eq!(r.fixed_version.as_deref(), Some("1.18.6"));
    assert_eq!(
        r.ranges,
        vec![
            Range {
                introduced: Some("0".into()),
                fixed: Some("1.18.6".into()),
                ..Range::default()
            },
            Range {
                introduced: Some("1.19.0-0".into()),
                fixed: Some("1.19.1".into()),
                ..Range::default()
            },
        ]
    );
    assert_eq!(r.source, "osv:go");
    assert_eq!(r.advisory_ids, ["GO-2022-0969"]);
    let xnet = db.affected("go", "golang.org/x/net").unwrap();
    assert_eq!(
        row(&xnet, "GO-2022-0969").fixed_version.as_deref(),
        Some("0.0.0-20220906165146-f3363e06e74c")
    );
    let v = db.vulnerability("GO-2022-0969").unwrap().unwrap();
    assert_eq!(v.aliases, ["CVE-2022-27664", "GHSA-69cg-p879-7622"]);
    assert_eq!(
        v.summary.as_deref(),
        Some("Denial of service in net/http and golang.org/x/net/http2")
    );
    assert_eq!(v.published.as_deref(), Some("2022-09-12T20:23:06Z"));
    assert_eq!(v.modified, None, "0001-01-01 placeholder dropped");
    assert!(
        v.references
            .contains(&"https://go.dev/issue/54658".to_string())
    );
    // The alias is queryable from the CVE side.
    assert!(
        db.aliases("CVE-2022-27664")
            .unwrap()
            .contains(&"GO-2022-0969".to_string())
    );
    // Withdrawn records are not loaded.
    assert!(db.vulnerability("GO-2022-0617").unwrap().is_none());
}

#[test]
fn osv_pypi_names_are_pep503() {
    let db = db();
    // PyPI/all.zip PYSEC-2020-341: package "jw.util", introduced 0 fixed 2.3, 37 versions.
    for asked in ["jw.util", "jw-util", "JW_Util"] {
        let rows = db.affected("pypi", asked).unwrap();
        let r = row(&rows, "PYSEC-2020-341");
        assert_eq!(r.package, "jw-util");
        assert_eq!(r.fixed_version.as_deref(), Some("2.3"));
        assert_eq!(r.versions.len(), 37);
        assert_eq!(r.versions[1], "1.0a");
    }
    let v = db.vulnerability("PYSEC-2020-341").unwrap().unwrap();
    // No `summary` in the record: the details are shown.
    assert!(
        v.summary
            .unwrap()
            .starts_with("An exploitable vulnerability exists")
    );
    assert_eq!(v.aliases, ["CVE-2020-13388", "GHSA-h72c-w3q3-55qq"]);
}

#[test]
fn osv_cvss_and_text_severities() {
    let db = db();
    // crates.io RUSTSEC-2016-0001: CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H = 8.1 High.
    let v = db.vulnerability("RUSTSEC-2016-0001").unwrap().unwrap();
    assert_eq!(v.severities.len(), 1);
    let s = &v.severities[0];
    assert_eq!(s.source, "osv:crates.io");
    assert_eq!(
        s.cvss_vector.as_deref(),
        Some("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H")
    );
    assert_eq!(s.score, Some(8.1));
    assert_eq!(s.severity, Severity::High);
    let rows = db.affected("crates.io", "openssl").unwrap();
    assert_eq!(
        row(&rows, "RUSTSEC-2016-0001").severity,
        Some(Severity::High)
    );

    // _samples GHSA-qppj-fm5r-hxr3: database_specific MODERATE, CVSS 3.1 (5.3) and CVSS 4.0.
    let v = db.vulnerability("GHSA-qppj-fm5r-hxr3").unwrap().unwrap();
    let by_vec = |prefix: &str| {
        v.severities.iter().find(|s| {
            s.cvss_vector
                .as_deref()
                .is_some_and(|x| x.starts_with(prefix))
        })
    };
    assert_eq!(by_vec("CVSS:3.1").unwrap().score, Some(5.3));
    assert_eq!(by_vec("CVSS:3.1").unwrap().severity, Severity::Medium);
    assert_eq!(by_vec("CVSS:4.0").unwrap().severity, Severity::Unknown);
    assert_eq!(by_vec("CVSS:4.0").unwrap().score, None);
    assert!(
        v.severities
            .iter()
            .any(|s| s.cvss_vector.is_none() && s.severity == Severity::Medium)
    );
    assert!(v.aliases.contains(&"CVE-2023-44487".to_string()));
    let rows = db
        .affected("maven", "org.apache.tomcat:tomcat-coyote")
        .unwrap();
    let r = row(&rows, "GHSA-qppj-fm5r-hxr3");
    assert_eq!(
        r.ranges.len(),
        1,
        "one affected[] entry per range in this record"
    );
    assert_eq!(r.severity, Some(Severity::Medium));
    let coyote: Vec<_> = rows
        .iter()
        .filter(|r| r.vuln_id == "GHSA-qppj-fm5r-hxr3")
        .collect();
    assert_eq!(coyote.len(), 4);
    // last_affected ranges: akka-http-core_2.11 introduced 0, last_affected 10.1.15 → not fixed.
    let rows = db
        .affected("maven", "com.typesafe.akka:akka-http-core_2.11")
        .unwrap();
    let r = row(&rows, "GHSA-qppj-fm5r-hxr3");
    assert_eq!(r.status, FixStatus::NotFixed);
    assert_eq!(r.ranges[0].last_affected.as_deref(), Some("10.1.15"));
}

#[test]
fn osv_distro_records() {
    let db = db();
    // AlmaLinux/all.zip ALSA-2025:10073: firefox on AlmaLinux:10 fixed 128.12.0-1.el10_0;
    // the CVEs are listed under `related` and become aliases.
    let rows = db.affected("almalinux:10", "firefox").unwrap();
    let r = row(&rows, "ALSA-2025:10073");
    assert_eq!(r.fixed_version.as_deref(), Some("128.12.0-1.el10_0"));
    assert_eq!(r.source, "osv:almalinux");
    let v = db.vulnerability("ALSA-2025:10073").unwrap().unwrap();
    assert_eq!(
        v.aliases,
        [
            "CVE-2025-6424",
            "CVE-2025-6425",
            "CVE-2025-6429",
            "CVE-2025-6430"
        ]
    );
    assert_eq!(
        v.summary.as_deref(),
        Some("Important: firefox security update")
    );

    // _samples UBUNTU-CVE-2025-38094: Ubuntu:Pro:14.04:LTS linux, severity type "Ubuntu" medium,
    // upstream CVE-2025-38094.
    let rows = db.affected("ubuntu-pro:14.04", "linux").unwrap();
    let r = row(&rows, "UBUNTU-CVE-2025-38094");
    assert_eq!(r.status, FixStatus::NotFixed);
    assert_eq!(r.severity, Some(Severity::Medium));
    assert_eq!(r.source, "osv:ubuntu-pro");
    assert_eq!(
        db.aliases("UBUNTU-CVE-2025-38094").unwrap(),
        ["CVE-2025-38094"]
    );

    // _samples CVE-2024-1013: Debian:10 unixodbc, urgency unimportant, no fix.
    let rows = db.affected("debian:10", "unixodbc").unwrap();
    let r = row(&rows, "CVE-2024-1013");
    assert_eq!(r.status, FixStatus::NotFixed);
    assert_eq!(r.severity, Some(Severity::Negligible));
    assert!(r.ranges[0].fixed.is_none());

    // _samples CVE-2022-27449: Alpine:v3.15 mariadb fixed 10.6.8-r0.
    let rows = db.affected("alpine:3.15", "mariadb").unwrap();
    assert_eq!(
        row(&rows, "CVE-2022-27449").fixed_version.as_deref(),
        Some("10.6.8-r0")
    );
}

#[test]
fn kev_is_joined() {
    let db = db();
    let v = db.vulnerability("CVE-2025-48384").unwrap().unwrap();
    let kev = v.kev.unwrap();
    assert_eq!(kev.date_added, "2025-08-25");
    assert_eq!(kev.due_date.as_deref(), Some("2025-09-15"));
    assert_eq!(
        kev.known_ransomware_campaign_use.as_deref(),
        Some("Unknown")
    );
    assert_eq!(
        v.summary.as_deref(),
        Some("Git Link Following Vulnerability")
    );
    let conn = rusqlite::Connection::open(&common::full().db).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM kev", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1404);
    assert!(db.vulnerability("CVE-1900-0001").unwrap().is_none());
}

#[test]
fn namespaces_listed() {
    let ns = db().namespaces().unwrap();
    for want in [
        "almalinux:8",
        "almalinux:9",
        "almalinux:10",
        "alpine:3.3",
        "alpine:3.11",
        "alpine:3.20",
        "crates.io",
        "debian:3.0",
        "debian:7",
        "debian:11",
        "go",
        "maven",
        "npm",
        "nuget",
        "packagist",
        "pypi",
        "ubuntu-pro:14.04",
        "rubygems",
        "ruby",
        "nodejs",
    ] {
        assert!(ns.contains(&want.to_string()), "{want} missing from {ns:?}");
    }
    let mut sorted = ns.clone();
    sorted.sort();
    assert_eq!(ns, sorted);
}

#[test]
fn open_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.sqlite");
    assert!(matches!(
        Db::open(&missing),
        Err(drydock_vulndb::Error::DbNotFound(_))
    ));

    let junk = dir.path().join("junk.sqlite");
    std::fs::write(&junk, b"this is not sqlite").unwrap();
    let e = Db::open(&junk).unwrap_err();
    assert!(matches!(e, drydock_vulndb::Error::NotADb { .. }), "{e}");

    let other = dir.path().join("other.sqlite");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    assert!(matches!(
        Db::open(&other),
        Err(drydock_vulndb::Error::NotADb { .. })
    ));

    let old = dir.path().join("old.sqlite");
    std::fs::copy(&common::full().db, &old).unwrap();
    rusqlite::Connection::open(&old)
        .unwrap()
        .execute(
            "UPDATE meta SET value = '0' WHERE key = 'schema_version'",
            [],
        )
        .unwrap();
    let e = Db::open(&old).unwrap_err();
    assert!(matches!(e, drydock_vulndb::Error::SchemaMismatch { ref found, .. } if found == "0"));
    assert!(e.to_string().contains("rebuild"), "{e}");
}
