//! The platform API's reads over HTTP (SPEC §7): accounts, groups, members, the membership
//! check and organizations, with an API key, isolated by organization.

use std::collections::HashSet;

use roster_domain::OrgKind;
use serde_json::json;

use crate::support::TestApp;

async fn create_group(
    app: &TestApp,
    tenant: &crate::support::Tenant,
    name: &str,
    members: &[String],
) -> String {
    let members: Vec<_> = members.iter().map(|m| json!({ "value": m })).collect();
    let r = app
        .post(
            tenant,
            "/Groups",
            &json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": name,
                "members": members,
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{:#}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_org_key_reads_its_accounts_groups_and_memberships_and_nothing_else() {
    let app = TestApp::new().await;
    let a = app.tenant(OrgKind::School, 100).await;
    let b = app.tenant(OrgKind::School, 100).await;
    let key = app
        .roster
        .create_api_key("content", Some(a.org))
        .await
        .unwrap()
        .key;
    let ada = app.create_user(&a, "Ada@Example.edu").await;
    let bob = app.create_user(&a, "bob@example.edu").await;
    let other = app.create_user(&b, "eve@example.edu").await;
    let class = create_group(&app, &a, "Class 1", std::slice::from_ref(&ada)).await;
    let b_group = create_group(&app, &b, "B class", std::slice::from_ref(&other)).await;

    let r = app
        .get(&format!("/api/v1/accounts/{ada}"), Some(&key))
        .await;
    assert_eq!(r.status, 200, "{:#}", r.body);
    assert_eq!(
        r.body,
        json!({"id": ada, "org": a.org, "userName": "Ada@Example.edu", "displayName": null,
               "externalId": null, "active": true, "role": "student", "scim_managed": true,
               "version": 1})
    );
    let r = app
        .get("/api/v1/accounts?userName=ada@EXAMPLE.edu", Some(&key))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["accounts"][0]["id"], json!(ada));
    let r = app
        .get("/api/v1/accounts?userName=eve@example.edu", Some(&key))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body.clone()),
        (200, json!({ "accounts": [] }))
    );

    let r = app
        .get(&format!("/api/v1/groups/{class}"), Some(&key))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["displayName"], "Class 1");
    assert_eq!(r.body["org"], json!(a.org));
    let r = app
        .get(&format!("/api/v1/accounts/{ada}/groups"), Some(&key))
        .await;
    assert_eq!(
        r.body,
        json!({ "groups": [{ "id": class, "displayName": "Class 1" }], "next": null })
    );

    let r = app
        .get(&format!("/api/v1/groups/{class}/members/{ada}"), Some(&key))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body.clone()),
        (204, serde_json::Value::Null)
    );
    let r = app
        .get(&format!("/api/v1/groups/{class}/members/{bob}"), Some(&key))
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error"], "not_found");

    // Another organization's things are exactly as absent as unknown ones.
    let unknown = "0b6a6a3e-8c2b-4d4e-9f00-000000000001";
    let absent = app
        .get(&format!("/api/v1/accounts/{unknown}"), Some(&key))
        .await;
    assert_eq!(absent.status, 404);
    for path in [
        format!("/api/v1/accounts/{other}"),
        format!("/api/v1/accounts/{other}/groups"),
        format!("/api/v1/groups/{b_group}"),
        format!("/api/v1/groups/{b_group}/members"),
        format!("/api/v1/orgs/{}", b.org),
    ] {
        let r = app.get(&path, Some(&key)).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.body["error"], "not_found", "{path}");
    }
    let r = app
        .get(
            &format!("/api/v1/groups/{b_group}/members/{other}"),
            Some(&key),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .get(&format!("/api/v1/accounts/{ada}?org={}", b.org), Some(&key))
        .await;
    assert_eq!(r.status, 404);

    let r = app.get("/api/v1/orgs", Some(&key)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["orgs"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["orgs"][0]["id"], json!(a.org));
    assert_eq!(r.body["next"], json!(null));

    let r = app
        .get(&format!("/api/v1/accounts/{ada}"), Some("roster_key_wrong"))
        .await;
    assert_eq!(r.status, 401);
    let r = app.get(&format!("/api/v1/accounts/{ada}"), None).await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn a_deployment_key_names_the_org_and_pages_members_and_orgs_exactly_once() {
    let app = TestApp::new().await;
    let a = app.tenant(OrgKind::School, 100).await;
    let b = app.tenant(OrgKind::School, 100).await;
    let key = app.roster.create_api_key("all", None).await.unwrap().key;
    let mut members = Vec::new();
    for i in 0..11 {
        members.push(app.create_user(&a, &format!("m{i}@example.edu")).await);
    }
    let group = create_group(&app, &a, "Big", &members).await;

    let r = app
        .get(&format!("/api/v1/groups/{group}"), Some(&key))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"], "invalid");
    let r = app
        .get(&format!("/api/v1/groups/{group}?org={}", b.org), Some(&key))
        .await;
    assert_eq!(r.status, 404);

    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let r = app
            .get(
                &format!(
                    "/api/v1/groups/{group}/members?org={}&limit=4&after={after}",
                    a.org
                ),
                Some(&key),
            )
            .await;
        assert_eq!(r.status, 200, "{:#}", r.body);
        let page = r.body["members"].as_array().unwrap();
        assert!(page.len() <= 4);
        seen.extend(
            page.iter()
                .map(|m| m["account_id"].as_str().unwrap().to_owned()),
        );
        match r.body["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 11, "each member exactly once");

    // An account's groups page the same way, in group id order.
    let mut groups = vec![group.clone()];
    for i in 0..4 {
        groups.push(create_group(&app, &a, &format!("Set {i}"), &members[..1]).await);
    }
    groups.sort();
    let mut seen_groups = Vec::new();
    let mut after = String::new();
    loop {
        let r = app
            .get(
                &format!(
                    "/api/v1/accounts/{}/groups?org={}&limit=2&after={after}",
                    members[0], a.org
                ),
                Some(&key),
            )
            .await;
        assert_eq!(r.status, 200, "{:#}", r.body);
        let page = r.body["groups"].as_array().unwrap();
        assert!(page.len() <= 2);
        seen_groups.extend(page.iter().map(|g| g["id"].as_str().unwrap().to_owned()));
        match r.body["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen_groups, groups, "each group once, in id order");
    let r = app
        .get(
            &format!(
                "/api/v1/accounts/{}/groups?org={}&after=nope",
                members[0], a.org
            ),
            Some(&key),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"], "invalid");
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique, members.iter().collect());

    let r = app
        .get(
            &format!("/api/v1/groups/{group}/members?org={}&limit=1001", a.org),
            Some(&key),
        )
        .await;
    assert_eq!(r.status, 400);

    let mut orgs = Vec::new();
    let mut after = String::new();
    loop {
        let r = app
            .get(&format!("/api/v1/orgs?limit=1&after={after}"), Some(&key))
            .await;
        assert_eq!(r.status, 200, "{:#}", r.body);
        orgs.extend(
            r.body["orgs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].clone()),
        );
        match r.body["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(orgs.len(), 2);
    assert!(orgs.contains(&json!(a.org)) && orgs.contains(&json!(b.org)));
    let r = app
        .get(&format!("/api/v1/orgs/{}", b.org), Some(&key))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["seats"], 100);
}

#[tokio::test]
async fn the_openapi_description_is_served() {
    let app = TestApp::new().await;
    let r = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["openapi"], "3.1.0");
    assert!(r.body["paths"]["/groups/{gid}/members/{aid}"].is_object());
}
