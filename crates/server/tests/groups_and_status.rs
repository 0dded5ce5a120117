//! People and groups as DocSpace's sharing tests make them (issue 15):
//! `PUT people/status/{status}` (a disabled user loses sign-in, sessions,
//! keys and shares at once), the groups API, sharing a file with a group
//! (the best of a person's own and their groups' access wins, through the
//! one access check), `GET file/{id}/group/{groupId}/share`, and the
//! security info routes `PUT/POST files/share` and `GET file/{id}/share`.
//! Every request goes over a real socket.

mod common;

use common::*;
use serde_json::{json, Value};

const CONTENT: &[u8] = b"shared with a group";
const PASSWORD: &str = "user-password-1";
const EMPTY_GUID: &str = "00000000-0000-0000-0000-000000000000";

async fn me(s: &TestServer, token: &str) -> String {
    let res = s.send(Req::get("/api/2.0/people/@self").auth(token)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["response"]["id"].as_str().expect("id").to_string()
}

async fn new_group(s: &TestServer, token: &str, name: &str, manager: &str, members: &[&str]) -> Value {
    let body = json!({"groupName": name, "groupManager": manager, "members": members});
    let res = s.send(Req::post("/api/2.0/group").auth(token).json(body)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["response"].clone()
}

async fn share(s: &TestServer, token: &str, file: i64, to: &str, access: i64) -> Resp {
    let body = json!({"share": [{"shareTo": to, "access": access}], "notify": false});
    s.send(Req::put(&format!("/api/2.0/files/file/{file}/share")).auth(token).json(body)).await
}

fn download(id: i64) -> Req {
    Req::get(&format!("/filehandler.ashx?action=download&fileid={id}"))
}

fn upload_version(id: i64) -> Req {
    Req::put(&format!("/api/2.0/files/{id}/update")).multipart("file", "new.txt", b"a new version")
}

async fn set_status(s: &TestServer, token: &str, status: &str, ids: &[&str]) -> Resp {
    let body = json!({"userIds": ids, "resendAll": false});
    s.send(Req::put(&format!("/api/2.0/people/status/{status}")).auth(token).json(body)).await
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array().expect("a list").iter().map(|u| u["id"].as_str().unwrap_or_default().to_string()).collect()
}

#[tokio::test]
async fn a_disabled_user_loses_sign_in_sessions_keys_and_shares_at_once() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let bob = s.user("bob@example.com", "User").await;
    let bob_id = me(&s, &bob).await;
    let (bob_key, _) = s.api_key(&bob, &[]).await;
    let file = s.upload_id(&owner, "notes.txt", CONTENT).await;
    assert_eq!(share(&s, &owner, file, &bob_id, 2).await.status, 200);
    assert_eq!(s.send(download(file).auth(&bob)).await.status, 200);

    let res = set_status(&s, &owner, "Terminated", &[&bob_id]).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let users = res.json()["response"].clone();
    assert_eq!(ids(&users), [bob_id.as_str()]);
    assert_eq!(users[0]["status"], 2);

    // The session, the key and the password all stop working at once.
    s.send(Req::get("/api/2.0/people/@self").auth(&bob)).await.assert_empty(401);
    s.send(Req::get("/api/2.0/people/@self").auth(&bob_key)).await.assert_empty(401);
    let login = json!({"userName": "bob@example.com", "password": PASSWORD});
    s.send(Req::post("/api/2.0/authentication").json(login.clone())).await.assert_error(401);
    // What was shared with him no longer reaches him.
    s.send(download(file).auth(&bob_key)).await.assert_error(403);

    // Enabled again (by number): the password and the key work again; the
    // ended session does not come back.
    let res = set_status(&s, &owner, "1", &[&bob_id]).await;
    assert_eq!(res.json()["response"][0]["status"], 1, "{}", res.text());
    s.send(Req::get("/api/2.0/people/@self").auth(&bob)).await.assert_empty(401);
    let again = s.login("bob@example.com", PASSWORD).await;
    assert_eq!(s.send(download(file).auth(&again)).await.status, 200);
    assert_eq!(s.send(download(file).auth(&bob_key)).await.status, 200);
}

#[tokio::test]
async fn only_admins_change_statuses_and_never_the_owners_or_their_own() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let owner_id = me(&s, &owner).await;
    let admin = s.user("admin@example.com", "DocSpaceAdmin").await;
    let admin_id = me(&s, &admin).await;
    let other_admin = s.user("admin2@example.com", "DocSpaceAdmin").await;
    let other_admin_id = me(&s, &other_admin).await;
    let bob = s.user("bob@example.com", "User").await;
    let bob_id = me(&s, &bob).await;

    assert_eq!(set_status(&s, &bob, "Terminated", &[&owner_id]).await.assert_error(403), "Access denied");
    // An admin may not disable the owner, themselves or another admin: the
    // answer lists them unchanged, as DocSpace.
    let res = set_status(&s, &admin, "Terminated", &[&owner_id, &admin_id, &other_admin_id, &bob_id, "nobody"]).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let users = res.json()["response"].clone();
    assert_eq!(ids(&users), [owner_id.clone(), admin_id.clone(), other_admin_id.clone(), bob_id.clone()]);
    let statuses: Vec<i64> = users.as_array().unwrap().iter().map(|u| u["status"].as_i64().unwrap()).collect();
    assert_eq!(statuses, [1, 1, 1, 2]);
    // The owner may disable an admin.
    let res = set_status(&s, &owner, "Terminated", &[&other_admin_id]).await;
    assert_eq!(res.json()["response"][0]["status"], 2);
    s.send(Req::get("/api/2.0/people/@self").auth(&other_admin)).await.assert_empty(401);

    assert!(set_status(&s, &owner, "Pending", &[&bob_id]).await.assert_error(400).contains("Active"));
}

