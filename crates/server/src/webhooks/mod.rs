//! DocSpace-compatible webhooks. An event becomes one row per matching
//! subscription in `webhooks_logs` before the request that caused it
//! returns (`fire`); the outbox runner (`deliver`) sends it, signed, with
//! DocSpace's retries, from whichever node claims it first.
//!
//! Code that has something to report calls [`fire`] with an [`Event`];
//! the payload builders below give DocSpace's shapes.

pub mod deliver;
pub mod ssrf;
pub mod triggers;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use spacelinks_api_types::date::{format_plain_date, now_micros};
use spacelinks_core::{EventKind, File, Folder, Link, NewWebhookLog, WebhookConfig};
use tokio::sync::Notify;

pub use triggers::Trigger;

use crate::app::AppState;
use crate::ctx::Ctx;

/// DocSpace's Guest system id: the actor of anonymous link visits.
pub const GUEST_ID: &str = "712d9ec3-5d2b-4b13-824f-71f00191dcca";

/// How long a node reuses the list of enabled webhooks: events on the hot
/// path (opens, downloads) then cost no query. Changes made on this node
/// apply at once; changes made on another node within this time.
const CONFIGS_TTL: Duration = Duration::from_secs(1);

/// What the webhook machinery of one node shares.
pub struct Hub {
    /// Wakes this node's runner when an event was queued here.
    pub wake: Notify,
    /// Names this node's claims on deliveries.
    pub node: String,
    configs: Mutex<Option<(Instant, Arc<Vec<WebhookConfig>>)>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub { wake: Notify::new(), node: uuid::Uuid::new_v4().to_string(), configs: Mutex::new(None) }
    }
}

impl Hub {
    /// Drops the cached list: a webhook was created, changed or deleted.
    pub fn forget_configs(&self) {
        *self.configs.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    async fn enabled_configs(&self, state: &AppState) -> spacelinks_core::Result<Arc<Vec<WebhookConfig>>> {
        if let Some((at, list)) = &*self.configs.lock().unwrap_or_else(|e| e.into_inner()) {
            if at.elapsed() < CONFIGS_TTL {
                return Ok(list.clone());
            }
        }
        let list = Arc::new(state.svc.store.enabled_webhook_configs().await?);
        *self.configs.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), list.clone()));
        Ok(list)
    }

    /// Whether any enabled config may want `trigger`. The hot paths (a
    /// visit, a download) ask first: building an event's payload cost more
    /// than the rest of a link's resolve, for nobody when no webhook
    /// listens. A failure to read the configs answers yes (`fire` logs it).
    pub async fn subscribed(&self, state: &AppState, trigger: Trigger) -> bool {
        match self.enabled_configs(state).await {
            Ok(list) => list.iter().any(|c| c.triggers == 0 || c.triggers & trigger.bit() != 0),
            Err(_) => true,
        }
    }
}

/// Something that happened, for the webhooks subscribed to its trigger.
#[derive(Debug, Clone)]
pub struct Event {
    pub trigger: Trigger,
    /// The acting user's id; [`GUEST_ID`] for anonymous visitors.
    pub actor: String,
    /// The entity's id as a config's `targetId` must equal it (DocSpace
    /// compares the strings: no hierarchy).
    pub target_id: String,
    /// Who may see the entity (a file's owner). A config created by anyone
    /// else gets the event only when that person is the actor, as DocSpace
    /// checks that the config's creator can read the entity.
    pub visible_to: String,
    /// DocSpace's `payload`: the entity.
    pub payload: Value,
}

/// Queues `event` for every enabled config subscribed to it: one row each
/// in the outbox, written before this returns, then wakes the runner. A
/// database failure is logged, never passed on: the action that happened
/// stands.
pub async fn fire(state: &AppState, event: Event) {
    if let Err(e) = queue(state, &event).await {
        tracing::error!(error = %e, trigger = event.trigger.name(), "cannot queue a webhook event");
    }
}

async fn queue(state: &AppState, event: &Event) -> spacelinks_core::Result<()> {
    let configs = state.webhooks.enabled_configs(state).await?;
    let now = now_micros();
    let event_id = uuid::Uuid::new_v4().to_string();
    let logs: Vec<NewWebhookLog> = configs
        .iter()
        .filter(|c| matches(c, event))
        .map(|c| NewWebhookLog {
            config_id: c.id,
            trigger: event.trigger.bit(),
            now,
            uid: event.actor.clone(),
            event_id: event_id.clone(),
            request_payload: envelope(c, event, now).to_string(),
        })
        .collect();
    if logs.is_empty() {
        return Ok(());
    }
    state.svc.store.insert_webhook_logs(&logs).await?;
    state.webhooks.wake.notify_one();
    Ok(())
}

fn matches(c: &WebhookConfig, e: &Event) -> bool {
    (c.triggers == 0 || c.triggers & e.trigger.bit() != 0)
        && c.target_id.as_deref().is_none_or(|t| t == e.target_id)
        && (c.created_by == e.actor || c.created_by == e.visible_to)
}

