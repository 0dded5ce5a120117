//! Row → domain mapping, kept apart from the queries.

use spacelinks_api_types::{FileShare, UserType};
use spacelinks_core::{
    ApiKey, AuditEntry, Entry, Error, EventKind, File, FileOperation, FileVersion, Folder, Group, Link, LinkEvent,
    Owner, Result, User,
};
use sqlx::any::AnyRow;
use sqlx::Row;

pub const USER_COLS: &str =
    "id, email, first_name, last_name, password_hash, user_type, is_owner, my_folder_id, created, status";

pub fn user(r: &AnyRow) -> Result<User> {
    let user_type: String = r.try_get("user_type").map_err(Error::internal)?;
    Ok(User {
        id: r.try_get("id").map_err(Error::internal)?,
        email: r.try_get("email").map_err(Error::internal)?,
        first_name: r.try_get("first_name").map_err(Error::internal)?,
        last_name: r.try_get("last_name").map_err(Error::internal)?,
        password_hash: r.try_get("password_hash").map_err(Error::internal)?,
        user_type: UserType::parse(&user_type).unwrap_or(UserType::User),
        is_owner: r.try_get::<i64, _>("is_owner").map_err(Error::internal)? != 0,
        my_folder_id: r.try_get("my_folder_id").map_err(Error::internal)?,
        created: r.try_get("created").map_err(Error::internal)?,
        disabled: r.try_get::<i64, _>("status").map_err(Error::internal)? == USER_TERMINATED,
    })
}

/// DocSpace's EmployeeStatus values kept in `users.status`.
pub const USER_ACTIVE: i64 = 1;
pub const USER_TERMINATED: i64 = 2;

pub const GROUP_COLS: &str = "id, name, manager_id, created";

pub fn group(r: &AnyRow) -> Result<Group> {
    Ok(Group {
        id: r.try_get("id").map_err(Error::internal)?,
        name: r.try_get("name").map_err(Error::internal)?,
        manager_id: r.try_get("manager_id").map_err(Error::internal)?,
        created: r.try_get("created").map_err(Error::internal)?,
    })
}

pub const API_KEY_COLS: &str =
    "id, user_id, name, key_hash, postfix, permissions, created, expires, last_used, is_active";

pub fn api_key(r: &AnyRow) -> Result<ApiKey> {
    api_key_at(r, "")
}

/// The columns of `API_KEY_COLS` read with a name prefix (`k_` in a join).
fn api_key_at(r: &AnyRow, p: &str) -> Result<ApiKey> {
    let col = |c: &str| format!("{p}{c}");
    let perms: String = r.try_get(col("permissions").as_str()).map_err(Error::internal)?;
    Ok(ApiKey {
        id: r.try_get(col("id").as_str()).map_err(Error::internal)?,
        user_id: r.try_get(col("user_id").as_str()).map_err(Error::internal)?,
        name: r.try_get(col("name").as_str()).map_err(Error::internal)?,
        key_hash: r.try_get(col("key_hash").as_str()).map_err(Error::internal)?,
        postfix: r.try_get(col("postfix").as_str()).map_err(Error::internal)?,
        permissions: serde_json::from_str(&perms).unwrap_or_default(),
        created: r.try_get(col("created").as_str()).map_err(Error::internal)?,
        expires: r.try_get(col("expires").as_str()).map_err(Error::internal)?,
        last_used: r.try_get(col("last_used").as_str()).map_err(Error::internal)?,
        is_active: r.try_get::<i64, _>(col("is_active").as_str()).map_err(Error::internal)? != 0,
    })
}

/// An API key joined with its user: the key's columns as `k_*`, the user's
/// under their own names.
pub fn api_key_with_user_select() -> String {
    let key: Vec<String> = API_KEY_COLS.split(", ").map(|c| format!("k.{c} AS k_{c}")).collect();
    let user: Vec<String> = USER_COLS.split(", ").map(|c| format!("u.{c}")).collect();
    format!("SELECT {}, {} FROM api_keys k JOIN users u ON u.id = k.user_id", key.join(", "), user.join(", "))
}

pub fn api_key_with_user(r: &AnyRow) -> Result<(ApiKey, User)> {
    Ok((api_key_at(r, "k_")?, user(r)?))
}

fn owner(r: &AnyRow) -> Result<Owner> {
    let first: String = r.try_get("u_first").map_err(Error::internal)?;
    let last: String = r.try_get("u_last").map_err(Error::internal)?;
    let email: String = r.try_get("u_email").map_err(Error::internal)?;
    let name = format!("{first} {last}").trim().to_string();
    Ok(Owner {
        id: r.try_get("owner_id").map_err(Error::internal)?,
        display_name: if name.is_empty() { email } else { name },
        my_folder_id: r.try_get("u_my_folder").map_err(Error::internal)?,
    })
}

