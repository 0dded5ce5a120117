//! A file's sharing with people and groups of this server (issue 15), as
//! DocSpace's "security info": who a share names (a person by id or email, a
//! group by id), the records a file's sharing answers with, and the batch
//! routes `PUT/POST files/share`, `GET files/file/{id}/share` and
//! `GET files/file/{id}/group/{groupId}/share`. What a share lets a person
//! do is decided by `access::file_access`, the one access check.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::Value;
use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::dto::{GroupMemberShareDto, GroupShareDto, GroupSummaryDto, SubjectShareDto, UserShareDto};
use spacelinks_api_types::{Fields, FileShare, UserType};
use spacelinks_core::{Error, File, Group, User};

use crate::access::{file_access, folder_access};
use crate::app::AppState;
use crate::ctx::{parse_id, Body, Ctx, QueryMap};
use crate::error::{validation_error, ApiResult};
use crate::openapi as doc;
use crate::routes::account::full_dto;

/// The access levels a person or group may be given on a file; 0 removes.
const SHARE_ACCESS: [FileShare; 5] =
    [FileShare::None, FileShare::Read, FileShare::Comment, FileShare::Review, FileShare::Editing];

/// DocSpace's `[StringLength(255)]` on `sharingMessage`.
const SHARING_MESSAGE_MAX: usize = 255;

/// Who a share names.
#[derive(Clone)]
pub enum Subject {
    User(User),
    Group(Group),
}

impl Subject {
    fn id(&self) -> &str {
        match self {
            Subject::User(u) => &u.id,
            Subject::Group(g) => &g.id,
        }
    }
    fn name(&self) -> String {
        match self {
            Subject::User(u) => u.display_name(),
            Subject::Group(g) => g.name.clone(),
        }
    }
}

/// Who an item of `share` names: DocSpace's `FileShareParams` take the
/// subject's id (`shareTo`: a user or a group) or a user's `email`.
enum ShareTo {
    Id(String),
    Email(String),
}

fn bad_share() -> Error {
    Error::BadRequest("share must be a list of {shareTo, access}".into())
}

/// One `{shareTo | email, access}` item of `share` (names case-insensitive;
/// access a number or a FileShare name; `""` is None, as DocSpace binds it).
fn share_item(v: &Value) -> Result<(ShareTo, FileShare), Error> {
    let obj = v.as_object().ok_or_else(bad_share)?;
    let field = |name: &str| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v);
    let text = |name: &str| field(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let to = match (text("shareTo"), text("email")) {
        (Some(id), _) => ShareTo::Id(id.to_string()),
        (None, Some(email)) => ShareTo::Email(email.to_string()),
        (None, None) => return Err(bad_share()),
    };
    let access = match field("access") {
        Some(Value::Number(n)) => n.as_i64().and_then(FileShare::from_i64),
        Some(Value::String(s)) if s.trim().is_empty() => Some(FileShare::None),
        Some(Value::String(s)) => FileShare::parse_name(s),
        _ => None,
    };
    let access = access.filter(|a| SHARE_ACCESS.contains(a)).ok_or_else(|| {
        Error::BadRequest("access must be None (0), Read (2), Comment (6), Review (5) or Editing (10)".into())
    })?;
    Ok((to, access))
}

/// The `share` list of a request, each subject found (a user by id or email,
/// else a group by id) before anything is written. The owner and unknown
/// subjects are a 400.
pub async fn requested_shares(
    state: &AppState,
    body: &Fields,
    owner_id: &str,
) -> Result<Vec<(Subject, FileShare)>, Error> {
    let items = match body.raw("share") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(share_item).collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(bad_share()),
    };
    let mut out: Vec<(Subject, FileShare)> = Vec::with_capacity(items.len());
    for (to, access) in items {
        let (subject, named) = match &to {
            ShareTo::Id(id) => match state.svc.store.user_by_id(id).await? {
                Some(u) => (Some(Subject::User(u)), id),
                None => (state.svc.store.group(id).await?.map(Subject::Group), id),
            },
            ShareTo::Email(email) => (state.svc.store.user_by_email(email).await?.map(Subject::User), email),
        };
        match subject {
            Some(s) if s.id() != owner_id => {
                // A subject named twice: the last item wins.
                out.retain(|(o, _)| o.id() != s.id());
                out.push((s, access));
            }
            _ => return Err(Error::BadRequest(format!("{named} is not another user or group of this server"))),
        }
    }
    Ok(out)
}

