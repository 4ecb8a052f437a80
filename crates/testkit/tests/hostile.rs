//! The hostile builders produce what they claim, as GNU tar (and gzip) read them back.

mod common;

use std::io::Read;
use std::process::Command;
use std::time::Instant;

use common::*;
use drydock_testkit::hostile;
use drydock_testkit::*;
use serde_json::Value;

/// Asserts that every `needle` occurs in the `tar -tvf` listing.
fn assert_lists(listing: &str, needles: &[&str]) {
    for n in needles {
        assert!(listing.contains(n), "{n:?} not in listing:\n{listing}");
    }
}

#[test]
fn path_traversal_names_are_kept_verbatim() {
    let l = tar_tv(&hostile::path_traversal());
    assert_lists(
        &l,
        &[
            " ../../escape\n",
            " a/../../../escape2\n",
            " ./../escape3\n",
            " etc/../../escape4\n",
        ],
    );
    let names: Vec<_> = tar_names(&hostile::path_traversal());
    assert_eq!(names[0], "../../escape");
}

fn tar_names(bytes: &[u8]) -> Vec<String> {
    tar::Archive::new(bytes)
        .entries()
        .unwrap()
        .map(|e| String::from_utf8_lossy(&e.unwrap().path_bytes()).into_owned())
        .collect()
}

#[test]
fn absolute_paths() {
    let names = tar_names(&hostile::absolute_paths());
    assert_eq!(
        names,
        [
            "/etc/evil",
            "/tmp/drydock-evil/",
            "/tmp/drydock-evil/payload",
            "etc/hostname"
        ]
    );
    // GNU tar strips the leading slash when listing, and says so.
    assert_lists(
        &tar_tv(&hostile::absolute_paths()),
        &["Removing leading `/'"],
    );
}

#[test]
fn symlink_write_through() {
    let l = tar_tv(&hostile::symlink_write_through());
    assert_lists(
        &l,
        &[
            "lrwxrwxrwx 0/0               0 2024-01-01 00:00 etc/shadow -> /etc/shadow",
            "-rw-r--r-- 0/0              26 2024-01-01 00:00 etc/shadow\n",
            "escape -> /etc",
            " escape/evil.conf\n",
            "up -> ../..",
            " up/evil2\n",
        ],
    );
}

#[test]
fn symlink_loop() {
    let l = tar_tv(&hostile::symlink_loop());
    assert_lists(
        &l,
        &[
            "loop/a -> b",
            "loop/b -> a",
            "loop/self -> self",
            "etc/os-release -> ../loop/a",
            "lib/apk/db/installed -> ../../../loop/a/installed",
        ],
    );
}

#[test]
fn hardlink_escapes() {
    let bytes = hostile::hardlink_escapes();
    // GNU tar sanitises link targets even when listing, and says so.
    let l = tar_tv(&bytes);
    assert_lists(
        &l,
        &[
            "hrw-r--r-- 0/0               0 2024-01-01 00:00 etc/passwd-link link to etc/passwd",
            "Removing leading `/' from hard link targets",
            "Removing leading `../../' from hard link targets",
            "dangling link to missing/target",
            "usr/bin/alias link to usr/bin/real",
        ],
    );
    // The raw targets, as a scanner reading the tar sees them.
    let links: Vec<(String, String)> = tar::Archive::new(bytes.as_slice())
        .entries()
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.header().entry_type() == tar::EntryType::Link)
        .map(|e| {
            (
                String::from_utf8_lossy(&e.path_bytes()).into_owned(),
                String::from_utf8_lossy(&e.link_name_bytes().unwrap()).into_owned(),
            )
        })
        .collect();
    let expect = [
        ("etc/passwd-link", "/etc/passwd"),
        ("outside", "../../outside"),
        ("dangling", "missing/target"),
        ("usr/bin/alias", "usr/bin/real"),
    ];
    assert_eq!(
        links,
        expect.map(|(a, b)| (a.to_string(), b.to_string())).to_vec()
    );
}

