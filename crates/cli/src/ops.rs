//! Operator commands that work on the storage directly, with the storage
//! flags of `serve`: `admin reset-password`, `backup` and `restore`.
//!
//! A backup directory holds `spacelinks.db` (a consistent SQLite snapshot
//! made by `VACUUM INTO` while servers may be writing), `blobs/<key>` for
//! every blob the snapshot refers to, `secret.key` when the data directory
//! has one (link passwords are encrypted with it), and `manifest.json` with
//! each file's size and SHA-256, written last: a directory without a
//! manifest is not a finished backup. On PostgreSQL the database is backed
//! up with `pg_dump` and the bucket with the store's own tools; the command
//! says how.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, ensure, Context};
use clap::{Args, Subcommand};
use futures::StreamExt;
use serde_json::json;
use sha2::{Digest, Sha256};
use spacelinks_core::Store;
use spacelinks_server::Config;
use spacelinks_store::{fsck, Blobs, Db};
use tokio::io::AsyncWriteExt;

#[derive(Args, Clone)]
pub struct StorageArgs {
    /// Data directory, as for `serve`.
    #[arg(long, env = "SPACELINKS_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// As for `serve`; default: SQLite in the data directory.
    #[arg(long, env = "SPACELINKS_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// As for `serve`; default: `blobs/` in the data directory.
    #[arg(long, env = "SPACELINKS_BLOB_URL")]
    blob_url: Option<String>,
}

impl StorageArgs {
    fn config(&self) -> Config {
        let mut config = Config::with_data_dir(&self.data_dir);
        config.database_url = self.database_url.clone().filter(|s| !s.is_empty());
        config.blob_url = self.blob_url.clone().filter(|s| !s.is_empty());
        config
    }

    fn sqlite_file(&self) -> Option<PathBuf> {
        self.config().database_url.is_none().then(|| self.data_dir.join("spacelinks.db"))
    }

    /// The existing database; never creates an empty one.
    async fn open_existing(&self) -> anyhow::Result<Db> {
        if let Some(file) = self.sqlite_file() {
            ensure!(file.is_file(), "no database at {}: pass --data-dir or --database-url", file.display());
        }
        Db::open(&self.config().database_url()).await
    }
}

#[derive(Subcommand)]
pub enum AdminCmd {
    /// Give a user a new generated password (printed once) and end their sessions.
    ResetPassword {
        /// The user's e-mail address.
        email: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Args)]
pub struct BackupArgs {
    /// An empty or new directory to write the backup into.
    dir: PathBuf,
    #[command(flatten)]
    storage: StorageArgs,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// A directory written by `spacelinks backup`.
    dir: PathBuf,
    #[command(flatten)]
    storage: StorageArgs,
}

pub fn admin(cmd: AdminCmd) -> ExitCode {
    match cmd {
        AdminCmd::ResetPassword { email, storage } => run(reset_password(&email, &storage)),
    }
}

pub fn backup(args: BackupArgs) -> ExitCode {
    run(make_backup(&args.dir, &args.storage))
}

pub fn restore(args: RestoreArgs) -> ExitCode {
    run(restore_backup(&args.dir, &args.storage))
}

