//! Rust cataloger: `Cargo.lock` (v1–v4) and cargo-auditable binaries (`.dep-v0`).
//!
//! Inputs:
//! 1. `Cargo.lock` files and small binaries written by this test (marked "hand-written"): the
//!    binaries are real ELF, Mach-O (thin and universal) and PE files laid out with the
//!    `object` crate's writers, carrying a `.dep-v0` section in the format cargo-auditable
//!    writes (zlib-compressed JSON), also corrupted and zip-bomb variants;
//! 2. the real `Cargo.lock` files and the real cargo-auditable binaries of the peer scanners'
//!    test suites (`../shared/fixtures/osv-scalibr-extractor-testdata.tar.gz`:
//!    `extractor/filesystem/language/rust/cargoauditable/testdata/{no_deps,uses_serde_json}`
//!    are x86-64 ELF executables built with `cargo auditable`;
//!    `osv-scanner-lockfile-fixtures.tar.gz`), read from the bundles at test time;
//! 3. hostile inputs, which must give a warning (or `None` for a non-binary), no panic, fast.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use drydock_inventory::lang::{Ecosystem, LangPackage, Scope, rust};
use object::write::{Object, StandardSection};
use object::{Architecture, BinaryFormat, Endianness, SectionKind};

// ---------------------------------------------------------------------------------------------
// helpers

fn ids(pkgs: &[LangPackage]) -> Vec<String> {
    pkgs.iter()
        .map(|p| {
            assert_eq!(p.ecosystem, Ecosystem::Cargo);
            assert!(!p.dev && p.inner_path.is_none() && p.license.is_none());
            format!("{}@{}", p.name, p.version)
        })
        .collect()
}

fn lock(content: &str) -> (Vec<String>, Vec<String>) {
    let mut warnings = Vec::new();
    let pkgs = rust::parse("src/app/Cargo.lock", content.as_bytes(), &mut warnings);
    (ids(&pkgs), warnings)
}

fn binary(content: &[u8]) -> (Option<Vec<String>>, Vec<String>) {
    let mut warnings = Vec::new();
    let pkgs = rust::parse_binary(content, &mut warnings);
    (pkgs.map(|p| ids(&p)), warnings)
}

fn assert_fast(what: &str, start: Instant) {
    let took = start.elapsed();
    assert!(took < Duration::from_secs(10), "{what}: {took:?}");
}

/// The files under `prefixes` in a fixture bundle of `../shared/fixtures`, read from the
/// tar.gz at test time (in memory: nothing is written).
fn bundle_files(bundle: &str, prefixes: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let path = drydock_testkit::shared_dir().join("fixtures").join(bundle);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        if prefixes.iter().any(|p| name.starts_with(p)) {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            out.insert(name, data);
        }
    }
    out
}

const RUST: &str = "extractor/filesystem/language/rust/";

fn scalibr_rust() -> &'static BTreeMap<String, Vec<u8>> {
    static FILES: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| bundle_files("osv-scalibr-extractor-testdata.tar.gz", &[RUST]))
}

fn scalibr_file(rel: &str) -> &'static [u8] {
    scalibr_rust()
        .get(&format!("{RUST}{rel}"))
        .unwrap_or_else(|| panic!("{rel} not in the bundle"))
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A relocatable ELF or Mach-O object with some code and a `.dep-v0` section (Mach-O: in
/// `__DATA`, as cargo-auditable puts it).
fn object_with_section(format: BinaryFormat, segment: &[u8], section: &[u8]) -> Vec<u8> {
    let mut obj = Object::new(format, Architecture::X86_64, Endianness::Little);
    let text = obj.section_id(StandardSection::Text);
    obj.append_section_data(text, &[0xc3], 16);
    let id = obj.add_section(
        segment.to_vec(),
        b".dep-v0".to_vec(),
        SectionKind::ReadOnlyData,
    );
    obj.append_section_data(id, section, 1);
    obj.write().unwrap()
}

fn elf(section: &[u8]) -> Vec<u8> {
    object_with_section(BinaryFormat::Elf, b"", section)
}

fn macho(section: &[u8]) -> Vec<u8> {
    object_with_section(BinaryFormat::MachO, b"__DATA", section)
}

/// A universal binary holding `thin` (one architecture, 32-bit fat header).
fn fat(thin: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xcafe_babe_u32.to_be_bytes());
    out.extend_from_slice(&1u32.to_be_bytes()); // nfat_arch
    out.extend_from_slice(&0x0100_0007_u32.to_be_bytes()); // CPU_TYPE_X86_64
    out.extend_from_slice(&3u32.to_be_bytes()); // CPU_SUBTYPE_X86_64_ALL
    out.extend_from_slice(&4096u32.to_be_bytes()); // offset
    out.extend_from_slice(&(thin.len() as u32).to_be_bytes());
    out.extend_from_slice(&12u32.to_be_bytes()); // align 2^12
    out.resize(4096, 0);
    out.extend_from_slice(thin);
    out
}

