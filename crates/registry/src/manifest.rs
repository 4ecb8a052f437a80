//! Resolving a reference to one image: manifest or index (→ platform) → manifest → config.
//! Every document is checked against the digest it was asked by and the one the registry
//! announces (`Docker-Content-Digest`).

use crate::RegistryClient;
use crate::blob::BlobReader;
use crate::error::{Error, Result};
use crate::http::{ApiRequest, Subject, chain};
use crate::reference::Reference;
use drydock_image::{Platform, digest_hex};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::io::Read;

pub const MEDIA_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const MEDIA_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const MEDIA_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const MEDIA_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const MEDIA_DOCKER_SCHEMA1: &[&str] = &[
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
];

/// The `Accept` header of manifest requests: indexes first, then single manifests.
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
                      application/vnd.docker.distribution.manifest.list.v2+json, \
                      application/vnd.oci.image.manifest.v1+json, \
                      application/vnd.docker.distribution.manifest.v2+json";

/// Manifests and indexes above this are refused (the spec's recommended registry limit).
pub(crate) const MAX_MANIFEST: u64 = 4 << 20;
/// Image configs above this are refused (as for configs read from archives).
pub(crate) const MAX_CONFIG: u64 = 16 << 20;
/// Indexes nested deeper than this are refused.
const MAX_DEPTH: usize = 4;

/// A reference resolved to one image manifest (no blob downloaded yet).
#[derive(Debug, Clone)]
pub struct ResolvedManifest {
    /// The reference asked for.
    pub reference: Reference,
    /// Digest of the platform manifest (verified).
    pub manifest_digest: String,
    /// Its media type (OCI manifest or Docker v2 schema 2).
    pub media_type: String,
    pub manifest: Vec<u8>,
    /// Digest of the index the reference named, when it named one.
    pub index_digest: Option<String>,
    /// The platform picked from the index (None for a single-platform reference).
    pub platform: Option<Platform>,
    /// The config descriptor (the image ID is `config_digest`).
    pub config_digest: String,
    pub config_size: u64,
}

impl ResolvedManifest {
    /// `registry/repository:tag` when the reference has a tag.
    pub fn repo_tags(&self) -> Vec<String> {
        match self.reference.tag() {
            Some(t) => vec![format!("{}:{t}", self.reference.name())],
            None => vec![],
        }
    }
}

/// A reference resolved to a manifest and its config: everything needed to make an
/// [`drydock_image::Image`].
#[derive(Debug, Clone)]
pub struct ResolvedImage {
    pub resolved: ResolvedManifest,
    /// The config JSON (verified against `resolved.config_digest`).
    pub config: Vec<u8>,
    pub repo_tags: Vec<String>,
}

impl ResolvedImage {
    pub fn manifest_digest(&self) -> &str {
        &self.resolved.manifest_digest
    }

    pub fn manifest(&self) -> &[u8] {
        &self.resolved.manifest
    }

    /// The image ID (`sha256:` of the config).
    pub fn image_id(&self) -> &str {
        &self.resolved.config_digest
    }
}

#[derive(Deserialize, Clone)]
struct DescPlatform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Deserialize, Clone)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    platform: Option<DescPlatform>,
}

#[derive(Deserialize)]
struct Document {
    #[serde(rename = "schemaVersion", default)]
    schema_version: Option<u32>,
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
}

#[derive(Deserialize, Default)]
struct ConfigPlatform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

/// A fetched manifest or index.
struct Fetched {
    bytes: Vec<u8>,
    media_type: String,
    digest: String,
    doc: Document,
}

impl Fetched {
    fn is_index(&self) -> bool {
        self.media_type == MEDIA_OCI_INDEX
            || self.media_type == MEDIA_DOCKER_LIST
            || (self.doc.manifests.is_some() && self.doc.config.is_none())
    }
}