/// `sharingMessage` longer than DocSpace allows: its validation 400, the
/// field named as DocSpace's model binder names it.
pub fn check_sharing_message(body: &Fields, field: &str) -> Option<Response> {
    let message = body.raw("sharingmessage").and_then(Value::as_str)?;
    (message.chars().count() > SHARING_MESSAGE_MAX).then(|| {
        let name = field.rsplit('.').next().unwrap_or(field);
        validation_error(field, &format!("The field {name} must be a string with a maximum length of 255."))
    })
}

/// Writes the shares on one file (access 0 removes a subject's share).
pub async fn apply_shares(state: &AppState, file: &File, shares: &[(Subject, FileShare)]) -> Result<(), Error> {
    let now = now_micros();
    for (subject, access) in shares {
        match subject {
            Subject::User(u) => state.svc.store.set_file_share(file.id, &u.id, *access as i64, now).await?,
            Subject::Group(g) => state.svc.store.set_file_group_share(file.id, &g.id, *access as i64, now).await?,
        }
    }
    Ok(())
}

/// Every subject the file is shared with and its access (subjects deleted
/// meanwhile are skipped), groups first, then people, each by name.
pub async fn file_subjects(state: &AppState, file: &File) -> Result<Vec<(Subject, FileShare)>, Error> {
    let mut groups = Vec::new();
    for (group_id, access) in state.svc.store.file_group_shares(file.id).await? {
        if let (Some(g), Some(a)) = (state.svc.store.group(&group_id).await?, FileShare::from_i64(access)) {
            groups.push((Subject::Group(g), a));
        }
    }
    let mut people = Vec::new();
    for (user_id, access) in state.svc.store.file_shares(file.id).await? {
        if let (Some(u), Some(a)) = (state.svc.store.user_by_id(&user_id).await?, FileShare::from_i64(access)) {
            people.push((Subject::User(u), a));
        }
    }
    groups.sort_by_key(|(s, _)| (s.name().to_lowercase(), s.id().to_string()));
    people.sort_by_key(|(s, _)| (s.name().to_lowercase(), s.id().to_string()));
    groups.extend(people);
    Ok(groups)
}

pub fn group_summary(g: &Group) -> GroupSummaryDto {
    GroupSummaryDto { id: g.id.clone(), name: g.name.clone(), manager: g.manager_id.clone(), is_system: false }
}

/// One record of a file's sharing. `manages`: the caller may change the
/// entry's sharing (its owner), so may change this subject's access unless
/// it is the owner's or their own.
pub fn record(
    state: &AppState,
    subject: &Subject,
    access: FileShare,
    owner: bool,
    caller: &User,
    manages: bool,
) -> SubjectShareDto {
    let can_edit_access = manages && !owner && subject.id() != caller.id;
    match subject {
        Subject::User(u) => {
            let dto = full_dto(state, u);
            SubjectShareDto::User(Box::new(UserShareDto {
                access,
                shared_to: dto.clone(),
                shared_to_user: dto,
                is_locked: owner || u.id == caller.id,
                is_owner: owner,
                can_edit_access,
                can_edit_internal: false,
                can_edit_deny_download: false,
                can_edit_expiration_date: false,
                can_revoke: false,
                subject_type: 0,
            }))
        }
        Subject::Group(g) => SubjectShareDto::Group(GroupShareDto {
            access,
            shared_to: group_summary(g),
            shared_to_group: group_summary(g),
            is_locked: false,
            is_owner: false,
            can_edit_access,
            can_edit_internal: false,
            can_edit_deny_download: false,
            can_edit_expiration_date: false,
            can_revoke: false,
            subject_type: 2,
        }),
    }
}

