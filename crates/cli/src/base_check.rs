//! Hygiene's newer-base check: when the image names its base
//! (`org.opencontainers.image.base.name`), ask the base's registry what the tag points to now
//! and, when that is another build, scan it (OS and library packages, no layer content kept)
//! and say how many of the base's vulnerabilities rebuilding on it would fix. Nothing is named
//! when the registry cannot be reached.

use crate::ImageArgs;
use crate::scan::{Target, scan_report};
use drydock_hygiene::{Hygiene, compare_newer_base, unreachable_base};
use drydock_image::Platform;
use drydock_registry::{Reference, RegistryClient, RegistryOptions};
use std::path::PathBuf;
use std::time::Duration;

/// The base reference worth asking about: from the label, with a tag or digest.
fn base_reference(h: &Hygiene) -> Option<Reference> {
    let name = h.base.name.as_deref()?;
    if name.contains(char::is_whitespace) {
        return None; // "debian 12": recognised from os-release, not a reference
    }
    let r = Reference::parse(name).ok()?;
    // a base named by digest only cannot have moved
    r.tag()?;
    Some(r)
}

fn client(args: &ImageArgs, r: &Reference) -> Result<RegistryClient, drydock_registry::Error> {
    let insecure_hosts = args
        .insecure
        .iter()
        .map(|h| {
            if h.is_empty() {
                r.registry().to_string()
            } else {
                h.clone()
            }
        })
        .collect();
    RegistryClient::new(&RegistryOptions {
        insecure_hosts,
        username: args.username.clone(),
        password: args.password.clone(),
        env_credentials: true,
        // an unreachable registry must not hold the scan up
        connect_timeout: Duration::from_secs(3),
        read_timeout: Duration::from_secs(20),
        max_retries: 1,
        ..Default::default()
    })
}

/// Fill `h.newer_base` (a no-op when the base is not named by a tagged reference).
pub fn check(args: &ImageArgs, platform: Option<&Platform>, h: &mut Hygiene) {
    let Some(reference) = base_reference(h) else {
        return;
    };
    let name = reference.to_string();
    let resolved = client(args, &reference).and_then(|c| c.resolve_manifest(&reference, platform));
    let resolved = match resolved {
        Ok(m) => m,
        Err(e) => {
            tracing::info!("newer-base check of {name}: {e}");
            h.newer_base = Some(unreachable_base(h, &name, &e.to_string()));
            return;
        }
    };
    let digest = resolved.manifest_digest.clone();
    let index = resolved.index_digest.clone();
    let label = h.base.digest.as_deref();
    if label.is_some_and(|d| d == digest || Some(d) == index.as_deref()) {
        h.newer_base = Some(compare_newer_base(
            h,
            &name,
            (&digest, index.as_deref()),
            &[],
        ));
        return;
    }
    // scan the tag's current build by digest (its layers go through the layer cache)
    let by_digest = match reference.with_digest(&digest) {
        Ok(r) => r,
        Err(e) => {
            h.newer_base = Some(unreachable_base(h, &name, &e.to_string()));
            return;
        }
    };
    let mut base_args = args.clone();
    base_args.image = PathBuf::from(by_digest.to_string());
    base_args.no_hygiene = true;
    base_args.scanners = vec![crate::Scanner::Vuln];
    base_args.policy.clear();
    base_args.vex.clear();
    base_args.output.clear();
    base_args.quiet = true;
    match scan_report(&base_args, Target::Image) {
        Ok(report) => {
            h.newer_base = Some(compare_newer_base(
                h,
                &name,
                (&digest, index.as_deref()),
                &report.findings,
            ));
        }
        Err(e) => {
            h.newer_base = Some(unreachable_base(h, &name, &format!("{e:#}")));
        }
    }
}
