//! RPM packages matched against a DB built from the real Azure Linux 3.0 OVAL and AlmaLinux
//! OSV feeds. Installed versions are chosen just below real fixed versions; the expected
//! findings come from an independent, naive pass over the raw feed files (string search in the
//! XML, `serde_json::Value` over the OSV zip) using only rpm's comparison, itself checked
//! against the real rpm in `version_rpm.rs`.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::io::Read;

use drydock_inventory::{Inventory, OsInfo, Package, PackageKind};
use drydock_matcher::{match_inventory, version::Scheme};
use drydock_vulndb::{BuildOptions, Db, FixStatus, Severity, build};

fn feeds() -> std::path::PathBuf {
    drydock_testkit::shared_dir().join("feeds")
}

fn db() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("feeds");
    for rel in [
        "azurelinux-oval/azurelinux-3.0-oval.xml",
        "osv/AlmaLinux/all.zip",
    ] {
        let dest = f.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(feeds().join(rel), &dest).unwrap();
    }
    let out = dir.path().join("db.sqlite");
    build(&f, &out, &BuildOptions::default()).unwrap();
    let db = Db::open(&out).unwrap();
    (dir, db)
}

fn rpm_pkg(name: &str, version: &str, source: &str) -> Package {
    Package {
        kind: PackageKind::Rpm,
        name: name.into(),
        version: version.into(),
        arch: Some("x86_64".into()),
        source_name: source.into(),
        source_version: version.into(),
        purl: format!("pkg:rpm/x/{name}@{version}"),
        license: None,
        module: None,
        path: "/var/lib/rpm/rpmdb.sqlite".into(),
        dev: false,
        layer_index: 0,
        layer_diff_id: String::new(),
    }
}

fn os(id: &str, version: &str) -> Option<OsInfo> {
    Some(OsInfo {
        id: id.into(),
        version_id: Some(version.into()),
        source_path: "/etc/os-release".into(),
        ..Default::default()
    })
}

fn lt(a: &str, b: &str) -> bool {
    Scheme::Rpm.compare(a, b).unwrap() == Ordering::Less
}

/// Naive: CVEs of Azure Linux definitions naming `pkg` whose `less than` bound is above
/// `installed` (and that are patchable).
fn naive_azure(pkg: &str, installed: &str) -> BTreeSet<String> {
    let xml =
        std::fs::read_to_string(feeds().join("azurelinux-oval/azurelinux-3.0-oval.xml")).unwrap();
    let mut out = BTreeSet::new();
    for def in xml.split("<definition ").skip(1) {
        let title = def
            .split("<title>")
            .nth(1)
            .unwrap()
            .split("</title>")
            .next()
            .unwrap();
        // "CVE-2024-47191 affecting package oath-toolkit for versions less than 2.6.7-3"
        let (cve, rest) = title.split_once(" affecting package ").unwrap();
        let (name, bound) = rest
            .split_once(" for versions less than ")
            .unwrap_or((rest, ""));
        if name != pkg || bound.is_empty() || !def.contains("<patchable>true</patchable>") {
            continue;
        }
        // the title omits the release suffix: follow test → state to the evr bound
        let test_ref = def
            .split("test_ref=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let test = xml.split(&format!("id=\"{test_ref}\"")).nth(1).unwrap();
        let state_ref = test
            .split("state_ref=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let st = xml
            .split(&format!("<linux-def:rpminfo_state id=\"{state_ref}\""))
            .nth(1)
            .unwrap();
        let elem = &st[st.find("<linux-def:evr").unwrap()..];
        let evr: String = elem
            .split_once('>')
            .unwrap()
            .1
            .split('<')
            .next()
            .unwrap()
            .split_whitespace()
            .collect();
        if lt(installed, &evr) {
            out.insert(cve.to_string());
        }
    }
    out
}

/// Naive: ids of AlmaLinux:9 OSV records with a `fixed` event for `pkg` above `installed`.
fn naive_alma(pkg: &str, installed: &str) -> BTreeSet<String> {
    let f = std::fs::File::open(feeds().join("osv/AlmaLinux/all.zip")).unwrap();
    let mut zip = zip::ZipArchive::new(f).unwrap();
    let mut out = BTreeSet::new();
    for i in 0..zip.len() {
        let mut e = zip.by_index(i).unwrap();
        let mut s = String::new();
        e.read_to_string(&mut s).unwrap();
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        for a in v["affected"].as_array().into_iter().flatten() {
            if a["package"]["ecosystem"] != "AlmaLinux:9" || a["package"]["name"] != pkg {
                continue;
            }
            for r in a["ranges"].as_array().into_iter().flatten() {
                for ev in r["events"].as_array().into_iter().flatten() {
                    if let Some(fx) = ev["fixed"].as_str()
                        && lt(installed, fx)
                    {
                        out.insert(v["id"].as_str().unwrap().to_string());
                    }
                }
            }
        }
    }
    out
}

