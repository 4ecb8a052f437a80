//! Building uncompressed layer tarballs.
//!
//! - [`layer_tar`] writes a list of [`Entry`]s exactly as given (no parent directories are
//!   added, names are not validated, so hostile entries are possible);
//! - [`layer_from_rootfs_tarball`] turns a `.tar.gz` / `.tar.zst` / `.tar` rootfs (such as the
//!   Alpine minirootfs in `../shared/rootfs/alpine/`) into uncompressed tar bytes;
//! - [`layer_from_dir`] / [`layer_from_dir_to_file`] tar a directory deterministically
//!   (entries sorted by name bytes, mtimes fixed at [`FIXED_MTIME`], hardlinks preserved).

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use tar::{EntryType, Header};

use crate::tarw::{TarWriter, header};

/// The mtime written into every generated entry (2024-01-01T00:00:00Z), so that the same
/// input always gives the same bytes and the same digests.
pub const FIXED_MTIME: u64 = 1_704_067_200;

/// One entry of a layer built by [`layer_tar`]. Paths are written verbatim (no leading `./`
/// is added, `..` and absolute paths are *not* refused); owner is root (0:0) and the mtime is
/// [`FIXED_MTIME`].
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // `Raw` holds a 512-byte header; test code, few entries.
pub enum Entry {
    /// A regular file.
    File {
        /// Path inside the layer, e.g. `etc/os-release`.
        path: String,
        /// File contents.
        data: Vec<u8>,
        /// Permission bits, e.g. `0o644`.
        mode: u32,
    },
    /// A directory (written with a trailing `/`).
    Dir {
        /// Path inside the layer.
        path: String,
        /// Permission bits, e.g. `0o755`.
        mode: u32,
    },
    /// A symbolic link `path -> target` (target written verbatim, may be absolute).
    Symlink {
        /// Path of the link.
        path: String,
        /// What it points to.
        target: String,
    },
    /// A hard link: `path` is the same file as the earlier entry `target`.
    Hardlink {
        /// Path of the new name.
        path: String,
        /// Name of the existing entry (written verbatim, may be absolute or contain `..`).
        target: String,
    },
    /// An OCI/AUFS whiteout deleting `path` from lower layers: writes `dir/.wh.name`.
    Whiteout {
        /// The deleted path, e.g. `etc/motd` (writes `etc/.wh.motd`).
        path: String,
    },
    /// An opaque-directory marker hiding everything lower layers put in `dir`: writes
    /// `dir/.wh..wh..opq`.
    Opaque {
        /// The directory made opaque.
        dir: String,
    },
    /// A character device node.
    CharDevice {
        /// Path of the node.
        path: String,
        /// Device major number.
        major: u32,
        /// Device minor number.
        minor: u32,
    },
    /// A block device node.
    BlockDevice {
        /// Path of the node.
        path: String,
        /// Device major number.
        major: u32,
        /// Device minor number.
        minor: u32,
    },
    /// A named pipe.
    Fifo {
        /// Path of the pipe.
        path: String,
    },
    /// A hand-made entry for hostile archives: `header` is written as given (its size
    /// field is **not** adjusted to `data`; see [`Entry::raw`] for one that is), except that
    /// `name` is put in byte for byte (a GNU long-name entry precedes it when longer than
    /// 100 bytes; an empty `name` keeps the header's own name field) and the checksum is
    /// recomputed. `data` is written and padded to a block.
    Raw {
        /// The header.
        header: Header,
        /// The raw name bytes (may be absolute, contain `..`, invalid UTF-8, ...).
        name: Vec<u8>,
        /// The data following the header.
        data: Vec<u8>,
    },
}

impl Entry {
    /// A regular file with mode `0o644`.
    pub fn file(path: impl Into<String>, data: impl Into<Vec<u8>>) -> Entry {
        Entry::File {
            path: path.into(),
            data: data.into(),
            mode: 0o644,
        }
    }

    /// A regular file with mode `0o755`.
    pub fn executable(path: impl Into<String>, data: impl Into<Vec<u8>>) -> Entry {
        Entry::File {
            path: path.into(),
            data: data.into(),
            mode: 0o755,
        }
    }

    /// A directory with mode `0o755`.
    pub fn dir(path: impl Into<String>) -> Entry {
        Entry::Dir {
            path: path.into(),
            mode: 0o755,
        }
    }

    /// A symbolic link `path -> target`.
    pub fn symlink(path: impl Into<String>, target: impl Into<String>) -> Entry {
        Entry::Symlink {
            path: path.into(),
            target: target.into(),
        }
    }

