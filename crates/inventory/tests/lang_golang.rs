//! Go cataloger: build info of real Go binaries, `go.mod` files (real and hand-written), and
//! damaged or hostile inputs.
//!
//! Real binaries:
//! - Debian's `/usr/bin/docker-registry` and `/usr/bin/skopeo` (installed by `scripts/test.sh`):
//!   built by Debian with go1.19.8 in GOPATH mode, so their module info has a `path` line and
//!   `build` settings but no module list: the cataloger must report exactly `stdlib go1.19.8`
//!   (`strings` on the binaries shows `go1.19.8` and no `mod`/`dep` lines);
//! - osv-scalibr's `binary_with_module_replacement-*` test binaries for 8 OS/architecture
//!   pairs (ELF 32/64-bit, Mach-O, PE), go1.22.0, a `(devel)` main module and a
//!   `golang.org/x/xerrors` dependency replaced by `github.com/golang/xerrors`.
//!
//! No real Go < 1.18 binary (pointer-format build info) is available offline, so those are
//! made from the real binaries above by rewriting their build-info header into the old
//! layout (two pointers to Go string headers, resolved through the binary's segments), in
//! 32/64-bit, little/big-endian, ELF/PE/Mach-O: see [`to_pointer_format`].

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use drydock_inventory::lang::golang::{parse, parse_binary, wants};
use drydock_inventory::lang::{LangPackage, Scope};

fn shared() -> PathBuf {
    drydock_testkit::shared_dir()
}

/// Unpack the members of a shared bundle whose path starts with `prefix` into a temp dir.
fn unpack(bundle: &str, prefix: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let path = shared().join("fixtures").join(bundle);
    let f = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    for entry in ar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let p = entry.path().unwrap().into_owned();
        let s = p.to_string_lossy();
        if !s.starts_with(prefix) || !entry.header().entry_type().is_file() {
            continue;
        }
        let dst = dir.path().join(&p);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        let mut buf = Vec::new();
        entry.read_to_end(&mut buf).unwrap();
        std::fs::write(dst, buf).unwrap();
    }
    dir
}

const GOBINARY: &str = "extractor/filesystem/language/golang/gobinary/testdata/";
const PLATFORMS: [&str; 8] = [
    "darwin-amd64",
    "darwin-arm64",
    "linux-386",
    "linux-amd64",
    "linux-arm64",
    "windows-386",
    "windows-amd64",
    "windows-arm64",
];

