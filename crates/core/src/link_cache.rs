//! The link cache (product decision 12): a node keeps the answers of
//! `Store::link_with_file` — the lookup behind every recipient request — in
//! memory for at most one second.
//!
//! Correctness rests on three rules:
//! - every entry is dropped one second after the database read that made it
//!   *started*, so a change committed at T is seen by every node by T + 1 s
//!   whatever happens to notifications;
//! - every write through this node that can change a cached pair bumps the
//!   cache's epoch before the write's request returns (`CachedStore` does it
//!   for each such `Store` method), which invalidates every entry at once,
//!   including one being filled by a read that raced the write (an entry
//!   carries the epoch its read started in);
//! - on PostgreSQL, the write is also announced to the other nodes (an
//!   `InvalidationBus`, `NOTIFY`), which bump their epochs when it arrives.
//!
//! What counts is never cached: a link with a download limit (`max_uses`)
//! is always read from the database, and lockouts, sessions and API keys do
//! not go through this cache at all.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::{File, Link};

/// The longest an entry lives (decision 12: "at most one second").
pub const LINK_CACHE_TTL: Duration = Duration::from_secs(1);

/// Entries kept at most; the least used go first beyond it.
pub const LINK_CACHE_CAPACITY: usize = 100_000;

/// One cached answer: the pair, or "no file link with this id" (a folder
/// link's id, a deleted link), with the epoch and the instant its database
/// read started.
#[derive(Clone)]
struct Slot {
    epoch: u64,
    read_at: Instant,
    pair: Option<Arc<(Link, File)>>,
}

/// The cache itself: link id → (link, file), and the epoch.
pub struct LinkCache {
    entries: quick_cache::sync::Cache<String, Slot>,
    epoch: AtomicU64,
    ttl: Duration,
}

/// A cache lookup that missed: fill it with `LinkCache::fill` once the
/// database answered.
pub struct Miss {
    epoch: u64,
    read_at: Instant,
}

impl LinkCache {
    pub fn new() -> Self {
        Self::with_ttl(LINK_CACHE_TTL)
    }

    /// A cache whose entries live `ttl` (never more than `LINK_CACHE_TTL`).
    pub fn with_ttl(ttl: Duration) -> Self {
        LinkCache {
            entries: quick_cache::sync::Cache::new(LINK_CACHE_CAPACITY),
            epoch: AtomicU64::new(0),
            ttl: ttl.min(LINK_CACHE_TTL),
        }
    }

    /// The cached answer for `link_id` (`Ok(None)`: known to be no file
    /// link), or the `Miss` to fill after reading the database.
    pub fn get(&self, link_id: &str) -> Result<Option<(Link, File)>, Miss> {
        // Epoch and clock are read before the lookup: a fill started now
        // is judged against them.
        let epoch = self.epoch.load(Ordering::Acquire);
        let now = Instant::now();
        match self.entries.get(link_id) {
            Some(slot) if slot.epoch == epoch && now.duration_since(slot.read_at) < self.ttl => {
                Ok(slot.pair.as_deref().cloned())
            }
            _ => Err(Miss { epoch, read_at: now }),
        }
    }

    /// Stores what the database answered after `miss`. A pair whose link
    /// counts (a download limit) is not stored: its counter must be read
    /// from the database on every request.
    pub fn fill(&self, link_id: &str, miss: Miss, pair: Option<&(Link, File)>) {
        if pair.is_some_and(|(link, _)| link.max_uses.is_some()) {
            return;
        }
        // An invalidation since the read started makes the slot dead on
        // arrival (its epoch is old); skipping the insert just saves memory.
        if self.epoch.load(Ordering::Acquire) != miss.epoch {
            return;
        }
        let slot = Slot { epoch: miss.epoch, read_at: miss.read_at, pair: pair.cloned().map(Arc::new) };
        self.entries.insert(link_id.to_string(), slot);
    }

    /// Forgets every entry, in O(1): entries of older epochs are dead, and
    /// so are the fills of reads that started before this call.
    pub fn invalidate_all(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Entries held (live or dead), for tests and metrics.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Default for LinkCache {
    fn default() -> Self {
        Self::new()
    }
}

/// Tells the other nodes that this one changed something a cached pair may
/// hold (PostgreSQL: `NOTIFY`). Called after the write committed; a failure
/// is logged by the implementation and otherwise ignored, since entries
/// die within one second anyway.
#[async_trait]
pub trait InvalidationBus: Send + Sync + 'static {
    async fn publish(&self);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Entry, Owner};
    use spacelinks_api_types::FileShare;

    fn pair(max_uses: Option<i64>) -> (Link, File) {
        let link = Link {
            id: "l".into(),
            entry: Entry::File(1),
            primary: true,
            access: FileShare::Read,
            title: String::new(),
            expires: None,
            password_enc: None,
            deny_download: false,
            internal: false,
            short_code: String::new(),
            created_by: String::new(),
            created: 0,
            token_salt: String::new(),
            max_uses,
            use_count: 0,
            allowed_networks: Vec::new(),
        };
        let file = File {
            id: 1,
            folder_id: 1,
            owner: Owner { id: "u".into(), display_name: String::new(), my_folder_id: 1 },
            title: "a.txt".into(),
            size: 0,
            version: 1,
            blob_key: String::new(),
            created: 0,
            updated: 0,
            has_links: true,
            has_public_links: true,
            locked_by: None,
            has_shares: false,
            version_group: 1,
        };
        (link, file)
    }

    #[test]
    fn a_filled_entry_is_served_until_invalidated() {
        let c = LinkCache::new();
        let Err(miss) = c.get("l") else { panic!("an empty cache served") };
        c.fill("l", miss, Some(&pair(None)));
        assert_eq!(c.get("l").ok().flatten().map(|(l, _)| l.id), Some("l".to_string()));
        c.invalidate_all();
        assert!(c.get("l").is_err(), "served after invalidation");
    }

    #[test]
    fn a_read_that_raced_an_invalidation_is_not_served() {
        let c = LinkCache::new();
        let miss = c.get("l").err().unwrap();
        c.invalidate_all(); // a write committed while the read was running
        c.fill("l", miss, Some(&pair(None)));
        assert!(c.get("l").is_err());
    }

    #[test]
    fn links_that_count_are_never_cached() {
        let c = LinkCache::new();
        let miss = c.get("l").err().unwrap();
        c.fill("l", miss, Some(&pair(Some(3))));
        assert!(c.get("l").is_err());
    }

    #[test]
    fn absent_links_are_cached_too_and_entries_expire() {
        let c = LinkCache::with_ttl(Duration::from_millis(50));
        let miss = c.get("gone").err().unwrap();
        c.fill("gone", miss, None);
        assert!(matches!(c.get("gone"), Ok(None)));
        std::thread::sleep(Duration::from_millis(60));
        assert!(c.get("gone").is_err(), "served past its lifetime");
    }
}
