//! My files: a folder's listing with breadcrumbs, new folder, upload (one or
//! many files, JSON for the upload script), and deleting with a
//! confirmation page.

use askama::Template;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use spacelinks_api_types::date::now_micros;
use spacelinks_core::{Error, File, Folder};

use super::{
    human_time, json_reply, machine_time, megabytes, render, see_other, Layout, SignedIn, WebError, WebForm, WebResult,
};
use crate::app::AppState;
use crate::ctx::{parse_id, QueryMap};
use crate::dto::human_size;
use crate::routes::files::{add_file, checked_title, multipart_error, own_file, own_folder, path_parts, receive_field};
use crate::webhooks::Trigger;

const PAGE_SIZE: i64 = 100;

pub struct Crumb {
    pub url: String,
    pub title: String,
}

pub struct FolderRow {
    pub id: i64,
    pub title: String,
    pub modified: String,
    pub modified_at: String,
}

pub struct FileRow {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub size: String,
    pub modified: String,
    pub modified_at: String,
    pub links: i64,
}

#[derive(Template)]
#[template(path = "web/files.html")]
struct FilesPage {
    layout: Layout,
    folder: FolderRow,
    crumbs: Vec<Crumb>,
    folders: Vec<FolderRow>,
    files: Vec<FileRow>,
    prev_url: String,
    next_url: String,
    max_bytes: u64,
    max_label: String,
    /// The folder's links (not for My Documents, which cannot be shared).
    shareable: bool,
    links: Vec<super::file::LinkCard>,
    links_base: String,
}

/// `/files` for the root folder (My Documents), `/files/folder/{id}` below it.
pub fn folder_url(folder: &Folder) -> String {
    if folder.is_root() {
        "/files".into()
    } else {
        format!("/files/folder/{}", folder.id)
    }
}

fn folder_row(f: &Folder) -> FolderRow {
    FolderRow {
        id: f.id,
        title: f.title.clone(),
        modified: human_time(f.updated),
        modified_at: machine_time(f.updated),
    }
}

/// `GET /files`: the signed-in person's My Documents.
pub async fn root(State(state): State<AppState>, signed: SignedIn, q: QueryMap) -> WebResult {
    let id = signed.user.my_folder_id;
    listing(&state, &signed, id, &q).await
}

/// `GET /files/folder/{id}`.
pub async fn folder(State(state): State<AppState>, signed: SignedIn, Path(id): Path<String>, q: QueryMap) -> WebResult {
    listing(&state, &signed, parse_id(&id, Error::folder_not_found)?, &q).await
}

async fn listing(state: &AppState, signed: &SignedIn, id: i64, q: &QueryMap) -> WebResult {
    let folder = own_folder(state, &signed.user, id).await?;
    let page = q.int("page")?.unwrap_or(1).max(1);
    let (folders, files, total) = state.svc.store.folder_page(id, (page - 1) * PAGE_SIZE, PAGE_SIZE).await?;
    let counts = state.svc.store.active_link_counts(id, now_micros()).await?;
    let links_of = |f: &File| counts.iter().find(|(id, _)| *id == f.id).map_or(0, |(_, n)| *n);
    let here = folder_url(&folder);
    let crumbs = path_parts(state, &folder, None)
        .await?
        .into_iter()
        .enumerate()
        .map(|(i, p)| Crumb {
            url: if i == 0 { "/files".into() } else { format!("/files/folder/{}", p.id) },
            title: p.title,
        })
        .collect();
    let shareable = !folder.is_root();
    let links = if shareable {
        let (links, _) = state.svc.list_links(&signed.user, spacelinks_core::Entry::Folder(folder.id), 0, 100).await?;
        links.into_iter().map(|m| super::file::card(state, &here, m)).collect()
    } else {
        Vec::new()
    };
    let view = FilesPage {
        shareable,
        links,
        links_base: here.clone(),
        layout: signed.layout(state, folder.title.clone(), "files"),
        crumbs,
        folders: folders.iter().map(folder_row).collect(),
        files: files
            .iter()
            .map(|f| FileRow {
                id: f.id,
                title: f.title.clone(),
                kind: f.kind_label(),
                size: human_size(f.size),
                modified: human_time(f.updated),
                modified_at: machine_time(f.updated),
                links: links_of(f),
            })
            .collect(),
        prev_url: if page > 1 { format!("{here}?page={}", page - 1) } else { String::new() },
        next_url: if page * PAGE_SIZE < total { format!("{here}?page={}", page + 1) } else { String::new() },
        max_bytes: state.config.max_upload_bytes,
        max_label: megabytes(state.config.max_upload_bytes),
        folder: folder_row(&folder),
    };
    Ok(render(&view, StatusCode::OK))
}

