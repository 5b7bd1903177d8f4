//! The console's provisioning log: newest first, filtered, keyset-paged, each entry opening to
//! its detail and, for a refusal, the reason in words an administrator can act on.
//!
//! A page reads at most [`LOG_SCAN`] entries of the organization's log (in time order, from the
//! cursor, within the time range) and keeps those that match the other filters, so a rare match
//! never makes one page read the whole log: when the scan ends before the page is full, the page
//! is short and its cursor continues the search where the scan stopped.

use std::{fmt, str::FromStr};

use serde::Serialize;
use time::OffsetDateTime;

use crate::{Admin, Error, LogEntry, Outcome, Roster, error::Result};

/// Entries one page examines at most.
pub const LOG_SCAN: u32 = 5_000;
/// Largest page.
pub const LOG_PAGE_MAX: u32 = 200;

/// A log entry with its id (the order of appending).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedEntry {
    pub id: i64,
    #[serde(flatten)]
    pub entry: LogEntry,
}

/// Where a page of the log ends: the page after it holds older entries only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogCursor {
    pub at: OffsetDateTime,
    pub id: i64,
}

impl LogCursor {
    pub fn of(entry: &LoggedEntry) -> Self {
        Self {
            at: entry.entry.at,
            id: entry.id,
        }
    }
}

/// Written `<unix microseconds>.<id>`.
impl fmt::Display for LogCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.at.unix_timestamp_nanos() / 1_000, self.id)
    }
}

impl FromStr for LogCursor {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let invalid = || Error::Invalid(format!("'{s}' is not a position in the log"));
        let (micros, id) = s.split_once('.').ok_or_else(invalid)?;
        let micros: i128 = micros.parse().map_err(|_| invalid())?;
        let at =
            OffsetDateTime::from_unix_timestamp_nanos(micros * 1_000).map_err(|_| invalid())?;
        Ok(Self {
            at,
            id: id.parse().map_err(|_| invalid())?,
        })
    }
}

/// What the console asks of the log. Every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    /// The exact operation, e.g. `POST /Users`.
    pub operation: Option<String>,
    pub outcome: Option<Outcome>,
    /// Entries at or after this time.
    pub from: Option<OffsetDateTime>,
    /// Entries before this time.
    pub to: Option<OffsetDateTime>,
    /// Part of the `userName`/group name, resource id or client request id, ignoring case.
    pub text: Option<String>,
    /// Entries older than this position (the previous page's `next`).
    pub before: Option<LogCursor>,
    /// Entries per page, at most [`LOG_PAGE_MAX`].
    pub limit: u32,
}

/// What a store reads for a [`LogQuery`]: the query with a scan bound.
#[derive(Debug, Clone)]
pub struct LogFilter {
    pub operation: Option<String>,
    pub outcome: Option<Outcome>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    pub text: Option<String>,
    pub before: Option<LogCursor>,
    /// Matches to return at most.
    pub limit: u32,
    /// Entries to examine at most.
    pub scan: u32,
}

/// What a store found: up to `limit` matches, newest first, and where its scan stopped when it
/// examined `scan` entries (`None` when it reached the oldest entry in range).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogWindow {
    pub entries: Vec<LoggedEntry>,
    pub scan_ended_at: Option<LogCursor>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LogPage {
    pub entries: Vec<LoggedEntry>,
    /// The cursor of the next (older) page; `None` when nothing older matches.
    #[serde(serialize_with = "crate::paging::display")]
    pub next: Option<LogCursor>,
}

/// The reason for a refusal (or a skipped part), in words an administrator can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub kind: RefusalKind,
    /// What happened, in one sentence.
    pub summary: String,
    /// What to do about it.
    pub action: String,
    /// The `userName` to invite, for [`RefusalKind::IndependentAccount`].
    pub invite_user_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalKind {
    SeatLimit,
    IndependentAccount,
    OutsideDomains,
    NameTaken,
    SkippedMembers,
    RateLimited,
    Conflict,
    NotFound,
    InvalidRequest,
    ServerError,
}

/// The detail of a seat-limit refusal starts so ([`SeatLimit`](crate::SeatLimit)'s message).
pub const SEAT_LIMIT_DETAIL: &str = "seat limit reached";
/// The detail of a create refused for an account outside the organization contains this.
const OUTSIDE_ORG_DETAIL: &str = "belongs to an account outside this organization";
const OUTSIDE_DOMAINS_DETAIL: &str = "is outside this organization's domains";

