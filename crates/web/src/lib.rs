//! Roster's HTTP surface: the SCIM 2.0 API under each organization's tenant URL, health checks,
//! and the middleware every request passes (request ids, tracing, limits, SCIM error bodies).
//!
//! Handlers are thin: they parse, call [`roster_domain::Roster`], and render. This crate talks to
//! storage only through the domain.

mod api;
mod api_caller;
mod api_read;
mod api_routes;
mod auth;
mod body;
mod console;
mod discovery;
mod error;
mod failure;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod groups;
mod health;
mod limits;
mod log;
pub mod metrics;
mod middleware;
mod offload;
mod query;
mod resources;
mod response;
mod search;
mod sso;
mod sso_limit;
mod users;
mod webhook_client;
mod wire;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    routing::{any, get, post},
};
use roster_domain::Roster;
use tokio_util::task::TaskTracker;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    sensitive_headers::SetSensitiveRequestHeadersLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

pub use console::Console;
pub use error::ApiError;
pub use limits::{OrgRateLimit, RateLimit};
pub use metrics::{Metrics, PoolSampler, PoolStats, endpoint::MetricsToken};
pub use sso_limit::{SsoStartLimit, SsoStartRates};
pub use webhook_client::WebhookClient;
pub use wire::{QueryEncodingListener, QueryEncodingStream};

/// Largest request body accepted. A PATCH adding a few hundred members fits many times over.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Entra gives up after 60 s; answering sooner with an error lets it retry cleanly.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler can reach. Axum clones the state for each request, so it is one shared
/// allocation: a clone is a reference count, not a dozen fields' worth of them.
#[derive(Debug, Clone)]
pub struct AppState(Arc<AppStateInner>);

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

/// [`AppState`]'s fields.
#[derive(Debug, Clone)]
pub struct AppStateInner {
    pub roster: Roster,
    /// The externally visible base URL (`https://roster.example.edu`), for tenant URLs and
    /// `meta.location`.
    pub public_url: Arc<str>,
    /// `None`: no rate limit.
    pub rate_limit: Option<Arc<OrgRateLimit>>,
    /// Work that outlives its request (provisioning log entries written after the answer);
    /// shutdown waits for it, so no entry of an answered request is lost.
    pub background: TaskTracker,
    /// The admin console's process-wide state (cookie policy, allowed origin, setup code).
    pub console: Arc<Console>,
    /// Sign-in providers' documents and keys; `None` when no HTTP client could be made.
    pub oidc: Option<roster_oidc::Providers>,
    /// How many sign-ins may start (`GET /sso/{org}`), per address and per organization.
    pub sso_starts: Arc<SsoStartLimit>,
    /// What `/metrics` reports.
    pub metrics: Arc<Metrics>,
    /// Opens `/metrics` on the main listener; `None`: it is not served there.
    pub metrics_token: Option<MetricsToken>,
    /// Sends webhooks: the console's resend uses the delivery job's client.
    pub webhooks: Arc<dyn roster_domain::WebhookTransport>,
}

impl AppState {
    /// The tenant URL of the authenticated organization: the base of `meta.location`.
    pub fn tenant_url(&self, tenant: auth::Tenant) -> String {
        roster_domain::tenant_url(&self.public_url, tenant.0.org_id())
    }

    pub fn new(roster: Roster, public_url: &str) -> Self {
        Self(Arc::new(AppStateInner {
            roster,
            console: Arc::new(Console::new(public_url)),
            public_url: public_url.trim_end_matches('/').into(),
            rate_limit: None,
            background: TaskTracker::new(),
            oidc: roster_oidc::Providers::new()
                .inspect_err(|e| tracing::error!(error = %e, "SSO sign-in is unavailable"))
                .ok(),
            sso_starts: Arc::new(SsoStartLimit::new(SsoStartRates::DEFAULT)),
            metrics: Arc::new(Metrics::default()),
            metrics_token: None,
            webhooks: Arc::new(WebhookClient::default()),
        }))
    }

    /// The fields, for a builder below: copied first if the state is already shared.
    fn fields(&mut self) -> &mut AppStateInner {
        Arc::make_mut(&mut self.0)
    }

    /// Sends the console's webhook resends with `transport`.
    #[must_use]
    pub fn with_webhook_transport(
        mut self,
        transport: Arc<dyn roster_domain::WebhookTransport>,
    ) -> Self {
        self.fields().webhooks = transport;
        self
    }

