//! The people and groups of this server as DocSpace manages them (issue 15):
//! disabling and enabling users (`PUT people/status/{status}`) and groups
//! (`/api/2.0/group...`), which files can be shared with. Only the owner and
//! DocSpace admins change either; everyone but guests may read groups.

use axum::extract::{Path, State};
use serde_json::Value;
use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::dto::GroupDto;
use spacelinks_api_types::Fields;
use spacelinks_core::titles::check_title_chars;
use spacelinks_core::{Error, Group, User};

use crate::app::AppState;
use crate::ctx::{Body, Ctx, QueryMap};
use crate::error::ApiResult;
use crate::openapi as doc;
use crate::routes::account::full_dto;

/// DocSpace's "no one" GUID, which clients send for "no manager".
const EMPTY_GUID: &str = "00000000-0000-0000-0000-000000000000";

/// Longest group name (DocSpace's limit on a group's title).
const GROUP_NAME_MAX: usize = 128;

/// DocSpace's `Action_EditUser` / `Action_EditGroups`: the owner and admins.
fn demand_admin(ctx: &Ctx) -> Result<&User, Error> {
    let user = ctx.user().map_err(|e| e.0)?;
    if !user.is_admin() {
        return Err(Error::access_denied());
    }
    Ok(user)
}

/// `PUT people/status/{status}` `{userIds, resendAll}`: disables
/// (`Terminated`, 2) or enables again (`Active`, 1) the listed users, as
/// DocSpace: the owner, the caller and (unless the caller is the owner)
/// admins are left as they are; unknown ids are skipped. A disabled user
/// cannot sign in, their sessions end at once, their API keys stop working
/// and what was shared with them no longer reaches them. Answers every
/// listed user as they are now.
#[utoipa::path(
    put, path = "/api/2.0/people/status/{status}", tag = "accounts",
    params(("status" = String, Path, description = "EmployeeStatus: 1 or Active, 2 or Terminated")),
    request_body = doc::UserIdsRequest,
    responses(
        (status = 200, description = "The listed users as they are now", body = doc::Envelope<Vec<doc::EmployeeFullDto>>),
        doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::TooLarge,
    )
)]
pub async fn update_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(status): Path<String>,
    Body(body): Body,
) -> ApiResult {
    let caller = demand_admin(&ctx)?;
    let disable = match status.trim().to_ascii_lowercase().as_str() {
        "1" | "active" => false,
        "2" | "terminated" => true,
        _ => return Err(Error::BadRequest("status must be Active (1) or Terminated (2)".into()).into()),
    };
    let mut out = Vec::new();
    for id in string_list(&body, "userids")? {
        let Some(user) = state.svc.store.user_by_id(&id).await? else { continue };
        let untouchable = user.is_owner || user.id == caller.id || (!caller.is_owner && user.is_admin());
        if !untouchable && user.disabled != disable {
            state.svc.store.set_user_disabled(&user.id, disable).await?;
        }
        let now = state.svc.store.user_by_id(&id).await?.unwrap_or(user);
        out.push(full_dto(&state, &now));
    }
    ctx.ok(out)
}

/// A list of strings (ids) in the body; absent or null is empty.
fn string_list(body: &Fields, key: &str) -> Result<Vec<String>, Error> {
    let bad = || Error::BadRequest(format!("{key} must be a list of ids"));
    match body.raw(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => {
            items.iter().map(|v| v.as_str().map(|s| s.trim().to_string()).ok_or_else(bad)).collect()
        }
        Some(_) => Err(bad()),
    }
}

/// The users named by `ids`, each once; an unknown id is a 400.
async fn users(state: &AppState, ids: Vec<String>) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        if state.svc.store.user_by_id(&id).await?.is_none() {
            return Err(Error::BadRequest(format!("{id} is not a user of this server")));
        }
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// `groupManager`: a user's id, or absent / empty / the empty GUID for none.
async fn manager(state: &AppState, body: &Fields) -> Result<Option<Option<String>>, Error> {
    let Some(raw) = body.string("groupmanager")?.value() else { return Ok(None) };
    let raw = raw.trim();
    if raw.is_empty() || raw == EMPTY_GUID {
        return Ok(Some(None));
    }
    Ok(Some(Some(users(state, vec![raw.to_string()]).await?.remove(0))))
}

fn group_name(raw: Option<String>) -> Result<String, Error> {
    let name = raw.map(|n| n.trim().to_string()).unwrap_or_default();
    if name.is_empty() || name.chars().count() > GROUP_NAME_MAX {
        return Err(Error::BadRequest(format!("groupName must be 1 to {GROUP_NAME_MAX} characters")));
    }
    // The web app shows group names: no control or bidi characters, as titles.
    check_title_chars("groupName", &name)?;
    Ok(name)
}

