//! Image-config rules on real images: each Dockerfile here is built with buildah (`FROM
//! scratch`, then `ADD` of the real Alpine 3.20.3 minirootfs from ../shared; no network),
//! pushed to a docker-archive or OCI archive, opened with drydock-image, and its config
//! linted — next to the lint of the Dockerfile itself, so both views of one image are checked.
//!
//! Needs `buildah` (Debian package `buildah`; scripts/test.sh installs it). Without it these
//! tests fail: they are not skipped.

use drydock_image::{Image, OpenOptions};
use drydock_lint::{LintConfig, lint_dockerfile, lint_image_config};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOTFS: &str = "alpine-minirootfs-3.20.3-x86_64.tar.gz";

struct Built {
    archive: PathBuf,
    _tmp: tempfile::TempDir,
}

fn buildah(root: &Path, args: &[&str]) {
    let out = Command::new("buildah")
        .arg("--storage-driver")
        .arg("vfs")
        .arg("--root")
        .arg(root.join("R"))
        .arg("--runroot")
        .arg(root.join("RR"))
        .args(args)
        .output()
        .expect("buildah must be installed (apt-get install -y buildah; scripts/test.sh does)");
    assert!(
        out.status.success(),
        "buildah {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Build `dockerfile` in a context holding the Alpine minirootfs; push it to `dest` kind
/// (`docker-archive` or `oci-archive`).
fn build(dockerfile: &str, format: &str, dest: &str) -> Built {
    let tmp = tempfile::tempdir().unwrap();
    let ctx = tmp.path().join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    let rootfs = drydock_testkit::shared_dir()
        .join("rootfs/alpine")
        .join(ROOTFS);
    std::fs::copy(&rootfs, ctx.join(ROOTFS))
        .unwrap_or_else(|e| panic!("{}: {e}", rootfs.display()));
    std::fs::write(ctx.join("Dockerfile"), dockerfile).unwrap();
    let ctx_s = ctx.to_str().unwrap();
    let df = ctx.join("Dockerfile");
    buildah(
        tmp.path(),
        &[
            "build",
            "--isolation",
            "chroot",
            "--layers",
            "--format",
            format,
            "-f",
            df.to_str().unwrap(),
            "-t",
            "drydock-lint-test",
            ctx_s,
        ],
    );
    let archive = tmp.path().join("image.tar");
    buildah(
        tmp.path(),
        &[
            "push",
            "drydock-lint-test",
            &format!("{dest}:{}", archive.display()),
        ],
    );
    Built { archive, _tmp: tmp }
}

/// Every regular file of a (small) tar, by name.
fn tar_entries(path: &Path) -> HashMap<String, Vec<u8>> {
    let mut a = tar::Archive::new(std::fs::File::open(path).unwrap());
    let mut out = HashMap::new();
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e
            .path()
            .unwrap()
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        out.insert(name, data);
    }
    out
}

/// The config JSON as stored in a docker-archive or an OCI archive.
fn raw_config(archive: &Path) -> Value {
    let entries = tar_entries(archive);
    let json = |name: &str| -> Value { serde_json::from_slice(&entries[name]).unwrap() };
    let blob = |digest: &str| format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"));
    if entries.contains_key("manifest.json") {
        let m = json("manifest.json");
        json(m[0]["Config"].as_str().unwrap())
    } else {
        let index = json("index.json");
        let manifest = json(&blob(index["manifests"][0]["digest"].as_str().unwrap()));
        json(&blob(manifest["config"]["digest"].as_str().unwrap()))
    }
}

fn ids_and_messages(f: &[drydock_lint::Misconfig]) -> Vec<(String, String)> {
    f.iter()
        .map(|m| (m.rule_id.clone(), m.message.clone()))
        .collect()
}

fn dockerfile_findings(text: &str) -> Vec<(String, usize)> {
    lint_dockerfile(Path::new("Dockerfile"), text, &LintConfig::default())
        .unwrap()
        .iter()
        .map(|m| (m.rule_id.clone(), m.line.unwrap()))
        .collect()
}

/// The classic shape, built for real: root, port 22 (and 80), a token in ENV, no
/// HEALTHCHECK. The Dockerfile lint and the image-config lint must agree.
#[test]
fn classic_image_root_port22_secret_no_healthcheck() {
    let df = format!(
        "FROM scratch\nADD {ROOTFS} /\nENV API_TOKEN=ABD54F0356FA0054ABD54F0356FA0054\nUSER root\n\
         EXPOSE 80/tcp\nEXPOSE 22/tcp\nENTRYPOINT [\"/bin/sh\"]\n"
    );
    assert_eq!(
        dockerfile_findings(&df),
        vec![
            ("DD-DF-021".to_string(), 1),
            ("DD-DF-004".to_string(), 3),
            ("DD-DF-001".to_string(), 4),
            ("DD-DF-003".to_string(), 6),
        ]
    );
    let built = build(&df, "docker", "docker-archive");
    let image = Image::open(&built.archive, &OpenOptions::default()).unwrap();
    assert_eq!(image.config.config.user.as_deref(), Some("root"));
    let raw = raw_config(&built.archive);
    let f = lint_image_config(&image.config, Some(&raw), &LintConfig::default());
    assert_eq!(
        ids_and_messages(&f),
        vec![
            (
                "DD-IMG-001".to_string(),
                "Config.User is \"root\": the container runs as root".to_string()
            ),
            (
                "DD-IMG-002".to_string(),
                "ExposedPorts has 22/tcp: port 22 is SSH".to_string()
            ),
            (
                "DD-IMG-003".to_string(),
                "the image config has no Healthcheck".to_string()
            ),
            (
                "DD-IMG-004".to_string(),
                "Env API_TOKEN holds a literal credential (ABD5************)".to_string()
            ),
        ]
    );
    assert!(
        f.iter()
            .all(|m| m.file == "image config" && m.line.is_none())
    );
    // Without the raw config the HEALTHCHECK rule cannot tell, and says nothing.
    let f = lint_image_config(&image.config, None, &LintConfig::default());
    assert_eq!(f.len(), 3);
    assert!(f.iter().all(|m| m.rule_id != "DD-IMG-003"));
}

/// Non-root (numeric user created in a real RUN), a harmless port, a HEALTHCHECK: nothing to
/// report, from either the Dockerfile or the built image.
#[test]
fn good_image_has_no_findings() {
    let df = format!(
        "FROM scratch\nADD {ROOTFS} /\nRUN addgroup -S -g 10001 app && adduser -S -D -u 10001 -G app app\n\
         USER 10001:10001\nEXPOSE 8080/tcp\nHEALTHCHECK --interval=30s CMD [\"/bin/true\"]\n\
         ENTRYPOINT [\"/bin/sh\"]\n"
    );
    assert_eq!(dockerfile_findings(&df), vec![]);
    let built = build(&df, "docker", "docker-archive");
    let image = Image::open(&built.archive, &OpenOptions::default()).unwrap();
    assert_eq!(image.layers.len(), 2);
    let raw = raw_config(&built.archive);
    assert_eq!(raw["config"]["Healthcheck"]["Test"][1], "/bin/true");
    let f = lint_image_config(&image.config, Some(&raw), &LintConfig::default());
    assert_eq!(f, vec![]);
}

/// An OCI-format image: no USER at all (empty Config.User) is root; the OCI config has no
/// healthcheck field, so DD-IMG-003 does not apply — though the Dockerfile rule does.
#[test]
fn oci_image_without_user() {
    let df = format!("FROM scratch\nADD {ROOTFS} /\nEXPOSE 2375\nCMD [\"/bin/sh\"]\n");
    assert_eq!(
        dockerfile_findings(&df),
        vec![
            ("DD-DF-001".to_string(), 1),
            ("DD-DF-021".to_string(), 1),
            ("DD-DF-003".to_string(), 3),
        ]
    );
    let built = build(&df, "oci", "oci-archive");
    let image = Image::open(&built.archive, &OpenOptions::default()).unwrap();
    let raw = raw_config(&built.archive);
    assert!(raw.get("container_config").is_none(), "an OCI config");
    let f = lint_image_config(&image.config, Some(&raw), &LintConfig::default());
    assert_eq!(
        ids_and_messages(&f),
        vec![
            (
                "DD-IMG-001".to_string(),
                "Config.User is empty: the container runs as root".to_string()
            ),
            (
                "DD-IMG-002".to_string(),
                "ExposedPorts has 2375/tcp: port 2375 is Docker API without TLS".to_string()
            ),
        ]
    );
}

/// The secret-detector hook replaces the built-in patterns (here: a detector that knows one
/// private token format), for image configs as for Dockerfiles.
#[test]
fn secret_detector_hook_is_used() {
    let detector = |text: &str| -> Vec<drydock_lint::SecretMatch> {
        text.find("acme_")
            .map(|start| {
                let end = text[start..]
                    .find(char::is_whitespace)
                    .map_or(text.len(), |n| start + n);
                vec![drydock_lint::SecretMatch {
                    kind: "acme-token".to_string(),
                    start,
                    end,
                }]
            })
            .unwrap_or_default()
    };
    let cfg = LintConfig {
        secret_detector: Some(&detector),
        ..LintConfig::default()
    };
    let mut config = drydock_image::ImageConfig::default();
    config.config.user = Some("1000".to_string());
    config.config.env = vec![
        "GREETING=acme_0123456789".to_string(),
        "AWS=AKIAIOSFODNN7EXAMPLE".to_string(),
    ];
    let f = lint_image_config(&config, None, &cfg);
    assert_eq!(
        ids_and_messages(&f),
        vec![(
            "DD-IMG-004".to_string(),
            "Env GREETING contains a secret (acme-token: acme***********)".to_string()
        )]
    );
    let df = "FROM scratch\nRUN echo acme_abcdef123456 && echo AKIAIOSFODNN7EXAMPLE\nUSER 1\nHEALTHCHECK NONE\n";
    let f = lint_dockerfile(Path::new("Dockerfile"), df, &cfg).unwrap();
    assert_eq!(
        ids_and_messages(&f),
        vec![(
            "DD-DF-005".to_string(),
            "RUN contains a secret (acme-token: acme************)".to_string()
        )]
    );
}
