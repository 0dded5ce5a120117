//! The persistence boundary. The `store` crate implements it once over
//! SQLite and PostgreSQL; the conformance suite there checks both.

use async_trait::async_trait;

use crate::lockout::{CounterHit, Limit};
use crate::{
    ApiKey, AuditEntry, Entry, File, FileOperation, FileVersion, Folder, Group, Link, LinkEvent, LinkEventCounts,
    NewFile, NewUser, NewVersion, NewWebhookLog, Purged, Result, User, WebhookAttempt, WebhookConfig, WebhookLog,
    WebhookLogQuery,
};

/// The outcome of inserting a link under the per-file limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkInsert {
    Inserted,
    /// The file or folder already has `max` links of this kind.
    LimitReached {
        max: i64,
    },
    /// The file or folder was deleted meanwhile.
    FileGone,
    /// The link id is taken (by a link on another entry).
    IdTaken,
}

/// What a link change decided, under the link's row lock.
#[derive(Debug, Clone)]
pub enum LinkWrite {
    Update(Box<Link>, AuditEntry),
    Delete(AuditEntry),
}

/// Decides a link change from the link as it is once locked.
pub type LinkChangeFn<'a> = Box<dyn FnOnce(&Link) -> Result<LinkWrite> + Send + 'a>;

