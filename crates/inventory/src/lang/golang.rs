//! Go (`Ecosystem::Go`, names are module paths; the toolchain is `stdlib`): build info of Go
//! binaries (any path) and, in source trees, `go.mod`.
//!
//! # Binaries ([`parse_binary`])
//!
//! Go ≥ 1.13 links a build-info blob into every binary: a 32-byte header starting with the
//! 14-byte magic `\xff Go buildinf:`, aligned to 16 bytes, in the `.go.buildinfo` section (ELF),
//! the `__go_buildinfo` section (Mach-O), or at the start of the writable data (`.data` of PE
//! binaries). Header byte 14 is the pointer size, byte 15 the flags: bit 0 big-endian, bit 1
//! "strings inline" (Go ≥ 1.18), where the Go version and the module info follow the header as
//! two strings, each prefixed by its length as an unsigned varint. Before Go 1.18 the header
//! holds, at offsets 16 and 16 + pointer size, the virtual addresses of two Go string headers
//! (data pointer, length) that are resolved through the binary's segments with `object`.
//!
//! Only the first bytes decide whether a file is a candidate (ELF, Mach-O, universal Mach-O or
//! PE magic); a well-formed executable without a build-info section and without the magic in
//! the first 64 KiB of its writable data sections is not a Go binary (`None`; read-only data
//! is not searched, so a program that merely holds the magic as a constant is not mistaken for
//! one). When `object` cannot parse the headers (a damaged binary), the whole file is searched
//! for the aligned magic followed by a plausible header (pointer size 4 or 8, known flags).
//!
//! The module info (between two 16-byte sentinels, stripped) is read line by line:
//! `path` (ignored), `mod <path> <version> [<sum>]` — the main module, listed only when its
//! version is real (not `(devel)`, which `go build` stamps on local builds before Go 1.24) —,
//! `dep <path> <version> [<sum>]`, and `=> <path> <version> [<sum>]`, which replaces the
//! preceding `dep` (or `mod`): the replacement's path and version are listed; a replacement by
//! a local directory has no version, and the module is then skipped (nothing can be matched).
//! `build` lines are ignored. `stdlib` is listed with the first word of the Go version as
//! written (`go1.21.3`; an experiment suffix ` X:boringcrypto` is dropped); a development
//! toolchain (`devel go1.22-…`) has no release version and gives no `stdlib`.
//!
//! Damaged build info gives a warning and whatever could be read (the Go version first).
//! Nothing is allocated from sizes read in the file: strings are slices of the input, bounded
//! by it.
//!
//! # `go.mod` (source trees only)
//!
//! `require` (single line and block), `replace` (module-wide and version-specific, the latter
//! taking precedence; a replacement by a local path drops the module), `exclude`, `retract`,
//! `godebug`, `tool`, `ignore` and the `module` line are read or skipped per the go.mod
//! reference; quoted paths and `//` comments (`// indirect`) are understood. `go.sum` is not a
//! package list (it holds versions never built) and is not read.
//!
//! `stdlib` is listed from the `toolchain` directive (`toolchain go1.21.3`): it names the
//! exact toolchain release the module asks for, which the go command switches to when the
//! local one is older (the default `GOTOOLCHAIN=auto`). The `go` directive is *not* used: it is
//! the minimum language version (`go 1.21`, often without a patch release), and builds use a
//! newer toolchain most of the time, so advisories matched against it would mostly be false
//! positives.

use std::collections::HashMap;

use super::{Ecosystem, LangPackage, Scope};

const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
const HEADER_LEN: usize = 32;
/// How much of a data section is searched for the magic when there is no build-info section.
const SEARCH_WINDOW: usize = 64 * 1024;
/// Longest string accepted from the pointer-format (pre-1.18) header.
const MAX_STRING: u64 = 16 << 20;
/// Sentinels around the module info.
const MODINFO_START: &[u8; 16] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
const MODINFO_END: &[u8; 16] = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";

