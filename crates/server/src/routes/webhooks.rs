//! DocSpace's `settings/webhook*` API: subscriptions, their delivery log,
//! retries and the trigger list. Who may do what follows DocSpace's
//! `CheckAdminPermissionsAsync`: the owner and DocSpace admins manage every
//! webhook, other users (not guests) their own; anyone signed in lists the
//! triggers. Delivery itself lives in `crate::webhooks`.

use std::collections::HashMap;

use axum::extract::{Path, State};
use spacelinks_api_types::date::{format_api_date, now_micros, parse_api_date};
use spacelinks_api_types::dto::{WebhookTriggerDto, WebhooksConfigDto, WebhooksConfigWithStatusDto, WebhooksLogDto};
use spacelinks_api_types::lenient::Patch;
use spacelinks_api_types::{Fields, UserType};
use spacelinks_core::{Error, NewWebhookLog, User, WebhookConfig, WebhookLog, WebhookLogQuery};

use crate::app::AppState;
use crate::ctx::{parse_id, Body, Ctx, QueryMap};
use crate::dto::employee;
use crate::error::ApiResult;
use crate::openapi as doc;
use crate::webhooks::triggers::{Trigger, ALL_TRIGGERS};

/// The caller, if they may use webhooks at all, and whether they see every
/// webhook (owner, DocSpace admin) or only their own.
fn manager(ctx: &Ctx) -> Result<(&User, bool), Error> {
    let user = ctx.caller.user.as_ref().ok_or(Error::Unauthorized)?;
    match user.user_type {
        UserType::Guest => Err(Error::access_denied()),
        UserType::DocSpaceAdmin => Ok((user, true)),
        _ => Ok((user, user.is_owner)),
    }
}

fn check_owner(user: &User, admin: bool, created_by: &str) -> Result<(), Error> {
    if admin || user.id == created_by {
        Ok(())
    } else {
        Err(Error::access_denied())
    }
}

fn not_found() -> Error {
    Error::NotFound("Webhook not found".into())
}

/// The request fields of DocSpace's `CreateWebhooksConfigRequestsDto` /
/// `UpdateWebhooksConfigRequestsDto`, with its attribute checks.
struct Request {
    id: Option<i64>,
    name: String,
    uri: String,
    secret_key: Option<String>,
    enabled: bool,
    ssl: bool,
    triggers: i64,
    target_id: Option<String>,
}

fn max_len(key: &str, value: &str, max: usize) -> Result<(), Error> {
    if value.chars().count() > max {
        return Err(Error::BadRequest(format!("The field {key} must be a string with a maximum length of {max}.")));
    }
    Ok(())
}

fn read_request(body: &Fields, needs_id: bool) -> Result<Request, Error> {
    let id = body.int("id")?.value();
    if needs_id && id.is_none() {
        return Err(Error::BadRequest("The Id field is required.".into()));
    }
    let required = |key: &str, label: &str| match body.string(key)? {
        Patch::Value(s) if !s.is_empty() => Ok(s),
        _ => Err(Error::BadRequest(format!("The {label} field is required."))),
    };
    let name = required("name", "Name")?;
    let uri = required("uri", "Uri")?;
    let secret_key = body.string("secretkey")?.value();
    let target_id = body.string("targetid")?.value().filter(|t| !t.is_empty());
    max_len("Name", &name, 50)?;
    max_len("SecretKey", secret_key.as_deref().unwrap_or(""), 50)?;
    max_len("TargetId", target_id.as_deref().unwrap_or(""), 255)?;
    // Enums are integers only (DocSpace refuses "file.created").
    let triggers = match body.raw("triggers") {
        Some(serde_json::Value::String(_)) => {
            return Err(Error::BadRequest("The JSON value of 'triggers' must be an integer".into()))
        }
        _ => body.int("triggers")?.value().unwrap_or(0),
    };
    Ok(Request {
        id,
        name,
        uri,
        secret_key,
        enabled: body.bool("enabled")?.value().unwrap_or(false),
        ssl: body.bool("ssl")?.value().unwrap_or(false),
        triggers,
        target_id,
    })
}

/// DocSpace's `CheckWebhook`, in its order: triggers the caller may use,
/// the secret (required on create; the link password policy, 8–30
/// printable ASCII by default), the URL (SSRF guard), the HEAD probe.
async fn check_webhook(
    state: &AppState,
    user: &User,
    triggers: i64,
    uri: &str,
    ssl: bool,
    secret: Option<&str>,
    creation: bool,
) -> Result<(), Error> {
    if triggers != 0 {
        let refused =
            ALL_TRIGGERS.iter().any(|t| t.bit() != 0 && triggers & t.bit() != 0 && !t.available_to(user.user_type));
        if refused {
            return Err(Error::BadRequest("Trigger is not available".into()));
        }
    }
    match secret {
        None | Some("") if creation => {
            return Err(Error::BadRequest("Value cannot be null. (Parameter 'secretKey')".into()))
        }
        Some(s) if !s.is_empty() => state.svc.passwords.check(s)?,
        _ => {}
    }
    crate::webhooks::deliver::probe(state, uri, ssl).await
}

