//! A minimal tar writer that puts names and link targets in headers byte for byte.
//!
//! The `tar` crate's safe API refuses `..` and absolute paths, which is right for a product
//! and wrong for a test kit that must write hostile archives. Names longer than the 100-byte
//! header field get a GNU `././@LongLink` entry (`L` for names, `K` for link targets), as GNU
//! tar and Docker do.

use std::io::{self, Read, Write};

use tar::{EntryType, Header};

use crate::layer::FIXED_MTIME;

/// Bytes in a tar block.
pub(crate) const BLOCK: usize = 512;

/// A GNU header with the usual metadata of a layer entry: uid/gid 0, a fixed mtime.
pub(crate) fn header(kind: EntryType, mode: u32, size: u64) -> Header {
    let mut h = Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(FIXED_MTIME);
    h.set_size(size);
    h
}

/// Writes tar entries to `W`.
pub(crate) struct TarWriter<W: Write> {
    w: W,
}

impl<W: Write> TarWriter<W> {
    pub(crate) fn new(w: W) -> Self {
        TarWriter { w }
    }

    /// Appends one entry: `header` as given, except that `name` (and `link`, if any) are
    /// written verbatim into it and the checksum is recomputed. `data` is copied as is and
    /// padded to a whole block; the header's size field is *not* adjusted (the caller may
    /// lie on purpose). Returns the number of data bytes written.
    pub(crate) fn append(
        &mut self,
        header: &Header,
        name: &[u8],
        link: Option<&[u8]>,
        data: &mut dyn Read,
    ) -> io::Result<u64> {
        let mut h = header.clone();
        if name.len() > 100 {
            self.long_link(b'L', name)?;
        }
        set_field(&mut h.as_old_mut().name, name);
        if let Some(link) = link {
            if link.len() > 100 {
                self.long_link(b'K', link)?;
            }
            set_field(&mut h.as_old_mut().linkname, link);
        }
        h.set_cksum();
        self.w.write_all(h.as_bytes())?;
        let n = io::copy(data, &mut self.w)?;
        self.pad(n)?;
        Ok(n)
    }

    /// [`TarWriter::append`] with in-memory data.
    pub(crate) fn append_bytes(
        &mut self,
        header: &Header,
        name: &[u8],
        link: Option<&[u8]>,
        mut data: &[u8],
    ) -> io::Result<()> {
        self.append(header, name, link, &mut data).map(|_| ())
    }

    /// Writes raw bytes (for hand-made headers such as GNU sparse extension blocks).
    pub(crate) fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.w.write_all(bytes)
    }

    /// Pads the stream after `n` data bytes to a block boundary.
    pub(crate) fn pad(&mut self, n: u64) -> io::Result<()> {
        let rem = (n % BLOCK as u64) as usize;
        if rem != 0 {
            self.w.write_all(&[0u8; BLOCK][..BLOCK - rem])?;
        }
        Ok(())
    }

    /// Writes the end-of-archive marker (two zero blocks) and returns the inner writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.w.write_all(&[0u8; 2 * BLOCK])?;
        self.w.flush()?;
        Ok(self.w)
    }

    /// Returns the inner writer without an end-of-archive marker (a truncated archive).
    pub(crate) fn into_inner_unterminated(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }

    fn long_link(&mut self, kind: u8, value: &[u8]) -> io::Result<()> {
        let mut h = header(EntryType::new(kind), 0o644, value.len() as u64 + 1);
        set_field(&mut h.as_old_mut().name, b"././@LongLink");
        h.set_cksum();
        self.w.write_all(h.as_bytes())?;
        self.w.write_all(value)?;
        self.w.write_all(&[0])?;
        self.pad(value.len() as u64 + 1)
    }
}

/// Copies `value` into a fixed-size header field, truncating, zero-filling the rest.
fn set_field(field: &mut [u8], value: &[u8]) {
    field.fill(0);
    let n = value.len().min(field.len());
    field[..n].copy_from_slice(&value[..n]);
}
