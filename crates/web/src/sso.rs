//! Sign-in with the organization's OpenID Connect provider (SPEC §6) and who is signed in:
//! `GET /sso/{org}` sends the browser to the provider, `GET /sso/callback` finishes the
//! sign-in, `GET /home` and `GET /api/v1/me` show who is signed in, `POST /sso/sign-out` ends
//! the session. Handlers are thin: the domain keeps the flow, the match and the session;
//! `roster_oidc` talks to the provider and validates its token. The session is the console's
//! cookie, so an administrator who signs in with Microsoft also opens the console.

use std::net::SocketAddr;

use askama::Template;
use axum::{
    Json,
    extract::{ConnectInfo, Path, Query, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use roster_domain::{Error, Me, OrgId, Role, SessionToken, SsoOutcome, SsoVerdict, redirect_uri};
use roster_oidc::OidcError;
use serde::Deserialize;

use crate::{
    AppState,
    console::{cookies, csrf, forms, page, sign_in::start_session},
    sso_limit::TooMany,
};

#[derive(Template)]
#[template(path = "sso/refused.html")]
struct Refused<'a> {
    heading: &'a str,
    message: &'a str,
    verdict: &'a str,
    again: Option<String>,
}

#[derive(Template)]
#[template(path = "sso/home.html")]
struct Home<'a> {
    me: &'a Me,
    name: &'a str,
    is_admin: bool,
    csrf: String,
}

fn refused(
    status: StatusCode,
    heading: &str,
    message: &str,
    verdict: &str,
    org: Option<OrgId>,
) -> Response {
    page::render_with(
        status,
        &Refused {
            heading,
            message,
            verdict,
            again: org.map(|o| format!("/sso/{o}")),
        },
    )
}

/// What each refusal tells the person: why, and whom to ask.
fn verdict_page(verdict: SsoVerdict, org: OrgId) -> Response {
    let (heading, message) = match verdict {
        SsoVerdict::SignedIn => ("Signed in", "You are signed in."),
        SsoVerdict::NotProvisioned => (
            "Your account has not been set up yet",
            "You signed in with Microsoft, but your organization has not provisioned an account for you in Roster yet. Ask your administrator to assign you to the Roster application in Microsoft Entra ID; you can sign in once it has synchronised.",
        ),
        SsoVerdict::Deactivated => (
            "Your account is deactivated",
            "Your organization has deactivated your account, so you cannot sign in. If you think this is a mistake, ask your administrator.",
        ),
        SsoVerdict::Independent => (
            "This account is not part of the organization",
            "An account with your name exists, but it is a personal account, not one of this organization's. Ask your administrator to invite it into the organization.",
        ),
        SsoVerdict::OtherOrganization => (
            "This account belongs to another organization",
            "An account with your name exists in another organization, so it cannot sign in here. Ask your administrator.",
        ),
        SsoVerdict::RejectedToken => (
            "Sign-in was refused",
            "The answer from your organization's sign-in provider could not be verified, so you were not signed in. Try again; if it keeps happening, tell your administrator.",
        ),
    };
    refused(
        StatusCode::FORBIDDEN,
        heading,
        message,
        verdict.as_str(),
        Some(org),
    )
}

fn domain_refusal(e: Error) -> Response {
    match e {
        Error::NotFound(message) => refused(
            StatusCode::NOT_FOUND,
            "Sign-in is not available",
            &message,
            "not_configured",
            None,
        ),
        Error::Unauthorized(message) => refused(
            StatusCode::BAD_REQUEST,
            "This sign-in has ended",
            &message,
            "flow_ended",
            None,
        ),
        other => {
            tracing::error!(error = %other, "SSO sign-in failed");
            refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sign-in failed",
                "Something went wrong on our side. Try again in a moment.",
                "error",
                None,
            )
        }
    }
}

fn provider_unavailable(state: &AppState) -> Option<Response> {
    state.oidc.is_none().then(|| {
        refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "Sign-in is not available",
            "This server cannot reach sign-in providers right now.",
            "unavailable",
            None,
        )
    })
}

/// The 429 page of a start beyond the flood limit.
fn too_many(limit: TooMany) -> Response {
    let message = match limit {
        TooMany::Address(_) => {
            "Too many sign-ins were started from your network in a short time. Wait a moment and try again."
        }
        TooMany::Organization(_) => {
            "Too many sign-ins to your organization were started in a short time. Wait a moment and try again."
        }
    };
    let mut response = refused(
        StatusCode::TOO_MANY_REQUESTS,
        "Please wait a moment",
        message,
        "too_many_starts",
        None,
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(limit.retry_after_seconds()),
    );
    response
}

