//! Domain records. Instants are microseconds since the Unix epoch.

use spacelinks_api_types::{FileShare, FileType, UserType};

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub password_hash: String,
    pub user_type: UserType,
    pub is_owner: bool,
    pub my_folder_id: i64,
    pub created: i64,
    /// Disabled (DocSpace's EmployeeStatus Terminated): cannot sign in, and
    /// their sessions, API keys and shares stop working.
    pub disabled: bool,
}

impl User {
    pub fn display_name(&self) -> String {
        let name = format!("{} {}", self.first_name, self.last_name);
        let name = name.trim();
        if name.is_empty() {
            self.email.clone()
        } else {
            name.to_string()
        }
    }
    pub fn is_admin(&self) -> bool {
        self.is_owner || self.user_type == UserType::DocSpaceAdmin
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub password_hash: String,
    pub user_type: UserType,
    pub is_owner: bool,
}

#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub key_hash: String,
    pub postfix: String,
    pub permissions: Vec<String>,
    pub created: i64,
    pub expires: Option<i64>,
    pub last_used: Option<i64>,
    pub is_active: bool,
}

/// The owner's name as shown in `createdBy`, read with the file in one query.
#[derive(Debug, Clone)]
pub struct Owner {
    pub id: String,
    pub display_name: String,
    pub my_folder_id: i64,
}

#[derive(Debug, Clone)]
pub struct Folder {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub owner: Owner,
    pub title: String,
    pub created: i64,
    pub updated: i64,
    /// The folder itself has at least one external link.
    pub has_links: bool,
    /// The folder has at least one link that is not internal.
    pub has_public_links: bool,
}

impl Folder {
    pub fn is_root(&self) -> bool {
        self.parent_id.is_none()
    }
}

#[derive(Debug, Clone)]
pub struct File {
    pub id: i64,
    pub folder_id: i64,
    pub owner: Owner,
    pub title: String,
    pub size: i64,
    pub version: i64,
    /// The current version's version group (`file_versions.version_group`).
    pub version_group: i64,
    pub blob_key: String,
    pub created: i64,
    pub updated: i64,
    /// The file has at least one external link.
    pub has_links: bool,
    /// The file has at least one link that is not internal.
    pub has_public_links: bool,
    /// Who locked the file (`PUT files/file/{id}/lock`), if it is locked.
    pub locked_by: Option<String>,
    /// The file is shared with at least one person or group of this server.
    pub has_shares: bool,
}

impl File {
    pub fn extension(&self) -> String {
        extension_of(&self.title)
    }
    pub fn file_type(&self) -> FileType {
        FileType::from_extension(&self.extension())
    }
    /// What the pages call this kind of file ("PNG image", "PDF document").
    /// The owner's pages and the share page both use this one label.
    pub fn kind_label(&self) -> String {
        kind_label(&self.title)
    }
}

/// The kind of a file by its name: the extension in capitals, then the kind
/// in words, without repeating one in the other ("PDF document", not
/// "PDF PDF document").
pub fn kind_label(title: &str) -> String {
    let ext = extension_of(title).trim_start_matches('.').to_ascii_uppercase();
    let kind = match FileType::from_extension(&ext) {
        FileType::Image => "image",
        FileType::Video => "video",
        FileType::Audio => "audio",
        FileType::Pdf | FileType::Document => "document",
        FileType::Spreadsheet => "spreadsheet",
        FileType::Presentation => "presentation",
        FileType::Archive => "archive",
        FileType::Unknown => "file",
    };
    if ext.is_empty() {
        kind.to_string()
    } else {
        format!("{ext} {kind}")
    }
}

/// `.docx` for `Report.docx`, empty for a name without a dot.
pub fn extension_of(title: &str) -> String {
    match title.rfind('.') {
        Some(i) if i > 0 && i + 1 < title.len() => title[i..].to_ascii_lowercase(),
        _ => String::new(),
    }
}

#[derive(Debug, Clone)]
pub struct NewFile {
    pub folder_id: i64,
    pub owner_id: String,
    pub title: String,
    pub size: i64,
    pub blob_key: String,
    pub now: i64,
}

/// What a link shares: one file, or one folder with everything below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entry {
    File(i64),
    Folder(i64),
}

