//! The sign-in log, beside the provisioning log: every sign-in with the organization's provider
//! and every refusal, newest first, with what the provider said (tenant, object ID, UPN), what
//! Roster expected, the verdict in words and the account it reached. Also the rows a person's
//! timeline shows.

use askama::Template;
use axum::{
    extract::{Query, State},
    response::Response,
};
use roster_domain::{LogCursor, LoggedSignIn, MatchedBy, SsoVerdict};
use serde::Deserialize;

use super::{
    format,
    page::{self, Chrome, PageError},
    session::SignedIn,
};
use crate::AppState;

const PAGE_SIZE: u32 = 50;

/// One sign-in as the console shows it.
pub struct SignInRow {
    pub when: String,
    pub signed_in: bool,
    pub verdict: &'static str,
    pub tid: String,
    pub oid: String,
    pub upn: String,
    /// What Roster expected or why it refused, in words.
    pub explanation: String,
    pub account: Option<String>,
}

/// The verdict as a short label.
fn verdict_label(verdict: SsoVerdict) -> &'static str {
    match verdict {
        SsoVerdict::SignedIn => "Signed in",
        SsoVerdict::NotProvisioned => "Refused: not provisioned",
        SsoVerdict::Deactivated => "Refused: deactivated",
        SsoVerdict::Independent => "Refused: independent account",
        SsoVerdict::OtherOrganization => "Refused: another organization's account",
        SsoVerdict::RejectedToken => "Refused: token not valid",
    }
}

fn explanation(entry: &LoggedSignIn) -> String {
    let r = &entry.record;
    let upn = r.preferred_username.as_deref().unwrap_or("(none)");
    match r.verdict {
        SsoVerdict::SignedIn => match r.matched_by {
            Some(MatchedBy::Link) => "Matched by the account's stored link to this person.".into(),
            Some(MatchedBy::ExternalId) => {
                "Matched by externalId equal to the object ID; the link is stored.".into()
            }
            Some(MatchedBy::UserName) => format!(
                "Matched the SCIM-managed account whose userName is {upn}; the link is stored."
            ),
            None => "Signed in.".into(),
        },
        SsoVerdict::NotProvisioned => format!(
            "Expected an account of this organization with externalId equal to the object ID, or a SCIM-managed account with userName {upn}; there is none. Assign the person to Roster in Entra so SCIM creates it."
        ),
        SsoVerdict::Deactivated => {
            "The account is deactivated. Reassign the person in Entra (or reactivate the account) to let them in.".into()
        }
        SsoVerdict::Independent => format!(
            "{upn} is an independent account, not one of this organization's. Invite it (Users › Invite) first."
        ),
        SsoVerdict::OtherOrganization => {
            "The matching account belongs to another organization; nothing outside this organization is ever matched.".into()
        }
        SsoVerdict::RejectedToken => {
            let why = r.detail.as_deref().unwrap_or("it did not validate");
            match r.expected.as_deref() {
                Some(expected) => format!("The ID token was refused: {why}. Expected {expected}."),
                None => format!("The ID token was refused: {why}."),
            }
        }
    }
}

impl From<&LoggedSignIn> for SignInRow {
    fn from(entry: &LoggedSignIn) -> Self {
        let r = &entry.record;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            when: format::when(r.at),
            signed_in: r.verdict == SsoVerdict::SignedIn,
            verdict: verdict_label(r.verdict),
            tid: text(&r.tid),
            oid: text(&r.oid),
            upn: text(&r.preferred_username),
            explanation: explanation(entry),
            account: r.account_id.map(|id| id.to_string()),
        }
    }
}

#[derive(Template)]
#[template(path = "console/sign_ins.html")]
struct SignInLogPage {
    chrome: Chrome,
    sign_ins: Vec<SignInRow>,
    older: Option<String>,
    first_page: bool,
}

#[derive(Deserialize)]
pub struct SignInQuery {
    before: Option<String>,
}

pub async fn sign_in_log(
    State(state): State<AppState>,
    SignedIn { admin, chrome, .. }: SignedIn,
    Query(query): Query<SignInQuery>,
) -> Result<Response, PageError> {
    let before = query
        .before
        .filter(|b| !b.is_empty())
        .map(|b| b.parse::<LogCursor>())
        .transpose()?;
    let found = state
        .roster
        .sign_in_log_page(&admin, before, PAGE_SIZE)
        .await?;
    Ok(page::render(&SignInLogPage {
        chrome: chrome.in_section("sign-ins"),
        sign_ins: found.entries.iter().map(SignInRow::from).collect(),
        older: found.next.map(|cursor| cursor.to_string()),
        first_page: before.is_none(),
    }))
}
