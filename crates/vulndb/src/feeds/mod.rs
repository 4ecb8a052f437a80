//! Feed discovery and the per-feed loaders.

use std::cmp::Ordering;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, Visitor};

use crate::build::Ctx;
use crate::error::{Error, Result};
use crate::model::Severity;

pub(crate) mod alpine;
pub(crate) mod constraints;
pub(crate) mod debian_list;
pub(crate) mod debian_tracker;
pub(crate) mod epss;
pub(crate) mod friendsofphp;
pub(crate) mod kev;
pub(crate) mod native;
pub(crate) mod nodejs_wg;
pub(crate) mod nvd;
pub(crate) mod osv;
pub(crate) mod oval;
pub(crate) mod redhat_csaf;
pub(crate) mod rubysec;
pub(crate) mod suse_cvrf;
pub(crate) mod tarball;
pub(crate) mod updateinfo;
pub(crate) mod xml;

/// The archives of the native language feeds, relative to the feed folder (the names
/// `update` saves them under).
pub(crate) const RUBYSEC_ARCHIVE: &str = "rubysec/ruby-advisory-db.tar.gz";
pub(crate) const FRIENDSOFPHP_ARCHIVE: &str = "friendsofphp/security-advisories.tar.gz";
pub(crate) const NODEJS_WG_ARCHIVE: &str = "nodejs-security-wg/vuln.tar.gz";
/// SUSE's archive of every CVRF document, relative to the feed folder.
pub(crate) const SUSE_CVRF_ARCHIVE: &str = "suse-cvrf/cvrf.tar.bz2";

/// Folder names under the feed root that this version reads.
const KNOWN: &[&str] = &[
    "osv",
    "debian",
    "alpine-secdb",
    "alpine-secdb-legacy",
    "kev",
    "azurelinux-oval",
    "oracle-oval",
    "amazon",
    "rocky",
    "redhat-csaf",
    "suse-cvrf",
    "photon-oval",
    "rubysec",
    "friendsofphp",
    "nodejs-security-wg",
    "epss",
    "nvd",
];

/// One Alpine secdb file to read.
#[derive(Debug, Clone)]
pub(crate) struct AlpineFile {
    /// Branch folder name (`v3.20`, `edge`).
    pub branch: String,
    pub path: PathBuf,
    pub yaml: bool,
}

/// What `build` will read, found by looking at the feed folder.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// `(folder, files)` per OSV ecosystem folder (`*.zip` and loose `*.json` records),
    /// `_`-prefixed folders last.
    pub osv: Vec<(String, Vec<PathBuf>)>,
    /// The native language feeds' archives.
    pub rubysec: Option<PathBuf>,
    pub friendsofphp: Option<PathBuf>,
    pub nodejs_wg: Option<PathBuf>,
    pub tracker: Option<PathBuf>,
    /// `(feed name, file)` for DSA/DLA/DTSA.
    pub debian_lists: Vec<(&'static str, PathBuf)>,
    pub alpine: Vec<AlpineFile>,
    pub kev: Option<PathBuf>,
    /// `epss/*.csv[.gz]`: the newest by name.
    pub epss: Option<PathBuf>,
    /// `nvd/*.json[.gz]`: NVD API 2.0 pages, in name (= fetch) order.
    pub nvd: Vec<PathBuf>,
    /// `azurelinux-oval/*.xml`, `oracle-oval/*.xml[.bz2|.gz]`.
    pub azure_oval: Vec<PathBuf>,
    pub oracle_oval: Vec<PathBuf>,
    /// `photon-oval/*.xml[.bz2|.gz]`.
    pub photon_oval: Vec<PathBuf>,
    /// `(release, updateinfo file)` of `amazon/<release>/` and `rocky/<release>/`.
    pub amazon: Vec<(String, PathBuf)>,
    pub rocky: Vec<(String, PathBuf)>,
    /// `redhat-csaf/*.tar.zst`, `redhat-csaf/deletions.csv`, `redhat-csaf/**/*.json`.
    pub redhat_csaf: redhat_csaf::Sources,
    /// `suse-cvrf/*.xml[.bz2|.gz]`.
    pub suse_cvrf: Vec<PathBuf>,
    /// `suse-cvrf/*.tar.bz2` (SUSE's `cvrf.tar.bz2` of every document).
    pub suse_cvrf_archives: Vec<PathBuf>,
    pub skipped: Vec<String>,
    pub notes: Vec<String>,
    /// The feed folder.
    pub root: PathBuf,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.osv.iter().all(|(_, z)| z.is_empty())
            && self.tracker.is_none()
            && self.debian_lists.is_empty()
            && self.alpine.is_empty()
            && self.kev.is_none()
            && self.epss.is_none()
            && self.nvd.is_empty()
            && self.azure_oval.is_empty()
            && self.oracle_oval.is_empty()
            && self.photon_oval.is_empty()
            && self.amazon.is_empty()
            && self.rocky.is_empty()
            && self.redhat_csaf.is_empty()
            && self.suse_cvrf.is_empty()
            && self.suse_cvrf_archives.is_empty()
            && self.rubysec.is_none()
            && self.friendsofphp.is_none()
            && self.nodejs_wg.is_none()
    }
}

