//! Structured logs on stderr: human-readable by default, JSON with `ROSTER_LOG_FORMAT=json`;
//! levels from `ROSTER_LOG` (e.g. `info`, `roster_web=debug`). CLI commands default to warnings
//! only, so `--json` output on stdout stays clean.

use tracing::Level;
use tracing_subscriber::{EnvFilter, Layer, filter::filter_fn, fmt, prelude::*};

/// The PostgreSQL driver logs every statement's parameters at debug level — userNames, tokens'
/// hashes, whatever a request carried. No setting of `ROSTER_LOG` may turn that on, so the
/// driver's records above info are dropped whatever the filter says.
fn driver_detail(meta: &tracing::Metadata<'_>) -> bool {
    !(meta.target().starts_with("tokio_postgres") && *meta.level() > Level::INFO)
}

pub fn init(serving: bool) {
    let default = if serving { "info" } else { "warn" };
    let filter = EnvFilter::try_from_env("ROSTER_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let json = std::env::var("ROSTER_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let layer = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let layer = if json {
        layer.json().flatten_event(true).boxed()
    } else {
        layer.compact().boxed()
    };
    // A second init (never in the binary, possible in tests) is harmless.
    let _ = tracing_subscriber::registry()
        .with(
            layer
                .with_filter(filter_fn(driver_detail))
                .with_filter(filter),
        )
        .try_init();
}
