//! The provisioning log (SPEC §2.8): what administrators read next to Entra's own logs.
//!
//! Its history must survive a hostile or runaway client: a request writes one entry whatever it
//! carries (skipped member values are counted and sampled in it), refusals of a request flood are
//! digested to one entry per organization and minute, and entries leave only by age.

use std::{collections::HashMap, str::FromStr, sync::Mutex};

use serde::Serialize;
use time::OffsetDateTime;

use crate::{AccountId, Error, OrgId};

/// The status of a refusal for exceeding the request rate.
const TOO_MANY_REQUESTS: u16 = 429;
/// The period over which an organization's entries are counted.
const FLOOD_WINDOW: time::Duration = time::Duration::minutes(1);
/// Entries one organization may add per minute: twice the pace (25 requests/s) Microsoft asks
/// gallery apps to sustain, so a real sync is logged whole and a flood of any kind adds a bounded
/// number of rows.
pub const LOG_ENTRIES_PER_MINUTE: u64 = 3_000;

/// Which entries are written, per organization and minute: at most [`LOG_ENTRIES_PER_MINUTE`],
/// and of rate-limit refusals only the first. What is left out is counted, and the first entry
/// written in the next minute says how many.
#[derive(Debug, Default)]
pub(crate) struct FloodDigest {
    windows: Mutex<HashMap<OrgId, FloodWindow>>,
}

#[derive(Debug)]
struct FloodWindow {
    /// When the window opened (the entries' own times, from the injected clock).
    opened: OffsetDateTime,
    written: u64,
    rate_limited: bool,
    /// Entries left out in this window.
    unwritten: u64,
    /// Left out in the previous window, not yet reported.
    to_report: u64,
}

impl FloodDigest {
    /// The entry to write, or `None` when its organization's window is full (or already holds
    /// a rate-limit refusal and this is another); then it is only counted.
    pub(crate) fn admit(&self, mut entry: LogEntry) -> Option<LogEntry> {
        // A poisoned lock only means a panic elsewhere; the counts are still usable.
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let now = entry.at;
        let window = windows.entry(entry.org_id).or_insert(FloodWindow {
            opened: now,
            written: 0,
            rate_limited: false,
            unwritten: 0,
            to_report: 0,
        });
        if now - window.opened >= FLOOD_WINDOW {
            window.to_report += std::mem::take(&mut window.unwritten);
            window.opened = now;
            window.written = 0;
            window.rate_limited = false;
        }
        let rate_limited = entry.status == TOO_MANY_REQUESTS;
        if window.written >= LOG_ENTRIES_PER_MINUTE || (rate_limited && window.rate_limited) {
            window.unwritten += 1;
            return None;
        }
        window.written += 1;
        window.rate_limited |= rate_limited;
        let left_out = std::mem::take(&mut window.to_report);
        if left_out > 0 {
            let detail = entry
                .detail
                .take()
                .map(|d| format!("{d} "))
                .unwrap_or_default();
            entry.detail = Some(format!(
                "{detail}({left_out} earlier requests of this organization are not listed one by one: a flood of refusals, or more than {LOG_ENTRIES_PER_MINUTE} entries in a minute)"
            ));
        }
        Some(entry)
    }
}

#[cfg(test)]
mod flood_tests {
    use time::macros::datetime;

    use super::*;

    fn entry(org: OrgId, at: OffsetDateTime, status: u16) -> LogEntry {
        LogEntry {
            org_id: org,
            at,
            operation: "GET /Users/{id}".into(),
            resource_type: "User".into(),
            resource_id: None,
            name: None,
            outcome: Outcome::Failure,
            status,
            detail: Some("refused".into()),
            duration_ms: 0,
            client_request_id: None,
        }
    }

    #[test]
    fn a_minute_holds_a_bounded_number_of_entries_and_one_rate_limit_refusal() {
        let digest = FloodDigest::default();
        let (org, other) = (OrgId::new_random(), OrgId::new_random());
        let t = datetime!(2026-01-01 0:00 UTC);
        assert!(digest.admit(entry(org, t, 429)).is_some());
        assert!(digest.admit(entry(org, t, 429)).is_none());
        let written = (0..5_000)
            .filter(|_| digest.admit(entry(org, t, 404)).is_some())
            .count() as u64;
        assert_eq!(written, LOG_ENTRIES_PER_MINUTE - 1);
        assert!(
            digest.admit(entry(other, t, 404)).is_some(),
            "per organization"
        );
        let next = digest
            .admit(entry(org, t + time::Duration::minutes(1), 404))
            .unwrap();
        let left_out = 1 + 5_000 - (LOG_ENTRIES_PER_MINUTE - 1);
        assert_eq!(
            next.detail.unwrap(),
            format!(
                "refused ({left_out} earlier requests of this organization are not listed one by one: a flood of refusals, or more than 3000 entries in a minute)"
            )
        );
        assert!(
            digest
                .admit(entry(org, t + time::Duration::minutes(1), 429))
                .is_some()
        );
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

/// What the web layer knows of a SCIM write before it is answered: the domain completes it into
/// the request's success entry, which the store writes in the write's own transaction (so the
/// entry is there exactly when the write committed: acknowledged writes are never missing from
/// the log, refused or rolled-back ones never show as successes).
#[derive(Debug, Clone)]
pub struct RequestLog {
    /// e.g. `POST /Users`, `PATCH /Groups/{id}`.
    pub operation: String,
    /// `User` or `Group`.
    pub resource_type: String,
    /// What the request answers when the write succeeds (201, 200 or 204).
    pub status: u16,
    pub client_request_id: Option<String>,
    /// When the request arrived: the entry's duration runs up to the write.
    pub started: std::time::Instant,
}

/// A success entry waiting for its write (see [`RequestLog`]): the store completes it with what
/// only the write knows (member values it skipped) and inserts it in the write's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDraft {
    entry: LogEntry,
    /// Member values that are not ids at all (group writes), skipped before the store saw them.
    invalid_members: Vec<String>,
}

impl LogDraft {
    /// `entry` for a write, with the member values the request carried that are not ids.
    pub fn new(entry: LogEntry, invalid_members: Vec<String>) -> Self {
        Self {
            entry,
            invalid_members,
        }
    }

    /// The entry to store for a write that skipped `skipped` member values: `skipped` (with the
    /// summary in its detail) when it or the request left any value out, `success` otherwise.
    pub fn complete(&self, skipped: &[AccountId]) -> LogEntry {
        let mut entry = self.entry.clone();
        if let Some(summary) = crate::skipped_members::summary(skipped, &self.invalid_members) {
            entry.outcome = Outcome::Skipped;
            // The flood digest's note (if any) stays after what this request did.
            entry.detail = Some(match entry.detail.take() {
                Some(note) => format!("{summary} {note}"),
                None => summary,
            });
        }
        entry.recordable()
    }
}

impl LogEntry {
    /// The entry as every store can hold it: the id and name of a refused request are whatever
    /// the client sent, kept without U+0000 and bounded, like the detail.
    pub(crate) fn recordable(mut self) -> Self {
        use roster_scim::text::{NAME_MAX_CHARS, TEXT_MAX_CHARS, recordable};
        self.resource_id = self.resource_id.map(|id| recordable(&id, NAME_MAX_CHARS));
        self.name = self.name.map(|n| recordable(&n, NAME_MAX_CHARS));
        self.detail = self.detail.map(|d| recordable(&d, TEXT_MAX_CHARS));
        self
    }
}
