//! Java (Maven coordinates, `groupId:artifactId`): archives, exploded `pom.properties`,
//! Gradle lockfiles and `pom.xml`.
//!
//! # Archives (`*.jar`, `*.war`, `*.ear`, `*.jpi`, `*.hpi`; image and source scans)
//!
//! The archive is read in memory with [`zip::ZipArchive`]; only the members that matter are
//! decompressed: every `pom.properties` (the Maven build writes one per artifact at
//! `META-INF/maven/<groupId>/<artifactId>/pom.properties`; a shaded or fat jar carries one for
//! each bundled artifact, so it yields several packages), `META-INF/MANIFEST.MF` (only when no
//! `pom.properties` gave a package) and nested archives (`WEB-INF/lib/*.jar`,
//! `BOOT-INF/lib/*.jar`, `lib/*.jar` of an ear — any member with an archive extension).
//! Packages of a nested archive carry `inner_path`: the member chain joined with `!/`.
//!
//! Limits (each exceeded limit is a warning naming the member; what was read is kept):
//! - nesting depth [`MAX_DEPTH`] below the scanned file;
//! - a decompressed-bytes budget [`TOTAL_BUDGET`] per scanned file, shared by all members at
//!   every depth (this also defeats overlapping-entry zip bombs);
//! - per member: [`MAX_METADATA_ENTRY`] for `pom.properties`/`MANIFEST.MF`, [`MAX_NESTED_ENTRY`]
//!   for a nested archive, and a decompression ratio of [`MAX_RATIO`]:1 beyond the first MiB.
//!   Members are read through `take(limit + 1)`: the sizes declared in the zip headers are
//!   never trusted for allocation.
//!
//! ## Without `pom.properties`: the manifest and file-name heuristics
//!
//! Jars built by Gradle, Ant or Bnd often have no `pom.properties`. Then one package is derived
//! from the main section of `META-INF/MANIFEST.MF` and the archive's file name (Maven
//! repositories name files `<artifactId>-<version>[-<classifier>].jar`; the file name is split
//! before the first `-` that is followed by a digit):
//! - **artifactId**: the file-name artifact when the file name carries a version (the last
//!   segment when that artifact is the `Bundle-SymbolicName`, as in OSGi-style names); else
//!   `Implementation-Title` when it is a valid id (`[A-Za-z0-9._-]`, as Maven requires; titles
//!   are often prose such as "Apache Commons Lang") and not the symbolic name; else the last
//!   segment of `Bundle-SymbolicName`; else the file name without extension.
//! - **version**: the first word of `Implementation-Version` (must start with a digit; `5.6.0
//!   (b0)` → `5.6.0`); else the file-name version (without a trailing `-<classifier>` when
//!   `Bundle-Version` is the part before it); else `Bundle-Version`. The OSGi
//!   `Bundle-Version` comes last because OSGi normalises versions (`3.11` → `3.11.0`,
//!   `27.0-jre` → `27.0.0.jre`) so it rarely spells the Maven version.
//! - **groupId**: `Implementation-Vendor-Id` (Maven's default manifest entries write the
//!   groupId there); else a small table of Spring artifacts (built by Gradle, without
//!   `pom.properties`); else derived from `Bundle-SymbolicName`, then from
//!   `Automatic-Module-Name`, following the maven-bundle-plugin naming rules: `<g>.<a>` → `g`
//!   (`net.openhft.chronicle-bytes`), and for an artifact `<p>-<rest>`, `<g>.<p>.<rest>` → `g`
//!   with `g` ending in `.p` (`ch.qos.logback.classic` for `logback-classic` →
//!   `ch.qos.logback`); else the artifactId itself (the convention of old artifacts such as
//!   `log4j:log4j` or `commons-io:commons-io`).
//!
//! Known limits: a bundle whose symbolic name is its groupId (`com.github.ben-manes.caffeine`
//! for `caffeine`) gets the parent package as group; a groupId that appears nowhere in the jar
//! (`com.datastax.cassandra` for `cassandra-driver-core`) cannot be found; a file name whose
//! artifactId itself contains `-<digit>` (`log4j-1.2-api-2.17.1.jar`) splits at the wrong
//! place, and a classifier stays in the file-name version (`-jdk8`) unless `Bundle-Version` shows
//! where the version ends. Renamed files (`app.jar`)
//! give no file-name version. Such guesses can only miss advisories or, rarely, match the wrong
//! artifact; `pom.properties`, when present, is always preferred.
//!
//! A loose `META-INF/maven/<g>/<a>/pom.properties` file (an exploded war or jar in the image) is
//! read like one inside an archive.
//!
//! # Source trees only
//!
//! - `gradle.lockfile` (also `buildscript-gradle.lockfile`, `settings-gradle.lockfile`) and the
//!   pre-Gradle-7 per-configuration `gradle/dependency-locks/<configuration>.lockfile`: lines
//!   `group:artifact:version=configuration,…` (the legacy files have no `=…` part; their
//!   configuration is the file name). `empty=` and comments are ignored. A package is `dev`
//!   when every configuration it is locked in is a test configuration (`test…`:
//!   `testCompileClasspath`, `testRuntimeClasspath`, …).
//! - `pom.xml`: dependencies of `<dependencies>`, `<dependencyManagement>` and of profiles, with
//!   a literal version or a version made of `${…}` references to the same POM's `<properties>`
//!   and to `project.version`/`project.groupId`/`project.artifactId`/`project.parent.*`
//!   (`pom.*` too). A dependency without a version takes the version of the same POM's
//!   `<dependencyManagement>` entry. Unresolvable references (properties of a parent POM),
//!   version ranges and `import` BOMs are skipped. Scope `test` → dev. Plugin dependencies are
//!   build tooling and not listed. ISO-8859-1 and UTF-16 POMs are decoded; DTDs are refused.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Cursor, Read};

