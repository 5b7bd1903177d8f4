//! Protocol errors and limits: every refusal is a SCIM error body with the right status.

use axum::{body::Body, http::Request};
use roster_domain::OrgKind;
use serde_json::json;

use tower::ServiceExt;

use crate::support::{TestApp, TestResponse};

const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

#[tokio::test]
async fn write_methods_on_discovery_endpoints_are_405() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    for path in ["/ServiceProviderConfig", "/Schemas", "/ResourceTypes"] {
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            let response = app
                .send_json(
                    method,
                    &format!("{}{path}", tenant.base),
                    &tenant.token,
                    &json!({}),
                )
                .await;
            response.assert_scim_error(405, None);
            assert!(
                response.body["detail"].as_str().unwrap().contains(method),
                "{:#}",
                response.body
            );
        }
    }
}

#[tokio::test]
async fn unknown_paths_are_404_with_a_scim_body() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    app.get(&format!("{}/Devices", tenant.base), Some(&tenant.token))
        .await
        .assert_scim_error(404, None);
    app.get("/nowhere", None).await.assert_scim_error(404, None);
}

#[tokio::test]
async fn unknown_tenant_paths_need_the_token_before_saying_404() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    app.get(&format!("{}/Devices", tenant.base), None)
        .await
        .assert_scim_error(401, None);
}

#[tokio::test]
async fn unknown_tenant_paths_are_named_below_the_tenant_url() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    for (path, named) in [
        ("/Devices", "/Devices"),
        ("/Users/a/b", "/Users/a/b"),
        ("", "/"),
        ("/", "/"),
    ] {
        let response = app
            .get(&format!("{}{path}", tenant.base), Some(&tenant.token))
            .await;
        response.assert_scim_error(404, None);
        assert_eq!(
            response.body["detail"],
            format!(
                "no such endpoint: {named}; this service serves /Users, /Groups, /ServiceProviderConfig, /ResourceTypes and /Schemas"
            ),
            "{path:?}"
        );
    }
}

#[tokio::test]
async fn resource_endpoints_are_matched_case_insensitively() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    for path in ["/users", "/GROUPS/", "/schemas", "/serviceproviderconfig"] {
        let response = app
            .get(&format!("{}{path}", tenant.base), Some(&tenant.token))
            .await;
        assert_eq!(response.status, 200, "{path}: {:#}", response.body);
    }
}

#[tokio::test]
async fn count_above_the_maximum_page_size_returns_a_full_page() {
    // RFC 7644 §3.4.2.4: any count may be asked for; the page holds at most `maxResults` (1,000).
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::Business, 1001).await;
    let mut creates = tokio::task::JoinSet::new();
    for i in 0..1001 {
        let request = Request::post(format!("{}/Users", tenant.base))
            .header("authorization", format!("Bearer {}", tenant.token))
            .header("content-type", "application/scim+json")
            .body(Body::from(
                json!({"schemas": [CORE_USER], "userName": format!("u{i}@example.org")})
                    .to_string(),
            ))
            .unwrap();
        creates.spawn(app.router.clone().oneshot(request));
    }
    for response in creates.join_all().await {
        assert_eq!(response.unwrap().status(), 201);
    }
    let page = |response: &TestResponse| {
        assert_eq!(response.status, 200, "{:#}", response.body);
        let resources = response.body["Resources"].as_array().map_or(0, Vec::len);
        assert_eq!(response.body["itemsPerPage"], resources);
        (response.body["totalResults"].clone(), resources)
    };
    for count in ["1001", "100000", "9223372036854775807"] {
        let response = app
            .scim_get(&tenant, &format!("/Users?count={count}&attributes=id"))
            .await;
        assert_eq!(page(&response), (json!(1001), 1000), "count={count}");
    }
    let last = app
        .scim_get(&tenant, "/Users?count=100000&startIndex=1001&attributes=id")
        .await;
    assert_eq!(page(&last), (json!(1001), 1));
    let none = app.scim_get(&tenant, "/Users?count=-5").await;
    assert_eq!(page(&none), (json!(1001), 0), "a negative count is 0");
    let first = app.scim_get(&tenant, "/Users?count=1&startIndex=0").await;
    assert_eq!(
        first.body["startIndex"], 1,
        "startIndex below 1 is read as 1"
    );

    let search = json!({"schemas": [SEARCH_REQUEST], "count": 100000, "attributes": ["id"]});
    let users = app.post(&tenant, "/Users/.search", &search).await;
    assert_eq!(page(&users), (json!(1001), 1000));
    let root = app.post(&tenant, "/.search", &search).await;
    assert_eq!(page(&root), (json!(1001), 1000));
    let groups = app.post(&tenant, "/Groups/.search", &search).await;
    assert_eq!(page(&groups), (json!(0), 0));
}

#[tokio::test]
async fn malformed_filters_are_400_invalid_filter() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    for filter in [
        "userName+eq",
        "userName+zz+%22a%22",
        "(userName+eq+%22a%22",
        "nosuchattr+eq+%22a%22",
    ] {
        let response = app
            .get(
                &format!("{}/Users?filter={filter}", tenant.base),
                Some(&tenant.token),
            )
            .await;
        response.assert_scim_error(400, Some("invalidFilter"));
    }
    let deep = format!("{}userName eq \"a\"{}", "(".repeat(200), ")".repeat(200));
    let uri = format!(
        "{}/Users?filter={}",
        tenant.base,
        deep.replace(' ', "+").replace('"', "%22")
    );
    app.get(&uri, Some(&tenant.token))
        .await
        .assert_scim_error(400, Some("invalidFilter"));
}

