//! Faults between Drydock and a REAL registry, injected by a proxy of our own that counts
//! requests: broken downloads, wrong bytes, 429 / 5xx, resets, redirects.

mod common;

use common::*;
use drydock_registry::{Error, Reference, RegistryClient, RegistryOptions};
use std::io::Read;
use std::time::{Duration, Instant};

/// A registry with the Alpine image (one per test: nothing outlives a test).
struct Setup {
    reg: Registry,
    img: Built,
    /// The pushed image: (layer digest, layer size) of the Alpine base layer.
    base_layer: (String, u64),
    manifest_digest: String,
}

fn setup() -> Setup {
    {
        let img = alpine_archive();
        let reg = Registry::start(Auth::None);
        let manifest_digest = reg.push_archive(&img.path, "test/alpine:3.20");
        let c = RegistryClient::new(&opts()).unwrap();
        let image = c
            .open_image(
                &Reference::parse(&reg.reference("test/alpine:3.20")).unwrap(),
                None,
            )
            .unwrap();
        let l = &image.layers[0];
        let base_layer = (l.digest.clone().unwrap(), l.size);
        Setup {
            reg,
            img,
            base_layer,
            manifest_digest,
        }
    }
}

fn via(proxy: &Proxy) -> Reference {
    Reference::parse(&format!("{}/test/alpine:3.20", proxy.addr)).unwrap()
}

fn client(o: RegistryOptions) -> RegistryClient {
    RegistryClient::new(&o).unwrap()
}

fn is_blob(req: &Request, digest: &str) -> bool {
    req.path.ends_with(&format!("/blobs/{digest}"))
}

#[test]
fn a_download_dropped_mid_blob_resumes_with_range() {
    let s = setup();
    let (digest, size) = s.base_layer.clone();
    let half = (size / 2) as usize;
    let d = digest.clone();
    let proxy = Proxy::start(&s.reg.host, move |req, nth| {
        if is_blob(req, &d) && nth == 0 {
            Action::Truncate(half)
        } else {
            Action::Forward
        }
    });
    let c = client(opts());
    let image = c.open_image(&via(&proxy), None).unwrap();
    assert_eq!(scan(&image).unwrap(), scan_file(&s.img.path));
    let blob_reqs: Vec<Request> = proxy
        .requests()
        .into_iter()
        .filter(|r| is_blob(r, &digest))
        .collect();
    assert_eq!(blob_reqs.len(), 2);
    assert_eq!(blob_reqs[0].header("range"), None);
    let range = format!("bytes={half}-");
    assert_eq!(blob_reqs[1].header("range"), Some(range.as_str()));
    let stats = c.stats();
    assert_eq!((stats.resumes, stats.retries), (1, 1));
}

#[test]
fn a_download_that_keeps_breaking_fails_clearly() {
    let s = setup();
    let (digest, size) = s.base_layer.clone();
    let d = digest.clone();
    let proxy = Proxy::start(&s.reg.host, move |req, _| {
        if is_blob(req, &d) {
            Action::Truncate(1000) // every attempt gives 1000 more bytes, then breaks
        } else {
            Action::Forward
        }
    });
    let c = client(RegistryOptions {
        max_retries: 2,
        ..opts()
    });
    let r = via(&proxy);
    let mut reader = c.open_blob(&r, &digest, size).unwrap();
    let mut sink = Vec::new();
    let err = reader.read_to_end(&mut sink).unwrap_err();
    match Error::from_io(&err) {
        Some(Error::Transport { url, message }) => {
            assert_eq!(url, &format!("blob {digest} in {}/test/alpine", proxy.addr));
            assert!(
                message.starts_with(&format!(
                    "download broke after 3000 of {size} bytes and could not be completed (2 resumes)"
                )),
                "{message}"
            );
        }
        other => panic!("expected Transport, got {other:?}"),
    }
    assert_eq!(
        proxy.count(&format!("/blobs/{digest}")),
        3,
        "first try + 2 resumes"
    );

    // through the layer walker: the scan fails, naming the layer
    let image = c.open_image(&r, None).unwrap();
    let e = scan(&image).unwrap_err().to_string();
    assert!(e.contains("could not be completed"), "{e}");
}

