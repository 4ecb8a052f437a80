//! Rust crates.
//!
//! * **`Cargo.lock`** (`Scope::Fs` only; lockfile versions 1 to 4): every `[[package]]` with a
//!   `source` — a registry (`registry+…`, `sparse+…`) or a git repository (`git+…`). Packages
//!   without a `source` are the workspace's own members and path dependencies: a local crate is
//!   not the published crate of the same name, so they are left out (matching them against the
//!   registry's advisories would only give false positives).
//! * **Binaries built with `cargo auditable`** (any path, by content: [`parse_binary`]): the
//!   dependency list that cargo-auditable embeds, zlib-compressed JSON
//!   (`{"packages":[{"name","version","source","kind","dependencies","root"}]}`), in the
//!   section `.dep-v0` (ELF and PE) or `__DATA,.dep-v0` (Mach-O, thin or inside a universal
//!   binary). Reported: the packages compiled into the binary — `kind` absent or `runtime`;
//!   `build` packages (build scripts, proc-macros) run at build time only and are skipped — from
//!   any source except `local`: the root package when it is a local crate, and local path
//!   dependencies, for the reason above (a root package installed from a registry, as by
//!   `cargo install`, is reported). The decompressed data is bounded (8 MiB) against zip bombs.
//!
//! Rust binaries built without cargo-auditable give nothing: the crate names and versions that
//! can be seen in them (`.comment`, panic messages with registry paths) are incomplete and
//! unreliable, and no attempt is made to guess from them.

use std::borrow::Cow;
use std::io::Read;

use object::macho::{FatArch32, FatArch64};
use object::read::macho::{FatArch, MachOFatFile};
use object::{Object, ObjectSection};
use serde::Deserialize;

use super::{Ecosystem, LangPackage, Scope};

/// Largest cargo-auditable JSON accepted once decompressed (real ones are a few KiB to a few
/// hundred KiB).
const MAX_AUDIT_JSON: u64 = 8 << 20;
/// Universal Mach-O binaries: architectures looked at.
const MAX_FAT_ARCHES: usize = 16;
const SECTION: &[u8] = b".dep-v0";

/// Does the Rust cataloger want the file at `path` (`Cargo.lock`, in a source tree)?
pub fn wants(path: &str, scope: Scope) -> bool {
    scope == Scope::Fs && path.rsplit('/').next() == Some("Cargo.lock")
}

/// List the crates of a `Cargo.lock`.
pub fn parse(_path: &str, content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    let text = match std::str::from_utf8(content) {
        Ok(t) => Cow::Borrowed(t),
        Err(e) => {
            warnings.push(format!("Cargo.lock: not UTF-8 ({e}); read anyway"));
            String::from_utf8_lossy(content)
        }
    };
    let mut out = Vec::new();
    match toml::from_str::<CargoLock>(&text) {
        Ok(lock) => {
            for p in lock.package {
                push_locked(&mut out, p.name, p.version, p.source);
            }
        }
        Err(e) => {
            let msg = e.to_string();
            let first_line = msg.lines().next().unwrap_or("invalid TOML").trim();
            warnings.push(format!(
                "Cargo.lock: {first_line}; packages read line by line instead"
            ));
            scan_cargo_lock_lines(&text, &mut out);
        }
    }
    finish(out)
}

#[derive(Deserialize)]
struct CargoLock {
    #[serde(default)]
    package: Vec<LockedPackage>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: Option<String>,
    version: Option<String>,
    source: Option<String>,
}

fn push_locked(
    out: &mut Vec<LangPackage>,
    name: Option<String>,
    version: Option<String>,
    source: Option<String>,
) {
    let (Some(name), Some(version), Some(source)) = (name, version, source) else {
        return;
    };
    if name.is_empty() || version.is_empty() || source.is_empty() {
        return;
    }
    out.push(LangPackage::new(Ecosystem::Cargo, name, version));
}

/// Fallback for a `Cargo.lock` that is not valid TOML (hand-edited, merge conflict markers,
/// truncated): the `name`/`version`/`source` lines of each `[[package]]` block, as Cargo
/// writes them.
fn scan_cargo_lock_lines(text: &str, out: &mut Vec<LangPackage>) {
    let mut in_package = false;
    let (mut name, mut version, mut source) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            push_locked(out, name.take(), version.take(), source.take());
            in_package = line == "[[package]]";
            continue;
        }
        if !in_package {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let Some(value) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
            continue;
        };
        if value.contains(['"', '\\']) {
            continue;
        }
        match key.trim() {
            "name" => name = Some(value.to_owned()),
            "version" => version = Some(value.to_owned()),
            "source" => source = Some(value.to_owned()),
            _ => {}
        }
    }
    push_locked(out, name, version, source);
}

