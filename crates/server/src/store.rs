//! The server's store: SQLite (default, zero set-up) or PostgreSQL, through sqlx's `Any`
//! driver with runtime queries only. One SQL text serves both backends (placeholders `$n`,
//! `ON CONFLICT`, `RETURNING`); the few dialect differences (job claiming with
//! `FOR UPDATE SKIP LOCKED`, migrations) are switched on [`Backend`].

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, AssertSqlSafe, Row};

use crate::error::{Error, Result};
use crate::query::Param;

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A scope a token can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Submit SBOMs and runtime inventory.
    Submit,
    /// Read images, findings, reports, metrics.
    Read,
    /// Manage tokens, webhooks and registry watches of the org.
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Submit => "submit",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Scope> {
        match s.trim().to_ascii_lowercase().as_str() {
            "submit" => Some(Scope::Submit),
            "read" => Some(Scope::Read),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }
}

/// Who a request is: the token's org and scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub org_id: i64,
    pub org: String,
    pub token_id: i64,
    pub scopes: BTreeSet<Scope>,
}

impl Principal {
    pub fn require(&self, s: Scope) -> Result<()> {
        // admin implies every scope of its org
        if self.scopes.contains(&s) || self.scopes.contains(&Scope::Admin) {
            Ok(())
        } else {
            Err(Error::Forbidden(s.as_str()))
        }
    }
}

/// Image metadata sent with a submission (never layer content).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageMeta {
    /// Manifest digest (`sha256:...`), or the config digest / image id when the image has no
    /// registry manifest.
    pub digest: String,
    /// Repository (`registry.example/team/app`).
    #[serde(default)]
    pub repo: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Layer digests (diffIDs), base first.
    #[serde(default)]
    pub layers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_user: Option<String>,
    #[serde(default)]
    pub config_ports: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// CI context of a submission.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One finding as stored (also the API's finding object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingRow {
    pub id: i64,
    pub image_id: i64,
    pub image: String,
    pub digest: String,
    pub repo: String,
    pub vuln_id: String,
    pub package: String,
    pub version: String,
    pub pkg_path: String,
    pub ecosystem: String,
    pub ns: String,
    pub severity: String,
    pub cvss: Option<f64>,
    pub epss: Option<f64>,
    pub kev: bool,
    pub fixable: bool,
    pub fixed_version: Option<String>,
    pub status: String,
    pub title: Option<String>,
    /// CVE publication date, unix seconds.
    pub published: Option<i64>,
    pub first_seen: i64,
    pub fixed_at: Option<i64>,
    pub sla_due: Option<i64>,
    pub sla_breached: bool,
}

/// A finding computed by the matcher, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFinding {
    pub vuln_id: String,
    pub package: String,
    pub version: String,
    pub pkg_path: String,
    pub ecosystem: String,
    pub ns: String,
    pub severity: drydock_vulndb::Severity,
    pub cvss: Option<f64>,
    pub epss: Option<f64>,
    pub kev: bool,
    pub fixable: bool,
    pub fixed_version: Option<String>,
    pub status: String,
    pub title: Option<String>,
    pub published: Option<i64>,
}

/// The package identity a finding belongs to: (name, version, path).
pub type PkgIdent = (String, String, String);

/// An image as listed by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageRow {
    pub id: i64,
    pub digest: String,
    pub repo: String,
    pub tags: Vec<String>,
    pub os: Option<String>,
    pub platform: Option<String>,
    pub source: String,
    pub package_count: i64,
    pub first_seen: i64,
    pub last_scanned: i64,
    pub open_findings: BTreeMap<String, i64>,
}

/// One runtime inventory record (`POST /api/v1/runtime`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RuntimeRecord {
    pub cluster: String,
    pub namespace: String,
    pub workload: String,
    #[serde(default)]
    pub kind: String,
    pub container: String,
    #[serde(default)]
    pub image: String,
    pub digest: String,
}

/// A registry watch and the outcome of its last poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchRow {
    pub id: i64,
    pub repository: String,
    pub insecure: bool,
    pub created_at: i64,
    pub last_polled: Option<i64>,
    /// Tags seen at the last poll.
    pub last_tags: Option<i64>,
    /// Why the last poll failed (`None`: it succeeded, or none ran yet).
    pub last_error: Option<String>,
}

/// A claimed background job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub key: String,
    pub payload: String,
    pub attempts: i64,
}

/// A claimed notification to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub id: i64,
    pub org_id: i64,
    pub kind: String,
    pub url: String,
    pub payload: String,
    pub attempts: i64,
}

/// Stored result of reconciling one image's findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciled {
    pub new: u64,
    pub reopened: u64,
    pub fixed: u64,
    pub unchanged: u64,
}

/// SHA-256 of a token, hex: what the store keeps.
pub fn hash_token(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// The store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "watch state",
        include_str!("../migrations/sqlite/0002_watch_state.sql"),
    ),
    (
        3,
        "findings page",
        include_str!("../migrations/sqlite/0003_findings_page.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "watch state",
        include_str!("../migrations/postgres/0002_watch_state.sql"),
    ),
    (
        3,
        "findings page",
        include_str!("../migrations/postgres/0003_findings_page.sql"),
    ),
];

fn migrator(backend: Backend) -> Migrator {
    let list = match backend {
        Backend::Sqlite => SQLITE_MIGRATIONS,
        Backend::Postgres => POSTGRES_MIGRATIONS,
    };
    let migrations: Vec<Migration> = list
        .iter()
        .map(|(v, d, sql)| {
            Migration::new(
                *v,
                Cow::Borrowed(*d),
                MigrationType::Simple,
                sqlx::SqlSafeStr::into_sql_str(*sql),
                false,
            )
        })
        .collect();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

fn q(sql: String) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
    sqlx::query(AssertSqlSafe(sql))
}

fn bind_params<'q>(
    mut qy: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    params: &[Param],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for p in params {
        qy = match p {
            Param::Int(i) => qy.bind(*i),
            Param::Real(r) => qy.bind(*r),
            Param::Text(t) => qy.bind(t.clone()),
        };
    }
    qy
}

