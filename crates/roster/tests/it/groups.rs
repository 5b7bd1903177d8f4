//! SCIM `/Groups`: adoption by name, hand-added members surviving every SCIM membership write,
//! atomic idempotent membership changes, and Entra's request shapes in both dialects.

use roster_domain::OrgKind;
use serde_json::{Value, json};

use crate::support::{Tenant, TestApp, TestResponse};

const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH], "Operations": ops})
}

async fn create_group(app: &TestApp, tenant: &Tenant, name: &str) -> String {
    let response = app
        .post(
            tenant,
            "/Groups",
            &json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                "displayName": name,
                "externalId": format!("ext-{name}"),
                "members": []
            }),
        )
        .await;
    assert_eq!(response.status, 201, "{:#}", response.body);
    response.body["id"].as_str().unwrap().to_owned()
}

async fn member_ids(app: &TestApp, tenant: &Tenant, group: &str) -> Vec<String> {
    let response = app.scim_get(tenant, &format!("/Groups/{group}")).await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    let mut ids: Vec<String> = response.body["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn entra_group_lifecycle_in_the_default_dialect() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let (a, b) = (
        app.create_user(&tenant, "a@x.org").await,
        app.create_user(&tenant, "b@x.org").await,
    );
    let group = create_group(&app, &tenant, "Biology 101").await;

    let add = patch(
        json!([{"op": "Add", "path": "members", "value": [{"value": a}, {"$ref": null, "value": b}]}]),
    );
    let response = app.patch(&tenant, &format!("/Groups/{group}"), &add).await;
    assert_eq!(response.status, 204, "{:#}", response.body);
    assert_eq!(
        member_ids(&app, &tenant, &group).await,
        sorted(vec![a.clone(), b.clone()])
    );

    // Re-sent adds change nothing.
    assert_eq!(
        app.patch(&tenant, &format!("/Groups/{group}"), &add)
            .await
            .status,
        204
    );
    assert_eq!(member_ids(&app, &tenant, &group).await.len(), 2);

    // `Remove` with a value array removes those members only, never the whole group.
    let remove = patch(json!([{"op": "Remove", "path": "members", "value": [{"value": a}]}]));
    assert_eq!(
        app.patch(&tenant, &format!("/Groups/{group}"), &remove)
            .await
            .status,
        204
    );
    assert_eq!(member_ids(&app, &tenant, &group).await, vec![b.clone()]);
    assert_eq!(
        app.patch(&tenant, &format!("/Groups/{group}"), &remove)
            .await
            .status,
        204,
        "idempotent"
    );

    let rename = patch(json!([{"op": "Replace", "path": "displayName", "value": "Biology 102"}]));
    assert_eq!(
        app.patch(&tenant, &format!("/Groups/{group}"), &rename)
            .await
            .status,
        204
    );
    let found = app
        .scim_get(
            &tenant,
            "/Groups?excludedAttributes=members&filter=displayName+eq+%22biology+102%22",
        )
        .await;
    assert_eq!(found.body["totalResults"], 1);
    assert!(
        found.body["Resources"][0].get("members").is_none(),
        "members excluded"
    );

    assert_eq!(
        app.delete(&tenant, &format!("/Groups/{group}"))
            .await
            .status,
        204
    );
    app.scim_get(&tenant, &format!("/Groups/{group}"))
        .await
        .assert_scim_error(404, None);
    app.delete(&tenant, &format!("/Groups/{group}"))
        .await
        .assert_scim_error(404, None);
    assert_eq!(
        app.scim_get(&tenant, &format!("/Users/{b}")).await.status,
        200,
        "accounts are untouched"
    );
}

