//! .NET packages (NuGet).
//!
//! Installed applications (image and source tree): `<app>.deps.json`, the dependency manifest
//! the .NET host reads at start-up. Every `libraries` entry of `"type": "package"` is a NuGet
//! package the application was built against, keyed `Id/Version`. `project` (the app and its
//! project references) and `reference` (framework assemblies) entries are not NuGet packages
//! and are skipped. `runtimepack` entries (self-contained apps) are kept under their package id
//! without the `runtimepack.` prefix — e.g. `Microsoft.NETCore.App.Runtime.linux-x64`, the
//! bundled .NET runtime, which advisories name.
//!
//! `targets` is deliberately not consulted: a package listed in `libraries` is part of the
//! application's resolved dependency graph whether or not it ships runtime assets for the
//! target (meta-packages and reference-only packages still pin the versions of what they
//! bring in), build-only packages (`PrivateAssets="all"` analyzers) never reach deps.json at
//! all, and `serviceable`/`compileOnly` do not say whether code runs. So nothing is marked dev.
//!
//! Source trees only:
//! - `packages.lock.json` (NuGet lock file): for each target framework (and runtime
//!   identifier), `dependencies` → `resolved` version; `Direct`, `Transitive` and
//!   `CentralTransitive` entries are packages, `Project` entries (project references) are
//!   skipped; packages locked for several frameworks are listed once per version.
//! - `packages.config` (legacy NuGet): `<package id="…" version="…"/>` elements, dev when
//!   `developmentDependency="true"`; read with a small XML scanner (comments skipped, entities
//!   decoded, UTF-8 or UTF-16 with BOM).
//!
//! Ids are kept as written (NuGet ids are case-insensitive; matching folds case).

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::common::{Entries, LStr, excerpt, finish, is_blank, split_last, warn};
use super::{Ecosystem, LangPackage, Scope};

pub fn wants(path: &str, scope: Scope) -> bool {
    let name = split_last(path).1;
    if name.ends_with(".deps.json") {
        return true;
    }
    scope == Scope::Fs && matches!(name, "packages.lock.json" | "packages.config")
}

pub fn parse(path: &str, content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let name = split_last(path).1;
    let pkgs = if name.ends_with(".deps.json") {
        parse_deps_json(strip_bom(content), warnings)
    } else if name == "packages.lock.json" {
        parse_packages_lock(strip_bom(content), warnings)
    } else if name == "packages.config" {
        parse_packages_config(content, warnings)
    } else {
        Vec::new()
    };
    finish(pkgs)
}

fn strip_bom(content: &[u8]) -> &[u8] {
    content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content)
}

fn pkg(name: &str, version: &str) -> LangPackage {
    LangPackage::new(Ecosystem::Nuget, name, version)
}

// ---------------------------------------------------------------------------------------------
// *.deps.json

#[derive(Deserialize)]
struct DepsJson<'a> {
    #[serde(default, borrow)]
    libraries: Option<Entries<LStr<'a>, Library<'a>>>,
}

#[derive(Deserialize)]
struct Library<'a> {
    #[serde(default, borrow, rename = "type")]
    kind: LStr<'a>,
}

