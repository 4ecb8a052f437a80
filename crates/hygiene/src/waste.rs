//! Layer efficiency: which bytes of which layer are still visible in the final image.
//!
//! Every regular file a layer carries costs its bytes in the image (pulled, stored) whether or
//! not it is visible. A file is *wasted* when a later layer overwrote it (wrote a file, link or
//! directory at its path, or a non-directory at one of its parent directories) or deleted it
//! (a whiteout of it or of a parent directory, or an opaque parent directory). The figure is
//! exact: it needs [`drydock_image::AnalyzeOptions::record_sizes`], which records each entry's
//! path hash, size and directory.

use drydock_image::{ImagePath, LayerAnalysis, path_hash};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// How a later layer made a file invisible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Removal {
    /// Replaced: a later layer wrote the same path (or a non-directory at a parent).
    Overwritten,
    /// Deleted: a whiteout or an opaque directory in a later layer.
    Deleted,
}

/// Which layer removed an entry, and how.
pub type RemovedBy = Option<(usize, Removal)>;

const NONE: u32 = u32::MAX;

/// Lowest layer (above the one being looked at) doing each thing at a path hash.
#[derive(Clone, Copy)]
struct Marks {
    nondir: u32,
    dir: u32,
    whiteout: u32,
    opaque: u32,
}

impl Default for Marks {
    fn default() -> Self {
        Marks {
            nondir: NONE,
            dir: NONE,
            whiteout: NONE,
            opaque: NONE,
        }
    }
}

fn pick(a: RemovedBy, b: RemovedBy) -> RemovedBy {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.0 < x.0 { y } else { x }),
        (x, None) => x,
        (None, y) => y,
    }
}

fn mark(layer: u32, kind: Removal) -> RemovedBy {
    (layer != NONE).then_some((layer as usize, kind))
}

impl Marks {
    /// Does something at exactly this path remove a lower file there?
    fn exact(&self) -> RemovedBy {
        pick(
            pick(
                mark(self.nondir, Removal::Overwritten),
                mark(self.dir, Removal::Overwritten),
            ),
            mark(self.whiteout, Removal::Deleted),
        )
    }

    /// Does something at this directory path remove what lower layers had below it?
    fn below(&self) -> RemovedBy {
        pick(
            pick(
                mark(self.whiteout, Removal::Deleted),
                mark(self.opaque, Removal::Deleted),
            ),
            mark(self.nondir, Removal::Overwritten),
        )
    }
}

/// For every layer, for every entry (aligned with `path_hashes`): the layer that removed it.
/// Layers without recorded sizes have an empty vector.
pub struct Visibility {
    pub removed: Vec<Vec<RemovedBy>>,
    /// For every layer: does it have [`drydock_image::LayerSizes`]?
    pub has_sizes: Vec<bool>,
}

/// Hashes of `dir` and each of its ancestors, the root included.
fn ancestors_or_self(dir: &ImagePath) -> impl Iterator<Item = u64> {
    let mut cur = Some(dir.clone());
    std::iter::from_fn(move || {
        let d = cur.take()?;
        if !d.is_root() {
            cur = Some(d.parent());
        }
        Some(path_hash(&d))
    })
}

impl Visibility {
    pub fn compute<T>(layers: &[LayerAnalysis<T>]) -> Visibility {
        let mut marks: HashMap<u64, Marks> = HashMap::new();
        let mut removed = vec![Vec::new(); layers.len()];
        let mut has_sizes = vec![false; layers.len()];
        for (li, layer) in layers.iter().enumerate().rev() {
            if let Some(sizes) = &layer.sizes {
                has_sizes[li] = true;
                let dir_removed: Vec<RemovedBy> = sizes
                    .dir_paths
                    .iter()
                    .map(|d| {
                        ancestors_or_self(d)
                            .filter_map(|h| marks.get(&h).and_then(Marks::below))
                            .fold(None, |a, b| pick(a, Some(b)))
                    })
                    .collect();
                removed[li] = layer
                    .path_hashes
                    .iter()
                    .enumerate()
                    .map(|(i, h)| {
                        let by_dir = sizes
                            .dirs
                            .get(i)
                            .and_then(|&d| dir_removed.get(d as usize).copied())
                            .flatten();
                        pick(marks.get(h).and_then(Marks::exact), by_dir)
                    })
                    .collect();
            }
            // then this layer's own changes apply to the layers below it
            let l = u32::try_from(li).unwrap_or(NONE - 1);
            for w in &layer.whiteouts {
                marks.entry(path_hash(w)).or_default().whiteout = l;
            }
            for o in &layer.opaque_dirs {
                marks.entry(path_hash(o)).or_default().opaque = l;
            }
            for h in &layer.path_hashes {
                marks.entry(*h).or_default().nondir = l;
            }
            if let Some(sizes) = &layer.sizes {
                for d in &sizes.dir_paths {
                    marks.entry(path_hash(d)).or_default().dir = l;
                }
            }
        }
        Visibility { removed, has_sizes }
    }

