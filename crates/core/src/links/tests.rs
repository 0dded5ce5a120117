use super::*;
use serde_json::json;

const NOW: i64 = 1_800_000_000_000_000;
const DAY: i64 = 86_400_000_000;

fn req(v: Value) -> Result<LinkRequest> {
    LinkRequest::parse(&Fields::from_value(v).unwrap(), NOW)
}

fn ctx(policy: &PasswordPolicy) -> NewLinkContext<'_> {
    NewLinkContext { allowed: allowed_link_access(FileType::Document), policy }
}

fn stored() -> Link {
    Link {
        id: "5f3c2a10-8e4b-4c7d-9f1e-2a3b4c5d6e7f".into(),
        entry: crate::Entry::File(1),
        primary: false,
        access: FileShare::Read,
        title: "Team".into(),
        expires: Some(NOW + DAY),
        password_enc: Some("enc".into()),
        deny_download: true,
        internal: false,
        short_code: "abc".into(),
        created_by: "u".into(),
        created: NOW,
        token_salt: String::new(),
        max_uses: None,
        use_count: 0,
        allowed_networks: Vec::new(),
    }
}

#[test]
fn access_accepts_numbers_names_and_aliases() {
    for (v, want) in [
        (json!(2), FileShare::Read),
        (json!("editing"), FileShare::Editing),
        (json!("view"), FileShare::Read),
        (json!("10"), FileShare::Editing),
    ] {
        assert_eq!(req(json!({ "access": v })).unwrap().access, Patch::Value(want));
    }
    for bad in [json!("reader"), json!(99), json!(2.5), json!(true)] {
        let err = req(json!({ "access": bad })).unwrap_err();
        assert!(matches!(&err, Error::BadRequest(m) if m.contains("Editing (10)")), "{err:?}");
    }
}

#[test]
fn expiration_rules() {
    assert!(matches!(req(json!({"expirationDate": "2000-01-01"})), Err(Error::BadRequest(m)) if m.contains("future")));
    assert!(
        matches!(req(json!({"expirationDate": "2100-01-01"})), Err(Error::BadRequest(m)) if m.contains("expected range"))
    );
    assert!(req(json!({"expirationDate": "someday"})).is_err());
    assert!(req(json!({"expirationDate": 5})).is_err());
    assert_eq!(req(json!({"expirationDate": {}})).unwrap().expires, Patch::Absent);
    assert_eq!(req(json!({"expirationDate": null})).unwrap().expires, Patch::Null);
    let r = req(json!({"expirationDate": {"utcTime": "2030-01-01T00:00:00Z", "timeZoneOffset": 0}})).unwrap();
    assert_eq!(r.expires, Patch::Value(parse_api_date("2030-01-01T00:00:00Z").unwrap()));
}

#[test]
fn link_id_must_be_a_guid() {
    assert!(req(json!({"linkId": "nope"})).is_err());
    assert_eq!(req(json!({"linkId": NIL_GUID})).unwrap().link_id, None);
    assert_eq!(
        req(json!({"LINKID": "5F3C2A10-8E4B-4C7D-9F1E-2A3B4C5D6E7F"})).unwrap().link_id.as_deref(),
        Some("5f3c2a10-8e4b-4c7d-9f1e-2a3b4c5d6e7f")
    );
}

#[test]
fn create_uses_defaults_and_checks_rules() {
    let p = PasswordPolicy::default();
    let f = req(json!({"access": 2})).unwrap().new_link(&ctx(&p)).unwrap().unwrap();
    assert_eq!((f.title.as_str(), f.deny_download, f.internal, f.password), (DEFAULT_TITLE, false, false, None));
    assert!(req(json!({})).unwrap().new_link(&ctx(&p)).unwrap().is_none());
    assert!(req(json!({"access": 0})).unwrap().new_link(&ctx(&p)).unwrap().is_none());
    for role in [1, 3, 4, 7, 8, 9, 11] {
        let err = req(json!({ "access": role })).unwrap().new_link(&ctx(&p)).unwrap_err();
        assert!(matches!(err, Error::Forbidden(m) if m == "The role is not available for this user type"));
    }
    assert!(
        matches!(req(json!({"access": 2, "password": "short"})).unwrap().new_link(&ctx(&p)), Err(Error::BadRequest(m)) if m.starts_with("Password must contain from 8 to 30"))
    );
    assert!(req(json!({"access": 2, "password": "has space1"})).unwrap().new_link(&ctx(&p)).is_err());
    assert!(req(json!({"access": 2, "password": "x".repeat(31)})).unwrap().new_link(&ctx(&p)).is_err());
    assert!(req(json!({"access": 2, "title": "t".repeat(256)})).is_err());
    let img = NewLinkContext { allowed: allowed_link_access(FileType::Image), policy: &p };
    assert!(req(json!({"access": "comment"})).unwrap().new_link(&img).is_err());
}

