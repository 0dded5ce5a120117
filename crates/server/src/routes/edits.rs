//! Changing a file by the API rather than by upload: rename
//! (`PUT files/file/{id}`) and text or HTML files made from a string
//! (`POST files/{folderId}/text`, `.../html`).

use crate::openapi as doc;
use axum::extract::{Path, State};
use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::Fields;
use spacelinks_core::versions::COMMENT_UPLOADED;
use spacelinks_core::{extension_of, Error};

use crate::app::AppState;
use crate::ctx::{parse_id, Body, Ctx};
use crate::error::{ApiError, ApiResult};
use crate::routes::files::{add_file, checked_title, delete_blobs, new_blob_key, own_folder, owner_dto, MAX_TITLE};

/// `PUT files/file/{id}` `{title, lastVersion}`: renames the file, keeping
/// its extension as DocSpace does (`Renamed.txt` on a `.docx` file becomes
/// `Renamed.txt.docx`); slashes become `_`, as DocSpace sanitises them. An
/// empty or blank title changes nothing; one over 165 characters is
/// ASP.NET's validation 400 (`errors["File.Title"]`), as in DocSpace. Only
/// the owner renames. `lastVersion: N` then makes the content of version
/// min(N, current) a new version (DocSpace's `UpdateToVersion`); N equal to
/// the current version is 400, before anything changes.
#[utoipa::path(
    put, path = "/api/2.0/files/file/{file_id}", tag = "files",
    params(("file_id" = i64, Path, description = "File id")),
    request_body = doc::UpdateFileRequest,
    responses(
        (status = 200, description = "The file, renamed (and with its new version)", body = doc::Envelope<doc::FileDto>),
        doc::ValidationBadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge,
    )
)]
pub async fn update_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    let user = ctx.user()?;
    let raw_title = body.string("title")?.value().unwrap_or_default();
    if raw_title.chars().count() > MAX_TITLE {
        return Ok(ctx.validation_error("File.Title", "The field Title must be a string with a maximum length of 165."));
    }
    let id = parse_id(&id, Error::file_not_found)?;
    let file = state.svc.store.file(id).await?.ok_or_else(Error::file_not_found)?;
    if file.owner.id != user.id {
        return Err(Error::Forbidden("You don't have enough permission to rename the file".into()).into());
    }
    let last = body.int("lastversion")?.value().filter(|v| *v > 0);
    if last == Some(file.version) {
        return Err(Error::BadRequest("The new version cannot be the same as the current one".into()).into());
    }
    let title = raw_title.replace(['/', '\\'], "_");
    if !title.trim().is_empty() {
        let mut title = title.trim().to_string();
        let ext = file.extension();
        if extension_of(&title) != ext {
            title.push_str(&ext);
        }
        let title = checked_title(title)?;
        if !state.svc.store.rename_file(id, &title, now_micros()).await? {
            return Err(Error::file_not_found().into());
        }
    }
    if let Some(last) = last {
        let change = state.svc.update_to_version(Some(user), id, last).await?;
        delete_blobs(&state, &change.unused_blobs).await;
        crate::webhooks::file_event(&state, &ctx, crate::webhooks::Trigger::FileUpdated, &change.file).await;
    }
    let file = state.svc.store.file(id).await?.ok_or_else(Error::file_not_found)?;
    ctx.ok(owner_dto(&state, &file))
}

#[utoipa::path(
    post, path = "/api/2.0/files/@my/text", tag = "files",
    request_body = doc::TextFileRequest,
    responses((status = 200, description = "The text file (`.txt` appended unless the title has it)", body = doc::Envelope<doc::FileDto>), doc::BadRequest, doc::Unauthorized, doc::NotFound, doc::TooLarge)
)]
pub async fn text_in_my(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    let folder = my_documents(&ctx)?;
    text_file(&state, &ctx, folder, body, ".txt").await
}

#[utoipa::path(
    post, path = "/api/2.0/files/@my/html", tag = "files",
    request_body = doc::TextFileRequest,
    responses((status = 200, description = "The HTML file (`.html` appended unless the title has it)", body = doc::Envelope<doc::FileDto>), doc::BadRequest, doc::Unauthorized, doc::NotFound, doc::TooLarge)
)]
pub async fn html_in_my(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    let folder = my_documents(&ctx)?;
    text_file(&state, &ctx, folder, body, ".html").await
}

#[utoipa::path(
    post, path = "/api/2.0/files/{folder_id}/text", tag = "files",
    params(("folder_id" = i64, Path, description = "Folder id")),
    request_body = doc::TextFileRequest,
    responses((status = 200, description = "The text file (`.txt` appended unless the title has it)", body = doc::Envelope<doc::FileDto>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge)
)]
pub async fn text_in_folder(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    text_file(&state, &ctx, parse_id(&id, Error::folder_not_found)?, body, ".txt").await
}

#[utoipa::path(
    post, path = "/api/2.0/files/{folder_id}/html", tag = "files",
    params(("folder_id" = i64, Path, description = "Folder id")),
    request_body = doc::TextFileRequest,
    responses((status = 200, description = "The HTML file (`.html` appended unless the title has it)", body = doc::Envelope<doc::FileDto>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge)
)]
pub async fn html_in_folder(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    text_file(&state, &ctx, parse_id(&id, Error::folder_not_found)?, body, ".html").await
}

/// The caller's My Documents for `@my/text` and `@my/html`: a guest has
/// none there in DocSpace, so these answer a guest 404, as DocSpace does.
fn my_documents(ctx: &Ctx) -> Result<i64, ApiError> {
    let user = ctx.user()?;
    if user.user_type == spacelinks_api_types::UserType::Guest {
        return Err(Error::folder_not_found().into());
    }
    Ok(user.my_folder_id)
}

/// A file made from `content`. `createNewIfExist: true` with a title the
/// folder already has stores `content` as that file's next version and
/// answers it (DocSpace's reading of the flag, which the official test suite
/// documents); otherwise a new file is made.
async fn text_file(state: &AppState, ctx: &Ctx, folder_id: i64, body: Fields, ext: &str) -> ApiResult {
    let user = ctx.user()?;
    let mut title = checked_title(body.required_string("title")?)?;
    let content = match body.string("content")?.value() {
        Some(c) => c,
        None => return Err(Error::BadRequest("content is required".into()).into()),
    };
    let reuse = body.bool("createnewifexist")?.value().unwrap_or(false);
    if extension_of(&title) != ext {
        title.push_str(ext);
    }
    let title = checked_title(title)?;
    let folder = own_folder(state, user, folder_id).await?;
    let size = content.len() as i64;
    let key = new_blob_key();
    state.blobs.put_bytes(&key, content.into_bytes().into()).await?;
    if reuse {
        if let Some(existing) = state.svc.store.file_by_title(folder.id, &title).await? {
            let change = match state.svc.add_version(existing.id, size, &key, Some(user), COMMENT_UPLOADED).await {
                Ok(c) => c,
                Err(e) => {
                    delete_blobs(state, std::slice::from_ref(&key)).await;
                    return Err(e.into());
                }
            };
            delete_blobs(state, &change.unused_blobs).await;
            let file = state.svc.store.file(existing.id).await?.ok_or_else(Error::file_not_found)?;
            return ctx.ok(owner_dto(state, &file));
        }
    }
    let file = add_file(state, user, &folder, title, key, size).await?;
    ctx.ok(owner_dto(state, &file))
}
