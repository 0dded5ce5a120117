//! The authorization matrix (issue 10, suite 4): every route of the router's
//! own table × every kind of caller, and the recipient routes × every state
//! of a share token, each cell asserting the exact status. A route added to
//! the table without a row here fails the test. `--nocapture` prints both
//! tables.
//!
//! Callers: anonymous, the file's owner (session), another user, a guest,
//! the owner's revoked key, the owner's expired key, and one key of the
//! owner per scope of `GET keys/permissions`. Requests target the owner's
//! resources, so "other user" and "guest" cells show what a stranger gets.

mod common;

use std::collections::BTreeMap;

use axum::http::Method;
use common::*;
use serde_json::json;
use spacelinks_server::scope::PERMISSIONS;

/// Which key scopes pass a route: written out here, apart from the code's
/// `Scope::allows`, so the two check each other.
const PUBLIC: &[&str] = &PERMISSIONS;
const ANY_KEY: &[&str] = &PERMISSIONS;
const ANY_READ: &[&str] = &["*", "*:read", "*:write"];
const ANY_WRITE: &[&str] = &["*", "*:write"];
const FILES_READ: &[&str] = &["*", "*:read", "*:write", "files:read", "files:write"];
const FILES_WRITE: &[&str] = &["*", "*:write", "files:write"];
const ACCOUNTS_WRITE: &[&str] = &["*", "*:write", "accounts:write"];
const ACCOUNTS_READ: &[&str] = &["*", "*:read", "*:write", "accounts:read", "accounts:write"];
const SELF_READ: &[&str] = &["*", "*:read", "*:write", "accounts.self:read", "accounts.self:write"];

/// One route's expected statuses: for anonymous, owner, other user, guest;
/// keys with a scope in `scopes` get `key` (the owner's own result unless
/// the route needs more than its scope, see `GET .../link`), other keys 403;
/// revoked and expired keys are anonymous.
struct Row {
    method: Method,
    path: &'static str,
    /// The scope as the route table names it (`Scope::describe`).
    declared: &'static str,
    anon: u16,
    owner: u16,
    other: u16,
    guest: u16,
    scopes: &'static [&'static str],
    key: u16,
}

#[allow(clippy::too_many_arguments)]
fn row(
    method: Method,
    path: &'static str,
    declared: &'static str,
    [anon, owner, other, guest]: [u16; 4],
    scopes: &'static [&'static str],
    key: u16,
) -> Row {
    Row { method, path, declared, anon, owner, other, guest, scopes, key }
}