/// Exit status 0 on success, 1 on failure, 2 when the command does not
/// apply (a backup on PostgreSQL).
fn run(fut: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("spacelinks: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(fut) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<NotHere>() => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("spacelinks: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Debug)]
struct NotHere(String);
impl std::fmt::Display for NotHere {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for NotHere {}

const POSTGRES_BACKUP: &str = "\
spacelinks backup makes SQLite snapshots; this installation runs on PostgreSQL. Back it up with
PostgreSQL's and the object store's own tools, database first:
  pg_dump --format=custom --file=spacelinks.dump \"$SPACELINKS_DATABASE_URL\"
  # then copy the blobs, e.g. for s3://BUCKET/PREFIX:
  aws s3 sync s3://BUCKET/PREFIX ./blobs        (or: rclone sync, mc mirror)
  # and keep SPACELINKS_SECRET_KEY with them: link passwords are encrypted with it.
Blobs are never changed once written, so a copy made after the dump holds every blob the dump refers
to, unless a file was deleted in between. Restore with pg_restore --clean, then copy the blobs back.";

async fn reset_password(email: &str, storage: &StorageArgs) -> anyhow::Result<()> {
    let db = storage.open_existing().await?;
    let Some(user) = db.user_by_email(email).await? else { bail!("no user with the e-mail address {email}") };
    let password = spacelinks_core::crypto::new_password(16);
    let pw = password.clone();
    let hash = tokio::task::spawn_blocking(move || spacelinks_core::crypto::hash_account_password(&pw)).await??;
    // No session is kept: every sign-in of the user ends.
    db.set_user_password(&user.id, &hash, "").await?;
    println!("New password for {email}: {password}");
    println!("(shown only once; every session of this user was signed out)");
    Ok(())
}

const MANIFEST: &str = "manifest.json";
const DB_FILE: &str = "spacelinks.db";
const SECRET_FILE: &str = "secret.key";

async fn make_backup(dir: &Path, storage: &StorageArgs) -> anyhow::Result<()> {
    let Some(sqlite) = storage.sqlite_file() else { return Err(NotHere(POSTGRES_BACKUP.into()).into()) };
    let db = storage.open_existing().await?;
    if dir.exists() {
        ensure!(dir.read_dir()?.next().is_none(), "{} is not empty", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dir = std::path::absolute(dir)?;

    // One transaction's view of the whole database, taken while servers write.
    let snapshot = dir.join(DB_FILE);
    let target = snapshot.to_str().context("the backup path is not UTF-8")?.replace('\'', "''");
    sqlx::query(&format!("VACUUM INTO '{target}'")).execute(db.pool()).await.context("VACUUM INTO")?;
    db.pool().close().await;
    let snap = Db::open_sqlite_snapshot(&snapshot).await?;
    let keys = fsck::referenced_blob_keys(&snap).await?;
    snap.pool().close().await;

    // Blobs are never changed once written: those the snapshot refers to
    // are copied as they are now. One deleted since (its file was deleted
    // after the snapshot) makes the backup incomplete, so it fails.
    let blobs = Blobs::open(&storage.config().blob_url())?;
    let mut files = BTreeMap::new();
    files.insert(DB_FILE.to_string(), hash_file(&snapshot).await?);
    for key in &keys {
        let rel = format!("blobs/{key}");
        let path = dir.join(&rel);
        ensure!(!key.split('/').any(|p| p == ".." || p.is_empty()), "unexpected blob key {key:?}");
        std::fs::create_dir_all(path.parent().expect("under dir"))?;
        let mut out = tokio::fs::File::create(&path).await?;
        let mut content = blobs.get(key, None).await.with_context(|| {
            format!("blob {key} is gone (its file was deleted during the backup?): run the backup again")
        })?;
        let (mut size, mut sha) = (0u64, Sha256::new());
        while let Some(chunk) = content.next().await {
            let chunk = chunk?;
            size += chunk.len() as u64;
            sha.update(&chunk);
            out.write_all(&chunk).await?;
        }
        out.sync_all().await?;
        files.insert(rel, (size, hex::encode(sha.finalize())));
    }
    let secret = sqlite.with_file_name(SECRET_FILE);
    if secret.is_file() {
        std::fs::copy(&secret, dir.join(SECRET_FILE))?;
        files.insert(SECRET_FILE.to_string(), hash_file(&dir.join(SECRET_FILE)).await?);
    }
    let entries: Vec<_> =
        files.iter().map(|(path, (size, sha))| json!({"path": path, "size": size, "sha256": sha})).collect();
    let manifest = json!({
        "format": 1,
        "created": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?,
        "database": "sqlite",
        "blobs": keys.len(),
        "files": entries,
    });
    let tmp = dir.join(".manifest.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&manifest)?)?;
    std::fs::rename(&tmp, dir.join(MANIFEST))?;
    let total: u64 = files.values().map(|(s, _)| s).sum();
    println!("Backed up the database and {} blobs ({total} bytes) to {}", keys.len(), dir.display());
    Ok(())
}

async fn hash_file(path: &Path) -> anyhow::Result<(u64, String)> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut f = std::fs::File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut sha = Sha256::new();
        let size = std::io::copy(&mut f, &mut sha)?;
        Ok((size, hex::encode(sha.finalize())))
    })
    .await?
}

/// Checks every file against the manifest, then puts the blobs into the
/// configured blob store, the secret and, last, the database into the data
/// directory: an interrupted restore leaves no database behind.
async fn restore_backup(dir: &Path, storage: &StorageArgs) -> anyhow::Result<()> {
    let Some(sqlite) = storage.sqlite_file() else {
        return Err(NotHere(
            "spacelinks restore writes a SQLite database; on PostgreSQL use pg_restore (see `spacelinks backup`)"
                .into(),
        )
        .into());
    };
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join(MANIFEST)).with_context(|| format!("no {MANIFEST} in {}", dir.display()))?,
    )?;
    ensure!(manifest["format"] == 1 && manifest["database"] == "sqlite", "not a spacelinks SQLite backup");
    let files = manifest["files"].as_array().context("the manifest lists no files")?;
    let mut bad = Vec::new();
    for f in files {
        let path = f["path"].as_str().context("a manifest entry without a path")?;
        ensure!(!path.split('/').any(|p| p == ".." || p.is_empty()), "unexpected path {path:?} in the manifest");
        match hash_file(&dir.join(path)).await {
            Ok((size, sha)) if Some(size) == f["size"].as_u64() && Some(sha.as_str()) == f["sha256"].as_str() => {}
            Ok(_) => bad.push(format!("{path}: size or SHA-256 differs from the manifest")),
            Err(e) => bad.push(format!("{path}: {e:#}")),
        }
    }
    ensure!(bad.is_empty(), "the backup is damaged, nothing restored:\n  {}", bad.join("\n  "));
    ensure!(
        !sqlite.exists(),
        "{} exists: restore into an empty data directory (move the old database away first)",
        sqlite.display()
    );
    std::fs::create_dir_all(&storage.data_dir)?;

    let secret = sqlite.with_file_name(SECRET_FILE);
    if dir.join(SECRET_FILE).is_file() {
        let saved = std::fs::read(dir.join(SECRET_FILE))?;
        match std::fs::read(&secret) {
            Ok(current) => ensure!(
                current == saved,
                "{} holds another secret than the backup's: link passwords would not decrypt",
                secret.display()
            ),
            Err(_) => write_private(&secret, &saved)?,
        }
    }
    let blobs = Blobs::open(&storage.config().blob_url())?;
    let mut count = 0;
    for f in files {
        let path = f["path"].as_str().unwrap_or_default();
        let Some(key) = path.strip_prefix("blobs/") else { continue };
        let file = tokio::fs::File::open(dir.join(path)).await?;
        blobs.put_stream(key, tokio_util::io::ReaderStream::new(file), u64::MAX).await?;
        count += 1;
    }
    let tmp = sqlite.with_file_name(".spacelinks.db.restore");
    std::fs::copy(dir.join(DB_FILE), &tmp)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, &sqlite)?;
    println!("Restored the database and {count} blobs from {} into {}", dir.display(), storage.data_dir.display());
    Ok(())
}

fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(contents)?;
    Ok(())
}
