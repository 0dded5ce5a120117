//! Property tests of the wire parsers: the lenient JSON fields, ApiDateTime
//! and the enum names. Properties, not examples: nothing panics on any
//! input, what we write we read back, and what must be refused is refused.

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use spacelinks_api_types::date::{format_api_date, format_plain_date, parse_api_date};
use spacelinks_api_types::lenient::Patch;
use spacelinks_api_types::{Fields, FileShare, UserType};

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".*".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z]{1,8}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Microseconds between 0001-01-01 and 9999-12-31, the range DocSpace's
/// seven-digit form can carry.
fn api_instant() -> impl Strategy<Value = i64> {
    -62_135_596_800_000_000i64..253_402_300_799_999_999i64
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_bytes_parse_or_fail_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = Fields::from_slice(&bytes);
    }

    #[test]
    fn every_accessor_answers_for_every_value(v in any_json(), key in "[a-zA-Z]{1,8}") {
        if let Ok(f) = Fields::from_value(json!({ key.clone(): v.clone() })) {
            let k = key.to_ascii_lowercase();
            let _ = (f.string(&k), f.bool(&k), f.int(&k), f.enum_text(&k), f.required_string(&k));
            // Keys are found case-insensitively.
            prop_assert_eq!(f.raw(&k), Some(&v));
        }
    }

    #[test]
    fn only_json_strings_are_strings(v in any_json()) {
        let f = Fields::from_value(json!({ "title": v.clone() })).unwrap();
        match (&v, f.string("title")) {
            (Value::String(s), Ok(Patch::Value(got))) => prop_assert_eq!(&got, s),
            (Value::Null, Ok(Patch::Null)) => {}
            (Value::String(_) | Value::Null, other) => prop_assert!(false, "{:?} gave {:?}", v, other),
            (_, got) => prop_assert!(got.is_err(), "{:?} was taken for a string: {:?}", v, got),
        }
    }

    #[test]
    fn integers_arrive_as_numbers_or_quoted(n in any::<i64>(), pad in "[ \t]{0,2}") {
        let f = Fields::from_value(json!({ "a": n, "b": format!("{pad}{n}{pad}") })).unwrap();
        prop_assert_eq!(f.int("a").unwrap(), Patch::Value(n));
        prop_assert_eq!(f.int("b").unwrap(), Patch::Value(n));
    }

    #[test]
    fn non_integers_are_not_integers(s in "[^0-9+-][^\u{0}]*") {
        let f = Fields::from_value(json!({ "a": s })).unwrap();
        prop_assert!(f.int("a").is_err());
    }

    #[test]
    fn booleans_are_true_false_in_any_case(b in any::<bool>(), upper in prop::collection::vec(any::<bool>(), 5)) {
        let text: String = b.to_string().chars().zip(upper).map(|(c, u)| if u { c.to_ascii_uppercase() } else { c }).collect();
        let f = Fields::from_value(json!({ "a": b, "b": text })).unwrap();
        prop_assert_eq!(f.bool("a").unwrap(), Patch::Value(b));
        prop_assert_eq!(f.bool("b").unwrap(), Patch::Value(b));
    }

    #[test]
    fn api_dates_round_trip(t in api_instant()) {
        let text = format_api_date(t);
        prop_assert_eq!(text.len(), 28, "{}", text);
        prop_assert!(text.ends_with("0Z"));
        prop_assert_eq!(parse_api_date(&text), Some(t), "{}", text);
        prop_assert_eq!(parse_api_date(&format_plain_date(t)), Some(t));
    }

    #[test]
    fn date_parsing_never_panics_and_is_stable(s in ".{0,40}") {
        if let Some(t) = parse_api_date(&s) {
            if (-62_135_596_800_000_000..253_402_300_800_000_000).contains(&t) {
                prop_assert_eq!(parse_api_date(&format_api_date(t)), Some(t), "{:?}", s);
            }
        }
    }

    #[test]
    fn offsets_name_the_same_instant(t in api_instant().prop_map(|t| t - t.rem_euclid(1_000_000)), h in -12i64..=14) {
        prop_assume!((-62_135_510_400_000_000..253_402_214_400_000_000).contains(&t));
        let utc = format_api_date(t);
        let local = format_api_date(t + h * 3_600_000_000);
        let with_offset = format!("{}{}{:02}:00", &local[..19], if h < 0 { '-' } else { '+' }, h.abs());
        prop_assert_eq!(parse_api_date(&with_offset), parse_api_date(&utc), "{} vs {}", with_offset, utc);
    }

    #[test]
    fn access_names_and_numbers_round_trip(n in -3i64..20, s in ".{0,16}") {
        if let Some(share) = FileShare::from_i64(n) {
            prop_assert_eq!(share as i64, n);
            prop_assert_eq!(FileShare::parse_name(share.name()), Some(share));
            prop_assert_eq!(FileShare::parse_name(&share.name().to_ascii_uppercase()), Some(share));
            prop_assert_eq!(FileShare::parse_name(&n.to_string()), Some(share));
        } else {
            prop_assert_eq!(FileShare::parse_name(&n.to_string()), None);
        }
        // Anything parsed is a real value whose own name parses back to it.
        if let Some(share) = FileShare::parse_name(&s) {
            prop_assert_eq!(FileShare::parse_name(share.name()), Some(share));
        }
        let _ = UserType::parse(&s);
    }
}