fn file_name(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

pub fn wants(path: &str, scope: Scope) -> bool {
    scope == Scope::Fs && file_name(path) == "go.mod"
}

pub fn parse(path: &str, content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    if file_name(path) == "go.mod" {
        finish(parse_go_mod(content, warnings))
    } else {
        Vec::new()
    }
}

fn go_pkg(name: &str, version: &str) -> LangPackage {
    LangPackage::new(Ecosystem::Go, name, version)
}

fn finish(mut pkgs: Vec<LangPackage>) -> Vec<LangPackage> {
    pkgs.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    pkgs.dedup_by(|a, b| a.name == b.name && a.version == b.version);
    pkgs
}

// ---------------------------------------------------------------------------------------------
// Binaries

#[derive(Clone, Copy, PartialEq, Eq)]
enum ExecKind {
    Elf,
    MachO,
    MachOFat,
    Pe,
}

fn exec_kind(content: &[u8]) -> Option<ExecKind> {
    let head: [u8; 4] = content.get(..4)?.try_into().ok()?;
    match head {
        [0x7f, b'E', b'L', b'F'] => Some(ExecKind::Elf),
        [0xfe, 0xed, 0xfa, 0xce | 0xcf] | [0xce | 0xcf, 0xfa, 0xed, 0xfe] => Some(ExecKind::MachO),
        // also the magic of Java class files: the fat parser rejects those
        [0xca, 0xfe, 0xba, 0xbe] => Some(ExecKind::MachOFat),
        [b'M', b'Z', _, _] => Some(ExecKind::Pe),
        _ => None,
    }
}

/// Go build info of an executable, or None when the content is not a Go binary.
pub fn parse_binary(content: &[u8], warnings: &mut Vec<String>) -> Option<Vec<LangPackage>> {
    match exec_kind(content)? {
        ExecKind::MachOFat => {
            // a universal binary: the first architecture that has build info
            let arches: Vec<&[u8]> = fat_slices(content)?;
            arches
                .into_iter()
                .filter(|slice| exec_kind(slice) == Some(ExecKind::MachO))
                .find_map(|slice| parse_single(slice, warnings))
        }
        _ => parse_single(content, warnings),
    }
}

fn fat_slices(content: &[u8]) -> Option<Vec<&[u8]>> {
    use object::read::macho::{FatArch, MachOFatFile32, MachOFatFile64};
    if let Ok(fat) = MachOFatFile32::parse(content) {
        return Some(
            fat.arches()
                .iter()
                .filter_map(|a| a.data(content).ok())
                .collect(),
        );
    }
    if let Ok(fat) = MachOFatFile64::parse(content) {
        return Some(
            fat.arches()
                .iter()
                .filter_map(|a| a.data(content).ok())
                .collect(),
        );
    }
    None
}

fn parse_single(content: &[u8], warnings: &mut Vec<String>) -> Option<Vec<LangPackage>> {
    match object::File::parse(content) {
        Ok(file) => {
            let blob = find_in_object(&file)?;
            Some(decode(blob, Some(&file), warnings))
        }
        Err(_) => {
            // damaged headers: search the whole file
            let at = find_aligned_magic(content, content.len(), true)?;
            Some(decode(&content[at..], None, warnings))
        }
    }
}

/// The build-info blob (from the magic to the end of its section) of a parsed executable.
fn find_in_object<'d>(file: &object::File<'d>) -> Option<&'d [u8]> {
    use object::{Object, ObjectSection, SectionKind};
    for name in [".go.buildinfo", "__go_buildinfo"] {
        if let Some(sec) = file.section_by_name(name)
            && let Ok(data) = sec.data()
            && let Some(at) = find_aligned_magic(data, SEARCH_WINDOW, false)
        {
            return Some(&data[at..]);
        }
    }
    // no dedicated section (PE before Go 1.18, or renamed sections): the start of the
    // writable data, where the Go linker puts it (read-only data is not searched: a program
    // that merely contains the magic as a constant, such as a scanner, keeps it there)
    for sec in file.sections() {
        if sec.kind() != SectionKind::Data {
            continue;
        }
        if let Ok(data) = sec.data()
            && let Some(at) = find_aligned_magic(data, SEARCH_WINDOW, true)
        {
            return Some(&data[at..]);
        }
    }
    None
}

/// Offset of the magic at a 16-byte-aligned position within the first `window` bytes. Outside
/// the dedicated section (`strict`), the header must also be plausible: pointer size 4 or 8
/// and no unknown flag.
fn find_aligned_magic(data: &[u8], window: usize, strict: bool) -> Option<usize> {
    let hay = &data[..data.len().min(window.saturating_add(MAGIC.len()))];
    memchr::memmem::find_iter(hay, MAGIC).find(|&at| {
        at % 16 == 0
            && (!strict
                || (matches!(data.get(at + 14), Some(4 | 8))
                    && data.get(at + 15).is_some_and(|f| f & !3 == 0)))
    })
}

/// A string read from the build info, or why it could not be.
type StrResult<'b> = Result<&'b [u8], String>;

