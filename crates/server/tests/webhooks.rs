//! Webhooks end to end: DocSpace's settings API, deliveries to a real
//! receiver on loopback with both signatures, retries, a restart between
//! the event and the delivery, the SSRF guard at creation, the log's
//! filters and paging, `link.usedUp` from the download that uses a link
//! up, and `folder.downloaded` from a folder link's zip.

mod common;

use common::*;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use spacelinks_server::webhooks::Trigger;

const SECRET: &str = "hook-Secret-1";

fn hmac_hex(secret: &str, msg: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(msg);
    hex::encode(mac.finalize().into_bytes())
}

/// Both signatures of a delivery are right for its exact bytes.
fn assert_signed(d: &Delivery, secret: &str) {
    let docspace = d.header("x-docspace-signature-256");
    assert_eq!(docspace, format!("sha256={}", hmac_hex(secret, &d.body).to_uppercase()));
    let t = d.header("x-spacelinks-timestamp");
    assert!(t.parse::<i64>().unwrap() > 1_700_000_000);
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(&d.body);
    assert_eq!(d.header("x-spacelinks-signature"), format!("t={t},v1={}", hmac_hex(secret, &signed)));
    assert_eq!(d.header("x-spacelinks-event-id").len(), 36);
    assert_eq!(d.header("content-type"), "application/json; charset=utf-8");
}

async fn create_hook(s: &TestServer, token: &str, body: Value) -> Value {
    let res = s.send(Req::post("/api/2.0/settings/webhook").auth(token).json(body)).await;
    assert_eq!(res.status, 200, "create webhook: {}", res.text());
    res.json()["response"].clone()
}

async fn log(s: &TestServer, token: &str, query: &str) -> Value {
    let res = s.send(Req::get(&format!("/api/2.0/settings/webhooks/log{query}")).auth(token)).await;
    assert_eq!(res.status, 200, "log: {}", res.text());
    res.json()
}

