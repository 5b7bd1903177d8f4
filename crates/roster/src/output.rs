//! Command output: one JSON document with `--json`, otherwise lines for people.

use std::io::{ErrorKind, Write};

use serde::Serialize;

pub fn print<T: Serialize>(
    json: bool,
    value: &T,
    human: impl FnOnce(&T) -> String,
) -> anyhow::Result<()> {
    let text = if json {
        serde_json::to_string_pretty(value)?
    } else {
        human(value)
    };
    match writeln!(std::io::stdout().lock(), "{text}") {
        // A reader that stopped early (`roster log ORG | head`) is not an error.
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
