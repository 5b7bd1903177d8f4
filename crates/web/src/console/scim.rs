//! Organization › Integrations › SCIM provisioning: what SCIM does and *Enable and configure*
//! while it is off; the Tenant URL and Secret token right after enabling or rotating (the token
//! exists only in that POST's response, never in a page that can be loaded again or in a URL);
//! the status afterwards; rotation with its grace period; disabling behind a confirmation.

use askama::Template;
use axum::{extract::State, response::Response};
use roster_domain::{
    DEFAULT_ROTATION_GRACE, Role, ScimCredentials, ScimOverview, TokenUse, Warning,
};

use super::{
    confirm::Confirm,
    format,
    forms::NoFields,
    page::{self, Chrome, PageError},
    session::{SignedIn, SignedInForm},
};
use crate::AppState;

/// Seats used at or beyond this share get a warning beside the figure.
const SEATS_WARNING_PERCENT: u64 = 90;

#[derive(Template)]
#[template(path = "console/scim_disabled.html")]
struct DisabledPage {
    chrome: Chrome,
    lowest_role: &'static str,
    sso_configured: bool,
}

struct TokenRow {
    created: String,
    last_used: String,
    valid: String,
}

impl From<&TokenUse> for TokenRow {
    fn from(token: &TokenUse) -> Self {
        Self {
            created: format::when(token.created_at),
            last_used: token
                .last_used_at
                .map_or_else(|| "Never".to_owned(), format::when),
            valid: token.expires_at.map_or_else(
                || "Current token".to_owned(),
                |end| format!("Previous token, works until {}", format::when(end)),
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "console/scim.html")]
struct StatusPage {
    chrome: Chrome,
    tenant_url: String,
    enabled_since: String,
    last_request: String,
    requests_24h: u64,
    refusals_24h: u64,
    wrong_tokens_24h: u64,
    tokens: Vec<TokenRow>,
    seats: u32,
    seats_used: u32,
    seats_warning: bool,
    managed_accounts: u64,
    managed_groups: u64,
    warnings: Vec<Warning>,
    sso_configured: bool,
    grace: String,
    grace_ends: String,
}

pub async fn scim_page(
    State(state): State<AppState>,
    SignedIn { admin, chrome, .. }: SignedIn,
) -> Result<Response, PageError> {
    let overview = state
        .roster
        .scim_overview(&admin, &state.public_url)
        .await?;
    // SPEC §6: sign-in is set up before SCIM, so the page says whether it is.
    let sso_configured = state
        .roster
        .console_sso(&admin, &state.public_url)
        .await?
        .is_some();
    let chrome = chrome.in_section("scim");
    if !overview.enabled {
        return Ok(page::render(&DisabledPage {
            lowest_role: Role::lowest_for(chrome.org_kind).as_str(),
            chrome,
            sso_configured,
        }));
    }
    Ok(page::render(&status_page(
        chrome,
        overview,
        state.roster.now(),
        sso_configured,
    )))
}

fn status_page(
    chrome: Chrome,
    o: ScimOverview,
    now: time::OffsetDateTime,
    sso_configured: bool,
) -> StatusPage {
    let used = u64::from(o.seats_used);
    StatusPage {
        chrome,
        enabled_since: o.enabled_since.map(format::when).unwrap_or_default(),
        last_request: o
            .last_request_at
            .map_or_else(|| "None yet".to_owned(), format::when),
        requests_24h: o.requests_24h,
        refusals_24h: o.refusals_24h,
        wrong_tokens_24h: o.wrong_tokens_24h,
        tokens: o.tokens.iter().map(TokenRow::from).collect(),
        seats: o.seats,
        seats_used: o.seats_used,
        seats_warning: used * 100 >= u64::from(o.seats) * SEATS_WARNING_PERCENT,
        managed_accounts: o.scim_managed_accounts,
        managed_groups: o.scim_managed_groups,
        warnings: o.warnings,
        sso_configured,
        tenant_url: o.tenant_url,
        grace: format::duration(DEFAULT_ROTATION_GRACE),
        grace_ends: format::when(now + DEFAULT_ROTATION_GRACE),
    }
}

#[derive(Template)]
#[template(path = "console/scim_credentials.html")]
struct CredentialsPage {
    chrome: Chrome,
    heading: &'static str,
    tenant_url: String,
    token: String,
    /// After a rotation: until when the previous token keeps working.
    previous_valid_until: Option<String>,
}

pub async fn enable(
    State(state): State<AppState>,
    SignedInForm { signed_in, .. }: SignedInForm<NoFields>,
) -> Result<Response, PageError> {
    let ScimCredentials { tenant_url, token } = state
        .roster
        .console_enable_scim(&signed_in.admin, &state.public_url)
        .await?;
    Ok(page::render(&CredentialsPage {
        chrome: signed_in.chrome.in_section("scim"),
        heading: "SCIM provisioning is enabled",
        tenant_url,
        token,
        previous_valid_until: None,
    }))
}

pub async fn rotate(
    State(state): State<AppState>,
    SignedInForm { signed_in, .. }: SignedInForm<NoFields>,
) -> Result<Response, PageError> {
    let ScimCredentials { tenant_url, token } = state
        .roster
        .console_rotate_scim_token(&signed_in.admin, &state.public_url, DEFAULT_ROTATION_GRACE)
        .await?;
    let ends = state.roster.now() + DEFAULT_ROTATION_GRACE;
    Ok(page::render(&CredentialsPage {
        chrome: signed_in.chrome.in_section("scim"),
        heading: "New Secret token",
        tenant_url,
        token,
        previous_valid_until: Some(format::when(ends)),
    }))
}

#[derive(Template)]
#[template(path = "console/scim_disable.html")]
struct ConfirmDisablePage {
    chrome: Chrome,
    confirm: Confirm,
}

pub async fn confirm_disable(SignedIn { chrome, .. }: SignedIn) -> Response {
    page::render(&ConfirmDisablePage {
        chrome: chrome.in_section("scim"),
        confirm: Confirm::new(
            "/console/scim",
            "SCIM provisioning",
            "/console/scim/disable".to_owned(),
        ),
    })
}

pub async fn disable(
    State(state): State<AppState>,
    SignedInForm { signed_in, .. }: SignedInForm<NoFields>,
) -> Result<Response, PageError> {
    state.roster.console_disable_scim(&signed_in.admin).await?;
    Ok(page::see_other("/console/scim"))
}
