//! The applier: merge per-layer results in order into the image's final view.
//!
//! For each layer, bottom first: its whiteouts delete paths (and everything below them) that
//! lower layers provided; its opaque directories hide everything lower layers had below them;
//! then its own files and symlinks are added, replacing what was at the same path. A path that
//! becomes a symlink hides what lower layers had below it. For every file path the merged view
//! keeps the versions that led to the final one (since the last deletion), so consumers can tell
//! which layer introduced each item of a multi-record file such as a package database.

use crate::analyze::{FileMeta, LayerAnalysis};
use crate::path::ImagePath;
use std::collections::BTreeMap;

/// One version of a file: the layer that wrote it and what the analyzer made of it.
#[derive(Debug)]
pub struct FileVersion<T> {
    pub layer: usize,
    pub meta: FileMeta,
    pub output: T,
}

#[derive(Debug)]
enum Node<T> {
    /// Versions in layer order; the last is the visible one.
    File(Vec<FileVersion<T>>),
    Symlink {
        layer: usize,
        target: String,
    },
}

/// The merged filesystem view of the analysed files.
#[derive(Debug)]
pub struct MergedView<T> {
    nodes: BTreeMap<ImagePath, Node<T>>,
}

/// Remove `p` and everything below it.
fn remove_tree<T>(nodes: &mut BTreeMap<ImagePath, Node<T>>, p: &ImagePath) {
    nodes.remove(p);
    remove_below(nodes, p);
}