/// Why `entry` was refused or partly skipped; `None` for a success.
pub fn explain(entry: &LogEntry) -> Option<Explanation> {
    let detail = entry.detail.as_deref().unwrap_or("");
    let name = entry.name.clone();
    let who = name
        .as_deref()
        .map(|n| format!("'{n}'"))
        .unwrap_or_else(|| "this person".into());
    let explanation = |kind, summary: String, action: &str| Explanation {
        kind,
        summary,
        action: action.to_owned(),
        invite_user_name: None,
    };
    match entry.outcome {
        Outcome::Success => return None,
        Outcome::Skipped => {
            return Some(explanation(
                RefusalKind::SkippedMembers,
                format!("Part of the request was not applied: {detail}"),
                "Members that are not accounts of this organization are never linked. Assign those people to the application in Entra so they are provisioned first, or add them by hand.",
            ));
        }
        Outcome::Failure => {}
    }
    Some(if detail.starts_with(SEAT_LIMIT_DETAIL) {
        let figures = detail
            .split_once(':')
            .and_then(|(_, rest)| rest.split('.').next())
            .map(str::trim)
            .unwrap_or("every seat is in use");
        explanation(
            RefusalKind::SeatLimit,
            format!("{who} could not be provisioned: no free seat ({figures})."),
            "Deactivate accounts that no longer need a seat, or ask for more seats; Entra retries on its next cycle and the person is then created.",
        )
    } else if detail.contains(OUTSIDE_ORG_DETAIL) {
        Explanation {
            invite_user_name: name.clone(),
            ..explanation(
                RefusalKind::IndependentAccount,
                format!(
                    "{who} already has a Roster account that is not in this organization, and Roster does not move accounts on its own."
                ),
                "Invite this person first (Users › Invite): once the account is in the organization, Entra finds it and manages it on its next cycle.",
            )
        }
    } else if detail.contains(OUTSIDE_DOMAINS_DETAIL) {
        explanation(
            RefusalKind::OutsideDomains,
            format!("{who} is not in one of this organization's email domains."),
            "Map userName in Entra from an attribute in your domains (usually userPrincipalName or mail), or ask a Roster operator to add the domain.",
        )
    } else {
        match entry.status {
            429 => explanation(
                RefusalKind::RateLimited,
                "Requests came faster than this organization's rate limit.".into(),
                "Nothing to do if it is rare: Entra retries. If it lasts, check that only one provisioning job sends to this tenant URL.",
            ),
            409 if detail.contains("already") => explanation(
                RefusalKind::NameTaken,
                format!("The name is already taken: {detail}"),
                "Rename one of the two in Entra, or remove the old one in Roster, then let Entra retry.",
            ),
            409 | 412 => explanation(
                RefusalKind::Conflict,
                format!("The request conflicted with a change made at the same time: {detail}"),
                "Nothing to do: Entra retries on its next cycle.",
            ),
            404 => explanation(
                RefusalKind::NotFound,
                format!("The resource was not found: {detail}"),
                "Entra asked for something Roster no longer has (deleted or never created). Restart provisioning in Entra if this repeats.",
            ),
            status if status >= 500 => explanation(
                RefusalKind::ServerError,
                "Roster could not complete the request.".into(),
                "Entra retries. If this repeats, tell your Roster operator the time and client request id of this entry.",
            ),
            _ => explanation(
                RefusalKind::InvalidRequest,
                format!("Roster refused the request: {detail}"),
                "Check the attribute mappings in Entra against the checklist on the SCIM page.",
            ),
        }
    })
}

/// The operations the provisioning log records (`web/src/log.rs` writes `"{method} {route}"`).
pub const LOGGED_OPERATIONS: &[&str] = &[
    "POST /Users",
    "PUT /Users/{id}",
    "PATCH /Users/{id}",
    "DELETE /Users/{id}",
    "POST /Groups",
    "PUT /Groups/{id}",
    "PATCH /Groups/{id}",
    "DELETE /Groups/{id}",
];

/// What a successful entry did, in words; empty for an operation the log does not record.
pub fn describe_success(entry: &LogEntry) -> &'static str {
    match entry.operation.as_str() {
        "POST /Users" => {
            "Account created (or a retained account reactivated) and managed by SCIM from now on."
        }
        "PUT /Users/{id}" => "Account's attributes replaced by the identity provider.",
        "PATCH /Users/{id}" => "Account updated by the identity provider.",
        "DELETE /Users/{id}" => {
            "Account deactivated and no longer managed by SCIM; it stays in Roster with its content."
        }
        "POST /Groups" => "Group created, or the existing group of that name adopted.",
        "PUT /Groups/{id}" => "Group's name and SCIM-managed members replaced.",
        "PATCH /Groups/{id}" => "Group updated (name or members).",
        "DELETE /Groups/{id}" => "Group deleted.",
        _ => "",
    }
}

