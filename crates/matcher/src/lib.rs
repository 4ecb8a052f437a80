//! drydock-matcher: inventory × vulnerability DB → findings, with exact per-ecosystem version
//! semantics.
//!
//! The matcher sees the DB only through [`AdvisorySource`], so any store (the SQLite DB, a
//! server's database, a test double) can answer. For OS packages the query key is the
//! distro namespace (`debian:12`, `alpine:3.20`, ...) plus the *source* package (Debian) or
//! origin (Alpine); versions are compared with the namespace's scheme ([`version::Scheme`]).

pub mod version;

use drydock_inventory::{Inventory, Package, PackageKind};
use drydock_vulndb::{
    AffectedRecord, EpssScore, FixStatus, KevEntry, NvdRecord, Severity, SeverityRating,
    VulnRecord, namespace,
};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use version::Scheme;

/// Errors from the advisory source.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error("vulnerability database: {0}")]
    Db(#[from] drydock_vulndb::Error),
}

/// Where advisories come from.
pub trait AdvisorySource {
    fn affected(&self, namespace: &str, package: &str) -> Result<Vec<AffectedRecord>, MatchError>;
    fn vulnerability(&self, id: &str) -> Result<Option<VulnRecord>, MatchError>;
    /// The EPSS score of a CVE; sources without EPSS data answer `None`.
    fn epss(&self, _cve: &str) -> Result<Option<EpssScore>, MatchError> {
        Ok(None)
    }
    /// The NVD's CVSS data of a CVE; sources without NVD data answer `None`.
    fn nvd(&self, _cve: &str) -> Result<Option<NvdRecord>, MatchError> {
        Ok(None)
    }
}

impl AdvisorySource for drydock_vulndb::Db {
    fn affected(&self, namespace: &str, package: &str) -> Result<Vec<AffectedRecord>, MatchError> {
        Ok(drydock_vulndb::Db::affected(self, namespace, package)?)
    }
    fn vulnerability(&self, id: &str) -> Result<Option<VulnRecord>, MatchError> {
        Ok(drydock_vulndb::Db::vulnerability(self, id)?)
    }
    fn epss(&self, cve: &str) -> Result<Option<EpssScore>, MatchError> {
        Ok(drydock_vulndb::Db::epss(self, cve)?)
    }
    fn nvd(&self, cve: &str) -> Result<Option<NvdRecord>, MatchError> {
        Ok(drydock_vulndb::Db::nvd(self, cve)?)
    }
}

/// The package a finding is about (a self-contained copy of the inventory fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRef {
    pub kind: PackageKind,
    pub name: String,
    pub version: String,
    pub source_name: String,
    pub source_version: String,
    pub purl: String,
    pub path: String,
    pub layer_index: usize,
    pub layer_diff_id: String,
}

impl From<&Package> for PackageRef {
    fn from(p: &Package) -> Self {
        PackageRef {
            kind: p.kind,
            name: p.name.clone(),
            version: p.version.clone(),
            source_name: p.source_name.clone(),
            source_version: p.source_version.clone(),
            purl: p.purl.clone(),
            path: p.path.clone(),
            layer_index: p.layer_index,
            layer_diff_id: p.layer_diff_id.clone(),
        }
    }
}

/// One vulnerability affecting one package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Primary id: the CVE when there is one.
    pub id: String,
    /// Every other id this vulnerability is known by (advisories, GHSA, ...), sorted.
    pub aliases: Vec<String>,
    pub package: PackageRef,
    pub namespace: String,
    /// The version that was compared (the source version for Debian/Ubuntu).
    pub matched_version: String,
    pub status: FixStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    pub severity: Severity,
    /// Which source the severity came from (`None` when UNKNOWN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_source: Option<String>,
    /// Every rating any source gives (vectors and scores kept as published).
    pub ratings: Vec<SeverityRating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Feeds that reported this match.
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev: Option<KevEntry>,
    /// FIRST EPSS score of the CVE (the finding's id, else its first CVE alias with one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<EpssScore>,
}

impl Finding {
    pub fn fixable(&self) -> bool {
        self.status == FixStatus::Fixed && self.fixed_version.is_some()
    }

