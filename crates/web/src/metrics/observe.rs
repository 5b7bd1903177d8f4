//! The outermost middleware: counts and times every request under its route template, and logs
//! every 5xx once, with its cause.

use std::{
    sync::{Arc, OnceLock},
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request, State},
    http::Method,
    middleware::Next,
    response::Response,
};

use super::Metrics;
use crate::failure::Cause;

/// Where the router writes the matched route template for the outer middleware, which runs
/// before routing and so cannot see it in the request.
#[derive(Debug, Clone, Default)]
struct RouteSlot(Arc<OnceLock<MatchedPath>>);

pub async fn observe(
    State(metrics): State<Arc<Metrics>>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let slot = RouteSlot::default();
    request.extensions_mut().insert(slot.clone());
    let response = next.run(request).await;
    let route = slot.0.get().map(MatchedPath::as_str);
    metrics.http_request(route, &method, response.status(), started.elapsed());
    if response.status().is_server_error() {
        log_failure(&response, route, &method);
    }
    response
}

/// A route layer: records which route matched.
pub async fn note_route(request: Request, next: Next) -> Response {
    if let (Some(slot), Some(path)) = (
        request.extensions().get::<RouteSlot>(),
        request.extensions().get::<MatchedPath>(),
    ) {
        let _ = slot.0.set(path.clone());
    }
    next.run(request).await
}

/// The one log line of a 5xx: an error for a 500 (a bug or a broken dependency), a warning for
/// the others (timeouts, an unreachable provider, a database that is not ready).
fn log_failure(response: &Response, route: Option<&str>, method: &Method) {
    let status = response.status().as_u16();
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let route = route.unwrap_or("unmatched");
    let cause = response
        .extensions()
        .get::<Cause>()
        .map_or("no cause was recorded", |c| &c.0);
    if status == 500 {
        tracing::error!(
            request.id = request_id,
            http.method = %method,
            http.route = route,
            http.status = status,
            error = cause,
            "request failed with {status}"
        );
    } else {
        tracing::warn!(
            request.id = request_id,
            http.method = %method,
            http.route = route,
            http.status = status,
            error = cause,
            "request failed with {status}"
        );
    }
}
