//! The server crate's one error type.

/// Everything that can go wrong in the server library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("vulnerability database: {0}")]
    VulnDb(#[from] drydock_vulndb::Error),
    #[error("matching: {0}")]
    Match(#[from] drydock_matcher::MatchError),
    #[error("SBOM: {0}")]
    Sbom(String),
    #[error("query: {0}")]
    Query(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("unauthorized")]
    Unauthorized,
    #[error("forbidden: the token lacks the {0} scope")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("not implemented: {0}")]
    NotImplemented(String),
    #[error("no vulnerability database yet: the first update has not finished")]
    NoVulnDb,
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("I/O on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("registry: {0}")]
    Registry(String),
    #[error("report: {0}")]
    Report(String),
    #[error("background task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
