//! Acceptance: the real `drydock webhook` binary over HTTPS (a test CA signing a certificate
//! for 127.0.0.1), against a REAL local registry (Debian's docker-registry; images pushed
//! with skopeo), images signed by `drydock sign` (cosign's scheme) and scanned on demand with
//! the DB built from the real feeds in ../shared. AdmissionReview JSON of every kind is
//! POSTed; the shipped policy must allow, deny or warn exactly as documented in `dev`
//! (warn) and `prod` (enforce). Also: `/mutate` pins by digest, tampered signatures are
//! denied with the reason, admitted pods reach the runtime inventory receiver, and a dead
//! registry fails closed or open as configured.

mod common;
#[path = "../../registry/tests/common/mod.rs"]
mod reg;

use common::*;
use drydock_registry::{Reference, RegistryClient};
use drydock_testkit::{
    Compression, Entry, ImageConfig, alpine_rootfs, layer_from_rootfs_tarball, layer_tar,
    write_docker_archive,
};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PASSWORD: &str = "webhook-test-pw";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct WebhookProcess {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Drop for WebhookProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_webhook(dir: &Path, name: &str, extra: &[String]) -> WebhookProcess {
    let port = free_port();
    let log = dir.join(format!("{name}.log"));
    let bin = assert_cmd::cargo::cargo_bin("drydock");
    let child = Command::new(bin)
        .arg("webhook")
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .args(extra)
        .env_remove("DRYDOCK_DB")
        .env("DRYDOCK_CACHE_DIR", scratch("webhook-layer-cache"))
        .env("DRYDOCK_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    // owned at once: dropping it (also on the panic below) kills and waits
    let process = WebhookProcess {
        child,
        url: format!("https://127.0.0.1:{port}"),
        log,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return process;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "webhook did not start: {}",
        std::fs::read_to_string(&process.log).unwrap_or_default()
    );
}

fn https_client(ca: &Path) -> reqwest::blocking::Client {
    let pem = std::fs::read(ca).unwrap();
    reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

fn post(client: &reqwest::blocking::Client, url: &str, review: &Value) -> Value {
    let resp = client.post(url).json(review).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let v: Value = resp.json().unwrap();
    assert_eq!(v["kind"], "AdmissionReview");
    assert_eq!(v["response"]["uid"], review["request"]["uid"]);
    v["response"].clone()
}

/// An AdmissionReview of `kind` in `namespace` whose single container runs `image` as uid
/// 1000 (so that only the image decides).
fn review(kind: &str, namespace: &str, image: &str) -> Value {
    let pod_spec = json!({
        "securityContext": {"runAsNonRoot": true, "runAsUser": 1000},
        "containers": [{"name": "app", "image": image, "ports": [{"containerPort": 8080}]}]
    });
    let template = json!({"metadata": {"labels": {"app": "web"}}, "spec": pod_spec});
    let (group, version, resource, spec) = match kind {
        "Pod" => ("", "v1", "pods", pod_spec.clone()),
        "Deployment" => (
            "apps",
            "v1",
            "deployments",
            json!({"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": template}),
        ),
        "StatefulSet" => (
            "apps",
            "v1",
            "statefulsets",
            json!({"serviceName": "web", "selector": {"matchLabels": {"app": "web"}}, "template": template}),
        ),
        "DaemonSet" => (
            "apps",
            "v1",
            "daemonsets",
            json!({"selector": {"matchLabels": {"app": "web"}}, "template": template}),
        ),
        "ReplicaSet" => (
            "apps",
            "v1",
            "replicasets",
            json!({"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": template}),
        ),
        "Job" => (
            "batch",
            "v1",
            "jobs",
            json!({"backoffLimit": 1, "template": {"metadata": {}, "spec": {"restartPolicy": "Never", "securityContext": pod_spec["securityContext"], "containers": pod_spec["containers"]}}}),
        ),
        "CronJob" => (
            "batch",
            "v1",
            "cronjobs",
            json!({"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure", "securityContext": pod_spec["securityContext"], "containers": pod_spec["containers"]}}}}}),
        ),
        k => panic!("{k}"),
    };
    let api_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": format!("{}-{namespace}-{}", kind.to_lowercase(), image.len()),
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": resource},
            "requestKind": {"group": group, "version": version, "kind": kind},
            "requestResource": {"group": group, "version": version, "resource": resource},
            "name": "web",
            "namespace": namespace,
            "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:ci:deployer", "uid": "4f1c", "groups": ["system:serviceaccounts", "system:authenticated"]},
            "object": {
                "apiVersion": api_version, "kind": kind,
                "metadata": {"name": "web", "namespace": namespace, "labels": {"app": "web"}},
                "spec": spec
            },
            "oldObject": null,
            "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}
        }
    })
}

const KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
];

/// Alpine 3.20.3 (real minirootfs) + an application layer; `vulnerable` adds an installed
/// Python package with a real critical, fixed advisory (PYSEC-2024-25 / CVE-2024-22682,
/// duckdb < 0.9.3.dev6, CVSS 9.8 in the OSV PyPI feed).
fn image(dir: &Path, name: &str, vulnerable: bool) -> PathBuf {
    let base = layer_from_rootfs_tarball(alpine_rootfs("3.20.3"));
    let mut entries = vec![
        Entry::dir("app"),
        Entry::file("app/server.txt", format!("{name}\n")),
    ];
    if vulnerable {
        entries.extend([
            Entry::dir("usr/lib/python3.12/site-packages/duckdb-0.9.2.dist-info"),
            Entry::file(
                "usr/lib/python3.12/site-packages/duckdb-0.9.2.dist-info/METADATA",
                "Metadata-Version: 2.1\nName: duckdb\nVersion: 0.9.2\n",
            ),
        ]);
    }
    let app = layer_tar(&entries);
    let path = dir.join(format!("{name}.tar"));
    write_docker_archive(
        &path,
        &[base, app],
        &ImageConfig::default(),
        Compression::None,
        Some(&format!("drydock/{name}:1")),
    );
    path
}

