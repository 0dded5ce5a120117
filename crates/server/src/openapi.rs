//! `GET /openapi.json`: the OpenAPI 3.1 document of every route, generated
//! from the `#[utoipa::path]` attributes on the handlers and the DTOs'
//! `ToSchema` (api-types' `openapi` feature). `tests/openapi.rs` checks that
//! every route of `routes/mod.rs` is in it and pins it with a snapshot;
//! `tests/python/test_fuzz.py` fuzzes the live server against it.

use std::sync::OnceLock;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi, ToSchema};

pub use spacelinks_api_types::dto::{
    ApiKeyDto, AuthTokenDto, EditHistoryDto, EmployeeDto, EmployeeFullDto, ExternalShareDto, FileDto, FileOperationDto,
    FileShareDto, FileShareLinkDto, FolderContentDto, FolderDto, GroupDto, GroupMemberShareDto, GroupShareDto,
    GroupSummaryDto, HistoryDto, LinkEventDto, MentionDto, PathPart, SubjectShareDto, UserShareDto,
};
pub use spacelinks_api_types::envelope::Link;
pub use spacelinks_api_types::{Envelope, ErrorBody};

use crate::routes::{
    account, copymove, directory, edits, entries, fileops, files, health, links, marks, pages, people, security, share,
    versions, webhooks,
};
pub use spacelinks_api_types::dto::{
    WebhookTriggerDto, WebhooksConfigDto, WebhooksConfigWithStatusDto, WebhooksLogDto,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "spacelinks",
        description = "A file-sharing server wire-compatible with ONLYOFFICE DocSpace for files and their external \
                       share links. Successful API replies are wrapped in DocSpace's envelope \
                       (`response`, `count`, `total`, `links`, `status`, `statusCode`); errors use its error \
                       envelope, except 401 and 429, which have an empty body as in DocSpace."
    ),
    paths(
        healthz,
        health::readyz,
        openapi_json,
        account::login,
        account::is_authenticated,
        account::logout,
        account::create_key,
        account::list_keys,
        account::key_permissions,
        account::current_key,
        account::delete_key,
        account::create_user,
        account::create_active_user,
        account::me,
        directory::update_status,
        directory::create_group,
        directory::list_groups,
        directory::user_groups,
        directory::get_group,
        directory::update_group,
        directory::delete_group,
        directory::add_members,
        directory::set_members,
        directory::remove_members,
        files::my_documents,
        marks::recent,
        marks::delete_recent,
        marks::at_recent,
        marks::favorites,
        people::shared_with_me,
        marks::toggle_favorite,
        people::set_file_share,
        security::get_file_security_info,
        people::shared_users,
        security::group_members_share,
        security::set_security_info,
        security::get_security_info,
        files::create_file_in_my,
        edits::text_in_my,
        edits::html_in_my,
        files::upload_to_my,
        files::folder_contents,
        files::create_file,
        edits::text_in_folder,
        edits::html_in_folder,
        files::upload,
        files::update_content,
        marks::file_order,
        entries::set_order,
        entries::add_templates,
        entries::delete_templates,
        entries::thumbnails,
        copymove::change_owner,
        files::folder_info,
        files::create_folder,
        files::file_info,
        edits::update_file,
        files::delete_file,
        marks::lock_file,
        copymove::copy_as,
        marks::add_recent,
        links::list_file_links,
        links::set_file_link,
        links::link_activity,
        links::get_primary_link,
        links::create_primary_link,
        links::list_folder_links,
        links::set_folder_link,
        links::get_folder_primary_link,
        links::create_folder_primary_link,
        fileops::bulk_download,
        fileops::list_operations,
        copymove::copy_batch,
        copymove::move_batch,
        versions::file_history,
        versions::change_history,
        versions::edit_history,
        versions::file_log,
        versions::restore_version,
        share::resolve_share,
        share::apply_share_password,
        files::file_handler,
        pages::short_link,
        pages::share_page,
        pages::share_preview,
        pages::submit_password,
        pages::upload_version,
        pages::folder_share_page,
        pages::stylesheet,
        webhooks::list_webhooks,
        webhooks::create_webhook,
        webhooks::update_webhook,
        webhooks::enable_webhook,
        webhooks::delete_webhook,
        webhooks::webhook_log,
        webhooks::retry_webhook,
        webhooks::retry_webhooks,
        webhooks::webhook_triggers,
    ),
    components(schemas(ErrorBody, ApiDateTime, PlainDateTime, BadRequestBody, ValidationEnvelope, ValidationProblem, Link)),
    modifiers(&Security, &ScopeRefusal),
    security(("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = [])),
    tags(
        (name = "accounts", description = "Sign-in, API keys and people"),
        (name = "files", description = "Folders, files, uploads and downloads"),
        (name = "links", description = "The owner's side of external share links"),
        (name = "share", description = "The recipient's side of a share link"),
        (name = "pages", description = "HTML pages for link recipients"),
        (name = "server", description = "Health and this document"),
        (name = "webhooks", description = "DocSpace's webhooks: subscriptions, their delivery log, retries, triggers"),
    )
)]
pub struct ApiDoc;

