//! The recipient side over a real socket (reqwest against `serve` on
//! 127.0.0.1:0): resolving share tokens, passwords and their lockout, what
//! each access level grants, downloads, uploads through Editing links, the
//! access log, the share page, short links, and that a link which does not
//! validate right now gives nothing away on any path.

mod common;

use common::*;
use serde_json::{json, Value};

const NIL: &str = "00000000-0000-0000-0000-000000000000";
const SECRET: &[u8] = b"TOP-SECRET-CONTENT-4711";
const SECRET_STR: &str = "TOP-SECRET-CONTENT-4711";
const UA: &str = "spacelinks-test/1.0";

fn resolve(token: &str) -> Req {
    Req::get(&format!("/api/2.0/files/share/{token}")).header("user-agent", UA)
}

fn password(token: &str, pw: &str) -> Req {
    Req::post(&format!("/api/2.0/files/share/{token}/password")).header("user-agent", UA).json(json!({"password": pw}))
}

fn file_info(id: i64) -> Req {
    Req::get(&format!("/api/2.0/files/file/{id}"))
}

fn download(id: i64) -> Req {
    Req::get(&format!("/filehandler.ashx?action=download&fileid={id}")).header("user-agent", UA)
}

fn download_q(id: i64, token: &str) -> Req {
    Req::get(&format!("/filehandler.ashx?action=download&fileid={id}&share={token}")).header("user-agent", UA)
}

fn view_q(id: i64, token: &str) -> Req {
    Req::get(&format!("/filehandler.ashx?action=view&fileid={id}&share={token}"))
}

fn page(id: i64, token: &str) -> Req {
    Req::get(&format!("/doceditor?fileid={id}&share={token}"))
}

fn update(id: i64, content: &[u8]) -> Req {
    Req::put(&format!("/api/2.0/files/{id}/update")).multipart("file", "new-version.bin", content)
}

/// `response` of a share resolve, checking the envelope on the way.
async fn status_of(s: &TestServer, req: Req) -> Value {
    let res = s.send(req).await;
    assert_eq!(res.status, 200, "share routes always answer 200: {}", res.text());
    let v = res.json();
    assert_eq!((v["status"].clone(), v["statusCode"].clone()), (json!(0), json!(200)));
    v["response"].clone()
}

/// The exact ExternalShareDto for an outcome without a named entry.
fn unnamed(status: i64, authenticated: bool) -> Value {
    json!({"status": status, "tenantId": 0, "shared": false, "linkId": NIL, "isAuthenticated": authenticated,
           "isRoomMember": false})
}

// ---- resolving share tokens -------------------------------------------------

#[tokio::test]
async fn share_resolve_ok_exact_json() {
    let s = TestServer::start_socket().await;
    let (id, lid, token) = s.shared_file("Report.docx", SECRET, json!({"access": "Read"})).await;
    let res = s.send(resolve(&token)).await;
    assert_eq!(res.status, 200);
    let mut v = res.json();
    scrub(&mut v, &[(&token, "<token>"), (&lid, "<link-id>")]);
    assert_json_exact(
        &v,
        &json!({
            "response": {"status": 0, "id": id.to_string(), "title": "Report.docx", "type": 2, "tenantId": 1,
                         "shared": false, "linkId": "<link-id>", "isAuthenticated": false, "isRoomMember": false},
            "count": 1,
            "links": [{"href": s.url("/api/2.0/files/share/<token>"), "action": "GET"}],
            "status": 0,
            "statusCode": 200
        }),
    );
    assert!(!res.text().contains(SECRET_STR));
}

#[tokio::test]
async fn share_resolve_invalid_tokens() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let (id, lid, token) = s.shared_file("Report.docx", SECRET, json!({"access": "Read"})).await;
    assert_eq!(status_of(&s, resolve(&token)).await["status"], 0);

    // Forged: garbage, a tampered genuine token, a well-formed stranger.
    let mut tampered = token.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let stranger = "A".repeat(43);
    for forged in ["abc", tampered.as_str(), stranger.as_str(), &lid] {
        assert_json_exact(&status_of(&s, resolve(forged)).await, &unnamed(1, false));
        assert_json_exact(&status_of(&s, password(forged, LINK_PASSWORD)).await, &unnamed(1, false));
    }

    // A deleted link.
    s.delete_link(&owner, id, &lid).await;
    assert_json_exact(&status_of(&s, resolve(&token)).await, &unnamed(1, false));
    assert_json_exact(&status_of(&s, resolve(&token).auth(&owner)).await, &unnamed(1, true));

    // A deleted file takes its links with it.
    let (id2, _, token2) = s.shared_file("Other.docx", SECRET, json!({"access": "Read"})).await;
    assert_eq!(status_of(&s, resolve(&token2)).await["status"], 0);
    assert_eq!(s.send(Req::delete(&format!("/api/2.0/files/file/{id2}")).auth(&owner)).await.status, 200);
    assert_json_exact(&status_of(&s, resolve(&token2)).await, &unnamed(1, false));
}

