//! drydock-hygiene: what to change in an image and what it would save.
//!
//! Pure functions over values the scan already has: the per-layer analyses from
//! `drydock-image` (walked with [`drydock_image::AnalyzeOptions::record_sizes`] and
//! [`HygieneAnalyzer`] for package sizes), the image config (history, labels), the inventory
//! and, when vulnerabilities were matched, the findings. [`analyze`] returns a serialisable
//! [`Hygiene`] (sections and a 0–100 score, see `docs/hygiene.md`); [`render_text`] prints it.
//!
//! Sections:
//! - layer efficiency ([`waste`]): per-layer size, exact wasted bytes with the biggest wasted
//!   files named, caches left behind, `.git` directories, a layer-order suggestion;
//! - base-image attribution ([`base`]): base vs added layers, every package and finding
//!   labelled `base` or `added (layer N, created_by …)`, vulnerability summary;
//! - multi-stage advice: compilers, headers, build tools, version control, dev dependencies,
//!   caches and `.git` directories in the final image, with bytes and vulnerabilities;
//! - minimal base: shells and package managers present, what a distroless base of the same
//!   family would remove.

pub mod advice;
pub mod base;
pub mod pkgsize;
mod render;
pub mod waste;

pub use base::{BaseImage, Origin};
pub use pkgsize::{HygieneAnalyzer, PkgSize, PkgSizes};
pub use render::render_text;
pub use waste::{DirUsage, LayerWaste, Removal, WastedFile};

use drydock_image::{ImageConfig, ImagePath, LayerAnalysis};
use drydock_inventory::{OsInfo, Package, PackageKind};
use drydock_matcher::Finding;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Output format version of [`Hygiene`].
pub const HYGIENE_VERSION: &str = "1";

/// Everything [`analyze`] needs.
pub struct HygieneInput<'a> {
    /// The per-layer analyses, in layer order, from a walk with
    /// `AnalyzeOptions { record_sizes: true, .. }` and [`HygieneAnalyzer`] (alone or as one
    /// side of a [`drydock_image::Both`], split off).
    pub layers: &'a [LayerAnalysis<PkgSizes>],
    pub config: &'a ImageConfig,
    /// The inventory's packages (each with the layer that introduced it).
    pub packages: &'a [Package],
    pub os: Option<&'a OsInfo>,
    /// Vulnerability findings, when vulnerabilities were matched.
    pub findings: Option<&'a [Finding]>,
}

/// The hygiene report section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hygiene {
    pub version: String,
    pub score: Score,
    pub base: BaseImage,
    pub layers: Vec<LayerReport>,
    pub efficiency: Efficiency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<VulnAttribution>,
    pub multi_stage: MultiStage,
    pub minimal_base: MinimalBase,
    /// `base` or `added (layer N, created_by …)` for every package.
    pub package_origins: Vec<ItemOrigin>,
    /// The same for every finding (when vulnerabilities were matched).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub finding_origins: Vec<ItemOrigin>,
    /// The base tag's current build in its registry, when the base is named by a label and
    /// the registry was asked (see [`compare_newer_base`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newer_base: Option<NewerBase>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Whether the base tag has moved since the image was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NewerBaseStatus {
    /// The tag still points to the digest the image was built on.
    Current,
    /// The tag points to another build.
    Newer,
    /// The registry could not be asked; nothing is named.
    Unreachable,
}

/// The base tag's current build, compared with the base the image carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewerBase {
    /// The base reference from the `org.opencontainers.image.base.name` label.
    pub reference: String,
    pub status: NewerBaseStatus,
    /// The manifest digest the tag points to now (when reachable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The image's findings attributed to the base.
    pub base_findings: usize,
    /// Of those, how many the newer build no longer has.
    pub fixed: usize,
    /// Findings the newer build has that the image's base does not.
    pub introduced: usize,
    pub message: String,
}

