//! The RPM header blob, as stored in every rpmdb format.
//!
//! Layout (all integers big-endian): `il: u32` (entry count), `dl: u32` (data length), then
//! `il` index entries of 16 bytes (`tag: u32`, `type: u32`, `offset: i32`, `count: u32`), then
//! `dl` bytes of data. An installed header starts with a *region* entry (tag 63,
//! `HEADERIMMUTABLE`, type BIN, count 16) whose data is a trailer entry pointing back over the
//! region's entries (`offset = -16 * ril`). Entries after the region ("dribbles") were added
//! at install time and override region entries with the same tag.
//!
//! Every offset and length is checked before it is used: a header that does not fit its blob,
//! an entry whose data leaves the data area, a string without its terminating NUL, a bad
//! region trailer — each is a [`HeaderError`] for that one header, never a panic.

use std::fmt;

/// Largest index entry count accepted (rpm's own limit: 16 bits).
pub const MAX_ENTRIES: u32 = 0xffff;
/// Largest data area accepted (rpm's own limit: 256 MiB).
pub const MAX_DATA: u32 = 256 * 1024 * 1024;

/// Tags read by the cataloger.
pub mod tag {
    pub const HEADERIMAGE: u32 = 61;
    pub const HEADERSIGNATURES: u32 = 62;
    pub const HEADERIMMUTABLE: u32 = 63;
    pub const NAME: u32 = 1000;
    pub const VERSION: u32 = 1001;
    pub const RELEASE: u32 = 1002;
    pub const EPOCH: u32 = 1003;
    pub const VENDOR: u32 = 1011;
    pub const LICENSE: u32 = 1014;
    pub const ARCH: u32 = 1022;
    pub const OLDFILENAMES: u32 = 1027;
    pub const SOURCERPM: u32 = 1044;
    pub const DIRINDEXES: u32 = 1116;
    pub const BASENAMES: u32 = 1117;
    pub const DIRNAMES: u32 = 1118;
    pub const MODULARITYLABEL: u32 = 5096;
}

/// Entry data types.
pub mod ty {
    pub const NULL: u32 = 0;
    pub const CHAR: u32 = 1;
    pub const INT8: u32 = 2;
    pub const INT16: u32 = 3;
    pub const INT32: u32 = 4;
    pub const INT64: u32 = 5;
    pub const STRING: u32 = 6;
    pub const BIN: u32 = 7;
    pub const STRING_ARRAY: u32 = 8;
    pub const I18NSTRING: u32 = 9;
}

/// Why a header blob was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// Shorter than the 8-byte preamble or than its own index + data.
    Truncated { need: u64, have: usize },
    /// More index entries or data than rpm accepts.
    TooLarge { entries: u32, data: u32 },
    /// Index entry `index` has an unknown type.
    BadType { index: usize, ty: u32 },
    /// Index entry `index` points outside the data area.
    OutOfBounds { index: usize, tag: u32 },
    /// A string entry has no terminating NUL inside the data area, or a STRING has count != 1.
    BadString { index: usize, tag: u32 },
    /// The region entry or its trailer is malformed.
    BadRegion(&'static str),
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::Truncated { need, have } => {
                write!(f, "header truncated: needs {need} bytes, blob has {have}")
            }
            HeaderError::TooLarge { entries, data } => {
                write!(f, "header too large: {entries} entries, {data} data bytes")
            }
            HeaderError::BadType { index, ty } => {
                write!(f, "header entry {index}: unknown type {ty}")
            }
            HeaderError::OutOfBounds { index, tag } => {
                write!(f, "header entry {index} (tag {tag}): data out of bounds")
            }
            HeaderError::BadString { index, tag } => {
                write!(f, "header entry {index} (tag {tag}): malformed string data")
            }
            HeaderError::BadRegion(why) => write!(f, "header region: {why}"),
        }
    }
}

impl std::error::Error for HeaderError {}

#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    ty: u32,
    offset: usize,
    count: usize,
}

/// A parsed, validated header. Borrows the blob.
#[derive(Debug, Clone)]
pub struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