impl Roster {
    /// A page of the administrator's organization's provisioning log, newest first.
    pub async fn log_page(&self, admin: &Admin, query: LogQuery) -> Result<LogPage> {
        let limit = query.limit.clamp(1, LOG_PAGE_MAX);
        let text = query
            .text
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        if let Some(text) = &text {
            crate::admin_accounts::check_name("search text", text)?;
        }
        let filter = LogFilter {
            operation: query.operation.filter(|o| !o.is_empty()),
            outcome: query.outcome,
            from: query.from,
            to: query.to,
            text,
            before: query.before,
            limit: limit + 1,
            scan: LOG_SCAN,
        };
        let mut window = self.store.log_window(admin.scope(), &filter).await?;
        let next = if window.entries.len() > limit as usize {
            window.entries.truncate(limit as usize);
            window.entries.last().map(LogCursor::of)
        } else {
            window.scan_ended_at
        };
        Ok(LogPage {
            entries: window.entries,
            next,
        })
    }

    /// One entry of the administrator's organization's log; another organization's entry is not
    /// found.
    pub async fn log_entry(&self, admin: &Admin, id: i64) -> Result<LoggedEntry> {
        self.store
            .log_entry(admin.scope(), id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no log entry {id} in this organization")))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::OrgId;

    fn refused(status: u16, name: &str, detail: &str) -> LogEntry {
        LogEntry {
            org_id: OrgId::new_random(),
            at: datetime!(2026-01-01 0:00 UTC),
            operation: "POST /Users".into(),
            resource_type: "User".into(),
            resource_id: None,
            name: Some(name.into()),
            outcome: Outcome::Failure,
            status,
            detail: Some(detail.into()),
            duration_ms: 1,
            client_request_id: None,
        }
    }

    #[test]
    fn every_logged_operation_says_in_words_what_its_success_did() {
        for operation in LOGGED_OPERATIONS {
            let entry = LogEntry {
                operation: (*operation).into(),
                outcome: Outcome::Success,
                detail: None,
                ..refused(200, "ada@x.edu", "")
            };
            assert!(!describe_success(&entry).is_empty(), "{operation}");
        }
    }

    #[test]
    fn a_seat_limit_refusal_says_how_many_seats_and_what_to_do() {
        let detail = crate::SeatLimit { seats: 5, used: 5 }.to_string();
        let e = explain(&refused(409, "ada@x.edu", &detail)).unwrap();
        assert_eq!(e.kind, RefusalKind::SeatLimit);
        assert_eq!(
            e.summary,
            "'ada@x.edu' could not be provisioned: no free seat (5 of 5 seats in use)."
        );
        assert!(e.action.contains("Deactivate"));
    }

    #[test]
    fn an_independent_account_refusal_names_the_person_to_invite() {
        let e = explain(&refused(
            409,
            "bo@x.edu",
            "userName 'bo@x.edu' belongs to an account outside this organization. Roster does not move existing accounts",
        ))
        .unwrap();
        assert_eq!(e.kind, RefusalKind::IndependentAccount);
        assert_eq!(e.invite_user_name.as_deref(), Some("bo@x.edu"));
        assert!(e.action.starts_with("Invite this person first"));
    }

    #[test]
    fn successes_need_no_explanation_and_other_refusals_get_one() {
        let mut ok = refused(201, "a", "");
        ok.outcome = Outcome::Success;
        assert_eq!(explain(&ok), None);
        assert_eq!(
            explain(&refused(429, "a", "too many")).unwrap().kind,
            RefusalKind::RateLimited
        );
        assert_eq!(
            explain(&refused(
                400,
                "a@evil.org",
                "userName 'a@evil.org' is outside this organization's domains (x.edu)"
            ))
            .unwrap()
            .kind,
            RefusalKind::OutsideDomains
        );
        assert_eq!(
            explain(&refused(500, "a", "internal")).unwrap().kind,
            RefusalKind::ServerError
        );
    }

    #[test]
    fn cursors_read_back_what_they_write_and_refuse_anything_else() {
        let cursor = LogCursor {
            at: datetime!(2026-01-01 0:00:00.000123 UTC),
            id: 42,
        };
        assert_eq!(cursor.to_string().parse::<LogCursor>().unwrap(), cursor);
        for bad in ["", "1", "x.1", "1.x", "1.2.3"] {
            assert!(bad.parse::<LogCursor>().is_err(), "{bad}");
        }
    }
}
