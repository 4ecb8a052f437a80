//! `drydock k8s inventory` with the real binary against a Kubernetes API of our own: a tiny
//! HTTPS server on 127.0.0.1 (rustls, a test CA and certificates made with `openssl` at test
//! time) serving the hand-written `PodList` pages of `tests/data/k8s` exactly as the API server
//! does (`GET /api/v1/pods`, `GET /api/v1/namespaces/{ns}/pods`, `limit` and `continue`),
//! checking the bearer token or the client certificate and answering real-shaped `Status`
//! objects otherwise. Then end to end into a real `drydock server` (SQLite store).

mod common;
#[path = "../../registry/tests/common/mod.rs"]
mod reg;

use common::*;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex, OnceLock};

const TOKEN: &str = "k8s-test-token";
/// A service account token RBAC lets list pods of namespace `shop` only.
const NS_ONLY_TOKEN: &str = "ns-only-token";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/k8s")
            .join(name),
    )
    .unwrap()
}

/// The test CA, the API server's certificate for 127.0.0.1 and a client certificate
/// (`CN=alice, O=system:masters`), made once per test binary.
struct Certs {
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

fn certs() -> &'static Certs {
    static C: OnceLock<Certs> = OnceLock::new();
    C.get_or_init(|| {
        let dir = scratch("k8s-certs");
        let (server_cert, server_key, ca) = reg::tls_cert(&dir);
        reg::openssl(&[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "client.key",
                "-out",
                "client.csr",
                "-subj",
                "/O=system:masters/CN=alice",
            ], &dir);
        std::fs::write(
            dir.join("client.cnf"),
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n",
        )
        .unwrap();
        reg::openssl(&[
                "x509",
                "-req",
                "-in",
                "client.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "client.pem",
                "-days",
                "2",
                "-extfile",
                "client.cnf",
            ], &dir);
        Certs {
            client_cert: dir.join("client.pem"),
            client_key: dir.join("client.key"),
            ca,
            server_cert,
            server_key,
        }
    })
}

/// One request the fake API server received: path with query, and who it was from
/// (`bearer:<token>`, `client-cert`, `anonymous`).
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    path: String,
    who: String,
}

/// The fake Kubernetes API server (threads; lives for the rest of the test binary).
struct KubeApi {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl KubeApi {
    fn start() -> KubeApi {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let c = certs();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&c.server_cert)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(&c.server_key).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_file(&c.ca).unwrap())
            .unwrap();
        // client certificates are verified against the test CA when presented (optional:
        // bearer tokens work without one), as the API server's --client-ca-file does
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .allow_unauthenticated()
        .build()
        .unwrap();
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_client_cert_verifier(verifier)
                .with_single_cert(chain, key)
                .unwrap(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let (config, log) = (config.clone(), log.clone());
                std::thread::spawn(move || serve(tcp, config, log));
            }
        });
        KubeApi {
            url: format!("https://127.0.0.1:{port}"),
            seen,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn port(&self) -> String {
        self.url.rsplit(':').next().unwrap().to_string()
    }
}

