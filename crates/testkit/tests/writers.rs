//! The image writers produce valid images: digests and diffIDs recomputed independently, and
//! skopeo (when installed) reads them.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::*;
use drydock_testkit::*;
use serde_json::Value;

fn alpine_layer() -> Vec<u8> {
    layer_from_rootfs_tarball(alpine_rootfs("3.20.3"))
}

fn app_layer() -> Vec<u8> {
    layer_tar(&[
        Entry::dir("app"),
        Entry::file("app/package.json", r#"{"name":"app","version":"1.0.0"}"#),
        Entry::executable("app/run.sh", "#!/bin/sh\nexec node app.js\n"),
        Entry::whiteout("etc/motd"),
        Entry::opaque("var/cache"),
    ])
}

fn cfg() -> ImageConfig {
    ImageConfig {
        env: vec!["PATH=/usr/bin:/bin".into(), "APP=1".into()],
        user: Some("1000:1000".into()),
        exposed_ports: vec!["8080/tcp".into()],
        labels: BTreeMap::from([("org.opencontainers.image.title".into(), "t".into())]),
        history: vec![
            "ADD alpine-minirootfs-3.20.3-x86_64.tar.gz /".into(),
            "COPY app /app".into(),
            "CMD [\"/app/run.sh\"]".into(),
        ],
        cmd: vec!["/app/run.sh".into()],
        ..ImageConfig::default()
    }
}

const ALL: [Compression; 3] = [Compression::None, Compression::Gzip, Compression::Zstd];

fn check_config(v: &Verified) {
    let c = &v.config;
    assert_eq!(c["os"], "linux");
    assert_eq!(c["architecture"], "amd64");
    assert_eq!(c["config"]["User"], "1000:1000");
    assert_eq!(c["config"]["Env"][1], "APP=1");
    assert!(c["config"]["ExposedPorts"]["8080/tcp"].is_object());
    assert_eq!(c["config"]["Labels"]["org.opencontainers.image.title"], "t");
    let h = c["history"].as_array().unwrap();
    assert_eq!(h.len(), 3);
    assert_eq!(h[1]["created_by"], "COPY app /app");
    assert!(h[1].get("empty_layer").is_none());
    assert_eq!(h[2]["empty_layer"], true);
}

fn skopeo_json(args: &[&str]) -> Value {
    serde_json::from_slice(&run(Command::new("/usr/bin/skopeo").args(args))).unwrap()
}

#[test]
fn docker_archive_legacy_and_modern_in_every_compression() {
    let tmp = tempfile::tempdir().unwrap();
    let layers = vec![alpine_layer(), app_layer()];
    let skopeo = skopeo();
    for layout in [DockerLayout::Legacy, DockerLayout::Modern] {
        for c in ALL {
            let out = tmp.path().join(format!("{layout:?}-{c:?}.tar"));
            let opts = DockerArchiveOptions {
                compression: c,
                repo_tags: vec!["drydock/test:1".into()],
                layout,
            };
            let d = write_docker_archive_with(&out, &layers, &cfg(), &opts);
            let (v, tags) = verify_docker_archive(&out);
            assert_eq!(tags, serde_json::json!(["drydock/test:1"]));
            check_config(&v);
            assert_eq!(v.diff_ids, d.diff_ids);
            assert_eq!(v.diff_ids[0], sha(&layers[0]));
            assert_eq!(v.diff_ids[1], sha(&layers[1]));
            assert_eq!(v.layer_digests, d.layer_digests);
            assert_eq!(v.config_digest, d.config_digest);
            assert!(v.layers == layers);
            if c == Compression::None {
                assert_eq!(d.layer_digests, d.diff_ids);
            } else {
                assert_ne!(d.layer_digests, d.diff_ids);
            }
            let files = tar_files(&std::fs::read(&out).unwrap());
            match layout {
                DockerLayout::Legacy => {
                    assert!(files.keys().any(|k| k.ends_with("/layer.tar")));
                    assert!(files.contains_key("repositories"));
                }
                DockerLayout::Modern => {
                    assert!(files.contains_key("oci-layout"));
                    assert!(files.contains_key("index.json"));
                    let index: Value = serde_json::from_slice(&files["index.json"]).unwrap();
                    let ann = &index["manifests"][0]["annotations"];
                    assert_eq!(ann["io.containerd.image.name"], "drydock/test:1");
                    assert_eq!(ann["org.opencontainers.image.ref.name"], "1");
                }
            }
            if skopeo.is_some() {
                let arg = format!("docker-archive:{}", out.display());
                let raw =
                    run(Command::new("/usr/bin/skopeo")
                        .args(["inspect", "--config", "--raw", &arg]));
                assert_eq!(sha(&raw), d.config_digest, "skopeo sees our config");
                let info = skopeo_json(&["inspect", &arg]);
                assert_eq!(info["Architecture"], "amd64");
                assert_eq!(info["Layers"].as_array().unwrap().len(), 2);
                // skopeo copy re-reads every layer and checks it against its digest.
                let oci = tmp.path().join(format!("copy-{layout:?}-{c:?}"));
                run(Command::new("/usr/bin/skopeo").args([
                    "copy",
                    "--quiet",
                    &arg,
                    &format!("oci:{}:copied", oci.display()),
                ]));
                let copied = verify_oci_layout(&oci);
                assert_eq!(copied[0].diff_ids, d.diff_ids);
                if layout == DockerLayout::Modern {
                    // A Docker >= 25 archive is an OCI archive too.
                    let raw = run(Command::new("/usr/bin/skopeo").args([
                        "inspect",
                        "--raw",
                        &format!("oci-archive:{}", out.display()),
                    ]));
                    assert_eq!(sha(&raw), d.manifest_digest);
                }
            }
        }
    }
}

#[test]
fn docker_archive_without_tag_writes_null_repo_tags() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("untagged.tar");
    write_docker_archive(&out, &[app_layer()], &cfg(), Compression::None, None);
    let (_, tags) = verify_docker_archive(&out);
    assert!(tags.is_null());
    assert!(!tar_files(&std::fs::read(&out).unwrap()).contains_key("repositories"));
}

