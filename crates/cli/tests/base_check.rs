//! Hygiene's newer-base check against a REAL registry (Debian's docker-registry on
//! 127.0.0.1): an application image built on `base/alpine:3` (Alpine 3.20.3, named by the
//! OCI base labels) is checked after the tag moved to a rebuild of that base with OpenSSL
//! upgraded (the `apk upgrade` layer a base rebuild adds, to the fixed versions the real
//! Alpine secdb gives). The figures are compared with independent scans of both base builds.

mod common;
#[path = "../../registry/tests/common/mod.rs"]
mod reg;

use common::*;
use drydock_testkit::{
    Compression, Entry, ImageConfig, alpine_rootfs, layer_from_rootfs_tarball, layer_tar,
    write_docker_archive,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn base_archive(dir: &Path, name: &str, layers: &[Vec<u8>]) -> PathBuf {
    let path = dir.join(format!("{name}.tar"));
    write_docker_archive(
        &path,
        layers,
        &ImageConfig::default(),
        Compression::None,
        Some("base/alpine:3"),
    );
    path
}

/// The rootfs's `lib/apk/db/installed`.
fn apk_installed(rootfs: &Path) -> String {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(rootfs).unwrap());
    let mut a = tar::Archive::new(gz);
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let p = e
            .path()
            .unwrap()
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        if p == "lib/apk/db/installed" {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut e, &mut s).unwrap();
            return s;
        }
    }
    panic!("no apk DB in {}", rootfs.display());
}

/// `apk upgrade` of `upgrades` (package → version): the layer rewriting the apk DB.
fn upgrade_layer(installed: &str, upgrades: &BTreeMap<String, String>) -> Vec<u8> {
    let mut out = String::new();
    for stanza in installed.split("\n\n") {
        let name = stanza
            .lines()
            .find_map(|l| l.strip_prefix("P:"))
            .unwrap_or_default();
        if let Some(v) = upgrades.get(name) {
            for l in stanza.lines() {
                if l.starts_with("V:") {
                    out.push_str(&format!("V:{v}\n"));
                } else {
                    out.push_str(l);
                    out.push('\n');
                }
            }
            out.push('\n');
        } else if !stanza.is_empty() {
            out.push_str(stanza);
            out.push_str("\n\n");
        }
    }
    layer_tar(&[
        Entry::dir("lib"),
        Entry::dir("lib/apk"),
        Entry::dir("lib/apk/db"),
        Entry::file("lib/apk/db/installed", out),
    ])
}

fn app_archive(dir: &Path, base_name: &str, base_digest: &str) -> PathBuf {
    let path = dir.join("app.tar");
    let mut config = ImageConfig::default();
    config.labels.insert(
        "org.opencontainers.image.base.name".into(),
        base_name.into(),
    );
    config.labels.insert(
        "org.opencontainers.image.base.digest".into(),
        base_digest.into(),
    );
    write_docker_archive(
        &path,
        &[
            layer_from_rootfs_tarball(alpine_rootfs("3.20.3")),
            layer_tar(&[
                Entry::dir("app"),
                Entry::file("app/run.sh", "#!/bin/sh\necho hello\n"),
            ]),
        ],
        &config,
        Compression::None,
        Some("acme/app:1"),
    );
    path
}