fn serve(tcp: TcpStream, config: Arc<rustls::ServerConfig>, log: Arc<Mutex<Vec<Seen>>>) {
    let conn = rustls::ServerConnection::new(config).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tls.read(&mut buf) {
            Ok(0) | Err(_) => return, // handshake refused or client gone
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let auth = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.trim().to_string());
    let has_cert = tls.conn.peer_certificates().is_some_and(|c| !c.is_empty());
    let who = match (&auth, has_cert) {
        (Some(a), _) if a.starts_with("Bearer ") => format!("bearer:{}", &a[7..]),
        (Some(a), _) => a.clone(),
        (None, true) => "client-cert".to_string(),
        (None, false) => "anonymous".to_string(),
    };
    log.lock().unwrap().push(Seen {
        path: target.to_string(),
        who: who.clone(),
    });
    let (code, body) = answer(method, target, &who);
    let reason = match code {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        _ => "Error",
    };
    let _ = write!(
        tls,
        "HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

/// What the API server answers to `GET target` from `who`.
fn answer(method: &str, target: &str, who: &str) -> (u16, String) {
    let ok_user = who == "client-cert" || who == format!("bearer:{TOKEN}");
    let ns_only = who == format!("bearer:{NS_ONLY_TOKEN}");
    if !ok_user && !ns_only {
        return (401, fixture("status-401.json"));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let namespace = if path == "/api/v1/pods" {
        None
    } else if let Some(ns) = path
        .strip_prefix("/api/v1/namespaces/")
        .and_then(|p| p.strip_suffix("/pods"))
    {
        Some(ns.to_string())
    } else {
        return (404, not_found(path));
    };
    if method != "GET" {
        return (404, not_found(path));
    }
    if ns_only && namespace.as_deref() != Some("shop") {
        return (403, fixture("status-403.json"));
    }
    if namespace.as_deref() == Some("scale") {
        return (200, scale_page(query));
    }
    let cont = query.split('&').find_map(|kv| kv.strip_prefix("continue="));
    let page1: Value = serde_json::from_str(&fixture("pods-page1.json")).unwrap();
    let mut page = match cont {
        None => page1,
        Some(c) if c == page1["metadata"]["continue"] => {
            serde_json::from_str(&fixture("pods-page2.json")).unwrap()
        }
        Some(_) => return (410, fixture("status-410.json")),
    };
    if let Some(ns) = namespace {
        let items = page["items"].as_array_mut().unwrap();
        items.retain(|p| p["metadata"]["namespace"] == ns.as_str());
    }
    (200, page.to_string())
}

/// Pods in namespace `scale`: generated (not a fixture), paged by `limit` and `continue`.
const SCALE_PODS: usize = 1100;

fn scale_page(query: &str) -> String {
    let param = |k: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
    };
    let limit: usize = param("limit").unwrap().parse().unwrap();
    let from: usize = param("continue").map_or(0, |c| c.parse().unwrap());
    let to = (from + limit).min(SCALE_PODS);
    let items: Vec<Value> = (from..to)
        .map(|i| {
            json!({
                "metadata": {"name": format!("runner-{i}"), "namespace": "scale"},
                "spec": {"containers": [{"name": "main", "image": format!("app:{i}")}]},
                "status": {"phase": "Running", "containerStatuses": [
                    {"name": "main", "imageID": format!("app@sha256:{i:064x}")}]}
            })
        })
        .collect();
    let mut meta = json!({"resourceVersion": "50000"});
    if to < SCALE_PODS {
        meta["continue"] = json!(to.to_string());
    }
    json!({"kind": "PodList", "apiVersion": "v1", "metadata": meta, "items": items}).to_string()
}

/// A stand-in for the Drydock server's `POST /api/v1/runtime` (plain HTTP): records the
/// number of records of every batch it receives with the right token.
fn runtime_receiver(token: &'static str) -> (String, Arc<Mutex<Vec<usize>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let batches = Arc::new(Mutex::new(Vec::new()));
    let log = batches.clone();
    std::thread::spawn(move || {
        for mut tcp in listener.incoming().flatten() {
            let mut data = Vec::new();
            let mut buf = [0u8; 65536];
            let (head_end, length) = loop {
                let n = tcp.read(&mut buf).unwrap();
                assert!(n > 0);
                data.extend_from_slice(&buf[..n]);
                if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&data[..i]).to_lowercase();
                    assert!(head.starts_with("post /api/v1/runtime "), "{head}");
                    assert!(
                        head.contains(&format!("authorization: bearer {token}")),
                        "{head}"
                    );
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .unwrap()
                        .trim()
                        .parse::<usize>()
                        .unwrap();
                    break (i + 4, len);
                }
            };
            while data.len() < head_end + length {
                let n = tcp.read(&mut buf).unwrap();
                data.extend_from_slice(&buf[..n]);
            }
            let body: Value = serde_json::from_slice(&data[head_end..]).unwrap();
            let n = body["records"].as_array().unwrap().len();
            log.lock().unwrap().push(n);
            let answer = json!({ "accepted": n }).to_string();
            let _ = write!(
                tcp,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (url, batches)
}

fn not_found(path: &str) -> String {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": format!("the server could not find the requested resource ({path})"),
           "reason": "NotFound", "details": {}, "code": 404})
    .to_string()
}

/// A kubeconfig in `dir`: cluster `staging` at `server` with the given cluster fields,
/// context `staging-admin` (current) with user `admin` of the given user fields; also
/// contexts `eks` (an exec plugin user) and `legacy-gcp` (an auth-provider user).
fn kubeconfig(dir: &Path, name: &str, server: &str, cluster: &[&str], user: &[&str]) -> PathBuf {
    let indent = |lines: &[&str]| {
        lines
            .iter()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    };
    let text = format!(
        "apiVersion: v1
kind: Config
preferences: {{}}
current-context: staging-admin
clusters:
- name: staging
  cluster:
    server: {server}
{cluster}contexts:
- name: staging-admin
  context:
    cluster: staging
    namespace: shop
    user: admin
- name: eks
  context:
    cluster: staging
    user: eks-user
- name: legacy-gcp
  context:
    cluster: staging
    user: gcp-user
users:
- name: admin
  user:
{user}- name: eks-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, staging]
      interactiveMode: IfAvailable
- name: gcp-user
  user:
    auth-provider:
      name: gcp
      config:
        cmd-path: gcloud
",
        cluster = indent(cluster),
        user = indent(user),
    );
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn b64(path: &Path) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(path).unwrap())
}

