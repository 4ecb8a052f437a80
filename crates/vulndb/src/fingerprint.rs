//! Per-advisory fingerprints of a built DB, and the diff between two DBs: what continuous
//! re-matching needs to find the inventories a feed update can change.
//!
//! A fingerprint is kept per `(namespace, package, vuln_id)`: a 64-bit FNV-1a hash over every
//! `affected` row of that key (status, fixed version, ranges, versions, source, advisory ids,
//! severity, constraints) plus the vulnerability-level facts a finding carries (severities,
//! published date, KEV entry). Two DBs built from the same feeds give the same fingerprints.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::Result;

/// `(namespace, package, vuln_id)` → hash.
pub type Fingerprints = BTreeMap<(String, String, String), u64>;

/// What changed between two DBs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedDiff {
    /// Advisory keys `(namespace, package, vuln_id)` new in the second DB.
    pub added: Vec<(String, String, String)>,
    /// Keys in both whose rows or vulnerability facts differ.
    pub changed: Vec<(String, String, String)>,
    /// Keys gone from the second DB (withdrawn or no longer affecting the package).
    pub withdrawn: Vec<(String, String, String)>,
}

impl FeedDiff {
    /// The `(namespace, package)` keys touched by any change: the inverted-query input.
    pub fn package_keys(&self) -> BTreeSet<(String, String)> {
        self.added
            .iter()
            .chain(&self.changed)
            .chain(&self.withdrawn)
            .map(|(ns, p, _)| (ns.clone(), p.clone()))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.withdrawn.is_empty()
    }
}

/// Compare two fingerprint sets.
pub fn diff_fingerprints(old: &Fingerprints, new: &Fingerprints) -> FeedDiff {
    let mut d = FeedDiff::default();
    for (k, h) in new {
        match old.get(k) {
            None => d.added.push(k.clone()),
            Some(o) if o != h => d.changed.push(k.clone()),
            Some(_) => {}
        }
    }
    for k in old.keys() {
        if !new.contains_key(k) {
            d.withdrawn.push(k.clone());
        }
    }
    d
}

struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, s: &str) {
        for b in s.as_bytes().iter().chain(std::iter::once(&0xffu8)) {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn write_opt(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.write(s),
            None => self.write("\u{0}none"),
        }
    }
}

impl Db {
    /// The fingerprint of every `(namespace, package, vuln_id)` in this DB.
    pub fn fingerprints(&self) -> Result<Fingerprints> {
        // vulnerability-level facts first: severities, published, KEV
        let mut vuln: HashMap<String, u64> = HashMap::new();
        {
            let mut st = self.conn.prepare(
                "SELECT vuln_id, source, severity, cvss_vector, COALESCE(score, -1) \
                 FROM severities ORDER BY vuln_id, source, cvss_vector",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let id: String = r.get(0)?;
                let e = vuln.entry(id).or_insert(0xcbf2_9ce4_8422_2325);
                let mut h = Fnv(*e);
                h.write(&r.get::<_, String>(1)?);
                h.write(&r.get::<_, String>(2)?);
                h.write(&r.get::<_, String>(3)?);
                h.write(&r.get::<_, f64>(4)?.to_string());
                *e = h.0;
            }
            let mut st = self
                .conn
                .prepare("SELECT id, published FROM vulnerabilities WHERE published IS NOT NULL")?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let id: String = r.get(0)?;
                let e = vuln.entry(id).or_insert(0xcbf2_9ce4_8422_2325);
                let mut h = Fnv(*e);
                h.write("published");
                h.write(&r.get::<_, String>(1)?);
                *e = h.0;
            }
            let mut st = self.conn.prepare("SELECT cve_id, date_added FROM kev")?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let id: String = r.get(0)?;
                let e = vuln.entry(id).or_insert(0xcbf2_9ce4_8422_2325);
                let mut h = Fnv(*e);
                h.write("kev");
                h.write(&r.get::<_, String>(1)?);
                *e = h.0;
            }
        }
        let mut out = Fingerprints::new();
        let mut st = self.conn.prepare(
            "SELECT namespace, package, vuln_id, status, fixed_version, ranges, versions, source, \
             advisory_ids, severity, constraints FROM affected \
             ORDER BY namespace, package, vuln_id, source, status, fixed_version, ranges, versions",
        )?;
        let mut rows = st.query([])?;
        let mut cur: Option<((String, String, String), Fnv)> = None;
        while let Some(r) = rows.next()? {
            let key: (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            if cur.as_ref().is_none_or(|(k, _)| *k != key) {
                if let Some((k, h)) = cur.take() {
                    out.insert(k, h.0);
                }
                let mut h = Fnv::new();
                if let Some(v) = vuln.get(&key.2) {
                    h.write(&v.to_string());
                }
                cur = Some((key, h));
            }
            let (_, h) = cur.as_mut().expect("set above");
            for i in 3..=10 {
                h.write_opt(r.get::<_, Option<String>>(i)?.as_deref());
            }
        }
        if let Some((k, h)) = cur {
            out.insert(k, h.0);
        }
        Ok(out)
    }
}
