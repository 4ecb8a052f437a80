//! Hostile images: every one gives a clear error or is read safely inside the image root.
//! Nothing here may read or write on the host because an image said so.

use drydock_image::{
    AnalyzeOptions, Analyzer, Image, ImageError, ImagePath, LayerAnalysis, MergedView, OpenOptions,
    analyze_image,
};
use drydock_testkit::{self as tk, hostile};
use std::path::Path;

/// Wants everything; records content (bounded by a small cap).
struct All;

impl Analyzer for All {
    type Output = Vec<u8>;
    fn wants(&self, _: &ImagePath) -> bool {
        true
    }
    fn max_file_size(&self) -> u64 {
        1 << 20
    }
    fn analyze(&self, _: &ImagePath, content: &[u8], _: &mut Vec<String>) -> Option<Vec<u8>> {
        Some(content.to_vec())
    }
}

fn scan_layer(
    layer: Vec<u8>,
    compression: tk::Compression,
) -> Result<Vec<LayerAnalysis<Vec<u8>>>, ImageError> {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("img");
    tk::write_oci_layout(&layout, &[layer], &tk::ImageConfig::default(), compression);
    let img = Image::open(&layout, &OpenOptions::default())?;
    analyze_image(&img, &All, &AnalyzeOptions::default(), &|_, _| {})
}

fn paths(l: &LayerAnalysis<Vec<u8>>) -> Vec<String> {
    l.files
        .iter()
        .map(|f| f.path.as_str().to_string())
        .collect()
}

#[test]
fn traversal_and_absolute_names_stay_inside_the_root() {
    let layers = scan_layer(hostile::path_traversal(), tk::Compression::Gzip).unwrap();
    let mut p = paths(&layers[0]);
    p.sort();
    assert_eq!(
        p,
        vec!["escape", "escape2", "escape3", "escape4", "etc/hostname"]
    );
    assert_eq!(layers[0].stats.hostile_paths, 4);
    assert!(!layers[0].warnings.is_empty());

    let layers = scan_layer(hostile::absolute_paths(), tk::Compression::None).unwrap();
    let mut p = paths(&layers[0]);
    p.sort();
    assert_eq!(
        p,
        vec!["etc/evil", "etc/hostname", "tmp/drydock-evil/payload"]
    );
    assert!(
        !Path::new("/tmp/drydock-evil").exists(),
        "nothing is written on the host"
    );

    for layer in [
        hostile::pax_path_traversal(),
        hostile::long_name_traversal(),
    ] {
        let layers = scan_layer(layer, tk::Compression::Gzip).unwrap();
        for f in paths(&layers[0]) {
            assert!(!f.starts_with('/') && !f.contains(".."), "{f}");
        }
    }
}

#[test]
fn symlinks_to_host_files_resolve_inside_the_image() {
    let layers = scan_layer(hostile::symlink_write_through(), tk::Compression::Gzip).unwrap();
    let view = MergedView::apply(layers);
    // the regular file written after the symlink replaced it; the host's /etc/shadow is never read
    let (_, shadow) = view.get(&ImagePath::new("etc/shadow")).unwrap();
    assert_eq!(shadow.output, b"root:pwned:0:0:99999:7:::\n");
    // `escape -> /etc` resolves to the image's own etc/
    assert_eq!(
        view.resolve(&ImagePath::new("escape/evil.conf"))
            .unwrap()
            .as_str(),
        "etc/evil.conf"
    );
    assert_eq!(
        view.resolve(&ImagePath::new("up/evil2")).unwrap().as_str(),
        "evil2"
    );
}

#[test]
fn symlink_loops_end() {
    let layers = scan_layer(hostile::symlink_loop(), tk::Compression::Gzip).unwrap();
    let view = MergedView::apply(layers);
    assert!(view.get(&ImagePath::new("etc/os-release")).is_none());
    assert!(view.get(&ImagePath::new("lib/apk/db/installed")).is_none());
    assert!(view.resolve(&ImagePath::new("loop/self")).is_none());
}

#[test]
fn hard_links_only_reach_files_of_the_same_layer() {
    let layers = scan_layer(hostile::hardlink_escapes(), tk::Compression::Gzip).unwrap();
    let l = &layers[0];
    let mut p = paths(l);
    p.sort();
    assert_eq!(p, vec!["usr/bin/alias", "usr/bin/real"]);
    let alias = l
        .files
        .iter()
        .find(|f| f.path.as_str() == "usr/bin/alias")
        .unwrap();
    assert_eq!(alias.output, b"#!/bin/sh\n");
    assert_eq!(
        l.warnings
            .iter()
            .filter(|w| w.contains("hard link"))
            .count(),
        3
    );
}

#[test]
fn device_nodes_and_fifos_are_never_read() {
    let layers = scan_layer(hostile::device_nodes(), tk::Compression::Gzip).unwrap();
    assert_eq!(layers[0].stats.special, 5);
    assert_eq!(paths(&layers[0]), vec!["etc/hostname"]);
}

