//! Pulling from a REAL registry (Debian's docker-registry on 127.0.0.1): by tag and digest,
//! multi-platform indexes, listings, errors, and every auth flow.

mod common;

use common::*;
use drydock_image::{Format, Platform};
use drydock_registry::{
    DockerConfig, Error, MEDIA_DOCKER_MANIFEST, MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST, Reference,
    RegistryClient, RegistryOptions, parse_error_body,
};
use std::io::Read;
use std::time::Instant;

fn client(o: &RegistryOptions) -> RegistryClient {
    RegistryClient::new(o).unwrap()
}

fn reference(s: &str) -> Reference {
    Reference::parse(s).unwrap()
}

#[test]
fn pulls_by_tag_and_by_digest_give_what_the_tarball_gives() {
    let img = alpine_archive();
    let reg = Registry::start(Auth::None);
    let pushed = reg.push_archive(&img.path, "test/alpine:3.20");
    let c = client(&opts());

    let r = reference(&reg.reference("test/alpine:3.20"));
    let resolved = c.resolve(&r, None).unwrap();
    assert_eq!(
        resolved.manifest_digest(),
        pushed,
        "the digest skopeo pushed"
    );
    assert_eq!(resolved.resolved.media_type, MEDIA_DOCKER_MANIFEST);
    assert_eq!(resolved.resolved.index_digest, None);
    assert_eq!(resolved.resolved.platform, None);
    // the config travels unchanged: same image ID as the tarball's
    assert_eq!(resolved.image_id(), img.digests.config_digest);
    assert_eq!(resolved.config, img.digests.config);
    assert_eq!(
        resolved.repo_tags,
        vec![format!("{}/test/alpine:3.20", reg.host)]
    );

    let expected = scan_file(&img.path);
    assert_eq!(expected.diff_ids, img.digests.diff_ids);
    let os = expected.inventory.os.as_ref().unwrap();
    assert_eq!(
        (os.id.as_str(), os.version_id.as_deref()),
        ("alpine", Some("3.20.3"))
    );
    assert_eq!(expected.inventory.packages.len(), 14);
    assert!(package_list(&expected).contains(&"musl 1.2.5-r0".to_string()));

    let before = c.stats();
    let image = c.open_image(&r, None).unwrap();
    assert_eq!(image.format, Format::Registry);
    assert_eq!(image.source, r.to_string());
    assert_eq!(image.manifest_digest.as_deref(), Some(pushed.as_str()));
    assert_eq!(
        image.image_id.as_deref(),
        Some(img.digests.config_digest.as_str())
    );
    assert_eq!(image.layers.len(), 2);
    for l in &image.layers {
        // sizes from the manifest are those of the stored blobs
        let stored = std::fs::metadata(reg.blob_path(l.digest.as_ref().unwrap())).unwrap();
        assert_eq!(l.size, stored.len());
    }
    let got = scan(&image).unwrap();
    assert_eq!(got, expected, "registry scan differs from the tarball scan");
    let s = c.stats();
    // config + two layers, each read once, nothing retried
    assert_eq!(s.blobs_opened - before.blobs_opened, 3);
    let layer_bytes: u64 = image.layers.iter().map(|l| l.size).sum();
    assert_eq!(
        s.blob_bytes - before.blob_bytes,
        layer_bytes + img.digests.config.len() as u64
    );
    assert_eq!(s.retries, 0);

    // by digest: the same image, no tag to report
    let by_digest = reference(&format!("{}/test/alpine@{pushed}", reg.host));
    let resolved = c.resolve(&by_digest, None).unwrap();
    assert_eq!(resolved.manifest_digest(), pushed);
    assert!(resolved.repo_tags.is_empty());
    let image = c.open_image(&by_digest, None).unwrap();
    assert_eq!(scan(&image).unwrap(), expected);

    // tag and digest: fetched by digest, tag kept for display
    let both = reference(&format!("{}/test/alpine:3.20@{pushed}", reg.host));
    assert_eq!(c.resolve(&both, None).unwrap().manifest_digest(), pushed);
}

