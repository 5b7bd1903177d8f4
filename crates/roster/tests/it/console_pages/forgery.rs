//! Forms a page of this console did not produce are refused, and change nothing.

use axum::http::StatusCode;

use super::support::first_org;
use crate::support::TestApp;

async fn scim_enabled(app: &TestApp, org: roster_domain::OrgId) -> bool {
    app.roster.org_status(org).await.unwrap().scim_enabled
}

#[tokio::test]
async fn a_form_without_the_session_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::new().await;
    let (mut browser, org) = first_org(&app, 10).await;
    for fields in [vec![], vec![("csrf", "forged")]] {
        let page = browser.post(&app, "/console/scim/enable", &fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(page.html.contains("Form refused"), "{}", page.html);
        assert!(page.html.contains("Nothing was changed"));
    }
    assert!(!scim_enabled(&app, org).await);
}

#[tokio::test]
async fn a_csrf_token_of_another_session_is_refused() {
    let app = TestApp::new().await;
    let (mut browser, org) = first_org(&app, 10).await;
    let mut other = super::support::signed_in(&app, "principal@springfield.test").await;
    let their_token = other.get(&app, "/console/scim").await.csrf();
    let page = browser
        .post(&app, "/console/scim/enable", &[("csrf", &their_token)])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!scim_enabled(&app, org).await);
}

#[tokio::test]
async fn a_post_from_a_foreign_origin_is_refused_even_with_a_valid_token() {
    let app = TestApp::new().await;
    let (mut browser, org) = first_org(&app, 10).await;
    browser.origin = Some("https://evil.example".into());
    let page = browser
        .submit(&app, "/console/scim", "/console/scim/enable", &[])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!scim_enabled(&app, org).await);
    browser.origin = Some("null".into());
    let page = browser
        .submit(&app, "/console/scim", "/console/scim/enable", &[])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!scim_enabled(&app, org).await);
}

#[tokio::test]
async fn a_sign_in_form_without_its_double_submit_cookie_is_refused() {
    let app = TestApp::new().await;
    first_org(&app, 10).await;
    let mut browser = super::browser::Browser::new();
    let page = browser
        .post(
            &app,
            "/console/sign-in",
            &[
                ("csrf", "made-up"),
                ("email", "principal@springfield.test"),
                ("password", super::support::PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(browser.cookie("__Host-roster_session").is_none());
}

#[tokio::test]
async fn a_form_with_the_right_token_and_origin_is_accepted() {
    let app = TestApp::new().await;
    let (mut browser, org) = first_org(&app, 10).await;
    let page = browser
        .submit(&app, "/console/scim", "/console/scim/enable", &[])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(scim_enabled(&app, org).await);
}