/// Decode the blob starting with the magic.
fn decode(
    blob: &[u8],
    file: Option<&object::File<'_>>,
    warnings: &mut Vec<String>,
) -> Vec<LangPackage> {
    if blob.len() < HEADER_LEN {
        warnings.push("Go build info: truncated header".to_owned());
        return Vec::new();
    }
    let ptr_size = blob[14];
    let flags = blob[15];
    let (version, modinfo): (StrResult, StrResult) = if flags & 2 != 0 {
        let mut at = HEADER_LEN;
        let v = read_varint_string(blob, &mut at);
        let m = match v {
            Ok(_) => read_varint_string(blob, &mut at),
            Err(_) => Err("not read".to_owned()),
        };
        (v, m)
    } else {
        let Some(file) = file else {
            warnings.push(
                "Go build info (pre-1.18 layout): the binary's headers are damaged, \
                 its addresses cannot be resolved"
                    .to_owned(),
            );
            return Vec::new();
        };
        let big_endian = flags & 1 != 0;
        if ptr_size != 4 && ptr_size != 8 {
            warnings.push(format!("Go build info: invalid pointer size {ptr_size}"));
            return Vec::new();
        }
        let ps = ptr_size as usize;
        let read_ptr = |b: &[u8]| -> Option<u64> {
            let b = b.get(..ps)?;
            Some(match (ps, big_endian) {
                (4, false) => u32::from_le_bytes(b.try_into().ok()?) as u64,
                (4, true) => u32::from_be_bytes(b.try_into().ok()?) as u64,
                (_, false) => u64::from_le_bytes(b.try_into().ok()?),
                (_, true) => u64::from_be_bytes(b.try_into().ok()?),
            })
        };
        let read_string = |hdr_addr: Option<u64>| -> Result<&[u8], String> {
            let hdr_addr = hdr_addr.ok_or("truncated header")?;
            let hdr = map_address(file, hdr_addr, 2 * ps as u64)
                .ok_or_else(|| format!("string header at {hdr_addr:#x} is not in the file"))?;
            let data_addr = read_ptr(hdr).ok_or("truncated string header")?;
            let len = read_ptr(&hdr[ps..]).ok_or("truncated string header")?;
            if len > MAX_STRING {
                return Err(format!("string length {len} is implausible"));
            }
            if len == 0 {
                return Ok(&[]);
            }
            map_address(file, data_addr, len)
                .ok_or_else(|| format!("string data at {data_addr:#x} is not in the file"))
        };
        let v = read_string(read_ptr(&blob[16..]));
        let m = match v {
            Ok(_) => read_string(read_ptr(&blob[16 + ps..])),
            Err(_) => Err("not read".to_owned()),
        };
        (v, m)
    };

    let mut out = Vec::new();
    match version {
        Ok(v) => {
            let v = String::from_utf8_lossy(v);
            match v.split_whitespace().next() {
                Some(w) if w.starts_with("go") && w.len() > 2 => out.push(go_pkg("stdlib", w)),
                Some("devel") => {}
                _ => warnings.push(format!("Go build info: unexpected Go version {v:?}")),
            }
        }
        Err(e) => {
            warnings.push(format!("Go build info: Go version not readable: {e}"));
            return out;
        }
    }
    match modinfo {
        Ok(m) => parse_modinfo(strip_sentinels(m), &mut out, warnings),
        Err(e) => warnings.push(format!("Go build info: module info not readable: {e}")),
    }
    finish(out)
}

/// `len` bytes at virtual address `addr`, from the segment (or section) containing them.
fn map_address<'d>(file: &object::File<'d>, addr: u64, len: u64) -> Option<&'d [u8]> {
    use object::{Object, ObjectSection, ObjectSegment};
    for seg in file.segments() {
        if let Ok(Some(d)) = seg.data_range(addr, len) {
            return Some(d);
        }
    }
    for sec in file.sections() {
        if let Ok(Some(d)) = sec.data_range(addr, len) {
            return Some(d);
        }
    }
    None
}

fn read_varint_string<'b>(blob: &'b [u8], at: &mut usize) -> Result<&'b [u8], String> {
    let mut len: u64 = 0;
    let mut shift = 0u32;
    loop {
        let b = *blob.get(*at).ok_or("truncated length")?;
        *at += 1;
        if shift >= 64 || (shift == 63 && b > 1) {
            return Err("length overflows".to_owned());
        }
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let end = u64::try_from(*at)
        .ok()
        .and_then(|a| a.checked_add(len))
        .filter(|&e| e <= blob.len() as u64)
        .ok_or_else(|| format!("string of {len} bytes runs past the end of the data"))?
        as usize;
    let s = &blob[*at..end];
    *at = end;
    Ok(s)
}

