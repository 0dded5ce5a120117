//! The link operations behind the HTTP routes: owner side (list, create,
//! update, delete, primary) and recipient side (token → link → status,
//! password attempts with lockout).

use std::sync::Arc;

use serde_json::json;
use spacelinks_api_types::date::now_micros;

use crate::crypto::{new_short_code, new_token_salt, Secrets};
use crate::links::{
    allowed_link_access, link_status, LinkRequest, LinkStatus, NewLinkContext, PasswordChange, PasswordEvidence,
    PasswordPolicy, Visitor, DEFAULT_TITLE, FOLDER_LINK_ACCESS, MAX_ADDITIONAL_LINKS, MAX_PRIMARY_LINKS,
};
use crate::lockout::begin_attempt;
pub use crate::lockout::LockoutPolicy;
use crate::{
    AuditEntry, Entry, Error, File, Folder, Link, LinkEventCounts, LinkInsert, LinkWrite, Refusal, Result, Store, User,
};

#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub secrets: Secrets,
    pub passwords: PasswordPolicy,
    pub lockout: LockoutPolicy,
    /// Previous versions kept per file, besides the current one.
    pub keep_versions: i64,
}

/// A link as its manager sees it: with the password in plain text and
/// the counters of its access log (`openCount`, `lastOpenedOn`).
pub struct ManagedLink {
    pub link: Link,
    pub password: Option<String>,
    pub counts: LinkEventCounts,
}

/// A link reached through its token, with the file it opens: the file it
/// shares, or a file below the folder it shares.
pub struct SharedFile {
    pub link: Link,
    pub file: File,
    pub password: Option<String>,
}

/// A folder link reached through its token, with a folder it opens: the
/// folder it shares, or one below it.
pub struct SharedFolder {
    pub link: Link,
    pub folder: Folder,
    pub password: Option<String>,
}

/// What a share token leads to.
pub enum Shared {
    File(SharedFile),
    Folder(SharedFolder),
}

/// A link as a visitor meets it: what its status is judged on.
pub trait Unlockable {
    fn link(&self) -> &Link;
    /// The decrypted stored password.
    fn password(&self) -> Option<&str>;
    /// Who owns the shared entry (never refused by the link controls).
    fn owner_id(&self) -> &str;
}

impl Unlockable for SharedFile {
    fn link(&self) -> &Link {
        &self.link
    }
    fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }
    fn owner_id(&self) -> &str {
        &self.file.owner.id
    }
}

impl Unlockable for SharedFolder {
    fn link(&self) -> &Link {
        &self.link
    }
    fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }
    fn owner_id(&self) -> &str {
        &self.folder.owner.id
    }
}

impl Unlockable for Shared {
    fn link(&self) -> &Link {
        match self {
            Shared::File(s) => &s.link,
            Shared::Folder(s) => &s.link,
        }
    }
    fn password(&self) -> Option<&str> {
        match self {
            Shared::File(s) => s.password(),
            Shared::Folder(s) => s.password(),
        }
    }
    fn owner_id(&self) -> &str {
        match self {
            Shared::File(s) => s.owner_id(),
            Shared::Folder(s) => s.owner_id(),
        }
    }
}

/// The file or folder whose links someone manages.
pub enum ManagedEntry {
    File(File),
    Folder(Folder),
}

impl ManagedEntry {
    fn entry(&self) -> Entry {
        match self {
            ManagedEntry::File(f) => Entry::File(f.id),
            ManagedEntry::Folder(f) => Entry::Folder(f.id),
        }
    }
    fn link_context<'a>(&self, policy: &'a PasswordPolicy) -> NewLinkContext<'a> {
        let allowed = match self {
            ManagedEntry::File(f) => allowed_link_access(f.file_type()),
            ManagedEntry::Folder(_) => FOLDER_LINK_ACCESS,
        };
        NewLinkContext { allowed, policy }
    }
}

impl Services {
    /// The file, if `user` may manage its links: 404 "Item not found" for a
    /// missing file, 403 "You don't have enough permission to perform the
    /// operation" for anyone but its owner (what DocSpace answers a user
    /// changing the links of another user's file).
    pub async fn managed_file(&self, user: Option<&User>, file_id: i64) -> Result<File> {
        let file = self.store.file(file_id).await?.ok_or_else(Error::item_not_found)?;
        match user {
            Some(u) if u.id == file.owner.id && u.user_type != spacelinks_api_types::UserType::Guest => Ok(file),
            _ => Err(Error::cannot_perform()),
        }
    }

