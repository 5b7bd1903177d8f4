//! Why a request failed with a 5xx, carried from where it is known to where it is logged.
//!
//! The site that turns a failure into a 5xx answer attaches a [`Cause`] to the response instead
//! of logging; the outermost middleware ([`crate::metrics::observe`]) then logs every 5xx exactly
//! once, with the request id, route, status and that cause.

use std::sync::Arc;

use axum::response::Response;

/// The error behind a 5xx response, as one line (the error and its sources).
#[derive(Debug, Clone)]
pub struct Cause(pub Arc<str>);

impl Cause {
    pub fn new(what: &str, error: &(dyn std::error::Error + 'static)) -> Self {
        Self(format!("{what}: {}", chain(error)).into())
    }

    pub fn text(text: impl Into<Arc<str>>) -> Self {
        Self(text.into())
    }
}

/// `error: source: source's source`.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let line = inner.to_string();
        if !text.ends_with(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = inner.source();
    }
    text
}

/// `response` carrying `cause` for the log.
pub fn with_cause(mut response: Response, cause: Cause) -> Response {
    response.extensions_mut().insert(cause);
    response
}
