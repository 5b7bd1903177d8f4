//! SCIM `/Users`: the protocol, and the account rules of SPEC §2 as an identity provider meets
//! them.

use roster_domain::OrgKind;
use serde_json::{Value, json};

use crate::support::{Tenant, TestApp};

const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The POST Entra sends for a new user (ENTRA.md), with its nulls and extras.
fn entra_create(user_name: &str, active: Value) -> Value {
    json!({
        "schemas": [CORE, ENTERPRISE],
        "externalId": "a7c3f1b2",
        "userName": user_name,
        "active": active,
        "displayName": "Ada Lovelace",
        "emails": [{"primary": true, "type": "work", "value": user_name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
        "roles": [],
        "title": null,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "7", "department": null},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:Usr": {"costCenter": "typo"}
    })
}

async fn seats_used(app: &TestApp, tenant: &Tenant) -> u32 {
    app.roster.org_status(tenant.org).await.unwrap().seats_used
}

#[tokio::test]
async fn entra_create_returns_201_with_the_full_resource_and_headers() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let response = app
        .post(
            &tenant,
            "/Users",
            &entra_create("ada@example.org", json!(true)),
        )
        .await;
    assert_eq!(response.status, 201, "{:#}", response.body);
    assert_eq!(response.content_type(), "application/scim+json");
    let body = &response.body;
    let id = body["id"].as_str().unwrap();
    assert_eq!(body["userName"], "ada@example.org");
    assert_eq!(body["active"], true);
    assert_eq!(body["externalId"], "a7c3f1b2");
    assert_eq!(body["name"]["givenName"], "Ada");
    assert_eq!(body["emails"][0]["value"], "ada@example.org");
    assert_eq!(body[ENTERPRISE]["employeeNumber"], "7");
    assert_eq!(body["schemas"], json!([CORE, ENTERPRISE]));
    assert!(
        body.get("title").is_none(),
        "nulls are absent, never returned"
    );
    assert!(
        body.get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:Usr")
            .is_none()
    );
    assert_eq!(body["meta"]["resourceType"], "User");
    let location = format!("https://roster.test{}/Users/{id}", tenant.base);
    assert_eq!(body["meta"]["location"], location);
    assert_eq!(response.headers["location"], location.as_str());
    assert_eq!(
        response.headers["etag"],
        body["meta"]["version"].as_str().unwrap()
    );

    let fetched = app.scim_get(&tenant, &format!("/Users/{id}")).await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body, response.body);

    // A projection without `meta` still answers with the version as its ETag.
    let projected = app
        .scim_get(&tenant, &format!("/Users/{id}?attributes=userName"))
        .await;
    assert_eq!(projected.status, 200);
    assert!(projected.body.get("meta").is_none(), "{:#}", projected.body);
    assert_eq!(projected.headers["etag"], response.headers["etag"]);
}

#[tokio::test]
async fn scim_creates_accounts_with_the_lowest_role_of_the_organization() {
    let app = TestApp::new().await;
    let school = app.tenant(OrgKind::School, 10).await;
    let business = app.tenant(OrgKind::Business, 10).await;
    app.create_user(&school, "pupil@school.example").await;
    app.create_user(&business, "clerk@corp.example").await;
    let pupil = app
        .roster
        .account_by_user_name("PUPIL@school.example")
        .await
        .unwrap();
    let clerk = app
        .roster
        .account_by_user_name("clerk@corp.example")
        .await
        .unwrap();
    assert_eq!(pupil.role.as_str(), "student");
    assert_eq!(clerk.role.as_str(), "learner");
    assert!(pupil.scim_managed);
}