#[tokio::test]
async fn share_resolve_expired_internal_and_password_states() {
    let s = TestServer::start_socket().await;
    let other = s.user("member@example.com", "User").await;

    // Expired (the API refuses past dates, so raw SQL sets it).
    let (_, lid, token) = s.shared_file("Expired.docx", SECRET, json!({"access": "Read"})).await;
    s.expire_link(&lid).await;
    assert_json_exact(&status_of(&s, resolve(&token)).await, &unnamed(2, false));
    assert_json_exact(&status_of(&s, resolve(&token).auth(&other)).await, &unnamed(2, true));
    assert_eq!(status_of(&s, password(&token, "whatever-pw")).await["status"], 2);

    // Internal: anonymous visitors are refused, members are let in.
    let (id, lid, token) = s.shared_file("Internal.docx", SECRET, json!({"access": "Read", "internal": true})).await;
    assert_json_exact(&status_of(&s, resolve(&token)).await, &unnamed(5, false));
    let v = status_of(&s, resolve(&token).auth(&other)).await;
    assert_json_exact(
        &v,
        &json!({"status": 0, "id": id.to_string(), "title": "Internal.docx", "type": 2, "tenantId": 1, "shared": true,
                "linkId": lid, "isAuthenticated": true, "isRoomMember": false}),
    );
    // The member can read and download it; an anonymous visitor cannot.
    let res = s.send(file_info(id).share(&token).auth(&other)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["response"]["access"], 2);
    assert_eq!(s.send(download_q(id, &token).auth(&other)).await.body, SECRET);
    s.send(file_info(id).share(&token)).await.assert_error(403);

    // Password: named but not unlocked.
    let (id, _, token) =
        s.shared_file("Locked.docx", SECRET, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    assert_json_exact(
        &status_of(&s, resolve(&token)).await,
        &json!({"status": 3, "id": id.to_string(), "title": "Locked.docx", "type": 2, "tenantId": 0, "shared": false,
                "linkId": NIL, "isAuthenticated": false, "isRoomMember": false}),
    );
    // Wrong password: 4, nothing named, no cookie.
    let res = s.send(password(&token, "Wrong-pass1")).await;
    assert_json_exact(&res.json()["response"], &unnamed(4, false));
    assert!(res.set_cookies().is_empty());
    // An empty password is no attempt.
    assert_eq!(status_of(&s, password(&token, "")).await["status"], 3);
}

#[tokio::test]
async fn password_sets_proof_cookie_that_unlocks_every_path() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let (id, lid, token) =
        s.shared_file("Locked.txt", SECRET, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    s.send(file_info(id).share(&token)).await.assert_error(403);

    let res = s.send(password(&token, LINK_PASSWORD)).await;
    assert_eq!(res.status, 200);
    let v = res.json()["response"].clone();
    assert_eq!(v["status"], 0);
    assert_eq!(v["linkId"], lid.as_str());
    let cookies = res.set_cookies();
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let cookie = &cookies[0];
    let name = format!("sharelink{lid}");
    assert!(cookie.starts_with(&format!("{name}=")), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite="), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    assert!(!cookie.contains(LINK_PASSWORD), "the proof must not carry the password: {cookie}");
    let pair = res.cookie_pair(&name).unwrap();
    let proof = pair.split_once('=').unwrap().1.to_string();

    // The cookie unlocks resolve, file info, download and the page.
    assert_eq!(status_of(&s, resolve(&token).cookie(&pair)).await["status"], 0);
    assert_eq!(s.send(file_info(id).share(&token).cookie(&pair)).await.status, 200);
    assert_eq!(s.send(download_q(id, &token).cookie(&pair)).await.body, SECRET);
    let res = s.send(page(id, &token).cookie(&pair)).await;
    assert_eq!(res.status, 200);
    assert!(res.text().contains(SECRET_STR), "the unlocked page previews the text");
    // The same proof as a header works too (DocSpace accepts both).
    assert_eq!(s.send(file_info(id).share(&token).header(name.as_str(), proof.clone())).await.status, 200);
    // A wrong proof does not.
    assert_eq!(status_of(&s, resolve(&token).cookie(&format!("{name}=forged"))).await["status"], 3);
    s.send(download_q(id, &token).cookie(&format!("{name}=forged"))).await.assert_error(403);

    // The proof is bound to its link: another link with the same password
    // is not unlocked by it, under its own cookie name.
    let other = s.put_link(&owner, id, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    let other_name = format!("sharelink{}", link_id(&other));
    let res = s.send(file_info(id).share(&token_of(&other)).cookie(&format!("{other_name}={proof}"))).await;
    res.assert_error(403);

    // Changing the password invalidates old proofs.
    s.put_link(&owner, id, json!({"linkId": lid, "password": "Changed-pw9"})).await;
    assert_eq!(status_of(&s, resolve(&token).cookie(&pair)).await["status"], 3);
    s.send(download_q(id, &token).cookie(&pair)).await.assert_error(403);
}

fn token_of(link: &Value) -> String {
    token(link)
}

// ---- password lockout -------------------------------------------------------

#[tokio::test]
async fn password_lockout_after_five_failures_shared_across_nodes() {
    let s = TestServer::start_socket().await;
    let (id, lid, token) =
        s.shared_file("Locked.docx", SECRET, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    for i in 0..5 {
        let v = status_of(&s, password(&token, &format!("Wrong-pass{i}"))).await;
        assert_eq!(v["status"], 4, "attempt {i}");
    }
    let res = s.send(password(&token, "Wrong-pass5")).await;
    res.assert_empty(429);
    let retry: u64 = res.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    // Locked out means the right password is refused too, and no cookie.
    let res = s.send(password(&token, LINK_PASSWORD)).await;
    res.assert_empty(429);
    assert!(res.set_cookies().is_empty());
    // The share page's password form is locked as well.
    let form = format!("share={token}&fileid={id}&password={LINK_PASSWORD}");
    let res = s.send(Req::post("/share/password").body("application/x-www-form-urlencoded", form.clone())).await;
    assert_eq!(res.status, 429);
    assert!(res.header("retry-after").is_some());
    assert!(res.set_cookies().is_empty());

    // The counters live in the database: a second node agrees.
    let node2 = s.second_node().await;
    assert_ne!(node2.base(), s.base());
    node2.send(password(&token, LINK_PASSWORD)).await.assert_empty(429);
    node2.send(password(&token, "Wrong-again1")).await.assert_empty(429);
    // Resolving (no password) is not throttled.
    assert_eq!(status_of(&node2, resolve(&token)).await["status"], 3);

    // Only that link is locked.
    let (_, _, token2) =
        s.shared_file("Other.docx", SECRET, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    assert_eq!(status_of(&node2, password(&token2, LINK_PASSWORD)).await["status"], 0);

    s.state.events.flush().await;
    let failed =
        s.store().link_events(&lid).await.unwrap().iter().filter(|e| e.kind.stored() == "password_failed").count();
    assert_eq!(failed, 5);
}

#[tokio::test]
async fn correct_passwords_do_not_count_toward_the_lockout() {
    let s = TestServer::start_socket().await;
    let (_, _, token) =
        s.shared_file("Locked.docx", SECRET, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    for _ in 0..4 {
        assert_eq!(status_of(&s, password(&token, "Wrong-pass1")).await["status"], 4);
    }
    for _ in 0..3 {
        assert_eq!(status_of(&s, password(&token, LINK_PASSWORD)).await["status"], 0);
    }
    assert_eq!(status_of(&s, password(&token, "Wrong-pass1")).await["status"], 4);
    s.send(password(&token, "Wrong-pass1")).await.assert_empty(429);
}

#[tokio::test]
async fn forwarded_for_is_ignored_from_an_untrusted_peer() {
    let s = TestServer::start_socket().await;
    let (_, lid, token) =
        s.shared_file("Locked.docx", SECRET, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    // Each attempt claims another client address; the lockout counts the
    // real peer (127.0.0.1) anyway.
    for i in 0..5 {
        let v =
            status_of(&s, password(&token, "Wrong-pass1").header("x-forwarded-for", format!("203.0.113.{i}"))).await;
        assert_eq!(v["status"], 4);
    }
    s.send(password(&token, "Wrong-pass1").header("x-forwarded-for", "198.51.100.1")).await.assert_empty(429);
    s.state.events.flush().await;
    let events = s.store().link_events(&lid).await.unwrap();
    // Five wrong passwords, then the refused attempt (locked out).
    assert_eq!(events.len(), 6);
    assert_eq!(events[5].kind.stored(), "locked_out");
    assert!(events.iter().all(|e| e.ip == "127.0.0.1"), "{events:?}");
}

#[tokio::test]
async fn forwarded_for_is_used_behind_a_trusted_proxy() {
    let s = TestServer::start_socket_with(|c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    let (_, lid, token) =
        s.shared_file("Locked.docx", SECRET, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    for _ in 0..5 {
        let req = password(&token, "Wrong-pass1").header("x-forwarded-for", "203.0.113.5, 127.0.0.1");
        assert_eq!(status_of(&s, req).await["status"], 4);
    }
    // That client is locked out; another client behind the proxy is not.
    s.send(password(&token, "Wrong-pass1").header("x-forwarded-for", "203.0.113.5")).await.assert_empty(429);
    let v = status_of(&s, password(&token, LINK_PASSWORD).header("x-forwarded-for", "203.0.113.6")).await;
    assert_eq!(v["status"], 0);
    s.state.events.flush().await;
    let events = s.store().link_events(&lid).await.unwrap();
    assert!(
        events.iter().filter(|e| e.kind.stored() == "password_failed").all(|e| e.ip == "203.0.113.5"),
        "{events:?}"
    );
    assert!(events.iter().any(|e| e.kind.stored() == "password_ok" && e.ip == "203.0.113.6"), "{events:?}");
    // Behind a trusted TLS-terminating proxy the proof cookie is Secure.
    let (_, _, token2) =
        s.shared_file("Other.docx", SECRET, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    let res = s.send(password(&token2, LINK_PASSWORD).header("x-forwarded-proto", "https")).await;
    assert!(res.set_cookies()[0].contains("; Secure"), "{:?}", res.set_cookies());
}

// ---- what a link grants -----------------------------------------------------

#[tokio::test]
async fn file_info_flags_per_access_level() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let id = s.upload_id(&owner, "Report.docx", SECRET).await;
    let member = s.user("member@example.com", "User").await;
    for (access, comment, review, edit) in
        [(2, false, false, false), (6, true, false, false), (5, true, true, false), (10, true, true, true)]
    {
        let link = s.put_link(&owner, id, json!({"access": access})).await;
        let token = token(&link);
        // Header and query forms give the same answer.
        for req in [file_info(id).share(&token), Req::get(&format!("/api/2.0/files/file/{id}?share={token}"))] {
            let res = s.send(req).await;
            assert_eq!(res.status, 200, "{access}: {}", res.text());
            let f = res.json()["response"].clone();
            let sec = &f["security"];
            assert_eq!(f["access"], access);
            assert_eq!(sec["Read"], true);
            assert_eq!(
                (sec["Comment"].as_bool(), sec["Review"].as_bool(), sec["Edit"].as_bool()),
                (Some(comment), Some(review), Some(edit)),
                "access {access}: {sec}"
            );
            assert_eq!(sec["CustomFilter"], edit);
            assert_eq!(sec["Download"], true);
            assert_eq!(sec["CopyLink"], true);
            for never in
                ["Delete", "Rename", "Move", "Lock", "Duplicate", "Copy", "ReadHistory", "EditHistory", "Embed"]
            {
                assert_eq!(sec[never], false, "anonymous {access} {never}");
            }
            assert_eq!(f["canShare"], false);
            assert_eq!(f["requestToken"], token.as_str());
            assert_eq!(f["external"], true);
            assert_eq!(f["rootFolderType"], 6);
            assert_eq!(f["viewUrl"], s.url(&format!("/filehandler.ashx?action=download&fileid={id}&share={token}")));
            assert!(
                f.get("createdBy").is_none() && f.get("updatedBy").is_none(),
                "people hidden from anonymous visitors"
            );
        }
        // Signed-in visitors also get history and copy.
        let f = s.send(file_info(id).share(&token).auth(&member)).await.json()["response"].clone();
        assert_eq!(f["security"]["ReadHistory"], true);
        assert_eq!(f["security"]["Copy"], true);
        assert_eq!(f["security"]["EditHistory"], edit);
        assert_eq!(f["security"]["Delete"], false);
        assert!(f["createdBy"].is_object());
        // Downloads work with either form of the token.
        assert_eq!(s.send(download_q(id, &token)).await.body, SECRET);
        assert_eq!(s.send(download(id).share(&token)).await.body, SECRET);
        s.delete_link(&owner, id, &link_id(&link)).await;
    }
    // No token: 403 for strangers, anonymous or signed in.
    s.send(file_info(id)).await.assert_error(403);
    s.send(file_info(id).auth(&member)).await.assert_error(403);
    // A token for another file does not open this one.
    let (_, _, other_token) = s.shared_file("Other.docx", b"other", json!({"access": "Read"})).await;
    s.send(file_info(id).share(&other_token)).await.assert_error(403);
    s.send(download_q(id, &other_token)).await.assert_error(403);
}

#[tokio::test]
async fn deny_download_blocks_downloads_but_not_image_preview() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let (doc, _, doc_token) =
        s.shared_file("Report.docx", SECRET, json!({"access": "Editing", "denyDownload": true})).await;
    let f = s.send(file_info(doc).share(&doc_token)).await.json()["response"].clone();
    assert_eq!(f["security"]["Download"], false);
    assert_eq!(f["security"]["Copy"], false);
    assert_eq!(f["security"]["Edit"], true);
    let res = s.send(download_q(doc, &doc_token)).await;
    res.assert_error(403);
    assert!(!res.text().contains(SECRET_STR));
    // A document is not previewable inline, so `view` is a download too.
    s.send(view_q(doc, &doc_token)).await.assert_error(403);

    let png = b"\x89PNG\r\n\x1a\n-image-bytes-";
    let (img, _, img_token) = s.shared_file("photo.png", png, json!({"access": "Read", "denyDownload": true})).await;
    s.send(download_q(img, &img_token)).await.assert_error(403);
    let res = s.send(view_q(img, &img_token)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.body, png);
    assert_eq!(res.header("content-type").as_deref(), Some("image/png"));
    assert!(res.header("content-disposition").unwrap().starts_with("inline;"));

    // The owner keeps every right even when sending a restricted token.
    let (_, _, read_token) = {
        let l = s.put_link(&owner, doc, json!({"access": "Read", "denyDownload": true})).await;
        (doc, link_id(&l), token(&l))
    };
    let f = s.send(file_info(doc).share(&read_token).auth(&owner)).await.json()["response"].clone();
    assert_eq!(f["access"], 0);
    for action in ["Edit", "Delete", "Download", "Rename"] {
        assert_eq!(f["security"][action], true, "owner {action}");
    }
    assert_eq!(f["canShare"], true);
    assert_eq!(s.send(download_q(doc, &read_token).auth(&owner)).await.body, SECRET);
}

// ---- a link that does not validate gives nothing away -----------------------

/// Every recipient path for `file` with `token`; none may return a byte of
/// the content. Returns (path, status) pairs for the caller's checks.
async fn probe_all_paths(
    s: &TestServer,
    file: i64,
    token: &str,
    extra: &[(&str, String)],
) -> Vec<(String, u16, String)> {
    let with = |mut r: Req| {
        for (k, v) in extra {
            r = r.header(*k, v.clone());
        }
        r
    };
    let reqs = vec![
        ("resolve", with(resolve(token))),
        ("file info (header)", with(file_info(file).share(token))),
        ("file info (query)", with(Req::get(&format!("/api/2.0/files/file/{file}?share={token}")))),
        ("download", with(download_q(file, token))),
        ("download (header)", with(download(file).share(token))),
        ("view", with(view_q(file, token))),
        ("preview", with(Req::get(&format!("/filehandler.ashx?action=preview&fileid={file}&share={token}")))),
        ("update", with(update(file, b"overwritten!").share(token))),
        ("doceditor", with(page(file, token))),
        ("share preview", with(Req::get(&format!("/share/preview/{file}?share={token}")))),
        (
            "share upload",
            with(Req::post(&format!("/share/upload?fileid={file}&share={token}")).multipart(
                "file",
                "x.txt",
                b"overwritten!",
            )),
        ),
    ];
    let mut out = Vec::new();
    for (name, req) in reqs {
        let res = s.send(req).await;
        let text = res.text();
        assert!(!text.contains(SECRET_STR), "{name} leaked the content: {text}");
        out.push((name.to_string(), res.status, text));
    }
    out
}

#[tokio::test]
async fn revoked_link_is_dead_on_every_path() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let (id, lid, token) = s.shared_file("Secret plans.txt", SECRET, json!({"access": "Editing"})).await;
    let link = s.store().link(&lid).await.unwrap().unwrap();
    // Before: the link works, so the checks below are meaningful.
    assert_eq!(s.send(download_q(id, &token)).await.body, SECRET);
    assert!(s.send(page(id, &token)).await.text().contains(SECRET_STR));
    assert_eq!(s.send(Req::get(&format!("/s/{}", link.short_code))).await.status, 302);

    s.delete_link(&owner, id, &lid).await;

    for (name, status, text) in probe_all_paths(&s, id, &token, &[]).await {
        match name.as_str() {
            "resolve" => {
                assert_json_exact(&serde_json::from_str::<Value>(&text).unwrap()["response"], &unnamed(1, false))
            }
            "doceditor" | "share preview" => {
                assert_eq!(status, 404, "{name}");
                assert!(text.contains("This link is not valid"), "{name}: {text}");
                assert!(!text.contains("Secret plans"), "{name} named the file");
            }
            _ => {
                assert!(status == 403 || status == 404, "{name}: {status} {text}");
                assert!(!text.contains("Secret plans"), "{name} named the file: {text}");
            }
        }
    }
    let res = s.send(password(&token, LINK_PASSWORD)).await;
    assert_json_exact(&res.json()["response"], &unnamed(1, false));
    assert!(res.set_cookies().is_empty());
    let form = format!("share={token}&fileid={id}&password=x");
    let res = s.send(Req::post("/share/password").body("application/x-www-form-urlencoded", form)).await;
    assert_eq!(res.status, 404);
    assert!(res.set_cookies().is_empty());
    // The short link no longer redirects anywhere.
    let res = s.send(Req::get(&format!("/s/{}", link.short_code))).await;
    assert_eq!(res.status, 404);
    assert!(res.header("location").is_none());
    assert!(!res.text().contains("Secret plans") && !res.text().contains(&token));
    // The attempted uploads changed nothing.
    assert_eq!(s.send(download(id).auth(&owner)).await.body, SECRET);
    assert_eq!(s.store().file(id).await.unwrap().unwrap().version, 1);
}

#[tokio::test]
async fn expired_internal_and_locked_links_leak_no_bytes() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    for name in ["Secret plans.txt", "photo.png"] {
        // Expired.
        let (id, lid, token) = s.shared_file(name, SECRET, json!({"access": "Editing"})).await;
        assert_eq!(s.send(view_q(id, &token)).await.body, SECRET, "control: the fresh link works");
        s.expire_link(&lid).await;
        for (path, status, text) in probe_all_paths(&s, id, &token, &[]).await {
            match path.as_str() {
                "resolve" => assert!(text.contains("\"status\":2"), "{text}"),
                "doceditor" | "share preview" => {
                    assert_eq!(status, 410, "{path}");
                    assert!(text.contains("expired"), "{path}: {text}");
                }
                _ => assert_eq!(status, 403, "{name} expired, {path}: {text}"),
            }
        }
        // Internal, anonymous.
        let (id, _, token) = s.shared_file(name, SECRET, json!({"access": "Editing", "internal": true})).await;
        for (path, status, text) in probe_all_paths(&s, id, &token, &[]).await {
            match path.as_str() {
                "resolve" => assert!(text.contains("\"status\":5"), "{text}"),
                _ => assert_eq!(status, 403, "{name} internal, {path}: {text}"),
            }
        }
        // Password without proof (and with a forged proof).
        let (id, lid, token) =
            s.shared_file(name, SECRET, json!({"access": "Editing", "password": LINK_PASSWORD})).await;
        let forged = [("cookie", format!("sharelink{lid}=forged"))];
        for extra in [&[][..], &forged[..]] {
            for (path, status, text) in probe_all_paths(&s, id, &token, extra).await {
                match path.as_str() {
                    "resolve" => assert!(text.contains("\"status\":3"), "{text}"),
                    "doceditor" | "share preview" => {
                        assert_eq!(status, 200, "{path}");
                        assert!(text.contains("type=\"password\""), "{path} shows the password form: {text}");
                    }
                    _ => assert_eq!(status, 403, "{name} locked, {path}: {text}"),
                }
            }
        }
        // Nothing was overwritten through any of them.
        assert_eq!(s.send(download(id).auth(&owner)).await.body, SECRET);
    }
}

// ---- Editing links upload new versions --------------------------------------

#[tokio::test]
async fn editing_link_uploads_a_new_version() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let id = s.upload_id(&owner, "Draft.txt", b"version one").await;
    let edit = s.put_link(&owner, id, json!({"access": "Editing"})).await;
    let read = s.put_link(&owner, id, json!({"access": "Read"})).await;

    // A Read link may not.
    s.send(update(id, b"vandalised").share(&token(&read))).await.assert_error(403);
    s.send(update(id, b"vandalised")).await.assert_error(403);

    let res = s.send(update(id, b"version two, longer").share(&token(&edit)).header("user-agent", UA)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let f = res.json()["response"].clone();
    assert_eq!(f["version"], 2);
    assert_eq!(f["pureContentLength"], 19);
    assert_eq!(f["title"], "Draft.txt", "the title stays");
    assert_eq!(f["access"], 10);

    // Everyone now gets the new content.
    assert_eq!(s.send(download_q(id, &token(&read))).await.body, b"version two, longer");
    assert_eq!(s.send(download(id).auth(&owner)).await.body, b"version two, longer");
    let info = s.send(file_info(id).auth(&owner)).await.json()["response"].clone();
    assert_eq!((info["version"].clone(), info["pureContentLength"].clone()), (json!(2), json!(19)));

    // The share page's upload form does the same, then redirects to the page.
    let res = s
        .send(Req::post(&format!("/share/upload?fileid={id}&share={}", token(&edit))).multipart(
            "file",
            "v3.txt",
            b"version three",
        ))
        .await;
    assert!(res.status == 303 || res.status == 302, "{} {}", res.status, res.text());
    assert!(res.header("location").unwrap().starts_with(&format!("/doceditor?fileid={id}")));
    assert_eq!(s.send(download_q(id, &token(&edit))).await.body, b"version three");
    assert_eq!(s.store().file(id).await.unwrap().unwrap().version, 3);

    // Too large is 413, and the file is unchanged.
    let small = TestServer::start_socket_with(|c| c.max_upload_bytes = 64).await;
    let (sid, _, stoken) = small.shared_file("small.txt", b"tiny", json!({"access": "Editing"})).await;
    small.send(update(sid, &[b'x'; 65]).share(&stoken)).await.assert_error(413);
    assert_eq!(small.send(download_q(sid, &stoken)).await.body, b"tiny");

    s.state.events.flush().await;
    let events = s.store().link_events(&link_id(&edit)).await.unwrap();
    assert!(events.iter().any(|e| e.kind.stored() == "uploaded" && e.user_agent == UA), "{events:?}");
}

// ---- the access log ---------------------------------------------------------

#[tokio::test]
async fn access_log_records_opens_failures_and_downloads() {
    let s = TestServer::start_socket().await;
    let (id, lid, token) =
        s.shared_file("Logged.txt", SECRET, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    assert_eq!(status_of(&s, resolve(&token)).await["status"], 3);
    assert_eq!(status_of(&s, password(&token, "Wrong-pass1")).await["status"], 4);
    let res = s.send(password(&token, LINK_PASSWORD)).await;
    let proof = res.cookie_pair(&format!("sharelink{lid}")).expect("proof cookie");
    assert_eq!(s.send(download_q(id, &token).cookie(&proof)).await.body, SECRET);
    // A range that does not start at 0 is the same download continuing.
    assert_eq!(s.send(download_q(id, &token).cookie(&proof).header("range", "bytes=5-")).await.status, 206);
    // Refused requests are not downloads.
    assert_eq!(s.send(download_q(id, &token)).await.status, 403);

    s.state.events.flush().await;
    let events = s.store().link_events(&lid).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.stored()).collect();
    assert_eq!(kinds, ["opened", "password_failed", "password_ok", "downloaded"]);
    let start = now_micros() - 60_000_000;
    for e in &events {
        assert_eq!(e.ip, "127.0.0.1");
        assert_eq!(e.user_agent, UA);
        assert_eq!(e.file_id, id);
        assert_eq!(e.link_id, lid);
        assert!(e.at > start && e.at <= now_micros());
    }
    // Nothing is written for other links.
    let (_, other, _) = s.shared_file("Quiet.txt", b"q", json!({"access": "Read"})).await;
    assert!(s.store().link_events(&other).await.unwrap().is_empty());
}

// ---- the share page and short links -----------------------------------------

#[tokio::test]
async fn share_page_headers_and_short_link_redirect() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let id = s.upload_id(&owner, "Notes.txt", SECRET).await;
    let link = s.put_link(&owner, id, json!({"access": "Read"})).await;
    let token = token(&link);
    let short = link["sharedLink"]["shareLink"].as_str().unwrap().to_string();
    let code_path = short.strip_prefix(&s.base()).expect("shareLink under the server's URL").to_string();
    assert!(code_path.starts_with("/s/"), "{short}");

    let res = s.send(Req::get(&code_path)).await;
    assert_eq!(res.status, 302);
    let location = res.header("location").unwrap();
    assert_eq!(location, format!("/doceditor?fileid={id}&share={token}"));
    assert_eq!(res.header("referrer-policy").as_deref(), Some("no-referrer"));

    let res = s.send(Req::get(&location)).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.content_type(), "text/html; charset=utf-8");
    let body = res.text();
    assert!(body.contains("Notes.txt") && body.contains(SECRET_STR), "{body}");
    assert_page_headers(&res);

    // The refusal pages carry the same headers.
    assert_page_headers(&s.send(page(id, "forged-token")).await);
    let res = s.send(Req::get("/s/unknowncode12345")).await;
    assert_eq!(res.status, 404);
    assert_page_headers(&res);
}

#[tokio::test]
async fn share_page_escapes_names_and_content() {
    let s = TestServer::start_socket().await;
    let evil = b"</pre><script>alert('content')</script>";
    let (id, _, token) = s.shared_file("<img src=x onerror=alert(1)>.txt", evil, json!({"access": "Read"})).await;
    let res = s.send(page(id, &token)).await;
    assert_eq!(res.status, 200);
    let body = res.text();
    assert!(!body.contains("<script>") && !body.contains("<img src=x"), "unescaped: {body}");
    let escaped_lt = |rest: &str| body.contains(&format!("&#60;{rest}")) || body.contains(&format!("&lt;{rest}"));
    assert!(escaped_lt("img src=x onerror=alert(1)"), "the name is shown, escaped: {body}");
    assert!(escaped_lt("/pre"), "the content is shown, escaped: {body}");
}

#[track_caller]
fn assert_page_headers(res: &Resp) {
    assert_eq!(res.header("referrer-policy").as_deref(), Some("no-referrer"));
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    let csp = res.header("content-security-policy").expect("CSP");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("script-src"), "the page runs no scripts: {csp}");
    assert_eq!(res.header("x-frame-options").as_deref(), Some("DENY"));
}

#[tokio::test]
async fn share_page_password_form_flow() {
    let s = TestServer::start_socket().await;
    let (id, lid, token) =
        s.shared_file("Locked.txt", SECRET, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    let res = s.send(page(id, &token)).await;
    assert_eq!(res.status, 200);
    assert!(res.text().contains("type=\"password\""));
    assert!(!res.text().contains(SECRET_STR));

    let submit = |pw: &str| {
        Req::post("/share/password")
            .body("application/x-www-form-urlencoded", format!("share={token}&fileid={id}&password={pw}"))
    };
    let res = s.send(submit("Wrong-pass1")).await;
    assert_eq!(res.status, 200);
    assert!(res.text().contains("not correct"));
    assert!(res.set_cookies().is_empty());
    assert!(!res.text().contains(SECRET_STR));

    let res = s.send(submit(LINK_PASSWORD)).await;
    assert_eq!(res.status, 303, "{}", res.text());
    let location = res.header("location").unwrap();
    let location = percent_encoding::percent_decode_str(&location).decode_utf8().unwrap();
    assert_eq!(location, format!("/doceditor?fileid={id}&share={token}"));
    let cookie = res.cookie_pair(&format!("sharelink{lid}")).expect("proof cookie");
    let set = res.set_cookies().join("\n");
    assert!(set.contains("HttpOnly") && set.contains("SameSite="), "{set}");
    let res = s.send(page(id, &token).cookie(&cookie)).await;
    assert!(res.text().contains(SECRET_STR), "unlocked page shows the preview");
}

#[tokio::test]
async fn a_visit_that_stops_at_the_password_form_is_an_open() {
    let s = TestServer::start_socket().await;
    let (id, lid, token) =
        s.shared_file("Locked.txt", SECRET, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    let res = s.send(page(id, &token)).await;
    assert_eq!(res.status, 200);
    assert!(res.text().contains("type=\"password\""), "the password form: {}", res.text());
    s.state.events.flush().await;
    let events = s.store().link_events(&lid).await.unwrap();
    assert_eq!(events.iter().map(|e| (e.kind.stored(), e.ip.as_str())).collect::<Vec<_>>(), [("opened", "127.0.0.1")]);
}

#[tokio::test]
async fn a_links_activity_through_the_api_newest_first_paged_managers_only() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let (id, lid, token) =
        s.shared_file("Watched.txt", SECRET, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    assert_eq!(status_of(&s, password(&token, "Wrong-pass1")).await["status"], 4);
    let res = s.send(password(&token, LINK_PASSWORD)).await;
    let proof = res.cookie_pair(&format!("sharelink{lid}")).expect("proof cookie");
    assert_eq!(s.send(download_q(id, &token).cookie(&proof)).await.status, 200);
    s.state.events.flush().await;

    let url = format!("/api/2.0/files/file/{id}/links/{lid}/activity");
    let res = s.send(Req::get(&url).auth(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    assert_eq!(body["total"], 3);
    let kinds: Vec<&str> = body["response"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["downloaded", "passwordAccepted", "passwordFailed"], "newest first");
    let first = &body["response"][0];
    assert_eq!(first["ip"], "127.0.0.1");
    assert_eq!(first["userAgent"], UA);
    assert!(spacelinks_api_types::parse_api_date(first["on"].as_str().unwrap()).is_some(), "{first}");
    // Paged as DocSpace lists are.
    let page = s.send(Req::get(&format!("{url}?startIndex=1&count=1")).auth(&owner)).await.json();
    assert_eq!(page["response"].as_array().unwrap().len(), 1);
    assert_eq!(page["response"][0]["kind"], "passwordAccepted");
    assert_eq!(page["total"], 3);
    // Anonymous, another person, an unknown link, another file's link.
    assert_eq!(s.send(Req::get(&url)).await.status, 401);
    let other = s.user("stranger@example.com", "User").await;
    assert!([403, 404].contains(&s.send(Req::get(&url).auth(&other)).await.status));
    let unknown = format!("/api/2.0/files/file/{id}/links/00000000-0000-0000-0000-000000000000/activity");
    assert_eq!(s.send(Req::get(&unknown).auth(&owner)).await.status, 404);
    let (other_file, _, _) = s.shared_file("Else.txt", b"e", json!({"access": "Read"})).await;
    let crossed = format!("/api/2.0/files/file/{other_file}/links/{lid}/activity");
    assert_eq!(s.send(Req::get(&crossed).auth(&owner)).await.status, 404);
}
