//! What every console response carries, signed in or not.

use axum::http::StatusCode;

use super::browser::Browser;
use crate::support::TestApp;

pub fn assert_security_headers(page: &super::browser::Page) {
    assert_eq!(
        page.header("content-security-policy"),
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    );
    assert_eq!(page.header("x-frame-options"), "DENY");
    assert_eq!(page.header("referrer-policy"), "no-referrer");
    assert_eq!(page.header("x-content-type-options"), "nosniff");
}

#[tokio::test]
async fn the_sign_in_page_carries_the_security_headers_and_is_never_cached() {
    let app = TestApp::new().await;
    let mut browser = Browser::new();
    let page = browser.get(&app, "/console/sign-in").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_security_headers(&page);
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(page.html.contains("<label for=\"email\">Email</label>"));
}

#[tokio::test]
async fn the_sign_in_form_sets_a_host_only_csrf_cookie_over_https() {
    let app = TestApp::new().await;
    let mut browser = Browser::new();
    let page = browser.get(&app, "/console/sign-in").await;
    let set_cookie = page.header("set-cookie");
    assert!(
        set_cookie.starts_with("__Host-roster_csrf="),
        "{set_cookie}"
    );
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("Secure"));
    assert!(set_cookie.contains("SameSite=Lax") && set_cookie.contains("Path=/"));
    assert_eq!(
        browser.cookie("__Host-roster_csrf"),
        Some(page.csrf().as_str())
    );
}

#[tokio::test]
async fn an_unknown_console_page_is_an_html_404_with_the_security_headers() {
    let app = TestApp::new().await;
    let page = Browser::new().get(&app, "/console/no-such-page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(page.html.contains("Page not found"));
    assert_security_headers(&page);
}

#[tokio::test]
async fn the_stylesheet_is_cached_for_a_year_under_a_name_that_changes_with_it() {
    let app = TestApp::new().await;
    let mut browser = Browser::new();
    let page = browser.get(&app, "/console/sign-in").await;
    let href = page
        .html
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let css = browser.get(&app, &href).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("content-type"), "text/css; charset=utf-8");
    assert_eq!(
        css.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(css.html.contains(":focus-visible"));
    let stale = browser
        .get(&app, "/console/assets/console-000000.css")
        .await;
    assert_eq!(stale.status, StatusCode::NOT_FOUND);
}
