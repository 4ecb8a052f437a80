//! Helpers shared by the output formats: image naming, deterministic ids, dates, advisory
//! links, targets, licences and text clean-up.

use crate::{Format, Report, ReportError};
use drydock_inventory::PackageKind;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use uuid::Uuid;

/// Namespace of Drydock's name-based (RFC 4122 version 5) UUIDs: every id derived from report
/// contents (CycloneDX serial numbers, SPDX namespaces, GitLab vulnerability ids, SARIF
/// fingerprints) is `uuid_v5(NAMESPACE, <parts joined by NUL>)`, so the same input always
/// gives the same id. A fixed random value, chosen once; never change it (ids would change).
const NAMESPACE: Uuid = Uuid::from_u128(0x6f0e_2a4c_93d1_4b57_a8e2_1c5d_7b39_0f64);

/// A deterministic UUID (lowercase, hyphenated) from `parts`.
pub(crate) fn uuid_v5(parts: &[&str]) -> String {
    Uuid::new_v5(&NAMESPACE, parts.join("\0").as_bytes())
        .hyphenated()
        .to_string()
}

/// Pretty JSON with a trailing newline.
pub(crate) fn to_pretty_json<T: Serialize>(
    value: &T,
    format: Format,
) -> Result<String, ReportError> {
    let mut s = serde_json::to_string_pretty(value)
        .map_err(|source| ReportError::Json { format, source })?;
    s.push('\n');
    Ok(s)
}

/// How the image is called: its first repo tag, else what was given on the command line.
pub(crate) fn image_name(r: &Report) -> &str {
    r.artifact
        .repo_tags
        .first()
        .map(String::as_str)
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(&r.artifact.source)
}

/// The most specific identity of the image for derived ids: the image ID (config digest),
/// else the manifest digest, else the source given on the command line.
pub(crate) fn image_key(r: &Report) -> &str {
    r.artifact
        .image_id
        .as_deref()
        .or(r.artifact.manifest_digest.as_deref())
        .unwrap_or(&r.artifact.source)
}

/// Split an image reference into repository and tag/digest: `example/app:1.0` →
/// (`example/app`, `1.0`), `reg:5000/app@sha256:..` → (`reg:5000/app`, `sha256:..`). A
/// port colon is not a tag separator.
pub(crate) fn split_reference(reference: &str) -> (&str, Option<&str>) {
    if let Some((name, digest)) = reference.split_once('@') {
        return (name, Some(digest));
    }
    let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[last_slash..].rfind(':') {
        Some(i) => {
            let at = last_slash + i;
            (&reference[..at], Some(&reference[at + 1..]))
        }
        None => (reference, None),
    }
}

/// Parse an RFC 3339 timestamp or a plain `YYYY-MM-DD` date as UTC. Placeholder dates (year
/// 1, as Go advisories carry) and anything unparseable give `None`.
pub(crate) fn parse_time(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    let t = OffsetDateTime::parse(s, &Rfc3339).ok().or_else(|| {
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        Date::parse(s, &fmt)
            .ok()
            .map(|d| PrimitiveDateTime::new(d, Time::MIDNIGHT).assume_utc())
    })?;
    let t = t.to_offset(UtcOffset::UTC);
    (t.year() > 1).then_some(t)
}

/// `YYYY-MM-DDThh:mm:ssZ` (whole seconds, UTC).
pub(crate) fn utc_seconds(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The report's creation time in whole seconds (UTC), or the Unix epoch when `created_at`
/// cannot be read (formats that require a time still get a valid one).
pub(crate) fn created_time(r: &Report) -> OffsetDateTime {
    parse_time(&r.created_at).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A timestamp from a feed normalised to `YYYY-MM-DDThh:mm:ssZ`, `None` when unusable.
pub(crate) fn normalise_time(s: &str) -> Option<String> {
    parse_time(s).map(utc_seconds)
}

/// An absolute `http(s)` URL without whitespace (references from feeds are mostly URLs, but
/// not always).
pub(crate) fn is_web_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && !r
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>'))
    })
}

