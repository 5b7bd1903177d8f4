//! Bearer tokens on tenant URLs: every way a token is accepted or refused.

use roster_domain::OrgKind;
use time::Duration;

use crate::support::{PUBLIC_URL, TestApp};

const PROBE: &str = "/Users?filter=userName+eq+%2262d4d0d4-3b9c-4b43-8a77-1c3b6d1f3a2e%22";

#[tokio::test]
async fn test_connection_query_with_valid_token_gets_an_empty_list() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let response = app
        .get(&format!("{}{PROBE}", tenant.base), Some(&tenant.token))
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.content_type(), "application/scim+json");
    assert_eq!(
        response.body,
        serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": 0,
            "startIndex": 1,
            "itemsPerPage": 0,
            "Resources": [],
        })
    );
}

#[tokio::test]
async fn entra_group_probe_with_flag_and_excluded_members_gets_an_empty_list() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::Business, 10).await;
    let uri = format!(
        "{}/Groups?aadOptscim062020&excludedAttributes=members&filter=displayName+eq+%22a4b1%22",
        tenant.base
    );
    let response = app.get(&uri, Some(&tenant.token)).await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert_eq!(response.body["totalResults"], 0);
}

#[tokio::test]
async fn missing_token_is_401_with_a_scim_body() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let response = app.get(&format!("{}{PROBE}", tenant.base), None).await;
    response.assert_scim_error(401, None);
    assert_eq!(
        response.headers.get("www-authenticate").unwrap(),
        "Bearer realm=\"roster\""
    );
}

#[tokio::test]
async fn wrong_token_and_wrong_scheme_are_401() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let uri = format!("{}{PROBE}", tenant.base);
    app.get(&uri, Some("roster_not-a-real-token"))
        .await
        .assert_scim_error(401, None);
    let mangled = format!("{}x", tenant.token);
    app.get(&uri, Some(&mangled))
        .await
        .assert_scim_error(401, None);

    let basic = axum::http::Request::get(&uri)
        .header("authorization", format!("Basic {}", tenant.token))
        .body(axum::body::Body::empty())
        .unwrap();
    app.send(basic).await.assert_scim_error(401, None);
}

#[tokio::test]
async fn another_organizations_token_is_401() {
    let app = TestApp::new().await;
    let a = app.tenant(OrgKind::School, 10).await;
    let b = app.tenant(OrgKind::Business, 10).await;
    app.get(&format!("{}{PROBE}", b.base), Some(&a.token))
        .await
        .assert_scim_error(401, None);
    app.get(&format!("{}{PROBE}", a.base), Some(&a.token)).await;
    assert_eq!(
        app.get(&format!("{}{PROBE}", b.base), Some(&b.token))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn unknown_or_malformed_organization_in_the_url_is_401() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    for org in ["not-a-uuid", "00000000-0000-4000-8000-000000000000"] {
        app.get(&format!("/scim/v2/{org}{PROBE}"), Some(&tenant.token))
            .await
            .assert_scim_error(401, None);
    }
}

#[tokio::test]
async fn disabled_scim_revokes_every_token() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let rotated = app
        .roster
        .rotate_scim_token(tenant.org, PUBLIC_URL, Duration::hours(1))
        .await
        .unwrap();
    app.roster.disable_scim(tenant.org).await.unwrap();
    let uri = format!("{}{PROBE}", tenant.base);
    app.get(&uri, Some(&tenant.token))
        .await
        .assert_scim_error(401, None);
    app.get(&uri, Some(&rotated.token))
        .await
        .assert_scim_error(401, None);
    let status = app.roster.org_status(tenant.org).await.unwrap();
    assert!(!status.scim_enabled);
}

#[tokio::test]
async fn rotation_keeps_the_previous_token_valid_until_the_grace_period_ends() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let uri = format!("{}{PROBE}", tenant.base);
    let rotated = app
        .roster
        .rotate_scim_token(tenant.org, PUBLIC_URL, Duration::seconds(600))
        .await
        .unwrap();
    assert_ne!(rotated.token, tenant.token);

    app.clock.advance(Duration::seconds(599));
    assert_eq!(app.get(&uri, Some(&tenant.token)).await.status, 200);
    assert_eq!(app.get(&uri, Some(&rotated.token)).await.status, 200);

    app.clock.advance(Duration::seconds(1));
    app.get(&uri, Some(&tenant.token))
        .await
        .assert_scim_error(401, None);
    assert_eq!(app.get(&uri, Some(&rotated.token)).await.status, 200);
}

#[tokio::test]
async fn a_second_rotation_ends_the_first_grace_period_so_at_most_two_tokens_work() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let uri = format!("{}{PROBE}", tenant.base);
    let second = app
        .roster
        .rotate_scim_token(tenant.org, PUBLIC_URL, Duration::hours(1))
        .await
        .unwrap();
    let third = app
        .roster
        .rotate_scim_token(tenant.org, PUBLIC_URL, Duration::hours(1))
        .await
        .unwrap();
    app.get(&uri, Some(&tenant.token))
        .await
        .assert_scim_error(401, None);
    assert_eq!(app.get(&uri, Some(&second.token)).await.status, 200);
    assert_eq!(app.get(&uri, Some(&third.token)).await.status, 200);
}

#[tokio::test]
async fn rotation_without_grace_revokes_the_previous_token_at_once() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let uri = format!("{}{PROBE}", tenant.base);
    let rotated = app
        .roster
        .rotate_scim_token(tenant.org, PUBLIC_URL, Duration::ZERO)
        .await
        .unwrap();
    app.get(&uri, Some(&tenant.token))
        .await
        .assert_scim_error(401, None);
    assert_eq!(app.get(&uri, Some(&rotated.token)).await.status, 200);
}

#[tokio::test]
async fn enabling_twice_is_refused_and_keeps_the_working_token() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let err = app
        .roster
        .enable_scim(tenant.org, PUBLIC_URL)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("rotate-token"), "{err}");
    let uri = format!("{}{PROBE}", tenant.base);
    assert_eq!(app.get(&uri, Some(&tenant.token)).await.status, 200);
}
