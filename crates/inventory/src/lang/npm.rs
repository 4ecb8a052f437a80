//! npm packages.
//!
//! * **Installed packages** (both scopes): the `package.json` at the root of every package
//!   directory of a `node_modules` tree — `…/node_modules/<name>/package.json` or
//!   `…/node_modules/@scope/<name>/package.json`, nested trees included
//!   (`a/node_modules/b/node_modules/c/package.json`, pnpm's
//!   `node_modules/.pnpm/c@1.0.0/node_modules/c/package.json`). The global roots
//!   (`usr/lib/node_modules`, `usr/local/lib/node_modules`) are just more `node_modules`
//!   directories. Other `package.json` files inside a package (test fixtures, `lib/package.json`)
//!   are not packages and are not wanted. The name and version come from the file (an aliased
//!   install keeps the real package name there); a file without a name or version is a stub
//!   and is skipped without a warning. The licence is `license` (a string, or the legacy
//!   `{"type": …}` object), else the legacy `licenses` array (joined with ` OR `).
//! * **Lockfiles** (`Scope::Fs` only, and not inside `node_modules`, where they describe the
//!   installed tree that the `package.json` files already give):
//!   - `package-lock.json` / `npm-shrinkwrap.json` v1 (nested `dependencies`), v2 and v3
//!     (`packages`, keyed by install path; v2 also carries the v1 section, which is then
//!     ignored, as npm ignores it);
//!   - `yarn.lock`: classic v1 (yarn's own indented format) and berry (v2+, YAML with
//!     `__metadata`);
//!   - `pnpm-lock.yaml` v5.x, v6.x and v9.
//!
//! Left out on purpose, everywhere:
//! * local packages — workspace members and `file:`, `link:`, `portal:`, `workspace:`, `exec:`
//!   sources, npm v2 `link: true` entries and `packages` keys outside `node_modules`: a local
//!   directory is not the published package of the same name, and matching it against the
//!   registry's advisories would only give false positives;
//! * npm v1 entries whose `version` is a git/tarball URL: that lockfile format does not record
//!   the package's version for them (v2+, yarn and pnpm do, and those are reported).
//!
//! `dev` follows each format: npm `dev: true` (a `devOptional` package is also installed by a
//! production install that keeps optional dependencies, so it is *not* dev-only), pnpm v5/v6
//! `dev: true`, pnpm v9 by walking the `snapshots` graph from the importers' `dependencies` /
//! `optionalDependencies` (production) and `devDependencies` (dev): a package reachable only
//! from dev roots is dev. yarn.lock does not record it (always `false`).
//!
//! Every parser is lenient: a value of an unexpected type is ignored instead of failing the
//! whole file, and a syntax error gives a warning and keeps what was read before it where the
//! format allows (npm lockfiles, yarn v1). Work is bounded: nesting by the JSON/YAML
//! deserializers' recursion limits (ignored values are skipped without recursion), and YAML
//! that no lockfile writer produces and that would make the YAML parser slow — aliases
//! (billion laughs) and deeply nested flow collections — is refused with a warning.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{Ecosystem, LangPackage, Scope};

/// Does the npm cataloger want the file at `path`?
pub fn wants(path: &str, scope: Scope) -> bool {
    let (dir, name) = split_path(path);
    match name {
        "package.json" => is_package_root(dir),
        "package-lock.json" | "npm-shrinkwrap.json" | "yarn.lock" | "pnpm-lock.yaml" => {
            scope == Scope::Fs && !dir.split('/').any(|s| s == "node_modules")
        }
        _ => false,
    }
}

/// List the npm packages in one wanted file (by its file name).
pub fn parse(path: &str, content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    let mut out = Collector::default();
    match split_path(path).1 {
        "package.json" => parse_package_json(content, &mut out, warnings),
        "package-lock.json" | "npm-shrinkwrap.json" => {
            parse_package_lock(content, &mut out, warnings)
        }
        "yarn.lock" => parse_yarn_lock(content, &mut out, warnings),
        "pnpm-lock.yaml" => parse_pnpm_lock(content, &mut out, warnings),
        _ => {}
    }
    out.finish()
}

/// `("a/b", "c")` for `a/b/c`, `("", "c")` for `c`.
fn split_path(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    }
}

/// Is `dir` a package directory of a `node_modules` tree (`…node_modules/<name>` or
/// `…node_modules/@scope/<name>`)?
fn is_package_root(dir: &str) -> bool {
    let (parent, name) = split_path(dir);
    // `.bin`, `.pnpm`, `.cache`...: npm's and pnpm's own directories; `@scope` alone is no package.
    if name.is_empty() || name.starts_with('.') || name.starts_with('@') {
        return false;
    }
    let (grandparent, parent_name) = split_path(parent);
    if parent_name == "node_modules" {
        return true;
    }
    parent_name.len() > 1
        && parent_name.starts_with('@')
        && split_path(grandparent).1 == "node_modules"
}

