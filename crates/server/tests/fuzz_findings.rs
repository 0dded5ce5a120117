//! Regression tests for what the API fuzzing (`tests/python/test_fuzz.py`,
//! schemathesis against `/openapi.json`) found: each failed before its fix.

mod common;

use common::*;

/// The share page of a text file whose blob cannot be read (a concurrent
/// new version replaced it) answered with a JSON 404 on an HTML route; it
/// is a page without the preview.
#[tokio::test]
async fn share_page_survives_an_unreadable_blob() {
    let s = TestServer::start().await;
    let owner = s.owner().await;
    let id = s.upload_id(&owner, "notes.txt", b"hello").await;
    let file = s.store().file(id).await.unwrap().unwrap();
    s.state.blobs.delete(&file.blob_key).await.unwrap();
    for path in [format!("/doceditor?fileid={id}"), format!("/share/preview/{id}")] {
        let res = s.send(Req::get(&path).auth(&owner)).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text());
        assert!(res.content_type().starts_with("text/html"), "{path}: {}", res.content_type());
        assert!(res.text().contains("notes.txt"));
    }
}
