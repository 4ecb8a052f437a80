//! The registry layer: cosign's tag scheme. The signatures of `repo@sha256:<hex>` live in the
//! image `repo:sha256-<hex>.sig` (one layer per signature: the simple-signing payload, its
//! base64 signature in the `dev.cosignproject.cosign/signature` annotation); attestations in
//! `repo:sha256-<hex>.att` (one layer per DSSE envelope). Signing again appends a layer.

use crate::dsse::{DSSE_MEDIA_TYPE, Envelope, Statement};
use crate::keys::{KeyPair, PublicKey};
use crate::payload::{
    SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE, SimpleSigning, sign_payload, verify_payload,
};
use crate::{Result, SignError};
use drydock_registry::{Reference, RegistryClient, sha256_digest};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Signature and attestation layers above this are not read.
const MAX_LAYER: u64 = 16 << 20;
/// Signature images with more layers than this are refused.
const MAX_LAYERS: usize = 256;

/// `sha256-<hex>.sig`
pub fn signature_tag(digest: &str) -> String {
    format!("{}.sig", digest.replacen(':', "-", 1))
}

/// `sha256-<hex>.att`
pub fn attestation_tag(digest: &str) -> String {
    format!("{}.att", digest.replacen(':', "-", 1))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType")]
    media_type: String,
    size: u64,
    digest: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
    #[serde(rename = "mediaType", default)]
    media_type: String,
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

/// The digest `reference` names: its own digest, or the manifest (or index) its tag points to.
pub fn resolve_digest(client: &RegistryClient, reference: &Reference) -> Result<String> {
    if let Some(d) = reference.digest() {
        return Ok(d.to_string());
    }
    Ok(client
        .get_manifest(reference, reference.manifest_ref())?
        .digest)
}

/// The existing layers of a `.sig`/`.att` image (none when the tag does not exist).
fn existing_layers(
    client: &RegistryClient,
    repo: &Reference,
    tag: &str,
) -> Result<Vec<Descriptor>> {
    match client.get_manifest(repo, tag) {
        Ok(m) => {
            let parsed: Manifest =
                serde_json::from_slice(&m.bytes).map_err(|e| SignError::Invalid {
                    what: format!("manifest {}:{tag}", repo.name()),
                    reason: e.to_string(),
                })?;
            if parsed.layers.len() > MAX_LAYERS {
                return Err(SignError::Invalid {
                    what: format!("manifest {}:{tag}", repo.name()),
                    reason: format!("more than {MAX_LAYERS} layers"),
                });
            }
            Ok(parsed.layers)
        }
        Err(e) if e.is_not_found() => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// Push `layers` (their blobs already uploaded) as the image `repo:tag`, with cosign's
/// minimal config (one diffID per layer). Returns the manifest digest.
fn push_image(
    client: &RegistryClient,
    repo: &Reference,
    tag: &str,
    layers: Vec<Descriptor>,
) -> Result<String> {
    let config = serde_json::json!({
        "architecture": "",
        "config": {},
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"}],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.digest.clone()).collect::<Vec<_>>()},
    });
    let config_bytes = serde_json::to_vec(&config).unwrap_or_default();
    let config_digest = client.push_blob(repo, &config_bytes)?;
    let manifest = Manifest {
        schema_version: 2,
        media_type: OCI_MANIFEST.into(),
        config: Descriptor {
            media_type: OCI_CONFIG.into(),
            size: config_bytes.len() as u64,
            digest: config_digest,
            annotations: BTreeMap::new(),
        },
        layers,
    };
    let bytes = serde_json::to_vec(&manifest).unwrap_or_default();
    Ok(client.put_manifest(repo, tag, OCI_MANIFEST, &bytes)?)
}

/// What [`sign`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Signed {
    /// The signed image digest.
    pub digest: String,
    /// `registry/repo:sha256-<hex>.sig`
    pub signature_ref: String,
    /// Digest of the payload layer.
    pub payload_digest: String,
    /// base64 signature.
    pub signature: String,
}

/// `cosign sign --key`: sign the image `reference` names (by digest) and push the signature.
pub fn sign(
    client: &RegistryClient,
    reference: &Reference,
    key: &KeyPair,
    annotations: &[(String, String)],
) -> Result<Signed> {
    let digest = resolve_digest(client, reference)?;
    let payload = SimpleSigning::new(&reference.name(), &digest, annotations).to_bytes();
    let signature = sign_payload(key, &payload);
    let tag = signature_tag(&digest);
    let mut layers = existing_layers(client, reference, &tag)?;
    let payload_digest = client.push_blob(reference, &payload)?;
    let layer = Descriptor {
        media_type: SIMPLE_SIGNING_MEDIA_TYPE.into(),
        size: payload.len() as u64,
        digest: payload_digest.clone(),
        annotations: [(SIGNATURE_ANNOTATION.to_string(), signature.clone())]
            .into_iter()
            .collect(),
    };
    if !layers.contains(&layer) {
        layers.push(layer);
    }
    push_image(client, reference, &tag, layers)?;
    Ok(Signed {
        digest,
        signature_ref: format!("{}:{tag}", reference.name()),
        payload_digest,
        signature,
    })
}

/// One signature that verified.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifiedSignature {
    pub payload: SimpleSigning,
    /// Fingerprint of the key that verified it.
    pub key: String,
    pub layer_digest: String,
}

/// The outcome of [`verify`]: the digest checked, every signature that verified, and why each
/// other one did not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignatureCheck {
    pub digest: String,
    pub verified: Vec<VerifiedSignature>,
    pub rejected: Vec<String>,
}

