//! Base-image attribution: which layers came from the base image (`FROM …`) and which the
//! image's own build added.
//!
//! Evidence, combined:
//! 1. the distro rootfs layer: the lowest layer that wrote `etc/os-release` or
//!    `usr/lib/os-release`, or whose history says `ADD file:… in /` (how official base images
//!    are made) — it and every layer below it are base;
//! 2. the build-time gap: a build's steps follow each other within minutes, while the base
//!    image's layers were built earlier; the last gap of at least [`GAP_SECONDS`] between
//!    consecutive history entries separates the base's layers from the build's (this also
//!    catches multi-layer bases such as a language runtime on a distro);
//! 3. the `org.opencontainers.image.base.name` / `.digest` labels name the base.
//!
//! Images with normalised timestamps (all equal, or the epoch) fall back on (1) alone; an image
//! with neither (built `FROM scratch`) has no base layers.

use drydock_image::{ImageConfig, ImagePath, LayerAnalysis};
use serde::{Deserialize, Serialize};

/// A gap this long between consecutive history entries separates base from build.
pub const GAP_SECONDS: i64 = 3600;

pub const LABEL_BASE_NAME: &str = "org.opencontainers.image.base.name";
pub const LABEL_BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

const OS_RELEASE: &[&str] = &["etc/os-release", "usr/lib/os-release"];

/// Where a layer (and what it holds) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Base,
    Added,
}

/// The base image as far as it can be told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseImage {
    /// From the `org.opencontainers.image.base.name` label, else the OS (`debian 12`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Layers `0..layers` are the base's.
    pub layers: usize,
    /// The distro rootfs layer, if recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rootfs_layer: Option<usize>,
    /// How the split was decided, for the reader.
    pub evidence: Vec<String>,
}

/// Seconds since the epoch of an RFC 3339 timestamp (`2024-01-02T03:04:05.678Z`, offsets
/// honoured); `None` if it does not parse.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    let num = |a: usize, b: usize| -> Option<i64> {
        let t = s.get(a..b)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, mi, se) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    // days from civil (proleptic Gregorian)
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let mut t = days * 86_400 + h * 3600 + mi * 60 + se;
    // offset: skip fractional seconds, then Z or ±hh:mm
    let rest = s.get(19..)?;
    let rest = rest.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    if let Some(off) = rest.strip_prefix(['+', '-']) {
        let sign = if rest.starts_with('-') { -1 } else { 1 };
        let oh: i64 = off.get(0..2)?.parse().ok()?;
        let om: i64 = off.get(3..5).and_then(|m| m.parse().ok()).unwrap_or(0);
        t -= sign * (oh * 3600 + om * 60);
    }
    Some(t)
}

/// Is this `created_by` how an official base image adds its rootfs? (`ADD file:… in /`
/// from the classic builder, `ADD rootfs.tar.xz / # buildkit`, Debian's `# debian.sh …`.)
pub fn is_rootfs_add(created_by: &str) -> bool {
    let c = created_by.trim();
    let c = c.strip_prefix("/bin/sh -c ").unwrap_or(c).trim();
    let c = c.strip_prefix("#(nop)").unwrap_or(c).trim();
    let c = c.strip_suffix("# buildkit").unwrap_or(c).trim();
    if c.starts_with("# debian.sh ") {
        return true;
    }
    let Some(rest) = c.strip_prefix("ADD ") else {
        return false;
    };
    if let Some(r) = rest.trim().strip_prefix("file:") {
        return r.trim_end().ends_with(" in /");
    }
    let parts: Vec<&str> = rest.split_whitespace().collect();
    parts.len() == 2 && parts[1] == "/" && parts[0].contains(".tar")
}

