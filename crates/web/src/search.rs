//! `POST /.search` at the tenant root (RFC 7644 §3.4.3): one query over Users and Groups. A filter
//! that names attributes of only one resource type searches that type; users come first, then
//! groups, and paging runs across both.

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
    ScimJson(body): ScimJson,
) -> Result<Scim, ApiError> {
    let params = Params::from_search_body(&body)?;
    let user_request = params.list_request(&USER_RESOURCE);
    let group_request = params.list_request(&GROUP_RESOURCE);
    let (start_index, count) = match (&user_request, &group_request) {
        (Ok(r), _) | (Err(_), Ok(r)) => (r.start_index, r.count),
        // Neither type understands the query: report it as the Users error.
        (Err(e), Err(_)) => return Err(e.clone().into()),
    };
    let mut resources = Vec::new();
    let mut total = 0;
    let mut users_total = 0;
    if let Ok(request) = user_request {
        let projection = params.projection(&USER_RESOURCE)?;
        let (accounts, matched) = state.roster.scim_list_users(tenant.0, &request).await?;
        users_total = matched;
        total += matched;
        for account in &accounts {
            resources.push(users::raw(&users::render(
                &state,
                tenant,
                account,
                &projection,
            ))?);
        }
    }
    if let Ok(mut request) = group_request {
        let projection = params.projection(&GROUP_RESOURCE)?;
        // Continue the page where the users ended.
        request.start_index = start_index.saturating_sub(users_total).max(1);
        request.count = count.saturating_sub(resources.len() as u64);
        let (found, matched) = state.roster.scim_list_groups(tenant.0, &request).await?;
        total += matched;
        for group in &found {
            resources.push(groups::render(&state, tenant, group, &projection).await?);
        }
    }
    Ok(list_page(resources, total, start_index))
}
