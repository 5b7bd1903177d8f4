//! The platform API (SPEC §7): `GET /api/v1/events`, the change feed, for the platform's other
//! services, authenticated with an API key (`Authorization: Bearer <key>`). Errors are JSON
//! `{"error": code, "detail": text}`.

use axum::{
    Json,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use roster_domain::{ApiKey, Error, FeedPage, FeedQuery, event_json};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;

/// The feed's query parameters, as text: the domain checks them.
#[derive(Debug, Deserialize)]
pub struct EventsParams {
    after: Option<String>,
    org: Option<String>,
    types: Option<String>,
    limit: Option<String>,
}

pub(crate) fn refusal(status: StatusCode, code: &str, detail: &str) -> Response {
    (status, Json(json!({ "error": code, "detail": detail }))).into_response()
}

pub(crate) fn error_response(e: Error) -> Response {
    match e {
        Error::Unauthorized(detail) => {
            let mut response = refusal(StatusCode::UNAUTHORIZED, "unauthorized", &detail);
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
            response
        }
        Error::NotFound(detail) => refusal(StatusCode::NOT_FOUND, "not_found", &detail),
        Error::Invalid(detail) => refusal(StatusCode::BAD_REQUEST, "invalid", &detail),
        other => {
            tracing::error!(error = %other, "platform API request failed");
            refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the request failed; try again",
            )
        }
    }
}

pub(crate) async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<ApiKey, Error> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::auth::bearer_token);
    state.roster.authenticate_api_key(bearer).await
}

/// `GET /api/v1/events?after=&org=&types=&limit=`.
pub async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<EventsParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let key = match authenticate(&state, &headers).await {
        Ok(key) => key,
        Err(e) => return error_response(e),
    };
    let Ok(Query(params)) = params else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "invalid",
            "the query string could not be read",
        );
    };
    let limit = match params.limit.as_deref().filter(|l| !l.is_empty()) {
        None => None,
        Some(limit) => match limit.parse::<u32>() {
            Ok(limit) => Some(limit),
            Err(_) => {
                return refusal(
                    StatusCode::BAD_REQUEST,
                    "invalid",
                    "limit must be a whole number between 1 and 1000",
                );
            }
        },
    };
    let query = FeedQuery {
        after: params.after,
        org: params.org,
        types: params.types,
        limit,
    };
    match state.roster.events_feed(&key, query).await {
        Ok(FeedPage::Page { events, next }) => Json(json!({
            "events": events.iter().map(event_json).collect::<Vec<_>>(),
            "next": next,
        }))
        .into_response(),
        Ok(FeedPage::Gone) => refusal(
            StatusCode::GONE,
            "cursor_expired",
            "this cursor points before the oldest retained event: events after it were removed by retention. Resynchronise from the read API, then read the feed again without 'after' (or with a fresh cursor).",
        ),
        Err(e) => error_response(e),
    }
}