/// Compare the image's base findings with a scan of the base tag's current build
/// (`newer_digest`, and the digest of the index the tag names, if it names one;
/// `newer_findings`), by vulnerability id and package name.
pub fn compare_newer_base(
    h: &Hygiene,
    reference: &str,
    (newer_digest, newer_index): (&str, Option<&str>),
    newer_findings: &[Finding],
) -> NewerBase {
    use std::collections::BTreeSet;
    let base: BTreeSet<(&str, &str)> = h
        .finding_origins
        .iter()
        .filter(|o| o.origin == Origin::Base)
        .filter_map(|o| Some((o.id.as_deref()?, o.name.as_str())))
        .collect();
    let newer: BTreeSet<(&str, &str)> = newer_findings
        .iter()
        .map(|f| (f.id.as_str(), f.package.name.as_str()))
        .collect();
    let fixed = base.difference(&newer).count();
    let introduced = newer.difference(&base).count();
    let same = h
        .base
        .digest
        .as_deref()
        .is_some_and(|d| d == newer_digest || Some(d) == newer_index);
    let short = newer_digest
        .get(..19)
        .filter(|_| newer_digest.len() > 19)
        .unwrap_or(newer_digest);
    let (status, message) = if same {
        (
            NewerBaseStatus::Current,
            format!("{reference} still points to the base this image was built on ({short}…)"),
        )
    } else {
        let mut m = format!(
            "{reference} now points to {newer_digest}: rebuilding on it fixes {fixed} of the {} base-image {}",
            base.len(),
            if base.len() == 1 {
                "vulnerability"
            } else {
                "vulnerabilities"
            }
        );
        if introduced > 0 {
            m.push_str(&format!(" and brings {introduced} it does not have"));
        }
        (NewerBaseStatus::Newer, m)
    };
    NewerBase {
        reference: reference.to_string(),
        status,
        digest: Some(newer_digest.to_string()),
        base_findings: base.len(),
        fixed,
        introduced,
        message,
    }
}

/// The base registry could not be asked: say so, name nothing.
pub fn unreachable_base(h: &Hygiene, reference: &str, error: &str) -> NewerBase {
    NewerBase {
        reference: reference.to_string(),
        status: NewerBaseStatus::Unreachable,
        digest: None,
        base_findings: h
            .finding_origins
            .iter()
            .filter(|o| o.origin == Origin::Base)
            .count(),
        fixed: 0,
        introduced: 0,
        message: format!("could not ask the registry of {reference} for a newer build: {error}"),
    }
}

/// One layer, with its origin and efficiency figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerReport {
    pub index: usize,
    pub origin: Origin,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    pub tar_bytes: u64,
    pub files: u64,
    pub file_bytes: u64,
    pub wasted_bytes: u64,
    pub wasted_files: u64,
    /// Packages this layer introduced.
    pub packages: usize,
}

/// Layer efficiency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Efficiency {
    /// Regular-file bytes over all layers.
    pub total_bytes: u64,
    /// Of which overwritten or deleted by a later layer.
    pub wasted_bytes: u64,
    pub wasted_files: u64,
    /// `100 × (1 − wasted / total)`, one decimal.
    pub efficiency_percent: f64,
    /// Wasted files of at least 1 MiB, by name, biggest first.
    pub wasted: Vec<WastedFile>,
    /// Wasted bytes in smaller files (not named).
    pub other_wasted_bytes: u64,
    pub other_wasted_files: u64,
    /// Caches left behind in the final image.
    pub caches: Vec<DirUsage>,
    /// `.git` directories in the final image.
    pub git_dirs: Vec<DirUsage>,
    /// Layer-order suggestions.
    pub order: Vec<OrderAdvice>,
    /// Layers walked without `record_sizes` (their waste is not counted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsized_layers: Vec<usize>,
}

/// A frequently-changing layer before a large stable one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAdvice {
    pub copy_layer: usize,
    pub copy_created_by: String,
    pub install_layer: usize,
    pub install_created_by: String,
    pub install_bytes: u64,
    pub message: String,
}

