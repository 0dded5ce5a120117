//! SQLite and PostgreSQL behind one `Store`, chosen from the database URL at
//! run time, and the blob store over `object_store`.
//!
//! Queries are written once in the SQL both backends understand (`$n`
//! placeholders, `RETURNING`, partial indexes) and run through sqlx's `Any`
//! driver; only the migrations differ per backend.

mod blobs;
pub mod cache_bus;
mod db;
pub mod fsck;
mod rows;

pub use blobs::{BlobRange, Blobs, PROBE_PREFIX};
pub use db::Db;
