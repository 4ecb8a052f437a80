//! Rules as data: the embedded rule file, user config files, and their compiled form.

use crate::error::{Result, SecretsError};
use drydock_vulndb::Severity;
use regex::bytes::{Regex as BytesRegex, RegexBuilder as BytesRegexBuilder};
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// The built-in rule file (TOML), embedded at build time.
pub const BUILTIN_RULES: &str = include_str!("rules.toml");

/// Largest `window_before` / `window_after` a rule may ask for.
pub const MAX_WINDOW: usize = 1 << 20;

/// A content rule as written in a rule file (`[[rule]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique id, e.g. `aws-access-key-id`.
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// Literal strings (ASCII case-insensitive), one of which occurs in every match. The
    /// regex only runs around keyword hits. A rule without keywords runs on every text file.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Rust regex, compiled in byte mode with Unicode off.
    pub regex: String,
    /// Capture group (name or number) holding the secret. Default: the group named
    /// `secret`, else the first group that took part in the match, else the whole match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_group: Option<String>,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entropy: Option<f64>,
    /// Only files whose absolute path matches this regex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Bytes before a keyword hit to include (then back to the start of that line).
    #[serde(default)]
    pub window_before: usize,
    /// Bytes after a keyword hit to include (then on to the end of that line).
    #[serde(default)]
    pub window_after: usize,
    /// A fallback rule (the generic assignment rule) loses overlapping matches to every
    /// other rule, credential-file rules included; other content rules win over file rules.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fallback: bool,
    /// Allow-list entries for this rule only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<AllowSpec>,
}

/// A credential-file rule as written in a rule file (`[[file]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRuleSpec {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// Regex on the absolute path (`/root/.aws/credentials`).
    pub path: String,
    /// The file is only reported when its content matches this regex too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<String>,
    /// Where the credential sits: the first match that is not allow-listed is reported (its
    /// line, its secret group). Without `content` the whole file is reported (line 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<AllowSpec>,
}

/// An allow-list entry: a match is dropped when every condition given here holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowSpec {
    pub id: String,
    /// Why this is not a secret (shown in docs and reviews).
    #[serde(default)]
    pub description: String,
    /// Regex on the absolute path. An entry with only `path` skips matching files entirely.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Regex on the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Regex on the whole match (key, separator and secret).
    #[serde(
        default,
        rename = "match",
        alias = "matched",
        skip_serializing_if = "Option::is_none"
    )]
    pub matched: Option<String>,
    /// Only matches of these rules (ids); empty: every rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
}

/// A whole rule file: the built-in one has this shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default, rename = "rule", alias = "rules")]
    pub rules: Vec<RuleSpec>,
    #[serde(default, rename = "file", alias = "files")]
    pub files: Vec<FileRuleSpec>,
    #[serde(default)]
    pub allow: Vec<AllowSpec>,
}

/// A user config file: disable built-in rules, add or replace rules, add allow-list entries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Ids of content or file rules to turn off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Ids of global allow-list entries to turn off (e.g. to scan a skipped path).
    #[serde(default)]
    pub disable_allow: Vec<String>,
    /// Extra content rules; one with the id of a built-in rule replaces it.
    #[serde(default, rename = "rule", alias = "rules")]
    pub rules: Vec<RuleSpec>,
    /// Extra credential-file rules; same replacement by id.
    #[serde(default, rename = "file", alias = "files")]
    pub files: Vec<FileRuleSpec>,
    /// Extra global allow-list entries (paths to skip, values to ignore).
    #[serde(default)]
    pub allow: Vec<AllowSpec>,
}

/// The format of a config text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigFormat {
    Toml,
    Yaml,
}

/// Parse a config text in the given format; `origin` names it in errors.
pub fn parse_config(text: &str, format: ConfigFormat, origin: &str) -> Result<Config> {
    let parsed = match format {
        ConfigFormat::Toml => toml::from_str::<Config>(text).map_err(|e| e.to_string()),
        ConfigFormat::Yaml => yaml_serde::from_str::<Config>(text).map_err(|e| e.to_string()),
    };
    parsed.map_err(|reason| SecretsError::Parse {
        origin: origin.to_string(),
        reason,
    })
}

