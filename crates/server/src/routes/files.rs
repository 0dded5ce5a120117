//! Folders, files, uploads and downloads.

use crate::openapi as doc;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, Method};
use futures::TryStreamExt;
use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::dto::{FolderContentDto, PathPart};
use spacelinks_core::rights::Viewer;
use spacelinks_core::titles::new_file_title;
use spacelinks_core::versions::COMMENT_UPLOADED;
use spacelinks_core::{Error, EventKind, File, Folder, NewFile, Refusal, User};

use crate::access::{event, file_access, folder_access, FileAccess, FolderAccess};
use crate::app::AppState;
use crate::ctx::{parse_id, Body, Ctx, QueryMap};
use crate::download::{inline_safe, mime_of, parse_range, stream_file};
use crate::dto::{file_dto, folder_dto, visitor_folder_dto, Seen};
use crate::error::ApiResult;
use crate::webhooks::{self, Trigger};

pub(crate) const MAX_TITLE: usize = 165;

pub(crate) async fn own_folder(state: &AppState, user: &User, id: i64) -> Result<Folder, Error> {
    let folder = state.svc.store.folder(id).await?.ok_or_else(Error::folder_not_found)?;
    if folder.owner.id != user.id {
        return Err(Error::Forbidden("You don't have enough permission to view the folder content".into()));
    }
    Ok(folder)
}

pub(crate) async fn own_file(state: &AppState, user: &User, id: i64) -> Result<File, Error> {
    let file = state.svc.store.file(id).await?.ok_or_else(Error::file_not_found)?;
    if file.owner.id != user.id {
        return Err(Error::cannot_read_file());
    }
    Ok(file)
}

pub fn owner_dto(state: &AppState, f: &File) -> spacelinks_api_types::dto::FileDto {
    file_dto(state, f, &Seen { viewer: Viewer::Owner, link: None, show_people: true })
}

#[utoipa::path(
    get, path = "/api/2.0/files/@my", tag = "files",
    params(doc::Paging),
    responses((status = 200, description = "A page of the folder: its folders, then its files", body = doc::Envelope<doc::FolderContentDto>), doc::BadRequest, doc::Unauthorized)
)]
pub async fn my_documents(State(state): State<AppState>, ctx: Ctx, q: QueryMap) -> ApiResult {
    let user = ctx.user()?;
    let folder = own_folder(&state, user, user.my_folder_id).await?;
    contents(&state, &ctx, FolderAccess::Owner(folder), &q).await
}

/// `GET {folderId}`: the owner, or a visitor whose folder link (to this
/// folder or one above it; `Request-Token` header or `share` query)
/// validates.
#[utoipa::path(
    get, path = "/api/2.0/files/{folder_id}", tag = "files", security((), ("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = []), ("RequestToken" = [])),
    params(("folder_id" = i64, Path, description = "Folder id"), doc::Paging, doc::ShareQuery),
    responses((status = 200, description = "A page of the folder: its folders, then its files", body = doc::Envelope<doc::FolderContentDto>), doc::BadRequest, doc::Forbidden, doc::NotFound)
)]
pub async fn folder_contents(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    q: QueryMap,
) -> ApiResult {
    let id = parse_id(&id, Error::folder_not_found)?;
    let (start, _) = q.paging()?;
    let access = folder_access(&state, &ctx, &q, id).await?;
    if start == 0 {
        access.record(&state, &ctx, EventKind::Opened, None);
    }
    contents(&state, &ctx, access, &q).await
}

async fn contents(state: &AppState, ctx: &Ctx, access: FolderAccess, q: &QueryMap) -> ApiResult {
    let (start, count) = q.paging()?;
    let folder = access.folder();
    let (folders, files, total) = state.svc.store.folder_page(folder.id, start, count).await?;
    let viewer = access.viewer();
    let seen = Seen { viewer, link: access.link(), show_people: ctx.caller.user.is_some() };
    let dto = |f: &Folder, counts| match access {
        FolderAccess::Owner(_) => folder_dto(state, f, counts),
        FolderAccess::Link { .. } => visitor_folder_dto(state, f, counts, &seen),
    };
    let mut folder_dtos = Vec::with_capacity(folders.len());
    for f in &folders {
        folder_dtos.push(dto(f, state.svc.store.folder_counts(f.id).await?));
    }
    let content = FolderContentDto {
        files: files.iter().map(|f| file_dto(state, f, &seen)).collect(),
        count: (folders.len() + files.len()) as i64,
        folders: folder_dtos,
        current: dto(folder, state.svc.store.folder_counts(folder.id).await?),
        path_parts: path_parts(state, folder, access.top()).await?,
        start_index: start,
        total,
        new: 0,
    };
    ctx.ok(content)
}