pub async fn start_sign_in(
    State(state): State<AppState>,
    Path(org): Path<String>,
    request: Request,
) -> Response {
    if let Some(unavailable) = provider_unavailable(&state) {
        return unavailable;
    }
    // Each start stores a pending sign-in: limited per address before anything is read, and
    // per organization once it is known to have sign-in (made-up ids are never counted).
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>()
        && let Err(limit) = state.sso_starts.check_address(peer.ip())
    {
        return too_many(limit);
    }
    let Ok(org) = org.parse::<OrgId>() else {
        return domain_refusal(Error::NotFound("There is no such organization.".into()));
    };
    let client = match state.roster.sso_client(org).await {
        Ok(client) => client,
        Err(e) => return domain_refusal(e),
    };
    if let Err(limit) = state.sso_starts.check_org(org) {
        // Not a warning each: under a flood that would be one log line per refused request.
        tracing::debug!(org.id = %org, "SSO sign-in starts beyond the organization's limit");
        return too_many(limit);
    }
    let start = match state.roster.begin_sso(client).await {
        Ok(start) => start,
        Err(e) => return domain_refusal(e),
    };
    let Some(oidc) = &state.oidc else {
        return domain_refusal(Error::NotFound("Sign-in is not available.".into()));
    };
    match oidc
        .authorization_url(&start, &redirect_uri(&state.public_url))
        .await
    {
        Ok(url) => page::see_other(&url),
        Err(e) => {
            tracing::warn!(org.id = %org, error = %e, "SSO provider discovery failed");
            refused(
                StatusCode::BAD_GATEWAY,
                "The sign-in provider cannot be reached",
                "Your organization's sign-in provider did not answer as expected. Try again in a moment; if it keeps happening, tell your administrator.",
                "provider_unreachable",
                Some(org),
            )
        }
    }
}

/// The provider sent the person back without signing them in: it refused them
/// (`access_denied`: Entra does so for an account of another tenant that is not a guest in the
/// organization's) or they cancelled.
fn provider_refused(error: Option<&str>, org: OrgId) -> Response {
    // An OAuth error code is a short lowercase word; anything else is not worth logging as is.
    let code = error
        .filter(|e| e.len() <= 64 && e.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .unwrap_or("other");
    tracing::info!(org.id = %org, error = code, "the SSO provider did not sign the person in");
    let (heading, message) = if code == "access_denied" {
        (
            "Your organization's sign-in provider refused the sign-in",
            "Your organization's sign-in provider did not let you in. Make sure you signed in with your account of this organization; if you did, ask your administrator to give you access to Roster.",
        )
    } else {
        (
            "Sign-in was cancelled",
            "The sign-in provider did not sign you in. Try again.",
        )
    };
    refused(
        StatusCode::FORBIDDEN,
        heading,
        message,
        "provider_error",
        Some(org),
    )
}

#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

pub async fn callback(State(state): State<AppState>, Query(query): Query<Callback>) -> Response {
    let Some(oidc) = state.oidc.clone() else {
        return provider_unavailable(&state)
            .unwrap_or_else(|| StatusCode::SERVICE_UNAVAILABLE.into_response());
    };
    let Some(flow_state) = query.state.as_deref() else {
        return domain_refusal(Error::Unauthorized(
            "This sign-in link is incomplete. Start signing in again.".into(),
        ));
    };
    // The flow is used up whatever comes next, so a state works once.
    let back = match state.roster.resume_sso(flow_state).await {
        Ok(back) => back,
        Err(e) => return domain_refusal(e),
    };
    let org = back.client.org_id;
    let (Some(code), None) = (query.code.as_deref(), query.error.as_deref()) else {
        return provider_refused(query.error.as_deref(), org);
    };
    let identity = match oidc
        .finish(&back, code, &redirect_uri(&state.public_url))
        .await
    {
        Ok(identity) => identity,
        Err(OidcError::Rejected(why)) => {
            if let Err(e) = state
                .roster
                .reject_sso(&back.client, &why.to_string())
                .await
            {
                return domain_refusal(e);
            }
            return verdict_page(SsoVerdict::RejectedToken, org);
        }
        Err(OidcError::Provider(why)) => {
            tracing::warn!(org.id = %org, error = %why, "SSO code exchange failed");
            return refused(
                StatusCode::BAD_GATEWAY,
                "The sign-in provider cannot be reached",
                "Your organization's sign-in provider did not answer as expected. Try again in a moment.",
                "provider_unreachable",
                Some(org),
            );
        }
    };
    match state.roster.finish_sso(&back.client, &identity).await {
        Ok(SsoOutcome::SignedIn { session, .. }) => {
            start_session(&state, session.as_str(), "/home")
        }
        Ok(SsoOutcome::Refused(verdict)) => verdict_page(verdict, org),
        Err(e) => domain_refusal(e),
    }
}

fn session_of(state: &AppState, headers: &HeaderMap) -> Option<SessionToken> {
    cookies::read(headers, state.console.cookies.session_name())
        .map(|token| SessionToken::new(token.to_owned()))
}

pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let me = match session_of(&state, &headers) {
        Some(session) => state.roster.me(&session).await.map(|me| (me, session)),
        None => Err(Error::Unauthorized(String::new())),
    };
    match me {
        Ok((me, session)) => {
            let name = me
                .display_name
                .clone()
                .unwrap_or_else(|| me.user_name.clone());
            page::render(&Home {
                me: &me,
                name: &name,
                is_admin: me.role == Role::Admin,
                csrf: csrf::token_for_session(session.as_str()),
            })
        }
        Err(Error::Unauthorized(_)) => refused(
            StatusCode::UNAUTHORIZED,
            "You are not signed in",
            "Your session has ended, or you have not signed in yet. Sign in through your organization's sign-in link.",
            "signed_out",
            None,
        ),
        Err(e) => domain_refusal(e),
    }
}