#[test]
fn device_nodes_and_fifos() {
    let l = tar_tv(&hostile::device_nodes());
    assert_lists(
        &l,
        &[
            "crw-rw---- 0/0             1,3 ",
            " dev/null\n",
            "crw-rw---- 0/0             1,5 ",
            "brw-rw---- 0/0             8,0 ",
            " dev/sda\n",
            "prw-r--r-- 0/0               0 ",
            " run/fifo\n",
        ],
    );
}

#[test]
fn gnu_sparse_claims_ten_gib() {
    let ten_gib = 10u64 << 30;
    let bytes = hostile::gnu_sparse(ten_gib);
    assert!(bytes.len() < 8 * 1024, "stores only a few blocks");
    let l = tar_tv(&bytes);
    assert_lists(
        &l,
        &[
            &format!(" {ten_gib} 2024-01-01 00:00 sparse.bin\n"),
            " etc/hostname\n",
        ],
    );
    // The tar crate reads the sparse map too: the entry reads back as 10 GiB (we only look at
    // its size and first bytes).
    let mut ar = tar::Archive::new(bytes.as_slice());
    let mut e = ar.entries().unwrap().next().unwrap().unwrap();
    assert_eq!(e.header().entry_type(), tar::EntryType::GNUSparse);
    assert_eq!(e.size(), ten_gib);
    let mut head = [0u8; 600];
    e.read_exact(&mut head).unwrap();
    assert!(head[..512].iter().all(|&b| b == b'A'));
    assert!(
        head[512..].iter().all(|&b| b == 0),
        "a hole follows the first chunk"
    );
}

#[test]
fn pax_and_long_name_traversals() {
    let l = tar_tv(&hostile::pax_path_traversal());
    assert_lists(&l, &[" ../../pax-escape\n", "benign-link -> /etc/shadow"]);
    let l = tar_tv(&hostile::long_name_traversal());
    assert_lists(
        &l,
        &[&format!("{}/../../../../long-escape\n", "a".repeat(150))],
    );
}

#[test]
fn truncated_tar_and_gzip() {
    let t = hostile::truncated_tar(1 << 30);
    assert_eq!(t.len(), 1024);
    let l = tar_tv(&t);
    assert_lists(
        &l,
        &[" 1073741824 2024-01-01 00:00 big.bin", "Unexpected EOF"],
    );

    let gz = hostile::truncated_gzip();
    assert_eq!(&gz[..2], &[0x1f, 0x8b]);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.gz");
    std::fs::write(&p, &gz).unwrap();
    let out = Command::new("gzip").arg("-t").arg(&p).output().unwrap();
    assert!(
        !out.status.success(),
        "gzip -t must reject a truncated stream"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("unexpected end of file"));
}

#[test]
fn gzip_bomb_is_valid_and_small() {
    let dir = tempfile::tempdir().unwrap();
    // Small enough to decompress fully in the test.
    let size = 64u64 << 20;
    let p = dir.path().join("bomb.tar.gz");
    let compressed = hostile::gzip_bomb(&p, size);
    assert!(compressed < size / 500, "{compressed} bytes for {size}");
    run(Command::new("gzip").arg("-t").arg(&p));
    let raw = decompress(&std::fs::read(&p).unwrap());
    assert_eq!(raw.len() as u64, hostile::gzip_bomb_tar_size(size));
    assert_eq!(sha(&raw), hostile::gzip_bomb_diff_id(size));
    assert_lists(
        &tar_tv(&raw),
        &[&format!(" {size} 2024-01-01 00:00 zeros.bin\n")],
    );

    // A 20 GiB bomb: generated in well under a second, ~20 MB, with a consistent trailer.
    let big = 20u64 << 30;
    let p = dir.path().join("big.tar.gz");
    let t = Instant::now();
    let compressed = hostile::gzip_bomb(&p, big);
    let took = t.elapsed();
    assert!(took.as_secs() < 20, "took {took:?}");
    assert!((15 << 20..30 << 20).contains(&compressed), "{compressed}");
    let bytes = std::fs::read(&p).unwrap();
    let isize = u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().unwrap());
    assert_eq!(isize, hostile::gzip_bomb_tar_size(big) as u32);
    // The start decodes to a tar header declaring 20 GiB.
    let mut head = vec![0u8; 512];
    flate2::read::GzDecoder::new(bytes.as_slice())
        .read_exact(&mut head)
        .unwrap();
    let h = tar::Header::from_byte_slice(&head);
    assert_eq!(h.size().unwrap(), big);
    eprintln!("20 GiB gzip bomb: {compressed} bytes in {took:?}");
}