#[test]
fn a_multi_platform_index_gives_the_platform_asked_for() {
    let idx = multiarch_layout();
    let reg = Registry::start(Auth::None);
    let pushed = reg.push_oci_all(&idx.path, "test/multi:1");
    assert_eq!(
        pushed,
        layout_index_digest(&idx.path),
        "skopeo --all keeps the index"
    );
    let c = client(&opts());
    let r = reference(&reg.reference("test/multi:1"));
    let amd = &idx.digests.images[0];
    let arm = &idx.digests.images[1];

    // default: linux/amd64
    let m = c.resolve_manifest(&r, None).unwrap();
    assert_eq!(m.manifest_digest, amd.manifest_digest);
    assert_eq!(m.media_type, MEDIA_OCI_MANIFEST);
    assert_eq!(m.index_digest.as_deref(), Some(pushed.as_str()));
    assert_eq!(m.platform, Some("linux/amd64".parse().unwrap()));
    assert_eq!(m.config_digest, amd.config_digest);
    let image = c.open_image(&r, None).unwrap();
    let s = scan(&image).unwrap();
    assert_eq!(s.diff_ids, amd.diff_ids);
    assert_eq!(s.inventory.packages.len(), 14);

    // arm64 matches arm64/v8 (the variant is implied)
    for p in ["linux/arm64", "linux/arm64/v8"] {
        let p: Platform = p.parse().unwrap();
        let m = c.resolve_manifest(&r, Some(&p)).unwrap();
        assert_eq!(m.manifest_digest, arm.manifest_digest);
        assert_eq!(m.platform, Some("linux/arm64/v8".parse().unwrap()));
        let image = c.open_image(&r, Some(&p)).unwrap();
        let s = scan(&image).unwrap();
        assert_eq!(s.diff_ids, arm.diff_ids);
        assert!(s.inventory.packages.is_empty());
        let os = s.inventory.os.unwrap();
        assert_eq!(
            (os.id.as_str(), os.version_id.as_deref()),
            ("alpine", Some("3.20.3"))
        );
    }

    // nothing matches: the error lists the real platforms (not the attestation)
    let s390: Platform = "linux/s390x".parse().unwrap();
    match c.resolve(&r, Some(&s390)) {
        Err(Error::Platform { wanted, available }) => {
            assert_eq!(wanted, "linux/s390x");
            assert_eq!(available, vec!["linux/amd64", "linux/arm64/v8"]);
        }
        other => panic!("expected Error::Platform, got {other:?}"),
    }

    // a platform manifest pulled by digest is taken as it is; a platform it does not have
    // is an error naming the one it has
    let arm_ref = reference(&format!("{}/test/multi@{}", reg.host, arm.manifest_digest));
    let m = c.resolve(&arm_ref, None).unwrap();
    assert_eq!(m.manifest_digest(), arm.manifest_digest);
    assert_eq!(m.resolved.index_digest, None);
    let amd64: Platform = "linux/amd64".parse().unwrap();
    match c.resolve(&arm_ref, Some(&amd64)) {
        Err(Error::Platform { wanted, available }) => {
            assert_eq!(wanted, "linux/amd64");
            assert_eq!(available, vec!["linux/arm64/v8"]);
        }
        other => panic!("expected Error::Platform, got {other:?}"),
    }

    // the index itself, as the registry serves it
    let (status, headers, body) = raw_get(
        &reg.host,
        "/v2/test/multi/manifests/1",
        &[("Accept", MEDIA_OCI_INDEX)],
    )
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(headers_map(&headers)["docker-content-digest"], pushed);
    assert_eq!(drydock_testkit::sha256_digest(&body), pushed);
}

