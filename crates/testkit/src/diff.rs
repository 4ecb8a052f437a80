//! Docker-style diff layers: what changed in a directory relative to a lower rootfs tar.
//!
//! Build a realistic multi-layer image the way `docker build` does: extract a base rootfs
//! tar into a directory, change it (`chroot … apt-get install`, copy files, delete some),
//! then [`diff_layer`] writes only the changes — new or modified entries (compared by type,
//! permissions, owner, content or link target; mtimes are ignored), their parent
//! directories, and a whiteout (`dir/.wh.name`) for every path that disappeared.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use sha2::{Digest, Sha256};
use tar::EntryType;

use crate::layer::{DirWalker, dev_numbers, open_maybe_compressed};
use crate::tarw::{TarWriter, header};

/// What [`diff_layer`] wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiffStats {
    /// New or changed entries (parent directories written only as ancestors not counted).
    pub changed: usize,
    /// Whiteouts written for deleted paths.
    pub whiteouts: usize,
    /// Size of the layer tar.
    pub bytes: u64,
}

/// What identifies an entry's content and metadata (mtime left out on purpose).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Sig {
    Dir(u32, u64, u64),
    File(u32, u64, u64, u64, Option<[u8; 32]>),
    Symlink(Vec<u8>),
    Dev(bool, u32, u32, u32),
    Fifo(u32),
}

/// `./a/b/` → `a/b`; `.` and `./` → empty.
fn normalize(name: &[u8]) -> Vec<u8> {
    let mut n = name;
    while let Some(rest) = n.strip_prefix(b"./") {
        n = rest;
    }
    if n == b"." {
        n = b"";
    }
    while let Some(rest) = n.strip_suffix(b"/") {
        n = rest;
    }
    n.to_vec()
}

fn parent(p: &[u8]) -> &[u8] {
    match p.iter().rposition(|&b| b == b'/') {
        Some(i) => &p[..i],
        None => b"",
    }
}

fn hash_reader(r: &mut dyn Read) -> io::Result<[u8; 32]> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match r.read(&mut buf)? {
            0 => break,
            n => h.update(&buf[..n]),
        }
    }
    Ok(h.finalize().into())
}

/// Reads the signatures of every entry of the lower tar.
fn lower_sigs(lower: &Path) -> io::Result<HashMap<Vec<u8>, Sig>> {
    let mut sigs: HashMap<Vec<u8>, Sig> = HashMap::new();
    let mut ar = tar::Archive::new(open_maybe_compressed(lower)?);
    for e in ar.entries()? {
        let mut e = e?;
        let name = normalize(&e.path_bytes());
        if name.is_empty() {
            continue;
        }
        let h = e.header();
        let mode = h.mode()? & 0o7777;
        let (uid, gid) = (h.uid()?, h.gid()?);
        let sig = match h.entry_type() {
            EntryType::Directory => Sig::Dir(mode, uid, gid),
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let size = e.size();
                Sig::File(mode, uid, gid, size, Some(hash_reader(&mut e)?))
            }
            EntryType::Symlink => {
                Sig::Symlink(e.link_name_bytes().map(|l| l.to_vec()).unwrap_or_default())
            }
            EntryType::Link => {
                let target = normalize(&e.link_name_bytes().unwrap_or_default());
                match sigs.get(&target) {
                    Some(s) => s.clone(),
                    None => continue,
                }
            }
            EntryType::Char | EntryType::Block => Sig::Dev(
                h.entry_type() == EntryType::Char,
                h.device_major()?.unwrap_or(0),
                h.device_minor()?.unwrap_or(0),
                mode,
            ),
            EntryType::Fifo => Sig::Fifo(mode),
            _ => continue,
        };
        sigs.insert(name, sig);
    }
    Ok(sigs)
}

/// Signature of an upper entry; file content is hashed only when the lower entry is a file
/// of the same size (otherwise they differ anyway).
fn upper_sig(path: &Path, meta: &fs::Metadata, lower: Option<&Sig>) -> io::Result<Sig> {
    let ft = meta.file_type();
    let mode = meta.mode() & 0o7777;
    let (uid, gid) = (u64::from(meta.uid()), u64::from(meta.gid()));
    Ok(if ft.is_dir() {
        Sig::Dir(mode, uid, gid)
    } else if ft.is_symlink() {
        Sig::Symlink(fs::read_link(path)?.as_os_str().as_bytes().to_vec())
    } else if ft.is_file() {
        let hash = match lower {
            Some(Sig::File(_, _, _, size, _)) if *size == meta.len() => {
                Some(hash_reader(&mut File::open(path)?)?)
            }
            _ => None,
        };
        Sig::File(mode, uid, gid, meta.len(), hash)
    } else if ft.is_char_device() || ft.is_block_device() {
        let (major, minor) = dev_numbers(meta.rdev());
        Sig::Dev(ft.is_char_device(), major, minor, mode)
    } else {
        Sig::Fifo(mode)
    })
}

