//! Credentials (explicit, environment, `~/.docker/config.json` with credential helpers) and
//! the `WWW-Authenticate` challenge.

use crate::error::{Error, Result};
use crate::reference::{DOCKER_HUB, docker_hub_config_key, normalise_registry};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Environment variables read when [`crate::RegistryOptions::env_credentials`] is set.
pub const ENV_USERNAME: &str = "DRYDOCK_REGISTRY_USERNAME";
pub const ENV_PASSWORD: &str = "DRYDOCK_REGISTRY_PASSWORD";

/// Credentials for one registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// Username and password (or a personal access token used as a password).
    Basic { username: String, password: String },
    /// An OAuth2 refresh token ("identity token") from `docker login`, exchanged at the
    /// token service.
    IdentityToken(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // never print secrets
        match self {
            Credential::Basic { username, .. } => {
                write!(f, "Basic {{ username: {username:?}, password: <hidden> }}")
            }
            Credential::IdentityToken(_) => write!(f, "IdentityToken(<hidden>)"),
        }
    }
}

impl Credential {
    pub(crate) fn basic_header(&self) -> Option<String> {
        match self {
            Credential::Basic { username, password } => Some(format!(
                "Basic {}",
                B64.encode(format!("{username}:{password}"))
            )),
            Credential::IdentityToken(_) => None,
        }
    }
}

/// Where `~/.docker/config.json` is read from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DockerConfig {
    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` (absent is fine).
    #[default]
    Default,
    /// This file (absent is fine).
    Path(PathBuf),
    /// Do not read a docker config.
    Disabled,
}

impl DockerConfig {
    fn path(&self) -> Option<PathBuf> {
        match self {
            DockerConfig::Default => match std::env::var_os("DOCKER_CONFIG") {
                Some(dir) => Some(PathBuf::from(dir).join("config.json")),
                None => dirs::home_dir().map(|h| h.join(".docker").join("config.json")),
            },
            DockerConfig::Path(p) => Some(p.clone()),
            DockerConfig::Disabled => None,
        }
    }
}

/// Where credentials come from, in the order they are tried.
#[derive(Debug, Clone, Default)]
pub(crate) struct CredentialSources {
    pub explicit: Option<Credential>,
    pub env: bool,
    pub docker_config: DockerConfig,
    /// `PATH` used to find `docker-credential-<name>` (None: the inherited one).
    pub helper_path: Option<OsString>,
}

#[derive(Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: HashMap<String, String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default, rename = "identitytoken")]
    identity_token: Option<String>,
}

#[derive(Deserialize)]
struct HelperOutput {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// The registry host a docker-config key names: `https://host:port/v1/` → `host:port`.
fn config_key_host(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = k.split('/').next().unwrap_or(k);
    normalise_registry(host)
}

impl CredentialSources {
    /// Credentials for `registry` (as in [`crate::Reference::registry`]), or `None` to go
    /// anonymous. Order: explicit, environment, docker config (`credHelpers` for this
    /// registry, then `credsStore`, then `auths`).
    pub(crate) fn lookup(&self, registry: &str) -> Result<Option<Credential>> {
        self.lookup_with(registry, |k| std::env::var_os(k))
    }