fn be32(b: &[u8], at: usize) -> u32 {
    // callers have checked `at + 4 <= b.len()`
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Byte length of an entry's data starting at `offset`, or `None` when it leaves `data`.
fn extent(data: &[u8], e: &Entry) -> Option<Result<usize, ()>> {
    let rest = data.get(e.offset..)?;
    let fixed = |size: usize| -> Option<Result<usize, ()>> {
        let n = e.count.checked_mul(size)?;
        (n <= rest.len()).then_some(Ok(n))
    };
    match e.ty {
        ty::NULL => Some(Ok(0)),
        ty::CHAR | ty::INT8 | ty::BIN => fixed(1),
        ty::INT16 => fixed(2),
        ty::INT32 => fixed(4),
        ty::INT64 => fixed(8),
        ty::STRING | ty::STRING_ARRAY | ty::I18NSTRING => {
            if e.ty == ty::STRING && e.count != 1 {
                return Some(Err(()));
            }
            let mut pos = 0;
            for _ in 0..e.count {
                match memchr(&rest[pos..]) {
                    Some(n) => pos += n + 1,
                    None => return Some(Err(())),
                }
            }
            Some(Ok(pos))
        }
        _ => None,
    }
}

fn memchr(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == 0)
}

impl<'a> Header<'a> {
    /// Parse and validate a header blob (no leading magic: the form stored in rpmdbs).
    pub fn parse(blob: &'a [u8]) -> Result<Header<'a>, HeaderError> {
        if blob.len() < 8 {
            return Err(HeaderError::Truncated {
                need: 8,
                have: blob.len(),
            });
        }
        let il = be32(blob, 0);
        let dl = be32(blob, 4);
        if il > MAX_ENTRIES || dl > MAX_DATA || il == 0 {
            return Err(HeaderError::TooLarge {
                entries: il,
                data: dl,
            });
        }
        let index_len = il as usize * 16;
        let need = 8 + index_len as u64 + dl as u64;
        if (blob.len() as u64) < need {
            return Err(HeaderError::Truncated {
                need,
                have: blob.len(),
            });
        }
        let index = &blob[8..8 + index_len];
        let data = &blob[8 + index_len..8 + index_len + dl as usize];
        let mut entries = Vec::with_capacity(il as usize);
        for i in 0..il as usize {
            let at = i * 16;
            let e = Entry {
                tag: be32(index, at),
                ty: be32(index, at + 4),
                offset: be32(index, at + 8) as usize,
                count: be32(index, at + 12) as usize,
            };
            if e.ty > ty::I18NSTRING {
                return Err(HeaderError::BadType { index: i, ty: e.ty });
            }
            entries.push(e);
        }
        let h = Header { entries, data };
        h.check_region()?;
        for (i, e) in h.entries.iter().enumerate() {
            if h.is_region(i) {
                continue;
            }
            match extent(data, e) {
                None => {
                    return Err(HeaderError::OutOfBounds {
                        index: i,
                        tag: e.tag,
                    });
                }
                Some(Err(())) => {
                    return Err(HeaderError::BadString {
                        index: i,
                        tag: e.tag,
                    });
                }
                Some(Ok(_)) => {}
            }
        }
        Ok(h)
    }

    fn is_region(&self, i: usize) -> bool {
        i == 0
            && matches!(
                self.entries[0].tag,
                tag::HEADERIMAGE | tag::HEADERSIGNATURES | tag::HEADERIMMUTABLE
            )
    }

    /// Validate the region entry and its trailer, when the header has one.
    fn check_region(&self) -> Result<(), HeaderError> {
        if !self.is_region(0) {
            return Ok(());
        }
        let r = self.entries[0];
        if r.ty != ty::BIN || r.count != 16 {
            return Err(HeaderError::BadRegion("region entry is not BIN[16]"));
        }
        let end = r
            .offset
            .checked_add(16)
            .filter(|&e| e <= self.data.len())
            .ok_or(HeaderError::BadRegion("trailer outside the data area"))?;
        let t = &self.data[r.offset..end];
        let (t_tag, t_ty, t_off, t_count) =
            (be32(t, 0), be32(t, 4), be32(t, 8) as i32, be32(t, 12));
        if t_tag != r.tag && t_tag != tag::HEADERIMAGE {
            return Err(HeaderError::BadRegion(
                "trailer tag differs from the region's",
            ));
        }
        if t_ty != ty::BIN || t_count != 16 {
            return Err(HeaderError::BadRegion("trailer is not BIN[16]"));
        }
        let back = (t_off as i64).checked_neg().unwrap_or(-1);
        if back <= 0 || back % 16 != 0 || back / 16 > self.entries.len() as i64 {
            return Err(HeaderError::BadRegion(
                "trailer offset does not cover the index",
            ));
        }
        Ok(())
    }

    /// The entry for `tag`: the last one (a dribble entry overrides the region's).
    fn find(&self, t: u32) -> Option<&Entry> {
        self.entries
            .iter()
            .enumerate()
            .rev()
            .find(|(i, e)| e.tag == t && !self.is_region(*i))
            .map(|(_, e)| e)
    }

    /// Number of index entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the header has no entries (never true for a parsed header).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether the header has an entry for `tag`.
    pub fn has(&self, t: u32) -> bool {
        self.find(t).is_some()
    }

    /// The strings of a STRING, STRING_ARRAY or I18NSTRING entry (lossy UTF-8).
    pub fn strings(&self, t: u32) -> Vec<String> {
        let Some(e) = self.find(t) else {
            return Vec::new();
        };
        if !matches!(e.ty, ty::STRING | ty::STRING_ARRAY | ty::I18NSTRING) {
            return Vec::new();
        }
        // validated in `parse`: `count` NUL-terminated strings from `offset`
        let mut out = Vec::with_capacity(e.count.min(1 << 16));
        let mut rest = &self.data[e.offset..];
        for _ in 0..e.count {
            let Some(n) = memchr(rest) else { break };
            out.push(String::from_utf8_lossy(&rest[..n]).into_owned());
            rest = &rest[n + 1..];
        }
        out
    }

    /// The first string of a string entry; `None` when absent or empty.
    pub fn string(&self, t: u32) -> Option<String> {
        let e = self.find(t)?;
        if !matches!(e.ty, ty::STRING | ty::STRING_ARRAY | ty::I18NSTRING) || e.count == 0 {
            return None;
        }
        let rest = &self.data[e.offset..];
        let n = memchr(rest)?;
        Some(String::from_utf8_lossy(&rest[..n]).into_owned())
    }

    /// The values of an INT32 entry (or of INT8/INT16, widened).
    pub fn u32s(&self, t: u32) -> Vec<u32> {
        let Some(e) = self.find(t) else {
            return Vec::new();
        };
        let d = &self.data[e.offset..];
        match e.ty {
            ty::INT32 => (0..e.count).map(|i| be32(d, i * 4)).collect(),
            ty::INT16 => (0..e.count)
                .map(|i| u16::from_be_bytes([d[i * 2], d[i * 2 + 1]]) as u32)
                .collect(),
            ty::INT8 | ty::CHAR => d[..e.count].iter().map(|&b| b as u32).collect(),
            _ => Vec::new(),
        }
    }

    /// The first value of an integer entry.
    pub fn u32(&self, t: u32) -> Option<u32> {
        let e = self.find(t)?;
        if e.count == 0 {
            return None;
        }
        self.u32s(t).first().copied()
    }

    /// Installed file paths: `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`, or `OLDFILENAMES` in
    /// old headers. Entries whose directory index is out of range are skipped.
    pub fn files(&self) -> Vec<String> {
        let base = self.strings(tag::BASENAMES);
        if base.is_empty() {
            return self.strings(tag::OLDFILENAMES);
        }
        let dirs = self.strings(tag::DIRNAMES);
        let idx = self.u32s(tag::DIRINDEXES);
        base.iter()
            .zip(idx.iter())
            .filter_map(|(b, &i)| dirs.get(i as usize).map(|d| format!("{d}{b}")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Build a header blob from (tag, type, count, data) entries, with or without a region.
    fn blob(entries: &[(u32, u32, u32, &[u8])], region: bool) -> Vec<u8> {
        let mut data = Vec::new();
        let mut index = Vec::new();
        let n = entries.len() as u32 + u32::from(region);
        for (tag, ty, count, d) in entries {
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&ty.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&count.to_be_bytes());
            data.extend_from_slice(d);
        }
        let mut out = Vec::new();
        if region {
            let off = data.len() as u32;
            data.extend_from_slice(&tag::HEADERIMMUTABLE.to_be_bytes());
            data.extend_from_slice(&ty::BIN.to_be_bytes());
            data.extend_from_slice(&(-(n as i32 * 16)).to_be_bytes());
            data.extend_from_slice(&16u32.to_be_bytes());
            let mut r = Vec::new();
            r.extend_from_slice(&tag::HEADERIMMUTABLE.to_be_bytes());
            r.extend_from_slice(&ty::BIN.to_be_bytes());
            r.extend_from_slice(&off.to_be_bytes());
            r.extend_from_slice(&16u32.to_be_bytes());
            r.extend_from_slice(&index);
            index = r;
        }
        out.extend_from_slice(&n.to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&index);
        out.extend_from_slice(&data);
        out
    }

    #[test]
    fn reads_strings_ints_and_files() {
        let b = blob(
            &[
                (tag::NAME, ty::STRING, 1, b"bash\0"),
                (tag::EPOCH, ty::INT32, 1, &7u32.to_be_bytes()),
                (tag::BASENAMES, ty::STRING_ARRAY, 2, b"bash\0sh\0"),
                (tag::DIRNAMES, ty::STRING_ARRAY, 1, b"/usr/bin/\0"),
                (tag::DIRINDEXES, ty::INT32, 2, &[0, 0, 0, 0, 0, 0, 0, 0]),
            ],
            true,
        );
        let h = Header::parse(&b).unwrap();
        assert_eq!(h.len(), 6);
        assert_eq!(h.string(tag::NAME).as_deref(), Some("bash"));
        assert_eq!(h.u32(tag::EPOCH), Some(7));
        assert_eq!(h.files(), vec!["/usr/bin/bash", "/usr/bin/sh"]);
        assert_eq!(h.string(tag::VERSION), None);
    }

    #[test]
    fn rejects_bad_blobs() {
        assert!(matches!(
            Header::parse(&[0, 0, 0]),
            Err(HeaderError::Truncated { .. })
        ));
        let good = blob(&[(tag::NAME, ty::STRING, 1, b"x\0")], false);
        // truncated data
        assert!(matches!(
            Header::parse(&good[..good.len() - 1]),
            Err(HeaderError::Truncated { .. })
        ));
        // string without NUL
        let b = blob(&[(tag::NAME, ty::STRING, 1, b"xy")], false);
        assert_eq!(
            Header::parse(&b).unwrap_err(),
            HeaderError::BadString {
                index: 0,
                tag: 1000
            }
        );
        // INT32 count past the end
        let b = blob(&[(tag::EPOCH, ty::INT32, 2, &[0, 0, 0, 1])], false);
        assert_eq!(
            Header::parse(&b).unwrap_err(),
            HeaderError::OutOfBounds {
                index: 0,
                tag: 1003
            }
        );
        // unknown type
        let b = blob(&[(tag::NAME, 42, 1, b"x\0")], false);
        assert_eq!(
            Header::parse(&b).unwrap_err(),
            HeaderError::BadType { index: 0, ty: 42 }
        );
        // huge counts do not overflow
        let b = blob(&[(tag::EPOCH, ty::INT64, u32::MAX, &[0; 8])], false);
        assert!(Header::parse(&b).is_err());
        // region trailer pointing past the index
        let mut b = blob(&[(tag::NAME, ty::STRING, 1, b"x\0")], true);
        let n = b.len();
        b[n - 8..n - 4].copy_from_slice(&(-(64i32)).to_be_bytes());
        assert_eq!(
            Header::parse(&b).unwrap_err(),
            HeaderError::BadRegion("trailer offset does not cover the index")
        );
    }
}
