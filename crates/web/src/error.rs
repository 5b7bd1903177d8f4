//! Every failure leaves the API as one SCIM error body (RFC 7644 §3.12). Domain errors are mapped
//! here, variant by variant; internal causes ride along on the response for the one log line of
//! [`crate::metrics::observe`], and are never sent to the client.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use roster_domain::{Conflict, Error, UNAVAILABLE_RETRY_AFTER_SECONDS};
use roster_scim::ScimError;

use crate::{failure::Cause, response::SCIM_JSON};

#[derive(Debug)]
pub struct ApiError(pub ScimError, Extra);

/// What the response carries besides its body.
#[derive(Debug, Clone, Default)]
struct Extra {
    /// Seconds a 429 asks the client to wait; without one, the per-second request quota's 1.
    retry_after: Option<u64>,
    /// The domain refused for want of a seat (a 409 like others, counted apart).
    seat_limit: bool,
    /// A 5xx's cause, for the log.
    cause: Option<Cause>,
}

/// Marks a response whose request was refused for want of a seat.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeatLimitRefusal;

impl From<ScimError> for ApiError {
    fn from(e: ScimError) -> Self {
        Self(e, Extra::default())
    }
}

impl ApiError {
    /// A 500 with `detail` for the client and `cause` for the log.
    pub(crate) fn internal(detail: &str, cause: Cause) -> Self {
        Self(
            ScimError::internal(detail),
            Extra {
                cause: Some(cause),
                ..Extra::default()
            },
        )
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let mut extra = Extra {
            retry_after: e.retry_after_seconds(),
            seat_limit: matches!(e, Error::SeatLimit(_)),
            cause: None,
        };
        let error = match e {
            Error::NotFound(detail) => ScimError::not_found(detail),
            Error::Unauthorized(detail) => ScimError::unauthorized(detail),
            Error::Invalid(detail) => ScimError::invalid_value(detail),
            Error::Conflict(conflict) => match conflict {
                Conflict::Taken { .. } | Conflict::State(_) => {
                    ScimError::uniqueness(conflict.to_string())
                }
                // RFC 7644 §3.12 has no scimType for a lost race; the client retries.
                Conflict::Concurrent => ScimError::new(409, None, conflict.to_string()),
            },
            Error::SeatLimit(limit) => ScimError::new(409, None, limit.to_string()),
            Error::PreconditionFailed(detail) => ScimError::precondition_failed(detail),
            throttled @ Error::Throttled { .. } => ScimError::new(429, None, throttled.to_string()),
            Error::Scim(e) => e,
            Error::Unavailable(e) => {
                extra.cause = Some(Cause::new("database unavailable", &e));
                ScimError::new(
                    503,
                    None,
                    "Roster cannot reach its database at the moment; nothing was changed. Retry after the time in Retry-After.",
                )
            }
            Error::Internal(e) => {
                extra.cause = Some(Cause::new("storage failure", &e));
                ScimError::internal(
                    "Roster could not complete the request because of an internal error; it was logged and the request can be retried.",
                )
            }
        };
        Self(error, extra)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, self.0.to_json().to_string()).into_response();
        // For the provisioning log, which records the detail the client was given.
        response.extensions_mut().insert(self.0.clone());
        if let Some(cause) = self.1.cause {
            response.extensions_mut().insert(cause);
        }
        if self.1.seat_limit {
            response.extensions_mut().insert(SeatLimitRefusal);
        }
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
        if status == StatusCode::TOO_MANY_REQUESTS {
            // The per-second quota refills within a second; a sign-in throttle says its own.
            let seconds = self.1.retry_after.unwrap_or(1);
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // Every 503 passes (a database that is back, a request that was too slow this time).
            let seconds = self
                .1
                .retry_after
                .unwrap_or(UNAVAILABLE_RETRY_AFTER_SECONDS);
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttled_sign_in_is_429_with_the_seconds_left_rounded_up() {
        let throttled = Error::Throttled {
            retry_after: time::Duration::milliseconds(90_500),
        };
        let response = ApiError::from(throttled).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "91");
    }

    #[test]
    fn an_unavailable_database_is_503_with_retry_after() {
        let down = Error::Unavailable(roster_domain::Internal::new(
            "pinging",
            "connection refused",
        ));
        let response = ApiError::from(down).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers()[header::RETRY_AFTER],
            UNAVAILABLE_RETRY_AFTER_SECONDS.to_string().as_str()
        );
        assert_eq!(response.headers()[header::CONTENT_TYPE], SCIM_JSON);
    }

    #[test]
    fn other_429s_keep_the_one_second_retry() {
        let response = ApiError::from(ScimError::new(429, None, "slow down")).into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }
}
