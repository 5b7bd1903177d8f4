//! Rendering: the frame around signed-in pages ([`Chrome`]), turning a template into a response,
//! and every console failure into an HTML page that says what happened (never a SCIM body).
//! Domain errors are mapped here variant by variant; internal causes are logged once, here.

use askama::Template;
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
};
use roster_domain::{Conflict, Error, OrgKind};

use super::assets;

/// What the layout of every signed-in page shows: the organization, the administrator, the
/// section in the navigation, and the form token the sign-out button needs.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub org_name: String,
    pub org_kind: OrgKind,
    pub admin_email: String,
    pub csrf: String,
    pub section: &'static str,
}

impl Chrome {
    pub fn css_url(&self) -> String {
        assets::css_url()
    }

    pub fn js_url(&self) -> String {
        assets::js_url()
    }

    #[must_use]
    pub fn in_section(mut self, section: &'static str) -> Self {
        self.section = section;
        self
    }
}

/// A rendered template as a response, or a 500 page when rendering fails.
pub fn render(template: &impl Template) -> Response {
    render_with(StatusCode::OK, template)
}

pub fn render_with(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => crate::failure::with_cause(
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be shown because of an internal error; it was logged.",
            )
                .into_response(),
            crate::failure::Cause::new("rendering a console page failed", &e),
        ),
    }
}

/// After a successful form: back to a page with GET (so a reload does not post again).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// The page after a change that has something to say (what it did, what happens next).
#[derive(Template)]
#[template(path = "console/done.html")]
pub struct Done {
    pub chrome: Chrome,
    pub heading: String,
    pub message: String,
    pub note: Option<String>,
    pub back: String,
    pub back_label: String,
}

#[derive(Template)]
#[template(path = "console/problem.html")]
struct Problem<'a> {
    heading: &'a str,
    message: &'a str,
    back: &'a str,
    back_label: &'a str,
}

/// Why a console request was not served.
#[derive(Debug)]
pub enum PageError {
    /// No valid session: the browser is sent to the sign-in page.
    SignInNeeded,
    /// A form without a valid CSRF token, or posted from another site.
    ForgedForm,
    /// The posted body is not a form this page sends.
    BadForm,
    /// The console has no such page (or the thing is not this organization's).
    NotFound,
    /// A one-time link that no longer works, with why and what to do.
    Gone(String),
    /// The domain refused or failed.
    Domain(Error),
}

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        Self::Domain(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            Self::Domain(e) => e.retry_after_seconds(),
            _ => None,
        };
        let cause = match &self {
            Self::Domain(Error::Internal(e)) => Some(crate::failure::Cause::new(
                "storage failure in the console",
                e,
            )),
            Self::Domain(Error::Unavailable(e)) => Some(crate::failure::Cause::new(
                "database unavailable in the console",
                e,
            )),
            _ => None,
        };
        // Every account the console creates or reactivates is a user.
        let seat_refusal = matches!(&self, Self::Domain(Error::SeatLimit(_))).then_some(
            crate::metrics::SeatRefusal {
                resource: "User",
                operation: "console",
            },
        );
        let (status, heading, message) = match self {
            Self::SignInNeeded => return see_other("/console/sign-in"),
            Self::ForgedForm => (
                StatusCode::FORBIDDEN,
                "Form refused",
                "This form was refused because it did not come from a page of this console (its security token was missing, expired or from another site). Nothing was changed. Go back, reload the page and try again.".to_owned(),
            ),
            Self::BadForm => (
                StatusCode::BAD_REQUEST,
                "Form not understood",
                "The form could not be read: a field is missing or has a value of the wrong kind. Go back and try again.".to_owned(),
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is no such page in this console, or it belongs to another organization.".to_owned(),
            ),
            Self::Gone(message) => (StatusCode::NOT_FOUND, "This link no longer works", message),
            Self::Domain(e) => match domain_status(e) {
                Some(found) => found,
                None => return see_other("/console/sign-in"),
            },
        };
        let mut response = render_with(
            status,
            &Problem {
                heading,
                message: &message,
                back: "/console",
                back_label: "Back to the console",
            },
        );
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(cause) = cause {
            response.extensions_mut().insert(cause);
        }
        if let Some(refusal) = seat_refusal {
            response.extensions_mut().insert(refusal);
        }
        response
    }
}

/// A domain message as a sentence: capital first letter, full stop.
pub fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// Status, heading and message for a domain error; `None` when the answer is to sign in again.
fn domain_status(e: Error) -> Option<(StatusCode, &'static str, String)> {
    Some(match e {
        Error::NotFound(_) => (
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such record in your organization.".to_owned(),
        ),
        Error::Unauthorized(_) => return None,
        Error::Invalid(detail) => (StatusCode::BAD_REQUEST, "Please correct this", detail),
        Error::Conflict(conflict) => match conflict {
            Conflict::Taken { .. } | Conflict::State(_) => {
                (StatusCode::CONFLICT, "Not possible", conflict.to_string())
            }
            Conflict::Concurrent => (
                StatusCode::CONFLICT,
                "Changed meanwhile",
                conflict.to_string(),
            ),
        },
        Error::SeatLimit(limit) => (StatusCode::CONFLICT, "No free seat", limit.to_string()),
        throttled @ Error::Throttled { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Please wait",
            sentence(&throttled.to_string()),
        ),
        Error::PreconditionFailed(detail) => (StatusCode::CONFLICT, "Changed meanwhile", detail),
        Error::Scim(e) => (
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            "Not possible",
            e.detail,
        ),
        // Their causes are attached to the response by `into_response`, for the one log line.
        Error::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Database unavailable",
            "Roster cannot reach its database at the moment; nothing was changed. Try again in a few seconds.".to_owned(),
        ),
        Error::Internal(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Roster could not complete this because of an internal error; it was logged. Try again in a moment.".to_owned(),
        ),
    })
}
