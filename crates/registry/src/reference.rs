//! Image references: `host[:port]/repository[:tag][@sha256:…]`, with Docker Hub shorthand.

use crate::error::{Error, Result};
use std::fmt;

/// The Docker Hub registry's name. It is the one container-registry host name written in the
/// code: everything about Docker Hub (its API host, its key in `~/.docker/config.json`, the
/// names it is also known by) is derived from it.
pub const DOCKER_HUB: &str = "docker.io";

/// The tag used when a reference names neither a tag nor a digest.
pub const DEFAULT_TAG: &str = "latest";

/// Docker Hub's API host (`registry-1.` + [`DOCKER_HUB`]).
pub(crate) fn docker_hub_api_host() -> String {
    format!("registry-1.{DOCKER_HUB}")
}

/// Docker Hub's key in `~/.docker/config.json` and the server URL its credential helpers
/// know it by.
pub(crate) fn docker_hub_config_key() -> String {
    format!("https://index.{DOCKER_HUB}/v1/")
}

/// Other names users write for Docker Hub.
fn is_docker_hub_alias(host: &str) -> bool {
    host == DOCKER_HUB
        || host.strip_prefix("index.") == Some(DOCKER_HUB)
        || host.strip_prefix("registry-1.") == Some(DOCKER_HUB)
}

/// A parsed image reference. The registry is always explicit (Docker Hub shorthand is
/// expanded: `alpine` → `docker.io/library/alpine:latest`); without a digest there is always
/// a tag (default `latest`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl Reference {
    /// Parse `host[:port]/repo[:tag][@sha256:<hex>]`, or Docker Hub shorthand (`alpine`,
    /// `user/app:1`). The first path component is a registry when it contains `.` or `:` or
    /// is `localhost`.
    pub fn parse(input: &str) -> Result<Reference> {
        let bad = |reason: &str| Error::InvalidReference {
            reference: input.to_string(),
            reason: reason.to_string(),
        };
        if input.is_empty() {
            return Err(bad("empty"));
        }
        if input.contains("://") {
            return Err(bad(
                "a reference has no scheme: write host[:port]/repository[:tag]",
            ));
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("contains whitespace"));
        }
        let (rest, digest) = match input.rsplit_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (input, None),
        };
        if let Some(d) = digest {
            validate_digest(d).map_err(|r| bad(&r))?;
        }
        // a tag follows the last ':' only when no '/' comes after it (else it was a port)
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
            _ => (rest, None),
        };
        if let Some(t) = tag {
            validate_tag(t).map_err(|r| bad(&r))?;
        }
        let (registry, repository) = split_registry(name);
        let registry = registry.map(str::to_string);
        if let Some(r) = &registry {
            validate_host(r).map_err(|r| bad(&r))?;
        }
        let hub = registry.as_deref().is_none_or(is_docker_hub_alias);
        let repository = if hub && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository.to_string()
        };
        validate_repository(&repository).map_err(|r| bad(&r))?;
        let registry = if hub {
            DOCKER_HUB.to_string()
        } else {
            registry.unwrap_or_default()
        };
        let tag = match (tag, digest) {
            (Some(t), _) => Some(t.to_string()),
            (None, None) => Some(DEFAULT_TAG.to_string()),
            (None, Some(_)) => None,
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest: digest.map(str::to_string),
        })
    }

    /// Registry host with optional port (`docker.io` for Docker Hub).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// Repository path inside the registry (`library/alpine`).
    pub fn repository(&self) -> &str {
        &self.repository
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// What the manifest is fetched by: the digest when there is one, else the tag.
    pub fn manifest_ref(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or(DEFAULT_TAG)
    }

    /// Is this a Docker Hub reference?
    pub fn is_docker_hub(&self) -> bool {
        self.registry == DOCKER_HUB
    }

    /// `registry/repository` (no tag or digest).
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The same repository with another tag (and no digest).
    pub fn with_tag(&self, tag: &str) -> Result<Reference> {
        validate_tag(tag).map_err(|reason| Error::InvalidReference {
            reference: format!("{}:{tag}", self.name()),
            reason,
        })?;
        Ok(Reference {
            tag: Some(tag.to_string()),
            digest: None,
            ..self.clone()
        })
    }

    /// The same repository pinned to a digest (the tag, if any, is kept for display).
    pub fn with_digest(&self, digest: &str) -> Result<Reference> {
        validate_digest(digest).map_err(|reason| Error::InvalidReference {
            reference: format!("{}@{digest}", self.name()),
            reason,
        })?;
        Ok(Reference {
            digest: Some(digest.to_string()),
            ..self.clone()
        })
    }
}

pub(crate) fn api_host(registry: &str) -> String {
    if is_docker_hub_alias(registry) {
        docker_hub_api_host()
    } else {
        registry.to_string()
    }
}

