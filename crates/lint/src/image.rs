//! Image-config rules (DD-IMG-*): what a built image will do when run, read from its config.

use crate::secrets::{is_literal_secret_value, is_secret_name, redact};
use crate::{LintConfig, Misconfig, sort_findings};
use drydock_image::ImageConfig;

const FILE: &str = "image config";

/// Lint an image config.
///
/// `raw_config` is the config JSON as stored in the image, when the caller has it: the
/// HEALTHCHECK rule (DD-IMG-003) reads `config.Healthcheck` from it, and applies only to
/// Docker-format configs (the OCI image config has no healthcheck field, so its absence there
/// says nothing). `ImageConfig` does not carry the healthcheck yet.
pub fn lint_image_config(
    config: &ImageConfig,
    raw_config: Option<&serde_json::Value>,
    cfg: &LintConfig,
) -> Vec<Misconfig> {
    let mut out = Vec::new();
    let mut emit = |id: &str, msg: String| {
        if let Some(m) = cfg.finding(id, FILE, None, None, msg) {
            out.push(m);
        }
    };
    let c = &config.config;

    // DD-IMG-001 user
    let user = c.user.as_deref().unwrap_or("").trim();
    let name = user.split(':').next().unwrap_or("");
    if name.is_empty() {
        emit(
            "DD-IMG-001",
            "Config.User is empty: the container runs as root".to_string(),
        );
    } else if name == "root" || name == "0" {
        emit(
            "DD-IMG-001",
            format!("Config.User is {user:?}: the container runs as root"),
        );
    }

    // DD-IMG-002 exposed admin ports
    for port in c.exposed_ports.keys() {
        let num = port.split('/').next().unwrap_or("");
        let what = match num.parse::<u32>() {
            Ok(22) => "SSH",
            Ok(23) => "telnet",
            Ok(2375) => "Docker API without TLS",
            Ok(2376) => "Docker API",
            Ok(3389) => "RDP",
            _ => continue,
        };
        emit(
            "DD-IMG-002",
            format!("ExposedPorts has {port}: port {num} is {what}"),
        );
    }

    // DD-IMG-003 healthcheck (Docker-format configs only)
    if let Some(raw) = raw_config
        && is_docker_format(raw)
    {
        let test: Vec<&str> = raw
            .get("config")
            .and_then(|c| c.get("Healthcheck"))
            .and_then(|h| h.get("Test"))
            .and_then(|t| t.as_array())
            .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
            .unwrap_or_default();
        if test.is_empty() {
            emit(
                "DD-IMG-003",
                "the image config has no Healthcheck".to_string(),
            );
        }
    }

    // DD-IMG-004 secrets in Env / Labels
    for e in &c.env {
        let (k, v) = e.split_once('=').unwrap_or((e.as_str(), ""));
        if let Some(msg) = secret_message(cfg, "Env", k, v) {
            emit("DD-IMG-004", msg);
        }
    }
    for (k, v) in &c.labels {
        if let Some(msg) = secret_message(cfg, "Labels", k, v) {
            emit("DD-IMG-004", msg);
        }
    }
    sort_findings(&mut out);
    out
}

fn secret_message(cfg: &LintConfig, field: &str, k: &str, v: &str) -> Option<String> {
    if is_secret_name(k) && is_literal_secret_value(v) {
        return Some(format!(
            "{field} {k} holds a literal credential ({})",
            redact(v)
        ));
    }
    cfg.secrets(v).first().map(|m| {
        format!(
            "{field} {k} contains a secret ({}: {})",
            m.kind,
            redact(&v[m.start..m.end])
        )
    })
}

/// A Docker image config (as opposed to an OCI one): it has the Docker-only fields.
fn is_docker_format(raw: &serde_json::Value) -> bool {
    ["container_config", "docker_version", "container"]
        .iter()
        .any(|k| raw.get(k).is_some())
        || raw
            .get("config")
            .and_then(|c| c.get("Healthcheck"))
            .is_some()
}

/// A file or directory whose mode matters, as the layer walk found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerMode {
    /// The layer that wrote the entry (0 = the bottom layer).
    pub layer: usize,
    /// Absolute path in the image.
    pub path: String,
    pub mode: u32,
    pub is_dir: bool,
}

/// Directories whose contents the system trusts: world-writable without the sticky bit, any
/// user of the container can replace what is in them.
const SYSTEM_DIRS: &[&str] = &[
    "/", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/usr", "/etc", "/opt", "/var", "/root",
    "/boot", "/srv",
];

fn is_system_dir(path: &str) -> bool {
    SYSTEM_DIRS
        .iter()
        .any(|d| path == *d || (d.len() > 1 && path.starts_with(&format!("{d}/"))))
}

/// Layer-walk rules: setuid/setgid files added by layers above the first (the base) that are
/// still in the final image (DD-IMG-005), and world-writable system directories without the
/// sticky bit (DD-IMG-006). The caller passes only entries that survive in the final image.
pub fn lint_layer_modes(entries: &[LayerMode], cfg: &LintConfig) -> Vec<Misconfig> {
    let mut out = Vec::new();
    for e in entries {
        let id = if e.is_dir {
            if !is_system_dir(&e.path) || e.mode & 0o002 == 0 || e.mode & 0o1000 != 0 {
                continue;
            }
            "DD-IMG-006"
        } else {
            if e.layer == 0 || e.mode & 0o6000 == 0 {
                continue;
            }
            "DD-IMG-005"
        };
        let bits = match (e.mode & 0o4000 != 0, e.mode & 0o2000 != 0, e.is_dir) {
            (_, _, true) => "world-writable without the sticky bit",
            (true, true, false) => "setuid and setgid",
            (true, false, false) => "setuid",
            _ => "setgid",
        };
        let msg = format!(
            "{} is {bits} (mode {:04o}), written by layer {}",
            e.path,
            e.mode & 0o7777,
            e.layer
        );
        if let Some(m) = cfg.finding(id, &e.path, None, None, msg) {
            out.push(m);
        }
    }
    sort_findings(&mut out);
    out
}
