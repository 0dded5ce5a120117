//! The master secret (issue 10, hole 6): one format for `secret.key` and
//! `SPACELINKS_SECRET_KEY`, refused at start when malformed, written
//! atomically; and a link password that no longer decrypts makes the link
//! invalid on every path, never a 500.

mod common;

use common::*;
use serde_json::json;

async fn build_err(tweak: impl FnOnce(&mut spacelinks_server::Config)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut config = spacelinks_server::Config::with_data_dir(dir.path());
    config.owner_password = Some(OWNER_PASSWORD.into());
    tweak(&mut config);
    match spacelinks_server::build(config, "127.0.0.1:8080".parse().unwrap()).await {
        Ok(_) => panic!("the server started with a bad secret"),
        Err(e) => format!("{e:#}"),
    }
}

#[tokio::test]
async fn generated_secret_key_is_private_hex_written_whole() {
    let s = TestServer::start().await;
    let path = s.data_dir.join("secret.key");
    let text = std::fs::read_to_string(&path).unwrap();
    let hex = text.trim();
    assert_eq!(hex.len(), 64, "{text:?}");
    assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()), "{text:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let leftovers: Vec<_> = std::fs::read_dir(&s.data_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("secret") && n != "secret.key")
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind: {leftovers:?}");
}

#[tokio::test]
async fn empty_short_or_malformed_secret_key_file_is_refused_at_start() {
    for bad in ["", "\n", "abcd", "not hex at all, but long enough to pass a length check!!", &"ab".repeat(31)] {
        let msg = build_err(|c| {
            std::fs::create_dir_all(&c.data_dir).unwrap();
            std::fs::write(c.data_dir.join("secret.key"), bad).unwrap();
        })
        .await;
        assert!(msg.contains("secret.key") && msg.contains("64 hex"), "{bad:?}: {msg}");
    }
}

#[tokio::test]
async fn malformed_environment_secret_is_refused_with_the_expected_format() {
    for bad in ["short", "x".repeat(40).as_str(), &"g".repeat(64), "raw:too-short"] {
        let msg = build_err(|c| c.secret_key = Some(bad.to_string())).await;
        assert!(msg.contains("SPACELINKS_SECRET_KEY") && msg.contains("64 hex"), "{bad:?}: {msg}");
    }
}

/// Copying `secret.key` into `SPACELINKS_SECRET_KEY` (a second node) keeps
/// every token and every link password working.
#[tokio::test]
async fn secret_key_file_and_environment_value_are_the_same_key() {
    let first = TestServer::start().await;
    let (_, _, token) =
        first.shared_file("Same.txt", b"same", json!({"access": "Read", "password": LINK_PASSWORD})).await;
    let hex = std::fs::read_to_string(first.data_dir.join("secret.key")).unwrap().trim().to_string();
    let dir = first.data_dir.clone();
    let second = TestServer::start_with(|c| {
        c.data_dir = dir;
        c.secret_key = Some(hex.to_uppercase());
    })
    .await;
    let res = second
        .send(Req::post(&format!("/api/2.0/files/share/{token}/password")).json(json!({"password": LINK_PASSWORD})))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["response"]["status"], 0, "{}", res.text());
}

/// The legacy form (a raw passphrase used as bytes) is accepted only when
/// written unambiguously as `raw:<passphrase>`.
#[tokio::test]
async fn legacy_raw_secret_needs_its_prefix() {
    let phrase = "a legacy passphrase of more than 32 characters";
    let s = TestServer::start_with(|c| c.secret_key = Some(format!("raw:{phrase}"))).await;
    let (_, _, token) = s.shared_file("Raw.txt", b"raw", json!({"access": "Read"})).await;
    let legacy = spacelinks_core::crypto::Secrets::from_master(phrase.as_bytes());
    assert!(legacy.verify_share_token(&token).is_some(), "raw: must keep the old derivation");
    let prefixed = spacelinks_core::crypto::Secrets::from_master(format!("raw:{phrase}").as_bytes());
    assert!(prefixed.verify_share_token(&token).is_none(), "the prefix is not part of the key");
}

/// A password encrypted under another key (the secret changed, or the row
/// was copied from another installation) cannot be decrypted: the link is
/// invalid for visitors on every path, and its owner still sees it listed.
#[tokio::test]
async fn undecryptable_link_password_is_an_invalid_link_never_a_500() {
    let s = TestServer::start_socket().await;
    let owner = s.owner().await;
    let (id, lid, token) =
        s.shared_file("Locked.txt", b"SECRET-BYTES", json!({"access": "Read", "password": LINK_PASSWORD})).await;
    let other = spacelinks_core::crypto::Secrets::from_master(b"another installation's secret key!!");
    let foreign = other.encrypt_password(&lid, LINK_PASSWORD);
    assert_eq!(s.sql("UPDATE links SET password_enc = $1 WHERE id = $2", &[&foreign, &lid]).await, 1);

    let resolve = s.send(Req::get(&format!("/api/2.0/files/share/{token}"))).await;
    assert_eq!(resolve.status, 200, "{}", resolve.text());
    assert_eq!(resolve.json()["response"]["status"], 1, "{}", resolve.text());
    let pw = s
        .send(Req::post(&format!("/api/2.0/files/share/{token}/password")).json(json!({"password": LINK_PASSWORD})))
        .await;
    assert_eq!(pw.status, 200, "{}", pw.text());
    assert_eq!(pw.json()["response"]["status"], 1, "{}", pw.text());
    assert!(pw.set_cookies().is_empty());
    s.send(Req::get(&format!("/api/2.0/files/file/{id}")).share(&token)).await.assert_error(403);
    let dl = s.send(Req::get(&format!("/filehandler.ashx?action=download&fileid={id}&share={token}"))).await;
    dl.assert_error(403);
    let page = s.send(Req::get(&format!("/doceditor?fileid={id}&share={token}"))).await;
    assert_eq!(page.status, 404, "{}", page.text());
    assert!(!page.text().contains("SECRET-BYTES"));
    let form = s
        .send(
            Req::post("/share/password").body(
                "application/x-www-form-urlencoded",
                format!("share={token}&fileid={id}&password={LINK_PASSWORD}"),
            ),
        )
        .await;
    assert_eq!(form.status, 404, "{}", form.text());

    // The owner's list still shows the link, without a password.
    let list = s.send(Req::get(&format!("/api/2.0/files/file/{id}/links")).auth(&owner)).await;
    assert_eq!(list.status, 200, "{}", list.text());
    let links = list.json()["response"].clone();
    assert_eq!(links.as_array().map(Vec::len), Some(1), "{links}");
    assert_eq!(links[0]["sharedLink"]["id"], lid.as_str());
    assert!(links[0]["sharedLink"].get("password").is_none_or(|p| p.is_null()), "{links}");
    // The owner can set a new password, which works again.
    let fixed = s.put_link(&owner, id, json!({"linkId": lid, "password": "Another-pw2"})).await;
    assert_eq!(fixed["sharedLink"]["password"], "Another-pw2");
    let pw = s
        .send(Req::post(&format!("/api/2.0/files/share/{token}/password")).json(json!({"password": "Another-pw2"})))
        .await;
    assert_eq!(pw.json()["response"]["status"], 0, "{}", pw.text());
}