/// `drydock k8s inventory ARGS` with no ambient Kubernetes or Drydock settings.
fn inventory(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = drydock();
    c.args(["k8s", "inventory"])
        .args(args)
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .env_remove("DRYDOCK_SERVER")
        .env_remove("DRYDOCK_TOKEN");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn records_of(stdout: &[u8]) -> Value {
    let v: Value = serde_json::from_slice(stdout).expect("JSON on stdout");
    v["records"].clone()
}

fn rec(ns: &str, workload: &str, kind: &str, container: &str, image: &str, d: &str) -> Value {
    json!({"cluster": "staging", "namespace": ns, "workload": workload, "kind": kind,
           "container": container, "image": image, "digest": d})
}

const MIGRATE: &str = "sha256:3bc801a33ea83df414e1aeb962a52412835be99db28668ec25de73fdd4733804";
const NGINX: &str = "sha256:5be1ecc7935f1dd85635d4feedaf660594030253cc97c9e9ca3819ffeac36b65";
const ENVOY: &str = "sha256:84532b306f259587c364bd7301e0813963d5b84fd27c9338f0862dab8f0499d7";
const BACKUP: &str = "sha256:54d00d867758cef816bc4685f58e327b949712b07ebd17c3485f3ffc9e9f5133";
const POSTGRES: &str = "sha256:a942b37ccfaf5a813b1432caa209a43b9d144e47ad0de1549c289c253e556cd5";
const AGENT: &str = "sha256:d4f0bc5a29de06b510f9aa428f1eedba926012b591fef7a518e776a7c9bd1824";
const BUSYBOX: &str = "sha256:9d75f0d7c398df565d7ac04c6819b62d6d8f9560f5eb4672596ecd8f7e96ae91";
const ALPINE: &str = "sha256:54c5b3dd459d5ef778bb2fa1e23a5fb0e1b62ae66970bcb436e8f81a1a1a8e41";

/// Every record of the two pages: sorted by namespace, workload, kind, container; the two
/// `web` replicas give one record per container; the Succeeded Job pod and the Job pod with no
/// pulled image are not there.
fn all_records() -> Value {
    json!([
        rec(
            "kube-system",
            "node-agent",
            "DaemonSet",
            "agent",
            "registry.example.com/ops/agent:2.3",
            AGENT
        ),
        rec(
            "kube-system",
            "node-agent",
            "DaemonSet",
            "debugger",
            "busybox:1.36",
            BUSYBOX
        ),
        rec(
            "shop",
            "db",
            "StatefulSet",
            "postgres",
            "postgres:16.4",
            POSTGRES
        ),
        rec(
            "shop",
            "debug-shell",
            "Pod",
            "shell",
            &format!("alpine@{ALPINE}"),
            ALPINE
        ),
        rec(
            "shop",
            "web",
            "Deployment",
            "migrate",
            "registry.example.com/shop/migrate:1.4",
            MIGRATE
        ),
        rec(
            "shop",
            "web",
            "Deployment",
            "sidecar",
            "envoyproxy/envoy:v1.31.0",
            ENVOY
        ),
        rec("shop", "web", "Deployment", "web", "nginx:1.27", NGINX),
    ])
}

fn shop_records() -> Value {
    let all = all_records();
    Value::Array(
        all.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["namespace"] == "shop")
            .cloned()
            .collect(),
    )
}

