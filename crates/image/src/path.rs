//! Paths inside an image root.
//!
//! Every path read from a layer is normalised lexically into an [`ImagePath`]: a relative,
//! `/`-separated path with no empty, `.` or `..` components. `..` at the root stays at the root
//! (exactly how the kernel resolves `..` in a chroot), so no entry can name a place outside the
//! image. Nothing here touches the host filesystem.

use std::fmt;

/// A normalised path inside the image root, without a leading `/` (the root itself is `""`).
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct ImagePath(String);

/// What normalisation had to do to a raw path; hostile layers are reported, not trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Normalisation {
    /// The raw path was absolute.
    pub was_absolute: bool,
    /// A `..` component tried to climb above the image root and was clamped.
    pub escaped_root: bool,
}

impl ImagePath {
    /// The image root.
    pub fn root() -> Self {
        ImagePath(String::new())
    }

    /// Normalise raw bytes from a tar header. Non-UTF-8 bytes are replaced (lossy), which only
    /// affects display and matching of such names, never where anything is read from.
    pub fn from_bytes(raw: &[u8]) -> (Self, Normalisation) {
        Self::normalise(&String::from_utf8_lossy(raw))
    }

    /// Normalise a raw path string.
    pub fn normalise(raw: &str) -> (Self, Normalisation) {
        let mut n = Normalisation {
            was_absolute: raw.starts_with('/'),
            ..Default::default()
        };
        let mut parts: Vec<&str> = Vec::new();
        for c in raw.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        n.escaped_root = true;
                    }
                }
                c => parts.push(c),
            }
        }
        (ImagePath(parts.join("/")), n)
    }

    /// Convenience for trusted literals such as `"etc/os-release"`.
    pub fn new(raw: &str) -> Self {
        Self::normalise(raw).0
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The parent directory (the root's parent is the root).
    pub fn parent(&self) -> ImagePath {
        match self.0.rfind('/') {
            Some(i) => ImagePath(self.0[..i].to_string()),
            None => ImagePath::root(),
        }
    }

    /// The last component (`""` for the root).
    pub fn file_name(&self) -> &str {
        match self.0.rfind('/') {
            Some(i) => &self.0[i + 1..],
            None => &self.0,
        }
    }

    /// `self/name`, normalised.
    pub fn join(&self, rel: &str) -> ImagePath {
        if rel.starts_with('/') {
            return ImagePath::new(rel);
        }
        ImagePath::normalise(&format!("{}/{}", self.0, rel)).0
    }

    /// True when `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &ImagePath) -> bool {
        other.is_root()
            || self.0 == other.0
            || (self.0.len() > other.0.len()
                && self.0.starts_with(&other.0)
                && self.0.as_bytes()[other.0.len()] == b'/')
    }

    /// Resolve a symlink target found at `self` (absolute targets start from the image root;
    /// relative ones from the link's directory). Clamped to the root like everything else.
    pub fn resolve_link(&self, target: &str) -> ImagePath {
        if target.starts_with('/') {
            ImagePath::new(target)
        } else {
            self.parent().join(target)
        }
    }

    /// The components, in order.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|c| !c.is_empty())
    }
}

impl fmt::Display for ImagePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_hostile_paths_inside_the_root() {
        let (p, n) = ImagePath::normalise("../../etc/shadow");
        assert_eq!(p.as_str(), "etc/shadow");
        assert!(n.escaped_root);
        let (p, n) = ImagePath::normalise("/etc//./passwd");
        assert_eq!(p.as_str(), "etc/passwd");
        assert!(n.was_absolute && !n.escaped_root);
        let (p, _) = ImagePath::normalise("./usr/lib/../share/");
        assert_eq!(p.as_str(), "usr/share");
        assert!(ImagePath::normalise("..").0.is_root());
    }

    #[test]
    fn prefix_is_component_wise() {
        let a = ImagePath::new("var/lib/dpkg");
        assert!(ImagePath::new("var/lib/dpkg/status").starts_with(&a));
        assert!(ImagePath::new("var/lib/dpkg").starts_with(&a));
        assert!(!ImagePath::new("var/lib/dpkgx/status").starts_with(&a));
        assert!(ImagePath::new("anything").starts_with(&ImagePath::root()));
    }

    #[test]
    fn resolves_link_targets_within_the_root() {
        let link = ImagePath::new("etc/os-release");
        assert_eq!(
            link.resolve_link("../usr/lib/os-release").as_str(),
            "usr/lib/os-release"
        );
        assert_eq!(
            link.resolve_link("/../../../etc/shadow").as_str(),
            "etc/shadow"
        );
        assert_eq!(link.resolve_link("../../../../x").as_str(), "x");
    }
}