/// The records of the subjects a change named, as they stand afterwards
/// (a removed subject has none), in the request's order: DocSpace's answer
/// to `PUT files/file/{id}/share` and `PUT files/share`.
pub async fn changed_records(
    state: &AppState,
    file: &File,
    named: &[(Subject, FileShare)],
    caller: &User,
) -> Result<Vec<SubjectShareDto>, Error> {
    let now = file_subjects(state, file).await?;
    Ok(named
        .iter()
        .filter_map(|(s, _)| now.iter().find(|(n, _)| n.id() == s.id()))
        .map(|(s, a)| record(state, s, *a, false, caller, true))
        .collect())
}

/// The file, if the signed-in caller owns it: who may change its sharing.
pub async fn owned_file(state: &AppState, user: &User, id: i64) -> Result<Option<File>, Error> {
    let Some(file) = state.svc.store.file(id).await? else { return Ok(None) };
    if file.owner.id != user.id {
        return Err(Error::cannot_perform());
    }
    Ok(Some(file))
}

/// `fileIds` / `folderIds` of a batch body: numbers or numeric strings (a
/// string that is not a number names nothing and is skipped, as DocSpace's
/// third-party ids would be here).
fn batch_ids(body: &Fields, key: &str) -> Result<Vec<i64>, Error> {
    let bad = || Error::BadRequest(format!("{key} must be an array of ids"));
    match body.raw(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::Number(n) => Some(n.as_i64().ok_or_else(bad)),
                Value::String(s) => s.trim().parse::<i64>().ok().map(Ok),
                _ => Some(Err(bad())),
            })
            .collect(),
        Some(_) => Err(bad()),
    }
}

/// `PUT files/share` `{fileIds, folderIds, share, notify, sharingMessage}`:
/// DocSpace's `SecurityInfoRequestDto`. Shares every listed file with the
/// listed people and groups (access 0 takes a share away) and answers, per
/// file, the records of the subjects named as they stand afterwards. The
/// caller must own every listed file (403 otherwise, even when nothing would
/// change); ids that match nothing are skipped; an empty `share` answers
/// `[]`. Folders cannot be shared with people here: a listed folder is 403.
#[utoipa::path(
    put, path = "/api/2.0/files/share", tag = "files",
    request_body = doc::SecurityInfoRequest,
    responses(
        (status = 200, description = "The named subjects' records on every listed file", body = doc::Envelope<Vec<doc::SubjectShareDto>>),
        doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::TooLarge,
    )
)]
pub async fn set_security_info(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    let user = ctx.user()?;
    if let Some(invalid) = check_sharing_message(&body, "SharingMessage") {
        return Ok(invalid);
    }
    let file_ids = batch_ids(&body, "fileids")?;
    let folder_ids = batch_ids(&body, "folderids")?;
    for id in &folder_ids {
        if state.svc.store.folder(*id).await?.is_some() {
            return Err(Error::cannot_perform().into());
        }
    }
    let mut files = Vec::new();
    for id in file_ids {
        files.extend(owned_file(&state, user, id).await?);
    }
    let mut out = Vec::new();
    for file in &files {
        let shares = requested_shares(&state, &body, &file.owner.id).await?;
        apply_shares(&state, file, &shares).await?;
        out.extend(changed_records(&state, file, &shares, user).await?);
    }
    ctx.ok(out)
}

/// One entry's sharing for `POST files/share`: (subject id, name, access,
/// owner, subject) per subject, the owner included.
type EntryShares = Vec<(String, String, FileShare, bool, Subject)>;

