//! Issue 12, the recipient of a folder link, over a real socket: on a
//! three-level tree, every path below the shared folder opens (listing,
//! folder info, file info, download, ranges, view, the zip) and nothing
//! outside it does (a sibling folder, the parent, another user's file), for
//! plain, password, expired, revoked, internal and deny-download links;
//! refused answers never carry a byte of any file.

mod common;

use common::*;
use serde_json::{json, Value};

const A: &[u8] = b"alpha-in-shared-0001";
const B: &[u8] = b"bravo-in-sub-0002";
const C: &[u8] = b"charlie-in-deep-0003";
const SIB: &[u8] = b"sibling-secret-0004";
const ROOT: &[u8] = b"parent-secret-0005";
const OTHER: &[u8] = b"other-user-secret-0006";
const ALL: [&[u8]; 6] = [A, B, C, SIB, ROOT, OTHER];

struct Tree {
    owner: String,
    root: i64,
    shared: i64,
    sub: i64,
    deep: i64,
    sibling: i64,
    files: [i64; 3],
    sibling_file: i64,
    root_file: i64,
    other_file: i64,
}

async fn folder(s: &TestServer, token: &str, parent: i64, title: &str) -> i64 {
    let res =
        s.send(Req::post(&format!("/api/2.0/files/folder/{parent}")).auth(token).json(json!({"title": title}))).await;
    res.json()["response"]["id"].as_i64().unwrap()
}

async fn upload(s: &TestServer, token: &str, folder: i64, name: &str, content: &[u8]) -> i64 {
    let res = s
        .send(Req::post(&format!("/api/2.0/files/{folder}/upload")).auth(token).multipart("file", name, content))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["response"][0]["id"].as_i64().unwrap()
}

/// My Documents / Shared / Sub / Deep, a sibling folder, a file beside the
/// shared folder, and another user's file.
async fn tree(s: &TestServer) -> Tree {
    let owner = s.owner().await;
    let root =
        s.send(Req::get("/api/2.0/files/@my").auth(&owner)).await.json()["response"]["current"]["id"].as_i64().unwrap();
    let shared = folder(s, &owner, root, "Shared").await;
    let sub = folder(s, &owner, shared, "Sub").await;
    let deep = folder(s, &owner, sub, "Deep").await;
    let sibling = folder(s, &owner, root, "Sibling").await;
    let files = [
        upload(s, &owner, shared, "a.txt", A).await,
        upload(s, &owner, sub, "b.txt", B).await,
        upload(s, &owner, deep, "c.txt", C).await,
    ];
    let sibling_file = upload(s, &owner, sibling, "s.txt", SIB).await;
    let root_file = upload(s, &owner, root, "r.txt", ROOT).await;
    let stranger = s.user(&format!("u{}@example.com", uuid::Uuid::new_v4().simple()), "User").await;
    let other_file = s.upload_id(&stranger, "o.txt", OTHER).await;
    Tree { owner, root, shared, sub, deep, sibling, files, sibling_file, root_file, other_file }
}

