//! drydock-inventory: what is installed in an image.
//!
//! [`InventoryAnalyzer`] registers the files the catalogers need (release files, package
//! databases) with the image walker and parses them per layer into [`Artifact`]s. After the
//! layers are merged, [`build_inventory`] detects the OS and lists every package with its purl,
//! the database file it came from, and the layer that introduced it.

pub mod apk;
pub mod dpkg;
pub mod lang;
pub mod os;
pub mod rpm;
pub mod sbom;

pub use apk::ApkEntry;
pub use dpkg::DpkgEntry;
pub use lang::{Ecosystem, LangPackage, Scope};
pub use os::OsInfo;
pub use rpm::{RpmDb, RpmEntry};

use drydock_image::{Analyzer, FileVersion, ImagePath, MergedView};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const OS_RELEASE: &[&str] = &["etc/os-release", "usr/lib/os-release"];
const ALPINE_RELEASE: &str = "etc/alpine-release";
const DEBIAN_VERSION: &str = "etc/debian_version";
const DPKG_STATUS: &str = "var/lib/dpkg/status";
const DPKG_STATUS_D: &str = "var/lib/dpkg/status.d/";
const APK_INSTALLED: &[&str] = &["lib/apk/db/installed", "usr/lib/apk/db/installed"];
/// rpmdb locations: `var/lib/rpm` (RHEL, CentOS, Amazon Linux, Mariner) and
/// `usr/lib/sysimage/rpm` (SUSE, Fedora ≥ 36), each in the three formats.
const RPMDB_DIRS: &[&str] = &["usr/lib/sysimage/rpm/", "var/lib/rpm/"];
const RPMDB_FILES: &[&str] = &["rpmdb.sqlite", "Packages.db", "Packages"];
/// Release files of RPM distributions without (or older than) os-release.
const RPM_RELEASE: &[&str] = &[
    // most specific first: Oracle's and CentOS's redhat-release imitate RHEL's
    "etc/oracle-release",
    "etc/centos-release",
    "etc/rocky-release",
    "etc/almalinux-release",
    "etc/fedora-release",
    "etc/system-release",
    "etc/SuSE-release",
    "etc/redhat-release",
];

fn is_rpmdb(p: &str) -> bool {
    RPMDB_DIRS
        .iter()
        .any(|d| p.strip_prefix(d).is_some_and(|f| RPMDB_FILES.contains(&f)))
}

/// What a wanted file turned out to contain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Artifact {
    OsRelease(OsInfo),
    AlpineRelease(OsInfo),
    DebianVersion(OsInfo),
    Dpkg(Vec<DpkgEntry>),
    Apk(Vec<ApkEntry>),
    /// `/etc/redhat-release` and the other RPM distributions' release files.
    RpmRelease(OsInfo),
    Rpm(RpmDb),
    /// Language packages from one file (lockfile, installed metadata, archive, binary).
    Lang(Vec<LangPackage>),
}

/// Text manifests and lockfiles bigger than this are skipped with a warning (the biggest real
/// lockfiles are a few MiB); archives and binaries may be up to [`MAX_BINARY_SIZE`].
pub const MAX_MANIFEST_SIZE: u64 = 32 << 20;
/// Largest jar/war/ear or executable read whole (they are parsed in memory).
pub const MAX_BINARY_SIZE: u64 = 384 << 20;

/// The analyzer for OS detection, OS package catalogers and (unless turned off) the language
/// package catalogers of [`lang`].
#[derive(Debug, Clone, Copy)]
pub struct InventoryAnalyzer {
    /// Which language package files to read; `None` reads OS packages only.
    pub lang: Option<Scope>,
}

impl Default for InventoryAnalyzer {
    /// OS packages plus installed language packages: what an image scan reads.
    fn default() -> Self {
        InventoryAnalyzer {
            lang: Some(Scope::Image),
        }
    }
}

impl InventoryAnalyzer {
    /// For an image: OS packages and installed language packages.
    pub fn image() -> Self {
        Self::default()
    }

    /// For a source tree: also lockfiles and manifests.
    pub fn fs() -> Self {
        InventoryAnalyzer {
            lang: Some(Scope::Fs),
        }
    }

    /// OS packages only.
    pub fn os_only() -> Self {
        InventoryAnalyzer { lang: None }
    }