/// `POST /files/folder/{id}/folders`: a new folder inside this one.
pub async fn new_folder(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    form: WebForm,
) -> WebResult {
    signed.check_csrf(&state, Some(form.get("csrf")))?;
    let parent = own_folder(&state, &signed.user, parse_id(&id, Error::folder_not_found)?).await?;
    let title = checked_title(form.get("title").to_string())?;
    if title.is_empty() {
        return Err(Error::BadRequest("Enter a name for the new folder.".into()).into());
    }
    let folder = state.svc.store.create_folder(&parent, &title, now_micros()).await?;
    crate::webhooks::folder_event(&state, &signed.ctx, Trigger::FolderCreated, &folder).await;
    Ok(see_other(&folder_url(&parent)))
}

/// `POST /files/folder/{id}/upload` (multipart): the `csrf` part, then one
/// or more `file` parts. A form post is answered with a redirect back to the
/// folder; a script asking for JSON gets `{"ok":true,"files":[..]}` or
/// `{"error":".."}` with a 4xx.
pub async fn upload(State(state): State<AppState>, signed: SignedIn, Path(id): Path<String>, req: Request) -> Response {
    let json = super::wants_json(&signed.ctx.headers);
    match receive_uploads(&state, &signed, &id, req).await {
        Ok((_, stored)) if json => {
            let files: Vec<_> = stored
                .iter()
                .map(|f| serde_json::json!({ "id": f.id, "title": f.title, "url": format!("/files/file/{}", f.id) }))
                .collect();
            let mut res = serde_json::json!({ "ok": true, "files": files }).to_string().into_response();
            res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
            res
        }
        Ok((folder, _)) => see_other(&folder_url(&folder)),
        Err(e) if json => json_reply(super::status_of(&e.error), &error_text(&e.error)),
        Err(e) => WebError { error: e.error, json: false }.into_response(),
    }
}

fn error_text(e: &Error) -> String {
    match e {
        Error::BadRequest(m) | Error::Forbidden(m) | Error::NotFound(m) | Error::TooLarge(m) => m.clone(),
        Error::Unauthorized => "Sign in again: your session has ended.".into(),
        Error::TooManyAttempts { .. } => "Too many attempts; try again later.".into(),
        Error::Internal(_) => "The server could not store the file. Please try again.".into(),
    }
}

async fn receive_uploads(
    state: &AppState,
    signed: &SignedIn,
    id: &str,
    req: Request,
) -> Result<(Folder, Vec<File>), WebError> {
    let folder = own_folder(state, &signed.user, parse_id(id, Error::folder_not_found)?).await?;
    // The script may send the token as a header; a form sends it as the
    // first part, before any file.
    let header_token = signed.ctx.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut csrf_ok = header_token.is_some_and(|t| signed.check_csrf(state, Some(&t)).is_ok());
    let mut multipart = Multipart::from_request(req, state)
        .await
        .map_err(|e| Error::BadRequest(format!("The upload could not be read: {}", e.body_text())))?;
    let mut stored = Vec::new();
    let limit = state.config.max_upload_bytes;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(state, e).into()),
        };
        let name = field.name().unwrap_or("").to_ascii_lowercase();
        if name == "csrf" {
            let token = field.text().await.map_err(|e| multipart_error(state, e))?;
            signed.check_csrf(state, Some(&token))?;
            csrf_ok = true;
            continue;
        }
        if name != "file" {
            continue;
        }
        if !csrf_ok {
            return Err(signed.check_csrf(state, None).unwrap_err());
        }
        // A form with no file chosen still sends an empty, nameless part.
        let file_name = field.file_name().unwrap_or("").to_string();
        if file_name.is_empty() {
            continue;
        }
        match receive_field(state, field).await {
            Ok((title, key, size)) => {
                let file = add_file(state, &signed.user, &folder, title, key, size).await?;
                crate::webhooks::file_event(state, &signed.ctx, Trigger::FileCreated, &file).await;
                crate::webhooks::file_event(state, &signed.ctx, Trigger::FileUploaded, &file).await;
                stored.push(file)
            }
            Err(Error::TooLarge(_)) => {
                drain(&mut multipart, limit).await;
                return Err(Error::TooLarge(format!(
                    "“{file_name}” is larger than the upload limit of {}. Nothing after it was uploaded.",
                    megabytes(limit)
                ))
                .into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    if stored.is_empty() {
        return Err(Error::BadRequest("Choose one or more files to upload.".into()).into());
    }
    Ok((folder, stored))
}

/// Reads (and drops) the rest of an oversized upload, up to `budget` more
/// bytes, so that the browser, which is still sending, receives our answer
/// rather than a reset connection.
async fn drain(multipart: &mut Multipart, budget: u64) {
    let mut read = 0u64;
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(chunk)) = field.chunk().await {
            read += chunk.len() as u64;
            if read > budget {
                return;
            }
        }
    }
}

