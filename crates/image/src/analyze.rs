//! Per-layer analysis: stream each layer's tar once and hand the files that registered
//! analyzers want to them; everything else is skipped without being stored.
//!
//! The result of a layer is a plain value ([`LayerAnalysis`]) that depends only on the layer's
//! bytes and the analyzer set, so it can be cached by diffID. Layers are analysed in parallel.

use crate::cache::LayerCache;
use crate::error::{ImageError, Result};
use crate::path::ImagePath;
use crate::source::{Compression, Image, Layer};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::io::Read;

/// Something that wants to see certain files of every layer.
///
/// `wants` is asked for every regular file (and hard link) path in every layer, so it must be
/// cheap: decide from the path alone. `analyze` runs on the wanted file's content, inside the
/// layer's worker thread, and returns a plain value.
pub trait Analyzer: Sync {
    type Output: Send;

    /// Identifies what this analyzer produces (name and output format version). Part of the
    /// layer-cache key: override it with a version and bump that whenever the output for the
    /// same input would change. The default is the type name (plus the crate version).
    fn id(&self) -> String {
        format!(
            "{}@{}",
            std::any::type_name::<Self>(),
            env!("CARGO_PKG_VERSION")
        )
    }

    /// Does this analyzer want the content of the file at `path`?
    fn wants(&self, path: &ImagePath) -> bool;

    /// Also hand every regular file with an execute bit to [`Analyzer::analyze`], whatever
    /// its path (for catalogers that recognise binaries by content: Go build info,
    /// cargo-auditable). `analyze` then sees files `wants` did not ask for and must check
    /// the content itself.
    fn wants_executables(&self) -> bool {
        false
    }

    /// Files bigger than this are skipped with a warning (they are never read).
    fn max_file_size(&self) -> u64 {
        64 << 20
    }

    /// Parse one wanted file. `None` records nothing for this file (e.g. a secret scanner
    /// that found nothing); problems go to `warnings` (prefix them with the path) and the
    /// scan goes on.
    fn analyze(
        &self,
        path: &ImagePath,
        content: &[u8],
        warnings: &mut Vec<String>,
    ) -> Option<Self::Output>;
}

impl<A: Analyzer + ?Sized> Analyzer for &A {
    type Output = A::Output;

    fn id(&self) -> String {
        (**self).id()
    }

    fn wants(&self, path: &ImagePath) -> bool {
        (**self).wants(path)
    }

    fn wants_executables(&self) -> bool {
        (**self).wants_executables()
    }

    fn max_file_size(&self) -> u64 {
        (**self).max_file_size()
    }

    fn analyze(
        &self,
        path: &ImagePath,
        content: &[u8],
        warnings: &mut Vec<String>,
    ) -> Option<Self::Output> {
        (**self).analyze(path, content, warnings)
    }
}

/// Two analyzers over one walk: each sees the files it wants (within its own size cap); the
/// output carries both results. Nest to combine more; [`LayerAnalysis::split`] separates them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Both<A, B>(pub A, pub B);

impl<A: Analyzer, B: Analyzer> Analyzer for Both<A, B> {
    type Output = (Option<A::Output>, Option<B::Output>);

    fn id(&self) -> String {
        format!("({}+{})", self.0.id(), self.1.id())
    }

    fn wants(&self, path: &ImagePath) -> bool {
        self.0.wants(path) || self.1.wants(path)
    }

    fn wants_executables(&self) -> bool {
        self.0.wants_executables() || self.1.wants_executables()
    }

    fn max_file_size(&self) -> u64 {
        self.0.max_file_size().max(self.1.max_file_size())
    }

    fn analyze(
        &self,
        path: &ImagePath,
        content: &[u8],
        warnings: &mut Vec<String>,
    ) -> Option<Self::Output> {
        let len = content.len() as u64;
        // an executable one side did not ask for by name reaches it only if it takes
        // executables (it checks the content); the walker already filtered by mode
        let a = ((self.0.wants(path) || self.0.wants_executables())
            && len <= self.0.max_file_size())
        .then(|| self.0.analyze(path, content, warnings))
        .flatten();
        let b = ((self.1.wants(path) || self.1.wants_executables())
            && len <= self.1.max_file_size())
        .then(|| self.1.analyze(path, content, warnings))
        .flatten();
        (a.is_some() || b.is_some()).then_some((a, b))
    }
}

/// Metadata of a wanted file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileMeta {
    pub size: u64,
    pub mode: u32,
}

