//! Debian end to end: real dpkg databases (the recorded Debian 12 and 13 minbase DBs, and a
//! debootstrap'd rootfs built by the test set-up) packed into multi-layer images, matched
//! against the real DSA/DLA lists.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tk::Entry;

/// Extract `var/lib/dpkg` (+ release files) of a rootfs tar into `dir` with the system `tar`.
fn extract_dpkg_db(tar: &Path, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let st = std::process::Command::new("tar")
        .arg("-xf")
        .arg(tar)
        .arg("-C")
        .arg(dir)
        .args([
            "--wildcards",
            "./var/lib/dpkg/status",
            "./etc/os-release",
            "./usr/lib/os-release",
        ])
        .status()
        .unwrap();
    assert!(st.success());
    dir.join("var/lib/dpkg")
}

/// The recorded real dpkg DBs of Debian 12.15 and 13.8 minbase systems, as one-layer images
/// (OCI layout and docker-archive), give exactly dpkg-query's package list.
#[test]
fn recorded_debian_dpkg_dbs_list_exactly_what_dpkg_query_lists() {
    for (suite, count, ns) in [("bookworm", 88, "debian:12"), ("trixie", 78, "debian:13")] {
        let dir = scratch(&format!("recorded-{suite}"));
        let src = tk::shared_dir().join(format!(
            "rootfs/debian-{suite}-minbase/dpkg-db-and-release-files.tar.gz"
        ));
        // independent reference: dpkg-query over the real admin dir
        let st = std::process::Command::new("tar")
            .arg("-xzf")
            .arg(&src)
            .arg("-C")
            .arg(&dir)
            .status()
            .unwrap();
        assert!(st.success());
        let reference = dpkg_query(&dir.join("var/lib/dpkg"));
        assert_eq!(reference.len(), count);

        let layer = tk::layer_from_rootfs_tarball(&src);
        let layout = dir.join("layout");
        tk::write_oci_layout(
            &layout,
            &[layer],
            &tk::ImageConfig::default(),
            tk::Compression::Gzip,
        );
        let report = scan_json(&layout, full_db(), &[]);
        assert_eq!(report["os"]["id"], "debian");
        assert_eq!(report["namespace"], ns);
        assert_eq!(packages(&report), reference, "{suite}");
        let libc = report["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "libc6")
            .unwrap();
        assert_eq!(libc["source_name"], "glibc");
        assert!(
            libc["purl"]
                .as_str()
                .unwrap()
                .starts_with("pkg:deb/debian/libc6@"),
            "{libc}"
        );
        assert!(libc["purl"].as_str().unwrap().contains("upstream=glibc"));
    }
}

/// A debootstrap'd bookworm (built once, cached outside the repo) in three layers: layer 1
/// removes a package the way `dpkg --purge` does (a rewritten status) and whiteouts a file,
/// layer 2 adds a package. Packages equal dpkg-query's list of the final DB; each package is
/// attributed to the layer that introduced it; against the DSA/DLA lists there is no finding.
#[test]
fn debootstrapped_bookworm_in_layers() {
    let rootfs = tk::debian_rootfs_tar("bookworm").expect("debootstrap bookworm");
    let dir = scratch("bookworm");
    let admin = extract_dpkg_db(&rootfs, &dir.join("base"));
    let status = std::fs::read_to_string(admin.join("status")).unwrap();

    // layer 1: drop `tzdata` from the status DB (as a purge does) and delete a file
    let paras: Vec<&str> = status
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert!(
        paras.iter().any(|p| p.starts_with("Package: tzdata\n")),
        "tzdata in minbase"
    );
    let without: Vec<&str> = paras
        .iter()
        .copied()
        .filter(|p| !p.starts_with("Package: tzdata\n"))
        .collect();
    let status1 = format!("{}\n\n", without.join("\n\n"));
    let l1 = tk::layer_tar(&[
        Entry::file("var/lib/dpkg/status", status1.clone()),
        Entry::whiteout("usr/share/zoneinfo"),
    ]);
    // layer 2: a package installed on top (a real Debian package paragraph shape)
    let extra = "Package: drydock-test-tool\nStatus: install ok installed\nPriority: optional\nSection: utils\nInstalled-Size: 10\nMaintainer: Drydock <dev@drydock.invalid>\nArchitecture: amd64\nVersion: 1.0-1\nDescription: test package added in layer 2\n";
    let status2 = format!("{status1}{extra}\n");
    let l2 = tk::layer_tar(&[Entry::file("var/lib/dpkg/status", status2.clone())]);

    // the real image: three layers, the rootfs streamed from its tar file
    let image = dir.join("bookworm-3.tar");
    let layers: Vec<Box<dyn tk::LayerSource>> =
        vec![Box::new(rootfs.clone()), Box::new(l1), Box::new(l2)];
    write_boxed_docker_archive(&image, &layers);

    // reference: dpkg-query over the final status file
    let final_admin = dir.join("final/var/lib/dpkg");
    std::fs::create_dir_all(final_admin.join("info")).unwrap();
    std::fs::write(final_admin.join("status"), &status2).unwrap();
    std::fs::write(final_admin.join("available"), "").unwrap();
    let reference = dpkg_query(&final_admin);

    let db = build_db("debian-lists", &["debian"]);
    let report = scan_json(&image, &db, &[]);
    assert_eq!(report["os"]["id"], "debian");
    assert_eq!(report["os"]["version_id"], "12");
    assert_eq!(
        report["os"]["source_path"], "/usr/lib/os-release",
        "etc/os-release is a symlink"
    );
    assert_eq!(report["namespace"], "debian:12");
    assert_eq!(packages(&report), reference);
    assert!(!reference.iter().any(|(n, _)| n == "tzdata"));
    for p in report["packages"].as_array().unwrap() {
        let want = if p["name"] == "drydock-test-tool" {
            2
        } else {
            0
        };
        assert_eq!(p["layer_index"], want, "{}", p["name"]);
        assert_eq!(p["path"], "/var/lib/dpkg/status");
    }
    assert_eq!(report["artifact"]["layers"].as_array().unwrap().len(), 3);
    // no 2023 DSA/DLA applies to a current bookworm: zero findings is the right answer
    assert_eq!(findings(&report), vec![]);
}

/// Like `write_docker_archive`, for layers of mixed kinds.
fn write_boxed_docker_archive(out: &Path, layers: &[Box<dyn tk::LayerSource>]) {
    let refs: Vec<&dyn tk::LayerSource> = layers.iter().map(|b| b.as_ref()).collect();
    tk::write_docker_archive(
        out,
        &refs,
        &tk::ImageConfig::default(),
        tk::Compression::None,
        None,
    );
}

/// Every `[release] - pkg version` line of the DSA and DLA lists, parsed naively:
/// (advisory, cves, release, package, fixed).
fn naive_lists() -> Vec<(String, Vec<String>, String, String, String)> {
    let mut out = Vec::new();
    for name in ["DSA.list", "DLA.list"] {
        let text =
            std::fs::read_to_string(tk::shared_dir().join("feeds/debian").join(name)).unwrap();
        let mut adv = String::new();
        let mut cves: Vec<String> = vec![];
        for line in text.lines() {
            if line.starts_with('[') {
                adv = line.split_whitespace().nth(2).unwrap_or("").to_string();
                cves.clear();
            } else if let Some(c) = line.trim().strip_prefix('{') {
                cves = c
                    .trim_end_matches('}')
                    .split_whitespace()
                    .map(str::to_string)
                    .collect();
            } else if let Some(rest) = line.trim().strip_prefix('[') {
                let (rel, rest) = rest.split_once(']').unwrap();
                let parts: Vec<&str> = rest.split_whitespace().collect();
                if parts.len() == 3 && parts[0] == "-" && !parts[2].starts_with('<') {
                    out.push((
                        adv.clone(),
                        cves.clone(),
                        rel.to_string(),
                        parts[1].to_string(),
                        parts[2].to_string(),
                    ));
                }
            }
        }
    }
    out
}

/// A bullseye image whose packages sit just below real DSA fixed versions: the findings are
/// exactly the advisories a naive pass over the lists plus the real `dpkg --compare-versions`
/// say apply.
#[test]
fn bullseye_packages_just_below_dsa_fixes_get_exactly_those_cves() {
    let lists = naive_lists();
    // (binary package, source package, installed = the oldest bullseye fix for it, minus `~`)
    let picks = [
        ("libssl1.1", "openssl"),
        ("curl", "curl"),
        ("zlib1g", "zlib"),
        ("sudo", "sudo"),
        ("libxml2", "libxml2"),
    ];
    let mut status = String::new();
    let mut expected = Vec::new();
    for (bin, src) in picks {
        let fixes: Vec<_> = lists
            .iter()
            .filter(|(_, _, rel, p, _)| rel == "bullseye" && p == src)
            .collect();
        assert!(!fixes.is_empty(), "{src} has bullseye fixes");
        // the highest fixed version, minus a tilde: just below it, above every older fix
        let mut highest = fixes[0].4.clone();
        for f in &fixes {
            if dpkg_lt(&highest, &f.4) {
                highest = f.4.clone();
            }
        }
        let installed = format!("{highest}~");
        let source_line = if bin == src {
            String::new()
        } else {
            format!("Source: {src}\n")
        };
        status.push_str(&format!(
            "Package: {bin}\nStatus: install ok installed\nArchitecture: amd64\n{source_line}Version: {installed}\n\n"
        ));
        for (adv, cves, _, _, fixed) in fixes {
            if dpkg_lt(&installed, fixed) {
                let ids = if cves.is_empty() {
                    vec![adv.clone()]
                } else {
                    cves.clone()
                };
                for id in ids {
                    expected.push((bin.to_string(), id, fixed.clone()));
                }
            }
        }
    }
    expected.sort();
    expected.dedup();
    assert!(expected.len() >= 5, "{expected:?}");

    let os_release = "PRETTY_NAME=\"Debian GNU/Linux 11 (bullseye)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"11\"\nVERSION=\"11 (bullseye)\"\nVERSION_CODENAME=bullseye\nID=debian\n";
    let layer = tk::layer_tar(&[
        Entry::file("usr/lib/os-release", os_release),
        Entry::symlink("etc/os-release", "../usr/lib/os-release"),
        Entry::file("etc/debian_version", "11.6\n"),
        Entry::file("var/lib/dpkg/status", status),
    ]);
    let dir = scratch("bullseye-below");
    let image = dir.join("bullseye.tar");
    tk::write_oci_archive(
        &image,
        &[layer],
        &tk::ImageConfig::default(),
        tk::Compression::Gzip,
    );
    let db = build_db("debian-lists-b", &["debian"]);
    let report = scan_json(&image, &db, &[]);
    assert_eq!(report["namespace"], "debian:11");
    assert_eq!(findings(&report), expected);
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["status"], "fixed");
        // the lists carry no severity: UNKNOWN, never guessed
        assert_eq!(f["severity"], "UNKNOWN");
        let aliases: Vec<&str> = f["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert!(
            aliases
                .iter()
                .any(|a| a.starts_with("DSA-") || a.starts_with("DLA-")),
            "{f}"
        );
    }
    // one exact, hand-checked row: DSA-5343-1 fixed CVE-2023-0286 in openssl 1.1.1n-0+deb11u4
    assert!(findings(&report).contains(&(
        "libssl1.1".to_string(),
        "CVE-2023-0286".to_string(),
        "1.1.1n-0+deb11u4".to_string()
    )));
}