    /// A hard link `path` to the earlier entry `target`.
    pub fn hardlink(path: impl Into<String>, target: impl Into<String>) -> Entry {
        Entry::Hardlink {
            path: path.into(),
            target: target.into(),
        }
    }

    /// A whiteout deleting `path`.
    pub fn whiteout(path: impl Into<String>) -> Entry {
        Entry::Whiteout { path: path.into() }
    }

    /// An opaque marker for directory `dir`.
    pub fn opaque(dir: impl Into<String>) -> Entry {
        Entry::Opaque { dir: dir.into() }
    }

    /// A character device.
    pub fn char_device(path: impl Into<String>, major: u32, minor: u32) -> Entry {
        Entry::CharDevice {
            path: path.into(),
            major,
            minor,
        }
    }

    /// A block device.
    pub fn block_device(path: impl Into<String>, major: u32, minor: u32) -> Entry {
        Entry::BlockDevice {
            path: path.into(),
            major,
            minor,
        }
    }

    /// A fifo.
    pub fn fifo(path: impl Into<String>) -> Entry {
        Entry::Fifo { path: path.into() }
    }

    /// A raw entry of type `kind` whose header size matches `data` (mode `0o644`, root, fixed
    /// mtime), with `name` written byte for byte.
    pub fn raw(kind: EntryType, name: impl Into<Vec<u8>>, data: impl Into<Vec<u8>>) -> Entry {
        let data = data.into();
        Entry::Raw {
            header: header(kind, 0o644, data.len() as u64),
            name: name.into(),
            data,
        }
    }

    /// The name this entry gets in the tar (`Whiteout`/`Opaque` expanded, `Dir` with a
    /// trailing slash).
    pub fn tar_name(&self) -> Vec<u8> {
        match self {
            Entry::File { path, .. }
            | Entry::Symlink { path, .. }
            | Entry::Hardlink { path, .. }
            | Entry::CharDevice { path, .. }
            | Entry::BlockDevice { path, .. }
            | Entry::Fifo { path } => path.as_bytes().to_vec(),
            Entry::Dir { path, .. } => {
                let mut n = path.as_bytes().to_vec();
                if !n.ends_with(b"/") {
                    n.push(b'/');
                }
                n
            }
            Entry::Whiteout { path } => {
                let p = path.trim_end_matches('/');
                match p.rsplit_once('/') {
                    Some((dir, base)) => format!("{dir}/.wh.{base}").into_bytes(),
                    None => format!(".wh.{p}").into_bytes(),
                }
            }
            Entry::Opaque { dir } => {
                let d = dir.trim_end_matches('/');
                if d.is_empty() {
                    b".wh..wh..opq".to_vec()
                } else {
                    format!("{d}/.wh..wh..opq").into_bytes()
                }
            }
            Entry::Raw { name, .. } => name.clone(),
        }
    }
}

/// Writes `entries` as an uncompressed tar (GNU format, terminated by two zero blocks) and
/// returns its bytes. Entries are written in the given order, exactly as described by
/// [`Entry`].
pub fn layer_tar(entries: &[Entry]) -> Vec<u8> {
    let mut tw = TarWriter::new(Vec::new());
    write_entries(&mut tw, entries).expect("writing to memory");
    tw.finish().expect("writing to memory")
}

/// Writes `entries` without the end-of-archive marker.
pub(crate) fn write_entries<W: Write>(tw: &mut TarWriter<W>, entries: &[Entry]) -> io::Result<()> {
    for e in entries {
        let name = e.tar_name();
        match e {
            Entry::File { data, mode, .. } => {
                let h = header(EntryType::Regular, *mode, data.len() as u64);
                tw.append_bytes(&h, &name, None, data)?;
            }
            Entry::Dir { mode, .. } => {
                tw.append_bytes(&header(EntryType::Directory, *mode, 0), &name, None, &[])?;
            }
            Entry::Symlink { target, .. } => {
                let h = header(EntryType::Symlink, 0o777, 0);
                tw.append_bytes(&h, &name, Some(target.as_bytes()), &[])?;
            }
            Entry::Hardlink { target, .. } => {
                let h = header(EntryType::Link, 0o644, 0);
                tw.append_bytes(&h, &name, Some(target.as_bytes()), &[])?;
            }
            Entry::Whiteout { .. } | Entry::Opaque { .. } => {
                tw.append_bytes(&header(EntryType::Regular, 0o644, 0), &name, None, &[])?;
            }
            Entry::CharDevice { major, minor, .. } | Entry::BlockDevice { major, minor, .. } => {
                let kind = if matches!(e, Entry::CharDevice { .. }) {
                    EntryType::Char
                } else {
                    EntryType::Block
                };
                let mut h = header(kind, 0o660, 0);
                h.set_device_major(*major)?;
                h.set_device_minor(*minor)?;
                tw.append_bytes(&h, &name, None, &[])?;
            }
            Entry::Fifo { .. } => {
                tw.append_bytes(&header(EntryType::Fifo, 0o644, 0), &name, None, &[])?;
            }
            Entry::Raw { header, name, data } => {
                if name.is_empty() {
                    let mut h = header.clone();
                    h.set_cksum();
                    tw.raw(h.as_bytes())?;
                    tw.raw(data)?;
                    tw.pad(data.len() as u64)?;
                } else {
                    tw.append_bytes(header, name, None, data)?;
                }
            }
        }
    }
    Ok(())
}

