//! Base-image attribution on real images, with real findings: every OS package and finding of
//! the distro rootfs is `base`, every language package and finding of the layers on top is
//! `added (layer N, created_by …)`; the vulnerability summary counts them.

mod common;

use common::{hygiene, scan, tk};
use drydock_hygiene::{Origin, render_text};
use drydock_inventory::PackageKind;
use drydock_matcher::{Finding, match_inventory};
use std::path::{Path, PathBuf};
use tk::Entry;

/// A DB from the real feeds: Alpine secdb, OSV PyPI, and the repository's hand-written npm
/// OSV records.
fn db(dir: &Path) -> drydock_vulndb::Db {
    let feeds = dir.join("feeds");
    let osv = feeds.join("osv");
    std::fs::create_dir_all(&osv).unwrap();
    let shared = tk::shared_dir().join("feeds");
    std::os::unix::fs::symlink(shared.join("alpine-secdb"), feeds.join("alpine-secdb")).unwrap();
    std::os::unix::fs::symlink(shared.join("osv/PyPI"), osv.join("PyPI")).unwrap();
    std::os::unix::fs::symlink(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../vulndb/tests/data/osv-handwritten"),
        osv.join("_handwritten"),
    )
    .unwrap();
    let out = dir.join("db.sqlite");
    drydock_vulndb::build(
        &feeds,
        &out,
        &drydock_vulndb::BuildOptions {
            vacuum: false,
            ..Default::default()
        },
    )
    .unwrap();
    drydock_vulndb::Db::open(&out).unwrap()
}

/// `P:` records of the rootfs tarball's apk database, read independently.
fn apk_db_records(rootfs: &Path) -> usize {
    use std::io::Read;
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(rootfs).unwrap());
    let mut ar = tar::Archive::new(gz);
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_string_lossy().trim_start_matches("./") == "lib/apk/db/installed" {
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            return s.lines().filter(|l| l.starts_with("P:")).count();
        }
    }
    panic!("no apk db in {}", rootfs.display())
}

fn findings(s: &common::Scanned, db: &drydock_vulndb::Db) -> Vec<Finding> {
    match_inventory(db, &s.inventory).unwrap().findings
}

#[test]
fn alpine_base_and_added_language_packages() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let base = tk::layer_from_rootfs_tarball(tk::alpine_rootfs("3.20"));
    // hand-written installed-package metadata, as pip and npm leave it
    let app = tk::layer_tar(&[
        Entry::file(
            "usr/lib/python3.7/site-packages/requests-2.19.1.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.1\n",
        ),
        Entry::file(
            "app/node_modules/lodash/package.json",
            "{\"name\": \"lodash\", \"version\": \"4.17.4\"}\n",
        ),
        Entry::file("app/index.js", "require('lodash')\n"),
    ]);
    let out = d.join("alpine.tar");
    let cfg = tk::ImageConfig {
        history: vec![
            "/bin/sh -c #(nop) ADD file:a1b2c3 in / ".into(),
            "RUN /bin/sh -c pip install requests==2.19.1 && npm install lodash@4.17.4 # buildkit"
                .into(),
        ],
        labels: [(
            "org.opencontainers.image.base.name".to_string(),
            "docker.io/library/alpine:3.20".to_string(),
        )]
        .into(),
        ..Default::default()
    };
    tk::write_docker_archive(&out, &[base, app], &cfg, tk::Compression::Gzip, None);
    let s = scan(&out);
    let db = db(d);
    let f = findings(&s, &db);
    let h = hygiene(&s, Some(&f));
    println!("{}", render_text(&h));

    assert_eq!(h.base.layers, 1);
    assert_eq!(
        h.base.name.as_deref(),
        Some("docker.io/library/alpine:3.20")
    );
    // every package: apk ones base, language ones added by layer 1
    let apk = s
        .inventory
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Apk)
        .count();
    assert_eq!(
        apk,
        apk_db_records(&tk::alpine_rootfs("3.20")),
        "alpine 3.20 packages"
    );
    for p in &h.package_origins {
        if p.kind == PackageKind::Apk {
            assert_eq!((p.origin, p.attribution.as_str()), (Origin::Base, "base"));
        } else {
            assert_eq!(p.origin, Origin::Added, "{}", p.name);
            assert_eq!(
                p.attribution,
                "added (layer 1, pip install requests==2.19.1 && npm install lodash@4.17.4)"
            );
        }
    }
    let lang: Vec<(&str, &str)> = h
        .package_origins
        .iter()
        .filter(|p| p.origin == Origin::Added)
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(lang, vec![("lodash", "4.17.4"), ("requests", "2.19.1")]);
    // findings: real ones on both sides
    let os_findings = f
        .iter()
        .filter(|x| x.package.kind == PackageKind::Apk)
        .count();
    let lang_findings = f.len() - os_findings;
    assert!(
        os_findings > 0 && lang_findings > 0,
        "{os_findings} {lang_findings}"
    );
    assert_eq!(h.finding_origins.len(), f.len());
    for o in &h.finding_origins {
        let want = if o.kind == PackageKind::Apk {
            Origin::Base
        } else {
            Origin::Added
        };
        assert_eq!(o.origin, want, "{:?} {}", o.id, o.name);
    }
    let v = h.vulnerabilities.as_ref().unwrap();
    assert_eq!(
        (v.total, v.base, v.added),
        (f.len(), os_findings, lang_findings)
    );
    let fixable = f
        .iter()
        .filter(|x| x.package.kind == PackageKind::Apk && x.fixable())
        .count();
    assert_eq!(v.base_fixable, fixable);
    assert_eq!(
        v.summary,
        format!(
            "{os_findings} of {} vulnerabilities come from the base image docker.io/library/alpine:3.20; {fixable} of those are fixed in newer package versions (a rebuilt or updated base removes them)",
            f.len()
        )
    );
    // busybox is a shell and apk-tools a package manager; alpine's removable set excludes
    // musl and the CA bundle
    assert!(
        h.minimal_base
            .shells
            .iter()
            .any(|s| s.starts_with("busybox "))
    );
    assert!(
        h.minimal_base
            .package_managers
            .iter()
            .any(|s| s.starts_with("apk-tools "))
    );
    let removable: Vec<&str> = h
        .minimal_base
        .removable
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert!(!removable.contains(&"musl") && removable.contains(&"busybox"));
    // apk records installed sizes in bytes: busybox's is known
    let busybox = h
        .minimal_base
        .removable
        .iter()
        .find(|r| r.name == "busybox")
        .unwrap();
    assert!(busybox.bytes.unwrap() > 100_000);
    let score_vulns = &h.score.components[4];
    assert_eq!(
        score_vulns.lost,
        (15.0 * (fixable as f64 / 20.0).min(1.0)).ceil() as u32
    );
}