#[derive(Template)]
#[template(path = "web/confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    pub heading: String,
    pub message: String,
    pub action: String,
    pub button: String,
    pub cancel_url: String,
}

/// `GET /files/file/{id}/delete`: are you sure?
pub async fn confirm_delete_file(State(state): State<AppState>, signed: SignedIn, Path(id): Path<String>) -> WebResult {
    let file = own_file(&state, &signed.user, parse_id(&id, Error::file_not_found)?).await?;
    let page = ConfirmPage {
        layout: signed.layout(&state, format!("Delete {}", file.title), "files"),
        heading: format!("Delete “{}”?", file.title),
        message: "The file and all its links are deleted. Anyone who has one of its links can no longer open it."
            .into(),
        action: format!("/files/file/{}/delete", file.id),
        button: "Delete file".into(),
        cancel_url: format!("/files/file/{}", file.id),
    };
    Ok(render(&page, StatusCode::OK))
}

/// `POST /files/file/{id}/delete`.
pub async fn delete_file(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    form: WebForm,
) -> WebResult {
    signed.check_csrf(&state, Some(form.get("csrf")))?;
    let file = own_file(&state, &signed.user, parse_id(&id, Error::file_not_found)?).await?;
    crate::routes::files::remove_file(&state, file.id).await?;
    crate::webhooks::file_event(&state, &signed.ctx, Trigger::FileDeleted, &file).await;
    let folder = state.svc.store.folder(file.folder_id).await?;
    Ok(see_other(&folder.as_ref().map_or("/files".into(), folder_url)))
}

/// `GET /files/folder/{id}/delete`: are you sure?
pub async fn confirm_delete_folder(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> WebResult {
    let folder = own_folder(&state, &signed.user, parse_id(&id, Error::folder_not_found)?).await?;
    if folder.is_root() {
        return Err(Error::Forbidden("My Documents cannot be deleted.".into()).into());
    }
    let page = ConfirmPage {
        layout: signed.layout(&state, format!("Delete {}", folder.title), "files"),
        heading: format!("Delete the folder “{}”?", folder.title),
        message: "Only an empty folder can be deleted.".into(),
        action: format!("/files/folder/{}/delete", folder.id),
        button: "Delete folder".into(),
        cancel_url: folder.parent_id.map_or("/files".into(), |p| format!("/files/folder/{p}")),
    };
    Ok(render(&page, StatusCode::OK))
}

/// `POST /files/folder/{id}/delete`: deletes an empty folder.
pub async fn delete_folder(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    form: WebForm,
) -> WebResult {
    signed.check_csrf(&state, Some(form.get("csrf")))?;
    let folder = own_folder(&state, &signed.user, parse_id(&id, Error::folder_not_found)?).await?;
    if !state.svc.store.delete_empty_folder(folder.id).await? {
        return Err(Error::BadRequest(format!(
            "“{}” is not empty (or is My Documents). Delete what is in it first.",
            folder.title
        ))
        .into());
    }
    crate::webhooks::folder_event(&state, &signed.ctx, Trigger::FolderDeleted, &folder).await;
    let parent = match folder.parent_id {
        Some(p) => state.svc.store.folder(p).await?,
        None => None,
    };
    Ok(see_other(&parent.as_ref().map_or("/files".into(), folder_url)))
}
