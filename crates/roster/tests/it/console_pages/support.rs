//! Organizations with a signed-in administrator, for console tests.

use axum::http::StatusCode;
use roster_domain::{NewOrg, OrgId, OrgKind};

use super::browser::Browser;
use crate::support::TestApp;

pub const PASSWORD: &str = "correct horse battery staple";

/// The first organization, set up as the first-run page does, its administrator signed in
/// through the sign-in form.
pub async fn first_org(app: &TestApp, seats: u32) -> (Browser, OrgId) {
    let (status, _admin, _session) = app
        .roster
        .setup_first_admin(
            NewOrg {
                name: "Springfield Elementary".into(),
                kind: OrgKind::School,
                seats,
            },
            "principal@springfield.test",
            PASSWORD,
            None,
        )
        .await
        .unwrap();
    let browser = signed_in(app, "principal@springfield.test").await;
    (browser, status.org.id)
}

/// Another organization with its own administrator, signed in.
pub async fn other_org(app: &TestApp) -> (Browser, OrgId) {
    let status = app
        .roster
        .create_org(NewOrg {
            name: "Shelbyville High".into(),
            kind: OrgKind::School,
            seats: 10,
        })
        .await
        .unwrap();
    app.roster
        .add_admin(
            status.org.id,
            "admin@shelbyville.test",
            roster_domain::AdminCredential::Password(PASSWORD.into()),
        )
        .await
        .unwrap();
    let browser = signed_in(app, "admin@shelbyville.test").await;
    (browser, status.org.id)
}

pub async fn signed_in(app: &TestApp, email: &str) -> Browser {
    let mut browser = Browser::new();
    let page = browser
        .submit(
            app,
            "/console/sign-in",
            "/console/sign-in",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    assert_eq!(page.location(), "/console");
    browser
}
