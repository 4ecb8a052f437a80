//! Read access to a built DB.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{
    AffectedRecord, EpssScore, FixStatus, KevEntry, NvdCvss, NvdRecord, Severity, SeverityRating,
    StoredConstraints, VulnRecord,
};
use crate::namespace::normalize_package_name;
use crate::schema::SCHEMA_VERSION;

/// An open, read-only vulnerability DB.
///
/// Queries use cached prepared statements; a `Db` is `Send` but not `Sync` (open one per
/// thread to query in parallel).
#[derive(Debug)]
pub struct Db {
    pub(crate) conn: Connection,
    path: PathBuf,
}

/// Facts about the DB as a whole ([`Db::info`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbInfo {
    /// Schema version of the file (equal to [`SCHEMA_VERSION`] for an opened DB).
    pub schema_version: u32,
    /// When the DB was built (RFC 3339, UTC).
    pub built_at: String,
    /// The builder that wrote it (`drydock-vulndb <version>`).
    pub builder: String,
    /// One entry per feed, by name.
    pub feeds: Vec<FeedInfo>,
    /// Rows in `affected`.
    pub affected_rows: u64,
    /// Rows in `vulnerabilities`.
    pub vulnerabilities: u64,
}

/// One feed's contribution, as recorded at build time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedInfo {
    /// Feed name (`alpine-secdb`, `debian-dsa`, `osv/Go`, `kev`, ...).
    pub name: String,
    /// Records in the feed's own unit (advisories, secfix entries, KEV entries...).
    pub records: u64,
    /// Rows the feed wrote to `affected`.
    pub affected_rows: u64,
    /// Newest date in the feed (`YYYY-MM-DD`), if the feed carries dates.
    pub newest_date: Option<String>,
    /// The files read, relative to the feed folder.
    pub files: Vec<String>,
}