#[tokio::test]
async fn string_booleans_from_entra_are_accepted() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let response = app
        .post(
            &tenant,
            "/Users",
            &entra_create("b@example.org", json!("True")),
        )
        .await;
    assert_eq!(response.status, 201, "{:#}", response.body);
    assert_eq!(response.body["active"], true);
    let inactive = app
        .post(
            &tenant,
            "/Users",
            &entra_create("c@example.org", json!("False")),
        )
        .await;
    assert_eq!(inactive.body["active"], false);
    assert_eq!(
        seats_used(&app, &tenant).await,
        1,
        "an inactive account holds no seat"
    );
}

#[tokio::test]
async fn duplicate_create_is_409_uniqueness_whatever_the_case() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    app.create_user(&tenant, "Ada@Example.org").await;
    let again = app
        .post(
            &tenant,
            "/Users",
            &entra_create("ada@example.ORG", json!(true)),
        )
        .await;
    again.assert_scim_error(409, Some("uniqueness"));
    let list = app.scim_get(&tenant, "/Users").await;
    assert_eq!(list.body["totalResults"], 1, "nothing was written");
}

#[tokio::test]
async fn parallel_duplicate_posts_create_exactly_one_account() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 100).await;
    let body = entra_create("race@example.org", json!(true));
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (router, base, token, body) = (
            app.router.clone(),
            tenant.base.clone(),
            tenant.token.clone(),
            body.clone(),
        );
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let request = axum::http::Request::post(format!("{base}/Users"))
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/scim+json")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap();
            router.oneshot(request).await.unwrap().status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        11,
        "{statuses:?}"
    );
    assert_eq!(seats_used(&app, &tenant).await, 1);
}

#[tokio::test]
async fn creates_beyond_the_seat_limit_are_refused_with_limit_and_count() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::Business, 2).await;
    app.create_user(&tenant, "one@example.org").await;
    app.create_user(&tenant, "two@example.org").await;
    let refused = app
        .post(
            &tenant,
            "/Users",
            &entra_create("three@example.org", json!(true)),
        )
        .await;
    refused.assert_scim_error(409, None);
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("seat limit reached: 2 of 2 seats in use"),
        "{detail}"
    );
    assert!(
        app.roster
            .account_by_user_name("three@example.org")
            .await
            .is_err(),
        "nothing written"
    );
    // An inactive create takes no seat, so it is allowed.
    let inactive = app
        .post(
            &tenant,
            "/Users",
            &entra_create("four@example.org", json!(false)),
        )
        .await;
    assert_eq!(inactive.status, 201);
}

#[tokio::test]
async fn parallel_creates_against_a_seat_limit_fill_exactly_the_seats() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::Business, 5).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (router, base, token) = (
            app.router.clone(),
            tenant.base.clone(),
            tenant.token.clone(),
        );
        let body = entra_create(&format!("u{i}@example.org"), json!(true));
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let request = axum::http::Request::post(format!("{base}/Users"))
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/scim+json")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap();
            router.oneshot(request).await.unwrap().status().as_u16()
        }));
    }
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap() {
            201 => created += 1,
            409 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(created, 5);
    assert_eq!(seats_used(&app, &tenant).await, 5);
}

#[tokio::test]
async fn deactivation_by_string_false_keeps_the_account_visible_and_frees_the_seat() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 1).await;
    let id = app.create_user(&tenant, "ada@example.org").await;
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}]
    });
    let response = app.patch(&tenant, &format!("/Users/{id}"), &patch).await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert_eq!(response.body["active"], false);
    assert_eq!(seats_used(&app, &tenant).await, 0);
    let found = app
        .scim_get(&tenant, "/Users?filter=userName+eq+%22ADA%40example.org%22")
        .await;
    assert_eq!(found.body["totalResults"], 1);
    assert_eq!(found.body["Resources"][0]["active"], false);
    let account = app
        .roster
        .account_by_user_name("ada@example.org")
        .await
        .unwrap();
    assert!(account.deactivated_at.is_some());

    // The freed seat goes to someone else; reactivating Ada is then refused.
    app.create_user(&tenant, "grace@example.org").await;
    let reactivate = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": true}}]
    });
    let refused = app
        .patch(&tenant, &format!("/Users/{id}"), &reactivate)
        .await;
    refused.assert_scim_error(409, None);
    assert!(refused.body["detail"].as_str().unwrap().contains("1 of 1"));
    let still = app.scim_get(&tenant, &format!("/Users/{id}")).await;
    assert_eq!(still.body["active"], false, "nothing written");
}

