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
