//! `/Users` and `/Groups`.
//!
//! Listing is here so identity providers' "Test connection" probes and matching queries get a
//! well-formed answer. Creating and changing resources arrives with the Users and Groups work.

use axum::{extract::Query, http::Uri};
use roster_scim::{
    ScimError,
    filter::{self, Filter},
    list_response,
    schema::{GROUP_RESOURCE, ResourceType, SERVICE_PROVIDER_CONFIG, USER_RESOURCE},
};
use serde_json::Value;

use crate::{ApiError, auth::Tenant, response::Scim};

/// Largest page a client may ask for (RFC 7644 §3.4.2.4), as advertised in `filter.maxResults`.
const MAX_PAGE_SIZE: u64 = SERVICE_PROVIDER_CONFIG.max_results as u64;
/// Page size when the client names none.
pub const DEFAULT_PAGE_SIZE: u64 = 100;

/// The query of a list or `.search` request, validated.
#[derive(Debug)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    /// 1-based (RFC 7644 §3.4.2.4).
    pub start_index: u64,
    pub count: u64,
}

impl ListQuery {
    /// Parses query parameters. Parameter names are matched case-insensitively and unknown ones
    /// (such as Entra's `aadOptscim062020` flag) are ignored.
    pub fn from_pairs(rt: &ResourceType, pairs: &[(String, String)]) -> Result<Self, ScimError> {
        let param = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let filter = param("filter")
            .filter(|f| !f.trim().is_empty())
            .map(|f| parse_filter(rt, f))
            .transpose()?;
        let start_index = match param("startIndex") {
            // RFC 7644 §3.4.2.4: a value below 1 is interpreted as 1.
            Some(v) => parse_integer("startIndex", v)?.max(1).unsigned_abs(),
            None => 1,
        };
        let count = match param("count") {
            // A negative count is interpreted as 0.
            Some(v) => parse_integer("count", v)?.max(0).unsigned_abs(),
            None => DEFAULT_PAGE_SIZE,
        };
        if count > MAX_PAGE_SIZE {
            return Err(ScimError::too_many(format!(
                "count {count} is above the maximum page size of {MAX_PAGE_SIZE}; page through results with startIndex"
            )));
        }
        Ok(Self {
            filter,
            start_index,
            count,
        })
    }

    /// The body of `POST /.search` (RFC 7644 §3.4.3).
    pub fn from_search_body(rt: &ResourceType, body: &Value) -> Result<Self, ScimError> {
        let object = body
            .as_object()
            .ok_or_else(|| ScimError::invalid_syntax("a search request must be a JSON object"))?;
        let mut pairs = Vec::new();
        for (key, value) in object {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                _ => continue,
            };
            pairs.push((key.clone(), text));
        }
        Self::from_pairs(rt, &pairs)
    }
}

fn parse_filter(rt: &ResourceType, text: &str) -> Result<Filter, ScimError> {
    let parsed = filter::parse_filter(text)?;
    filter::validate(&parsed, rt)?;
    Ok(parsed)
}

fn parse_integer(name: &str, value: &str) -> Result<i64, ScimError> {
    value
        .trim()
        .parse()
        .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer, got '{value}'")))
}

pub async fn list_users(
    _tenant: Tenant,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Scim, ApiError> {
    let query = ListQuery::from_pairs(&USER_RESOURCE, &pairs)?;
    Ok(empty_page(&query))
}

pub async fn search_users(
    _tenant: Tenant,
    crate::body::ScimJson(body): crate::body::ScimJson,
) -> Result<Scim, ApiError> {
    let query = ListQuery::from_search_body(&USER_RESOURCE, &body)?;
    Ok(empty_page(&query))
}

pub async fn list_groups(
    _tenant: Tenant,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Scim, ApiError> {
    let query = ListQuery::from_pairs(&GROUP_RESOURCE, &pairs)?;
    Ok(empty_page(&query))
}

pub async fn search_groups(
    _tenant: Tenant,
    crate::body::ScimJson(body): crate::body::ScimJson,
) -> Result<Scim, ApiError> {
    let query = ListQuery::from_search_body(&GROUP_RESOURCE, &body)?;
    Ok(empty_page(&query))
}

/// No accounts or groups are provisioned through SCIM yet, so every query matches nothing.
fn empty_page(query: &ListQuery) -> Scim {
    Scim::ok(list_response(
        Vec::new(),
        0,
        usize::try_from(query.start_index).unwrap_or(1),
    ))
}

/// Unknown paths under a tenant URL: authenticated first, so a probe without a token learns
/// nothing, then 404.
pub async fn unknown_tenant_path(_tenant: Tenant, uri: Uri) -> ApiError {
    ScimError::not_found(format!(
        "no such endpoint: {}; this service serves /Users, /Groups, /ServiceProviderConfig, /ResourceTypes and /Schemas",
        uri.path()
    ))
    .into()
}