#[test]
fn an_index_with_one_platform_gives_it_without_asking() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("arm-only");
    let arm = vec![drydock_testkit::layer_tar(&[drydock_testkit::Entry::file(
        "etc/alpine-release",
        "3.20.3\n",
    )])];
    let d = drydock_testkit::write_oci_layout_multiplatform(
        &layout,
        &[(
            drydock_testkit::Platform::linux_variant("arm64", "v8"),
            arm,
            drydock_testkit::ImageConfig::default(),
        )],
    );
    let reg = Registry::start(Auth::None);
    reg.push_oci_all(&layout, "test/armonly:1");
    let c = client(&opts());
    let m = c
        .resolve_manifest(&reference(&reg.reference("test/armonly:1")), None)
        .unwrap();
    assert_eq!(m.manifest_digest, d.images[0].manifest_digest);
    assert_eq!(m.platform, Some("linux/arm64/v8".parse().unwrap()));
}

#[test]
fn unknown_tags_repositories_and_blobs_give_the_registry_codes() {
    let img = alpine_archive();
    let reg = Registry::start(Auth::None);
    reg.push_archive(&img.path, "test/alpine:3.20");
    let c = client(&opts());

    let nope = reference(&reg.reference("test/alpine:nope"));
    match c.resolve(&nope, None) {
        Err(Error::ManifestUnknown {
            reference,
            code,
            message,
        }) => {
            assert_eq!(reference, format!("{}/test/alpine:nope", reg.host));
            assert_eq!(code, "MANIFEST_UNKNOWN");
            assert_eq!(message, "manifest unknown");
        }
        other => panic!("expected ManifestUnknown, got {other:?}"),
    }
    let missing_digest = format!("sha256:{}", "0".repeat(64));
    let by_digest = reference(&format!("{}/test/alpine@{missing_digest}", reg.host));
    match c.resolve(&by_digest, None) {
        Err(Error::ManifestUnknown {
            reference, code, ..
        }) => {
            assert_eq!(reference, by_digest.to_string());
            assert_eq!(code, "MANIFEST_UNKNOWN");
        }
        other => panic!("expected ManifestUnknown, got {other:?}"),
    }
    let repo = reference(&reg.reference("test/missing:1"));
    match c.list_tags(&repo) {
        Err(Error::NotFound {
            what,
            code,
            message,
        }) => {
            assert_eq!(what, format!("tag list of {}/test/missing", reg.host));
            assert_eq!(code, "NAME_UNKNOWN");
            assert_eq!(message, "repository name not known to registry");
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    let alpine = reference(&reg.reference("test/alpine:3.20"));
    match c.open_blob(&alpine, &missing_digest, 10) {
        Err(Error::NotFound { code, .. }) => assert_eq!(code, "BLOB_UNKNOWN"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    // a malformed digest never reaches the URL
    assert!(matches!(
        c.open_blob(&alpine, "sha256:../../_catalog", 10),
        Err(Error::Image(drydock_image::ImageError::BadDigest(_)))
    ));
}

/// The error bodies as docker-registry 2.8 sends them (captured live), parsed.
#[test]
fn registry_error_bodies_parse() {
    let reg = Registry::start(Auth::None);
    let cases: [(&str, u16, &str, &str, serde_json::Value); 3] = [
        (
            "/v2/test/alpine/manifests/nope",
            404,
            "MANIFEST_UNKNOWN",
            "manifest unknown",
            serde_json::json!({"Tag": "nope"}),
        ),
        (
            "/v2/test/alpine/tags/list",
            404,
            "NAME_UNKNOWN",
            "repository name not known to registry",
            serde_json::json!({"name": "test/alpine"}),
        ),
        (
            "/v2/test/alpine/blobs/sha256:0000000000000000000000000000000000000000000000000000000000000000",
            404,
            "BLOB_UNKNOWN",
            "blob unknown to registry",
            serde_json::json!(
                "sha256:0000000000000000000000000000000000000000000000000000000000000000"
            ),
        ),
    ];
    for (path, status, code, message, detail) in cases {
        let (s, _, body) = raw_get(&reg.host, path, &[]).unwrap();
        assert_eq!(s, status, "{path}");
        let entries = parse_error_body(&body).unwrap_or_else(|| panic!("{path}: no error body"));
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].code, code);
        assert_eq!(entries[0].message, message);
        assert_eq!(entries[0].detail, detail);
    }
    // the router's own 404 for a malformed name is plain text: no error body
    let (s, _, body) = raw_get(&reg.host, "/v2/Bad/manifests/x", &[]).unwrap();
    assert_eq!(
        (s, body.as_slice()),
        (404, b"404 page not found\n".as_slice())
    );
    assert_eq!(parse_error_body(&body), None);

    let basic = Registry::start(Auth::Htpasswd);
    let (s, h, body) = raw_get(&basic.host, "/v2/test/alpine/manifests/x", &[]).unwrap();
    assert_eq!(s, 401);
    assert_eq!(
        headers_map(&h)["www-authenticate"],
        r#"Basic realm="drydock-test""#
    );
    let e = parse_error_body(&body).unwrap();
    assert_eq!(e[0].code, "UNAUTHORIZED");
    assert_eq!(e[0].message, "authentication required");
    assert_eq!(
        e[0].detail,
        serde_json::json!([{"Type": "repository", "Class": "", "Name": "test/alpine", "Action": "pull"}])
    );
}

#[test]
fn tags_and_catalog_follow_pagination() {
    let img = alpine_archive();
    let reg = Registry::start(Auth::None);
    reg.push_archive(&img.path, "test/alpine:3.20");
    for tag in ["a", "b", "latest", "v1.0"] {
        let out = std::process::Command::new("skopeo")
            .args([
                "--insecure-policy",
                "copy",
                "--quiet",
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
            ])
            .arg(format!("docker://{}/test/alpine:3.20", reg.host))
            .arg(format!("docker://{}/test/alpine:{tag}", reg.host))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    reg.push_archive(&img.path, "other/alpine:1");
    reg.push_archive(&img.path, "zz/last:1");
    // docker-registry 2.8 returns every tag at once, unordered (no `n`/`last` for tags):
    let (_, _, body) = raw_get(&reg.host, "/v2/test/alpine/tags/list?n=2", &[]).unwrap();
    let all: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let mut all: Vec<String> = serde_json::from_value(all["tags"].clone()).unwrap();
    assert_eq!(all.len(), 5);
    all.sort();
    // so tag pages are served the way later distribution versions do (`n`, `last`, a
    // relative Link), from the real list, by the proxy
    let pages = all.clone();
    let proxy = Proxy::start(&reg.host, move |req, _| {
        let Some(query) = req.path.strip_prefix("/v2/test/alpine/tags/list?") else {
            return Action::Forward;
        };
        let mut n = usize::MAX;
        let mut last = String::new();
        for kv in query.split('&') {
            match kv.split_once('=') {
                Some(("n", v)) => n = v.parse().unwrap(),
                Some(("last", v)) => last = v.to_string(),
                _ => {}
            }
        }
        let page: Vec<&String> = pages.iter().filter(|t| **t > last).take(n).collect();
        let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        if let Some(l) = page.last().filter(|l| pages.iter().any(|t| t > **l)) {
            headers.push((
                "Link".into(),
                format!("</v2/test/alpine/tags/list?n={n}&last={l}>; rel=\"next\""),
            ));
        }
        Action::Respond {
            status: 200,
            headers,
            body: serde_json::json!({"name": "test/alpine", "tags": page})
                .to_string()
                .into_bytes(),
        }
    });
    let c = client(&RegistryOptions {
        page_size: 2,
        ..opts()
    });
    let repo = reference(&format!("{}/test/alpine", proxy.addr));
    let tags = c.list_tags(&repo).unwrap();
    assert_eq!(tags, vec!["3.20", "a", "b", "latest", "v1.0"]);
    let tag_paths: Vec<String> = proxy
        .requests()
        .iter()
        .filter(|r| r.path.contains("/tags/list"))
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        tag_paths,
        vec![
            "/v2/test/alpine/tags/list?n=2",
            "/v2/test/alpine/tags/list?n=2&last=a",
            "/v2/test/alpine/tags/list?n=2&last=latest",
        ]
    );
    // the real registry paginates the catalog
    let repos = c.catalog(&proxy.addr).unwrap();
    assert_eq!(repos, vec!["other/alpine", "test/alpine", "zz/last"]);
    let catalog_paths: Vec<String> = proxy
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v2/_catalog"))
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        catalog_paths,
        vec!["/v2/_catalog?n=2", "/v2/_catalog?last=test%2Falpine&n=2"]
    );
    // straight from the registry (one unordered answer): sorted, as the spec orders them
    let c = client(&opts());
    let direct = reference(&format!("{}/test/alpine", reg.host));
    assert_eq!(c.list_tags(&direct).unwrap(), all);
}

#[test]
fn basic_auth_with_every_credential_source() {
    let img = alpine_archive();
    let reg = Registry::start(Auth::Htpasswd);
    let pushed = reg.push_archive(&img.path, "test/alpine:3.20");
    let r = reference(&reg.reference("test/alpine:3.20"));

    // no credentials
    match client(&opts()).resolve(&r, None) {
        Err(e @ Error::Unauthorized { .. }) => {
            assert!(e.is_auth());
            let Error::Unauthorized { registry, message } = &e else {
                unreachable!()
            };
            assert_eq!(registry, &reg.host);
            assert!(message.contains("requires credentials"), "{message}");
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    // a wrong password: the message names the registry
    match client(&with_creds(USER, "wrong")).resolve(&r, None) {
        Err(e @ Error::Unauthorized { .. }) => {
            assert!(e.to_string().starts_with(&format!(
                "registry {}: authentication failed: the registry rejected the credentials",
                reg.host
            )));
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }

    // right credentials, through a counting proxy: one challenge, then Basic up front
    let proxy = Proxy::start(&reg.host, |_, _| Action::Forward);
    let pr = reference(&format!("{}/test/alpine:3.20", proxy.addr));
    let c = client(&with_creds(USER, PASS));
    let image = c.open_image(&pr, None).unwrap();
    assert_eq!(image.manifest_digest.as_deref(), Some(pushed.as_str()));
    assert_eq!(scan(&image).unwrap(), scan_file(&img.path));
    let log = proxy.requests();
    let auth: Vec<Option<&str>> = log.iter().map(|r| r.header("authorization")).collect();
    let basic = format!("Basic {}", basic_b64(USER, PASS));
    assert_eq!(
        auth,
        vec![
            None,
            Some(basic.as_str()),
            Some(basic.as_str()),
            Some(basic.as_str()),
            Some(basic.as_str())
        ],
        "manifest 401, manifest, config, two layers"
    );
    assert_eq!(c.stats().tokens_fetched, 0);
    assert_eq!(c.catalog(&proxy.addr).unwrap(), vec!["test/alpine"]);

    let dir = tempfile::tempdir().unwrap();
    let from_config = |json: serde_json::Value, helper_path: Option<&std::path::Path>| {
        let cfg = docker_config(dir.path(), &json);
        RegistryOptions {
            docker_config: DockerConfig::Path(cfg),
            credential_helper_path: helper_path.map(|p| p.as_os_str().to_owned()),
            ..opts()
        }
    };
    // auths: base64 user:pass under the registry's key (any scheme/path form)
    let o = from_config(
        serde_json::json!({"auths": {format!("http://{}/v2/", reg.host): {"auth": basic_b64(USER, PASS)}}}),
        None,
    );
    assert_eq!(
        client(&o).resolve(&r, None).unwrap().manifest_digest(),
        pushed
    );
    // explicit credentials come first: a wrong explicit password beats a good config
    let o = RegistryOptions {
        username: Some(USER.into()),
        password: Some("wrong".into()),
        ..o
    };
    assert!(matches!(
        client(&o).resolve(&r, None),
        Err(Error::Unauthorized { .. })
    ));

    // a credential store (docker-credential-<name> get, server URL on stdin)
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let seen = dir.path().join("helper-stdin");
    let helper = |name: &str, user: &str, pass: &str| {
        let script = format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread -r server || true\nprintf '%s' \"$server\" > {}\nif [ \"$server\" = \"{}\" ]; then\n  printf '{{\"ServerURL\":\"%s\",\"Username\":\"{user}\",\"Secret\":\"{pass}\"}}' \"$server\"\nelse\n  echo 'credentials not found in native keychain'; exit 1\nfi\n",
            seen.display(),
            reg.host
        );
        let p = bin.join(format!("docker-credential-{name}"));
        std::fs::write(&p, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    helper("drydockstore", USER, PASS);
    helper("drydockbad", USER, "wrong");
    let o = from_config(
        serde_json::json!({"credsStore": "drydockstore", "auths": {reg.host.clone(): {}}}),
        Some(&bin),
    );
    assert_eq!(
        client(&o).resolve(&r, None).unwrap().manifest_digest(),
        pushed
    );
    assert_eq!(std::fs::read_to_string(&seen).unwrap(), reg.host);
    // credHelpers for this registry win over credsStore and auths
    let o = from_config(
        serde_json::json!({
            "credsStore": "drydockstore",
            "credHelpers": {reg.host.clone(): "drydockbad"},
            "auths": {reg.host.clone(): {"auth": basic_b64(USER, PASS)}}
        }),
        Some(&bin),
    );
    assert!(matches!(
        client(&o).resolve(&r, None),
        Err(Error::Unauthorized { .. })
    ));
    // a store that does not know the registry: fall back to auths
    let o = from_config(
        serde_json::json!({
            "credsStore": "drydockstore",
            "auths": {"127.0.0.2:1": {}, reg.host.clone(): {"auth": basic_b64(USER, PASS)}}
        }),
        Some(&bin),
    );
    let c = client(&o);
    assert_eq!(c.resolve(&r, None).unwrap().manifest_digest(), pushed);
    // a helper that is not installed is a clear error
    let o = from_config(
        serde_json::json!({"credsStore": "nosuchhelper"}),
        Some(&bin),
    );
    match client(&o).resolve(&r, None) {
        Err(Error::Credentials { registry, message }) => {
            assert_eq!(registry, reg.host);
            assert!(
                message.contains("docker-credential-nosuchhelper"),
                "{message}"
            );
        }
        other => panic!("expected Credentials, got {other:?}"),
    }
}

#[test]
fn token_auth_anonymous_basic_and_identity_token() {
    let img = alpine_archive();
    let ts = TokenServer::start();
    let reg = Registry::start(Auth::Token(ts.clone()));
    let pushed = reg.push_archive(&img.path, "test/alpine:3.20");
    reg.push_archive(&img.path, "public/alpine:3.20");
    let expected = scan_file(&img.path);
    let n0 = ts.requests().len();

    // anonymous pull of a public repository (the Docker Hub flow): one token for the scope,
    // reused for the manifest, the config and both layers
    let c = client(&opts());
    let public = reference(&reg.reference("public/alpine:3.20"));
    let image = c.open_image(&public, None).unwrap();
    assert_eq!(scan(&image).unwrap(), expected);
    let reqs = ts.requests()[n0..].to_vec();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].scopes, vec!["repository:public/alpine:pull"]);
    assert_eq!(reqs[0].user, None);
    assert_eq!(c.stats().tokens_fetched, 1);
    // the cached token serves the next pull of the same repository too
    c.resolve(&public, None).unwrap();
    assert_eq!(ts.requests().len(), n0 + 1);

    // anonymous, private repository: the token grants nothing
    let private = reference(&reg.reference("test/alpine:3.20"));
    match c.resolve(&private, None) {
        Err(e @ Error::Denied { .. }) => {
            assert!(e.is_auth());
            assert_eq!(
                e.to_string(),
                format!(
                    "registry {}: access denied: the token does not grant repository:test/alpine:pull (no credentials were found for this registry; anonymous access)",
                    reg.host
                )
            );
        }
        other => panic!("expected Denied, got {other:?}"),
    }

    // a wrong password: the token service refuses
    match client(&with_creds(USER, "wrong")).resolve(&private, None) {
        Err(Error::Unauthorized { registry, message }) => {
            assert_eq!(registry, reg.host);
            assert_eq!(
                message,
                format!(
                    "the token service refused a token for user \"{USER}\": HTTP 401 (UNAUTHORIZED: invalid username or password)"
                )
            );
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }

    // the right password
    let n1 = ts.requests().len();
    let c = client(&with_creds(USER, PASS));
    let image = c.open_image(&private, None).unwrap();
    assert_eq!(image.manifest_digest.as_deref(), Some(pushed.as_str()));
    assert_eq!(scan(&image).unwrap(), expected);
    let reqs = ts.requests()[n1..].to_vec();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].user.as_deref(), Some(USER));
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(c.list_tags(&private).unwrap(), vec!["3.20".to_string()]);
    // the catalog scope is never granted here: a clear error, not a crash
    match c.catalog(&reg.host) {
        Err(Error::CatalogUnavailable { registry, reason }) => {
            assert_eq!(registry, reg.host);
            assert!(
                reason.starts_with("not allowed for these credentials"),
                "{reason}"
            );
        }
        other => panic!("expected CatalogUnavailable, got {other:?}"),
    }

    // an identity token from `docker login` (auths.identitytoken): exchanged by POST
    let dir = tempfile::tempdir().unwrap();
    let cfg = docker_config(
        dir.path(),
        &serde_json::json!({"auths": {reg.host.clone(): {"auth": "", "identitytoken": IDENTITY_TOKEN}}}),
    );
    let n2 = ts.requests().len();
    let c = client(&RegistryOptions {
        docker_config: DockerConfig::Path(cfg),
        ..opts()
    });
    assert_eq!(c.resolve(&private, None).unwrap().manifest_digest(), pushed);
    let reqs = ts.requests()[n2..].to_vec();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].user.as_deref(), Some(USER));
}