    fn lookup_with(
        &self,
        registry: &str,
        getenv: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Option<Credential>> {
        if let Some(c) = &self.explicit {
            return Ok(Some(c.clone()));
        }
        if self.env
            && let (Some(u), Some(p)) = (getenv(ENV_USERNAME), getenv(ENV_PASSWORD))
        {
            return Ok(Some(Credential::Basic {
                username: u.to_string_lossy().into_owned(),
                password: p.to_string_lossy().into_owned(),
            }));
        }
        let Some(path) = self.docker_config.path() else {
            return Ok(None);
        };
        self.lookup_docker_config(&path, registry)
    }

    fn lookup_docker_config(&self, path: &Path, registry: &str) -> Result<Option<Credential>> {
        let cred_err = |message: String| Error::Credentials {
            registry: registry.to_string(),
            message,
        };
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(cred_err(format!("cannot read {}: {e}", path.display()))),
        };
        let cfg: ConfigFile = serde_json::from_slice(&bytes)
            .map_err(|e| cred_err(format!("{} is not valid JSON: {e}", path.display())))?;
        let server = if registry == DOCKER_HUB {
            docker_hub_config_key()
        } else {
            registry.to_string()
        };
        let helper = cfg
            .cred_helpers
            .iter()
            .find(|(k, _)| config_key_host(k) == registry)
            .map(|(_, v)| v.clone());
        if let Some(h) = helper {
            // a registry-specific helper is authoritative
            return self.run_helper(&h, &server, registry);
        }
        if let Some(store) = cfg.creds_store.as_deref().filter(|s| !s.is_empty())
            && let Some(c) = self.run_helper(store, &server, registry)?
        {
            return Ok(Some(c));
        }
        let Some(entry) = cfg
            .auths
            .iter()
            .find(|(k, _)| config_key_host(k) == registry)
            .map(|(_, v)| v)
        else {
            return Ok(None);
        };
        if let Some(t) = entry.identity_token.as_deref().filter(|t| !t.is_empty()) {
            return Ok(Some(Credential::IdentityToken(t.to_string())));
        }
        if let Some(a) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
            let decoded = B64
                .decode(a.trim())
                .map_err(|e| cred_err(format!("auths entry is not base64: {e}")))?;
            let text = String::from_utf8(decoded)
                .map_err(|_| cred_err("auths entry is not UTF-8".into()))?;
            let (u, p) = text
                .split_once(':')
                .ok_or_else(|| cred_err("auths entry is not username:password".into()))?;
            return Ok(Some(Credential::Basic {
                username: u.to_string(),
                password: p.to_string(),
            }));
        }
        if let (Some(u), Some(p)) = (&entry.username, &entry.password) {
            return Ok(Some(Credential::Basic {
                username: u.clone(),
                password: p.clone(),
            }));
        }
        Ok(None)
    }

    /// `docker-credential-<name> get` with the server URL on stdin. "Not found" is `None`.
    fn run_helper(&self, name: &str, server: &str, registry: &str) -> Result<Option<Credential>> {
        let cred_err = |message: String| Error::Credentials {
            registry: registry.to_string(),
            message,
        };
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(cred_err(format!("invalid credential helper name {name:?}")));
        }
        let program = format!("docker-credential-{name}");
        let mut cmd = Command::new(&program);
        if let Some(p) = &self.helper_path {
            // resolve the program on the given PATH ourselves: Command uses the parent's PATH
            let found = std::env::split_paths(p)
                .map(|d| d.join(&program))
                .find(|c| c.is_file());
            match found {
                Some(full) => cmd = Command::new(full),
                None => {
                    return Err(cred_err(format!(
                        "credential helper {program} not found on the helper PATH"
                    )));
                }
            }
        }
        let mut child = cmd
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| cred_err(format!("cannot run {program}: {e}")))?;
        if let Some(mut stdin) = child.stdin.take() {
            // a helper that exits without reading gives EPIPE: its exit status tells
            let _ = stdin.write_all(server.as_bytes());
        }
        let out = child
            .wait_with_output()
            .map_err(|e| cred_err(format!("{program}: {e}")))?;
        if !out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            if text.to_lowercase().contains("credentials not found") {
                return Ok(None);
            }
            return Err(cred_err(format!(
                "{program} get failed ({}): {}",
                out.status,
                text.trim()
            )));
        }
        let parsed: HelperOutput = serde_json::from_slice(&out.stdout)
            .map_err(|e| cred_err(format!("{program} printed invalid JSON: {e}")))?;
        if parsed.secret.is_empty() {
            return Ok(None);
        }
        if parsed.username == "<token>" {
            return Ok(Some(Credential::IdentityToken(parsed.secret)));
        }
        Ok(Some(Credential::Basic {
            username: parsed.username,
            password: parsed.secret,
        }))
    }
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Lowercased scheme: `bearer`, `basic`.
    pub scheme: String,
    pub params: HashMap<String, String>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// Parse `WWW-Authenticate` header values into challenges (`Bearer realm="…",service="…",
