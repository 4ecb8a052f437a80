//! `drydock k8s inventory`: the images running in a Kubernetes cluster, read through the
//! Kubernetes API (`GET /api/v1/pods`, paginated), as runtime records
//! (`{cluster, namespace, workload, kind, container, image, digest}`) printed as JSON or sent
//! to a Drydock server (`POST /api/v1/runtime`, the body the admission webhook sends too).
//!
//! Credentials come from a kubeconfig (token, token file, client certificate, basic auth;
//! `exec` and `auth-provider` plugins are refused by name) or, with `--in-cluster`, from the
//! pod's service account.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use clap::{Args, Subcommand};
use drydock_server::store::RuntimeRecord as Record;
use serde::Deserialize;

use crate::server_cmd;

const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// Pods per page of the Kubernetes list call.
const PAGE_SIZE: &str = "500";
/// Records per `POST /api/v1/runtime`.
const BATCH: usize = 1000;

#[derive(Subcommand)]
pub enum K8sCommand {
    /// List the image of every container, init container and ephemeral container of the
    /// running and pending pods through the Kubernetes API, as runtime records
    /// (cluster, namespace, workload, kind, container, image, digest): printed as JSON, or sent
    /// to a Drydock server with --server.
    Inventory(InventoryArgs),
}

#[derive(Args)]
pub struct InventoryArgs {
    /// Kubeconfig file [default: the first path of $KUBECONFIG, else ~/.kube/config].
    #[arg(long, conflicts_with = "in_cluster")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use [default: the kubeconfig's current-context].
    #[arg(long, conflicts_with = "in_cluster")]
    pub context: Option<String>,
    /// Run inside a pod: use KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT and the pod's
    /// service account (token, ca.crt) instead of a kubeconfig; needs --cluster.
    #[arg(long)]
    pub in_cluster: bool,
    /// Service account directory read with --in-cluster.
    #[arg(long, default_value = SERVICE_ACCOUNT_DIR, requires = "in_cluster")]
    pub service_account_dir: PathBuf,
    /// Cluster name written in every record [default: the kubeconfig context's cluster name;
    /// required with --in-cluster].
    #[arg(long)]
    pub cluster: Option<String>,
    /// Only pods of this namespace (repeatable) [default: every namespace].
    #[arg(long, short = 'n')]
    pub namespace: Vec<String>,
    /// Also pods that have ended (phase Succeeded or Failed).
    #[arg(long)]
    pub all_phases: bool,
    /// Send the records to this Drydock server (`POST /api/v1/runtime`, batches of 1000).
    #[arg(long, env = "DRYDOCK_SERVER")]
    pub server: Option<String>,
    /// Drydock API token with the submit scope (for --server).
    #[arg(long, env = "DRYDOCK_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Write the records as JSON (`{"records": [...]}`) to this file, `-` for stdout
    /// [default: stdout when --server is not given].
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// No summary on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

// ---------------------------------------------------------------------------------------------
// kubeconfig

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct Kubeconfig {
    current_context: Option<String>,
    clusters: Option<Vec<NamedCluster>>,
    contexts: Option<Vec<NamedContext>>,
    users: Option<Vec<NamedUser>>,
}

#[derive(Deserialize)]
struct NamedCluster {
    name: String,
    #[serde(default)]
    cluster: ClusterEntry,
}

#[derive(Deserialize)]
struct NamedContext {
    name: String,
    #[serde(default)]
    context: ContextEntry,
}

#[derive(Deserialize)]
struct NamedUser {
    name: String,
    #[serde(default)]
    user: UserEntry,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct ClusterEntry {
    server: Option<String>,
    certificate_authority: Option<String>,
    certificate_authority_data: Option<String>,
    insecure_skip_tls_verify: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ContextEntry {
    cluster: Option<String>,
    user: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct UserEntry {
    token: Option<String>,
    #[serde(rename = "tokenFile")]
    token_file: Option<String>,
    client_certificate: Option<String>,
    client_certificate_data: Option<String>,
    client_key: Option<String>,
    client_key_data: Option<String>,
    username: Option<String>,
    password: Option<String>,
    exec: Option<yaml_serde::Value>,
    auth_provider: Option<yaml_serde::Value>,
}

enum Auth {
    None,
    Bearer(String),
    Basic(String, String),
}

/// Where and how to reach the Kubernetes API.
struct KubeApi {
    server: String,
    client: reqwest::blocking::Client,
    auth: Auth,
    /// The kubeconfig context's cluster name (the default `--cluster`).
    cluster_name: Option<String>,
    /// In-cluster: the service account's namespace (for a hint when listing is forbidden).
    sa_namespace: Option<String>,
}

struct Tls {
    ca_pem: Option<Vec<u8>>,
    insecure: bool,
    identity_pem: Option<Vec<u8>>,
}

fn http_client(tls: Tls) -> Result<reqwest::blocking::Client> {
    let mut b = reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .timeout(Duration::from_secs(120));
    if tls.insecure {
        b = b.tls_danger_accept_invalid_certs(true);
    } else if let Some(pem) = &tls.ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .context("reading the cluster's certificate authority (PEM)")?;
        if certs.is_empty() {
            bail!("the cluster's certificate authority holds no PEM certificate");
        }
        // the cluster CA only, as kubectl: not the system roots
        b = b.tls_certs_only(certs);
    }
    if let Some(pem) = &tls.identity_pem {
        b = b.identity(
            reqwest::Identity::from_pem(pem)
                .context("reading the client certificate and key (PEM)")?,
        );
    }
    b.build().context("Kubernetes API client")
}

/// `--kubeconfig`, else the first path of `$KUBECONFIG`, else `~/.kube/config`.
fn kubeconfig_path(arg: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = arg {
        return Ok(p.to_path_buf());
    }
    if let Some(v) = std::env::var_os("KUBECONFIG")
        && let Some(first) = std::env::split_paths(&v).find(|p| !p.as_os_str().is_empty())
    {
        return Ok(first);
    }
    Ok(dirs::home_dir()
        .context("no home directory to find ~/.kube/config in; pass --kubeconfig")?
        .join(".kube/config"))
}

/// A path in a kubeconfig: relative to the kubeconfig's directory (as kubectl resolves it).
fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// Inline `*-data` (base64) or a file, whichever the kubeconfig gives (data first).
fn data_or_file(
    data: Option<&str>,
    file: Option<&str>,
    base: &Path,
    what: &str,
    owner: &str,
) -> Result<Option<Vec<u8>>> {
    if let Some(d) = data.filter(|d| !d.is_empty()) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(d.split_whitespace().collect::<String>())
            .with_context(|| format!("{owner}: {what}-data is not valid base64"))?;
        return Ok(Some(bytes));
    }
    if let Some(f) = file.filter(|f| !f.is_empty()) {
        let path = resolve(base, f);
        let bytes = std::fs::read(&path)
            .with_context(|| format!("{owner}: reading {what} {}", path.display()))?;
        return Ok(Some(bytes));
    }
    Ok(None)
}

fn from_kubeconfig(path: &Path, context: Option<&str>) -> Result<KubeApi> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading kubeconfig {}", path.display()))?;
    let cfg: Kubeconfig = yaml_serde::from_str(&text)
        .with_context(|| format!("parsing kubeconfig {}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let contexts = cfg.contexts.unwrap_or_default();
    let ctx_name = match context {
        Some(c) => c.to_string(),
        None => cfg
            .current_context
            .filter(|c| !c.is_empty())
            .with_context(|| {
                format!(
                    "kubeconfig {} has no current-context; pass --context",
                    path.display()
                )
            })?,
    };
    let Some(ctx) = contexts.iter().find(|c| c.name == ctx_name) else {
        let names: Vec<&str> = contexts.iter().map(|c| c.name.as_str()).collect();
        bail!(
            "context {ctx_name:?} not found in kubeconfig {} (contexts: {})",
            path.display(),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        );
    };
    let cluster_name = ctx
        .context
        .cluster
        .clone()
        .filter(|c| !c.is_empty())
        .with_context(|| {
            format!(
                "context {ctx_name:?} in kubeconfig {} names no cluster",
                path.display()
            )
        })?;
    let clusters = cfg.clusters.unwrap_or_default();
    let cluster = clusters
        .iter()
        .find(|c| c.name == cluster_name)
        .map(|c| &c.cluster)
        .with_context(|| {
            format!(
                "cluster {cluster_name:?} (of context {ctx_name:?}) not found in kubeconfig {}",
                path.display()
            )
        })?;
    let server = cluster
        .server
        .clone()
        .filter(|s| !s.is_empty())
        .with_context(|| {
            format!(
                "cluster {cluster_name:?} in kubeconfig {} has no server",
                path.display()
            )
        })?;
    let owner = format!("cluster {cluster_name:?}");
    let ca_pem = data_or_file(
        cluster.certificate_authority_data.as_deref(),
        cluster.certificate_authority.as_deref(),
        base,
        "certificate-authority",
        &owner,
    )?;

    let mut auth = Auth::None;
    let mut identity_pem = None;
    if let Some(user_name) = ctx.context.user.as_deref().filter(|u| !u.is_empty()) {
        let users = cfg.users.unwrap_or_default();
        let user = users
            .iter()
            .find(|u| u.name == user_name)
            .map(|u| &u.user)
            .with_context(|| {
                format!(
                    "user {user_name:?} (of context {ctx_name:?}) not found in kubeconfig {}",
                    path.display()
                )
            })?;
        if let Some(exec) = &user.exec {
            let command = exec.get("command").and_then(|c| c.as_str()).unwrap_or("?");
            bail!(
                "user {user_name:?} (context {ctx_name:?}) authenticates with an exec credential \
                 plugin ({command}), which drydock does not support; use a kubeconfig whose user \
                 has a token, a token file or a client certificate (e.g. a service account token)"
            );
        }
        if let Some(ap) = &user.auth_provider {
            let name = ap.get("name").and_then(|c| c.as_str()).unwrap_or("?");
            bail!(
                "user {user_name:?} (context {ctx_name:?}) authenticates with the auth-provider \
                 {name:?}, which drydock does not support; use a kubeconfig whose user has a \
                 token, a token file or a client certificate (e.g. a service account token)"
            );
        }
        let owner = format!("user {user_name:?}");
        if let Some(t) = user.token.as_deref().filter(|t| !t.is_empty()) {
            auth = Auth::Bearer(t.to_string());
        } else if let Some(f) = user.token_file.as_deref().filter(|f| !f.is_empty()) {
            let p = resolve(base, f);
            let t = std::fs::read_to_string(&p)
                .with_context(|| format!("{owner}: reading tokenFile {}", p.display()))?;
            auth = Auth::Bearer(t.trim().to_string());
        } else if let (Some(u), Some(pw)) = (&user.username, &user.password) {
            auth = Auth::Basic(u.clone(), pw.clone());
        }
        let cert = data_or_file(
            user.client_certificate_data.as_deref(),
            user.client_certificate.as_deref(),
            base,
            "client-certificate",
            &owner,
        )?;
        let key = data_or_file(
            user.client_key_data.as_deref(),
            user.client_key.as_deref(),
            base,
            "client-key",
            &owner,
        )?;
        match (cert, key) {
            (Some(mut c), Some(k)) => {
                c.push(b'\n');
                c.extend_from_slice(&k);
                identity_pem = Some(c);
            }
            (None, None) => {}
            _ => bail!("{owner}: client-certificate and client-key go together; one is missing"),
        }
    }
    let client = http_client(Tls {
        ca_pem,
        insecure: cluster.insecure_skip_tls_verify,
        identity_pem,
    })
    .with_context(|| format!("context {ctx_name:?}"))?;
    Ok(KubeApi {
        server,
        client,
        auth,
        cluster_name: Some(cluster_name),
        sa_namespace: None,
    })
}

fn in_cluster(sa_dir: &Path) -> Result<KubeApi> {
    let host = std::env::var("KUBERNETES_SERVICE_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .context("--in-cluster: KUBERNETES_SERVICE_HOST is not set (not running in a pod?)")?;
    let port = std::env::var("KUBERNETES_SERVICE_PORT")
        .ok()
        .filter(|p| !p.is_empty())
        .context("--in-cluster: KUBERNETES_SERVICE_PORT is not set (not running in a pod?)")?;
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host
    };
    let token_path = sa_dir.join("token");
    let token = std::fs::read_to_string(&token_path)
        .with_context(|| format!("--in-cluster: reading {}", token_path.display()))?;
    let ca_path = sa_dir.join("ca.crt");
    let ca = std::fs::read(&ca_path)
        .with_context(|| format!("--in-cluster: reading {}", ca_path.display()))?;
    let sa_namespace = std::fs::read_to_string(sa_dir.join("namespace"))
        .ok()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let client = http_client(Tls {
        ca_pem: Some(ca),
        insecure: false,
        identity_pem: None,
    })?;
    Ok(KubeApi {
        server: format!("https://{host}:{port}"),
        client,
        auth: Auth::Bearer(token.trim().to_string()),
        cluster_name: None,
        sa_namespace,
    })
}

// ---------------------------------------------------------------------------------------------
// Kubernetes API objects (only the fields read)

#[derive(Deserialize, Default)]
#[serde(default)]
struct PodList {
    metadata: ListMeta,
    items: Vec<Pod>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListMeta {
    #[serde(rename = "continue")]
    continue_: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Pod {
    metadata: ObjectMeta,
    spec: PodSpec,
    status: PodStatus,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ObjectMeta {
    name: String,
    namespace: String,
    labels: BTreeMap<String, String>,
    owner_references: Vec<OwnerReference>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OwnerReference {
    kind: String,
    name: String,
    controller: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PodSpec {
    containers: Vec<Container>,
    init_containers: Vec<Container>,
    ephemeral_containers: Vec<Container>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Container {
    name: String,
    image: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PodStatus {
    phase: String,
    container_statuses: Vec<ContainerStatus>,
    init_container_statuses: Vec<ContainerStatus>,
    ephemeral_container_statuses: Vec<ContainerStatus>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ContainerStatus {
    name: String,
    #[serde(rename = "imageID")]
    image_id: String,
}

/// `sha256:<64 hex>` at the end of an image ID or reference: `docker-pullable://repo@sha256:…`,
/// `repo@sha256:…`, `sha256:…`.
fn digest_in(s: &str) -> Option<String> {
    let i = s.rfind("sha256:")?;
    let hex = &s[i + "sha256:".len()..];
    (hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .then(|| format!("sha256:{hex}"))
}

/// The workload owning a pod: its controller owner reference (the first owner when none is
/// marked controller), a ReplicaSet `<deployment>-<pod-template-hash>` as its Deployment;
/// a pod without owners is its own workload (kind Pod).
fn workload_of(meta: &ObjectMeta) -> (String, String) {
    let owner = meta
        .owner_references
        .iter()
        .find(|o| o.controller == Some(true))
        .or_else(|| meta.owner_references.first());
    let Some(o) = owner else {
        return ("Pod".to_string(), meta.name.clone());
    };
    if o.kind == "ReplicaSet"
        && let Some(hash) = meta.labels.get("pod-template-hash")
        && let Some(deployment) = o
            .name
            .strip_suffix(hash.as_str())
            .and_then(|n| n.strip_suffix('-'))
        && !deployment.is_empty()
    {
        return ("Deployment".to_string(), deployment.to_string());
    }
    (o.kind.clone(), o.name.clone())
}

#[derive(Default)]
struct Inventory {
    records: BTreeSet<Record>,
    pods: usize,
    namespaces: BTreeSet<String>,
    /// `namespace/pod container` of containers without a known digest.
    no_digest: Vec<String>,
}

impl Inventory {
    fn add_pod(&mut self, cluster: &str, pod: &Pod, all_phases: bool) {
        if !all_phases && matches!(pod.status.phase.as_str(), "Succeeded" | "Failed") {
            return;
        }
        self.pods += 1;
        self.namespaces.insert(pod.metadata.namespace.clone());
        let (kind, workload) = workload_of(&pod.metadata);
        let groups = [
            (&pod.spec.containers, &pod.status.container_statuses),
            (
                &pod.spec.init_containers,
                &pod.status.init_container_statuses,
            ),
            (
                &pod.spec.ephemeral_containers,
                &pod.status.ephemeral_container_statuses,
            ),
        ];
        for (containers, statuses) in groups {
            for c in containers {
                let from_status = statuses
                    .iter()
                    .find(|s| s.name == c.name)
                    .and_then(|s| digest_in(&s.image_id));
                let digest = from_status.or_else(|| {
                    c.image
                        .split_once('@')
                        .and_then(|(_, d)| digest_in(d).filter(|x| x == d))
                });
                let Some(digest) = digest else {
                    self.no_digest.push(format!(
                        "{}/{} {}",
                        pod.metadata.namespace, pod.metadata.name, c.name
                    ));
                    continue;
                };
                self.records.insert(Record {
                    cluster: cluster.to_string(),
                    namespace: pod.metadata.namespace.clone(),
                    workload: workload.clone(),
                    kind: kind.clone(),
                    container: c.name.clone(),
                    image: c.image.clone(),
                    digest,
                });
            }
        }
    }
}

/// A namespace name as Kubernetes allows it (a DNS label), so that it is safe in a URL path.
fn valid_namespace(ns: &str) -> bool {
    !ns.is_empty()
        && ns.len() <= 63
        && ns
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
        && !ns.starts_with('-')
        && !ns.ends_with('-')
}

impl KubeApi {
    fn get(&self, url: &str) -> reqwest::blocking::RequestBuilder {
        let r = self.client.get(url).header("Accept", "application/json");
        match &self.auth {
            Auth::None => r,
            Auth::Bearer(t) => r.bearer_auth(t),
            Auth::Basic(u, p) => r.basic_auth(u, Some(p)),
        }
    }

    /// Every pod of one namespace (or of all), following `metadata.continue`.
    fn list_pods(&self, namespace: Option<&str>, mut each: impl FnMut(&Pod)) -> Result<()> {
        let (path, what) = match namespace {
            Some(ns) => (
                format!("/api/v1/namespaces/{ns}/pods"),
                format!("listing the pods of namespace {ns}"),
            ),
            None => (
                "/api/v1/pods".to_string(),
                "listing the pods of all namespaces".to_string(),
            ),
        };
        let url = format!("{}{path}", self.server.trim_end_matches('/'));
        let mut cont: Option<String> = None;
        loop {
            let mut query = vec![("limit", PAGE_SIZE.to_string())];
            if let Some(c) = &cont {
                query.push(("continue", c.clone()));
            }
            let resp = self
                .get(&url)
                .query(&query)
                .send()
                .with_context(|| format!("{what} at {}", self.server))?;
            let resp = self.check(resp, namespace, &what)?;
            let list: PodList = resp
                .json()
                .with_context(|| format!("{what}: reading the PodList"))?;
            for p in &list.items {
                each(p);
            }
            match list.metadata.continue_.filter(|c| !c.is_empty()) {
                Some(c) if cont.as_deref() == Some(c.as_str()) => {
                    bail!("{what}: the API server returned the same continue token twice")
                }
                Some(c) => cont = Some(c),
                None => return Ok(()),
            }
        }
    }

    /// A Kubernetes error answer (a `Status` object) as an error quoting its message.
    fn check(
        &self,
        resp: reqwest::blocking::Response,
        namespace: Option<&str>,
        what: &str,
    ) -> Result<reqwest::blocking::Response> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body = resp.text().unwrap_or_default();
        let msg = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .filter(|v| v["kind"] == "Status")
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| body.trim().chars().take(500).collect());
        let hint = match (status.as_u16(), namespace, &self.sa_namespace) {
            (403, None, Some(ns)) => format!(
                " (the service account may only list pods in its own namespace: \
                 try --namespace {ns}, or grant it a ClusterRole to list pods)"
            ),
            _ => String::new(),
        };
        bail!("{what} at {}: HTTP {status}: {msg}{hint}", self.server)
    }
}

fn write_json(out: &Path, records: &[&Record]) -> Result<()> {
    let mut text = serde_json::to_string_pretty(&serde_json::json!({ "records": records }))?;
    text.push('\n');
    if out == Path::new("-") {
        use std::io::Write as _;
        let mut o = std::io::stdout().lock();
        o.write_all(text.as_bytes())?;
        o.flush()?;
    } else {
        std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}

/// `POST /api/v1/runtime` in batches; the number of records the server accepted.
fn send(server: &str, token: &str, records: &[&Record]) -> Result<u64> {
    let client = server_cmd::client()?;
    let mut accepted = 0;
    for batch in records.chunks(BATCH) {
        let resp = client
            .post(server_cmd::api_url(server, "/api/v1/runtime"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "records": batch }))
            .send()
            .with_context(|| format!("sending the runtime inventory to {server}"))?;
        let v: serde_json::Value = server_cmd::check(resp, "runtime inventory")?
            .json()
            .context("reading the server's answer")?;
        accepted += v["accepted"].as_u64().unwrap_or(0);
    }
    Ok(accepted)
}

pub fn run(cmd: &K8sCommand) -> Result<ExitCode> {
    match cmd {
        K8sCommand::Inventory(a) => run_inventory(a),
    }
}

fn run_inventory(a: &InventoryArgs) -> Result<ExitCode> {
    // one TLS provider for the whole process (as `drydock webhook`): aws-lc-rs
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    if a.server.is_some() && a.token.is_none() {
        bail!("--server needs --token (or DRYDOCK_TOKEN): a token with the submit scope");
    }
    for ns in &a.namespace {
        if !valid_namespace(ns) {
            bail!("--namespace {ns:?} is not a valid Kubernetes namespace name");
        }
    }
    let api = if a.in_cluster {
        if a.cluster.is_none() {
            bail!("--in-cluster needs --cluster NAME (the cluster name the records carry)");
        }
        in_cluster(&a.service_account_dir)?
    } else {
        let path = kubeconfig_path(a.kubeconfig.as_deref())?;
        from_kubeconfig(&path, a.context.as_deref())?
    };
    let cluster = a
        .cluster
        .clone()
        .or_else(|| api.cluster_name.clone())
        .context("no cluster name; pass --cluster")?;

    let mut inv = Inventory::default();
    let namespaces: BTreeSet<&str> = a.namespace.iter().map(String::as_str).collect();
    if namespaces.is_empty() {
        api.list_pods(None, |p| inv.add_pod(&cluster, p, a.all_phases))?;
    } else {
        for ns in namespaces {
            api.list_pods(Some(ns), |p| inv.add_pod(&cluster, p, a.all_phases))?;
        }
    }
    let records: Vec<&Record> = inv.records.iter().collect();

    if !inv.no_digest.is_empty() {
        let shown: Vec<&str> = inv.no_digest.iter().take(5).map(String::as_str).collect();
        eprintln!(
            "warning: {} container(s) skipped: no image digest known (image not pulled yet?): {}{}",
            inv.no_digest.len(),
            shown.join(", "),
            if inv.no_digest.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        );
    }
    let output = match (&a.output, &a.server) {
        (Some(o), _) => Some(o.clone()),
        (None, None) => Some(PathBuf::from("-")),
        (None, Some(_)) => None,
    };
    if let Some(o) = &output {
        write_json(o, &records)?;
    }
    let mut sent = String::new();
    if let (Some(server), Some(token)) = (&a.server, &a.token) {
        let accepted = send(server, token, &records)?;
        sent = format!("; sent to {server} ({accepted} accepted)");
    }
    if !a.quiet {
        eprintln!(
            "{} records from {} pods in {} namespaces{sent}",
            records.len(),
            inv.pods,
            inv.namespaces.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn digests_of_every_image_id_form() {
        let want = Some(format!("sha256:{HEX}"));
        for id in [
            format!("docker-pullable://nginx@sha256:{HEX}"),
            format!("nginx@sha256:{HEX}"),
            format!("sha256:{HEX}"),
            format!("docker.io/library/nginx@sha256:{HEX}"),
        ] {
            assert_eq!(digest_in(&id), want, "{id}");
        }
        assert_eq!(digest_in(""), None);
        assert_eq!(digest_in("sha256:abc"), None);
        assert_eq!(digest_in(&format!("sha256:{}", HEX.to_uppercase())), None);
    }

    #[test]
    fn replica_set_of_a_deployment() {
        let meta = |owner_kind: &str, owner: &str, hash: Option<&str>| ObjectMeta {
            name: "p".into(),
            namespace: "ns".into(),
            labels: hash
                .map(|h| [("pod-template-hash".to_string(), h.to_string())].into())
                .unwrap_or_default(),
            owner_references: vec![OwnerReference {
                kind: owner_kind.into(),
                name: owner.into(),
                controller: Some(true),
            }],
        };
        assert_eq!(
            workload_of(&meta("ReplicaSet", "web-7d9c6b", Some("7d9c6b"))),
            ("Deployment".into(), "web".into())
        );
        assert_eq!(
            workload_of(&meta("ReplicaSet", "web-7d9c6b", None)),
            ("ReplicaSet".into(), "web-7d9c6b".into())
        );
        assert_eq!(
            workload_of(&meta("Job", "backup-28000000", None)),
            ("Job".into(), "backup-28000000".into())
        );
        let mut bare = meta("x", "y", None);
        bare.owner_references.clear();
        assert_eq!(workload_of(&bare), ("Pod".into(), "p".into()));
    }
}
