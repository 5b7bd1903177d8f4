//! Request plumbing around the routes: path canonicalisation, request spans, and turning every
//! error response (including those produced by tower layers and axum's rejections) into a SCIM
//! error body.

use axum::{
    body::{Body, to_bytes},
    extract::Request,
    http::{HeaderValue, Method, StatusCode, Uri, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use roster_scim::{ScimError, ScimType};

use crate::{ApiError, MAX_BODY_BYTES, REQUEST_TIMEOUT, failure::Cause, response::SCIM_JSON};

/// Resource endpoints as RFC 7644 spells them. Clients are matched case-insensitively, because
/// identity providers do not all respect case (`/users`, `/groups`).
const ENDPOINTS: &[&str] = &[
    "Users",
    "Groups",
    "ServiceProviderConfig",
    "ResourceTypes",
    "Schemas",
    ".search",
];

/// Rewrites `/SCIM/V2/{org}/users/` to `/scim/v2/{org}/Users` before routing.
pub async fn canonical_path(mut request: Request) -> Request {
    if let Some(uri) = canonical_uri(request.uri()) {
        *request.uri_mut() = uri;
    }
    request
}

fn canonical_uri(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    let trimmed = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    // ["", "scim", "v2", org, endpoint, ...]
    let mut segments = trimmed.split('/');
    let is_scim = segments
        .nth(1)
        .is_some_and(|s| s.eq_ignore_ascii_case("scim"))
        && segments
            .next()
            .is_some_and(|s| s.eq_ignore_ascii_case("v2"))
        && segments.next().is_some();
    // Nearly every request is already canonical: it is checked without building a new path.
    if !is_scim
        || (trimmed.len() == path.len()
            && trimmed
                .split('/')
                .enumerate()
                .all(|(i, s)| canonical_segment(i, s) == s))
    {
        return None;
    }
    let rebuilt = trimmed
        .split('/')
        .enumerate()
        .map(|(i, s)| canonical_segment(i, s))
        .collect::<Vec<_>>()
        .join("/");
    let path_and_query = match uri.query() {
        Some(q) => format!("{rebuilt}?{q}"),
        None => rebuilt,
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    Uri::from_parts(parts).ok()
}

/// The spelling RFC 7644 gives the `index`th segment of a SCIM path (`scim`, `v2`, endpoints).
fn canonical_segment(index: usize, segment: &str) -> &str {
    match index {
        1 if segment.eq_ignore_ascii_case("scim") => "scim",
        2 if segment.eq_ignore_ascii_case("v2") => "v2",
        4 | 5 => ENDPOINTS
            .iter()
            .find(|e| e.eq_ignore_ascii_case(segment))
            .copied()
            .unwrap_or(segment),
        _ => segment,
    }
}

/// Longest client `x-request-id` kept.
const MAX_REQUEST_ID: usize = 128;

/// A client's `x-request-id` is echoed and written into every log line of the request, unquoted
/// in text logs: one with spaces, quotes, `=` or other punctuation could forge log fields, and a
/// long one bloats every line. Such an id is dropped, so the request gets a fresh one.
pub async fn drop_unsafe_request_id(mut request: Request<Body>) -> Request<Body> {
    let safe = request
        .headers()
        .get("x-request-id")
        .map(|v| is_safe_request_id(v.as_bytes()));
    if safe == Some(false) {
        request.headers_mut().remove("x-request-id");
    }
    request
}

fn is_safe_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// The span every request's logs carry: method, path and request id (never the query string or
/// headers, which can hold personal data and tokens).
pub fn make_span(request: &Request<Body>) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        http.method = %request.method(),
        http.path = %request.uri().path(),
        request.id = %request_id,
    )
}

/// Unknown paths outside any tenant.
pub async fn not_found(uri: Uri) -> ApiError {
    ScimError::not_found(format!(
        "no such endpoint: {}; SCIM clients use the tenant URL shown when SCIM was enabled",
        uri.path()
    ))
    .into()
}

/// Paths whose error responses are not SCIM's to rewrite: the console and sign-in answer people
/// with HTML pages of their own (a refusal page must reach the browser as a page), and the
/// platform API (`/api/v1/...`) answers the platform's apps with JSON of its own.
fn answers_for_itself(path: &str) -> bool {
    let under = |prefix: &str| {
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    under("/console") || under("/sso") || path == "/home" || under("/api")
}

/// Gives every error response a SCIM body. Routes already answer with one; this catches what
/// comes from elsewhere: 405 from the router, 413 from the body limit, 503 from the timeout, 500
/// from a caught panic, 400 from an extractor's rejection.
pub async fn scim_error_bodies(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let status = response.status();
    // The request timeout's 503 is the only one without a body or a cause: nothing else answers
    // 503 without saying why.
    if status == StatusCode::SERVICE_UNAVAILABLE
        && !response.headers().contains_key(header::CONTENT_TYPE)
        && response.extensions().get::<Cause>().is_none()
    {
        response.extensions_mut().insert(Cause::text(format!(
            "no answer within the {}-second request timeout",
            REQUEST_TIMEOUT.as_secs()
        )));
    }
    if answers_for_itself(&path) {
        return response;
    }
    let is_scim = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(SCIM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_scim {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = match to_bytes(body, 4096).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => String::new(),
    };
    let error = describe(status, &method, &path, text);
    let rebuilt = ApiError::from(error).into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    let (rebuilt, body) = rebuilt.into_parts();
    // A 503 from the timeout layer gets the same `Retry-After` as the domain's.
    if let Some(retry) = rebuilt.headers.get(header::RETRY_AFTER) {
        parts
            .headers
            .entry(header::RETRY_AFTER)
            .or_insert_with(|| retry.clone());
    }
    Response::from_parts(parts, body)
}

/// The 500 of a handler that panicked, with the panic's message as its cause (the default panic
/// hook has printed it to stderr too, unstructured).
pub fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response
        .extensions_mut()
        .insert(Cause::text(format!("handler panicked: {message}")));
    response
}

fn describe(status: StatusCode, method: &Method, path: &str, text: String) -> ScimError {
    let code = status.as_u16();
    match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            ScimError::method_not_allowed(format!("{method} is not supported on {path}"))
        }
        StatusCode::NOT_FOUND => ScimError::not_found(format!("no such endpoint: {path}")),
        StatusCode::PAYLOAD_TOO_LARGE => ScimError::payload_too_large(format!(
            "the request body is larger than {MAX_BODY_BYTES} bytes; send fewer operations or members per request"
        )),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => ScimError::new(
            code,
            None,
            "the request took too long and was abandoned; it can be retried",
        ),
        StatusCode::BAD_REQUEST => ScimError::new(
            code,
            Some(ScimType::InvalidValue),
            if text.is_empty() {
                "the request is malformed".to_owned()
            } else {
                text
            },
        ),
        s if s.is_server_error() => ScimError::new(
            code,
            None,
            "Roster could not complete the request because of an internal error; it was logged and the request can be retried.",
        ),
        _ => ScimError::new(
            code,
            None,
            if text.is_empty() {
                status
                    .canonical_reason()
                    .unwrap_or("request refused")
                    .to_owned()
            } else {
                text
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        let uri: Uri = s.parse().unwrap();
        canonical_uri(&uri).map_or_else(|| s.to_owned(), |u| u.to_string())
    }

    #[test]
    fn resource_endpoints_are_matched_case_insensitively() {
        assert_eq!(
            canon("/scim/v2/o/users?filter=x"),
            "/scim/v2/o/Users?filter=x"
        );
        assert_eq!(canon("/SCIM/V2/o/GROUPS/"), "/scim/v2/o/Groups");
        assert_eq!(
            canon("/scim/v2/o/users/.SEARCH"),
            "/scim/v2/o/Users/.search"
        );
        assert_eq!(canon("/scim/v2/o/schemas"), "/scim/v2/o/Schemas");
    }

    #[test]
    fn a_caught_panic_is_a_500_carrying_its_message_for_the_log() {
        let response = panicked(Box::new("index out of bounds"));
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let cause = response.extensions().get::<Cause>().unwrap();
        assert_eq!(&*cause.0, "handler panicked: index out of bounds");
        let formatted = panicked(Box::new(format!("bad {}", 42)));
        assert_eq!(
            &*formatted.extensions().get::<Cause>().unwrap().0,
            "handler panicked: bad 42"
        );
    }

    #[test]
    fn ids_and_other_paths_are_left_alone() {
        assert_eq!(canon("/scim/v2/o/Users/AbC"), "/scim/v2/o/Users/AbC");
        assert_eq!(canon("/healthz"), "/healthz");
        assert_eq!(canon("/scim/v2/OrgCase"), "/scim/v2/OrgCase");
    }

    #[test]
    fn a_canonical_path_is_not_rewritten() {
        for path in [
            "/scim/v2/o/Users/AbC?attributes=userName",
            "/scim/v2/o/Users/.search",
            "/scim/v2/o/ServiceProviderConfig",
            "/scim/v2/o",
            "/healthz",
            "/",
        ] {
            assert_eq!(canonical_uri(&path.parse().unwrap()), None, "{path}");
        }
        assert_eq!(canon("/scim/v2/o/Users/"), "/scim/v2/o/Users");
        assert_eq!(canon("/scim/V2/o/Users/x"), "/scim/v2/o/Users/x");
        assert_eq!(
            canon("/scim/v2/o/users/.Search"),
            "/scim/v2/o/Users/.search"
        );
    }
}
