//! Base detection from the history's build-time gap (a multi-layer base: a runtime on top of a
//! distro), and the layer-order suggestion, on hand-written layers walked by the real walker
//! with a hand-written image config.

use drydock_hygiene::{HygieneAnalyzer, HygieneInput, Origin, analyze, render_text};
use drydock_image::{AnalyzeOptions, Image, ImageConfig, OpenOptions, analyze_image};
use drydock_testkit::{self as tk, Entry};

fn walk(
    layers: &[Vec<u8>],
) -> (
    tempfile::TempDir,
    Vec<drydock_image::LayerAnalysis<drydock_hygiene::PkgSizes>>,
) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("img.tar");
    tk::write_docker_archive(
        &out,
        layers,
        &tk::ImageConfig::default(),
        tk::Compression::None,
        None,
    );
    let img = Image::open(&out, &OpenOptions::default()).unwrap();
    let opts = AnalyzeOptions {
        record_sizes: true,
        ..Default::default()
    };
    let l = analyze_image(&img, &HygieneAnalyzer, &opts, &|_, _| {}).unwrap();
    (dir, l)
}

/// Hand-written: distro rootfs, runtime (same base, two days later), then the user's build a
/// month later with an ENV (empty layer) between: app COPY, then a 2 MiB dependency install.
fn config() -> ImageConfig {
    serde_json::from_value(serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": {"org.opencontainers.image.base.digest": "sha256:feed"}},
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": [
            {"created": "2024-05-01T10:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
            {"created": "2024-05-01T10:00:01Z", "created_by": "/bin/sh -c #(nop)  CMD [\"bash\"]", "empty_layer": true},
            {"created": "2024-05-03T08:00:00Z", "created_by": "/bin/sh -c set -eux; install python runtime"},
            {"created": "2024-06-01T12:00:00Z", "created_by": "ENV APP=1", "empty_layer": true},
            {"created": "2024-06-01T12:00:03Z", "created_by": "COPY . /app # buildkit"},
            {"created": "2024-06-01T12:01:40Z", "created_by": "RUN /bin/sh -c pip install -r /app/requirements.txt # buildkit"}
        ]
    }))
    .unwrap()
}

#[test]
fn build_time_gap_and_layer_order() {
    let (_dir, layers) = walk(&[
        tk::layer_tar(&[
            Entry::file("etc/os-release", "ID=debian\nVERSION_ID=12\n"),
            Entry::file("bin/sh", vec![1u8; 1000]),
        ]),
        tk::layer_tar(&[Entry::file("usr/local/bin/python3", vec![2u8; 5000])]),
        tk::layer_tar(&[
            Entry::file("app/main.py", "print(1)\n"),
            Entry::file("app/util.py", "x = 1\n"),
            Entry::file("app/requirements.txt", "requests\n"),
        ]),
        tk::layer_tar(&[Entry::file(
            "usr/local/lib/python3.12/site-packages/big.so",
            vec![3u8; 2 << 20],
        )]),
    ]);
    let cfg = config();
    let h = analyze(&HygieneInput {
        layers: &layers,
        config: &cfg,
        packages: &[],
        os: None,
        findings: None,
    });
    println!("{}", render_text(&h));
    // the distro rootfs is layer 0, but the runtime layer 1 is also the base's: the history
    // jumps a month between it and the build
    assert_eq!(h.base.rootfs_layer, Some(0));
    assert_eq!(h.base.layers, 2);
    assert_eq!(h.base.digest.as_deref(), Some("sha256:feed"));
    assert_eq!(
        h.base.evidence,
        vec![
            "layer 0 is the distro root filesystem (writes os-release and was added as a rootfs)",
            "the history jumps 29 days between layer 1 and layer 2: layers below 2 were built earlier",
        ]
    );
    let origins: Vec<Origin> = h.layers.iter().map(|l| l.origin).collect();
    assert_eq!(
        origins,
        vec![Origin::Base, Origin::Base, Origin::Added, Origin::Added]
    );
    // the application copy precedes the dependency install
    assert_eq!(h.efficiency.order.len(), 1);
    let o = &h.efficiency.order[0];
    assert_eq!((o.copy_layer, o.install_layer), (2, 3));
    assert_eq!(o.install_bytes, layers[3].stats.tar_bytes);
    assert!(
        o.message
            .contains("invalidates the build cache from layer 2"),
        "{}",
        o.message
    );
    assert_eq!(h.score.components[5].lost, 10);
    // a shell by path only (no package database)
    assert_eq!(h.minimal_base.shells, vec!["/bin/sh (no package)"]);
}

#[test]
fn normalised_timestamps_fall_back_on_the_rootfs_layer() {
    let (_dir, layers) = walk(&[
        tk::layer_tar(&[Entry::file("etc/os-release", "ID=alpine\n")]),
        tk::layer_tar(&[Entry::file("app/a", "a")]),
    ]);
    let cfg: ImageConfig = serde_json::from_value(serde_json::json!({
        "history": [
            {"created": "1970-01-01T00:00:00Z", "created_by": "ADD rootfs.tar.gz / # buildkit"},
            {"created": "1970-01-01T00:00:00Z", "created_by": "COPY a /app/a # buildkit"}
        ]
    }))
    .unwrap();
    let h = analyze(&HygieneInput {
        layers: &layers,
        config: &cfg,
        packages: &[],
        os: None,
        findings: None,
    });
    assert_eq!(h.base.layers, 1);
    assert!(h.efficiency.order.is_empty());

    // FROM scratch: no rootfs, no gap: nothing is base
    let (_dir2, layers) = walk(&[tk::layer_tar(&[Entry::executable("app", vec![9u8; 10])])]);
    let h = analyze(&HygieneInput {
        layers: &layers,
        config: &ImageConfig::default(),
        packages: &[],
        os: None,
        findings: None,
    });
    assert_eq!(h.base.layers, 0);
    assert_eq!(h.layers[0].origin, Origin::Added);
    assert!(h.minimal_base.shells.is_empty() && h.minimal_base.suggestion.is_none());
    assert_eq!(h.score.value, 100);
}