#[tokio::test]
async fn groups_are_made_read_changed_and_deleted_by_admins() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let owner_id = me(&s, &owner).await;
    let bob = s.user("bob@example.com", "User").await;
    let bob_id = me(&s, &bob).await;
    let carol = s.user("carol@example.com", "User").await;
    let carol_id = me(&s, &carol).await;
    let guest = s.user("guest@example.com", "Guest").await;

    let group = new_group(&s, &owner, "Design", &owner_id, &[&bob_id]).await;
    let gid = group["id"].as_str().unwrap().to_string();
    assert_eq!(group["name"], "Design");
    assert_eq!(group["manager"]["id"], owner_id.as_str());
    assert_eq!(group["membersCount"], 2, "the manager is a member too: {group}");
    assert_eq!(group["isLDAP"], false);
    assert_eq!(group["category"], EMPTY_GUID);
    let mut members = ids(&group["members"]);
    members.sort();
    let mut want = vec![owner_id.clone(), bob_id.clone()];
    want.sort();
    assert_eq!(members, want);

    // Who may do what.
    let body = json!({"groupName": "Mine", "groupManager": EMPTY_GUID, "members": []});
    let res = s.send(Req::post("/api/2.0/group").auth(&bob).json(body)).await;
    assert_eq!(res.assert_error(403), "Access denied");
    s.send(Req::get(&format!("/api/2.0/group/{gid}")).auth(&guest)).await.assert_error(403);
    let res = s.send(Req::get(&format!("/api/2.0/group/{gid}")).auth(&bob)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    // Bad input.
    let body = json!({"groupName": " ", "groupManager": EMPTY_GUID});
    s.send(Req::post("/api/2.0/group").auth(&owner).json(body)).await.assert_error(400);
    let body = json!({"groupName": "Bad\u{202e}name", "groupManager": EMPTY_GUID});
    s.send(Req::post("/api/2.0/group").auth(&owner).json(body)).await.assert_error(400);
    let body = json!({"groupName": "X", "groupManager": EMPTY_GUID, "members": ["nobody"]});
    assert!(s.send(Req::post("/api/2.0/group").auth(&owner).json(body)).await.assert_error(400).contains("nobody"));
    s.send(Req::get("/api/2.0/group/nope").auth(&owner)).await.assert_error(404);

    // Lists leave the members out; includeMembers=false too.
    let list = s.send(Req::get("/api/2.0/group").auth(&owner)).await.json();
    assert_eq!(list["total"], 1);
    assert!(list["response"][0].get("members").is_none());
    let bare = s.send(Req::get(&format!("/api/2.0/group/{gid}?includeMembers=false")).auth(&owner)).await.json();
    assert!(bare["response"].get("members").is_none());
    let of_bob = s.send(Req::get(&format!("/api/2.0/group/user/{bob_id}")).auth(&owner)).await.json();
    assert_eq!(ids(&of_bob["response"]), [gid.as_str()]);

    // Changes: rename, members in and out, replace, remove.
    let body = json!({"groupName": "Design team", "membersToAdd": [carol_id], "membersToRemove": [bob_id]});
    let res = s.send(Req::put(&format!("/api/2.0/group/{gid}")).auth(&owner).json(body)).await;
    assert_eq!(res.json()["response"]["name"], "Design team", "{}", res.text());
    let mut now = ids(&res.json()["response"]["members"]);
    now.sort();
    let mut want = vec![owner_id.clone(), carol_id.clone()];
    want.sort();
    assert_eq!(now, want);
    let res = s
        .send(Req::post(&format!("/api/2.0/group/{gid}/members")).auth(&owner).json(json!({"members": [bob_id]})))
        .await;
    assert_eq!(ids(&res.json()["response"]["members"]), [bob_id.as_str()], "{}", res.text());
    let res = s
        .send(Req::put(&format!("/api/2.0/group/{gid}/members")).auth(&owner).json(json!({"members": [carol_id]})))
        .await;
    assert_eq!(res.json()["response"]["membersCount"], 2);
    let res = s
        .send(Req::delete(&format!("/api/2.0/group/{gid}/members")).auth(&owner).json(json!({"members": [bob_id]})))
        .await;
    assert_eq!(ids(&res.json()["response"]["members"]), [carol_id.as_str()]);

    s.send(Req::delete(&format!("/api/2.0/group/{gid}")).auth(&bob)).await.assert_error(403);
    assert_eq!(s.send(Req::delete(&format!("/api/2.0/group/{gid}")).auth(&owner)).await.status, 200);
    s.send(Req::get(&format!("/api/2.0/group/{gid}")).auth(&owner)).await.assert_error(404);
    s.send(Req::delete(&format!("/api/2.0/group/{gid}")).auth(&owner)).await.assert_error(404);
}

