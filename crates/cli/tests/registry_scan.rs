//! `drydock image <registry reference>` against a REAL registry (Debian's docker-registry on
//! 127.0.0.1, started by the test; images pushed with skopeo): the same findings as scanning
//! the tarball; a refused login exits 3 naming the registry.

mod common;
#[path = "../../registry/tests/common/mod.rs"]
mod reg;

use common::*;
use predicates::prelude::PredicateBooleanExt;

#[test]
fn a_pushed_image_scans_like_its_tarball() {
    let registry = reg::Registry::start(reg::Auth::None);
    let built = reg::alpine_archive();
    let digest = registry.push_archive(&built.path, "test/alpine:3.20");
    let from_tar = scan_json(&built.path, full_db(), &[]);
    let reference = format!("{}/test/alpine:3.20", registry.host);
    let from_registry = scan_json(std::path::Path::new(&reference), full_db(), &["--insecure"]);
    assert_eq!(from_registry["artifact"]["format"], "registry");
    assert_eq!(
        from_registry["artifact"]["manifest_digest"],
        digest.as_str()
    );
    assert_eq!(packages(&from_registry), packages(&from_tar));
    assert_eq!(findings(&from_registry), findings(&from_tar));
    assert_eq!(from_registry["summary"]["findings"], 56);
    let diff_ids = |r: &serde_json::Value| -> Vec<String> {
        r["artifact"]["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["diff_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(diff_ids(&from_registry), diff_ids(&from_tar));
    // by digest too
    let by_digest = format!("{}/test/alpine@{digest}", registry.host);
    let r = scan_json(std::path::Path::new(&by_digest), full_db(), &["--insecure"]);
    assert_eq!(findings(&r), findings(&from_tar));
}

#[test]
fn refused_credentials_exit_3_naming_the_registry() {
    let registry = reg::Registry::start(reg::Auth::Htpasswd);
    let built = reg::alpine_archive();
    registry.push_archive(&built.path, "test/alpine:3.20");
    let reference = format!("{}/test/alpine:3.20", registry.host);
    drydock()
        .arg("image")
        .arg(&reference)
        .arg("--db")
        .arg(full_db())
        .args(["--insecure", "--username", reg::USER, "--password", "wrong"])
        .env("HOME", scratch("no-docker-config"))
        .assert()
        .code(3)
        .stderr(predicates::str::contains(registry.host.as_str()));
    // the right password works
    let out = drydock()
        .arg("image")
        .arg(&reference)
        .arg("--db")
        .arg(full_db())
        .args([
            "--insecure",
            "--username",
            reg::USER,
            "--password",
            reg::PASS,
            "-q",
            "-f",
            "json",
        ])
        .env("HOME", scratch("no-docker-config"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // a missing tag is a clear error (exit 1), not a panic
    drydock()
        .arg("image")
        .arg(format!("{}/test/alpine:nope", registry.host))
        .arg("--db")
        .arg(full_db())
        .args([
            "--insecure",
            "--username",
            reg::USER,
            "--password",
            reg::PASS,
        ])
        .env("HOME", scratch("no-docker-config"))
        .assert()
        .code(3)
        .stderr(
            predicates::str::contains("MANIFEST_UNKNOWN")
                .or(predicates::str::contains("manifest unknown")),
        );
}

#[test]
fn a_warm_rescan_downloads_no_blob() {
    let registry = reg::Registry::start(reg::Auth::None);
    let built = reg::alpine_archive();
    registry.push_archive(&built.path, "test/alpine:3.20");
    let proxy = reg::Proxy::start(&registry.host, |_, _| reg::Action::Forward);
    let reference = format!("{}/test/alpine:3.20", proxy.addr);
    let cache = scratch("warm-cache");
    let scan = || {
        let out = drydock()
            .arg("image")
            .arg(&reference)
            .arg("--db")
            .arg(full_db())
            .args(["--insecure", "-q", "-f", "json"])
            .env("DRYDOCK_CACHE_DIR", &cache)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let blobs = |p: &reg::Proxy| {
        p.requests()
            .iter()
            .filter(|r| r.path.contains("/blobs/sha256:"))
            .count()
    };
    let cold = scan();
    let cold_blobs = blobs(&proxy);
    // the config blob and the two layers
    assert_eq!(
        cold_blobs,
        3,
        "{:?}",
        proxy.requests().iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    let warm = scan();
    // no blob at all: layer analyses and the config come from the cache
    assert_eq!(blobs(&proxy), cold_blobs);
    assert_eq!(findings(&warm), findings(&cold));
    assert_eq!(packages(&warm), packages(&cold));
    let out = drydock()
        .args(["cache", "info", "--cache-dir"])
        .arg(&cache)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("entries:  2"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn registry_scan_walks_tags_and_the_catalog() {
    let registry = reg::Registry::start(reg::Auth::None);
    let built = reg::alpine_archive();
    registry.push_archive(&built.path, "test/alpine:3.20");
    registry.push_archive(&built.path, "test/alpine:3.20-copy");
    registry.push_archive(&built.path, "other/base:1");
    let run = |target: &str, extra: &[&str]| {
        let out = drydock()
            .args(["registry", "scan", target, "--db"])
            .arg(full_db())
            .args(["--insecure", "-q", "-f", "json"])
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            serde_json::from_slice::<serde_json::Value>(&out.stdout)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr))),
        )
    };
    let images = |v: &serde_json::Value| -> Vec<(String, u64)> {
        v["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["image"].as_str().unwrap().to_string(),
                    r["packages"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let h = &registry.host;
    // every tag of one repository, sorted; each scanned like `drydock image`
    let (code, all) = run(&format!("{h}/test/alpine"), &[]);
    assert_eq!(code, Some(0));
    assert_eq!(
        images(&all),
        vec![
            (format!("{h}/test/alpine:3.20"), 14),
            (format!("{h}/test/alpine:3.20-copy"), 14)
        ]
    );
    assert_eq!(all["reports"][0]["summary"]["findings"], 56);
    assert_eq!(
        all["images"][0]["critical"].as_u64().unwrap()
            + all["images"][0]["high"].as_u64().unwrap()
            + all["images"][0]["medium"].as_u64().unwrap()
            + all["images"][0]["low"].as_u64().unwrap()
            + all["images"][0]["other"].as_u64().unwrap(),
        56
    );
    // a tag glob
    let (_, some) = run(&format!("{h}/test/alpine"), &["--tags", "*-copy"]);
    assert_eq!(
        images(&some),
        vec![(format!("{h}/test/alpine:3.20-copy"), 14)]
    );
    // the whole registry through its catalog
    let (_, cat) = run(h, &[]);
    assert_eq!(
        images(&cat).into_iter().map(|(i, _)| i).collect::<Vec<_>>(),
        vec![
            format!("{h}/other/base:1"),
            format!("{h}/test/alpine:3.20"),
            format!("{h}/test/alpine:3.20-copy"),
        ]
    );
    // --since: the test images were created 2024-01-01
    let (_, recent) = run(&format!("{h}/test/alpine"), &["--since", "30"]);
    assert_eq!(images(&recent), vec![]);
    let (_, old) = run(&format!("{h}/test/alpine"), &["--since", "100000"]);
    assert_eq!(images(&old).len(), 2);
    // the gate: findings remain → --exit-code
    let (code, _) = run(&format!("{h}/other/base"), &["--exit-code", "4"]);
    assert_eq!(code, Some(4));
    // the table names each image
    let out = drydock()
        .args(["registry", "scan", &format!("{h}/test/alpine"), "--db"])
        .arg(full_db())
        .args(["--insecure", "-q"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("test/alpine: 2 images"), "{text}");
    assert!(
        text.contains(&format!("{h}/test/alpine:3.20-copy")),
        "{text}"
    );
    assert!(text.contains("Alpine Linux v3.20"), "{text}");
}
