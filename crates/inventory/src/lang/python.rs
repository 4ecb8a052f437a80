//! Python (PyPI) packages.
//!
//! Installed distributions (image and source tree):
//! - `*.dist-info/METADATA` (wheels), `*.egg-info/PKG-INFO` (setuptools), `*.egg-info` as a
//!   single file (old distutils) and `EGG-INFO/PKG-INFO` inside `.egg` directories. All are
//!   RFC 822-style header blocks (the core metadata spec): `Name`, `Version`, and the licence from
//!   `License-Expression` (metadata 2.4) or else a one-line `License` field. Header names are
//!   case-insensitive, the first occurrence of a field wins, indented lines continue the previous
//!   field, and the header block ends at the first empty line — or, as Python's `email` parser
//!   does, at the first line that is neither a header nor a continuation.
//!
//! Source trees only (lockfiles and manifests describe what a build would install):
//! - `requirements*.txt`, `*requirements*.txt` and any `*.txt` in a `requirements/` folder:
//!   pinned requirements only (`name==version`, `name===version`, with extras, environment
//!   markers, per-requirement options such as `--hash`, and `\` line continuations). Ranges,
//!   wildcards, unresolved `${VARS}`, options (`-r`, `-c`, `-e`, `--index-url`, …), URLs and
//!   local paths are skipped without a warning; lines that are not valid requirements warn.
//! - `poetry.lock`: `[[package]]`; dev when `category = "dev"` (lock format 1.x) or when
//!   `groups` (Poetry 2) does not contain `main`.
//! - `Pipfile.lock`: `default` and `develop` (dev) sections, versions `==1.2.3`; entries without
//!   a version (VCS, editable or path sources) are skipped.
//! - `uv.lock`: `[[package]]`, skipping the workspace members themselves
//!   (`source = { editable = … }` / `{ virtual = … }`). uv does not mark dev packages, so they
//!   are computed: a package is dev when it is reachable from the members' `dev-dependencies`
//!   but not from their `dependencies` or `optional-dependencies` (extras are a production
//!   feature).
//! - `pdm.lock`: `[[package]]` with `groups`; `default` is production. PDM records optional
//!   (extras) groups and dev groups alike, so a package outside `default` is dev only when one
//!   of its groups has a conventional dev name (`dev`, `test`, `lint`, `doc`, `typing`, …);
//!   other groups are extras and count as production.
//!
//! Names are kept as written (matching normalises them with PEP 503).

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::common::{
    Entries, LList, LStr, excerpt, finish, first_line, is_blank, split_last, warn,
};
use super::{Ecosystem, LangPackage, Scope};

pub fn wants(path: &str, scope: Scope) -> bool {
    let (dir, name) = split_last(path);
    match name {
        "METADATA" => split_last(dir).1.ends_with(".dist-info"),
        "PKG-INFO" => {
            let parent = split_last(dir).1;
            parent.ends_with(".egg-info") || parent == "EGG-INFO"
        }
        _ if name.ends_with(".egg-info") => true,
        _ if scope == Scope::Image => false,
        "poetry.lock" | "Pipfile.lock" | "uv.lock" | "pdm.lock" => true,
        _ => is_requirements(dir, name),
    }
}

pub fn parse(path: &str, content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let (dir, name) = split_last(path);
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    let pkgs = match name {
        "METADATA" | "PKG-INFO" => parse_metadata(content, warnings),
        _ if name.ends_with(".egg-info") => parse_metadata(content, warnings),
        "poetry.lock" => parse_poetry(content, warnings),
        "Pipfile.lock" => parse_pipfile_lock(content, warnings),
        "uv.lock" => parse_uv(content, warnings),
        "pdm.lock" => parse_pdm(content, warnings),
        _ if is_requirements(dir, name) => parse_requirements(content, warnings),
        _ => Vec::new(),
    };
    finish(pkgs)
}

fn is_requirements(dir: &str, name: &str) -> bool {
    name.ends_with(".txt") && (name.contains("requirements") || split_last(dir).1 == "requirements")
}

fn pkg(name: &str, version: &str) -> LangPackage {
    LangPackage::new(Ecosystem::Pypi, name, version)
}

// ---------------------------------------------------------------------------------------------
// Core metadata (METADATA / PKG-INFO)

