//! A link's activity: the counters, then its events newest first, 50 a page.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::{human_time, machine_time, render, SignedIn, WebResult};
use crate::app::AppState;
use crate::ctx::{parse_id, QueryMap};
use spacelinks_core::{Error, EventKind, Refusal};

const PAGE_SIZE: i64 = 50;

pub struct EventRow {
    pub time: String,
    pub time_at: String,
    pub what: &'static str,
    /// "1.50 MB" for downloads and uploads, empty otherwise.
    pub size: String,
    pub ip: String,
    pub browser: String,
}

#[derive(Template)]
#[template(path = "web/activity.html")]
struct ActivityPage {
    layout: super::Layout,
    file_id: i64,
    file_title: String,
    link_title: String,
    opens: i64,
    downloads: i64,
    last_opened: Option<(String, String)>,
    /// "3 of 5", "3 (no limit)".
    uses: String,
    events: Vec<EventRow>,
    total: i64,
    first: i64,
    last: i64,
    newer_url: String,
    older_url: String,
}

/// What people call each kind of event.
pub fn event_label(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Opened => "Opened",
        EventKind::PasswordAccepted => "Password accepted",
        EventKind::PasswordFailed => "Password failed",
        EventKind::LockedOut => "Locked out",
        EventKind::Downloaded => "Downloaded",
        EventKind::VersionUploaded => "New version uploaded",
        EventKind::Refused(Refusal::Expired) => "Refused: link expired",
        EventKind::Refused(Refusal::UsedUp) => "Refused: download limit reached",
        EventKind::Refused(Refusal::Network) => "Refused: outside the allowed networks",
    }
}

/// `currentUseCount` against `maxUseCount`, as the pages show it.
pub fn uses_label(used: i64, max: Option<i64>) -> String {
    match max {
        Some(m) => format!("{used} of {m}"),
        None => format!("{used} (no limit)"),
    }
}

/// `GET /files/file/{id}/links/{link}/activity?page=N`.
pub async fn activity_page(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((id, link_id)): Path<(String, String)>,
    q: QueryMap,
) -> WebResult {
    let file_id = parse_id(&id, Error::item_not_found)?;
    let page = q.int("page")?.unwrap_or(1).max(1);
    let offset = (page - 1) * PAGE_SIZE;
    let activity = state.svc.link_activity(&signed.user, file_id, &link_id, offset, PAGE_SIZE).await?;
    let here = format!("/files/file/{file_id}/links/{link_id}/activity");
    let shown = activity.events.len() as i64;
    let view = ActivityPage {
        layout: signed.layout(&state, format!("Activity · {}", activity.link.title), "files"),
        file_id,
        file_title: activity.file.title,
        link_title: activity.link.title,
        opens: activity.counts.opens,
        downloads: activity.counts.downloads,
        last_opened: activity.counts.last_opened.map(|t| (human_time(t), machine_time(t))),
        uses: uses_label(activity.link.use_count, activity.link.max_uses),
        events: activity
            .events
            .into_iter()
            .map(|e| EventRow {
                time: human_time(e.at),
                time_at: machine_time(e.at),
                what: event_label(e.kind),
                size: e.bytes.map(crate::dto::human_size).unwrap_or_default(),
                ip: e.ip,
                browser: e.user_agent,
            })
            .collect(),
        total: activity.total,
        first: if shown > 0 { offset + 1 } else { 0 },
        last: offset + shown,
        newer_url: if page > 1 { format!("{here}?page={}", page - 1) } else { String::new() },
        older_url: if offset + shown < activity.total { format!("{here}?page={}", page + 1) } else { String::new() },
    };
    Ok(render(&view, StatusCode::OK))
}
