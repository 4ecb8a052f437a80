//! The decision for one AdmissionReview: per container, resolve the image to a digest, check
//! its signature, find (or make, within a deadline) its scan summary, evaluate the Rego policy;
//! then apply the namespace's mode (enforce, warn, audit).

use crate::admission::{self, Container, Request, Response};
use crate::cache::TtlLru;
use crate::config::{Config, FailAction, Mode};
use crate::runtime::{RuntimeRecord, RuntimeReporter};
use drydock_policy::RegoPolicy;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// What the registry says about an image reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageFacts {
    /// The digest the reference names (the index digest for a multi-platform tag).
    pub digest: String,
    /// The image config's `User` (empty: root).
    pub user: Option<String>,
}

/// Resolves image references (tag → digest). Blocking; called on a blocking thread.
pub trait ImageResolver: Send + Sync + 'static {
    fn resolve(&self, image: &str) -> Result<ImageFacts, String>;
}

/// The outcome of a signature check, as the policy sees it (`input.signature`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignatureResult {
    pub verified: bool,
    /// Why not (or which key verified it).
    pub reason: String,
}

/// Checks an image's signature. Blocking.
pub trait SignatureChecker: Send + Sync + 'static {
    fn check(&self, image: &str, digest: &str) -> SignatureResult;
}

/// The facts of a scan the policy needs (`input.scan`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ScanSummary {
    pub digest: String,
    #[serde(default)]
    pub os: Option<String>,
    pub packages: usize,
    pub findings: usize,
    /// Findings per severity (`CRITICAL`, `HIGH`, ...).
    pub by_severity: BTreeMap<String, usize>,
    /// Findings with a released fix.
    pub fixable: usize,
    /// Vulnerability ids of CRITICAL findings that have a fix.
    pub critical_fixable: Vec<String>,
    /// Vulnerability ids (and aliases) listed in CISA's KEV catalogue.
    pub kev: Vec<String>,
    #[serde(default)]
    pub scanned_at: String,
}

/// Scans images. Blocking; called on a blocking thread.
pub trait ImageScanner: Send + Sync + 'static {
    /// A recent scan of this digest, if one is known (a server, a local store).
    fn lookup(&self, _digest: &str) -> Option<ScanSummary> {
        None
    }
    /// Scan `image` (pinned: `repo@digest`) now.
    fn scan(&self, image: &str, digest: &str) -> Result<ScanSummary, String>;
}

/// Counters (served at `/metrics`).
#[derive(Debug, Default)]
pub struct Metrics {
    pub requests: AtomicU64,
    pub allowed: AtomicU64,
    pub denied: AtomicU64,
    pub warned: AtomicU64,
    pub audit_would_deny: AtomicU64,
    pub registry_errors: AtomicU64,
    pub scan_timeouts: AtomicU64,
    pub scans_started: AtomicU64,
    pub decision_cache_hits: AtomicU64,
    pub rego_evaluations: AtomicU64,
    pub mutations: AtomicU64,
}

impl Metrics {
    pub fn prometheus(&self) -> String {
        let rows = [
            ("requests", &self.requests),
            ("allowed", &self.allowed),
            ("denied", &self.denied),
            ("warned", &self.warned),
            ("audit_would_deny", &self.audit_would_deny),
            ("registry_errors", &self.registry_errors),
            ("scan_timeouts", &self.scan_timeouts),
            ("scans_started", &self.scans_started),
            ("decision_cache_hits", &self.decision_cache_hits),
            ("rego_evaluations", &self.rego_evaluations),
            ("mutations", &self.mutations),
        ];
        rows.iter()
            .map(|(n, v)| format!("drydock_webhook_{n}_total {}\n", v.load(Ordering::Relaxed)))
            .collect()
    }
}

/// The policy's verdict for one container.
#[derive(Debug, Clone, Default, PartialEq)]
struct Verdict {
    /// Violations (denials in enforce mode).
    deny: Vec<String>,
    /// Always warnings.
    warn: Vec<String>,
    digest: Option<String>,
}

enum ScanOutcome {
    Done(ScanSummary),
    Timeout,
    Failed(String),
}

type ScanResult = Option<Result<ScanSummary, String>>;

/// The admission webhook's state: policy, back ends, caches, counters.
pub struct Webhook {
    pub config: Config,
    policy: RegoPolicy,
    resolver: Arc<dyn ImageResolver>,
    checker: Arc<dyn SignatureChecker>,
    scanner: Arc<dyn ImageScanner>,
    facts: TtlLru<String, ImageFacts>,
    signatures: TtlLru<String, SignatureResult>,
    scans: TtlLru<String, ScanSummary>,
    decisions: TtlLru<u64, (Vec<String>, Vec<String>)>,
    inflight: Mutex<HashMap<String, watch::Receiver<ScanResult>>>,
    reporter: Option<RuntimeReporter>,
    pub metrics: Metrics,
}

