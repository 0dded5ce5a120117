//! The domain of spacelinks: users, files, external links, what a link
//! grants and the policies around it, and the `Store` trait the database
//! implements. No HTTP and no SQL here, so every rule is unit-testable.

pub mod activity;
pub mod cached_store;
pub mod crypto;
pub mod error;
pub mod keys;
pub mod link_cache;
pub mod links;
pub mod lockout;
pub mod model;
pub mod rights;
pub mod service;
pub mod store;
pub mod titles;
pub mod versions;
pub mod webhooks;

pub use error::{Error, Result};
pub use model::*;
pub use store::{EntryMove, LinkChangeFn, LinkInsert, LinkWrite, Store};
pub use webhooks::{NewWebhookLog, WebhookAttempt, WebhookConfig, WebhookLog, WebhookLogQuery};
