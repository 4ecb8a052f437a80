//! Time `parse_rpmdb` on rpmdb files: `cargo run --release -p drydock-inventory --example
//! rpmdb_bench -- <file>...` (see `bench/rpmdb.sh`, which builds a 1,000-package SQLite rpmdb
//! and runs this on it and on the real samples in `../shared`). Prints, per file, the format,
//! the package count, and the median of 15 parses (after one warm-up), in total and per package.

use std::time::Instant;

use drydock_inventory::rpm::parse_rpmdb;

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: rpmdb_bench <rpmdb file>...");
        std::process::exit(2);
    }
    for p in paths {
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
        let db = parse_rpmdb(&bytes).unwrap_or_else(|e| panic!("{p}: {e}"));
        let mut times = Vec::new();
        for _ in 0..15 {
            let t = Instant::now();
            let d = parse_rpmdb(&bytes).unwrap();
            times.push(t.elapsed());
            assert_eq!(d.packages.len(), db.packages.len());
        }
        times.sort();
        let median = times[times.len() / 2];
        let n = db.packages.len().max(1);
        let files: usize = db.packages.iter().map(|e| e.files.len()).sum();
        println!(
            "{p}\t{}\t{} packages\t{} files\t{} bytes\tmedian {:.2} ms\t{:.1} µs/package",
            db.format,
            db.packages.len(),
            files,
            bytes.len(),
            median.as_secs_f64() * 1e3,
            median.as_secs_f64() * 1e6 / n as f64
        );
    }
}