// ---------------------------------------------------------------------------------------------
// Output

#[derive(Default)]
struct Collector {
    pkgs: Vec<LangPackage>,
}

impl Collector {
    fn push(&mut self, name: &str, version: &str, dev: bool, license: Option<String>) {
        let mut p = LangPackage::new(Ecosystem::Npm, name, version);
        p.dev = dev;
        p.license = license;
        self.pkgs.push(p);
    }

    /// Sorted by (name, version), one entry per (name, version): dev only when every
    /// occurrence is dev, the first licence found.
    fn finish(mut self) -> Vec<LangPackage> {
        self.pkgs.sort_by(|a, b| {
            (a.name.as_str(), a.version.as_str()).cmp(&(b.name.as_str(), b.version.as_str()))
        });
        let mut out: Vec<LangPackage> = Vec::with_capacity(self.pkgs.len());
        for p in self.pkgs {
            if let Some(last) = out.last_mut()
                && last.name == p.name
                && last.version == p.version
            {
                last.dev &= p.dev;
                if last.license.is_none() {
                    last.license = p.license;
                }
                continue;
            }
            out.push(p);
        }
        out
    }
}

/// A version as registries publish them (`1.2.3`, `1.0.0-beta.1+build`), not a URL, a path
/// or a git reference.
fn looks_like_version(v: &str) -> bool {
    v.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b'_'))
}

/// Split `name@reference` (the name may be scoped: `@scope/name@reference`).
fn split_name_at(s: &str) -> Option<(&str, &str)> {
    let at = s.get(1..)?.find('@')? + 1;
    let (name, rest) = (&s[..at], &s[at + 1..]);
    (!name.is_empty()).then_some((name, rest))
}

// ---------------------------------------------------------------------------------------------
// Lenient deserialization: values of unexpected types are ignored, never an error.

/// What a lenient value becomes from each kind of JSON/YAML value; the defaults ignore it.
trait Lenient<'de>: Sized + Default {
    const EXPECTING: &'static str = "any value";
    fn from_str(_s: Cow<'de, str>) -> Self {
        Self::default()
    }
    fn from_bool(_b: bool) -> Self {
        Self::default()
    }
    fn from_number(_n: String) -> Self {
        Self::default()
    }
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Self::default())
    }
    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Self::default())
    }
}

struct LenientVisitor<T>(PhantomData<T>);

impl<'de, T: Lenient<'de>> Visitor<'de> for LenientVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<T, E> {
        Ok(T::from_str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok(T::from_str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
        Ok(T::from_str(Cow::Owned(v)))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
        Ok(T::from_bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Ok(T::from_number(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        Ok(T::from_number(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Ok(T::from_number(v.to_string()))
    }
    fn visit_bytes<E: de::Error>(self, _v: &[u8]) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::from_map(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::from_seq(seq)
    }
}

/// A string (numbers are kept as their text); `None` for anything else.
#[derive(Default, Debug)]
struct LStr<'a>(Option<Cow<'a, str>>);

impl LStr<'_> {
    fn as_str(&self) -> &str {
        self.0.as_deref().unwrap_or("")
    }
    fn non_empty(&self) -> Option<&str> {
        self.0.as_deref().filter(|s| !s.is_empty())
    }
}

impl<'de: 'a, 'a> Lenient<'de> for LStr<'a> {
    fn from_str(s: Cow<'de, str>) -> Self {
        LStr(Some(s))
    }
    fn from_number(n: String) -> Self {
        LStr(Some(Cow::Owned(n)))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for LStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientVisitor(PhantomData))
    }
}

/// `true` only for a boolean `true`.
#[derive(Default, Debug, Clone, Copy)]
struct LBool(bool);

impl<'de> Lenient<'de> for LBool {
    fn from_bool(b: bool) -> Self {
        LBool(b)
    }
}

impl<'de> Deserialize<'de> for LBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientVisitor(PhantomData))
    }
}

/// An object deserialized as `T`; `None` for any other value.
struct Obj<T>(Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<'de, T: Deserialize<'de>> Lenient<'de> for Obj<T> {
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(|t| Obj(Some(t)))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientVisitor(PhantomData))
    }
}

/// The entries of an object, in file order; empty for any other value.
struct Entries<K, V>(Vec<(K, V)>);

impl<K, V> Default for Entries<K, V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Lenient<'de> for Entries<K, V> {
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut v = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some(entry) = map.next_entry::<K, V>()? {
            v.push(entry);
        }
        Ok(Entries(v))
    }
}

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Entries<K, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientVisitor(PhantomData))
    }
}

/// A licence: `"MIT"`, the legacy `{"type": "MIT", "url": …}`, or a list of those (legacy
/// `licenses`, joined with ` OR `).
#[derive(Default, Debug)]
struct License(Option<String>);

