//! Link controls over a real socket: the download limit (`maxUseCount`,
//! counted atomically, on SQLite and PostgreSQL), what counts as a use, a
//! used-up link reading as Expired until the limit is raised, the network
//! allowlist (directly and through a trusted proxy), the `refused` events
//! and `bytes` in the link's activity, and the 400s for bad values.

mod common;

use common::*;
use serde_json::{json, Value};

const CONTENT: &[u8] = b"0123456789-LIMITED-CONTENT-0123456789";
const UA: &str = "controls-test/1.0";

fn download(id: i64, token: &str) -> Req {
    Req::get(&format!("/filehandler.ashx?action=download&fileid={id}&share={token}")).header("user-agent", UA)
}

fn resolve(token: &str) -> Req {
    Req::get(&format!("/api/2.0/files/share/{token}")).header("user-agent", UA)
}

fn links_of(id: i64) -> String {
    format!("/api/2.0/files/file/{id}/links")
}

/// The link's `sharedLink` as `GET .../links` reports it now.
async fn shared_link(s: &TestServer, id: i64, lid: &str) -> Value {
    let owner = s.owner().await;
    let res = s.send(Req::get(&links_of(id)).auth(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let list = res.json()["response"].as_array().expect("links").clone();
    let link = list.into_iter().find(|l| l["sharedLink"]["id"] == lid).expect("the link is listed");
    assert_eq!(link["sharedLink"], link["sharedTo"], "sharedTo mirrors sharedLink");
    link["sharedLink"].clone()
}

async fn uses(s: &TestServer, id: i64, lid: &str) -> i64 {
    shared_link(s, id, lid).await["currentUseCount"].as_i64().expect("currentUseCount")
}

async fn share_status(s: &TestServer, req: Req) -> i64 {
    let res = s.send(req).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["response"]["status"].as_i64().expect("status")
}

async fn set(s: &TestServer, id: i64, lid: &str, fields: Value) -> Value {
    let owner = s.owner().await;
    let mut body = json!({"linkId": lid});
    body.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
    s.put_link(&owner, id, body).await["sharedLink"].clone()
}

// ---- the download limit ------------------------------------------------------

/// 50 downloads at once through a link allowing `max`: exactly `max` get
/// the file, the others a 403 in the DocSpace envelope; `currentUseCount`
/// then says `max`.
async fn exactly_n_of_50_parallel_downloads(s: &TestServer, max: i64) {
    let (id, lid, token) = s.shared_file("Limited.bin", CONTENT, json!({"access": "Read", "maxUseCount": max})).await;
    let link = shared_link(s, id, &lid).await;
    assert_eq!((link["maxUseCount"].clone(), link["currentUseCount"].clone()), (json!(max), json!(0)));

    let answers = futures::future::join_all((0..50).map(|_| s.send(download(id, &token)))).await;
    let mut granted = 0;
    for res in &answers {
        match res.status {
            200 => {
                assert_eq!(res.body, CONTENT);
                granted += 1;
            }
            _ => {
                let msg = res.assert_error(403);
                assert!(msg.contains("download limit"), "{msg}");
            }
        }
    }
    assert_eq!(granted, max, "exactly maxUseCount downloads get the file");
    let link = shared_link(s, id, &lid).await;
    assert_eq!((link["maxUseCount"].clone(), link["currentUseCount"].clone()), (json!(max), json!(max)));
    // Used up: it resolves as Expired.
    assert_eq!(share_status(s, resolve(&token)).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_n_of_50_parallel_downloads_on_sqlite() {
    let s = TestServer::start_socket().await;
    exactly_n_of_50_parallel_downloads(&s, 7).await;
    exactly_n_of_50_parallel_downloads(&s, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_n_of_50_parallel_downloads_on_postgres() {
    let Some(pg) = PgSchema::create("exactly_n_of_50_parallel_downloads").await else { return };
    let s = TestServer::start_socket_with(|c| c.database_url = Some(pg.url.clone())).await;
    exactly_n_of_50_parallel_downloads(&s, 7).await;
    exactly_n_of_50_parallel_downloads(&s, 1).await;
    drop(s);
    pg.drop_schema().await;
}

#[tokio::test]
async fn only_downloads_from_byte_zero_are_uses() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let (id, lid, token) = s.shared_file("Notes.txt", CONTENT, json!({"access": "Read", "maxUseCount": 2})).await;
    // A range from the middle is the rest of a download, not a new one.
    let res = s.send(download(id, &token).header("range", "bytes=5-")).await;
    assert_eq!(res.status, 206);
    assert_eq!(res.body, &CONTENT[5..]);
    assert_eq!(uses(&s, id, &lid).await, 0);
    // Views, previews and the share page are not uses.
    assert_eq!(s.send(Req::get(&format!("/filehandler.ashx?action=view&fileid={id}&share={token}"))).await.status, 200);
    assert_eq!(s.send(Req::get(&format!("/doceditor?fileid={id}&share={token}"))).await.status, 200);
    assert_eq!(uses(&s, id, &lid).await, 0);
    // A HEAD sends no file: not a use.
    let head = s
        .send(Req::new(
            axum::http::Method::HEAD,
            &format!("/filehandler.ashx?action=download&fileid={id}&share={token}"),
        ))
        .await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(uses(&s, id, &lid).await, 0);
    // A range from byte 0 is a use; so is a plain download.
    assert_eq!(s.send(download(id, &token).header("range", "bytes=0-9")).await.status, 206);
    assert_eq!(uses(&s, id, &lid).await, 1);
    // The owner is never counted, signed in or with the link's token.
    assert_eq!(
        s.send(Req::get(&format!("/filehandler.ashx?action=download&fileid={id}")).auth(&owner)).await.status,
        200
    );
    assert_eq!(s.send(download(id, &token).auth(&owner)).await.status, 200);
    assert_eq!(uses(&s, id, &lid).await, 1);
    assert_eq!(s.send(download(id, &token)).await.status, 200);
    assert_eq!(uses(&s, id, &lid).await, 2);
    // Used up: even a range from the middle is refused now.
    let msg = s.send(download(id, &token).header("range", "bytes=5-")).await.assert_error(403);
    assert!(msg.contains("download limit"), "{msg}");

    // `view` of a type that is not shown inline is sent as an attachment:
    // a download by another name, counted like one.
    let bin = s.upload_id(&owner, "Data.bin", CONTENT).await;
    let link = s.put_link(&owner, bin, json!({"access": "Read", "maxUseCount": 1})).await;
    let (bin_lid, bin_token) = (link_id(&link), common::token(&link));
    let view = |t: &str| Req::get(&format!("/filehandler.ashx?action=view&fileid={bin}&share={t}"));
    assert_eq!(s.send(view(&bin_token)).await.status, 200);
    assert_eq!(shared_link(&s, bin, &bin_lid).await["currentUseCount"], 1);
    s.send(view(&bin_token)).await.assert_error(403);
}

#[tokio::test]
async fn a_used_up_link_reads_as_expired_until_the_limit_is_raised() {
    let s = TestServer::start_socket().await;
    let (id, lid, token) = s.shared_file("Once.pdf", CONTENT, json!({"access": "Read", "maxUseCount": 1})).await;
    assert_eq!(share_status(&s, resolve(&token)).await, 0);
    assert_eq!(s.send(download(id, &token)).await.status, 200);

    // Every content path refuses it, like an expired link.
    assert_eq!(share_status(&s, resolve(&token)).await, 2);
    s.send(download(id, &token)).await.assert_error(403);
    s.send(Req::get(&format!("/api/2.0/files/file/{id}")).share(&token)).await.assert_error(403);
    s.send(Req::get(&format!("/filehandler.ashx?action=view&fileid={id}&share={token}"))).await.assert_error(403);
    let page = s.send(Req::get(&format!("/doceditor?fileid={id}&share={token}"))).await;
    assert_eq!(page.status, 410);
    assert!(page.text().contains("used up"), "{}", page.text());
    assert!(!page.text().contains("LIMITED-CONTENT"));
    let link = shared_link(&s, id, &lid).await;
    assert_eq!((link["maxUseCount"].clone(), link["currentUseCount"].clone()), (json!(1), json!(1)));

    // Other changes keep the limit and the count (merge semantics).
    let link = set(&s, id, &lid, json!({"title": "Renamed"})).await;
    assert_eq!((link["maxUseCount"].clone(), link["currentUseCount"].clone()), (json!(1), json!(1)));
    assert_eq!(share_status(&s, resolve(&token)).await, 2);

    // Raising the limit revives it, for one more download.
    let link = set(&s, id, &lid, json!({"maxUseCount": 2})).await;
    assert_eq!(link["currentUseCount"], 1);
    assert_eq!(share_status(&s, resolve(&token)).await, 0);
    assert_eq!(s.send(download(id, &token)).await.status, 200);
    assert_eq!(share_status(&s, resolve(&token)).await, 2);

    // No limit: revived for good, and the uses still count.
    let link = set(&s, id, &lid, json!({"maxUseCount": null})).await;
    assert!(link.get("maxUseCount").is_none(), "no limit is omitted, like DocSpace's nulls: {link}");
    assert_eq!(share_status(&s, resolve(&token)).await, 0);
    assert_eq!(s.send(download(id, &token)).await.status, 200);
    assert_eq!(shared_link(&s, id, &lid).await["currentUseCount"], 3);
}

// ---- the network allowlist --------------------------------------------------

#[tokio::test]
async fn allowlist_with_the_client_inside_and_outside() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let (id, lid, token) = s
        .shared_file(
            "Intranet.txt",
            CONTENT,
            json!({"access": "Read", "allowedNetworks": ["10.0.0.0/8", "2001:db8::/32"]}),
        )
        .await;
    let link = shared_link(&s, id, &lid).await;
    assert_eq!(link["allowedNetworks"], json!(["10.0.0.0/8", "2001:db8::/32"]));

    // The test client is 127.0.0.1: outside.
    assert_eq!(share_status(&s, resolve(&token)).await, 5);
    let msg = s.send(download(id, &token)).await.assert_error(403);
    assert!(msg.contains("network"), "{msg}");
    s.send(Req::get(&format!("/api/2.0/files/file/{id}")).share(&token)).await.assert_error(403);
    let page = s.send(Req::get(&format!("/doceditor?fileid={id}&share={token}"))).await;
    assert_eq!(page.status, 403);
    assert!(!page.text().contains("LIMITED-CONTENT"));
    // The owner is never refused, with or without the token.
    assert_eq!(s.send(download(id, &token).auth(&owner)).await.status, 200);
    assert_eq!(share_status(&s, resolve(&token).auth(&owner)).await, 0);

    // Inside: a single address is its own /32.
    let link = set(&s, id, &lid, json!({"allowedNetworks": ["10.0.0.0/8", "127.0.0.1"]})).await;
    assert_eq!(link["allowedNetworks"], json!(["10.0.0.0/8", "127.0.0.1/32"]));
    assert_eq!(share_status(&s, resolve(&token)).await, 0);
    assert_eq!(s.send(download(id, &token)).await.body, CONTENT);

    // An empty list (and null) means anywhere.
    set(&s, id, &lid, json!({"allowedNetworks": ["10.0.0.0/8"]})).await;
    assert_eq!(share_status(&s, resolve(&token)).await, 5);
    assert_eq!(set(&s, id, &lid, json!({"allowedNetworks": []})).await["allowedNetworks"], json!([]));
    assert_eq!(share_status(&s, resolve(&token)).await, 0);
    set(&s, id, &lid, json!({"allowedNetworks": ["10.0.0.0/8"]})).await;
    assert_eq!(set(&s, id, &lid, json!({"allowedNetworks": null})).await["allowedNetworks"], json!([]));
    assert_eq!(s.send(download(id, &token)).await.status, 200);

    // X-Forwarded-For from an untrusted peer is ignored.
    set(&s, id, &lid, json!({"allowedNetworks": ["10.0.0.0/8"]})).await;
    assert_eq!(share_status(&s, resolve(&token).header("x-forwarded-for", "10.1.2.3")).await, 5);
}

#[tokio::test]
async fn allowlist_through_a_trusted_proxy() {
    let s = TestServer::start_socket_with(|c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    let (id, _, token) =
        s.shared_file("Proxied.txt", CONTENT, json!({"access": "Read", "allowedNetworks": ["10.0.0.0/8"]})).await;
    let from = |ip: &str| download(id, &token).header("x-forwarded-for", ip.to_string());
    assert_eq!(s.send(from("10.1.2.3")).await.status, 200);
    assert_eq!(share_status(&s, resolve(&token).header("x-forwarded-for", "10.1.2.3")).await, 0);
    s.send(from("203.0.113.5")).await.assert_error(403);
    assert_eq!(share_status(&s, resolve(&token).header("x-forwarded-for", "203.0.113.5")).await, 5);
    // The right-most address that is not a trusted proxy is the client.
    assert_eq!(s.send(from("10.9.9.9, 203.0.113.5")).await.status, 403);
    assert_eq!(s.send(from("203.0.113.5, 10.9.9.9")).await.status, 200);
    // Without the header, the proxy itself (127.0.0.1) is outside.
    s.send(download(id, &token)).await.assert_error(403);
}

// ---- the link's activity ----------------------------------------------------

#[tokio::test]
async fn activity_after_a_scripted_visit() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let (id, lid, token) = s
        .shared_file("Visit.bin", CONTENT, json!({"access": "Read", "password": LINK_PASSWORD, "maxUseCount": 1}))
        .await;
    let fresh = shared_link(&s, id, &lid).await;
    assert_eq!(fresh["openCount"], 0);
    assert!(fresh.get("lastOpenedOn").is_none(), "{fresh}");

    // Open, wrong password, right password, download, a refused download.
    assert_eq!(share_status(&s, resolve(&token)).await, 3);
    let pw = |p: &str| {
        Req::post(&format!("/api/2.0/files/share/{token}/password"))
            .header("user-agent", UA)
            .json(json!({"password": p}))
    };
    assert_eq!(share_status(&s, pw("Wrong-pass-1")).await, 4);
    let right = s.send(pw(LINK_PASSWORD)).await;
    assert_eq!(right.json()["response"]["status"], 0);
    let proof = right.cookie_pair(&format!("sharelink{lid}")).expect("proof cookie");
    assert_eq!(s.send(download(id, &token).cookie(&proof)).await.body, CONTENT);
    let msg = s.send(download(id, &token).cookie(&proof)).await.assert_error(403);
    assert!(msg.contains("download limit"), "{msg}");
    s.state.events.flush().await;

    let res = s.send(Req::get(&format!("{}/{lid}/activity", links_of(id))).auth(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let v = res.json();
    assert_eq!(v["total"], 5);
    let events = v["response"].as_array().unwrap();
    let seen: Vec<(&str, Option<&str>, Option<i64>)> =
        events.iter().map(|e| (e["kind"].as_str().unwrap(), e["reason"].as_str(), e["bytes"].as_i64())).collect();
    assert_eq!(
        seen,
        [
            ("refused", Some("usedUp"), None),
            ("downloaded", None, Some(CONTENT.len() as i64)),
            ("passwordAccepted", None, None),
            ("passwordFailed", None, None),
            ("opened", None, None),
        ],
        "newest first"
    );
    for e in events {
        assert_eq!(e["ip"], "127.0.0.1", "{e}");
        assert_eq!(e["userAgent"], UA, "{e}");
        assert!(is_api_date(e["on"].as_str().unwrap()), "{e}");
    }
    // The link DTO carries the counters.
    let link = shared_link(&s, id, &lid).await;
    assert_eq!((link["openCount"].clone(), link["currentUseCount"].clone()), (json!(1), json!(1)));
    assert!(is_api_date(link["lastOpenedOn"].as_str().expect("lastOpenedOn")), "{link}");

    // Refusals by the allowlist and by the expiry carry their reasons.
    set(&s, id, &lid, json!({"maxUseCount": null, "allowedNetworks": ["192.0.2.0/24"]})).await;
    assert_eq!(share_status(&s, resolve(&token)).await, 5);
    s.send(download(id, &token).cookie(&proof)).await.assert_error(403);
    s.expire_link(&lid).await;
    assert_eq!(share_status(&s, resolve(&token)).await, 2);
    s.state.events.flush().await;
    let res = s.send(Req::get(&format!("{}/{lid}/activity?count=2", links_of(id))).auth(&owner)).await;
    let reasons: Vec<Value> = res.json()["response"].as_array().unwrap().iter().map(|e| e["reason"].clone()).collect();
    // Repeated refusals of one client for one reason within a minute are one event.
    assert_eq!(reasons, [json!("expired"), json!("network")]);
}

// ---- bad values and who may set them ----------------------------------------

#[tokio::test]
async fn bad_limits_and_networks_are_400s_naming_the_field() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let id = s.upload_id(&owner, "Bad.txt", CONTENT).await;
    let put = |body: Value| Req::put(&links_of(id)).auth(&owner).json(body);
    for bad in [json!(0), json!(-3), json!(2.5), json!("lots"), json!(true), json!({})] {
        let msg = s.send(put(json!({"access": "Read", "maxUseCount": bad}))).await.assert_error(400);
        assert!(msg.contains("maxUseCount"), "{bad}: {msg}");
    }
    for (bad, named) in [
        (json!(["10.0.0.0/8", "10.0.0.0/33"]), "10.0.0.0/33"),
        (json!(["intranet"]), "intranet"),
        (json!(["192.168.1.300"]), "192.168.1.300"),
        (json!([42]), "42"),
    ] {
        let msg = s.send(put(json!({"access": "Read", "allowedNetworks": bad}))).await.assert_error(400);
        assert!(msg.contains("allowedNetworks") && msg.contains(named), "{msg}");
    }
    let msg = s.send(put(json!({"access": "Read", "allowedNetworks": "10.0.0.0/8"}))).await.assert_error(400);
    assert!(msg.contains("allowedNetworks"), "{msg}");
    let many: Vec<String> = (0..51).map(|i| format!("10.{i}.0.0/16")).collect();
    let msg = s.send(put(json!({"access": "Read", "allowedNetworks": many}))).await.assert_error(400);
    assert!(msg.contains("at most 50"), "{msg}");
    // Nothing was created by the refused requests.
    assert_eq!(s.send(Req::get(&links_of(id)).auth(&owner)).await.json()["total"], 0);
    // Fifty entries, quoted numbers: fine.
    let fifty: Vec<String> = (0..50).map(|i| format!("10.{i}.0.0/16")).collect();
    let link = s.put_link(&owner, id, json!({"access": "Read", "maxUseCount": "3", "allowedNetworks": fifty})).await;
    assert_eq!(link["sharedLink"]["maxUseCount"], 3);
    assert_eq!(link["sharedLink"]["allowedNetworks"].as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn only_the_owner_sets_the_controls() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let (id, lid, _) = s.shared_file("Mine.txt", CONTENT, json!({"access": "Read", "maxUseCount": 2})).await;
    let other = s.user("other@example.com", "User").await;
    let put = |who: &str, body: Value| Req::put(&links_of(id)).auth(who).json(body);
    s.send(put(&other, json!({"linkId": lid, "maxUseCount": 100, "allowedNetworks": []}))).await.assert_error(403);
    let (read_key, _) = s.api_key(&owner, &["files:read"]).await;
    assert_eq!(s.send(put(&read_key, json!({"linkId": lid, "maxUseCount": 100}))).await.status, 403);
    s.send(Req::get(&format!("{}/{lid}/activity", links_of(id))).auth(&other)).await.assert_error(403);
    let link = shared_link(&s, id, &lid).await;
    assert_eq!(link["maxUseCount"], 2, "unchanged");
}
