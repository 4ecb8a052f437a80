//! Alpine secdb (`alpine-secdb/<branch>/<repo>.json` and the legacy
//! `alpine-secdb-legacy/<branch>/<repo>.yaml`, same schema).
//!
//! `packages[].pkg.secfixes` maps a fixed version to the ids it fixes; version `"0"` means the
//! package was never affected. Entries may hold several ids or free text
//! (`"CVE-2017-12122 TALOS-2017-0488"`, `"CVE-2018-14461 (LDP)"`): CVE ids become rows, the
//! other ids of the same entry become their aliases; an entry without a CVE gives a row per id.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{AlpineFile, Scalar, natural_cmp, null_default, read_file};
use crate::build::Ctx;
use crate::error::{Error, Result};
use crate::model::{AffectedRecord, FixStatus, Range};

const SOURCE: &str = "alpine-secdb";

#[derive(Debug, Deserialize)]
struct PkgEntry {
    pkg: Pkg,
}

#[derive(Debug, Deserialize)]
struct Pkg {
    name: Scalar,
    #[serde(default, deserialize_with = "null_default")]
    secfixes: BTreeMap<Scalar, Option<Entries>>,
}

/// The ids under one fixed version: a list, or (seen in real files) an empty string / a single
/// string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Entries {
    List(Vec<Option<Scalar>>),
    One(Scalar),
}

impl Entries {
    fn into_vec(self) -> Vec<Scalar> {
        match self {
            Entries::List(v) => v.into_iter().flatten().collect(),
            Entries::One(s) if s.0.trim().is_empty() => Vec::new(),
            Entries::One(s) => vec![s],
        }
    }
}

/// Everything one branch says about one (package, vulnerability).
#[derive(Debug, Default)]
struct Agg {
    fixed: BTreeSet<String>,
    not_affected: bool,
    aliases: BTreeSet<String>,
}

/// The ids in one secfix entry, in order: `"CVE 2018-16859"` and `"CVE_2019-2426"` are
/// repaired to `CVE-…`; words without an `XXX-<…digit…>` shape are dropped.
pub(crate) fn ids_in(entry: &str) -> Vec<String> {
    let toks: Vec<&str> = entry.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].trim_matches(|c: char| matches!(c, ',' | ';' | '(' | ')' | '[' | ']'));
        if t.eq_ignore_ascii_case("cve")
            && i + 1 < toks.len()
            && is_id(&format!("CVE-{}", toks[i + 1]))
        {
            out.push(format!("CVE-{}", toks[i + 1]));
            i += 2;
            continue;
        }
        let fixed;
        let t = match t.get(..4) {
            Some(p) if p.eq_ignore_ascii_case("cve_") || p.eq_ignore_ascii_case("cve-") => {
                fixed = format!("CVE-{}", &t[4..]);
                fixed.as_str()
            }
            _ => t,
        };
        if is_id(t) && !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
        i += 1;
    }
    out
}

fn is_id(t: &str) -> bool {
    let Some((prefix, rest)) = t.split_once('-') else {
        return false;
    };
    prefix
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && prefix.chars().all(|c| c.is_ascii_alphanumeric())
        && rest.bytes().any(|b| b.is_ascii_digit())
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'))
}

/// `(distroversion, packages)` of one file; each package is parsed on its own so one bad entry
/// is a warning, not a failed build.
type Parsed = (Option<String>, Vec<std::result::Result<PkgEntry, String>>);

fn parse_json(bytes: &[u8], file: &AlpineFile) -> Result<Parsed> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| super::json_error(&file.path, e))?;
    let obj = v.as_object().ok_or_else(|| {
        Error::feed(
            &file.path,
            "not a secdb document (top level is not an object)",
        )
    })?;
    let dv = obj
        .get("distroversion")
        .and_then(|d| d.as_str())
        .map(str::to_string);
    let pkgs = match obj.get("packages") {
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .map(|p| PkgEntry::deserialize(p).map_err(|e| e.to_string()))
            .collect(),
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::String(s)) if s.is_empty() => Vec::new(),
        Some(_) => return Err(Error::feed(&file.path, "`packages` is not a list")),
    };
    Ok((dv, pkgs))
}

fn parse_yaml(bytes: &[u8], file: &AlpineFile) -> Result<Parsed> {
    let v: yaml_serde::Value = yaml_serde::from_slice(bytes)
        .map_err(|e| Error::feed(&file.path, format!("invalid YAML ({e})")))?;
    if !v.is_mapping() {
        return Err(Error::feed(
            &file.path,
            "not a secdb document (top level is not a mapping)",
        ));
    }
    let dv = v
        .get("distroversion")
        .and_then(|d| d.as_str())
        .map(str::to_string);
    let pkgs = match v.get("packages") {
        Some(yaml_serde::Value::Sequence(a)) => a
            .iter()
            .map(|p| PkgEntry::deserialize(p).map_err(|e| e.to_string()))
            .collect(),
        None | Some(yaml_serde::Value::Null) => Vec::new(),
        Some(yaml_serde::Value::String(s)) if s.is_empty() => Vec::new(),
        Some(_) => return Err(Error::feed(&file.path, "`packages` is not a list")),
    };
    Ok((dv, pkgs))
}