/// Sorted, non-hidden entries of a folder.
fn entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut out = Vec::new();
    for e in rd {
        let e = e.map_err(|e| Error::io(dir, e))?;
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        out.push(e.path());
    }
    out.sort();
    Ok(out)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Look at `root` and list the files `build` reads, and the ones it skips.
pub(crate) fn discover(root: &Path) -> Result<Plan> {
    let mut plan = Plan {
        root: root.to_path_buf(),
        ..Plan::default()
    };
    for top in entries(root)? {
        let name = file_name(&top);
        if !top.is_dir() || !KNOWN.contains(&name.as_str()) {
            plan.skipped.push(name);
        }
    }

    let osv_dir = root.join("osv");
    if osv_dir.is_dir() {
        let mut folders: Vec<PathBuf> = entries(&osv_dir)?;
        // Real ecosystem folders first, `_samples`-style folders last, so that the per-feed
        // counts of real feeds never depend on sample copies of the same records.
        folders.sort_by_key(|p| (file_name(p).starts_with('_'), file_name(p)));
        for folder in folders {
            let fname = file_name(&folder);
            if !folder.is_dir() {
                plan.skipped.push(format!("osv/{fname}"));
                continue;
            }
            let mut zips = Vec::new();
            for f in entries(&folder)? {
                let lower = file_name(&f).to_ascii_lowercase();
                if f.is_file() && (lower.ends_with(".zip") || lower.ends_with(".json")) {
                    zips.push(f);
                } else {
                    plan.skipped.push(format!("osv/{fname}/{}", file_name(&f)));
                }
            }
            plan.osv.push((fname, zips));
        }
    }

    for (rel, slot) in [
        (RUBYSEC_ARCHIVE, &mut plan.rubysec),
        (FRIENDSOFPHP_ARCHIVE, &mut plan.friendsofphp),
        (NODEJS_WG_ARCHIVE, &mut plan.nodejs_wg),
    ] {
        let Some((top, name)) = rel.split_once('/') else {
            continue;
        };
        let dir = root.join(top);
        if !dir.is_dir() {
            continue;
        }
        for f in entries(&dir)? {
            if file_name(&f) == name && f.is_file() {
                *slot = Some(f);
            } else {
                plan.skipped.push(format!("{top}/{}", file_name(&f)));
            }
        }
    }

    let deb = root.join("debian");
    if deb.is_dir() {
        for f in entries(&deb)? {
            match file_name(&f).as_str() {
                "tracker.json" if f.is_file() => plan.tracker = Some(f),
                "DSA.list" if f.is_file() => plan.debian_lists.push(("debian-dsa", f)),
                "DLA.list" if f.is_file() => plan.debian_lists.push(("debian-dla", f)),
                "DTSA.list" if f.is_file() => plan.debian_lists.push(("debian-dtsa", f)),
                other => plan.skipped.push(format!("debian/{other}")),
            }
        }
        let order = |n: &str| match n {
            "debian-dsa" => 0,
            "debian-dla" => 1,
            _ => 2,
        };
        plan.debian_lists.sort_by_key(|(n, _)| order(n));
    }

    // Alpine: JSON first; a legacy YAML file is read only when its branch/repo has no JSON.
    let json_dir = root.join("alpine-secdb");
    let yaml_dir = root.join("alpine-secdb-legacy");
    let mut seen = std::collections::BTreeSet::new();
    for (dir, yaml) in [(&json_dir, false), (&yaml_dir, true)] {
        if !dir.is_dir() {
            continue;
        }
        let top = file_name(dir);
        for branch in entries(dir)? {
            let bname = file_name(&branch);
            if !branch.is_dir() {
                plan.skipped.push(format!("{top}/{bname}"));
                continue;
            }
            for f in entries(&branch)? {
                let fname = file_name(&f);
                let stem = fname.strip_suffix(".json").filter(|_| !yaml).or_else(|| {
                    fname
                        .strip_suffix(".yaml")
                        .or_else(|| fname.strip_suffix(".yml"))
                        .filter(|_| yaml)
                });
                let Some(stem) = stem.filter(|_| f.is_file()) else {
                    plan.skipped.push(format!("{top}/{bname}/{fname}"));
                    continue;
                };
                if !seen.insert((bname.clone(), stem.to_string())) {
                    plan.notes.push(format!(
                        "{top}/{bname}/{fname}: not read, alpine-secdb/{bname}/{stem}.json has the same data"
                    ));
                    continue;
                }
                plan.alpine.push(AlpineFile {
                    branch: bname.clone(),
                    path: f,
                    yaml,
                });
            }
        }
    }

    let kev_dir = root.join("kev");
    if kev_dir.is_dir() {
        for f in entries(&kev_dir)? {
            if file_name(&f) == "known_exploited_vulnerabilities.json" && f.is_file() {
                plan.kev = Some(f);
            } else {
                plan.skipped.push(format!("kev/{}", file_name(&f)));
            }
        }
    }
    let epss_dir = root.join("epss");
    if epss_dir.is_dir() {
        let mut found: Vec<PathBuf> = Vec::new();
        for f in entries(&epss_dir)? {
            let n = file_name(&f).to_ascii_lowercase();
            if f.is_file() && (n.ends_with(".csv") || n.ends_with(".csv.gz")) {
                found.push(f);
            } else {
                plan.skipped.push(format!("epss/{}", file_name(&f)));
            }
        }
        // one day's scores replace the previous day's: read the newest file only
        if let Some(newest) = found.pop() {
            for older in found {
                plan.notes.push(format!(
                    "epss/{}: not read, epss/{} is newer",
                    file_name(&older),
                    file_name(&newest)
                ));
            }
            plan.epss = Some(newest);
        }
    }
    let nvd_dir = root.join("nvd");
    if nvd_dir.is_dir() {
        for f in entries(&nvd_dir)? {
            let n = file_name(&f).to_ascii_lowercase();
            if f.is_file() && (n.ends_with(".json") || n.ends_with(".json.gz")) {
                plan.nvd.push(f);
            } else {
                plan.skipped.push(format!("nvd/{}", file_name(&f)));
            }
        }
    }
    for (top, list) in [
        ("azurelinux-oval", &mut plan.azure_oval),
        ("oracle-oval", &mut plan.oracle_oval),
        ("suse-cvrf", &mut plan.suse_cvrf),
        ("photon-oval", &mut plan.photon_oval),
    ] {
        let dir = root.join(top);
        if !dir.is_dir() {
            continue;
        }
        for f in entries(&dir)? {
            let lower = file_name(&f).to_ascii_lowercase();
            if !f.is_file() {
                plan.skipped.push(format!("{top}/{}", file_name(&f)));
            } else if [".xml", ".xml.bz2", ".xml.gz"]
                .iter()
                .any(|s| lower.ends_with(s))
            {
                list.push(f);
            } else if top == "suse-cvrf" && lower.ends_with(".tar.bz2") {
                plan.suse_cvrf_archives.push(f);
            } else {
                plan.skipped.push(format!("{top}/{}", file_name(&f)));
            }
        }
    }
    let csaf = root.join("redhat-csaf");
    if csaf.is_dir() {
        redhat_csaf::discover_folder(root, &csaf, &mut plan.redhat_csaf, &mut plan.skipped)?;
    }
    // updateinfo: <top>/<release>/updateinfo.xml[.gz]
    for (top, list) in [("amazon", &mut plan.amazon), ("rocky", &mut plan.rocky)] {
        let dir = root.join(top);
        if !dir.is_dir() {
            continue;
        }
        for rel_dir in entries(&dir)? {
            let release = file_name(&rel_dir);
            if !rel_dir.is_dir()
                || !release
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.')
            {
                plan.skipped.push(format!("{top}/{release}"));
                continue;
            }
            for f in entries(&rel_dir)? {
                let n = file_name(&f);
                // `updateinfo.xml[.gz]`, or one per repository (`updateinfo-BaseOS.xml.gz`)
                if f.is_file()
                    && n.starts_with("updateinfo")
                    && (n.ends_with(".xml") || n.ends_with(".xml.gz"))
                {
                    list.push((release.clone(), f));
                } else {
                    plan.skipped.push(format!("{top}/{release}/{n}"));
                }
            }
        }
    }
    Ok(plan)
}

