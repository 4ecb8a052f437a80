//! Streaming blobs: verified while read, resumed with `Range` when a download breaks.

use crate::RegistryClient;
use crate::error::{Error, Result};
use crate::http::{ApiRequest, Subject, chain};
use crate::manifest::pull_scope;
use crate::reference::Reference;
use drydock_image::{BlobFetcher, digest_hex};
use reqwest::StatusCode;
use reqwest::blocking::Response;
use sha2::{Digest, Sha256};
use std::io::{self, Read};
use std::sync::atomic::Ordering;

/// A blob being downloaded. Reads return the blob's bytes as stored; at the end the sha256
/// of everything handed out is compared with the digest, and a mismatch is an error
/// ([`Error::DigestMismatch`] inside an [`io::Error`] of kind `InvalidData`: use
/// [`Error::from_io`]) instead of a clean end of stream, so a consumer never takes a wrong
/// blob for a good one. A blob longer than its descriptor's size fails as soon as the excess
/// arrives.
///
/// When the connection breaks, the download is resumed from the current offset with a
/// `Range` request (the hash simply continues), up to `max_retries` times per blob, with
/// back-off; a server that ignores `Range` is read from the start and the bytes already
/// handed out are skipped.
///
/// Holds one of the client's `parallel` download slots until it reaches the end, fails, or
/// is dropped.
pub struct BlobReader {
    client: RegistryClient,
    reference: Reference,
    digest: String,
    /// Expected size (None when the descriptor gave 0 / nothing).
    size: Option<u64>,
    resp: Option<Response>,
    /// Bytes handed out so far.
    offset: u64,
    /// Bytes still to discard from a response that restarted at 0.
    skip: u64,
    hasher: Sha256,
    resumes: u32,
    last_break: String,
    done: bool,
    holds_slot: bool,
}

impl std::fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobReader")
            .field("reference", &self.reference.name())
            .field("digest", &self.digest)
            .field("size", &self.size)
            .field("offset", &self.offset)
            .field("resumes", &self.resumes)
            .finish_non_exhaustive()
    }
}

impl BlobReader {
    pub(crate) fn open(
        client: RegistryClient,
        reference: &Reference,
        digest: &str,
        size: u64,
    ) -> Result<BlobReader> {
        // digests go into the URL path: only sha256:<64 hex>
        digest_hex(digest)?;
        client.inner().permits.acquire();
        let mut r = BlobReader {
            client,
            reference: reference.clone(),
            digest: digest.to_string(),
            size: (size > 0).then_some(size),
            resp: None,
            offset: 0,
            skip: 0,
            hasher: Sha256::new(),
            resumes: 0,
            last_break: String::new(),
            done: false,
            holds_slot: true,
        };
        let resp = r.request(None)?; // on error, Drop releases the slot
        if let (Some(want), Some(got)) = (r.size, resp.content_length())
            && want != got
        {
            return Err(Error::BlobSize {
                digest: r.digest.clone(),
                expected: want,
                actual: got,
            });
        }
        r.client
            .inner()
            .counters
            .blobs_opened
            .fetch_add(1, Ordering::Relaxed);
        r.resp = Some(resp);
        Ok(r)
    }

    /// The digest this blob is verified against.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Bytes handed out so far.
    pub fn position(&self) -> u64 {
        self.offset
    }

    /// Times the download was resumed after a break.
    pub fn resumes(&self) -> u32 {
        self.resumes
    }

    fn request(&self, range_from: Option<u64>) -> Result<Response> {
        let req = ApiRequest {
            registry: self.reference.registry(),
            target: format!("/v2/{}/blobs/{}", self.reference.repository(), self.digest),
            scope: pull_scope(&self.reference),
            accept: None,
            range_from,
            subject: Subject::Other(format!("blob {} in {}", self.digest, self.reference.name())),
        };
        self.client.inner().send(&req)
    }

    fn release_slot(&mut self) {
        if self.holds_slot {
            self.holds_slot = false;
            self.client.inner().permits.release();
        }
    }

    fn fail(&mut self, e: Error) -> io::Error {
        self.done = true;
        self.resp = None;
        self.release_slot();
        e.into_io()
    }

    fn describe_size(&self) -> String {
        match self.size {
            Some(s) => format!("{} of {s} bytes", self.offset),
            None => format!("{} bytes", self.offset),
        }
    }

    /// The connection broke (`reason`): allow a resume, or give up.
    fn note_break(&mut self, reason: String) -> io::Result<()> {
        self.resp = None;
        if self.resumes >= self.client.inner().opts.max_retries {
            let msg = format!(
                "download broke after {} and could not be completed ({} resumes): {reason}",
                self.describe_size(),
                self.resumes
            );
            return Err(self.fail(Error::Transport {
                url: format!("blob {} in {}", self.digest, self.reference.name()),
                message: msg,
            }));
        }
        tracing::warn!(blob = %self.digest, at = self.offset, %reason, "blob download broke; resuming");
        self.last_break = reason;
        Ok(())
    }

