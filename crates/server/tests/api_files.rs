//! The DocSpace API around links, called in-process through the router:
//! health, authentication, API keys, people, files and folders, downloads,
//! and the error envelope for every kind of bad request.

mod common;

use common::*;
use serde_json::{json, Value};

fn my_href(path: &str) -> String {
    format!("{PUBLIC_URL}{path}")
}

// ---- health and authentication ---------------------------------------------

#[tokio::test]
async fn healthz_answers_ok() {
    let s = TestServer::start().await;
    let res = s.send(Req::get("/healthz")).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.text(), "ok");
}

#[tokio::test]
async fn login_returns_token_envelope_and_cookie() {
    let s = TestServer::start().await;
    let res = s
        .send(Req::post("/api/2.0/authentication").json(json!({"userName": OWNER_EMAIL, "password": OWNER_PASSWORD})))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.content_type(), "application/json; charset=utf-8");
    let mut v = res.json();
    let token = v["response"]["token"].as_str().unwrap().to_string();
    let expires = v["response"]["expires"].as_str().unwrap().to_string();
    assert!(token.len() >= 40, "token {token}");
    assert!(expires.ends_with('Z') && expires.starts_with("20"), "expires {expires}");
    scrub(&mut v, &[(&token, "<token>"), (&expires, "<expires>")]);
    assert_json_exact(
        &v,
        &json!({
            "response": {"token": "<token>", "expires": "<expires>", "sms": false, "tfa": false},
            "count": 1,
            "links": [{"href": my_href("/api/2.0/authentication"), "action": "POST"}],
            "status": 0,
            "statusCode": 200
        }),
    );
    // The same token is set as the session cookie, HttpOnly.
    let cookie = res.set_cookies().into_iter().find(|c| c.starts_with("asc_auth_key=")).expect("auth cookie");
    assert!(cookie.starts_with(&format!("asc_auth_key={token};")), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");

    // The token works as a bearer token, raw, and as the cookie.
    for req in [
        Req::get("/api/2.0/people/@self").auth(&token),
        Req::get("/api/2.0/people/@self").header("authorization", token.clone()),
        Req::get("/api/2.0/people/@self").cookie(&format!("asc_auth_key={token}")),
    ] {
        let res = s.send(req).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["response"]["email"], OWNER_EMAIL);
    }
    // `GET authentication` says whether the caller is signed in.
    assert_eq!(s.send(Req::get("/api/2.0/authentication").auth(&token)).await.json()["response"], true);
    assert_eq!(s.send(Req::get("/api/2.0/authentication")).await.json()["response"], false);
}

#[tokio::test]
async fn login_with_email_in_other_case_and_basic_auth() {
    let s = TestServer::start().await;
    let token = s.login(&OWNER_EMAIL.to_uppercase(), OWNER_PASSWORD).await;
    assert!(!token.is_empty());
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{OWNER_EMAIL}:{OWNER_PASSWORD}"));
    let res = s.send(Req::get("/api/2.0/people/@self").header("authorization", format!("Basic {basic}"))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let wrong = base64::engine::general_purpose::STANDARD.encode(format!("{OWNER_EMAIL}:nope"));
    s.send(Req::get("/api/2.0/people/@self").header("authorization", format!("Basic {wrong}"))).await.assert_empty(401);
}

#[tokio::test]
async fn wrong_password_is_401_with_json_message() {
    let s = TestServer::start().await;
    for (user, pw) in [(OWNER_EMAIL, "wrong-password"), ("nobody@example.com", OWNER_PASSWORD)] {
        let res = s.send(Req::post("/api/2.0/authentication").json(json!({"userName": user, "password": pw}))).await;
        assert_eq!(res.status, 401);
        assert_json_exact(
            &res.json(),
            &json!({"error": {"message": "User authentication failed", "type": null, "stack": null, "hresult": 0},
                    "status": 1, "statusCode": 401}),
        );
        assert!(res.cookie_pair("asc_auth_key").is_none());
    }
}

#[tokio::test]
async fn repeated_wrong_passwords_are_throttled_with_429() {
    let s = TestServer::start().await;
    let attempt = |pw: &str, ip: &str| {
        Req::post("/api/2.0/authentication").json(json!({"userName": OWNER_EMAIL, "password": pw})).peer(ip)
    };
    for i in 0..5 {
        let res = s.send(attempt("wrong-password", "203.0.113.7")).await;
        assert_eq!(res.status, 401, "attempt {i}");
    }
    // Locked out: even the right password gets 429, empty, with Retry-After.
    let res = s.send(attempt(OWNER_PASSWORD, "203.0.113.7")).await;
    res.assert_empty(429);
    let retry: u64 = res.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=3600).contains(&retry));
    // The limit is per client IP: another address still signs in.
    let res = s.send(attempt(OWNER_PASSWORD, "198.51.100.9")).await;
    assert_eq!(res.status, 200, "{}", res.text());
}

#[tokio::test]
async fn protected_routes_need_credentials_and_answer_401_empty() {
    let s = TestServer::start().await;
    for req in [
        Req::get("/api/2.0/people/@self"),
        Req::get("/api/2.0/files/@my"),
        Req::get("/api/2.0/keys"),
        Req::post("/api/2.0/keys").json(json!({"name": "x"})),
        Req::put("/api/2.0/files/file/1/links").json(json!({"access": 2})),
        Req::get("/api/2.0/files/@my").auth("not-a-session-token"),
        Req::get("/api/2.0/files/@my").auth("sk-0000000000000000000000000000000000000000000000000000000000000000"),
        Req::get("/api/2.0/files/@my").cookie("asc_auth_key=forged"),
    ] {
        let path = req.path.clone();
        let res = s.send(req).await;
        res.assert_empty(401);
        assert!(res.header("www-authenticate").is_none(), "{path}");
    }
}