#[tokio::test]
async fn entra_group_patches_in_the_flag_dialect() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::Business, 10).await;
    let (a, b) = (
        app.create_user(&tenant, "a@x.org").await,
        app.create_user(&tenant, "b@x.org").await,
    );
    let group = create_group(&app, &tenant, "Sales").await;
    let add =
        patch(json!([{"op": "add", "path": "members", "value": [{"value": a}, {"value": b}]}]));
    assert_eq!(
        app.patch(&tenant, &format!("/Groups/{group}?aadOptscim062020"), &add)
            .await
            .status,
        204
    );
    let remove = patch(json!([{"op": "remove", "path": format!("members[value eq \"{a}\"]")}]));
    assert_eq!(
        app.patch(&tenant, &format!("/Groups/{group}"), &remove)
            .await
            .status,
        204
    );
    assert_eq!(member_ids(&app, &tenant, &group).await, vec![b.clone()]);
    let rename =
        patch(json!([{"op": "replace", "value": {"id": group, "displayName": "Sales EMEA"}}]));
    assert_eq!(
        app.patch(&tenant, &format!("/Groups/{group}"), &rename)
            .await
            .status,
        204
    );
    let read = app
        .scim_get(
            &tenant,
            &format!("/Groups/{group}?excludedAttributes=members"),
        )
        .await;
    assert_eq!(read.body["displayName"], "Sales EMEA");
    assert!(read.body.get("members").is_none());
}

#[tokio::test]
async fn patch_with_attributes_answers_200_with_the_resource() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::Business, 10).await;
    let group = create_group(&app, &tenant, "Ops").await;
    let rename = patch(json!([{"op": "replace", "path": "displayName", "value": "Ops 2"}]));
    let response = app
        .patch(
            &tenant,
            &format!("/Groups/{group}?attributes=displayName"),
            &rename,
        )
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body["displayName"], "Ops 2");
}

#[tokio::test]
async fn membership_check_query_of_the_older_engine() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let (a, b) = (
        app.create_user(&tenant, "a@x.org").await,
        app.create_user(&tenant, "b@x.org").await,
    );
    let group = create_group(&app, &tenant, "Art").await;
    app.patch(
        &tenant,
        &format!("/Groups/{group}"),
        &patch(json!([{"op": "Add", "path": "members", "value": [{"value": a}]}])),
    )
    .await;
    let check = |u: &str| {
        format!("/Groups?filter=id+eq+%22{group}%22+and+members+eq+%22{u}%22&attributes=id")
    };
    let yes = app.scim_get(&tenant, &check(&a)).await;
    assert_eq!(yes.body["totalResults"], 1, "{:#}", yes.body);
    let mut keys: Vec<&String> = yes.body["Resources"][0]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        ["id", "schemas"],
        "attributes=id returns id (and schemas) only"
    );
    let no = app.scim_get(&tenant, &check(&b)).await;
    assert_eq!(no.body["totalResults"], 0);
    let by_member = app
        .scim_get(
            &tenant,
            &format!("/Groups?filter=members.value+eq+%22{a}%22"),
        )
        .await;
    assert_eq!(by_member.body["totalResults"], 1);
}

#[tokio::test]
async fn post_of_a_hand_made_group_name_adopts_it_and_a_second_post_is_409() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let manual = app
        .roster
        .create_group(tenant.org, "Chess Club")
        .await
        .unwrap();
    let matched = app
        .scim_get(
            &tenant,
            "/Groups?excludedAttributes=members&filter=displayName+eq+%22CHESS+CLUB%22",
        )
        .await;
    assert_eq!(
        matched.body["totalResults"], 1,
        "hand-made groups are visible to SCIM filters"
    );
    let adopted = app.post(&tenant, "/Groups", &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "chess club", "externalId": "e-1"})).await;
    assert_eq!(adopted.status, 201, "{:#}", adopted.body);
    assert_eq!(adopted.body["id"], manual.id.to_string());
    assert_eq!(adopted.body["externalId"], "e-1");
    let again = app.post(&tenant, "/Groups", &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Chess Club"})).await;
    again.assert_scim_error(409, Some("uniqueness"));
    let view = app
        .roster
        .group_view(tenant.org, "Chess Club")
        .await
        .unwrap();
    assert!(view.group.scim_managed);
}

