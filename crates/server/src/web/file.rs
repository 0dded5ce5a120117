//! A file's page (facts, preview, links with copy, QR code, edit, revoke,
//! activity) and the link form, for a file's links and (the same pages under
//! `/files/folder/{id}/links`, `FOLDER = true`) a folder's. The form posts to `Services::set_link`, the
//! same call as `PUT /api/2.0/files/file/{id}/links`; its error is shown next
//! to the field it is about, in the server's words.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::Fields;
use spacelinks_api_types::FileShare;
use spacelinks_core::links::{allowed_link_access, LinkRequest, FOLDER_LINK_ACCESS};
use spacelinks_core::service::ManagedLink;
use spacelinks_core::{Entry, Error, File};
use time::macros::format_description;
use time::PrimitiveDateTime;

use super::files::{folder_url, ConfirmPage};
use super::{human_time, machine_time, render, see_other, Layout, SignedIn, WebForm, WebResult};
use crate::app::AppState;
use crate::ctx::parse_id;
use crate::dto::human_size;
use crate::routes::pages::{preview_of, Preview};
use crate::routes::security::Subject;

pub struct Facts {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub size: String,
    pub modified: String,
    pub modified_at: String,
    pub version: i64,
    pub folder_url: String,
    pub folder_title: String,
}

pub struct LinkCard {
    pub id: String,
    pub title: String,
    pub access: &'static str,
    pub password: Option<String>,
    /// (human, machine) expiry.
    pub expires: Option<(String, String)>,
    pub expired: bool,
    pub deny_download: bool,
    pub internal: bool,
    pub primary: bool,
    pub url: String,
    pub base: String,
    /// "3 of 5", "0 (no limit)".
    pub uses: String,
    pub used_up: bool,
    /// Empty: anywhere.
    pub networks: Vec<String>,
    /// The activity page exists for file links only.
    pub has_activity: bool,
}

/// Someone the file is shared with, as its page lists them.
pub struct ShareRow {
    /// "person" or "group".
    pub kind: &'static str,
    pub name: String,
    /// A person's e-mail, a group's member count.
    pub detail: String,
    pub access: &'static str,
}

#[derive(Template)]
#[template(path = "web/file.html")]
struct FilePage {
    shares: Vec<ShareRow>,
    layout: Layout,
    file: Facts,
    preview: Preview,
    view_url: String,
    download_url: String,
    links: Vec<LinkCard>,
    links_base: String,
    versions: Vec<super::versions::VersionRow>,
}

fn file_id(raw: &str) -> Result<i64, Error> {
    parse_id(raw, Error::item_not_found)
}

/// The file, if the signed-in person may manage its links (its owner).
async fn managed(state: &AppState, signed: &SignedIn, raw_id: &str) -> Result<File, Error> {
    state.svc.managed_file(Some(&signed.user), file_id(raw_id)?).await
}

/// The file or folder whose links these pages manage.
pub struct Target {
    entry: Entry,
    title: String,
    /// Its page: `/files/file/{id}` or `/files/folder/{id}`.
    url: String,
    accesses: &'static [FileShare],
}

/// A file (`FOLDER` false) or folder whose links the signed-in person may
/// manage (its owner), checked by the same service calls as the API.
async fn target<const FOLDER: bool>(state: &AppState, signed: &SignedIn, raw_id: &str) -> Result<Target, Error> {
    let id = file_id(raw_id)?;
    Ok(if FOLDER {
        let f = state.svc.managed_folder(Some(&signed.user), id).await?;
        Target {
            entry: Entry::Folder(f.id),
            url: format!("/files/folder/{}", f.id),
            title: f.title,
            accesses: FOLDER_LINK_ACCESS,
        }
    } else {
        let f = managed(state, signed, raw_id).await?;
        let accesses = allowed_link_access(f.file_type());
        Target { entry: Entry::File(f.id), url: format!("/files/file/{}", f.id), title: f.title, accesses }
    })
}

