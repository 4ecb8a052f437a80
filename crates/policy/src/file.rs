//! The policy file (`drydock.yaml`, format version 1): parsing and validation with source
//! positions. The format is documented in `docs/policy.md`.
//!
//! The text is parsed by `yaml_serde` into a value tree (syntax errors carry its location),
//! then validated here field by field so that *every* mistake is reported at once — unknown
//! keys (with a "did you mean" hint), wrong types, bad severities and dates, ignores without a
//! reason — each at its line and column ([`crate::yamlpos`]). Any error makes the file
//! unusable ([`PolicyError::Invalid`]); warnings are kept in [`Policy::diagnostics`].

use crate::diag::{Diagnostic, Pos};
use crate::error::{PolicyError, Result};
use crate::glob::Glob;
use crate::yamlpos::{Positions, Seg};
use drydock_vulndb::Severity;
use std::path::Path;
use time::Date;
use yaml_serde::{Mapping, Value};

/// The only format version this crate reads.
pub const FORMAT_VERSION: u64 = 1;

/// Policy files larger than this are refused.
pub const MAX_POLICY_BYTES: u64 = 4 * 1024 * 1024;

/// A parsed, valid policy file.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The file name diagnostics refer to.
    pub file: String,
    pub fail_on: Option<FailOn>,
    pub secrets: Option<SecretsAction>,
    pub misconfigurations: Option<MisconfigGate>,
    pub rules: Vec<Rule>,
    pub image: ImageRequirements,
    pub ignore: Vec<Ignore>,
    /// Warnings found while parsing (errors make [`Policy::parse`] fail instead).
    pub diagnostics: Vec<Diagnostic>,
}

/// `fail_on:` — when a vulnerability finding fails the gate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FailOn {
    /// Findings at or above this severity fail (UNKNOWN is below every level).
    pub severity: Option<Severity>,
    /// With `severity`: only findings that have a fixed version fail.
    pub fixable_only: bool,
    /// Findings listed in CISA KEV fail, whatever their severity.
    pub kev: bool,
    /// Findings published more than this many days before `today` fail (findings without a
    /// usable publication date are skipped).
    pub max_age_days: Option<u32>,
    /// Findings whose EPSS score is at or above this (0–1) fail; findings without a score
    /// do not.
    pub epss_above: Option<f64>,
    /// Findings whose highest CVSS v3/v4 base score is at or above this (0–10) fail;
    /// findings without a CVSS score do not.
    pub cvss_above: Option<f64>,
}

/// `secrets: fail|warn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretsAction {
    Fail,
    Warn,
}

/// `misconfigurations: { severity: HIGH }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MisconfigGate {
    pub severity: Severity,
}

/// What a rule does to the items it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Suppressed (like an ignore entry, without expiry).
    Ignore,
    /// Kept and reported, never fails the gate.
    Warn,
    /// Always fails the gate.
    Fail,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Ignore => "ignore",
            Action::Warn => "warn",
            Action::Fail => "fail",
        }
    }
}

/// One entry of `rules:`: matches a vulnerability id (or alias), a secret rule id or a
/// misconfiguration rule id.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub severity: Option<Severity>,
    pub action: Option<Action>,
    pub reason: Option<String>,
    pub pos: Option<Pos>,
}

/// `image:` requirements.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageRequirements {
    /// Globs over `registry/repository` of every reference of the image; a pattern without
    /// wildcards is a registry host or a `registry/path` prefix.
    pub allowed_registries: Vec<Glob>,
    pub non_root: bool,
    /// Where `allowed_registries` / `non_root` are written.
    pub allowed_registries_pos: Option<Pos>,
    pub non_root_pos: Option<Pos>,
}

/// One entry of `ignore:`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ignore {
    /// A vulnerability id or alias, a secret rule id (or a secret's fingerprint), or a
    /// misconfiguration rule id.
    pub id: String,
    /// Glob over the package name, or over its purl when the pattern starts with `pkg:`.
    pub package: Option<Glob>,
    /// Glob over the package's path, the secret's path or the misconfiguration's file.
    pub path: Option<Glob>,
    pub reason: String,
    /// Last day the entry applies (inclusive).
    pub expires: Option<Date>,
    /// Position of the entry in the policy file.
    pub pos: Option<Pos>,
}

impl Policy {
    /// Read and parse a policy file (the path as given is used in diagnostics).
    pub fn load(path: &Path) -> Result<Policy> {
        let text = crate::read_limited(path, MAX_POLICY_BYTES)?;
        Policy::parse(&text, &path.display().to_string())
    }