#[test]
fn azure_linux_and_almalinux_findings() {
    let (_d, db) = db();

    // Azure Linux 3.0: oath-toolkit just below the fix of CVE-2024-47191 (2.6.7-3.azl3)
    let inv = Inventory {
        os: os("azurelinux", "3.0"),
        packages: vec![
            rpm_pkg("oath-toolkit", "2.6.7-2.azl3", "oath-toolkit"),
            rpm_pkg("liboath", "2.6.7-3.azl3", "oath-toolkit"),
        ],
        warnings: vec![],
    };
    let m = match_inventory(&db, &inv).unwrap();
    assert_eq!(m.namespace.as_deref(), Some("azurelinux:3.0"));
    assert_eq!(m.warnings, Vec::<String>::new());
    let want = naive_azure("oath-toolkit", "2.6.7-2.azl3");
    assert_eq!(want, BTreeSet::from(["CVE-2024-47191".to_string()]));
    let got: BTreeSet<String> = m
        .findings
        .iter()
        .filter(|f| f.package.name == "oath-toolkit")
        .map(|f| f.id.clone())
        .collect();
    assert_eq!(got, want);
    let f = &m.findings[0];
    assert_eq!(f.fixed_version.as_deref(), Some("2.6.7-3.azl3"));
    assert_eq!(f.status, FixStatus::Fixed);
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.sources, vec!["azurelinux-oval"]);
    // the binary liboath of the same source at the fixed version: not affected
    assert!(!m.findings.iter().any(|f| f.package.name == "liboath"));

    // AlmaLinux 9: openssl just below a real fix, by binary name
    let installed = "1:3.0.7-16.el9_2";
    let want = naive_alma("openssl", installed);
    assert!(want.len() >= 3, "{want:?}");
    let inv = Inventory {
        os: os("almalinux", "9.2"),
        packages: vec![rpm_pkg("openssl", installed, "openssl")],
        warnings: vec![],
    };
    let m = match_inventory(&db, &inv).unwrap();
    assert_eq!(m.namespace.as_deref(), Some("almalinux:9"));
    let mut got = BTreeSet::new();
    for f in &m.findings {
        // advisories fold into their CVE ids; the ALSA id stays among the aliases
        let alsa: Vec<&String> = std::iter::once(&f.id)
            .chain(f.aliases.iter())
            .filter(|a| a.starts_with("ALSA-"))
            .collect();
        assert!(!alsa.is_empty(), "{f:?}");
        got.extend(alsa.into_iter().cloned());
    }
    assert_eq!(got, want);
    // at the newest fixed version: nothing
    let newest = want_max_fixed("openssl");
    let inv = Inventory {
        os: os("almalinux", "9.2"),
        packages: vec![rpm_pkg("openssl", &newest, "openssl")],
        warnings: vec![],
    };
    assert_eq!(
        match_inventory(&db, &inv).unwrap().findings.len(),
        0,
        "{newest}"
    );
}

fn want_max_fixed(pkg: &str) -> String {
    let f = std::fs::File::open(feeds().join("osv/AlmaLinux/all.zip")).unwrap();
    let mut zip = zip::ZipArchive::new(f).unwrap();
    let mut best: Option<String> = None;
    for i in 0..zip.len() {
        let mut e = zip.by_index(i).unwrap();
        let mut s = String::new();
        e.read_to_string(&mut s).unwrap();
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        for a in v["affected"].as_array().into_iter().flatten() {
            if a["package"]["ecosystem"] != "AlmaLinux:9" || a["package"]["name"] != pkg {
                continue;
            }
            for r in a["ranges"].as_array().into_iter().flatten() {
                for ev in r["events"].as_array().into_iter().flatten() {
                    if let Some(fx) = ev["fixed"].as_str()
                        && best.as_deref().is_none_or(|b| lt(b, fx))
                    {
                        best = Some(fx.to_string());
                    }
                }
            }
        }
    }
    best.unwrap()
}