impl<'de> Lenient<'de> for License {
    fn from_str(s: Cow<'de, str>) -> Self {
        let s = s.trim();
        License((!s.is_empty()).then(|| s.to_owned()))
    }
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut found = License(None);
        while let Some(key) = map.next_key::<LStr>()? {
            if key.as_str() == "type" {
                let v: LStr = map.next_value()?;
                found = License(v.0.and_then(|s| License::from_str(s).0));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        let mut all: Vec<String> = Vec::new();
        while let Some(l) = seq.next_element::<License>()? {
            if let Some(l) = l.0
                && !all.contains(&l)
            {
                all.push(l);
            }
        }
        Ok(License((!all.is_empty()).then(|| all.join(" OR "))))
    }
}

impl<'de> Deserialize<'de> for License {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientVisitor(PhantomData))
    }
}

/// Read a whole JSON document with `seed`; a syntax error becomes a warning (what the seed
/// stored before it is kept).
fn read_json<'de, S: DeserializeSeed<'de, Value = ()>>(
    what: &str,
    content: &'de [u8],
    seed: S,
    warnings: &mut Vec<String>,
) {
    let mut de = serde_json::Deserializer::from_slice(content);
    match seed.deserialize(&mut de) {
        Ok(()) => {
            if let Err(e) = de.end() {
                warnings.push(format!("{what}: {e}"));
            }
        }
        Err(e) => warnings.push(format!("{what}: {e}")),
    }
}

// ---------------------------------------------------------------------------------------------
// node_modules/**/package.json

#[derive(Default)]
struct PackageJson<'a> {
    name: LStr<'a>,
    version: LStr<'a>,
    license: License,
    licenses: License,
}

impl<'de: 'a, 'a> Lenient<'de> for PackageJson<'a> {
    const EXPECTING: &'static str = "a package.json object";
    // Field by field, so that a duplicated key is not an error (the last one wins, as in
    // JavaScript) and the other 30 fields of a typical package.json cost no allocation.
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut p = PackageJson::default();
        while let Some(key) = map.next_key::<LStr>()? {
            match key.as_str() {
                "name" => p.name = map.next_value()?,
                "version" => p.version = map.next_value()?,
                "license" => p.license = map.next_value()?,
                "licenses" => p.licenses = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(p)
    }
}

/// The top level of a document: an object read as `T`, anything else an error.
struct Strict<T>(T);

struct StrictVisitor<T>(PhantomData<T>);

impl<'de, T: Lenient<'de>> Visitor<'de> for StrictVisitor<T> {
    type Value = Strict<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Strict<T>, A::Error> {
        T::from_map(map).map(Strict)
    }
}

impl<'de, T: Lenient<'de>> Deserialize<'de> for Strict<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor(PhantomData))
    }
}

/// For the visitors of the lockfile seeds: a value that is not an object is skipped.
macro_rules! skip_non_objects {
    () => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_none<E: de::Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(())
        }
    };
}

fn parse_package_json(content: &[u8], out: &mut Collector, warnings: &mut Vec<String>) {
    let p: PackageJson = match serde_json::from_slice::<Strict<PackageJson>>(content) {
        Ok(p) => p.0,
        Err(e) => {
            warnings.push(format!("package.json: {e}"));
            return;
        }
    };
    let (Some(name), Some(version)) = (p.name.non_empty(), p.version.non_empty()) else {
        return; // a stub or a private package without a version: nothing to report
    };
    let name = name.trim();
    let version = version.trim();
    if name.is_empty() || version.is_empty() {
        return;
    }
    out.push(name, version, false, p.license.0.or(p.licenses.0));
}

// ---------------------------------------------------------------------------------------------
// package-lock.json / npm-shrinkwrap.json

#[derive(Default)]
struct LockSink {
    /// From `packages` (lockfile v2, v3).
    v2: Collector,
    has_packages: bool,
    /// From `dependencies` (lockfile v1; also in v2, where npm ignores it).
    v1: Collector,
}

fn parse_package_lock(content: &[u8], out: &mut Collector, warnings: &mut Vec<String>) {
    let mut sink = LockSink::default();
    read_json("package-lock", content, LockRoot(&mut sink), warnings);
    *out = if sink.has_packages { sink.v2 } else { sink.v1 };
}

struct LockRoot<'s>(&'s mut LockSink);

impl<'de> DeserializeSeed<'de> for LockRoot<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LockRoot<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a package-lock.json object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<LStr>()? {
            match key.as_str() {
                "packages" => map.next_value_seed(V2Packages(&mut *self.0))?,
                "dependencies" => map.next_value_seed(V1Deps(&mut self.0.v1))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct V2Entry<'a> {
    #[serde(borrow)]
    name: LStr<'a>,
    #[serde(borrow)]
    version: LStr<'a>,
    #[serde(borrow)]
    resolved: LStr<'a>,
    license: License,
    dev: LBool,
    link: LBool,
}

/// `packages`: `{"": root, "node_modules/a": {...}, "node_modules/a/node_modules/@s/b": {...}}`.
struct V2Packages<'s>(&'s mut LockSink);