#[tokio::test]
async fn delete_deactivates_then_every_scim_operation_on_the_id_is_404() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let id = app.create_user(&tenant, "ada@example.org").await;
    let deleted = app.delete(&tenant, &format!("/Users/{id}")).await;
    assert_eq!(deleted.status, 204);
    app.scim_get(&tenant, &format!("/Users/{id}"))
        .await
        .assert_scim_error(404, None);
    app.delete(&tenant, &format!("/Users/{id}"))
        .await
        .assert_scim_error(404, None);
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "active", "value": true}]});
    app.patch(&tenant, &format!("/Users/{id}"), &patch)
        .await
        .assert_scim_error(404, None);
    let found = app
        .scim_get(&tenant, "/Users?filter=userName+eq+%22ada%40example.org%22")
        .await;
    assert_eq!(found.body["totalResults"], 0);

    let account = app
        .roster
        .account_by_user_name("ada@example.org")
        .await
        .unwrap();
    assert!(!account.active, "the account stays, deactivated");
    assert!(!account.scim_managed);
    assert_eq!(seats_used(&app, &tenant).await, 0);
}

#[tokio::test]
async fn recreating_a_deleted_user_reactivates_the_retained_account() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let id = app.create_user(&tenant, "ada@example.org").await;
    app.delete(&tenant, &format!("/Users/{id}")).await;
    let again = app
        .post(
            &tenant,
            "/Users",
            &entra_create("Ada@example.org", json!(true)),
        )
        .await;
    assert_eq!(again.status, 201, "{:#}", again.body);
    assert_eq!(
        again.body["id"],
        id.as_str(),
        "the same account, not a duplicate"
    );
    assert_eq!(again.body["active"], true);
    let account = app
        .roster
        .account_by_user_name("ada@example.org")
        .await
        .unwrap();
    assert!(account.scim_managed && !account.scim_deleted);
}

#[tokio::test]
async fn entra_patch_shapes_update_attributes_in_both_dialects() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let id = app
        .post(
            &tenant,
            "/Users",
            &entra_create("ada@example.org", json!(true)),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let default_dialect = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "name.givenName", "value": "Augusta"},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "augusta@example.org"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "8"},
            {"op": "Add", "path": "title", "value": "Countess"}
        ]
    });
    let response = app
        .patch(&tenant, &format!("/Users/{id}"), &default_dialect)
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert_eq!(response.body["name"]["givenName"], "Augusta");
    assert_eq!(response.body["emails"][0]["value"], "augusta@example.org");
    assert_eq!(response.body[ENTERPRISE]["employeeNumber"], "8");
    assert_eq!(response.body["title"], "Countess");

    let flag_dialect = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {
            "displayName": "Ada L",
            "name.givenName": "Ada",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "9"
        }}]
    });
    let response = app
        .patch(&tenant, &format!("/Users/{id}"), &flag_dialect)
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert_eq!(response.body["displayName"], "Ada L");
    assert_eq!(response.body["name"]["givenName"], "Ada");
    assert_eq!(response.body["name"]["familyName"], "Lovelace", "untouched");
    assert_eq!(response.body[ENTERPRISE]["employeeNumber"], "9");
}

