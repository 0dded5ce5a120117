//! Store conformance suite: every method of `spacelinks_core::Store`, checked
//! once and run against SQLite always and against PostgreSQL when
//! `SPACELINKS_TEST_DATABASE_URL` is set (for example
//! `postgres://postgres@127.0.0.1:5432/test`). Each PostgreSQL test runs in
//! a fresh schema of its own, dropped afterwards.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use spacelinks_api_types::{FileShare, UserType};
use spacelinks_core::lockout::{CounterHit, Limit};
use spacelinks_core::{
    ApiKey, AuditEntry, Entry, EntryMove, Error, EventKind, File, Folder, Group, Link, LinkEvent, LinkEventCounts,
    LinkInsert, NewFile, NewUser, NewVersion, NewWebhookLog, Store, User, WebhookAttempt, WebhookConfig,
    WebhookLogQuery,
};
use spacelinks_store::Db;
use sqlx::postgres::{PgPool, PgPoolOptions};
use tempfile::TempDir;

// ---------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------

const PG_URL_VAR: &str = "SPACELINKS_TEST_DATABASE_URL";

/// A fresh SQLite database in a temporary directory (kept alive by the guard).
async fn open_sqlite() -> (Db, TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/db.sqlite?mode=rwc", dir.path().display());
    let db = Db::open(&url).await.expect("open sqlite");
    assert_eq!(db.backend(), "sqlite");
    (db, dir)
}

/// A PostgreSQL database confined to a schema of its own.
struct PgTest {
    db: Db,
    admin: PgPool,
    schema: String,
}

impl PgTest {
    /// `None` (after saying so) when no PostgreSQL URL is configured.
    async fn open(test: &str) -> Option<PgTest> {
        let url = match std::env::var(PG_URL_VAR) {
            Ok(url) if !url.trim().is_empty() => url,
            _ => {
                println!("skipped postgres::{test}: {PG_URL_VAR} is unset");
                return None;
            }
        };
        let admin = PgPoolOptions::new().max_connections(1).connect(&url).await.expect("connect to postgres");
        let schema = format!("spacelinks_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await.expect("create schema");
        let sep = if url.contains('?') { '&' } else { '?' };
        let db = Db::open(&format!("{url}{sep}options=-c%20search_path%3D{schema}")).await.expect("open postgres");
        assert_eq!(db.backend(), "postgres");
        // The migrations must have landed in the test schema, not elsewhere.
        let (tables,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'links'",
        )
        .bind(&schema)
        .fetch_one(&admin)
        .await
        .expect("inspect schema");
        assert_eq!(tables, 1, "migrations did not run in schema {schema}");
        Some(PgTest { db, admin, schema })
    }

    /// Drops the schema, then re-raises a failure of the check, if any.
    async fn finish(self, outcome: std::thread::Result<()>) {
        self.db.pool().close().await;
        let dropped = sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.schema)).execute(&self.admin).await;
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
        dropped.expect("drop schema");
    }
}

/// Generates `sqlite::<check>` and `postgres::<check>` tests for each check.
macro_rules! conformance_tests {
    ($($check:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let (db, _dir) = super::open_sqlite().await;
                    super::$check(&db).await;
                }
            )+
        }

        mod postgres {
            use futures::FutureExt;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let Some(pg) = super::PgTest::open(stringify!($check)).await else { return };
                    let outcome = super::AssertUnwindSafe(super::$check(&pg.db)).catch_unwind().await;
                    pg.finish(outcome).await;
                }
            )+
        }
    };
}

conformance_tests!(
    users,
    sessions,
    api_keys,
    folders,
    folder_paging,
    files,
    link_flags_on_files,
    links,
    link_limits,
    link_events,
    lockout_counters,
    lockout_backoff,
    concurrent_attempts,
    opened_events_dedupe,
    purges,
    concurrent_link_inserts,
    concurrent_content_replacements,
    concurrent_link_id_claims,
    concurrent_link_updates,
    change_link_decides_under_the_lock,
    fsck_finds_and_repairs,
    web_sessions_and_passwords,
    empty_folder_deletion,
    active_link_counts,
    link_event_pages_and_counts,
    webhook_configs_and_log,
    concurrent_webhook_claims,
    link_controls_round_trip,
    concurrent_link_uses,
    events_with_reasons_and_bytes,
    folder_links,
    concurrent_folder_link_inserts,
    folder_trees,
    file_operations,
    renames_and_titles,
    marks_and_locks,
    file_shares,
    groups_and_group_shares,
    disabled_users,
    version_groups_and_moves,
);

// ---------------------------------------------------------------------------
// Folder links (issue 12)
// ---------------------------------------------------------------------------

fn folder_link(id: &str, folder_id: i64, primary: bool, created: i64) -> Link {
    Link { entry: Entry::Folder(folder_id), ..link(id, 0, primary, created) }
}

async fn folder_links(store: &dyn Store) {
    let (owner, root) = owner_and_root(store).await;
    let shared = store.create_folder(&root, "Shared", T0).await.unwrap();
    let other = store.create_folder(&root, "Other", T0).await.unwrap();
    let file = create_file(store, shared.id, &owner, "a.txt").await;
    assert!(!store.folder(shared.id).await.unwrap().unwrap().has_links);

    // A folder link and a file link side by side; limits count per entry.
    let fl = folder_link("f1", shared.id, false, T0 + 1);
    assert_eq!(insert(store, &fl, 1).await, LinkInsert::Inserted);
    assert_eq!(insert(store, &link("k1", file.id, false, T0 + 2), 1).await, LinkInsert::Inserted);
    assert_eq!(
        insert(store, &folder_link("f2", shared.id, false, T0 + 3), 1).await,
        LinkInsert::LimitReached { max: 1 }
    );
    assert_eq!(insert(store, &folder_link("o1", other.id, false, T0 + 3), 1).await, LinkInsert::Inserted);
    assert_eq!(insert(store, &folder_link("gone", i64::MAX, false, T0 + 3), 6).await, LinkInsert::FileGone);
    // One primary per folder, also in the database.
    assert_eq!(insert(store, &folder_link("p1", shared.id, true, T0 + 4), 6).await, LinkInsert::Inserted);
    let db_refuses = folder_link("p2", shared.id, true, T0 + 5);
    // Past a too-generous limit, the unique index still refuses.
    assert!(store.insert_link(&db_refuses, 6, &audit("link.created", &db_refuses, T0 + 5)).await.is_err());
    assert_eq!(insert(store, &db_refuses, 1).await, LinkInsert::LimitReached { max: 1 });
    assert_eq!(store.primary_link(Entry::Folder(shared.id)).await.unwrap().map(|l| l.id), Some("p1".into()));
    assert!(store.primary_link(Entry::File(file.id)).await.unwrap().is_none());

    let (page, total) = store.entry_links(Entry::Folder(shared.id), 0, 10).await.unwrap();
    assert_eq!((link_ids(&page), total), (vec!["p1", "f1"], 2));
    assert_eq!(store.entry_links(Entry::File(file.id), 0, 10).await.unwrap().1, 1);
    assert_eq!(store.link("f1").await.unwrap().as_ref(), Some(&fl));
    // The recipient's one-query lookup is for file links only.
    assert!(store.link_with_file("f1").await.unwrap().is_none());
    assert!(store.link_with_file("k1").await.unwrap().is_some());

    let f = store.folder(shared.id).await.unwrap().unwrap();
    assert!(f.has_links && f.has_public_links);
    let internal = Link { internal: true, ..folder_link("i1", other.id, false, T0) };
    assert_eq!(insert(store, &internal, 6).await, LinkInsert::Inserted);
    store
        .delete_link(
            Entry::Folder(other.id),
            "o1",
            &audit("link.deleted", &folder_link("o1", other.id, false, T0), T0 + 6),
        )
        .await
        .unwrap();
    let o = store.folder(other.id).await.unwrap().unwrap();
    assert!(o.has_links && !o.has_public_links);

    // Update and delete under the entry: a folder link is not reachable as a file's.
    let renamed = Link { title: "renamed".into(), ..fl.clone() };
    assert!(store.update_link(&renamed, &audit("link.updated", &renamed, T0 + 7)).await.unwrap());
    assert!(!store.delete_link(Entry::File(shared.id), "f1", &audit("link.deleted", &fl, T0 + 8)).await.unwrap());
    let never =
        |_: &Link| -> spacelinks_core::Result<spacelinks_core::LinkWrite> { panic!("called for another entry") };
    assert!(store.change_link(Entry::File(shared.id), "f1", Box::new(never)).await.unwrap().is_none());
    let write = store
        .change_link(
            Entry::Folder(shared.id),
            "f1",
            Box::new(|cur: &Link| Ok(spacelinks_core::LinkWrite::Delete(audit("link.deleted", cur, T0 + 9)))),
        )
        .await
        .unwrap();
    assert!(matches!(write, Some(spacelinks_core::LinkWrite::Delete(_))));
    let trail = store.audit_entries(Entry::Folder(shared.id)).await.unwrap();
    assert_eq!(
        trail.iter().map(|a| a.action).collect::<Vec<_>>(),
        ["link.created", "link.created", "link.updated", "link.deleted"]
    );
    assert!(trail.iter().all(|a| a.entry == Entry::Folder(shared.id)));
    assert_eq!(store.audit_entries(Entry::File(file.id)).await.unwrap().len(), 1);

    // Deleting the folder takes its links along.
    assert!(store.delete_empty_folder(other.id).await.unwrap());
    assert!(store.link("i1").await.unwrap().is_none());
}

async fn concurrent_folder_link_inserts(db: &Db) {
    let store: &dyn Store = db;
    let (_, root) = owner_and_root(store).await;
    let shared = store.create_folder(&root, "Shared", T0).await.unwrap();
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let db = db.clone();
            let l = folder_link(&format!("c{i}"), shared.id, false, T0 + i);
            tokio::spawn(async move { insert(&db, &l, 6).await })
        })
        .collect();
    let mut inserted = 0;
    for t in tasks {
        if t.await.unwrap() == LinkInsert::Inserted {
            inserted += 1;
        }
    }
    assert_eq!(inserted, 6);
    assert_eq!(store.entry_links(Entry::Folder(shared.id), 0, 100).await.unwrap().1, 6);
}

async fn folder_trees(store: &dyn Store) {
    let (owner, root) = owner_and_root(store).await;
    let shared = store.create_folder(&root, "Shared", T0).await.unwrap();
    let sub = store.create_folder(&shared, "Sub", T0).await.unwrap();
    let deep = store.create_folder(&sub, "Deep", T0).await.unwrap();
    let sibling = store.create_folder(&root, "Sibling", T0).await.unwrap();
    for (f, t) in [(&shared, "a"), (&sub, "b"), (&deep, "c"), (&sibling, "s"), (&root, "r")] {
        create_file(store, f.id, &owner, t).await;
    }
    for inside in [shared.id, sub.id, deep.id] {
        assert!(store.folder_within(inside, shared.id).await.unwrap(), "{inside} is below the shared folder");
    }
    for outside in [root.id, sibling.id, i64::MAX] {
        assert!(!store.folder_within(outside, shared.id).await.unwrap(), "{outside} is not below it");
    }
    assert!(store.folder_within(deep.id, sub.id).await.unwrap());
    assert!(!store.folder_within(sub.id, deep.id).await.unwrap());
    let (folders, files) = store.folder_tree(shared.id).await.unwrap();
    let mut names: Vec<_> = folders.iter().map(|f| f.title.as_str()).collect();
    names.sort();
    assert_eq!(names, ["Deep", "Sub"]);
    let mut titles: Vec<_> = files.iter().map(|f| f.title.as_str()).collect();
    titles.sort();
    assert_eq!(titles, ["a", "b", "c"]);
    let (folders, files) = store.folder_tree(deep.id).await.unwrap();
    assert!(folders.is_empty());
    assert_eq!(files.len(), 1);
}

async fn file_operations(store: &dyn Store) {
    let op = |id: &str, owner: &str, created: i64| spacelinks_core::FileOperation {
        id: id.into(),
        owner: owner.into(),
        operation: 3,
        link_id: Some("link-1".into()),
        token_salt: "salt".into(),
        folder_ids: vec![1, 2],
        file_ids: vec![],
        created,
    };
    store.insert_operation(&op("a", "u1", T0)).await.unwrap();
    store.insert_operation(&op("b", "u1", T0 + 10)).await.unwrap();
    store.insert_operation(&op("c", "link:x", T0 + 20)).await.unwrap();
    let mine: Vec<_> = store.operations("u1", T0 - 1).await.unwrap().into_iter().map(|o| o.id).collect();
    assert_eq!(mine, ["a", "b"]);
    assert_eq!(store.operations("u1", T0 + 5).await.unwrap().len(), 1);
    assert_eq!(store.operation("c").await.unwrap(), Some(op("c", "link:x", T0 + 20)));
    let owner_op = spacelinks_core::FileOperation { link_id: None, file_ids: vec![7], ..op("d", "u2", T0) };
    store.insert_operation(&owner_op).await.unwrap();
    assert_eq!(store.operation("d").await.unwrap(), Some(owner_op));
    assert_eq!(store.purge_operations(T0 + 15).await.unwrap(), 3);
    assert!(store.operation("a").await.unwrap().is_none());
    assert!(store.operation("c").await.unwrap().is_some());
}

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

