//! Signing in and out, and pages that need a session.

use axum::http::StatusCode;

use super::{
    browser::Browser,
    support::{PASSWORD, first_org},
};
use crate::support::TestApp;

#[tokio::test]
async fn every_console_page_sends_a_browser_without_a_session_to_sign_in() {
    let app = TestApp::new().await;
    let mut browser = Browser::new();
    for path in [
        "/console",
        "/console/scim",
        "/console/users",
        "/console/groups",
        "/console/log",
        "/console/retention",
        "/console/audit",
        "/console/sso",
        "/console/sso/disable",
        "/console/sign-ins",
    ] {
        let page = browser.get(&app, path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.location(), "/console/sign-in", "{path}");
    }
}

#[tokio::test]
async fn signing_in_sets_a_host_only_http_only_session_cookie() {
    let app = TestApp::new().await;
    let (browser, _) = first_org(&app, 10).await;
    assert!(browser.cookie("__Host-roster_session").is_some());
    let mut again = Browser::new();
    let page = again
        .submit(
            &app,
            "/console/sign-in",
            "/console/sign-in",
            &[
                ("email", "principal@springfield.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let cookie = page
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("__Host-roster_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("Secure"));
    assert!(cookie.contains("SameSite=Lax") && cookie.contains("Path=/"));
    assert_ne!(
        again.cookie("__Host-roster_session"),
        browser.cookie("__Host-roster_session"),
        "each sign-in starts a new session"
    );
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_with_a_refusal() {
    let app = TestApp::new().await;
    first_org(&app, 10).await;
    let mut browser = Browser::new();
    let page = browser
        .submit(
            &app,
            "/console/sign-in",
            "/console/sign-in",
            &[
                ("email", "principal@springfield.test"),
                ("password", "not the password at all"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.html.contains("do not match"), "{}", page.html);
    assert!(browser.cookie("__Host-roster_session").is_none());
}

#[tokio::test]
async fn repeated_wrong_passwords_are_throttled_with_retry_after() {
    let app = TestApp::new().await;
    first_org(&app, 10).await;
    let mut browser = Browser::new();
    let mut last = None;
    for attempt in 0..7 {
        let password = format!("wrong password number {attempt}");
        last = Some(
            browser
                .submit(
                    &app,
                    "/console/sign-in",
                    "/console/sign-in",
                    &[
                        ("email", "principal@springfield.test"),
                        ("password", &password),
                    ],
                )
                .await,
        );
    }
    let page = last.unwrap();
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.html);
    assert!(page.html.contains("Too many failed sign-ins"));
    assert!(!page.header("retry-after").is_empty());
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = TestApp::new().await;
    let (mut browser, _) = first_org(&app, 10).await;
    let session = browser.cookie("__Host-roster_session").unwrap().to_owned();
    let page = browser
        .submit(&app, "/console", "/console/sign-out", &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(browser.cookie("__Host-roster_session").is_none());
    // The old cookie, replayed, opens nothing any more.
    let mut replay = Browser::new();
    replay.set_cookie("__Host-roster_session", &session);
    let page = replay.get(&app, "/console/users").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/console/sign-in");
}