fn rows() -> Vec<Row> {
    use Method as M;
    vec![
        row(M::GET, "/healthz", "none (public)", [200, 200, 200, 200], PUBLIC, 200),
        row(M::GET, "/readyz", "none (public)", [200, 200, 200, 200], PUBLIC, 200),
        row(M::POST, "/api/2.0/authentication", "*:write", [200, 200, 200, 200], ANY_WRITE, 200),
        row(M::GET, "/api/2.0/authentication", "*:read", [200, 200, 200, 200], ANY_READ, 200),
        row(M::POST, "/api/2.0/keys", "*:write", [401, 200, 200, 403], ANY_WRITE, 200),
        row(M::GET, "/api/2.0/keys", "*:read", [401, 200, 200, 200], ANY_READ, 200),
        row(M::GET, "/api/2.0/keys/permissions", "*:read", [401, 200, 200, 200], ANY_READ, 200),
        row(M::GET, "/api/2.0/keys/@self", "any key", [401, 404, 404, 404], ANY_KEY, 200),
        // DocSpace answers 200 `false` to anyone but the key's owner or an
        // admin, and deletes nothing (checked below).
        row(M::DELETE, "/api/2.0/keys/{id}", "*:write", [401, 200, 200, 200], ANY_WRITE, 200),
        row(M::POST, "/api/2.0/people", "accounts:write", [401, 200, 403, 403], ACCOUNTS_WRITE, 200),
        row(M::POST, "/api/2.0/people/active", "accounts:write", [401, 200, 403, 403], ACCOUNTS_WRITE, 200),
        row(M::GET, "/api/2.0/people/@self", "accounts.self:read", [401, 200, 200, 200], SELF_READ, 200),
        // Only the owner and admins change people and groups; guests see no groups.
        row(M::PUT, "/api/2.0/people/status/{status}", "accounts:write", [401, 200, 403, 403], ACCOUNTS_WRITE, 200),
        row(M::POST, "/api/2.0/group", "accounts:write", [401, 200, 403, 403], ACCOUNTS_WRITE, 200),
        row(M::GET, "/api/2.0/group", "accounts:read", [401, 200, 200, 403], ACCOUNTS_READ, 200),
        row(M::GET, "/api/2.0/group/user/{user_id}", "accounts:read", [401, 200, 200, 403], ACCOUNTS_READ, 200),
        row(M::GET, "/api/2.0/group/{id}", "accounts:read", [401, 200, 200, 403], ACCOUNTS_READ, 200),
        row(M::PUT, "/api/2.0/group/{id}", "accounts:write", [401, 200, 403, 403], ACCOUNTS_WRITE, 200),
        row(M::DELETE, "/api/2.0/group/{id}", "accounts:write", [401, 200, 403, 403], ACCOUNTS_WRITE, 200),
        row(M::PUT, "/api/2.0/group/{id}/members", "accounts:write", [401, 200, 403, 403], ACCOUNTS_WRITE, 200),
        row(M::POST, "/api/2.0/group/{id}/members", "accounts:write", [401, 200, 403, 403], ACCOUNTS_WRITE, 200),
        row(M::DELETE, "/api/2.0/group/{id}/members", "accounts:write", [401, 200, 403, 403], ACCOUNTS_WRITE, 200),
        row(M::GET, "/api/2.0/files/@my", "files:read", [401, 200, 200, 200], FILES_READ, 200),
        row(M::GET, "/api/2.0/files/recent", "files:read", [401, 200, 200, 200], FILES_READ, 200),
        row(M::DELETE, "/api/2.0/files/recent", "files:write", [401, 204, 204, 204], FILES_WRITE, 204),
        row(M::GET, "/api/2.0/files/@recent", "files:read", [401, 200, 200, 200], FILES_READ, 200),
        row(M::GET, "/api/2.0/files/@favorites", "files:read", [401, 200, 200, 200], FILES_READ, 200),
        row(M::GET, "/api/2.0/files/@share", "files:read", [401, 200, 200, 200], FILES_READ, 200),
        row(M::GET, "/api/2.0/files/favorites/{file_id}", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::POST, "/api/2.0/files/@my/file", "files:write", [401, 200, 200, 200], FILES_WRITE, 200),
        // A guest has no My Documents there in DocSpace: 404.
        row(M::POST, "/api/2.0/files/@my/text", "files:write", [401, 200, 200, 404], FILES_WRITE, 200),
        row(M::POST, "/api/2.0/files/@my/html", "files:write", [401, 200, 200, 404], FILES_WRITE, 200),
        row(M::POST, "/api/2.0/files/@my/upload", "files:write", [401, 200, 200, 200], FILES_WRITE, 200),
        // A folder link's visitors are anonymous: no 401, a 403 without a link.
        row(M::GET, "/api/2.0/files/{folder_id}", "files:read", [403, 200, 403, 403], FILES_READ, 200),
        row(M::POST, "/api/2.0/files/{folder_id}/file", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::POST, "/api/2.0/files/{folder_id}/text", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::POST, "/api/2.0/files/{folder_id}/html", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::POST, "/api/2.0/files/{folder_id}/upload", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::PUT, "/api/2.0/files/{file_id}/update", "files:write", [403, 200, 403, 403], FILES_WRITE, 200),
        row(M::PUT, "/api/2.0/files/{file_id}/order", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::PUT, "/api/2.0/files/order", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        // Templates are per user: another user's ids are skipped (200);
        // guests have none (403, as DocSpace).
        row(M::POST, "/api/2.0/files/templates", "files:write", [401, 200, 200, 403], FILES_WRITE, 200),
        row(M::DELETE, "/api/2.0/files/templates", "files:write", [401, 200, 200, 403], FILES_WRITE, 200),
        // DocSpace echoes the ids to anyone signed in or with a link token.
        row(M::POST, "/api/2.0/files/thumbnails", "files:read", [401, 200, 200, 200], FILES_READ, 200),
        row(M::POST, "/api/2.0/files/owner", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::GET, "/api/2.0/files/folder/{folder_id}", "files:read", [403, 200, 403, 403], FILES_READ, 200),
        row(M::POST, "/api/2.0/files/folder/{folder_id}", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::GET, "/api/2.0/files/file/{file_id}", "files:read", [403, 200, 403, 403], FILES_READ, 200),
        row(M::PUT, "/api/2.0/files/file/{file_id}", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::DELETE, "/api/2.0/files/file/{file_id}", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::PUT, "/api/2.0/files/file/{file_id}/lock", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::POST, "/api/2.0/files/file/{file_id}/copyas", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::POST, "/api/2.0/files/file/{file_id}/recent", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::PUT, "/api/2.0/files/file/{file_id}/share", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::GET, "/api/2.0/files/file/{file_id}/share", "files:read", [401, 200, 403, 403], FILES_READ, 200),
        row(M::GET, "/api/2.0/files/file/{file_id}/sharedusers", "files:read", [401, 200, 403, 403], FILES_READ, 200),
        // A file the caller cannot read answers `[]`, as DocSpace; guests are refused.
        row(
            M::GET,
            "/api/2.0/files/file/{file_id}/group/{group_id}/share",
            "files:read",
            [401, 200, 200, 403],
            FILES_READ,
            200,
        ),
        row(M::PUT, "/api/2.0/files/share", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::POST, "/api/2.0/files/share", "files:read", [401, 200, 403, 403], FILES_READ, 200),
        row(M::GET, "/api/2.0/files/file/{file_id}/links", "files:read", [401, 200, 200, 200], FILES_READ, 200),
        row(M::PUT, "/api/2.0/files/file/{file_id}/links", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(
            M::GET,
            "/api/2.0/files/file/{file_id}/links/{link_id}/activity",
            "files:read",
            [401, 200, 403, 403],
            FILES_READ,
            200,
        ),
        // Creates the primary link: a read-only key may not (see the key
        // cells: files:read and *:read get 403 from the handler).
        // Those who may not manage the file's links get 200 with no `response`.
        row(M::GET, "/api/2.0/files/file/{file_id}/link", "files:read", [200, 200, 200, 200], FILES_WRITE, 200),
        row(M::POST, "/api/2.0/files/file/{file_id}/link", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::GET, "/api/2.0/files/folder/{folder_id}/links", "files:read", [401, 200, 200, 200], FILES_READ, 200),
        row(M::PUT, "/api/2.0/files/folder/{folder_id}/links", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::GET, "/api/2.0/files/folder/{folder_id}/link", "files:read", [403, 200, 403, 403], FILES_WRITE, 200),
        row(M::POST, "/api/2.0/files/folder/{folder_id}/link", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::PUT, "/api/2.0/files/fileops/bulkdownload", "files:read", [403, 200, 403, 403], FILES_READ, 200),
        row(M::GET, "/api/2.0/files/fileops", "files:read", [200, 200, 200, 200], FILES_READ, 200),
        row(M::PUT, "/api/2.0/files/fileops/copy", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::PUT, "/api/2.0/files/fileops/move", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::GET, "/api/2.0/files/file/{file_id}/history", "files:read", [403, 200, 403, 403], FILES_READ, 200),
        row(M::PUT, "/api/2.0/files/file/{file_id}/history", "files:write", [401, 200, 403, 403], FILES_WRITE, 200),
        row(M::GET, "/api/2.0/files/file/{file_id}/edit/history", "files:read", [403, 200, 403, 403], FILES_READ, 200),
        row(M::GET, "/api/2.0/files/file/{file_id}/log", "files:read", [401, 200, 403, 403], FILES_READ, 200),
        row(
            M::POST,
            "/api/2.0/files/file/{file_id}/restoreversion",
            "files:write",
            [403, 200, 403, 403],
            FILES_WRITE,
            200,
        ),
        row(M::GET, "/api/2.0/files/share/{key}", "files:read", [200, 200, 200, 200], FILES_READ, 200),
        row(M::POST, "/api/2.0/files/share/{key}/password", "files:write", [200, 200, 200, 200], FILES_WRITE, 200),
        row(M::GET, "/filehandler.ashx", "files:read", [403, 200, 403, 403], FILES_READ, 200),
        row(M::GET, "/s/{code}", "files:read", [302, 302, 302, 302], FILES_READ, 302),
        row(M::GET, "/doceditor", "files:read", [404, 200, 404, 404], FILES_READ, 200),
        row(M::GET, "/share/preview/{file_id}", "files:read", [404, 200, 404, 404], FILES_READ, 200),
        row(M::POST, "/share/password", "files:write", [303, 303, 303, 303], FILES_WRITE, 303),
        row(M::POST, "/share/upload", "files:write", [403, 303, 403, 403], FILES_WRITE, 303),
        // The fixture's token is a file link's: no folder page for it.
        row(M::GET, "/rooms/share", "files:read", [404, 404, 404, 404], FILES_READ, 404),
        row(M::GET, "/static/share.css", "none (public)", [200, 200, 200, 200], PUBLIC, 200),
        row(M::GET, "/openapi.json", "none (public)", [200, 200, 200, 200], PUBLIC, 200),
        // Webhooks: the owner manages every one, another user only their
        // own (an empty list, a 403 on the owner's, retries of foreign log
        // rows skipped), guests none; anyone signed in lists the triggers.
        row(M::GET, "/api/2.0/settings/webhook", "*:read", [401, 200, 200, 403], ANY_READ, 200),
        row(M::POST, "/api/2.0/settings/webhook", "*:write", [401, 200, 200, 403], ANY_WRITE, 200),
        row(M::PUT, "/api/2.0/settings/webhook", "*:write", [401, 200, 403, 403], ANY_WRITE, 200),
        row(M::PUT, "/api/2.0/settings/webhook/enable", "*:write", [401, 200, 403, 403], ANY_WRITE, 200),
        row(M::DELETE, "/api/2.0/settings/webhook/{id}", "*:write", [401, 200, 403, 403], ANY_WRITE, 200),
        row(M::GET, "/api/2.0/settings/webhooks/log", "*:read", [401, 200, 200, 403], ANY_READ, 200),
        row(M::PUT, "/api/2.0/settings/webhook/{id}/retry", "*:write", [401, 200, 403, 403], ANY_WRITE, 200),
        row(M::PUT, "/api/2.0/settings/webhook/retry", "*:write", [401, 200, 200, 403], ANY_WRITE, 200),
        row(M::GET, "/api/2.0/settings/webhook/triggers", "*:read", [401, 200, 200, 200], ANY_READ, 200),
        row(M::POST, "/api/2.0/authentication/logout", "none (public)", [200, 200, 200, 200], PUBLIC, 200),
    ]
}

/// Everything the requests point at.
struct Fixture {
    owner: String,
    other: String,
    guest: String,
    /// The owner's keys: (column name, key).
    keys: Vec<(String, String)>,
    root: i64,
    file: i64,
    /// A valid Read link on `file`, no password.
    token: String,
    link: String,
    code: String,
    /// A receiver for the webhooks the requests create (HEAD probes).
    hooks: Receiver,
    /// The owner's webhook and one of its queued deliveries.
    hook: i64,
    hook_log: i64,
}

impl Fixture {
    async fn new(s: &TestServer) -> Self {
        let owner = s.owner().await;
        let hooks = Receiver::start().await;
        let res = s
            .send(
                Req::post("/api/2.0/settings/webhook")
                    .auth(&owner)
                    .json(json!({"name": "matrix", "uri": hooks.url, "secretKey": "matrix-Secret1", "enabled": true})),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let hook = res.json()["response"]["id"].as_i64().unwrap();
        let other = s.user("other@example.com", "User").await;
        let guest = s.user("guest@example.com", "Guest").await;
        let file = s.upload_id(&owner, "Matrix.txt", b"matrix bytes").await;
        // A second version, so that version 1 can be restored.
        let res = s
            .send(Req::put(&format!("/api/2.0/files/{file}/update")).auth(&owner).multipart("file", "v.txt", b"v2"))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let link = s.put_link(&owner, file, json!({"access": "Read"})).await;
        let code = link["sharedLink"]["shareLink"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
        let mut keys = Vec::new();
        for p in PERMISSIONS {
            keys.push((format!("key {p}"), s.api_key(&owner, &[p]).await.0));
        }
        let (revoked, dto) = s.api_key(&owner, &[]).await;
        let res = s.send(Req::delete(&format!("/api/2.0/keys/{}", dto["id"].as_str().unwrap())).auth(&owner)).await;
        assert_eq!(res.status, 200);
        let (expired, dto) = s.api_key(&owner, &[]).await;
        s.sql("UPDATE api_keys SET expires = 1 WHERE id = $1", &[dto["id"].as_str().unwrap()]).await;
        keys.insert(0, ("expired key".into(), expired));
        keys.insert(0, ("revoked key".into(), revoked));
        // The upload queued deliveries (in-process: nothing sends them).
        let query = spacelinks_core::WebhookLogQuery { limit: 1, ..Default::default() };
        let hook_log = s.store().webhook_logs_page(&query).await.unwrap().0[0].id;
        Fixture {
            hooks,
            hook,
            hook_log,
            root: s.store().file(file).await.unwrap().unwrap().folder_id,
            owner,
            other,
            guest,
            keys,
            file,
            token: token(&link),
            link: link_id(&link),
            code,
        }
    }

    /// A fresh folder of the owner's, so that link limits never interfere.
    async fn folder(&self, s: &TestServer) -> i64 {
        let res = s
            .send(
                Req::post(&format!("/api/2.0/files/folder/{}", self.root))
                    .auth(&self.owner)
                    .json(json!({"title": "m"})),
            )
            .await;
        res.json()["response"]["id"].as_i64().expect("a new folder")
    }

    /// A fresh user of the owner's making; their id.
    async fn new_user(&self, s: &TestServer) -> String {
        let res = s
            .send(Req::post("/api/2.0/people").auth(&self.owner).json(json!({
                "email": format!("u-{}@example.com", uuid::Uuid::new_v4().simple()), "type": "User"
            })))
            .await;
        res.json()["response"]["id"].as_str().expect("a new user").to_string()
    }

    /// A fresh group of the owner's making; its id.
    async fn group(&self, s: &TestServer) -> String {
        let res =
            s.send(Req::post("/api/2.0/group").auth(&self.owner).json(json!({"groupName": "G", "members": []}))).await;
        res.json()["response"]["id"].as_str().expect("a new group").to_string()
    }

    /// The request of a route, on fresh resources where the call would
    /// consume them (a delete, a key), so every cell starts from the same state.
    async fn request(&self, s: &TestServer, method: &Method, path: &str) -> Req {
        let (f, root, t) = (self.file, self.root, &self.token);
        let upload = |p: String| Req::post(&p).multipart("file", "m.txt", b"m");
        match (method.as_str(), path) {
            ("GET", "/healthz") => Req::get("/healthz"),
            ("GET", "/readyz") => Req::get("/readyz"),
            ("POST", "/api/2.0/authentication/logout") => Req::post("/api/2.0/authentication/logout"),
            ("POST", "/api/2.0/authentication") => {
                Req::post("/api/2.0/authentication").json(json!({"userName": OWNER_EMAIL, "password": OWNER_PASSWORD}))
            }
            ("GET", "/api/2.0/authentication") => Req::get("/api/2.0/authentication"),
            ("POST", "/api/2.0/keys") => Req::post("/api/2.0/keys").json(json!({"name": "matrix"})),
            ("GET", "/api/2.0/keys") => Req::get("/api/2.0/keys"),
            ("GET", "/api/2.0/keys/permissions") => Req::get("/api/2.0/keys/permissions"),
            ("GET", "/api/2.0/keys/@self") => Req::get("/api/2.0/keys/@self"),
            ("DELETE", "/api/2.0/keys/{id}") => {
                let (_, dto) = s.api_key(&self.owner, &[]).await;
                Req::delete(&format!("/api/2.0/keys/{}", dto["id"].as_str().unwrap()))
            }
            ("POST", "/api/2.0/people") => Req::post("/api/2.0/people").json(json!({
                "email": format!("p-{}@example.com", uuid::Uuid::new_v4().simple()),
                "firstName": "M", "lastName": "X", "type": "User", "password": "pass-word-1"
            })),
            ("POST", "/api/2.0/people/active") => Req::post("/api/2.0/people/active").json(json!({
                "email": format!("a-{}@example.com", uuid::Uuid::new_v4().simple()),
                "firstName": "M", "lastName": "X", "type": "Guest", "password": "pass-word-1"
            })),
            ("GET", "/api/2.0/people/@self") => Req::get("/api/2.0/people/@self"),
            ("PUT", "/api/2.0/people/status/{status}") => {
                // A fresh user each time: disabling `other` would change later cells.
                let id = self.new_user(s).await;
                Req::put("/api/2.0/people/status/Terminated").json(json!({"userIds": [id], "resendAll": false}))
            }
            ("POST", "/api/2.0/group") => Req::post("/api/2.0/group").json(json!({
                "groupName": "Matrix", "groupManager": "00000000-0000-0000-0000-000000000000", "members": []
            })),
            ("GET", "/api/2.0/group") => Req::get("/api/2.0/group"),
            ("GET", "/api/2.0/group/user/{user_id}") => {
                Req::get(&format!("/api/2.0/group/user/{}", self.new_user(s).await))
            }
            ("GET", "/api/2.0/group/{id}") => Req::get(&format!("/api/2.0/group/{}", self.group(s).await)),
            ("PUT", "/api/2.0/group/{id}") => {
                Req::put(&format!("/api/2.0/group/{}", self.group(s).await)).json(json!({"groupName": "Renamed"}))
            }
            ("DELETE", "/api/2.0/group/{id}") => Req::delete(&format!("/api/2.0/group/{}", self.group(s).await)),
            ("PUT" | "POST" | "DELETE", "/api/2.0/group/{id}/members") => {
                let path = format!("/api/2.0/group/{}/members", self.group(s).await);
                let member = self.new_user(s).await;
                Req::new(method.clone(), &path).json(json!({"members": [member]}))
            }
            ("GET", "/api/2.0/files/@my") => Req::get("/api/2.0/files/@my"),
            ("GET", "/api/2.0/files/recent") => Req::get("/api/2.0/files/recent"),
            ("DELETE", "/api/2.0/files/recent") => Req::delete("/api/2.0/files/recent").json(json!({"fileIds": [f]})),
            ("GET", "/api/2.0/files/@recent") => Req::get("/api/2.0/files/@recent"),
            ("GET", "/api/2.0/files/@favorites") => Req::get("/api/2.0/files/@favorites"),
            ("GET", "/api/2.0/files/@share") => Req::get("/api/2.0/files/@share"),
            ("GET", "/api/2.0/files/favorites/{file_id}") => {
                Req::get(&format!("/api/2.0/files/favorites/{f}?favorite=true"))
            }
            ("POST", "/api/2.0/files/@my/file") => Req::post("/api/2.0/files/@my/file").json(json!({"title": "n"})),
            ("POST", "/api/2.0/files/@my/text") => {
                Req::post("/api/2.0/files/@my/text").json(json!({"title": "t", "content": "x"}))
            }
            ("POST", "/api/2.0/files/@my/html") => {
                Req::post("/api/2.0/files/@my/html").json(json!({"title": "h", "content": "<p>x</p>"}))
            }
            ("POST", "/api/2.0/files/@my/upload") => upload("/api/2.0/files/@my/upload".into()),
            ("GET", "/api/2.0/files/{folder_id}") => Req::get(&format!("/api/2.0/files/{root}")),
            ("POST", "/api/2.0/files/{folder_id}/file") => {
                Req::post(&format!("/api/2.0/files/{root}/file")).json(json!({"title": "n"}))
            }
            ("POST", "/api/2.0/files/{folder_id}/text") => {
                Req::post(&format!("/api/2.0/files/{root}/text")).json(json!({"title": "t", "content": "x"}))
            }
            ("POST", "/api/2.0/files/{folder_id}/html") => {
                Req::post(&format!("/api/2.0/files/{root}/html")).json(json!({"title": "h", "content": "x"}))
            }
            ("POST", "/api/2.0/files/{folder_id}/upload") => upload(format!("/api/2.0/files/{root}/upload")),
            ("PUT", "/api/2.0/files/{file_id}/update") => {
                Req::put(&format!("/api/2.0/files/{f}/update")).multipart("file", "u.txt", b"update")
            }
            ("PUT", "/api/2.0/files/{file_id}/order") => {
                Req::put(&format!("/api/2.0/files/{f}/order")).json(json!({"order": 2}))
            }
            ("PUT", "/api/2.0/files/order") => {
                Req::put("/api/2.0/files/order").json(json!({"items": [{"entryId": f, "entryType": 2, "order": 1}]}))
            }
            ("POST", "/api/2.0/files/templates") => Req::post("/api/2.0/files/templates").json(json!({"fileIds": [f]})),
            ("DELETE", "/api/2.0/files/templates") => Req::delete("/api/2.0/files/templates").json(json!([f])),
            ("POST", "/api/2.0/files/thumbnails") => Req::post("/api/2.0/files/thumbnails").json(json!({"fileIds": [f]})),
            ("POST", "/api/2.0/files/owner") => {
                // The owner gives a fresh file to themselves: allowed, no change.
                let given = s.upload_id(&self.owner, "Given.txt", b"g").await;
                let me = s.send(Req::get("/api/2.0/people/@self").auth(&self.owner)).await.json()["response"]["id"].clone();
                Req::post("/api/2.0/files/owner").json(json!({"userId": me, "fileIds": [given]}))
            }
            ("POST", "/api/2.0/files/file/{file_id}/copyas") => Req::post(&format!("/api/2.0/files/file/{f}/copyas"))
                .json(json!({"destTitle": "Copy", "destFolderId": root})),
            ("PUT", "/api/2.0/files/fileops/copy") => Req::put("/api/2.0/files/fileops/copy")
                .json(json!({"fileIds": [f], "destFolderId": root, "conflictResolveType": 2})),
            ("PUT", "/api/2.0/files/fileops/move") => {
                let moved = s.upload_id(&self.owner, "Moved.txt", b"m").await;
                Req::put("/api/2.0/files/fileops/move")
                    .json(json!({"fileIds": [moved], "destFolderId": self.folder(s).await}))
            }
            ("PUT", "/api/2.0/files/file/{file_id}/history") => Req::put(&format!("/api/2.0/files/file/{f}/history"))
                .json(json!({"version": 1, "continueVersion": true})),
            ("GET", "/api/2.0/files/file/{file_id}/edit/history") => {
                Req::get(&format!("/api/2.0/files/file/{f}/edit/history"))
            }
            ("GET", "/api/2.0/files/file/{file_id}/log") => Req::get(&format!("/api/2.0/files/file/{f}/log")),
            ("GET", "/api/2.0/files/folder/{folder_id}") => Req::get(&format!("/api/2.0/files/folder/{root}")),
            ("POST", "/api/2.0/files/folder/{folder_id}") => {
                Req::post(&format!("/api/2.0/files/folder/{root}")).json(json!({"title": "sub"}))
            }
            ("GET", "/api/2.0/files/file/{file_id}") => Req::get(&format!("/api/2.0/files/file/{f}")),
            ("PUT", "/api/2.0/files/file/{file_id}") => {
                Req::put(&format!("/api/2.0/files/file/{f}")).json(json!({"title": "Matrix"}))
            }
            ("DELETE", "/api/2.0/files/file/{file_id}") => {
                let doomed = s.upload_id(&self.owner, "Doomed.txt", b"d").await;
                Req::delete(&format!("/api/2.0/files/file/{doomed}"))
            }
            ("PUT", "/api/2.0/files/file/{file_id}/lock") => {
                Req::put(&format!("/api/2.0/files/file/{f}/lock")).json(json!({"lockFile": false}))
            }
            ("POST", "/api/2.0/files/file/{file_id}/recent") => Req::post(&format!("/api/2.0/files/file/{f}/recent")),
            ("PUT", "/api/2.0/files/file/{file_id}/share") => {
                Req::put(&format!("/api/2.0/files/file/{f}/share")).json(json!({"share": [], "notify": false}))
            }
            ("GET", "/api/2.0/files/file/{file_id}/sharedusers") => {
                Req::get(&format!("/api/2.0/files/file/{f}/sharedusers"))
            }
            ("GET", "/api/2.0/files/file/{file_id}/share") => Req::get(&format!("/api/2.0/files/file/{f}/share")),
            ("GET", "/api/2.0/files/file/{file_id}/group/{group_id}/share") => {
                Req::get(&format!("/api/2.0/files/file/{f}/group/{}/share", self.group(s).await))
            }
            ("PUT", "/api/2.0/files/share") => {
                Req::put("/api/2.0/files/share").json(json!({"fileIds": [f], "share": [], "notify": false}))
            }
            ("POST", "/api/2.0/files/share") => Req::post("/api/2.0/files/share").json(json!({"fileIds": [f]})),
            ("GET", "/api/2.0/files/file/{file_id}/links") => Req::get(&format!("/api/2.0/files/file/{f}/links")),
            ("GET", "/api/2.0/files/file/{file_id}/links/{link_id}/activity") => {
                Req::get(&format!("/api/2.0/files/file/{f}/links/{}/activity", self.link))
            }
            ("PUT", "/api/2.0/files/file/{file_id}/links") => {
                // A fresh file: the per-file link limit must not interfere.
                let target = s.upload_id(&self.owner, "Links.txt", b"l").await;
                Req::put(&format!("/api/2.0/files/file/{target}/links")).json(json!({"access": "Read"}))
            }
            ("GET", "/api/2.0/files/file/{file_id}/link") => {
                let bare = s.upload_id(&self.owner, "NoLink.txt", b"n").await;
                Req::get(&format!("/api/2.0/files/file/{bare}/link"))
            }
            ("POST", "/api/2.0/files/file/{file_id}/link") => {
                let bare = s.upload_id(&self.owner, "NoLink.txt", b"n").await;
                Req::post(&format!("/api/2.0/files/file/{bare}/link")).json(json!({}))
            }
            ("GET", "/api/2.0/files/folder/{folder_id}/links") => {
                Req::get(&format!("/api/2.0/files/folder/{}/links", self.folder(s).await))
            }
            ("PUT", "/api/2.0/files/folder/{folder_id}/links") => {
                Req::put(&format!("/api/2.0/files/folder/{}/links", self.folder(s).await)).json(json!({"access": 2}))
            }
            ("GET", "/api/2.0/files/folder/{folder_id}/link") => {
                Req::get(&format!("/api/2.0/files/folder/{}/link", self.folder(s).await))
            }
            ("POST", "/api/2.0/files/folder/{folder_id}/link") => {
                Req::post(&format!("/api/2.0/files/folder/{}/link", self.folder(s).await)).json(json!({}))
            }
            ("PUT", "/api/2.0/files/fileops/bulkdownload") => {
                Req::put("/api/2.0/files/fileops/bulkdownload").json(json!({"folderIds": [root]}))
            }
            ("GET", "/api/2.0/files/fileops") => Req::get("/api/2.0/files/fileops"),
            ("GET", "/rooms/share") => Req::get(&format!("/rooms/share?key={t}")),
            ("GET", "/api/2.0/files/file/{file_id}/history") => Req::get(&format!("/api/2.0/files/file/{f}/history")),
            ("POST", "/api/2.0/files/file/{file_id}/restoreversion") => {
                Req::post(&format!("/api/2.0/files/file/{f}/restoreversion?version=1"))
            }
            ("GET", "/api/2.0/files/share/{key}") => Req::get(&format!("/api/2.0/files/share/{t}")),
            ("POST", "/api/2.0/files/share/{key}/password") => {
                Req::post(&format!("/api/2.0/files/share/{t}/password")).json(json!({"password": "whatever-1"}))
            }
            ("GET", "/filehandler.ashx") => Req::get(&format!("/filehandler.ashx?action=download&fileid={f}")),
            ("GET", "/s/{code}") => Req::get(&format!("/s/{}", self.code)),
            ("GET", "/doceditor") => Req::get(&format!("/doceditor?fileid={f}")),
            ("GET", "/share/preview/{file_id}") => Req::get(&format!("/share/preview/{f}")),
            ("POST", "/share/password") => Req::post("/share/password")
                .body("application/x-www-form-urlencoded", format!("share={t}&fileid={f}&password=whatever-1")),
            ("POST", "/share/upload") => {
                Req::post(&format!("/share/upload?fileid={f}")).multipart("file", "u.txt", b"page upload")
            }
            ("GET", "/static/share.css") => Req::get("/static/share.css"),
            ("GET", "/openapi.json") => Req::get("/openapi.json"),
            ("GET", "/api/2.0/settings/webhook") => Req::get("/api/2.0/settings/webhook"),
            ("POST", "/api/2.0/settings/webhook") => Req::post("/api/2.0/settings/webhook").json(json!({
                "name": format!("m-{}", uuid::Uuid::new_v4().simple()), "uri": self.hooks.url, "secretKey": "matrix-Secret1"
            })),
            ("PUT", "/api/2.0/settings/webhook") => Req::put("/api/2.0/settings/webhook")
                .json(json!({"id": self.hook, "name": "matrix", "uri": self.hooks.url, "enabled": true})),
            ("PUT", "/api/2.0/settings/webhook/enable") => Req::put("/api/2.0/settings/webhook/enable")
                .json(json!({"id": self.hook, "name": "matrix", "uri": self.hooks.url, "enabled": true})),
            ("DELETE", "/api/2.0/settings/webhook/{id}") => {
                let res = s
                    .send(Req::post("/api/2.0/settings/webhook").auth(&self.owner).json(json!({
                        "name": format!("d-{}", uuid::Uuid::new_v4().simple()), "uri": self.hooks.url, "secretKey": "matrix-Secret1"
                    })))
                    .await;
                Req::delete(&format!("/api/2.0/settings/webhook/{}", res.json()["response"]["id"]))
            }
            ("GET", "/api/2.0/settings/webhooks/log") => Req::get("/api/2.0/settings/webhooks/log"),
            ("PUT", "/api/2.0/settings/webhook/{id}/retry") => {
                Req::put(&format!("/api/2.0/settings/webhook/{}/retry", self.hook_log))
            }
            ("PUT", "/api/2.0/settings/webhook/retry") => {
                Req::put("/api/2.0/settings/webhook/retry").json(json!({"ids": [self.hook_log]}))
            }
            ("GET", "/api/2.0/settings/webhook/triggers") => Req::get("/api/2.0/settings/webhook/triggers"),
            _ => panic!("{method} {path} is in the route table but has no request in the authorization matrix"),
        }
    }
}

/// Prints a table: one line per row, one column per caller.
fn print_table(title: &str, columns: &[String], lines: &[(String, Vec<String>)]) {
    println!("\n{title}");
    let width = lines.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    println!("{:width$}  {}", "", columns.iter().map(|c| format!("{c:>7}")).collect::<Vec<_>>().join(" "));
    for (label, cells) in lines {
        let cells: Vec<String> =
            cells.iter().zip(columns).map(|(c, h)| format!("{c:>w$}", w = h.len().max(7))).collect();
        println!("{label:width$}  {}", cells.join(" "));
    }
}

#[tokio::test]
async fn every_route_by_every_caller() {
    let s = TestServer::start_with(allow_loopback).await;
    let fx = Fixture::new(&s).await;
    let table = spacelinks_server::routes::routes();
    let rows = rows();
    let spec_keys: Vec<(String, &str)> = table.table().iter().map(|r| (r.method.to_string(), r.path)).collect();
    for r in &rows {
        assert!(
            spec_keys.iter().any(|(m, p)| *m == r.method.as_str() && *p == r.path),
            "the matrix row {} {} is not a route any more",
            r.method,
            r.path
        );
    }
    let mut callers: Vec<(String, Option<String>)> = vec![
        ("anon".into(), None),
        ("owner".into(), Some(fx.owner.clone())),
        ("other".into(), Some(fx.other.clone())),
        ("guest".into(), Some(fx.guest.clone())),
    ];
    callers.extend(fx.keys.iter().map(|(n, k)| (n.clone(), Some(k.clone()))));
    let columns: Vec<String> = callers.iter().map(|(n, _)| n.replace("key ", "")).collect();

    let mut lines = Vec::new();
    let mut wrong = Vec::new();
    for spec in table.table() {
        let label = format!("{} {}", spec.method, spec.path);
        let r = rows
            .iter()
            .find(|r| r.method == spec.method && r.path == spec.path)
            .unwrap_or_else(|| panic!("{label} has no row in the authorization matrix: add one"));
        assert_eq!(spec.scope.describe(), r.declared, "{label}: the route table declares another scope");
        let mut cells = Vec::new();
        for (name, cred) in &callers {
            let expected = match name.as_str() {
                "anon" | "revoked key" | "expired key" => r.anon,
                "owner" => r.owner,
                "other" => r.other,
                "guest" => r.guest,
                key => {
                    let scope = key.trim_start_matches("key ");
                    if r.scopes.contains(&scope) {
                        r.key
                    } else {
                        403
                    }
                }
            };
            let mut req = fx.request(&s, &spec.method, spec.path).await;
            if let Some(c) = cred {
                req = req.auth(c);
            }
            let res = s.send(req).await;
            assert!(res.status < 500, "{label} as {name}: {} {}", res.status, res.text());
            if spec.method == Method::DELETE
                && spec.path == "/api/2.0/keys/{id}"
                && matches!(name.as_str(), "other" | "guest")
            {
                assert_eq!(res.json()["response"], false, "{label} as {name} deleted the owner's key");
            }
            if res.status != expected {
                wrong.push(format!("{label} as {name}: expected {expected}, got {} {}", res.status, res.text()));
            }
            cells.push(if res.status == expected { res.status.to_string() } else { format!("{}!", res.status) });
        }
        lines.push((label, cells));
    }
    print_table(
        "Authorization matrix: route × caller (! marks a cell that differs from the expectation)",
        &columns,
        &lines,
    );
    assert!(wrong.is_empty(), "{} cells differ:\n{}", wrong.len(), wrong.join("\n"));
}

// ---- the recipient routes × the state of the share token --------------------

const STATES: [&str; 8] = ["none", "valid", "expired", "revoked", "internal", "wrong pw", "other file", "recreated"];

/// Tokens (and short codes) in every state, all meant for `file`.
struct Shares {
    file: i64,
    tokens: BTreeMap<&'static str, String>,
    codes: BTreeMap<&'static str, String>,
}

async fn shares(s: &TestServer) -> Shares {
    let owner = s.owner().await;
    let file = s.upload_id(&owner, "Shared.txt", b"shared bytes").await;
    let mut tokens = BTreeMap::new();
    let mut codes = BTreeMap::new();
    let code_of =
        |l: &serde_json::Value| l["sharedLink"]["shareLink"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    let mut add = |state: &'static str, link: &serde_json::Value| {
        tokens.insert(state, token(link));
        codes.insert(state, code_of(link));
    };
    add("valid", &s.put_link(&owner, file, json!({"access": "Editing"})).await);
    let expired = s.put_link(&owner, file, json!({"access": "Editing"})).await;
    s.expire_link(&link_id(&expired)).await;
    add("expired", &expired);
    let revoked = s.put_link(&owner, file, json!({"access": "Editing"})).await;
    s.delete_link(&owner, file, &link_id(&revoked)).await;
    add("revoked", &revoked);
    add("internal", &s.put_link(&owner, file, json!({"access": "Editing", "internal": true})).await);
    add("wrong pw", &s.put_link(&owner, file, json!({"access": "Editing", "password": LINK_PASSWORD})).await);
    let stranger = s.user("stranger@example.com", "User").await;
    let theirs = s.upload_id(&stranger, "Theirs.txt", b"theirs").await;
    add("other file", &s.put_link(&stranger, theirs, json!({"access": "Editing"})).await);
    // The owner deletes a link; the stranger creates one with the same id on
    // their file; the old token is tried against the owner's file.
    let id = "3f7c1d2e-4b5a-4c6d-8e9f-0a1b2c3d4e5f";
    let old = s.put_link(&owner, file, json!({"linkId": id, "access": "Editing"})).await;
    s.delete_link(&owner, file, id).await;
    s.put_link(&stranger, theirs, json!({"linkId": id, "access": "Editing"})).await;
    add("recreated", &old);
    Shares { file, tokens, codes }
}

/// A recipient route with the token of `state` (`none`: without one).
fn share_request(sh: &Shares, route: &str, state: &str) -> Req {
    let f = sh.file;
    let t = sh.tokens.get(state).cloned().unwrap_or_default();
    let q = if t.is_empty() { String::new() } else { format!("&share={t}") };
    match route {
        "GET files/share/{key}" => Req::get(&format!("/api/2.0/files/share/{t}")),
        "POST files/share/{key}/password" => Req::post(&format!("/api/2.0/files/share/{t}/password"))
            .json(json!({"password": if state == "wrong pw" { "Wrong-pw-99" } else { LINK_PASSWORD }})),
        "GET files/file/{id}" => Req::get(&format!("/api/2.0/files/file/{f}?x=1{q}")),
        "GET filehandler download" => Req::get(&format!("/filehandler.ashx?action=download&fileid={f}{q}")),
        "GET filehandler view" => Req::get(&format!("/filehandler.ashx?action=view&fileid={f}{q}")),
        "PUT files/{id}/update" => {
            Req::put(&format!("/api/2.0/files/{f}/update?x=1{q}")).multipart("file", "u.txt", b"via link")
        }
        "GET files/file/{id}/history" => Req::get(&format!("/api/2.0/files/file/{f}/history?x=1{q}")),
        "GET /doceditor" => Req::get(&format!("/doceditor?fileid={f}{q}")),
        "GET /share/preview/{id}" => Req::get(&format!("/share/preview/{f}?x=1{q}")),
        "POST /share/password" => Req::post("/share/password").body(
            "application/x-www-form-urlencoded",
            format!(
                "share={t}&fileid={f}&password={}",
                if state == "wrong pw" { "Wrong-pw-99" } else { LINK_PASSWORD }
            ),
        ),
        "POST /share/upload" => {
            Req::post(&format!("/share/upload?fileid={f}{q}")).multipart("file", "u.txt", b"via page")
        }
        "GET /s/{code}" => Req::get(&format!("/s/{}", sh.codes.get(state).cloned().unwrap_or_else(|| "none".into()))),
        other => panic!("no share route {other}"),
    }
}

/// Expected cells per route, in `STATES` order, for an anonymous visitor
/// and for a signed-in user who does not own the file. `200:N` is a 200
/// whose `response.status` is N (Ok 0, Invalid 1, Expired 2,
/// RequiredPassword 3, InvalidPassword 4, ExternalAccessDenied 5).
fn share_rows() -> Vec<(&'static str, [&'static str; 8], [&'static str; 8])> {
    vec![
        (
            "GET files/share/{key}",
            ["404", "200:0", "200:2", "200:1", "200:5", "200:3", "200:0", "200:1"],
            ["404", "200:0", "200:2", "200:1", "200:0", "200:3", "200:0", "200:1"],
        ),
        (
            "POST files/share/{key}/password",
            ["200:1", "200:0", "200:2", "200:1", "200:5", "200:4", "200:0", "200:1"],
            ["200:1", "200:0", "200:2", "200:1", "200:0", "200:4", "200:0", "200:1"],
        ),
        (
            "GET files/file/{id}",
            ["403", "200", "403", "403", "403", "403", "403", "403"],
            ["403", "200", "403", "403", "200", "403", "403", "403"],
        ),
        (
            "GET filehandler download",
            ["403", "200", "403", "403", "403", "403", "403", "403"],
            ["403", "200", "403", "403", "200", "403", "403", "403"],
        ),
        (
            "GET filehandler view",
            ["403", "200", "403", "403", "403", "403", "403", "403"],
            ["403", "200", "403", "403", "200", "403", "403", "403"],
        ),
        (
            "PUT files/{id}/update",
            ["403", "200", "403", "403", "403", "403", "403", "403"],
            ["403", "200", "403", "403", "200", "403", "403", "403"],
        ),
        (
            "GET files/file/{id}/history",
            ["403", "403", "403", "403", "403", "403", "403", "403"],
            ["403", "403", "403", "403", "403", "403", "403", "403"],
        ),
        (
            "GET /doceditor",
            ["404", "200", "410", "404", "403", "200", "404", "404"],
            ["404", "200", "410", "404", "200", "200", "404", "404"],
        ),
        (
            "GET /share/preview/{id}",
            ["404", "200", "410", "404", "403", "200", "404", "404"],
            ["404", "200", "410", "404", "200", "200", "404", "404"],
        ),
        (
            "POST /share/password",
            ["404", "303", "410", "404", "403", "200", "404", "404"],
            ["404", "303", "410", "404", "303", "200", "404", "404"],
        ),
        (
            "POST /share/upload",
            ["403", "303", "403", "403", "403", "403", "403", "403"],
            ["403", "303", "403", "403", "303", "403", "403", "403"],
        ),
        (
            "GET /s/{code}",
            ["404", "302", "302", "404", "302", "302", "302", "404"],
            ["404", "302", "302", "404", "302", "302", "302", "404"],
        ),
    ]
}

#[tokio::test]
async fn every_recipient_route_by_every_token_state() {
    let s = TestServer::start().await;
    let sh = shares(&s).await;
    let other = s.user("visitor@example.com", "User").await;
    let columns: Vec<String> = STATES.iter().map(|s| s.to_string()).collect();
    let mut wrong = Vec::new();
    for (who, cred) in [("anonymous", None), ("signed-in user", Some(other.clone()))] {
        let mut lines = Vec::new();
        for (route, anon, signed_in) in share_rows() {
            let expected = if cred.is_some() { signed_in } else { anon };
            let mut cells = Vec::new();
            for (i, state) in STATES.iter().enumerate() {
                let mut req = share_request(&sh, route, state);
                if let Some(c) = &cred {
                    req = req.auth(c);
                }
                let res = s.send(req).await;
                assert!(res.status < 500, "{route} with {state} as {who}: {} {}", res.status, res.text());
                let got = if res.status == 200 && route.contains("files/share/") {
                    format!("200:{}", res.json()["response"]["status"])
                } else {
                    res.status.to_string()
                };
                if got != expected[i] {
                    wrong.push(format!(
                        "{route} with {state} as {who}: expected {}, got {got} {}",
                        expected[i],
                        res.text()
                    ));
                    cells.push(format!("{got}!"));
                } else {
                    cells.push(got);
                }
            }
            lines.push((route.to_string(), cells));
        }
        print_table(&format!("Recipient routes × token state, as {who}"), &columns, &lines);
    }
    assert!(wrong.is_empty(), "{} cells differ:\n{}", wrong.len(), wrong.join("\n"));
}

/// `docs/SCOPES.md` lists every route with the scope the route table gives it.
#[test]
fn the_scope_table_in_the_docs_matches_the_route_table() {
    let doc = include_str!("../../../docs/SCOPES.md");
    let documented: Vec<(String, String, String)> = doc
        .lines()
        .filter(|l| {
            l.starts_with("| GET") || l.starts_with("| POST") || l.starts_with("| PUT") || l.starts_with("| DELETE")
        })
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].to_string(), cells[2].trim_matches('`').to_string(), cells[3].to_string())
        })
        .collect();
    let actual: Vec<(String, String, String)> = spacelinks_server::routes::routes()
        .table()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string(), r.scope.describe()))
        .collect();
    assert_eq!(documented, actual, "docs/SCOPES.md and the route table differ");
}
