//! Test set-up: a REAL registry (Debian's `docker-registry`, the CNCF distribution server) on
//! 127.0.0.1 with a temp storage dir, optionally behind htpasswd Basic auth or token auth
//! (with a tiny token server of our own, signing JWTs with `openssl`); images pushed with
//! `skopeo`; a fault-injecting HTTP proxy that counts requests.
//!
//! Needs the Debian packages `docker-registry`, `skopeo`, `apache2-utils` (htpasswd) and
//! `openssl`.

#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use drydock_image::{AnalyzeOptions, Image, MergedView, OpenOptions, analyze_image};
use drydock_inventory::{Inventory, InventoryAnalyzer, build_inventory};
use drydock_registry::{DockerConfig, RegistryOptions};
use drydock_testkit::{
    Compression, Entry, ImageConfig, ImageDigests, IndexDigests, Platform, alpine_rootfs,
    layer_from_rootfs_tarball, layer_tar, write_docker_archive, write_oci_layout_multiplatform,
};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const USER: &str = "drydock";
pub const PASS: &str = "s3cret-pass";

/// Client options for tests: plain HTTP to the local registry, no ambient credentials
/// (neither the environment nor the machine's docker config), quick back-off.
pub fn opts() -> RegistryOptions {
    RegistryOptions {
        plain_http: true,
        env_credentials: false,
        docker_config: DockerConfig::Disabled,
        retry_base_delay: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        ..RegistryOptions::default()
    }
}

pub fn with_creds(user: &str, pass: &str) -> RegistryOptions {
    RegistryOptions {
        username: Some(user.into()),
        password: Some(pass.into()),
        ..opts()
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .unwrap()
        .port()
}

/// status, headers (names lowercased), body
pub type RawResponse = (u16, Vec<(String, String)>, Vec<u8>);

/// One raw HTTP/1.1 GET.
pub fn raw_get(addr: &str, path: &str, headers: &[(&str, &str)]) -> std::io::Result<RawResponse> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    let mut all = Vec::new();
    s.read_to_end(&mut all)?;
    let (head, body) = split_head(&all).ok_or_else(|| std::io::Error::other("no HTTP head"))?;
    let head = String::from_utf8_lossy(head).to_string();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let hs = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok((status, hs, body.to_vec()))
}

fn split_head(all: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = all.windows(4).position(|w| w == b"\r\n\r\n")?;
    Some((&all[..i], &all[i + 4..]))
}

// ---------------------------------------------------------------------------------------
// the registry

pub enum Auth {
    None,
    /// htpasswd Basic auth with USER / PASS.
    Htpasswd,
    /// Token auth: the registry trusts `token` (a [`TokenServer`] started first).
    Token(Arc<TokenServer>),
    /// TLS with a certificate for 127.0.0.1 signed by a test CA (`ca.pem` in the dir).
    Tls,
    /// TLS, and token auth whose realm is plain HTTP.
    TlsToken(Arc<TokenServer>),
}

pub struct Registry {
    child: Child,
    pub port: u16,
    /// `127.0.0.1:PORT`
    pub host: String,
    pub dir: tempfile::TempDir,
    pub basic: bool,
    pub token: Option<Arc<TokenServer>>,
    /// The CA that signed the registry's certificate (TLS registries).
    pub ca: Option<PathBuf>,
}

impl Registry {
    pub fn start(auth: Auth) -> Registry {
        Registry::start_with(auth, "")
    }