#[test]
fn tls_registries_need_their_ca_or_insecure() {
    let img = alpine_archive();
    let reg = Registry::start(Auth::Tls);
    let pushed = reg.push_archive(&img.path, "test/alpine:3.20");
    let r = reference(&reg.reference("test/alpine:3.20"));
    let secure = RegistryOptions {
        plain_http: false,
        ..opts()
    };
    // an unknown CA: a certificate error at once (not retried)
    let c = client(&secure);
    let t = Instant::now();
    match c.resolve(&r, None) {
        Err(Error::Transport { url, message }) => {
            assert_eq!(
                url,
                format!("https://{}/v2/test/alpine/manifests/3.20", reg.host)
            );
            assert!(message.to_lowercase().contains("certificate"), "{message}");
        }
        other => panic!("expected Transport, got {other:?}"),
    }
    assert_eq!(c.stats().retries, 0);
    assert!(t.elapsed().as_secs() < 5);
    // trusting the CA
    let c = client(&RegistryOptions {
        ca_certs: vec![reg.ca.clone().unwrap()],
        ..secure.clone()
    });
    let image = c.open_image(&r, None).unwrap();
    assert_eq!(image.manifest_digest.as_deref(), Some(pushed.as_str()));
    assert_eq!(scan(&image).unwrap(), scan_file(&img.path));
    // --insecure: HTTPS without certificate checks
    let c = client(&RegistryOptions {
        insecure_hosts: vec![reg.host.clone()],
        ..secure.clone()
    });
    assert_eq!(c.resolve(&r, None).unwrap().manifest_digest(), pushed);

    // --insecure for a plain-HTTP registry: falls back to HTTP
    let plain = Registry::start(Auth::None);
    let pushed = plain.push_archive(&img.path, "test/alpine:3.20");
    let pr = reference(&plain.reference("test/alpine:3.20"));
    assert!(matches!(
        client(&secure).resolve(&pr, None),
        Err(Error::Transport { .. })
    ));
    let c = client(&RegistryOptions {
        insecure_hosts: vec!["127.0.0.1".into()],
        ..secure
    });
    assert_eq!(c.resolve(&pr, None).unwrap().manifest_digest(), pushed);
}

