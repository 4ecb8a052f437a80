//! Issue 4 acceptance: an image built from the real Alpine 3.20.3 rootfs with secrets planted
//! across layers (one deleted by a later layer, one overwritten, one in ENV, two in history,
//! one in a Docker config, a PEM key at a binary-looking path) and decoys gives exactly the
//! expected findings. All planted credentials are fake (tests/support/fake.rs).

#[path = "support/fake.rs"]
mod fake;
#[path = "support/planted.rs"]
mod planted;

use drydock_image::{AnalyzeOptions, Analyzer, Both, Image, ImagePath, OpenOptions, analyze_image};
use drydock_secrets::{
    Rules, ScanOptions, Scanner, SecretFinding, SecretMatch, scan_image, scan_image_config,
    secrets_from_layers,
};
use drydock_testkit as tk;
use planted::Planted;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const BASE_HISTORY: &str = "ADD alpine-minirootfs-3.20.3-x86_64.tar.gz / # drydock-testkit";

fn all_layers() -> Vec<Vec<u8>> {
    let mut layers = vec![tk::layer_from_rootfs_tarball(tk::alpine_rootfs("3.20.3"))];
    layers.extend(planted::layers());
    layers
}

fn docker_archive(dir: &Path) -> PathBuf {
    let out = dir.join("planted.tar");
    tk::write_docker_archive(
        &out,
        &all_layers(),
        &planted::config(&[BASE_HISTORY.to_string()]),
        tk::Compression::Gzip,
        Some("drydock/secrets-planted:1"),
    );
    out
}

