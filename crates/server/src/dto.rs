//! Domain records → DocSpace DTOs. URLs are absolute under the public URL.

use spacelinks_api_types::dto::{
    EmployeeDto, EntryDto, FileDto, FileShareDto, FileShareLinkDto, Flags, FolderDto, LinkEventDto, ShareRights,
};
use spacelinks_api_types::{format_api_date, FileShare};
use spacelinks_core::rights::{share_rights, view_accessibility, Viewer};
use spacelinks_core::service::ManagedLink;
use spacelinks_core::{File, Folder, LinkEvent, Owner};

use crate::app::AppState;

/// `FolderType` numbers we use: My Documents (5) and "Shared with me" (6),
/// which DocSpace reports to link visitors who cannot see the parent folder.
const FOLDER_TYPE_USER: i64 = 5;
const FOLDER_TYPE_SHARE: i64 = 6;

pub fn employee(state: &AppState, id: &str, display_name: &str) -> EmployeeDto {
    let avatar = "/static/images/default_user_photo_size_82-82.png".to_string();
    EmployeeDto {
        id: id.to_string(),
        display_name: display_name.to_string(),
        avatar_original: avatar.clone(),
        avatar_max: avatar.clone(),
        avatar_medium: avatar.clone(),
        avatar_small: avatar.clone(),
        avatar,
        profile_url: format!("{}/accounts/people/filter?search={}", state.public_url, urlencode(display_name)),
        has_avatar: false,
        is_anonim: false,
    }
}

fn owner_dto(state: &AppState, o: &Owner) -> EmployeeDto {
    employee(state, &o.id, &o.display_name)
}

pub fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// DocSpace's human-readable size: "0 bytes", "6.84 KB", "1.50 MB".
pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.2} {}", UNITS[unit])
}

/// How the file is seen: by its owner, or through a link with this token.
pub struct Seen<'a> {
    pub viewer: Viewer,
    pub link: Option<(&'a spacelinks_core::Link, &'a str)>,
    /// `createdBy`/`updatedBy` are hidden from anonymous visitors.
    pub show_people: bool,
}

pub fn file_dto(state: &AppState, f: &File, seen: &Seen<'_>) -> FileDto {
    let base = &state.public_url;
    let share_q = seen.link.map(|(_, t)| format!("&share={t}")).unwrap_or_default();
    let by = seen.show_people.then(|| owner_dto(state, &f.owner));
    let file_type = f.file_type();
    FileDto {
        folder_id: f.folder_id,
        version: f.version,
        version_group: f.version_group,
        content_length: human_size(f.size),
        pure_content_length: f.size,
        file_status: 0,
        mute: false,
        comment: None,
        locked: f.locked_by.as_ref().map(|_| true),
        view_url: format!("{base}/filehandler.ashx?action=download&fileid={}{share_q}", f.id),
        web_url: format!("{base}/doceditor?fileid={}&version={}{share_q}", f.id, f.version),
        file_type: file_type as i64,
        file_exst: f.extension(),
        thumbnail_status: 3,
        form_filling_status: 0,
        view_accessibility: view_accessibility(file_type),
        entry: EntryDto {
            file_entry_type: 2,
            id: f.id,
            root_folder_id: f.owner.my_folder_id,
            can_share: matches!(seen.viewer, Viewer::Owner),
            security: seen.viewer.security(),
            available_share_rights: share_rights(file_type),
            title: f.title.clone(),
            access: seen.viewer.access(),
            // People and groups a file is shared with are its owner's
            // business: others see only whether it has links.
            shared: f.has_links || (f.has_shares && matches!(seen.viewer, Viewer::Owner)),
            shared_for_user: f.has_shares && matches!(seen.viewer, Viewer::Owner),
            shared_external: f.has_public_links,
            parent_shared: seen.link.is_some_and(|(l, _)| l.entry.is_folder()),
            short_web_url: seen.link.map(|(l, _)| format!("{base}/s/{}", l.short_code)).unwrap_or_default(),
            created: format_api_date(f.created),
            created_by: by.clone(),
            updated: format_api_date(f.updated.max(f.created)),
            // Links and people's shares both land in "Shared with me".
            root_folder_type: if seen.link.is_some() || matches!(seen.viewer, Viewer::Person { .. }) {
                FOLDER_TYPE_SHARE
            } else {
                FOLDER_TYPE_USER
            },
            updated_by: by,
            request_token: seen.link.map(|(_, t)| t.to_string()),
            // A file reached through a folder link inherits it: not external.
            external: seen.link.map(|(l, _)| l.entry == spacelinks_core::Entry::File(f.id)),
            expiration_date: seen.link.and_then(|(l, _)| l.expires).map(format_api_date),
            is_link_expired: seen.link.map(|_| false),
        },
    }
}