#[tokio::test]
async fn a_group_share_reaches_every_member_and_the_better_access_wins() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let owner_id = me(&s, &owner).await;
    let bob = s.user("bob@example.com", "User").await;
    let bob_id = me(&s, &bob).await;
    let carol = s.user("carol@example.com", "User").await;
    let carol_id = me(&s, &carol).await;
    let dave = s.user("dave@example.com", "User").await;
    let file = s.upload_id(&owner, "plan.txt", CONTENT).await;
    let gid = new_group(&s, &owner, "Team", &owner_id, &[&bob_id, &carol_id]).await["id"].as_str().unwrap().to_string();

    s.send(download(file).auth(&bob)).await.assert_error(403);
    let res = share(&s, &owner, file, &gid, 2).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let records = res.json()["response"].clone();
    assert_eq!(records.as_array().unwrap().len(), 1, "the named subject only: {records}");
    assert_eq!(records[0]["subjectType"], 2);
    assert_eq!(records[0]["sharedToGroup"]["id"], gid.as_str());
    assert_eq!(records[0]["sharedTo"]["name"], "Team");
    assert_eq!(records[0]["access"], 2);
    assert_eq!(records[0]["canEditAccess"], true);

    // Members read and download it and find it in Shared with me; others not.
    assert_eq!(s.send(download(file).auth(&bob)).await.body, CONTENT);
    let mine = s.send(Req::get("/api/2.0/files/@share").auth(&carol)).await.json();
    assert_eq!(mine["response"]["total"], 1);
    assert_eq!(mine["response"]["files"][0]["access"], 2);
    s.send(download(file).auth(&dave)).await.assert_error(403);
    s.send(upload_version(file).auth(&bob)).await.assert_error(403);
    // The owner's own file is never in their Shared with me.
    assert_eq!(s.send(Req::get("/api/2.0/files/@share").auth(&owner)).await.json()["response"]["total"], 0);

    // Bob's own Editing share beats the group's Read; Carol keeps Read.
    assert_eq!(share(&s, &owner, file, &bob_id, 10).await.status, 200);
    assert_eq!(s.send(upload_version(file).auth(&bob)).await.status, 200);
    s.send(upload_version(file).auth(&carol)).await.assert_error(403);
    // And the group's Editing beats Carol's own Read.
    assert_eq!(share(&s, &owner, file, &carol_id, 2).await.status, 200);
    assert_eq!(share(&s, &owner, file, &gid, 10).await.status, 200);
    assert_eq!(s.send(upload_version(file).auth(&carol)).await.status, 200);

    // sharedusers lists every person reached, once; the owner's DTO says it is shared.
    let users = s.send(Req::get(&format!("/api/2.0/files/file/{file}/sharedusers")).auth(&owner)).await.json();
    let mut reached = ids(&users["response"]);
    reached.sort();
    let mut want = vec![bob_id.clone(), carol_id.clone()];
    want.sort();
    assert_eq!(reached, want);
    let info = s.send(Req::get(&format!("/api/2.0/files/file/{file}")).auth(&owner)).await.json();
    assert_eq!(info["response"]["sharedForUser"], true);
    assert_eq!(info["response"]["shared"], true);

    // Taking Carol out of the group leaves her own Read, at once.
    let body = json!({"members": [carol_id]});
    s.send(Req::delete(&format!("/api/2.0/group/{gid}/members")).auth(&owner).json(body)).await;
    s.send(upload_version(file).auth(&carol)).await.assert_error(403);
    assert_eq!(s.send(download(file).auth(&carol)).await.status, 200);
    // Deleting the group ends what only it gave.
    assert_eq!(share(&s, &owner, file, &bob_id, 0).await.status, 200);
    assert_eq!(s.send(download(file).auth(&bob)).await.status, 200, "still through the group");
    s.send(Req::delete(&format!("/api/2.0/group/{gid}")).auth(&owner)).await;
    s.send(download(file).auth(&bob)).await.assert_error(403);
    assert_eq!(s.send(Req::get("/api/2.0/files/@share").auth(&bob)).await.json()["response"]["total"], 0);
}

