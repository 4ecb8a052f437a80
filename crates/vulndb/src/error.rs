//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while building, updating or reading the vulnerability DB.
///
/// Errors about input data always name the file (or URL) they come from.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `Db::open` was given a path with no file.
    #[error("vulnerability DB not found at {0} (run the DB update or build first)")]
    DbNotFound(PathBuf),

    /// The file is a Drydock DB of another schema version.
    #[error(
        "vulnerability DB {path} has schema version {found}, this build expects {expected}: rebuild it"
    )]
    SchemaMismatch {
        /// The DB file.
        path: PathBuf,
        /// The version stored in the file.
        found: String,
        /// [`crate::SCHEMA_VERSION`].
        expected: u32,
    },

    /// The file is not a Drydock vulnerability DB at all.
    #[error("{path} is not a Drydock vulnerability DB: {reason}")]
    NotADb {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },

    /// An SQLite error.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// An I/O error on a named file or folder.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A feed file that cannot be read as a whole (truncated, corrupt, wrong format).
    #[error("feed file {}: {msg}", path.display())]
    Feed {
        /// The feed file.
        path: PathBuf,
        /// What is wrong with it.
        msg: String,
    },

    /// The feed folder holds none of the feeds `build` knows.
    #[error("feed folder {} holds no feed this build can read", .0.display())]
    NoFeeds(PathBuf),

    /// The server answered with a non-success HTTP status.
    #[error("HTTP {status} from {url}")]
    HttpStatus {
        /// The URL requested.
        url: String,
        /// The HTTP status code.
        status: u16,
    },

    /// The request failed (connection, TLS, timeout, body read).
    #[error("download of {url} failed: {source}")]
    Http {
        /// The URL requested.
        url: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// The download exceeded [`crate::UpdateOptions::max_download_bytes`].
    #[error("download of {url} exceeds the size cap of {limit} bytes")]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The cap in bytes.
        limit: u64,
    },

    /// A downloaded file failed validation before it replaced the previous copy.
    #[error("download of {url} is not a valid feed file: {msg}")]
    BadDownload {
        /// The URL requested.
        url: String,
        /// What is wrong with it.
        msg: String,
    },

    /// An option value that cannot be used (e.g. a branch name with a `/`).
    #[error("invalid option: {0}")]
    InvalidOption(String),

    /// A value read back from the DB is not what the builder writes (the file was altered).
    #[error("corrupt row in the vulnerability DB: {0}")]
    Corrupt(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn feed(path: impl Into<PathBuf>, msg: impl std::fmt::Display) -> Self {
        Error::Feed {
            path: path.into(),
            msg: msg.to_string(),
        }
    }
}
