//! What every platform API handler begins with, as extractors: [`ApiCaller`] is the verified
//! API key (`Authorization: Bearer <key>`), [`ApiQuery`] the query string read as text. Both
//! refuse with the API's JSON `{"error", "detail"}` ([`ApiError`]), so a handler is only its
//! domain call. The key is checked before the query is read: a caller without a valid key
//! learns nothing, not even that its query string is malformed.

use axum::{
    extract::{FromRequestParts, Query},
    http::{StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use roster_domain::{ApiKey, Error};
use serde::de::DeserializeOwned;

use crate::{
    AppState,
    api::{error_response, refusal},
};

/// A refusal of the platform API, ready to send (boxed: a `Response` is large for an `Err`).
#[derive(Debug)]
pub struct ApiError(Box<Response>);

impl ApiError {
    pub(crate) fn invalid(detail: &str) -> Self {
        Self(Box::new(refusal(
            StatusCode::BAD_REQUEST,
            "invalid",
            detail,
        )))
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self(Box::new(error_response(e)))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// The API key the request presented, verified by the domain.
#[derive(Debug, Clone, Copy)]
pub struct ApiCaller(pub ApiKey);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(crate::auth::bearer_token);
        Ok(Self(state.roster.authenticate_api_key(bearer).await?))
    }
}

/// The query string, deserialized; unreadable → 400 `invalid`.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(params)) => Ok(Self(params)),
            Err(_) => Err(ApiError::invalid("the query string could not be read")),
        }
    }
}

/// A `limit` parameter, as text: absent or empty is `None`.
pub(crate) fn parse_limit(limit: Option<&str>) -> Result<Option<u32>, ApiError> {
    match limit.filter(|l| !l.is_empty()) {
        None => Ok(None),
        Some(l) => l
            .parse::<u32>()
            .map(Some)
            .map_err(|_| ApiError::invalid("limit must be a whole number between 1 and 1000")),
    }
}
