//! The server's engine: the store, the current vulnerability DB, and the work the HTTP
//! handlers and the scheduler share (submissions, DB updates and their diffs, re-matching,
//! notifications, reports).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use drydock_inventory::Inventory;
use drydock_vulndb::{Db, Fingerprints, Severity, diff_fingerprints};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::error::{Error, Result};
use crate::fleet::{FleetReport, FleetRow, FleetSla, TrendPoint};
use crate::matching::analyze;
use crate::query::{Compiler, parse};
use crate::sla::SlaPolicy;
use crate::store::{
    CiContext, FindingQuery, FindingRow, ImageMeta, Principal, Reconciled, RuntimeRecord, Store,
};
use crate::watch::{PollOutcome, RegistrySource, ScanPayload};

/// Where the vulnerability DB comes from.
#[derive(Debug, Clone)]
pub enum DbSource {
    /// Build from a local folder of feeds (laid out like `../shared/feeds`) on every update.
    Feeds(PathBuf),
    /// Download the feeds (`drydock_vulndb::update`) into `<data dir>/feeds`, then build.
    Download(
        Box<drydock_vulndb::FeedUrls>,
        Box<drydock_vulndb::UpdateOptions>,
    ),
    /// A DB file maintained by someone else (`drydock db update` from cron): re-read when its
    /// content changes.
    File(PathBuf),
}

/// Server configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://PATH` or `postgres://...`.
    pub database_url: String,
    /// Where vulnerability DB versions and downloaded feeds are kept.
    pub data_dir: PathBuf,
    pub db_source: DbSource,
    /// How often the DB update runs (`None`: only on explicit ticks / at start).
    pub db_update_interval: Option<Duration>,
    /// How often every stored inventory is re-matched in full (the safety net).
    pub full_rematch_interval: Option<Duration>,
    /// Scheduler period (jobs and notifications are polled this often).
    pub tick: Duration,
    pub sla: SlaPolicy,
    /// Submissions fail their verdict when an open finding is at least this severe.
    pub fail_on: Severity,
    /// Only fixable findings fail the verdict.
    pub fail_on_fixable_only: bool,
    /// A `drydock.yaml` policy: when set, the verdict of a submission is this policy's gate
    /// (fail_on, rules, ignores with expiry, image requirements) over the submission's
    /// findings, as `drydock image --policy` would decide it, instead of `fail_on`.
    pub policy: Option<Arc<drydock_policy::Policy>>,
    /// This replica's name (job locks).
    pub replica_id: String,
    /// The registry client of watches (`None`: watches are not polled and notifications are
    /// refused).
    pub registry: Option<Arc<dyn crate::watch::RegistrySource>>,
    /// How often each watched repository's tags are listed.
    pub watch_interval: Duration,
    /// At most this many tags of one repository are resolved per poll (the rest are named
    /// in the watch's error).
    pub watch_max_tags: usize,
}

impl Config {
    pub fn new(database_url: &str, data_dir: &Path, db_source: DbSource) -> Config {
        Config {
            database_url: database_url.to_string(),
            data_dir: data_dir.to_path_buf(),
            db_source,
            db_update_interval: Some(Duration::from_secs(6 * 3600)),
            full_rematch_interval: Some(Duration::from_secs(24 * 3600)),
            tick: Duration::from_secs(10),
            sla: SlaPolicy::default(),
            fail_on: Severity::Critical,
            fail_on_fixable_only: false,
            policy: None,
            replica_id: format!(
                "{}-{}",
                std::env::var("HOSTNAME").unwrap_or_else(|_| "drydock".into()),
                std::process::id()
            ),
            registry: None,
            watch_interval: Duration::from_secs(300),
            watch_max_tags: 1000,
        }
    }
}

/// The DB version this replica matches against.
#[derive(Debug, Clone)]
pub struct VulnDbState {
    pub path: PathBuf,
    pub update_id: String,
    pub built_at: String,
    pub fingerprints: Arc<Fingerprints>,
}

/// A clock in unix seconds that tests can move forward.
#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp() + self.offset.load(Ordering::Relaxed)
    }
    /// Move the clock forward by `secs` (tests: SLA breaches, stale locks).
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::Relaxed);
    }
}

/// Counters for /metrics.
#[derive(Debug, Default)]
pub struct Counters {
    pub ticks: AtomicU64,
    pub submissions: AtomicU64,
    pub db_updates: AtomicU64,
    pub rematch_jobs: AtomicU64,
    pub rematched_images: AtomicU64,
    pub notifications_sent: AtomicU64,
    pub notification_failures: AtomicU64,
    pub last_rematch_ms: AtomicU64,
    pub registry_polls: AtomicU64,
    pub registry_scans: AtomicU64,
    pub registry_failures: AtomicU64,
}

/// What a submission sends (`POST /api/v1/images`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubmitRequest {
    /// The SBOM (CycloneDX or SPDX JSON; the CLI sends Drydock's CycloneDX).
    pub sbom: serde_json::Value,
    pub image: ImageMeta,
    #[serde(default)]
    pub ci: CiContext,
}

/// The answer to a submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmitResponse {
    pub image_id: i64,
    pub digest: String,
    pub verdict: Verdict,
    /// Open findings by severity.
    pub counts: BTreeMap<String, i64>,
    pub findings: Vec<FindingRow>,
    pub packages: usize,
    pub reconciled: Reconciled,
    pub warnings: Vec<String>,
}