/// Distroless-style `status.d/` files: a whiteout of one file removes that package only; an
/// opaque status.d replaces them all.
#[test]
fn distroless_status_d_with_whiteouts() {
    let os_release =
        "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nPRETTY_NAME=\"Distroless\"\n";
    let pkg = |n: &str, v: &str| format!("Package: {n}\nVersion: {v}\nArchitecture: amd64\n");
    let l0 = tk::layer_tar(&[
        Entry::file("etc/os-release", os_release),
        Entry::file(
            "var/lib/dpkg/status.d/base-files",
            pkg("base-files", "12.4+deb12u5"),
        ),
        Entry::file(
            "var/lib/dpkg/status.d/libc6",
            pkg("libc6", "2.36-9+deb12u4"),
        ),
        Entry::file("var/lib/dpkg/status.d/libc6.md5sums", "abc  lib/x\n"),
        Entry::file(
            "var/lib/dpkg/status.d/libssl3",
            pkg("libssl3", "3.0.11-1~deb12u2"),
        ),
    ]);
    let l1 = tk::layer_tar(&[Entry::whiteout("var/lib/dpkg/status.d/libssl3")]);
    let dir = scratch("distroless");
    let image = dir.join("distroless.tar");
    tk::write_oci_archive(
        &image,
        &[l0.clone(), l1],
        &tk::ImageConfig::default(),
        tk::Compression::Gzip,
    );
    let report: Value = scan_json(&image, full_db(), &[]);
    assert_eq!(
        packages(&report),
        vec![
            ("base-files".to_string(), "12.4+deb12u5".to_string()),
            ("libc6".to_string(), "2.36-9+deb12u4".to_string()),
        ]
    );
    let l2 = tk::layer_tar(&[
        Entry::opaque("var/lib/dpkg/status.d"),
        Entry::file(
            "var/lib/dpkg/status.d/tzdata",
            pkg("tzdata", "2024a-0+deb12u1"),
        ),
    ]);
    let image = dir.join("distroless-opaque.tar");
    tk::write_oci_archive(
        &image,
        &[l0, l2],
        &tk::ImageConfig::default(),
        tk::Compression::Gzip,
    );
    let report = scan_json(&image, full_db(), &[]);
    assert_eq!(
        packages(&report),
        vec![("tzdata".to_string(), "2024a-0+deb12u1".to_string())]
    );
    assert_eq!(report["packages"][0]["layer_index"], 1);
}
