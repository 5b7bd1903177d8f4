//! The platform API (SPEC §7): `GET /api/v1/events`, the change feed, for the platform's other
//! services, authenticated with an API key (`Authorization: Bearer <key>`). Errors are JSON
//! `{"error": code, "detail": text}`.

use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use roster_domain::{Error, FeedPage, FeedQuery, event_json};
use serde::Deserialize;
use serde_json::json;

use crate::{
    AppState,
    api_caller::{ApiCaller, ApiError, ApiQuery, parse_limit},
};

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

/// `GET /api/v1/events?after=&org=&types=&limit=`.
pub async fn events(
    State(state): State<AppState>,
    ApiCaller(key): ApiCaller,
    ApiQuery(params): ApiQuery<EventsParams>,
) -> Result<Response, ApiError> {
    let query = FeedQuery {
        after: params.after,
        org: params.org,
        types: params.types,
        limit: parse_limit(params.limit.as_deref())?,
    };
    Ok(match state.roster.events_feed(&key, query).await? {
        FeedPage::Page { events, next } => Json(json!({
            "events": events.iter().map(event_json).collect::<Vec<_>>(),
            "next": next,
        }))
        .into_response(),
        FeedPage::Gone => refusal(
            StatusCode::GONE,
            "cursor_expired",
            "this cursor points before the oldest retained event: events after it were removed by retention. Resynchronise from the read API, then read the feed again without 'after' (or with a fresh cursor).",
        ),
    })
}
