//! drydock-registry: read images straight from an OCI / Docker registry (Distribution spec
//! v1.1, Docker Registry HTTP API v2), without a daemon.
//!
//! * [`Reference`]: `host[:port]/repo[:tag][@sha256:…]`, Docker Hub shorthand.
//! * [`RegistryClient`]: auth (anonymous, Basic, bearer token per scope; credentials from
//!   options, environment, `~/.docker/config.json` and credential helpers), retries with
//!   back-off honouring `Retry-After`, redirects with a limit.
//! * [`RegistryClient::resolve`]: tag or digest → (index → platform) → manifest + config,
//!   every document verified against its digest.
//! * [`RegistryClient::open_image`]: a [`drydock_image::Image`] whose layers stream from the
//!   registry through a [`BlobFetcher`] that verifies each blob's sha256 while streaming and
//!   resumes a broken download with a `Range` request.
//! * [`RegistryClient::list_tags`], [`RegistryClient::catalog`]: paginated listings.
//! * Writing (for signatures and attestations): [`RegistryClient::push_blob`],
//!   [`RegistryClient::put_manifest`], and [`RegistryClient::get_manifest`] (a manifest as
//!   stored; a missing tag is the typed [`Error::ManifestUnknown`]).
//!
//! Blocking I/O (reqwest's blocking client): the layer walker reads each layer on its own
//! worker thread.

mod auth;
mod blob;
mod catalog;
mod error;
mod http;
mod manifest;
mod push;
mod reference;

pub use auth::{Challenge, Credential, DockerConfig, ENV_PASSWORD, ENV_USERNAME, parse_challenges};
pub use blob::{BlobReader, RegistryBlobFetcher};
pub use error::{Error, ErrorEntry, Result, parse_error_body};
pub use http::parse_retry_after;
pub use manifest::{
    MEDIA_DOCKER_LIST, MEDIA_DOCKER_MANIFEST, MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST, ResolvedImage,
    ResolvedManifest,
};
pub use push::{StoredManifest, sha256_digest};
pub use reference::{DEFAULT_TAG, DOCKER_HUB, Reference, is_registry_host, normalise_registry};

use drydock_image::{BlobFetcher, Image, Platform};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How a [`RegistryClient`] connects and authenticates.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Registries (`host` or `host:port`) for which an invalid TLS certificate is accepted
    /// and plain HTTP is used when HTTPS does not answer (the CLI's `--insecure`). Empty by
    /// default: nothing is insecure unless asked.
    pub insecure_hosts: Vec<String>,
    /// Use plain HTTP for every registry, without trying HTTPS.
    pub plain_http: bool,
    /// Extra CA certificates (PEM files) to trust, e.g. a private registry's CA.
    pub ca_certs: Vec<PathBuf>,
    /// Explicit credentials, used for every registry (first in the order).
    pub username: Option<String>,
    pub password: Option<String>,
    /// Read [`ENV_USERNAME`] / [`ENV_PASSWORD`] (second in the order).
    pub env_credentials: bool,
    /// `~/.docker/config.json` (third: `credHelpers`, `credsStore`, `auths`).
    pub docker_config: DockerConfig,
    /// `PATH` searched for `docker-credential-<name>` helpers (None: the process's PATH).
    pub credential_helper_path: Option<OsString>,
    pub connect_timeout: Duration,
    /// Longest wait for the response head or for any one read of a body.
    pub read_timeout: Duration,
    /// Retries after the first attempt, for transient failures (429, 5xx, connection reset,
    /// timeouts) and for each broken blob download (resumed with `Range`).
    pub max_retries: u32,
    /// First back-off delay; doubled on each retry, capped at `max_backoff`.
    pub retry_base_delay: Duration,
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this is not waited for: the request fails with
    /// [`Error::TooManyRequests`] (or the HTTP error) at once.
    pub max_retry_wait: Duration,
    /// Redirects followed per request (blob downloads are often redirected to storage).
    pub max_redirects: usize,
    /// Entries asked for per page of a tag list or catalog (`?n=`).
    pub page_size: usize,
    /// Blob downloads running at once, across all images opened with this client.
    pub parallel: usize,
    pub user_agent: String,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            insecure_hosts: Vec::new(),
            plain_http: false,
            ca_certs: Vec::new(),
            username: None,
            password: None,
            env_credentials: true,
            docker_config: DockerConfig::Default,
            credential_helper_path: None,
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(60),
            max_retries: 4,
            retry_base_delay: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            max_retry_wait: Duration::from_secs(60),
            max_redirects: 10,
            page_size: 1000,
            parallel: std::thread::available_parallelism().map_or(4, |n| n.get().max(4)),
            user_agent: concat!("drydock/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// Counters since the client was made (for progress, tests and benchmarks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// HTTP requests sent (each redirect hop and token request counts).
    pub requests: u64,
    /// Requests repeated after a transient failure.
    pub retries: u64,
    pub tokens_fetched: u64,
    /// Blob downloads started (layers and configs).
    pub blobs_opened: u64,
    /// Blob bytes handed to readers.
    pub blob_bytes: u64,
    /// Broken blob downloads resumed with a `Range` request.
    pub resumes: u64,
}