/// A wanted file and what its analyzer made of it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct AnalyzedFile<T> {
    pub path: ImagePath,
    pub meta: FileMeta,
    pub output: T,
}

/// Counters for one layer, for reports and hygiene.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LayerStats {
    pub entries: u64,
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    pub hardlinks: u64,
    pub whiteouts: u64,
    /// Sum of regular file sizes.
    pub file_bytes: u64,
    /// Size of the uncompressed tar stream.
    pub tar_bytes: u64,
    /// Device nodes, fifos and other special entries (never read).
    pub special: u64,
    /// Entries whose path was absolute or climbed above the root (normalised, reported).
    pub hostile_paths: u64,
}

/// Everything one layer contributed, as plain data (serialisable, for the layer cache).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct LayerAnalysis<T> {
    pub index: usize,
    /// sha256 of the uncompressed tar, computed while reading (verified against the config).
    pub diff_id: String,
    pub files: Vec<AnalyzedFile<T>>,
    /// Every symlink in the layer: path → raw target (resolution happens in the merged view).
    pub symlinks: Vec<(ImagePath, String)>,
    /// Whiteouts: paths deleted from lower layers.
    pub whiteouts: Vec<ImagePath>,
    /// Opaque directories: lower layers' contents of these directories are hidden.
    pub opaque_dirs: Vec<ImagePath>,
    /// Hashes of every non-directory entry's path, sorted (with
    /// [`AnalyzeOptions::record_paths`], the default): tells whether this layer replaced a
    /// lower file or directory.
    pub path_hashes: Vec<u64>,
    /// Entries whose mode matters for security: regular files with the setuid or setgid bit,
    /// and world-writable directories without the sticky bit. `(path, mode, is_dir)`.
    #[serde(default)]
    pub special_modes: Vec<(ImagePath, u32, bool)>,
    /// Per-entry sizes and directories (with [`AnalyzeOptions::record_sizes`], else `None`):
    /// what layer-efficiency analysis needs to compute wasted bytes exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sizes: Option<LayerSizes>,
    pub stats: LayerStats,
    pub warnings: Vec<String>,
}

/// Regular files at least this big are recorded by path in [`LayerSizes::large_files`].
pub const LARGE_FILE: u64 = 1 << 20;
/// At most this many large files are named per layer (the biggest are kept).
pub const MAX_LARGE_FILES: usize = 4096;

/// Sizes of a layer's entries, aligned with [`LayerAnalysis::path_hashes`], and the
/// directories they sit in: enough to tell, for every byte a layer carries, whether a later
/// layer overwrote or deleted it, without keeping every path (12 bytes per entry on top of
/// the 8-byte path hash, plus one path per distinct directory).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LayerSizes {
    /// `sizes[i]`: bytes of the entry whose path hash is `path_hashes[i]` (0 for symlinks,
    /// hard links and special files, which carry no data of their own).
    pub sizes: Vec<u64>,
    /// `dirs[i]`: index in [`LayerSizes::dir_paths`] of that entry's parent directory.
    pub dirs: Vec<u32>,
    /// Every directory of the layer: those with an entry of their own and all ancestors of
    /// every entry (the root is `""`).
    pub dir_paths: Vec<ImagePath>,
    /// Regular files of at least [`LARGE_FILE`] bytes, by path (the [`MAX_LARGE_FILES`]
    /// biggest), so that wasted space can be named.
    pub large_files: Vec<(ImagePath, u64)>,
    /// More large files were present than [`MAX_LARGE_FILES`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub large_files_truncated: bool,
}

impl LayerSizes {
    /// Size of the entry with this path hash, if the layer has one (needs sorted hashes).
    pub fn size_of(&self, path_hashes: &[u64], hash: u64) -> Option<u64> {
        let i = path_hashes.binary_search(&hash).ok()?;
        self.sizes.get(i).copied()
    }
}

/// Collects [`LayerSizes`] during a walk.
#[derive(Default)]
pub(crate) struct SizeRecorder {
    /// `(path hash, size, dir index)` in stream order (a later duplicate wins).
    entries: Vec<(u64, u64, u32)>,
    dir_index: std::collections::HashMap<ImagePath, u32>,
    dir_paths: Vec<ImagePath>,
    large: Vec<(ImagePath, u64)>,
    truncated: bool,
}

