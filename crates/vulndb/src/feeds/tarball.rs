//! Reading the `.tar.gz` snapshots of the native language feeds (a git repository as an
//! archive): either the recorded layout (files at the archive root, `gems/…`) or a GitHub
//! archive with one top-level folder (`ruby-advisory-db-master/gems/…`).
//!
//! The whole archive is decompressed once, to its end (so a truncated gzip stream is an error
//! naming the file, not a silently shorter feed); only the files a feed wants are kept in
//! memory, each under a size cap, and the whole under a total cap.
//!
//! [`for_each_file`] streams the large distro archives instead (Red Hat's CSAF VEX `.tar.zst`,
//! SUSE's CVRF `.tar.bz2`): one entry in memory at a time.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// Most uncompressed bytes read from one archive (zip-bomb guard; the real archives expand
/// to under 20 MiB).
pub(crate) const MAX_TARBALL_BYTES: u64 = 1 << 30;

/// One kept file: its path inside the archive with the top-level folder (if any) removed.
#[derive(Debug)]
pub(crate) struct TarFile {
    pub path: String,
    pub data: Vec<u8>,
}

/// What [`read`] found.
#[derive(Debug, Default)]
pub(crate) struct TarContents {
    /// Files the feed recognises, in archive order.
    pub files: Vec<TarFile>,
    /// The top-level folder that was stripped (`ruby-advisory-db-master`), if any.
    pub prefix: Option<String>,
    /// Warnings about single entries (oversized, unreadable name), already prefixed with the
    /// entry path.
    pub warnings: Vec<String>,
    /// Regular files in the archive, wanted or not.
    pub file_entries: u64,
}

/// Counts bytes pulled through the decoder and refuses more than the cap; remembers how many
/// zero bytes ended the stream so far (a tar archive ends with at least two zero blocks).
struct Capped<R> {
    inner: R,
    read: u64,
    cap: u64,
    trailing_zeros: u64,
}

impl<R> Capped<R> {
    fn new(inner: R, cap: u64) -> Self {
        Capped {
            inner,
            read: 0,
            cap,
            trailing_zeros: 0,
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.cap {
            return Err(std::io::Error::other(format!(
                "more than {} bytes uncompressed",
                self.cap
            )));
        }
        match buf[..n].iter().rposition(|&b| b != 0) {
            Some(last) => self.trailing_zeros = (n - last - 1) as u64,
            None => self.trailing_zeros += n as u64,
        }
        Ok(n)
    }
}

/// Read the `.tar.gz` at `path`, keeping the regular files for which `wanted(path)` holds
/// (paths relative to the archive root, or to its single top-level folder when the archive
/// has one — see [`strip_decision`]). Entries over `max_entry` bytes are skipped with a
/// warning. Any decompression or tar error is an [`Error::Feed`] naming the file.
pub(crate) fn read(
    path: &Path,
    max_entry: u64,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<TarContents> {
    read_capped(path, max_entry, MAX_TARBALL_BYTES, wanted)
}

pub(crate) fn read_capped(
    path: &Path,
    max_entry: u64,
    max_total: u64,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<TarContents> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
    let mut archive = tar::Archive::new(Capped::new(gz, max_total));
    let bad = |e: std::io::Error| {
        Error::feed(path, format!("truncated or corrupt .tar.gz archive ({e})"))
    };

    // Every entry path (files and folders), to find a common top-level folder, and the
    // candidate files (kept whether or not the prefix is stripped: decided at the end).
    let mut all_paths: Vec<String> = Vec::new();
    let mut kept: Vec<TarFile> = Vec::new();
    let mut warnings = Vec::new();
    let mut file_entries = 0u64;
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind.is_dir()) {
            continue; // pax headers, links, devices
        }
        let name = entry
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = name
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        if name.is_empty() {
            continue;
        }
        all_paths.push(name.clone());
        if kind.is_dir() {
            continue;
        }
        file_entries += 1;
        // Wanted with or without a first component stripped.
        let stripped = name.split_once('/').map(|(_, r)| r);
        if !(wanted(&name) || stripped.is_some_and(wanted)) {
            continue;
        }
        let size = entry.size();
        if size > max_entry {
            warnings.push(format!(
                "{name}: {size} bytes, over the {max_entry}-byte cap: skipped"
            ));
            continue;
        }
        let mut data = Vec::with_capacity(size as usize);
        (&mut entry)
            .take(max_entry + 1)
            .read_to_end(&mut data)
            .map_err(bad)?;
        kept.push(TarFile { path: name, data });
    }
    // Read to the end of the gzip stream so that its length and CRC are checked.
    let mut rest = archive.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(bad)?;

