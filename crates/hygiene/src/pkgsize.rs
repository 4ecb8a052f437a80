//! Installed sizes of OS packages, as their package managers record them: dpkg's
//! `Installed-Size` (KiB) in `/var/lib/dpkg/status` and `status.d/*`, apk's `I:` (bytes) in
//! `lib/apk/db/installed`. The inventory does not keep sizes, so [`HygieneAnalyzer`] reads
//! these files during the same layer walk (combine it with the inventory analyzer through
//! [`drydock_image::Both`]).

use drydock_image::{Analyzer, ImagePath};
use serde::{Deserialize, Serialize};

const DPKG_STATUS: &str = "var/lib/dpkg/status";
const DPKG_STATUS_D: &str = "var/lib/dpkg/status.d/";
const APK_INSTALLED: &[&str] = &["lib/apk/db/installed", "usr/lib/apk/db/installed"];

/// One package's installed size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PkgSize {
    pub name: String,
    pub version: String,
    /// Bytes on disk as the package manager states it (dpkg: KiB × 1024).
    pub bytes: u64,
}

/// Sizes read from one package database file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PkgSizes(pub Vec<PkgSize>);

/// Reads package sizes from package databases; see the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct HygieneAnalyzer;

/// Is this a package database [`HygieneAnalyzer`] reads?
pub fn is_package_db(p: &str) -> bool {
    p == DPKG_STATUS
        || APK_INSTALLED.contains(&p)
        || p.strip_prefix(DPKG_STATUS_D)
            .is_some_and(|f| !f.is_empty() && !f.contains('/') && !f.ends_with(".md5sums"))
}

impl Analyzer for HygieneAnalyzer {
    type Output = PkgSizes;

    fn id(&self) -> String {
        format!("drydock-hygiene@{}/sizes-1", env!("CARGO_PKG_VERSION"))
    }

    fn wants(&self, path: &ImagePath) -> bool {
        let p = path.as_str();
        // cheap first-byte gate: asked for every file of every layer
        matches!(p.as_bytes().first(), Some(b'v' | b'l' | b'u')) && is_package_db(p)
    }

    fn max_file_size(&self) -> u64 {
        64 << 20
    }

    fn analyze(&self, path: &ImagePath, content: &[u8], _: &mut Vec<String>) -> Option<PkgSizes> {
        let text = String::from_utf8_lossy(content);
        let p = path.as_str();
        let sizes = if APK_INSTALLED.contains(&p) {
            parse_apk(&text)
        } else {
            parse_dpkg(&text)
        };
        Some(PkgSizes(sizes))
    }
}

/// `Installed-Size` of every installed package of a dpkg status file (or `status.d` entry).
/// Paragraphs without a size are listed with 0 bytes; malformed numbers count as 0.
pub fn parse_dpkg(text: &str) -> Vec<PkgSize> {
    let mut out = Vec::new();
    for para in text.split("\n\n") {
        let (mut name, mut version, mut size, mut status) = (None, "", 0u64, None);
        for line in para.lines() {
            if line.starts_with([' ', '\t']) {
                continue;
            }
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let v = v.trim();
            match k {
                "Package" => name = Some(v),
                "Version" => version = v,
                "Status" => status = Some(v),
                "Installed-Size" => size = v.parse::<u64>().unwrap_or(0).saturating_mul(1024),
                _ => {}
            }
        }
        let installed = match status {
            // status.d entries of distroless images have no Status field
            None => true,
            Some(s) => !matches!(
                s.split_whitespace().nth(2),
                Some("not-installed" | "config-files") | None
            ),
        };
        if let Some(name) = name
            && installed
        {
            out.push(PkgSize {
                name: name.to_string(),
                version: version.to_string(),
                bytes: size,
            });
        }
    }
    out
}

/// `I:` (installed size, bytes) of every package of an apk installed database.
pub fn parse_apk(text: &str) -> Vec<PkgSize> {
    let mut out = Vec::new();
    for rec in text.split("\n\n") {
        let (mut name, mut version, mut size) = (None, "", 0u64);
        for line in rec.lines() {
            match line.split_once(':') {
                Some(("P", v)) => name = Some(v.trim()),
                Some(("V", v)) => version = v.trim(),
                Some(("I", v)) => size = v.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
        if let Some(name) = name {
            out.push(PkgSize {
                name: name.to_string(),
                version: version.to_string(),
                bytes: size,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_installed_sizes() {
        // hand-written
        let text = "Package: bash\nStatus: install ok installed\nInstalled-Size: 7164\nVersion: 5.2.15-2+b7\nDescription: x\n continued: line\n\n\
                    Package: gone\nStatus: deinstall ok config-files\nInstalled-Size: 10\nVersion: 1\n\n\
                    Package: odd\nStatus: install ok installed\nInstalled-Size: many\nVersion: 2\n";
        assert_eq!(
            parse_dpkg(text),
            vec![
                PkgSize {
                    name: "bash".into(),
                    version: "5.2.15-2+b7".into(),
                    bytes: 7164 * 1024
                },
                PkgSize {
                    name: "odd".into(),
                    version: "2".into(),
                    bytes: 0
                },
            ]
        );
    }

    #[test]
    fn apk_installed_sizes() {
        // hand-written
        let text = "C:Q1abc=\nP:busybox\nV:1.36.1-r29\nI:946176\n\nP:musl\nV:1.2.5-r0\nI:x\n";
        let got = parse_apk(text);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].name.as_str(), got[0].bytes), ("busybox", 946176));
        assert_eq!((got[1].name.as_str(), got[1].bytes), ("musl", 0));
    }

    #[test]
    fn wants_only_package_databases() {
        let a = HygieneAnalyzer;
        for p in [
            "var/lib/dpkg/status",
            "var/lib/dpkg/status.d/libc6",
            "lib/apk/db/installed",
        ] {
            assert!(a.wants(&ImagePath::new(p)), "{p}");
        }
        for p in [
            "var/lib/dpkg/status-old",
            "var/lib/dpkg/status.d/libc6.md5sums",
            "etc/os-release",
        ] {
            assert!(!a.wants(&ImagePath::new(p)), "{p}");
        }
    }
}