/// Breadcrumbs down to `folder`, from My Documents, or for a link's visitor
/// from the link's folder (`top`): never above what the link shares.
pub(crate) async fn path_parts(state: &AppState, folder: &Folder, top: Option<i64>) -> Result<Vec<PathPart>, Error> {
    let mut parts = vec![PathPart { id: folder.id, title: folder.title.clone(), folder_type: 5 }];
    let mut parent = folder.parent_id.filter(|_| Some(folder.id) != top);
    while let Some(id) = parent {
        let Some(f) = state.svc.store.folder(id).await? else { break };
        parts.push(PathPart { id: f.id, title: f.title.clone(), folder_type: 5 });
        parent = f.parent_id.filter(|_| Some(f.id) != top);
    }
    parts.reverse();
    Ok(parts)
}

/// `GET folder/{id}`: the owner, or a visitor whose folder link validates.
#[utoipa::path(
    get, path = "/api/2.0/files/folder/{folder_id}", tag = "files", security((), ("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = []), ("RequestToken" = [])),
    params(("folder_id" = i64, Path, description = "Folder id"), doc::ShareQuery),
    responses(
        (status = 200, description = "The folder", body = doc::Envelope<doc::FolderDto>),
        doc::Forbidden, doc::NotFound,
    )
)]
pub async fn folder_info(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, q: QueryMap) -> ApiResult {
    let access = folder_access(&state, &ctx, &q, parse_id(&id, Error::folder_not_found)?).await?;
    let folder = access.folder();
    let counts = state.svc.store.folder_counts(folder.id).await?;
    let seen = Seen { viewer: access.viewer(), link: access.link(), show_people: ctx.caller.user.is_some() };
    ctx.ok(match access {
        FolderAccess::Owner(_) => folder_dto(&state, folder, counts),
        FolderAccess::Link { .. } => visitor_folder_dto(&state, folder, counts, &seen),
    })
}

pub(crate) fn checked_title(title: String) -> Result<String, Error> {
    let t = title.trim().to_string();
    if t.chars().count() > MAX_TITLE || t.contains('/') || t.contains('\\') {
        return Err(Error::BadRequest(format!("title must be at most {MAX_TITLE} characters and contain no slashes")));
    }
    spacelinks_core::titles::check_title_chars("title", &t)?;
    Ok(t)
}

#[utoipa::path(
    post, path = "/api/2.0/files/folder/{folder_id}", tag = "files",
    params(("folder_id" = i64, Path, description = "Folder id")),
    request_body = doc::TitleRequest,
    responses(
        (status = 200, description = "The new folder", body = doc::Envelope<doc::FolderDto>),
        doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge,
    )
)]
pub async fn create_folder(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    let user = ctx.user()?;
    let title = checked_title(body.required_string("title")?)?;
    let parent = own_folder(&state, user, parse_id(&id, Error::folder_not_found)?).await?;
    let folder = state.svc.store.create_folder(&parent, &title, now_micros()).await?;
    webhooks::folder_event(&state, &ctx, Trigger::FolderCreated, &folder).await;
    ctx.ok(folder_dto(&state, &folder, (0, 0)))
}

#[utoipa::path(
    post, path = "/api/2.0/files/@my/file", tag = "files",
    request_body = doc::TitleRequest,
    responses((status = 200, description = "The new empty file: `x.txt` becomes `x.docx` (`.xlsx`, `.pptx` for spreadsheets and presentations), `.docx` is appended to other titles, unless `enableExternalExt`", body = doc::Envelope<doc::FileDto>), doc::BadRequest, doc::Unauthorized, doc::TooLarge)
)]
pub async fn create_file_in_my(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    let id = ctx.user()?.my_folder_id;
    new_empty_file(&state, &ctx, id, body).await
}

