//! `POST /.search` at the tenant root (RFC 7644 §3.4.3): one query over Users and Groups. Which
//! types are searched and how the page runs across both is the domain's
//! ([`roster_domain::Roster::scim_search`]); this renders its page.

use axum::extract::State;
use roster_scim::schema::{GROUP_RESOURCE, USER_RESOURCE};

use crate::{
    ApiError, AppState,
    auth::Tenant,
    body::ScimJson,
    groups,
    query::Params,
    response::{Scim, list_page},
    users,
};

pub async fn search_all(
    State(state): State<AppState>,
    tenant: Tenant,
    ScimJson(body, _): ScimJson,
) -> Result<Scim, ApiError> {
    let params = Params::from_search_body(&body)?;
    let page = state
        .roster
        .scim_search(tenant.0, &params.list_query()?)
        .await?;
    // Both projections fail alike (too many names), whichever types were searched.
    let user_projection = params.projection(&USER_RESOURCE)?;
    let group_projection = params.projection(&GROUP_RESOURCE)?;
    let mut resources = Vec::with_capacity(page.users.len() + page.groups.len());
    for account in &page.users {
        resources.push(users::render(&state, tenant, account, &user_projection)?);
    }
    resources.extend(groups::render_page(&state, tenant, page.groups, &group_projection).await?);
    list_page(resources, page.total, Some(page.start_index), None)
}