/// Load every feed of `plan`, in a fixed order (richest vulnerability text first).
pub(crate) fn load_all(ctx: &mut Ctx<'_>, plan: &Plan) -> Result<()> {
    for n in &plan.notes {
        ctx.note(n.clone());
    }
    let mut seen_osv = std::collections::HashSet::new();
    for (folder, zips) in &plan.osv {
        osv::load(ctx, folder, zips, &mut seen_osv)?;
    }
    // The native language feeds right after OSV: their titles and descriptions are richer
    // than the distro feeds' one-line summaries of the same CVEs.
    if let Some(p) = &plan.rubysec {
        native::load(ctx, rubysec::SOURCE, p, &rubysec::wanted, rubysec::convert)?;
    }
    if let Some(p) = &plan.friendsofphp {
        native::load(
            ctx,
            friendsofphp::SOURCE,
            p,
            &friendsofphp::wanted,
            friendsofphp::convert,
        )?;
    }
    if let Some(p) = &plan.nodejs_wg {
        native::load(
            ctx,
            nodejs_wg::SOURCE,
            p,
            &nodejs_wg::wanted,
            nodejs_wg::convert,
        )?;
    }
    if let Some(t) = &plan.tracker {
        debian_tracker::load(ctx, t)?;
    }
    for (name, path) in &plan.debian_lists {
        debian_list::load(ctx, name, path)?;
    }
    if !plan.alpine.is_empty() {
        alpine::load(ctx, &plan.alpine)?;
    }
    if !plan.redhat_csaf.is_empty() {
        redhat_csaf::load(ctx, &plan.root, &plan.redhat_csaf)?;
    }
    if !plan.suse_cvrf.is_empty() || !plan.suse_cvrf_archives.is_empty() {
        suse_cvrf::load(ctx, &plan.suse_cvrf_archives, &plan.suse_cvrf)?;
    }
    if !plan.azure_oval.is_empty() {
        oval::load(ctx, oval::Flavor::Azure, &plan.azure_oval)?;
    }
    if !plan.oracle_oval.is_empty() {
        oval::load(ctx, oval::Flavor::Oracle, &plan.oracle_oval)?;
    }
    if !plan.photon_oval.is_empty() {
        oval::load(ctx, oval::Flavor::Photon, &plan.photon_oval)?;
    }
    if !plan.amazon.is_empty() {
        updateinfo::load(ctx, updateinfo::Distro::Amazon, &plan.amazon)?;
    }
    if !plan.rocky.is_empty() {
        updateinfo::load(ctx, updateinfo::Distro::Rocky, &plan.rocky)?;
    }
    if let Some(k) = &plan.kev {
        kev::load(ctx, k)?;
    }
    if let Some(e) = &plan.epss {
        epss::load(ctx, e)?;
    }
    if !plan.nvd.is_empty() {
        nvd::load(ctx, &plan.nvd)?;
    }
    Ok(())
}

