//! Issue 12, the owner side of folder links (folder-links.md §1–§4): the
//! four routes, the access values a folder allows, the limits per folder,
//! the list without paging, `title` on POST, merge updates, deletes, the
//! `shared`/`sharedExternal` flags, the audit trail and the short link.

mod common;

use common::*;
use serde_json::{json, Value};
use spacelinks_core::Entry;

const ROLE_NOT_AVAILABLE: &str = "The role is not available for this user type";

async fn my_root(s: &TestServer, token: &str) -> i64 {
    let res = s.send(Req::get("/api/2.0/files/@my").auth(token)).await;
    res.json()["response"]["current"]["id"].as_i64().unwrap()
}

async fn new_folder(s: &TestServer, token: &str, parent: i64, title: &str) -> i64 {
    let res =
        s.send(Req::post(&format!("/api/2.0/files/folder/{parent}")).auth(token).json(json!({"title": title}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["response"]["id"].as_i64().unwrap()
}

async fn folder(s: &TestServer) -> (String, i64) {
    let owner = s.owner().await;
    let root = my_root(s, &owner).await;
    let id = new_folder(s, &owner, root, &format!("F-{}", uuid::Uuid::new_v4().simple())).await;
    (owner, id)
}

fn links(id: i64) -> String {
    format!("/api/2.0/files/folder/{id}/links")
}

fn primary(id: i64) -> String {
    format!("/api/2.0/files/folder/{id}/link")
}

async fn put(s: &TestServer, token: &str, id: i64, body: Value) -> Resp {
    s.send(Req::put(&links(id)).auth(token).json(body)).await
}

async fn list(s: &TestServer, token: &str, id: i64) -> Value {
    let res = s.send(Req::get(&links(id)).auth(token)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()
}

#[tokio::test]
async fn create_read_update_delete_a_folder_link() {
    let s = TestServer::start().await;
    let (owner, id) = folder(&s).await;
    let res = put(&s, &owner, id, json!({"access": "Read", "title": "Team", "password": "  Secret-pw1  "})).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let link = res.json()["response"].clone();
    assert_eq!(link["access"], 2);
    assert_eq!(link["subjectType"], 1);
    assert_eq!(link["sharedLink"]["title"], "Team");
    // A folder link's password is trimmed (FoldersController), a file's is not.
    assert_eq!(link["sharedLink"]["password"], "Secret-pw1");
    assert!(link["sharedLink"]["shareLink"].as_str().unwrap().starts_with(&format!("{PUBLIC_URL}/s/")));
    let lid = link_id(&link);

    // Merge: only the title changes; the password stays.
    let res = put(&s, &owner, id, json!({"linkId": lid, "title": "Renamed"})).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let v = list(&s, &owner, id).await;
    assert_eq!(v["response"][0]["sharedLink"]["title"], "Renamed");
    assert_eq!(v["response"][0]["sharedLink"]["password"], "Secret-pw1");

    // Delete: 200 without `response`; the list is empty and the folder no longer shared.
    let res = put(&s, &owner, id, json!({"linkId": lid, "access": 0})).await;
    assert_eq!(res.status, 200);
    assert!(res.json().get("response").is_none());
    assert_eq!(list(&s, &owner, id).await["response"], json!([]));
    let info = s.send(Req::get(&format!("/api/2.0/files/folder/{id}")).auth(&owner)).await.json();
    assert_eq!(
        (info["response"]["shared"].clone(), info["response"]["sharedExternal"].clone()),
        (json!(false), json!(false))
    );

    let audit = s.store().audit_entries(Entry::Folder(id)).await.unwrap();
    let actions: Vec<_> = audit.iter().map(|a| a.action).collect();
    assert_eq!(actions, ["link.created", "link.updated", "link.deleted"]);
    assert!(audit.iter().all(|a| !a.details.contains("Secret-pw1")), "a password reached the audit trail");
}

#[tokio::test]
async fn access_values_a_folder_allows() {
    let s = TestServer::start().await;
    let (owner, id) = folder(&s).await;
    // Editing, FillForms, Review, Comment, Read: FillForms too (My Documents), no per-format filter.
    for access in [10, 7, 5, 6, 2] {
        let res = put(&s, &owner, id, json!({"access": access})).await;
        assert_eq!(res.status, 200, "access {access}: {}", res.text());
        assert_eq!(res.json()["response"]["access"], access);
        let lid = link_id(&res.json()["response"]);
        put(&s, &owner, id, json!({"linkId": lid, "access": 0})).await;
    }
    // Never silently skipped for a folder: always 403.
    for access in [1, 3, 4, 8, 9, 11] {
        let msg = put(&s, &owner, id, json!({"access": access})).await.assert_error(403);
        assert_eq!(msg, ROLE_NOT_AVAILABLE, "access {access}");
    }
    // Unknown names are a 400 listing the accepted values (decision 3).
    let msg = put(&s, &owner, id, json!({"access": "reader"})).await.assert_error(400);
    assert!(msg.contains("Read (2)"), "{msg}");
    assert_eq!(list(&s, &owner, id).await["response"], json!([]));
}

#[tokio::test]
async fn limits_are_per_folder() {
    let s = TestServer::start().await;
    let (owner, id) = folder(&s).await;
    for _ in 0..6 {
        assert_eq!(put(&s, &owner, id, json!({"access": 2})).await.status, 200);
    }
    let msg = put(&s, &owner, id, json!({"access": 2})).await.assert_error(403);
    assert_eq!(msg, "The maximum number of links may not exceed 6");
    // One primary link per folder (decision 5).
    assert_eq!(put(&s, &owner, id, json!({"access": 2, "primary": true})).await.status, 200);
    let msg = put(&s, &owner, id, json!({"access": 2, "primary": true})).await.assert_error(403);
    assert!(msg.contains("only one primary link"), "{msg}");
    // Links of a subfolder and of a file inside do not count.
    let sub = new_folder(&s, &owner, id, "Sub").await;
    assert_eq!(put(&s, &owner, sub, json!({"access": 2})).await.status, 200);
    let v = list(&s, &owner, id).await;
    assert_eq!(v["response"].as_array().unwrap().len(), 7);
    assert_eq!(v["response"][0]["sharedLink"]["primary"], true, "primary first");
}

#[tokio::test]
async fn the_list_has_no_paging_and_no_total() {
    let s = TestServer::start().await;
    let (owner, id) = folder(&s).await;
    for _ in 0..3 {
        put(&s, &owner, id, json!({"access": 2})).await;
    }
    // count/startIndex are ignored, never validated (folder-links §1).
    let res = s.send(Req::get(&format!("{}?count=1&startIndex=5", links(id))).auth(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let v = res.json();
    assert_eq!(v["response"].as_array().unwrap().len(), 3);
    assert_eq!(v["count"], 3);
    assert!(v.get("total").is_none(), "a folder's list has no total: {v}");
    let res = s.send(Req::get(&format!("{}?count=0", links(id))).auth(&owner)).await;
    assert_eq!(res.status, 200);
}

#[tokio::test]
async fn who_may_manage_a_folders_links() {
    let s = TestServer::start().await;
    let (owner, id) = folder(&s).await;
    let other = s.user("other@example.com", "User").await;
    // Anyone else: an empty list, 403 on changes; anonymous: 401.
    assert_eq!(list(&s, &other, id).await["response"], json!([]));
    assert_eq!(put(&s, &other, id, json!({"access": 2})).await.assert_error(403), "Access denied");
    s.send(Req::get(&links(id))).await.assert_empty(401);
    s.send(Req::get(&primary(id))).await.assert_error(403);
    s.send(Req::get(&primary(id)).auth(&other)).await.assert_error(403);
    // A missing folder: 404 "Item not found".
    assert_eq!(s.send(Req::get(&links(999_999)).auth(&owner)).await.assert_error(404), "Item not found");
    assert_eq!(put(&s, &owner, 999_999, json!({"access": 2})).await.assert_error(404), "Item not found");
    s.send(Req::get(&links(0)).auth(&owner)).await.assert_error(404);
    // My Documents itself cannot be shared.
    let root = my_root(&s, &owner).await;
    let msg = put(&s, &owner, root, json!({"access": 2})).await.assert_error(403);
    assert!(msg.contains("My Documents"), "{msg}");
}

#[tokio::test]
async fn primary_link_get_creates_and_post_honours_the_title() {
    let s = TestServer::start().await;
    let (owner, id) = folder(&s).await;
    let first = s.send(Req::get(&primary(id)).auth(&owner)).await.json()["response"].clone();
    assert_eq!((first["access"].clone(), first["sharedLink"]["primary"].clone()), (json!(2), json!(true)));
    assert_eq!(first["sharedLink"]["title"], "Shared link");
    assert_eq!(first["subjectType"], 4);
    let again = s.send(Req::get(&primary(id)).auth(&owner)).await.json()["response"].clone();
    assert_eq!(link_id(&again), link_id(&first));
    // count is range-checked although unused.
    s.send(Req::get(&format!("{}?count=0", primary(id))).auth(&owner)).await.assert_error(400);

    let (_, other) = folder(&s).await;
    let res = s
        .send(Req::post(&primary(other)).auth(&owner).json(json!({"title": "  Holiday  ", "access": "Editing"})))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let link = res.json()["response"].clone();
    assert_eq!((link["sharedLink"]["title"].clone(), link["access"].clone()), (json!("Holiday"), json!(10)));
    let (_, blank) = folder(&s).await;
    let link = s.send(Req::post(&primary(blank)).auth(&owner).json(json!({"title": "   ", "access": 2}))).await;
    assert_eq!(link.json()["response"]["sharedLink"]["title"], "Shared link");
}

#[tokio::test]
async fn expiry_and_password_rules_as_for_files() {
    let s = TestServer::start().await;
    let (owner, id) = folder(&s).await;
    let msg =
        put(&s, &owner, id, json!({"access": 2, "expirationDate": "2001-01-01T00:00:00Z"})).await.assert_error(400);
    assert!(msg.contains("future"), "{msg}");
    put(&s, &owner, id, json!({"access": 2, "expirationDate": "2099-01-01T00:00:00Z"})).await.assert_error(400);
    let msg = put(&s, &owner, id, json!({"access": 2, "password": "short"})).await.assert_error(400);
    assert!(msg.contains("Password"), "{msg}");
    let res = put(&s, &owner, id, json!({"access": 2, "internal": true, "denyDownload": true})).await;
    let link = res.json()["response"].clone();
    assert_eq!(
        (link["sharedLink"]["internal"].clone(), link["sharedLink"]["denyDownload"].clone()),
        (json!(true), json!(true))
    );
}

#[tokio::test]
async fn folder_info_and_contents_report_shared_flags() {
    let s = TestServer::start().await;
    let (owner, id) = folder(&s).await;
    let sub = new_folder(&s, &owner, id, "Sub").await;
    put(&s, &owner, sub, json!({"access": 2, "internal": true})).await;
    let content = s.send(Req::get(&format!("/api/2.0/files/{id}")).auth(&owner)).await.json();
    let listed = &content["response"]["folders"][0];
    assert_eq!(listed["id"], sub);
    assert_eq!((listed["shared"].clone(), listed["sharedExternal"].clone()), (json!(true), json!(false)));
    assert_eq!(content["response"]["current"]["shared"], false);
    put(&s, &owner, id, json!({"access": 2})).await;
    let info = s.send(Req::get(&format!("/api/2.0/files/folder/{id}")).auth(&owner)).await.json();
    assert_eq!(
        (info["response"]["shared"].clone(), info["response"]["sharedExternal"].clone()),
        (json!(true), json!(true))
    );
}

#[tokio::test]
async fn short_link_opens_the_folder_page() {
    let s = TestServer::start().await;
    let (owner, id) = folder(&s).await;
    let link = put(&s, &owner, id, json!({"access": 2})).await.json()["response"].clone();
    let short = link["sharedLink"]["shareLink"].as_str().unwrap().trim_start_matches(PUBLIC_URL).to_string();
    let res = s.send(Req::get(&short)).await;
    assert_eq!(res.status, 302);
    let to = res.header("location").unwrap();
    assert!(to.starts_with("/rooms/share?key=") && to.ends_with(&format!("&folder={id}")), "{to}");
    let page = s.send(Req::get(&to)).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains("id=\"folder-name\""));
}
