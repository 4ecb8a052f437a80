//! FIRST EPSS daily scores (`epss/*.csv.gz` or `*.csv`).
//!
//! The file FIRST publishes is a gzip-compressed CSV: a first comment line
//! `#model_version:v2023.03.01,score_date:2024-10-25T00:00:00+0000`, the header
//! `cve,epss,percentile`, then one row per scored CVE (`CVE-1999-0005,0.91963,0.99030`).
//! A file without a score date or with another header is rejected as a whole (the build then
//! fails and the previous DB stays); a bad row inside a good file is skipped with a warning.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::build::Ctx;
use crate::error::{Error, Result};

/// What the first line of an EPSS file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EpssHeader {
    /// `v2023.03.01`, when given.
    pub model_version: Option<String>,
    /// The score date, `YYYY-MM-DD`.
    pub score_date: String,
}

/// One row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EpssRow {
    pub cve: String,
    pub score: f64,
    pub percentile: f64,
}

/// Why a whole EPSS file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EpssFileError(pub String);

/// Parse the comment line (`#model_version:…,score_date:…`).
fn parse_comment(line: &str) -> std::result::Result<EpssHeader, EpssFileError> {
    let Some(body) = line.trim().strip_prefix('#') else {
        return Err(EpssFileError(format!(
            "first line is not the `#model_version:…,score_date:…` comment: {:?}",
            shorten(line)
        )));
    };
    let mut model_version = None;
    let mut score_date = None;
    for part in body.split(',') {
        let Some((k, v)) = part.split_once(':') else {
            continue;
        };
        match k.trim() {
            "model_version" => model_version = Some(v.trim().to_string()),
            "score_date" => score_date = Some(v.trim().to_string()),
            _ => {}
        }
    }
    let raw = score_date.ok_or_else(|| {
        EpssFileError("no score_date in the first line (`#model_version:…,score_date:…`)".into())
    })?;
    let day = raw.get(..10).unwrap_or("");
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    if time::Date::parse(day, fmt).is_err() {
        return Err(EpssFileError(format!("score_date {raw:?} is not a date")));
    }
    Ok(EpssHeader {
        model_version,
        score_date: day.to_string(),
    })
}

fn shorten(s: &str) -> String {
    s.chars().take(80).collect()
}

/// Parse one data row; `None` when it is malformed.
fn parse_row(line: &str) -> Option<EpssRow> {
    let mut it = line.trim().split(',');
    let cve = it.next()?.trim();
    let score: f64 = it.next()?.trim().parse().ok()?;
    let percentile: f64 = it.next()?.trim().parse().ok()?;
    if it.next().is_some()
        || !cve.starts_with("CVE-")
        || !(0.0..=1.0).contains(&score)
        || !(0.0..=1.0).contains(&percentile)
    {
        return None;
    }
    Some(EpssRow {
        cve: cve.to_string(),
        score,
        percentile,
    })
}

/// Read an EPSS CSV (already decompressed): the header, then `row` for every good row and
/// `bad` with the line number of every malformed one. A missing or wrong comment/header
/// line, or a read error (truncated gzip), fails the whole file.
pub(crate) fn parse<R: BufRead>(
    mut reader: R,
    row: &mut dyn FnMut(EpssRow) -> Result<()>,
    bad: &mut dyn FnMut(usize),
) -> Result<std::result::Result<EpssHeader, EpssFileError>> {
    let mut line = String::new();
    let read = |r: &mut R, line: &mut String| -> std::result::Result<usize, EpssFileError> {
        line.clear();
        r.read_line(line)
            .map_err(|e| EpssFileError(format!("truncated or corrupt: {e}")))
    };
    macro_rules! tryf {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            }
        };
    }
    if tryf!(read(&mut reader, &mut line)) == 0 {
        return Ok(Err(EpssFileError("empty file".into())));
    }
    let header = tryf!(parse_comment(line.trim_start_matches('\u{feff}')));
    tryf!(read(&mut reader, &mut line));
    let cols: Vec<&str> = line.trim().split(',').map(str::trim).collect();
    if cols != ["cve", "epss", "percentile"] {
        return Ok(Err(EpssFileError(format!(
            "unexpected header {:?}; expected `cve,epss,percentile`",
            shorten(line.trim())
        ))));
    }
    let mut n = 2;
    loop {
        n += 1;
        if tryf!(read(&mut reader, &mut line)) == 0 {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        match parse_row(&line) {
            Some(r) => row(r)?,
            None => bad(n),
        }
    }
    Ok(Ok(header))
}