#[test]
fn gzip_bomb_oci_layout_is_a_valid_image() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("bomb");
    let d = hostile::gzip_bomb_oci_layout(&layout, 32 << 20);
    let v = verify_oci_layout(&layout);
    assert_eq!(v[0].diff_ids, d.diff_ids);
    assert_eq!(
        v[0].layer_media_types[0],
        "application/vnd.oci.image.layer.v1.tar+gzip"
    );
}

#[test]
fn hostile_docker_archives() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("traversal.tar");
    hostile::docker_archive_manifest_traversal(&p);
    let files = tar_files(&std::fs::read(&p).unwrap());
    let m: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert_eq!(m[0]["Config"], "../../etc/passwd");
    assert_eq!(m[0]["Layers"][1], "/etc/shadow");

    let p = dir.path().join("notjson.tar");
    hostile::docker_archive_manifest_not_json(&p);
    let files = tar_files(&std::fs::read(&p).unwrap());
    assert!(serde_json::from_slice::<Value>(&files["manifest.json"]).is_err());

    let p = dir.path().join("mismatch.tar");
    hostile::docker_archive_diff_id_mismatch(&p);
    let files = tar_files(&std::fs::read(&p).unwrap());
    let m: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    let config: Value = serde_json::from_slice(&files[m[0]["Config"].as_str().unwrap()]).unwrap();
    assert_ne!(
        config["rootfs"]["diff_ids"][0],
        sha(&files["l1/layer.tar"]).as_str()
    );

    let p = dir.path().join("missing.tar");
    hostile::docker_archive_missing_layer(&p);
    let files = tar_files(&std::fs::read(&p).unwrap());
    assert!(!files.contains_key("missing/layer.tar"));

    if skopeo().is_some() {
        for name in ["traversal.tar", "notjson.tar", "missing.tar"] {
            let out = Command::new("/usr/bin/skopeo")
                .args([
                    "inspect",
                    &format!("docker-archive:{}", dir.path().join(name).display()),
                ])
                .output()
                .unwrap();
            assert!(!out.status.success(), "skopeo accepted {name}");
        }
    }
}

#[test]
fn hostile_oci_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("index-traversal");
    hostile::oci_layout_digest_traversal(&l);
    let index: Value =
        serde_json::from_slice(&std::fs::read(l.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["manifests"][0]["digest"], "sha256:../../x");

    let a = dir.path().join("index-traversal.tar");
    hostile::oci_archive_digest_traversal(&a);
    let files = tar_files(&std::fs::read(&a).unwrap());
    assert!(String::from_utf8_lossy(&files["index.json"]).contains("sha256:../../x"));

    let l = dir.path().join("layer-traversal");
    hostile::oci_layout_layer_digest_traversal(&l);
    let index: Value =
        serde_json::from_slice(&std::fs::read(l.join("index.json")).unwrap()).unwrap();
    let md = index["manifests"][0]["digest"].as_str().unwrap();
    let m: Value =
        serde_json::from_slice(&std::fs::read(l.join("blobs/sha256").join(&md[7..])).unwrap())
            .unwrap();
    assert_eq!(m["layers"][0]["digest"], "sha256:../../../../etc/passwd");

    let l = dir.path().join("corrupt");
    let img = write_oci_layout(
        &l,
        &[layer_tar(&[Entry::file("etc/hostname", "x\n")])],
        &ImageConfig::default(),
        Compression::Gzip,
    );
    let digest = hostile::corrupt_first_layer_blob(&l, &img);
    let blob = std::fs::read(l.join("blobs/sha256").join(&digest[7..])).unwrap();
    assert_ne!(sha(&blob), digest);
    assert_eq!(blob.len() as u64, img.layer_sizes[0]);
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.tar");
    hostile::empty_file(&p);
    assert_eq!(std::fs::metadata(&p).unwrap().len(), 0);
}