/// The Rego package of admission policies.
pub const POLICY_PACKAGE: &str = "data.drydock.admission";

impl Webhook {
    pub fn new(
        config: Config,
        policy: RegoPolicy,
        resolver: Arc<dyn ImageResolver>,
        checker: Arc<dyn SignatureChecker>,
        scanner: Arc<dyn ImageScanner>,
        reporter: Option<RuntimeReporter>,
    ) -> Webhook {
        let ttl = Duration::from_secs(config.cache_ttl_seconds);
        let n = config.cache_max_entries;
        let policy = policy.with_time_limit(Duration::from_millis(config.rego_time_limit_ms));
        Webhook {
            policy,
            resolver,
            checker,
            scanner,
            facts: TtlLru::new(n, ttl),
            signatures: TtlLru::new(n, ttl),
            scans: TtlLru::new(n, ttl),
            decisions: TtlLru::new(n, ttl),
            inflight: Mutex::new(HashMap::new()),
            reporter,
            metrics: Metrics::default(),
            config,
        }
    }

    /// Empty every cache (tests, benchmarks of the cold path).
    pub fn clear_caches(&self) {
        self.facts.clear();
        self.signatures.clear();
        self.scans.clear();
        self.decisions.clear();
    }

    async fn facts(&self, image: &str) -> Result<ImageFacts, String> {
        if let Some(f) = self.facts.get(&image.to_string()) {
            return Ok(f);
        }
        let r = self.resolver.clone();
        let img = image.to_string();
        let f = tokio::task::spawn_blocking(move || r.resolve(&img))
            .await
            .map_err(|e| e.to_string())??;
        self.facts.insert(image.to_string(), f.clone());
        Ok(f)
    }

    async fn signature(&self, image: &str, digest: &str) -> SignatureResult {
        let key = admission::pin(image, digest);
        if let Some(s) = self.signatures.get(&key) {
            return s;
        }
        let c = self.checker.clone();
        let (img, d) = (image.to_string(), digest.to_string());
        let s = tokio::task::spawn_blocking(move || c.check(&img, &d))
            .await
            .unwrap_or_else(|e| SignatureResult {
                verified: false,
                reason: format!("signature check failed: {e}"),
            });
        self.signatures.insert(key, s.clone());
        s
    }

    /// The scan summary of `digest`: cached, looked up, or scanned now (one scan per digest
    /// at a time; a scan that outlives the deadline still fills the cache when it ends).
    async fn summary(self: &Arc<Self>, pinned: &str, digest: &str) -> ScanOutcome {
        if let Some(s) = self.scans.get(&digest.to_string()) {
            return ScanOutcome::Done(s);
        }
        let mut rx = {
            let mut inflight = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
            match inflight.get(digest) {
                Some(rx) => rx.clone(),
                None => {
                    let (tx, rx) = watch::channel(None);
                    inflight.insert(digest.to_string(), rx.clone());
                    let me = self.clone();
                    let (img, d) = (pinned.to_string(), digest.to_string());
                    tokio::spawn(async move {
                        let scanner = me.scanner.clone();
                        let me2 = me.clone();
                        let d2 = d.clone();
                        let r = tokio::task::spawn_blocking(move || {
                            if let Some(s) = scanner.lookup(&d2) {
                                return Ok(s);
                            }
                            me2.metrics.scans_started.fetch_add(1, Ordering::Relaxed);
                            scanner.scan(&img, &d2)
                        })
                        .await
                        .unwrap_or_else(|e| Err(format!("scan task failed: {e}")));
                        if let Ok(s) = &r {
                            me.scans.insert(d.clone(), s.clone());
                        }
                        me.inflight
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remove(&d);
                        let _ = tx.send(Some(r));
                    });
                    rx
                }
            }
        };
        let deadline = Duration::from_millis(self.config.scan_deadline_ms);
        match tokio::time::timeout(deadline, rx.wait_for(Option::is_some)).await {
            Ok(Ok(v)) => match v.clone() {
                Some(Ok(s)) => ScanOutcome::Done(s),
                Some(Err(e)) => ScanOutcome::Failed(e),
                None => ScanOutcome::Failed("no scan result".into()),
            },
            Ok(Err(_)) => ScanOutcome::Failed("the scan task ended without a result".into()),
            Err(_) => ScanOutcome::Timeout,
        }
    }

