//! Accepting an invitation to administer an organization (`roster admin add --invite` prints the
//! link): the invited person chooses their password and is signed in.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use roster_domain::{Error, InvitationCode};
use serde::Deserialize;

use super::{
    forms::PublicForm,
    page::{self, PageError},
    sign_in::{PublicFormToken, start_session},
};
use crate::AppState;

#[derive(Template)]
#[template(path = "console/invitation.html")]
struct InvitationPage<'a> {
    action: &'a str,
    csrf: &'a str,
    error: Option<&'a str>,
}

fn render(state: &AppState, headers: &HeaderMap, code: &str, error: Option<&str>) -> Response {
    let token = PublicFormToken::for_request(state, headers);
    let action = format!("/console/invitation/{code}");
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut response = page::render_with(
        status,
        &InvitationPage {
            action: &action,
            csrf: token.value(),
            error,
        },
    );
    token.set_cookie(state, &mut response);
    response
}

pub async fn invitation_page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    render(&state, &headers, &code, None)
}

#[derive(Deserialize)]
pub struct InvitationForm {
    password: String,
}

pub async fn accept_invitation(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    PublicForm { form, remote }: PublicForm<InvitationForm>,
) -> Result<Response, PageError> {
    let invitation = InvitationCode::new(code.clone());
    match state
        .roster
        .accept_invitation(&invitation, &form.password, remote.as_deref())
        .await
    {
        Ok((_admin, session)) => Ok(start_session(&state, session.as_str(), "/console")),
        Err(Error::Invalid(message)) => Ok(render(&state, &headers, &code, Some(&message))),
        Err(Error::NotFound(message)) => Err(PageError::Gone(message)),
        Err(other) => Err(other.into()),
    }
}
