//! Signing in and out. The page is built so that another way in ("Sign in with Microsoft",
//! issue 14) is one more section of it, ending in the same session cookie.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::{HeaderMap, header},
    response::Response,
};
use serde::Deserialize;

use super::{cookies, csrf, page};
use crate::AppState;

#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage<'a> {
    csrf: &'a str,
    email: &'a str,
    error: Option<&'a str>,
    signed_out: bool,
}

#[derive(Debug, Deserialize)]
pub struct SignInQuery {
    #[serde(default)]
    signed_out: bool,
}

pub async fn sign_in_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<SignInQuery>,
) -> Response {
    let form = PublicFormToken::for_request(&state, &headers);
    let mut response = page::render(&SignInPage {
        csrf: form.value(),
        email: "",
        error: None,
        signed_out: query.signed_out,
    });
    form.set_cookie(&state, &mut response);
    response
}

/// The double-submit value of a form shown before sign-in: the browser's existing cookie, or a
/// fresh one that the response sets.
pub struct PublicFormToken {
    value: String,
    fresh: bool,
}

impl PublicFormToken {
    pub fn for_request(state: &AppState, headers: &HeaderMap) -> Self {
        match cookies::read(headers, state.console.cookies.csrf_name()) {
            Some(existing) => Self {
                value: existing.to_owned(),
                fresh: false,
            },
            None => Self {
                // Without randomness the form cannot be protected; an empty token matches
                // nothing, so the post is refused rather than accepted unprotected.
                value: csrf::random_token().unwrap_or_default(),
                fresh: true,
            },
        }
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    pub fn set_cookie(&self, state: &AppState, response: &mut Response) {
        if !self.fresh {
            return;
        }
        let policy = state.console.cookies;
        if let Some(cookie) = policy.set(policy.csrf_name(), &self.value) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
}
