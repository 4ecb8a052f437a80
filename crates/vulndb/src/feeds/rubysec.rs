//! RubySec `ruby-advisory-db` (`rubysec/ruby-advisory-db.tar.gz`, a snapshot of the
//! repository): `gems/<gem>/<id>.yml` for RubyGems and `rubies/<engine>/<id>.yml` for Ruby
//! interpreters.
//!
//! One YAML document per advisory: `gem` (or `engine`), `cve` (`2020-8164`, no prefix),
//! `ghsa` (no prefix), `osvdb` (a number), `url`, `title`, `date`, `description`,
//! `cvss_v2`/`cvss_v3`/`cvss_v4` (base scores, no vectors), `patched_versions` and
//! `unaffected_versions` (lists of RubyGems requirement strings), `related.url`.
//!
//! Each advisory gives one row: namespace `rubygems` and the gem name, or, for `rubies/**`,
//! namespace `ruby` and the engine name (`ruby`, `jruby`, `mruby`, `mrubyc`, `rbx`; same
//! format, same requirement syntax). Id: `CVE-<cve>`, else `GHSA-<ghsa>`, else the file id;
//! the other ids (CVE, GHSA, `OSVDB-<n>`, the file id) are aliases. Every patched and
//! unaffected requirement string is one AND-group of `unaffected_constraints` (patched ones
//! first); an advisory listing neither affects every version (`affected_constraints = [[]]`).

use serde::Deserialize;

use super::constraints::{first_patched, ruby_requirement};
use super::native::{Converted, Row, cve_id, ghsa_id, score_rating, short, stem};
use super::{Scalar, null_default};
use crate::model::Constraint;

pub(crate) const SOURCE: &str = "rubysec";

#[derive(Debug, Deserialize)]
struct Advisory {
    #[serde(default)]
    gem: Option<Scalar>,
    #[serde(default)]
    engine: Option<Scalar>,
    #[serde(default)]
    cve: Option<Scalar>,
    #[serde(default)]
    ghsa: Option<Scalar>,
    #[serde(default)]
    osvdb: Option<Scalar>,
    #[serde(default)]
    url: Option<Scalar>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    date: Option<Scalar>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    cvss_v2: Option<Scalar>,
    #[serde(default)]
    cvss_v3: Option<Scalar>,
    #[serde(default)]
    cvss_v4: Option<Scalar>,
    #[serde(default, deserialize_with = "null_default")]
    patched_versions: Vec<Scalar>,
    #[serde(default, deserialize_with = "null_default")]
    unaffected_versions: Vec<Scalar>,
    #[serde(default)]
    related: Option<Related>,
}

#[derive(Debug, Default, Deserialize)]
struct Related {
    #[serde(default, deserialize_with = "null_default")]
    url: Vec<Scalar>,
}

/// `gems/<gem>/<id>.yml` or `rubies/<engine>/<id>.yml`.
pub(crate) fn wanted(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    parts.len() == 3
        && matches!(parts[0], "gems" | "rubies")
        && !parts[1].is_empty()
        && (parts[2].ends_with(".yml") || parts[2].ends_with(".yaml"))
        && parts[2].len() > 4
}

/// The rating RubySec gives: the CVSS v3 score, else v4, else v2 (scores only, no vectors).
fn rating(a: &Advisory) -> Option<crate::model::SeverityRating> {
    let num = |s: &Option<Scalar>| s.as_ref().and_then(|s| s.0.trim().parse::<f64>().ok());
    num(&a.cvss_v3)
        .and_then(|s| score_rating(SOURCE, s, false))
        .or_else(|| num(&a.cvss_v4).and_then(|s| score_rating(SOURCE, s, false)))
        .or_else(|| num(&a.cvss_v2).and_then(|s| score_rating(SOURCE, s, true)))
}