    fn wants_os(p: &str) -> bool {
        // cheap first-byte gate: this is called for every file of every layer
        match p.as_bytes().first() {
            Some(b'e' | b'u' | b'v' | b'l') => {}
            _ => return false,
        }
        if p.ends_with("-release") && RPM_RELEASE.contains(&p) {
            return true;
        }
        is_rpmdb(p)
            || OS_RELEASE.contains(&p)
            || p == ALPINE_RELEASE
            || p == DEBIAN_VERSION
            || p == DPKG_STATUS
            || APK_INSTALLED.contains(&p)
            || (p.starts_with(DPKG_STATUS_D)
                && !p[DPKG_STATUS_D.len()..].contains('/')
                && !p.ends_with(".md5sums"))
    }
}

/// Is this an archive or binary (large limit) rather than a text manifest?
fn is_binary_kind(p: &str) -> bool {
    let name = p.rsplit('/').next().unwrap_or(p);
    let Some((_, ext)) = name.rsplit_once('.') else {
        return false;
    };
    ["jar", "war", "ear", "jpi", "hpi"]
        .iter()
        .any(|e| ext.eq_ignore_ascii_case(e))
}

impl Analyzer for InventoryAnalyzer {
    type Output = Artifact;

    fn wants(&self, path: &ImagePath) -> bool {
        let p = path.as_str();
        Self::wants_os(p) || self.lang.is_some_and(|scope| lang::wants(p, scope))
    }

    fn wants_executables(&self) -> bool {
        self.lang.is_some()
    }

    /// Versioned: bump the suffix whenever the files wanted or the output for the same file
    /// change (a layer cache must not return analyses made before RPM databases were read).
    fn id(&self) -> String {
        let lang = match self.lang {
            None => "none",
            Some(Scope::Image) => "image",
            Some(Scope::Fs) => "fs",
        };
        format!(
            "drydock-inventory@{}/rpm-1/lang-1-{lang}",
            env!("CARGO_PKG_VERSION")
        )
    }

    /// rpmdbs (up to [`rpm::MAX_RPMDB_SIZE`]) and archives/binaries (up to
    /// [`MAX_BINARY_SIZE`]) are large; text manifests are capped lower in `analyze`.
    fn max_file_size(&self) -> u64 {
        if self.lang.is_some() {
            rpm::MAX_RPMDB_SIZE.max(MAX_BINARY_SIZE)
        } else {
            rpm::MAX_RPMDB_SIZE
        }
    }

    fn analyze(
        &self,
        path: &ImagePath,
        content: &[u8],
        warnings: &mut Vec<String>,
    ) -> Option<Artifact> {
        let p = path.as_str();
        if !Self::wants_os(p) {
            let scope = self.lang?;
            if lang::wants(p, scope) {
                if !is_binary_kind(p) && content.len() as u64 > MAX_MANIFEST_SIZE {
                    warnings.push(format!(
                        "{path}: {} bytes exceeds the {MAX_MANIFEST_SIZE} byte limit for package manifests; skipped",
                        content.len()
                    ));
                    return None;
                }
                let mut w = Vec::new();
                let pkgs = lang::parse(p, content, scope, &mut w);
                warnings.extend(w.into_iter().map(|m| format!("{path}: {m}")));
                return (!pkgs.is_empty()).then_some(Artifact::Lang(pkgs));
            }
            // an executable offered for its content (Go build info, cargo-auditable)
            let mut w = Vec::new();
            let pkgs = lang::parse_executable(content, &mut w);
            warnings.extend(w.into_iter().map(|m| format!("{path}: {m}")));
            return pkgs.filter(|p| !p.is_empty()).map(Artifact::Lang);
        }
        match parse_artifact(path, content) {
            Ok(a) => Some(a),
            Err(e) => {
                warnings.push(format!("{path}: {e}"));
                None
            }
        }
    }
}

