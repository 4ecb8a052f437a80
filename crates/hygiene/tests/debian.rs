//! Acceptance on real Debian images built by the tests:
//!
//! single-stage: debootstrap bookworm rootfs + an "apt" layer installing the real `gcc`,
//! `gcc-12`, `cpp-12`, `git`, `libc6-dev` and `make` packages (with the apt lists left
//! behind) + an application layer (with a `.git` directory and a 100 MiB data file) + a
//! layer deleting that file, a directory, and rewriting a config file;
//!
//! multi-stage equivalent: the same rootfs + only the application binary.
//!
//! The wasted-bytes figure is checked against an independent computation from the layer
//! tars (`common::reference_waste`), and against the sizes the test itself wrote.

mod common;

use common::{hygiene, reference_waste, scan, tk};
use drydock_hygiene::{Origin, Removal, render_text};
use std::path::{Path, PathBuf};
use tk::Entry;

const BIG: usize = 100 << 20;
/// `(layer, bytes, files)`.
type PerLayer = (usize, u64, u64);
const BUILD_DEBS: &[&str] = &["gcc", "gcc-12", "cpp-12", "git", "libc6-dev", "make"];

fn write_tar(path: &Path, entries: &[Entry]) -> PathBuf {
    std::fs::write(path, tk::layer_tar(entries)).unwrap();
    path.to_path_buf()
}

