//! The success envelope and the error body, built in exactly one place.

use serde::Serialize;
use serde_json::Value;

/// `{"response"?, "count", "total"?, "links":[{href, action}], "status":0, "statusCode"}`.
/// `response` is omitted when there is none (DocSpace's `WhenWritingNull`).
/// The server writes it with `write_envelope`, in one pass.
#[derive(Debug, Serialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(description = "DocSpace's success envelope: `count` is the list length (1 for one object, 0 without \
                          `response`), `total` the whole of a paged list, `links` this request, `status` 0.")
)]
pub struct Envelope<R = Value> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<R>,
    pub count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Link>))]
    pub links: [Link; 1],
    pub status: i64,
    #[serde(rename = "statusCode")]
    pub status_code: u16,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// Writes the envelope of `response` in one pass: the same bytes as
/// serialising `Envelope::new(Some(serde_json::to_value(response)?), ..)`
/// with `total`, without building a `Value` tree or copying the response
/// into an envelope afterwards (every reply goes through here). `count`
/// needs the length of an array response, read back from what was written.
pub fn write_envelope<T: Serialize + ?Sized>(
    response: Option<&T>,
    total: Option<i64>,
    href: &str,
    action: &str,
    status_code: u16,
) -> serde_json::Result<Vec<u8>> {
    use std::io::Write;
    let mut out = Vec::with_capacity(512);
    let count = match response {
        None => {
            out.push(b'{');
            0
        }
        Some(r) => {
            out.extend_from_slice(b"{\"response\":");
            let start = out.len();
            serde_json::to_writer(&mut out, r)?;
            let count = match out[start] {
                b'[' => serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(&out[start..])?.len() as i64,
                _ => 1,
            };
            out.push(b',');
            count
        }
    };
    let io = serde_json::Error::io;
    write!(out, "\"count\":{count}").map_err(io)?;
    if let Some(total) = total {
        write!(out, ",\"total\":{total}").map_err(io)?;
    }
    out.extend_from_slice(b",\"links\":[{\"href\":");
    serde_json::to_writer(&mut out, href)?;
    out.extend_from_slice(b",\"action\":");
    serde_json::to_writer(&mut out, action)?;
    write!(out, "}}],\"status\":0,\"statusCode\":{status_code}}}").map_err(io)?;
    Ok(out)
}

/// `{"error":{"message","type","stack","hresult"},"status":1,"statusCode"}`.
/// DocSpace writes error bodies with nulls kept, so `stack` is always present.
#[derive(Debug, Serialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(description = "DocSpace's error envelope: `status` 1, `statusCode` the HTTP status, `stack` always null.")
)]
pub struct ErrorBody {
    pub error: ErrorDetail,
    pub status: i64,
    #[serde(rename = "statusCode")]
    pub status_code: u16,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub message: String,
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
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
        ErrorBody { error: ErrorDetail { message: message.into(), kind, stack: None, hresult }, status: 1, status_code }
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
    fn written_envelope_is_the_value_envelope() {
        #[derive(Serialize)]
        struct Dto {
            b: i64,
            a: Option<&'static str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            c: Option<i64>,
        }
        let same = |v: &dyn erased::Ser| {
            let mut value = Envelope::new(Some(v.value()), "http://h/x?a=\"1\"".into(), "GET", 200);
            let written = write_envelope(Some(&v.raw()), None, "http://h/x?a=\"1\"", "GET", 200).unwrap();
            assert_eq!(String::from_utf8(written).unwrap(), serde_json::to_string(&value).unwrap());
            value.total = Some(7);
            let written = write_envelope(Some(&v.raw()), Some(7), "http://h/x?a=\"1\"", "GET", 200).unwrap();
            assert_eq!(String::from_utf8(written).unwrap(), serde_json::to_string(&value).unwrap());
        };
        same(&Dto { b: 2, a: None, c: None });
        same(&vec![Dto { b: 1, a: Some("x\"y"), c: Some(3) }, Dto { b: 0, a: None, c: None }]);
        same(&Vec::<Dto>::new());
        same(&());
        same(&"text");
        let empty = Envelope::new(None, "http://h/p".into(), "PUT", 200);
        let written = write_envelope::<()>(None, None, "http://h/p", "PUT", 200).unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), serde_json::to_string(&empty).unwrap());
    }

    mod erased {
        use serde_json::value::RawValue;
        use serde_json::Value;

        pub trait Ser {
            fn value(&self) -> Value;
            fn raw(&self) -> Box<RawValue>;
        }

        impl<T: serde::Serialize> Ser for T {
            fn value(&self) -> Value {
                serde_json::to_value(self).unwrap()
            }
            fn raw(&self) -> Box<RawValue> {
                serde_json::value::to_raw_value(self).unwrap()
            }
        }
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
