//! Signatures and attestations against a REAL registry (Debian's docker-registry on
//! 127.0.0.1, images pushed with skopeo), cross-checked with an independent implementation:
//! the `sigstore` crate's cosign client fetches our `.sig` image from the registry and its
//! `PublicKeyVerifier` accepts it; sigstore reads our encrypted key PEM and we read its.

#[path = "../../registry/tests/common/mod.rs"]
mod reg;

use drydock_registry::{Reference, RegistryClient};
use drydock_sign::payload::SIGNATURE_ANNOTATION;
use drydock_sign::{KeyPair, SignError, VULN_PREDICATE_TYPE, oci};

fn client() -> RegistryClient {
    RegistryClient::new(&reg::opts()).unwrap()
}

fn pushed(registry: &reg::Registry, tag: &str) -> (Reference, String) {
    let built = reg::alpine_archive();
    let digest = registry.push_archive(&built.path, tag);
    (Reference::parse(&registry.reference(tag)).unwrap(), digest)
}

/// sigstore's cosign client: triangulate the `.sig` image, read its layers, verify with the
/// PEM public key. Returns the digests named by the verified payloads.
fn sigstore_verify(image: &str, public_pem: &str) -> Result<Vec<String>, String> {
    use sigstore::cosign::verification_constraint::{PublicKeyVerifier, VerificationConstraintVec};
    use sigstore::cosign::{ClientBuilder, CosignCapabilities, verify_constraints};
    use sigstore::crypto::SigningScheme;
    use sigstore::registry::{Auth, ClientConfig, ClientProtocol, OciReference};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut client = ClientBuilder::default()
            .with_oci_client_config(ClientConfig {
                protocol: ClientProtocol::Http,
                ..Default::default()
            })
            .build()
            .map_err(|e| e.to_string())?;
        let image: OciReference = image.parse().map_err(|e| format!("{e:?}"))?;
        let layers = client
            .trusted_signature_layers(&Auth::Anonymous, &image)
            .await
            .map_err(|e| e.to_string())?;
        let verifier = PublicKeyVerifier::new(public_pem.as_bytes(), &SigningScheme::default())
            .map_err(|e| e.to_string())?;
        let constraints: VerificationConstraintVec = vec![Box::new(verifier)];
        verify_constraints(&layers, constraints.iter()).map_err(|e| {
            format!(
                "{} unsatisfied constraint(s)",
                e.unsatisfied_constraints.len()
            )
        })?;
        Ok(layers
            .iter()
            .map(|l| {
                l.simple_signing
                    .critical
                    .image
                    .docker_manifest_digest
                    .clone()
            })
            .collect())
    })
}