/// DocSpace's body without `event.id` (the log id, added at send):
/// `{"event":{…},"payload":…,"webhook":{…}}`, the webhook as it is now.
fn envelope(c: &WebhookConfig, e: &Event, now: i64) -> Value {
    let mut webhook = json!({
        "id": c.id,
        "name": c.name,
        "url": c.uri,
        "triggers": triggers::subscribed_names(c.triggers),
    });
    if let Some(t) = &c.target_id {
        // A number for our (numeric) file and folder ids, as DocSpace.
        let id = t.parse::<i64>().map_or_else(|_| json!(t), |n| json!(n));
        webhook["target"] = json!({ "id": id, "type": e.trigger.name().split('.').next().unwrap_or("") });
    }
    let mut event = Map::new();
    event.insert("createOn".into(), json!(utc_seconds(now)));
    event.insert("createBy".into(), json!(e.actor));
    event.insert("trigger".into(), json!(e.trigger.name()));
    if e.trigger.bit() != 0 {
        event.insert("triggerId".into(), json!(e.trigger.bit()));
    }
    json!({ "event": event, "payload": e.payload, "webhook": webhook })
}

/// UTC, whole seconds, `Z`: how DocSpace writes webhook dates.
pub fn utc_seconds(micros: i64) -> String {
    format_plain_date(micros.div_euclid(1_000_000) * 1_000_000)
}

/// DocSpace's `FileEntry` of a file, as its webhooks serialise it (the
/// internal object, not the REST DTO: no version, no size).
pub fn file_entry(f: &File) -> Value {
    json!({
        "id": f.id,
        "parentId": f.folder_id,
        "securityByUsers": {},
        "folderIdDisplay": f.folder_id,
        "rootId": f.owner.my_folder_id,
        "title": f.title,
        "createBy": f.owner.id,
        "modifiedBy": f.owner.id,
        "createOn": utc_seconds(f.created),
        "modifiedOn": utc_seconds(f.updated),
        "rootFolderType": 5,
        "fileEntryType": 2,
    })
}

/// DocSpace's `FileEntry` of a folder.
pub fn folder_entry(d: &Folder) -> Value {
    let mut v = json!({
        "id": d.id,
        "parentId": d.parent_id,
        "securityByUsers": {},
        "folderIdDisplay": d.parent_id,
        "rootId": d.owner.my_folder_id,
        "title": d.title,
        "createBy": d.owner.id,
        "modifiedBy": d.owner.id,
        "createOn": utc_seconds(d.created),
        "modifiedOn": utc_seconds(d.updated),
        "rootFolderType": 5,
        "fileEntryType": 1,
    });
    if d.parent_id.is_none() {
        // DocSpace omits default values: a root folder has no parent.
        let o = v.as_object_mut().expect("an object");
        o.remove("parentId");
        o.remove("folderIdDisplay");
    }
    v
}

/// The acting user of a request: the signed-in person, else the Guest id.
pub fn actor(ctx: &Ctx) -> String {
    ctx.caller.user.as_ref().map_or_else(|| GUEST_ID.to_string(), |u| u.id.clone())
}

/// A file event (created, uploaded, updated, deleted, downloaded) by the
/// caller of `ctx`.
pub async fn file_event(state: &AppState, ctx: &Ctx, trigger: Trigger, file: &File) {
    if !state.webhooks.subscribed(state, trigger).await {
        return;
    }
    let event = Event {
        trigger,
        actor: actor(ctx),
        target_id: file.id.to_string(),
        visible_to: file.owner.id.clone(),
        payload: file_entry(file),
    };
    fire(state, event).await;
}

/// A folder event (created, deleted) by the caller of `ctx`.
pub async fn folder_event(state: &AppState, ctx: &Ctx, trigger: Trigger, folder: &Folder) {
    let event = Event {
        trigger,
        actor: actor(ctx),
        target_id: folder.id.to_string(),
        visible_to: folder.owner.id.clone(),
        payload: folder_entry(folder),
    };
    fire(state, event).await;
}

/// The payload of the `link.*` triggers: the file (as DocSpace's
/// `FileEntry`), the link and the client.
pub fn link_payload(ctx: &Ctx, link: &Link, file: &File) -> Value {
    json!({
        "file": file_entry(file),
        "link": { "id": link.id, "title": link.title },
        "client": { "ip": ctx.ip.to_string(), "userAgent": ctx.user_agent },
    })
}

/// The webhook of an access-log event kind (`crate::access::log_visit`),
/// if it has one: opened, password failed, locked out.
pub async fn link_kind(state: &AppState, ctx: &Ctx, kind: EventKind, link: &Link, file: &File) {
    let trigger = match kind {
        EventKind::Opened => Trigger::LinkOpened,
        EventKind::PasswordFailed => Trigger::LinkPasswordFailed,
        EventKind::LockedOut => Trigger::LinkLockedOut,
        _ => return,
    };
    link_event(state, ctx, trigger, link, file).await;
}

/// A `link.*` event by the visitor of `ctx`; the entity is the file.
pub async fn link_event(state: &AppState, ctx: &Ctx, trigger: Trigger, link: &Link, file: &File) {
    if !state.webhooks.subscribed(state, trigger).await {
        return;
    }
    let event = Event {
        trigger,
        actor: actor(ctx),
        target_id: file.id.to_string(),
        visible_to: file.owner.id.clone(),
        payload: link_payload(ctx, link, file),
    };
    fire(state, event).await;
}

/// Fires `link.usedUp`. Call it once per link, from the request whose use
/// made the link's use count reach its `maxUseCount` (the download that
/// used the last allowed use), after that use was counted; `ctx` is that
/// request's, so the payload names its client.
pub async fn link_used_up(state: &AppState, ctx: &Ctx, link: &Link, file: &File) {
    link_event(state, ctx, Trigger::LinkUsedUp, link, file).await;
}
