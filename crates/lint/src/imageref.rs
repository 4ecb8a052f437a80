//! Image references (`[registry/]repository[:tag][@digest]`) as written in `FROM` and in
//! Kubernetes `image:` fields, and the allowed-registries policy.

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host as written, or `docker.io` when the reference names none.
    pub registry: String,
    /// Repository path without the registry (`library/` is added for Docker Hub official
    /// images written without a namespace).
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    pub fn parse(s: &str) -> Option<ImageRef> {
        let s = s.trim();
        if s.is_empty() || s.chars().any(char::is_whitespace) {
            return None;
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(d.to_string())),
            None => (s, None),
        };
        // A tag is after the last ':' that comes after the last '/'.
        let slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (name, tag) = match rest[slash..].rfind(':') {
            Some(i) => (&rest[..slash + i], Some(rest[slash + i + 1..].to_string())),
            None => (rest, None),
        };
        if name.is_empty() {
            return None;
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), path.to_string())
            }
            Some(_) => ("docker.io".to_string(), name.to_string()),
            None => ("docker.io".to_string(), format!("library/{name}")),
        };
        Some(ImageRef {
            registry: if registry == "index.docker.io" || registry == "registry-1.docker.io" {
                "docker.io".to_string()
            } else {
                registry
            },
            repository,
            tag,
            digest,
        })
    }

    /// Pinned by a content digest.
    pub fn has_digest(&self) -> bool {
        self.digest.as_deref().is_some_and(|d| d.contains(':'))
    }

    /// `latest` or no tag at all (and no digest): the reference can change under you.
    pub fn mutable_tag(&self) -> Option<&str> {
        if self.has_digest() {
            return None;
        }
        match self.tag.as_deref() {
            None => Some("(none: implicitly latest)"),
            Some(t) if t.eq_ignore_ascii_case("latest") => Some("latest"),
            _ => None,
        }
    }

    /// `registry/repository` for matching against the allowed list.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }
}

/// Whether the image is allowed by the policy list. Each entry is a registry host
/// (`registry.example.com`, `docker.io`) or a registry-plus-path prefix
/// (`ghcr.io/myorg`); a prefix matches only at a `/` boundary. An empty list allows all.
pub fn registry_allowed(image: &ImageRef, allowed: &[String]) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let full = image.full_name();
    allowed.iter().any(|a| {
        let a = a.trim().trim_end_matches('/');
        let a = if a == "index.docker.io" {
            "docker.io"
        } else {
            a
        };
        full == a || full.starts_with(&format!("{a}/"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
        let r = ImageRef::parse("ubuntu").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag, r.digest),
            ("docker.io", "library/ubuntu", None, None)
        );
        let r = ImageRef::parse("localhost:5000/team/app:1.2@sha256:abcd").unwrap();
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.tag.as_deref(), Some("1.2"));
        assert!(r.has_digest());
        assert_eq!(r.mutable_tag(), None);
        let r = ImageRef::parse("bitnami/nginx:latest").unwrap();
        assert_eq!(r.full_name(), "docker.io/bitnami/nginx");
        assert_eq!(r.mutable_tag(), Some("latest"));
    }

    #[test]
    fn allowed_registries() {
        let allowed = vec!["ghcr.io/acme".to_string(), "docker.io".to_string()];
        let ok = |s: &str| registry_allowed(&ImageRef::parse(s).unwrap(), &allowed);
        assert!(ok("ghcr.io/acme/app:1"));
        assert!(ok("alpine:3.20"));
        assert!(!ok("ghcr.io/acme-evil/app:1"));
        assert!(!ok("quay.io/acme/app:1"));
    }
}