const OWNER_COLS: &str =
    "u.first_name AS u_first, u.last_name AS u_last, u.email AS u_email, u.my_folder_id AS u_my_folder";

/// Folders with their owner and whether they carry (public) links.
pub fn folder_select() -> String {
    format!(
        "SELECT d.id, d.parent_id, d.owner_id, d.title, d.created, d.updated, {OWNER_COLS}, \
         CAST((SELECT COUNT(*) FROM links l WHERE l.folder_id = d.id) AS BIGINT) AS link_count, \
         CAST((SELECT COUNT(*) FROM links l WHERE l.folder_id = d.id AND l.internal = 0) AS BIGINT) AS public_link_count \
         FROM folders d JOIN users u ON u.id = d.owner_id"
    )
}

pub fn folder(r: &AnyRow) -> Result<Folder> {
    Ok(Folder {
        id: r.try_get("id").map_err(Error::internal)?,
        parent_id: r.try_get("parent_id").map_err(Error::internal)?,
        owner: owner(r)?,
        title: r.try_get("title").map_err(Error::internal)?,
        created: r.try_get("created").map_err(Error::internal)?,
        updated: r.try_get("updated").map_err(Error::internal)?,
        has_links: r.try_get::<i64, _>("link_count").map_err(Error::internal)? > 0,
        has_public_links: r.try_get::<i64, _>("public_link_count").map_err(Error::internal)? > 0,
    })
}

/// Files with their owner, whether they carry (public) links and whether they
/// are shared with people or groups (EXISTS: cheap on the hot path), so that a
/// FileDto needs one query.
pub fn file_select() -> String {
    format!(
        "SELECT f.id, f.folder_id, f.owner_id, f.title, f.size, f.version, f.blob_key, f.created, f.updated, f.locked_by, {OWNER_COLS}, \
         CAST((SELECT COUNT(*) FROM links l WHERE l.file_id = f.id) AS BIGINT) AS link_count, \
         CAST((SELECT COUNT(*) FROM links l WHERE l.file_id = f.id AND l.internal = 0) AS BIGINT) AS public_link_count, \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM file_shares s WHERE s.file_id = f.id) \
              OR EXISTS (SELECT 1 FROM file_group_shares g WHERE g.file_id = f.id) THEN 1 ELSE 0 END AS BIGINT) AS share_count, \
         CAST(COALESCE((SELECT v.version_group FROM file_versions v WHERE v.file_id = f.id AND v.version = f.version), \
         f.version) AS BIGINT) AS version_group \
         FROM files f JOIN users u ON u.id = f.owner_id"
    )
}

pub fn file(r: &AnyRow) -> Result<File> {
    Ok(File {
        id: r.try_get("id").map_err(Error::internal)?,
        folder_id: r.try_get("folder_id").map_err(Error::internal)?,
        owner: owner(r)?,
        title: r.try_get("title").map_err(Error::internal)?,
        size: r.try_get("size").map_err(Error::internal)?,
        version: r.try_get("version").map_err(Error::internal)?,
        version_group: r.try_get("version_group").map_err(Error::internal)?,
        blob_key: r.try_get("blob_key").map_err(Error::internal)?,
        created: r.try_get("created").map_err(Error::internal)?,
        updated: r.try_get("updated").map_err(Error::internal)?,
        has_links: r.try_get::<i64, _>("link_count").map_err(Error::internal)? > 0,
        has_public_links: r.try_get::<i64, _>("public_link_count").map_err(Error::internal)? > 0,
        locked_by: r.try_get("locked_by").map_err(Error::internal)?,
        has_shares: r.try_get::<i64, _>("share_count").map_err(Error::internal)? > 0,
    })
}

pub const LINK_COLS: &str = "id, file_id, folder_id, is_primary, access, title, expires, password_enc, deny_download, internal, short_code, created_by, created, token_salt, max_uses, use_count, allowed_networks";

const LINK_NAMES: [&str; 17] = [
    "id",
    "file_id",
    "folder_id",
    "is_primary",
    "access",
    "title",
    "expires",
    "password_enc",
    "deny_download",
    "internal",
    "short_code",
    "created_by",
    "created",
    "token_salt",
    "max_uses",
    "use_count",
    "allowed_networks",
];

/// The link's columns as `l_<name>`, beside a file's in one row.
const LINK_ALIASES: [&str; 17] = [
    "l_id",
    "l_file_id",
    "l_folder_id",
    "l_is_primary",
    "l_access",
    "l_title",
    "l_expires",
    "l_password_enc",
    "l_deny_download",
    "l_internal",
    "l_short_code",
    "l_created_by",
    "l_created",
    "l_token_salt",
    "l_max_uses",
    "l_use_count",
    "l_allowed_networks",
];

