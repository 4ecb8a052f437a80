//! Runtime inventory: the images of every admitted pod, sent to the Drydock server
//! (`POST {server}/api/v1/runtime`, `Authorization: Bearer <token>`,
//! `{"records":[{cluster, namespace, workload, kind, container, image, digest}]}`).
//! Fire-and-forget through a bounded queue: admission never waits for the server; when the
//! queue is full, records are dropped and counted.

use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// One running container image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuntimeRecord {
    pub cluster: String,
    pub namespace: String,
    pub workload: String,
    pub kind: String,
    pub container: String,
    pub image: String,
    pub digest: String,
}

#[derive(Serialize)]
struct Batch<'a> {
    records: &'a [RuntimeRecord],
}

/// Counters of the reporter.
#[derive(Debug, Default)]
pub struct ReporterStats {
    pub sent: AtomicU64,
    pub dropped: AtomicU64,
    pub failed: AtomicU64,
}

/// The sending side; cheap to clone. Must be created inside a Tokio runtime.
#[derive(Clone)]
pub struct RuntimeReporter {
    tx: mpsc::Sender<RuntimeRecord>,
    pub stats: Arc<ReporterStats>,
}

/// Records sent per request at most.
const MAX_BATCH: usize = 500;

impl RuntimeReporter {
    /// Start the sender task: records are batched (whatever is queued when a request
    /// starts) and POSTed to `{server}/api/v1/runtime`.
    pub fn start(server: &str, token: Option<String>, queue: usize) -> RuntimeReporter {
        let (tx, mut rx) = mpsc::channel::<RuntimeRecord>(queue.max(1));
        let stats = Arc::new(ReporterStats::default());
        let url = format!("{}/api/v1/runtime", server.trim_end_matches('/'));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        let st = stats.clone();
        tokio::spawn(async move {
            let mut batch = Vec::new();
            while let Some(first) = rx.recv().await {
                batch.clear();
                batch.push(first);
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(r) => batch.push(r),
                        Err(_) => break,
                    }
                }
                let mut req = client.post(&url).json(&Batch { records: &batch });
                if let Some(t) = &token {
                    req = req.bearer_auth(t);
                }
                match req.send().await {
                    Ok(r) if r.status().is_success() => {
                        st.sent.fetch_add(batch.len() as u64, Ordering::Relaxed);
                    }
                    Ok(r) => {
                        st.failed.fetch_add(batch.len() as u64, Ordering::Relaxed);
                        tracing::warn!(%url, status = r.status().as_u16(), "runtime inventory: the server refused the records");
                    }
                    Err(e) => {
                        st.failed.fetch_add(batch.len() as u64, Ordering::Relaxed);
                        tracing::warn!(%url, error = %e, "runtime inventory: sending failed");
                    }
                }
            }
        });
        RuntimeReporter { tx, stats }
    }

    /// Queue a record; never waits (a full queue drops it).
    pub fn report(&self, r: RuntimeRecord) {
        if self.tx.try_send(r).is_err() {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}