const FINDING_COLS: &str = "f.id, f.image_id, i.digest, i.repo, f.vuln_id, f.package, f.version, \
    f.pkg_path, f.ecosystem, f.ns, f.severity, f.cvss, f.epss, f.kev, f.fixable, f.fixed_version, \
    f.status, f.title, f.published, f.first_seen, f.fixed_at, f.sla_due, \
    (SELECT MIN(t.tag) FROM image_tags t WHERE t.image_id = i.id)";

fn finding_from_row(r: &AnyRow, now: i64) -> Result<FindingRow> {
    let repo: String = r.try_get(3)?;
    let digest: String = r.try_get(2)?;
    let tag: Option<String> = r.try_get(22)?;
    let sla_due: Option<i64> = r.try_get(21)?;
    let fixed_at: Option<i64> = r.try_get(20)?;
    Ok(FindingRow {
        id: r.try_get(0)?,
        image_id: r.try_get(1)?,
        image: image_name(&repo, tag.as_deref(), &digest),
        digest,
        repo,
        vuln_id: r.try_get(4)?,
        package: r.try_get(5)?,
        version: r.try_get(6)?,
        pkg_path: r.try_get(7)?,
        ecosystem: r.try_get(8)?,
        ns: r.try_get(9)?,
        severity: r.try_get(10)?,
        cvss: r.try_get(11)?,
        epss: r.try_get(12)?,
        kev: r.try_get::<i64, _>(13)? != 0,
        fixable: r.try_get::<i64, _>(14)? != 0,
        fixed_version: r.try_get(15)?,
        status: r.try_get(16)?,
        title: r.try_get(17)?,
        published: r.try_get(18)?,
        first_seen: r.try_get(19)?,
        fixed_at,
        sla_due,
        sla_breached: sla_due.is_some_and(|d| fixed_at.unwrap_or(now) > d),
    })
}

/// `repo:tag`, else `repo@digest`, else the digest.
pub fn image_name(repo: &str, tag: Option<&str>, digest: &str) -> String {
    match (repo.is_empty(), tag) {
        (false, Some(t)) => format!("{repo}:{t}"),
        (false, None) => format!("{repo}@{digest}"),
        (true, _) => digest.to_string(),
    }
}

