//! The combined evaluation: report + policy file + VEX + Rego → kept items, suppressions,
//! diagnostics and the gate decision. Order of application (documented in `docs/policy.md`):
//! VEX → ignores → rules → gate (thresholds, image requirements, Rego).

use crate::diag::Diagnostic;
use crate::file::{Action, Ignore, Policy, Rule, SecretsAction};
use crate::glob::Glob;
use crate::rego::{Deny, RegoPolicy};
use crate::vex::{self, ImageIdent, VexDoc, VexStatus};
use drydock_lint::Misconfig;
use drydock_lint::imageref::ImageRef;
use drydock_matcher::Finding;
use drydock_report::{Analysis, AnalysisState, Report, Summary, SuppressedFinding, VexAnalyses};
use drydock_secrets::SecretFinding;
use drydock_vulndb::Severity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use time::Date;

/// The misconfiguration rule that flags an image running as root.
pub const ROOT_USER_RULE: &str = "DD-IMG-001";

/// At most this many ids are listed in one gate reason.
const MAX_LISTED: usize = 10;

/// Why a kept item fails the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailKind {
    /// `fail_on.severity` (and `fixable_only`).
    Severity,
    /// `fail_on.kev`.
    Kev,
    /// `fail_on.max_age_days`.
    Age,
    /// `fail_on.epss_above`.
    Epss,
    /// `fail_on.cvss_above`.
    Cvss,
    /// A rule with `action: fail`.
    Rule,
    /// `secrets: fail`.
    Secret,
    /// `misconfigurations.severity`.
    Misconfiguration,
    /// `image.non_root` (the root-user misconfiguration).
    RootUser,
}

/// A VEX statement attached to a kept finding (`affected`, `under_investigation`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VexNote {
    pub file: String,
    /// Index in the document's `statements`.
    pub statement: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_id: Option<String>,
    pub status: VexStatus,
    pub explanation: String,
}

/// An item (finding, secret, misconfiguration) that stays in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kept {
    /// Index in the report's `findings` / `secrets` / `misconfigurations`.
    pub index: usize,
    /// Vulnerability id or rule id.
    pub id: String,
    /// Severity after rules.
    pub severity: Severity,
    /// The report's severity, when a rule changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_severity: Option<Severity>,
    /// The action a rule set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vex: Vec<VexNote>,
    /// What this item fails the gate for (empty: it does not).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fails: Vec<FailKind>,
}

/// What was suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    Finding {
        index: usize,
        id: String,
        package: String,
        version: String,
        purl: String,
    },
    Secret {
        index: usize,
        rule_id: String,
        path: String,
    },
    Misconfiguration {
        index: usize,
        rule_id: String,
        file: String,
    },
}

/// What suppressed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SuppressedBy {
    Vex {
        file: String,
        statement: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        statement_id: Option<String>,
        vulnerability: String,
        status: VexStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        justification: Option<String>,
    },
    Ignore {
        file: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        line: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        column: Option<usize>,
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires: Option<String>,
    },
    Rule {
        file: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        line: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        column: Option<usize>,
        id: String,
    },
}

/// One suppressed item and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub what: Item,
    pub by: SuppressedBy,
    pub reason: String,
}

/// The gate decision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    pub failed: bool,
    /// What failed the gate and why, one line per requirement.
    pub reasons: Vec<String>,
    /// What would have failed it but is only warned about (`action: warn`, `secrets: warn`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Gate {
    /// `passed`, or `failed: reason; reason`.
    pub fn summary(&self) -> String {
        if self.failed {
            format!("failed: {}", self.reasons.join("; "))
        } else {
            "passed".to_string()
        }
    }
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub findings: Vec<Kept>,
    pub secrets: Vec<Kept>,
    pub misconfigurations: Vec<Kept>,
    pub suppressed: Vec<Suppression>,
    /// Messages of `data.drydock.deny` when a Rego policy was given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denies: Vec<Deny>,
    pub diagnostics: Vec<Diagnostic>,
    pub gate: Gate,
}