fn parse_deps_json(content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    if is_blank(content) {
        return Vec::new();
    }
    let deps: DepsJson = match serde_json::from_slice(content) {
        Ok(d) => d,
        Err(e) => {
            warnings.push(format!("not a valid deps.json: {e}"));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    let mut nwarn = 0;
    for (key, lib) in deps.libraries.map(|l| l.0).unwrap_or_default() {
        let Some(key) = key.get() else { continue };
        let id_version = match lib.kind.get() {
            Some("package") => key,
            Some("runtimepack") => key.strip_prefix("runtimepack.").unwrap_or(key),
            _ => continue, // project, reference, or unknown
        };
        match id_version.split_once('/') {
            Some((id, version)) if !id.trim().is_empty() && !version.trim().is_empty() => {
                out.push(pkg(id.trim(), version.trim()));
            }
            _ => warn(warnings, &mut nwarn, || {
                format!("library key without a version: {}", excerpt(key))
            }),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// packages.lock.json

#[derive(Deserialize)]
struct PackagesLock<'a> {
    #[serde(default, borrow)]
    dependencies: Option<Entries<IgnoredAny, Entries<LStr<'a>, LockedDependency<'a>>>>,
}

#[derive(Deserialize)]
struct LockedDependency<'a> {
    #[serde(default, borrow, rename = "type")]
    kind: LStr<'a>,
    #[serde(default, borrow)]
    resolved: LStr<'a>,
}

fn parse_packages_lock(content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    if is_blank(content) {
        return Vec::new();
    }
    let lock: PackagesLock = match serde_json::from_slice(content) {
        Ok(l) => l,
        Err(e) => {
            warnings.push(format!("not a valid packages.lock.json: {e}"));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    let mut nwarn = 0;
    for (_, framework) in lock.dependencies.map(|d| d.0).unwrap_or_default() {
        for (id, dep) in &framework.0 {
            let Some(id) = id.get() else { continue };
            if dep
                .kind
                .get()
                .is_some_and(|k| k.eq_ignore_ascii_case("Project"))
            {
                continue;
            }
            match dep.resolved.get() {
                Some(v) => out.push(pkg(id, v)),
                None => warn(warnings, &mut nwarn, || {
                    format!("{id}: no resolved version")
                }),
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// packages.config

fn parse_packages_config(content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let text = decode_xml_text(content);
    let mut out = Vec::new();
    let mut nwarn = 0;
    let mut saw_root = false;
    let mut rest: &str = &text;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt..];
        if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.find("-->").map_or("", |e| &r[e + 3..]);
            continue;
        }
        if let Some(r) = rest.strip_prefix("<![CDATA[") {
            rest = r.find("]]>").map_or("", |e| &r[e + 3..]);
            continue;
        }
        let Some(end) = tag_end(rest) else {
            warn(warnings, &mut nwarn, || "unterminated XML tag".to_string());
            break;
        };
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        let name_len = tag
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(tag.len());
        match &tag[..name_len] {
            "packages" => saw_root = true,
            "package" => {
                let attrs = &tag[name_len..];
                let id = attribute(attrs, "id");
                let version = attribute(attrs, "version");
                match (
                    id.as_deref().map(str::trim),
                    version.as_deref().map(str::trim),
                ) {
                    (Some(id), Some(v)) if !id.is_empty() && !v.is_empty() => {
                        let mut p = pkg(id, v);
                        p.dev = attribute(attrs, "developmentDependency")
                            .is_some_and(|d| d.trim().eq_ignore_ascii_case("true"));
                        out.push(p);
                    }
                    _ => warn(warnings, &mut nwarn, || {
                        format!("<package> without an id or a version: {}", excerpt(tag))
                    }),
                }
            }
            _ => {}
        }
    }
    if !saw_root && out.is_empty() && !text.trim().is_empty() {
        warnings.push("not a packages.config: no <packages> element".to_string());
    }
    out
}

/// Text of an XML file: UTF-8 (BOM optional) or UTF-16 with a BOM.
fn decode_xml_text(content: &[u8]) -> String {
    let utf16 = |bytes: &[u8], be: bool| {
        let units = bytes.chunks_exact(2).map(|c| {
            if be {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_le_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    };
    if let Some(b) = content.strip_prefix(b"\xFF\xFE") {
        utf16(b, false)
    } else if let Some(b) = content.strip_prefix(b"\xFE\xFF") {
        utf16(b, true)
    } else {
        String::from_utf8_lossy(strip_bom(content)).into_owned()
    }
}

/// Index of the `>` closing the tag that starts at `s[0] == '<'`, skipping quoted values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, b) in s.bytes().enumerate().skip(1) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The value of attribute `name` (case-sensitive, as XML is) in a tag's attribute text.
fn attribute(attrs: &str, name: &str) -> Option<String> {
    let mut rest = attrs;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() {
            return None;
        }
        let eq = rest.find('=')?;
        let key = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start();
        let q = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let body = &after[1..];
        let close = body.find(q)?;
        if key == name {
            return Some(decode_entities(&body[..close]));
        }
        rest = &body[close + 1..];
    }
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(semi) = rest.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let ent = &rest[1..semi];
        let c = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_by_scope() {
        assert!(wants("app/MyApp.deps.json", Scope::Image));
        assert!(wants(
            "usr/share/dotnet/shared/x/Microsoft.NETCore.App.deps.json",
            Scope::Image
        ));
        assert!(!wants("app/packages.lock.json", Scope::Image));
        assert!(!wants("app/packages.config", Scope::Image));
        assert!(wants("app/packages.lock.json", Scope::Fs));
        assert!(wants("app/packages.config", Scope::Fs));
        assert!(!wants("app/MyApp.runtimeconfig.json", Scope::Fs));
        assert!(!wants("app/deps.json.bak", Scope::Fs));
    }

    #[test]
    fn xml_helpers() {
        assert_eq!(
            decode_entities("a&amp;b&lt;&#65;&#x42;&bogus;&"),
            "a&b<AB&bogus;&"
        );
        assert_eq!(
            attribute(r#" id="A.B" version='1.0' dev = "x" "#, "version").as_deref(),
            Some("1.0")
        );
        assert_eq!(attribute(r#" id="A.B" "#, "version"), None);
        assert_eq!(attribute(r#" id="unterminated "#, "id"), None);
        assert_eq!(tag_end(r#"<a b=">" c>"#), Some(10));
    }
}