const CONTINUE: &str =
    "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDgyMTMsInN0YXJ0Ijoic2hvcC9kYi0wXHUwMDAwIn0";

#[test]
fn token_and_inline_ca_list_every_namespace_across_pages() {
    let api = KubeApi::start();
    let dir = scratch("k8s-token");
    let kc = kubeconfig(
        &dir,
        "config",
        &api.url,
        &[&format!("certificate-authority-data: {}", b64(&certs().ca))],
        &[&format!("token: {TOKEN}")],
    );
    let out = inventory(&["--kubeconfig", kc.to_str().unwrap()], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(records_of(&out.stdout), all_records());
    assert_eq!(
        err,
        "warning: 1 container(s) skipped: no image digest known (image not pulled yet?): \
         shop/report-28911525-qm4tn report\n\
         7 records from 6 pods in 2 namespaces\n"
    );
    // both pages, the second with the continue token of the first
    assert_eq!(
        api.seen(),
        vec![
            Seen {
                path: "/api/v1/pods?limit=500".into(),
                who: format!("bearer:{TOKEN}")
            },
            Seen {
                path: format!("/api/v1/pods?limit=500&continue={CONTINUE}"),
                who: format!("bearer:{TOKEN}")
            },
        ]
    );

    // --all-phases keeps the Succeeded Job pod; --quiet drops the summary, -o writes a file
    let file = dir.join("records.json");
    let out = inventory(
        &[
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--all-phases",
            "--quiet",
            "--cluster",
            "prod-eu",
            "-o",
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out),
        "warning: 1 container(s) skipped: no image digest known (image not pulled yet?): \
         shop/report-28911525-qm4tn report\n"
    );
    let recs = records_of(&std::fs::read(&file).unwrap());
    let recs = recs.as_array().unwrap();
    assert_eq!(recs.len(), 8);
    assert!(recs.iter().all(|r| r["cluster"] == "prod-eu"));
    let backup = rec(
        "batch",
        "backup-28911520",
        "Job",
        "backup",
        "registry.example.com/ops/backup:3.2",
        BACKUP,
    );
    let mut backup = backup;
    backup["cluster"] = json!("prod-eu");
    assert_eq!(recs[0], backup);
}

#[test]
fn namespace_restricts_the_path_and_kubeconfig_env_and_files_are_read() {
    let api = KubeApi::start();
    let dir = scratch("k8s-ns");
    // certificate-authority and tokenFile as paths relative to the kubeconfig's directory
    std::fs::copy(&certs().ca, dir.join("ca.crt")).unwrap();
    std::fs::write(dir.join("token"), format!("{TOKEN}\n")).unwrap();
    let kc = kubeconfig(
        &dir,
        "config",
        &api.url,
        &["certificate-authority: ca.crt"],
        &["tokenFile: token"],
    );
    // the first path of $KUBECONFIG
    let list = format!("{}:/nonexistent/other-config", kc.display());
    let out = inventory(
        &["--namespace", "shop", "-o", "-"],
        &[("KUBECONFIG", &list)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(records_of(&out.stdout), shop_records());
    assert!(
        stderr(&out).ends_with("5 records from 5 pods in 1 namespaces\n"),
        "{}",
        stderr(&out)
    );
    let paths: Vec<String> = api.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(
        paths,
        [
            "/api/v1/namespaces/shop/pods?limit=500".to_string(),
            format!("/api/v1/namespaces/shop/pods?limit=500&continue={CONTINUE}"),
        ]
    );

    // repeated: each namespace listed on its own
    let out = inventory(
        &[
            "--kubeconfig",
            kc.to_str().unwrap(),
            "-n",
            "kube-system",
            "-n",
            "shop",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(records_of(&out.stdout), all_records());
    let paths: Vec<String> = api.seen().into_iter().skip(2).map(|s| s.path).collect();
    assert_eq!(
        paths,
        [
            "/api/v1/namespaces/kube-system/pods?limit=500".to_string(),
            format!("/api/v1/namespaces/kube-system/pods?limit=500&continue={CONTINUE}"),
            "/api/v1/namespaces/shop/pods?limit=500".to_string(),
            format!("/api/v1/namespaces/shop/pods?limit=500&continue={CONTINUE}"),
        ]
    );

    // not a namespace name: refused before any request
    let out = inventory(
        &["--kubeconfig", kc.to_str().unwrap(), "-n", "../nodes"],
        &[],
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr(&out),
        "error: --namespace \"../nodes\" is not a valid Kubernetes namespace name\n"
    );
    assert_eq!(api.seen().len(), 6);
}

#[test]
fn client_certificate_authenticates() {
    let api = KubeApi::start();
    let c = certs();
    let dir = scratch("k8s-cert");
    let kc = kubeconfig(
        &dir,
        "config-files",
        &api.url,
        &[&format!("certificate-authority: {}", c.ca.display())],
        &[
            &format!("client-certificate: {}", c.client_cert.display()),
            &format!("client-key: {}", c.client_key.display()),
        ],
    );
    let out = inventory(&["--kubeconfig", kc.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(records_of(&out.stdout), all_records());
    let kc = kubeconfig(
        &dir,
        "config-data",
        &api.url,
        &[&format!("certificate-authority-data: {}", b64(&c.ca))],
        &[
            &format!("client-certificate-data: {}", b64(&c.client_cert)),
            &format!("client-key-data: {}", b64(&c.client_key)),
        ],
    );
    let out = inventory(&["--kubeconfig", kc.to_str().unwrap(), "-n", "shop"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(records_of(&out.stdout), shop_records());
    assert!(
        api.seen().iter().all(|s| s.who == "client-cert"),
        "{:?}",
        api.seen()
    );
    assert_eq!(api.seen().len(), 4);

    // a certificate without its key
    let kc = kubeconfig(
        &dir,
        "config-half",
        &api.url,
        &[&format!("certificate-authority-data: {}", b64(&c.ca))],
        &[&format!("client-certificate-data: {}", b64(&c.client_cert))],
    );
    let out = inventory(&["--kubeconfig", kc.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr(&out),
        "error: user \"admin\": client-certificate and client-key go together; one is missing\n"
    );
}

#[test]
fn tls_is_verified_against_the_cluster_ca_only_unless_insecure() {
    let api = KubeApi::start();
    let dir = scratch("k8s-tls");
    // no CA: the system roots do not know the test CA
    let kc = kubeconfig(
        &dir,
        "config-noca",
        &api.url,
        &[],
        &[&format!("token: {TOKEN}")],
    );
    let out = inventory(&["--kubeconfig", kc.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.lines().any(|l| l.starts_with(&format!(
            "error: listing the pods of all namespaces at {}: ",
            api.url
        )) && l.ends_with("invalid peer certificate: UnknownIssuer")),
        "{err}"
    );
    assert!(api.seen().is_empty());
    // insecure-skip-tls-verify
    let kc = kubeconfig(
        &dir,
        "config-insecure",
        &api.url,
        &["insecure-skip-tls-verify: true"],
        &[&format!("token: {TOKEN}")],
    );
    let out = inventory(&["--kubeconfig", kc.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(records_of(&out.stdout), all_records());
}

#[test]
fn api_errors_quote_the_status_message() {
    let api = KubeApi::start();
    let dir = scratch("k8s-errors");
    let ca = format!("certificate-authority-data: {}", b64(&certs().ca));
    let kc = kubeconfig(
        &dir,
        "config-wrong",
        &api.url,
        &[&ca],
        &["token: not-the-token"],
    );
    let out = inventory(&["--kubeconfig", kc.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out),
        format!(
            "error: listing the pods of all namespaces at {}: HTTP 401 Unauthorized: Unauthorized\n",
            api.url
        )
    );
    // RBAC: this token may only list the pods of `shop`
    let kc = kubeconfig(
        &dir,
        "config-ns-only",
        &api.url,
        &[&ca],
        &[&format!("token: {NS_ONLY_TOKEN}")],
    );
    let out = inventory(&["--kubeconfig", kc.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr(&out),
        format!(
            "error: listing the pods of all namespaces at {}: HTTP 403 Forbidden: pods is \
             forbidden: User \"system:serviceaccount:shop:inventory\" cannot list resource \
             \"pods\" in API group \"\" at the cluster scope\n",
            api.url
        )
    );
    let out = inventory(&["--kubeconfig", kc.to_str().unwrap(), "-n", "shop"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(records_of(&out.stdout), shop_records());
}

#[test]
fn unsupported_users_and_missing_config_are_clear_errors() {
    let dir = scratch("k8s-config-errors");
    // never contacted
    let kc = kubeconfig(&dir, "config", "https://127.0.0.1:1", &[], &["token: x"]);
    let kc = kc.to_str().unwrap();
    let out = inventory(&["--kubeconfig", kc, "--context", "eks"], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr(&out),
        "error: user \"eks-user\" (context \"eks\") authenticates with an exec credential plugin \
         (aws), which drydock does not support; use a kubeconfig whose user has a token, a token \
         file or a client certificate (e.g. a service account token)\n"
    );
    let out = inventory(&["--kubeconfig", kc, "--context", "legacy-gcp"], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr(&out),
        "error: user \"gcp-user\" (context \"legacy-gcp\") authenticates with the auth-provider \
         \"gcp\", which drydock does not support; use a kubeconfig whose user has a token, a \
         token file or a client certificate (e.g. a service account token)\n"
    );
    let out = inventory(&["--kubeconfig", kc, "--context", "prod"], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr(&out),
        format!(
            "error: context \"prod\" not found in kubeconfig {kc} (contexts: staging-admin, eks, \
             legacy-gcp)\n"
        )
    );
    let missing = dir.join("no-such-config");
    let out = inventory(&["--kubeconfig", missing.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr(&out),
        format!(
            "error: reading kubeconfig {}: No such file or directory (os error 2)\n",
            missing.display()
        )
    );
    // ~/.kube/config when neither --kubeconfig nor $KUBECONFIG
    let home = scratch("k8s-home");
    let out = inventory(&[], &[("HOME", home.to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr(&out),
        format!(
            "error: reading kubeconfig {}: No such file or directory (os error 2)\n",
            home.join(".kube/config").display()
        )
    );
}

#[test]
fn in_cluster_service_account() {
    let api = KubeApi::start();
    let sa = scratch("k8s-sa");
    std::fs::write(sa.join("token"), NS_ONLY_TOKEN).unwrap();
    std::fs::copy(&certs().ca, sa.join("ca.crt")).unwrap();
    std::fs::write(sa.join("namespace"), "shop").unwrap();
    let sa = sa.to_str().unwrap();
    let port = api.port();
    let env = [
        ("KUBERNETES_SERVICE_HOST", "127.0.0.1"),
        ("KUBERNETES_SERVICE_PORT", port.as_str()),
    ];
    let out = inventory(&["--in-cluster", "--service-account-dir", sa], &env);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr(&out),
        "error: --in-cluster needs --cluster NAME (the cluster name the records carry)\n"
    );
    let base = [
        "--in-cluster",
        "--service-account-dir",
        sa,
        "--cluster",
        "staging",
    ];
    // cluster scope refused by RBAC: the hint names the service account's namespace
    let out = inventory(&base, &env);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).ends_with(
            "at the cluster scope (the service account may only list pods in its own \
             namespace: try --namespace shop, or grant it a ClusterRole to list pods)\n"
        ),
        "{}",
        stderr(&out)
    );
    let out = inventory(&[&base[..], &["-n", "shop"]].concat(), &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(records_of(&out.stdout), shop_records());
    assert!(
        api.seen()
            .iter()
            .all(|s| s.who == format!("bearer:{NS_ONLY_TOKEN}"))
    );
    // not in a pod
    let out = inventory(&base, &[]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr(&out),
        "error: --in-cluster: KUBERNETES_SERVICE_HOST is not set (not running in a pod?)\n"
    );
}

#[test]
fn records_reach_a_real_drydock_server() {
    let api = KubeApi::start();
    let dir = scratch("k8s-e2e");
    let data = scratch("k8s-server-data");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).unwrap();
    let feeds = alpine_feeds("k8s-server-feeds");
    let token = server_token(&data, "acme", "submit,read");
    let read_only = server_token(&data, "acme", "read");
    let server = start_server(&data, &feeds, &[]);
    let url = server.url();
    let kc = kubeconfig(
        &dir,
        "config",
        &api.url,
        &[&format!("certificate-authority-data: {}", b64(&certs().ca))],
        &[&format!("token: {TOKEN}")],
    );
    let kc = kc.to_str().unwrap();

    // with --server and no -o: nothing on stdout
    let out = inventory(
        &["--kubeconfig", kc, "--server", &url, "--token", &token],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).ends_with(&format!(
            "7 records from 6 pods in 2 namespaces; sent to {url} (7 accepted)\n"
        )),
        "{}",
        stderr(&out)
    );

    let got: Value = reqwest::blocking::Client::new()
        .get(format!("{url}/api/v1/runtime"))
        .bearer_auth(&read_only)
        .send()
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .unwrap();
    let mut got: Vec<Value> = got["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut r = r.clone();
            assert!(r["last_seen"].as_i64().unwrap() > 0, "{r}");
            r.as_object_mut().unwrap().remove("last_seen");
            r
        })
        .collect();
    got.sort_by_key(|r| r.to_string());
    let mut want = all_records().as_array().unwrap().clone();
    want.sort_by_key(|r| r.to_string());
    assert_eq!(got, want);

    // a token without the submit scope: the server's refusal is an error (3)
    let out = inventory(
        &[
            "--kubeconfig",
            kc,
            "--server",
            &url,
            "--token",
            &read_only,
            "-q",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).ends_with(
            "error: runtime inventory: HTTP 403 Forbidden: forbidden: the token lacks the submit \
             scope\n"
        ),
        "{}",
        stderr(&out)
    );
    // --server without --token
    let out = inventory(&["--kubeconfig", kc, "--server", &url], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr(&out),
        "error: --server needs --token (or DRYDOCK_TOKEN): a token with the submit scope\n"
    );
}

#[test]
fn large_inventories_page_and_send_in_batches_of_1000() {
    let api = KubeApi::start();
    let dir = scratch("k8s-scale");
    let kc = kubeconfig(
        &dir,
        "config",
        &api.url,
        &[&format!("certificate-authority-data: {}", b64(&certs().ca))],
        &[&format!("token: {TOKEN}")],
    );
    let (url, batches) = runtime_receiver("scale-token");
    let out = inventory(
        &[
            "--kubeconfig",
            kc.to_str().unwrap(),
            "-n",
            "scale",
            "--server",
            &url,
            "--token",
            "scale-token",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!("1100 records from 1100 pods in 1 namespaces; sent to {url} (1100 accepted)\n")
    );
    assert_eq!(*batches.lock().unwrap(), [1000, 100]);
    let paths: Vec<String> = api.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(
        paths,
        [
            "/api/v1/namespaces/scale/pods?limit=500",
            "/api/v1/namespaces/scale/pods?limit=500&continue=500",
            "/api/v1/namespaces/scale/pods?limit=500&continue=1000",
        ]
    );
}
