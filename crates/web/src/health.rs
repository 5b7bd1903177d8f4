//! Liveness and readiness for load balancers and orchestrators.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use crate::{
    AppState,
    failure::{Cause, with_cause},
};

/// The process is up.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The process can serve: its store answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.roster.ready().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ready"}))).into_response(),
        Err(e) => with_cause(
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "detail": "the database does not answer"})),
            )
                .into_response(),
            Cause::new("not ready: store unavailable", &e),
        ),
    }
}
