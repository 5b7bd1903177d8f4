//! SCIM response bodies: always `application/scim+json` (RFC 7644 §3.1), with `ETag` and
//! `Location` where a single resource is returned.

use axum::{
    extract::FromRequestParts,
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::{Value, value::RawValue};

pub const SCIM_JSON: &str = "application/scim+json";

/// A SCIM document with its status and optional resource headers.
#[derive(Debug)]
pub struct Scim {
    pub status: StatusCode,
    /// Serialised JSON.
    pub body: String,
    pub etag: Option<String>,
    pub location: Option<String>,
}

impl Scim {
    pub fn ok(body: Value) -> Self {
        Self::json(StatusCode::OK, body.to_string())
    }

    /// An already serialised document.
    pub fn json(status: StatusCode, body: String) -> Self {
        Self {
            status,
            body,
            etag: None,
            location: None,
        }
    }

    /// A single resource, already rendered: `ETag` from its version (RFC 7644 §3.14);
    /// `Location` on 201.
    pub fn resource(
        status: StatusCode,
        body: Box<RawValue>,
        version: i64,
        location: impl FnOnce() -> String,
    ) -> Self {
        Self {
            status,
            body: Box::<str>::from(body).into_string(),
            etag: Some(roster_domain::etag(version)),
            location: (status == StatusCode::CREATED).then(location),
        }
    }
}

impl IntoResponse for Scim {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
        for (name, value) in [(header::ETAG, self.etag), (header::LOCATION, self.location)] {
            if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                headers.insert(name, value);
            }
        }
        response
    }
}

/// The `If-None-Match` header of a GET, for the domain's conditional reads; extracted alone
/// rather than with a copy of every header of the request.
pub(crate) struct IfNoneMatch(Option<HeaderValue>);

impl IfNoneMatch {
    pub(crate) fn value(&self) -> Option<&str> {
        self.0.as_ref().and_then(|v| v.to_str().ok())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfNoneMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.headers.get(header::IF_NONE_MATCH).cloned()))
    }
}

/// 304 (RFC 7644 §3.14, RFC 7232 §4.1): the client holds the current version; no body.
pub(crate) fn not_modified(etag: String) -> Response {
    (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response()
}

/// A ListResponse (RFC 7644 §3.4.2) around already rendered resources: with the index of its
/// first resource (index paging) or the cursor of the next page, if any (RFC 9865).
pub(crate) fn list_page(
    resources: Vec<Box<RawValue>>,
    total: u64,
    start_index: Option<u64>,
    next_cursor: Option<String>,
) -> Result<Scim, crate::ApiError> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Page {
        schemas: [&'static str; 1],
        total_results: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        start_index: Option<u64>,
        items_per_page: usize,
        #[serde(skip_serializing_if = "Option::is_none")]
        next_cursor: Option<String>,
        #[serde(rename = "Resources")]
        resources: Vec<Box<RawValue>>,
    }
    let page = Page {
        schemas: [roster_scim::list::LIST_RESPONSE_URN],
        total_results: total,
        start_index,
        items_per_page: resources.len(),
        next_cursor,
        resources,
    };
    match serde_json::to_string(&page) {
        Ok(body) => Ok(Scim::json(StatusCode::OK, body)),
        Err(e) => Err(render_failed(&e)),
    }
}

/// A response that could not be serialised: answered as 500, its cause logged once.
pub fn render_failed(e: &serde_json::Error) -> crate::ApiError {
    crate::ApiError::internal(
        "Roster could not render the response; it was logged",
        crate::failure::Cause::new("rendering a response", e),
    )
}
