//! Sharing a file with people of this server (issue 15): `PUT
//! file/{id}/share`, `GET file/{id}/sharedusers`, "Shared with me"
//! (`GET @share`), and what a person may do with the file at their access,
//! through the one access check.

mod common;

use common::*;
use serde_json::{json, Value};

const CONTENT: &[u8] = b"shared with people";
const NO_PERMISSION: &str = "You don't have enough permission to perform the operation";

fn share_url(id: i64) -> String {
    format!("/api/2.0/files/file/{id}/share")
}

async fn user_id(s: &TestServer, token: &str) -> String {
    let res = s.send(Req::get("/api/2.0/people/@self").auth(token)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["response"]["id"].as_str().expect("id").to_string()
}

async fn share(s: &TestServer, token: &str, file: i64, to: &str, access: i64) -> Resp {
    let body = json!({"share": [{"shareTo": to, "access": access}], "notify": false, "sharingMessage": ""});
    s.send(Req::put(&share_url(file)).auth(token).json(body)).await
}

fn download(id: i64) -> Req {
    Req::get(&format!("/filehandler.ashx?action=download&fileid={id}"))
}

fn upload_version(id: i64, content: &[u8]) -> Req {
    Req::put(&format!("/api/2.0/files/{id}/update")).multipart("file", "new.txt", content)
}

async fn shared_with_me(s: &TestServer, token: &str) -> Value {
    let res = s.send(Req::get("/api/2.0/files/@share").auth(token)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["response"].clone()
}

struct Setup {
    s: TestServer,
    owner: String,
    bob: String,
    bob_id: String,
    carol: String,
    file: i64,
}

async fn setup() -> Setup {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let bob = s.user("bob@example.com", "User").await;
    let carol = s.user("carol@example.com", "User").await;
    let bob_id = user_id(&s, &bob).await;
    let file = s.upload_id(&owner, "notes.txt", CONTENT).await;
    Setup { s, owner, bob, bob_id, carol, file }
}

#[tokio::test]
async fn read_share_lets_the_person_open_and_download_and_nothing_more() {
    let Setup { s, owner, bob, bob_id, carol, file } = setup().await;
    // Before the share Bob gets nothing.
    s.send(download(file).auth(&bob)).await.assert_error(403);
    assert_eq!(shared_with_me(&s, &bob).await["total"], 0);

    let res = share(&s, &owner, file, &bob_id, 2).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let shares = res.json()["response"].as_array().expect("a list").clone();
    // As DocSpace: the records of the subjects named, as they stand now.
    assert_eq!(shares.len(), 1, "Bob's record only: {shares:?}");
    assert_eq!(shares[0]["sharedTo"]["id"], bob_id.as_str());
    assert_eq!(shares[0]["sharedToUser"]["email"], "bob@example.com");
    assert_eq!(shares[0]["access"], 2);
    assert_eq!(shares[0]["isOwner"], false);
    assert_eq!(shares[0]["isLocked"], false);
    assert_eq!(shares[0]["canEditAccess"], true);
    assert_eq!(shares[0]["subjectType"], 0);

    let users = s.send(Req::get(&format!("/api/2.0/files/file/{file}/sharedusers")).auth(&owner)).await;
    assert_eq!(users.status, 200, "{}", users.text());
    let users = users.json()["response"].clone();
    assert_eq!(users.as_array().unwrap().len(), 1, "{users}");
    assert_eq!(users[0]["user"]["id"], bob_id.as_str());
    assert_eq!(users[0]["email"], "bob@example.com");
    assert_eq!(users[0]["id"], bob_id.as_str());
    assert_eq!(users[0]["hasAccess"], false, "DocSpace leaves it unset");

    // "Shared with me" lists the file, as Bob may use it.
    let folder = shared_with_me(&s, &bob).await;
    assert_eq!(folder["current"]["rootFolderType"], 6);
    assert_eq!(folder["total"], 1);
    let dto = &folder["files"][0];
    assert_eq!(dto["id"], file);
    assert_eq!(dto["access"], 2);
    assert_eq!(dto["rootFolderType"], 6);
    assert_eq!(dto["security"]["Read"], true);
    assert_eq!(dto["security"]["Download"], true);
    assert_eq!(dto["security"]["Edit"], false);
    assert_eq!(dto["security"]["Delete"], false);
    assert_eq!(dto["canShare"], false);

    // Bob opens and downloads it.
    let info = s.send(Req::get(&format!("/api/2.0/files/file/{file}")).auth(&bob)).await;
    assert_eq!(info.status, 200, "{}", info.text());
    assert_eq!(info.json()["response"]["title"], "notes.txt");
    let got = s.send(download(file).auth(&bob)).await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.body, CONTENT);

    // Read does not let him upload a version, rename, delete or share it.
    s.send(upload_version(file, b"bob's").auth(&bob)).await.assert_error(403);
    s.send(Req::delete(&format!("/api/2.0/files/file/{file}")).auth(&bob)).await.assert_error(403);
    assert_eq!(share(&s, &bob, file, &bob_id, 10).await.assert_error(403), NO_PERMISSION);
    s.send(Req::get(&format!("/api/2.0/files/file/{file}/sharedusers")).auth(&bob)).await.assert_error(403);
    assert_eq!(s.send(download(file).auth(&owner)).await.body, CONTENT, "content unchanged");

    // Carol, not shared with, gets a 403 and no byte of the file.
    for req in [download(file), Req::get(&format!("/api/2.0/files/file/{file}"))] {
        let res = s.send(req.auth(&carol)).await;
        res.assert_error(403);
        assert!(!res.text().contains("shared with people"));
    }
    assert_eq!(shared_with_me(&s, &carol).await["total"], 0);
}

#[tokio::test]
async fn editing_share_lets_the_person_upload_a_version_and_access_0_removes_it() {
    let Setup { s, owner, bob, bob_id, file, .. } = setup().await;
    assert_eq!(share(&s, &owner, file, &bob_id, 10).await.status, 200);
    let res = s.send(upload_version(file, b"bob's version").auth(&bob)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(s.send(download(file).auth(&owner)).await.body, b"bob's version");

    // Changing the access to Read (naming Bob by email) takes editing away.
    let body = json!({"share": [{"email": "BOB@example.com", "access": "Read"}]});
    let res = s.send(Req::put(&share_url(file)).auth(&owner).json(body)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["response"][0]["access"], 2);
    s.send(upload_version(file, b"again").auth(&bob)).await.assert_error(403);

    // Access 0 removes the share: Bob loses the file and it leaves his list.
    let res = share(&s, &owner, file, &bob_id, 0).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["response"], json!([]), "a removed subject has no record");
    s.send(download(file).auth(&bob)).await.assert_error(403);
    s.send(Req::get(&format!("/api/2.0/files/file/{file}")).auth(&bob)).await.assert_error(403);
    assert_eq!(shared_with_me(&s, &bob).await["total"], 0);
}

#[tokio::test]
async fn only_the_owner_shares_and_bad_requests_are_400() {
    let Setup { s, owner, bob, bob_id, carol, file } = setup().await;
    let carol_id = user_id(&s, &carol).await;
    // Bob's own file cannot be shared by the server's owner, nor by Carol.
    let bobs = s.upload_id(&bob, "bob.txt", b"bob's file").await;
    assert_eq!(share(&s, &owner, bobs, &carol_id, 2).await.assert_error(403), NO_PERMISSION);
    assert_eq!(share(&s, &carol, bobs, &carol_id, 2).await.assert_error(403), NO_PERMISSION);
    s.send(download(bobs).auth(&carol)).await.assert_error(403);
    // Unknown users, the owner themself, and access levels a person cannot have.
    share(&s, &owner, file, "00000000-0000-0000-0000-000000000000", 2).await.assert_error(400);
    let owner_id = user_id(&s, &owner).await;
    share(&s, &owner, file, &owner_id, 2).await.assert_error(400);
    share(&s, &owner, file, &bob_id, 9).await.assert_error(400);
    let res = s.send(Req::put(&share_url(file)).auth(&owner).json(json!({"share": "bob"}))).await;
    res.assert_error(400);
    // A missing file is 404; nothing was shared by the refusals.
    share(&s, &owner, i64::MAX, &bob_id, 2).await.assert_error(404);
    assert_eq!(shared_with_me(&s, &carol).await["total"], 0);
    assert_eq!(shared_with_me(&s, &bob).await["total"], 0);
    // Deleting the file ends the share.
    assert_eq!(share(&s, &owner, file, &bob_id, 2).await.status, 200);
    assert_eq!(shared_with_me(&s, &bob).await["total"], 1);
    let res = s.send(Req::delete(&format!("/api/2.0/files/file/{file}")).auth(&owner)).await;
    assert!(res.status < 300, "{}", res.text());
    assert_eq!(shared_with_me(&s, &bob).await["total"], 0);
}
