//! Organization › Integrations › Webhooks: the organization's endpoints, adding one (its
//! secret shown once), pausing, resuming, removing behind a confirmation, each endpoint's
//! delivery log and resending a delivery with its original `webhook-id`. Every action is the
//! CLI's domain call, scoped to and audited as the administrator.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use roster_domain::{
    Conflict, DELIVERY_LOG_MAX, Error, WebhookDelivery, WebhookRecord, WebhookState,
};
use serde::Deserialize;

use super::{
    confirm::Confirm,
    format,
    forms::NoFields,
    page::{self, Chrome, Done, PageError},
    session::{SignedIn, SignedInForm},
};
use crate::AppState;

/// An endpoint as the pages show it.
struct Row {
    id: String,
    url: String,
    description: String,
    /// The state in a word, and the badge class that colours it.
    state: &'static str,
    badge: &'static str,
    failing: Option<String>,
    created: String,
}

impl From<&WebhookRecord> for Row {
    fn from(hook: &WebhookRecord) -> Self {
        let attempts = match hook.attempts {
            1 => "1 failed attempt".to_owned(),
            n => format!("{n} failed attempts"),
        };
        // The words follow the badge ("Failing", "Paused"), so they do not repeat it; a paused
        // endpoint is tried no more, so it has no next attempt.
        let (state, badge, failing) = match (hook.state, hook.failing_since) {
            (WebhookState::Paused, None) => ("Paused", "manual", None),
            (WebhookState::Paused, Some(since)) => (
                "Paused",
                "manual",
                Some(format!(
                    "after failing since {} ({attempts})",
                    format::when(since)
                )),
            ),
            (WebhookState::Active, Some(since)) => {
                let next = hook
                    .next_attempt_at
                    .map(|at| format!("; next attempt {}", format::when(at)))
                    .unwrap_or_default();
                (
                    "Failing",
                    "off",
                    Some(format!("since {} ({attempts}){next}", format::when(since))),
                )
            }
            (WebhookState::Active, None) => ("Active", "on", None),
        };
        Self {
            id: hook.id.to_string(),
            url: hook.url.clone(),
            description: hook.description.clone(),
            state,
            badge,
            failing,
            created: format::when(hook.created_at),
        }
    }
}

struct DeliveryRow {
    id: String,
    message_id: String,
    at: String,
    events: u32,
    /// What the receiver answered (`HTTP 200`, or why there was no answer).
    outcome: String,
    ok: bool,
    duration_ms: u32,
    attempt: u32,
    resend: bool,
}

impl From<&WebhookDelivery> for DeliveryRow {
    fn from(d: &WebhookDelivery) -> Self {
        let outcome = match (d.status, &d.error) {
            (Some(status), _) => format!("HTTP {status}"),
            (None, Some(error)) => error.clone(),
            (None, None) => "no answer".to_owned(),
        };
        Self {
            id: d.id.to_string(),
            message_id: d.message_id.clone(),
            at: format::when(d.attempted_at),
            events: d.events,
            outcome,
            ok: d.succeeded(),
            duration_ms: d.duration_ms,
            attempt: d.attempt,
            resend: d.resend,
        }
    }
}

#[derive(Template)]
#[template(path = "console/webhooks.html")]
struct WebhooksPage {
    chrome: Chrome,
    hooks: Vec<Row>,
    /// The endpoint just added and its secret, shown this once.
    added: Option<(Row, String)>,
    url: String,
    description: String,
    /// What is wrong with the URL typed: said beside the field, which is marked.
    error: Option<String>,
    /// Why no endpoint can be added now (the organization has all it may have): said at the
    /// top of the form, no field marked.
    refusal: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    description: String,
}

async fn list_page(state: &AppState, signed_in: &SignedIn) -> Result<WebhooksPage, PageError> {
    let hooks = state.roster.console_webhooks(&signed_in.admin).await?;
    Ok(WebhooksPage {
        chrome: signed_in.chrome.clone().in_section("webhooks"),
        hooks: hooks.iter().map(Row::from).collect(),
        added: None,
        url: String::new(),
        description: String::new(),
        error: None,
        refusal: None,
    })
}

pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    Ok(page::render(&list_page(&state, &signed_in).await?))
}