fn drydock_ok(args: &[&str]) -> String {
    let out = drydock()
        .args(args)
        .env("COSIGN_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "drydock {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// A tiny HTTP receiver for the runtime inventory: records (head, JSON body), answers 202.
/// Requests received: (head, JSON body).
type Received = Arc<Mutex<Vec<(String, Value)>>>;

fn receiver() -> (String, Received) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { continue };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let (mut head, mut len) = (String::new(), 0usize);
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; len];
            let _ = r.read_exact(&mut body);
            g.lock()
                .unwrap()
                .push((head, serde_json::from_slice(&body).unwrap_or(Value::Null)));
            let _ = s.write_all(
                b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    (addr, got)
}

fn warnings(r: &Value) -> Vec<String> {
    r["warnings"]
        .as_array()
        .map(|a| a.iter().map(|w| w.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn admission_decisions_over_https_against_a_real_registry() {
    let dir = tempfile::Builder::new()
        .prefix("drydock-webhook-")
        .tempdir()
        .unwrap();
    let d = dir.path();
    let registry = reg::Registry::start(reg::Auth::None);
    let h = registry.host.clone();
    // images: clean (signed), vulnerable (signed), unsigned, tampered (signed, then forged)
    let clean_tar = image(d, "clean", false);
    let vuln_tar = image(d, "vuln", true);
    let unsigned_tar = image(d, "unsigned", false);
    let clean_digest = registry.push_archive(&clean_tar, "team/clean:1.0");
    let vuln_digest = registry.push_archive(&vuln_tar, "team/vuln:1.0");
    let unsigned_digest = registry.push_archive(&unsigned_tar, "team/unsigned:1.0");
    let tamper_digest = registry.push_archive(&clean_tar, "team/tamper:1.0");
    assert_eq!(clean_digest, tamper_digest);

    // keys and signatures with our own CLI
    let prefix = d.join("cosign");
    drydock_ok(&[
        "generate-key-pair",
        "--output-key-prefix",
        prefix.to_str().unwrap(),
    ]);
    let key = d.join("cosign.key");
    let public = d.join("cosign.pub");
    assert!(
        std::fs::read_to_string(&key)
            .unwrap()
            .starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")
    );
    for repo in ["team/clean:1.0", "team/vuln:1.0", "team/tamper:1.0"] {
        drydock_ok(&[
            "sign",
            "--key",
            key.to_str().unwrap(),
            &format!("{h}/{repo}"),
            "--insecure",
        ]);
    }
    let verified = drydock_ok(&[
        "verify",
        "--key",
        public.to_str().unwrap(),
        &format!("{h}/team/clean:1.0"),
        "--insecure",
    ]);
    let payload: Value = serde_json::from_str(verified.lines().next().unwrap()).unwrap();
    assert_eq!(
        payload["critical"]["image"]["docker-manifest-digest"],
        clean_digest.as_str()
    );
    // unsigned: `verify` exits 1 naming the missing .sig
    let out = drydock()
        .args([
            "verify",
            "--key",
            public.to_str().unwrap(),
            &format!("{h}/team/unsigned:1.0"),
            "--insecure",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(".sig not found"));

    // a vuln attestation of the vulnerable image: scanned now, verified back
    let db_path = full_db().to_str().unwrap().to_string();
    drydock_ok(&[
        "attest",
        "--key",
        key.to_str().unwrap(),
        "--type",
        "vuln",
        "--db",
        &db_path,
        &format!("{h}/team/vuln:1.0"),
        "--insecure",
    ]);
    let out = drydock_ok(&[
        "verify-attestation",
        "--key",
        public.to_str().unwrap(),
        "--type",
        "vuln",
        &format!("{h}/team/vuln:1.0"),
        "--insecure",
    ]);
    let statement: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(
        statement["predicateType"],
        "https://cosign.sigstore.dev/attestation/vuln/v1"
    );
    assert_eq!(
        statement["subject"][0]["digest"]["sha256"],
        vuln_digest.trim_start_matches("sha256:")
    );
    let result = &statement["predicate"]["scanner"]["result"];
    assert_eq!(result["artifact"]["manifest_digest"], vuln_digest.as_str());
    let ids: Vec<&str> = result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "CRITICAL")
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["CVE-2024-22682"]);
    assert_eq!(result["summary"]["by_severity"]["CRITICAL"], 1);

    // tamper with team/tamper's signature: a flipped byte in the signature annotation
    let client = RegistryClient::new(&reg::opts()).unwrap();
    let tamper_ref = Reference::parse(&format!("{h}/team/tamper:1.0")).unwrap();
    let sig_tag = format!("{}.sig", tamper_digest.replacen(':', "-", 1));
    let stored = client.get_manifest(&tamper_ref, &sig_tag).unwrap();
    let mut m: Value = serde_json::from_slice(&stored.bytes).unwrap();
    let sig = m["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"]
        .as_str()
        .unwrap()
        .to_string();
    let mut chars: Vec<char> = sig.chars().collect();
    chars[10] = if chars[10] == 'A' { 'B' } else { 'A' };
    m["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"] =
        json!(chars.into_iter().collect::<String>());
    client
        .put_manifest(
            &tamper_ref,
            &sig_tag,
            &stored.media_type,
            &serde_json::to_vec(&m).unwrap(),
        )
        .unwrap();

    let (cert, tls_key, ca) = reg::tls_cert(d);
    let config = d.join("config.yaml");
    std::fs::write(
        &config,
        "default_mode: enforce\nnamespaces:\n  - names: [dev]\n    mode: warn\n  - names: [prod]\n    mode: enforce\nscan_deadline_ms: 120000\ncluster: test-cluster\n",
    )
    .unwrap();
    let (inventory, records) = receiver();
    let db = full_db().to_str().unwrap().to_string();
    let common_flags: Vec<String> = [
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        tls_key.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--key",
        public.to_str().unwrap(),
        "--insecure",
        "--db",
        &db,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut flags = common_flags.clone();
    flags.extend([
        "--server".into(),
        format!("http://{inventory}"),
        "--server-token".into(),
        "inv-token".into(),
    ]);
    let wh = start_webhook(d, "webhook", &flags);
    let https = https_client(&ca);
    let validate = format!("{}/validate", wh.url);

    let clean = format!("{h}/team/clean:1.0@{clean_digest}");
    let vuln = format!("{h}/team/vuln:1.0@{vuln_digest}");
    let unsigned = format!("{h}/team/unsigned:1.0@{unsigned_digest}");
    let unpinned = format!("{h}/team/clean:1.0");
    let tampered = format!("{h}/team/tamper:1.0@{tamper_digest}");

    for kind in KINDS {
        // scanned-clean, signed, pinned: allowed without warnings in both namespaces
        for ns in ["prod", "dev"] {
            let r = post(&https, &validate, &review(kind, ns, &clean));
            assert_eq!(r["allowed"], true, "{kind} {ns}: {r}");
            assert!(warnings(&r).is_empty(), "{kind} {ns}: {r}");
        }
        // critical fixable CVE: denied in prod, warned in dev
        let r = post(&https, &validate, &review(kind, "prod", &vuln));
        assert_eq!(r["allowed"], false, "{kind}: {r}");
        assert_eq!(r["status"]["code"], 403);
        let msg = r["status"]["message"].as_str().unwrap();
        assert!(
            msg.contains("critical vulnerability CVE-2024-22682 has a fix"),
            "{kind}: {msg}"
        );
        let r = post(&https, &validate, &review(kind, "dev", &vuln));
        assert_eq!(r["allowed"], true, "{kind}: {r}");
        assert!(
            warnings(&r)
                .iter()
                .any(|w| w.contains("critical vulnerability CVE-2024-22682 has a fix")),
            "{kind}: {r}"
        );
        // unpinned tag
        let r = post(&https, &validate, &review(kind, "prod", &unpinned));
        assert_eq!(r["allowed"], false, "{kind}: {r}");
        assert!(
            r["status"]["message"].as_str().unwrap().contains(&format!(
                "{unpinned}: not pinned by digest (use {unpinned}@{clean_digest})"
            )),
            "{kind}: {r}"
        );
        let r = post(&https, &validate, &review(kind, "dev", &unpinned));
        assert_eq!(r["allowed"], true);
        assert!(
            warnings(&r)
                .iter()
                .any(|w| w.contains("not pinned by digest")),
            "{kind}: {r}"
        );
        // unsigned
        let r = post(&https, &validate, &review(kind, "prod", &unsigned));
        assert_eq!(r["allowed"], false, "{kind}: {r}");
        let msg = r["status"]["message"].as_str().unwrap();
        assert!(
            msg.contains("not signed: no signatures for"),
            "{kind}: {msg}"
        );
        assert!(msg.contains(".sig not found"), "{kind}: {msg}");
        let r = post(&https, &validate, &review(kind, "dev", &unsigned));
        assert_eq!(r["allowed"], true);
        assert!(
            warnings(&r).iter().any(|w| w.contains("not signed")),
            "{kind}: {r}"
        );
        // tampered signature
        let r = post(&https, &validate, &review(kind, "prod", &tampered));
        assert_eq!(r["allowed"], false, "{kind}: {r}");
        let msg = r["status"]["message"].as_str().unwrap();
        assert!(
            msg.contains("not signed: no valid signature for"),
            "{kind}: {msg}"
        );
        assert!(
            msg.contains("the signature does not verify with the key"),
            "{kind}: {msg}"
        );
    }

    // the mutating path pins the tag to the digest that was scanned
    let r = post(
        &https,
        &format!("{}/mutate", wh.url),
        &review("Deployment", "prod", &unpinned),
    );
    assert_eq!(r["allowed"], true);
    assert_eq!(r["patchType"], "JSONPatch");
    use base64::Engine;
    let patch: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(r["patch"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        patch,
        json!([{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": format!("{unpinned}@{clean_digest}")}])
    );

    // admitted pods (prod and dev, clean) reached the runtime inventory; denied ones did not
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut pod_records: Vec<Value> = Vec::new();
    while Instant::now() < deadline {
        pod_records = records
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(_, b)| b["records"].as_array().cloned().unwrap_or_default())
            .collect();
        if pod_records.len() >= 6 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    {
        let got = records.lock().unwrap();
        // every request to the server: the runtime reports, and before each on-demand scan
        // the lookup of the digest (this receiver knows no image, so each one is scanned)
        let posts: Vec<&String> = got
            .iter()
            .map(|(head, _)| head)
            .filter(|h| !h.starts_with("GET "))
            .collect();
        assert!(!posts.is_empty());
        for head in &posts {
            assert!(head.starts_with("POST /api/v1/runtime HTTP/1.1"), "{head}");
            assert!(
                head.to_ascii_lowercase()
                    .contains("authorization: bearer inv-token"),
                "{head}"
            );
        }
        let lookups: Vec<&String> = got
            .iter()
            .map(|(head, _)| head)
            .filter(|h| h.starts_with("GET "))
            .collect();
        assert!(
            lookups.iter().any(|h| h
                .starts_with(&format!("GET /api/v1/images/{clean_digest} HTTP/1.1"))
                && h.to_ascii_lowercase()
                    .contains("authorization: bearer inv-token")),
            "{lookups:?}"
        );
    }
    // Pod CREATEs allowed: clean ×2 namespaces, vuln/unpinned/unsigned in dev (warned) = 5
    assert_eq!(pod_records.len(), 5, "{pod_records:?}");
    assert!(pod_records.contains(&json!({"cluster": "test-cluster", "namespace": "prod", "workload": "web", "kind": "Pod", "container": "app", "image": clean, "digest": clean_digest})), "{pod_records:?}");
    assert!(
        pod_records
            .iter()
            .all(|r| r["namespace"] == "dev" || r["image"] == json!(clean))
    );

    // decisions are cached: one on-demand scan per digest (clean, vuln, unsigned; tamper
    // shares clean's digest)
    let metrics = https
        .get(format!("{}/metrics", wh.url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("drydock_webhook_scans_started_total 3\n"),
        "{metrics}"
    );

    // the registry goes down: an image not seen before fails closed by default ...
    drop(registry);
    let gone = format!("{h}/team/clean:2.0");
    let r = post(&https, &validate, &review("Pod", "prod", &gone));
    assert_eq!(r["allowed"], false, "{r}");
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap()
            .contains("team/clean:2.0: cannot resolve the image"),
        "{r}"
    );
    // ... and open with --on-error allow (with a warning)
    let mut open_flags = common_flags.clone();
    open_flags.extend(["--on-error".into(), "allow".into()]);
    let wh_open = start_webhook(d, "webhook-open", &open_flags);
    let r = post(
        &https,
        &format!("{}/validate", wh_open.url),
        &review("Pod", "prod", &gone),
    );
    assert_eq!(r["allowed"], true, "{r}");
    assert!(
        warnings(&r)
            .iter()
            .any(|w| w.contains("allowed (fail-open): ")
                && w.contains("team/clean:2.0: cannot resolve the image")),
        "{r}"
    );
    let log = std::fs::read_to_string(&wh.log).unwrap();
    assert!(log.contains("listening on https://127.0.0.1:"), "{log}");
}

#[test]
fn audit_mode_allows_and_reports() {
    let dir = tempfile::Builder::new()
        .prefix("drydock-webhook-audit-")
        .tempdir()
        .unwrap();
    let d = dir.path();
    let registry = reg::Registry::start(reg::Auth::None);
    let tar = image(d, "audit", false);
    let digest = registry.push_archive(&tar, "team/audit:1");
    let (cert, key, ca) = reg::tls_cert(d);
    let db = full_db().to_str().unwrap().to_string();
    let flags: Vec<String> = [
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
        "--insecure",
        "--db",
        &db,
        "--audit",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let wh = start_webhook(d, "webhook-audit", &flags);
    let https = https_client(&ca);
    // unsigned (no key configured) and unpinned: would be denied twice, but audit allows
    let image = format!("{}/team/audit:1", registry.host);
    let r = post(
        &https,
        &format!("{}/validate", wh.url),
        &review("Deployment", "prod", &image),
    );
    assert_eq!(r["allowed"], true, "{r}");
    let would = r["auditAnnotations"]["drydock.dev/would-deny"]
        .as_str()
        .unwrap();
    assert!(would.contains("not pinned by digest"), "{would}");
    assert!(
        would.contains("not signed: no verification key configured"),
        "{would}"
    );
    assert!(warnings(&r).iter().all(|w| w.contains("audit: would deny")));
    let _ = digest;
    // the log says what would have been denied
    std::thread::sleep(Duration::from_millis(200));
    let log = std::fs::read_to_string(&wh.log).unwrap();
    assert!(log.contains("audit: would deny"), "{log}");
}

/// Benchmark (run by bench/webhook.sh; ignored in the normal test run): decision latency
/// over HTTPS at a fixed request rate with a warm cache, and the cold latency of a first
/// request that needs an on-demand scan. `DRYDOCK_BENCH_SECS` (default 60) and
/// `DRYDOCK_BENCH_RATE` (default 500 requests/s).
#[test]
#[ignore]
fn bench_decision_latency() {
    let secs: u64 = std::env::var("DRYDOCK_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let rate: u64 = std::env::var("DRYDOCK_BENCH_RATE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    let dir = tempfile::Builder::new()
        .prefix("drydock-webhook-bench-")
        .tempdir()
        .unwrap();
    let d = dir.path();
    let registry = reg::Registry::start(reg::Auth::None);
    let h = registry.host.clone();
    let tar = image(d, "bench", true);
    let digest = registry.push_archive(&tar, "team/bench:1");
    let cold_tar = image(d, "bench-cold", false);
    let cold_digest = registry.push_archive(&cold_tar, "team/cold:1");
    drydock_ok(&[
        "generate-key-pair",
        "--output-key-prefix",
        d.join("cosign").to_str().unwrap(),
    ]);
    for r in ["team/bench:1", "team/cold:1"] {
        drydock_ok(&[
            "sign",
            "--key",
            d.join("cosign.key").to_str().unwrap(),
            &format!("{h}/{r}"),
            "--insecure",
        ]);
    }
    let (cert, key, ca) = reg::tls_cert(d);
    let db = full_db().to_str().unwrap().to_string();
    let flags: Vec<String> = [
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
        "--key",
        d.join("cosign.pub").to_str().unwrap(),
        "--insecure",
        "--db",
        &db,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // a fresh layer cache: the cold request really scans
    let wh = start_webhook(d, "webhook-bench", &flags);
    let url = format!("{}/validate", wh.url);
    let https = https_client(&ca);
    // cold: resolve + signature + on-demand scan + Rego
    let t = Instant::now();
    let r = post(
        &https,
        &url,
        &review(
            "Deployment",
            "prod",
            &format!("{h}/team/cold:1@{cold_digest}"),
        ),
    );
    let cold = t.elapsed();
    assert_eq!(r["allowed"], true, "{r}");
    // warm: the same review (denied: a critical CVE) again and again
    let body = review("Deployment", "prod", &format!("{h}/team/bench:1@{digest}"));
    let t = Instant::now();
    let r = post(&https, &url, &body);
    let first = t.elapsed();
    assert_eq!(r["allowed"], false);
    let total = secs * rate;
    let workers = 16u64;
    let interval = Duration::from_nanos(1_000_000_000 / rate);
    let start = Instant::now() + Duration::from_millis(200);
    let lat = Arc::new(Mutex::new(Vec::with_capacity(total as usize)));
    let body = Arc::new(serde_json::to_vec(&body).unwrap());
    let mut threads = Vec::new();
    for w in 0..workers {
        let (lat, body, url, ca) = (lat.clone(), body.clone(), url.clone(), ca.clone());
        threads.push(std::thread::spawn(move || {
            let c = https_client(&ca);
            let mut i = w;
            let mut mine = Vec::new();
            while i < total {
                // open-loop schedule: request i is due at start + i × interval
                let due = start + interval * i as u32;
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                let t = Instant::now();
                let resp = c
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.as_ref().clone())
                    .send()
                    .unwrap();
                assert_eq!(resp.status().as_u16(), 200);
                let _ = resp.bytes().unwrap();
                // latency from when the request was due (includes any queueing)
                mine.push(t.elapsed().max(Instant::now() - due.max(start)));
                i += workers;
            }
            lat.lock().unwrap().extend(mine);
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    let wall = start.elapsed();
    let mut v = lat.lock().unwrap().clone();
    v.sort();
    let pct = |p: f64| v[((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1];
    let metrics = https
        .get(format!("{}/metrics", wh.url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    println!(
        "webhook bench: {} requests in {:.1} s ({:.0} req/s offered {rate}/s)\n  warm p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms\n  first request of a scanned digest {:.1} ms; cold (on-demand scan) {:.0} ms\n{metrics}",
        v.len(),
        wall.as_secs_f64(),
        v.len() as f64 / wall.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.90).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        v.last().unwrap().as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3,
        cold.as_secs_f64() * 1e3,
    );
}
