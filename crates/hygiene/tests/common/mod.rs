//! Shared helpers: walk an image the way the CLI does (inventory + hygiene analyzers, sizes
//! recorded), and an independent wasted-bytes computation straight from the layer tars.
#![allow(dead_code)]

use drydock_hygiene::{Hygiene, HygieneAnalyzer, HygieneInput, PkgSizes, analyze};
use drydock_image::{
    AnalyzeOptions, Both, Image, LayerAnalysis, MergedView, OpenOptions, analyze_image,
};
use drydock_inventory::{InventoryAnalyzer, build_inventory};
use drydock_matcher::Finding;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

pub use drydock_testkit as tk;

pub struct Scanned {
    pub image: Image,
    pub layers: Vec<LayerAnalysis<PkgSizes>>,
    pub inventory: drydock_inventory::Inventory,
}

/// Open and walk an image: inventory and hygiene analyzers in one pass, sizes recorded.
pub fn scan(path: &Path) -> Scanned {
    let image = Image::open(path, &OpenOptions::default()).unwrap();
    let opts = AnalyzeOptions {
        record_sizes: true,
        ..Default::default()
    };
    let both = analyze_image(
        &image,
        &Both(InventoryAnalyzer::image(), HygieneAnalyzer),
        &opts,
        &|_, _| {},
    )
    .unwrap();
    let (inv, hyg): (Vec<_>, Vec<_>) = both.into_iter().map(|l| l.split()).unzip();
    let diff_ids: Vec<String> = inv.iter().map(|l| l.diff_id.clone()).collect();
    let inventory = build_inventory(&MergedView::apply(inv), &diff_ids);
    Scanned {
        image,
        layers: hyg,
        inventory,
    }
}

pub fn hygiene(s: &Scanned, findings: Option<&[Finding]>) -> Hygiene {
    analyze(&HygieneInput {
        layers: &s.layers,
        config: &s.image.config,
        packages: &s.inventory.packages,
        os: s.inventory.os.as_ref(),
        findings,
    })
}

/// Independent reference: read every layer tar (plain or gzip) with the `tar` crate and
/// replay the overlay rules on a path map; wasted = regular-file bytes written minus those
/// visible at the end.
pub fn reference_waste(layer_tars: &[&Path]) -> Reference {
    // path -> (layer, size, is_dir)
    let mut fs: BTreeMap<String, (usize, u64, bool)> = BTreeMap::new();
    let mut all: Vec<(String, usize, u64)> = Vec::new();
    let below = |k: &str, d: &str| {
        d.is_empty() || (k.len() > d.len() && k.starts_with(d) && k.as_bytes()[d.len()] == b'/')
    };
    for (li, t) in layer_tars.iter().enumerate() {
        let f = std::fs::File::open(t).unwrap();
        let mut head = [0u8; 2];
        let gz = std::fs::File::open(t)
            .unwrap()
            .read_exact(&mut head)
            .is_ok()
            && head == [0x1f, 0x8b];
        let rd: Box<dyn Read> = if gz {
            Box::new(flate2_reader(f))
        } else {
            Box::new(f)
        };
        let mut ar = tar::Archive::new(rd);
        let mut entries: Vec<(String, tar::EntryType, u64)> = Vec::new();
        for e in ar.entries().unwrap() {
            let e = e.unwrap();
            let p = e.path().unwrap().to_string_lossy().to_string();
            let p = p.trim_start_matches("./").trim_end_matches('/').to_string();
            if p.is_empty() || p == "." {
                continue;
            }
            entries.push((p, e.header().entry_type(), e.size()));
        }
        // whiteouts and opaque dirs apply to the lower layers first
        for (p, _, _) in &entries {
            let (dir, name) = match p.rsplit_once('/') {
                Some((d, n)) => (d.to_string(), n),
                None => (String::new(), p.as_str()),
            };
            if name == ".wh..wh..opq" {
                fs.retain(|k, _| !(below(k, &dir) && *k != dir));
            } else if let Some(h) = name.strip_prefix(".wh.") {
                let gone = if dir.is_empty() {
                    h.to_string()
                } else {
                    format!("{dir}/{h}")
                };
                fs.retain(|k, _| !(k == &gone || below(k, &gone) && *k != gone));
            }
        }
        for (p, kind, size) in entries {
            if p.rsplit('/').next().is_some_and(|n| n.starts_with(".wh.")) {
                continue;
            }
            let comps: Vec<&str> = p.split('/').collect();
            for k in 1..comps.len() {
                let anc = comps[..k].join("/");
                if fs.get(&anc).is_some_and(|e| !e.2) {
                    fs.remove(&anc);
                }
                fs.entry(anc).or_insert((li, 0, true));
            }
            if kind.is_dir() {
                if fs.get(&p).is_some_and(|e| !e.2) {
                    fs.remove(&p);
                }
                fs.entry(p).or_insert((li, 0, true));
            } else {
                fs.retain(|k, _| !(below(k, &p) && *k != p));
                let regular = kind.is_file() || kind == tar::EntryType::GNUSparse;
                let size = if regular { size } else { 0 };
                if regular {
                    all.push((p.clone(), li, size));
                }
                fs.insert(p, (li, size, false));
            }
        }
    }
    let total: u64 = all.iter().map(|a| a.2).sum();
    let mut wasted = BTreeMap::new();
    let mut wasted_bytes = 0;
    // an entry is visible if the final map still holds it from the same layer
    let mut seen_last: BTreeMap<(String, usize), u64> = BTreeMap::new();
    for (p, l, s) in &all {
        // a path written twice in one layer: the last entry counts, the first is shadowed
        if let Some(prev) = seen_last.insert((p.clone(), *l), *s) {
            wasted_bytes += prev;
        }
    }
    for ((p, l), s) in seen_last {
        let visible = fs.get(&p).is_some_and(|e| e.0 == l && !e.2);
        if !visible && s > 0 {
            wasted_bytes += s;
            wasted.insert(format!("/{p}"), (l, s));
        }
    }
    let visible = fs
        .into_iter()
        .filter(|(_, e)| !e.2)
        .map(|(p, e)| (format!("/{p}"), (e.0, e.1)))
        .collect();
    Reference {
        total,
        wasted: wasted_bytes,
        wasted_files: wasted,
        visible,
    }
}

/// What [`reference_waste`] computed.
pub struct Reference {
    /// Regular-file bytes in all layers.
    pub total: u64,
    pub wasted: u64,
    /// Wasted files: path → (layer, bytes).
    pub wasted_files: BTreeMap<String, (usize, u64)>,
    /// Non-directories visible at the end: path → (layer, bytes).
    pub visible: BTreeMap<String, (usize, u64)>,
}

impl Reference {
    /// Visible bytes and files below `dir` (absolute), per layer: `(layer, bytes, files)`.
    pub fn below(&self, dir: &str) -> Vec<(usize, u64, u64)> {
        let prefix = format!("{dir}/");
        let mut by: BTreeMap<usize, (u64, u64)> = BTreeMap::new();
        for (p, (l, n)) in &self.visible {
            if p.starts_with(&prefix) {
                let e = by.entry(*l).or_default();
                e.0 += n;
                e.1 += 1;
            }
        }
        by.into_iter().map(|(l, (b, f))| (l, b, f)).collect()
    }
}

fn flate2_reader(f: std::fs::File) -> impl Read {
    flate2::read::GzDecoder::new(std::io::BufReader::new(f))
}