// ---- API keys ---------------------------------------------------------------

#[tokio::test]
async fn api_key_lifecycle() {
    let s = TestServer::start().await;
    let owner = s.owner().await;

    let res = s
        .send(
            Req::post("/api/2.0/keys").auth(&owner).json(json!({"name": "ci", "permissions": [], "expiresInDays": 30})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let mut created = res.json();
    let dto = created["response"].clone();
    let key = dto["key"].as_str().unwrap().to_string();
    let key_id = dto["id"].as_str().unwrap().to_string();
    let user_id = dto["createBy"]["id"].as_str().unwrap().to_string();
    assert!(key.starts_with("sk-") && key.len() == 67, "{key}");
    assert!(key[3..].chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{key}");
    let postfix = key[key.len() - 4..].to_string();
    scrub(&mut created, &[(&key, "<key>"), (&key_id, "<key-id>"), (&user_id, "<user-id>")]);
    let avatar = "/static/images/default_user_photo_size_82-82.png";
    let created_by = json!({
        "id": "<user-id>", "displayName": "Owner", "avatar": avatar, "avatarOriginal": avatar, "avatarMax": avatar,
        "avatarMedium": avatar, "avatarSmall": avatar,
        "profileUrl": my_href("/accounts/people/filter?search=Owner"), "hasAvatar": false, "isAnonim": false
    });
    assert_json_exact(
        &created,
        &json!({
            "response": {
                "id": "<key-id>", "name": "ci", "key": "<key>", "keyPostfix": postfix, "permissions": [],
                "createOn": "<date>", "createBy": created_by, "expiresAt": "<date>", "isActive": true
            },
            "count": 1,
            "links": [{"href": my_href("/api/2.0/keys"), "action": "POST"}],
            "status": 0,
            "statusCode": 200
        }),
    );

    // The list shows the key masked, never in full.
    let res = s.send(Req::get("/api/2.0/keys").auth(&owner)).await;
    assert_eq!(res.status, 200);
    assert!(!res.text().contains(&key), "the full key leaked into the list");
    let list = res.json();
    assert_eq!(list["count"], 1);
    assert_eq!(list["response"][0]["key"], format!("sk-***{postfix}"));
    assert_eq!(list["response"][0]["keyPostfix"], postfix.as_str());
    assert_eq!(list["response"][0]["isActive"], true);

    // The key authenticates as its creator; @self describes it, masked.
    let res = s.send(Req::get("/api/2.0/keys/@self").auth(&key)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let me = res.json();
    assert_eq!(me["response"]["id"], key_id.as_str());
    assert_eq!(me["response"]["key"], format!("sk-***{postfix}"));
    assert!(me["response"]["lastUsed"].is_string(), "lastUsed after use: {me}");
    assert_eq!(s.send(Req::get("/api/2.0/people/@self").auth(&key)).await.json()["response"]["email"], OWNER_EMAIL);
    // @self without a key is a 404 in the envelope.
    s.send(Req::get("/api/2.0/keys/@self").auth(&owner)).await.assert_error(404);

    let res = s.send(Req::get("/api/2.0/keys/permissions").auth(&owner)).await;
    assert_eq!(res.status, 200);
    let perms = res.json()["response"].clone();
    for p in ["*", "files:read", "files:write", "accounts.self:read", "accounts:write"] {
        assert!(perms.as_array().unwrap().iter().any(|x| x == p), "{p} missing from {perms}");
    }

    // Delete: true, then the key is anonymous and gets 401 with an empty body.
    let res = s.send(Req::delete(&format!("/api/2.0/keys/{key_id}")).auth(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["response"], true);
    s.send(Req::get("/api/2.0/files/@my").auth(&key)).await.assert_empty(401);
    s.send(Req::get("/api/2.0/keys/@self").auth(&key)).await.assert_empty(401);
    s.send(Req::delete(&format!("/api/2.0/keys/{key_id}")).auth(&owner)).await.assert_error(404);
    assert_eq!(s.send(Req::get("/api/2.0/keys").auth(&owner)).await.json()["count"], 0);
}

#[tokio::test]
async fn expired_api_key_is_anonymous() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let (key, dto) = s.api_key(&owner, &[]).await;
    assert_eq!(s.send(Req::get("/api/2.0/files/@my").auth(&key)).await.status, 200);
    let past = now_micros() - 1_000_000;
    let db = s.raw_db().await;
    sqlx::query("UPDATE api_keys SET expires = $1 WHERE id = $2")
        .bind(past)
        .bind(dto["id"].as_str().unwrap().to_string())
        .execute(db.pool())
        .await
        .unwrap();
    s.send(Req::get("/api/2.0/files/@my").auth(&key)).await.assert_empty(401);
    s.send(Req::get("/api/2.0/people/@self").auth(&key)).await.assert_empty(401);
    // A deactivated key too.
    let (key2, dto2) = s.api_key(&owner, &[]).await;
    s.sql("UPDATE api_keys SET is_active = 0 WHERE id = $1", &[dto2["id"].as_str().unwrap()]).await;
    s.send(Req::get("/api/2.0/files/@my").auth(&key2)).await.assert_empty(401);
}

#[tokio::test]
async fn api_keys_belong_to_their_creator() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let (owner_key, owner_dto) = s.api_key(&owner, &[]).await;
    let user = s.user("user@example.com", "User").await;
    let (user_key, user_dto) = s.api_key(&user, &["files:read"]).await;
    // A user sees only their own keys; the owner (an admin) sees all.
    let mine = s.send(Req::get("/api/2.0/keys").auth(&user)).await.json();
    assert_eq!(mine["count"], 1);
    assert_eq!(mine["response"][0]["id"], user_dto["id"]);
    assert_eq!(s.send(Req::get("/api/2.0/keys").auth(&owner)).await.json()["count"], 2);
    // A key acts as its creator.
    let me = s.send(Req::get("/api/2.0/files/@my").auth(&user_key)).await.json();
    let user_root = s.send(Req::get("/api/2.0/files/@my").auth(&user)).await.json();
    assert_eq!(me["response"]["current"]["id"], user_root["response"]["current"]["id"]);
    // Deleting someone else's key answers false (DocSpace) and the key keeps working.
    let res = s.send(Req::delete(&format!("/api/2.0/keys/{}", owner_dto["id"].as_str().unwrap())).auth(&user)).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["response"], false);
    assert_eq!(s.send(Req::get("/api/2.0/people/@self").auth(&owner_key)).await.status, 200);
    // Guests may not create keys.
    let guest = s.user("guest@example.com", "Guest").await;
    s.send(Req::post("/api/2.0/keys").auth(&guest).json(json!({"name": "g"}))).await.assert_error(403);
}

#[tokio::test]
async fn api_key_validation() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    for body in [
        json!({}),
        json!({"name": ""}),
        json!({"name": "x".repeat(31)}),
        json!({"name": "k", "permissions": ["files:delete"]}),
        json!({"name": "k", "permissions": "files:read"}),
        json!({"name": "k", "expiresInDays": 0}),
        json!({"name": "k", "expiresInDays": "soon"}),
    ] {
        let res = s.send(Req::post("/api/2.0/keys").auth(&owner).json(body.clone())).await;
        res.assert_error(400);
    }
    // "*" means full access and is stored as the empty list.
    let (_, dto) = s.api_key(&owner, &["*"]).await;
    assert_eq!(dto["permissions"], json!([]));
}

#[tokio::test]
async fn api_key_scopes_limit_what_a_key_may_do() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let file_id = s.upload_id(&owner, "scoped.txt", b"scoped").await;
    let (read_key, _) = s.api_key(&owner, &["files:read"]).await;

    let res = s.send(Req::get("/api/2.0/files/@my").auth(&read_key)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(s.send(Req::get(&format!("/api/2.0/files/file/{file_id}")).auth(&read_key)).await.status, 200);
    assert_eq!(s.send(Req::get(&format!("/api/2.0/files/file/{file_id}/links")).auth(&read_key)).await.status, 200);
    // Writes are refused before the handler runs: no link appears.
    let res = s
        .send(Req::put(&format!("/api/2.0/files/file/{file_id}/links")).auth(&read_key).json(json!({"access": "Read"})))
        .await;
    res.assert_error(403);
    s.send(Req::post(&format!("/api/2.0/files/file/{file_id}/link")).auth(&read_key).json(json!({})))
        .await
        .assert_error(403);
    s.send(Req::delete(&format!("/api/2.0/files/file/{file_id}")).auth(&read_key)).await.assert_error(403);
    s.send(Req::get("/api/2.0/people/@self").auth(&read_key)).await.assert_error(403);
    s.send(Req::post("/api/2.0/keys").auth(&read_key).json(json!({"name": "escalate"}))).await.assert_error(403);
    // keys/@self needs no scope.
    assert_eq!(s.send(Req::get("/api/2.0/keys/@self").auth(&read_key)).await.status, 200);
    let (links, total) = s.store().entry_links(spacelinks_core::Entry::File(file_id), 0, 100).await.unwrap();
    assert!(links.is_empty() && total == 0, "a read-only key created a link");
    // Downloads outside the API need no scope (as in DocSpace), but replacing
    // the content is a write, through the API or the share page's form.
    let res = s.send(Req::get(&format!("/filehandler.ashx?action=download&fileid={file_id}")).auth(&read_key)).await;
    assert_eq!((res.status, res.body.as_slice()), (200, &b"scoped"[..]));
    let update = Req::put(&format!("/api/2.0/files/{file_id}/update")).auth(&read_key).multipart(
        "file",
        "x.txt",
        b"overwritten",
    );
    s.send(update).await.assert_error(403);
    let form = Req::post(&format!("/share/upload?fileid={file_id}")).auth(&read_key).multipart(
        "file",
        "x.txt",
        b"overwritten",
    );
    s.send(form).await.assert_error(403);
    let stored = s.store().file(file_id).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.size), (1, 6), "a read-only key replaced the content");

    let (write_key, _) = s.api_key(&owner, &["files:write"]).await;
    let link = s.put_link(&write_key, file_id, json!({"access": "Read"})).await;
    assert_eq!(link["access"], 2);
    let (self_key, _) = s.api_key(&owner, &["accounts.self:read"]).await;
    assert_eq!(s.send(Req::get("/api/2.0/people/@self").auth(&self_key)).await.status, 200);
    s.send(Req::get("/api/2.0/files/@my").auth(&self_key)).await.assert_error(403);
}

