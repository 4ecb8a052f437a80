//! drydock-webhook: a Kubernetes admission webhook.
//!
//! * [`admission`]: AdmissionReview in and out; every container (regular, init, ephemeral)
//!   of Pods and of every kind embedding a pod template (Deployment, StatefulSet, DaemonSet,
//!   ReplicaSet, Job, CronJob, ReplicationController); JSONPatch pinning.
//! * [`decide`]: the decision per image: tag → digest, signature, scan summary (cached,
//!   looked up, or scanned on demand within a deadline), Rego policy
//!   (`data.drydock.admission.deny` / `warn`) under a time limit; the namespace's mode
//!   (enforce / warn / audit); caches with a TTL and a size bound.
//! * [`server`]: HTTPS (rustls, aws-lc-rs) with certificate reload.
//! * [`runtime`]: runtime inventory records to the Drydock server, fire-and-forget.
//!
//! The scanner is a trait ([`ImageScanner`]) so that this crate does not depend on the CLI;
//! [`registry::RegistryBackend`] resolves and verifies against real registries.

pub mod admission;
pub mod cache;
pub mod config;
pub mod decide;
pub mod registry;
pub mod runtime;
pub mod server;

pub use config::{Config, FailAction, Mode};
pub use decide::{
    ImageFacts, ImageResolver, ImageScanner, POLICY_PACKAGE, ScanSummary, SignatureChecker,
    SignatureResult, Webhook,
};
pub use runtime::{RuntimeRecord, RuntimeReporter};
pub use server::{TlsFiles, router, serve};

/// The crate's one error type.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("config: {0}")]
    Config(String),
    #[error(transparent)]
    Policy(#[from] drydock_policy::PolicyError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Load an admission policy (files or directories of `.rego`, package
/// `drydock.admission`).
pub fn load_policy<P: AsRef<std::path::Path>>(
    paths: &[P],
) -> Result<drydock_policy::RegoPolicy, WebhookError> {
    Ok(drydock_policy::RegoPolicy::load_package(
        paths,
        POLICY_PACKAGE,
    )?)
}
