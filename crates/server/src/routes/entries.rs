//! Batch calls on files and folders that DocSpace answers without an
//! operation: a user's templates (`POST`/`DELETE files/templates`),
//! thumbnail requests (`POST files/thumbnails`) and the bulk order
//! (`PUT files/order`).

use crate::openapi as doc;
use axum::body::Bytes;
use axum::extract::State;
use serde_json::Value;
use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::Fields;
use spacelinks_core::{extension_of, Error};

use crate::access::{file_access, request_token};
use crate::app::AppState;
use crate::ctx::{Body, Ctx, QueryMap};
use crate::dto::folder_dto;
use crate::error::ApiResult;
use crate::routes::fileops::ids;
use crate::routes::files::owner_dto;

const TEMPLATE: &str = "template";

/// The formats DocSpace's editors can start a new document from, the only
/// files it tags as templates (its `ExtsWebTemplate`).
const TEMPLATE_EXTS: [&str; 13] =
    [".docx", ".dotx", ".xlsx", ".xltx", ".pptx", ".potx", ".odt", ".ott", ".ods", ".ots", ".odp", ".otp", ".pdf"];

/// `POST files/templates` `{fileIds}`: marks the caller's readable files of
/// an editable format as their templates. Ids of missing or unreadable
/// files, and other formats, are skipped; the answer is `true`, as
/// DocSpace's.
#[utoipa::path(
    post, path = "/api/2.0/files/templates", tag = "files",
    request_body = doc::FileIdsOptional,
    responses((status = 200, description = "Always `true`", body = doc::Envelope<bool>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::TooLarge)
)]
pub async fn add_templates(State(state): State<AppState>, ctx: Ctx, q: QueryMap, Body(body): Body) -> ApiResult {
    let user = ctx.not_guest()?;
    for id in ids(&body, "fileids", not_an_id)? {
        let access = match file_access(&state, &ctx, &q, id).await {
            Ok(a) => a,
            Err(Error::NotFound(_) | Error::Forbidden(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        let ext = extension_of(&access.file().title).to_ascii_lowercase();
        if TEMPLATE_EXTS.contains(&ext.as_str()) {
            state.svc.store.mark_file(&user.id, id, TEMPLATE, true, now_micros()).await?;
        }
    }
    ctx.ok(true)
}

/// `DELETE files/templates` with a JSON array of file ids as the body:
/// removes them from the caller's templates. No body is 400, as DocSpace's
/// required `[FromBody]`; ids that are not templates are skipped.
#[utoipa::path(
    delete, path = "/api/2.0/files/templates", tag = "files",
    request_body = Vec<i64>,
    responses((status = 200, description = "Always `true`", body = doc::Envelope<bool>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::TooLarge)
)]
pub async fn delete_templates(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> ApiResult {
    let user = ctx.not_guest()?;
    let bad = || Error::BadRequest("The body must be a JSON array of file ids".into());
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::BadRequest("A non-empty request body is required.".into()).into());
    }
    let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&body) else { return Err(bad().into()) };
    for item in items {
        let id = match item {
            Value::Number(n) => n.as_i64().ok_or_else(bad)?,
            Value::String(s) => s.trim().parse().map_err(|_| bad())?,
            _ => return Err(bad().into()),
        };
        state.svc.store.mark_file(&user.id, id, TEMPLATE, false, now_micros()).await?;
    }
    ctx.ok(true)
}

