//! FAKE credentials for tests, generated at run time.
//!
//! The repository must not contain strings that look like live credentials (push protection
//! and other secret scanners would flag them, and rightly so), so test texts are templates:
//! `{alnum:36:7}` expands to a deterministic pseudo-random string of 36 characters that starts
//! with `Fake` (seeded by 7). None of these values was ever a credential.
//!
//! Kinds: `alnum` `[A-Za-z0-9]`, `b64` `[A-Za-z0-9+/]`, `b64url` `[A-Za-z0-9_-]`, `upper32`
//! `[A-Z2-7]` (starts with `FAKE`), `hex` `[0-9a-f]` (no marker: hex has no `k`), `digits`,
//! and `pem:LABEL:seed` — a PEM block `-----BEGIN LABEL-----`, ten 64-character lines of
//! fake base64, `-----END LABEL-----`.
#![allow(dead_code)]

/// xorshift64*: deterministic everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const UPPER32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &[u8] = b"0123456789abcdef";
const DIGITS: &[u8] = b"0123456789";

/// A fake value of `len` characters of `kind`, seeded by `seed`.
pub fn fake(kind: &str, len: usize, seed: u64) -> String {
    let (alphabet, marker): (&[u8], &str) = match kind {
        "alnum" => (ALNUM, "Fake"),
        "b64" => (B64, "Fake"),
        "b64url" => (B64URL, "Fake"),
        "upper32" => (UPPER32, "FAKE"),
        "hex" => (HEX, ""),
        "digits" => (DIGITS, ""),
        other => panic!("unknown fake kind {other:?}"),
    };
    let mut rng = Rng::new(seed);
    let mut s: String = marker.chars().take(len).collect();
    while s.len() < len {
        s.push(alphabet[(rng.next() >> 33) as usize % alphabet.len()] as char);
    }
    s
}

/// A fake PEM block with `label` (e.g. `RSA PRIVATE KEY`).
pub fn fake_pem(label: &str, seed: u64) -> String {
    let mut s = format!("-----BEGIN {label}-----\n");
    for i in 0..10 {
        s.push_str(&fake("b64", 64, seed * 100 + i));
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

/// Expand every `{kind:len:seed}` / `{kind:len}` / `{pem:LABEL:seed}` in `template`.
pub fn expand(template: &str) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    // each `}` closes the innermost `{` before it
    while let Some(close) = rest.find('}') {
        let Some(open) = rest[..close].rfind('{') else {
            out.push_str(&rest[..=close]);
            rest = &rest[close + 1..];
            continue;
        };
        let inner = &rest[open + 1..close];
        let parts: Vec<&str> = inner.split(':').collect();
        let expanded = match parts.as_slice() {
            ["pem", label, seed] => Some(fake_pem(label, seed.parse().expect("pem seed"))),
            [kind, len, seed] if len.parse::<usize>().is_ok() && is_kind(kind) => Some(fake(
                kind,
                len.parse().expect("len"),
                seed.parse().expect("seed"),
            )),
            [kind, len] if len.parse::<usize>().is_ok() && is_kind(kind) => {
                let n: usize = len.parse().expect("len");
                Some(fake(kind, n, n as u64))
            }
            _ => None,
        };
        match expanded {
            Some(e) => {
                out.push_str(&rest[..open]);
                out.push_str(&e);
            }
            // not a template (`${VAR}`, JSON): keep it literally
            None => out.push_str(&rest[..=close]),
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

fn is_kind(k: &str) -> bool {
    matches!(k, "alnum" | "b64" | "b64url" | "upper32" | "hex" | "digits")
}