/// A link of this file or folder, as its manager sees it; 404 for any other.
async fn managed_link(state: &AppState, target: &Target, link_id: &str) -> Result<ManagedLink, Error> {
    let link =
        state.svc.store.link(link_id).await?.filter(|l| l.entry == target.entry).ok_or_else(Error::item_not_found)?;
    state.svc.manage(link).await
}

pub fn share_url(state: &AppState, m: &ManagedLink) -> String {
    format!("{}/s/{}", state.public_url, m.link.short_code)
}

/// A link's card; `page` is its file's or folder's page.
pub fn card(state: &AppState, page: &str, m: ManagedLink) -> LinkCard {
    let now = now_micros();
    let l = &m.link;
    LinkCard {
        url: share_url(state, &m),
        base: format!("{page}/links/{}", l.id),
        has_activity: !l.entry.is_folder(),
        id: l.id.clone(),
        title: l.title.clone(),
        access: l.access.name(),
        expires: l.expires.map(|t| (human_time(t), machine_time(t))),
        expired: l.is_expired(now),
        deny_download: l.deny_download,
        internal: l.internal,
        primary: l.primary,
        uses: super::activity::uses_label(l.use_count, l.max_uses),
        used_up: l.is_used_up(),
        networks: l.allowed_networks.iter().map(|n| n.to_string()).collect(),
        password: m.password,
    }
}

/// `GET /files/file/{id}`.
pub async fn file_page(State(state): State<AppState>, signed: SignedIn, Path(id): Path<String>) -> WebResult {
    let file = managed(&state, &signed, &id).await?;
    let (links, _) = state.svc.list_links(&signed.user, spacelinks_core::Entry::File(file.id), 0, 100).await?;
    let folder = state.svc.store.folder(file.folder_id).await?;
    let versions = super::versions::version_rows(&state, &signed, &file).await?;
    let page = FilePage {
        shares: share_rows(&state, &file).await?,
        versions,
        layout: signed.layout(&state, file.title.clone(), "files"),
        preview: preview_of(&state, &file).await?,
        view_url: format!("/filehandler.ashx?action=view&fileid={}", file.id),
        download_url: format!("/filehandler.ashx?action=download&fileid={}", file.id),
        links: links.into_iter().map(|m| card(&state, &format!("/files/file/{}", file.id), m)).collect(),
        links_base: format!("/files/file/{}", file.id),
        file: Facts {
            id: file.id,
            title: file.title.clone(),
            kind: file.kind_label(),
            size: human_size(file.size),
            modified: human_time(file.updated),
            modified_at: machine_time(file.updated),
            version: file.version,
            folder_url: folder.as_ref().map_or("/files".into(), folder_url),
            folder_title: folder.map_or_else(String::new, |f| f.title),
        },
    };
    Ok(render(&page, StatusCode::OK))
}

/// Who the file is shared with (`PUT /api/2.0/files/file/{id}/share`), the
/// same records the API answers: groups, then people, by name.
async fn share_rows(state: &AppState, file: &File) -> Result<Vec<ShareRow>, Error> {
    let mut rows = Vec::new();
    for (subject, access) in crate::routes::security::file_subjects(state, file).await? {
        rows.push(match subject {
            Subject::User(u) => {
                ShareRow { kind: "person", name: u.display_name(), detail: u.email, access: access.name() }
            }
            Subject::Group(g) => {
                let n = state.svc.store.group_member_ids(&g.id).await?.len();
                let detail = if n == 1 { "1 member".to_string() } else { format!("{n} members") };
                ShareRow { kind: "group", name: g.name, detail, access: access.name() }
            }
        });
    }
    Ok(rows)
}

/// What the link form shows in its fields.
#[derive(Default)]
pub struct LinkValues {
    pub title: String,
    pub access: String,
    pub password: String,
    /// `datetime-local` value, in UTC unless `tz` says otherwise.
    pub expires: String,
    pub expires_was: String,
    pub deny_download: bool,
    pub internal: bool,
    /// Empty: no download limit.
    pub max_uses: String,
    /// One address or CIDR range a line (commas also separate); empty: anywhere.
    pub networks: String,
}

