//! `roster serve`: binds, serves until SIGTERM or Ctrl-C, then lets in-flight requests finish
//! (within the shutdown deadline of [`Limits`]).

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use anyhow::Context;
use roster_domain::Roster;
use roster_web::{AppState, Metrics, MetricsToken, PoolSampler, app};
use tokio::net::TcpListener;

use crate::connections::{self, Limits};

/// Where `/metrics` is served (README, "Metrics").
pub struct MetricsConfig {
    /// Reads the store's connection figures.
    pub pool: PoolSampler,
    /// A separate listener serving `/metrics` without authentication.
    pub listen: Option<SocketAddr>,
    /// Opens `/metrics` on the main listener.
    pub token: Option<MetricsToken>,
}

/// How often recorded latencies are folded into their histogram buckets.
const METRICS_UPKEEP: Duration = Duration::from_secs(5);

/// The metrics token from its file; the file's content is never printed.
pub fn read_metrics_token(path: &Path) -> anyhow::Result<MetricsToken> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the metrics token file {}", path.display()))?;
    MetricsToken::new(&text)
        .map_err(|why| anyhow::anyhow!("the metrics token file {}: {why}", path.display()))
}

/// When the background job runs, and how long the change feed keeps events.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub interval: Duration,
    pub event_days: u32,
}

/// How webhooks are delivered.
#[derive(Debug, Clone, Copy)]
pub struct Webhooks {
    pub tick: Duration,
    pub timeout: Duration,
    pub allow_private: bool,
    pub policy: roster_domain::DeliveryPolicy,
}

#[expect(
    clippy::too_many_arguments,
    reason = "one value per concern of the serve command"
)]
pub async fn run(
    roster: Roster,
    listen: SocketAddr,
    public_url: Option<String>,
    retention: Retention,
    webhooks: Webhooks,
    rate_limit: roster_web::RateLimit,
    limits: Limits,
    metrics: MetricsConfig,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let local = listener.local_addr().context("reading the bound address")?;
    let metrics_listener = match metrics.listen {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("listening for metrics on {addr}"))?,
        ),
        None => None,
    };
    // Without a configured public URL, tenant URLs point at the address actually bound (which
    // differs from --listen when that asks for port 0).
    let public_url = public_url.unwrap_or_else(|| format!("http://{local}"));
    let public_url = public_url.as_str();
    let flusher = roster.clone();
    let roster_for_setup = roster.clone();
    let transport: Arc<dyn roster_domain::WebhookTransport> = Arc::new(
        roster_web::WebhookClient::new(webhooks.timeout, webhooks.allow_private),
    );
    let mut state = AppState::new(roster.clone(), public_url)
        .with_webhook_transport(transport.clone())
        .with_rate_limit(rate_limit)
        .with_pool_stats(metrics.pool);
    if let Some(token) = metrics.token {
        state = state.with_metrics_token(token);
    }
    let counters = state.metrics.clone();
    let retention = tokio::spawn(retention_job(roster.clone(), retention, counters.clone()));
    let delivery = tokio::spawn(webhook_job(
        roster.clone(),
        transport,
        webhooks,
        counters.clone(),
    ));
    let activity = tokio::spawn(activity_job(roster, counters.clone()));
    let upkeep = tokio::spawn(upkeep_job(counters.clone()));
    let background = state.background.clone();
    let console = state.console.clone();
    let router = app(state);
    tracing::info!(
        listen.addr = %local,
        public_url,
        connections.max = limits.max_connections,
        "listening on {local}"
    );
    let metrics_server = match metrics_listener {
        Some(listener) => {
            let addr = listener
                .local_addr()
                .context("reading the bound metrics address")?;
            tracing::info!(metrics.addr = %addr, "serving metrics on http://{addr}/metrics");
            let app = roster_web::metrics::endpoint::listener_app(counters);
            Some(tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            }))
        }
        None => None,
    };
    offer_setup(&roster_for_setup, &console, public_url).await?;
    connections::serve(listener, router, limits, shutdown_signal()).await;
    retention.abort();
    delivery.abort();
    upkeep.abort();
    if let Some(server) = metrics_server {
        server.abort();
    }
    background.close();
    if tokio::time::timeout(Duration::from_secs(10), background.wait())
        .await
        .is_err()
    {
        tracing::warn!("stopped before every provisioning log entry was written");
    }
    activity.abort();
    // The last requests' activity, which the periodic flush has not written yet.
    if let Err(e) = flusher.flush_scim_activity().await {
        tracing::warn!(error = %e, "could not write the last SCIM activity figures");
    }
    tracing::info!("stopped");
    Ok(())
}