/// Polls the log until `done` holds for the entry (a minute at most).
async fn wait_log(s: &TestServer, token: &str, id: i64, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..600 {
        let v = log(s, token, &format!("?eventId={id}")).await;
        if let Some(e) = v["response"].get(0).filter(|e| done(e)) {
            return e.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("log entry {id} never got there");
}

#[tokio::test]
async fn link_open_and_download_reach_the_receiver_signed() {
    let rx = Receiver::start().await;
    let s = TestServer::start_socket_with(allow_loopback).await;
    let owner = s.owner().await;
    let hook = create_hook(
        &s,
        &owner,
        json!({"name": "all", "uri": rx.url, "secretKey": SECRET, "enabled": true, "triggers": 0}),
    )
    .await;
    assert!(hook.get("secretKey").is_none(), "the secret is never returned");
    assert_eq!(hook["createdBy"]["id"].as_str().unwrap().len(), 36);
    let (file, link, token) =
        s.shared_file("Report.txt", b"0123456789", json!({"access": "Read", "title": "Press"})).await;

    let res = s.send(Req::get(&format!("/api/2.0/files/share/{token}")).header("user-agent", "probe/1")).await;
    assert_eq!(res.status, 200);
    let opened = rx.next_of("link.opened").await;
    assert_signed(&opened, SECRET);
    let body = opened.json();
    assert_eq!(body["event"]["triggerId"], json!(1i64 << 40));
    assert_eq!(body["event"]["createBy"], "712d9ec3-5d2b-4b13-824f-71f00191dcca");
    assert_eq!(body["payload"]["file"]["id"], json!(file));
    assert_eq!(body["payload"]["file"]["fileEntryType"], 2);
    assert_eq!(body["payload"]["link"], json!({"id": link, "title": "Press"}));
    assert_eq!(body["payload"]["client"], json!({"ip": "127.0.0.1", "userAgent": "probe/1"}));
    assert_eq!(body["webhook"], json!({"id": hook["id"], "name": "all", "url": rx.url, "triggers": ["*"]}));
    // The keys in DocSpace's order, `event.id` = the log id.
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["event", "payload", "webhook"]);
    assert_eq!(body["event"].as_object().unwrap().keys().next().unwrap(), "id");

    // A range from the middle is not a download; one from 0 is.
    let url = format!("/filehandler.ashx?action=download&fileid={file}&share={token}");
    let res = s.send(Req::get(&url).header("range", "bytes=5-")).await;
    assert_eq!(res.status, 206);
    let res = s.send(Req::get(&url)).await;
    assert_eq!(res.status, 200);
    let downloaded = rx.next_of("file.downloaded").await;
    assert_signed(&downloaded, SECRET);
    let body = downloaded.json();
    assert_eq!(body["event"]["triggerId"], json!(17179869184i64));
    assert_eq!(body["payload"]["id"], json!(file));
    assert_eq!(body["payload"]["title"], "Report.txt");
    let ndl = log(&s, &owner, "?trigger=17179869184").await;
    assert_eq!(ndl["total"], 1, "only the download from byte 0 fired: {ndl}");

    // The log shows the delivery, with the receiver's status.
    let id = body["event"]["id"].as_i64().unwrap();
    let entry = wait_log(&s, &owner, id, |e| e["status"] == 200).await;
    assert_eq!(entry["configName"], "all");
    assert!(entry["delivery"].is_string());
    assert_eq!(entry["requestPayload"].as_str().unwrap().as_bytes(), downloaded.body.as_slice());
    let headers: Value = serde_json::from_str(entry["requestHeaders"].as_str().unwrap()).unwrap();
    assert_eq!(headers["x-docspace-signature-256"][0], downloaded.header("x-docspace-signature-256"));
}

#[tokio::test]
async fn a_failed_delivery_is_retried_then_logged_as_delivered() {
    let rx = Receiver::start().await;
    let s = TestServer::start_socket_with(allow_loopback).await;
    let owner = s.owner().await;
    create_hook(
        &s,
        &owner,
        json!({"name": "up", "uri": rx.url, "secretKey": SECRET, "enabled": true, "triggers": 256}),
    )
    .await;
    rx.answer(&[500]);
    s.upload_id(&owner, "Up.txt", b"x").await;
    let first = rx.next_of("file.uploaded").await;
    let second = rx.next_of("file.uploaded").await;
    assert_signed(&second, SECRET);
    assert_eq!(first.header("x-spacelinks-event-id"), second.header("x-spacelinks-event-id"));
    let (a, b) = (first.json(), second.json());
    assert_eq!(a["event"]["id"], b["event"]["id"]);
    assert!(a["webhook"].get("retryCount").is_none());
    assert_eq!(b["webhook"]["retryCount"], 1);
    assert!(b["webhook"]["lastFailureContent"].as_str().unwrap().contains("500"));
    let id = b["event"]["id"].as_i64().unwrap();
    let entry = wait_log(&s, &owner, id, |e| e["status"] == 200).await;
    assert!(entry["delivery"].is_string());
    assert_eq!(log(&s, &owner, "").await["total"], 1, "one log row per delivery, whatever the attempts");
}

#[tokio::test]
async fn a_restart_between_the_event_and_the_delivery_loses_nothing() {
    let rx = Receiver::start().await;
    // The first node records events but is stopped before it delivers any.
    let mut first = TestServer::start_socket_with(|c| {
        allow_loopback(c);
        c.webhook_delivery = false;
    })
    .await;
    let owner = first.owner().await;
    create_hook(&first, &owner, json!({"name": "r", "uri": rx.url, "secretKey": SECRET, "enabled": true})).await;
    let file = first.upload_id(&owner, "Kept.txt", b"k").await;
    let queued = log(&first, &owner, "").await;
    assert_eq!(queued["total"], 2, "file.created and file.uploaded are queued: {queued}");
    assert!(queued["response"].as_array().unwrap().iter().all(|e| e["status"] == 0));
    first.stop();
    // A new process on the same database delivers them.
    let restarted = first.second_node_with(allow_loopback).await;
    let created = rx.next_of("file.created").await;
    assert_signed(&created, SECRET);
    assert_eq!(created.json()["payload"]["id"], json!(file));
    let id = created.json()["event"]["id"].as_i64().unwrap();
    wait_log(&restarted, &owner, id, |e| e["status"] == 200).await;
}

#[tokio::test]
async fn private_targets_are_refused_at_creation() {
    // No SPACELINKS_WEBHOOK_ALLOWED_NETWORKS here.
    let s = TestServer::start().await;
    let owner = s.owner().await;
    for uri in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://[::ffff:127.0.0.1]:9/hook",
        "http://[::1]:9/hook",
        "http://10.0.0.7/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[64:ff9b::a00:1]/hook",
    ] {
        let res = s
            .send(
                Req::post("/api/2.0/settings/webhook")
                    .auth(&owner)
                    .json(json!({"name": "x", "uri": uri, "secretKey": SECRET})),
            )
            .await;
        assert_eq!(res.status, 400, "{uri}: {}", res.text());
        let msg = res.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(msg.starts_with("URL resolves to a blacklisted IP address"), "{uri}: {msg}");
    }
    let bad = |body: Value| {
        let s = &s;
        let owner = owner.clone();
        async move {
            let res = s.send(Req::post("/api/2.0/settings/webhook").auth(&owner).json(body)).await;
            assert_eq!(res.status, 400, "{}", res.text());
            res.json()["error"]["message"].as_str().unwrap().to_string()
        }
    };
    assert_eq!(
        bad(json!({"name": "x", "uri": "ftp://example.com/", "secretKey": SECRET})).await,
        "Only http and https URLs are allowed"
    );
    assert_eq!(
        bad(json!({"name": "x", "uri": "http://example.com/", "secretKey": SECRET, "ssl": true})).await,
        "HTTPS is required"
    );
    assert_eq!(bad(json!({"uri": "http://example.com/", "secretKey": SECRET})).await, "The Name field is required.");
    assert!(bad(json!({"name": "x", "uri": "http://example.com/"})).await.contains("secretKey"));
    assert!(bad(json!({"name": "x", "uri": "http://example.com/", "secretKey": "short"})).await.contains("8"));
    assert!(bad(json!({"name": "x", "uri": "http://example.com/", "secretKey": SECRET, "triggers": "file.created"}))
        .await
        .contains("integer"));
    assert!(s.store().enabled_webhook_configs().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_api_manages_webhooks_as_docspace() {
    let rx = Receiver::start().await;
    let s = TestServer::start_with(allow_loopback).await;
    let owner = s.owner().await;
    let hook =
        create_hook(&s, &owner, json!({"name": "one", "uri": rx.url, "secretKey": SECRET, "triggers": 384})).await;
    let id = hook["id"].as_i64().unwrap();
    assert_eq!(hook["enabled"], false, "disabled unless asked");
    assert_eq!(hook["ssl"], false);
    assert_eq!(hook["triggers"], 384);
    // Same name and URL again: DocSpace's message.
    let res = s
        .send(
            Req::post("/api/2.0/settings/webhook")
                .auth(&owner)
                .json(json!({"name": "one", "uri": rx.url, "secretKey": SECRET})),
        )
        .await;
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["error"]["message"], "Webhook with the same name and payload URL already exists");

    // PUT replaces: omitted fields reset; the secret is kept.
    let res = s
        .send(
            Req::put("/api/2.0/settings/webhook")
                .auth(&owner)
                .json(json!({"id": id, "name": "renamed", "uri": rx.url, "enabled": true})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let v = res.json()["response"].clone();
    assert_eq!(
        (v["name"].clone(), v["triggers"].clone(), v["enabled"].clone()),
        (json!("renamed"), json!(0), json!(true))
    );
    assert_eq!(s.store().webhook_config(id).await.unwrap().unwrap().secret_key, SECRET);
    let res = s
        .send(Req::put("/api/2.0/settings/webhook").auth(&owner).json(json!({"id": 999, "name": "n", "uri": rx.url})))
        .await;
    assert_eq!(res.status, 404);

    let res = s
        .send(
            Req::put("/api/2.0/settings/webhook/enable")
                .auth(&owner)
                .json(json!({"id": id, "name": "n", "uri": "u", "enabled": false})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["response"]["enabled"], false);
    assert_eq!(res.json()["response"]["name"], "renamed", "enable changes nothing else");

    let list = s.send(Req::get("/api/2.0/settings/webhook").auth(&owner)).await.json();
    assert_eq!(list["response"][0]["configs"]["id"], id);
    assert_eq!(list["response"][0]["status"], 0);

    // A plain user sees and manages only their own; a guest nothing.
    let user = s.user("user@example.com", "User").await;
    let guest = s.user("guest@example.com", "Guest").await;
    assert_eq!(s.send(Req::get("/api/2.0/settings/webhook").auth(&user)).await.json()["response"], json!([]));
    assert_eq!(s.send(Req::delete(&format!("/api/2.0/settings/webhook/{id}")).auth(&user)).await.status, 403);
    assert_eq!(s.send(Req::get("/api/2.0/settings/webhook").auth(&guest)).await.status, 403);
    let res = s
        .send(
            Req::post("/api/2.0/settings/webhook")
                .auth(&user)
                .json(json!({"name": "u", "uri": rx.url, "secretKey": SECRET, "triggers": 1})),
        )
        .await;
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["error"]["message"], "Trigger is not available");
    let triggers = s.send(Req::get("/api/2.0/settings/webhook/triggers").auth(&user)).await.json()["response"].clone();
    let names: Vec<&str> = triggers.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(&names[..3], ["*", "user.created", "user.invited"]);
    assert_eq!(names[16], "file.downloaded");
    assert_eq!(&names[names.len() - 4..], ["link.opened", "link.passwordFailed", "link.lockedOut", "link.usedUp"]);
    assert_eq!(triggers[1], json!({"name": "user.created", "id": 1, "available": false}));
    assert_eq!(triggers[40], json!({"name": "link.usedUp", "id": 1i64 << 43, "available": true}));

    let res = s.send(Req::delete(&format!("/api/2.0/settings/webhook/{id}")).auth(&owner)).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["response"]["name"], "renamed");
    assert_eq!(s.send(Req::delete(&format!("/api/2.0/settings/webhook/{id}")).auth(&owner)).await.status, 404);
}

/// In-process servers run no outbox runner, so every queued delivery stays
/// "not sent" until the test says otherwise.
#[tokio::test]
async fn the_log_filters_and_pages_as_docspace() {
    let rx = Receiver::start().await;
    let s = TestServer::start_with(allow_loopback).await;
    let owner = s.owner().await;
    let a = create_hook(
        &s,
        &owner,
        json!({"name": "a", "uri": rx.url, "secretKey": SECRET, "enabled": true, "triggers": 128}),
    )
    .await;
    let b = create_hook(
        &s,
        &owner,
        json!({"name": "b", "uri": format!("{}?b", rx.url), "secretKey": SECRET, "enabled": true, "triggers": 256}),
    )
    .await;
    // Disabled webhooks get nothing.
    create_hook(&s, &owner, json!({"name": "off", "uri": rx.url, "secretKey": SECRET, "triggers": 0})).await;
    for i in 0..3 {
        s.upload_id(&owner, &format!("f{i}.txt"), b"x").await;
    }
    let all = log(&s, &owner, "").await;
    assert_eq!(all["total"], 6);
    let ids: Vec<i64> = all["response"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_by(|x, y| y.cmp(x));
    assert_eq!(ids, sorted, "newest first");

    let page = log(&s, &owner, "?count=4&startIndex=4").await;
    assert_eq!((page["total"].clone(), page["count"].clone()), (json!(6), json!(2)));
    assert_eq!(page["response"][0]["id"], ids[4]);
    assert_eq!(log(&s, &owner, &format!("?configId={}", a["id"])).await["total"], 3);
    assert_eq!(log(&s, &owner, "?trigger=256").await["total"], 3);
    assert_eq!(log(&s, &owner, &format!("?hookUri={}", urlencode(b["uri"].as_str().unwrap()))).await["total"], 3);
    let one = log(&s, &owner, &format!("?eventId={}", ids[2])).await;
    assert_eq!((one["total"].clone(), one["response"][0]["id"].clone()), (json!(1), json!(ids[2])));
    assert_eq!(log(&s, &owner, "?groupStatus=1").await["total"], 6);
    assert_eq!(log(&s, &owner, "?groupStatus=2").await["total"], 0);
    // Two delivered (one 200, one 204), one failed with 503.
    let at = now_micros();
    s.sql(&format!("UPDATE webhooks_logs SET status = 200, delivery = {at} WHERE id = {}", ids[0]), &[]).await;
    s.sql(&format!("UPDATE webhooks_logs SET status = 204, delivery = {} WHERE id = {}", at + 10, ids[1]), &[]).await;
    s.sql(&format!("UPDATE webhooks_logs SET status = 503 WHERE id = {}", ids[2]), &[]).await;
    assert_eq!(log(&s, &owner, "?groupStatus=2").await["total"], 2);
    assert_eq!(log(&s, &owner, "?groupStatus=16").await["total"], 1);
    assert_eq!(log(&s, &owner, "?groupStatus=17").await["total"], 4);
    assert_eq!(log(&s, &owner, "?groupStatus=8").await["total"], 0);
    let from = urlencode(&spacelinks_api_types::format_api_date(at + 5));
    assert_eq!(log(&s, &owner, &format!("?deliveryFrom={from}")).await["response"][0]["id"], ids[1]);
    assert_eq!(log(&s, &owner, &format!("?deliveryTo={from}")).await["response"][0]["id"], ids[0]);
    assert_eq!(log(&s, &owner, &format!("?userId={}", a["createdBy"]["id"].as_str().unwrap())).await["total"], 6);
    assert_eq!(log(&s, &owner, "?userId=00000000-0000-0000-0000-000000000001").await["total"], 0);
    for bad in ["?count=0", "?count=101", "?configId=x", "?deliveryFrom=never"] {
        let res = s.send(Req::get(&format!("/api/2.0/settings/webhooks/log{bad}")).auth(&owner)).await;
        assert_eq!(res.status, 400, "{bad}");
    }
    // A user sees the log of their own webhooks only, whatever userId says.
    let user = s.user("user@example.com", "User").await;
    assert_eq!(log(&s, &user, &format!("?userId={}", a["createdBy"]["id"].as_str().unwrap())).await["total"], 0);

    // Retry: a new row with the same body and event id, status 0.
    let res = s.send(Req::put(&format!("/api/2.0/settings/webhook/{}/retry", ids[2])).auth(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let new = res.json()["response"].clone();
    assert!(new["id"].as_i64().unwrap() > ids[0]);
    assert_eq!(new["status"], 0);
    assert!(new.get("delivery").is_none());
    let (old, again) = (
        s.store().webhook_log(ids[2]).await.unwrap().unwrap(),
        s.store().webhook_log(new["id"].as_i64().unwrap()).await.unwrap().unwrap(),
    );
    assert_eq!(
        (old.event_id, old.request_payload, old.trigger),
        (again.event_id, again.request_payload, again.trigger)
    );
    assert_eq!(s.send(Req::put("/api/2.0/settings/webhook/0/retry").auth(&owner)).await.status, 400);
    assert_eq!(s.send(Req::put("/api/2.0/settings/webhook/99999/retry").auth(&owner)).await.status, 404);
    assert_eq!(s.send(Req::put(&format!("/api/2.0/settings/webhook/{}/retry", ids[2])).auth(&user)).await.status, 403);
    let res = s
        .send(Req::put("/api/2.0/settings/webhook/retry").auth(&owner).json(json!({"ids": [ids[0], 99999, ids[1]]})))
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["response"].as_array().unwrap().len(), 2, "unknown ids are skipped");
    let res = s.send(Req::put("/api/2.0/settings/webhook/retry").auth(&user).json(json!({"ids": [ids[0]]}))).await;
    assert_eq!(res.json()["response"], json!([]), "foreign ids are skipped");
    assert_eq!(s.send(Req::put("/api/2.0/settings/webhook/retry").auth(&owner).json(json!({}))).await.status, 400);
}

/// `link.usedUp` from the download that takes a link's last allowed use:
/// once, with that download's client.
#[tokio::test]
async fn the_download_that_uses_a_link_up_fires_link_used_up() {
    let rx = Receiver::start().await;
    let s = TestServer::start_with(allow_loopback).await;
    let owner = s.owner().await;
    let bit = Trigger::LinkUsedUp.bit();
    create_hook(&s, &owner, json!({"name": "u", "uri": rx.url, "secretKey": SECRET, "enabled": true, "triggers": bit}))
        .await;
    let (file, link, token) =
        s.shared_file("Twice.txt", b"12", json!({"access": "Read", "title": "Twice", "maxUseCount": 2})).await;
    let url = format!("/filehandler.ashx?action=download&fileid={file}&share={token}");
    let download = || s.send(Req::get(&url).header("user-agent", "curl/8"));
    assert_eq!(download().await.status, 200);
    assert_eq!(log(&s, &owner, "").await["total"], 0, "the first of two uses does not use the link up");
    assert_eq!(download().await.status, 200);
    assert_eq!(download().await.status, 403, "used up");
    let v = log(&s, &owner, "").await;
    assert_eq!(v["total"], 1, "the download that took the last use fired link.usedUp, once: {v}");
    assert_eq!(v["response"][0]["trigger"], bit);
    let body: Value = serde_json::from_str(v["response"][0]["requestPayload"].as_str().unwrap()).unwrap();
    assert_eq!(body["event"]["trigger"], "link.usedUp");
    assert_eq!(body["payload"]["link"], json!({"id": link, "title": "Twice"}));
    assert_eq!(body["payload"]["client"], json!({"ip": "127.0.0.1", "userAgent": "curl/8"}));
    assert_eq!(body["payload"]["file"]["title"], "Twice.txt");
}

fn urlencode(s: &str) -> String {
    url_escape(s)
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Two nodes on one PostgreSQL database, both running the outbox: every
/// delivery reaches the receiver exactly once.
#[tokio::test]
async fn two_nodes_on_postgres_deliver_each_event_once() {
    let Some(pg) = PgSchema::create("two_nodes_on_postgres_deliver_each_event_once").await else { return };
    let rx = Receiver::start().await;
    let url = pg.url.clone();
    let on_pg = move |c: &mut spacelinks_server::Config| {
        allow_loopback(c);
        c.database_url = Some(url.clone());
        c.webhook_poll_interval = std::time::Duration::from_millis(20);
    };
    let a = TestServer::start_socket_with(on_pg.clone()).await;
    let b = a.second_node_with(on_pg).await;
    let owner = a.owner().await;
    create_hook(
        &a,
        &owner,
        json!({"name": "pg", "uri": rx.url, "secretKey": SECRET, "enabled": true, "triggers": 256}),
    )
    .await;
    for i in 0..20 {
        let node = if i % 2 == 0 { &a } else { &b };
        node.upload_id(&owner, &format!("n{i}.txt"), b"x").await;
    }
    let mut seen = std::collections::HashSet::new();
    for _ in 0..20 {
        let d = rx.next().await;
        assert_signed(&d, SECRET);
        assert!(seen.insert(d.header("x-spacelinks-event-id")), "an event was delivered twice");
    }
    for _ in 0..600 {
        if log(&a, &owner, "?groupStatus=2").await["total"] == 20 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(log(&a, &owner, "?groupStatus=2").await["total"], 20);
    assert!(rx.try_next().await.is_none(), "a delivery was sent twice");
    drop((a, b));
    pg.drop_schema().await;
}

/// A folder link's zip fires DocSpace's bulk-download events:
/// `folder.downloaded` for the selected folder.
#[tokio::test]
async fn a_folder_zip_fires_folder_downloaded() {
    let rx = Receiver::start().await;
    let s = TestServer::start_socket_with(allow_loopback).await;
    let owner = s.owner().await;
    let bits = Trigger::FolderDownloaded.bit() | Trigger::FileDownloaded.bit();
    create_hook(
        &s,
        &owner,
        json!({"name": "z", "uri": rx.url, "secretKey": SECRET, "enabled": true, "triggers": bits}),
    )
    .await;
    let root =
        s.send(Req::get("/api/2.0/files/@my").auth(&owner)).await.json()["response"]["current"]["id"].as_i64().unwrap();
    let res =
        s.send(Req::post(&format!("/api/2.0/files/folder/{root}")).auth(&owner).json(json!({"title": "Zipped"}))).await;
    let folder = res.json()["response"]["id"].as_i64().unwrap();
    let res = s
        .send(Req::post(&format!("/api/2.0/files/{folder}/upload")).auth(&owner).multipart("file", "in.txt", b"inside"))
        .await;
    assert_eq!(res.status, 200);
    let link = s
        .send(Req::put(&format!("/api/2.0/files/folder/{folder}/links")).auth(&owner).json(json!({"access": 2})))
        .await;
    let token = token(&link.json()["response"]);
    let res = s.send(Req::get(&format!("/filehandler.ashx?action=bulk&folderid={folder}")).share(&token)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let got = rx.next_of("folder.downloaded").await;
    assert_signed(&got, SECRET);
    let body = got.json();
    assert_eq!(body["payload"]["id"], json!(folder));
    assert_eq!(body["payload"]["title"], "Zipped");
    let v = log(&s, &owner, "").await;
    assert_eq!(v["total"], 1, "the files inside a selected folder fire nothing of their own: {v}");
}