async fn share(s: &TestServer, t: &Tree, body: Value) -> (String, String) {
    let res = s.send(Req::put(&format!("/api/2.0/files/folder/{}/links", t.shared)).auth(&t.owner).json(body)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let link = res.json()["response"].clone();
    (link_id(&link), token(&link))
}

fn leaks(res: &Resp) -> bool {
    ALL.iter().any(|secret| res.body.windows(secret.len()).any(|w| w == *secret))
}

/// Every request a visitor makes below the folder.
fn inside(t: &Tree) -> Vec<(String, Option<&'static [u8]>)> {
    let mut v: Vec<(String, Option<&'static [u8]>)> = [t.shared, t.sub, t.deep]
        .iter()
        .flat_map(|f| [(format!("/api/2.0/files/{f}"), None), (format!("/api/2.0/files/folder/{f}"), None)])
        .collect();
    for (id, content) in t.files.iter().zip([A, B, C]) {
        v.push((format!("/api/2.0/files/file/{id}"), None));
        v.push((format!("/filehandler.ashx?action=download&fileid={id}"), Some(content)));
    }
    v
}

/// Every request outside the folder, none of which may answer anything.
fn outside(t: &Tree) -> Vec<String> {
    let mut v = vec![
        format!("/api/2.0/files/{}", t.root),
        format!("/api/2.0/files/folder/{}", t.root),
        format!("/api/2.0/files/{}", t.sibling),
        format!("/filehandler.ashx?action=bulk&folderid={}", t.sibling),
        format!("/filehandler.ashx?action=bulk&folderid={}", t.root),
    ];
    for id in [t.sibling_file, t.root_file, t.other_file] {
        v.push(format!("/api/2.0/files/file/{id}"));
        v.push(format!("/filehandler.ashx?action=download&fileid={id}"));
        v.push(format!("/filehandler.ashx?action=view&fileid={id}"));
    }
    v
}

async fn assert_outside_refused(s: &TestServer, t: &Tree, token: &str, cookie: Option<&str>) {
    for path in outside(t) {
        let mut req = Req::get(&path).share(token);
        if let Some(c) = cookie {
            req = req.cookie(c);
        }
        let res = s.send(req).await;
        assert!(matches!(res.status, 403 | 404), "{path}: {} {}", res.status, res.text());
        assert!(!leaks(&res), "{path} leaked a file's bytes");
    }
}

async fn assert_inside(s: &TestServer, t: &Tree, token: &str, cookie: Option<&str>, allowed: bool) {
    for (path, content) in inside(t) {
        let mut req = Req::get(&path).share(token);
        if let Some(c) = cookie {
            req = req.cookie(c);
        }
        let res = s.send(req).await;
        if allowed {
            assert_eq!(res.status, 200, "{path}: {}", res.text());
            if let Some(c) = content {
                assert_eq!(res.body, c, "{path}");
            }
        } else {
            assert!(matches!(res.status, 403 | 404), "{path}: {} {}", res.status, res.text());
            assert!(!leaks(&res), "{path} leaked a file's bytes");
        }
    }
}

#[tokio::test]
async fn a_plain_folder_link_opens_everything_below_and_nothing_else() {
    let s = TestServer::start_socket().await;
    let t = tree(&s).await;
    let (_, tok) = share(&s, &t, json!({"access": 2, "title": "For the team"})).await;

    let r = s.send(Req::get(&format!("/api/2.0/files/share/{tok}"))).await.json()["response"].clone();
    assert_eq!(
        (r["status"].clone(), r["type"].clone(), r["id"].clone()),
        (json!(0), json!(1), json!(t.shared.to_string()))
    );
    assert_eq!(r["title"], "Shared");

    assert_inside(&s, &t, &tok, None, true).await;
    assert_outside_refused(&s, &t, &tok, None).await;
    // The same through `?share=`.
    let res = s.send(Req::get(&format!("/api/2.0/files/{}?share={tok}", t.deep))).await;
    assert_eq!(res.json()["response"]["files"][0]["title"], "c.txt");

    // The listing: children carry the token, are not "external", and the
    // breadcrumbs start at the shared folder.
    let v = s.send(Req::get(&format!("/api/2.0/files/{}", t.sub)).share(&tok)).await.json()["response"].clone();
    let crumbs: Vec<i64> = v["pathParts"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert_eq!(crumbs, [t.shared, t.sub]);
    assert_eq!(v["files"][0]["requestToken"], tok.as_str());
    assert_eq!(v["files"][0]["external"], false);
    assert_eq!(v["folders"][0]["title"], "Deep");
    assert_eq!(v["current"]["security"]["Create"], false);
    assert_eq!(v["current"]["security"]["Download"], true);
    let top = s.send(Req::get(&format!("/api/2.0/files/{}", t.shared)).share(&tok)).await.json()["response"].clone();
    assert_eq!(top["current"]["external"], true);
    assert_eq!(top["current"]["shared"], true);

    // Ranges and view below the folder.
    let c = t.files[2];
    let res = s
        .send(
            Req::get(&format!("/filehandler.ashx?action=download&fileid={c}")).share(&tok).header("range", "bytes=0-6"),
        )
        .await;
    assert_eq!((res.status, res.body.as_slice()), (206, &C[..7]));
    let res = s.send(Req::get(&format!("/filehandler.ashx?action=view&fileid={c}")).share(&tok)).await;
    assert_eq!(res.status, 200);

    // No token, a forged token, a file link's token: nothing.
    for token in ["", "forged-token", &s.shared_file("x.txt", b"x", json!({"access": 2})).await.2] {
        let res = s.send(Req::get(&format!("/api/2.0/files/{}", t.shared)).share(token)).await;
        assert_eq!(res.status, 403, "token {token:?}");
        let res =
            s.send(Req::get(&format!("/filehandler.ashx?action=download&fileid={}", t.files[0])).share(token)).await;
        assert!(matches!(res.status, 403 | 404) && !leaks(&res));
    }
}

#[tokio::test]
async fn one_password_proof_unlocks_the_whole_folder() {
    let s = TestServer::start_socket().await;
    let t = tree(&s).await;
    let (lid, tok) = share(&s, &t, json!({"access": 2, "password": LINK_PASSWORD})).await;
    let r = s.send(Req::get(&format!("/api/2.0/files/share/{tok}"))).await.json()["response"].clone();
    assert_eq!(r["status"], 3);
    assert_inside(&s, &t, &tok, None, false).await;
    let wrong = s
        .send(Req::post(&format!("/api/2.0/files/share/{tok}/password")).json(json!({"password": "Wrong-pw12"})))
        .await;
    assert_eq!(wrong.json()["response"]["status"], 4);
    let res = s
        .send(Req::post(&format!("/api/2.0/files/share/{tok}/password")).json(json!({"password": LINK_PASSWORD})))
        .await;
    assert_eq!(res.json()["response"]["status"], 0);
    let cookie = res.cookie_pair(&format!("sharelink{lid}")).expect("the proof cookie");
    assert_inside(&s, &t, &tok, Some(&cookie), true).await;
    assert_outside_refused(&s, &t, &tok, Some(&cookie)).await;
}

#[tokio::test]
async fn expired_revoked_and_internal_links_open_nothing() {
    let s = TestServer::start_socket().await;
    let t = tree(&s).await;

    let (lid, tok) = share(&s, &t, json!({"access": 2})).await;
    s.expire_link(&lid).await;
    assert_eq!(s.send(Req::get(&format!("/api/2.0/files/share/{tok}"))).await.json()["response"]["status"], 2);
    assert_inside(&s, &t, &tok, None, false).await;
    assert_outside_refused(&s, &t, &tok, None).await;

    let (lid, tok) = share(&s, &t, json!({"access": 2})).await;
    assert_inside(&s, &t, &tok, None, true).await;
    let res = s
        .send(
            Req::put(&format!("/api/2.0/files/folder/{}/links", t.shared))
                .auth(&t.owner)
                .json(json!({"linkId": lid, "access": 0})),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(s.send(Req::get(&format!("/api/2.0/files/share/{tok}"))).await.json()["response"]["status"], 1);
    assert_inside(&s, &t, &tok, None, false).await;

    let (_, tok) = share(&s, &t, json!({"access": 2, "internal": true})).await;
    assert_eq!(s.send(Req::get(&format!("/api/2.0/files/share/{tok}"))).await.json()["response"]["status"], 5);
    assert_inside(&s, &t, &tok, None, false).await;
    // A signed-in member of the portal opens it.
    let member = s.user("member@example.com", "User").await;
    for (path, content) in inside(&t) {
        let res = s.send(Req::get(&path).share(&tok).auth(&member)).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text());
        if let Some(c) = content {
            assert_eq!(res.body, c);
        }
    }
    for path in outside(&t) {
        let res = s.send(Req::get(&path).share(&tok).auth(&member)).await;
        assert!(matches!(res.status, 403 | 404) && !leaks(&res), "{path}: {}", res.status);
    }
}

#[tokio::test]
async fn deny_download_blocks_every_download_below() {
    let s = TestServer::start_socket().await;
    let t = tree(&s).await;
    let (_, tok) = share(&s, &t, json!({"access": 2, "denyDownload": true})).await;
    for f in [t.shared, t.sub, t.deep] {
        let res = s.send(Req::get(&format!("/api/2.0/files/{f}")).share(&tok)).await;
        assert_eq!(res.status, 200);
        let v = res.json()["response"].clone();
        assert_eq!(v["current"]["security"]["Download"], false);
        assert_eq!(v["current"]["denyDownload"], true);
    }
    for id in t.files {
        let info = s.send(Req::get(&format!("/api/2.0/files/file/{id}")).share(&tok)).await.json();
        assert_eq!(info["response"]["security"]["Download"], false);
        let res = s.send(Req::get(&format!("/filehandler.ashx?action=download&fileid={id}")).share(&tok)).await;
        res.assert_error(403);
        assert!(!leaks(&res));
        // The share page's preview still loads, as for a file link's.
        let res = s.send(Req::get(&format!("/filehandler.ashx?action=view&fileid={id}")).share(&tok)).await;
        assert_eq!(res.status, 200);
    }
    let res = s
        .send(Req::put("/api/2.0/files/fileops/bulkdownload").share(&tok).json(json!({"folderIds": [t.shared]})))
        .await;
    assert_eq!(res.assert_error(404), "The required folder was not found");
    let res = s
        .send(Req::put("/api/2.0/files/fileops/bulkdownload").share(&tok).json(json!({"fileIds": [t.files[0]]})))
        .await;
    assert_eq!(res.assert_error(404), "The required file was not found");
    let res = s.send(Req::get(&format!("/filehandler.ashx?action=bulk&folderid={}", t.sub)).share(&tok)).await;
    res.assert_error(404);
    assert!(!leaks(&res));
    assert_outside_refused(&s, &t, &tok, None).await;
}

#[tokio::test]
async fn bulk_download_through_the_link() {
    let s = TestServer::start_socket().await;
    let t = tree(&s).await;
    let (lid, tok) = share(&s, &t, json!({"access": 2})).await;
    let res = s
        .send(
            Req::put("/api/2.0/files/fileops/bulkdownload")
                .share(&tok)
                .json(json!({"folderIds": [t.shared.to_string()], "fileIds": [], "returnSingleOperation": true})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let op = res.json()["response"][0].clone();
    assert_eq!(
        (op["Operation"].clone(), op["finished"].clone(), op["progress"].clone()),
        (json!(3), json!(true), json!(100))
    );
    assert!(op["error"].is_null());
    let url = op["url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("{}/filehandler.ashx?action=bulk&filename=", s.base())), "{url}");

    // The status, as the SDK polls it, and only for this link's visitors.
    let listed =
        s.send(Req::get(&format!("/api/2.0/files/fileops?id={}", op["id"].as_str().unwrap())).share(&tok)).await;
    assert_eq!(listed.json()["response"][0]["id"], op["id"]);
    assert_eq!(s.send(Req::get("/api/2.0/files/fileops")).await.json()["response"], json!([]));

    // The archive: named after the folder, stored entries, every file's bytes.
    let zip = s.send(Req::get(url.trim_start_matches(&s.base()))).await;
    assert_eq!(zip.status, 200, "{}", zip.text());
    assert_eq!(zip.content_type(), "application/zip");
    assert!(zip.header("content-disposition").unwrap().contains("filename=\"Shared.zip\""));
    assert!(zip.body.starts_with(b"PK\x03\x04"));
    for content in [A, B, C] {
        assert!(zip.body.windows(content.len()).any(|w| w == content), "a file is missing from the zip");
    }
    for secret in [SIB, ROOT, OTHER] {
        assert!(!zip.body.windows(secret.len()).any(|w| w == secret), "the zip holds a file from outside");
    }
    for name in ["a.txt", "Sub/b.txt", "Sub/Deep/c.txt", "Sub/Deep/"] {
        assert!(zip.body.windows(name.len()).any(|w| w == name.as_bytes()), "no entry {name}");
    }
    // The download counts as one use of the link.
    s.state.events.flush().await;
    let events = s.store().link_events(&lid).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == spacelinks_core::EventKind::Downloaded).count(), 1, "{events:?}");

    // Once the link is gone, the operation's URL gives nothing.
    s.send(
        Req::put(&format!("/api/2.0/files/folder/{}/links", t.shared))
            .auth(&t.owner)
            .json(json!({"linkId": lid, "access": 0})),
    )
    .await;
    let res = s.send(Req::get(url.trim_start_matches(&s.base()))).await;
    assert!(matches!(res.status, 403 | 404) && !leaks(&res), "{}", res.status);

    // A selection inside the folder: one folder and one file make a dated zip.
    let (_, tok) = share(&s, &t, json!({"access": 2})).await;
    let res = s
        .send(
            Req::put("/api/2.0/files/fileops/bulkdownload")
                .share(&tok)
                .json(json!({"folderIds": [t.deep], "fileIds": [t.files[0]]})),
        )
        .await;
    let url = res.json()["response"].as_array().unwrap().last().unwrap()["url"].as_str().unwrap().to_string();
    let zip = s.send(Req::get(url.trim_start_matches(&s.base()))).await;
    let disposition = zip.header("content-disposition").unwrap();
    assert!(disposition.contains("-download-"), "{disposition}");
    for name in ["Deep/c.txt", "a.txt"] {
        assert!(zip.body.windows(name.len()).any(|w| w == name.as_bytes()), "no entry {name}");
    }
    // Items outside the folder are refused, with nothing started.
    let res = s
        .send(Req::put("/api/2.0/files/fileops/bulkdownload").share(&tok).json(json!({"folderIds": [t.sibling]})))
        .await;
    res.assert_error(403);
    let res = s
        .send(Req::put("/api/2.0/files/fileops/bulkdownload").share(&tok).json(json!({"fileIds": [t.other_file]})))
        .await;
    res.assert_error(403);
    let res = s.send(Req::put("/api/2.0/files/fileops/bulkdownload").share(&tok).json(json!({"folderIds": "x"}))).await;
    res.assert_error(400);
}

#[tokio::test]
async fn the_folder_share_page() {
    let s = TestServer::start_socket().await;
    let t = tree(&s).await;
    let (_, tok) = share(&s, &t, json!({"access": 2, "title": "Holiday photos", "password": LINK_PASSWORD})).await;
    let page = s.send(Req::get(&format!("/rooms/share?key={tok}"))).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("id=\"password-form\"") && page.text().contains("name=\"folderid\""));
    assert!(!leaks(&page));
    let form = format!("share={tok}&folderid={}&password={LINK_PASSWORD}", t.sub);
    let res = s.send(Req::post("/share/password").body("application/x-www-form-urlencoded", form)).await;
    assert_eq!(res.status, 303);
    let cookie = res.set_cookies()[0].split(';').next().unwrap().to_string();
    let to = res.header("location").unwrap();
    assert!(to.ends_with(&format!("&folder={}", t.sub)), "{to}");
    let page = s.send(Req::get(&to).cookie(&cookie)).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("Holiday photos") && html.contains("b.txt") && html.contains("Deep"), "{html}");
    assert!(html.contains("id=\"download-all\""));
    assert!(!html.contains("Sibling") && !html.contains("My documents"), "breadcrumbs above the shared folder");
    assert!(page.header("content-security-policy").unwrap().contains("default-src 'none'"));
    // A folder outside the link: the invalid page.
    let res = s.send(Req::get(&format!("/rooms/share?key={tok}&folder={}", t.sibling)).cookie(&cookie)).await;
    assert_eq!(res.status, 404);
    // A file inside opens in the file page, with a way back.
    let file = s.send(Req::get(&format!("/doceditor?fileid={}&share={tok}", t.files[2])).cookie(&cookie)).await;
    assert_eq!(file.status, 200);
    assert!(file.text().contains("id=\"back\"") && file.text().contains(&format!("folder={}", t.deep)));
}

/// The link controls hold on folder links: a zip of the folder is one use,
/// a used-up link resolves Expired and opens nothing below, raising the
/// limit revives it; a client outside `allowedNetworks` is refused on every
/// path below.
#[tokio::test]
async fn link_controls_hold_below_a_folder_link() {
    let s = TestServer::start_socket().await;
    let t = tree(&s).await;
    let (lid, tok) = share(&s, &t, json!({"access": 2, "maxUseCount": 1})).await;
    let zip = format!("/filehandler.ashx?action=bulk&folderid={}", t.shared);
    let res = s.send(Req::get(&zip).share(&tok)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(res.body.starts_with(b"PK"), "a zip");
    let res = s.send(Req::get(&zip).share(&tok)).await;
    assert_eq!(res.status, 403, "the one use is spent");
    assert!(res.text().contains("maxUseCount"), "{}", res.text());
    assert_eq!(s.send(Req::get(&format!("/api/2.0/files/share/{tok}"))).await.json()["response"]["status"], 2);
    assert_inside(&s, &t, &tok, None, false).await;
    let list = s.send(Req::get(&format!("/api/2.0/files/folder/{}/links", t.shared)).auth(&t.owner)).await.json();
    assert_eq!(list["response"][0]["sharedTo"]["currentUseCount"], 1, "{list}");
    share(&s, &t, json!({"linkId": lid, "maxUseCount": 5})).await;
    assert_eq!(s.send(Req::get(&format!("/api/2.0/files/share/{tok}"))).await.json()["response"]["status"], 0);
    assert_eq!(s.send(Req::get(&zip).share(&tok)).await.status, 200, "revived by a higher limit");

    let (_, tok) = share(&s, &t, json!({"access": 2, "allowedNetworks": ["203.0.113.0/24"]})).await;
    assert_eq!(s.send(Req::get(&format!("/api/2.0/files/share/{tok}"))).await.json()["response"]["status"], 5);
    assert_inside(&s, &t, &tok, None, false).await;
    let (_, tok) = share(&s, &t, json!({"access": 2, "allowedNetworks": ["127.0.0.0/8"]})).await;
    assert_inside(&s, &t, &tok, None, true).await;
}
