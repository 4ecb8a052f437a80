//! OpenVEX 0.2.0 documents (`--vex file.json`): reading them leniently (a statement that
//! cannot be used is reported and skipped, the others still apply) and deciding which
//! statement speaks for a finding.
//!
//! A statement applies to a finding when its `vulnerability.name` or one of its `aliases` is
//! the finding's id or one of the finding's aliases, and one of its `products` is
//!
//! * a package purl (`@id` or `identifiers.purl`) matching the finding's package purl: same
//!   type, namespace and name; the same version when the statement gives one; the statement's
//!   qualifiers (if any) present with the same values — so a statement without qualifiers
//!   matches whatever the report's purl carries (`arch`, `distro`, ...); or
//! * the scanned image — a `pkg:oci/…` (or `pkg:docker/…`) purl or an image reference — with
//!   no `subcomponents` (the whole image), or with a subcomponent purl matching the package.
//!
//! Among the statements that apply to one finding the newest wins (statement `timestamp`, or
//! `last_updated`, else the document's; later documents and later statements win ties), as
//! OpenVEX reads a statement as superseding the earlier ones about the same product.

use crate::diag::Diagnostic;
use crate::error::{PolicyError, Result};
use drydock_lint::imageref::ImageRef;
use drydock_matcher::Finding;
use drydock_report::Artifact;
use packageurl::PackageUrl;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// VEX documents larger than this are refused.
pub const MAX_VEX_BYTES: u64 = 64 * 1024 * 1024;

/// A statement's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

impl VexStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VexStatus::NotAffected => "not_affected",
            VexStatus::Affected => "affected",
            VexStatus::Fixed => "fixed",
            VexStatus::UnderInvestigation => "under_investigation",
        }
    }

    fn parse(s: &str) -> Option<VexStatus> {
        Some(match s {
            "not_affected" => VexStatus::NotAffected,
            "affected" => VexStatus::Affected,
            "fixed" => VexStatus::Fixed,
            "under_investigation" => VexStatus::UnderInvestigation,
            _ => return None,
        })
    }

    /// `not_affected` and `fixed` remove the finding; the others annotate it.
    pub fn suppresses(self) -> bool {
        matches!(self, VexStatus::NotAffected | VexStatus::Fixed)
    }
}

/// A product (or subcomponent) of a statement: its `@id` and `identifiers.purl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subcomponents: Vec<Product>,
}

/// One usable statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VexStatement {
    /// Index in the document's `statements`.
    pub index: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `vulnerability.name`.
    pub vulnerability: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    pub products: Vec<Product>,
    pub status: VexStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact_statement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_statement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_notes: Option<String>,
    /// The statement's time (its own, else the document's), as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
}

/// A loaded OpenVEX document.
#[derive(Debug, Clone, PartialEq)]
pub struct VexDoc {
    /// The file name diagnostics refer to.
    pub file: String,
    pub id: Option<String>,
    pub author: Option<String>,
    pub timestamp: Option<String>,
    pub statements: Vec<VexStatement>,
    /// Statements skipped and other problems found while reading.
    pub diagnostics: Vec<Diagnostic>,
}

fn str_field(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn component(v: &Value) -> Option<Product> {
    let p = Product {
        id: str_field(v, "@id"),
        purl: v.get("identifiers").and_then(|i| str_field(i, "purl")),
        subcomponents: v
            .get("subcomponents")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(component).collect())
            .unwrap_or_default(),
    };
    (p.id.is_some() || p.purl.is_some()).then_some(p)
}

impl VexDoc {
    pub fn load(path: &Path) -> Result<VexDoc> {
        let text = crate::read_limited(path, MAX_VEX_BYTES)?;
        VexDoc::parse(&text, &path.display().to_string())
    }