    /// Metrics whose database gauges are read by `pool`.
    #[must_use]
    pub fn with_pool_stats(mut self, pool: PoolSampler) -> Self {
        self.fields().metrics = Arc::new(Metrics::new(Some(pool)));
        self
    }

    /// Serves `/metrics` on the main listener to requests bearing this token.
    #[must_use]
    pub fn with_metrics_token(mut self, token: MetricsToken) -> Self {
        self.fields().metrics_token = Some(token);
        self
    }

    /// Limits how fast sign-ins start with other rates than the default.
    #[must_use]
    pub fn with_sso_start_rates(mut self, rates: SsoStartRates) -> Self {
        self.fields().sso_starts = Arc::new(SsoStartLimit::new(rates));
        self
    }

    /// Limits each organization's request rate; a rate of 0 turns the limit off.
    #[must_use]
    pub fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.fields().rate_limit = OrgRateLimit::new(limit).map(Arc::new);
        self
    }
}

/// The whole application: SCIM routes, health checks and middleware.
pub fn app(state: AppState) -> Router {
    // Registered at their full paths rather than nested: a nested router rewrites every
    // request's URI to strip the prefix, which measured as a microsecond per SCIM request.
    let tenant = |path: &str| format!("/scim/v2/{{org}}{path}");
    let scim = Router::new()
        .route(&tenant("/.search"), post(search::search_all))
        .route(
            &tenant("/ServiceProviderConfig"),
            get(discovery::service_provider_config),
        )
        .route(&tenant("/ResourceTypes"), get(discovery::resource_types))
        .route(
            &tenant("/ResourceTypes/{id}"),
            get(discovery::resource_type),
        )
        .route(&tenant("/Schemas"), get(discovery::schemas))
        .route(&tenant("/Schemas/{id}"), get(discovery::schema))
        .route(
            &tenant("/Users"),
            get(users::list_users).post(users::create_user),
        )
        .route(&tenant("/Users/.search"), post(users::search_users))
        .route(
            &tenant("/Users/{id}"),
            get(users::get_user)
                .put(users::replace_user)
                .patch(users::patch_user)
                .delete(users::delete_user),
        )
        .route(
            &tenant("/Groups"),
            get(groups::list_groups).post(groups::create_group),
        )
        .route(&tenant("/Groups/.search"), post(groups::search_groups))
        .route(
            &tenant("/Groups/{id}"),
            get(groups::get_group)
                .put(groups::replace_group)
                .patch(groups::patch_group)
                .delete(groups::delete_group),
        )
        .route_layer(log::ProvisioningLogLayer(state.clone()))
        // Added after the log's layer: unknown paths of a tenant are answered, not logged.
        .route(&tenant(""), any(resources::unknown_tenant_path))
        .route(&tenant("/"), any(resources::unknown_tenant_path))
        .route(&tenant("/{*rest}"), any(resources::unknown_tenant_path));

    let routes = api_routes::routes()
        .into_iter()
        .fold(Router::new(), |router, (path, route)| {
            router.route(path, route)
        })
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(scim)
        .nest("/console", console::routes())
        .route("/sso/callback", get(sso::callback))
        .route("/sso/sign-out", post(sso::sign_out))
        .route("/sso/signed-out", get(sso::signed_out))
        .route("/sso/{org}", get(sso::start_sign_in))
        .route("/home", get(sso::home))
        .route("/metrics", get(metrics::endpoint::scrape))
        .route_layer(metrics::observe::NoteRouteLayer)
        .fallback(middleware::not_found)
        .with_state(state.clone());

    let request_id = axum::http::HeaderName::from_static("x-request-id");
    let layers = ServiceBuilder::new()
        .layer(metrics::observe::ObserveLayer(state.metrics.clone()))
        .layer(SetSensitiveRequestHeadersLayer::new([
            axum::http::header::AUTHORIZATION,
            axum::http::header::COOKIE,
        ]))
        .layer(axum::middleware::map_request(
            middleware::drop_unsafe_request_id,
        ))
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(middleware::make_span)
                .on_request(())
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Micros),
                )
                // `observe` logs each 5xx once, with its cause.
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(axum::middleware::from_fn(middleware::scim_error_bodies))
        .layer(CatchPanicLayer::custom(middleware::panicked))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));

    // Path canonicalisation has to run before routing, so it wraps the routed app from outside.
    Router::new()
        .fallback_service(routes.layer(layers))
        .layer(axum::middleware::map_request(middleware::canonical_path))
}
