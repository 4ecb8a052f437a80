//! Real Debian packages for test layers: `apt-get download` them once (cached outside the
//! repository) and "install" them into a layer directory the way `dpkg -i` leaves the
//! filesystem: the package files unpacked with `dpkg-deb -x`, and the dpkg status database
//! extended with each package's control paragraph. Maintainer scripts are not run and
//! dependencies are not resolved: the layer holds exactly the packages asked for.

use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::rootfs::cache_dir;

fn output(cmd: &mut Command) -> Result<Vec<u8>, String> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(|e| format!("running {shown}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{shown} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}

/// The `.deb` files of `packages` (binary package names, candidate versions of this
/// machine's apt sources), downloaded with `apt-get download` into
/// `<cache_dir()>/debs/` on first use (a file lock serialises concurrent callers).
///
/// # Errors
/// A message when `apt-get download` fails (no network, unknown package).
pub fn download_debs(packages: &[&str]) -> Result<Vec<PathBuf>, String> {
    let dir = cache_dir().join("debs");
    fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let lock_path = dir.join("download.lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("opening lock {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("locking {}: {e}", lock_path.display()))?;
    let find = |name: &str| -> Option<PathBuf> {
        let prefix = format!("{name}_");
        let mut found: Vec<PathBuf> = fs::read_dir(&dir)
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".deb"))
            })
            .collect();
        found.sort();
        found.pop()
    };
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| find(p).is_none())
        .collect();
    if !missing.is_empty() {
        output(
            Command::new("apt-get")
                .current_dir(&dir)
                .args(["download", "-q"])
                .args(&missing),
        )?;
    }
    packages
        .iter()
        .map(|p| find(p).ok_or_else(|| format!("apt-get download {p}: no .deb appeared")))
        .collect()
}

/// A control field of a `.deb` (`dpkg-deb -f`), trimmed.
///
/// # Errors
/// When `dpkg-deb` fails.
pub fn deb_field(deb: &Path, field: &str) -> Result<String, String> {
    let out = output(Command::new("dpkg-deb").arg("-f").arg(deb).arg(field))?;
    Ok(String::from_utf8_lossy(&out).trim().to_string())
}

/// Fill `dir` (a layer's upper directory) with `debs` installed over the root filesystem tar
/// `base`: each package unpacked with `dpkg-deb -x`, and `var/lib/dpkg/status` written as the
/// base's status file plus one `Status: install ok installed` paragraph per package.
///
/// # Errors
/// When the base has no dpkg status file or a `dpkg-deb` call fails.
pub fn install_debs(base: &Path, debs: &[PathBuf], dir: &Path) -> Result<(), String> {
    let mut status = read_from_tar(base, "var/lib/dpkg/status")?
        .ok_or_else(|| format!("{} has no var/lib/dpkg/status", base.display()))?;
    for deb in debs {
        output(Command::new("dpkg-deb").arg("-x").arg(deb).arg(dir))?;
        let control =
            String::from_utf8_lossy(&output(Command::new("dpkg-deb").arg("-f").arg(deb))?)
                .to_string();
        if !status.ends_with("\n\n") {
            status.push_str(if status.ends_with('\n') { "\n" } else { "\n\n" });
        }
        for line in control.lines() {
            status.push_str(line);
            status.push('\n');
            if line.starts_with("Package:") {
                status.push_str("Status: install ok installed\n");
            }
        }
    }
    let path = dir.join("var/lib/dpkg/status");
    fs::create_dir_all(dir.join("var/lib/dpkg")).map_err(|e| e.to_string())?;
    fs::write(&path, status).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// The content of `name` (without `./`) in a plain tar, as text.
fn read_from_tar(tar_path: &Path, name: &str) -> Result<Option<String>, String> {
    let f = File::open(tar_path).map_err(|e| format!("{}: {e}", tar_path.display()))?;
    let mut ar = tar::Archive::new(f);
    for e in ar.entries().map_err(|e| e.to_string())? {
        let mut e = e.map_err(|e| e.to_string())?;
        let p = e.path().map_err(|e| e.to_string())?.to_path_buf();
        let p = p.strip_prefix(".").unwrap_or(&p);
        if p == Path::new(name) {
            let mut s = String::new();
            e.read_to_string(&mut s).map_err(|e| e.to_string())?;
            return Ok(Some(s));
        }
    }
    Ok(None)
}