/// An arbitrary "now", in microseconds since the epoch.
const T0: i64 = 1_700_000_000_000_000;

fn new_user(email: &str, first: &str, last: &str) -> NewUser {
    NewUser {
        email: email.into(),
        first_name: first.into(),
        last_name: last.into(),
        password_hash: format!("hash-of-{email}"),
        user_type: UserType::User,
        is_owner: false,
    }
}

async fn create_user(store: &dyn Store, email: &str) -> User {
    store.create_user(&new_user(email, "Test", "User"), T0).await.expect("create user")
}

/// A user and their My Documents folder.
async fn owner_and_root(store: &dyn Store) -> (User, Folder) {
    let user = create_user(store, "owner@example.com").await;
    let root = store.folder(user.my_folder_id).await.expect("folder").expect("My Documents exists");
    (user, root)
}

async fn create_file(store: &dyn Store, folder_id: i64, owner: &User, title: &str) -> File {
    let new = NewFile {
        folder_id,
        owner_id: owner.id.clone(),
        title: title.into(),
        size: 10,
        blob_key: format!("blob-{title}"),
        now: T0,
    };
    store.create_file(&new).await.expect("create file")
}

fn new_version(size: i64, blob_key: &str, now: i64) -> NewVersion {
    NewVersion { size, blob_key: blob_key.into(), now, created_by: "someone".into(), comment: "Uploaded".into() }
}

/// A plain read-only, non-internal link with a code derived from its id.
fn link(id: &str, file_id: i64, primary: bool, created: i64) -> Link {
    Link {
        id: id.into(),
        entry: Entry::File(file_id),
        primary,
        access: FileShare::Read,
        title: format!("Link {id}"),
        expires: None,
        password_enc: None,
        deny_download: false,
        internal: false,
        short_code: format!("code-{id}"),
        created_by: "creator".into(),
        created,
        token_salt: format!("salt{id}"),
        max_uses: None,
        use_count: 0,
        allowed_networks: Vec::new(),
    }
}

fn audit(action: &'static str, l: &Link, at: i64) -> AuditEntry {
    AuditEntry {
        at,
        actor_id: l.created_by.clone(),
        entry: l.entry,
        link_id: l.id.clone(),
        action,
        details: format!(r#"{{"link":"{}","action":"{action}"}}"#, l.id),
    }
}

/// Inserts with a `link.created` audit row at the link's creation time.
async fn insert(store: &dyn Store, l: &Link, max: i64) -> LinkInsert {
    store.insert_link(l, max, &audit("link.created", l, l.created)).await.expect("insert link")
}

fn audit_key(a: &AuditEntry) -> (i64, String, Entry, String, &'static str, String) {
    (a.at, a.actor_id.clone(), a.entry, a.link_id.clone(), a.action, a.details.clone())
}

fn event_key(e: &LinkEvent) -> (i64, String, i64, &'static str, String, String) {
    (e.at, e.link_id.clone(), e.file_id, e.kind.stored(), e.ip.clone(), e.user_agent.clone())
}

fn link_ids(links: &[Link]) -> Vec<&str> {
    links.iter().map(|l| l.id.as_str()).collect()
}

fn key_ids(keys: &[ApiKey]) -> Vec<&str> {
    keys.iter().map(|k| k.id.as_str()).collect()
}

/// Titles of one folder page, folders first.
fn page_titles((folders, files, _): &(Vec<Folder>, Vec<File>, i64)) -> Vec<String> {
    folders.iter().map(|d| d.title.clone()).chain(files.iter().map(|f| f.title.clone())).collect()
}

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

async fn users(store: &dyn Store) {
    assert_eq!(store.count_users().await.unwrap(), 0);

    let mut new = new_user("Alice@Example.com", "Alice", "Smith");
    new.user_type = UserType::DocSpaceAdmin;
    new.is_owner = true;
    let alice = store.create_user(&new, T0).await.expect("create alice");
    assert!(!alice.id.is_empty());
    assert_eq!(alice.email, "Alice@Example.com");
    assert_eq!((alice.first_name.as_str(), alice.last_name.as_str()), ("Alice", "Smith"));
    assert_eq!(alice.password_hash, "hash-of-Alice@Example.com");
    assert_eq!(alice.user_type, UserType::DocSpaceAdmin);
    assert!(alice.is_owner);
    assert_eq!(alice.created, T0);

    // My Documents is created with the user and recorded on them.
    assert_ne!(alice.my_folder_id, 0);
    let my = store.folder(alice.my_folder_id).await.unwrap().expect("My Documents");
    assert_eq!(my.parent_id, None);
    assert!(my.is_root());
    assert_eq!(my.owner.id, alice.id);
    assert_eq!(my.owner.display_name, "Alice Smith");
    assert_eq!(my.owner.my_folder_id, alice.my_folder_id);
    assert_eq!((my.created, my.updated), (T0, T0));

    // A second user gets their own folder; without a name, the email shows.
    let bob = store.create_user(&new_user("bob@example.com", "", ""), T0 + 1).await.expect("create bob");
    assert_ne!(bob.id, alice.id);
    assert_ne!(bob.my_folder_id, alice.my_folder_id);
    assert!(!bob.is_owner);
    assert_eq!(bob.user_type, UserType::User);
    let bobs = store.folder(bob.my_folder_id).await.unwrap().expect("bob's folder");
    assert_eq!(bobs.owner.id, bob.id);
    assert_eq!(bobs.owner.display_name, "bob@example.com");

    // Lookups.
    let by_id = store.user_by_id(&alice.id).await.unwrap().expect("by id");
    assert_eq!((by_id.email.as_str(), by_id.my_folder_id), ("Alice@Example.com", alice.my_folder_id));
    assert!(store.user_by_id("no-such-user").await.unwrap().is_none());
    for spelling in ["Alice@Example.com", "alice@example.com", "ALICE@EXAMPLE.COM"] {
        let found = store.user_by_email(spelling).await.unwrap();
        assert_eq!(found.map(|u| u.id), Some(alice.id.clone()), "lookup of {spelling}");
    }
    assert_eq!(store.user_by_email("BOB@example.COM").await.unwrap().map(|u| u.id), Some(bob.id.clone()));
    assert!(store.user_by_email("carol@example.com").await.unwrap().is_none());

    // Duplicates are refused, whatever the case, and leave nothing behind.
    for dup in ["Alice@Example.com", "alice@example.com"] {
        match store.create_user(&new_user(dup, "Other", "Alice"), T0 + 2).await {
            Err(Error::BadRequest(_)) => {}
            other => panic!("duplicate {dup}: expected BadRequest, got {other:?}"),
        }
    }
    assert_eq!(store.count_users().await.unwrap(), 2);
    let still = store.user_by_email("alice@example.com").await.unwrap().expect("alice");
    assert_eq!((still.id, still.first_name), (alice.id, "Alice".to_string()));
}

async fn sessions(store: &dyn Store) {
    let alice = create_user(store, "alice@example.com").await;
    let bob = create_user(store, "bob@example.com").await;
    store.create_session("token-a", &alice.id, T0 + 100).await.unwrap();
    store.create_session("token-b", &bob.id, T0 + 1_000).await.unwrap();

    let user = store.session_user("token-a", T0).await.unwrap().expect("live session");
    assert_eq!((user.id.as_str(), user.email.as_str()), (alice.id.as_str(), "alice@example.com"));
    assert_eq!(user.my_folder_id, alice.my_folder_id);
    assert_eq!(store.session_user("token-a", T0 + 99).await.unwrap().map(|u| u.id), Some(alice.id.clone()));
    // Expired at its expiry instant and after.
    assert!(store.session_user("token-a", T0 + 100).await.unwrap().is_none());
    assert!(store.session_user("token-a", T0 + 500).await.unwrap().is_none());
    // Other sessions are unaffected; unknown tokens find nobody.
    assert_eq!(store.session_user("token-b", T0 + 500).await.unwrap().map(|u| u.id), Some(bob.id));
    assert!(store.session_user("token-c", T0).await.unwrap().is_none());
    // Sign-out deletes exactly that session.
    store.create_session("token-a2", &alice.id, T0 + 1_000).await.unwrap();
    assert!(store.delete_session("token-a2").await.unwrap());
    assert!(!store.delete_session("token-a2").await.unwrap());
    assert!(store.session_user("token-a2", T0).await.unwrap().is_none());
    assert!(store.session_user("token-b", T0).await.unwrap().is_some());
}

async fn api_keys(store: &dyn Store) {
    let alice = create_user(store, "alice@example.com").await;
    let bob = create_user(store, "bob@example.com").await;
    let key = |id: &str, user: &User, created: i64| ApiKey {
        id: id.into(),
        user_id: user.id.clone(),
        name: format!("key {id}"),
        key_hash: format!("hash-{id}"),
        postfix: format!("…{id}"),
        permissions: vec!["files:read".into(), "links:write".into()],
        created,
        expires: Some(created + 1_000_000),
        last_used: None,
        is_active: true,
    };
    let k1 = key("k1", &alice, T0);
    let k2 = ApiKey { permissions: vec![], expires: None, is_active: false, ..key("k2", &bob, T0 + 10) };
    let k3 = key("k3", &alice, T0 + 20);
    // Inserted out of creation order, so the listing order must come from `created`.
    for k in [&k3, &k1, &k2] {
        store.create_api_key(k).await.expect("create api key");
    }

    let found = store.api_key_by_hash("hash-k1").await.unwrap().expect("k1 by hash");
    assert_eq!(format!("{found:?}"), format!("{k1:?}"), "k1 round-trips");
    let found = store.api_key("k2").await.unwrap().expect("k2 by id");
    assert_eq!(format!("{found:?}"), format!("{k2:?}"), "k2 round-trips");
    assert!(store.api_key_by_hash("hash-none").await.unwrap().is_none());
    assert!(store.api_key("none").await.unwrap().is_none());
    // The one-query lookup behind every request with a key: the key as
    // stored and its user, as the two lookups it replaces read them.
    let (found, user) = store.api_key_with_user("hash-k2").await.unwrap().expect("k2 with its user");
    assert_eq!(format!("{found:?}"), format!("{k2:?}"), "k2 round-trips with its user");
    assert_eq!(format!("{user:?}"), format!("{:?}", store.user_by_id(&bob.id).await.unwrap().unwrap()));
    assert!(store.api_key_with_user("hash-none").await.unwrap().is_none());

    // A second key with the same hash would make lookups ambiguous.
    let dup = ApiKey { id: "k4".into(), ..k1.clone() };
    assert!(store.create_api_key(&dup).await.is_err(), "duplicate key hash accepted");

    store.touch_api_key("k1", T0 + 500).await.unwrap();
    assert_eq!(store.api_key("k1").await.unwrap().unwrap().last_used, Some(T0 + 500));
    store.touch_api_key("k1", T0 + 600).await.unwrap();
    assert_eq!(store.api_key_by_hash("hash-k1").await.unwrap().unwrap().last_used, Some(T0 + 600));
    assert_eq!(store.api_key("k3").await.unwrap().unwrap().last_used, None, "touch hit another key");

    assert_eq!(key_ids(&store.list_api_keys(None).await.unwrap()), ["k3", "k2", "k1"]);
    assert_eq!(key_ids(&store.list_api_keys(Some(&alice.id)).await.unwrap()), ["k3", "k1"]);
    assert_eq!(key_ids(&store.list_api_keys(Some(&bob.id)).await.unwrap()), ["k2"]);
    assert!(store.list_api_keys(Some("nobody")).await.unwrap().is_empty());

    assert!(store.delete_api_key("k3").await.unwrap());
    assert!(!store.delete_api_key("k3").await.unwrap());
    assert!(!store.delete_api_key("none").await.unwrap());
    assert!(store.api_key("k3").await.unwrap().is_none());
    assert!(store.api_key_by_hash("hash-k3").await.unwrap().is_none());
    assert_eq!(key_ids(&store.list_api_keys(Some(&alice.id)).await.unwrap()), ["k1"]);
    assert_eq!(key_ids(&store.list_api_keys(None).await.unwrap()), ["k2", "k1"]);
}

async fn folders(store: &dyn Store) {
    let (alice, root) = owner_and_root(store).await;
    assert_eq!(store.folder_counts(root.id).await.unwrap(), (0, 0));
    assert!(store.folder(i64::MAX).await.unwrap().is_none());

    let projects = store.create_folder(&root, "Projects", T0 + 5).await.expect("create folder");
    assert_ne!(projects.id, root.id);
    assert_eq!(projects.parent_id, Some(root.id));
    assert!(!projects.is_root());
    assert_eq!(projects.title, "Projects");
    assert_eq!((projects.created, projects.updated), (T0 + 5, T0 + 5));
    assert_eq!(projects.owner.id, alice.id);
    assert_eq!(projects.owner.my_folder_id, root.id);
    let again = store.folder(projects.id).await.unwrap().expect("read back");
    assert_eq!(format!("{again:?}"), format!("{projects:?}"));

    let deep = store.create_folder(&projects, "Deep", T0 + 6).await.unwrap();
    assert_eq!(deep.parent_id, Some(projects.id));
    create_file(store, root.id, &alice, "top.txt").await;
    create_file(store, projects.id, &alice, "inner-1.txt").await;
    create_file(store, projects.id, &alice, "inner-2.txt").await;
    create_file(store, deep.id, &alice, "deepest.txt").await;

    // Only direct children count: (files, folders).
    assert_eq!(store.folder_counts(root.id).await.unwrap(), (1, 1));
    assert_eq!(store.folder_counts(projects.id).await.unwrap(), (2, 1));
    assert_eq!(store.folder_counts(deep.id).await.unwrap(), (1, 0));
    assert_eq!(store.folder_counts(i64::MAX).await.unwrap(), (0, 0));
}

async fn folder_paging(store: &dyn Store) {
    let (alice, root) = owner_and_root(store).await;
    let dir = store.create_folder(&root, "Paging", T0).await.unwrap();
    // Created out of order: the page order must come from the titles.
    let mut children = Vec::new();
    for title in ["Charlie", "Alpha", "Bravo"] {
        children.push(store.create_folder(&dir, title, T0).await.unwrap());
    }
    for title in ["delta.txt", "alpha.txt", "charlie.txt", "bravo.txt"] {
        create_file(store, dir.id, &alice, title).await;
    }
    // Grandchildren and siblings must not leak into the page.
    store.create_folder(&children[1], "Nested", T0).await.unwrap();
    create_file(store, children[1].id, &alice, "nested.txt").await;
    create_file(store, root.id, &alice, "elsewhere.txt").await;

    assert_eq!(store.folder_counts(dir.id).await.unwrap(), (4, 3));
    let all = ["Alpha", "Bravo", "Charlie", "alpha.txt", "bravo.txt", "charlie.txt", "delta.txt"];

    let page = store.folder_page(dir.id, 0, 100).await.unwrap();
    assert_eq!(page_titles(&page), all);
    assert_eq!(page.2, 7);
    assert!(page.0.iter().all(|d| d.parent_id == Some(dir.id) && d.owner.id == alice.id));
    assert!(page.1.iter().all(|f| f.folder_id == dir.id && f.owner.id == alice.id));

    // (offset, limit) → (folders on the page, files on the page)
    let cases: [(i64, i64, &[&str], &[&str]); 8] = [
        (0, 2, &["Alpha", "Bravo"], &[]),
        (0, 3, &["Alpha", "Bravo", "Charlie"], &[]),
        (2, 3, &["Charlie"], &["alpha.txt", "bravo.txt"]),
        (1, 4, &["Bravo", "Charlie"], &["alpha.txt", "bravo.txt"]),
        (3, 2, &[], &["alpha.txt", "bravo.txt"]),
        (5, 10, &[], &["charlie.txt", "delta.txt"]),
        (6, 1, &[], &["delta.txt"]),
        (7, 10, &[], &[]),
    ];
    for (offset, limit, folders, files) in cases {
        let (d, f, total) = store.folder_page(dir.id, offset, limit).await.unwrap();
        let got_folders: Vec<&str> = d.iter().map(|x| x.title.as_str()).collect();
        let got_files: Vec<&str> = f.iter().map(|x| x.title.as_str()).collect();
        assert_eq!((got_folders.as_slice(), got_files.as_slice()), (folders, files), "offset {offset}, limit {limit}");
        assert_eq!(total, 7, "total at offset {offset}, limit {limit}");
    }

    // Walking with any page size visits every entry once, in order.
    for size in 1..=8 {
        let mut seen = Vec::new();
        let mut offset = 0;
        while offset < 7 {
            let page = store.folder_page(dir.id, offset, size).await.unwrap();
            let titles = page_titles(&page);
            assert!(!titles.is_empty() && titles.len() as i64 <= size, "page size {size} at {offset}: {titles:?}");
            offset += titles.len() as i64;
            seen.extend(titles);
        }
        assert_eq!(seen, all, "walk with page size {size}");
    }

    let empty = store.create_folder(&root, "Empty", T0).await.unwrap();
    let (d, f, total) = store.folder_page(empty.id, 0, 10).await.unwrap();
    assert!(d.is_empty() && f.is_empty());
    assert_eq!(total, 0);
    assert_eq!(store.folder_counts(empty.id).await.unwrap(), (0, 0));
}

async fn files(store: &dyn Store) {
    let (alice, root) = owner_and_root(store).await;
    let new = NewFile {
        folder_id: root.id,
        owner_id: alice.id.clone(),
        title: "Report.docx".into(),
        size: 1234,
        blob_key: "blob-1".into(),
        now: T0 + 7,
    };
    let file = store.create_file(&new).await.expect("create file");
    assert_eq!(file.folder_id, root.id);
    assert_eq!(file.owner.id, alice.id);
    assert_eq!(file.owner.display_name, "Test User");
    assert_eq!(file.owner.my_folder_id, root.id);
    assert_eq!(file.title, "Report.docx");
    assert_eq!((file.size, file.version, file.blob_key.as_str()), (1234, 1, "blob-1"));
    assert_eq!((file.created, file.updated), (T0 + 7, T0 + 7));
    assert!(!file.has_links && !file.has_public_links);
    let read = store.file(file.id).await.unwrap().expect("read back");
    assert_eq!(format!("{read:?}"), format!("{file:?}"));
    assert!(store.file(i64::MAX).await.unwrap().is_none());
    let other = create_file(store, root.id, &alice, "other.txt").await;
    assert_ne!(other.id, file.id);

    // New content: new blob, next version; the previous versions are kept
    // (here 1 besides the current one) and dropped blobs handed back.
    assert_eq!(
        store.replace_file_content(file.id, &new_version(99, "blob-2", T0 + 50), 1).await.unwrap(),
        Some(vec![])
    );
    let v2 = store.file(file.id).await.unwrap().unwrap();
    assert_eq!((v2.size, v2.version, v2.blob_key.as_str()), (99, 2, "blob-2"));
    assert_eq!((v2.created, v2.updated), (T0 + 7, T0 + 50));
    let dropped = store.replace_file_content(file.id, &new_version(5, "blob-3", T0 + 60), 1).await.unwrap();
    assert_eq!(dropped, Some(vec!["blob-1".to_string()]));
    let v3 = store.file(file.id).await.unwrap().unwrap();
    assert_eq!((v3.size, v3.version, v3.blob_key.as_str(), v3.updated), (5, 3, "blob-3", T0 + 60));
    let versions = store.file_versions(file.id).await.unwrap();
    let summary: Vec<_> = versions.iter().map(|v| (v.version, v.size, v.blob_key.as_str(), v.created)).collect();
    assert_eq!(summary, [(3, 5, "blob-3", T0 + 60), (2, 99, "blob-2", T0 + 50)]);
    assert_eq!((versions[0].comment.as_str(), versions[0].created_by.as_str()), ("Uploaded", "someone"));
    assert_eq!(store.file_version(file.id, 2).await.unwrap().map(|v| v.size), Some(99));
    assert_eq!(store.file_version(file.id, 1).await.unwrap(), None);
    // A version sharing a kept version's blob does not hand it back.
    let dropped = store.replace_file_content(file.id, &new_version(99, "blob-2", T0 + 70), 1).await.unwrap();
    assert_eq!(dropped, Some(vec![]), "blob-2 is still used by version 4");
    let dropped = store.replace_file_content(file.id, &new_version(5, "blob-3", T0 + 80), 1).await.unwrap();
    assert_eq!(dropped, Some(vec![]), "blob-3 is the new current version's");
    assert_eq!(store.replace_file_content(i64::MAX, &new_version(1, "blob-x", T0), 1).await.unwrap(), None);
    let first = store.file_versions(other.id).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].version, first[0].comment.as_str(), first[0].created_by.as_str()),
        (1, "Created", alice.id.as_str())
    );
    let untouched = store.file(other.id).await.unwrap().unwrap();
    assert_eq!((untouched.version, untouched.blob_key.as_str()), (1, "blob-other.txt"));

    // Deleting hands back the current blob and takes the links along.
    for (id, f) in [("f1", &file), ("f2", &file), ("o1", &other)] {
        assert_eq!(insert(store, &link(id, f.id, false, T0), 10).await, LinkInsert::Inserted);
    }
    assert_eq!(store.delete_file(file.id).await.unwrap(), ["blob-2", "blob-3"]);
    assert!(store.file(file.id).await.unwrap().is_none());
    assert!(store.link("f1").await.unwrap().is_none());
    assert!(store.link_by_code("code-f2").await.unwrap().is_none());
    assert!(store.primary_link(Entry::File(file.id)).await.unwrap().is_none());
    assert_eq!(store.entry_links(Entry::File(file.id), 0, 10).await.unwrap().1, 0);
    assert!(store.delete_file(file.id).await.unwrap().is_empty());
    assert!(store.file_versions(file.id).await.unwrap().is_empty());
    assert_eq!(store.replace_file_content(file.id, &new_version(1, "blob-4", T0), 1).await.unwrap(), None);
    // The other file and its link are untouched.
    assert!(store.file(other.id).await.unwrap().is_some());
    assert_eq!(store.link("o1").await.unwrap().map(|l| l.entry), Some(Entry::File(other.id)));
    assert_eq!(store.folder_counts(root.id).await.unwrap(), (1, 0));
}