impl<'de> DeserializeSeed<'de> for V2Packages<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for V2Packages<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of packages")
    }
    skip_non_objects!();
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.0.has_packages = true;
        while let Some(key) = map.next_key::<LStr>()? {
            let entry: Obj<V2Entry> = map.next_value()?;
            if let Some(e) = entry.0 {
                add_v2_entry(key.as_str(), &e, &mut self.0.v2);
            }
        }
        Ok(())
    }
}

fn add_v2_entry(key: &str, e: &V2Entry, out: &mut Collector) {
    // "" is the project itself; keys outside node_modules are workspace members or local
    // directories; `link` entries point at one of those.
    let Some(i) = key.rfind("node_modules/") else {
        return;
    };
    if e.link.0 || e.resolved.as_str().starts_with("file:") {
        return;
    }
    let name = e
        .name
        .non_empty()
        .unwrap_or(&key[i + "node_modules/".len()..]);
    let Some(version) = e.version.non_empty() else {
        return; // an optional or peer dependency that is not installed
    };
    if name.is_empty() {
        return;
    }
    out.push(name, version, e.dev.0, e.license.0.clone());
}

/// v1 `dependencies`: `{"name": {"version", "dev", "dependencies": {...nested...}}}`.
struct V1Deps<'s>(&'s mut Collector);

impl<'de> DeserializeSeed<'de> for V1Deps<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for V1Deps<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of dependencies")
    }
    skip_non_objects!();
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(name) = map.next_key::<LStr>()? {
            map.next_value_seed(V1Entry {
                out: &mut *self.0,
                name: name.as_str(),
            })?;
        }
        Ok(())
    }
}

struct V1Entry<'s, 'n> {
    out: &'s mut Collector,
    name: &'n str,
}

