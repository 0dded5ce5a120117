//! Zips of folder trees, built while they are sent: entries are stored (no
//! compression: most shared files are compressed already, and storing keeps
//! the CPU cost at a copy), each file's bytes stream from the blob store
//! through a bounded pipe, and nothing is written to disk. Memory per zip is
//! the pipe, one blob chunk and the central directory (about 100 bytes per
//! entry).

use std::collections::{HashMap, HashSet};

use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, ZipDateTime, ZipDateTimeBuilder, ZipEntryBuilder};
use axum::body::Body;
use futures::{AsyncWriteExt, StreamExt};
use spacelinks_core::{File, Folder};

use crate::app::AppState;

/// The pipe between the zip writer and the response body.
const PIPE_BYTES: usize = 64 * 1024;

/// One entry: a directory (`file` is `None`, `path` ends with `/`) or a file.
#[derive(Debug, Clone)]
pub struct ZipItem {
    pub path: String,
    pub updated: i64,
    pub file: Option<File>,
}

/// A title as one path segment: no separators, no `.`/`..`, never empty.
pub fn segment(title: &str) -> String {
    let s: String = title.chars().map(|c| if matches!(c, '/' | '\\') || c.is_control() { '_' } else { c }).collect();
    match s.trim() {
        "" | "." | ".." => "_".to_string(),
        t => t.to_string(),
    }
}

/// `name (1).ext`, `name (2).ext`, … for a name already used in its folder,
/// as DocSpace numbers duplicates.
pub fn unique(taken: &mut HashSet<String>, dir: &str, name: &str) -> String {
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let mut candidate = name.to_string();
    let mut n = 1;
    while !taken.insert(format!("{dir}{}", candidate.to_lowercase())) {
        candidate = format!("{stem} ({n}){ext}");
        n += 1;
    }
    candidate
}

/// The entries of `root`'s tree under `prefix` (empty: at the archive's
/// root; else `"Title/"`), directories included so empty ones survive.
/// `folders` are every folder below the root, `files` every file in it or
/// below, as `Store::folder_tree` returns them.
pub fn tree_items(
    root: &Folder,
    prefix: &str,
    folders: &[Folder],
    files: &[File],
    taken: &mut HashSet<String>,
) -> Vec<ZipItem> {
    let by_id: HashMap<i64, &Folder> = folders.iter().map(|f| (f.id, f)).collect();
    let mut paths: HashMap<i64, String> = HashMap::from([(root.id, prefix.to_string())]);
    let mut items = Vec::new();
    if !prefix.is_empty() {
        items.push(ZipItem { path: prefix.to_string(), updated: root.updated, file: None });
    }
    // Parents before children: resolve each folder's path by walking up.
    fn path_of(
        id: i64,
        by_id: &HashMap<i64, &Folder>,
        paths: &mut HashMap<i64, String>,
        taken: &mut HashSet<String>,
        items: &mut Vec<ZipItem>,
    ) -> Option<String> {
        if let Some(p) = paths.get(&id) {
            return Some(p.clone());
        }
        let folder = by_id.get(&id)?;
        let parent = path_of(folder.parent_id?, by_id, paths, taken, items)?;
        let name = unique(taken, &parent, &segment(&folder.title));
        let path = format!("{parent}{name}/");
        items.push(ZipItem { path: path.clone(), updated: folder.updated, file: None });
        paths.insert(id, path.clone());
        Some(path)
    }
    for f in folders {
        path_of(f.id, &by_id, &mut paths, taken, &mut items);
    }
    for file in files {
        let Some(dir) = path_of(file.folder_id, &by_id, &mut paths, taken, &mut items) else { continue };
        let name = unique(taken, &dir, &segment(&file.title));
        items.push(ZipItem { path: format!("{dir}{name}"), updated: file.updated, file: Some(file.clone()) });
    }
    items
}

/// A single file at the archive's root (a selection of loose files).
pub fn file_item(file: &File, taken: &mut HashSet<String>) -> ZipItem {
    let name = unique(taken, "", &segment(&file.title));
    ZipItem { path: name, updated: file.updated, file: Some(file.clone()) }
}

fn zip_date(micros: i64) -> ZipDateTime {
    let t = time::OffsetDateTime::from_unix_timestamp(micros.div_euclid(1_000_000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    // ZIP dates start in 1980.
    let t = t.max(time::macros::datetime!(1980-01-01 0:00 UTC));
    ZipDateTimeBuilder::new()
        .year(t.year())
        .month(u8::from(t.month()).into())
        .day(t.day().into())
        .hour(t.hour().into())
        .minute(t.minute().into())
        .second(t.second().into())
        .build()
}

/// The archive as a response body. A failure while writing (a blob that
/// cannot be read) ends the body with an error, so the client sees a broken
/// transfer rather than a short zip that looks whole.
pub fn stream(state: AppState, items: Vec<ZipItem>) -> Body {
    let (writer, reader) = tokio::io::duplex(PIPE_BYTES);
    let task = tokio::spawn(async move { write_zip(&state, writer, items).await });
    let outcome = futures::stream::once(async move {
        match task.await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "a zip could not be completed");
                Some(Err(std::io::Error::other("the archive could not be completed")))
            }
            Err(e) => Some(Err(std::io::Error::other(e))),
        }
    })
    .filter_map(futures::future::ready);
    Body::from_stream(tokio_util::io::ReaderStream::new(reader).chain(outcome))
}

async fn write_zip(state: &AppState, writer: tokio::io::DuplexStream, items: Vec<ZipItem>) -> anyhow::Result<()> {
    let mut zip = ZipFileWriter::with_tokio(writer);
    for item in items {
        let entry = ZipEntryBuilder::new(item.path.clone().into(), Compression::Stored)
            .last_modification_date(zip_date(item.updated))
            .unix_permissions(if item.file.is_some() { 0o644 } else { 0o755 });
        let Some(file) = item.file else {
            zip.write_entry_whole(entry, &[]).await?;
            continue;
        };
        let mut out = zip.write_entry_stream(entry).await?;
        if file.size > 0 {
            let mut blob = state.blobs.get(&file.blob_key, None).await?;
            while let Some(chunk) = blob.next().await {
                out.write_all(&chunk?).await?;
            }
        }
        out.close().await?;
    }
    zip.close().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{segment, unique};
    use std::collections::HashSet;

    #[test]
    fn duplicates_are_numbered_before_the_extension() {
        let mut taken = HashSet::new();
        assert_eq!(unique(&mut taken, "", "a.txt"), "a.txt");
        assert_eq!(unique(&mut taken, "", "A.txt"), "A (1).txt");
        assert_eq!(unique(&mut taken, "", "a.txt"), "a (2).txt");
        assert_eq!(unique(&mut taken, "sub/", "a.txt"), "a.txt");
    }

    #[test]
    fn titles_never_escape_their_folder() {
        assert_eq!(segment(".."), "_");
        assert_eq!(segment("a/b"), "a_b");
        assert_eq!(segment("  "), "_");
    }
}
