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

/// `text` safe to print on a terminal: control characters (ESC, CR, a newline inside a
/// `userName`, ...) are shown escaped (`\u{1b}`), so stored data can neither drive the terminal
/// nor forge lines of output.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(printable("ada@x.org"), "ada@x.org");
        assert_eq!(printable("José Ñ 中"), "José Ñ 中");
        assert_eq!(
            printable("evil\u{1b}[2J\nPOST /Users 201\r\u{9b}"),
            "evil\\u{1b}[2J\\u{a}POST /Users 201\\u{d}\\u{9b}"
        );
    }
}