fn parse_metadata(content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let text = String::from_utf8_lossy(content);
    let mut name: Option<&str> = None;
    let mut version: Option<&str> = None;
    let mut license_expr: Option<&str> = None;
    // (value, continued on further lines)
    let mut license: Option<(&str, bool)> = None;
    let mut last_was_license = false;

    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() {
            break; // end of the header block: the body (description) follows
        }
        if line.starts_with([' ', '\t']) {
            if last_was_license && let Some((_, continued)) = license.as_mut() {
                *continued = true;
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            break; // not a header: Python's email parser ends the headers here too
        };
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            break;
        }
        let value = value.trim();
        last_was_license = false;
        if key.eq_ignore_ascii_case("Name") {
            name.get_or_insert(value);
        } else if key.eq_ignore_ascii_case("Version") {
            version.get_or_insert(value);
        } else if key.eq_ignore_ascii_case("License-Expression") {
            license_expr.get_or_insert(value);
        } else if key.eq_ignore_ascii_case("License") && license.is_none() {
            license = Some((value, false));
            last_was_license = true;
        }
    }

    let (Some(name), Some(version)) = (
        name.filter(|s| !s.is_empty()),
        version.filter(|s| !s.is_empty()),
    ) else {
        warnings.push("package metadata without Name and Version headers".to_string());
        return Vec::new();
    };
    let mut p = pkg(name, version);
    p.license = license_expr
        .filter(|s| !s.is_empty())
        .or_else(|| {
            // A licence spanning several lines is the licence text, not an identifier.
            license
                .filter(|(v, continued)| !continued && is_license_name(v))
                .map(|(v, _)| v)
        })
        .map(str::to_string);
    vec![p]
}

fn is_license_name(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 200
        && !v.eq_ignore_ascii_case("UNKNOWN")
        && !v.eq_ignore_ascii_case("None")
}

// ---------------------------------------------------------------------------------------------
// requirements.txt

fn parse_requirements(content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let text = String::from_utf8_lossy(content);
    let mut out = Vec::new();
    let mut nwarn = 0;
    // The logical line being joined from `\` continuations, and where it started.
    let mut joined = String::new();
    let mut start = 0;
    let mut in_continuation = false;

    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if in_continuation && line.trim_start().starts_with('#') {
            // A comment line ends a continued requirement (pip does the same).
            handle_requirement(&joined, start + 1, &mut out, warnings, &mut nwarn);
            joined.clear();
            in_continuation = false;
            continue;
        }
        if !in_continuation {
            start = i;
        }
        match line.strip_suffix('\\') {
            Some(head) => {
                joined.push_str(head);
                joined.push(' ');
                in_continuation = true;
            }
            None if in_continuation => {
                joined.push_str(line);
                handle_requirement(&joined, start + 1, &mut out, warnings, &mut nwarn);
                joined.clear();
                in_continuation = false;
            }
            None => handle_requirement(line, start + 1, &mut out, warnings, &mut nwarn),
        }
    }
    if in_continuation {
        handle_requirement(&joined, start + 1, &mut out, warnings, &mut nwarn);
    }
    out
}

/// One logical requirements line.
fn handle_requirement(
    line: &str,
    lineno: usize,
    out: &mut Vec<LangPackage>,
    warnings: &mut Vec<String>,
    nwarn: &mut usize,
) {
    let line = strip_comment(line).trim();
    if line.is_empty() || line.starts_with('-') {
        return; // blank, or an option line (-r, -c, -e, --index-url, --hash, ...)
    }
    // Per-requirement options start at the first whitespace-separated token beginning with `-`.
    let req = match line
        .match_indices('-')
        .find(|&(i, _)| i > 0 && line.as_bytes()[i - 1].is_ascii_whitespace())
    {
        Some((i, _)) => line[..i].trim_end(),
        None => line,
    };
    // Environment markers.
    let spec = req.split_once(';').map_or(req, |(s, _)| s).trim();
    if is_url_or_path(spec) {
        return;
    }
    match parse_pinned(spec) {
        Ok(Some((name, version))) => out.push(pkg(name, version)),
        Ok(None) => {}
        Err(()) => warn(warnings, nwarn, || {
            format!("line {lineno}: not a valid requirement: {}", excerpt(line))
        }),
    }
}

/// Cut a `#` comment: at the start of the line or after whitespace.
fn strip_comment(line: &str) -> &str {
    match line
        .match_indices('#')
        .find(|&(i, _)| i == 0 || line.as_bytes()[i - 1].is_ascii_whitespace())
    {
        Some((i, _)) => &line[..i],
        None => line,
    }
}

