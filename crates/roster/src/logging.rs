//! Structured logs on stderr: human-readable by default, JSON with `ROSTER_LOG_FORMAT=json`;
//! levels from `ROSTER_LOG` (e.g. `info`, `roster_web=debug`). CLI commands default to warnings
//! only, so `--json` output on stdout stays clean.

use std::{
    cell::{Cell, RefCell},
    fs::File,
    io::{self, Write},
    os::fd::AsFd,
    sync::OnceLock,
};

use tracing::Level;
use tracing_subscriber::{
    EnvFilter, Layer,
    filter::filter_fn,
    fmt::{self, writer::MakeWriter},
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
/// stay whole; waiting for each other in `Stderr`'s lock cost the workers about a microsecond
/// per request under load.
///
/// A runtime worker holds its lines until it is about to sleep ([`write_held_lines`], run by
/// the runtime) or they fill [`HELD_BYTES`]: a `write` system call per request was ~2 µs of
/// every request's CPU, the access line's share of a `/healthz`. An idle server writes each
/// line at once; a busy one every few dozen lines, each write whole lines within a pipe's atomic
/// size, so the workers' batches never tear each other's lines. Other threads (start-up, the
/// main thread, SQLite's writer) write each line at once.
struct StderrLines;

/// Stderr's file description; `None` when stderr is closed (`Stderr` then drops what it gets).
static STDERR: OnceLock<Option<File>> = OnceLock::new();

/// Most bytes of lines a worker holds: `PIPE_BUF`, what one write to a pipe keeps whole.
const HELD_BYTES: usize = 4096;

thread_local! {
    /// Lines this thread holds for its next write.
    static HELD: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Whether this thread holds lines: set once it is known to be a runtime worker.
    static HOLDS: Cell<bool> = const { Cell::new(false) };
}

impl StderrLines {
    fn open() -> Self {
        STDERR.get_or_init(|| {
            std::io::stderr()
                .as_fd()
                .try_clone_to_owned()
                .ok()
                .map(File::from)
        });
        Self
    }
}

impl<'a> MakeWriter<'a> for StderrLines {
    type Writer = Lines<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Lines::stderr()
    }
}

/// The runtime's hook for a worker about to sleep: from now on the thread holds its lines, and
/// it writes those it holds.
pub fn write_held_lines() {
    HOLDS.set(true);
    let _ = Lines::stderr().write_held();
}

/// The runtime's hook for a thread that stops: it writes what it holds, and any line after
/// (while the thread ends) at once.
pub fn stop_holding_lines() {
    HOLDS.set(false);
    let _ = Lines::stderr().write_held();
}

/// One log line's writer: to `.0`, or to `Stderr` when there is none.
pub struct Lines<'a>(Option<&'a File>);

impl Lines<'static> {
    fn stderr() -> Self {
        Lines(STDERR.get().and_then(Option::as_ref))
    }
}

impl Lines<'_> {
    fn write_now(&self, bytes: &[u8]) -> io::Result<()> {
        match self.0 {
            Some(mut file) => file.write_all(bytes),
            None => std::io::stderr().write_all(bytes),
        }
    }

    /// Writes the lines this thread holds. A thread ending (its held lines already gone with
    /// its locals) has none.
    fn write_held(&self) -> io::Result<()> {
        HELD.try_with(|held| match held.try_borrow_mut() {
            Ok(mut held) => self.write_out(&mut held),
            Err(_) => Ok(()),
        })
        .unwrap_or(Ok(()))
    }

    /// Writes `held` (if anything) and empties it, written or not.
    fn write_out(&self, held: &mut Vec<u8>) -> io::Result<()> {
        if held.is_empty() {
            return Ok(());
        }
        let written = self.write_now(held);
        held.clear();
        written
    }

    /// Holds `line`, after writing what is held if they would not fit together; `None` when this
    /// thread cannot hold it (too long, or the thread is ending).
    fn hold(&self, line: &[u8]) -> Option<io::Result<()>> {
        if line.len() > HELD_BYTES {
            return None;
        }
        HELD.try_with(|held| {
            let mut held = held.try_borrow_mut().ok()?;
            if held.len() + line.len() > HELD_BYTES
                && let Err(e) = self.write_out(&mut held)
            {
                return Some(Err(e));
            }
            held.extend_from_slice(line);
            Some(Ok(()))
        })
        .ok()
        .flatten()
    }
}

impl io::Write for Lines<'_> {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        if HOLDS.get()
            && let Some(held) = self.hold(line)
        {
            return held.map(|()| line.len());
        }
        // In the order logged: what this thread holds, then the line.
        self.write_held()?;
        self.write_now(line)?;
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Seek};

    use super::*;

    fn written(file: &mut File) -> String {
        let mut text = String::new();
        file.rewind().unwrap();
        file.read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn a_thread_that_is_not_a_worker_writes_each_line_at_once() {
        let mut file = tempfile::tempfile().unwrap();
        let target = file.try_clone().unwrap();
        Lines(Some(&target)).write_all(b"one\n").unwrap();
        assert_eq!(written(&mut file), "one\n");
    }

    #[test]
    fn a_worker_holds_its_lines_until_it_sleeps_or_they_would_pass_a_pipe_write() {
        let mut file = tempfile::tempfile().unwrap();
        let target = file.try_clone().unwrap();
        HOLDS.set(true);
        Lines(Some(&target)).write_all(b"first\n").unwrap();
        Lines(Some(&target)).write_all(b"second\n").unwrap();
        assert_eq!(written(&mut file), "", "held");
        Lines(Some(&target)).write_held().unwrap();
        assert_eq!(written(&mut file), "first\nsecond\n");

        let line = format!("{}\n", "x".repeat(999));
        for _ in 0..4 {
            Lines(Some(&target)).write_all(line.as_bytes()).unwrap();
        }
        assert_eq!(written(&mut file).len(), 13, "4,000 bytes fit");
        Lines(Some(&target)).write_all(line.as_bytes()).unwrap();
        assert_eq!(
            written(&mut file).len(),
            13 + 4000,
            "the held ones first, whole"
        );
        let long = format!("{}\n", "y".repeat(HELD_BYTES));
        Lines(Some(&target)).write_all(long.as_bytes()).unwrap();
        let text = written(&mut file);
        assert_eq!(text.len(), 13 + 5000 + long.len(), "in the order logged");
        assert!(text.ends_with(&long));
        Lines(Some(&target)).write_held().unwrap();
        assert_eq!(
            written(&mut file).len(),
            13 + 5000 + long.len(),
            "nothing held"
        );
    }

    #[test]
    fn a_stopping_thread_writes_what_it_holds_and_holds_nothing_after() {
        let mut file = tempfile::tempfile().unwrap();
        let target = file.try_clone().unwrap();
        HOLDS.set(true);
        Lines(Some(&target)).write_all(b"held\n").unwrap();
        assert_eq!(written(&mut file), "");
        HOLDS.set(false);
        Lines(Some(&target)).write_all(b"after\n").unwrap();
        assert_eq!(written(&mut file), "held\nafter\n", "in the order logged");
    }
}