/// `POST files/share` `{fileIds, folderIds}`: who has access to the listed
/// entries, merged into one list, as DocSpace's `GetSecurityInfo`: one record
/// per subject, the caller's own first, the owner's second, the rest by
/// name; a subject whose access differs between the entries (or that lacks
/// one on some) reads `Varies` (4). The caller needs read access to every
/// listed entry (else the entry's 403); ids that match nothing are skipped.
#[utoipa::path(
    post, path = "/api/2.0/files/share", tag = "files",
    request_body = doc::BatchEntriesRequest,
    responses(
        (status = 200, description = "The merged sharing of the listed entries", body = doc::Envelope<Vec<doc::SubjectShareDto>>),
        doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::TooLarge,
    )
)]
pub async fn get_security_info(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    let user = ctx.user()?;
    let q = QueryMap(Default::default());
    let mut entries: Vec<EntryShares> = Vec::new();
    let mut manages = true;
    for id in batch_ids(&body, "fileids")? {
        let file = match file_access(&state, &ctx, &q, id).await {
            Err(Error::NotFound(_)) => continue,
            r => r?.file().clone(),
        };
        manages &= file.owner.id == user.id;
        let owner = state.svc.store.user_by_id(&file.owner.id).await?.ok_or_else(Error::file_not_found)?;
        let mut shares = vec![entry_share(Subject::User(owner), FileShare::ReadWrite, true)];
        for (s, a) in file_subjects(&state, &file).await? {
            shares.push(entry_share(s, a, false));
        }
        entries.push(shares);
    }
    for id in batch_ids(&body, "folderids")? {
        let folder = match folder_access(&state, &ctx, &q, id).await {
            Err(Error::NotFound(_)) => continue,
            r => r?.folder().clone(),
        };
        manages &= folder.owner.id == user.id;
        let owner = state.svc.store.user_by_id(&folder.owner.id).await?.ok_or_else(Error::folder_not_found)?;
        entries.push(vec![entry_share(Subject::User(owner), FileShare::ReadWrite, true)]);
    }
    let merged = merge_entries(entries, &user.id);
    ctx.ok(merged.iter().map(|(s, a, owner)| record(&state, s, *a, *owner, user, manages)).collect::<Vec<_>>())
}

fn entry_share(s: Subject, a: FileShare, owner: bool) -> (String, String, FileShare, bool, Subject) {
    (s.id().to_string(), s.name(), a, owner, s)
}

/// DocSpace's merge of several entries' sharing (see `get_security_info`).
fn merge_entries(entries: Vec<EntryShares>, me: &str) -> Vec<(Subject, FileShare, bool)> {
    let n = entries.len();
    // Per subject id: the subject, its name, and (access, owner) on each entry.
    type Held = (Subject, String, Vec<(FileShare, bool)>);
    let mut seen: HashMap<String, Held> = HashMap::new();
    for entry in entries {
        for (id, name, access, owner, subject) in entry {
            seen.entry(id).or_insert_with(|| (subject, name, Vec::new())).2.push((access, owner));
        }
    }
    let mut all: Vec<(Subject, String, FileShare, bool)> = seen
        .into_values()
        .map(|(s, name, held)| {
            let same = held.len() == n && held.windows(2).all(|w| w[0] == w[1]);
            match (same, held.first()) {
                (true, Some((a, o))) => (s, name, *a, *o),
                _ => (s, name, FileShare::Varies, false),
            }
        })
        .collect();
    all.sort_by(|a, b| (&a.1, a.0.id()).cmp(&(&b.1, b.0.id())));
    // The owner's record, then the caller's own before it.
    let owner = all.iter().position(|(.., owner)| *owner).map(|i| all.remove(i));
    let mine = all.iter().position(|(s, ..)| s.id() == me).map(|i| all.remove(i));
    let mut out: Vec<_> = mine.into_iter().chain(owner).collect();
    out.extend(all);
    out.into_iter().map(|(s, _, a, o)| (s, a, o)).collect()
}

