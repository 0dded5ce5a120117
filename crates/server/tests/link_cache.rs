//! The link cache (decision 12, `core::link_cache`) over real sockets: every
//! write path that changes what a recipient sees is seen by the very next
//! request through the same node; entries live at most one second; a second
//! node on PostgreSQL refuses a revoked link within one second; links that
//! count (download limits) are never served from the cache.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

const CONTENT: &[u8] = b"cached content";

fn resolve(token: &str) -> Req {
    Req::get(&format!("/api/2.0/files/share/{token}"))
}

fn info(id: i64, token: &str) -> Req {
    Req::get(&format!("/api/2.0/files/file/{id}")).header("Request-Token", token)
}

async fn status(s: &TestServer, token: &str) -> Value {
    let res = s.send(resolve(token)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["response"]["status"].clone()
}

/// File info through the link: status and `response`.
async fn info_of(s: &TestServer, id: i64, token: &str) -> (u16, Value) {
    let res = s.send(info(id, token)).await;
    (res.status, res.json()["response"].clone())
}

/// A socket server with a shared file, the cache warmed by a resolve and a
/// file info through the link.
async fn warm() -> (TestServer, String, i64, String, String) {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let (id, lid, token) = s.shared_file("Cached.txt", CONTENT, json!({"access": "Read"})).await;
    assert_eq!(status(&s, &token).await, 0);
    assert_eq!(info_of(&s, id, &token).await.0, 200);
    assert!(!s.state.link_cache.as_ref().expect("the cache is on by default").cache.is_empty());
    (s, owner, id, lid, token)
}

async fn put_link(s: &TestServer, owner: &str, id: i64, body: Value) {
    let res = s.send(Req::put(&format!("/api/2.0/files/file/{id}/links")).auth(owner).json(body)).await;
    assert_eq!(res.status, 200, "{}", res.text());
}

#[tokio::test]
async fn the_cache_serves_and_its_entries_live_at_most_one_second() {
    let (s, _, id, lid, token) = warm().await;
    // A change behind the server's back (raw SQL, no invalidation) shows
    // the cache at work, and how long it may hold on to the old row.
    let db = s.raw_db().await;
    let changed = Instant::now();
    sqlx::query("UPDATE links SET deny_download = 1 WHERE id = $1").bind(lid).execute(db.pool()).await.unwrap();
    assert_eq!(info_of(&s, id, &token).await.1["security"]["Download"], true, "not served from the cache");
    loop {
        if info_of(&s, id, &token).await.1["security"]["Download"] == false {
            break;
        }
        assert!(changed.elapsed() < Duration::from_millis(1100), "an entry outlived one second");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn link_updates_are_seen_by_the_next_request() {
    let (s, owner, id, lid, token) = warm().await;

    put_link(&s, &owner, id, json!({"linkId": lid, "denyDownload": true})).await;
    assert_eq!(info_of(&s, id, &token).await.1["security"]["Download"], false);
    let res = s.send(Req::get(&format!("/filehandler.ashx?action=download&fileid={id}&share={token}"))).await;
    assert_eq!(res.status, 403, "a download went through a link that denies downloads");

    put_link(&s, &owner, id, json!({"linkId": lid, "access": "Editing", "denyDownload": false})).await;
    let (_, dto) = info_of(&s, id, &token).await;
    assert_eq!((dto["access"].clone(), dto["security"]["Download"].clone()), (json!(10), json!(true)));

    put_link(&s, &owner, id, json!({"linkId": lid, "password": LINK_PASSWORD})).await;
    assert_eq!(status(&s, &token).await, 3, "a new password is not asked for");
    assert_eq!(info_of(&s, id, &token).await.0, 403);

    put_link(&s, &owner, id, json!({"linkId": lid, "password": null, "internal": true})).await;
    assert_eq!(status(&s, &token).await, 5);

    put_link(&s, &owner, id, json!({"linkId": lid, "internal": false, "allowedNetworks": ["192.0.2.0/24"]})).await;
    assert_eq!(info_of(&s, id, &token).await.0, 403, "the network allowlist was not applied");
}

#[tokio::test]
async fn expiry_is_judged_on_every_request_against_the_clock() {
    let (s, owner, id, lid, token) = warm().await;
    let soon = now_micros() + 400_000;
    let date = spacelinks_api_types::date::format_api_date(soon);
    put_link(&s, &owner, id, json!({"linkId": lid, "expirationDate": date})).await;
    assert_eq!(status(&s, &token).await, 0);
    assert_eq!(info_of(&s, id, &token).await.0, 200);
    // The entry is a few milliseconds old when the link expires: still
    // cached, and refused all the same.
    let wait = soon - now_micros() + 20_000;
    tokio::time::sleep(Duration::from_micros(wait.max(0) as u64)).await;
    assert_eq!(status(&s, &token).await, 2);
    assert_eq!(info_of(&s, id, &token).await.0, 403);
}

#[tokio::test]
async fn a_deleted_link_is_refused_at_once() {
    let (s, owner, id, lid, token) = warm().await;
    s.delete_link(&owner, id, &lid).await;
    assert_eq!(status(&s, &token).await, 1);
    assert_eq!(info_of(&s, id, &token).await.0, 403);
}

#[tokio::test]
async fn file_changes_are_seen_by_the_next_request() {
    let (s, owner, id, _, token) = warm().await;

    // Rename.
    let res =
        s.send(Req::put(&format!("/api/2.0/files/file/{id}")).auth(&owner).json(json!({"title": "New.txt"}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(info_of(&s, id, &token).await.1["title"], "New.txt");

    // A new version: its content is what the link downloads now.
    let res = s
        .send(Req::put(&format!("/api/2.0/files/{id}/update")).auth(&owner).multipart(
            "file",
            "New.txt",
            b"version two",
        ))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(info_of(&s, id, &token).await.1["version"], 2);
    let res = s.send(Req::get(&format!("/filehandler.ashx?action=download&fileid={id}&share={token}"))).await;
    assert_eq!((res.status, res.body.as_slice()), (200, b"version two".as_slice()));

    // Lock.
    let res =
        s.send(Req::put(&format!("/api/2.0/files/file/{id}/lock")).auth(&owner).json(json!({"lockFile": true}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(info_of(&s, id, &token).await.1["locked"], true);

    // Delete.
    let res =
        s.send(Req::delete(&format!("/api/2.0/files/file/{id}")).auth(&owner).json(json!({"immediately": true}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(status(&s, &token).await, 1);
    assert_eq!(info_of(&s, id, &token).await.0, 404);
}

#[tokio::test]
async fn a_deleted_folder_link_stops_access_below_it_at_once() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let root =
        s.send(Req::get("/api/2.0/files/@my").auth(&owner)).await.json()["response"]["current"]["id"].as_i64().unwrap();
    let res =
        s.send(Req::post(&format!("/api/2.0/files/folder/{root}")).auth(&owner).json(json!({"title": "F"}))).await;
    let folder = res.json()["response"]["id"].as_i64().unwrap();
    let res = s
        .send(Req::post(&format!("/api/2.0/files/{folder}/upload")).auth(&owner).multipart("file", "in.txt", CONTENT))
        .await;
    let file = res.json()["response"][0]["id"].as_i64().unwrap();
    let res = s
        .send(Req::put(&format!("/api/2.0/files/folder/{folder}/links")).auth(&owner).json(json!({"access": 2})))
        .await;
    let link = res.json()["response"].clone();
    let token = token(&link);
    assert_eq!(info_of(&s, file, &token).await.0, 200);
    assert_eq!(info_of(&s, file, &token).await.0, 200);
    let res = s
        .send(
            Req::put(&format!("/api/2.0/files/folder/{folder}/links"))
                .auth(&owner)
                .json(json!({"linkId": link_id(&link), "access": 0})),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(info_of(&s, file, &token).await.0, 403);
    assert_eq!(status(&s, &token).await, 1);
}

/// A link with a download limit is read from the database every time: its
/// counter decides, and a node must not miss another node's downloads.
#[tokio::test]
async fn links_with_a_download_limit_are_never_cached() {
    let s = TestServer::start_socket().await;
    let (id, lid, token) = s.shared_file("Once.txt", CONTENT, json!({"access": "Read", "maxUseCount": 1})).await;
    assert_eq!(status(&s, &token).await, 0);
    // The only use, taken behind the server's back.
    let db = s.raw_db().await;
    sqlx::query("UPDATE links SET use_count = 1 WHERE id = $1").bind(lid).execute(db.pool()).await.unwrap();
    assert_eq!(status(&s, &token).await, 2, "a used-up link was served from the cache");
    assert_eq!(info_of(&s, id, &token).await.0, 403);
}

#[tokio::test]
async fn the_cache_can_be_switched_off() {
    let s = TestServer::start_socket_with(|c| c.link_cache = false).await;
    assert!(s.state.link_cache.is_none());
    let (id, lid, token) = s.shared_file("Off.txt", CONTENT, json!({"access": "Read"})).await;
    assert_eq!(info_of(&s, id, &token).await.0, 200);
    let db = s.raw_db().await;
    sqlx::query("UPDATE links SET deny_download = 1 WHERE id = $1").bind(lid).execute(db.pool()).await.unwrap();
    assert_eq!(info_of(&s, id, &token).await.1["security"]["Download"], false, "served from a cache that is off");
}

/// Two nodes on one PostgreSQL database: a link revoked through node A is
/// refused by node B, whose cache held it, within one second (NOTIFY
/// usually makes it milliseconds; the entries' lifetime bounds it).
#[tokio::test]
async fn a_revocation_on_one_node_reaches_the_other_within_one_second() {
    let Some(pg) = PgSchema::create("link_cache_two_nodes").await else { return };
    let url = pg.url.clone();
    let on_pg = move |c: &mut spacelinks_server::Config| c.database_url = Some(url.clone());
    let a = TestServer::start_socket_with(on_pg.clone()).await;
    let b = a.second_node_with(on_pg).await;
    let owner = a.owner().await;
    for round in 0..3 {
        let (id, lid, token) = a.shared_file(&format!("Two{round}.txt"), CONTENT, json!({"access": "Read"})).await;
        assert_eq!(status(&b, &token).await, 0);
        assert_eq!(info_of(&b, id, &token).await.0, 200);
        let change = match round {
            0 => json!({"linkId": lid, "access": 0}),
            1 => json!({"linkId": lid, "password": LINK_PASSWORD}),
            _ => json!({"linkId": lid, "denyDownload": true}),
        };
        put_link(&a, &owner, id, change).await;
        let revoked = Instant::now();
        // Same node: at once.
        let (code, dto) = info_of(&a, id, &token).await;
        assert!(code == 403 || dto["security"]["Download"] == false, "node A did not see its own change");
        loop {
            let (code, dto) = info_of(&b, id, &token).await;
            if code == 403 || dto["security"]["Download"] == false {
                break;
            }
            assert!(revoked.elapsed() < Duration::from_secs(1), "node B still grants access after one second");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        println!("round {round}: node B saw the change after {:?}", revoked.elapsed());
    }
    drop((a, b));
    pg.drop_schema().await;
}
