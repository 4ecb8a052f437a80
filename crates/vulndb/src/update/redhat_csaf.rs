//! `update` for Red Hat CSAF VEX: the archive of every document, then the documents changed
//! since it was built.
//!
//! Red Hat's VEX folder holds `archive_latest.txt` (the name of the current archive,
//! `csaf_vex_YYYY-MM-DD.tar.zst`, entries `YYYY/cve-YYYY-NNNN.json`), `changes.csv` (every
//! document with its last change, `"2023/cve-2023-0044.json","2023-12-12T00:00:00+00:00"`) and
//! `deletions.csv` (same columns, deleted documents). The archive is kept as downloaded (the
//! build streams it; unpacked it would take 10–25 times the space); the documents changed on or
//! after the archive's date are fetched one by one into `redhat-csaf/YYYY/…json`, where the
//! build reads them in place of the archive's copies. `redhat-csaf/.update-state.json` (hidden:
//! the build ignores it) records which archive the loose documents belong to and the change
//! time of each copy held, so a later update fetches only what changed since.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Check, Job, download, fetch_text_capped, join, safe_component};
use crate::error::{Error, Result};
use crate::feeds::redhat_csaf::{self as csaf, DELETIONS, MAX_CSV_BYTES};

/// The update state, inside the feed folder.
const STATE: &str = ".update-state.json";

/// Most documents fetched in one update (`changes.csv` lists every document Red Hat has; a
/// week's changes are a few thousand).
const MAX_CHANGED_DOCS: usize = 100_000;

/// What an earlier update left in the folder.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// The archive the loose documents update.
    archive: String,
    /// Loose document path → change time (RFC 3339) of the copy held.
    documents: BTreeMap<String, String>,
}

