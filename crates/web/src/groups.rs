//! `/Groups` handlers. Members are loaded only when the projection returns them, so
//! `excludedAttributes=members` costs the same for any group size.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use roster_domain::{AccountId, Conditional, Group, group_resource, member_entries};
use roster_scim::{Projection, StreamedResource, schema::GROUP_RESOURCE};
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

/// A group as JSON text. Members (a group can have hundreds of thousands) go from the store's
/// rows straight into the text, one at a time, after the projected resource
/// ([`StreamedResource`]), instead of through a JSON value per member and copies of the whole
/// resource. They are loaded only when the projection returns some of their sub-attributes.
pub(crate) async fn render(
    state: &AppState,
    tenant: Tenant,
    group: &Group,
    projection: &Projection,
) -> Result<Box<RawValue>, ApiError> {
    let members = if projection
        .kept_sub_attributes(&GROUP_RESOURCE, "members")
        .is_empty()
    {
        Vec::new()
    } else {
        state.roster.scim_group_member_ids(tenant.0, group).await?
    };
    render_with(state, tenant, group, &members, projection)
}

/// A group with the member rows already read.
fn render_with(
    state: &AppState,
    tenant: Tenant,
    group: &Group,
    members: &[AccountId],
    projection: &Projection,
) -> Result<Box<RawValue>, ApiError> {
    let base = state.tenant_url(tenant);
    let resource = group_resource(group, None, Some(&base));
    let kept = projection.kept_sub_attributes(&GROUP_RESOURCE, "members");
    let body = StreamedResource::new(
        projection.view(&GROUP_RESOURCE, &resource),
        &kept,
        member_entries(members, &base, &kept),
    );
    serde_json::value::to_raw_value(&body).map_err(internal)
}

/// A page of listed groups, rendered; with members, cut to the domain's member budget.
pub(crate) async fn render_page(
    state: &AppState,
    tenant: Tenant,
    groups: Vec<Group>,
    projection: &Projection,
) -> Result<Vec<Box<RawValue>>, ApiError> {
    if projection
        .kept_sub_attributes(&GROUP_RESOURCE, "members")
        .is_empty()
    {
        return groups
            .iter()
            .map(|group| render_with(state, tenant, group, &[], projection))
            .collect();
    }
    state
        .roster
        .scim_list_group_members(tenant.0, groups)
        .await?
        .iter()
        .map(|(group, members)| render_with(state, tenant, group, members, projection))
        .collect()
}

fn internal(e: serde_json::Error) -> ApiError {
    crate::response::render_failed(&e)
}

/// ETag and Location of a rendered group.
fn group_response(
    state: &AppState,
    tenant: Tenant,
    status: StatusCode,
    group: &Group,
    body: Box<RawValue>,
) -> Scim {
    Scim::resource(status, body, group.version, || {
        format!("{}/Groups/{}", state.tenant_url(tenant), group.id)
    })
}

fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
}

/// [`if_match`] for work that may move to another thread.
fn owned_if_match(headers: &HeaderMap) -> Option<String> {
    if_match(headers).map(str::to_owned)
}

fn display_name_of(body: &Value) -> Option<String> {
    body.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("displayName"))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_owned)
}

pub async fn create_group(
    State(state): State<AppState>,
    tenant: Tenant,
    note: LogNote,
    params: Params,
    ScimJson(body, size): ScimJson,
) -> Result<Scim, ApiError> {
    note.name(display_name_of(&body));
    let projection = params.projection(&GROUP_RESOURCE)?;
    let (roster, log) = (state.roster.clone(), note.request(StatusCode::CREATED));
    let outcome = by_size(size, async move {
        Ok(roster
            .scim_create_group(tenant.0, &body, log.as_ref())
            .await?)
    })
    .await?;
    note.written();
    note.resource(
        &outcome.group.id.to_string(),
        Some(&outcome.group.display_name),
    );
    note.skipped(outcome.skipped_summary());
    let body = render(&state, tenant, &outcome.group, &projection).await?;
    Ok(group_response(
        &state,
        tenant,
        StatusCode::CREATED,
        &outcome.group,
        body,
    ))
}