#[utoipa::path(
    post, path = "/api/2.0/files/{folder_id}/file", tag = "files",
    params(("folder_id" = i64, Path, description = "Folder id")),
    request_body = doc::TitleRequest,
    responses((status = 200, description = "The new empty file: `x.txt` becomes `x.docx` (`.xlsx`, `.pptx` for spreadsheets and presentations), `.docx` is appended to other titles, unless `enableExternalExt`", body = doc::Envelope<doc::FileDto>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge)
)]
pub async fn create_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    new_empty_file(&state, &ctx, parse_id(&id, Error::folder_not_found)?, body).await
}

/// A new empty file, titled as DocSpace does (`titles::new_file_title`:
/// `x.txt` becomes `x.docx` unless `enableExternalExt` is true).
async fn new_empty_file(state: &AppState, ctx: &Ctx, folder_id: i64, body: spacelinks_api_types::Fields) -> ApiResult {
    let user = ctx.user()?;
    let keep = body.bool("enableexternalext")?.value().unwrap_or(false);
    let title = checked_title(new_file_title(&checked_title(body.required_string("title")?)?, keep))?;
    let folder = own_folder(state, user, folder_id).await?;
    let key = new_blob_key();
    state.blobs.put_bytes(&key, Default::default()).await?;
    let file = add_file(state, user, &folder, title, key, 0).await?;
    webhooks::file_event(state, ctx, Trigger::FileCreated, &file).await;
    ctx.ok(owner_dto(state, &file))
}

pub(crate) async fn add_file(
    state: &AppState,
    owner: &User,
    folder: &Folder,
    title: String,
    blob_key: String,
    size: i64,
) -> Result<File, Error> {
    let new = NewFile { folder_id: folder.id, owner_id: owner.id.clone(), title, size, blob_key, now: now_micros() };
    match state.svc.store.create_file(&new).await {
        Ok(file) => Ok(file),
        Err(e) => {
            // No row will ever point at this blob: remove it now rather
            // than leave it for `spacelinks fsck`.
            forget_blob(state, &new.blob_key).await;
            Err(e)
        }
    }
}

/// Deletes a blob no row refers to; a failure is logged, and fsck finds it.
async fn forget_blob(state: &AppState, key: &str) {
    if let Err(e) = state.blobs.delete(key).await {
        tracing::warn!(error = %e, "cannot remove an unreferenced blob; `spacelinks fsck --repair` will");
    }
}

pub(crate) fn new_blob_key() -> String {
    format!("files/{}", uuid::Uuid::new_v4().simple())
}

#[utoipa::path(
    post, path = "/api/2.0/files/@my/upload", tag = "files",
    request_body(content = inline(doc::UploadForm), content_type = "multipart/form-data"),
    responses((status = 200, description = "The uploaded file, in a one-element list", body = doc::Envelope<Vec<doc::FileDto>>), doc::BadRequest, doc::Unauthorized, doc::TooLarge)
)]
pub async fn upload_to_my(State(state): State<AppState>, ctx: Ctx, multipart: Multipart) -> ApiResult {
    let id = ctx.user()?.my_folder_id;
    upload_into(&state, &ctx, id, multipart).await
}

#[utoipa::path(
    post, path = "/api/2.0/files/{folder_id}/upload", tag = "files",
    params(("folder_id" = i64, Path, description = "Folder id")),
    request_body(content = inline(doc::UploadForm), content_type = "multipart/form-data"),
    responses((status = 200, description = "The uploaded file, in a one-element list", body = doc::Envelope<Vec<doc::FileDto>>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge)
)]
pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    multipart: Multipart,
) -> ApiResult {
    upload_into(&state, &ctx, parse_id(&id, Error::folder_not_found)?, multipart).await
}

/// `POST {folderId}/upload`: the multipart part `File` (any case), streamed
/// to the blob store. Answers a one-element list, as DocSpace.
async fn upload_into(state: &AppState, ctx: &Ctx, folder_id: i64, multipart: Multipart) -> ApiResult {
    let user = ctx.user()?;
    let folder = own_folder(state, user, folder_id).await?;
    let (title, key, size) = receive_file(state, multipart).await?;
    let file = add_file(state, user, &folder, title, key, size).await?;
    // DocSpace's simple upload: file.created, then file.uploaded.
    webhooks::file_event(state, ctx, Trigger::FileCreated, &file).await;
    webhooks::file_event(state, ctx, Trigger::FileUploaded, &file).await;
    ctx.ok(vec![owner_dto(state, &file)])
}