fn is_url_or_path(spec: &str) -> bool {
    const ARCHIVES: [&str; 7] = [
        ".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".egg",
    ];
    spec.contains(['@', '/', '\\'])
        || spec.starts_with(['.', '~'])
        || ARCHIVES.iter().any(|ext| spec.ends_with(ext))
}

/// `name[extras] <specifiers>` → `Ok(Some((name, version)))` when pinned by `==` (without a
/// wildcard) or `===`, `Ok(None)` for a valid but unpinned requirement, `Err` when invalid.
fn parse_pinned(spec: &str) -> Result<Option<(&str, &str)>, ()> {
    let name_len = spec
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')))
        .unwrap_or(spec.len());
    let name = &spec[..name_len];
    if !is_valid_name(name) {
        return Err(());
    }
    let mut rest = spec[name_len..].trim_start();
    if let Some(r) = rest.strip_prefix('[') {
        let close = r.find(']').ok_or(())?;
        rest = r[close + 1..].trim_start();
    }
    if rest.is_empty() {
        return Ok(None);
    }
    if let Some(r) = rest.strip_prefix('(') {
        rest = r.strip_suffix(')').ok_or(())?.trim();
    }
    let mut pinned = None;
    for clause in rest.split(',') {
        let clause = clause.trim();
        let (op, version) = ["===", "==", "!=", "<=", ">=", "~=", "<", ">"]
            .iter()
            .find_map(|op| clause.strip_prefix(op).map(|v| (*op, v.trim())))
            .ok_or(())?;
        if version.is_empty() {
            return Err(());
        }
        if version.contains("${") {
            continue; // an environment variable pip would expand: not resolvable here
        }
        let arbitrary = op == "===";
        if arbitrary {
            if version.contains(char::is_whitespace) {
                return Err(());
            }
        } else if !version.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+' | b'!' | b'*')
        }) {
            return Err(());
        }
        if pinned.is_none() && (arbitrary || (op == "==" && !version.contains('*'))) {
            pinned = Some(version);
        }
    }
    Ok(pinned.map(|v| (name, v)))
}

/// PEP 508 names: ASCII letters, digits, `.`, `_`, `-`; starting and ending with a letter or
/// digit.
fn is_valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric(),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// poetry.lock

#[derive(Deserialize)]
struct PoetryLock<'a> {
    #[serde(default, borrow)]
    package: Vec<PoetryPackage<'a>>,
}

#[derive(Deserialize)]
struct PoetryPackage<'a> {
    #[serde(default, borrow)]
    name: LStr<'a>,
    #[serde(default, borrow)]
    version: LStr<'a>,
    #[serde(default, borrow)]
    category: LStr<'a>,
    #[serde(default, borrow)]
    groups: Option<LList<'a>>,
}

/// A TOML lockfile, or a warning (`None` also for an empty file, which is no error).
fn read_toml<'a, T: serde::Deserialize<'a>>(
    content: &'a [u8],
    what: &str,
    warnings: &mut Vec<String>,
) -> Option<T> {
    if is_blank(content) {
        return None;
    }
    match toml::from_slice(content) {
        Ok(l) => Some(l),
        Err(e) => {
            warnings.push(format!(
                "not a valid {what}: {}",
                first_line(&e.to_string())
            ));
            None
        }
    }
}

fn parse_poetry(content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let Some(lock) = read_toml::<PoetryLock>(content, "poetry.lock", warnings) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(lock.package.len());
    let mut nwarn = 0;
    for (i, p) in lock.package.iter().enumerate() {
        let (Some(name), Some(version)) = (p.name.get(), p.version.get()) else {
            warn(warnings, &mut nwarn, || {
                format!("package #{} has no name or version", i + 1)
            });
            continue;
        };
        let mut lp = pkg(name, version);
        lp.dev = match &p.groups {
            Some(groups) => !groups.0.is_empty() && !groups.0.iter().any(|g| g == "main"),
            None => p.category.get() == Some("dev"),
        };
        out.push(lp);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Pipfile.lock

#[derive(Deserialize)]
struct PipfileLock<'a> {
    #[serde(default, borrow)]
    default: Option<Entries<LStr<'a>, PipfileEntry<'a>>>,
    #[serde(default, borrow)]
    develop: Option<Entries<LStr<'a>, PipfileEntry<'a>>>,
}

#[derive(Deserialize)]
struct PipfileEntry<'a> {
    #[serde(default, borrow)]
    version: LStr<'a>,
}

