//! The per-link access log is written off the request path: handlers queue
//! events, one task writes them in batches.

use std::collections::HashMap;
use std::sync::Arc;

use spacelinks_core::{LinkEvent, Store};
use tokio::sync::{mpsc, oneshot, Notify};

enum Msg {
    Event(LinkEvent),
    Flush(oneshot::Sender<()>),
}

/// How long events may wait to be written together.
const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_millis(200);
/// Events queued at most; past it they are dropped (and logged), never the request.
const QUEUE: usize = 8192;

#[derive(Clone)]
pub struct EventSink {
    tx: mpsc::Sender<Msg>,
    /// Cuts the writer's window short: a flush, or a queue half full.
    hurry: Arc<Notify>,
}

impl EventSink {
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (tx, mut rx) = mpsc::channel::<Msg>(QUEUE);
        let hurry = Arc::new(Notify::new());
        let woken = hurry.clone();
        tokio::spawn(async move {
            let mut batch = Vec::new();
            let mut written = Written::default();
            while let Some(first) = rx.recv().await {
                // Gather for up to BATCH_WINDOW (or until a flush or a half
                // full queue): every write transaction makes SQLite's readers
                // drop their page caches, so a busy link must not cause one
                // per handful of requests. The task sleeps through the
                // window rather than waking for each event: a wake-up per
                // request was a visible share of a resolve's cost.
                let mut waiters = Vec::new();
                let mut next = Some(first);
                if !matches!(next, Some(Msg::Flush(_))) {
                    tokio::select! {
                        () = tokio::time::sleep(BATCH_WINDOW) => {}
                        () = woken.notified() => {}
                    }
                }
                // At most a queue's worth, so that a flood cannot keep one
                // batch open forever.
                for _ in 0..QUEUE {
                    let Some(msg) = next.take().or_else(|| rx.try_recv().ok()) else { break };
                    match msg {
                        Msg::Event(e) => batch.push(e),
                        Msg::Flush(done) => waiters.push(done),
                    }
                }
                let keys = written.drop_repeats(&mut batch);
                if !batch.is_empty() {
                    match store.record_link_events(&batch).await {
                        Ok(()) => written.remember(keys),
                        Err(e) => tracing::error!(error = %e, lost = batch.len(), "cannot write link events"),
                    }
                    batch.clear();
                }
                for w in waiters {
                    let _ = w.send(());
                }
            }
        });
        EventSink { tx, hurry }
    }

    /// Queues an event; under overload the event is dropped, not the request.
    pub fn record(&self, event: LinkEvent) {
        crate::metrics::link_events(event.kind.stored()).increment(1);
        if self.tx.try_send(Msg::Event(event)).is_err() {
            tracing::warn!("link event queue full; event dropped");
        }
        if self.tx.capacity() < QUEUE / 2 {
            self.hurry.notify_one();
        }
    }

    /// Waits until every event queued so far is written.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Flush(tx)).await.is_ok() {
            self.hurry.notify_one();
            let _ = rx.await;
        }
    }
}

/// The dedupe keys (`LinkEvent::dedupe_key`) this node wrote lately, so that
/// a busy link's repeated opens (one row per client and minute; the store
/// would skip them with `ON CONFLICT DO NOTHING`) never reach the database:
/// at thousands of requests a second they were most of its write load. The
/// store's unique index still decides across nodes.
#[derive(Default)]
struct Written {
    /// Key → the minute it belongs to.
    keys: HashMap<String, i64>,
}

/// Keys remembered at most; past it the oldest minute goes first, and at
/// worst the store skips what the memory forgot.
const MAX_REMEMBERED: usize = 100_000;

impl Written {
    /// Removes from `batch` the events already written and repeats within
    /// it; returns the keys of the events that remain, to remember once
    /// they are written.
    fn drop_repeats(&self, batch: &mut Vec<LinkEvent>) -> Vec<(String, i64)> {
        let mut fresh = Vec::new();
        let mut in_batch = std::collections::HashSet::new();
        batch.retain(|e| match e.dedupe_key() {
            None => true,
            Some(k) if self.keys.contains_key(&k) || in_batch.contains(&k) => false,
            Some(k) => {
                in_batch.insert(k.clone());
                fresh.push((k, e.at.div_euclid(60_000_000)));
                true
            }
        });
        fresh
    }

    fn remember(&mut self, keys: Vec<(String, i64)>) {
        let Some(newest) = keys.iter().map(|(_, m)| *m).max() else { return };
        // A key names its minute: older minutes can never repeat.
        self.keys.retain(|_, m| *m >= newest - 1);
        if self.keys.len() + keys.len() > MAX_REMEMBERED {
            self.keys.clear();
        }
        self.keys.extend(keys);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spacelinks_core::EventKind;

    fn opened(at: i64, ip: &str) -> LinkEvent {
        LinkEvent {
            at,
            link_id: "l".into(),
            file_id: 1,
            kind: EventKind::Opened,
            ip: ip.into(),
            user_agent: "ua".into(),
            bytes: None,
        }
    }

    #[test]
    fn repeated_opens_reach_the_store_once_per_client_and_minute() {
        let mut w = Written::default();
        let minute = 60_000_000;
        let mut batch = vec![opened(10 * minute, "a"), opened(10 * minute + 1, "a"), opened(10 * minute, "b")];
        let keys = w.drop_repeats(&mut batch);
        assert_eq!(batch.len(), 2);
        w.remember(keys);
        let mut again = vec![opened(10 * minute + 5, "a"), opened(11 * minute, "a")];
        let keys = w.drop_repeats(&mut again);
        assert_eq!(again.iter().map(|e| e.at).collect::<Vec<_>>(), [11 * minute], "a new minute is a new open");
        w.remember(keys);
        let downloads = LinkEvent { kind: EventKind::Downloaded, bytes: Some(1), ..opened(11 * minute, "a") };
        let mut kept = vec![downloads.clone(), downloads];
        w.drop_repeats(&mut kept);
        assert_eq!(kept.len(), 2, "downloads are all kept");
    }
}
