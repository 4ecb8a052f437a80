//! `drydock fs <dir>`: a directory read as one layer — secrets in its files (not in `.git`),
//! and OS packages when it is an unpacked root filesystem.

mod common;

use common::*;

#[test]
fn a_checkout_and_an_unpacked_rootfs() {
    let dir = scratch("fs");
    let repo = dir.join("repo");
    std::fs::create_dir_all(repo.join("src")).unwrap();
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    // a fake token shaped like a GitHub one, built at run time
    let token = format!("ghp_Fake{}", "Q7w9Z2x4".repeat(4));
    std::fs::write(
        repo.join("src/deploy.sh"),
        format!("#!/bin/sh\nexport GH_TOKEN={token}\n"),
    )
    .unwrap();
    std::fs::write(repo.join(".git/config"), format!("token = {token}\n")).unwrap();
    std::fs::write(repo.join("README.md"), "nothing to see\n").unwrap();
    let out = drydock()
        .arg("fs")
        .arg(&repo)
        .arg("--db")
        .arg(full_db())
        .args(["-f", "json", "-q", "--exit-code", "5"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["artifact"]["kind"], "filesystem");
    assert_eq!(r["artifact"]["format"], "directory");
    let secrets: Vec<(&str, &str, u64)> = r["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["rule_id"].as_str().unwrap(),
                s["path"].as_str().unwrap(),
                s["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(secrets, vec![("github-token", "/src/deploy.sh", 2)]);
    assert!(r["secrets"][0].get("layer_index").is_none());

    // the recorded Debian 13 dpkg DB, unpacked: its 78 packages, matched in debian:13
    let rootfs = dir.join("rootfs");
    std::fs::create_dir_all(&rootfs).unwrap();
    let st = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(tk::shared_dir().join("rootfs/debian-trixie-minbase/dpkg-db-and-release-files.tar.gz"))
        .arg("-C")
        .arg(&rootfs)
        .status()
        .unwrap();
    assert!(st.success());
    let r = scan_json_as("fs", &rootfs, full_db(), &[]);
    assert_eq!(r["namespace"], "debian:13");
    assert_eq!(packages(&r), dpkg_query(&rootfs.join("var/lib/dpkg")));
    assert_eq!(packages(&r).len(), 78);
}

/// A checkout with real lockfiles (osv-scanner's test fixtures: npm, yarn, Composer, Bundler,
/// pip requirements): `drydock fs` catalogs them and matches them against the real feeds.
#[test]
fn lockfiles_in_a_checkout() {
    let dir = scratch("fs-locks");
    let bundle = tk::shared_dir().join("fixtures/osv-scanner-lockfile-fixtures.tar.gz");
    let st = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(&bundle)
        .arg("-C")
        .arg(&dir)
        .args([
            "cmd/osv-scanner/scan/source/testdata/locks-many",
            "cmd/osv-scanner/scan/source/testdata/locks-insecure",
            "cmd/osv-scanner/scan/source/testdata/locks-requirements",
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let root = dir.join("cmd/osv-scanner/scan/source/testdata");
    let r = scan_json_as("fs", &root, full_db(), &["--scanners", "vuln"]);
    let root_s = root.display().to_string();
    let mut pkgs: Vec<String> = r["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {} {} {}{}",
                p["kind"].as_str().unwrap(),
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
                p["path"].as_str().unwrap().replace(&root_s, ""),
                if p["dev"].as_bool() == Some(true) {
                    " (dev)"
                } else {
                    ""
                }
            )
        })
        .collect();
    pkgs.sort();
    let mut found: Vec<String> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}@{} {} fixed={} ({})",
                f["package"]["kind"].as_str().unwrap(),
                f["package"]["name"].as_str().unwrap(),
                f["package"]["version"].as_str().unwrap(),
                f["id"].as_str().unwrap(),
                f["fixed_version"].as_str().unwrap_or("-"),
                f["package"]["path"].as_str().unwrap().replace(&root_s, "")
            )
        })
        .collect();
    found.sort();
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("fs_lockfile_packages", pkgs);
        insta::assert_json_snapshot!("fs_lockfile_findings", found);
    });
}