#[test]
fn a_ten_gigabyte_sparse_entry_is_skipped_without_reading_it() {
    let started = std::time::Instant::now();
    let layers = scan_layer(hostile::gnu_sparse(10 << 30), tk::Compression::Gzip).unwrap();
    assert_eq!(paths(&layers[0]), vec!["etc/hostname"]);
    assert!(
        layers[0].warnings.iter().any(|w| w.contains("sparse.bin")),
        "{:?}",
        layers[0].warnings
    );
    assert!(started.elapsed().as_secs() < 20);
}

#[test]
fn truncated_layers_are_clear_errors() {
    let err = scan_layer(hostile::truncated_tar(1 << 20), tk::Compression::None).unwrap_err();
    assert!(matches!(err, ImageError::Layer { index: 0, .. }), "{err}");

    // a gzip layer cut in the middle, stored as an OCI blob
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("img");
    let gz = dir.path().join("truncated.tar.gz");
    std::fs::write(&gz, hostile::truncated_gzip()).unwrap();
    let diff_id = format!("sha256:{}", "0".repeat(64));
    hostile::oci_layout_from_blob(
        &layout,
        &gz,
        "application/vnd.oci.image.layer.v1.tar+gzip",
        &diff_id,
        &tk::ImageConfig::default(),
    );
    let img = Image::open(&layout, &OpenOptions::default()).unwrap();
    let err = analyze_image(&img, &All, &AnalyzeOptions::default(), &|_, _| {}).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("layer 0"), "{msg}");
}

#[test]
fn a_gzip_bomb_streams_in_bounded_memory() {
    // 2 GiB of zeros behind a few MB of gzip: streamed, never held
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("bomb");
    hostile::gzip_bomb_oci_layout(&layout, 2 << 30);
    let img = Image::open(&layout, &OpenOptions::default()).unwrap();
    let layers = analyze_image(&img, &All, &AnalyzeOptions::default(), &|_, _| {}).unwrap();
    assert!(
        layers[0].files.is_empty(),
        "the 2 GiB file is over the analyzer's cap"
    );
    assert_eq!(layers[0].stats.file_bytes, 2 << 30);
    assert!(layers[0].warnings[0].contains("zeros.bin"));
}

#[test]
fn hostile_manifests_and_digests() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("traversal.tar");
    hostile::docker_archive_manifest_traversal(&p);
    let err = Image::open(&p, &OpenOptions::default()).unwrap_err();
    assert!(matches!(err, ImageError::MissingBlob(_)), "{err}");

    let p = dir.path().join("notjson.tar");
    hostile::docker_archive_manifest_not_json(&p);
    let err = Image::open(&p, &OpenOptions::default()).unwrap_err();
    assert!(matches!(err, ImageError::InvalidJson { .. }), "{err}");

    let p = dir.path().join("missing.tar");
    hostile::docker_archive_missing_layer(&p);
    let err = Image::open(&p, &OpenOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            ImageError::MissingBlob(_) | ImageError::LayerCountMismatch { .. }
        ),
        "{err}"
    );

    let p = dir.path().join("diffid.tar");
    hostile::docker_archive_diff_id_mismatch(&p);
    let img = Image::open(&p, &OpenOptions::default()).unwrap();
    let err = analyze_image(&img, &All, &AnalyzeOptions::default(), &|_, _| {}).unwrap_err();
    assert!(
        matches!(err, ImageError::DiffIdMismatch { index: 0, .. }),
        "{err}"
    );

    let p = dir.path().join("digest-layout");
    hostile::oci_layout_digest_traversal(&p);
    let err = Image::open(&p, &OpenOptions::default()).unwrap_err();
    assert!(matches!(err, ImageError::BadDigest(_)), "{err}");

    let p = dir.path().join("digest-archive.tar");
    hostile::oci_archive_digest_traversal(&p);
    let err = Image::open(&p, &OpenOptions::default()).unwrap_err();
    assert!(matches!(err, ImageError::BadDigest(_)), "{err}");

    let p = dir.path().join("layer-digest");
    hostile::oci_layout_layer_digest_traversal(&p);
    let err = Image::open(&p, &OpenOptions::default()).unwrap_err();
    assert!(matches!(err, ImageError::BadDigest(_)), "{err}");

    let p = dir.path().join("empty");
    hostile::empty_file(&p);
    let err = Image::open(&p, &OpenOptions::default()).unwrap_err();
    assert!(matches!(err, ImageError::NotAnImage { .. }), "{err}");
}

#[test]
fn a_tampered_blob_fails_the_diff_id_check() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("img");
    let layer = tk::layer_tar(&[tk::Entry::file("etc/hostname", "x\n")]);
    let d = tk::write_oci_layout(
        &layout,
        &[layer],
        &tk::ImageConfig::default(),
        tk::Compression::None,
    );
    hostile::corrupt_first_layer_blob(&layout, &d);
    let img = Image::open(&layout, &OpenOptions::default()).unwrap();
    let err = analyze_image(&img, &All, &AnalyzeOptions::default(), &|_, _| {}).unwrap_err();
    assert!(
        matches!(
            err,
            ImageError::DiffIdMismatch { .. } | ImageError::Layer { .. }
        ),
        "{err}"
    );
}