pub async fn add(
    State(state): State<AppState>,
    SignedInForm { signed_in, form }: SignedInForm<AddForm>,
) -> Result<Response, PageError> {
    let added = state
        .roster
        .console_add_webhook(&signed_in.admin, &form.url, Some(&form.description))
        .await;
    match added {
        Ok(new) => {
            let mut shown = list_page(&state, &signed_in).await?;
            shown.added = Some((Row::from(&new.webhook), new.secret));
            Ok(page::render(&shown))
        }
        Err(Error::Invalid(why)) => {
            let mut shown = refused(&state, &signed_in, form).await?;
            shown.error = Some(page::sentence(&why));
            Ok(page::render_with(StatusCode::BAD_REQUEST, &shown))
        }
        // The organization has all the endpoints it may have.
        Err(Error::Conflict(Conflict::State(why))) => {
            let mut shown = refused(&state, &signed_in, form).await?;
            shown.refusal = Some(page::sentence(&why));
            Ok(page::render_with(StatusCode::CONFLICT, &shown))
        }
        Err(other) => Err(other.into()),
    }
}

/// The page again after a refused add, with what was typed kept.
async fn refused(
    state: &AppState,
    signed_in: &SignedIn,
    form: AddForm,
) -> Result<WebhooksPage, PageError> {
    let mut shown = list_page(state, signed_in).await?;
    shown.url = form.url;
    shown.description = form.description;
    Ok(shown)
}

#[derive(Template)]
#[template(path = "console/webhook.html")]
struct WebhookPage {
    chrome: Chrome,
    hook: Row,
    paused: bool,
    deliveries: Vec<DeliveryRow>,
}

pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let admin = &signed_in.admin;
    let hook = state.roster.console_webhook(admin, &id).await?;
    let deliveries = state
        .roster
        .console_webhook_deliveries(admin, &id, DELIVERY_LOG_MAX)
        .await?;
    Ok(page::render(&WebhookPage {
        chrome: signed_in.chrome.in_section("webhooks"),
        paused: hook.state == WebhookState::Paused,
        hook: Row::from(&hook),
        deliveries: deliveries.iter().map(DeliveryRow::from).collect(),
    }))
}

pub async fn pause(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedInForm { signed_in, .. }: SignedInForm<NoFields>,
) -> Result<Response, PageError> {
    set_state(&state, &signed_in, &id, WebhookState::Paused).await
}

pub async fn resume(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedInForm { signed_in, .. }: SignedInForm<NoFields>,
) -> Result<Response, PageError> {
    set_state(&state, &signed_in, &id, WebhookState::Active).await
}

async fn set_state(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    to: WebhookState,
) -> Result<Response, PageError> {
    let hook = state
        .roster
        .console_set_webhook_state(&signed_in.admin, id, to)
        .await?;
    Ok(page::see_other(&format!("/console/webhooks/{}", hook.id)))
}

#[derive(Template)]
#[template(path = "console/webhook_remove.html")]
struct ConfirmRemovePage {
    chrome: Chrome,
    confirm: Confirm,
    hook: Row,
}

pub async fn confirm_remove(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let hook = Row::from(&state.roster.console_webhook(&signed_in.admin, &id).await?);
    let endpoint = format!("/console/webhooks/{}", hook.id);
    Ok(page::render(&ConfirmRemovePage {
        chrome: signed_in.chrome.in_section("webhooks"),
        confirm: Confirm::new(
            "/console/webhooks",
            "Webhooks",
            format!("{endpoint}/remove"),
        )
        .keep_at(endpoint),
        hook,
    }))
}

pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedInForm { signed_in, .. }: SignedInForm<NoFields>,
) -> Result<Response, PageError> {
    // Read first: the page after says which endpoint is gone, and the removal forgets it.
    let hook = state.roster.console_webhook(&signed_in.admin, &id).await?;
    state
        .roster
        .console_remove_webhook(&signed_in.admin, &id)
        .await?;
    Ok(page::render(&Done {
        chrome: signed_in.chrome.in_section("webhooks"),
        heading: "Endpoint removed".to_owned(),
        message: format!(
            "Roster no longer sends changes to {} and has forgotten its signing secret and delivery log.",
            hook.url
        ),
        note: None,
        back: "/console/webhooks".to_owned(),
        back_label: "Back to Webhooks".to_owned(),
    }))
}

pub async fn resend(
    State(state): State<AppState>,
    Path((id, delivery)): Path<(String, String)>,
    SignedInForm { signed_in, .. }: SignedInForm<NoFields>,
) -> Result<Response, PageError> {
    let hook = state.roster.console_webhook(&signed_in.admin, &id).await?;
    state
        .roster
        .console_resend_webhook_delivery(&signed_in.admin, &delivery, &*state.webhooks)
        .await?;
    Ok(page::see_other(&format!("/console/webhooks/{}", hook.id)))
}
