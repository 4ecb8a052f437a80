//! rpm's own "ndb" package database (`Packages.db`: SUSE, openSUSE).
//!
//! Layout (little-endian): a header `RpmP`, version, generation, number of slot pages, next
//! package index; slot pages of 16-byte slots (`Slot`, package index, block offset, block
//! count; blocks are 16 bytes); each slot's blob starts with `BlbS`, package index,
//! generation, blob length, then the header blob, zero padding, and a tail in the last 12 bytes of the
//! blocks (`adler32`, length, `BlbE`).
//! Every slot, blob bound and tail is checked; a bad blob is an error for that package only.

use super::RpmDbError;

const DB_MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_MAGIC: &[u8; 4] = b"BlbS";
const TAIL_MAGIC: &[u8; 4] = b"BlbE";
const PAGE: usize = 4096;
const BLOCK: usize = 16;
const HEADER_SLOTS: usize = 2; // the 32-byte DB header occupies the first two slot positions

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// All header blobs of a `Packages.db` file, in package-index order, with per-entry errors.
pub(crate) fn blobs(bytes: &[u8]) -> Result<super::HeaderBlobs, RpmDbError> {
    if bytes.len() < 32 || &bytes[..4] != DB_MAGIC {
        return Err(RpmDbError::NotRecognised("no ndb RpmP magic"));
    }
    let version = le32(bytes, 4).unwrap_or(u32::MAX);
    if version != 0 {
        return Err(RpmDbError::Corrupt(format!(
            "ndb version {version} not supported"
        )));
    }
    let slot_pages = le32(bytes, 12).unwrap_or(0) as usize;
    if slot_pages == 0 || slot_pages.saturating_mul(PAGE) > bytes.len() {
        return Err(RpmDbError::Corrupt(format!(
            "ndb slot pages ({slot_pages}) outside the file"
        )));
    }
    let nslots = slot_pages * PAGE / BLOCK;
    let mut out: Vec<(u32, Result<Vec<u8>, String>)> = Vec::new();
    for s in HEADER_SLOTS..nslots {
        let at = s * BLOCK;
        let slot = &bytes[at..at + BLOCK];
        if &slot[..4] != SLOT_MAGIC {
            // rpm stops reading slots at the first one without its magic
            break;
        }
        let pkgidx = le32(slot, 4).unwrap_or(0);
        let blkoff = le32(slot, 8).unwrap_or(0) as usize;
        let blkcnt = le32(slot, 12).unwrap_or(0) as usize;
        if pkgidx == 0 {
            continue; // free slot
        }
        out.push((pkgidx, read_blob(bytes, pkgidx, blkoff, blkcnt)));
    }
    out.sort_by_key(|(idx, _)| *idx);
    Ok(out.into_iter().map(|(_, b)| b).collect())
}

fn read_blob(bytes: &[u8], pkgidx: u32, blkoff: usize, blkcnt: usize) -> Result<Vec<u8>, String> {
    let start = blkoff
        .checked_mul(BLOCK)
        .ok_or_else(|| format!("package {pkgidx}: block offset overflows"))?;
    let len = blkcnt
        .checked_mul(BLOCK)
        .ok_or_else(|| format!("package {pkgidx}: block count overflows"))?;
    let area = start
        .checked_add(len)
        .and_then(|end| bytes.get(start..end))
        .ok_or_else(|| format!("package {pkgidx}: blob outside the file"))?;
    if area.len() < 16 + 12 || &area[..4] != BLOB_MAGIC {
        return Err(format!("package {pkgidx}: no blob magic"));
    }
    if le32(area, 4) != Some(pkgidx) {
        return Err(format!("package {pkgidx}: blob belongs to another package"));
    }
    let bloblen = le32(area, 12).unwrap_or(0) as usize;
    // the tail sits in the last 12 bytes of the blocks; the blob is padded up to it
    let tail = area.len() - 12;
    if 16usize.checked_add(bloblen).is_none_or(|end| end > tail) {
        return Err(format!(
            "package {pkgidx}: blob length {bloblen} exceeds its blocks"
        ));
    }
    if &area[tail + 8..tail + 12] != TAIL_MAGIC || le32(area, tail + 4) != Some(bloblen as u32) {
        return Err(format!(
            "package {pkgidx}: blob tail missing or inconsistent"
        ));
    }
    Ok(area[16..16 + bloblen].to_vec())
}
