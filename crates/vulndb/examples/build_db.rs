//! Build a vulnerability DB from a feed folder and print what it holds.
//!
//! ```text
//! cargo run --release -p drydock-vulndb --example build_db -- <feeds dir> <out.db>
//! ```
//! With no arguments it builds `../shared/feeds` (or `$DRYDOCK_SHARED/feeds`) into a
//! temporary file. `NO_VACUUM=1` skips the final `VACUUM`. Afterwards it times one `affected`
//! query per (namespace, package) in the DB.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let feeds = args.next().map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("DRYDOCK_SHARED")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
            .join("feeds")
    });
    let tmp = tempfile::tempdir()?;
    let out = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("vulndb.sqlite"));

    let opts = drydock_vulndb::BuildOptions {
        vacuum: std::env::var_os("NO_VACUUM").is_none(),
        ..Default::default()
    };
    let report = drydock_vulndb::build(&feeds, &out, &opts)?;
    println!(
        "built {} in {:.2} s: {} bytes ({:.1} MiB), {} affected rows, {} vulnerabilities",
        out.display(),
        report.elapsed.as_secs_f64(),
        report.db_bytes,
        report.db_bytes as f64 / 1048576.0,
        report.affected_rows,
        report.vulnerabilities
    );
    for f in &report.feeds {
        println!(
            "  {:<22} records {:>6}  affected rows {:>6}  newest {:<10}  warnings {}  {:>5} ms",
            f.name,
            f.records,
            f.affected_rows,
            f.newest_date.as_deref().unwrap_or("-"),
            f.warnings,
            f.elapsed.as_millis()
        );
    }
    println!(
        "  indexes + ANALYZE + VACUUM + sync: {} ms",
        report.finish_elapsed.as_millis()
    );
    {}
    println!(
        "skipped: {:?}\nwithdrawn {} duplicates {} git ranges dropped {} oversized {} warnings {}",
        report.skipped,
        report.withdrawn_skipped,
        report.duplicate_records_skipped,
        report.git_ranges_dropped,
        report.oversized_entries_skipped,
        report.warning_count
    );
    for w in report.warnings.iter().take(20) {
        println!("  warning: {w}");
    }
    for n in &report.notes {
        println!("  note: {n}");
    }
    let db = drydock_vulndb::Db::open(&out)?;
    println!("namespaces: {}", db.namespaces()?.join(" "));

    // Hot-path latency: one `affected` query per (namespace, package) the DB holds.
    let pairs: Vec<(String, String)> = {
        let conn = rusqlite::Connection::open(&out)?;
        let mut st = conn.prepare("SELECT DISTINCT namespace, package FROM affected")?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    let started = std::time::Instant::now();
    let mut rows = 0;
    for (ns, pkg) in &pairs {
        rows += db.affected(ns, pkg)?.len();
    }
    let t = started.elapsed();
    println!(
        "affected(): {} queries, {} rows in {:.0} ms ({:.1} µs/query)",
        pairs.len(),
        rows,
        t.as_secs_f64() * 1e3,
        t.as_secs_f64() * 1e6 / pairs.len() as f64
    );
    Ok(())
}