/// Read a user config file: `.toml` is TOML, `.yaml`/`.yml` is YAML, anything else is tried
/// as TOML then YAML.
pub fn load_config(path: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(path).map_err(|source| SecretsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let origin = path.display().to_string();
    match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => parse_config(&text, ConfigFormat::Toml, &origin),
        Some("yaml" | "yml") => parse_config(&text, ConfigFormat::Yaml, &origin),
        _ => parse_config(&text, ConfigFormat::Toml, &origin)
            .or_else(|_| parse_config(&text, ConfigFormat::Yaml, &origin)),
    }
}

impl RuleFile {
    /// The built-in rule file, parsed.
    pub fn builtin() -> RuleFile {
        static SPEC: OnceLock<RuleFile> = OnceLock::new();
        SPEC.get_or_init(|| {
            // embedded data, parsed in every test run: a failure here is a build defect
            toml::from_str(BUILTIN_RULES).expect("built-in rules.toml parses")
        })
        .clone()
    }

    /// This rule file with a user config applied: disabled ids removed (an unknown id is an
    /// error), rules with an existing id replaced in place, new ones appended.
    pub fn with_config(mut self, config: &Config, origin: &str) -> Result<RuleFile> {
        let mut ids = HashSet::new();
        for id in config
            .rules
            .iter()
            .map(|r| &r.id)
            .chain(config.files.iter().map(|f| &f.id))
        {
            if !ids.insert(id) {
                return Err(rule_err(id, "duplicate rule id"));
            }
        }
        for id in &config.disable {
            let before = self.rules.len() + self.files.len();
            self.rules.retain(|r| &r.id != id);
            self.files.retain(|r| &r.id != id);
            if self.rules.len() + self.files.len() == before {
                return Err(SecretsError::UnknownRule {
                    origin: origin.to_string(),
                    id: id.clone(),
                });
            }
        }
        for id in &config.disable_allow {
            let before = self.allow.len();
            self.allow.retain(|a| &a.id != id);
            if self.allow.len() == before {
                return Err(SecretsError::UnknownRule {
                    origin: origin.to_string(),
                    id: id.clone(),
                });
            }
        }
        for rule in &config.rules {
            match self.rules.iter_mut().find(|r| r.id == rule.id) {
                Some(existing) => *existing = rule.clone(),
                None => self.rules.push(rule.clone()),
            }
        }
        for rule in &config.files {
            match self.files.iter_mut().find(|r| r.id == rule.id) {
                Some(existing) => *existing = rule.clone(),
                None => self.files.push(rule.clone()),
            }
        }
        self.allow.extend(config.allow.iter().cloned());
        Ok(self)
    }
}

/// Id, title and severity of a rule, shared by its findings.
#[derive(Debug)]
pub(crate) struct Meta {
    pub id: String,
    pub title: String,
    pub severity: Severity,
}

#[derive(Debug)]
pub(crate) struct Allow {
    pub id: String,
    pub rules: Vec<String>,
    pub path: Option<Regex>,
    pub secret: Option<BytesRegex>,
    pub matched: Option<BytesRegex>,
}

impl Allow {
    /// Only a path condition, for every rule: such entries skip files before they are read.
    pub fn path_only(&self) -> bool {
        self.path.is_some()
            && self.secret.is_none()
            && self.matched.is_none()
            && self.rules.is_empty()
    }

    pub fn allows(&self, rule: &str, path: &str, secret: &[u8], matched: &[u8]) -> bool {
        (self.rules.is_empty() || self.rules.iter().any(|r| r == rule))
            && self.path.as_ref().is_none_or(|r| r.is_match(path))
            && self.secret.as_ref().is_none_or(|r| r.is_match(secret))
            && self.matched.as_ref().is_none_or(|r| r.is_match(matched))
    }
}

#[derive(Debug)]
pub(crate) struct ContentRule {
    pub meta: Arc<Meta>,
    pub keywords: Vec<String>,
    pub regex: BytesRegex,
    /// `Some(i)`: that group; `None`: first participating group, else the whole match.
    pub group: Option<usize>,
    pub entropy: Option<f64>,
    pub path: Option<Regex>,
    pub window_before: usize,
    pub window_after: usize,
    pub fallback: bool,
    pub allow: Vec<Allow>,
}