/// `(id, package)` of every finding.
fn keys(report: &Value) -> BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["package"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_moved_base_tag_is_named_with_the_vulnerabilities_a_rebuild_fixes() {
    let registry = reg::Registry::start(reg::Auth::None);
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let rootfs = alpine_rootfs("3.20.3");
    let old_base = base_archive(d, "old", &[layer_from_rootfs_tarball(&rootfs)]);
    let old_digest = registry.push_archive(&old_base, "base/alpine:3");
    let base_name = registry.reference("base/alpine:3");
    let app = app_archive(d, &base_name, &old_digest);
    let host = registry.host.clone();
    let insecure = ["--insecure", host.as_str()];

    // the tag has not moved: current, nothing to fix
    let r = scan_json(&app, full_db(), &insecure);
    let n = &r["hygiene"]["newer_base"];
    assert_eq!(n["status"], "current", "{n:#}");
    assert_eq!(n["reference"], base_name.as_str());
    assert_eq!(n["digest"], old_digest.as_str());

    // the tag moves to a newer build
    // the rebuild: OpenSSL's libraries upgraded to the version the DB says fixes them
    let before = scan_json(&old_base, full_db(), &["--no-base-check"]);
    let mut upgrades = BTreeMap::new();
    for f in before["findings"].as_array().unwrap() {
        let name = f["package"]["name"].as_str().unwrap();
        if let (true, Some(v)) = (
            name.starts_with("libssl") || name.starts_with("libcrypto"),
            f["fixed_version"].as_str(),
        ) {
            let e = upgrades
                .entry(name.to_string())
                .or_insert_with(|| v.to_string());
            // the highest of the fixed versions, in apk's order
            if drydock_matcher::version::apk::compare(v, e)
                .unwrap()
                .is_gt()
            {
                *e = v.to_string();
            }
        }
    }
    assert!(upgrades.contains_key("libssl3"), "{upgrades:?}");
    let new_base = base_archive(
        d,
        "new",
        &[
            layer_from_rootfs_tarball(&rootfs),
            upgrade_layer(&apk_installed(&rootfs), &upgrades),
        ],
    );
    let new_digest = registry.push_archive(&new_base, "base/alpine:3");
    assert_ne!(new_digest, old_digest);
    let r = scan_json(&app, full_db(), &insecure);
    let n = &r["hygiene"]["newer_base"];
    assert_eq!(n["status"], "newer", "{n:#}");
    assert_eq!(n["digest"], new_digest.as_str());

    // independent figures: scans of both base builds
    let old = keys(&scan_json(&old_base, full_db(), &["--no-base-check"]));
    let new = keys(&scan_json(&new_base, full_db(), &["--no-base-check"]));
    let app_keys = keys(&r);
    assert_eq!(
        app_keys, old,
        "every finding of the app image is the base's"
    );
    let fixed = old.difference(&new).count();
    let introduced = new.difference(&old).count();
    assert!(fixed > 0, "the rebuild fixes OpenSSL's findings");
    assert_eq!(n["base_findings"], old.len());
    assert_eq!(n["fixed"], fixed);
    assert_eq!(n["introduced"], introduced);
    let msg = n["message"].as_str().unwrap();
    assert!(
        msg.starts_with(&format!(
            "{base_name} now points to {new_digest}: rebuilding on it fixes {fixed} of the {} base-image vulnerabilities",
            old.len()
        )),
        "{msg}"
    );

    // the table report says it, and SARIF carries it as its own result
    let out = drydock()
        .arg("image")
        .arg(&app)
        .arg("--db")
        .arg(full_db())
        .args(insecure)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(msg), "{text}");
    let out = drydock()
        .arg("image")
        .arg(&app)
        .arg("--db")
        .arg(full_db())
        .args(insecure)
        .args(["-q", "-f", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let newer: Vec<&Value> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "hygiene/newer-base-build")
        .collect();
    assert_eq!(newer.len(), 1);
    assert_eq!(newer[0]["message"]["text"], msg);

    // --no-base-check: the registry is not asked
    let r = scan_json(&app, full_db(), &["--no-base-check"]);
    assert!(r["hygiene"].get("newer_base").is_none());

    // the registry is gone: the scan still succeeds, nothing is named
    drop(registry);
    let r = scan_json(&app, full_db(), &insecure);
    let n = &r["hygiene"]["newer_base"];
    assert_eq!(n["status"], "unreachable", "{n:#}");
    assert!(n.get("digest").is_none());
    assert_eq!(n["fixed"], 0);
}