/// `GET /api/v1/me`: who is signed in, for the platform's apps.
pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let result = match session_of(&state, &headers) {
        Some(session) => state.roster.me(&session).await,
        None => Err(Error::Unauthorized("You are not signed in.".into())),
    };
    match result {
        Ok(me) => Json(me).into_response(),
        Err(Error::Unauthorized(message)) => (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({ "error": "unauthorized", "detail": message })),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "reading who is signed in failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(serde_json::json!({ "error": "internal" })),
            )
                .into_response()
        }
    }
}

/// Ends the session (a form of the home page, with the session's CSRF token), then shows the
/// signed-out page, which offers the organization's provider's sign-out too.
pub async fn sign_out(State(state): State<AppState>, request: Request) -> Response {
    let headers = request.headers().clone();
    let Some(session) = session_of(&state, &headers) else {
        return page::see_other("/home");
    };
    let (presented, _): (String, serde::de::IgnoredAny) =
        match forms::read_form(request, &state).await {
            Ok(read) => read,
            Err(e) => return e.into_response(),
        };
    if !csrf::matches(&csrf::token_for_session(session.as_str()), &presented) {
        return page::PageError::ForgedForm.into_response();
    }
    // Whose provider to offer, read before the session ends.
    let org = state
        .roster
        .me(&session)
        .await
        .ok()
        .map(|me| me.organization.id);
    if let Err(e) = state.roster.sign_out(&session, None).await {
        return domain_refusal(e);
    }
    let to = match org {
        Some(org) => format!("/sso/signed-out?org={org}"),
        None => "/sso/signed-out".to_owned(),
    };
    let mut response = page::see_other(&to);
    let policy = state.console.cookies;
    if let Some(cookie) = policy.clear(policy.session_name()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

#[derive(Template)]
#[template(path = "sso/signed_out.html")]
struct SignedOut {
    /// The provider's sign-out (its `end_session_endpoint`), when it has one.
    provider_sign_out: Option<String>,
    /// Who that provider is, in words.
    provider: &'static str,
    /// Signing in again, for an organization with sign-in.
    again: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SignedOutQuery {
    org: Option<String>,
}

/// `GET /sso/signed-out`: after Roster's sign-out, and where the provider's sign-out comes back.
/// With `org`, the link to the organization's provider's sign-out; it tells nothing that
/// `/sso/{org}` does not (the issuer and the client id are in the provider's sign-in URL).
pub async fn signed_out(
    State(state): State<AppState>,
    Query(query): Query<SignedOutQuery>,
) -> Response {
    let org = query.org.and_then(|o| o.trim().parse::<OrgId>().ok());
    let view = match org {
        Some(org) => state
            .roster
            .sso(org, &state.public_url)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let provider_sign_out = match (&view, &state.oidc) {
        (Some(view), Some(oidc)) => {
            let back = format!("{}/sso/signed-out", state.public_url.trim_end_matches('/'));
            oidc.end_session_url(&view.issuer, &view.client_id, &back)
                .await
                .inspect_err(|e| {
                    tracing::warn!(org.id = %view.org, error = %e, "SSO provider discovery failed");
                })
                .ok()
                .flatten()
        }
        _ => None,
    };
    page::render(&SignedOut {
        provider_sign_out,
        provider: match view.as_ref().map(|v| v.provider) {
            Some(roster_domain::SsoProvider::Oidc) => "your organization's sign-in provider",
            _ => "Microsoft",
        },
        again: view.map(|v| format!("/sso/{}", v.org)),
    })
}