/// A PE32+ executable with a `.text` and a `.dep-v0` section.
fn pe(section: &[u8]) -> Vec<u8> {
    use object::pe;
    use object::write::pe::{NtHeaders, Writer};
    let mut buf = Vec::new();
    let mut w = Writer::new(true, 0x1000, 0x200, &mut buf);
    w.reserve_dos_header_and_stub();
    w.reserve_nt_headers(16);
    w.reserve_section_headers(2);
    let text = w.reserve_text_section(1);
    let dep = w.reserve_section(
        *b".dep-v0\0",
        pe::IMAGE_SCN_CNT_INITIALIZED_DATA | pe::IMAGE_SCN_MEM_READ,
        section.len() as u32,
        section.len() as u32,
    );
    w.write_dos_header_and_stub().unwrap();
    w.write_nt_headers(NtHeaders {
        machine: pe::IMAGE_FILE_MACHINE_AMD64,
        time_date_stamp: 0,
        characteristics: pe::IMAGE_FILE_EXECUTABLE_IMAGE | pe::IMAGE_FILE_LARGE_ADDRESS_AWARE,
        major_linker_version: 14,
        minor_linker_version: 0,
        address_of_entry_point: text.virtual_address,
        image_base: 0x1_4000_0000,
        major_operating_system_version: 6,
        minor_operating_system_version: 0,
        major_image_version: 0,
        minor_image_version: 0,
        major_subsystem_version: 6,
        minor_subsystem_version: 0,
        subsystem: pe::IMAGE_SUBSYSTEM_WINDOWS_CUI,
        dll_characteristics: Default::default(),
        size_of_stack_reserve: 0x10_0000,
        size_of_stack_commit: 0x1000,
        size_of_heap_reserve: 0x10_0000,
        size_of_heap_commit: 0x1000,
    });
    w.write_section_headers();
    w.write_section(text.file_offset, &[0xc3]);
    w.write_section(dep.file_offset, section);
    buf
}

/// cargo-auditable JSON (hand-written, in the format of auditable-serde 0.8): a binary `tool`
/// from a registry (as `cargo install` builds it), runtime and build dependencies, a git and a
/// local path dependency.
const AUDIT_JSON: &str = r#"{"packages":[
  {"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"},
  {"name":"libc","version":"0.2.150","source":"crates.io"},
  {"name":"local-helper","version":"0.1.0","source":"local"},
  {"name":"openssl-sys","version":"0.9.96","source":"crates.io","dependencies":[0,1]},
  {"name":"serde_derive","version":"1.0.193","source":"crates.io","kind":"build"},
  {"name":"serde","version":"1.0.193","source":"crates.io","kind":"runtime","dependencies":[4]},
  {"name":"forked","version":"2.0.0","source":"git"},
  {"name":"private","version":"3.1.4","source":"registry"},
  {"name":"tool","version":"0.5.0","source":"crates.io","dependencies":[1,2,3,5,6,7],"root":true},
  {"name":"libc","version":"0.2.150","source":"crates.io"}
]}"#;

