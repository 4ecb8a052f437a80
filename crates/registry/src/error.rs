//! The registry crate's one error type, and the registry's own JSON error body.

use serde::Deserialize;
use std::time::Duration;

/// Everything that can go wrong talking to a registry.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The image reference could not be parsed.
    #[error("invalid image reference {reference:?}: {reason}")]
    InvalidReference { reference: String, reason: String },

    /// The registry (or its token service) rejected our credentials, or wants credentials we
    /// do not have.
    #[error("registry {registry}: authentication failed: {message}")]
    Unauthorized { registry: String, message: String },

    /// Authenticated, but not allowed to do this (HTTP 403, `DENIED`, or a token without the
    /// scope asked for).
    #[error("registry {registry}: access denied: {message}")]
    Denied { registry: String, message: String },

    /// A blob, repository or tag list the registry does not have (HTTP 404).
    #[error("{what} not found{}", code_message(code, message))]
    NotFound {
        what: String,
        code: String,
        message: String,
    },

    /// The tag or digest asked for does not exist (HTTP 404 on a manifest; `code` is the
    /// registry's, usually `MANIFEST_UNKNOWN`, or `NAME_UNKNOWN` for an unknown repository).
    #[error("manifest unknown: {reference}{}", code_message(code, message))]
    ManifestUnknown {
        reference: String,
        code: String,
        message: String,
    },

    /// HTTP 429 after every retry, or a `Retry-After` longer than we are willing to wait.
    #[error(
        "registry {registry}: too many requests{}",
        retry_after_text(retry_after)
    )]
    TooManyRequests {
        registry: String,
        retry_after: Option<Duration>,
    },

    /// Content does not hash to the digest it was asked for by (or announced with).
    #[error("{digest}: the content does not match this digest (it hashes to {actual})")]
    DigestMismatch { digest: String, actual: String },

    /// A blob whose length is not the one its descriptor gives.
    #[error("blob {digest} is {actual} bytes, its descriptor says {expected}")]
    BlobSize {
        digest: String,
        expected: u64,
        actual: u64,
    },

    /// No manifest in the index for the platform asked for.
    #[error(
        "no image for platform {wanted}; available: {}",
        list_or_none(available)
    )]
    Platform {
        wanted: String,
        available: Vec<String>,
    },

    /// Any other HTTP error status; `code`/`message` come from the registry's JSON error
    /// body (`MANIFEST_UNKNOWN`, `NAME_UNKNOWN`, `UNAUTHORIZED`, `DENIED`,
    /// `TOOMANYREQUESTS`, `BLOB_UNKNOWN`, …) when it sent one.
    #[error("{url}: HTTP {status}{}", code_message(code, message))]
    Http {
        url: String,
        status: u16,
        code: String,
        message: String,
    },

    /// The connection failed (refused, reset, timed out, TLS) after any retries.
    #[error("{url}: {message}")]
    Transport { url: String, message: String },

    /// Redirects went on for longer than the limit (a loop).
    #[error("{url}: more than {limit} redirects")]
    TooManyRedirects { url: String, limit: usize },

    /// `/v2/_catalog` is not available (not allowed for these credentials, or not served).
    #[error("registry {registry}: the repository catalog is not available: {reason}")]
    CatalogUnavailable { registry: String, reason: String },

    /// The registry answered with something that is not what the protocol says.
    #[error("invalid {what}: {reason}")]
    InvalidResponse { what: String, reason: String },

    /// A manifest format Drydock does not read (Docker schema 1).
    #[error("unsupported {what}")]
    Unsupported { what: String },

    /// Reading credentials (docker config, credential helper) failed.
    #[error("credentials for {registry}: {message}")]
    Credentials { registry: String, message: String },

    /// A document is larger than the limit for its kind.
    #[error("{what} exceeds the limit of {limit} bytes")]
    TooLarge { what: String, limit: u64 },

    /// Building the image from the fetched manifest and config failed.
    #[error(transparent)]
    Image(#[from] drydock_image::ImageError),
}

impl Error {
    /// An authentication or authorisation failure (the CLI's exit code 3).
    pub fn is_auth(&self) -> bool {
        matches!(self, Error::Unauthorized { .. } | Error::Denied { .. })
    }

    /// A missing manifest, tag, repository or blob (HTTP 404).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Error::ManifestUnknown { .. }
                | Error::NotFound { .. }
                | Error::Http { status: 404, .. }
        )
    }

    /// The registry error carried inside an I/O error returned while streaming a blob
    /// (e.g. [`Error::DigestMismatch`] at the end of a corrupted blob).
    pub fn from_io(e: &std::io::Error) -> Option<&Error> {
        e.get_ref().and_then(|inner| inner.downcast_ref::<Error>())
    }

    pub(crate) fn into_io(self) -> std::io::Error {
        let kind = match self {
            Error::DigestMismatch { .. } | Error::BlobSize { .. } => {
                std::io::ErrorKind::InvalidData
            }
            _ => std::io::ErrorKind::Other,
        };
        std::io::Error::new(kind, self)
    }
}