#[tokio::test]
async fn etag_changes_with_each_write_and_if_match_is_honoured() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let created = app
        .post(
            &tenant,
            "/Users",
            &entra_create("ada@example.org", json!(true)),
        )
        .await;
    let id = created.body["id"].as_str().unwrap();
    let v1 = created.headers["etag"].to_str().unwrap().to_owned();
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "displayName", "value": "A"}]});
    let request = |etag: &str| {
        axum::http::Request::patch(format!("{}/Users/{id}", tenant.base))
            .header("authorization", format!("Bearer {}", tenant.token))
            .header("content-type", "application/scim+json")
            .header("if-match", etag)
            .body(axum::body::Body::from(patch.to_string()))
            .unwrap()
    };
    let ok = app.send(request(&v1)).await;
    assert_eq!(ok.status, 200);
    let v2 = ok.headers["etag"].to_str().unwrap().to_owned();
    assert_ne!(v1, v2);
    app.send(request(&v1)).await.assert_scim_error(412, None);
}

#[tokio::test]
async fn put_replaces_attributes_and_keeps_the_role() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::Business, 10).await;
    let id = app.create_user(&tenant, "okta@example.org").await;
    let body = json!({
        "schemas": [CORE],
        "userName": "okta@example.org",
        "name": {"givenName": "O", "familyName": "K"},
        "active": true,
        "roles": [{"value": "admin"}]
    });
    let response = app.put(&tenant, &format!("/Users/{id}"), &body).await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert_eq!(response.body["name"]["familyName"], "K");
    let account = app
        .roster
        .account_by_user_name("okta@example.org")
        .await
        .unwrap();
    assert_eq!(
        account.role.as_str(),
        "learner",
        "SCIM never changes a role"
    );
}

#[tokio::test]
async fn filters_find_users_by_indexed_and_other_attributes() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    app.post(
        &tenant,
        "/Users",
        &entra_create("ada@example.org", json!(true)),
    )
    .await;
    app.create_user(&tenant, "grace@example.org").await;
    for (filter, expected) in [
        ("userName eq \"ADA@EXAMPLE.ORG\"", 1),
        ("externalId eq a7c3f1b2", 1),
        ("externalId eq \"A7C3F1B2\"", 0),
        ("userName sw \"g\"", 1),
        ("name.familyName eq \"lovelace\"", 1),
        ("emails[type eq \"work\" and value co \"example\"]", 1),
        ("active eq true", 2),
        ("userName pr and not (userName eq \"ada@example.org\")", 1),
        ("meta.lastModified gt \"2000-01-01T00:00:00Z\"", 2),
    ] {
        let encoded: String = filter
            .replace('%', "%25")
            .replace(' ', "+")
            .replace('"', "%22")
            .replace('[', "%5B")
            .replace(']', "%5D");
        let response = app
            .scim_get(&tenant, &format!("/Users?filter={encoded}"))
            .await;
        assert_eq!(response.status, 200, "{filter}: {:#}", response.body);
        assert_eq!(response.body["totalResults"], expected, "{filter}");
    }
}

#[tokio::test]
async fn a_value_filter_followed_by_a_sub_attribute_tests_the_same_email() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    app.post(
        &tenant,
        "/Users",
        &entra_create("ada@example.org", json!(true)),
    )
    .await;
    // Grace's home address is at example.org, her work address is not.
    let grace = app
        .post(
            &tenant,
            "/Users",
            &json!({
                "schemas": [CORE],
                "userName": "grace",
                "emails": [
                    {"type": "work", "value": "grace@navy.mil"},
                    {"type": "home", "value": "grace@example.org"}
                ]
            }),
        )
        .await;
    assert_eq!(grace.status, 201, "{:#}", grace.body);
    // Microsoft's form, as its documentation writes it.
    let filter = "emails%5Btype+eq+%22work%22%5D.value+ew+%22example.org%22";
    let found = app
        .scim_get(&tenant, &format!("/Users?filter={filter}"))
        .await;
    assert_eq!(found.status, 200, "{:#}", found.body);
    assert_eq!(found.body["totalResults"], 1, "{:#}", found.body);
    assert_eq!(found.body["Resources"][0]["userName"], "ada@example.org");
    let home = app
        .post(
            &tenant,
            "/Users/.search",
            &json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                "filter": "emails[type eq \"home\"].value ew \"example.org\"",
            }),
        )
        .await;
    assert_eq!(home.status, 200, "{:#}", home.body);
    assert_eq!(home.body["totalResults"], 1, "{:#}", home.body);
    assert_eq!(home.body["Resources"][0]["userName"], "grace");
}

