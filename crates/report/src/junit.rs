//! JUnit XML, for CI systems that show test reports.
//!
//! `<testsuites>` holds one `<testsuite>` per target — the OS packages, each language package
//! file (as the table groups them), `secrets`, `misconfigurations` — with one failing
//! `<testcase>` per package with findings (`name` = `package@version`, `classname` = the
//! target), per file with secrets, and per misconfiguration. Passing test cases are not
//! listed, so `tests` equals `failures`. A clean scan gives an empty `<testsuites>`.

use crate::Report;
use crate::common::{clean_text, created_time, image_name, layer_text, target_name, utc_seconds};
use drydock_matcher::Finding;
use drydock_secrets::SecretFinding;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Escape text for XML content and attribute values (and drop characters XML 1.0 cannot
/// carry).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in clean_text(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

struct Case {
    classname: String,
    name: String,
    message: String,
    kind: &'static str,
    body: String,
}

struct Suite {
    name: String,
    cases: Vec<Case>,
}

/// The findings of one package (keyed by name, version and path).
type PackageCase<'a> = (String, Vec<&'a Finding>);

fn vuln_cases(r: &Report) -> Vec<Suite> {
    // OS packages first, then language files in path order, as the table
    let mut suites: BTreeMap<(bool, String), Vec<PackageCase>> = BTreeMap::new();
    for f in &r.findings {
        let p = &f.package;
        let target = target_name(r, p.kind, &p.path);
        let key = (!p.kind.is_os(), target);
        let cases = suites.entry(key).or_default();
        let case = format!("{}\u{0}{}\u{0}{}", p.name, p.version, p.path);
        match cases.iter_mut().find(|(k, _)| *k == case) {
            Some((_, fs)) => fs.push(f),
            None => cases.push((case, vec![f])),
        }
    }
    suites
        .into_iter()
        .map(|((_, target), cases)| Suite {
            cases: cases
                .into_iter()
                .map(|(_, fs)| {
                    let p = &fs[0].package;
                    let ids: Vec<&str> = fs.iter().map(|f| f.id.as_str()).collect();
                    let mut body = String::new();
                    for f in &fs {
                        let _ = write!(body, "{} [{}]", f.id, f.severity.as_str());
                        match &f.fixed_version {
                            Some(v) => {
                                let _ = write!(body, " fixed in {v}");
                            }
                            None => {
                                let _ = write!(body, " {}", f.status.as_str());
                            }
                        }
                        if f.kev.is_some() {
                            body.push_str(" (known exploited)");
                        }
                        if let Some(t) = &f.title {
                            let _ = write!(body, ": {t}");
                        }
                        body.push('\n');
                    }
                    let _ = write!(
                        body,
                        "path: {}\n{}\n",
                        p.path,
                        layer_text(p.layer_index, &p.layer_diff_id)
                    );
                    Case {
                        classname: target.clone(),
                        name: format!("{}@{}", p.name, p.version),
                        message: format!(
                            "{} {}: {}",
                            fs.len(),
                            if fs.len() == 1 {
                                "vulnerability"
                            } else {
                                "vulnerabilities"
                            },
                            ids.join(", ")
                        ),
                        kind: "vulnerability",
                        body,
                    }
                })
                .collect(),
            name: target,
        })
        .collect()
}

fn secret_suite(r: &Report) -> Option<Suite> {
    if r.secrets.is_empty() {
        return None;
    }
    let mut files: Vec<(&str, Vec<&SecretFinding>)> = Vec::new();
    for s in &r.secrets {
        match files.iter_mut().find(|(p, _)| *p == s.path) {
            Some((_, v)) => v.push(s),
            None => files.push((&s.path, vec![s])),
        }
    }
    let cases = files
        .into_iter()
        .map(|(path, ss)| {
            let mut body = String::new();
            for s in &ss {
                let _ = write!(
                    body,
                    "{} [{}] {}",
                    s.found.rule_id,
                    s.found.severity.as_str(),
                    s.found.title
                );
                if s.found.line > 0 && !s.path.starts_with("config:") {
                    let _ = write!(body, " at line {}", s.found.line);
                }
                match s.layer_index {
                    Some(l) => {
                        let _ = write!(
                            body,
                            ", {}",
                            layer_text(l, s.layer_diff_id.as_deref().unwrap_or(""))
                        );
                    }
                    None => body.push_str(", image config"),
                }
                if s.deleted_in_later_layer {
                    body.push_str(" (deleted in a later layer)");
                }
                if !s.found.redacted.is_empty() {
                    let _ = write!(body, ": {}", s.found.redacted);
                }
                body.push('\n');
            }
            let rules: Vec<&str> = ss.iter().map(|s| s.found.rule_id.as_str()).collect();
            Case {
                classname: "secrets".into(),
                name: path.to_string(),
                message: format!(
                    "{} {}: {}",
                    ss.len(),
                    if ss.len() == 1 { "secret" } else { "secrets" },
                    rules.join(", ")
                ),
                kind: "secret",
                body,
            }
        })
        .collect();
    Some(Suite {
        name: "secrets".into(),
        cases,
    })
}

fn misconfig_suite(r: &Report) -> Option<Suite> {
    if r.misconfigurations.is_empty() {
        return None;
    }
    let cases = r
        .misconfigurations
        .iter()
        .map(|m| {
            let mut where_ = m.file.clone();
            if let Some(l) = m.line {
                let _ = write!(where_, ":{l}");
            }
            let mut body = format!("{} [{}] {}\n", m.rule_id, m.severity.as_str(), m.title);
            if let Some(res) = &m.resource {
                let _ = writeln!(body, "resource: {res}");
            }
            let _ = writeln!(body, "where: {where_}");
            let _ = writeln!(body, "{}", m.message);
            let _ = writeln!(body, "remediation: {}", m.remediation);
            Case {
                classname: format!("misconfigurations.{}", m.file),
                name: format!("{}: {}", m.rule_id, m.title),
                message: format!("{} [{}]: {}", m.rule_id, m.severity.as_str(), m.message),
                kind: "misconfiguration",
                body,
            }
        })
        .collect();
    Some(Suite {
        name: "misconfigurations".into(),
        cases,
    })
}

/// Render the JUnit XML document.
pub fn render(r: &Report) -> String {
    let mut suites = vuln_cases(r);
    suites.extend(secret_suite(r));
    suites.extend(misconfig_suite(r));
    let total: usize = suites.iter().map(|s| s.cases.len()).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{total}\" failures=\"{total}\" errors=\"0\">",
        escape(&format!("drydock {}", image_name(r)))
    );
    for s in &suites {
        let n = s.cases.len();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{n}\" failures=\"{n}\" errors=\"0\" skipped=\"0\" timestamp=\"{}\">",
            escape(&s.name),
            utc_seconds(created_time(r)).trim_end_matches('Z')
        );
        for c in &s.cases {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\">",
                escape(&c.classname),
                escape(&c.name)
            );
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                escape(&c.message),
                c.kind,
                escape(&c.body)
            );
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape("a<b>&\"c\"'d'\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;"
        );
    }
}