fn code_message(code: &str, message: &str) -> String {
    match (code.is_empty(), message.is_empty()) {
        (true, true) => String::new(),
        (false, true) => format!(" ({code})"),
        (true, false) => format!(" ({message})"),
        (false, false) => format!(" ({code}: {message})"),
    }
}

fn retry_after_text(d: &Option<Duration>) -> String {
    match d {
        Some(d) => format!(" (the registry asks to retry after {} s)", d.as_secs()),
        None => String::new(),
    }
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One entry of the distribution spec's error body `{"errors":[{"code","message","detail"}]}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ErrorEntry {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    /// Free-form (an object, a string, a list or null, depending on the registry and code).
    #[serde(default)]
    pub detail: serde_json::Value,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

/// Parse a registry's error body. `None` when it is not the spec's JSON (a plain-text 404
/// page, an HTML error from a proxy, an empty body).
pub fn parse_error_body(body: &[u8]) -> Option<Vec<ErrorEntry>> {
    let parsed: ErrorBody = serde_json::from_slice(body).ok()?;
    if parsed.errors.is_empty() {
        None
    } else {
        Some(parsed.errors)
    }
}

/// `(code, message)` summarising an error body: the first entry's code, every entry's
/// message joined; for a non-JSON body its first line of text (bounded).
pub(crate) fn summarise_error_body(body: &[u8]) -> (String, String) {
    match parse_error_body(body) {
        Some(entries) => {
            let code = entries[0].code.clone();
            let message = entries
                .iter()
                .map(|e| e.message.as_str())
                .filter(|m| !m.is_empty())
                .collect::<Vec<_>>()
                .join("; ");
            (code, message)
        }
        None => {
            let text = String::from_utf8_lossy(body);
            let line = text.lines().map(str::trim).find(|l| !l.is_empty());
            let mut m = line.unwrap_or("").to_string();
            if m.len() > 200 {
                let mut cut = 200;
                while !m.is_char_boundary(cut) {
                    cut -= 1;
                }
                m.truncate(cut);
                m.push('…');
            }
            (String::new(), m)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bodies recorded from docker-registry 2.8.2 (Debian) on 127.0.0.1; the integration
    /// tests check the live ones too.
    #[test]
    fn recorded_docker_registry_bodies() {
        let unauthorized = br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository","Class":"","Name":"test/alpine","Action":"pull"}]}]}"#;
        let e = parse_error_body(unauthorized).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].code, "UNAUTHORIZED");
        assert_eq!(e[0].message, "authentication required");
        assert_eq!(e[0].detail[0]["Name"], "test/alpine");
        let no_detail = br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}"#;
        assert_eq!(
            parse_error_body(no_detail).unwrap()[0].detail,
            serde_json::Value::Null
        );
        let internal = br#"{"errors":[{"code":"UNKNOWN","message":"unknown error","detail":{"Path":"/docker/registry/v2/repositories/test/alpine/_manifests/tags/sha256:zz/current/link","DriverName":"filesystem"}}]}"#;
        assert_eq!(
            summarise_error_body(internal),
            ("UNKNOWN".to_string(), "unknown error".to_string())
        );
        let blob = br#"{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}]}"#;
        assert_eq!(
            summarise_error_body(blob),
            (
                "BLOB_UNKNOWN".to_string(),
                "blob unknown to registry".to_string()
            )
        );
        // several errors: the first code, every message
        let two = br#"{"errors":[{"code":"DENIED","message":"no"},{"code":"UNAUTHORIZED","message":"login"}]}"#;
        assert_eq!(
            summarise_error_body(two),
            ("DENIED".to_string(), "no; login".to_string())
        );
    }

    #[test]
    fn plain_text_bodies_give_their_first_line() {
        assert_eq!(
            summarise_error_body(b"404 page not found\n"),
            (String::new(), "404 page not found".to_string())
        );
        assert_eq!(summarise_error_body(b""), (String::new(), String::new()));
        assert_eq!(parse_error_body(b"{\"errors\":[]}"), None);
    }

    #[test]
    fn messages_name_code_and_message() {
        let e = Error::ManifestUnknown {
            reference: "127.0.0.1:5000/test/alpine:nope".into(),
            code: "MANIFEST_UNKNOWN".into(),
            message: "manifest unknown".into(),
        };
        assert_eq!(
            e.to_string(),
            "manifest unknown: 127.0.0.1:5000/test/alpine:nope (MANIFEST_UNKNOWN: manifest unknown)"
        );
        let p = Error::Platform {
            wanted: "linux/s390x".into(),
            available: vec!["linux/amd64".into(), "linux/arm64/v8".into()],
        };
        assert_eq!(
            p.to_string(),
            "no image for platform linux/s390x; available: linux/amd64, linux/arm64/v8"
        );
    }
}