async fn renames_and_titles(store: &dyn Store) {
    let (alice, root) = owner_and_root(store).await;
    let sub = store.create_folder(&root, "sub", T0).await.unwrap();
    let a = create_file(store, root.id, &alice, "same.txt").await;
    let b = create_file(store, root.id, &alice, "same.txt").await;
    create_file(store, sub.id, &alice, "elsewhere.txt").await;
    // The oldest of two files with one title; exact match only.
    assert_eq!(store.file_by_title(root.id, "same.txt").await.unwrap().map(|f| f.id), Some(a.id));
    assert!(store.file_by_title(root.id, "SAME.txt").await.unwrap().is_none());
    assert!(store.file_by_title(root.id, "elsewhere.txt").await.unwrap().is_none());
    assert!(store.rename_file(a.id, "renamed.txt", T0 + 99).await.unwrap());
    let renamed = store.file(a.id).await.unwrap().unwrap();
    assert_eq!((renamed.title.as_str(), renamed.updated, renamed.version), ("renamed.txt", T0 + 99, 1));
    assert_eq!(store.file_by_title(root.id, "same.txt").await.unwrap().map(|f| f.id), Some(b.id));
    assert!(!store.rename_file(i64::MAX, "x", T0).await.unwrap());
}

async fn marks_and_locks(store: &dyn Store) {
    let (alice, root) = owner_and_root(store).await;
    let bob = create_user(store, "bob@example.com").await;
    let a = create_file(store, root.id, &alice, "a.txt").await;
    let b = create_file(store, root.id, &alice, "b.txt").await;
    assert_eq!(a.locked_by, None);
    // Newest mark first; marking again moves it to the top; marks are per
    // user and per kind.
    store.mark_file(&alice.id, a.id, "recent", true, T0 + 1).await.unwrap();
    store.mark_file(&alice.id, b.id, "recent", true, T0 + 2).await.unwrap();
    store.mark_file(&alice.id, a.id, "recent", true, T0 + 3).await.unwrap();
    store.mark_file(&alice.id, b.id, "favorite", true, T0 + 4).await.unwrap();
    let ids = |page: (Vec<File>, i64)| (page.0.iter().map(|f| f.id).collect::<Vec<_>>(), page.1);
    assert_eq!(ids(store.marked_files(&alice.id, "recent", 0, 10).await.unwrap()), (vec![a.id, b.id], 2));
    assert_eq!(ids(store.marked_files(&alice.id, "recent", 1, 10).await.unwrap()), (vec![b.id], 2));
    assert_eq!(ids(store.marked_files(&alice.id, "favorite", 0, 10).await.unwrap()), (vec![b.id], 1));
    assert_eq!(ids(store.marked_files(&bob.id, "recent", 0, 10).await.unwrap()), (vec![], 0));
    assert!(store.is_marked(&alice.id, b.id, "favorite").await.unwrap());
    assert!(!store.is_marked(&alice.id, a.id, "favorite").await.unwrap());
    // Unmarking twice is harmless.
    for _ in 0..2 {
        store.mark_file(&alice.id, a.id, "recent", false, T0 + 5).await.unwrap();
    }
    assert_eq!(ids(store.marked_files(&alice.id, "recent", 0, 10).await.unwrap()), (vec![b.id], 1));
    // Locks.
    assert!(store.set_file_lock(a.id, Some(&bob.id)).await.unwrap());
    assert_eq!(store.file(a.id).await.unwrap().unwrap().locked_by.as_deref(), Some(bob.id.as_str()));
    assert!(store.set_file_lock(a.id, None).await.unwrap());
    assert_eq!(store.file(a.id).await.unwrap().unwrap().locked_by, None);
    assert!(!store.set_file_lock(i64::MAX, None).await.unwrap());
    // Deleting a file takes its marks along.
    store.delete_file(b.id).await.unwrap();
    assert_eq!(ids(store.marked_files(&alice.id, "recent", 0, 10).await.unwrap()), (vec![], 0));
    assert_eq!(ids(store.marked_files(&alice.id, "favorite", 0, 10).await.unwrap()), (vec![], 0));
}