    /// [`Registry::start`] with `config_yaml` appended to the registry's configuration (top
    /// level: e.g. a `notifications:` section).
    pub fn start_with(auth: Auth, config_yaml: &str) -> Registry {
        let dir = tempfile::Builder::new()
            .prefix("drydock-registry-")
            .tempdir()
            .unwrap();
        let tls_wanted = matches!(auth, Auth::Tls | Auth::TlsToken(_));
        let mut extra = String::new();
        let mut tls_extra = String::new();
        let mut basic = false;
        let mut token = None;
        let mut ca = None;
        match auth {
            Auth::None => {}
            Auth::Htpasswd => {
                let out = Command::new("htpasswd")
                    .args(["-Bbn", USER, PASS])
                    .output()
                    .expect("htpasswd (apt-get install apache2-utils)");
                assert!(out.status.success());
                std::fs::write(dir.path().join("htpasswd"), &out.stdout).unwrap();
                extra = format!(
                    "auth:\n  htpasswd:\n    realm: drydock-test\n    path: {}\n",
                    dir.path().join("htpasswd").display()
                );
                basic = true;
            }
            Auth::Token(t) => {
                extra = token_auth(&t);
                token = Some(t);
            }
            Auth::Tls => {}
            Auth::TlsToken(t) => {
                extra = token_auth(&t);
                token = Some(t);
            }
        }
        if tls_wanted {
            let (cert, key, ca_pem) = tls_cert(dir.path());
            tls_extra = format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                cert.display(),
                key.display()
            );
            ca = Some(ca_pem);
        }
        for _ in 0..5 {
            let port = free_port();
            let host = format!("127.0.0.1:{port}");
            let (http_extra, top_extra) = (tls_extra.clone(), extra.clone());
            let cfg = format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {host}\n  secret: drydock-test-secret\n{http_extra}{top_extra}{config_yaml}",
                dir.path().join("storage").display()
            );
            let cfg_path = dir.path().join("config.yml");
            std::fs::write(&cfg_path, cfg).unwrap();
            let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
            let mut cmd = Command::new("/usr/bin/docker-registry");
            cmd.arg("serve")
                .arg(&cfg_path)
                .stdout(log.try_clone().unwrap())
                .stderr(log);
            // never outlive the test (even one killed without unwinding)
            // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
            unsafe {
                use std::os::unix::process::CommandExt;
                cmd.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
            let mut child = cmd
                .spawn()
                .expect("docker-registry (apt-get install docker-registry)");
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut up = false;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // exited: port taken?
                }
                if TcpStream::connect(&host).is_ok() {
                    up = ca.is_some()
                        || matches!(raw_get(&host, "/v2/", &[]), Ok((200 | 401, _, _)));
                    if up {
                        break;
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if up {
                return Registry {
                    child,
                    port,
                    host,
                    dir,
                    basic,
                    token,
                    ca,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let log = std::fs::read_to_string(dir.path().join("registry.log")).unwrap_or_default();
        panic!("docker-registry did not start: {log}");
    }

    /// `127.0.0.1:PORT/<repo>:<tag>`
    pub fn reference(&self, repo_tag: &str) -> String {
        format!("{}/{repo_tag}", self.host)
    }

    fn creds_args(&self) -> Vec<String> {
        if self.basic || self.token.is_some() {
            vec!["--dest-creds".into(), format!("{USER}:{PASS}")]
        } else {
            vec![]
        }
    }

    /// `skopeo copy <src> docker://127.0.0.1:PORT/<repo_tag>`; returns the pushed manifest
    /// digest as skopeo reports it.
    pub fn push(&self, src: &str, repo_tag: &str, all: bool) -> String {
        let digest_file = self.dir.path().join("pushed.digest");
        let mut cmd = Command::new("skopeo");
        cmd.args(["--insecure-policy", "copy", "--quiet"]);
        if all {
            cmd.arg("--all");
        }
        if let Some(ca) = &self.ca {
            cmd.arg("--dest-cert-dir")
                .arg(ca.parent().unwrap().join("certs.d"));
        } else {
            cmd.arg("--dest-tls-verify=false");
        }
        cmd.args(self.creds_args())
            .arg("--digestfile")
            .arg(&digest_file)
            .arg(src)
            .arg(format!("docker://{}/{repo_tag}", self.host));
        let out = cmd.output().expect("skopeo (apt-get install skopeo)");
        assert!(
            out.status.success(),
            "skopeo copy {src} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(&digest_file)
            .unwrap()
            .trim()
            .to_string()
    }

    pub fn push_archive(&self, tar: &Path, repo_tag: &str) -> String {
        self.push(
            &format!("docker-archive:{}", tar.display()),
            repo_tag,
            false,
        )
    }

    pub fn push_oci_all(&self, layout: &Path, repo_tag: &str) -> String {
        self.push(&format!("oci:{}:latest", layout.display()), repo_tag, true)
    }

    /// The blob's path in the registry's storage (to read what it serves).
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.dir.path().join(format!(
            "storage/docker/registry/v2/blobs/sha256/{}/{hex}/data",
            &hex[..2]
        ))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token_auth(t: &TokenServer) -> String {
    format!(
        "auth:\n  token:\n    realm: http://{}/token\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
        t.addr,
        TokenServer::SERVICE,
        TokenServer::ISSUER,
        t.cert.display()
    )
}

/// Run `openssl` with `args` in `dir`; panics with its stderr on failure.
pub fn openssl(args: &[&str], dir: &Path) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test CA and a server certificate for 127.0.0.1 signed by it. Returns (cert, key, ca).
pub fn tls_cert(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=drydock test CA",
        ],
        dir,
    );
    openssl(
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
        dir,
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
        dir,
    );
    // skopeo's --dest-cert-dir: a directory of *.crt CAs
    std::fs::create_dir_all(dir.join("certs.d")).unwrap();
    std::fs::copy(dir.join("ca.pem"), dir.join("certs.d/ca.crt")).unwrap();
    (
        dir.join("server.pem"),
        dir.join("server.key"),
        dir.join("ca.pem"),
    )
}

// ---------------------------------------------------------------------------------------
// the token server

/// A minimal token service (the registry's `auth.token.realm`): grants everything asked
/// for to USER/PASS (or the identity token `IDENTITY_TOKEN` by POST), `pull` on `public/*`
/// to anyone, never the catalog; signs RS256 JWTs with `openssl` (x5c header, certificate
/// trusted by the registry).
pub struct TokenServer {
    pub addr: String,
    pub cert: PathBuf,
    state: Arc<TokenState>,
    _dir: tempfile::TempDir,
}

struct TokenState {
    cert: PathBuf,
    key: PathBuf,
    /// Every request, in order.
    log: Mutex<Vec<TokenRequest>>,
}

#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub method: String,
    pub scopes: Vec<String>,
    pub user: Option<String>,
    pub status: u16,
}

pub const IDENTITY_TOKEN: &str = "identity-token-for-drydock";

impl TokenServer {
    pub const SERVICE: &'static str = "drydock-test-registry";
    pub const ISSUER: &'static str = "drydock-test-issuer";

    pub fn start() -> Arc<TokenServer> {
        let dir = tempfile::Builder::new()
            .prefix("drydock-token-")
            .tempdir()
            .unwrap();
        openssl(
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "key.pem",
                "-out",
                "cert.pem",
                "-days",
                "2",
                "-subj",
                "/CN=drydock token signer",
            ],
            dir.path(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let state = Arc::new(TokenState {
            cert: dir.path().join("cert.pem"),
            key: dir.path().join("key.pem"),
            log: Mutex::new(Vec::new()),
        });
        let st = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                std::thread::spawn(move || st.serve(conn));
            }
        });
        Arc::new(TokenServer {
            addr,
            cert: dir.path().join("cert.pem"),
            state,
            _dir: dir,
        })
    }

