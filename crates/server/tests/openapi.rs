//! `GET /openapi.json`: every route of the route table is in the document
//! with the same methods (and nothing else is), the document is pinned by a
//! snapshot, and it is served publicly as JSON.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;
use spacelinks_server::openapi::{document, ApiDoc};
use utoipa::OpenApi;

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// `(METHOD, path)` of every route in the router's own table
/// (`routes::routes`), so that a new route cannot be added without this
/// test seeing it.
fn routes_in_table() -> BTreeSet<(String, String)> {
    spacelinks_server::routes::routes().table().iter().map(|r| (r.method.to_string(), r.path.to_string())).collect()
}

fn routes_in_document() -> BTreeSet<(String, String)> {
    let doc: Value = serde_json::from_str(document()).unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_route_is_documented() {
    let table = routes_in_table();
    let documented = routes_in_document();
    assert!(table.len() >= 30, "the route table parser found only {} routes", table.len());
    let missing: Vec<_> = table.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes missing from /openapi.json (add #[utoipa::path] and list them in openapi.rs): {missing:?}"
    );
    let extra: Vec<_> = documented.difference(&table).collect();
    assert!(extra.is_empty(), "/openapi.json documents routes the server does not have: {extra:?}");
}

#[test]
fn every_operation_documents_its_outcomes() {
    let doc: Value = serde_json::from_str(document()).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2') || s.starts_with('3')),
                "{method} {path} has no success response"
            );
            // The auth middleware refuses an API key without the scope on
            // every route, before the handler.
            assert!(responses.contains_key("403"), "{method} {path} does not document 403");
            for (status, r) in responses {
                let content = r.get("content").and_then(Value::as_object);
                // DocSpace sends 401 and 429 with an empty body; the login's
                // 401 and the share page's lockout page are the exceptions.
                let empty = (status == "401" && path != "/api/2.0/authentication")
                    || (status == "429" && path != "/share/password");
                if empty {
                    assert!(content.is_none(), "{method} {path}: DocSpace sends {status} with an empty body");
                }
                if let Some(json) = content.and_then(|c| c.get("application/json")) {
                    assert!(json.get("schema").is_some(), "{method} {path} {status}: JSON without a schema");
                }
            }
        }
    }
}

fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r);
            }
            m.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let doc: Value = serde_json::from_str(document()).unwrap();
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 50);
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(doc["components"]["schemas"].get(name).is_some(), "$ref {r} has no schema");
    }
}

#[test]
fn document_snapshot() {
    let doc: Value = serde_json::from_str(document()).unwrap();
    insta::assert_json_snapshot!("openapi", doc);
}

#[test]
fn envelopes_match_the_wire() {
    let doc = ApiDoc::openapi();
    let schemas = &doc.components.as_ref().unwrap().schemas;
    let json = |name: &str| serde_json::to_value(&schemas[name]).unwrap();
    let error = json("ErrorBody");
    let required: Vec<_> = error["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(required, ["error", "status", "statusCode"]);
    let date = json("ApiDateTime");
    assert_eq!(date["pattern"], r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$");
}

#[tokio::test]
async fn served_publicly_as_json() {
    let s = TestServer::start().await;
    let res = s.send(Req::get("/openapi.json")).await;
    assert_eq!(res.status, 200);
    assert!(res.content_type().starts_with("application/json"), "{}", res.content_type());
    let v = res.json();
    assert_eq!(v["openapi"], "3.1.0");
    assert_eq!(v, serde_json::from_str::<Value>(document()).unwrap());
    // A key with a narrow scope still reads it: it is outside the API.
    let owner = s.owner().await;
    let (key, _) = s.api_key(&owner, &["accounts.self:read"]).await;
    assert_eq!(s.send(Req::get("/openapi.json").auth(&format!("Bearer {key}"))).await.status, 200);
}

#[test]
fn documented_scopes_are_the_servers() {
    let doc: Value = serde_json::from_str(document()).unwrap();
    let scopes = doc["components"]["schemas"]["Scope"]["enum"].as_array().unwrap().to_vec();
    assert_eq!(scopes, spacelinks_server::scope::PERMISSIONS.map(Value::from));
}