fn strip_sentinels(m: &[u8]) -> &[u8] {
    if m.len() >= 32 && m.starts_with(MODINFO_START) && m.ends_with(MODINFO_END) {
        &m[16..m.len() - 16]
    } else if m.len() >= 33 && m[m.len() - 17] == b'\n' {
        // other sentinels, same layout
        &m[16..m.len() - 16]
    } else {
        m
    }
}

fn is_local_path(p: &str) -> bool {
    p.starts_with("./")
        || p.starts_with("../")
        || p.starts_with('/')
        || p == "."
        || p == ".."
        || p.starts_with(".\\")
        || p.starts_with("..\\")
        || p.as_bytes().get(1..3) == Some(b":\\")
}

fn parse_modinfo(m: &[u8], out: &mut Vec<LangPackage>, warnings: &mut Vec<String>) {
    let text = String::from_utf8_lossy(m);
    // (path, version, is main module)
    let mut mods: Vec<(String, String, bool)> = Vec::new();
    // the module a `=>` line replaces: the one on the line just before
    let mut target: Option<usize> = None;
    let mut bad = 0usize;
    for line in text.lines() {
        let mut f = line.split('\t');
        let kind = f.next().unwrap_or("");
        if !matches!(kind, "mod" | "dep" | "=>") {
            // path, build, blank lines and future keys
            target = None;
            continue;
        }
        let path = f.next().unwrap_or("").trim();
        let version = f.next().unwrap_or("").trim();
        if kind == "=>" {
            match target.take() {
                Some(i) if !path.is_empty() => {
                    // no version: a local directory; the module is skipped below
                    mods[i].0 = path.to_owned();
                    mods[i].1 = version.to_owned();
                }
                _ => bad += 1,
            }
            continue;
        }
        if path.is_empty() || (kind == "dep" && version.is_empty()) {
            bad += 1;
            target = None;
            continue;
        }
        mods.push((path.to_owned(), version.to_owned(), kind == "mod"));
        target = Some(mods.len() - 1);
    }
    if bad > 0 {
        warnings.push(format!(
            "Go build info: {bad} malformed module line(s) ignored"
        ));
    }
    for (path, version, main) in mods {
        if version.is_empty() || is_local_path(&path) {
            continue;
        }
        if main && version == "(devel)" {
            continue;
        }
        out.push(go_pkg(&path, &version));
    }
}

// ---------------------------------------------------------------------------------------------
// go.mod

/// Tokens of one go.mod line, without its `//` comment. Quoted strings ("…" with escapes,
/// `…` raw) are single tokens; `(`, `)` and `=>` are tokens.
fn tokenize(line: &str) -> Result<Vec<String>, &'static str> {
    let mut toks = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if line[i..].starts_with("//") {
            break;
        } else if c == '(' || c == ')' {
            toks.push(c.to_string());
            chars.next();
        } else if line[i..].starts_with("=>") {
            toks.push("=>".to_owned());
            chars.next();
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::new();
            let mut closed = false;
            while let Some((_, c)) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => {
                        if let Some((_, e)) = chars.next() {
                            s.push(match e {
                                'n' => '\n',
                                't' => '\t',
                                other => other,
                            });
                        }
                    }
                    _ => s.push(c),
                }
            }
            if !closed {
                return Err("unterminated quoted string");
            }
            toks.push(s);
        } else if c == '`' {
            chars.next();
            let mut s = String::new();
            let mut closed = false;
            for (_, c) in chars.by_ref() {
                if c == '`' {
                    closed = true;
                    break;
                }
                s.push(c);
            }
            if !closed {
                return Err("unterminated raw string");
            }
            toks.push(s);
        } else {
            let mut s = String::new();
            while let Some(&(j, c)) = chars.peek() {
                if c.is_whitespace()
                    || c == '('
                    || c == ')'
                    || c == '"'
                    || c == '`'
                    || line[j..].starts_with("//")
                    || line[j..].starts_with("=>")
                {
                    break;
                }
                s.push(c);
                chars.next();
            }
            toks.push(s);
        }
    }
    Ok(toks)
}

struct Replace {
    new_path: String,
    new_version: Option<String>,
}