#[tokio::test]
async fn hand_added_members_survive_every_kind_of_scim_membership_write() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let scim_user = app.create_user(&tenant, "scim@x.org").await;
    let hand = app
        .roster
        .add_account(Some(tenant.org), "hand@x.org", None, None)
        .await
        .unwrap();
    let group = create_group(&app, &tenant, "Drama").await;
    app.roster
        .add_member(tenant.org, "Drama", "hand@x.org")
        .await
        .unwrap();
    let hand_id = hand.id.to_string();
    let path = format!("/Groups/{group}");

    // The validator's replace of members, meant as an add.
    let replace =
        patch(json!([{"op": "replace", "path": "members", "value": [{"value": scim_user}]}]));
    assert_eq!(app.patch(&tenant, &path, &replace).await.status, 204);
    assert_eq!(
        member_ids(&app, &tenant, &group).await,
        sorted(vec![scim_user.clone(), hand_id.clone()])
    );

    let remove_all_listed = patch(
        json!([{"op": "Remove", "path": "members", "value": [{"value": scim_user}, {"value": hand_id}]}]),
    );
    assert_eq!(
        app.patch(&tenant, &path, &remove_all_listed).await.status,
        204
    );
    assert_eq!(
        member_ids(&app, &tenant, &group).await,
        vec![hand_id.clone()]
    );

    let remove_by_filter =
        patch(json!([{"op": "remove", "path": format!("members[value eq \"{hand_id}\"]")}]));
    app.patch(&tenant, &path, &remove_by_filter).await;
    let remove_attribute = patch(json!([{"op": "remove", "path": "members"}]));
    app.patch(&tenant, &path, &remove_attribute).await;
    let put = app.put(&tenant, &path, &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Drama", "members": []})).await;
    assert_eq!(put.status, 200, "{:#}", put.body);
    assert_eq!(
        member_ids(&app, &tenant, &group).await,
        vec![hand_id.clone()]
    );

    let view = app.roster.group_view(tenant.org, "Drama").await.unwrap();
    assert_eq!(view.members.len(), 1);
    assert_eq!(view.members[0].source.as_str(), "manual");
}

#[tokio::test]
async fn adding_an_account_scim_deleted_by_hand_is_refused_and_adds_nothing() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let gone = app.create_user(&tenant, "gone@x.org").await;
    assert_eq!(
        app.delete(&tenant, &format!("/Users/{gone}")).await.status,
        204
    );
    app.roster
        .create_group(tenant.org, "Chess Club")
        .await
        .unwrap();

    let refused = app
        .roster
        .add_member(tenant.org, "Chess Club", "gone@x.org")
        .await
        .unwrap_err();

    assert!(
        matches!(
            refused,
            roster_domain::Error::Conflict(roster_domain::Conflict::State(_))
        ),
        "{refused:?}"
    );
    assert!(
        refused
            .to_string()
            .contains("'gone@x.org' was deleted by SCIM provisioning"),
        "{refused}"
    );
    let view = app
        .roster
        .group_view(tenant.org, "Chess Club")
        .await
        .unwrap();
    assert!(view.members.is_empty(), "{:?}", view.members);
    assert_eq!(view.group.version, 1, "the group was not touched");
}

#[tokio::test]
async fn add_and_remove_of_one_member_in_one_request_ends_without_it() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let a = app.create_user(&tenant, "a@x.org").await;
    let group = create_group(&app, &tenant, "Band").await;
    let both = patch(json!([
        {"op": "add", "path": "members", "value": [{"value": a}]},
        {"op": "remove", "path": format!("members[value eq \"{a}\"]")}
    ]));
    assert_eq!(
        app.patch(&tenant, &format!("/Groups/{group}"), &both)
            .await
            .status,
        204
    );
    assert!(member_ids(&app, &tenant, &group).await.is_empty());
}

#[tokio::test]
async fn members_of_other_organizations_are_skipped_and_logged() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let other = app.tenant(OrgKind::School, 10).await;
    let mine = app.create_user(&tenant, "mine@x.org").await;
    let theirs = app.create_user(&other, "theirs@x.org").await;
    let group = create_group(&app, &tenant, "Team").await;
    let add = patch(
        json!([{"op": "Add", "path": "members", "value": [{"value": mine}, {"value": theirs}, {"value": "not-an-id"}]}]),
    );
    assert_eq!(
        app.patch(&tenant, &format!("/Groups/{group}"), &add)
            .await
            .status,
        204
    );
    assert_eq!(member_ids(&app, &tenant, &group).await, vec![mine]);
    // mine created, the group created, and the PATCH: one entry, which counts and names what it
    // skipped.
    let entries = app.wait_for_log(&tenant, 3).await;
    assert_eq!(entries.len(), 3, "{entries:#?}");
    // Entries are written after the answers, in the background: find the PATCH's by operation.
    let patch_entry = entries
        .iter()
        .find(|e| e.operation == "PATCH /Groups/{id}")
        .unwrap();
    assert_eq!(patch_entry.outcome.as_str(), "skipped");
    assert_eq!(patch_entry.status, 204);
    assert_eq!(
        patch_entry.detail.as_deref(),
        Some(
            format!(
                "2 member values were not added (they are not users of this organization): '{theirs}', 'not-an-id'"
            )
            .as_str()
        )
    );
}

