//! drydock-sign: image signatures and attestations compatible with cosign's key-based mode.
//!
//! * [`keys`]: ECDSA P-256 key pairs; cosign's encrypted private key PEM
//!   (`ENCRYPTED SIGSTORE PRIVATE KEY`: scrypt + NaCl secretbox over PKCS#8, password from
//!   `COSIGN_PASSWORD`) and PKIX public key PEM.
//! * [`payload`]: the simple-signing payload cosign signs (`critical.image.
//!   docker-manifest-digest`), signing and checking it.
//! * [`dsse`]: in-toto statements in DSSE envelopes (the `.att` attestations).
//! * [`oci`]: the registry layer: cosign's tag scheme (`sha256-<hex>.sig`,
//!   `sha256-<hex>.att`), pushing and verifying signature and attestation manifests.
//!
//! Everything but [`oci`] is pure functions over bytes.

pub mod dsse;
pub mod keys;
pub mod oci;
pub mod payload;

pub use dsse::{Envelope, Statement, VULN_PREDICATE_TYPE};
pub use keys::{KeyPair, PublicKey};
pub use oci::{
    Attestation, SignatureCheck, VerifiedSignature, attest, attestation_tag, sign, signature_tag,
    verify, verify_attestations,
};
pub use payload::SimpleSigning;

/// The crate's one error type.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// A key could not be read, decrypted or encoded.
    #[error("key: {0}")]
    Key(String),
    /// The password does not decrypt the private key.
    #[error("key: wrong password (the encrypted private key does not decrypt)")]
    WrongPassword,
    /// A signature, payload or envelope is malformed.
    #[error("invalid {what}: {reason}")]
    Invalid { what: String, reason: String },
    /// A signature does not verify with the key(s).
    #[error("{0}")]
    Verification(String),
    /// The image has no signatures / attestations.
    #[error("no {what} for {image} ({tag} not found)")]
    NotSigned {
        what: &'static str,
        image: String,
        tag: String,
    },
    /// Talking to the registry failed.
    #[error(transparent)]
    Registry(#[from] drydock_registry::Error),
}

pub type Result<T, E = SignError> = std::result::Result<T, E>;

pub(crate) fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}
