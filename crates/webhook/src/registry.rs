//! Registry-backed [`ImageResolver`] and [`SignatureChecker`]: drydock-registry resolves
//! tags to digests (and reads the image config's user); drydock-sign verifies cosign
//! key-based signatures.

use crate::decide::{ImageFacts, ImageResolver, SignatureChecker, SignatureResult};
use drydock_registry::{Reference, RegistryClient};
use drydock_sign::PublicKey;

pub struct RegistryBackend {
    client: RegistryClient,
    keys: Vec<PublicKey>,
}

impl RegistryBackend {
    pub fn new(client: RegistryClient, keys: Vec<PublicKey>) -> RegistryBackend {
        RegistryBackend { client, keys }
    }
}

impl ImageResolver for RegistryBackend {
    fn resolve(&self, image: &str) -> Result<ImageFacts, String> {
        let reference = Reference::parse(image).map_err(|e| e.to_string())?;
        let r = self
            .client
            .resolve(&reference, None)
            .map_err(|e| e.to_string())?;
        let m = &r.resolved;
        let digest = m
            .index_digest
            .clone()
            .unwrap_or_else(|| m.manifest_digest.clone());
        let user = serde_json::from_slice::<serde_json::Value>(&r.config)
            .ok()
            .and_then(|c| {
                c.pointer("/config/User")
                    .and_then(|u| u.as_str())
                    .map(str::to_string)
            });
        Ok(ImageFacts { digest, user })
    }
}

impl SignatureChecker for RegistryBackend {
    fn check(&self, image: &str, digest: &str) -> SignatureResult {
        if self.keys.is_empty() {
            return SignatureResult {
                verified: false,
                reason: "no verification key configured".into(),
            };
        }
        let reference = match Reference::parse(image) {
            Ok(r) => r,
            Err(e) => {
                return SignatureResult {
                    verified: false,
                    reason: e.to_string(),
                };
            }
        };
        match drydock_sign::verify(&self.client, &reference, Some(digest), &self.keys) {
            Ok(check) => SignatureResult {
                verified: true,
                reason: format!(
                    "verified by key {}",
                    check.verified.first().map(|v| v.key.as_str()).unwrap_or("")
                ),
            },
            Err(e) => SignatureResult {
                verified: false,
                reason: e.to_string(),
            },
        }
    }
}