fn parse_artifact(path: &ImagePath, content: &[u8]) -> Result<Artifact, String> {
    let p = path.as_str();
    let shown = path.to_string(); // absolute, as reported
    let text = String::from_utf8_lossy(content);
    if OS_RELEASE.contains(&p) {
        OsInfo::from_os_release(&text, &shown)
            .map(Artifact::OsRelease)
            .ok_or_else(|| "os-release has no ID".to_string())
    } else if p == ALPINE_RELEASE {
        OsInfo::from_alpine_release(&text, &shown)
            .map(Artifact::AlpineRelease)
            .ok_or_else(|| "empty alpine-release".to_string())
    } else if p == DEBIAN_VERSION {
        OsInfo::from_debian_version(&text, &shown)
            .map(Artifact::DebianVersion)
            .ok_or_else(|| "empty debian_version".to_string())
    } else if RPM_RELEASE.contains(&p) {
        OsInfo::from_rpm_release(&text, &shown)
            .map(Artifact::RpmRelease)
            .ok_or_else(|| "release file names no known distribution".to_string())
    } else if is_rpmdb(p) {
        let db = rpm::parse_rpmdb(content).map_err(|e| e.to_string())?;
        if db.packages.is_empty() && !db.errors.is_empty() {
            return Err(format!(
                "{} unreadable package headers and no packages (first: {})",
                db.errors.len(),
                db.errors[0]
            ));
        }
        Ok(Artifact::Rpm(db))
    } else if APK_INSTALLED.contains(&p) {
        let (entries, bad) = apk::parse_installed(&text);
        if bad > 0 && entries.is_empty() {
            return Err(format!("{bad} malformed records and no packages"));
        }
        Ok(Artifact::Apk(entries))
    } else {
        let (entries, bad) = dpkg::parse_status(&text);
        if bad > 0 && entries.is_empty() {
            return Err(format!("{bad} malformed paragraphs and no packages"));
        }
        Ok(Artifact::Dpkg(entries))
    }
}

/// Package database kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    Deb,
    Apk,
    Rpm,
    Pypi,
    Npm,
    Maven,
    Go,
    Cargo,
    Gem,
    Composer,
    Nuget,
}

impl PackageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PackageKind::Deb => "deb",
            PackageKind::Apk => "apk",
            PackageKind::Rpm => "rpm",
            PackageKind::Pypi => "pypi",
            PackageKind::Npm => "npm",
            PackageKind::Maven => "maven",
            PackageKind::Go => "go",
            PackageKind::Cargo => "cargo",
            PackageKind::Gem => "gem",
            PackageKind::Composer => "composer",
            PackageKind::Nuget => "nuget",
        }
    }

    /// The language ecosystem, `None` for OS packages.
    pub fn ecosystem(self) -> Option<Ecosystem> {
        Some(match self {
            PackageKind::Deb | PackageKind::Apk | PackageKind::Rpm => return None,
            PackageKind::Pypi => Ecosystem::Pypi,
            PackageKind::Npm => Ecosystem::Npm,
            PackageKind::Maven => Ecosystem::Maven,
            PackageKind::Go => Ecosystem::Go,
            PackageKind::Cargo => Ecosystem::Cargo,
            PackageKind::Gem => Ecosystem::Gem,
            PackageKind::Composer => Ecosystem::Composer,
            PackageKind::Nuget => Ecosystem::Nuget,
        })
    }

    /// An OS package (deb, apk, rpm)?
    pub fn is_os(self) -> bool {
        self.ecosystem().is_none()
    }
}

impl From<Ecosystem> for PackageKind {
    fn from(e: Ecosystem) -> Self {
        match e {
            Ecosystem::Pypi => PackageKind::Pypi,
            Ecosystem::Npm => PackageKind::Npm,
            Ecosystem::Maven => PackageKind::Maven,
            Ecosystem::Go => PackageKind::Go,
            Ecosystem::Cargo => PackageKind::Cargo,
            Ecosystem::Gem => PackageKind::Gem,
            Ecosystem::Composer => PackageKind::Composer,
            Ecosystem::Nuget => PackageKind::Nuget,
        }
    }
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub kind: PackageKind,
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Source package (dpkg `Source:`) or origin (apk `o:`); the binary name when absent.
    pub source_name: String,
    /// Source package version; the binary version when dpkg records none.
    pub source_version: String,
    pub purl: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// The database file this package was read from (absolute, in the image).
    pub path: String,
    /// RPM module stream (`name:stream`, from the header's `MODULARITYLABEL`) of packages
    /// installed from a module; advisories for modular packages are keyed
    /// `name:stream/package` so that one stream's fixes never apply to another's packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// A development-only dependency (from a lockfile that says so).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dev: bool,
    /// Index of the layer that introduced this package (this name at this version).
    pub layer_index: usize,
    /// diffID of that layer.
    pub layer_diff_id: String,
}

