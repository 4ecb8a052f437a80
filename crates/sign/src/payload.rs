//! cosign's simple-signing payload: what a key-based `cosign sign` signs.
//!
//! `{"critical":{"identity":{"docker-reference":"<registry/repo>"},"image":
//! {"docker-manifest-digest":"sha256:…"},"type":"cosign container image signature"},
//! "optional":null}` — the signature is ECDSA over these exact bytes (kept as pushed: the
//! verifier never re-serialises).

use crate::keys::{KeyPair, PublicKey};
use crate::{Result, SignError};
use serde::{Deserialize, Serialize};

pub const SIMPLE_SIGNING_TYPE: &str = "cosign container image signature";
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimpleSigning {
    pub critical: Critical,
    pub optional: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Critical {
    pub identity: Identity,
    pub image: ImageDigest,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    #[serde(rename = "docker-reference")]
    pub docker_reference: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageDigest {
    #[serde(rename = "docker-manifest-digest")]
    pub docker_manifest_digest: String,
}

impl SimpleSigning {
    /// The payload for `repository` (`registry/repo`, no tag) at `digest`, with optional
    /// annotations (`cosign sign -a k=v`).
    pub fn new(repository: &str, digest: &str, annotations: &[(String, String)]) -> Self {
        SimpleSigning {
            critical: Critical {
                identity: Identity {
                    docker_reference: repository.to_string(),
                },
                image: ImageDigest {
                    docker_manifest_digest: digest.to_string(),
                },
                kind: SIMPLE_SIGNING_TYPE.into(),
            },
            optional: (!annotations.is_empty()).then(|| {
                annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect()
            }),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// Sign a payload: returns the base64 signature for the layer annotation.
pub fn sign_payload(key: &KeyPair, payload: &[u8]) -> String {
    use base64::Engine;
    crate::b64().encode(key.sign(payload))
}

/// Check a payload and its base64 signature against `keys` and the digest it must name.
/// Returns the parsed payload and the index of the key that verified it.
pub fn verify_payload(
    payload: &[u8],
    signature_b64: &str,
    keys: &[PublicKey],
    expected_digest: &str,
) -> Result<(SimpleSigning, usize)> {
    use base64::Engine;
    let sig = crate::b64()
        .decode(signature_b64.trim())
        .map_err(|e| SignError::Invalid {
            what: "signature annotation".into(),
            reason: format!("not base64: {e}"),
        })?;
    let key_index = keys
        .iter()
        .position(|k| k.verify(payload, &sig).is_ok())
        .ok_or_else(|| {
            SignError::Verification(format!(
                "the signature does not verify with {}",
                if keys.len() == 1 {
                    "the key".to_string()
                } else {
                    format!("any of the {} keys", keys.len())
                }
            ))
        })?;
    let parsed: SimpleSigning =
        serde_json::from_slice(payload).map_err(|e| SignError::Invalid {
            what: "simple-signing payload".into(),
            reason: e.to_string(),
        })?;
    if parsed.critical.kind != SIMPLE_SIGNING_TYPE {
        return Err(SignError::Invalid {
            what: "simple-signing payload".into(),
            reason: format!("type {:?}", parsed.critical.kind),
        });
    }
    if parsed.critical.image.docker_manifest_digest != expected_digest {
        return Err(SignError::Verification(format!(
            "the signed payload is for {}, not {expected_digest}",
            parsed.critical.image.docker_manifest_digest
        )));
    }
    Ok((parsed, key_index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_bytes_are_cosigns_shape() {
        let p = SimpleSigning::new("127.0.0.1:5000/app", "sha256:abc", &[]);
        assert_eq!(
            String::from_utf8(p.to_bytes()).unwrap(),
            r#"{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/app"},"image":{"docker-manifest-digest":"sha256:abc"},"type":"cosign container image signature"},"optional":null}"#
        );
    }

    #[test]
    fn sign_and_verify_and_every_tamper_is_caught() {
        let k = KeyPair::generate().unwrap();
        let other = KeyPair::generate().unwrap();
        let p = SimpleSigning::new("r/app", "sha256:abc", &[]).to_bytes();
        let sig = sign_payload(&k, &p);
        let keys = [other.public_key(), k.public_key()];
        let (parsed, idx) = verify_payload(&p, &sig, &keys, "sha256:abc").unwrap();
        assert_eq!(idx, 1);
        assert_eq!(parsed.critical.identity.docker_reference, "r/app");
        // another digest
        let e = verify_payload(&p, &sig, &keys, "sha256:def").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the signed payload is for sha256:abc, not sha256:def"
        );
        // tampered payload
        let mut bad = p.clone();
        let i = bad.len() - 3;
        bad[i] = b'X';
        let e = verify_payload(&bad, &sig, &keys, "sha256:abc").unwrap_err();
        assert!(e.to_string().contains("does not verify"), "{e}");
        // wrong key only
        let e = verify_payload(&p, &sig, &[other.public_key()], "sha256:abc").unwrap_err();
        assert_eq!(e.to_string(), "the signature does not verify with the key");
    }
}
