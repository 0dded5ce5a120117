//! File contents through `object_store`: the local file system by default,
//! or an S3-compatible store (`s3://BUCKET[/PREFIX]`, configured by the usual
//! `AWS_*` variables). Uploads are streamed in parts (S3 multipart uploads)
//! and never held whole in memory or on local disk; downloads and ranges are
//! streamed (ranged GETs on S3).

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::stream::FuturesOrdered;
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, GetResultPayload, MultipartUpload, ObjectStore, PutPayload};
use spacelinks_core::{Error, Result};

#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    /// Upload part size: S3 refuses parts under 5 MiB (but the last).
    part_size: usize,
    /// `file` or `s3`, for logs, fsck and backups.
    kind: &'static str,
}

/// A byte range of a blob, inclusive start and exclusive end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobRange {
    pub start: u64,
    pub end: u64,
}

impl Blobs {
    /// Opens `file:///abs/path`, a plain directory path, or
    /// `s3://BUCKET[/PREFIX]` with endpoint, region, credentials and
    /// addressing style from the `AWS_*` environment variables
    /// (`AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_ALLOW_HTTP`, ...).
    pub fn open(url: &str) -> anyhow::Result<Self> {
        if let Some(rest) = url.strip_prefix("s3://") {
            return Self::open_s3(rest);
        }
        let dir = if let Some(rest) = url.strip_prefix("file://") {
            rest.to_string()
        } else if url.contains("://") {
            anyhow::bail!("unsupported blob URL {url:?}: use file:///path or s3://bucket/prefix");
        } else {
            url.to_string()
        };
        std::fs::create_dir_all(&dir)?;
        Ok(Blobs { store: Arc::new(LocalFileSystem::new_with_prefix(&dir)?), part_size: LOCAL_PART, kind: "file" })
    }

    fn open_s3(rest: &str) -> anyhow::Result<Self> {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            anyhow::bail!("the blob URL s3://{rest} names no bucket: use s3://BUCKET[/PREFIX]");
        }
        let s3 = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket).build()?;
        let prefix = prefix.trim_matches('/');
        let store: Arc<dyn ObjectStore> =
            if prefix.is_empty() { Arc::new(s3) } else { Arc::new(object_store::prefix::PrefixStore::new(s3, prefix)) };
        Ok(Blobs { store, part_size: S3_PART, kind: "s3" })
    }

    /// `file` or `s3`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Every key with its size and age (for fsck).
    pub async fn list_with_age(&self) -> Result<Vec<(String, u64, std::time::Duration)>> {
        let now = std::time::SystemTime::now();
        self.store
            .list(None)
            .map_ok(|m| {
                let modified: std::time::SystemTime = m.last_modified.into();
                (m.location.to_string(), m.size, now.duration_since(modified).unwrap_or_default())
            })
            .try_collect()
            .await
            .map_err(|e| blob_error("list", e))
    }

    /// The blob's size, `None` when it does not exist.
    pub async fn size(&self, key: &str) -> Result<Option<u64>> {
        match self.store.head(&Path::from(key)).await {
            Ok(m) => Ok(Some(m.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(blob_error("head", e)),
        }
    }

    /// Every key in the store with its size (for fsck and backups).
    pub async fn list(&self) -> Result<Vec<(String, u64)>> {
        self.store
            .list(None)
            .map_ok(|m| (m.location.to_string(), m.size))
            .try_collect()
            .await
            .map_err(|e| blob_error("list", e))
    }

    /// Streams `body` into `key`; fails with 413 past `max_bytes`, leaving
    /// nothing behind. Returns the number of bytes written.
    pub async fn put_stream<S, E>(&self, key: &str, body: S, max_bytes: u64) -> Result<u64>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        let mut upload =
            AbortOnDrop(Some(self.store.put_multipart(&Path::from(key)).await.map_err(|e| blob_error("put", e))?));
        let written = write_parts(upload.0.as_mut().expect("just set"), body, self.part_size, max_bytes).await;
        let mut parts = upload.0.take().expect("taken only here");
        if written.is_err() {
            if let Err(e) = parts.abort().await {
                blob_error("abort", e);
            }
        }
        written
    }

    pub async fn put_bytes(&self, key: &str, bytes: Bytes) -> Result<()> {
        self.store.put(&Path::from(key), bytes.into()).await.map_err(|e| blob_error("put", e))?;
        Ok(())
    }

    /// A stream of the blob's bytes, whole or in `range`.
    pub async fn get(&self, key: &str, range: Option<BlobRange>) -> Result<BoxStream<'static, Result<Bytes>>> {
        let opts = GetOptions { range: range.map(|r| GetRange::Bounded(r.start..r.end)), ..Default::default() };
        let res = self.store.get_opts(&Path::from(key), opts).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => Error::NotFound("The file content is missing".into()),
            e => blob_error("get", e),
        })?;
        match res.payload {
            GetResultPayload::File(file, _) => Ok(file_stream(file, res.range)),
            GetResultPayload::Stream(s) => Ok(s.map_err(|e| blob_error("get", e)).boxed()),
        }
    }

    /// Reads up to `limit` bytes from the start (for text previews).
    pub async fn head_bytes(&self, key: &str, size: u64, limit: u64) -> Result<Vec<u8>> {
        let end = size.min(limit);
        if end == 0 {
            return Ok(Vec::new());
        }
        let chunks: Vec<Bytes> = self.get(key, Some(BlobRange { start: 0, end })).await?.try_collect().await?;
        Ok(chunks.concat())
    }

    /// Writes, reads back and deletes a small object under `probe/`: the
    /// readiness check. A key of its own per call, so nodes sharing a store
    /// do not step on each other.
    pub async fn probe(&self) -> Result<()> {
        let key = format!("{PROBE_PREFIX}/{}", uuid::Uuid::new_v4().simple());
        self.put_bytes(&key, Bytes::from_static(b"ok")).await?;
        let read = self.head_bytes(&key, 2, 2).await;
        self.delete(&key).await?;
        match read? {
            b if b == b"ok" => Ok(()),
            _ => Err(Error::internal("the blob store returned other bytes than written")),
        }
    }

    pub async fn delete(&self, key: &str) -> Result<()> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(blob_error("delete", e)),
        }
    }
}