pub use spacelinks_api_types::openapi::{ApiDateTime, PlainDateTime};

/// The security schemes, exactly DocSpace's dispatch on `Authorization`.
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.description = Some("An API key (`sk-` + 64 hex) or a session token from the login".into());
        c.add_security_scheme("ApiKey", SecurityScheme::Http(bearer));
        c.add_security_scheme("Basic", SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)));
        c.add_security_scheme(
            "Cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "asc_auth_key",
                "The session cookie set by the login",
            ))),
        );
        c.add_security_scheme(
            "Token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "A session token without a scheme, as DocSpace's own clients send it",
            ))),
        );
        c.add_security_scheme(
            "RequestToken",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Request-Token",
                "A share link's token (also accepted as the `share` query parameter); a password-protected \
                 link also needs the `sharelink{linkId}` cookie set by the password check",
            ))),
        );
    }
}

/// Every route answers 403 in the error envelope when an API key lacks the
/// scope it needs (the auth middleware checks before any handler runs).
struct ScopeRefusal;

impl Modify for ScopeRefusal {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let forbidden = Forbidden::responses().remove("403");
        for item in doc.paths.paths.values_mut() {
            for op in operations(item) {
                if let Some(r) = &forbidden {
                    op.responses.responses.entry("403".into()).or_insert_with(|| r.clone());
                }
            }
        }
    }
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch, &mut item.head]
        .into_iter()
        .filter_map(Option::as_mut)
}

/// The document, serialised once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| ApiDoc::openapi().to_json().unwrap_or_default())
}

/// `GET /openapi.json`
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "server",
    security(()),
    responses((status = 200, description = "This OpenAPI document", content_type = "application/json", body = Object))
)]
pub async fn openapi_json() -> Response {
    let mut res = document().into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

/// `GET /healthz` (a closure in the route table; documented here).
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "server",
    security(()),
    responses((status = 200, description = "The process is up", content_type = "text/plain", body = String, example = "ok"))
)]
#[allow(dead_code)]
fn healthz() {}

// ---- Error responses shared by the handlers' `responses(...)` ----

/// 400 in the error envelope.
#[derive(IntoResponses)]
#[response(status = 400, description = "Invalid input: malformed JSON or query, a wrong type, a value out of range")]
pub struct BadRequest(#[allow(dead_code)] ErrorBody);

/// ASP.NET's model-validation answer, as DocSpace sends it: the success
/// envelope with `status` 1, `statusCode` 400 and a
/// `ValidationProblemDetails` as `response`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ValidationEnvelope {
    response: ValidationProblem,
    count: i64,
    links: Vec<Link>,
    /// 1.
    status: i64,
    /// 400.
    #[schema(rename = "statusCode")]
    status_code: i64,
}

/// `type`, `title`, `status` (400) and `errors`: each field (`File.Title`,
/// `Items[0].Order`) with its messages.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ValidationProblem {
    r#type: String,
    title: String,
    status: i64,
    errors: std::collections::BTreeMap<String, Vec<String>>,
}

