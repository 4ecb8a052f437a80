//! The secrets crate's one error type.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// A rule or allow-list entry cannot be used (bad regex, duplicate id, empty keyword...).
    #[error("secret rule {id}: {reason}")]
    Rule { id: String, reason: String },
    /// A rule file or user config file could not be parsed.
    #[error("{origin}: {reason}")]
    Parse { origin: String, reason: String },
    /// A user config file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `disable` names a rule that does not exist (probably a typo).
    #[error("{origin}: cannot disable unknown rule {id:?}")]
    UnknownRule { origin: String, id: String },
    /// Reading the image failed.
    #[error(transparent)]
    Image(#[from] drydock_image::ImageError),
}

pub type Result<T> = std::result::Result<T, SecretsError>;
