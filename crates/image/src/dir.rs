//! A directory on the local filesystem (a source checkout, an unpacked rootfs) analysed as if
//! it were a single layer, so that `drydock fs` shares everything after the layer walk with
//! `drydock image`. Symlinks are recorded, never followed (the merged view resolves them inside
//! the directory); special files are never read; only files the analyzer wants are opened.

use crate::analyze::{AnalyzedFile, Analyzer, FileMeta, LayerAnalysis, LayerStats};
use crate::error::{Result, io};
use crate::path::ImagePath;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Directory names never descended into (version-control metadata).
const SKIP_DIRS: &[&str] = &[".git", ".hg", ".svn"];

/// Walk `root` and analyse the files `analyzer` wants, as layer 0.
pub fn analyze_dir<A: Analyzer>(root: &Path, analyzer: &A) -> Result<LayerAnalysis<A::Output>> {
    let meta = std::fs::metadata(root).map_err(io(root))?;
    if !meta.is_dir() {
        return Err(crate::error::ImageError::NotAnImage {
            path: root.to_path_buf(),
            reason: "not a directory".into(),
        });
    }
    let mut out = LayerAnalysis {
        index: 0,
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
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            !(e.file_type().is_dir()
                && SKIP_DIRS.contains(&e.file_name().to_string_lossy().as_ref()))
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                out.warnings
                    .push(format!("walking {}: {e}", root.display()));
                continue;
            }
        };
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        let path = ImagePath::new(&rel.to_string_lossy());
        if path.is_root() {
            continue;
        }
        out.stats.entries += 1;
        let ft = entry.file_type();
        if ft.is_dir() {
            out.stats.dirs += 1;
        } else if ft.is_symlink() {
            out.stats.symlinks += 1;
            let target = std::fs::read_link(entry.path())
                .map(|t| t.to_string_lossy().to_string())
                .unwrap_or_default();
            out.symlinks.push((path, target));
        } else if ft.is_file() {
            out.stats.files += 1;
            let Ok(m) = entry.metadata() else { continue };
            out.stats.file_bytes += m.len();
            if !crate::analyze::wanted(analyzer, &path, m.permissions().mode()) {
                continue;
            }
            if m.len() > analyzer.max_file_size() {
                out.warnings.push(format!(
                    "{path}: {} bytes exceeds the {} byte limit for analysed files; skipped",
                    m.len(),
                    analyzer.max_file_size()
                ));
                continue;
            }
            let mut content = Vec::with_capacity(m.len() as usize);
            let read = std::fs::File::open(entry.path())
                .and_then(|f| f.take(analyzer.max_file_size()).read_to_end(&mut content));
            if let Err(e) = read {
                out.warnings.push(format!("{path}: {e}"));
                continue;
            }
            let meta = FileMeta {
                size: m.len(),
                mode: m.permissions().mode(),
            };
            if let Some(output) = analyzer.analyze(&path, &content, &mut out.warnings) {
                out.files.push(AnalyzedFile { path, meta, output });
            }
        } else {
            out.stats.special += 1;
        }
    }
    Ok(out)
}
