//! in-toto statements in DSSE envelopes, as cosign's `attest` writes them.
//!
//! The signature is over the DSSE pre-authentication encoding
//! `"DSSEv1" SP len(type) SP type SP len(body) SP body`, never over the JSON envelope.

use crate::keys::{KeyPair, PublicKey};
use crate::{Result, SignError, b64};
use base64::Engine;
use serde::{Deserialize, Serialize};

pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
pub const DSSE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v0.1";
/// cosign's `--type vuln` predicate.
pub const VULN_PREDICATE_TYPE: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// base64 of the statement bytes.
    pub payload: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    #[serde(default)]
    pub keyid: String,
    pub sig: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: String,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub subject: Vec<Subject>,
    pub predicate: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    pub digest: std::collections::BTreeMap<String, String>,
}

/// DSSE's pre-authentication encoding.
pub fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

impl Statement {
    /// A statement about `repository@digest`.
    pub fn new(
        repository: &str,
        digest: &str,
        predicate_type: &str,
        predicate: serde_json::Value,
    ) -> Statement {
        let (algo, hex) = digest.split_once(':').unwrap_or(("sha256", digest));
        Statement {
            statement_type: STATEMENT_TYPE.into(),
            predicate_type: predicate_type.into(),
            subject: vec![Subject {
                name: repository.into(),
                digest: [(algo.to_string(), hex.to_string())].into_iter().collect(),
            }],
            predicate,
        }
    }

    /// Does one subject name this digest?
    pub fn names_digest(&self, digest: &str) -> bool {
        let (algo, hex) = digest.split_once(':').unwrap_or(("sha256", digest));
        self.subject
            .iter()
            .any(|s| s.digest.get(algo).is_some_and(|h| h == hex))
    }
}

impl Envelope {
    /// Sign a statement.
    pub fn sign(statement: &Statement, key: &KeyPair) -> Result<Envelope> {
        let body = serde_json::to_vec(statement).map_err(|e| SignError::Invalid {
            what: "statement".into(),
            reason: e.to_string(),
        })?;
        let sig = key.sign(&pae(IN_TOTO_PAYLOAD_TYPE, &body));
        Ok(Envelope {
            payload_type: IN_TOTO_PAYLOAD_TYPE.into(),
            payload: b64().encode(&body),
            signatures: vec![EnvelopeSignature {
                keyid: String::new(),
                sig: b64().encode(sig),
            }],
        })
    }

    /// Verify with any of `keys` and return the statement (which must name `digest`).
    pub fn verify(&self, keys: &[PublicKey], digest: &str) -> Result<Statement> {
        let invalid = |reason: String| SignError::Invalid {
            what: "DSSE envelope".into(),
            reason,
        };
        if self.payload_type != IN_TOTO_PAYLOAD_TYPE {
            return Err(invalid(format!("payload type {:?}", self.payload_type)));
        }
        let body = b64()
            .decode(&self.payload)
            .map_err(|e| invalid(format!("payload is not base64: {e}")))?;
        let message = pae(&self.payload_type, &body);
        let ok = self.signatures.iter().any(|s| {
            b64()
                .decode(&s.sig)
                .ok()
                .is_some_and(|sig| keys.iter().any(|k| k.verify(&message, &sig).is_ok()))
        });
        if !ok {
            return Err(SignError::Verification(
                "no signature of the attestation verifies with the key(s)".into(),
            ));
        }
        let st: Statement = serde_json::from_slice(&body)
            .map_err(|e| invalid(format!("payload is not an in-toto statement: {e}")))?;
        if !st.names_digest(digest) {
            return Err(SignError::Verification(format!(
                "the attestation's subject is not {digest}"
            )));
        }
        Ok(st)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_is_dsse_v1() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn envelope_round_trip_and_tampering() {
        let k = KeyPair::generate().unwrap();
        let st = Statement::new(
            "r/app",
            "sha256:abcd",
            VULN_PREDICATE_TYPE,
            serde_json::json!({"scanner": {"uri": "drydock"}}),
        );
        let env = Envelope::sign(&st, &k).unwrap();
        assert_eq!(env.verify(&[k.public_key()], "sha256:abcd").unwrap(), st);
        assert!(
            env.verify(&[k.public_key()], "sha256:ffff")
                .unwrap_err()
                .to_string()
                .contains("subject is not sha256:ffff")
        );
        let mut bad = env.clone();
        let mut st2 = st.clone();
        st2.predicate = serde_json::json!({"scanner": {"uri": "forged"}});
        bad.payload = b64().encode(serde_json::to_vec(&st2).unwrap());
        assert!(matches!(
            bad.verify(&[k.public_key()], "sha256:abcd"),
            Err(SignError::Verification(_))
        ));
    }
}
