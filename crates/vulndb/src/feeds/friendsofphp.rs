//! FriendsOfPHP `security-advisories` (`friendsofphp/security-advisories.tar.gz`, a snapshot
//! of the repository): `<vendor>/<package>/<id>.yaml`, one advisory per file.
//!
//! Fields: `title`, `link`, `cve` (`CVE-…` or null), `branches` (`<name>: {time, versions:
//! [">=2.3.0", "<2.3.19"]}`), `reference` (`composer://vendor/package`), optionally
//! `composer-repository`.
//!
//! Each advisory gives one row: namespace `packagist`, package = `vendor/package` from
//! `reference` (lowercased; the file's folders when `reference` is missing). Each branch's
//! `versions` list is one AND-group of `affected_constraints`, in file order. Id: the `cve`,
//! else the file name when it is a `CVE-`/`GHSA-` id, else a GHSA id in `link`, else the file
//! name when it looks like an id (`SS-2018-001`, `ZF2018-01`), else
//! `FRIENDSOFPHP-<vendor>/<package>/<file name>` (date-named files). Fixed version: the lowest
//! strict `<` bound over the branches that is not another branch's `>=` start (`<=` bounds
//! name the last affected version: no fix); see
//! [`first_upper_fix`](super::constraints::first_upper_fix).

use serde::Deserialize;

use super::constraints::{composer_group, first_upper_fix};
use super::native::{Converted, Row, cve_id, ghsa_id, ghsa_in, short, stem};
use super::{Scalar, null_default};
use crate::model::Constraint;

pub(crate) const SOURCE: &str = "friendsofphp";

