//! Extractors for posted console forms. Each refuses a forged form before the handler runs:
//! a cross-site `Origin`, or a CSRF field that does not match what this browser was given.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::HeaderMap,
};
use serde::{Deserialize, de::DeserializeOwned};

use super::{cookies, csrf, page::PageError};
use crate::AppState;

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A form that is only a button (its CSRF field aside).
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// A form posted before sign-in (sign-in, first-run setup, invitation): checked against the
/// double-submit cookie the page set.
#[derive(Debug)]
pub struct PublicForm<T> {
    pub form: T,
    /// Where it came from, for the audit log and sign-in throttling.
    pub remote: Option<String>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for PublicForm<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, PageError> {
        let expected = cookies::read(request.headers(), state.console.cookies.csrf_name())
            .unwrap_or_default()
            .to_owned();
        let (parts, body) = request.into_parts();
        let remote = super::session::remote_addr(&parts);
        let (presented, form) = read_form::<T>(Request::from_parts(parts, body), state).await?;
        if !csrf::matches(&expected, &presented) {
            return Err(PageError::ForgedForm);
        }
        Ok(Self { form, remote })
    }
}

/// The posted fields and the CSRF value they carry, after the origin check.
pub async fn read_form<T: DeserializeOwned>(
    request: Request,
    state: &AppState,
) -> Result<(String, T), PageError> {
    refuse_cross_site(request.headers(), state)?;
    let body = Bytes::from_request(request, state)
        .await
        .map_err(|_| PageError::BadForm)?;
    let CsrfField { csrf } = serde_urlencoded::from_bytes(&body).map_err(|_| PageError::BadForm)?;
    let form = serde_urlencoded::from_bytes(&body).map_err(|_| PageError::BadForm)?;
    Ok((csrf, form))
}

pub fn refuse_cross_site(headers: &HeaderMap, state: &AppState) -> Result<(), PageError> {
    if csrf::is_cross_site(headers, &state.console.origin) {
        return Err(PageError::ForgedForm);
    }
    Ok(())
}