    pub fn requests(&self) -> Vec<TokenRequest> {
        self.state.log.lock().unwrap().clone()
    }
}

impl TokenState {
    fn serve(&self, mut conn: TcpStream) {
        let Some(req) = read_request(&mut conn) else {
            return;
        };
        let (path, query) = req.path.split_once('?').unwrap_or((&req.path, ""));
        if path != "/token" {
            let _ = respond(&mut conn, 404, &[], b"not found");
            return;
        }
        let mut params: Vec<(String, String)> = url_pairs(query);
        if req.method == "POST" {
            params.extend(url_pairs(&String::from_utf8_lossy(&req.body)));
        }
        let scopes: Vec<String> = params
            .iter()
            .filter(|(k, _)| k == "scope")
            .map(|(_, v)| v.clone())
            .collect();
        // who is asking?
        let mut user: Option<String> = None;
        let mut rejected = false;
        if req.method == "POST" {
            let rt = params
                .iter()
                .find(|(k, _)| k == "refresh_token")
                .map(|(_, v)| v.as_str());
            if rt == Some(IDENTITY_TOKEN) {
                user = Some(USER.into());
            } else {
                rejected = true;
            }
        } else if let Some(a) = req.header("authorization") {
            let ok = a
                .strip_prefix("Basic ")
                .and_then(|b| B64.decode(b).ok())
                .map(|d| d == format!("{USER}:{PASS}").as_bytes())
                .unwrap_or(false);
            if ok {
                user = Some(USER.into());
            } else {
                rejected = true;
            }
        }
        let status = if rejected { 401 } else { 200 };
        self.log.lock().unwrap().push(TokenRequest {
            method: req.method.clone(),
            scopes: scopes.clone(),
            user: user.clone(),
            status,
        });
        if rejected {
            let body =
                br#"{"errors":[{"code":"UNAUTHORIZED","message":"invalid username or password"}]}"#;
            let _ = respond(
                &mut conn,
                401,
                &[("Content-Type", "application/json")],
                body,
            );
            return;
        }
        let mut access = Vec::new();
        for s in &scopes {
            let parts: Vec<&str> = s.split(':').collect();
            if parts.len() != 3 || parts[0] != "repository" {
                continue; // registry:catalog:* is never granted
            }
            let asked: Vec<&str> = parts[2].split(',').collect();
            let granted: Vec<&str> = if user.is_some() {
                asked
            } else if parts[1].starts_with("public/") {
                asked.into_iter().filter(|a| *a == "pull").collect()
            } else {
                vec![]
            };
            access.push(
                serde_json::json!({"type": "repository", "name": parts[1], "actions": granted}),
            );
        }
        let jwt = self.sign(user.as_deref().unwrap_or(""), access);
        let body = serde_json::json!({"token": jwt, "access_token": jwt, "expires_in": 300});
        let _ = respond(
            &mut conn,
            200,
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        );
    }