fn gobinaries() -> (tempfile::TempDir, PathBuf) {
    let dir = unpack("osv-scalibr-extractor-testdata.tar.gz", GOBINARY);
    let p = dir.path().join(GOBINARY);
    (dir, p)
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn pkgs(content: &[u8]) -> (Option<Vec<LangPackage>>, Vec<String>) {
    let mut w = Vec::new();
    let r = parse_binary(content, &mut w);
    (r, w)
}

fn pairs(p: &[LangPackage]) -> Vec<(String, String)> {
    p.iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

fn expected_replacement() -> Vec<(String, String)> {
    vec![
        (
            "github.com/golang/xerrors".to_owned(),
            "v0.0.0-20220907171357-04be3eba64a2".to_owned(),
        ),
        ("stdlib".to_owned(), "go1.22.0".to_owned()),
    ]
}

#[test]
fn debian_go_binaries() {
    for bin in ["/usr/bin/docker-registry", "/usr/bin/skopeo"] {
        let content = std::fs::read(bin).unwrap_or_else(|e| {
            panic!("{bin}: {e} (install it: apt-get install -y docker-registry skopeo)")
        });
        let t = Instant::now();
        let (r, w) = pkgs(&content);
        let r = r.unwrap_or_else(|| panic!("{bin}: not recognised as a Go binary"));
        assert_eq!(
            pairs(&r),
            [("stdlib".to_owned(), "go1.19.8".to_owned())],
            "{bin}"
        );
        assert!(w.is_empty(), "{bin}: {w:?}");
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "{bin}: {:?}",
            t.elapsed()
        );
    }
}

#[test]
fn scalibr_binaries_every_platform() {
    let (_d, dir) = gobinaries();
    let first = pkgs(&read(
        &dir.join("binary_with_module_replacement-linux-amd64"),
    ));
    insta::assert_json_snapshot!("scalibr_binary_with_module_replacement", first.0);
    for plat in PLATFORMS {
        let (r, w) = pkgs(&read(
            &dir.join(format!("binary_with_module_replacement-{plat}")),
        ));
        let r = r.unwrap_or_else(|| panic!("{plat}: not recognised"));
        assert_eq!(pairs(&r), expected_replacement(), "{plat}");
        assert!(w.is_empty(), "{plat}: {w:?}");
    }
    // a text file is not a binary
    assert!(pkgs(&read(&dir.join("dummy"))).0.is_none());
}

#[test]
fn non_go_executables_are_rejected_quickly() {
    // this test binary: an ELF executable written in Rust
    let me = read(&std::env::current_exe().unwrap());
    let t = Instant::now();
    for _ in 0..20 {
        assert!(pkgs(&me).0.is_none());
    }
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "20 parses of a non-Go ELF took {:?}",
        t.elapsed()
    );
    // not executables at all
    for c in [
        &b""[..],
        b"MZ",
        b"\x7fEL",
        b"PK\x03\x04",
        b"\xca\xfe\xba\xbe\x00\x00\x00\x37",
    ] {
        assert!(pkgs(c).0.is_none());
    }
    // 64 MiB of garbage behind an ELF magic: object fails, the aligned scan finds nothing
    let mut junk = vec![0x5au8; 64 << 20];
    junk[..4].copy_from_slice(b"\x7fELF");
    let t = Instant::now();
    assert!(pkgs(&junk).0.is_none());
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

// ---------------------------------------------------------------------------------------------
// Constructed variants of the real binaries

const MAGIC: &[u8] = b"\xff Go buildinf:";

/// File offset of the (16-aligned) build-info header.
fn header_offset(bin: &[u8]) -> usize {
    let mut at = 0;
    while let Some(i) = bin[at..].windows(MAGIC.len()).position(|w| w == MAGIC) {
        if (at + i) % 16 == 0 {
            return at + i;
        }
        at += i + 1;
    }
    panic!("no build info")
}

fn varint(b: &[u8], at: &mut usize) -> usize {
    let mut v = 0usize;
    let mut shift = 0;
    loop {
        let x = b[*at];
        *at += 1;
        v |= ((x & 0x7f) as usize) << shift;
        if x & 0x80 == 0 {
            return v;
        }
        shift += 7;
    }
}

/// (Go version, module info) of a Go ≥ 1.18 binary.
fn inline_strings(bin: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let off = header_offset(bin);
    let mut at = off + 32;
    let n = varint(bin, &mut at);
    let v = bin[at..at + n].to_vec();
    at += n;
    let n = varint(bin, &mut at);
    (v, bin[at..at + n].to_vec())
}

/// Virtual address of file offset `off`, from the section that holds it.
fn vaddr_of(bin: &[u8], off: usize) -> u64 {
    use object::{Object, ObjectSection};
    let file = object::File::parse(bin).unwrap();
    for s in file.sections() {
        if let Some((start, size)) = s.file_range()
            && (off as u64) >= start
            && (off as u64) < start + size
        {
            return s.address() + (off as u64 - start);
        }
    }
    panic!("offset {off:#x} is in no section")
}

/// Rewrite a real Go ≥ 1.18 binary's build info into the pre-1.18 pointer layout (pointer
/// size `ps`, big-endian pointers when `be`): the header points to two string headers written
/// right after it, followed by the string bytes, all inside the same mapped data.
fn to_pointer_format(bin: &[u8], ps: usize, be: bool) -> Vec<u8> {
    let (version, modinfo) = inline_strings(bin);
    let off = header_offset(bin);
    let base = vaddr_of(bin, off);
    let mut out = bin.to_vec();
    let put = |buf: &mut Vec<u8>, at: usize, v: u64| {
        let bytes: Vec<u8> = match (ps, be) {
            (4, false) => (v as u32).to_le_bytes().to_vec(),
            (4, true) => (v as u32).to_be_bytes().to_vec(),
            (_, false) => v.to_le_bytes().to_vec(),
            (_, true) => v.to_be_bytes().to_vec(),
        };
        buf[at..at + ps].copy_from_slice(&bytes);
    };
    out[off + 14] = ps as u8;
    out[off + 15] = u8::from(be);
    out[off + 16..off + 32].fill(0);
    let vhdr = 32;
    let mhdr = 32 + 2 * ps;
    let vdata = 32 + 4 * ps;
    let mdata = vdata + version.len();
    put(&mut out, off + 16, base + vhdr as u64);
    put(&mut out, off + 16 + ps, base + mhdr as u64);
    put(&mut out, off + vhdr, base + vdata as u64);
    put(&mut out, off + vhdr + ps, version.len() as u64);
    put(&mut out, off + mhdr, base + mdata as u64);
    put(&mut out, off + mhdr + ps, modinfo.len() as u64);
    out[off + vdata..off + mdata].copy_from_slice(&version);
    out[off + mdata..off + mdata + modinfo.len()].copy_from_slice(&modinfo);
    out
}

#[test]
fn pointer_format_build_info() {
    let (_d, dir) = gobinaries();
    // (platform, pointer size of the platform)
    for (plat, ps) in [
        ("linux-amd64", 8),
        ("linux-386", 4),
        ("linux-arm64", 8),
        ("windows-amd64", 8),
        ("windows-386", 4),
        ("darwin-arm64", 8),
        ("darwin-amd64", 8),
    ] {
        let bin = read(&dir.join(format!("binary_with_module_replacement-{plat}")));
        for be in [false, true] {
            let old = to_pointer_format(&bin, ps, be);
            let (r, w) = pkgs(&old);
            let r = r.unwrap_or_else(|| panic!("{plat} be={be}: not recognised"));
            assert_eq!(pairs(&r), expected_replacement(), "{plat} be={be}");
            assert!(w.is_empty(), "{plat} be={be}: {w:?}");
        }
    }
}

#[test]
fn pointer_format_damaged() {
    let (_d, dir) = gobinaries();
    let bin = read(&dir.join("binary_with_module_replacement-linux-amd64"));
    let old = to_pointer_format(&bin, 8, false);
    let off = header_offset(&old);

    // the module-info pointer points nowhere: the Go version is still reported
    let mut b = old.clone();
    b[off + 24..off + 32].copy_from_slice(&0xdead_beef_0000u64.to_le_bytes());
    let (r, w) = pkgs(&b);
    assert_eq!(
        pairs(&r.unwrap()),
        [("stdlib".to_owned(), "go1.22.0".to_owned())]
    );
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("module info not readable"), "{w:?}");

    // both pointers unmapped
    let mut b = old.clone();
    b[off + 16..off + 24].copy_from_slice(&u64::MAX.to_le_bytes());
    let (r, w) = pkgs(&b);
    assert_eq!(r.unwrap(), []);
    assert!(w[0].contains("Go version not readable"), "{w:?}");

    // an absurd string length (the version string header's length field)
    let mut b = old.clone();
    b[off + 40..off + 48].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
    let (r, w) = pkgs(&b);
    assert_eq!(r.unwrap(), []);
    assert!(w[0].contains("implausible"), "{w:?}");

    // an invalid pointer size
    let mut b = old.clone();
    b[off + 14] = 3;
    let (r, w) = pkgs(&b);
    assert_eq!(r.unwrap(), []);
    assert!(w[0].contains("pointer size"), "{w:?}");

    // pointer format in a file whose ELF headers are gone (truncated before the section
    // headers): the addresses cannot be resolved
    let cut = &old[..off + 200];
    let (r, w) = pkgs(cut);
    assert_eq!(r.unwrap(), []);
    assert!(w[0].contains("cannot be resolved"), "{w:?}");
}

