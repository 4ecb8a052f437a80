//! Real root filesystems: the official Alpine minirootfs tarballs in `../shared`, and Debian
//! `debootstrap --variant=minbase` root filesystems built once and cached outside the repo.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::shared_dir;

/// Versions of the Alpine minirootfs tarballs present in `../shared/rootfs/alpine/`, sorted
/// (e.g. `["3.10.9", …, "3.20.3", "3.9.6"]`).
pub fn alpine_versions() -> Vec<String> {
    let dir = shared_dir().join("rootfs/alpine");
    let mut v: Vec<String> = fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    n.strip_prefix("alpine-minirootfs-")?
                        .strip_suffix("-x86_64.tar.gz")
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The path of the Alpine minirootfs tarball for `version` in `../shared/rootfs/alpine/`,
/// e.g. `alpine_rootfs("3.20.3")`; a minor version (`"3.20"`) picks the patch release
/// present.
///
/// # Panics
/// If no such tarball exists (the message lists those that do).
pub fn alpine_rootfs(version: &str) -> PathBuf {
    let dir = shared_dir().join("rootfs/alpine");
    let exact = dir.join(format!("alpine-minirootfs-{version}-x86_64.tar.gz"));
    if exact.is_file() {
        return exact;
    }
    let versions = alpine_versions();
    let prefix = format!("{version}.");
    if let Some(v) = versions.iter().find(|v| v.starts_with(&prefix)) {
        return dir.join(format!("alpine-minirootfs-{v}-x86_64.tar.gz"));
    }
    panic!(
        "no Alpine minirootfs {version} in {} (have: {})",
        dir.display(),
        versions.join(", ")
    )
}

/// The cache directory for built test fixtures, outside the repository:
/// `$DRYDOCK_CACHE`, else `$HOME/.cache/drydock-test`, else `/tmp/drydock-test-cache`.
pub fn cache_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("DRYDOCK_CACHE") {
        return PathBuf::from(p);
    }
    match std::env::var_os("HOME") {
        Some(h) if !h.is_empty() => PathBuf::from(h).join(".cache/drydock-test"),
        _ => PathBuf::from("/tmp/drydock-test-cache"),
    }
}

/// The Debian mirror this machine's apt uses: `$DRYDOCK_DEBIAN_MIRROR` if set, else the first
/// `URIs:` of a deb822 file in `/etc/apt/sources.list.d/` (then `deb` lines of `*.list` files
/// and `/etc/apt/sources.list`) whose path has a `debian` segment (so `debian-security`,
/// third-party repositories and such are skipped). `None` if there is none.
pub fn apt_mirror() -> Option<String> {
    if let Ok(m) = std::env::var("DRYDOCK_DEBIAN_MIRROR")
        && !m.is_empty()
    {
        return Some(m);
    }
    let mut files: Vec<PathBuf> = fs::read_dir("/etc/apt/sources.list.d")
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    // deb822 first, then one-line files, then the classic sources.list.
    let deb822 = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "sources"));
    let lists = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "list"));
    for p in deb822 {
        if let Some(m) = fs::read_to_string(p)
            .ok()
            .and_then(|t| mirror_from_deb822(&t))
        {
            return Some(m);
        }
    }
    let classic = PathBuf::from("/etc/apt/sources.list");
    for p in lists.chain(std::iter::once(&classic)) {
        if let Some(m) = fs::read_to_string(p)
            .ok()
            .and_then(|t| mirror_from_one_line(&t))
        {
            return Some(m);
        }
    }
    None
}

/// Whether `uri` looks like a Debian archive mirror (a path segment is exactly `debian`).
fn is_debian_archive(uri: &str) -> bool {
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    rest.split('/').skip(1).any(|seg| seg == "debian")
}

