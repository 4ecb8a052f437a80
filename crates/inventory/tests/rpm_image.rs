//! End to end: real rpmdbs from `../shared/rootfs/rpmdb` packed into OCI images with the
//! testkit, read by `drydock_image` (per-layer analysis, merge) and listed by `build_inventory`.
//! Release files are real (claircore's RHEL 8 `redhat-release`); the CBL-Mariner and SLE
//! os-release files are hand-written in the published format (marked below).

use std::path::Path;

use drydock_image::{AnalyzeOptions, Image, MergedView, OpenOptions, analyze_image};
use drydock_inventory::{Inventory, InventoryAnalyzer, PackageKind, build_inventory, rpm};
use drydock_testkit::{Compression, Entry, ImageConfig, layer_tar, write_oci_layout};

fn shared(rel: &str) -> Vec<u8> {
    let p = drydock_testkit::shared_dir().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn file(path: &str, data: Vec<u8>) -> Entry {
    Entry::File {
        path: path.into(),
        data,
        mode: 0o644,
    }
}

/// Write the layers as an OCI layout, analyse and inventory it.
fn inventory(layers: Vec<Vec<Entry>>) -> Inventory {
    inventory_and_layer_warnings(layers).0
}

fn inventory_and_layer_warnings(layers: Vec<Vec<Entry>>) -> (Inventory, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let tars: Vec<Vec<u8>> = layers.iter().map(|l| layer_tar(l)).collect();
    write_oci_layout(
        dir.path(),
        &tars,
        &ImageConfig::default(),
        Compression::Gzip,
    );
    let image = Image::open(dir.path(), &OpenOptions::default()).unwrap();
    let analysed = analyze_image(
        &image,
        &InventoryAnalyzer::default(),
        &AnalyzeOptions::default(),
        &|_, _| {},
    )
    .unwrap();
    let diff_ids: Vec<String> = analysed.iter().map(|l| l.diff_id.clone()).collect();
    let warnings: Vec<String> = analysed.iter().flat_map(|l| l.warnings.clone()).collect();
    (
        build_inventory(&MergedView::apply(analysed), &diff_ids),
        warnings,
    )
}

/// Hand-written in the published format: CBL-Mariner 2.0's `/etc/os-release`.
const MARINER_OS_RELEASE: &str = "NAME=\"Common Base Linux Mariner\"\nVERSION=\"2.0.20220226\"\nID=mariner\nVERSION_ID=\"2.0\"\nPRETTY_NAME=\"CBL-Mariner/Linux\"\nANSI_COLOR=\"1;34\"\nHOME_URL=\"https://aka.ms/cbl-mariner\"\n";

/// A copy of the Mariner rpmdb with `glibc` erased and claircore's header added, as `rpm -e`
/// and `rpm -i` in a later layer would leave it.
fn mariner_rpmdb_changed(tmp: &Path) -> Vec<u8> {
    let db = tmp.join("rpmdb.sqlite");
    std::fs::write(&db, shared("rootfs/rpmdb/cbl-mariner-2.0/rpmdb.sqlite")).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let parsed = rpm::parse_rpmdb(&shared("rootfs/rpmdb/cbl-mariner-2.0/rpmdb.sqlite")).unwrap();
    let glibc_index = parsed
        .packages
        .iter()
        .position(|p| p.name == "glibc")
        .unwrap();
    let hnums: Vec<i64> = conn
        .prepare("SELECT hnum FROM Packages ORDER BY hnum")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    // erase like rpm does: the header and its index entries
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%hnum%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(tables.len() > 10, "{tables:?}");
    for t in tables.iter().filter(|t| *t != "Packages") {
        conn.execute(
            &format!("DELETE FROM '{t}' WHERE hnum = ?1"),
            [hnums[glibc_index]],
        )
        .unwrap();
    }
    conn.execute("DELETE FROM Packages WHERE hnum = ?1", [hnums[glibc_index]])
        .unwrap();
    // the BerkeleyDB sample's only header (libuuid, RHEL 8) as a newly installed package
    let (_, blobs) = rpm::header_blobs(&shared("rootfs/rpmdb/libuuid/Packages")).unwrap();
    assert_eq!(blobs.len(), 1);
    let blob = blobs[0].clone().unwrap();
    conn.execute(
        "INSERT INTO Packages (hnum, blob) VALUES (100000, ?1)",
        [&blob],
    )
    .unwrap();
    drop(conn);
    std::fs::read(&db).unwrap()
}

#[test]
fn mariner_sqlite_image_with_layer_history() {
    let tmp = tempfile::tempdir().unwrap();
    let changed = mariner_rpmdb_changed(tmp.path());
    let inv = inventory(vec![
        vec![
            file("etc/os-release", MARINER_OS_RELEASE.into()),
            file(
                "var/lib/rpm/rpmdb.sqlite",
                shared("rootfs/rpmdb/cbl-mariner-2.0/rpmdb.sqlite"),
            ),
        ],
        vec![file("var/lib/rpm/rpmdb.sqlite", changed)],
    ]);
    let os = inv.os.as_ref().unwrap();
    assert_eq!(
        (os.id.as_str(), os.version_id.as_deref()),
        ("mariner", Some("2.0"))
    );
    assert_eq!(inv.warnings, Vec::<String>::new());
    let rpms: Vec<_> = inv
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Rpm)
        .collect();
    assert_eq!(rpms.len(), 129 - 1 + 1);
    assert!(rpms.iter().all(|p| p.path == "/var/lib/rpm/rpmdb.sqlite"));
    assert!(!rpms.iter().any(|p| p.name == "glibc"));
    let uuid = rpms.iter().find(|p| p.name == "libuuid").unwrap();
    assert_eq!(uuid.layer_index, 1);
    assert_eq!(
        (uuid.source_name.as_str(), uuid.source_version.as_str()),
        ("util-linux", "2.32.1-42.el8_8")
    );
    let ca = rpms
        .iter()
        .find(|p| p.name == "ca-certificates-base")
        .unwrap();
    assert_eq!(ca.layer_index, 0);
    assert_eq!(ca.version, "1:2.0.0-1.cm2");
    assert_eq!(
        (ca.source_name.as_str(), ca.source_version.as_str()),
        ("ca-certificates", "1:2.0.0-1.cm2")
    );
    assert_eq!(
        ca.purl,
        "pkg:rpm/mariner/ca-certificates-base@2.0.0-1.cm2?arch=noarch&distro=mariner-2.0&epoch=1&upstream=ca-certificates-2.0.0-1.cm2.src.rpm"
    );
    assert_eq!(ca.module, None);
    let openssl = rpms.iter().find(|p| p.name == "openssl-libs").unwrap();
    assert_eq!(openssl.version, "1.1.1k-7.cm2");
    assert_eq!(openssl.arch.as_deref(), Some("x86_64"));
    assert_eq!(openssl.source_name, "openssl");
    assert_eq!(
        openssl.license.as_deref().map(|l| !l.is_empty()),
        Some(true)
    );
}