    fn sign(&self, sub: &str, access: Vec<serde_json::Value>) -> String {
        let cert_pem = std::fs::read_to_string(&self.cert).unwrap();
        let der_b64: String = cert_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5c": [der_b64]});
        let claims = serde_json::json!({
            "iss": TokenServer::ISSUER, "sub": sub, "aud": TokenServer::SERVICE,
            "exp": now + 300, "nbf": now - 10, "iat": now,
            "jti": format!("{now}-{}", rand_suffix()), "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            B64URL.encode(header.to_string()),
            B64URL.encode(claims.to_string())
        );
        let mut child = Command::new("openssl")
            .args(["dgst", "-sha256", "-sign"])
            .arg(&self.key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("openssl");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(signing_input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        format!("{signing_input}.{}", B64URL.encode(out.stdout))
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn url_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (pct_decode(k), pct_decode(v))
        })
        .collect()
}

fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let h = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(h, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------
// a tiny HTTP/1.1 server side

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// (lowercased name, value)
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn read_request(conn: &mut TcpStream) -> Option<Request> {
    conn.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let mut r = BufReader::new(conn.try_clone().ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        307 => "Temporary Redirect",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn respond(
    conn: &mut TcpStream,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    conn.write_all(head.as_bytes())?;
    conn.write_all(body)?;
    conn.flush()
}

// ---------------------------------------------------------------------------------------
// the fault proxy

/// What the proxy does with one request.
#[derive(Debug, Clone)]
pub enum Action {
    /// Pass it to the registry and its answer back.
    Forward,
    /// Forward, but send only the first `n` bytes of the answer's body, then close.
    Truncate(usize),
    /// Forward, with the body byte at `offset` XOR-ed with 0xff.
    Corrupt(usize),
    /// Answer this instead.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Close the connection without answering.
    Close,
}

type Rule = dyn Fn(&Request, usize) -> Action + Send + Sync;

/// An HTTP proxy (one request per connection) in front of a registry. `rule(request, n)`
/// decides what happens to the `n`-th request (0-based) for the same path; every request is
/// logged.
pub struct Proxy {
    pub addr: String,
    pub log: Arc<Mutex<Vec<Request>>>,
}

impl Proxy {
    pub fn start(
        upstream: &str,
        rule: impl Fn(&Request, usize) -> Action + Send + Sync + 'static,
    ) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let log: Arc<Mutex<Vec<Request>>> = Arc::new(Mutex::new(Vec::new()));
        let rule: Arc<Rule> = Arc::new(rule);
        let upstream = upstream.to_string();
        let l = log.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (l, rule, upstream) = (l.clone(), rule.clone(), upstream.clone());
                std::thread::spawn(move || proxy_one(conn, &upstream, &l, rule.as_ref()));
            }
        });
        Proxy { addr, log }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    /// Requests whose path (without query) ends with `suffix`.
    pub fn count(&self, suffix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.path.split('?').next().unwrap().ends_with(suffix))
            .count()
    }
}

fn proxy_one(mut conn: TcpStream, upstream: &str, log: &Mutex<Vec<Request>>, rule: &Rule) {
    let Some(req) = read_request(&mut conn) else {
        return;
    };
    let nth = {
        let mut l = log.lock().unwrap();
        let n = l.iter().filter(|r| r.path == req.path).count();
        l.push(req.clone());
        n
    };
    let action = rule(&req, nth);
    let forward = |req: &Request| -> Option<(String, Vec<u8>)> {
        let mut up = TcpStream::connect(upstream).ok()?;
        let mut head = format!("{} {} HTTP/1.1\r\n", req.method, req.path);
        for (k, v) in &req.headers {
            if k == "connection" || k == "host" {
                continue;
            }
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Host: {upstream}\r\nConnection: close\r\n\r\n"));
        up.write_all(head.as_bytes()).ok()?;
        up.write_all(&req.body).ok()?;
        let mut all = Vec::new();
        up.read_to_end(&mut all).ok()?;
        let (h, b) = split_head(&all)?;
        Some((String::from_utf8_lossy(h).to_string(), b.to_vec()))
    };
    let send = |conn: &mut TcpStream, head: &str, body: &[u8]| {
        // keep the upstream head, but one request per connection
        let mut out = String::new();
        for line in head.split("\r\n") {
            if line.to_ascii_lowercase().starts_with("connection:") {
                continue;
            }
            out.push_str(line);
            out.push_str("\r\n");
        }
        out.push_str("Connection: close\r\n\r\n");
        let _ = conn.write_all(out.as_bytes());
        let _ = conn.write_all(body);
        let _ = conn.flush();
    };
    match action {
        Action::Forward => {
            if let Some((head, body)) = forward(&req) {
                send(&mut conn, &head, &body);
            }
        }
        Action::Truncate(n) => {
            if let Some((head, body)) = forward(&req) {
                send(&mut conn, &head, &body[..n.min(body.len())]);
            }
        }
        Action::Corrupt(offset) => {
            if let Some((head, mut body)) = forward(&req) {
                if offset < body.len() {
                    body[offset] ^= 0xff;
                }
                send(&mut conn, &head, &body);
            }
        }
        Action::Respond {
            status,
            headers,
            body,
        } => {
            let hs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let _ = respond(&mut conn, status, &hs, &body);
        }
        Action::Close => {}
    }
    let _ = conn.shutdown(Shutdown::Both);
}

// ---------------------------------------------------------------------------------------
// test images

pub struct Built {
    pub _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub digests: ImageDigests,
}

/// Alpine 3.20.3 (the real minirootfs) plus a layer with an app file, as a docker-archive
/// with uncompressed layers (as `docker save` writes), in a temp dir owned by the result.
pub fn alpine_archive() -> Built {
    {
        let dir = tempfile::Builder::new()
            .prefix("drydock-img-")
            .tempdir()
            .unwrap();
        let base = layer_from_rootfs_tarball(alpine_rootfs("3.20.3"));
        let app = layer_tar(&[
            Entry::dir("app"),
            Entry::file("app/hello.txt", "hello from the registry test\n"),
        ]);
        let path = dir.path().join("alpine.tar");
        let digests = write_docker_archive(
            &path,
            &[base, app],
            &ImageConfig::default(),
            Compression::None,
            Some("drydock/alpine:3.20"),
        );
        Built {
            _dir: dir,
            path,
            digests,
        }
    }
}

pub struct BuiltIndex {
    pub _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub digests: IndexDigests,
}

/// A two-platform OCI layout (linux/amd64: Alpine 3.20.3; linux/arm64/v8: a small layer
/// with its own os-release), nested index (as BuildKit and `skopeo copy --all` write), plus
/// an attestation manifest `unknown/unknown` listed first, as BuildKit adds them.
pub fn multiarch_layout() -> BuiltIndex {
    {
        let dir = tempfile::Builder::new()
            .prefix("drydock-idx-")
            .tempdir()
            .unwrap();
        let path = dir.path().join("layout");
        let amd = vec![layer_from_rootfs_tarball(alpine_rootfs("3.20.3"))];
        let arm = vec![layer_tar(&[
            Entry::dir("etc"),
            Entry::file(
                "etc/os-release",
                "ID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"arm64 test\"\n",
            ),
            Entry::file("etc/arch", "arm64\n"),
        ])];
        let digests = write_oci_layout_multiplatform(
            &path,
            &[
                (Platform::linux("amd64"), amd, ImageConfig::default()),
                (
                    Platform::linux_variant("arm64", "v8"),
                    arm,
                    ImageConfig::default(),
                ),
            ],
        );
        add_attestation(&path, &digests);
        BuiltIndex {
            _dir: dir,
            path,
            digests,
        }
    }
}

/// Put an `unknown/unknown` attestation-style entry first in the layout's nested index
/// (it points at a real manifest so that `skopeo copy --all` can copy it).
fn add_attestation(layout: &Path, d: &IndexDigests) {
    let idx_digest = d.index_digest.as_ref().expect("nested index");
    let blobs = layout.join("blobs/sha256");
    let old = blobs.join(idx_digest.strip_prefix("sha256:").unwrap());
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&old).unwrap()).unwrap();
    let arm = &d.images[1];
    let att = serde_json::json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": arm.manifest_digest,
        "size": arm.manifest.len(),
        "platform": {"os": "unknown", "architecture": "unknown"},
        "annotations": {"vnd.docker.reference.type": "attestation-manifest"}
    });
    index["manifests"].as_array_mut().unwrap().insert(0, att);
    let bytes = serde_json::to_vec(&index).unwrap();
    let new_digest = drydock_testkit::sha256_digest(&bytes);
    std::fs::write(
        blobs.join(new_digest.strip_prefix("sha256:").unwrap()),
        &bytes,
    )
    .unwrap();
    std::fs::remove_file(&old).unwrap();
    let top_path = layout.join("index.json");
    let mut top: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&top_path).unwrap()).unwrap();
    top["manifests"][0]["digest"] = serde_json::json!(new_digest);
    top["manifests"][0]["size"] = serde_json::json!(bytes.len());
    std::fs::write(&top_path, serde_json::to_vec(&top).unwrap()).unwrap();
}

