//! The owner's web app, driven the way a browser without JavaScript drives
//! it: GET a page, read its form (CSRF token included), POST it back. Covers
//! sign-in and its lockout shared with the API, the session cookie, CSRF on
//! every state-changing form, the upload, link and revoke flows, the upload
//! limit, the page headers, the embedded assets and that nobody reaches
//! another person's files, links or keys.

mod common;

use common::*;
use serde_json::{json, Value};

const SESSION: &str = "spacelinks_session";

/// The value of `<input ... name="NAME" value="...">` in a page.
fn input_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_string())
}

fn csrf_of(html: &str) -> String {
    input_value(html, "csrf").unwrap_or_else(|| panic!("no csrf field in:\n{html}"))
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    serde_urlencoded::to_string(pairs).unwrap().into_bytes()
}

fn post_form(path: &str, pairs: &[(&str, &str)]) -> Req {
    Req::post(path).body("application/x-www-form-urlencoded", form(pairs))
}

/// A multipart body: text fields first, then file parts.
fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----spacelinks-web-test-91c2";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    for (name, content) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A signed-in browser: the session cookie it got at sign-in.
struct Browser<'a> {
    s: &'a TestServer,
    cookie: String,
}

impl<'a> Browser<'a> {
    async fn sign_in(s: &'a TestServer, email: &str, password: &str) -> Browser<'a> {
        let res = sign_in_attempt(s, email, password).await;
        assert_eq!(res.status, 303, "sign in: {}", res.text());
        assert_eq!(res.header("location").as_deref(), Some("/files"));
        let cookie = res.cookie_pair(SESSION).expect("session cookie");
        Browser { s, cookie }
    }

    async fn owner(s: &'a TestServer) -> Browser<'a> {
        Self::sign_in(s, OWNER_EMAIL, OWNER_PASSWORD).await
    }

    async fn get(&self, path: &str) -> Resp {
        self.s.send(Req::get(path).cookie(&self.cookie)).await
    }

    /// GETs a page that must answer 200, and returns its HTML.
    async fn page(&self, path: &str) -> String {
        let res = self.get(path).await;
        assert_eq!(res.status, 200, "GET {path}: {}", res.text());
        res.text()
    }

    /// Posts a form, adding the CSRF token of the page `from`.
    async fn submit(&self, from: &str, action: &str, pairs: &[(&str, &str)]) -> Resp {
        let csrf = csrf_of(&self.page(from).await);
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(pairs);
        self.post(action, &all).await
    }

    async fn post(&self, action: &str, pairs: &[(&str, &str)]) -> Resp {
        self.s.send(post_form(action, pairs).cookie(&self.cookie)).await
    }

    async fn csrf(&self) -> String {
        csrf_of(&self.page("/files").await)
    }

    async fn upload(&self, folder: i64, files: &[(&str, &[u8])], json: bool) -> Resp {
        let csrf = self.csrf().await;
        let (ct, body) = multipart(&[("csrf", &csrf)], files);
        let mut req = Req::post(&format!("/files/folder/{folder}/upload")).body(&ct, body).cookie(&self.cookie);
        if json {
            req = req.header("accept", "application/json");
        }
        self.s.send(req).await
    }
}

async fn sign_in_attempt(s: &TestServer, email: &str, password: &str) -> Resp {
    let page = s.send(Req::get("/")).await;
    assert_eq!(page.status, 200);
    assert!(page.set_cookies().is_empty(), "the sign-in form sets no cookie");
    let csrf = csrf_of(&page.text());
    s.send(post_form("/signin", &[("csrf", &csrf), ("email", email), ("password", password)])).await
}

async fn my_folder(s: &TestServer, token: &str) -> i64 {
    let res = s.send(Req::get("/api/2.0/files/@my").auth(token)).await;
    res.json()["response"]["current"]["id"].as_i64().unwrap()
}

async fn links_of(s: &TestServer, token: &str, file_id: i64) -> Vec<Value> {
    let res = s.send(Req::get(&format!("/api/2.0/files/file/{file_id}/links")).auth(token)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["response"].as_array().unwrap().iter().map(|l| l["sharedLink"].clone()).collect()
}

// ---- sign in, cookie, sign out ---------------------------------------------

#[tokio::test]
async fn sign_in_with_the_right_password_and_not_with_a_wrong_one() {
    let s = TestServer::start().await;
    let bad = sign_in_attempt(&s, OWNER_EMAIL, "not-the-password").await;
    assert_eq!(bad.status, 401);
    assert!(bad.text().contains("not correct"), "{}", bad.text());
    assert!(bad.set_cookies().is_empty(), "a failed sign-in sets no cookie");
    assert!(bad.text().contains(OWNER_EMAIL), "the e-mail is kept in the form");

    let ok = sign_in_attempt(&s, OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(ok.status, 303);
    assert_eq!(ok.header("location").as_deref(), Some("/files"));
    let cookies = ok.set_cookies();
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let attrs: Vec<&str> = cookies[0].split(';').map(str::trim).collect();
    assert!(attrs[0].starts_with("spacelinks_session=") && attrs[0].len() > 40, "{attrs:?}");
    for want in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(attrs.contains(&want), "{want} missing: {attrs:?}");
    }
    assert!(!attrs.contains(&"Secure"), "no Secure over plain http: {attrs:?}");

    // Signed in, `/` leads to the files.
    let b = Browser::owner(&s).await;
    let home = b.get("/").await;
    assert_eq!((home.status, home.header("location").as_deref()), (303, Some("/files")));
}

#[tokio::test]
async fn the_session_cookie_is_secure_behind_https() {
    let s = TestServer::start_with(|c| c.public_url = Some("https://files.example.com".into())).await;
    let ok = sign_in_attempt(&s, OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(ok.status, 303);
    assert!(ok.set_cookies()[0].split(';').any(|a| a.trim() == "Secure"), "{:?}", ok.set_cookies());
}

#[tokio::test]
async fn the_login_lockout_is_shared_by_the_sign_in_form_and_the_api() {
    let s = TestServer::start().await;
    s.user("guest@example.com", "User").await;
    // Five wrong passwords through the API lock the sign-in form, even for
    // the right password.
    for _ in 0..5 {
        let res = s
            .send(Req::post("/api/2.0/authentication").json(json!({"userName": OWNER_EMAIL, "password": "wrong-pw"})))
            .await;
        assert_eq!(res.status, 401);
    }
    let locked = sign_in_attempt(&s, OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(locked.status, 429, "{}", locked.text());
    assert!(locked.header("retry-after").is_some());
    assert!(locked.text().contains("Too many failed sign-ins"));
    assert!(locked.set_cookies().is_empty());

    // And the other way round, for another account.
    for _ in 0..5 {
        assert_eq!(sign_in_attempt(&s, "guest@example.com", "wrong-pw").await.status, 401);
    }
    let api = s
        .send(
            Req::post("/api/2.0/authentication")
                .json(json!({"userName": "guest@example.com", "password": "user-password-1"})),
        )
        .await;
    api.assert_empty(429);
}

#[tokio::test]
async fn sign_out_deletes_the_session() {
    let s = TestServer::start().await;
    let b = Browser::owner(&s).await;
    let token = b.cookie.split_once('=').unwrap().1.to_string();
    let res = b.submit("/files", "/signout", &[]).await;
    assert_eq!((res.status, res.header("location").as_deref()), (303, Some("/")));
    assert!(res.set_cookies()[0].contains("Max-Age=0"));
    // The old cookie no longer opens anything, and the row is gone: the
    // token does not work as an API token either.
    assert_eq!(b.get("/files").await.status, 303);
    s.send(Req::get("/api/2.0/people/@self").auth(&token)).await.assert_empty(401);
}

#[tokio::test]
async fn change_my_password() {
    let s = TestServer::start().await;
    let b = Browser::owner(&s).await;
    let other = Browser::owner(&s).await;
    let wrong = b
        .submit(
            "/account/password",
            "/account/password",
            &[("current_password", "nope-nope"), ("new_password", "brand-new-pw-1")],
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.text().contains("current password is not correct"));
    let short = b
        .submit(
            "/account/password",
            "/account/password",
            &[("current_password", OWNER_PASSWORD), ("new_password", "short")],
        )
        .await;
    assert_eq!(short.status, 400);
    assert!(short.text().contains("at least") || short.text().contains("8 to"), "{}", short.text());

    let ok = b
        .submit(
            "/account/password",
            "/account/password",
            &[("current_password", OWNER_PASSWORD), ("new_password", "brand-new-pw-1")],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert!(ok.text().contains("Your password was changed"));
    s.login(OWNER_EMAIL, "brand-new-pw-1").await;
    assert_eq!(sign_in_attempt(&s, OWNER_EMAIL, OWNER_PASSWORD).await.status, 401);
    // This session stays; the other one ended.
    assert_eq!(b.get("/files").await.status, 200);
    assert_eq!(other.get("/files").await.status, 303);
}

// ---- CSRF ------------------------------------------------------------------

#[tokio::test]
async fn every_state_changing_form_needs_its_csrf_token() {
    let s = TestServer::start().await;
    let b = Browser::owner(&s).await;
    let other = Browser::owner(&s).await;
    let owner = s.owner().await;
    let root = my_folder(&s, &owner).await;
    let file = s.upload_id(&owner, "doc.txt", b"hello").await;
    let link = link_id(&s.put_link(&owner, file, json!({"access": "Read"})).await);
    let folder = s
        .send(Req::post(&format!("/api/2.0/files/folder/{root}")).auth(&owner).json(json!({"title": "Sub"})))
        .await
        .json()["response"]["id"]
        .as_i64()
        .unwrap();
    let (key, key_dto) = s.api_key(&owner, &[]).await;
    let key_id = key_dto["id"].as_str().unwrap().to_string();
    let foreign = other.csrf().await;
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/signout".into(), vec![]),
        ("/account/password".into(), vec![("current_password", OWNER_PASSWORD), ("new_password", "xxxxxxxxxx")]),
        (format!("/files/folder/{root}/folders"), vec![("title", "csrf-folder")]),
        (format!("/files/folder/{folder}/delete"), vec![]),
        (format!("/files/file/{file}/delete"), vec![]),
        (format!("/files/file/{file}/links"), vec![("access", "Read"), ("title", "csrf-link")]),
        (format!("/files/file/{file}/links/{link}"), vec![("access", "Read"), ("title", "csrf-edit")]),
        (format!("/files/file/{file}/links/{link}/revoke"), vec![]),
        ("/keys".into(), vec![("name", "csrf-key")]),
        (format!("/keys/{key_id}/revoke"), vec![]),
    ];
    for (action, fields) in &forms {
        for token in [None, Some(""), Some("forged-token"), Some(foreign.as_str())] {
            let mut pairs = fields.clone();
            if let Some(t) = token {
                pairs.push(("csrf", t));
            }
            let res = b.post(action, &pairs).await;
            assert_eq!(res.status, 403, "POST {action} with token {token:?}: {}", res.text());
            assert!(res.content_type().starts_with("text/html"), "an HTML page: {}", res.content_type());
            assert!(res.text().contains("Go back, reload the page"), "{}", res.text());
        }
    }
    // Nothing happened.
    assert_eq!(b.get("/files").await.status, 200, "still signed in");
    assert!(!b.page("/files").await.contains("csrf-folder"));
    assert_eq!(links_of(&s, &owner, file).await.len(), 1);
    assert_eq!(links_of(&s, &owner, file).await[0]["title"], "Shared link");
    s.send(Req::get("/api/2.0/people/@self").auth(&key)).await;
    assert!(b.page("/keys").await.contains(&key_id), "the key was not revoked");
    assert!(!b.page("/keys").await.contains("csrf-key"));
    s.login(OWNER_EMAIL, OWNER_PASSWORD).await;

    // Uploads: without the token (form or JSON), or with the token only
    // after the file.
    for json in [false, true] {
        let (ct, body) = multipart(&[], &[("csrf.txt", b"x")]);
        let mut req = Req::post(&format!("/files/folder/{root}/upload")).body(&ct, body).cookie(&b.cookie);
        if json {
            req = req.header("accept", "application/json");
        }
        let res = s.send(req).await;
        assert_eq!(res.status, 403, "{}", res.text());
        if json {
            assert!(res.json()["error"].as_str().is_some_and(|e| !e.is_empty()));
        }
    }
    let (ct, body) = multipart(&[("csrf", &foreign)], &[("csrf.txt", b"x")]);
    let res = s.send(Req::post(&format!("/files/folder/{root}/upload")).body(&ct, body).cookie(&b.cookie)).await;
    assert_eq!(res.status, 403);
    assert!(!b.page("/files").await.contains("csrf.txt"));

    // The sign-in form too.
    let res = s.send(post_form("/signin", &[("email", OWNER_EMAIL), ("password", OWNER_PASSWORD)])).await;
    assert_eq!(res.status, 403);
    assert!(res.set_cookies().is_empty());
    let res = s
        .send(post_form("/signin", &[("csrf", "123.abc"), ("email", OWNER_EMAIL), ("password", OWNER_PASSWORD)]))
        .await;
    assert_eq!(res.status, 403);
    // A valid sign-in form posted from another site.
    let csrf = csrf_of(&s.send(Req::get("/")).await.text());
    let res = s
        .send(
            post_form("/signin", &[("csrf", &csrf), ("email", OWNER_EMAIL), ("password", OWNER_PASSWORD)])
                .header("sec-fetch-site", "cross-site"),
        )
        .await;
    assert_eq!(res.status, 403);
}

// ---- the flows without JavaScript -----------------------------------------

#[tokio::test]
async fn upload_create_a_link_with_password_and_expiry_then_revoke_by_plain_forms() {
    let s = TestServer::start().await;
    let b = Browser::owner(&s).await;
    let owner = s.owner().await;
    let root = my_folder(&s, &owner).await;

    let res = b.upload(root, &[("one.txt", b"first file"), ("two.pdf", b"%PDF-1.4 second")], false).await;
    assert_eq!((res.status, res.header("location").as_deref()), (303, Some("/files")), "{}", res.text());
    let listing = b.page("/files").await;
    assert!(listing.contains(">one.txt</a>") && listing.contains(">two.pdf</a>"), "{listing}");
    assert!(listing.contains("PDF document") && !listing.contains("PDF PDF"));
    assert!(listing.contains("0 active links"));
    let file: i64 = {
        let at = listing.find("\">one.txt</a>").unwrap();
        let start = listing[..at].rfind("/files/file/").unwrap() + 12;
        listing[start..at].parse().unwrap()
    };
    let stored = s.send(Req::get(&format!("/filehandler.ashx?action=download&fileid={file}")).auth(&owner)).await;
    assert_eq!(stored.body, b"first file");

    // The new-link form offers what this kind of file allows, Read first.
    let form_page = b.page(&format!("/files/file/{file}/links/new")).await;
    for label in ["Title", "Access", "Password", "Expires", "Deny download", "Sign-in only"] {
        assert!(form_page.contains(&format!("\">{label}</label>")), "{label} label missing");
    }
    assert!(form_page.contains("<option value=\"Read\" selected>Read</option>"), "{form_page}");
    assert!(form_page.contains(">Save link</button>"));

    let expiry = spacelinks_api_types::format_api_date(now_micros() + 7 * 86_400_000_000);
    let expires_local = &expiry[..16];
    let res = b
        .submit(
            &format!("/files/file/{file}/links/new"),
            &format!("/files/file/{file}/links"),
            &[
                ("title", "For the auditors"),
                ("access", "Read"),
                ("password", LINK_PASSWORD),
                ("expires", expires_local),
                ("tz", ""),
                ("deny_download", "true"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let location = res.header("location").unwrap();
    assert!(location.starts_with(&format!("/files/file/{file}#link-")), "{location}");

    // The same link through the API: the same rules, the same data.
    let links = links_of(&s, &owner, file).await;
    assert_eq!(links.len(), 1);
    let l = &links[0];
    assert_eq!(l["title"], "For the auditors");
    assert_eq!(l["password"], LINK_PASSWORD);
    assert_eq!(l["denyDownload"], true);
    assert_eq!(l["internal"], false);
    assert_eq!(&l["expirationDate"].as_str().unwrap()[..16], expires_local);
    let url = l["shareLink"].as_str().unwrap().to_string();

    // The file page shows it: URL, copy button, QR code, hidden password.
    let page = b.page(&format!("/files/file/{file}")).await;
    assert!(page.contains(&format!("data-copy=\"{url}\">Copy link</button>")), "{page}");
    assert!(page.contains("<summary>Show password</summary>"));
    assert!(page.contains("alt=\"QR code for the link For the auditors\""));
    for button in [">Edit</button>", ">Revoke</button>", ">Activity</button>", ">New link</button>"] {
        assert!(page.contains(button), "{button} missing");
    }
    assert!(b.page("/files").await.contains("1 active link"));
    let link = l["id"].as_str().unwrap().to_string();
    let qr = b.get(&format!("/files/file/{file}/links/{link}/qr.svg")).await;
    assert_eq!(qr.status, 200);
    assert_eq!(qr.content_type(), "image/svg+xml");
    assert!(qr.text().contains("<svg"));
    assert_eq!(qr.header("cache-control").as_deref(), Some("no-store"));

    // Edit keeps what is not changed.
    let edit = b.page(&format!("/files/file/{file}/links/{link}/edit")).await;
    assert_eq!(input_value(&edit, "title").as_deref(), Some("For the auditors"));
    assert_eq!(input_value(&edit, "expires").as_deref(), Some(expires_local));
    let res = b
        .submit(
            &format!("/files/file/{file}/links/{link}/edit"),
            &format!("/files/file/{file}/links/{link}"),
            &[
                ("title", "Renamed"),
                ("access", "Editing"),
                ("password", LINK_PASSWORD),
                ("expires", expires_local),
                ("expires_was", expires_local),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let l = &links_of(&s, &owner, file).await[0];
    assert_eq!((l["title"].as_str(), l["password"].as_str()), (Some("Renamed"), Some(LINK_PASSWORD)));
    assert_eq!(l["denyDownload"], false, "an unchecked box clears the flag");

    // Revoke: a confirmation page first, then the POST.
    let confirm = b.page(&format!("/files/file/{file}/links/{link}/revoke")).await;
    assert!(confirm.contains(">Revoke link</button>"));
    assert_eq!(links_of(&s, &owner, file).await.len(), 1, "nothing revoked by the confirmation page");
    let res = b
        .submit(
            &format!("/files/file/{file}/links/{link}/revoke"),
            &format!("/files/file/{file}/links/{link}/revoke"),
            &[],
        )
        .await;
    assert_eq!((res.status, res.header("location")), (303, Some(format!("/files/file/{file}"))));
    assert!(links_of(&s, &owner, file).await.is_empty());
    assert!(!b.page(&format!("/files/file/{file}")).await.contains(&url));
    assert_eq!(s.send(Req::get(&url.replace(PUBLIC_URL, ""))).await.status, 404, "the link is invalid now");
}

#[tokio::test]
async fn the_link_forms_errors_are_the_servers_words_next_to_the_field() {
    let s = TestServer::start().await;
    let b = Browser::owner(&s).await;
    let owner = s.owner().await;
    let file = s.upload_id(&owner, "photo.png", b"not really a png").await;
    let new = format!("/files/file/{file}/links/new");
    let action = format!("/files/file/{file}/links");
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: [Case; 6] = [
        (
            &[("title", "Kept title"), ("access", "Read"), ("max_uses", "0")],
            "link-max-uses-error",
            "maxUseCount must be an integer of at least 1",
        ),
        (
            &[("title", "Kept title"), ("access", "Read"), ("networks", "10.0.0.0/8\nnope")],
            "link-networks-error",
            "allowedNetworks: &#34;nope&#34; is not an IP address",
        ),
        (
            &[("title", "Kept title"), ("access", "Read"), ("password", "short pw")],
            "link-password-error",
            "Password must contain from 8 to 30",
        ),
        (
            &[("title", "Kept title"), ("access", "Read"), ("expires", "2001-01-01T10:00")],
            "link-expires-error",
            "expirationDate must be in the future",
        ),
        (
            &[("title", "Kept title"), ("access", "Read"), ("expires", "soon")],
            "link-expires-error",
            "expirationDate must be an ISO-8601 date",
        ),
        // An image allows Read and Editing only.
        (&[("title", "Kept title"), ("access", "Review")], "link-access-error", "The role is not available"),
    ];
    for (fields, error_id, words) in cases {
        let res = b.submit(&new, &action, fields).await;
        assert_eq!(res.status, 400, "{fields:?}: {}", res.text());
        let html = res.text();
        let at = html.find(&format!("id=\"{error_id}\">")).unwrap_or_else(|| panic!("{error_id} missing:\n{html}"));
        assert!(html[at..].starts_with(&format!("id=\"{error_id}\">{words}")), "{}", &html[at..at + 120]);
        assert!(html.contains(&format!("aria-describedby=\"{error_id}")), "the field points at its error");
        assert_eq!(input_value(&html, "title").as_deref(), Some("Kept title"), "entered values are kept");
    }
    assert!(links_of(&s, &owner, file).await.is_empty());
    // Seven links are too many: the form says so at the top.
    for i in 0..6 {
        assert_eq!(b.submit(&new, &action, &[("access", "Read"), ("title", &format!("l{i}"))]).await.status, 303);
    }
    let res = b.submit(&new, &action, &[("access", "Read")]).await;
    assert_eq!(res.status, 400);
    assert!(
        res.text().contains("id=\"link-form-error\">The maximum number of links may not exceed 6"),
        "{}",
        res.text()
    );
}

#[tokio::test]
async fn upload_answers_json_to_the_script() {
    let s = TestServer::start().await;
    let b = Browser::owner(&s).await;
    let owner = s.owner().await;
    let root = my_folder(&s, &owner).await;
    let res = b.upload(root, &[("a.txt", b"aaa")], true).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["ok"], true);
    assert_eq!(res.json()["files"][0]["title"], "a.txt");
    let res = b.upload(root, &[], true).await;
    assert_eq!(res.status, 400);
    assert!(res.json()["error"].as_str().unwrap().contains("Choose one or more files"));
    // A signed-out script gets JSON too, not the sign-in page.
    let (ct, body) = multipart(&[], &[("x.txt", b"x")]);
    let res = s
        .send(Req::post(&format!("/files/folder/{root}/upload")).body(&ct, body).header("accept", "application/json"))
        .await;
    assert_eq!(res.status, 401);
    assert!(res.json()["error"].is_string());
}

#[tokio::test]
async fn the_upload_limit_reaches_the_person_as_a_message() {
    let s = TestServer::start_socket_with(|c| c.max_upload_bytes = 1024 * 1024).await;
    let b = Browser::owner(&s).await;
    let owner = s.owner().await;
    let root = my_folder(&s, &owner).await;
    // Over a real socket, the whole oversized body is sent and the answer
    // arrives (the server reads the rest rather than resetting).
    let big = vec![b'x'; 3 * 1024 * 1024 / 2];
    let res = b.upload(root, &[("big.bin", &big)], false).await;
    assert_eq!(res.status, 413);
    assert!(res.content_type().starts_with("text/html"));
    assert!(res.text().contains("is larger than the upload limit of 1 MB"), "{}", res.text());
    assert!(res.text().contains(">Sign out</button>"), "the error page keeps the signed-in frame");
    let res = b.upload(root, &[("big.bin", &big)], true).await;
    assert_eq!(res.status, 413);
    assert!(res.json()["error"].as_str().unwrap().contains("larger than the upload limit of 1 MB"));
    assert!(!b.page("/files").await.contains("big.bin"));
    assert!(b.page("/files").await.contains("Up to 1 MB per file"));
}

// ---- activity ----------------------------------------------------------------

#[tokio::test]
async fn activity_lists_events_newest_first_with_counters_and_pages() {
    let s = TestServer::start().await;
    let b = Browser::owner(&s).await;
    let (file, link, token) =
        s.shared_file("a.txt", b"abc", json!({"access": "Read", "password": LINK_PASSWORD})).await;
    s.send(
        post_form("/share/password", &[("share", &token), ("fileid", &file.to_string()), ("password", "wrong-one1")])
            .peer("203.0.113.7"),
    )
    .await;
    let ok = s
        .send(
            post_form(
                "/share/password",
                &[("share", &token), ("fileid", &file.to_string()), ("password", LINK_PASSWORD)],
            )
            .peer("203.0.113.7"),
        )
        .await;
    let proof = ok.cookie_pair(&format!("sharelink{link}")).unwrap();
    let opened = s
        .send(
            Req::get(&format!("/doceditor?fileid={file}&share={token}"))
                .cookie(&proof)
                .peer("203.0.113.7")
                .header("user-agent", "Browser/1"),
        )
        .await;
    assert_eq!(opened.status, 200);
    // The page's own preview is not a second open.
    let preview = s
        .send(
            Req::get(&format!("/filehandler.ashx?action=view&fileid={file}&share={token}"))
                .cookie(&proof)
                .header("sec-fetch-dest", "image"),
        )
        .await;
    assert_eq!(preview.status, 200);
    let dl = s
        .send(
            Req::get(&format!("/filehandler.ashx?action=download&fileid={file}&share={token}"))
                .cookie(&proof)
                .peer("203.0.113.7"),
        )
        .await;
    assert_eq!(dl.status, 200);
    s.state.events.flush().await;
    let html = b.page(&format!("/files/file/{file}/links/{link}/activity")).await;
    assert!(html.contains("id=\"count-opens\">1<"), "{html}");
    assert!(html.contains("id=\"count-downloads\">1<"));
    let order: Vec<usize> = ["Downloaded", "Opened", "Password accepted", "Password failed"]
        .iter()
        .map(|w| html.find(&format!("<td>{w}</td>")).unwrap_or_else(|| panic!("{w} missing: {html}")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "newest first: {order:?}");
    assert!(html.contains("<td>203.0.113.7</td>") && html.contains("Browser/1"));

    // Wrong passwords up to the lockout: the refused attempt is listed.
    for _ in 0..6 {
        s.send(
            post_form(
                "/share/password",
                &[("share", &token), ("fileid", &file.to_string()), ("password", "wrong-one1")],
            )
            .peer("198.51.100.9"),
        )
        .await;
    }
    s.state.events.flush().await;
    let html = b.page(&format!("/files/file/{file}/links/{link}/activity")).await;
    assert!(html.find("<td>Locked out</td>").unwrap() < html.find("<td>Password failed</td>").unwrap());

    // 60 more events (from 60 clients: one client's opens within a minute
    // are one event): two pages of 50.
    for i in 0..60 {
        s.send(Req::get(&format!("/api/2.0/files/share/{token}")).peer(&format!("192.0.2.{}", i + 10))).await;
    }
    s.state.events.flush().await;
    let first = b.page(&format!("/files/file/{file}/links/{link}/activity")).await;
    assert_eq!(first.matches("<tr data-event>").count(), 50);
    assert!(first.contains("?page=2\">Older events</a>"));
    let second = b.page(&format!("/files/file/{file}/links/{link}/activity?page=2")).await;
    assert_eq!(second.matches("<tr data-event>").count(), 20);
    assert!(second.contains("Newer events") && !second.contains("Older events"));
    assert!(second.contains("<td>Downloaded</td>"), "the oldest events are on the last page");
}

#[tokio::test]
async fn the_link_form_sets_and_clears_the_download_limit_and_networks() {
    let s = TestServer::start().await;
    let b = Browser::owner(&s).await;
    let owner = s.owner().await;
    let file = s.upload_id(&owner, "plan.txt", b"the plan").await;
    let new = format!("/files/file/{file}/links/new");
    let res = b
        .submit(
            &new,
            &format!("/files/file/{file}/links"),
            &[("access", "Read"), ("title", "Counted"), ("max_uses", "2"), ("networks", "10.0.0.0/8\n127.0.0.1, ::1")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let link = links_of(&s, &owner, file).await.remove(0);
    assert_eq!(link["maxUseCount"], 2);
    assert_eq!(link["allowedNetworks"], json!(["10.0.0.0/8", "127.0.0.1/32", "::1/128"]));
    let id = link["id"].as_str().unwrap().to_string();
    let token = link["requestToken"].as_str().unwrap().to_string();

    // One download through the link (from 127.0.0.1, inside).
    let dl = s.send(Req::get(&format!("/filehandler.ashx?action=download&fileid={file}&share={token}"))).await;
    assert_eq!(dl.status, 200);
    // A refused one from outside.
    let outside =
        Req::get(&format!("/filehandler.ashx?action=download&fileid={file}&share={token}")).peer("203.0.113.50");
    assert_eq!(s.send(outside).await.status, 403);
    let html = b.page(&format!("/files/file/{file}")).await;
    assert!(html.contains("<dd data-uses>1 of 2</dd>"), "{html}");
    assert!(html.contains("<code>10.0.0.0/8</code>, <code>127.0.0.1/32</code>, <code>::1/128</code>"), "{html}");

    // The edit form is prefilled; emptying both fields clears them.
    let edit = format!("/files/file/{file}/links/{id}/edit");
    let form = b.page(&edit).await;
    assert_eq!(input_value(&form, "max_uses").as_deref(), Some("2"));
    assert!(form.contains(">10.0.0.0/8\n127.0.0.1/32\n::1/128</textarea>"), "{form}");
    assert!(form.contains("Downloaded 1 times so far."), "{form}");
    let action = format!("/files/file/{file}/links/{id}");
    let res = b.submit(&edit, &action, &[("access", "Read"), ("title", "Counted"), ("max_uses", "1")]).await;
    assert_eq!(res.status, 303);
    let html = b.page(&format!("/files/file/{file}")).await;
    assert!(html.contains("<dd data-uses>1 of 1 (used up)</dd>") && html.contains("badge warn\">used up"), "{html}");
    let res = b.submit(&edit, &action, &[("access", "Read"), ("title", "Counted")]).await;
    assert_eq!(res.status, 303);
    let link = links_of(&s, &owner, file).await.remove(0);
    assert!(link.get("maxUseCount").is_none(), "{link}");
    assert_eq!((link["currentUseCount"].clone(), link["allowedNetworks"].clone()), (json!(1), json!([])));

    // The activity page: the counters, the refusal's reason and the size.
    s.state.events.flush().await;
    let html = b.page(&format!("/files/file/{file}/links/{id}/activity")).await;
    assert!(html.contains("id=\"count-downloads\">1<") && html.contains("id=\"count-uses\">1 (no limit)<"), "{html}");
    assert!(html.contains("<td>Refused: outside the allowed networks</td><td>203.0.113.50</td>"), "{html}");
    assert!(html.contains("<td>Downloaded</td><td>127.0.0.1</td>"), "{html}");
    assert!(html.contains("<td>8 bytes</td>"), "{html}");
}

// ---- API keys ----------------------------------------------------------------

#[tokio::test]
async fn api_keys_create_shown_once_and_revoke() {
    let s = TestServer::start().await;
    let b = Browser::owner(&s).await;
    let res = b.submit("/keys", "/keys", &[("name", "laptop")]).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let html = res.text();
    let key = input_value(&html, "csrf").map(|_| ()).and_then(|_| {
        let at = html.find("data-copy=\"sk-")? + 11;
        Some(html[at..at + 67].to_string())
    });
    let key = key.expect("the new key with a copy button");
    assert!(key.starts_with("sk-"));
    s.send(Req::get("/api/2.0/people/@self").auth(&key)).await;
    assert_eq!(s.send(Req::get("/api/2.0/people/@self").auth(&key)).await.status, 200, "the key works");
    let list = b.page("/keys").await;
    assert!(list.contains("laptop") && list.contains(&format!("sk-…{}", &key[key.len() - 4..])));
    assert!(!list.contains(&key), "shown only once");
    let res = b.submit("/keys", "/keys", &[("name", "")]).await;
    assert_eq!(res.status, 400);
    assert!(res.text().contains("name is required"));

    let id =
        s.send(Req::get("/api/2.0/keys/@self").auth(&key)).await.json()["response"]["id"].as_str().unwrap().to_string();
    let res = b.submit("/keys", &format!("/keys/{id}/revoke"), &[]).await;
    assert_eq!((res.status, res.header("location").as_deref()), (303, Some("/keys")));
    assert_eq!(s.send(Req::get("/api/2.0/people/@self").auth(&key)).await.status, 401);
}

// ---- pages: headers, no inline code, assets, signed out ----------------------

#[tokio::test]
async fn every_page_is_no_store_with_a_strict_csp_and_no_inline_code() {
    let s = TestServer::start().await;
    let b = Browser::owner(&s).await;
    let owner = s.owner().await;
    let (file, link, _) =
        s.shared_file("notes.txt", b"some notes", json!({"access": "Read", "password": LINK_PASSWORD})).await;
    let root = my_folder(&s, &owner).await;
    let sub = s
        .send(Req::post(&format!("/api/2.0/files/folder/{root}")).auth(&owner).json(json!({"title": "Sub"})))
        .await
        .json()["response"]["id"]
        .as_i64()
        .unwrap();
    b.submit("/keys", "/keys", &[("name", "k")]).await;
    let pages = [
        "/files".to_string(),
        format!("/files/folder/{sub}"),
        format!("/files/folder/{sub}/delete"),
        format!("/files/file/{file}"),
        format!("/files/file/{file}/delete"),
        format!("/files/file/{file}/links/new"),
        format!("/files/file/{file}/links/{link}/edit"),
        format!("/files/file/{file}/links/{link}/revoke"),
        format!("/files/file/{file}/links/{link}/activity"),
        "/keys".to_string(),
        "/account/password".to_string(),
    ];
    let mut responses = vec![("/ (signed out)".to_string(), s.send(Req::get("/")).await)];
    for p in &pages {
        responses.push((p.clone(), b.get(p).await));
    }
    responses.push(("a missing file".into(), b.get("/files/file/999999").await));
    responses.push(("a bad form".into(), b.post(&format!("/files/folder/{root}/folders"), &[]).await));
    let mut asset_urls = std::collections::BTreeSet::new();
    for (what, res) in &responses {
        assert!(res.content_type().starts_with("text/html"), "{what}: {}", res.content_type());
        assert_eq!(res.header("cache-control").as_deref(), Some("no-store"), "{what}");
        assert_eq!(res.header("referrer-policy").as_deref(), Some("no-referrer"), "{what}");
        let csp = res.header("content-security-policy").unwrap_or_default();
        for want in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ] {
            assert!(csp.contains(want), "{what}: CSP {csp}");
        }
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{what}: {csp}");
        let html = res.text();
        assert!(html.starts_with("<!doctype html>\n<html lang=\"en\">"), "{what}");
        assert!(!html.contains("<style") && !html.contains(" style="), "{what}: inline style");
        assert_eq!(
            html.matches("<script").count(),
            html.matches("<script src=\"/assets/").count(),
            "{what}: inline script"
        );
        assert!(!html.contains(" on") || !html.contains("onclick=") && !html.contains("onload="), "{what}: handler");
        assert!(!html.contains(&owner), "{what}: a session token in the page");
        for (prefix, _) in html.match_indices("\"/assets/") {
            let rest = &html[prefix + 1..];
            asset_urls.insert(rest[..rest.find('"').unwrap()].to_string());
        }
    }
    // Two assets, both cached by hash for a year; another hash is 404.
    assert_eq!(asset_urls.len(), 2, "{asset_urls:?}");
    for url in &asset_urls {
        let res = s.send(Req::get(url)).await;
        assert_eq!(res.status, 200, "{url}");
        assert_eq!(res.header("cache-control").as_deref(), Some("public, max-age=31536000, immutable"));
        let kind = if url.ends_with(".css") { "text/css" } else { "text/javascript" };
        assert!(res.content_type().starts_with(kind), "{url}: {}", res.content_type());
        let wrong = url.replace(".css", "x.css").replace(".js", "x.js");
        assert_eq!(s.send(Req::get(&wrong)).await.status, 404);
    }
    assert!(asset_urls.iter().any(|u| u.starts_with("/assets/app.") && u.ends_with(".js")));
    assert!(b.page("/files").await.contains("defer></script>"));
}

#[tokio::test]
async fn a_signed_out_visitor_is_sent_to_the_sign_in_page() {
    let s = TestServer::start().await;
    for path in ["/files", "/files/folder/1", "/files/file/1", "/files/file/1/links/new", "/keys", "/account/password"]
    {
        let res = s.send(Req::get(path)).await;
        assert_eq!((res.status, res.header("location").as_deref()), (303, Some("/")), "{path}");
    }
    let res = s.send(post_form("/keys", &[("name", "x")])).await;
    assert_eq!((res.status, res.header("location").as_deref()), (303, Some("/")));
    let res = s.send(Req::get("/files").cookie("spacelinks_session=made-up")).await;
    assert_eq!(res.status, 303);
}

// ---- isolation -----------------------------------------------------------------

#[tokio::test]
async fn another_person_cannot_see_or_touch_my_files_links_or_keys() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let mine = Browser::owner(&s).await;
    let root = my_folder(&s, &owner).await;
    let (file, link, _) = s.shared_file("private.txt", b"mine", json!({"access": "Read"})).await;
    mine.submit("/keys", "/keys", &[("name", "my key")]).await;
    let key_id =
        s.send(Req::get("/api/2.0/keys").auth(&owner)).await.json()["response"][0]["id"].as_str().unwrap().to_string();

    s.user("mallory@example.com", "User").await;
    let m = Browser::sign_in(&s, "mallory@example.com", "user-password-1").await;
    assert!(!m.page("/files").await.contains("private.txt"));
    for path in [
        format!("/files/folder/{root}"),
        format!("/files/file/{file}"),
        format!("/files/file/{file}/delete"),
        format!("/files/file/{file}/links/new"),
        format!("/files/file/{file}/links/{link}/edit"),
        format!("/files/file/{file}/links/{link}/revoke"),
        format!("/files/file/{file}/links/{link}/activity"),
        format!("/files/file/{file}/links/{link}/qr.svg"),
    ] {
        let res = m.get(&path).await;
        assert!([403, 404].contains(&res.status), "GET {path}: {} {}", res.status, res.text());
        assert!(!res.text().contains("private.txt") && !res.text().contains("/s/"), "{path} leaks");
    }
    let csrf = m.csrf().await;
    for (action, fields) in [
        (format!("/files/folder/{root}/folders"), vec![("title", "intruder")]),
        (format!("/files/file/{file}/delete"), vec![]),
        (format!("/files/file/{file}/links"), vec![("access", "Read")]),
        (format!("/files/file/{file}/links/{link}"), vec![("access", "Editing")]),
        (format!("/files/file/{file}/links/{link}/revoke"), vec![]),
        (format!("/keys/{key_id}/revoke"), vec![]),
    ] {
        let mut pairs = fields.clone();
        pairs.push(("csrf", &csrf));
        let res = m.post(&action, &pairs).await;
        assert!([403, 404].contains(&res.status), "POST {action}: {} {}", res.status, res.text());
    }
    let (ct, body) = multipart(&[("csrf", &csrf)], &[("intruder.txt", b"x")]);
    let res = s.send(Req::post(&format!("/files/folder/{root}/upload")).body(&ct, body).cookie(&m.cookie)).await;
    assert_eq!(res.status, 403);
    // Everything of mine is still there, unchanged.
    let links = links_of(&s, &owner, file).await;
    assert_eq!((links.len(), links[0]["id"].as_str()), (1, Some(link.as_str())));
    assert_eq!(links_of(&s, &owner, file).await[0]["title"], "Shared link");
    let listing = mine.page("/files").await;
    assert!(listing.contains("private.txt") && !listing.contains("intruder"));
    assert!(mine.page("/keys").await.contains("my key"));
}

#[tokio::test]
async fn the_share_page_and_the_owner_pages_share_one_kind_label() {
    let s = TestServer::start().await;
    let b = Browser::owner(&s).await;
    let (file, _, token) = s.shared_file("Report.pdf", b"%PDF-1.4", json!({"access": "Read"})).await;
    let share = s.send(Req::get(&format!("/doceditor?fileid={file}&share={token}"))).await.text();
    assert!(share.contains("<span id=\"file-type\">PDF document</span>"), "{share}");
    assert!(b.page(&format!("/files/file/{file}")).await.contains("PDF document · "));
}

#[tokio::test]
async fn the_file_page_previews_through_the_share_pages_route() {
    let s = TestServer::start().await;
    let b = Browser::owner(&s).await;
    let owner = s.owner().await;
    let file = s.upload_id(&owner, "hello.txt", b"Hello, preview").await;
    let page = b.page(&format!("/files/file/{file}")).await;
    assert!(page.contains("<pre id=\"preview-text\" tabindex=\"0\">Hello, preview</pre>"), "{page}");
    // The session cookie lets the owner read the file outside the API (the
    // preview of images and PDFs loads from there) ...
    let view = b.get(&format!("/filehandler.ashx?action=view&fileid={file}")).await;
    assert_eq!((view.status, view.body.as_slice()), (200, &b"Hello, preview"[..]));
    // ... but never authorises the API.
    let api = s.send(Req::get(&format!("/api/2.0/files/file/{file}")).cookie(&b.cookie)).await;
    assert_eq!(api.status, 403);
}

#[tokio::test]
async fn the_file_page_lists_versions_and_restores_one() {
    let s = TestServer::start().await;
    let b = Browser::owner(&s).await;
    let owner = s.owner().await;
    let root = my_folder(&s, &owner).await;
    let res = b.upload(root, &[("notes.txt", b"first words")], true).await;
    let file = res.json()["files"][0]["id"].as_i64().unwrap();
    let res = s
        .send(Req::put(&format!("/api/2.0/files/{file}/update")).multipart("file", "notes.txt", b"second").auth(&owner))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());

    let page = b.page(&format!("/files/file/{file}")).await;
    assert_eq!(page.matches("<tr data-version=").count(), 2, "{page}");
    let unescaped = page.replace("&#38;", "&").replace("&amp;", "&");
    assert!(unescaped.contains(&format!("/filehandler.ashx?action=download&fileid={file}&version=1")));
    let restore = format!("/files/file/{file}/versions/1/restore");
    assert!(page.contains(&restore), "an old version has Restore");
    assert!(!page.contains(&format!("/files/file/{file}/versions/2/restore")), "the current one has not");

    // Without the CSRF token nothing happens.
    assert_eq!(b.post(&restore, &[]).await.status, 403);
    let res = b.submit(&format!("/files/file/{file}"), &restore, &[]).await;
    assert_eq!(res.status, 303, "{}", res.text());
    let content = s.send(Req::get(&format!("/filehandler.ashx?action=download&fileid={file}")).auth(&owner)).await;
    assert_eq!(content.body, b"first words");
    let page = b.page(&format!("/files/file/{file}")).await;
    assert_eq!(page.matches("<tr data-version=").count(), 3);
    assert!(page.contains("Restored from the revision of"));
}

/// Issue 12: a folder has the same links panel and link form as a file.
#[tokio::test]
async fn a_folder_gets_the_files_links_panel_and_form() {
    let s = TestServer::start().await;
    let b = Browser::owner(&s).await;
    let owner = s.owner().await;
    let root = my_folder(&s, &owner).await;
    let res =
        s.send(Req::post(&format!("/api/2.0/files/folder/{root}")).auth(&owner).json(json!({"title": "Album"}))).await;
    let folder = res.json()["response"]["id"].as_i64().unwrap();
    // My Documents itself has no panel: it cannot be shared.
    assert!(!b.page("/files").await.contains("id=\"links-heading\""));
    let page = b.page(&format!("/files/folder/{folder}")).await;
    assert!(page.contains("id=\"no-links\"") && page.contains("share this folder"), "{page}");
    assert!(page.contains(&format!("action=\"/files/folder/{folder}/links/new\"")));

    // The form offers a folder's access levels, Read first.
    let form_page = b.page(&format!("/files/folder/{folder}/links/new")).await;
    assert!(form_page.contains("<option value=\"Read\" selected>Read</option>"), "{form_page}");
    assert!(form_page.contains("<option value=\"FillForms\">"), "{form_page}");
    let res = b
        .submit(
            &format!("/files/folder/{folder}/links/new"),
            &format!("/files/folder/{folder}/links"),
            &[("title", "Family"), ("access", "Read"), ("password", LINK_PASSWORD), ("tz", "")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert!(res.header("location").unwrap().starts_with(&format!("/files/folder/{folder}#link-")));
    let links = s.send(Req::get(&format!("/api/2.0/files/folder/{folder}/links")).auth(&owner)).await.json();
    let l = &links["response"][0]["sharedLink"];
    assert_eq!((l["title"].as_str(), l["password"].as_str()), (Some("Family"), Some(LINK_PASSWORD)));
    let link = l["id"].as_str().unwrap().to_string();
    let url = l["shareLink"].as_str().unwrap().to_string();

    let page = b.page(&format!("/files/folder/{folder}")).await;
    assert!(page.contains(&format!("data-copy=\"{url}\">Copy link</button>")), "{page}");
    assert!(page.contains(">Edit</button>") && page.contains(">Revoke</button>"));
    assert!(!page.contains(">Activity</button>"), "no activity page for folder links yet");
    let qr = b.get(&format!("/files/folder/{folder}/links/{link}/qr.svg")).await;
    assert_eq!((qr.status, qr.content_type().as_str()), (200, "image/svg+xml"));

    // An error lands in the form, in the server's words.
    let res = b
        .submit(
            &format!("/files/folder/{folder}/links/{link}/edit"),
            &format!("/files/folder/{folder}/links/{link}"),
            &[("title", "Family"), ("access", "Read"), ("password", "short")],
        )
        .await;
    assert_eq!(res.status, 400);
    assert!(res.text().contains("Password must contain"), "{}", res.text());

    let res = b
        .submit(
            &format!("/files/folder/{folder}/links/{link}/revoke"),
            &format!("/files/folder/{folder}/links/{link}/revoke"),
            &[],
        )
        .await;
    assert_eq!((res.status, res.header("location")), (303, Some(format!("/files/folder/{folder}"))));
    let links = s.send(Req::get(&format!("/api/2.0/files/folder/{folder}/links")).auth(&owner)).await.json();
    assert_eq!(links["response"], json!([]));

    // Another person's folder: no form.
    s.user("folder-other@example.com", "User").await;
    let stranger = Browser::sign_in(&s, "folder-other@example.com", "user-password-1").await;
    assert_eq!(stranger.get(&format!("/files/folder/{folder}/links/new")).await.status, 403);
}
