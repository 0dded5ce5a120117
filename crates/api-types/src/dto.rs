//! Response objects, field for field as DocSpace sends them. Optional fields
//! are `Option` and omitted when `None` (DocSpace's `WhenWritingNull`);
//! the official Python SDK is strict about every type used here.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::FileShare;

/// An ordered `{name: bool}` map, e.g. `security` and `viewAccessibility`.
/// DocSpace writes these keys as PascalCase enum names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flags(pub Vec<(&'static str, bool)>);

impl Flags {
    pub fn get(&self, name: &str) -> Option<bool> {
        self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }
}

impl Serialize for Flags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// `availableShareRights`: `{SubjectType name: [FileShare name]}`.
#[derive(Debug, Clone, Default)]
pub struct ShareRights(pub Vec<(&'static str, Vec<&'static str>)>);

impl Serialize for ShareRights {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EmployeeDto {
    pub id: String,
    pub display_name: String,
    pub avatar: String,
    pub avatar_original: String,
    pub avatar_max: String,
    pub avatar_medium: String,
    pub avatar_small: String,
    pub profile_url: String,
    pub has_avatar: bool,
    pub is_anonim: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EmployeeFullDto {
    #[serde(flatten)]
    pub base: EmployeeDto,
    pub first_name: String,
    pub last_name: String,
    pub user_name: String,
    pub email: String,
    pub status: i64,
    pub activation_status: i64,
    pub department: String,
    pub is_admin: bool,
    pub is_room_admin: bool,
    #[serde(rename = "isLDAP")]
    pub is_ldap: bool,
    pub is_owner: bool,
    pub is_visitor: bool,
    pub is_collaborator: bool,
    #[serde(rename = "isSSO")]
    pub is_sso: bool,
    pub mobile_phone_activation_status: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::ApiDateTime))]
    pub registration_date: String,
    pub has_personal_folder: bool,
    pub login_event_id: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub theme: &'static str,
}

/// Fields shared by files and folders (`FileEntryBaseDto` + `FileEntryDto`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EntryDto {
    pub file_entry_type: i64,
    pub id: i64,
    pub root_folder_id: i64,
    pub can_share: bool,
    pub security: Flags,
    pub available_share_rights: ShareRights,
    pub title: String,
    pub access: FileShare,
    pub shared: bool,
    pub shared_for_user: bool,
    pub shared_external: bool,
    pub parent_shared: bool,
    pub short_web_url: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::ApiDateTime))]
    pub created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<EmployeeDto>,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::ApiDateTime))]
    pub updated: String,
    pub root_folder_type: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<EmployeeDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::ApiDateTime>))]
    pub expiration_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_link_expired: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FileDto {
    pub folder_id: i64,
    pub version: i64,
    pub version_group: i64,
    /// Human-readable size; the SDK types it as a string.
    pub content_length: String,
    #[serde(skip_serializing_if = "is_zero")]
    pub pure_content_length: i64,
    pub file_status: i64,
    pub mute: bool,
    /// The version's comment; sent in `files/file/{id}/history` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `true` while the file is locked (`PUT files/file/{id}/lock`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked: Option<bool>,
    pub view_url: String,
    pub web_url: String,
    pub file_type: i64,
    pub file_exst: String,
    pub thumbnail_status: i64,
    pub form_filling_status: i64,
    pub view_accessibility: Flags,
    #[serde(flatten)]
    pub entry: EntryDto,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FolderDto {
    pub parent_id: i64,
    pub files_count: i64,
    pub folders_count: i64,
    pub new: i64,
    pub mute: bool,
    pub pinned: bool,
    pub private: bool,
    pub indexing: bool,
    pub deny_download: bool,
    #[serde(flatten)]
    pub entry: EntryDto,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PathPart {
    pub id: i64,
    pub title: String,
    pub folder_type: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FolderContentDto {
    pub files: Vec<FileDto>,
    pub folders: Vec<FolderDto>,
    pub current: FolderDto,
    pub path_parts: Vec<PathPart>,
    pub start_index: i64,
    pub count: i64,
    pub total: i64,
    pub new: i64,
}

/// `sharedLink` (and its obsolete twin `sharedTo`) of a `FileShareDto`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FileShareLinkDto {
    pub id: String,
    pub title: String,
    pub share_link: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::ApiDateTime>))]
    pub expiration_date: Option<String>,
    pub link_type: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    pub deny_download: bool,
    pub is_expired: bool,
    pub primary: bool,
    pub internal: bool,
    pub request_token: String,
    /// Full downloads the link allows; omitted when there is no limit.
    /// DocSpace's name (it uses it for invitation links).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_use_count: Option<i64>,
    /// Full downloads made through the link so far.
    pub current_use_count: i64,
    /// spacelinks: IP addresses and CIDR ranges visitors may come from;
    /// empty means anywhere.
    pub allowed_networks: Vec<String>,
    /// spacelinks: opens of the link (one per client and minute).
    pub open_count: i64,
    /// spacelinks: the last open; omitted when never opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::ApiDateTime>))]
    pub last_opened_on: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FileShareDto {
    pub access: FileShare,
    /// Obsolete in DocSpace but still sent, and read by older clients.
    pub shared_to: FileShareLinkDto,
    pub shared_link: FileShareLinkDto,
    pub is_locked: bool,
    pub is_owner: bool,
    pub can_edit_access: bool,
    pub can_edit_internal: bool,
    pub can_edit_deny_download: bool,
    pub can_edit_expiration_date: bool,
    pub can_revoke: bool,
    pub subject_type: i64,
}