/// A registry client. Cheap to clone (shared connection pool, token cache and credentials).
#[derive(Clone)]
pub struct RegistryClient {
    inner: Arc<http::Inner>,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("insecure_hosts", &self.inner.opts.insecure_hosts)
            .field("plain_http", &self.inner.opts.plain_http)
            .finish_non_exhaustive()
    }
}

impl RegistryClient {
    pub fn new(opts: &RegistryOptions) -> Result<RegistryClient> {
        Ok(RegistryClient {
            inner: Arc::new(http::Inner::new(opts)?),
        })
    }

    pub fn stats(&self) -> Stats {
        self.inner.stats()
    }

    /// Resolve a reference to one image's manifest without downloading any blob: the
    /// manifest (or index, then the platform's manifest), each verified against its digest.
    /// `platform`: `None` takes `linux/amd64` from an index when it has it, else its only
    /// platform; a single-platform manifest is taken as it is.
    pub fn resolve_manifest(
        &self,
        reference: &Reference,
        platform: Option<&Platform>,
    ) -> Result<ResolvedManifest> {
        manifest::resolve_manifest(self, reference, platform)
    }

    /// The image config of a resolved manifest (a blob, verified against its digest). With an
    /// explicit platform, a single-platform image whose config names another platform is an
    /// [`Error::Platform`].
    pub fn fetch_config(
        &self,
        resolved: &ResolvedManifest,
        platform: Option<&Platform>,
    ) -> Result<Vec<u8>> {
        manifest::fetch_config(self, resolved, platform)
    }

    /// [`Self::resolve_manifest`] and [`Self::fetch_config`].
    pub fn resolve(
        &self,
        reference: &Reference,
        platform: Option<&Platform>,
    ) -> Result<ResolvedImage> {
        let m = self.resolve_manifest(reference, platform)?;
        let config = self.fetch_config(&m, platform)?;
        Ok(ResolvedImage {
            repo_tags: m.repo_tags(),
            config,
            resolved: m,
        })
    }

    /// Streams the blobs of `reference`'s repository, verified (see [`BlobReader`]).
    pub fn blob_fetcher(&self, reference: &Reference) -> Arc<dyn BlobFetcher> {
        Arc::new(RegistryBlobFetcher::new(self.clone(), reference.clone()))
    }

    /// An [`Image`] from an already resolved image (its layers stream from the registry).
    pub fn image_from(&self, resolved: &ResolvedImage) -> Result<Image> {
        let m = &resolved.resolved;
        Ok(Image::from_manifest(
            &m.reference.to_string(),
            resolved.repo_tags.clone(),
            &m.manifest_digest,
            &m.manifest,
            &resolved.config,
            self.blob_fetcher(&m.reference),
        )?)
    }

    /// Resolve `reference` and open it as an [`Image`] whose layers stream from the registry.
    pub fn open_image(&self, reference: &Reference, platform: Option<&Platform>) -> Result<Image> {
        let r = self.resolve(reference, platform)?;
        self.image_from(&r)
    }

    /// Open one blob of `reference`'s repository for streaming, verified against `digest`
    /// (and `size`, when not 0) while it is read.
    pub fn open_blob(&self, reference: &Reference, digest: &str, size: u64) -> Result<BlobReader> {
        BlobReader::open(self.clone(), reference, digest, size)
    }

    /// Every tag of `repository`'s repository (its tag and digest are ignored), following
    /// the registry's pagination.
    pub fn list_tags(&self, repository: &Reference) -> Result<Vec<String>> {
        catalog::list_tags(&self.inner, repository)
    }

    /// Every repository of a registry (`/v2/_catalog`, paginated). Registries that do not
    /// serve it, or not to these credentials, give [`Error::CatalogUnavailable`].
    pub fn catalog(&self, registry: &str) -> Result<Vec<String>> {
        catalog::catalog(&self.inner, &normalise_registry(registry))
    }

    pub(crate) fn inner(&self) -> &http::Inner {
        &self.inner
    }
}