    /// Parse an OpenVEX JSON document; `file` names it in diagnostics and suppressions.
    pub fn parse(text: &str, file: &str) -> Result<VexDoc> {
        let bad = |message: String| PolicyError::Vex {
            file: file.to_string(),
            message,
        };
        let doc: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if !doc.is_object() {
            return Err(bad("not a JSON object".to_string()));
        }
        let Some(statements) = doc.get("statements").and_then(Value::as_array) else {
            return Err(bad(
                "no `statements` list: not an OpenVEX document".to_string()
            ));
        };
        let mut out = VexDoc {
            file: file.to_string(),
            id: str_field(&doc, "@id"),
            author: str_field(&doc, "author"),
            timestamp: str_field(&doc, "last_updated").or_else(|| str_field(&doc, "timestamp")),
            statements: Vec::new(),
            diagnostics: Vec::new(),
        };
        match str_field(&doc, "@context") {
            Some(c) if c.contains("openvex") => {}
            other => out.diagnostics.push(
                Diagnostic::warning(
                    "vex-context",
                    format!(
                        "`@context` is {}, not an OpenVEX context; reading the statements anyway",
                        other
                            .map(|c| format!("{c:?}"))
                            .unwrap_or_else(|| "missing".into())
                    ),
                )
                .at(file, None),
            ),
        }
        for (i, s) in statements.iter().enumerate() {
            let skip = |why: String| {
                Diagnostic::warning(
                    "vex-statement-skipped",
                    format!("statements[{i}]: {why}; skipped"),
                )
                .at(file, None)
            };
            let vuln = s.get("vulnerability");
            let Some(name) = vuln.and_then(|v| str_field(v, "name")) else {
                out.diagnostics
                    .push(skip("no `vulnerability.name`".to_string()));
                continue;
            };
            let Some(status_text) = str_field(s, "status") else {
                out.diagnostics.push(skip(format!("{name}: no `status`")));
                continue;
            };
            let Some(status) = VexStatus::parse(&status_text) else {
                out.diagnostics.push(skip(format!(
                    "{name}: unknown status {status_text:?} (expected not_affected, affected, fixed or under_investigation)"
                )));
                continue;
            };
            let st = VexStatement {
                index: i,
                id: str_field(s, "@id"),
                vulnerability: name.clone(),
                aliases: vuln
                    .and_then(|v| v.get("aliases"))
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
                products: s
                    .get("products")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(component).collect())
                    .unwrap_or_default(),
                status,
                justification: str_field(s, "justification"),
                impact_statement: str_field(s, "impact_statement"),
                action_statement: str_field(s, "action_statement"),
                status_notes: str_field(s, "status_notes"),
                timestamp: str_field(s, "last_updated")
                    .or_else(|| str_field(s, "timestamp"))
                    .or_else(|| out.timestamp.clone()),
            };
            if status == VexStatus::NotAffected
                && st.justification.is_none()
                && st.impact_statement.is_none()
            {
                out.diagnostics.push(skip(format!(
                    "{name}: `not_affected` needs a `justification` or an `impact_statement`"
                )));
                continue;
            }
            if st.products.is_empty() {
                out.diagnostics.push(skip(format!("{name}: no products")));
                continue;
            }
            if status == VexStatus::Affected && st.action_statement.is_none() {
                out.diagnostics.push(
                    Diagnostic::warning(
                        "vex-missing-action",
                        format!(
                            "statements[{i}]: {name}: `affected` should carry an `action_statement`"
                        ),
                    )
                    .at(file, None),
                );
            }
            out.statements.push(st);
        }
        Ok(out)
    }
}

/// What identifies the scanned image: digests and `registry/repository[:tag]` references.
#[derive(Debug, Clone, Default)]
pub(crate) struct ImageIdent {
    digests: Vec<String>,
    refs: Vec<ImageRef>,
}

impl ImageIdent {
    pub(crate) fn from_artifact(a: &Artifact) -> ImageIdent {
        let mut digests: Vec<String> = [&a.manifest_digest, &a.image_id]
            .into_iter()
            .flatten()
            .map(|d| d.to_ascii_lowercase())
            .collect();
        let mut refs: Vec<ImageRef> = a
            .repo_tags
            .iter()
            .filter_map(|t| ImageRef::parse(t))
            .collect();
        if a.format == "registry"
            && let Some(r) = ImageRef::parse(&a.source)
        {
            if let Some(d) = &r.digest {
                digests.push(d.to_ascii_lowercase());
            }
            refs.push(r);
        }
        ImageIdent { digests, refs }
    }

    /// The image's references (repo tags, and the registry reference that was scanned).
    pub(crate) fn references(&self) -> &[ImageRef] {
        &self.refs
    }

    fn digest_known(&self, d: &str) -> bool {
        let d = d.to_ascii_lowercase();
        self.digests.contains(&d)
    }

