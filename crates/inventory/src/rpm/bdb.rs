//! BerkeleyDB hash database (`/var/lib/rpm/Packages`: RHEL/CentOS 5–8, Amazon Linux 2).
//!
//! Read without libdb: page 0 is the hash meta page (magic `0x061561`, byte order, page size,
//! last page number); every page of type `P_HASH` holds key/data item pairs. The rpm
//! `Packages` database keys each header by its 4-byte instance number; the header itself is
//! almost always too large for a page and is stored as an *off-page* item pointing at a chain
//! of overflow pages. Page numbers, item offsets and chain lengths are all checked; loops in an
//! overflow chain are cut.

use std::collections::BTreeMap;

use super::RpmDbError;

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;

struct Db<'a> {
    bytes: &'a [u8],
    page_size: usize,
    last_page: u32,
    le: bool,
}

impl<'a> Db<'a> {
    fn u16(&self, at: usize) -> Option<u16> {
        let b = self.bytes.get(at..at + 2)?;
        Some(if self.le {
            u16::from_le_bytes([b[0], b[1]])
        } else {
            u16::from_be_bytes([b[0], b[1]])
        })
    }
    fn u32(&self, at: usize) -> Option<u32> {
        let b = self.bytes.get(at..at + 4)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if self.le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }
    fn page(&self, n: u32) -> Option<&'a [u8]> {
        if n > self.last_page {
            return None;
        }
        let start = (n as usize).checked_mul(self.page_size)?;
        self.bytes.get(start..start.checked_add(self.page_size)?)
    }

    /// Read an overflow chain starting at `pgno`, expecting `total` bytes.
    fn overflow(&self, mut pgno: u32, total: usize) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(total.min(self.bytes.len()));
        let mut hops = 0u32;
        while pgno != 0 {
            hops += 1;
            if hops > self.last_page + 1 {
                return Err("overflow chain loops".into());
            }
            let page = self
                .page(pgno)
                .ok_or_else(|| format!("overflow page {pgno} outside the file"))?;
            let base = pgno as usize * self.page_size;
            if page[25] != P_OVERFLOW {
                return Err(format!("page {pgno} is not an overflow page"));
            }
            let len = self.u16(base + 22).unwrap_or(0) as usize;
            let data = page
                .get(PAGE_HEADER..PAGE_HEADER + len)
                .ok_or_else(|| format!("overflow page {pgno}: length {len} too large"))?;
            out.extend_from_slice(data);
            if out.len() > total {
                return Err("overflow chain longer than its item".into());
            }
            pgno = self.u32(base + 16).unwrap_or(0);
        }
        if out.len() != total {
            return Err(format!("overflow chain has {} of {total} bytes", out.len()));
        }
        Ok(out)
    }
}

/// One hash item's value: inline bytes or an off-page reference.
enum Item<'a> {
    Inline(&'a [u8]),
    OffPage { pgno: u32, len: usize },
    Other,
}

/// All header blobs of a `Packages` file, keyed by instance number, with per-entry errors.
pub(crate) fn blobs(bytes: &[u8]) -> Result<super::HeaderBlobs, RpmDbError> {
    if bytes.len() < 512 {
        return Err(RpmDbError::NotRecognised("too short for a BerkeleyDB file"));
    }
    let magic_le = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    let magic_be = u32::from_be_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    let le = if magic_le == HASH_MAGIC {
        true
    } else if magic_be == HASH_MAGIC {
        false
    } else {
        return Err(RpmDbError::NotRecognised("no BerkeleyDB hash magic"));
    };
    let mut db = Db {
        bytes,
        page_size: 0,
        last_page: 0,
        le,
    };
    let page_size = db.u32(20).unwrap_or(0) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(RpmDbError::Corrupt(format!(
            "BerkeleyDB page size {page_size}"
        )));
    }
    db.page_size = page_size;
    let pages_in_file = (bytes.len() / page_size) as u32;
    db.last_page = db.u32(32).unwrap_or(0).min(pages_in_file.saturating_sub(1));

    let mut found: BTreeMap<u32, Result<Vec<u8>, String>> = BTreeMap::new();
    for pgno in 1..=db.last_page {
        let Some(page) = db.page(pgno) else { break };
        let ptype = page[25];
        if ptype != P_HASH && ptype != P_HASH_UNSORTED {
            continue;
        }
        let base = pgno as usize * page_size;
        let n = db.u16(base + 20).unwrap_or(0) as usize;
        if PAGE_HEADER + n * 2 > page_size {
            continue;
        }
        let offsets: Vec<usize> = (0..n)
            .map(|i| db.u16(base + PAGE_HEADER + i * 2).unwrap_or(0) as usize)
            .collect();
        // item i spans [offsets[i], end) where end is the previous item's start (or the page end)
        let item = |i: usize| -> Option<Item<'_>> {
            let start = offsets[i];
            let end = if i == 0 { page_size } else { offsets[i - 1] };
            if start < PAGE_HEADER + n * 2 || start >= end || end > page_size {
                return None;
            }
            let raw = &page[start..end];
            Some(match raw[0] {
                H_KEYDATA => Item::Inline(&raw[1..]),
                H_OFFPAGE if raw.len() >= 12 => Item::OffPage {
                    pgno: db.u32(base + start + 4)?,
                    len: db.u32(base + start + 8)? as usize,
                },
                _ => Item::Other,
            })
        };
        for pair in 0..n / 2 {
            let (k, v) = (pair * 2, pair * 2 + 1);
            let Some(Item::Inline(key)) = item(k) else {
                continue;
            };
            if key.len() != 4 {
                continue;
            }
            let inst = if le {
                u32::from_le_bytes([key[0], key[1], key[2], key[3]])
            } else {
                u32::from_be_bytes([key[0], key[1], key[2], key[3]])
            };
            if inst == 0 {
                // instance 0 holds rpm's next-instance counter, not a header
                continue;
            }
            let value = match item(v) {
                Some(Item::Inline(d)) => Ok(d.to_vec()),
                Some(Item::OffPage { pgno, len }) => db.overflow(pgno, len),
                Some(Item::Other) => Err("unsupported item type".to_string()),
                None => Err(format!("item offsets on page {pgno} out of bounds")),
            };
            found.entry(inst).or_insert(value);
        }
    }
    Ok(found.into_values().collect())
}
