//! The image crate's one error type.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a container image: {reason}")]
    NotAnImage { path: PathBuf, reason: String },
    #[error("{path}: malformed archive: {reason}")]
    MalformedArchive { path: PathBuf, reason: String },
    #[error("invalid {what}: {reason}")]
    InvalidJson { what: String, reason: String },
    #[error("blob {0} is referenced but not present in the image")]
    MissingBlob(String),
    #[error("invalid digest {0:?} (expected sha256:<64 hex digits>)")]
    BadDigest(String),
    #[error("blob {digest} does not match its digest (computed {actual})")]
    DigestMismatch { digest: String, actual: String },
    #[error("no image for platform {wanted}; available: {}", available.join(", "))]
    PlatformNotFound {
        wanted: String,
        available: Vec<String>,
    },
    #[error("image has {layers} layers but its config lists {diff_ids} diff_ids")]
    LayerCountMismatch { layers: usize, diff_ids: usize },
    #[error("layer {index} ({diff_id}): {reason}")]
    Layer {
        index: usize,
        diff_id: String,
        reason: String,
    },
    #[error(
        "layer {index}: uncompressed content is {actual} but the config says diff_id {expected}"
    )]
    DiffIdMismatch {
        index: usize,
        expected: String,
        actual: String,
    },
    #[error("{what} exceeds the limit of {limit} bytes")]
    TooLarge { what: String, limit: u64 },
}

pub type Result<T, E = ImageError> = std::result::Result<T, E>;

pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ImageError {
    let path = path.into();
    move |source| ImageError::Io { path, source }
}