/// Everything the catalogers found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

fn detect_os(view: &MergedView<Artifact>) -> Option<OsInfo> {
    let mut os = None;
    for p in OS_RELEASE {
        if let Some((_, v)) = view.get(&ImagePath::new(p))
            && let Artifact::OsRelease(o) = &v.output
        {
            os = Some(o.clone());
            break;
        }
    }
    let fallback = |path: &str| match view.get(&ImagePath::new(path)) {
        Some((_, v)) => match &v.output {
            Artifact::AlpineRelease(o) | Artifact::DebianVersion(o) | Artifact::RpmRelease(o) => {
                Some(o.clone())
            }
            _ => None,
        },
        None => None,
    };
    match os {
        Some(mut o) => {
            // os-release on Alpine carries the full x.y.z; Debian testing has no VERSION_ID:
            // complete from the distro's own version file.
            if o.id == "debian"
                && o.version_id.is_none()
                && let Some(d) = fallback(DEBIAN_VERSION)
            {
                o.version_id = d.version_id;
                o.codename = o.codename.or(d.codename);
            }
            Some(o)
        }
        None => fallback(ALPINE_RELEASE)
            .or_else(|| fallback(DEBIAN_VERSION))
            .or_else(|| RPM_RELEASE.iter().find_map(|p| fallback(p))),
    }
}

/// For the versions of one database file, the layer that introduced each (key, version):
/// the earliest layer from which the same key had the same version in every later version.
fn introduced_layers<K: std::hash::Hash + Eq + Clone>(
    versions: &[FileVersion<Artifact>],
    keys: impl Fn(&Artifact) -> Vec<(K, String)>,
) -> HashMap<K, usize> {
    let mut current: HashMap<K, (String, usize)> = HashMap::new();
    for v in versions {
        let mut next = HashMap::new();
        for (k, ver) in keys(&v.output) {
            let layer = match current.get(&k) {
                Some((old, l)) if *old == ver => *l,
                _ => v.layer,
            };
            next.insert(k, (ver, layer));
        }
        current = next;
    }
    current.into_iter().map(|(k, (_, l))| (k, l)).collect()
}

fn purl(
    ty: &str,
    namespace: &str,
    name: &str,
    version: &str,
    quals: &[(&str, Option<&str>)],
) -> String {
    let build = || -> Result<String, packageurl::Error> {
        let mut p = packageurl::PackageUrl::new(ty, name)?;
        p.with_namespace(namespace)?.with_version(version)?;
        for (k, v) in quals {
            if let Some(v) = v {
                p.add_qualifier(*k, *v)?;
            }
        }
        Ok(p.to_string())
    };
    build().unwrap_or_else(|_| format!("pkg:{ty}/{namespace}/{name}@{version}"))
}

/// purl of a language package: Maven `group:artifact` → namespace `group`, npm
/// `@scope/name` → namespace `@scope`, Go `a/b/c` → namespace `a/b`, Composer `v/p` → `v`.
fn lang_purl(p: &LangPackage) -> String {
    let (ns, name) = match p.ecosystem {
        Ecosystem::Maven => p.name.split_once(':').unwrap_or(("", &p.name)),
        Ecosystem::Npm | Ecosystem::Composer => p.name.split_once('/').unwrap_or(("", &p.name)),
        Ecosystem::Go => p.name.rsplit_once('/').unwrap_or(("", &p.name)),
        _ => ("", p.name.as_str()),
    };
    let ty = p.ecosystem.purl_type();
    let build = || -> Result<String, packageurl::Error> {
        let mut u = packageurl::PackageUrl::new(ty, name)?;
        if !ns.is_empty() {
            u.with_namespace(ns)?;
        }
        u.with_version(p.version.as_str())?;
        Ok(u.to_string())
    };
    build().unwrap_or_else(|_| format!("pkg:{ty}/{}@{}", p.name, p.version))
}

fn lang_package(p: &LangPackage, file: &str, layer: usize, diff_id: String) -> Package {
    Package {
        kind: p.ecosystem.into(),
        name: p.name.clone(),
        version: p.version.clone(),
        arch: None,
        source_name: p.name.clone(),
        source_version: p.version.clone(),
        purl: lang_purl(p),
        license: p.license.clone(),
        path: match &p.inner_path {
            Some(inner) => format!("{file}!/{inner}"),
            None => file.to_string(),
        },
        module: None,
        dev: p.dev,
        layer_index: layer,
        layer_diff_id: diff_id,
    }
}

