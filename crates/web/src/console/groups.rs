//! Groups: the organization's groups with what SCIM manages and how many members each has, a
//! group's members (paged, for groups of 100,000) with where each membership came from, and
//! creating a group and adding or removing a member by hand.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    response::Response,
};
use roster_domain::{AccountId, GroupId, GroupSummary, Member, MemberSource};
use serde::Deserialize;

use super::{
    page::{self, Chrome, PageError},
    session::{SignedIn, SignedInForm},
};
use crate::AppState;

const PAGE_SIZE: u32 = 50;
const MEMBERS_PAGE_SIZE: u32 = 100;

struct GroupRow {
    id: String,
    name: String,
    scim_managed: bool,
    members: String,
}

impl From<GroupSummary> for GroupRow {
    fn from(summary: GroupSummary) -> Self {
        let more = if summary.member_count_capped {
            "more than "
        } else {
            ""
        };
        Self {
            id: summary.group.id.to_string(),
            name: summary.group.display_name,
            scim_managed: summary.group.scim_managed,
            members: format!("{more}{}", summary.member_count),
        }
    }
}

#[derive(Template)]
#[template(path = "console/groups.html")]
struct GroupsPage {
    chrome: Chrome,
    search: String,
    groups: Vec<GroupRow>,
    next: Option<String>,
    first_page: bool,
}

#[derive(Deserialize)]
pub struct GroupsQuery {
    #[serde(default)]
    search: String,
    cursor: Option<String>,
}

pub async fn list_groups(
    State(state): State<AppState>,
    SignedIn { admin, chrome, .. }: SignedIn,
    Query(query): Query<GroupsQuery>,
) -> Result<Response, PageError> {
    let search = query.search.trim();
    let cursor = query.cursor.as_deref().filter(|c| !c.is_empty());
    let found = state
        .roster
        .groups_page(
            &admin,
            Some(search).filter(|s| !s.is_empty()),
            cursor,
            PAGE_SIZE,
        )
        .await?;
    Ok(page::render(&GroupsPage {
        chrome: chrome.in_section("groups"),
        search: search.to_owned(),
        groups: found.groups.into_iter().map(GroupRow::from).collect(),
        next: found.next,
        first_page: cursor.is_none(),
    }))
}

struct MemberRow {
    account_id: String,
    user_name: String,
    name: String,
    by_scim: bool,
}

impl From<Member> for MemberRow {
    fn from(member: Member) -> Self {
        Self {
            account_id: member.account_id.to_string(),
            user_name: member.user_name,
            name: member.display_name.unwrap_or_default(),
            by_scim: member.source == MemberSource::Scim,
        }
    }
}

#[derive(Template)]
#[template(path = "console/group.html")]
struct GroupPage {
    chrome: Chrome,
    group: GroupRow,
    members: Vec<MemberRow>,
    next: Option<String>,
    first_page: bool,
}

#[derive(Deserialize)]
pub struct MembersQuery {
    after: Option<String>,
}

fn group_id(id: &str) -> Result<GroupId, PageError> {
    id.parse().map_err(|_| PageError::NotFound)
}

pub async fn show_group(
    State(state): State<AppState>,
    SignedIn { admin, chrome, .. }: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<MembersQuery>,
) -> Result<Response, PageError> {
    let id = group_id(&id)?;
    let after = query
        .after
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(|a| a.parse::<AccountId>().map_err(|_| PageError::NotFound))
        .transpose()?;
    let view = state
        .roster
        .group_page(&admin, id, after, MEMBERS_PAGE_SIZE)
        .await?;
    Ok(page::render(&GroupPage {
        chrome: chrome.in_section("groups"),
        group: GroupRow::from(view.group),
        members: view
            .members
            .members
            .into_iter()
            .map(MemberRow::from)
            .collect(),
        next: view.members.next.map(|a| a.to_string()),
        first_page: after.is_none(),
    }))
}

#[derive(Deserialize)]
pub struct CreateForm {
    name: String,
}

pub async fn create_group(
    State(state): State<AppState>,
    SignedInForm { signed_in, form }: SignedInForm<CreateForm>,
) -> Result<Response, PageError> {
    let group = state
        .roster
        .console_create_group(&signed_in.admin, form.name.trim())
        .await?;
    Ok(page::see_other(&format!("/console/groups/{}", group.id)))
}

#[derive(Deserialize)]
pub struct AddMemberForm {
    user_name: String,
}

pub async fn add_member(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedInForm { signed_in, form }: SignedInForm<AddMemberForm>,
) -> Result<Response, PageError> {
    let id = group_id(&id)?;
    state
        .roster
        .console_add_member_by_user_name(&signed_in.admin, id, form.user_name.trim())
        .await?;
    Ok(page::see_other(&format!("/console/groups/{id}")))
}

#[derive(Deserialize)]
pub struct RemoveMemberForm {
    account_id: String,
}

pub async fn remove_member(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedInForm { signed_in, form }: SignedInForm<RemoveMemberForm>,
) -> Result<Response, PageError> {
    let id = group_id(&id)?;
    let account: AccountId = form.account_id.parse().map_err(|_| PageError::NotFound)?;
    state
        .roster
        .console_remove_member(&signed_in.admin, id, account)
        .await?;
    Ok(page::see_other(&format!("/console/groups/{id}")))
}
