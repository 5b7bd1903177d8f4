//! Organization › Integrations › Microsoft SSO: the configuration (the client secret only as
//! "set"), the form to configure or replace it with each refused field marked, the redirect URI
//! and the sign-in links to copy, the Entra checklist, and disabling behind a confirmation.
//! Configure and disable are the CLI's domain calls, audited as the administrator.

use askama::Template;
use axum::{extract::State, http::StatusCode, response::Response};
use roster_domain::{
    Admin, ClientSecret, SsoField, SsoProvider, SsoSettings, SsoView, check_sso_settings,
    redirect_uri, sign_in_url,
};
use serde::Deserialize;

use super::{
    confirm::Confirm,
    format,
    forms::NoFields,
    page::{self, Chrome, PageError},
    session::{SignedIn, SignedInForm},
};
use crate::AppState;

/// What the page shows of a stored configuration.
struct Configured {
    provider: &'static str,
    tenant_id: Option<String>,
    issuer: String,
    client_id: String,
    updated: String,
}

impl From<SsoView> for Configured {
    fn from(view: SsoView) -> Self {
        Self {
            provider: provider_name(view.provider),
            tenant_id: view.tenant_id,
            issuer: view.issuer,
            client_id: view.client_id,
            updated: format::when(view.updated_at),
        }
    }
}

pub fn provider_name(provider: SsoProvider) -> &'static str {
    match provider {
        SsoProvider::Microsoft => "Microsoft Entra ID",
        SsoProvider::Oidc => "Another OpenID Connect provider",
    }
}

/// The form's fields as typed (the secret is never sent back to the browser).
#[derive(Debug, Default, Deserialize)]
pub struct SsoForm {
    #[serde(default)]
    provider: String,
    #[serde(default)]
    tenant_id: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
}

impl SsoForm {
    fn oidc(&self) -> bool {
        self.provider == SsoProvider::Oidc.as_str()
    }

    fn settings(&self) -> SsoSettings {
        let client_secret = ClientSecret::new(self.client_secret.clone());
        let client_id = self.client_id.clone();
        if self.oidc() {
            SsoSettings::Oidc {
                issuer: self.issuer.clone(),
                client_id,
                client_secret,
            }
        } else {
            SsoSettings::Microsoft {
                tenant_id: self.tenant_id.clone(),
                client_id,
                client_secret,
            }
        }
    }
}

/// Each field's refusal, as a sentence beside it.
#[derive(Default)]
struct FieldErrors {
    tenant_id: Option<String>,
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    /// A refusal that is no one field's (the server has no secret key, ...).
    form: Option<String>,
}

impl FieldErrors {
    fn any(&self) -> bool {
        self.tenant_id.is_some()
            || self.issuer.is_some()
            || self.client_id.is_some()
            || self.client_secret.is_some()
            || self.form.is_some()
    }
}

#[derive(Template)]
#[template(path = "console/sso.html")]
struct SsoPage {
    chrome: Chrome,
    configured: Option<Configured>,
    redirect_uri: String,
    sign_in_url: String,
    console_sign_in_url: String,
    signed_out_url: String,
    /// `microsoft` or `oidc`: the choice the form shows.
    provider: &'static str,
    tenant_id: String,
    issuer: String,
    client_id: String,
    errors: FieldErrors,
    saved: bool,
}

impl SsoPage {
    fn new(state: &AppState, chrome: Chrome, admin: &Admin, configured: Option<SsoView>) -> Self {
        let org = admin.org_id();
        let base = state.public_url.trim_end_matches('/');
        let (provider, tenant_id, issuer, client_id) = match &configured {
            Some(view) => (
                view.provider.as_str(),
                view.tenant_id.clone().unwrap_or_default(),
                match view.provider {
                    SsoProvider::Oidc => view.issuer.clone(),
                    SsoProvider::Microsoft => String::new(),
                },
                view.client_id.clone(),
            ),
            None => (
                SsoProvider::Microsoft.as_str(),
                String::new(),
                String::new(),
                String::new(),
            ),
        };
        Self {
            chrome: chrome.in_section("sso"),
            configured: configured.map(Configured::from),
            redirect_uri: redirect_uri(base),
            sign_in_url: sign_in_url(base, org),
            console_sign_in_url: format!("{base}/console/sign-in?org={org}"),
            signed_out_url: format!("{base}/sso/signed-out"),
            provider,
            tenant_id,
            issuer,
            client_id,
            errors: FieldErrors::default(),
            saved: false,
        }
    }
}

pub async fn sso_page(
    State(state): State<AppState>,
    SignedIn { admin, chrome, .. }: SignedIn,
) -> Result<Response, PageError> {
    let view = state.roster.console_sso(&admin, &state.public_url).await?;
    Ok(page::render(&SsoPage::new(&state, chrome, &admin, view)))
}

pub async fn configure(
    State(state): State<AppState>,
    SignedInForm { signed_in, form }: SignedInForm<SsoForm>,
) -> Result<Response, PageError> {
    let admin = &signed_in.admin;
    let settings = form.settings();
    let mut errors = FieldErrors::default();
    for refused in check_sso_settings(&settings) {
        let message = Some(page::sentence(&refused.message));
        match refused.field {
            SsoField::TenantId => errors.tenant_id = message,
            SsoField::Issuer => errors.issuer = message,
            SsoField::ClientId => errors.client_id = message,
            SsoField::ClientSecret => errors.client_secret = message,
        }
    }
    let result = if errors.any() {
        None
    } else {
        match state
            .roster
            .console_configure_sso(admin, settings, &state.public_url)
            .await
        {
            Ok(view) => Some(view),
            Err(roster_domain::Error::Invalid(why)) => {
                errors.form = Some(page::sentence(&why));
                None
            }
            Err(other) => return Err(other.into()),
        }
    };
    match result {
        Some(view) => {
            let mut shown = SsoPage::new(&state, signed_in.chrome, admin, Some(view));
            shown.saved = true;
            Ok(page::render(&shown))
        }
        None => {
            // The page again with what was typed (never the secret) and why it was refused.
            let current = state.roster.console_sso(admin, &state.public_url).await?;
            let mut shown = SsoPage::new(&state, signed_in.chrome, admin, current);
            shown.provider = if form.oidc() {
                SsoProvider::Oidc.as_str()
            } else {
                SsoProvider::Microsoft.as_str()
            };
            shown.tenant_id = form.tenant_id;
            shown.issuer = form.issuer;
            shown.client_id = form.client_id;
            shown.errors = errors;
            Ok(page::render_with(StatusCode::BAD_REQUEST, &shown))
        }
    }
}

#[derive(Template)]
#[template(path = "console/sso_disable.html")]
struct ConfirmDisablePage {
    chrome: Chrome,
    confirm: Confirm,
}

pub async fn confirm_disable(SignedIn { chrome, .. }: SignedIn) -> Response {
    page::render(&ConfirmDisablePage {
        chrome: chrome.in_section("sso"),
        confirm: Confirm::new(
            "/console/sso",
            "Microsoft SSO",
            "/console/sso/disable".to_owned(),
        ),
    })
}

pub async fn disable(
    State(state): State<AppState>,
    SignedInForm { signed_in, .. }: SignedInForm<NoFields>,
) -> Result<Response, PageError> {
    state.roster.console_disable_sso(&signed_in.admin).await?;
    Ok(page::see_other("/console/sso"))
}