    fn fail(&self, action: FailAction, msg: String, v: &mut Verdict) {
        match action {
            FailAction::Deny => v.deny.push(msg),
            FailAction::Allow => v.warn.push(format!("allowed (fail-open): {msg}")),
        }
    }

    async fn container_verdict(self: Arc<Self>, req: Arc<Request>, c: Container) -> Verdict {
        let mut v = Verdict::default();
        if c.image.is_empty() {
            v.deny.push(format!("container {}: no image", c.name));
            return v;
        }
        let facts = match self.facts(&c.image).await {
            Ok(f) => f,
            Err(e) => {
                self.metrics.registry_errors.fetch_add(1, Ordering::Relaxed);
                let msg = format!("{}: cannot resolve the image: {e}", c.image);
                self.fail(self.config.on_error, msg, &mut v);
                return v;
            }
        };
        v.digest = Some(facts.digest.clone());
        let pinned = admission::pin(&c.image, &facts.digest);
        let sig_fut = self.signature(&c.image, &facts.digest);
        let scan_fut = self.summary(&pinned, &facts.digest);
        let (signature, scan) = tokio::join!(sig_fut, scan_fut);
        let (scan_value, scan_status) = match scan {
            ScanOutcome::Done(s) => (serde_json::to_value(&s).unwrap_or(Value::Null), "ok"),
            ScanOutcome::Timeout => {
                self.metrics.scan_timeouts.fetch_add(1, Ordering::Relaxed);
                let msg = format!(
                    "{}: no scan within the {} ms deadline",
                    c.image, self.config.scan_deadline_ms
                );
                self.fail(self.config.on_timeout, msg, &mut v);
                (Value::Null, "timeout")
            }
            ScanOutcome::Failed(e) => {
                let msg = format!("{}: the scan failed: {e}", c.image);
                self.fail(self.config.on_error, msg, &mut v);
                (Value::Null, "error")
            }
        };
        let mode = self.config.mode_for(&req.namespace);
        let input = json!({
            "image": c.image,
            "digest": facts.digest,
            "pinned": admission::is_pinned(&c.image),
            "container": {
                "name": c.name,
                "type": c.kind,
                "securityContext": c.security_context,
                "runAsUser": c.run_as_user,
                "runAsNonRoot": c.run_as_non_root,
                "image_user": facts.user,
                "runs_as_root": c.runs_as_root(facts.user.as_deref()),
            },
            "scan": scan_value,
            "scan_status": scan_status,
            "signature": signature,
            "namespace": {"name": req.namespace, "labels": self.config.labels(&req.namespace)},
            "mode": mode,
            "kind": req.kind,
            "object": {"metadata": req.object.get("metadata").cloned().unwrap_or(Value::Null)},
            "operation": req.operation,
            "userInfo": req.user_info,
        });
        let text = input.to_string();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        let key = h.finish();
        let (deny, warn) = match self.decisions.get(&key) {
            Some(d) => {
                self.metrics
                    .decision_cache_hits
                    .fetch_add(1, Ordering::Relaxed);
                d
            }
            None => {
                self.metrics
                    .rego_evaluations
                    .fetch_add(1, Ordering::Relaxed);
                let me = self.clone();
                let r = tokio::task::spawn_blocking(move || me.evaluate(&input))
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                match r {
                    Ok(d) => {
                        self.decisions.insert(key, d.clone());
                        d
                    }
                    // a policy error (time limit, runtime error) fails closed
                    Err(e) => (
                        vec![format!("{}: policy evaluation failed: {e}", c.image)],
                        vec![],
                    ),
                }
            }
        };
        v.deny.extend(deny);
        v.warn.extend(warn);
        v
    }

