//! Shared test helpers: the real feeds in `../shared`, one full build per test binary, and
//! feed folders assembled from symlinks to real files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use drydock_vulndb::{BuildOptions, BuildReport, build};

/// `../shared/feeds`.
pub fn feeds() -> PathBuf {
    drydock_testkit::shared_dir().join("feeds")
}

/// `../shared/fixtures/<bundle>`.
pub fn fixture(bundle: &str) -> PathBuf {
    drydock_testkit::shared_dir().join("fixtures").join(bundle)
}

/// A DB built once per test binary from the whole of `../shared/feeds`.
pub struct Built {
    _dir: tempfile::TempDir,
    pub db: PathBuf,
    pub report: BuildReport,
}

pub fn full() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("vulndb.sqlite");
        let report = build(&feeds(), &db, &BuildOptions::default()).expect("build shared/feeds");
        eprintln!(
            "built ../shared/feeds in {:.2} s (debug build): {} bytes, {} affected rows, {} vulnerabilities",
            report.elapsed.as_secs_f64(),
            report.db_bytes,
            report.affected_rows,
            report.vulnerabilities
        );
        Built {
            _dir: dir,
            db,
            report,
        }
    })
}

/// Make `root/<rel>` a symlink to `target` (creating parent folders).
pub fn link(root: &Path, rel: &str, target: &Path) {
    let dest = root.join(rel);
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, &dest).unwrap();
}

/// A feed folder holding symlinks `rel → ../shared/feeds/<rel>` for each of `rels`.
pub fn feed_dir(rels: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for rel in rels {
        link(dir.path(), rel, &feeds().join(rel));
    }
    dir
}

/// Extract the named regular files of a fixture bundle (`*.tar.gz`) into `dest`, keeping
/// their paths. Panics if one is missing.
pub fn unpack(bundle: &str, wanted: &[&str], dest: &Path) {
    let f = std::fs::File::open(fixture(bundle)).expect("fixture bundle");
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut found = 0;
    for entry in ar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let path = path.trim_start_matches("./").to_string();
        if wanted.contains(&path.as_str()) {
            let out = dest.join(&path);
            std::fs::create_dir_all(out.parent().unwrap()).unwrap();
            let mut f = std::fs::File::create(&out).unwrap();
            std::io::copy(&mut entry, &mut f).unwrap();
            found += 1;
        }
    }
    assert_eq!(
        found,
        wanted.len(),
        "not all of {wanted:?} found in {bundle}"
    );
}

/// Every `affected` row of a DB as text lines, sorted (for comparing two builds).
pub fn dump_affected(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut st = conn
        .prepare(
            "SELECT namespace, package, vuln_id, status, IFNULL(fixed_version, ''), ranges, \
             versions, source, advisory_ids, IFNULL(severity, ''), IFNULL(constraints, '') \
             FROM affected",
        )
        .unwrap();
    let mut rows: Vec<String> = st
        .query_map([], |r| {
            let cols: Vec<String> = (0..11).map(|i| r.get::<_, String>(i).unwrap()).collect();
            Ok(cols.join("|"))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.sort();
    rows
}

/// Re-pack a recorded `.tar.gz` the way GitHub serves a repository archive: a
/// `pax_global_header` entry (as `git archive` writes it), every entry under one top-level
/// `<prefix>/` folder, plus a README and a `.github/` workflow file that no feed reads.
pub fn github_layout(src: &Path, prefix: &str) -> Vec<u8> {
    let f = std::fs::File::open(src).unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut b = tar::Builder::new(Vec::new());
    let comment = b"52 comment=8cfcc07caea7000000000000000000000000000\n";
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::XGlobalHeader);
    h.set_size(comment.len() as u64);
    h.set_cksum();
    b.append_data(&mut h, "pax_global_header", &comment[..])
        .unwrap();
    let mut dir = tar::Header::new_ustar();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o775);
    dir.set_size(0);
    dir.set_cksum();
    b.append_data(&mut dir, format!("{prefix}/"), &[][..])
        .unwrap();
    for (name, body) in [
        ("README.md", &b"# advisories\n"[..]),
        (".github/workflows/ci.yml", b"on: push\n"),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, format!("{prefix}/{name}"), body)
            .unwrap();
    }
    for entry in ar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let path = path.trim_start_matches("./").to_string();
        let mut h = entry.header().clone();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        b.append_data(&mut h, format!("{prefix}/{path}"), &data[..])
            .unwrap();
    }
    let tar = b.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    gz.finish().unwrap()
}

/// Rebuild a recorded `.tar.gz` with some files replaced (`Some(bytes)`) or left out
/// (`None`), keeping everything else byte for byte.
pub fn patched_archive(src: &Path, changes: &[(&str, Option<&[u8]>)]) -> Vec<u8> {
    let f = std::fs::File::open(src).unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut b = tar::Builder::new(Vec::new());
    let mut seen = 0;
    for entry in ar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut h = entry.header().clone();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        match changes.iter().find(|(p, _)| *p == path) {
            Some((_, None)) => seen += 1,
            Some((_, Some(new))) => {
                seen += 1;
                h.set_size(new.len() as u64);
                h.set_cksum();
                b.append_data(&mut h, &path, *new).unwrap();
            }
            None => b.append_data(&mut h, &path, &data[..]).unwrap(),
        }
    }
    assert_eq!(
        seen,
        changes.len(),
        "not all of {changes:?} in {}",
        src.display()
    );
    let tar = b.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    gz.finish().unwrap()
}