// ---- people -----------------------------------------------------------------

#[tokio::test]
async fn people_self_describes_the_owner() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let res = s.send(Req::get("/api/2.0/people/@self").auth(&owner)).await;
    assert_eq!(res.status, 200);
    let mut v = res.json();
    let id = v["response"]["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 36);
    scrub(&mut v, &[(&id, "<user-id>")]);
    let avatar = "/static/images/default_user_photo_size_82-82.png";
    assert_json_exact(
        &v,
        &json!({
            "response": {
                "id": "<user-id>", "displayName": "Owner", "avatar": avatar, "avatarOriginal": avatar,
                "avatarMax": avatar, "avatarMedium": avatar, "avatarSmall": avatar,
                "profileUrl": my_href("/accounts/people/filter?search=Owner"), "hasAvatar": false, "isAnonim": false,
                "firstName": "Owner", "lastName": "", "userName": OWNER_EMAIL, "email": OWNER_EMAIL,
                "status": 1, "activationStatus": 1, "department": "",
                "isAdmin": false, "isRoomAdmin": false, "isLDAP": false, "isOwner": true, "isVisitor": false,
                "isCollaborator": false, "isSSO": false, "mobilePhoneActivationStatus": 0,
                "registrationDate": "<date>", "hasPersonalFolder": true, "loginEventId": 0, "theme": "Base"
            },
            "count": 1,
            "links": [{"href": my_href("/api/2.0/people/@self"), "action": "GET"}],
            "status": 0,
            "statusCode": 200
        }),
    );
}

