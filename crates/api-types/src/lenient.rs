//! Request bodies the way ASP.NET reads them: property names are
//! case-insensitive and numbers may arrive quoted. Every accessor reports a
//! wrong type as a `FieldError`, which the server turns into a 400.

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct FieldError(pub String);

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A JSON object with lower-cased keys.
#[derive(Debug, Default, Clone)]
pub struct Fields(Map<String, Value>);

/// A field that may be absent, explicitly `null`, or set — the three cases
/// merge-on-update needs to tell apart.
#[derive(Debug, Clone, PartialEq)]
pub enum Patch<T> {
    Absent,
    Null,
    Value(T),
}

impl<T> Patch<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }
    pub fn value(self) -> Option<T> {
        match self {
            Patch::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl Fields {
    pub fn from_value(v: Value) -> Result<Self, FieldError> {
        match v {
            Value::Object(m) => Ok(Fields(m.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect())),
            Value::Null => Ok(Fields::default()),
            _ => Err(FieldError("The request body must be a JSON object".into())),
        }
    }

    /// Parses raw bytes; an empty body counts as `{}`.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, FieldError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Fields::default());
        }
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| FieldError(format!("The request body is not valid JSON: {e}")))?;
        Self::from_value(v)
    }

    pub fn raw(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// A text field: only a JSON string will do. `{"title": 42}` is an
    /// error, as in ASP.NET: quoted numbers are accepted for numeric fields,
    /// never the other way round.
    pub fn string(&self, key: &str) -> Result<Patch<String>, FieldError> {
        match self.0.get(key) {
            None => Ok(Patch::Absent),
            Some(Value::Null) => Ok(Patch::Null),
            Some(Value::String(s)) => Ok(Patch::Value(s.clone())),
            Some(_) => Err(type_error(key, "a string")),
        }
    }

    /// An enum field, which ASP.NET reads from its name or its number:
    /// returns the text of either.
    pub fn enum_text(&self, key: &str) -> Result<Patch<String>, FieldError> {
        match self.0.get(key) {
            Some(Value::Number(n)) => Ok(Patch::Value(n.to_string())),
            _ => self.string(key).map_err(|_| type_error(key, "a name or a number")),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Patch<bool>, FieldError> {
        match self.0.get(key) {
            None => Ok(Patch::Absent),
            Some(Value::Null) => Ok(Patch::Null),
            Some(Value::Bool(b)) => Ok(Patch::Value(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Patch::Value(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Patch::Value(false)),
            Some(_) => Err(type_error(key, "true or false")),
        }
    }

    pub fn int(&self, key: &str) -> Result<Patch<i64>, FieldError> {
        match self.0.get(key) {
            None => Ok(Patch::Absent),
            Some(Value::Null) => Ok(Patch::Null),
            Some(Value::Number(n)) => n.as_i64().map(Patch::Value).ok_or_else(|| type_error(key, "an integer")),
            Some(Value::String(s)) => s.trim().parse().map(Patch::Value).map_err(|_| type_error(key, "an integer")),
            Some(_) => Err(type_error(key, "an integer")),
        }
    }

    /// A string that must be present and non-empty (C# `required`).
    pub fn required_string(&self, key: &str) -> Result<String, FieldError> {
        match self.string(key)? {
            Patch::Value(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(FieldError(format!("{key} is required"))),
        }
    }
}

fn type_error(key: &str, want: &str) -> FieldError {
    FieldError(format!("The JSON value of '{key}' must be {want}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_case_insensitive_and_numbers_may_be_quoted() {
        let f = Fields::from_value(json!({"DenyDownload": "true", "Access": "2", "Title": null})).unwrap();
        assert_eq!(f.bool("denydownload").unwrap(), Patch::Value(true));
        assert_eq!(f.int("access").unwrap(), Patch::Value(2));
        assert_eq!(f.string("title").unwrap(), Patch::Null);
        assert_eq!(f.string("password").unwrap(), Patch::Absent);
    }

    #[test]
    fn wrong_types_are_errors() {
        let f = Fields::from_value(json!({"internal": 1, "title": [1]})).unwrap();
        assert!(f.bool("internal").is_err());
        assert!(f.string("title").is_err());
        let f = Fields::from_value(json!({"title": 42, "password": 12345678, "type": 2})).unwrap();
        assert!(f.string("title").is_err());
        assert!(f.required_string("title").is_err());
        assert!(f.string("password").is_err());
        assert_eq!(f.enum_text("type").unwrap(), Patch::Value("2".into()));
        assert!(Fields::from_value(json!([1])).is_err());
        assert!(Fields::from_slice(b"{not json").is_err());
        assert!(Fields::from_slice(b"").is_ok());
    }
}