/// A person as an `EmployeeDto`, looked up once per reply.
async fn person(
    state: &AppState,
    names: &mut HashMap<String, Option<String>>,
    id: &str,
) -> Option<spacelinks_api_types::dto::EmployeeDto> {
    if !names.contains_key(id) {
        let user = state.svc.store.user_by_id(id).await.ok().flatten();
        let name = user.map(|u| {
            let n = format!("{} {}", u.first_name, u.last_name).trim().to_string();
            if n.is_empty() {
                u.email
            } else {
                n
            }
        });
        names.insert(id.to_string(), name);
    }
    names[id].as_deref().map(|n| employee(state, id, n))
}

async fn config_dto(
    state: &AppState,
    c: &WebhookConfig,
    names: &mut HashMap<String, Option<String>>,
) -> WebhooksConfigDto {
    let created_by = person(state, names, &c.created_by).await;
    let modified_by = person(state, names, &c.modified_by).await;
    WebhooksConfigDto {
        id: c.id,
        name: c.name.clone(),
        uri: c.uri.clone(),
        enabled: c.enabled,
        ssl: c.ssl,
        triggers: c.triggers,
        target_id: c.target_id.clone(),
        created_by,
        modified_by,
        created_on: format_api_date(c.created_on),
        modified_on: format_api_date(c.modified_on),
        last_failure_on: c.last_failure_on.map(format_api_date),
        last_failure_content: c.last_failure_content.clone(),
        last_success_on: c.last_success_on.map(format_api_date),
    }
}

fn log_dto(l: &WebhookLog) -> WebhooksLogDto {
    WebhooksLogDto {
        id: l.id,
        config_name: l.config_name.clone(),
        trigger: l.trigger,
        creation_time: format_api_date(l.creation_time),
        request_headers: l.request_headers.clone(),
        request_payload: l.request_payload.clone(),
        response_headers: l.response_headers.clone(),
        response_payload: l.response_payload.clone(),
        status: l.status,
        delivery: l.delivery.map(format_api_date),
    }
}

/// `GET settings/webhook`: admins get every webhook, users their own.
#[utoipa::path(
    get, path = "/api/2.0/settings/webhook", tag = "webhooks",
    responses((status = 200, description = "The webhooks, each with the status of its latest successful delivery", body = doc::Envelope<Vec<WebhooksConfigWithStatusDto>>), doc::Unauthorized, doc::Forbidden)
)]
pub async fn list_webhooks(State(state): State<AppState>, ctx: Ctx) -> ApiResult {
    let (user, admin) = manager(&ctx)?;
    let configs = state.svc.store.webhook_configs((!admin).then_some(user.id.as_str())).await?;
    let mut names = HashMap::new();
    let mut out = Vec::with_capacity(configs.len());
    for (c, status) in &configs {
        out.push(WebhooksConfigWithStatusDto { configs: config_dto(&state, c, &mut names).await, status: *status });
    }
    ctx.ok(out)
}

/// `POST settings/webhook`
#[utoipa::path(
    post, path = "/api/2.0/settings/webhook", tag = "webhooks",
    request_body = doc::WebhookRequest,
    responses((status = 200, description = "The new webhook (never its secret)", body = doc::Envelope<WebhooksConfigDto>), doc::BadRequest, doc::Unauthorized, doc::Forbidden)
)]
pub async fn create_webhook(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    let (user, _) = manager(&ctx)?;
    let r = read_request(&body, false)?;
    check_webhook(&state, user, r.triggers, &r.uri, r.ssl, r.secret_key.as_deref(), true).await?;
    let now = now_micros();
    let config = WebhookConfig {
        id: 0,
        name: r.name,
        uri: r.uri,
        secret_key: r.secret_key.unwrap_or_default(),
        enabled: r.enabled,
        ssl: r.ssl,
        triggers: r.triggers,
        target_id: r.target_id,
        created_by: user.id.clone(),
        modified_by: user.id.clone(),
        created_on: now,
        modified_on: now,
        last_failure_on: None,
        last_failure_content: None,
        last_success_on: None,
    };
    let Some(config) =
        state.svc.store.insert_webhook_config(&config).await.inspect(|_| state.webhooks.forget_configs())?
    else {
        return Err(Error::BadRequest("Webhook with the same name and payload URL already exists".into()).into());
    };
    ctx.ok(config_dto(&state, &config, &mut HashMap::new()).await)
}