fn image(out: &Path, layers: &[PathBuf], history: &[&str]) {
    let cfg = tk::ImageConfig {
        history: history.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    tk::write_docker_archive(out, layers, &cfg, tk::Compression::None, Some("hyg/test:1"));
}

/// The application layer: hand-written files (a `.git` directory, a 100 MiB data file, a
/// temporary build directory, a config file).
fn app_layer(path: &Path) -> PathBuf {
    write_tar(
        path,
        &[
            Entry::dir("app"),
            Entry::executable("app/server", vec![0x7f; 300_000]),
            Entry::file("app/config.json", "{\"version\": 1, \"debug\": true}\n"),
            Entry::dir("app/.git"),
            Entry::file("app/.git/HEAD", "ref: refs/heads/main\n"),
            Entry::file("app/.git/objects/pack/pack-1.pack", vec![3u8; 2_000_000]),
            Entry::dir("app/data"),
            Entry::file("app/data/model.bin", vec![0u8; BIG]),
            Entry::dir("app/tmp"),
            Entry::file("app/tmp/build.o", vec![1u8; 40_000]),
            Entry::file("app/tmp/build.log", vec![b'l'; 1_234]),
        ],
    )
}

#[test]
fn single_stage_gcc_git_app_and_a_deleted_100mb_file() {
    let rootfs = tk::debian_rootfs_tar("bookworm").expect("debootstrap bookworm");
    let debs = tk::download_debs(BUILD_DEBS).expect("apt-get download");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();

    // layer 1: apt-get update && apt-get install gcc git … (lists left behind)
    let upper = d.join("apt");
    tk::install_debs(&rootfs, &debs, &upper).unwrap();
    let lists = upper.join("var/lib/apt/lists");
    std::fs::create_dir_all(lists.join("partial")).unwrap();
    // hand-written stand-ins for the downloaded indexes
    std::fs::write(
        lists.join("deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4"),
        vec![b'P'; 700_000],
    )
    .unwrap();
    std::fs::write(
        lists.join("deb.debian.org_debian_dists_bookworm_InRelease"),
        vec![b'R'; 151_000],
    )
    .unwrap();
    std::fs::write(lists.join("lock"), b"").unwrap();
    let l1 = d.join("l1.tar");
    tk::layer_from_dir_to_file(&upper, &l1);
    std::fs::remove_dir_all(&upper).unwrap();

    let l2 = app_layer(&d.join("l2.tar"));
    let config_v2 = "{\"version\": 2}\n";
    let l3 = write_tar(
        &d.join("l3.tar"),
        &[
            Entry::dir("app"),
            Entry::file("app/config.json", config_v2),
            Entry::dir("app/data"),
            Entry::whiteout("app/data/model.bin"),
            Entry::whiteout("app/tmp"),
        ],
    );
    let layers = vec![rootfs.clone(), l1.clone(), l2.clone(), l3.clone()];
    let out = d.join("image.tar");
    image(
        &out,
        &layers,
        &[
            "/bin/sh -c #(nop) ADD file:bookworm-rootfs in / ",
            "RUN /bin/sh -c apt-get update && apt-get install -y gcc git make libc6-dev # buildkit",
            "COPY . /app # buildkit",
            "RUN /bin/sh -c rm -rf /app/data/model.bin /app/tmp && echo '{\"version\": 2}' > /app/config.json # buildkit",
        ],
    );
    let s = scan(&out);
    let h = hygiene(&s, None);
    println!("{}", render_text(&h));

    // --- wasted bytes: exact, and equal to the independent tar computation
    let refs: Vec<&Path> = layers.iter().map(|p| p.as_path()).collect();
    let r = reference_waste(&refs);
    assert_eq!(h.efficiency.total_bytes, r.total);
    assert_eq!(h.efficiency.wasted_bytes, r.wasted);
    // what was wasted, by name: the base's dpkg status and apt InRelease (rewritten by the
    // apt layer), the 100 MiB file, the first config.json, the deleted app/tmp
    let in_release = "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease";
    assert_eq!(
        r.wasted_files
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        vec![
            "/app/config.json",
            "/app/data/model.bin",
            "/app/tmp/build.log",
            "/app/tmp/build.o",
            in_release,
            "/var/lib/dpkg/status",
        ]
    );
    let base_status = r.wasted_files["/var/lib/dpkg/status"];
    let base_in_release = r.wasted_files[in_release];
    assert_eq!((base_status.0, base_in_release.0), (0, 0));
    let config_v1 = "{\"version\": 1, \"debug\": true}\n".len() as u64;
    assert_eq!(
        h.efficiency.wasted_bytes,
        BIG as u64 + config_v1 + 40_000 + 1_234 + base_status.1 + base_in_release.1
    );
    assert_eq!(h.efficiency.wasted_files, 6);
    // named: the deleted 100 MiB file, with where it was written and what removed it
    assert_eq!(h.efficiency.wasted.len(), 1);
    let w = &h.efficiency.wasted[0];
    assert_eq!(
        (w.path.as_str(), w.bytes, w.layer, w.removed_by, w.how),
        ("/app/data/model.bin", BIG as u64, 2, 3, Removal::Deleted)
    );
    assert_eq!(
        h.efficiency.other_wasted_bytes,
        config_v1 + 41_234 + base_status.1 + base_in_release.1
    );
    let per_layer: Vec<u64> = h.layers.iter().map(|l| l.wasted_bytes).collect();
    assert_eq!(
        per_layer,
        vec![
            base_status.1 + base_in_release.1,
            0,
            BIG as u64 + config_v1 + 41_234,
            0
        ]
    );

    // --- caches and .git left behind, per layer, as the reference sees them (debootstrap
    // leaves apt's lists and caches in the base)
    let caches: Vec<(&str, &[PerLayer])> = h
        .efficiency
        .caches
        .iter()
        .map(|c| (c.path.as_str(), c.by_layer.as_slice()))
        .collect();
    let ref_lists = r.below("/var/lib/apt/lists");
    let ref_cache = r.below("/var/cache/apt");
    assert_eq!(
        caches,
        vec![
            ("/var/cache/apt", ref_cache.as_slice()),
            ("/var/lib/apt/lists", ref_lists.as_slice())
        ]
    );
    // the apt layer's part: the two index files and the empty lock
    assert_eq!(ref_lists.last(), Some(&(1, 851_000, 3)));
    let gits: Vec<(&str, u64, u64)> = h
        .efficiency
        .git_dirs
        .iter()
        .map(|g| (g.path.as_str(), g.bytes, g.files))
        .collect();
    assert_eq!(gits, vec![("/app/.git", 2_000_021, 2)]);
    assert_eq!(r.below("/app/.git"), vec![(2, 2_000_021, 2)]);

    // --- multi-stage advice names the build packages with their installed sizes
    let mut want: Vec<(String, String, u64)> = debs
        .iter()
        .map(|deb| {
            let name = tk::deb_field(deb, "Package").unwrap();
            let kib: u64 = tk::deb_field(deb, "Installed-Size")
                .unwrap()
                .parse()
                .unwrap();
            let what = match name.as_str() {
                "git" => "version control",
                "make" => "build tool",
                "libc6-dev" => "headers",
                _ => "compiler",
            };
            (name, what.to_string(), kib * 1024)
        })
        .collect();
    want.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    let got: Vec<(String, String, u64)> = h
        .multi_stage
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.what.clone(), p.bytes.unwrap_or(0)))
        .collect();
    assert_eq!(got, want);
    for p in &h.multi_stage.packages {
        assert_eq!(p.layer, 1, "{}", p.name);
        assert!(
            p.attribution
                .starts_with("added (layer 1, apt-get update && apt-get install"),
            "{}",
            p.attribution
        );
    }
    let advice = h.multi_stage.advice.join("\n");
    for n in BUILD_DEBS {
        assert!(advice.contains(&format!("{n} (")), "{n} in {advice}");
    }
    assert!(advice.contains("/app/.git"), "{advice}");
    assert!(advice.contains("/var/lib/apt/lists"), "{advice}");
    // caches: only what the image's own layers left (the apt layer's lists)
    let ms_caches: Vec<(&str, u64, &[usize])> = h
        .multi_stage
        .caches
        .iter()
        .map(|c| (c.path.as_str(), c.bytes, c.layers.as_slice()))
        .collect();
    assert_eq!(
        ms_caches,
        vec![("/var/lib/apt/lists", 851_000, &[1usize][..])]
    );
    let pkg_bytes: u64 = want.iter().map(|w| w.2).sum();
    assert_eq!(h.multi_stage.bytes, pkg_bytes + 851_000 + 2_000_021);

    // --- base attribution: the rootfs layer is the base, every OS package of it is `base`
    assert_eq!(h.base.layers, 1);
    assert_eq!(h.base.rootfs_layer, Some(0));
    assert_eq!(h.base.name.as_deref(), Some("debian 12"));
    let origins: Vec<Origin> = h.layers.iter().map(|l| l.origin).collect();
    assert_eq!(
        origins,
        vec![Origin::Base, Origin::Added, Origin::Added, Origin::Added]
    );
    for p in &h.package_origins {
        let added = BUILD_DEBS.contains(&p.name.as_str());
        assert_eq!(
            p.origin == Origin::Added,
            added,
            "{} {}",
            p.name,
            p.attribution
        );
        if !added {
            assert_eq!(p.attribution, "base");
        }
    }
    // minbase carries bash, dash and apt/dpkg
    let shells: Vec<&str> = h
        .minimal_base
        .shells
        .iter()
        .map(|s| s.split(' ').next().unwrap())
        .collect();
    assert_eq!(shells, vec!["bash", "dash"]);
    let pms: Vec<&str> = h
        .minimal_base
        .package_managers
        .iter()
        .map(|s| s.split(' ').next().unwrap())
        .collect();
    assert_eq!(pms, vec!["apt", "dpkg"]);
    assert!(h.minimal_base.suggestion.is_some());
    // score: every component is documented; this image loses on each but vulnerabilities
    let lost: Vec<(&str, u32)> = h
        .score
        .components
        .iter()
        .map(|c| (c.name.as_str(), c.lost))
        .collect();
    let frac = h.efficiency.wasted_bytes as f64 / h.efficiency.total_bytes as f64;
    assert_eq!(
        lost,
        vec![
            (
                "wasted space",
                (25.0 * (4.0 * frac).min(1.0)).round() as u32
            ),
            ("caches left behind", 10),
            ("build tools in the final image", 25),
            ("minimal base", 15),
            ("base image vulnerabilities", 0),
            ("layer order", 0),
        ]
    );
    assert_eq!(h.score.value, 100 - lost.iter().map(|l| l.1).sum::<u32>());

    sarif_carries_the_hygiene_section(&h);
}