/// The server's message for each field, empty when it is fine.
#[derive(Default)]
pub struct FieldErrors {
    pub title: String,
    pub access: String,
    pub password: String,
    pub expires: String,
    pub max_uses: String,
    pub networks: String,
    /// An error about the link as a whole (too many links, ...).
    pub form: String,
}

#[derive(Template)]
#[template(path = "web/link_form.html")]
struct LinkFormPage {
    layout: Layout,
    heading: String,
    file_title: String,
    action: String,
    cancel_url: String,
    accesses: Vec<&'static str>,
    values: LinkValues,
    errors: FieldErrors,
    password_min: usize,
    password_max: usize,
    /// The edited link's `currentUseCount`, for the limit's hint.
    current_uses: i64,
}

fn link_form(
    state: &AppState,
    signed: &SignedIn,
    target: &Target,
    editing: Option<&str>,
    values: LinkValues,
    errors: FieldErrors,
) -> LinkFormPage {
    let heading = if editing.is_some() { "Edit link" } else { "New link" };
    LinkFormPage {
        layout: signed.layout(state, format!("{heading} · {}", target.title), "files"),
        heading: heading.into(),
        file_title: target.title.clone(),
        action: match editing {
            Some(link) => format!("{}/links/{link}", target.url),
            None => format!("{}/links", target.url),
        },
        cancel_url: target.url.clone(),
        // Read first: it is the default and the most common.
        accesses: target.accesses.iter().rev().map(|a| a.name()).collect(),
        values,
        errors,
        password_min: state.svc.passwords.min_len,
        password_max: state.svc.passwords.max_len,
        current_uses: 0,
    }
}