#[tokio::test]
async fn group_members_share_lists_each_members_access_and_refuses_guests() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let owner_id = me(&s, &owner).await;
    let bob = s.user("bob@example.com", "User").await;
    let bob_id = me(&s, &bob).await;
    let guest = s.user("guest@example.com", "Guest").await;
    let guest_id = me(&s, &guest).await;
    let file = s.upload_id(&owner, "plan.txt", CONTENT).await;
    let gid = new_group(&s, &owner, "Team", &owner_id, &[&owner_id, &bob_id]).await["id"].as_str().unwrap().to_string();
    let url = format!("/api/2.0/files/file/{file}/group/{gid}/share");

    // Not shared with the group yet: an empty list.
    let res = s.send(Req::get(&url).auth(&owner)).await;
    assert_eq!(res.json()["response"], json!([]), "{}", res.text());

    assert_eq!(share(&s, &owner, file, &guest_id, 2).await.status, 200);
    assert_eq!(s.send(Req::get(&url).auth(&guest)).await.assert_error(403), "Access denied");
    assert_eq!(share(&s, &owner, file, &gid, 6).await.status, 200);
    assert_eq!(s.send(Req::get(&url).auth(&guest)).await.assert_error(403), "Access denied");
    assert_eq!(share(&s, &owner, file, &bob_id, 10).await.status, 200);

    let res = s.send(Req::get(&url).auth(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["total"], 2);
    let members = res.json()["response"].clone();
    let of = |id: &str| members.as_array().unwrap().iter().find(|m| m["user"]["id"] == id).cloned().unwrap();
    let (o, b) = (of(&owner_id), of(&bob_id));
    assert_eq!(o["owner"], true);
    assert_eq!(o["userAccess"], 9, "the owner reads RoomManager, as DocSpace");
    assert_eq!(o["canEditAccess"], false);
    assert_eq!(b["groupAccess"], 6);
    assert_eq!(b["userAccess"], 10);
    assert_eq!(b["overridden"], true);
    assert_eq!(b["canEditAccess"], true);
    // A member who may read but not share sees the list without edit rights.
    let res = s.send(Req::get(&url).auth(&bob)).await;
    assert!(res.json()["response"].as_array().unwrap().iter().all(|m| m["canEditAccess"] == false));
    // Paging.
    let page = s.send(Req::get(&format!("{url}?startIndex=1&count=1")).auth(&owner)).await.json();
    assert_eq!(page["response"].as_array().unwrap().len(), 1);
    assert_eq!(page["total"], 2);
}