async fn link_flags_on_files(store: &dyn Store) {
    let (alice, root) = owner_and_root(store).await;
    let file = create_file(store, root.id, &alice, "a.txt").await;
    let flags = |f: File| (f.has_links, f.has_public_links);
    let file_flags = || async { flags(store.file(file.id).await.unwrap().unwrap()) };

    let internal = Link { internal: true, ..link("internal", file.id, false, T0) };
    assert_eq!(insert(store, &internal, 10).await, LinkInsert::Inserted);
    assert_eq!(file_flags().await, (true, false));
    let public = link("public", file.id, false, T0 + 1);
    assert_eq!(insert(store, &public, 10).await, LinkInsert::Inserted);
    assert_eq!(file_flags().await, (true, true));

    // The flags also come with folder pages.
    let (_, page_files, _) = store.folder_page(root.id, 0, 10).await.unwrap();
    assert_eq!(page_files.into_iter().map(flags).collect::<Vec<_>>(), [(true, true)]);

    // Turning the public link internal, then deleting links, clears the flags.
    let now_internal = Link { internal: true, ..public.clone() };
    assert!(store.update_link(&now_internal, &audit("link.updated", &public, T0 + 2)).await.unwrap());
    assert_eq!(file_flags().await, (true, false));
    assert!(store.delete_link(Entry::File(file.id), "public", &audit("link.deleted", &public, T0 + 3)).await.unwrap());
    assert!(store
        .delete_link(Entry::File(file.id), "internal", &audit("link.deleted", &internal, T0 + 4))
        .await
        .unwrap());
    assert_eq!(file_flags().await, (false, false));
}

async fn links(store: &dyn Store) {
    let (alice, root) = owner_and_root(store).await;
    let file = create_file(store, root.id, &alice, "a.txt").await;
    let other = create_file(store, root.id, &alice, "b.txt").await;

    let first = Link {
        access: FileShare::ReadWrite,
        expires: Some(T0 + 1_000),
        password_enc: Some("ciphertext".into()),
        deny_download: true,
        ..link("first", file.id, false, T0 + 20)
    };
    let primary = Link { created_by: alice.id.clone(), ..link("primary", file.id, true, T0 + 30) };
    let second = Link { internal: true, ..link("second", file.id, false, T0 + 10) };
    let elsewhere = link("elsewhere", other.id, false, T0 + 5);
    for l in [&first, &primary, &second, &elsewhere] {
        assert_eq!(insert(store, l, 10).await, LinkInsert::Inserted, "insert {}", l.id);
    }

    // Every field round-trips, by id and by short code.
    for l in [&first, &primary, &second] {
        assert_eq!(store.link(&l.id).await.unwrap().as_ref(), Some(l));
        assert_eq!(store.link_by_code(&l.short_code).await.unwrap().as_ref(), Some(l));
    }
    assert!(store.link("nope").await.unwrap().is_none());
    assert!(store.link_by_code("nope").await.unwrap().is_none());

    // The recipient's lookup: the link with the file it shares, in one answer.
    let shared = store.file(file.id).await.unwrap().unwrap();
    for l in [&first, &primary, &second] {
        let (got, f) = store.link_with_file(&l.id).await.unwrap().expect("link with its file");
        assert_eq!(&got, l);
        assert_eq!(format!("{f:?}"), format!("{shared:?}"));
    }
    assert!(store.link_with_file("nope").await.unwrap().is_none());
    assert_eq!(store.primary_link(Entry::File(file.id)).await.unwrap().as_ref(), Some(&primary));
    assert!(store.primary_link(Entry::File(other.id)).await.unwrap().is_none());

    // Primary first, then by creation (not insertion) order; totals per file.
    let (page, total) = store.entry_links(Entry::File(file.id), 0, 10).await.unwrap();
    assert_eq!(link_ids(&page), ["primary", "second", "first"]);
    assert_eq!(page[0], primary);
    assert_eq!(total, 3);
    let (page, total) = store.entry_links(Entry::File(file.id), 1, 1).await.unwrap();
    assert_eq!((link_ids(&page), total), (vec!["second"], 3));
    let (page, total) = store.entry_links(Entry::File(file.id), 2, 10).await.unwrap();
    assert_eq!((link_ids(&page), total), (vec!["first"], 3));
    let (page, total) = store.entry_links(Entry::File(file.id), 3, 10).await.unwrap();
    assert_eq!((page.len(), total), (0, 3));
    let (page, total) = store.entry_links(Entry::File(other.id), 0, 10).await.unwrap();
    assert_eq!((link_ids(&page), total), (vec!["elsewhere"], 1));
    assert_eq!(store.entry_links(Entry::File(i64::MAX), 0, 10).await.unwrap().1, 0);

    // Update: the editable fields change, on the right file only.
    let edited = Link {
        access: FileShare::Comment,
        title: "Renamed".into(),
        expires: None,
        password_enc: None,
        deny_download: false,
        internal: true,
        ..first.clone()
    };
    assert!(store.update_link(&edited, &audit("link.updated", &edited, T0 + 40)).await.unwrap());
    assert_eq!(store.link("first").await.unwrap().as_ref(), Some(&edited));
    let edited_back = Link { expires: Some(T0 + 9), password_enc: Some("other".into()), ..edited.clone() };
    let wrong_file = Link { entry: Entry::File(other.id), ..edited_back.clone() };
    assert!(!store.update_link(&wrong_file, &audit("link.updated", &wrong_file, T0 + 41)).await.unwrap());
    let missing = link("missing", file.id, false, T0);
    assert!(!store.update_link(&missing, &audit("link.updated", &missing, T0 + 42)).await.unwrap());
    assert_eq!(store.link("first").await.unwrap().as_ref(), Some(&edited), "refused update changed the link");
    assert!(store.update_link(&edited_back, &audit("link.updated", &edited_back, T0 + 43)).await.unwrap());
    assert_eq!(store.link("first").await.unwrap().as_ref(), Some(&edited_back));

    // Delete: only on the right file, only once.
    assert!(!store
        .delete_link(Entry::File(other.id), "second", &audit("link.deleted", &second, T0 + 50))
        .await
        .unwrap());
    assert!(store.link("second").await.unwrap().is_some());
    assert!(store.delete_link(Entry::File(file.id), "second", &audit("link.deleted", &second, T0 + 51)).await.unwrap());
    assert!(!store
        .delete_link(Entry::File(file.id), "second", &audit("link.deleted", &second, T0 + 52))
        .await
        .unwrap());
    assert!(store.link("second").await.unwrap().is_none());
    assert!(store.link_by_code("code-second").await.unwrap().is_none());
    let (page, total) = store.entry_links(Entry::File(file.id), 0, 10).await.unwrap();
    assert_eq!((link_ids(&page), total), (vec!["primary", "first"], 2));
    assert!(store
        .delete_link(Entry::File(file.id), "primary", &audit("link.deleted", &primary, T0 + 53))
        .await
        .unwrap());
    assert!(store.primary_link(Entry::File(file.id)).await.unwrap().is_none());

    // The audit trail holds exactly the successful changes, in order.
    let expected = [
        audit("link.created", &first, T0 + 20),
        audit("link.created", &primary, T0 + 30),
        audit("link.created", &second, T0 + 10),
        audit("link.updated", &edited, T0 + 40),
        audit("link.updated", &edited_back, T0 + 43),
        audit("link.deleted", &second, T0 + 51),
        audit("link.deleted", &primary, T0 + 53),
    ];
    let got = store.audit_entries(Entry::File(file.id)).await.unwrap();
    assert_eq!(got.iter().map(audit_key).collect::<Vec<_>>(), expected.iter().map(audit_key).collect::<Vec<_>>());
    let got = store.audit_entries(Entry::File(other.id)).await.unwrap();
    assert_eq!(got.iter().map(audit_key).collect::<Vec<_>>(), [audit_key(&audit("link.created", &elsewhere, T0 + 5))]);
    assert!(store.audit_entries(Entry::File(i64::MAX)).await.unwrap().is_empty());
}

async fn link_limits(store: &dyn Store) {
    let (alice, root) = owner_and_root(store).await;
    let file = create_file(store, root.id, &alice, "a.txt").await;
    let other = create_file(store, root.id, &alice, "b.txt").await;

    // Up to `max` links of a kind, then LimitReached with nothing written.
    for i in 0..3 {
        assert_eq!(insert(store, &link(&format!("l{i}"), file.id, false, T0 + i), 3).await, LinkInsert::Inserted);
    }
    let over = link("l3", file.id, false, T0 + 3);
    assert_eq!(insert(store, &over, 3).await, LinkInsert::LimitReached { max: 3 });
    assert!(store.link("l3").await.unwrap().is_none());
    // A larger limit lets it in; a smaller one refuses even the first extra.
    assert_eq!(insert(store, &link("l4", file.id, false, T0 + 4), 2).await, LinkInsert::LimitReached { max: 2 });
    assert_eq!(insert(store, &over, 4).await, LinkInsert::Inserted);

    // Primary links are counted on their own: one is allowed beside four
    // others, and a second primary is refused by the limit of 1.
    assert_eq!(insert(store, &link("p1", file.id, true, T0 + 10), 1).await, LinkInsert::Inserted);
    assert_eq!(insert(store, &link("p2", file.id, true, T0 + 11), 1).await, LinkInsert::LimitReached { max: 1 });
    assert_eq!(store.primary_link(Entry::File(file.id)).await.unwrap().map(|l| l.id), Some("p1".to_string()));
    assert!(store.link("p2").await.unwrap().is_none());

    // Limits are per file.
    assert_eq!(insert(store, &link("o1", other.id, false, T0), 1).await, LinkInsert::Inserted);
    assert_eq!(insert(store, &link("o2", other.id, false, T0 + 1), 1).await, LinkInsert::LimitReached { max: 1 });
    assert_eq!(insert(store, &link("op", other.id, true, T0 + 2), 1).await, LinkInsert::Inserted);

    // Deleting a link frees a slot.
    let l5 = link("l5", file.id, false, T0 + 21);
    assert_eq!(insert(store, &l5, 4).await, LinkInsert::LimitReached { max: 4 });
    let l0 = link("l0", file.id, false, T0);
    assert!(store.delete_link(Entry::File(file.id), "l0", &audit("link.deleted", &l0, T0 + 20)).await.unwrap());
    assert_eq!(insert(store, &l5, 4).await, LinkInsert::Inserted);

    // An id already used on another file is refused and the original kept.
    let stolen = Link { short_code: "fresh-code".into(), ..link("l1", other.id, false, T0 + 30) };
    assert_eq!(insert(store, &stolen, 10).await, LinkInsert::IdTaken);
    assert_eq!(
        store.link("l1").await.unwrap().map(|l| (l.entry, l.short_code)),
        Some((Entry::File(file.id), "code-l1".into()))
    );
    assert!(store.link_by_code("fresh-code").await.unwrap().is_none());
    assert_eq!(store.entry_links(Entry::File(other.id), 0, 10).await.unwrap().1, 2);

    // A missing or deleted file.
    assert_eq!(insert(store, &link("ghost", i64::MAX, false, T0), 10).await, LinkInsert::FileGone);
    assert!(store.link("ghost").await.unwrap().is_none());
    let doomed = create_file(store, root.id, &alice, "c.txt").await;
    assert!(!store.delete_file(doomed.id).await.unwrap().is_empty());
    assert_eq!(insert(store, &link("late", doomed.id, true, T0), 10).await, LinkInsert::FileGone);
    assert!(store.link("late").await.unwrap().is_none());

    // Refused inserts leave no audit rows.
    let (page, total) = store.entry_links(Entry::File(file.id), 0, 10).await.unwrap();
    assert_eq!((link_ids(&page), total), (vec!["p1", "l1", "l2", "l3", "l5"], 5));
    let created: Vec<String> = store
        .audit_entries(Entry::File(file.id))
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.action == "link.created")
        .map(|a| a.link_id)
        .collect();
    assert_eq!(created, ["l0", "l1", "l2", "l3", "p1", "l5"]);
    assert!(store.audit_entries(Entry::File(doomed.id)).await.unwrap().is_empty());
    assert!(store.audit_entries(Entry::File(i64::MAX)).await.unwrap().is_empty());
}

