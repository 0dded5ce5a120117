//! The blob store conformance suite: the same checks on the local file
//! system and on an S3-compatible store. The S3 side runs when
//! `SPACELINKS_TEST_S3_URL` (`s3://BUCKET`) and the `AWS_*` variables name
//! one; `scripts/test` starts a real S3 server (s3s-fs) for it and sets
//! `SPACELINKS_TEST_S3_DIR` to that server's data directory, where open
//! multipart uploads are visible (`.upload-<id>.json`, `.upload_id-<id>.part-<n>`).
//! A server that answers unsigned requests (moto) is asked instead, with
//! `SPACELINKS_TEST_S3_UNSIGNED_LIST=1`: ListMultipartUploads under the
//! check's prefix at `AWS_ENDPOINT`. Each check uses a prefix of its own; S3
//! checks run one at a time.

use std::path::PathBuf;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use spacelinks_core::Error;
use spacelinks_store::{BlobRange, Blobs};

const S3_URL_VAR: &str = "SPACELINKS_TEST_S3_URL";
const S3_DIR_VAR: &str = "SPACELINKS_TEST_S3_DIR";
const S3_UNSIGNED_LIST_VAR: &str = "SPACELINKS_TEST_S3_UNSIGNED_LIST";
const MIB: usize = 1024 * 1024;

/// A store under test and where its unfinished uploads would show.
struct Backend {
    blobs: Blobs,
    leftovers: Leftovers,
    _dir: Option<tempfile::TempDir>,
}

enum Leftovers {
    /// The local blob directory: staging files `<key>#<n>`.
    Staging(PathBuf),
    /// The s3s-fs root: `.upload*` files.
    S3sFs(PathBuf),
    /// ListMultipartUploads, unsigned: (host:port, bucket, prefix).
    Listed(String, String, String),
}

impl Backend {
    fn local() -> Backend {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(&format!("file://{}", dir.path().display())).unwrap();
        assert_eq!(blobs.kind(), "file");
        Backend { blobs, leftovers: Leftovers::Staging(dir.path().to_path_buf()), _dir: Some(dir) }
    }

    fn s3(test: &str) -> Option<Backend> {
        let url = match std::env::var(S3_URL_VAR) {
            Ok(u) if !u.trim().is_empty() => u,
            _ => {
                println!("skipped s3::{test}: {S3_URL_VAR} is unset");
                return None;
            }
        };
        let prefix = format!("conformance-{test}-{}", uuid::Uuid::new_v4().simple());
        let leftovers = match std::env::var(S3_DIR_VAR) {
            Ok(dir) if !dir.is_empty() => Leftovers::S3sFs(dir.into()),
            _ if std::env::var(S3_UNSIGNED_LIST_VAR).as_deref() == Ok("1") => {
                let endpoint = std::env::var("AWS_ENDPOINT").expect("AWS_ENDPOINT names the S3 server");
                let host = endpoint.strip_prefix("http://").expect("a plain-http test endpoint").trim_end_matches('/');
                let bucket = url.trim_start_matches("s3://").trim_end_matches('/');
                Leftovers::Listed(host.into(), bucket.into(), prefix.clone())
            }
            _ => panic!("{S3_URL_VAR} is set but neither {S3_DIR_VAR} nor {S3_UNSIGNED_LIST_VAR}=1 says how to see open uploads"),
        };
        let blobs = Blobs::open(&format!("{}/{prefix}", url.trim_end_matches('/'))).unwrap();
        assert_eq!(blobs.kind(), "s3");
        Some(Backend { blobs, leftovers, _dir: None })
    }