/// Open a `.csv` or `.csv.gz` (gzip detected by its magic bytes).
fn open(path: &Path) -> Result<Box<dyn BufRead>> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic).map_err(|e| Error::io(path, e))?;
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(if n == 2 && magic == [0x1f, 0x8b] {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(
            BufReader::new(f),
        )))
    } else {
        Box::new(BufReader::new(f))
    })
}

/// Check a downloaded EPSS file end to end (used by `update` before it replaces the
/// previous copy): the header must be right and every line must read.
pub(crate) fn check(path: &Path) -> std::result::Result<EpssHeader, String> {
    let reader = open(path).map_err(|e| e.to_string())?;
    let mut rows = 0u64;
    let header = parse(
        reader,
        &mut |_| {
            rows += 1;
            Ok(())
        },
        &mut |_| {},
    )
    .map_err(|e| e.to_string())?
    .map_err(|e| e.0)?;
    if rows == 0 {
        return Err("no score rows".into());
    }
    Ok(header)
}

/// Load the EPSS file as feed `epss`. Only one file is read (the newest by name when the
/// folder holds several); the others are noted.
pub(crate) fn load(ctx: &mut Ctx<'_>, path: &Path) -> Result<()> {
    let (mut feed, mark) = ctx.begin_feed("epss");
    let rel = ctx.rel(path);
    feed.files.push(rel.clone());
    let reader = open(path)?;
    let mut bad_lines = Vec::new();
    let mut dupes = Vec::new();
    let mut records = 0u64;
    let sink = &mut ctx.sink;
    let header = parse(
        reader,
        &mut |r| {
            if sink.epss(&r.cve, r.score, r.percentile)? {
                records += 1;
            } else {
                dupes.push(r.cve);
            }
            Ok(())
        },
        &mut |n| bad_lines.push(n),
    )?
    .map_err(|e| Error::feed(path, format!("not a FIRST EPSS file: {}", e.0)))?;
    feed.records = records;
    for n in bad_lines {
        ctx.warn(&mut feed, format!("{rel}: line {n} malformed: skipped"));
    }
    for c in dupes {
        ctx.warn(
            &mut feed,
            format!("{rel}: {c} listed twice: second row skipped"),
        );
    }
    feed.newest_date = Some(header.score_date.clone());
    ctx.sink.meta("epss_score_date", &header.score_date)?;
    if let Some(m) = &header.model_version {
        ctx.sink.meta("epss_model_version", m)?;
    }
    ctx.end_feed(feed, mark);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_line() {
        assert_eq!(
            parse_comment("#model_version:v2023.03.01,score_date:2024-10-25T00:00:00+0000\n"),
            Ok(EpssHeader {
                model_version: Some("v2023.03.01".into()),
                score_date: "2024-10-25".into()
            })
        );
        assert!(
            parse_comment("#model_version:v2023.03.01")
                .unwrap_err()
                .0
                .contains("no score_date")
        );
        assert!(
            parse_comment("cve,epss,percentile")
                .unwrap_err()
                .0
                .contains("first line")
        );
        assert!(parse_comment("#score_date:yesterday").is_err());
    }

    #[test]
    fn rows() {
        assert_eq!(
            parse_row("CVE-1999-0005,0.91963,0.99030\n"),
            Some(EpssRow {
                cve: "CVE-1999-0005".into(),
                score: 0.91963,
                percentile: 0.9903
            })
        );
        assert_eq!(parse_row("CVE-1,2.0,0.5"), None);
        assert_eq!(parse_row("GHSA-x,0.1,0.5"), None);
        assert_eq!(parse_row("CVE-1,0.1"), None);
        assert_eq!(parse_row("CVE-1,0.1,0.2,0.3"), None);
    }
}
