//! Real root filesystems and layers built from them, plus the scale generator.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::process::Command;
use std::time::Instant;

use common::*;
use drydock_testkit::*;

#[test]
fn alpine_rootfs_tarballs_are_found_and_decompressed() {
    let p = alpine_rootfs("3.20.3");
    assert!(p.is_file());
    assert_eq!(
        alpine_rootfs("3.20"),
        p,
        "minor version picks the patch release"
    );
    assert!(alpine_versions().len() >= 12);
    let layer = layer_from_rootfs_tarball(&p);
    let files = tar_files(&layer);
    let os = String::from_utf8_lossy(&files["./etc/os-release"]).into_owned();
    assert!(os.contains("VERSION_ID=3.20.3"), "{os}");
    let installed = String::from_utf8_lossy(&files["./lib/apk/db/installed"]).into_owned();
    assert!(installed.contains("P:musl\n"));
    // Streaming to a file gives the same bytes.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("alpine.tar");
    let n = layer_from_rootfs_tarball_to_file(&p, &out);
    assert_eq!(n, layer.len() as u64);
    assert_eq!(sha256_file_digest(&out), sha(&layer));
}

#[test]
#[should_panic(expected = "no Alpine minirootfs 2.0")]
fn missing_alpine_version_panics_with_the_list() {
    alpine_rootfs("2.0");
}

#[test]
fn whiteout_and_opaque_names() {
    assert_eq!(Entry::whiteout("etc/motd").tar_name(), b"etc/.wh.motd");
    assert_eq!(Entry::whiteout("motd").tar_name(), b".wh.motd");
    assert_eq!(Entry::whiteout("a/b/c/").tar_name(), b"a/b/.wh.c");
    assert_eq!(
        Entry::opaque("var/cache/").tar_name(),
        b"var/cache/.wh..wh..opq"
    );
    assert_eq!(Entry::dir("usr").tar_name(), b"usr/");
    let l = tar_tv(&layer_tar(&[
        Entry::dir("etc"),
        Entry::whiteout("etc/motd"),
        Entry::opaque("etc"),
        Entry::raw(
            tar::EntryType::Regular,
            b"raw\xffname".to_vec(),
            b"data".to_vec(),
        ),
    ]));
    assert!(l.contains(" etc/.wh.motd\n"), "{l}");
    assert!(l.contains(" etc/.wh..wh..opq\n"), "{l}");
    assert!(l.contains("4 2024-01-01 00:00 raw"), "{l}");
}

#[test]
fn layer_from_dir_is_deterministic_and_keeps_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/os-release"), "ID=test\n").unwrap();
    std::fs::write(root.join("usr/bin/tool"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(root.join("usr/bin/tool"), PermissionsExt::from_mode(0o4755)).unwrap();
    std::fs::hard_link(root.join("usr/bin/tool"), root.join("usr/bin/tool2")).unwrap();
    symlink("../etc/os-release", root.join("usr/os-release")).unwrap();
    run(Command::new("mkfifo").arg(root.join("etc/fifo")));
    let a = layer_from_dir(&root);
    let out = tmp.path().join("l.tar");
    let n = layer_from_dir_to_file(&root, &out);
    assert_eq!(n, a.len() as u64);
    assert!(
        std::fs::read(&out).unwrap() == a,
        "streaming and in-memory agree"
    );
    let l = tar_tv(&a);
    for needle in [
        " etc/\n",
        "prw-",
        " etc/fifo\n",
        "-rw-r--r-- 0/0               8 2024-01-01 00:00 etc/os-release\n",
        "-rwsr-xr-x 0/0              10 2024-01-01 00:00 usr/bin/tool\n",
        "usr/bin/tool2 link to usr/bin/tool",
        "usr/os-release -> ../etc/os-release",
    ] {
        assert!(l.contains(needle), "{needle:?} not in\n{l}");
    }
    // Sorted: etc/ before usr/, parents before children.
    let names: Vec<String> = tar::Archive::new(a.as_slice())
        .entries()
        .unwrap()
        .map(|e| String::from_utf8_lossy(&e.unwrap().path_bytes()).into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "etc/",
            "etc/fifo",
            "etc/os-release",
            "usr/",
            "usr/bin/",
            "usr/bin/tool",
            "usr/bin/tool2",
            "usr/os-release"
        ]
    );
}

