//! Writes parsed feed data into the DB being built (one transaction, cached statements).

use rusqlite::{Connection, params};

use crate::error::Result;
use crate::model::{AffectedRecord, NvdCvss, SeverityRating, StoredConstraints};

/// Vulnerability-level text facts from one source. Missing fields are filled by later sources;
/// a field already set is kept (feeds are loaded in a fixed order, richest first).
#[derive(Debug, Default)]
pub(crate) struct VulnFacts<'a> {
    pub id: &'a str,
    pub summary: Option<&'a str>,
    pub details: Option<&'a str>,
    pub published: Option<&'a str>,
    pub modified: Option<&'a str>,
}

/// One row of the `kev` table.
#[derive(Debug, Default)]
pub(crate) struct KevRow<'a> {
    pub cve_id: &'a str,
    pub vendor_project: Option<&'a str>,
    pub product: Option<&'a str>,
    pub vulnerability_name: Option<&'a str>,
    pub date_added: &'a str,
    pub short_description: Option<&'a str>,
    pub required_action: Option<&'a str>,
    pub due_date: Option<&'a str>,
    pub known_ransomware_campaign_use: Option<&'a str>,
    pub notes: Option<&'a str>,
}

/// Insert helpers over the build connection. Every statement goes through rusqlite's
/// prepared-statement cache, so each SQL text is compiled once per build.
pub(crate) struct Sink<'c> {
    conn: &'c Connection,
    pub affected_rows: u64,
}

impl<'c> Sink<'c> {
    pub fn new(conn: &'c Connection) -> Self {
        Sink {
            conn,
            affected_rows: 0,
        }
    }

    /// Insert one `affected` row. The caller makes sure `r.vuln_id` has a `vulnerabilities`
    /// row ([`Sink::vuln`] or [`Sink::ensure_vuln`]).
    pub fn affected(&mut self, r: &AffectedRecord) -> Result<()> {
        let mut st = self.conn.prepare_cached(
            "INSERT INTO affected (namespace, package, vuln_id, status, fixed_version, ranges, \
             versions, source, advisory_ids, severity, constraints) \
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
        )?;
        st.execute(params![
            r.namespace,
            r.package,
            r.vuln_id,
            r.status.as_str(),
            r.fixed_version,
            json_list(&r.ranges),
            json_list(&r.versions),
            r.source,
            json_list(&r.advisory_ids),
            r.severity.map(|s| s.as_str()),
            constraints_json(r),
        ])?;
        self.affected_rows += 1;
        Ok(())
    }

    /// Make sure `id` has a `vulnerabilities` row (facts may come later or never).
    pub fn ensure_vuln(&mut self, id: &str) -> Result<()> {
        let mut st = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO vulnerabilities (id) VALUES (?1)")?;
        st.execute([id])?;
        Ok(())
    }

    pub fn vuln(&mut self, v: &VulnFacts<'_>) -> Result<()> {
        let mut st = self.conn.prepare_cached(
            "INSERT INTO vulnerabilities (id, summary, details, published, modified) \
             VALUES (?1,?2,?3,?4,?5) ON CONFLICT (id) DO UPDATE SET \
             summary = COALESCE(summary, excluded.summary), \
             details = COALESCE(details, excluded.details), \
             published = COALESCE(published, excluded.published), \
             modified = COALESCE(modified, excluded.modified)",
        )?;
        st.execute(params![
            v.id,
            non_empty(v.summary),
            non_empty(v.details),
            non_empty(v.published),
            non_empty(v.modified)
        ])?;
        Ok(())
    }

    /// Record that `a` and `b` name the same vulnerability (stored in both directions).
    pub fn alias(&mut self, a: &str, b: &str) -> Result<()> {
        if a == b || a.is_empty() || b.is_empty() {
            return Ok(());
        }
        let mut st = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO aliases (id, alias) VALUES (?1, ?2)")?;
        st.execute([a, b])?;
        st.execute([b, a])?;
        Ok(())
    }