#[test]
fn sign_then_verify_and_sigstore_accepts_our_signature() {
    let registry = reg::Registry::start(reg::Auth::None);
    let (reference, digest) = pushed(&registry, "test/app:1.0");
    let c = client();
    let key = KeyPair::generate().unwrap();
    let public_pem = key.public_key().to_pem().unwrap();

    // before signing: a typed "not signed"
    match oci::verify(&c, &reference, None, &[key.public_key()]) {
        Err(SignError::NotSigned { tag, .. }) => {
            assert_eq!(tag, oci::signature_tag(&digest))
        }
        other => panic!("{other:?}"),
    }
    let signed = oci::sign(&c, &reference, &key, &[]).unwrap();
    assert_eq!(signed.digest, digest);
    assert_eq!(
        signed.signature_ref,
        format!("{}/test/app:{}", registry.host, oci::signature_tag(&digest))
    );
    let check = oci::verify(&c, &reference, None, &[key.public_key()]).unwrap();
    assert_eq!(check.digest, digest);
    assert_eq!(check.verified.len(), 1);
    assert_eq!(
        check.verified[0].payload.critical.identity.docker_reference,
        format!("{}/test/app", registry.host)
    );
    // by digest too
    let by_digest = Reference::parse(&format!("{}/test/app@{digest}", registry.host)).unwrap();
    assert_eq!(
        oci::verify(&c, &by_digest, None, &[key.public_key()])
            .unwrap()
            .verified
            .len(),
        1
    );
    // the independent verifier accepts it, for the right digest
    let names = sigstore_verify(&registry.reference("test/app:1.0"), &public_pem).unwrap();
    assert_eq!(names, vec![digest.clone()]);
    // ... and rejects it with another key
    let other = KeyPair::generate().unwrap();
    let err = sigstore_verify(
        &registry.reference("test/app:1.0"),
        &other.public_key().to_pem().unwrap(),
    )
    .unwrap_err();
    assert!(err.contains("unsatisfied"), "{err}");
    let e = oci::verify(&c, &reference, None, &[other.public_key()]).unwrap_err();
    assert!(
        e.to_string().contains("does not verify with the key"),
        "{e}"
    );

    // signing twice with a second key appends a layer; both verify
    oci::sign(&c, &reference, &other, &[]).unwrap();
    let both = oci::verify(
        &c,
        &reference,
        None,
        &[key.public_key(), other.public_key()],
    )
    .unwrap();
    assert_eq!(both.verified.len(), 2);
    // re-signing with the same key is idempotent? ECDSA signatures are randomised: a new layer
    let sig_manifest = c
        .get_manifest(&reference, &oci::signature_tag(&digest))
        .unwrap();
    let m: serde_json::Value = serde_json::from_slice(&sig_manifest.bytes).unwrap();
    assert_eq!(m["layers"].as_array().unwrap().len(), 2);
    assert_eq!(
        m["layers"][0]["mediaType"],
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
}

#[test]
fn tampered_signature_or_payload_is_rejected_with_a_reason() {
    let registry = reg::Registry::start(reg::Auth::None);
    let (reference, digest) = pushed(&registry, "test/tamper:1");
    let c = client();
    let key = KeyPair::generate().unwrap();
    let signed = oci::sign(&c, &reference, &key, &[]).unwrap();
    let tag = oci::signature_tag(&digest);
    let original = c.get_manifest(&reference, &tag).unwrap();
    let mut m: serde_json::Value = serde_json::from_slice(&original.bytes).unwrap();

    // 1. a flipped signature byte
    let mut sig = base64_decode(&signed.signature);
    let last = sig.len() - 1;
    sig[last] ^= 1;
    m["layers"][0]["annotations"][SIGNATURE_ANNOTATION] = base64_encode(&sig).into();
    c.put_manifest(
        &reference,
        &tag,
        &original.media_type,
        &serde_json::to_vec(&m).unwrap(),
    )
    .unwrap();
    let e = oci::verify(&c, &reference, None, &[key.public_key()]).unwrap_err();
    assert!(
        e.to_string().contains("does not verify"),
        "tampered signature: {e}"
    );
    assert!(
        sigstore_verify(
            &registry.reference("test/tamper:1"),
            &key.public_key().to_pem().unwrap()
        )
        .is_err()
    );

    // 2. a payload naming another digest (signature kept)
    let forged = drydock_sign::SimpleSigning::new(
        &reference.name(),
        "sha256:1111111111111111111111111111111111111111111111111111111111111111",
        &[],
    )
    .to_bytes();
    let forged_digest = c.push_blob(&reference, &forged).unwrap();
    let mut m2: serde_json::Value = serde_json::from_slice(&original.bytes).unwrap();
    m2["layers"][0]["digest"] = forged_digest.into();
    m2["layers"][0]["size"] = forged.len().into();
    c.put_manifest(
        &reference,
        &tag,
        &original.media_type,
        &serde_json::to_vec(&m2).unwrap(),
    )
    .unwrap();
    let e = oci::verify(&c, &reference, None, &[key.public_key()]).unwrap_err();
    assert!(
        e.to_string().contains("does not verify"),
        "tampered payload: {e}"
    );

    // 3. a payload for another digest, validly signed by the key: names the mismatch
    let sig3 = drydock_sign::payload::sign_payload(&key, &forged);
    m2["layers"][0]["annotations"][SIGNATURE_ANNOTATION] = sig3.into();
    c.put_manifest(
        &reference,
        &tag,
        &original.media_type,
        &serde_json::to_vec(&m2).unwrap(),
    )
    .unwrap();
    let e = oci::verify(&c, &reference, None, &[key.public_key()]).unwrap_err();
    assert!(
        e.to_string().contains(&format!(
            "the signed payload is for sha256:1111111111111111111111111111111111111111111111111111111111111111, not {digest}"
        )),
        "{e}"
    );

    // restoring the original manifest verifies again
    c.put_manifest(&reference, &tag, &original.media_type, &original.bytes)
        .unwrap();
    assert!(oci::verify(&c, &reference, None, &[key.public_key()]).is_ok());
}

#[test]
fn attestation_round_trip_and_type_filter() {
    let registry = reg::Registry::start(reg::Auth::None);
    let (reference, digest) = pushed(&registry, "test/att:1");
    let c = client();
    let key = KeyPair::generate().unwrap();
    let predicate = serde_json::json!({
        "scanner": {"uri": "drydock", "version": "0.1.0", "result": {"summary": {"findings": 56}}}
    });
    let att = oci::attest(&c, &reference, &key, VULN_PREDICATE_TYPE, predicate.clone()).unwrap();
    assert_eq!(att.digest, digest);
    let got = oci::verify_attestations(
        &c,
        &reference,
        &[key.public_key()],
        Some(VULN_PREDICATE_TYPE),
    )
    .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].statement.predicate, predicate);
    assert_eq!(
        got[0].statement.subject[0].digest["sha256"],
        digest.trim_start_matches("sha256:")
    );
    // the layer is a DSSE envelope whose signature sigstore's verification key accepts over PAE
    let m: serde_json::Value = serde_json::from_slice(
        &c.get_manifest(&reference, &oci::attestation_tag(&digest))
            .unwrap()
            .bytes,
    )
    .unwrap();
    assert_eq!(
        m["layers"][0]["mediaType"],
        "application/vnd.dsse.envelope.v1+json"
    );
    assert_eq!(
        m["layers"][0]["annotations"]["predicateType"],
        VULN_PREDICATE_TYPE
    );
    let env_bytes = c
        .read_blob(
            &reference,
            m["layers"][0]["digest"].as_str().unwrap(),
            1 << 20,
        )
        .unwrap();
    let env: drydock_sign::Envelope = serde_json::from_slice(&env_bytes).unwrap();
    let body = base64_decode(&env.payload);
    let vk = sigstore::crypto::CosignVerificationKey::from_pem(
        key.public_key().to_pem().unwrap().as_bytes(),
        &sigstore::crypto::SigningScheme::default(),
    )
    .unwrap();
    vk.verify_signature(
        sigstore::crypto::Signature::Base64Encoded(env.signatures[0].sig.as_bytes()),
        &drydock_sign::dsse::pae(&env.payload_type, &body),
    )
    .unwrap();
    // another type: none
    let e = oci::verify_attestations(
        &c,
        &reference,
        &[key.public_key()],
        Some("https://slsa.dev/provenance/v0.2"),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("no valid attestation of type https://slsa.dev/provenance/v0.2"),
        "{e}"
    );
    // another key: rejected with the reason
    let other = KeyPair::generate().unwrap();
    let e = oci::verify_attestations(&c, &reference, &[other.public_key()], None).unwrap_err();
    assert!(
        e.to_string()
            .contains("no signature of the attestation verifies"),
        "{e}"
    );
}