/// Normalise what a user wrote as a registry (Docker Hub under any of its names,
/// `127.0.0.1:5000`) to the name [`Reference::registry`] uses.
pub fn normalise_registry(host: &str) -> String {
    if is_docker_hub_alias(host) {
        DOCKER_HUB.to_string()
    } else {
        host.to_string()
    }
}

/// Does `s` name a registry rather than a repository (`127.0.0.1:5000`, `registry.local`,
/// `localhost`)? For `drydock registry scan <host>` vs `<host>/<repo>`.
pub fn is_registry_host(s: &str) -> bool {
    !s.contains('/') && looks_like_host(s) && validate_host(s).is_ok()
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Reference {
    type Err = Error;
    fn from_str(s: &str) -> Result<Reference> {
        Reference::parse(s)
    }
}

fn looks_like_host(first: &str) -> bool {
    first.contains('.') || first.contains(':') || first == "localhost"
}

fn split_registry(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest)) if looks_like_host(first) => (Some(first), rest),
        _ => (None, name),
    }
}

fn validate_host(host: &str) -> std::result::Result<(), String> {
    let (h, port) = if let Some(rest) = host.strip_prefix('[') {
        // [ipv6]:port
        let (addr, after) = rest
            .split_once(']')
            .ok_or("unterminated IPv6 address in the registry")?;
        if addr.is_empty() || !addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return Err(format!("invalid IPv6 registry address [{addr}]"));
        }
        match after {
            "" => return Ok(()),
            p => (
                "",
                Some(p.strip_prefix(':').ok_or("invalid registry port")?),
            ),
        }
    } else {
        match host.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host, None),
        }
    };
    if let Some(p) = port
        && (p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!("invalid registry port {p:?}"));
    }
    if !host.starts_with('[') {
        if h.is_empty() {
            return Err("empty registry host".into());
        }
        let ok_label = |l: &str| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if !h.split('.').all(ok_label) {
            return Err(format!("invalid registry host {h:?}"));
        }
    }
    Ok(())
}

/// Repository path components: lowercase alphanumerics separated by `.`, `_`, `__` or runs
/// of `-` (the distribution spec's grammar).
fn validate_repository(repo: &str) -> std::result::Result<(), String> {
    if repo.is_empty() {
        return Err("empty repository name".into());
    }
    if repo.len() > 255 {
        return Err("repository name is longer than 255 characters".into());
    }
    for comp in repo.split('/') {
        if comp.is_empty() {
            return Err("empty path component in the repository name".into());
        }
        if comp.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!(
                "repository name must be lowercase ({comp:?} is not)"
            ));
        }
        let bytes = comp.as_bytes();
        let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
            return Err(format!(
                "repository path component {comp:?} must start and end with a letter or digit"
            ));
        }
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if alnum(b) {
                i += 1;
                continue;
            }
            // a separator run: ".", "_", "__", or one or more "-"
            let start = i;
            while i < bytes.len() && !alnum(bytes[i]) {
                i += 1;
            }
            let sep = &comp[start..i];
            let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
            if !ok {
                return Err(format!(
                    "invalid separator {sep:?} in repository path component {comp:?}"
                ));
            }
        }
    }
    Ok(())
}

fn validate_tag(tag: &str) -> std::result::Result<(), String> {
    let b = tag.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    if b.is_empty() {
        return Err("empty tag".into());
    }
    if b.len() > 128 {
        return Err("tag is longer than 128 characters".into());
    }
    if !word(b[0]) || !b.iter().all(|&c| word(c) || c == b'.' || c == b'-') {
        return Err(format!(
            "invalid tag {tag:?} (letters, digits, '_', '.', '-'; not starting with '.' or '-')"
        ));
    }
    Ok(())
}