#[test]
fn a_wrong_blob_is_a_digest_mismatch_and_never_good_data() {
    let s = setup();
    let (digest, size) = s.base_layer.clone();
    // byte 4 of a gzip stream is its MTIME: the blob still decompresses to the right
    // layer (right diffID), so only the blob digest can catch it
    let d = digest.clone();
    let proxy = Proxy::start(&s.reg.host, move |req, _| {
        if is_blob(req, &d) {
            Action::Corrupt(4)
        } else {
            Action::Forward
        }
    });
    let mut served = std::fs::read(s.reg.blob_path(&digest)).unwrap();
    assert_eq!(&served[..2], &[0x1f, 0x8b], "a gzip layer");
    served[4] ^= 0xff;
    let actual = drydock_testkit::sha256_digest(&served);

    let c = client(opts());
    let r = via(&proxy);
    let mut reader = c.open_blob(&r, &digest, size).unwrap();
    let mut got = Vec::new();
    let err = reader.read_to_end(&mut got).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    match Error::from_io(&err) {
        Some(Error::DigestMismatch {
            digest: want,
            actual: computed,
        }) => {
            assert_eq!(want, &digest);
            assert_eq!(computed, &actual);
        }
        other => panic!("expected DigestMismatch, got {other:?}"),
    }
    // the end of the stream is the error; reading on gives nothing more
    assert_eq!(reader.read(&mut [0u8; 16]).unwrap(), 0);
    assert_eq!(proxy.count(&format!("/blobs/{digest}")), 1, "not retried");

    // through the layer walker: the layer fails although its diffID would match
    let image = c.open_image(&r, None).unwrap();
    let e = scan(&image).unwrap_err().to_string();
    assert!(
        e.contains(&format!(
            "{digest}: the content does not match this digest (it hashes to {actual})"
        )),
        "{e}"
    );
}

#[test]
fn too_many_requests_waits_for_retry_after() {
    let s = setup();
    let proxy = Proxy::start(&s.reg.host, |req, nth| {
        if req.path.ends_with("/manifests/3.20") && nth == 0 {
            Action::Respond {
                status: 429,
                headers: vec![
                    ("Retry-After".into(), "1".into()),
                    ("Content-Type".into(), "application/json".into()),
                ],
                body: br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#.to_vec(),
            }
        } else {
            Action::Forward
        }
    });
    let c = client(opts());
    let t = Instant::now();
    let m = c.resolve_manifest(&via(&proxy), None).unwrap();
    assert!(t.elapsed() >= Duration::from_secs(1), "{:?}", t.elapsed());
    assert_eq!(m.manifest_digest, s.manifest_digest);
    assert_eq!(proxy.count("/manifests/3.20"), 2);
    assert_eq!(c.stats().retries, 1);
}

#[test]
fn a_retry_after_beyond_the_limit_is_not_waited_for() {
    let s = setup();
    let proxy = Proxy::start(&s.reg.host, |_, _| Action::Respond {
        status: 429,
        headers: vec![("Retry-After".into(), "3600".into())],
        body: br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#.to_vec(),
    });
    let c = client(opts());
    let t = Instant::now();
    match c.resolve_manifest(&via(&proxy), None) {
        Err(Error::TooManyRequests {
            registry,
            retry_after,
        }) => {
            assert_eq!(registry, proxy.addr);
            assert_eq!(retry_after, Some(Duration::from_secs(3600)));
        }
        other => panic!("expected TooManyRequests, got {other:?}"),
    }
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(proxy.count("/manifests/3.20"), 1);
}

#[test]
fn server_errors_are_retried_with_back_off_then_reported() {
    let s = setup();
    // two 503s, then the registry
    let proxy = Proxy::start(&s.reg.host, |req, nth| {
        if req.path.ends_with("/manifests/3.20") && nth < 2 {
            Action::Respond {
                status: 503,
                headers: vec![],
                body: b"upstream unavailable".to_vec(),
            }
        } else {
            Action::Forward
        }
    });
    let c = client(opts());
    let t = Instant::now();
    let m = c.resolve_manifest(&via(&proxy), None).unwrap();
    assert_eq!(m.manifest_digest, s.manifest_digest);
    assert_eq!(proxy.count("/manifests/3.20"), 3);
    assert_eq!(c.stats().retries, 2);
    // back-off 20 ms then 40 ms
    assert!(t.elapsed() >= Duration::from_millis(60));

    // always 503: max_retries + 1 attempts, then the status with the registry's words
    let proxy = Proxy::start(&s.reg.host, |_, _| Action::Respond {
        status: 503,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: br#"{"errors":[{"code":"UNAVAILABLE","message":"service unavailable"}]}"#.to_vec(),
    });
    let c = client(RegistryOptions {
        max_retries: 3,
        ..opts()
    });
    match c.resolve_manifest(&via(&proxy), None) {
        Err(Error::Http {
            url,
            status,
            code,
            message,
        }) => {
            assert_eq!(
                url,
                format!("http://{}/v2/test/alpine/manifests/3.20", proxy.addr)
            );
            assert_eq!(status, 503);
            assert_eq!(code, "UNAVAILABLE");
            assert_eq!(message, "service unavailable");
        }
        other => panic!("expected Http, got {other:?}"),
    }
    assert_eq!(proxy.count("/manifests/3.20"), 4);
}

