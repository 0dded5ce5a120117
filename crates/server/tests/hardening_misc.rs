//! Issue 10, hole 10 ("smaller ones"), each pinned by a test that failed
//! before its fix: titles with control or bidirectional characters, numbers
//! where strings belong, IPv4-mapped peers and trusted proxies, `/readyz`,
//! blobs left behind by a failed insert, concurrent link updates.

mod common;

use common::*;
use serde_json::{json, Value};

fn password(token: &str, pw: &str) -> Req {
    Req::post(&format!("/api/2.0/files/share/{token}/password")).json(json!({"password": pw}))
}

// ---- titles -------------------------------------------------------------------

const BAD_TITLES: &[(&str, &str)] = &[
    ("invoice\u{202E}fdp.exe", "U+202E"),
    ("nul\u{0}byte.txt", "U+0000"),
    ("bell\u{7}.txt", "U+0007"),
    ("c1\u{85}x.txt", "U+0085"),
    ("isolate\u{2066}x.txt", "U+2066"),
    ("mark\u{200F}x.txt", "U+200F"),
    ("arabic\u{061C}x.txt", "U+061C"),
];

#[tokio::test]
async fn titles_with_control_or_bidi_characters_are_refused_everywhere() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let my = s.send(Req::get("/api/2.0/files/@my").auth(&owner)).await.json()["response"]["current"]["id"].clone();
    for (title, code) in BAD_TITLES {
        let res = s.send(Req::post("/api/2.0/files/@my/file").auth(&owner).json(json!({"title": title}))).await;
        assert!(res.assert_error(400).contains(code), "create file {title:?}: {}", res.text());
        let res =
            s.send(Req::post(&format!("/api/2.0/files/{my}/file")).auth(&owner).json(json!({"title": title}))).await;
        assert!(res.assert_error(400).contains(code), "create file in folder {title:?}");
        let res =
            s.send(Req::post(&format!("/api/2.0/files/folder/{my}")).auth(&owner).json(json!({"title": title}))).await;
        assert!(res.assert_error(400).contains(code), "create folder {title:?}");
        let res = s.send(Req::post("/api/2.0/files/@my/upload").auth(&owner).multipart("file", title, b"x")).await;
        let msg = res.assert_error(400);
        // C0 controls cannot travel in a multipart header at all.
        let in_header = !title.chars().any(|c| c < ' ');
        assert!(!in_header || msg.contains(code), "upload {title:?}: {msg}");
    }
    let id = s.upload_id(&owner, "fine.txt", b"x").await;
    for (title, code) in BAD_TITLES {
        let res = s
            .send(
                Req::put(&format!("/api/2.0/files/file/{id}/links"))
                    .auth(&owner)
                    .json(json!({"access": "Read", "title": title})),
            )
            .await;
        assert!(res.assert_error(400).contains(code), "link title {title:?}");
    }
    // Nothing of the refused requests was stored.
    let listing = s.send(Req::get("/api/2.0/files/@my").auth(&owner)).await.json();
    assert_eq!(listing["response"]["total"], 1, "{listing}");
    // Ordinary text in other scripts is fine.
    let res =
        s.send(Req::post("/api/2.0/files/@my/file").auth(&owner).json(json!({"title": "تقرير Отчёт 报告.docx"}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
}

// ---- strings must be strings ------------------------------------------------

#[tokio::test]
async fn a_number_where_a_string_belongs_is_400() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let my = s.send(Req::get("/api/2.0/files/@my").auth(&owner)).await.json()["response"]["current"]["id"].clone();
    let id = s.upload_id(&owner, "fine.txt", b"x").await;
    let cases: Vec<(Req, &str)> = vec![
        (Req::post("/api/2.0/files/@my/file").auth(&owner).json(json!({"title": 42})), "title"),
        (Req::post(&format!("/api/2.0/files/{my}/file")).auth(&owner).json(json!({"title": 4.5})), "title"),
        (Req::post(&format!("/api/2.0/files/folder/{my}")).auth(&owner).json(json!({"title": 7})), "title"),
        (
            Req::put(&format!("/api/2.0/files/file/{id}/links"))
                .auth(&owner)
                .json(json!({"access": "Read", "title": 42})),
            "title",
        ),
        (
            Req::put(&format!("/api/2.0/files/file/{id}/links"))
                .auth(&owner)
                .json(json!({"access": "Read", "password": 12345678})),
            "password",
        ),
        (Req::put(&format!("/api/2.0/files/file/{id}/links")).auth(&owner).json(json!({"linkId": 5})), "linkid"),
        (Req::post("/api/2.0/keys").auth(&owner).json(json!({"name": 1})), "name"),
        (Req::post("/api/2.0/authentication").json(json!({"userName": 1, "password": "x"})), "username"),
        (Req::post("/api/2.0/authentication").json(json!({"userName": OWNER_EMAIL, "password": 1})), "password"),
        (
            Req::post("/api/2.0/people").auth(&owner).json(json!({"email": "n@example.com", "firstName": 3})),
            "firstname",
        ),
        (Req::post("/api/2.0/people").auth(&owner).json(json!({"email": "n@example.com", "lastName": 3})), "lastname"),
        (
            Req::post("/api/2.0/people").auth(&owner).json(json!({"email": "n@example.com", "password": 123456789})),
            "password",
        ),
        (Req::post("/api/2.0/people").auth(&owner).json(json!({"email": 5})), "email"),
    ];
    for (req, field) in cases {
        let what = format!("{} {}", req.method, req.path);
        let msg = s.send(req).await.assert_error(400);
        assert!(msg.contains(&format!("'{field}'")) && msg.contains("string"), "{what}: {msg}");
    }
    let listing = s.send(Req::get("/api/2.0/files/@my").auth(&owner)).await.json();
    assert_eq!(listing["response"]["total"], 1, "nothing was created: {listing}");
    // Numeric and enum fields keep accepting quoted numbers and numbers.
    let link = s.put_link(&owner, id, json!({"access": "2", "denyDownload": "true"})).await;
    assert_eq!(link["access"], 2);
    let res =
        s.send(Req::post("/api/2.0/people").auth(&owner).json(json!({"email": "g@example.com", "type": 2}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
}

// ---- IPv4-mapped peers --------------------------------------------------------

#[tokio::test]
async fn an_ipv4_mapped_proxy_is_still_the_trusted_proxy() {
    let s = TestServer::start_with(|c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    let (_, lid, token) =
        s.shared_file("Locked.docx", b"x", json!({"access": "Read", "password": LINK_PASSWORD})).await;
    // A dual-stack listener sees the proxy at ::ffff:127.0.0.1.
    let req = password(&token, "Wrong-pass1").peer("::ffff:127.0.0.1").header("x-forwarded-for", "203.0.113.5");
    assert_eq!(s.send(req).await.status, 200);
    // A direct client on a mapped address is logged (and limited) as IPv4,
    // and its forged X-Forwarded-For is ignored.
    let req = password(&token, "Wrong-pass1").peer("::ffff:198.51.100.7").header("x-forwarded-for", "203.0.113.9");
    assert_eq!(s.send(req).await.status, 200);
    // So is a mapped address inside X-Forwarded-For.
    let req = password(&token, "Wrong-pass1").peer("127.0.0.1").header("x-forwarded-for", "::ffff:192.0.2.1");
    assert_eq!(s.send(req).await.status, 200);
    s.state.events.flush().await;
    let ips: Vec<String> = s.store().link_events(&lid).await.unwrap().into_iter().map(|e| e.ip).collect();
    assert_eq!(ips, ["203.0.113.5", "198.51.100.7", "192.0.2.1"]);
}

// ---- readiness ----------------------------------------------------------------

#[tokio::test]
async fn readyz_checks_the_database_and_the_blob_store() {
    let s = TestServer::start().await;
    let res = s.send(Req::get("/readyz")).await;
    assert_eq!((res.status, res.text()), (200, "ok".to_string()));
    // The blob store gone: not ready, in the error envelope.
    std::fs::remove_dir_all(s.data_dir.join("blobs")).unwrap();
    std::fs::write(s.data_dir.join("blobs"), b"not a directory").unwrap();
    let res = s.send(Req::get("/readyz")).await;
    let msg = res.assert_error(503);
    assert!(msg.contains("blob"), "{msg}");
    std::fs::remove_file(s.data_dir.join("blobs")).unwrap();
    std::fs::create_dir(s.data_dir.join("blobs")).unwrap();
    assert_eq!(s.send(Req::get("/readyz")).await.status, 200);
    // The database failing its query: not ready; /healthz (liveness)
    // still answers, as it never asks the database.
    s.sql("ALTER TABLE users RENAME TO users_away", &[]).await;
    let msg = s.send(Req::get("/readyz")).await.assert_error(503);
    assert!(msg.contains("database"), "{msg}");
    assert_eq!(s.send(Req::get("/healthz")).await.status, 200);
    s.sql("ALTER TABLE users_away RENAME TO users", &[]).await;
    assert_eq!(s.send(Req::get("/readyz")).await.status, 200);
}

// ---- no orphaned blobs --------------------------------------------------------

/// Every file under `dir`, staging files included, sorted.
fn blob_files(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(blob_files(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_failed_insert_leaves_no_blob_behind() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    s.upload_id(&owner, "keep.txt", b"kept").await;
    let before = blob_files(&s.data_dir.join("blobs"));
    // Make every file insert fail after the blob is written.
    s.sql("CREATE TRIGGER no_files BEFORE INSERT ON files BEGIN SELECT RAISE(FAIL, 'refused'); END", &[]).await;
    let res = s.send(Req::post("/api/2.0/files/@my/upload").auth(&owner).multipart("file", "lost.txt", b"lost")).await;
    assert_eq!(res.status, 500, "{}", res.text());
    let res = s.send(Req::post("/api/2.0/files/@my/file").auth(&owner).json(json!({"title": "empty.docx"}))).await;
    assert_eq!(res.status, 500, "{}", res.text());
    assert_eq!(blob_files(&s.data_dir.join("blobs")), before, "the failed uploads' blobs were removed");
}

// ---- concurrent link updates ----------------------------------------------------

#[tokio::test]
async fn parallel_puts_on_one_link_keep_every_change() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    for round in 0..5 {
        let id = s.upload_id(&owner, &format!("doc{round}.docx"), b"x").await;
        let link = s.put_link(&owner, id, json!({"access": "Read", "title": "before"})).await;
        let lid = link_id(&link);
        let expires = spacelinks_api_types::format_api_date(now_micros() + 400 * 86_400_000_000);
        let changes = [
            json!({"linkId": lid, "access": "Editing"}),
            json!({"linkId": lid, "title": "after"}),
            json!({"linkId": lid, "expirationDate": expires}),
            json!({"linkId": lid, "password": LINK_PASSWORD}),
            json!({"linkId": lid, "denyDownload": true}),
            json!({"linkId": lid, "internal": true}),
        ];
        let puts = changes
            .iter()
            .map(|body| s.send(Req::put(&format!("/api/2.0/files/file/{id}/links")).auth(&owner).json(body.clone())));
        for res in futures::future::join_all(puts).await {
            assert_eq!(res.status, 200, "{}", res.text());
        }
        let res = s.send(Req::get(&format!("/api/2.0/files/file/{id}/links")).auth(&owner)).await.json();
        let got: &Value = &res["response"][0];
        let sl = &got["sharedLink"];
        assert_eq!(
            (
                got["access"].clone(),
                sl["title"].clone(),
                sl["password"].clone(),
                sl["denyDownload"].clone(),
                sl["internal"].clone()
            ),
            (json!(10), json!("after"), json!(LINK_PASSWORD), json!(true), json!(true)),
            "round {round}: {got}"
        );
        assert_eq!(sl["expirationDate"], json!(expires), "round {round}: {got}");
    }
}