use super::{Ecosystem, LangPackage, Scope};

/// Maximum nesting of archives below the scanned file.
pub const MAX_DEPTH: usize = 5;
/// Decompressed bytes read per scanned file, all members and nesting levels together.
pub const TOTAL_BUDGET: u64 = 512 << 20;
/// Largest `pom.properties` / `MANIFEST.MF` read.
pub const MAX_METADATA_ENTRY: u64 = 1 << 20;
/// Largest nested archive read.
pub const MAX_NESTED_ENTRY: u64 = 256 << 20;
/// Largest decompression ratio accepted for a member beyond its first MiB.
pub const MAX_RATIO: u64 = 100;

/// The archive limits (a struct so that tests can shrink them).
#[derive(Debug, Clone, Copy)]
struct Limits {
    depth: usize,
    budget: u64,
    metadata: u64,
    nested: u64,
    ratio: u64,
}

const LIMITS: Limits = Limits {
    depth: MAX_DEPTH,
    budget: TOTAL_BUDGET,
    metadata: MAX_METADATA_ENTRY,
    nested: MAX_NESTED_ENTRY,
    ratio: MAX_RATIO,
};

/// Warnings kept per scanned archive.
const MAX_WARNINGS: usize = 20;

const ARCHIVE_EXTS: [&[u8]; 5] = [b"jar", b"war", b"ear", b"jpi", b"hpi"];

fn file_name(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// `x.jar`, `X.WAR`, … (an extension after a non-empty stem).
fn is_archive_name(name: &str) -> bool {
    let b = name.as_bytes();
    if b.len() < 5 || b[b.len() - 4] != b'.' {
        return false;
    }
    let ext = &b[b.len() - 3..];
    ARCHIVE_EXTS.iter().any(|e| ext.eq_ignore_ascii_case(e))
}

fn is_gradle_lockfile(path: &str, name: &str) -> bool {
    name.ends_with("gradle.lockfile")
        || (name.ends_with(".lockfile") && path.contains("gradle/dependency-locks/"))
}

fn is_loose_pom_properties(path: &str, name: &str) -> bool {
    name == "pom.properties" && path.contains("META-INF/maven/")
}

pub fn wants(path: &str, scope: Scope) -> bool {
    let name = file_name(path);
    if is_archive_name(name) || is_loose_pom_properties(path, name) {
        return true;
    }
    scope == Scope::Fs && (name == "pom.xml" || is_gradle_lockfile(path, name))
}

pub fn parse(path: &str, content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let name = file_name(path);
    let pkgs = if is_archive_name(name) {
        parse_archive(content, name, LIMITS, warnings)
    } else if is_loose_pom_properties(path, name) {
        match pom_properties_package(content) {
            Ok(p) => vec![p],
            Err(e) => {
                warnings.push(e);
                Vec::new()
            }
        }
    } else if name == "pom.xml" {
        parse_pom_xml(content, warnings)
    } else if is_gradle_lockfile(path, name) {
        parse_gradle_lockfile(name, content, warnings)
    } else {
        Vec::new()
    };
    finish(pkgs)
}

/// Sort by (name, version, inner path) and keep one package per name+version: the outermost
/// occurrence, `dev` only when every occurrence is dev.
fn finish(mut pkgs: Vec<LangPackage>) -> Vec<LangPackage> {
    pkgs.sort_by(|a, b| {
        (&a.name, &a.version, &a.inner_path).cmp(&(&b.name, &b.version, &b.inner_path))
    });
    let mut out: Vec<LangPackage> = Vec::with_capacity(pkgs.len());
    for p in pkgs {
        match out.last_mut() {
            Some(last) if last.name == p.name && last.version == p.version => {
                last.dev &= p.dev;
            }
            _ => out.push(p),
        }
    }
    out
}

fn maven(group: &str, artifact: &str, version: &str) -> LangPackage {
    LangPackage::new(Ecosystem::Maven, format!("{group}:{artifact}"), version)
}

// ---------------------------------------------------------------------------------------------
// Archives

#[derive(Clone, Copy, PartialEq, Eq)]
enum Member {
    PomProperties,
    Manifest,
    Archive,
}

fn classify(name: &str) -> Option<Member> {
    if name.ends_with('/') {
        return None;
    }
    let base = file_name(name);
    if base == "pom.properties" {
        Some(Member::PomProperties)
    } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
        Some(Member::Manifest)
    } else if is_archive_name(base) {
        Some(Member::Archive)
    } else {
        None
    }
}