impl SizeRecorder {
    /// The index of `dir`, recording it and any ancestors not yet seen (a tar may omit
    /// parent directory entries; they are directories all the same).
    fn dir(&mut self, dir: ImagePath) -> u32 {
        if let Some(&i) = self.dir_index.get(&dir) {
            return i;
        }
        let mut missing = vec![dir];
        while let Some(last) = missing.last()
            && !last.is_root()
        {
            let parent = last.parent();
            if self.dir_index.contains_key(&parent) {
                break;
            }
            missing.push(parent);
        }
        let mut i = 0;
        for d in missing.into_iter().rev() {
            i = u32::try_from(self.dir_paths.len()).unwrap_or(u32::MAX);
            self.dir_paths.push(d.clone());
            self.dir_index.insert(d, i);
        }
        i
    }

    /// A directory entry.
    pub(crate) fn directory(&mut self, path: &ImagePath) {
        self.dir(path.clone());
    }

    /// A non-directory entry: `size` bytes of data (0 for links and special files).
    pub(crate) fn entry(&mut self, path: &ImagePath, size: u64, regular: bool) {
        let d = self.dir(path.parent());
        self.entries.push((path_hash(path), size, d));
        if regular && size >= LARGE_FILE {
            self.large.push((path.clone(), size));
            if self.large.len() >= 2 * MAX_LARGE_FILES {
                self.keep_largest();
            }
        }
    }

    fn keep_largest(&mut self) {
        self.large
            .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        if self.large.len() > MAX_LARGE_FILES {
            self.large.truncate(MAX_LARGE_FILES);
            self.truncated = true;
        }
    }

    /// The sorted, deduplicated path hashes and the sizes aligned with them.
    pub(crate) fn finish(mut self) -> (Vec<u64>, LayerSizes) {
        // stable sort: among duplicates of a path the last written stays last
        self.entries.sort_by_key(|e| e.0);
        let mut hashes = Vec::with_capacity(self.entries.len());
        let mut sizes = Vec::with_capacity(self.entries.len());
        let mut dirs = Vec::with_capacity(self.entries.len());
        for (i, &(h, s, d)) in self.entries.iter().enumerate() {
            if self.entries.get(i + 1).is_some_and(|n| n.0 == h) {
                continue;
            }
            hashes.push(h);
            sizes.push(s);
            dirs.push(d);
        }
        self.keep_largest();
        // a path written twice in the layer counts as its last entry: take sizes from the
        // deduplicated table (the list is small)
        let mut large: Vec<(ImagePath, u64)> = std::mem::take(&mut self.large)
            .into_iter()
            .filter_map(|(p, _)| {
                let i = hashes.binary_search(&path_hash(&p)).ok()?;
                let size = sizes[i];
                (size >= LARGE_FILE).then_some((p, size))
            })
            .collect();
        large.sort();
        large.dedup_by(|a, b| a.0 == b.0);
        (
            hashes,
            LayerSizes {
                sizes,
                dirs,
                dir_paths: self.dir_paths,
                large_files: large,
                large_files_truncated: self.truncated,
            },
        )
    }
}

/// Options for [`analyze_image`].
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Check each layer's sha256 against the diffID in the image config.
    pub verify_diff_ids: bool,
    /// Number of layers read at once (0 = the rayon default, one per core).
    pub parallelism: usize,
    /// Keep a hash of every non-directory path per layer ([`LayerAnalysis::path_hashes`]),
    /// 8 bytes per entry (on by default), so that the merge can tell a file replacing a lower
    /// directory, and consumers whether a later layer overwrote a file.
    pub record_paths: bool,
    /// Also keep each entry's size and directory ([`LayerAnalysis::sizes`]; implies
    /// `record_paths`), 12 more bytes per entry plus the layer's directory paths, for
    /// wasted-space analysis. Off by default.
    pub record_sizes: bool,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            verify_diff_ids: true,
            parallelism: 0,
            record_paths: true,
            record_sizes: false,
        }
    }
}

/// Is the regular file at `path` (with `mode`) for `analyzer`: by name, or as an executable?
pub(crate) fn wanted<A: Analyzer>(analyzer: &A, path: &ImagePath, mode: u32) -> bool {
    analyzer.wants(path) || (mode & 0o111 != 0 && analyzer.wants_executables())
}

/// Bytes of recently analysed file content kept per layer for hard links to them.
/// Counts content plus per-entry overhead, so a million tiny files cannot pin much memory.
const HARDLINK_BUDGET: usize = 8 << 20;
const HARDLINK_ENTRY_OVERHEAD: usize = 128;