#[test]
fn update_merges_absent_fields_and_clears_nulls() {
    let p = PasswordPolicy::default();
    let c = req(json!({"denyDownload": false})).unwrap().merge_into(&stored(), &ctx(&p)).unwrap().unwrap();
    assert_eq!(c.link.access, FileShare::Read);
    assert_eq!(c.link.title, "Team");
    assert_eq!(c.link.expires, Some(NOW + DAY));
    assert!(!c.link.deny_download);
    assert_eq!(c.password, PasswordChange::Keep);

    let c = req(json!({"password": null, "expirationDate": null, "title": null}))
        .unwrap()
        .merge_into(&stored(), &ctx(&p))
        .unwrap()
        .unwrap();
    assert_eq!(c.password, PasswordChange::Clear);
    assert_eq!(c.link.expires, None);
    assert_eq!(c.link.title, DEFAULT_TITLE);
    assert!(c.link.deny_download, "absent denyDownload keeps true");

    assert!(req(json!({"access": 0})).unwrap().merge_into(&stored(), &ctx(&p)).unwrap().is_none());
    let c = req(json!({"access": "edit", "password": "newpassword1"}))
        .unwrap()
        .merge_into(&stored(), &ctx(&p))
        .unwrap()
        .unwrap();
    assert_eq!(c.link.access, FileShare::Editing);
    assert_eq!(c.password, PasswordChange::Set("newpassword1".into()));
}

fn visitor(ip: &str, authenticated: bool, owner: bool) -> Visitor {
    Visitor { ip: ip.parse().unwrap(), authenticated, owner }
}
fn anon() -> Visitor {
    visitor("192.0.2.1", false, false)
}
fn signed_in() -> Visitor {
    visitor("192.0.2.1", true, false)
}

#[test]
fn max_use_count_rules() {
    assert_eq!(req(json!({})).unwrap().max_uses, Patch::Absent);
    assert_eq!(req(json!({"maxUseCount": null})).unwrap().max_uses, Patch::Null);
    assert_eq!(req(json!({"maxUseCount": 3})).unwrap().max_uses, Patch::Value(3));
    assert_eq!(req(json!({"maxUseCount": "7"})).unwrap().max_uses, Patch::Value(7));
    for bad in [json!(0), json!(-1), json!(1.5), json!("many"), json!(""), json!(true), json!([1])] {
        let err = req(json!({ "maxUseCount": bad })).unwrap_err();
        assert!(matches!(&err, Error::BadRequest(m) if m.starts_with("maxUseCount")), "{bad}: {err:?}");
    }
    let p = PasswordPolicy::default();
    let mut l = stored();
    l.max_uses = Some(2);
    let c = req(json!({})).unwrap().merge_into(&l, &ctx(&p)).unwrap().unwrap();
    assert_eq!(c.link.max_uses, Some(2), "absent keeps the limit");
    let c = req(json!({"maxUseCount": null})).unwrap().merge_into(&l, &ctx(&p)).unwrap().unwrap();
    assert_eq!(c.link.max_uses, None);
}