#[tokio::test]
async fn list_pages_sorts_and_projects() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    for name in ["c@x.org", "a@x.org", "b@x.org"] {
        app.create_user(&tenant, name).await;
        app.clock.advance(time::Duration::seconds(1));
    }
    let page = app.scim_get(&tenant, "/Users?startIndex=2&count=1").await;
    assert_eq!(page.body["totalResults"], 3);
    assert_eq!(page.body["itemsPerPage"], 1);
    assert_eq!(page.body["startIndex"], 2);
    assert_eq!(
        page.body["Resources"][0]["userName"], "a@x.org",
        "creation order"
    );
    let sorted = app
        .scim_get(
            &tenant,
            "/Users?sortBy=userName&sortOrder=descending&attributes=userName",
        )
        .await;
    let names: Vec<&str> = sorted.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["c@x.org", "b@x.org", "a@x.org"]);
    let first = &sorted.body["Resources"][0];
    assert!(
        first.get("active").is_none(),
        "attributes=userName projects"
    );
    assert!(first.get("id").is_some(), "id is always returned");
}

/// The `userName`s of a list response, in order.
fn user_names(response: &crate::support::TestResponse) -> Vec<String> {
    assert_eq!(response.status, 200, "{:#}", response.body);
    response.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn sorting_by_user_name_pages_through_every_user_in_order() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let names = ["Mia", "carl", "Bea", "eve", "alan", "Dora", "finn"];
    for name in names {
        app.create_user(&tenant, name).await;
        app.clock.advance(time::Duration::seconds(1));
    }
    let mut sorted: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    sorted.sort_by_key(|n| n.to_lowercase());
    for (order, expected) in [
        ("ascending", sorted.clone()),
        ("descending", sorted.iter().rev().cloned().collect()),
    ] {
        // In the database (no filter, or one that lowers) and in memory (a filter that does
        // not): the same pages.
        for filter in ["", "&filter=userName+pr", "&filter=name.familyName+eq+null"] {
            let mut seen = Vec::new();
            for start in [1, 4, 7] {
                let page = app
                    .scim_get(
                        &tenant,
                        &format!("/Users?sortBy=userName&sortOrder={order}&startIndex={start}&count=3{filter}"),
                    )
                    .await;
                assert_eq!(page.body["totalResults"], 7, "{order}{filter}");
                seen.extend(user_names(&page));
            }
            assert_eq!(seen, expected, "{order}{filter}");
        }
    }
}