/// What [`AUDIT_JSON`] gives: no `cc`, `serde_derive` (build), `local-helper` (local).
const AUDIT_WANT: [&str; 6] = [
    "forked@2.0.0",
    "libc@0.2.150",
    "openssl-sys@0.9.96",
    "private@3.1.4",
    "serde@1.0.193",
    "tool@0.5.0",
];

// ---------------------------------------------------------------------------------------------
// wants

#[test]
fn wants_cargo_lock_in_source_trees_only() {
    for p in [
        "Cargo.lock",
        "src/app/Cargo.lock",
        "home/u/.cargo/registry/src/x/foo-1.0/Cargo.lock",
    ] {
        assert!(rust::wants(p, Scope::Fs), "{p}");
        assert!(!rust::wants(p, Scope::Image), "{p}");
    }
    for p in [
        "Cargo.toml",
        "app/cargo.lock",
        "app/Cargo.lock.orig",
        "app/XCargo.lock",
        "",
        "app/Cargo.lock/x",
    ] {
        assert!(!rust::wants(p, Scope::Fs), "{p}");
        assert!(!rust::wants(p, Scope::Image), "{p}");
    }
}

// ---------------------------------------------------------------------------------------------
// Cargo.lock (hand-written)

#[test]
fn cargo_lock_v1() {
    // hand-written, lockfile v1 as Cargo 1.40 wrote it: checksums in [metadata], a [root]
    // table in the oldest files
    let (pkgs, warnings) = lock(
        r#"[root]
name = "app"
version = "0.1.0"
dependencies = [
 "libc 0.2.66 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "libc 0.2.66 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "libc"
version = "0.2.66"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum libc 0.2.66 (registry+https://github.com/rust-lang/crates.io-index)" = "d515b1f41455adea1313a4a2ac8a8a477634fbae63cc6100e3aebb207ce61558"
"#,
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(pkgs, ["libc@0.2.66"]);
}

#[test]
fn cargo_lock_v3_v4_sources() {
    // hand-written, lockfile v4 as Cargo 1.83 writes it
    let (pkgs, warnings) = lock(
        r#"# This file is automatically @generated by Cargo.
# It is not intended for manual editing.
version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "helper",
 "serde 1.0.193",
 "serde 1.0.100",
 "forked",
 "private",
]

[[package]]
name = "helper"
version = "0.2.0"

[[package]]
name = "serde"
version = "1.0.193"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "25dd9975e68d0cb5aa1120c288333fc98731bd1dd12f561e468ea4728c042b89"

[[package]]
name = "serde"
version = "1.0.100"
source = "sparse+https://index.example.com/"
checksum = "f4473e8506b213730ff2061073b48fa51dcc66349219e2e7c5608f0296a1d95a"

[[package]]
name = "forked"
version = "2.0.0"
source = "git+https://github.com/o/forked?branch=main#0123456789abcdef0123456789abcdef01234567"

[[package]]
name = "private"
version = "3.1.4+build.5"
source = "registry+https://registry.example.com/index"

[[package]]
name = "serde"
version = "1.0.193"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "no-version"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "empty-source"
version = "1.0.0"
source = ""
"#,
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        pkgs,
        [
            "forked@2.0.0",
            "private@3.1.4+build.5",
            "serde@1.0.100",
            "serde@1.0.193"
        ]
    );
}

#[test]
fn cargo_lock_invalid_toml_read_line_by_line() {
    // hand-written: a merge conflict left in the file
    let (pkgs, warnings) = lock(
        r#"version = 3

[[package]]
name = "anyhow"
version = "1.0.75"
source = "registry+https://github.com/rust-lang/crates.io-index"

<<<<<<< HEAD
[[package]]
name = "libc"
version = "0.2.150"
source = "registry+https://github.com/rust-lang/crates.io-index"
=======
[[package]]
name = "libc"
version = "0.2.149"
source = "registry+https://github.com/rust-lang/crates.io-index"
>>>>>>> branch

[[package]]
name = "local"
version = "0.1.0"

[metadata]
name = "not-a-package"
version = "9"
source = "x"
"#,
    );
    assert_eq!(pkgs, ["anyhow@1.0.75", "libc@0.2.149", "libc@0.2.150"]);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("Cargo.lock: TOML parse error"),
        "{warnings:?}"
    );
    assert!(
        warnings[0].ends_with("; packages read line by line instead"),
        "{warnings:?}"
    );
}

#[test]
fn cargo_lock_odd_inputs() {
    // hand-written
    assert_eq!(lock(""), (vec![], vec![]));
    assert_eq!(lock("version = 3\n"), (vec![], vec![]));
    // a BOM
    let (pkgs, warnings) = lock(
        "\u{feff}[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"git+https://x#1\"\n",
    );
    assert_eq!((pkgs, warnings.len()), (vec!["a@1.0.0".to_string()], 0));
    // `package` of the wrong type: invalid for Cargo, read line by line (nothing)
    let (pkgs, warnings) = lock("package = 3\n");
    assert!(pkgs.is_empty());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    // invalid UTF-8
    let mut warnings = Vec::new();
    let pkgs = rust::parse(
        "Cargo.lock",
        b"[[package]]\nname = \"a\xff\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n",
        &mut warnings,
    );
    assert_eq!(ids(&pkgs), ["a\u{fffd}@1.0.0"]);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("Cargo.lock: not UTF-8"),
        "{warnings:?}"
    );
}

