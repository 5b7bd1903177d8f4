//! Structured logs on stderr: human-readable by default, JSON with `ROSTER_LOG_FORMAT=json`;
//! levels from `ROSTER_LOG` (e.g. `info`, `roster_web=debug`). CLI commands default to warnings
//! only, so `--json` output on stdout stays clean.

use std::{fs::File, io::Stderr, os::fd::AsFd};

use tracing::Level;
use tracing_subscriber::{
    EnvFilter, Layer,
    filter::filter_fn,
    fmt::{
        self,
        writer::{EitherWriter, MakeWriter},
    },
    prelude::*,
};

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
        .with_writer(StderrLines::open())
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

/// Where log lines go: stderr's file description, written without the lock `Stderr` takes.
/// Each line is formatted whole and handed over in one `write_all`, so lines of the two workers
/// stay whole (on a pipe, up to its atomic size of 4 KiB); waiting for each other in `Stderr`'s
/// lock cost the workers about a microsecond per request under load.
struct StderrLines(Option<File>);

impl StderrLines {
    fn open() -> Self {
        // Only fails when stderr is closed; `Stderr` then drops what it is given.
        Self(
            std::io::stderr()
                .as_fd()
                .try_clone_to_owned()
                .ok()
                .map(File::from),
        )
    }
}

impl<'a> MakeWriter<'a> for StderrLines {
    type Writer = EitherWriter<&'a File, Stderr>;

    fn make_writer(&'a self) -> Self::Writer {
        match &self.0 {
            Some(file) => EitherWriter::A(file),
            None => EitherWriter::B(std::io::stderr()),
        }
    }
}