/// Unpack `wanted` files of a `../shared/fixtures` bundle into `dest`.
fn unpack(bundle: &str, wanted: &[&str], dest: &std::path::Path) {
    let f =
        std::fs::File::open(drydock_testkit::shared_dir().join("fixtures").join(bundle)).unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut found = 0;
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e
            .path()
            .unwrap()
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        if wanted.contains(&path.as_str()) {
            let out = dest.join(&path);
            std::fs::create_dir_all(out.parent().unwrap()).unwrap();
            e.unpack(&out).unwrap();
            found += 1;
        }
    }
    assert_eq!(found, wanted.len());
}

/// RHEL through the Red Hat CSAF VEX sample (source-keyed) and Rocky module streams through the
/// Rocky updateinfo sample (real files from the peer scanners' fixtures).
#[test]
fn rhel_source_rpm_and_rocky_module_streams() {
    let tmp = tempfile::tempdir().unwrap();
    let vex = "rhel/vex/testdata/cve-2023-38545.json";
    let rocky = "rocky/testdata/fixtures/happy/updateinfo.xml";
    unpack("claircore-testdata.tar.gz", &[vex], tmp.path());
    unpack("vuln-list-update-testdata.tar.gz", &[rocky], tmp.path());
    let feeds = tmp.path().join("feeds");
    for (src, dest) in [
        (vex, "redhat-csaf/2023/cve-2023-38545.json"),
        (rocky, "rocky/8/updateinfo.xml"),
    ] {
        let d = feeds.join(dest);
        std::fs::create_dir_all(d.parent().unwrap()).unwrap();
        std::fs::copy(tmp.path().join(src), &d).unwrap();
    }
    let out = tmp.path().join("db.sqlite");
    build(&feeds, &out, &BuildOptions::default()).unwrap();
    let db = Db::open(&out).unwrap();

    // libcurl from the curl source RPM, one release below the RHEL 9.3 fix
    let mut libcurl = rpm_pkg("libcurl", "7.76.1-26.el9_3.1", "curl");
    libcurl.source_version = "7.76.1-26.el9_3.1".into();
    let inv = Inventory {
        os: os("rhel", "9.3"),
        packages: vec![libcurl, rpm_pkg("curl", "7.76.1-26.el9_3.2", "curl")],
        warnings: vec![],
    };
    let m = match_inventory(&db, &inv).unwrap();
    assert_eq!(m.namespace.as_deref(), Some("rhel:9"));
    assert_eq!(m.findings.len(), 1, "{:#?}", m.findings);
    let f = &m.findings[0];
    assert_eq!(
        (f.id.as_str(), f.package.name.as_str()),
        ("CVE-2023-38545", "libcurl")
    );
    assert_eq!(f.fixed_version.as_deref(), Some("7.76.1-26.el9_3.2"));
    assert_eq!(f.matched_version, "7.76.1-26.el9_3.1");
    assert_eq!(f.severity, Severity::High);
    assert!(
        f.aliases.contains(&"RHSA-2023:6745".to_string()),
        "{:?}",
        f.aliases
    );

    // Rocky 8: rubygem-bson from the ruby:2.6 stream below RLSA-2019:1972's build
    let mut bson = rpm_pkg(
        "rubygem-bson",
        "4.3.0-1.module+el8.4.0+592+03ff458a",
        "rubygem-bson",
    );
    bson.module = Some("ruby:2.6".into());
    let inv = Inventory {
        os: os("rocky", "8.4"),
        packages: vec![bson.clone()],
        warnings: vec![],
    };
    let m = match_inventory(&db, &inv).unwrap();
    let ids: Vec<&str> = m.findings.iter().map(|f| f.id.as_str()).collect();
    assert!(ids.contains(&"CVE-2019-8324"), "{ids:?}");
    assert!(
        m.findings
            .iter()
            .all(|f| f.fixed_version.as_deref() == Some("4.3.0-2.module+el8.4.0+592+03ff458a"))
    );
    // the same package from another stream (or no module): the ruby:2.6 rows do not apply
    for module in [Some("ruby:3.1".to_string()), None] {
        let mut other = bson.clone();
        other.module = module;
        let inv = Inventory {
            os: os("rocky", "8.4"),
            packages: vec![other],
            warnings: vec![],
        };
        assert_eq!(match_inventory(&db, &inv).unwrap().findings.len(), 0);
    }
}
