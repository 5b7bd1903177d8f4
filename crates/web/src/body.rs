//! The request body extractor for SCIM JSON: checks the media type, bounds the size, and turns
//! every failure into a SCIM error.

use axum::{
    body::{Bytes, to_bytes},
    extract::{FromRequest, Request},
    http::header,
};
use roster_scim::ScimError;
use serde_json::Value;

use crate::{
    ApiError, MAX_BODY_BYTES,
    offload::{BodySize, LARGE_BODY_BYTES},
};

/// A JSON request body, and its size in bytes. Accepts `application/scim+json` and
/// `application/json` (with any parameters, such as `charset=utf-8`), and a missing content
/// type, which some clients omit.
#[derive(Debug)]
pub struct ScimJson(pub Value, pub BodySize);

impl<S: Send + Sync> FromRequest<S> for ScimJson {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        if let Some(content_type) = request.headers().get(header::CONTENT_TYPE) {
            let essence = content_type
                .to_str()
                .unwrap_or("")
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if essence != "application/scim+json" && essence != "application/json" {
                return Err(ScimError::new(
                    415,
                    None,
                    format!("unsupported content type '{essence}'; send application/scim+json"),
                )
                .into());
            }
        }
        let bytes: Bytes = to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                ScimError::payload_too_large(format!(
                    "the request body is larger than {MAX_BODY_BYTES} bytes"
                ))
            })?;
        let bytes_len = bytes.len();
        let parse = move || {
            serde_json::from_slice(&bytes).map_err(|e| {
                ScimError::invalid_syntax(format!("the request body is not valid JSON: {e}"))
            })
        };
        // A body near the limit takes milliseconds to parse: off the async workers, so other
        // organizations' requests on the same worker do not wait for it.
        let value = if bytes_len > LARGE_BODY_BYTES {
            tokio::task::spawn_blocking(parse).await.map_err(|e| {
                ApiError::internal(
                    "Roster could not read the request body; retry",
                    crate::failure::Cause::new("parsing a request body failed", &e),
                )
            })??
        } else {
            parse()?
        };
        Ok(Self(value, BodySize(bytes_len)))
    }
}