#[test]
fn universal_macho() {
    let (_d, dir) = gobinaries();
    let a = read(&dir.join("binary_with_module_replacement-darwin-amd64"));
    let b = read(&dir.join("binary_with_module_replacement-darwin-arm64"));
    // fat header (big-endian): magic, 2 architectures, then (cputype, subtype, offset, size,
    // align) each; slices aligned to 2^14
    let align = 1usize << 14;
    let off_a = align;
    let off_b = (off_a + a.len()).div_ceil(align) * align;
    let mut fat = vec![0u8; off_b + b.len()];
    fat[..8].copy_from_slice(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]);
    for (i, (cpu, sub, off, len)) in [
        (0x0100_0007u32, 3u32, off_a, a.len()),
        (0x0100_000c, 0, off_b, b.len()),
    ]
    .into_iter()
    .enumerate()
    {
        let at = 8 + i * 20;
        for (j, v) in [cpu, sub, off as u32, len as u32, 14]
            .into_iter()
            .enumerate()
        {
            fat[at + j * 4..at + j * 4 + 4].copy_from_slice(&v.to_be_bytes());
        }
    }
    fat[off_a..off_a + a.len()].copy_from_slice(&a);
    fat[off_b..off_b + b.len()].copy_from_slice(&b);
    let (r, w) = pkgs(&fat);
    assert_eq!(pairs(&r.unwrap()), expected_replacement());
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn damaged_inline_build_info() {
    let (_d, dir) = gobinaries();
    let bin = read(&dir.join("binary_with_module_replacement-linux-amd64"));
    let off = header_offset(&bin);
    let stdlib_only = [("stdlib".to_owned(), "go1.22.0".to_owned())];

    // truncated inside the module info: the ELF section headers (at the end) are gone, the
    // whole-file scan finds the header; the Go version survives
    let (r, w) = pkgs(&bin[..off + 32 + 9 + 40]);
    assert_eq!(pairs(&r.unwrap()), stdlib_only);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("module info not readable"), "{w:?}");

    // the module info's varint length made enormous
    let mut b = bin.clone();
    let at = off + 32 + 1 + 8; // after the version string
    b[at..at + 2].copy_from_slice(&[0xff, 0xff]);
    b[at + 2] = 0xff;
    let (r, w) = pkgs(&b);
    assert_eq!(pairs(&r.unwrap()), stdlib_only);
    assert!(w[0].contains("module info not readable"), "{w:?}");

    // the version's length byte runs past the end of the file
    let (r, w) = pkgs(&bin[..off + 34]);
    assert_eq!(r.unwrap(), []);
    assert!(w[0].contains("Go version not readable"), "{w:?}");

    // truncated inside the header
    let (r, w) = pkgs(&bin[..off + 20]);
    assert_eq!(r.unwrap(), []);
    assert!(w[0].contains("truncated header"), "{w:?}");

    // magic destroyed: not a Go binary any more (no panic, no warning)
    let mut b = bin.clone();
    b[off + 3] ^= 0xff;
    let (r, w) = pkgs(&b);
    assert!(r.is_none());
    assert!(w.is_empty());

    // a malformed module line and a `=>` without a preceding module
    let (_, modinfo) = inline_strings(&bin);
    let text = String::from_utf8_lossy(&modinfo[16..modinfo.len() - 16]).into_owned();
    let bad = text.replacen("dep\tgolang.org/x/xerrors", "dep\t", 1);
    assert_eq!(bad.len() + "golang.org/x/xerrors".len(), text.len());
    let mut b = bin.clone();
    let start = off + 32 + 1 + 8;
    let mut at = start;
    let n = varint(&b, &mut at);
    assert_eq!(n, modinfo.len());
    // same length: pad the shortened text with spaces in a `build` line
    let padded = bad.replacen("build\t", &format!("build\t{}", " ".repeat(20)), 1);
    assert_eq!(padded.len(), text.len());
    b[at + 16..at + 16 + padded.len()].copy_from_slice(padded.as_bytes());
    let (r, w) = pkgs(&b);
    // the malformed dep is dropped, and its `=>` line, which now follows no module, too
    assert_eq!(pairs(&r.unwrap()), stdlib_only);
    assert_eq!(w, ["Go build info: 2 malformed module line(s) ignored"]);
}