/// `cosign verify --key`: the signatures of `reference` (resolved to a digest, or `digest`
/// when given) that verify with one of `keys`. An image without a `.sig` is
/// [`SignError::NotSigned`]; with signatures none of which verifies, a
/// [`SignError::Verification`] listing why.
pub fn verify(
    client: &RegistryClient,
    reference: &Reference,
    digest: Option<&str>,
    keys: &[PublicKey],
) -> Result<SignatureCheck> {
    let digest = match digest {
        Some(d) => d.to_string(),
        None => resolve_digest(client, reference)?,
    };
    let tag = signature_tag(&digest);
    let layers = match client.get_manifest(reference, &tag) {
        Ok(m) => {
            serde_json::from_slice::<Manifest>(&m.bytes)
                .map_err(|e| SignError::Invalid {
                    what: format!("signature manifest {}:{tag}", reference.name()),
                    reason: e.to_string(),
                })?
                .layers
        }
        Err(e) if e.is_not_found() => {
            return Err(SignError::NotSigned {
                what: "signatures",
                image: format!("{}@{digest}", reference.name()),
                tag,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let mut check = SignatureCheck {
        digest: digest.clone(),
        verified: Vec::new(),
        rejected: Vec::new(),
    };
    for l in layers.iter().take(MAX_LAYERS) {
        if l.media_type != SIMPLE_SIGNING_MEDIA_TYPE {
            continue;
        }
        let Some(sig) = l.annotations.get(SIGNATURE_ANNOTATION) else {
            check
                .rejected
                .push(format!("layer {}: no signature annotation", l.digest));
            continue;
        };
        let payload = match client.read_blob(reference, &l.digest, MAX_LAYER) {
            Ok(p) => p,
            Err(e) => {
                check.rejected.push(format!("layer {}: {e}", l.digest));
                continue;
            }
        };
        match verify_payload(&payload, sig, keys, &digest) {
            Ok((payload, i)) => check.verified.push(VerifiedSignature {
                payload,
                key: keys[i].fingerprint(),
                layer_digest: l.digest.clone(),
            }),
            Err(e) => check.rejected.push(format!("layer {}: {e}", l.digest)),
        }
    }
    if check.verified.is_empty() {
        return Err(SignError::Verification(if check.rejected.is_empty() {
            format!("{}:{tag} holds no simple-signing layer", reference.name())
        } else {
            format!(
                "no valid signature for {}@{digest}: {}",
                reference.name(),
                check.rejected.join("; ")
            )
        }));
    }
    Ok(check)
}

/// What [`attest`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Attested {
    pub digest: String,
    pub attestation_ref: String,
    pub envelope_digest: String,
}

/// `cosign attest --key --type <predicate type>`: a signed in-toto statement about the image
/// `reference` names, pushed as a DSSE layer of `sha256-<hex>.att`.
pub fn attest(
    client: &RegistryClient,
    reference: &Reference,
    key: &KeyPair,
    predicate_type: &str,
    predicate: serde_json::Value,
) -> Result<Attested> {
    let digest = resolve_digest(client, reference)?;
    let statement = Statement::new(&reference.name(), &digest, predicate_type, predicate);
    let envelope = Envelope::sign(&statement, key)?;
    let bytes = serde_json::to_vec(&envelope).unwrap_or_default();
    let tag = attestation_tag(&digest);
    let mut layers = existing_layers(client, reference, &tag)?;
    let envelope_digest = client.push_blob(reference, &bytes)?;
    layers.push(Descriptor {
        media_type: DSSE_MEDIA_TYPE.into(),
        size: bytes.len() as u64,
        digest: envelope_digest.clone(),
        annotations: [
            (SIGNATURE_ANNOTATION.to_string(), String::new()),
            ("predicateType".to_string(), predicate_type.to_string()),
        ]
        .into_iter()
        .collect(),
    });
    push_image(client, reference, &tag, layers)?;
    Ok(Attested {
        digest,
        attestation_ref: format!("{}:{tag}", reference.name()),
        envelope_digest,
    })
}

/// One attestation that verified.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attestation {
    pub statement: Statement,
    pub layer_digest: String,
}

/// `cosign verify-attestation --key [--type]`: the attestations of `reference` that verify
/// with one of `keys` (and have `predicate_type`, when given).
pub fn verify_attestations(
    client: &RegistryClient,
    reference: &Reference,
    keys: &[PublicKey],
    predicate_type: Option<&str>,
) -> Result<Vec<Attestation>> {
    let digest = resolve_digest(client, reference)?;
    let tag = attestation_tag(&digest);
    let m = match client.get_manifest(reference, &tag) {
        Ok(m) => m,
        Err(e) if e.is_not_found() => {
            return Err(SignError::NotSigned {
                what: "attestations",
                image: format!("{}@{digest}", reference.name()),
                tag,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let manifest: Manifest = serde_json::from_slice(&m.bytes).map_err(|e| SignError::Invalid {
        what: format!("attestation manifest {}:{tag}", reference.name()),
        reason: e.to_string(),
    })?;
    let mut out = Vec::new();
    let mut rejected = Vec::new();
    for l in manifest.layers.iter().take(MAX_LAYERS) {
        if l.media_type != DSSE_MEDIA_TYPE {
            continue;
        }
        let result = client
            .read_blob(reference, &l.digest, MAX_LAYER)
            .map_err(SignError::from)
            .and_then(|b| {
                serde_json::from_slice::<Envelope>(&b).map_err(|e| SignError::Invalid {
                    what: "DSSE envelope".into(),
                    reason: e.to_string(),
                })
            })
            .and_then(|env| env.verify(keys, &digest));
        match result {
            Ok(st) => {
                if predicate_type.is_none_or(|t| t == st.predicate_type) {
                    out.push(Attestation {
                        statement: st,
                        layer_digest: l.digest.clone(),
                    });
                }
            }
            Err(e) => rejected.push(format!("layer {}: {e}", l.digest)),
        }
    }
    if out.is_empty() {
        let mut why = format!(
            "no valid attestation{} for {}@{digest}",
            predicate_type
                .map(|t| format!(" of type {t}"))
                .unwrap_or_default(),
            reference.name()
        );
        if !rejected.is_empty() {
            why.push_str(&format!(": {}", rejected.join("; ")));
        }
        return Err(SignError::Verification(why));
    }
    Ok(out)
}

/// sha256 of bytes, re-exported for callers building payloads by hand (tests).
pub fn digest_of(bytes: &[u8]) -> String {
    sha256_digest(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_scheme() {
        let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(
            signature_tag(d),
            "sha256-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.sig"
        );
        assert!(attestation_tag(d).ends_with("abcdef.att"));
    }
}