/// The first Debian archive URI of a deb822 `.sources` text (stanzas of `Types: deb`).
pub(crate) fn mirror_from_deb822(text: &str) -> Option<String> {
    for stanza in text.split("\n\n") {
        let mut types = Vec::new();
        let mut uris = Vec::new();
        let mut enabled = true;
        for line in stanza.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            match k.trim().to_ascii_lowercase().as_str() {
                "types" => types = v.split_whitespace().map(str::to_string).collect(),
                "uris" => uris = v.split_whitespace().map(str::to_string).collect(),
                "enabled" => enabled = !v.trim().eq_ignore_ascii_case("no"),
                _ => {}
            }
        }
        if enabled
            && types.iter().any(|t| t == "deb")
            && let Some(u) = uris.into_iter().find(|u| is_debian_archive(u))
        {
            return Some(u);
        }
    }
    None
}

/// The first Debian archive URI of `deb [options] URI suite components` lines.
pub(crate) fn mirror_from_one_line(text: &str) -> Option<String> {
    for line in text.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("deb ") else {
            continue;
        };
        let mut rest = rest.trim_start();
        if rest.starts_with('[') {
            rest = rest.split_once(']').map_or("", |(_, r)| r.trim_start());
        }
        if let Some(uri) = rest.split_whitespace().next()
            && is_debian_archive(uri)
        {
            return Some(uri.to_string());
        }
    }
    None
}

/// Finds an executable in `$PATH` or the sbin directories (which a non-root `$PATH` may lack).
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

/// A Debian `debootstrap --variant=minbase <suite>` root filesystem as an uncompressed tar
/// (made with `tar --numeric-owner -C <rootfs> -cf <tar> .`), built once and cached at
/// `<cache_dir()>/debootstrap-<suite>.tar` (see [`cache_dir`]). The mirror is the one apt
/// uses here ([`apt_mirror`]). A file lock makes concurrent callers (parallel tests, other
/// test binaries) wait for one build. The rootfs directory is removed after tarring. A
/// build takes about 30 s (bookworm, this machine) and gives a ~200 MB tar.
///
/// # Errors
/// A message saying what is missing (`debootstrap` not installed, not root) or what failed
/// (with the end of debootstrap's log). Tests should fail on it, not skip: CI installs
/// `debootstrap`.
pub fn debian_rootfs_tar(suite: &str) -> Result<PathBuf, String> {
    debian_rootfs_tar_in(&cache_dir(), suite)
}