/// Read a whole feed file.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// Turn a JSON error on a whole file into a feed error that says "truncated" when it is.
pub(crate) fn json_error(path: &Path, e: serde_json::Error) -> Error {
    if e.is_eof() {
        Error::feed(path, format!("truncated JSON ({e})"))
    } else {
        Error::feed(path, format!("invalid JSON ({e})"))
    }
}

/// Debian urgency → severity: `unimportant` → Negligible, `low`/`medium`/`high`; `*` marks
/// (`low*`, `high**`) are stripped; `not yet assigned`, `end-of-life` and anything else → None.
pub(crate) fn debian_urgency(u: &str) -> Option<Severity> {
    match u.trim().trim_end_matches('*').trim() {
        "unimportant" => Some(Severity::Negligible),
        "low" => Some(Severity::Low),
        "medium" => Some(Severity::Medium),
        "high" => Some(Severity::High),
        _ => None,
    }
}

/// Natural order on version-like strings (digit runs compared as numbers). Used only to pick
/// one of several fixed versions a feed lists for the same package and vulnerability; the
/// matcher does real per-distro version comparison.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let (da, db) = (x.is_ascii_digit(), y.is_ascii_digit());
                let take = |s: &[u8], digit: bool| {
                    s.iter()
                        .position(|c| c.is_ascii_digit() != digit)
                        .unwrap_or(s.len())
                };
                let (na, nb) = (take(a, da), take(b, db));
                let (ta, tb) = (&a[..na], &b[..nb]);
                let ord = if da && db {
                    let ta = trim_zeros(ta);
                    let tb = trim_zeros(tb);
                    ta.len().cmp(&tb.len()).then(ta.cmp(tb))
                } else {
                    ta.cmp(tb)
                };
                if ord != Ordering::Equal {
                    return ord;
                }
                a = &a[na..];
                b = &b[nb..];
            }
        }
    }
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().position(|&c| c != b'0').unwrap_or(s.len());
    &s[n..]
}

