//! `drydock sign`, `verify`, `attest`, `verify-attestation`, `generate-key-pair`: cosign-
//! compatible key-based signatures and in-toto attestations in the registry (cosign's tag
//! scheme), through drydock-sign.

use crate::ImageArgs;
use anyhow::{Context, Result, bail};
use clap::{Args, Parser};
use drydock_registry::{Reference, RegistryClient, RegistryOptions};
use drydock_sign::keys::PASSWORD_ENV;
use drydock_sign::{KeyPair, PublicKey, VULN_PREDICATE_TYPE};
use std::path::PathBuf;
use std::process::ExitCode;

/// How to reach the registry (as `drydock image`).
#[derive(Args, Clone)]
pub struct RegistryFlags {
    /// Registries (host[:port]) that may be reached over plain HTTP or with an unverified TLS
    /// certificate; `--insecure` alone means the registry of the image reference.
    #[arg(long, value_name = "HOST", num_args = 0..=1, default_missing_value = "", action = clap::ArgAction::Append)]
    pub insecure: Vec<String>,
    /// Registry user name (also DRYDOCK_REGISTRY_USERNAME, then ~/.docker/config.json).
    #[arg(long, env = "DRYDOCK_REGISTRY_USERNAME")]
    pub username: Option<String>,
    /// Registry password or token (also DRYDOCK_REGISTRY_PASSWORD).
    #[arg(long, env = "DRYDOCK_REGISTRY_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

impl RegistryFlags {
    pub fn client(&self, registry: &str) -> Result<RegistryClient> {
        let insecure_hosts = self
            .insecure
            .iter()
            .map(|h| {
                if h.is_empty() {
                    registry.to_string()
                } else {
                    h.clone()
                }
            })
            .collect();
        Ok(RegistryClient::new(&RegistryOptions {
            insecure_hosts,
            username: self.username.clone(),
            password: self.password.clone(),
            env_credentials: true,
            ..Default::default()
        })?)
    }
}

#[derive(Args)]
pub struct SignArgs {
    /// Image reference `host[:port]/repo[:tag][@sha256:…]`; a tag is signed by the digest it
    /// points to.
    pub image: String,
    /// cosign private key (`ENCRYPTED SIGSTORE PRIVATE KEY` PEM; password in COSIGN_PASSWORD).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Annotation `key=value` put in the signed payload's `optional` section (repeatable).
    #[arg(long = "annotation", short = 'a', value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,
    #[command(flatten)]
    pub registry: RegistryFlags,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// Image reference.
    pub image: String,
    /// cosign public key (PKIX `PUBLIC KEY` PEM); repeatable: any of them may verify.
    #[arg(long, value_name = "FILE", required = true)]
    pub key: Vec<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryFlags,
}

#[derive(Args)]
pub struct AttestArgs {
    /// Image reference.
    pub image: String,
    /// cosign private key (password in COSIGN_PASSWORD).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Predicate type: `vuln` (cosign's vulnerability scan predicate) or a predicate type URI.
    #[arg(long = "type", default_value = "vuln")]
    pub predicate_type: String,
    /// Predicate: for `vuln`, a Drydock JSON report (`drydock image -f json`) [default: scan
    /// the image now]; for other types, the predicate JSON itself (required).
    #[arg(long, value_name = "FILE")]
    pub predicate: Option<PathBuf>,
    /// Vulnerability DB for the scan (when no --predicate is given).
    #[arg(long, env = "DRYDOCK_DB")]
    pub db: Option<PathBuf>,
    /// Build the DB from these recorded feeds when it does not exist yet.
    #[arg(long, env = "DRYDOCK_FEEDS")]
    pub feeds: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryFlags,
}

#[derive(Args)]
pub struct VerifyAttestationArgs {
    /// Image reference.
    pub image: String,
    /// cosign public key (repeatable).
    #[arg(long, value_name = "FILE", required = true)]
    pub key: Vec<PathBuf>,
    /// Only attestations of this predicate type (`vuln` or a URI).
    #[arg(long = "type")]
    pub predicate_type: Option<String>,
    #[command(flatten)]
    pub registry: RegistryFlags,
}

#[derive(Args)]
pub struct GenerateKeyPairArgs {
    /// Write `<prefix>.key` and `<prefix>.pub`.
    #[arg(long, default_value = "cosign")]
    pub output_key_prefix: String,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
}

fn password() -> Result<Vec<u8>> {
    match std::env::var_os(PASSWORD_ENV) {
        Some(p) => Ok(p.into_encoded_bytes()),
        None => bail!("set {PASSWORD_ENV} to the private key's password (it may be empty)"),
    }
}

fn read_private(path: &PathBuf) -> Result<KeyPair> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the private key {}", path.display()))?;
    KeyPair::from_pem(&text, &password()?)
        .with_context(|| format!("reading the private key {}", path.display()))
}

