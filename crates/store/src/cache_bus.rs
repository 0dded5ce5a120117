//! The link cache across nodes on PostgreSQL (decision 12): a node that
//! changed something `NOTIFY`s the channel `spacelinks_link_cache` with its
//! node id as payload; every other node `LISTEN`s and empties its cache
//! when a notification arrives. Notifications are not stored: while a
//! listener is disconnected the node empties its cache when the loss is
//! seen and again once it listens anew, and the one-second lifetime of
//! entries bounds what it may miss in between.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use spacelinks_core::link_cache::{InvalidationBus, LinkCache};
use sqlx::postgres::PgListener;
use sqlx::AnyPool;
use tokio::sync::Notify;

use crate::Db;

/// The channel every node listens on.
pub const CHANNEL: &str = "spacelinks_link_cache";

/// Wait before listening again after the connection was lost.
const RECONNECT_DELAY: Duration = Duration::from_millis(250);

/// Publishes this node's writes (`NOTIFY spacelinks_link_cache, '<node>'`)
/// from a task of its own. Writes that come while a notification is on its
/// way share the next one: each NOTIFY takes PostgreSQL's global queue lock
/// at commit, and one per write made concurrent link updates wait on each
/// other. A write is announced within one NOTIFY's round trip of its
/// return, far inside decision 12's second.
pub struct PgBus {
    wake: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl PgBus {
    /// `None` unless `db` is PostgreSQL. `node` tells a node its own
    /// notifications apart (a UUID: it goes into the SQL text, as NOTIFY
    /// takes no parameters). Call inside the Tokio runtime.
    pub fn new(db: &Db, node: &uuid::Uuid) -> Option<Self> {
        if spacelinks_core::Store::backend(db) != "postgres" {
            return None;
        }
        let wake = Arc::new(Notify::new());
        let task = tokio::spawn(notify_on_wake(db.pool().clone(), node.simple().to_string(), wake.clone()));
        Some(PgBus { wake, task })
    }
}

impl Drop for PgBus {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Sends one NOTIFY per wake-up; wake-ups during a send collapse into one.
async fn notify_on_wake(pool: AnyPool, node: String, wake: Arc<Notify>) {
    let sql = format!("NOTIFY {CHANNEL}, '{node}'");
    loop {
        wake.notified().await;
        if let Err(e) = sqlx::raw_sql(&sql).execute(&pool).await {
            // The other nodes' entries still die within one second.
            tracing::warn!(error = %e, "cannot notify the other nodes of a link change");
        }
    }
}

#[async_trait]
impl InvalidationBus for PgBus {
    async fn publish(&self) {
        // Stores one permit when the task is busy sending: the writes that
        // come meanwhile are announced by the next NOTIFY.
        self.wake.notify_one();
    }
}

/// Listens for the other nodes' notifications until the task is aborted,
/// reconnecting after a loss; `cache` is emptied on every notification from
/// another node, on a loss, and on every (re)connection.
pub fn spawn_listener(url: String, node: &uuid::Uuid, cache: Arc<LinkCache>) -> tokio::task::JoinHandle<()> {
    let node = node.simple().to_string();
    tokio::spawn(async move {
        loop {
            let err = listen(&url, &node, &cache).await;
            cache.invalidate_all();
            tracing::warn!(error = %err, "link cache listener lost its connection; listening again");
            tokio::time::sleep(RECONNECT_DELAY).await;
        }
    })
}

/// One connection's worth of listening; returns why it ended.
async fn listen(url: &str, node: &str, cache: &LinkCache) -> sqlx::Error {
    let mut listener = match PgListener::connect(url).await {
        Ok(l) => l,
        Err(e) => return e,
    };
    if let Err(e) = listener.listen(CHANNEL).await {
        return e;
    }
    // Whatever was announced before this point was not heard.
    cache.invalidate_all();
    loop {
        match listener.try_recv().await {
            Ok(Some(n)) if n.payload() == node => {}
            Ok(Some(_)) => cache.invalidate_all(),
            // The connection dropped: reconnect here (not inside sqlx) so
            // that the cache is emptied once listening works again.
            Ok(None) => return sqlx::Error::Protocol("the listening connection was lost".into()),
            Err(e) => return e,
        }
    }
}