/// Streams the first part named `file` (case-insensitively) into a new blob.
/// Returns its sanitised file name, blob key and size.
pub async fn receive_file(state: &AppState, mut multipart: Multipart) -> Result<(String, String, i64), Error> {
    while let Some(field) = multipart.next_field().await.map_err(|e| multipart_error(state, e))? {
        if !field.name().is_some_and(|n| n.eq_ignore_ascii_case("file")) {
            continue;
        }
        return receive_field(state, field).await;
    }
    Err(Error::BadRequest("The request has no multipart part named \"file\"".into()))
}

fn too_large(state: &AppState) -> Error {
    Error::TooLarge(format!("The file exceeds the upload limit of {} bytes", state.config.max_upload_bytes))
}

/// A body cut off by the request size limit is a 413, like an oversized
/// part, not a malformed request.
pub(crate) fn multipart_error(state: &AppState, e: axum::extract::multipart::MultipartError) -> Error {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        too_large(state)
    } else {
        Error::BadRequest(format!("The multipart body is malformed: {}", e.body_text()))
    }
}

/// Streams one file part into a new blob: its sanitised file name, blob key
/// and size.
pub(crate) async fn receive_field(
    state: &AppState,
    field: axum::extract::multipart::Field<'_>,
) -> Result<(String, String, i64), Error> {
    let limit = state.config.max_upload_bytes;
    let name = field.file_name().map(base_name).filter(|n| !n.is_empty());
    let title = checked_title(name.ok_or_else(|| Error::BadRequest("The file part has no file name".into()))?)?;
    let key = new_blob_key();
    // The blob store reports any stream error as an interrupted upload;
    // remember whether it was the size limit.
    let cut_off = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = cut_off.clone();
    let stream = field.map_err(move |e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        e.body_text()
    });
    let size = match state.blobs.put_stream(&key, Box::pin(stream), limit).await {
        Ok(size) => size,
        Err(_) if cut_off.load(std::sync::atomic::Ordering::Relaxed) => return Err(too_large(state)),
        Err(e) => return Err(e),
    };
    Ok((title, key, size as i64))
}

/// Browsers may send a full path as the file name.
fn base_name(name: &str) -> String {
    name.rsplit(['/', '\\']).next().unwrap_or("").trim().to_string()
}

/// `GET file/{id}`: the owner, or a visitor whose link (`Request-Token`
/// header or `share` query) validates. Anyone else: 403.
#[utoipa::path(
    get, path = "/api/2.0/files/file/{file_id}", tag = "files", security((), ("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = []), ("RequestToken" = [])),
    params(("file_id" = i64, Path, description = "File id"), doc::ShareQuery),
    responses(
        (status = 200, description = "The file, as its owner or the link's visitor sees it", body = doc::Envelope<doc::FileDto>),
        doc::BadRequest, doc::Forbidden, doc::NotFound,
    )
)]
pub async fn file_info(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, q: QueryMap) -> ApiResult {
    let id = parse_id(&id, Error::file_not_found)?;
    let access = file_access(&state, &ctx, &q, id).await?;
    ctx.ok(access.dto(&state, &ctx))
}

#[utoipa::path(
    delete, path = "/api/2.0/files/file/{file_id}", tag = "files",
    params(("file_id" = i64, Path, description = "File id")),
    responses(
        (status = 200, description = "The finished delete operation", body = doc::Envelope<Vec<doc::FileOperationDto>>),
        doc::Unauthorized, doc::Forbidden, doc::NotFound,
    )
)]
pub async fn delete_file(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    let user = ctx.user()?;
    let file = own_file(&state, user, parse_id(&id, Error::file_not_found)?).await?;
    remove_file(&state, file.id).await?;
    // No Trash here: a delete is permanent, DocSpace's file.deleted.
    webhooks::file_event(&state, &ctx, Trigger::FileDeleted, &file).await;
    // Registered, so that `GET fileops` reports it finished, as clients
    // (DocSpace's own test suite) poll it after a delete.
    let op = spacelinks_core::FileOperation {
        id: uuid::Uuid::new_v4().to_string(),
        owner: user.id.clone(),
        operation: crate::fileops::DELETE,
        link_id: None,
        token_salt: String::new(),
        folder_ids: Vec::new(),
        file_ids: vec![file.id],
        created: now_micros(),
    };
    crate::fileops::register(&state, &op).await?;
    ctx.ok(vec![crate::fileops::dto(&state, &op)])
}

