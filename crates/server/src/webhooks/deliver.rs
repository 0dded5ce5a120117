//! The outbox runner: claims due rows of `webhooks_logs`, sends each one
//! attempt, and records the outcome in the row DocSpace's log API shows.
//! A failed attempt is due again after 1, 2, 4, 8, 16 s (DocSpace's five
//! retries); the row is final after the sixth attempt. Claims are leases,
//! so a row is sent by one node at a time and a dead node's rows come back.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;
use spacelinks_api_types::date::now_micros;
use spacelinks_core::{WebhookAttempt, WebhookConfig, WebhookLog};
use tokio::sync::{oneshot, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

use super::{ssrf, utc_seconds};
use crate::app::AppState;

/// Attempts per delivery: the first and DocSpace's 5 retries.
pub const MAX_ATTEMPTS: i64 = 6;
/// Deliveries in flight per node (DocSpace's `webhooks:threadCount`).
const PARALLEL: usize = 10;
/// One attempt's limit: connect, send, answer.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a claim holds; longer than an attempt can take.
const LEASE: Duration = Duration::from_secs(120);
/// The most of a receiver's answer kept in the log.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// A config failing this long since its last success is disabled (DocSpace's `trustedDaysCount`).
const TRUSTED_MICROS: i64 = 3 * 86_400_000_000;

/// The delay before attempt `n + 1` after `n` failed attempts: 1, 2, 4, 8, 16 s.
pub fn retry_delay(failed: i64) -> Duration {
    Duration::from_secs(1 << (failed - 1).clamp(0, 4))
}

pub struct Runner {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// Starts this node's runner (unless the config turns delivery off).
pub fn start(state: AppState) -> Option<Runner> {
    if !state.config.webhook_delivery {
        return None;
    }
    let (stop, mut stopped) = oneshot::channel();
    let task = tokio::spawn(async move {
        let permits = Arc::new(Semaphore::new(PARALLEL));
        let mut inflight = JoinSet::new();
        let poll = state.config.webhook_poll_interval.max(Duration::from_millis(10));
        loop {
            while inflight.try_join_next().is_some() {}
            if let Err(e) = claim_and_send(&state, &permits, &mut inflight).await {
                tracing::error!(error = %e, "webhook outbox: cannot claim deliveries");
            }
            tokio::select! {
                _ = &mut stopped => break,
                () = state.webhooks.wake.notified() => {}
                () = tokio::time::sleep(poll) => {}
                Some(_) = inflight.join_next(), if !inflight.is_empty() => {}
            }
        }
        // Attempts under way are cut; their rows are due again at once,
        // on this node after a restart or on another one now.
        inflight.shutdown().await;
        if let Err(e) = state.svc.store.release_webhook_claims(&state.webhooks.node).await {
            tracing::warn!(error = %e, "webhook outbox: cannot release claims; they return when their lease ends");
        }
    });
    Some(Runner { stop, task })
}

impl Runner {
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

async fn claim_and_send(
    state: &AppState,
    permits: &Arc<Semaphore>,
    inflight: &mut JoinSet<()>,
) -> spacelinks_core::Result<()> {
    loop {
        let free = permits.available_permits();
        if free == 0 {
            return Ok(());
        }
        let now = now_micros();
        let lease_until = now + LEASE.as_micros() as i64;
        let claimed =
            state.svc.store.claim_webhook_deliveries(now, lease_until, &state.webhooks.node, free as i64).await?;
        if claimed.is_empty() {
            return Ok(());
        }
        for log in claimed {
            let permit = permits.clone().acquire_owned().await.expect("the semaphore is never closed");
            let state = state.clone();
            inflight.spawn(async move {
                if let Err(e) = attempt(&state, log).await {
                    tracing::error!(error = %e, "webhook outbox: cannot record an attempt");
                }
                drop(permit);
            });
        }
    }
}

/// One attempt of one claimed delivery.
pub async fn attempt(state: &AppState, log: WebhookLog) -> spacelinks_core::Result<()> {
    let Some(config) = state.svc.store.webhook_config(log.config_id).await? else {
        return Ok(()); // deleted with its log meanwhile
    };
    let now = now_micros();
    let body = body_for(&log, &config, now);
    let timestamp = now.div_euclid(1_000_000);
    let headers = signed_headers(&config.secret_key, &body, timestamp, &log.event_id);
    let headers_json = headers_log(&headers);
    let failed = log.attempts + 1;
    let next = |ok: bool| (!ok && failed < MAX_ATTEMPTS).then(|| now + retry_delay(failed).as_micros() as i64);
    let stale = now - config.last_success_on.unwrap_or(config.created_on) > TRUSTED_MICROS;
    let mut out = WebhookAttempt {
        now,
        status: 0,
        request_payload: body.clone(),
        request_headers: headers_json,
        response_payload: None,
        response_headers: None,
        delivered: false,
        failure: None,
        next_attempt: None,
        disable_config: false,
    };
    // The URL is checked again at every send: DNS may point elsewhere now.
    match ssrf::check_url(&config.uri, config.ssl, &state.config.webhook_allowed_networks).await {
        Err(msg) => {
            // DocSpace deletes a blacklisted config; we keep it, disabled.
            out.response_payload = Some(msg.clone());
            out.failure = Some(msg);
            out.disable_config = true;
        }
        Ok(target) => {
            match send(&target, config.ssl, &headers, body).await {
                Ok((status, response_headers, text)) => {
                    out.status = status;
                    out.delivered = (200..300).contains(&status);
                    out.response_headers = Some(response_headers);
                    out.response_payload = Some(text);
                    if !out.delivered {
                        out.failure = Some(format!("Response status code does not indicate success: {status}."));
                    }
                }
                Err(e) => {
                    // DocSpace: 0 for a connection failure, 500 for a timeout.
                    out.status = if e.is_timeout() { 500 } else { 0 };
                    let msg = error_text(&e);
                    out.response_payload = Some(msg.clone());
                    out.failure = Some(msg);
                }
            }
            out.next_attempt = next(out.delivered);
            out.disable_config = !out.delivered && out.next_attempt.is_none() && stale;
        }
    }
    if !state.svc.store.finish_webhook_attempt(log.id, &state.webhooks.node, &out).await? {
        tracing::warn!(log = log.id, "webhook outbox: the claim ran out before the attempt was recorded");
    }
    Ok(())
}

fn error_text(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

/// The body of this attempt: the stored one with `event.id` = the log id,
/// and on a retry DocSpace's `webhook.retryCount`, `retryOn` and the
/// config's last failure and success.
pub fn body_for(log: &WebhookLog, config: &WebhookConfig, now: i64) -> String {
    let Ok(Value::Object(mut root)) = serde_json::from_str::<Value>(&log.request_payload) else {
        // Not ours: DocSpace sends a legacy row as a string payload of `*`.
        return json!({"event": {"id": log.id, "createOn": utc_seconds(log.creation_time), "createBy": log.uid,
            "trigger": "*"}, "payload": log.request_payload})
        .to_string();
    };
    let mut event = Map::new();
    event.insert("id".into(), json!(log.id));
    if let Some(Value::Object(old)) = root.get("event") {
        event.extend(old.iter().filter(|(k, _)| *k != "id").map(|(k, v)| (k.clone(), v.clone())));
    }
    root.insert("event".into(), Value::Object(event));
    if let Some(Value::Object(webhook)) = root.get_mut("webhook") {
        for key in ["retryCount", "retryOn", "lastFailureOn", "lastFailureContent", "lastSuccessOn"] {
            webhook.remove(key);
        }
        if log.attempts > 0 {
            webhook.insert("retryCount".into(), json!(log.attempts));
            webhook.insert("retryOn".into(), json!(utc_seconds(now)));
            if let Some(at) = config.last_failure_on {
                webhook.insert("lastFailureOn".into(), json!(utc_seconds(at)));
            }
            if let Some(text) = &config.last_failure_content {
                webhook.insert("lastFailureContent".into(), json!(text));
            }
            if let Some(at) = config.last_success_on {
                webhook.insert("lastSuccessOn".into(), json!(utc_seconds(at)));
            }
        }
    }
    Value::Object(root).to_string()
}

fn hmac_hex(secret: &str, parts: &[&[u8]]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    hex::encode(mac.finalize().into_bytes())
}

/// The headers of a delivery, in order: DocSpace's (its signature is
/// HMAC-SHA256 of the body, 64 UPPERCASE hex digits) and spacelinks'
/// replay protection (`t=<unix>,v1=<hex HMAC of "t.body">`) and event id.
pub fn signed_headers(secret: &str, body: &str, timestamp: i64, event_id: &str) -> Vec<(&'static str, String)> {
    let docspace = hmac_hex(secret, &[body.as_bytes()]).to_uppercase();
    let t = timestamp.to_string();
    let v1 = hmac_hex(secret, &[t.as_bytes(), b".", body.as_bytes()]);
    vec![
        ("Accept", "*/*".into()),
        ("Content-Type", "application/json; charset=utf-8".into()),
        ("x-docspace-signature-256", format!("sha256={docspace}")),
        ("x-spacelinks-timestamp", t.clone()),
        ("x-spacelinks-signature", format!("t={t},v1={v1}")),
        ("x-spacelinks-event-id", event_id.to_string()),
    ]
}

/// DocSpace logs request headers as `{"Name":["value"]}` (no content headers).
fn headers_log(headers: &[(&'static str, String)]) -> String {
    let map: Map<String, Value> =
        headers.iter().filter(|(k, _)| *k != "Content-Type").map(|(k, v)| (k.to_string(), json!([v]))).collect();
    Value::Object(map).to_string()
}

async fn send(
    target: &ssrf::Target,
    ssl: bool,
    headers: &[(&'static str, String)],
    body: String,
) -> reqwest::Result<(i64, String, String)> {
    let client = ssrf::client(target, ssl, ATTEMPT_TIMEOUT)?;
    let mut req = client.post(target.url.clone()).body(body);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let mut res = req.send().await?;
    let status = i64::from(res.status().as_u16());
    let mut map: Map<String, Value> = Map::new();
    for (k, v) in res.headers() {
        let entry = map.entry(k.as_str().to_string()).or_insert_with(|| json!([]));
        if let Value::Array(a) = entry {
            a.push(json!(String::from_utf8_lossy(v.as_bytes())));
        }
    }
    // Only so much of the answer is read and kept.
    let mut text = Vec::new();
    while let Some(chunk) = res.chunk().await? {
        let room = MAX_RESPONSE_BYTES - text.len();
        text.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if text.len() >= MAX_RESPONSE_BYTES {
            break;
        }
    }
    Ok((status, Value::Object(map).to_string(), String::from_utf8_lossy(&text).into_owned()))
}

/// DocSpace's HEAD probe on create, update and enable: the URL must pass the
/// guard and answer HEAD with 2xx within 10 s, no redirects followed. A
/// receiver that cannot be reached is a 400 here, not DocSpace's 500.
pub async fn probe(state: &AppState, uri: &str, ssl: bool) -> Result<(), spacelinks_core::Error> {
    use spacelinks_core::Error;
    let target = ssrf::check_url(uri, ssl, &state.config.webhook_allowed_networks).await.map_err(Error::BadRequest)?;
    let client = ssrf::client(&target, ssl, Duration::from_secs(10)).map_err(Error::internal)?;
    match client.head(target.url.clone()).send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(_) => {
            Err(Error::BadRequest("Webhook URL is not available. HEAD request is not response 200 http status.".into()))
        }
        Err(e) => Err(Error::BadRequest(format!("Webhook URL is not available: {}", error_text(&e)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_follow_docspace() {
        let delays: Vec<u64> = (1..MAX_ATTEMPTS).map(|n| retry_delay(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16]);
    }

    /// The spec's example: body and secret give DocSpace's header.
    #[test]
    fn docspace_signature_matches_the_spec_example() {
        let body = r#"{"event":{"id":1234,"createOn":"2026-07-01T09:20:00Z","createBy":"712d9ec3-5d2b-4b13-824f-71f00191dcca","trigger":"file.downloaded","triggerId":17179869184},"payload":{"id":42,"parentId":11,"securityByUsers":{},"folderIdDisplay":11,"rootId":7,"title":"Report.docx","createBy":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","modifiedBy":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","createOn":"2026-06-30T14:02:11Z","modifiedOn":"2026-06-30T14:05:40Z","rootFolderType":14,"fileEntryType":2},"webhook":{"id":3,"name":"downloads","url":"https://hooks.example.com/docspace","triggers":["file.downloaded","folder.downloaded"]}}"#;
        assert_eq!(body.len(), 608);
        let h = signed_headers("test123!@#%ABC", body, 1_700_000_000, "e");
        assert_eq!(h[2].1, "sha256=1535EF69803DBBDB49FF712EA540B4AB87BD428A8B3992DC1954DC6E5BFA8926");
        let v1 = hmac_hex("test123!@#%ABC", &[format!("1700000000.{body}").as_bytes()]);
        assert_eq!(h[4].1, format!("t=1700000000,v1={v1}"));
    }
}
