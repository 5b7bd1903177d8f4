//! Prometheus metrics: what is counted, under which names and labels, and rendering them for
//! `/metrics` (see [`endpoint`]).
//!
//! Labels are bounded sets whatever the number of organizations or users: a route is axum's
//! route template (`/scim/v2/{org}/Users/{id}`), never the request's path; a status is its class
//! (`2xx`); methods outside the standard ones are `other`. No organization, user or request id
//! is ever a label value.
//!
//! Each [`Metrics`] has its own recorder (not the process-wide one), so two apps in one process
//! (tests) never count into each other.

pub mod endpoint;
pub mod observe;
mod routes;

use std::{fmt, sync::Arc, time::Duration};

use axum::http::{Method, StatusCode};
use metrics::{Counter, Key, Label, Metadata, Recorder};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

pub const HTTP_REQUESTS: &str = "roster_http_requests_total";
pub const HTTP_DURATION: &str = "roster_http_request_duration_seconds";
pub const SCIM_OPERATIONS: &str = "roster_scim_operations_total";
pub const SEAT_REFUSALS: &str = "roster_seat_refusals_total";
pub const RATE_LIMIT_REFUSALS: &str = "roster_rate_limit_refusals_total";
pub const JOB_RUNS: &str = "roster_background_job_runs_total";
pub const DB_CONNECTIONS: &str = "roster_db_connections";
pub const DB_QUEUE: &str = "roster_db_queue_depth";

/// Every metric Roster exports; the Grafana dashboard may use only these.
pub const NAMES: &[&str] = &[
    HTTP_REQUESTS,
    HTTP_DURATION,
    SCIM_OPERATIONS,
    SEAT_REFUSALS,
    RATE_LIMIT_REFUSALS,
    JOB_RUNS,
    DB_CONNECTIONS,
    DB_QUEUE,
];

/// Request latency buckets, seconds: from a cached read (well under a millisecond) to the
/// 30 s request timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

/// The database's connections and queue, sampled when metrics are scraped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections serving a request now.
    pub in_use: usize,
    /// Open connections waiting for work.
    pub idle: usize,
    /// Work waiting for the database: on SQLite, writes queued for the writer thread; on
    /// PostgreSQL, requests waiting for a pooled connection.
    pub queued: usize,
    /// Which queue [`queued`](Self::queued) is: `sqlite_writer` or `pool_wait`.
    pub queue: &'static str,
}

/// Marks a response whose request the domain refused for want of a seat, outside SCIM (which
/// counts its own refusals with its operation): the outermost layer counts it under `operation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SeatRefusal {
    pub resource: &'static str,
    /// `console`: a page of the admin console.
    pub operation: &'static str,
}

/// Reads the store's [`PoolStats`]; only the binary (which picks the store) can make one.
pub type PoolSampler = Arc<dyn Fn() -> PoolStats + Send + Sync>;

/// What a SCIM request came to, as one of a few classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimOutcome {
    Success,
    /// Succeeded, leaving out what it could not apply (members of another organization).
    Skipped,
    Invalid,
    Unauthorized,
    NotFound,
    Conflict,
    SeatLimit,
    PreconditionFailed,
    TooLarge,
    RateLimited,
    /// Any other 4xx.
    Refused,
    /// 5xx.
    Error,
}

impl ScimOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Skipped => "skipped",
            Self::Invalid => "invalid",
            Self::Unauthorized => "unauthorized",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::SeatLimit => "seat_limit",
            Self::PreconditionFailed => "precondition_failed",
            Self::TooLarge => "too_large",
            Self::RateLimited => "rate_limited",
            Self::Refused => "refused",
            Self::Error => "error",
        }
    }

    /// The class of a finished request's status; a seat refusal is a 409 the domain marks.
    pub fn of(status: StatusCode, skipped: bool, seat_limit: bool) -> Self {
        match status.as_u16() {
            _ if seat_limit => Self::SeatLimit,
            200..=399 if skipped => Self::Skipped,
            200..=399 => Self::Success,
            400 => Self::Invalid,
            401 | 403 => Self::Unauthorized,
            404 => Self::NotFound,
            409 => Self::Conflict,
            412 => Self::PreconditionFailed,
            413 => Self::TooLarge,
            429 => Self::RateLimited,
            500..=599 => Self::Error,
            _ => Self::Refused,
        }
    }
}