#[test]
fn real_cargo_locks() {
    let mut s = String::new();
    let mut n = 0;
    for (name, data) in scalibr_rust().range(format!("{RUST}cargolock/")..) {
        if !name.starts_with(&format!("{RUST}cargolock/")) {
            break;
        }
        n += 1;
        let mut warnings = Vec::new();
        let pkgs = rust::parse("Cargo.lock", data, &mut warnings);
        writeln!(s, "== {}", name.trim_start_matches(RUST)).unwrap();
        for id in ids(&pkgs) {
            writeln!(s, "{id}").unwrap();
        }
        for w in &warnings {
            writeln!(s, "warning: {w}").unwrap();
        }
    }
    let scanner = bundle_files("osv-scanner-lockfile-fixtures.tar.gz", &["cmd/"]);
    for (name, data) in scanner.iter().filter(|(n, _)| n.ends_with("/Cargo.lock")) {
        n += 1;
        let mut warnings = Vec::new();
        let pkgs = rust::parse("Cargo.lock", data, &mut warnings);
        writeln!(s, "== {name}").unwrap();
        for id in ids(&pkgs) {
            writeln!(s, "{id}").unwrap();
        }
        for w in &warnings {
            writeln!(s, "warning: {w}").unwrap();
        }
    }
    assert_eq!(n, 12);
    insta::assert_snapshot!("real_cargo_lock", s);
}

#[test]
fn hostile_cargo_locks() {
    let deep = format!("a = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let deep_tables = format!("a = {}1{}\n", "{b = ".repeat(50_000), "}".repeat(50_000));
    let long = format!(
        "[[package]]\nname = \"{}\"\nversion = \"1\"\nsource = \"r\"\n",
        "x".repeat(8 << 20)
    );
    let many = "[[package]]\nname = \"a\"\nversion = \"1\"\nsource = \"r\"\n".repeat(50_000);
    for (input, want_pkgs, want_warnings) in [
        (&deep, 0, 1),
        (&deep_tables, 0, 1),
        (&long, 1, 0),
        (&many, 1, 0),
    ] {
        let start = Instant::now();
        let (pkgs, warnings) = lock(input);
        assert_eq!(pkgs.len(), want_pkgs);
        assert_eq!(warnings.len(), want_warnings, "{warnings:?}");
        assert_fast("Cargo.lock", start);
    }
}

// ---------------------------------------------------------------------------------------------
// cargo-auditable binaries

#[test]
fn real_auditable_binaries() {
    // `uses_serde_json` depends on serde_json (serde with the `derive` feature, so serde_derive
    // and its proc-macro dependencies are recorded as regular dependencies by that
    // cargo-auditable version); the root `uses_json` is local.
    let (pkgs, warnings) = binary(scalibr_file(
        "cargoauditable/testdata/uses_serde_json/uses_serde_json",
    ));
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        pkgs.unwrap(),
        [
            "itoa@1.0.14",
            "memchr@2.7.4",
            "proc-macro2@1.0.92",
            "quote@1.0.38",
            "ryu@1.0.18",
            "serde@1.0.217",
            "serde_derive@1.0.217",
            "serde_json@1.0.135",
            "syn@2.0.95",
            "unicode-ident@1.0.14",
        ]
    );
    // a binary without dependencies: auditable (Some), nothing but its local root
    let (pkgs, warnings) = binary(scalibr_file("cargoauditable/testdata/no_deps/no_deps"));
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(pkgs, Some(vec![]));
    // a shell script
    let (pkgs, warnings) = binary(scalibr_file(
        "cargoauditable/testdata/not_binary/not_binary",
    ));
    assert_eq!((pkgs, warnings.len()), (None, 0));
}