fn parse_go_mod(content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let text = String::from_utf8_lossy(content);
    let mut requires: Vec<(String, String)> = Vec::new();
    // (old path, old version or None for every version) → replacement; the last one wins
    let mut replaces: HashMap<(String, Option<String>), Replace> = HashMap::new();
    let mut toolchain: Option<String> = None;
    let mut block: Option<String> = None;
    let mut bad: Vec<usize> = Vec::new();

    for (n, line) in text.lines().enumerate() {
        let toks = match tokenize(line) {
            Ok(t) => t,
            Err(_) => {
                bad.push(n + 1);
                continue;
            }
        };
        if toks.is_empty() {
            continue;
        }
        let (verb, args): (&str, &[String]) = match &block {
            Some(v) => {
                if toks.len() == 1 && toks[0] == ")" {
                    block = None;
                    continue;
                }
                (v.as_str(), &toks[..])
            }
            None => {
                if toks.len() == 2 && toks[1] == "(" {
                    block = Some(toks[0].clone());
                    continue;
                }
                if toks.len() == 3 && toks[1] == "(" && toks[2] == ")" {
                    continue; // `require ()`
                }
                (toks[0].as_str(), &toks[1..])
            }
        };
        let ok = match verb {
            "require" => match args {
                [path, version] => {
                    requires.push((path.clone(), version.clone()));
                    true
                }
                _ => false,
            },
            "replace" => {
                let arrow = args.iter().position(|t| t == "=>");
                match arrow {
                    Some(a)
                        if (a == 1 || a == 2)
                            && (args.len() - a - 1 == 1 || args.len() - a - 1 == 2) =>
                    {
                        replaces.insert(
                            (args[0].clone(), (a == 2).then(|| args[1].clone())),
                            Replace {
                                new_path: args[a + 1].clone(),
                                new_version: args.get(a + 2).cloned(),
                            },
                        );
                        true
                    }
                    _ => false,
                }
            }
            "toolchain" => match args {
                [t] => {
                    toolchain = Some(t.clone());
                    true
                }
                _ => false,
            },
            // read but not cataloged
            "module" | "go" | "exclude" | "retract" | "godebug" | "tool" | "ignore" => true,
            _ => false,
        };
        if !ok {
            bad.push(n + 1);
        }
    }
    if let Some(v) = block {
        warnings.push(format!("unterminated {v} block"));
    }
    if !bad.is_empty() {
        warnings.push(format!(
            "{} malformed line(s) ignored (first at line {})",
            bad.len(),
            bad[0]
        ));
    }

    let mut out = Vec::new();
    for (path, version) in requires {
        let replacement = replaces
            .get(&(path.clone(), Some(version.clone())))
            .or_else(|| replaces.get(&(path.clone(), None)));
        match replacement {
            Some(r) => match &r.new_version {
                Some(v) if !is_local_path(&r.new_path) => out.push(go_pkg(&r.new_path, v)),
                _ => {} // local directory
            },
            None => out.push(go_pkg(&path, &version)),
        }
    }
    if let Some(t) = toolchain
        && t.starts_with("go1")
    {
        out.push(go_pkg("stdlib", &t));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert_eq!(
            tokenize(r#"require "example.com/m" v1.0.0 // indirect"#).unwrap(),
            ["require", "example.com/m", "v1.0.0"]
        );
        assert_eq!(
            tokenize("replace a=>b v1 // c").unwrap(),
            ["replace", "a", "=>", "b", "v1"]
        );
        assert_eq!(tokenize("require (").unwrap(), ["require", "("]);
        assert_eq!(tokenize("  `raw path` v1").unwrap(), ["raw path", "v1"]);
        assert!(tokenize("require \"x").is_err());
        assert!(tokenize("// only a comment").unwrap().is_empty());
    }

    #[test]
    fn varints() {
        let mut at = 0;
        assert_eq!(read_varint_string(b"\x03abcd", &mut at).unwrap(), b"abc");
        assert_eq!(at, 4);
        let mut at = 0;
        assert!(read_varint_string(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", &mut at).is_err());
        let mut at = 0;
        assert!(read_varint_string(b"\x80\x80", &mut at).is_err());
        let mut at = 0;
        assert!(read_varint_string(b"\x05ab", &mut at).is_err());
    }

    #[test]
    fn not_binaries() {
        let mut w = Vec::new();
        assert!(parse_binary(b"", &mut w).is_none());
        assert!(parse_binary(b"#!/bin/sh\necho hi\n", &mut w).is_none());
        assert!(parse_binary(b"\x7fELF", &mut w).is_none());
        // a Java class file shares the universal Mach-O magic
        assert!(parse_binary(b"\xca\xfe\xba\xbe\x00\x00\x00\x34rest", &mut w).is_none());
        assert!(w.is_empty());
    }
}