    /// Parse policy text; `file` names it in diagnostics.
    pub fn parse(text: &str, file: &str) -> Result<Policy> {
        let invalid = |diagnostics| PolicyError::Invalid {
            file: file.to_string(),
            diagnostics,
        };
        let mut value: Value = match yaml_serde::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                let mut pos = e.location().map(|l| Pos::new(l.line(), l.column()));
                let msg = e.to_string();
                // yaml_serde places a duplicate key at the start of its mapping: find the
                // repeated key itself
                if let Some(name) = msg
                    .strip_prefix("duplicate entry with key \"")
                    .and_then(|r| r.split('"').next())
                    && let Some(p) = Positions::index(text).duplicate(name)
                {
                    pos = Some(p);
                }
                // yaml_serde appends " at line L column C"; the position is reported apart
                let msg = match msg.find(" at line ") {
                    Some(i) if pos.is_some() => msg[..i].to_string(),
                    _ => msg,
                };
                return Err(invalid(vec![
                    Diagnostic::error("yaml-syntax", msg).at(file, pos),
                ]));
            }
        };
        if let Err(e) = value.apply_merge() {
            return Err(invalid(vec![
                Diagnostic::error("yaml-syntax", e.to_string()).at(file, None),
            ]));
        }
        let mut cx = Cx {
            file,
            pos: Positions::index(text),
            diags: Vec::new(),
        };
        let policy = cx.policy(&value);
        // in file order (stable: several diagnostics at one place keep their order)
        cx.diags.sort_by_key(|d| (d.line, d.column));
        if cx.diags.iter().any(Diagnostic::is_error) {
            return Err(invalid(cx.diags));
        }
        let mut policy = policy;
        policy.diagnostics = cx.diags;
        Ok(policy)
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

