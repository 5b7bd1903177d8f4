//! Discovery endpoints (RFC 7644 §4): what this service provider supports. Rendered from the
//! protocol crate's schema definitions, so the documents cannot drift from what is enforced.

use axum::extract::{Path, State};
use roster_domain::tenant_url;
use roster_scim::{ScimError, discovery, list_response};

use crate::{ApiError, AppState, auth::Tenant, response::Scim};

fn base(state: &AppState, tenant: Tenant) -> String {
    tenant_url(&state.public_url, tenant.0.org_id())
}

pub async fn service_provider_config(State(state): State<AppState>, tenant: Tenant) -> Scim {
    Scim::ok(discovery::service_provider_config(&base(&state, tenant)))
}

pub async fn resource_types(State(state): State<AppState>, tenant: Tenant) -> Scim {
    let all = discovery::resource_types(&base(&state, tenant));
    let total = all.len();
    Scim::ok(list_response(all, total, 1))
}

pub async fn resource_type(
    State(state): State<AppState>,
    tenant: Tenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<Scim, ApiError> {
    discovery::resource_type(&id, &base(&state, tenant))
        .map(Scim::ok)
        .ok_or_else(|| {
            ScimError::not_found(format!("no resource type '{id}'; there are User and Group"))
                .into()
        })
}

pub async fn schemas(State(state): State<AppState>, tenant: Tenant) -> Scim {
    let all = discovery::schemas(&base(&state, tenant));
    let total = all.len();
    Scim::ok(list_response(all, total, 1))
}

pub async fn schema(
    State(state): State<AppState>,
    tenant: Tenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<Scim, ApiError> {
    discovery::schema(&id, &base(&state, tenant))
        .map(Scim::ok)
        .ok_or_else(|| ScimError::not_found(format!("no schema '{id}'")).into())
}
