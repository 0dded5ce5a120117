//! Bulk downloads, DocSpace's way: `PUT fileops/bulkdownload` registers an
//! operation (finished at once), `GET fileops` lists the caller's, and
//! `filehandler.ashx?action=bulk` streams the archive, checking every item
//! again with the fetching request's own credentials.

use std::collections::HashSet;

use crate::openapi as doc;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use serde_json::Value;
use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::Fields;
use spacelinks_core::service::{Shared, Unlockable};
use spacelinks_core::{Error, EventKind, FileOperation, Link, Refusal};

use crate::access::{file_access, folder_access, link_event, request_token, FileAccess, FolderAccess};
use crate::app::AppState;
use crate::ctx::{parse_id, Body, Ctx, QueryMap};
use crate::download::{content_disposition, stream_file};
use crate::error::ApiResult;
use crate::fileops;
use crate::webhooks::{self, Trigger};
use crate::zip::{file_item, tree_items, unique};

/// `folderIds` / `fileIds`: numbers or strings (DocSpace binds
/// `JsonElement`s); a string that is not a number names nothing here: 404.
pub(crate) fn ids(body: &Fields, key: &str, not_found: fn() -> Error) -> Result<Vec<i64>, Error> {
    let Some(v) = body.raw(key) else { return Ok(Vec::new()) };
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => return Err(Error::BadRequest(format!("{key} must be an array of ids"))),
    };
    items
        .iter()
        .map(|v| match v {
            Value::Number(n) => n.as_i64().filter(|n| *n > 0).ok_or_else(not_found),
            Value::String(s) => parse_id(s, not_found),
            _ => Err(Error::BadRequest(format!("{key} must be an array of ids"))),
        })
        .collect()
}

/// What a caller may download of a selection: every item must be
/// reachable (else that item's 403/404), and items without the Download
/// right (deny download) are left out, as DocSpace does; nothing left: 404.
pub struct Selection {
    folders: Vec<FolderAccess>,
    files: Vec<FileAccess>,
}

impl Selection {
    fn link(&self) -> Option<&Link> {
        let folder_link = self.folders.iter().find_map(|f| f.link().map(|(l, _)| l));
        folder_link.or_else(|| {
            self.files.iter().find_map(|f| match f {
                FileAccess::Link { shared, .. } => Some(&shared.link),
                FileAccess::Owner(_) | FileAccess::Person { .. } => None,
            })
        })
    }
}

async fn select(
    state: &AppState,
    ctx: &Ctx,
    q: &QueryMap,
    folder_ids: &[i64],
    file_ids: &[i64],
) -> Result<Selection, Error> {
    let mut folders = Vec::new();
    for id in folder_ids {
        let access = folder_access(state, ctx, q, *id).await?;
        if access.viewer().can("Download") {
            folders.push(access);
        }
    }
    let mut files = Vec::new();
    for id in file_ids {
        let access = file_access(state, ctx, q, *id).await?;
        if access.viewer().can("Download") {
            files.push(access);
        }
    }
    if folders.is_empty() && files.is_empty() {
        return Err(if file_ids.is_empty() { Error::folder_not_found() } else { Error::file_not_found() });
    }
    Ok(Selection { folders, files })
}

/// The link behind the request's token, for an anonymous caller's list.
async fn token_link(state: &AppState, ctx: &Ctx, q: &QueryMap) -> Result<Option<Link>, Error> {
    let Some(token) = request_token(ctx, q) else { return Ok(None) };
    Ok(state.svc.shared(&token).await?.map(|s: Shared| s.link().clone()))
}

async fn reply(state: &AppState, ctx: &Ctx, owner: Option<String>, only: Option<&str>) -> ApiResult {
    let ops = match &owner {
        Some(o) => fileops::list(state, o).await?,
        None => Vec::new(),
    };
    let mut dtos = Vec::new();
    for op in ops.iter().filter(|op| only.is_none_or(|id| op.id == id)) {
        dtos.push(fileops::dto_with_entries(state, op).await?);
    }
    ctx.ok(dtos)
}

/// `PUT fileops/bulkdownload`: the owner, or a visitor with a folder or file
/// link (`Request-Token`), starts a download of folders and files.
#[utoipa::path(
    put, path = "/api/2.0/files/fileops/bulkdownload", tag = "files", security((), ("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = []), ("RequestToken" = [])),
    params(doc::ShareQuery),
    request_body = doc::BulkDownloadRequest,
    responses(
        (status = 200, description = "The caller's operations (or only the new one with `returnSingleOperation`); a download is finished at once and its `url` streams the archive", body = doc::Envelope<Vec<doc::FileOperationDto>>),
        doc::BadRequest, doc::Forbidden, doc::NotFound, doc::TooLarge,
    )
)]
pub async fn bulk_download(State(state): State<AppState>, ctx: Ctx, q: QueryMap, Body(body): Body) -> ApiResult {
    let folder_ids = ids(&body, "folderids", Error::folder_not_found)?;
    let file_ids = ids(&body, "fileids", Error::file_not_found)?;
    let single = body.bool("returnsingleoperation")?.value().unwrap_or(false);
    if folder_ids.is_empty() && file_ids.is_empty() {
        let link = token_link(&state, &ctx, &q).await?;
        return reply(&state, &ctx, fileops::owner(&ctx, link.as_ref()), None).await;
    }
    let selection = select(&state, &ctx, &q, &folder_ids, &file_ids).await?;
    let link = selection.link().cloned();
    let owner = fileops::owner(&ctx, link.as_ref()).ok_or_else(Error::access_denied)?;
    let op = FileOperation {
        id: uuid::Uuid::new_v4().to_string(),
        owner: owner.clone(),
        operation: fileops::DOWNLOAD,
        link_id: link.as_ref().map(|l| l.id.clone()),
        token_salt: link.as_ref().map(|l| l.token_salt.clone()).unwrap_or_default(),
        folder_ids: selection.folders.iter().map(|f| f.folder().id).collect(),
        file_ids: selection.files.iter().map(|f| f.file().id).collect(),
        created: now_micros(),
    };
    fileops::register(&state, &op).await?;
    if single {
        return ctx.ok(vec![fileops::dto(&state, &op)]);
    }
    reply(&state, &ctx, Some(owner), None).await
}