fn key_text(k: &Value) -> Option<String> {
    match k {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Levenshtein distance, for "did you mean" hints (keys are short).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn path_text(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Idx(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn with(path: &[Seg], seg: Seg) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(seg);
    p
}

fn key(k: &str) -> Seg {
    Seg::Key(k.to_string())
}

struct Cx<'a> {
    file: &'a str,
    pos: Positions,
    diags: Vec<Diagnostic>,
}

const TOP_KEYS: &[&str] = &[
    "version",
    "fail_on",
    "secrets",
    "misconfigurations",
    "rules",
    "image",
    "ignore",
];
const FAIL_ON_KEYS: &[&str] = &[
    "severity",
    "fixable_only",
    "kev",
    "max_age_days",
    "epss_above",
    "cvss_above",
];
const MISCONFIG_KEYS: &[&str] = &["severity"];
const RULE_KEYS: &[&str] = &["id", "rule", "severity", "action", "reason"];
const IMAGE_KEYS: &[&str] = &["allowed_registries", "non_root"];
const IGNORE_KEYS: &[&str] = &["id", "package", "path", "reason", "expires"];

impl Cx<'_> {
    fn error_at_key(&mut self, path: &[Seg], code: &str, msg: String) {
        let p = self.pos.key(path);
        self.diags
            .push(Diagnostic::error(code, msg).at(self.file, p));
    }

    fn error_at_value(&mut self, path: &[Seg], code: &str, msg: String) {
        let p = self.pos.value(path);
        self.diags
            .push(Diagnostic::error(code, msg).at(self.file, p));
    }

    fn warn_at_key(&mut self, path: &[Seg], code: &str, msg: String) {
        let p = self.pos.key(path);
        self.diags
            .push(Diagnostic::warning(code, msg).at(self.file, p));
    }

    fn wrong_type(&mut self, path: &[Seg], expected: &str, v: &Value) {
        self.error_at_value(
            path,
            "wrong-type",
            format!("`{}` must be {expected}, not {}", path_text(path), kind(v)),
        );
    }

    /// The mapping at `path`, checking its keys against `allowed`.
    fn mapping<'v>(&mut self, v: &'v Value, path: &[Seg], allowed: &[&str]) -> Option<&'v Mapping> {
        let Value::Mapping(m) = v else {
            self.wrong_type(path, "a mapping", v);
            return None;
        };
        for k in m.keys() {
            let Some(name) = key_text(k) else {
                self.error_at_key(
                    path,
                    "wrong-type",
                    format!("keys of `{}` must be strings", path_text(path)),
                );
                continue;
            };
            if !allowed.contains(&name.as_str()) {
                let best = allowed
                    .iter()
                    .map(|a| (distance(&name, a), *a))
                    .min()
                    .filter(|(d, _)| *d <= 2);
                let hint = match best {
                    Some((_, a)) => format!("; did you mean `{a}`?"),
                    None => format!("; expected one of: {}", allowed.join(", ")),
                };
                let where_ = if path.is_empty() {
                    "at the top level".to_string()
                } else {
                    format!("in `{}`", path_text(path))
                };
                self.error_at_key(
                    &with(path, Seg::Key(name.clone())),
                    "unknown-key",
                    format!("unknown key `{name}` {where_}{hint}"),
                );
            }
        }
        Some(m)
    }

    fn get<'v>(m: &'v Mapping, k: &str) -> Option<&'v Value> {
        m.get(k).filter(|v| !v.is_null())
    }

    fn string(&mut self, m: &Mapping, path: &[Seg], k: &str) -> Option<String> {
        let v = Self::get(m, k)?;
        let p = with(path, key(k));
        match v {
            Value::String(s) => Some(s.clone()),
            // numbers and booleans written for text fields are taken as written
            Value::Number(n) => Some(n.to_string()),
            _ => {
                self.wrong_type(&p, "a string", v);
                None
            }
        }
    }

    fn boolean(&mut self, m: &Mapping, path: &[Seg], k: &str) -> Option<bool> {
        let v = Self::get(m, k)?;
        match v {
            Value::Bool(b) => Some(*b),
            _ => {
                self.wrong_type(&with(path, key(k)), "true or false", v);
                None
            }
        }
    }

    /// A number from 0 to `max` (an integer is taken as written).
    fn number_in(
        &mut self,
        m: &Mapping,
        path: &[Seg],
        k: &str,
        max: f64,
        what: &str,
    ) -> Option<f64> {
        let v = Self::get(m, k)?;
        let p = with(path, key(k));
        let Some(n) = v.as_f64() else {
            self.wrong_type(&p, &format!("a number from 0 to {max}"), v);
            return None;
        };
        if !(0.0..=max).contains(&n) {
            self.error_at_value(
                &p,
                "invalid-value",
                format!("`{}` is {what} from 0 to {max}, not {n}", path_text(&p)),
            );
            return None;
        }
        Some(n)
    }

    fn severity(
        &mut self,
        m: &Mapping,
        path: &[Seg],
        k: &str,
        misconfig: bool,
    ) -> Option<Severity> {
        let s = self.string(m, path, k)?;
        let p = with(path, key(k));
        match Severity::parse(&s) {
            Some(Severity::Unknown | Severity::Negligible) if misconfig => {
                self.error_at_value(
                    &p,
                    "invalid-value",
                    format!(
                        "`{}`: misconfiguration severities are LOW, MEDIUM, HIGH, CRITICAL, not {s:?}",
                        path_text(&p)
                    ),
                );
                None
            }
            Some(sev) => Some(sev),
            None => {
                self.error_at_value(
                    &p,
                    "invalid-value",
                    format!(
                        "`{}`: unknown severity {s:?}; expected CRITICAL, HIGH, MEDIUM, LOW, NEGLIGIBLE or UNKNOWN",
                        path_text(&p)
                    ),
                );
                None
            }
        }
    }

    fn policy(&mut self, v: &Value) -> Policy {
        let mut policy = Policy {
            file: self.file.to_string(),
            fail_on: None,
            secrets: None,
            misconfigurations: None,
            rules: Vec::new(),
            image: ImageRequirements::default(),
            ignore: Vec::new(),
            diagnostics: Vec::new(),
        };
        if v.is_null() {
            self.diags.push(
                Diagnostic::error(
                    "missing-key",
                    format!("the policy is empty: `version: {FORMAT_VERSION}` is required"),
                )
                .at(self.file, None),
            );
            return policy;
        }
        let Some(top) = self.mapping(v, &[], TOP_KEYS) else {
            return policy;
        };
        match Self::get(top, "version") {
            None => self.diags.push(
                Diagnostic::error(
                    "missing-key",
                    format!("`version` is required (the current format is `version: {FORMAT_VERSION}`)"),
                )
                .at(self.file, Some(Pos::new(1, 1))),
            ),
            Some(Value::Number(n)) if n.as_u64() == Some(FORMAT_VERSION) => {}
            Some(Value::Number(n)) => self.error_at_value(
                &[key("version")],
                "unsupported-version",
                format!("policy format version {n} is not supported (this build reads version {FORMAT_VERSION})"),
            ),
            Some(other) => self.wrong_type(&[key("version")], "a number", other),
        }
        if let Some(f) = Self::get(top, "fail_on") {
            policy.fail_on = self.fail_on(f);
        }
        if let Some(s) = Self::get(top, "secrets") {
            let p = [key("secrets")];
            match s {
                Value::String(t) if t.eq_ignore_ascii_case("fail") => {
                    policy.secrets = Some(SecretsAction::Fail)
                }
                Value::String(t) if t.eq_ignore_ascii_case("warn") => {
                    policy.secrets = Some(SecretsAction::Warn)
                }
                Value::String(t) => self.error_at_value(
                    &p,
                    "invalid-value",
                    format!("`secrets` must be `fail` or `warn`, not {t:?}"),
                ),
                other => self.wrong_type(&p, "`fail` or `warn`", other),
            }
        }
        if let Some(m) = Self::get(top, "misconfigurations") {
            let p = [key("misconfigurations")];
            if let Some(map) = self.mapping(m, &p, MISCONFIG_KEYS) {
                match self.severity(map, &p, "severity", true) {
                    Some(severity) => policy.misconfigurations = Some(MisconfigGate { severity }),
                    None if Self::get(map, "severity").is_none() => self.error_at_key(
                        &p,
                        "missing-key",
                        "`misconfigurations` needs a `severity`".to_string(),
                    ),
                    None => {}
                }
            }
        }
        if let Some(r) = Self::get(top, "rules") {
            policy.rules = self.rules(r);
        }
        if let Some(i) = Self::get(top, "image") {
            policy.image = self.image(i);
        }
        if let Some(i) = Self::get(top, "ignore") {
            policy.ignore = self.ignores(i);
        }
        policy
    }

    fn fail_on(&mut self, v: &Value) -> Option<FailOn> {
        let p = [key("fail_on")];
        let m = self.mapping(v, &p, FAIL_ON_KEYS)?;
        let mut f = FailOn {
            severity: self.severity(m, &p, "severity", false),
            fixable_only: self.boolean(m, &p, "fixable_only").unwrap_or(false),
            kev: self.boolean(m, &p, "kev").unwrap_or(false),
            max_age_days: None,
            epss_above: self.number_in(m, &p, "epss_above", 1.0, "an EPSS probability"),
            cvss_above: self.number_in(m, &p, "cvss_above", 10.0, "a CVSS base score"),
        };
        if let Some(v) = Self::get(m, "max_age_days") {
            let kp = with(&p, key("max_age_days"));
            match (v.as_u64().and_then(|n| u32::try_from(n).ok()), v) {
                (Some(n), _) => f.max_age_days = Some(n),
                (None, Value::Number(n)) => self.error_at_value(
                    &kp,
                    "invalid-value",
                    format!(
                        "`fail_on.max_age_days` must be a whole number of days (0 or more), not {n}"
                    ),
                ),
                (None, other) => self.wrong_type(&kp, "a whole number of days", other),
            }
        }
        if f.fixable_only && f.severity.is_none() {
            self.warn_at_key(
                &with(&p, key("fixable_only")),
                "no-effect",
                "`fail_on.fixable_only` has no effect without `fail_on.severity`".to_string(),
            );
        }
        Some(f)
    }

    fn seq<'v>(&mut self, v: &'v Value, path: &[Seg]) -> &'v [Value] {
        match v {
            Value::Sequence(s) => s,
            other => {
                self.wrong_type(path, "a list", other);
                &[]
            }
        }
    }

    fn rules(&mut self, v: &Value) -> Vec<Rule> {
        let p = [key("rules")];
        let mut out = Vec::new();
        for (i, item) in self.seq(v, &p).iter().enumerate() {
            let ip = with(&p, Seg::Idx(i));
            let errors_before = self.diags.iter().filter(|d| d.is_error()).count();
            let Some(m) = self.mapping(item, &ip, RULE_KEYS) else {
                continue;
            };
            let id = self.string(m, &ip, "id");
            let rule = self.string(m, &ip, "rule");
            let id = match (id, rule) {
                (Some(a), Some(_)) => {
                    self.error_at_key(
                        &with(&ip, key("rule")),
                        "conflicting-keys",
                        format!("rules[{i}] has both `id` and `rule`; give one"),
                    );
                    a
                }
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => {
                    self.error_at_key(
                        &ip,
                        "missing-key",
                        format!("rules[{i}] needs an `id` (vulnerability) or `rule` (secret or misconfiguration rule)"),
                    );
                    continue;
                }
            };
            let severity = self.severity(m, &ip, "severity", false);
            let action = match self.string(m, &ip, "action") {
                None => None,
                Some(a) => {
                    match a.to_ascii_lowercase().as_str() {
                        "ignore" => Some(Action::Ignore),
                        "warn" => Some(Action::Warn),
                        "fail" => Some(Action::Fail),
                        _ => {
                            self.error_at_value(
                            &with(&ip, key("action")),
                            "invalid-value",
                            format!("rules[{i}].action must be `ignore`, `warn` or `fail`, not {a:?}"),
                        );
                            None
                        }
                    }
                }
            };
            if severity.is_none()
                && action.is_none()
                && self.diags.iter().filter(|d| d.is_error()).count() == errors_before
            {
                self.warn_at_key(
                    &ip,
                    "no-effect",
                    format!("rules[{i}] ({id}) sets neither `severity` nor `action`"),
                );
            }
            out.push(Rule {
                id,
                severity,
                action,
                reason: self.string(m, &ip, "reason"),
                pos: self.pos.value(&ip),
            });
        }
        out
    }

    fn image(&mut self, v: &Value) -> ImageRequirements {
        let p = [key("image")];
        let mut req = ImageRequirements::default();
        let Some(m) = self.mapping(v, &p, IMAGE_KEYS) else {
            return req;
        };
        if let Some(list) = Self::get(m, "allowed_registries") {
            let lp = with(&p, key("allowed_registries"));
            req.allowed_registries_pos = self.pos.key(&lp);
            let items = self.seq(list, &lp);
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) if !s.trim().is_empty() => {
                        req.allowed_registries.push(Glob::new(s.trim()))
                    }
                    other => self.wrong_type(&with(&lp, Seg::Idx(i)), "a non-empty string", other),
                }
            }
            if items.is_empty() && matches!(list, Value::Sequence(_)) {
                self.warn_at_key(
                    &lp,
                    "no-effect",
                    "`image.allowed_registries` is empty: every registry is allowed".to_string(),
                );
            }
        }
        if let Some(b) = self.boolean(m, &p, "non_root") {
            req.non_root = b;
            req.non_root_pos = self.pos.key(&with(&p, key("non_root")));
        }
        req
    }

    fn ignores(&mut self, v: &Value) -> Vec<Ignore> {
        let p = [key("ignore")];
        let mut out: Vec<Ignore> = Vec::new();
        for (i, item) in self.seq(v, &p).iter().enumerate() {
            let ip = with(&p, Seg::Idx(i));
            let Some(m) = self.mapping(item, &ip, IGNORE_KEYS) else {
                continue;
            };
            let id = self.string(m, &ip, "id").map(|s| s.trim().to_string());
            let reason = self.string(m, &ip, "reason");
            let package = self.string(m, &ip, "package").map(|s| Glob::new(s.trim()));
            let path = self.string(m, &ip, "path").map(|s| Glob::new(s.trim()));
            let expires = match Self::get(m, "expires") {
                None => None,
                Some(Value::String(s)) => {
                    let fmt = time::macros::format_description!("[year]-[month]-[day]");
                    match Date::parse(s.trim(), fmt) {
                        Ok(d) => Some(d),
                        Err(_) => {
                            self.error_at_value(
                                &with(&ip, key("expires")),
                                "invalid-value",
                                format!("ignore[{i}].expires must be a date written YYYY-MM-DD, not {s:?}"),
                            );
                            None
                        }
                    }
                }
                Some(other) => {
                    self.wrong_type(
                        &with(&ip, key("expires")),
                        "a date written YYYY-MM-DD",
                        other,
                    );
                    None
                }
            };
            let entry_pos = self.pos.value(&ip);
            let Some(id) = id.filter(|s| !s.is_empty()) else {
                self.error_at_key(
                    &ip,
                    "missing-key",
                    format!("ignore[{i}] needs an `id` (a vulnerability id or alias, or a secret or misconfiguration rule id)"),
                );
                continue;
            };
            let Some(reason) = reason.filter(|r| !r.trim().is_empty()) else {
                self.error_at_key(
                    &ip,
                    "missing-key",
                    format!("ignore[{i}] ({id}) needs a `reason`: say why it is safe to ignore"),
                );
                continue;
            };
            if let Some(prev) = out
                .iter()
                .find(|o| o.id == id && o.package == package && o.path == path)
            {
                let at = prev
                    .pos
                    .map(|p| format!(" (line {})", p.line))
                    .unwrap_or_default();
                self.warn_at_key(
                    &ip,
                    "duplicate-entry",
                    format!("ignore[{i}] repeats an earlier entry for {id}{at}"),
                );
            }
            out.push(Ignore {
                id,
                package,
                path,
                reason: reason.trim().to_string(),
                expires,
                pos: entry_pos,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_and_full() {
        let p = Policy::parse("version: 1\n", "p.yaml").unwrap();
        assert_eq!(p.fail_on, None);
        assert!(p.ignore.is_empty());
        let p = Policy::parse(
            "version: 1\nfail_on: { severity: high, fixable_only: true, kev: true, max_age_days: 30 }\nsecrets: warn\nmisconfigurations: { severity: HIGH }\nignore:\n  - id: CVE-1\n    reason: r\n    expires: 2024-02-29\n",
            "p.yaml",
        )
        .unwrap();
        assert_eq!(
            p.fail_on,
            Some(FailOn {
                severity: Some(Severity::High),
                fixable_only: true,
                kev: true,
                max_age_days: Some(30),
                epss_above: None,
                cvss_above: None,
            })
        );
        assert_eq!(p.secrets, Some(SecretsAction::Warn));
        assert_eq!(p.ignore[0].pos, Some(Pos::new(6, 5)));
        assert_eq!(
            p.ignore[0].expires,
            Some(Date::from_calendar_date(2024, time::Month::February, 29).unwrap())
        );
    }

    #[test]
    fn errors_have_positions() {
        let e = Policy::parse("version: 1\nfial_on: {}\n", "p.yaml").unwrap_err();
        let d = &e.diagnostics()[0];
        assert_eq!(d.code, "unknown-key");
        assert_eq!((d.line, d.column), (Some(2), Some(1)));
        assert!(
            d.message.contains("did you mean `fail_on`?"),
            "{}",
            d.message
        );
        let e = Policy::parse("version: 1\nfail_on: [\n", "p.yaml").unwrap_err();
        assert_eq!(e.diagnostics()[0].code, "yaml-syntax");
        assert!(e.diagnostics()[0].line.is_some());
        let e = Policy::parse("", "p.yaml").unwrap_err();
        assert_eq!(e.diagnostics()[0].code, "missing-key");
        let e = Policy::parse("version: 2\n", "p.yaml").unwrap_err();
        assert_eq!(e.diagnostics()[0].code, "unsupported-version");
        let e = Policy::parse("- a\n", "p.yaml").unwrap_err();
        assert_eq!(e.diagnostics()[0].code, "wrong-type");
    }

    #[test]
    fn epss_and_cvss_thresholds() {
        let p = Policy::parse(
            "version: 1\nfail_on: { epss_above: 0.1, cvss_above: 7 }\n",
            "p.yaml",
        )
        .unwrap();
        let f = p.fail_on.unwrap();
        assert_eq!((f.epss_above, f.cvss_above), (Some(0.1), Some(7.0)));
        let e = Policy::parse("version: 1\nfail_on:\n  epss_above: 10\n", "p.yaml").unwrap_err();
        let d = &e.diagnostics()[0];
        assert_eq!(d.code, "invalid-value");
        assert_eq!((d.line, d.column), (Some(3), Some(15)));
        assert_eq!(
            d.message,
            "`fail_on.epss_above` is an EPSS probability from 0 to 1, not 10"
        );
        let e = Policy::parse("version: 1\nfail_on: { cvss_above: high }\n", "p.yaml").unwrap_err();
        let d = &e.diagnostics()[0];
        assert_eq!(d.code, "wrong-type");
        assert_eq!(
            d.message,
            "`fail_on.cvss_above` must be a number from 0 to 10, not a string"
        );
        let e = Policy::parse("version: 1\nfail_on: { epss: 0.1 }\n", "p.yaml").unwrap_err();
        assert!(
            e.diagnostics()[0].message.contains("did you mean `kev`?")
                || e.diagnostics()[0].message.contains("expected one of"),
            "{}",
            e.diagnostics()[0].message
        );
    }

    #[test]
    fn distance_hint() {
        assert_eq!(distance("fial_on", "fail_on"), 2);
        assert_eq!(distance("", "abc"), 3);
    }
}