    /// A `pkg:oci/name@digest?repository_url=..&tag=..` purl.
    fn matches_oci(&self, p: &PackageUrl) -> bool {
        if let Some(v) = p.version() {
            return self.digest_known(v);
        }
        let repo_url = p
            .qualifiers()
            .get("repository_url")
            .and_then(|u| ImageRef::parse(u));
        let tag = p.qualifiers().get("tag");
        self.refs.iter().any(|r| {
            let last = r.repository.rsplit('/').next().unwrap_or(&r.repository);
            let name_ok = match (&repo_url, p.ty()) {
                (Some(u), _) => u.full_name() == r.full_name(),
                (None, "docker") => {
                    let full = match p.namespace() {
                        Some(ns) => format!("{ns}/{}", p.name()),
                        None => p.name().to_string(),
                    };
                    ImageRef::parse(&full).is_some_and(|x| x.full_name() == r.full_name())
                }
                (None, _) => last == p.name(),
            };
            name_ok && tag.is_none_or(|t| r.tag.as_deref() == Some(t.as_ref()))
        })
    }

    /// A plain image reference (`ghcr.io/acme/app:1.0`, `…@sha256:…`).
    fn matches_ref(&self, s: &str) -> bool {
        let Some(x) = ImageRef::parse(s) else {
            return false;
        };
        if let Some(d) = &x.digest {
            return self.digest_known(d);
        }
        self.refs
            .iter()
            .any(|r| r.full_name() == x.full_name() && (x.tag.is_none() || x.tag == r.tag))
    }
}

fn parse_purl(s: &str) -> Option<PackageUrl<'static>> {
    if !s.starts_with("pkg:") {
        return None;
    }
    PackageUrl::from_str(s).ok()
}

fn is_image_purl(p: &PackageUrl) -> bool {
    matches!(p.ty(), "oci" | "docker")
}

/// Does the statement's purl `want` describe the package purl `have`?
pub(crate) fn purl_matches(want: &str, have: &str) -> bool {
    match (parse_purl(want), parse_purl(have)) {
        (Some(w), Some(h)) => {
            w.ty() == h.ty()
                && w.namespace() == h.namespace()
                && w.name() == h.name()
                && w.version().is_none_or(|v| h.version() == Some(v))
                && w.subpath().is_none_or(|s| h.subpath() == Some(s))
                && w.qualifiers()
                    .iter()
                    .all(|(k, v)| h.qualifiers().get(k) == Some(v))
        }
        // unparseable: compare the text without qualifiers and subpath
        _ => {
            let base = |s: &str| s.split(['?', '#']).next().unwrap_or("").to_string();
            !want.is_empty() && base(want) == base(have)
        }
    }
}

fn ids_of(p: &Product) -> impl Iterator<Item = &String> {
    p.id.iter().chain(p.purl.iter())
}

/// Is this (sub)component the finding's package?
fn names_package(p: &Product, f: &Finding) -> bool {
    ids_of(p).any(|id| {
        id.starts_with("pkg:")
            && parse_purl(id).is_none_or(|u| !is_image_purl(&u))
            && purl_matches(id, &f.package.purl)
    })
}

/// Is this product the scanned image?
fn names_image(p: &Product, img: &ImageIdent) -> bool {
    ids_of(p).any(|id| match parse_purl(id) {
        Some(u) if is_image_purl(&u) => img.matches_oci(&u),
        Some(_) => false,
        None => !id.starts_with("pkg:") && img.matches_ref(id),
    })
}

impl VexStatement {
    /// The statement names this vulnerability (by id or alias, either side; ids compare
    /// case-insensitively).
    pub fn names_vulnerability(&self, f: &Finding) -> bool {
        std::iter::once(&self.vulnerability)
            .chain(self.aliases.iter())
            .any(|v| {
                v.eq_ignore_ascii_case(&f.id) || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(v))
            })
    }

    pub(crate) fn applies_to(&self, f: &Finding, img: &ImageIdent) -> bool {
        self.names_vulnerability(f)
            && self.products.iter().any(|p| {
                names_package(p, f)
                    || (names_image(p, img)
                        && (p.subcomponents.is_empty()
                            || p.subcomponents.iter().any(|s| names_package(s, f))))
            })
    }

    pub(crate) fn time(&self) -> Option<OffsetDateTime> {
        self.timestamp
            .as_deref()
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
    }

    /// One line: status, justification, impact or action statement.
    pub fn explain(&self) -> String {
        let mut s = self.status.as_str().to_string();
        if let Some(j) = &self.justification {
            s.push_str(": ");
            s.push_str(j);
        }
        for extra in [
            &self.impact_statement,
            &self.action_statement,
            &self.status_notes,
        ]
        .into_iter()
        .flatten()
        {
            s.push_str(" — ");
            s.push_str(extra);
        }
        s
    }
}

