//! Share tokens are unique forever (issue 10, hole 7): a link deleted and
//! created again with the same id (clients may choose `linkId`) gets a new
//! token and a new short code; the old ones stay invalid, and never lead to
//! whatever file the new link shares.

mod common;

use common::*;
use serde_json::json;

const CHOSEN_ID: &str = "7b1e4c2a-9d3f-4e8b-a1c5-0f2d3e4b5a69";

#[tokio::test]
async fn a_recreated_link_id_does_not_revive_the_old_token() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let victim_file = s.upload_id(&owner, "Victim.txt", b"victim's bytes").await;
    let old = s.put_link(&owner, victim_file, json!({"linkId": CHOSEN_ID, "access": "Read"})).await;
    let old_token = token(&old);
    let old_short = old["sharedLink"]["shareLink"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    s.delete_link(&owner, victim_file, CHOSEN_ID).await;

    // Someone else creates a link with the same id on their own file.
    let mallory = s.user("mallory@example.com", "User").await;
    let their_file = s.upload_id(&mallory, "Trap.txt", b"mallory's bytes").await;
    let new = s.put_link(&mallory, their_file, json!({"linkId": CHOSEN_ID, "access": "Read"})).await;
    assert_eq!(link_id(&new), CHOSEN_ID);
    assert_ne!(token(&new), old_token, "the recreated link got the deleted link's token");
    assert!(!new["sharedLink"]["shareLink"].as_str().unwrap().ends_with(&old_short));

    // The old token and short link stay invalid on every path.
    let res = s.send(Req::get(&format!("/api/2.0/files/share/{old_token}"))).await;
    assert_eq!(res.json()["response"]["status"], 1, "{}", res.text());
    s.send(Req::get(&format!("/api/2.0/files/file/{their_file}")).share(&old_token)).await.assert_error(403);
    let dl =
        s.send(Req::get(&format!("/filehandler.ashx?action=download&fileid={their_file}&share={old_token}"))).await;
    dl.assert_error(403);
    let page = s.send(Req::get(&format!("/doceditor?fileid={their_file}&share={old_token}"))).await;
    assert_eq!(page.status, 404);
    let short = s.send(Req::get(&format!("/s/{old_short}"))).await;
    assert_eq!(short.status, 404, "{:?}", short.header("location"));

    // The new link works with its own token and short link.
    let res = s.send(Req::get(&format!("/api/2.0/files/share/{}", token(&new)))).await;
    assert_eq!(res.json()["response"]["status"], 0, "{}", res.text());
    let code = new["sharedLink"]["shareLink"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    let short = s.send(Req::get(&format!("/s/{code}"))).await;
    assert_eq!(short.status, 302);
    let location = short.header("location").unwrap();
    assert!(location.contains(&token(&new)), "{location}");
}

/// Even the same owner recreating the id on the same file gets a new token:
/// a token once revoked is revoked for good.
#[tokio::test]
async fn a_revoked_token_stays_revoked_when_the_owner_recreates_the_id() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let file = s.upload_id(&owner, "Same.txt", b"same").await;
    let first = token(&s.put_link(&owner, file, json!({"linkId": CHOSEN_ID, "access": "Read"})).await);
    s.delete_link(&owner, file, CHOSEN_ID).await;
    let second = token(&s.put_link(&owner, file, json!({"linkId": CHOSEN_ID, "access": "Read"})).await);
    assert_ne!(first, second);
    let res = s.send(Req::get(&format!("/api/2.0/files/share/{first}"))).await;
    assert_eq!(res.json()["response"]["status"], 1, "{}", res.text());
    // Tokens stay opaque base64url.
    assert!(second.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{second}");
}

/// Links made before salts existed (migration 0003 gives them an empty salt)
/// keep their 43-character tokens.
#[tokio::test]
async fn links_from_before_the_salt_keep_their_tokens() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let (id, lid, salted) = s.shared_file("Old.txt", b"old", json!({"access": "Read"})).await;
    assert_eq!(salted.len(), 54);
    assert_eq!(s.sql("UPDATE links SET token_salt = '' WHERE id = $1", &[&lid]).await, 1);
    let list = s.send(Req::get(&format!("/api/2.0/files/file/{id}/links")).auth(&owner)).await.json();
    let legacy = list["response"][0]["sharedLink"]["requestToken"].as_str().unwrap().to_string();
    assert_eq!(legacy.len(), 43);
    let res = s.send(Req::get(&format!("/api/2.0/files/share/{legacy}"))).await;
    assert_eq!(res.json()["response"]["status"], 0, "{}", res.text());
    let res = s.send(Req::get(&format!("/api/2.0/files/share/{salted}"))).await;
    assert_eq!(res.json()["response"]["status"], 1, "a token with another salt must not resolve");
}
