//! The owner side of external links, in-process: `GET/PUT file/{id}/links`
//! and `GET/POST file/{id}/link`, with the rules of file-links.md and the
//! spec README's decisions (merge on update, one primary, strict access,
//! passwords, expiry), the exact FileShareDto, and the audit trail.

mod common;

use common::*;
use serde_json::{json, Value};
use spacelinks_api_types::date::format_api_date;
use spacelinks_core::Entry;

const DAY: i64 = 86_400_000_000;

fn links(id: i64) -> String {
    format!("/api/2.0/files/file/{id}/links")
}

fn primary(id: i64) -> String {
    format!("/api/2.0/files/file/{id}/link")
}

/// An ApiDateTime `days` from now, whole seconds.
fn days_from_now(days: i64) -> String {
    let t = now_micros() / 1_000_000 * 1_000_000 + days * DAY;
    format_api_date(t)
}

async fn put(s: &TestServer, token: &str, file: i64, body: Value) -> Resp {
    s.send(Req::put(&links(file)).auth(token).json(body)).await
}

async fn list(s: &TestServer, token: &str, file: i64) -> Vec<Value> {
    let res = s.send(Req::get(&links(file)).auth(token)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["response"].as_array().expect("a list").clone()
}

async fn setup(name: &str) -> (TestServer, String, i64) {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let id = s.upload_id(&owner, name, b"the content").await;
    (s, owner, id)
}

#[tokio::test]
async fn new_file_has_no_links_exact_envelope() {
    let (s, owner, id) = setup("a.docx").await;
    let res = s.send(Req::get(&links(id)).auth(&owner)).await;
    assert_eq!(res.status, 200);
    assert_json_exact(
        &res.json(),
        &json!({"response": [], "count": 0, "total": 0,
                "links": [{"href": format!("{PUBLIC_URL}{}", links(id)), "action": "GET"}],
                "status": 0, "statusCode": 200}),
    );
}

#[tokio::test]
async fn file_share_dto_exact_json() {
    let (s, owner, id) = setup("Report.docx").await;
    let expires = days_from_now(30);
    let res = put(
        &s,
        &owner,
        id,
        json!({"access": "Review", "title": "Team", "password": LINK_PASSWORD, "expirationDate": expires,
               "denyDownload": true, "internal": false}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.content_type(), "application/json; charset=utf-8");
    let mut v = res.json();
    let link = v["response"].clone();
    let (link_id, token) = (link_id(&link), token(&link));
    assert_eq!(link["sharedLink"]["expirationDate"], expires.as_str(), "expiry round-trips exactly");
    let short = link["sharedLink"]["shareLink"].as_str().unwrap().to_string();
    let code = short.strip_prefix(&format!("{PUBLIC_URL}/s/")).expect("short link under the public URL").to_string();
    assert_eq!(code.len(), 15, "{short}");
    assert!(uuid_like(&link_id), "{link_id}");
    assert!(token.len() >= 22 && !token.contains(&link_id), "token {token}");
    scrub(&mut v, &[(&link_id, "<link-id>"), (&token, "<token>"), (&code, "<code>")]);
    let shared = json!({
        "id": "<link-id>", "title": "Team", "shareLink": format!("{PUBLIC_URL}/s/<code>"),
        "expirationDate": "<date>", "linkType": 1, "password": LINK_PASSWORD, "denyDownload": true,
        "isExpired": false, "primary": false, "internal": false, "requestToken": "<token>",
        // spacelinks' link controls; no `maxUseCount` (no limit) and no
        // `lastOpenedOn` (never opened): nulls are omitted, as DocSpace does.
        "currentUseCount": 0, "allowedNetworks": [], "openCount": 0
    });
    assert_json_exact(
        &v,
        &json!({
            "response": {
                "access": 5, "sharedTo": shared, "sharedLink": shared, "isLocked": false, "isOwner": false,
                "canEditAccess": false, "canEditInternal": true, "canEditDenyDownload": true,
                "canEditExpirationDate": true, "canRevoke": false, "subjectType": 1
            },
            "count": 1,
            "links": [{"href": format!("{PUBLIC_URL}{}", links(id)), "action": "PUT"}],
            "status": 0,
            "statusCode": 200
        }),
    );
    // Null fields are omitted: a plain link has no password or expiry keys.
    let plain = s.put_link(&owner, id, json!({"access": 2})).await;
    let keys: Vec<&str> = plain["sharedLink"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "title",
            "shareLink",
            "linkType",
            "denyDownload",
            "isExpired",
            "primary",
            "internal",
            "requestToken",
            "currentUseCount",
            "allowedNetworks",
            "openCount"
        ]
    );
    // With a limit, networks and an open: every field of the link controls.
    let limited = s
        .put_link(&owner, id, json!({"access": 2, "maxUseCount": 4, "allowedNetworks": ["192.0.2.0/24", "::1"]}))
        .await;
    let shared = &limited["sharedLink"];
    assert_eq!(shared["maxUseCount"], 4);
    assert_eq!(shared["allowedNetworks"], json!(["192.0.2.0/24", "::1/128"]));
    assert_eq!(limited["sharedTo"], limited["sharedLink"]);
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36
        && s.chars()
            .enumerate()
            .all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() })
}