/// Load all Alpine secdb files as the single feed `alpine-secdb`.
pub(crate) fn load(ctx: &mut Ctx<'_>, files: &[AlpineFile]) -> Result<()> {
    let (mut feed, mark) = ctx.begin_feed(SOURCE);
    // namespace → (package, vuln id) → what the files say.
    let mut all: BTreeMap<String, BTreeMap<(String, String), Agg>> = BTreeMap::new();

    for file in files {
        feed.files.push(ctx.rel(&file.path));
        let bytes = read_file(&file.path)?;
        let (dv, pkgs) = if file.yaml {
            parse_yaml(&bytes, file)?
        } else {
            parse_json(&bytes, file)?
        };
        let ns = crate::namespace::distro_namespace("alpine", &file.branch, None)
            .or_else(|| {
                dv.as_deref()
                    .and_then(|d| crate::namespace::distro_namespace("alpine", d, None))
            })
            .ok_or_else(|| {
                Error::feed(
                    &file.path,
                    format!(
                        "cannot tell the Alpine branch from folder `{}`",
                        file.branch
                    ),
                )
            })?;
        let rel = ctx.rel(&file.path);
        let branch = all.entry(ns).or_default();
        for (i, p) in pkgs.into_iter().enumerate() {
            let p = match p {
                Ok(p) => p,
                Err(e) => {
                    ctx.warn(&mut feed, format!("{rel}: package #{i} skipped: {e}"));
                    continue;
                }
            };
            let name = p.pkg.name.0.trim().to_string();
            if name.is_empty() {
                ctx.warn(&mut feed, format!("{rel}: package #{i} has no name"));
                continue;
            }
            for (version, entries) in p.pkg.secfixes {
                let version = version.0.trim().to_string();
                for entry in entries.map(Entries::into_vec).unwrap_or_default() {
                    feed.records += 1;
                    let ids = ids_in(&entry.0);
                    if ids.is_empty() || version.is_empty() {
                        ctx.warn(
                            &mut feed,
                            format!("{rel}: {name} {version}: no usable id in {:?}", entry.0),
                        );
                        continue;
                    }
                    let cves: Vec<&String> = ids.iter().filter(|i| i.starts_with("CVE-")).collect();
                    let primary: Vec<&String> = if cves.is_empty() {
                        ids.iter().collect()
                    } else {
                        cves
                    };
                    for id in &primary {
                        let agg = branch.entry((name.clone(), (*id).clone())).or_default();
                        if version == "0" {
                            agg.not_affected = true;
                        } else {
                            agg.fixed.insert(version.clone());
                        }
                        for other in &ids {
                            if !primary.contains(&other) {
                                agg.aliases.insert(other.clone());
                            }
                        }
                    }
                }
            }
        }
    }

    for (ns, rows) in all {
        for ((package, vuln_id), agg) in rows {
            // Several fixed versions for one id (fixes on older upstream lines kept in the
            // history): keep the highest, which no installed version below it can escape.
            let fixed = agg.fixed.iter().max_by(|a, b| natural_cmp(a, b)).cloned();
            let (status, ranges) = match &fixed {
                Some(v) => (
                    FixStatus::Fixed,
                    vec![Range {
                        introduced: Some("0".into()),
                        fixed: Some(v.clone()),
                        ..Range::default()
                    }],
                ),
                None => (FixStatus::NotAffected, Vec::new()),
            };
            debug_assert!(fixed.is_some() || agg.not_affected);
            ctx.sink.affected(&AffectedRecord {
                vuln_id: vuln_id.clone(),
                namespace: ns.clone(),
                package,
                status,
                fixed_version: fixed,
                ranges,
                versions: Vec::new(),
                source: SOURCE.to_string(),
                advisory_ids: Vec::new(),
                severity: None,
                affected_constraints: Vec::new(),
                unaffected_constraints: Vec::new(),
            })?;
            ctx.sink.ensure_vuln(&vuln_id)?;
            for a in &agg.aliases {
                ctx.sink.alias(&vuln_id, a)?;
            }
        }
    }
    ctx.end_feed(feed, mark);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::ids_in;

    #[test]
    fn secfix_ids() {
        assert_eq!(ids_in("CVE-2021-30139"), ["CVE-2021-30139"]);
        assert_eq!(
            ids_in("CVE-2017-12122 TALOS-2017-0488"),
            ["CVE-2017-12122", "TALOS-2017-0488"]
        );
        assert_eq!(
            ids_in("CVE-2018-12892  XSA-266"),
            ["CVE-2018-12892", "XSA-266"]
        );
        assert_eq!(ids_in("CVE 2018-16859"), ["CVE-2018-16859"]);
        assert_eq!(ids_in("CVE_2019-2426"), ["CVE-2019-2426"]);
        assert_eq!(ids_in("CVE-????-?????  XSA-295"), ["XSA-295"]);
        assert_eq!(
            ids_in("CVE-2018-10103 (SMB - partially fixed, but SMB printing disabled)"),
            ["CVE-2018-10103"]
        );
        assert_eq!(
            ids_in("CVE-2017-5753 CVE-2017-5715 CVE-2017-5754 XSA-254 XPTI"),
            ["CVE-2017-5753", "CVE-2017-5715", "CVE-2017-5754", "XSA-254"]
        );
        assert_eq!(ids_in("ALPINE-13661"), ["ALPINE-13661"]);
        assert_eq!(ids_in("wnpa-sec-2017-18"), ["wnpa-sec-2017-18"]);
        assert_eq!(ids_in("GHSA-xxxx-1234-abcd"), ["GHSA-xxxx-1234-abcd"]);
        assert!(ids_in("(802.11)").is_empty());
    }
}
