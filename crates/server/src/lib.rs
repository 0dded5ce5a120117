//! The HTTP side of spacelinks: the DocSpace-compatible API, the share page
//! and downloads, over axum. `serve` takes a bound listener so tests start
//! the real server on port 0.

pub mod access;
pub mod app;
pub mod auth;
pub mod config;
pub mod ctx;
pub mod download;
pub mod dto;
pub mod error;
pub mod events;
pub mod fileops;
pub mod jobs;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod scope;
pub mod web;
pub mod webhooks;
pub mod zip;

pub use app::{build, serve, App};
pub use config::Config;
