//! `spacelinks fsck`: the database and the blob store checked against each
//! other. Reports blobs no row refers to (an upload whose row insert failed
//! or never came: a crash, a dropped connection), rows whose blob is missing
//! or has another size, and staging files left by interrupted writes; with
//! `repair`, removes orphans and staging files older than a grace period,
//! so it is safe to run while servers are writing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::json;
use sqlx::Row;

use spacelinks_core::Store;

use crate::Db;

/// Every table with a `blob_key` column refers to blobs (files today; kept
/// versions, say, tomorrow): found from the schema rather than listed, so
/// that a new table's blobs are never taken for orphans by `--repair`.
async fn blob_reference_queries(db: &Db) -> anyhow::Result<Vec<(String, String)>> {
    let sql = if db.backend() == "sqlite" {
        "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' ORDER BY m.name"
    } else {
        "SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c FROM information_schema.columns \
         WHERE table_schema = current_schema() ORDER BY table_name"
    };
    let mut columns: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for row in sqlx::query(sql).fetch_all(db.pool()).await? {
        columns.entry(row.try_get("t")?).or_default().push(row.try_get("c")?);
    }
    Ok(columns
        .into_iter()
        .filter(|(_, cols)| cols.iter().any(|c| c == "blob_key"))
        .map(|(table, cols)| {
            let has = |c: &str| cols.iter().any(|x| x == c);
            let id = if has("id") { "CAST(id AS TEXT)" } else { "''" };
            let size = if has("size") { "CAST(size AS BIGINT)" } else { "CAST(-1 AS BIGINT)" };
            let sql = format!("SELECT {id} AS id, blob_key, {size} AS size FROM {table} WHERE blob_key IS NOT NULL");
            (table, sql)
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `orphan`, `staging`, `missing` or `wrong_size`.
    pub kind: &'static str,
    /// The blob key, relative to the blob store's root.
    pub key: String,
    /// `files 42` (table and id) for row findings.
    pub row: Option<String>,
    pub detail: String,
    /// Removed by `--repair`.
    pub repaired: bool,
}

#[derive(Debug, Default)]
pub struct Report {
    pub rows: usize,
    pub blobs: usize,
    pub findings: Vec<Finding>,
}

impl Report {
    /// Findings that still need attention (everything not repaired).
    pub fn open(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| !f.repaired)
    }

    pub fn to_json(&self) -> serde_json::Value {
        let findings: Vec<_> = self
            .findings
            .iter()
            .map(|f| json!({"kind": f.kind, "key": f.key, "row": f.row, "detail": f.detail, "repaired": f.repaired}))
            .collect();
        json!({"rows": self.rows, "blobs": self.blobs, "findings": findings, "clean": self.open().next().is_none()})
    }
}

/// Every blob key the database refers to (for backups).
pub async fn referenced_blob_keys(db: &Db) -> anyhow::Result<std::collections::BTreeSet<String>> {
    let mut keys = std::collections::BTreeSet::new();
    for (_, sql) in blob_reference_queries(db).await? {
        for row in sqlx::query(&sql).fetch_all(db.pool()).await? {
            keys.insert(row.try_get::<String, _>("blob_key")?);
        }
    }
    Ok(keys)
}

/// The directory of a `file://` blob URL (or a plain path); `None` for
/// `s3://`, which fsck reads through the object store.
pub fn local_blob_root(url: &str) -> anyhow::Result<Option<PathBuf>> {
    if let Some(rest) = url.strip_prefix("file://") {
        Ok(Some(PathBuf::from(rest)))
    } else if url.starts_with("s3://") {
        Ok(None)
    } else if url.contains("://") {
        anyhow::bail!("fsck checks file:// and s3:// blob stores, not {url:?}")
    } else {
        Ok(Some(PathBuf::from(url)))
    }
}

/// object_store's local store writes `<key>#<n>` and renames it into place.
fn is_staging(name: &str) -> bool {
    name.rsplit_once('#').is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

struct BlobFile {
    size: u64,
    age: Duration,
    /// On a local store; `None` on S3.
    path: Option<PathBuf>,
}

/// Where fsck looks for blobs: a local directory, or an object store (S3).
pub enum BlobRoot<'a> {
    Dir(&'a Path),
    Store(&'a crate::Blobs),
}

fn walk(root: &Path, dir: &Path, now: SystemTime, out: &mut HashMap<String, BlobFile>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let meta = entry.metadata()?;
        if meta.is_dir() {
            walk(root, &path, now, out)?;
            continue;
        }
        let key = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
        let age = meta.modified().ok().and_then(|m| now.duration_since(m).ok()).unwrap_or_default();
        out.insert(key, BlobFile { size: meta.len(), age, path: Some(path) });
    }
    Ok(())
}

/// Checks the database against the blob directory; removes orphans and
/// staging files older than `grace` when `repair` is set.
pub async fn check(db: &Db, blob_root: &Path, grace: Duration, repair: bool) -> anyhow::Result<Report> {
    check_in(db, BlobRoot::Dir(blob_root), grace, repair).await
}

/// `check` on a local directory or an object store. On S3 there are no
/// staging files (an unfinished multipart upload is no object).
pub async fn check_in(db: &Db, root: BlobRoot<'_>, grace: Duration, repair: bool) -> anyhow::Result<Report> {
    // Blobs are listed before rows: a blob written and referenced in
    // between is then seen as referenced, never as an orphan.
    let mut files = HashMap::new();
    match root {
        BlobRoot::Dir(dir) => walk(dir, dir, SystemTime::now(), &mut files)?,
        BlobRoot::Store(blobs) => {
            for (key, size, age) in blobs.list_with_age().await? {
                files.insert(key, BlobFile { size, age, path: None });
            }
        }
    }
    let mut referenced: HashMap<String, (String, i64)> = HashMap::new();
    for (table, sql) in blob_reference_queries(db).await? {
        for row in sqlx::query(&sql).fetch_all(db.pool()).await? {
            let id: String = row.try_get("id")?;
            let key: String = row.try_get("blob_key")?;
            let size: i64 = row.try_get("size")?;
            referenced.insert(key, (format!("{table} {id}"), size));
        }
    }
    // An empty or wrong database would make every blob an orphan.
    if repair && referenced.is_empty() && !files.is_empty() {
        anyhow::bail!(
            "the database refers to no blob while the blob store holds {}: is this the right database? Not repairing",
            files.len()
        );
    }
    let mut report = Report { rows: referenced.len(), blobs: files.len(), findings: Vec::new() };
    // Rows first: a missing blob or a wrong size is data loss to report.
    let mut keys: Vec<_> = referenced.keys().cloned().collect();
    keys.sort();
    for key in keys {
        let (row, size) = &referenced[&key];
        // A blob written after the listing (its row read afterwards) is
        // looked at again rather than reported missing.
        let blob_size = match (files.get(&key), &root) {
            (Some(f), _) => Some(f.size),
            (None, BlobRoot::Dir(dir)) => {
                std::fs::metadata(dir.join(&key)).ok().filter(|m| m.is_file()).map(|m| m.len())
            }
            (None, BlobRoot::Store(blobs)) => blobs.size(&key).await?,
        };
        let (kind, detail) = match blob_size {
            None => ("missing", "the row's blob does not exist".to_string()),
            Some(n) if *size >= 0 && n as i64 != *size => {
                ("wrong_size", format!("the row records {size} bytes, the blob has {n}"))
            }
            Some(_) => continue,
        };
        report.findings.push(Finding { kind, key, row: Some(row.clone()), detail, repaired: false });
    }
    let mut keys: Vec<_> = files.keys().filter(|k| !referenced.contains_key(*k)).cloned().collect();
    keys.sort();
    for key in keys {
        let f = &files[&key];
        let kind = if is_staging(&key) { "staging" } else { "orphan" };
        let old = f.age >= grace;
        let repaired = repair
            && old
            && match (&f.path, &root) {
                (Some(path), _) => remove(path),
                (None, BlobRoot::Store(blobs)) => blobs.delete(&key).await.is_ok(),
                (None, BlobRoot::Dir(_)) => false,
            };
        let detail = format!(
            "{} bytes, {}s old{}",
            f.size,
            f.age.as_secs(),
            if old { "" } else { " (within the grace period: may belong to a write in progress)" }
        );
        report.findings.push(Finding { kind, key, row: None, detail, repaired });
    }
    Ok(report)
}

fn remove(path: &Path) -> bool {
    match std::fs::remove_file(path) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "fsck cannot remove a file");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_names_are_object_stores() {
        assert!(is_staging("files/abc#1"));
        assert!(is_staging("files/abc#12345"));
        assert!(!is_staging("files/abc"));
        assert!(!is_staging("files/abc#"));
        assert!(!is_staging("files/abc#x1"));
    }
}