#[tokio::test]
async fn security_info_is_set_and_read_for_several_files_at_once() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let owner_id = me(&s, &owner).await;
    let bob = s.user("bob@example.com", "User").await;
    let bob_id = me(&s, &bob).await;
    let carol = s.user("carol@example.com", "User").await;
    let carol_id = me(&s, &carol).await;
    let a = s.upload_id(&owner, "a.txt", CONTENT).await;
    let b = s.upload_id(&owner, "b.txt", CONTENT).await;
    let theirs = s.upload_id(&bob, "bob.txt", CONTENT).await;

    // An access DocSpace binds as None, on nobody's share: nothing changes, `[]`.
    let body = json!({"fileIds": [a], "share": [{"shareTo": bob_id, "access": ""}], "notify": true});
    let res = s.send(Req::put("/api/2.0/files/share").auth(&owner).json(body)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["response"], json!([]));

    // Both files to Bob at Read (ids as strings too), Carol on one at Editing.
    let body = json!({"fileIds": [a, b.to_string()], "share": [{"shareTo": bob_id, "access": 2}], "notify": false});
    let res = s.send(Req::put("/api/2.0/files/share").auth(&owner).json(body)).await;
    let records = res.json()["response"].clone();
    assert_eq!(records.as_array().unwrap().len(), 2, "one record per file: {records}");
    assert!(records.as_array().unwrap().iter().all(|r| r["sharedToUser"]["id"] == bob_id.as_str() && r["access"] == 2));
    let body = json!({"fileIds": [a], "share": [{"shareTo": carol_id, "access": "Editing"}]});
    assert_eq!(s.send(Req::put("/api/2.0/files/share").auth(&owner).json(body)).await.status, 200);
    assert_eq!(s.send(download(b).auth(&bob)).await.status, 200);

    // Someone else's file is refused even when nothing would change.
    let body = json!({"fileIds": [theirs], "share": []});
    assert_eq!(
        s.send(Req::put("/api/2.0/files/share").auth(&owner).json(body)).await.assert_error(403),
        "You don't have enough permission to perform the operation"
    );
    let body = json!({"fileIds": [a], "share": [{"shareTo": carol_id, "access": 0}]});
    s.send(Req::put("/api/2.0/files/share").auth(&bob).json(body)).await.assert_error(403);

    // POST reads them merged: the caller first, then by name; differing
    // accesses read Varies (4).
    let res = s.send(Req::post("/api/2.0/files/share").auth(&owner).json(json!({"fileIds": [a, b]}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let merged = res.json()["response"].clone();
    assert_eq!(ids_of_records(&merged)[0], owner_id);
    assert_eq!(merged[0]["isOwner"], true);
    assert_eq!(merged[0]["access"], 1);
    assert_eq!(record_of(&merged, &bob_id)["access"], 2);
    assert_eq!(record_of(&merged, &carol_id)["access"], 4, "Carol has Editing on one file only");
    assert_eq!(record_of(&merged, &carol_id)["canEditAccess"], true);
    // One file: real levels; Bob, who may read it, sees himself first, then the owner.
    let res = s.send(Req::post("/api/2.0/files/share").auth(&bob).json(json!({"fileIds": [a]}))).await;
    let one = res.json()["response"].clone();
    assert_eq!(ids_of_records(&one), [bob_id.clone(), owner_id.clone(), carol_id.clone()], "{one}");
    assert_eq!(one[2]["access"], 10);
    assert_eq!(one[2]["canEditAccess"], false, "Bob may not change it");
    // A file the caller cannot read fails the whole call; unknown ids are skipped.
    s.send(Req::post("/api/2.0/files/share").auth(&carol).json(json!({"fileIds": [a, b]}))).await.assert_error(403);
    let res = s.send(Req::post("/api/2.0/files/share").auth(&owner).json(json!({"fileIds": [999999]}))).await;
    assert_eq!(res.json()["response"], json!([]));

    // GET file/{id}/share: the owner sees everyone; a reader gets [].
    let res = s.send(Req::get(&format!("/api/2.0/files/file/{a}/share")).auth(&owner)).await;
    let all = res.json()["response"].clone();
    assert_eq!(ids_of_records(&all).len(), 3, "{all}");
    assert_eq!(all[0]["sharedTo"]["id"], owner_id.as_str());
    assert_eq!(record_of(&all, &carol_id)["access"], 10);
    let res = s.send(Req::get(&format!("/api/2.0/files/file/{a}/share")).auth(&bob)).await;
    assert_eq!(res.json()["response"], json!([]));
}

fn record_of(list: &Value, id: &str) -> Value {
    list.as_array().expect("a list").iter().find(|r| r["sharedTo"]["id"] == id).cloned().expect("a record")
}

fn ids_of_records(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|r| r["sharedTo"]["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn a_sharing_message_over_255_characters_is_docspaces_validation_error() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let bob = s.user("bob@example.com", "User").await;
    let bob_id = me(&s, &bob).await;
    let file = s.upload_id(&owner, "a.txt", CONTENT).await;
    let long = "a".repeat(256);

    let body = json!({"share": [{"shareTo": bob_id, "access": 2}], "notify": true, "sharingMessage": long});
    let res = s.send(Req::put(&format!("/api/2.0/files/file/{file}/share")).auth(&owner).json(body)).await;
    assert_eq!(res.status, 400, "{}", res.text());
    let v = res.json();
    assert_eq!(
        v["response"]["errors"]["SecurityInfoSimple.SharingMessage"],
        json!(["The field SharingMessage must be a string with a maximum length of 255."])
    );
    assert_eq!(v["statusCode"], 400);
    assert!(v["error"]["message"].as_str().unwrap().contains("255"));
    s.send(download(file).auth(&bob)).await.assert_error(403);

    let body = json!({"fileIds": [file], "share": [{"shareTo": bob_id, "access": 2}], "sharingMessage": long});
    let res = s.send(Req::put("/api/2.0/files/share").auth(&owner).json(body)).await;
    assert_eq!(res.status, 400);
    assert!(res.json()["response"]["errors"]["SharingMessage"].is_array(), "{}", res.text());

    // 255 is fine.
    let body = json!({"share": [{"shareTo": bob_id, "access": 2}], "sharingMessage": "a".repeat(255)});
    let res = s.send(Req::put(&format!("/api/2.0/files/file/{file}/share")).auth(&owner).json(body)).await;
    assert_eq!(res.status, 200, "{}", res.text());
}
