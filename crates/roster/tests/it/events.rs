//! The change feed over HTTP (SPEC §7): `GET /api/v1/events` with an API key.

use std::collections::HashSet;

use roster_domain::OrgKind;
use serde_json::Value;
use time::Duration;

use crate::support::{TestApp, TestResponse};

async fn feed(app: &TestApp, key: &str, query: &str) -> TestResponse {
    app.get(&format!("/api/v1/events{query}"), Some(key)).await
}

/// Every event `query` selects, read page by page with the returned cursor, once at least
/// `count` are readable (PostgreSQL shows a transaction once none older is still running).
async fn read_all(app: &TestApp, key: &str, query: &str, count: usize) -> (Vec<Value>, String) {
    for _ in 0..1_500 {
        let mut events = Vec::new();
        let mut next = String::new();
        let mut pages = 0;
        loop {
            let sep = if query.is_empty() { "?" } else { "&" };
            let cursor = if next.is_empty() {
                String::new()
            } else {
                format!("{sep}after={next}")
            };
            let page = feed(app, key, &format!("{query}{cursor}")).await;
            assert_eq!(page.status, 200, "{:#}", page.body);
            assert_eq!(page.content_type(), "application/json");
            let got = page.body["events"].as_array().unwrap().clone();
            next = page.body["next"].as_str().unwrap().to_owned();
            pages += 1;
            if got.is_empty() {
                break;
            }
            events.extend(got);
            assert!(pages < 1_000, "the feed ends");
        }
        if events.len() >= count {
            return (events, next);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the feed never showed {count} events");
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn the_feed_returns_every_event_once_in_order_across_pages_and_filters() {
    let app = TestApp::new().await;
    let a = app.tenant(OrgKind::School, 100).await;
    let b = app.tenant(OrgKind::School, 100).await;
    let key = app
        .roster
        .create_api_key("content", None)
        .await
        .unwrap()
        .key;
    let mut created = Vec::new();
    for i in 0..23 {
        created.push(app.create_user(&a, &format!("a{i}@example.edu")).await);
        if i % 4 == 0 {
            app.create_user(&b, &format!("b{i}@example.edu")).await;
        }
    }
    // 2 × org.scim_enabled, 23 + 6 accounts.
    let (events, next) = read_all(&app, &key, "?limit=7", 31).await;
    assert_eq!(events.len(), 31);
    let ids: HashSet<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 31, "each event exactly once");
    assert_eq!(
        &types(&events)[..2],
        ["org.scim_enabled", "org.scim_enabled"]
    );
    let a_created: Vec<&str> = events
        .iter()
        .filter(|e| e["org"] == a.org.to_string() && e["type"] == "account.created")
        .map(|e| e["account_id"].as_str().unwrap())
        .collect();
    assert_eq!(a_created, created, "in commit order");
    let first = events
        .iter()
        .find(|e| e["type"] == "account.created")
        .unwrap();
    assert_eq!(first["source"], "scim");
    assert!(first["actor"].as_str().unwrap().starts_with("token:"));
    assert_eq!(first["data"]["account"]["userName"], "a0@example.edu");
    assert_eq!(first["data"]["account"]["role"], "student");
    assert_eq!(first["data"]["account"]["scim_managed"], true);
    assert_eq!(first["occurred_at"], "2026-01-05T09:00:00Z");
    // Read to the end, the cursor stays put until something new happens.
    let again = feed(&app, &key, &format!("?after={next}")).await;
    assert_eq!(again.body["events"], serde_json::json!([]));
    assert_eq!(again.body["next"], next.as_str());

    let (only_b, _) = read_all(&app, &key, &format!("?org={}&limit=2", b.org), 7).await;
    assert_eq!(only_b.len(), 7);
    assert!(only_b.iter().all(|e| e["org"] == b.org.to_string()));
    let (created_only, _) = read_all(&app, &key, "?types=account.created,group.created", 29).await;
    assert_eq!(created_only.len(), 29);
    assert!(types(&created_only).iter().all(|t| *t == "account.created"));

    // A filter that matches nothing still moves the cursor to the end.
    let none = feed(&app, &key, "?types=group.deleted").await;
    assert_eq!(none.body["events"], serde_json::json!([]));
    assert_eq!(none.body["next"], next.as_str());

    for bad in [
        "?limit=0",
        "?limit=1001",
        "?limit=x",
        "?types=account.exploded",
        "?after=nope",
    ] {
        let refused = feed(&app, &key, bad).await;
        assert_eq!(refused.status, 400, "{bad}: {:#}", refused.body);
        assert_eq!(refused.body["error"], "invalid");
    }
}

#[tokio::test]
async fn a_cursor_older_than_retention_is_gone_with_a_resync_hint() {
    let app = TestApp::new().await;
    let a = app.tenant(OrgKind::School, 10).await;
    let key = app
        .roster
        .create_api_key("content", None)
        .await
        .unwrap()
        .key;
    let (events, _) = read_all(&app, &key, "", 1).await;
    let old = events[0]["id"].as_str().unwrap().to_owned();
    app.clock.advance(Duration::days(31));
    app.create_user(&a, "fresh@example.edu").await;
    assert_eq!(app.roster.trim_events(30).await.unwrap(), 1);

    // The cursor of the trimmed event itself missed nothing: it reads on.
    let mut rest = Vec::new();
    for _ in 0..1_500 {
        let page = feed(&app, &key, &format!("?after={old}")).await;
        assert_eq!(page.status, 200, "{:#}", page.body);
        rest = page.body["events"].as_array().unwrap().clone();
        if !rest.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(types(&rest), ["account.created"]);
    // A cursor from before it missed that event.
    let start = roster_domain::FeedCursor(roster_domain::EventPosition { xid: 0, id: 0 }).encode();
    let gone = feed(&app, &key, &format!("?after={start}")).await;
    assert_eq!(gone.status, 410, "{:#}", gone.body);
    assert_eq!(gone.content_type(), "application/json");
    assert_eq!(gone.body["error"], "cursor_expired");
    assert!(
        gone.body["detail"]
            .as_str()
            .unwrap()
            .contains("Resynchronise")
    );
    // Without a cursor: from the oldest retained.
    let (fresh, _) = read_all(&app, &key, "", 1).await;
    assert_eq!(fresh.len(), 1);
}

#[tokio::test]
async fn keys_are_checked_and_an_organization_key_reads_its_organization_only() {
    let app = TestApp::new().await;
    let a = app.tenant(OrgKind::School, 10).await;
    let b = app.tenant(OrgKind::School, 10).await;
    app.create_user(&a, "ada@example.edu").await;
    app.create_user(&b, "bob@example.edu").await;
    let own = app
        .roster
        .create_api_key("a only", Some(a.org))
        .await
        .unwrap();

    for presented in [None, Some("roster_key_wrong"), Some(a.token.as_str())] {
        let refused = app.get("/api/v1/events", presented).await;
        assert_eq!(refused.status, 401, "{presented:?}");
        assert_eq!(refused.content_type(), "application/json");
        assert_eq!(refused.body["error"], "unauthorized");
        assert_eq!(refused.headers["www-authenticate"], "Bearer");
    }

    let (events, _) = read_all(&app, &own.key, "", 2).await;
    assert_eq!(types(&events), ["org.scim_enabled", "account.created"]);
    assert!(events.iter().all(|e| e["org"] == a.org.to_string()));
    let (same, _) = read_all(&app, &own.key, &format!("?org={}", a.org), 2).await;
    assert_eq!(same, events);
    let other = feed(&app, &own.key, &format!("?org={}", b.org)).await;
    assert_eq!(other.status, 404, "{:#}", other.body);
    assert_eq!(other.body["error"], "not_found");

    app.roster
        .revoke_api_key(&own.id.to_string())
        .await
        .unwrap();
    let revoked = feed(&app, &own.key, "").await;
    assert_eq!(revoked.status, 401);
    let listed = app.roster.api_keys().await.unwrap();
    assert!(listed[0].revoked_at.is_some());
    assert!(listed[0].last_used_at.is_some(), "its use was recorded");
}