/// `PUT settings/webhook`: replaces name, uri, enabled, ssl, triggers and
/// targetId (omitted ones reset, as DocSpace); the secret is kept when
/// omitted or empty. The checks and the probe run before the lookup.
#[utoipa::path(
    put, path = "/api/2.0/settings/webhook", tag = "webhooks",
    request_body = doc::WebhookUpdateRequest,
    responses((status = 200, description = "The webhook as changed", body = doc::Envelope<WebhooksConfigDto>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound)
)]
pub async fn update_webhook(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    let (user, admin) = manager(&ctx)?;
    let r = read_request(&body, true)?;
    check_webhook(&state, user, r.triggers, &r.uri, r.ssl, r.secret_key.as_deref(), false).await?;
    let mut config = state.svc.store.webhook_config(r.id.unwrap_or(0)).await?.ok_or_else(not_found)?;
    check_owner(user, admin, &config.created_by)?;
    config.name = r.name;
    config.uri = r.uri;
    config.enabled = r.enabled;
    config.ssl = r.ssl;
    config.triggers = r.triggers;
    config.target_id = r.target_id;
    if let Some(s) = r.secret_key.filter(|s| !s.is_empty()) {
        config.secret_key = s;
    }
    config.modified_by = user.id.clone();
    config.modified_on = now_micros();
    if !state.svc.store.update_webhook_config(&config).await.inspect(|_| state.webhooks.forget_configs())? {
        return Err(not_found().into());
    }
    ctx.ok(config_dto(&state, &config, &mut HashMap::new()).await)
}

/// `PUT settings/webhook/enable`: only `id` and `enabled` are used (the
/// body still needs `name` and `uri`, as DocSpace's DTO demands); enabling
/// checks the stored webhook again, probe included.
#[utoipa::path(
    put, path = "/api/2.0/settings/webhook/enable", tag = "webhooks",
    request_body = doc::WebhookUpdateRequest,
    responses((status = 200, description = "The webhook, enabled or disabled", body = doc::Envelope<WebhooksConfigDto>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound)
)]
pub async fn enable_webhook(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    let (user, admin) = manager(&ctx)?;
    let r = read_request(&body, true)?;
    let mut config = state.svc.store.webhook_config(r.id.unwrap_or(0)).await?.ok_or_else(not_found)?;
    check_owner(user, admin, &config.created_by)?;
    if r.enabled {
        check_webhook(&state, user, config.triggers, &config.uri, config.ssl, Some(&config.secret_key), false).await?;
    }
    config.enabled = r.enabled;
    config.modified_by = user.id.clone();
    config.modified_on = now_micros();
    if !state.svc.store.update_webhook_config(&config).await.inspect(|_| state.webhooks.forget_configs())? {
        return Err(not_found().into());
    }
    ctx.ok(config_dto(&state, &config, &mut HashMap::new()).await)
}

/// `DELETE settings/webhook/{id}`: with its log.
#[utoipa::path(
    delete, path = "/api/2.0/settings/webhook/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 200, description = "The deleted webhook", body = doc::Envelope<WebhooksConfigDto>), doc::Unauthorized, doc::Forbidden, doc::NotFound)
)]
pub async fn delete_webhook(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    let (user, admin) = manager(&ctx)?;
    let config = state.svc.store.webhook_config(parse_id(&id, not_found)?).await?.ok_or_else(not_found)?;
    check_owner(user, admin, &config.created_by)?;
    let dto = config_dto(&state, &config, &mut HashMap::new()).await;
    if !state.svc.store.delete_webhook_config(config.id).await.inspect(|_| state.webhooks.forget_configs())? {
        return Err(not_found().into());
    }
    ctx.ok(dto)
}

fn query_date(q: &QueryMap, key: &str) -> Result<Option<i64>, Error> {
    match q.get(key).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse_api_date(s).map(Some).ok_or_else(|| Error::BadRequest(format!("{key} is not a date"))),
    }
}