    /// The highest CVSS v3.x or v4.0 base score among the ratings (any source); `None` when
    /// no rating carries one (CVSS v2 scores are not counted).
    pub fn cvss_score(&self) -> Option<f64> {
        self.ratings
            .iter()
            .filter(|r| {
                r.cvss_vector
                    .as_deref()
                    .is_some_and(|v| v.starts_with("CVSS:3.") || v.starts_with("CVSS:4."))
            })
            .filter_map(|r| r.score.filter(|s| s.is_finite()))
            .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))))
    }

    /// The finding's id and its CVE aliases, id first: the keys EPSS and NVD data are
    /// looked up by.
    pub fn cve_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str())
            .chain(self.aliases.iter().map(String::as_str))
            .filter(|i| is_cve(i))
    }
}

/// The matcher's answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MatchResult {
    /// The namespace OS packages were matched in (`None` if the OS is unknown/unsupported).
    pub namespace: Option<String>,
    pub findings: Vec<Finding>,
    pub warnings: Vec<String>,
}

/// Feed precedence within a namespace: the distro's own tracker beats its advisory lists,
/// which beat OSV re-publications. Lower is better.
fn source_rank(source: &str) -> u8 {
    match source {
        "debian-tracker" | "alpine-secdb" | "azurelinux-oval" | "redhat-csaf" | "amazon-alas"
        | "rocky-updateinfo" | "oracle-oval" | "suse-cvrf" | "photon-oval" => 0,
        s if s.starts_with("debian-") => 1,
        s if s.starts_with("osv") => 2,
        _ => 3,
    }
}

fn is_cve(id: &str) -> bool {
    id.starts_with("CVE-")
}