impl Evaluation {
    /// The report without the suppressed items, severities as rules set them, summary
    /// recomputed. This is what Rego policies see as `input`.
    pub fn filtered_report(&self, report: &Report) -> Report {
        let mut r = report.clone();
        r.findings = self
            .findings
            .iter()
            .filter_map(|k| {
                let mut f = report.findings.get(k.index)?.clone();
                f.severity = k.severity;
                Some(f)
            })
            .collect();
        r.secrets = self
            .secrets
            .iter()
            .filter_map(|k| {
                let mut s = report.secrets.get(k.index)?.clone();
                s.found.severity = k.severity;
                Some(s)
            })
            .collect();
        r.misconfigurations = self
            .misconfigurations
            .iter()
            .filter_map(|k| {
                let mut m = report.misconfigurations.get(k.index)?.clone();
                if let Some(s) = to_lint_severity(k.severity) {
                    m.severity = s;
                }
                Some(m)
            })
            .collect();
        r.summary = Summary::compute(&r.packages, &r.findings, &r.secrets);
        r.vex = self.vex_analyses(report);
        r
    }

    /// The CycloneDX analyses of this evaluation: kept findings a VEX statement annotates
    /// (by their index in the filtered report) and every suppressed finding.
    pub fn vex_analyses(&self, report: &Report) -> VexAnalyses {
        let mut out = VexAnalyses::default();
        for (i, k) in self.findings.iter().enumerate() {
            let (Some(note), Some(f)) = (k.vex.last(), report.findings.get(k.index)) else {
                continue;
            };
            let state = match note.status {
                VexStatus::Affected => AnalysisState::Exploitable,
                VexStatus::UnderInvestigation => AnalysisState::InTriage,
                // suppressing statuses never annotate a kept finding
                VexStatus::NotAffected => AnalysisState::NotAffected,
                VexStatus::Fixed => AnalysisState::Resolved,
            };
            out.kept.insert(
                i,
                Analysis {
                    state,
                    justification: None,
                    response: if f.fixable() {
                        vec!["update".into()]
                    } else {
                        vec![]
                    },
                    detail: format!(
                        "OpenVEX {} (statement {}): {}",
                        note.file, note.statement, note.explanation
                    ),
                },
            );
        }
        for s in &self.suppressed {
            let Item::Finding { index, .. } = &s.what else {
                continue;
            };
            let Some(f) = report.findings.get(*index) else {
                continue;
            };
            let analysis = match &s.by {
                SuppressedBy::Vex {
                    file,
                    statement,
                    status,
                    justification,
                    ..
                } => Analysis {
                    state: if *status == VexStatus::Fixed {
                        AnalysisState::Resolved
                    } else {
                        AnalysisState::NotAffected
                    },
                    justification: justification
                        .as_deref()
                        .and_then(cyclonedx_justification)
                        .map(str::to_string),
                    response: if *status == VexStatus::Fixed {
                        vec!["update".into()]
                    } else {
                        vec![]
                    },
                    detail: format!("OpenVEX {file} (statement {statement}): {}", s.reason),
                },
                SuppressedBy::Ignore {
                    file,
                    line,
                    id,
                    expires,
                    ..
                } => Analysis {
                    state: AnalysisState::Exploitable,
                    justification: None,
                    response: vec!["will_not_fix".into()],
                    detail: format!(
                        "Risk accepted: ignore of {id} in {file}{}{}: {}",
                        line.map(|l| format!(":{l}")).unwrap_or_default(),
                        expires
                            .as_deref()
                            .map(|d| format!(" (until {d})"))
                            .unwrap_or_default(),
                        s.reason
                    ),
                },
                SuppressedBy::Rule { file, line, id, .. } => Analysis {
                    state: AnalysisState::Exploitable,
                    justification: None,
                    response: vec!["will_not_fix".into()],
                    detail: format!(
                        "Risk accepted: rule for {id} in {file}{} sets action ignore: {}",
                        line.map(|l| format!(":{l}")).unwrap_or_default(),
                        s.reason
                    ),
                },
            };
            out.suppressed.push(SuppressedFinding {
                finding: f.clone(),
                analysis,
            });
        }
        out
    }
}

