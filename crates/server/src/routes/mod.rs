//! The route table: one module per resource, and the one place that says
//! which API key scope each route needs (see `scope`) and which routes take
//! a file body. A route is added with its scope in one line; a route added
//! any other way refuses API keys.

pub(crate) mod account;
pub(crate) mod copymove;
pub(crate) mod directory;
pub(crate) mod edits;
pub(crate) mod entries;
pub(crate) mod fileops;
pub(crate) mod files;
pub(crate) mod health;
pub(crate) mod links;
pub(crate) mod marks;
pub(crate) mod pages;
pub(crate) mod people;
pub(crate) mod security;
pub(crate) mod share;
pub(crate) mod versions;
pub(crate) mod webhooks;

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{on, MethodFilter};
use axum::Router;

use crate::app::AppState;
use crate::scope::{Area, RouteSpec, Scope};

const FILES_READ: Scope = Scope::Read(Area::Files);
const FILES_WRITE: Scope = Scope::Write(Area::Files);
/// Routes DocSpace's scope table does not name: `*:read` / `*:write` only.
const ANY_READ: Scope = Scope::Read(Area::Global);
const ANY_WRITE: Scope = Scope::Write(Area::Global);

pub fn routes() -> Routes {
    Routes::default()
        .get("/healthz", Scope::Public, health::healthz)
        .get("/readyz", Scope::Public, health::readyz)
        .post("/api/2.0/authentication", ANY_WRITE, account::login)
        .get("/api/2.0/authentication", ANY_READ, account::is_authenticated)
        .post("/api/2.0/keys", ANY_WRITE, account::create_key)
        .get("/api/2.0/keys", ANY_READ, account::list_keys)
        .get("/api/2.0/keys/permissions", ANY_READ, account::key_permissions)
        .get("/api/2.0/keys/@self", Scope::AnyKey, account::current_key)
        .delete("/api/2.0/keys/{id}", ANY_WRITE, account::delete_key)
        .post("/api/2.0/people", Scope::Write(Area::Accounts), account::create_user)
        .post("/api/2.0/people/active", Scope::Write(Area::Accounts), account::create_active_user)
        .get("/api/2.0/people/@self", Scope::Read(Area::AccountsSelf), account::me)
        .put("/api/2.0/people/status/{status}", Scope::Write(Area::Accounts), directory::update_status)
        .post("/api/2.0/group", Scope::Write(Area::Accounts), directory::create_group)
        .get("/api/2.0/group", Scope::Read(Area::Accounts), directory::list_groups)
        .get("/api/2.0/group/user/{user_id}", Scope::Read(Area::Accounts), directory::user_groups)
        .get("/api/2.0/group/{id}", Scope::Read(Area::Accounts), directory::get_group)
        .put("/api/2.0/group/{id}", Scope::Write(Area::Accounts), directory::update_group)
        .delete("/api/2.0/group/{id}", Scope::Write(Area::Accounts), directory::delete_group)
        .put("/api/2.0/group/{id}/members", Scope::Write(Area::Accounts), directory::add_members)
        .post("/api/2.0/group/{id}/members", Scope::Write(Area::Accounts), directory::set_members)
        .delete("/api/2.0/group/{id}/members", Scope::Write(Area::Accounts), directory::remove_members)
        .get("/api/2.0/files/@my", FILES_READ, files::my_documents)
        .get("/api/2.0/files/recent", FILES_READ, marks::recent)
        .delete("/api/2.0/files/recent", FILES_WRITE, marks::delete_recent)
        .get("/api/2.0/files/@recent", FILES_READ, marks::at_recent)
        .get("/api/2.0/files/@favorites", FILES_READ, marks::favorites)
        .get("/api/2.0/files/@share", FILES_READ, people::shared_with_me)
        .get("/api/2.0/files/favorites/{file_id}", FILES_WRITE, marks::toggle_favorite)
        .post("/api/2.0/files/@my/file", FILES_WRITE, files::create_file_in_my)
        .post("/api/2.0/files/@my/text", FILES_WRITE, edits::text_in_my)
        .post("/api/2.0/files/@my/html", FILES_WRITE, edits::html_in_my)
        .upload(Method::POST, "/api/2.0/files/@my/upload", FILES_WRITE, files::upload_to_my)
        .get("/api/2.0/files/{folder_id}", FILES_READ, files::folder_contents)
        .post("/api/2.0/files/{folder_id}/file", FILES_WRITE, files::create_file)
        .post("/api/2.0/files/{folder_id}/text", FILES_WRITE, edits::text_in_folder)
        .post("/api/2.0/files/{folder_id}/html", FILES_WRITE, edits::html_in_folder)
        .upload(Method::POST, "/api/2.0/files/{folder_id}/upload", FILES_WRITE, files::upload)
        .upload(Method::PUT, "/api/2.0/files/{file_id}/update", FILES_WRITE, files::update_content)
        .put("/api/2.0/files/{file_id}/order", FILES_WRITE, marks::file_order)
        .put("/api/2.0/files/order", FILES_WRITE, entries::set_order)
        .post("/api/2.0/files/templates", FILES_WRITE, entries::add_templates)
        .delete("/api/2.0/files/templates", FILES_WRITE, entries::delete_templates)
        .post("/api/2.0/files/thumbnails", FILES_READ, entries::thumbnails)
        .post("/api/2.0/files/owner", FILES_WRITE, copymove::change_owner)
        .get("/api/2.0/files/folder/{folder_id}", FILES_READ, files::folder_info)
        .post("/api/2.0/files/folder/{folder_id}", FILES_WRITE, files::create_folder)
        .get("/api/2.0/files/file/{file_id}", FILES_READ, files::file_info)
        .put("/api/2.0/files/file/{file_id}", FILES_WRITE, edits::update_file)
        .delete("/api/2.0/files/file/{file_id}", FILES_WRITE, files::delete_file)
        .put("/api/2.0/files/file/{file_id}/lock", FILES_WRITE, marks::lock_file)
        .post("/api/2.0/files/file/{file_id}/copyas", FILES_WRITE, copymove::copy_as)
        .post("/api/2.0/files/file/{file_id}/recent", FILES_WRITE, marks::add_recent)
        .put("/api/2.0/files/file/{file_id}/share", FILES_WRITE, people::set_file_share)
        .get("/api/2.0/files/file/{file_id}/share", FILES_READ, security::get_file_security_info)
        .get("/api/2.0/files/file/{file_id}/sharedusers", FILES_READ, people::shared_users)
        .get("/api/2.0/files/file/{file_id}/group/{group_id}/share", FILES_READ, security::group_members_share)
        .put("/api/2.0/files/share", FILES_WRITE, security::set_security_info)
        // Reads the sharing of the listed entries (DocSpace's POST).
        .post("/api/2.0/files/share", FILES_READ, security::get_security_info)
        .get("/api/2.0/files/file/{file_id}/links", FILES_READ, links::list_file_links)
        .put("/api/2.0/files/file/{file_id}/links", FILES_WRITE, links::set_file_link)
        .get("/api/2.0/files/file/{file_id}/links/{link_id}/activity", FILES_READ, links::link_activity)
        // Creates the primary link when there is none: the handler asks for
        // FILES_WRITE then.
        .get("/api/2.0/files/file/{file_id}/link", FILES_READ, links::get_primary_link)
        .post("/api/2.0/files/file/{file_id}/link", FILES_WRITE, links::create_primary_link)
        .get("/api/2.0/files/folder/{folder_id}/links", FILES_READ, links::list_folder_links)
        .put("/api/2.0/files/folder/{folder_id}/links", FILES_WRITE, links::set_folder_link)
        // As for files: creating a missing primary link asks for FILES_WRITE.
        .get("/api/2.0/files/folder/{folder_id}/link", FILES_READ, links::get_folder_primary_link)
        .post("/api/2.0/files/folder/{folder_id}/link", FILES_WRITE, links::create_folder_primary_link)
        .put("/api/2.0/files/fileops/bulkdownload", FILES_READ, fileops::bulk_download)
        .get("/api/2.0/files/fileops", FILES_READ, fileops::list_operations)
        .put("/api/2.0/files/fileops/copy", FILES_WRITE, copymove::copy_batch)
        .put("/api/2.0/files/fileops/move", FILES_WRITE, copymove::move_batch)
        .get("/api/2.0/files/file/{file_id}/history", FILES_READ, versions::file_history)
        .put("/api/2.0/files/file/{file_id}/history", FILES_WRITE, versions::change_history)
        .get("/api/2.0/files/file/{file_id}/edit/history", FILES_READ, versions::edit_history)
        .get("/api/2.0/files/file/{file_id}/log", FILES_READ, versions::file_log)
        .post("/api/2.0/files/file/{file_id}/restoreversion", FILES_WRITE, versions::restore_version)
        .get("/api/2.0/files/share/{key}", FILES_READ, share::resolve_share)
        .post("/api/2.0/files/share/{key}/password", FILES_WRITE, share::apply_share_password)
        .get("/filehandler.ashx", FILES_READ, files::file_handler)
        .get("/s/{code}", FILES_READ, pages::short_link)
        .get("/doceditor", FILES_READ, pages::share_page)
        .get("/share/preview/{file_id}", FILES_READ, pages::share_preview)
        .post("/share/password", FILES_WRITE, pages::submit_password)
        .upload(Method::POST, "/share/upload", FILES_WRITE, pages::upload_version)
        .get("/rooms/share", FILES_READ, pages::folder_share_page)
        .get("/static/share.css", Scope::Public, pages::stylesheet)
        .get("/openapi.json", Scope::Public, crate::openapi::openapi_json)
        // DocSpace has no webhook scope: `*:read` / `*:write`.
        .get("/api/2.0/settings/webhook", ANY_READ, webhooks::list_webhooks)
        .post("/api/2.0/settings/webhook", ANY_WRITE, webhooks::create_webhook)
        .put("/api/2.0/settings/webhook", ANY_WRITE, webhooks::update_webhook)
        .put("/api/2.0/settings/webhook/enable", ANY_WRITE, webhooks::enable_webhook)
        .delete("/api/2.0/settings/webhook/{id}", ANY_WRITE, webhooks::delete_webhook)
        .get("/api/2.0/settings/webhooks/log", ANY_READ, webhooks::webhook_log)
        .put("/api/2.0/settings/webhook/{id}/retry", ANY_WRITE, webhooks::retry_webhook)
        .put("/api/2.0/settings/webhook/retry", ANY_WRITE, webhooks::retry_webhooks)
        .get("/api/2.0/settings/webhook/triggers", ANY_READ, webhooks::webhook_triggers)
        // DocSpace lets anyone sign out; the session the request carries
        // ends. Last in the table: the authorization matrix walks the table
        // in order, and this ends its callers' sessions.
        .post("/api/2.0/authentication/logout", Scope::Public, account::logout)
}