    /// The removal of the entry with this hash in layer `li`; `None` if the layer has no such
    /// entry (or no sizes).
    pub fn removal_of(&self, layers_hashes: &[u64], li: usize, hash: u64) -> Option<RemovedBy> {
        let i = layers_hashes.binary_search(&hash).ok()?;
        self.removed.get(li)?.get(i).copied()
    }
}

/// A file a later layer overwrote or deleted (named when at least
/// [`drydock_image::LARGE_FILE`] bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WastedFile {
    /// Absolute path in the image.
    pub path: String,
    pub bytes: u64,
    /// The layer that carries the bytes.
    pub layer: usize,
    /// The layer that overwrote or deleted it.
    pub removed_by: usize,
    pub how: Removal,
}

/// Per-layer figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerWaste {
    pub index: usize,
    /// Size of the uncompressed layer tar.
    pub tar_bytes: u64,
    pub files: u64,
    /// Sum of regular-file bytes in the layer.
    pub file_bytes: u64,
    /// Bytes of this layer's files that later layers overwrote or deleted.
    pub wasted_bytes: u64,
    pub wasted_files: u64,
}

/// A directory tree of interest (a cache, a `.git`) as present in the final image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirUsage {
    /// Absolute path of the directory.
    pub path: String,
    /// What it is (`apt package lists`, `pip/user cache`, `git repository`, …).
    pub what: String,
    /// Bytes of visible regular files below it.
    pub bytes: u64,
    pub files: u64,
    /// Layers that put those files there.
    pub layers: Vec<usize>,
    /// `(layer, bytes, files)` for each of those layers.
    pub by_layer: Vec<(usize, u64, u64)>,
}

impl DirUsage {
    /// The part that layers `from..` put there (`None` if nothing).
    pub fn from_layer(&self, from: usize) -> Option<DirUsage> {
        let by: Vec<(usize, u64, u64)> = self
            .by_layer
            .iter()
            .copied()
            .filter(|l| l.0 >= from)
            .collect();
        let bytes: u64 = by.iter().map(|l| l.1).sum();
        (bytes > 0).then(|| DirUsage {
            path: self.path.clone(),
            what: self.what.clone(),
            bytes,
            files: by.iter().map(|l| l.2).sum(),
            layers: by.iter().map(|l| l.0).collect(),
            by_layer: by,
        })
    }
}

/// Cache directories left behind: `(pattern, what)`; `*` matches one path component.
const CACHE_DIRS: &[(&str, &str)] = &[
    ("var/lib/apt/lists", "apt package lists"),
    ("var/cache/apt", "apt package cache"),
    ("var/cache/apk", "apk package cache"),
    ("etc/apk/cache", "apk package cache"),
    ("var/cache/dnf", "dnf package cache"),
    ("var/cache/yum", "yum package cache"),
    ("var/cache/zypp", "zypper package cache"),
    ("root/.cache", "user cache (pip, yarn, go build, …)"),
    ("home/*/.cache", "user cache (pip, yarn, go build, …)"),
    ("root/.npm", "npm cache"),
    ("home/*/.npm", "npm cache"),
    ("usr/local/share/.cache", "yarn cache"),
    ("root/.cargo/registry", "cargo registry cache"),
    ("home/*/.cargo/registry", "cargo registry cache"),
    ("root/go/pkg/mod", "Go module cache"),
    ("go/pkg/mod", "Go module cache"),
    ("root/.m2/repository", "Maven repository cache"),
    ("root/.gradle/caches", "Gradle cache"),
    ("tmp", "temporary files"),
    ("var/tmp", "temporary files"),
];

/// The cache root `dir` lies in (the matched prefix, with `*` filled in), if any.
fn cache_root(dir: &str) -> Option<(String, &'static str)> {
    let comps: Vec<&str> = dir.split('/').filter(|c| !c.is_empty()).collect();
    for (pat, what) in CACHE_DIRS {
        let pc: Vec<&str> = pat.split('/').collect();
        if comps.len() >= pc.len() && pc.iter().zip(&comps).all(|(p, c)| *p == "*" || p == c) {
            return Some((comps[..pc.len()].join("/"), what));
        }
    }
    None
}

/// The `.git` directory `dir` lies in, if any (the outermost one).
fn git_root(dir: &str) -> Option<String> {
    let comps: Vec<&str> = dir.split('/').filter(|c| !c.is_empty()).collect();
    let i = comps.iter().position(|c| *c == ".git")?;
    Some(comps[..=i].join("/"))
}

/// Everything layer efficiency computes.
pub struct WasteReport {
    pub layers: Vec<LayerWaste>,
    pub wasted: Vec<WastedFile>,
    pub caches: Vec<DirUsage>,
    pub git_dirs: Vec<DirUsage>,
    /// Layers without recorded sizes (their waste is unknown).
    pub unsized_layers: Vec<usize>,
}

