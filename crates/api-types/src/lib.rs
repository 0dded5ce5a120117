//! The DocSpace wire format: envelopes, error bodies, enum numbers, the
//! `ApiDateTime` string, lenient request parsing and the response DTOs.
//! No HTTP framework, no database, no domain rules live here.

pub mod date;
pub mod dto;
pub mod enums;
pub mod envelope;
pub mod lenient;
#[cfg(feature = "openapi")]
pub mod openapi;

pub use date::{format_api_date, parse_api_date};
pub use enums::{FileShare, FileType, UserType};
pub use envelope::{write_envelope, Envelope, ErrorBody};
pub use lenient::{FieldError, Fields};