fn parse_archive(
    content: &[u8],
    name: &str,
    limits: Limits,
    warnings: &mut Vec<String>,
) -> Vec<LangPackage> {
    let mut walk = Walk {
        limits,
        warned: 0,
        budget: limits.budget,
        budget_warned: false,
        warnings,
        out: Vec::new(),
    };
    walk.archive(content, name, None, 0);
    walk.out
}

struct Walk<'w> {
    limits: Limits,
    warned: usize,
    budget: u64,
    budget_warned: bool,
    warnings: &'w mut Vec<String>,
    out: Vec<LangPackage>,
}

enum ReadError {
    /// Over a limit (message says which); nothing kept.
    Limit(String),
    Zip(String),
}

impl Walk<'_> {
    /// At most [`MAX_WARNINGS`] warnings per scanned file (a hostile archive can hold
    /// thousands of broken members).
    fn warn(&mut self, msg: String) {
        match self.warned {
            n if n < MAX_WARNINGS => self.warnings.push(msg),
            n if n == MAX_WARNINGS => self
                .warnings
                .push("more warnings about this archive suppressed".to_owned()),
            _ => {}
        }
        self.warned += 1;
    }

    /// One archive: `file` is its file name (for the heuristics), `inner` the member chain from
    /// the scanned file (None at the top).
    fn archive(&mut self, data: &[u8], file: &str, inner: Option<&str>, depth: usize) {
        let mut zip = match zip::ZipArchive::new(Cursor::new(data)) {
            Ok(z) => z,
            Err(e) => {
                match inner {
                    None => self.warn(format!("not a readable zip archive: {e}")),
                    Some(m) => self.warn(format!(
                        "nested archive {m}: not a readable zip archive: {e}"
                    )),
                }
                return;
            }
        };
        let archive_len = data.len() as u64;
        // Names first (the central directory is already parsed; no decompression).
        let mut members: Vec<(usize, Member, String)> = Vec::new();
        for (i, raw) in zip.file_names_raw().enumerate() {
            let name = String::from_utf8_lossy(raw);
            if let Some(kind) = classify(&name) {
                members.push((i, kind, name.into_owned()));
            }
        }
        let mut found_pom = false;
        for (i, kind, name) in members.iter().filter(|m| m.1 == Member::PomProperties) {
            let Some(bytes) = self.read_member(&mut zip, archive_len, *i, *kind, name, inner)
            else {
                continue;
            };
            match pom_properties_package(&bytes) {
                Ok(mut p) => {
                    p.inner_path = inner.map(str::to_owned);
                    self.out.push(p);
                    found_pom = true;
                }
                Err(e) => self.warn(format!("{}: {e}", chain(inner, name))),
            }
        }
        if !found_pom {
            let manifest =
                members
                    .iter()
                    .find(|m| m.1 == Member::Manifest)
                    .and_then(|(i, kind, name)| {
                        self.read_member(&mut zip, archive_len, *i, *kind, name, inner)
                    });
            let attrs = manifest
                .as_deref()
                .map(manifest_main_section)
                .unwrap_or_default();
            if let Some(mut p) = heuristic_package(&attrs, file) {
                p.inner_path = inner.map(str::to_owned);
                self.out.push(p);
            }
        }
        for (i, kind, name) in members.iter().filter(|m| m.1 == Member::Archive) {
            let path = chain(inner, name);
            if depth + 1 > self.limits.depth {
                self.warn(format!(
                    "nested archive {path}: deeper than {} levels, not read",
                    self.limits.depth
                ));
                continue;
            }
            if self.budget == 0 {
                // already warned when the budget ran out
                break;
            }
            let Some(bytes) = self.read_member(&mut zip, archive_len, *i, *kind, name, inner)
            else {
                continue;
            };
            self.archive(&bytes, file_name(name), Some(&path), depth + 1);
        }
    }

    /// Decompress one member within the limits; a warning and None when it cannot be read.
    fn read_member(
        &mut self,
        zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
        archive_len: u64,
        index: usize,
        kind: Member,
        name: &str,
        inner: Option<&str>,
    ) -> Option<Vec<u8>> {
        let path = chain(inner, name);
        if self.budget == 0 {
            self.warn_budget(&path);
            return None;
        }
        let cap = match kind {
            Member::Archive => self.limits.nested,
            _ => self.limits.metadata,
        };
        let ratio = self.limits.ratio;
        let res = (|| {
            let entry = zip
                .by_index(index)
                .map_err(|e| ReadError::Zip(e.to_string()))?;
            // the declared compressed size, but never more than the archive holds
            let compressed = entry.compressed_size().min(archive_len);
            let ratio_cap = compressed.saturating_mul(ratio).max(1 << 20);
            let (limit, what) = [
                (cap, "size limit"),
                (ratio_cap, "compression ratio limit"),
                (self.budget, "decompression budget"),
            ]
            .into_iter()
            .min_by_key(|l| l.0)
            .unwrap_or((cap, "size limit"));
            let mut buf = Vec::new();
            let read = entry.take(limit.saturating_add(1)).read_to_end(&mut buf);
            self.budget = self.budget.saturating_sub(buf.len() as u64);
            read.map_err(|e| ReadError::Zip(e.to_string()))?;
            if buf.len() as u64 > limit {
                return Err(ReadError::Limit(format!(
                    "exceeds the {what} ({limit} bytes), not read"
                )));
            }
            Ok(buf)
        })();
        match res {
            Ok(buf) => Some(buf),
            Err(ReadError::Limit(msg)) => {
                if self.budget == 0 {
                    self.warn_budget(&path);
                } else {
                    self.warn(format!("{path}: {msg}"));
                }
                None
            }
            Err(ReadError::Zip(e)) => {
                self.warn(format!("{path}: cannot be read: {e}"));
                None
            }
        }
    }

    fn warn_budget(&mut self, path: &str) {
        if !self.budget_warned {
            self.budget_warned = true;
            self.warn(format!(
                "{path}: decompression budget of {} bytes exhausted; remaining members not read",
                self.limits.budget
            ));
        }
    }
}