/// OpenVEX `not_affected` justification → CycloneDX `analysis.justification`.
pub fn cyclonedx_justification(openvex: &str) -> Option<&'static str> {
    Some(match openvex {
        "component_not_present" | "vulnerable_code_not_present" => "code_not_present",
        "vulnerable_code_not_in_execute_path" => "code_not_reachable",
        "vulnerable_code_cannot_be_controlled_by_adversary" => "requires_environment",
        "inline_mitigations_already_exist" => "protected_by_mitigating_control",
        _ => return None,
    })
}

pub(crate) fn from_lint_severity(s: drydock_lint::Severity) -> Severity {
    match s {
        drydock_lint::Severity::Low => Severity::Low,
        drydock_lint::Severity::Medium => Severity::Medium,
        drydock_lint::Severity::High => Severity::High,
        drydock_lint::Severity::Critical => Severity::Critical,
    }
}

fn to_lint_severity(s: Severity) -> Option<drydock_lint::Severity> {
    Some(match s {
        Severity::Low => drydock_lint::Severity::Low,
        Severity::Medium => drydock_lint::Severity::Medium,
        Severity::High => drydock_lint::Severity::High,
        Severity::Critical => drydock_lint::Severity::Critical,
        Severity::Negligible | Severity::Unknown => return None,
    })
}

/// The publication date of a finding, when it has a usable one (Go advisories carry the
/// placeholder `0001-01-01`: anything before 1970 counts as no date).
pub fn published_date(f: &Finding) -> Option<Date> {
    let p = f.published.as_deref()?;
    let day = p.get(..10)?;
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = Date::parse(day, fmt).ok()?;
    (d.year() >= 1970).then_some(d)
}

fn id_eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn finding_has_id(f: &Finding, id: &str) -> bool {
    id_eq(&f.id, id) || f.aliases.iter().any(|a| id_eq(a, id))
}

/// `package:` of an ignore entry: a glob over the name (or the source package's name), or
/// over the purl when it starts with `pkg:` (with and without qualifiers, and without the
/// version).
fn package_matches(g: &Glob, f: &Finding) -> bool {
    let p = &f.package;
    if g.as_str().starts_with("pkg:") {
        let base = p.purl.split(['?', '#']).next().unwrap_or("");
        let unversioned = match base.rfind('@') {
            Some(i) if i > base.rfind('/').unwrap_or(0) => &base[..i],
            _ => base,
        };
        [p.purl.as_str(), base, unversioned]
            .iter()
            .any(|c| g.matches(c))
    } else {
        g.matches(&p.name) || (!p.source_name.is_empty() && g.matches(&p.source_name))
    }
}

fn ignore_matches_finding(e: &Ignore, f: &Finding) -> bool {
    finding_has_id(f, &e.id)
        && e.package.as_ref().is_none_or(|g| package_matches(g, f))
        && e.path.as_ref().is_none_or(|g| g.matches(&f.package.path))
}

fn ignore_matches_secret(e: &Ignore, s: &SecretFinding) -> bool {
    (id_eq(&s.found.rule_id, &e.id) || s.found.fingerprint == e.id)
        && e.package.is_none()
        && e.path.as_ref().is_none_or(|g| g.matches(&s.path))
}

fn ignore_matches_misconfig(e: &Ignore, m: &Misconfig) -> bool {
    id_eq(&m.rule_id, &e.id)
        && e.package.is_none()
        && e.path.as_ref().is_none_or(|g| g.matches(&m.file))
}

fn finding_item(i: usize, f: &Finding) -> Item {
    Item::Finding {
        index: i,
        id: f.id.clone(),
        package: f.package.name.clone(),
        version: f.package.version.clone(),
        purl: f.package.purl.clone(),
    }
}

fn secret_item(i: usize, s: &SecretFinding) -> Item {
    Item::Secret {
        index: i,
        rule_id: s.found.rule_id.clone(),
        path: s.path.clone(),
    }
}