#[tokio::test]
async fn people_create_follows_the_type_rules() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let create = |token: &str, email: &str, kind: &str| {
        Req::post("/api/2.0/people")
            .auth(token)
            .json(json!({"email": email, "firstName": "A", "lastName": "B", "type": kind, "password": "pass-word-1"}))
    };
    // The owner may create a DocSpace admin.
    let res = s.send(create(&owner, "admin@example.com", "DocSpaceAdmin")).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let admin = res.json()["response"].clone();
    assert_eq!(admin["email"], "admin@example.com");
    assert_eq!(admin["isAdmin"], true);
    assert_eq!(admin["isOwner"], false);
    assert_eq!(admin["displayName"], "A B");
    let admin_token = s.login("admin@example.com", "pass-word-1").await;

    // An admin creates users but not admins.
    let res = s.send(create(&admin_token, "user@example.com", "User")).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["response"]["isCollaborator"], true);
    assert_eq!(
        s.send(create(&admin_token, "admin2@example.com", "DocSpaceAdmin")).await.assert_error(403),
        "Access denied"
    );

    // A User creates nobody.
    let user_token = s.login("user@example.com", "pass-word-1").await;
    for kind in ["User", "Guest", "RoomAdmin", "DocSpaceAdmin"] {
        let res = s.send(create(&user_token, &format!("{kind}@x.example"), kind)).await;
        assert_eq!(res.assert_error(403), "Access denied");
    }
    assert!(s.store().user_by_email("User@x.example").await.unwrap().is_none());

    // Validation: bad e-mail, duplicate, unknown type, short password; anonymous → 401.
    s.send(create(&owner, "not-an-email", "User")).await.assert_error(400);
    s.send(create(&owner, "USER@example.com", "User")).await.assert_error(400);
    s.send(create(&owner, "new@example.com", "Emperor")).await.assert_error(400);
    s.send(Req::post("/api/2.0/people").auth(&owner).json(json!({"email": "p@example.com", "password": "short"})))
        .await
        .assert_error(400);
    s.send(Req::post("/api/2.0/people").json(json!({"email": "anon@example.com"}))).await.assert_empty(401);
}

// ---- files and folders ------------------------------------------------------