fn read_state(folder: &Path) -> State {
    std::fs::read(folder.join(STATE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Write `bytes` to `dest` through a temporary file in the same folder.
fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = dest.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".drydock-download-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(tmp.path(), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(tmp.path(), e))?;
    tmp.persist(dest).map_err(|e| Error::io(dest, e.error))?;
    Ok(())
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Loose `*.json` files under `dir` (hidden entries skipped), at most `depth` folders deep.
fn loose_documents(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            if depth > 0 {
                loose_documents(&p, depth - 1, out);
            }
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

/// Remove `folder/<rel>` and then its parent folders up to `folder` while they are empty.
fn remove_document(folder: &Path, rel: &str) -> Result<bool> {
    let p = folder.join(rel);
    if !p.is_file() {
        return Ok(false);
    }
    std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
    let mut dir = p.parent();
    while let Some(d) = dir.filter(|d| *d != folder && d.starts_with(folder)) {
        // fails (and stops) when the folder is not empty
        if std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(true)
}

/// Newest time per path among `rows` at or after `since`.
fn newest_since(
    rows: Vec<csaf::CsvRow>,
    since: OffsetDateTime,
) -> BTreeMap<String, OffsetDateTime> {
    let mut out: BTreeMap<String, OffsetDateTime> = BTreeMap::new();
    for r in rows.into_iter().filter(|r| r.time >= since) {
        let t = out.entry(r.path).or_insert(r.time);
        *t = (*t).max(r.time);
    }
    out
}

/// Parse a CSV list fetched from `url`, noting lines that do not parse.
fn parse_list(url: &str, text: &str, notes: &mut Vec<String>) -> Vec<csaf::CsvRow> {
    let (rows, bad) = csaf::parse_csv(text);
    if let Some(first) = bad.first() {
        notes.push(format!(
            "{url}: {} line(s) not read (first: line {first})",
            bad.len()
        ));
    }
    rows
}

/// Fetch the Red Hat CSAF VEX feed into `<feeds_dir>/redhat-csaf/`.
pub(super) fn update(
    client: &reqwest::blocking::Client,
    base: &str,
    feeds_dir: &Path,
    cap: u64,
    notes: &mut Vec<String>,
) -> Result<()> {
    let folder = feeds_dir.join("redhat-csaf");
    std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;

    let latest_url = join(base, "archive_latest.txt");
    let latest =
        fetch_text_capped(client, &latest_url, 4096)?.ok_or_else(|| Error::HttpStatus {
            url: latest_url.clone(),
            status: 404,
        })?;
    let name = latest
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string();
    if !(safe_component(&name) && name.ends_with(".tar.zst") && name.len() <= 200) {
        return Err(Error::BadDownload {
            url: latest_url,
            msg: format!(
                "names no .tar.zst archive: {:?}",
                name.chars().take(80).collect::<String>()
            ),
        });
    }

    let state = read_state(&folder);
    let archive_path = folder.join(&name);
    let new_archive = if archive_path.is_file() {
        notes.push(format!("redhat-csaf: {name} already present"));
        None
    } else {
        let job = Job {
            url: join(base, &name),
            dest: archive_path.clone(),
            check: Check::TarZst,
            optional: false,
        };
        let (tmp, bytes) = download(client, &job, cap)?.ok_or_else(|| Error::HttpStatus {
            url: job.url.clone(),
            status: 404,
        })?;
        notes.push(format!("downloaded {} ({bytes} bytes)", job.url));
        Some(tmp)
    };
    // loose documents belong to the archive they update: a new archive supersedes them all
    let fresh = new_archive.is_some() || state.archive != name;
    let mut held = if fresh {
        BTreeMap::new()
    } else {
        state.documents
    };

    // documents changed / deleted since the archive was built
    let mut staged: Vec<(String, PathBuf, OffsetDateTime)> = Vec::new();
    let staging = tempfile::Builder::new()
        .prefix(".drydock-staging-")
        .tempdir_in(&folder)
        .map_err(|e| Error::io(&folder, e))?;
    let mut gone: Vec<String> = Vec::new();
    let mut deletions_text: Option<String> = None;
    match csaf::archive_date(&name) {
        None => notes.push(format!(
            "redhat-csaf: {name} carries no date: changes.csv and deletions.csv not applied"
        )),
        Some(since) => {
            let changes_url = join(base, "changes.csv");
            let changes = match fetch_text_capped(client, &changes_url, MAX_CSV_BYTES)? {
                Some(t) => parse_list(&changes_url, &t, notes),
                None => {
                    notes.push(format!("{changes_url}: 404 Not Found, skipped"));
                    Vec::new()
                }
            };
            let deletions_url = join(base, DELETIONS);
            let deletions = match fetch_text_capped(client, &deletions_url, MAX_CSV_BYTES)? {
                Some(t) => {
                    let rows = parse_list(&deletions_url, &t, notes);
                    deletions_text = Some(t);
                    rows
                }
                None => {
                    notes.push(format!("{deletions_url}: 404 Not Found, skipped"));
                    Vec::new()
                }
            };
            let mut changed = newest_since(changes, since);
            let deleted = newest_since(deletions, since);
            // deleted after its last change: gone; changed after its deletion: back again
            for (p, d) in &deleted {
                if changed.get(p).is_none_or(|c| c <= d) {
                    gone.push(p.clone());
                }
            }
            changed.retain(|p, c| deleted.get(p).is_none_or(|d| *c > *d));
            if changed.len() > MAX_CHANGED_DOCS {
                return Err(Error::BadDownload {
                    url: changes_url,
                    msg: format!(
                        "{} documents changed since {name}: more than {MAX_CHANGED_DOCS}",
                        changed.len()
                    ),
                });
            }
            let (mut fetched, mut kept, mut missing) = (0usize, 0usize, 0usize);
            for (i, (path, time)) in changed.into_iter().enumerate() {
                let have = held
                    .get(&path)
                    .and_then(|t| csaf::parse_time(t))
                    .is_some_and(|t| t >= time)
                    && folder.join(&path).is_file();
                if have {
                    kept += 1;
                    continue;
                }
                let job = Job {
                    url: join(base, &path),
                    dest: staging.path().join(i.to_string()),
                    check: Check::Json,
                    // listed, then gone before we asked: the next changes.csv says why
                    optional: true,
                };
                match download(client, &job, cap)? {
                    Some((tmp, _)) => {
                        tmp.persist(&job.dest)
                            .map_err(|e| Error::io(&job.dest, e.error))?;
                        staged.push((path, job.dest, time));
                        fetched += 1;
                    }
                    None => {
                        notes.push(format!("{}: 404 Not Found, skipped", job.url));
                        missing += 1;
                    }
                }
            }
            notes.push(format!(
                "redhat-csaf: {} document(s) changed since {}: {fetched} downloaded, {kept} already held, {missing} missing; {} deleted",
                fetched + kept + missing,
                since.date(),
                gone.len()
            ));
        }
    }

    // Commit: everything is downloaded and checked.
    if let Some(tmp) = new_archive {
        tmp.persist(&archive_path)
            .map_err(|e| Error::io(&archive_path, e.error))?;
    }
    if let Ok(rd) = std::fs::read_dir(&folder) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.ends_with(".tar.zst") && n != name && !n.starts_with('.') {
                let p = e.path();
                std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
            }
        }
    }
    if fresh {
        let mut old = Vec::new();
        loose_documents(&folder, 4, &mut old);
        for p in old {
            if let Ok(rel) = p.strip_prefix(&folder) {
                remove_document(&folder, &rel.to_string_lossy())?;
            }
        }
    }
    for p in &gone {
        remove_document(&folder, p)?;
        held.remove(p);
    }
    for (path, src, time) in staged {
        let dest = folder.join(&path);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::rename(&src, &dest).map_err(|e| Error::io(&dest, e))?;
        held.insert(path, rfc3339(time));
    }
    let deletions_path = folder.join(DELETIONS);
    match &deletions_text {
        Some(t) => write_atomic(&deletions_path, t.as_bytes())?,
        None if deletions_path.is_file() => {
            std::fs::remove_file(&deletions_path).map_err(|e| Error::io(&deletions_path, e))?
        }
        None => {}
    }
    let state = State {
        archive: name,
        documents: held,
    };
    let json = serde_json::to_vec_pretty(&state).unwrap_or_default();
    write_atomic(&folder.join(STATE), &json)?;
    drop(staging);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_change_per_document_since_the_archive() {
        // hand-written rows in Red Hat's format
        let (rows, bad) = csaf::parse_csv(
            "\"2023/cve-2023-0044.json\",\"2023-12-12T00:00:00+00:00\"\n\
             \"2023/cve-2023-0044.json\",\"2023-12-14T08:00:00+00:00\"\n\
             \"2023/cve-2023-0030.json\",\"2023-10-30T23:59:59+00:00\"\n\
             \"../etc/passwd.json\",\"2023-12-14T08:00:00+00:00\"\n\
             \"2023/cve-2023-0118.json\",\"yesterday\"\n",
        );
        assert_eq!(bad, vec![4, 5]);
        let since = csaf::archive_date("csaf_vex_2023-10-31.tar.zst").unwrap();
        let m = newest_since(rows, since);
        assert_eq!(m.len(), 1);
        assert_eq!(
            rfc3339(m["2023/cve-2023-0044.json"]),
            "2023-12-14T08:00:00Z"
        );
    }

    #[test]
    fn documents_are_removed_with_their_empty_folders() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("redhat-csaf");
        std::fs::create_dir_all(f.join("2023")).unwrap();
        std::fs::create_dir_all(f.join("2024")).unwrap();
        std::fs::write(f.join("2023/a.json"), "{}").unwrap();
        std::fs::write(f.join("2024/b.json"), "{}").unwrap();
        std::fs::write(f.join("2024/c.json"), "{}").unwrap();
        assert!(remove_document(&f, "2023/a.json").unwrap());
        assert!(!f.join("2023").exists());
        assert!(remove_document(&f, "2024/b.json").unwrap());
        assert!(f.join("2024/c.json").is_file());
        assert!(!remove_document(&f, "2024/b.json").unwrap());
        assert!(f.is_dir());
    }
}
