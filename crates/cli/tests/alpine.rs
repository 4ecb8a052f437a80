//! Alpine end to end: real minirootfs tarballs packed into multi-layer images, against the real
//! secdb (JSON for 3.20, legacy YAML for 3.9–3.11).

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use tk::Entry;

/// Parse `lib/apk/db/installed` out of a rootfs tarball with the tar crate and plain string
/// handling (an independent route from the scanner's apk cataloger).
fn installed_from_rootfs(version: &str) -> Vec<(String, String, String)> {
    let bytes = tk::layer_from_rootfs_tarball(tk::alpine_rootfs(version));
    let mut ar = tar::Archive::new(bytes.as_slice());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let p = e.path().unwrap().to_string_lossy().to_string();
        if p.trim_start_matches("./") == "lib/apk/db/installed" {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut e, &mut s).unwrap();
            return s
                .split("\n\n")
                .filter(|r| !r.trim().is_empty())
                .map(|r| {
                    let get = |k: &str| {
                        r.lines()
                            .find_map(|l| l.strip_prefix(k))
                            .unwrap_or_default()
                            .to_string()
                    };
                    (get("P:"), get("V:"), get("o:"))
                })
                .collect();
        }
    }
    panic!("no apk db in {version}");
}

/// Naive apk comparison, enough for these inputs: compare the leading dotted numbers; only when
/// they are equal, both sides must be plain `N(.N)*-rN` and the revision decides.
fn naive_apk_lt(a: &str, b: &str) -> bool {
    let prefix = |v: &str| -> Vec<u64> {
        let end = v
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(v.len());
        v[..end]
            .split('.')
            .filter(|s| !s.is_empty())
            .map(|n| n.parse().unwrap())
            .collect()
    };
    let (pa, pb) = (prefix(a), prefix(b));
    if pa != pb {
        return pa < pb;
    }
    let rev = |v: &str| -> u64 {
        let (ver, rel) = v.split_once("-r").expect("revision");
        assert!(
            ver.bytes().all(|c| c.is_ascii_digit() || c == b'.'),
            "not plain: {v}"
        );
        rel.parse().unwrap()
    };
    rev(a) < rev(b)
}

fn alpine_image(version: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let base = tk::layer_from_rootfs_tarball(tk::alpine_rootfs(version));
    let app = tk::layer_tar(&[Entry::file("srv/app/run.sh", "#!/bin/sh\necho hi\n")]);
    let out = dir.join(format!("alpine-{version}.tar"));
    tk::write_docker_archive(
        &out,
        &[base, app],
        &tk::ImageConfig::default(),
        tk::Compression::None,
        Some("drydock/alpine:test"),
    );
    out
}