#[test]
fn allowed_networks_rules() {
    let nets = |v: Value| req(json!({ "allowedNetworks": v })).map(|r| r.allowed_networks);
    let strings = |p: Patch<Vec<ipnet::IpNet>>| p.value().unwrap().iter().map(|n| n.to_string()).collect::<Vec<_>>();
    assert_eq!(
        strings(nets(json!(["10.1.2.3/8", "192.0.2.7", "2001:db8::1/32", "::ffff:198.51.100.0/120", "::1"])).unwrap()),
        ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "198.51.100.0/24", "::1/128"]
    );
    assert_eq!(nets(json!(null)).unwrap(), Patch::Null);
    assert_eq!(nets(json!([])).unwrap(), Patch::Value(vec![]));
    assert_eq!(req(json!({})).unwrap().allowed_networks, Patch::Absent);
    let err = nets(json!(["10.0.0.0/8", "10.0.0.0/33"])).unwrap_err();
    assert!(matches!(&err, Error::BadRequest(m) if m.contains("\"10.0.0.0/33\"")), "{err:?}");
    assert!(matches!(nets(json!([5])), Err(Error::BadRequest(m)) if m.contains("5 is not")));
    assert!(nets(json!("10.0.0.0/8")).is_err());
    let many: Vec<String> = (0..51).map(|i| format!("10.0.{i}.0/24")).collect();
    assert!(matches!(nets(json!(many)), Err(Error::BadRequest(m)) if m.contains("at most 50")));
}

#[test]
fn used_up_and_network_refusals() {
    let mut l = stored();
    let no = |_: &str, _: &str| false;
    l.password_enc = None;
    l.max_uses = Some(2);
    l.use_count = 1;
    assert_eq!(link_status(&l, None, &PasswordEvidence::None, &anon(), NOW, no), LinkStatus::Ok);
    l.use_count = 2;
    assert_eq!(refusal(&l, &anon(), NOW), Some(Refusal::UsedUp));
    assert_eq!(link_status(&l, None, &PasswordEvidence::None, &anon(), NOW, no), LinkStatus::Expired);
    assert_eq!(refusal(&l, &visitor("192.0.2.1", true, true), NOW), None, "the owner is never refused");
    l.max_uses = Some(3);
    assert_eq!(refusal(&l, &anon(), NOW), None, "a higher limit revives it");
    l.allowed_networks = vec!["10.0.0.0/8".parse().unwrap(), "2001:db8::/32".parse().unwrap()];
    assert_eq!(refusal(&l, &anon(), NOW), Some(Refusal::Network));
    assert_eq!(link_status(&l, None, &PasswordEvidence::None, &anon(), NOW, no), LinkStatus::ExternalAccessDenied);
    for inside in ["10.9.8.7", "2001:db8::5", "::ffff:10.0.0.1"] {
        assert_eq!(refusal(&l, &visitor(inside, false, false), NOW), None, "{inside}");
    }
    assert_eq!(refusal(&l, &visitor("203.0.113.9", true, true), NOW), None, "the owner is never refused");
    l.expires = Some(NOW - 1);
    assert_eq!(refusal(&l, &visitor("10.0.0.1", false, false), NOW), Some(Refusal::Expired));
}

#[test]
fn status_order_matches_docspace() {
    let mut l = stored();
    let yes = |_: &str, _: &str| true;
    let no = |_: &str, _: &str| false;
    assert_eq!(link_status(&l, Some("pw"), &PasswordEvidence::None, &anon(), NOW, yes), LinkStatus::RequiredPassword);
    assert_eq!(link_status(&l, Some("pw"), &PasswordEvidence::Proof("x"), &anon(), NOW, yes), LinkStatus::Ok);
    assert_eq!(
        link_status(&l, Some("pw"), &PasswordEvidence::Proof("x"), &anon(), NOW, no),
        LinkStatus::RequiredPassword
    );
    assert_eq!(link_status(&l, Some("pw"), &PasswordEvidence::Typed("pw"), &anon(), NOW, no), LinkStatus::Ok);
    assert_eq!(
        link_status(&l, Some("pw"), &PasswordEvidence::Typed("px"), &anon(), NOW, no),
        LinkStatus::InvalidPassword
    );
    assert_eq!(link_status(&l, None, &PasswordEvidence::None, &anon(), NOW, no), LinkStatus::Ok);
    l.internal = true;
    assert_eq!(link_status(&l, None, &PasswordEvidence::None, &anon(), NOW, no), LinkStatus::ExternalAccessDenied);
    assert_eq!(link_status(&l, None, &PasswordEvidence::None, &signed_in(), NOW, no), LinkStatus::Ok);
    l.expires = Some(NOW - 1);
    assert_eq!(link_status(&l, None, &PasswordEvidence::None, &signed_in(), NOW, no), LinkStatus::Expired);
}