#[test]
fn suse_ndb_behind_the_var_lib_rpm_symlink() {
    let inv = inventory(vec![vec![
        // hand-written in the published format: SLE 15 SP3 BCI's /usr/lib/os-release
        file(
            "usr/lib/os-release",
            b"NAME=\"SLES\"\nVERSION=\"15-SP3\"\nVERSION_ID=\"15.3\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP3\"\nID=\"sles\"\nID_LIKE=\"suse\"\n".to_vec(),
        ),
        Entry::Symlink {
            path: "etc/os-release".into(),
            target: "../usr/lib/os-release".into(),
        },
        file(
            "usr/lib/sysimage/rpm/Packages.db",
            shared("rootfs/rpmdb/sle15-bci/Packages.db"),
        ),
        Entry::Symlink {
            path: "var/lib/rpm".into(),
            target: "../../usr/lib/sysimage/rpm".into(),
        },
    ]]);
    assert_eq!(inv.os.as_ref().unwrap().id, "sles");
    assert_eq!(inv.packages.len(), 35);
    let bash = inv.packages.iter().find(|p| p.name == "bash").unwrap();
    assert_eq!(bash.path, "/usr/lib/sysimage/rpm/Packages.db");
    assert_eq!(
        bash.purl,
        "pkg:rpm/sles/bash@4.4-19.6.1?arch=x86_64&distro=sles-15.3&upstream=bash-4.4-19.6.1.src.rpm"
    );
}

#[test]
fn rhel8_bdb_with_redhat_release_only_and_a_shadowed_database() {
    let claircore = tempfile::tempdir().unwrap();
    let f = std::fs::File::open(
        drydock_testkit::shared_dir().join("fixtures/claircore-testdata.tar.gz"),
    )
    .unwrap();
    tar::Archive::new(flate2::read::GzDecoder::new(f))
        .unpack(claircore.path())
        .unwrap();
    let release = std::fs::read(
        claircore
            .path()
            .join("rhel/testdata/releasefiles/8/etc/redhat-release"),
    )
    .unwrap();
    let inv = inventory(vec![vec![
        file("etc/redhat-release", release),
        file(
            "var/lib/rpm/Packages",
            shared("rootfs/rpmdb/libuuid/Packages"),
        ),
        // a stale BerkeleyDB next to the SQLite database rpm uses: not read
        file(
            "usr/lib/sysimage/rpm/rpmdb.sqlite",
            shared("rootfs/rpmdb/cbl-mariner-2.0/rpmdb.sqlite"),
        ),
    ]]);
    let os = inv.os.as_ref().unwrap();
    assert_eq!(
        (os.id.as_str(), os.version_id.as_deref()),
        ("rhel", Some("8.1"))
    );
    assert_eq!(os.source_path, "/etc/redhat-release");
    assert_eq!(inv.packages.len(), 129);
    assert_eq!(
        inv.warnings,
        vec!["/var/lib/rpm/Packages: not read, /usr/lib/sysimage/rpm/rpmdb.sqlite is the rpm database in use".to_string()]
    );
    // alone, the BerkeleyDB is the database
    let inv = inventory(vec![vec![file(
        "var/lib/rpm/Packages",
        shared("rootfs/rpmdb/libuuid/Packages"),
    )]]);
    assert_eq!(inv.packages.len(), 1);
    assert_eq!(
        inv.packages[0].purl,
        "pkg:rpm/redhat/libuuid@2.32.1-42.el8_8?arch=x86_64&upstream=util-linux-2.32.1-42.el8_8.src.rpm"
    );
}

#[test]
fn corrupt_rpmdb_is_a_warning() {
    let mut bytes = shared("rootfs/rpmdb/cbl-mariner-2.0/rpmdb.sqlite");
    bytes.truncate(4096);
    let (inv, warnings) =
        inventory_and_layer_warnings(vec![vec![file("var/lib/rpm/rpmdb.sqlite", bytes)]]);
    assert!(inv.packages.is_empty());
    assert_eq!(inv.warnings, Vec::<String>::new());
    assert_eq!(
        warnings,
        vec!["/var/lib/rpm/rpmdb.sqlite: corrupt rpm database: SQLite: database disk image is malformed".to_string()]
    );
}