/// Where the vulnerabilities come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VulnAttribution {
    pub total: usize,
    pub base: usize,
    pub added: usize,
    /// Base findings with a fixed version published (a rebuilt/updated base removes them).
    pub base_fixable: usize,
    /// `(layer, findings)` for layers with findings.
    pub by_layer: Vec<(usize, usize)>,
    pub summary: String,
}

/// A package or finding with its origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemOrigin {
    /// Finding id (CVE …) for findings; absent for packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub kind: PackageKind,
    pub name: String,
    pub version: String,
    pub layer: usize,
    pub origin: Origin,
    /// `base` or `added (layer N, created_by …)`.
    pub attribution: String,
}

/// A build-only item in the final image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildTool {
    pub name: String,
    pub version: String,
    /// `compiler`, `build tool`, `headers`, `version control`, `dev dependency`.
    pub what: String,
    /// Installed size (package manager's figure), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    pub layer: usize,
    pub attribution: String,
    pub vulnerabilities: usize,
}

/// Multi-stage advice: build-only things in the final image. Empty when there are none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiStage {
    pub packages: Vec<BuildTool>,
    /// `.git` directories the added layers put in the image.
    pub git_dirs: Vec<DirUsage>,
    /// Package-manager and language caches the image's own (added) layers left (the part of
    /// [`Efficiency::caches`] those layers wrote).
    pub caches: Vec<DirUsage>,
    /// Bytes of all of the above.
    pub bytes: u64,
    pub vulnerabilities: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advice: Vec<String>,
}

impl MultiStage {
    pub fn is_empty(&self) -> bool {
        self.packages.is_empty() && self.git_dirs.is_empty() && self.caches.is_empty()
    }
}

/// A base package a distroless base would not carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovablePackage {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    pub vulnerabilities: usize,
}

/// Minimal-base advice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinimalBase {
    /// Shells present (`bash 5.2.15-2+b7`, or a path when no package provides it).
    pub shells: Vec<String>,
    pub package_managers: Vec<String>,
    /// Base OS packages outside the distroless keep-list.
    pub removable: Vec<RemovablePackage>,
    pub removable_bytes: u64,
    pub removable_vulnerabilities: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

/// The 0–100 score and its components.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    pub value: u32,
    pub components: Vec<ScoreComponent>,
}

/// One score component: `max` points, `lost` of them, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreComponent {
    pub name: String,
    pub max: u32,
    pub lost: u32,
    pub reason: String,
}