#[tokio::test]
async fn create_files_and_folders() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let my = s.send(Req::get("/api/2.0/files/@my").auth(&owner)).await.json();
    let my_id = my["response"]["current"]["id"].as_i64().unwrap();
    assert_eq!(my["response"]["current"]["title"], "My documents");

    // A title without an extension gets .docx.
    let res = s.send(Req::post("/api/2.0/files/@my/file").auth(&owner).json(json!({"title": "Report"}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let file = res.json()["response"].clone();
    assert_eq!(file["title"], "Report.docx");
    assert_eq!(file["fileExst"], ".docx");
    assert_eq!(file["fileType"], 7);
    assert_eq!(file["folderId"], my_id);
    assert_eq!(file["contentLength"], "0 bytes");
    assert_eq!(file["version"], 1);
    assert_eq!(file["canShare"], true);
    assert_eq!(file["security"]["Edit"], true);
    assert_eq!(file["access"], 0);
    // DocSpace makes a text title an editor document (issue 15).
    let res = s.send(Req::post("/api/2.0/files/@my/file").auth(&owner).json(json!({"title": "notes.txt"}))).await;
    assert_eq!(res.json()["response"]["title"], "notes.docx");

    // A subfolder, and a file in it.
    let res =
        s.send(Req::post(&format!("/api/2.0/files/folder/{my_id}")).auth(&owner).json(json!({"title": "Sub"}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let sub = res.json()["response"].clone();
    let sub_id = sub["id"].as_i64().unwrap();
    assert_eq!(sub["title"], "Sub");
    assert_eq!(sub["parentId"], my_id);
    assert_eq!(sub["fileEntryType"], 1);
    let res =
        s.send(Req::post(&format!("/api/2.0/files/{sub_id}/file")).auth(&owner).json(json!({"title": "Inner"}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["response"]["folderId"], sub_id);

    let res = s.send(Req::get(&format!("/api/2.0/files/folder/{sub_id}")).auth(&owner)).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["response"]["filesCount"], 1);
    let res = s.send(Req::get(&format!("/api/2.0/files/{sub_id}")).auth(&owner)).await;
    let content = res.json()["response"].clone();
    assert_eq!(
        content["pathParts"],
        json!([{"id": my_id, "title": "My documents", "folderType": 5},
                                            {"id": sub_id, "title": "Sub", "folderType": 5}])
    );
    assert_eq!(content["files"][0]["title"], "Inner.docx");

    // Titles: required, at most 165 characters, no slashes.
    for body in [
        json!({}),
        json!({"title": ""}),
        json!({"title": "a/b"}),
        json!({"title": "x".repeat(166)}),
        json!({"title": ["x"]}),
    ] {
        s.send(Req::post("/api/2.0/files/@my/file").auth(&owner).json(body.clone())).await.assert_error(400);
        s.send(Req::post(&format!("/api/2.0/files/folder/{my_id}")).auth(&owner).json(body)).await.assert_error(400);
    }
    // Another user's folders are not ours to write into.
    let other = s.user("other@example.com", "User").await;
    let msg = s
        .send(Req::post(&format!("/api/2.0/files/{sub_id}/file")).auth(&other).json(json!({"title": "intruder"})))
        .await
        .assert_error(403);
    assert!(msg.contains("permission"), "{msg}");
    s.send(Req::get(&format!("/api/2.0/files/{sub_id}")).auth(&other)).await.assert_error(403);
    s.send(Req::get("/api/2.0/files/999999").auth(&owner)).await.assert_error(404);
}

#[tokio::test]
async fn upload_accepts_file_and_file_parts() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    for (field, name) in [("File", "upper.txt"), ("file", "lower.txt"), ("FILE", "any-case.txt")] {
        let res =
            s.send(Req::post("/api/2.0/files/@my/upload").auth(&owner).multipart(field, name, b"hello world")).await;
        assert_eq!(res.status, 200, "{field}: {}", res.text());
        let v = res.json();
        assert_eq!(v["count"], 1);
        let files = v["response"].as_array().expect("a one-element list");
        assert_eq!(files.len(), 1);
        assert_eq!(files[0]["title"], name);
        assert_eq!(files[0]["pureContentLength"], 11);
        assert_eq!(files[0]["contentLength"], "11 bytes");
    }
    // Into a folder by id; a browser's full path is cut to the base name.
    let my_id =
        s.send(Req::get("/api/2.0/files/@my").auth(&owner)).await.json()["response"]["current"]["id"].as_i64().unwrap();
    let res = s
        .send(Req::post(&format!("/api/2.0/files/{my_id}/upload")).auth(&owner).multipart(
            "file",
            "C:\\Users\\me\\doc.pdf",
            b"%PDF",
        ))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["response"][0]["title"], "doc.pdf");
    assert_eq!(res.json()["response"][0]["fileType"], 10);

    // No part called "file", or not multipart at all: 400 in the envelope.
    s.send(Req::post("/api/2.0/files/@my/upload").auth(&owner).multipart("attachment", "a.txt", b"x"))
        .await
        .assert_error(400);
    s.send(Req::post("/api/2.0/files/@my/upload").auth(&owner).json(json!({"file": "a.txt"}))).await.assert_error(400);
    s.send(Req::post("/api/2.0/files/@my/upload").auth(&owner).body("multipart/form-data; boundary=zzz", "garbage"))
        .await
        .assert_error(400);
    s.send(Req::post("/api/2.0/files/@my/upload").multipart("file", "a.txt", b"x")).await.assert_empty(401);
}

#[tokio::test]
async fn upload_over_the_size_limit_is_413_json() {
    let s = TestServer::start_with(|c| c.max_upload_bytes = 1000).await;
    let owner = s.owner().await;
    // Just over the limit (inside the request body allowance).
    let res =
        s.send(Req::post("/api/2.0/files/@my/upload").auth(&owner).multipart("file", "big.bin", &[7u8; 1001])).await;
    let msg = res.assert_error(413);
    assert!(msg.contains("1000"), "{msg}");
    // Far over the limit: the body itself is cut off.
    let res = s
        .send(Req::post("/api/2.0/files/@my/upload").auth(&owner).multipart("file", "huge.bin", &[7u8; 200_000]))
        .await;
    res.assert_error(413);
    // At the limit it is fine, and nothing of the failed uploads was kept.
    let res =
        s.send(Req::post("/api/2.0/files/@my/upload").auth(&owner).multipart("file", "ok.bin", &[7u8; 1000])).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let my = s.send(Req::get("/api/2.0/files/@my").auth(&owner)).await.json();
    assert_eq!(my["response"]["total"], 1, "{my}");
    // A JSON body over the request limit is 413 too.
    let res = s
        .send(
            Req::post("/api/2.0/files/@my/file")
                .auth(&owner)
                .body("application/json", format!("{{\"title\":\"{}\"}}", "x".repeat(200_000))),
        )
        .await;
    res.assert_error(413);
}

#[tokio::test]
async fn folder_contents_paging() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let my = s.send(Req::get("/api/2.0/files/@my").auth(&owner)).await.json();
    let my_id = my["response"]["current"]["id"].as_i64().unwrap();
    assert_eq!(my["response"]["total"], 0);
    assert_eq!(my["response"]["files"], json!([]));
    s.send(Req::post(&format!("/api/2.0/files/folder/{my_id}")).auth(&owner).json(json!({"title": "Zeta folder"})))
        .await;
    for name in ["c.txt", "a.txt", "b.txt"] {
        s.upload(&owner, name, name.as_bytes()).await;
    }
    let page = |q: &str| Req::get(&format!("/api/2.0/files/@my{q}")).auth(&owner);

    let v = s.send(page("")).await.json();
    let r = &v["response"];
    assert_eq!((r["count"].clone(), r["total"].clone(), r["startIndex"].clone()), (json!(4), json!(4), json!(0)));
    assert_eq!(v["count"], 1, "folder contents are one object in the envelope");
    assert_eq!(r["folders"][0]["title"], "Zeta folder", "folders come first");
    let titles: Vec<&str> = r["files"].as_array().unwrap().iter().map(|f| f["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["a.txt", "b.txt", "c.txt"]);
    assert_eq!(r["current"]["filesCount"], 3);
    assert_eq!(r["current"]["foldersCount"], 1);

    // startIndex=1&count=2 skips the folder and returns two files.
    let v = s.send(page("?startIndex=1&count=2")).await.json();
    let r = &v["response"];
    assert_eq!(r["folders"], json!([]));
    let titles: Vec<&str> = r["files"].as_array().unwrap().iter().map(|f| f["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["a.txt", "b.txt"]);
    assert_eq!((r["count"].clone(), r["total"].clone(), r["startIndex"].clone()), (json!(2), json!(4), json!(1)));
    assert_eq!(v["links"][0]["href"], my_href("/api/2.0/files/@my?startIndex=1&count=2"));
    // Past the end: empty page, same total.
    let v = s.send(page("?startIndex=10")).await.json();
    assert_eq!(v["response"]["count"], 0);
    assert_eq!(v["response"]["total"], 4);
    // Count outside 1..=100, or not a number, is 400 in the envelope.
    for q in ["?count=0", "?count=101", "?count=-1", "?count=ten", "?startIndex=x"] {
        let msg = s.send(page(q)).await.assert_error(400);
        if q.starts_with("?count=") && q != "?count=ten" {
            assert_eq!(msg, "The field Count must be between 1 and 100.");
        }
    }
    assert_eq!(s.send(page("?count=100")).await.status, 200);
    assert_eq!(s.send(page("?count=1")).await.json()["response"]["count"], 1);
}

#[tokio::test]
async fn file_info_and_delete() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let id = s.upload_id(&owner, "info.txt", b"0123456789").await;
    let res = s.send(Req::get(&format!("/api/2.0/files/file/{id}")).auth(&owner)).await;
    assert_eq!(res.status, 200);
    let v = res.json();
    assert_eq!(v["count"], 1);
    assert_eq!(v["links"], json!([{"href": my_href(&format!("/api/2.0/files/file/{id}")), "action": "GET"}]));
    let f = &v["response"];
    assert_eq!(f["id"], id);
    assert_eq!(f["title"], "info.txt");
    assert_eq!(f["pureContentLength"], 10);
    assert_eq!(f["viewUrl"], my_href(&format!("/filehandler.ashx?action=download&fileid={id}")));
    assert_eq!(f["rootFolderType"], 5);
    assert_eq!(f["shared"], false);
    assert!(is_api_date(f["created"].as_str().unwrap()));
    assert!(f["createdBy"]["id"].is_string());
    // The SDK is strict: ids and sizes are numbers, contentLength a string, flags booleans.
    assert!(f["id"].is_i64() && f["folderId"].is_i64() && f["contentLength"].is_string());
    assert!(f["security"].as_object().unwrap().values().all(Value::is_boolean));

    // Someone else, and anonymous callers, get 403; the file stays.
    let other = s.user("other@example.com", "User").await;
    let msg = s.send(Req::get(&format!("/api/2.0/files/file/{id}")).auth(&other)).await.assert_error(403);
    assert_eq!(msg, "You don't have enough permission to view the file");
    s.send(Req::get(&format!("/api/2.0/files/file/{id}"))).await.assert_error(403);
    s.send(Req::delete(&format!("/api/2.0/files/file/{id}")).auth(&other)).await.assert_error(403);
    s.send(Req::delete(&format!("/api/2.0/files/file/{id}"))).await.assert_empty(401);

    // Delete with or without the SDK's body.
    let res = s
        .send(
            Req::delete(&format!("/api/2.0/files/file/{id}"))
                .auth(&owner)
                .json(json!({"deleteAfter": false, "immediately": true})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let mut v = res.json();
    let op_id = v["response"][0]["id"].as_str().unwrap().to_string();
    scrub(&mut v, &[(&op_id, "<op-id>")]);
    assert_json_exact(
        &v,
        &json!({
            "response": [{"id": "<op-id>", "Operation": 2, "progress": 100, "error": null, "processed": "1", "finished": true, "status": 2}],
            "count": 1,
            "links": [{"href": my_href(&format!("/api/2.0/files/file/{id}")), "action": "DELETE"}],
            "status": 0,
            "statusCode": 200
        }),
    );
    let res = s.send(Req::get(&format!("/api/2.0/files/file/{id}")).auth(&owner)).await;
    assert_json_exact(
        &res.json(),
        &json!({"error": {"message": "The required file was not found", "type": "ASC.Common.Web.ItemNotFoundException",
                          "stack": null, "hresult": -2146233088}, "status": 1, "statusCode": 404}),
    );
    s.send(Req::delete(&format!("/api/2.0/files/file/{id}")).auth(&owner)).await.assert_error(404);
    let id2 = s.upload_id(&owner, "second.txt", b"x").await;
    assert_eq!(s.send(Req::delete(&format!("/api/2.0/files/file/{id2}")).auth(&owner)).await.status, 200);
}

// ---- downloads --------------------------------------------------------------

fn download(id: i64) -> Req {
    Req::get(&format!("/filehandler.ashx?action=download&fileid={id}"))
}

#[tokio::test]
async fn download_whole_file_and_ranges() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let content = b"0123456789abcdefghij"; // 20 bytes
    let id = s.upload_id(&owner, "range.bin", content).await;

    let res = s.send(download(id).auth(&owner)).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body, content);
    assert_eq!(res.header("content-length").as_deref(), Some("20"));
    assert_eq!(res.header("accept-ranges").as_deref(), Some("bytes"));
    assert_eq!(
        res.header("content-disposition").unwrap(),
        "attachment; filename=\"range.bin\"; filename*=UTF-8''range%2Ebin"
    );
    assert_eq!(res.header("x-content-type-options").as_deref(), Some("nosniff"));

    let res = s.send(download(id).auth(&owner).header("range", "bytes=2-5")).await;
    assert_eq!(res.status, 206);
    assert_eq!(res.body, b"2345");
    assert_eq!(res.header("content-range").as_deref(), Some("bytes 2-5/20"));
    assert_eq!(res.header("content-length").as_deref(), Some("4"));

    let res = s.send(download(id).auth(&owner).header("range", "bytes=15-")).await;
    assert_eq!((res.status, res.body.as_slice()), (206, &b"fghij"[..]));
    assert_eq!(res.header("content-range").as_deref(), Some("bytes 15-19/20"));

    // A suffix range: the last 3 bytes.
    let res = s.send(download(id).auth(&owner).header("range", "bytes=-3")).await;
    assert_eq!((res.status, res.body.as_slice()), (206, &b"hij"[..]));
    assert_eq!(res.header("content-range").as_deref(), Some("bytes 17-19/20"));

    // An end past the size is clamped.
    let res = s.send(download(id).auth(&owner).header("range", "bytes=18-1000")).await;
    assert_eq!((res.status, res.body.as_slice()), (206, &b"ij"[..]));

    for bad in ["bytes=20-", "bytes=30-40", "bytes=5-2", "bytes=-0", "bytes=abc", "items=0-1"] {
        let res = s.send(download(id).auth(&owner).header("range", bad)).await;
        res.assert_error(416);
        assert_eq!(res.header("content-range").as_deref(), Some("bytes */20"), "{bad}");
    }
    // `view` of a plain binary is an attachment, never rendered inline.
    let res = s.send(Req::get(&format!("/filehandler.ashx?action=view&fileid={id}")).auth(&owner)).await;
    assert_eq!(res.status, 200);
    assert!(res.header("content-disposition").unwrap().starts_with("attachment;"));
}

#[tokio::test]
async fn download_content_disposition_for_non_ascii_names() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let id = s.upload_id(&owner, "отчёт 2026.txt", b"privet").await;
    let res = s.send(download(id).auth(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.body, b"privet");
    let cd = res.header("content-disposition").unwrap();
    assert_eq!(
        cd,
        "attachment; filename=\"_____ 2026.txt\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%202026%2Etxt"
    );
    assert_eq!(res.header("content-type").as_deref(), Some("text/plain"));
    // Inline only for types that are safe to render.
    let res = s.send(Req::get(&format!("/filehandler.ashx?action=view&fileid={id}")).auth(&owner)).await;
    assert!(res.header("content-disposition").unwrap().starts_with("inline;"));
    let html = s.upload_id(&owner, "page.html", b"<script>alert(1)</script>").await;
    let res = s.send(Req::get(&format!("/filehandler.ashx?action=view&fileid={html}")).auth(&owner)).await;
    assert_eq!(res.header("content-type").as_deref(), Some("text/plain"));
    let svg = s.upload_id(&owner, "x.svg", b"<svg/>").await;
    let res = s.send(Req::get(&format!("/filehandler.ashx?action=view&fileid={svg}")).auth(&owner)).await;
    assert!(res.header("content-disposition").unwrap().starts_with("attachment;"), "SVG must not render inline");
}

#[tokio::test]
async fn download_errors_are_json() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let id = s.upload_id(&owner, "d.txt", b"data").await;
    s.send(Req::get("/filehandler.ashx").auth(&owner)).await.assert_error(400);
    s.send(Req::get(&format!("/filehandler.ashx?action=explode&fileid={id}")).auth(&owner)).await.assert_error(400);
    s.send(download(999_999).auth(&owner)).await.assert_error(404);
    s.send(Req::get("/filehandler.ashx?action=download&fileid=abc").auth(&owner)).await.assert_error(404);
    s.send(download(id)).await.assert_error(403);
    let other = s.user("other@example.com", "User").await;
    let res = s.send(download(id).auth(&other)).await;
    res.assert_error(403);
    assert!(!res.text().contains("data"));
}

// ---- malformed requests: always the JSON envelope, never 500 ----------------

#[tokio::test]
async fn malformed_requests_get_json_errors_never_500() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let id = s.upload_id(&owner, "m.docx", b"doc").await;
    let links = format!("/api/2.0/files/file/{id}/links");

    let cases: Vec<(Req, u16)> = vec![
        // Malformed JSON and wrong shapes.
        (Req::put(&links).auth(&owner).body("application/json", "{bad json"), 400),
        (Req::put(&links).auth(&owner).body("application/json", "[1,2]"), 400),
        (Req::put(&links).auth(&owner).body("application/json", "\"text\""), 400),
        (Req::put(&links).auth(&owner).body("text/plain", "access=2"), 400),
        (Req::post("/api/2.0/authentication").body("application/json", "{"), 400),
        (Req::post("/api/2.0/authentication").json(json!({"userName": ["a"], "password": "x"})), 400),
        // Wrong types.
        (Req::put(&links).auth(&owner).json(json!({"access": true})), 400),
        (Req::put(&links).auth(&owner).json(json!({"access": "Read", "internal": "yes"})), 400),
        (Req::put(&links).auth(&owner).json(json!({"access": "Read", "denyDownload": 1})), 400),
        (Req::put(&links).auth(&owner).json(json!({"access": "Read", "title": {"a": 1}})), 400),
        (Req::put(&links).auth(&owner).json(json!({"access": "Read", "password": ["x"]})), 400),
        (Req::put(&links).auth(&owner).json(json!({"access": "Read", "expirationDate": 12345})), 400),
        (Req::put(&links).auth(&owner).json(json!({"access": "Read", "expirationDate": "someday"})), 400),
        (Req::put(&links).auth(&owner).json(json!({"linkId": "not-a-guid", "access": 2})), 400),
        (Req::put(&links).auth(&owner).json(json!({"linkId": 42, "access": 2})), 400),
        (Req::post("/api/2.0/keys").auth(&owner).json(json!({"name": "k", "expiresInDays": [1]})), 400),
        (Req::post("/api/2.0/files/@my/file").auth(&owner).json(json!({"title": null})), 400),
        (Req::get(&format!("{links}?count=abc")).auth(&owner), 400),
        (Req::get(&format!("{links}?count=0")).auth(&owner), 400),
        // Unknown ids.
        (Req::get("/api/2.0/files/file/999999").auth(&owner), 404),
        (Req::get("/api/2.0/files/file/abc").auth(&owner), 404),
        (Req::get("/api/2.0/files/file/-1").auth(&owner), 404),
        (Req::get("/api/2.0/files/file/99999999999999999999999").auth(&owner), 404),
        (Req::get("/api/2.0/files/999999").auth(&owner), 404),
        (Req::get("/api/2.0/files/folder/abc").auth(&owner), 404),
        (Req::put("/api/2.0/files/file/999999/links").auth(&owner).json(json!({"access": 2})), 404),
        (Req::get("/api/2.0/files/file/999999/links").auth(&owner), 404),
        (Req::delete("/api/2.0/keys/00000000-0000-0000-0000-000000000000").auth(&owner), 404),
        // Undecodable path parameters.
        (Req::get("/api/2.0/files/share/%FF%FE"), 400),
        (Req::get("/api/2.0/files/file/%FF").auth(&owner), 400),
        // Unknown routes.
        (Req::get("/nope"), 404),
        (Req::get("/api/2.0/nope").auth(&owner), 404),
        (Req::get("/api/3.0/files/@my").auth(&owner), 404),
        (Req::get("/api/2.0/files/file/1/nope").auth(&owner), 404),
        // Wrong methods.
        (Req::delete("/healthz"), 405),
        (Req::post("/api/2.0/files/@my").auth(&owner), 405),
        (Req::delete(&links).auth(&owner), 405),
        (Req::put("/api/2.0/people/@self").auth(&owner), 405),
        (Req::get("/api/2.0/files/share/abc/password"), 405),
    ];
    for (req, want) in cases {
        let what = format!("{} {}", req.method, req.path);
        let res = s.send(req).await;
        assert_eq!(res.status, want, "{what}: {}", res.text());
        assert!(!res.content_type().starts_with("text/plain"), "{what}: {}", res.content_type());
        res.assert_error(want);
        if want == 405 {
            assert!(res.header("allow").is_some(), "{what}: 405 without Allow");
        }
    }
    // None of those created a link.
    assert_eq!(s.store().entry_links(spacelinks_core::Entry::File(id), 0, 100).await.unwrap().1, 0);
}

#[tokio::test]
async fn unknown_route_and_wrong_method_exact_bodies() {
    let s = TestServer::start().await;
    let res = s.send(Req::get("/definitely/not/here")).await;
    assert_eq!(res.status, 404);
    assert_eq!(res.content_type(), "application/json; charset=utf-8");
    assert_json_exact(
        &res.json(),
        &json!({"error": {"message": "The requested resource was not found", "type": "ASC.Common.Web.ItemNotFoundException",
                          "stack": null, "hresult": -2146233088}, "status": 1, "statusCode": 404}),
    );
    let res = s.send(Req::put("/api/2.0/authentication")).await;
    assert_eq!(res.status, 405);
    assert_json_exact(
        &res.json(),
        &json!({"error": {"message": "The HTTP method is not allowed on this resource", "type": null, "stack": null,
                          "hresult": 0}, "status": 1, "statusCode": 405}),
    );
}

// ---- API key scopes per route (issue 10, hole 5) ----------------------------

/// A key's scopes gate every route, not only those under `/api/2.0`: a key
/// for accounts cannot download files, and a `GET` that would create a
/// public link needs `files:write`.
#[tokio::test]
async fn scopes_gate_downloads_pages_and_link_creating_gets() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let file_id = s.upload_id(&owner, "private.txt", b"private bytes").await;
    let (accounts_key, _) = s.api_key(&owner, &["accounts:read"]).await;
    let download = format!("/filehandler.ashx?action=download&fileid={file_id}");
    s.send(Req::get(&download).auth(&accounts_key)).await.assert_error(403);
    s.send(Req::get(&format!("/doceditor?fileid={file_id}")).auth(&accounts_key)).await.assert_error(403);
    let (files_key, _) = s.api_key(&owner, &["files:read"]).await;
    let res = s.send(Req::get(&download).auth(&files_key)).await;
    assert_eq!((res.status, res.body.as_slice()), (200, &b"private bytes"[..]));

    // GET .../link with only files:read must not create the public link...
    let link = format!("/api/2.0/files/file/{file_id}/link");
    s.send(Req::get(&link).auth(&files_key)).await.assert_error(403);
    assert!(
        s.store().primary_link(spacelinks_core::Entry::File(file_id)).await.unwrap().is_none(),
        "a read-only key created a public link"
    );
    // ...but may read one that exists.
    let (write_key, _) = s.api_key(&owner, &["files:write"]).await;
    let created = s.send(Req::get(&link).auth(&write_key)).await;
    assert_eq!(created.status, 200, "{}", created.text());
    let read = s.send(Req::get(&link).auth(&files_key)).await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["response"]["sharedLink"]["id"], created.json()["response"]["sharedLink"]["id"]);
}
