//! dpkg's status database (`/var/lib/dpkg/status`, and distroless `status.d/*` files).
//!
//! The format is RFC 822-style paragraphs separated by blank lines; continuation lines start
//! with a space or tab. We parse only the fields the scanner needs; the rest are skipped.

use serde::{Deserialize, Serialize};

/// One package as dpkg records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DpkgEntry {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// `Source:` name, when the source package differs from the binary name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// `Source: name (version)`: the source version when it differs from `version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintainer: Option<String>,
}

/// States in which a package's files are on disk (everything but `not-installed` and
/// `config-files`).
fn state_counts(status: Option<&str>) -> bool {
    let Some(status) = status else {
        // status.d files of distroless images carry no Status field: they are installed
        return true;
    };
    match status.split_whitespace().nth(2) {
        Some("not-installed") | Some("config-files") => false,
        Some(_) => true,
        None => false,
    }
}

/// Parse a status file; paragraphs without Package/Version, or not installed, are skipped.
/// Returns the entries and the number of malformed paragraphs.
pub fn parse_status(content: &str) -> (Vec<DpkgEntry>, usize) {
    let mut out = Vec::new();
    let mut malformed = 0;
    for para in content.split("\n\n") {
        let mut name = None;
        let mut version = None;
        let mut arch = None;
        let mut source = None;
        let mut status = None;
        let mut maintainer = None;
        let mut any = false;
        for line in para.lines() {
            if line.starts_with([' ', '\t']) || line.trim().is_empty() {
                continue;
            }
            any = true;
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let v = v.trim();
            match k {
                "Package" => name = Some(v),
                "Version" => version = Some(v),
                "Architecture" => arch = Some(v),
                "Source" => source = Some(v),
                "Status" => status = Some(v),
                "Maintainer" => maintainer = Some(v),
                _ => {}
            }
        }
        if !any {
            continue;
        }
        let (Some(name), Some(version)) = (name, version) else {
            malformed += 1;
            continue;
        };
        if name.is_empty() || version.is_empty() {
            malformed += 1;
            continue;
        }
        if !state_counts(status) {
            continue;
        }
        let (source_name, source_version) = match source {
            Some(s) => match s.split_once('(') {
                Some((n, v)) => (
                    Some(n.trim().to_string()),
                    Some(v.trim_end_matches(')').trim().to_string()),
                ),
                None => (Some(s.to_string()), None),
            },
            None => (None, None),
        };
        out.push(DpkgEntry {
            name: name.to_string(),
            version: version.to_string(),
            arch: arch.map(str::to_string),
            source_name: source_name.filter(|s| !s.is_empty()),
            source_version: source_version.filter(|s| !s.is_empty()),
            maintainer: maintainer.map(str::to_string),
        });
    }
    (out, malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_source_with_version_and_skips_removed() {
        let s = "Package: libgcc-s1\nStatus: install ok installed\nArchitecture: amd64\nSource: gcc-12 (12.2.0-14)\nVersion: 12.2.0-14\nDescription: x\n more\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\nArchitecture: amd64\n";
        let (p, bad) = parse_status(s);
        assert_eq!(bad, 0);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].source_name.as_deref(), Some("gcc-12"));
        assert_eq!(p[0].source_version.as_deref(), Some("12.2.0-14"));
        assert_eq!(p[1].name, "bash");
        assert_eq!(p[1].source_name, None);
    }

    #[test]
    fn counts_malformed_paragraphs() {
        let (p, bad) = parse_status("Package: x\n\nVersion: 1\n\n\n\n");
        assert!(p.is_empty());
        assert_eq!(bad, 2);
    }
}
