//! An administrator reaches only their own organization, whatever URL or form they send.

use axum::http::StatusCode;
use serde_json::json;

use super::support::{first_org, other_org};
use crate::support::{Tenant, TestApp};

#[tokio::test]
async fn another_organizations_user_group_and_log_entry_are_404_by_url() {
    let app = TestApp::new().await;
    let (mut first, first_org_id) = first_org(&app, 10).await;
    let credentials = app
        .roster
        .enable_scim(first_org_id, crate::support::PUBLIC_URL)
        .await
        .unwrap();
    let tenant = Tenant {
        org: first_org_id,
        token: credentials.token,
        base: credentials
            .tenant_url
            .trim_start_matches(crate::support::PUBLIC_URL)
            .to_owned(),
    };
    let user = app.create_user(&tenant, "bart@springfield.test").await;
    let group = app
        .post(
            &tenant,
            "/Groups",
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Class 4B"}),
        )
        .await;
    let group = group.body["id"].as_str().unwrap().to_owned();
    app.wait_for_log(&tenant, 2).await;
    // The first administrator sees them, and finds the log entry's id on the log page.
    let log = first.get(&app, "/console/log").await;
    let entry = log
        .html
        .split("href=\"/console/log/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    for path in [
        format!("/console/users/{user}"),
        format!("/console/groups/{group}"),
        format!("/console/log/{entry}"),
    ] {
        assert_eq!(
            first.get(&app, &path).await.status,
            StatusCode::OK,
            "{path}"
        );
    }

    let (mut intruder, _) = other_org(&app).await;
    for path in [
        format!("/console/users/{user}"),
        format!("/console/groups/{group}"),
        format!("/console/log/{entry}"),
    ] {
        let page = intruder.get(&app, &path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!page.html.contains("bart@springfield.test"));
        assert!(!page.html.contains("Class 4B"));
    }
}

#[tokio::test]
async fn another_organizations_account_and_group_cannot_be_changed_by_form() {
    let app = TestApp::new().await;
    let (_, first_org_id) = first_org(&app, 10).await;
    let account = app
        .roster
        .add_account(Some(first_org_id), "lisa@springfield.test", None, None)
        .await
        .unwrap();
    let group = app
        .roster
        .create_group(first_org_id, "Saxophone club")
        .await
        .unwrap();
    let (mut intruder, _) = other_org(&app).await;
    let page = intruder
        .submit(
            &app,
            "/console/users",
            &format!("/console/users/{}/active", account.id),
            &[("active", "false")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = intruder
        .submit(
            &app,
            "/console/groups",
            &format!("/console/groups/{}/members", group.id),
            &[("user_name", "lisa@springfield.test")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let lisa = app
        .roster
        .account_by_user_name("lisa@springfield.test")
        .await
        .unwrap();
    assert!(lisa.active, "the account stayed active");
    let view = app
        .roster
        .group_view(first_org_id, "Saxophone club")
        .await
        .unwrap();
    assert!(view.members.is_empty(), "no member was added");
}