    let prefix = strip_decision(&all_paths, &kept, wanted);
    let files = match &prefix {
        Some(p) => kept
            .into_iter()
            .filter_map(|mut f| {
                let rel = f.path.strip_prefix(p.as_str())?.strip_prefix('/')?;
                if !wanted(rel) {
                    return None;
                }
                f.path = rel.to_string();
                Some(f)
            })
            .collect(),
        None => kept.into_iter().filter(|f| wanted(&f.path)).collect(),
    };
    Ok(TarContents {
        files,
        prefix,
        warnings,
        file_entries,
    })
}

/// The compression of a streamed archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    /// Zstandard (`.tar.zst`, Red Hat).
    Zstd,
    /// bzip2, one or more streams (`.tar.bz2`, SUSE).
    Bzip2,
}

impl Compression {
    fn suffix(self) -> &'static str {
        match self {
            Compression::Zstd => ".tar.zst",
            Compression::Bzip2 => ".tar.bz2",
        }
    }
}

/// One wanted regular file handed to the callback of [`for_each_file`].
pub(crate) enum Entry<'a> {
    /// The whole content (at most the per-entry cap).
    Data(&'a [u8]),
    /// Declared size over the per-entry cap: not read.
    TooLarge(u64),
}

/// What [`for_each_file`] saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StreamStats {
    /// Regular files in the archive.
    pub files: u64,
    /// Of which `wanted`.
    pub wanted: u64,
}

/// Stream the archive at `path`, calling `f(entry path, entry)` for every regular file for
/// which `wanted(entry path)` holds (paths without a leading `./`), one at a time. The
/// archive is read to the end of its compressed stream: a decompression or tar error, an entry
/// shorter than its header says, more than `max_total` uncompressed bytes, or a tar stream
/// without its end-of-archive zero blocks (an archive cut at a block boundary) is an
/// [`Error::Feed`] naming the file and saying "truncated or corrupt". An error returned by `f`
/// stops the walk and is returned as is.
pub(crate) fn for_each_file(
    path: &Path,
    compression: Compression,
    max_entry: u64,
    max_total: u64,
    wanted: &dyn Fn(&str) -> bool,
    f: &mut dyn FnMut(&str, Entry<'_>) -> Result<()>,
) -> Result<StreamStats> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let bad = |e: std::io::Error| {
        Error::feed(
            path,
            format!(
                "truncated or corrupt {} archive ({e})",
                compression.suffix()
            ),
        )
    };
    let reader: Box<dyn Read> = match compression {
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(file).map_err(bad)?),
        Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(std::io::BufReader::new(
            file,
        ))),
    };
    let mut archive = tar::Archive::new(Capped::new(reader, max_total));
    let mut stats = StreamStats::default();
    let mut data = Vec::new();
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        if !entry.header().entry_type().is_file() {
            continue; // folders, pax headers, links
        }
        stats.files += 1;
        let name = entry
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = name.trim_start_matches("./");
        if name.is_empty() || !wanted(name) {
            continue;
        }
        stats.wanted += 1;
        let size = entry.size();
        if size > max_entry {
            f(name, Entry::TooLarge(size))?;
            continue;
        }
        data.clear();
        (&mut entry)
            .take(max_entry + 1)
            .read_to_end(&mut data)
            .map_err(bad)?;
        if data.len() as u64 != size {
            return Err(bad(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("{name}: {} of {size} bytes", data.len()),
            )));
        }
        f(name, Entry::Data(&data))?;
    }
    // Read to the end of the compressed stream (its checks run there), then require the tar
    // end-of-archive marker: two 512-byte zero blocks.
    let mut rest = archive.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(bad)?;
    if rest.trailing_zeros < 1024 {
        return Err(bad(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "no end-of-archive marker",
        )));
    }
    Ok(stats)
}