pub fn read_public_keys(paths: &[PathBuf]) -> Result<Vec<PublicKey>> {
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading the public key {}", p.display()))?;
            PublicKey::from_pem(&text)
                .with_context(|| format!("reading the public key {}", p.display()))
        })
        .collect()
}

fn reference(image: &str) -> Result<Reference> {
    Reference::parse(image).with_context(|| format!("{image}: not an image reference"))
}

fn predicate_uri(t: &str) -> String {
    if t == "vuln" {
        VULN_PREDICATE_TYPE.to_string()
    } else {
        t.to_string()
    }
}

pub fn run_sign(args: &SignArgs) -> Result<ExitCode> {
    let key = read_private(&args.key)?;
    let r = reference(&args.image)?;
    let client = args.registry.client(r.registry())?;
    let annotations = args
        .annotations
        .iter()
        .map(|a| {
            a.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .with_context(|| format!("--annotation {a:?}: expected KEY=VALUE"))
        })
        .collect::<Result<Vec<_>>>()?;
    let signed = drydock_sign::sign(&client, &r, &key, &annotations)
        .with_context(|| format!("signing {}", args.image))?;
    eprintln!(
        "signed {}@{}; pushed {}",
        r.name(),
        signed.digest,
        signed.signature_ref
    );
    Ok(ExitCode::SUCCESS)
}