/// Characters allowed unescaped in a vulnerability id inside a URL path.
fn id_in_url(id: &str) -> Option<&str> {
    (!id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    .then_some(id)
}

/// The public page of a vulnerability id, for the id families with a well-known one.
pub(crate) fn advisory_url(id: &str) -> Option<String> {
    let id = id_in_url(id)?;
    let upper = id.to_ascii_uppercase();
    let prefix = upper.split('-').next().unwrap_or("");
    Some(match prefix {
        "CVE" => format!("https://nvd.nist.gov/vuln/detail/{id}"),
        "GHSA" => format!("https://github.com/advisories/{id}"),
        "DSA" | "DLA" | "DTSA" | "TEMP" => {
            format!("https://security-tracker.debian.org/tracker/{id}")
        }
        "PYSEC" | "RUSTSEC" | "GO" | "OSV" | "GSD" | "MAL" | "ALSA" | "ALBA" | "ALEA" | "UVI" => {
            format!("https://osv.dev/vulnerability/{id}")
        }
        _ => return None,
    })
}

/// The page of `id` at the feed that reported it (`debian-tracker`, `alpine-secdb`,
/// `osv:<Ecosystem>`), else the id's public page.
pub(crate) fn feed_url(feed: &str, id: &str) -> Option<String> {
    let id = id_in_url(id)?;
    if feed.starts_with("debian-") {
        Some(format!("https://security-tracker.debian.org/tracker/{id}"))
    } else if feed == "alpine-secdb" {
        Some(format!("https://security.alpinelinux.org/vuln/{id}"))
    } else if feed.starts_with("osv") {
        Some(format!("https://osv.dev/vulnerability/{id}"))
    } else {
        advisory_url(id)
    }
}

/// Who publishes ids of this family: `NVD` for CVEs, `GitHub Advisories` for GHSAs, ...
pub(crate) fn id_publisher(id: &str) -> String {
    match id_type(id).as_str() {
        "cve" => "NVD".into(),
        "ghsa" => "GitHub Advisories".into(),
        "dsa" | "dla" | "dtsa" => "Debian".into(),
        "pysec" | "rustsec" | "go" | "osv" | "gsd" | "mal" | "uvi" => "OSV".into(),
        "alsa" | "alba" | "alea" => "AlmaLinux".into(),
        other => other.to_ascii_uppercase(),
    }
}

/// The id family, lowercase: `cve`, `ghsa`, `dsa`, `rustsec`, ... (the prefix before the
/// first `-`), or `other`.
pub(crate) fn id_type(id: &str) -> String {
    match id.split_once('-') {
        Some((p, _)) if !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()) => {
            p.to_ascii_lowercase()
        }
        _ => "other".to_string(),
    }
}

/// The file a package was read from, without the member of an archive (`app.war!/x.jar` →
/// `app.war`).
pub(crate) fn outer_file(path: &str) -> &str {
    path.split("!/").next().unwrap_or(path)
}

/// The group a package belongs to, as the table groups them: the OS (`Alpine Linux v3.20
/// (apk)`) for OS packages, else the package file and kind (`/app/package-lock.json (npm)`).
pub(crate) fn target_name(r: &Report, kind: PackageKind, path: &str) -> String {
    if kind.is_os() {
        let os =
            r.os.as_ref()
                .map(|o| o.display())
                .unwrap_or_else(|| "OS packages".to_string());
        format!("{os} ({})", kind.as_str())
    } else {
        format!("{} ({})", outer_file(path), kind.as_str())
    }
}

/// `layer 3 (sha256:…)`.
pub(crate) fn layer_text(index: usize, diff_id: &str) -> String {
    if diff_id.is_empty() {
        format!("layer {index}")
    } else {
        format!("layer {index} ({diff_id})")
    }
}