/// `GET files/file/{id}/share`: the file's sharing, the owner first, then
/// groups and people by name (no links: `GET files/file/{id}/links` lists
/// those). Its owner sees every record; a person it is shared with may read
/// but not share it and gets `[]`; guests and anyone without access are
/// refused.
#[utoipa::path(
    get, path = "/api/2.0/files/file/{file_id}/share", tag = "files",
    params(("file_id" = i64, Path, description = "File id")),
    responses(
        (status = 200, description = "The file's sharing, the owner first", body = doc::Envelope<Vec<doc::SubjectShareDto>>),
        doc::Unauthorized, doc::Forbidden, doc::NotFound,
    )
)]
pub async fn get_file_security_info(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    let user = ctx.user()?;
    if user.user_type == UserType::Guest {
        return Err(Error::cannot_perform().into());
    }
    let id = parse_id(&id, Error::file_not_found)?;
    let access = file_access(&state, &ctx, &QueryMap(Default::default()), id).await?;
    let file = access.file();
    if file.owner.id != user.id {
        return ctx.ok_page(Vec::<SubjectShareDto>::new(), 0);
    }
    let mut out = vec![record(&state, &Subject::User(user.clone()), FileShare::ReadWrite, true, user, true)];
    for (s, a) in file_subjects(&state, file).await? {
        out.push(record(&state, &s, a, false, user, true));
    }
    let total = out.len() as i64;
    ctx.ok_page(out, total)
}

/// `GET files/file/{fileId}/group/{groupId}/share`: the group's members with
/// the access each has on the file: `groupAccess` the group's, `userAccess`
/// the member's own share (the owner's reads RoomManager, as DocSpace),
/// `overridden` when they have one, `canEditAccess` when the caller may
/// change it. A guest is refused ("Access denied"); a missing file, one the
/// caller cannot read, or a group the file is not shared with answers `[]`.
/// `startIndex`/`count` page the members; `total` counts them.
#[utoipa::path(
    get, path = "/api/2.0/files/file/{file_id}/group/{group_id}/share", tag = "files",
    params(
        ("file_id" = i64, Path, description = "File id"),
        ("group_id" = String, Path, description = "Group id"),
        doc::Paging,
    ),
    responses(
        (status = 200, description = "The group's members and their access on the file", body = doc::Envelope<Vec<doc::GroupMemberShareDto>>),
        doc::BadRequest, doc::Unauthorized, doc::Forbidden,
    )
)]
pub async fn group_members_share(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((file_id, group_id)): Path<(String, String)>,
    q: QueryMap,
) -> ApiResult {
    let user = ctx.user()?;
    if user.user_type == UserType::Guest {
        return Err(Error::access_denied().into());
    }
    let (start, count) = q.paging()?;
    let empty = || ctx.ok_page(Vec::<GroupMemberShareDto>::new(), 0);
    let Ok(file_id) = parse_id(&file_id, Error::file_not_found) else { return empty() };
    let file = match file_access(&state, &ctx, &QueryMap(Default::default()), file_id).await {
        Ok(a) => a.file().clone(),
        Err(Error::NotFound(_) | Error::Forbidden(_)) => return empty(),
        Err(e) => return Err(e.into()),
    };
    let shares = state.svc.store.file_group_shares(file.id).await?;
    let Some(group_access) = shares.iter().find(|(g, _)| *g == group_id).and_then(|(_, a)| FileShare::from_i64(*a))
    else {
        return empty();
    };
    let own: HashMap<String, i64> = state.svc.store.file_shares(file.id).await?.into_iter().collect();
    let manages = file.owner.id == user.id;
    let members = state.svc.store.group_member_ids(&group_id).await?;
    let total = members.len() as i64;
    let mut out = Vec::new();
    for id in members.iter().skip(start as usize).take(count as usize) {
        let Some(member) = state.svc.store.user_by_id(id).await? else { continue };
        let owner = member.id == file.owner.id;
        let user_access =
            if owner { Some(FileShare::RoomManager) } else { own.get(id).and_then(|a| FileShare::from_i64(*a)) };
        out.push(GroupMemberShareDto {
            user: full_dto(&state, &member),
            group_access,
            user_access,
            overridden: user_access.is_some(),
            can_edit_access: manages && !owner && member.id != user.id,
            owner,
        });
    }
    ctx.ok_page(out, total)
}
