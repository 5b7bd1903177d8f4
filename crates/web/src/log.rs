//! The provisioning log (SPEC §2.8): every state-changing SCIM request and every refused one is
//! recorded for its organization, with what administrators need to troubleshoot beside Entra's
//! own logs.
//!
//! A middleware on the SCIM routes times the request and, afterwards, records it: a refusal
//! after its answer leaves. A successful write's entry is not written here: the handler hands
//! the domain a [`RequestLog`] and the store inserts the entry in the write's own transaction,
//! so it exists exactly when the write committed. Handlers add what only they know — the
//! resource id and `userName`/`displayName` — through [`LogNote`]; authentication adds the
//! organization.

use std::{
    convert::Infallible,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Instant,
};

use axum::{
    extract::{FromRequestParts, MatchedPath, Request},
    http::{HeaderValue, Method, StatusCode, request::Parts},
    response::Response,
};
use roster_domain::{LogEntry, OrgScope, Outcome, RequestLog};
use roster_scim::ScimError;
use tower::{Layer, Service};

use crate::{AppState, error::SeatLimitRefusal, metrics::ScimOutcome};

#[derive(Debug, Default)]
struct Noted {
    scope: Option<OrgScope>,
    resource_id: Option<String>,
    name: Option<String>,
    /// What the request deliberately did not apply (member values that are not users of the
    /// organization), in words: the entry's outcome is then `skipped`.
    skipped: Option<String>,
    /// The request, for a handler to pass to the domain as the log names it.
    request: Option<Arrived>,
    /// The domain took care of the success entry (written with the write, or digested).
    written: bool,
}

/// Shared between the middleware and the request's extractors and handler.
#[derive(Debug, Clone, Default)]
struct Slot(Arc<Mutex<Noted>>);

impl Slot {
    fn with(&self, f: impl FnOnce(&mut Noted)) {
        // A poisoned lock only means a panicking handler; the note is still worth keeping.
        f(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

/// Lets a handler name the resource its request concerns.
#[derive(Debug, Clone, Default)]
pub struct LogNote(Option<Slot>);

impl LogNote {
    /// The request for the domain to log with its write, answered with `status` on success.
    pub fn request(&self, status: StatusCode) -> Option<RequestLog> {
        let slot = self.0.as_ref()?;
        let mut request = None;
        slot.with(|n| request = n.request.as_ref().map(|r| r.log(status)));
        request
    }

    /// The domain wrote (or deliberately left out) the request's success entry: the middleware
    /// writes none.
    pub fn written(&self) {
        if let Some(slot) = &self.0 {
            slot.with(|n| n.written = true);
        }
    }

    pub fn name(&self, name: Option<String>) {
        if let Some(slot) = &self.0 {
            slot.with(|n| n.name = name.or(n.name.take()));
        }
    }

    /// The part of the request that was skipped, as the domain summarises it.
    pub fn skipped(&self, summary: Option<String>) {
        if let (Some(slot), Some(summary)) = (&self.0, summary) {
            slot.with(|n| n.skipped = Some(summary));
        }
    }

    pub fn resource(&self, id: &str, name: Option<&str>) {
        if let Some(slot) = &self.0 {
            slot.with(|n| {
                n.resource_id = Some(id.to_owned());
                if let Some(name) = name {
                    n.name = Some(name.to_owned());
                }
            });
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for LogNote {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<Slot>().cloned()))
    }
}

/// Called by authentication: the request belongs to this organization's log.
pub(crate) fn note_scope(parts: &Parts, scope: OrgScope) {
    if let Some(slot) = parts.extensions.get::<Slot>() {
        slot.with(|n| n.scope = Some(scope));
    }
}

/// What the log needs of a request as it arrived. Its text is made only when an entry is
/// written: most requests are reads, which write none.
#[derive(Debug, Clone)]
struct Arrived {
    method: Method,
    route: Option<MatchedPath>,
    client_request_id: Option<HeaderValue>,
    started: Instant,
}

impl Arrived {
    fn of(request: &Request) -> Self {
        Self {
            method: request.method().clone(),
            route: request.extensions().get::<MatchedPath>().cloned(),
            client_request_id: request.headers().get("client-request-id").cloned(),
            started: Instant::now(),
        }
    }

    /// The route below the tenant URL: `/Users/{id}`.
    fn route(&self) -> &str {
        self.route
            .as_ref()
            .map_or("", |p| p.as_str().trim_start_matches("/scim/v2/{org}"))
    }

    fn resource_type(&self) -> String {
        let route = self.route();
        if route.starts_with("/Users") {
            "User"
        } else if route.starts_with("/Groups") {
            "Group"
        } else {
            route
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or("")
        }
        .to_owned()
    }

    fn operation(&self) -> String {
        format!("{} {}", self.method, self.route())
    }

    fn client_request_id(&self) -> Option<String> {
        self.client_request_id
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(200).collect())
    }

    /// The request as the domain logs it with a write answered `status`.
    fn log(&self, status: StatusCode) -> RequestLog {
        RequestLog {
            operation: self.operation(),
            resource_type: self.resource_type(),
            status: status.as_u16(),
            client_request_id: self.client_request_id(),
            started: self.started,
        }
    }
}

/// The provisioning log's layer on the SCIM routes. A tower layer rather than `from_fn`
/// middleware, which clones and boxes the route it wraps on every request.
#[derive(Clone)]
pub struct ProvisioningLogLayer(pub AppState);

impl<S> Layer<S> for ProvisioningLogLayer {
    type Service = ProvisioningLog<S>;

    fn layer(&self, inner: S) -> ProvisioningLog<S> {
        ProvisioningLog {
            inner,
            state: self.0.clone(),
        }
    }
}

#[derive(Clone)]
pub struct ProvisioningLog<S> {
    inner: S,
    state: AppState,
}

impl<S> Service<Request> for ProvisioningLog<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let arrived = Arrived::of(&request);
        let slot = Slot::default();
        slot.with(|n| n.request = Some(arrived.clone()));
        request.extensions_mut().insert(slot.clone());
        let answer = self.inner.call(request);
        let state = self.state.clone();
        Box::pin(async move {
            let response = answer.await?;
            Ok(after_answer(&state, &arrived, &slot, response).await)
        })
    }
}