#[test]
fn encrypted_keys_cross_read_with_sigstore() {
    use sigstore::crypto::signing_key::SigStoreKeyPair;
    use sigstore::crypto::signing_key::ecdsa::{ECDSAKeys, EllipticCurve};
    // ours → sigstore
    let key = KeyPair::generate().unwrap();
    let pem = key.to_encrypted_pem(b"correct horse").unwrap();
    let theirs = SigStoreKeyPair::from_encrypted_pem(pem.as_bytes(), b"correct horse").unwrap();
    // (sigstore writes CRLF line ends: compare the keys, not the text)
    assert_eq!(
        drydock_sign::PublicKey::from_pem(&theirs.public_key_to_pem().unwrap()).unwrap(),
        key.public_key()
    );
    assert!(SigStoreKeyPair::from_encrypted_pem(pem.as_bytes(), b"wrong").is_err());
    // sigstore → ours (cosign's writer, the same format)
    let generated = ECDSAKeys::new(EllipticCurve::P256).unwrap();
    let their_pem = generated
        .as_inner()
        .private_key_to_encrypted_pem(b"pw")
        .unwrap();
    assert!(their_pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
    let ours = KeyPair::from_pem(&their_pem, b"pw").unwrap();
    assert_eq!(
        ours.public_key(),
        drydock_sign::PublicKey::from_pem(&generated.as_inner().public_key_to_pem().unwrap())
            .unwrap()
    );
    assert!(matches!(
        KeyPair::from_pem(&their_pem, b"nope"),
        Err(SignError::WrongPassword)
    ));
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}
