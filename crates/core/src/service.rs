//! The link operations behind the HTTP routes: owner side (list, create,
//! update, delete, primary) and recipient side (token → link → status,
//! password attempts with lockout).

use std::sync::Arc;

use serde_json::json;
use spacelinks_api_types::date::now_micros;

use crate::crypto::{new_short_code, new_token_salt, Secrets};
use crate::links::{
    link_status, LinkRequest, LinkStatus, NewLinkContext, PasswordChange, PasswordEvidence, PasswordPolicy,
    MAX_ADDITIONAL_LINKS, MAX_PRIMARY_LINKS,
};
use crate::lockout::begin_attempt;
pub use crate::lockout::LockoutPolicy;
use crate::{AuditEntry, Error, File, Link, LinkInsert, LinkWrite, Result, Store, User};

#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub secrets: Secrets,
    pub passwords: PasswordPolicy,
    pub lockout: LockoutPolicy,
    /// Previous versions kept per file, besides the current one.
    pub keep_versions: i64,
}

/// A link as its manager sees it: with the password in plain text.
pub struct ManagedLink {
    pub link: Link,
    pub password: Option<String>,
}

/// A link reached through its token, with the file it shares.
pub struct SharedFile {
    pub link: Link,
    pub file: File,
    pub password: Option<String>,
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

