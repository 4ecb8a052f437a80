//! The minimum for writing to a registry: blob upload (existence check with `HEAD`, then
//! `POST` + monolithic `PUT`), manifest `PUT` by tag or digest, and fetching a manifest by
//! tag or digest as it is stored (no index resolution), a 404 being the typed
//! [`Error::ManifestUnknown`].

use crate::RegistryClient;
use crate::error::{Error, Result};
use crate::http::{ApiRequest, Payload, Subject, chain};
use crate::manifest::{MAX_MANIFEST, pull_scope};
use crate::reference::Reference;
use drydock_image::digest_hex;
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};
use std::io::Read;

/// A manifest as the registry stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredManifest {
    pub bytes: Vec<u8>,
    /// `Content-Type` of the response (or the document's own `mediaType`).
    pub media_type: String,
    /// sha256 of `bytes` (checked against the digest asked for, when one was).
    pub digest: String,
}

/// `sha256:<hex>` of some bytes.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn push_scope(reference: &Reference) -> String {
    format!("repository:{}:pull,push", reference.repository())
}

/// Accept header for [`RegistryClient::get_manifest`]: every manifest kind.
const ACCEPT_ANY: &str = "application/vnd.oci.image.manifest.v1+json, \
                          application/vnd.oci.image.index.v1+json, \
                          application/vnd.docker.distribution.manifest.v2+json, \
                          application/vnd.docker.distribution.manifest.list.v2+json";