fn chain(inner: Option<&str>, name: &str) -> String {
    match inner {
        Some(i) => format!("{i}!/{name}"),
        None => name.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// pom.properties (java.util.Properties syntax, the subset Maven writes plus escapes)

fn parse_properties(content: &[u8]) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(content);
    let mut map = HashMap::new();
    let mut logical = String::new();
    for line in text.lines() {
        let piece = line.trim_start();
        if logical.is_empty() && (piece.starts_with('#') || piece.starts_with('!')) {
            continue;
        }
        // a line ending in an odd number of backslashes continues on the next line
        let trailing = piece.bytes().rev().take_while(|&b| b == b'\\').count();
        if trailing % 2 == 1 {
            logical.push_str(&piece[..piece.len() - 1]);
            continue;
        }
        logical.push_str(piece);
        if let Some((k, v)) = split_property(&logical) {
            map.insert(k, v);
        }
        logical.clear();
    }
    if let Some((k, v)) = split_property(&logical) {
        map.insert(k, v);
    }
    map
}

fn split_property(line: &str) -> Option<(String, String)> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    // the key ends at the first unescaped '=', ':' or whitespace
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'=' | b':' | b' ' | b'\t' => break,
            _ => i += 1,
        }
    }
    let i = i.min(bytes.len());
    let key = unescape(&line[..i]);
    let mut rest = line[i..].trim_start();
    if rest.starts_with('=') || rest.starts_with(':') {
        rest = rest[1..].trim_start();
    }
    Some((key, unescape(rest)))
}

fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(ch);
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

