//! Namespace and package-name normalisation shared by the DB builder and its callers.
//!
//! A namespace names where a package version comes from: a distro release (`debian:12`,
//! `ubuntu:22.04`, `alpine:3.20`, `alpine:edge`, `almalinux:9`, `debian:sid`) or a language
//! ecosystem (`pypi`, `npm`, `go`, `crates.io`, `maven`, `nuget`, `packagist`, `rubygems`).
//! The scanner computes the namespace of an installed package with [`distro_namespace`] (from
//! `/etc/os-release`) or from its ecosystem, and looks it up with the same strings the builder
//! stored, which come from [`normalize_osv_ecosystem`] and the native feeds.

/// Debian codename → release number: `bookworm` → `12`, `trixie` → `13`; `sid` and `unstable`
/// → `sid` (no number). Old releases keep their dotted number (`woody` → `3.0`, `sarge` →
/// `3.1`). Case-insensitive; unknown names give `None`.
pub fn debian_codename_to_version(codename: &str) -> Option<&'static str> {
    Some(match codename.trim().to_ascii_lowercase().as_str() {
        "buzz" => "1.1",
        "rex" => "1.2",
        "bo" => "1.3",
        "hamm" => "2.0",
        "slink" => "2.1",
        "potato" => "2.2",
        "woody" => "3.0",
        "sarge" => "3.1",
        "etch" => "4",
        "lenny" => "5",
        "squeeze" => "6",
        "wheezy" => "7",
        "jessie" => "8",
        "stretch" => "9",
        "buster" => "10",
        "bullseye" => "11",
        "bookworm" => "12",
        "trixie" => "13",
        "forky" => "14",
        "duke" => "15",
        "sid" | "unstable" => "sid",
        _ => return None,
    })
}

/// The namespace of a Debian release given by codename (`bookworm` → `debian:12`,
/// `sid` → `debian:sid`).
pub fn debian_namespace(codename: &str) -> Option<String> {
    debian_codename_to_version(codename).map(|v| format!("debian:{v}"))
}

/// Ubuntu codename → `YY.MM` release (the releases OSV and the Ubuntu tracker cover).
fn ubuntu_codename_to_version(codename: &str) -> Option<&'static str> {
    Some(match codename.trim().to_ascii_lowercase().as_str() {
        "trusty" => "14.04",
        "xenial" => "16.04",
        "bionic" => "18.04",
        "focal" => "20.04",
        "jammy" => "22.04",
        "lunar" => "23.04",
        "mantic" => "23.10",
        "noble" => "24.04",
        "oracular" => "24.10",
        "plucky" => "25.04",
        "questing" => "25.10",
        _ => return None,
    })
}

