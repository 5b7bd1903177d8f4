//! The signed-in administrator of a console request, from the session cookie. Only the domain
//! turns a session into an [`Admin`]; without a valid one the browser goes to the sign-in page.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, FromRequest, FromRequestParts, Request},
    http::request::Parts,
};
use roster_domain::{Admin, Error, SessionToken};
use serde::de::DeserializeOwned;

use super::{
    cookies, csrf, forms,
    page::{Chrome, PageError},
};
use crate::AppState;

/// A page request by a signed-in administrator.
#[derive(Debug)]
pub struct SignedIn {
    pub admin: Admin,
    pub chrome: Chrome,
    /// The session token, so sign-out can end it.
    pub session: SessionToken,
    /// Where the request came from, for the audit log.
    pub remote: Option<String>,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let session = cookies::read(&parts.headers, state.console.cookies.session_name())
            .map(|token| SessionToken::new(token.to_owned()))
            .ok_or(PageError::SignInNeeded)?;
        let remote = remote_addr(parts);
        let admin = state
            .roster
            .session(&session, remote.as_deref())
            .await
            .map_err(|e| match e {
                Error::Unauthorized(_) | Error::NotFound(_) => PageError::SignInNeeded,
                other => PageError::Domain(other),
            })?;
        let org = state.roster.org_status(admin.org_id()).await?;
        let chrome = Chrome {
            org_name: org.org.name,
            org_kind: org.org.kind,
            admin_email: admin.email().to_owned(),
            csrf: csrf::token_for_session(session.as_str()),
            section: "",
        };
        Ok(Self {
            admin,
            chrome,
            session,
            remote,
        })
    }
}

/// A form posted by a signed-in administrator, with the CSRF token of their session.
#[derive(Debug)]
pub struct SignedInForm<T> {
    pub signed_in: SignedIn,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for SignedInForm<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, PageError> {
        let (mut parts, body) = request.into_parts();
        // The origin is checked before the session is even looked at.
        forms::refuse_cross_site(&parts.headers, state)?;
        let signed_in = SignedIn::from_request_parts(&mut parts, state).await?;
        let (presented, form) =
            forms::read_form::<T>(Request::from_parts(parts, body), state).await?;
        if !csrf::matches(&signed_in.chrome.csrf, &presented) {
            return Err(PageError::ForgedForm);
        }
        Ok(Self { signed_in, form })
    }
}

/// The peer's address, as `roster serve` records it for each connection.
pub fn remote_addr(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}