#[test]
fn magic_in_read_only_data_is_not_build_info() {
    // a scanner (or any program) may hold the magic as a constant in .rodata: take a real Go
    // binary, destroy its build info and plant an aligned, plausible header in .rodata
    use object::{Object, ObjectSection};
    let mut bin = std::fs::read("/usr/bin/docker-registry")
        .expect("/usr/bin/docker-registry (apt-get install -y docker-registry)");
    let off = header_offset(&bin);
    bin[off..off + 14].fill(0);
    let rodata = {
        let file = object::File::parse(&*bin).unwrap();
        let sec = file.section_by_name(".rodata").unwrap();
        sec.file_range().unwrap().0 as usize
    };
    let at = rodata.div_ceil(16) * 16 + 64;
    bin[at..at + 14].copy_from_slice(MAGIC);
    bin[at + 14] = 8;
    bin[at + 15] = 2;
    let (r, w) = pkgs(&bin);
    assert!(r.is_none());
    assert!(w.is_empty());
}

#[test]
fn byte_flips_never_panic() {
    let (_d, dir) = gobinaries();
    for (plat, ps) in [("linux-amd64", 8usize), ("windows-386", 4)] {
        let bin = read(&dir.join(format!("binary_with_module_replacement-{plat}")));
        let old = to_pointer_format(&bin, ps, false);
        for base in [&bin, &old] {
            let off = header_offset(base);
            let mut b = base.clone();
            // flip every byte of the first 600 bytes of build info, one at a time, with a few
            // patterns
            for i in 0..600 {
                for pat in [0xffu8, 0x80, 0x01] {
                    let orig = b[off + i];
                    b[off + i] ^= pat;
                    let mut w = Vec::new();
                    let _ = parse_binary(&b, &mut w);
                    b[off + i] = orig;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// go.mod

fn gomod(text: &str) -> (Vec<LangPackage>, Vec<String>) {
    let mut w = Vec::new();
    let r = parse("src/app/go.mod", text.as_bytes(), &mut w);
    (r, w)
}

#[test]
fn wants_go_mod_in_source_trees_only() {
    assert!(wants("go.mod", Scope::Fs));
    assert!(wants("src/app/go.mod", Scope::Fs));
    assert!(!wants("src/app/go.mod", Scope::Image));
    assert!(!wants("src/app/go.sum", Scope::Fs));
    assert!(!wants("src/app/xgo.mod", Scope::Fs));
    assert!(!wants("usr/local/bin/app", Scope::Image));
}

/// Hand-written: every directive form of the go.mod reference.
const FULL_GO_MOD: &str = r#"// hand-written test fixture
module example.com/app

go 1.21

toolchain go1.21.3

godebug default=go1.21

require golang.org/x/text v0.3.7

require (
	github.com/sirupsen/logrus v1.9.0 // indirect
	"github.com/quoted/path" v1.0.0
	`github.com/raw/path` v2.0.0+incompatible
	github.com/old/one v1.1.0
	github.com/old/two v0.2.0
	github.com/local/dir v1.0.0
	github.com/local/abs v1.0.0
	github.com/specific/mod v1.5.0
	github.com/specific/other v1.6.0
	github.com/both/mod v1.0.0
	golang.org/x/text v0.3.7 // duplicate
)

require ()

exclude github.com/sirupsen/logrus v1.8.0

replace github.com/old/one => github.com/new/one v1.1.1

replace (
	github.com/old/two v0.2.0 => github.com/new/two v0.2.1 // version-specific
	github.com/local/dir => ./third_party/dir
	github.com/local/abs => /opt/src/abs
	github.com/specific/mod v1.4.0 => github.com/specific/mod v1.4.1 // not the required version
	github.com/specific/other v1.6.0 => github.com/specific/other v1.6.1
	github.com/both/mod => github.com/both/wide v2.0.0
	github.com/both/mod v1.0.0 => github.com/both/exact v1.0.1
	github.com/not/required => github.com/x/y v1.0.0
)

retract [v1.0.0, v1.0.5] // bad releases

tool golang.org/x/tools/cmd/stringer
"#;

#[test]
fn go_mod_every_directive() {
    let (r, w) = gomod(FULL_GO_MOD);
    assert!(w.is_empty(), "{w:?}");
    insta::assert_json_snapshot!("gomod_every_directive", r);
    assert_eq!(
        pairs(&r),
        [
            ("github.com/both/exact", "v1.0.1"),
            ("github.com/new/one", "v1.1.1"),
            ("github.com/new/two", "v0.2.1"),
            ("github.com/quoted/path", "v1.0.0"),
            ("github.com/raw/path", "v2.0.0+incompatible"),
            ("github.com/sirupsen/logrus", "v1.9.0"),
            ("github.com/specific/mod", "v1.5.0"),
            ("github.com/specific/other", "v1.6.1"),
            ("golang.org/x/text", "v0.3.7"),
            ("stdlib", "go1.21.3"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}

#[test]
fn go_mod_without_toolchain_has_no_stdlib() {
    // hand-written: `go` directive only, Windows line ends, comment lines, odd spacing
    let (r, w) = gomod(
        "module m\r\n\r\ngo 1.22.1\r\n// comment\r\nrequire   (\r\n  a.example/x    v1.0.0   //indirect\r\n)\r\n",
    );
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(pairs(&r), [("a.example/x".to_owned(), "v1.0.0".to_owned())]);
}

#[test]
fn go_mod_malformed() {
    // hand-written: bad lines are reported and skipped, the rest is kept
    let (r, w) = gomod(
        "module m\nrequire a.example/x\nrequire b.example/y v1.0.0 extra\nrequire \"unterminated v1\nfrobnicate x\nreplace a => \nrequire c.example/z v1.2.3\nrequire (\n d.example/w v0.1.0\n",
    );
    assert_eq!(
        pairs(&r),
        [
            ("c.example/z".to_owned(), "v1.2.3".to_owned()),
            ("d.example/w".to_owned(), "v0.1.0".to_owned())
        ]
    );
    assert_eq!(
        w,
        [
            "unterminated require block",
            "5 malformed line(s) ignored (first at line 2)"
        ]
    );
    // not text at all
    let mut w = Vec::new();
    let r = parse("go.mod", &[0xff, 0xfe, 0x00, 0x01, b'\n', 0x80], &mut w);
    assert!(r.is_empty());
}

#[test]
fn go_mod_hostile_sizes() {
    // one 20 MB line, 200 000 requires, and 100 000 nested parentheses
    let t = Instant::now();
    let long = format!("require {} v1.0.0\n", "a".repeat(20 << 20));
    let (r, _) = gomod(&long);
    assert_eq!(r.len(), 1);
    let mut many = String::from("require (\n");
    for i in 0..200_000 {
        many.push_str(&format!("\texample.com/m{i} v1.0.{i}\n"));
    }
    many.push_str(")\n");
    let (r, w) = gomod(&many);
    assert_eq!(r.len(), 200_000);
    assert!(w.is_empty());
    let nested = format!("require {}\n", "(".repeat(100_000));
    let (r, w) = gomod(&nested);
    assert!(r.is_empty());
    assert_eq!(w.len(), 1);
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
}

#[test]
fn osv_scanner_go_mod_fixtures() {
    let prefix = "cmd/osv-scanner/scan/source/testdata/";
    let dir = unpack("osv-scanner-lockfile-fixtures.tar.gz", prefix);
    let mut all = Vec::new();
    for rel in [
        "call-analysis-go-project/go.mod",
        "call-analysis-go-project-all-uncalled/go.mod",
        "go-project/go.mod",
        "go-project/nested/go.mod",
    ] {
        let content = read(&dir.path().join(prefix).join(rel));
        let mut w = Vec::new();
        let r = parse(rel, &content, &mut w);
        assert!(w.is_empty(), "{rel}: {w:?}");
        all.push((rel, r));
    }
    insta::assert_json_snapshot!("osv_scanner_go_mod", all);
    assert_eq!(
        pairs(&all[0].1),
        [
            ("github.com/gogo/protobuf", "v1.3.1"),
            ("github.com/ipfs/go-bitfield", "v1.0.0"),
            ("golang.org/x/image", "v0.4.0"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert!(all[2].1.is_empty() && all[3].1.is_empty());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Arbitrary bytes as a go.mod, and as build info behind a valid header: no panic.
    #[test]
    fn arbitrary_bytes_never_panic(content in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
        let mut w = Vec::new();
        let _ = parse("go.mod", &content, &mut w);
        for flags in [0u8, 2] {
            // a damaged ELF (object cannot parse it): the whole-file scan finds the header
            let mut bin = b"\x7fELF".to_vec();
            bin.resize(16, 0);
            bin.extend_from_slice(MAGIC);
            bin.extend_from_slice(&[8, flags]);
            bin.resize(48, 0);
            bin.extend_from_slice(&content);
            let _ = parse_binary(&bin, &mut w);
        }
    }
}