/// A file's share with a person of this server (`PUT files/file/{id}/share`):
/// DocSpace's `FileShareDto` for a user subject (`subjectType` 0).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserShareDto {
    pub access: FileShare,
    /// Obsolete in DocSpace but still sent: the same user as `sharedToUser`.
    pub shared_to: EmployeeFullDto,
    pub shared_to_user: EmployeeFullDto,
    pub is_locked: bool,
    pub is_owner: bool,
    pub can_edit_access: bool,
    pub can_edit_internal: bool,
    pub can_edit_deny_download: bool,
    pub can_edit_expiration_date: bool,
    pub can_revoke: bool,
    pub subject_type: i64,
}

/// `GET files/file/{id}/sharedusers`: DocSpace's `MentionWrapper`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MentionDto {
    pub user: EmployeeFullDto,
    pub email: String,
    pub id: String,
    pub image: String,
    /// DocSpace never fills it in for this list: always `false`.
    pub has_access: bool,
    pub name: String,
}

/// `GET files/share/{key}`: the recipient's view of a link.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExternalShareDto {
    pub status: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<i64>,
    pub tenant_id: i64,
    pub shared: bool,
    pub link_id: String,
    pub is_authenticated: bool,
    pub is_room_member: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyDto {
    pub id: String,
    pub name: String,
    pub key: String,
    pub key_postfix: String,
    pub permissions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::ApiDateTime>))]
    pub last_used: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::ApiDateTime))]
    pub create_on: String,
    pub create_by: EmployeeDto,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::ApiDateTime>))]
    pub expires_at: Option<String>,
    pub is_active: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthTokenDto {
    pub token: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::PlainDateTime))]
    pub expires: String,
    pub sms: bool,
    pub tfa: bool,
}

/// A `files/fileops` operation (a delete, a bulk download). The capital `O`
/// of `Operation` is what the SDK requires; it also requires the `error`
/// key (null when there is none).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileOperationDto {
    pub id: String,
    #[serde(rename = "Operation")]
    pub operation: i64,
    pub progress: i64,
    pub error: Option<String>,
    pub processed: String,
    pub finished: bool,
    /// A finished download: where to fetch the archive (absolute).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A copy or move: the files it made or moved (those that still exist).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<FileDto>>,
    /// A copy or move: the folders it made or moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folders: Option<Vec<FolderDto>>,
    pub status: i64,
}

/// One version in DocSpace's editor history (`EditHistoryDto`), as
/// `POST files/file/{id}/restoreversion` answers.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EditHistoryDto {
    pub id: i64,
    /// The document key of this version's content.
    pub key: String,
    pub version: i64,
    pub version_group: i64,
    pub user: EditHistoryAuthor,
    pub created: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EditHistoryAuthor {
    pub id: String,
    pub name: String,
}

/// One entry of a file's log (`GET files/file/{id}/log`, DocSpace's
/// `HistoryDto`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HistoryDto {
    pub id: i64,
    pub action: HistoryActionDto,
    pub initiator: EmployeeDto,
    pub date: String,
    pub data: HistoryDataDto,
}

/// DocSpace's `MessageAction` number and name (`5000`, `FileCreated`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryActionDto {
    pub id: i64,
    pub key: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HistoryDataDto {
    pub title: String,
    /// The version the entry made.
    pub version: i64,
}

