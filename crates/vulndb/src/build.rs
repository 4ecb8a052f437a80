//! `build`: read a feed folder, write one SQLite DB atomically.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::feeds;
use crate::schema::{CREATE_INDEXES, CREATE_TABLES, SCHEMA_VERSION};
use crate::sink::Sink;

/// Per-entry cap on the uncompressed size of a JSON file inside an OSV zip (zip-bomb guard).
pub const DEFAULT_MAX_ZIP_ENTRY_BYTES: u64 = 16 * 1024 * 1024;

/// At most this many warning messages are kept in [`BuildReport::warnings`]
/// ([`BuildReport::warning_count`] counts all).
pub const MAX_WARNING_MESSAGES: usize = 200;

/// Options for [`build`].
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Largest uncompressed size of one zip entry (also of a loose OSV JSON file and of one
    /// file inside a native feed's `.tar.gz`); larger ones are skipped with a warning.
    pub max_zip_entry_bytes: u64,
    /// Run `VACUUM` after loading (smaller file, ~10% more build time).
    pub vacuum: bool,
    /// Build time stored in `meta.built_at`; `None` = now. Set it for reproducible output.
    pub built_at: Option<time::OffsetDateTime>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            max_zip_entry_bytes: DEFAULT_MAX_ZIP_ENTRY_BYTES,
            vacuum: true,
            built_at: None,
        }
    }
}

/// What one feed contributed to the DB.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedReport {
    /// Feed name: `alpine-secdb`, `debian-dsa`, `debian-dla`, `debian-dtsa`, `debian-tracker`,
    /// `osv/<folder>` (e.g. `osv/Go`), `kev`, `azurelinux-oval`, `oracle-oval`, `photon-oval`,
    /// `amazon-alas`, `rocky-updateinfo`, `redhat-csaf`, `suse-cvrf`, `rubysec`,
    /// `friendsofphp`, `nodejs-security-wg`.
    pub name: String,
    /// Files read, relative to the feed folder, in reading order.
    pub files: Vec<String>,
    /// Records in the feed's own unit (see `docs/vulndb-schema.md`, table `feeds`).
    pub records: u64,
    /// Rows this feed wrote to `affected`.
    pub affected_rows: u64,
    /// Newest date the feed carries (`YYYY-MM-DD`), when it carries dates.
    pub newest_date: Option<String>,
    /// Warnings raised while reading this feed.
    pub warnings: u64,
    /// Time spent reading and inserting this feed.
    pub elapsed: Duration,
}

/// The outcome of [`build`] (and [`crate::update`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BuildReport {
    /// One entry per feed read, in loading order.
    pub feeds: Vec<FeedReport>,
    /// Feed folders/files present but not parsed by this version (e.g. `wolfi`).
    pub skipped: Vec<String>,
    /// Informational notes (a YAML secdb shadowed by its JSON copy, a 404 during update, ...).
    pub notes: Vec<String>,
    /// The first [`MAX_WARNING_MESSAGES`] warnings (bad records skipped inside good files).
    pub warnings: Vec<String>,
    /// Number of warnings in total.
    pub warning_count: u64,
    /// OSV records skipped because they carry `withdrawn`.
    pub withdrawn_skipped: u64,
    /// OSV records skipped because a record with the same id was already loaded.
    pub duplicate_records_skipped: u64,
    /// OSV `GIT` ranges dropped (commit ranges cannot be matched against package versions).
    pub git_ranges_dropped: u64,
    /// Zip entries and loose OSV JSON files skipped for exceeding
    /// [`BuildOptions::max_zip_entry_bytes`] (a file over the cap inside a native feed's
    /// `.tar.gz` is a warning, not counted here).
    pub oversized_entries_skipped: u64,
    /// Rows in `affected`.
    pub affected_rows: u64,
    /// Rows in `vulnerabilities`.
    pub vulnerabilities: u64,
    /// Wall-clock build time.
    pub elapsed: Duration,
    /// Part of `elapsed` spent after loading: indexes, `ANALYZE`, `VACUUM`, sync and rename.
    pub finish_elapsed: Duration,
    /// Size of the written DB file in bytes.
    pub db_bytes: u64,
}

/// Build state handed to the feed loaders.
pub(crate) struct Ctx<'c> {
    pub sink: Sink<'c>,
    pub opts: &'c BuildOptions,
    pub report: BuildReport,
    root: PathBuf,
}

impl Ctx<'_> {
    /// Record a warning (a bad record skipped inside an otherwise good file).
    pub fn warn(&mut self, feed: &mut FeedReport, msg: String) {
        tracing::warn!("{msg}");
        feed.warnings += 1;
        self.report.warning_count += 1;
        if self.report.warnings.len() < MAX_WARNING_MESSAGES {
            self.report.warnings.push(msg);
        }
    }

    pub fn note(&mut self, msg: String) {
        tracing::info!("{msg}");
        self.report.notes.push(msg);
    }

    /// `path` relative to the feed folder, for reports and the `feeds` table.
    pub fn rel(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }

    /// Start counting affected rows and time for one feed.
    pub fn begin_feed(&self, name: &str) -> (FeedReport, (u64, Instant)) {
        (
            FeedReport {
                name: name.to_string(),
                ..FeedReport::default()
            },
            (self.sink.affected_rows, Instant::now()),
        )
    }

    /// Finish a feed started with [`Ctx::begin_feed`].
    pub fn end_feed(&mut self, mut feed: FeedReport, (rows_before, started): (u64, Instant)) {
        feed.affected_rows = self.sink.affected_rows - rows_before;
        feed.elapsed = started.elapsed();
        tracing::info!(
            feed = %feed.name,
            records = feed.records,
            affected_rows = feed.affected_rows,
            "feed loaded"
        );
        self.report.feeds.push(feed);
    }
}