#[test]
fn gzipped_docker_save_is_readable() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("img.tar");
    let d = write_docker_archive(
        &out,
        &[alpine_layer()],
        &cfg(),
        Compression::None,
        Some("alpine:3.20.3"),
    );
    let gz = gzip_file(&out);
    assert_eq!(gz, tmp.path().join("img.tar.gz"));
    let bytes = std::fs::read(&gz).unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b]);
    assert!(decompress(&bytes) == std::fs::read(&out).unwrap());
    let (v, _) = verify_docker_archive(&gz);
    assert_eq!(v.diff_ids, d.diff_ids);
    // skopeo 1.9 cannot read a gzipped docker-archive ("invalid tar header"): our own
    // verification above is the check here.
}

#[test]
fn oci_layout_in_every_compression() {
    let tmp = tempfile::tempdir().unwrap();
    let layers = vec![alpine_layer(), app_layer()];
    let skopeo = skopeo();
    for c in ALL {
        let dir = tmp.path().join(format!("oci-{c:?}"));
        let d = write_oci_layout(&dir, &layers, &cfg(), c);
        let v = verify_oci_layout(&dir);
        assert_eq!(v.len(), 1);
        check_config(&v[0]);
        assert_eq!(
            v[0].manifest_digest.as_deref(),
            Some(d.manifest_digest.as_str())
        );
        assert!(v[0].layers == layers);
        assert!(
            v[0].layer_media_types
                .iter()
                .all(|m| m == c.oci_media_type())
        );
        let magic = &std::fs::read(
            dir.join("blobs/sha256")
                .join(&d.layer_digests[0]["sha256:".len()..]),
        )
        .unwrap()[..4];
        match c {
            Compression::None => assert_eq!(magic, &layers[0][..4]),
            Compression::Gzip => assert_eq!(&magic[..2], &[0x1f, 0x8b]),
            Compression::Zstd => assert_eq!(magic, &[0x28, 0xb5, 0x2f, 0xfd]),
        }
        if skopeo.is_some() {
            let arg = format!("oci:{}:latest", dir.display());
            let raw = run(Command::new("/usr/bin/skopeo").args(["inspect", "--raw", &arg]));
            assert_eq!(sha(&raw), d.manifest_digest, "skopeo serves our manifest");
            // skopeo copy re-reads every blob and checks its digest; docker-archive cannot
            // hold zstd layers, so those go to another OCI layout.
            if c == Compression::Zstd {
                let dest = tmp.path().join("copy-zstd");
                run(Command::new("/usr/bin/skopeo").args([
                    "copy",
                    "--quiet",
                    &arg,
                    &format!("oci:{}:copied", dest.display()),
                ]));
                assert_eq!(verify_oci_layout(&dest)[0].diff_ids, d.diff_ids);
            } else {
                let out = tmp.path().join(format!("from-oci-{c:?}.tar"));
                run(Command::new("/usr/bin/skopeo").args([
                    "copy",
                    "--quiet",
                    &arg,
                    &format!("docker-archive:{}:x/y:z", out.display()),
                ]));
                let (back, _) = verify_docker_archive(&out);
                assert_eq!(back.diff_ids, d.diff_ids);
            }
        }
    }
}

#[test]
fn oci_archive_is_a_tar_of_a_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("img.oci.tar");
    let d = write_oci_archive(&out, &[alpine_layer()], &cfg(), Compression::Gzip);
    let unpacked = tmp.path().join("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    run(Command::new("tar")
        .arg("-xf")
        .arg(&out)
        .arg("-C")
        .arg(&unpacked));
    let v = verify_oci_layout(&unpacked);
    assert_eq!(
        v[0].manifest_digest.as_deref(),
        Some(d.manifest_digest.as_str())
    );
    if skopeo().is_some() {
        let raw = run(Command::new("/usr/bin/skopeo").args([
            "inspect",
            "--raw",
            &format!("oci-archive:{}", out.display()),
        ]));
        assert_eq!(sha(&raw), d.manifest_digest);
    }
}

