//! The Debian security tracker JSON (the online primary feed; a real excerpt ships in the
//! vunnel fixture bundle) drives fix states and severities end to end: resolved → fixed with
//! the tracker's urgency, fixed_version "0" → not affected, open with urgency end-of-life →
//! end-of-life, each filterable.

mod common;

use common::*;
use tk::Entry;

const MEMBER: &str = "tests/unit/providers/debian/test-fixtures/input/debian.json";

fn feeds_with_tracker() -> std::path::PathBuf {
    let dir = scratch("tracker-feeds");
    let st = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(tk::shared_dir().join("fixtures/vunnel-test-fixtures.tar.gz"))
        .arg("-C")
        .arg(&dir)
        .arg(MEMBER)
        .status()
        .unwrap();
    assert!(st.success(), "fixture member {MEMBER} present");
    let feeds = dir.join("feeds");
    std::fs::create_dir_all(feeds.join("debian")).unwrap();
    std::fs::rename(dir.join(MEMBER), feeds.join("debian/tracker.json")).unwrap();
    feeds
}

#[test]
fn tracker_states_and_urgencies() {
    let db = build_db_from("tracker", &feeds_with_tracker());

    let os_release = "ID=debian\nVERSION_ID=\"10\"\nVERSION_CODENAME=buster\nPRETTY_NAME=\"Debian GNU/Linux 10 (buster)\"\n";
    let status = "\
Package: libjs-prototype\nStatus: install ok installed\nArchitecture: all\nSource: prototypejs\nVersion: 1.6.0.1-1\n\n\
Package: txt2man\nStatus: install ok installed\nArchitecture: all\nVersion: 1.5.5-4\n\n\
Package: backupninja\nStatus: install ok installed\nArchitecture: all\nVersion: 1.1.0-2\n\n\
Package: chromium\nStatus: install ok installed\nArchitecture: amd64\nVersion: 89.0.4389.114-1~deb10u1\n\n";
    let layer = tk::layer_tar(&[
        Entry::file("etc/os-release", os_release),
        Entry::file("var/lib/dpkg/status", status),
    ]);
    let dir = scratch("tracker-image");
    let image = dir.join("buster.tar");
    tk::write_oci_archive(
        &image,
        &[layer],
        &tk::ImageConfig::default(),
        tk::Compression::Gzip,
    );

    let report = scan_json(&image, &db, &[]);
    assert_eq!(report["namespace"], "debian:10");
    let rows: Vec<(String, String, String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap().to_string(),
                f["id"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
                f["fixed_version"].as_str().unwrap_or("").to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let s = |a: &str| a.to_string();
    assert_eq!(
        rows,
        vec![
            // open, urgency end-of-life: no fix will come; the tracker gives no severity
            (
                s("chromium"),
                s("CVE-2022-0456"),
                s("end-of-life"),
                s(""),
                s("UNKNOWN")
            ),
            // resolved in 1.6.0.2-1, urgency "high**"; CVE-2007-2383 is fixed_version "0": not affected
            (
                s("libjs-prototype"),
                s("CVE-2008-7220"),
                s("fixed"),
                s("1.6.0.2-1"),
                s("HIGH")
            ),
            // resolved in 1.5.5-4.1, urgency "low**"
            (
                s("txt2man"),
                s("CVE-2013-1444"),
                s("fixed"),
                s("1.5.5-4.1"),
                s("LOW")
            ),
        ]
    );
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["sources"], serde_json::json!(["debian-tracker"]));
    }
    let prototype = &report["findings"][1];
    assert_eq!(prototype["severity_source"], "debian-tracker");
    assert!(
        prototype["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{prototype}"
    );

    // fix states are filterable
    let eol = scan_json(&image, &db, &["--status", "end-of-life"]);
    assert_eq!(findings(&eol).len(), 1);
    let fixable = scan_json(&image, &db, &["--ignore-unfixed"]);
    assert_eq!(
        findings(&fixable)
            .iter()
            .map(|f| f.1.as_str())
            .collect::<Vec<_>>(),
        vec!["CVE-2008-7220", "CVE-2013-1444"]
    );
    let high = scan_json(&image, &db, &["--severity", "HIGH,CRITICAL"]);
    assert_eq!(findings(&high).len(), 1);
}