#[derive(Debug)]
pub(crate) struct FileRule {
    pub meta: Arc<Meta>,
    pub path: Regex,
    pub requires: Option<BytesRegex>,
    pub content: Option<BytesRegex>,
    pub group: Option<usize>,
    pub allow: Vec<Allow>,
}

/// A compiled, validated rule set. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Rules {
    pub(crate) inner: Arc<RulesInner>,
}

#[derive(Debug)]
pub(crate) struct RulesInner {
    pub spec: RuleFile,
    pub content: Vec<ContentRule>,
    pub files: Vec<FileRule>,
    pub allow: Vec<Allow>,
}

fn bytes_regex(id: &str, what: &str, pattern: &str) -> Result<BytesRegex> {
    BytesRegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(64 << 20)
        .dfa_size_limit(32 << 20)
        .build()
        .map_err(|e| SecretsError::Rule {
            id: id.to_string(),
            reason: format!("{what}: {e}"),
        })
}

fn path_regex(id: &str, pattern: &str) -> Result<Regex> {
    RegexBuilder::new(pattern)
        .build()
        .map_err(|e| SecretsError::Rule {
            id: id.to_string(),
            reason: format!("path: {e}"),
        })
}

fn compile_allow(owner: &str, spec: &AllowSpec) -> Result<Allow> {
    let id = format!("{owner}/{}", spec.id);
    if spec.id.trim().is_empty() {
        return Err(SecretsError::Rule {
            id,
            reason: "allow-list entry without an id".into(),
        });
    }
    if spec.path.is_none() && spec.secret.is_none() && spec.matched.is_none() {
        return Err(SecretsError::Rule {
            id,
            reason: "allow-list entry with no condition (path, secret or match)".into(),
        });
    }
    Ok(Allow {
        id: spec.id.clone(),
        rules: spec.rules.clone(),
        path: spec
            .path
            .as_deref()
            .map(|p| path_regex(&id, p))
            .transpose()?,
        secret: spec
            .secret
            .as_deref()
            .map(|p| bytes_regex(&id, "secret", p))
            .transpose()?,
        matched: spec
            .matched
            .as_deref()
            .map(|p| bytes_regex(&id, "match", p))
            .transpose()?,
    })
}

/// Resolve `secret_group` against the regex's groups.
fn resolve_group(id: &str, re: &BytesRegex, wanted: Option<&str>) -> Result<Option<usize>> {
    let by_name = |name: &str| re.capture_names().position(|n| n == Some(name));
    match wanted {
        Some(g) => {
            let idx = match g.parse::<usize>() {
                Ok(n) if n < re.captures_len() => Some(n),
                Ok(_) => None,
                Err(_) => by_name(g),
            };
            idx.map(Some)
                .ok_or_else(|| rule_err(id, format!("no capture group {g:?}")))
        }
        None => Ok(by_name("secret")),
    }
}

fn rule_err(id: &str, reason: impl Into<String>) -> SecretsError {
    SecretsError::Rule {
        id: id.to_string(),
        reason: reason.into(),
    }
}

fn check_meta(id: &str, title: &str, seen: &mut HashSet<String>) -> Result<()> {
    if id.trim().is_empty() || id.chars().any(char::is_whitespace) {
        return Err(rule_err(id, "id must be non-empty, without spaces"));
    }
    if title.trim().is_empty() {
        return Err(rule_err(id, "title is empty"));
    }
    if !seen.insert(id.to_string()) {
        return Err(rule_err(id, "duplicate rule id"));
    }
    Ok(())
}

