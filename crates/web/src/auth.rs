//! Bearer-token authentication for tenant URLs: the [`Tenant`] extractor turns a valid token for
//! the URL's organization into the scope every handler needs, or answers 401.

use axum::{
    extract::{FromRequestParts, RawPathParams},
    http::{header, request::Parts},
};
use roster_domain::OrgScope;

use crate::{ApiError, AppState};

/// The authenticated organization of a SCIM request.
#[derive(Debug, Clone, Copy)]
pub struct Tenant(pub OrgScope);

impl FromRequestParts<AppState> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| roster_scim::ScimError::not_found("no tenant in this URL"))?;
        let org = params
            .iter()
            .find_map(|(name, value)| (name == "org").then(|| value.to_owned()))
            .unwrap_or_default();
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token);
        let scope = state.roster.authenticate_scim(&org, bearer).await?;
        crate::log::note_scope(parts, scope);
        if let Some(limit) = &state.rate_limit
            && !limit.allow(scope.org_id())
        {
            return Err(roster_scim::ScimError::too_many_requests(format!(
                "this organization is sending more than {} requests per second; retry after the time in Retry-After",
                limit.per_second()
            ))
            .into());
        }
        Ok(Self(scope))
    }
}

/// The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive
/// (RFC 7235 §2.1).
pub(crate) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("abc"), None);
    }
}