fn pom_properties_package(content: &[u8]) -> Result<LangPackage, String> {
    let props = parse_properties(content);
    let get = |k: &str| props.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    match (get("groupId"), get("artifactId"), get("version")) {
        (Some(g), Some(a), Some(v)) => Ok(maven(g, a, v)),
        (g, a, v) => {
            let missing: Vec<&str> = [("groupId", g), ("artifactId", a), ("version", v)]
                .into_iter()
                .filter(|(_, x)| x.is_none())
                .map(|(k, _)| k)
                .collect();
            Err(format!("missing {}", missing.join(", ")))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// MANIFEST.MF and the heuristics

/// Lines ended by `\r\n`, `\n` or `\r` (the manifest specification allows all three).
fn manifest_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (line, next) = match rest.find(['\r', '\n']) {
            Some(i) if rest[i..].starts_with("\r\n") => (&rest[..i], &rest[i + 2..]),
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        rest = next;
        Some(line)
    })
}

/// The main section's attributes (keys as written; look them up case-insensitively). The main
/// section ends at the first blank line; a line starting with one space continues the
/// previous value.
fn manifest_main_section(content: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(content);
    let mut attrs: Vec<(String, String)> = Vec::new();
    for line in manifest_lines(&text) {
        if line.is_empty() {
            if attrs.is_empty() {
                continue;
            }
            break;
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(last) = attrs.last_mut() {
                last.1.push_str(cont);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            attrs.push((k.trim().to_owned(), v.trim_start().to_owned()));
        }
    }
    attrs
}

fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn is_valid_id(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && !s.ends_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// The first word of a version attribute when it starts with a digit.
fn manifest_version(v: Option<&str>) -> Option<&str> {
    let w = v?.split_whitespace().next()?;
    w.as_bytes()[0].is_ascii_digit().then_some(w)
}

/// `artifact-1.2.3.jar` → (`artifact`, Some(`1.2.3`)); `app.jar` → (`app`, None).
fn split_file_name(file: &str) -> (&str, Option<&str>) {
    let stem = match file.rfind('.') {
        Some(i) if i > 0 => &file[..i],
        _ => file,
    };
    let b = stem.as_bytes();
    for i in 0..b.len().saturating_sub(1) {
        if b[i] == b'-' && b[i + 1].is_ascii_digit() && i > 0 {
            return (&stem[..i], Some(&stem[i + 1..]));
        }
    }
    (stem, None)
}

/// Spring projects are built by Gradle and ship no `pom.properties`.
fn spring_group(artifact: &str) -> Option<&'static str> {
    const CORE: [&str; 22] = [
        "spring-aop",
        "spring-aspects",
        "spring-beans",
        "spring-context",
        "spring-context-indexer",
        "spring-context-support",
        "spring-core",
        "spring-expression",
        "spring-instrument",
        "spring-jcl",
        "spring-jdbc",
        "spring-jms",
        "spring-messaging",
        "spring-orm",
        "spring-oxm",
        "spring-r2dbc",
        "spring-test",
        "spring-tx",
        "spring-web",
        "spring-webflux",
        "spring-webmvc",
        "spring-websocket",
    ];
    const PREFIXES: [(&str, &str); 4] = [
        ("spring-boot", "org.springframework.boot"),
        ("spring-security-", "org.springframework.security"),
        ("spring-data-", "org.springframework.data"),
        ("spring-cloud-", "org.springframework.cloud"),
    ];
    if CORE.contains(&artifact) {
        return Some("org.springframework");
    }
    PREFIXES
        .iter()
        .find(|(p, _)| artifact.starts_with(p))
        .map(|(_, g)| *g)
}

/// The groupId implied by an OSGi symbolic name or module name `sym` for `artifact`.
fn group_from_symbolic<'a>(sym: &'a str, artifact: &str) -> Option<&'a str> {
    let same = |a: &str, b: &str| {
        a.len() == b.len()
            && a.bytes()
                .zip(b.bytes())
                .all(|(x, y)| x == y || (matches!(x, b'-' | b'_') && matches!(y, b'-' | b'_')))
    };
    // <g>.<artifact>
    if sym.len() > artifact.len() + 1 {
        let (g, tail) = sym.split_at(sym.len() - artifact.len() - 1);
        if tail.starts_with('.') && same(&tail[1..], artifact) && is_valid_id(g) {
            return Some(g);
        }
    }
    // <g>.<rest> with g ending in .<p>, for artifact <p>-<rest>
    let (p, rest) = artifact.split_once('-')?;
    if sym.len() > rest.len() + 1 {
        let (g, tail) = sym.split_at(sym.len() - rest.len() - 1);
        if tail.starts_with('.')
            && same(&tail[1..], rest)
            && g.rsplit('.').next().is_some_and(|last| same(last, p))
            && g.contains('.')
            && is_valid_id(g)
        {
            return Some(g);
        }
    }
    None
}

fn heuristic_package<'a>(attrs: &'a [(String, String)], file: &'a str) -> Option<LangPackage> {
    let (file_artifact, mut file_version) = split_file_name(file);
    // a name with `-<digit>` inside (`log4j-1.2-api-2.17.1.jar`, Debian's
    // `log4j-1.2-1.2.17.jar`): when the manifest's version ends the file name, that is the
    // version (the artifactId stays the first split: which `-` ends it cannot be known)
    let stated = manifest_version(attr(attrs, "Implementation-Version"))
        .or_else(|| manifest_version(attr(attrs, "Bundle-Version")));
    if let (Some(f), Some(v)) = (file_version, stated)
        && f.len() > v.len() + 1
        && f.ends_with(v)
        && f[..f.len() - v.len()].ends_with('-')
    {
        file_version = Some(v);
    }
    let bsn = attr(attrs, "Bundle-SymbolicName")
        .map(|s| s.split(';').next().unwrap_or("").trim())
        .filter(|s| is_valid_id(s));
    let title = attr(attrs, "Implementation-Title").filter(|t| is_valid_id(t) && Some(*t) != bsn);
    let last_segment = |b: &'a str| b.rsplit('.').next().unwrap_or(b);
    let artifact = if file_version.is_some() && is_valid_id(file_artifact) {
        match bsn {
            // an OSGi-style file name, `<symbolic name>-<version>.jar`
            Some(b) if b == file_artifact && b.contains('.') => last_segment(b),
            _ => file_artifact,
        }
    } else if let Some(t) = title {
        t
    } else if let Some(b) = bsn {
        last_segment(b)
    } else if is_valid_id(file_artifact) {
        file_artifact
    } else {
        return None;
    };
    let bundle_version = manifest_version(attr(attrs, "Bundle-Version"));
    // a classifier in the file name (`-shaded`) is dropped when the bundle version is the rest
    let file_version = match (file_version, bundle_version) {
        (Some(f), Some(b))
            if f.len() > b.len() + 1 && f.starts_with(b) && f[b.len()..].starts_with('-') =>
        {
            Some(b)
        }
        (f, _) => f,
    };
    let version = manifest_version(attr(attrs, "Implementation-Version"))
        .or(file_version)
        .or(bundle_version)?;
    let module = attr(attrs, "Automatic-Module-Name").filter(|s| is_valid_id(s));
    let group = attr(attrs, "Implementation-Vendor-Id")
        .filter(|g| is_valid_id(g))
        .or_else(|| spring_group(artifact))
        .or_else(|| bsn.and_then(|b| group_from_symbolic(b, artifact)))
        .or_else(|| module.and_then(|m| group_from_symbolic(m, artifact)))
        .unwrap_or(artifact);
    Some(maven(group, artifact, version))
}