/// Findings query options.
#[derive(Debug, Clone, Default)]
pub struct FindingQuery {
    /// Compiled filter: SQL text (placeholders from `$3`) and its parameters.
    pub filter: Option<(String, Vec<Param>)>,
    /// Also return fixed findings.
    pub include_fixed: bool,
    /// Restrict to one image.
    pub image_id: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

impl Store {
    /// Connect to `url` (`sqlite://path`, `sqlite::memory:`, `postgres://...`) and run the
    /// migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(Error::BadRequest(format!(
                "--database: expected sqlite://PATH or postgres://..., got {url:?}"
            )));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains('?') && !url.contains(":memory:") => {
                format!("{url}?mode=rwc")
            }
            _ => url.to_string(),
        };
        let opts = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 16,
            })
            .acquire_timeout(std::time::Duration::from_secs(30));
        let opts = if backend == Backend::Sqlite {
            opts.after_connect(|conn, _meta| {
                Box::pin(async move {
                    use sqlx::Executor as _;
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
                         PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                    )
                    .await?;
                    Ok(())
                })
            })
        } else {
            opts
        };
        let pool = opts.connect(&url).await?;
        let store = Store { pool, backend };
        migrator(backend).run(&store.pool).await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    // ---------------------------------------------------------------- orgs and tokens

    /// The org's id, creating it when missing.
    pub async fn ensure_org(&self, name: &str, now: i64) -> Result<i64> {
        if name.trim().is_empty() {
            return Err(Error::BadRequest("an org needs a name".into()));
        }
        q(
            "INSERT INTO orgs (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
                .into(),
        )
        .bind(name.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        let id: i64 = q("SELECT id FROM orgs WHERE name = $1".into())
            .bind(name.to_string())
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(id)
    }

    /// Create a token for `org_id` with `scopes`; returns the plaintext token (shown once:
    /// only its SHA-256 is stored).
    pub async fn create_token(
        &self,
        org_id: i64,
        name: &str,
        scopes: &BTreeSet<Scope>,
        now: i64,
    ) -> Result<String> {
        if scopes.is_empty() {
            return Err(Error::BadRequest("a token needs at least one scope".into()));
        }
        let mut raw = [0u8; 24];
        getrandom::fill(&mut raw).map_err(|e| Error::Other(format!("random: {e}")))?;
        let token = format!("ddk_{}", hex::encode(raw));
        let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        q(
            "INSERT INTO tokens (org_id, name, token_hash, scopes, created_at) \
           VALUES ($1, $2, $3, $4, $5)"
                .into(),
        )
        .bind(org_id)
        .bind(name.to_string())
        .bind(hash_token(&token))
        .bind(scopes.join(","))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(token)
    }

    /// The principal of a plaintext token, `None` when unknown or revoked.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Principal>> {
        let row = q("SELECT t.id, t.org_id, o.name, t.scopes FROM tokens t \
                     JOIN orgs o ON o.id = t.org_id \
                     WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
            .into())
        .bind(hash_token(token))
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let scopes: String = r.try_get(3)?;
        Ok(Some(Principal {
            token_id: r.try_get(0)?,
            org_id: r.try_get(1)?,
            org: r.try_get(2)?,
            scopes: scopes.split(',').filter_map(Scope::parse).collect(),
        }))
    }

    /// Revoke a token of `org_id`; false when no such token in that org.
    pub async fn revoke_token(&self, org_id: i64, token_id: i64, now: i64) -> Result<bool> {
        let r = q(
            "UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL"
                .into(),
        )
        .bind(now)
        .bind(token_id)
        .bind(org_id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    // ---------------------------------------------------------------- images

    /// Insert or update an image (by org and digest) with its inventory and inverted-index
    /// keys; returns its id.
    #[allow(clippy::too_many_arguments)]
    pub async fn upsert_image(
        &self,
        org_id: i64,
        meta: &ImageMeta,
        ci: &CiContext,
        source: &str,
        os: Option<&str>,
        distro_ns: Option<&str>,
        inventory_json: &str,
        package_count: usize,
        keys: &[(usize, String, String)],
        now: i64,
    ) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let row = q(
            "INSERT INTO images (org_id, digest, repo, os, distro_ns, platform, labels, \
                     layers, config_user, config_ports, source, ci, inventory, package_count, \
                     first_seen, last_scanned) \
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$15) \
                     ON CONFLICT (org_id, digest) DO UPDATE SET repo = $3, os = $4, \
                     distro_ns = $5, platform = $6, labels = $7, layers = $8, config_user = $9, \
                     config_ports = $10, source = $11, ci = $12, inventory = $13, \
                     package_count = $14, last_scanned = $15 \
                     RETURNING id"
                .into(),
        )
        .bind(org_id)
        .bind(meta.digest.clone())
        .bind(meta.repo.clone())
        .bind(os.map(str::to_string))
        .bind(distro_ns.map(str::to_string))
        .bind(meta.platform.clone())
        .bind(serde_json::to_string(&meta.labels)?)
        .bind(serde_json::to_string(&meta.layers)?)
        .bind(meta.config_user.clone())
        .bind(serde_json::to_string(&meta.config_ports)?)
        .bind(source.to_string())
        .bind(serde_json::to_string(ci)?)
        .bind(inventory_json.to_string())
        .bind(package_count as i64)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get(0)?;
        q("DELETE FROM image_tags WHERE image_id = $1".into())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for t in meta.tags.iter().collect::<BTreeSet<_>>() {
            q("INSERT INTO image_tags (image_id, tag) VALUES ($1, $2)".into())
                .bind(id)
                .bind(t.clone())
                .execute(&mut *tx)
                .await?;
        }
        q("DELETE FROM image_packages WHERE image_id = $1".into())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let uniq: BTreeSet<&(usize, String, String)> = keys.iter().collect();
        let uniq: Vec<_> = uniq.into_iter().collect();
        for chunk in uniq.chunks(200) {
            let mut sql = String::from(
                "INSERT INTO image_packages (image_id, pkg_index, ns, pkg_key) VALUES ",
            );
            for (n, _) in chunk.iter().enumerate() {
                if n > 0 {
                    sql.push(',');
                }
                let b = n * 4;
                sql.push_str(&format!("(${},${},${},${})", b + 1, b + 2, b + 3, b + 4));
            }
            let mut qy = q(sql);
            for (idx, ns, key) in chunk {
                qy = qy
                    .bind(id)
                    .bind(*idx as i64)
                    .bind(ns.clone())
                    .bind(key.clone());
            }
            qy.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// The stored inventory JSON of an image.
    pub async fn image_inventory(&self, image_id: i64) -> Result<(i64, String)> {
        let r = q("SELECT org_id, inventory FROM images WHERE id = $1".into())
            .bind(image_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(Error::NotFound)?;
        Ok((r.try_get(0)?, r.try_get(1)?))
    }

    /// Images of `org_id` whose packages are indexed under any of `keys`, with the package
    /// indexes concerned: the inverted query of continuous re-matching.
    pub async fn images_for_keys(
        &self,
        keys: &[(String, String)],
    ) -> Result<BTreeMap<i64, BTreeSet<usize>>> {
        let mut out: BTreeMap<i64, BTreeSet<usize>> = BTreeMap::new();
        for chunk in keys.chunks(200) {
            let mut sql = String::from("SELECT image_id, pkg_index FROM image_packages WHERE ");
            for (n, _) in chunk.iter().enumerate() {
                if n > 0 {
                    sql.push_str(" OR ");
                }
                sql.push_str(&format!(
                    "(ns = ${} AND pkg_key = ${})",
                    2 * n + 1,
                    2 * n + 2
                ));
            }
            let mut qy = q(sql);
            for (ns, key) in chunk {
                qy = qy.bind(ns.clone()).bind(key.clone());
            }
            for r in qy.fetch_all(&self.pool).await? {
                let img: i64 = r.try_get(0)?;
                let idx: i64 = r.try_get(1)?;
                out.entry(img).or_default().insert(idx as usize);
            }
        }
        Ok(out)
    }

    /// Every image id (for the periodic full re-match).
    pub async fn all_image_ids(&self) -> Result<Vec<i64>> {
        let rows = q("SELECT id FROM images ORDER BY id".into())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>(0).map_err(Error::from))
            .collect()
    }

    /// Images of an org, newest scan first.
    pub async fn list_images(&self, org_id: i64, limit: i64) -> Result<Vec<ImageRow>> {
        let rows = q(
            "SELECT id, digest, repo, os, platform, source, package_count, first_seen, \
                      last_scanned FROM images WHERE org_id = $1 \
                      ORDER BY last_scanned DESC, id DESC LIMIT $2"
                .into(),
        )
        .bind(org_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            out.push(self.image_row(&r).await?);
        }
        Ok(out)
    }

    async fn image_row(&self, r: &AnyRow) -> Result<ImageRow> {
        let id: i64 = r.try_get(0)?;
        let tags = q("SELECT tag FROM image_tags WHERE image_id = $1 ORDER BY tag".into())
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|t| t.try_get::<String, _>(0))
            .collect::<Result<Vec<_>, _>>()?;
        let mut open = BTreeMap::new();
        for c in q(
            "SELECT severity, COUNT(*) FROM findings WHERE image_id = $1 AND \
                    fixed_at IS NULL GROUP BY severity"
                .into(),
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        {
            open.insert(c.try_get::<String, _>(0)?, c.try_get::<i64, _>(1)?);
        }
        Ok(ImageRow {
            id,
            digest: r.try_get(1)?,
            repo: r.try_get(2)?,
            tags,
            os: r.try_get(3)?,
            platform: r.try_get(4)?,
            source: r.try_get(5)?,
            package_count: r.try_get(6)?,
            first_seen: r.try_get(7)?,
            last_scanned: r.try_get(8)?,
            open_findings: open,
        })
    }

    /// One image of `org_id`, by id or digest, with its metadata and inventory.
    pub async fn get_image(&self, org_id: i64, id_or_digest: &str) -> Result<serde_json::Value> {
        let sel = "SELECT id, digest, repo, os, platform, source, package_count, first_seen, \
                   last_scanned, labels, layers, config_user, config_ports, ci, inventory \
                   FROM images WHERE org_id = $1 AND ";
        let row = match id_or_digest.parse::<i64>() {
            Ok(id) => {
                q(format!("{sel}id = $2"))
                    .bind(org_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
            }
            Err(_) => {
                q(format!("{sel}digest = $2"))
                    .bind(org_id)
                    .bind(id_or_digest.to_string())
                    .fetch_optional(&self.pool)
                    .await?
            }
        };
        let r = row.ok_or(Error::NotFound)?;
        let base = self.image_row(&r).await?;
        let parse = |i: usize| -> Result<serde_json::Value> {
            let s: String = r.try_get(i)?;
            Ok(serde_json::from_str(&s)?)
        };
        let inventory = parse(14)?;
        let mut v = serde_json::to_value(&base)?;
        v["labels"] = parse(9)?;
        v["layers"] = parse(10)?;
        v["config_user"] = serde_json::to_value(r.try_get::<Option<String>, _>(11)?)?;
        v["config_ports"] = parse(12)?;
        v["ci"] = parse(13)?;
        v["os_info"] = inventory.get("os").cloned().unwrap_or_default();
        v["packages"] = inventory.get("packages").cloned().unwrap_or_default();
        Ok(v)
    }

    // ---------------------------------------------------------------- findings

    /// Reconcile stored findings of `image_id` with a fresh match.
    ///
    /// `scope`: the package identities that were re-matched (`None` = the whole image). Open
    /// findings of those packages missing from `fresh` get `fixed_at = now`; new ones are
    /// inserted with `first_seen = now` and `first_job = job`; fixed ones found again are
    /// reopened (first_seen kept, so SLA clocks do not restart).
    #[allow(clippy::too_many_arguments)]
    pub async fn reconcile(
        &self,
        org_id: i64,
        image_id: i64,
        scope: Option<&BTreeSet<PkgIdent>>,
        fresh: &[NewFinding],
        job: &str,
        now: i64,
        sla: &crate::sla::SlaPolicy,
    ) -> Result<Reconciled> {
        let mut tx = self.pool.begin().await?;
        let out = reconcile_in(&mut tx, org_id, image_id, scope, fresh, job, now, sla).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// [`Store::reconcile`] for many images in one transaction (re-match jobs).
    pub async fn reconcile_batch(
        &self,
        items: &[Reconcile<'_>],
        job: &str,
        now: i64,
        sla: &crate::sla::SlaPolicy,
    ) -> Result<Vec<Reconciled>> {
        let mut tx = self.pool.begin().await?;
        let mut out = Vec::with_capacity(items.len());
        for it in items {
            out.push(
                reconcile_in(
                    &mut tx,
                    it.org_id,
                    it.image_id,
                    it.scope,
                    it.fresh,
                    job,
                    now,
                    sla,
                )
                .await?,
            );
        }
        tx.commit().await?;
        Ok(out)
    }

    /// (image id, org id, inventory JSON) of several images.
    pub async fn image_inventories(&self, ids: &[i64]) -> Result<Vec<(i64, i64, String)>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let ph: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
            let mut qy = q(format!(
                "SELECT id, org_id, inventory FROM images WHERE id IN ({})",
                ph.join(",")
            ));
            for id in chunk {
                qy = qy.bind(*id);
            }
            for r in qy.fetch_all(&self.pool).await? {
                out.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?));
            }
        }
        Ok(out)
    }

    /// Findings of `org_id`, filtered, most severe first.
    pub async fn findings(
        &self,
        org_id: i64,
        fq: &FindingQuery,
        now: i64,
    ) -> Result<Vec<FindingRow>> {
        // with an image, leave f.org_id out of the WHERE clause so that the planner takes the
        // image's index (the org is still enforced through i.org_id: a finding's org is its
        // image's)
        let mut sql = format!(
            "SELECT {FINDING_COLS} FROM findings f JOIN images i ON i.id = f.image_id \
             WHERE i.org_id = $1 AND $2 = $2{}",
            if fq.image_id.is_some() {
                ""
            } else {
                " AND f.org_id = $1"
            }
        );
        if !fq.include_fixed {
            sql.push_str(" AND f.fixed_at IS NULL");
        }
        let mut params: Vec<Param> = Vec::new();
        if let Some((filter, p)) = &fq.filter {
            sql.push_str(&format!(" AND {filter}"));
            params.extend(p.iter().cloned());
        }
        let next = 3 + params.len();
        if let Some(img) = fq.image_id {
            sql.push_str(&format!(" AND f.image_id = ${next}"));
            params.push(Param::Int(img));
        }
        let next = 3 + params.len();
        sql.push_str(&format!(
            " ORDER BY f.severity_rank DESC, f.first_seen ASC, f.id ASC LIMIT ${} OFFSET ${}",
            next,
            next + 1
        ));
        params.push(Param::Int(fq.limit.clamp(1, 100_000)));
        params.push(Param::Int(fq.offset.max(0)));
        let qy = q(sql).bind(org_id).bind(now);
        let rows = bind_params(qy, &params).fetch_all(&self.pool).await?;
        rows.iter().map(|r| finding_from_row(r, now)).collect()
    }

    /// Findings that `job` created for `org_id` (the content of a notification).
    pub async fn findings_created_by(
        &self,
        org_id: i64,
        job: &str,
        now: i64,
    ) -> Result<Vec<FindingRow>> {
        let rows = q(format!(
            "SELECT {FINDING_COLS} FROM findings f JOIN images i ON i.id = f.image_id \
             WHERE f.org_id = $1 AND f.first_job = $2 AND f.fixed_at IS NULL \
             ORDER BY f.severity_rank DESC, f.id"
        ))
        .bind(org_id)
        .bind(job.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| finding_from_row(r, now)).collect()
    }

    /// Orgs with findings created by `job`.
    pub async fn orgs_with_new_findings(&self, job: &str) -> Result<Vec<i64>> {
        let rows =
            q("SELECT DISTINCT org_id FROM findings WHERE first_job = $1 ORDER BY org_id".into())
                .bind(job.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>(0).map_err(Error::from))
            .collect()
    }

    /// (severity, first_seen, fixed_at, sla_due) of every finding of an org: the input of
    /// trends, MTTR and SLA figures.
    pub async fn finding_times(
        &self,
        org_id: Option<i64>,
    ) -> Result<Vec<(String, i64, Option<i64>, Option<i64>)>> {
        let rows = match org_id {
            Some(o) => q(
                "SELECT severity, first_seen, fixed_at, sla_due FROM findings WHERE org_id = $1"
                    .into(),
            )
            .bind(o)
            .fetch_all(&self.pool)
            .await?,
            None => {
                q("SELECT severity, first_seen, fixed_at, sla_due FROM findings".into())
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
            .collect()
    }

    /// Recompute `sla_due` of every finding from its severity and `first_seen` (after the SLA
    /// policy changed).
    pub async fn apply_sla(&self, sla: &crate::sla::SlaPolicy) -> Result<()> {
        for (rank, secs) in sla.by_rank() {
            match secs {
                Some(s) => {
                    q(
                        "UPDATE findings SET sla_due = first_seen + $1 WHERE severity_rank = $2"
                            .into(),
                    )
                    .bind(s)
                    .bind(rank)
                    .execute(&self.pool)
                    .await?;
                }
                None => {
                    q("UPDATE findings SET sla_due = NULL WHERE severity_rank = $1".into())
                        .bind(rank)
                        .execute(&self.pool)
                        .await?;
                }
            }
        }
        Ok(())
    }

    // ---------------------------------------------------------------- runtime

    /// Upsert runtime records of `org_id`; returns how many were written.
    pub async fn upsert_runtime(
        &self,
        org_id: i64,
        recs: &[RuntimeRecord],
        now: i64,
    ) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        for r in recs {
            q("INSERT INTO runtime (org_id, cluster, namespace, workload, kind, container, image, \
               digest, first_seen, last_seen) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9) \
               ON CONFLICT (org_id, cluster, namespace, workload, container) DO UPDATE SET \
               kind = $5, image = $7, digest = $8, last_seen = $9"
                .into())
            .bind(org_id)
            .bind(r.cluster.clone())
            .bind(r.namespace.clone())
            .bind(r.workload.clone())
            .bind(r.kind.clone())
            .bind(r.container.clone())
            .bind(r.image.clone())
            .bind(r.digest.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(recs.len() as u64)
    }

    /// Runtime records of `org_id`.
    pub async fn runtime(&self, org_id: i64) -> Result<Vec<(RuntimeRecord, i64)>> {
        let rows = q(
            "SELECT cluster, namespace, workload, kind, container, image, digest, \
                      last_seen FROM runtime WHERE org_id = $1 \
                      ORDER BY cluster, namespace, workload, container"
                .into(),
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    RuntimeRecord {
                        cluster: r.try_get(0)?,
                        namespace: r.try_get(1)?,
                        workload: r.try_get(2)?,
                        kind: r.try_get(3)?,
                        container: r.try_get(4)?,
                        image: r.try_get(5)?,
                        digest: r.try_get(6)?,
                    },
                    r.try_get(7)?,
                ))
            })
            .collect()
    }

    /// (running digests, of which scanned since `since`) over all orgs or one org.
    pub async fn runtime_coverage(&self, org_id: Option<i64>, since: i64) -> Result<(i64, i64)> {
        let (filter, bind) = match org_id {
            Some(o) => ("WHERE r.org_id = $2", Some(o)),
            None => ("WHERE $2 = $2", Some(0)),
        };
        let sql = format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM images i WHERE \
             i.org_id = d.org_id AND i.digest = d.digest AND i.last_scanned >= $1) THEN 1 ELSE 0 \
             END), 0) AS BIGINT) FROM (SELECT DISTINCT r.org_id, r.digest FROM runtime r {filter}) d"
        );
        let r = q(sql)
            .bind(since)
            .bind(bind.unwrap_or(0))
            .fetch_one(&self.pool)
            .await?;
        let total: i64 = r.try_get(0)?;
        // SUM over integers is NUMERIC in PostgreSQL: cast to BIGINT above
        let scanned: i64 = r.try_get(1)?;
        Ok((total, scanned))
    }

    // ---------------------------------------------------------------- DB updates and jobs

    /// Record a vulnerability-DB update; false when this update id was recorded already (by
    /// this or another replica).
    #[allow(clippy::too_many_arguments)]
    pub async fn record_update(
        &self,
        id: &str,
        built_at: &str,
        baseline: bool,
        added: u64,
        changed: u64,
        withdrawn: u64,
        pkg_keys: u64,
        now: i64,
    ) -> Result<bool> {
        let r = q(
            "INSERT INTO db_updates (id, created_at, built_at, baseline, added, changed, \
                   withdrawn, pkg_keys) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) \
                   ON CONFLICT (id) DO NOTHING"
                .into(),
        )
        .bind(id.to_string())
        .bind(now)
        .bind(built_at.to_string())
        .bind(baseline as i64)
        .bind(added as i64)
        .bind(changed as i64)
        .bind(withdrawn as i64)
        .bind(pkg_keys as i64)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Number of recorded DB updates.
    pub async fn update_count(&self) -> Result<i64> {
        Ok(q("SELECT COUNT(*) FROM db_updates".into())
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }

    /// Enqueue a job unless one with the same (kind, key) exists; true when enqueued.
    pub async fn enqueue(&self, kind: &str, key: &str, payload: &str, now: i64) -> Result<bool> {
        let r = q(
            "INSERT INTO jobs (kind, job_key, payload, state, run_after, attempts, \
                   created_at) VALUES ($1,$2,$3,'queued',$4,0,$4) \
                   ON CONFLICT (kind, job_key) DO NOTHING"
                .into(),
        )
        .bind(kind.to_string())
        .bind(key.to_string())
        .bind(payload.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Claim one runnable job of one of `kinds` for `worker`: queued and due, or running but
    /// abandoned (locked longer than `stale_after` seconds). On PostgreSQL the candidate row
    /// is locked with `FOR UPDATE SKIP LOCKED`, so replicas never claim the same job.
    /// `rematch_key`: only `rematch` jobs for this update id are claimable (a replica can
    /// only re-match against the DB it holds).
    pub async fn claim_job(
        &self,
        kinds: &[&str],
        rematch_key: Option<&str>,
        worker: &str,
        now: i64,
        stale_after: i64,
    ) -> Result<Option<Job>> {
        let mut kind_sql = Vec::new();
        for (n, _) in kinds.iter().enumerate() {
            kind_sql.push(format!("${}", 6 + n));
        }
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', locked_by = $1, locked_at = $2, \
             attempts = attempts + 1 WHERE id = (SELECT id FROM jobs WHERE \
             ((state = 'queued' AND run_after <= $2) OR (state = 'running' AND locked_at < $3)) \
             AND (kind <> 'rematch' OR job_key = $4 OR job_key LIKE $5) AND kind IN ({}) \
             ORDER BY id LIMIT 1{lock}) RETURNING id, kind, job_key, payload, attempts",
            kind_sql.join(",")
        );
        let mut qy = q(sql)
            .bind(worker.to_string())
            .bind(now)
            .bind(now - stale_after)
            .bind(rematch_key.unwrap_or("").to_string())
            .bind(match rematch_key {
                Some(k) => format!("{k}#%"),
                None => String::new(),
            });
        for k in kinds {
            qy = qy.bind(k.to_string());
        }
        let row = match self.backend {
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                let r = qy.fetch_optional(&mut *tx).await?;
                tx.commit().await?;
                r
            }
            Backend::Sqlite => qy.fetch_optional(&self.pool).await?,
        };
        let Some(r) = row else { return Ok(None) };
        Ok(Some(Job {
            id: r.try_get(0)?,
            kind: r.try_get(1)?,
            key: r.try_get(2)?,
            payload: r.try_get(3)?,
            attempts: r.try_get(4)?,
        }))
    }

    /// Mark a claimed job done (with a JSON result) or failed (re-queued after `retry_in`
    /// seconds, up to 5 attempts).
    pub async fn finish_job(
        &self,
        job: &Job,
        outcome: std::result::Result<String, String>,
        now: i64,
    ) -> Result<()> {
        match outcome {
            Ok(result) => {
                q(
                    "UPDATE jobs SET state = 'done', finished_at = $1, result = $2, \
                   last_error = NULL WHERE id = $3"
                        .into(),
                )
                .bind(now)
                .bind(result)
                .bind(job.id)
                .execute(&self.pool)
                .await?;
            }
            Err(e) => {
                let state = if job.attempts >= 5 {
                    "failed"
                } else {
                    "queued"
                };
                q(
                    "UPDATE jobs SET state = $1, last_error = $2, run_after = $3 WHERE id = $4"
                        .into(),
                )
                .bind(state.to_string())
                .bind(e)
                .bind(now + 30 * job.attempts)
                .bind(job.id)
                .execute(&self.pool)
                .await?;
            }
        }
        Ok(())
    }

    /// (kind, key, state, result) of a job.
    pub async fn job_state(
        &self,
        kind: &str,
        key: &str,
    ) -> Result<Option<(String, Option<String>)>> {
        let r = q("SELECT state, result FROM jobs WHERE kind = $1 AND job_key = $2".into())
            .bind(kind.to_string())
            .bind(key.to_string())
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }

    /// Job counts by state (for /metrics).
    pub async fn job_counts(&self) -> Result<BTreeMap<String, i64>> {
        let mut out = BTreeMap::new();
        for r in q("SELECT state, COUNT(*) FROM jobs GROUP BY state".into())
            .fetch_all(&self.pool)
            .await?
        {
            out.insert(r.try_get(0)?, r.try_get(1)?);
        }
        Ok(out)
    }

    // ---------------------------------------------------------------- webhooks, notifications

    /// Register a webhook (`generic` or `slack`) for an org; returns its id.
    pub async fn add_webhook(&self, org_id: i64, kind: &str, url: &str, now: i64) -> Result<i64> {
        if kind != "generic" && kind != "slack" {
            return Err(Error::BadRequest(format!(
                "webhook kind {kind:?}: expected generic or slack"
            )));
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Error::BadRequest(format!(
                "webhook URL {url:?}: expected http(s)://"
            )));
        }
        let r = q(
            "INSERT INTO webhooks (org_id, kind, url, created_at) VALUES ($1,$2,$3,$4) \
                   RETURNING id"
                .into(),
        )
        .bind(org_id)
        .bind(kind.to_string())
        .bind(url.to_string())
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(r.try_get(0)?)
    }

    /// (id, kind, url) of an org's webhooks.
    pub async fn webhooks(&self, org_id: i64) -> Result<Vec<(i64, String, String)>> {
        let rows = q("SELECT id, kind, url FROM webhooks WHERE org_id = $1 ORDER BY id".into())
            .bind(org_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    /// Queue a notification unless one with the same (org, dedup key, webhook) exists: the
    /// once-per-update guarantee across replicas. True when queued.
    pub async fn queue_notification(
        &self,
        org_id: i64,
        dedup_key: &str,
        webhook_id: i64,
        payload: &str,
        now: i64,
    ) -> Result<bool> {
        let r = q(
            "INSERT INTO notifications (org_id, dedup_key, webhook_id, payload, state, \
                   attempts, created_at) VALUES ($1,$2,$3,$4,'pending',0,$5) \
                   ON CONFLICT (org_id, dedup_key, webhook_id) DO NOTHING"
                .into(),
        )
        .bind(org_id)
        .bind(dedup_key.to_string())
        .bind(webhook_id)
        .bind(payload.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Claim one pending notification (SKIP LOCKED on PostgreSQL).
    pub async fn claim_notification(&self, worker: &str, now: i64) -> Result<Option<Outgoing>> {
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE notifications SET state = 'sending', locked_by = $1, locked_at = $2, \
             attempts = attempts + 1 WHERE id = (SELECT id FROM notifications WHERE \
             (state = 'pending' OR (state = 'sending' AND locked_at < $3)) AND attempts < 5 \
             ORDER BY id LIMIT 1{lock}) RETURNING id, org_id, webhook_id, payload, attempts"
        );
        let qy = q(sql).bind(worker.to_string()).bind(now).bind(now - 120);
        let row = match self.backend {
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                let r = qy.fetch_optional(&mut *tx).await?;
                tx.commit().await?;
                r
            }
            Backend::Sqlite => qy.fetch_optional(&self.pool).await?,
        };
        let Some(r) = row else { return Ok(None) };
        let webhook_id: i64 = r.try_get(2)?;
        let w = q("SELECT kind, url FROM webhooks WHERE id = $1".into())
            .bind(webhook_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(Outgoing {
            id: r.try_get(0)?,
            org_id: r.try_get(1)?,
            payload: r.try_get(3)?,
            attempts: r.try_get(4)?,
            kind: w.try_get(0)?,
            url: w.try_get(1)?,
        }))
    }

    /// Record a delivery attempt's outcome.
    pub async fn finish_notification(
        &self,
        id: i64,
        outcome: std::result::Result<(), String>,
        now: i64,
    ) -> Result<()> {
        match outcome {
            Ok(()) => {
                q("UPDATE notifications SET state = 'sent', sent_at = $1 WHERE id = $2".into())
                    .bind(now)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
            }
            Err(e) => {
                q(
                    "UPDATE notifications SET state = 'pending', last_error = $1 WHERE id = $2"
                        .into(),
                )
                .bind(e)
                .bind(id)
                .execute(&self.pool)
                .await?;
            }
        }
        Ok(())
    }

    /// Notification counts by state.
    pub async fn notification_counts(&self) -> Result<BTreeMap<String, i64>> {
        let mut out = BTreeMap::new();
        for r in q("SELECT state, COUNT(*) FROM notifications GROUP BY state".into())
            .fetch_all(&self.pool)
            .await?
        {
            out.insert(r.try_get(0)?, r.try_get(1)?);
        }
        Ok(out)
    }

    // ---------------------------------------------------------------- registry watches

    /// Add a watched repository for an org.
    pub async fn add_watch(
        &self,
        org_id: i64,
        repository: &str,
        insecure: bool,
        now: i64,
    ) -> Result<i64> {
        q(
            "INSERT INTO watches (org_id, repository, insecure, created_at) VALUES ($1,$2,$3,$4) \
           ON CONFLICT (org_id, repository) DO UPDATE SET insecure = $3"
                .into(),
        )
        .bind(org_id)
        .bind(repository.to_string())
        .bind(insecure as i64)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let r = q("SELECT id FROM watches WHERE org_id = $1 AND repository = $2".into())
            .bind(org_id)
            .bind(repository.to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get(0)?)
    }

    /// (id, org_id, repository, insecure) of every watch.
    pub async fn watches(&self) -> Result<Vec<(i64, i64, String, bool)>> {
        let rows = q("SELECT id, org_id, repository, insecure FROM watches ORDER BY id".into())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get::<i64, _>(3)? != 0,
                ))
            })
            .collect()
    }

    /// Claim watch `id` for a poll at `now` when it was last polled at or before
    /// `due_before` (or never): one replica polls it, the others see it as not due.
    pub async fn claim_watch(&self, id: i64, now: i64, due_before: i64) -> Result<bool> {
        let r = q("UPDATE watches SET last_polled = $1 WHERE id = $2 AND \
                   (last_polled IS NULL OR last_polled <= $3)"
            .into())
        .bind(now)
        .bind(id)
        .bind(due_before)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Make watch `id` due at the next poll (a registry notification named its repository).
    pub async fn watch_due_now(&self, id: i64) -> Result<()> {
        q("UPDATE watches SET last_polled = NULL WHERE id = $1".into())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Record the outcome of a poll of watch `id`.
    pub async fn watch_outcome(&self, id: i64, tags: i64, error: Option<&str>) -> Result<()> {
        q("UPDATE watches SET last_tags = $1, last_error = $2 WHERE id = $3".into())
            .bind(tags)
            .bind(error.map(str::to_string))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The watches of one org with their poll state.
    pub async fn org_watches(&self, org_id: i64) -> Result<Vec<WatchRow>> {
        let rows = q(
            "SELECT id, repository, insecure, created_at, last_polled, last_tags, \
                      last_error FROM watches WHERE org_id = $1 ORDER BY id"
                .into(),
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(WatchRow {
                    id: r.try_get(0)?,
                    repository: r.try_get(1)?,
                    insecure: r.try_get::<i64, _>(2)? != 0,
                    created_at: r.try_get(3)?,
                    last_polled: r.try_get(4)?,
                    last_tags: r.try_get(5)?,
                    last_error: r.try_get(6)?,
                })
            })
            .collect()
    }

    /// Set the tags of the org's images of `repo` to what the registry says now: each image
    /// whose digest is in `tags` gets those tags, every other image of the repository loses
    /// its tags (they moved). Images not stored yet are left to their scan.
    pub async fn sync_repo_tags(
        &self,
        org_id: i64,
        repo: &str,
        tags: &BTreeMap<String, BTreeSet<String>>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let rows = q("SELECT id, digest FROM images WHERE org_id = $1 AND repo = $2".into())
            .bind(org_id)
            .bind(repo.to_string())
            .fetch_all(&mut *tx)
            .await?;
        for r in rows {
            let id: i64 = r.try_get(0)?;
            let digest: String = r.try_get(1)?;
            q("DELETE FROM image_tags WHERE image_id = $1".into())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for t in tags.get(&digest).into_iter().flatten() {
                q("INSERT INTO image_tags (image_id, tag) VALUES ($1, $2)".into())
                    .bind(id)
                    .bind(t.clone())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Add `tags` to the org's image `digest` (kept: tags it already has); false when the
    /// org has no such image.
    pub async fn add_image_tags(&self, org_id: i64, digest: &str, tags: &[String]) -> Result<bool> {
        let Some(r) = q("SELECT id FROM images WHERE org_id = $1 AND digest = $2".into())
            .bind(org_id)
            .bind(digest.to_string())
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(false);
        };
        let id: i64 = r.try_get(0)?;
        for t in tags.iter().collect::<BTreeSet<_>>() {
            q(
                "INSERT INTO image_tags (image_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING"
                    .into(),
            )
            .bind(id)
            .bind(t.clone())
            .execute(&self.pool)
            .await?;
        }
        Ok(true)
    }

    /// Whether `org_id` already has an image with `digest`.
    pub async fn has_image(&self, org_id: i64, digest: &str) -> Result<bool> {
        Ok(
            q("SELECT 1 FROM images WHERE org_id = $1 AND digest = $2".into())
                .bind(org_id)
                .bind(digest.to_string())
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    /// Counts for the overview: images, open findings by severity.
    pub async fn open_counts(&self, org_id: i64) -> Result<BTreeMap<String, i64>> {
        let mut out = BTreeMap::new();
        for r in q(
            "SELECT severity, COUNT(*) FROM findings WHERE org_id = $1 AND \
                    fixed_at IS NULL GROUP BY severity"
                .into(),
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?
        {
            out.insert(r.try_get(0)?, r.try_get(1)?);
        }
        Ok(out)
    }

    /// Number of images of an org.
    pub async fn image_count(&self, org_id: i64) -> Result<i64> {
        Ok(q("SELECT COUNT(*) FROM images WHERE org_id = $1".into())
            .bind(org_id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }
}

/// One image of a [`Store::reconcile_batch`].
pub struct Reconcile<'a> {
    pub org_id: i64,
    pub image_id: i64,
    pub scope: Option<&'a BTreeSet<PkgIdent>>,
    pub fresh: &'a [NewFinding],
}

#[allow(clippy::too_many_arguments)]
async fn reconcile_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    org_id: i64,
    image_id: i64,
    scope: Option<&BTreeSet<PkgIdent>>,
    fresh: &[NewFinding],
    job: &str,
    now: i64,
    sla: &crate::sla::SlaPolicy,
) -> Result<Reconciled> {
    let rows = q(
        "SELECT id, vuln_id, package, version, pkg_path, fixed_at, first_seen \
                      FROM findings WHERE image_id = $1"
            .into(),
    )
    .bind(image_id)
    .fetch_all(&mut **tx)
    .await?;
    type Key = (String, String, String, String);
    let mut existing: HashMap<Key, (i64, Option<i64>, i64)> = HashMap::new();
    for r in &rows {
        let k: Key = (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?);
        existing.insert(k, (r.try_get(0)?, r.try_get(5)?, r.try_get(6)?));
    }
    let mut out = Reconciled::default();
    let mut seen: BTreeSet<Key> = BTreeSet::new();
    for f in fresh {
        let k: Key = (
            f.vuln_id.clone(),
            f.package.clone(),
            f.version.clone(),
            f.pkg_path.clone(),
        );
        if !seen.insert(k.clone()) {
            continue;
        }
        let rank = f.severity as i64;
        match existing.get(&k) {
            None => {
                let due = sla.due(f.severity, now);
                q(
                    "INSERT INTO findings (org_id, image_id, vuln_id, package, version, \
                       pkg_path, ecosystem, ns, severity, severity_rank, cvss, epss, kev, \
                       fixable, fixed_version, status, title, published, first_seen, fixed_at, \
                       sla_due, first_job, last_job) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,\
                       $11,$12,$13,$14,$15,$16,$17,$18,$19,NULL,$20,$21,$21)"
                        .into(),
                )
                .bind(org_id)
                .bind(image_id)
                .bind(f.vuln_id.clone())
                .bind(f.package.clone())
                .bind(f.version.clone())
                .bind(f.pkg_path.clone())
                .bind(f.ecosystem.clone())
                .bind(f.ns.clone())
                .bind(f.severity.as_str().to_string())
                .bind(rank)
                .bind(f.cvss)
                .bind(f.epss)
                .bind(f.kev as i64)
                .bind(f.fixable as i64)
                .bind(f.fixed_version.clone())
                .bind(f.status.clone())
                .bind(f.title.clone())
                .bind(f.published)
                .bind(now)
                .bind(due)
                .bind(job.to_string())
                .execute(&mut **tx)
                .await?;
                out.new += 1;
            }
            Some((id, fixed_at, first_seen)) => {
                if fixed_at.is_some() {
                    out.reopened += 1;
                } else {
                    out.unchanged += 1;
                }
                q(
                    "UPDATE findings SET severity = $1, severity_rank = $2, cvss = $3, \
                       epss = $4, kev = $5, fixable = $6, fixed_version = $7, status = $8, \
                       title = $9, published = $10, fixed_at = NULL, sla_due = $11, \
                       last_job = $12 WHERE id = $13"
                        .into(),
                )
                .bind(f.severity.as_str().to_string())
                .bind(rank)
                .bind(f.cvss)
                .bind(f.epss)
                .bind(f.kev as i64)
                .bind(f.fixable as i64)
                .bind(f.fixed_version.clone())
                .bind(f.status.clone())
                .bind(f.title.clone())
                .bind(f.published)
                .bind(sla.due(f.severity, *first_seen))
                .bind(job.to_string())
                .bind(*id)
                .execute(&mut **tx)
                .await?;
            }
        }
    }
    for (k, (id, fixed_at, _)) in &existing {
        if fixed_at.is_some() || seen.contains(k) {
            continue;
        }
        let in_scope = scope.is_none_or(|s| s.contains(&(k.1.clone(), k.2.clone(), k.3.clone())));
        if !in_scope {
            continue;
        }
        q("UPDATE findings SET fixed_at = $1, last_job = $2 WHERE id = $3".into())
            .bind(now)
            .bind(job.to_string())
            .bind(*id)
            .execute(&mut **tx)
            .await?;
        out.fixed += 1;
    }
    Ok(out)
}
