//! drydock-lint: misconfiguration checks for Dockerfiles, Kubernetes manifests and image
//! configs, with one rule catalogue ([`catalogue`], embedded from `rules.yaml`).
//!
//! * [`lint_dockerfile`] / [`lint_dockerfile_in_context`]: one Dockerfile's text;
//! * [`lint_kubernetes`]: one (multi-document) Kubernetes YAML text;
//! * [`lint_image_config`]: a built image's config;
//! * [`scan_config_path`]: a file or directory tree — detects Dockerfiles and Kubernetes YAML,
//!   reads `.dockerignore`, and reports a per-file error for what cannot be linted while the
//!   others go on.
//!
//! The lint functions are pure (no I/O); only [`scan_config_path`] reads files.

mod dockerfile;
mod dockerignore;
pub mod error;
mod image;
pub mod imageref;
mod k8s;
mod report;
pub mod secrets;
pub mod shell;
mod walk;
mod yamlpos;

pub use dockerfile::{BuildContext, lint_dockerfile, lint_dockerfile_in_context};
pub use error::{LintError, Result};
pub use image::{LayerMode, lint_image_config, lint_layer_modes};
pub use k8s::lint_kubernetes;
pub use report::{ConfigReport, FileEntry, FileKind, FileStatus, Summary, Tool, render_table};
pub use secrets::{SecretDetector, SecretMatch, builtin_detector};
pub use walk::{Candidate, classify, scan_config_path};

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// Severity of a misconfiguration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// Case-insensitive `low|medium|high|critical`.
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}

/// What a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Dockerfile,
    Kubernetes,
    Image,
}

/// A standard a rule maps to: e.g. `CIS Docker Benchmark v1.6.0` item `4.1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub standard: String,
    pub item: String,
    pub note: String,
}

/// One rule of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub target: Target,
    pub title: String,
    pub severity: Severity,
    /// The severity is meant to be set by policy (`LintConfig::severity_overrides`).
    #[serde(default)]
    pub configurable: bool,
    pub remediation: String,
    pub references: Vec<Reference>,
}

/// Every rule, in id order (parsed once from the embedded `rules.yaml`).
pub fn catalogue() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut rules: Vec<Rule> = yaml_serde::from_str(include_str!("rules.yaml"))
            .expect("embedded rules.yaml is valid (checked by tests)");
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        rules
    })
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    catalogue().iter().find(|r| r.id == id)
}

/// One misconfiguration found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Misconfig {
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    /// The file as reported (relative to the scanned directory), or `image config`.
    pub file: String,
    /// 1-based line: the Dockerfile instruction, or the YAML line of the offending field (the
    /// container's line when a required field is missing). None for image configs.
    pub line: Option<usize>,
    /// What the finding is about: `stage builder`, `Deployment default/web container app`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub message: String,
    pub remediation: String,
    pub references: Vec<Reference>,
}

/// Policy and limits for the lint functions.
#[derive(Clone)]
pub struct LintConfig<'a> {
    /// Severity per rule id, replacing the catalogue's (e.g. make `DD-DF-012`, the
    /// missing-digest rule, HIGH in production pipelines).
    pub severity_overrides: BTreeMap<String, Severity>,
    /// Rule ids not to report.
    pub disabled_rules: BTreeSet<String>,
    /// Registries (or `registry/path` prefixes) base and workload images may come from. Empty:
    /// no policy (DD-DF-013 and DD-K8S-020 report nothing).
    pub allowed_registries: Vec<String>,
    /// Files (and texts) larger than this are refused with an error.
    pub max_file_size: u64,
    /// Replaces the built-in secret patterns (ENV/ARG/LABEL values, RUN scripts, image
    /// Env/Labels) when set — the hook for the secrets crate.
    pub secret_detector: Option<&'a SecretDetector>,
}

impl Default for LintConfig<'_> {
    fn default() -> Self {
        LintConfig {
            severity_overrides: BTreeMap::new(),
            disabled_rules: BTreeSet::new(),
            allowed_registries: Vec::new(),
            max_file_size: 10 << 20,
            secret_detector: None,
        }
    }
}

impl std::fmt::Debug for LintConfig<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LintConfig")
            .field("severity_overrides", &self.severity_overrides)
            .field("disabled_rules", &self.disabled_rules)
            .field("allowed_registries", &self.allowed_registries)
            .field("max_file_size", &self.max_file_size)
            .field(
                "secret_detector",
                &self.secret_detector.map(|_| "custom").unwrap_or("built-in"),
            )
            .finish()
    }
}

impl LintConfig<'_> {
    pub(crate) fn secrets(&self, text: &str) -> Vec<SecretMatch> {
        match self.secret_detector {
            Some(d) => d(text),
            None => builtin_detector(text),
        }
    }

    /// Build a finding for `id` unless the rule is disabled.
    pub(crate) fn finding(
        &self,
        id: &str,
        file: &str,
        line: Option<usize>,
        resource: Option<String>,
        message: String,
    ) -> Option<Misconfig> {
        if self.disabled_rules.contains(id) {
            return None;
        }
        let r = rule(id).unwrap_or_else(|| panic!("rule {id} is not in rules.yaml"));
        Some(Misconfig {
            rule_id: r.id.clone(),
            title: r.title.clone(),
            severity: self
                .severity_overrides
                .get(id)
                .copied()
                .unwrap_or(r.severity),
            file: file.to_string(),
            line,
            resource,
            message,
            remediation: r.remediation.clone(),
            references: r.references.clone(),
        })
    }
}

/// Sort findings by file, line, rule id, message (a stable report order).
pub(crate) fn sort_findings(v: &mut [Misconfig]) {
    v.sort_by(|a, b| {
        (&a.file, a.line, &a.rule_id, &a.message).cmp(&(&b.file, b.line, &b.rule_id, &b.message))
    });
}

/// 1-based line numbers of byte offsets in a text.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(text));
        LineIndex { starts }
    }

    pub(crate) fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i + 1)
}