#[test]
fn multiplatform_layout_nested_and_flat() {
    let tmp = tempfile::tempdir().unwrap();
    let amd = vec![alpine_layer()];
    let arm = vec![layer_tar(&[Entry::file("etc/arch", "arm64\n")])];
    let images = vec![
        (Platform::linux("amd64"), amd.clone(), cfg()),
        (Platform::linux_variant("arm64", "v8"), arm.clone(), cfg()),
    ];
    for nested in [true, false] {
        let dir = tmp.path().join(format!("multi-{nested}"));
        let d = if nested {
            write_oci_layout_multiplatform(&dir, &images)
        } else {
            let opts = OciOptions {
                nested_index: false,
                ..OciOptions::default()
            };
            write_oci_layout_multiplatform_with(&dir, &images, &opts)
        };
        assert_eq!(d.index_digest.is_some(), nested);
        let v = verify_oci_layout(&dir);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].platform.as_ref().unwrap()["architecture"], "amd64");
        assert_eq!(v[1].platform.as_ref().unwrap()["architecture"], "arm64");
        assert_eq!(v[1].platform.as_ref().unwrap()["variant"], "v8");
        assert_eq!(v[1].config["architecture"], "arm64");
        assert_eq!(v[1].config["variant"], "v8");
        assert!(v[0].layers == amd);
        assert!(v[1].layers == arm);
        let index: Value =
            serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
        let n = index["manifests"].as_array().unwrap().len();
        assert_eq!(n, if nested { 1 } else { 2 });
        if nested && skopeo().is_some() {
            // skopeo picks the image for its own platform (linux/amd64) from the index.
            let arg = format!("oci:{}:latest", dir.display());
            let raw = run(Command::new("/usr/bin/skopeo").args(["inspect", "--raw", &arg]));
            assert_eq!(sha(&raw), d.index_digest.clone().unwrap());
            let info = skopeo_json(&["inspect", &arg]);
            assert_eq!(info["Architecture"], "amd64");
            let arm_info = skopeo_json(&["--override-arch", "arm64", "inspect", &arg]);
            assert_eq!(arm_info["Architecture"], "arm64");
        }
    }
}

#[test]
fn declared_media_type_can_lie_about_compression() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("liar");
    let opts = OciOptions {
        compression: Compression::Gzip,
        declared_layer_media_type: Some(Compression::None.oci_media_type().into()),
        ..OciOptions::default()
    };
    let d = write_oci_layout_with(&dir, &[app_layer()], &cfg(), &opts);
    assert_eq!(d.layer_media_type, "application/vnd.oci.image.layer.v1.tar");
    let v = verify_oci_layout(&dir);
    assert_eq!(
        v[0].layer_media_types[0],
        "application/vnd.oci.image.layer.v1.tar"
    );
    let blob = std::fs::read(
        dir.join("blobs/sha256")
            .join(&d.layer_digests[0]["sha256:".len()..]),
    )
    .unwrap();
    assert_eq!(&blob[..2], &[0x1f, 0x8b], "the blob is gzip all the same");
}

#[test]
fn writers_are_deterministic_and_take_files_as_layers() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a.tar"), tmp.path().join("b.tar"));
    let layers = vec![alpine_layer(), app_layer()];
    write_docker_archive(&a, &layers, &cfg(), Compression::Gzip, Some("t:1"));
    // The same layers given as files: the .tar.gz rootfs is decompressed on the fly.
    let app = tmp.path().join("app.tar");
    std::fs::write(&app, app_layer()).unwrap();
    let files = vec![alpine_rootfs("3.20.3"), app];
    write_docker_archive(&b, &files, &cfg(), Compression::Gzip, Some("t:1"));
    assert!(
        std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
        "same layers from memory and from files give the same archive"
    );
    // A verbatim file layer keeps the gzip bytes as the "uncompressed" content.
    let raw = write_oci_layout(
        tmp.path().join("raw"),
        &[LayerFile(alpine_rootfs("3.20.3"))],
        &cfg(),
        Compression::None,
    );
    assert_eq!(raw.diff_ids[0], sha256_file_digest(alpine_rootfs("3.20.3")));
}

#[test]
fn duplicate_layers_are_kept_in_legacy_archives() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dup.tar");
    let l = app_layer();
    let d = write_docker_archive(&out, &[&l, &l], &cfg(), Compression::None, None);
    assert_eq!(d.diff_ids[0], d.diff_ids[1]);
    let (v, _) = verify_docker_archive(&out);
    assert_eq!(v.layers.len(), 2);
}

#[allow(dead_code)]
fn _path_is_layer_source(p: &Path) {
    let _ = write_oci_layout(p, &[p], &ImageConfig::default(), Compression::None);
}