#[tokio::test]
async fn non_integer_count_is_400() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    app.get(
        &format!("{}/Users?count=ten", tenant.base),
        Some(&tenant.token),
    )
    .await
    .assert_scim_error(400, Some("invalidValue"));
}

#[tokio::test]
async fn oversized_bodies_are_413_with_a_scim_body() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let big = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "x".repeat(2 * 1024 * 1024)});
    let response = app
        .send_json(
            "POST",
            &format!("{}/Users/.search", tenant.base),
            &tenant.token,
            &big,
        )
        .await;
    response.assert_scim_error(413, None);
}

#[tokio::test]
async fn search_endpoint_accepts_a_search_request() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "userName eq \"nobody@example.org\"",
        "startIndex": 1,
        "count": 10,
        "attributes": ["userName"],
    });
    let response = app
        .send_json(
            "POST",
            &format!("{}/Users/.search", tenant.base),
            &tenant.token,
            &body,
        )
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert_eq!(response.body["totalResults"], 0);
}

#[tokio::test]
async fn malformed_json_is_400_invalid_syntax() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let request = Request::post(format!("{}/Users/.search", tenant.base))
        .header("authorization", format!("Bearer {}", tenant.token))
        .header("content-type", "application/json; charset=utf-8")
        .body(Body::from("{\"filter\": "))
        .unwrap();
    app.send(request)
        .await
        .assert_scim_error(400, Some("invalidSyntax"));
}

#[tokio::test]
async fn responses_carry_a_request_id() {
    let app = TestApp::new().await;
    let response = app.get("/healthz", None).await;
    assert_eq!(response.status, 200);
    assert!(response.headers.get("x-request-id").is_some());
    let request = Request::get("/healthz")
        .header("x-request-id", "entra-1234")
        .body(Body::empty())
        .unwrap();
    let echoed = app.send(request).await;
    assert_eq!(echoed.headers.get("x-request-id").unwrap(), "entra-1234");

    // An id that could forge fields in text logs, or bloat every line, is replaced.
    for forged in [
        "x request.id=admin http.path=/x".to_owned(),
        "a\"b".to_owned(),
        "a".repeat(129),
    ] {
        let request = Request::get("/healthz")
            .header("x-request-id", &forged)
            .body(Body::empty())
            .unwrap();
        let replaced = app.send(request).await;
        let id = replaced
            .headers
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap();
        assert_ne!(id, forged);
        assert!(
            id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'),
            "a fresh UUID, got {id}"
        );
    }
}

#[tokio::test]
async fn readiness_reports_the_store() {
    let app = TestApp::new().await;
    let response = app.get("/readyz", None).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body["status"], "ready");
}

#[tokio::test]
async fn an_organization_over_its_rate_gets_429_with_retry_after_and_others_do_not() {
    let app = TestApp::with_rate_limit(2).await;
    let busy = app.tenant(OrgKind::School, 10).await;
    let quiet = app.tenant(OrgKind::School, 10).await;
    // A burst of twice the rate passes; the next request is refused.
    for _ in 0..4 {
        assert_eq!(app.scim_get(&busy, "/Users").await.status, 200);
    }
    let refused = app.scim_get(&busy, "/Users").await;
    refused.assert_scim_error(429, None);
    assert_eq!(refused.headers["retry-after"], "1");
    assert_eq!(
        app.scim_get(&quiet, "/Users").await.status,
        200,
        "limits are per organization"
    );
}

#[tokio::test]
async fn a_flood_of_refused_requests_is_one_log_entry_and_the_history_stays() {
    let app = TestApp::with_rate_limit(2).await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    app.create_user(&tenant, "real@x.org").await;
    let mut refused = 0;
    for _ in 0..50 {
        if app.scim_get(&tenant, "/Users").await.status == 429 {
            refused += 1;
        }
    }
    assert!(refused >= 40, "{refused} refused");
    // Let the background writes of every answered request land before reading.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let entries = app.wait_for_log(&tenant, 2).await;
    let floods: Vec<_> = entries.iter().filter(|e| e.status == 429).collect();
    assert_eq!(floods.len(), 1, "{entries:#?}");
    assert_eq!(entries.len(), 2, "the create and one refusal: {entries:#?}");
    assert!(
        entries
            .iter()
            .any(|e| e.name.as_deref() == Some("real@x.org"))
    );
}

#[tokio::test]
async fn root_search_finds_users_and_groups() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    app.create_user(&tenant, "ada@x.org").await;
    app.roster
        .create_group(tenant.org, "Ada's group")
        .await
        .unwrap();
    let all = app
        .post(&tenant, "/.search", &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": 10}))
        .await;
    assert_eq!(all.status, 200, "{:#}", all.body);
    assert_eq!(all.body["totalResults"], 2);
    assert_eq!(all.body["Resources"][0]["userName"], "ada@x.org");
    assert_eq!(all.body["Resources"][1]["displayName"], "Ada's group");
    let second_page = app
        .post(&tenant, "/.search", &json!({"startIndex": 2, "count": 1}))
        .await;
    assert_eq!(
        second_page.body["Resources"][0]["displayName"],
        "Ada's group"
    );
    let users_only = app
        .post(
            &tenant,
            "/.search",
            &json!({"filter": "userName sw \"ada\""}),
        )
        .await;
    assert_eq!(users_only.body["totalResults"], 1, "{:#}", users_only.body);
}
