//! The RPM package database, in its three on-disk formats, read without the `rpm` binary.
//!
//! | format | file | distros |
//! |---|---|---|
//! | SQLite | `rpmdb.sqlite` | RHEL/UBI 9, Fedora ≥ 33, CBL-Mariner 2, Azure Linux 3 |
//! | BerkeleyDB hash | `Packages` | RHEL/CentOS 5–8, Amazon Linux 2, Oracle Linux ≤ 8 |
//! | ndb | `Packages.db` | SUSE Linux Enterprise 15, openSUSE |
//!
//! The format is recognised from the content (magic bytes), not from the file name. Each
//! format yields header blobs; [`header::Header`] validates every offset of a blob before it is
//! read, and a blob that fails becomes an entry in [`RpmDb::errors`] — the other packages are
//! still listed. `gpg-pubkey` pseudo-packages (imported signing keys) are listed like rpm
//! lists them, but carry no architecture.

pub mod bdb;
pub mod header;
pub mod ndb;
pub mod sqlite;

use serde::{Deserialize, Serialize};
use std::fmt;

pub use header::{Header, HeaderError};

/// Largest rpmdb file read (bytes). Real databases are 2–150 MiB.
pub const MAX_RPMDB_SIZE: u64 = 512 << 20;

/// Which on-disk format a database was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RpmDbFormat {
    Sqlite,
    BerkeleyDb,
    Ndb,
}

impl RpmDbFormat {
    /// Detect the format from the first bytes of the file.
    pub fn detect(bytes: &[u8]) -> Option<RpmDbFormat> {
        if bytes.starts_with(sqlite::MAGIC) {
            Some(RpmDbFormat::Sqlite)
        } else if bytes.starts_with(b"RpmP") {
            Some(RpmDbFormat::Ndb)
        } else if bytes.len() >= 16
            && (bytes[12..16] == [0x61, 0x15, 0x06, 0x00] || bytes[12..16] == [0, 6, 0x15, 0x61])
        {
            Some(RpmDbFormat::BerkeleyDb)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RpmDbFormat::Sqlite => "sqlite",
            RpmDbFormat::BerkeleyDb => "bdb",
            RpmDbFormat::Ndb => "ndb",
        }
    }
}

/// Why a whole database could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpmDbError {
    #[error("not an rpm database: {0}")]
    NotRecognised(&'static str),
    #[error("rpm database is {0} bytes, over the {MAX_RPMDB_SIZE}-byte limit")]
    TooLarge(u64),
    #[error("corrupt rpm database: {0}")]
    Corrupt(String),
}

/// One installed package, as its rpmdb header records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpmEntry {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u32>,
    pub version: String,
    pub release: String,
    /// `None` for `gpg-pubkey` entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// `SOURCERPM`, e.g. `util-linux-2.32.1-42.el8_8.src.rpm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_rpm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// `MODULARITYLABEL` (`name:stream:version:context`) of packages from a module stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modularity_label: Option<String>,
    /// Installed file paths (directory + basename).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

impl RpmEntry {
    /// Read the package fields from a validated header. NAME, VERSION and RELEASE are
    /// required.
    pub fn from_header(h: &Header<'_>) -> Result<RpmEntry, String> {
        use header::tag;
        let req = |t: u32, what: &str| h.string(t).ok_or_else(|| format!("header has no {what}"));
        Ok(RpmEntry {
            name: req(tag::NAME, "NAME")?,
            epoch: h.u32(tag::EPOCH),
            version: req(tag::VERSION, "VERSION")?,
            release: req(tag::RELEASE, "RELEASE")?,
            arch: h.string(tag::ARCH),
            source_rpm: h.string(tag::SOURCERPM).filter(|s| s != "(none)"),
            vendor: h.string(tag::VENDOR),
            license: h.string(tag::LICENSE),
            modularity_label: h.string(tag::MODULARITYLABEL),
            files: h.files(),
        })
    }

    /// `[epoch:]version-release` — the form the matcher compares.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }

    /// `name-[epoch:]version-release.arch`, as `rpm -qa --qf '%{NEVRA}'` prints it
    /// (`(none)` for a missing arch).
    pub fn nevra(&self) -> String {
        format!(
            "{}-{}.{}",
            self.name,
            self.evr(),
            self.arch.as_deref().unwrap_or("(none)")
        )
    }

