//! Server-side matching: an inventory against the vulnerability DB, package by package, so
//! that each package's advisory keys `(namespace, package)` are known exactly as the matcher
//! queried them (the inverted index of continuous re-matching) and a re-match can be limited
//! to the packages a feed diff touches.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use drydock_inventory::Inventory;
use drydock_matcher::{AdvisorySource, Finding, MatchError, match_inventory};
use drydock_vulndb::{AffectedRecord, Db, VulnRecord, namespace::normalize_package_name};

use crate::error::Result;
use crate::store::{NewFinding, PkgIdent};

/// An [`AdvisorySource`] over a [`Db`] that caches lookups across packages and records the
/// keys queried since the last [`Recorder::take`].
struct Recorder<'a> {
    db: &'a Db,
    affected: RefCell<HashMap<(String, String), Vec<AffectedRecord>>>,
    vulns: RefCell<HashMap<String, Option<VulnRecord>>>,
    queried: RefCell<Vec<(String, String)>>,
}

impl Recorder<'_> {
    fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.queried.borrow_mut())
    }
}

impl AdvisorySource for Recorder<'_> {
    fn affected(&self, namespace: &str, package: &str) -> Result<Vec<AffectedRecord>, MatchError> {
        // the DB stores names normalised per namespace: index under the stored form
        let key = (
            namespace.to_string(),
            normalize_package_name(namespace, package),
        );
        self.queried.borrow_mut().push(key.clone());
        if let Some(v) = self.affected.borrow().get(&key) {
            return Ok(v.clone());
        }
        let v = self.db.affected(namespace, package)?;
        self.affected.borrow_mut().insert(key, v.clone());
        Ok(v)
    }

    fn vulnerability(&self, id: &str) -> Result<Option<VulnRecord>, MatchError> {
        if let Some(v) = self.vulns.borrow().get(id) {
            return Ok(v.clone());
        }
        let v = self.db.vulnerability(id)?;
        self.vulns.borrow_mut().insert(id.to_string(), v.clone());
        Ok(v)
    }
}

/// The result of matching (part of) an inventory.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// The distro namespace OS packages were matched in.
    pub distro_ns: Option<String>,
    /// `(package index, namespace, stored package key)` for every lookup.
    pub keys: Vec<(usize, String, String)>,
    /// Identities of the packages matched (the reconciliation scope).
    pub scope: BTreeSet<PkgIdent>,
    pub findings: Vec<NewFinding>,
    pub warnings: Vec<String>,
}

/// Match the packages of `inv` (only those in `only`, when given) one by one.
pub fn analyze(db: &Db, inv: &Inventory, only: Option<&BTreeSet<usize>>) -> Result<Analysis> {
    let rec = Recorder {
        db,
        affected: RefCell::default(),
        vulns: RefCell::default(),
        queried: RefCell::default(),
    };
    let mut out = Analysis::default();
    let mut single = Inventory {
        os: inv.os.clone(),
        packages: Vec::with_capacity(1),
        warnings: Vec::new(),
    };
    for (idx, pkg) in inv.packages.iter().enumerate() {
        if only.is_some_and(|o| !o.contains(&idx)) {
            continue;
        }
        single.packages.clear();
        single.packages.push(pkg.clone());
        let m = match_inventory(&rec, &single)?;
        if out.distro_ns.is_none() {
            out.distro_ns = m.namespace.clone();
        }
        for (ns, key) in rec.take() {
            out.keys.push((idx, ns, key));
        }
        out.scope
            .insert((pkg.name.clone(), pkg.version.clone(), pkg.path.clone()));
        out.findings.extend(m.findings.iter().map(to_new));
        out.warnings.extend(m.warnings);
    }
    out.keys.sort();
    out.keys.dedup();
    out.warnings.sort();
    out.warnings.dedup();
    Ok(out)
}

/// Unix seconds of a `YYYY-MM-DD...` date; placeholder dates (`0001-01-01`, Go) are none.
fn published(s: Option<&str>) -> Option<i64> {
    let s = s?;
    if s.starts_with("0001-") {
        return None;
    }
    crate::query::parse_date(s)
}

fn to_new(f: &Finding) -> NewFinding {
    let cvss = f
        .ratings
        .iter()
        .filter_map(|r| r.score)
        .fold(None, |acc: Option<f64>, s| {
            Some(acc.map_or(s, |a| a.max(s)))
        });
    let ecosystem = f
        .namespace
        .split(':')
        .next()
        .unwrap_or(&f.namespace)
        .to_string();
    NewFinding {
        vuln_id: f.id.clone(),
        package: f.package.name.clone(),
        version: f.package.version.clone(),
        pkg_path: f.package.path.clone(),
        ecosystem,
        ns: f.namespace.clone(),
        severity: f.severity,
        cvss,
        epss: None,
        kev: f.kev.is_some(),
        fixable: f.fixable(),
        fixed_version: f.fixed_version.clone(),
        status: f.status.as_str().to_string(),
        title: f.title.clone(),
        published: published(f.published.as_deref()),
    }
}