fn validate_digest(d: &str) -> std::result::Result<(), String> {
    let Some((alg, hex)) = d.split_once(':') else {
        return Err(format!(
            "invalid digest {d:?} (expected sha256:<64 hex digits>)"
        ));
    };
    if alg != "sha256" {
        return Err(format!(
            "unsupported digest algorithm {alg:?} (only sha256 is supported)"
        ));
    }
    if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(format!(
            "invalid digest {d:?} (expected sha256:<64 lowercase hex digits>)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn parts(s: &str) -> (String, String, Option<String>, Option<String>) {
        let r = Reference::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        (
            r.registry().to_string(),
            r.repository().to_string(),
            r.tag().map(str::to_string),
            r.digest().map(str::to_string),
        )
    }

    fn t(
        reg: &str,
        repo: &str,
        tag: Option<&str>,
        dig: Option<&str>,
    ) -> (String, String, Option<String>, Option<String>) {
        (
            reg.into(),
            repo.into(),
            tag.map(str::to_string),
            dig.map(str::to_string),
        )
    }

    #[test]
    fn docker_hub_shorthand() {
        assert_eq!(
            parts("alpine"),
            t(DOCKER_HUB, "library/alpine", Some("latest"), None)
        );
        assert_eq!(
            parts("alpine:3.20"),
            t(DOCKER_HUB, "library/alpine", Some("3.20"), None)
        );
        assert_eq!(
            parts("user/app"),
            t(DOCKER_HUB, "user/app", Some("latest"), None)
        );
        assert_eq!(
            parts(&format!("{DOCKER_HUB}/alpine")),
            t(DOCKER_HUB, "library/alpine", Some("latest"), None)
        );
        assert_eq!(
            parts(&format!("index.{DOCKER_HUB}/user/app:1")),
            t(DOCKER_HUB, "user/app", Some("1"), None)
        );
        assert_eq!(
            Reference::parse("alpine").unwrap().to_string(),
            format!("{DOCKER_HUB}/library/alpine:latest")
        );
        assert_eq!(
            api_host(Reference::parse("alpine").unwrap().registry()),
            format!("registry-1.{DOCKER_HUB}")
        );
    }

    #[test]
    fn explicit_registries_ports_tags_and_digests() {
        assert_eq!(
            parts("127.0.0.1:5000/test/alpine:3.20"),
            t("127.0.0.1:5000", "test/alpine", Some("3.20"), None)
        );
        assert_eq!(
            parts("127.0.0.1:5000/test/alpine"),
            t("127.0.0.1:5000", "test/alpine", Some("latest"), None)
        );
        assert_eq!(
            parts(&format!("127.0.0.1:5000/test/alpine@{D}")),
            t("127.0.0.1:5000", "test/alpine", None, Some(D))
        );
        assert_eq!(
            parts(&format!("127.0.0.1:5000/test/alpine:3.20@{D}")),
            t("127.0.0.1:5000", "test/alpine", Some("3.20"), Some(D))
        );
        assert_eq!(
            parts("localhost/a"),
            t("localhost", "a", Some("latest"), None)
        );
        assert_eq!(
            parts("[::1]:5000/a/b:c"),
            t("[::1]:5000", "a/b", Some("c"), None)
        );
        assert_eq!(
            parts("registry.local/a-b/c__d/e.f_g:v1.2-rc_3"),
            t("registry.local", "a-b/c__d/e.f_g", Some("v1.2-rc_3"), None)
        );
        let r = Reference::parse(&format!("127.0.0.1:5000/test/alpine:3.20@{D}")).unwrap();
        assert_eq!(r.manifest_ref(), D);
        assert_eq!(
            r.to_string(),
            format!("127.0.0.1:5000/test/alpine:3.20@{D}")
        );
        assert_eq!(r.name(), "127.0.0.1:5000/test/alpine");
        assert_eq!(
            r.with_tag("edge").unwrap().to_string(),
            "127.0.0.1:5000/test/alpine:edge"
        );
    }

    #[test]
    fn round_trips_through_display() {
        for s in [
            "127.0.0.1:5000/test/alpine:3.20",
            "registry.local/a/b/c:x",
            &format!("localhost:1/r@{D}"),
        ] {
            assert_eq!(Reference::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn rejects_malformed_references() {
        for (s, why) in [
            ("", "empty"),
            ("http://127.0.0.1:5000/a", "scheme"),
            ("127.0.0.1:5000/Test/alpine", "lowercase"),
            ("127.0.0.1:5000/a:", "empty tag"),
            ("127.0.0.1:5000/a:.x", "invalid tag"),
            ("127.0.0.1:5000/a@sha256:abc", "invalid digest"),
            (
                "127.0.0.1:5000/a@sha512:abc",
                "unsupported digest algorithm",
            ),
            ("127.0.0.1:50x0/a", "invalid registry port"),
            ("127.0.0.1:5000/a//b", "empty path component"),
            ("127.0.0.1:5000/a/-b", "must start and end"),
            ("127.0.0.1:5000/a..b", "invalid separator"),
            ("127.0.0.1:5000/", "empty repository"),
            ("bad_host.local/a", "invalid registry host"),
            ("a b", "whitespace"),
        ] {
            match Reference::parse(s) {
                Err(Error::InvalidReference { reference, reason }) => {
                    assert_eq!(reference, s);
                    assert!(reason.contains(why), "{s}: {reason}");
                }
                other => panic!("{s}: expected InvalidReference, got {other:?}"),
            }
        }
    }

    #[test]
    fn registry_hosts_are_told_from_repositories() {
        assert!(is_registry_host("127.0.0.1:5000"));
        assert!(is_registry_host("localhost"));
        assert!(is_registry_host("registry.local"));
        assert!(!is_registry_host("alpine"));
        assert!(!is_registry_host("127.0.0.1:5000/test/alpine"));
        assert_eq!(
            normalise_registry(&format!("index.{DOCKER_HUB}")),
            DOCKER_HUB
        );
        assert_eq!(normalise_registry("127.0.0.1:5000"), "127.0.0.1:5000");
    }
}
