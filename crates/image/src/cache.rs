//! The layer-analysis cache: one file per (diffID, analyzer id, options) key, in a directory.
//!
//! What is cached is a layer's *analysis* (a [`LayerAnalysis`]: packages, files of interest),
//! never findings, so a newer vulnerability DB re-matches without reading layers again. Entries
//! are written to a temp file and renamed into place, so several drydock processes can share
//! one cache: readers see a whole entry or none, and two writers of the same key write the
//! same content. An entry that does not decode (truncated, other version) is a miss and is
//! removed. Size is bounded: after each write, least-recently-used entries (by mtime, which a
//! hit refreshes) are evicted until the cache fits `max_bytes`.

use crate::analyze::LayerAnalysis;
use crate::error::{ImageError, Result, io};
use serde::{Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Cache format version: part of every key.
const FORMAT: &str = "drydock-layer-cache/2";

/// A directory of cached layer analyses.
#[derive(Debug, Clone)]
pub struct LayerCache {
    dir: PathBuf,
    max_bytes: u64,
}

/// What the cache holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CacheInfo {
    pub dir: PathBuf,
    pub entries: u64,
    pub bytes: u64,
    pub max_bytes: u64,
}

impl LayerCache {
    /// Open (creating) a cache directory bounded to `max_bytes`.
    pub fn open(dir: &Path, max_bytes: u64) -> Result<LayerCache> {
        fs::create_dir_all(dir.join("layers")).map_err(io(dir))?;
        Ok(LayerCache {
            dir: dir.to_path_buf(),
            max_bytes,
        })
    }

    /// The key of a layer analysed by an analyzer with these options.
    pub fn key(diff_id: &str, analyzer_id: &str, options: &str) -> String {
        let mut h = Sha256::new();
        for part in [FORMAT, diff_id, analyzer_id, options] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        hex::encode(h.finalize())
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join("layers").join(format!("{key}.json"))
    }

    /// A cached analysis, if present and readable (a hit marks the entry as recently used).
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<LayerAnalysis<T>> {
        let p = self.path(key);
        let bytes = fs::read(&p).ok()?;
        match serde_json::from_slice(&bytes) {
            Ok(v) => {
                if let Ok(f) = fs::File::options().append(true).open(&p) {
                    let _ = f.set_modified(SystemTime::now());
                }
                Some(v)
            }
            Err(_) => {
                let _ = fs::remove_file(&p);
                None
            }
        }
    }

    /// Store an analysis (atomically), then evict old entries beyond the size bound.
    pub fn put<T: Serialize>(&self, key: &str, value: &LayerAnalysis<T>) -> Result<()> {
        let bytes = serde_json::to_vec(value).map_err(|e| ImageError::InvalidJson {
            what: "layer analysis".into(),
            reason: e.to_string(),
        })?;
        let dir = self.dir.join("layers");
        let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(io(&dir))?;
        tmp.write_all(&bytes).map_err(io(&dir))?;
        tmp.persist(self.path(key)).map_err(|e| ImageError::Io {
            path: self.path(key),
            source: e.error,
        })?;
        self.prune()?;
        Ok(())
    }

    fn entries(&self) -> Result<Vec<(PathBuf, u64, SystemTime)>> {
        let dir = self.dir.join("layers");
        let mut out = Vec::new();
        for e in fs::read_dir(&dir).map_err(io(&dir))? {
            let Ok(e) = e else { continue };
            let p = e.path();
            if p.extension().is_none_or(|x| x != "json") {
                continue;
            }
            if let Ok(m) = e.metadata() {
                out.push((p, m.len(), m.modified().unwrap_or(SystemTime::UNIX_EPOCH)));
            }
        }
        Ok(out)
    }

    /// Evict least-recently-used entries until the cache fits its bound; returns how many.
    pub fn prune(&self) -> Result<u64> {
        let mut entries = self.entries()?;
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        if total <= self.max_bytes {
            return Ok(0);
        }
        entries.sort_by_key(|e| e.2);
        let mut removed = 0;
        for (p, len, _) in entries {
            if total <= self.max_bytes {
                break;
            }
            if fs::remove_file(&p).is_ok() {
                total -= len;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Entry count and size.
    pub fn info(&self) -> Result<CacheInfo> {
        let entries = self.entries()?;
        Ok(CacheInfo {
            dir: self.dir.clone(),
            entries: entries.len() as u64,
            bytes: entries.iter().map(|e| e.1).sum(),
            max_bytes: self.max_bytes,
        })
    }

    /// Remove every entry; returns how many.
    pub fn clean(&self) -> Result<u64> {
        let mut n = 0;
        for (p, _, _) in self.entries()? {
            if fs::remove_file(p).is_ok() {
                n += 1;
            }
        }
        Ok(n)
    }
}