pub async fn get_group(
    State(state): State<AppState>,
    tenant: Tenant,
    Path((_, id)): Path<(String, String)>,
    params: Params,
    conditional: IfNoneMatch,
) -> Result<Response, ApiError> {
    let projection = params.projection(&GROUP_RESOURCE)?;
    let group = match state
        .roster
        .scim_group_if_modified(tenant.0, &id, conditional.value())
        .await?
    {
        Conditional::Modified(group) => group,
        Conditional::NotModified { etag } => return Ok(not_modified(etag)),
    };
    let body = render(&state, tenant, &group, &projection).await?;
    Ok(group_response(&state, tenant, StatusCode::OK, &group, body).into_response())
}

pub async fn list_groups(
    State(state): State<AppState>,
    tenant: Tenant,
    params: Params,
) -> Result<Scim, ApiError> {
    list(&state, tenant, &params).await
}

pub async fn search_groups(
    State(state): State<AppState>,
    tenant: Tenant,
    ScimJson(body, _): ScimJson,
) -> Result<Scim, ApiError> {
    let params = Params::from_search_body(&body)?;
    list(&state, tenant, &params).await
}

async fn list(state: &AppState, tenant: Tenant, params: &Params) -> Result<Scim, ApiError> {
    let request = params.list_request(&GROUP_RESOURCE)?;
    let projection = params.projection(&GROUP_RESOURCE)?;
    let page = state.roster.scim_list_groups(tenant.0, &request).await?;
    let resources = render_page(state, tenant, page.items, &projection).await?;
    list_page(resources, page.total, page.start_index, page.next_cursor)
}

/// PATCH answers 204, as Microsoft documents for groups, unless the client asks for attributes
/// (RFC 7644 §3.5.2): a large group's member list is not sent back on every membership change.
pub async fn patch_group(
    State(state): State<AppState>,
    tenant: Tenant,
    note: LogNote,
    Path((_, id)): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
    ScimJson(body, size): ScimJson,
) -> Result<Response, ApiError> {
    note.resource(&id, None);
    let projection = params.projection(&GROUP_RESOURCE)?;
    let (roster, if_match, target) = (state.roster.clone(), owned_if_match(&headers), id.clone());
    let bare = params.get("attributes").is_none() && params.get("excludedAttributes").is_none();
    let log = note.request(if bare {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::OK
    });
    let outcome = by_size(size, async move {
        Ok(roster
            .scim_patch_group(tenant.0, &target, &body, if_match.as_deref(), log.as_ref())
            .await?)
    })
    .await?;
    note.written();
    note.resource(&id, Some(&outcome.group.display_name));
    note.skipped(outcome.skipped_summary());
    if bare {
        let etag = roster_domain::etag(outcome.group.version);
        return Ok((StatusCode::NO_CONTENT, [(header::ETAG, etag)]).into_response());
    }
    let body = render(&state, tenant, &outcome.group, &projection).await?;
    Ok(group_response(&state, tenant, StatusCode::OK, &outcome.group, body).into_response())
}

pub async fn replace_group(
    State(state): State<AppState>,
    tenant: Tenant,
    note: LogNote,
    Path((_, id)): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
    ScimJson(body, size): ScimJson,
) -> Result<Scim, ApiError> {
    note.resource(&id, display_name_of(&body).as_deref());
    let projection = params.projection(&GROUP_RESOURCE)?;
    let (roster, if_match) = (state.roster.clone(), owned_if_match(&headers));
    let log = note.request(StatusCode::OK);
    let outcome = by_size(size, async move {
        Ok(roster
            .scim_replace_group(tenant.0, &id, &body, if_match.as_deref(), log.as_ref())
            .await?)
    })
    .await?;
    note.written();
    note.skipped(outcome.skipped_summary());
    let body = render(&state, tenant, &outcome.group, &projection).await?;
    Ok(group_response(
        &state,
        tenant,
        StatusCode::OK,
        &outcome.group,
        body,
    ))
}

pub async fn delete_group(
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
        .scim_delete_group(tenant.0, &id, if_match(&headers), log.as_ref())
        .await?;
    note.written();
    Ok(StatusCode::NO_CONTENT)
}
