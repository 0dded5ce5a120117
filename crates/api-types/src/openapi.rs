//! OpenAPI schemas of the wire types whose JSON is written by hand
//! (`Flags`, `ShareRights`, `FileShare`) and of the two date strings.
//! Only built with the `openapi` feature (the server's `/openapi.json`).

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::dto::{Flags, ShareRights};
use crate::FileShare;

/// DocSpace's `ApiDateTime` as we write it: UTC, exactly seven fractional
/// digits, `Z` (`2026-06-30T10:13:11.1234560Z`). Documentation only.
pub struct ApiDateTime;

impl PartialSchema for ApiDateTime {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$"))
            .description(Some("DocSpace's ApiDateTime: UTC with exactly seven fractional digits"))
            .examples(["2026-06-30T10:13:11.1234560Z"])
            .into()
    }
}
impl ToSchema for ApiDateTime {}

/// A .NET `DateTime` with the fraction trimmed (the login's `expires`).
pub struct PlainDateTime;

impl PartialSchema for PlainDateTime {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$"))
            .description(Some("UTC date and time, fraction without trailing zeros"))
            .examples(["2026-06-30T10:13:11.5Z"])
            .into()
    }
}
impl ToSchema for PlainDateTime {}

impl PartialSchema for Flags {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .additional_properties(Some(bool::schema()))
            .description(Some("Action name (PascalCase) → allowed"))
            .into()
    }
}
impl ToSchema for Flags {}

impl PartialSchema for ShareRights {
    fn schema() -> RefOr<Schema> {
        let names = ArrayBuilder::new().items(String::schema());
        ObjectBuilder::new()
            .additional_properties(Some(names))
            .description(Some("Subject type name → the FileShare names a link may get"))
            .into()
    }
}
impl ToSchema for ShareRights {}

impl PartialSchema for FileShare {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::Integer))
            .enum_values(Some(0..=11))
            .description(Some(
                "FileShare: 0 None, 1 ReadWrite, 2 Read, 3 Restrict, 4 Varies, 5 Review, 6 Comment, \
                 7 FillForms, 8 CustomFilter, 9 RoomManager, 10 Editing, 11 ContentCreator",
            ))
            .into()
    }
}
impl ToSchema for FileShare {}
