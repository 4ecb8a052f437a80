//! Independent checks of what the writers produce: parse the JSON, recompute every digest
//! and diffID, and (when installed) ask skopeo for a second opinion.
#![allow(dead_code)] // each test binary uses a different part

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use sha2::{Digest, Sha256};

pub fn sha(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Regular files of a tar, by name (small archives only).
pub fn tar_files(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut ar = tar::Archive::new(bytes);
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        if e.header().entry_type().is_file() {
            let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            out.insert(name, data);
        }
    }
    out
}

/// Decompresses by magic bytes (gzip, zstd, else as is).
pub fn decompress(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        zstd::stream::read::Decoder::new(bytes)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
    } else {
        out = bytes.to_vec();
    }
    out
}

/// What one verified image holds.
#[derive(Debug)]
pub struct Verified {
    pub manifest_digest: Option<String>,
    pub config: Value,
    pub config_digest: String,
    pub diff_ids: Vec<String>,
    pub layer_digests: Vec<String>,
    pub layer_media_types: Vec<String>,
    pub layers: Vec<Vec<u8>>,
    pub platform: Option<Value>,
}

/// Verifies an OCI manifest and everything it references, given a blob getter.
fn verify_manifest(
    blob: &dyn Fn(&str) -> Vec<u8>,
    digest: &str,
    size: u64,
    platform: Option<Value>,
) -> Verified {
    let bytes = blob(digest);
    assert_eq!(sha(&bytes), digest, "manifest digest");
    assert_eq!(bytes.len() as u64, size, "manifest size");
    let m: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(m["schemaVersion"], 2);
    assert_eq!(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.oci.image.config.v1+json"
    );
    let config_digest = m["config"]["digest"].as_str().unwrap().to_string();
    let config_bytes = blob(&config_digest);
    assert_eq!(sha(&config_bytes), config_digest, "config digest");
    assert_eq!(
        config_bytes.len() as u64,
        m["config"]["size"].as_u64().unwrap()
    );
    let config: Value = serde_json::from_slice(&config_bytes).unwrap();
    let diff_ids: Vec<String> = config["rootfs"]["diff_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    let layers = m["layers"].as_array().unwrap();
    assert_eq!(layers.len(), diff_ids.len(), "layers vs diff_ids");
    let mut v = Verified {
        manifest_digest: Some(digest.to_string()),
        config,
        config_digest,
        diff_ids: diff_ids.clone(),
        layer_digests: vec![],
        layer_media_types: vec![],
        layers: vec![],
        platform,
    };
    for (l, diff_id) in layers.iter().zip(&diff_ids) {
        let d = l["digest"].as_str().unwrap();
        let b = blob(d);
        assert_eq!(sha(&b), d, "layer blob digest");
        assert_eq!(b.len() as u64, l["size"].as_u64().unwrap(), "layer size");
        let mt = l["mediaType"].as_str().unwrap().to_string();
        let raw = decompress(&b);
        assert_eq!(&sha(&raw), diff_id, "diffID of uncompressed layer");
        v.layer_digests.push(d.to_string());
        v.layer_media_types.push(mt);
        v.layers.push(raw);
    }
    v
}

/// Verifies an OCI layout directory: every image reachable from `index.json` (nested
/// indexes followed).
pub fn verify_oci_layout(dir: &Path) -> Vec<Verified> {
    let layout: Value =
        serde_json::from_slice(&std::fs::read(dir.join("oci-layout")).unwrap()).unwrap();
    assert_eq!(layout["imageLayoutVersion"], "1.0.0");
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let blob = |d: &str| {
        let hex = d.strip_prefix("sha256:").expect("sha256 digest");
        assert!(hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
        std::fs::read(dir.join("blobs/sha256").join(hex)).unwrap()
    };
    let mut out = Vec::new();
    walk_index(&blob, &index, &mut out);
    out
}

fn walk_index(blob: &dyn Fn(&str) -> Vec<u8>, index: &Value, out: &mut Vec<Verified>) {
    assert_eq!(index["schemaVersion"], 2);
    for d in index["manifests"].as_array().unwrap() {
        let digest = d["digest"].as_str().unwrap();
        let size = d["size"].as_u64().unwrap();
        match d["mediaType"].as_str().unwrap() {
            "application/vnd.oci.image.index.v1+json" => {
                let b = blob(digest);
                assert_eq!(sha(&b), digest);
                assert_eq!(b.len() as u64, size);
                walk_index(blob, &serde_json::from_slice(&b).unwrap(), out);
            }
            "application/vnd.oci.image.manifest.v1+json" => {
                out.push(verify_manifest(
                    blob,
                    digest,
                    size,
                    d.get("platform").cloned(),
                ));
            }
            other => panic!("unexpected media type {other}"),
        }
    }
}

/// Verifies a docker-archive (legacy or modern): manifest.json, config name/digest, each
/// layer's diffID; returns the image and `RepoTags`.
pub fn verify_docker_archive(path: &Path) -> (Verified, Value) {
    let files = tar_files(&decompress(&std::fs::read(path).unwrap()));
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    let m = &manifest.as_array().unwrap()[0];
    let config_path = m["Config"].as_str().unwrap();
    let config_bytes = &files[config_path];
    let config_digest = sha(config_bytes);
    let hex = &config_digest["sha256:".len()..];
    assert!(
        config_path == format!("{hex}.json") || config_path == format!("blobs/sha256/{hex}"),
        "config path {config_path} does not name its digest"
    );
    let config: Value = serde_json::from_slice(config_bytes).unwrap();
    let diff_ids: Vec<String> = config["rootfs"]["diff_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    let layer_paths = m["Layers"].as_array().unwrap();
    assert_eq!(layer_paths.len(), diff_ids.len());
    let mut v = Verified {
        manifest_digest: None,
        config,
        config_digest,
        diff_ids: diff_ids.clone(),
        layer_digests: vec![],
        layer_media_types: vec![],
        layers: vec![],
        platform: None,
    };
    for (p, diff_id) in layer_paths.iter().zip(&diff_ids) {
        let p = p.as_str().unwrap();
        let blob = &files[p];
        if let Some(hex) = p.strip_prefix("blobs/sha256/") {
            assert_eq!(sha(blob), format!("sha256:{hex}"), "blob {p}");
        }
        let raw = decompress(blob);
        assert_eq!(&sha(&raw), diff_id, "diffID of {p}");
        v.layer_digests.push(sha(blob));
        v.layers.push(raw);
    }
    (v, m["RepoTags"].clone())
}

pub fn skopeo() -> Option<PathBuf> {
    let p = PathBuf::from("/usr/bin/skopeo");
    if p.is_file() {
        Some(p)
    } else {
        eprintln!(
            "NOTE: skopeo is not installed: images are verified by recomputing digests only \
             (apt-get install -y skopeo for a second opinion)"
        );
        None
    }
}

/// Runs a command, asserting success, returning stdout.
pub fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `tar -tvf -` of `bytes` (GNU tar's own listing), with stderr appended.
pub fn tar_tv(bytes: &[u8]) -> String {
    let mut child = Command::new("tar")
        .args(["--numeric-owner", "-tvf", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = bytes.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