#[test]
fn a_connection_reset_before_the_answer_is_retried() {
    let s = setup();
    let proxy = Proxy::start(&s.reg.host, |req, nth| {
        if req.path.ends_with("/manifests/3.20") && nth == 0 {
            Action::Close
        } else {
            Action::Forward
        }
    });
    let c = client(opts());
    let m = c.resolve_manifest(&via(&proxy), None).unwrap();
    assert_eq!(m.manifest_digest, s.manifest_digest);
    assert_eq!(proxy.count("/manifests/3.20"), 2);
}

#[test]
fn a_redirect_loop_stops_at_the_limit() {
    let s = setup();
    let proxy = Proxy::start(&s.reg.host, |req, _| {
        let next = match req.path.strip_prefix("/loop/") {
            Some(n) => n.parse::<u32>().unwrap() + 1,
            None if req.path.contains("/manifests/") => 1,
            None => return Action::Forward,
        };
        Action::Respond {
            status: 307,
            headers: vec![("Location".into(), format!("/loop/{next}"))],
            body: vec![],
        }
    });
    let c = client(RegistryOptions {
        max_redirects: 5,
        ..opts()
    });
    match c.resolve_manifest(&via(&proxy), None) {
        Err(Error::TooManyRedirects { url, limit }) => {
            assert_eq!(
                url,
                format!("http://{}/v2/test/alpine/manifests/3.20", proxy.addr)
            );
            assert_eq!(limit, 5);
        }
        other => panic!("expected TooManyRedirects, got {other:?}"),
    }
    // the request and 5 redirects followed; not retried
    assert_eq!(proxy.requests().len(), 6);
    assert_eq!(proxy.count("/loop/5"), 1);
    assert_eq!(proxy.count("/loop/6"), 0);
}

#[test]
fn blobs_redirected_to_storage_get_no_credentials() {
    let img = alpine_archive();
    // the registry wants Basic auth; its "storage" (another origin) is an open registry
    // with the same blobs, behind a proxy that refuses any request carrying credentials
    let reg = Registry::start(Auth::Htpasswd);
    reg.push_archive(&img.path, "test/alpine:3.20");
    let open = Registry::start(Auth::None);
    open.push_archive(&img.path, "test/alpine:3.20");
    let storage = Proxy::start(&open.host, |req, _| {
        if req.header("authorization").is_some() {
            Action::Respond {
                status: 400,
                headers: vec![],
                body: b"credentials sent to storage".to_vec(),
            }
        } else {
            Action::Forward
        }
    });
    let storage_addr = storage.addr.clone();
    let front = Proxy::start(&reg.host, move |req, _| {
        if req.path.contains("/blobs/") {
            Action::Respond {
                status: 307,
                headers: vec![(
                    "Location".into(),
                    format!("http://{storage_addr}{}", req.path),
                )],
                body: vec![],
            }
        } else {
            Action::Forward
        }
    });
    let c = client(with_creds(USER, PASS));
    let image = c.open_image(&via(&front), None).unwrap();
    assert_eq!(scan(&image).unwrap(), scan_file(&img.path));
    let stored = storage.requests();
    assert_eq!(stored.len(), 3, "config + 2 layers from storage");
    assert!(stored.iter().all(|r| r.header("authorization").is_none()));
    // the registry itself got credentials with every blob request
    let at_registry: Vec<Request> = front
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/blobs/"))
        .collect();
    assert_eq!(at_registry.len(), 3);
    let basic = format!("Basic {}", basic_b64(USER, PASS));
    assert!(
        at_registry
            .iter()
            .all(|r| r.header("authorization") == Some(basic.as_str()))
    );
}
