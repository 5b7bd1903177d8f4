//! `/Groups` handlers. Members are loaded only when the projection returns them, so
//! `excludedAttributes=members` costs the same for any group size.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use roster_domain::{Group, GroupOutcome, LogEntry, Outcome, group_resource};
use roster_scim::{Projection, list_response, schema::GROUP_RESOURCE};
use serde_json::Value;

use crate::{
    ApiError, AppState, auth::Tenant, body::ScimJson, log::LogNote, query::Params, response::Scim,
};

pub(crate) async fn render(
    state: &AppState,
    tenant: Tenant,
    group: &Group,
    projection: &Projection,
) -> Result<Value, ApiError> {
    let base = state.tenant_url(tenant);
    let members = if projection.includes(&GROUP_RESOURCE, "members") {
        Some(
            state
                .roster
                .scim_group_members(tenant.0, group, &base)
                .await?,
        )
    } else {
        None
    };
    Ok(Value::Object(projection.apply(
        &GROUP_RESOURCE,
        &group_resource(group, members, Some(&base)),
    )))
}

fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
}

fn display_name_of(body: &Value) -> Option<String> {
    body.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("displayName"))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_owned)
}

/// Member values that were not linked (not accounts of this organization) are recorded in the
/// provisioning log, one entry each, so administrators see who was left out and why.
fn log_skipped(state: &AppState, tenant: Tenant, operation: &str, outcome: &GroupOutcome) {
    let skipped: Vec<String> = outcome
        .members
        .skipped
        .iter()
        .map(ToString::to_string)
        .chain(outcome.invalid_members.iter().cloned())
        .collect();
    if skipped.is_empty() {
        return;
    }
    let roster = state.roster.clone();
    let scope = tenant.0;
    let group = outcome.group.clone();
    let operation = operation.to_owned();
    tokio::spawn(async move {
        for value in skipped {
            let entry = LogEntry {
                org_id: scope.org_id(),
                at: roster.clock().now(),
                operation: operation.clone(),
                resource_type: "Group".into(),
                resource_id: Some(group.id.to_string()),
                name: Some(group.display_name.clone()),
                outcome: Outcome::Skipped,
                status: 200,
                detail: Some(format!(
                    "member '{value}' was not added: it is not a user of this organization"
                )),
                duration_ms: 0,
                client_request_id: None,
            };
            if let Err(e) = roster.record(scope, entry).await {
                tracing::warn!(error = %e, "could not record a skipped member");
            }
        }
    });
}

pub async fn create_group(
    State(state): State<AppState>,
    tenant: Tenant,
    note: LogNote,
    params: Params,
    ScimJson(body): ScimJson,
) -> Result<Scim, ApiError> {
    note.name(display_name_of(&body));
    let projection = params.projection(&GROUP_RESOURCE)?;
    let outcome = state.roster.scim_create_group(tenant.0, &body).await?;
    note.resource(
        &outcome.group.id.to_string(),
        Some(&outcome.group.display_name),
    );
    log_skipped(&state, tenant, "POST /Groups", &outcome);
    let body = render(&state, tenant, &outcome.group, &projection).await?;
    Ok(Scim::resource(StatusCode::CREATED, body))
}

pub async fn get_group(
    State(state): State<AppState>,
    tenant: Tenant,
    Path((_, id)): Path<(String, String)>,
    params: Params,
) -> Result<Scim, ApiError> {
    let projection = params.projection(&GROUP_RESOURCE)?;
    let group = state.roster.scim_group(tenant.0, &id).await?;
    let body = render(&state, tenant, &group, &projection).await?;
    Ok(Scim::resource(StatusCode::OK, body))
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
    ScimJson(body): ScimJson,
) -> Result<Scim, ApiError> {
    let params = Params::from_search_body(&body)?;
    list(&state, tenant, &params).await
}

async fn list(state: &AppState, tenant: Tenant, params: &Params) -> Result<Scim, ApiError> {
    let request = params.list_request(&GROUP_RESOURCE)?;
    let projection = params.projection(&GROUP_RESOURCE)?;
    let (groups, total) = state.roster.scim_list_groups(tenant.0, &request).await?;
    let mut resources = Vec::with_capacity(groups.len());
    for group in &groups {
        resources.push(render(state, tenant, group, &projection).await?);
    }
    Ok(Scim::ok(list_response(
        resources,
        usize::try_from(total).unwrap_or(usize::MAX),
        usize::try_from(request.start_index).unwrap_or(1),
    )))
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
    ScimJson(body): ScimJson,
) -> Result<Response, ApiError> {
    note.resource(&id, None);
    let projection = params.projection(&GROUP_RESOURCE)?;
    let outcome = state
        .roster
        .scim_patch_group(tenant.0, &id, &body, if_match(&headers))
        .await?;
    note.resource(&id, Some(&outcome.group.display_name));
    log_skipped(&state, tenant, "PATCH /Groups/{id}", &outcome);
    if params.get("attributes").is_none() && params.get("excludedAttributes").is_none() {
        let etag = roster_domain::etag(outcome.group.version);
        return Ok((StatusCode::NO_CONTENT, [(header::ETAG, etag)]).into_response());
    }
    let body = render(&state, tenant, &outcome.group, &projection).await?;
    Ok(Scim::resource(StatusCode::OK, body).into_response())
}

pub async fn replace_group(
    State(state): State<AppState>,
    tenant: Tenant,
    note: LogNote,
    Path((_, id)): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
    ScimJson(body): ScimJson,
) -> Result<Scim, ApiError> {
    note.resource(&id, display_name_of(&body).as_deref());
    let projection = params.projection(&GROUP_RESOURCE)?;
    let outcome = state
        .roster
        .scim_replace_group(tenant.0, &id, &body, if_match(&headers))
        .await?;
    log_skipped(&state, tenant, "PUT /Groups/{id}", &outcome);
    let body = render(&state, tenant, &outcome.group, &projection).await?;
    Ok(Scim::resource(StatusCode::OK, body))
}

pub async fn delete_group(
    State(state): State<AppState>,
    tenant: Tenant,
    note: LogNote,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    note.resource(&id, None);
    state
        .roster
        .scim_delete_group(tenant.0, &id, if_match(&headers))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
