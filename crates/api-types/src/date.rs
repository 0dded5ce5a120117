//! `ApiDateTime`: DocSpace writes dates as strings with exactly seven
//! fractional digits and `Z` (our tenant is always UTC). The official Python
//! SDK parses that form; clients send any ISO-8601 form back.
//!
//! Instants are carried as microseconds since the Unix epoch everywhere.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

/// `2026-06-30T10:13:11.1234560Z` — the seventh digit is always 0 because we
/// store microseconds.
pub fn format_api_date(micros: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(micros as i128 * 1000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 100
    )
}

/// The plain .NET `DateTime` form used by the login response: fraction
/// trimmed of trailing zeros.
pub fn format_plain_date(micros: i64) -> String {
    let s = format_api_date(micros);
    let (head, frac) = s.trim_end_matches('Z').split_once('.').unwrap_or((&s, ""));
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{head}Z")
    } else {
        format!("{head}.{frac}Z")
    }
}

/// Parses the ISO-8601 forms DocSpace clients send: with an offset or `Z`,
/// without one (taken as UTC), with any number of fractional digits, or a
/// bare date. Returns microseconds since the epoch.
pub fn parse_api_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let to_micros = |t: OffsetDateTime| (t.unix_timestamp_nanos() / 1000) as i64;
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(to_micros(t));
    }
    // Python's isoformat() without tzinfo, or .NET's unspecified kind.
    let with_z = format!("{s}Z");
    if let Ok(t) = OffsetDateTime::parse(&with_z, &Rfc3339) {
        return Some(to_micros(t));
    }
    if let Ok(t) = PrimitiveDateTime::parse(s, format_description!("[year]-[month]-[day]T[hour]:[minute]")) {
        return Some(to_micros(t.assume_utc()));
    }
    if let Ok(d) = Date::parse(s, format_description!("[year]-[month]-[day]")) {
        return Some(to_micros(d.midnight().assume_utc()));
    }
    None
}

pub fn now_micros() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_seven_digits_and_z() {
        let t = parse_api_date("2030-01-01T03:00:00.123456+03:00").unwrap();
        assert_eq!(format_api_date(t), "2030-01-01T00:00:00.1234560Z");
        assert_eq!(format_api_date(0), "1970-01-01T00:00:00.0000000Z");
    }

    #[test]
    fn parses_client_forms() {
        let want = parse_api_date("2030-01-01T00:00:00Z").unwrap();
        for s in [
            "2030-01-01T00:00:00+00:00",
            "2030-01-01T00:00:00",
            "2030-01-01T00:00:00.0000000Z",
            "2030-01-01",
            "2030-01-01T00:00",
        ] {
            assert_eq!(parse_api_date(s), Some(want), "{s}");
        }
        assert_eq!(parse_api_date("tomorrow"), None);
        assert_eq!(parse_api_date(""), None);
    }

    #[test]
    fn plain_date_trims_fraction() {
        let t = parse_api_date("2027-06-30T10:13:11.5Z").unwrap();
        assert_eq!(format_plain_date(t), "2027-06-30T10:13:11.5Z");
        let t = parse_api_date("2027-06-30T10:13:11Z").unwrap();
        assert_eq!(format_plain_date(t), "2027-06-30T10:13:11Z");
    }
}