#[tokio::test]
async fn a_flood_of_unknown_member_values_writes_one_log_entry() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let group = create_group(&app, &tenant, "Flood").await;
    let values: Vec<Value> = (0..5_000)
        .map(|i| json!({"value": format!("00000000-0000-4000-8000-{i:012}")}))
        .collect();
    let add = patch(json!([{"op": "Add", "path": "members", "value": values}]));
    assert_eq!(
        app.patch(&tenant, &format!("/Groups/{group}"), &add)
            .await
            .status,
        204
    );
    let entries = app.wait_for_log(&tenant, 2).await;
    assert_eq!(entries.len(), 2, "the group's creation and the PATCH");
    let detail = entries
        .iter()
        .find(|e| e.operation == "PATCH /Groups/{id}")
        .and_then(|e| e.detail.as_deref())
        .unwrap();
    assert!(
        detail.starts_with("5000 member values were not added"),
        "{detail}"
    );
    assert!(detail.ends_with(" and 4990 more"), "{detail}");
}

#[tokio::test]
async fn deleting_a_user_ends_its_scim_memberships_but_deactivation_keeps_them() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let (a, b) = (
        app.create_user(&tenant, "a@x.org").await,
        app.create_user(&tenant, "b@x.org").await,
    );
    let group = create_group(&app, &tenant, "Choir").await;
    app.patch(
        &tenant,
        &format!("/Groups/{group}"),
        &patch(json!([{"op": "Add", "path": "members", "value": [{"value": a}, {"value": b}]}])),
    )
    .await;
    app.patch(
        &tenant,
        &format!("/Users/{a}"),
        &patch(json!([{"op": "Replace", "path": "active", "value": "False"}])),
    )
    .await;
    app.delete(&tenant, &format!("/Users/{b}")).await;
    assert_eq!(member_ids(&app, &tenant, &group).await, vec![a]);
}

#[tokio::test]
async fn fifty_parallel_single_member_adds_and_removes_end_exactly_right() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 100).await;
    let mut users = Vec::new();
    for i in 0..50 {
        users.push(app.create_user(&tenant, &format!("u{i}@x.org")).await);
    }
    let group = create_group(&app, &tenant, "Everyone").await;
    // The first 25 are members to begin with; then, all at once, the first 25 are removed and
    // the last 25 added.
    let initial: Vec<Value> = users[..25].iter().map(|u| json!({"value": u})).collect();
    app.patch(
        &tenant,
        &format!("/Groups/{group}"),
        &patch(json!([{"op": "Add", "path": "members", "value": initial}])),
    )
    .await;
    let mut tasks = Vec::new();
    for (i, user) in users.iter().enumerate() {
        let op = if i < 25 {
            json!([{"op": "Remove", "path": "members", "value": [{"value": user}]}])
        } else {
            json!([{"op": "Add", "path": "members", "value": [{"value": user}]}])
        };
        let (router, uri, token) = (
            app.router.clone(),
            format!("{}/Groups/{group}", tenant.base),
            tenant.token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let request = axum::http::Request::patch(uri)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/scim+json")
                .body(axum::body::Body::from(patch(op).to_string()))
                .unwrap();
            router.oneshot(request).await.unwrap().status().as_u16()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 204);
    }
    assert_eq!(
        member_ids(&app, &tenant, &group).await,
        sorted(users[25..].to_vec())
    );
}

