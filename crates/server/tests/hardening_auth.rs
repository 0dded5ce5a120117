//! Issue 10's holes in authentication and in what an anonymous client can
//! make the server spend: Basic auth under the login lockout and Argon2
//! behind a semaphore (1), body limits (2), timeouts and a bounded shutdown
//! (3), atomic lockouts with a per-account ceiling and IPv6 /64 grouping (4),
//! sign-out, purges and one `opened` event per client and minute (9).

mod common;

use std::time::{Duration, Instant};

use base64::Engine;
use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &[u8] = b"TOP-SECRET-CONTENT-4711";
const UA: &str = "spacelinks-test/1.0";

fn basic(email: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{email}:{password}")))
}

fn me_with_basic(password: &str, ip: &str) -> Req {
    Req::get("/api/2.0/people/@self").header("authorization", basic(OWNER_EMAIL, password)).peer(ip)
}

fn login(password: &str) -> Req {
    Req::post("/api/2.0/authentication").json(json!({"userName": OWNER_EMAIL, "password": password}))
}

fn link_password(token: &str, pw: &str) -> Req {
    Req::post(&format!("/api/2.0/files/share/{token}/password")).header("user-agent", UA).json(json!({"password": pw}))
}

fn resolve(token: &str) -> Req {
    Req::get(&format!("/api/2.0/files/share/{token}")).header("user-agent", UA)
}

/// The link's `status` in a `files/share/...` answer (which is always 200).
async fn share_status(s: &TestServer, req: Req) -> i64 {
    let res = s.send(req).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["response"]["status"].as_i64().expect("status")
}

// ---- 1. Basic auth and the Argon2 semaphore ------------------------------------

#[tokio::test]
async fn basic_auth_shares_the_login_lockout() {
    let s = TestServer::start().await;
    for i in 0..5 {
        if i % 2 == 0 {
            s.send(me_with_basic("wrong-password", "203.0.113.7")).await.assert_empty(401);
        } else {
            assert_eq!(s.send(login("wrong-password").peer("203.0.113.7")).await.status, 401, "attempt {i}");
        }
    }
    // Five wrong passwords for one account from one client, through Basic
    // and the login together: Basic is locked out like the login, even with
    // the right password, even on /healthz.
    let res = s.send(me_with_basic(OWNER_PASSWORD, "203.0.113.7")).await;
    res.assert_empty(429);
    assert!(res.header("retry-after").is_some());
    let res =
        s.send(Req::get("/healthz").header("authorization", basic(OWNER_EMAIL, "guess")).peer("203.0.113.7")).await;
    assert_eq!(res.status, 429);
    s.send(login(OWNER_PASSWORD).peer("203.0.113.7")).await.assert_empty(429);
    // Another client still signs in with Basic.
    assert_eq!(s.send(me_with_basic(OWNER_PASSWORD, "198.51.100.9")).await.status, 200);
}

