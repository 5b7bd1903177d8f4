//! Query parameters of SCIM requests: list parameters (RFC 7644 §3.4.2) and `attributes` /
//! `excludedAttributes` (§3.9). Names are matched case-insensitively and unknown parameters (such
//! as Entra's `aadOptscim062020` flag) are ignored.

use axum::{extract::FromRequestParts, http::request::Parts};
use roster_domain::{ListQuery, ListRequest};
use roster_scim::{
    Projection, ScimError,
    schema::{ResourceType, SERVICE_PROVIDER_CONFIG},
};
use serde_json::Value;

use crate::ApiError;

/// Largest page returned, as advertised in `filter.maxResults`; a larger `count` gets this many.
const MAX_PAGE_SIZE: u64 = SERVICE_PROVIDER_CONFIG.max_results as u64;
/// Page size when the client names none.
const DEFAULT_PAGE_SIZE: u64 = SERVICE_PROVIDER_CONFIG.default_page_size as u64;

/// The decoded query string as name/value pairs.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        // `+` is a space and `%40` is `@`, as Entra sends them.
        let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .map_err(|e| ScimError::invalid_value(format!("the query string is malformed: {e}")))?;
        Ok(Self(pairs))
    }
}

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body of `POST /.search` (RFC 7644 §3.4.3) read as parameters; arrays (`attributes`)
    /// become comma-separated lists.
    pub fn from_search_body(body: &Value) -> Result<Self, ScimError> {
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
        Ok(Self(pairs))
    }

    pub fn projection(&self, rt: &ResourceType) -> Result<Projection, ScimError> {
        Projection::parse(rt, self.get("attributes"), self.get("excludedAttributes"))
    }

    pub fn list_request(&self, rt: &ResourceType) -> Result<ListRequest, ScimError> {
        self.list_query()?.request(rt)
    }

    /// The list parameters, before the filter and `sortBy` are checked against a resource type
    /// (the domain does that, per type for `/.search`).
    pub fn list_query(&self) -> Result<ListQuery<'_>, ScimError> {
        let start_index = match self.get("startIndex") {
            // RFC 7644 §3.4.2.4: a value below 1 is interpreted as 1.
            Some(v) => integer("startIndex", v)?.max(1).unsigned_abs(),
            None => 1,
        };
        // RFC 7644 §3.4.2.4: a negative count is interpreted as 0, and a client may ask for more
        // than the server returns; the page then holds at most `maxResults` and `itemsPerPage`
        // says how many it holds.
        let count = match self.get("count") {
            Some(v) => integer("count", v)?.max(0).unsigned_abs(),
            None => DEFAULT_PAGE_SIZE,
        }
        .min(MAX_PAGE_SIZE);
        let descending = match self.get("sortOrder") {
            None => false,
            Some(order) if order.eq_ignore_ascii_case("ascending") => false,
            Some(order) if order.eq_ignore_ascii_case("descending") => true,
            Some(other) => {
                return Err(ScimError::invalid_value(format!(
                    "sortOrder must be 'ascending' or 'descending', got '{other}'"
                )));
            }
        };
        let cursor = self.get("cursor");
        if cursor.is_some() && self.get("startIndex").is_some() {
            return Err(ScimError::invalid_value(
                "startIndex and cursor are two ways to page: send one of them",
            ));
        }
        Ok(ListQuery {
            filter: self.get("filter"),
            start_index,
            count,
            sort_by: self.get("sortBy"),
            descending,
            cursor,
        })
    }
}

fn integer(name: &str, value: &str) -> Result<i64, ScimError> {
    value
        .trim()
        .parse()
        .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer, got '{value}'")))
}

#[cfg(test)]
mod tests {
    use roster_scim::schema::{GROUP_RESOURCE, USER_RESOURCE};

    use super::*;

    fn count(query: &str) -> u64 {
        let params = Params(serde_urlencoded::from_str(query).unwrap_or_default());
        match params.list_request(&USER_RESOURCE) {
            Ok(request) => request.count,
            Err(e) => panic!("{query}: {e:?}"),
        }
    }

    #[test]
    fn count_is_clamped_to_the_maximum_page_size() {
        assert_eq!(count(""), DEFAULT_PAGE_SIZE);
        assert_eq!(count("count=7"), 7);
        assert_eq!(count("count=1000"), 1000);
        assert_eq!(count("count=1001"), 1000);
        assert_eq!(count("count=100000"), 1000);
        assert_eq!(count("count=9223372036854775807"), 1000);
        assert_eq!(count("count=-3"), 0);
        let search = Params::from_search_body(&serde_json::json!({"count": 5000}))
            .and_then(|p| p.list_request(&GROUP_RESOURCE));
        assert_eq!(search.map(|r| r.count), Ok(1000));
    }
}
