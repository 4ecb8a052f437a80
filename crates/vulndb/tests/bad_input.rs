//! Truncated and corrupt feed files: clear errors naming the file, warnings for bad records
//! inside good files, and a previous DB that stays as it was.

mod common;

use std::io::{Read, Write};
use std::path::Path;

use drydock_vulndb::{BuildOptions, Db, Error, build};

/// A feed folder with `rel` holding `bytes` (plus KEV linked in, so the folder is not empty).
fn folder_with(rel: &str, bytes: &[u8]) -> tempfile::TempDir {
    let dir = common::feed_dir(&["kev/known_exploited_vulnerabilities.json"]);
    let p = dir.path().join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
    dir
}

fn real(rel: &str) -> Vec<u8> {
    std::fs::read(common::feeds().join(rel)).unwrap()
}

/// Files in `dir` whose name starts with `.drydock-` (left-over temporary files).
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".drydock-"))
        .collect()
}

/// Build a good DB at `out`, return its bytes.
fn good_db(out: &Path) -> Vec<u8> {
    let good = common::feed_dir(&["kev/known_exploited_vulnerabilities.json"]);
    build(good.path(), out, &BuildOptions::default()).unwrap();
    std::fs::read(out).unwrap()
}

fn assert_feed_error(e: Error, file_suffix: &str, words: &str) {
    eprintln!("error as shown: {e}");
    match &e {
        Error::Feed { path, msg } => {
            assert!(
                path.ends_with(file_suffix),
                "{} does not end with {file_suffix}",
                path.display()
            );
            assert!(msg.contains(words), "{msg:?} lacks {words:?}");
        }
        other => panic!("expected a feed error, got {other:?}"),
    }
    assert!(e.to_string().contains(file_suffix), "{e}");
}

#[test]
fn truncated_zip_fails_and_keeps_the_previous_db() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("vulndb.sqlite");
    let before = good_db(&out);

    let zip = real("osv/Go/all.zip");
    let feeds = folder_with("osv/Go/all.zip", &zip[..zip.len() / 2]);
    let e = build(feeds.path(), &out, &BuildOptions::default()).unwrap_err();
    assert_feed_error(e, "osv/Go/all.zip", "not a readable zip archive");
    assert_eq!(std::fs::read(&out).unwrap(), before, "previous DB changed");
    assert!(
        leftovers(out_dir.path()).is_empty(),
        "{:?}",
        leftovers(out_dir.path())
    );
    Db::open(&out).unwrap();
}

#[test]
fn corrupt_zip_entry_data_fails() {
    // Damage compressed data in the middle of the archive; the central directory stays intact,
    // so the damage shows as a checksum or inflate error on one entry.
    let mut zip = real("osv/crates.io/all.zip");
    let mid = zip.len() / 2;
    for b in &mut zip[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let feeds = folder_with("osv/crates.io/all.zip", &zip);
    let out = feeds.path().join("out.sqlite");
    let e = build(feeds.path(), &out, &BuildOptions::default()).unwrap_err();
    assert_feed_error(e, "osv/crates.io/all.zip", "");
    assert!(!out.exists());
}

#[test]
fn truncated_json_files_fail() {
    for rel in [
        "kev/known_exploited_vulnerabilities.json",
        "alpine-secdb/v3.20/main.json",
    ] {
        let full = real(rel);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &full[..full.len() * 2 / 3]).unwrap();
        let out = dir.path().join("out.sqlite");
        let e = build(dir.path(), &out, &BuildOptions::default()).unwrap_err();
        assert_feed_error(e, rel, "truncated JSON");
        assert!(!out.exists());
    }
    // A truncated legacy YAML secdb.
    let full = real("alpine-secdb-legacy/v3.9/main.yaml");
    let text = String::from_utf8(full).unwrap();
    let cut = text.find("  - pkg:\n      name: apache2").unwrap()
        + "  - pkg:\n      name: apache2\n      secfixes:\n        2.4".len();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("alpine-secdb-legacy/v3.9/main.yaml");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, format!("{}\n  bad: [\n", &text[..cut])).unwrap();
    let e = build(
        dir.path(),
        &dir.path().join("o.sqlite"),
        &BuildOptions::default(),
    )
    .unwrap_err();
    assert_feed_error(e, "alpine-secdb-legacy/v3.9/main.yaml", "invalid YAML");
}

/// Copy the named entries of a real zip into a new zip, then add `extra` entries.
fn zip_with(src: &str, names: &[&str], extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut input =
        zip::ZipArchive::new(std::fs::File::open(common::feeds().join(src)).unwrap()).unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for n in names {
        let mut buf = Vec::new();
        input.by_name(n).unwrap().read_to_end(&mut buf).unwrap();
        w.start_file(*n, opts).unwrap();
        w.write_all(&buf).unwrap();
    }
    for (n, b) in extra {
        w.start_file(*n, opts).unwrap();
        w.write_all(b).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn bad_records_in_a_good_zip_are_warnings() {
    let big = vec![b' '; 4096];
    let zip = zip_with(
        "osv/Go/all.zip",
        &["GO-2022-0969.json", "GO-2020-0001.json"],
        &[
            (
                "broken.json",
                b"{\"id\": \"GO-BROKEN\", \"affected\": [" as &[u8],
            ),
            ("README.md", b"not a record"),
            ("big.json", &big),
        ],
    );
    let feeds = folder_with("osv/Go/all.zip", &zip);
    let out = feeds.path().join("out.sqlite");
    let opts = BuildOptions {
        max_zip_entry_bytes: 3000,
        ..BuildOptions::default()
    };
    let report = build(feeds.path(), &out, &opts).unwrap();
    let go = report.feeds.iter().find(|f| f.name == "osv/Go").unwrap();
    // GO-2022-0969 is 2,237 bytes; GO-2020-0001 (1,405) fits too; big.json (4,096) does not.
    assert_eq!(go.records, 2);
    assert_eq!(report.oversized_entries_skipped, 1);
    assert_eq!(go.warnings, 2, "{:?}", report.warnings);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("broken.json") && w.contains("osv/Go/all.zip"))
    );
    assert!(report.warnings.iter().any(|w| w.contains("big.json")));
    let db = Db::open(&out).unwrap();
    assert_eq!(db.affected("go", "stdlib").unwrap().len(), 1);
}

#[test]
fn empty_or_missing_feed_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("wolfi")).unwrap();
    let e = build(
        dir.path(),
        &dir.path().join("o.sqlite"),
        &BuildOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::NoFeeds(_)), "{e}");
    let e = build(
        &dir.path().join("absent"),
        &dir.path().join("o.sqlite"),
        &BuildOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
    assert!(e.to_string().contains("absent"), "{e}");
}

#[test]
fn output_folder_is_created_and_db_replaced_atomically() {
    let feeds = common::feed_dir(&["alpine-secdb/v3.20/main.json"]);
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("a/b/vulndb.sqlite");
    let r1 = build(feeds.path(), &out, &BuildOptions::default()).unwrap();
    // Rebuild over it while a reader holds it open: the reader keeps its snapshot.
    let reader = Db::open(&out).unwrap();
    let r2 = build(feeds.path(), &out, &BuildOptions::default()).unwrap();
    assert_eq!(r1.affected_rows, r2.affected_rows);
    assert_eq!(reader.affected("alpine:3.20", "zlib").unwrap().len(), 4);
    assert_eq!(
        Db::open(&out)
            .unwrap()
            .affected("alpine:3.20", "zlib")
            .unwrap()
            .len(),
        4
    );
    assert!(leftovers(&out_dir.path().join("a/b")).is_empty());
}