/// After the answer: counts the request and writes its entry when it has one of its own.
async fn after_answer(
    state: &AppState,
    arrived: &Arrived,
    slot: &Slot,
    response: Response,
) -> Response {
    let status = response.status();
    let noted = std::mem::take(&mut *slot.0.lock().unwrap_or_else(|p| p.into_inner()));
    let (resource, operation) = crate::metrics::scim_labels(&arrived.method, arrived.route());
    state.metrics.scim_operation(
        resource,
        operation,
        ScimOutcome::of(
            status,
            noted.skipped.is_some(),
            response.extensions().get::<SeatLimitRefusal>().is_some(),
        ),
    );
    let Some(scope) = noted.scope else {
        // Not authenticated: there is no organization to record it for (authentication counted
        // a wrong token already).
        return response;
    };
    // Every authenticated request counts in the SCIM page's activity, reads included (in memory).
    state.roster.note_scim_answer(scope, status.as_u16());
    let reads = arrived.method == Method::GET || arrived.route().ends_with("/.search");
    if reads && !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    if noted.written && status.is_success() {
        return response;
    }
    let entry = LogEntry {
        org_id: scope.org_id(),
        at: state.roster.now(),
        operation: arrived.operation(),
        resource_type: arrived.resource_type(),
        resource_id: noted.resource_id,
        name: noted.name,
        outcome: match (status.is_success(), &noted.skipped) {
            (true, None) => Outcome::Success,
            (true, Some(_)) => Outcome::Skipped,
            (false, _) => Outcome::Failure,
        },
        status: status.as_u16(),
        detail: response
            .extensions()
            .get::<ScimError>()
            .map(|e| e.detail.clone())
            .or(noted.skipped),
        duration_ms: u64::try_from(arrived.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        client_request_id: arrived.client_request_id(),
    };
    let roster = state.roster.clone();
    let record = async move {
        if let Err(e) = roster.record(scope, entry).await {
            tracing::warn!(org.id = %scope.org_id(), error = %e, "could not record a provisioning log entry");
        }
    };
    if status.is_success() {
        // A success the domain did not log with a write (none today): still stored before the
        // answer, so a crash right after it cannot leave an acknowledged change the log does
        // not show (the crash tests).
        record.await;
    } else {
        // A refusal changed nothing: its entry is written after the answer, so the client never
        // waits on it.
        state.background.spawn(record);
    }
    response
}