/// The language test image (debootstrap bookworm + pip, npm, Go, Rust and Java layers built
/// with the real tools): all Debian packages `base`, every language package `added` by its
/// layer.
#[test]
fn debian_language_image() {
    let layers: Vec<PathBuf> = tk::lang_image_layers().expect("language image layers");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("lang.tar");
    let history: Vec<String> = vec![
        "/bin/sh -c #(nop) ADD file:bookworm in / ".into(),
        "RUN /bin/sh -c pip install requests==2.19.1 urllib3==1.24.1 Django==2.2 PyYAML==5.3.1"
            .into(),
        "RUN /bin/sh -c npm install lodash@4.17.4 minimist@0.0.8 express@4.15.0".into(),
        "COPY /usr/bin/docker-registry /usr/bin/ # buildkit".into(),
        "COPY rustapp /usr/local/bin/ # buildkit".into(),
        "COPY jars /usr/share/java/ # buildkit".into(),
    ];
    assert_eq!(history.len(), layers.len());
    let cfg = tk::ImageConfig {
        history,
        ..Default::default()
    };
    tk::write_docker_archive(&out, &layers, &cfg, tk::Compression::None, None);
    let s = scan(&out);
    let db = db(tmp.path());
    let f = findings(&s, &db);
    let h = hygiene(&s, Some(&f));
    assert_eq!(h.base.layers, 1);
    assert_eq!(h.base.name.as_deref(), Some("debian 12"));
    let mut by_layer = std::collections::BTreeMap::<usize, usize>::new();
    for p in &h.package_origins {
        *by_layer.entry(p.layer).or_default() += 1;
        if p.kind == PackageKind::Deb {
            assert_eq!((p.layer, p.attribution.as_str()), (0, "base"), "{}", p.name);
        } else {
            assert!(p.layer >= 1, "{} in layer {}", p.name, p.layer);
            assert_eq!(p.origin, Origin::Added);
            assert!(
                p.attribution
                    .starts_with(&format!("added (layer {}, ", p.layer)),
                "{}",
                p.attribution
            );
        }
    }
    assert!(
        by_layer
            .keys()
            .copied()
            .collect::<Vec<_>>()
            .starts_with(&[0, 1, 2])
    );
    // PyPI and npm findings exist and are all added (bookworm's DSA list has none here)
    let pypi = f
        .iter()
        .filter(|x| x.package.kind == PackageKind::Pypi)
        .count();
    let npm = f
        .iter()
        .filter(|x| x.package.kind == PackageKind::Npm)
        .count();
    assert!(pypi > 0 && npm > 0, "pypi {pypi} npm {npm}");
    let v = h.vulnerabilities.as_ref().unwrap();
    assert_eq!((v.base, v.added), (0, f.len()));
    for o in &h.finding_origins {
        assert_eq!(o.origin, Origin::Added, "{:?}", o.id);
        let want_layer = match o.kind {
            PackageKind::Pypi => 1,
            PackageKind::Npm => 2,
            _ => o.layer,
        };
        assert_eq!(o.layer, want_layer, "{:?} {}", o.id, o.name);
    }
}
