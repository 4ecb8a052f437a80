//! ECDSA P-256 keys in cosign's formats.
//!
//! cosign's private key file is a PEM block labelled `ENCRYPTED SIGSTORE PRIVATE KEY` (older
//! releases: `ENCRYPTED COSIGN PRIVATE KEY`) whose body is JSON:
//! `{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"<b64>"},
//! "cipher":{"name":"nacl/secretbox","nonce":"<b64>"},"ciphertext":"<b64>"}` — the PKCS#8
//! DER of the key sealed with NaCl secretbox (XSalsa20-Poly1305) under the scrypt-derived key.
//! The public key is a PKIX `PUBLIC KEY` PEM.

use crate::{Result, SignError, b64};
use base64::Engine;
use crypto_secretbox::XSalsa20Poly1305;
use crypto_secretbox::aead::{Aead, KeyInit};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use serde::{Deserialize, Serialize};

pub const SIGSTORE_PRIVATE_KEY_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
pub const COSIGN_PRIVATE_KEY_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";
pub const PUBLIC_KEY_LABEL: &str = "PUBLIC KEY";
/// The environment variable cosign reads the key password from.
pub const PASSWORD_ENV: &str = "COSIGN_PASSWORD";

/// scrypt cost cosign uses (N = 2^15, r = 8, p = 1).
const SCRYPT_LOG_N: u8 = 15;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
/// Highest scrypt N accepted when reading (cosign writes 32768; 65536 is its "high" setting).
const MAX_SCRYPT_LOG_N: u8 = 16;

#[derive(Serialize, Deserialize)]
struct ScryptParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: ScryptParams,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

#[derive(Serialize, Deserialize)]
struct EncryptedKey {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

fn key_err(e: impl std::fmt::Display) -> SignError {
    SignError::Key(e.to_string())
}

fn random(n: usize) -> Result<Vec<u8>> {
    let mut v = vec![0u8; n];
    getrandom::fill(&mut v).map_err(|e| key_err(format!("no randomness: {e}")))?;
    Ok(v)
}

/// A PEM block: label and DER body. Headers are not allowed (cosign writes none).
pub fn pem_decode(text: &str) -> Result<(String, Vec<u8>)> {
    let mut lines = text.lines().map(str::trim).skip_while(|l| l.is_empty());
    let first = lines.next().unwrap_or("");
    let label = first
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or_else(|| key_err("not a PEM file (no -----BEGIN line)"))?
        .to_string();
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    let mut ended = false;
    for l in lines {
        if l == end {
            ended = true;
            break;
        }
        body.push_str(l);
    }
    if !ended {
        return Err(key_err(format!("PEM block {label:?} has no END line")));
    }
    let der = b64()
        .decode(body)
        .map_err(|e| key_err(format!("PEM block {label:?}: {e}")))?;
    Ok((label, der))
}

/// Encode a PEM block (64-character lines).
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let body = b64().encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn scrypt_key(password: &[u8], salt: &[u8], log_n: u8, r: u32, p: u32) -> Result<[u8; 32]> {
    let params = scrypt::Params::new(log_n, r, p).map_err(key_err)?;
    let mut out = [0u8; 32];
    scrypt::scrypt(password, salt, &params, &mut out).map_err(key_err)?;
    Ok(out)
}

/// A P-256 signing key.
#[derive(Clone)]
pub struct KeyPair {
    key: SigningKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("public", &self.public_key().to_pem().ok())
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    /// A new random key.
    pub fn generate() -> Result<KeyPair> {
        loop {
            let bytes = random(32)?;
            // a scalar of 0 or >= n is rejected; retry (probability ~2^-32)
            if let Ok(key) = SigningKey::from_slice(&bytes) {
                return Ok(KeyPair { key });
            }
        }
    }

    /// Read a private key PEM: cosign's encrypted format (either label), or an unencrypted
    /// PKCS#8 `PRIVATE KEY`.
    pub fn from_pem(text: &str, password: &[u8]) -> Result<KeyPair> {
        let (label, der) = pem_decode(text)?;
        match label.as_str() {
            SIGSTORE_PRIVATE_KEY_LABEL | COSIGN_PRIVATE_KEY_LABEL => {
                Self::from_encrypted_json(&der, password)
            }
            "PRIVATE KEY" => Self::from_pkcs8_der(&der),
            other => Err(key_err(format!(
                "unsupported private key PEM {other:?} (expected {SIGSTORE_PRIVATE_KEY_LABEL:?} \
                 or PRIVATE KEY)"
            ))),
        }
    }

    fn from_pkcs8_der(der: &[u8]) -> Result<KeyPair> {
        SigningKey::from_pkcs8_der(der)
            .map(|key| KeyPair { key })
            .map_err(|e| key_err(format!("not an ECDSA P-256 PKCS#8 key: {e}")))
    }