/// A scalar read as text whatever its YAML/JSON type (`0`, `"0"`, `1.5`, `true`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Scalar(pub String);

impl<'de> serde::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Scalar, E> {
                Ok(Scalar(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// Deserialize `null` as the type's default (OSV writes `"aliases": null` at times).
pub(crate) fn null_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        assert_eq!(natural_cmp("4.90.1-r0", "4.91-r0"), Ordering::Less);
        assert_eq!(natural_cmp("2.2.10-r0", "2.4.2-r0"), Ordering::Less);
        assert_eq!(natural_cmp("5.6.36-r0", "5.6.33-r0"), Ordering::Greater);
        assert_eq!(natural_cmp("1.0.2n-r0", "1.0.2o-r0"), Ordering::Less);
        assert_eq!(natural_cmp("1.10", "1.9"), Ordering::Greater);
        assert_eq!(natural_cmp("1.01", "1.1"), Ordering::Equal);
        assert_eq!(natural_cmp("1.2", "1.2-r1"), Ordering::Less);
    }

    #[test]
    fn urgencies() {
        assert_eq!(debian_urgency("unimportant"), Some(Severity::Negligible));
        assert_eq!(debian_urgency("low*"), Some(Severity::Low));
        assert_eq!(debian_urgency("high**"), Some(Severity::High));
        assert_eq!(debian_urgency("medium"), Some(Severity::Medium));
        assert_eq!(debian_urgency("not yet assigned"), None);
        assert_eq!(debian_urgency("end-of-life"), None);
    }
}
