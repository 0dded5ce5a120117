//! Issue 15, the file endpoints of a file-sharing product that DocSpace's
//! own test suite exercises, over a real socket: version groups (`PUT
//! files/file/{id}/history`, `lastVersion`), the edit history and the log,
//! templates, thumbnails, the bulk order, `copyas`, copy and move
//! (`fileops/copy`, `fileops/move` with their conflict types) and `POST
//! files/owner`, each with who may and may not.

mod common;

use common::*;
use serde_json::{json, Value};

async fn my_root(s: &TestServer, token: &str) -> i64 {
    s.send(Req::get("/api/2.0/files/@my").auth(token)).await.json()["response"]["current"]["id"].as_i64().unwrap()
}

async fn folder(s: &TestServer, token: &str, parent: i64, title: &str) -> i64 {
    let res =
        s.send(Req::post(&format!("/api/2.0/files/folder/{parent}")).auth(token).json(json!({"title": title}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["response"]["id"].as_i64().unwrap()
}

async fn upload(s: &TestServer, token: &str, folder: i64, name: &str, content: &[u8]) -> i64 {
    let res = s
        .send(Req::post(&format!("/api/2.0/files/{folder}/upload")).auth(token).multipart("file", name, content))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["response"][0]["id"].as_i64().unwrap()
}

async fn download(s: &TestServer, token: &str, id: i64) -> Resp {
    s.send(Req::get(&format!("/filehandler.ashx?action=download&fileid={id}")).auth(token)).await
}

async fn titles_in(s: &TestServer, token: &str, folder: i64) -> (Vec<String>, Vec<String>) {
    let res = s.send(Req::get(&format!("/api/2.0/files/{folder}")).auth(token)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let v = res.json()["response"].clone();
    let t = |k: &str| v[k].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap().to_string()).collect();
    (t("folders"), t("files"))
}

fn ops(res: &Resp) -> Vec<Value> {
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["response"].as_array().expect("operations").clone()
}

#[tokio::test]
async fn last_version_and_version_groups_split_and_merge_as_docspace() {
    version_groups(&TestServer::start_socket().await).await;
}

#[tokio::test]
async fn version_groups_on_postgres() {
    let Some(pg) = PgSchema::create("version_groups").await else { return };
    let s = TestServer::start_socket_with(|c| c.database_url = Some(pg.url.clone())).await;
    version_groups(&s).await;
    change_owner(&s).await;
    drop(s);
    pg.drop_schema().await;
}

async fn version_groups(s: &TestServer) {
    let owner = s.owner().await;
    let id = s.upload_id(&owner, "Plan.docx", b"one").await;

    // `lastVersion` above the current one repeats the current content as
    // the next version; equal to it is 400.
    let res = s.send(Req::put(&format!("/api/2.0/files/file/{id}")).auth(&owner).json(json!({"lastVersion": 2}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["response"]["version"], 2);
    let res = s.send(Req::put(&format!("/api/2.0/files/file/{id}")).auth(&owner).json(json!({"lastVersion": 2}))).await;
    res.assert_error(400);

    // Closing the current version's group repeats it as version 3, group 3.
    let split = json!({"version": 2, "continueVersion": false});
    let res = s.send(Req::put(&format!("/api/2.0/files/file/{id}/history")).auth(&owner).json(split)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let h = res.json()["response"].as_array().unwrap().clone();
    let groups: Vec<(i64, i64)> =
        h.iter().map(|f| (f["version"].as_i64().unwrap(), f["versionGroup"].as_i64().unwrap())).collect();
    assert_eq!(groups, [(3, 3), (2, 2), (1, 1)], "newest first");
    assert_eq!(download(s, &owner, id).await.body, b"one");

    // Continuing version 2 moves the versions after it down one group.
    let merge = json!({"version": 2, "continueVersion": true});
    let res = s.send(Req::put(&format!("/api/2.0/files/file/{id}/history")).auth(&owner).json(merge)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = s.send(Req::get(&format!("/api/2.0/files/file/{id}/edit/history")).auth(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let edits = res.json()["response"].as_array().unwrap().clone();
    let groups: Vec<(i64, i64)> =
        edits.iter().map(|e| (e["version"].as_i64().unwrap(), e["versionGroup"].as_i64().unwrap())).collect();
    assert_eq!(groups, [(1, 1), (2, 2), (3, 2)], "oldest first, version 3 joined group 2");
    let info = s.send(Req::get(&format!("/api/2.0/files/file/{id}")).auth(&owner)).await.json()["response"].clone();
    assert_eq!((info["version"].as_i64(), info["versionGroup"].as_i64()), (Some(3), Some(2)));
    assert!(edits[0]["key"].as_str().is_some_and(|k| !k.is_empty()) && edits[0]["user"]["name"].is_string());

    // Someone else, anonymous callers, missing files.
    let user = s.user("history@example.com", "User").await;
    let body = json!({"version": 1, "continueVersion": false});
    let res = s.send(Req::put(&format!("/api/2.0/files/file/{id}/history")).auth(&user).json(body.clone())).await;
    assert_eq!(res.assert_error(403), "You do not have enough permissions to edit the file");
    let res = s.send(Req::put(&format!("/api/2.0/files/file/{id}/history")).json(body.clone())).await;
    res.assert_empty(401);
    let res = s.send(Req::put("/api/2.0/files/file/999999/history").auth(&owner).json(body)).await;
    assert_eq!(res.assert_error(404), "The required file was not found");
    let res = s.send(Req::get("/api/2.0/files/file/999999/history").auth(&owner)).await;
    assert_eq!(res.assert_error(403), "You don't have enough permission to view the file");
    let res = s.send(Req::get("/api/2.0/files/file/999999/edit/history").auth(&owner)).await;
    assert_eq!(res.assert_error(404), "The required file was not found");
    let res = s.send(Req::get(&format!("/api/2.0/files/file/{id}/edit/history"))).await;
    res.assert_error(403);
}

#[tokio::test]
async fn a_title_over_165_characters_is_aspnet_validation_400() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let id = s.upload_id(&owner, "Short.docx", b"x").await;
    let res = s
        .send(Req::put(&format!("/api/2.0/files/file/{id}")).auth(&owner).json(json!({"title": "A".repeat(166)})))
        .await;
    assert_eq!(res.status, 400, "{}", res.text());
    let v = res.json();
    assert_eq!(v["status"], 1);
    assert_eq!(v["statusCode"], 400);
    assert_eq!(
        v["response"]["errors"]["File.Title"][0],
        "The field Title must be a string with a maximum length of 165."
    );
    assert_eq!(v["response"]["status"], 400);
}

#[tokio::test]
async fn the_log_lists_the_versions_newest_first_with_paging() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let id = s.upload_id(&owner, "Log.docx", b"one").await;
    s.send(Req::put(&format!("/api/2.0/files/file/{id}")).auth(&owner).json(json!({"lastVersion": 5}))).await;
    let res = s.send(Req::get(&format!("/api/2.0/files/file/{id}/log")).auth(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let v = res.json();
    let entries = v["response"].as_array().unwrap();
    assert_eq!(v["count"], 2);
    assert_eq!(entries[1]["action"], json!({"id": 5000, "key": "FileCreated"}));
    assert_eq!(entries[0]["action"]["key"], "FileRestoreVersion");
    assert!(entries[0]["initiator"]["displayName"].as_str().is_some_and(|n| !n.is_empty()));
    assert!(is_api_date(entries[0]["date"].as_str().unwrap()));
    let res = s.send(Req::get(&format!("/api/2.0/files/file/{id}/log?startIndex=1&count=1")).auth(&owner)).await;
    let page = res.json()["response"].as_array().unwrap().clone();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["action"]["id"], 5000);
    let res = s.send(Req::get(&format!("/api/2.0/files/file/{id}/log?startIndex=99")).auth(&owner)).await;
    assert_eq!(res.json()["response"], json!([]));
    s.send(Req::get("/api/2.0/files/file/999999/log").auth(&owner)).await.assert_error(404);
    let user = s.user("log@example.com", "User").await;
    s.send(Req::get(&format!("/api/2.0/files/file/{id}/log")).auth(&user)).await.assert_error(403);
    s.send(Req::get(&format!("/api/2.0/files/file/{id}/log"))).await.assert_empty(401);
}

#[tokio::test]
async fn templates_are_per_user_and_refused_to_guests() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let id = s.upload_id(&owner, "Form.docx", b"x").await;
    let other = s.upload_id(&owner, "Photo.png", b"x").await;
    let add = |token: &str, ids: Value| Req::post("/api/2.0/files/templates").auth(token).json(json!({"fileIds": ids}));
    for ids in [json!([id, other, 999999]), json!([]), json!(null)] {
        let res = s.send(add(&owner, ids)).await;
        assert_eq!((res.status, res.json()["response"].clone()), (200, json!(true)), "{}", res.text());
    }
    let me = s.send(Req::get("/api/2.0/people/@self").auth(&owner)).await.json()["response"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let marked = |file| s.store().is_marked(&me, file, "template");
    assert!(marked(id).await.unwrap(), "the document is a template");
    assert!(!marked(other).await.unwrap(), "an image is not");
    // A value that cannot be an id (past 64 bits) is a malformed list, 400.
    let huge: Value = serde_json::from_str("[9223372036854775808]").unwrap();
    assert_eq!(s.send(add(&owner, huge)).await.assert_error(400), "fileIds must be an array of ids");
    let res = s.send(Req::delete("/api/2.0/files/templates").auth(&owner).json(json!([id, 999999]))).await;
    assert_eq!((res.status, res.json()["response"].clone()), (200, json!(true)));
    assert!(!marked(id).await.unwrap());
    let res = s.send(Req::delete("/api/2.0/files/templates").auth(&owner)).await;
    res.assert_error(400);

    let guest = s.user("guest-templates@example.com", "Guest").await;
    assert_eq!(s.send(add(&guest, json!([1]))).await.assert_error(403), "Access denied");
    s.send(Req::delete("/api/2.0/files/templates").auth(&guest).json(json!([1]))).await.assert_error(403);
    s.send(Req::post("/api/2.0/files/templates").json(json!({"fileIds": [1]}))).await.assert_empty(401);
    let user = s.user("user-templates@example.com", "User").await;
    let res = s.send(add(&user, json!([id]))).await;
    assert_eq!(res.status, 200, "another user's file is skipped, not refused");
}

#[tokio::test]
async fn thumbnails_answer_the_ids_sent() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let res = s.send(Req::post("/api/2.0/files/thumbnails").auth(&owner).json(json!({"fileIds": [999999, "7"]}))).await;
    assert_eq!(res.json()["response"], json!([999999, 7]), "{}", res.text());
    let res = s.send(Req::post("/api/2.0/files/thumbnails").auth(&owner).json(json!({"fileIds": [{}]}))).await;
    assert!(res.assert_error(400).ends_with("must be an array of ids"));
    let res = s.send(Req::post("/api/2.0/files/thumbnails").auth(&owner)).await;
    assert_eq!(res.json()["response"], json!([]));
    s.send(Req::post("/api/2.0/files/thumbnails").json(json!({"fileIds": [1]}))).await.assert_empty(401);
}

#[tokio::test]
async fn the_bulk_order_answers_the_owners_entries() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let root = my_root(&s, &owner).await;
    let f = folder(&s, &owner, root, "Ordered").await;
    let id = s.upload_id(&owner, "Ordered.docx", b"x").await;
    let items = json!({"items": [{"entryId": id, "entryType": 2, "order": 5}, {"entryId": f, "entryType": "Folder", "order": 1}]});
    let res = s.send(Req::put("/api/2.0/files/order").auth(&owner).json(items)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let v = res.json();
    assert_eq!(v["count"], 2);
    assert_eq!((v["response"][0]["id"].as_i64(), v["response"][0]["fileEntryType"].as_i64()), (Some(id), Some(2)));
    assert_eq!((v["response"][1]["id"].as_i64(), v["response"][1]["fileEntryType"].as_i64()), (Some(f), Some(1)));
    let res = s.send(Req::put("/api/2.0/files/order").auth(&owner).json(json!({"items": []}))).await;
    assert_eq!(res.json()["response"], json!([]));
    let missing = json!({"items": [{"entryId": 999999, "entryType": 2, "order": 1}]});
    s.send(Req::put("/api/2.0/files/order").auth(&owner).json(missing)).await.assert_error(404);
    let zero = json!({"items": [{"entryId": id, "entryType": 2, "order": 0}]});
    let res = s.send(Req::put("/api/2.0/files/order").auth(&owner).json(zero)).await;
    assert_eq!((res.status, res.json()["statusCode"].clone()), (400, json!(400)));
    let user = s.user("order@example.com", "User").await;
    let mine = json!({"items": [{"entryId": id, "entryType": 2, "order": 1}]});
    s.send(Req::put("/api/2.0/files/order").auth(&user).json(mine)).await.assert_error(403);
}

#[tokio::test]
async fn copy_as_copies_the_callers_file_into_their_folder() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let root = my_root(&s, &owner).await;
    let dest = folder(&s, &owner, root, "Copies").await;
    let id = upload(&s, &owner, root, "Source.docx", b"source bytes").await;
    let copy = |body: Value| Req::post(&format!("/api/2.0/files/file/{id}/copyas")).json(body);
    let res = s.send(copy(json!({"destTitle": "Copy.docx", "destFolderId": dest})).auth(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let made = res.json()["response"].clone();
    assert_eq!((made["title"].as_str(), made["folderId"].as_i64()), (Some("Copy.docx"), Some(dest)));
    assert_eq!(download(&s, &owner, made["id"].as_i64().unwrap()).await.body, b"source bytes");
    let res = s.send(copy(json!({"destTitle": "No extension", "destFolderId": dest})).auth(&owner)).await;
    assert_eq!(res.json()["response"]["title"], "No extension.docx");
    s.send(copy(json!({"destTitle": "Other.pdf", "destFolderId": dest})).auth(&owner)).await.assert_error(400);
    s.send(copy(json!({"destTitle": "X.docx", "destFolderId": 999999})).auth(&owner)).await.assert_error(404);

    // Another user may neither copy my file (even one shared with them)
    // nor write into my folder.
    let user = s.user("copyas@example.com", "User").await;
    let theirs = my_root(&s, &user).await;
    let (shared, _, share) = s.shared_file("Shared.docx", b"s", json!({"access": "Read"})).await;
    let res = s
        .send(
            Req::post(&format!("/api/2.0/files/file/{shared}/copyas"))
                .auth(&user)
                .share(&share)
                .json(json!({"destTitle": "Mine.docx", "destFolderId": theirs})),
        )
        .await;
    assert_eq!(res.assert_error(403), "You don't have enough permission to copy the file");
    s.send(copy(json!({"destTitle": "Mine.docx", "destFolderId": theirs})).auth(&user)).await.assert_error(403);
    let their_file = upload(&s, &user, theirs, "Theirs.docx", b"t").await;
    let res = s
        .send(
            Req::post(&format!("/api/2.0/files/file/{their_file}/copyas"))
                .auth(&user)
                .json(json!({"destTitle": "Into.docx", "destFolderId": dest})),
        )
        .await;
    assert_eq!(res.assert_error(403), "You don't have enough permission to create");
}

#[tokio::test]
async fn copy_and_move_files_and_folders_with_each_conflict_type() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let root = my_root(&s, &owner).await;
    let src = folder(&s, &owner, root, "Src").await;
    let sub = folder(&s, &owner, src, "Sub").await;
    let dest = folder(&s, &owner, root, "Dest").await;
    let a = upload(&s, &owner, src, "a.txt", b"alpha").await;
    upload(&s, &owner, sub, "deep.txt", b"deep").await;
    let clash = upload(&s, &owner, dest, "a.txt", b"old").await;

    // Copy with Skip (the default): a.txt is skipped, the folder is copied
    // with everything below it.
    let res = s
        .send(
            Req::put("/api/2.0/files/fileops/copy")
                .auth(&owner)
                .json(json!({"fileIds": [a], "folderIds": [src], "destFolderId": dest, "returnSingleOperation": true})),
        )
        .await;
    let op = ops(&res)[0].clone();
    assert_eq!(
        (op["Operation"].as_i64(), op["finished"].as_bool(), op["progress"].as_i64()),
        (Some(1), Some(true), Some(100))
    );
    assert_eq!(op["files"], json!([]), "{op}");
    assert_eq!(op["folders"][0]["title"], "Src");
    assert_eq!(titles_in(&s, &owner, dest).await, (vec!["Src".to_string()], vec!["a.txt".to_string()]));
    let copied = op["folders"][0]["id"].as_i64().unwrap();
    assert_eq!(titles_in(&s, &owner, copied).await, (vec!["Sub".to_string()], vec!["a.txt".to_string()]));
    assert_eq!(download(&s, &owner, clash).await.body, b"old");

    // Duplicate: a.txt becomes "a (1).txt"; Overwrite: a new version of the
    // destination's a.txt.
    let body = json!({"fileIds": [a], "destFolderId": dest, "conflictResolveType": 2, "returnSingleOperation": true});
    let op = ops(&s.send(Req::put("/api/2.0/files/fileops/copy").auth(&owner).json(body)).await)[0].clone();
    assert_eq!(op["files"][0]["title"], "a (1).txt");
    let body = json!({"fileIds": [a], "destFolderId": dest, "conflictResolveType": 1, "returnSingleOperation": true});
    let op = ops(&s.send(Req::put("/api/2.0/files/fileops/copy").auth(&owner).json(body)).await)[0].clone();
    assert_eq!(op["files"][0]["id"].as_i64(), Some(clash));
    assert_eq!(download(&s, &owner, clash).await.body, b"alpha");
    assert_eq!(download(&s, &owner, a).await.body, b"alpha", "the source stays");

    // Move: the file leaves its folder; GET fileops lists the copies and the move.
    let body = json!({"fileIds": [a], "destFolderId": root});
    let moved = ops(&s.send(Req::put("/api/2.0/files/fileops/move").auth(&owner).json(body)).await);
    assert!(moved.iter().all(|o| o["Operation"] == 0), "only move operations: {moved:?}");
    assert!(!titles_in(&s, &owner, src).await.1.contains(&"a.txt".to_string()));
    assert!(titles_in(&s, &owner, root).await.1.contains(&"a.txt".to_string()));
    let all = ops(&s.send(Req::get("/api/2.0/files/fileops").auth(&owner)).await);
    assert_eq!(all.iter().filter(|o| o["Operation"] == 1).count(), 3);

    // A folder into itself or below it is refused; so is My Documents.
    let body = json!({"folderIds": [src], "destFolderId": sub});
    let res = s.send(Req::put("/api/2.0/files/fileops/move").auth(&owner).json(body)).await;
    assert_eq!(res.assert_error(403), "You cannot copy the folder to its subfolder");
    let body = json!({"folderIds": [root], "destFolderId": dest});
    s.send(Req::put("/api/2.0/files/fileops/move").auth(&owner).json(body)).await.assert_error(403);
    let body = json!({"fileIds": [999999], "destFolderId": dest});
    s.send(Req::put("/api/2.0/files/fileops/move").auth(&owner).json(body)).await.assert_error(404);
    let body = json!({"fileIds": [a], "destFolderId": 999999});
    s.send(Req::put("/api/2.0/files/fileops/copy").auth(&owner).json(body)).await.assert_error(404);
}

#[tokio::test]
async fn nobody_moves_or_copies_what_is_not_theirs_or_into_a_folder_not_theirs() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let root = my_root(&s, &owner).await;
    let a = upload(&s, &owner, root, "a.txt", b"alpha").await;
    let user = s.user("mover@example.com", "User").await;
    let theirs = my_root(&s, &user).await;
    let b = upload(&s, &user, theirs, "b.txt", b"bravo").await;
    for path in ["copy", "move"] {
        let url = format!("/api/2.0/files/fileops/{path}");
        let res = s.send(Req::put(&url).auth(&user).json(json!({"fileIds": [a], "destFolderId": theirs}))).await;
        assert!(res.assert_error(403).contains("You don't have enough permission to"), "{path}");
        let res = s.send(Req::put(&url).auth(&user).json(json!({"fileIds": [b], "destFolderId": root}))).await;
        assert!(res.assert_error(403).starts_with("You don't have permission to"), "{path}");
        s.send(Req::put(&url).json(json!({"fileIds": [a], "destFolderId": root}))).await.assert_empty(401);
    }
    assert_eq!(titles_in(&s, &owner, root).await.1, ["a.txt"]);
    assert_eq!(titles_in(&s, &user, theirs).await.1, ["b.txt"]);
}

#[tokio::test]
async fn a_file_moved_out_of_a_shared_folder_leaves_that_folders_links() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let root = my_root(&s, &owner).await;
    let shared = folder(&s, &owner, root, "Shared").await;
    let private = folder(&s, &owner, root, "Private").await;
    let id = upload(&s, &owner, shared, "doc.txt", b"secret").await;
    let res = s
        .send(Req::put(&format!("/api/2.0/files/folder/{shared}/links")).auth(&owner).json(json!({"access": "Read"})))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let t = token(&res.json()["response"]);
    let fetch = || Req::get(&format!("/filehandler.ashx?action=download&fileid={id}")).share(&t);
    assert_eq!(s.send(fetch()).await.body, b"secret");

    let body = json!({"fileIds": [id], "destFolderId": private});
    ops(&s.send(Req::put("/api/2.0/files/fileops/move").auth(&owner).json(body)).await);
    let res = s.send(fetch()).await;
    assert!(res.status == 403 || res.status == 404, "{}", res.status);
    assert!(!res.body.windows(6).any(|w| w == b"secret"));

    // Moved back in, the link reaches it again.
    let body = json!({"fileIds": [id], "destFolderId": shared});
    ops(&s.send(Req::put("/api/2.0/files/fileops/move").auth(&owner).json(body)).await);
    assert_eq!(s.send(fetch()).await.body, b"secret");
}

#[tokio::test]
async fn change_owner_gives_files_and_folders_to_another_person() {
    change_owner(&TestServer::start_socket().await).await;
}

async fn change_owner(s: &TestServer) {
    let owner = s.owner().await;
    let root = my_root(s, &owner).await;
    let f = folder(s, &owner, root, "Handover").await;
    let inner = upload(s, &owner, f, "inner.txt", b"inner").await;
    let id = upload(s, &owner, root, "Report.txt", b"report").await;
    let admin = s.user("new-owner@example.com", "RoomAdmin").await;
    let admin_id = s.send(Req::get("/api/2.0/people/@self").auth(&admin)).await.json()["response"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let guest = s.user("guest-owner@example.com", "Guest").await;
    let guest_id = s.send(Req::get("/api/2.0/people/@self").auth(&guest)).await.json()["response"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let give = |user: &str, body: Value| Req::post("/api/2.0/files/owner").auth(user).json(body);
    let res = s.send(give(&owner, json!({"userId": guest_id, "fileIds": [id]}))).await;
    assert_eq!(res.assert_error(403), "You cannot select this user");
    let res = s.send(give(&owner, json!({"userId": "00000000-0000-0000-0000-000000000000", "fileIds": [id]}))).await;
    assert_eq!(res.assert_error(403), "You cannot select this user");
    let res = s.send(give(&admin, json!({"userId": admin_id, "fileIds": [id]}))).await;
    assert_eq!(res.assert_error(403), "You don't have enough permission to perform the operation");
    // A disabled user cannot be selected either (DocSpace's sharing suite checks it).
    let gone = s.user("disabled-owner@example.com", "User").await;
    let gone_id = s.send(Req::get("/api/2.0/people/@self").auth(&gone)).await.json()["response"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"userIds": [gone_id], "resendAll": false});
    let disable = s.send(Req::put("/api/2.0/people/status/Terminated").auth(&owner).json(body)).await;
    assert_eq!(disable.status, 200, "{}", disable.text());
    let res = s.send(give(&owner, json!({"userId": gone_id, "fileIds": [id]}))).await;
    assert_eq!(res.assert_error(403), "You cannot select this user");

    let res = s.send(give(&owner, json!({"userId": admin_id, "fileIds": [id], "folderIds": [f]}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let v = res.json()["response"].clone();
    assert_eq!(v.as_array().unwrap().len(), 2);
    let theirs = my_root(s, &admin).await;
    assert_eq!(titles_in(s, &admin, theirs).await, (vec!["Handover".to_string()], vec!["Report.txt".to_string()]));
    assert_eq!(download(s, &admin, inner).await.body, b"inner", "everything below the folder goes too");
    assert_eq!(download(s, &admin, id).await.body, b"report");
    download(s, &owner, id).await.assert_error(403);
    let (folders, files) = titles_in(s, &owner, root).await;
    assert!(!folders.contains(&"Handover".to_string()) && !files.contains(&"Report.txt".to_string()));
}

#[tokio::test]
async fn a_delete_is_listed_finished_by_get_fileops() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let id = s.upload_id(&owner, "Doomed.txt", b"d").await;
    let res = s.send(Req::delete(&format!("/api/2.0/files/file/{id}")).auth(&owner)).await;
    let op = ops(&res)[0].clone();
    assert_eq!(op["Operation"], 2);
    let listed = ops(&s.send(Req::get("/api/2.0/files/fileops").auth(&owner)).await);
    let last = listed.last().expect("the delete is listed");
    assert_eq!(
        (&last["id"], &last["finished"], &last["progress"], &last["processed"]),
        (&op["id"], &json!(true), &json!(100), &json!("1"))
    );
    assert!(last.get("url").is_none() && last["error"].is_null(), "{last}");
}