/// `PUT {fileId}/update`: a new version, by the owner or through a link
/// with Editing access. Later visitors get the new content.
#[utoipa::path(
    put, path = "/api/2.0/files/{file_id}/update", tag = "files", security((), ("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = []), ("RequestToken" = [])),
    params(("file_id" = i64, Path, description = "File id"), doc::ShareQuery),
    request_body(content = inline(doc::UploadForm), content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The file with its new version", body = doc::Envelope<doc::FileDto>),
        doc::BadRequest, doc::Forbidden, doc::NotFound, doc::TooLarge,
    )
)]
pub async fn update_content(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    q: QueryMap,
    multipart: Multipart,
) -> ApiResult {
    let id = parse_id(&id, Error::file_not_found)?;
    let access = new_version(&state, &ctx, &q, id, multipart).await?;
    let file = state.svc.store.file(id).await?.ok_or_else(Error::file_not_found)?;
    ctx.ok(access.with_file(file).dto(&state, &ctx))
}

/// Replaces a file's content with the uploaded part, if the caller may edit
/// it (its owner, or a valid link with Editing access), and logs it.
pub async fn new_version(
    state: &AppState,
    ctx: &Ctx,
    q: &QueryMap,
    file_id: i64,
    multipart: Multipart,
) -> Result<FileAccess, Error> {
    let access = file_access(state, ctx, q, file_id).await?;
    if !access.viewer().can("Edit") {
        return Err(Error::Forbidden("You don't have enough permission to edit the file".into()));
    }
    let (_, key, size) = receive_file(state, multipart).await?;
    let by = ctx.caller.user.as_ref();
    let change = match state.svc.add_version(file_id, size, &key, by, COMMENT_UPLOADED).await {
        Ok(c) => c,
        Err(e) => {
            delete_blobs(state, std::slice::from_ref(&key)).await;
            return Err(e);
        }
    };
    // Only versions beyond the kept number lose their blobs, after the commit.
    delete_blobs(state, &change.unused_blobs).await;
    access.record(state, ctx, EventKind::VersionUploaded, Some(size)).await;
    if let Some(file) = state.svc.store.file(file_id).await? {
        webhooks::file_event(state, ctx, Trigger::FileUpdated, &file).await;
    }
    Ok(access)
}

/// Removes blobs the database no longer points at. A failure leaves an
/// orphan blob (logged), never a broken file: the rows are already gone.
/// Deletes a file with its links and versions, then the blobs no version
/// uses any more (after the commit). The API and the web app both call it.
pub async fn remove_file(state: &AppState, file_id: i64) -> Result<(), Error> {
    let blobs = state.svc.store.delete_file(file_id).await?;
    delete_blobs(state, &blobs).await;
    Ok(())
}

pub async fn delete_blobs(state: &AppState, keys: &[String]) {
    for key in keys {
        if let Err(e) = state.blobs.delete(key).await {
            tracing::warn!(blob = %key, error = %e, "could not delete an unused blob; it is left as an orphan");
        }
    }
}

