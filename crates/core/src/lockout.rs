//! The one lockout, for account passwords (login, Basic auth, any later
//! sign-in form) and link passwords alike.
//!
//! An attempt is counted *before* the password is judged, in one atomic
//! upsert per counter (`Store::count_attempt`), and taken back when the
//! password was right. So a burst of parallel guesses cannot all read "no
//! failures yet": at most `max` of them are ever judged per window.

use std::net::IpAddr;

use spacelinks_api_types::date::now_micros;

use crate::{Error, Result, Store};

/// `max` failures within a window of `window_secs` that starts at the first
/// failure. When `max_window_secs` is larger, a window that ended exhausted
/// is followed by one twice as long, up to `max_window_secs` (backoff).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: i64,
    pub window_secs: i64,
    pub max_window_secs: i64,
}

impl Limit {
    pub const fn fixed(max: i64, window_secs: i64) -> Self {
        Limit { max, window_secs, max_window_secs: window_secs }
    }

    pub const fn with_backoff(max: i64, window_secs: i64, max_window_secs: i64) -> Self {
        Limit { max, window_secs, max_window_secs }
    }
}

/// Every limit on wrong passwords, in one place.
#[derive(Debug, Clone, Copy)]
pub struct LockoutPolicy {
    /// Per link and client.
    pub link_client: Limit,
    /// Per link, from anyone: a distributed guess of one link.
    pub link: Limit,
    /// Per account and client.
    pub login_client: Limit,
    /// Per account, from anyone, with backoff: a distributed guess of one
    /// account is slowed to `max` per `max_window_secs`.
    pub login_account: Limit,
    /// Per client, over all accounts: one client spraying many accounts.
    pub login_any_account: Limit,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            link_client: Limit::fixed(5, 60),
            link: Limit::fixed(30, 60),
            login_client: Limit::fixed(5, 60),
            login_account: Limit::with_backoff(10, 15 * 60, 60 * 60),
            login_any_account: Limit::fixed(30, 15 * 60),
        }
    }
}

/// One counter: what it counts (`scope`, `key`) and its limit.
#[derive(Debug, Clone)]
pub struct Counter {
    pub scope: &'static str,
    pub key: String,
    pub limit: Limit,
}

/// A counter right after an attempt was counted in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterHit {
    pub failures: i64,
    pub window_start: i64,
    pub window_end: i64,
}

/// The key every limit uses for a client: the IPv4 address, or the /64 of
/// an IPv6 address (one subscriber usually holds a whole /64, so counting
/// single IPv6 addresses would give an attacker 2^64 fresh clients).
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Counter keys are stored in an index; a hostile 10 KiB e-mail would not
/// fit PostgreSQL's index rows, so long keys are stored as their hash.
fn bounded(key: String) -> String {
    use sha2::{Digest, Sha256};
    if key.len() <= 200 {
        return key;
    }
    format!("sha256:{}", hex::encode(Sha256::digest(key.as_bytes())))
}

impl LockoutPolicy {
    /// The counters a link password attempt is held to.
    pub fn link_counters(&self, link_id: &str, client: IpAddr) -> Vec<Counter> {
        let client = client_key(client);
        vec![
            Counter { scope: "link-client", key: bounded(format!("{link_id} {client}")), limit: self.link_client },
            Counter { scope: "link", key: bounded(link_id.to_string()), limit: self.link },
        ]
    }

    /// The counters an account password attempt is held to. E-mails are
    /// compared case-insensitively, as logins are.
    pub fn login_counters(&self, email: &str, client: IpAddr) -> Vec<Counter> {
        let (email, client) = (email.trim().to_lowercase(), client_key(client));
        vec![
            Counter { scope: "login-client", key: bounded(format!("{email} {client}")), limit: self.login_client },
            Counter { scope: "login-account", key: bounded(email), limit: self.login_account },
            Counter { scope: "login-any", key: client, limit: self.login_any_account },
        ]
    }
}

/// An attempt counted in its counters, waiting for the verdict.
#[must_use = "an attempt stays counted unless released"]
pub struct Attempt {
    store: std::sync::Arc<dyn Store>,
    counted: Vec<(&'static str, String, i64)>,
}

/// Counts one attempt in every counter; 429 (`TooManyAttempts`, with the
/// seconds until the exhausted window ends) when any counter is past its
/// limit, in which case nothing stays counted.
pub async fn begin_attempt(store: &std::sync::Arc<dyn Store>, counters: Vec<Counter>) -> Result<Attempt> {
    let now = now_micros();
    let mut attempt = Attempt { store: store.clone(), counted: Vec::with_capacity(counters.len()) };
    for c in counters {
        let hit = store.count_attempt(c.scope, &c.key, now, &c.limit).await?;
        attempt.counted.push((c.scope, c.key, hit.window_start));
        if hit.failures > c.limit.max {
            attempt.release().await?;
            let retry_after_secs = ((hit.window_end - now + 999_999) / 1_000_000).max(1);
            return Err(Error::TooManyAttempts { retry_after_secs });
        }
    }
    Ok(attempt)
}

impl Attempt {
    /// The password was right, or never judged: the attempt does not count.
    pub async fn release(self) -> Result<()> {
        for (scope, key, window_start) in &self.counted {
            self.store.uncount_attempt(scope, key, *window_start).await?;
        }
        Ok(())
    }

    /// The password was wrong: the attempt stays counted.
    pub fn failed(self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_ipv4_addresses_or_ipv6_64s() {
        let key = |s: &str| client_key(s.parse().unwrap());
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
        assert_eq!(key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(key("::1"), "0:0:0:0::/64");
    }

    #[test]
    fn login_counters_ignore_email_case() {
        let p = LockoutPolicy::default();
        let ip = "2001:db8::5".parse().unwrap();
        let a = p.login_counters("Owner@Example.com", ip);
        let b = p.login_counters("owner@example.com", "2001:db8::6".parse().unwrap());
        assert_eq!(a.iter().map(|c| &c.key).collect::<Vec<_>>(), b.iter().map(|c| &c.key).collect::<Vec<_>>());
        assert_eq!(a[1].limit, p.login_account);
        // A hostile 10 KiB e-mail is counted under a short key.
        let long = p.login_counters(&"x".repeat(10_000), ip);
        assert!(long.iter().all(|c| c.key.len() <= 200), "{:?}", long[0].key.len());
        assert_ne!(long[0].key, p.login_counters(&"x".repeat(10_001), ip)[0].key);
    }
}
