//! Previous versions are kept (issue 10, hole 8): a new version, through an
//! Editing link or by the owner, keeps the previous content; the owner lists
//! them (`GET files/file/{id}/history`) and restores one
//! (`POST files/file/{id}/restoreversion?version=N`), as DocSpace names them.

mod common;

use common::*;
use serde_json::{json, Value};

fn update(id: i64, content: &[u8]) -> Req {
    Req::put(&format!("/api/2.0/files/{id}/update")).multipart("file", "new.txt", content)
}

fn download(id: i64, version: Option<i64>) -> Req {
    let v = version.map(|v| format!("&version={v}")).unwrap_or_default();
    Req::get(&format!("/filehandler.ashx?action=download&fileid={id}{v}"))
}

async fn history(s: &TestServer, who: &str, id: i64) -> Vec<Value> {
    let res = s.send(Req::get(&format!("/api/2.0/files/file/{id}/history")).auth(who)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["response"].as_array().expect("a list").clone()
}

fn blob_count(s: &TestServer) -> usize {
    fn walk(p: &std::path::Path) -> usize {
        std::fs::read_dir(p)
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum())
            .unwrap_or(0)
    }
    walk(&s.data_dir.join("blobs"))
}

#[tokio::test]
async fn editing_link_uploads_keep_previous_versions_and_the_owner_restores_one() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let (id, _, token) = s.shared_file("Notes.txt", b"version one", json!({"access": "Editing"})).await;
    let res = s.send(update(id, b"version two").share(&token)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = s.send(update(id, b"version three").auth(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text());

    let h = history(&s, &owner, id).await;
    let versions: Vec<i64> = h.iter().map(|f| f["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [3, 2, 1], "newest first, as DocSpace");
    assert!(h.iter().all(|f| f["id"] == id && f["title"] == "Notes.txt"), "{h:?}");
    assert_eq!(h[0]["versionGroup"], 3);
    assert_eq!(h[2]["pureContentLength"], 11);
    assert_eq!(h[2]["comment"], "Created");
    assert_eq!(h[1]["comment"], "Uploaded");
    assert!(h[2]["viewUrl"].as_str().unwrap().ends_with(&format!("fileid={id}&version=1")), "{}", h[2]["viewUrl"]);
    // Every version can still be downloaded by its owner.
    for (v, body) in [(1, &b"version one"[..]), (2, b"version two"), (3, b"version three")] {
        let res = s.send(download(id, Some(v)).auth(&owner)).await;
        assert_eq!((res.status, res.body.as_slice()), (200, body), "version {v}");
    }

    // Restoring version 1 makes version 4 with its content.
    let res = s.send(Req::post(&format!("/api/2.0/files/file/{id}/restoreversion?version=1")).auth(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let edits = res.json()["response"].as_array().expect("EditHistoryDto list").clone();
    assert_eq!(edits.iter().map(|e| e["version"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert_eq!(edits[3]["id"], id);
    assert_eq!(edits[3]["versionGroup"], 4);
    assert!(edits[3]["key"].as_str().is_some_and(|k| !k.is_empty()));
    assert!(edits[3]["user"]["id"].is_string() && edits[3]["created"].is_string(), "{}", edits[3]);
    let res = s.send(download(id, None).auth(&owner)).await;
    assert_eq!(res.body, b"version one");
    let res = s.send(download(id, None).share(&token)).await;
    assert_eq!(res.body, b"version one", "visitors get the restored content");
    let h = history(&s, &owner, id).await;
    assert_eq!(h.len(), 4);
    assert!(h[0]["comment"].as_str().unwrap().starts_with("Restored from the revision of "), "{}", h[0]["comment"]);
}

#[tokio::test]
async fn restore_refuses_bad_versions_and_other_people() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let (id, _, token) = s.shared_file("Doc.txt", b"one", json!({"access": "Editing"})).await;
    assert_eq!(s.send(update(id, b"two").auth(&owner)).await.status, 200);
    let restore = |q: &str| Req::post(&format!("/api/2.0/files/file/{id}/restoreversion{q}"));
    s.send(restore("?version=2").auth(&owner)).await.assert_error(400);
    s.send(restore("").auth(&owner)).await.assert_error(400);
    s.send(restore("?version=0").auth(&owner)).await.assert_error(400);
    s.send(restore("?version=x").auth(&owner)).await.assert_error(400);
    s.send(restore("?version=9").auth(&owner)).await.assert_error(404);
    s.send(Req::post("/api/2.0/files/file/999999/restoreversion?version=1").auth(&owner)).await.assert_error(404);
    // A GET must not restore (a link in a mail or an <img> could trigger it).
    let res = s.send(Req::get(&format!("/api/2.0/files/file/{id}/restoreversion?version=1")).auth(&owner)).await;
    assert_eq!(res.status, 405);
    // Visitors of an Editing link, other users and anonymous callers neither
    // list nor restore.
    let other = s.user("other@example.com", "User").await;
    s.send(restore("?version=1").share(&token)).await.assert_error(403);
    s.send(restore("?version=1").auth(&other)).await.assert_error(403);
    s.send(restore("?version=1")).await.assert_error(403);
    let hist = format!("/api/2.0/files/file/{id}/history");
    s.send(Req::get(&hist).share(&token)).await.assert_error(403);
    s.send(Req::get(&hist).auth(&other)).await.assert_error(403);
    s.send(download(id, Some(1)).share(&token)).await.assert_error(403);
    let file = s.store().file(id).await.unwrap().unwrap();
    assert_eq!(file.version, 2, "nothing was restored");
}

#[tokio::test]
async fn only_the_configured_number_of_previous_versions_is_kept() {
    let s = TestServer::start_with(|c| c.keep_versions = 2).await;
    let owner = s.owner().await;
    let id = s.upload_id(&owner, "Many.txt", b"v1").await;
    let before = blob_count(&s);
    for n in 2..=6 {
        let res = s.send(update(id, format!("v{n}").as_bytes()).auth(&owner)).await;
        assert_eq!(res.status, 200, "{}", res.text());
    }
    let h = history(&s, &owner, id).await;
    assert_eq!(h.iter().map(|f| f["version"].as_i64().unwrap()).collect::<Vec<_>>(), [6, 5, 4]);
    assert_eq!(blob_count(&s), before + 2, "the blobs of dropped versions are deleted");
    s.send(download(id, Some(2)).auth(&owner)).await.assert_error(404);
    // A restored version shares its blob: dropping the old row keeps it.
    let res = s.send(Req::post(&format!("/api/2.0/files/file/{id}/restoreversion?version=4")).auth(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    for n in 8..=9 {
        assert_eq!(s.send(update(id, format!("v{n}").as_bytes()).auth(&owner)).await.status, 200);
    }
    let h = history(&s, &owner, id).await;
    assert_eq!(h.iter().map(|f| f["version"].as_i64().unwrap()).collect::<Vec<_>>(), [9, 8, 7]);
    assert_eq!(s.send(download(id, Some(7)).auth(&owner)).await.body, b"v4");
    // Deleting the file deletes every version's blob.
    assert_eq!(s.send(Req::delete(&format!("/api/2.0/files/file/{id}")).auth(&owner)).await.status, 200);
    assert_eq!(blob_count(&s), before - 1);
}