fn group_not_found() -> Error {
    Error::NotFound("The group was not found".into())
}

async fn existing_group(state: &AppState, id: &str) -> Result<Group, Error> {
    state.svc.store.group(id).await?.ok_or_else(group_not_found)
}

/// DocSpace's `GroupDto`, with its members when `members` is set.
async fn group_dto(state: &AppState, g: &Group, members: bool) -> Result<GroupDto, Error> {
    let ids = state.svc.store.group_member_ids(&g.id).await?;
    let manager = match &g.manager_id {
        Some(id) => state.svc.store.user_by_id(id).await?.map(|u| full_dto(state, &u)),
        None => None,
    };
    let list = if members {
        let mut list = Vec::with_capacity(ids.len());
        for id in &ids {
            list.extend(state.svc.store.user_by_id(id).await?.map(|u| full_dto(state, &u)));
        }
        Some(list)
    } else {
        None
    };
    Ok(GroupDto {
        name: g.name.clone(),
        category: EMPTY_GUID.into(),
        id: g.id.clone(),
        is_ldap: false,
        is_system: false,
        manager,
        members: list,
        shared: false,
        members_count: ids.len() as i64,
    })
}

/// `POST /api/2.0/group` `{groupName, groupManager, members}`: a new group
/// (the owner and admins only). The manager is a member too.
#[utoipa::path(
    post, path = "/api/2.0/group", tag = "accounts",
    request_body = doc::GroupRequest,
    responses(
        (status = 200, description = "The new group with its members", body = doc::Envelope<doc::GroupDto>),
        doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::TooLarge,
    )
)]
pub async fn create_group(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    demand_admin(&ctx)?;
    let name = group_name(body.string("groupname")?.value())?;
    let manager_id = manager(&state, &body).await?.flatten();
    let mut members = users(&state, string_list(&body, "members")?).await?;
    if let Some(m) = manager_id.as_ref().filter(|m| !members.contains(m)) {
        members.push(m.clone());
    }
    let group = Group { id: uuid::Uuid::new_v4().to_string(), name, manager_id, created: now_micros() };
    state.svc.store.create_group(&group, &members).await?;
    ctx.ok(group_dto(&state, &group, true).await?)
}

/// `GET /api/2.0/group`: every group by name, without their members (not
/// for guests).
#[utoipa::path(
    get, path = "/api/2.0/group", tag = "accounts",
    responses((status = 200, description = "Every group", body = doc::Envelope<Vec<doc::GroupDto>>), doc::Unauthorized, doc::Forbidden)
)]
pub async fn list_groups(State(state): State<AppState>, ctx: Ctx) -> ApiResult {
    ctx.not_guest()?;
    let mut out = Vec::new();
    for g in state.svc.store.groups(None).await? {
        out.push(group_dto(&state, &g, false).await?);
    }
    let total = out.len() as i64;
    ctx.ok_page(out, total)
}

/// `GET /api/2.0/group/{id}[?includeMembers=false]`: one group, with its
/// members unless asked not to (not for guests).
#[utoipa::path(
    get, path = "/api/2.0/group/{id}", tag = "accounts",
    params(
        ("id" = String, Path, description = "Group id"),
        ("includeMembers" = Option<bool>, Query, description = "false: leave the members out"),
    ),
    responses((status = 200, description = "The group", body = doc::Envelope<doc::GroupDto>), doc::Unauthorized, doc::Forbidden, doc::NotFound)
)]
pub async fn get_group(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, q: QueryMap) -> ApiResult {
    ctx.not_guest()?;
    let group = existing_group(&state, &id).await?;
    let members = !q.get("includemembers").is_some_and(|v| v.eq_ignore_ascii_case("false"));
    ctx.ok(group_dto(&state, &group, members).await?)
}

/// `GET /api/2.0/group/user/{userid}`: the groups a user belongs to.
#[utoipa::path(
    get, path = "/api/2.0/group/user/{user_id}", tag = "accounts",
    params(("user_id" = String, Path, description = "User id")),
    responses((status = 200, description = "The user's groups", body = doc::Envelope<Vec<doc::GroupDto>>), doc::Unauthorized, doc::Forbidden)
)]
pub async fn user_groups(State(state): State<AppState>, ctx: Ctx, Path(user_id): Path<String>) -> ApiResult {
    ctx.not_guest()?;
    let mut out = Vec::new();
    for g in state.svc.store.groups(Some(&user_id)).await? {
        out.push(group_dto(&state, &g, false).await?);
    }
    ctx.ok(out)
}