/// One event of a link's activity (`GET files/file/{id}/links/{linkId}/activity`),
/// a spacelinks extension: DocSpace has no per-link access log.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LinkEventDto {
    /// `opened`, `passwordAccepted`, `passwordFailed`, `lockedOut`,
    /// `downloaded`, `versionUploaded` or `refused`.
    pub kind: String,
    /// Why a `refused` visit was turned away: `expired`, `usedUp` or
    /// `network`; omitted for other kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::ApiDateTime))]
    pub on: String,
    pub ip: String,
    pub user_agent: String,
    /// Bytes the response carried (`downloaded`) or the upload brought
    /// (`versionUploaded`); omitted for other kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<i64>,
}

/// DocSpace's `WebhooksConfigDto` (`settings/webhook`). The secret is never
/// returned; absent values are omitted, as DocSpace does.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhooksConfigDto {
    pub id: i64,
    pub name: String,
    pub uri: String,
    pub enabled: bool,
    pub ssl: bool,
    /// Bitmask of trigger ids (`GET settings/webhook/triggers`); 0 = all.
    pub triggers: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<EmployeeDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<EmployeeDto>,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::ApiDateTime))]
    pub created_on: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::ApiDateTime))]
    pub modified_on: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::ApiDateTime>))]
    pub last_failure_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_failure_content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::ApiDateTime>))]
    pub last_success_on: Option<String>,
}

/// DocSpace's `WebhooksConfigWithStatusDto`: one config (`configs`, singular
/// despite the name) and the status of its latest successful delivery.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhooksConfigWithStatusDto {
    pub configs: WebhooksConfigDto,
    pub status: i64,
}

/// DocSpace's `WebhooksLogDto`: one delivery. The headers are JSON in a
/// string; `delivery` only when it succeeded.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhooksLogDto {
    /// The log id, which is also the body's `event.id`.
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_name: Option<String>,
    /// The one trigger id that fired.
    pub trigger: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::ApiDateTime))]
    pub creation_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_headers: Option<String>,
    pub request_payload: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_headers: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_payload: Option<String>,
    /// The HTTP status of the last attempt; 0 before any answer.
    pub status: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::ApiDateTime>))]
    pub delivery: Option<String>,
}

/// DocSpace's `WebhookTriggerDto`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookTriggerDto {
    /// `file.created`, `link.opened`, `*`...
    pub name: String,
    /// The trigger's bit.
    pub id: i64,
    /// Whether the caller's user type may subscribe to it.
    pub available: bool,
}

/// DocSpace's `GroupSummaryDto`: a group as a share names it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GroupSummaryDto {
    pub id: String,
    pub name: String,
    /// The manager's user id, if the group has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    pub is_system: bool,
}

/// DocSpace's `GroupDto` (`POST/GET/PUT /api/2.0/group`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GroupDto {
    pub name: String,
    /// Always the empty GUID: spacelinks has no group categories.
    pub category: String,
    pub id: String,
    #[serde(rename = "isLDAP")]
    pub is_ldap: bool,
    pub is_system: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<EmployeeFullDto>,
    /// Absent where DocSpace leaves the members out (lists, `includeMembers=false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<EmployeeFullDto>>,
    pub shared: bool,
    pub members_count: i64,
}

/// A file's share with a group: DocSpace's `FileShareDto` for a group
/// subject (`subjectType` 2).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GroupShareDto {
    pub access: FileShare,
    /// Obsolete in DocSpace but still sent: the same group as `sharedToGroup`.
    pub shared_to: GroupSummaryDto,
    pub shared_to_group: GroupSummaryDto,
    pub is_locked: bool,
    pub is_owner: bool,
    pub can_edit_access: bool,
    pub can_edit_internal: bool,
    pub can_edit_deny_download: bool,
    pub can_edit_expiration_date: bool,
    pub can_revoke: bool,
    pub subject_type: i64,
}

/// One record of a file's sharing (`PUT/POST files/share`,
/// `PUT/GET files/file/{id}/share`): a person or a group.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum SubjectShareDto {
    User(Box<UserShareDto>),
    Group(GroupShareDto),
}

/// `GET files/file/{id}/group/{groupId}/share`: DocSpace's
/// `GroupMemberSecurityRequestDto`, one member of the group.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GroupMemberShareDto {
    pub user: EmployeeFullDto,
    pub group_access: FileShare,
    /// The member's own share, if they have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_access: Option<FileShare>,
    pub overridden: bool,
    pub can_edit_access: bool,
    pub owner: bool,
}
