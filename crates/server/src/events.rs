//! The per-link access log is written off the request path: handlers queue
//! events, one task writes them in batches.

use std::sync::Arc;

use spacelinks_core::{LinkEvent, Store};
use tokio::sync::{mpsc, oneshot};

enum Msg {
    Event(LinkEvent),
    Flush(oneshot::Sender<()>),
}

/// How long events may wait to be written together.
const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_millis(200);
const MAX_BATCH: usize = 4096;

#[derive(Clone)]
pub struct EventSink {
    tx: mpsc::Sender<Msg>,
}

impl EventSink {
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (tx, mut rx) = mpsc::channel::<Msg>(8192);
        tokio::spawn(async move {
            let mut batch = Vec::new();
            while let Some(first) = rx.recv().await {
                // Gather for up to BATCH_WINDOW (or MAX_BATCH events, or until a
                // flush): every write transaction makes SQLite's readers drop
                // their page caches, so a busy link must not cause one per
                // handful of requests.
                let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
                let mut waiters = Vec::new();
                let mut next = Some(first);
                while let Some(msg) = next.take() {
                    match msg {
                        Msg::Event(e) => batch.push(e),
                        Msg::Flush(done) => waiters.push(done),
                    }
                    if batch.len() < MAX_BATCH && waiters.is_empty() {
                        next = tokio::time::timeout_at(deadline, rx.recv()).await.ok().flatten();
                    }
                }
                if !batch.is_empty() {
                    if let Err(e) = store.record_link_events(&batch).await {
                        tracing::error!(error = %e, lost = batch.len(), "cannot write link events");
                    }
                    batch.clear();
                }
                for w in waiters {
                    let _ = w.send(());
                }
            }
        });
        EventSink { tx }
    }

    /// Queues an event; under overload the event is dropped, not the request.
    pub fn record(&self, event: LinkEvent) {
        metrics::counter!("spacelinks_link_events_total", "kind" => event.kind.stored()).increment(1);
        if self.tx.try_send(Msg::Event(event)).is_err() {
            tracing::warn!("link event queue full; event dropped");
        }
    }

    /// Waits until every event queued so far is written.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}
