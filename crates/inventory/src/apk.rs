//! apk's installed database (`/lib/apk/db/installed`).
//!
//! Records are separated by blank lines; each line is `X:value` with a one-letter key
//! (P name, V version, A arch, o origin, L licence, m maintainer; F/R list files, skipped).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApkEntry {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// The origin (source) package, which the secdb is keyed by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintainer: Option<String>,
}

/// Parse the installed DB; returns entries and the number of malformed records.
pub fn parse_installed(content: &str) -> (Vec<ApkEntry>, usize) {
    let mut out = Vec::new();
    let mut malformed = 0;
    let mut cur: Vec<(char, &str)> = Vec::new();
    let mut flush = |cur: &mut Vec<(char, &str)>| {
        if cur.is_empty() {
            return;
        }
        let get = |k: char| {
            cur.iter()
                .find(|(c, _)| *c == k)
                .map(|(_, v)| v.to_string())
        };
        match (get('P'), get('V')) {
            (Some(name), Some(version)) if !name.is_empty() && !version.is_empty() => {
                out.push(ApkEntry {
                    name,
                    version,
                    arch: get('A'),
                    origin: get('o'),
                    license: get('L'),
                    maintainer: get('m'),
                })
            }
            _ => malformed += 1,
        }
        cur.clear();
    };
    for line in content.lines() {
        if line.trim().is_empty() {
            flush(&mut cur);
            continue;
        }
        let mut chars = line.chars();
        if let (Some(k), Some(':')) = (chars.next(), chars.next()) {
            cur.push((k, &line[2..]));
        }
    }
    flush(&mut cur);
    (out, malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records() {
        let s = "C:Q1abc\nP:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\no:musl\nF:lib\nR:ld-musl.so\n\nP:libcrypto3\nV:3.3.2-r0\no:openssl\n\nV:1\n";
        let (p, bad) = parse_installed(s);
        assert_eq!(bad, 1);
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].origin.as_deref(), Some("openssl"));
        assert_eq!(p[0].license.as_deref(), Some("MIT"));
    }
}