/// `GET /files/file/{id}/links/new` (and `/files/folder/{id}/links/new`).
pub async fn new_link_page<const FOLDER: bool>(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> WebResult {
    let target = target::<FOLDER>(&state, &signed, &id).await?;
    let values = LinkValues { access: "Read".into(), ..Default::default() };
    Ok(render(&link_form(&state, &signed, &target, None, values, FieldErrors::default()), StatusCode::OK))
}

/// `GET /files/file/{id}/links/{link}/edit`: the form, prefilled.
pub async fn edit_link_page<const FOLDER: bool>(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((id, link_id)): Path<(String, String)>,
) -> WebResult {
    let target = target::<FOLDER>(&state, &signed, &id).await?;
    let m = managed_link(&state, &target, &link_id).await?;
    let expires = m.link.expires.map(datetime_local).unwrap_or_default();
    let values = LinkValues {
        title: m.link.title.clone(),
        access: m.link.access.name().into(),
        password: m.password.clone().unwrap_or_default(),
        expires_was: expires.clone(),
        expires,
        deny_download: m.link.deny_download,
        internal: m.link.internal,
        max_uses: m.link.max_uses.map(|n| n.to_string()).unwrap_or_default(),
        networks: m.link.allowed_networks.iter().map(|n| n.to_string()).collect::<Vec<_>>().join("\n"),
    };
    let mut page = link_form(&state, &signed, &target, Some(&m.link.id), values, FieldErrors::default());
    page.current_uses = m.link.use_count;
    Ok(render(&page, StatusCode::OK))
}

/// `POST /files/file/{id}/links`: a new link.
pub async fn create_link<const FOLDER: bool>(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    form: WebForm,
) -> WebResult {
    signed.check_csrf(&state, Some(form.get("csrf")))?;
    let target = target::<FOLDER>(&state, &signed, &id).await?;
    save_link(&state, &signed, &target, None, &form).await
}

/// `POST /files/file/{id}/links/{link}`: changes to a link (merged, as the API).
pub async fn update_link<const FOLDER: bool>(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((id, link_id)): Path<(String, String)>,
    form: WebForm,
) -> WebResult {
    signed.check_csrf(&state, Some(form.get("csrf")))?;
    let target = target::<FOLDER>(&state, &signed, &id).await?;
    let m = managed_link(&state, &target, &link_id).await?;
    save_link(&state, &signed, &target, Some(&m.link.id), &form).await
}

async fn save_link(
    state: &AppState,
    signed: &SignedIn,
    target: &Target,
    link_id: Option<&str>,
    form: &WebForm,
) -> WebResult {
    let values = LinkValues {
        title: form.get("title").to_string(),
        access: form.get("access").to_string(),
        password: form.get("password").to_string(),
        expires: form.get("expires").trim().to_string(),
        expires_was: form.get("expires_was").to_string(),
        deny_download: form.checked("deny_download"),
        internal: form.checked("internal"),
        max_uses: form.get("max_uses").trim().to_string(),
        networks: form.get("networks").trim().to_string(),
    };
    let body = request_body(&values, form.get("tz"), link_id);
    let result = match Fields::from_value(Value::Object(body)) {
        Ok(fields) => match LinkRequest::parse(&fields, now_micros()) {
            Ok(req) => state.svc.set_link(&signed.user, target.entry, &req).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(saved) => {
            let anchor = saved.map(|m| format!("#link-{}", m.link.id)).unwrap_or_default();
            Ok(see_other(&format!("{}{anchor}", target.url)))
        }
        Err(Error::BadRequest(message)) | Err(Error::Forbidden(message)) => {
            let status = StatusCode::BAD_REQUEST;
            let errors = errors_for(message);
            Ok(render(&link_form(state, signed, target, link_id, values, errors), status))
        }
        Err(e) => Err(e.into()),
    }
}

/// The form's values as the API's request body, so that `LinkRequest::parse`
/// applies exactly the API's rules. On an edit, an empty title resets it, an
/// empty password removes it, an empty expiry removes it and an unchanged
/// expiry is left alone (it may be in the past).
fn request_body(v: &LinkValues, tz: &str, link_id: Option<&str>) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("access".into(), json!(v.access));
    body.insert("denyDownload".into(), json!(v.deny_download));
    body.insert("internal".into(), json!(v.internal));
    let editing = link_id.is_some();
    if let Some(id) = link_id {
        body.insert("linkId".into(), json!(id));
    }
    match (v.title.trim().is_empty(), editing) {
        (false, _) => {
            body.insert("title".into(), json!(v.title));
        }
        (true, true) => {
            body.insert("title".into(), Value::Null);
        }
        (true, false) => {}
    }
    if !v.password.is_empty() || editing {
        body.insert("password".into(), json!(v.password));
    }
    if v.expires.is_empty() {
        if editing {
            body.insert("expirationDate".into(), Value::Null);
        }
    } else if !(editing && v.expires == v.expires_was) {
        body.insert("expirationDate".into(), json!(utc_expiry(&v.expires, tz)));
    }
    // Empty fields mean no limit and anywhere; sent on edits so that
    // emptying a field clears it. A typed limit goes on as text, for the
    // API's rule to judge.
    if !v.max_uses.is_empty() {
        body.insert("maxUseCount".into(), json!(v.max_uses));
    } else if editing {
        body.insert("maxUseCount".into(), Value::Null);
    }
    let networks: Vec<&str> =
        v.networks.split(|c: char| c == ',' || c.is_whitespace()).filter(|n| !n.is_empty()).collect();
    if !networks.is_empty() || editing {
        body.insert("allowedNetworks".into(), json!(networks));
    }
    body
}

/// A `datetime-local` value in UTC (`tz` is the browser's
/// `getTimezoneOffset()` in minutes, sent by the page script; without it the
/// value is UTC). Anything unparseable goes on as typed, for the API's rule
/// to name.
fn utc_expiry(value: &str, tz: &str) -> String {
    let offset: i64 = tz.trim().parse().ok().filter(|m: &i64| m.abs() <= 24 * 60).unwrap_or(0);
    let parsed =
        PrimitiveDateTime::parse(value, format_description!("[year]-[month]-[day]T[hour]:[minute]")).or_else(|_| {
            PrimitiveDateTime::parse(value, format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"))
        });
    match parsed {
        Ok(t) => {
            let utc = t.assume_utc() + time::Duration::minutes(offset);
            spacelinks_api_types::format_api_date((utc.unix_timestamp_nanos() / 1000) as i64)
        }
        Err(_) => value.to_string(),
    }
}

/// `2030-01-31T18:00` in UTC, for a `datetime-local` field.
fn datetime_local(micros: i64) -> String {
    spacelinks_api_types::format_api_date(micros)[..16].to_string()
}

/// Which field a rule's message is about.
fn errors_for(message: String) -> FieldErrors {
    let m = message.to_ascii_lowercase();
    let mut e = FieldErrors::default();
    if m.contains("maxusecount") {
        e.max_uses = message;
    } else if m.contains("allowednetworks") {
        e.networks = message;
    } else if m.contains("expiration") {
        e.expires = message;
    } else if m.starts_with("password") {
        e.password = message;
    } else if m.contains("title") {
        e.title = message;
    } else if m.contains("role") || m.contains("access") {
        e.access = message;
    } else {
        e.form = message;
    }
    e
}

/// `GET /files/file/{id}/links/{link}/revoke`: are you sure?
pub async fn confirm_revoke<const FOLDER: bool>(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((id, link_id)): Path<(String, String)>,
) -> WebResult {
    let target = target::<FOLDER>(&state, &signed, &id).await?;
    let m = managed_link(&state, &target, &link_id).await?;
    let page = ConfirmPage {
        layout: signed.layout(&state, format!("Revoke {}", m.link.title), "files"),
        heading: format!("Revoke the link “{}”?", m.link.title),
        message: format!(
            "Anyone who has this link can no longer open “{}” with it. This cannot be undone.",
            target.title
        ),
        action: format!("{}/links/{}/revoke", target.url, m.link.id),
        button: "Revoke link".into(),
        cancel_url: target.url.clone(),
    };
    Ok(render(&page, StatusCode::OK))
}

/// `POST /files/file/{id}/links/{link}/revoke`: deletes the link, as
/// `PUT .../links {linkId, access: 0}` does.
pub async fn revoke_link<const FOLDER: bool>(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((id, link_id)): Path<(String, String)>,
    form: WebForm,
) -> WebResult {
    signed.check_csrf(&state, Some(form.get("csrf")))?;
    let target = target::<FOLDER>(&state, &signed, &id).await?;
    let m = managed_link(&state, &target, &link_id).await?;
    let fields = Fields::from_value(json!({ "linkId": m.link.id, "access": 0 }))?;
    let req = LinkRequest::parse(&fields, now_micros())?;
    state.svc.set_link(&signed.user, target.entry, &req).await?;
    Ok(see_other(&target.url))
}

/// `GET /files/file/{id}/links/{link}/qr.svg`: the link's URL as a QR code,
/// drawn by the server. Not cached: it encodes the link's secret.
pub async fn qr_code<const FOLDER: bool>(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((id, link_id)): Path<(String, String)>,
) -> WebResult {
    let target = target::<FOLDER>(&state, &signed, &id).await?;
    let m = managed_link(&state, &target, &link_id).await?;
    let code = qrcode::QrCode::new(share_url(&state, &m).as_bytes()).map_err(Error::internal)?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(180, 180)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    let mut res: Response = svg.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_shifted_by_the_browsers_offset() {
        assert_eq!(utc_expiry("2030-01-31T18:00", ""), "2030-01-31T18:00:00.0000000Z");
        // getTimezoneOffset() is -60 in Central Europe in winter: 18:00 there is 17:00 UTC.
        assert_eq!(utc_expiry("2030-01-31T18:00", "-60"), "2030-01-31T17:00:00.0000000Z");
        assert_eq!(utc_expiry("soon", "0"), "soon");
    }

    #[test]
    fn errors_land_next_to_their_field() {
        assert!(!errors_for("Password must contain from 8 to 30 characters".into()).password.is_empty());
        assert!(!errors_for("expirationDate must be in the future".into()).expires.is_empty());
        assert!(!errors_for("title must be at most 255 characters".into()).title.is_empty());
        assert!(!errors_for("The role is not available for this user type".into()).access.is_empty());
        assert!(!errors_for("The maximum number of links may not exceed 6".into()).form.is_empty());
        assert!(!errors_for("maxUseCount must be an integer of at least 1".into()).max_uses.is_empty());
        assert!(!errors_for("allowedNetworks: \"x\" is not an IP address or CIDR range".into()).networks.is_empty());
    }
}