/// Is `version` inside the record's affected set? `Err` when a version cannot be compared.
fn affects(scheme: Scheme, rec: &AffectedRecord, version: &str) -> Result<bool, String> {
    let cmp = |a: &str, b: &str| -> Result<Ordering, String> {
        scheme.compare(a, b).map_err(|e| {
            format!(
                "{} {}: cannot compare {a:?} with {b:?}: {e}",
                rec.vuln_id, rec.package
            )
        })
    };
    if rec.status == FixStatus::NotAffected {
        return Ok(false);
    }
    if rec.has_constraints() {
        // native feeds (RubySec, FriendsOfPHP, Node.js WG): OR of AND-groups
        let group_holds = |g: &Vec<drydock_vulndb::Constraint>| -> Result<bool, String> {
            for c in g {
                if !c.op.holds(cmp(version, &c.version)?) {
                    return Ok(false);
                }
            }
            Ok(true)
        };
        let mut inside = rec.affected_constraints.is_empty();
        for g in &rec.affected_constraints {
            if group_holds(g)? {
                inside = true;
                break;
            }
        }
        if !inside {
            return Ok(false);
        }
        for g in &rec.unaffected_constraints {
            if group_holds(g)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    for v in &rec.versions {
        if cmp(version, v)? == Ordering::Equal {
            return Ok(true);
        }
    }
    if rec.ranges.is_empty() {
        // open issues without ranges affect every version; a fixed record without ranges
        // but with a fixed version means "below it"
        return match (rec.status, &rec.fixed_version) {
            (FixStatus::Fixed, Some(f)) => Ok(cmp(version, f)? == Ordering::Less),
            (FixStatus::Fixed, None) => Ok(false),
            _ => Ok(rec.versions.is_empty()),
        };
    }
    for r in &rec.ranges {
        let lower_ok = match r.introduced.as_deref() {
            None | Some("0") | Some("") => true,
            Some(i) => cmp(version, i)? != Ordering::Less,
        };
        if !lower_ok {
            continue;
        }
        let upper_ok = if let Some(f) = &r.fixed {
            cmp(version, f)? == Ordering::Less
        } else if let Some(l) = &r.last_affected {
            cmp(version, l)? != Ordering::Greater
        } else if let Some(l) = &r.limit {
            cmp(version, l)? == Ordering::Less
        } else {
            true
        };
        if upper_ok {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Pick the severity: the distro's rating for this package, then the vulnerability-level
/// ratings in order of source precedence, else UNKNOWN. Never guessed.
fn choose_severity(
    pkg_ratings: &[(String, Severity)],
    vuln: Option<&VulnRecord>,
) -> (Severity, Option<String>) {
    if let Some((src, s)) = pkg_ratings.iter().find(|(_, s)| *s != Severity::Unknown) {
        return (*s, Some(src.clone()));
    }
    if let Some(v) = vuln {
        let mut rs: Vec<&SeverityRating> = v
            .severities
            .iter()
            .filter(|r| r.severity != Severity::Unknown)
            .collect();
        rs.sort_by_key(|r| source_rank(&r.source));
        if let Some(r) = rs.first() {
            return (r.severity, Some(r.source.clone()));
        }
    }
    (Severity::Unknown, None)
}

/// Caches shared by every package of one match run.
#[derive(Default)]
struct Lookups {
    by_key: HashMap<(String, String), Vec<AffectedRecord>>,
    vulns: HashMap<String, Option<VulnRecord>>,
}

/// Match an inventory's packages against the advisory source: OS packages in the distro's
/// namespace, language packages in their ecosystem's.
pub fn match_inventory(
    src: &dyn AdvisorySource,
    inv: &Inventory,
) -> Result<MatchResult, MatchError> {
    let mut result = MatchResult::default();
    let mut cache = Lookups::default();
    match_os_packages(src, inv, &mut cache, &mut result)?;
    match_lang_packages(src, inv, &mut cache, &mut result)?;
    enrich(src, &mut result.findings)?;
    result.findings.sort_by(|a, b| {
        (&a.package.name, &a.package.path, &a.id).cmp(&(&b.package.name, &b.package.path, &b.id))
    });
    result.warnings.sort();
    result.warnings.dedup();
    Ok(result)
}

fn match_os_packages(
    src: &dyn AdvisorySource,
    inv: &Inventory,
    cache: &mut Lookups,
    result: &mut MatchResult,
) -> Result<(), MatchError> {
    let os_pkgs: Vec<&Package> = inv.packages.iter().filter(|p| p.kind.is_os()).collect();
    if os_pkgs.is_empty() {
        return Ok(());
    }
    let Some(os) = &inv.os else {
        result.warnings.push(format!(
            "operating system not detected: {} OS packages were not matched",
            os_pkgs.len()
        ));
        return Ok(());
    };
    let ns = namespace::distro_namespace(
        &os.id,
        os.version_id.as_deref().unwrap_or(""),
        os.codename.as_deref(),
    );
    let Some(ns) = ns else {
        result.warnings.push(format!(
            "operating system {} is not supported: {} OS packages were not matched",
            os.display(),
            os_pkgs.len()
        ));
        return Ok(());
    };
    let Some(scheme) = Scheme::for_namespace(&ns) else {
        result.warnings.push(format!(
            "no version scheme for namespace {ns}; OS packages not matched"
        ));
        return Ok(());
    };
    result.namespace = Some(ns.clone());
    for pkg in os_pkgs {
        // (query key, version compared): Debian/Alpine key on the source package / origin;
        // RPM feeds key on the binary name (AlmaLinux OSV, ALAS, Oracle OVAL, SUSE CVRF) or on
        // the source RPM (Red Hat CSAF, Azure Linux / Mariner OVAL), so both are looked up,
        // each with its own version (the source RPM's version carries the binary's epoch).
        // A package from an RPM module stream is also looked up as `name:stream/package`,
        // the key feeds with module data (Rocky updateinfo, Red Hat CSAF) store it under.
        let mut keys: Vec<(String, &str)> = Vec::with_capacity(3);
        if pkg.kind == PackageKind::Rpm {
            if let Some(m) = &pkg.module {
                keys.push((format!("{m}/{}", pkg.name), pkg.version.as_str()));
                keys.push((
                    format!("{m}/{}", pkg.source_name),
                    pkg.source_version.as_str(),
                ));
            }
            keys.push((pkg.name.clone(), pkg.version.as_str()));
        }
        keys.push((pkg.source_name.clone(), pkg.source_version.as_str()));
        keys.dedup_by(|a, b| a.0 == b.0);
        match_package(src, scheme, &ns, true, pkg, &keys, cache, result)?;
    }
    Ok(())
}

/// The DB key of a language package's name in its namespace: PyPI names PEP 503-normalised,
/// NuGet and Composer names lowercased (both registries are case-insensitive), others as
/// written.
pub fn lang_package_key(namespace: &str, name: &str) -> String {
    match namespace {
        "nuget" | "packagist" => name.to_ascii_lowercase(),
        _ => namespace::normalize_package_name(namespace, name),
    }
}

fn match_lang_packages(
    src: &dyn AdvisorySource,
    inv: &Inventory,
    cache: &mut Lookups,
    result: &mut MatchResult,
) -> Result<(), MatchError> {
    let mut no_scheme: BTreeSet<&str> = BTreeSet::new();
    for pkg in &inv.packages {
        let Some(eco) = pkg.kind.ecosystem() else {
            continue;
        };
        let ns = eco.namespace();
        let Some(scheme) = Scheme::for_namespace(ns) else {
            no_scheme.insert(ns);
            continue;
        };
        let keys = [(lang_package_key(ns, &pkg.name), pkg.version.as_str())];
        match_package(src, scheme, ns, false, pkg, &keys, cache, result)?;
    }
    for ns in no_scheme {
        result.warnings.push(format!(
            "no version scheme for namespace {ns}; its packages were not matched"
        ));
    }
    Ok(())
}

/// Match one package, looked up under each `(key, version)`, and push its findings.
#[allow(clippy::too_many_arguments)]
fn match_package(
    src: &dyn AdvisorySource,
    scheme: Scheme,
    ns: &str,
    os: bool,
    pkg: &Package,
    keys: &[(String, &str)],
    cache: &mut Lookups,
    result: &mut MatchResult,
) -> Result<(), MatchError> {
    for (key, _) in keys {
        let k = (ns.to_string(), key.clone());
        if let std::collections::hash_map::Entry::Vacant(e) = cache.by_key.entry(k) {
            e.insert(src.affected(ns, key)?);
        }
    }
    let rank = |source: &str| if os { source_rank(source) } else { 0 };
    let mut pkg_findings = Vec::new();
    // group by vulnerability id, keep the best-ranked source(s) only
    let mut groups: Vec<(&str, Vec<(&AffectedRecord, &str)>)> = Vec::new();
    for (key, version) in keys {
        for r in &cache.by_key[&(ns.to_string(), key.clone())] {
            match groups.iter_mut().find(|(id, _)| *id == r.vuln_id) {
                Some((_, g)) => g.push((r, version)),
                None => groups.push((&r.vuln_id, vec![(r, version)])),
            }
        }
    }
    for (id, group) in groups {
        let best = group
            .iter()
            .map(|(r, _)| rank(&r.source))
            .min()
            .unwrap_or(3);
        let chosen: Vec<(&AffectedRecord, &str)> = group
            .into_iter()
            .filter(|(r, _)| rank(&r.source) == best)
            .collect();
        let mut hit: Vec<&AffectedRecord> = Vec::new();
        let mut matched_version: Option<&str> = None;
        for (r, version) in &chosen {
            match affects(scheme, r, version) {
                Ok(true) => {
                    hit.push(r);
                    matched_version.get_or_insert(version);
                }
                Ok(false) => {}
                Err(w) => result.warnings.push(w),
            }
        }
        let Some(matched_version) = matched_version else {
            continue;
        };
        // the fix that applies: the smallest fixed version above the installed one
        let mut fixed: Option<&str> = None;
        let mut status = FixStatus::Fixed;
        for r in &hit {
            if r.status != FixStatus::Fixed {
                if status == FixStatus::Fixed || r.status < status {
                    status = r.status;
                }
                continue;
            }
            for f in fixed_candidates(r) {
                let above = scheme
                    .compare(f, matched_version)
                    .map(|o| o == Ordering::Greater)
                    .unwrap_or(false);
                if !above {
                    continue;
                }
                let better = match fixed {
                    None => true,
                    Some(cur) => scheme
                        .compare(f, cur)
                        .map(|o| o == Ordering::Less)
                        .unwrap_or(false),
                };
                if better {
                    fixed = Some(f);
                }
            }
        }
        if fixed.is_some() {
            status = FixStatus::Fixed;
        } else if status == FixStatus::Fixed {
            status = FixStatus::NotFixed;
        }
        if !cache.vulns.contains_key(id) {
            let v = src.vulnerability(id)?;
            cache.vulns.insert(id.to_string(), v);
        }
        let vuln = cache.vulns[id].as_ref();
        let pkg_ratings: Vec<(String, Severity)> = hit
            .iter()
            .filter_map(|r| r.severity.map(|s| (r.source.clone(), s)))
            .collect();
        let (severity, severity_source) = choose_severity(&pkg_ratings, vuln);
        let mut aliases: BTreeSet<String> = BTreeSet::new();
        for r in &hit {
            aliases.extend(r.advisory_ids.iter().cloned());
        }
        if let Some(v) = vuln {
            aliases.extend(v.aliases.iter().cloned());
        }
        aliases.remove(id);
        let sources: BTreeSet<String> = hit.iter().map(|r| r.source.clone()).collect();
        pkg_findings.push(Finding {
            id: id.to_string(),
            aliases: aliases.into_iter().collect(),
            package: PackageRef::from(pkg),
            namespace: ns.to_string(),
            matched_version: matched_version.to_string(),
            status,
            fixed_version: fixed.map(str::to_string),
            severity,
            severity_source,
            ratings: vuln.map(|v| v.severities.clone()).unwrap_or_default(),
            title: vuln.and_then(|v| v.summary.clone()),
            sources: sources.into_iter().collect(),
            published: vuln.and_then(|v| v.published.clone()),
            references: vuln.map(|v| v.references.clone()).unwrap_or_default(),
            kev: vuln.and_then(|v| v.kev.clone()),
            epss: None,
        });
    }
    result.findings.extend(merge_aliases(pkg_findings));
    Ok(())
}

/// Attach EPSS scores and NVD CVSS ratings, looked up by the finding's CVE id or, failing
/// that, its CVE aliases. An NVD rating also gives a severity to a finding no other source
/// rates (NVD's own score first), and a publication date to one without.
pub fn enrich(src: &dyn AdvisorySource, findings: &mut [Finding]) -> Result<(), MatchError> {
    let mut epss: HashMap<String, Option<EpssScore>> = HashMap::new();
    let mut nvd: HashMap<String, Option<NvdRecord>> = HashMap::new();
    for f in findings.iter_mut() {
        let cves: Vec<String> = f.cve_ids().map(str::to_string).collect();
        for c in &cves {
            if !epss.contains_key(c) {
                epss.insert(c.clone(), src.epss(c)?);
            }
            if let Some(e) = &epss[c] {
                f.epss = Some(e.clone());
                break;
            }
        }
        for c in &cves {
            if !nvd.contains_key(c) {
                nvd.insert(c.clone(), src.nvd(c)?);
            }
            let Some(rec) = &nvd[c] else {
                continue;
            };
            for r in rec.cvss.iter().map(|c| c.to_rating()) {
                if !f.ratings.contains(&r) {
                    f.ratings.push(r);
                }
            }
            if f.severity == Severity::Unknown
                && let Some(first) = rec.cvss.first()
            {
                let r = first.to_rating();
                f.severity = r.severity;
                f.severity_source = Some(r.source);
            }
            if f.published.is_none() {
                f.published = rec.published.clone();
            }
            break;
        }
    }
    Ok(())
}

/// The fixed versions a record names: its `fixed_version` and every range's `fixed` (an OSV
/// record with several ranges — one per release branch — has one fix per branch; the one
/// that applies is the smallest above the installed version).
fn fixed_candidates(r: &AffectedRecord) -> impl Iterator<Item = &str> {
    use drydock_vulndb::ConstraintOp;
    r.fixed_version
        .as_deref()
        .into_iter()
        .chain(r.ranges.iter().filter_map(|x| x.fixed.as_deref()))
        // a patched/unaffected group's lower bound (`>= 5.2.4.3` of `~> 5.2.4, >= 5.2.4.3`)
        .chain(r.unaffected_constraints.iter().flat_map(|g| {
            g.iter()
                .filter(|c| matches!(c.op, ConstraintOp::Ge | ConstraintOp::Gt))
                .map(|c| c.version.as_str())
        }))
}

/// Merge findings of one package that are the same vulnerability under different ids: a
/// non-CVE advisory whose aliases name CVEs that are already reported is folded into them;
/// one naming exactly one CVE takes that CVE as its id.
fn merge_aliases(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by_key(|f| !is_cve(&f.id));
    let mut out: Vec<Finding> = Vec::new();
    for mut f in findings {
        if is_cve(&f.id) {
            if let Some(g) = out.iter_mut().find(|g| g.id == f.id) {
                absorb(g, &f);
                continue;
            }
            out.push(f);
            continue;
        }
        let cves: Vec<String> = f.aliases.iter().filter(|a| is_cve(a)).cloned().collect();
        let targets: Vec<usize> = out
            .iter()
            .enumerate()
            .filter(|(_, g)| g.id == f.id || g.aliases.contains(&f.id) || cves.contains(&g.id))
            .map(|(i, _)| i)
            .collect();
        if !targets.is_empty() {
            for i in targets {
                absorb(&mut out[i], &f);
            }
            continue;
        }
        if cves.len() == 1 {
            let cve = cves[0].clone();
            f.aliases.retain(|a| *a != cve);
            f.aliases.push(std::mem::replace(&mut f.id, cve));
            f.aliases.sort();
        }
        out.push(f);
    }
    out
}

/// Fold `f`'s ids and sources into `g` (without pulling in other CVEs as aliases).
fn absorb(g: &mut Finding, f: &Finding) {
    let mut ids: BTreeSet<String> = g.aliases.iter().cloned().collect();
    if f.id != g.id {
        ids.insert(f.id.clone());
    }
    ids.extend(
        f.aliases
            .iter()
            .filter(|a| !is_cve(a) && **a != g.id)
            .cloned(),
    );
    g.aliases = ids.into_iter().collect();
    let mut s: BTreeSet<String> = g.sources.iter().cloned().collect();
    s.extend(f.sources.iter().cloned());
    g.sources = s.into_iter().collect();
    if g.severity == Severity::Unknown && f.severity != Severity::Unknown {
        g.severity = f.severity;
        g.severity_source = f.severity_source.clone();
    }
}

/// Which findings to keep.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Keep only these severities (empty = all).
    pub severities: Vec<Severity>,
    /// Keep only these statuses (empty = all).
    pub statuses: Vec<FixStatus>,
    /// Drop findings without a fixed version.
    pub ignore_unfixed: bool,
}

impl Filter {
    pub fn keep(&self, f: &Finding) -> bool {
        (self.severities.is_empty() || self.severities.contains(&f.severity))
            && (self.statuses.is_empty() || self.statuses.contains(&f.status))
            && (!self.ignore_unfixed || f.fixable())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use drydock_vulndb::Range;

    fn rec(id: &str, status: FixStatus, fixed: Option<&str>, source: &str) -> AffectedRecord {
        AffectedRecord {
            vuln_id: id.into(),
            namespace: "debian:12".into(),
            package: "openssl".into(),
            status,
            fixed_version: fixed.map(str::to_string),
            ranges: fixed
                .map(|f| {
                    vec![Range {
                        introduced: Some("0".into()),
                        fixed: Some(f.into()),
                        ..Default::default()
                    }]
                })
                .unwrap_or_default(),
            versions: vec![],
            source: source.into(),
            advisory_ids: vec![],
            severity: None,
            affected_constraints: vec![],
            unaffected_constraints: vec![],
        }
    }

    #[test]
    fn ranges_and_statuses() {
        let s = Scheme::Dpkg;
        let r = rec(
            "CVE-1",
            FixStatus::Fixed,
            Some("3.0.11-1~deb12u2"),
            "debian-dsa",
        );
        assert!(affects(s, &r, "3.0.11-1~deb12u1").unwrap());
        assert!(!affects(s, &r, "3.0.11-1~deb12u2").unwrap());
        assert!(!affects(s, &r, "3.0.11-1").unwrap());
        let open = rec("CVE-2", FixStatus::NotFixed, None, "debian-tracker");
        assert!(affects(s, &open, "1").unwrap());
        let na = rec("CVE-3", FixStatus::NotAffected, None, "debian-tracker");
        assert!(!affects(s, &na, "1").unwrap());
        let mut last = rec("CVE-4", FixStatus::NotFixed, None, "osv:Debian");
        last.ranges = vec![Range {
            introduced: Some("1.0-1".into()),
            last_affected: Some("1.2-1".into()),
            ..Default::default()
        }];
        assert!(affects(s, &last, "1.2-1").unwrap());
        assert!(!affects(s, &last, "1.2-2").unwrap());
        assert!(!affects(s, &last, "0.9-1").unwrap());
    }

    fn finding(id: &str, aliases: &[&str]) -> Finding {
        Finding {
            id: id.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            package: PackageRef {
                kind: PackageKind::Deb,
                name: "p".into(),
                version: "1".into(),
                source_name: "p".into(),
                source_version: "1".into(),
                purl: String::new(),
                path: String::new(),
                layer_index: 0,
                layer_diff_id: String::new(),
            },
            namespace: "debian:12".into(),
            matched_version: "1".into(),
            status: FixStatus::Fixed,
            fixed_version: Some("2".into()),
            severity: Severity::Unknown,
            severity_source: None,
            ratings: vec![],
            title: None,
            sources: vec!["osv:Debian".into()],
            published: None,
            references: vec![],
            kev: None,
            epss: None,
        }
    }

    #[test]
    fn advisory_ids_fold_into_their_cves() {
        let out = merge_aliases(vec![
            finding("DSA-1-1", &["CVE-2020-1", "CVE-2020-2"]),
            finding("CVE-2020-1", &[]),
            finding("CVE-2020-2", &[]),
            finding("DLA-9-1", &["CVE-2021-9"]),
        ]);
        let ids: Vec<(&str, Vec<&str>)> = out
            .iter()
            .map(|f| {
                (
                    f.id.as_str(),
                    f.aliases.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            ids,
            vec![
                ("CVE-2020-1", vec!["DSA-1-1"]),
                ("CVE-2020-2", vec!["DSA-1-1"]),
                ("CVE-2021-9", vec!["DLA-9-1"]),
            ]
        );
    }

    /// A source with EPSS and NVD data for one CVE only (values of CVE-2024-5732 as the NVD
    /// and FIRST publish them).
    struct Enrichment;

    impl AdvisorySource for Enrichment {
        fn affected(&self, _: &str, _: &str) -> Result<Vec<AffectedRecord>, MatchError> {
            Ok(vec![])
        }
        fn vulnerability(&self, _: &str) -> Result<Option<VulnRecord>, MatchError> {
            Ok(None)
        }
        fn epss(&self, cve: &str) -> Result<Option<EpssScore>, MatchError> {
            Ok((cve == "CVE-2024-5732").then(|| EpssScore {
                score: 0.00091,
                percentile: 0.39923,
                date: "2024-10-25".into(),
            }))
        }
        fn nvd(&self, cve: &str) -> Result<Option<NvdRecord>, MatchError> {
            Ok((cve == "CVE-2024-5732").then(|| NvdRecord {
                published: Some("2024-06-07T10:15:12.293".into()),
                cvss: vec![
                    drydock_vulndb::NvdCvss {
                        version: "3.1".into(),
                        source: "nvd@nist.gov".into(),
                        kind: "Primary".into(),
                        vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
                        score: 9.8,
                        severity: Severity::Critical,
                    },
                    drydock_vulndb::NvdCvss {
                        version: "3.1".into(),
                        source: "cna@vuldb.com".into(),
                        kind: "Secondary".into(),
                        vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L".into(),
                        score: 7.3,
                        severity: Severity::High,
                    },
                ],
            }))
        }
    }

    #[test]
    fn epss_and_nvd_by_id_or_cve_alias() {
        let mut by_alias = finding("GHSA-xxxx-yyyy-zzzz", &["CVE-2024-5732"]);
        by_alias.ratings.push(SeverityRating {
            source: "osv".into(),
            severity: Severity::Medium,
            cvss_vector: Some("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N".into()),
            score: Some(5.4),
        });
        by_alias.severity = Severity::Medium;
        by_alias.severity_source = Some("osv".into());
        let mut fs = vec![
            finding("CVE-2024-5732", &[]),
            by_alias,
            finding("CVE-2020-0001", &[]),
        ];
        enrich(&Enrichment, &mut fs).unwrap();
        // by id: EPSS, both NVD ratings, NVD's own score as the severity, the NVD date
        assert_eq!(fs[0].epss.as_ref().map(|e| e.score), Some(0.00091));
        let srcs: Vec<&str> = fs[0].ratings.iter().map(|r| r.source.as_str()).collect();
        assert_eq!(srcs, ["nvd", "nvd:cna@vuldb.com"]);
        assert_eq!(fs[0].severity, Severity::Critical);
        assert_eq!(fs[0].severity_source.as_deref(), Some("nvd"));
        assert_eq!(fs[0].published.as_deref(), Some("2024-06-07T10:15:12.293"));
        assert_eq!(fs[0].cvss_score(), Some(9.8));
        // by CVE alias: the same data; the feed's own severity stays
        assert_eq!(fs[1].epss.as_ref().map(|e| e.percentile), Some(0.39923));
        assert_eq!(fs[1].ratings.len(), 3);
        assert_eq!(fs[1].severity, Severity::Medium);
        assert_eq!(fs[1].cvss_score(), Some(9.8));
        // nothing known
        assert_eq!(fs[2].epss, None);
        assert!(fs[2].ratings.is_empty());
        assert_eq!(fs[2].cvss_score(), None);
    }
}