/// Keep the newer of two `YYYY-MM-DD...` dates (placeholder `0001-...` dates are ignored).
pub(crate) fn newer_date(current: &mut Option<String>, candidate: Option<&str>) {
    let Some(c) = candidate.map(str::trim) else {
        return;
    };
    if c.len() < 10 || c.starts_with("0001-") || !c.is_char_boundary(10) {
        return;
    }
    let day = &c[..10];
    if current.as_deref().is_none_or(|cur| day > cur) {
        *current = Some(day.to_string());
    }
}

/// Build a vulnerability DB at `out_db` from the feeds in `from_dir` (layout in
/// `docs/data-sources.md`).
///
/// The DB is written to a temporary file next to `out_db` and renamed over it only once it is
/// complete, so a failure (a truncated or corrupt feed file, which gives an error naming the
/// file) leaves any previous DB untouched. Bad records inside good files are skipped with a
/// warning counted in the report.
pub fn build(from_dir: &Path, out_db: &Path, opts: &BuildOptions) -> Result<BuildReport> {
    let started = Instant::now();
    let meta = std::fs::metadata(from_dir).map_err(|e| Error::io(from_dir, e))?;
    if !meta.is_dir() {
        return Err(Error::io(
            from_dir,
            std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a folder"),
        ));
    }
    let plan = feeds::discover(from_dir)?;
    if plan.is_empty() {
        return Err(Error::NoFeeds(from_dir.to_path_buf()));
    }

    let parent = match out_db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".drydock-vulndb-")
        .suffix(".tmp")
        .tempfile_in(&parent)
        .map_err(|e| Error::io(&parent, e))?;

    let conn = Connection::open(tmp.path())?;
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE; \
         PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536; PRAGMA page_size = 4096;",
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    conn.execute_batch(CREATE_TABLES)?;
    conn.execute_batch("BEGIN")?;

    let mut ctx = Ctx {
        sink: Sink::new(&conn),
        opts,
        report: BuildReport {
            skipped: plan.skipped.clone(),
            ..BuildReport::default()
        },
        root: from_dir.to_path_buf(),
    };
    feeds::load_all(&mut ctx, &plan)?;

    let built_at = opts
        .built_at
        .unwrap_or_else(time::OffsetDateTime::now_utc)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut report = ctx.report;
    report.affected_rows = ctx.sink.affected_rows;
    report.vulnerabilities = conn.query_row("SELECT COUNT(*) FROM vulnerabilities", [], |r| {
        r.get::<_, i64>(0)
    })? as u64;
    {
        let mut st = conn.prepare(
            "INSERT INTO feeds (name, records, affected_rows, newest_date, files) \
             VALUES (?1,?2,?3,?4,?5)",
        )?;
        for f in &report.feeds {
            let files = serde_json::to_string(&f.files).unwrap_or_else(|_| "[]".into());
            st.execute(params![
                f.name,
                f.records as i64,
                f.affected_rows as i64,
                f.newest_date,
                files
            ])?;
        }
        let mut st = conn.prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)")?;
        for (k, v) in [
            ("schema_version", SCHEMA_VERSION.to_string()),
            ("built_at", built_at),
            (
                "builder",
                format!("drydock-vulndb {}", env!("CARGO_PKG_VERSION")),
            ),
            ("affected_rows", report.affected_rows.to_string()),
            ("vulnerabilities", report.vulnerabilities.to_string()),
        ] {
            st.execute(params![k, v])?;
        }
    }
    conn.execute_batch("COMMIT")?;
    let finish_started = Instant::now();
    conn.execute_batch(CREATE_INDEXES)?;
    conn.execute_batch("PRAGMA analysis_limit = 1000; ANALYZE")?;
    if opts.vacuum {
        conn.execute_batch("VACUUM")?;
    }
    conn.close().map_err(|(_, e)| Error::Sqlite(e))?;

    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(tmp.path(), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io(tmp.path(), e))?;
    }
    tmp.persist(out_db)
        .map_err(|e| Error::io(out_db, e.error))?;
    if let Ok(dir) = std::fs::File::open(&parent) {
        // Make the rename durable; not all platforms/filesystems support this.
        let _ = dir.sync_all();
    }

    report.db_bytes = std::fs::metadata(out_db)
        .map_err(|e| Error::io(out_db, e))?
        .len();
    report.elapsed = started.elapsed();
    report.finish_elapsed = finish_started.elapsed();
    tracing::info!(
        affected_rows = report.affected_rows,
        vulnerabilities = report.vulnerabilities,
        bytes = report.db_bytes,
        elapsed_ms = report.elapsed.as_millis() as u64,
        "vulnerability DB built"
    );
    Ok(report)
}