/// Cuts `body` into parts of exactly `part_size` bytes (the last may be
/// shorter; some S3 stores want equal parts), with at most two parts in
/// flight, and completes the upload. The caller aborts it on error.
///
/// Memory: each chunk is copied into the part's own buffer at once rather
/// than kept as a slice of the multipart parser's buffer (a slice kept
/// alive makes the parser allocate a fresh buffer for its next read, and an
/// upload churned through buffers of every size that the allocator then
/// kept: some 30 MiB per 100 MiB upload). The part buffers are reused once
/// their write is done. An upload holds three parts whatever the client
/// sends at once: 3 MiB on the local store, 15 MiB on S3.
async fn write_parts<S, E>(
    upload: &mut Box<dyn MultipartUpload>,
    mut body: S,
    part_size: usize,
    max_bytes: u64,
) -> Result<u64>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Send + Unpin,
    E: std::fmt::Display,
{
    // Each part in flight gives its buffer back when written (unless the
    // store still holds a copy of the handle; then a new one is allocated).
    let mut in_flight: FuturesOrdered<BoxFuture<'static, object_store::Result<Bytes>>> = FuturesOrdered::new();
    let mut spare: Vec<BytesMut> = Vec::new();
    let reuse = |written: Bytes, spare: &mut Vec<BytesMut>| {
        if let Ok(mut buf) = written.try_into_mut() {
            buf.clear();
            if buf.capacity() >= part_size {
                spare.push(buf);
            }
        }
    };
    let (mut part, mut parts_sent, mut total) = (BytesMut::with_capacity(part_size), 0usize, 0u64);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| Error::BadRequest(format!("upload interrupted: {e}")))?;
        let mut chunk: &[u8] = &chunk;
        total += chunk.len() as u64;
        if total > max_bytes {
            return Err(Error::TooLarge(format!("The file exceeds the upload limit of {max_bytes} bytes")));
        }
        while !chunk.is_empty() {
            let take = (part_size - part.len()).min(chunk.len());
            part.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            if part.len() == part_size {
                if in_flight.len() >= 2 {
                    let written = in_flight.next().await.expect("two in flight").map_err(|e| blob_error("put", e))?;
                    reuse(written, &mut spare);
                }
                let next = spare.pop().unwrap_or_else(|| BytesMut::with_capacity(part_size));
                in_flight.push_back(send_part(upload, std::mem::replace(&mut part, next).freeze()));
                parts_sent += 1;
            }
        }
    }
    if !part.is_empty() || parts_sent == 0 {
        in_flight.push_back(send_part(upload, part.freeze()));
    }
    while let Some(done) = in_flight.next().await {
        done.map_err(|e| blob_error("put", e))?;
    }
    upload.complete().await.map_err(|e| blob_error("put", e))?;
    Ok(total)
}