#[tokio::test]
async fn an_unindexed_filter_over_more_candidates_than_the_bound_is_too_many() {
    let app = TestApp::with_candidate_limit(5).await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    for name in ["a1", "a2", "a3", "a4", "a5", "b1"] {
        let created = app
            .post(
                &tenant,
                "/Users",
                &json!({"schemas": [CORE], "userName": name, "name": {"familyName": name}}),
            )
            .await;
        assert_eq!(created.status, 201, "{:#}", created.body);
    }
    // Six candidates: more than the bound, in a filter or a sort without a column.
    for query in [
        "filter=name.familyName+eq+%22a1%22",
        "sortBy=name.familyName",
        "filter=emails%5Btype+eq+%22work%22%5D",
    ] {
        let refused = app.scim_get(&tenant, &format!("/Users?{query}")).await;
        refused.assert_scim_error(400, Some("tooMany"));
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("more than 5 users") && detail.contains("userName"),
            "{query}: {detail}"
        );
    }
    // Narrowed by an indexed conjunct to five candidates: answered.
    let narrowed = app
        .scim_get(
            &tenant,
            "/Users?filter=name.familyName+eq+%22a1%22+and+userName+sw+%22a%22",
        )
        .await;
    assert_eq!(user_names(&narrowed), ["a1"]);
    let sorted = app
        .scim_get(
            &tenant,
            "/Users?filter=userName+sw+%22a%22&sortBy=name.familyName&sortOrder=descending&count=2",
        )
        .await;
    assert_eq!(sorted.body["totalResults"], 5);
    assert_eq!(user_names(&sorted), ["a5", "a4"]);
    // Sorted in the database, or filtered whole in SQL: no bound.
    let first = app
        .scim_get(&tenant, "/Users?sortBy=userName&count=1")
        .await;
    assert_eq!(first.body["totalResults"], 6);
    assert_eq!(user_names(&first), ["a1"]);
    let by_creation = app
        .scim_get(&tenant, "/Users?filter=userName+pr&sortBy=meta.created")
        .await;
    assert_eq!(user_names(&by_creation).len(), 6);
    // No displayName: last ascending, first descending; all six are sorted in the database.
    let by_display_name = app
        .scim_get(
            &tenant,
            "/Users?sortBy=displayName&sortOrder=descending&count=2",
        )
        .await;
    assert_eq!(by_display_name.body["totalResults"], 6);
}

#[tokio::test]
async fn independent_accounts_are_not_moved_into_an_organization() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    app.roster
        .add_account(None, "solo@example.org", None, None)
        .await
        .unwrap();
    let refused = app
        .post(
            &tenant,
            "/Users",
            &entra_create("solo@example.org", json!(true)),
        )
        .await;
    refused.assert_scim_error(409, Some("uniqueness"));
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("add or invite")
    );
    let account = app
        .roster
        .account_by_user_name("solo@example.org")
        .await
        .unwrap();
    assert_eq!(account.org_id, None, "still independent");

    app.roster
        .invite_account(tenant.org, "solo@example.org")
        .await
        .unwrap();
    let found = app
        .scim_get(
            &tenant,
            "/Users?filter=userName+eq+%22solo%40example.org%22",
        )
        .await;
    assert_eq!(
        found.body["totalResults"], 1,
        "visible to SCIM once invited"
    );
}

#[tokio::test]
async fn provisioning_log_records_writes_and_refusals_with_client_request_id() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 1).await;
    let request = axum::http::Request::post(format!("{}/Users", tenant.base))
        .header("authorization", format!("Bearer {}", tenant.token))
        .header("content-type", "application/scim+json")
        .header("client-request-id", "c0ffee")
        .body(axum::body::Body::from(
            entra_create("ada@example.org", json!(true)).to_string(),
        ))
        .unwrap();
    assert_eq!(app.send(request).await.status, 201);
    // Entries are written after the answers, in any order; their times order them.
    app.clock.advance(time::Duration::seconds(1));
    app.post(
        &tenant,
        "/Users",
        &entra_create("bob@example.org", json!(true)),
    )
    .await;
    let entries = app.wait_for_log(&tenant, 2).await;
    assert_eq!(entries[0].status, 409);
    assert_eq!(entries[0].outcome.as_str(), "failure");
    assert_eq!(entries[0].name.as_deref(), Some("bob@example.org"));
    assert!(
        entries[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("seat limit reached: 1 of 1")
    );
    assert_eq!(entries[1].status, 201);
    assert_eq!(entries[1].operation, "POST /Users");
    assert_eq!(entries[1].resource_type, "User");
    assert_eq!(entries[1].client_request_id.as_deref(), Some("c0ffee"));
    assert!(entries[1].resource_id.is_some());
}