/// `PUT /api/2.0/group/{id}` `{groupName, groupManager, membersToAdd,
/// membersToRemove}`: absent fields keep their value (owner and admins).
#[utoipa::path(
    put, path = "/api/2.0/group/{id}", tag = "accounts",
    params(("id" = String, Path, description = "Group id")),
    request_body = doc::UpdateGroupRequest,
    responses(
        (status = 200, description = "The group as it is now", body = doc::Envelope<doc::GroupDto>),
        doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge,
    )
)]
pub async fn update_group(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    demand_admin(&ctx)?;
    let mut group = existing_group(&state, &id).await?;
    if let Some(name) = body.string("groupname")?.value() {
        group.name = group_name(Some(name))?;
    }
    let mut add = users(&state, string_list(&body, "memberstoadd")?).await?;
    if let Some(m) = manager(&state, &body).await? {
        group.manager_id = m;
        add.extend(group.manager_id.clone());
    }
    let remove = string_list(&body, "memberstoremove")?;
    change_members(&state, &group, &add, &remove).await?;
    ctx.ok(group_dto(&state, &group, true).await?)
}

async fn change_members(state: &AppState, group: &Group, add: &[String], remove: &[String]) -> Result<(), Error> {
    if !state.svc.store.update_group(group, add, remove).await? {
        return Err(group_not_found());
    }
    Ok(())
}

/// `PUT /api/2.0/group/{id}/members` `{members}`: adds them.
#[utoipa::path(
    put, path = "/api/2.0/group/{id}/members", tag = "accounts",
    params(("id" = String, Path, description = "Group id")),
    request_body = doc::MembersRequest,
    responses(
        (status = 200, description = "The group as it is now", body = doc::Envelope<doc::GroupDto>),
        doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge,
    )
)]
pub async fn add_members(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    demand_admin(&ctx)?;
    let group = existing_group(&state, &id).await?;
    let add = users(&state, string_list(&body, "members")?).await?;
    change_members(&state, &group, &add, &[]).await?;
    ctx.ok(group_dto(&state, &group, true).await?)
}

/// `POST /api/2.0/group/{id}/members` `{members}`: the group's members
/// become exactly these.
#[utoipa::path(
    post, path = "/api/2.0/group/{id}/members", tag = "accounts",
    params(("id" = String, Path, description = "Group id")),
    request_body = doc::MembersRequest,
    responses(
        (status = 200, description = "The group as it is now", body = doc::Envelope<doc::GroupDto>),
        doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge,
    )
)]
pub async fn set_members(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    demand_admin(&ctx)?;
    let group = existing_group(&state, &id).await?;
    let wanted = users(&state, string_list(&body, "members")?).await?;
    let current = state.svc.store.group_member_ids(&group.id).await?;
    let remove: Vec<String> = current.into_iter().filter(|m| !wanted.contains(m)).collect();
    change_members(&state, &group, &wanted, &remove).await?;
    ctx.ok(group_dto(&state, &group, true).await?)
}

/// `DELETE /api/2.0/group/{id}/members` `{members}`: removes them.
#[utoipa::path(
    delete, path = "/api/2.0/group/{id}/members", tag = "accounts",
    params(("id" = String, Path, description = "Group id")),
    request_body = doc::MembersRequest,
    responses(
        (status = 200, description = "The group as it is now", body = doc::Envelope<doc::GroupDto>),
        doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge,
    )
)]
pub async fn remove_members(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    demand_admin(&ctx)?;
    let group = existing_group(&state, &id).await?;
    let remove = string_list(&body, "members")?;
    change_members(&state, &group, &[], &remove).await?;
    ctx.ok(group_dto(&state, &group, true).await?)
}

/// `DELETE /api/2.0/group/{id}`: the group goes, with its memberships and
/// the file shares it had (its members lose what only it gave them).
#[utoipa::path(
    delete, path = "/api/2.0/group/{id}", tag = "accounts",
    params(("id" = String, Path, description = "Group id")),
    responses((status = 200, description = "Deleted; no `response`", body = doc::Envelope<String>), doc::Unauthorized, doc::Forbidden, doc::NotFound)
)]
pub async fn delete_group(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    demand_admin(&ctx)?;
    if !state.svc.store.delete_group(&id).await? {
        return Err(group_not_found().into());
    }
    ctx.ok_empty()
}