#[test]
fn alpine_3_20_findings_are_exactly_what_the_secdb_implies() {
    let dir = scratch("alpine320");
    let image = alpine_image("3.20.3", &dir);
    let report = scan_json(&image, full_db(), &[]);

    assert_eq!(report["os"]["id"], "alpine");
    assert_eq!(report["os"]["version_id"], "3.20.3");
    assert_eq!(report["namespace"], "alpine:3.20");

    // packages equal the distro's own DB, every name and version
    let installed = installed_from_rootfs("3.20.3");
    let want: Vec<(String, String)> = {
        let mut v: Vec<_> = installed
            .iter()
            .map(|(n, v, _)| (n.clone(), v.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(packages(&report), want);
    assert_eq!(want.len(), 14);
    for p in report["packages"].as_array().unwrap() {
        assert_eq!(p["layer_index"], 0, "{p}");
        assert_eq!(p["path"], "/lib/apk/db/installed");
        assert!(
            p["purl"].as_str().unwrap().starts_with("pkg:apk/alpine/"),
            "{p}"
        );
    }

    // independent route: naive pass over the raw secdb JSON
    let secdb: Value = serde_json::from_slice(
        &std::fs::read(tk::shared_dir().join("feeds/alpine-secdb/v3.20/main.json")).unwrap(),
    )
    .unwrap();
    let mut expected = Vec::new();
    for (name, version, origin) in &installed {
        for pkg in secdb["packages"].as_array().unwrap() {
            if pkg["pkg"]["name"] != origin.as_str() {
                continue;
            }
            for (fixed, ids) in pkg["pkg"]["secfixes"].as_object().unwrap() {
                if fixed == "0" || !naive_apk_lt(version, fixed) {
                    continue;
                }
                for id in ids.as_array().unwrap() {
                    for id in id.as_str().unwrap().split_whitespace() {
                        expected.push((name.clone(), id.to_string(), fixed.clone()));
                    }
                }
            }
        }
    }
    expected.sort();
    expected.dedup();
    assert_eq!(findings(&report), expected);

    // and the exact ids, written out
    let ids: BTreeSet<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    let want_ids: BTreeSet<String> = [
        "CVE-2024-12797",
        "CVE-2024-13176",
        "CVE-2024-58251",
        "CVE-2024-9143",
        "CVE-2025-15467",
        "CVE-2025-15468",
        "CVE-2025-26519",
        "CVE-2025-46394",
        "CVE-2025-66199",
        "CVE-2025-68160",
        "CVE-2025-69418",
        "CVE-2025-69419",
        "CVE-2025-69420",
        "CVE-2025-69421",
        "CVE-2025-9230",
        "CVE-2025-9231",
        "CVE-2025-9232",
        "CVE-2026-22795",
        "CVE-2026-22796",
        "CVE-2026-28387",
        "CVE-2026-28388",
        "CVE-2026-28389",
        "CVE-2026-28390",
        "CVE-2026-31789",
        "CVE-2026-31790",
        "CVE-2026-40200",
        "CVE-2026-6042",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(ids, want_ids);
    let affected: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["package"]["source_name"].as_str().unwrap())
        .collect();
    assert_eq!(affected, BTreeSet::from(["busybox", "musl", "openssl"]));
    // the secdb rates nothing: severity is UNKNOWN, never guessed
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["severity"], "UNKNOWN");
        assert_eq!(f["status"], "fixed");
        assert_eq!(f["sources"], serde_json::json!(["alpine-secdb"]));
    }
    assert_eq!(report["summary"]["findings"], 56);
    assert_eq!(report["summary"]["vulnerabilities"], 27);
    assert_eq!(report["summary"]["fixable"], 56);
}

#[test]
fn older_alpine_against_the_legacy_yaml_secdb_has_no_findings() {
    let db = build_db("alpine-legacy", &["alpine-secdb-legacy"]);
    let dir = scratch("alpine-legacy");
    for (version, branch) in [("3.9.6", "3.9"), ("3.10.9", "3.10"), ("3.11.13", "3.11")] {
        let image = alpine_image(version, &dir);
        let report = scan_json(&image, &db, &[]);
        assert_eq!(report["namespace"], format!("alpine:{branch}"));
        let installed = installed_from_rootfs(version);
        assert_eq!(
            report["packages"].as_array().unwrap().len(),
            installed.len()
        );
        assert_eq!(findings(&report), vec![], "alpine {version}");
    }
    // not vacuous: the legacy DB does hold fixes for these branches' packages
    let db = drydock_vulndb::Db::open(&db).unwrap();
    for branch in ["3.9", "3.10", "3.11"] {
        let recs = db.affected(&format!("alpine:{branch}"), "musl").unwrap();
        assert!(!recs.is_empty(), "alpine:{branch} musl");
    }
}

#[test]
fn a_package_db_deleted_by_a_whiteout_is_not_reported() {
    let dir = scratch("alpine-whiteout");
    let base = tk::layer_from_rootfs_tarball(tk::alpine_rootfs("3.20.3"));
    let gone = tk::layer_tar(&[Entry::whiteout("lib/apk")]);
    let out = dir.join("whiteout.tar");
    tk::write_oci_archive(
        &out,
        &[base.clone(), gone],
        &tk::ImageConfig::default(),
        tk::Compression::Gzip,
    );
    let report = scan_json(&out, full_db(), &[]);
    assert_eq!(report["packages"], serde_json::json!([]));
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(report["os"]["id"], "alpine");

    // an opaque directory hides the lower DB; the new one (written in layer 1) is what counts
    let installed = "P:musl\nV:1.2.5-r3\nA:x86_64\no:musl\n\n";
    let opaque = tk::layer_tar(&[
        Entry::opaque("lib/apk/db"),
        Entry::file("lib/apk/db/installed", installed),
    ]);
    let out = dir.join("opaque.tar");
    tk::write_oci_archive(
        &out,
        &[base, opaque],
        &tk::ImageConfig::default(),
        tk::Compression::Zstd,
    );
    let report = scan_json(&out, full_db(), &[]);
    assert_eq!(
        packages(&report),
        vec![("musl".to_string(), "1.2.5-r3".to_string())]
    );
    assert_eq!(report["packages"][0]["layer_index"], 1);
    assert_eq!(
        findings(&report),
        vec![],
        "musl 1.2.5-r3 has every 3.20 fix"
    );
}

#[test]
fn exit_codes_and_filters() {
    let dir = scratch("alpine-exit");
    let image = alpine_image("3.20.3", &dir);
    let db = full_db();
    drydock()
        .arg("image")
        .arg(&image)
        .arg("--db")
        .arg(db)
        .args(["--exit-code", "7", "--quiet"])
        .assert()
        .code(7);
    // every Alpine finding is UNKNOWN: filtering to CRITICAL leaves none, so exit 0
    let out = drydock()
        .arg("image")
        .arg(&image)
        .arg("--db")
        .arg(db)
        .args([
            "--exit-code",
            "7",
            "--severity",
            "CRITICAL",
            "--format",
            "json",
            "-q",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["findings"], serde_json::json!([]));
    // all are fixable: --ignore-unfixed keeps all 56; --status not-fixed keeps none
    let r = scan_json(&image, db, &["--ignore-unfixed"]);
    assert_eq!(r["summary"]["findings"], 56);
    let r = scan_json(&image, db, &["--status", "not-fixed"]);
    assert_eq!(r["summary"]["findings"], 0);
    // bad flag values are usage errors with a clear message
    drydock()
        .arg("image")
        .arg(&image)
        .arg("--db")
        .arg(db)
        .args(["--severity", "SEVERE"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid value 'SEVERE'"));
}

#[test]
fn hostile_images_fail_with_a_clear_error() {
    let dir = scratch("alpine-hostile");
    let gz = dir.join("truncated.tar.gz");
    std::fs::write(&gz, tk::hostile::truncated_gzip()).unwrap();
    let layout = dir.join("truncated-layout");
    tk::hostile::oci_layout_from_blob(
        &layout,
        &gz,
        "application/vnd.oci.image.layer.v1.tar+gzip",
        &format!("sha256:{}", "0".repeat(64)),
        &tk::ImageConfig::default(),
    );
    drydock()
        .arg("image")
        .arg(&layout)
        .arg("--db")
        .arg(full_db())
        .assert()
        .code(3)
        .stderr(predicates::str::contains("error: reading image"))
        .stderr(predicates::str::contains("layer 0"));
    let empty = dir.join("empty.tar");
    std::fs::write(&empty, b"").unwrap();
    drydock()
        .arg("image")
        .arg(&empty)
        .arg("--db")
        .arg(full_db())
        .assert()
        .code(3)
        .stderr(predicates::str::contains(
            "not a container image: file is empty",
        ));
}

#[test]
fn first_use_builds_the_db_from_recorded_feeds_and_says_so() {
    let dir = scratch("alpine-first-use");
    let image = alpine_image("3.20.3", &dir);
    let db = dir.join("new/drydock.db");
    let out = drydock()
        .arg("image")
        .arg(&image)
        .arg("--db")
        .arg(&db)
        .arg("--feeds")
        .arg(tk::shared_dir().join("feeds"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not found: building it from"), "{stderr}");
    assert!(db.is_file());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["summary"]["findings"], 56);
}