/// 400: the error envelope, or ASP.NET's validation envelope for a field
/// DocSpace validates before the action runs.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum BadRequestBody {
    Error(ErrorBody),
    Validation(ValidationEnvelope),
}

#[derive(IntoResponses)]
#[response(
    status = 400,
    description = "Invalid input; a field DocSpace validates first (a title over 165 characters, an order below 1) answers ASP.NET's validation envelope"
)]
pub struct ValidationBadRequest(#[allow(dead_code)] BadRequestBody);

/// 401 with an empty body, as DocSpace answers.
#[derive(IntoResponses)]
#[response(status = 401, description = "Not signed in (empty body, as DocSpace)")]
pub struct Unauthorized;

/// 403 in the error envelope.
#[derive(IntoResponses)]
#[response(status = 403, description = "Not allowed (or an API key without the scope this route needs)")]
pub struct Forbidden(#[allow(dead_code)] ErrorBody);

/// 404 in the error envelope.
#[derive(IntoResponses)]
#[response(status = 404, description = "No such item (non-numeric ids included)")]
pub struct NotFound(#[allow(dead_code)] ErrorBody);

/// 413 in the error envelope.
#[derive(IntoResponses)]
#[response(status = 413, description = "The body exceeds the size limit")]
pub struct TooLarge(#[allow(dead_code)] ErrorBody);

/// 429 with an empty body and `Retry-After`.
#[derive(IntoResponses)]
#[response(
    status = 429,
    description = "Too many failed attempts (empty body, as DocSpace)",
    headers(("Retry-After" = u64, description = "Seconds to wait"))
)]
pub struct TooMany;

// ---- Request bodies (read leniently: names in any case, numbers and
// booleans may be quoted; the documented form is the canonical one) ----

/// `POST /api/2.0/authentication`
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct LoginRequest {
    user_name: String,
    password: String,
}

/// `POST /api/2.0/keys`
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ApiKeyRequest {
    /// 1 to 30 characters.
    #[schema(min_length = 1, max_length = 30)]
    name: String,
    /// Scopes from `GET keys/permissions`; none or `*` is full access.
    #[schema(value_type = Option<Vec<Scope>>)]
    permissions: Option<Vec<String>>,
    #[schema(minimum = 1, maximum = 365)]
    expires_in_days: Option<i64>,
}

/// `POST /api/2.0/people`
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct NewUserRequest {
    /// An e-mail address, at most 255 characters.
    #[schema(pattern = "@", max_length = 255)]
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    /// At least 8 characters; generated when absent.
    #[schema(min_length = 8)]
    password: Option<String>,
    /// `User` when absent.
    #[schema(rename = "type", value_type = Option<EmployeeType>)]
    user_type: Option<String>,
}

/// `POST .../file` and `POST files/folder/{id}`
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TitleRequest {
    /// At most 165 characters, no slashes.
    #[schema(min_length = 1, max_length = 165, pattern = r"^[^/\\]*\S[^/\\]*$")]
    title: String,
    /// New files only: keep the title's extension (`x.md` stays `x.md`).
    #[schema(rename = "enableExternalExt")]
    enable_external_ext: Option<bool>,
}

/// `DELETE files/recent`
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct FileIdsRequest {
    /// File ids (numbers or numeric strings).
    file_ids: Vec<i64>,
}

/// One person or group and their access in `PUT files/file/{id}/share`
/// and `PUT files/share`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ShareItem {
    /// The user's or the group's id.
    share_to: Option<String>,
    /// The user's email, when `shareTo` is absent.
    email: Option<String>,
    /// FileShare: 0 (None, removes), 2 (Read), 5 (Review), 6 (Comment), 10 (Editing).
    access: i64,
}

/// `PUT files/file/{id}/share`
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ShareRequest {
    share: Vec<ShareItem>,
    /// Accepted; spacelinks sends no mail.
    notify: Option<bool>,
    /// At most 255 characters (DocSpace's validation 400); no mail is sent.
    #[schema(max_length = 255)]
    sharing_message: Option<String>,
}

/// `PUT files/share`: DocSpace's `SecurityInfoRequestDto`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SecurityInfoRequest {
    /// File ids (numbers or numeric strings).
    file_ids: Option<Vec<i64>>,
    /// Folder ids: folders cannot be shared with people (403).
    folder_ids: Option<Vec<i64>>,
    share: Option<Vec<ShareItem>>,
    /// Accepted; spacelinks sends no mail.
    notify: Option<bool>,
    /// At most 255 characters (DocSpace's validation 400); no mail is sent.
    #[schema(max_length = 255)]
    sharing_message: Option<String>,
}