/// Statements by vulnerability name and alias (upper-cased), so that a finding only looks at
/// the statements that can name it.
pub(crate) struct VexIndex<'a> {
    docs: &'a [VexDoc],
    by_id: HashMap<String, Vec<(usize, usize)>>,
}

impl<'a> VexIndex<'a> {
    pub(crate) fn new(docs: &'a [VexDoc]) -> VexIndex<'a> {
        let mut by_id: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for (di, d) in docs.iter().enumerate() {
            for (si, s) in d.statements.iter().enumerate() {
                let mut names: Vec<String> = std::iter::once(&s.vulnerability)
                    .chain(&s.aliases)
                    .map(|n| n.to_ascii_uppercase())
                    .collect();
                names.sort();
                names.dedup();
                for n in names {
                    by_id.entry(n).or_default().push((di, si));
                }
            }
        }
        VexIndex { docs, by_id }
    }

    /// The statement that speaks for `f`: (document index, statement index within
    /// `doc.statements`), newest first, later documents and statements winning ties.
    pub(crate) fn select(&self, f: &Finding, img: &ImageIdent) -> Option<(usize, usize)> {
        let mut candidates: Vec<(usize, usize)> = std::iter::once(&f.id)
            .chain(&f.aliases)
            .filter_map(|id| self.by_id.get(&id.to_ascii_uppercase()))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut best: Option<(Option<OffsetDateTime>, usize, usize)> = None;
        for (di, si) in candidates {
            let s = &self.docs[di].statements[si];
            if !s.applies_to(f, img) {
                continue;
            }
            let t = s.time();
            // Option's order puts None (no usable time) first: any dated statement wins;
            // candidates come in (document, statement) order, so later ones win ties
            if best.as_ref().is_none_or(|(bt, _, _)| t >= *bt) {
                best = Some((t, di, si));
            }
        }
        best.map(|(_, d, s)| (d, s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls() {
        let have = "pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64&distro=3.20.3&upstream=openssl";
        assert!(purl_matches("pkg:apk/alpine/libcrypto3@3.3.2-r0", have));
        assert!(purl_matches("pkg:apk/alpine/libcrypto3", have));
        assert!(purl_matches(
            "pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64",
            have
        ));
        assert!(!purl_matches(
            "pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=aarch64",
            have
        ));
        assert!(!purl_matches("pkg:apk/alpine/libcrypto3@3.3.3-r0", have));
        assert!(!purl_matches("pkg:apk/alpine/libssl3@3.3.2-r0", have));
        assert!(!purl_matches("pkg:apk/wolfi/libcrypto3", have));
        // percent-encoding is decoded on both sides
        assert!(purl_matches(
            "pkg:pypi/urllib3@1.26.16%2Bcgr.1",
            "pkg:pypi/urllib3@1.26.16+cgr.1"
        ));
    }

    #[test]
    fn image_identity() {
        let a: Artifact = serde_json::from_value(serde_json::json!({
            "kind": "image", "source": "app.tar", "format": "docker-archive",
            "image_id": "sha256:AAAA", "manifest_digest": "sha256:bbbb",
            "repo_tags": ["example/app:1.0"], "layers": []
        }))
        .unwrap();
        let img = ImageIdent::from_artifact(&a);
        let oci = |s: &str| img.matches_oci(&parse_purl(s).unwrap());
        assert!(oci("pkg:oci/app@sha256%3Aaaaa"));
        assert!(oci(
            "pkg:oci/app@sha256%3Abbbb?repository_url=quay.io/x/app"
        ));
        assert!(!oci("pkg:oci/app@sha256%3Acccc"));
        assert!(oci("pkg:oci/app"));
        assert!(oci(
            "pkg:oci/app?repository_url=docker.io/example/app&tag=1.0"
        ));
        assert!(!oci("pkg:oci/app?tag=2.0"));
        assert!(!oci("pkg:oci/other"));
        assert!(oci("pkg:docker/example/app"));
        assert!(img.matches_ref("example/app:1.0"));
        assert!(img.matches_ref("docker.io/example/app"));
        assert!(img.matches_ref("docker.io/example/app@sha256:bbbb"));
        assert!(!img.matches_ref("example/app:2.0"));
    }
}
