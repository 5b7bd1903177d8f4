//! Cursor paging (RFC 9865) of `/Users` and `/Groups`: `?cursor` (empty for the first page) walks
//! every match exactly once in the listing's order, each page saying `totalResults` and the
//! `nextCursor` of the next (none on the last); a cursor reused with another query, forged, or
//! sent with `startIndex` is a 400 that says what to do.

use roster_domain::OrgKind;
use serde_json::{Value, json};

use crate::support::{Tenant, TestApp};

const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// Every page of `query` (which ends in `cursor=` or `cursor`, both the first page), following
/// `nextCursor`: the `userName`s or `displayName`s of each page, and the `totalResults` each
/// page said.
async fn walk(
    app: &TestApp,
    tenant: &Tenant,
    path: &str,
    query: &str,
) -> (Vec<Vec<String>>, Vec<u64>) {
    let name = if path == "/Users" {
        "userName"
    } else {
        "displayName"
    };
    let mut pages = Vec::new();
    let mut totals = Vec::new();
    let mut cursor = String::new();
    let query = query.trim_end_matches('=');
    loop {
        let response = app
            .scim_get(tenant, &format!("{path}?{query}{cursor}"))
            .await;
        assert_eq!(response.status, 200, "{:#}", response.body);
        let body = &response.body;
        assert!(
            body.get("startIndex").is_none(),
            "a cursor page has no startIndex: {body:#}"
        );
        let names: Vec<String> = body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[name].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(body["itemsPerPage"], names.len());
        totals.push(body["totalResults"].as_u64().unwrap());
        pages.push(names);
        match body.get("nextCursor").and_then(Value::as_str) {
            Some(next) => {
                assert!(
                    next.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)),
                    "{next}: RFC 9865 allows unreserved characters only"
                );
                cursor = format!("={next}");
            }
            None => break,
        }
        assert!(pages.len() < 100, "the walk does not end");
    }
    (pages, totals)
}

async fn users(app: &TestApp, tenant: &Tenant, names: impl IntoIterator<Item = String>) {
    for name in names {
        let created = app
            .post(
                tenant,
                "/Users",
                &json!({"schemas": [CORE_USER], "userName": name, "externalId": name.len().to_string()}),
            )
            .await;
        assert_eq!(created.status, 201, "{:#}", created.body);
    }
}

#[tokio::test]
async fn a_cursor_walks_every_user_once_in_order_with_the_total_on_every_page() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 100).await;
    // Created out of name order, so listing order and userName order differ.
    let names: Vec<String> = (0..23)
        .map(|i| format!("u{:02}@x.org", (i * 7) % 23))
        .collect();
    users(&app, &tenant, names.clone()).await;

    // Listing order, five at a time: the order of one index-paged page of all.
    let all = app.scim_get(&tenant, "/Users?count=100").await;
    let listed: Vec<&str> = all.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 23);
    let (pages, totals) = walk(&app, &tenant, "/Users", "count=5&cursor=").await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [5, 5, 5, 5, 3]
    );
    assert_eq!(pages.concat(), listed);
    assert!(totals.iter().all(|&t| t == 23), "{totals:?}");

    // By userName, descending, with a filter: the store's index order, continued by seek.
    let (pages, totals) = walk(
        &app,
        &tenant,
        "/Users",
        "filter=userName%20sw%20%22u1%22&sortBy=userName&sortOrder=descending&count=4&cursor",
    )
    .await;
    let mut expected: Vec<String> = names
        .iter()
        .filter(|n| n.starts_with("u1"))
        .cloned()
        .collect();
    expected.sort();
    expected.reverse();
    assert_eq!(pages.concat(), expected);
    assert_eq!(pages.len(), 3, "10 matches in pages of 4");
    assert!(totals.iter().all(|&t| t == 10), "{totals:?}");

    // A sort Roster does not keep an index order for continues by offset, in the same way.
    let (pages, _) = walk(
        &app,
        &tenant,
        "/Users",
        "sortBy=externalId&count=10&cursor=",
    )
    .await;
    assert_eq!(pages.concat().len(), 23);
    let mut seen = pages.concat();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 23, "every user once");
}