pub(crate) fn pull_scope(reference: &Reference) -> String {
    format!("repository:{}:pull", reference.repository())
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// GET a manifest by tag or digest; verify it; parse enough of it to tell what it is.
fn fetch(client: &RegistryClient, reference: &Reference, by: &str) -> Result<Fetched> {
    let shown = if by.starts_with("sha256:") {
        format!("{}@{by}", reference.name())
    } else {
        reference.to_string()
    };
    let req = ApiRequest {
        registry: reference.registry(),
        target: format!("/v2/{}/manifests/{by}", reference.repository()),
        scope: pull_scope(reference),
        accept: Some(ACCEPT),
        range_from: None,
        subject: Subject::Manifest(shown.clone()),
    };
    // a broken body is fetched again: nothing was handed out yet
    let mut attempt = 0;
    let (bytes, content_type, announced) = loop {
        let resp = client.inner().send(&req)?;
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_string())
        };
        let content_type = header("content-type")
            .map(|c| c.split(';').next().unwrap_or("").trim().to_string())
            .unwrap_or_default();
        let announced = header("docker-content-digest");
        if let Some(len) = resp.content_length()
            && len > MAX_MANIFEST
        {
            return Err(Error::TooLarge {
                what: format!("manifest {shown}"),
                limit: MAX_MANIFEST,
            });
        }
        let mut bytes = Vec::new();
        match resp.take(MAX_MANIFEST + 1).read_to_end(&mut bytes) {
            Ok(_) => break (bytes, content_type, announced),
            Err(e) if attempt < client.inner().opts.max_retries => {
                tracing::warn!(manifest = %shown, error = %chain(&e), "manifest download broke; retrying");
                attempt += 1;
                std::thread::sleep(client.inner().opts.retry_base_delay);
            }
            Err(e) => {
                return Err(Error::Transport {
                    url: shown,
                    message: format!("reading the manifest: {}", chain(&e)),
                });
            }
        }
    };
    if bytes.len() as u64 > MAX_MANIFEST {
        return Err(Error::TooLarge {
            what: format!("manifest {shown}"),
            limit: MAX_MANIFEST,
        });
    }
    let digest = sha256_digest(&bytes);
    if by.starts_with("sha256:") && digest != by {
        return Err(Error::DigestMismatch {
            digest: by.to_string(),
            actual: digest,
        });
    }
    if let Some(a) = announced.filter(|a| a.starts_with("sha256:"))
        && a != digest
    {
        return Err(Error::DigestMismatch {
            digest: a,
            actual: digest,
        });
    }
    let doc: Document = serde_json::from_slice(&bytes).map_err(|e| Error::InvalidResponse {
        what: format!("manifest {shown}"),
        reason: e.to_string(),
    })?;
    let media_type = if content_type.is_empty()
        || content_type == "application/json"
        || content_type == "application/octet-stream"
    {
        doc.media_type.clone().unwrap_or_default()
    } else {
        content_type
    };
    if doc.schema_version == Some(1) || MEDIA_DOCKER_SCHEMA1.contains(&media_type.as_str()) {
        return Err(Error::Unsupported {
            what: format!(
                "manifest {shown}: Docker schema 1 (deprecated); push the image again with a \
                 current client"
            ),
        });
    }
    Ok(Fetched {
        bytes,
        media_type,
        digest,
        doc,
    })
}

/// One platform manifest listed by an index (possibly nested).
struct Candidate {
    digest: String,
    os: String,
    arch: String,
    variant: Option<String>,
    /// Already fetched while learning its platform.
    fetched: Option<Fetched>,
}

impl Candidate {
    fn label(&self) -> String {
        match &self.variant {
            Some(v) => format!("{}/{}/{v}", self.os, self.arch),
            None => format!("{}/{}", self.os, self.arch),
        }
    }
}

fn collect(
    client: &RegistryClient,
    reference: &Reference,
    index: &Fetched,
    depth: usize,
    out: &mut Vec<Candidate>,
) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::InvalidResponse {
            what: format!("image index {}", index.digest),
            reason: "indexes nested too deeply".into(),
        });
    }
    for d in index.doc.manifests.as_deref().unwrap_or_default() {
        digest_hex(&d.digest)?;
        if d.size > MAX_MANIFEST {
            return Err(Error::TooLarge {
                what: format!("manifest {}", d.digest),
                limit: MAX_MANIFEST,
            });
        }
        let nested = d.media_type == MEDIA_OCI_INDEX || d.media_type == MEDIA_DOCKER_LIST;
        if nested {
            let child = fetch(client, reference, &d.digest)?;
            if child.is_index() {
                collect(client, reference, &child, depth + 1, out)?;
                continue;
            }
        }
        match &d.platform {
            Some(p) => out.push(Candidate {
                digest: d.digest.clone(),
                os: p.os.clone(),
                arch: p.architecture.clone(),
                variant: p.variant.clone().filter(|v| !v.is_empty()),
                fetched: None,
            }),
            None => {
                // no platform in the descriptor: learn it from the manifest's config
                let child = fetch(client, reference, &d.digest)?;
                if child.is_index() {
                    collect(client, reference, &child, depth + 1, out)?;
                    continue;
                }
                let Some(cfg) = &child.doc.config else {
                    continue;
                };
                let bytes = read_blob(client, reference, &cfg.digest, cfg.size, MAX_CONFIG)?;
                let p: ConfigPlatform = serde_json::from_slice(&bytes).unwrap_or_default();
                out.push(Candidate {
                    digest: d.digest.clone(),
                    os: p.os,
                    arch: p.architecture,
                    variant: p.variant.filter(|v| !v.is_empty()),
                    fetched: Some(child),
                });
            }
        }
    }
    Ok(())
}