#[test]
fn million_files_layer_streams_a_realistic_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("many.tar");
    let n = 25_000;
    let t = Instant::now();
    let size = million_files_layer(&out, n);
    eprintln!("{n} files: {size} bytes in {:?}", t.elapsed());
    assert_eq!(size, std::fs::metadata(&out).unwrap().len());
    let mut files = 0;
    let mut manifests = BTreeMap::new();
    let mut ar = tar::Archive::new(std::fs::File::open(&out).unwrap());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        if name.ends_with(".js") {
            files += 1;
        } else if name.ends_with("/package.json") {
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            let v: serde_json::Value = serde_json::from_str(&s).unwrap();
            manifests.insert(name, v["version"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(files, n);
    assert_eq!(manifests.len(), 3);
    assert_eq!(manifests["app/node_modules/pkg-0002/package.json"], "1.0.2");
}

/// Builds (first run, ~30 s) or reuses the cached Debian bookworm minbase rootfs. Fails —
/// does not skip — when debootstrap is missing: CI installs it.
#[test]
fn debian_bookworm_rootfs_is_built_once_and_cached() {
    let t = Instant::now();
    let tar = debian_rootfs_tar("bookworm").unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "debian_rootfs_tar(bookworm): {:?} ({})",
        t.elapsed(),
        tar.display()
    );
    assert!(tar.starts_with(cache_dir()));
    assert!(
        !tar.starts_with(workspace_root()),
        "the cache must be outside the repo"
    );
    let t = Instant::now();
    assert_eq!(debian_rootfs_tar("bookworm").unwrap(), tar);
    assert!(t.elapsed().as_secs() < 2, "second call uses the cache");
    assert!(
        !tar.with_extension("rootfs").exists(),
        "rootfs dir removed after tarring"
    );
    let listing = String::from_utf8(run(Command::new("tar").arg("-tf").arg(&tar))).unwrap();
    assert!(listing.lines().any(|l| l == "./var/lib/dpkg/status"));
    // ./etc/os-release is a symlink to ../usr/lib/os-release on Debian.
    let os = run(Command::new("tar")
        .arg("-xOf")
        .arg(&tar)
        .arg("./usr/lib/os-release"));
    let os = String::from_utf8_lossy(&os);
    assert!(os.contains("VERSION_CODENAME=bookworm"), "{os}");
    let status = run(Command::new("tar")
        .arg("-xOf")
        .arg(&tar)
        .arg("./var/lib/dpkg/status"));
    let packages = String::from_utf8_lossy(&status)
        .lines()
        .filter(|l| l.starts_with("Package: "))
        .count();
    assert!((50..200).contains(&packages), "{packages} packages");
}

#[test]
fn invalid_suite_is_an_error() {
    let e = debian_rootfs_tar("../etc").unwrap_err();
    assert!(e.contains("invalid Debian suite"), "{e}");
}

#[test]
fn diff_layer_writes_changes_and_whiteouts_only() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base.tar");
    layer_from_rootfs_tarball_to_file(alpine_rootfs("3.20.3"), &base);
    let root = tmp.path().join("root");
    std::fs::create_dir(&root).unwrap();
    run(Command::new("tar")
        .arg("--numeric-owner")
        .arg("-xf")
        .arg(&base)
        .arg("-C")
        .arg(&root));
    // Nothing changed yet: an empty layer.
    let out = tmp.path().join("empty.tar");
    let s = diff_layer(&base, &root, &out);
    assert_eq!((s.changed, s.whiteouts), (0, 0), "{s:?}");
    assert_eq!(s.bytes, 1024);
    // Change it the way a Dockerfile would.
    std::fs::write(root.join("etc/motd"), "changed\n").unwrap(); // modified
    std::fs::create_dir_all(root.join("app/lib")).unwrap(); // new tree
    std::fs::write(root.join("app/lib/x.py"), "x = 1\n").unwrap();
    std::fs::remove_file(root.join("etc/hostname")).unwrap(); // deleted file
    std::fs::remove_dir_all(root.join("etc/apk/keys")).unwrap(); // deleted tree
    std::fs::set_permissions(root.join("etc/fstab"), PermissionsExt::from_mode(0o600)).unwrap();
    let out = tmp.path().join("diff.tar");
    let s = diff_layer(&base, &root, &out);
    let names: Vec<String> = tar::Archive::new(std::fs::File::open(&out).unwrap())
        .entries()
        .unwrap()
        .map(|e| String::from_utf8_lossy(&e.unwrap().path_bytes()).into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "app/",
            "app/lib/",
            "app/lib/x.py",
            "etc/",
            "etc/apk/",
            "etc/fstab",
            "etc/motd",
            "etc/apk/.wh.keys",
            "etc/.wh.hostname",
        ],
        "{s:?}"
    );
    // `etc/` and `etc/apk/` are written only as parents; unchanged files are left out.
    assert_eq!((s.changed, s.whiteouts), (5, 2));
}

/// A caller waiting on the lock uses the tar the lock holder built instead of building again.
#[test]
fn concurrent_callers_wait_for_one_build() {
    let cache = tempfile::tempdir().unwrap();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(cache.path().join("debootstrap-testsuite.lock"))
        .unwrap();
    lock.lock().unwrap();
    let dir = cache.path().to_path_buf();
    let waiter = std::thread::spawn(move || debian_rootfs_tar_in(&dir, "testsuite"));
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        !waiter.is_finished(),
        "the second caller must wait for the lock"
    );
    // The "first builder" finishes: the tar appears, the lock is released.
    let tar = cache.path().join("debootstrap-testsuite.tar");
    std::fs::write(&tar, b"built by the lock holder").unwrap();
    lock.unlock().unwrap();
    assert_eq!(waiter.join().unwrap().unwrap(), tar);
    assert_eq!(std::fs::read(&tar).unwrap(), b"built by the lock holder");
}
