//! Every supported container format, built by the tests from the real Alpine 3.20.3 rootfs,
//! reads back as the same layers (diffIDs recomputed while streaming) and the same merged view.

use drydock_image::{
    AnalyzeOptions, Analyzer, Format, Image, ImageError, ImagePath, MergedView, OpenOptions,
    Platform, analyze_image,
};
use drydock_testkit::{self as tk, Entry};
use std::path::Path;

/// Wants a fixed set of paths and returns their content.
struct Wanted(&'static [&'static str]);

impl Analyzer for Wanted {
    type Output = Vec<u8>;
    fn wants(&self, path: &ImagePath) -> bool {
        self.0.contains(&path.as_str())
    }
    fn analyze(&self, _: &ImagePath, content: &[u8], _: &mut Vec<String>) -> Option<Vec<u8>> {
        Some(content.to_vec())
    }
}

const WANTED: Wanted = Wanted(&[
    "etc/os-release",
    "usr/lib/os-release",
    "etc/alpine-release",
    "lib/apk/db/installed",
    "etc/motd",
    "opt/app/config",
    "opt/app/old",
    "opt/keep/file",
]);

fn alpine_layers() -> Vec<Vec<u8>> {
    let base = tk::layer_from_rootfs_tarball(tk::alpine_rootfs("3.20.3"));
    let l1 = tk::layer_tar(&[
        Entry::file("etc/motd", "layer one motd\n"),
        Entry::file("opt/app/config", "v1\n"),
        Entry::file("opt/app/old", "old\n"),
        Entry::file("opt/keep/file", "keep\n"),
    ]);
    let l2 = tk::layer_tar(&[
        Entry::whiteout("etc/motd"),
        Entry::opaque("opt/app"),
        Entry::file("opt/app/config", "v2\n"),
    ]);
    vec![base, l1, l2]
}