#[tokio::test]
async fn removing_active_leaves_it_unassigned_and_the_account_active() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let id = app.create_user(&tenant, "ada@x.org").await;
    let remove = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "remove", "path": "active"}]});
    let response = app.patch(&tenant, &format!("/Users/{id}"), &remove).await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert!(
        response.body.get("active").is_none(),
        "RFC 7644 §3.5.2.2: unassigned"
    );
    assert_eq!(seats_used(&app, &tenant).await, 1, "still holds its seat");
    let set = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "active", "value": false}]});
    let response = app.patch(&tenant, &format!("/Users/{id}"), &set).await;
    assert_eq!(response.body["active"], false);
    assert_eq!(seats_used(&app, &tenant).await, 0);
}

#[tokio::test]
async fn microsoft_validator_shapes_are_understood() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::Business, 10).await;
    let created = app
        .post(&tenant, "/Users", &entra_create("val@x.org", json!(true)))
        .await;
    let id = created.body["id"].as_str().unwrap();
    let ops = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "replace", "value": {"userName": "VALIDATED@x.org"}},
            {"op": "replace", "path": "emails[type eq \"work\"].primary", "value": "True"},
            {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m-42"}
        ]
    });
    let response = app.patch(&tenant, &format!("/Users/{id}"), &ops).await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert_eq!(response.body["userName"], "VALIDATED@x.org");
    assert_eq!(response.body["emails"][0]["primary"], true);
    assert_eq!(response.body[ENTERPRISE]["manager"]["value"], "m-42");
    // Upper-cased filter values still match (userName is case-insensitive).
    let found = app
        .scim_get(&tenant, "/Users?filter=userName+eq+%22VALIDATED%40X.ORG%22")
        .await;
    assert_eq!(found.body["totalResults"], 1);
    // The old name is free again; the new one is taken.
    let clash = app
        .post(
            &tenant,
            "/Users",
            &entra_create("validated@x.org", json!(true)),
        )
        .await;
    clash.assert_scim_error(409, Some("uniqueness"));
}

#[tokio::test]
async fn renaming_onto_a_taken_user_name_is_409_and_changes_nothing() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::Business, 10).await;
    app.create_user(&tenant, "taken@x.org").await;
    let id = app.create_user(&tenant, "mine@x.org").await;
    let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Replace", "path": "userName", "value": "TAKEN@x.org"}]});
    app.patch(&tenant, &format!("/Users/{id}"), &rename)
        .await
        .assert_scim_error(409, Some("uniqueness"));
    let still = app.scim_get(&tenant, &format!("/Users/{id}")).await;
    assert_eq!(still.body["userName"], "mine@x.org");
}

#[tokio::test]
async fn passwords_are_accepted_and_never_stored_filtered_or_sorted_on() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::Business, 10).await;
    let created = app
        .post(
            &tenant,
            "/Users",
            &json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "okta@x.org",
                "password": "Correct-Horse-1",
                "name": {"givenName": "Okta"},
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    assert!(created.body.get("password").is_none());
    let id = created.body["id"].as_str().unwrap();
    let patched = app
        .patch(
            &tenant,
            &format!("/Users/{id}"),
            &json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "password", "value": "Another-Secret-2"}]
            }),
        )
        .await;
    assert_eq!(patched.status, 200, "{:#}", patched.body);

    let stored = app.roster.account_by_user_name("okta@x.org").await.unwrap();
    assert!(
        !stored.attributes.contains_key("password"),
        "{:?}",
        stored.attributes
    );
    assert_eq!(stored.attributes["name"]["givenName"], "Okta");

    let refused = "'password' is never returned, so it cannot be filtered or sorted on";
    for query in [
        "filter=userName%20eq%20%22okta@x.org%22%20and%20password%20ge%20%22M%22",
        "filter=password%20pr",
        "sortBy=password",
    ] {
        let response = app.scim_get(&tenant, &format!("/Users?{query}")).await;
        response.assert_scim_error(400, Some("invalidFilter"));
        assert_eq!(response.body["detail"], refused, "{query}");
    }
}