impl RegistryClient {
    /// Does the repository of `reference` have this blob (`HEAD`)?
    pub fn blob_exists(&self, reference: &Reference, digest: &str) -> Result<bool> {
        digest_hex(digest)?;
        let req = ApiRequest {
            registry: reference.registry(),
            target: format!("/v2/{}/blobs/{digest}", reference.repository()),
            scope: pull_scope(reference),
            accept: None,
            range_from: None,
            subject: Subject::Other(format!("blob {digest} in {}", reference.name())),
        };
        match self.inner().send_with(&req, &Method::HEAD, None) {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            // HEAD has no body: a 404 without a JSON error is still "not there"
            Err(Error::Http { status: 404, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Upload a blob to the repository of `reference` unless it is there already. Returns
    /// its digest. Monolithic upload: `POST /blobs/uploads/`, then `PUT <location>?digest=`.
    pub fn push_blob(&self, reference: &Reference, data: &[u8]) -> Result<String> {
        let digest = sha256_digest(data);
        if self.blob_exists(reference, &digest)? {
            return Ok(digest);
        }
        let subject = || Subject::Other(format!("blob upload to {}", reference.name()));
        let start = ApiRequest {
            registry: reference.registry(),
            target: format!("/v2/{}/blobs/uploads/", reference.repository()),
            scope: push_scope(reference),
            accept: None,
            range_from: None,
            subject: subject(),
        };
        let resp = self.inner().send_with(
            &start,
            &Method::POST,
            Some(Payload::Bytes {
                data: &[],
                content_type: "application/octet-stream",
            }),
        )?;
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Error::InvalidResponse {
                what: format!("blob upload to {}", reference.name()),
                reason: "no Location header in the answer to POST /blobs/uploads/".into(),
            })?
            .to_string();
        let base = resp.url().clone();
        let mut url = base.join(&location).map_err(|e| Error::InvalidResponse {
            what: format!("blob upload to {}", reference.name()),
            reason: format!("bad Location {location:?}: {e}"),
        })?;
        url.query_pairs_mut().append_pair("digest", &digest);
        let put = ApiRequest {
            registry: reference.registry(),
            target: url.to_string(),
            scope: push_scope(reference),
            accept: None,
            range_from: None,
            subject: subject(),
        };
        let resp = self.inner().send_with(
            &put,
            &Method::PUT,
            Some(Payload::Bytes {
                data,
                content_type: "application/octet-stream",
            }),
        )?;
        if resp.status() != StatusCode::CREATED && !resp.status().is_success() {
            return Err(Error::InvalidResponse {
                what: format!("blob upload to {}", reference.name()),
                reason: format!("HTTP {}", resp.status().as_u16()),
            });
        }
        Ok(digest)
    }

    /// `PUT` a manifest under `tag_or_digest` in the repository of `reference`. Returns its
    /// digest (as computed here; a registry announcing another one is an error).
    pub fn put_manifest(
        &self,
        reference: &Reference,
        tag_or_digest: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<String> {
        let digest = sha256_digest(bytes);
        let req = ApiRequest {
            registry: reference.registry(),
            target: format!("/v2/{}/manifests/{tag_or_digest}", reference.repository()),
            scope: push_scope(reference),
            accept: None,
            range_from: None,
            subject: Subject::Manifest(format!("{}:{tag_or_digest}", reference.name())),
        };
        let resp = self.inner().send_with(
            &req,
            &Method::PUT,
            Some(Payload::Bytes {
                data: bytes,
                content_type: media_type,
            }),
        )?;
        if let Some(announced) = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            && announced.starts_with("sha256:")
            && announced != digest
        {
            return Err(Error::DigestMismatch {
                digest: announced.to_string(),
                actual: digest,
            });
        }
        Ok(digest)
    }

    /// GET the manifest `tag_or_digest` of `reference`'s repository as stored (an index
    /// stays an index). A missing tag is [`Error::ManifestUnknown`] (see
    /// [`Error::is_not_found`]).
    pub fn get_manifest(
        &self,
        reference: &Reference,
        tag_or_digest: &str,
    ) -> Result<StoredManifest> {
        let shown = if tag_or_digest.starts_with("sha256:") {
            format!("{}@{tag_or_digest}", reference.name())
        } else {
            format!("{}:{tag_or_digest}", reference.name())
        };
        let req = ApiRequest {
            registry: reference.registry(),
            target: format!("/v2/{}/manifests/{tag_or_digest}", reference.repository()),
            scope: pull_scope(reference),
            accept: Some(ACCEPT_ANY),
            range_from: None,
            subject: Subject::Manifest(shown.clone()),
        };
        let resp = self.inner().send(&req)?;
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|c| c.split(';').next().unwrap_or("").trim().to_string())
            .unwrap_or_default();
        let mut bytes = Vec::new();
        resp.take(MAX_MANIFEST + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::Transport {
                url: shown.clone(),
                message: format!("reading the manifest: {}", chain(&e)),
            })?;
        if bytes.len() as u64 > MAX_MANIFEST {
            return Err(Error::TooLarge {
                what: format!("manifest {shown}"),
                limit: MAX_MANIFEST,
            });
        }
        let digest = sha256_digest(&bytes);
        if tag_or_digest.starts_with("sha256:") && digest != tag_or_digest {
            return Err(Error::DigestMismatch {
                digest: tag_or_digest.to_string(),
                actual: digest,
            });
        }
        let media_type = if content_type.is_empty() || content_type == "application/json" {
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("mediaType")?.as_str().map(str::to_string))
                .unwrap_or(content_type)
        } else {
            content_type
        };
        Ok(StoredManifest {
            bytes,
            media_type,
            digest,
        })
    }

    /// A whole (small) blob, verified against its digest; at most `limit` bytes.
    pub fn read_blob(&self, reference: &Reference, digest: &str, limit: u64) -> Result<Vec<u8>> {
        let mut r = self.open_blob(reference, digest, 0)?;
        let mut out = Vec::new();
        (&mut r)
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| match Error::from_io(&e) {
                Some(Error::DigestMismatch { digest, actual }) => Error::DigestMismatch {
                    digest: digest.clone(),
                    actual: actual.clone(),
                },
                _ => Error::Transport {
                    url: format!("{}@{digest}", reference.name()),
                    message: chain(&e),
                },
            })?;
        if out.len() as u64 > limit {
            return Err(Error::TooLarge {
                what: format!("blob {digest}"),
                limit,
            });
        }
        Ok(out)
    }
}
