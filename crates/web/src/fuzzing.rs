//! One hostile HTTP request through the whole router, in process: what the `http` fuzz target
//! (fuzz/fuzz_targets/http.rs) runs on libFuzzer's inputs, and what the `hostile_http` test of
//! the integration suite runs on random inputs every CI run. Only those two enable the `fuzzing`
//! feature.
//!
//! An input is text: a method line, a request-target line, header lines, an empty line, the
//! body. `{org}` and `{token}` stand for a real organization and its SCIM token, so inputs reach
//! the authenticated handlers instead of stopping at 401.

use axum::{
    Router,
    body::{Body, Bytes},
    http::{Request, StatusCode},
};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The organization and SCIM token that `{org}` and `{token}` stand for.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub org: String,
    pub token: String,
}

/// The request `input` describes, with `{org}` and `{token}` filled in; `None` when the input
/// is not UTF-8 or HTTP itself would refuse it before the router (a bad method, target or
/// header), which is not the router's business.
pub fn request(input: &[u8], tenant: &Tenant) -> Option<Request<Body>> {
    let text = std::str::from_utf8(input).ok()?;
    let text = text
        .replace("{org}", &tenant.org)
        .replace("{token}", &tenant.token);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let method = lines.next().unwrap_or("GET");
    let target = lines.next().unwrap_or("/");
    let mut builder = Request::builder().method(method).uri(target);
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            builder = builder.header(name.trim(), value.trim());
        }
    }
    builder.body(Body::from(body.to_owned())).ok()
}

/// Sends `input` through `router`. `Ok(None)`: no request to send; `Ok(Some(status))`: an
/// answer below 500; `Err`: a 5xx (a panic in a handler is one), described with the input and
/// the answer's body.
pub async fn check(
    router: &Router,
    input: &[u8],
    tenant: &Tenant,
) -> Result<Option<StatusCode>, String> {
    let Some(request) = request(input, tenant) else {
        return Ok(None);
    };
    let response = match router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let status = response.status();
    if !status.is_server_error() {
        return Ok(Some(status));
    }
    let body = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_else(|_| Bytes::from_static(b"<unreadable body>"));
    Err(format!(
        "{status} for:\n{}\nanswer: {}",
        String::from_utf8_lossy(input),
        String::from_utf8_lossy(&body)
    ))
}
