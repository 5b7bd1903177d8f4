//! Organization › Integrations › API keys: the keys the platform's other services read this
//! organization's change feed and read API with. Listed with when each was created and last
//! used; a new key appears once, in the answer to *Create* (never in a page that can be loaded
//! again, nor in a URL); revoking asks for confirmation first.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use roster_domain::{ApiKeyRecord, Conflict, Error};
use serde::Deserialize;

use super::{
    confirm::Confirm,
    format,
    forms::NoFields,
    page::{self, Chrome, PageError},
    session::{SignedIn, SignedInForm},
};
use crate::AppState;

const SECTION: &str = "api-keys";

struct KeyRow {
    id: String,
    name: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

impl From<&ApiKeyRecord> for KeyRow {
    fn from(k: &ApiKeyRecord) -> Self {
        Self {
            id: k.id.hyphenated().to_string(),
            name: k.name.clone(),
            created: format::when(k.created_at),
            last_used: k
                .last_used_at
                .map_or_else(|| "Never".to_owned(), format::when),
            revoked: k.revoked_at.map(format::when),
        }
    }
}

#[derive(Template)]
#[template(path = "console/api_keys.html")]
struct ListPage {
    chrome: Chrome,
    keys: Vec<KeyRow>,
    api_url: String,
    /// Why the key asked for was not created, and the name typed.
    error: Option<String>,
    name: String,
}

async fn list_page(state: &AppState, signed_in: &SignedIn) -> Result<ListPage, PageError> {
    let keys = state.roster.console_api_keys(&signed_in.admin).await?;
    Ok(ListPage {
        chrome: signed_in.chrome.clone().in_section(SECTION),
        keys: keys.iter().map(KeyRow::from).collect(),
        api_url: format!("{}/api/v1", state.public_url.trim_end_matches('/')),
        error: None,
        name: String::new(),
    })
}

pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    Ok(page::render(&list_page(&state, &signed_in).await?))
}

#[derive(Deserialize)]
pub struct CreateForm {
    name: String,
}

#[derive(Template)]
#[template(path = "console/api_key_created.html")]
struct CreatedPage {
    chrome: Chrome,
    name: String,
    key: String,
}

pub async fn create(
    State(state): State<AppState>,
    SignedInForm { signed_in, form }: SignedInForm<CreateForm>,
) -> Result<Response, PageError> {
    let created = match state
        .roster
        .console_create_api_key(&signed_in.admin, &form.name)
        .await
    {
        Ok(created) => created,
        // The organization has all the keys it may have.
        Err(Error::Conflict(Conflict::State(why))) => {
            return refused(&state, &signed_in, form, &why).await;
        }
        Err(other) => return Err(other.into()),
    };
    Ok(page::render(&CreatedPage {
        chrome: signed_in.chrome.in_section(SECTION),
        name: created.name.clone(),
        key: created.key.clone(),
    }))
}

/// The list again with why the key was not created beside the form, and the name kept.
async fn refused(
    state: &AppState,
    signed_in: &SignedIn,
    form: CreateForm,
    why: &str,
) -> Result<Response, PageError> {
    let mut shown = list_page(state, signed_in).await?;
    shown.name = form.name;
    shown.error = Some(page::sentence(why));
    Ok(page::render_with(StatusCode::CONFLICT, &shown))
}

#[derive(Template)]
#[template(path = "console/api_key_revoke.html")]
struct ConfirmRevokePage {
    chrome: Chrome,
    confirm: Confirm,
    key: KeyRow,
}

pub async fn confirm_revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedIn { admin, chrome, .. }: SignedIn,
) -> Result<Response, PageError> {
    let key = state.roster.console_api_key(&admin, &id).await?;
    let key = KeyRow::from(&key);
    Ok(page::render(&ConfirmRevokePage {
        chrome: chrome.in_section(SECTION),
        confirm: Confirm::new(
            "/console/api-keys",
            "API keys",
            format!("/console/api-keys/{}/revoke", key.id),
        ),
        key,
    }))
}

pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedInForm { signed_in, .. }: SignedInForm<NoFields>,
) -> Result<Response, PageError> {
    state
        .roster
        .console_revoke_api_key(&signed_in.admin, &id)
        .await?;
    Ok(page::see_other("/console/api-keys"))
}