/// Remove everything strictly below `dir` (keys `dir/...` form one contiguous range).
fn remove_below<T>(nodes: &mut BTreeMap<ImagePath, Node<T>>, dir: &ImagePath) {
    if dir.is_root() {
        nodes.clear();
        return;
    }
    let prefix = format!("{}/", dir.as_str());
    let doomed: Vec<ImagePath> = nodes
        .range(ImagePath::new(&prefix)..)
        .take_while(|(k, _)| k.as_str().starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in doomed {
        nodes.remove(&k);
    }
}

impl<T> MergedView<T> {
    /// Merge layer results (they must be in layer order).
    pub fn apply(layers: Vec<LayerAnalysis<T>>) -> MergedView<T> {
        let mut nodes: BTreeMap<ImagePath, Node<T>> = BTreeMap::new();
        for layer in layers {
            for w in &layer.whiteouts {
                remove_tree(&mut nodes, w);
            }
            for d in &layer.opaque_dirs {
                remove_below(&mut nodes, d);
            }
            // a file or link written where a lower layer had a directory hides its contents
            if !layer.path_hashes.is_empty() {
                let hidden: Vec<ImagePath> = nodes
                    .keys()
                    .filter(|k| {
                        let mut dir = k.parent();
                        while !dir.is_root() {
                            if layer.wrote(&dir) {
                                return true;
                            }
                            dir = dir.parent();
                        }
                        false
                    })
                    .cloned()
                    .collect();
                for k in hidden {
                    nodes.remove(&k);
                }
            }
            for (path, target) in layer.symlinks {
                remove_tree(&mut nodes, &path);
                nodes.insert(
                    path,
                    Node::Symlink {
                        layer: layer.index,
                        target,
                    },
                );
            }
            for f in layer.files {
                let v = FileVersion {
                    layer: layer.index,
                    meta: f.meta,
                    output: f.output,
                };
                match nodes.get_mut(&f.path) {
                    Some(Node::File(versions)) => versions.push(v),
                    _ => {
                        nodes.insert(f.path, Node::File(vec![v]));
                    }
                }
            }
        }
        MergedView { nodes }
    }

    /// Follow symlinks (in every component) to the path that holds the content, within the
    /// image. `None` for a dangling link or a loop (more than 40 hops, like the kernel).
    pub fn resolve(&self, path: &ImagePath) -> Option<ImagePath> {
        let mut current = path.clone();
        let mut hops = 0;
        'restart: loop {
            let comps: Vec<&str> = current.components().collect();
            let mut prefix = ImagePath::root();
            for (i, c) in comps.iter().enumerate() {
                prefix = prefix.join(c);
                if let Some(Node::Symlink { target, .. }) = self.nodes.get(&prefix) {
                    hops += 1;
                    if hops > 40 {
                        return None;
                    }
                    let mut next = prefix.resolve_link(target);
                    for rest in &comps[i + 1..] {
                        next = next.join(rest);
                    }
                    current = next;
                    continue 'restart;
                }
            }
            return Some(current);
        }
    }

    /// The visible version of the file at `path` (after following symlinks).
    pub fn get(&self, path: &ImagePath) -> Option<(&ImagePath, &FileVersion<T>)> {
        let real = self.resolve(path)?;
        match self.nodes.get_key_value(&real)? {
            (k, Node::File(v)) => v.last().map(|v| (k, v)),
            _ => None,
        }
    }

    /// All versions of the file at `path` since it last appeared, oldest first.
    pub fn history(&self, path: &ImagePath) -> &[FileVersion<T>] {
        match self.resolve(path).and_then(|p| self.nodes.get(&p)) {
            Some(Node::File(v)) => v,
            _ => &[],
        }
    }

    /// Every visible analysed file (not via symlinks), in path order.
    pub fn files(&self) -> impl Iterator<Item = (&ImagePath, &[FileVersion<T>])> {
        self.nodes.iter().filter_map(|(k, n)| match n {
            Node::File(v) => Some((k, v.as_slice())),
            Node::Symlink { .. } => None,
        })
    }

    /// The layer that last wrote the symlink at `path`, with its target.
    pub fn symlink(&self, path: &ImagePath) -> Option<(usize, &str)> {
        match self.nodes.get(path)? {
            Node::Symlink { layer, target } => Some((*layer, target)),
            Node::File(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{AnalyzedFile, LayerStats};

    fn layer(index: usize) -> LayerAnalysis<u32> {
        LayerAnalysis {
            index,
            diff_id: String::new(),
            files: vec![],
            symlinks: vec![],
            whiteouts: vec![],
            opaque_dirs: vec![],
            path_hashes: vec![],
            special_modes: vec![],
            sizes: None,
            stats: LayerStats::default(),
            warnings: vec![],
        }
    }

    fn file(p: &str, v: u32) -> AnalyzedFile<u32> {
        AnalyzedFile {
            path: ImagePath::new(p),
            meta: FileMeta {
                size: 1,
                mode: 0o644,
            },
            output: v,
        }
    }

    #[test]
    fn whiteouts_opaque_dirs_and_symlinks() {
        let mut l0 = layer(0);
        l0.files = vec![
            file("var/lib/dpkg/status.d/foo", 1),
            file("var/lib/dpkg/status.d/bar", 2),
            file("opt/app/a", 3),
            file("opt/appx/b", 4),
            file("usr/lib/os-release", 5),
        ];
        l0.symlinks = vec![(
            ImagePath::new("etc/os-release"),
            "../usr/lib/os-release".into(),
        )];
        let mut l1 = layer(1);
        l1.whiteouts = vec![ImagePath::new("var/lib/dpkg/status.d/foo")];
        l1.opaque_dirs = vec![ImagePath::new("opt/app")];
        l1.files = vec![file("opt/app/c", 6), file("var/lib/dpkg/status.d/bar", 7)];
        let m = MergedView::apply(vec![l0, l1]);
        let paths: Vec<&str> = m.files().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "opt/app/c",
                "opt/appx/b",
                "usr/lib/os-release",
                "var/lib/dpkg/status.d/bar"
            ]
        );
        let (real, v) = m.get(&ImagePath::new("etc/os-release")).unwrap();
        assert_eq!(
            (real.as_str(), v.output, v.layer),
            ("usr/lib/os-release", 5, 0)
        );
        let h: Vec<(usize, u32)> = m
            .history(&ImagePath::new("var/lib/dpkg/status.d/bar"))
            .iter()
            .map(|v| (v.layer, v.output))
            .collect();
        assert_eq!(h, vec![(0, 2), (1, 7)]);
    }

    #[test]
    fn deleting_a_directory_deletes_its_files_and_history_restarts() {
        let mut l0 = layer(0);
        l0.files = vec![file("lib/apk/db/installed", 1)];
        let mut l1 = layer(1);
        l1.whiteouts = vec![ImagePath::new("lib/apk")];
        let mut l2 = layer(2);
        l2.files = vec![file("lib/apk/db/installed", 2)];
        let m = MergedView::apply(vec![l0, l1, l2]);
        let h = m.history(&ImagePath::new("lib/apk/db/installed"));
        assert_eq!(h.len(), 1);
        assert_eq!((h[0].layer, h[0].output), (2, 2));
    }

    #[test]
    fn symlink_loops_and_escapes_stay_inside() {
        let mut l0 = layer(0);
        l0.symlinks = vec![
            (ImagePath::new("a"), "b".into()),
            (ImagePath::new("b"), "a".into()),
            (
                ImagePath::new("etc/shadow"),
                "/../../etc/shadow-real".into(),
            ),
        ];
        l0.files = vec![file("etc/shadow-real", 9)];
        let m = MergedView::apply(vec![l0]);
        assert!(m.resolve(&ImagePath::new("a/x")).is_none());
        assert_eq!(m.get(&ImagePath::new("etc/shadow")).unwrap().1.output, 9);
    }

    #[test]
    fn a_file_replacing_a_directory_hides_lower_files() {
        let mut l0 = layer(0);
        l0.files = vec![
            file("var/lib/dpkg/status.d/foo", 1),
            file("var/lib/other", 2),
        ];
        let mut l1 = layer(1);
        l1.path_hashes = vec![crate::analyze::path_hash(&ImagePath::new("var/lib/dpkg"))];
        let m = MergedView::apply(vec![l0, l1]);
        let paths: Vec<&str> = m.files().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, vec!["var/lib/other"]);
    }

    #[test]
    fn a_symlink_replacing_a_directory_hides_lower_files() {
        let mut l0 = layer(0);
        l0.files = vec![file("usr/lib/os-release", 1)];
        let mut l1 = layer(1);
        l1.symlinks = vec![(ImagePath::new("usr/lib"), "lib64".into())];
        let m = MergedView::apply(vec![l0, l1]);
        assert!(m.get(&ImagePath::new("usr/lib/os-release")).is_none());
    }
}