    fn from_encrypted_json(json: &[u8], password: &[u8]) -> Result<KeyPair> {
        let ek: EncryptedKey = serde_json::from_slice(json)
            .map_err(|e| key_err(format!("encrypted key body is not cosign's JSON: {e}")))?;
        if ek.kdf.name != "scrypt" {
            return Err(key_err(format!("unsupported KDF {:?}", ek.kdf.name)));
        }
        if ek.cipher.name != "nacl/secretbox" {
            return Err(key_err(format!("unsupported cipher {:?}", ek.cipher.name)));
        }
        let n = ek.kdf.params.n;
        if !n.is_power_of_two() || n < 2 {
            return Err(key_err(format!("scrypt N {n} is not a power of two")));
        }
        let log_n = n.trailing_zeros() as u8;
        if log_n > MAX_SCRYPT_LOG_N || ek.kdf.params.r > 32 || ek.kdf.params.p > 16 {
            return Err(key_err("scrypt parameters above the accepted cost"));
        }
        let salt = b64().decode(&ek.kdf.salt).map_err(key_err)?;
        let nonce = b64().decode(&ek.cipher.nonce).map_err(key_err)?;
        let ciphertext = b64().decode(&ek.ciphertext).map_err(key_err)?;
        if nonce.len() != 24 {
            return Err(key_err("secretbox nonce is not 24 bytes"));
        }
        let key = scrypt_key(password, &salt, log_n, ek.kdf.params.r, ek.kdf.params.p)?;
        let cipher = XSalsa20Poly1305::new_from_slice(&key).map_err(key_err)?;
        let nonce: [u8; 24] = nonce.as_slice().try_into().map_err(key_err)?;
        let der = cipher
            .decrypt(&crypto_secretbox::Nonce::from(nonce), ciphertext.as_slice())
            .map_err(|_| SignError::WrongPassword)?;
        Self::from_pkcs8_der(&der)
    }

    /// cosign's encrypted private key PEM (`ENCRYPTED SIGSTORE PRIVATE KEY`).
    pub fn to_encrypted_pem(&self, password: &[u8]) -> Result<String> {
        let der = self.key.to_pkcs8_der().map_err(key_err)?;
        let salt = random(32)?;
        let nonce: [u8; 24] = random(24)?.as_slice().try_into().map_err(key_err)?;
        let key = scrypt_key(password, &salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)?;
        let cipher = XSalsa20Poly1305::new_from_slice(&key).map_err(key_err)?;
        let ciphertext = cipher
            .encrypt(&crypto_secretbox::Nonce::from(nonce), der.as_bytes())
            .map_err(|_| key_err("secretbox encryption failed"))?;
        let ek = EncryptedKey {
            kdf: Kdf {
                name: "scrypt".into(),
                params: ScryptParams {
                    n: 1 << SCRYPT_LOG_N,
                    r: SCRYPT_R,
                    p: SCRYPT_P,
                },
                salt: b64().encode(&salt),
            },
            cipher: Cipher {
                name: "nacl/secretbox".into(),
                nonce: b64().encode(nonce),
            },
            ciphertext: b64().encode(&ciphertext),
        };
        let json = serde_json::to_vec(&ek).map_err(key_err)?;
        Ok(pem_encode(SIGSTORE_PRIVATE_KEY_LABEL, &json))
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            key: *self.key.verifying_key(),
        }
    }

    /// ECDSA P-256 over SHA-256 of `msg`, ASN.1 DER encoded (as cosign signs).
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let sig: Signature = self.key.sign(msg);
        sig.to_der().as_bytes().to_vec()
    }
}

/// A P-256 verification key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
}

impl PublicKey {
    /// A PKIX `PUBLIC KEY` PEM (cosign's `cosign.pub`).
    pub fn from_pem(text: &str) -> Result<PublicKey> {
        let (label, der) = pem_decode(text)?;
        if label != PUBLIC_KEY_LABEL {
            return Err(key_err(format!(
                "expected a {PUBLIC_KEY_LABEL:?} PEM, found {label:?}"
            )));
        }
        VerifyingKey::from_public_key_der(&der)
            .map(|key| PublicKey { key })
            .map_err(|e| key_err(format!("not an ECDSA P-256 public key: {e}")))
    }

    pub fn to_pem(&self) -> Result<String> {
        let der = self.key.to_public_key_der().map_err(key_err)?;
        Ok(pem_encode(PUBLIC_KEY_LABEL, der.as_bytes()))
    }

    /// Verify a DER (or raw 64-byte r‖s) ECDSA signature over `msg`.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<()> {
        let sig = match Signature::from_der(sig) {
            Ok(d) => d,
            Err(_) => Signature::from_slice(sig).map_err(|e| SignError::Invalid {
                what: "signature".into(),
                reason: format!("neither ASN.1 DER nor r||s: {e}"),
            })?,
        };
        self.key.verify(msg, &sig).map_err(|_| {
            SignError::Verification("the signature does not verify with the key".into())
        })
    }

    /// Short key id for messages: the first 8 bytes (hex) of sha256 of the PKIX DER.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        let der = self
            .key
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default();
        hex::encode(&sha2::Sha256::digest(&der)[..8])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypted_round_trip_and_wrong_password() {
        let k = KeyPair::generate().unwrap();
        let pem = k.to_encrypted_pem(b"pw").unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        let back = KeyPair::from_pem(&pem, b"pw").unwrap();
        assert_eq!(back.public_key(), k.public_key());
        assert!(matches!(
            KeyPair::from_pem(&pem, b"nope"),
            Err(SignError::WrongPassword)
        ));
        let sig = k.sign(b"hello");
        back.public_key().verify(b"hello", &sig).unwrap();
        assert!(back.public_key().verify(b"hellO", &sig).is_err());
        let pub_pem = k.public_key().to_pem().unwrap();
        assert!(pub_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert_eq!(PublicKey::from_pem(&pub_pem).unwrap(), k.public_key());
    }

    #[test]
    fn pem_errors_are_clear() {
        assert!(
            PublicKey::from_pem("hello")
                .unwrap_err()
                .to_string()
                .contains("not a PEM")
        );
        let k = KeyPair::generate().unwrap();
        let pem = k.to_encrypted_pem(b"").unwrap();
        assert!(
            PublicKey::from_pem(&pem)
                .unwrap_err()
                .to_string()
                .contains("expected a \"PUBLIC KEY\"")
        );
    }
}