fn parse_pipfile_lock(content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    if is_blank(content) {
        return Vec::new();
    }
    let lock: PipfileLock = match serde_json::from_slice(content) {
        Ok(l) => l,
        Err(e) => {
            warnings.push(format!("not a valid Pipfile.lock: {e}"));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    let mut nwarn = 0;
    for (section, dev) in [(lock.default, false), (lock.develop, true)] {
        for (name, entry) in section.map(|e| e.0).unwrap_or_default() {
            let Some(name) = name.get().filter(|n| !n.is_empty()) else {
                continue;
            };
            // No version: a VCS, editable or path entry — nothing to match.
            let Some(version) = entry.version.get() else {
                continue;
            };
            match version
                .strip_prefix("===")
                .or_else(|| version.strip_prefix("=="))
            {
                Some(v) if !v.trim().is_empty() => {
                    let mut lp = pkg(name, v.trim());
                    lp.dev = dev;
                    out.push(lp);
                }
                _ => warn(warnings, &mut nwarn, || {
                    format!("{name}: version {} is not pinned", excerpt(version))
                }),
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// uv.lock

#[derive(Deserialize)]
struct UvLock<'a> {
    #[serde(default, borrow)]
    package: Vec<UvPackage<'a>>,
}

#[derive(Deserialize)]
struct UvPackage<'a> {
    #[serde(default, borrow)]
    name: LStr<'a>,
    #[serde(default, borrow)]
    version: LStr<'a>,
    #[serde(default, borrow)]
    source: Option<UvSource<'a>>,
    #[serde(default, borrow)]
    dependencies: Vec<UvDep<'a>>,
    #[serde(default, borrow, rename = "optional-dependencies")]
    optional_dependencies: Entries<IgnoredAny, Vec<UvDep<'a>>>,
    #[serde(default, borrow, rename = "dev-dependencies")]
    dev_dependencies: Entries<IgnoredAny, Vec<UvDep<'a>>>,
}

#[derive(Deserialize)]
struct UvSource<'a> {
    #[serde(default, borrow)]
    editable: LStr<'a>,
    #[serde(default, borrow, rename = "virtual")]
    virtual_: LStr<'a>,
}

#[derive(Deserialize)]
struct UvDep<'a> {
    #[serde(default, borrow)]
    name: LStr<'a>,
    #[serde(default, borrow)]
    version: LStr<'a>,
}

fn parse_uv(content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let Some(lock) = read_toml::<UvLock>(content, "uv.lock", warnings) else {
        return Vec::new();
    };
    let pkgs = &lock.package;
    let is_member = |p: &UvPackage| {
        p.source
            .as_ref()
            .is_some_and(|s| s.editable.0.is_some() || s.virtual_.0.is_some())
    };
    let members = || pkgs.iter().filter(|p| is_member(p));
    let index = UvIndex::new(pkgs);
    let prod = index.reach(members().flat_map(UvPackage::runtime_deps));
    let dev = index.reach(members().flat_map(|p| p.dev_dependencies.0.iter().flat_map(|(_, v)| v)));

    let mut out = Vec::with_capacity(pkgs.len());
    let mut nwarn = 0;
    for (i, p) in pkgs.iter().enumerate() {
        if is_member(p) {
            continue;
        }
        let (Some(name), Some(version)) = (p.name.get(), p.version.get()) else {
            warn(warnings, &mut nwarn, || {
                format!("package #{} has no name or version", i + 1)
            });
            continue;
        };
        let mut lp = pkg(name, version);
        lp.dev = dev[i] && !prod[i];
        out.push(lp);
    }
    out
}

impl<'a> UvPackage<'a> {
    /// Dependencies a production install may pull in: `dependencies` and every extra.
    fn runtime_deps(&self) -> impl Iterator<Item = &UvDep<'a>> {
        self.dependencies
            .iter()
            .chain(self.optional_dependencies.0.iter().flat_map(|(_, v)| v))
    }
}

/// Package lookup for uv's dependency edges (`{ name }`, or `{ name, version }` when several
/// versions of a name are locked).
struct UvIndex<'p, 'a> {
    pkgs: &'p [UvPackage<'a>],
    by_name: HashMap<&'p str, Vec<usize>>,
    by_name_version: HashMap<(&'p str, &'p str), Vec<usize>>,
}