/// `POST files/share`: DocSpace's `BaseBatchRequestDto`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct BatchEntriesRequest {
    /// File ids (numbers or numeric strings).
    file_ids: Option<Vec<i64>>,
    /// Folder ids (numbers or numeric strings).
    folder_ids: Option<Vec<i64>>,
}

/// `PUT people/status/{status}`: DocSpace's `UpdateMembersRequestDto`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct UserIdsRequest {
    user_ids: Vec<String>,
    /// Accepted; spacelinks sends no mail.
    resend_all: Option<bool>,
}

/// `POST /api/2.0/group`: DocSpace's `GroupRequestDto`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct GroupRequest {
    /// 1 to 128 characters.
    #[schema(min_length = 1, max_length = 128)]
    group_name: String,
    /// The manager's user id (a member too); the empty GUID for none.
    group_manager: Option<String>,
    /// Members' user ids.
    members: Option<Vec<String>>,
}

/// `PUT /api/2.0/group/{id}`: DocSpace's `UpdateGroupRequest`; absent
/// fields keep their value.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct UpdateGroupRequest {
    #[schema(min_length = 1, max_length = 128)]
    group_name: Option<String>,
    group_manager: Option<String>,
    members_to_add: Option<Vec<String>>,
    members_to_remove: Option<Vec<String>>,
}

/// `PUT/POST/DELETE /api/2.0/group/{id}/members`: DocSpace's `MembersRequest`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MembersRequest {
    members: Vec<String>,
}

/// `PUT files/file/{id}/lock`
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct LockRequest {
    /// `true` locks, `false` (or absent) unlocks.
    lock_file: Option<bool>,
}

/// `PUT files/{id}/order`
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OrderRequest {
    /// At least 1.
    #[schema(minimum = 1)]
    order: i64,
}

/// A FileDto or a FolderDto (`fileEntryType` 2 or 1), as DocSpace's
/// `FileEntryDto` lists answer.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum FileEntryDto {
    Folder(FolderDto),
    File(FileDto),
}

/// `PUT files/file/{id}`
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct UpdateFileRequest {
    /// The new title (the extension is kept); blank changes nothing.
    #[schema(max_length = 165)]
    title: Option<String>,
    /// Makes the content of version min(lastVersion, current) a new version.
    last_version: Option<i64>,
}

/// `PUT files/file/{id}/history`
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ChangeHistoryRequest {
    /// The version (0 or absent: the current one).
    version: Option<i64>,
    /// `true`: the next version joins this version's group; `false`: the
    /// current version's group is closed.
    continue_version: Option<bool>,
}

/// `POST files/templates`, `POST files/thumbnails`
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct FileIdsOptional {
    /// File ids (numbers or numeric strings).
    file_ids: Option<Vec<i64>>,
}

/// `PUT files/order`: one entry and its new position.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct OrderItem {
    entry_id: i64,
    /// 1 for a folder, 2 for a file.
    entry_type: i64,
    #[schema(minimum = 1)]
    order: i64,
}

/// `PUT files/order`
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OrdersRequest {
    items: Vec<OrderItem>,
}

/// `POST files/file/{id}/copyas`
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct CopyAsRequest {
    /// The copy's title; its extension must be the source's.
    dest_title: String,
    dest_folder_id: i64,
    /// Keep a new extension as written (only the source's is accepted).
    enable_external_ext: Option<bool>,
}