/// The purl namespace of RPM packages: the distro id (`rhel`, `almalinux`, `amzn`, `sles`,
/// `mariner`, ...), `redhat` when the OS is unknown.
fn rpm_purl_namespace(os: Option<&OsInfo>) -> String {
    os.map(|o| o.id.clone())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| "redhat".to_string())
}

/// When several rpmdb files are present, only one is the database rpm uses: the one in
/// `usr/lib/sysimage/rpm` over `var/lib/rpm` (the newer default path; the other is a stale
/// copy), and within one folder SQLite over ndb over BerkeleyDB (rpm converts forward, never
/// back). Returns the file that shadows `path`, if any.
fn shadowing_rpmdb(view: &MergedView<Artifact>, path: &ImagePath) -> Option<String> {
    let rank = |p: &str| -> Option<usize> {
        let (d, f) = RPMDB_DIRS.iter().enumerate().find_map(|(i, d)| {
            p.strip_prefix(d)
                .and_then(|f| RPMDB_FILES.iter().position(|x| *x == f))
                .map(|f| (i, f))
        })?;
        Some(d * RPMDB_FILES.len() + f)
    };
    let mine = rank(path.as_str())?;
    let mut best: Option<(usize, String)> = None;
    for (p, versions) in view.files() {
        if let (Some(r), Some(last)) = (rank(p.as_str()), versions.last())
            && r < mine
            && matches!(&last.output, Artifact::Rpm(db) if !db.packages.is_empty())
            && best.as_ref().is_none_or(|(b, _)| r < *b)
        {
            best = Some((r, format!("{p}")));
        }
    }
    best.map(|(_, p)| p)
}