#[derive(Debug, Deserialize)]
struct Advisory {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    cve: Option<Scalar>,
    /// Kept as YAML so the branch order of the file is kept.
    #[serde(default)]
    branches: Option<yaml_serde::Value>,
    #[serde(default)]
    reference: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Branch {
    #[serde(default)]
    time: Option<Scalar>,
    #[serde(default, deserialize_with = "null_default")]
    versions: Vec<Scalar>,
}

/// `<vendor>/<package>/<id>.yaml` (no hidden folders such as `.github/`).
pub(crate) fn wanted(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    parts.len() == 3
        && parts.iter().all(|p| !p.is_empty() && !p.starts_with('.'))
        && (parts[2].ends_with(".yaml") || parts[2].ends_with(".yml"))
}

/// A file name that is an advisory id of its own: starts with a letter, has a digit.
fn id_like(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Convert one advisory file (its path in the repository and its bytes).
pub(crate) fn convert(path: &str, bytes: &[u8]) -> std::result::Result<Converted, String> {
    let a: Advisory = yaml_serde::from_slice(bytes)
        .map_err(|e| format!("not a FriendsOfPHP advisory ({})", short(e)))?;
    let mut parts = path.split('/');
    let (vendor, pkg) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let file = stem(path);
    let package = match a
        .reference
        .as_deref()
        .map(str::trim)
        .and_then(|r| r.strip_prefix("composer://"))
        .filter(|p| p.split('/').count() == 2 && !p.contains(char::is_whitespace))
    {
        Some(p) => p.to_ascii_lowercase(),
        None => format!("{vendor}/{pkg}").to_ascii_lowercase(),
    };

    // Branches, in file order.
    let mapping = match &a.branches {
        Some(yaml_serde::Value::Mapping(m)) if !m.is_empty() => m,
        _ => return Err("no branches".into()),
    };
    let mut groups: Vec<Vec<Constraint>> = Vec::new();
    let mut newest: Option<String> = None;
    for (name, b) in mapping {
        let name = name
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("{name:?}"));
        let b = Branch::deserialize(b).map_err(|e| format!("branch {name}: {}", short(e)))?;
        let items: Vec<String> = b.versions.into_iter().map(|v| v.0).collect();
        groups.push(composer_group(&items).map_err(|e| format!("branch {name}: {e}"))?);
        crate::build::newer_date(&mut newest, b.time.as_ref().map(|t| t.0.as_str()));
    }

    let cve = a.cve.as_ref().and_then(|c| cve_id(&c.0));
    let file_id = if file.starts_with("CVE-") {
        cve_id(file)
    } else {
        ghsa_id(file).filter(|_| file.starts_with("GHSA-"))
    };
    let link_ghsa = a.link.as_deref().and_then(ghsa_in);
    let own_id = if id_like(file) {
        file.to_string()
    } else {
        format!("FRIENDSOFPHP-{vendor}/{pkg}/{file}")
    };
    let id = cve
        .clone()
        .or_else(|| file_id.clone())
        .or_else(|| link_ghsa.clone())
        .unwrap_or_else(|| own_id.clone());
    let mut aliases = Vec::new();
    let real_own = id_like(file).then(|| own_id.clone());
    for other in [cve, file_id, link_ghsa, real_own].into_iter().flatten() {
        if other != id && !aliases.iter().any(|(_, a)| *a == other) {
            aliases.push((id.clone(), other));
        }
    }

    let row = Row {
        namespace: "packagist",
        package: &package,
        source: SOURCE,
        advisory_ids: vec![own_id],
        severity: None,
        fixed: first_upper_fix(&groups),
        affected: groups,
        unaffected: Vec::new(),
    };
    Ok(Converted {
        rows: vec![row.record(&id)],
        ids: vec![id],
        aliases,
        summary: a.title.map(|t| t.trim().to_string()),
        details: None,
        published: None,
        modified: None,
        references: a.link.map(|l| l.trim().to_string()).into_iter().collect(),
        ratings: Vec::new(),
        date: newest,
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
        assert!(wanted("symfony/http-kernel/CVE-2014-5245.yaml"));
        assert!(!wanted(".github/workflows/ci.yml"));
        assert!(!wanted("README.md"));
        assert!(!wanted("symfony/http-kernel/x/CVE-1.yaml"));
        assert!(id_like("SS-2018-001"));
        assert!(id_like("ZF2018-01"));
        assert!(!id_like("2017-05-15"));
        assert!(!id_like("201710-01"));
    }

    /// Hand-written, in the published format.
    #[test]
    fn hand_written_advisories() {
        let y = br#"title:     Example
link:      https://example.invalid/a
cve:       ~
branches:
    2.x:
        time:     2099-01-02 10:00:00
        versions: ['>=2.0.0', '<2.0.5']
    1.x:
        time:     ~
        versions: ['<=1.9.9']
reference: composer://Vendor/Pkg
"#;
        let c = convert("vendor/pkg/2099-01-02.yaml", y).unwrap();
        assert_eq!(c.ids, ["FRIENDSOFPHP-vendor/pkg/2099-01-02"]);
        assert!(c.aliases.is_empty());
        let r = &c.rows[0];
        assert_eq!(r.package, "vendor/pkg");
        assert_eq!(r.namespace, "packagist");
        assert_eq!(
            r.affected_constraints,
            vec![g(&[(Ge, "2.0.0"), (Lt, "2.0.5")]), g(&[(Le, "1.9.9")])]
        );
        assert_eq!(r.fixed_version.as_deref(), Some("2.0.5"));
        assert_eq!(r.status, FixStatus::Fixed);
        assert_eq!(c.date.as_deref(), Some("2099-01-02"));

        // GHSA in the link becomes the id when there is no CVE; the SS- file name an alias.
        let y = br#"title: t
link: https://github.com/o/r/security/advisories/GHSA-aaaa-bbbb-cccc
branches:
    1.x:
        time: 2099-01-01 00:00:00
        versions: ['<=1.0.0']
reference: composer://o/r
"#;
        let c = convert("o/r/SS-2099-001.yaml", y).unwrap();
        assert_eq!(c.ids, ["GHSA-aaaa-bbbb-cccc"]);
        assert_eq!(
            c.aliases,
            [("GHSA-aaaa-bbbb-cccc".to_string(), "SS-2099-001".to_string())]
        );
        assert_eq!(c.rows[0].status, FixStatus::NotFixed);
        assert_eq!(c.rows[0].advisory_ids, ["SS-2099-001"]);
    }

    #[test]
    fn bad_advisories_are_errors() {
        for (bytes, words) in [
            (&b"title: [x"[..], "not a FriendsOfPHP advisory"),
            (b"title: t\nreference: composer://a/b\n", "no branches"),
            (
                b"title: t\nbranches: {1.x: {versions: ['1.0']}}\n",
                "branch 1.x: no comparison operator",
            ),
            (b"title: t\nbranches: {1.x: {versions: 3}}\n", "branch 1.x"),
            (
                b"title: t\nbranches: {1.x: {versions: []}}\n",
                "branch 1.x: no constraint",
            ),
        ] {
            let e = convert("a/b/c.yaml", bytes).unwrap_err();
            assert!(e.contains(words), "{e}");
        }
    }
}
