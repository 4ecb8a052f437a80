//! The webhook's configuration (YAML): which mode applies to which namespace, what to do on a
//! scan timeout or a registry error, cache bounds, runtime reporting.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a policy violation does in a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Deny the request (the default).
    Enforce,
    /// Allow it with AdmissionReview `warnings`.
    Warn,
    /// Allow it silently; log and annotate what would have been denied.
    Audit,
}

/// `allow` or `deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailAction {
    Allow,
    Deny,
}

/// One `namespaces:` rule: namespaces matched by name (`*` globs) or by labels get `mode`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceRule {
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    pub mode: Mode,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Mode for namespaces no rule matches.
    pub default_mode: Mode,
    /// First matching rule wins.
    pub namespaces: Vec<NamespaceRule>,
    /// Labels of each namespace, handed to the policy as `input.namespace.labels` and used
    /// by label rules (the webhook does not call the Kubernetes API).
    pub namespace_labels: BTreeMap<String, BTreeMap<String, String>>,
    /// Namespaces never checked (also exclude them with the webhook's namespaceSelector).
    pub exclude_namespaces: Vec<String>,
    /// Audit everywhere: never deny.
    pub audit: bool,
    /// Longest wait for an on-demand scan, in milliseconds.
    pub scan_deadline_ms: u64,
    /// When the scan does not finish in time: `allow` (the other checks still apply, with a
    /// warning) or `deny`.
    pub on_timeout: FailAction,
    /// When the registry cannot be reached or the image cannot be resolved.
    pub on_error: FailAction,
    /// Rego evaluation time limit, in milliseconds.
    pub rego_time_limit_ms: u64,
    /// Cache time to live (decisions, signature checks, scans, tag resolutions), seconds.
    pub cache_ttl_seconds: u64,
    /// Entries per cache.
    pub cache_max_entries: usize,
    /// Cluster name in runtime inventory records.
    pub cluster: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_mode: Mode::Enforce,
            namespaces: Vec::new(),
            namespace_labels: BTreeMap::new(),
            exclude_namespaces: vec!["kube-system".into()],
            audit: false,
            scan_deadline_ms: 8000,
            on_timeout: FailAction::Deny,
            on_error: FailAction::Deny,
            rego_time_limit_ms: 500,
            cache_ttl_seconds: 300,
            cache_max_entries: 10_000,
            cluster: "default".into(),
        }
    }
}

/// `*` glob over the whole string.
fn glob(p: &str, t: &str) -> bool {
    match p.split_once('*') {
        None => p == t,
        Some((pre, rest)) => {
            let Some(mut t) = t.strip_prefix(pre) else {
                return false;
            };
            let parts: Vec<&str> = rest.split('*').collect();
            let (last, mids) = parts.split_last().unwrap_or((&"", &[]));
            for m in mids {
                match t.find(m) {
                    Some(i) => t = &t[i + m.len()..],
                    None => return false,
                }
            }
            t.len() >= last.len() && t.ends_with(last)
        }
    }
}

impl Config {
    pub fn from_yaml(text: &str) -> Result<Config, String> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        yaml_serde::from_str(text).map_err(|e| e.to_string())
    }

    pub fn labels(&self, namespace: &str) -> BTreeMap<String, String> {
        self.namespace_labels
            .get(namespace)
            .cloned()
            .unwrap_or_default()
    }

    /// The mode of a namespace (audit overrides everything).
    pub fn mode_for(&self, namespace: &str) -> Mode {
        if self.audit {
            return Mode::Audit;
        }
        let labels = self.labels(namespace);
        for r in &self.namespaces {
            let by_name = r.names.iter().any(|n| glob(n, namespace));
            let by_labels =
                !r.labels.is_empty() && r.labels.iter().all(|(k, v)| labels.get(k) == Some(v));
            if by_name || by_labels {
                return r.mode;
            }
        }
        self.default_mode
    }

    pub fn excluded(&self, namespace: &str) -> bool {
        self.exclude_namespaces.iter().any(|n| glob(n, namespace))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_by_name_and_label() {
        let c = Config::from_yaml(
            "default_mode: enforce\nnamespaces:\n  - names: [dev, 'dev-*']\n    mode: warn\n  - labels: {drydock.dev/mode: audit}\n    mode: audit\nnamespace_labels:\n  team-a: {drydock.dev/mode: audit}\n",
        )
        .unwrap();
        assert_eq!(c.mode_for("dev"), Mode::Warn);
        assert_eq!(c.mode_for("dev-alice"), Mode::Warn);
        assert_eq!(c.mode_for("prod"), Mode::Enforce);
        assert_eq!(c.mode_for("team-a"), Mode::Audit);
        assert!(c.excluded("kube-system"));
        assert_eq!(c.scan_deadline_ms, 8000);
        let audit = Config {
            audit: true,
            ..c.clone()
        };
        assert_eq!(audit.mode_for("prod"), Mode::Audit);
        assert!(Config::from_yaml("bogus: 1").is_err());
    }

    #[test]
    fn globs() {
        assert!(glob("a*", "abc"));
        assert!(glob("*-dev", "team-dev"));
        assert!(glob("a*c*e", "abcde"));
        assert!(!glob("a*c*e", "abcd"));
        assert!(!glob("dev", "dev2"));
    }
}
