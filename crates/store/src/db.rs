use std::sync::Arc;

use async_trait::async_trait;
use spacelinks_core::lockout::{CounterHit, Limit};
use spacelinks_core::{
    ApiKey, AuditEntry, Entry, EntryMove, Error, File, FileOperation, FileVersion, Folder, Group, Link, LinkChangeFn,
    LinkEvent, LinkEventCounts, LinkInsert, LinkWrite, NewFile, NewUser, NewVersion, NewWebhookLog, Purged, Result,
    Store, User, WebhookAttempt, WebhookConfig, WebhookLog, WebhookLogQuery,
};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

use crate::rows;

/// The database, SQLite or PostgreSQL.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: &'static str,
    /// SQLite only: write transactions take turns here, in arrival order.
    /// SQLite has one writer; without the turn, a transaction that finds
    /// the write lock taken sleeps in SQLite's busy handler (1, 2, 5, 10 ms
    /// and longer) however soon the lock frees, and holds its pool
    /// connection meanwhile.
    write_turn: Option<Arc<tokio::sync::Mutex<()>>>,
}

/// A write transaction, holding its turn (SQLite) until it ends.
struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    async fn commit(self) -> Result<()> {
        self.tx.commit().await.map_err(db_err)
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }
}

fn db_err(e: sqlx::Error) -> Error {
    // PostgreSQL refuses NUL in text (SQLSTATE 22021) wherever it comes
    // from (a title, an e-mail, a short code in a URL): bad input, not a 500.
    if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("22021") {
        return Error::BadRequest("Text must not contain NUL characters".into());
    }
    Error::Internal(format!("database: {e}"))
}

impl Db {
    /// Opens the database at `url` (`sqlite://...` or `postgres://...`) and
    /// applies the embedded migrations of that backend.
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            "postgres"
        } else if url.starts_with("sqlite:") {
            "sqlite"
        } else {
            anyhow::bail!("unsupported database URL: expected sqlite:// or postgres://");
        };
        let is_sqlite = backend == "sqlite";
        let pool = AnyPoolOptions::new()
            .max_connections(if is_sqlite { 8 } else { 16 })
            // sqlx pings every connection on its way back into the pool
            // already; pinging it again on the way out doubled the round
            // trips of each query (a thread hop on SQLite, a network round
            // trip on PostgreSQL) for nothing.
            .test_before_acquire(false)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if is_sqlite {
                        // WAL lets readers run beside the single writer;
                        // busy_timeout makes writers queue instead of failing.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        // 512 KiB of page cache per connection (SQLite's
                        // default is 2 MiB): over a large database each of
                        // the pool's connections filled its own, a third of
                        // the server's memory with 10^6 links; a page not in
                        // it is one read from the OS's cache.
                        conn.execute("PRAGMA cache_size = -512").await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        if is_sqlite {
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        } else {
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        }
        Ok(Db { pool, backend, write_turn: is_sqlite.then(Default::default) })
    }

    /// Opens a SQLite file that nothing writes (a backup's snapshot) for
    /// reading only: no migrations, no WAL files beside it.
    pub async fn open_sqlite_snapshot(path: &std::path::Path) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&format!("sqlite://{}?immutable=true", path.display()))
            .await?;
        Ok(Db { pool, backend: "sqlite", write_turn: None })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a write transaction: on SQLite, once the transactions before
    /// it in this process are done (`write_turn`).
    async fn begin_write(&self) -> Result<WriteTx> {
        let turn = match &self.write_turn {
            Some(turn) => Some(turn.clone().lock_owned().await),
            None => None,
        };
        Ok(WriteTx { tx: self.pool.begin().await.map_err(db_err)?, _turn: turn })
    }

    /// Connections open in the pool and how many of them are idle.
    pub fn pool_usage(&self) -> (u32, u32) {
        (self.pool.size(), self.pool.num_idle() as u32)
    }

    async fn one<T>(
        &self,
        sql: &str,
        bind: impl FnOnce(Q<'_>) -> Q<'_>,
        map: fn(&AnyRow) -> Result<T>,
    ) -> Result<Option<T>> {
        let row = bind(sqlx::query(sql)).fetch_optional(&self.pool).await.map_err(db_err)?;
        row.as_ref().map(map).transpose()
    }

    async fn all<T>(
        &self,
        sql: &str,
        bind: impl FnOnce(Q<'_>) -> Q<'_>,
        map: fn(&AnyRow) -> Result<T>,
    ) -> Result<Vec<T>> {
        let rows = bind(sqlx::query(sql)).fetch_all(&self.pool).await.map_err(db_err)?;
        rows.iter().map(map).collect()
    }
}

type Q<'a> = sqlx::query::Query<'a, sqlx::Any, sqlx::any::AnyArguments<'a>>;

/// The column naming a link's entry: `file_id` or `folder_id`.
fn entry_col(e: Entry) -> &'static str {
    if e.is_folder() {
        "folder_id"
    } else {
        "file_id"
    }
}

fn audit_query(a: &AuditEntry) -> Q<'_> {
    sqlx::query(
        "INSERT INTO link_audit (at, actor_id, file_id, folder_id, link_id, action, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(a.at)
    .bind(&a.actor_id)
    // A folder link's rows carry file_id 0 (the column predates folders).
    .bind(a.entry.file_id().unwrap_or(0))
    .bind(a.entry.folder_id())
    .bind(&a.link_id)
    .bind(a.action)
    .bind(&a.details)
}

fn version_query(file_id: i64, version: i64, v: &NewVersion) -> Q<'_> {
    sqlx::query(
        // A new version starts a version group of its own, after the newest.
        "INSERT INTO file_versions (file_id, version, version_group, size, blob_key, created, created_by, comment) \
         VALUES ($1, $2, COALESCE((SELECT MAX(version_group) FROM file_versions WHERE file_id = $1), 0) + 1, \
         $3, $4, $5, $6, $7)",
    )
    .bind(file_id)
    .bind(version)
    .bind(v.size)
    .bind(&v.blob_key)
    .bind(v.now)
    .bind(&v.created_by)
    .bind(&v.comment)
}

fn delete_link_query(entry: Entry, link_id: &str) -> Q<'_> {
    let sql = match entry {
        Entry::File(_) => "DELETE FROM links WHERE id = $1 AND file_id = $2",
        Entry::Folder(_) => "DELETE FROM links WHERE id = $1 AND folder_id = $2",
    };
    sqlx::query(sql).bind(link_id).bind(entry.id())
}

fn update_link_query(l: &Link) -> Q<'_> {
    let sql = match l.entry {
        Entry::File(_) => {
            "UPDATE links SET access = $1, title = $2, expires = $3, password_enc = $4, deny_download = $5, \
             internal = $6, max_uses = $7, allowed_networks = $8 WHERE id = $9 AND file_id = $10"
        }
        Entry::Folder(_) => {
            "UPDATE links SET access = $1, title = $2, expires = $3, password_enc = $4, deny_download = $5, \
             internal = $6, max_uses = $7, allowed_networks = $8 WHERE id = $9 AND folder_id = $10"
        }
    };
    sqlx::query(sql)
        .bind(l.access as i64)
        .bind(&l.title)
        .bind(l.expires)
        .bind(l.password_enc.clone())
        .bind(flag(l.deny_download))
        .bind(flag(l.internal))
        .bind(l.max_uses)
        .bind(rows::networks_text(&l.allowed_networks))
        .bind(&l.id)
        .bind(l.entry.id())
}