/// The policy verdict of a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub pass: bool,
    /// The rule applied (`severity >= CRITICAL`, `... and fixable`).
    pub rule: String,
    /// Findings that failed it (`CVE-... in pkg version (SEVERITY)`), at most 20.
    pub reasons: Vec<String>,
}

/// A re-match job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RematchPayload {
    pub update_id: String,
    /// `diff` (only the listed keys) or `full`.
    pub mode: String,
    #[serde(default)]
    pub keys: Vec<(String, String)>,
    /// Notify about new findings (false on the very first sync).
    pub notify: bool,
}

/// What a re-match job did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RematchResult {
    pub images: u64,
    pub packages: u64,
    pub new: u64,
    pub fixed: u64,
    pub reopened: u64,
    pub notifications: u64,
    pub elapsed_ms: u64,
}

/// What one DB update did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateOutcome {
    pub update_id: String,
    pub baseline: bool,
    pub added: usize,
    pub changed: usize,
    pub withdrawn: usize,
    pub pkg_keys: usize,
    /// Whether this replica recorded it first (and enqueued the re-match).
    pub enqueued: bool,
}

/// The engine.
pub struct Engine {
    pub store: Store,
    pub config: Config,
    pub clock: Clock,
    pub counters: Counters,
    vulndb: Mutex<Option<VulnDbState>>,
    update_lock: tokio::sync::Mutex<()>,
    last_update: Mutex<Option<Instant>>,
    last_full: Mutex<Option<Instant>>,
    http: reqwest::Client,
}

/// The stored inventory with only the packages at `only` parsed (the others are left as
/// defaults at their index: a diff re-match touches a few packages of each image).
fn partial_inventory(json: &str, only: Option<&BTreeSet<usize>>) -> Result<Inventory> {
    let Some(only) = only else {
        return Ok(serde_json::from_str(json)?);
    };
    #[derive(Deserialize)]
    struct Lazy<'a> {
        #[serde(default)]
        os: Option<drydock_inventory::OsInfo>,
        #[serde(borrow)]
        packages: Vec<&'a serde_json::value::RawValue>,
    }
    let lazy: Lazy<'_> = serde_json::from_str(json)?;
    let mut packages = Vec::with_capacity(lazy.packages.len());
    for (i, raw) in lazy.packages.iter().enumerate() {
        packages.push(if only.contains(&i) {
            serde_json::from_str(raw.get())?
        } else {
            placeholder_package()
        });
    }
    Ok(Inventory {
        os: lazy.os,
        packages,
        warnings: Vec::new(),
    })
}

fn placeholder_package() -> drydock_inventory::Package {
    drydock_inventory::Package {
        kind: drydock_inventory::PackageKind::Apk,
        name: String::new(),
        version: String::new(),
        arch: None,
        source_name: String::new(),
        source_version: String::new(),
        purl: String::new(),
        license: None,
        path: String::new(),
        module: None,
        dev: false,
        layer_index: 0,
        layer_diff_id: String::new(),
    }
}

