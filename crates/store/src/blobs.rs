//! File contents through `object_store`: the local file system by default.
//! Uploads are streamed in parts and never held whole in memory.

use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, GetResultPayload, ObjectStore, WriteMultipart};
use spacelinks_core::{Error, Result};

#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
}

/// A byte range of a blob, inclusive start and exclusive end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobRange {
    pub start: u64,
    pub end: u64,
}

impl Blobs {
    /// Opens `file:///abs/path`, or a plain directory path.
    pub fn open(url: &str) -> anyhow::Result<Self> {
        let dir = if let Some(rest) = url.strip_prefix("file://") {
            rest.to_string()
        } else if url.contains("://") {
            anyhow::bail!("unsupported blob URL {url:?}: this build stores blobs on the local file system (file://)");
        } else {
            url.to_string()
        };
        std::fs::create_dir_all(&dir)?;
        Ok(Blobs { store: Arc::new(LocalFileSystem::new_with_prefix(&dir)?) })
    }

    /// Streams `body` into `key`; fails with 413 past `max_bytes`, leaving
    /// nothing behind. Returns the number of bytes written.
    pub async fn put_stream<S, E>(&self, key: &str, body: S, max_bytes: u64) -> Result<u64>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        let path = Path::from(key);
        let upload = self.store.put_multipart(&path).await.map_err(Error::internal)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, UPLOAD_PART);
        let mut body = body;
        let mut total = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(Error::BadRequest(format!("upload interrupted: {e}")));
                }
            };
            total += chunk.len() as u64;
            if total > max_bytes {
                let _ = writer.abort().await;
                return Err(Error::TooLarge(format!("The file exceeds the upload limit of {max_bytes} bytes")));
            }
            writer.wait_for_capacity(2).await.map_err(Error::internal)?;
            writer.write(&chunk);
        }
        writer.finish().await.map_err(Error::internal)?;
        Ok(total)
    }

    pub async fn put_bytes(&self, key: &str, bytes: Bytes) -> Result<()> {
        self.store.put(&Path::from(key), bytes.into()).await.map_err(Error::internal)?;
        Ok(())
    }

    /// A stream of the blob's bytes, whole or in `range`.
    pub async fn get(&self, key: &str, range: Option<BlobRange>) -> Result<BoxStream<'static, Result<Bytes>>> {
        let opts = GetOptions { range: range.map(|r| GetRange::Bounded(r.start..r.end)), ..Default::default() };
        let res = self.store.get_opts(&Path::from(key), opts).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => Error::NotFound("The file content is missing".into()),
            e => Error::internal(e),
        })?;
        match res.payload {
            GetResultPayload::File(file, _) => Ok(file_stream(file, res.range)),
            GetResultPayload::Stream(s) => Ok(s.map_err(Error::internal).boxed()),
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
            Err(e) => Err(Error::internal(e)),
        }
    }
}

/// Where readiness probes write; fsck ignores it.
pub const PROBE_PREFIX: &str = "probe";

/// Upload part size, and at most two parts in flight: the local file system
/// takes parts of any size, and 8 MiB parts four deep kept some 40 MiB
/// resident per upload (an S3 store will need parts of at least 5 MiB).
const UPLOAD_PART: usize = 1024 * 1024;

/// Bytes read from a local file per blocking task. object_store's own stream
/// reads 8 KiB per task, and the hand-offs to the blocking pool held a
/// download to a fraction of what the page cache and the socket can carry.
const FILE_CHUNK: u64 = 256 * 1024;

/// `range` of a local file as a stream of chunks of `FILE_CHUNK` bytes.
fn file_stream(file: std::fs::File, range: std::ops::Range<u64>) -> BoxStream<'static, Result<Bytes>> {
    let end = range.end;
    futures::stream::try_unfold((file, range.start), move |(mut file, pos)| async move {
        if pos >= end {
            return Ok(None);
        }
        let len = (end - pos).min(FILE_CHUNK);
        // Allocated here and freed here (once the socket has it), never on a
        // blocking thread: memory freed across threads lingers in the
        // allocator's per-thread caches of threads that may sit idle.
        let mut buf = Vec::with_capacity(len as usize);
        tokio::task::spawn_blocking(move || {
            use std::io::{Read, Seek, SeekFrom};
            file.seek(SeekFrom::Start(pos))?;
            (&mut file).take(len).read_to_end(&mut buf)?;
            if buf.len() as u64 != len {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the blob is shorter than its record",
                ));
            }
            Ok(Some((Bytes::from(buf), (file, pos + len))))
        })
        .await
        .map_err(Error::internal)?
        .map_err(Error::internal)
    })
    .boxed()
}