/// Human-readable bytes (`1.5 MiB`).
pub fn human_bytes(b: u64) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn short(s: &str, max: usize) -> String {
    let s = advice::step(s);
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// `base` or `added (layer N, created_by …)`.
fn attribution_text(layer: usize, base_layers: usize, created_by: &[Option<String>]) -> String {
    if layer < base_layers {
        "base".into()
    } else {
        match created_by.get(layer).cloned().flatten() {
            Some(c) => format!("added (layer {layer}, {})", short(&c, 60)),
            None => format!("added (layer {layer})"),
        }
    }
}

/// The visible package sizes: `name` → (version, bytes), from the visible version of every
/// package database file.
fn package_sizes(
    layers: &[LayerAnalysis<PkgSizes>],
    vis: &waste::Visibility,
) -> HashMap<String, (String, u64)> {
    let mut out = HashMap::new();
    let mut seen: std::collections::HashSet<&ImagePath> = std::collections::HashSet::new();
    // top layer first: the first visible version of a path is the final one
    for layer in layers.iter().rev() {
        for f in &layer.files {
            if !seen.insert(&f.path) {
                continue;
            }
            if !waste::visible(layers, vis, &f.path) {
                continue;
            }
            for p in &f.output.0 {
                out.insert(p.name.clone(), (p.version.clone(), p.bytes));
            }
        }
    }
    out
}

/// Analyse an image's hygiene.
pub fn analyze(input: &HygieneInput) -> Hygiene {
    let layers = input.layers;
    let mut warnings = Vec::new();
    let history = input.config.layer_history();
    let created_by: Vec<Option<String>> = if history.len() == layers.len() {
        history
    } else {
        if !input.config.history.is_empty() {
            warnings.push(format!(
                "the image history has {} non-empty entries for {} layers: layer commands unknown",
                history.len(),
                layers.len()
            ));
        }
        vec![None; layers.len()]
    };
    let os_name = input.os.map(|o| match &o.version_id {
        Some(v) => format!("{} {v}", o.id),
        None => o.id.clone(),
    });
    let base = base::detect(layers, input.config, &created_by, os_name);
    let nbase = base.layers;
    let origin = |l: usize| {
        if l < nbase {
            Origin::Base
        } else {
            Origin::Added
        }
    };
    let attr = |l: usize| attribution_text(l, nbase, &created_by);

    // efficiency
    let vis = waste::Visibility::compute(layers);
    let w = waste::compute(layers, &vis);
    if !w.unsized_layers.is_empty() {
        warnings.push(format!(
            "layers {:?} were walked without record_sizes: their wasted bytes are not counted",
            w.unsized_layers
        ));
    }
    let total_bytes: u64 = w.layers.iter().map(|l| l.file_bytes).sum();
    let wasted_bytes: u64 = w.layers.iter().map(|l| l.wasted_bytes).sum();
    let wasted_files: u64 = w.layers.iter().map(|l| l.wasted_files).sum();
    let named: u64 = w.wasted.iter().map(|f| f.bytes).sum();
    let efficiency_percent = if total_bytes == 0 {
        100.0
    } else {
        (1000.0 * (1.0 - wasted_bytes as f64 / total_bytes as f64)).round() / 10.0
    };
    let mut order = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let Some(c) = created_by[i].as_deref() else {
            continue;
        };
        if i < nbase || !advice::is_app_copy(c, l.stats.files) {
            continue;
        }
        for (j, later) in layers.iter().enumerate().skip(i + 1) {
            let Some(d) = created_by[j].as_deref() else {
                continue;
            };
            if advice::is_dependency_install(d) && later.stats.tar_bytes >= 1 << 20 {
                order.push(OrderAdvice {
                    copy_layer: i,
                    copy_created_by: short(c, 80),
                    install_layer: j,
                    install_created_by: short(d, 80),
                    install_bytes: later.stats.tar_bytes,
                    message: format!(
                        "layer {i} copies application files before layer {j} installs dependencies ({}): every change to the application invalidates the build cache from layer {i} on, so the install is rebuilt and its {} pushed and pulled again; copy only the dependency manifests, install, then copy the application",
                        short(d, 60),
                        human_bytes(later.stats.tar_bytes)
                    ),
                });
            }
        }
    }

    // packages and findings
    let sizes = package_sizes(layers, &vis);
    let mut per_layer_pkgs = vec![0usize; layers.len()];
    for p in input.packages {
        if let Some(n) = per_layer_pkgs.get_mut(p.layer_index) {
            *n += 1;
        }
    }
    let package_origins: Vec<ItemOrigin> = input
        .packages
        .iter()
        .map(|p| ItemOrigin {
            id: None,
            kind: p.kind,
            name: p.name.clone(),
            version: p.version.clone(),
            layer: p.layer_index,
            origin: origin(p.layer_index),
            attribution: attr(p.layer_index),
        })
        .collect();
    let findings = input.findings.unwrap_or(&[]);
    let finding_origins: Vec<ItemOrigin> = findings
        .iter()
        .map(|f| ItemOrigin {
            id: Some(f.id.clone()),
            kind: f.package.kind,
            name: f.package.name.clone(),
            version: f.package.version.clone(),
            layer: f.package.layer_index,
            origin: origin(f.package.layer_index),
            attribution: attr(f.package.layer_index),
        })
        .collect();
    let mut vulns_by_pkg: HashMap<(PackageKind, &str), usize> = HashMap::new();
    for f in findings {
        *vulns_by_pkg
            .entry((f.package.kind, f.package.name.as_str()))
            .or_default() += 1;
    }
    let vulns_of = |k: PackageKind, n: &str| vulns_by_pkg.get(&(k, n)).copied().unwrap_or(0);
    let base_label = base.name.clone().unwrap_or_else(|| "the base image".into());
    let vulnerabilities = input.findings.map(|fs| {
        let base_n = fs
            .iter()
            .filter(|f| f.package.layer_index < nbase)
            .count();
        let base_fixable = fs
            .iter()
            .filter(|f| f.package.layer_index < nbase && f.fixable())
            .count();
        let mut by: BTreeMap<usize, usize> = BTreeMap::new();
        for f in fs {
            *by.entry(f.package.layer_index).or_default() += 1;
        }
        let summary = if nbase == 0 {
            format!(
                "{} vulnerabilities, all in the image's own layers (no base image recognised)",
                fs.len()
            )
        } else {
            format!(
                "{base_n} of {} vulnerabilities come from the base image {base_label}; {base_fixable} of those are fixed in newer package versions (a rebuilt or updated base removes them)",
                fs.len()
            )
        };
        VulnAttribution {
            total: fs.len(),
            base: base_n,
            added: fs.len() - base_n,
            base_fixable,
            by_layer: by.into_iter().collect(),
            summary,
        }
    });

    // multi-stage
    let mut ms = MultiStage::default();
    for p in input.packages {
        let what = match advice::build_tool_kind(p.kind, &p.name) {
            Some(w) => w,
            None if p.dev => "dev dependency",
            None => continue,
        };
        let bytes = sizes
            .get(&p.name)
            .filter(|(v, _)| *v == p.version && p.kind.is_os())
            .map(|(_, b)| *b);
        ms.packages.push(BuildTool {
            name: p.name.clone(),
            version: p.version.clone(),
            what: what.into(),
            bytes,
            layer: p.layer_index,
            attribution: attr(p.layer_index),
            vulnerabilities: vulns_of(p.kind, &p.name),
        });
    }
    ms.packages
        .sort_by(|a, b| (&a.what, &a.name).cmp(&(&b.what, &b.name)));
    // only what the image's own layers put there: the base's leftovers are not a build issue
    ms.git_dirs = w
        .git_dirs
        .iter()
        .filter_map(|d| d.from_layer(nbase))
        .collect();
    ms.caches = w
        .caches
        .iter()
        .filter_map(|d| d.from_layer(nbase))
        .collect();
    ms.bytes = ms.packages.iter().filter_map(|p| p.bytes).sum::<u64>()
        + ms.git_dirs.iter().map(|d| d.bytes).sum::<u64>()
        + ms.caches.iter().map(|d| d.bytes).sum::<u64>();
    ms.vulnerabilities = ms.packages.iter().map(|p| p.vulnerabilities).sum();
    if !ms.packages.is_empty() {
        let mut groups: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for p in &ms.packages {
            groups
                .entry(p.what.as_str())
                .or_default()
                .push(match p.bytes {
                    Some(b) => format!("{} ({})", p.name, human_bytes(b)),
                    None => p.name.clone(),
                });
        }
        let list: Vec<String> = groups
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.join(", ")))
            .collect();
        ms.advice.push(format!(
            "build-only packages are in the final image ({}); build in a separate stage and COPY --from it only the artefacts: removes {} and {} vulnerabilities",
            list.join("; "),
            human_bytes(ms.packages.iter().filter_map(|p| p.bytes).sum()),
            ms.vulnerabilities
        ));
    }
    for d in &ms.git_dirs {
        ms.advice.push(format!(
            "{} ({}, {} files) is in the final image: add it to .dockerignore or copy only build outputs",
            d.path,
            human_bytes(d.bytes),
            d.files
        ));
    }
    for d in &ms.caches {
        ms.advice.push(format!(
            "{} ({}, {}) was left behind by layer{} {}: clean it in the same RUN step, or use a cache mount",
            d.path,
            d.what,
            human_bytes(d.bytes),
            if d.layers.len() == 1 { "" } else { "s" },
            d.layers
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    // minimal base
    let mut mb = MinimalBase::default();
    for p in input.packages {
        let label = format!("{} {}", p.name, p.version);
        if advice::is_shell(p.kind, &p.name) {
            mb.shells.push(label);
        } else if advice::is_package_manager(p.kind, &p.name) {
            mb.package_managers.push(label);
        }
    }
    if mb.shells.is_empty() {
        for s in advice::SHELL_PATHS {
            if waste::visible(layers, &vis, &ImagePath::new(s)) {
                mb.shells.push(format!("/{s} (no package)"));
            }
        }
    }
    for p in input.packages {
        if p.layer_index >= nbase || !p.kind.is_os() || advice::distroless_keeps(&p.name) {
            continue;
        }
        let bytes = sizes
            .get(&p.name)
            .filter(|(v, _)| *v == p.version)
            .map(|(_, b)| *b);
        mb.removable.push(RemovablePackage {
            name: p.name.clone(),
            version: p.version.clone(),
            bytes,
            vulnerabilities: vulns_of(p.kind, &p.name),
        });
    }
    mb.removable.sort_by(|a, b| a.name.cmp(&b.name));
    mb.removable_bytes = mb.removable.iter().filter_map(|p| p.bytes).sum();
    mb.removable_vulnerabilities = mb.removable.iter().map(|p| p.vulnerabilities).sum();
    if !mb.shells.is_empty() || !mb.package_managers.is_empty() {
        let family = input.os.map(|o| o.id.as_str()).unwrap_or("");
        let target = match family {
            "debian" => format!(
                "a distroless Debian base (static, base or cc -debian{})",
                input
                    .os
                    .and_then(|o| o.version_id.as_deref())
                    .and_then(|v| v.split('.').next())
                    .unwrap_or("")
            ),
            "ubuntu" => "a chiselled or distroless base of the same Ubuntu release".into(),
            "alpine" => "a distroless/static base (or a Wolfi-based minimal image)".into(),
            _ => "a distroless or minimal base of the same distribution family".into(),
        };
        let mut what = Vec::new();
        if !mb.shells.is_empty() {
            what.push(format!("shells ({})", mb.shells.join(", ")));
        }
        if !mb.package_managers.is_empty() {
            what.push(format!(
                "package managers ({})",
                mb.package_managers.join(", ")
            ));
        }
        mb.suggestion = Some(format!(
            "the final image carries {}; moving to {target} would remove about {} in {} base packages and {} vulnerabilities (an upper bound: base packages your application needs at run time stay)",
            what.join(" and "),
            human_bytes(mb.removable_bytes),
            mb.removable.len(),
            mb.removable_vulnerabilities
        ));
    }

    // per-layer report
    let layer_reports: Vec<LayerReport> = layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let lw = &w.layers[i];
            LayerReport {
                index: l.index,
                origin: origin(i),
                created_by: created_by[i].clone(),
                tar_bytes: lw.tar_bytes,
                files: lw.files,
                file_bytes: lw.file_bytes,
                wasted_bytes: lw.wasted_bytes,
                wasted_files: lw.wasted_files,
                packages: per_layer_pkgs[i],
            }
        })
        .collect();

    let efficiency = Efficiency {
        total_bytes,
        wasted_bytes,
        wasted_files,
        efficiency_percent,
        other_wasted_bytes: wasted_bytes.saturating_sub(named),
        other_wasted_files: wasted_files.saturating_sub(w.wasted.len() as u64),
        wasted: w.wasted,
        caches: w.caches,
        git_dirs: w.git_dirs,
        order,
        unsized_layers: w.unsized_layers,
    };
    let score = score(&efficiency, &ms, &mb, vulnerabilities.as_ref());
    Hygiene {
        version: HYGIENE_VERSION.into(),
        score,
        base,
        layers: layer_reports,
        efficiency,
        vulnerabilities,
        multi_stage: ms,
        minimal_base: mb,
        package_origins,
        finding_origins,
        newer_base: None,
        warnings,
    }
}

