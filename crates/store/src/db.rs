use async_trait::async_trait;
use spacelinks_core::lockout::{CounterHit, Limit};
use spacelinks_core::{
    ApiKey, AuditEntry, Error, File, FileVersion, Folder, Link, LinkChangeFn, LinkEvent, LinkEventCounts, LinkInsert,
    LinkWrite, NewFile, NewUser, NewVersion, Purged, Result, Store, User,
};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

use crate::rows;

/// The database, SQLite or PostgreSQL.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: &'static str,
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
        Ok(Db { pool, backend })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
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

fn audit_query(a: &AuditEntry) -> Q<'_> {
    sqlx::query(
        "INSERT INTO link_audit (at, actor_id, file_id, link_id, action, details) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(a.at)
    .bind(&a.actor_id)
    .bind(a.file_id)
    .bind(&a.link_id)
    .bind(a.action)
    .bind(&a.details)
}

fn version_query(file_id: i64, version: i64, v: &NewVersion) -> Q<'_> {
    sqlx::query(
        "INSERT INTO file_versions (file_id, version, size, blob_key, created, created_by, comment) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(file_id)
    .bind(version)
    .bind(v.size)
    .bind(&v.blob_key)
    .bind(v.now)
    .bind(&v.created_by)
    .bind(&v.comment)
}

fn delete_link_query(file_id: i64, link_id: &str) -> Q<'_> {
    sqlx::query("DELETE FROM links WHERE id = $1 AND file_id = $2").bind(link_id).bind(file_id)
}