/// Convert one advisory file (its path in the repository and its bytes).
pub(crate) fn convert(path: &str, bytes: &[u8]) -> std::result::Result<Converted, String> {
    let a: Advisory = yaml_serde::from_slice(bytes)
        .map_err(|e| format!("not a RubySec advisory ({})", short(e)))?;
    let mut parts = path.split('/');
    let (top, folder) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let file_id = stem(path).to_string();
    let (namespace, name) = if top == "rubies" {
        (
            "ruby",
            a.engine.as_ref().map(|s| s.0.trim()).unwrap_or(folder),
        )
    } else {
        (
            "rubygems",
            a.gem.as_ref().map(|s| s.0.trim()).unwrap_or(folder),
        )
    };
    if name.is_empty() {
        return Err("no gem name".into());
    }

    let cve = a.cve.as_ref().and_then(|c| cve_id(&c.0));
    let ghsa = a.ghsa.as_ref().and_then(|g| ghsa_id(&g.0));
    let osvdb = a
        .osvdb
        .as_ref()
        .map(|o| o.0.trim())
        .filter(|o| !o.is_empty() && o.bytes().all(|b| b.is_ascii_digit()))
        .map(|o| format!("OSVDB-{o}"));
    let id = cve
        .clone()
        .or_else(|| ghsa.clone())
        .unwrap_or_else(|| file_id.clone());
    let mut aliases = Vec::new();
    for other in [cve, ghsa, osvdb, Some(file_id.clone())]
        .into_iter()
        .flatten()
    {
        if other != id && !aliases.iter().any(|(_, a)| *a == other) {
            aliases.push((id.clone(), other));
        }
    }

    let groups = |list: &[Scalar]| -> std::result::Result<Vec<Vec<Constraint>>, String> {
        list.iter()
            .map(|r| ruby_requirement(&r.0).map_err(|e| format!("{id}: {e}")))
            .collect()
    };
    let patched = groups(&a.patched_versions)?;
    let unaffected = groups(&a.unaffected_versions)?;
    let fixed = first_patched(&patched);
    let affected = if patched.is_empty() && unaffected.is_empty() {
        vec![Vec::new()] // every version, no fix
    } else {
        Vec::new()
    };
    let mut all_unaffected = patched;
    all_unaffected.extend(unaffected);

    let rating = rating(&a);
    let row = Row {
        namespace,
        package: name,
        source: SOURCE,
        advisory_ids: vec![file_id],
        severity: rating.as_ref().map(|r| r.severity),
        affected,
        unaffected: all_unaffected,
        fixed,
    };
    let mut references: Vec<String> = a.url.iter().map(|u| u.0.trim().to_string()).collect();
    for u in a.related.iter().flat_map(|r| &r.url) {
        let u = u.0.trim().to_string();
        if !references.contains(&u) {
            references.push(u);
        }
    }
    let date = a.date.as_ref().map(|d| d.0.trim().to_string());
    Ok(Converted {
        rows: vec![row.record(&id)],
        ids: vec![id],
        aliases,
        summary: a.title.map(|t| t.trim().to_string()),
        details: a.description,
        published: date.clone(),
        modified: None,
        references,
        ratings: rating.into_iter().collect(),
        date,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConstraintOp::*, FixStatus};

    fn g(items: &[(crate::model::ConstraintOp, &str)]) -> Vec<Constraint> {
        items.iter().map(|(o, v)| Constraint::new(*o, *v)).collect()
    }

    #[test]
    fn paths() {
        assert!(wanted("gems/rack/CVE-2020-8161.yml"));
        assert!(wanted("rubies/jruby/OSVDB-94644.yml"));
        assert!(!wanted("gems/rack"));
        assert!(!wanted("lib/x/y.rb"));
        assert!(!wanted("gems/rack/sub/CVE-1.yml"));
        assert!(!wanted("gems/rack/.yml"));
    }

    /// Hand-written, in the published format.
    #[test]
    fn hand_written_advisory() {
        let y = br#"---
gem: examplegem
cve: 2099-0001
ghsa: abcd-efgh-ijkl
osvdb: 12345
url: https://example.invalid/advisory
title: Example
date: 2099-01-02
description: |
  Text.
cvss_v2: 5.0
cvss_v3: 9.8
unaffected_versions:
  - "< 1.0"
patched_versions:
  - "~> 1.2.3"
  - ">= 2.0.1"
related:
  url:
    - https://example.invalid/related
"#;
        let c = convert("gems/examplegem/CVE-2099-0001.yml", y).unwrap();
        assert_eq!(c.ids, ["CVE-2099-0001"]);
        assert_eq!(
            c.aliases,
            [
                (
                    "CVE-2099-0001".to_string(),
                    "GHSA-abcd-efgh-ijkl".to_string()
                ),
                ("CVE-2099-0001".to_string(), "OSVDB-12345".to_string())
            ]
        );
        let r = &c.rows[0];
        assert_eq!(r.namespace, "rubygems");
        assert_eq!(r.package, "examplegem");
        assert_eq!(r.status, FixStatus::Fixed);
        assert_eq!(r.fixed_version.as_deref(), Some("1.2.3"));
        assert!(r.affected_constraints.is_empty());
        assert_eq!(
            r.unaffected_constraints,
            vec![
                g(&[(Ge, "1.2.3"), (Lt, "1.3")]),
                g(&[(Ge, "2.0.1")]),
                g(&[(Lt, "1.0")])
            ]
        );
        assert_eq!(r.severity, Some(crate::model::Severity::Critical));
        assert_eq!(r.advisory_ids, ["CVE-2099-0001"]);
        assert_eq!(c.published.as_deref(), Some("2099-01-02"));
        assert_eq!(
            c.references,
            [
                "https://example.invalid/advisory",
                "https://example.invalid/related"
            ]
        );

        // No CVE: the GHSA id; no GHSA either: the file id. No versions: every version.
        let c = convert(
            "gems/other/OSVDB-1.yml",
            b"gem: other\nosvdb: 1\ntitle: t\ndate: 2000-01-01\ndescription: d\n",
        )
        .unwrap();
        assert_eq!(c.ids, ["OSVDB-1"]);
        assert!(c.aliases.is_empty());
        let r = &c.rows[0];
        assert_eq!(r.affected_constraints, vec![Vec::<Constraint>::new()]);
        assert_eq!(r.status, FixStatus::NotFixed);
        assert_eq!(r.fixed_version, None);

        // An interpreter advisory.
        let c = convert(
            "rubies/jruby/CVE-2099-2.yml",
            b"engine: jruby\ncve: 2099-0002\npatched_versions: ['>= 9.1.17.0']\n",
        )
        .unwrap();
        assert_eq!(
            (c.rows[0].namespace.as_str(), c.rows[0].package.as_str()),
            ("ruby", "jruby")
        );
    }

    #[test]
    fn bad_advisories_are_errors() {
        for (bytes, words) in [
            (&b"gem: [unclosed"[..], "not a RubySec advisory"),
            (b"- just\n- a list\n", "not a RubySec advisory"),
            (
                b"gem: x\ncve: 2099-0003\npatched_versions: ['>= one']\n",
                "CVE-2099-0003: not a gem version",
            ),
            (
                b"gem: x\npatched_versions: '>= 1'\n",
                "not a RubySec advisory",
            ),
        ] {
            let e = convert("gems/x/CVE-2099-3.yml", bytes).unwrap_err();
            assert!(e.contains(words), "{e}");
        }
    }
}
