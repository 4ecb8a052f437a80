//! The wasted-bytes computation against a naive overlay model, on random hand-generated layer
//! stacks (files, directories, symlinks, whiteouts of files and directories, opaque
//! directories, files replacing directories and the reverse), walked by the real layer walker.

use drydock_hygiene::waste::{Visibility, compute};
use drydock_image::{AnalyzeOptions, Analyzer, Image, ImagePath, OpenOptions, analyze_image};
use drydock_testkit::{self as tk, Entry};
use proptest::prelude::*;
use std::collections::BTreeMap;

struct Nothing;
impl Analyzer for Nothing {
    type Output = ();
    fn wants(&self, _: &ImagePath) -> bool {
        false
    }
    fn analyze(&self, _: &ImagePath, _: &[u8], _: &mut Vec<String>) -> Option<()> {
        None
    }
}

#[derive(Debug, Clone)]
enum Op {
    File(usize),
    Dir,
    Symlink,
    Whiteout,
    Opaque,
}

/// Paths of depth 1..=3 over components a, b.
fn universe() -> Vec<String> {
    let mut v = Vec::new();
    for a in ["a", "b"] {
        v.push(a.to_string());
        for b in ["a", "b"] {
            v.push(format!("{a}/{b}"));
            for c in ["a", "b"] {
                v.push(format!("{a}/{b}/{c}"));
            }
        }
    }
    v
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1usize..3000).prop_map(Op::File),
        1 => Just(Op::Dir),
        1 => Just(Op::Symlink),
        2 => Just(Op::Whiteout),
        1 => Just(Op::Opaque),
    ]
}

fn is_below(p: &str, d: &str) -> bool {
    p.len() > d.len() && p.starts_with(d) && p.as_bytes()[d.len()] == b'/'
}

/// Keep only ops that make a well-formed layer: one op per path, no non-directory above
/// another entry, nothing at or below a whiteout.
fn sanitise(ops: Vec<(usize, Op)>, u: &[String]) -> Vec<(String, Op)> {
    let mut out: Vec<(String, Op)> = Vec::new();
    for (i, op) in ops {
        let p = u[i % u.len()].clone();
        let clash = out.iter().any(|(q, qop)| {
            let nondir = |o: &Op| matches!(o, Op::File(_) | Op::Symlink | Op::Whiteout);
            *q == p || (is_below(q, &p) && (nondir(&op))) || (is_below(&p, q) && nondir(qop))
        });
        if !clash {
            out.push((p, op));
        }
    }
    out
}

/// The naive overlay: path → (layer, size, is_dir).
fn model(layers: &[Vec<(String, Op)>]) -> (u64, Vec<u64>) {
    let mut fs: BTreeMap<String, (usize, u64, bool)> = BTreeMap::new();
    let mut total = 0;
    let mut written = vec![0u64; layers.len()];
    let remove_below = |fs: &mut BTreeMap<String, (usize, u64, bool)>, d: &str| {
        fs.retain(|k, _| !is_below(k, d));
    };
    for (li, ops) in layers.iter().enumerate() {
        for (p, op) in ops {
            match op {
                Op::Whiteout => {
                    fs.remove(p);
                    remove_below(&mut fs, p);
                }
                Op::Opaque => remove_below(&mut fs, p),
                _ => {}
            }
        }
        for (p, op) in ops {
            if matches!(op, Op::Whiteout) {
                continue;
            }
            // parents become directories (replacing a lower non-directory)
            let comps: Vec<&str> = p.split('/').collect();
            for k in 1..comps.len() {
                let anc = comps[..k].join("/");
                if fs.get(&anc).is_some_and(|e| !e.2) {
                    fs.remove(&anc);
                }
                fs.entry(anc).or_insert((li, 0, true));
            }
            match op {
                Op::File(n) => {
                    fs.remove(p);
                    remove_below(&mut fs, p);
                    fs.insert(p.clone(), (li, *n as u64, false));
                    total += *n as u64;
                    written[li] += *n as u64;
                }
                Op::Symlink => {
                    fs.remove(p);
                    remove_below(&mut fs, p);
                    fs.insert(p.clone(), (li, 0, false));
                }
                Op::Dir | Op::Opaque => {
                    if fs.get(p).is_some_and(|e| !e.2) {
                        fs.remove(p);
                    }
                    fs.entry(p.clone()).or_insert((li, 0, true));
                }
                Op::Whiteout => {}
            }
        }
    }
    let mut wasted = written;
    for (_, (l, n, _)) in fs {
        wasted[l] -= n;
    }
    (total, wasted)
}

fn entries(ops: &[(String, Op)]) -> Vec<Entry> {
    let mut v = Vec::new();
    for (p, op) in ops {
        match op {
            Op::File(n) => v.push(Entry::file(p.clone(), vec![b'x'; *n])),
            Op::Dir => v.push(Entry::dir(p.clone())),
            Op::Symlink => v.push(Entry::symlink(p.clone(), "elsewhere")),
            Op::Whiteout => v.push(Entry::whiteout(p.clone())),
            Op::Opaque => {
                v.push(Entry::dir(p.clone()));
                v.push(Entry::opaque(p.clone()));
            }
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn wasted_bytes_match_a_naive_overlay(
        raw in prop::collection::vec(prop::collection::vec((0usize..14, op()), 1..8), 1..5)
    ) {
        let u = universe();
        let layers: Vec<Vec<(String, Op)>> = raw.into_iter().map(|l| sanitise(l, &u)).collect();
        let (total, want) = model(&layers);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("img.tar");
        let tars: Vec<Vec<u8>> = layers.iter().map(|l| tk::layer_tar(&entries(l))).collect();
        tk::write_docker_archive(&out, &tars, &tk::ImageConfig::default(), tk::Compression::None, None);
        let img = Image::open(&out, &OpenOptions::default()).unwrap();
        let opts = AnalyzeOptions { record_sizes: true, ..Default::default() };
        let walked = analyze_image(&img, &Nothing, &opts, &|_, _| {}).unwrap();
        let vis = Visibility::compute(&walked);
        let w = compute(&walked, &vis);
        let got: Vec<u64> = w.layers.iter().map(|l| l.wasted_bytes).collect();
        let got_total: u64 = w.layers.iter().map(|l| l.file_bytes).sum();
        prop_assert_eq!(got_total, total);
        prop_assert_eq!(got, want, "layers {:?}", layers);
    }
}
