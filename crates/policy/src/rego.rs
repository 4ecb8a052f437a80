//! Rego policies, evaluated by `regorus`: `data.drydock.deny` — a set of strings, or of
//! objects with a `msg` — with the report JSON as `input`. Evaluation runs under a wall-clock
//! limit ([`DEFAULT_TIME_LIMIT`], [`RegoPolicy::with_time_limit`]): a runaway policy is an
//! error, not a hang.

use crate::error::{PolicyError, Result};
use regorus::utils::limits::ExecutionTimerConfig;
use serde::{Deserialize, Serialize};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The rule every Drydock Rego policy defines.
pub const DENY_RULE: &str = "data.drydock.deny";

/// Default evaluation time limit.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(10);

/// Rego files larger than this are refused.
pub const MAX_REGO_BYTES: u64 = 4 * 1024 * 1024;

/// Directories are searched this deep for `.rego` files.
const MAX_DIR_DEPTH: usize = 8;

/// One deny message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deny {
    pub msg: String,
    /// The whole value when the policy returned an object (its other fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// Loaded Rego modules, ready to evaluate.
#[derive(Clone)]
pub struct RegoPolicy {
    engine: regorus::Engine,
    files: Vec<String>,
    time_limit: Duration,
    /// The package whose `deny` rule is evaluated (`data.drydock` unless loaded with
    /// [`RegoPolicy::load_package`]).
    package: String,
}

impl std::fmt::Debug for RegoPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegoPolicy")
            .field("files", &self.files)
            .field("time_limit", &self.time_limit)
            .finish()
    }
}

fn rego_err(what: impl std::fmt::Display) -> PolicyError {
    PolicyError::Rego(what.to_string())
}

fn collect(path: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|source| PolicyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if depth >= MAX_DIR_DEPTH {
        return Ok(());
    }
    let rd = std::fs::read_dir(path).map_err(|source| PolicyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            collect(&p, depth + 1, out)?;
        } else if name.ends_with(".rego") && !name.ends_with("_test.rego") {
            out.push(p);
        }
    }
    Ok(())
}

impl RegoPolicy {
    /// Load `.rego` files; a directory means every `*.rego` under it (not `*_test.rego`),
    /// in path order.
    pub fn load<P: AsRef<Path>>(paths: &[P]) -> Result<RegoPolicy> {
        Self::load_package(paths, "data.drydock")
    }

    /// [`Self::load`] for policies of another package (e.g. `data.drydock.admission`), which
    /// must declare `deny`; its other rules (`warn`, ...) are read with
    /// [`Self::evaluate_rule`].
    pub fn load_package<P: AsRef<Path>>(paths: &[P], package: &str) -> Result<RegoPolicy> {
        let mut files = Vec::new();
        for p in paths {
            collect(p.as_ref(), 0, &mut files)?;
        }
        let mut sources = Vec::new();
        let mut seen = std::collections::HashSet::new();
        files.retain(|f| seen.insert(f.clone()));
        for f in files {
            let text = crate::read_limited(&f, MAX_REGO_BYTES)?;
            sources.push((f.display().to_string(), text));
        }
        RegoPolicy::from_sources_package(&sources, package)
    }

    /// Compile `(file name, Rego text)` modules. One of them must be `package drydock` with a
    /// `deny` rule.
    pub fn from_sources(sources: &[(String, String)]) -> Result<RegoPolicy> {
        Self::from_sources_package(sources, "data.drydock")
    }

    /// [`Self::from_sources`] for another package, which must declare `deny`.
    pub fn from_sources_package(sources: &[(String, String)], package: &str) -> Result<RegoPolicy> {
        if sources.is_empty() {
            return Err(rego_err("no Rego files given"));
        }
        let mut engine = regorus::Engine::new();
        let mut files: Vec<String> = Vec::new();
        let mut declares_deny = false;
        for (name, text) in sources {
            if files.contains(name) {
                return Err(rego_err(format!("{name}: given twice")));
            }
            let declared = engine
                .add_policy(name.clone(), text.clone())
                .map_err(|e| rego_err(format!("{name}: {e}")))?;
            declares_deny |= declared == package
                && engine
                    .has_declared_rule_rooted_at(name, "deny")
                    .unwrap_or(false);
            files.push(name.clone());
        }
        if !declares_deny {
            let short = package.strip_prefix("data.").unwrap_or(package);
            return Err(rego_err(format!(
                "no module declares `{package}.deny` (write `package {short}` and `deny contains msg if {{ ... }}`)"
            )));
        }
        Ok(RegoPolicy {
            engine,
            files,
            time_limit: DEFAULT_TIME_LIMIT,
            package: package.to_string(),
        })
    }

    /// Change the evaluation time limit.
    pub fn with_time_limit(mut self, limit: Duration) -> RegoPolicy {
        self.time_limit = limit;
        self
    }

    /// Does some module declare the rule `rule` (e.g. `warn`)?
    pub fn declares_rule(&self, rule: &str) -> bool {
        self.files.iter().any(|f| {
            self.engine
                .has_declared_rule_rooted_at(f, rule)
                .unwrap_or(false)
        })
    }

    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Evaluate `data.drydock.deny` (the package's `deny`) with `input` (the report JSON).
    pub fn evaluate(&self, input: &serde_json::Value) -> Result<Vec<Deny>> {
        self.evaluate_rule("deny", input)
    }

    /// Evaluate the package's rule `rule` (`deny`, `warn`, ...), a set of strings or of
    /// objects with `msg`; an undefined rule is no message.
    pub fn evaluate_rule(&self, rule: &str, input: &serde_json::Value) -> Result<Vec<Deny>> {
        let rule_path = format!("{}.{rule}", self.package);
        let mut engine = self.engine.clone();
        engine.set_execution_timer_config(ExecutionTimerConfig {
            limit: self.time_limit,
            check_interval: NonZeroU32::new(64).unwrap_or(NonZeroU32::MIN),
        });
        engine.set_input(regorus::Value::from(input.clone()));
        let v = engine
            .eval_rule(rule_path.clone())
            .map_err(|e| rego_err(format!("evaluating {rule_path}: {e}")))?;
        let items: Vec<regorus::Value> = if v == regorus::Value::Undefined {
            Vec::new()
        } else if let Ok(set) = v.as_set() {
            set.iter().cloned().collect()
        } else if let Ok(arr) = v.as_array() {
            arr.iter().cloned().collect()
        } else {
            return Err(rego_err(format!(
                "{rule_path} must be a set of strings or of objects with `msg`"
            )));
        };
        let mut out = Vec::new();
        for item in items {
            let json = serde_json::to_value(&item).map_err(rego_err)?;
            out.push(match json {
                serde_json::Value::String(s) => Deny {
                    msg: s,
                    details: None,
                },
                serde_json::Value::Object(ref o) => Deny {
                    msg: o
                        .get("msg")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                        .unwrap_or_else(|| json.to_string()),
                    details: Some(json.clone()),
                },
                other => Deny {
                    msg: other.to_string(),
                    details: None,
                },
            });
        }
        Ok(out)
    }
}