/// The nested index's digest after [`add_attestation`].
pub fn layout_index_digest(layout: &Path) -> String {
    let top: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    top["manifests"][0]["digest"].as_str().unwrap().to_string()
}

// ---------------------------------------------------------------------------------------
// analysis

/// What a scan sees: the layers' diffIDs and the inventory.
#[derive(Debug, PartialEq)]
pub struct Scan {
    pub diff_ids: Vec<String>,
    pub inventory: Inventory,
}

pub fn scan(image: &Image) -> drydock_image::Result<Scan> {
    let layers = analyze_image(
        image,
        &InventoryAnalyzer::default(),
        &AnalyzeOptions::default(),
        &|_, _| {},
    )?;
    let diff_ids: Vec<String> = layers.iter().map(|l| l.diff_id.clone()).collect();
    let view = MergedView::apply(layers);
    let inventory = build_inventory(&view, &diff_ids);
    Ok(Scan {
        diff_ids,
        inventory,
    })
}

pub fn scan_file(path: &Path) -> Scan {
    let image = Image::open(path, &OpenOptions::default()).unwrap();
    scan(&image).unwrap()
}

/// `name version` of every package, sorted.
pub fn package_list(s: &Scan) -> Vec<String> {
    let mut v: Vec<String> = s
        .inventory
        .packages
        .iter()
        .map(|p| format!("{} {}", p.name, p.version))
        .collect();
    v.sort();
    v
}

pub fn docker_config(dir: &Path, json: &serde_json::Value) -> PathBuf {
    let p = dir.join("config.json");
    std::fs::write(&p, serde_json::to_vec_pretty(json).unwrap()).unwrap();
    p
}

pub fn basic_b64(user: &str, pass: &str) -> String {
    B64.encode(format!("{user}:{pass}"))
}

pub fn headers_map(h: &[(String, String)]) -> HashMap<String, String> {
    h.iter().cloned().collect()
}