/// Walks `dir`, recording every path and the changed ones.
fn scan_upper(
    dir: &Path,
    rel: &mut Vec<u8>,
    lower: &HashMap<Vec<u8>, Sig>,
    present: &mut HashSet<Vec<u8>>,
    changed: &mut Vec<Vec<u8>>,
) -> io::Result<()> {
    let mut names: Vec<_> = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()?;
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    for name in names {
        let path = dir.join(&name);
        let base = rel.len();
        if !rel.is_empty() {
            rel.push(b'/');
        }
        rel.extend_from_slice(name.as_bytes());
        let meta = fs::symlink_metadata(&path)?;
        if meta.file_type().is_socket() {
            rel.truncate(base);
            continue;
        }
        let old = lower.get(rel.as_slice());
        if old != Some(&upper_sig(&path, &meta, old)?) {
            changed.push(rel.clone());
        }
        present.insert(rel.clone());
        if meta.is_dir() {
            scan_upper(&path, rel, lower, present, changed)?;
        }
        rel.truncate(base);
    }
    Ok(())
}

/// Writes to `out` the diff layer turning the rootfs in the tar `lower` (plain, gzip or
/// zstd) into the directory `upper`: changed and new entries with their parent directories
/// (numeric owners and permissions kept, mtimes fixed, in sorted order), then a whiteout for
/// each deleted path (only the top-most one of a deleted tree). Sockets are skipped.
///
/// # Panics
/// On I/O errors.
pub fn diff_layer(
    lower: impl AsRef<Path>,
    upper: impl AsRef<Path>,
    out: impl AsRef<Path>,
) -> DiffStats {
    let (lower, upper, out) = (lower.as_ref(), upper.as_ref(), out.as_ref());
    diff_inner(lower, upper, out).unwrap_or_else(|e| {
        panic!(
            "diff layer {} -> {} into {}: {e}",
            lower.display(),
            upper.display(),
            out.display()
        )
    })
}

fn diff_inner(lower: &Path, upper: &Path, out: &Path) -> io::Result<DiffStats> {
    let lower_sigs = lower_sigs(lower)?;
    let mut present = HashSet::new();
    let mut changed = Vec::new();
    scan_upper(
        upper,
        &mut Vec::new(),
        &lower_sigs,
        &mut present,
        &mut changed,
    )?;
    // Deleted: in lower, not in upper, and its parent still there (else the parent's
    // whiteout covers it).
    let mut deleted: Vec<&Vec<u8>> = lower_sigs
        .keys()
        .filter(|p| !present.contains(*p))
        .filter(|p| {
            let par = parent(p);
            par.is_empty() || present.contains(par)
        })
        .collect();
    deleted.sort();
    let mut keep: HashSet<Vec<u8>> = HashSet::new();
    for p in changed
        .iter()
        .map(|p| p.as_slice())
        .chain(deleted.iter().map(|p| parent(p)))
    {
        let mut p = p;
        while !p.is_empty() && keep.insert(p.to_vec()) {
            p = parent(p);
        }
    }
    let mut tw = TarWriter::new(BufWriter::with_capacity(1 << 20, File::create(out)?));
    let mut walker = DirWalker {
        normalize: false,
        keep: Some(&keep),
        links: HashMap::new(),
    };
    walker.visit(upper, &mut Vec::new(), &mut tw)?;
    let wh = header(EntryType::Regular, 0o644, 0);
    for p in &deleted {
        let par = parent(p);
        let base = if par.is_empty() {
            &p[..]
        } else {
            &p[par.len() + 1..]
        };
        let mut name = par.to_vec();
        if !name.is_empty() {
            name.push(b'/');
        }
        name.extend_from_slice(b".wh.");
        name.extend_from_slice(base);
        tw.append_bytes(&wh, &name, None, &[])?;
    }
    let mut w = tw.finish()?;
    w.flush()?;
    drop(w);
    Ok(DiffStats {
        changed: changed.len(),
        whiteouts: deleted.len(),
        bytes: fs::metadata(out)?.len(),
    })
}