/// `PUT files/fileops/copy` and `.../move`
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct BatchRequest {
    folder_ids: Option<Vec<i64>>,
    file_ids: Option<Vec<i64>>,
    dest_folder_id: i64,
    /// What to do with a title the destination has: 0 skip, 1 overwrite,
    /// 2 duplicate (default).
    conflict_resolve_type: Option<i64>,
    delete_after: Option<bool>,
}

/// `POST files/owner`
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ChangeOwnerRequest {
    user_id: String,
    folder_ids: Option<Vec<i64>>,
    file_ids: Option<Vec<i64>>,
}

/// `POST files/@my/text`, `.../html` and `files/{folderId}/text`, `.../html`
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct TextFileRequest {
    /// At most 165 characters, no slashes; `.txt` or `.html` is appended
    /// unless the title ends with it.
    #[schema(min_length = 1, max_length = 165)]
    title: String,
    /// The file's content (required).
    content: String,
    /// `true`: a file of this title in the folder gets `content` as its next
    /// version and is returned; otherwise a new file is made.
    create_new_if_exist: Option<bool>,
}

/// `PUT files/file/{id}/links` and `POST files/file/{id}/link`: DocSpace's
/// link request. Without `linkId` a new link is made; with it, the link is
/// updated (absent fields keep their values) or, with `access` 0, deleted.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct LinkRequest {
    /// A GUID; the all-zero GUID counts as absent.
    link_id: Option<String>,
    /// A `FileShare` number (also accepted: its name in any case, or
    /// `view` / `edit`). 0 (None) deletes the link named by `linkId`.
    #[schema(value_type = Option<spacelinks_api_types::FileShare>)]
    access: Option<serde_json::Value>,
    /// At most 255 characters.
    #[schema(max_length = 255)]
    title: Option<String>,
    /// ISO-8601, in the future, at most 10 years ahead; `null` or `""` clears it.
    #[schema(format = DateTime)]
    expiration_date: Option<String>,
    /// Empty clears it.
    password: Option<String>,
    deny_download: Option<bool>,
    internal: Option<bool>,
    primary: Option<bool>,
    /// Full downloads allowed (an integer of at least 1); `null` removes
    /// the limit. A used-up link resolves as Expired until this is raised.
    #[schema(minimum = 1)]
    max_use_count: Option<i64>,
    /// spacelinks: at most 50 IPv4/IPv6 addresses and CIDR ranges visitors
    /// may come from (the owner always may); `null` or `[]` means anywhere.
    #[schema(max_items = 50)]
    allowed_networks: Option<Vec<String>>,
}

/// `POST files/share/{key}/password`
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SharePasswordRequest {
    /// Absent counts as empty (a wrong password, unless the link has none).
    password: Option<String>,
}

/// The share page's password form.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SharePasswordForm {
    share: String,
    /// The file of a file link, or
    fileid: Option<String>,
    /// the folder of a folder link.
    folderid: Option<String>,
    password: String,
}

/// `PUT fileops/bulkdownload`: what to put in the archive. Ids are numbers
/// or numeric strings.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "camelCase")]
pub struct BulkDownloadRequest {
    folder_ids: Option<Vec<i64>>,
    file_ids: Option<Vec<i64>>,
    /// Accepted and ignored: spacelinks does not convert files.
    file_convert_ids: Option<Vec<serde_json::Value>>,
    /// Answer only the new operation instead of all of the caller's.
    return_single_operation: Option<bool>,
}

/// A multipart upload: the part named `file` (any case) with a file name.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// An API key scope.
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum Scope {
    #[schema(rename = "*")]
    All,
    #[schema(rename = "*:read")]
    AllRead,
    #[schema(rename = "*:write")]
    AllWrite,
    #[schema(rename = "accounts.self:read")]
    AccountsSelfRead,
    #[schema(rename = "accounts.self:write")]
    AccountsSelfWrite,
    #[schema(rename = "accounts:read")]
    AccountsRead,
    #[schema(rename = "accounts:write")]
    AccountsWrite,
    #[schema(rename = "files:read")]
    FilesRead,
    #[schema(rename = "files:write")]
    FilesWrite,
    #[schema(rename = "rooms:read")]
    RoomsRead,
    #[schema(rename = "rooms:write")]
    RoomsWrite,
}