#[tokio::test]
async fn a_user_created_between_pages_does_not_shift_the_next_page() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 100).await;
    users(&app, &tenant, (0..6).map(|i| format!("b{i}@x.org"))).await;
    let first = app
        .scim_get(&tenant, "/Users?sortBy=userName&count=3&cursor=")
        .await;
    let next = first.body["nextCursor"].as_str().unwrap().to_owned();
    // Sorts before every name of the next page: an offset would show b2 again.
    users(&app, &tenant, ["a0@x.org".to_owned()]).await;
    let second = app
        .scim_get(
            &tenant,
            &format!("/Users?sortBy=userName&count=3&cursor={next}"),
        )
        .await;
    let names: Vec<&str> = second.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["b3@x.org", "b4@x.org", "b5@x.org"]);
    assert_eq!(second.body["totalResults"], 7);
    assert!(
        second.body.get("nextCursor").is_none(),
        "the last page: {:#}",
        second.body
    );
}

#[tokio::test]
async fn groups_and_search_requests_page_by_cursor_too() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 100).await;
    for i in 0..7 {
        let created = app
            .post(
                &tenant,
                "/Groups",
                &json!({"schemas": [CORE_GROUP], "displayName": format!("Class {i}")}),
            )
            .await;
        assert_eq!(created.status, 201, "{:#}", created.body);
    }
    let (pages, totals) = walk(
        &app,
        &tenant,
        "/Groups",
        "sortBy=displayName&count=3&cursor=",
    )
    .await;
    assert_eq!(
        pages.concat(),
        (0..7).map(|i| format!("Class {i}")).collect::<Vec<_>>()
    );
    assert_eq!(totals, [7, 7, 7]);

    let search = app
        .post(
            &tenant,
            "/Groups/.search",
            &json!({"schemas": [SEARCH_REQUEST], "cursor": "", "count": 5, "sortBy": "displayName"}),
        )
        .await;
    assert_eq!(search.status, 200, "{:#}", search.body);
    assert_eq!(search.body["itemsPerPage"], 5);
    let next = search.body["nextCursor"].as_str().unwrap();
    let rest = app
        .post(
            &tenant,
            "/Groups/.search",
            &json!({"schemas": [SEARCH_REQUEST], "cursor": next, "count": 5, "sortBy": "displayName"}),
        )
        .await;
    assert_eq!(rest.body["itemsPerPage"], 2, "{:#}", rest.body);
    assert!(rest.body.get("nextCursor").is_none());
}

#[tokio::test]
async fn a_cursor_of_another_query_a_forged_one_or_one_beside_start_index_is_400() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 100).await;
    users(&app, &tenant, (0..3).map(|i| format!("c{i}@x.org"))).await;
    let first = app.scim_get(&tenant, "/Users?count=1&cursor=").await;
    let next = first.body["nextCursor"].as_str().unwrap().to_owned();

    let refusals = [
        (
            format!("/Users?count=1&sortBy=userName&cursor={next}"),
            "invalidCursor",
            "another query",
        ),
        (
            "/Users?count=1&cursor=not-a-cursor".to_owned(),
            "invalidCursor",
            "empty cursor",
        ),
        (
            format!("/Users?count=1&startIndex=2&cursor={next}"),
            "invalidValue",
            "one of them",
        ),
        (
            "/Users?count=0&cursor=".to_owned(),
            "invalidCount",
            "at least 1",
        ),
    ];
    for (path, scim_type, detail) in refusals {
        let response = app.scim_get(&tenant, &path).await;
        assert_eq!(response.status, 400, "{path}: {:#}", response.body);
        assert_eq!(response.body["scimType"], scim_type, "{path}");
        assert!(
            response.body["detail"].as_str().unwrap().contains(detail),
            "{path}: {:#}",
            response.body
        );
    }
    // Another organization's cursor names nothing of this one's: an ordinary page of its own.
    let other = app.tenant(OrgKind::School, 100).await;
    let foreign = app
        .scim_get(&other, &format!("/Users?count=1&cursor={next}"))
        .await;
    assert_eq!(foreign.status, 200, "{:#}", foreign.body);
    assert_eq!(foreign.body["totalResults"], 0);
    assert_eq!(foreign.body["Resources"], json!([]));

    let root = app
        .post(
            &tenant,
            "/.search",
            &json!({"schemas": [SEARCH_REQUEST], "cursor": ""}),
        )
        .await;
    assert_eq!(root.status, 400, "{:#}", root.body);
    assert!(root.body["detail"].as_str().unwrap().contains("startIndex"));
}

#[tokio::test]
async fn the_service_provider_config_advertises_both_ways_to_page() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 1).await;
    let config = app.scim_get(&tenant, "/ServiceProviderConfig").await;
    assert_eq!(
        config.body["pagination"],
        json!({
            "cursor": true,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": 100,
            "maxPageSize": 1000,
        })
    );
}
