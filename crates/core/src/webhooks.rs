//! Webhook records as the store keeps them: DocSpace's `webhooks_config`
//! and `webhooks_logs`, the latter doubling as the delivery outbox.

/// A subscription (`webhooks_config`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    pub id: i64,
    pub name: String,
    pub uri: String,
    /// Kept in plain text, as DocSpace does: it is the HMAC key.
    pub secret_key: String,
    pub enabled: bool,
    pub ssl: bool,
    /// Bitmask of trigger values; 0 means every trigger.
    pub triggers: i64,
    pub target_id: Option<String>,
    pub created_by: String,
    pub modified_by: String,
    pub created_on: i64,
    pub modified_on: i64,
    pub last_failure_on: Option<i64>,
    pub last_failure_content: Option<String>,
    pub last_success_on: Option<i64>,
}

/// A delivery to queue: one log row per matching config.
#[derive(Debug, Clone)]
pub struct NewWebhookLog {
    pub config_id: i64,
    pub trigger: i64,
    pub now: i64,
    /// The acting user's id (the Guest id for link visitors).
    pub uid: String,
    /// Stable across the attempts and API retries of one event.
    pub event_id: String,
    /// The JSON body without `event.id` (the log id, set at send).
    pub request_payload: String,
}

/// A row of `webhooks_logs`.
#[derive(Debug, Clone)]
pub struct WebhookLog {
    pub id: i64,
    pub config_id: i64,
    pub config_name: Option<String>,
    pub trigger: i64,
    pub creation_time: i64,
    pub uid: String,
    pub event_id: String,
    pub request_payload: String,
    pub request_headers: Option<String>,
    pub response_payload: Option<String>,
    pub response_headers: Option<String>,
    /// HTTP status of the last attempt; 0 before any answer.
    pub status: i64,
    /// Set only on success.
    pub delivery: Option<i64>,
    /// Attempts made so far.
    pub attempts: i64,
    /// When the next attempt is due; `None` once delivered or given up.
    pub next_attempt: Option<i64>,
}

/// `GET settings/webhooks/log` filters (DocSpace's `WebhookLogsRequestDto`).
#[derive(Debug, Clone, Default)]
pub struct WebhookLogQuery {
    pub delivery_from: Option<i64>,
    pub delivery_to: Option<i64>,
    pub hook_uri: Option<String>,
    pub config_id: Option<i64>,
    pub event_id: Option<i64>,
    /// `WebhookGroupStatus` flags: 1 not sent, 2 2xx, 4 3xx, 8 4xx, 16 5xx; 0 = all.
    pub group_status: i64,
    /// Only logs of configs created by this user.
    pub created_by: Option<String>,
    /// One trigger value; 0 = all.
    pub trigger: i64,
    pub offset: i64,
    pub limit: i64,
}

/// What one delivery attempt came to.
#[derive(Debug, Clone)]
pub struct WebhookAttempt {
    pub now: i64,
    pub status: i64,
    /// The exact body sent.
    pub request_payload: String,
    pub request_headers: String,
    pub response_payload: Option<String>,
    pub response_headers: Option<String>,
    pub delivered: bool,
    /// What went wrong, for the config's `lastFailureContent`.
    pub failure: Option<String>,
    /// When to try again; `None` = final.
    pub next_attempt: Option<i64>,
    /// Disable the config (it failed for too long, or its URL is now refused).
    pub disable_config: bool,
}