/// `GET fileops[?id=]`: the caller's operations of the last hour.
#[utoipa::path(
    get, path = "/api/2.0/files/fileops", tag = "files", security((), ("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = []), ("RequestToken" = [])),
    params(("id" = Option<String>, Query, description = "Only this operation"), doc::ShareQuery),
    responses((status = 200, description = "The caller's operations", body = doc::Envelope<Vec<doc::FileOperationDto>>), doc::BadRequest)
)]
pub async fn list_operations(State(state): State<AppState>, ctx: Ctx, q: QueryMap) -> ApiResult {
    let link = token_link(&state, &ctx, &q).await?;
    reply(&state, &ctx, fileops::owner(&ctx, link.as_ref()), q.get("id")).await
}

/// `filehandler.ashx?action=bulk&filename=<operation id>` (or
/// `&folderid=<id>`, what the share page's "Download all" uses): the
/// archive, after every item is checked again for this request. One folder:
/// `{title}.zip` with its contents at the root; one file: the file itself;
/// otherwise `{host}-download-{yyyy-MM-dd}.zip`. Each link used records one
/// `downloaded` event (one use of the link).
pub async fn bulk_file(state: &AppState, ctx: &Ctx, q: &QueryMap) -> ApiResult {
    let (folder_ids, file_ids) = match q.get("filename") {
        Some(id) => {
            let op = fileops::find(state, id).await?.ok_or_else(Error::file_not_found)?;
            (op.folder_ids, op.file_ids)
        }
        None => (vec![parse_id(q.get("folderid").unwrap_or(""), Error::folder_not_found)?], Vec::new()),
    };
    let selection = select(state, ctx, q, &folder_ids, &file_ids).await?;
    // One archive (or the one file) fetched through a link is one use of
    // it, taken before a byte is sent, as `file_handler` takes a download's.
    if let Some(link) = selection.link() {
        if let Err(e) = state.svc.take_use(link).await {
            state.events.record(link_event(link, 0, ctx, EventKind::Refused(Refusal::UsedUp)));
            return Err(e.into());
        }
    }
    if let ([], [file]) = (selection.folders.as_slice(), selection.files.as_slice()) {
        let res = stream_file(state, file.file(), false, &ctx.headers).await?;
        if res.status().is_success() {
            file.record(state, ctx, EventKind::Downloaded, Some(file.file().size)).await;
            webhooks::file_event(state, ctx, Trigger::FileDownloaded, file.file()).await;
        }
        return Ok(res);
    }
    let mut taken = HashSet::new();
    let mut items = Vec::new();
    let name = match (selection.folders.as_slice(), selection.files.is_empty()) {
        ([one], true) => {
            let (folders, files) = state.svc.store.folder_tree(one.folder().id).await?;
            items = tree_items(one.folder(), "", &folders, &files, &mut taken);
            format!("{}.zip", one.folder().title)
        }
        _ => {
            for f in &selection.folders {
                let (folders, files) = state.svc.store.folder_tree(f.folder().id).await?;
                let prefix = format!("{}/", unique(&mut taken, "", &crate::zip::segment(&f.folder().title)));
                items.extend(tree_items(f.folder(), &prefix, &folders, &files, &mut taken));
            }
            for f in &selection.files {
                items.push(file_item(f.file(), &mut taken));
            }
            let host = state.public_url.split("://").nth(1).unwrap_or("spacelinks");
            let alias = host.split(['.', ':', '/']).next().unwrap_or("spacelinks").to_lowercase();
            let date = time::OffsetDateTime::now_utc().date();
            format!("{alias}-download-{date}.zip")
        }
    };
    // As DocSpace's bulk download: `folder.downloaded` per selected folder,
    // `file.downloaded` per selected top-level file.
    for f in &selection.folders {
        f.record(state, ctx, EventKind::Downloaded, None);
        webhooks::folder_event(state, ctx, Trigger::FolderDownloaded, f.folder()).await;
    }
    for f in &selection.files {
        f.record(state, ctx, EventKind::Downloaded, Some(f.file().size)).await;
        webhooks::file_event(state, ctx, Trigger::FileDownloaded, f.file()).await;
    }
    let mut res = axum::response::Response::new(crate::zip::stream(state.clone(), items));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    if let Ok(v) = HeaderValue::from_str(&content_disposition("attachment", &name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"));
    Ok(res)
}