fn misconfig_item(i: usize, m: &Misconfig) -> Item {
    Item::Misconfiguration {
        index: i,
        rule_id: m.rule_id.clone(),
        file: m.file.clone(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Distinct ids in order of appearance, at most [`MAX_LISTED`].
fn list(ids: &[String]) -> String {
    let mut seen = BTreeSet::new();
    let distinct: Vec<&String> = ids.iter().filter(|i| seen.insert(i.as_str())).collect();
    let mut s = distinct
        .iter()
        .take(MAX_LISTED)
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if distinct.len() > MAX_LISTED {
        s.push_str(&format!(", … ({} more)", distinct.len() - MAX_LISTED));
    }
    s
}

fn fmt_date(d: Date) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    d.format(fmt).unwrap_or_default()
}

/// The first rule setting a severity and the first setting an action, among those matching.
fn rule_effect<'a>(
    rules: &'a [Rule],
    matches: impl Fn(&Rule) -> bool,
    used: &mut [bool],
) -> (Option<&'a Rule>, Option<&'a Rule>) {
    let mut sev = None;
    let mut act = None;
    for (i, r) in rules.iter().enumerate() {
        if !matches(r) {
            continue;
        }
        used[i] = true;
        if sev.is_none() && r.severity.is_some() {
            sev = Some(r);
        }
        if act.is_none() && r.action.is_some() {
            act = Some(r);
        }
    }
    (sev, act)
}

/// The kept item, or the rule whose `action: ignore` suppresses it.
fn keep<'a>(
    rules: &'a [Rule],
    index: usize,
    id: &str,
    severity: Severity,
    matches: &dyn Fn(&Rule) -> bool,
    used: &mut [bool],
) -> Result<Kept, &'a Rule> {
    let (sev, act) = rule_effect(rules, matches, used);
    if let Some(r) = act.filter(|r| r.action == Some(Action::Ignore)) {
        return Err(r);
    }
    let eff = sev.and_then(|r| r.severity).unwrap_or(severity);
    Ok(Kept {
        index,
        id: id.to_string(),
        severity: eff,
        original_severity: (eff != severity).then_some(severity),
        action: act.and_then(|r| r.action),
        vex: Vec::new(),
        fails: Vec::new(),
    })
}