impl Db {
    /// Open the DB at `path` read-only. Errors if the file is missing, is not a Drydock DB,
    /// or has another schema version than [`SCHEMA_VERSION`].
    pub fn open(path: &Path) -> Result<Db> {
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return Err(Error::NotADb {
                    path: path.to_path_buf(),
                    reason: "not a regular file".into(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::DbNotFound(path.to_path_buf()));
            }
            Err(e) => return Err(Error::io(path, e)),
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let not_a_db = |reason: String| Error::NotADb {
            path: path.to_path_buf(),
            reason,
        };
        let version: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| not_a_db(e.to_string()))?;
        let version = version.ok_or_else(|| not_a_db("no schema_version in meta".into()))?;
        if version != SCHEMA_VERSION.to_string() {
            return Err(Error::SchemaMismatch {
                path: path.to_path_buf(),
                found: version,
                expected: SCHEMA_VERSION,
            });
        }
        conn.set_prepared_statement_cache_capacity(32);
        // Best effort: memory-map the file for faster reads.
        let _ = conn.pragma_update(None, "mmap_size", 256 * 1024 * 1024);
        Ok(Db {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The path this DB was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Schema version, build time, and per-feed record counts and newest dates.
    pub fn info(&self) -> Result<DbInfo> {
        let meta = |k: &str| -> Result<String> {
            let v: Option<String> = self
                .conn
                .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
                .query_row([k], |r| r.get(0))
                .optional()?;
            Ok(v.unwrap_or_default())
        };
        let num = |k: &str| -> Result<u64> {
            let v = meta(k)?;
            v.parse()
                .map_err(|_| Error::Corrupt(format!("meta.{k} = {v:?}")))
        };
        let mut st = self.conn.prepare_cached(
            "SELECT name, records, affected_rows, newest_date, files FROM feeds ORDER BY name",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)? as u64,
                r.get::<_, i64>(2)? as u64,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut feeds = Vec::new();
        for row in rows {
            let (name, records, affected_rows, newest_date, files) = row?;
            feeds.push(FeedInfo {
                files: json_list(&files, "feeds.files")?,
                name,
                records,
                affected_rows,
                newest_date,
            });
        }
        Ok(DbInfo {
            schema_version: num("schema_version")? as u32,
            built_at: meta("built_at")?,
            builder: meta("builder")?,
            feeds,
            affected_rows: num("affected_rows")?,
            vulnerabilities: num("vulnerabilities")?,
        })
    }

    /// Every row for `package` in `namespace`, ordered by vulnerability id then source.
    ///
    /// `package` is normalised as the builder stored it (PEP 503 for `pypi`). Indexed on
    /// `(namespace, package)`; the statement is prepared once per `Db`.
    pub fn affected(&self, namespace: &str, package: &str) -> Result<Vec<AffectedRecord>> {
        let package = normalize_package_name(namespace, package);
        let mut st = self.conn.prepare_cached(
            "SELECT vuln_id, status, fixed_version, ranges, versions, source, advisory_ids, \
             severity, constraints FROM affected WHERE namespace = ?1 AND package = ?2 \
             ORDER BY vuln_id, source",
        )?;
        let rows = st.query_map([namespace, package.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (vuln_id, status, fixed_version, ranges, versions, source, advisory_ids, sev, c) =
                row?;
            let constraints: StoredConstraints = match c {
                None => StoredConstraints::default(),
                Some(c) => serde_json::from_str(&c)
                    .map_err(|e| Error::Corrupt(format!("affected.constraints: {e}")))?,
            };
            out.push(AffectedRecord {
                affected_constraints: constraints.affected,
                unaffected_constraints: constraints.unaffected,
                status: FixStatus::parse(&status)
                    .ok_or_else(|| Error::Corrupt(format!("affected.status = {status:?}")))?,
                ranges: json_list(&ranges, "affected.ranges")?,
                versions: json_list(&versions, "affected.versions")?,
                advisory_ids: json_list(&advisory_ids, "affected.advisory_ids")?,
                severity: sev.as_deref().map(parse_severity).transpose()?,
                vuln_id,
                namespace: namespace.to_string(),
                package: package.clone(),
                fixed_version,
                source,
            });
        }
        Ok(out)
    }

    /// Vulnerability-level facts for `id`: summary, dates, aliases (both directions),
    /// severities from every source that rates `id`, references and the KEV entry.
    /// `None` when no feed knows `id`.
    pub fn vulnerability(&self, id: &str) -> Result<Option<VulnRecord>> {
        let row: Option<VulnRow> = self
            .conn
            .prepare_cached(
                "SELECT summary, details, published, modified FROM vulnerabilities WHERE id = ?1",
            )?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let aliases = self.aliases(id)?;
        let kev: Option<KevEntry> = self
            .conn
            .prepare_cached(
                "SELECT date_added, due_date, known_ransomware_campaign_use FROM kev \
                 WHERE cve_id = ?1",
            )?
            .query_row([id], |r| {
                Ok(KevEntry {
                    date_added: r.get(0)?,
                    due_date: r.get(1)?,
                    known_ransomware_campaign_use: r.get(2)?,
                })
            })
            .optional()?;
        if row.is_none() && aliases.is_empty() && kev.is_none() {
            return Ok(None);
        }
        let (summary, details, published, modified) = row.unwrap_or_default();

        let mut st = self.conn.prepare_cached(
            "SELECT source, severity, cvss_vector, score FROM severities WHERE vuln_id = ?1 \
             ORDER BY source, cvss_vector",
        )?;
        let rows = st.query_map([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<f64>>(3)?,
            ))
        })?;
        let mut severities = Vec::new();
        for row in rows {
            let (source, sev, vector, score) = row?;
            severities.push(SeverityRating {
                source,
                severity: parse_severity(&sev)?,
                cvss_vector: (!vector.is_empty()).then_some(vector),
                score,
            });
        }

        let mut st = self
            .conn
            .prepare_cached("SELECT url FROM \"references\" WHERE vuln_id = ?1 ORDER BY url")?;
        let references = st
            .query_map([id], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;

        Ok(Some(VulnRecord {
            id: id.to_string(),
            aliases,
            // Records with only `details` (most PyPI advisories) show those.
            summary: summary.or(details),
            severities,
            published,
            modified,
            references,
            kev,
        }))
    }

    /// The long description of `id` when a feed gives one besides its summary (OSV `details`,
    /// KEV `shortDescription`).
    pub fn details(&self, id: &str) -> Result<Option<String>> {
        let v: Option<Option<String>> = self
            .conn
            .prepare_cached("SELECT details FROM vulnerabilities WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        Ok(v.flatten())
    }

    /// The EPSS score of `cve` (feed `epss`), with the score date of the file it came from.
    pub fn epss(&self, cve: &str) -> Result<Option<EpssScore>> {
        let v = self
            .conn
            .prepare_cached(
                "SELECT e.score, e.percentile, \
                 (SELECT value FROM meta WHERE key = 'epss_score_date') \
                 FROM epss e WHERE e.cve_id = ?1",
            )?
            .query_row([cve], |r| {
                Ok(EpssScore {
                    score: r.get(0)?,
                    percentile: r.get(1)?,
                    date: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                })
            })
            .optional()?;
        Ok(v)
    }

    /// The NVD's CVSS data for `cve` (feed `nvd`): NVD's own scores first.
    pub fn nvd(&self, cve: &str) -> Result<Option<NvdRecord>> {
        let published: Option<Option<String>> = self
            .conn
            .prepare_cached("SELECT published FROM nvd_cves WHERE cve_id = ?1")?
            .query_row([cve], |r| r.get(0))
            .optional()?;
        let Some(published) = published else {
            return Ok(None);
        };
        let mut st = self.conn.prepare_cached(
            "SELECT version, source, type, vector, score, severity FROM nvd_cvss \
             WHERE cve_id = ?1 ORDER BY source <> 'nvd@nist.gov', type <> 'Primary', \
             version = '4.0', version DESC, source, vector",
        )?;
        let rows = st.query_map([cve], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, f64>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut cvss = Vec::new();
        for row in rows {
            let (version, source, kind, vector, score, sev) = row?;
            cvss.push(NvdCvss {
                version,
                source,
                kind,
                vector,
                score,
                severity: parse_severity(&sev)?,
            });
        }
        Ok(Some(NvdRecord { published, cvss }))
    }

    /// Ids recorded as aliases of `id` (in either direction), sorted.
    pub fn aliases(&self, id: &str) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT alias FROM aliases WHERE id = ?1 ORDER BY alias")?;
        let v = st
            .query_map([id], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v)
    }

    /// All namespaces that have at least one `affected` row, sorted.
    pub fn namespaces(&self) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT DISTINCT namespace FROM affected ORDER BY namespace")?;
        let v = st
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v)
    }
}

/// `summary, details, published, modified` of a `vulnerabilities` row.
type VulnRow = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn parse_severity(s: &str) -> Result<Severity> {
    Severity::parse(s).ok_or_else(|| Error::Corrupt(format!("severity {s:?}")))
}

fn json_list<T: for<'de> Deserialize<'de>>(s: &str, what: &str) -> Result<Vec<T>> {
    if s == "[]" {
        return Ok(Vec::new());
    }
    serde_json::from_str(s).map_err(|e| Error::Corrupt(format!("{what}: {e}")))
}