/// The process's counters, histograms and gauges.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    pool: Option<PoolSampler>,
    routes: routes::RouteTable,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("pool", &self.pool.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new(None)
    }
}

impl Metrics {
    pub fn new(pool: Option<PoolSampler>) -> Self {
        let builder = PrometheusBuilder::new();
        // Only fails for an empty bucket list, which this is not; summaries would do then.
        let builder = builder
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let metrics = Self {
            recorder,
            handle,
            pool,
            routes: routes::RouteTable::default(),
        };
        metrics.describe();
        metrics
    }

    fn describe(&self) {
        let r = &self.recorder;
        let counters = [
            (
                HTTP_REQUESTS,
                "HTTP requests answered, by route template, method and status class",
            ),
            (
                SCIM_OPERATIONS,
                "SCIM requests by resource, operation and outcome",
            ),
            (
                SEAT_REFUSALS,
                "Creates and reactivations (SCIM, or the console as operation=\"console\") refused because the organization had no free seat",
            ),
            (
                RATE_LIMIT_REFUSALS,
                "Requests refused with 429 by a rate limit",
            ),
            (JOB_RUNS, "Background job runs by job and outcome"),
        ];
        for (name, help) in counters {
            r.describe_counter(name.into(), None, help.into());
        }
        r.describe_histogram(
            HTTP_DURATION.into(),
            Some(metrics::Unit::Seconds),
            "Time from a request's arrival to its response, by route template and method".into(),
        );
        r.describe_gauge(
            DB_CONNECTIONS.into(),
            None,
            "Database connections by state (in_use, idle), sampled at scrape".into(),
        );
        r.describe_gauge(
            DB_QUEUE.into(),
            None,
            "Work waiting for the database (SQLite: writes queued for the writer; PostgreSQL: requests waiting for a connection)".into(),
        );
    }

    fn counter(&self, name: &'static str, labels: Vec<Label>) -> Counter {
        self.recorder
            .register_counter(&Key::from_parts(name, labels), &METADATA)
    }

    /// One answered request. `route` is the matched route template, or `None` when no route
    /// matched.
    pub fn http_request(
        &self,
        route: Option<&str>,
        method: &Method,
        status: StatusCode,
        elapsed: Duration,
    ) {
        let route = route.unwrap_or("unmatched");
        let series = self.routes.series(route);
        let (m, c) = (routes::method_index(method), routes::class_index(status));
        series.requests[m][c]
            .get_or_init(|| {
                self.counter(
                    HTTP_REQUESTS,
                    vec![
                        Label::new("route", route.to_owned()),
                        Label::new("method", routes::METHODS[m]),
                        Label::new("status", routes::CLASSES[c]),
                    ],
                )
            })
            .increment(1);
        series.durations[m]
            .get_or_init(|| {
                let key = Key::from_parts(
                    HTTP_DURATION,
                    vec![
                        Label::new("route", route.to_owned()),
                        Label::new("method", routes::METHODS[m]),
                    ],
                );
                self.recorder.register_histogram(&key, &METADATA)
            })
            .record(elapsed.as_secs_f64());
    }

    /// One SCIM request with its resource (`User`, `Group`, or a discovery endpoint's name) and
    /// operation (`create`, `replace`, `update`, `delete`, `get`, `list`, `search`).
    pub fn scim_operation(
        &self,
        resource: &'static str,
        operation: &'static str,
        outcome: ScimOutcome,
    ) {
        self.counter(
            SCIM_OPERATIONS,
            vec![
                Label::new("resource", resource),
                Label::new("operation", operation),
                Label::new("outcome", outcome.as_str()),
            ],
        )
        .increment(1);
        if outcome == ScimOutcome::SeatLimit {
            self.seat_refused(resource, operation);
        }
    }

