//! The lint crate's one error type: why one file could not be linted.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum LintError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {size} bytes, above the {limit}-byte limit for configuration files")]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{path}: not UTF-8 text")]
    NotText { path: PathBuf },
    #[error("{path}:{line}:{column}: Dockerfile parse error: {message}")]
    Dockerfile {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: YAML document at line {line}: {message}")]
    Yaml {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

pub type Result<T, E = LintError> = std::result::Result<T, E>;
