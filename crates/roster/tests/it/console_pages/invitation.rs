//! An invited administrator sets their password on the invitation page, once, and is signed in.

use axum::http::StatusCode;
use roster_domain::AdminCredential;

use super::{
    browser::Browser,
    support::{PASSWORD, first_org},
};
use crate::support::TestApp;

#[tokio::test]
async fn an_invitation_sets_the_password_once_and_signs_the_administrator_in() {
    let app = TestApp::new().await;
    let (_, org) = first_org(&app, 10).await;
    let added = app
        .roster
        .add_admin(org, "deputy@springfield.test", AdminCredential::Invite)
        .await
        .unwrap();
    let code = added.invitation.unwrap();
    let link = format!("/console/invitation/{}", code.as_str());
    let mut browser = Browser::new();
    let page = browser
        .submit(&app, &link, &link, &[("password", PASSWORD)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    assert_eq!(page.location(), "/console");
    let overview = browser.get(&app, "/console").await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.html.contains("deputy@springfield.test"));

    let mut again = Browser::new();
    let page = again
        .submit(&app, &link, &link, &[("password", "another long password")])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.html.contains("This link no longer works"));
    assert!(again.cookie("__Host-roster_session").is_none());
}