/// Points for each component (see `docs/hygiene.md`).
pub const SCORE_WASTE: u32 = 25;
pub const SCORE_CACHES: u32 = 10;
pub const SCORE_BUILD_TOOLS: u32 = 25;
pub const SCORE_MINIMAL: u32 = 15;
pub const SCORE_BASE_VULNS: u32 = 15;
pub const SCORE_ORDER: u32 = 10;

fn score(e: &Efficiency, ms: &MultiStage, mb: &MinimalBase, v: Option<&VulnAttribution>) -> Score {
    let mut c = Vec::new();
    let frac = if e.total_bytes == 0 {
        0.0
    } else {
        e.wasted_bytes as f64 / e.total_bytes as f64
    };
    c.push(ScoreComponent {
        name: "wasted space".into(),
        max: SCORE_WASTE,
        lost: (SCORE_WASTE as f64 * (4.0 * frac).min(1.0)).round() as u32,
        reason: format!(
            "{} of {} ({:.1}%) overwritten or deleted by later layers",
            human_bytes(e.wasted_bytes),
            human_bytes(e.total_bytes),
            100.0 * frac
        ),
    });
    let cache_bytes: u64 = e.caches.iter().map(|d| d.bytes).sum();
    c.push(ScoreComponent {
        name: "caches left behind".into(),
        max: SCORE_CACHES,
        lost: (SCORE_CACHES as f64 * (cache_bytes as f64 / (50u64 << 20) as f64).min(1.0)).ceil()
            as u32,
        reason: format!(
            "{} in {} cache directories",
            human_bytes(cache_bytes),
            e.caches.len()
        ),
    });
    let mut cats: Vec<&str> = ms.packages.iter().map(|p| p.what.as_str()).collect();
    if !ms.git_dirs.is_empty() {
        cats.push(".git directory");
    }
    cats.sort();
    cats.dedup();
    c.push(ScoreComponent {
        name: "build tools in the final image".into(),
        max: SCORE_BUILD_TOOLS,
        lost: (5 * cats.len() as u32).min(SCORE_BUILD_TOOLS),
        reason: if cats.is_empty() {
            "none".into()
        } else {
            format!("5 points per kind present: {}", cats.join(", "))
        },
    });
    let mut lost = 0;
    let mut why = Vec::new();
    if !mb.shells.is_empty() {
        lost += 10;
        why.push("a shell (10)");
    }
    if !mb.package_managers.is_empty() {
        lost += 5;
        why.push("a package manager (5)");
    }
    c.push(ScoreComponent {
        name: "minimal base".into(),
        max: SCORE_MINIMAL,
        lost,
        reason: if why.is_empty() {
            "no shell, no package manager".into()
        } else {
            why.join(", ")
        },
    });
    let (lost, reason) = match v {
        Some(v) => (
            (SCORE_BASE_VULNS as f64 * (v.base_fixable as f64 / 20.0).min(1.0)).ceil() as u32,
            format!(
                "{} fixable vulnerabilities in the base image",
                v.base_fixable
            ),
        ),
        None => (0, "vulnerabilities not matched".into()),
    };
    c.push(ScoreComponent {
        name: "base image vulnerabilities".into(),
        max: SCORE_BASE_VULNS,
        lost,
        reason,
    });
    c.push(ScoreComponent {
        name: "layer order".into(),
        max: SCORE_ORDER,
        lost: if e.order.is_empty() { 0 } else { SCORE_ORDER },
        reason: if e.order.is_empty() {
            "no application copy before a dependency install".into()
        } else {
            format!("{} order suggestion(s)", e.order.len())
        },
    });
    let lost: u32 = c.iter().map(|c| c.lost.min(c.max)).sum();
    Score {
        value: 100u32.saturating_sub(lost),
        components: c,
    }
}