/// Hashes everything read through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Analyse every layer of `image` with `analyzer`, in parallel. Results are in layer order.
/// `on_layer_done(layer, from_cache)` is called (from worker threads) as each layer finishes,
/// e.g. for progress.
pub fn analyze_image<A: Analyzer>(
    image: &Image,
    analyzer: &A,
    opts: &AnalyzeOptions,
    on_layer_done: &(dyn Fn(&Layer, bool) + Sync),
) -> Result<Vec<LayerAnalysis<A::Output>>> {
    run_layers(opts, || {
        image
            .layers
            .par_iter()
            .map(|layer| {
                let r = analyze_layer(layer, analyzer, opts);
                on_layer_done(layer, false);
                r
            })
            .collect::<Result<Vec<_>>>()
    })
}

/// [`analyze_image`] through a [`LayerCache`]: a layer whose analysis is cached (same diffID,
/// analyzer id and options) is not read at all — for a registry image, not even downloaded.
pub fn analyze_image_cached<A: Analyzer>(
    image: &Image,
    analyzer: &A,
    opts: &AnalyzeOptions,
    cache: &LayerCache,
    on_layer_done: &(dyn Fn(&Layer, bool) + Sync),
) -> Result<Vec<LayerAnalysis<A::Output>>>
where
    A::Output: serde::Serialize + serde::de::DeserializeOwned,
{
    let analyzer_id = analyzer.id();
    // the key without record_sizes is unchanged, so existing cache entries stay valid
    let mut options = format!("record_paths={}", opts.record_paths);
    if opts.record_sizes {
        options.push_str(",record_sizes=1");
    }
    run_layers(opts, || {
        image
            .layers
            .par_iter()
            .map(|layer| {
                // a layer without a known diffID (a rootfs tarball) cannot be looked up
                let key = (!layer.diff_id.is_empty())
                    .then(|| LayerCache::key(&layer.diff_id, &analyzer_id, &options));
                if let Some(key) = &key
                    && let Some(mut hit) = cache.get::<A::Output>(key)
                {
                    hit.index = layer.index;
                    on_layer_done(layer, true);
                    return Ok(hit);
                }
                let mut r = analyze_layer(layer, analyzer, opts)?;
                if let Some(key) = &key
                    && let Err(e) = cache.put(key, &r)
                {
                    r.warnings.push(format!("layer cache: {e}"));
                }
                on_layer_done(layer, false);
                Ok(r)
            })
            .collect::<Result<Vec<_>>>()
    })
}

fn run_layers<T: Send>(opts: &AnalyzeOptions, run: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    if opts.parallelism > 0 {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(opts.parallelism)
            .build()
            .map_err(|e| ImageError::Layer {
                index: 0,
                diff_id: String::new(),
                reason: format!("cannot start worker threads: {e}"),
            })?;
        pool.install(run)
    } else {
        run()
    }
}

fn layer_err(layer: &Layer, reason: impl std::fmt::Display) -> ImageError {
    ImageError::Layer {
        index: layer.index,
        diff_id: layer.diff_id.clone(),
        reason: reason.to_string(),
    }
}