    /// `name:stream` of the module the package was installed from
    /// (`MODULARITYLABEL` `nodejs:18:8090020231019152822:rhel9` → `nodejs:18`).
    pub fn module_stream(&self) -> Option<String> {
        let label = self.modularity_label.as_deref()?;
        let mut it = label.split(':');
        match (it.next(), it.next()) {
            (Some(n), Some(s)) if !n.is_empty() && !s.is_empty() => Some(format!("{n}:{s}")),
            _ => None,
        }
    }

    /// Source package name and `version-release` from `SOURCERPM`
    /// (`util-linux-2.32.1-42.el8_8.src.rpm` → `("util-linux", "2.32.1-42.el8_8")`).
    pub fn source_name_version(&self) -> Option<(String, String)> {
        parse_source_rpm(self.source_rpm.as_deref()?)
    }
}

/// Split a source RPM file name into name and `version-release`.
pub fn parse_source_rpm(srpm: &str) -> Option<(String, String)> {
    let s = srpm.strip_suffix(".rpm")?;
    let s = s
        .strip_suffix(".src")
        .or_else(|| s.strip_suffix(".nosrc"))
        .unwrap_or(s);
    let (rest, release) = s.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some((name.to_string(), format!("{version}-{release}")))
}

/// A parsed rpmdb: the packages, and one message per header that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpmDb {
    pub format: RpmDbFormat,
    pub packages: Vec<RpmEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl fmt::Display for RpmDbFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One header blob per package record, or why the record could not be read.
pub type HeaderBlobs = Vec<Result<Vec<u8>, String>>;

/// The raw header blobs of an rpmdb file (any format), in database order, each one or the
/// reason it could not be read. [`parse_rpmdb`] parses these with [`Header::parse`].
pub fn header_blobs(bytes: &[u8]) -> Result<(RpmDbFormat, HeaderBlobs), RpmDbError> {
    if bytes.len() as u64 > MAX_RPMDB_SIZE {
        return Err(RpmDbError::TooLarge(bytes.len() as u64));
    }
    let format = RpmDbFormat::detect(bytes).ok_or(RpmDbError::NotRecognised(
        "neither SQLite, BerkeleyDB hash nor ndb",
    ))?;
    let blobs = match format {
        RpmDbFormat::Sqlite => sqlite::blobs(bytes)?,
        RpmDbFormat::BerkeleyDb => bdb::blobs(bytes)?,
        RpmDbFormat::Ndb => ndb::blobs(bytes)?,
    };
    Ok((format, blobs))
}

/// Parse an rpmdb file of any of the three formats from its bytes.
pub fn parse_rpmdb(bytes: &[u8]) -> Result<RpmDb, RpmDbError> {
    let (format, blobs) = header_blobs(bytes)?;
    let mut db = RpmDb {
        format,
        packages: Vec::with_capacity(blobs.len()),
        errors: Vec::new(),
    };
    for (i, blob) in blobs.into_iter().enumerate() {
        let entry = blob.and_then(|b| {
            let h = Header::parse(&b).map_err(|e| e.to_string())?;
            RpmEntry::from_header(&h)
        });
        match entry {
            Ok(e) => db.packages.push(e),
            Err(e) => db.errors.push(format!("package record {}: {e}", i + 1)),
        }
    }
    Ok(db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names() {
        assert_eq!(
            parse_source_rpm("util-linux-2.32.1-42.el8_8.src.rpm"),
            Some(("util-linux".into(), "2.32.1-42.el8_8".into()))
        );
        assert_eq!(
            parse_source_rpm("glibc-2.34-2.cm2.src.rpm"),
            Some(("glibc".into(), "2.34-2.cm2".into()))
        );
        assert_eq!(
            parse_source_rpm("kernel-5.14.0-1.nosrc.rpm"),
            Some(("kernel".into(), "5.14.0-1".into()))
        );
        assert_eq!(parse_source_rpm("nodash.src.rpm"), None);
        assert_eq!(parse_source_rpm("a-1.src"), None);
    }

    #[test]
    fn formats_by_magic() {
        assert_eq!(
            RpmDbFormat::detect(b"SQLite format 3\0...."),
            Some(RpmDbFormat::Sqlite)
        );
        assert_eq!(RpmDbFormat::detect(b"RpmP\0\0\0\0"), Some(RpmDbFormat::Ndb));
        assert_eq!(RpmDbFormat::detect(b"asdf\n"), None);
        assert_eq!(
            parse_rpmdb(b"asdf\n").unwrap_err(),
            RpmDbError::NotRecognised("neither SQLite, BerkeleyDB hash nor ndb")
        );
    }
}
