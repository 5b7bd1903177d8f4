//! The provisioning log (SPEC §2.8): what administrators read next to Entra's own logs.

use std::str::FromStr;

use serde::Serialize;
use time::OffsetDateTime;

use crate::{Error, OrgId};

/// Entries kept per organization; older ones are trimmed by the background job.
pub const LOG_ENTRIES_KEPT_PER_ORG: u32 = 100_000;
/// Entries older than this are trimmed whatever their number.
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
