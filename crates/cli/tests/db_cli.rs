//! `drydock db build` / `db info` on the real feeds.

mod common;

use common::*;

#[test]
fn db_info_reports_per_feed_counts_and_dates() {
    let db = full_db();
    let out = drydock()
        .args(["db", "info", "--json", "--db"])
        .arg(db)
        .output()
        .unwrap();
    assert!(out.status.success());
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["schema_version"], 3);
    let feed = |name: &str| {
        info["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("feed {name} in {info}"))
            .clone()
    };
    assert_eq!(feed("kev")["records"], 1404);
    assert_eq!(feed("debian-dsa")["records"], 5406);
    assert_eq!(feed("debian-dla")["records"], 3534);
    assert_eq!(feed("debian-dsa")["newest_date"], "2023-03-29");
    // OSV: the shared README's counts less withdrawn records
    assert_eq!(feed("osv/AlmaLinux")["records"], 5637);

    let out = drydock()
        .args(["db", "info", "--db"])
        .arg(db)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("schema version:  3"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("kev") && l.contains("1404")),
        "{text}"
    );
}

#[test]
fn missing_or_broken_dbs_are_clear_errors() {
    let dir = scratch("db-errors");
    drydock()
        .args(["db", "info", "--db"])
        .arg(dir.join("nope.db"))
        .assert()
        .code(3)
        .stderr(predicates::str::contains("opening the vulnerability DB"));
    let junk = dir.join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    drydock()
        .args(["db", "info", "--db"])
        .arg(&junk)
        .assert()
        .code(3)
        .stderr(predicates::str::contains("error:"));
    // building from a directory that holds no feed is an error and writes nothing
    let empty = dir.join("empty-feeds");
    std::fs::create_dir_all(&empty).unwrap();
    let db = dir.join("never.db");
    drydock()
        .args(["db", "build", "--from"])
        .arg(&empty)
        .arg("--db")
        .arg(&db)
        .assert()
        .code(3);
    assert!(!db.exists());
}