#[tokio::test]
async fn members_are_listed_with_value_ref_and_type_and_follow_the_projection() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let a = app.create_user(&tenant, "a@x.org").await;
    let group = create_group(&app, &tenant, "Chem").await;
    app.patch(
        &tenant,
        &format!("/Groups/{group}"),
        &patch(json!([{"op": "add", "path": "members", "value": [{"value": a}]}])),
    )
    .await;
    let full = app.scim_get(&tenant, &format!("/Groups/{group}")).await;
    assert_eq!(
        full.body["members"],
        json!([{"value": a, "$ref": format!("https://roster.test{}/Users/{a}", tenant.base), "type": "User"}])
    );
    assert_eq!(
        full.headers["etag"],
        full.body["meta"]["version"].as_str().unwrap()
    );
    let values = app
        .scim_get(
            &tenant,
            &format!("/Groups/{group}?attributes=members.value"),
        )
        .await;
    assert_eq!(values.body["members"], json!([{"value": a}]));
    assert!(values.body.get("displayName").is_none());
    let listed = app
        .scim_get(&tenant, "/Groups?attributes=displayName")
        .await;
    assert_eq!(listed.body["Resources"][0]["displayName"], "Chem");
    assert!(listed.body["Resources"][0].get("members").is_none());
}

/// A GET with `If-None-Match`.
async fn get_if_none_match(app: &TestApp, tenant: &Tenant, path: &str, tags: &str) -> TestResponse {
    let request = axum::http::Request::get(format!("{}{path}", tenant.base))
        .header("authorization", format!("Bearer {}", tenant.token))
        .header("if-none-match", tags)
        .body(axum::body::Body::empty())
        .unwrap();
    app.send(request).await
}

#[tokio::test]
async fn get_group_with_the_current_etag_is_304_and_a_stale_one_gets_the_group() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let group = create_group(&app, &tenant, "Drama").await;
    let path = format!("/Groups/{group}");
    let first = app.scim_get(&tenant, &path).await;
    let v1 = first.headers["etag"].to_str().unwrap().to_owned();
    assert!(v1.starts_with("W/\""), "{v1}");

    let unchanged = get_if_none_match(&app, &tenant, &path, &v1).await;
    assert_eq!(unchanged.status, 304);
    assert_eq!(unchanged.headers["etag"], v1.as_str());
    assert_eq!(unchanged.body, Value::Null, "a 304 has no body");
    assert_eq!(
        get_if_none_match(&app, &tenant, &path, "*").await.status,
        304
    );

    let a = app.create_user(&tenant, "a@x.org").await;
    let add = patch(json!([{"op": "add", "path": "members", "value": [{"value": a}]}]));
    assert_eq!(app.patch(&tenant, &path, &add).await.status, 204);
    let changed = get_if_none_match(&app, &tenant, &path, &v1).await;
    assert_eq!(changed.status, 200, "{:#}", changed.body);
    assert_ne!(changed.headers["etag"], v1.as_str());
    assert_eq!(changed.body["members"][0]["value"], a.as_str());

    // Conditional GETs are reads: nothing of them reaches the provisioning log.
    let entries = app.wait_for_log(&tenant, 2).await;
    assert!(
        entries.iter().all(|e| !e.operation.starts_with("GET")),
        "{entries:#?}"
    );
}

