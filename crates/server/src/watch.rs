//! Registry at rest: watched repositories are polled for their tags, every digest the
//! server has not stored yet is pulled with the registry client (layers streamed, never
//! written out) and catalogued, and distribution-registry notifications (`push` events)
//! make a watched repository due at once.
//!
//! The registry side is the [`RegistrySource`] trait (blocking: the registry client is),
//! implemented for real registries by [`RegistryScanner`]; the engine runs it on the
//! blocking pool. Scans are `scan` jobs in the job table, so with several replicas each
//! digest is scanned once, by whichever replica claims it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::ImageMeta;
use drydock_inventory::Inventory;

/// What the server needs from a registry.
pub trait RegistrySource: Send + Sync + std::fmt::Debug {
    /// Every tag of `repository` (`host[:port]/path`).
    fn list_tags(&self, repository: &str, insecure: bool) -> Result<Vec<String>>;
    /// The manifest digest `reference` (`repository:tag` or `repository@digest`) resolves
    /// to: for an index, the digest of the platform manifest the scan would read.
    fn resolve(&self, reference: &str, insecure: bool) -> Result<String>;
    /// Pull and catalogue `reference`: image metadata (digest, repository, labels, layers,
    /// config user and ports, platform) and its inventory.
    fn scan(&self, reference: &str, insecure: bool) -> Result<(ImageMeta, Inventory)>;
}

/// [`RegistrySource`] for real registries through `drydock-registry`: credentials from the
/// Docker config / environment as the CLI takes them; `insecure` watches speak plain HTTP
/// (or TLS without verification) to their host.
#[derive(Debug, Clone, Default)]
pub struct RegistryScanner {
    /// Layers analysed at once per image.
    pub parallel: usize,
}

impl RegistryScanner {
    fn client(
        &self,
        reference: &drydock_registry::Reference,
        insecure: bool,
    ) -> Result<drydock_registry::RegistryClient> {
        let opts = drydock_registry::RegistryOptions {
            insecure_hosts: if insecure {
                vec![reference.registry().to_string()]
            } else {
                vec![]
            },
            env_credentials: true,
            parallel: self.parallel.max(1),
            ..Default::default()
        };
        drydock_registry::RegistryClient::new(&opts).map_err(registry_error)
    }
}

fn registry_error(e: impl std::fmt::Display) -> Error {
    Error::Registry(e.to_string())
}

fn parse_reference(text: &str) -> Result<drydock_registry::Reference> {
    drydock_registry::Reference::parse(text)
        .map_err(|e| Error::BadRequest(format!("{text}: not an image reference: {e}")))
}

impl RegistrySource for RegistryScanner {
    fn list_tags(&self, repository: &str, insecure: bool) -> Result<Vec<String>> {
        let r = parse_reference(repository)?;
        self.client(&r, insecure)?
            .list_tags(&r)
            .map_err(registry_error)
    }

    fn resolve(&self, reference: &str, insecure: bool) -> Result<String> {
        let r = parse_reference(reference)?;
        let m = self
            .client(&r, insecure)?
            .resolve_manifest(&r, None)
            .map_err(registry_error)?;
        Ok(m.manifest_digest)
    }

    fn scan(&self, reference: &str, insecure: bool) -> Result<(ImageMeta, Inventory)> {
        use drydock_image::{AnalyzeOptions, MergedView, analyze_image};
        let r = parse_reference(reference)?;
        let client = self.client(&r, insecure)?;
        let resolved = client.resolve(&r, None).map_err(registry_error)?;
        let image = client.image_from(&resolved).map_err(registry_error)?;
        let opts = AnalyzeOptions {
            parallelism: self.parallel,
            ..Default::default()
        };
        let layers = analyze_image(
            &image,
            &drydock_inventory::InventoryAnalyzer::image(),
            &opts,
            &|_, _| {},
        )
        .map_err(|e| Error::Registry(format!("{reference}: {e}")))?;
        let diff_ids: Vec<String> = layers.iter().map(|l| l.diff_id.clone()).collect();
        let view = MergedView::apply(layers);
        let inventory = drydock_inventory::build_inventory(&view, &diff_ids);
        let c = &image.config.config;
        let platform = resolved.resolved.platform.as_ref().map(|p| p.to_string());
        let meta = ImageMeta {
            digest: resolved.resolved.manifest_digest.clone(),
            repo: r.name(),
            tags: r.tag().map(|t| vec![t.to_string()]).unwrap_or_default(),
            labels: c.labels.clone(),
            layers: diff_ids,
            config_user: c.user.clone().filter(|u| !u.is_empty()),
            config_ports: c.exposed_ports.keys().cloned().collect(),
            platform,
        };
        Ok((meta, inventory))
    }
}

/// The payload of a `scan` job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanPayload {
    pub org_id: i64,
    pub watch_id: i64,
    /// The watched repository (`host[:port]/path`).
    pub repository: String,
    /// The manifest digest to scan.
    pub digest: String,
    /// Tags pointing at it when the job was queued.
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub insecure: bool,
}