fn open(path: &Path) -> Image {
    Image::open(path, &OpenOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn check(image: &Image, format: Format, diff_ids: &[String]) {
    assert_eq!(image.format, format);
    let got: Vec<&str> = image.layers.iter().map(|l| l.diff_id.as_str()).collect();
    assert_eq!(got, diff_ids.iter().map(String::as_str).collect::<Vec<_>>());
    let layers = analyze_image(image, &WANTED, &AnalyzeOptions::default(), &|_, _| {}).unwrap();
    // computed while streaming, and equal to the config's
    for (l, want) in layers.iter().zip(diff_ids) {
        assert_eq!(&l.diff_id, want);
    }
    assert!(layers[0].stats.files > 70, "alpine rootfs has files");
    assert_eq!(layers[2].whiteouts, vec![ImagePath::new("etc/motd")]);
    assert_eq!(layers[2].opaque_dirs, vec![ImagePath::new("opt/app")]);
    let view = MergedView::apply(layers);
    // etc/motd came from the rootfs, was replaced in layer 1, then deleted in layer 2
    assert!(view.get(&ImagePath::new("etc/motd")).is_none());
    // the opaque dir hid opt/app/old but layer 2's own config is visible
    assert!(view.get(&ImagePath::new("opt/app/old")).is_none());
    let (_, cfg) = view.get(&ImagePath::new("opt/app/config")).unwrap();
    assert_eq!((cfg.layer, cfg.output.as_slice()), (2, &b"v2\n"[..]));
    assert_eq!(
        view.get(&ImagePath::new("opt/keep/file")).unwrap().1.layer,
        1
    );
    let (real, os) = view.get(&ImagePath::new("etc/os-release")).unwrap();
    assert!(String::from_utf8_lossy(&os.output).contains("VERSION_ID=3.20.3"));
    assert_eq!((real.as_str(), os.layer), ("etc/os-release", 0));
    let (_, apk) = view.get(&ImagePath::new("lib/apk/db/installed")).unwrap();
    assert!(String::from_utf8_lossy(&apk.output).contains("P:musl\n"));
}

#[test]
fn docker_archive_legacy_modern_and_gzipped() {
    let layers = alpine_layers();
    let cfg = tk::ImageConfig::default();
    let dir = tempfile::tempdir().unwrap();
    for layout in [tk::DockerLayout::Legacy, tk::DockerLayout::Modern] {
        let out = dir.path().join(format!("{layout:?}.tar"));
        let d = tk::write_docker_archive_with(
            &out,
            &layers,
            &cfg,
            &tk::DockerArchiveOptions {
                repo_tags: vec!["drydock/test:1".into()],
                layout,
                ..Default::default()
            },
        );
        let img = open(&out);
        assert_eq!(img.repo_tags, vec!["drydock/test:1".to_string()]);
        assert_eq!(img.image_id.as_deref(), Some(d.config_digest.as_str()));
        check(&img, Format::DockerArchive, &d.diff_ids);
        // `docker save | gzip`
        let gz = tk::gzip_file(&out);
        check(&open(&gz), Format::DockerArchive, &d.diff_ids);
    }
}

#[test]
fn docker_archive_with_gzip_layers() {
    let layers = alpine_layers();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gz-layers.tar");
    let d = tk::write_docker_archive_with(
        &out,
        &layers,
        &tk::ImageConfig::default(),
        &tk::DockerArchiveOptions {
            compression: tk::Compression::Gzip,
            ..Default::default()
        },
    );
    check(&open(&out), Format::DockerArchive, &d.diff_ids);
}

#[test]
fn oci_layout_and_archive_in_every_compression() {
    let layers = alpine_layers();
    let cfg = tk::ImageConfig::default();
    let dir = tempfile::tempdir().unwrap();
    for comp in [
        tk::Compression::None,
        tk::Compression::Gzip,
        tk::Compression::Zstd,
    ] {
        let layout = dir.path().join(format!("layout-{comp:?}"));
        let d = tk::write_oci_layout(&layout, &layers, &cfg, comp);
        let img = open(&layout);
        assert_eq!(
            img.manifest_digest.as_deref(),
            Some(d.manifest_digest.as_str())
        );
        assert_eq!(
            img.layers[0].digest.as_deref(),
            Some(d.layer_digests[0].as_str())
        );
        check(&img, Format::OciLayout, &d.diff_ids);
        let archive = dir.path().join(format!("archive-{comp:?}.tar"));
        let d = tk::write_oci_archive(&archive, &layers, &cfg, comp);
        check(&open(&archive), Format::OciArchive, &d.diff_ids);
    }
}

#[test]
fn compression_is_detected_by_magic_bytes_not_media_type() {
    let layers = alpine_layers();
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("lying");
    let d = tk::write_oci_layout_with(
        &layout,
        &layers,
        &tk::ImageConfig::default(),
        &tk::OciOptions {
            compression: tk::Compression::Zstd,
            declared_layer_media_type: Some("application/vnd.oci.image.layer.v1.tar".into()),
            ..Default::default()
        },
    );
    check(&open(&layout), Format::OciLayout, &d.diff_ids);
}

#[test]
fn platform_selection_from_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let amd = vec![tk::layer_tar(&[Entry::file(
        "etc/alpine-release",
        "amd64\n",
    )])];
    let arm = vec![tk::layer_tar(&[Entry::file(
        "etc/alpine-release",
        "arm64\n",
    )])];
    for nested in [false, true] {
        let layout = dir.path().join(format!("multi-{nested}"));
        tk::write_oci_layout_multiplatform_with(
            &layout,
            &[
                (
                    tk::Platform::linux("amd64"),
                    amd.clone(),
                    tk::ImageConfig::default(),
                ),
                (
                    tk::Platform::linux_variant("arm64", "v8"),
                    arm.clone(),
                    tk::ImageConfig {
                        architecture: "arm64".into(),
                        variant: Some("v8".into()),
                        ..Default::default()
                    },
                ),
            ],
            &tk::OciOptions {
                nested_index: nested,
                ..Default::default()
            },
        );
        for (plat, want) in [("linux/amd64", "amd64\n"), ("linux/arm64", "arm64\n")] {
            let img = Image::open(
                &layout,
                &OpenOptions {
                    platform: Some(plat.parse().unwrap()),
                    ..Default::default()
                },
            )
            .unwrap();
            let layers =
                analyze_image(&img, &WANTED, &AnalyzeOptions::default(), &|_, _| {}).unwrap();
            let view = MergedView::apply(layers);
            let (_, f) = view.get(&ImagePath::new("etc/alpine-release")).unwrap();
            assert_eq!(f.output, want.as_bytes());
        }
        let err = Image::open(
            &layout,
            &OpenOptions {
                platform: Some(Platform {
                    os: "linux".into(),
                    architecture: "s390x".into(),
                    variant: None,
                }),
                ..Default::default()
            },
        )
        .unwrap_err();
        match err {
            ImageError::PlatformNotFound { wanted, available } => {
                assert_eq!(wanted, "linux/s390x");
                assert_eq!(
                    available,
                    vec!["linux/amd64".to_string(), "linux/arm64/v8".to_string()]
                );
            }
            e => panic!("unexpected error {e}"),
        }
    }
}

#[test]
fn plain_rootfs_tarball_is_a_one_layer_image() {
    let path = tk::alpine_rootfs("3.20.3");
    let img = open(&path);
    assert_eq!(img.format, Format::RootfsArchive);
    assert_eq!(img.layers.len(), 1);
    let layers = analyze_image(&img, &WANTED, &AnalyzeOptions::default(), &|_, _| {}).unwrap();
    // the diffID of a rootfs tarball is the sha256 of its decompressed tar
    let want = tk::sha256_digest(&tk::layer_from_rootfs_tarball(&path));
    assert_eq!(layers[0].diff_id, want);
    let view = MergedView::apply(layers);
    assert!(view.get(&ImagePath::new("lib/apk/db/installed")).is_some());
}

/// Wants files under `opt/` and reports their length.
struct Lengths;

impl Analyzer for Lengths {
    type Output = usize;
    fn wants(&self, path: &ImagePath) -> bool {
        path.as_str().starts_with("opt/")
    }
    fn analyze(&self, _: &ImagePath, content: &[u8], _: &mut Vec<String>) -> Option<usize> {
        Some(content.len())
    }
}

#[test]
fn two_analyzers_share_one_walk_and_split_apart() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("both");
    tk::write_oci_layout(
        &layout,
        &alpine_layers(),
        &tk::ImageConfig::default(),
        tk::Compression::Gzip,
    );
    let img = open(&layout);
    let opts = AnalyzeOptions {
        record_paths: true,
        ..Default::default()
    };
    let layers = analyze_image(
        &img,
        &drydock_image::Both(WANTED, Lengths),
        &opts,
        &|_, _| {},
    )
    .unwrap();
    // which layer wrote or deleted what, for consumers such as the secret scanner
    assert!(layers[1].wrote(&ImagePath::new("etc/motd")));
    assert!(!layers[1].wrote(&ImagePath::new("etc/hostname")));
    assert!(layers[0].wrote(&ImagePath::new("etc/hostname")));
    assert!(layers[2].deleted(&ImagePath::new("etc/motd")));
    assert!(layers[2].deleted(&ImagePath::new("opt/app/old")));
    assert!(!layers[2].deleted(&ImagePath::new("opt/app")));
    let (contents, lengths): (Vec<_>, Vec<_>) = layers.into_iter().map(|l| l.split()).unzip();
    let lengths: Vec<Vec<(String, usize)>> = lengths
        .iter()
        .map(|l| {
            l.files
                .iter()
                .map(|f| (f.path.as_str().to_string(), f.output))
                .collect()
        })
        .collect();
    assert_eq!(
        lengths,
        vec![
            vec![],
            vec![
                ("opt/app/config".to_string(), 3),
                ("opt/app/old".to_string(), 4),
                ("opt/keep/file".to_string(), 5)
            ],
            vec![("opt/app/config".to_string(), 3)],
        ]
    );
    let view = MergedView::apply(contents);
    assert!(view.get(&ImagePath::new("lib/apk/db/installed")).is_some());
    assert!(view.get(&ImagePath::new("opt/app/old")).is_none());
}