pub fn link(r: &AnyRow) -> Result<Link> {
    link_named(r, &LINK_NAMES)
}

/// `allowed_networks` is the canonical ranges, space-separated.
pub fn networks_text(nets: &[ipnet::IpNet]) -> String {
    nets.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" ")
}

fn link_named(r: &AnyRow, n: &[&str; 17]) -> Result<Link> {
    let access: i64 = r.try_get(n[4]).map_err(Error::internal)?;
    let networks: String = r.try_get(n[16]).map_err(Error::internal)?;
    let file_id: Option<i64> = r.try_get(n[1]).map_err(Error::internal)?;
    let folder_id: Option<i64> = r.try_get(n[2]).map_err(Error::internal)?;
    let entry = match (file_id, folder_id) {
        (Some(id), _) => Entry::File(id),
        (None, Some(id)) => Entry::Folder(id),
        (None, None) => return Err(Error::internal("a link row names neither a file nor a folder")),
    };
    Ok(Link {
        id: r.try_get(n[0]).map_err(Error::internal)?,
        entry,
        primary: r.try_get::<i64, _>(n[3]).map_err(Error::internal)? != 0,
        access: FileShare::from_i64(access).unwrap_or(FileShare::Read),
        title: r.try_get(n[5]).map_err(Error::internal)?,
        expires: r.try_get(n[6]).map_err(Error::internal)?,
        password_enc: r.try_get(n[7]).map_err(Error::internal)?,
        deny_download: r.try_get::<i64, _>(n[8]).map_err(Error::internal)? != 0,
        internal: r.try_get::<i64, _>(n[9]).map_err(Error::internal)? != 0,
        short_code: r.try_get(n[10]).map_err(Error::internal)?,
        created_by: r.try_get(n[11]).map_err(Error::internal)?,
        created: r.try_get(n[12]).map_err(Error::internal)?,
        token_salt: r.try_get(n[13]).map_err(Error::internal)?,
        max_uses: r.try_get(n[14]).map_err(Error::internal)?,
        use_count: r.try_get(n[15]).map_err(Error::internal)?,
        // Written by `networks_text` only; an unreadable entry is dropped
        // rather than failing every visit.
        allowed_networks: networks.split_whitespace().filter_map(|s| s.parse().ok()).collect(),
    })
}

/// A link and its file in one row: `file_select()` joined with the link.
pub fn link_with_file_select() -> String {
    let link_cols: Vec<String> = LINK_NAMES.iter().zip(LINK_ALIASES).map(|(c, a)| format!("sl.{c} AS {a}")).collect();
    file_select().replacen("SELECT ", &format!("SELECT {}, ", link_cols.join(", ")), 1)
        + " JOIN links sl ON sl.file_id = f.id"
}

pub fn link_with_file(r: &AnyRow) -> Result<(Link, File)> {
    Ok((link_named(r, &LINK_ALIASES)?, file(r)?))
}

pub fn audit(r: &AnyRow) -> Result<AuditEntry> {
    let action: String = r.try_get("action").map_err(Error::internal)?;
    Ok(AuditEntry {
        at: r.try_get("at").map_err(Error::internal)?,
        actor_id: r.try_get("actor_id").map_err(Error::internal)?,
        entry: match r.try_get::<Option<i64>, _>("folder_id").map_err(Error::internal)? {
            Some(id) => Entry::Folder(id),
            None => Entry::File(r.try_get("file_id").map_err(Error::internal)?),
        },
        link_id: r.try_get("link_id").map_err(Error::internal)?,
        action: match action.as_str() {
            "link.created" => "link.created",
            "link.deleted" => "link.deleted",
            _ => "link.updated",
        },
        details: r.try_get("details").map_err(Error::internal)?,
    })
}

pub const EVENT_COLS: &str = "at, link_id, file_id, kind, ip, user_agent, reason, bytes";

pub fn event(r: &AnyRow) -> Result<LinkEvent> {
    let kind: String = r.try_get("kind").map_err(Error::internal)?;
    let reason: Option<String> = r.try_get("reason").map_err(Error::internal)?;
    Ok(LinkEvent {
        at: r.try_get("at").map_err(Error::internal)?,
        link_id: r.try_get("link_id").map_err(Error::internal)?,
        file_id: r.try_get("file_id").map_err(Error::internal)?,
        kind: EventKind::from_stored(&kind, reason.as_deref())
            .ok_or_else(|| Error::internal(format!("unknown link event kind {kind:?}")))?,
        ip: r.try_get("ip").map_err(Error::internal)?,
        user_agent: r.try_get("user_agent").map_err(Error::internal)?,
        bytes: r.try_get("bytes").map_err(Error::internal)?,
    })
}

pub const VERSION_COLS: &str = "file_id, version, version_group, size, blob_key, created, created_by, comment";

