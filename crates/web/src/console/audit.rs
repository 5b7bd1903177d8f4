//! The audit log: what administrators did, by whom, when and from where, newest first.

use askama::Template;
use axum::{
    extract::{Query, State},
    response::Response,
};
use roster_domain::{AuditCursor, AuditEntry};
use serde::Deserialize;

use super::{
    format,
    page::{self, Chrome, PageError},
    session::SignedIn,
};
use crate::AppState;

const PAGE_SIZE: u32 = 50;

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditLogPage {
    chrome: Chrome,
    entries: Vec<AuditRow>,
    older: Option<String>,
    first_page: bool,
}

struct AuditRow {
    when: String,
    who: String,
    action: String,
    target: String,
    detail: String,
    from: String,
}

impl From<AuditEntry> for AuditRow {
    fn from(entry: AuditEntry) -> Self {
        Self {
            when: format::when(entry.at),
            who: entry
                .actor_email
                .unwrap_or_else(|| "an operator (command line)".to_owned()),
            action: format::words(entry.action.as_str()),
            target: entry.target.unwrap_or_default(),
            detail: entry.detail.unwrap_or_default(),
            from: entry.remote_addr.unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<String>,
}

pub async fn audit_log(
    State(state): State<AppState>,
    SignedIn { admin, chrome, .. }: SignedIn,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let before = query
        .before
        .filter(|b| !b.is_empty())
        .map(|b| b.parse::<AuditCursor>())
        .transpose()?;
    let found = state.roster.audit_page(&admin, before, PAGE_SIZE).await?;
    Ok(page::render(&AuditLogPage {
        chrome: chrome.in_section("audit"),
        entries: found.entries.into_iter().map(AuditRow::from).collect(),
        older: found.next.map(|cursor| cursor.to_string()),
        first_page: before.is_none(),
    }))
}