async fn link_events(store: &dyn Store) {
    let event = |at: i64, link_id: &str, kind: &'static str, ip: &str| LinkEvent {
        at,
        link_id: link_id.into(),
        file_id: 7,
        kind: EventKind::from_stored(kind, None).unwrap(),
        bytes: None,
        ip: ip.into(),
        user_agent: format!("agent/{at}"),
    };
    let first_batch = [
        event(T0, "a", "opened", "10.0.0.1"),
        event(T0 + 1, "b", "opened", "10.0.0.2"),
        event(T0 + 2, "a", "password_failed", "10.0.0.1"),
        event(T0 + 3, "a", "password_ok", "10.0.0.1"),
    ];
    store.record_link_events(&first_batch).await.unwrap();
    store.record_link_events(&[]).await.unwrap();
    // Listed in recording order, even when `at` runs backwards.
    let second_batch = [event(T0 - 5, "a", "downloaded", "::1"), event(T0 + 4, "a", "uploaded", "10.0.0.3")];
    store.record_link_events(&second_batch).await.unwrap();

    let keys = |events: Vec<LinkEvent>| events.iter().map(event_key).collect::<Vec<_>>();
    let expected_a = [&first_batch[0], &first_batch[2], &first_batch[3], &second_batch[0], &second_batch[1]];
    assert_eq!(keys(store.link_events("a").await.unwrap()), expected_a.map(event_key));
    assert_eq!(keys(store.link_events("b").await.unwrap()), [event_key(&first_batch[1])]);
    assert!(store.link_events("c").await.unwrap().is_empty());

    // A large batch (several INSERT statements) keeps its order.
    let many: Vec<LinkEvent> = (0..250).map(|i| event(T0 + 10 + i, "m", "opened", "10.0.0.9")).collect();
    store.record_link_events(&many).await.unwrap();
    assert_eq!(keys(store.link_events("m").await.unwrap()), many.iter().map(event_key).collect::<Vec<_>>());
}

async fn web_sessions_and_passwords(store: &dyn Store) {
    let alice = create_user(store, "alice@example.com").await;
    let bob = create_user(store, "bob@example.com").await;
    for (token, user) in [("a1", &alice), ("a2", &alice), ("a3", &alice), ("b1", &bob)] {
        store.create_session(token, &user.id, T0 + 1_000).await.unwrap();
    }
    store.delete_session("a3").await.unwrap();
    store.delete_session("no-such-session").await.unwrap();
    assert!(store.session_user("a3", T0).await.unwrap().is_none());
    // A new password ends every other session of the user, not this one
    // and not anyone else's.
    store.set_user_password(&alice.id, "new-hash", "a1").await.unwrap();
    assert_eq!(store.user_by_id(&alice.id).await.unwrap().unwrap().password_hash, "new-hash");
    assert!(store.session_user("a1", T0).await.unwrap().is_some());
    assert!(store.session_user("a2", T0).await.unwrap().is_none());
    assert!(store.session_user("b1", T0).await.unwrap().is_some());
    assert_eq!(store.user_by_id(&bob.id).await.unwrap().unwrap().password_hash, "hash-of-bob@example.com");
}

async fn empty_folder_deletion(store: &dyn Store) {
    let (owner, root) = owner_and_root(store).await;
    let empty = store.create_folder(&root, "Empty", T0).await.unwrap();
    let with_file = store.create_folder(&root, "With a file", T0).await.unwrap();
    let with_folder = store.create_folder(&root, "With a folder", T0).await.unwrap();
    create_file(store, with_file.id, &owner, "a.txt").await;
    store.create_folder(&with_folder, "Inner", T0).await.unwrap();
    assert!(!store.delete_empty_folder(root.id).await.unwrap(), "My Documents stays");
    assert!(!store.delete_empty_folder(with_file.id).await.unwrap());
    assert!(!store.delete_empty_folder(with_folder.id).await.unwrap());
    assert!(store.delete_empty_folder(empty.id).await.unwrap());
    assert!(store.folder(empty.id).await.unwrap().is_none());
    assert!(!store.delete_empty_folder(empty.id).await.unwrap(), "already gone");
    assert!(store.folder(with_file.id).await.unwrap().is_some());
}

async fn active_link_counts(store: &dyn Store) {
    let (owner, root) = owner_and_root(store).await;
    let sub = store.create_folder(&root, "Sub", T0).await.unwrap();
    let a = create_file(store, root.id, &owner, "a.txt").await;
    let b = create_file(store, root.id, &owner, "b.txt").await;
    let c = create_file(store, sub.id, &owner, "c.txt").await;
    create_file(store, root.id, &owner, "no-links.txt").await;
    let mut expired = link("11111111-0000-0000-0000-000000000003", a.id, false, T0);
    expired.expires = Some(T0 + 10);
    let mut later = link("11111111-0000-0000-0000-000000000004", a.id, false, T0);
    later.expires = Some(T0 + 1_000);
    for l in [
        link("11111111-0000-0000-0000-000000000001", a.id, true, T0),
        link("11111111-0000-0000-0000-000000000002", b.id, false, T0),
        link("11111111-0000-0000-0000-000000000005", c.id, false, T0),
        expired,
        later,
    ] {
        assert_eq!(insert(store, &l, 6).await, LinkInsert::Inserted);
    }
    let mut counts = store.active_link_counts(root.id, T0 + 10).await.unwrap();
    counts.sort();
    assert_eq!(counts, [(a.id, 2), (b.id, 1)], "expired links and other folders do not count");
    assert_eq!(store.active_link_counts(sub.id, T0).await.unwrap(), [(c.id, 1)]);
}

async fn link_event_pages_and_counts(store: &dyn Store) {
    let event = |at: i64, link_id: &str, kind: &'static str| LinkEvent {
        at,
        link_id: link_id.into(),
        file_id: 7,
        kind: EventKind::from_stored(kind, None).unwrap(),
        bytes: None,
        // One client each: repeated opens by one client within a minute are one event.
        ip: format!("10.0.0.{}", at - T0),
        user_agent: "agent".into(),
    };
    let kinds = ["opened", "password_failed", "locked_out", "opened", "downloaded", "opened", "uploaded"];
    let events: Vec<LinkEvent> = kinds.iter().enumerate().map(|(i, k)| event(T0 + i as i64, "a", k)).collect();
    store.record_link_events(&events).await.unwrap();
    store.record_link_events(&[event(T0 + 100, "b", "opened")]).await.unwrap();

    let (page, total) = store.link_events_page("a", 0, 3).await.unwrap();
    assert_eq!(total, 7);
    assert_eq!(
        page.iter().map(|e| e.kind.stored()).collect::<Vec<_>>(),
        ["uploaded", "opened", "downloaded"],
        "newest first"
    );
    let (page, _) = store.link_events_page("a", 6, 3).await.unwrap();
    assert_eq!(page.iter().map(|e| (e.kind.stored(), e.at)).collect::<Vec<_>>(), [("opened", T0)]);
    assert_eq!(store.link_events_page("a", 2, 3).await.unwrap().0[1].kind.stored(), "opened");
    assert_eq!(store.link_events_page("a", 2, 3).await.unwrap().0[2].kind.stored(), "locked_out");
    assert_eq!(
        store.link_event_counts("a").await.unwrap(),
        LinkEventCounts { opens: 3, downloads: 1, last_opened: Some(T0 + 5) }
    );
    assert_eq!(store.link_event_counts("none").await.unwrap(), LinkEventCounts::default());
    let (none, total) = store.link_events_page("none", 0, 10).await.unwrap();
    assert!(none.is_empty() && total == 0);
}

const SEC: i64 = 1_000_000;

async fn lockout_counters(store: &dyn Store) {
    let limit = Limit::fixed(3, 60);
    let hit = |failures, start: i64| CounterHit { failures, window_start: start, window_end: start + 60 * SEC };
    // The window starts at the first attempt and counts every attempt.
    assert_eq!(store.count_attempt("s", "k", T0, &limit).await.unwrap(), hit(1, T0));
    assert_eq!(store.count_attempt("s", "k", T0 + SEC, &limit).await.unwrap(), hit(2, T0));
    // Counters are per (scope, key).
    assert_eq!(store.count_attempt("s", "other", T0 + SEC, &limit).await.unwrap(), hit(1, T0 + SEC));
    assert_eq!(store.count_attempt("t", "k", T0 + SEC, &limit).await.unwrap(), hit(1, T0 + SEC));
    // Taking an attempt back lowers the count, in its own window only.
    store.uncount_attempt("s", "k", T0).await.unwrap();
    assert_eq!(store.count_attempt("s", "k", T0 + 2 * SEC, &limit).await.unwrap(), hit(2, T0));
    store.uncount_attempt("s", "k", T0 - 1).await.unwrap();
    assert_eq!(store.count_attempt("s", "k", T0 + 3 * SEC, &limit).await.unwrap(), hit(3, T0));
    assert_eq!(store.count_attempt("s", "k", T0 + 4 * SEC, &limit).await.unwrap(), hit(4, T0));
    // Never below zero.
    for _ in 0..6 {
        store.uncount_attempt("t", "k", T0 + SEC).await.unwrap();
    }
    assert_eq!(store.count_attempt("t", "k", T0 + 2 * SEC, &limit).await.unwrap(), hit(1, T0 + SEC));
    // At the end of the window it starts over.
    assert_eq!(store.count_attempt("s", "other", T0 + 61 * SEC, &limit).await.unwrap(), hit(1, T0 + 61 * SEC));
}

async fn lockout_backoff(store: &dyn Store) {
    let limit = Limit::with_backoff(2, 10, 35);
    let count = |at: i64| async move { store.count_attempt("acct", "a", at, &limit).await.unwrap() };
    assert_eq!(count(T0).await.window_end, T0 + 10 * SEC);
    assert_eq!(count(T0 + SEC).await.failures, 2);
    // The window ended exhausted: the next one is twice as long...
    let next = count(T0 + 10 * SEC).await;
    assert_eq!(next, CounterHit { failures: 1, window_start: T0 + 10 * SEC, window_end: T0 + 30 * SEC });
    count(T0 + 11 * SEC).await;
    // ... and the one after is capped at the longest window.
    let next = count(T0 + 30 * SEC).await;
    assert_eq!((next.failures, next.window_end), (1, T0 + 65 * SEC));
    // A window that ends under the limit is followed by the base window.
    let next = count(T0 + 65 * SEC).await;
    assert_eq!((next.failures, next.window_end), (1, T0 + 75 * SEC));
}

/// Fifty simultaneous attempts on one counter: each sees its own count, so
/// exactly `max` of them are under the limit.
async fn concurrent_attempts(db: &Db) {
    let limit = Limit::fixed(5, 60);
    let barrier = Arc::new(tokio::sync::Barrier::new(50));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (db, barrier) = (db.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                db.count_attempt("burst", "k", T0, &limit).await.unwrap().failures
            })
        })
        .collect();
    let mut counts = Vec::new();
    for t in tasks {
        counts.push(t.await.unwrap());
    }
    counts.sort();
    assert_eq!(counts, (1..=50).collect::<Vec<i64>>());
}

async fn opened_events_dedupe(store: &dyn Store) {
    let event = |at: i64, kind: &'static str, ip: &str, ua: &str| LinkEvent {
        at,
        link_id: "d".into(),
        file_id: 7,
        kind: EventKind::from_stored(kind, None).unwrap(),
        bytes: None,
        ip: ip.into(),
        user_agent: ua.into(),
    };
    let minute = T0 - T0 % (60 * SEC);
    store
        .record_link_events(&[
            event(minute, "opened", "10.0.0.1", "a"),
            event(minute + SEC, "opened", "10.0.0.1", "a"),
            event(minute + 2 * SEC, "downloaded", "10.0.0.1", "a"),
            event(minute + 3 * SEC, "downloaded", "10.0.0.1", "a"),
            event(minute + 4 * SEC, "opened", "10.0.0.2", "a"),
            event(minute + 5 * SEC, "opened", "10.0.0.1", "b"),
        ])
        .await
        .unwrap();
    // Across batches too.
    store.record_link_events(&[event(minute + 59 * SEC, "opened", "10.0.0.1", "a")]).await.unwrap();
    store.record_link_events(&[event(minute + 60 * SEC, "opened", "10.0.0.1", "a")]).await.unwrap();
    let kinds: Vec<(&str, String, String)> =
        store.link_events("d").await.unwrap().into_iter().map(|e| (e.kind.stored(), e.ip, e.user_agent)).collect();
    let k = |kind: &'static str, ip: &str, ua: &str| (kind, ip.to_string(), ua.to_string());
    assert_eq!(
        kinds,
        [
            k("opened", "10.0.0.1", "a"),
            k("downloaded", "10.0.0.1", "a"),
            k("downloaded", "10.0.0.1", "a"),
            k("opened", "10.0.0.2", "a"),
            k("opened", "10.0.0.1", "b"),
            k("opened", "10.0.0.1", "a"),
        ]
    );
}

