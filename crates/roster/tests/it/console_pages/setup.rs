//! First run: the one-time setup page creates the organization and its first administrator,
//! signs them in, and is gone afterwards.

use axum::http::StatusCode;

use super::{browser::Browser, support::PASSWORD};
use crate::support::TestApp;

fn setup_fields(email: &str) -> Vec<(&str, &str)> {
    vec![
        ("org_name", "Springfield Elementary"),
        ("kind", "school"),
        ("seats", "25"),
        ("email", email),
        ("password", PASSWORD),
    ]
}

#[tokio::test]
async fn the_setup_page_creates_the_organization_signs_in_and_is_then_gone() {
    let app = TestApp::new().await;
    let code = app.console.arm_setup().unwrap();
    let link = format!("/console/setup/{code}");
    let mut browser = Browser::new();
    let page = browser
        .submit(
            &app,
            &link,
            &link,
            &setup_fields("principal@springfield.test"),
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    assert_eq!(page.location(), "/console/scim");
    let scim = browser.get(&app, "/console/scim").await;
    assert_eq!(scim.status, StatusCode::OK);
    assert!(scim.html.contains("Springfield Elementary"));
    assert!(!app.roster.setup_needed().await.unwrap());

    assert_eq!(browser.get(&app, &link).await.status, StatusCode::NOT_FOUND);
    let mut late = Browser::new();
    let page = late
        .post(&app, &link, &setup_fields("intruder@evil.test"))
        .await;
    assert_ne!(page.status, StatusCode::SEE_OTHER);
    assert!(late.cookie("__Host-roster_session").is_none());
}

#[tokio::test]
async fn a_wrong_setup_code_is_404() {
    let app = TestApp::new().await;
    app.console.arm_setup().unwrap();
    let page = Browser::new()
        .get(&app, "/console/setup/not-the-code")
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_an_armed_code_there_is_no_setup_page() {
    let app = TestApp::new().await;
    let page = Browser::new().get(&app, "/console/setup/anything").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_refused_setup_shows_the_form_again_and_creates_nothing() {
    let app = TestApp::new().await;
    let code = app.console.arm_setup().unwrap();
    let link = format!("/console/setup/{code}");
    let mut browser = Browser::new();
    let mut fields = setup_fields("principal@springfield.test");
    fields[4] = ("password", "short");
    let page = browser.submit(&app, &link, &link, &fields).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.html);
    assert!(
        page.html.contains("Springfield Elementary"),
        "values are kept"
    );
    assert!(app.roster.setup_needed().await.unwrap());
}