/// The hygiene section as SARIF: schema-valid, one result per wasted file, build tool,
/// cache and advice, each with its rule, and the score in the run's properties.
fn sarif_carries_the_hygiene_section(h: &drydock_hygiene::Hygiene) {
    let report: drydock_report::Report = serde_json::from_value(serde_json::json!({
        "schema_version": drydock_report::SCHEMA_VERSION,
        "tool": {"name": "drydock", "version": "test"},
        "created_at": "2026-01-01T00:00:00Z",
        "artifact": {"kind": "image", "source": "single-stage.tar", "format": "docker-archive", "layers": []},
        "packages": [], "findings": [], "summary": drydock_report::Summary::default(),
        "hygiene": h,
    }))
    .unwrap();
    let sarif: serde_json::Value =
        serde_json::from_str(&drydock_report::sarif::render(&report).unwrap()).unwrap();
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(tk::shared_dir().join("schemas/sarif-2.1.0/sarif-schema-2.1.0.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options().build(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let run = &sarif["runs"][0];
    assert_eq!(run["properties"]["hygieneScore"], h.score.value);
    let results = run["results"].as_array().unwrap();
    let of = |rule: &str| -> Vec<String> {
        results
            .iter()
            .filter(|r| r["ruleId"] == rule)
            .map(|r| r["message"]["text"].as_str().unwrap().to_string())
            .collect()
    };
    let wasted = of("hygiene/wasted-file");
    assert_eq!(wasted.len(), h.efficiency.wasted.len());
    assert!(
        wasted
            .iter()
            .any(|m| m
                .starts_with("/app/data/model.bin (100.0 MiB) from layer 2 is deleted by layer 3")),
        "{wasted:#?}"
    );
    let tools = of("hygiene/build-tool-in-final-image");
    let named: Vec<&str> = tools.iter().map(|m| m.split(' ').next().unwrap()).collect();
    for want in ["gcc-12", "cpp-12", "git", "make", "libc6-dev"] {
        assert!(named.contains(&want), "{want} missing from {tools:#?}");
    }
    assert_eq!(tools.len(), h.multi_stage.packages.len());
    assert!(
        tools.iter().all(|m| m.contains("added (layer 1")),
        "{tools:#?}"
    );
    let caches = of("hygiene/cache-left-behind");
    assert!(
        caches.iter().any(|m| m.starts_with("/var/lib/apt/lists (")),
        "{caches:#?}"
    );
    assert_eq!(of("hygiene/minimal-base").len(), 1);
    // every result's rule is declared, at the index given
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
    }
}

#[test]
fn multi_stage_equivalent_gets_no_multi_stage_advice() {
    let rootfs = tk::debian_rootfs_tar("bookworm").expect("debootstrap bookworm");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // COPY --from=build /out/server /app/server (hand-written binary stand-in)
    let l1 = write_tar(
        &d.join("l1.tar"),
        &[
            Entry::dir("app"),
            Entry::executable("app/server", vec![0x7f; 300_000]),
        ],
    );
    let out = d.join("image.tar");
    image(
        &out,
        &[rootfs.clone(), l1.clone()],
        &[
            "/bin/sh -c #(nop) ADD file:bookworm-rootfs in / ",
            "COPY --from=build /out/server /app/server # buildkit",
        ],
    );
    let s = scan(&out);
    let h = hygiene(&s, None);
    println!("{}", render_text(&h));
    assert!(h.multi_stage.is_empty(), "{:?}", h.multi_stage);
    assert!(h.multi_stage.advice.is_empty());
    assert_eq!(h.multi_stage.bytes, 0);
    assert!(render_text(&h).contains("nothing build-only in the final image"));
    let r = reference_waste(&[rootfs.as_path(), l1.as_path()]);
    assert_eq!(
        (h.efficiency.total_bytes, h.efficiency.wasted_bytes),
        (r.total, r.wasted)
    );
    assert_eq!(r.wasted, 0);
    // the base's own leftovers are reported under efficiency, never as multi-stage advice
    let caches: Vec<(&str, &[usize])> = h
        .efficiency
        .caches
        .iter()
        .map(|c| (c.path.as_str(), c.layers.as_slice()))
        .collect();
    assert_eq!(
        caches,
        vec![
            ("/var/cache/apt", &[0usize][..]),
            ("/var/lib/apt/lists", &[0usize][..])
        ]
    );
    assert!(h.package_origins.iter().all(|p| p.attribution == "base"));
    assert_eq!(
        h.score.components[2].lost, 0,
        "no build-tool points lost: {:?}",
        h.score.components[2]
    );
}