fn update_id_of(fp: &Fingerprints) -> String {
    let mut h = sha2::Sha256::new();
    for ((ns, p, v), x) in fp {
        h.update(ns.as_bytes());
        h.update([0]);
        h.update(p.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
        h.update([0]);
        h.update(x.to_le_bytes());
    }
    hex::encode(&h.finalize()[..16])
}

fn rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

impl Engine {
    /// Connect the store (running migrations) and load the last DB version this replica
    /// held, if any.
    pub async fn new(config: Config) -> Result<Arc<Engine>> {
        let store = Store::connect(&config.database_url).await?;
        store.apply_sla(&config.sla).await?;
        let dir = config.data_dir.join("vulndb");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let engine = Engine {
            store,
            config,
            clock: Clock::default(),
            counters: Counters::default(),
            vulndb: Mutex::new(None),
            update_lock: tokio::sync::Mutex::new(()),
            last_update: Mutex::new(None),
            last_full: Mutex::new(None),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()?,
        };
        if let Some(state) = engine.load_current().await? {
            *engine.vulndb.lock().expect("vulndb lock") = Some(state);
        }
        Ok(Arc::new(engine))
    }

    fn current_pointer(&self) -> PathBuf {
        self.config.data_dir.join("vulndb").join("CURRENT")
    }

    async fn load_current(&self) -> Result<Option<VulnDbState>> {
        let ptr = self.current_pointer();
        let Ok(text) = std::fs::read_to_string(&ptr) else {
            return Ok(None);
        };
        let mut lines = text.lines();
        let (Some(name), Some(update_id)) = (lines.next(), lines.next()) else {
            return Ok(None);
        };
        let update_id = update_id.trim().to_string();
        let path = self.config.data_dir.join("vulndb").join(name.trim());
        if !path.is_file() {
            return Ok(None);
        }
        let p = path.clone();
        let (fp, built_at) = tokio::task::spawn_blocking(move || -> Result<_> {
            let db = Db::open(&p)?;
            Ok((db.fingerprints()?, db.info()?.built_at))
        })
        .await??;
        Ok(Some(VulnDbState {
            path,
            update_id,
            built_at,
            fingerprints: Arc::new(fp),
        }))
    }

    /// The DB version in use, if any.
    pub fn vulndb(&self) -> Option<VulnDbState> {
        self.vulndb.lock().expect("vulndb lock").clone()
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    // ------------------------------------------------------------------ submissions

    /// Store a submitted SBOM + metadata, match it, answer the verdict.
    pub async fn submit(
        &self,
        who: &Principal,
        req: SubmitRequest,
        source: &str,
    ) -> Result<SubmitResponse> {
        let digest = req.image.digest.trim().to_string();
        if digest.is_empty() || digest.len() > 200 {
            return Err(Error::BadRequest("image.digest is required".into()));
        }
        let bytes = serde_json::to_vec(&req.sbom)?;
        let inv =
            drydock_inventory::sbom::parse_sbom(&bytes).map_err(|e| Error::Sbom(e.to_string()))?;
        self.store_inventory(who.org_id, &req.image, &req.ci, source, inv)
            .await
    }

    /// Match and store an inventory for an image of `org_id` (submissions and registry
    /// scans); new findings of a submission are not notified (the verdict reports them).
    pub async fn store_inventory(
        &self,
        org_id: i64,
        meta: &ImageMeta,
        ci: &CiContext,
        source: &str,
        inv: Inventory,
    ) -> Result<SubmitResponse> {
        let state = self.vulndb().ok_or(Error::NoVulnDb)?;
        let path = state.path.clone();
        let inv = Arc::new(inv);
        let inv2 = inv.clone();
        let policy = self.config.policy.clone();
        let meta2 = meta.clone();
        let (analysis, policy_gate) = tokio::task::spawn_blocking(move || -> Result<_> {
            let db = Db::open(&path)?;
            let analysis = analyze(&db, &inv2, None)?;
            let gate = match &policy {
                Some(p) => Some(policy_gate(&db, &inv2, &meta2, p)?),
                None => None,
            };
            Ok((analysis, gate))
        })
        .await??;
        let now = self.now();
        let os = inv.os.as_ref().map(|o| o.display());
        let inv_json = serde_json::to_string(&*inv)?;
        let image_id = self
            .store
            .upsert_image(
                org_id,
                meta,
                ci,
                source,
                os.as_deref(),
                analysis.distro_ns.as_deref(),
                &inv_json,
                inv.packages.len(),
                &analysis.keys,
                now,
            )
            .await?;
        let job = format!("submit:{image_id}:{now}");
        let reconciled = self
            .store
            .reconcile(
                org_id,
                image_id,
                None,
                &analysis.findings,
                &job,
                now,
                &self.config.sla,
            )
            .await?;
        self.counters.submissions.fetch_add(1, Ordering::Relaxed);
        let findings = self
            .store
            .findings(
                org_id,
                &FindingQuery {
                    image_id: Some(image_id),
                    limit: 100_000,
                    ..Default::default()
                },
                now,
            )
            .await?;
        let mut counts = BTreeMap::new();
        for f in &findings {
            *counts.entry(f.severity.clone()).or_insert(0) += 1;
        }
        let verdict = match (&policy_gate, &self.config.policy) {
            (Some(gate), Some(p)) => Verdict {
                pass: !gate.failed,
                rule: format!("policy {}", p.file),
                reasons: gate.reasons.iter().take(20).cloned().collect(),
            },
            _ => self.verdict(&findings),
        };
        Ok(SubmitResponse {
            image_id,
            digest: meta.digest.clone(),
            verdict,
            counts,
            findings,
            packages: inv.packages.len(),
            reconciled,
            warnings: analysis.warnings,
        })
    }

    fn verdict(&self, findings: &[FindingRow]) -> Verdict {
        let min = self.config.fail_on as i64;
        let mut reasons = Vec::new();
        let mut failed = 0;
        for f in findings {
            let rank = Severity::parse(&f.severity).map_or(0, |s| s as i64);
            if rank >= min && (!self.config.fail_on_fixable_only || f.fixable) {
                failed += 1;
                if reasons.len() < 20 {
                    reasons.push(format!(
                        "{} in {} {} ({})",
                        f.vuln_id, f.package, f.version, f.severity
                    ));
                }
            }
        }
        Verdict {
            pass: failed == 0,
            rule: format!(
                "no open finding with severity >= {}{}",
                self.config.fail_on.as_str(),
                if self.config.fail_on_fixable_only {
                    " and a fix available"
                } else {
                    ""
                }
            ),
            reasons,
        }
    }

    // ------------------------------------------------------------------ DB updates

    /// Run one DB update: build/download the new DB, diff its fingerprints with the current
    /// ones, record the update (once across replicas) and enqueue the re-match. `None` when
    /// nothing changed.
    pub async fn db_update(&self) -> Result<Option<UpdateOutcome>> {
        let _guard = self.update_lock.lock().await;
        let dir = self.config.data_dir.join("vulndb");
        let tmp = dir.join(format!("next-{}.db", std::process::id()));
        let source = self.config.db_source.clone();
        let feeds_dir = self.config.data_dir.join("feeds");
        let tmp2 = tmp.clone();
        let (fp, built_at) = tokio::task::spawn_blocking(move || -> Result<_> {
            match &source {
                DbSource::Feeds(from) => {
                    drydock_vulndb::build(from, &tmp2, &drydock_vulndb::BuildOptions::default())?;
                }
                DbSource::Download(urls, opts) => {
                    drydock_vulndb::update(urls, &feeds_dir, &tmp2, opts)?;
                }
                DbSource::File(p) => {
                    std::fs::copy(p, &tmp2).map_err(|e| Error::io(p, e))?;
                }
            }
            let db = Db::open(&tmp2)?;
            Ok((db.fingerprints()?, db.info()?.built_at))
        })
        .await??;
        *self.last_update.lock().expect("lock") = Some(Instant::now());
        let content_id = update_id_of(&fp);
        let previous = self.vulndb();
        if previous.as_ref().is_some_and(|p| *p.fingerprints == fp) {
            let _ = std::fs::remove_file(&tmp);
            return Ok(None);
        }
        // The update id chains the previous one with the new content: replicas that move
        // from the same DB to the same DB agree on it, and going back to an earlier content
        // (an advisory withdrawn again) is still a new update.
        let update_id = {
            let mut h = sha2::Sha256::new();
            h.update(
                previous
                    .as_ref()
                    .map_or("", |p| p.update_id.as_str())
                    .as_bytes(),
            );
            h.update(b"\n");
            h.update(content_id.as_bytes());
            hex::encode(&h.finalize()[..16])
        };
        let final_path = dir.join(format!("vulndb-{content_id}.db"));
        std::fs::rename(&tmp, &final_path).map_err(|e| Error::io(&final_path, e))?;
        let now = self.now();
        let (payload, outcome) = match &previous {
            Some(prev) => {
                let diff = diff_fingerprints(&prev.fingerprints, &fp);
                let keys: Vec<(String, String)> = diff.package_keys().into_iter().collect();
                let out = UpdateOutcome {
                    update_id: update_id.clone(),
                    baseline: false,
                    added: diff.added.len(),
                    changed: diff.changed.len(),
                    withdrawn: diff.withdrawn.len(),
                    pkg_keys: keys.len(),
                    enqueued: false,
                };
                (
                    RematchPayload {
                        update_id: update_id.clone(),
                        mode: "diff".into(),
                        keys,
                        notify: true,
                    },
                    out,
                )
            }
            None => {
                // this replica has nothing to diff against: re-match everything; notify
                // only when the system had synced before (never flood on the first sync)
                let first_sync = self.store.update_count().await? == 0;
                (
                    RematchPayload {
                        update_id: update_id.clone(),
                        mode: "full".into(),
                        keys: vec![],
                        notify: !first_sync,
                    },
                    UpdateOutcome {
                        update_id: update_id.clone(),
                        baseline: first_sync,
                        added: fp.len(),
                        changed: 0,
                        withdrawn: 0,
                        pkg_keys: 0,
                        enqueued: false,
                    },
                )
            }
        };
        let recorded = self
            .store
            .record_update(
                &update_id,
                &built_at,
                outcome.baseline,
                outcome.added as u64,
                outcome.changed as u64,
                outcome.withdrawn as u64,
                outcome.pkg_keys as u64,
                now,
            )
            .await?;
        let enqueued = recorded
            && self
                .store
                .enqueue(
                    "rematch",
                    &update_id,
                    &serde_json::to_string(&payload)?,
                    now,
                )
                .await?;
        // switch to the new DB, write the pointer, drop versions older than the previous one
        std::fs::write(
            self.current_pointer(),
            format!("vulndb-{content_id}.db\n{update_id}\n"),
        )
        .map_err(|e| Error::io(self.current_pointer(), e))?;
        *self.vulndb.lock().expect("vulndb lock") = Some(VulnDbState {
            path: final_path.clone(),
            update_id: update_id.clone(),
            built_at,
            fingerprints: Arc::new(fp),
        });
        if let Ok(rd) = std::fs::read_dir(&dir) {
            let keep: BTreeSet<PathBuf> = [Some(final_path), previous.map(|p| p.path)]
                .into_iter()
                .flatten()
                .collect();
            for e in rd.flatten() {
                let p = e.path();
                let name = e.file_name().to_string_lossy().to_string();
                if name.starts_with("vulndb-") && name.ends_with(".db") && !keep.contains(&p) {
                    let _ = std::fs::remove_file(&p);
                }
            }
        }
        self.counters.db_updates.fetch_add(1, Ordering::Relaxed);
        tracing::info!(%update_id, enqueued, "vulnerability DB updated");
        Ok(Some(UpdateOutcome {
            enqueued,
            ..outcome
        }))
    }

    // ------------------------------------------------------------------ jobs

    /// Claim and run jobs until none is runnable; returns how many ran.
    pub async fn run_jobs(&self) -> Result<usize> {
        let mut ran = 0;
        loop {
            let current = self.vulndb().map(|s| s.update_id);
            let Some(job) = self
                .store
                .claim_job(
                    &["rematch", "scan"],
                    current.as_deref(),
                    &self.config.replica_id,
                    self.now(),
                    900,
                )
                .await?
            else {
                return Ok(ran);
            };
            ran += 1;
            let outcome = match job.kind.as_str() {
                "rematch" => self
                    .run_rematch(&job.key, &job.payload)
                    .await
                    .and_then(|r| Ok(serde_json::to_string(&r)?))
                    .map_err(|e| e.to_string()),
                "scan" => self
                    .run_scan(&job.payload)
                    .await
                    .and_then(|r| Ok(serde_json::to_string(&r)?))
                    .map_err(|e| e.to_string()),
                other => Err(format!("unknown job kind {other}")),
            };
            if let Err(e) = &outcome {
                tracing::warn!(job = %job.key, "job failed: {e}");
            }
            self.store.finish_job(&job, outcome, self.now()).await?;
        }
    }

    /// Re-match the images a payload names against the current DB, reconcile their
    /// findings, queue notifications.
    pub async fn run_rematch(&self, job_key: &str, payload: &str) -> Result<RematchResult> {
        let started = Instant::now();
        let p: RematchPayload = serde_json::from_str(payload)?;
        let state = self.vulndb().ok_or(Error::NoVulnDb)?;
        let targets: Vec<(i64, Option<BTreeSet<usize>>)> = match p.mode.as_str() {
            "diff" => self
                .store
                .images_for_keys(&p.keys)
                .await?
                .into_iter()
                .map(|(id, idx)| (id, Some(idx)))
                .collect(),
            _ => self
                .store
                .all_image_ids()
                .await?
                .into_iter()
                .map(|id| (id, None))
                .collect(),
        };
        let mut result = RematchResult::default();
        for batch in targets.chunks(256) {
            let ids: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
            let only: BTreeMap<i64, Option<BTreeSet<usize>>> = batch.iter().cloned().collect();
            let loaded: Vec<_> = self
                .store
                .image_inventories(&ids)
                .await?
                .into_iter()
                .map(|(id, org, inv)| (id, org, inv, only.get(&id).cloned().flatten()))
                .collect();
            let path = state.path.clone();
            let analyses = tokio::task::spawn_blocking(move || -> Result<Vec<_>> {
                let db = Db::open(&path)?;
                let mut out = Vec::with_capacity(loaded.len());
                for (id, org, inv, only) in loaded {
                    let inv = partial_inventory(&inv, only.as_ref())?;
                    let a = analyze(&db, &inv, only.as_ref())?;
                    out.push((id, org, only.is_some(), a));
                }
                Ok(out)
            })
            .await??;
            let now = self.now();
            let items: Vec<crate::store::Reconcile<'_>> = analyses
                .iter()
                .map(|(id, org, partial, a)| crate::store::Reconcile {
                    org_id: *org,
                    image_id: *id,
                    scope: partial.then_some(&a.scope),
                    fresh: &a.findings,
                })
                .collect();
            let done = self
                .store
                .reconcile_batch(&items, job_key, now, &self.config.sla)
                .await?;
            for ((_, _, _, a), r) in analyses.iter().zip(done) {
                result.images += 1;
                result.packages += a.scope.len() as u64;
                result.new += r.new;
                result.fixed += r.fixed;
                result.reopened += r.reopened;
            }
        }
        if p.notify {
            result.notifications = self.queue_notifications(job_key, &p.update_id).await?;
        }
        result.elapsed_ms = started.elapsed().as_millis() as u64;
        self.counters.rematch_jobs.fetch_add(1, Ordering::Relaxed);
        self.counters
            .rematched_images
            .fetch_add(result.images, Ordering::Relaxed);
        self.counters
            .last_rematch_ms
            .store(result.elapsed_ms, Ordering::Relaxed);
        tracing::info!(job = job_key, ?result, "re-match done");
        Ok(result)
    }

    async fn queue_notifications(&self, job_key: &str, update_id: &str) -> Result<u64> {
        let now = self.now();
        let mut queued = 0;
        for org in self.store.orgs_with_new_findings(job_key).await? {
            let findings = self.store.findings_created_by(org, job_key, now).await?;
            if findings.is_empty() {
                continue;
            }
            let org_name = self.org_name(org).await?;
            for (wid, kind, _) in self.store.webhooks(org).await? {
                let body = match kind.as_str() {
                    "slack" => crate::notify::slack_payload(&org_name, update_id, &findings),
                    _ => crate::notify::generic_payload(&org_name, update_id, &findings),
                };
                if self
                    .store
                    .queue_notification(
                        org,
                        &format!("update:{job_key}"),
                        wid,
                        &body.to_string(),
                        now,
                    )
                    .await?
                {
                    queued += 1;
                }
            }
        }
        Ok(queued)
    }

    async fn org_name(&self, org_id: i64) -> Result<String> {
        use sqlx::Row as _;
        let r = sqlx::query("SELECT name FROM orgs WHERE id = $1")
            .bind(org_id)
            .fetch_one(self.store.pool())
            .await?;
        Ok(r.try_get(0)?)
    }

    /// Deliver pending notifications; returns how many were sent.
    pub async fn deliver_notifications(&self) -> Result<usize> {
        let mut sent = 0;
        while let Some(n) = self
            .store
            .claim_notification(&self.config.replica_id, self.now())
            .await?
        {
            let r = crate::notify::deliver(&self.http, &n.url, &n.payload).await;
            match &r {
                Ok(()) => {
                    sent += 1;
                    self.counters
                        .notifications_sent
                        .fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    tracing::warn!("notification {} failed: {e}", n.id);
                    self.counters
                        .notification_failures
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
            let failed = r.is_err();
            self.store.finish_notification(n.id, r, self.now()).await?;
            if failed {
                break;
            }
        }
        Ok(sent)
    }

    /// One scheduler tick: a DB update when due (or when there is no DB yet), a periodic full
    /// re-match when due, then every runnable job, then pending notifications.
    pub async fn tick(&self, force_update: bool) -> Result<()> {
        let due = |last: &Mutex<Option<Instant>>, every: Option<Duration>| {
            let last = *last.lock().expect("lock");
            match (last, every) {
                (None, _) => true,
                (Some(l), Some(e)) => l.elapsed() >= e,
                (Some(_), None) => false,
            }
        };
        let update_due = force_update
            || self.vulndb().is_none()
            || due(&self.last_update, self.config.db_update_interval);
        if update_due && let Err(e) = self.db_update().await {
            tracing::warn!("vulnerability DB update failed: {e}");
            if self.vulndb().is_none() {
                return Err(e);
            }
        }
        if let Some(state) = self.vulndb() {
            let first = self.last_full.lock().expect("lock").is_none();
            if first {
                *self.last_full.lock().expect("lock") = Some(Instant::now());
            } else if due(&self.last_full, self.config.full_rematch_interval) {
                *self.last_full.lock().expect("lock") = Some(Instant::now());
                self.enqueue_full_rematch(&state.update_id).await?;
            }
        }
        if self.config.registry.is_some()
            && let Err(e) = self.poll_watches().await
        {
            tracing::warn!("registry watches: {e}");
        }
        self.run_jobs().await?;
        self.deliver_notifications().await?;
        self.counters.ticks.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    // ------------------------------------------------------------------ registry watches

    fn registry(&self) -> Result<Arc<dyn RegistrySource>> {
        self.config.registry.clone().ok_or_else(|| {
            Error::NotImplemented("this server has no registry client configured".into())
        })
    }

    /// Poll every watch that is due (claimed, so one replica polls each): list its tags,
    /// resolve each to its manifest digest, move the stored images' tags to where they point
    /// now, and queue a `scan` job for every digest the org has not stored.
    pub async fn poll_watches(&self) -> Result<Vec<PollOutcome>> {
        let registry = self.registry()?;
        let now = self.now();
        let every = self.config.watch_interval.as_secs() as i64;
        let mut out = Vec::new();
        for (id, org_id, repository, insecure) in self.store.watches().await? {
            if !self.store.claim_watch(id, now, now - every).await? {
                continue;
            }
            self.counters.registry_polls.fetch_add(1, Ordering::Relaxed);
            match self
                .poll_watch(&registry, id, org_id, &repository, insecure)
                .await
            {
                Ok(o) => {
                    let err = (!o.errors.is_empty()).then(|| o.errors.join("; "));
                    self.store
                        .watch_outcome(id, o.tags as i64, err.as_deref())
                        .await?;
                    out.push(o);
                }
                Err(e) => {
                    self.counters
                        .registry_failures
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(%repository, "registry watch poll failed: {e}");
                    self.store
                        .watch_outcome(id, 0, Some(&e.to_string()))
                        .await?;
                    out.push(PollOutcome {
                        watch_id: id,
                        repository,
                        errors: vec![e.to_string()],
                        ..Default::default()
                    });
                }
            }
        }
        Ok(out)
    }

    async fn poll_watch(
        &self,
        registry: &Arc<dyn RegistrySource>,
        watch_id: i64,
        org_id: i64,
        repository: &str,
        insecure: bool,
    ) -> Result<PollOutcome> {
        let max = self.config.watch_max_tags;
        let (reg, repo) = (registry.clone(), repository.to_string());
        let (resolved, errors, total) = tokio::task::spawn_blocking(move || -> Result<_> {
            let mut tags = reg.list_tags(&repo, insecure)?;
            tags.sort();
            let total = tags.len();
            let mut errors = Vec::new();
            if total > max {
                errors.push(format!(
                    "{total} tags: only the first {max} (sorted) are resolved"
                ));
                tags.truncate(max);
            }
            let mut resolved = Vec::new();
            for tag in tags {
                match reg.resolve(&format!("{repo}:{tag}"), insecure) {
                    Ok(d) => resolved.push((tag, d)),
                    Err(e) => errors.push(format!("{tag}: {e}")),
                }
            }
            Ok((resolved, errors, total))
        })
        .await??;
        let name = canonical_repository(repository);
        let groups = crate::watch::by_digest(&resolved);
        let tag_sets: BTreeMap<String, BTreeSet<String>> = groups
            .iter()
            .map(|(d, t)| (d.clone(), t.iter().cloned().collect()))
            .collect();
        if errors.is_empty() {
            self.store.sync_repo_tags(org_id, &name, &tag_sets).await?;
        } else {
            // a partial answer (a tag failed to resolve, or past --watch-max-tags) must not
            // take tags away: only add what was seen
            for (digest, tags) in &groups {
                self.store.add_image_tags(org_id, digest, tags).await?;
            }
        }
        let mut queued = 0;
        for (digest, tags) in &groups {
            if self.store.has_image(org_id, digest).await? {
                continue;
            }
            if self
                .enqueue_scan(&ScanPayload {
                    org_id,
                    watch_id,
                    repository: repository.to_string(),
                    digest: digest.clone(),
                    tags: tags.clone(),
                    insecure,
                })
                .await?
            {
                queued += 1;
            }
        }
        Ok(PollOutcome {
            watch_id,
            repository: repository.to_string(),
            tags: total,
            digests: groups.len(),
            queued,
            errors,
        })
    }

    async fn enqueue_scan(&self, p: &ScanPayload) -> Result<bool> {
        let key = format!("{}:{}@{}", p.org_id, p.repository, p.digest);
        self.store
            .enqueue("scan", &key, &serde_json::to_string(p)?, self.now())
            .await
    }

    /// A `scan` job: pull `repository@digest` (unless the org stored it meanwhile), catalogue
    /// it and store it like a submission (source `registry`).
    pub async fn run_scan(&self, payload: &str) -> Result<serde_json::Value> {
        let p: ScanPayload = serde_json::from_str(payload)?;
        if self.store.has_image(p.org_id, &p.digest).await? {
            self.store
                .add_image_tags(p.org_id, &p.digest, &p.tags)
                .await?;
            return Ok(serde_json::json!({"digest": p.digest, "scanned": false}));
        }
        let registry = self.registry()?;
        let reference = format!("{}@{}", p.repository, p.digest);
        let (mut meta, inv) =
            tokio::task::spawn_blocking(move || registry.scan(&reference, p.insecure))
                .await?
                .inspect_err(|_| {
                    self.counters
                        .registry_failures
                        .fetch_add(1, Ordering::Relaxed);
                })?;
        if meta.digest != p.digest {
            return Err(Error::Registry(format!(
                "{}@{} resolved to the manifest {}: not scanned",
                p.repository, p.digest, meta.digest
            )));
        }
        meta.tags = p.tags.clone();
        let ci = CiContext::default();
        let r = self
            .store_inventory(p.org_id, &meta, &ci, "registry", inv)
            .await?;
        self.counters.registry_scans.fetch_add(1, Ordering::Relaxed);
        Ok(serde_json::json!({
            "digest": p.digest, "scanned": true, "image_id": r.image_id,
            "packages": r.packages, "findings": r.findings.len(),
        }))
    }

    /// Distribution-registry notifications for `who`'s org: every manifest `push` to a
    /// watched repository makes that watch due (its next poll lists the tags and queues the
    /// new digests); a tagged push of a digest not stored yet is queued for a scan at once.
    /// Returns (events accepted, events ignored).
    pub async fn registry_events(
        &self,
        who: &Principal,
        envelope: &crate::watch::Envelope,
    ) -> Result<(usize, usize)> {
        self.registry()?;
        let watches: Vec<(i64, String, bool)> = self
            .store
            .watches()
            .await?
            .into_iter()
            .filter(|w| w.1 == who.org_id)
            .map(|(id, _, repo, insecure)| (id, repo, insecure))
            .collect();
        let (mut accepted, mut ignored) = (0, 0);
        for ev in &envelope.events {
            let Some((id, repository, insecure)) = (ev.action == "push"
                && crate::watch::is_manifest_media_type(&ev.target.media_type))
            .then(|| crate::watch::watch_for_event(&watches, ev))
            .flatten() else {
                ignored += 1;
                continue;
            };
            accepted += 1;
            self.store.watch_due_now(*id).await?;
            let digest = ev.target.digest.trim();
            let digest_ok = digest.len() == 71
                && digest.starts_with("sha256:")
                && digest[7..].bytes().all(|b| b.is_ascii_hexdigit());
            // an index's digest is not what a scan stores (the platform manifest): the poll
            // resolves it; a plain manifest is queued now
            let is_index = ev.target.media_type.contains("index")
                || ev.target.media_type.contains("manifest.list");
            if digest_ok && !is_index && !self.store.has_image(who.org_id, digest).await? {
                self.enqueue_scan(&ScanPayload {
                    org_id: who.org_id,
                    watch_id: *id,
                    repository: repository.clone(),
                    digest: digest.to_string(),
                    tags: ev.target.tag.clone().into_iter().collect(),
                    insecure: *insecure,
                })
                .await?;
            }
        }
        Ok((accepted, ignored))
    }

    /// Enqueue a full re-match of every image against the current DB (the safety net):
    /// `rematch` job `<update id>#full-<time>`, notifying what it finds.
    pub async fn enqueue_full_rematch(&self, update_id: &str) -> Result<bool> {
        let now = self.now();
        let key = format!("{update_id}#full-{now}");
        let payload = RematchPayload {
            update_id: update_id.to_string(),
            mode: "full".into(),
            keys: vec![],
            notify: true,
        };
        self.store
            .enqueue("rematch", &key, &serde_json::to_string(&payload)?, now)
            .await
    }

    // ------------------------------------------------------------------ queries and reports

    /// Parse and compile `query`, then list findings of the principal's org.
    pub async fn query_findings(
        &self,
        who: &Principal,
        query: Option<&str>,
        include_fixed: bool,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<FindingRow>> {
        let now = self.now();
        let filter = match query.map(parse).transpose()?.flatten() {
            Some(e) => {
                let mut c = Compiler::new(3, now);
                let sql = c.compile(&e);
                Some((sql, c.into_params()))
            }
            None => None,
        };
        self.store
            .findings(
                who.org_id,
                &FindingQuery {
                    filter,
                    include_fixed,
                    image_id: None,
                    limit,
                    offset,
                },
                now,
            )
            .await
    }

    /// The fleet report of the principal's org for `query`.
    pub async fn fleet_report(&self, who: &Principal, query: Option<&str>) -> Result<FleetReport> {
        let now = self.now();
        let rows = self.query_findings(who, query, false, 100_000, 0).await?;
        let runtime = self.store.runtime(who.org_id).await?;
        let mut ns_by_digest: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (r, _) in &runtime {
            ns_by_digest
                .entry(r.digest.clone())
                .or_default()
                .insert(format!("{}/{}", r.cluster, r.namespace));
        }
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for f in &rows {
            *counts.entry(f.severity.clone()).or_default() += 1;
        }
        let times = self.store.finding_times(Some(who.org_id)).await?;
        let stats = crate::sla::stats(&times, &self.config.sla, now);
        let trend = crate::sla::trend(&times, now, 30)
            .into_iter()
            .map(|(date, counts)| TrendPoint { date, counts })
            .collect();
        Ok(FleetReport {
            title: "Drydock vulnerability report".into(),
            org: who.org.clone(),
            generated_at: rfc3339(now),
            query: query.filter(|q| !q.trim().is_empty()).map(str::to_string),
            counts,
            sla: FleetSla {
                open_breaches: stats.open_breaches,
                at_risk: stats.at_risk,
                mttr_hours_by_severity: stats.mttr_hours_by_severity,
            },
            trend,
            rows: rows
                .into_iter()
                .map(|f| FleetRow {
                    namespaces: ns_by_digest
                        .get(&f.digest)
                        .map(|s| s.iter().cloned().collect())
                        .unwrap_or_default(),
                    image: f.image,
                    digest: f.digest,
                    package: f.package,
                    version: f.version,
                    ecosystem: f.ecosystem,
                    id: f.vuln_id,
                    severity: f.severity,
                    cvss: f.cvss,
                    epss: f.epss,
                    kev: f.kev,
                    fixed_version: f.fixed_version,
                    first_seen: rfc3339(f.first_seen),
                    sla_due: f.sla_due.map(rfc3339),
                    sla_breached: f.sla_breached,
                })
                .collect(),
        })
    }

    /// Record runtime inventory for the principal's org.
    pub async fn runtime(&self, who: &Principal, recs: &[RuntimeRecord]) -> Result<u64> {
        for r in recs {
            if r.cluster.is_empty() || r.namespace.is_empty() || r.digest.is_empty() {
                return Err(Error::BadRequest(
                    "every record needs cluster, namespace and digest".into(),
                ));
            }
        }
        self.store
            .upsert_runtime(who.org_id, recs, self.now())
            .await
    }
}

/// A watched repository as image rows name it (`drydock_registry::Reference::name`).
fn canonical_repository(repository: &str) -> String {
    drydock_registry::Reference::parse(repository)
        .map(|r| r.name())
        .unwrap_or_else(|_| repository.to_string())
}

/// The gate of `policy` over a fresh match of `inv` (the report `drydock image` would have
/// written for this SBOM and image metadata).
fn policy_gate(
    db: &Db,
    inv: &Inventory,
    meta: &ImageMeta,
    policy: &drydock_policy::Policy,
) -> Result<drydock_policy::Gate> {
    use drydock_report::{Artifact, DbSummary, LayerSummary, Report, Summary, Tool};
    let matched = drydock_matcher::match_inventory(db, inv)?;
    let info = db.info()?;
    let name = if meta.repo.is_empty() {
        meta.digest.clone()
    } else {
        meta.repo.clone()
    };
    let report = Report {
        schema_version: drydock_report::SCHEMA_VERSION.into(),
        tool: Tool {
            name: "drydock-server".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        created_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        artifact: Artifact {
            kind: "image".into(),
            source: name.clone(),
            format: "sbom".into(),
            image_id: None,
            manifest_digest: Some(meta.digest.clone()),
            repo_tags: meta.tags.iter().map(|t| format!("{name}:{t}")).collect(),
            platform: meta.platform.clone(),
            layers: meta
                .layers
                .iter()
                .enumerate()
                .map(|(index, diff_id)| LayerSummary {
                    index,
                    diff_id: diff_id.clone(),
                    digest: None,
                    size: 0,
                    uncompressed_size: 0,
                    files: 0,
                    created_by: None,
                })
                .collect(),
        },
        os: inv.os.clone(),
        namespace: matched.namespace,
        db: Some(DbSummary {
            schema_version: info.schema_version.to_string(),
            built_at: info.built_at.clone(),
        }),
        summary: Summary::compute(&inv.packages, &matched.findings, &[]),
        packages: inv.packages.clone(),
        findings: matched.findings,
        secrets: vec![],
        misconfigurations: vec![],
        policy: None,
        hygiene: None,
        warnings: matched.warnings,
        vex: Default::default(),
    };
    let today = time::OffsetDateTime::now_utc().date();
    let ev = drydock_policy::evaluate(&report, Some(policy), &[], None, today)
        .map_err(|e| Error::Other(format!("policy {}: {e}", policy.file)))?;
    Ok(ev.gate)
}
