//! `/Users` handlers: parse, call the domain, render with the requested projection.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use roster_domain::{Account, Conditional, UserColumns};
use roster_scim::{Projection, schema::USER_RESOURCE};
use serde_json::{Value, value::RawValue};

use crate::{
    ApiError, AppState,
    auth::Tenant,
    body::ScimJson,
    log::LogNote,
    offload::by_size,
    query::Params,
    response::{IfNoneMatch, Scim, list_page, not_modified},
};

/// An account as JSON text, written straight from its resource through the projection.
pub(crate) fn render(
    state: &AppState,
    tenant: Tenant,
    account: &Account,
    projection: &Projection,
) -> Result<Box<RawValue>, ApiError> {
    let columns = UserColumns::of(account, Some(&state.tenant_url(tenant)));
    let entries = columns.entries(account);
    serde_json::value::to_raw_value(&projection.view_entries(&USER_RESOURCE, &entries))
        .map_err(|e| crate::response::render_failed(&e))
}

/// A rendered user with its `ETag`, and its `Location` when it was created.
fn user_response(
    state: &AppState,
    tenant: Tenant,
    status: StatusCode,
    account: &Account,
    projection: &Projection,
) -> Result<Scim, ApiError> {
    let body = render(state, tenant, account, projection)?;
    Ok(Scim::resource(status, body, account.version, || {
        format!("{}/Users/{}", state.tenant_url(tenant), account.id)
    }))
}

fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
}

/// [`if_match`] for work that may move to another thread.
fn owned_if_match(headers: &HeaderMap) -> Option<String> {
    if_match(headers).map(str::to_owned)
}

/// `userName` of a request body, for the provisioning log even when the request is refused.
fn user_name_of(body: &Value) -> Option<String> {
    body.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("userName"))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_owned)
}

pub async fn create_user(
    State(state): State<AppState>,
    tenant: Tenant,
    note: LogNote,
    params: Params,
    ScimJson(body, size): ScimJson,
) -> Result<Scim, ApiError> {
    note.name(user_name_of(&body));
    let projection = params.projection(&USER_RESOURCE)?;
    let (roster, log) = (state.roster.clone(), note.request(StatusCode::CREATED));
    let (account, _) = by_size(size, async move {
        Ok(roster
            .scim_create_user(tenant.0, &body, log.as_ref())
            .await?)
    })
    .await?;
    note.written();
    note.resource(&account.id.to_string(), Some(&account.user_name));
    user_response(&state, tenant, StatusCode::CREATED, &account, &projection)
}

pub async fn get_user(
    State(state): State<AppState>,
    tenant: Tenant,
    Path((_, id)): Path<(String, String)>,
    params: Params,
    conditional: IfNoneMatch,
) -> Result<Response, ApiError> {
    let projection = params.projection(&USER_RESOURCE)?;
    let account = match state
        .roster
        .scim_user_if_modified(tenant.0, &id, conditional.value())
        .await?
    {
        Conditional::Modified(account) => account,
        Conditional::NotModified { etag } => return Ok(not_modified(etag)),
    };
    Ok(user_response(&state, tenant, StatusCode::OK, &account, &projection)?.into_response())
}

pub async fn list_users(
    State(state): State<AppState>,
    tenant: Tenant,
    params: Params,
) -> Result<Scim, ApiError> {
    list(&state, tenant, &params).await
}

pub async fn search_users(
    State(state): State<AppState>,
    tenant: Tenant,
    ScimJson(body, _): ScimJson,
) -> Result<Scim, ApiError> {
    let params = Params::from_search_body(&body)?;
    list(&state, tenant, &params).await
}

async fn list(state: &AppState, tenant: Tenant, params: &Params) -> Result<Scim, ApiError> {
    let request = params.list_request(&USER_RESOURCE)?;
    let projection = params.projection(&USER_RESOURCE)?;
    let page = state.roster.scim_list_users(tenant.0, &request).await?;
    let resources = page
        .items
        .iter()
        .map(|a| render(state, tenant, a, &projection))
        .collect::<Result<Vec<_>, _>>()?;
    list_page(resources, page.total, page.start_index, page.next_cursor)
}

pub async fn replace_user(
    State(state): State<AppState>,
    tenant: Tenant,
    note: LogNote,
    Path((_, id)): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
    ScimJson(body, size): ScimJson,
) -> Result<Scim, ApiError> {
    note.resource(&id, user_name_of(&body).as_deref());
    let projection = params.projection(&USER_RESOURCE)?;
    let (roster, if_match, target) = (state.roster.clone(), owned_if_match(&headers), id.clone());
    let log = note.request(StatusCode::OK);
    let account = by_size(size, async move {
        Ok(roster
            .scim_replace_user(tenant.0, &target, &body, if_match.as_deref(), log.as_ref())
            .await?)
    })
    .await?;
    note.written();
    note.resource(&id, Some(&account.user_name));
    user_response(&state, tenant, StatusCode::OK, &account, &projection)
}

/// PATCH answers 200 with the resource (ENTRA.md: what Entra expects for users).
pub async fn patch_user(
    State(state): State<AppState>,
    tenant: Tenant,
    note: LogNote,
    Path((_, id)): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
    ScimJson(body, size): ScimJson,
) -> Result<Scim, ApiError> {
    note.resource(&id, None);
    let projection = params.projection(&USER_RESOURCE)?;
    let (roster, if_match, target) = (state.roster.clone(), owned_if_match(&headers), id.clone());
    let log = note.request(StatusCode::OK);
    let account = by_size(size, async move {
        Ok(roster
            .scim_patch_user(tenant.0, &target, &body, if_match.as_deref(), log.as_ref())
            .await?)
    })
    .await?;
    note.written();
    note.resource(&id, Some(&account.user_name));
    user_response(&state, tenant, StatusCode::OK, &account, &projection)
}

pub async fn delete_user(
    State(state): State<AppState>,
    tenant: Tenant,
    note: LogNote,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    note.resource(&id, None);
    let log = note.request(StatusCode::NO_CONTENT);
    state
        .roster
        .scim_delete_user(tenant.0, &id, if_match(&headers), log.as_ref())
        .await?;
    note.written();
    Ok(StatusCode::NO_CONTENT)
}