pub fn run_verify(args: &VerifyArgs) -> Result<ExitCode> {
    let keys = read_public_keys(&args.key)?;
    let r = reference(&args.image)?;
    let client = args.registry.client(r.registry())?;
    match drydock_sign::verify(&client, &r, None, &keys) {
        Ok(check) => {
            // cosign prints the verified payloads as JSON lines
            for v in &check.verified {
                println!("{}", serde_json::to_string(&v.payload)?);
            }
            eprintln!(
                "{}@{}: {} valid signature(s)",
                r.name(),
                check.digest,
                check.verified.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {}: {e}", args.image);
            Ok(ExitCode::from(1))
        }
    }
}

/// `drydock image` flags for one registry image, parsed like the command line.
#[derive(Parser)]
struct ScanFlags {
    #[command(flatten)]
    args: ImageArgs,
}

pub fn scan_args(image: &str, extra: &[String]) -> Result<ImageArgs> {
    let mut argv = vec![
        "drydock-image".to_string(),
        image.to_string(),
        "--quiet".into(),
        "--no-hygiene".into(),
        "--scanners".into(),
        "vuln".into(),
    ];
    argv.extend(extra.iter().cloned());
    Ok(ScanFlags::try_parse_from(argv)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .args)
}

/// Registry and DB flags as `drydock image` arguments.
pub fn registry_scan_flags(
    reg: &RegistryFlags,
    db: &Option<PathBuf>,
    feeds: &Option<PathBuf>,
) -> Vec<String> {
    let mut v = Vec::new();
    for h in &reg.insecure {
        if h.is_empty() {
            v.push("--insecure".into());
        } else {
            v.push(format!("--insecure={h}"));
        }
    }
    if let Some(u) = &reg.username {
        v.extend(["--username".into(), u.clone()]);
    }
    if let Some(p) = &reg.password {
        v.extend(["--password".into(), p.clone()]);
    }
    if let Some(d) = db {
        v.extend(["--db".into(), d.display().to_string()]);
    }
    if let Some(f) = feeds {
        v.extend(["--feeds".into(), f.display().to_string()]);
    }
    v
}

pub fn run_attest(args: &AttestArgs) -> Result<ExitCode> {
    let key = read_private(&args.key)?;
    let r = reference(&args.image)?;
    let client = args.registry.client(r.registry())?;
    let uri = predicate_uri(&args.predicate_type);
    let predicate = if uri == VULN_PREDICATE_TYPE {
        let started = now();
        let report: serde_json::Value = match &args.predicate {
            Some(p) => serde_json::from_slice(
                &std::fs::read(p).with_context(|| format!("reading {}", p.display()))?,
            )
            .with_context(|| format!("{}: not JSON", p.display()))?,
            None => {
                // scan exactly the digest that is attested
                let digest = drydock_sign::oci::resolve_digest(&client, &r)?;
                let pinned = format!("{}@{digest}", r.name());
                let scan = scan_args(
                    &pinned,
                    &registry_scan_flags(&args.registry, &args.db, &args.feeds),
                )?;
                serde_json::to_value(crate::scan::scan_report(&scan, crate::scan::Target::Image)?)?
            }
        };
        serde_json::json!({
            "invocation": {"parameters": null, "uri": "", "event_id": "", "builder.id": ""},
            "scanner": {
                "uri": "drydock",
                "version": env!("CARGO_PKG_VERSION"),
                "db": {"uri": "", "version": report.pointer("/db/built_at").cloned().unwrap_or_default()},
                "result": report,
            },
            "metadata": {"scanStartedOn": started, "scanFinishedOn": now()},
        })
    } else {
        let p = args
            .predicate
            .as_ref()
            .context("--predicate FILE is required for a custom --type")?;
        serde_json::from_slice(
            &std::fs::read(p).with_context(|| format!("reading {}", p.display()))?,
        )
        .with_context(|| format!("{}: not JSON", p.display()))?
    };
    let att = drydock_sign::attest(&client, &r, &key, &uri, predicate)
        .with_context(|| format!("attesting {}", args.image))?;
    eprintln!(
        "attested {}@{} ({uri}); pushed {}",
        r.name(),
        att.digest,
        att.attestation_ref
    );
    Ok(ExitCode::SUCCESS)
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub fn run_verify_attestation(args: &VerifyAttestationArgs) -> Result<ExitCode> {
    let keys = read_public_keys(&args.key)?;
    let r = reference(&args.image)?;
    let client = args.registry.client(r.registry())?;
    let t = args.predicate_type.as_deref().map(predicate_uri);
    match drydock_sign::verify_attestations(&client, &r, &keys, t.as_deref()) {
        Ok(atts) => {
            for a in &atts {
                println!("{}", serde_json::to_string(&a.statement)?);
            }
            eprintln!("{}: {} valid attestation(s)", args.image, atts.len());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {}: {e}", args.image);
            Ok(ExitCode::from(1))
        }
    }
}

pub fn run_generate_key_pair(args: &GenerateKeyPairArgs) -> Result<ExitCode> {
    let key_path = PathBuf::from(format!("{}.key", args.output_key_prefix));
    let pub_path = PathBuf::from(format!("{}.pub", args.output_key_prefix));
    for p in [&key_path, &pub_path] {
        if p.exists() && !args.force {
            bail!("{} exists (pass --force to overwrite)", p.display());
        }
    }
    let key = KeyPair::generate()?;
    let pem = key.to_encrypted_pem(&password()?)?;
    std::fs::write(&key_path, pem).with_context(|| format!("writing {}", key_path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600));
    }
    std::fs::write(&pub_path, key.public_key().to_pem()?)
        .with_context(|| format!("writing {}", pub_path.display()))?;
    eprintln!(
        "Private key written to {}\nPublic key written to {}",
        key_path.display(),
        pub_path.display()
    );
    Ok(ExitCode::SUCCESS)
}