/// Evaluate a report against an optional policy file, VEX documents and an optional Rego
/// policy. `today` decides which ignores have expired and how old findings are; the wall
/// clock is never read. Errors only when the Rego policy fails to evaluate.
pub fn evaluate(
    report: &Report,
    policy: Option<&Policy>,
    vex: &[VexDoc],
    rego: Option<&RegoPolicy>,
    today: Date,
) -> crate::Result<Evaluation> {
    let mut ev = Evaluation::default();
    if let Some(p) = policy {
        ev.diagnostics.extend(p.diagnostics.iter().cloned());
    }
    for d in vex {
        ev.diagnostics.extend(d.diagnostics.iter().cloned());
    }
    let img = ImageIdent::from_artifact(&report.artifact);
    let nf = report.findings.len();
    let ns = report.secrets.len();
    let nm = report.misconfigurations.len();
    let mut f_gone = vec![false; nf];
    let mut s_gone = vec![false; ns];
    let mut m_gone = vec![false; nm];
    let mut f_notes: Vec<Vec<VexNote>> = vec![Vec::new(); nf];

    // 1. VEX
    let mut vex_used: Vec<Vec<bool>> = vex
        .iter()
        .map(|d| vec![false; d.statements.len()])
        .collect();
    let index = vex::VexIndex::new(vex);
    for (i, f) in report.findings.iter().enumerate() {
        let Some((di, si)) = index.select(f, &img) else {
            continue;
        };
        vex_used[di][si] = true;
        let doc = &vex[di];
        let st = &doc.statements[si];
        if st.status.suppresses() {
            f_gone[i] = true;
            ev.suppressed.push(Suppression {
                what: finding_item(i, f),
                by: SuppressedBy::Vex {
                    file: doc.file.clone(),
                    statement: st.index,
                    statement_id: st.id.clone(),
                    vulnerability: st.vulnerability.clone(),
                    status: st.status,
                    justification: st.justification.clone(),
                },
                reason: st.explain(),
            });
        } else {
            f_notes[i].push(VexNote {
                file: doc.file.clone(),
                statement: st.index,
                statement_id: st.id.clone(),
                status: st.status,
                explanation: st.explain(),
            });
        }
    }
    for (d, used) in vex.iter().zip(&vex_used) {
        let unused = used.iter().filter(|u| !**u).count();
        if unused > 0 {
            let names: Vec<String> = d
                .statements
                .iter()
                .zip(used)
                .filter(|(_, u)| !**u)
                .map(|(s, _)| s.vulnerability.clone())
                .collect();
            ev.diagnostics.push(
                Diagnostic::note(
                    "vex-unused",
                    format!(
                        "{unused} of {} statements applied to no finding of this report: {}",
                        d.statements.len(),
                        list(&names)
                    ),
                )
                .at(&d.file, None),
            );
        }
    }

    // 2. ignores
    let empty_rules: &[Rule] = &[];
    let (ignores, rules, file): (&[Ignore], &[Rule], &str) = match policy {
        Some(p) => (&p.ignore, &p.rules, &p.file),
        None => (&[], empty_rules, ""),
    };
    // what VEX left: an ignore is "used" when it matches any of it, even if an earlier
    // ignore already took the item
    let f_vex = f_gone.clone();
    for e in ignores {
        let fs: Vec<usize> = (0..nf)
            .filter(|&i| !f_vex[i] && ignore_matches_finding(e, &report.findings[i]))
            .collect();
        let ss: Vec<usize> = (0..ns)
            .filter(|&i| ignore_matches_secret(e, &report.secrets[i]))
            .collect();
        let ms: Vec<usize> = (0..nm)
            .filter(|&i| ignore_matches_misconfig(e, &report.misconfigurations[i]))
            .collect();
        let n = fs.len() + ss.len() + ms.len();
        if let Some(exp) = e.expires.filter(|d| *d < today) {
            let effect = if n == 0 {
                "it matches nothing in this report either".to_string()
            } else {
                format!("{} it matched now count again", plural(n, "item", "items"))
            };
            ev.diagnostics.push(
                Diagnostic::warning(
                    "ignore-expired",
                    format!(
                        "ignore of {} expired on {} and no longer applies; {effect} (reason was: {})",
                        e.id,
                        fmt_date(exp),
                        e.reason
                    ),
                )
                .at(file, e.pos),
            );
            continue;
        }
        if n == 0 {
            let by_vex =
                (0..nf).any(|i| f_vex[i] && ignore_matches_finding(e, &report.findings[i]));
            let what = if by_vex {
                "matched only findings VEX already suppresses".to_string()
            } else {
                "matched nothing in this report".to_string()
            };
            ev.diagnostics.push(
                Diagnostic::warning("ignore-unused", format!("ignore of {} {what}", e.id))
                    .at(file, e.pos),
            );
            continue;
        }
        // the first matching entry suppresses an item
        let fs: Vec<usize> = fs.into_iter().filter(|&i| !f_gone[i]).collect();
        let ss: Vec<usize> = ss.into_iter().filter(|&i| !s_gone[i]).collect();
        let ms: Vec<usize> = ms.into_iter().filter(|&i| !m_gone[i]).collect();
        let by = SuppressedBy::Ignore {
            file: file.to_string(),
            line: e.pos.map(|p| p.line),
            column: e.pos.map(|p| p.column),
            id: e.id.clone(),
            expires: e.expires.map(fmt_date),
        };
        for i in fs {
            f_gone[i] = true;
            ev.suppressed.push(Suppression {
                what: finding_item(i, &report.findings[i]),
                by: by.clone(),
                reason: e.reason.clone(),
            });
        }
        for i in ss {
            s_gone[i] = true;
            ev.suppressed.push(Suppression {
                what: secret_item(i, &report.secrets[i]),
                by: by.clone(),
                reason: e.reason.clone(),
            });
        }
        for i in ms {
            m_gone[i] = true;
            ev.suppressed.push(Suppression {
                what: misconfig_item(i, &report.misconfigurations[i]),
                by: by.clone(),
                reason: e.reason.clone(),
            });
        }
    }

    // 3. rules
    let mut rule_used = vec![false; rules.len()];
    let rule_by = |r: &Rule| SuppressedBy::Rule {
        file: file.to_string(),
        line: r.pos.map(|p| p.line),
        column: r.pos.map(|p| p.column),
        id: r.id.clone(),
    };
    let rule_reason = |r: &Rule| {
        r.reason
            .clone()
            .unwrap_or_else(|| format!("rules: {} is set to action ignore", r.id))
    };
    for (i, f) in report.findings.iter().enumerate() {
        if f_gone[i] {
            continue;
        }
        let m = |r: &Rule| finding_has_id(f, &r.id);
        match keep(rules, i, &f.id, f.severity, &m, &mut rule_used) {
            Ok(mut k) => {
                k.vex = std::mem::take(&mut f_notes[i]);
                ev.findings.push(k);
            }
            Err(r) => ev.suppressed.push(Suppression {
                what: finding_item(i, f),
                by: rule_by(r),
                reason: rule_reason(r),
            }),
        }
    }
    for (i, s) in report.secrets.iter().enumerate() {
        if s_gone[i] {
            continue;
        }
        let m = |r: &Rule| id_eq(&r.id, &s.found.rule_id);
        match keep(
            rules,
            i,
            &s.found.rule_id,
            s.found.severity,
            &m,
            &mut rule_used,
        ) {
            Ok(k) => ev.secrets.push(k),
            Err(r) => ev.suppressed.push(Suppression {
                what: secret_item(i, s),
                by: rule_by(r),
                reason: rule_reason(r),
            }),
        }
    }
    for (i, mc) in report.misconfigurations.iter().enumerate() {
        if m_gone[i] {
            continue;
        }
        let m = |r: &Rule| id_eq(&r.id, &mc.rule_id);
        match keep(
            rules,
            i,
            &mc.rule_id,
            from_lint_severity(mc.severity),
            &m,
            &mut rule_used,
        ) {
            Ok(k) => ev.misconfigurations.push(k),
            Err(r) => ev.suppressed.push(Suppression {
                what: misconfig_item(i, mc),
                by: rule_by(r),
                reason: rule_reason(r),
            }),
        }
    }
    for (r, used) in rules.iter().zip(&rule_used) {
        if !used {
            ev.diagnostics.push(
                Diagnostic::note(
                    "rule-unused",
                    format!("rule for {} matched nothing in this report", r.id),
                )
                .at(file, r.pos),
            );
        }
    }

    // 4. gate
    let mut gate = Gate::default();
    if let Some(p) = policy {
        gate_items(report, p, today, &mut ev, &mut gate);
        image_requirements(report, p, &img, &mut ev, &mut gate);
    }
    if let Some(rp) = rego {
        let input = serde_json::to_value(ev.filtered_report(report))
            .map_err(|e| crate::PolicyError::Rego(format!("report as JSON: {e}")))?;
        ev.denies = rp.evaluate(&input)?;
        for d in &ev.denies {
            gate.reasons.push(format!("rego: {}", d.msg));
        }
    }
    gate.failed = !gate.reasons.is_empty();
    ev.gate = gate;
    Ok(ev)
}

