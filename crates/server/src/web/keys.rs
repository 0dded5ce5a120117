//! API keys: the list, a new key (shown once, with a copy button) and
//! revoking, through the same service calls as `/api/2.0/keys`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use spacelinks_core::keys::NewApiKey;
use spacelinks_core::{ApiKey, Error};

use super::{human_time, render, see_other, SignedIn, WebForm, WebResult};
use crate::app::AppState;

pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub postfix: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "web/keys.html")]
struct KeysPage {
    layout: super::Layout,
    keys: Vec<KeyRow>,
    /// The key just created: shown this once.
    new_key: String,
    new_key_name: String,
    name: String,
    error: String,
}

fn row(k: &ApiKey) -> KeyRow {
    KeyRow {
        id: k.id.clone(),
        name: k.name.clone(),
        postfix: k.postfix.clone(),
        created: human_time(k.created),
        expires: k.expires.map_or_else(|| "Never".into(), human_time),
        last_used: k.last_used.map_or_else(|| "Never".into(), human_time),
    }
}

async fn page(
    state: &AppState,
    signed: &SignedIn,
    new_key: (String, String),
    name: &str,
    error: &str,
) -> Result<KeysPage, Error> {
    let keys = state.svc.own_api_keys(&signed.user).await?;
    Ok(KeysPage {
        layout: signed.layout(state, "API keys", "keys"),
        keys: keys.iter().map(row).collect(),
        new_key: new_key.0,
        new_key_name: new_key.1,
        name: name.into(),
        error: error.into(),
    })
}

/// `GET /keys`.
pub async fn keys_page(State(state): State<AppState>, signed: SignedIn) -> WebResult {
    Ok(render(&page(&state, &signed, Default::default(), "", "").await?, StatusCode::OK))
}

/// `POST /keys`: a new key with full access, shown in this answer only (a
/// redirect would have to carry it in a URL).
pub async fn create_key(State(state): State<AppState>, signed: SignedIn, form: WebForm) -> WebResult {
    signed.check_csrf(&state, Some(form.get("csrf")))?;
    let name = form.get("name").trim().to_string();
    let new = NewApiKey { name: name.clone(), permissions: Vec::new(), expires_in_days: None };
    match state.svc.create_api_key(&signed.user, new).await {
        Ok((key, full)) => Ok(render(&page(&state, &signed, (full, key.name), "", "").await?, StatusCode::OK)),
        Err(Error::BadRequest(message)) => {
            Ok(render(&page(&state, &signed, Default::default(), &name, &message).await?, StatusCode::BAD_REQUEST))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /keys/{id}/revoke`: only one's own keys, here (404 for any other).
pub async fn revoke_key(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    form: WebForm,
) -> WebResult {
    signed.check_csrf(&state, Some(form.get("csrf")))?;
    let own = state.svc.own_api_keys(&signed.user).await?.into_iter().any(|k| k.id == id);
    if !own {
        return Err(Error::NotFound("The API key was not found".into()).into());
    }
    state.svc.delete_api_key(&signed.user, &id).await?;
    Ok(see_other("/keys"))
}