#[test]
fn non_auditable_executables_are_none() {
    // this test program: an ELF executable built by cargo without cargo-auditable
    let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    let start = Instant::now();
    assert_eq!(binary(&me), (None, vec![]));
    assert_fast("own executable", start);
    // objects without the section
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let text = obj.section_id(StandardSection::Text);
    obj.append_section_data(text, &[0xc3], 16);
    assert_eq!(binary(&obj.write().unwrap()), (None, vec![]));
    // a Mach-O section named `.dep-v0` outside `__DATA` is not cargo-auditable's
    assert_eq!(
        binary(&object_with_section(
            BinaryFormat::MachO,
            b"__TEXT",
            &zlib(AUDIT_JSON.as_bytes())
        )),
        (None, vec![])
    );
    // not executables at all, and truncated headers
    for data in [
        &b""[..],
        b"\x7fEL",
        b"\x7fELF",
        b"\x7fELF\x02\x01\x01\x00garbage",
        b"MZ",
        b"MZ\x90\x00not a pe",
        b"\xca\xfe\xba\xbe\x00\x00\x00\x34java class file",
        b"\xcf\xfa\xed\xfe",
        b"#!/bin/sh\necho hi\n",
        b"PK\x03\x04zip",
    ] {
        assert_eq!(binary(data), (None, vec![]), "{data:?}");
    }
}

#[test]
fn auditable_elf_macho_fat_pe() {
    // hand-written binaries with the hand-written AUDIT_JSON
    let section = zlib(AUDIT_JSON.as_bytes());
    for (what, bin) in [
        ("elf", elf(&section)),
        ("macho", macho(&section)),
        ("fat", fat(&macho(&section))),
        ("pe", pe(&section)),
    ] {
        let (pkgs, warnings) = binary(&bin);
        assert!(warnings.is_empty(), "{what}: {warnings:?}");
        assert_eq!(
            pkgs.as_deref(),
            Some(&AUDIT_WANT.map(String::from)[..]),
            "{what}"
        );
    }
}

