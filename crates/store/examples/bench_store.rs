//! Benchmark helper for `bench/run`; built only with `--features bench`.
//!
//! `seed URL SECRET_KEY_FILE TEMPLATE_FILE_ID LINKS SAMPLE`: bulk-inserts
//! `LINKS` links straight through the store (multi-row INSERTs in
//! transactions), 7 per file (1 primary + 6 additional, DocSpace's limit) on
//! new files owned by the owner that copy the template file's content. Prints
//! JSON with `SAMPLE` links drawn uniformly from the new ones, each with its
//! share token (derived from `secret.key` as the server does).
//!
//! `write-ceiling URL SECONDS CONCURRENCY`: the store's own rate of link
//! updates (`Store::update_link`: the UPDATE and its audit row in one
//! transaction) on the links already in the database, from `CONCURRENCY`
//! tasks sharing one pool for `SECONDS`: the ceiling `PUT .../links` is
//! measured against. Prints JSON.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::seq::index::sample;
use spacelinks_core::crypto::{new_short_code, Secrets};
use spacelinks_core::{AuditEntry, Store};
use spacelinks_store::Db;
use sqlx::Row;

const LINKS_PER_FILE: usize = 7;
const ROWS_PER_INSERT: usize = 1000;
const INSERTS_PER_TX: usize = 50;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("seed") if args.len() == 6 => {
            seed(&args[1], &args[2], args[3].parse()?, args[4].parse()?, args[5].parse()?).await
        }
        Some("write-ceiling") if args.len() == 4 => write_ceiling(&args[1], args[2].parse()?, args[3].parse()?).await,
        _ => anyhow::bail!(
            "usage: bench_store seed URL SECRET_KEY_FILE TEMPLATE_FILE_ID LINKS SAMPLE\n       bench_store write-ceiling URL SECONDS CONCURRENCY"
        ),
    }
}

fn hex_decode(s: &str) -> anyhow::Result<Vec<u8>> {
    let s = s.trim();
    anyhow::ensure!(s.len() % 2 == 0, "odd hex length");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).context("not hex")).collect()
}

fn now_micros() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