/// Sorted by (name, version), one entry per (name, version).
fn finish(mut pkgs: Vec<LangPackage>) -> Vec<LangPackage> {
    pkgs.sort_by(|a, b| {
        (a.name.as_str(), a.version.as_str()).cmp(&(b.name.as_str(), b.version.as_str()))
    });
    pkgs.dedup_by(|a, b| a.name == b.name && a.version == b.version);
    pkgs
}

/// The crates listed by cargo-auditable in an executable; `None` when `content` is not an
/// ELF, PE or Mach-O file or has no `.dep-v0` section (decided from the headers alone).
pub fn parse_binary(content: &[u8], warnings: &mut Vec<String>) -> Option<Vec<LangPackage>> {
    let compressed = find_audit_section(content)?;
    Some(decode_audit_data(compressed, warnings))
}

fn find_audit_section(content: &[u8]) -> Option<&[u8]> {
    match content.get(..4)? {
        [0x7f, b'E', b'L', b'F'] | [b'M', b'Z', _, _] => section_in(content, false),
        [0xfe, 0xed, 0xfa, 0xce | 0xcf] | [0xce | 0xcf, 0xfa, 0xed, 0xfe] => {
            section_in(content, true)
        }
        [0xca, 0xfe, 0xba, 0xbe] => fat_section::<FatArch32>(content),
        [0xca, 0xfe, 0xba, 0xbf] => fat_section::<FatArch64>(content),
        _ => None,
    }
}

/// The `.dep-v0` section of a thin ELF / PE / Mach-O file (Mach-O: in segment `__DATA`).
fn section_in(data: &[u8], macho: bool) -> Option<&[u8]> {
    let file = object::File::parse(data).ok()?;
    let section = file.sections().find(|s| {
        s.name_bytes().is_ok_and(|n| n == SECTION)
            && (!macho || s.segment_name_bytes().ok().flatten() == Some(b"__DATA"))
    })?;
    // A section whose bytes lie outside the file reads as empty: still an auditable binary.
    Some(section.data().unwrap_or(&[]))
}

/// Universal (fat) Mach-O: the first architecture that has the section. Java class files
/// share the magic `cafebabe`; they fail to parse as fat files or have no Mach-O inside.
fn fat_section<Fat: FatArch>(data: &[u8]) -> Option<&[u8]> {
    let fat = MachOFatFile::<Fat>::parse(data).ok()?;
    fat.arches().iter().take(MAX_FAT_ARCHES).find_map(|arch| {
        let arch = arch.data(data).ok()?;
        match arch.get(..4)? {
            [0xfe, 0xed, 0xfa, 0xce | 0xcf] | [0xce | 0xcf, 0xfa, 0xed, 0xfe] => {
                section_in(arch, true)
            }
            _ => None,
        }
    })
}

#[derive(Deserialize)]
struct AuditInfo<'a> {
    #[serde(borrow)]
    packages: Vec<AuditPackage<'a>>,
}

#[derive(Deserialize)]
struct AuditPackage<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    version: Cow<'a, str>,
    #[serde(borrow, default)]
    source: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
}

fn decode_audit_data(compressed: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    if compressed.is_empty() {
        warnings.push("cargo-auditable section `.dep-v0` is empty".into());
        return Vec::new();
    }
    let mut json = Vec::new();
    let mut decoder = flate2::read::ZlibDecoder::new(compressed).take(MAX_AUDIT_JSON + 1);
    if let Err(e) = decoder.read_to_end(&mut json) {
        warnings.push(format!("cargo-auditable data: cannot decompress: {e}"));
        return Vec::new();
    }
    if json.len() as u64 > MAX_AUDIT_JSON {
        warnings.push(format!(
            "cargo-auditable data: larger than {} MiB once decompressed; ignored",
            MAX_AUDIT_JSON >> 20
        ));
        return Vec::new();
    }
    let info: AuditInfo = match serde_json::from_slice(&json) {
        Ok(i) => i,
        Err(e) => {
            warnings.push(format!("cargo-auditable data: {e}"));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for p in info.packages {
        if p.kind.as_deref() == Some("build") || p.source.as_deref() == Some("local") {
            continue;
        }
        if p.name.is_empty() || p.version.is_empty() {
            continue;
        }
        out.push(LangPackage::new(Ecosystem::Cargo, p.name, p.version));
    }
    finish(out)
}