    /// A link for its manager. A password that no longer decrypts is left
    /// out (and logged): the owner still sees the link and can set a new one.
    pub fn manage(&self, link: Link) -> Result<ManagedLink> {
        let password = self.decrypt(&link).unwrap_or(None);
        Ok(ManagedLink { link, password })
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
                    file_id = link.file_id,
                    error = %e,
                    "the link's password cannot be decrypted with this server's secret key \
                     (was SPACELINKS_SECRET_KEY or secret.key changed?); the link answers as invalid \
                     until its owner sets a new password"
                );
                Err(())
            }
        }
    }

    /// `GET .../links`: someone who may not manage the file's links gets an
    /// empty list, as in DocSpace; a missing file is 404.
    pub async fn list_links(
        &self,
        user: &User,
        file_id: i64,
        offset: i64,
        count: i64,
    ) -> Result<(Vec<ManagedLink>, i64)> {
        match self.managed_file(Some(user), file_id).await {
            Ok(_) => {}
            Err(Error::Forbidden(_)) => return Ok((Vec::new(), 0)),
            Err(e) => return Err(e),
        }
        let (links, total) = self.store.file_links(file_id, offset.max(0), count).await?;
        let links = links.into_iter().map(|l| self.manage(l)).collect::<Result<_>>()?;
        Ok((links, total))
    }

    /// `PUT .../links`: create, merge-update or delete one link.
    pub async fn set_link(&self, user: &User, file_id: i64, req: &LinkRequest) -> Result<Option<ManagedLink>> {
        let file = self.managed_file(Some(user), file_id).await?;
        let ctx = NewLinkContext { file_type: file.file_type(), policy: &self.passwords };
        let existing = match &req.link_id {
            Some(id) => self.store.link(id).await?.filter(|l| l.file_id == file_id),
            None => None,
        };
        let Some(existing) = existing else {
            return self.create_link(user, &file, req, &ctx, req.primary).await;
        };
        // The merge happens under the link's row lock, on the link as it is
        // then: parallel PUTs changing different fields all take effect.
        let secrets = &self.secrets;
        let change: crate::LinkChangeFn<'_> = Box::new(move |current: &Link| {
            let now = now_micros();
            let Some(change) = req.merge_into(current, &ctx)? else {
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
            Ok(LinkWrite::Update(next, audit))
        });
        match self.store.change_link(file_id, &existing.id, change).await? {
            None => Err(Error::item_not_found()),
            Some(LinkWrite::Delete(_)) => Ok(None),
            Some(LinkWrite::Update(next, _)) => self.manage(next).map(Some),
        }
    }

    async fn create_link(
        &self,
        user: &User,
        file: &File,
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
            file_id: file.id,
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
        };
        let details = json!({
            "access": link.access, "title": link.title, "primary": link.primary, "expires": link.expires,
            "hasPassword": link.password_enc.is_some(), "denyDownload": link.deny_download, "internal": link.internal,
        });
        let audit = self.audit(user, &link, "link.created", details, now);
        let max = if primary { MAX_PRIMARY_LINKS } else { MAX_ADDITIONAL_LINKS };
        match self.store.insert_link(&link, max, &audit).await? {
            LinkInsert::Inserted => self.manage(link).map(Some),
            LinkInsert::LimitReached { .. } if primary => {
                Err(Error::Forbidden("A file can have only one primary link; update or delete the existing one".into()))
            }
            LinkInsert::LimitReached { max } => {
                Err(Error::Forbidden(format!("The maximum number of links may not exceed {max}")))
            }
            LinkInsert::FileGone => Err(Error::item_not_found()),
            LinkInsert::IdTaken => Err(Error::BadRequest("linkId is already used by another link".into())),
        }
    }

    /// `GET .../link` (no body) and `POST .../link` (with a body): the
    /// primary link, created when missing. POST ignores `title`, `linkId`
    /// and `primary`; GET creates a default Read link. A caller who may
    /// only read (`may_create` false: an API key without a write scope)
    /// gets the existing link or 403, never a new public link.
    pub async fn primary_link(
        &self,
        user: Option<&User>,
        file_id: i64,
        body: Option<&LinkRequest>,
        may_create: bool,
    ) -> Result<Option<ManagedLink>> {
        let file = self.managed_file(user, file_id).await?;
        let user = user.ok_or_else(Error::access_denied)?;
        if let Some(link) = self.store.primary_link(file_id).await? {
            return self.manage(link).map(Some);
        }
        if !may_create {
            return Err(Error::Forbidden(
                "The file has no primary link, and creating one needs the files:write scope".into(),
            ));
        }
        let ctx = NewLinkContext { file_type: file.file_type(), policy: &self.passwords };
        let req = match body {
            Some(b) => LinkRequest { link_id: None, title: spacelinks_api_types::lenient::Patch::Absent, ..b.clone() },
            None => LinkRequest {
                link_id: None,
                access: spacelinks_api_types::lenient::Patch::Value(spacelinks_api_types::FileShare::Read),
                title: spacelinks_api_types::lenient::Patch::Absent,
                expires: spacelinks_api_types::lenient::Patch::Absent,
                password: spacelinks_api_types::lenient::Patch::Absent,
                deny_download: spacelinks_api_types::lenient::Patch::Absent,
                internal: spacelinks_api_types::lenient::Patch::Absent,
                primary: true,
            },
        };
        match self.create_link(user, &file, &req, &ctx, true).await {
            // Two first visitors raced and the other one created it. Any
            // other refusal (an access level links may not carry) stands.
            Err(Error::Forbidden(message)) => match self.store.primary_link(file_id).await? {
                Some(link) => self.manage(link).map(Some),
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

    /// The link and file behind a share token; `None` for a forged token, a
    /// deleted link, a deleted file or a password that no longer decrypts —
    /// all of which the visitor sees as Invalid.
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

    /// The share token of a link (its salt included).
    pub fn share_token(&self, link: &Link) -> String {
        self.secrets.share_token(&link.id, &link.token_salt)
    }

    /// The status of a shared file for a visitor who brings `evidence`.
    pub fn status(&self, shared: &SharedFile, evidence: &PasswordEvidence<'_>, authenticated: bool) -> LinkStatus {
        let id = &shared.link.id;
        link_status(&shared.link, shared.password.as_deref(), evidence, authenticated, now_micros(), |pw, proof| {
            self.secrets.check_password_proof(id, pw, proof)
        })
    }

    /// A typed password, under the lockout (`crate::lockout`): 429 once the
    /// (link, client) or the link has seen too many wrong passwords in the
    /// window; only wrong passwords count. A visitor whose `proof` already
    /// shows they know the password is never locked out by others' failures.
    pub async fn try_password(
        &self,
        shared: &SharedFile,
        password: &str,
        proof: Option<&str>,
        client: std::net::IpAddr,
        authenticated: bool,
    ) -> Result<LinkStatus> {
        let typed = PasswordEvidence::Typed(password);
        let proven =
            proof.is_some_and(|p| self.status(shared, &PasswordEvidence::Proof(p), authenticated) == LinkStatus::Ok);
        if shared.password.is_none() || proven {
            return Ok(self.status(shared, &typed, authenticated));
        }
        let attempt = begin_attempt(&self.store, self.lockout.link_counters(&shared.link.id, client)).await?;
        let status = self.status(shared, &typed, authenticated);
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
        file_id: link.file_id,
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
    out
}