/// A package's declared licence, classified for SBOMs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum License<'a> {
    /// One SPDX licence id of the list (`MIT`).
    Id(&'a str),
    /// A valid SPDX expression of listed licences (`MIT AND BSD-2-Clause`).
    Expression(&'a str),
    /// Anything else (free text, deprecated ids, `LicenseRef-`s of another document).
    Other(&'a str),
}

/// Classify a licence string (strict SPDX syntax; no guessing or rewriting).
pub(crate) fn classify_license(s: &str) -> Option<License<'_>> {
    let s = s.trim();
    if s.is_empty() || s == "NOASSERTION" || s == "NONE" {
        return None;
    }
    if s.contains("LicenseRef-") || s.contains("DocumentRef-") {
        return Some(License::Other(s));
    }
    if spdx::Expression::parse(s).is_err() {
        return Some(License::Other(s));
    }
    if spdx::license_id(s).is_some_and(|id| id.name == s) {
        Some(License::Id(s))
    } else {
        Some(License::Expression(s))
    }
}

/// Drop characters that XML 1.0 cannot carry and that break terminals and CSV readers:
/// control characters other than tab, newline and carriage return.
pub(crate) fn clean_text(s: &str) -> String {
    s.chars()
        .filter(|&c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .filter(|&c| c != '\u{FFFE}' && c != '\u{FFFF}')
        .collect()
}

/// Truncate to at most `max` characters (adding `…` when cut).
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_deterministic_and_version_5() {
        let a = uuid_v5(&["cyclonedx", "sha256:abc"]);
        assert_eq!(a, uuid_v5(&["cyclonedx", "sha256:abc"]));
        assert_ne!(a, uuid_v5(&["cyclonedx", "sha256:abd"]));
        // parts are separated: ("ab", "c") is not ("a", "bc")
        assert_ne!(uuid_v5(&["ab", "c"]), uuid_v5(&["a", "bc"]));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "5");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn references_split_at_the_tag_not_the_port() {
        assert_eq!(
            split_reference("example/app:1.0"),
            ("example/app", Some("1.0"))
        );
        assert_eq!(
            split_reference("reg:5000/team/app:2"),
            ("reg:5000/team/app", Some("2"))
        );
        assert_eq!(split_reference("reg:5000/app"), ("reg:5000/app", None));
        assert_eq!(
            split_reference("app@sha256:0123"),
            ("app", Some("sha256:0123"))
        );
        assert_eq!(
            split_reference("alpine-3.20.3.tar"),
            ("alpine-3.20.3.tar", None)
        );
    }

    #[test]
    fn times_are_normalised_and_placeholders_dropped() {
        assert_eq!(
            normalise_time("2026-11-25T14:39:33.339258102Z").as_deref(),
            Some("2026-11-25T14:39:33Z")
        );
        assert_eq!(
            normalise_time("2021-12-10T01:00:00+01:00").as_deref(),
            Some("2021-12-10T00:00:00Z")
        );
        assert_eq!(
            normalise_time("2021-12-10").as_deref(),
            Some("2021-12-10T00:00:00Z")
        );
        assert_eq!(normalise_time("0001-01-01T00:00:00Z"), None);
        assert_eq!(normalise_time("yesterday"), None);
        assert_eq!(normalise_time(""), None);
    }

    #[test]
    fn advisory_links_only_for_known_id_families() {
        assert_eq!(
            advisory_url("CVE-2021-44228").as_deref(),
            Some("https://nvd.nist.gov/vuln/detail/CVE-2021-44228")
        );
        assert_eq!(
            advisory_url("GHSA-jfh8-c2jp-5v3q").as_deref(),
            Some("https://github.com/advisories/GHSA-jfh8-c2jp-5v3q")
        );
        assert_eq!(
            advisory_url("DSA-5000-1").as_deref(),
            Some("https://security-tracker.debian.org/tracker/DSA-5000-1")
        );
        assert_eq!(
            advisory_url("GO-2023-1704").as_deref(),
            Some("https://osv.dev/vulnerability/GO-2023-1704")
        );
        assert_eq!(advisory_url("ALAS-2023-1234"), None);
        assert_eq!(advisory_url("CVE-2021-1/../x"), None);
        assert_eq!(id_type("CVE-2021-44228"), "cve");
        assert_eq!(id_type("GHSA-jfh8-c2jp-5v3q"), "ghsa");
        assert_eq!(id_type("weird"), "other");
        assert_eq!(
            feed_url("debian-tracker", "CVE-2024-0727").as_deref(),
            Some("https://security-tracker.debian.org/tracker/CVE-2024-0727")
        );
        assert_eq!(
            feed_url("alpine-secdb", "CVE-2024-9143").as_deref(),
            Some("https://security.alpinelinux.org/vuln/CVE-2024-9143")
        );
        assert_eq!(
            feed_url("osv:PyPI", "PYSEC-2021-142").as_deref(),
            Some("https://osv.dev/vulnerability/PYSEC-2021-142")
        );
        assert_eq!(
            feed_url("redhat-csaf", "CVE-2024-1").as_deref(),
            Some("https://nvd.nist.gov/vuln/detail/CVE-2024-1")
        );
        assert_eq!(id_publisher("GHSA-jfh8-c2jp-5v3q"), "GitHub Advisories");
        assert_eq!(id_publisher("RUSTSEC-2024-0001"), "OSV");
        assert_eq!(id_publisher("ALAS-2024-1"), "ALAS");
    }

    #[test]
    fn licences_are_classified_strictly() {
        assert_eq!(classify_license("MIT"), Some(License::Id("MIT")));
        assert_eq!(
            classify_license("MIT AND BSD-2-Clause AND GPL-2.0-or-later"),
            Some(License::Expression(
                "MIT AND BSD-2-Clause AND GPL-2.0-or-later"
            ))
        );
        assert_eq!(classify_license("GPL-2.0"), Some(License::Other("GPL-2.0")));
        assert_eq!(
            classify_license("GPL-2+ with exceptions"),
            Some(License::Other("GPL-2+ with exceptions"))
        );
        assert_eq!(
            classify_license("LicenseRef-foo"),
            Some(License::Other("LicenseRef-foo"))
        );
        assert_eq!(classify_license(" "), None);
        assert_eq!(classify_license("NOASSERTION"), None);
    }

    #[test]
    fn urls_and_text_clean_up() {
        assert!(is_web_url("https://example.org/a?b=c"));
        assert!(!is_web_url("https://"));
        assert!(!is_web_url("https://a b"));
        assert!(!is_web_url("ftp://x"));
        assert!(!is_web_url("see the changelog"));
        assert_eq!(clean_text("a\u{0}b\tc\n\u{1b}[31m"), "ab\tc\n[31m");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(
            outer_file("/opt/app.war!/WEB-INF/lib/a.jar"),
            "/opt/app.war"
        );
    }
}