#[tokio::test]
async fn list_create_update_delete() {
    let (s, owner, id) = setup("doc.docx").await;
    let a = s.put_link(&owner, id, json!({"access": "Read", "title": "first"})).await;
    let b = s.put_link(&owner, id, json!({"access": "Comment", "title": "second"})).await;
    assert_ne!(link_id(&a), link_id(&b));
    assert_ne!(token(&a), token(&b));
    assert_eq!(b["access"], 6);
    assert_eq!(b["subjectType"], 1);
    assert_eq!(b["sharedLink"]["primary"], false);

    let all = list(&s, &owner, id).await;
    assert_eq!(
        all.iter().map(|l| l["sharedLink"]["title"].clone()).collect::<Vec<_>>(),
        [json!("first"), json!("second")]
    );

    // Update by linkId keeps the id and the token.
    let upd = s.put_link(&owner, id, json!({"linkId": link_id(&a), "access": "Editing"})).await;
    assert_eq!(upd["access"], 10);
    assert_eq!(link_id(&upd), link_id(&a));
    assert_eq!(token(&upd), token(&a));
    assert_eq!(upd["sharedLink"]["title"], "first");
    assert_eq!(list(&s, &owner, id).await.len(), 2);

    // Delete with access 0: no `response`, count 0.
    let res = put(&s, &owner, id, json!({"linkId": link_id(&a), "access": 0})).await;
    assert_eq!(res.status, 200);
    assert_json_exact(
        &res.json(),
        &json!({"count": 0, "links": [{"href": format!("{PUBLIC_URL}{}", links(id)), "action": "PUT"}],
                "status": 0, "statusCode": 200}),
    );
    let left = list(&s, &owner, id).await;
    assert_eq!(left.len(), 1);
    assert_eq!(link_id(&left[0]), link_id(&b));
    assert!(s.store().link(&link_id(&a)).await.unwrap().is_none());
    // "None" by name deletes too; deleting again is a quiet no-op.
    let res = put(&s, &owner, id, json!({"linkId": link_id(&b), "access": "None"})).await;
    assert!(res.json().get("response").is_none());
    let res = put(&s, &owner, id, json!({"linkId": link_id(&b), "access": 0})).await;
    assert_eq!(res.status, 200);
    assert!(res.json().get("response").is_none());
    assert!(list(&s, &owner, id).await.is_empty());
}