    /// Unfinished uploads: staging files locally, open multipart uploads on S3.
    fn leftovers(&self) -> Vec<String> {
        let (root, s3) = match &self.leftovers {
            Leftovers::Staging(dir) => (dir, false),
            Leftovers::S3sFs(dir) => (dir, true),
            Leftovers::Listed(host, bucket, prefix) => return list_uploads(host, bucket, prefix),
        };
        let mut found = Vec::new();
        let mut dirs = vec![root.clone()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let e = e.unwrap();
                let name = e.file_name().to_string_lossy().into_owned();
                if e.file_type().unwrap().is_dir() {
                    if !s3 {
                        dirs.push(e.path());
                    }
                } else if (s3 && name.starts_with(".upload")) || (!s3 && name.contains('#')) {
                    found.push(name);
                }
            }
        }
        found
    }

    /// Waits (bounded) until no unfinished upload is left: an upload whose
    /// request went away is aborted by a task of its own.
    async fn assert_no_leftovers_soon(&self) {
        for _ in 0..100 {
            if self.leftovers().is_empty() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("unfinished uploads left behind: {:?}", self.leftovers());
    }
}

/// The upload ids of ListMultipartUploads under `prefix`, asked unsigned
/// over plain HTTP (a test server that does not check signatures).
fn list_uploads(host: &str, bucket: &str, prefix: &str) -> Vec<String> {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(host).unwrap();
    write!(conn, "GET /{bucket}?uploads&prefix={prefix} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "ListMultipartUploads failed: {answer}");
    assert!(answer.contains("<ListMultipartUploadsResult"), "not a ListMultipartUploads answer: {answer}");
    answer.split("<UploadId>").skip(1).map(|s| s.split('<').next().unwrap_or_default().to_string()).collect()
}

/// S3 checks run one at a time (see the module comment).
static S3_SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

macro_rules! blob_tests {
    ($($check:ident),+ $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    super::$check(&super::Backend::local()).await;
                }
            )+
        }
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let Some(b) = super::Backend::s3(stringify!($check)) else { return };
                    let _one_at_a_time = super::S3_SERIAL.lock().await;
                    super::$check(&b).await;
                    b.assert_no_leftovers_soon().await;
                }
            )+
        }
    };
}

blob_tests!(round_trip_and_ranges, empty_blob, over_the_limit, interrupted_body, dropped_upload, small_objects);