    /// The folder, if `user` may manage its links: as for files (its owner,
    /// not a guest). My Documents itself cannot be shared: 403.
    pub async fn managed_folder(&self, user: Option<&User>, folder_id: i64) -> Result<Folder> {
        let folder = self.store.folder(folder_id).await?.ok_or_else(Error::item_not_found)?;
        match user {
            Some(u) if u.id == folder.owner.id && u.user_type != spacelinks_api_types::UserType::Guest => {}
            _ => return Err(Error::access_denied()),
        }
        if folder.is_root() {
            return Err(Error::Forbidden("My Documents itself cannot be shared; share a folder in it".into()));
        }
        Ok(folder)
    }

    pub async fn managed_entry(&self, user: Option<&User>, entry: Entry) -> Result<ManagedEntry> {
        Ok(match entry {
            Entry::File(id) => ManagedEntry::File(self.managed_file(user, id).await?),
            Entry::Folder(id) => ManagedEntry::Folder(self.managed_folder(user, id).await?),
        })
    }

    /// A link for its manager. A password that no longer decrypts is left
    /// out (and logged): the owner still sees the link and can set a new one.
    pub async fn manage(&self, link: Link) -> Result<ManagedLink> {
        let password = self.decrypt(&link).unwrap_or(None);
        let counts = self.store.link_event_counts(&link.id).await?;
        Ok(ManagedLink { link, password, counts })
    }

    /// The link's password in plain text. `Err(())` when it is stored but
    /// does not decrypt with this server's secret (the secret changed, or the
    /// row came from elsewhere): logged loudly, and the caller must treat the
    /// link as unusable, never as one without a password.
    fn decrypt(&self, link: &Link) -> std::result::Result<Option<String>, ()> {
        let Some(stored) = link.password_enc.as_deref() else { return Ok(None) };
        match self.secrets.decrypt_password(&link.id, stored) {
            Ok(p) => Ok(Some(p)),
            Err(e) => {
                tracing::error!(
                    link_id = %link.id,
                    entry = ?link.entry,
                    error = %e,
                    "the link's password cannot be decrypted with this server's secret key \
                     (was SPACELINKS_SECRET_KEY or secret.key changed?); the link answers as invalid \
                     until its owner sets a new password"
                );
                Err(())
            }
        }
    }

    /// `GET .../links`: someone who may not manage the entry's links gets an
    /// empty list, as in DocSpace; a missing file or folder is 404.
    pub async fn list_links(
        &self,
        user: &User,
        entry: Entry,
        offset: i64,
        count: i64,
    ) -> Result<(Vec<ManagedLink>, i64)> {
        match self.managed_entry(Some(user), entry).await {
            Ok(_) => {}
            Err(Error::Forbidden(_)) => return Ok((Vec::new(), 0)),
            Err(e) => return Err(e),
        }
        let (links, total) = self.store.entry_links(entry, offset.max(0), count).await?;
        let mut managed = Vec::with_capacity(links.len());
        for l in links {
            managed.push(self.manage(l).await?);
        }
        Ok((managed, total))
    }

