//! Per-layer analysis: stream each layer's tar once and hand the files that registered
//! analyzers want to them; everything else is skipped without being stored.
//!
//! The result of a layer is a plain value ([`LayerAnalysis`]) that depends only on the layer's
//! bytes and the analyzer set, so it can be cached by diffID. Layers are analysed in parallel.

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

    /// Does this analyzer want the content of the file at `path`?
    fn wants(&self, path: &ImagePath) -> bool;

    /// Files bigger than this are skipped with a warning (they are never read).
    fn max_file_size(&self) -> u64 {
        64 << 20
    }

    /// Parse one wanted file. An error becomes a warning on the layer; the scan goes on.
    fn analyze(
        &self,
        path: &ImagePath,
        content: &[u8],
    ) -> std::result::Result<Self::Output, String>;
}

/// Metadata of a wanted file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    pub size: u64,
    pub mode: u32,
}

/// A wanted file and what its analyzer made of it.
#[derive(Debug)]
pub struct AnalyzedFile<T> {
    pub path: ImagePath,
    pub meta: FileMeta,
    pub output: T,
}

/// Counters for one layer, for reports and hygiene.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
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

/// Everything one layer contributed, as plain data.
#[derive(Debug)]
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
    /// Non-directory entries that replace what lower layers had at that path (used to hide
    /// lower files below a path that became a file or symlink).
    pub stats: LayerStats,
    pub warnings: Vec<String>,
}

/// Options for [`analyze_image`].
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Check each layer's sha256 against the diffID in the image config.
    pub verify_diff_ids: bool,
    /// Number of layers read at once (0 = the rayon default, one per core).
    pub parallelism: usize,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            verify_diff_ids: true,
            parallelism: 0,
        }
    }
}

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
/// `on_layer_done` is called (from worker threads) as each layer finishes, e.g. for progress.
pub fn analyze_image<A: Analyzer>(
    image: &Image,
    analyzer: &A,
    opts: &AnalyzeOptions,
    on_layer_done: &(dyn Fn(&Layer) + Sync),
) -> Result<Vec<LayerAnalysis<A::Output>>> {
    let run = || {
        image
            .layers
            .par_iter()
            .map(|layer| {
                let r = analyze_layer(layer, analyzer, opts);
                on_layer_done(layer);
                r
            })
            .collect::<Result<Vec<_>>>()
    };
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
        stats: LayerStats::default(),
        warnings: Vec::new(),
    };
    // content of wanted files in this layer, for hard links that point at them
    let mut wanted_content: Vec<(ImagePath, FileMeta, Vec<u8>)> = Vec::new();
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
                if analyzer.wants(&path) {
                    let target = entry
                        .link_name_bytes()
                        .map(|t| ImagePath::from_bytes(&t).0)
                        .unwrap_or_default();
                    match wanted_content.iter().find(|(p, _, _)| *p == target) {
                        Some((_, meta, content)) => match analyzer.analyze(&path, content) {
                            Ok(output) => out.files.push(AnalyzedFile {
                                path,
                                meta: meta.clone(),
                                output,
                            }),
                            Err(e) => out.warnings.push(format!("{path}: {e}")),
                        },
                        None => out.warnings.push(format!(
                            "{path}: hard link to {target}, which is not a file this layer analysed; skipped"
                        )),
                    }
                }
            } else if kind.is_file() || kind == tar::EntryType::GNUSparse {
                out.stats.files += 1;
                let size = entry.size();
                out.stats.file_bytes += size;
                if !analyzer.wants(&path) {
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
                match analyzer.analyze(&path, &content) {
                    Ok(output) => out.files.push(AnalyzedFile {
                        path: path.clone(),
                        meta: meta.clone(),
                        output,
                    }),
                    Err(e) => out.warnings.push(format!("{path}: {e}")),
                }
                wanted_content.push((path, meta, content));
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
