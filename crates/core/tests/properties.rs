//! Property tests of the domain's parsers: share tokens, access values, the
//! link request body, expiry dates, titles and the link password policy.

use proptest::prelude::*;
use serde_json::{json, Value};
use spacelinks_api_types::Fields;
use spacelinks_core::crypto::Secrets;
use spacelinks_core::links::{parse_access, parse_expiration, LinkRequest, PasswordPolicy};
use spacelinks_core::titles::{check_title_chars, forbidden_char};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".*".prop_map(Value::String),
        // Values the link rules give meaning to, so that parsing gets far.
        prop_oneof![Just("Read"), Just("view"), Just("10"), Just("2030-01-01"), Just("Secret-pw1")]
            .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(2, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z]{1,8}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A link request body: the real field names with any values.
fn link_body() -> impl Strategy<Value = Value> {
    let field = prop_oneof![
        Just("linkId"),
        Just("access"),
        Just("title"),
        Just("expirationDate"),
        Just("password"),
        Just("denyDownload"),
        Just("internal"),
        Just("primary"),
    ];
    prop::collection::vec((field, any_json()), 0..8)
        .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

fn secrets() -> Secrets {
    Secrets::from_master(b"property tests: a master secret of 32+ bytes")
}

const NOW: i64 = 1_800_000_000_000_000;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_strings_never_validate_as_share_tokens(s in ".{0,64}", b64 in "[A-Za-z0-9_-]{43}") {
        let secrets = secrets();
        prop_assert_eq!(secrets.verify_share_token(&s), None);
        prop_assert_eq!(secrets.verify_share_token(&b64), None);
    }

    #[test]
    fn share_tokens_verify_to_their_link_and_no_edit_survives(
        id in any::<u128>(),
        salt in any::<u64>(),
        at in 0usize..54,
        with in "[A-Za-z0-9_-]",
    ) {
        let secrets = secrets();
        let link_id = uuid::Uuid::from_u128(id).hyphenated().to_string();
        let salt = hex::encode(salt.to_be_bytes());
        let token = secrets.share_token(&link_id, &salt);
        prop_assert_eq!(secrets.verify_share_token(&token), Some((link_id.clone(), salt.clone())));
        // Another server's secret does not accept it.
        prop_assert_eq!(Secrets::from_master(b"another server's master secret!!").verify_share_token(&token), None);
        let mut edited = token.clone();
        edited.replace_range(at..at + 1, &with);
        if edited != token {
            prop_assert_eq!(secrets.verify_share_token(&edited), None, "{} -> {}", token, edited);
        }
        prop_assert_eq!(secrets.verify_share_token(&token[..token.len() - 1]), None);
        prop_assert_eq!(secrets.verify_share_token(&format!("{token}A")), None);
    }

    #[test]
    fn access_values_parse_or_fail_with_400(v in any_json()) {
        match parse_access(&v) {
            Ok(share) => {
                prop_assert_eq!(parse_access(&json!(share as i64)).unwrap(), share);
                prop_assert!(matches!(v, Value::Number(_) | Value::String(_)));
            }
            Err(e) => prop_assert!(matches!(e, spacelinks_core::Error::BadRequest(_)), "{:?}", e),
        }
    }

    #[test]
    fn link_bodies_parse_or_fail_with_400(body in link_body()) {
        let fields = Fields::from_value(body).unwrap();
        match LinkRequest::parse(&fields, NOW) {
            Ok(req) => {
                if let spacelinks_api_types::lenient::Patch::Value(t) = &req.title {
                    prop_assert!(forbidden_char(t).is_none());
                }
                if let spacelinks_api_types::lenient::Patch::Value(t) = req.expires {
                    prop_assert!(t > NOW);
                }
            }
            Err(e) => prop_assert!(matches!(e, spacelinks_core::Error::BadRequest(_)), "{:?}", e),
        }
    }

    #[test]
    fn expiry_is_future_and_bounded(v in any_json()) {
        if let Ok(spacelinks_api_types::lenient::Patch::Value(t)) = parse_expiration(Some(&v), NOW) {
            prop_assert!(t > NOW && t <= NOW + 10 * 366 * 24 * 3600 * 1_000_000);
        }
    }

    #[test]
    fn titles_with_a_forbidden_character_are_refused(
        head in "\\PC{0,20}",
        bad in prop_oneof![
            (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap()),
            (0x7fu32..0xa0).prop_map(|c| char::from_u32(c).unwrap()),
            prop::sample::select(vec!['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}',
                '\u{2067}', '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}']),
        ],
        tail in "\\PC{0,20}",
    ) {
        let title = format!("{head}{bad}{tail}");
        let err = check_title_chars("title", &title).unwrap_err().to_string();
        let first = forbidden_char(&title).unwrap();
        let named = format!("U+{:04X}", first as u32);
        prop_assert!(err.contains(&named), "{}", err);
    }

    #[test]
    fn titles_of_printable_text_are_accepted(title in "[\\PC&&[^\u{202A}-\u{202E}\u{2066}-\u{2069}\u{200E}\u{200F}\u{061C}]]{0,40}") {
        prop_assert!(check_title_chars("title", &title).is_ok(), "{:?}", title);
    }

    #[test]
    fn link_passwords_follow_the_policy(p in ".{0,40}") {
        let policy = PasswordPolicy::default();
        let ok = (8..=30).contains(&p.chars().count()) && p.bytes().all(|b| (0x21..=0x7e).contains(&b));
        prop_assert_eq!(policy.check(&p).is_ok(), ok, "{:?}", p);
    }
}