    /// `PUT .../links` of a file or a folder: create, merge-update or delete
    /// one link.
    pub async fn set_link(&self, user: &User, entry: Entry, req: &LinkRequest) -> Result<Option<ManagedLink>> {
        let managed = self.managed_entry(Some(user), entry).await?;
        let ctx = managed.link_context(&self.passwords);
        let trimmed;
        // DocSpace trims a folder link's password (FoldersController), not a file link's.
        let req = match (&managed, &req.password) {
            (ManagedEntry::Folder(_), spacelinks_api_types::lenient::Patch::Value(p)) => {
                trimmed = LinkRequest {
                    password: spacelinks_api_types::lenient::Patch::Value(p.trim().to_string()),
                    ..req.clone()
                };
                &trimmed
            }
            _ => req,
        };
        let Some(link_id) = &req.link_id else {
            return self.create_link(user, &managed, req, &ctx, req.primary).await;
        };
        // The merge happens under the link's row lock, on the link as it is
        // then: parallel PUTs changing different fields all take effect. No
        // read before the transaction: `change_link` finds the link (on this
        // entry) itself, and when it finds none the request creates it.
        let (secrets, link_ctx) = (&self.secrets, &ctx);
        let change: crate::LinkChangeFn<'_> = Box::new(move |current: &Link| {
            let now = now_micros();
            let Some(change) = req.merge_into(current, link_ctx)? else {
                let details = json!({ "title": current.title });
                return Ok(LinkWrite::Delete(audit_entry(user, current, "link.deleted", details, now)));
            };
            let mut next = change.link;
            match &change.password {
                PasswordChange::Keep => {}
                PasswordChange::Clear => next.password_enc = None,
                PasswordChange::Set(p) => next.password_enc = Some(secrets.encrypt_password(&next.id, p)),
            }
            let details = json!({
                "changed": changed_fields(current, &next, &change.password),
                "access": next.access,
                "title": next.title,
            });
            let audit = audit_entry(user, &next, "link.updated", details, now);
            Ok(LinkWrite::Update(Box::new(next), audit))
        });
        match self.store.change_link(entry, link_id, change).await? {
            None => self.create_link(user, &managed, req, &ctx, req.primary).await,
            Some(LinkWrite::Delete(_)) => Ok(None),
            Some(LinkWrite::Update(next, _)) => self.manage(*next).await.map(Some),
        }
    }

    async fn create_link(
        &self,
        user: &User,
        managed: &ManagedEntry,
        req: &LinkRequest,
        ctx: &NewLinkContext<'_>,
        primary: bool,
    ) -> Result<Option<ManagedLink>> {
        let Some(fields) = req.new_link(ctx)? else { return Ok(None) };
        let now = now_micros();
        let id = req.link_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let link = Link {
            password_enc: fields.password.as_deref().map(|p| self.secrets.encrypt_password(&id, p)),
            id,
            entry: managed.entry(),
            primary,
            access: fields.access,
            title: fields.title,
            expires: fields.expires,
            deny_download: fields.deny_download,
            internal: fields.internal,
            short_code: new_short_code(),
            created_by: user.id.clone(),
            created: now,
            token_salt: new_token_salt(),
            max_uses: fields.max_uses,
            use_count: 0,
            allowed_networks: fields.allowed_networks,
        };
        let details = json!({
            "access": link.access, "title": link.title, "primary": link.primary, "expires": link.expires,
            "hasPassword": link.password_enc.is_some(), "denyDownload": link.deny_download, "internal": link.internal,
            "maxUseCount": link.max_uses,
            "allowedNetworks": link.allowed_networks.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
        });
        let audit = self.audit(user, &link, "link.created", details, now);
        let max = if primary { MAX_PRIMARY_LINKS } else { MAX_ADDITIONAL_LINKS };
        match self.store.insert_link(&link, max, &audit).await? {
            LinkInsert::Inserted => self.manage(link).await.map(Some),
            LinkInsert::LimitReached { .. } if primary => Err(Error::Forbidden(format!(
                "A {} can have only one primary link; update or delete the existing one",
                if link.entry.is_folder() { "folder" } else { "file" }
            ))),
            LinkInsert::LimitReached { max } => {
                Err(Error::Forbidden(format!("The maximum number of links may not exceed {max}")))
            }
            LinkInsert::FileGone => Err(Error::item_not_found()),
            LinkInsert::IdTaken => Err(Error::BadRequest("linkId is already used by another link".into())),
        }
    }

    /// `GET .../link` (no body) and `POST .../link` (with a body): the
    /// primary link, created when missing. POST ignores `linkId` and
    /// `primary`, and `title` for a file (a folder's POST honours it,
    /// trimmed, as DocSpace); GET creates a default Read link. A caller who
    /// may only read (`may_create` false: an API key without a write scope)
    /// gets the existing link or 403, never a new public link.
    pub async fn primary_link(
        &self,
        user: Option<&User>,
        entry: Entry,
        body: Option<&LinkRequest>,
        may_create: bool,
    ) -> Result<Option<ManagedLink>> {
        let managed = self.managed_entry(user, entry).await?;
        let user = user.ok_or_else(Error::access_denied)?;
        if let Some(link) = self.store.primary_link(entry).await? {
            return self.manage(link).await.map(Some);
        }
        if !may_create {
            return Err(Error::Forbidden(
                "The file has no primary link, and creating one needs the files:write scope".into(),
            ));
        }
        let ctx = managed.link_context(&self.passwords);
        let req = match body {
            Some(b) => {
                let title = match (&managed, &b.title) {
                    (ManagedEntry::Folder(_), spacelinks_api_types::lenient::Patch::Value(t))
                        if !t.trim().is_empty() =>
                    {
                        t.trim().to_string()
                    }
                    _ => DEFAULT_TITLE.to_string(),
                };
                LinkRequest { link_id: None, title: spacelinks_api_types::lenient::Patch::Value(title), ..b.clone() }
            }
            None => LinkRequest {
                link_id: None,
                access: spacelinks_api_types::lenient::Patch::Value(spacelinks_api_types::FileShare::Read),
                title: spacelinks_api_types::lenient::Patch::Absent,
                expires: spacelinks_api_types::lenient::Patch::Absent,
                password: spacelinks_api_types::lenient::Patch::Absent,
                deny_download: spacelinks_api_types::lenient::Patch::Absent,
                internal: spacelinks_api_types::lenient::Patch::Absent,
                primary: true,
                max_uses: spacelinks_api_types::lenient::Patch::Absent,
                allowed_networks: spacelinks_api_types::lenient::Patch::Absent,
            },
        };
        match self.create_link(user, &managed, &req, &ctx, true).await {
            // Two first visitors raced and the other one created it. Any
            // other refusal (an access level links may not carry) stands.
            Err(Error::Forbidden(message)) => match self.store.primary_link(entry).await? {
                Some(link) => self.manage(link).await.map(Some),
                None => Err(Error::Forbidden(message)),
            },
            other => other,
        }
    }

    fn audit(
        &self,
        user: &User,
        link: &Link,
        action: &'static str,
        details: serde_json::Value,
        now: i64,
    ) -> AuditEntry {
        audit_entry(user, link, action, details, now)
    }

    /// The link and file behind a file link's share token; `None` for a
    /// forged token, a deleted link, a deleted file, a folder link or a
    /// password that no longer decrypts — all of which the visitor sees as
    /// Invalid.
    pub async fn shared_file(&self, token: &str) -> Result<Option<SharedFile>> {
        let Some((link_id, salt)) = self.secrets.verify_share_token(token) else { return Ok(None) };
        let Some((link, file)) = self.store.link_with_file(&link_id).await? else { return Ok(None) };
        // A genuine token of a deleted link whose id was used again.
        if link.token_salt != salt {
            return Ok(None);
        }
        let Ok(password) = self.decrypt(&link) else { return Ok(None) };
        Ok(Some(SharedFile { link, file, password }))
    }

    /// What a share token leads to: a file link with its file, or a folder
    /// link with its folder. `None` as for `shared_file`.
    pub async fn shared(&self, token: &str) -> Result<Option<Shared>> {
        let Some((link_id, salt)) = self.secrets.verify_share_token(token) else { return Ok(None) };
        if let Some((link, file)) = self.store.link_with_file(&link_id).await? {
            if link.token_salt != salt {
                return Ok(None);
            }
            let Ok(password) = self.decrypt(&link) else { return Ok(None) };
            return Ok(Some(Shared::File(SharedFile { link, file, password })));
        }
        let Some(link) = self.store.link(&link_id).await?.filter(|l| l.token_salt == salt) else { return Ok(None) };
        let Some(folder_id) = link.entry.folder_id() else { return Ok(None) };
        let Some(folder) = self.store.folder(folder_id).await? else { return Ok(None) };
        let Ok(password) = self.decrypt(&link) else { return Ok(None) };
        Ok(Some(Shared::Folder(SharedFolder { link, folder, password })))
    }

    /// A file reached through a folder link: `Some` when the file lies in
    /// the link's folder or anywhere below it.
    pub async fn file_in_shared_folder(&self, shared: &SharedFolder, file: File) -> Result<Option<SharedFile>> {
        if !self.store.folder_within(file.folder_id, shared.folder.id).await? {
            return Ok(None);
        }
        Ok(Some(SharedFile { link: shared.link.clone(), file, password: shared.password.clone() }))
    }

    /// A folder reached through a folder link: `Some` when it is the link's
    /// folder or lies below it.
    pub async fn folder_in_shared_folder(&self, shared: &SharedFolder, folder: Folder) -> Result<Option<SharedFolder>> {
        if !self.store.folder_within(folder.id, shared.folder.id).await? {
            return Ok(None);
        }
        Ok(Some(SharedFolder { link: shared.link.clone(), folder, password: shared.password.clone() }))
    }

    /// The share token of a link (its salt included).
    pub fn share_token(&self, link: &Link) -> String {
        self.secrets.share_token(&link.id, &link.token_salt)
    }

    /// The status of a shared file or folder for a visitor who brings
    /// `evidence`.
    pub fn status(&self, shared: &impl Unlockable, evidence: &PasswordEvidence<'_>, visitor: &Visitor) -> LinkStatus {
        let link = shared.link();
        link_status(link, shared.password(), evidence, visitor, now_micros(), |pw, proof| {
            self.secrets.check_password_proof(&link.id, pw, proof)
        })
    }

    /// Takes one use of the link for a download that starts at byte 0:
    /// one conditional UPDATE in the store, so with `maxUseCount` N exactly
    /// N of any number of parallel downloads get through. A used-up link
    /// (or one deleted meanwhile) is 403 with the reason's message. Returns
    /// the link's `currentUseCount` after this use.
    pub async fn take_use(&self, link: &Link) -> Result<i64> {
        match self.store.take_link_use(&link.id, &link.token_salt).await? {
            Some(n) => Ok(n),
            None => Err(Error::Forbidden(Refusal::UsedUp.message().into())),
        }
    }

    /// Gives back a use taken for a download that then failed before any
    /// byte was sent.
    pub async fn give_back_use(&self, link: &Link) -> Result<()> {
        self.store.give_back_link_use(&link.id).await
    }

    /// A typed password, under the lockout (`crate::lockout`): 429 once the
    /// (link, client) or the link has seen too many wrong passwords in the
    /// window; only wrong passwords count. A visitor whose `proof` already
    /// shows they know the password is never locked out by others' failures.
    pub async fn try_password(
        &self,
        shared: &impl Unlockable,
        password: &str,
        proof: Option<&str>,
        visitor: &Visitor,
    ) -> Result<LinkStatus> {
        let typed = PasswordEvidence::Typed(password);
        let proven = proof.is_some_and(|p| self.status(shared, &PasswordEvidence::Proof(p), visitor) == LinkStatus::Ok);
        if shared.password().is_none() || proven {
            return Ok(self.status(shared, &typed, visitor));
        }
        let attempt = begin_attempt(&self.store, self.lockout.link_counters(&shared.link().id, visitor.ip)).await?;
        let status = self.status(shared, &typed, visitor);
        if status == LinkStatus::InvalidPassword {
            attempt.failed();
        } else {
            attempt.release().await?;
        }
        Ok(status)
    }
}

fn audit_entry(user: &User, link: &Link, action: &'static str, details: serde_json::Value, now: i64) -> AuditEntry {
    AuditEntry {
        at: now,
        actor_id: user.id.clone(),
        entry: link.entry,
        link_id: link.id.clone(),
        action,
        details: details.to_string(),
    }
}

fn changed_fields(old: &Link, new: &Link, password: &PasswordChange) -> Vec<&'static str> {
    let mut out = Vec::new();
    if old.access != new.access {
        out.push("access");
    }
    if old.title != new.title {
        out.push("title");
    }
    if old.expires != new.expires {
        out.push("expirationDate");
    }
    if *password != PasswordChange::Keep {
        out.push("password");
    }
    if old.deny_download != new.deny_download {
        out.push("denyDownload");
    }
    if old.internal != new.internal {
        out.push("internal");
    }
    if old.max_uses != new.max_uses {
        out.push("maxUseCount");
    }
    if old.allowed_networks != new.allowed_networks {
        out.push("allowedNetworks");
    }
    out
}
