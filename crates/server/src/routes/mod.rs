//! The route table: one module per resource.

pub(crate) mod account;
pub(crate) mod files;
pub(crate) mod links;
pub(crate) mod pages;
pub(crate) mod share;

use axum::routing::{get, post, put};
use axum::Router;

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/openapi.json", get(crate::openapi::openapi_json))
        .route("/api/2.0/authentication", post(account::login).get(account::is_authenticated))
        .route("/api/2.0/keys", post(account::create_key).get(account::list_keys))
        .route("/api/2.0/keys/permissions", get(account::key_permissions))
        .route("/api/2.0/keys/@self", get(account::current_key))
        .route("/api/2.0/keys/{id}", axum::routing::delete(account::delete_key))
        .route("/api/2.0/people", post(account::create_user))
        .route("/api/2.0/people/@self", get(account::me))
        .route("/api/2.0/files/@my", get(files::my_documents))
        .route("/api/2.0/files/@my/file", post(files::create_file_in_my))
        .route("/api/2.0/files/@my/upload", post(files::upload_to_my))
        .route("/api/2.0/files/{folder_id}", get(files::folder_contents))
        .route("/api/2.0/files/{folder_id}/file", post(files::create_file))
        .route("/api/2.0/files/{folder_id}/upload", post(files::upload))
        .route("/api/2.0/files/{file_id}/update", put(files::update_content))
        .route("/api/2.0/files/folder/{folder_id}", get(files::folder_info).post(files::create_folder))
        .route("/api/2.0/files/file/{file_id}", get(files::file_info).delete(files::delete_file))
        .route("/api/2.0/files/file/{file_id}/links", get(links::list_file_links).put(links::set_file_link))
        .route("/api/2.0/files/file/{file_id}/link", get(links::get_primary_link).post(links::create_primary_link))
        .route("/api/2.0/files/share/{key}", get(share::resolve_share))
        .route("/api/2.0/files/share/{key}/password", post(share::apply_share_password))
        .route("/filehandler.ashx", get(files::file_handler))
        .route("/s/{code}", get(pages::short_link))
        .route("/doceditor", get(pages::share_page))
        .route("/share/preview/{file_id}", get(pages::share_preview))
        .route("/share/password", post(pages::submit_password))
        .route("/share/upload", post(pages::upload_version))
        .route("/static/share.css", get(pages::stylesheet))
}