#[test]
fn auditable_corrupt_sections_warn() {
    let json = zlib(AUDIT_JSON.as_bytes());
    let mut flipped = json.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0xff;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "empty",
            vec![],
            "cargo-auditable section `.dep-v0` is empty",
        ),
        (
            "not zlib",
            b"{\"packages\":[]}".to_vec(),
            "cargo-auditable data: cannot decompress",
        ),
        (
            "truncated",
            json[..json.len() / 2].to_vec(),
            "cargo-auditable data: ",
        ),
        ("flipped", flipped, "cargo-auditable data: "),
        (
            "not json",
            zlib(b"hello"),
            "cargo-auditable data: expected value",
        ),
        (
            "wrong shape",
            zlib(br#"{"packages":{"a":1}}"#),
            "cargo-auditable data: invalid type",
        ),
        (
            "missing version",
            zlib(br#"{"packages":[{"name":"a"}]}"#),
            "cargo-auditable data: missing field `version`",
        ),
        (
            "deep",
            zlib(
                format!(
                    "{{\"packages\":[{}{}]}}",
                    "[".repeat(10_000),
                    "]".repeat(10_000)
                )
                .as_bytes(),
            ),
            "cargo-auditable data: ",
        ),
    ];
    for (what, section, want) in cases {
        let (pkgs, warnings) = binary(&elf(&section));
        assert_eq!(pkgs, Some(vec![]), "{what}");
        assert_eq!(warnings.len(), 1, "{what}: {warnings:?}");
        assert!(warnings[0].starts_with(want), "{what}: {warnings:?}");
    }
    // fields of the wrong type in one package: the data is rejected as a whole
    let (pkgs, warnings) = binary(&elf(&zlib(br#"{"packages":[{"name":"a","version":1}]}"#)));
    assert_eq!((pkgs, warnings.len()), (Some(vec![]), 1));
    // unknown fields and kinds are accepted (a newer format); empty names are skipped
    let json = br#"{"format":2,"packages":[{"name":"a","version":"1.0.0","source":"crates.io","kind":"future","extra":[1]},{"name":"","version":"1"}]}"#;
    let (pkgs, warnings) = binary(&elf(&zlib(json)));
    assert_eq!(
        (pkgs, warnings.len()),
        (Some(vec!["a@1.0.0".to_string()]), 0)
    );
}

#[test]
fn auditable_zip_bomb_is_bounded() {
    // 256 MiB of spaces compress to about 256 KiB: must stop at the 8 MiB limit
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..256 {
        e.write_all(&spaces).unwrap();
    }
    let bomb = e.finish().unwrap();
    assert!(bomb.len() < 2 << 20, "{}", bomb.len());
    let start = Instant::now();
    let (pkgs, warnings) = binary(&elf(&bomb));
    assert_eq!(pkgs, Some(vec![]));
    assert_eq!(
        warnings,
        ["cargo-auditable data: larger than 8 MiB once decompressed; ignored"]
    );
    assert_fast("zip bomb", start);
    // just under the limit: decompressed and parsed (valid JSON padded with spaces)
    let mut big = AUDIT_JSON.as_bytes().to_vec();
    big.resize((8 << 20) - 1, b' ');
    let (pkgs, warnings) = binary(&elf(&zlib(&big)));
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(pkgs.unwrap().len(), AUDIT_WANT.len());
}

#[test]
fn auditable_section_outside_the_file() {
    // the section header of `.dep-v0` points past the end of the file: the file is still an
    // auditable binary, the data is unreadable
    let mut bin = elf(&zlib(AUDIT_JSON.as_bytes()));
    let file = object::read::elf::ElfFile64::<Endianness>::parse(&*bin).unwrap();
    use object::{Object as _, ObjectSection as _};
    let (offset, _) = file
        .section_by_name(".dep-v0")
        .unwrap()
        .file_range()
        .unwrap();
    // find the section header whose sh_offset is `offset` and make it point far away
    let shoff = u64::from_le_bytes(bin[0x28..0x30].try_into().unwrap()) as usize;
    let shnum = u16::from_le_bytes(bin[0x3c..0x3e].try_into().unwrap()) as usize;
    let mut patched = false;
    for i in 0..shnum {
        let sh = shoff + i * 64;
        let sh_offset = u64::from_le_bytes(bin[sh + 24..sh + 32].try_into().unwrap());
        if sh_offset == offset {
            bin[sh + 24..sh + 32].copy_from_slice(&(1u64 << 40).to_le_bytes());
            patched = true;
        }
    }
    assert!(patched);
    let (pkgs, warnings) = binary(&bin);
    assert_eq!(pkgs, Some(vec![]));
    assert_eq!(warnings, ["cargo-auditable section `.dep-v0` is empty"]);
}

#[test]
fn non_executables_are_rejected_fast() {
    // a 64 MiB file of text, and one of zeros after an ELF magic
    let text = vec![b'a'; 64 << 20];
    let mut fake_elf = vec![0u8; 64 << 20];
    fake_elf[..4].copy_from_slice(b"\x7fELF");
    let start = Instant::now();
    for _ in 0..100 {
        assert_eq!(binary(&text), (None, vec![]));
        assert_eq!(binary(&fake_elf), (None, vec![]));
    }
    assert_fast("non-executables", start);
}