#[tokio::test]
async fn with_domains_set_scim_creates_and_renames_outside_them_are_refused() {
    let app = TestApp::new().await;
    let school = app.tenant(OrgKind::School, 10).await;
    let other = app.tenant(OrgKind::School, 10).await;
    // Without domains, an organization may create any userName — even one another organization's
    // people will need (documented): the squatting the restriction stops.
    app.create_user(&other, "early@ridgemont.edu").await;
    app.roster
        .update_org(
            other.org,
            roster_domain::OrgUpdate {
                domains: Some(vec!["other.org".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let squat = app
        .post(
            &other,
            "/Users",
            &entra_create("alice@ridgemont.edu", json!(true)),
        )
        .await;
    squat.assert_scim_error(400, Some("invalidValue"));
    let detail = squat.body["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(
            "userName 'alice@ridgemont.edu' is outside this organization's domains (other.org)"
        ),
        "{detail}"
    );
    assert!(
        app.roster
            .account_by_user_name("alice@ridgemont.edu")
            .await
            .is_err(),
        "nothing was written"
    );

    app.roster
        .update_org(
            school.org,
            roster_domain::OrgUpdate {
                domains: Some(vec!["Ridgemont.EDU".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let alice = app.create_user(&school, "alice@ridgemont.edu").await;
    app.create_user(&school, "bob@students.ridgemont.edu").await;
    let rename = app
        .patch(
            &school,
            &format!("/Users/{alice}"),
            &json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "userName", "value": "alice@gmail.com"}]
            }),
        )
        .await;
    rename.assert_scim_error(400, Some("invalidValue"));
    let case_only = app
        .patch(
            &school,
            &format!("/Users/{alice}"),
            &json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "userName", "value": "Alice@Ridgemont.edu"}]
            }),
        )
        .await;
    assert_eq!(case_only.status, 200, "{:#}", case_only.body);
    let status = app.roster.org_status(school.org).await.unwrap();
    assert_eq!(status.org.domains, vec!["ridgemont.edu"]);
}

/// Candidates evaluated in memory come in batches of 500, each continuing after the last row
/// of the one before: across batch boundaries nothing is skipped or seen twice, in listing
/// order and in a sort the store answers (both directions, with ties in modification time).
#[tokio::test]
async fn an_unindexed_filter_over_several_batches_of_candidates_sees_each_user_once() {
    // Every third of 1,100 users has a title: 367 matches among more than two batches.
    const TITLED: usize = 367;
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 2_000).await;
    let mut titled = Vec::new();
    for i in 0..1_100 {
        let name = format!("u{i:04}");
        let mut user = json!({"schemas": [CORE], "userName": name});
        if i % 3 == 0 {
            user["title"] = json!("Teacher");
            titled.push(name);
        }
        let created = app.post(&tenant, "/Users", &user).await;
        assert_eq!(created.status, 201, "{:#}", created.body);
        // Two users per second: ties in creation and modification time.
        if i % 2 == 1 {
            app.clock.advance(time::Duration::seconds(1));
        }
    }
    let all_pages = |sort: &'static str| {
        let app = &app;
        let tenant = &tenant;
        async move {
            let mut seen = Vec::new();
            for start in (1..=TITLED).step_by(100) {
                let page = app
                    .scim_get(
                        tenant,
                        &format!("/Users?filter=title+pr&startIndex={start}&count=100{sort}"),
                    )
                    .await;
                assert_eq!(page.status, 200, "{:#}", page.body);
                assert_eq!(page.body["totalResults"], TITLED, "{sort}");
                seen.extend(user_names(&page));
            }
            seen
        }
    };
    assert_eq!(titled.len(), TITLED);
    assert_eq!(all_pages("").await, titled);
    assert_eq!(all_pages("&sortBy=meta.lastModified").await, titled);
    let newest_first: Vec<String> = titled.iter().rev().cloned().collect();
    assert_eq!(
        all_pages("&sortBy=meta.lastModified&sortOrder=descending").await,
        newest_first
    );
}