const FOLDER_ACTIONS: [&str; 24] = [
    "Read",
    "Create",
    "Delete",
    "EditRoom",
    "Rename",
    "CopyTo",
    "MoveTo",
    "Copy",
    "Move",
    "Pin",
    "Mute",
    "EditAccess",
    "Duplicate",
    "Download",
    "CopySharedLink",
    "Reconnect",
    "CreateRoomFrom",
    "CopyLink",
    "Embed",
    "ChangeOwner",
    "IndexExport",
    "UseChat",
    "UpdateXlsx",
    "AnalyzeResponses",
];

pub fn folder_dto(state: &AppState, d: &Folder, counts: (i64, i64)) -> FolderDto {
    let root = d.is_root();
    let security = FOLDER_ACTIONS
        .iter()
        .map(|a| {
            (
                *a,
                matches!(*a, "Read" | "Create" | "CopyTo" | "MoveTo" | "Download")
                    || (!root && matches!(*a, "Delete" | "Rename")),
            )
        })
        .collect();
    FolderDto {
        parent_id: d.parent_id.unwrap_or(0),
        files_count: counts.0,
        folders_count: counts.1,
        new: 0,
        mute: false,
        pinned: false,
        private: false,
        indexing: false,
        deny_download: false,
        entry: EntryDto {
            file_entry_type: 1,
            id: d.id,
            root_folder_id: d.owner.my_folder_id,
            can_share: false,
            security: Flags(security),
            available_share_rights: ShareRights::default(),
            title: d.title.clone(),
            access: FileShare::None,
            shared: d.has_links,
            shared_for_user: false,
            shared_external: d.has_public_links,
            parent_shared: false,
            short_web_url: String::new(),
            created: format_api_date(d.created),
            created_by: Some(owner_dto(state, &d.owner)),
            updated: format_api_date(d.updated),
            root_folder_type: FOLDER_TYPE_USER,
            updated_by: Some(owner_dto(state, &d.owner)),
            request_token: None,
            external: None,
            expiration_date: None,
            is_link_expired: None,
        },
    }
}

/// A folder as a folder link's visitor sees it: read (and download unless
/// denied) only, the link's token on it, people hidden from anonymous
/// visitors.
pub fn visitor_folder_dto(state: &AppState, d: &Folder, counts: (i64, i64), seen: &Seen<'_>) -> FolderDto {
    let mut dto = folder_dto(state, d, counts);
    let Some((link, token)) = seen.link else { return dto };
    let download = seen.viewer.can("Download");
    dto.entry.security =
        Flags(FOLDER_ACTIONS.iter().map(|a| (*a, *a == "Read" || (*a == "Download" && download))).collect());
    dto.deny_download = link.deny_download;
    dto.entry.access = seen.viewer.access();
    dto.entry.request_token = Some(token.to_string());
    let own = link.entry == spacelinks_core::Entry::Folder(d.id);
    dto.entry.external = Some(own);
    dto.entry.parent_shared = !own;
    dto.entry.root_folder_type = FOLDER_TYPE_SHARE;
    dto.entry.expiration_date = link.expires.map(format_api_date);
    dto.entry.is_link_expired = Some(false);
    dto.entry.short_web_url = format!("{}/s/{}", state.public_url, link.short_code);
    if !seen.show_people {
        dto.entry.created_by = None;
        dto.entry.updated_by = None;
    }
    dto
}

pub fn link_dto(state: &AppState, m: &ManagedLink) -> FileShareDto {
    let l = &m.link;
    let shared = FileShareLinkDto {
        id: l.id.clone(),
        title: l.title.clone(),
        share_link: format!("{}/s/{}", state.public_url, l.short_code),
        expiration_date: l.expires.map(format_api_date),
        link_type: 1,
        password: m.password.clone(),
        deny_download: l.deny_download,
        is_expired: l.is_expired(spacelinks_api_types::date::now_micros()),
        primary: l.primary,
        internal: l.internal,
        request_token: state.svc.share_token(l),
        max_use_count: l.max_uses,
        current_use_count: l.use_count,
        allowed_networks: l.allowed_networks.iter().map(|n| n.to_string()).collect(),
        open_count: m.counts.opens,
        last_opened_on: m.counts.last_opened.map(format_api_date),
    };
    FileShareDto {
        access: l.access,
        shared_to: shared.clone(),
        shared_link: shared,
        is_locked: false,
        is_owner: false,
        can_edit_access: false,
        can_edit_internal: true,
        can_edit_deny_download: true,
        can_edit_expiration_date: true,
        can_revoke: false,
        subject_type: if l.primary { 4 } else { 1 },
    }
}

/// One event of a link's activity, named from the visitor's side.
pub fn link_event_dto(e: &LinkEvent) -> LinkEventDto {
    LinkEventDto {
        kind: e.kind.wire().into(),
        reason: e.kind.reason().map(|r| r.as_str().into()),
        on: format_api_date(e.at),
        ip: e.ip.clone(),
        user_agent: e.user_agent.clone(),
        bytes: e.bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_read_like_docspace() {
        assert_eq!(human_size(0), "0 bytes");
        assert_eq!(human_size(7004), "6.84 KB");
        assert_eq!(human_size(1024 * 1024 * 3 / 2), "1.50 MB");
    }
}