/// DocSpace's `EmployeeType` names (numbers 1 to 4 are accepted too).
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum EmployeeType {
    RoomAdmin,
    Guest,
    DocSpaceAdmin,
    User,
}

/// `action` of `/filehandler.ashx` (any case).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum FileAction {
    Download,
    View,
    Preview,
    /// A bulk download's archive (`filename` = the operation id, or `folderid`).
    Bulk,
}

// ---- Query parameters shared by several routes ----

/// DocSpace's paging.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct Paging {
    /// Page length, 1 to 100 (default 100).
    #[param(minimum = 1, maximum = 100)]
    count: Option<i64>,
    /// Items to skip (default 0; negative counts as 0).
    #[param(rename = "startIndex")]
    start_index: Option<i64>,
}

/// Whatever bytes a file holds.
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Binary)))
            .into()
    }
}
impl ToSchema for Binary {}

/// `Range` on downloads.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct RangeHeader {
    /// One byte range: `bytes=a-b`, `bytes=a-` or `bytes=-n`.
    #[param(rename = "Range")]
    range: Option<String>,
}

/// The share page's file.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageQuery {
    /// File id.
    fileid: Option<i64>,
    share: Option<String>,
}

/// A share token in the query, for visitors of a link (the `Request-Token`
/// header works too).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ShareQuery {
    share: Option<String>,
}

/// `POST settings/webhook` (DocSpace's `CreateWebhooksConfigRequestsDto`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct WebhookRequest {
    #[schema(max_length = 50)]
    name: String,
    /// http or https; must not resolve to a private address.
    uri: String,
    /// The HMAC key; 8 to 30 printable ASCII characters by default. Required on create.
    #[schema(max_length = 50)]
    secret_key: Option<String>,
    enabled: Option<bool>,
    /// `true`: https required and certificates checked.
    ssl: Option<bool>,
    /// Bitmask of trigger ids (integers only); 0 = all.
    triggers: Option<i64>,
    #[schema(max_length = 255)]
    target_id: Option<String>,
}

/// `PUT settings/webhook` and `settings/webhook/enable`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct WebhookUpdateRequest {
    id: i64,
    #[schema(max_length = 50)]
    name: String,
    uri: String,
    /// Kept when omitted or empty.
    #[schema(max_length = 50)]
    secret_key: Option<String>,
    enabled: Option<bool>,
    ssl: Option<bool>,
    triggers: Option<i64>,
    #[schema(max_length = 255)]
    target_id: Option<String>,
}

/// `PUT settings/webhook/retry`
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct WebhookRetryRequest {
    /// Log ids.
    ids: Vec<i64>,
}

/// The filters of `GET settings/webhooks/log`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct WebhookLogQuery {
    /// Successful deliveries from this instant.
    #[param(rename = "deliveryFrom", value_type = Option<String>)]
    delivery_from: Option<String>,
    #[param(rename = "deliveryTo", value_type = Option<String>)]
    delivery_to: Option<String>,
    /// Exact webhook URL.
    #[param(rename = "hookUri")]
    hook_uri: Option<String>,
    #[param(rename = "configId")]
    config_id: Option<i64>,
    /// A log id.
    #[param(rename = "eventId")]
    event_id: Option<i64>,
    /// Flags: 1 not sent, 2 2xx, 4 3xx, 8 4xx, 16 5xx; 0 = all.
    #[param(rename = "groupStatus")]
    group_status: Option<i64>,
    /// Webhooks created by this user (admins only).
    #[param(rename = "userId")]
    user_id: Option<String>,
    /// One trigger id.
    trigger: Option<i64>,
}