impl Entry {
    pub fn id(self) -> i64 {
        match self {
            Entry::File(id) | Entry::Folder(id) => id,
        }
    }
    pub fn is_folder(self) -> bool {
        matches!(self, Entry::Folder(_))
    }
    /// The file id, `None` for a folder.
    pub fn file_id(self) -> Option<i64> {
        match self {
            Entry::File(id) => Some(id),
            Entry::Folder(_) => None,
        }
    }
    pub fn folder_id(self) -> Option<i64> {
        match self {
            Entry::Folder(id) => Some(id),
            Entry::File(_) => None,
        }
    }
}

/// An external link of a file or a folder, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub id: String,
    pub entry: Entry,
    pub primary: bool,
    pub access: FileShare,
    pub title: String,
    pub expires: Option<i64>,
    /// AEAD ciphertext of the password (see `crypto`); never the plain text.
    pub password_enc: Option<String>,
    pub deny_download: bool,
    pub internal: bool,
    pub short_code: String,
    pub created_by: String,
    pub created: i64,
    /// Random, hex, mixed into the share token (see `crypto::Secrets::share_token`)
    /// so that a link created again with a deleted link's id gets a new
    /// token. Empty for links made before salts existed.
    pub token_salt: String,
    /// DocSpace's `maxUseCount`: full downloads allowed; `None` is no limit.
    pub max_uses: Option<i64>,
    /// DocSpace's `currentUseCount`: full downloads so far, counted by the
    /// store in one conditional UPDATE (`Store::take_link_use`).
    pub use_count: i64,
    /// `allowedNetworks`: where visitors may come from; empty is anywhere.
    pub allowed_networks: Vec<ipnet::IpNet>,
}

impl Link {
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires.is_some_and(|t| t <= now)
    }
    /// Every allowed download has been taken.
    pub fn is_used_up(&self) -> bool {
        self.max_uses.is_some_and(|m| self.use_count >= m)
    }
    /// The client address is inside the allowlist (or there is none).
    pub fn allows(&self, ip: std::net::IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.allowed_networks.is_empty() || self.allowed_networks.iter().any(|n| n.contains(&ip))
    }
}

/// One row of the audit trail of link changes.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub at: i64,
    pub actor_id: String,
    pub entry: Entry,
    pub link_id: String,
    /// `link.created`, `link.updated` or `link.deleted`.
    pub action: &'static str,
    /// JSON describing what changed; never contains a password.
    pub details: String,
}

/// Why a link refused a visitor (the `reason` of a `refused` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Past its `expirationDate`.
    Expired,
    /// `currentUseCount` reached `maxUseCount`.
    UsedUp,
    /// The client address is outside `allowedNetworks`.
    Network,
}

impl Refusal {
    pub const ALL: [Refusal; 3] = [Refusal::Expired, Refusal::UsedUp, Refusal::Network];
    /// The wire and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Expired => "expired",
            Refusal::UsedUp => "usedUp",
            Refusal::Network => "network",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What happened in one event of a link's access log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Opened,
    PasswordAccepted,
    PasswordFailed,
    LockedOut,
    Downloaded,
    VersionUploaded,
    Refused(Refusal),
}

impl EventKind {
    const STORED: [(EventKind, &'static str, &'static str); 6] = [
        (EventKind::Opened, "opened", "opened"),
        (EventKind::PasswordAccepted, "password_ok", "passwordAccepted"),
        (EventKind::PasswordFailed, "password_failed", "passwordFailed"),
        (EventKind::LockedOut, "locked_out", "lockedOut"),
        (EventKind::Downloaded, "downloaded", "downloaded"),
        (EventKind::VersionUploaded, "uploaded", "versionUploaded"),
    ];