/// Compute wasted bytes, named wasted files, caches and `.git` directories.
pub fn compute<T>(layers: &[LayerAnalysis<T>], vis: &Visibility) -> WasteReport {
    let mut out = WasteReport {
        layers: Vec::new(),
        wasted: Vec::new(),
        caches: Vec::new(),
        git_dirs: Vec::new(),
        unsized_layers: Vec::new(),
    };
    // (path) -> (what, [(layer, bytes, files)])
    type Acc = BTreeMap<String, (&'static str, Vec<(usize, u64, u64)>)>;
    let mut caches: Acc = BTreeMap::new();
    let mut gits: Acc = BTreeMap::new();
    for (li, layer) in layers.iter().enumerate() {
        let mut lw = LayerWaste {
            index: layer.index,
            tar_bytes: layer.stats.tar_bytes,
            files: layer.stats.files,
            file_bytes: layer.stats.file_bytes,
            wasted_bytes: 0,
            wasted_files: 0,
        };
        let Some(sizes) = &layer.sizes else {
            out.unsized_layers.push(layer.index);
            out.layers.push(lw);
            continue;
        };
        let removed = &vis.removed[li];
        // per directory: the cache root and the `.git` root it lies in
        type Class = (Option<(String, &'static str)>, Option<String>);
        let classes: Vec<Class> = sizes
            .dir_paths
            .iter()
            .map(|d| (cache_root(d.as_str()), git_root(d.as_str())))
            .collect();
        for (i, r) in removed.iter().enumerate() {
            let size = sizes.sizes.get(i).copied().unwrap_or(0);
            match r {
                Some(_) => {
                    if size > 0 {
                        lw.wasted_bytes += size;
                        lw.wasted_files += 1;
                    }
                }
                None => {
                    let Some((cache, git)) =
                        sizes.dirs.get(i).and_then(|&d| classes.get(d as usize))
                    else {
                        continue;
                    };
                    let add = |acc: &mut Acc, root: &str, what: &'static str| {
                        let e = acc.entry(root.to_string()).or_insert((what, vec![]));
                        match e.1.last_mut() {
                            Some(l) if l.0 == layer.index => {
                                l.1 += size;
                                l.2 += 1;
                            }
                            _ => e.1.push((layer.index, size, 1)),
                        }
                    };
                    if let Some((root, what)) = cache {
                        add(&mut caches, root, what);
                    }
                    if let Some(root) = git {
                        add(&mut gits, root, "git repository");
                    }
                }
            }
        }
        for (p, _) in &sizes.large_files {
            if let Some(Some((by, how))) = vis.removal_of(&layer.path_hashes, li, path_hash(p)) {
                let bytes = sizes.size_of(&layer.path_hashes, path_hash(p)).unwrap_or(0);
                out.wasted.push(WastedFile {
                    path: p.to_string(),
                    bytes,
                    layer: layer.index,
                    removed_by: layers.get(by).map_or(by, |l| l.index),
                    how,
                });
            }
        }
        out.layers.push(lw);
    }
    out.wasted
        .sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.path.cmp(&b.path)));
    let finish = |acc: Acc| {
        acc.into_iter()
            // a lone empty lock file or directory is no cache worth reporting
            .map(|(path, (what, by_layer))| DirUsage {
                path: format!("/{path}"),
                what: what.to_string(),
                bytes: by_layer.iter().map(|l| l.1).sum(),
                files: by_layer.iter().map(|l| l.2).sum(),
                layers: by_layer.iter().map(|l| l.0).collect(),
                by_layer,
            })
            .filter(|d| d.bytes > 0)
            .collect::<Vec<_>>()
    };
    out.caches = finish(caches);
    out.git_dirs = finish(gits);
    out
}

/// Is a non-directory at `path` visible in the final image? (Topmost layer that wrote it,
/// not removed later.) `None` when no layer with recorded paths wrote it.
pub fn visible<T>(layers: &[LayerAnalysis<T>], vis: &Visibility, path: &ImagePath) -> bool {
    let h = path_hash(path);
    for (li, layer) in layers.iter().enumerate().rev() {
        if layer.path_hashes.binary_search(&h).is_ok() {
            return match vis.removal_of(&layer.path_hashes, li, h) {
                Some(r) => r.is_none(),
                // no sizes for this layer: fall back on later whiteouts only
                None => !layers[li + 1..].iter().any(|l| l.deleted(path)),
            };
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_and_git_roots() {
        assert_eq!(
            cache_root("var/lib/apt/lists/partial"),
            Some(("var/lib/apt/lists".into(), "apt package lists"))
        );
        assert_eq!(
            cache_root("home/app/.npm/_cacache"),
            Some(("home/app/.npm".into(), "npm cache"))
        );
        assert_eq!(cache_root("var/lib/apt"), None);
        assert_eq!(cache_root("home/.npm"), None);
        assert_eq!(git_root("app/.git/objects/pack"), Some("app/.git".into()));
        assert_eq!(git_root("app/src"), None);
    }
}