impl<'de> DeserializeSeed<'de> for V1Entry<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for V1Entry<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a dependency object")
    }
    skip_non_objects!();
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut version = LStr::default();
        let mut dev = false;
        let mut pushed = false;
        while let Some(key) = map.next_key::<LStr>()? {
            match key.as_str() {
                "version" => version = map.next_value()?,
                "dev" => dev = map.next_value::<LBool>()?.0,
                "dependencies" => {
                    // npm writes `version` and `dev` first: record the entry before its
                    // children, so that it is kept if a child turns out to be unreadable.
                    if !pushed {
                        pushed = true;
                        self.push(version.as_str(), dev);
                    }
                    map.next_value_seed(V1Deps(&mut *self.out))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !pushed {
            self.push(version.as_str(), dev);
        }
        Ok(())
    }
}

impl V1Entry<'_, '_> {
    fn push(&mut self, version: &str, dev: bool) {
        // `npm:real-name@1.2.3`: an alias installed under another directory name.
        let (name, version) = match version.strip_prefix("npm:").and_then(split_name_at) {
            Some((real, v)) => (real, v),
            None => (self.name, version),
        };
        if !name.is_empty() && looks_like_version(version) {
            self.out.push(name, version, dev, None);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// yarn.lock

fn parse_yarn_lock(content: &[u8], out: &mut Collector, warnings: &mut Vec<String>) {
    let text = String::from_utf8_lossy(content);
    if is_yarn_berry(&text) {
        parse_yarn_berry(&text, out, warnings);
    } else {
        parse_yarn_v1(&text, out, warnings);
    }
}

/// Berry lockfiles are YAML and start with a `__metadata` entry.
fn is_yarn_berry(text: &str) -> bool {
    text.lines()
        .map(str::trim_end)
        .any(|l| l == "__metadata:" || l == "\"__metadata\":")
}

/// A header spec's reference makes the entry a local package.
fn is_local_reference(reference: &str) -> bool {
    ["file:", "link:", "portal:", "workspace:", "exec:"]
        .iter()
        .any(|p| reference.starts_with(p))
}

/// Yarn v1: blocks of
/// ```text
/// "@babel/code-frame@^7.0.0", "@babel/code-frame@^7.12.13":
///   version "7.12.13"
///   resolved "…"
///   dependencies:
///     "@babel/highlight" "^7.12.13"
/// ```
fn parse_yarn_v1(text: &str, out: &mut Collector, warnings: &mut Vec<String>) {
    struct Block<'t> {
        name: Cow<'t, str>,
        local: bool,
        version: Option<Cow<'t, str>>,
    }
    fn flush(block: Option<Block>, out: &mut Collector) {
        if let Some(b) = block
            && !b.local
            && let Some(v) = b.version.filter(|v| !v.is_empty())
        {
            out.push(&b.name, &v, false, None);
        }
    }

    let mut block: Option<Block> = None;
    let mut bad_lines = 0usize;
    let mut first_bad = 0usize;
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let body = line.trim_start_matches([' ', '\t']);
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        if indent == 0 {
            flush(block.take(), out);
            match line
                .trim_end()
                .strip_suffix(':')
                .and_then(parse_yarn_v1_header)
            {
                Some((name, local)) => {
                    block = Some(Block {
                        name,
                        local,
                        version: None,
                    });
                }
                None => {
                    bad_lines += 1;
                    if first_bad == 0 {
                        first_bad = n + 1;
                    }
                }
            }
        } else if let Some(b) = block.as_mut()
            && indent <= 2
        {
            let (key, rest) = yarn_v1_token(body);
            if key == "version" {
                let (value, _) = yarn_v1_token(rest.trim_start());
                b.version = Some(value);
            }
        }
    }
    flush(block, out);
    if bad_lines > 0 {
        warnings.push(format!(
            "yarn.lock: {bad_lines} unreadable entry header(s), first at line {first_bad}"
        ));
    }
}

/// One token of a yarn v1 line: a JSON-style quoted string or a bare word (up to a space or
/// `:`-and-end), and the rest of the line.
fn yarn_v1_token(s: &str) -> (Cow<'_, str>, &str) {
    if let Some(quoted) = s.strip_prefix('"') {
        let mut escaped = false;
        let mut has_escape = false;
        for (i, c) in quoted.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
                has_escape = true;
            } else if c == '"' {
                let raw = &quoted[..i];
                let rest = &quoted[i + 1..];
                let rest = rest.strip_prefix(':').unwrap_or(rest);
                let value = if has_escape {
                    Cow::Owned(unescape(raw))
                } else {
                    Cow::Borrowed(raw)
                };
                return (value, rest);
            }
        }
        return (Cow::Borrowed(quoted), ""); // unterminated: take the rest
    }
    let end = s.find([' ', '\t']).unwrap_or(s.len());
    let word = &s[..end];
    (
        Cow::Borrowed(word.strip_suffix(':').unwrap_or(word)),
        &s[end..],
    )
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `spec, "spec", …` → the package name (of the first spec; an `npm:` alias gives the real
/// name) and whether any spec is a local reference.
fn parse_yarn_v1_header(header: &str) -> Option<(Cow<'_, str>, bool)> {
    let mut rest = header.trim();
    let mut name: Option<Cow<str>> = None;
    let mut local = false;
    while !rest.is_empty() {
        let (spec, after) = if rest.starts_with('"') {
            let (spec, after) = yarn_v1_token(rest);
            (spec, after)
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            (Cow::Borrowed(rest[..end].trim()), &rest[end..])
        };
        let (spec_name, reference) = match split_name_at(&spec) {
            Some((n, r)) => (n.to_owned(), r.to_owned()),
            None => (spec.to_string(), String::new()),
        };
        local |= is_local_reference(&reference);
        if name.is_none() {
            let real = reference
                .strip_prefix("npm:")
                .and_then(split_name_at)
                .map_or(spec_name, |(n, _)| n.to_owned());
            if real.is_empty() {
                return None;
            }
            name = Some(Cow::Owned(real));
        }
        rest = after.trim_start();
        match rest.strip_prefix(',') {
            Some(r) => rest = r.trim_start(),
            None if rest.is_empty() => break,
            None => return None,
        }
    }
    name.map(|n| (n, local))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BerryEntry<'a> {
    #[serde(borrow)]
    version: LStr<'a>,
    #[serde(borrow)]
    resolution: LStr<'a>,
}

/// Yarn berry (v2+): YAML, `"name@npm:^1.0.0, name@npm:^1.1.0": {version, resolution, …}`.
fn parse_yarn_berry(text: &str, out: &mut Collector, warnings: &mut Vec<String>) {
    if let Some(why) = yaml_refused(text) {
        warnings.push(format!("yarn.lock: {why}; file ignored"));
        return;
    }
    let entries: Entries<LStr, Obj<BerryEntry>> = match yaml_serde::from_str(text) {
        Ok(e) => e,
        Err(e) => {
            warnings.push(format!("yarn.lock: {e}"));
            return;
        }
    };
    for (key, entry) in &entries.0 {
        let Some(entry) = &entry.0 else { continue };
        if key.as_str() == "__metadata" {
            continue;
        }
        let version = entry.version.as_str();
        if version.is_empty() || version.ends_with("-use.local") {
            continue;
        }
        // The resolution names the package actually installed (an alias key
        // `"ansi-regex-cjs@npm:ansi-regex@^5"` resolves to `ansi-regex@npm:5.0.1`).
        let resolution = entry.resolution.as_str();
        let (name, reference) = match split_name_at(resolution) {
            Some(x) => x,
            None => {
                // no resolution: the name of the first descriptor of the key
                let first = key.as_str().split(',').next().unwrap_or("").trim();
                match split_name_at(first) {
                    Some((n, _)) => (n, ""),
                    None => continue,
                }
            }
        };
        if berry_reference_is_local(reference) {
            continue;
        }
        out.push(name, version, false, None);
    }
}

/// Local protocols; `patch:` is local when the patched package is.
fn berry_reference_is_local(reference: &str) -> bool {
    if let Some(patched) = reference.strip_prefix("patch:") {
        // `patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1&hash=…`
        let inner = patched.split('#').next().unwrap_or("");
        let inner = percent_decode(inner);
        return match split_name_at(&inner) {
            Some((_, r)) => is_local_reference(r) || r.starts_with("patch:"),
            None => true,
        };
    }
    is_local_reference(reference)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            )
        {
            out.push((h << 4) | l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// YAML that no lockfile writer produces and that would make the YAML parser slow: aliases
/// and deeply nested flow collections.
fn yaml_refused(text: &str) -> Option<&'static str> {
    if has_yaml_alias(text) {
        Some("YAML aliases are not used in lockfiles")
    } else if flow_depth_exceeds(text, MAX_FLOW_DEPTH) {
        Some("YAML flow collections nested too deep")
    } else {
        None
    }
}

/// Lockfiles nest flow collections (`{integrity: …}`) one or two levels deep; the YAML
/// parser's work grows with the square of that depth.
const MAX_FLOW_DEPTH: usize = 64;

/// Are `[`/`{` nested more than `limit` deep? Counts the brackets in value position (at the
/// start of a line or after `:`, `,`, `-`, `?`, `[` or `{`), which is where flow collections
/// start; brackets inside plain scalars (`a[b`) do not count.
fn flow_depth_exceeds(text: &str, limit: usize) -> bool {
    let mut depth = 0usize;
    let mut prev = b'\n'; // last non-blank byte
    for &c in text.as_bytes() {
        match c {
            b'[' | b'{' if matches!(prev, b'\n' | b':' | b',' | b'-' | b'?' | b'[' | b'{') => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if c != b' ' && c != b'\t' && c != b'\r' {
            prev = c;
        }
    }
    false
}

/// Does the YAML text use an alias (`*name` referring to an `&name` anchor)? Lockfile writers
/// never do; refusing them keeps alias expansion (a "billion laughs" file, quadratic work)
/// out of the deserializer. A `*` in value position (after `: `, `- `, `[`, `{`, `,` or at
/// the start of a line) followed by a name starts an alias; inside quotes (`'*'`) it does not.
fn has_yaml_alias(text: &str) -> bool {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(off) = b[from..].iter().position(|&c| c == b'*') {
        let i = from + off;
        from = i + 1;
        let name_len = b[i + 1..]
            .iter()
            .position(|c| c.is_ascii_whitespace() || matches!(c, b',' | b'[' | b']' | b'{' | b'}'))
            .unwrap_or(b.len() - i - 1);
        if name_len == 0 {
            continue;
        }
        let prev = b[..i].iter().rev().find(|&&c| c != b' ' && c != b'\t');
        let value_position = match prev {
            None | Some(b'\n') | Some(b'[') | Some(b'{') | Some(b',') => true,
            Some(b':') | Some(b'-') => b[..i].last().is_some_and(|&c| c == b' ' || c == b'\t'),
            _ => false,
        };
        if !value_position {
            continue;
        }
        let name = &text[i + 1..i + 1 + name_len];
        let mut anchor = String::with_capacity(name.len() + 1);
        anchor.push('&');
        anchor.push_str(name);
        if text.contains(&anchor) {
            return true;
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// pnpm-lock.yaml

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PnpmLock<'a> {
    #[serde(borrow)]
    lockfile_version: LStr<'a>,
    #[serde(borrow)]
    importers: Entries<LStr<'a>, Obj<PnpmImporter<'a>>>,
    #[serde(borrow)]
    packages: Entries<LStr<'a>, Obj<PnpmPackage<'a>>>,
    #[serde(borrow)]
    snapshots: Entries<LStr<'a>, Obj<PnpmSnapshot<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PnpmImporter<'a> {
    #[serde(borrow)]
    dependencies: Entries<LStr<'a>, DepRef<'a>>,
    #[serde(borrow)]
    optional_dependencies: Entries<LStr<'a>, DepRef<'a>>,
    #[serde(borrow)]
    dev_dependencies: Entries<LStr<'a>, DepRef<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PnpmPackage<'a> {
    #[serde(borrow)]
    name: LStr<'a>,
    #[serde(borrow)]
    version: LStr<'a>,
    dev: LBool,
    #[serde(borrow)]
    resolution: Obj<PnpmResolution<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PnpmResolution<'a> {
    #[serde(borrow)]
    tarball: LStr<'a>,
    #[serde(borrow)]
    directory: LStr<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PnpmSnapshot<'a> {
    #[serde(borrow)]
    dependencies: Entries<LStr<'a>, LStr<'a>>,
    #[serde(borrow)]
    optional_dependencies: Entries<LStr<'a>, LStr<'a>>,
}

/// An importer's dependency: `1.2.3` (v5) or `{specifier, version}` (v6, v9).
#[derive(Default)]
struct DepRef<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Lenient<'de> for DepRef<'a> {
    fn from_str(s: Cow<'de, str>) -> Self {
        DepRef(Some(s))
    }
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut found = DepRef(None);
        while let Some(key) = map.next_key::<LStr>()? {
            if key.as_str() == "version" {
                found = DepRef(map.next_value::<LStr>()?.0);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for DepRef<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientVisitor(PhantomData))
    }
}

/// One package of a pnpm lockfile.
struct PnpmNode {
    name: String,
    version: String,
    dev: bool,
}

fn parse_pnpm_lock(content: &[u8], out: &mut Collector, warnings: &mut Vec<String>) {
    let text = String::from_utf8_lossy(content);
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return;
    }
    if let Some(why) = yaml_refused(&text) {
        warnings.push(format!("pnpm-lock.yaml: {why}; file ignored"));
        return;
    }
    let lock: Obj<PnpmLock> = match yaml_serde::from_str(&text) {
        Ok(l) => l,
        Err(e) => {
            warnings.push(format!("pnpm-lock.yaml: {e}"));
            return;
        }
    };
    let Some(lock) = lock.0 else {
        warnings.push("pnpm-lock.yaml: not a lockfile (no top-level mapping)".into());
        return;
    };
    let major = lockfile_major(&lock);

    // base key (peer suffix removed) → package
    let mut nodes: HashMap<String, PnpmNode> = HashMap::new();
    let mut unreadable = 0usize;
    for (key, pkg) in &lock.packages.0 {
        let key = key.as_str();
        let empty = PnpmPackage::default();
        let pkg = pkg.0.as_ref().unwrap_or(&empty);
        if key.starts_with("file:") || key.starts_with("link:") {
            continue;
        }
        if let Some(res) = &pkg.resolution.0
            && (res.directory.non_empty().is_some() || res.tarball.as_str().starts_with("file:"))
        {
            continue;
        }
        let base = pnpm_base_key(key, major);
        let parsed = pnpm_key_name_version(base, major);
        let name = pkg.name.non_empty().or(parsed.map(|p| p.0));
        let version = match pkg.version.non_empty() {
            Some(v) => Some(v),
            None => parsed.map(|p| p.1).filter(|v| looks_like_version(v)),
        };
        let (Some(name), Some(version)) = (name, version) else {
            unreadable += 1;
            continue;
        };
        nodes.insert(
            base.to_owned(),
            PnpmNode {
                name: name.to_owned(),
                version: version.to_owned(),
                dev: pkg.dev.0,
            },
        );
    }

    if major >= 9 {
        // Every snapshot is an installed instance; `packages` may omit some (trimmed files).
        for (key, _) in &lock.snapshots.0 {
            let key = key.as_str();
            if key.starts_with("file:") || key.starts_with("link:") {
                continue;
            }
            let base = pnpm_base_key(key, major);
            if nodes.contains_key(base) {
                continue;
            }
            match pnpm_key_name_version(base, major).filter(|(_, v)| looks_like_version(v)) {
                Some((n, v)) => {
                    nodes.insert(
                        base.to_owned(),
                        PnpmNode {
                            name: n.to_owned(),
                            version: v.to_owned(),
                            dev: false,
                        },
                    );
                }
                None if key_is_local(key) => {}
                None => unreadable += 1,
            }
        }
        pnpm_v9_dev_flags(&lock, &mut nodes);
    }

    if unreadable > 0 {
        warnings.push(format!(
            "pnpm-lock.yaml: {unreadable} package key(s) without a readable name and version"
        ));
    }
    for node in nodes.values() {
        out.push(&node.name, &node.version, node.dev, None);
    }
}

/// `name@file:…` snapshot keys of local packages (v9).
fn key_is_local(key: &str) -> bool {
    split_name_at(key).is_some_and(|(_, r)| is_local_reference(r))
}

/// The major lockfile version: `5.3`/`5.4` → 5, `'6.0'` → 6, `'9.0'` → 9. Without one, the
/// shape decides (v9 has `snapshots` or `importers` with `packages` keys without a leading
/// `/`; v6 keys are `/name@1.0.0`, v5 keys `/name/1.0.0`).
fn lockfile_major(lock: &PnpmLock) -> u32 {
    let declared = lock
        .lockfile_version
        .as_str()
        .trim()
        .trim_start_matches(['v', 'V']);
    if let Some(m) = declared
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok())
    {
        return m;
    }
    if !lock.snapshots.0.is_empty() {
        return 9;
    }
    let v6_style = lock.packages.0.iter().any(|(k, _)| {
        k.as_str()
            .strip_prefix('/')
            .and_then(|k| split_name_at(k.split('(').next().unwrap_or("")))
            .is_some_and(|(n, _)| !n.contains('/') || n.starts_with('@'))
    });
    if v6_style { 6 } else { 5 }
}

/// The key without its peer-dependency suffix (`(react@18.0.0)` from v6 on, `_react@18.0.0`
/// in v5).
fn pnpm_base_key(key: &str, major: u32) -> &str {
    let key = key.split('(').next().unwrap_or(key);
    if major >= 6 {
        return key;
    }
    // v5: `/name/1.0.0_peer@1.0.0+other@2.0.0`: cut the version segment at its `_`
    let last_slash = key.rfind('/').map_or(0, |i| i + 1);
    match key[last_slash..].find('_') {
        Some(u) => &key[..last_slash + u],
        None => key,
    }
}

/// Name and version from a key without peer suffix:
/// v5 `/name/1.0.0`, `/@scope/name/1.0.0`, `registry.example/name/1.0.0`;
/// v6 `/name@1.0.0`, `/@scope/name@1.0.0`; v9 `name@1.0.0`, `@scope/name@1.0.0`.
fn pnpm_key_name_version(key: &str, major: u32) -> Option<(&str, &str)> {
    if major >= 6 {
        let key = key.strip_prefix('/').unwrap_or(key);
        return split_name_at(key);
    }
    let rest = match key.strip_prefix('/') {
        Some(r) => r,
        // a registry host first: `registry.example/name/1.0.0`
        None => {
            let (host, rest) = key.split_once('/')?;
            if !host.contains('.') {
                return None;
            }
            rest
        }
    };
    let parts: Vec<&str> = rest.splitn(4, '/').collect();
    match parts.as_slice() {
        [scope, _, version] if scope.starts_with('@') => {
            let name_len = scope.len() + 1 + parts[1].len();
            Some((&rest[..name_len], version))
        }
        [name, version] if !name.starts_with('@') => Some((name, version)),
        _ => None,
    }
}

/// The snapshot key a dependency reference points at: `1.2.3(peer@1)` under `name` is
/// `name@1.2.3(peer@1)`; an alias reference is already a key (`string-width@4.2.3`).
fn pnpm_dep_key(name: &str, reference: &str) -> Option<String> {
    if reference.is_empty() || reference.starts_with("link:") {
        return None;
    }
    let head = reference.split('(').next().unwrap_or(reference);
    let is_alias = split_name_at(head).is_some_and(|(n, _)| !n.contains(':'));
    Some(if is_alias {
        reference.to_owned()
    } else {
        format!("{name}@{reference}")
    })
}

/// v9: a package is dev when it is reachable from some importer's `devDependencies` and from
/// no importer's `dependencies` / `optionalDependencies` (through `snapshots`).
fn pnpm_v9_dev_flags(lock: &PnpmLock, nodes: &mut HashMap<String, PnpmNode>) {
    let mut graph: HashMap<&str, Vec<String>> = HashMap::with_capacity(lock.snapshots.0.len());
    for (key, snap) in &lock.snapshots.0 {
        let Some(snap) = &snap.0 else { continue };
        let targets = snap
            .dependencies
            .0
            .iter()
            .chain(&snap.optional_dependencies.0)
            .filter_map(|(n, r)| pnpm_dep_key(n.as_str(), r.as_str()))
            .collect();
        graph.insert(key.as_str(), targets);
    }
    let mut prod_roots = Vec::new();
    let mut dev_roots = Vec::new();
    for (_, importer) in &lock.importers.0 {
        let Some(imp) = &importer.0 else { continue };
        let prod = imp
            .dependencies
            .0
            .iter()
            .chain(&imp.optional_dependencies.0);
        prod_roots.extend(prod.filter_map(importer_dep_key));
        dev_roots.extend(imp.dev_dependencies.0.iter().filter_map(importer_dep_key));
    }
    if dev_roots.is_empty() {
        return;
    }
    let reach = |roots: Vec<String>| {
        let mut seen: HashSet<String> = HashSet::new();
        let mut stack = roots;
        while let Some(k) = stack.pop() {
            if seen.contains(&k) {
                continue;
            }
            if let Some(next) = graph.get(k.as_str()) {
                stack.extend(next.iter().filter(|t| !seen.contains(t.as_str())).cloned());
            }
            seen.insert(k);
        }
        seen.into_iter()
            .map(|k| pnpm_base_key(&k, 9).to_owned())
            .collect::<HashSet<String>>()
    };
    let prod = reach(prod_roots);
    let dev = reach(dev_roots);
    for (base, node) in nodes.iter_mut() {
        node.dev = dev.contains(base) && !prod.contains(base);
    }
}

fn importer_dep_key((name, reference): &(LStr, DepRef)) -> Option<String> {
    pnpm_dep_key(name.as_str(), reference.0.as_deref().unwrap_or(""))
}