#[tokio::test]
async fn argon2_checks_wait_for_a_permit_then_get_429() {
    let s = TestServer::start_with(|c| {
        c.password_check_permits = 1;
        c.password_check_wait = Duration::from_millis(1);
    })
    .await;
    // Each from its own client, so that only the semaphore can refuse them.
    let burst = (0..8).map(|i| s.send(me_with_basic(OWNER_PASSWORD, &format!("198.51.100.{i}"))));
    let results = futures::future::join_all(burst).await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    let refused: Vec<&Resp> = results.iter().filter(|r| r.status == 429).collect();
    assert_eq!(ok + refused.len(), 8, "{:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(ok >= 1 && !refused.is_empty(), "ok {ok}, refused {}", refused.len());
    for r in refused {
        assert!(r.body.is_empty());
        assert!(r.header("retry-after").is_some());
    }
    // Refused for load, not for a wrong password: the same clients sign in
    // once the burst is over.
    assert_eq!(s.send(me_with_basic(OWNER_PASSWORD, "198.51.100.1")).await.status, 200);
}

#[tokio::test]
async fn argon2_checks_queue_within_the_wait() {
    let s = TestServer::start_with(|c| {
        c.password_check_permits = 1;
        c.password_check_wait = Duration::from_secs(30);
    })
    .await;
    let burst = (0..4).map(|i| s.send(me_with_basic(OWNER_PASSWORD, &format!("198.51.100.{i}"))));
    for r in futures::future::join_all(burst).await {
        assert_eq!(r.status, 200, "{}", r.text());
    }
}

// ---- 2. Body limits ----------------------------------------------------------

#[tokio::test]
async fn small_routes_refuse_a_megabyte_with_413() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let (id, _, token) = s.shared_file("Big.txt", SECRET, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    let mib = "a".repeat(1 << 20);
    let json_body = json!({"userName": OWNER_EMAIL, "password": mib});
    for req in [
        Req::post("/api/2.0/authentication").json(json_body.clone()),
        Req::post(&format!("/api/2.0/files/share/{token}/password")).json(json_body.clone()),
        Req::put(&format!("/api/2.0/files/file/{id}/links")).auth(&owner).json(json!({"title": mib})),
        Req::post("/share/password")
            .body("application/x-www-form-urlencoded", format!("share={token}&fileid={id}&password={mib}")),
    ] {
        let path = req.path.clone();
        let res = s.send(req).await;
        let msg = res.assert_error(413);
        assert!(msg.contains("too large"), "{path}: {msg}");
    }
    // Just under 64 KiB is still read (and judged on its content).
    let res = s.send(login(&"b".repeat(60 * 1024))).await;
    assert_eq!(res.status, 401, "{}", res.text());
}

#[tokio::test]
async fn upload_routes_keep_the_upload_limit() {
    let s = TestServer::start_with(|c| c.max_upload_bytes = 3 << 20).await;
    let owner = s.owner().await;
    let big = vec![7u8; 2 << 20];
    let file = s.upload(&owner, "Two.bin", &big).await;
    let id = file["id"].as_i64().unwrap();
    let folder = file["folderId"].as_i64().unwrap();
    let res = s
        .send(Req::post(&format!("/api/2.0/files/{folder}/upload")).auth(&owner).multipart("File", "b.bin", &big))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res =
        s.send(Req::put(&format!("/api/2.0/files/{id}/update")).auth(&owner).multipart("file", "c.bin", &big)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res =
        s.send(Req::post(&format!("/share/upload?fileid={id}")).auth(&owner).multipart("file", "d.bin", &big)).await;
    assert_eq!(res.status, 303, "{}", res.text());
    // And above it, 413 in the envelope.
    let res = s
        .send(Req::post("/api/2.0/files/@my/upload").auth(&owner).multipart("File", "e.bin", &vec![1u8; 4 << 20]))
        .await;
    res.assert_error(413);
}

// ---- 3. Timeouts -------------------------------------------------------------

/// Reads until the server closes the connection (or `limit` passes);
/// returns what it sent and how long that took.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(tokio::time::Instant::from_std(started + limit), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => {
                panic!("the server kept the connection open for {limit:?}; got {:?}", String::from_utf8_lossy(&out))
            }
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), started.elapsed())
}

#[tokio::test]
async fn slowloris_half_a_header_is_disconnected() {
    let s = TestServer::start_socket_with(|c| c.header_read_timeout = Duration::from_millis(500)).await;
    let mut stream = TcpStream::connect(s.addr.unwrap()).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: spacelinks\r\nX-Slow: ").await.unwrap();
    let (_, took) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    assert!(took >= Duration::from_millis(400), "closed too early: {took:?}");
    // Whole requests are unaffected.
    assert_eq!(s.send(Req::get("/healthz")).await.status, 200);
}