    /// The `kind` column (snake_case names from before the wire names).
    pub fn stored(self) -> &'static str {
        match self {
            EventKind::Refused(_) => "refused",
            k => Self::STORED.iter().find(|(e, _, _)| *e == k).map_or("other", |(_, s, _)| s),
        }
    }
    /// The `kind` of the activity API.
    pub fn wire(self) -> &'static str {
        match self {
            EventKind::Refused(_) => "refused",
            k => Self::STORED.iter().find(|(e, _, _)| *e == k).map_or("other", |(_, _, w)| w),
        }
    }
    pub fn reason(self) -> Option<Refusal> {
        match self {
            EventKind::Refused(r) => Some(r),
            _ => None,
        }
    }
    /// From the `kind` and `reason` columns; `None` for a kind this version
    /// does not know.
    pub fn from_stored(kind: &str, reason: Option<&str>) -> Option<Self> {
        if kind == "refused" {
            return reason.and_then(Refusal::parse).map(EventKind::Refused);
        }
        Self::STORED.iter().find(|(_, s, _)| *s == kind).map(|(e, _, _)| *e)
    }
}

/// One recipient-side event for the per-link access log.
#[derive(Debug, Clone)]
pub struct LinkEvent {
    pub at: i64,
    pub link_id: String,
    /// The file concerned; 0 for an event on a folder link's folder as a
    /// whole (opened, the zip of everything downloaded).
    pub file_id: i64,
    pub kind: EventKind,
    pub ip: String,
    pub user_agent: String,
    /// Bytes the response carried (downloads) or brought (uploads).
    pub bytes: Option<i64>,
}

/// One version of a file's content. The newest is the file's current content.
#[derive(Debug, Clone, PartialEq)]
pub struct FileVersion {
    pub file_id: i64,
    pub version: i64,
    /// DocSpace's version group: a new version starts its own; "continue
    /// version" (`PUT files/file/{id}/history`) merges later ones into it.
    pub version_group: i64,
    pub size: i64,
    pub blob_key: String,
    pub created: i64,
    /// The user who made it; empty when it came through a link.
    pub created_by: String,
    /// DocSpace's version comment: "Created", "Uploaded", "Restored from the revision of ...".
    pub comment: String,
}

/// New content for a file, becoming its next version.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub size: i64,
    pub blob_key: String,
    pub now: i64,
    pub created_by: String,
    pub comment: String,
}

impl LinkEvent {
    /// Repeated opens by one client (same link, IP and user agent) within
    /// one clock minute are one event, and so are repeated refusals for one
    /// reason (a download manager retrying a used-up link): the store keeps
    /// the first row with a given key, atomically on every node. Other
    /// kinds are all kept.
    pub fn dedupe_key(&self) -> Option<String> {
        use sha2::{Digest, Sha256};
        let minute = self.at.div_euclid(60_000_000);
        let mut h = Sha256::new();
        for part in [self.link_id.as_bytes(), self.ip.as_bytes(), self.user_agent.as_bytes()] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.update(minute.to_be_bytes());
        match self.kind {
            EventKind::Opened => {}
            EventKind::Refused(r) => h.update(format!("refused {}", r.as_str()).as_bytes()),
            _ => return None,
        }
        Some(hex::encode(h.finalize()))
    }
}

/// What one purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub lockout_counters: u64,
    pub events: u64,
}

/// The counters at the top of a link's activity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkEventCounts {
    pub opens: i64,
    pub downloads: i64,
    pub last_opened: Option<i64>,
}

#[cfg(test)]
mod kind_tests {
    use super::kind_label;

    #[test]
    fn kind_labels_do_not_repeat_the_extension() {
        assert_eq!(kind_label("Report.pdf"), "PDF document");
        assert_eq!(kind_label("photo.PNG"), "PNG image");
        assert_eq!(kind_label("notes.txt"), "TXT document");
        assert_eq!(kind_label("Makefile"), "file");
        assert_eq!(kind_label("data.bin"), "BIN file");
    }
}

/// A `files/fileops` operation (a bulk download), as stored. It finishes at
/// once: the archive is built while it is fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct FileOperation {
    pub id: String,
    /// A user id, or `link:<link id>` for an anonymous visitor of a link.
    pub owner: String,
    /// DocSpace's `FileOperationType` (Download = 3).
    pub operation: i64,
    /// The link the visitor came through, with its salt: the archive is
    /// refused once the link is deleted (even if created again).
    pub link_id: Option<String>,
    pub token_salt: String,
    pub folder_ids: Vec<i64>,
    pub file_ids: Vec<i64>,
    pub created: i64,
}

/// A group of users (`POST /api/2.0/group`): sharing a file with it gives
/// every member its access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub manager_id: Option<String>,
    pub created: i64,
}