/// Binds a webhook's settings as $1..$7 (name, uri, secret_key, enabled,
/// ssl, triggers, target_id): the same for its INSERT and its UPDATE.
fn bind_webhook_settings<'a>(q: Q<'a>, c: &'a WebhookConfig) -> Q<'a> {
    q.bind(&c.name)
        .bind(&c.uri)
        .bind(&c.secret_key)
        .bind(flag(c.enabled))
        .bind(flag(c.ssl))
        .bind(c.triggers)
        .bind(c.target_id.clone())
}

/// Adds a member to a group unless they already are one.
async fn add_member(tx: &mut sqlx::AnyConnection, group_id: &str, user_id: &str) -> Result<()> {
    sqlx::query("INSERT INTO user_group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(group_id.to_string())
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    Ok(())
}

fn flag(b: bool) -> i64 {
    b as i64
}

#[async_trait]
impl Store for Db {
    fn backend(&self) -> &'static str {
        self.backend
    }

    async fn count_users(&self) -> Result<i64> {
        let row = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        row.try_get("n").map_err(Error::internal)
    }

    async fn create_user(&self, u: &NewUser, now: i64) -> Result<User> {
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (id, email, first_name, last_name, password_hash, user_type, is_owner, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&u.email)
        .bind(&u.first_name)
        .bind(&u.last_name)
        .bind(&u.password_hash)
        .bind(u.user_type.as_str())
        .bind(flag(u.is_owner))
        .bind(now)
        .execute(&mut *tx)
        .await;
        if let Err(sqlx::Error::Database(e)) = &inserted {
            if e.is_unique_violation() {
                return Err(Error::BadRequest("A user with this email already exists".into()));
            }
        }
        inserted.map_err(db_err)?;
        let folder = sqlx::query(
            "INSERT INTO folders (parent_id, owner_id, title, created, updated) VALUES (NULL, $1, 'My documents', $2, $2) RETURNING id",
        )
        .bind(&id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let folder_id: i64 = folder.try_get("id").map_err(Error::internal)?;
        sqlx::query("UPDATE users SET my_folder_id = $1 WHERE id = $2")
            .bind(folder_id)
            .bind(&id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await?;
        self.user_by_id(&id).await?.ok_or_else(|| Error::internal("user vanished after insert"))
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {} FROM users WHERE id = $1", rows::USER_COLS);
        self.one(&sql, |q| q.bind(id.to_string()), rows::user).await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {} FROM users WHERE LOWER(email) = LOWER($1)", rows::USER_COLS);
        self.one(&sql, |q| q.bind(email.to_string()), rows::user).await
    }

    async fn create_session(&self, token_hash: &str, user_id: &str, expires: i64) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, expires) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(user_id)
            .bind(expires)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now: i64) -> Result<Option<User>> {
        let cols = rows::USER_COLS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT {cols} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires > $2 AND u.status <> {}",
            rows::USER_TERMINATED
        );
        self.one(&sql, |q| q.bind(token_hash.to_string()).bind(now), rows::user).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() > 0)
    }

    async fn set_user_password(&self, user_id: &str, password_hash: &str, keep_session: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep_session)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await
    }

    async fn create_api_key(&self, k: &ApiKey) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_keys (id, user_id, name, key_hash, postfix, permissions, created, expires, last_used, is_active) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&k.id)
        .bind(&k.user_id)
        .bind(&k.name)
        .bind(&k.key_hash)
        .bind(&k.postfix)
        .bind(serde_json::to_string(&k.permissions).map_err(Error::internal)?)
        .bind(k.created)
        .bind(k.expires)
        .bind(k.last_used)
        .bind(flag(k.is_active))
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn api_key_by_hash(&self, hash: &str) -> Result<Option<ApiKey>> {
        let sql = format!("SELECT {} FROM api_keys WHERE key_hash = $1", rows::API_KEY_COLS);
        self.one(&sql, |q| q.bind(hash.to_string()), rows::api_key).await
    }

    async fn api_key_with_user(&self, hash: &str) -> Result<Option<(ApiKey, User)>> {
        let sql = format!("{} WHERE k.key_hash = $1", rows::api_key_with_user_select());
        self.one(&sql, |q| q.bind(hash.to_string()), rows::api_key_with_user).await
    }

    async fn touch_api_key(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE api_keys SET last_used = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn list_api_keys(&self, user_id: Option<&str>) -> Result<Vec<ApiKey>> {
        let sql = format!(
            "SELECT {} FROM api_keys WHERE ($1 = '' OR user_id = $1) ORDER BY created DESC, id",
            rows::API_KEY_COLS
        );
        self.all(&sql, |q| q.bind(user_id.unwrap_or("").to_string()), rows::api_key).await
    }

    async fn api_key(&self, id: &str) -> Result<Option<ApiKey>> {
        let sql = format!("SELECT {} FROM api_keys WHERE id = $1", rows::API_KEY_COLS);
        self.one(&sql, |q| q.bind(id.to_string()), rows::api_key).await
    }

    async fn delete_api_key(&self, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM api_keys WHERE id = $1").bind(id).execute(&self.pool).await.map_err(db_err)?;
        Ok(r.rows_affected() > 0)
    }

    async fn folder(&self, id: i64) -> Result<Option<Folder>> {
        let sql = format!("{} WHERE d.id = $1", rows::folder_select());
        self.one(&sql, |q| q.bind(id), rows::folder).await
    }

    async fn create_folder(&self, parent: &Folder, title: &str, now: i64) -> Result<Folder> {
        let row = sqlx::query(
            "INSERT INTO folders (parent_id, owner_id, title, created, updated) VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(parent.id)
        .bind(&parent.owner.id)
        .bind(title)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        let id: i64 = row.try_get("id").map_err(Error::internal)?;
        self.folder(id).await?.ok_or_else(|| Error::internal("folder vanished after insert"))
    }

    async fn folder_page(&self, id: i64, offset: i64, limit: i64) -> Result<(Vec<Folder>, Vec<File>, i64)> {
        let (files_n, folders_n) = self.folder_counts(id).await?;
        let folder_sql =
            format!("{} WHERE d.parent_id = $1 ORDER BY d.title, d.id LIMIT $2 OFFSET $3", rows::folder_select());
        let folders = self.all(&folder_sql, |q| q.bind(id).bind(limit).bind(offset), rows::folder).await?;
        // Files continue the page where the folders end.
        let file_offset = (offset - folders_n).max(0);
        let file_limit = limit - folders.len() as i64;
        let files = if file_limit > 0 {
            let sql =
                format!("{} WHERE f.folder_id = $1 ORDER BY f.title, f.id LIMIT $2 OFFSET $3", rows::file_select());
            self.all(&sql, |q| q.bind(id).bind(file_limit).bind(file_offset), rows::file).await?
        } else {
            Vec::new()
        };
        Ok((folders, files, files_n + folders_n))
    }

    async fn folder_counts(&self, id: i64) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT CAST((SELECT COUNT(*) FROM files WHERE folder_id = $1) AS BIGINT) AS files, \
             CAST((SELECT COUNT(*) FROM folders WHERE parent_id = $1) AS BIGINT) AS folders",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        Ok((row.try_get("files").map_err(Error::internal)?, row.try_get("folders").map_err(Error::internal)?))
    }

    async fn delete_empty_folder(&self, id: i64) -> Result<bool> {
        let r = sqlx::query(
            "DELETE FROM folders WHERE id = $1 AND parent_id IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM files WHERE folder_id = $1) \
             AND NOT EXISTS (SELECT 1 FROM folders c WHERE c.parent_id = $1)",
        )
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(r.rows_affected() > 0)
    }

    async fn active_link_counts(&self, folder_id: i64, now: i64) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT l.file_id AS file_id, CAST(COUNT(*) AS BIGINT) AS n FROM links l JOIN files f ON f.id = l.file_id \
             WHERE f.folder_id = $1 AND (l.expires IS NULL OR l.expires > $2) GROUP BY l.file_id",
        )
        .bind(folder_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok((r.try_get("file_id").map_err(Error::internal)?, r.try_get("n").map_err(Error::internal)?)))
            .collect()
    }

    async fn create_file(&self, f: &NewFile) -> Result<File> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO files (folder_id, owner_id, title, size, version, blob_key, created, updated) \
             VALUES ($1, $2, $3, $4, 1, $5, $6, $6) RETURNING id",
        )
        .bind(f.folder_id)
        .bind(&f.owner_id)
        .bind(&f.title)
        .bind(f.size)
        .bind(&f.blob_key)
        .bind(f.now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let id: i64 = row.try_get("id").map_err(Error::internal)?;
        let first = NewVersion {
            size: f.size,
            blob_key: f.blob_key.clone(),
            now: f.now,
            created_by: f.owner_id.clone(),
            comment: spacelinks_core::versions::COMMENT_CREATED.into(),
        };
        version_query(id, 1, &first).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await?;
        self.file(id).await?.ok_or_else(|| Error::internal("file vanished after insert"))
    }

    async fn file(&self, id: i64) -> Result<Option<File>> {
        let sql = format!("{} WHERE f.id = $1", rows::file_select());
        self.one(&sql, |q| q.bind(id), rows::file).await
    }

    async fn rename_file(&self, id: i64, title: &str, now: i64) -> Result<bool> {
        let r = sqlx::query("UPDATE files SET title = $1, updated = $2 WHERE id = $3")
            .bind(title)
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() > 0)
    }

    async fn set_file_lock(&self, id: i64, by: Option<&str>) -> Result<bool> {
        let r = sqlx::query("UPDATE files SET locked_by = $1 WHERE id = $2")
            .bind(by.map(str::to_string))
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() > 0)
    }

    async fn mark_file(&self, user_id: &str, file_id: i64, kind: &str, on: bool, now: i64) -> Result<()> {
        let q = if on {
            sqlx::query(
                "INSERT INTO file_marks (user_id, file_id, kind, at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id, kind, file_id) DO UPDATE SET at = excluded.at",
            )
            .bind(user_id.to_string())
            .bind(file_id)
            .bind(kind.to_string())
            .bind(now)
        } else {
            sqlx::query("DELETE FROM file_marks WHERE user_id = $1 AND file_id = $2 AND kind = $3")
                .bind(user_id.to_string())
                .bind(file_id)
                .bind(kind.to_string())
        };
        q.execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    async fn marked_files(&self, user_id: &str, kind: &str, offset: i64, limit: i64) -> Result<(Vec<File>, i64)> {
        let sql = format!(
            "{} JOIN file_marks m ON m.file_id = f.id WHERE m.user_id = $1 AND m.kind = $2 \
             ORDER BY m.at DESC, f.id DESC LIMIT $3 OFFSET $4",
            rows::file_select()
        );
        let (u, k) = (user_id.to_string(), kind.to_string());
        let files = self.all(&sql, |q| q.bind(u.clone()).bind(k.clone()).bind(limit).bind(offset), rows::file).await?;
        let row = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM file_marks WHERE user_id = $1 AND kind = $2")
            .bind(u)
            .bind(k)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok((files, row.try_get("n").map_err(Error::internal)?))
    }

    async fn is_marked(&self, user_id: &str, file_id: i64, kind: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM file_marks WHERE user_id = $1 AND file_id = $2 AND kind = $3")
            .bind(user_id.to_string())
            .bind(file_id)
            .bind(kind.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(row.is_some())
    }

    async fn set_file_share(&self, file_id: i64, user_id: &str, access: i64, now: i64) -> Result<()> {
        self.set_share("file_shares", "user_id", file_id, user_id, access, now).await
    }

    async fn file_shares(&self, file_id: i64) -> Result<Vec<(String, i64)>> {
        self.shares_of("file_shares", "user_id", file_id).await
    }

    async fn file_share(&self, file_id: i64, user_id: &str) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT access FROM file_shares WHERE file_id = $1 AND user_id = $2")
            .bind(file_id)
            .bind(user_id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|r| r.try_get("access").map_err(Error::internal)).transpose()
    }

    async fn shared_files(&self, user_id: &str, offset: i64, limit: i64) -> Result<(Vec<File>, i64)> {
        // A file reaches the user through their own share or a group's; the
        // newest of those shares orders it. Their own files never do.
        let reach = "SELECT x.file_id, MAX(x.created) AS created FROM ( \
             SELECT file_id, created FROM file_shares WHERE user_id = $1 \
             UNION ALL SELECT g.file_id, g.created FROM file_group_shares g \
             JOIN user_group_members m ON m.group_id = g.group_id WHERE m.user_id = $1) x GROUP BY x.file_id";
        let sql = format!(
            "{} JOIN ({reach}) s ON s.file_id = f.id WHERE f.owner_id <> $1 \
             ORDER BY s.created DESC, f.id DESC LIMIT $2 OFFSET $3",
            rows::file_select()
        );
        let u = user_id.to_string();
        let files = self.all(&sql, |q| q.bind(u.clone()).bind(limit).bind(offset), rows::file).await?;
        let count = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM ({reach}) s JOIN files f ON f.id = s.file_id WHERE f.owner_id <> $1"
        );
        let row = sqlx::query(&count).bind(u).fetch_one(&self.pool).await.map_err(db_err)?;
        Ok((files, row.try_get("n").map_err(Error::internal)?))
    }

    async fn set_file_group_share(&self, file_id: i64, group_id: &str, access: i64, now: i64) -> Result<()> {
        self.set_share("file_group_shares", "group_id", file_id, group_id, access, now).await
    }

    async fn file_group_shares(&self, file_id: i64) -> Result<Vec<(String, i64)>> {
        self.shares_of("file_group_shares", "group_id", file_id).await
    }

    async fn person_accesses(&self, file_id: i64, user_id: &str) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT access FROM file_shares WHERE file_id = $1 AND user_id = $2 \
             UNION ALL SELECT g.access FROM file_group_shares g JOIN user_group_members m ON m.group_id = g.group_id \
             WHERE g.file_id = $1 AND m.user_id = $2",
        )
        .bind(file_id)
        .bind(user_id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(|r| r.try_get("access").map_err(Error::internal)).collect()
    }

    async fn set_user_disabled(&self, user_id: &str, disabled: bool) -> Result<bool> {
        let status = if disabled { rows::USER_TERMINATED } else { rows::USER_ACTIVE };
        let mut tx = self.begin_write().await?;
        let r = sqlx::query("UPDATE users SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await?;
        Ok(r.rows_affected() > 0)
    }

    async fn create_group(&self, g: &Group, members: &[String]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO user_groups (id, name, manager_id, created) VALUES ($1, $2, $3, $4)")
            .bind(&g.id)
            .bind(&g.name)
            .bind(g.manager_id.clone())
            .bind(g.created)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for m in members {
            add_member(&mut tx, &g.id, m).await?;
        }
        tx.commit().await
    }

    async fn group(&self, id: &str) -> Result<Option<Group>> {
        let sql = format!("SELECT {} FROM user_groups WHERE id = $1", rows::GROUP_COLS);
        self.one(&sql, |q| q.bind(id.to_string()), rows::group).await
    }

    async fn groups(&self, member: Option<&str>) -> Result<Vec<Group>> {
        match member {
            None => {
                let sql = format!("SELECT {} FROM user_groups ORDER BY name, id", rows::GROUP_COLS);
                self.all(&sql, |q| q, rows::group).await
            }
            Some(user) => {
                let sql = format!(
                    "SELECT {} FROM user_groups WHERE id IN (SELECT group_id FROM user_group_members WHERE user_id = $1) \
                     ORDER BY name, id",
                    rows::GROUP_COLS
                );
                self.all(&sql, |q| q.bind(user.to_string()), rows::group).await
            }
        }
    }

    async fn group_member_ids(&self, id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT m.user_id FROM user_group_members m JOIN users u ON u.id = m.user_id \
             WHERE m.group_id = $1 ORDER BY u.first_name, u.last_name, u.email",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(|r| r.try_get("user_id").map_err(Error::internal)).collect()
    }

    async fn update_group(&self, g: &Group, add: &[String], remove: &[String]) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query("UPDATE user_groups SET name = $1, manager_id = $2 WHERE id = $3")
            .bind(&g.name)
            .bind(g.manager_id.clone())
            .bind(&g.id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        for m in add {
            add_member(&mut tx, &g.id, m).await?;
        }
        for m in remove {
            sqlx::query("DELETE FROM user_group_members WHERE group_id = $1 AND user_id = $2")
                .bind(&g.id)
                .bind(m)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn delete_group(&self, id: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        // Explicit, as in `delete_file`: the same on a backend without cascades.
        for table in ["file_group_shares", "user_group_members"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE group_id = $1"))
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        let r = sqlx::query("DELETE FROM user_groups WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await?;
        Ok(r.rows_affected() > 0)
    }

    async fn file_by_title(&self, folder_id: i64, title: &str) -> Result<Option<File>> {
        let sql = format!("{} WHERE f.folder_id = $1 AND f.title = $2 ORDER BY f.id LIMIT 1", rows::file_select());
        self.one(&sql, |q| q.bind(folder_id).bind(title.to_string()), rows::file).await
    }

    async fn folder_by_title(&self, parent_id: i64, title: &str) -> Result<Option<Folder>> {
        let sql = format!("{} WHERE d.parent_id = $1 AND d.title = $2 ORDER BY d.id LIMIT 1", rows::folder_select());
        self.one(&sql, |q| q.bind(parent_id).bind(title.to_string()), rows::folder).await
    }

    async fn delete_file(&self, id: i64) -> Result<Vec<String>> {
        let mut tx = self.begin_write().await?;
        // Versions first: the file's delete would cascade to them unseen.
        let versions = sqlx::query("DELETE FROM file_versions WHERE file_id = $1 RETURNING blob_key")
            .bind(id)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
        let current = sqlx::query("DELETE FROM files WHERE id = $1 RETURNING blob_key")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let Some(current) = current else { return Ok(Vec::new()) };
        // Explicit, so a backend without cascading foreign keys behaves the same.
        sqlx::query("DELETE FROM links WHERE file_id = $1").bind(id).execute(&mut *tx).await.map_err(db_err)?;
        sqlx::query("DELETE FROM file_marks WHERE file_id = $1").bind(id).execute(&mut *tx).await.map_err(db_err)?;
        sqlx::query("DELETE FROM file_shares WHERE file_id = $1").bind(id).execute(&mut *tx).await.map_err(db_err)?;
        sqlx::query("DELETE FROM file_group_shares WHERE file_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await?;
        let mut keys = vec![current.try_get::<String, _>("blob_key").map_err(Error::internal)?];
        for r in versions {
            keys.push(r.try_get("blob_key").map_err(Error::internal)?);
        }
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    async fn replace_file_content(&self, id: i64, new: &NewVersion, keep: i64) -> Result<Option<Vec<String>>> {
        let mut tx = self.begin_write().await?;
        // Take the row's lock before reading, as in `insert_link`: concurrent
        // replacements then queue (instead of failing with "database is
        // locked" on SQLite) and each numbers its version after its
        // predecessor's (instead of two claiming the same on PostgreSQL).
        let bumped = sqlx::query(
            "UPDATE files SET size = $1, blob_key = $2, version = version + 1, updated = $3 WHERE id = $4 RETURNING version",
        )
        .bind(new.size)
        .bind(&new.blob_key)
        .bind(new.now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(bumped) = bumped else { return Ok(None) };
        let version: i64 = bumped.try_get("version").map_err(Error::internal)?;
        version_query(id, version, new).execute(&mut *tx).await.map_err(db_err)?;
        let dropped = sqlx::query("DELETE FROM file_versions WHERE file_id = $1 AND version < $2 RETURNING blob_key")
            .bind(id)
            .bind(version - keep.max(0))
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
        // A dropped version may share its blob with a kept one (a restore).
        let mut unused = Vec::new();
        for r in dropped {
            let key: String = r.try_get("blob_key").map_err(Error::internal)?;
            let used = sqlx::query("SELECT 1 AS one FROM file_versions WHERE blob_key = $1 LIMIT 1")
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
            if used.is_none() && !unused.contains(&key) {
                unused.push(key);
            }
        }
        tx.commit().await?;
        Ok(Some(unused))
    }

    async fn file_versions(&self, file_id: i64) -> Result<Vec<FileVersion>> {
        let sql = format!("SELECT {} FROM file_versions WHERE file_id = $1 ORDER BY version DESC", rows::VERSION_COLS);
        self.all(&sql, |q| q.bind(file_id), rows::version).await
    }

    async fn file_version(&self, file_id: i64, version: i64) -> Result<Option<FileVersion>> {
        let sql = format!("SELECT {} FROM file_versions WHERE file_id = $1 AND version = $2", rows::VERSION_COLS);
        self.one(&sql, |q| q.bind(file_id).bind(version), rows::version).await
    }

    async fn continue_version(&self, file_id: i64, version: i64) -> Result<()> {
        sqlx::query(
            "UPDATE file_versions SET version_group = version_group - 1 WHERE file_id = $1 AND version > $2 \
             AND version_group > (SELECT version_group FROM file_versions WHERE file_id = $1 AND version = $2)",
        )
        .bind(file_id)
        .bind(version)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn entry_links(&self, entry: Entry, offset: i64, limit: i64) -> Result<(Vec<Link>, i64)> {
        let col = entry_col(entry);
        let sql = format!(
            "SELECT {} FROM links WHERE {col} = $1 ORDER BY is_primary DESC, created, id LIMIT $2 OFFSET $3",
            rows::LINK_COLS
        );
        let links = self.all(&sql, |q| q.bind(entry.id()).bind(limit).bind(offset), rows::link).await?;
        let row = sqlx::query(&format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM links WHERE {col} = $1"))
            .bind(entry.id())
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok((links, row.try_get("n").map_err(Error::internal)?))
    }

    async fn primary_link(&self, entry: Entry) -> Result<Option<Link>> {
        let sql = format!("SELECT {} FROM links WHERE {} = $1 AND is_primary = 1", rows::LINK_COLS, entry_col(entry));
        self.one(&sql, |q| q.bind(entry.id()), rows::link).await
    }

    async fn link(&self, id: &str) -> Result<Option<Link>> {
        let sql = format!("SELECT {} FROM links WHERE id = $1", rows::LINK_COLS);
        self.one(&sql, |q| q.bind(id.to_string()), rows::link).await
    }

    async fn link_with_file(&self, id: &str) -> Result<Option<(Link, File)>> {
        let sql = format!("{} WHERE sl.id = $1", rows::link_with_file_select());
        self.one(&sql, |q| q.bind(id.to_string()), rows::link_with_file).await
    }

    async fn link_by_code(&self, code: &str) -> Result<Option<Link>> {
        let sql = format!("SELECT {} FROM links WHERE short_code = $1", rows::LINK_COLS);
        self.one(&sql, |q| q.bind(code.to_string()), rows::link).await
    }

    async fn insert_link(&self, l: &Link, max: i64, audit: &AuditEntry) -> Result<LinkInsert> {
        let mut tx = self.begin_write().await?;
        // Writing to the file (or folder) row first takes its lock (a row
        // lock on PostgreSQL, the write lock on SQLite), so concurrent creates
        // on one entry are serialised and the count below cannot go stale.
        let lock = match l.entry {
            Entry::File(_) => "UPDATE files SET updated = updated WHERE id = $1",
            Entry::Folder(_) => "UPDATE folders SET updated = updated WHERE id = $1",
        };
        let touched = sqlx::query(lock).bind(l.entry.id()).execute(&mut *tx).await.map_err(db_err)?;
        if touched.rows_affected() == 0 {
            return Ok(LinkInsert::FileGone);
        }
        let taken = sqlx::query("SELECT id FROM links WHERE id = $1")
            .bind(&l.id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        if taken.is_some() {
            return Ok(LinkInsert::IdTaken);
        }
        let count = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM links WHERE {} = $1 AND is_primary = $2",
            entry_col(l.entry)
        );
        let row =
            sqlx::query(&count).bind(l.entry.id()).bind(flag(l.primary)).fetch_one(&mut *tx).await.map_err(db_err)?;
        let n: i64 = row.try_get("n").map_err(Error::internal)?;
        if n >= max {
            return Ok(LinkInsert::LimitReached { max });
        }
        // The file lock does not cover the same id claimed on another file at
        // once; on PostgreSQL that would surface here as a unique violation.
        let inserted = sqlx::query(&format!(
            "INSERT INTO links ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
             ON CONFLICT (id) DO NOTHING",
            rows::LINK_COLS
        ))
        .bind(&l.id)
        .bind(l.entry.file_id())
        .bind(l.entry.folder_id())
        .bind(flag(l.primary))
        .bind(l.access as i64)
        .bind(&l.title)
        .bind(l.expires)
        .bind(l.password_enc.clone())
        .bind(flag(l.deny_download))
        .bind(flag(l.internal))
        .bind(&l.short_code)
        .bind(&l.created_by)
        .bind(l.created)
        .bind(&l.token_salt)
        .bind(l.max_uses)
        .bind(l.use_count)
        .bind(rows::networks_text(&l.allowed_networks))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if inserted.rows_affected() == 0 {
            return Ok(LinkInsert::IdTaken);
        }
        audit_query(audit).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await?;
        Ok(LinkInsert::Inserted)
    }

    async fn update_link(&self, l: &Link, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let r = update_link_query(l).execute(&mut *tx).await.map_err(db_err)?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        audit_query(audit).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await?;
        Ok(true)
    }

    async fn change_link(&self, entry: Entry, link_id: &str, change: LinkChangeFn<'_>) -> Result<Option<LinkWrite>> {
        let mut tx = self.begin_write().await?;
        // A write first takes the link row's lock (the write lock on
        // SQLite), so a concurrent change waits here and then reads what
        // this one wrote, instead of both merging into the same old row.
        // The lock and the read are one statement (RETURNING): one round
        // trip less while the lock is held.
        let lock = format!(
            "UPDATE links SET access = access WHERE id = $1 AND {} = $2 RETURNING {}",
            entry_col(entry),
            rows::LINK_COLS
        );
        let row = sqlx::query(&lock).bind(link_id).bind(entry.id()).fetch_optional(&mut *tx).await.map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        let write = change(&rows::link(&row)?)?;
        let audit = match &write {
            LinkWrite::Update(next, audit) => {
                update_link_query(next).execute(&mut *tx).await.map_err(db_err)?;
                audit
            }
            LinkWrite::Delete(audit) => {
                delete_link_query(entry, link_id).execute(&mut *tx).await.map_err(db_err)?;
                audit
            }
        };
        audit_query(audit).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await?;
        Ok(Some(write))
    }

    async fn delete_link(&self, entry: Entry, link_id: &str, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let r = delete_link_query(entry, link_id).execute(&mut *tx).await.map_err(db_err)?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        audit_query(audit).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await?;
        Ok(true)
    }

    async fn take_link_use(&self, link_id: &str, token_salt: &str) -> Result<Option<i64>> {
        // The condition and the increment are one statement: PostgreSQL
        // re-checks the WHERE on the row a concurrent UPDATE committed,
        // SQLite runs writers one at a time. No read-then-write anywhere.
        let row = sqlx::query(
            "UPDATE links SET use_count = use_count + 1 \
             WHERE id = $1 AND token_salt = $2 AND (max_uses IS NULL OR use_count < max_uses) RETURNING use_count",
        )
        .bind(link_id)
        .bind(token_salt)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.map(|r| r.try_get("use_count").map_err(Error::internal)).transpose()
    }

    async fn give_back_link_use(&self, link_id: &str) -> Result<()> {
        sqlx::query("UPDATE links SET use_count = use_count - 1 WHERE id = $1 AND use_count > 0")
            .bind(link_id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn audit_entries(&self, entry: Entry) -> Result<Vec<AuditEntry>> {
        let sql = format!(
            "SELECT at, actor_id, file_id, folder_id, link_id, action, details FROM link_audit \
             WHERE {} = $1 ORDER BY id",
            entry_col(entry)
        );
        self.all(&sql, |q| q.bind(entry.id()), rows::audit).await
    }

    async fn folder_within(&self, folder_id: i64, root_id: i64) -> Result<bool> {
        // Walks up from the folder; trees are shallow, and the walk stops at
        // the root (or My Documents).
        let row = sqlx::query(
            "WITH RECURSIVE up(id, parent_id) AS ( \
                 SELECT id, parent_id FROM folders WHERE id = $1 \
                 UNION ALL SELECT f.id, f.parent_id FROM folders f JOIN up ON f.id = up.parent_id WHERE up.id <> $2 \
             ) SELECT CAST(COUNT(*) AS BIGINT) AS n FROM up WHERE id = $2",
        )
        .bind(folder_id)
        .bind(root_id)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(row.try_get::<i64, _>("n").map_err(Error::internal)? > 0)
    }

    async fn move_entry(&self, m: &EntryMove<'_>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let sql = match m.entry {
            Entry::File(_) => "UPDATE files SET folder_id = $1, title = $2, updated = $3 WHERE id = $4",
            Entry::Folder(_) => "UPDATE folders SET parent_id = $1, title = $2, updated = $3 WHERE id = $4",
        };
        let moved = sqlx::query(sql)
            .bind(m.parent_id)
            .bind(m.title)
            .bind(m.now)
            .bind(m.entry.id())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if moved.rows_affected() == 0 {
            return Ok(false);
        }
        if let Some(owner) = m.owner {
            let (folders, files): (Vec<i64>, Vec<i64>) = match m.entry {
                Entry::File(id) => (Vec::new(), vec![id]),
                Entry::Folder(id) => (std::iter::once(id).chain(m.folders.iter().copied()).collect(), m.files.to_vec()),
            };
            for id in folders {
                sqlx::query("UPDATE folders SET owner_id = $1 WHERE id = $2")
                    .bind(owner)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            for id in files {
                sqlx::query("UPDATE files SET owner_id = $1, locked_by = NULL WHERE id = $2")
                    .bind(owner)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn folder_tree(&self, root_id: i64) -> Result<(Vec<Folder>, Vec<File>)> {
        const DOWN: &str = "WITH RECURSIVE down(id) AS ( \
                 SELECT id FROM folders WHERE id = $1 \
                 UNION ALL SELECT f.id FROM folders f JOIN down ON f.parent_id = down.id)";
        let folders = format!(
            "{DOWN} {} WHERE d.id IN (SELECT id FROM down) AND d.id <> $1 ORDER BY d.title, d.id",
            rows::folder_select()
        );
        let folders = self.all(&folders, |q| q.bind(root_id), rows::folder).await?;
        let files =
            format!("{DOWN} {} WHERE f.folder_id IN (SELECT id FROM down) ORDER BY f.title, f.id", rows::file_select());
        let files = self.all(&files, |q| q.bind(root_id), rows::file).await?;
        Ok((folders, files))
    }

    async fn insert_operation(&self, op: &FileOperation) -> Result<()> {
        let ids = |v: &[i64]| serde_json::to_string(v).map_err(Error::internal);
        sqlx::query(
            "INSERT INTO file_operations (id, owner, operation, link_id, token_salt, folder_ids, file_ids, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&op.id)
        .bind(&op.owner)
        .bind(op.operation)
        .bind(op.link_id.clone())
        .bind(&op.token_salt)
        .bind(ids(&op.folder_ids)?)
        .bind(ids(&op.file_ids)?)
        .bind(op.created)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn operations(&self, owner: &str, since: i64) -> Result<Vec<FileOperation>> {
        let sql = format!(
            "SELECT {} FROM file_operations WHERE owner = $1 AND created > $2 ORDER BY created, id",
            rows::OPERATION_COLS
        );
        self.all(&sql, |q| q.bind(owner.to_string()).bind(since), rows::operation).await
    }

    async fn operation(&self, id: &str) -> Result<Option<FileOperation>> {
        let sql = format!("SELECT {} FROM file_operations WHERE id = $1", rows::OPERATION_COLS);
        self.one(&sql, |q| q.bind(id.to_string()), rows::operation).await
    }

    async fn purge_operations(&self, before: i64) -> Result<u64> {
        let r = sqlx::query("DELETE FROM file_operations WHERE created < $1")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected())
    }

    async fn record_link_events(&self, events: &[LinkEvent]) -> Result<()> {
        // Multi-row INSERTs: one round trip per 25 events instead of one
        // each. Not more: SQLite finds a bound parameter's name by a linear
        // search, so a statement's binding cost grows with the square of its
        // parameters (at 100 rows, the name lookup alone was 2% of a 1 MiB
        // download's CPU time).
        const ROWS: usize = 25;
        let mut tx = self.begin_write().await?;
        for chunk in events.chunks(ROWS) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let n = i * 9;
                    let p: Vec<String> = (1..=9).map(|k| format!("${}", n + k)).collect();
                    format!("({})", p.join(", "))
                })
                .collect();
            // A repeated open (same dedupe key) is skipped by the unique index.
            let sql = format!(
                "INSERT INTO link_events (at, link_id, file_id, kind, ip, user_agent, reason, bytes, dedupe_key) VALUES {} \
                 ON CONFLICT DO NOTHING",
                rows.join(", ")
            );
            // Only the full-size statement is kept prepared: the sizes of
            // the last chunks vary and would crowd the statement cache.
            let mut q = sqlx::query(&sql).persistent(chunk.len() == ROWS);
            for e in chunk {
                q = q
                    .bind(e.at)
                    .bind(&e.link_id)
                    .bind(e.file_id)
                    .bind(e.kind.stored())
                    .bind(&e.ip)
                    .bind(&e.user_agent)
                    .bind(e.kind.reason().map(|r| r.as_str()))
                    .bind(e.bytes)
                    .bind(e.dedupe_key());
            }
            q.execute(&mut *tx).await.map_err(db_err)?;
        }
        tx.commit().await
    }

    async fn link_events(&self, link_id: &str) -> Result<Vec<LinkEvent>> {
        let sql = format!("SELECT {} FROM link_events WHERE link_id = $1 ORDER BY id", rows::EVENT_COLS);
        self.all(&sql, |q| q.bind(link_id.to_string()), rows::event).await
    }

    async fn link_events_page(&self, link_id: &str, offset: i64, limit: i64) -> Result<(Vec<LinkEvent>, i64)> {
        let sql = format!(
            "SELECT {} FROM link_events WHERE link_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
            rows::EVENT_COLS
        );
        let events = self.all(&sql, |q| q.bind(link_id.to_string()).bind(limit).bind(offset), rows::event).await?;
        let row = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM link_events WHERE link_id = $1")
            .bind(link_id)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok((events, row.try_get("n").map_err(Error::internal)?))
    }

    async fn link_event_counts(&self, link_id: &str) -> Result<LinkEventCounts> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN kind = 'opened' THEN 1 ELSE 0 END), 0) AS BIGINT) AS opens, \
             CAST(COALESCE(SUM(CASE WHEN kind = 'downloaded' THEN 1 ELSE 0 END), 0) AS BIGINT) AS downloads, \
             MAX(CASE WHEN kind = 'opened' THEN at END) AS last_opened FROM link_events WHERE link_id = $1",
        )
        .bind(link_id)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(LinkEventCounts {
            opens: row.try_get("opens").map_err(Error::internal)?,
            downloads: row.try_get("downloads").map_err(Error::internal)?,
            last_opened: row.try_get("last_opened").map_err(Error::internal)?,
        })
    }

    async fn count_attempt(&self, scope: &str, key: &str, now: i64, limit: &Limit) -> Result<CounterHit> {
        // All SET expressions read the row as it was before this statement.
        // `$3` is now, `$4` the base window, `$5` the limit, `$6` the
        // longest window (all in microseconds but the limit).
        let row = sqlx::query(
            "INSERT INTO lockout_counters (scope, counter_key, failures, window_start, window_end) \
             VALUES ($1, $2, 1, $3, $3 + $4) \
             ON CONFLICT (scope, counter_key) DO UPDATE SET \
             failures = CASE WHEN lockout_counters.window_end <= $3 THEN 1 \
                        ELSE lockout_counters.failures + 1 END, \
             window_start = CASE WHEN lockout_counters.window_end <= $3 THEN $3 \
                            ELSE lockout_counters.window_start END, \
             window_end = CASE \
                 WHEN lockout_counters.window_end > $3 THEN lockout_counters.window_end \
                 WHEN lockout_counters.failures < $5 THEN $3 + $4 \
                 WHEN 2 * (lockout_counters.window_end - lockout_counters.window_start) < $6 \
                     THEN $3 + 2 * (lockout_counters.window_end - lockout_counters.window_start) \
                 ELSE $3 + $6 END \
             RETURNING failures, window_start, window_end",
        )
        .bind(scope)
        .bind(key)
        .bind(now)
        .bind(limit.window_secs * 1_000_000)
        .bind(limit.max)
        .bind(limit.max_window_secs.max(limit.window_secs) * 1_000_000)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(CounterHit {
            failures: row.try_get("failures").map_err(Error::internal)?,
            window_start: row.try_get("window_start").map_err(Error::internal)?,
            window_end: row.try_get("window_end").map_err(Error::internal)?,
        })
    }

    async fn uncount_attempt(&self, scope: &str, key: &str, window_start: i64) -> Result<()> {
        sqlx::query(
            "UPDATE lockout_counters SET failures = failures - 1 \
             WHERE scope = $1 AND counter_key = $2 AND window_start = $3 AND failures > 0",
        )
        .bind(scope)
        .bind(key)
        .bind(window_start)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn purge(&self, now: i64, counters_before: i64, events_before: Option<i64>) -> Result<Purged> {
        Ok(Purged {
            sessions: self.delete_in_batches("sessions", "token_hash", "expires <= $1", now).await?,
            lockout_counters: self
                .delete_in_batches(
                    "lockout_counters",
                    "scope || ' ' || counter_key",
                    "window_end < $1",
                    counters_before,
                )
                .await?,
            events: match events_before {
                Some(before) => self.delete_in_batches("link_events", "id", "at < $1", before).await?,
                None => 0,
            },
        })
    }

    async fn insert_webhook_config(&self, c: &WebhookConfig) -> Result<Option<WebhookConfig>> {
        // The duplicate check is part of the INSERT (DocSpace: same uri and name).
        let row = bind_webhook_settings(
            sqlx::query(
                "INSERT INTO webhooks_config (name, uri, secret_key, enabled, ssl, triggers, target_id, created_by, \
                 modified_by, created_on, modified_on) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 \
                 WHERE NOT EXISTS (SELECT 1 FROM webhooks_config WHERE uri = $2 AND name = $1) RETURNING id",
            ),
            c,
        )
        .bind(&c.created_by)
        .bind(&c.modified_by)
        .bind(c.created_on)
        .bind(c.modified_on)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(WebhookConfig { id: row.try_get("id").map_err(Error::internal)?, ..c.clone() }))
    }

    async fn webhook_config(&self, id: i64) -> Result<Option<WebhookConfig>> {
        let sql = format!("SELECT {} FROM webhooks_config WHERE id = $1", rows::WEBHOOK_COLS);
        self.one(&sql, |q| q.bind(id), rows::webhook).await
    }

    async fn webhook_configs(&self, created_by: Option<&str>) -> Result<Vec<(WebhookConfig, i64)>> {
        // The status of the latest *successful* delivery, as DocSpace reports
        // on MySQL (NULL deliveries sort last there).
        let sql = format!(
            "SELECT {}, COALESCE((SELECT l.status FROM webhooks_logs l WHERE l.config_id = webhooks_config.id \
             AND l.delivery IS NOT NULL ORDER BY l.delivery DESC, l.id DESC LIMIT 1), 0) AS last_status \
             FROM webhooks_config WHERE ($1 = '' OR created_by = $1) ORDER BY id",
            rows::WEBHOOK_COLS
        );
        self.all(
            &sql,
            |q| q.bind(created_by.unwrap_or("").to_string()),
            |r| Ok((rows::webhook(r)?, r.try_get("last_status").map_err(Error::internal)?)),
        )
        .await
    }

    async fn enabled_webhook_configs(&self) -> Result<Vec<WebhookConfig>> {
        let sql = format!("SELECT {} FROM webhooks_config WHERE enabled = 1 ORDER BY id", rows::WEBHOOK_COLS);
        self.all(&sql, |q| q, rows::webhook).await
    }

    async fn update_webhook_config(&self, c: &WebhookConfig) -> Result<bool> {
        let r = bind_webhook_settings(
            sqlx::query(
                "UPDATE webhooks_config SET name = $1, uri = $2, secret_key = $3, enabled = $4, ssl = $5, \
                 triggers = $6, target_id = $7, modified_by = $8, modified_on = $9 WHERE id = $10",
            ),
            c,
        )
        .bind(&c.modified_by)
        .bind(c.modified_on)
        .bind(c.id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn delete_webhook_config(&self, id: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM webhooks_logs WHERE config_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let r = sqlx::query("DELETE FROM webhooks_config WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    async fn insert_webhook_logs(&self, logs: &[NewWebhookLog]) -> Result<Vec<i64>> {
        let mut ids = Vec::with_capacity(logs.len());
        let mut tx = self.begin_write().await?;
        for l in logs {
            let row = sqlx::query(
                "INSERT INTO webhooks_logs (config_id, trigger_bit, creation_time, uid, event_id, request_payload, \
                 status, attempts, next_attempt) VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $3) RETURNING id",
            )
            .bind(l.config_id)
            .bind(l.trigger)
            .bind(l.now)
            .bind(&l.uid)
            .bind(&l.event_id)
            .bind(&l.request_payload)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
            ids.push(row.try_get("id").map_err(Error::internal)?);
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn webhook_log(&self, id: i64) -> Result<Option<WebhookLog>> {
        let sql = format!(
            "SELECT {} FROM webhooks_logs l JOIN webhooks_config c ON c.id = l.config_id WHERE l.id = $1",
            rows::WEBHOOK_LOG_COLS
        );
        self.one(&sql, |q| q.bind(id), rows::webhook_log).await
    }

    async fn webhook_logs_page(&self, f: &WebhookLogQuery) -> Result<(Vec<WebhookLog>, i64)> {
        // Each filter is `$n` on one bound value; absent ones are left out.
        enum V {
            I(i64),
            S(String),
        }
        let mut conds: Vec<String> = Vec::new();
        let mut vals: Vec<V> = Vec::new();
        let mut add = |cond: &str, v: V| {
            vals.push(v);
            conds.push(cond.replace('?', &format!("${}", vals.len())));
        };
        if let Some(v) = f.delivery_from {
            add("l.delivery >= ?", V::I(v));
        }
        if let Some(v) = f.delivery_to {
            add("l.delivery <= ?", V::I(v));
        }
        if let Some(v) = &f.hook_uri {
            add("c.uri = ?", V::S(v.clone()));
        }
        if let Some(v) = f.config_id {
            add("l.config_id = ?", V::I(v));
        }
        if let Some(v) = f.event_id {
            add("l.id = ?", V::I(v));
        }
        if let Some(v) = &f.created_by {
            add("c.created_by = ?", V::S(v.clone()));
        }
        if f.trigger != 0 {
            add("l.trigger_bit = ?", V::I(f.trigger));
        }
        if f.group_status != 0 {
            let classes = [
                (1, "l.status = 0"),
                (2, "(l.status >= 200 AND l.status < 300)"),
                (4, "(l.status >= 300 AND l.status < 400)"),
                (8, "(l.status >= 400 AND l.status < 500)"),
                (16, "(l.status >= 500 AND l.status < 600)"),
            ];
            let any: Vec<&str> = classes.iter().filter(|(bit, _)| f.group_status & bit != 0).map(|(_, c)| *c).collect();
            conds.push(if any.is_empty() { "1 = 0".into() } else { format!("({})", any.join(" OR ")) });
        }
        let filter = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
        let from = format!("FROM webhooks_logs l JOIN webhooks_config c ON c.id = l.config_id {filter}");
        let n = vals.len();
        let page_sql =
            format!("SELECT {} {from} ORDER BY l.id DESC LIMIT ${} OFFSET ${}", rows::WEBHOOK_LOG_COLS, n + 1, n + 2);
        let count_sql = format!("SELECT CAST(COUNT(*) AS BIGINT) AS n {from}");
        fn bind_all<'q>(mut q: Q<'q>, vals: &'q [V]) -> Q<'q> {
            for v in vals {
                q = match v {
                    V::I(i) => q.bind(*i),
                    V::S(s) => q.bind(s.as_str()),
                };
            }
            q
        }
        let rows = bind_all(sqlx::query(&page_sql), &vals)
            .bind(f.limit)
            .bind(f.offset)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let logs = rows.iter().map(rows::webhook_log).collect::<Result<Vec<_>>>()?;
        let total = bind_all(sqlx::query(&count_sql), &vals).fetch_one(&self.pool).await.map_err(db_err)?;
        Ok((logs, total.try_get("n").map_err(Error::internal)?))
    }

    async fn claim_webhook_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        owner: &str,
        limit: i64,
    ) -> Result<Vec<WebhookLog>> {
        // SQLite has one writer at a time, so the UPDATE alone is atomic;
        // PostgreSQL skips rows another node is claiming right now, and the
        // outer condition is checked again on the locked row.
        let lock = if self.backend == "postgres" { "FOR UPDATE SKIP LOCKED" } else { "" };
        let due = "next_attempt IS NOT NULL AND next_attempt <= $1 AND (lease_until IS NULL OR lease_until <= $1)";
        let sql = format!(
            "UPDATE webhooks_logs SET lease_until = $2, lease_owner = $3 WHERE {due} AND id IN \
             (SELECT id FROM webhooks_logs WHERE {due} ORDER BY next_attempt, id LIMIT $4 {lock}) RETURNING id"
        );
        let claimed = sqlx::query(&sql)
            .bind(now)
            .bind(lease_until)
            .bind(owner)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let mut logs = Vec::with_capacity(claimed.len());
        for row in claimed {
            if let Some(l) = self.webhook_log(row.try_get("id").map_err(Error::internal)?).await? {
                logs.push(l);
            }
        }
        logs.sort_by_key(|l| l.id);
        Ok(logs)
    }

    async fn release_webhook_claims(&self, owner: &str) -> Result<()> {
        sqlx::query("UPDATE webhooks_logs SET lease_until = NULL, lease_owner = NULL WHERE lease_owner = $1")
            .bind(owner)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn finish_webhook_attempt(&self, id: i64, owner: &str, a: &WebhookAttempt) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "UPDATE webhooks_logs SET status = $1, request_payload = $2, request_headers = $3, response_payload = $4, \
             response_headers = $5, delivery = $6, attempts = attempts + 1, next_attempt = $7, lease_until = NULL, \
             lease_owner = NULL WHERE id = $8 AND lease_owner = $9",
        )
        .bind(a.status)
        .bind(&a.request_payload)
        .bind(&a.request_headers)
        .bind(a.response_payload.clone())
        .bind(a.response_headers.clone())
        .bind(a.delivered.then_some(a.now))
        .bind(a.next_attempt)
        .bind(id)
        .bind(owner)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        let config = if a.delivered {
            sqlx::query("UPDATE webhooks_config SET last_success_on = $1 WHERE id = (SELECT config_id FROM webhooks_logs WHERE id = $2)")
                .bind(a.now)
                .bind(id)
        } else {
            sqlx::query(
                "UPDATE webhooks_config SET last_failure_on = $1, last_failure_content = $2, \
                 enabled = CASE WHEN $3 = 1 THEN 0 ELSE enabled END \
                 WHERE id = (SELECT config_id FROM webhooks_logs WHERE id = $4)",
            )
            .bind(a.now)
            .bind(a.failure.clone())
            .bind(flag(a.disable_config))
            .bind(id)
        };
        config.execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await?;
        Ok(true)
    }
}

impl Db {
    /// Deletes the rows matching `condition` (on `$1`) a thousand at a time,
    /// so that a large purge never holds SQLite's write lock for long.
    async fn delete_in_batches(&self, table: &str, key: &str, condition: &str, bound: i64) -> Result<u64> {
        let sql =
            format!("DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {condition} LIMIT 1000)");
        let mut total = 0;
        loop {
            let n = sqlx::query(&sql).bind(bound).execute(&self.pool).await.map_err(db_err)?.rows_affected();
            total += n;
            if n < 1000 {
                return Ok(total);
            }
        }
    }

    /// A file's share with one subject (a person in `file_shares`, a group in
    /// `file_group_shares`): access 0 removes it, else it is set.
    async fn set_share(&self, table: &str, subject: &str, file_id: i64, id: &str, access: i64, now: i64) -> Result<()> {
        if access == 0 {
            let sql = format!("DELETE FROM {table} WHERE file_id = $1 AND {subject} = $2");
            sqlx::query(&sql).bind(file_id).bind(id.to_string()).execute(&self.pool).await.map_err(db_err)?;
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO {table} (file_id, {subject}, access, created) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (file_id, {subject}) DO UPDATE SET access = excluded.access"
        );
        let q = sqlx::query(&sql).bind(file_id).bind(id.to_string()).bind(access).bind(now);
        q.execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    /// A file's shares in one of those tables, oldest first: (subject, access).
    async fn shares_of(&self, table: &str, subject: &str, file_id: i64) -> Result<Vec<(String, i64)>> {
        let sql = format!("SELECT {subject}, access FROM {table} WHERE file_id = $1 ORDER BY created, {subject}");
        let rows = sqlx::query(&sql).bind(file_id).fetch_all(&self.pool).await.map_err(db_err)?;
        rows.iter()
            .map(|r| Ok((r.try_get(subject).map_err(Error::internal)?, r.try_get("access").map_err(Error::internal)?)))
            .collect()
    }
}