impl<'p, 'a> UvIndex<'p, 'a> {
    fn new(pkgs: &'p [UvPackage<'a>]) -> Self {
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::with_capacity(pkgs.len());
        let mut by_name_version: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (i, p) in pkgs.iter().enumerate() {
            if let Some(n) = p.name.get() {
                by_name.entry(n).or_default().push(i);
                if let Some(v) = p.version.get() {
                    by_name_version.entry((n, v)).or_default().push(i);
                }
            }
        }
        UvIndex {
            pkgs,
            by_name,
            by_name_version,
        }
    }

    /// Which packages are reachable from `roots` over runtime edges. Each distinct dependency
    /// key is resolved once and each package expanded once: linear in the size of the lock.
    fn reach(&self, roots: impl Iterator<Item = &'p UvDep<'a>>) -> Vec<bool> {
        let mut seen = vec![false; self.pkgs.len()];
        let mut resolved: HashSet<(&'p str, Option<&'p str>)> = HashSet::new();
        let mut queue: Vec<usize> = Vec::new();
        let mut resolve = |d: &'p UvDep<'a>, queue: &mut Vec<usize>| {
            let Some(name) = d.name.get() else { return };
            let version = d.version.get();
            let hits = match version {
                Some(v) => self.by_name_version.get(&(name, v)),
                None => self.by_name.get(name),
            };
            if let Some(hits) = hits
                && resolved.insert((name, version))
            {
                queue.extend_from_slice(hits);
            }
        };
        for d in roots {
            resolve(d, &mut queue);
        }
        while let Some(i) = queue.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            let pkgs: &'p [UvPackage<'a>] = self.pkgs;
            for d in pkgs[i].runtime_deps() {
                resolve(d, &mut queue);
            }
        }
        seen
    }
}

// ---------------------------------------------------------------------------------------------
// pdm.lock

#[derive(Deserialize)]
struct PdmLock<'a> {
    #[serde(default, borrow)]
    package: Vec<PdmPackage<'a>>,
}

#[derive(Deserialize)]
struct PdmPackage<'a> {
    #[serde(default, borrow)]
    name: LStr<'a>,
    #[serde(default, borrow)]
    version: LStr<'a>,
    #[serde(default, borrow)]
    groups: LList<'a>,
}

/// Conventional names of development dependency groups.
const DEV_GROUPS: [&str; 11] = [
    "dev",
    "develop",
    "development",
    "test",
    "tests",
    "testing",
    "lint",
    "linting",
    "doc",
    "docs",
    "typing",
];

fn parse_pdm(content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let Some(lock) = read_toml::<PdmLock>(content, "pdm.lock", warnings) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(lock.package.len());
    let mut nwarn = 0;
    for (i, p) in lock.package.iter().enumerate() {
        let (Some(name), Some(version)) = (p.name.get(), p.version.get()) else {
            warn(warnings, &mut nwarn, || {
                format!("package #{} has no name or version", i + 1)
            });
            continue;
        };
        let groups = &p.groups.0;
        let mut lp = pkg(name, version);
        lp.dev = !groups.iter().any(|g| g == "default")
            && groups
                .iter()
                .any(|g| DEV_GROUPS.iter().any(|d| g.eq_ignore_ascii_case(d)));
        out.push(lp);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_by_scope() {
        let img = Scope::Image;
        let fs = Scope::Fs;
        assert!(wants(
            "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
            img
        ));
        assert!(wants(
            "usr/lib/python3.11/site-packages/foo.egg-info/PKG-INFO",
            img
        ));
        assert!(wants(
            "usr/lib/python2.7/dist-packages/foo-1.0.egg-info",
            img
        ));
        assert!(wants(
            "usr/lib/python3/site-packages/foo-1.0-py3.8.egg/EGG-INFO/PKG-INFO",
            img
        ));
        assert!(!wants("usr/lib/python3/dist-packages/six/METADATA", img));
        assert!(!wants("PKG-INFO", img));
        assert!(!wants("app/requirements.txt", img));
        assert!(!wants("app/poetry.lock", img));
        assert!(wants("app/requirements.txt", fs));
        assert!(wants("requirements-dev.txt", fs));
        assert!(wants("dev-requirements.txt", fs));
        assert!(wants("app/requirements/base.txt", fs));
        assert!(!wants("app/notes.txt", fs));
        assert!(wants("poetry.lock", fs));
        assert!(wants("x/Pipfile.lock", fs));
        assert!(wants("x/uv.lock", fs));
        assert!(wants("x/pdm.lock", fs));
        assert!(!wants("x/Pipfile", fs));
        assert!(!wants("x/Cargo.lock", fs));
    }
}
