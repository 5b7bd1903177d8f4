//! The provisioning log: newest first, paged, filtered by operation, outcome, time range and
//! text; each entry opens to its detail; refusals say why in words an administrator can act on,
//! with an *Invite this person* button when the person has an independent account.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    response::Response,
};
use roster_domain::{
    LOGGED_OPERATIONS, LogCursor, LogQuery, LoggedEntry, Outcome, describe_success, explain,
};
use serde::Deserialize;
use time::{PrimitiveDateTime, macros::format_description};

use super::{
    format,
    page::{self, Chrome, PageError},
    session::SignedIn,
};
use crate::AppState;

const PAGE_SIZE: u32 = 50;

/// The operations the log records, as the filter offers them.
const OPERATIONS: &[&str] = LOGGED_OPERATIONS;

/// One entry as a row of the log or of a person's timeline.
pub struct TimelineRow {
    pub id: i64,
    pub when: String,
    pub operation: String,
    pub name: String,
    pub outcome: &'static str,
    pub refused: bool,
    pub status: u16,
    /// The refusal in words, or the detail the client was given.
    pub summary: String,
    pub action: String,
    pub invite: Option<String>,
}

impl From<LoggedEntry> for TimelineRow {
    fn from(logged: LoggedEntry) -> Self {
        let explanation = explain(&logged.entry);
        let entry = logged.entry;
        let (summary, action, invite) = match explanation {
            Some(e) => (e.summary, e.action, e.invite_user_name),
            None => (
                entry
                    .detail
                    .clone()
                    .unwrap_or_else(|| describe_success(&entry).to_owned()),
                String::new(),
                None,
            ),
        };
        Self {
            id: logged.id,
            when: format::when(entry.at),
            operation: entry.operation,
            name: entry.name.or(entry.resource_id).unwrap_or_default(),
            outcome: entry.outcome.as_str(),
            refused: entry.outcome != Outcome::Success,
            status: entry.status,
            summary,
            action,
            invite,
        }
    }
}

#[derive(Template)]
#[template(path = "console/log.html")]
struct LogListPage {
    chrome: Chrome,
    filters: LogFilters,
    operations: &'static [&'static str],
    entries: Vec<TimelineRow>,
    next: Option<String>,
    first_page: bool,
}

/// The filters as typed, echoed back into the form and the paging links.
#[derive(Debug, Default, Deserialize)]
pub struct LogFilters {
    #[serde(default)]
    operation: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    before: String,
}

impl LogFilters {
    /// The query string of these filters without the page position.
    pub fn query(&self) -> String {
        serde_urlencoded::to_string([
            ("operation", self.operation.as_str()),
            ("outcome", self.outcome.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
            ("text", self.text.as_str()),
        ])
        .unwrap_or_default()
    }

    fn to_query(&self) -> Result<LogQuery, PageError> {
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(LogQuery {
            operation: some(&self.operation),
            outcome: some(&self.outcome).map(|o| o.parse()).transpose()?,
            from: some(&self.from).map(|t| minute(&t)).transpose()?,
            to: some(&self.to).map(|t| minute(&t)).transpose()?,
            text: some(&self.text),
            before: some(&self.before)
                .map(|b| b.parse::<LogCursor>())
                .transpose()?,
            limit: PAGE_SIZE,
        })
    }
}

/// A `datetime-local` field's value, read as UTC (the times the console shows).
fn minute(text: &str) -> Result<time::OffsetDateTime, PageError> {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    PrimitiveDateTime::parse(text, &format)
        .map(PrimitiveDateTime::assume_utc)
        .map_err(|_| {
            PageError::Domain(roster_domain::Error::Invalid(format!(
                "'{text}' is not a time like 2026-01-05T09:00"
            )))
        })
}

pub async fn list_log(
    State(state): State<AppState>,
    SignedIn { admin, chrome, .. }: SignedIn,
    Query(filters): Query<LogFilters>,
) -> Result<Response, PageError> {
    let query = filters.to_query()?;
    let first_page = query.before.is_none();
    let found = state.roster.log_page(&admin, query).await?;
    Ok(page::render(&LogListPage {
        chrome: chrome.in_section("log"),
        operations: OPERATIONS,
        entries: found.entries.into_iter().map(TimelineRow::from).collect(),
        next: found.next.map(|c| c.to_string()),
        first_page,
        filters,
    }))
}

#[derive(Template)]
#[template(path = "console/log_entry.html")]
struct LogEntryPage {
    chrome: Chrome,
    row: TimelineRow,
    resource_type: String,
    resource_id: String,
    detail: String,
    duration_ms: u64,
    client_request_id: String,
}

pub async fn show_log_entry(
    State(state): State<AppState>,
    SignedIn { admin, chrome, .. }: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| PageError::NotFound)?;
    let logged = state.roster.log_entry(&admin, id).await?;
    let entry = &logged.entry;
    Ok(page::render(&LogEntryPage {
        chrome: chrome.in_section("log"),
        resource_type: entry.resource_type.clone(),
        resource_id: entry.resource_id.clone().unwrap_or_default(),
        detail: entry.detail.clone().unwrap_or_default(),
        duration_ms: entry.duration_ms,
        client_request_id: entry.client_request_id.clone().unwrap_or_default(),
        row: TimelineRow::from(logged),
    }))
}