fn placeholders(rows: usize, per_row: usize, literal_tail: &str) -> String {
    (0..rows)
        .map(|r| {
            let ps: Vec<String> = (1..=per_row).map(|c| format!("${}", r * per_row + c)).collect();
            format!("({}{literal_tail})", ps.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn seed(url: &str, secret_file: &str, template: i64, links: usize, sample_n: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    let secrets = Secrets::from_master(&hex_decode(&std::fs::read_to_string(secret_file)?)?);
    let db = Db::open(url).await?;
    let pool = db.pool();
    let owner = sqlx::query("SELECT id, my_folder_id FROM users WHERE is_owner = 1 ORDER BY created LIMIT 1")
        .fetch_one(pool)
        .await?;
    let owner_id: String = owner.try_get("id")?;
    let folder_id: i64 = owner.try_get("my_folder_id")?;
    let tpl = sqlx::query("SELECT size, blob_key FROM files WHERE id = $1").bind(template).fetch_one(pool).await?;
    let size: i64 = tpl.try_get("size")?;
    let blob_key: String = tpl.try_get("blob_key")?;
    let now = now_micros();

    // Files first: their ids come back from RETURNING.
    let n_files = links.div_ceil(LINKS_PER_FILE);
    let mut file_ids = Vec::with_capacity(n_files);
    let mut tx = pool.begin().await?;
    for (batch, start) in (0..n_files).step_by(ROWS_PER_INSERT).enumerate() {
        let rows = ROWS_PER_INSERT.min(n_files - start);
        let sql = format!(
            "INSERT INTO files (folder_id, owner_id, title, size, blob_key, version, created, updated) VALUES {} RETURNING id",
            placeholders(rows, 5, &format!(", 1, {now}, {now}"))
        );
        let mut q = sqlx::query(&sql);
        for i in start..start + rows {
            q = q
                .bind(folder_id)
                .bind(owner_id.clone())
                .bind(format!("seed-{i}.txt"))
                .bind(size)
                .bind(blob_key.clone());
        }
        for r in q.fetch_all(&mut *tx).await? {
            file_ids.push(r.try_get::<i64, _>("id")?);
        }
        if batch % INSERTS_PER_TX == INSERTS_PER_TX - 1 {
            tx.commit().await?;
            tx = pool.begin().await?;
        }
    }
    tx.commit().await?;

    // Links: the i-th link belongs to file i / 7; the first of each file is primary.
    let link_ids: Vec<String> = (0..links).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let mut tx = pool.begin().await?;
    for (batch, start) in (0..links).step_by(ROWS_PER_INSERT).enumerate() {
        let rows = ROWS_PER_INSERT.min(links - start);
        let sql = format!(
            "INSERT INTO links (id, file_id, is_primary, title, short_code, created_by, created, access, expires, password_enc, deny_download, internal) VALUES {}",
            placeholders(rows, 7, ", 2, NULL, NULL, 0, 0")
        );
        let mut q = sqlx::query(&sql);
        for (i, id) in link_ids.iter().enumerate().skip(start).take(rows) {
            let nth = i % LINKS_PER_FILE;
            q = q
                .bind(id.clone())
                .bind(file_ids[i / LINKS_PER_FILE])
                .bind((nth == 0) as i64)
                .bind(if nth == 0 { "Shared link".to_string() } else { format!("Link {nth}") })
                .bind(new_short_code())
                .bind(owner_id.clone())
                .bind(now + i as i64);
        }
        q.execute(&mut *tx).await?;
        if batch % INSERTS_PER_TX == INSERTS_PER_TX - 1 {
            tx.commit().await?;
            tx = pool.begin().await?;
        }
    }
    tx.commit().await?;

    let mut rng = rand::thread_rng();
    let picked: Vec<serde_json::Value> = sample(&mut rng, links, sample_n.min(links))
        .into_iter()
        .map(|i| {
            serde_json::json!({
                "fileId": file_ids[i / LINKS_PER_FILE],
                "linkId": link_ids[i],
                "token": secrets.share_token(&link_ids[i], ""),
            })
        })
        .collect();
    let total: i64 =
        sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM links").fetch_one(pool).await?.try_get("n")?;
    println!(
        "{}",
        serde_json::json!({
            "links": links, "files": n_files, "linksInDatabase": total,
            "seconds": started.elapsed().as_secs_f64(), "sample": picked,
        })
    );
    Ok(())
}

async fn write_ceiling(url: &str, seconds: f64, concurrency: usize) -> anyhow::Result<()> {
    let db = Db::open(url).await?;
    let ids: Vec<String> = sqlx::query("SELECT id FROM links ORDER BY id")
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| r.get("id"))
        .collect();
    anyhow::ensure!(!ids.is_empty(), "no links to update");
    let mut links = Vec::new();
    for id in &ids {
        links.push(db.link(id).await?.context("link vanished")?);
    }
    let links = Arc::new(links);
    let store: Arc<dyn Store> = Arc::new(db);
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let (store, links, done) = (store.clone(), links.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0usize;
            while Instant::now() < deadline {
                let mut link = links[(t + n * concurrency) % links.len()].clone();
                link.title = format!("ceiling {t}-{n}");
                let audit = AuditEntry {
                    at: now_micros(),
                    actor_id: link.created_by.clone(),
                    entry: link.entry,
                    link_id: link.id.clone(),
                    action: "link.updated",
                    details: serde_json::json!({ "changed": ["title"], "access": link.access, "title": link.title })
                        .to_string(),
                };
                store.update_link(&link, &audit).await?;
                done.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    println!("{}", serde_json::json!({ "updates": n, "seconds": secs, "perSecond": n as f64 / secs }));
    Ok(())
}