/// [`debian_rootfs_tar`] with an explicit cache directory.
///
/// # Errors
/// As [`debian_rootfs_tar`].
pub fn debian_rootfs_tar_in(cache: &Path, suite: &str) -> Result<PathBuf, String> {
    if suite.is_empty() || !suite.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!("invalid Debian suite name {suite:?}"));
    }
    let tar_path = cache.join(format!("debootstrap-{suite}.tar"));
    if tar_path.is_file() {
        return Ok(tar_path);
    }
    fs::create_dir_all(cache).map_err(|e| format!("creating {}: {e}", cache.display()))?;
    let lock_path = cache.join(format!("debootstrap-{suite}.lock"));
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("opening lock {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("locking {}: {e}", lock_path.display()))?;
    // Someone else may have built it while we waited.
    if tar_path.is_file() {
        return Ok(tar_path);
    }
    let debootstrap = find_program("debootstrap").ok_or_else(|| {
        "debootstrap is not installed (apt-get install -y debootstrap); \
         the Debian rootfs fixtures need it"
            .to_string()
    })?;
    if !is_root() {
        return Err("debootstrap needs root to build the Debian rootfs fixture".into());
    }
    let mirror = apt_mirror().ok_or_else(|| {
        "no Debian mirror found in the apt sources; set DRYDOCK_DEBIAN_MIRROR".to_string()
    })?;
    let dir = cache.join(format!("debootstrap-{suite}.rootfs"));
    cleanup_rootfs(&dir)?;
    let log_path = cache.join(format!("debootstrap-{suite}.log"));
    let log = File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let log2 = log.try_clone().map_err(|e| e.to_string())?;
    let start = Instant::now();
    let status = Command::new(&debootstrap)
        .args(["--variant=minbase", suite])
        .arg(&dir)
        .arg(&mirror)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .status()
        .map_err(|e| format!("running {}: {e}", debootstrap.display()))?;
    if !status.success() {
        let tail = fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(15).collect();
        let _ = cleanup_rootfs(&dir);
        return Err(format!(
            "debootstrap --variant=minbase {suite} {} {mirror} failed ({status}); log {}:\n{}",
            dir.display(),
            log_path.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    let built = start.elapsed();
    let partial = cache.join(format!("debootstrap-{suite}.tar.partial"));
    let status = Command::new("tar")
        .arg("--numeric-owner")
        .arg("-C")
        .arg(&dir)
        .arg("-cf")
        .arg(&partial)
        .arg(".")
        .status()
        .map_err(|e| format!("running tar: {e}"))?;
    if !status.success() {
        let _ = fs::remove_file(&partial);
        let _ = cleanup_rootfs(&dir);
        return Err(format!("tar of {} failed ({status})", dir.display()));
    }
    fs::rename(&partial, &tar_path).map_err(|e| format!("{}: {e}", tar_path.display()))?;
    cleanup_rootfs(&dir)?;
    eprintln!(
        "drydock-testkit: debootstrap {suite} from {mirror} took {:.1} s (total {:.1} s); cached at {}",
        built.as_secs_f64(),
        start.elapsed().as_secs_f64(),
        tar_path.display()
    );
    Ok(tar_path)
}

/// Unmounts anything left mounted under `dir` (a failed debootstrap may leave `/proc` or
/// `/sys` mounted) and removes it.
fn cleanup_rootfs(dir: &Path) -> Result<(), String> {
    if !dir.exists() {
        return Ok(());
    }
    let canon = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let prefix = format!("{}/", canon.display());
    let mounts = fs::read_to_string("/proc/mounts").unwrap_or_default();
    let mut points: Vec<&str> = mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter(|m| m.starts_with(&prefix))
        .collect();
    points.sort_by_key(|m| std::cmp::Reverse(m.len()));
    for m in points {
        let _ = Command::new("umount").arg("-l").arg(m).status();
    }
    if fs::read_to_string("/proc/mounts")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .any(|m| m.starts_with(&prefix))
    {
        return Err(format!(
            "{} still has mounts below it; not removing it",
            dir.display()
        ));
    }
    fs::remove_dir_all(dir).map_err(|e| format!("removing {}: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_deb822_and_skips_security_and_third_party() {
        let text = "Types: deb\n# http://archive.example/debian/20250520T000000Z\n\
                    URIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n\
                    Components: main\n\nTypes: deb\nURIs: http://mirror.example/debian-security\n\
                    Suites: bookworm-security\n";
        assert_eq!(
            mirror_from_deb822(text).as_deref(),
            Some("http://mirror.example/debian")
        );
        let only_security = "Types: deb\nURIs: http://mirror.example/debian-security\n";
        assert_eq!(mirror_from_deb822(only_security), None);
        let third = "Types: deb\nURIs: https://vendor.example/node_20.x\nSuites: nodistro\n";
        assert_eq!(mirror_from_deb822(third), None);
        let disabled = "Enabled: no\nTypes: deb\nURIs: http://a.example/debian\n";
        assert_eq!(mirror_from_deb822(disabled), None);
    }

    #[test]
    fn parses_one_line_sources() {
        let text = "# comment\ndeb https://vendor2.example/apt cloud-sdk main\n\
                    deb-src http://x/debian bookworm main\n\
                    deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian/ bookworm main\n";
        assert_eq!(
            mirror_from_one_line(text).as_deref(),
            Some("http://mirror.example/debian/")
        );
    }
}