/// scope="…"`, `Basic realm="…"`; several challenges in one value are split).
pub fn parse_challenges(values: &[&str]) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    for v in values {
        let mut s = v.trim();
        while !s.is_empty() {
            // scheme token
            let end = s.find([' ', ',']).unwrap_or(s.len());
            let scheme = s[..end].to_ascii_lowercase();
            s = s[end..].trim_start_matches([' ', ',']);
            let mut params = HashMap::new();
            // key=value pairs (a token followed by '='); anything else starts a new challenge
            while let Some(eq) = s.find('=') {
                let key = &s[..eq];
                if key.is_empty() || key.contains([' ', ',']) {
                    break;
                }
                let key = key.trim().to_ascii_lowercase();
                let rest = &s[eq + 1..];
                let (value, after) = if let Some(q) = rest.strip_prefix('"') {
                    let mut val = String::new();
                    let mut chars = q.char_indices();
                    let mut end = q.len();
                    while let Some((i, c)) = chars.next() {
                        match c {
                            '\\' => {
                                if let Some((_, n)) = chars.next() {
                                    val.push(n);
                                }
                            }
                            '"' => {
                                end = i + 1;
                                break;
                            }
                            c => val.push(c),
                        }
                    }
                    (val, &q[end.min(q.len())..])
                } else {
                    let e = rest.find(',').unwrap_or(rest.len());
                    (rest[..e].trim().to_string(), &rest[e..])
                };
                params.insert(key, value);
                s = after.trim_start_matches([' ', ',']);
            }
            if !scheme.is_empty() {
                out.push(Challenge { scheme, params });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenge_from_docker_registry() {
        // as sent by docker-registry 2.8 with token auth (captured)
        let v = r#"Bearer realm="http://127.0.0.1:5996/token",service="drydock-registry",scope="registry:catalog:*",error="insufficient_scope""#;
        let c = parse_challenges(&[v]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].param("realm"), Some("http://127.0.0.1:5996/token"));
        assert_eq!(c[0].param("service"), Some("drydock-registry"));
        assert_eq!(c[0].param("scope"), Some("registry:catalog:*"));
        assert_eq!(c[0].param("error"), Some("insufficient_scope"));
    }

    #[test]
    fn scopes_with_commas_multiple_challenges_and_escapes() {
        let c = parse_challenges(&[
            r#"Basic realm="a \"quoted\" realm", Bearer realm="https://auth.local/token",scope="repository:a/b:pull,push""#,
        ]);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].scheme, "basic");
        assert_eq!(c[0].param("realm"), Some(r#"a "quoted" realm"#));
        assert_eq!(c[1].scheme, "bearer");
        assert_eq!(c[1].param("scope"), Some("repository:a/b:pull,push"));
        let c = parse_challenges(&["Bearer realm=https://x.local/t,service=svc"]);
        assert_eq!(c[0].param("realm"), Some("https://x.local/t"));
        assert_eq!(c[0].param("service"), Some("svc"));
        assert_eq!(parse_challenges(&[""]), vec![]);
    }

    #[test]
    fn config_keys_name_hosts() {
        assert_eq!(config_key_host(&docker_hub_config_key()), DOCKER_HUB);
        assert_eq!(config_key_host("127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(
            config_key_host("http://127.0.0.1:5000/v2/"),
            "127.0.0.1:5000"
        );
    }

    fn basic(u: &str, p: &str) -> Option<Credential> {
        Some(Credential::Basic {
            username: u.into(),
            password: p.into(),
        })
    }

    #[test]
    fn credential_sources_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config.json");
        let b64 = B64.encode("cfg-user:cfg-pass");
        std::fs::write(
            &cfg,
            format!(
                r#"{{"auths":{{"https://127.0.0.1:5000":{{"auth":"{b64}"}},"{}":{{"username":"hub","password":"hub-pass"}}}}}}"#,
                docker_hub_config_key()
            ),
        )
        .unwrap();
        let env = |k: &str| match k {
            ENV_USERNAME => Some(OsString::from("env-user")),
            ENV_PASSWORD => Some(OsString::from("env-pass")),
            _ => None,
        };
        let no_env = |_: &str| None;
        let mut s = CredentialSources {
            explicit: basic("x", "y"),
            env: true,
            docker_config: DockerConfig::Path(cfg.clone()),
            helper_path: None,
        };
        assert_eq!(
            s.lookup_with("127.0.0.1:5000", env).unwrap(),
            basic("x", "y")
        );
        s.explicit = None;
        assert_eq!(
            s.lookup_with("127.0.0.1:5000", env).unwrap(),
            basic("env-user", "env-pass")
        );
        // only one of the two variables: not used
        let half = |k: &str| (k == ENV_USERNAME).then(|| OsString::from("u"));
        assert_eq!(
            s.lookup_with("127.0.0.1:5000", half).unwrap(),
            basic("cfg-user", "cfg-pass")
        );
        s.env = false;
        assert_eq!(
            s.lookup_with("127.0.0.1:5000", env).unwrap(),
            basic("cfg-user", "cfg-pass")
        );
        assert_eq!(
            s.lookup_with(DOCKER_HUB, no_env).unwrap(),
            basic("hub", "hub-pass")
        );
        assert_eq!(s.lookup_with("127.0.0.1:5001", no_env).unwrap(), None);
        s.docker_config = DockerConfig::Path(dir.path().join("absent.json"));
        assert_eq!(s.lookup_with("127.0.0.1:5000", no_env).unwrap(), None);
        std::fs::write(&cfg, "{not json").unwrap();
        s.docker_config = DockerConfig::Path(cfg);
        match s.lookup_with("127.0.0.1:5000", no_env) {
            Err(Error::Credentials { registry, message }) => {
                assert_eq!(registry, "127.0.0.1:5000");
                assert!(message.contains("is not valid JSON"), "{message}");
            }
            other => panic!("expected Credentials, got {other:?}"),
        }
    }

    #[test]
    fn secrets_are_not_printed() {
        let c = Credential::Basic {
            username: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{:?}", Credential::IdentityToken("tok".into())).contains("tok"));
    }
}
