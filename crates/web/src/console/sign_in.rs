//! Signing in and out. Email and password always; "Sign in with Microsoft" on the page an
//! organization's console sign-in link (`/console/sign-in?org=<id>`) opens, when that
//! organization has sign-in configured: it goes to `/sso/<id>` and ends in the same session
//! cookie.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::Response,
};
use serde::Deserialize;

use roster_domain::{Error, OrgId, SsoProvider};

use super::{
    cookies, csrf, format,
    forms::{NoFields, PublicForm},
    page::{self, PageError},
    session::SignedInForm,
};
use crate::AppState;

#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage<'a> {
    csrf: &'a str,
    email: &'a str,
    error: Option<&'a str>,
    notice: Option<&'a str>,
    sso: Option<SsoButton>,
    /// The organization the page was opened for, kept when the form comes back refused.
    org: Option<OrgId>,
}

/// "Sign in with Microsoft", on the page an organization's console sign-in link opens.
#[derive(Debug)]
struct SsoButton {
    org: OrgId,
    href: String,
    label: &'static str,
}

#[derive(Debug, Deserialize)]
pub struct SignInQuery {
    #[serde(default)]
    signed_out: bool,
    /// From the console sign-in link of the Microsoft SSO page.
    org: Option<String>,
}

/// The button for `org` when it has sign-in configured. Nothing otherwise, the same for an
/// organization without sign-in as for no organization, so the page tells no more than
/// `/sso/{org}` already does.
async fn sso_button(state: &AppState, org: Option<&str>) -> Option<SsoButton> {
    let org = org?.trim().parse::<OrgId>().ok()?;
    let provider = match state.roster.sso_provider_of(org).await {
        Ok(provider) => provider?,
        Err(e) => {
            tracing::error!(error = %e, "reading whether an organization has SSO failed");
            return None;
        }
    };
    Some(SsoButton {
        org,
        href: format!("/sso/{org}"),
        label: match provider {
            SsoProvider::Microsoft => "Sign in with Microsoft",
            SsoProvider::Oidc => "Sign in with your organization's account",
        },
    })
}

pub async fn sign_in_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<SignInQuery>,
) -> Response {
    let form = PublicFormToken::for_request(&state, &headers);
    let sso = sso_button(&state, query.org.as_deref()).await;
    let mut response = page::render(&SignInPage {
        csrf: form.value(),
        email: "",
        error: None,
        notice: query.signed_out.then_some("You are signed out."),
        org: sso.as_ref().map(|b| b.org),
        sso,
    });
    form.set_cookie(&state, &mut response);
    response
}

/// The double-submit value of a form shown before sign-in: the browser's existing cookie, or a
/// fresh one that the response sets.
pub struct PublicFormToken {
    value: String,
    fresh: bool,
}

impl PublicFormToken {
    pub fn for_request(state: &AppState, headers: &HeaderMap) -> Self {
        match cookies::read(headers, state.console.cookies.csrf_name()) {
            Some(existing) => Self {
                value: existing.to_owned(),
                fresh: false,
            },
            None => Self {
                // Without randomness the form cannot be protected; an empty token matches
                // nothing, so the post is refused rather than accepted unprotected.
                value: csrf::random_token().unwrap_or_default(),
                fresh: true,
            },
        }
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    pub fn set_cookie(&self, state: &AppState, response: &mut Response) {
        if !self.fresh {
            return;
        }
        let policy = state.console.cookies;
        if let Some(cookie) = policy.set(policy.csrf_name(), &self.value) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
}

#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
}

pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<SignInQuery>,
    PublicForm { form, remote }: PublicForm<SignInForm>,
) -> Result<Response, PageError> {
    match state
        .roster
        .sign_in(&form.email, &form.password, remote.as_deref())
        .await
    {
        Ok((_admin, session)) => Ok(start_session(&state, session.as_str(), "/console")),
        Err(e) => {
            let retry_after = e.retry_after_seconds();
            let (status, message) = match e {
                Error::Unauthorized(_) => (
                    StatusCode::UNAUTHORIZED,
                    "That email and password do not match an administrator of any organization. Check them and try again.".to_owned(),
                ),
                Error::Throttled { retry_after } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "Too many failed sign-ins. Wait {} and try again.",
                        format::duration(retry_after)
                    ),
                ),
                other => return Err(other.into()),
            };
            let token = PublicFormToken::for_request(&state, &headers);
            let sso = sso_button(&state, query.org.as_deref()).await;
            let mut response = page::render_with(
                status,
                &SignInPage {
                    csrf: token.value(),
                    email: &form.email,
                    error: Some(&message),
                    notice: None,
                    org: sso.as_ref().map(|b| b.org),
                    sso,
                },
            );
            token.set_cookie(&state, &mut response);
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            Ok(response)
        }
    }
}

/// Sets the session cookie (a new one at every sign-in) and sends the browser on.
pub fn start_session(state: &AppState, session: &str, to: &str) -> Response {
    let mut response = page::see_other(to);
    let policy = state.console.cookies;
    if let Some(cookie) = policy.set(policy.session_name(), session) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

pub async fn sign_out(
    State(state): State<AppState>,
    SignedInForm { signed_in, .. }: SignedInForm<NoFields>,
) -> Result<Response, PageError> {
    state
        .roster
        .sign_out(&signed_in.session, signed_in.remote.as_deref())
        .await?;
    let mut response = page::see_other("/console/sign-in?signed_out=true");
    let policy = state.console.cookies;
    if let Some(cookie) = policy.clear(policy.session_name()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}
