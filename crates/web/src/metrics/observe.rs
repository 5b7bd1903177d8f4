//! The outermost layer: counts and times every request under its route template, and logs every
//! 5xx once, with its cause.
//!
//! Written as plain tower services rather than `from_fn` middleware: those clone and box the
//! whole inner stack per request, which measured as most of the cost of observing a request.

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, OnceLock},
    task::{Context, Poll, ready},
    time::Instant,
};

use axum::{
    extract::MatchedPath,
    http::{Method, Request, Response},
};
use tower::{Layer, Service};

use super::{Metrics, SeatRefusal};
use crate::failure::Cause;

/// Where the router writes the matched route template for the outer layer, which runs before
/// routing and so cannot see it in the request.
#[derive(Debug, Clone, Default)]
struct RouteSlot(Arc<OnceLock<MatchedPath>>);

/// Wraps the whole app: see the module documentation.
#[derive(Debug, Clone)]
pub struct ObserveLayer(pub Arc<Metrics>);

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            metrics: Arc::clone(&self.0),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Observe<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S, B, R> Service<Request<B>> for Observe<S>
where
    S: Service<Request<B>, Response = Response<R>>,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = Observed<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let slot = RouteSlot::default();
        request.extensions_mut().insert(slot.clone());
        let method = request.method().clone();
        Observed {
            started: Instant::now(),
            inner: self.inner.call(request),
            metrics: Arc::clone(&self.metrics),
            method,
            slot,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response of an observed request, recorded when it is ready.
    pub struct Observed<F> {
        #[pin]
        inner: F,
        metrics: Arc<Metrics>,
        method: Method,
        slot: RouteSlot,
        started: Instant,
    }
}

impl<F, R, E> Future for Observed<F>
where
    F: Future<Output = Result<Response<R>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let Ok(response) = &result {
            let route = this.slot.0.get().map(MatchedPath::as_str);
            this.metrics.http_request(
                route,
                this.method,
                response.status(),
                this.started.elapsed(),
            );
            if let Some(refusal) = response.extensions().get::<SeatRefusal>() {
                this.metrics
                    .seat_refused(refusal.resource, refusal.operation);
            }
            if response.status().is_server_error() {
                log_failure(response, route, this.method);
            }
        }
        Poll::Ready(result)
    }
}

/// A route layer: records which route matched, for [`Observe`].
#[derive(Debug, Clone, Copy)]
pub struct NoteRouteLayer;

impl<S> Layer<S> for NoteRouteLayer {
    type Service = NoteRoute<S>;

    fn layer(&self, inner: S) -> NoteRoute<S> {
        NoteRoute(inner)
    }
}

#[derive(Debug, Clone)]
pub struct NoteRoute<S>(S);

impl<S, B> Service<Request<B>> for NoteRoute<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> S::Future {
        if let (Some(slot), Some(path)) = (
            request.extensions().get::<RouteSlot>(),
            request.extensions().get::<MatchedPath>(),
        ) {
            let _ = slot.0.set(path.clone());
        }
        self.0.call(request)
    }
}

/// The one log line of a 5xx: an error for a 500 (a bug or a broken dependency), a warning for
/// the others (timeouts, an unreachable provider, a database that is not ready).
fn log_failure<R>(response: &Response<R>, route: Option<&str>, method: &Method) {
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
