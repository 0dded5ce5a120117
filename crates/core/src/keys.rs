//! API keys: the rules behind `POST/GET/DELETE /api/2.0/keys` and the web
//! app's API keys page, written once.

use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::UserType;

use crate::crypto::{new_api_key, token_hash};
use crate::service::Services;
use crate::{ApiKey, Error, Result, User};

const DAY_MICROS: i64 = 86_400_000_000;
pub const MAX_KEY_NAME: usize = 30;

/// A key to create. `permissions` are already checked against the scope
/// table; empty means full access.
pub struct NewApiKey {
    pub name: String,
    pub permissions: Vec<String>,
    pub expires_in_days: Option<i64>,
}

impl Services {
    /// Creates a key and returns it with the full secret, which exists only
    /// in this return value. Guests may not have keys.
    pub async fn create_api_key(&self, user: &User, new: NewApiKey) -> Result<(ApiKey, String)> {
        if user.user_type == UserType::Guest {
            return Err(Error::access_denied());
        }
        if new.name.trim().is_empty() {
            return Err(Error::BadRequest("name is required".into()));
        }
        if new.name.chars().count() > MAX_KEY_NAME {
            return Err(Error::BadRequest(format!("name must be at most {MAX_KEY_NAME} characters")));
        }
        if let Some(d) = new.expires_in_days {
            if !(1..=365).contains(&d) {
                return Err(Error::BadRequest("expiresInDays must be between 1 and 365".into()));
            }
        }
        let full = new_api_key();
        let now = now_micros();
        let key = ApiKey {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user.id.clone(),
            name: new.name,
            key_hash: token_hash(&full),
            postfix: full[full.len() - 4..].to_string(),
            permissions: new.permissions,
            created: now,
            expires: new.expires_in_days.map(|d| now + d * DAY_MICROS),
            last_used: None,
            is_active: true,
        };
        self.store.create_api_key(&key).await?;
        Ok((key, full))
    }

    /// The caller's own keys, newest first.
    pub async fn own_api_keys(&self, user: &User) -> Result<Vec<ApiKey>> {
        self.store.list_api_keys(Some(&user.id)).await
    }

    /// Deletes a key: `Ok(true)` when deleted, `Ok(false)` when it belongs to
    /// someone else and the caller is not an admin (DocSpace's answer), 404
    /// when there is no such key.
    pub async fn delete_api_key(&self, user: &User, id: &str) -> Result<bool> {
        let key = self.store.api_key(id).await?.ok_or_else(|| Error::NotFound("The API key was not found".into()))?;
        if key.user_id != user.id && !user.is_admin() {
            return Ok(false);
        }
        self.store.delete_api_key(id).await
    }
}