/// The router under construction and the table of what each route needs.
/// Upload routes (a file body) are kept apart: they get the upload limit and
/// the idle-body timeout instead of the small-body limit and the request
/// timeout (`app::router`).
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    uploads: Router<AppState>,
    table: Vec<RouteSpec>,
}

/// The parts `app::router` layers differently.
pub struct RouteParts {
    pub small: Router<AppState>,
    pub uploads: Router<AppState>,
    pub table: Vec<RouteSpec>,
}

impl Routes {
    pub fn get<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, scope: Scope, h: H) -> Self {
        self.add(Method::GET, path, scope, false, h)
    }
    pub fn post<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, scope: Scope, h: H) -> Self {
        self.add(Method::POST, path, scope, false, h)
    }
    pub fn put<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, scope: Scope, h: H) -> Self {
        self.add(Method::PUT, path, scope, false, h)
    }
    pub fn delete<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, scope: Scope, h: H) -> Self {
        self.add(Method::DELETE, path, scope, false, h)
    }
    /// A route that takes a file body.
    pub fn upload<H: Handler<T, AppState>, T: 'static>(
        self,
        method: Method,
        path: &'static str,
        scope: Scope,
        h: H,
    ) -> Self {
        self.add(method, path, scope, true, h)
    }

    fn add<H: Handler<T, AppState>, T: 'static>(
        mut self,
        method: Method,
        path: &'static str,
        scope: Scope,
        upload: bool,
        h: H,
    ) -> Self {
        let filter = MethodFilter::try_from(method.clone()).expect("a method axum routes");
        // axum merges method routers registered on the same path.
        if upload {
            self.uploads = self.uploads.route(path, on(filter, h));
        } else {
            self.router = self.router.route(path, on(filter, h));
        }
        self.table.push(RouteSpec { method, path, scope, upload });
        self
    }

    /// Every route with its scope, in table order.
    pub fn table(&self) -> &[RouteSpec] {
        &self.table
    }

    pub fn into_parts(self) -> RouteParts {
        RouteParts { small: self.router, uploads: self.uploads, table: self.table }
    }
}