/// What one poll of one watch found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollOutcome {
    pub watch_id: i64,
    pub repository: String,
    pub tags: usize,
    /// Distinct digests the tags point at.
    pub digests: usize,
    /// Scan jobs queued for digests not stored yet.
    pub queued: usize,
    /// Tags not resolved (their manifest vanished or failed) and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// A distribution-registry notification envelope (`application/vnd.docker.distribution.
/// events.v1+json`): only the fields the server uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope {
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub target: Target,
    #[serde(default)]
    pub request: EventRequest,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    #[serde(default)]
    pub media_type: String,
    #[serde(default)]
    pub digest: String,
    #[serde(default)]
    pub repository: String,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub url: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EventRequest {
    #[serde(default)]
    pub host: String,
}

/// Manifest media types a push event is about (blob pushes are ignored).
pub fn is_manifest_media_type(media_type: &str) -> bool {
    matches!(
        media_type,
        "application/vnd.oci.image.manifest.v1+json"
            | "application/vnd.oci.image.index.v1+json"
            | "application/vnd.docker.distribution.manifest.v2+json"
            | "application/vnd.docker.distribution.manifest.list.v2+json"
    )
}

/// Split a watched repository into (host, path): `127.0.0.1:5000/team/app` →
/// (`127.0.0.1:5000`, `team/app`).
pub fn split_repository(repository: &str) -> (&str, &str) {
    match repository.split_once('/') {
        Some((host, path)) if host.contains(['.', ':']) || host == "localhost" => (host, path),
        _ => ("", repository),
    }
}

/// The watch (of one org's `watches`: (id, repository, insecure)) a push event is about:
/// same repository path, and same host when the event names one that a watch uses (a
/// registry behind a proxy may report another host name: then a unique path match wins).
pub fn watch_for_event<'a>(
    watches: &'a [(i64, String, bool)],
    event: &Event,
) -> Option<&'a (i64, String, bool)> {
    let same_path: Vec<_> = watches
        .iter()
        .filter(|(_, repo, _)| split_repository(repo).1 == event.target.repository)
        .collect();
    if let Some(w) = same_path
        .iter()
        .find(|(_, repo, _)| split_repository(repo).0 == event.request.host)
    {
        return Some(w);
    }
    match same_path.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

/// Group tag → digest answers into digest → tags.
pub fn by_digest(resolved: &[(String, String)]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (tag, digest) in resolved {
        out.entry(digest.clone()).or_default().push(tag.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(repo: &str, host: &str) -> Event {
        serde_json::from_value(serde_json::json!({
            "action": "push",
            "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": "sha256:00", "repository": repo, "tag": "1.0"},
            "request": {"host": host}
        }))
        .unwrap()
    }

    #[test]
    fn events_find_their_watch_by_path_then_host() {
        let w = vec![
            (1, "127.0.0.1:5000/team/app".to_string(), true),
            (2, "registry.internal:443/team/app".to_string(), false),
            (3, "127.0.0.1:5000/team/other".to_string(), true),
        ];
        assert_eq!(
            watch_for_event(&w, &event("team/app", "127.0.0.1:5000")).map(|w| w.0),
            Some(1)
        );
        assert_eq!(
            watch_for_event(&w, &event("team/app", "registry.internal:443")).map(|w| w.0),
            Some(2)
        );
        // two watches share the path and the host is neither: ambiguous, ignored
        assert_eq!(watch_for_event(&w, &event("team/app", "proxy:80")), None);
        // one watch for the path: a proxy's host name still finds it
        assert_eq!(
            watch_for_event(&w, &event("team/other", "proxy:80")).map(|w| w.0),
            Some(3)
        );
        assert_eq!(
            watch_for_event(&w, &event("team/none", "127.0.0.1:5000")),
            None
        );
    }

    #[test]
    fn repositories_split_at_a_host_part() {
        assert_eq!(
            split_repository("127.0.0.1:5000/a/b"),
            ("127.0.0.1:5000", "a/b")
        );
        assert_eq!(split_repository("localhost/a"), ("localhost", "a"));
        assert_eq!(split_repository("team/app"), ("", "team/app"));
        assert!(is_manifest_media_type(
            "application/vnd.docker.distribution.manifest.v2+json"
        ));
        assert!(!is_manifest_media_type(
            "application/vnd.oci.image.layer.v1.tar+gzip"
        ));
    }

    #[test]
    fn tags_group_by_digest() {
        let g = by_digest(&[
            ("1.0".into(), "sha256:a".into()),
            ("latest".into(), "sha256:a".into()),
            ("0.9".into(), "sha256:b".into()),
        ]);
        assert_eq!(g["sha256:a"], vec!["1.0".to_string(), "latest".to_string()]);
        assert_eq!(g["sha256:b"], vec!["0.9".to_string()]);
    }
}
