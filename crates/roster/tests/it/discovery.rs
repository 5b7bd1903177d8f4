//! Discovery documents (RFC 7644 §4) as clients receive them, snapshotted.

use roster_domain::OrgKind;

use crate::support::{Tenant, TestApp};

async fn discover(path: &str) -> (TestApp, Tenant, serde_json::Value) {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let response = app
        .get(&format!("{}{path}", tenant.base), Some(&tenant.token))
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert_eq!(response.content_type(), "application/scim+json");
    let body = response.body.clone();
    (app, tenant, body)
}

fn redact_org(body: &serde_json::Value, tenant: &Tenant) -> serde_json::Value {
    let text = body.to_string().replace(&tenant.org.to_string(), "[org]");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn service_provider_config_matches_snapshot() {
    let (_app, tenant, body) = discover("/ServiceProviderConfig").await;
    assert_eq!(body["filter"]["maxResults"], 1000);
    assert_eq!(body["patch"]["supported"], true);
    assert_eq!(body["bulk"]["supported"], false);
    insta::assert_json_snapshot!(redact_org(&body, &tenant));
}

#[tokio::test]
async fn resource_types_list_user_with_enterprise_extension_and_group() {
    let (_app, tenant, body) = discover("/ResourceTypes").await;
    assert_eq!(body["totalResults"], 2);
    insta::assert_json_snapshot!(redact_org(&body, &tenant));
}

#[tokio::test]
async fn schemas_list_user_enterprise_user_and_group() {
    let (_app, tenant, body) = discover("/Schemas").await;
    let ids: Vec<&str> = body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:ietf:params:scim:schemas:core:2.0:Group",
        ]
    );
    insta::assert_json_snapshot!(redact_org(&body, &tenant));
}

#[tokio::test]
async fn single_schema_and_resource_type_are_served_by_id() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let user = app
        .get(
            &format!(
                "{}/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
                tenant.base
            ),
            Some(&tenant.token),
        )
        .await;
    assert_eq!(user.status, 200);
    let user_name = user.body["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "userName")
        .unwrap();
    assert_eq!(user_name["uniqueness"], "server");
    assert_eq!(user_name["required"], true);

    let group = app
        .get(
            &format!("{}/ResourceTypes/Group", tenant.base),
            Some(&tenant.token),
        )
        .await;
    assert_eq!(group.status, 200);
    assert_eq!(group.body["endpoint"], "/Groups");
    assert_eq!(
        group.body["meta"]["location"],
        format!("https://roster.test{}/ResourceTypes/Group", tenant.base)
    );

    app.get(
        &format!("{}/Schemas/urn:nope", tenant.base),
        Some(&tenant.token),
    )
    .await
    .assert_scim_error(404, None);
    app.get(
        &format!("{}/ResourceTypes/Device", tenant.base),
        Some(&tenant.token),
    )
    .await
    .assert_scim_error(404, None);
}

#[tokio::test]
async fn discovery_requires_the_token() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    app.get(&format!("{}/Schemas", tenant.base), None)
        .await
        .assert_scim_error(401, None);
}