    pub fn severity(&mut self, vuln_id: &str, r: &SeverityRating) -> Result<()> {
        let mut st = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO severities (vuln_id, source, severity, cvss_vector, score) \
             VALUES (?1,?2,?3,?4,?5)",
        )?;
        st.execute(params![
            vuln_id,
            r.source,
            r.severity.as_str(),
            r.cvss_vector.as_deref().unwrap_or(""),
            r.score
        ])?;
        Ok(())
    }

    pub fn reference(&mut self, vuln_id: &str, url: &str) -> Result<()> {
        if url.trim().is_empty() {
            return Ok(());
        }
        let mut st = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO \"references\" (vuln_id, url) VALUES (?1, ?2)",
        )?;
        st.execute([vuln_id, url.trim()])?;
        Ok(())
    }

    /// Insert a KEV entry; returns false when the CVE was already in the table.
    pub fn kev(&mut self, k: &KevRow<'_>) -> Result<bool> {
        let mut st = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO kev (cve_id, vendor_project, product, vulnerability_name, \
             date_added, short_description, required_action, due_date, \
             known_ransomware_campaign_use, notes) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
        )?;
        let n = st.execute(params![
            k.cve_id,
            k.vendor_project,
            k.product,
            k.vulnerability_name,
            k.date_added,
            k.short_description,
            k.required_action,
            k.due_date,
            k.known_ransomware_campaign_use,
            k.notes
        ])?;
        Ok(n == 1)
    }
}

impl Sink<'_> {
    /// Set a `meta` key (feed-level facts such as the EPSS score date).
    pub fn meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?
            .execute([key, value])?;
        Ok(())
    }

    /// Rows in `table` (one of ours; never user input).
    pub fn count(&mut self, table: &'static str) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// Insert one EPSS score; returns false when the CVE already has one (the first wins).
    pub fn epss(&mut self, cve: &str, score: f64, percentile: f64) -> Result<bool> {
        let mut st = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO epss (cve_id, score, percentile) VALUES (?1, ?2, ?3)",
        )?;
        Ok(st.execute(params![cve, score, percentile])? == 1)
    }

    /// Replace everything held for one NVD CVE record (a later file's copy of a CVE replaces
    /// an earlier one's; a `Rejected` record removes it).
    pub fn nvd_record(
        &mut self,
        cve: &str,
        published: Option<&str>,
        last_modified: Option<&str>,
        status: Option<&str>,
        cvss: &[NvdCvss],
    ) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM nvd_cvss WHERE cve_id = ?1")?
            .execute([cve])?;
        if status == Some("Rejected") {
            self.conn
                .prepare_cached("DELETE FROM nvd_cves WHERE cve_id = ?1")?
                .execute([cve])?;
            return Ok(());
        }
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO nvd_cves (cve_id, published, last_modified, status) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![cve, published, last_modified, status])?;
        let mut st = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO nvd_cvss (cve_id, version, source, type, vector, score, \
             severity) VALUES (?1,?2,?3,?4,?5,?6,?7)",
        )?;
        for c in cvss {
            st.execute(params![
                cve,
                c.version,
                c.source,
                c.kind,
                c.vector,
                c.score,
                c.severity.as_str()
            ])?;
        }
        Ok(())
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// The `constraints` column: `{"affected": [[…]], "unaffected": [[…]]}` (empty lists left
/// out), NULL when the row has no constraints.
fn constraints_json(r: &AffectedRecord) -> Option<String> {
    if !r.has_constraints() {
        return None;
    }
    let c = StoredConstraints {
        affected: r.affected_constraints.clone(),
        unaffected: r.unaffected_constraints.clone(),
    };
    serde_json::to_string(&c).ok()
}

/// Compact JSON for a list column (`[]` when empty).
fn json_list<T: serde::Serialize>(items: &[T]) -> String {
    if items.is_empty() {
        return "[]".to_string();
    }
    // Serialising plain strings/structs of strings cannot fail.
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_string())
}