/// Analyse one layer: a single streaming pass over its (decompressed) tar.
pub fn analyze_layer<A: Analyzer>(
    layer: &Layer,
    analyzer: &A,
    opts: &AnalyzeOptions,
) -> Result<LayerAnalysis<A::Output>> {
    let mut raw = layer.blob.open()?;
    let mut head = [0u8; 6];
    let mut n = 0;
    while n < head.len() {
        let k = raw.read(&mut head[n..]).map_err(|e| layer_err(layer, e))?;
        if k == 0 {
            break;
        }
        n += k;
    }
    let comp = Compression::sniff(&head[..n])
        .ok_or_else(|| layer_err(layer, "unsupported layer compression (bzip2/xz)"))?;
    let chained = std::io::Cursor::new(head[..n].to_vec()).chain(raw);
    let decoded = comp.reader(chained).map_err(|e| layer_err(layer, e))?;
    let mut hashing = HashingReader {
        inner: decoded,
        hasher: Sha256::new(),
        bytes: 0,
    };
    let mut out = LayerAnalysis {
        index: layer.index,
        diff_id: String::new(),
        files: Vec::new(),
        symlinks: Vec::new(),
        whiteouts: Vec::new(),
        opaque_dirs: Vec::new(),
        path_hashes: Vec::new(),
        special_modes: Vec::new(),
        sizes: None,
        stats: LayerStats::default(),
        warnings: Vec::new(),
    };
    let mut sizes = opts.record_sizes.then(SizeRecorder::default);
    // recent wanted files' content, for hard links that point at them (a link always comes
    // after its target in the stream); bounded so an analyzer that wants every file (secrets)
    // does not keep a whole layer in memory
    let mut wanted_content: std::collections::VecDeque<(ImagePath, FileMeta, Vec<u8>)> =
        std::collections::VecDeque::new();
    let mut wanted_bytes: usize = 0;
    {
        let mut archive = tar::Archive::new(&mut hashing);
        let entries = archive.entries().map_err(|e| layer_err(layer, e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| layer_err(layer, format!("corrupt tar: {e}")))?;
            out.stats.entries += 1;
            let (path, norm) = ImagePath::from_bytes(&entry.path_bytes());
            if norm.escaped_root || norm.was_absolute {
                out.stats.hostile_paths += 1;
                if out.stats.hostile_paths <= 5 {
                    out.warnings.push(format!(
                        "entry {:?} was normalised to {path}",
                        String::from_utf8_lossy(&entry.path_bytes())
                    ));
                }
            }
            let name = path.file_name();
            if let Some(hidden) = name.strip_prefix(".wh.") {
                out.stats.whiteouts += 1;
                if hidden == ".wh..opq" {
                    out.opaque_dirs.push(path.parent());
                } else if !hidden.is_empty() && !hidden.starts_with(".wh.") {
                    out.whiteouts.push(path.parent().join(hidden));
                }
                continue;
            }
            let header = entry.header();
            let kind = header.entry_type();
            let mode = header.mode().unwrap_or(0);
            if let Some(rec) = &mut sizes {
                if kind.is_dir() {
                    rec.directory(&path);
                } else {
                    let regular = kind.is_file() || kind == tar::EntryType::GNUSparse;
                    rec.entry(&path, if regular { entry.size() } else { 0 }, regular);
                }
            } else if opts.record_paths && !kind.is_dir() {
                out.path_hashes.push(path_hash(&path));
            }
            if (kind.is_file() && mode & 0o6000 != 0)
                || (kind.is_dir() && mode & 0o002 != 0 && mode & 0o1000 == 0)
            {
                out.special_modes.push((path.clone(), mode, kind.is_dir()));
            }
            if kind.is_dir() {
                out.stats.dirs += 1;
            } else if kind.is_symlink() {
                out.stats.symlinks += 1;
                let target = entry
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).to_string())
                    .unwrap_or_default();
                out.symlinks.push((path, target));
            } else if kind.is_hard_link() {
                out.stats.hardlinks += 1;
                if wanted(analyzer, &path, mode) {
                    let target = entry
                        .link_name_bytes()
                        .map(|t| ImagePath::from_bytes(&t).0)
                        .unwrap_or_default();
                    match wanted_content.iter().find(|(p, _, _)| *p == target) {
                        Some((_, meta, content)) => {
                            if let Some(output) = analyzer.analyze(&path, content, &mut out.warnings) {
                                out.files.push(AnalyzedFile {
                                    path,
                                    meta: meta.clone(),
                                    output,
                                });
                            }
                        }
                        None => out.warnings.push(format!(
                            "{path}: hard link to {target}, which is not a file this layer analysed (or no longer held); skipped"
                        )),
                    }
                }
            } else if kind.is_file() || kind == tar::EntryType::GNUSparse {
                out.stats.files += 1;
                let size = entry.size();
                out.stats.file_bytes += size;
                if !wanted(analyzer, &path, mode) {
                    continue;
                }
                if size > analyzer.max_file_size() {
                    out.warnings.push(format!(
                        "{path}: {size} bytes exceeds the {} byte limit for analysed files; skipped",
                        analyzer.max_file_size()
                    ));
                    continue;
                }
                let mut content = Vec::with_capacity(size as usize);
                (&mut entry)
                    .take(size)
                    .read_to_end(&mut content)
                    .map_err(|e| layer_err(layer, format!("reading {path}: {e}")))?;
                let meta = FileMeta { size, mode };
                if let Some(output) = analyzer.analyze(&path, &content, &mut out.warnings) {
                    out.files.push(AnalyzedFile {
                        path: path.clone(),
                        meta: meta.clone(),
                        output,
                    });
                }
                wanted_bytes += content.capacity() + path.as_str().len() + HARDLINK_ENTRY_OVERHEAD;
                wanted_content.push_back((path, meta, content));
                while wanted_bytes > HARDLINK_BUDGET && wanted_content.len() > 1 {
                    if let Some((p, _, old)) = wanted_content.pop_front() {
                        wanted_bytes -= old.capacity() + p.as_str().len() + HARDLINK_ENTRY_OVERHEAD;
                    }
                }
            } else {
                // device nodes, fifos, unknown types: never read
                out.stats.special += 1;
            }
        }
    }
    // drain the end-of-archive padding so the digest covers the whole stream
    std::io::copy(&mut hashing, &mut std::io::sink())
        .map_err(|e| layer_err(layer, format!("corrupt layer stream: {e}")))?;
    out.stats.tar_bytes = hashing.bytes;
    if let Some(rec) = sizes {
        let (hashes, sizes) = rec.finish();
        out.path_hashes = hashes;
        out.sizes = Some(sizes);
    }
    out.path_hashes.sort_unstable();
    out.path_hashes.dedup();
    out.diff_id = format!("sha256:{}", hex::encode(hashing.hasher.finalize()));
    if opts.verify_diff_ids && !layer.diff_id.is_empty() && out.diff_id != layer.diff_id {
        return Err(ImageError::DiffIdMismatch {
            index: layer.index,
            expected: layer.diff_id.clone(),
            actual: out.diff_id,
        });
    }
    Ok(out)
}

