//! Every failure leaves the API as one SCIM error body (RFC 7644 §3.12). Domain errors are mapped
//! here, variant by variant; internal causes are logged here, once, and never sent to the client.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use roster_domain::{Error, StoreError};
use roster_scim::ScimError;

use crate::response::SCIM_JSON;

#[derive(Debug)]
pub struct ApiError(pub ScimError);

impl From<ScimError> for ApiError {
    fn from(e: ScimError) -> Self {
        Self(e)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self(match e {
            Error::NotFound(detail) => ScimError::not_found(detail),
            Error::Unauthorized(detail) => ScimError::unauthorized(detail),
            Error::Invalid(detail) => ScimError::invalid_value(detail),
            Error::Conflict(detail) => ScimError::uniqueness(detail),
            Error::SeatLimit { seats, used } => ScimError::new(
                409,
                None,
                format!(
                    "seat limit reached: {used} of {seats} seats in use. Raise the organization's seat limit in Roster or deactivate accounts, then retry."
                ),
            ),
            Error::PreconditionFailed(detail) => ScimError::precondition_failed(detail),
            Error::Scim(e) => e,
            Error::Store(StoreError::UniqueViolation { what }) => {
                tracing::warn!(error = %what, "uniqueness violation reached the API unmapped");
                ScimError::uniqueness("the resource conflicts with an existing one")
            }
            Error::Store(StoreError::SeatLimit { seats, used }) => {
                return Self::from(Error::SeatLimit { seats, used });
            }
            Error::Store(StoreError::VersionConflict) => ScimError::new(
                409,
                None,
                "the resource was changed by another request at the same time; retry",
            ),
            Error::Store(e @ StoreError::Internal { .. }) => {
                tracing::error!(error = %e, "storage failure");
                ScimError::internal(
                    "Roster could not complete the request because of an internal error; it was logged and the request can be retried.",
                )
            }
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, self.0.to_json().to_string()).into_response();
        // For the provisioning log, which records the detail the client was given.
        response.extensions_mut().insert(self.0.clone());
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
        if status == StatusCode::TOO_MANY_REQUESTS {
            // The per-second quota refills within a second.
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if status == StatusCode::UNAUTHORIZED {
            // RFC 6750 §3: tell the client which scheme is expected.
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"roster\""),
            );
        }
        response
    }
}