#[tokio::test]
async fn if_none_match_lists_compare_weakly_with_the_current_version() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let group = create_group(&app, &tenant, "Art").await;
    let user = app.create_user(&tenant, "art@x.org").await;
    for path in [format!("/Groups/{group}"), format!("/Users/{user}")] {
        let current = app.scim_get(&tenant, &path).await.headers["etag"]
            .to_str()
            .unwrap()
            .to_owned();
        let opaque = current.trim_start_matches("W/");
        for (tags, status) in [
            // The weak comparison ignores `W/`: the strong form of the current tag matches.
            (opaque.to_owned(), 304),
            (format!(r#"W/"999", {current}"#), 304),
            (format!(r#""999",{opaque}"#), 304),
            (format!(r#"W/"999", "x,y" , {opaque}"#), 304),
            (r#"W/"999", "998""#.to_owned(), 200),
            (format!("W/{}", opaque.replace('"', "'")), 200),
        ] {
            let response = get_if_none_match(&app, &tenant, &path, &tags).await;
            assert_eq!(response.status, status, "{path} If-None-Match: {tags}");
            assert_eq!(response.headers["etag"], current.as_str());
        }
    }
}

#[tokio::test]
async fn if_match_uses_the_same_matcher_on_groups() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let group = create_group(&app, &tenant, "Chess").await;
    let path = format!("/Groups/{group}");
    let current = app.scim_get(&tenant, &path).await.headers["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let rename = |name: &str, tags: &str| {
        axum::http::Request::patch(format!("{}{path}", tenant.base))
            .header("authorization", format!("Bearer {}", tenant.token))
            .header("content-type", "application/scim+json")
            .header("if-match", tags)
            .body(axum::body::Body::from(
                patch(json!([{"op": "replace", "path": "displayName", "value": name}])).to_string(),
            ))
            .unwrap()
    };
    app.send(rename("Go", r#"W/"999""#))
        .await
        .assert_scim_error(412, None);
    let list = format!(r#"W/"999", {}"#, current.trim_start_matches("W/"));
    assert_eq!(app.send(rename("Go", &list)).await.status, 204);
    assert_eq!(app.send(rename("Shogi", "*")).await.status, 204);
    assert_eq!(
        app.scim_get(&tenant, &path).await.body["displayName"],
        "Shogi"
    );
}

#[tokio::test]
async fn groups_sort_in_the_database_and_unindexed_filters_are_bounded() {
    let app = TestApp::with_candidate_limit(3).await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    for name in ["chess", "Art", "biology", "Drama"] {
        create_group(&app, &tenant, name).await;
    }
    let names = |response: &crate::support::TestResponse| -> Vec<String> {
        assert_eq!(response.status, 200, "{:#}", response.body);
        response.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["displayName"].as_str().unwrap().to_owned())
            .collect()
    };
    let second = app
        .scim_get(&tenant, "/Groups?sortBy=displayName&startIndex=2&count=2")
        .await;
    assert_eq!(second.body["totalResults"], 4);
    assert_eq!(names(&second), ["biology", "chess"]);
    let last = app
        .scim_get(
            &tenant,
            "/Groups?sortBy=externalId&sortOrder=descending&count=1",
        )
        .await;
    assert_eq!(names(&last), ["chess"]);
    // Four candidates for a test on an attribute without a column: more than the bound of 3.
    let refused = app
        .scim_get(&tenant, "/Groups?filter=meta.resourceType+eq+%22Group%22")
        .await;
    refused.assert_scim_error(400, Some("tooMany"));
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("more than 3 groups") && detail.contains("displayName"),
        "{detail}"
    );
    let narrowed = app
        .scim_get(
            &tenant,
            "/Groups?filter=meta.resourceType+eq+%22Group%22+and+displayName+lt+%22d%22&sortBy=displayName",
        )
        .await;
    assert_eq!(names(&narrowed), ["Art", "biology", "chess"]);
    // A `members` value filter reads the members of each candidate; they count too.
    let art = app
        .scim_get(&tenant, "/Groups?filter=displayName+eq+%22Art%22")
        .await;
    let art = art.body["Resources"][0]["id"].as_str().unwrap().to_owned();
    let mut users = Vec::new();
    for name in ["m1", "m2", "m3"] {
        users.push(json!({"value": app.create_user(&tenant, name).await}));
    }
    let added = app
        .patch(
            &tenant,
            &format!("/Groups/{art}"),
            &patch(json!([{"op": "add", "path": "members", "value": users}])),
        )
        .await;
    assert_eq!(added.status.as_u16() / 100, 2, "{:#}", added.body);
    let value_filter = "members%5Bvalue+pr%5D+and+displayName+eq+%22Art%22";
    let over = app
        .scim_get(&tenant, &format!("/Groups?filter={value_filter}"))
        .await;
    over.assert_scim_error(400, Some("tooMany"));
    let one_member = app
        .scim_get(
            &tenant,
            "/Groups?filter=members%5Bvalue+pr%5D+and+displayName+eq+%22biology%22",
        )
        .await;
    assert_eq!(one_member.body["totalResults"], 0, "{:#}", one_member.body);
}

#[tokio::test]
async fn a_list_page_carries_a_bounded_number_of_members_and_goes_on_from_where_it_stopped() {
    let app = TestApp::with_list_members_budget(3).await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let mut users = Vec::new();
    for name in ["u1", "u2", "u3", "u4", "u5"] {
        users.push(json!({"value": app.create_user(&tenant, name).await}));
    }
    for (name, members) in [
        ("A", &users[0..2]),
        ("B", &users[2..4]),
        ("C", &users[4..5]),
    ] {
        let group = create_group(&app, &tenant, name).await;
        let add = patch(json!([{"op": "add", "path": "members", "value": members}]));
        assert_eq!(
            app.patch(&tenant, &format!("/Groups/{group}"), &add)
                .await
                .status,
            204
        );
    }
    // A (2 members) fits the budget of 3; B (2 more) would not: the page stops after A.
    let first = app.scim_get(&tenant, "/Groups?sortBy=displayName").await;
    assert_eq!(first.body["totalResults"], 3);
    assert_eq!(first.body["itemsPerPage"], 1);
    assert_eq!(first.body["Resources"][0]["displayName"], "A");
    assert_eq!(
        first.body["Resources"][0]["members"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The client goes on from where the page ended: B and C fit together.
    let rest = app
        .scim_get(&tenant, "/Groups?sortBy=displayName&startIndex=2")
        .await;
    assert_eq!(rest.body["itemsPerPage"], 2);
    assert_eq!(rest.body["Resources"][1]["displayName"], "C");
    // Without members, the budget does not apply.
    let bare = app
        .scim_get(&tenant, "/Groups?excludedAttributes=members")
        .await;
    assert_eq!(bare.body["itemsPerPage"], 3);
    // A group larger than the budget still comes whole, alone, first on its page.
    let everyone = create_group(&app, &tenant, "Everyone").await;
    let add = patch(json!([{"op": "add", "path": "members", "value": users}]));
    app.patch(&tenant, &format!("/Groups/{everyone}"), &add)
        .await;
    let big = app
        .scim_get(&tenant, "/Groups?filter=displayName+eq+%22Everyone%22")
        .await;
    assert_eq!(
        big.body["Resources"][0]["members"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

/// Each successful write is in the log once, as answered (its entry is stored with the write):
/// a group PATCH answers 204, or 200 when attributes are asked for; a PATCH that changes nothing
/// writes nothing but is still logged.
#[tokio::test]
async fn every_successful_write_is_logged_once_with_the_status_it_answered() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let user = app.create_user(&tenant, "ada@x.org").await;
    let group = create_group(&app, &tenant, "Staff").await;
    let add = patch(json!([{"op": "add", "path": "members", "value": [{"value": user}]}]));
    let path = format!("/Groups/{group}");
    assert_eq!(app.patch(&tenant, &path, &add).await.status, 204);
    let remove = patch(json!([{"op": "remove", "path": "members", "value": [{"value": user}]}]));
    let with_attributes = format!("{path}?attributes=displayName");
    assert_eq!(
        app.patch(&tenant, &with_attributes, &remove).await.status,
        200
    );
    let nothing = json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": "Staff"}]});
    assert_eq!(app.patch(&tenant, &path, &nothing).await.status, 204);
    assert_eq!(app.delete(&tenant, &path).await.status, 204);
    assert_eq!(
        app.delete(&tenant, &format!("/Users/{user}")).await.status,
        204
    );
    let entries = app.wait_for_log(&tenant, 7).await;
    let logged: Vec<(String, u16, Option<&str>, Option<&str>)> = entries
        .iter()
        .rev()
        .map(|e| {
            (
                e.operation.clone(),
                e.status,
                e.resource_id.as_deref(),
                e.outcome.as_str().into(),
            )
        })
        .collect();
    let (user, group) = (Some(user.as_str()), Some(group.as_str()));
    let success = Some("success");
    assert_eq!(
        logged,
        [
            ("POST /Users".to_owned(), 201, user, success),
            ("POST /Groups".to_owned(), 201, group, success),
            ("PATCH /Groups/{id}".to_owned(), 204, group, success),
            ("PATCH /Groups/{id}".to_owned(), 200, group, success),
            ("PATCH /Groups/{id}".to_owned(), 204, group, success),
            ("DELETE /Groups/{id}".to_owned(), 204, group, success),
            ("DELETE /Users/{id}".to_owned(), 204, user, success),
        ]
    );
    assert_eq!(entries[1].name.as_deref(), Some("Staff"));
    assert_eq!(entries[0].name.as_deref(), Some("ada@x.org"));
}
