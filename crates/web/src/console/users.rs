//! Users: the organization's accounts (search, paging), each person's page with their state in
//! one sentence and their timeline, and what an administrator does by hand: add, invite an
//! independent account, deactivate and reactivate.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    response::Response,
};
use roster_domain::{Account, AccountId, AccountSummary};
use serde::Deserialize;

use super::{
    format,
    log::TimelineRow,
    page::{self, Chrome, Done, PageError},
    session::{SignedIn, SignedInForm},
    sign_ins::SignInRow,
};
use crate::AppState;

const PAGE_SIZE: u32 = 50;

struct UserRow {
    id: String,
    name: String,
    user_name: String,
    role: &'static str,
    status: String,
    active: bool,
    scim_managed: bool,
    groups: String,
}

impl From<AccountSummary> for UserRow {
    fn from(summary: AccountSummary) -> Self {
        let AccountSummary {
            account,
            groups,
            group_count,
        } = summary;
        let more = group_count.saturating_sub(groups.len() as u64);
        let mut group_text = groups.join(", ");
        if more > 0 {
            group_text.push_str(&format!(" and {more} more"));
        }
        Self {
            status: status_of(&account),
            id: account.id.to_string(),
            name: account.display_name.clone().unwrap_or_default(),
            user_name: account.user_name.clone(),
            role: account.role.as_str(),
            active: account.active,
            scim_managed: account.scim_managed,
            groups: group_text,
        }
    }
}

fn status_of(account: &Account) -> String {
    match (account.active, account.deactivated_at) {
        (true, _) => "Active".to_owned(),
        (false, Some(at)) => format!("Deactivated since {}", format::when(at)),
        (false, None) => "Deactivated".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "console/users.html")]
struct UsersPage {
    chrome: Chrome,
    search: String,
    users: Vec<UserRow>,
    next: Option<String>,
    first_page: bool,
}

#[derive(Deserialize)]
pub struct UsersQuery {
    #[serde(default)]
    search: String,
    cursor: Option<String>,
}

pub async fn list_users(
    State(state): State<AppState>,
    SignedIn { admin, chrome, .. }: SignedIn,
    Query(query): Query<UsersQuery>,
) -> Result<Response, PageError> {
    let search = query.search.trim();
    let cursor = query.cursor.as_deref().filter(|c| !c.is_empty());
    let found = state
        .roster
        .accounts_page(
            &admin,
            Some(search).filter(|s| !s.is_empty()),
            cursor,
            PAGE_SIZE,
        )
        .await?;
    Ok(page::render(&UsersPage {
        chrome: chrome.in_section("users"),
        search: search.to_owned(),
        users: found.accounts.into_iter().map(UserRow::from).collect(),
        next: found.next,
        first_page: cursor.is_none(),
    }))
}

#[derive(Template)]
#[template(path = "console/user.html")]
struct UserPage {
    chrome: Chrome,
    user: UserRow,
    state: String,
    entries: Vec<TimelineRow>,
    sign_ins: Vec<SignInRow>,
}

/// Sign-ins shown on a person's page.
const SIGN_INS_ON_PAGE: u32 = 20;

fn account_id(id: &str) -> Result<AccountId, PageError> {
    id.parse().map_err(|_| PageError::NotFound)
}

pub async fn show_user(
    State(state): State<AppState>,
    SignedIn { admin, chrome, .. }: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = account_id(&id)?;
    let detail = state.roster.account_detail(&admin, id).await?;
    let sign_ins = state
        .roster
        .account_sign_ins(&admin, id, SIGN_INS_ON_PAGE)
        .await?;
    Ok(page::render(&UserPage {
        chrome: chrome.in_section("users"),
        user: UserRow::from(detail.summary),
        state: detail.state,
        entries: detail.timeline.into_iter().map(TimelineRow::from).collect(),
        sign_ins: sign_ins.iter().map(SignInRow::from).collect(),
    }))
}

#[derive(Deserialize)]
pub struct AddForm {
    user_name: String,
    #[serde(default)]
    display_name: String,
}

pub async fn add_user(
    State(state): State<AppState>,
    SignedInForm { signed_in, form }: SignedInForm<AddForm>,
) -> Result<Response, PageError> {
    let display_name = Some(form.display_name.trim().to_owned()).filter(|d| !d.is_empty());
    let account = state
        .roster
        .console_add_account(&signed_in.admin, form.user_name.trim(), display_name, None)
        .await?;
    Ok(page::see_other(&format!("/console/users/{}", account.id)))
}

#[derive(Deserialize)]
pub struct InviteForm {
    user_name: String,
}

pub async fn invite_user(
    State(state): State<AppState>,
    SignedInForm { signed_in, form }: SignedInForm<InviteForm>,
) -> Result<Response, PageError> {
    let account = state
        .roster
        .console_invite_account(&signed_in.admin, form.user_name.trim())
        .await?;
    Ok(page::see_other(&format!("/console/users/{}", account.id)))
}

#[derive(Deserialize)]
pub struct ActiveForm {
    active: bool,
}

pub async fn set_active(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedInForm { signed_in, form }: SignedInForm<ActiveForm>,
) -> Result<Response, PageError> {
    let id = account_id(&id)?;
    let change = state
        .roster
        .console_set_active(&signed_in.admin, id, form.active)
        .await?;
    let account = change.result;
    let done = if account.active {
        "reactivated"
    } else {
        "deactivated"
    };
    Ok(page::render(&Done {
        chrome: signed_in.chrome.in_section("users"),
        heading: format!("{} is {done}", account.user_name),
        message: roster_domain::state_sentence(&account),
        note: change.note,
        back: format!("/console/users/{}", account.id),
        back_label: format!("Back to {}", account.user_name),
    }))
}
