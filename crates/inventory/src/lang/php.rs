//! PHP packages (Composer / Packagist).
//!
//! Installed packages (image and source tree): `vendor/composer/installed.json` (any vendor
//! directory name: the file is `<vendor-dir>/composer/installed.json`).
//! - Composer 1 writes a JSON array of packages;
//! - Composer 2 writes `{"packages": [...], "dev": bool, "dev-package-names": [...]}`: a package
//!   named in `dev-package-names` is dev.
//!
//! Source trees only: `composer.lock` — `packages` (production) and `packages-dev` (dev).
//!
//! Names are `vendor/package`, lowercased (Packagist names are case-insensitive and the advisory
//! databases spell them in lower case). A leading `v` is dropped from tag versions (`v5.4.1` →
//! `5.4.1`); branch versions (`dev-main`, `2.x-dev`) are kept as they are. A licence array lists
//! alternatives (Composer's documented semantics) and is joined with ` OR `.

use std::collections::HashSet;

use serde::Deserialize;

use super::common::{LList, LStr, finish, is_blank, split_last, warn};
use super::{Ecosystem, LangPackage, Scope};

pub fn wants(path: &str, scope: Scope) -> bool {
    let (dir, name) = split_last(path);
    match name {
        "installed.json" => split_last(dir).1 == "composer",
        "composer.lock" => scope == Scope::Fs,
        _ => false,
    }
}

pub fn parse(path: &str, content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    if is_blank(content) {
        return Vec::new();
    }
    let pkgs = match split_last(path).1 {
        "installed.json" => parse_installed(content, warnings),
        "composer.lock" => parse_lock(content, warnings),
        _ => Vec::new(),
    };
    finish(pkgs)
}

#[derive(Deserialize)]
struct Package<'a> {
    #[serde(default, borrow)]
    name: LStr<'a>,
    #[serde(default, borrow)]
    version: LStr<'a>,
    #[serde(default, borrow)]
    license: LList<'a>,
}

#[derive(Deserialize)]
struct ComposerLock<'a> {
    #[serde(default, borrow)]
    packages: Option<Vec<Package<'a>>>,
    #[serde(default, borrow, rename = "packages-dev")]
    packages_dev: Option<Vec<Package<'a>>>,
}

#[derive(Deserialize)]
struct Installed2<'a> {
    #[serde(default, borrow)]
    packages: Option<Vec<Package<'a>>>,
    #[serde(default, borrow, rename = "dev-package-names")]
    dev_package_names: LList<'a>,
}

fn parse_lock(content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let lock: ComposerLock = match serde_json::from_slice(content) {
        Ok(l) => l,
        Err(e) => {
            warnings.push(format!("not a valid composer.lock: {e}"));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    let mut nwarn = 0;
    for (list, dev) in [(lock.packages, false), (lock.packages_dev, true)] {
        for p in list.iter().flatten() {
            push(p, dev, &mut out, warnings, &mut nwarn);
        }
    }
    out
}

fn parse_installed(content: &[u8], warnings: &mut Vec<String>) -> Vec<LangPackage> {
    let first = content.iter().find(|b| !b.is_ascii_whitespace());
    let (packages, dev_names) = if first == Some(&b'[') {
        match serde_json::from_slice::<Vec<Package>>(content) {
            Ok(p) => (p, LList::default()),
            Err(e) => {
                warnings.push(format!("not a valid installed.json: {e}"));
                return Vec::new();
            }
        }
    } else {
        match serde_json::from_slice::<Installed2>(content) {
            Ok(i) => (i.packages.unwrap_or_default(), i.dev_package_names),
            Err(e) => {
                warnings.push(format!("not a valid installed.json: {e}"));
                return Vec::new();
            }
        }
    };
    // Names compare case-insensitively (Packagist names are lowercase, but be lenient).
    let dev_names: HashSet<String> = dev_names.0.iter().map(|d| d.to_ascii_lowercase()).collect();
    let mut out = Vec::with_capacity(packages.len());
    let mut nwarn = 0;
    for p in &packages {
        let dev = !dev_names.is_empty()
            && p.name
                .get()
                .is_some_and(|n| dev_names.contains(&n.to_ascii_lowercase()));
        push(p, dev, &mut out, warnings, &mut nwarn);
    }
    out
}

fn push(
    p: &Package,
    dev: bool,
    out: &mut Vec<LangPackage>,
    warnings: &mut Vec<String>,
    nwarn: &mut usize,
) {
    let (Some(name), Some(version)) = (p.name.get(), p.version.get()) else {
        warn(warnings, nwarn, || {
            format!(
                "package {} without a name or version",
                p.name.get().unwrap_or("(unnamed)")
            )
        });
        return;
    };
    let mut lp = LangPackage::new(
        Ecosystem::Composer,
        name.to_ascii_lowercase(),
        normalize_version(version),
    );
    lp.dev = dev;
    let licenses: Vec<&str> = p
        .license
        .0
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    if !licenses.is_empty() {
        lp.license = Some(licenses.join(" OR "));
    }
    out.push(lp);
}

/// `v5.4.1` → `5.4.1`; anything not a `v` followed by a digit is kept.
fn normalize_version(v: &str) -> &str {
    match v.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_by_scope() {
        assert!(wants("app/vendor/composer/installed.json", Scope::Image));
        assert!(wants("srv/www/lib/composer/installed.json", Scope::Image));
        assert!(!wants("app/vendor/installed.json", Scope::Image));
        assert!(!wants("app/composer.lock", Scope::Image));
        assert!(wants("app/composer.lock", Scope::Fs));
        assert!(!wants("app/composer.json", Scope::Fs));
    }

    #[test]
    fn versions() {
        assert_eq!(normalize_version("v5.4.1"), "5.4.1");
        assert_eq!(normalize_version("V1.0"), "1.0");
        assert_eq!(normalize_version("dev-main"), "dev-main");
        assert_eq!(normalize_version("2.x-dev"), "2.x-dev");
        assert_eq!(normalize_version("v"), "v");
        assert_eq!(normalize_version("vendor-branch"), "vendor-branch");
    }
}