#[tokio::test]
async fn put_without_link_id_or_access_is_a_no_op() {
    let (s, owner, id) = setup("noop.docx").await;
    for body in [
        json!({}),
        json!({"title": "only a title"}),
        json!({"access": null}),
        json!({"access": 0}),
        json!({"access": "None"}),
    ] {
        let res = put(&s, &owner, id, body.clone()).await;
        assert_eq!(res.status, 200, "{body}: {}", res.text());
        let v = res.json();
        assert!(v.get("response").is_none(), "{body}: {v}");
        assert_eq!(v["count"], 0);
    }
    // An empty body counts as `{}`.
    let res = s.send(Req::put(&links(id)).auth(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(list(&s, &owner, id).await.is_empty());
    assert!(s.store().audit_entries(Entry::File(id)).await.unwrap().is_empty(), "a no-op wrote audit rows");
}

#[tokio::test]
async fn list_paging_and_order() {
    let (s, owner, id) = setup("paged.docx").await;
    let first = s.put_link(&owner, id, json!({"access": "Read", "title": "one"})).await;
    s.put_link(&owner, id, json!({"access": "Read", "title": "two"})).await;
    let prim = s.put_link(&owner, id, json!({"access": "Read", "title": "main", "primary": true})).await;
    assert_eq!(prim["subjectType"], 4);
    assert_eq!(prim["sharedLink"]["primary"], true);

    let titles = |v: &Value| -> Vec<String> {
        v["response"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["sharedLink"]["title"].as_str().unwrap().to_string())
            .collect()
    };
    let v = s.send(Req::get(&links(id)).auth(&owner)).await.json();
    assert_eq!(titles(&v), ["main", "one", "two"], "primary first, then by creation");
    assert_eq!((v["count"].clone(), v["total"].clone()), (json!(3), json!(3)));

    let v = s.send(Req::get(&format!("{}?count=2", links(id))).auth(&owner)).await.json();
    assert_eq!(titles(&v), ["main", "one"]);
    assert_eq!((v["count"].clone(), v["total"].clone()), (json!(2), json!(3)));
    let v = s.send(Req::get(&format!("{}?startIndex=2&count=2", links(id))).auth(&owner)).await.json();
    assert_eq!(titles(&v), ["two"]);
    assert_eq!((v["count"].clone(), v["total"].clone()), (json!(1), json!(3)));
    let v = s.send(Req::get(&format!("{}?startIndex=7", links(id))).auth(&owner)).await.json();
    assert_eq!((v["count"].clone(), v["total"].clone()), (json!(0), json!(3)));
    for q in ["?count=0", "?count=101", "?count=x"] {
        s.send(Req::get(&format!("{}{q}", links(id))).auth(&owner)).await.assert_error(400);
        s.send(Req::get(&format!("{}{q}", primary(id))).auth(&owner)).await.assert_error(400);
    }
    // `primary` is honoured only on create.
    let upd = s.put_link(&owner, id, json!({"linkId": link_id(&first), "primary": true})).await;
    assert_eq!(upd["subjectType"], 1);
}

#[tokio::test]
async fn get_link_creates_the_primary_link_lazily() {
    let (s, owner, id) = setup("lazy.docx").await;
    let res = s.send(Req::get(&primary(id)).auth(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let v = res.json();
    assert_eq!(v["count"], 1);
    let p = v["response"].clone();
    assert_eq!(p["access"], 2);
    assert_eq!(p["subjectType"], 4);
    assert_eq!(p["canEditAccess"], false);
    let sl = &p["sharedLink"];
    assert_eq!(
        (sl["primary"].clone(), sl["internal"].clone(), sl["denyDownload"].clone()),
        (json!(true), json!(false), json!(false))
    );
    assert_eq!(sl["title"], "Shared link");
    assert!(sl.get("expirationDate").is_none() && sl.get("password").is_none());

    // Again: the same link, nothing new.
    let again = s.send(Req::get(&primary(id)).auth(&owner)).await.json()["response"].clone();
    assert_eq!(link_id(&again), link_id(&p));
    assert_eq!(list(&s, &owner, id).await.len(), 1);
    // The file now reports that it is shared.
    let f = s.send(Req::get(&format!("/api/2.0/files/file/{id}")).auth(&owner)).await.json();
    assert_eq!((f["response"]["shared"].clone(), f["response"]["sharedExternal"].clone()), (json!(true), json!(true)));

    // POST returns the existing primary link unchanged, ignoring its body.
    let res = s.send(Req::post(&primary(id)).auth(&owner).json(json!({"access": "Editing", "title": "x"}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let posted = res.json()["response"].clone();
    assert_eq!(link_id(&posted), link_id(&p));
    assert_eq!(posted["access"], 2);

    // Deleting the primary link is allowed; GET makes a new one.
    s.delete_link(&owner, id, &link_id(&p)).await;
    let fresh = s.send(Req::get(&primary(id)).auth(&owner)).await.json()["response"].clone();
    assert_ne!(link_id(&fresh), link_id(&p));
    assert_eq!(fresh["subjectType"], 4);
    let missing = s.send(Req::get(&primary(999_999)).auth(&owner)).await;
    assert_eq!(missing.assert_error(404), "Item not found");
}

#[tokio::test]
async fn post_link_uses_the_body_but_ignores_title() {
    let (s, owner, id) = setup("posted.docx").await;
    let expires = days_from_now(3);
    let res = s
        .send(Req::post(&primary(id)).auth(&owner).json(json!({
            "access": "Editing", "title": "Ignored title", "expirationDate": expires, "internal": true,
            "denyDownload": true, "password": LINK_PASSWORD, "primary": false,
            "linkId": "11111111-2222-3333-4444-555555555555"
        })))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let p = res.json()["response"].clone();
    assert_eq!(p["access"], 10);
    assert_eq!(p["subjectType"], 4, "POST always makes the primary link");
    let sl = &p["sharedLink"];
    assert_eq!(sl["title"], "Shared link");
    assert_ne!(sl["id"], "11111111-2222-3333-4444-555555555555", "linkId is ignored");
    assert_eq!(sl["expirationDate"], expires.as_str());
    assert_eq!((sl["internal"].clone(), sl["denyDownload"].clone()), (json!(true), json!(true)));
    assert_eq!(sl["password"], LINK_PASSWORD);

    // Refused access levels and bad values are refused here too; no link appears.
    let (s2, owner2, id2) = setup("posted2.docx").await;
    for (body, status) in [
        (json!({"access": "ReadWrite"}), 403),
        (json!({"access": "bogus"}), 400),
        (json!({"access": 2, "password": "short"}), 400),
        (json!({"access": 2, "expirationDate": "2001-01-01T00:00:00Z"}), 400),
    ] {
        let res = s2.send(Req::post(&primary(id2)).auth(&owner2).json(body.clone())).await;
        res.assert_error(status);
    }
    assert!(list(&s2, &owner2, id2).await.is_empty());
}

#[tokio::test]
async fn one_primary_link_per_file() {
    let (s, owner, id) = setup("one.docx").await;
    let p = s.put_link(&owner, id, json!({"access": "Read", "primary": true})).await;
    let res = put(&s, &owner, id, json!({"access": "Comment", "primary": true})).await;
    let msg = res.assert_error(403);
    assert!(msg.contains("only one primary link"), "{msg}");
    let all = list(&s, &owner, id).await;
    assert_eq!(all.len(), 1);
    assert_eq!(link_id(&all[0]), link_id(&p));
    // GET /link returns it rather than making another.
    let got = s.send(Req::get(&primary(id)).auth(&owner)).await.json()["response"].clone();
    assert_eq!(link_id(&got), link_id(&p));
}

#[tokio::test]
async fn at_most_six_additional_links() {
    let (s, owner, id) = setup("six.docx").await;
    for i in 0..6 {
        s.put_link(&owner, id, json!({"access": "Read", "title": format!("link {i}")})).await;
    }
    let res = put(&s, &owner, id, json!({"access": "Read", "title": "seventh"})).await;
    assert_eq!(res.assert_error(403), "The maximum number of links may not exceed 6");
    assert_eq!(list(&s, &owner, id).await.len(), 6);
    // The primary link does not count against the six.
    let res = s.send(Req::get(&primary(id)).auth(&owner)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(list(&s, &owner, id).await.len(), 7);
    // After a delete there is room again.
    let victim = list(&s, &owner, id).await[3].clone();
    s.delete_link(&owner, id, &link_id(&victim)).await;
    s.put_link(&owner, id, json!({"access": "Read", "title": "replacement"})).await;
}

#[tokio::test]
async fn access_values_are_parsed_strictly() {
    let (s, owner, id) = setup("access.docx").await;
    let accepted = [
        (json!("Read"), 2),
        (json!("read"), 2),
        (json!("READ"), 2),
        (json!("view"), 2),
        (json!("View"), 2),
        (json!("edit"), 10),
        (json!("Editing"), 10),
        (json!("editing"), 10),
        (json!("Comment"), 6),
        (json!("review"), 5),
        (json!(2), 2),
        (json!(5), 5),
        (json!(6), 6),
        (json!(10), 10),
        (json!("6"), 6),
        (json!("10"), 10),
    ];
    let link = s.put_link(&owner, id, json!({"access": "Read"})).await;
    for (access, want) in accepted {
        // On create…
        let created = s.put_link(&owner, id, json!({"access": access})).await;
        assert_eq!(created["access"], want, "create with {access}");
        s.delete_link(&owner, id, &link_id(&created)).await;
        // …and on update.
        let updated = s.put_link(&owner, id, json!({"linkId": link_id(&link), "access": access})).await;
        assert_eq!(updated["access"], want, "update with {access}");
    }

    // Unknown values: 400 naming what is accepted, never a silent delete.
    for access in [
        json!("bogus"),
        json!("reader"),
        json!(""),
        json!(99),
        json!(-1),
        json!(2.5),
        json!(true),
        json!({}),
        json!([2]),
    ] {
        let res = put(&s, &owner, id, json!({"linkId": link_id(&link), "access": access})).await;
        let msg = res.assert_error(400);
        for word in ["Read (2)", "Editing (10)", "Comment (6)", "Review (5)", "\"view\"", "\"edit\""] {
            assert!(msg.contains(word), "{access}: {msg:?} lacks {word}");
        }
        let res = put(&s, &owner, id, json!({"access": access})).await;
        res.assert_error(400);
    }
    assert!(s.store().link(&link_id(&link)).await.unwrap().is_some(), "a bad access value deleted the link");

    // Known values links may not carry: 403.
    for access in [
        json!("ReadWrite"),
        json!(1),
        json!("Restrict"),
        json!(3),
        json!("Varies"),
        json!("RoomManager"),
        json!(9),
        json!("ContentCreator"),
        json!(11),
        json!("FillForms"),
        json!("CustomFilter"),
    ] {
        let res = put(&s, &owner, id, json!({"access": access})).await;
        assert_eq!(res.assert_error(403), "The role is not available for this user type", "{access}");
        let res = put(&s, &owner, id, json!({"linkId": link_id(&link), "access": access})).await;
        res.assert_error(403);
    }
    assert_eq!(list(&s, &owner, id).await.len(), 1);
    assert_eq!(s.store().link(&link_id(&link)).await.unwrap().unwrap().access as i64, 10);

    // Images and other non-documents allow Read and Editing only.
    let img = s.upload_id(&owner, "photo.png", b"\x89PNG").await;
    assert_eq!(s.put_link(&owner, img, json!({"access": "Read"})).await["access"], 2);
    assert_eq!(s.put_link(&owner, img, json!({"access": "Editing"})).await["access"], 10);
    for access in ["Comment", "Review"] {
        put(&s, &owner, img, json!({"access": access})).await.assert_error(403);
    }
}

#[tokio::test]
async fn password_policy() {
    let (s, owner, id) = setup("pw.docx").await;
    let policy = "Password must contain from 8 to 30 characters, only latin letters, digits and symbols, no spaces";
    for bad in ["short7c", "x".repeat(31).as_str(), "has space1", "tab\tpassword", "pässwörd12", "密码密码密码密码"]
    {
        let res = put(&s, &owner, id, json!({"access": 2, "password": bad})).await;
        assert_eq!(res.assert_error(400), policy, "{bad:?}");
    }
    assert!(list(&s, &owner, id).await.is_empty());
    let eight = s.put_link(&owner, id, json!({"access": 2, "password": "12345678"})).await;
    assert_eq!(eight["sharedLink"]["password"], "12345678");
    let thirty = "!#$%&'()*+,-./:;<=>?@[]^_`{|}~";
    assert_eq!(thirty.len(), 30);
    let l = s.put_link(&owner, id, json!({"access": 2, "password": thirty})).await;
    assert_eq!(l["sharedLink"]["password"], thirty);
    // An empty password means none.
    let none = s.put_link(&owner, id, json!({"access": 2, "password": ""})).await;
    assert!(none["sharedLink"].get("password").is_none());

    // A bad new password on update is refused and the old one stays.
    let res = put(&s, &owner, id, json!({"linkId": link_id(&eight), "password": "bad pw"})).await;
    res.assert_error(400);
    let again = list(&s, &owner, id).await.into_iter().find(|x| link_id(x) == link_id(&eight)).unwrap();
    assert_eq!(again["sharedLink"]["password"], "12345678");

    // Encrypted at rest: the database row does not hold the password.
    let db = s.raw_db().await;
    let rows: Vec<(Option<String>,)> = sqlx::query_as("SELECT password_enc FROM links WHERE password_enc IS NOT NULL")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for (enc,) in rows {
        let enc = enc.unwrap();
        assert!(!enc.contains("12345678") && !enc.contains(thirty), "plain password at rest: {enc}");
    }
}

#[tokio::test]
async fn expiration_rules() {
    let (s, owner, id) = setup("exp.docx").await;
    let past = format_api_date(now_micros() - DAY);
    let res = put(&s, &owner, id, json!({"access": 2, "expirationDate": past})).await;
    assert_eq!(res.assert_error(400), "expirationDate must be in the future");
    let too_far = format_api_date(now_micros() + 11 * 366 * DAY);
    let res = put(&s, &owner, id, json!({"access": 2, "expirationDate": too_far})).await;
    assert_eq!(res.assert_error(400), "Value does not fall within the expected range. (Parameter 'expirationDate')");
    assert!(list(&s, &owner, id).await.is_empty());

    // Nine years ahead is fine.
    let far = days_from_now(9 * 365);
    let l = s.put_link(&owner, id, json!({"access": 2, "expirationDate": far})).await;
    assert_eq!(l["sharedLink"]["expirationDate"], far.as_str());
    assert_eq!(l["sharedLink"]["isExpired"], false);

    // `{}` is the Python SDK's empty ApiDateTime: no change.
    let u = s.put_link(&owner, id, json!({"linkId": link_id(&l), "expirationDate": {}, "title": "renamed"})).await;
    assert_eq!(u["sharedLink"]["expirationDate"], far.as_str());
    assert_eq!(u["sharedLink"]["title"], "renamed");
    // On create, `{}` means no expiry.
    let c = s.put_link(&owner, id, json!({"access": 2, "expirationDate": {}})).await;
    assert!(c["sharedLink"].get("expirationDate").is_none());

    // The SDK's object form, and other ISO forms.
    let in_two = days_from_now(2);
    let u = s
        .put_link(
            &owner,
            id,
            json!({"linkId": link_id(&l), "expirationDate": {"utcTime": in_two, "timeZoneOffset": 180}}),
        )
        .await;
    assert_eq!(u["sharedLink"]["expirationDate"], in_two.as_str());
    let naive = in_two.trim_end_matches('Z').to_string();
    let u = s.put_link(&owner, id, json!({"linkId": link_id(&l), "expirationDate": naive})).await;
    assert_eq!(u["sharedLink"]["expirationDate"], in_two.as_str(), "no offset means UTC");
    let res = put(&s, &owner, id, json!({"linkId": link_id(&l), "expirationDate": {"utcTime": past}})).await;
    res.assert_error(400);
    let res = put(&s, &owner, id, json!({"linkId": link_id(&l), "expirationDate": {"utcTime": 5}})).await;
    res.assert_error(400);

    // null clears.
    let u = s.put_link(&owner, id, json!({"linkId": link_id(&l), "expirationDate": null})).await;
    assert!(u["sharedLink"].get("expirationDate").is_none());
}

#[tokio::test]
async fn title_rules() {
    let (s, owner, id) = setup("title.docx").await;
    let long = "t".repeat(255);
    let l = s.put_link(&owner, id, json!({"access": 2, "title": long})).await;
    assert_eq!(l["sharedLink"]["title"], long.as_str());
    let wide = "é".repeat(255);
    let w = s.put_link(&owner, id, json!({"access": 2, "title": wide})).await;
    assert_eq!(w["sharedLink"]["title"], wide.as_str(), "the limit counts characters, not bytes");
    let res = put(&s, &owner, id, json!({"access": 2, "title": "t".repeat(256)})).await;
    res.assert_error(400);
    let res = put(&s, &owner, id, json!({"linkId": link_id(&l), "title": "t".repeat(256)})).await;
    res.assert_error(400);
    for blank in [json!(""), json!("   "), json!(null)] {
        let d = s.put_link(&owner, id, json!({"linkId": link_id(&l), "title": blank})).await;
        assert_eq!(d["sharedLink"]["title"], "Shared link", "{blank}");
    }
}

#[tokio::test]
async fn updates_merge_instead_of_replacing() {
    let (s, owner, id) = setup("merge.docx").await;
    let expires = days_from_now(10);
    let l = s
        .put_link(
            &owner,
            id,
            json!({"access": "Read", "title": "Keep me", "password": LINK_PASSWORD, "expirationDate": expires,
                   "denyDownload": true, "internal": true}),
        )
        .await;
    let lid = link_id(&l);
    let check = |v: &Value, access: i64, title: &str, pw: Option<&str>, exp: Option<&str>, dd: bool, internal: bool| {
        assert_eq!(v["access"], access, "{v}");
        let sl = &v["sharedLink"];
        assert_eq!(sl["title"], title, "{v}");
        assert_eq!(sl.get("password").and_then(Value::as_str), pw, "{v}");
        assert_eq!(sl.get("expirationDate").and_then(Value::as_str), exp, "{v}");
        assert_eq!((sl["denyDownload"].as_bool(), sl["internal"].as_bool()), (Some(dd), Some(internal)), "{v}");
    };
    // Only access: everything else stays.
    let v = s.put_link(&owner, id, json!({"linkId": lid, "access": "Editing"})).await;
    check(&v, 10, "Keep me", Some(LINK_PASSWORD), Some(&expires), true, true);
    // What the DocSpace web client sends when editing a link.
    let v = s
        .put_link(
            &owner,
            id,
            json!({"linkId": lid, "access": 10, "primary": false, "internal": false, "expirationDate": expires}),
        )
        .await;
    check(&v, 10, "Keep me", Some(LINK_PASSWORD), Some(&expires), true, false);
    // One flag.
    let v = s.put_link(&owner, id, json!({"linkId": lid, "denyDownload": false})).await;
    check(&v, 10, "Keep me", Some(LINK_PASSWORD), Some(&expires), false, false);
    // A new password replaces the old one.
    let v = s.put_link(&owner, id, json!({"linkId": lid, "password": "Another-pw2"})).await;
    check(&v, 10, "Keep me", Some("Another-pw2"), Some(&expires), false, false);
    // Case-insensitive keys, as ASP.NET reads them.
    let v = s.put_link(&owner, id, json!({"LinkId": lid, "Access": "Comment", "DenyDownload": "true"})).await;
    check(&v, 6, "Keep me", Some("Another-pw2"), Some(&expires), true, false);
    // Explicit nulls clear or reset.
    let v =
        s.put_link(&owner, id, json!({"linkId": lid, "password": null, "expirationDate": null, "title": null})).await;
    check(&v, 6, "Shared link", None, None, true, false);
    // The stored state matches what was answered.
    let stored = s.store().link(&lid).await.unwrap().unwrap();
    assert!(stored.password_enc.is_none() && stored.expires.is_none() && stored.deny_download);
    assert_eq!(list(&s, &owner, id).await.len(), 1);
}

#[tokio::test]
async fn link_ids_are_scoped_to_their_file() {
    let (s, owner, id) = setup("one.docx").await;
    let other_file = s.upload_id(&owner, "two.docx", b"2").await;
    let l = s.put_link(&owner, id, json!({"access": "Read", "title": "on file one"})).await;
    // The same linkId under another file does not touch the first file's link.
    let res = put(&s, &owner, other_file, json!({"linkId": link_id(&l), "access": 0})).await;
    assert_eq!(res.status, 200);
    let res = put(&s, &owner, other_file, json!({"linkId": link_id(&l), "access": "Editing", "title": "hijack"})).await;
    res.assert_error(400);
    let kept = s.store().link(&link_id(&l)).await.unwrap().expect("the link survived");
    assert_eq!((kept.entry, kept.title.as_str(), kept.access as i64), (Entry::File(id), "on file one", 2));
    assert!(list(&s, &owner, other_file).await.is_empty());
    // A new, unused linkId creates a link with that id (DocSpace behaviour).
    let fresh = "0a1b2c3d-0000-4000-8000-0123456789ab";
    let c = s.put_link(&owner, other_file, json!({"linkId": fresh, "access": "Read"})).await;
    assert_eq!(link_id(&c), fresh);
}

const CANNOT_PERFORM: &str = "You don't have enough permission to perform the operation";

/// 200, `count: 0` and no `response` key.
fn assert_no_response(res: Resp) {
    assert_eq!(res.status, 200, "{}", res.text());
    let v = res.json();
    assert_eq!(v["count"], 0);
    assert!(v.get("response").is_none(), "{v}");
}

#[tokio::test]
async fn non_owners_see_nothing_and_change_nothing() {
    let (s, owner, id) = setup("private.docx").await;
    let l = s.put_link(&owner, id, json!({"access": "Read", "password": LINK_PASSWORD})).await;
    let other = s.user("other@example.com", "User").await;
    let admin = s.user("admin@example.com", "DocSpaceAdmin").await;

    for token in [&other, &admin] {
        // The list is empty, not an error, and leaks no token or password.
        let res = s.send(Req::get(&links(id)).auth(token)).await;
        assert_eq!(res.status, 200);
        let v = res.json();
        assert_eq!((v["response"].clone(), v["count"].clone(), v["total"].clone()), (json!([]), json!(0), json!(0)));
        assert!(!res.text().contains(LINK_PASSWORD));
        // Changes are 403 with DocSpace's message; GET /link answers 200
        // with no `response` and creates nothing.
        for body in [
            json!({"access": "Read"}),
            json!({"linkId": link_id(&l), "access": 0}),
            json!({"linkId": link_id(&l), "access": 10}),
        ] {
            assert_eq!(put(&s, token, id, body).await.assert_error(403), CANNOT_PERFORM);
        }
        assert_no_response(s.send(Req::get(&primary(id)).auth(token)).await);
        assert_eq!(
            s.send(Req::post(&primary(id)).auth(token).json(json!({"access": 2}))).await.assert_error(403),
            CANNOT_PERFORM
        );
    }
    // Anonymous: GET /link answers the same empty 200, with or without a
    // share token; the rest need a user.
    assert_no_response(s.send(Req::get(&primary(id))).await);
    assert_no_response(s.send(Req::get(&primary(id)).share(&token(&l))).await);
    s.send(Req::get(&links(id))).await.assert_empty(401);
    s.send(Req::put(&links(id)).json(json!({"access": 2}))).await.assert_empty(401);
    s.send(Req::post(&primary(id)).json(json!({}))).await.assert_empty(401);
    // Nothing changed.
    let all = list(&s, &owner, id).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["access"], 2);
    // A missing file is 404 "Item not found", for everyone.
    assert_eq!(put(&s, &other, 999_999, json!({"access": 2})).await.assert_error(404), "Item not found");
}

#[tokio::test]
async fn audit_trail_records_changes_without_passwords() {
    let (s, owner, id) = setup("audited.docx").await;
    let owner_id = s.send(Req::get("/api/2.0/people/@self").auth(&owner)).await.json()["response"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let l = s.put_link(&owner, id, json!({"access": "Read", "title": "Audited", "password": LINK_PASSWORD})).await;
    let lid = link_id(&l);
    s.put_link(&owner, id, json!({"linkId": lid, "access": "Editing", "password": "Second-pw2"})).await;
    s.put_link(&owner, id, json!({"linkId": lid, "title": "Renamed"})).await;
    s.delete_link(&owner, id, &lid).await;
    // A lazily created primary link is audited too.
    let p = s.send(Req::get(&primary(id)).auth(&owner)).await.json()["response"].clone();

    let entries = s.store().audit_entries(Entry::File(id)).await.unwrap();
    let actions: Vec<(&str, &str)> = entries.iter().map(|e| (e.action, e.link_id.as_str())).collect();
    let pid = link_id(&p);
    assert_eq!(
        actions,
        [
            ("link.created", lid.as_str()),
            ("link.updated", &lid),
            ("link.updated", &lid),
            ("link.deleted", &lid),
            ("link.created", &pid)
        ]
    );
    for e in &entries {
        assert_eq!(e.actor_id, owner_id);
        assert_eq!(e.entry, Entry::File(id));
        assert!(e.at > 0 && e.at <= now_micros());
        for secret in [LINK_PASSWORD, "Second-pw2"] {
            assert!(!e.details.contains(secret), "audit details hold a password: {}", e.details);
        }
        serde_json::from_str::<Value>(&e.details).expect("details are JSON");
    }
    let created: Value = serde_json::from_str(&entries[0].details).unwrap();
    assert_eq!(created["access"], 2);
    assert_eq!(created["title"], "Audited");
    assert_eq!(created["hasPassword"], true);
    let updated: Value = serde_json::from_str(&entries[1].details).unwrap();
    assert_eq!(updated["changed"], json!(["access", "password"]));
    assert_eq!(updated["access"], 10);
    let renamed: Value = serde_json::from_str(&entries[2].details).unwrap();
    assert_eq!(renamed["changed"], json!(["title"]));
    let deleted: Value = serde_json::from_str(&entries[3].details).unwrap();
    assert_eq!(deleted["title"], "Renamed");
    let lazily: Value = serde_json::from_str(&entries[4].details).unwrap();
    assert_eq!((lazily["primary"].clone(), lazily["hasPassword"].clone()), (json!(true), json!(false)));

    // Refused requests leave no trace.
    put(&s, &owner, id, json!({"access": "bogus"})).await.assert_error(400);
    put(&s, &owner, id, json!({"access": "ReadWrite"})).await.assert_error(403);
    assert_eq!(s.store().audit_entries(Entry::File(id)).await.unwrap().len(), 5);
}