pub(crate) fn resolve_manifest(
    client: &RegistryClient,
    reference: &Reference,
    platform: Option<&Platform>,
) -> Result<ResolvedManifest> {
    let top = fetch(client, reference, reference.manifest_ref())?;
    let (chosen, index_digest, picked) = if top.is_index() {
        let mut cands = Vec::new();
        collect(client, reference, &top, 0, &mut cands)?;
        // attestation manifests (`unknown/unknown`) are not images
        cands.retain(|c| c.os != "unknown" && c.arch != "unknown");
        let wanted = platform.cloned().unwrap_or_default();
        let pos = cands
            .iter()
            .position(|c| wanted.matches(&c.os, &c.arch, c.variant.as_deref()))
            .or_else(|| {
                // nothing asked for and only one platform on offer: take it
                let mut labels: Vec<String> = cands.iter().map(Candidate::label).collect();
                labels.dedup();
                (platform.is_none() && labels.len() == 1).then_some(0)
            });
        let Some(pos) = pos else {
            let mut available: Vec<String> = Vec::new();
            for c in &cands {
                let l = c.label();
                if !available.contains(&l) {
                    available.push(l);
                }
            }
            return Err(Error::Platform {
                wanted: wanted.to_string(),
                available,
            });
        };
        let c = cands.swap_remove(pos);
        let picked = Platform {
            os: c.os.clone(),
            architecture: c.arch.clone(),
            variant: c.variant.clone(),
        };
        let m = match c.fetched {
            Some(f) => f,
            None => fetch(client, reference, &c.digest)?,
        };
        (m, Some(top.digest.clone()), Some(picked))
    } else {
        (top, None, None)
    };
    if chosen.is_index() {
        return Err(Error::InvalidResponse {
            what: format!("manifest {}", chosen.digest),
            reason: "an index where an image manifest was expected".into(),
        });
    }
    let config = chosen
        .doc
        .config
        .clone()
        .ok_or_else(|| Error::InvalidResponse {
            what: format!("manifest {}", chosen.digest),
            reason: "no config descriptor".into(),
        })?;
    digest_hex(&config.digest)?;
    Ok(ResolvedManifest {
        reference: reference.clone(),
        manifest_digest: chosen.digest,
        media_type: chosen.media_type,
        manifest: chosen.bytes,
        index_digest,
        platform: picked,
        config_digest: config.digest,
        config_size: config.size,
    })
}

/// A whole (small) blob, verified, at most `limit` bytes.
pub(crate) fn read_blob(
    client: &RegistryClient,
    reference: &Reference,
    digest: &str,
    size: u64,
    limit: u64,
) -> Result<Vec<u8>> {
    if size > limit {
        return Err(Error::TooLarge {
            what: format!("blob {digest}"),
            limit,
        });
    }
    let reader = BlobReader::open(client.clone(), reference, digest, size)?;
    let mut bytes = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| match e.into_inner() {
            Some(source) => match source.downcast::<Error>() {
                Ok(err) => *err,
                Err(other) => Error::Transport {
                    url: digest.to_string(),
                    message: chain(other.as_ref()),
                },
            },
            None => Error::Transport {
                url: digest.to_string(),
                message: "reading the blob failed".into(),
            },
        })?;
    if bytes.len() as u64 > limit {
        return Err(Error::TooLarge {
            what: format!("blob {digest}"),
            limit,
        });
    }
    Ok(bytes)
}

pub(crate) fn fetch_config(
    client: &RegistryClient,
    m: &ResolvedManifest,
    platform: Option<&Platform>,
) -> Result<Vec<u8>> {
    let bytes = read_blob(
        client,
        &m.reference,
        &m.config_digest,
        m.config_size,
        MAX_CONFIG,
    )?;
    if let Some(p) = platform
        && m.index_digest.is_none()
    {
        let c: ConfigPlatform =
            serde_json::from_slice(&bytes).map_err(|e| Error::InvalidResponse {
                what: format!("image config {}", m.config_digest),
                reason: e.to_string(),
            })?;
        if !c.os.is_empty() && !p.matches(&c.os, &c.architecture, c.variant.as_deref()) {
            let label = Platform {
                os: c.os,
                architecture: c.architecture,
                variant: c.variant.filter(|v| !v.is_empty()),
            };
            return Err(Error::Platform {
                wanted: p.to_string(),
                available: vec![label.to_string()],
            });
        }
    }
    Ok(bytes)
}