fn gate_items(report: &Report, p: &Policy, today: Date, ev: &mut Evaluation, gate: &mut Gate) {
    let fo = p.fail_on.clone().unwrap_or_default();
    let mut by_sev = Vec::new();
    let mut by_kev = Vec::new();
    let mut by_age = Vec::new();
    let mut by_epss = Vec::new();
    let mut by_cvss = Vec::new();
    let mut by_rule = Vec::new();
    let mut warned = Vec::new();
    for k in &mut ev.findings {
        let Some(f) = report.findings.get(k.index) else {
            continue;
        };
        let mut fails = Vec::new();
        if fo
            .severity
            .is_some_and(|s| k.severity >= s && (!fo.fixable_only || f.fixable()))
        {
            fails.push(FailKind::Severity);
        }
        if fo.kev && f.kev.is_some() {
            fails.push(FailKind::Kev);
        }
        if let (Some(days), Some(d)) = (fo.max_age_days, published_date(f))
            && (today - d).whole_days() > i64::from(days)
        {
            fails.push(FailKind::Age);
        }
        if let (Some(t), Some(e)) = (fo.epss_above, &f.epss)
            && e.score >= t
        {
            fails.push(FailKind::Epss);
        }
        if let (Some(t), Some(c)) = (fo.cvss_above, f.cvss_score())
            && c >= t
        {
            fails.push(FailKind::Cvss);
        }
        match k.action {
            Some(Action::Fail) => {
                by_rule.push(f.id.clone());
                k.fails = vec![FailKind::Rule];
            }
            Some(Action::Warn) => {
                if !fails.is_empty() {
                    warned.push(f.id.clone());
                }
            }
            _ => {
                for x in &fails {
                    match x {
                        FailKind::Severity => by_sev.push(f.id.clone()),
                        FailKind::Kev => by_kev.push(f.id.clone()),
                        FailKind::Age => by_age.push(f.id.clone()),
                        FailKind::Epss => by_epss.push(format!(
                            "{} ({})",
                            f.id,
                            f.epss.as_ref().map_or(0.0, |e| e.score)
                        )),
                        FailKind::Cvss => {
                            by_cvss.push(format!("{} ({:.1})", f.id, f.cvss_score().unwrap_or(0.0)))
                        }
                        _ => {}
                    }
                }
                k.fails = fails;
            }
        }
    }
    if let Some(s) = fo.severity
        && !by_sev.is_empty()
    {
        gate.reasons.push(format!(
            "{} ≥ {}{}: {}",
            plural(by_sev.len(), "finding", "findings"),
            s.as_str(),
            if fo.fixable_only { " with a fix" } else { "" },
            list(&by_sev)
        ));
    }
    if !by_kev.is_empty() {
        gate.reasons.push(format!(
            "{} in CISA KEV (known exploited): {}",
            plural(by_kev.len(), "finding", "findings"),
            list(&by_kev)
        ));
    }
    if let Some(days) = fo.max_age_days
        && !by_age.is_empty()
    {
        gate.reasons.push(format!(
            "{} published more than {days} days ago: {}",
            plural(by_age.len(), "finding", "findings"),
            list(&by_age)
        ));
    }
    if let Some(t) = fo.epss_above
        && !by_epss.is_empty()
    {
        gate.reasons.push(format!(
            "{} with EPSS ≥ {t}: {}",
            plural(by_epss.len(), "finding", "findings"),
            list(&by_epss)
        ));
    }
    if let Some(t) = fo.cvss_above
        && !by_cvss.is_empty()
    {
        gate.reasons.push(format!(
            "{} with CVSS ≥ {t:.1}: {}",
            plural(by_cvss.len(), "finding", "findings"),
            list(&by_cvss)
        ));
    }
    if !warned.is_empty() {
        gate.warnings.push(format!(
            "{} would fail the gate but rules set them to warn: {}",
            plural(warned.len(), "finding", "findings"),
            list(&warned)
        ));
    }

    // secrets
    let mut sec_fail = Vec::new();
    let mut sec_warn = Vec::new();
    for k in &mut ev.secrets {
        let Some(s) = report.secrets.get(k.index) else {
            continue;
        };
        let label = format!("{} in {}", s.found.rule_id, s.path);
        match (k.action, p.secrets) {
            (Some(Action::Fail), _) => {
                by_rule.push(s.found.rule_id.clone());
                k.fails = vec![FailKind::Rule];
            }
            (Some(Action::Warn), Some(_)) | (None, Some(SecretsAction::Warn)) => {
                sec_warn.push(label)
            }
            (None, Some(SecretsAction::Fail)) => {
                sec_fail.push(label);
                k.fails = vec![FailKind::Secret];
            }
            _ => {}
        }
    }
    if !sec_fail.is_empty() {
        gate.reasons.push(format!(
            "{} found: {}",
            plural(sec_fail.len(), "secret", "secrets"),
            list(&sec_fail)
        ));
    }
    if !sec_warn.is_empty() {
        gate.warnings.push(format!(
            "{} found: {}",
            plural(sec_warn.len(), "secret", "secrets"),
            list(&sec_warn)
        ));
    }

    // misconfigurations
    let mut mis_fail = Vec::new();
    let mut mis_warn = Vec::new();
    for k in &mut ev.misconfigurations {
        let over = p
            .misconfigurations
            .is_some_and(|g| k.severity >= g.severity);
        match k.action {
            Some(Action::Fail) => {
                by_rule.push(k.id.clone());
                k.fails = vec![FailKind::Rule];
            }
            Some(Action::Warn) if over => mis_warn.push(k.id.clone()),
            None if over => {
                mis_fail.push(k.id.clone());
                k.fails.push(FailKind::Misconfiguration);
            }
            _ => {}
        }
    }
    if let Some(g) = p.misconfigurations
        && !mis_fail.is_empty()
    {
        gate.reasons.push(format!(
            "{} ≥ {}: {}",
            plural(mis_fail.len(), "misconfiguration", "misconfigurations"),
            g.severity.as_str(),
            list(&mis_fail)
        ));
    }
    if !mis_warn.is_empty() {
        gate.warnings.push(format!(
            "{} would fail the gate but rules set them to warn: {}",
            plural(mis_warn.len(), "misconfiguration", "misconfigurations"),
            list(&mis_warn)
        ));
    }
    if !by_rule.is_empty() {
        gate.reasons.push(format!(
            "{} set to fail by rules: {}",
            plural(by_rule.len(), "item", "items"),
            list(&by_rule)
        ));
    }
}

