//! The file endpoints ONLYOFFICE's own API test suite exercises (issue 15):
//! new-file titles, rename, text and HTML files, Recent, favorites, lock,
//! order, and members added through `people/active`. In-process through
//! the router, on a real database.

mod common;

use common::*;
use serde_json::{json, Value};

const CANNOT_PERFORM: &str = "You don't have enough permission to perform the operation";

async fn new_file(s: &TestServer, token: &str, body: Value) -> Value {
    let res = s.send(Req::post("/api/2.0/files/@my/file").auth(token).json(body)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["response"].clone()
}

#[tokio::test]
async fn new_files_take_docspace_titles() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    for (body, want) in [
        (json!({"title": "Plain"}), "Plain.docx"),
        (json!({"title": "Notes.txt"}), "Notes.docx"),
        (json!({"title": "Sheet.csv"}), "Sheet.xlsx"),
        (json!({"title": "Notes.md", "enableExternalExt": false}), "Notes.docx"),
        (json!({"title": "Notes.md", "enableExternalExt": true}), "Notes.md"),
        (json!({"title": "Notes.txt", "enableExternalExt": "true"}), "Notes.txt"),
    ] {
        let dto = new_file(&s, &owner, body.clone()).await;
        assert_eq!(dto["title"], want, "{body}");
    }
    let res = s
        .send(Req::post("/api/2.0/files/@my/file").auth(&owner).json(json!({"title": "x", "enableExternalExt": 3})))
        .await;
    res.assert_error(400);
}

#[tokio::test]
async fn rename_keeps_the_extension_and_only_the_owner_renames() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let id = new_file(&s, &owner, json!({"title": "Original"})).await["id"].as_i64().unwrap();
    let put = |token: &str, id: i64, body: Value| Req::put(&format!("/api/2.0/files/file/{id}")).auth(token).json(body);
    for (title, want) in [
        ("Renamed", "Renamed.docx"),
        ("With Ext.docx", "With Ext.docx"),
        ("A/B", "A_B.docx"),
        ("Other.txt", "Other.txt.docx"),
        ("", "Other.txt.docx"),
        ("   ", "Other.txt.docx"),
    ] {
        let res = s.send(put(&owner, id, json!({"title": title}))).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let v = res.json()["response"].clone();
        assert_eq!(
            (v["title"].as_str(), v["fileExst"].as_str(), v["version"].as_i64()),
            (Some(want), Some(".docx"), Some(1))
        );
    }
    assert_eq!(s.store().file(id).await.unwrap().unwrap().title, "Other.txt.docx");
    // ASP.NET's validation envelope, as DocSpace (`tests/api_file_ops.rs` checks its shape).
    let res = s.send(put(&owner, id, json!({"title": "A".repeat(166)}))).await;
    assert_eq!((res.status, res.json()["statusCode"].as_i64()), (400, Some(400)));
    assert_eq!(
        s.send(put(&owner, id, json!({"title": "x", "lastVersion": 1}))).await.assert_error(400),
        "The new version cannot be the same as the current one"
    );
    assert_eq!(
        s.send(put(&owner, 999_999, json!({"title": "x"}))).await.assert_error(404),
        "The required file was not found"
    );
    let other = s.user("other@example.com", "User").await;
    assert_eq!(
        s.send(put(&other, id, json!({"title": "Mine"}))).await.assert_error(403),
        "You don't have enough permission to rename the file"
    );
    s.send(Req::put(&format!("/api/2.0/files/file/{id}")).json(json!({"title": "x"}))).await.assert_empty(401);
    assert_eq!(s.store().file(id).await.unwrap().unwrap().title, "Other.txt.docx");
}