/// Decide which layers are the base image's.
pub fn detect<T>(
    layers: &[LayerAnalysis<T>],
    config: &ImageConfig,
    created_by: &[Option<String>],
    os_name: Option<String>,
) -> BaseImage {
    let mut evidence = Vec::new();
    let rootfs_by_file = layers
        .iter()
        .position(|l| OS_RELEASE.iter().any(|p| l.wrote(&ImagePath::new(p))));
    let rootfs_by_history = created_by
        .iter()
        .position(|c| c.as_deref().is_some_and(is_rootfs_add));
    let rootfs = match (rootfs_by_file, rootfs_by_history) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    if let Some(r) = rootfs {
        let why = match (rootfs_by_file == Some(r), rootfs_by_history == Some(r)) {
            (true, true) => "writes os-release and was added as a rootfs",
            (true, false) => "writes os-release",
            _ => "was added as a rootfs (ADD … in /)",
        };
        evidence.push(format!("layer {r} is the distro root filesystem ({why})"));
    }
    let mut base = rootfs.map_or(0, |r| r + 1);

    // build-time gap over all history entries (empty ones included)
    let mut layer_no = 0usize;
    let mut prev: Option<i64> = None;
    let mut gap: Option<(usize, i64)> = None;
    let aligned = config.history.iter().filter(|h| !h.empty_layer).count() == layers.len();
    if aligned {
        for h in &config.history {
            let t = h.created.as_deref().and_then(parse_time);
            if let (Some(t), Some(p)) = (t, prev)
                && t - p >= GAP_SECONDS
                && layer_no > 0
                && layer_no < layers.len()
            {
                gap = Some((layer_no, t - p));
            }
            if t.is_some() {
                prev = t;
            }
            if !h.empty_layer {
                layer_no += 1;
            }
        }
    }
    if let Some((g, secs)) = gap {
        evidence.push(format!(
            "the history jumps {} between layer {} and layer {g}: layers below {g} were built earlier",
            human_duration(secs),
            g - 1
        ));
        base = base.max(g);
    }
    let labels = &config.config.labels;
    let label_name = labels
        .get(LABEL_BASE_NAME)
        .filter(|s| !s.is_empty())
        .cloned();
    let digest = labels
        .get(LABEL_BASE_DIGEST)
        .filter(|s| !s.is_empty())
        .cloned();
    if let Some(n) = &label_name {
        evidence.push(format!("label {LABEL_BASE_NAME}={n}"));
    }
    if base == 0 {
        evidence.push(
            "no distro root filesystem and no build-time gap: every layer is the image's own"
                .into(),
        );
    }
    BaseImage {
        name: label_name.or(os_name),
        digest,
        layers: base.min(layers.len()),
        rootfs_layer: rootfs,
        evidence,
    }
}

fn human_duration(secs: i64) -> String {
    let days = secs / 86_400;
    if days >= 1 {
        format!("{days} day{}", if days == 1 { "" } else { "s" })
    } else {
        format!("{} h", secs / 3600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_time("2024-01-01T00:00:00Z"), Some(1_704_067_200));
        assert_eq!(
            parse_time("2024-01-01T02:00:00.123456789+02:00"),
            Some(1_704_067_200)
        );
        assert_eq!(parse_time("2024-13-01T00:00:00Z"), None);
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time(""), None);
    }

    #[test]
    fn rootfs_adds() {
        assert!(is_rootfs_add(
            "/bin/sh -c #(nop) ADD file:5d9c2c5a8b3f1f in / "
        ));
        assert!(is_rootfs_add(
            "ADD alpine-minirootfs-3.20.3-x86_64.tar.gz / # buildkit"
        ));
        assert!(!is_rootfs_add("ADD app.tar.gz /srv # buildkit"));
        assert!(is_rootfs_add(
            "# debian.sh --arch 'amd64' out/ 'bookworm' '@1700000000'"
        ));
        assert!(!is_rootfs_add("/bin/sh -c #(nop) COPY dir:abc in /app "));
        assert!(!is_rootfs_add("RUN /bin/sh -c apt-get install -y gcc"));
    }
}