async fn purges(store: &dyn Store) {
    let alice = create_user(store, "alice@example.com").await;
    store.create_session("old", &alice.id, T0).await.unwrap();
    store.create_session("live", &alice.id, T0 + 1).await.unwrap();
    let limit = Limit::fixed(3, 60);
    store.count_attempt("s", "ended", T0 - 100 * SEC, &limit).await.unwrap();
    store.count_attempt("s", "running", T0, &limit).await.unwrap();
    let event = |at: i64| LinkEvent {
        at,
        link_id: "p".into(),
        file_id: 7,
        kind: EventKind::Downloaded,
        bytes: None,
        ip: "10.0.0.1".into(),
        user_agent: "ua".into(),
    };
    store.record_link_events(&(0..2500).map(|i| event(T0 - 5000 + i)).collect::<Vec<_>>()).await.unwrap();
    store.record_link_events(&[event(T0)]).await.unwrap();
    // Events kept forever: nothing but sessions and counters go.
    let purged = store.purge(T0, T0 - 30 * SEC, None).await.unwrap();
    assert_eq!((purged.sessions, purged.lockout_counters, purged.events), (1, 1, 0));
    assert!(store.session_user("old", T0 - 1).await.unwrap().is_none());
    assert!(store.session_user("live", T0).await.unwrap().is_some());
    // Retention: only older events, in several batches.
    let purged = store.purge(T0, T0 - 30 * SEC, Some(T0 - 10)).await.unwrap();
    assert_eq!((purged.sessions, purged.lockout_counters, purged.events), (0, 0, 2500));
    assert_eq!(store.link_events("p").await.unwrap().len(), 1);
    // The running counter survived.
    assert_eq!(store.count_attempt("s", "running", T0 + 1, &limit).await.unwrap().failures, 2);
}

/// Twenty simultaneous inserts under a limit of six must leave exactly six
/// links (and six audit rows); ten simultaneous primaries leave one, with
/// the rest told the limit was reached rather than failing.
async fn concurrent_link_inserts(db: &Db) {
    let store: &dyn Store = db;
    let (alice, root) = owner_and_root(store).await;
    let file = create_file(store, root.id, &alice, "busy.txt").await;

    let race = |n: usize, primary: bool, max: i64| {
        let barrier = Arc::new(tokio::sync::Barrier::new(n));
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let (db, barrier) = (db.clone(), barrier.clone());
                let l = link(&format!("{}-{i}", if primary { "p" } else { "n" }), file.id, primary, T0 + i as i64);
                tokio::spawn(async move {
                    barrier.wait().await;
                    db.insert_link(&l, max, &audit("link.created", &l, l.created)).await
                })
            })
            .collect();
        async move {
            let mut outcomes = Vec::new();
            for task in tasks {
                outcomes.push(task.await.expect("task panicked").expect("insert_link failed"));
            }
            outcomes
        }
    };

    let outcomes = race(20, false, 6).await;
    let inserted = outcomes.iter().filter(|o| **o == LinkInsert::Inserted).count();
    let refused = outcomes.iter().filter(|o| **o == LinkInsert::LimitReached { max: 6 }).count();
    assert_eq!((inserted, refused), (6, 14), "outcomes: {outcomes:?}");
    assert_eq!(store.entry_links(Entry::File(file.id), 0, 100).await.unwrap().1, 6);
    assert_eq!(store.audit_entries(Entry::File(file.id)).await.unwrap().len(), 6);

    let outcomes = race(10, true, 1).await;
    let inserted = outcomes.iter().filter(|o| **o == LinkInsert::Inserted).count();
    let refused = outcomes.iter().filter(|o| **o == LinkInsert::LimitReached { max: 1 }).count();
    assert_eq!((inserted, refused), (1, 9), "outcomes: {outcomes:?}");
    let (page, total) = store.entry_links(Entry::File(file.id), 0, 100).await.unwrap();
    assert_eq!(total, 7);
    assert!(page[0].primary && page[1..].iter().all(|l| !l.primary));
    assert_eq!(store.primary_link(Entry::File(file.id)).await.unwrap().map(|l| l.id), Some(page[0].id.clone()));
    assert_eq!(store.audit_entries(Entry::File(file.id)).await.unwrap().len(), 7);
}

/// Simultaneous content replacements are serialised: each one succeeds, the
/// version counts every one, and every superseded blob is handed back exactly
/// once (otherwise it would never be deleted).
async fn concurrent_content_replacements(db: &Db) {
    let store: &dyn Store = db;
    let (alice, root) = owner_and_root(store).await;
    let file = create_file(store, root.id, &alice, "hot.txt").await;
    let n = 10;
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (db, barrier) = (db.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let new = new_version(i as i64, &format!("blob-new-{i}"), T0 + i as i64);
                db.replace_file_content(file.id, &new, 0).await
            })
        })
        .collect();
    let mut handed_back = Vec::new();
    for task in tasks {
        let old = task.await.expect("task panicked").expect("replace_file_content failed");
        handed_back.extend(old.expect("file exists"));
    }
    let after = store.file(file.id).await.unwrap().unwrap();
    assert_eq!(after.version, 1 + n as i64);
    handed_back.push(after.blob_key);
    handed_back.sort();
    let mut every_blob: Vec<String> = (0..n).map(|i| format!("blob-new-{i}")).collect();
    every_blob.push(file.blob_key.clone());
    every_blob.sort();
    assert_eq!(handed_back, every_blob);
}

/// The same link id requested on several files at once: one file gets it,
/// the others are told it is taken (not an internal error).
async fn concurrent_link_id_claims(db: &Db) {
    let store: &dyn Store = db;
    let (alice, root) = owner_and_root(store).await;
    let n = 8;
    let mut files = Vec::new();
    for i in 0..n {
        files.push(create_file(store, root.id, &alice, &format!("f{i}.txt")).await);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = files
        .iter()
        .map(|f| {
            let (db, barrier) = (db.clone(), barrier.clone());
            let l = Link { short_code: format!("code-{}", f.id), ..link("wanted", f.id, false, T0) };
            tokio::spawn(async move {
                barrier.wait().await;
                db.insert_link(&l, 10, &audit("link.created", &l, l.created)).await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("task panicked").expect("insert_link failed"));
    }
    let inserted = outcomes.iter().filter(|o| **o == LinkInsert::Inserted).count();
    let taken = outcomes.iter().filter(|o| **o == LinkInsert::IdTaken).count();
    assert_eq!((inserted, taken), (1, n - 1), "outcomes: {outcomes:?}");
    let owner = store.link("wanted").await.unwrap().expect("the winner's link").entry;
    for f in &files {
        let expected = if Entry::File(f.id) == owner { 1 } else { 0 };
        assert_eq!(store.entry_links(Entry::File(f.id), 0, 10).await.unwrap().1, expected);
        assert_eq!(store.audit_entries(Entry::File(f.id)).await.unwrap().len(), expected as usize);
    }
}

/// `max_uses`, `use_count` and `allowed_networks` are stored on insert and
/// update; an update never touches the use count.
async fn link_controls_round_trip(store: &dyn Store) {
    let (alice, root) = owner_and_root(store).await;
    let f = create_file(store, root.id, &alice, "controls.txt").await;
    let mut l = link("c1", f.id, false, T0);
    l.max_uses = Some(3);
    l.allowed_networks = vec!["10.0.0.0/8".parse().unwrap(), "2001:db8::/32".parse().unwrap()];
    assert_eq!(insert(store, &l, 6).await, LinkInsert::Inserted);
    assert_eq!(store.link("c1").await.unwrap().unwrap(), l);
    assert_eq!(store.take_link_use("c1", &l.token_salt).await.unwrap(), Some(1));
    l.max_uses = None;
    l.allowed_networks.clear();
    l.use_count = 0; // what a stale reader would write: ignored
    assert!(store.update_link(&l, &audit("link.updated", &l, T0 + 1)).await.unwrap());
    let stored = store.link("c1").await.unwrap().unwrap();
    assert_eq!((stored.max_uses, stored.use_count, stored.allowed_networks.len()), (None, 1, 0));
    let (joined, _) = store.link_with_file("c1").await.unwrap().unwrap();
    assert_eq!(joined, stored);
}

/// Fifty parallel uses of a link limited to N: exactly N are taken, each
/// sees its own count, the rest see `None`; a wrong salt (a recreated
/// link's old token) takes nothing; raising the limit makes room again and
/// giving a use back never goes below zero.
async fn concurrent_link_uses(db: &Db) {
    let (alice, root) = owner_and_root(db).await;
    let f = create_file(db, root.id, &alice, "limited.txt").await;
    for (id, max) in [("u3", 3), ("u1", 1), ("u7", 7)] {
        let mut l = link(id, f.id, false, T0);
        l.max_uses = Some(max);
        assert_eq!(insert(db, &l, 6).await, LinkInsert::Inserted);
        let barrier = Arc::new(tokio::sync::Barrier::new(50));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (db, barrier, salt) = (db.clone(), barrier.clone(), l.token_salt.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    db.take_link_use(id, &salt).await.unwrap()
                })
            })
            .collect();
        let mut taken = Vec::new();
        for t in tasks {
            taken.extend(t.await.unwrap());
        }
        taken.sort();
        assert_eq!(taken, (1..=max).collect::<Vec<i64>>(), "link {id}");
        assert_eq!(db.link(id).await.unwrap().unwrap().use_count, max);
    }
    assert_eq!(db.take_link_use("u3", "not-the-salt").await.unwrap(), None);
    assert_eq!(db.take_link_use("gone", "saltgone").await.unwrap(), None);
    let mut l = db.link("u3").await.unwrap().unwrap();
    l.max_uses = Some(4);
    db.update_link(&l, &audit("link.updated", &l, T0 + 1)).await.unwrap();
    assert_eq!(db.take_link_use("u3", &l.token_salt).await.unwrap(), Some(4));
    assert_eq!(db.take_link_use("u3", &l.token_salt).await.unwrap(), None);
    db.give_back_link_use("u3").await.unwrap();
    assert_eq!(db.link("u3").await.unwrap().unwrap().use_count, 3);
    let mut l = db.link("u1").await.unwrap().unwrap();
    l.max_uses = None;
    db.update_link(&l, &audit("link.updated", &l, T0 + 2)).await.unwrap();
    assert_eq!(db.take_link_use("u1", &l.token_salt).await.unwrap(), Some(2), "no limit: every use counts");
    let fresh = link("u0", f.id, false, T0);
    assert_eq!(insert(db, &fresh, 6).await, LinkInsert::Inserted);
    db.give_back_link_use("u0").await.unwrap();
    assert_eq!(db.link("u0").await.unwrap().unwrap().use_count, 0);
}

/// `refused` events keep their reason, downloads their size; repeated
/// refusals of one client for one reason within a minute are one event.
async fn events_with_reasons_and_bytes(store: &dyn Store) {
    use spacelinks_core::Refusal;
    let event = |at: i64, kind: EventKind, bytes: Option<i64>| LinkEvent {
        at,
        link_id: "r".into(),
        file_id: 7,
        kind,
        ip: "10.0.0.1".into(),
        user_agent: "ua".into(),
        bytes,
    };
    let minute = T0 - T0 % (60 * SEC);
    let batch = [
        event(minute, EventKind::Downloaded, Some(1234)),
        event(minute + 1, EventKind::Refused(Refusal::UsedUp), None),
        event(minute + 2, EventKind::Refused(Refusal::UsedUp), None),
        event(minute + 3, EventKind::Refused(Refusal::Network), None),
        event(minute + 4, EventKind::Refused(Refusal::Expired), None),
        event(minute + 5, EventKind::VersionUploaded, Some(99)),
    ];
    store.record_link_events(&batch).await.unwrap();
    let got: Vec<(EventKind, Option<i64>)> =
        store.link_events("r").await.unwrap().into_iter().map(|e| (e.kind, e.bytes)).collect();
    assert_eq!(
        got,
        [
            (EventKind::Downloaded, Some(1234)),
            (EventKind::Refused(Refusal::UsedUp), None),
            (EventKind::Refused(Refusal::Network), None),
            (EventKind::Refused(Refusal::Expired), None),
            (EventKind::VersionUploaded, Some(99)),
        ]
    );
    let (page, total) = store.link_events_page("r", 0, 2).await.unwrap();
    assert_eq!(total, 5);
    assert_eq!(page[1].kind, EventKind::Refused(Refusal::Expired));
    let counts = store.link_event_counts("r").await.unwrap();
    assert_eq!((counts.opens, counts.downloads), (0, 1));
}