/// Build the inventory from the merged view. `layer_diff_ids[i]` is layer i's diffID.
pub fn build_inventory(view: &MergedView<Artifact>, layer_diff_ids: &[String]) -> Inventory {
    let mut inv = Inventory {
        os: detect_os(view),
        ..Default::default()
    };
    let os_id = inv.os.as_ref().map(|o| o.id.clone());
    let distro = inv
        .os
        .as_ref()
        .and_then(|o| o.version_id.as_ref().map(|v| format!("{}-{}", o.id, v)));
    let diff = |l: usize| layer_diff_ids.get(l).cloned().unwrap_or_default();
    for (path, versions) in view.files() {
        let Some(last) = versions.last() else {
            continue;
        };
        match &last.output {
            Artifact::Dpkg(entries) => {
                let ns = os_id.as_deref().unwrap_or("debian");
                let layers = introduced_layers(versions, |a| match a {
                    Artifact::Dpkg(es) => es
                        .iter()
                        .map(|e| ((e.name.clone(), e.arch.clone()), e.version.clone()))
                        .collect(),
                    _ => vec![],
                });
                for e in entries {
                    let layer = layers
                        .get(&(e.name.clone(), e.arch.clone()))
                        .copied()
                        .unwrap_or(last.layer);
                    let source_name = e.source_name.clone().unwrap_or_else(|| e.name.clone());
                    let upstream = e.source_name.as_ref().map(|s| match &e.source_version {
                        Some(v) => format!("{s}@{v}"),
                        None => s.clone(),
                    });
                    inv.packages.push(Package {
                        kind: PackageKind::Deb,
                        purl: purl(
                            "deb",
                            ns,
                            &e.name,
                            &e.version,
                            &[
                                ("arch", e.arch.as_deref()),
                                ("distro", distro.as_deref()),
                                ("upstream", upstream.as_deref()),
                            ],
                        ),
                        name: e.name.clone(),
                        version: e.version.clone(),
                        arch: e.arch.clone(),
                        source_name,
                        source_version: e
                            .source_version
                            .clone()
                            .unwrap_or_else(|| e.version.clone()),
                        license: None,
                        module: None,
                        dev: false,
                        path: format!("{path}"),
                        layer_index: layer,
                        layer_diff_id: diff(layer),
                    });
                }
            }
            Artifact::Apk(entries) => {
                let layers = introduced_layers(versions, |a| match a {
                    Artifact::Apk(es) => es
                        .iter()
                        .map(|e| (e.name.clone(), e.version.clone()))
                        .collect(),
                    _ => vec![],
                });
                for e in entries {
                    let layer = layers.get(&e.name).copied().unwrap_or(last.layer);
                    let distro_q = inv.os.as_ref().and_then(|o| o.version_id.clone());
                    inv.packages.push(Package {
                        kind: PackageKind::Apk,
                        purl: purl(
                            "apk",
                            os_id.as_deref().unwrap_or("alpine"),
                            &e.name,
                            &e.version,
                            &[
                                ("arch", e.arch.as_deref()),
                                ("distro", distro_q.as_deref()),
                                ("upstream", e.origin.as_deref().filter(|o| *o != e.name)),
                            ],
                        ),
                        name: e.name.clone(),
                        version: e.version.clone(),
                        arch: e.arch.clone(),
                        source_name: e.origin.clone().unwrap_or_else(|| e.name.clone()),
                        source_version: e.version.clone(),
                        license: e.license.clone(),
                        module: None,
                        dev: false,
                        path: format!("{path}"),
                        layer_index: layer,
                        layer_diff_id: diff(layer),
                    });
                }
            }
            Artifact::Rpm(db) => {
                if let Some(other) = shadowing_rpmdb(view, path) {
                    inv.warnings.push(format!(
                        "{path}: not read, {other} is the rpm database in use"
                    ));
                    continue;
                }
                for e in &db.errors {
                    inv.warnings.push(format!("{path}: {e}"));
                }
                let layers = introduced_layers(versions, |a| match a {
                    Artifact::Rpm(db) => db
                        .packages
                        .iter()
                        .map(|e| ((e.name.clone(), e.arch.clone()), e.evr()))
                        .collect(),
                    _ => vec![],
                });
                let ns = rpm_purl_namespace(inv.os.as_ref());
                for e in &db.packages {
                    let layer = layers
                        .get(&(e.name.clone(), e.arch.clone()))
                        .copied()
                        .unwrap_or(last.layer);
                    let evr = e.evr();
                    let source = e.source_name_version();
                    let epoch = e.epoch.map(|n| n.to_string());
                    let upstream = e.source_rpm.as_deref();
                    inv.packages.push(Package {
                        kind: PackageKind::Rpm,
                        purl: purl(
                            "rpm",
                            &ns,
                            &e.name,
                            &format!("{}-{}", e.version, e.release),
                            &[
                                ("arch", e.arch.as_deref()),
                                ("epoch", epoch.as_deref()),
                                ("distro", distro.as_deref()),
                                ("upstream", upstream),
                            ],
                        ),
                        name: e.name.clone(),
                        version: evr.clone(),
                        arch: e.arch.clone(),
                        // the source RPM's version carries no epoch: it is the binary's
                        source_name: source
                            .as_ref()
                            .map(|(n, _)| n.clone())
                            .unwrap_or_else(|| e.name.clone()),
                        source_version: match (&source, e.epoch) {
                            (Some((_, v)), Some(ep)) => format!("{ep}:{v}"),
                            (Some((_, v)), None) => v.clone(),
                            (None, _) => evr.clone(),
                        },
                        license: e.license.clone(),
                        module: e.module_stream(),
                        dev: false,
                        path: format!("{path}"),
                        layer_index: layer,
                        layer_diff_id: diff(layer),
                    });
                }
            }
            Artifact::Lang(pkgs) => {
                let layers = introduced_layers(versions, |a| match a {
                    Artifact::Lang(ps) => ps
                        .iter()
                        .map(|p| {
                            (
                                (p.ecosystem, p.name.clone(), p.inner_path.clone()),
                                p.version.clone(),
                            )
                        })
                        .collect(),
                    _ => vec![],
                });
                for p in pkgs {
                    let layer = layers
                        .get(&(p.ecosystem, p.name.clone(), p.inner_path.clone()))
                        .copied()
                        .unwrap_or(last.layer);
                    inv.packages
                        .push(lang_package(p, &format!("{path}"), layer, diff(layer)));
                }
            }
            _ => {}
        }
    }
    inv.packages.sort_by(|a, b| {
        (a.kind.as_str(), &a.name, &a.arch, &a.path).cmp(&(
            b.kind.as_str(),
            &b.name,
            &b.arch,
            &b.path,
        ))
    });
    inv
}