// ---------------------------------------------------------------------------------------------
// Gradle lockfiles

/// `testCompileClasspath`, `testRuntimeClasspath`, `testAnnotationProcessor`, …
fn is_test_configuration(c: &str) -> bool {
    c.strip_prefix("test")
        .is_some_and(|rest| rest.is_empty() || rest.as_bytes()[0].is_ascii_uppercase())
}

fn parse_gradle_lockfile(
    name: &str,
    content: &[u8],
    warnings: &mut Vec<String>,
) -> Vec<LangPackage> {
    let text = String::from_utf8_lossy(content);
    // legacy per-configuration files: the configuration is the file name
    let legacy_dev = name
        .strip_suffix(".lockfile")
        .is_some_and(is_test_configuration);
    let mut out = Vec::new();
    let mut bad = 0usize;
    let mut first_bad = 0usize;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
            continue;
        }
        let (coord, configs) = match line.split_once('=') {
            Some((c, cfg)) => (c, Some(cfg)),
            None => (line, None),
        };
        let parts: Vec<&str> = coord.split(':').collect();
        let ok = parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && !p.contains(char::is_whitespace));
        if !ok {
            if bad == 0 {
                first_bad = n + 1;
            }
            bad += 1;
            continue;
        }
        let dev = match configs {
            Some(cfg) => {
                let mut names = cfg.split(',').map(str::trim).filter(|c| !c.is_empty());
                let mut any = false;
                let all_test = names.all(|c| {
                    any = true;
                    is_test_configuration(c)
                });
                any && all_test
            }
            None => legacy_dev,
        };
        let mut p = maven(parts[0], parts[1], parts[2]);
        p.dev = dev;
        out.push(p);
    }
    if bad > 0 {
        warnings.push(format!(
            "{bad} malformed line(s) ignored (first at line {first_bad})"
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// pom.xml

/// Limits against hostile POMs: XML nodes, property expansion depth and result length.
const POM_NODES_LIMIT: u32 = 4_000_000;
const INTERPOLATION_DEPTH: usize = 10;
const INTERPOLATED_MAX: usize = 4096;

/// Decode a POM to text: UTF-8 (BOM stripped), UTF-16 with a BOM, ISO-8859-1/Windows-1252
/// when declared or when the bytes are not UTF-8.
fn decode_xml(content: &[u8]) -> Cow<'_, str> {
    if let Some(rest) = content.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest);
    }
    let utf16 = |le: bool, b: &[u8]| {
        let units = b.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        Cow::Owned(
            char::decode_utf16(units)
                .map(|r| r.unwrap_or('\u{FFFD}'))
                .collect::<String>(),
        )
    };
    if let Some(rest) = content.strip_prefix(b"\xFF\xFE") {
        return utf16(true, rest);
    }
    if let Some(rest) = content.strip_prefix(b"\xFE\xFF") {
        return utf16(false, rest);
    }
    let head = &content[..content.len().min(200)];
    let head_lower = head.to_ascii_lowercase();
    let declared_latin1 = [&b"iso-8859-1"[..], b"latin1", b"windows-1252", b"iso8859-1"]
        .iter()
        .any(|enc| head_lower.windows(enc.len()).any(|w| w == *enc));
    match std::str::from_utf8(content) {
        Ok(s) if !declared_latin1 => Cow::Borrowed(s),
        _ => Cow::Owned(content.iter().map(|&b| b as char).collect()),
    }
}

struct PomContext<'a> {
    props: HashMap<&'a str, &'a str>,
    group: Option<&'a str>,
    artifact: Option<&'a str>,
    version: Option<&'a str>,
    parent_group: Option<&'a str>,
    parent_version: Option<&'a str>,
}

impl PomContext<'_> {
    fn lookup(&self, key: &str) -> Option<&str> {
        let key = key
            .strip_prefix("project.")
            .or_else(|| key.strip_prefix("pom."))
            .map(|k| (k, true))
            .unwrap_or((key, false));
        match key {
            ("version", _) => self.version.or(self.parent_version),
            ("groupId", _) => self.group.or(self.parent_group),
            ("artifactId", _) => self.artifact,
            ("parent.version", true) => self.parent_version,
            ("parent.groupId", true) => self.parent_group,
            (k, false) => self.props.get(k).copied(),
            _ => None,
        }
    }

    /// Expand `${…}` references; None when one cannot be resolved.
    fn interpolate(&self, s: &str, depth: usize) -> Option<String> {
        if !s.contains("${") {
            return Some(s.to_owned());
        }
        if depth >= INTERPOLATION_DEPTH {
            return None;
        }
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}')?;
            let value = self.lookup(after[..end].trim())?;
            out.push_str(&self.interpolate(value, depth + 1)?);
            if out.len() > INTERPOLATED_MAX {
                return None;
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Some(out)
    }
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn children<'a, 'i: 'a>(
    node: roxmltree::Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> + 'a {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn text_of<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(node, name)
        .and_then(|n| n.text())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