/// Deterministic bytes that differ at every offset that matters.
fn content(len: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_u32;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// `data` as a request body in uneven chunks.
fn body(data: &[u8]) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + Unpin {
    let chunks: Vec<Bytes> = data.chunks(64 * 1024 + 7).map(Bytes::copy_from_slice).collect();
    futures::stream::iter(chunks.into_iter().map(Ok))
}

async fn read(blobs: &Blobs, key: &str, range: Option<BlobRange>) -> Vec<u8> {
    let chunks: Vec<Bytes> = blobs.get(key, range).await.unwrap().try_collect().await.unwrap();
    chunks.concat()
}

async fn assert_absent(blobs: &Blobs, key: &str) {
    match blobs.get(key, None).await {
        Err(Error::NotFound(_)) => {}
        Err(e) => panic!("{key}: expected NotFound, got {e}"),
        Ok(_) => panic!("{key}: an object exists that must not"),
    }
    assert!(!blobs.list().await.unwrap().iter().any(|(k, _)| k == key), "{key} is listed");
}

/// Several parts (5 MiB each on S3), read whole and in ranges across part
/// boundaries, listed with its size, then deleted (twice: idempotent).
async fn round_trip_and_ranges(b: &Backend) {
    let data = content(12 * MIB + 123);
    let key = "files/ab/round-trip";
    assert_eq!(b.blobs.put_stream(key, body(&data), 100 * MIB as u64).await.unwrap(), data.len() as u64);
    assert!(read(&b.blobs, key, None).await == data, "whole content differs");
    let len = data.len() as u64;
    for (start, end) in [(0, 1), (5 * MIB as u64 - 10, 5 * MIB as u64 + 10), (1000, 7 * MIB as u64), (len - 5, len)] {
        let got = read(&b.blobs, key, Some(BlobRange { start, end })).await;
        assert!(got == data[start as usize..end as usize], "range {start}..{end} differs");
    }
    assert_eq!(b.blobs.head_bytes(key, len, 100).await.unwrap(), &data[..100]);
    let listed = b.blobs.list().await.unwrap();
    assert_eq!(listed, vec![(key.to_string(), len)]);
    assert!(b.leftovers().is_empty(), "leftovers after a finished upload: {:?}", b.leftovers());
    b.blobs.delete(key).await.unwrap();
    b.blobs.delete(key).await.unwrap();
    assert_absent(&b.blobs, key).await;
}

async fn empty_blob(b: &Backend) {
    assert_eq!(b.blobs.put_stream("empty", body(&[]), 10).await.unwrap(), 0);
    assert!(read(&b.blobs, "empty", None).await.is_empty());
    assert_eq!(b.blobs.head_bytes("empty", 0, 100).await.unwrap(), Vec::<u8>::new());
    assert_eq!(b.blobs.list().await.unwrap(), vec![("empty".to_string(), 0)]);
}

/// Past the limit: 413, no object, no open upload (parts had been sent).
async fn over_the_limit(b: &Backend) {
    let data = content(13 * MIB);
    match b.blobs.put_stream("too-big", body(&data), 11 * MIB as u64).await {
        Err(Error::TooLarge(_)) => {}
        other => panic!("expected TooLarge, got {:?}", other.map_err(|e| e.to_string())),
    }
    assert_absent(&b.blobs, "too-big").await;
    assert!(b.leftovers().is_empty(), "leftovers after an upload over the limit: {:?}", b.leftovers());
}

/// The client's body fails half-way: 400, no object, no open upload.
async fn interrupted_body(b: &Backend) {
    let data = content(11 * MIB);
    let failing = body(&data).chain(futures::stream::iter([Err(std::io::Error::other("connection reset"))]));
    match b.blobs.put_stream("cut", failing, 100 * MIB as u64).await {
        Err(Error::BadRequest(_)) => {}
        other => panic!("expected BadRequest, got {:?}", other.map_err(|e| e.to_string())),
    }
    assert_absent(&b.blobs, "cut").await;
    assert!(b.leftovers().is_empty(), "leftovers after an interrupted upload: {:?}", b.leftovers());
}

/// The request goes away mid-upload (its future is dropped): the upload is
/// aborted all the same, and no object appears.
async fn dropped_upload(b: &Backend) {
    let data = content(11 * MIB);
    let (sent, mut stalled) = tokio::sync::mpsc::channel::<()>(1);
    // The whole content, then a body that never ends.
    let never_ends = body(&data)
        .chain(futures::stream::once(async move {
            let _ = sent.send(()).await;
            std::future::pending::<Result<Bytes, std::io::Error>>().await
        }))
        .boxed();
    tokio::select! {
        r = b.blobs.put_stream("dropped", never_ends, 100 * MIB as u64) => panic!("the upload ended: {:?}", r.map_err(|e| e.to_string())),
        _ = stalled.recv() => {}
    }
    b.assert_no_leftovers_soon().await;
    assert_absent(&b.blobs, "dropped").await;
}

/// Small writes (readiness probe, put_bytes) and reads of a missing key.
async fn small_objects(b: &Backend) {
    b.blobs.probe().await.unwrap();
    b.blobs.put_bytes("a/b", Bytes::from_static(b"hello")).await.unwrap();
    assert_eq!(read(&b.blobs, "a/b", None).await, b"hello");
    assert_eq!(read(&b.blobs, "a/b", Some(BlobRange { start: 1, end: 4 })).await, b"ell");
    assert_absent(&b.blobs, "missing").await;
    assert_eq!(b.blobs.list().await.unwrap(), vec![("a/b".to_string(), 5)]);
}

/// Blob URLs: `s3://` needs a bucket; other schemes are refused at start
/// with the accepted forms named.
#[test]
fn blob_urls() {
    let err = |url: &str| Blobs::open(url).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err("s3://").contains("names no bucket"), "{}", err("s3://"));
    assert!(err("s3:///prefix").contains("names no bucket"));
    assert!(err("ftp://host/dir").contains("use file:///path or s3://bucket/prefix"));
    assert_eq!(Blobs::open("s3://bucket/some/prefix").unwrap().kind(), "s3");
}
