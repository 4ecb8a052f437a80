//! `AnalyzeOptions::record_sizes`: per-entry sizes aligned with the path hashes, directories,
//! large files named; off by default; part of the layer-cache key.

use drydock_image::{
    AnalyzeOptions, Analyzer, Image, ImagePath, LARGE_FILE, LayerCache, OpenOptions, analyze_image,
    analyze_image_cached, path_hash,
};
use drydock_testkit::{self as tk, Entry};

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

/// Hand-written layers: a big file, small files, links, a path written twice.
fn layers() -> Vec<Vec<u8>> {
    let big = vec![7u8; (LARGE_FILE + 5) as usize];
    let l0 = tk::layer_tar(&[
        Entry::dir("opt"),
        Entry::dir("opt/app"),
        Entry::file("opt/app/big.bin", big),
        Entry::file("opt/app/small.txt", "hello\n"),
        Entry::symlink("opt/app/link", "small.txt"),
        Entry::hardlink("opt/app/hard", "opt/app/small.txt"),
        Entry::file("etc/motd", "one\n"),
        Entry::file("etc/motd", "second version\n"),
        Entry::dir("var/empty"),
    ]);
    let l1 = tk::layer_tar(&[Entry::whiteout("opt/app/big.bin")]);
    vec![l0, l1]
}

fn open(dir: &std::path::Path) -> Image {
    let out = dir.join("img.tar");
    tk::write_docker_archive(
        &out,
        &layers(),
        &tk::ImageConfig::default(),
        tk::Compression::None,
        None,
    );
    Image::open(&out, &OpenOptions::default()).unwrap()
}

#[test]
fn sizes_are_recorded_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let img = open(dir.path());
    let plain = analyze_image(&img, &Nothing, &AnalyzeOptions::default(), &|_, _| {}).unwrap();
    assert!(plain[0].sizes.is_none());

    let opts = AnalyzeOptions {
        record_sizes: true,
        ..Default::default()
    };
    let l = analyze_image(&img, &Nothing, &opts, &|_, _| {}).unwrap();
    // same hashes with or without sizes
    assert_eq!(l[0].path_hashes, plain[0].path_hashes);
    let s = l[0].sizes.as_ref().unwrap();
    assert_eq!(s.sizes.len(), l[0].path_hashes.len());
    assert_eq!(s.dirs.len(), l[0].path_hashes.len());
    let size = |p: &str| s.size_of(&l[0].path_hashes, path_hash(&ImagePath::new(p)));
    assert_eq!(size("opt/app/big.bin"), Some(LARGE_FILE + 5));
    assert_eq!(size("opt/app/small.txt"), Some(6));
    assert_eq!(size("opt/app/link"), Some(0));
    assert_eq!(size("opt/app/hard"), Some(0));
    // written twice: the last entry counts
    assert_eq!(size("etc/motd"), Some(15));
    assert_eq!(size("opt/app"), None, "directories are not entries");
    let i = l[0]
        .path_hashes
        .binary_search(&path_hash(&ImagePath::new("opt/app/small.txt")))
        .unwrap();
    assert_eq!(s.dir_paths[s.dirs[i] as usize].as_str(), "opt/app");
    let mut dirs: Vec<&str> = s.dir_paths.iter().map(|d| d.as_str()).collect();
    dirs.sort();
    assert_eq!(dirs, vec!["", "etc", "opt", "opt/app", "var", "var/empty"]);
    assert_eq!(
        s.large_files,
        vec![(ImagePath::new("opt/app/big.bin"), LARGE_FILE + 5)]
    );
    assert!(!s.large_files_truncated);
    // a layer of only a whiteout has no entries
    let s1 = l[1].sizes.as_ref().unwrap();
    assert!(s1.sizes.is_empty() && l[1].path_hashes.is_empty());
    assert_eq!(l[1].whiteouts, vec![ImagePath::new("opt/app/big.bin")]);
}

#[test]
fn record_sizes_is_part_of_the_cache_key() {
    let dir = tempfile::tempdir().unwrap();
    let img = open(dir.path());
    let cache = LayerCache::open(&dir.path().join("cache"), 64 << 20).unwrap();
    let plain = AnalyzeOptions::default();
    let sized = AnalyzeOptions {
        record_sizes: true,
        ..Default::default()
    };
    let a = analyze_image_cached(&img, &Nothing, &plain, &cache, &|_, _| {}).unwrap();
    assert!(a[0].sizes.is_none());
    // a cached analysis without sizes must not answer a request for sizes
    let b = analyze_image_cached(&img, &Nothing, &sized, &cache, &|_, _| {}).unwrap();
    assert!(b[0].sizes.is_some());
    assert_eq!(cache.info().unwrap().entries, 4);
    // and the sized entry reads back whole
    let hits = std::sync::atomic::AtomicUsize::new(0);
    let c = analyze_image_cached(&img, &Nothing, &sized, &cache, &|_, hit| {
        if hit {
            hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    })
    .unwrap();
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(c[0].sizes, b[0].sizes);
}
