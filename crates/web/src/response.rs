//! SCIM response bodies: always `application/scim+json` (RFC 7644 §3.1).

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::Value;

pub const SCIM_JSON: &str = "application/scim+json";

/// A SCIM document with its status.
#[derive(Debug)]
pub struct Scim(pub StatusCode, pub Value);

impl Scim {
    pub fn ok(body: Value) -> Self {
        Self(StatusCode::OK, body)
    }
}

impl IntoResponse for Scim {
    fn into_response(self) -> Response {
        let mut response = (self.0, self.1.to_string()).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
        response
    }
}
