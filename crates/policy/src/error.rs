//! The crate's one error type.

use crate::diag::Diagnostic;
use std::path::PathBuf;

pub type Result<T, E = PolicyError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A policy file has errors; every diagnostic (errors and warnings) found is listed.
    #[error("{file}: invalid policy: {}", summarize(.diagnostics))]
    Invalid {
        file: String,
        diagnostics: Vec<Diagnostic>,
    },
    /// A VEX document cannot be used at all (not JSON, not OpenVEX).
    #[error("{file}: invalid VEX document: {message}")]
    Vex { file: String, message: String },
    /// A Rego policy failed to load or to evaluate (syntax error, runtime error, time limit).
    #[error("rego: {0}")]
    Rego(String),
    /// An input is larger than the loaders accept.
    #[error("{path}: {size} bytes is larger than the limit of {limit} bytes")]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
}

fn summarize(diags: &[Diagnostic]) -> String {
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| match (d.line, d.column) {
            (Some(l), Some(c)) => format!("{l}:{c}: {}", d.message),
            _ => d.message.clone(),
        })
        .collect();
    match errors.len() {
        0 => "no errors".to_string(),
        1 => errors[0].clone(),
        n => format!("{n} errors, first: {}", errors[0]),
    }
}

impl PolicyError {
    /// The diagnostics of an [`PolicyError::Invalid`] policy (empty for other errors).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            PolicyError::Invalid { diagnostics, .. } => diagnostics,
            _ => &[],
        }
    }
}