impl Rules {
    /// The built-in rules (compiled once per process, then shared).
    pub fn builtin() -> Rules {
        static BUILTIN: OnceLock<Rules> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                // embedded data, compiled in every test run: a failure is a build defect
                Rules::compile(RuleFile::builtin()).expect("built-in rules compile")
            })
            .clone()
    }

    /// The built-in rules with a user config applied.
    pub fn with_config(config: &Config, origin: &str) -> Result<Rules> {
        Rules::compile(RuleFile::builtin().with_config(config, origin)?)
    }

    /// Validate and compile a rule file.
    pub fn compile(spec: RuleFile) -> Result<Rules> {
        let mut seen = HashSet::new();
        let mut content = Vec::with_capacity(spec.rules.len());
        for r in &spec.rules {
            check_meta(&r.id, &r.title, &mut seen)?;
            if r.keywords.iter().any(|k| k.is_empty()) {
                return Err(rule_err(&r.id, "empty keyword"));
            }
            if r.window_before > MAX_WINDOW || r.window_after > MAX_WINDOW {
                return Err(rule_err(
                    &r.id,
                    format!("window larger than {MAX_WINDOW} bytes"),
                ));
            }
            if let Some(e) = r.entropy
                && !(0.0..=8.0).contains(&e)
            {
                return Err(rule_err(
                    &r.id,
                    format!("entropy {e} is outside 0..=8 bits per byte"),
                ));
            }
            let regex = bytes_regex(&r.id, "regex", &r.regex)?;
            let group = resolve_group(&r.id, &regex, r.secret_group.as_deref())?;
            content.push(ContentRule {
                meta: Arc::new(Meta {
                    id: r.id.clone(),
                    title: r.title.clone(),
                    severity: r.severity,
                }),
                keywords: r.keywords.iter().map(|k| k.to_ascii_lowercase()).collect(),
                regex,
                group,
                entropy: r.entropy,
                path: r
                    .path
                    .as_deref()
                    .map(|p| path_regex(&r.id, p))
                    .transpose()?,
                window_before: r.window_before,
                window_after: r.window_after,
                fallback: r.fallback,
                allow: r
                    .allow
                    .iter()
                    .map(|a| compile_allow(&r.id, a))
                    .collect::<Result<_>>()?,
            });
        }
        let mut files = Vec::with_capacity(spec.files.len());
        for f in &spec.files {
            check_meta(&f.id, &f.title, &mut seen)?;
            let content_re = f
                .content
                .as_deref()
                .map(|p| bytes_regex(&f.id, "content", p))
                .transpose()?;
            let group = match &content_re {
                Some(re) => resolve_group(&f.id, re, None)?,
                None => None,
            };
            files.push(FileRule {
                meta: Arc::new(Meta {
                    id: f.id.clone(),
                    title: f.title.clone(),
                    severity: f.severity,
                }),
                path: path_regex(&f.id, &f.path)?,
                requires: f
                    .requires
                    .as_deref()
                    .map(|p| bytes_regex(&f.id, "requires", p))
                    .transpose()?,
                content: content_re,
                group,
                allow: f
                    .allow
                    .iter()
                    .map(|a| compile_allow(&f.id, a))
                    .collect::<Result<_>>()?,
            });
        }
        let mut allow_ids = HashSet::new();
        let mut allow = Vec::with_capacity(spec.allow.len());
        let rule_allows = spec
            .rules
            .iter()
            .flat_map(|r| r.allow.iter().map(move |a| (&r.id, a)));
        let file_allows = spec
            .files
            .iter()
            .flat_map(|f| f.allow.iter().map(move |a| (&f.id, a)));
        for (owner, a) in rule_allows.chain(file_allows) {
            if let Some(unknown) = a.rules.iter().find(|r| !seen.contains(*r)) {
                return Err(rule_err(
                    &format!("{owner}/{}", a.id),
                    format!("allow-list entry names unknown rule {unknown:?}"),
                ));
            }
        }
        for a in &spec.allow {
            if !allow_ids.insert(a.id.clone()) {
                return Err(rule_err(&a.id, "duplicate allow-list id"));
            }
            if let Some(unknown) = a.rules.iter().find(|r| !seen.contains(*r)) {
                return Err(rule_err(
                    &format!("allow/{}", a.id),
                    format!("allow-list entry names unknown rule {unknown:?}"),
                ));
            }
            allow.push(compile_allow("allow", a)?);
        }
        Ok(Rules {
            inner: Arc::new(RulesInner {
                spec,
                content,
                files,
                allow,
            }),
        })
    }

    /// The rule file these rules were compiled from.
    pub fn spec(&self) -> &RuleFile {
        &self.inner.spec
    }

    /// Ids of the content rules, in priority order, then of the file rules.
    pub fn ids(&self) -> Vec<&str> {
        self.inner
            .content
            .iter()
            .map(|r| r.meta.id.as_str())
            .chain(self.inner.files.iter().map(|r| r.meta.id.as_str()))
            .collect()
    }

    /// Ids of the global allow-list entries.
    pub fn allow_ids(&self) -> Vec<&str> {
        self.inner.allow.iter().map(|a| a.id.as_str()).collect()
    }
}