/// Alpine release → namespace suffix: `3.20.3` → `3.20`, `v3.20` → `3.20`,
/// `edge` and pre-releases such as `3.21_alpha20240807` → `edge`.
fn alpine_branch(version: &str) -> Option<String> {
    let v = version.trim();
    let v = v.strip_prefix('v').unwrap_or(v);
    if v.is_empty() {
        return None;
    }
    if v.eq_ignore_ascii_case("edge") || v.contains('_') {
        return Some("edge".to_string());
    }
    let mut parts = v.split('.');
    let major = parts.next().filter(|p| is_digits(p))?;
    match parts.next() {
        Some(minor) if is_digits(minor) => Some(format!("{major}.{minor}")),
        _ => Some(major.to_string()),
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `YY.MM` (Ubuntu) shape.
fn is_dotted_version(s: &str) -> bool {
    let mut it = s.split('.');
    matches!((it.next(), it.next()), (Some(a), Some(b)) if is_digits(a) && is_digits(b))
}

fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

/// Normalise an OSV `affected[].package.ecosystem` value into a namespace.
///
/// * `Debian:12` → `debian:12` (codenames are mapped: `Debian:bookworm` → `debian:12`)
/// * `Alpine:v3.20` → `alpine:3.20`
/// * `Ubuntu:22.04:LTS` → `ubuntu:22.04`, `Ubuntu:Pro:18.04:LTS` → `ubuntu-pro:18.04`,
///   `Ubuntu:Pro:FIPS-updates:18.04:LTS` → `ubuntu-pro-fips-updates:18.04`
/// * `Rocky Linux:9` → `rocky:9` (the os-release `ID`)
/// * everything else is lowercased as it stands: `AlmaLinux:8` → `almalinux:8`, `PyPI` →
///   `pypi`, `crates.io` → `crates.io`, `Red Hat:rhel_e4s:9.2::appstream` →
///   `red hat:rhel_e4s:9.2::appstream`.
///
/// `None` only for an empty string.
pub fn normalize_osv_ecosystem(ecosystem: &str) -> Option<String> {
    let eco = ecosystem.trim();
    if eco.is_empty() {
        return None;
    }
    let parts: Vec<&str> = eco.split(':').collect();
    let base = parts[0];
    let rest = &parts[1..];
    let out = match base {
        "Debian" => match rest.first() {
            None => "debian".to_string(),
            Some(v) => match debian_codename_to_version(v) {
                Some(n) => format!("debian:{n}"),
                None => format!("debian:{}", rest.join(":").to_ascii_lowercase()),
            },
        },
        "Alpine" => match rest.first().and_then(|v| alpine_branch(v)) {
            Some(b) if rest.len() == 1 => format!("alpine:{b}"),
            _ => eco.to_lowercase(),
        },
        "Ubuntu" => ubuntu_ecosystem(rest).unwrap_or_else(|| eco.to_lowercase()),
        "Rocky Linux" if !rest.is_empty() => format!("rocky:{}", rest.join(":")),
        _ => eco.to_lowercase(),
    };
    Some(out)
}

/// `[22.04, LTS]` → `ubuntu:22.04`; `[Pro, 18.04, LTS]` → `ubuntu-pro:18.04`;
/// `[Pro, FIPS, 16.04, LTS]` → `ubuntu-pro-fips:16.04`.
fn ubuntu_ecosystem(rest: &[&str]) -> Option<String> {
    let pos = rest.iter().position(|p| is_dotted_version(p))?;
    // Only "LTS" may follow the version.
    if rest[pos + 1..]
        .iter()
        .any(|p| !p.eq_ignore_ascii_case("LTS"))
    {
        return None;
    }
    let variant: Vec<String> = rest[..pos].iter().map(|p| p.to_ascii_lowercase()).collect();
    if variant.iter().any(|v| v.is_empty() || v.contains(' ')) {
        return None;
    }
    let mut name = String::from("ubuntu");
    for v in &variant {
        name.push('-');
        name.push_str(v);
    }
    Some(format!("{name}:{}", rest[pos]))
}

/// The namespace of an installed OS from `/etc/os-release` fields (`ID`, `VERSION_ID`,
/// `VERSION_CODENAME`).
///
/// * debian `12` → `debian:12`; no `VERSION_ID` but codename `trixie` → `debian:13`;
///   codename `sid` → `debian:sid`
/// * ubuntu `22.04` → `ubuntu:22.04` (codename `jammy` when `VERSION_ID` is missing)
/// * alpine `3.20.3` → `alpine:3.20`; `3.21_alpha20240807` or `edge` → `alpine:edge`
/// * almalinux/rocky/rhel/centos/ol/fedora: the major version (`almalinux:9`, `rhel:9` for
///   RHEL and UBI `9.4`, `centos:9` for CentOS Stream 9, `ol:8`)
/// * amzn: `amzn:2`, `amzn:2023`; Amazon Linux 1 (`2018.03`, `2017.09`, …) → `amzn:1`
/// * any other `ID`: `id:VERSION_ID` (`sles:15.5`, `opensuse-leap:15.5`, `mariner:2.0`,
///   `azurelinux:3.0`, `photon:5.0`)
///
/// `None` when no version can be found.
pub fn distro_namespace(os_id: &str, version_id: &str, codename: Option<&str>) -> Option<String> {
    let id = os_id.trim().trim_matches('"').to_ascii_lowercase();
    let version = version_id.trim().trim_matches('"');
    let codename = codename
        .map(|c| c.trim().trim_matches('"'))
        .filter(|c| !c.is_empty());
    if id.is_empty() {
        return None;
    }
    match id.as_str() {
        "debian" => {
            let m = major(version);
            if is_digits(m) {
                let n: u32 = m.parse().ok()?;
                // Releases before etch (4) are numbered 3.0, 3.1, ...
                if n < 4 && version.contains('.') {
                    let mut it = version.split('.');
                    let minor = it.next().zip(it.next()).map(|(a, b)| format!("{a}.{b}"))?;
                    return Some(format!("debian:{minor}"));
                }
                return Some(format!("debian:{n}"));
            }
            // VERSION_ID absent (testing/sid): fall back on the codename, then on a
            // "trixie/sid" style value.
            codename
                .and_then(debian_namespace)
                .or_else(|| version.split('/').next().and_then(debian_namespace))
        }
        "ubuntu" => {
            if is_dotted_version(version) {
                let mut it = version.split('.');
                let (a, b) = (it.next()?, it.next()?);
                return Some(format!("ubuntu:{a}.{b}"));
            }
            codename
                .and_then(ubuntu_codename_to_version)
                .map(|v| format!("ubuntu:{v}"))
        }
        "alpine" => alpine_branch(version).map(|b| format!("alpine:{b}")),
        "amzn" => {
            let m = major(version);
            match m.parse::<u32>() {
                // Amazon Linux 1 releases are named by date: 2015.03 … 2018.03
                Ok(y) if (2010..2023).contains(&y) => Some("amzn:1".to_string()),
                Ok(_) => Some(format!("amzn:{m}")),
                Err(_) => None,
            }
        }
        "almalinux" | "rocky" | "rhel" | "centos" | "ol" | "fedora" => {
            let m = major(version);
            is_digits(m).then(|| format!("{id}:{m}"))
        }
        _ => (!version.is_empty()).then(|| format!("{id}:{}", version.to_ascii_lowercase())),
    }
}

/// Normalise a package name the way the DB stores it for `namespace`: PyPI names are
/// PEP 503-normalised (lowercase, runs of `-`, `_`, `.` become one `-`); Composer
/// (`packagist`) names are lowercased (Composer treats `vendor/package` case-insensitively);
/// other names are kept as they are.
pub fn normalize_package_name(namespace: &str, name: &str) -> String {
    match namespace {
        "pypi" => pep503(name),
        "packagist" => name.trim().to_lowercase(),
        _ => name.to_string(),
    }
}

/// PEP 503 normalisation: `Foo.Bar__baz` → `foo-bar-baz`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
                in_sep = true;
            }
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(e: &str) -> Option<String> {
        normalize_osv_ecosystem(e)
    }

    #[test]
    fn osv_ecosystems() {
        assert_eq!(n("Debian:12").as_deref(), Some("debian:12"));
        assert_eq!(n("Debian:7").as_deref(), Some("debian:7"));
        assert_eq!(n("Debian:bookworm").as_deref(), Some("debian:12"));
        assert_eq!(n("Debian").as_deref(), Some("debian"));
        assert_eq!(n("Alpine:v3.20").as_deref(), Some("alpine:3.20"));
        assert_eq!(n("Alpine:v3.12").as_deref(), Some("alpine:3.12"));
        assert_eq!(n("Alpine:edge").as_deref(), Some("alpine:edge"));
        assert_eq!(n("Ubuntu:22.04:LTS").as_deref(), Some("ubuntu:22.04"));
        assert_eq!(n("Ubuntu:24.10").as_deref(), Some("ubuntu:24.10"));
        assert_eq!(
            n("Ubuntu:Pro:18.04:LTS").as_deref(),
            Some("ubuntu-pro:18.04")
        );
        assert_eq!(
            n("Ubuntu:Pro:14.04:LTS").as_deref(),
            Some("ubuntu-pro:14.04")
        );
        assert_eq!(
            n("Ubuntu:Pro:FIPS-updates:18.04:LTS").as_deref(),
            Some("ubuntu-pro-fips-updates:18.04")
        );
        assert_eq!(
            n("Ubuntu:ubuntu_pro:22.04::main").as_deref(),
            Some("ubuntu:ubuntu_pro:22.04::main")
        );
        assert_eq!(n("AlmaLinux:8").as_deref(), Some("almalinux:8"));
        assert_eq!(n("Rocky Linux:9").as_deref(), Some("rocky:9"));
        assert_eq!(
            n("Red Hat:rhel_e4s:9.2::appstream").as_deref(),
            Some("red hat:rhel_e4s:9.2::appstream")
        );
        assert_eq!(n("PyPI").as_deref(), Some("pypi"));
        assert_eq!(n("npm").as_deref(), Some("npm"));
        assert_eq!(n("Go").as_deref(), Some("go"));
        assert_eq!(n("crates.io").as_deref(), Some("crates.io"));
        assert_eq!(n("Maven").as_deref(), Some("maven"));
        assert_eq!(n("NuGet").as_deref(), Some("nuget"));
        assert_eq!(n("Packagist").as_deref(), Some("packagist"));
        assert_eq!(n("RubyGems").as_deref(), Some("rubygems"));
        assert_eq!(n(""), None);
        assert_eq!(n("  "), None);
    }

    #[test]
    fn codenames() {
        assert_eq!(debian_codename_to_version("wheezy"), Some("7"));
        assert_eq!(debian_codename_to_version("jessie"), Some("8"));
        assert_eq!(debian_codename_to_version("stretch"), Some("9"));
        assert_eq!(debian_codename_to_version("buster"), Some("10"));
        assert_eq!(debian_codename_to_version("bullseye"), Some("11"));
        assert_eq!(debian_codename_to_version("Bookworm"), Some("12"));
        assert_eq!(debian_codename_to_version("trixie"), Some("13"));
        assert_eq!(debian_codename_to_version("forky"), Some("14"));
        assert_eq!(debian_codename_to_version("sid"), Some("sid"));
        assert_eq!(debian_codename_to_version("unstable"), Some("sid"));
        assert_eq!(debian_codename_to_version("woody"), Some("3.0"));
        assert_eq!(debian_codename_to_version("hamm2"), None);
        assert_eq!(debian_namespace("sid").as_deref(), Some("debian:sid"));
    }

    #[test]
    fn os_release() {
        let d = distro_namespace;
        assert_eq!(d("debian", "12", None).as_deref(), Some("debian:12"));
        assert_eq!(
            d("debian", "12", Some("bookworm")).as_deref(),
            Some("debian:12")
        );
        assert_eq!(
            d("debian", "", Some("trixie")).as_deref(),
            Some("debian:13")
        );
        assert_eq!(d("debian", "", Some("sid")).as_deref(), Some("debian:sid"));
        assert_eq!(d("debian", "", None), None);
        assert_eq!(
            d("\"debian\"", "\"11\"", None).as_deref(),
            Some("debian:11")
        );
        assert_eq!(d("ubuntu", "22.04", None).as_deref(), Some("ubuntu:22.04"));
        assert_eq!(
            d("ubuntu", "", Some("noble")).as_deref(),
            Some("ubuntu:24.04")
        );
        assert_eq!(d("alpine", "3.20.3", None).as_deref(), Some("alpine:3.20"));
        assert_eq!(d("alpine", "3.9.6", None).as_deref(), Some("alpine:3.9"));
        assert_eq!(
            d("alpine", "3.21_alpha20240807", None).as_deref(),
            Some("alpine:edge")
        );
        assert_eq!(d("alpine", "edge", None).as_deref(), Some("alpine:edge"));
        assert_eq!(d("alpine", "", None), None);
        assert_eq!(d("almalinux", "9.4", None).as_deref(), Some("almalinux:9"));
        assert_eq!(d("amzn", "2023", None).as_deref(), Some("amzn:2023"));
        assert_eq!(d("amzn", "2", None).as_deref(), Some("amzn:2"));
        assert_eq!(d("amzn", "2018.03", None).as_deref(), Some("amzn:1"));
        assert_eq!(d("amzn", "", None), None);
        assert_eq!(d("rhel", "9.4", None).as_deref(), Some("rhel:9"));
        assert_eq!(d("centos", "9", None).as_deref(), Some("centos:9"));
        assert_eq!(d("rocky", "9.3", None).as_deref(), Some("rocky:9"));
        assert_eq!(d("ol", "8.9", None).as_deref(), Some("ol:8"));
        assert_eq!(d("fedora", "39", None).as_deref(), Some("fedora:39"));
        assert_eq!(d("sles", "15.5", None).as_deref(), Some("sles:15.5"));
        assert_eq!(
            d("opensuse-leap", "15.5", None).as_deref(),
            Some("opensuse-leap:15.5")
        );
        assert_eq!(
            d("azurelinux", "3.0", None).as_deref(),
            Some("azurelinux:3.0")
        );
        assert_eq!(d("mariner", "2.0", None).as_deref(), Some("mariner:2.0"));
        assert_eq!(d("photon", "5.0", None).as_deref(), Some("photon:5.0"));
        assert_eq!(
            d("wolfi", "20230201", None).as_deref(),
            Some("wolfi:20230201")
        );
        assert_eq!(d("", "1", None), None);
    }

    #[test]
    fn pypi_names() {
        assert_eq!(pep503("Django"), "django");
        assert_eq!(pep503("zope.interface"), "zope-interface");
        assert_eq!(pep503("Foo__Bar-.baz"), "foo-bar-baz");
        assert_eq!(normalize_package_name("pypi", "PyYAML"), "pyyaml");
        assert_eq!(normalize_package_name("npm", "@Scope/Pkg"), "@Scope/Pkg");
        assert_eq!(
            normalize_package_name("packagist", "Symfony/HTTP-Kernel"),
            "symfony/http-kernel"
        );
        assert_eq!(normalize_package_name("rubygems", "RedCloth"), "RedCloth");
    }
}