/// With no administrator yet, prints the one-time link to the console's first-run setup page.
/// It goes to stderr, not into the structured log: the code opens the console to whoever holds
/// it, so it must not be kept by log collectors beyond the operator's terminal.
async fn offer_setup(
    roster: &Roster,
    console: &roster_web::Console,
    public_url: &str,
) -> anyhow::Result<()> {
    if !roster
        .setup_needed()
        .await
        .context("checking whether an administrator exists")?
    {
        return Ok(());
    }
    let code = console
        .arm_setup()
        .context("reading the OS random number generator for the setup code")?;
    eprintln!(
        "Roster has no administrator yet. Open this link to create the first organization and its administrator (it works once, until this process stops):\n  {}/console/setup/{code}",
        public_url.trim_end_matches('/')
    );
    Ok(())
}

/// How often SCIM activity counted in memory is written: the console's figures lag this much
/// behind on other instances (the serving instance adds its unwritten counts).
const ACTIVITY_FLUSH: Duration = Duration::from_secs(30);

/// Writes the SCIM activity counted in memory every [`ACTIVITY_FLUSH`]; what fails is kept and
/// written with the next flush.
async fn activity_job(roster: Roster, metrics: Arc<Metrics>) {
    let mut ticks = tokio::time::interval(ACTIVITY_FLUSH);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let flushed = roster.flush_scim_activity().await;
        metrics.job_run("activity_flush", flushed.is_ok());
        if let Err(e) = flushed {
            tracing::warn!(error = %e, "could not write SCIM activity figures; retrying at the next flush");
        }
    }
}

/// Delivers webhooks every `tick`. This instance's name in claims is made once per process,
/// so a restarted instance waits for its predecessor's leases like any other instance.
async fn webhook_job(
    roster: Roster,
    transport: Arc<dyn roster_domain::WebhookTransport>,
    webhooks: Webhooks,
    metrics: Arc<Metrics>,
) {
    let instance = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let mut ticks = tokio::time::interval(webhooks.tick);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let round = roster
            .deliver_webhooks(transport.clone(), webhooks.policy, &instance)
            .await;
        metrics.job_run("webhook_delivery", round.is_ok());
        if let Err(e) = round {
            tracing::error!(error = %e, "webhook delivery round failed; retrying at the next tick");
        }
    }
}

async fn upkeep_job(metrics: Arc<Metrics>) {
    let mut ticks = tokio::time::interval(METRICS_UPKEEP);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        metrics.upkeep();
    }
}

/// Runs retention at start and then every `interval`. A failed run is logged and retried at the
/// next tick; several instances may run it at once, since a purge is idempotent.
async fn retention_job(roster: Roster, retention: Retention, metrics: Arc<Metrics>) {
    let mut ticks = tokio::time::interval(retention.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let purge = roster.run_retention(None, false).await;
        metrics.job_run("retention", purge.is_ok());
        match purge {
            Ok(report) => tracing::debug!(
                purged = report.purged.len(),
                log.trimmed = report.log_entries_trimmed,
                "retention run finished"
            ),
            Err(e) => {
                tracing::error!(error = %e, "retention run failed; retrying at the next interval")
            }
        }
        // Expired console sessions and old failed sign-ins: nothing reads them any more.
        let console = roster.trim_console().await;
        metrics.job_run("console_trim", console.is_ok());
        if let Err(e) = console {
            tracing::error!(error = %e, "trimming console sessions failed; retrying at the next interval");
        }
        let events = roster.trim_events(retention.event_days).await;
        metrics.job_run("event_trim", events.is_ok());
        match events {
            Ok(n) => tracing::debug!(events.trimmed = n, "change feed trimmed"),
            Err(e) => {
                tracing::error!(error = %e, "trimming the change feed failed; retrying at the next interval")
            }
        }
        // Sign-ins started and never finished: their flows are past use.
        let flows = roster.trim_sso_flows().await;
        metrics.job_run("sso_flow_trim", flows.is_ok());
        if let Err(e) = flows {
            tracing::error!(error = %e, "trimming expired sign-ins failed; retrying at the next interval");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
