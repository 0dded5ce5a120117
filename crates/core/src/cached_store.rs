//! `CachedStore`: the `Store` with the link cache in front of it (see
//! `link_cache`). It is the one place where invalidation happens: every
//! `Store` method that can change what a cached (link, file) pair holds —
//! the link (access, password, expiry, deny-download, networks, delete),
//! its file (title, lock, content, deletion), the folder it sits in, or who
//! may reach it — goes through `changed`, which empties this node's cache
//! after the write and tells the other nodes.
//!
//! The trait has no default for these methods on purpose: a new `Store`
//! method does not compile until it is listed here, in the "writes" block
//! (through `changed`) when it can change a link, a file, a folder or an
//! owner, or in the pass-through block otherwise. When in doubt, put it
//! through `changed`: an extra invalidation costs a few cache misses.

use std::sync::Arc;

use async_trait::async_trait;

use crate::link_cache::{InvalidationBus, LinkCache};
use crate::lockout::{CounterHit, Limit};
use crate::store::{LinkChangeFn, LinkInsert, LinkWrite, Store};
use crate::{
    ApiKey, AuditEntry, Entry, EntryMove, File, FileOperation, FileVersion, Folder, Group, Link, LinkEvent,
    LinkEventCounts, NewFile, NewUser, NewVersion, NewWebhookLog, Purged, Result, User, WebhookAttempt, WebhookConfig,
    WebhookLog, WebhookLogQuery,
};

pub struct CachedStore {
    inner: Arc<dyn Store>,
    cache: Arc<LinkCache>,
    bus: Option<Arc<dyn InvalidationBus>>,
}

impl CachedStore {
    /// `bus` announces this node's writes to the others (`None` on a
    /// single node, SQLite).
    pub fn new(inner: Arc<dyn Store>, cache: Arc<LinkCache>, bus: Option<Arc<dyn InvalidationBus>>) -> Self {
        CachedStore { inner, cache, bus }
    }

    pub fn cache(&self) -> &Arc<LinkCache> {
        &self.cache
    }

    /// After a write (committed, failed or unknown): this node's cache is
    /// emptied before the caller goes on, then the other nodes are told.
    async fn changed<T>(&self, result: Result<T>) -> Result<T> {
        self.cache.invalidate_all();
        if let Some(bus) = &self.bus {
            bus.publish().await;
        }
        result
    }
}

#[async_trait]
impl Store for CachedStore {
    /// The recipient hot path, from the cache when it can.
    async fn link_with_file(&self, id: &str) -> Result<Option<(Link, File)>> {
        let miss = match self.cache.get(id) {
            Ok(hit) => return Ok(hit),
            Err(miss) => miss,
        };
        let pair = self.inner.link_with_file(id).await?;
        self.cache.fill(id, miss, pair.as_ref());
        Ok(pair)
    }

    // ---- writes: each one invalidates (`changed`) ----------------------------

    async fn delete_empty_folder(&self, id: i64) -> Result<bool> {
        self.changed(self.inner.delete_empty_folder(id).await).await
    }

    async fn rename_file(&self, id: i64, title: &str, now: i64) -> Result<bool> {
        self.changed(self.inner.rename_file(id, title, now).await).await
    }

    async fn set_file_lock(&self, id: i64, by: Option<&str>) -> Result<bool> {
        self.changed(self.inner.set_file_lock(id, by).await).await
    }

    async fn set_file_share(&self, file_id: i64, user_id: &str, access: i64, now: i64) -> Result<()> {
        self.changed(self.inner.set_file_share(file_id, user_id, access, now).await).await
    }

    async fn delete_file(&self, id: i64) -> Result<Vec<String>> {
        self.changed(self.inner.delete_file(id).await).await
    }

    async fn replace_file_content(&self, id: i64, new: &NewVersion, keep: i64) -> Result<Option<Vec<String>>> {
        self.changed(self.inner.replace_file_content(id, new, keep).await).await
    }

    async fn insert_link(&self, link: &Link, max: i64, audit: &AuditEntry) -> Result<LinkInsert> {
        self.changed(self.inner.insert_link(link, max, audit).await).await
    }

