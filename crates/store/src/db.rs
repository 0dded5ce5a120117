use async_trait::async_trait;
use spacelinks_core::{
    ApiKey, AuditEntry, Error, File, Folder, Link, LinkEvent, LinkInsert, NewFile, NewUser, Result, Store, User,
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

    async fn create_file(&self, f: &NewFile) -> Result<File> {
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
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        let id: i64 = row.try_get("id").map_err(Error::internal)?;
        self.file(id).await?.ok_or_else(|| Error::internal("file vanished after insert"))
    }

    async fn file(&self, id: i64) -> Result<Option<File>> {
        let sql = format!("{} WHERE f.id = $1", rows::file_select());
        self.one(&sql, |q| q.bind(id), rows::file).await
    }

    async fn delete_file(&self, id: i64) -> Result<Option<String>> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let row = sqlx::query("DELETE FROM files WHERE id = $1 RETURNING blob_key")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        // Explicit, so a backend without cascading foreign keys behaves the same.
        sqlx::query("DELETE FROM links WHERE file_id = $1").bind(id).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        row.map(|r| r.try_get("blob_key").map_err(Error::internal)).transpose()
    }

    async fn replace_file_content(&self, id: i64, size: i64, blob_key: &str, now: i64) -> Result<Option<String>> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        // Take the row's lock before reading, as in `insert_link`: concurrent
        // replacements then queue (instead of failing with "database is
        // locked" on SQLite) and each reads the blob its predecessor wrote
        // (instead of two handing back the same one on PostgreSQL).
        let touched = sqlx::query("UPDATE files SET updated = updated WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if touched.rows_affected() == 0 {
            return Ok(None);
        }
        let old = sqlx::query("SELECT blob_key FROM files WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("UPDATE files SET size = $1, blob_key = $2, version = version + 1, updated = $3 WHERE id = $4")
            .bind(size)
            .bind(blob_key)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(Some(old.try_get("blob_key").map_err(Error::internal)?))
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
            "INSERT INTO links ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING",
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
        let r = sqlx::query(
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
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        audit_query(audit).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn delete_link(&self, file_id: i64, link_id: &str, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let r = sqlx::query("DELETE FROM links WHERE id = $1 AND file_id = $2")
            .bind(link_id)
            .bind(file_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
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
                    let n = i * 6;
                    format!("(${}, ${}, ${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4, n + 5, n + 6)
                })
                .collect();
            let sql = format!(
                "INSERT INTO link_events (at, link_id, file_id, kind, ip, user_agent) VALUES {}",
                rows.join(", ")
            );
            // Only the full-size statement is kept prepared: the sizes of
            // the last chunks vary and would crowd the statement cache.
            let mut q = sqlx::query(&sql).persistent(chunk.len() == ROWS);
            for e in chunk {
                q = q.bind(e.at).bind(&e.link_id).bind(e.file_id).bind(e.kind).bind(&e.ip).bind(&e.user_agent);
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

    async fn password_failures(&self, link_id: &str, ip: &str, since: i64) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN ip = $2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS per_ip, \
             CAST(COUNT(*) AS BIGINT) AS per_link FROM password_failures WHERE link_id = $1 AND at > $3",
        )
        .bind(link_id)
        .bind(ip)
        .bind(since)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        Ok((row.try_get("per_ip").map_err(Error::internal)?, row.try_get("per_link").map_err(Error::internal)?))
    }

    async fn add_password_failure(&self, link_id: &str, ip: &str, now: i64, forget_before: i64) -> Result<()> {
        sqlx::query("INSERT INTO password_failures (link_id, ip, at) VALUES ($1, $2, $3)")
            .bind(link_id)
            .bind(ip)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM password_failures WHERE at < $1")
            .bind(forget_before)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