#[tokio::test]
async fn a_silent_or_idle_connection_is_closed() {
    let s = TestServer::start_socket_with(|c| c.header_read_timeout = Duration::from_millis(500)).await;
    // A connection that never sends a byte.
    let mut silent = TcpStream::connect(s.addr.unwrap()).await.unwrap();
    let (_, took) = read_until_closed(&mut silent, Duration::from_secs(10)).await;
    assert!(took >= Duration::from_millis(400), "{took:?}");
    // A keep-alive connection that goes quiet after one request.
    let mut idle = TcpStream::connect(s.addr.unwrap()).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: spacelinks\r\n\r\n").await.unwrap();
    let (answer, _) = read_until_closed(&mut idle, Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn a_stalled_upload_body_is_cut() {
    let s = TestServer::start_socket_with(|c| c.body_idle_timeout = Duration::from_millis(500)).await;
    let owner = s.owner().await;
    let mut stream = TcpStream::connect(s.addr.unwrap()).await.unwrap();
    let head = format!(
        "POST /api/2.0/files/@my/upload HTTP/1.1\r\nHost: spacelinks\r\nAuthorization: Bearer {owner}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 100000\r\n\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"File\"; filename=\"slow.bin\"\r\n\r\nsome bytes, then nothing"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (answer, took) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    assert!(took >= Duration::from_millis(400), "cut too early: {took:?}");
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 4"), "{answer}");
    // Nothing half-uploaded became a file.
    let res = s.send(Req::get("/api/2.0/files/@my").auth(&owner)).await;
    assert_eq!(res.json()["response"]["files"], json!([]));
}

#[tokio::test]
async fn a_slow_request_on_a_small_route_times_out_with_json() {
    let s = TestServer::start_socket_with(|c| c.request_timeout = Duration::from_millis(500)).await;
    let mut stream = TcpStream::connect(s.addr.unwrap()).await.unwrap();
    let head = "POST /api/2.0/authentication HTTP/1.1\r\nHost: spacelinks\r\nContent-Type: application/json\r\n\
                Content-Length: 100\r\nConnection: close\r\n\r\n{\"userName\":";
    stream.write_all(head.as_bytes()).await.unwrap();
    let (answer, took) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"));
    assert_eq!(v["statusCode"], 408);
}

#[tokio::test]
async fn shutdown_ends_within_the_grace_period_despite_stalled_clients() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = spacelinks_server::Config::with_data_dir(dir.path());
    config.owner_password = Some(OWNER_PASSWORD.into());
    config.shutdown_grace = Duration::from_secs(1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = spacelinks_server::build(config, addr).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(spacelinks_server::app::serve_until(listener, app, async {
        let _ = stopped.await;
    }));
    // One client stalls in its header, another in a request body.
    let mut half_header = TcpStream::connect(addr).await.unwrap();
    half_header.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut half_body = TcpStream::connect(addr).await.unwrap();
    half_body
        .write_all(b"POST /api/2.0/authentication HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    stop.send(()).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(8), server).await;
    assert!(ended.is_ok(), "serve did not return within 8 s of the signal");
    ended.unwrap().unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
}

// ---- 4. Atomic lockouts ------------------------------------------------------

/// 50 parallel wrong link passwords and 50 parallel wrong logins, over real
/// sockets: at most the limit (5 per client) is ever judged.
async fn parallel_guesses_pass_at_most_the_limit(s: &TestServer) {
    let (_, _, token) = s.shared_file("Burst.txt", SECRET, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    let burst = (0..50).map(|i| s.send(link_password(&token, &format!("Wrong-pass{i}"))));
    let results = futures::future::join_all(burst).await;
    let judged = results.iter().filter(|r| r.status == 200).count();
    let refused = results.iter().filter(|r| r.status == 429).count();
    assert_eq!(judged + refused, 50);
    assert!((1..=5).contains(&judged), "{judged} wrong link passwords were judged");

    let burst = (0..50).map(|_| s.send(login("wrong-password")));
    let results = futures::future::join_all(burst).await;
    let judged = results.iter().filter(|r| r.status == 401).count();
    let refused = results.iter().filter(|r| r.status == 429).count();
    assert_eq!(judged + refused, 50, "{:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!((1..=5).contains(&judged), "{judged} wrong logins were judged");

    // A hostile e-mail of 10 KiB (random, so that it does not compress) is
    // counted like any other: not a 500 on PostgreSQL, whose index rows are small.
    let hostile_email: String = (0..320).map(|_| uuid::Uuid::new_v4().simple().to_string()).collect();
    let res =
        s.send(Req::post("/api/2.0/authentication").json(json!({"userName": hostile_email, "password": "p"}))).await;
    assert_eq!(res.status, 401, "{}", res.text());
}

#[tokio::test]
async fn parallel_guesses_pass_at_most_the_limit_on_sqlite() {
    let s = TestServer::start_socket().await;
    parallel_guesses_pass_at_most_the_limit(&s).await;
}

#[tokio::test]
async fn parallel_guesses_pass_at_most_the_limit_on_postgres() {
    let Some(pg) = PgSchema::create("parallel_guesses").await else { return };
    let s = TestServer::start_socket_with(|c| c.database_url = Some(pg.url.clone())).await;
    parallel_guesses_pass_at_most_the_limit(&s).await;
    drop(s);
    pg.drop_schema().await;
}

#[tokio::test]
async fn ipv6_clients_are_limited_per_64() {
    let s = TestServer::start().await;
    let (_, _, token) = s.shared_file("Six.txt", SECRET, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    for i in 1..=5 {
        let req = link_password(&token, "Wrong-pass1").peer(&format!("2001:db8:1:2::{i}"));
        assert_eq!(share_status(&s, req).await, 4);
    }
    // Another address of the same /64 is the same client.
    s.send(link_password(&token, LINK_PASSWORD).peer("2001:db8:1:2:ffff:ffff:ffff:ffff")).await.assert_empty(429);
    // The neighbouring /64 is another client.
    assert_eq!(share_status(&s, link_password(&token, LINK_PASSWORD).peer("2001:db8:1:3::1")).await, 0);
    // Logins too.
    for i in 1..=5 {
        assert_eq!(s.send(login("wrong-password").peer(&format!("2001:db8:9:9::{i}"))).await.status, 401);
    }
    s.send(login(OWNER_PASSWORD).peer("2001:db8:9:9::abcd")).await.assert_empty(429);
}

#[tokio::test]
async fn logins_have_a_per_account_ceiling_across_clients() {
    let s = TestServer::start().await;
    // A distributed guess: one wrong password from each of ten clients.
    for i in 0..10 {
        let res = s.send(login("wrong-password").peer(&format!("198.51.100.{i}"))).await;
        assert_eq!(res.status, 401, "client {i}");
    }
    let res = s.send(login(OWNER_PASSWORD).peer("192.0.2.1")).await;
    res.assert_empty(429);
    let retry: i64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 60 && retry <= 15 * 60, "{retry}");
    // Basic auth is held to the same ceiling.
    s.send(me_with_basic(OWNER_PASSWORD, "192.0.2.2")).await.assert_empty(429);
    // Other accounts are not affected.
    let res = s
        .send(
            Req::post("/api/2.0/authentication")
                .json(json!({"userName": "nobody@example.com", "password": "x"}))
                .peer("192.0.2.1"),
        )
        .await;
    assert_eq!(res.status, 401);
}

#[tokio::test]
async fn a_visitor_with_a_proof_is_not_locked_out_by_others() {
    let s = TestServer::start().await;
    let (id, lid, token) =
        s.shared_file("Proof.txt", SECRET, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    let res = s.send(link_password(&token, LINK_PASSWORD).peer("192.0.2.1")).await;
    let proof = res.cookie_pair(&format!("sharelink{lid}")).expect("proof cookie");
    // Thirty wrong passwords from six clients lock the link for everyone else.
    for c in 0..6 {
        for _ in 0..5 {
            let req = link_password(&token, "Wrong-pass1").peer(&format!("198.51.100.{c}"));
            assert_eq!(share_status(&s, req).await, 4);
        }
    }
    s.send(link_password(&token, LINK_PASSWORD).peer("203.0.113.1")).await.assert_empty(429);
    // The visitor who proved the password keeps the link, API and page alike.
    let req = link_password(&token, LINK_PASSWORD).peer("192.0.2.1").cookie(&proof);
    assert_eq!(share_status(&s, req).await, 0);
    let form = format!("share={token}&fileid={id}&password={LINK_PASSWORD}");
    let res = s
        .send(
            Req::post("/share/password")
                .body("application/x-www-form-urlencoded", form)
                .cookie(&proof)
                .peer("192.0.2.1"),
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(share_status(&s, resolve(&token).cookie(&proof)).await, 0);
}

// ---- 9. Sign-out, purges, one `opened` per client and minute -------------------

#[tokio::test]
async fn logout_revokes_the_session_and_clears_the_cookie() {
    let s = TestServer::start().await;
    let token = s.login(OWNER_EMAIL, OWNER_PASSWORD).await;
    let other = s.login(OWNER_EMAIL, OWNER_PASSWORD).await;
    let res = s.send(Req::post("/api/2.0/authentication/logout").cookie(&format!("asc_auth_key={token}"))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let v = res.json();
    assert_eq!((v["status"].clone(), v["statusCode"].clone()), (json!(0), json!(200)));
    let cleared = res.set_cookies().into_iter().find(|c| c.starts_with("asc_auth_key=")).expect("cookie cleared");
    assert!(cleared.starts_with("asc_auth_key=;") && cleared.contains("Max-Age=0"), "{cleared}");
    s.send(Req::get("/api/2.0/people/@self").auth(&token)).await.assert_empty(401);
    // Only that session: the other one still works, until it signs out too.
    assert_eq!(s.send(Req::get("/api/2.0/people/@self").auth(&other)).await.status, 200);
    assert_eq!(s.send(Req::post("/api/2.0/authentication/logout").auth(&other)).await.status, 200);
    s.send(Req::get("/api/2.0/people/@self").auth(&other)).await.assert_empty(401);
    // Signing out without a session is harmless, as in DocSpace.
    assert_eq!(s.send(Req::post("/api/2.0/authentication/logout")).await.status, 200);
}

#[tokio::test]
async fn repeated_opens_from_one_client_are_one_event() {
    let s = TestServer::start().await;
    let (_, lid, token) = s.shared_file("Opened.txt", SECRET, json!({"access": "Read"})).await;
    // Opens are one per clock minute: keep this test inside one.
    let second = (now_micros() / 1_000_000) % 60;
    if second > 50 {
        tokio::time::sleep(Duration::from_secs(61 - second as u64)).await;
    }
    for _ in 0..5 {
        assert_eq!(share_status(&s, resolve(&token).peer("192.0.2.1")).await, 0);
    }
    assert_eq!(share_status(&s, resolve(&token).peer("192.0.2.2")).await, 0);
    assert_eq!(
        share_status(
            &s,
            Req::get(&format!("/api/2.0/files/share/{token}")).header("user-agent", "other/2").peer("192.0.2.1")
        )
        .await,
        0
    );
    s.state.events.flush().await;
    // A second batch does not repeat the first one's open either.
    assert_eq!(share_status(&s, resolve(&token).peer("192.0.2.1")).await, 0);
    s.state.events.flush().await;
    let opened: Vec<_> =
        s.store().link_events(&lid).await.unwrap().into_iter().filter(|e| e.kind.stored() == "opened").collect();
    assert_eq!(opened.len(), 3, "{opened:?}");
}

#[tokio::test]
async fn the_purge_job_removes_expired_sessions_counters_and_old_events() {
    let s = TestServer::start_with(|c| c.event_retention_days = 30).await;
    let (_, lid, token) = s.shared_file("Old.txt", SECRET, json!({"access": "Read"})).await;
    assert_eq!(share_status(&s, resolve(&token)).await, 0);
    s.state.events.flush().await;
    let day = 86_400_000_000i64;
    let db = s.raw_db().await;
    sqlx::query("INSERT INTO link_events (at, link_id, file_id, kind, ip, user_agent) VALUES ($1, $2, 1, 'downloaded', '192.0.2.1', 'old')")
        .bind(now_micros() - 31 * day)
        .bind(lid.clone())
        .execute(db.pool())
        .await
        .unwrap();
    let live = s.login(OWNER_EMAIL, OWNER_PASSWORD).await;
    sqlx::query("INSERT INTO sessions (token_hash, user_id, expires) SELECT 'expired-session', id, $1 FROM users")
        .bind(now_micros() - day)
        .execute(db.pool())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO lockout_counters (scope, counter_key, failures, window_start, window_end) \
         VALUES ('link-client', 'gone', 3, $1, $2)",
    )
    .bind(now_micros() - 3 * day)
    .bind(now_micros() - 2 * day)
    .execute(db.pool())
    .await
    .unwrap();
    let purged = spacelinks_server::jobs::purge_once(&s.state).await.unwrap();
    assert_eq!((purged.sessions, purged.lockout_counters, purged.events), (1, 1, 1), "{purged:?}");
    let events = s.store().link_events(&lid).await.unwrap();
    assert_eq!(events.iter().map(|e| e.kind.stored()).collect::<Vec<_>>(), ["opened"]);
    assert_eq!(s.send(Req::get("/api/2.0/people/@self").auth(&live)).await.status, 200);
}

#[tokio::test]
async fn serve_runs_the_purge_job() {
    let s = TestServer::start_socket_with(|c| c.purge_interval = Duration::from_millis(50)).await;
    let db = s.raw_db().await;
    let owner = s.owner().await;
    sqlx::query("INSERT INTO sessions (token_hash, user_id, expires) SELECT 'expired-session', id, 1 FROM users")
        .execute(db.pool())
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (n,): (i64,) =
            sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM sessions WHERE token_hash = 'expired-session'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        if n == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the expired session was never purged");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(s.send(Req::get("/api/2.0/people/@self").auth(&owner)).await.status, 200);
}
