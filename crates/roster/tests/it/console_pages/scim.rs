//! The SCIM page: the Secret token appears in the answer to *Enable* or *Rotate* and nowhere
//! else, and it works.

use axum::http::StatusCode;

use super::support::first_org;
use crate::support::TestApp;

fn token_in(html: &str) -> String {
    html.split("id=\"secret-token\"")
        .nth(1)
        .and_then(|rest| rest.split("value=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_token_is_shown_once_and_works() {
    let app = TestApp::new().await;
    let (mut browser, org) = first_org(&app, 10).await;
    let disabled = browser.get(&app, "/console/scim").await;
    assert!(disabled.html.contains("Enable and configure"));
    let enabled = browser
        .submit(&app, "/console/scim", "/console/scim/enable", &[])
        .await;
    assert_eq!(enabled.status, StatusCode::OK);
    assert_eq!(enabled.header("cache-control"), "no-store");
    super::pages::assert_security_headers(&enabled);
    let token = token_in(&enabled.html);
    assert!(token.starts_with("roster_"));
    assert!(enabled.html.contains("Sync only assigned users and groups"));
    assert!(enabled.html.contains(&format!("/scim/v2/{org}")));

    let status = browser.get(&app, "/console/scim").await;
    assert_eq!(status.status, StatusCode::OK);
    assert!(!status.html.contains(&token), "the token is shown again");
    assert!(status.html.contains("Rotate token"));

    let response = app
        .get(&format!("/scim/v2/{org}/Users"), Some(&token))
        .await;
    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn rotating_shows_a_new_token_and_keeps_the_old_one_for_the_grace_period() {
    let app = TestApp::new().await;
    let (mut browser, org) = first_org(&app, 10).await;
    let enabled = browser
        .submit(&app, "/console/scim", "/console/scim/enable", &[])
        .await;
    let old = token_in(&enabled.html);
    let rotated = browser
        .submit(&app, "/console/scim", "/console/scim/rotate", &[])
        .await;
    assert_eq!(rotated.status, StatusCode::OK);
    let new = token_in(&rotated.html);
    assert_ne!(old, new);
    assert!(
        rotated
            .html
            .contains("keeps working until 2026-01-06 09:00 UTC")
    );
    for token in [&old, &new] {
        let response = app.get(&format!("/scim/v2/{org}/Users"), Some(token)).await;
        assert_eq!(response.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn disabling_asks_for_confirmation_then_revokes_every_token() {
    let app = TestApp::new().await;
    let (mut browser, org) = first_org(&app, 10).await;
    let enabled = browser
        .submit(&app, "/console/scim", "/console/scim/enable", &[])
        .await;
    let token = token_in(&enabled.html);
    let confirm = browser.get(&app, "/console/scim/disable").await;
    assert!(confirm.html.contains("Every Secret token stops working"));
    let page = browser
        .submit(&app, "/console/scim/disable", "/console/scim/disable", &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let response = app
        .get(&format!("/scim/v2/{org}/Users"), Some(&token))
        .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
}