/// What `Store::move_entry` changes.
pub struct EntryMove<'a> {
    pub entry: Entry,
    pub parent_id: i64,
    pub title: &'a str,
    pub owner: Option<&'a str>,
    pub folders: &'a [i64],
    pub files: &'a [i64],
    pub now: i64,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `postgres` or `sqlite`, for logs and the health check.
    fn backend(&self) -> &'static str;

    async fn count_users(&self) -> Result<i64>;
    /// Creates the user and their My Documents folder in one transaction.
    async fn create_user(&self, user: &NewUser, now: i64) -> Result<User>;
    async fn user_by_id(&self, id: &str) -> Result<Option<User>>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;

    async fn create_session(&self, token_hash: &str, user_id: &str, expires: i64) -> Result<()>;
    /// The user behind an unexpired session.
    async fn session_user(&self, token_hash: &str, now: i64) -> Result<Option<User>>;
    /// Sign-out: `true` when the session existed.
    async fn delete_session(&self, token_hash: &str) -> Result<bool>;
    /// Sets a new password hash and ends every other session of the user,
    /// in one transaction; `keep_session` (a token hash) stays signed in.
    async fn set_user_password(&self, user_id: &str, password_hash: &str, keep_session: &str) -> Result<()>;

    async fn create_api_key(&self, key: &ApiKey) -> Result<()>;
    async fn api_key_by_hash(&self, hash: &str) -> Result<Option<ApiKey>>;
    /// The key with its user, `None` when either is gone: what every request
    /// with an API key reads, so a backend should answer it in one query.
    async fn api_key_with_user(&self, hash: &str) -> Result<Option<(ApiKey, User)>> {
        let Some(key) = self.api_key_by_hash(hash).await? else { return Ok(None) };
        Ok(self.user_by_id(&key.user_id).await?.map(|user| (key, user)))
    }
    async fn touch_api_key(&self, id: &str, now: i64) -> Result<()>;
    /// All keys, or one user's, newest first.
    async fn list_api_keys(&self, user_id: Option<&str>) -> Result<Vec<ApiKey>>;
    async fn api_key(&self, id: &str) -> Result<Option<ApiKey>>;
    async fn delete_api_key(&self, id: &str) -> Result<bool>;

    async fn folder(&self, id: i64) -> Result<Option<Folder>>;
    async fn create_folder(&self, parent: &Folder, title: &str, now: i64) -> Result<Folder>;
    /// One page of a folder: subfolders first, then files, both by title;
    /// returns the page and the total number of entries.
    async fn folder_page(&self, id: i64, offset: i64, limit: i64) -> Result<(Vec<Folder>, Vec<File>, i64)>;
    /// Number of direct child files and folders.
    async fn folder_counts(&self, id: i64) -> Result<(i64, i64)>;
    /// Deletes a folder that has no files and no folders, in one statement
    /// (so nothing can be added meanwhile); `false` if it is not empty, is a
    /// root folder or does not exist.
    async fn delete_empty_folder(&self, id: i64) -> Result<bool>;
    /// (file id, number of links not expired at `now`) for the files of a
    /// folder that have any.
    async fn active_link_counts(&self, folder_id: i64, now: i64) -> Result<Vec<(i64, i64)>>;

    /// Creates the file and its version 1 ("Created") in one transaction.
    async fn create_file(&self, file: &NewFile) -> Result<File>;
    async fn file(&self, id: i64) -> Result<Option<File>>;
    /// Renames a file; `false` when it is gone.
    async fn rename_file(&self, id: i64, title: &str, now: i64) -> Result<bool>;
    /// Locks the file for `by`, or unlocks it (`None`); `false` when it is gone.
    async fn set_file_lock(&self, id: i64, by: Option<&str>) -> Result<bool>;
    /// Marks (`on`) or unmarks a file for a user: `kind` is `recent` or
    /// `favorite`. Marking again moves the mark's time to `now`.
    async fn mark_file(&self, user_id: &str, file_id: i64, kind: &str, on: bool, now: i64) -> Result<()>;
    /// A page of the user's files marked `kind`, newest mark first, and the total.
    async fn marked_files(&self, user_id: &str, kind: &str, offset: i64, limit: i64) -> Result<(Vec<File>, i64)>;
    async fn is_marked(&self, user_id: &str, file_id: i64, kind: &str) -> Result<bool>;
    /// Shares the file with a user of this server at `access` (a FileShare
    /// value), or stops sharing it (`access` 0). Sharing again changes the
    /// access and keeps the first share's time.
    async fn set_file_share(&self, file_id: i64, user_id: &str, access: i64, now: i64) -> Result<()>;
    /// (user id, access) of everyone the file is shared with, oldest share first.
    async fn file_shares(&self, file_id: i64) -> Result<Vec<(String, i64)>>;
    /// The access the file is shared with this user at, if it is.
    async fn file_share(&self, file_id: i64, user_id: &str) -> Result<Option<i64>>;
    /// A page of the files shared with the user, newest share first, and the total.
    async fn shared_files(&self, user_id: &str, offset: i64, limit: i64) -> Result<(Vec<File>, i64)>;
    /// Shares the file with a group (every member gets `access`), or stops
    /// (`access` 0), as `set_file_share` for a person.
    async fn set_file_group_share(&self, file_id: i64, group_id: &str, access: i64, now: i64) -> Result<()>;
    /// (group id, access) of every group the file is shared with, oldest first.
    async fn file_group_shares(&self, file_id: i64) -> Result<Vec<(String, i64)>>;
    /// Every access the user holds on the file: their own share and the share
    /// of each group they belong to (the caller picks the best).
    async fn person_accesses(&self, file_id: i64, user_id: &str) -> Result<Vec<i64>>;

    /// Disables a user (ending their sessions in the same transaction) or
    /// enables them again; `false` when there is no such user.
    async fn set_user_disabled(&self, user_id: &str, disabled: bool) -> Result<bool>;
    /// Creates the group with its members in one transaction.
    async fn create_group(&self, group: &Group, members: &[String]) -> Result<()>;
    async fn group(&self, id: &str) -> Result<Option<Group>>;
    /// Every group, or those `member` belongs to; by name.
    async fn groups(&self, member: Option<&str>) -> Result<Vec<Group>>;
    /// The group's members' ids, in the order they were added.
    async fn group_member_ids(&self, id: &str) -> Result<Vec<String>>;
    /// Writes the group's name and manager, adds and removes members, in one
    /// transaction; `false` when the group is gone.
    async fn update_group(&self, group: &Group, add: &[String], remove: &[String]) -> Result<bool>;
    /// Deletes the group with its memberships and file shares.
    async fn delete_group(&self, id: &str) -> Result<bool>;
    /// The oldest file of a folder with exactly this title.
    async fn file_by_title(&self, folder_id: i64, title: &str) -> Result<Option<File>>;
    async fn folder_by_title(&self, parent_id: i64, title: &str) -> Result<Option<Folder>>;
    /// Deletes the file with its links and versions; returns every blob key
    /// it used, to remove once this has committed (empty if it was gone).
    async fn delete_file(&self, id: i64) -> Result<Vec<String>>;
    /// Makes `new` the file's next version and forgets versions older than
    /// the newest `keep + 1` (the new one and `keep` previous ones), in one
    /// transaction. Returns the blob keys no version uses any more, to
    /// remove once this has committed; `None` if the file is gone.
    async fn replace_file_content(&self, id: i64, new: &NewVersion, keep: i64) -> Result<Option<Vec<String>>>;
    /// The file's versions, newest first.
    async fn file_versions(&self, file_id: i64) -> Result<Vec<FileVersion>>;
    async fn file_version(&self, file_id: i64, version: i64) -> Result<Option<FileVersion>>;
    /// DocSpace's "continue version": the versions after `version` whose
    /// group is above its group move down one group (the next one joins it).
    async fn continue_version(&self, file_id: i64, version: i64) -> Result<()>;

    /// Links of a file or folder, primary first, then by creation; and the total.
    async fn entry_links(&self, entry: Entry, offset: i64, limit: i64) -> Result<(Vec<Link>, i64)>;
    async fn primary_link(&self, entry: Entry) -> Result<Option<Link>>;
    async fn link(&self, id: &str) -> Result<Option<Link>>;
    /// The link and the file it shares, `None` when either is gone or the
    /// link shares a folder: the lookup behind every recipient request, so a
    /// backend should answer it in one query.
    async fn link_with_file(&self, id: &str) -> Result<Option<(Link, File)>> {
        let Some(link) = self.link(id).await? else { return Ok(None) };
        let Some(file_id) = link.entry.file_id() else { return Ok(None) };
        Ok(self.file(file_id).await?.map(|file| (link, file)))
    }
    async fn link_by_code(&self, code: &str) -> Result<Option<Link>>;
    /// Inserts under the limits (per file or per folder), atomically on both
    /// backends, and writes the audit row in the same transaction.
    async fn insert_link(&self, link: &Link, max: i64, audit: &AuditEntry) -> Result<LinkInsert>;
    async fn update_link(&self, link: &Link, audit: &AuditEntry) -> Result<bool>;
    /// Read-modify-write of one link in one transaction: locks the link row,
    /// reads it, lets `change` decide, writes the result and its audit row.
    /// Concurrent changes of one link queue instead of overwriting each
    /// other's fields. `None` when the link (on this entry) does not exist;
    /// an error from `change` writes nothing.
    async fn change_link(&self, entry: Entry, link_id: &str, change: LinkChangeFn<'_>) -> Result<Option<LinkWrite>>;
    async fn delete_link(&self, entry: Entry, link_id: &str, audit: &AuditEntry) -> Result<bool>;
    async fn audit_entries(&self, entry: Entry) -> Result<Vec<AuditEntry>>;
    /// Counts one use of the link in ONE conditional statement (`use_count
    /// + 1` only while it is under `max_uses`, and only for the link with
    /// this token salt) and returns the count afterwards; `None` when the
    /// link is used up or gone. Parallel callers cannot overshoot the limit.
    async fn take_link_use(&self, link_id: &str, token_salt: &str) -> Result<Option<i64>>;
    /// Takes back one use (never below zero).
    async fn give_back_link_use(&self, link_id: &str) -> Result<()>;

    /// Whether `folder_id` is `root_id` or lies anywhere below it.
    async fn folder_within(&self, folder_id: i64, root_id: i64) -> Result<bool>;
    /// Puts the file or folder under `parent_id` with `title` (a move, or a
    /// rename on the way). With `owner`, the entry and the `folders` and
    /// `files` below it (the caller lists them) change owner too, in the same
    /// transaction. False when the entry is gone.
    async fn move_entry(&self, m: &EntryMove<'_>) -> Result<bool>;
    /// Every folder below `root_id` (not the root itself) and every file in
    /// the root or below it, each by title: the zip of a tree.
    async fn folder_tree(&self, root_id: i64) -> Result<(Vec<Folder>, Vec<File>)>;

    async fn insert_operation(&self, op: &FileOperation) -> Result<()>;
    /// The owner's operations created after `since`, oldest first.
    async fn operations(&self, owner: &str, since: i64) -> Result<Vec<FileOperation>>;
    async fn operation(&self, id: &str) -> Result<Option<FileOperation>>;
    /// Forgets operations created before `before`.
    async fn purge_operations(&self, before: i64) -> Result<u64>;

    /// Writes the events; an `opened` event whose `dedupe_key` is already
    /// stored is skipped (atomically, also across nodes).
    async fn record_link_events(&self, events: &[LinkEvent]) -> Result<()>;
    async fn link_events(&self, link_id: &str) -> Result<Vec<LinkEvent>>;

    /// Counts one attempt in the counter (`scope`, `key`) in ONE atomic
    /// statement and returns the counter as it is afterwards: a window that
    /// has ended (`window_end <= now`) starts over at `now` with 1; a window
    /// that ended with `limit.max` failures or more is followed by one twice
    /// as long, up to `limit.max_window_secs`.
    async fn count_attempt(&self, scope: &str, key: &str, now: i64, limit: &Limit) -> Result<CounterHit>;
    /// Takes back one attempt counted in the window that started at
    /// `window_start`; a no-op once that window has been replaced.
    async fn uncount_attempt(&self, scope: &str, key: &str, window_start: i64) -> Result<()>;

    /// Deletes sessions expired at `now`, lockout counters whose window
    /// ended before `counters_before`, and link events older than
    /// `events_before` (none when `None`).
    async fn purge(&self, now: i64, counters_before: i64, events_before: Option<i64>) -> Result<Purged>;
    /// One page of a link's events, newest first, and the total.
    async fn link_events_page(&self, link_id: &str, offset: i64, limit: i64) -> Result<(Vec<LinkEvent>, i64)>;
    /// Opens, downloads and the last open of a link.
    async fn link_event_counts(&self, link_id: &str) -> Result<LinkEventCounts>;

    /// Inserts a webhook config (its `id` is assigned) unless one with the
    /// same `uri` and `name` exists: `None` then.
    async fn insert_webhook_config(&self, c: &WebhookConfig) -> Result<Option<WebhookConfig>>;
    async fn webhook_config(&self, id: i64) -> Result<Option<WebhookConfig>>;
    /// All configs, or one creator's, by id, each with the status of its
    /// latest successful delivery (0 if none).
    async fn webhook_configs(&self, created_by: Option<&str>) -> Result<Vec<(WebhookConfig, i64)>>;
    async fn enabled_webhook_configs(&self) -> Result<Vec<WebhookConfig>>;
    async fn update_webhook_config(&self, c: &WebhookConfig) -> Result<bool>;
    /// Deletes the config and its log.
    async fn delete_webhook_config(&self, id: i64) -> Result<bool>;
    /// Queues deliveries (due now) in one transaction; returns their ids.
    async fn insert_webhook_logs(&self, logs: &[NewWebhookLog]) -> Result<Vec<i64>>;
    async fn webhook_log(&self, id: i64) -> Result<Option<WebhookLog>>;
    /// One page of the log, newest first, and the total.
    async fn webhook_logs_page(&self, q: &WebhookLogQuery) -> Result<(Vec<WebhookLog>, i64)>;
    /// Claims up to `limit` deliveries due at `now` for `owner` until
    /// `lease_until`. A row is claimed by one caller only, on every node
    /// (`FOR UPDATE SKIP LOCKED` on PostgreSQL, SQLite's single writer);
    /// a lease that ran out (a node that died) can be claimed again.
    async fn claim_webhook_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        owner: &str,
        limit: i64,
    ) -> Result<Vec<WebhookLog>>;
    /// Gives up `owner`'s claims (a node shutting down mid-delivery), so
    /// that they are due again at once rather than when the lease ends.
    async fn release_webhook_claims(&self, owner: &str) -> Result<()>;
    /// Records an attempt of a claimed delivery and releases the claim;
    /// updates the config's last success/failure. `false` if the claim was
    /// lost meanwhile (nothing written).
    async fn finish_webhook_attempt(&self, id: i64, owner: &str, a: &WebhookAttempt) -> Result<bool>;
}
