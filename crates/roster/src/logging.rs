//! Structured logs on stderr: human-readable by default, JSON with `ROSTER_LOG_FORMAT=json`;
//! levels from `ROSTER_LOG` (e.g. `info`, `roster_web=debug`). CLI commands default to warnings
//! only, so `--json` output on stdout stays clean.

use tracing_subscriber::{EnvFilter, fmt};

pub fn init(serving: bool) {
    let default = if serving { "info" } else { "warn" };
    let filter = EnvFilter::try_from_env("ROSTER_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let json = std::env::var("ROSTER_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    // A second init (never in the binary, possible in tests) is harmless.
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.compact().try_init()
    };
}