/// Starts writing one part; the future hands the part's buffer back.
fn send_part(upload: &mut Box<dyn MultipartUpload>, part: Bytes) -> BoxFuture<'static, object_store::Result<Bytes>> {
    let put = upload.put_part(PutPayload::from(part.clone()));
    Box::pin(async move { put.await.map(|()| part) })
}

/// A blob store failure: counted for `/metrics`, then an internal error.
fn blob_error(op: &'static str, e: impl std::fmt::Display) -> Error {
    metrics::counter!("spacelinks_blob_errors_total", "op" => op).increment(1);
    Error::internal(e)
}

/// An upload in progress, aborted if its request goes away (the client
/// disconnects, the server shuts down) before it ends: on S3 a multipart
/// upload nobody aborts keeps its parts, unseen but stored.
struct AbortOnDrop(Option<Box<dyn MultipartUpload>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let (Some(mut upload), Ok(rt)) = (self.0.take(), tokio::runtime::Handle::try_current()) {
            rt.spawn(async move {
                if let Err(e) = upload.abort().await {
                    blob_error("abort", e);
                }
            });
        }
    }
}

/// Where readiness probes write; fsck ignores it.
pub const PROBE_PREFIX: &str = "probe";

/// Upload part size, and at most two parts in flight: the local file system
/// takes parts of any size, and 8 MiB parts four deep kept some 40 MiB
/// resident per upload.
const LOCAL_PART: usize = 1024 * 1024;
/// S3's smallest part (but the last): some 15 MiB in flight per upload.
const S3_PART: usize = 5 * 1024 * 1024;

/// Bytes read from a local file per read: one copy from the page cache,
/// the syscall is noise next to it. Larger reads gain nothing measurable and
/// cost memory per download (the server's hyper buffers hold about one
/// chunk queued for the socket while the next is read).
const FILE_CHUNK: u64 = 128 * 1024;

/// `range` of a local file as a stream of chunks of `FILE_CHUNK` bytes,
/// each read straight into the buffer the socket write then takes.
///
/// The reads run on the async side, not on the blocking pool: a blob is a
/// file of ours on local storage, usually in the page cache, and one read
/// costs about what a hand-off to a blocking thread and back costs (two
/// thread wake-ups per chunk held downloads at 0.6× of nginx's sendfile).
/// A read that does go to the disk holds this worker for one chunk's read,
/// as nginx's own workers do without its thread pools. Opening the file
/// (object_store's `get_opts`) still runs on the blocking pool.
fn file_stream(file: std::fs::File, range: std::ops::Range<u64>) -> BoxStream<'static, Result<Bytes>> {
    use std::io::{Read, Seek, SeekFrom};
    let end = range.end;
    let mut file = file;
    if let Err(e) = file.seek(SeekFrom::Start(range.start)) {
        return futures::stream::once(async move { Err(Error::internal(e)) }).boxed();
    }
    futures::stream::try_unfold((file, range.start), move |(mut file, pos)| async move {
        if pos >= end {
            return Ok(None);
        }
        let len = (end - pos).min(FILE_CHUNK);
        // `read_to_end` fills the spare capacity without zeroing it first,
        // and the Vec becomes the Bytes without a copy.
        let mut buf = Vec::with_capacity(len as usize);
        (&mut file).take(len).read_to_end(&mut buf).map_err(Error::internal)?;
        if buf.len() as u64 != len {
            return Err(Error::internal("the blob is shorter than its record"));
        }
        Ok(Some((Bytes::from(buf), (file, pos + len))))
    })
    .boxed()
}