fn open(path: &Path) -> Image {
    Image::open(path, &OpenOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn as_planted(findings: &[SecretFinding]) -> Vec<Planted> {
    findings
        .iter()
        .map(|f| Planted {
            rule: f.found.rule_id.clone(),
            path: f.path.clone(),
            line: f.found.line,
            layer: f.layer_index,
            deleted: f.deleted_in_later_layer,
        })
        .collect()
}

fn scan_all(image: &Image, scanner: &Scanner, record_paths: bool) -> Vec<SecretFinding> {
    let opts = AnalyzeOptions {
        record_paths,
        ..AnalyzeOptions::default()
    };
    let layers = analyze_image(image, scanner, &opts, &|_, _| {}).expect("analyze");
    let mut findings = secrets_from_layers(&layers);
    findings.extend(scanner.scan_image_config(&image.config));
    findings
}

#[test]
fn planted_docker_archive_gives_exactly_the_expected_findings() {
    let dir = tempfile::tempdir().unwrap();
    let image = open(&docker_archive(dir.path()));
    assert_eq!(image.layers.len(), 3);
    let findings = scan_all(&image, &Scanner::builtin(), true);
    assert_eq!(as_planted(&findings), planted::expected(1));
    // layer facts come from the image
    for f in &findings {
        if let Some(i) = f.layer_index {
            assert_eq!(
                f.layer_diff_id.as_deref(),
                Some(image.layers[i].diff_id.as_str())
            );
        } else {
            assert_eq!(f.layer_diff_id, None);
        }
    }
    // the convenience wrapper gives the same list
    let (same, warnings) = scan_image(&image, &Scanner::builtin(), 0).expect("scan_image");
    assert_eq!(same, findings);
    assert_eq!(warnings, Vec::<String>::new());
}

#[test]
fn planted_oci_layout_gives_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("oci");
    tk::write_oci_layout(
        &layout,
        &all_layers(),
        &planted::config(&[BASE_HISTORY.to_string()]),
        tk::Compression::Zstd,
    );
    let findings = scan_all(&open(&layout), &Scanner::builtin(), true);
    assert_eq!(as_planted(&findings), planted::expected(1));
}

#[test]
fn secrets_are_redacted_and_fingerprinted_unless_shown() {
    let dir = tempfile::tempdir().unwrap();
    let image = open(&docker_archive(dir.path()));
    let hidden = scan_all(&image, &Scanner::builtin(), true);
    let shown_scanner = Scanner::with_options(
        Rules::builtin(),
        ScanOptions {
            show_secrets: true,
            ..ScanOptions::default()
        },
    );
    let shown = scan_all(&image, &shown_scanner, true);
    assert_eq!(hidden.len(), shown.len());
    for (h, s) in hidden.iter().zip(&shown) {
        let secret = s
            .found
            .secret
            .as_deref()
            .expect("show_secrets gives the secret");
        assert!(secret.len() >= 8, "{}: {secret}", s.path);
        assert_eq!(h.found.secret, None);
        assert!(
            !h.found.redacted.contains(secret),
            "{}: redacted text shows the secret",
            h.path
        );
        assert_eq!(
            h.found.fingerprint,
            format!("sha256:{}", hex::encode(Sha256::digest(secret.as_bytes())))
        );
        assert_eq!(h.found.fingerprint, s.found.fingerprint);
    }
    let by_rule = |rule: &str| {
        hidden
            .iter()
            .find(|f| f.found.rule_id == rule)
            .map(|f| f.found.redacted.clone())
            .unwrap()
    };
    assert_eq!(by_rule("github-token"), "ghp_****");
    assert_eq!(by_rule("url-query-credential"), "?auth=Fake****");
    assert_eq!(by_rule("npm-token"), "npm_****");
    assert_eq!(by_rule("docker-config-auth"), "\"auth\": \"Fake****\"");
    assert_eq!(by_rule("private-key"), "-----BEGIN RSA PRIVATE KEY-----");
    // JSON keeps the masked form and omits the secret
    let json = serde_json::to_value(&hidden[0]).unwrap();
    assert_eq!(json["rule_id"], "stripe-secret-key");
    assert_eq!(json["path"], "/app/config/app.ini");
    assert_eq!(json["severity"], "CRITICAL");
    assert_eq!(json["redacted"], "sk_l****");
    assert_eq!(json["deleted_in_later_layer"], true);
    assert!(json.get("secret").is_none());
}

/// Without per-layer path records, an overwrite in a later layer cannot be seen (the
/// whiteout still is).
#[test]
fn overwrites_need_recorded_paths() {
    let dir = tempfile::tempdir().unwrap();
    let image = open(&docker_archive(dir.path()));
    let findings = scan_all(&image, &Scanner::builtin(), false);
    let deleted: Vec<(&str, bool)> = findings
        .iter()
        .filter(|f| f.layer_index == Some(1))
        .map(|f| (f.path.as_str(), f.deleted_in_later_layer))
        .collect();
    assert_eq!(
        deleted,
        vec![
            ("/app/config/app.ini", false),
            ("/root/.aws/credentials", true),
            ("/root/.aws/credentials", true),
            ("/root/.docker/config.json", false),
            ("/usr/lib/x86_64-linux-gnu/libfake.so.1.bak", false),
        ]
    );
}

/// Wants one file and returns its length: a second analyzer sharing the walk.
struct OsRelease;

impl Analyzer for OsRelease {
    type Output = usize;
    fn wants(&self, path: &ImagePath) -> bool {
        path.as_str() == "etc/os-release"
    }
    fn analyze(&self, _: &ImagePath, content: &[u8], _: &mut Vec<String>) -> Option<usize> {
        Some(content.len())
    }
}

#[test]
fn scanner_combines_with_other_analyzers() {
    let dir = tempfile::tempdir().unwrap();
    let image = open(&docker_archive(dir.path()));
    let both = Both(OsRelease, Scanner::builtin());
    let layers = analyze_image(&image, &both, &AnalyzeOptions::default(), &|_, _| {}).unwrap();
    let (os, secrets): (Vec<_>, Vec<_>) = layers.into_iter().map(|l| l.split()).unzip();
    assert_eq!(os[0].files.len(), 1);
    assert_eq!(os[0].files[0].path.as_str(), "etc/os-release");
    let mut findings = secrets_from_layers(&secrets);
    findings.extend(scan_image_config(&image.config));
    assert_eq!(as_planted(&findings), planted::expected(1));
}

#[test]
fn analyzer_skips_nothing_by_name_but_documentation() {
    let s = Scanner::builtin();
    for p in [
        "usr/lib/x86_64-linux-gnu/libc.so.6",
        "usr/bin/python3",
        "app/logo.png",
        "usr/share/zoneinfo/UTC",
    ] {
        assert!(s.wants(&ImagePath::new(p)), "{p}");
    }
    for p in ["usr/share/doc/git/README", "usr/share/man/man1/ls.1.gz"] {
        assert!(!s.wants(&ImagePath::new(p)), "{p}");
    }
    assert_eq!(s.max_file_size(), 10 << 20);
    // the layer-cache id changes with the rules and options
    let other = Scanner::with_options(
        Rules::builtin(),
        ScanOptions {
            show_secrets: true,
            ..ScanOptions::default()
        },
    );
    assert_ne!(s.id(), other.id());
    assert!(s.id().starts_with("drydock-secrets@"), "{}", s.id());
    let m: Vec<SecretMatch> = s.scan_bytes("/app/x", b"nothing here");
    assert_eq!(m, vec![]);
}