/// The top-level folder to strip: every entry lies under the same first component, and
/// stripping it makes more files recognisable than leaving it (so an archive of a single
/// vendor folder, `symfony/…`, keeps its paths).
fn strip_decision(
    all_paths: &[String],
    kept: &[TarFile],
    wanted: &dyn Fn(&str) -> bool,
) -> Option<String> {
    let first = all_paths.first()?.split('/').next()?.to_string();
    let under = |p: &String| p == &first || p.starts_with(&format!("{first}/"));
    if !all_paths.iter().all(under) {
        return None;
    }
    let as_is = kept.iter().filter(|f| wanted(&f.path)).count();
    let stripped = kept
        .iter()
        .filter(|f| {
            f.path
                .strip_prefix(first.as_str())
                .and_then(|r| r.strip_prefix('/'))
                .is_some_and(wanted)
        })
        .count();
    (stripped > as_is).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-written tar.gz with the given (path, content) entries (folders for `…/`).
    fn targz(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (p, data) in entries {
            let mut h = tar::Header::new_gnu();
            if p.ends_with('/') {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                h.set_mode(0o755);
                h.set_cksum();
                b.append_data(&mut h, p, &[][..]).unwrap();
            } else {
                h.set_size(data.len() as u64);
                h.set_mode(0o644);
                h.set_cksum();
                b.append_data(&mut h, p, *data).unwrap();
            }
        }
        let tar = b.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        gz.finish().unwrap()
    }

    fn wanted(p: &str) -> bool {
        let parts: Vec<&str> = p.split('/').collect();
        parts.len() == 3 && p.ends_with(".yaml")
    }

    fn read_bytes(bytes: &[u8]) -> Result<TarContents> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.tar.gz");
        std::fs::write(&p, bytes).unwrap();
        read_capped(&p, 1000, 1 << 20, &wanted)
    }

    fn paths(c: &TarContents) -> Vec<&str> {
        c.files.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn root_layout_and_github_layout() {
        let root = read_bytes(&targz(&[
            ("LICENSE", b"x"),
            ("a/b/1.yaml", b"one"),
            ("a/c/2.yaml", b"two"),
        ]))
        .unwrap();
        assert_eq!(paths(&root), ["a/b/1.yaml", "a/c/2.yaml"]);
        assert_eq!(root.prefix, None);
        assert_eq!(root.file_entries, 3);

        let gh = read_bytes(&targz(&[
            ("repo-main/", b""),
            ("repo-main/README.md", b"x"),
            ("repo-main/a/b/1.yaml", b"one"),
            ("repo-main/a/c/2.yaml", b"two"),
        ]))
        .unwrap();
        assert_eq!(paths(&gh), ["a/b/1.yaml", "a/c/2.yaml"]);
        assert_eq!(gh.prefix.as_deref(), Some("repo-main"));
        assert_eq!(gh.files[1].data, b"two");

        // One vendor folder only, no prefix: paths are kept.
        let one = read_bytes(&targz(&[("a/b/1.yaml", b"one"), ("a/b/2.yaml", b"2")])).unwrap();
        assert_eq!(paths(&one), ["a/b/1.yaml", "a/b/2.yaml"]);
        assert_eq!(one.prefix, None);
    }

    #[test]
    fn caps_and_truncation() {
        let big = vec![b'x'; 2000];
        let c = read_bytes(&targz(&[("a/b/big.yaml", &big), ("a/b/ok.yaml", b"ok")])).unwrap();
        assert_eq!(paths(&c), ["a/b/ok.yaml"]);
        assert_eq!(c.warnings.len(), 1);
        assert!(
            c.warnings[0].starts_with("a/b/big.yaml: 2000 bytes"),
            "{:?}",
            c.warnings
        );

        let good = targz(&[("a/b/1.yaml", &[b'y'; 900]), ("a/b/2.yaml", b"two")]);
        for cut in [good.len() - 3, good.len() / 2, 11] {
            let e = read_bytes(&good[..cut]).unwrap_err();
            assert!(
                e.to_string().contains("truncated or corrupt .tar.gz"),
                "cut at {cut}: {e}"
            );
        }
        let e = read_bytes(b"not gzip at all").unwrap_err();
        assert!(e.to_string().contains("a.tar.gz"), "{e}");

        // Total cap.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.tar.gz");
        std::fs::write(&p, targz(&[("a/b/1.yaml", &vec![b'z'; 50_000])])).unwrap();
        let e = read_capped(&p, 1 << 20, 10_000, &wanted).unwrap_err();
        assert!(e.to_string().contains("more than 10000 bytes"), "{e}");
    }

    /// A hand-written tar (no compression) of the given files, with or without its
    /// end-of-archive blocks.
    fn tar_bytes(entries: &[(&str, &[u8])], finish: bool) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (p, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, p, *data).unwrap();
        }
        if finish {
            b.into_inner().unwrap()
        } else {
            // the builder writes the two zero blocks in `finish`: take the bytes before that
            b.get_ref().clone()
        }
    }

    fn compress(c: Compression, tar: &[u8]) -> Vec<u8> {
        match c {
            Compression::Zstd => zstd::encode_all(tar, 3).unwrap(),
            Compression::Bzip2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
                std::io::Write::write_all(&mut e, tar).unwrap();
                e.finish().unwrap()
            }
        }
    }

    fn stream_bytes(c: Compression, bytes: &[u8], max_entry: u64) -> Result<Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.tar.x");
        std::fs::write(&p, bytes).unwrap();
        let mut seen = Vec::new();
        let stats = for_each_file(
            &p,
            c,
            max_entry,
            1 << 20,
            &|n: &str| n.ends_with(".json"),
            &mut |n: &str, e: Entry<'_>| {
                seen.push(match e {
                    Entry::Data(d) => format!("{n}={}", String::from_utf8_lossy(d)),
                    Entry::TooLarge(size) => format!("{n}: {size} too large"),
                });
                Ok(())
            },
        )?;
        seen.push(format!("files={} wanted={}", stats.files, stats.wanted));
        Ok(seen)
    }

    #[test]
    fn streamed_archives_are_read_to_their_end() {
        let big = vec![b'x'; 3000];
        let entries: [(&str, &[u8]); 4] = [
            ("./2023/cve-2023-0001.json", b"{\"a\":1}"),
            ("README", b"not wanted"),
            ("2023/big.json", &big),
            ("2024/cve-2024-0002.json", &[b'y'; 2000]),
        ];
        for c in [Compression::Zstd, Compression::Bzip2] {
            let good = compress(c, &tar_bytes(&entries, true));
            let seen = stream_bytes(c, &good, 2500).unwrap();
            assert_eq!(
                seen[..3],
                [
                    "2023/cve-2023-0001.json={\"a\":1}".to_string(),
                    "2023/big.json: 3000 too large".to_string(),
                    format!("2024/cve-2024-0002.json={}", "y".repeat(2000)),
                ],
                "{c:?}"
            );
            assert_eq!(seen[3], "files=4 wanted=3");
            // cut inside the compressed stream
            for cut in [good.len() - 3, good.len() / 2, 10] {
                let e = stream_bytes(c, &good[..cut], 2500).unwrap_err().to_string();
                assert!(e.contains("truncated or corrupt"), "{c:?} cut {cut}: {e}");
            }
            // a complete compressed stream of a tar cut after its last entry (no end blocks)
            let cut_tar = compress(c, &tar_bytes(&entries, false));
            let e = stream_bytes(c, &cut_tar, 2500).unwrap_err().to_string();
            assert!(
                e.contains("truncated or corrupt") && e.contains("end-of-archive"),
                "{c:?}: {e}"
            );
            // ... and inside an entry's data
            let full = tar_bytes(&entries, true);
            let e = stream_bytes(c, &compress(c, &full[..512 * 9 + 100]), 2500)
                .unwrap_err()
                .to_string();
            assert!(e.contains("truncated or corrupt"), "{c:?}: {e}");
            // not an archive at all
            let e = stream_bytes(c, b"<html>busy</html>", 2500)
                .unwrap_err()
                .to_string();
            assert!(e.contains("a.tar.x"), "{c:?}: {e}");
        }
    }
}
