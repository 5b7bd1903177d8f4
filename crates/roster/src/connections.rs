//! The HTTP/1.1 accept loop of `roster serve`: how long a connection may take to send a request
//! head or sit idle, how many connections may be open at once, and how long shutdown waits.
//!
//! Each accepted socket is wrapped in [`QueryEncodingStream`] (raw query characters reach the
//! router percent-encoded) and served by hyper with a timer, so its header-read timeout works.
//! hyper starts that timer whenever the connection is ready for a request — when it opens and
//! after each response — so the one timeout bounds both a client trickling its headers and an
//! idle keep-alive connection.

use std::{
    future::Future,
    io,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{Router, extract::ConnectInfo, http::Request};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use roster_web::QueryEncodingStream;
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt;

/// Limits on connections; `roster serve` flags set them (README, "Connections").
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time a connection has to deliver a complete request head, counted from when it opens or
    /// its previous response was sent (so also the keep-alive idle timeout).
    pub header_timeout: Duration,
    /// Connections open at once; beyond it, new ones wait in the listen backlog.
    pub max_connections: usize,
    /// After SIGTERM, time requests in flight get before the process exits regardless.
    pub shutdown_timeout: Duration,
}

/// The default connection cap: 1,024, or less when the open-file limit is low, leaving room for
/// the database's files and sockets.
pub fn default_max_connections() -> usize {
    const DEFAULT: usize = 1024;
    const RESERVED_FDS: usize = 64;
    match open_file_limit() {
        Some(limit) => DEFAULT.min(limit.saturating_sub(RESERVED_FDS)).max(1),
        None => DEFAULT,
    }
}

/// The soft `RLIMIT_NOFILE`, read from `/proc` (Linux; `None` elsewhere or when unlimited).
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A wait on an `accept` error that is not about one connection (EMFILE, ENFILE, ENOBUFS), so
/// the loop neither dies nor spins while descriptors are short.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(250);

/// Repeated warnings (connection cap reached, accept failing) are logged at most this often.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting, lets requests in
/// flight finish for at most `limits.shutdown_timeout`, and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let mut at_cap = Throttled::default();
    let mut accept_failing = Throttled::default();
    tokio::pin!(shutdown);
    loop {
        let permit = match Arc::clone(&permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if let Some(suppressed) = at_cap.due() {
                    tracing::warn!(
                        connections.max = limits.max_connections,
                        connections.waits_since_last_warning = suppressed,
                        "connection limit reached: new connections wait until one closes"
                    );
                }
                tokio::select! {
                    permit = Arc::clone(&permits).acquire_owned() => match permit {
                        Ok(permit) => permit,
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    if let Some(suppressed) = accept_failing.due() {
                        tracing::error!(
                            error = %e,
                            errors_since_last_log = suppressed,
                            "cannot accept connections; retrying shortly"
                        );
                    }
                    tokio::select! {
                        () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                        () = &mut shutdown => break,
                    }
                }
            },
            () = &mut shutdown => break,
        };
        let io = TokioIo::new(QueryEncodingStream::new(stream));
        // The peer address, for the console's audit log and sign-in throttling.
        let service = router
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection =
            graceful.watch(builder.serve_connection(io, TowerToHyperService::new(service)));
        let header_timeout = limits.header_timeout;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                if e.is_timeout() {
                    tracing::debug!(
                        timeout.secs = header_timeout.as_secs(),
                        "closed a connection that sent no complete request in time"
                    );
                } else {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    let open = limits.max_connections - permits.available_permits();
    tracing::info!(connections.open = open, "stopped accepting connections");
    if tokio::time::timeout(limits.shutdown_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            connections.open = limits.max_connections - permits.available_permits(),
            timeout.secs = limits.shutdown_timeout.as_secs(),
            "shutdown deadline passed: closing connections with requests unfinished"
        );
    }
}

/// Errors about one connection (it was reset before being accepted): try the next one at once.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Logs a repeated condition once per burst: the first time, then at most once per
/// [`WARN_EVERY`], counting what it left out.
#[derive(Debug, Default)]
struct Throttled {
    last: Option<Instant>,
    suppressed: u64,
}

impl Throttled {
    /// `Some(occurrences left unlogged since the last log)` when this one is to be logged.
    fn due(&mut self) -> Option<u64> {
        let now = Instant::now();
        if self.last.is_some_and(|last| now < last + WARN_EVERY) {
            self.suppressed += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.suppressed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_condition_is_logged_once_per_burst() {
        let mut throttled = Throttled::default();
        assert_eq!(throttled.due(), Some(0));
        assert_eq!(throttled.due(), None);
        assert_eq!(throttled.due(), None);
        throttled.last = Some(Instant::now() - WARN_EVERY);
        assert_eq!(
            throttled.due(),
            Some(2),
            "the next log counts what it left out"
        );
    }

    #[test]
    fn the_default_connection_cap_fits_the_open_file_limit() {
        let cap = default_max_connections();
        assert!((1..=1024).contains(&cap));
        if let Some(limit) = open_file_limit() {
            assert!(cap < limit);
        }
    }
}