    async fn update_link(&self, link: &Link, audit: &AuditEntry) -> Result<bool> {
        self.changed(self.inner.update_link(link, audit).await).await
    }

    async fn change_link(&self, entry: Entry, link_id: &str, change: LinkChangeFn<'_>) -> Result<Option<LinkWrite>> {
        self.changed(self.inner.change_link(entry, link_id, change).await).await
    }

    async fn delete_link(&self, entry: Entry, link_id: &str, audit: &AuditEntry) -> Result<bool> {
        self.changed(self.inner.delete_link(entry, link_id, audit).await).await
    }

    async fn set_file_group_share(&self, file_id: i64, group_id: &str, access: i64, now: i64) -> Result<()> {
        self.changed(self.inner.set_file_group_share(file_id, group_id, access, now).await).await
    }

    /// Takes the group's shares along (the files' `shared` flags change).
    async fn delete_group(&self, id: &str) -> Result<bool> {
        self.changed(self.inner.delete_group(id).await).await
    }

    /// A disabled owner: what their links grant is decided afresh.
    async fn set_user_disabled(&self, user_id: &str, disabled: bool) -> Result<bool> {
        self.changed(self.inner.set_user_disabled(user_id, disabled).await).await
    }

    /// The file DTO's `versionGroup` changes.
    async fn continue_version(&self, file_id: i64, version: i64) -> Result<()> {
        self.changed(self.inner.continue_version(file_id, version).await).await
    }

    /// A move (or owner change) changes which folder links reach the items
    /// and who owns the files behind cached file links.
    async fn move_entry(&self, m: &EntryMove<'_>) -> Result<bool> {
        self.changed(self.inner.move_entry(m).await).await
    }

    // ---- pass-through: nothing a cached pair holds changes ------------------

    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn count_users(&self) -> Result<i64> {
        self.inner.count_users().await
    }

    async fn create_user(&self, user: &NewUser, now: i64) -> Result<User> {
        self.inner.create_user(user, now).await
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        self.inner.user_by_id(id).await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        self.inner.user_by_email(email).await
    }

    async fn create_session(&self, token_hash: &str, user_id: &str, expires: i64) -> Result<()> {
        self.inner.create_session(token_hash, user_id, expires).await
    }