/// Parallel PUTs of one link through the service, each changing another
/// field: every change survives (they used to read the link outside the
/// transaction and overwrite each other's fields).
async fn concurrent_link_updates(db: &Db) {
    use spacelinks_api_types::Fields;
    use spacelinks_core::links::{LinkRequest, PasswordPolicy};
    use spacelinks_core::service::{LockoutPolicy, Services};
    let store: Arc<dyn Store> = Arc::new(db.clone());
    let svc = Services {
        store: store.clone(),
        secrets: spacelinks_core::crypto::Secrets::from_master(&[7u8; 32]),
        passwords: PasswordPolicy::default(),
        lockout: LockoutPolicy::default(),
        keep_versions: 10,
    };
    let (alice, root) = owner_and_root(store.as_ref()).await;
    let far = spacelinks_api_types::date::now_micros() + 86_400_000_000 * 365;
    let far_text = spacelinks_api_types::format_api_date(far);
    for round in 0..8 {
        let file = create_file(store.as_ref(), root.id, &alice, &format!("doc{round}.docx")).await;
        let now = spacelinks_api_types::date::now_micros();
        let create =
            LinkRequest::parse(&Fields::from_value(serde_json::json!({"access": "Read"})).unwrap(), now).unwrap();
        let created = svc.set_link(&alice, Entry::File(file.id), &create).await.unwrap().unwrap();
        let id = created.link.id.clone();
        let bodies = [
            serde_json::json!({"linkId": id, "access": "Editing"}),
            serde_json::json!({"linkId": id, "title": "renamed"}),
            serde_json::json!({"linkId": id, "expirationDate": far_text}),
            serde_json::json!({"linkId": id, "password": "Secret-pw1"}),
            serde_json::json!({"linkId": id, "denyDownload": true}),
            serde_json::json!({"linkId": id, "internal": true}),
        ];
        let barrier = Arc::new(tokio::sync::Barrier::new(bodies.len()));
        let tasks: Vec<_> = bodies
            .iter()
            .map(|b| {
                let req = LinkRequest::parse(&Fields::from_value(b.clone()).unwrap(), now).unwrap();
                let (svc, alice, barrier, file_id) = (svc.clone(), alice.clone(), barrier.clone(), file.id);
                tokio::spawn(async move {
                    barrier.wait().await;
                    svc.set_link(&alice, Entry::File(file_id), &req).await.map(|_| ())
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task panicked").expect("set_link failed");
        }
        let after = svc.manage(store.link(&id).await.unwrap().unwrap()).await.unwrap();
        let l = &after.link;
        assert_eq!(
            (l.access, l.title.as_str(), l.expires.is_some(), after.password.as_deref(), l.deny_download, l.internal),
            (FileShare::Editing, "renamed", true, Some("Secret-pw1"), true, true),
            "round {round}: a concurrent update lost another's field"
        );
        // One audit row per change, plus the creation.
        assert_eq!(store.audit_entries(Entry::File(file.id)).await.unwrap().len(), 1 + bodies.len());
    }
}

/// `change_link`: the closure sees the stored link; an error writes nothing;
/// a missing link (or one on another file) is `None`; delete removes it.
async fn change_link_decides_under_the_lock(db: &Db) {
    use spacelinks_core::LinkWrite;
    let store: &dyn Store = db;
    let (alice, root) = owner_and_root(store).await;
    let file = create_file(store, root.id, &alice, "c.txt").await;
    let l = link("cl", file.id, false, T0);
    assert_eq!(insert(store, &l, 10).await, LinkInsert::Inserted);
    let renamed = Link { title: "renamed".into(), ..l.clone() };
    let write = store
        .change_link(
            Entry::File(file.id),
            "cl",
            Box::new(|cur: &Link| {
                assert_eq!(cur.title, l.title);
                Ok(LinkWrite::Update(Box::new(renamed.clone()), audit("link.updated", &renamed, T0 + 1)))
            }),
        )
        .await
        .unwrap();
    assert!(matches!(write, Some(LinkWrite::Update(..))));
    assert_eq!(store.link("cl").await.unwrap().unwrap().title, "renamed");
    let refused =
        store.change_link(Entry::File(file.id), "cl", Box::new(|_: &Link| Err(Error::BadRequest("no".into())))).await;
    assert!(matches!(refused, Err(Error::BadRequest(_))));
    assert_eq!(store.audit_entries(Entry::File(file.id)).await.unwrap().len(), 2);
    let never = |_: &Link| -> spacelinks_core::Result<LinkWrite> { panic!("called for a missing link") };
    assert!(store.change_link(Entry::File(file.id), "nope", Box::new(never)).await.unwrap().is_none());
    assert!(store.change_link(Entry::File(file.id + 1000), "cl", Box::new(never)).await.unwrap().is_none());
    let gone = store
        .change_link(
            Entry::File(file.id),
            "cl",
            Box::new(|cur: &Link| Ok(LinkWrite::Delete(audit("link.deleted", cur, T0 + 2)))),
        )
        .await
        .unwrap();
    assert!(matches!(gone, Some(LinkWrite::Delete(_))));
    assert!(store.link("cl").await.unwrap().is_none());
    assert_eq!(store.audit_entries(Entry::File(file.id)).await.unwrap().len(), 3);
}

/// fsck against a blob directory: a healthy file, a missing blob, a wrong
/// size, an orphan and a staging leftover; repair removes only the last two
/// and only past the grace period.
async fn fsck_finds_and_repairs(db: &Db) {
    use spacelinks_store::fsck;
    use std::time::Duration;
    let store: &dyn Store = db;
    let (alice, root) = owner_and_root(store).await;
    let dir = tempfile::tempdir().unwrap();
    let blobs = dir.path();
    let put = |key: &str, bytes: &[u8]| {
        let p = blobs.join(key);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    let new_file = |title: &str, key: &str, size: i64| NewFile {
        folder_id: root.id,
        owner_id: alice.id.clone(),
        title: title.into(),
        size,
        blob_key: key.into(),
        now: T0,
    };
    // Blobs but no row at all: a wrong database, never repaired.
    put("files/early", b"x");
    assert!(fsck::check(db, blobs, Duration::ZERO, true).await.is_err());
    assert!(blobs.join("files/early").exists());
    std::fs::remove_file(blobs.join("files/early")).unwrap();
    store.create_file(&new_file("ok.txt", "files/ok", 3)).await.unwrap();
    put("files/ok", b"abc");
    store.create_file(&new_file("missing.txt", "files/missing", 3)).await.unwrap();
    store.create_file(&new_file("short.txt", "files/short", 10)).await.unwrap();
    put("files/short", b"abc");
    put("files/orphan", b"nobody's");
    put("files/upload#12", b"half");
    let kinds = |r: &fsck::Report| {
        let mut k: Vec<(&str, String, bool)> = r.findings.iter().map(|f| (f.kind, f.key.clone(), f.repaired)).collect();
        k.sort();
        k
    };
    let report = fsck::check(db, blobs, Duration::from_secs(3600), true).await.unwrap();
    assert_eq!(
        kinds(&report),
        [
            ("missing", "files/missing".to_string(), false),
            ("orphan", "files/orphan".to_string(), false),
            ("staging", "files/upload#12".to_string(), false),
            ("wrong_size", "files/short".to_string(), false),
        ],
        "young orphans are left alone"
    );
    assert!(blobs.join("files/orphan").exists());
    let report = fsck::check(db, blobs, Duration::ZERO, true).await.unwrap();
    let repaired: Vec<_> = report.findings.iter().filter(|f| f.repaired).map(|f| f.key.as_str()).collect();
    assert_eq!(repaired, ["files/orphan", "files/upload#12"]);
    assert!(!blobs.join("files/orphan").exists() && !blobs.join("files/upload#12").exists());
    assert!(blobs.join("files/ok").exists() && blobs.join("files/short").exists());
    let report = fsck::check(db, blobs, Duration::ZERO, false).await.unwrap();
    assert_eq!(report.open().count(), 2, "missing and wrong_size stay: {:?}", report.findings);
    assert_eq!(report.rows, 3);
}

// ---------------------------------------------------------------------------
// Both backends migrate from empty to the same schema
// ---------------------------------------------------------------------------

type Schema = std::collections::BTreeMap<String, Vec<String>>;

/// Tables and their columns on SQLite, after the migrations.
async fn sqlite_schema(db: &Db) -> Schema {
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(db.pool())
    .await
    .expect("list sqlite tables");
    let mut schema = Schema::new();
    for (table,) in tables {
        let cols: Vec<(String,)> = sqlx::query_as(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .fetch_all(db.pool())
            .await
            .expect("list sqlite columns");
        let mut cols: Vec<String> = cols.into_iter().map(|(c,)| c).collect();
        cols.sort();
        schema.insert(table, cols);
    }
    schema
}

#[tokio::test]
async fn both_backends_migrate_to_the_same_tables_and_columns() {
    let (sqlite, _dir) = open_sqlite().await;
    let lite = sqlite_schema(&sqlite).await;
    assert!(lite.contains_key("links") && lite.contains_key("link_audit"), "{lite:?}");
    let Some(pg) = PgTest::open("both_backends_migrate_to_the_same_tables_and_columns").await else { return };
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = $1 AND table_name NOT LIKE '\\_sqlx%'",
    )
    .bind(&pg.schema)
    .fetch_all(&pg.admin)
    .await
    .expect("list postgres columns");
    let mut postgres = Schema::new();
    for (table, col) in rows {
        postgres.entry(table).or_default().push(col);
    }
    postgres.values_mut().for_each(|c| c.sort());
    let outcome = std::panic::catch_unwind(|| assert_eq!(lite, postgres, "SQLite and PostgreSQL schemas differ"));
    pg.finish(outcome).await;
}

// ---------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------

fn webhook(name: &str, created_by: &str) -> WebhookConfig {
    WebhookConfig {
        id: 0,
        name: name.into(),
        uri: "https://hooks.example.com/x".into(),
        secret_key: "secret-key-1".into(),
        enabled: true,
        ssl: false,
        triggers: 0,
        target_id: None,
        created_by: created_by.into(),
        modified_by: created_by.into(),
        created_on: T0,
        modified_on: T0,
        last_failure_on: None,
        last_failure_content: None,
        last_success_on: None,
    }
}

fn queued(config_id: i64, n: usize) -> Vec<NewWebhookLog> {
    (0..n)
        .map(|i| NewWebhookLog {
            config_id,
            trigger: 128,
            now: T0,
            uid: "u".into(),
            event_id: format!("e{i}"),
            request_payload: format!("{{\"n\":{i}}}"),
        })
        .collect()
}

fn attempt(delivered: bool, next: Option<i64>) -> WebhookAttempt {
    WebhookAttempt {
        now: T0 + SEC,
        status: if delivered { 200 } else { 500 },
        request_payload: "{}".into(),
        request_headers: "{}".into(),
        response_payload: Some("answer".into()),
        response_headers: Some("{}".into()),
        delivered,
        failure: (!delivered).then(|| "failed".into()),
        next_attempt: next,
        disable_config: false,
    }
}

async fn webhook_configs_and_log(store: &dyn Store) {
    let a = store.insert_webhook_config(&webhook("a", "alice")).await.unwrap().unwrap();
    assert!(store.insert_webhook_config(&webhook("a", "bob")).await.unwrap().is_none(), "same name and uri");
    let mut b = store.insert_webhook_config(&webhook("b", "bob")).await.unwrap().unwrap();
    b.enabled = false;
    assert!(store.update_webhook_config(&b).await.unwrap());
    assert_eq!(store.enabled_webhook_configs().await.unwrap(), std::slice::from_ref(&a));
    assert_eq!(store.webhook_configs(Some("bob")).await.unwrap(), [(b.clone(), 0)]);
    let ids = store.insert_webhook_logs(&queued(a.id, 3)).await.unwrap();
    // One attempt fails and is due again; one is delivered.
    let claimed = store.claim_webhook_deliveries(T0, T0 + 60 * SEC, "n1", 2).await.unwrap();
    assert_eq!(claimed.iter().map(|l| l.id).collect::<Vec<_>>(), ids[..2]);
    assert!(!store.finish_webhook_attempt(ids[0], "n2", &attempt(true, None)).await.unwrap(), "not n2's claim");
    assert!(store.finish_webhook_attempt(ids[0], "n1", &attempt(false, Some(T0 + 2 * SEC))).await.unwrap());
    assert!(store.finish_webhook_attempt(ids[1], "n1", &attempt(true, None)).await.unwrap());
    let failed = store.webhook_log(ids[0]).await.unwrap().unwrap();
    assert_eq!(
        (failed.status, failed.attempts, failed.next_attempt, failed.delivery),
        (500, 1, Some(T0 + 2 * SEC), None)
    );
    let config = store.webhook_config(a.id).await.unwrap().unwrap();
    assert_eq!((config.last_success_on, config.last_failure_content.as_deref()), (Some(T0 + SEC), Some("failed")));
    assert_eq!(store.webhook_configs(None).await.unwrap()[0].1, 200);
    // Not due yet: only the third; a lease that ran out is claimed again.
    let again = store.claim_webhook_deliveries(T0 + SEC, T0 + 2 * SEC, "n1", 10).await.unwrap();
    assert_eq!(again.iter().map(|l| l.id).collect::<Vec<_>>(), [ids[2]]);
    let later = store.claim_webhook_deliveries(T0 + 3 * SEC, T0 + 60 * SEC, "n2", 10).await.unwrap();
    assert_eq!(later.iter().map(|l| l.id).collect::<Vec<_>>(), [ids[0], ids[2]]);
    store.release_webhook_claims("n2").await.unwrap();
    assert_eq!(store.claim_webhook_deliveries(T0 + 3 * SEC, T0 + 60 * SEC, "n3", 10).await.unwrap().len(), 2);
    // Filters and paging.
    let page = |q: WebhookLogQuery| async move { store.webhook_logs_page(&q).await.unwrap() };
    let all = WebhookLogQuery { limit: 100, ..Default::default() };
    let (logs, total) = page(all.clone()).await;
    assert_eq!((logs.iter().map(|l| l.id).collect::<Vec<_>>(), total), (vec![ids[2], ids[1], ids[0]], 3));
    assert_eq!(logs[0].config_name.as_deref(), Some("a"));
    assert_eq!(page(WebhookLogQuery { group_status: 2, ..all.clone() }).await.1, 1);
    assert_eq!(page(WebhookLogQuery { group_status: 16 | 1, ..all.clone() }).await.1, 2);
    assert_eq!(page(WebhookLogQuery { created_by: Some("bob".into()), ..all.clone() }).await.1, 0);
    assert_eq!(page(WebhookLogQuery { offset: 2, limit: 5, ..all.clone() }).await.0.len(), 1);
    assert!(store.delete_webhook_config(a.id).await.unwrap());
    assert!(store.webhook_log(ids[0]).await.unwrap().is_none(), "the log goes with its webhook");
}

/// Several runners (nodes) claiming at once never get the same delivery.
async fn concurrent_webhook_claims(db: &Db) {
    let store: &dyn Store = db;
    let config = store.insert_webhook_config(&webhook("race", "alice")).await.unwrap().unwrap();
    let ids = store.insert_webhook_logs(&queued(config.id, 300)).await.unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(4));
    let tasks: Vec<_> = (0..4)
        .map(|n| {
            let (db, barrier) = (db.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let mut mine = Vec::new();
                loop {
                    let got = db.claim_webhook_deliveries(T0, T0 + 60 * SEC, &format!("node{n}"), 7).await.unwrap();
                    if got.is_empty() {
                        return mine;
                    }
                    mine.extend(got.iter().map(|l| l.id));
                }
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for t in tasks {
        claimed.extend(t.await.unwrap());
    }
    claimed.sort();
    let mut unique = claimed.clone();
    unique.dedup();
    assert_eq!(unique.len(), claimed.len(), "a delivery was claimed twice");
    assert_eq!(claimed, ids, "every delivery was claimed");
}

async fn file_shares(store: &dyn Store) {
    let (alice, root) = owner_and_root(store).await;
    let bob = create_user(store, "bob@example.com").await;
    let carol = create_user(store, "carol@example.com").await;
    let a = create_file(store, root.id, &alice, "a.txt").await;
    let b = create_file(store, root.id, &alice, "b.txt").await;
    let ids = |page: (Vec<File>, i64)| (page.0.iter().map(|f| f.id).collect::<Vec<_>>(), page.1);
    store.set_file_share(a.id, &bob.id, 2, T0 + 1).await.unwrap();
    store.set_file_share(b.id, &bob.id, 10, T0 + 2).await.unwrap();
    store.set_file_share(a.id, &carol.id, 2, T0 + 3).await.unwrap();
    // Sharing again changes the access and keeps the share's place.
    store.set_file_share(a.id, &bob.id, 10, T0 + 4).await.unwrap();
    assert_eq!(store.file_share(a.id, &bob.id).await.unwrap(), Some(10));
    assert_eq!(store.file_share(a.id, &alice.id).await.unwrap(), None);
    assert_eq!(store.file_shares(a.id).await.unwrap(), vec![(bob.id.clone(), 10), (carol.id.clone(), 2)]);
    assert_eq!(ids(store.shared_files(&bob.id, 0, 10).await.unwrap()), (vec![b.id, a.id], 2));
    assert_eq!(ids(store.shared_files(&bob.id, 1, 10).await.unwrap()), (vec![a.id], 2));
    assert_eq!(ids(store.shared_files(&alice.id, 0, 10).await.unwrap()), (vec![], 0));
    // Access 0 removes the share; removing twice is harmless.
    for _ in 0..2 {
        store.set_file_share(a.id, &carol.id, 0, T0 + 5).await.unwrap();
    }
    assert_eq!(store.file_share(a.id, &carol.id).await.unwrap(), None);
    assert_eq!(store.file_shares(a.id).await.unwrap(), vec![(bob.id.clone(), 10)]);
    // Deleting the file takes its shares along.
    store.delete_file(b.id).await.unwrap();
    assert_eq!(ids(store.shared_files(&bob.id, 0, 10).await.unwrap()), (vec![a.id], 1));
}

async fn groups_and_group_shares(store: &dyn Store) {
    let (alice, root) = owner_and_root(store).await;
    let bob = create_user(store, "bob@example.com").await;
    let carol = create_user(store, "carol@example.com").await;
    let a = create_file(store, root.id, &alice, "a.txt").await;
    let ids = |page: (Vec<File>, i64)| (page.0.iter().map(|f| f.id).collect::<Vec<_>>(), page.1);
    let g = Group { id: "g-1".into(), name: "Team".into(), manager_id: Some(alice.id.clone()), created: T0 };
    store.create_group(&g, &[alice.id.clone(), bob.id.clone(), bob.id.clone()]).await.unwrap();
    assert_eq!(store.group("g-1").await.unwrap(), Some(g.clone()));
    assert_eq!(store.groups(None).await.unwrap(), vec![g.clone()]);
    assert_eq!(store.groups(Some(&carol.id)).await.unwrap(), vec![]);
    assert_eq!(store.group_member_ids("g-1").await.unwrap().len(), 2, "a member added twice is one");

    // A group share reaches its members, and the file shows it is shared.
    assert!(!store.file(a.id).await.unwrap().unwrap().has_shares);
    store.set_file_group_share(a.id, "g-1", 10, T0 + 1).await.unwrap();
    store.set_file_share(a.id, &bob.id, 2, T0 + 2).await.unwrap();
    assert!(store.file(a.id).await.unwrap().unwrap().has_shares);
    assert_eq!(store.file_group_shares(a.id).await.unwrap(), vec![("g-1".to_string(), 10)]);
    let mut held = store.person_accesses(a.id, &bob.id).await.unwrap();
    held.sort();
    assert_eq!(held, vec![2, 10]);
    assert_eq!(store.person_accesses(a.id, &carol.id).await.unwrap(), Vec::<i64>::new());
    // Bob reaches it twice, listed once; the owner never sees her own file.
    assert_eq!(ids(store.shared_files(&bob.id, 0, 10).await.unwrap()), (vec![a.id], 1));
    assert_eq!(ids(store.shared_files(&alice.id, 0, 10).await.unwrap()), (vec![], 0));

    // Members in and out, rename.
    let renamed = Group { name: "Team 2".into(), manager_id: None, ..g.clone() };
    assert!(store
        .update_group(&renamed, std::slice::from_ref(&carol.id), std::slice::from_ref(&bob.id))
        .await
        .unwrap());
    assert_eq!(store.group("g-1").await.unwrap(), Some(renamed.clone()));
    assert_eq!(store.person_accesses(a.id, &bob.id).await.unwrap(), vec![2]);
    assert_eq!(store.person_accesses(a.id, &carol.id).await.unwrap(), vec![10]);
    assert_eq!(store.groups(Some(&carol.id)).await.unwrap(), vec![renamed.clone()]);
    let gone = Group { id: "nope".into(), ..renamed.clone() };
    assert!(!store.update_group(&gone, &[], &[]).await.unwrap());

    // Deleting the group takes its memberships and shares along.
    assert!(store.delete_group("g-1").await.unwrap());
    assert!(!store.delete_group("g-1").await.unwrap());
    assert_eq!(store.file_group_shares(a.id).await.unwrap(), vec![]);
    assert_eq!(store.person_accesses(a.id, &carol.id).await.unwrap(), Vec::<i64>::new());
    assert_eq!(ids(store.shared_files(&carol.id, 0, 10).await.unwrap()), (vec![], 0));
}

async fn disabled_users(store: &dyn Store) {
    let bob = create_user(store, "bob@example.com").await;
    assert!(!bob.disabled);
    store.create_session("hash-1", &bob.id, T0 * 10).await.unwrap();
    assert!(store.session_user("hash-1", T0).await.unwrap().is_some());
    assert!(store.set_user_disabled(&bob.id, true).await.unwrap());
    assert!(store.user_by_id(&bob.id).await.unwrap().unwrap().disabled);
    assert!(store.session_user("hash-1", T0).await.unwrap().is_none(), "sessions end with the disabling");
    assert!(store.set_user_disabled(&bob.id, false).await.unwrap());
    assert!(!store.user_by_email("BOB@example.com").await.unwrap().unwrap().disabled);
    assert!(!store.set_user_disabled("nobody", true).await.unwrap());
}

// ---------------------------------------------------------------------------
// Version groups, moves and owner changes (issue 15)
// ---------------------------------------------------------------------------

async fn version_groups_and_moves(store: &dyn Store) {
    let (owner, root) = owner_and_root(store).await;
    let f = create_file(store, root.id, &owner, "v.txt").await;
    for (i, key) in ["b2", "b3"].iter().enumerate() {
        store.replace_file_content(f.id, &new_version(1, key, T0 + i as i64 + 1), 10).await.unwrap();
    }
    let groups =
        |vs: Vec<spacelinks_core::FileVersion>| vs.iter().map(|v| (v.version, v.version_group)).collect::<Vec<_>>();
    assert_eq!(
        groups(store.file_versions(f.id).await.unwrap()),
        [(3, 3), (2, 2), (1, 1)],
        "each version its own group"
    );
    // Continuing version 1: the versions after it move down one group.
    store.continue_version(f.id, 1).await.unwrap();
    assert_eq!(groups(store.file_versions(f.id).await.unwrap()), [(3, 2), (2, 1), (1, 1)]);
    store.replace_file_content(f.id, &new_version(1, "b4", T0 + 9), 10).await.unwrap();
    assert_eq!(store.file_version(f.id, 4).await.unwrap().unwrap().version_group, 3, "after the newest group");

    // A move renames on the way; with an owner, everything below changes owner.
    let a = store.create_folder(&root, "A", T0).await.unwrap();
    let b = store.create_folder(&a, "B", T0).await.unwrap();
    let inner = create_file(store, b.id, &owner, "in.txt").await;
    assert_eq!(store.folder_by_title(root.id, "A").await.unwrap().map(|d| d.id), Some(a.id));
    assert!(store.folder_by_title(root.id, "B").await.unwrap().is_none());
    let m = EntryMove {
        entry: Entry::File(f.id),
        parent_id: b.id,
        title: "w.txt",
        owner: None,
        folders: &[],
        files: &[],
        now: T0,
    };
    assert!(store.move_entry(&m).await.unwrap());
    let moved = store.file(f.id).await.unwrap().unwrap();
    assert_eq!((moved.folder_id, moved.title.as_str()), (b.id, "w.txt"));
    let other = create_user(store, "other@example.com").await;
    let home = store.folder(other.my_folder_id).await.unwrap().unwrap();
    let m = EntryMove {
        entry: Entry::Folder(a.id),
        parent_id: home.id,
        title: "A",
        owner: Some(&other.id),
        folders: &[b.id],
        files: &[inner.id, f.id],
        now: T0,
    };
    assert!(store.move_entry(&m).await.unwrap());
    assert_eq!(store.folder(a.id).await.unwrap().unwrap().owner.id, other.id);
    assert_eq!(store.folder(b.id).await.unwrap().unwrap().owner.id, other.id);
    assert_eq!(store.file(inner.id).await.unwrap().unwrap().owner.id, other.id);
    assert!(store.folder_within(b.id, home.id).await.unwrap());
    assert!(!store.folder_within(b.id, root.id).await.unwrap());
    let gone = EntryMove {
        entry: Entry::File(999_999),
        parent_id: root.id,
        title: "x",
        owner: None,
        folders: &[],
        files: &[],
        now: T0,
    };
    assert!(!store.move_entry(&gone).await.unwrap());
}