#[test]
fn default_platform_takes_a_single_image_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let arm_cfg = tk::ImageConfig {
        architecture: "arm64".into(),
        variant: Some("v8".into()),
        ..Default::default()
    };
    let layers = vec![tk::layer_tar(&[Entry::file(
        "etc/alpine-release",
        "arm64\n",
    )])];
    let archive = dir.path().join("arm.tar");
    tk::write_docker_archive(&archive, &layers, &arm_cfg, tk::Compression::None, None);
    let layout = dir.path().join("arm-layout");
    tk::write_oci_layout(&layout, &layers, &arm_cfg, tk::Compression::Gzip);
    for p in [&archive, &layout] {
        let img = open(p);
        assert_eq!(img.config.platform(), "linux/arm64/v8");
        // asking for another platform explicitly is an error naming what is there
        let err = Image::open(
            p,
            &OpenOptions {
                platform: Some("linux/amd64".parse().unwrap()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("linux/arm64/v8"), "{err}");
    }
    // an index without linux/amd64 and with two platforms: the default cannot choose
    let multi = dir.path().join("multi");
    tk::write_oci_layout_multiplatform(
        &multi,
        &[
            (
                tk::Platform::linux_variant("arm64", "v8"),
                layers.clone(),
                arm_cfg.clone(),
            ),
            (
                tk::Platform::linux("s390x"),
                layers.clone(),
                tk::ImageConfig {
                    architecture: "s390x".into(),
                    ..Default::default()
                },
            ),
        ],
    );
    let err = Image::open(&multi, &OpenOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no image for platform linux/amd64; available: linux/arm64/v8, linux/s390x"
    );
}

/// Serves blobs from an OCI layout directory, as a registry client would stream them, and
/// counts the opens. A hostile one serves other bytes than the digest names for the blob
/// `hostile` names (only one, so which layer fails is deterministic however layers are read).
#[derive(Debug)]
struct DirFetcher {
    dir: std::path::PathBuf,
    hostile: Option<String>,
    opens: std::sync::atomic::AtomicUsize,
}

impl DirFetcher {
    fn new(dir: &std::path::Path, hostile: Option<String>) -> DirFetcher {
        DirFetcher {
            dir: dir.to_path_buf(),
            hostile,
            opens: Default::default(),
        }
    }

    fn opens(&self) -> usize {
        self.opens.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl drydock_image::BlobFetcher for DirFetcher {
    fn open_blob(
        &self,
        digest: &str,
        _size: u64,
    ) -> std::io::Result<Box<dyn std::io::Read + Send>> {
        self.opens.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let hex = digest.strip_prefix("sha256:").unwrap();
        let mut bytes = std::fs::read(self.dir.join("blobs/sha256").join(hex))?;
        if self.hostile.as_deref() == Some(digest) {
            // a hostile server: other content than the digest names
            bytes = tk::layer_tar(&[Entry::file("etc/evil", "x")]);
        }
        Ok(Box::new(std::io::Cursor::new(bytes)))
    }
}

#[test]
fn images_from_fetched_manifests_stream_their_layers() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let d = tk::write_oci_layout(
        &layout,
        &alpine_layers(),
        &tk::ImageConfig::default(),
        tk::Compression::Gzip,
    );
    let blob =
        |digest: &str| std::fs::read(layout.join("blobs/sha256").join(&digest[7..])).unwrap();
    let img = Image::from_manifest(
        "127.0.0.1:5000/test/alpine:3.20",
        vec!["127.0.0.1:5000/test/alpine:3.20".into()],
        &d.manifest_digest,
        &blob(&d.manifest_digest),
        &blob(&d.config_digest),
        std::sync::Arc::new(DirFetcher::new(&layout, None)),
    )
    .unwrap();
    assert_eq!(img.format, Format::Registry);
    assert_eq!(img.source, "127.0.0.1:5000/test/alpine:3.20");
    check(&img, Format::Registry, &d.diff_ids);

    let manifest: serde_json::Value = serde_json::from_slice(&blob(&d.manifest_digest)).unwrap();
    let first_layer = manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let bad = Image::from_manifest(
        "r/x",
        vec![],
        &d.manifest_digest,
        &blob(&d.manifest_digest),
        &blob(&d.config_digest),
        std::sync::Arc::new(DirFetcher::new(&layout, Some(first_layer))),
    )
    .unwrap();
    let err = analyze_image(&bad, &WANTED, &AnalyzeOptions::default(), &|_, _| {}).unwrap_err();
    assert!(
        matches!(err, ImageError::DiffIdMismatch { index: 0, .. }),
        "{err}"
    );
    // a config that does not match the manifest's digest is refused
    let err = Image::from_manifest(
        "r/x",
        vec![],
        &d.manifest_digest,
        &blob(&d.manifest_digest),
        b"{}",
        std::sync::Arc::new(DirFetcher::new(&layout, None)),
    )
    .unwrap_err();
    assert!(matches!(err, ImageError::DigestMismatch { .. }), "{err}");
}

#[test]
fn cached_layers_are_not_read_again() {
    use drydock_image::{LayerCache, analyze_image_cached};
    use std::sync::{Arc, atomic::Ordering};
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let d = tk::write_oci_layout(
        &layout,
        &alpine_layers(),
        &tk::ImageConfig::default(),
        tk::Compression::Gzip,
    );
    let blob =
        |digest: &str| std::fs::read(layout.join("blobs/sha256").join(&digest[7..])).unwrap();
    let fetcher = Arc::new(DirFetcher::new(&layout, None));
    let img = Image::from_manifest(
        "r/alpine",
        vec![],
        &d.manifest_digest,
        &blob(&d.manifest_digest),
        &blob(&d.config_digest),
        fetcher.clone(),
    )
    .unwrap();
    let cache = LayerCache::open(&dir.path().join("cache"), 64 << 20).unwrap();
    let opts = AnalyzeOptions::default();
    let hits = std::sync::atomic::AtomicUsize::new(0);
    let count_hits = |_: &drydock_image::Layer, cached: bool| {
        if cached {
            hits.fetch_add(1, Ordering::SeqCst);
        }
    };
    let cold = analyze_image_cached(&img, &WANTED, &opts, &cache, &count_hits).unwrap();
    assert_eq!(fetcher.opens(), 3);
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    let warm = analyze_image_cached(&img, &WANTED, &opts, &cache, &count_hits).unwrap();
    assert_eq!(fetcher.opens(), 3, "a warm scan reads no blob");
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    for (c, w) in cold.iter().zip(&warm) {
        assert_eq!(c.diff_id, w.diff_id);
        assert_eq!(c.index, w.index);
        assert_eq!(c.whiteouts, w.whiteouts);
        assert_eq!(c.files.len(), w.files.len());
    }
    let view = MergedView::apply(warm);
    assert!(view.get(&ImagePath::new("lib/apk/db/installed")).is_some());
    assert_eq!(cache.info().unwrap().entries, 3);

    // a different analyzer is a different key
    analyze_image_cached(&img, &Lengths, &opts, &cache, &count_hits).unwrap();
    assert_eq!(fetcher.opens(), 6);

    // a corrupt entry is a miss (and is replaced), never an error or wrong data
    for e in std::fs::read_dir(dir.path().join("cache/layers")).unwrap() {
        std::fs::write(e.unwrap().path(), b"{\"truncated").unwrap();
    }
    let again = analyze_image_cached(&img, &WANTED, &opts, &cache, &count_hits).unwrap();
    assert_eq!(fetcher.opens(), 9);
    assert_eq!(again.len(), 3);

    // bounded: a tiny cache keeps at most what fits
    let small = LayerCache::open(&dir.path().join("small"), 1).unwrap();
    analyze_image_cached(&img, &WANTED, &opts, &small, &count_hits).unwrap();
    assert_eq!(small.info().unwrap().entries, 0);
    let n = cache.info().unwrap().entries;
    assert_eq!(n, 6, "3 layers x 2 analyzers");
    assert_eq!(cache.clean().unwrap(), n);
    assert_eq!(cache.info().unwrap().entries, 0);
}