/// `POST files/thumbnails` `{fileIds}`: DocSpace queues thumbnails and
/// answers the ids it was given, unchecked. spacelinks renders previews when
/// they are fetched, so there is nothing to queue: the ids come back as
/// sent (anything that is not an id is 400). Anonymous callers need a link token (401 otherwise), as DocSpace.
#[utoipa::path(
    post, path = "/api/2.0/files/thumbnails", tag = "files", security((), ("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = []), ("RequestToken" = [])),
    params(doc::ShareQuery),
    request_body = doc::FileIdsOptional,
    responses((status = 200, description = "The `fileIds` sent", body = doc::Envelope<Vec<i64>>), doc::BadRequest, doc::Unauthorized, doc::TooLarge)
)]
pub async fn thumbnails(State(state): State<AppState>, ctx: Ctx, q: QueryMap, Body(body): Body) -> ApiResult {
    if ctx.caller.user.is_none() {
        let token = request_token(&ctx, &q).ok_or(Error::Unauthorized)?;
        state.svc.shared(&token).await?.ok_or(Error::Unauthorized)?;
    }
    ctx.ok(ids(&body, "fileids", not_an_id)?)
}

/// A value in `fileIds` that cannot be a file id (zero, negative, past
/// 64 bits): the list is malformed, 400 (a missing file is skipped).
fn not_an_id() -> Error {
    Error::BadRequest("fileIds must be an array of ids".into())
}

/// `PUT files/order` `{items: [{entryId, entryType, order}]}`. DocSpace
/// orders entries by hand in indexed (VDR) rooms only; spacelinks has no
/// rooms, so, as `PUT files/{id}/order`, the owner's valid request is
/// answered with the entries unchanged (a FileDto or FolderDto each). A
/// missing entry (or one of the other type) is 404, someone else's 403, an
/// order below 1 ASP.NET's validation 400.
#[utoipa::path(
    put, path = "/api/2.0/files/order", tag = "files",
    request_body = doc::OrdersRequest,
    responses((status = 200, description = "The entries, in the order sent", body = doc::Envelope<Vec<doc::FileEntryDto>>), doc::ValidationBadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge)
)]
pub async fn set_order(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    let user = ctx.user()?;
    let items = order_items(&body)?;
    for (i, (_, _, order)) in items.iter().enumerate() {
        if *order < 1 {
            let field = format!("Items[{i}].Order");
            return Ok(ctx.validation_error(&field, "The field Order must be between 1 and 2147483647."));
        }
    }
    let mut out = Vec::with_capacity(items.len());
    for (id, entry_type, _) in items {
        let value = if entry_type == 1 {
            let folder = state.svc.store.folder(id).await?.ok_or_else(Error::item_not_found)?;
            if folder.owner.id != user.id {
                return Err(Error::cannot_perform().into());
            }
            let counts = state.svc.store.folder_counts(folder.id).await?;
            serde_json::to_value(folder_dto(&state, &folder, counts)).map_err(Error::internal)?
        } else {
            let file = state.svc.store.file(id).await?.ok_or_else(Error::item_not_found)?;
            if file.owner.id != user.id {
                return Err(Error::cannot_perform().into());
            }
            serde_json::to_value(owner_dto(&state, &file)).map_err(Error::internal)?
        };
        out.push(value);
    }
    ctx.ok(out)
}

/// `(entryId, entryType, order)` of each item; `entryType` is DocSpace's
/// `FileEntryType` (1 folder, 2 file) as a number or its name.
fn order_items(body: &Fields) -> Result<Vec<(i64, i64, i64)>, Error> {
    let bad = || Error::BadRequest("items must be a list of {entryId, entryType, order}".into());
    let items = match body.raw("items") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(bad()),
    };
    items
        .iter()
        .map(|item| {
            let Value::Object(map) = item else { return Err(bad()) };
            let get = |name: &str| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v);
            let int = |v: Option<&Value>| match v {
                Some(Value::Number(n)) => n.as_i64().ok_or_else(bad),
                Some(Value::String(s)) => s.trim().parse().map_err(|_| bad()),
                _ => Err(bad()),
            };
            let entry_type = match get("entryType") {
                Some(Value::String(s)) if s.eq_ignore_ascii_case("folder") => 1,
                Some(Value::String(s)) if s.eq_ignore_ascii_case("file") => 2,
                v => int(v)?,
            };
            if entry_type != 1 && entry_type != 2 {
                return Err(bad());
            }
            Ok((int(get("entryId"))?, entry_type, int(get("order"))?))
        })
        .collect()
}