fn update_link_query(l: &Link) -> Q<'_> {
    sqlx::query(
        "UPDATE links SET access = $1, title = $2, expires = $3, password_enc = $4, deny_download = $5, internal = $6 \
         WHERE id = $7 AND file_id = $8",
    )
    .bind(l.access as i64)
    .bind(&l.title)
    .bind(l.expires)
    .bind(l.password_enc.clone())
    .bind(flag(l.deny_download))
    .bind(flag(l.internal))
    .bind(&l.id)
    .bind(l.file_id)
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
        let mut tx = self.pool.begin().await.map_err(db_err)?;
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
        tx.commit().await.map_err(db_err)?;
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
            "SELECT {cols} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires > $2"
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
        let mut tx = self.pool.begin().await.map_err(db_err)?;
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
        tx.commit().await.map_err(db_err)
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
        let mut tx = self.pool.begin().await.map_err(db_err)?;
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
        tx.commit().await.map_err(db_err)?;
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

    async fn file_by_title(&self, folder_id: i64, title: &str) -> Result<Option<File>> {
        let sql = format!("{} WHERE f.folder_id = $1 AND f.title = $2 ORDER BY f.id LIMIT 1", rows::file_select());
        self.one(&sql, |q| q.bind(folder_id).bind(title.to_string()), rows::file).await
    }

    async fn delete_file(&self, id: i64) -> Result<Vec<String>> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
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
        tx.commit().await.map_err(db_err)?;
        let mut keys = vec![current.try_get::<String, _>("blob_key").map_err(Error::internal)?];
        for r in versions {
            keys.push(r.try_get("blob_key").map_err(Error::internal)?);
        }
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    async fn replace_file_content(&self, id: i64, new: &NewVersion, keep: i64) -> Result<Option<Vec<String>>> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
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
        tx.commit().await.map_err(db_err)?;
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

    async fn file_links(&self, file_id: i64, offset: i64, limit: i64) -> Result<(Vec<Link>, i64)> {
        let sql = format!(
            "SELECT {} FROM links WHERE file_id = $1 ORDER BY is_primary DESC, created, id LIMIT $2 OFFSET $3",
            rows::LINK_COLS
        );
        let links = self.all(&sql, |q| q.bind(file_id).bind(limit).bind(offset), rows::link).await?;
        let row = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM links WHERE file_id = $1")
            .bind(file_id)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok((links, row.try_get("n").map_err(Error::internal)?))
    }

    async fn primary_link(&self, file_id: i64) -> Result<Option<Link>> {
        let sql = format!("SELECT {} FROM links WHERE file_id = $1 AND is_primary = 1", rows::LINK_COLS);
        self.one(&sql, |q| q.bind(file_id), rows::link).await
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
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        // Writing to the file row first takes its lock (a row lock on
        // PostgreSQL, the write lock on SQLite), so concurrent creates on one
        // file are serialised and the count below cannot go stale.
        let touched = sqlx::query("UPDATE files SET updated = updated WHERE id = $1")
            .bind(l.file_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
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
        let row = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM links WHERE file_id = $1 AND is_primary = $2")
            .bind(l.file_id)
            .bind(flag(l.primary))
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        let n: i64 = row.try_get("n").map_err(Error::internal)?;
        if n >= max {
            return Ok(LinkInsert::LimitReached { max });
        }
        // The file lock does not cover the same id claimed on another file at
        // once; on PostgreSQL that would surface here as a unique violation.
        let inserted = sqlx::query(&format!(
            "INSERT INTO links ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING",
            rows::LINK_COLS
        ))
        .bind(&l.id)
        .bind(l.file_id)
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
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if inserted.rows_affected() == 0 {
            return Ok(LinkInsert::IdTaken);
        }
        audit_query(audit).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(LinkInsert::Inserted)
    }

    async fn update_link(&self, l: &Link, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let r = update_link_query(l).execute(&mut *tx).await.map_err(db_err)?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        audit_query(audit).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn change_link(&self, file_id: i64, link_id: &str, change: LinkChangeFn<'_>) -> Result<Option<LinkWrite>> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        // A write first takes the link row's lock (the write lock on
        // SQLite), so a concurrent change waits here and then reads what
        // this one wrote, instead of both merging into the same old row.
        let touched = sqlx::query("UPDATE links SET access = access WHERE id = $1 AND file_id = $2")
            .bind(link_id)
            .bind(file_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if touched.rows_affected() == 0 {
            return Ok(None);
        }
        let sql = format!("SELECT {} FROM links WHERE id = $1", rows::LINK_COLS);
        let row = sqlx::query(&sql).bind(link_id).fetch_one(&mut *tx).await.map_err(db_err)?;
        let write = change(&rows::link(&row)?)?;
        let audit = match &write {
            LinkWrite::Update(next, audit) => {
                update_link_query(next).execute(&mut *tx).await.map_err(db_err)?;
                audit
            }
            LinkWrite::Delete(audit) => {
                delete_link_query(file_id, link_id).execute(&mut *tx).await.map_err(db_err)?;
                audit
            }
        };
        audit_query(audit).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(Some(write))
    }

    async fn delete_link(&self, file_id: i64, link_id: &str, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let r = delete_link_query(file_id, link_id).execute(&mut *tx).await.map_err(db_err)?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        audit_query(audit).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn audit_entries(&self, file_id: i64) -> Result<Vec<AuditEntry>> {
        self.all(
            "SELECT at, actor_id, file_id, link_id, action, details FROM link_audit WHERE file_id = $1 ORDER BY id",
            |q| q.bind(file_id),
            rows::audit,
        )
        .await
    }

    async fn record_link_events(&self, events: &[LinkEvent]) -> Result<()> {
        // Multi-row INSERTs: one round trip per 100 events instead of one each.
        const ROWS: usize = 100;
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        for chunk in events.chunks(ROWS) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let n = i * 7;
                    let p: Vec<String> = (1..=7).map(|k| format!("${}", n + k)).collect();
                    format!("({})", p.join(", "))
                })
                .collect();
            // A repeated open (same dedupe key) is skipped by the unique index.
            let sql = format!(
                "INSERT INTO link_events (at, link_id, file_id, kind, ip, user_agent, dedupe_key) VALUES {} \
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
                    .bind(e.kind)
                    .bind(&e.ip)
                    .bind(&e.user_agent)
                    .bind(e.dedupe_key());
            }
            q.execute(&mut *tx).await.map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)
    }

    async fn link_events(&self, link_id: &str) -> Result<Vec<LinkEvent>> {
        self.all(
            "SELECT at, link_id, file_id, kind, ip, user_agent FROM link_events WHERE link_id = $1 ORDER BY id",
            |q| q.bind(link_id.to_string()),
            rows::event,
        )
        .await
    }

    async fn link_events_page(&self, link_id: &str, offset: i64, limit: i64) -> Result<(Vec<LinkEvent>, i64)> {
        let events = self
            .all(
                "SELECT at, link_id, file_id, kind, ip, user_agent FROM link_events WHERE link_id = $1 \
                 ORDER BY id DESC LIMIT $2 OFFSET $3",
                |q| q.bind(link_id.to_string()).bind(limit).bind(offset),
                rows::event,
            )
            .await?;
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
}
