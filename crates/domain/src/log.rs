//! The provisioning log (SPEC §2.8): what administrators read next to Entra's own logs.
//!
//! Its history must survive a hostile or runaway client: a request writes one entry whatever it
//! carries (skipped member values are counted and sampled in it), refusals of a request flood are
//! digested to one entry per organization and minute, and entries leave only by age.

use std::{
    collections::HashMap,
    str::FromStr,
    sync::Mutex,
    time::{Duration, Instant},
};

use serde::Serialize;
use time::OffsetDateTime;

use crate::{Error, OrgId};

/// The status of a refusal for exceeding the request rate.
const TOO_MANY_REQUESTS: u16 = 429;
/// One rate-limit refusal per organization is written per window; the others are counted.
const FLOOD_WINDOW: Duration = Duration::from_secs(60);

/// Which rate-limit refusals are written, per organization.
#[derive(Debug, Default)]
pub(crate) struct FloodDigest {
    windows: Mutex<HashMap<OrgId, FloodWindow>>,
}

#[derive(Debug)]
struct FloodWindow {
    opened: Instant,
    /// Refusals not written since the window opened.
    unwritten: u64,
}

impl FloodDigest {
    /// The entry to write, or `None` when it is a rate-limit refusal within a minute of the last
    /// one written for its organization (then it is only counted). The first refusal of a new
    /// window says how many the previous one left unwritten.
    pub(crate) fn admit(&self, mut entry: LogEntry) -> Option<LogEntry> {
        if entry.status != TOO_MANY_REQUESTS {
            return Some(entry);
        }
        // A poisoned lock only means a panic elsewhere; the counts are still usable.
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        match windows.get_mut(&entry.org_id) {
            Some(window) if now.duration_since(window.opened) < FLOOD_WINDOW => {
                window.unwritten += 1;
                None
            }
            Some(window) => {
                let unwritten = std::mem::take(&mut window.unwritten);
                window.opened = now;
                if unwritten > 0 {
                    let detail = entry.detail.take().unwrap_or_default();
                    entry.detail = Some(format!(
                        "{detail} ({unwritten} more requests were refused for the rate in the minute before this one and are not listed one by one)"
                    ));
                }
                Some(entry)
            }
            None => {
                windows.insert(
                    entry.org_id,
                    FloodWindow {
                        opened: now,
                        unwritten: 0,
                    },
                );
                Some(entry)
            }
        }
    }
}

/// Entries older than this are trimmed by the retention job; nothing else removes them.
pub const LOG_RETENTION_DAYS: i64 = 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
    /// A part of a request that was deliberately not applied (e.g. a member from another
    /// organization).
    Skipped,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Skipped => "skipped",
        }
    }
}

/// The text [`Outcome::as_str`] gives; anything else is an error.
impl FromStr for Outcome {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "success" => Ok(Self::Success),
            "failure" => Ok(Self::Failure),
            "skipped" => Ok(Self::Skipped),
            other => Err(Error::Invalid(format!(
                "unknown outcome '{other}': use success, failure or skipped"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    pub org_id: OrgId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// e.g. `POST /Users`, `PATCH /Groups/{id}`.
    pub operation: String,
    /// `User` or `Group`.
    pub resource_type: String,
    pub resource_id: Option<String>,
    /// The `userName` or `displayName` concerned, when known.
    pub name: Option<String>,
    pub outcome: Outcome,
    pub status: u16,
    pub detail: Option<String>,
    pub duration_ms: u64,
    pub client_request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_read_back_what_they_write_and_nothing_else() {
        for outcome in [Outcome::Success, Outcome::Failure, Outcome::Skipped] {
            assert_eq!(outcome.as_str().parse::<Outcome>().ok(), Some(outcome));
        }
        assert!("Success".parse::<Outcome>().is_err());
        assert!("".parse::<Outcome>().is_err());
    }
}