/// Opens `path` and returns a reader of its uncompressed content, recognising gzip and zstd
/// by their magic bytes (anything else is read as is).
pub(crate) fn open_maybe_compressed(path: &Path) -> io::Result<Box<dyn Read>> {
    let mut f = BufReader::with_capacity(1 << 20, File::open(path)?);
    let mut magic = [0u8; 4];
    let n = read_up_to(&mut f, &mut magic)?;
    let head = io::Cursor::new(magic[..n].to_vec());
    let chained = head.chain(f);
    Ok(if n >= 2 && magic[..2] == [0x1f, 0x8b] {
        Box::new(flate2::read::MultiGzDecoder::new(chained))
    } else if n == 4 && magic == [0x28, 0xb5, 0x2f, 0xfd] {
        Box::new(zstd::stream::read::Decoder::new(chained)?)
    } else {
        Box::new(chained)
    })
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Reads a root filesystem tarball (`.tar.gz`, `.tar.zst` or plain `.tar`, detected by magic
/// bytes) and returns its uncompressed tar bytes, unchanged, ready to be a layer.
///
/// # Panics
/// If the file cannot be read or decompressed.
pub fn layer_from_rootfs_tarball(path: impl AsRef<Path>) -> Vec<u8> {
    let path = path.as_ref();
    let mut out = Vec::new();
    open_maybe_compressed(path)
        .and_then(|mut r| r.read_to_end(&mut out))
        .unwrap_or_else(|e| panic!("reading rootfs tarball {}: {e}", path.display()));
    out
}

/// Like [`layer_from_rootfs_tarball`], streaming the uncompressed tar to `out` (for big
/// rootfs tarballs). Returns the number of bytes written.
pub fn layer_from_rootfs_tarball_to_file(path: impl AsRef<Path>, out: impl AsRef<Path>) -> u64 {
    let (path, out) = (path.as_ref(), out.as_ref());
    (|| {
        let mut r = open_maybe_compressed(path)?;
        let mut w = BufWriter::with_capacity(1 << 20, File::create(out)?);
        let n = io::copy(&mut r, &mut w)?;
        w.flush()?;
        Ok::<_, io::Error>(n)
    })()
    .unwrap_or_else(|e| panic!("decompressing {} to {}: {e}", path.display(), out.display()))
}

/// Tars the content of `dir` (not `dir` itself) into an uncompressed layer: entries sorted by
/// name bytes, parents before children, directories with a trailing `/`, numeric owners and
/// permission bits (including setuid) kept, mtimes set to [`FIXED_MTIME`], hardlinks written
/// as link entries to the first name seen, symlinks / device nodes / fifos kept, sockets
/// skipped.
///
/// # Panics
/// On any I/O error.
pub fn layer_from_dir(dir: impl AsRef<Path>) -> Vec<u8> {
    let dir = dir.as_ref();
    let mut tw = TarWriter::new(Vec::new());
    tar_dir(dir, &mut tw, false)
        .and_then(|_| tw.finish())
        .unwrap_or_else(|e| panic!("tarring {}: {e}", dir.display()))
}

/// Like [`layer_from_dir`], streaming to the file `out` (for big directories). Returns the
/// size of the tar written.
pub fn layer_from_dir_to_file(dir: impl AsRef<Path>, out: impl AsRef<Path>) -> u64 {
    let (dir, out) = (dir.as_ref(), out.as_ref());
    (|| {
        let mut tw = TarWriter::new(BufWriter::with_capacity(1 << 20, File::create(out)?));
        tar_dir(dir, &mut tw, false)?;
        tw.finish()?.into_inner().map_err(|e| e.into_error())?;
        Ok::<_, io::Error>(fs::metadata(out)?.len())
    })()
    .unwrap_or_else(|e| panic!("tarring {} to {}: {e}", dir.display(), out.display()))
}

/// Writes the entries of `dir` (recursively) to `tw`. With `normalize`, every entry is owned
/// by 0:0 with mode 0644 (files) or 0755 (directories), as in the outer tar of image archives.
pub(crate) fn tar_dir<W: Write>(
    dir: &Path,
    tw: &mut TarWriter<W>,
    normalize: bool,
) -> io::Result<()> {
    DirWalker {
        normalize,
        keep: None,
        links: HashMap::new(),
    }
    .visit(dir, &mut Vec::new(), tw)
}

/// Walks a directory in sorted order, writing tar entries.
pub(crate) struct DirWalker<'a> {
    /// Root-owned, 0644/0755 entries.
    pub(crate) normalize: bool,
    /// Only these paths (relative, no trailing slash) are written; `None` writes everything.
    /// A directory not in the set is skipped with all its content.
    pub(crate) keep: Option<&'a HashSet<Vec<u8>>>,
    /// First name seen for each (device, inode) of a hard-linked file that was written.
    pub(crate) links: HashMap<(u64, u64), Vec<u8>>,
}

impl DirWalker<'_> {
    pub(crate) fn visit<W: Write>(
        &mut self,
        dir: &Path,
        rel: &mut Vec<u8>,
        tw: &mut TarWriter<W>,
    ) -> io::Result<()> {
        let mut names: Vec<_> = fs::read_dir(dir)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()?;
        names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for name in names {
            let path = dir.join(&name);
            let base = rel.len();
            rel.extend_from_slice(name.as_bytes());
            if self.keep.is_some_and(|k| !k.contains(rel.as_slice())) {
                rel.truncate(base);
                continue;
            }
            let meta = fs::symlink_metadata(&path)?;
            self.entry(&path, &meta, rel, tw)?;
            rel.truncate(base);
        }
        Ok(())
    }

    fn entry<W: Write>(
        &mut self,
        path: &Path,
        meta: &fs::Metadata,
        rel: &mut Vec<u8>,
        tw: &mut TarWriter<W>,
    ) -> io::Result<()> {
        let ft = meta.file_type();
        let normalize = self.normalize;
        let mut h = Header::new_gnu();
        let mode = match (normalize, ft.is_dir()) {
            (false, _) => meta.mode() & 0o7777,
            (true, true) => 0o755,
            (true, false) => 0o644,
        };
        h.set_mode(mode);
        h.set_uid(if normalize { 0 } else { meta.uid().into() });
        h.set_gid(if normalize { 0 } else { meta.gid().into() });
        h.set_mtime(FIXED_MTIME);
        h.set_size(0);
        if ft.is_dir() {
            h.set_entry_type(EntryType::Directory);
            rel.push(b'/');
            tw.append_bytes(&h, rel, None, &[])?;
            self.visit(path, rel, tw)?;
        } else if ft.is_symlink() {
            h.set_entry_type(EntryType::Symlink);
            let target = fs::read_link(path)?;
            tw.append_bytes(&h, rel, Some(target.as_os_str().as_bytes()), &[])?;
        } else if ft.is_file() {
            let key = (meta.dev(), meta.ino());
            if meta.nlink() > 1 {
                if let Some(first) = self.links.get(&key) {
                    h.set_entry_type(EntryType::Link);
                    return tw.append_bytes(&h, rel, Some(first), &[]);
                }
                self.links.insert(key, rel.clone());
            }
            h.set_entry_type(EntryType::Regular);
            h.set_size(meta.len());
            let mut f = File::open(path)?.take(meta.len());
            let n = tw.append(&h, rel, None, &mut f)?;
            if n != meta.len() {
                return Err(io::Error::other(format!(
                    "{} changed size while being read",
                    path.display()
                )));
            }
        } else if ft.is_char_device() || ft.is_block_device() {
            h.set_entry_type(if ft.is_char_device() {
                EntryType::Char
            } else {
                EntryType::Block
            });
            let (major, minor) = dev_numbers(meta.rdev());
            h.set_device_major(major)?;
            h.set_device_minor(minor)?;
            tw.append_bytes(&h, rel, None, &[])?;
        } else if ft.is_fifo() {
            h.set_entry_type(EntryType::Fifo);
            tw.append_bytes(&h, rel, None, &[])?;
        }
        Ok(())
    }
}

/// Linux `major()`/`minor()` of a device number.
pub(crate) fn dev_numbers(rdev: u64) -> (u32, u32) {
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
    (major as u32, minor as u32)
}