/// Is the reference allowed by this pattern? Without wildcards the pattern is a registry host
/// or a `registry/path` prefix, as in the Dockerfile linter's allowed-registries rule (the
/// same function decides); with wildcards it is a glob over `registry/repository`.
fn registry_allowed(r: &ImageRef, g: &Glob) -> bool {
    if g.is_literal() {
        return drydock_lint::imageref::registry_allowed(r, &[g.as_str().to_string()]);
    }
    g.matches(&r.full_name())
}

fn image_requirements(
    report: &Report,
    p: &Policy,
    img: &ImageIdent,
    ev: &mut Evaluation,
    gate: &mut Gate,
) {
    let req = &p.image;
    if !req.allowed_registries.is_empty() {
        let refs = img.references();
        if refs.is_empty() {
            ev.diagnostics.push(
                Diagnostic::warning(
                    "image-reference-unknown",
                    format!(
                        "image.allowed_registries cannot be checked: the report names no image reference (source {:?}, format {}, no repo tags)",
                        report.artifact.source, report.artifact.format
                    ),
                )
                .at(&p.file, req.allowed_registries_pos),
            );
        }
        let patterns: Vec<&str> = req.allowed_registries.iter().map(Glob::as_str).collect();
        for r in refs {
            let full = r.full_name();
            if !req
                .allowed_registries
                .iter()
                .any(|g| registry_allowed(r, g))
            {
                gate.reasons.push(format!(
                    "image reference {full} is not from an allowed registry ({})",
                    patterns.join(", ")
                ));
            }
        }
    }
    if req.non_root {
        let root: Vec<(usize, Option<Action>)> = ev
            .misconfigurations
            .iter()
            .enumerate()
            .filter(|(_, k)| id_eq(&k.id, ROOT_USER_RULE))
            .map(|(pos, k)| (pos, k.action))
            .collect();
        if root.is_empty() && report.misconfigurations.is_empty() {
            ev.diagnostics.push(
                Diagnostic::warning(
                    "image-user-unknown",
                    format!(
                        "image.non_root cannot be checked: the report does not say which user the image runs as (it carries no misconfiguration results; scan with `--scanners misconfig` so that {ROOT_USER_RULE} is evaluated)"
                    ),
                )
                .at(&p.file, req.non_root_pos),
            );
        }
        for (pos, action) in root {
            let msg = report
                .misconfigurations
                .get(ev.misconfigurations[pos].index)
                .map(|m| m.message.clone())
                .unwrap_or_default();
            if action == Some(Action::Warn) {
                gate.warnings
                    .push(format!("image runs as root ({ROOT_USER_RULE}: {msg})"));
            } else {
                gate.reasons
                    .push(format!("image runs as root ({ROOT_USER_RULE}: {msg})"));
                let km = &mut ev.misconfigurations[pos];
                if !km.fails.contains(&FailKind::RootUser) {
                    km.fails.push(FailKind::RootUser);
                }
            }
        }
    }
}
