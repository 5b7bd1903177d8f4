//! Settings › Data retention: off, or N days, in words, with how many accounts the next run
//! would remove (the dry run).

use askama::Template;
use axum::{extract::State, response::Response};
use roster_domain::RetentionPreview;
use serde::Deserialize;

use super::{
    page::{self, Chrome, PageError},
    session::{SignedIn, SignedInForm},
};
use crate::AppState;

#[derive(Template)]
#[template(path = "console/retention.html")]
struct RetentionPage {
    chrome: Chrome,
    days: String,
    on: bool,
    explanation: String,
    due: String,
    saved: bool,
}

fn render(chrome: Chrome, preview: RetentionPreview, saved: bool) -> Response {
    let more = if preview.due_now_capped {
        "more than "
    } else {
        ""
    };
    let accounts = if preview.due_now == 1 {
        "account"
    } else {
        "accounts"
    };
    page::render(&RetentionPage {
        chrome: chrome.in_section("retention"),
        on: preview.retention_days.is_some(),
        days: preview
            .retention_days
            .map(|d| d.to_string())
            .unwrap_or_default(),
        explanation: preview.explanation,
        due: format!("{more}{} {accounts}", preview.due_now),
        saved,
    })
}

pub async fn retention_page(
    State(state): State<AppState>,
    SignedIn { admin, chrome, .. }: SignedIn,
) -> Result<Response, PageError> {
    let preview = state.roster.retention_preview(&admin).await?;
    Ok(render(chrome, preview, false))
}

#[derive(Deserialize)]
pub struct RetentionForm {
    mode: String,
    #[serde(default)]
    days: String,
}

pub async fn set_retention(
    State(state): State<AppState>,
    SignedInForm { signed_in, form }: SignedInForm<RetentionForm>,
) -> Result<Response, PageError> {
    let days = match form.mode.as_str() {
        "off" => None,
        _ => Some(form.days.trim().parse::<u32>().map_err(|_| {
            PageError::Domain(roster_domain::Error::Invalid(
                "The number of days must be a whole number, such as 365.".into(),
            ))
        })?),
    };
    let preview = state.roster.set_retention(&signed_in.admin, days).await?;
    Ok(render(signed_in.chrome, preview, true))
}