#[test]
fn credentials_never_go_to_a_plain_http_token_service_unless_allowed() {
    let img = alpine_archive();
    let ts = TokenServer::start();
    // an HTTPS registry whose token realm is plain HTTP
    let reg = Registry::start(Auth::TlsToken(ts.clone()));
    let pushed = reg.push_archive(&img.path, "public/alpine:3.20");
    let r = reference(&reg.reference("public/alpine:3.20"));
    let secure = RegistryOptions {
        plain_http: false,
        ca_certs: vec![reg.ca.clone().unwrap()],
        ..opts()
    };
    let n0 = ts.requests().len();
    match client(&RegistryOptions {
        username: Some(USER.into()),
        password: Some(PASS.into()),
        ..secure.clone()
    })
    .resolve(&r, None)
    {
        Err(Error::Unauthorized { registry, message }) => {
            assert_eq!(registry, reg.host);
            assert_eq!(
                message,
                format!(
                    "refusing to send credentials to the token service http://{}/token over plain HTTP (list its host as insecure to allow it)",
                    ts.addr
                )
            );
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    assert_eq!(ts.requests().len(), n0, "nothing was sent");
    // anonymous: nothing secret to send
    assert_eq!(
        client(&secure).resolve(&r, None).unwrap().manifest_digest(),
        pushed
    );
    assert_eq!(ts.requests()[n0].user, None);
    // the token host listed as insecure: allowed
    let c = client(&RegistryOptions {
        username: Some(USER.into()),
        password: Some(PASS.into()),
        insecure_hosts: vec![ts.addr.clone()],
        ..secure
    });
    assert_eq!(c.resolve(&r, None).unwrap().manifest_digest(), pushed);
    assert_eq!(ts.requests().last().unwrap().user.as_deref(), Some(USER));
}

#[test]
fn connection_refused_is_reported_at_once() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = client(&opts());
    let r = reference(&format!("127.0.0.1:{port}/test/alpine:1"));
    match c.resolve(&r, None) {
        Err(Error::Transport { url, message }) => {
            assert_eq!(
                url,
                format!("http://127.0.0.1:{port}/v2/test/alpine/manifests/1")
            );
            assert!(message.contains("Connection refused"), "{message}");
        }
        other => panic!("expected Transport, got {other:?}"),
    }
    assert_eq!(c.stats().retries, 0);
}

#[test]
fn blobs_stream_verified_and_bounded() {
    let img = alpine_archive();
    let reg = Registry::start(Auth::None);
    reg.push_archive(&img.path, "test/alpine:3.20");
    let c = client(&opts());
    let r = reference(&reg.reference("test/alpine:3.20"));
    let m = c.resolve_manifest(&r, None).unwrap();
    // the config as a stream
    let mut reader = c.open_blob(&r, &m.config_digest, m.config_size).unwrap();
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).unwrap();
    assert_eq!(bytes, img.digests.config);
    assert_eq!(reader.position(), img.digests.config.len() as u64);
    assert_eq!(reader.resumes(), 0);
    // a wrong size in the descriptor is refused before any byte is handed out
    match c.open_blob(&r, &m.config_digest, m.config_size + 1) {
        Err(Error::BlobSize {
            digest,
            expected,
            actual,
        }) => {
            assert_eq!(digest, m.config_digest);
            assert_eq!((expected, actual), (m.config_size + 1, m.config_size));
        }
        other => panic!("expected BlobSize, got {other:?}"),
    }
    // the download slots come back: more blobs than slots, one after another
    let c = client(&RegistryOptions {
        parallel: 1,
        ..opts()
    });
    for _ in 0..3 {
        let mut b = c.open_blob(&r, &m.config_digest, m.config_size).unwrap();
        std::io::copy(&mut b, &mut std::io::sink()).unwrap();
    }
    // ... and a reader dropped half-way gives its slot back too
    let mut b = c.open_blob(&r, &m.config_digest, m.config_size).unwrap();
    let mut one = [0u8; 1];
    b.read_exact(&mut one).unwrap();
    drop(b);
    let mut b = c.open_blob(&r, &m.config_digest, m.config_size).unwrap();
    std::io::copy(&mut b, &mut std::io::sink()).unwrap();
}
