//! Operating-system detection from release files.

use serde::{Deserialize, Serialize};

/// The distribution an image is built on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    /// `ID` from os-release (`debian`, `ubuntu`, `alpine`, ...).
    pub id: String,
    /// `ID_LIKE` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    /// `VERSION_ID` (or the content of `/etc/alpine-release` / `/etc/debian_version`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// The file the answer came from.
    pub source_path: String,
}

/// Parse an os-release file (`KEY=value`, values optionally quoted with shell escapes).
pub fn parse_os_release(content: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in content.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = if v.len() >= 2
            && ((v.starts_with('"') && v.ends_with('"'))
                || (v.starts_with('\'') && v.ends_with('\'')))
        {
            let inner = &v[1..v.len() - 1];
            let mut s = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        s.push(n);
                    }
                } else {
                    s.push(c);
                }
            }
            s
        } else {
            v.to_string()
        };
        out.push((k.trim().to_string(), v));
    }
    out
}

impl OsInfo {
    /// Build from os-release content; `None` when it names no `ID`.
    pub fn from_os_release(content: &str, source_path: &str) -> Option<OsInfo> {
        let kv = parse_os_release(content);
        let get = |k: &str| {
            kv.iter()
                .rev()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        let id = get("ID")?.to_ascii_lowercase();
        Some(OsInfo {
            id,
            id_like: get("ID_LIKE")
                .map(|s| s.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default(),
            version_id: get("VERSION_ID"),
            codename: get("VERSION_CODENAME").or_else(|| get("UBUNTU_CODENAME")),
            pretty_name: get("PRETTY_NAME"),
            source_path: source_path.to_string(),
        })
    }

    /// The distro's own version file: `/etc/alpine-release` ("3.20.3").
    pub fn from_alpine_release(content: &str, source_path: &str) -> Option<OsInfo> {
        let v = content.lines().next()?.trim();
        if v.is_empty() {
            return None;
        }
        Some(OsInfo {
            id: "alpine".into(),
            version_id: Some(v.to_string()),
            pretty_name: Some(format!("Alpine Linux v{v}")),
            source_path: source_path.to_string(),
            ..Default::default()
        })
    }

    /// `/etc/debian_version`: "12.15", or "trixie/sid" on testing/unstable.
    pub fn from_debian_version(content: &str, source_path: &str) -> Option<OsInfo> {
        let v = content.lines().next()?.trim();
        if v.is_empty() {
            return None;
        }
        let (version_id, codename) = if v.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            (Some(v.split('.').next().unwrap_or(v).to_string()), None)
        } else {
            (None, Some(v.split('/').next().unwrap_or(v).to_string()))
        };
        Some(OsInfo {
            id: "debian".into(),
            version_id,
            codename,
            pretty_name: Some(format!("Debian GNU/Linux {v}")),
            source_path: source_path.to_string(),
            ..Default::default()
        })
    }

    /// The release files of RPM distributions: `/etc/redhat-release` ("Red Hat Enterprise
    /// Linux Server release 7.9 (Maipo)"), `centos-release`, `rocky-release`,
    /// `almalinux-release`, `oracle-release`, `fedora-release`, `system-release` (Amazon
    /// Linux), and old SUSE's `SuSE-release` (`VERSION = 11`, `PATCHLEVEL = 4`). `None` when
    /// the product is not one of these distributions or names no version.
    pub fn from_rpm_release(content: &str, source_path: &str) -> Option<OsInfo> {
        let first = content.lines().map(str::trim).find(|l| !l.is_empty())?;
        let lower = first.to_ascii_lowercase();
        if lower.starts_with("suse linux enterprise") || lower.starts_with("opensuse") {
            let get = |k: &str| {
                content.lines().find_map(|l| {
                    let (a, b) = l.split_once('=')?;
                    (a.trim() == k).then(|| b.trim().to_string())
                })
            };
            let version = get("VERSION")?;
            let version_id = match get("PATCHLEVEL").filter(|p| p != "0") {
                Some(p) if !version.contains('.') => format!("{version}.{p}"),
                _ => version,
            };
            let id = if lower.starts_with("opensuse") {
                "opensuse"
            } else {
                "sles"
            };
            return Some(OsInfo {
                id: id.into(),
                version_id: Some(version_id),
                pretty_name: Some(first.to_string()),
                source_path: source_path.to_string(),
                ..Default::default()
            });
        }
        let (product, rest) = lower.split_once(" release ")?;
        let id = match product.trim() {
            p if p.starts_with("red hat enterprise linux") => "rhel",
            p if p.starts_with("centos") => "centos",
            p if p.starts_with("rocky linux") => "rocky",
            p if p.starts_with("almalinux") => "almalinux",
            p if p.starts_with("oracle linux") => "ol",
            p if p.starts_with("fedora") => "fedora",
            p if p.starts_with("amazon linux") => "amzn",
            _ => return None,
        };
        let version: String = rest
            .trim()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let version = version.trim_end_matches('.');
        if version.is_empty() {
            return None;
        }
        Some(OsInfo {
            id: id.into(),
            version_id: Some(version.to_string()),
            pretty_name: Some(first.to_string()),
            source_path: source_path.to_string(),
            ..Default::default()
        })
    }

    pub fn display(&self) -> String {
        self.pretty_name.clone().unwrap_or_else(|| {
            format!(
                "{} {}",
                self.id,
                self.version_id.as_deref().unwrap_or("(unknown version)")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quoted_os_release() {
        let o = OsInfo::from_os_release(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
            "etc/os-release",
        )
        .unwrap();
        assert_eq!(o.id, "debian");
        assert_eq!(o.version_id.as_deref(), Some("12"));
        assert_eq!(o.codename.as_deref(), Some("bookworm"));
        assert_eq!(
            o.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert!(OsInfo::from_os_release("NAME=x\n", "p").is_none());
    }

    #[test]
    fn rpm_release_files() {
        let r = |c: &str| {
            OsInfo::from_rpm_release(c, "etc/redhat-release")
                .map(|o| (o.id, o.version_id.unwrap_or_default()))
        };
        let s = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(
            r("Red Hat Enterprise Linux Server release 7.9 (Maipo)\n"),
            s("rhel", "7.9")
        );
        assert_eq!(
            r("Red Hat Enterprise Linux release 9.4 (Plow)"),
            s("rhel", "9.4")
        );
        assert_eq!(
            r("CentOS Linux release 7.9.2009 (Core)"),
            s("centos", "7.9.2009")
        );
        assert_eq!(r("CentOS release 6.10 (Final)"), s("centos", "6.10"));
        assert_eq!(r("CentOS Stream release 9"), s("centos", "9"));
        assert_eq!(r("Rocky Linux release 9.3 (Blue Onyx)"), s("rocky", "9.3"));
        assert_eq!(
            r("AlmaLinux release 8.10 (Cerulean Leopard)"),
            s("almalinux", "8.10")
        );
        assert_eq!(r("Oracle Linux Server release 7.9"), s("ol", "7.9"));
        assert_eq!(r("Fedora release 39 (Thirty Nine)"), s("fedora", "39"));
        assert_eq!(r("Amazon Linux release 2 (Karoo)"), s("amzn", "2"));
        assert_eq!(
            r("Amazon Linux release 2023.5.20240805 (Amazon Linux)"),
            s("amzn", "2023.5.20240805")
        );
        assert_eq!(r("Amazon Linux AMI release 2018.03"), s("amzn", "2018.03"));
        assert_eq!(
            r("SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n"),
            s("sles", "11.4")
        );
        assert_eq!(
            r("openSUSE 13.2 (x86_64)\nVERSION = 13.2\nCODENAME = Harlequin\n"),
            s("opensuse", "13.2")
        );
        assert_eq!(r("Debian GNU/Linux release 12"), None);
        assert_eq!(r("Fedora release rawhide"), None);
        assert_eq!(r(""), None);
    }

    #[test]
    fn debian_version_forms() {
        let o = OsInfo::from_debian_version("12.15\n", "etc/debian_version").unwrap();
        assert_eq!(o.version_id.as_deref(), Some("12"));
        let o = OsInfo::from_debian_version("trixie/sid\n", "etc/debian_version").unwrap();
        assert_eq!(
            (o.version_id, o.codename.as_deref()),
            (None, Some("trixie"))
        );
    }
}