struct RawDep<'a> {
    group: Option<&'a str>,
    artifact: Option<&'a str>,
    version: Option<&'a str>,
    scope: Option<&'a str>,
    managed: bool,
}

fn is_literal_version(v: &str) -> bool {
    !v.is_empty()
        && !v.contains(['[', ']', '(', ')', ',', '$', '{', '}'])
        && !v.contains(char::is_whitespace)
}

fn parse_pom_xml(content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let text = decode_xml(content);
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: POM_NODES_LIMIT,
        ..Default::default()
    };
    let doc = match roxmltree::Document::parse_with_options(&text, opts) {
        Ok(d) => d,
        Err(e) => {
            warnings.push(format!("invalid XML: {e}"));
            return Vec::new();
        }
    };
    let project = doc.root_element();
    if project.tag_name().name() != "project" {
        warnings.push(format!(
            "not a Maven POM (root element <{}>)",
            project.tag_name().name()
        ));
        return Vec::new();
    }
    let parent = child(project, "parent");
    let mut props = HashMap::new();
    if let Some(p) = child(project, "properties") {
        for c in p.children().filter(|c| c.is_element()) {
            props.insert(c.tag_name().name(), c.text().map(str::trim).unwrap_or(""));
        }
    }
    let ctx = PomContext {
        props,
        group: text_of(project, "groupId"),
        artifact: text_of(project, "artifactId"),
        version: text_of(project, "version"),
        parent_group: parent.and_then(|p| text_of(p, "groupId")),
        parent_version: parent.and_then(|p| text_of(p, "version")),
    };

    // <dependencies> and <dependencyManagement> of the project and of its profiles
    let mut containers = vec![project];
    if let Some(profiles) = child(project, "profiles") {
        containers.extend(children(profiles, "profile"));
    }
    let mut raw: Vec<RawDep> = Vec::new();
    for c in containers {
        let lists = child(c, "dependencies")
            .map(|d| (d, false))
            .into_iter()
            .chain(
                child(c, "dependencyManagement")
                    .and_then(|m| child(m, "dependencies"))
                    .map(|d| (d, true)),
            );
        for (list, managed) in lists {
            for d in children(list, "dependency") {
                raw.push(RawDep {
                    group: text_of(d, "groupId"),
                    artifact: text_of(d, "artifactId"),
                    version: text_of(d, "version"),
                    scope: text_of(d, "scope"),
                    managed,
                });
            }
        }
    }

    struct Resolved<'a> {
        group: String,
        artifact: String,
        version: Option<String>,
        scope: Option<&'a str>,
        managed: bool,
    }
    let mut resolved: Vec<Resolved> = Vec::new();
    for d in &raw {
        let (Some(g), Some(a)) = (d.group, d.artifact) else {
            continue;
        };
        let (Some(group), Some(artifact)) = (ctx.interpolate(g, 0), ctx.interpolate(a, 0)) else {
            continue;
        };
        resolved.push(Resolved {
            group,
            artifact,
            version: d.version.and_then(|v| ctx.interpolate(v, 0)),
            scope: d.scope,
            managed: d.managed,
        });
    }
    // (group, artifact) → the first managed entry with a version
    let mut managed: HashMap<(&str, &str), (&str, Option<&str>)> = HashMap::new();
    for r in resolved.iter().filter(|r| r.managed) {
        if let Some(v) = &r.version {
            managed
                .entry((&r.group, &r.artifact))
                .or_insert((v, r.scope));
        }
    }
    let mut out = Vec::new();
    for r in &resolved {
        if r.group.is_empty() || r.artifact.is_empty() || r.scope == Some("import") {
            continue;
        }
        let entry = (!r.managed)
            .then(|| managed.get(&(r.group.as_str(), r.artifact.as_str())))
            .flatten();
        let Some(version) = r.version.as_deref().or(entry.map(|e| e.0)) else {
            continue;
        };
        if !is_literal_version(version) {
            continue;
        }
        let scope = r.scope.or(entry.and_then(|e| e.1));
        let mut p = maven(&r.group, &r.artifact, version);
        p.dev = scope == Some("test");
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_version_at_the_end_of_the_file_name_splits_it() {
        let attrs = vec![
            (
                "Bundle-SymbolicName".to_string(),
                "org.apache.logging.log4j.1.2.api".to_string(),
            ),
            ("Bundle-Version".to_string(), "2.17.1".to_string()),
        ];
        let p = heuristic_package(&attrs, "log4j-1.2-api-2.17.1.jar").unwrap();
        assert_eq!(p.version, "2.17.1");
        // Debian's log4j 1.2 jar: `log4j-1.2-1.2.17.jar` with Bundle-Version 1.2.17
        let attrs = vec![
            (
                "Bundle-SymbolicName".to_string(),
                "org.apache.log4j".to_string(),
            ),
            ("Bundle-Version".to_string(), "1.2.17".to_string()),
        ];
        let p = heuristic_package(&attrs, "log4j-1.2-1.2.17.jar").unwrap();
        assert_eq!(p.version, "1.2.17");
    }

    #[test]
    fn wants_by_name() {
        assert!(wants("app/lib/foo-1.0.jar", Scope::Image));
        assert!(wants("app/FOO.WAR", Scope::Image));
        assert!(wants("x.ear", Scope::Image));
        assert!(wants("var/jenkins_home/plugins/git.jpi", Scope::Image));
        assert!(wants("var/jenkins_home/plugins/git.hpi", Scope::Fs));
        assert!(!wants("app/.jar", Scope::Image));
        assert!(!wants("app/jar", Scope::Image));
        assert!(!wants("app/foo.jar.sha1", Scope::Image));
        assert!(wants(
            "usr/local/tomcat/webapps/app/META-INF/maven/org.x/app/pom.properties",
            Scope::Image
        ));
        assert!(!wants("src/pom.properties", Scope::Image));
        assert!(!wants("app/pom.xml", Scope::Image));
        assert!(wants("app/pom.xml", Scope::Fs));
        assert!(!wants("app/gradle.lockfile", Scope::Image));
        assert!(wants("app/gradle.lockfile", Scope::Fs));
        assert!(wants("app/buildscript-gradle.lockfile", Scope::Fs));
        assert!(wants(
            "app/gradle/dependency-locks/compileClasspath.lockfile",
            Scope::Fs
        ));
        assert!(!wants("app/other.lockfile", Scope::Fs));
        assert!(!wants("é.jaré", Scope::Fs));
    }

    #[test]
    fn file_name_split() {
        assert_eq!(
            split_file_name("guava-31.1-jre.jar"),
            ("guava", Some("31.1-jre"))
        );
        assert_eq!(
            split_file_name("netty-all-4.1.58.Final.jar"),
            ("netty-all", Some("4.1.58.Final"))
        );
        assert_eq!(
            split_file_name("java-cup-runtime-11b-20160615.jar"),
            ("java-cup-runtime", Some("11b-20160615"))
        );
        assert_eq!(split_file_name("fqltool.jar"), ("fqltool", None));
        assert_eq!(split_file_name("-1.0.jar"), ("-1.0", None));
        assert_eq!(split_file_name("x"), ("x", None));
    }

    #[test]
    fn properties_syntax() {
        // hand-written: comments, ':' and ' ' separators, escapes, continuation lines
        let p = parse_properties(
            b"# c\n! c\ngroupId = org.ex\\u0061mple\nartifactId:my\\\n    -lib\nversion 1.0\\:x\n\n",
        );
        assert_eq!(p["groupId"], "org.example");
        assert_eq!(p["artifactId"], "my-lib");
        assert_eq!(p["version"], "1.0:x");
    }

    #[test]
    fn manifest_sections_and_continuations() {
        // hand-written, CRLF line ends, a continuation line and a second section
        let m = manifest_main_section(
            b"Manifest-Version: 1.0\r\nImplementation-Title: foo-\r\n bar\r\nImplementation-Version: 1.2\r\n\r\nName: x\r\nImplementation-Version: 9\r\n",
        );
        assert_eq!(attr(&m, "implementation-title"), Some("foo-bar"));
        assert_eq!(attr(&m, "Implementation-Version"), Some("1.2"));
        let m = manifest_main_section(b"A: 1\n\nB: 2\n");
        assert_eq!(attr(&m, "A"), Some("1"));
        assert_eq!(attr(&m, "B"), None);
        let m = manifest_main_section(b"A: 1\r\rB: 2\r");
        assert_eq!(attr(&m, "B"), None);
        let m = manifest_main_section(b"A: 1\rB: 2\r");
        assert_eq!(attr(&m, "B"), Some("2"));
    }

    #[test]
    fn symbolic_names() {
        assert_eq!(
            group_from_symbolic("net.openhft.chronicle-bytes", "chronicle-bytes"),
            Some("net.openhft")
        );
        assert_eq!(
            group_from_symbolic("ch.qos.logback.classic", "logback-classic"),
            Some("ch.qos.logback")
        );
        assert_eq!(
            group_from_symbolic("org.apache.commons.lang3", "commons-lang3"),
            Some("org.apache.commons")
        );
        assert_eq!(
            group_from_symbolic("org.lz4.java", "lz4-java"),
            Some("org.lz4")
        );
        assert_eq!(group_from_symbolic("slf4j.api", "slf4j-api"), None);
        assert_eq!(
            group_from_symbolic("com.datastax.driver.core", "cassandra-driver-core"),
            None
        );
        assert_eq!(
            group_from_symbolic("com.github.luben.zstd_jni", "zstd-jni"),
            Some("com.github.luben")
        );
    }
}
