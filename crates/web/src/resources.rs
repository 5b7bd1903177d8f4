//! Paths under a tenant URL that no route serves.

use axum::http::Uri;
use roster_scim::ScimError;

use crate::{ApiError, auth::Tenant};

/// Unknown paths under a tenant URL: authenticated first, so a probe without a token learns
/// nothing, then 404.
pub async fn unknown_tenant_path(_tenant: Tenant, uri: Uri) -> ApiError {
    ScimError::not_found(format!(
        "no such endpoint: /{}; this service serves /Users, /Groups, /ServiceProviderConfig, /ResourceTypes and /Schemas",
        below_tenant(uri.path())
    ))
    .into()
}

/// The part of `/scim/v2/{org}/...` after the tenant URL, without its leading slashes.
fn below_tenant(path: &str) -> &str {
    path.splitn(5, '/')
        .nth(4)
        .unwrap_or("")
        .trim_start_matches('/')
}