/// `GET /filehandler.ashx?action=download|view&fileid=ID[&share=TOKEN]`.
/// `view` streams inline for previewable types and is allowed under
/// denyDownload (the share page must show the file); `download` is not.
#[utoipa::path(
    get, path = "/filehandler.ashx", tag = "files", security((), ("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = []), ("RequestToken" = [])),
    params(
        ("action" = inline(doc::FileAction), Query, description = "`download` (attachment), `view` (inline for safe types; allowed under denyDownload) or `bulk` (a zip of folders and files)"),
        ("fileid" = Option<i64>, Query, description = "File id (`download`, `view`)"),
        ("filename" = Option<String>, Query, description = "`bulk`: the operation id from `fileops`"),
        ("folderid" = Option<i64>, Query, description = "`bulk` without an operation: the folder to zip"),
        doc::ShareQuery,
        doc::RangeHeader,
    ),
    responses(
        (status = 200, description = "The file's bytes, or a zip streamed while it is built (no ranges)", content_type = "*/*", body = inline(doc::Binary)),
        (status = 206, description = "The requested byte range", content_type = "*/*", body = inline(doc::Binary)),
        doc::BadRequest, doc::Forbidden, doc::NotFound,
        (status = 416, description = "The range cannot be served", body = doc::ErrorBody),
    )
)]
pub async fn file_handler(State(state): State<AppState>, ctx: Ctx, q: QueryMap) -> ApiResult {
    let inline = match q.get("action").map(str::to_ascii_lowercase).as_deref() {
        Some("download") => false,
        Some("view") | Some("preview") => true,
        Some("bulk") => return crate::routes::fileops::bulk_file(&state, &ctx, &q).await,
        _ => return Err(Error::BadRequest("action must be download, view or bulk".into()).into()),
    };
    let id = parse_id(q.get("fileid").unwrap_or(""), Error::file_not_found)?;
    let version = q.int("version")?;
    let access = file_access(&state, &ctx, &q, id).await?;
    // `version`: an older version, for the file's owner only; links always
    // serve the current content.
    let older = match (version, &access) {
        (Some(v), _) if v == access.file().version => None,
        (Some(v), FileAccess::Owner(f)) => {
            let old = state.svc.store.file_version(f.id, v).await?.ok_or_else(Error::file_not_found)?;
            Some(File { size: old.size, blob_key: old.blob_key, version: old.version, ..f.clone() })
        }
        (Some(_), FileAccess::Link { .. } | FileAccess::Person { .. }) => return Err(Error::cannot_read_file().into()),
        (None, _) => None,
    };
    let file = older.as_ref().unwrap_or(access.file());
    // What the share page previews must load even under denyDownload.
    let preview_ok = inline && inline_safe(&mime_of(&file.title));
    if !access.viewer().can("Download") && !preview_ok {
        return Err(Error::Forbidden("You don't have enough permission to download the file".into()).into());
    }
    // A response that starts at byte 0 (no Range, or a range from 0) is a
    // use of the link, as DocSpace's `file.downloaded` counts downloads; a
    // range from the middle is the rest of one already counted.
    let size = file.size.max(0) as u64;
    let range = parse_range(ctx.headers.get(header::RANGE).and_then(|v| v.to_str().ok()), size);
    let from_start = matches!(&range, Ok(None)) || matches!(&range, Ok(Some(r)) if r.start == 0);
    let bytes = match &range {
        Ok(Some(r)) => (r.end - r.start) as i64,
        _ => size as i64,
    };
    // `view` of a type we do not render inline is sent as an attachment:
    // a download by another name, counted like one. A HEAD (axum answers it
    // with the GET route, without the body) sends no file and is no use.
    let attachment = !preview_ok;
    let sends_body = ctx.method != Method::HEAD;
    // The use is taken before a byte is sent, in one conditional UPDATE:
    // with maxUseCount N, exactly N parallel downloads get the file.
    let counted = match &access {
        FileAccess::Link { shared, .. } if attachment && from_start && sends_body => {
            match state.svc.take_use(&shared.link).await {
                Ok(uses) => Some((shared, uses)),
                Err(e) => {
                    state.events.record(event(shared, &ctx, EventKind::Refused(Refusal::UsedUp)));
                    return Err(e.into());
                }
            }
        }
        _ => None,
    };
    let res = match stream_file(&state, file, inline, &ctx.headers).await {
        Ok(res) if res.status().is_success() => res,
        other => {
            if let Some((shared, _)) = counted {
                state.svc.give_back_use(&shared.link).await?;
            }
            return other;
        }
    };
    // The share page's own preview (an <img>, <video> or <iframe> of a page
    // that already counted the visit) is not another open.
    let embedded = ctx.headers.get("sec-fetch-dest").and_then(|v| v.to_str().ok()).is_some_and(|d| d != "document");
    if from_start && sends_body && !(preview_ok && embedded) {
        let (kind, bytes) = if attachment { (EventKind::Downloaded, Some(bytes)) } else { (EventKind::Opened, None) };
        access.record(&state, &ctx, kind, bytes).await;
    }
    // DocSpace's `file.downloaded`: `action=download` from byte 0, by
    // anyone (owner or link visitor); `view` fires nothing.
    if from_start && sends_body && !inline {
        webhooks::file_event(&state, &ctx, Trigger::FileDownloaded, file).await;
    }
    // The download that took the last allowed use fires `link.usedUp`, once.
    if let Some((shared, _)) = counted.filter(|(s, uses)| s.link.max_uses == Some(*uses)) {
        webhooks::link_used_up(&state, &ctx, &shared.link, &shared.file).await;
    }
    Ok(res)
}
