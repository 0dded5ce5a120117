//! The success envelope and the error body, built in exactly one place.

use serde::Serialize;
use serde_json::Value;

/// `{"response"?, "count", "total"?, "links":[{href, action}], "status":0, "statusCode"}`.
/// `response` is omitted when there is none (DocSpace's `WhenWritingNull`).
#[derive(Debug, Serialize)]
pub struct Envelope {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
    pub count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    pub links: [Link; 1],
    pub status: i64,
    #[serde(rename = "statusCode")]
    pub status_code: u16,
}

#[derive(Debug, Serialize)]
pub struct Link {
    pub href: String,
    pub action: String,
}

impl Envelope {
    /// `count` follows DocSpace: list length for arrays, 0 for no response,
    /// 1 for any single object or scalar.
    pub fn new(response: Option<Value>, href: String, action: &str, status_code: u16) -> Self {
        let count = match &response {
            None => 0,
            Some(Value::Array(items)) => items.len() as i64,
            Some(_) => 1,
        };
        Envelope {
            response,
            count,
            total: None,
            links: [Link { href, action: action.to_string() }],
            status: 0,
            status_code,
        }
    }
}

/// `{"error":{"message","type","stack","hresult"},"status":1,"statusCode"}`.
/// DocSpace writes error bodies with nulls kept, so `stack` is always present.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
    pub status: i64,
    #[serde(rename = "statusCode")]
    pub status_code: u16,
}

#[derive(Debug, Serialize)]
pub struct ErrorDetail {
    pub message: String,
    #[serde(rename = "type")]
    pub kind: Option<&'static str>,
    pub stack: Option<String>,
    pub hresult: i64,
}

impl ErrorBody {
    pub fn new(status_code: u16, message: impl Into<String>) -> Self {
        // The .NET exception type and HRESULT a DocSpace client would see for
        // this status; scripts sometimes log them, none branch on them.
        let (kind, hresult) = match status_code {
            400 => (Some("System.ArgumentException"), -2147024809),
            403 => (Some("System.Security.SecurityException"), -2146233078),
            404 => (Some("ASC.Common.Web.ItemNotFoundException"), -2146233088),
            _ => (None, 0),
        };
        ErrorBody {
            error: ErrorDetail { message: message.into(), kind, stack: None, hresult },
            status: 1,
            status_code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_exact_json() {
        let e = Envelope::new(Some(json!({"a": 1})), "http://h/x".into(), "GET", 200);
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"response":{"a":1},"count":1,"links":[{"href":"http://h/x","action":"GET"}],"status":0,"statusCode":200}"#
        );
        let mut e = Envelope::new(Some(json!([1, 2])), "http://h/l".into(), "GET", 200);
        e.total = Some(5);
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"response":[1,2],"count":2,"total":5,"links":[{"href":"http://h/l","action":"GET"}],"status":0,"statusCode":200}"#
        );
        let e = Envelope::new(None, "http://h/p".into(), "PUT", 200);
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"count":0,"links":[{"href":"http://h/p","action":"PUT"}],"status":0,"statusCode":200}"#
        );
    }

    #[test]
    fn error_exact_json() {
        let e = ErrorBody::new(404, "The required file was not found");
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"error":{"message":"The required file was not found","type":"ASC.Common.Web.ItemNotFoundException","stack":null,"hresult":-2146233088},"status":1,"statusCode":404}"#
        );
    }
}