    fn evaluate(&self, input: &Value) -> Result<(Vec<String>, Vec<String>), String> {
        let msgs = |rule: &str| -> Result<Vec<String>, String> {
            if rule != "deny" && !self.policy.declares_rule(rule) {
                return Ok(Vec::new());
            }
            let mut v: Vec<String> = self
                .policy
                .evaluate_rule(rule, input)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|d| d.msg)
                .collect();
            v.sort();
            Ok(v)
        };
        Ok((msgs("deny")?, msgs("warn")?))
    }

    /// The validating webhook's answer.
    pub async fn validate(self: &Arc<Self>, req: Request) -> Response {
        self.metrics.requests.fetch_add(1, Ordering::Relaxed);
        let skip = self.config.excluded(&req.namespace)
            || !matches!(req.operation.as_str(), "CREATE" | "UPDATE");
        let containers = admission::containers(&req.object, &req.kind);
        if skip || containers.is_empty() {
            self.metrics.allowed.fetch_add(1, Ordering::Relaxed);
            return Response {
                allowed: true,
                ..Default::default()
            };
        }
        let req = Arc::new(req);
        let mut set = tokio::task::JoinSet::new();
        for (i, c) in containers.iter().cloned().enumerate() {
            let me = self.clone();
            let r = req.clone();
            set.spawn(async move { (i, me.container_verdict(r, c).await) });
        }
        let mut verdicts: Vec<(usize, Verdict)> = Vec::new();
        while let Some(r) = set.join_next().await {
            match r {
                Ok(v) => verdicts.push(v),
                Err(e) => verdicts.push((
                    usize::MAX,
                    Verdict {
                        deny: vec![format!("internal error: {e}")],
                        ..Default::default()
                    },
                )),
            }
        }
        verdicts.sort_by_key(|(i, _)| *i);
        let mut deny: Vec<String> = Vec::new();
        let mut warn: Vec<String> = Vec::new();
        for (i, v) in &verdicts {
            let name = containers.get(*i).map(|c| c.name.as_str()).unwrap_or("?");
            deny.extend(v.deny.iter().map(|m| format!("container {name}: {m}")));
            warn.extend(v.warn.iter().map(|m| format!("container {name}: {m}")));
        }
        let mode = self.config.mode_for(&req.namespace);
        let mut resp = Response {
            allowed: true,
            ..Default::default()
        };
        match (mode, deny.is_empty()) {
            (_, true) => {}
            (Mode::Enforce, false) => {
                resp.allowed = false;
                resp.code = Some(403);
                resp.message = Some(format!("drydock: {}", deny.join("; ")));
            }
            (Mode::Warn, false) => {
                warn.splice(0..0, deny.iter().cloned());
            }
            (Mode::Audit, false) => {
                self.metrics
                    .audit_would_deny
                    .fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    namespace = %req.namespace,
                    kind = %req.kind,
                    name = %req.name,
                    would_deny = %deny.join("; "),
                    "audit: would deny"
                );
                resp.audit_annotations
                    .push(("drydock.dev/would-deny".into(), deny.join("; ")));
                warn.splice(0..0, deny.iter().map(|m| format!("audit: would deny: {m}")));
            }
        }
        resp.warnings = warn.iter().map(|w| admission::clip_warning(w)).collect();
        if resp.allowed {
            self.metrics.allowed.fetch_add(1, Ordering::Relaxed);
            if !resp.warnings.is_empty() {
                self.metrics.warned.fetch_add(1, Ordering::Relaxed);
            }
            self.report(&req, &containers, &verdicts);
        } else {
            self.metrics.denied.fetch_add(1, Ordering::Relaxed);
        }
        resp
    }

    fn report(&self, req: &Request, containers: &[Container], verdicts: &[(usize, Verdict)]) {
        let Some(reporter) = &self.reporter else {
            return;
        };
        if req.kind != "Pod" || req.operation != "CREATE" || req.dry_run {
            return;
        }
        let (kind, workload) = admission::workload_of(&req.object, &req.kind, &req.name);
        for (i, v) in verdicts {
            let Some(c) = containers.get(*i) else {
                continue;
            };
            reporter.report(RuntimeRecord {
                cluster: self.config.cluster.clone(),
                namespace: req.namespace.clone(),
                workload: workload.clone(),
                kind: kind.clone(),
                container: c.name.clone(),
                image: c.image.clone(),
                digest: v.digest.clone().unwrap_or_default(),
            });
        }
    }

    /// The mutating webhook's answer: pin every image by digest (JSONPatch). Images that
    /// cannot be resolved are left as they are, with a warning; never denies.
    pub async fn mutate(self: &Arc<Self>, req: Request) -> Response {
        self.metrics.requests.fetch_add(1, Ordering::Relaxed);
        let mut resp = Response {
            allowed: true,
            ..Default::default()
        };
        if self.config.excluded(&req.namespace)
            || !matches!(req.operation.as_str(), "CREATE" | "UPDATE")
        {
            return resp;
        }
        for c in admission::containers(&req.object, &req.kind) {
            if c.image.is_empty() || admission::is_pinned(&c.image) {
                continue;
            }
            match self.facts(&c.image).await {
                Ok(f) => {
                    resp.patch.push(json!({
                        "op": "replace",
                        "path": c.pointer,
                        "value": admission::pin(&c.image, &f.digest),
                    }));
                    self.metrics.mutations.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => resp.warnings.push(admission::clip_warning(&format!(
                    "container {}: not pinned: {e}",
                    c.name
                ))),
            }
        }
        resp
    }
}