pub fn version(r: &AnyRow) -> Result<FileVersion> {
    Ok(FileVersion {
        file_id: r.try_get("file_id").map_err(Error::internal)?,
        version: r.try_get("version").map_err(Error::internal)?,
        version_group: r.try_get("version_group").map_err(Error::internal)?,
        size: r.try_get("size").map_err(Error::internal)?,
        blob_key: r.try_get("blob_key").map_err(Error::internal)?,
        created: r.try_get("created").map_err(Error::internal)?,
        created_by: r.try_get("created_by").map_err(Error::internal)?,
        comment: r.try_get("comment").map_err(Error::internal)?,
    })
}

pub const WEBHOOK_COLS: &str =
    "id, name, uri, secret_key, enabled, ssl, triggers, target_id, created_by, modified_by, \
     created_on, modified_on, last_failure_on, last_failure_content, last_success_on";

pub fn webhook(r: &AnyRow) -> Result<spacelinks_core::WebhookConfig> {
    Ok(spacelinks_core::WebhookConfig {
        id: r.try_get("id").map_err(Error::internal)?,
        name: r.try_get("name").map_err(Error::internal)?,
        uri: r.try_get("uri").map_err(Error::internal)?,
        secret_key: r.try_get("secret_key").map_err(Error::internal)?,
        enabled: r.try_get::<i64, _>("enabled").map_err(Error::internal)? != 0,
        ssl: r.try_get::<i64, _>("ssl").map_err(Error::internal)? != 0,
        triggers: r.try_get("triggers").map_err(Error::internal)?,
        target_id: r.try_get("target_id").map_err(Error::internal)?,
        created_by: r.try_get("created_by").map_err(Error::internal)?,
        modified_by: r.try_get("modified_by").map_err(Error::internal)?,
        created_on: r.try_get("created_on").map_err(Error::internal)?,
        modified_on: r.try_get("modified_on").map_err(Error::internal)?,
        last_failure_on: r.try_get("last_failure_on").map_err(Error::internal)?,
        last_failure_content: r.try_get("last_failure_content").map_err(Error::internal)?,
        last_success_on: r.try_get("last_success_on").map_err(Error::internal)?,
    })
}

/// Columns of `webhooks_logs l` joined with `webhooks_config c`.
pub const WEBHOOK_LOG_COLS: &str = "l.id, l.config_id, c.name AS config_name, l.trigger_bit, l.creation_time, l.uid, \
     l.event_id, l.request_payload, l.request_headers, l.response_payload, l.response_headers, l.status, l.delivery, \
     l.attempts, l.next_attempt";

pub fn webhook_log(r: &AnyRow) -> Result<spacelinks_core::WebhookLog> {
    Ok(spacelinks_core::WebhookLog {
        id: r.try_get("id").map_err(Error::internal)?,
        config_id: r.try_get("config_id").map_err(Error::internal)?,
        config_name: r.try_get("config_name").map_err(Error::internal)?,
        trigger: r.try_get("trigger_bit").map_err(Error::internal)?,
        creation_time: r.try_get("creation_time").map_err(Error::internal)?,
        uid: r.try_get("uid").map_err(Error::internal)?,
        event_id: r.try_get("event_id").map_err(Error::internal)?,
        request_payload: r.try_get("request_payload").map_err(Error::internal)?,
        request_headers: r.try_get("request_headers").map_err(Error::internal)?,
        response_payload: r.try_get("response_payload").map_err(Error::internal)?,
        response_headers: r.try_get("response_headers").map_err(Error::internal)?,
        status: r.try_get("status").map_err(Error::internal)?,
        delivery: r.try_get("delivery").map_err(Error::internal)?,
        attempts: r.try_get("attempts").map_err(Error::internal)?,
        next_attempt: r.try_get("next_attempt").map_err(Error::internal)?,
    })
}

pub const OPERATION_COLS: &str = "id, owner, operation, link_id, token_salt, folder_ids, file_ids, created";

pub fn operation(r: &AnyRow) -> Result<FileOperation> {
    let ids = |name: &str| -> Result<Vec<i64>> {
        let text: String = r.try_get(name).map_err(Error::internal)?;
        serde_json::from_str(&text).map_err(Error::internal)
    };
    Ok(FileOperation {
        id: r.try_get("id").map_err(Error::internal)?,
        owner: r.try_get("owner").map_err(Error::internal)?,
        operation: r.try_get("operation").map_err(Error::internal)?,
        link_id: r.try_get("link_id").map_err(Error::internal)?,
        token_salt: r.try_get("token_salt").map_err(Error::internal)?,
        folder_ids: ids("folder_ids")?,
        file_ids: ids("file_ids")?,
        created: r.try_get("created").map_err(Error::internal)?,
    })
}