    async fn session_user(&self, token_hash: &str, now: i64) -> Result<Option<User>> {
        self.inner.session_user(token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<bool> {
        self.inner.delete_session(token_hash).await
    }

    async fn set_user_password(&self, user_id: &str, password_hash: &str, keep_session: &str) -> Result<()> {
        self.inner.set_user_password(user_id, password_hash, keep_session).await
    }

    async fn create_api_key(&self, key: &ApiKey) -> Result<()> {
        self.inner.create_api_key(key).await
    }

    async fn api_key_by_hash(&self, hash: &str) -> Result<Option<ApiKey>> {
        self.inner.api_key_by_hash(hash).await
    }

    async fn touch_api_key(&self, id: &str, now: i64) -> Result<()> {
        self.inner.touch_api_key(id, now).await
    }

    async fn list_api_keys(&self, user_id: Option<&str>) -> Result<Vec<ApiKey>> {
        self.inner.list_api_keys(user_id).await
    }

    async fn api_key(&self, id: &str) -> Result<Option<ApiKey>> {
        self.inner.api_key(id).await
    }

    async fn delete_api_key(&self, id: &str) -> Result<bool> {
        self.inner.delete_api_key(id).await
    }

    async fn folder(&self, id: i64) -> Result<Option<Folder>> {
        self.inner.folder(id).await
    }

    async fn create_folder(&self, parent: &Folder, title: &str, now: i64) -> Result<Folder> {
        self.inner.create_folder(parent, title, now).await
    }

    async fn folder_page(&self, id: i64, offset: i64, limit: i64) -> Result<(Vec<Folder>, Vec<File>, i64)> {
        self.inner.folder_page(id, offset, limit).await
    }

    async fn folder_counts(&self, id: i64) -> Result<(i64, i64)> {
        self.inner.folder_counts(id).await
    }

    async fn active_link_counts(&self, folder_id: i64, now: i64) -> Result<Vec<(i64, i64)>> {
        self.inner.active_link_counts(folder_id, now).await
    }

    async fn create_file(&self, file: &NewFile) -> Result<File> {
        self.inner.create_file(file).await
    }

    async fn file(&self, id: i64) -> Result<Option<File>> {
        self.inner.file(id).await
    }

    async fn mark_file(&self, user_id: &str, file_id: i64, kind: &str, on: bool, now: i64) -> Result<()> {
        self.inner.mark_file(user_id, file_id, kind, on, now).await
    }

    async fn marked_files(&self, user_id: &str, kind: &str, offset: i64, limit: i64) -> Result<(Vec<File>, i64)> {
        self.inner.marked_files(user_id, kind, offset, limit).await
    }

    async fn is_marked(&self, user_id: &str, file_id: i64, kind: &str) -> Result<bool> {
        self.inner.is_marked(user_id, file_id, kind).await
    }

    async fn file_shares(&self, file_id: i64) -> Result<Vec<(String, i64)>> {
        self.inner.file_shares(file_id).await
    }

    async fn file_share(&self, file_id: i64, user_id: &str) -> Result<Option<i64>> {
        self.inner.file_share(file_id, user_id).await
    }

    async fn shared_files(&self, user_id: &str, offset: i64, limit: i64) -> Result<(Vec<File>, i64)> {
        self.inner.shared_files(user_id, offset, limit).await
    }

    async fn file_by_title(&self, folder_id: i64, title: &str) -> Result<Option<File>> {
        self.inner.file_by_title(folder_id, title).await
    }

    async fn file_versions(&self, file_id: i64) -> Result<Vec<FileVersion>> {
        self.inner.file_versions(file_id).await
    }

    async fn file_version(&self, file_id: i64, version: i64) -> Result<Option<FileVersion>> {
        self.inner.file_version(file_id, version).await
    }

    async fn entry_links(&self, entry: Entry, offset: i64, limit: i64) -> Result<(Vec<Link>, i64)> {
        self.inner.entry_links(entry, offset, limit).await
    }

    async fn primary_link(&self, entry: Entry) -> Result<Option<Link>> {
        self.inner.primary_link(entry).await
    }

    async fn link(&self, id: &str) -> Result<Option<Link>> {
        self.inner.link(id).await
    }

    async fn link_by_code(&self, code: &str) -> Result<Option<Link>> {
        self.inner.link_by_code(code).await
    }

    async fn audit_entries(&self, entry: Entry) -> Result<Vec<AuditEntry>> {
        self.inner.audit_entries(entry).await
    }

    async fn take_link_use(&self, link_id: &str, token_salt: &str) -> Result<Option<i64>> {
        self.inner.take_link_use(link_id, token_salt).await
    }

    async fn give_back_link_use(&self, link_id: &str) -> Result<()> {
        self.inner.give_back_link_use(link_id).await
    }

    async fn folder_within(&self, folder_id: i64, root_id: i64) -> Result<bool> {
        self.inner.folder_within(folder_id, root_id).await
    }

    async fn folder_tree(&self, root_id: i64) -> Result<(Vec<Folder>, Vec<File>)> {
        self.inner.folder_tree(root_id).await
    }

    async fn insert_operation(&self, op: &FileOperation) -> Result<()> {
        self.inner.insert_operation(op).await
    }

    async fn operations(&self, owner: &str, since: i64) -> Result<Vec<FileOperation>> {
        self.inner.operations(owner, since).await
    }

    async fn operation(&self, id: &str) -> Result<Option<FileOperation>> {
        self.inner.operation(id).await
    }

    async fn purge_operations(&self, before: i64) -> Result<u64> {
        self.inner.purge_operations(before).await
    }

    async fn record_link_events(&self, events: &[LinkEvent]) -> Result<()> {
        self.inner.record_link_events(events).await
    }

    async fn link_events(&self, link_id: &str) -> Result<Vec<LinkEvent>> {
        self.inner.link_events(link_id).await
    }

    async fn count_attempt(&self, scope: &str, key: &str, now: i64, limit: &Limit) -> Result<CounterHit> {
        self.inner.count_attempt(scope, key, now, limit).await
    }

    async fn uncount_attempt(&self, scope: &str, key: &str, window_start: i64) -> Result<()> {
        self.inner.uncount_attempt(scope, key, window_start).await
    }

    async fn purge(&self, now: i64, counters_before: i64, events_before: Option<i64>) -> Result<Purged> {
        self.inner.purge(now, counters_before, events_before).await
    }

    async fn link_events_page(&self, link_id: &str, offset: i64, limit: i64) -> Result<(Vec<LinkEvent>, i64)> {
        self.inner.link_events_page(link_id, offset, limit).await
    }

    async fn link_event_counts(&self, link_id: &str) -> Result<LinkEventCounts> {
        self.inner.link_event_counts(link_id).await
    }

    async fn insert_webhook_config(&self, c: &WebhookConfig) -> Result<Option<WebhookConfig>> {
        self.inner.insert_webhook_config(c).await
    }

    async fn webhook_config(&self, id: i64) -> Result<Option<WebhookConfig>> {
        self.inner.webhook_config(id).await
    }

    async fn webhook_configs(&self, created_by: Option<&str>) -> Result<Vec<(WebhookConfig, i64)>> {
        self.inner.webhook_configs(created_by).await
    }

    async fn enabled_webhook_configs(&self) -> Result<Vec<WebhookConfig>> {
        self.inner.enabled_webhook_configs().await
    }

    async fn update_webhook_config(&self, c: &WebhookConfig) -> Result<bool> {
        self.inner.update_webhook_config(c).await
    }

    async fn delete_webhook_config(&self, id: i64) -> Result<bool> {
        self.inner.delete_webhook_config(id).await
    }

    async fn insert_webhook_logs(&self, logs: &[NewWebhookLog]) -> Result<Vec<i64>> {
        self.inner.insert_webhook_logs(logs).await
    }

    async fn webhook_log(&self, id: i64) -> Result<Option<WebhookLog>> {
        self.inner.webhook_log(id).await
    }

    async fn webhook_logs_page(&self, q: &WebhookLogQuery) -> Result<(Vec<WebhookLog>, i64)> {
        self.inner.webhook_logs_page(q).await
    }

    async fn claim_webhook_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        owner: &str,
        limit: i64,
    ) -> Result<Vec<WebhookLog>> {
        self.inner.claim_webhook_deliveries(now, lease_until, owner, limit).await
    }

    async fn release_webhook_claims(&self, owner: &str) -> Result<()> {
        self.inner.release_webhook_claims(owner).await
    }

    async fn finish_webhook_attempt(&self, id: i64, owner: &str, a: &WebhookAttempt) -> Result<bool> {
        self.inner.finish_webhook_attempt(id, owner, a).await
    }

    async fn api_key_with_user(&self, hash: &str) -> Result<Option<(ApiKey, User)>> {
        self.inner.api_key_with_user(hash).await
    }

    async fn file_group_shares(&self, file_id: i64) -> Result<Vec<(String, i64)>> {
        self.inner.file_group_shares(file_id).await
    }

    async fn person_accesses(&self, file_id: i64, user_id: &str) -> Result<Vec<i64>> {
        self.inner.person_accesses(file_id, user_id).await
    }

    async fn create_group(&self, group: &Group, members: &[String]) -> Result<()> {
        self.inner.create_group(group, members).await
    }

    async fn group(&self, id: &str) -> Result<Option<Group>> {
        self.inner.group(id).await
    }

    async fn groups(&self, member: Option<&str>) -> Result<Vec<Group>> {
        self.inner.groups(member).await
    }

    async fn group_member_ids(&self, id: &str) -> Result<Vec<String>> {
        self.inner.group_member_ids(id).await
    }

    /// Members in and out: people's access is never cached.
    async fn update_group(&self, group: &Group, add: &[String], remove: &[String]) -> Result<bool> {
        self.inner.update_group(group, add, remove).await
    }

    async fn folder_by_title(&self, parent_id: i64, title: &str) -> Result<Option<Folder>> {
        self.inner.folder_by_title(parent_id, title).await
    }
}