    /// A create or reactivation refused for want of a seat: by SCIM (its operation) or by the
    /// console (`console`).
    pub fn seat_refused(&self, resource: &'static str, operation: &'static str) {
        self.counter(
            SEAT_REFUSALS,
            vec![
                Label::new("resource", resource),
                Label::new("operation", operation),
            ],
        )
        .increment(1);
    }

    /// A request refused by the per-organization request rate.
    pub fn rate_limited(&self, limit: &'static str) {
        self.counter(RATE_LIMIT_REFUSALS, vec![Label::new("limit", limit)])
            .increment(1);
    }

    /// One run of a background job; `outcome` is `success` or `failure`.
    pub fn job_run(&self, job: &'static str, ok: bool) {
        let outcome = if ok { "success" } else { "failure" };
        self.counter(
            JOB_RUNS,
            vec![Label::new("job", job), Label::new("outcome", outcome)],
        )
        .increment(1);
    }

    /// The Prometheus text exposition of everything counted so far, with the pool sampled now.
    pub fn render(&self) -> String {
        if let Some(sample) = &self.pool {
            let stats = sample();
            let gauge = |name: &'static str, label: (&'static str, &'static str), value: usize| {
                let key = Key::from_parts(name, vec![Label::new(label.0, label.1)]);
                #[expect(
                    clippy::cast_precision_loss,
                    reason = "connection and queue counts are far below 2^52"
                )]
                self.recorder
                    .register_gauge(&key, &METADATA)
                    .set(value as f64);
            };
            gauge(DB_CONNECTIONS, ("state", "in_use"), stats.in_use);
            gauge(DB_CONNECTIONS, ("state", "idle"), stats.idle);
            gauge(DB_QUEUE, ("queue", stats.queue), stats.queued);
        }
        self.handle.render()
    }

    /// Folds recorded latencies into their buckets. Without it, samples recorded between
    /// scrapes are kept one by one, so `roster serve` runs it every few seconds.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }
}

/// The `resource` and `operation` labels of a SCIM request, from its route template (relative
/// to the tenant URL) and method.
pub(crate) fn scim_labels(method: &Method, route: &str) -> (&'static str, &'static str) {
    let mut segments = route.trim_start_matches('/').split('/');
    let resource = match segments.next() {
        Some("Users") => "User",
        Some("Groups") => "Group",
        Some(".search") => "all",
        Some("ServiceProviderConfig") => "ServiceProviderConfig",
        Some("ResourceTypes") => "ResourceType",
        Some("Schemas") => "Schema",
        _ => "other",
    };
    let item = segments.next();
    let operation = match (method, item) {
        (_, Some(".search")) => "search",
        (&Method::POST, None) if resource == "all" => "search",
        (&Method::POST, None) => "create",
        (&Method::GET, None) => "list",
        (&Method::GET, Some(_)) => "get",
        (&Method::PUT, Some(_)) => "replace",
        (&Method::PATCH, Some(_)) => "update",
        (&Method::DELETE, Some(_)) => "delete",
        _ => "other",
    };
    (resource, operation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_and_statuses_map_to_a_few_label_values() {
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(routes::METHODS[routes::method_index(&odd)], "other");
        assert_eq!(
            routes::CLASSES[routes::class_index(StatusCode::IM_A_TEAPOT)],
            "4xx"
        );
        assert_eq!(
            ScimOutcome::of(StatusCode::CONFLICT, false, true),
            ScimOutcome::SeatLimit
        );
        assert_eq!(
            ScimOutcome::of(StatusCode::CREATED, true, false),
            ScimOutcome::Skipped
        );
    }

    #[test]
    fn latencies_render_as_a_histogram_with_buckets() {
        let metrics = Metrics::default();
        metrics.http_request(
            Some("/healthz"),
            &Method::GET,
            StatusCode::OK,
            Duration::from_millis(3),
        );
        let text = metrics.render();
        assert!(
            text.contains(
                "roster_http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"0.005\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "roster_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"2xx\"} 1"
            ),
            "{text}"
        );
    }
}
