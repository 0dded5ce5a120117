//! Background work, one small runner started by `serve` and stopped on
//! shutdown: the purge of expired sessions, ended lockout counters and link
//! events past the retention. Every node runs it; the deletes are
//! idempotent, so nodes need not coordinate.

use std::time::Duration;

use spacelinks_api_types::date::now_micros;
use spacelinks_core::{Purged, Result};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::AppState;

const DAY_MICROS: i64 = 86_400_000_000;

/// Ended lockout windows are kept a day, so that the backoff of a window
/// that ended exhausted still applies to the next attempt.
const COUNTER_KEEP_MICROS: i64 = DAY_MICROS;

pub struct Jobs {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// Starts the runner: a purge right away, then every `purge_interval`.
pub fn start(state: AppState) -> Jobs {
    let (stop, mut stopped) = oneshot::channel();
    let interval = state.config.purge_interval.max(Duration::from_millis(10));
    let task = tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut stopped => return,
                _ = ticks.tick() => {}
            }
            match purge_once(&state).await {
                Ok(p) if p != Purged::default() => {
                    tracing::info!(sessions = p.sessions, counters = p.lockout_counters, events = p.events, "purged")
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "purge failed"),
            }
        }
    });
    Jobs { stop, task }
}

impl Jobs {
    /// Stops the runner; a purge under way finishes first.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// One purge: sessions past their expiry, lockout counters ended more than
/// a day ago, and link events older than `event_retention_days` (0 keeps
/// them).
pub async fn purge_once(state: &AppState) -> Result<Purged> {
    let now = now_micros();
    let days = state.config.event_retention_days;
    let events_before = (days > 0).then(|| now - i64::from(days) * DAY_MICROS);
    state.svc.store.purge(now, now - COUNTER_KEEP_MICROS, events_before).await
}