#[tokio::test]
async fn text_and_html_files_and_create_new_if_exist() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let text = |path: &str, body: Value| Req::post(path).auth(&owner).json(body);
    let res = s.send(text("/api/2.0/files/@my/text", json!({"title": "Memo", "content": "Hello world"}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let memo = res.json()["response"].clone();
    assert_eq!((memo["title"].as_str(), memo["fileExst"].as_str()), (Some("Memo.txt"), Some(".txt")));
    let id = memo["id"].as_i64().unwrap();
    let download = s.send(Req::get(&format!("/filehandler.ashx?action=download&fileid={id}")).auth(&owner)).await;
    assert_eq!(download.body, b"Hello world");

    // `createNewIfExist: true` puts the content into the existing file as
    // its next version; false or absent makes another file.
    let res = s
        .send(text("/api/2.0/files/@my/text", json!({"title": "Memo", "content": "Second", "createNewIfExist": true})))
        .await;
    let again = res.json()["response"].clone();
    assert_eq!((again["id"].as_i64(), again["version"].as_i64()), (Some(id), Some(2)));
    let download = s.send(Req::get(&format!("/filehandler.ashx?action=download&fileid={id}")).auth(&owner)).await;
    assert_eq!(download.body, b"Second");
    for flag in [json!(false), Value::Null] {
        let res = s
            .send(text(
                "/api/2.0/files/@my/text",
                json!({"title": "Memo.txt", "content": "x", "createNewIfExist": flag}),
            ))
            .await;
        assert_ne!(res.json()["response"]["id"].as_i64(), Some(id));
    }
    s.send(text("/api/2.0/files/@my/text", json!({"title": "No content"}))).await.assert_error(400);

    let folder = memo["folderId"].as_i64().unwrap();
    let res =
        s.send(text(&format!("/api/2.0/files/{folder}/html"), json!({"title": "Page", "content": "<p>x</p>"}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["response"]["title"], "Page.html");
    assert_eq!(res.json()["response"]["folderId"], folder);
    let res = s.send(text("/api/2.0/files/@my/html", json!({"title": "Page.html", "content": "y"}))).await;
    assert_eq!(res.json()["response"]["title"], "Page.html");

    // Someone else's folder: 403; anonymous: 401.
    let other = s.user("other@example.com", "User").await;
    let res = s
        .send(
            Req::post(&format!("/api/2.0/files/{folder}/text"))
                .auth(&other)
                .json(json!({"title": "t", "content": "c"})),
        )
        .await;
    res.assert_error(403);
    s.send(Req::post("/api/2.0/files/@my/text").json(json!({"title": "t", "content": "c"}))).await.assert_empty(401);
    // A guest has no My Documents for these routes, as in DocSpace.
    let guest = s.user("guest@example.com", "Guest").await;
    for path in ["/api/2.0/files/@my/text", "/api/2.0/files/@my/html"] {
        let res = s.send(Req::post(path).auth(&guest).json(json!({"title": "t", "content": "c"}))).await;
        assert_eq!(res.assert_error(404), "The required folder was not found");
    }
}

fn ids(v: &Value) -> Vec<i64> {
    v["response"]["files"].as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn recent_and_favorites_are_per_user() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let a = s.upload_id(&owner, "a.txt", b"a").await;
    let b = s.upload_id(&owner, "b.txt", b"b").await;
    for id in [a, b, a] {
        let res = s.send(Req::post(&format!("/api/2.0/files/file/{id}/recent")).auth(&owner)).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["response"]["id"], id);
    }
    let recent = s.send(Req::get("/api/2.0/files/recent").auth(&owner)).await;
    assert_eq!(recent.status, 200, "{}", recent.text());
    assert_eq!(ids(&recent.json()), [a, b]);
    assert_eq!(recent.json()["response"]["total"], 2);
    assert_eq!(ids(&s.send(Req::get("/api/2.0/files/@recent").auth(&owner)).await.json()), [a, b]);

    let res = s.send(Req::delete("/api/2.0/files/recent").auth(&owner).json(json!({"fileIds": [a, 999_999]}))).await;
    assert_eq!(res.status, 204);
    assert_eq!(ids(&s.send(Req::get("/api/2.0/files/recent").auth(&owner)).await.json()), [b]);
    s.send(Req::delete("/api/2.0/files/recent").auth(&owner).json(json!({"fileIds": "a"}))).await.assert_error(400);

    // Another user may not add the owner's file, and sees an empty Recent.
    let other = s.user("other@example.com", "User").await;
    s.send(Req::post(&format!("/api/2.0/files/file/{a}/recent")).auth(&other)).await.assert_error(403);
    assert!(ids(&s.send(Req::get("/api/2.0/files/recent").auth(&other)).await.json()).is_empty());
    assert_eq!(
        s.send(Req::post("/api/2.0/files/file/999999/recent").auth(&owner)).await.assert_error(404),
        "The required file was not found"
    );
    s.send(Req::post(&format!("/api/2.0/files/file/{a}/recent"))).await.assert_empty(401);

    // Favorites: the answer is the new state.
    let fav = |id: i64, on: &str| Req::get(&format!("/api/2.0/files/favorites/{id}?favorite={on}")).auth(&owner);
    assert_eq!(s.send(fav(a, "true")).await.json()["response"], true);
    assert_eq!(ids(&s.send(Req::get("/api/2.0/files/@favorites").auth(&owner)).await.json()), [a]);
    assert_eq!(s.send(fav(a, "false")).await.json()["response"], false);
    assert!(ids(&s.send(Req::get("/api/2.0/files/@favorites").auth(&owner)).await.json()).is_empty());
    s.send(fav(a, "maybe")).await.assert_error(400);
    s.send(Req::get(&format!("/api/2.0/files/favorites/{a}?favorite=true")).auth(&other)).await.assert_error(403);
}

#[tokio::test]
async fn lock_and_order() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let id = s.upload_id(&owner, "lockme.txt", b"x").await;
    let lock = |token: &str, on: bool| {
        Req::put(&format!("/api/2.0/files/file/{id}/lock")).auth(token).json(json!({"lockFile": on}))
    };
    for on in [true, true, false, false] {
        let res = s.send(lock(&owner, on)).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let v = res.json()["response"].clone();
        assert_eq!((v["id"].as_i64(), v.get("locked").cloned()), (Some(id), on.then_some(json!(true))));
    }
    s.send(lock(&owner, true)).await;
    let info = s.send(Req::get(&format!("/api/2.0/files/file/{id}")).auth(&owner)).await;
    assert_eq!(info.json()["response"]["locked"], true);
    let other = s.user("other@example.com", "User").await;
    assert_eq!(
        s.send(lock(&other, false)).await.assert_error(403),
        "You do not have enough permissions to edit the file"
    );
    assert!(s.store().file(id).await.unwrap().unwrap().locked_by.is_some());

    let order = |token: &str, id: i64, n: i64| {
        Req::put(&format!("/api/2.0/files/{id}/order")).auth(token).json(json!({"order": n}))
    };
    let res = s.send(order(&owner, id, 3)).await;
    assert_eq!((res.status, res.json()["response"]["id"].as_i64()), (200, Some(id)));
    s.send(order(&owner, id, 0)).await.assert_error(400);
    s.send(order(&owner, 999_999, 1)).await.assert_error(404);
    assert_eq!(s.send(order(&other, id, 1)).await.assert_error(403), CANNOT_PERFORM);
    let guest = s.user("guest@example.com", "Guest").await;
    assert_eq!(s.send(order(&guest, id, 1)).await.assert_error(403), CANNOT_PERFORM);
}

#[tokio::test]
async fn people_active_adds_members_as_people_does() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let res = s
        .send(Req::post("/api/2.0/people/active").auth(&owner).json(json!({
            "email": "guest@example.com", "firstName": "G", "lastName": "Uest", "type": "Guest", "password": "guest-password-1"
        })))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["response"]["isVisitor"], true);
    let guest = s.login("guest@example.com", "guest-password-1").await;
    let res = s
        .send(Req::post("/api/2.0/people/active").auth(&guest).json(json!({"email": "x@example.com", "type": "Guest"})))
        .await;
    assert_eq!(res.assert_error(403), "Access denied");
}