/// The hash used for [`LayerAnalysis::path_hashes`].
pub fn path_hash(path: &ImagePath) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    path.as_str().hash(&mut h);
    h.finish()
}

impl<T> LayerAnalysis<T> {
    /// Did this layer write a non-directory entry at `path`? (Needs `record_paths`.)
    pub fn wrote(&self, path: &ImagePath) -> bool {
        self.path_hashes.binary_search(&path_hash(path)).is_ok()
    }

    /// Did this layer delete `path`, by a whiteout of it or an ancestor, or an opaque ancestor?
    pub fn deleted(&self, path: &ImagePath) -> bool {
        self.whiteouts.iter().any(|w| path.starts_with(w))
            || self
                .opaque_dirs
                .iter()
                .any(|d| path.starts_with(d) && path != d)
    }

    /// Same layer, other output type (files mapped, dropped where `f` gives `None`).
    pub fn map<U>(self, mut f: impl FnMut(T) -> Option<U>) -> LayerAnalysis<U> {
        LayerAnalysis {
            index: self.index,
            diff_id: self.diff_id,
            files: self
                .files
                .into_iter()
                .filter_map(|af| {
                    f(af.output).map(|output| AnalyzedFile {
                        path: af.path,
                        meta: af.meta,
                        output,
                    })
                })
                .collect(),
            symlinks: self.symlinks,
            whiteouts: self.whiteouts,
            opaque_dirs: self.opaque_dirs,
            path_hashes: self.path_hashes,
            special_modes: self.special_modes,
            sizes: self.sizes,
            stats: self.stats,
            warnings: self.warnings,
        }
    }
}

impl<A, B> LayerAnalysis<(Option<A>, Option<B>)> {
    /// Separate the results of a [`Both`] analyzer (the layer facts are shared; warnings go
    /// with the first).
    pub fn split(self) -> (LayerAnalysis<A>, LayerAnalysis<B>) {
        let mut first = LayerAnalysis {
            index: self.index,
            diff_id: self.diff_id.clone(),
            files: Vec::new(),
            symlinks: self.symlinks.clone(),
            whiteouts: self.whiteouts.clone(),
            opaque_dirs: self.opaque_dirs.clone(),
            path_hashes: self.path_hashes.clone(),
            special_modes: self.special_modes.clone(),
            sizes: self.sizes.clone(),
            stats: self.stats.clone(),
            warnings: self.warnings,
        };
        let mut second = LayerAnalysis {
            index: self.index,
            diff_id: self.diff_id,
            files: Vec::new(),
            symlinks: self.symlinks,
            whiteouts: self.whiteouts,
            opaque_dirs: self.opaque_dirs,
            path_hashes: self.path_hashes,
            special_modes: self.special_modes,
            sizes: self.sizes,
            stats: self.stats,
            warnings: Vec::new(),
        };
        for f in self.files {
            let (a, b) = f.output;
            if let Some(a) = a {
                first.files.push(AnalyzedFile {
                    path: f.path.clone(),
                    meta: f.meta.clone(),
                    output: a,
                });
            }
            if let Some(b) = b {
                second.files.push(AnalyzedFile {
                    path: f.path,
                    meta: f.meta,
                    output: b,
                });
            }
        }
        (first, second)
    }
}
