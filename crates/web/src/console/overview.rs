//! The console's front page: the health warnings Roster computed from what it saw, and where to
//! go next.

use askama::Template;
use axum::{extract::State, response::Response};
use roster_domain::Warning;

use super::{
    page::{self, Chrome, PageError},
    session::SignedIn,
};
use crate::AppState;

#[derive(Template)]
#[template(path = "console/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    warnings: Vec<Warning>,
}

pub async fn overview(
    State(state): State<AppState>,
    SignedIn { admin, chrome, .. }: SignedIn,
) -> Result<Response, PageError> {
    let warnings = state.roster.health(&admin).await?;
    Ok(page::render(&OverviewPage {
        chrome: chrome.in_section("overview"),
        warnings,
    }))
}