    /// Ask for the rest of the blob (from `offset`).
    fn resume(&mut self) -> io::Result<()> {
        let inner = self.client.inner();
        let wait = inner
            .opts
            .retry_base_delay
            .saturating_mul(1u32 << self.resumes.min(16))
            .min(inner.opts.max_backoff);
        self.resumes += 1;
        inner.counters.resumes.fetch_add(1, Ordering::Relaxed);
        inner.counters.retries.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(wait);
        let from = self.offset;
        let resp = match self.request((from > 0).then_some(from)) {
            Ok(r) => r,
            Err(e) => {
                let msg = format!(
                    "download broke after {} ({}), and resuming it failed: {e}",
                    self.describe_size(),
                    self.last_break
                );
                return Err(self.fail(Error::Transport {
                    url: format!("blob {} in {}", self.digest, self.reference.name()),
                    message: msg,
                }));
            }
        };
        if resp.status() == StatusCode::PARTIAL_CONTENT {
            let start = resp
                .headers()
                .get(reqwest::header::CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("bytes "))
                .and_then(|v| v.split('-').next())
                .and_then(|v| v.trim().parse::<u64>().ok());
            if start != Some(from) {
                let what = format!("range response for blob {}", self.digest);
                return Err(self.fail(Error::InvalidResponse {
                    what,
                    reason: format!(
                        "asked for bytes from {from}, got Content-Range starting at {start:?}"
                    ),
                }));
            }
            self.skip = 0;
        } else {
            // the server sent the whole blob again: skip what was already handed out
            self.skip = from;
        }
        self.resp = Some(resp);
        Ok(())
    }

    fn finish(&mut self) -> io::Result<usize> {
        let actual = format!("sha256:{}", hex::encode(self.hasher.finalize_reset()));
        if let Some(size) = self.size
            && self.offset != size
        {
            let e = Error::BlobSize {
                digest: self.digest.clone(),
                expected: size,
                actual: self.offset,
            };
            return Err(self.fail(e));
        }
        if actual != self.digest {
            let e = Error::DigestMismatch {
                digest: self.digest.clone(),
                actual,
            };
            return Err(self.fail(e));
        }
        self.done = true;
        self.resp = None;
        self.release_slot();
        Ok(0)
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.resp.is_none() {
                self.resume()?;
            }
            let resp = self.resp.as_mut().expect("a response after resume");
            match resp.read(buf) {
                Ok(0) => {
                    if self.skip > 0 {
                        let reason = format!(
                            "the restarted download ended before the {} bytes already read",
                            self.offset
                        );
                        self.note_break(reason)?;
                        continue;
                    }
                    if let Some(size) = self.size
                        && self.offset < size
                    {
                        let reason = format!("connection closed after {}", self.describe_size());
                        self.note_break(reason)?;
                        continue;
                    }
                    return self.finish();
                }
                Ok(n) => {
                    let mut n = n;
                    if self.skip > 0 {
                        let k = (self.skip.min(n as u64)) as usize;
                        self.skip -= k as u64;
                        buf.copy_within(k..n, 0);
                        n -= k;
                        if n == 0 {
                            continue;
                        }
                    }
                    if let Some(size) = self.size
                        && self.offset + n as u64 > size
                    {
                        let e = Error::BlobSize {
                            digest: self.digest.clone(),
                            expected: size,
                            actual: self.offset + n as u64,
                        };
                        return Err(self.fail(e));
                    }
                    self.hasher.update(&buf[..n]);
                    self.offset += n as u64;
                    self.client
                        .inner()
                        .counters
                        .blob_bytes
                        .fetch_add(n as u64, Ordering::Relaxed);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.note_break(chain(&e))?;
                }
            }
        }
    }
}

impl Drop for BlobReader {
    fn drop(&mut self) {
        self.release_slot();
    }
}

/// The [`BlobFetcher`] the image crate streams layers through: one repository of one
/// registry, verified [`BlobReader`]s.
#[derive(Debug, Clone)]
pub struct RegistryBlobFetcher {
    client: RegistryClient,
    reference: Reference,
}

impl RegistryBlobFetcher {
    pub fn new(client: RegistryClient, reference: Reference) -> RegistryBlobFetcher {
        RegistryBlobFetcher { client, reference }
    }
}

impl BlobFetcher for RegistryBlobFetcher {
    fn open_blob(&self, digest: &str, size: u64) -> io::Result<Box<dyn Read + Send>> {
        let r = BlobReader::open(self.client.clone(), &self.reference, digest, size)
            .map_err(Error::into_io)?;
        Ok(Box::new(r))
    }
}