/// `GET settings/webhooks/log` (plural `webhooks`, as DocSpace): newest
/// first, DocSpace's filters and paging; `total` in the envelope. Users see
/// the log of their own webhooks only.
#[utoipa::path(
    get, path = "/api/2.0/settings/webhooks/log", tag = "webhooks",
    params(doc::WebhookLogQuery, doc::Paging),
    responses((status = 200, description = "A page of deliveries, newest first; `total` counts them all", body = doc::Envelope<Vec<WebhooksLogDto>>), doc::BadRequest, doc::Unauthorized, doc::Forbidden)
)]
pub async fn webhook_log(State(state): State<AppState>, ctx: Ctx, q: QueryMap) -> ApiResult {
    let (user, admin) = manager(&ctx)?;
    let (offset, limit) = q.paging()?;
    let created_by =
        if admin { q.get("userid").filter(|s| !s.is_empty()).map(str::to_string) } else { Some(user.id.clone()) };
    let query = WebhookLogQuery {
        delivery_from: query_date(&q, "deliveryfrom")?,
        delivery_to: query_date(&q, "deliveryto")?,
        hook_uri: q.get("hookuri").filter(|s| !s.is_empty()).map(str::to_string),
        config_id: q.int("configid")?,
        event_id: q.int("eventid")?,
        group_status: q.int("groupstatus")?.unwrap_or(0),
        created_by,
        trigger: q.int("trigger")?.unwrap_or(0),
        offset,
        limit,
    };
    let (logs, total) = state.svc.store.webhook_logs_page(&query).await?;
    ctx.ok_page(logs.iter().map(log_dto).collect::<Vec<_>>(), total)
}

/// A new delivery of a logged one: same webhook, trigger, body and event
/// id (`x-spacelinks-event-id`), a new log id; not checking that the
/// webhook is still enabled, as DocSpace.
async fn retry(state: &AppState, user: &User, admin: bool, log_id: i64) -> Result<Option<WebhookLog>, Error> {
    let Some(old) = state.svc.store.webhook_log(log_id).await? else { return Ok(None) };
    let Some(config) = state.svc.store.webhook_config(old.config_id).await? else { return Ok(None) };
    check_owner(user, admin, &config.created_by)?;
    let new = NewWebhookLog {
        config_id: old.config_id,
        trigger: old.trigger,
        now: now_micros(),
        uid: user.id.clone(),
        event_id: old.event_id,
        request_payload: old.request_payload,
    };
    let ids = state.svc.store.insert_webhook_logs(&[new]).await?;
    state.webhooks.wake.notify_one();
    state.svc.store.webhook_log(ids[0]).await
}

/// `PUT settings/webhook/{id}/retry`: `id` is a log id.
#[utoipa::path(
    put, path = "/api/2.0/settings/webhook/{id}/retry", tag = "webhooks",
    params(("id" = i64, Path, description = "Log id of the delivery to send again")),
    responses((status = 200, description = "The new delivery (status 0 until sent)", body = doc::Envelope<WebhooksLogDto>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound)
)]
pub async fn retry_webhook(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    let (user, admin) = manager(&ctx)?;
    let id = match id.parse::<i64>() {
        Ok(0) => return Err(Error::BadRequest("Id is required".into()).into()),
        _ => parse_id(&id, not_found)?,
    };
    let log = retry(&state, user, admin, id).await?.ok_or_else(not_found)?;
    ctx.ok(log_dto(&log))
}

/// `PUT settings/webhook/retry` `{"ids":[…]}`: unknown and foreign ids are
/// skipped, as DocSpace does.
#[utoipa::path(
    put, path = "/api/2.0/settings/webhook/retry", tag = "webhooks",
    request_body = doc::WebhookRetryRequest,
    responses((status = 200, description = "The new deliveries", body = doc::Envelope<Vec<WebhooksLogDto>>), doc::BadRequest, doc::Unauthorized, doc::Forbidden)
)]
pub async fn retry_webhooks(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    let (user, admin) = manager(&ctx)?;
    // DocSpace answers 500 to a missing list; a 400 says what is wrong.
    let Some(serde_json::Value::Array(ids)) = body.raw("ids") else {
        return Err(Error::BadRequest("ids must be a list of log ids".into()).into());
    };
    let mut out = Vec::new();
    for id in ids {
        let id = id.as_i64().ok_or_else(|| Error::BadRequest("ids must be a list of log ids".into()))?;
        match retry(&state, user, admin, id).await {
            Ok(Some(log)) => out.push(log_dto(&log)),
            Ok(None) | Err(Error::Forbidden(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    ctx.ok(out)
}

/// `GET settings/webhook/triggers`: every trigger in DocSpace's order, then
/// spacelinks' link triggers; `available` for the caller's user type.
#[utoipa::path(
    get, path = "/api/2.0/settings/webhook/triggers", tag = "webhooks",
    responses((status = 200, description = "The triggers", body = doc::Envelope<Vec<WebhookTriggerDto>>), doc::Unauthorized)
)]
pub async fn webhook_triggers(State(_): State<AppState>, ctx: Ctx) -> ApiResult {
    let user = ctx.user()?;
    let list: Vec<WebhookTriggerDto> = ALL_TRIGGERS
        .iter()
        .map(|t: &Trigger| WebhookTriggerDto {
            name: t.name().into(),
            id: t.bit(),
            available: t.available_to(user.user_type),
        })
        .collect();
    ctx.ok(list)
}
