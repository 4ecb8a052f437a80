//! Hostile content in an image: a 1 GiB single-line text file (never read: size cap, memory
//! stays flat), a binary with key-like strings, invalid UTF-8 around a secret. Credentials are
//! fake (support/fake.rs).

#[path = "support/fake.rs"]
mod fake;

use drydock_image::{AnalyzeOptions, Image, OpenOptions, analyze_image};
use drydock_secrets::{Scanner, secrets_from_layers};
use drydock_testkit as tk;
use std::io::{self, Read};

const HUGE: u64 = 1 << 30;

/// An endless repetition of one line fragment (no newline): minified-JS-like text.
struct Pattern {
    pat: &'static [u8],
    pos: usize,
}

impl Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        for b in buf.iter_mut() {
            *b = self.pat[self.pos];
            self.pos = (self.pos + 1) % self.pat.len();
        }
        Ok(buf.len())
    }
}

/// A layer tar generated on the fly: `app/huge.min.js` (1 GiB, one line, a keyword every 24
/// bytes), then small files.
struct HostileLayer {
    small: Vec<u8>,
}

impl tk::LayerSource for HostileLayer {
    fn open_layer(&self) -> io::Result<Box<dyn Read + '_>> {
        let mut header = tar::Header::new_gnu();
        header.set_path("app/huge.min.js")?;
        header.set_size(HUGE);
        header.set_mode(0o644);
        header.set_mtime(tk::FIXED_MTIME);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        let body = Pattern {
            pat: b"var token=\"abc\";secret=1",
            pos: 0,
        }
        .take(HUGE);
        Ok(Box::new(
            io::Cursor::new(header.as_bytes().to_vec())
                .chain(body)
                .chain(io::Cursor::new(&self.small)),
        ))
    }
    fn describe(&self) -> String {
        "hostile generated layer".into()
    }
}

fn small_files() -> Vec<u8> {
    let mut binary = b"\x7fELF\x02\x01\x01\0\0\0\0\0".to_vec();
    binary.extend_from_slice(fake::expand("GITHUB_TOKEN=ghp_{alnum:36:1}").as_bytes());
    let mut invalid = vec![0xff, 0xfe, 0xfd, b'\n', 0xc3, 0x28, b' '];
    invalid.extend_from_slice(fake::expand("GITHUB_TOKEN=ghp_{alnum:36:2}").as_bytes());
    invalid.extend_from_slice(b" \xe2\x28\xa1\n");
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in [("app/bin/blob", binary), ("app/notes.txt", invalid)] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(tk::FIXED_MTIME);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

#[test]
fn gigabyte_line_binary_and_invalid_utf8_in_one_layer() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("oci");
    let layer = HostileLayer {
        small: small_files(),
    };
    tk::write_oci_layout(
        &layout,
        std::slice::from_ref(&layer),
        &tk::ImageConfig::default(),
        tk::Compression::Zstd,
    );
    let before = peak_rss_kib();
    let image = Image::open(&layout, &OpenOptions::default()).unwrap();
    let layers = analyze_image(
        &image,
        &Scanner::builtin(),
        &AnalyzeOptions::default(),
        &|_, _| {},
    )
    .unwrap();
    let peak = peak_rss_kib();
    assert_eq!(layers[0].stats.files, 3);
    assert_eq!(layers[0].stats.file_bytes, HUGE + 65 + 65);
    // the huge file is never read, and says so
    assert_eq!(
        layers[0].warnings,
        vec![format!(
            "/app/huge.min.js: {HUGE} bytes exceeds the 10485760 byte limit for analysed files; skipped"
        )]
    );
    let found: Vec<(String, String, usize, usize)> = secrets_from_layers(&layers)
        .into_iter()
        .map(|f| (f.found.rule_id, f.path, f.found.line, f.found.column))
        .collect();
    // the binary is skipped; the invalid UTF-8 does not hide the token
    assert_eq!(
        found,
        vec![("github-token".into(), "/app/notes.txt".into(), 2, 17)]
    );
    // streaming 1 GiB costs no memory to speak of
    assert!(
        peak < before.max(64 << 10) + (128 << 10),
        "peak RSS {peak} KiB (was {before} KiB before the scan)"
    );
}
