//! `/metrics`: on the main listener only with a bearer token configured (otherwise it does not
//! exist there), or without authentication on a separate listen address meant for a private
//! network ([`listener_app`]).

use std::{fmt, sync::Arc};

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::get,
};
use roster_scim::ScimError;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Metrics;
use crate::{ApiError, AppState};

/// Shortest token accepted: a guessable one would make the metrics public in effect.
pub const MIN_TOKEN_CHARS: usize = 16;

/// The token that opens `/metrics` on the main listener, kept only as its SHA-256.
#[derive(Clone)]
pub struct MetricsToken([u8; 32]);

impl fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricsToken(<redacted>)")
    }
}

impl MetricsToken {
    /// The token as read from its file (surrounding whitespace ignored).
    pub fn new(token: &str) -> Result<Self, String> {
        let token = token.trim();
        if token.chars().count() < MIN_TOKEN_CHARS {
            return Err(format!(
                "the metrics token must be at least {MIN_TOKEN_CHARS} characters (e.g. `head -c 32 /dev/urandom | base64`)"
            ));
        }
        Ok(Self(Sha256::digest(token.as_bytes()).into()))
    }

    fn opens(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        digest.ct_eq(&self.0).into()
    }
}

/// `/metrics` on the main listener.
pub async fn scrape(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let Some(token) = &state.metrics_token else {
        // Not configured: the same answer as any unknown path.
        return crate::middleware::not_found(uri).await.into_response();
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::auth::bearer_token);
    if !presented.is_some_and(|p| token.opens(p)) {
        return ApiError::from(ScimError::unauthorized(
            "/metrics needs the metrics token as a bearer token",
        ))
        .into_response();
    }
    exposition(&state.metrics)
}

/// The app of the separate metrics listener (`--metrics-listen`): `/metrics`, nothing else.
pub fn listener_app(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(metrics): State<Arc<Metrics>>| async move { exposition(&metrics) }),
        )
        .with_state(metrics)
}

fn exposition(metrics: &Metrics) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(),
    )
        .into_response()
}
