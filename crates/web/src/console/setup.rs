//! First run: while no administrator exists, `roster serve` prints a link with a one-time code,
//! and this page creates the organization and its first administrator and signs them in. The code
//! lives only in the server's memory; a wrong code, a used one, or any visit once an administrator
//! exists is a plain 404, so the page is gone after setup.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use roster_domain::{Error, NewOrg, OrgKind};
use serde::Deserialize;

use super::{
    forms::PublicForm,
    page::{self, PageError},
    sign_in::{PublicFormToken, start_session},
};
use crate::AppState;

#[derive(Template)]
#[template(path = "console/setup.html")]
struct SetupPage<'a> {
    action: &'a str,
    csrf: &'a str,
    error: Option<&'a str>,
    org_name: &'a str,
    kind: &'a str,
    seats: &'a str,
    email: &'a str,
}

pub async fn setup_page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if !state.console.setup_code_matches(&code) || !state.roster.setup_needed().await? {
        return Err(PageError::NotFound);
    }
    let token = PublicFormToken::for_request(&state, &headers);
    let action = format!("/console/setup/{code}");
    let mut response = page::render(&SetupPage {
        action: &action,
        csrf: token.value(),
        error: None,
        org_name: "",
        kind: "school",
        seats: "",
        email: "",
    });
    token.set_cookie(&state, &mut response);
    Ok(response)
}

#[derive(Deserialize)]
pub struct SetupForm {
    org_name: String,
    kind: String,
    seats: String,
    email: String,
    password: String,
}

pub async fn set_up(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    PublicForm { form, remote }: PublicForm<SetupForm>,
) -> Result<Response, PageError> {
    if !state.console.setup_code_matches(&code) {
        return Err(PageError::NotFound);
    }
    let refused = |message: String| {
        let token = PublicFormToken::for_request(&state, &headers);
        let action = format!("/console/setup/{code}");
        let mut response = page::render_with(
            StatusCode::BAD_REQUEST,
            &SetupPage {
                action: &action,
                csrf: token.value(),
                error: Some(&message),
                org_name: &form.org_name,
                kind: &form.kind,
                seats: &form.seats,
                email: &form.email,
            },
        );
        token.set_cookie(&state, &mut response);
        response
    };
    let Ok(kind) = form.kind.parse::<OrgKind>() else {
        return Ok(refused(
            "Choose whether the organization is a school or a business.".into(),
        ));
    };
    let Ok(seats) = form.seats.trim().parse::<u32>() else {
        return Ok(refused("Seats must be a whole number, such as 500.".into()));
    };
    let new = NewOrg {
        name: form.org_name.clone(),
        kind,
        seats,
    };
    match state
        .roster
        .setup_first_admin(new, &form.email, &form.password, remote.as_deref())
        .await
    {
        Ok((_org, _admin, session)) => {
            state.console.disarm_setup();
            Ok(start_session(&state, session.as_str(), "/console/scim"))
        }
        Err(Error::Invalid(message)) => Ok(refused(message)),
        // Someone finished setup first: this page no longer exists.
        Err(Error::Conflict(_)) => {
            state.console.disarm_setup();
            Err(PageError::NotFound)
        }
        Err(other) => Err(other.into()),
    }
}
