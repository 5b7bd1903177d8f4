//! The provisioning log: exact round trips, newest first, trimming by age and by count.

use std::sync::Arc;

use roster_domain::{LogEntry, OrgId, Outcome, Store};

use crate::support::{at, org};

fn entry(org: OrgId, seconds: i64, operation: &str) -> LogEntry {
    LogEntry {
        org_id: org,
        at: at(seconds),
        operation: operation.to_owned(),
        resource_type: "User".into(),
        resource_id: None,
        name: None,
        outcome: Outcome::Success,
        status: 200,
        detail: None,
        duration_ms: 3,
        client_request_id: None,
    }
}

async fn operations(store: &Arc<dyn Store>, org: OrgId, limit: u32) -> Vec<String> {
    store
        .log_entries(roster_domain::OrgScope::trusted(org), limit)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.operation)
        .collect()
}

pub async fn log_round_trips_and_lists_newest_first(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 1).await;
    let (other, _) = crate::support::org(&store, 1).await;
    let full = LogEntry {
        org_id: org.id,
        at: at(5),
        operation: "PATCH /Groups/{id}".into(),
        resource_type: "Group".into(),
        resource_id: Some("0b8f0d1e-5a52-4a4e-9d5e-0c6a1c7b2f11".into()),
        name: Some("Year 7 — Maths".into()),
        outcome: Outcome::Skipped,
        status: 409,
        detail: Some("member 'x' is not an account of this organization".into()),
        duration_ms: u64::from(u32::MAX) + 7,
        client_request_id: Some("c0ffee".into()),
    };
    store.append_log(&entry(org.id, 1, "first")).await.unwrap();
    store.append_log(&full).await.unwrap();
    store
        .append_log(&entry(org.id, 3, "third by time"))
        .await
        .unwrap();
    // Two entries at the same instant: the later append is the newer.
    store
        .append_log(&entry(org.id, 9, "tie, appended first"))
        .await
        .unwrap();
    store
        .append_log(&entry(org.id, 9, "tie, appended second"))
        .await
        .unwrap();
    let mut failure = entry(other.id, 7, "elsewhere");
    failure.outcome = Outcome::Failure;
    failure.status = 500;
    store.append_log(&failure).await.unwrap();

    assert_eq!(
        operations(&store, org.id, 100).await,
        [
            "tie, appended second",
            "tie, appended first",
            "PATCH /Groups/{id}",
            "third by time",
            "first"
        ]
    );
    assert_eq!(
        operations(&store, org.id, 2).await,
        ["tie, appended second", "tie, appended first"]
    );
    assert_eq!(operations(&store, org.id, 0).await, Vec::<String>::new());
    let listed = store.log_entries(scope, 3).await.unwrap();
    assert_eq!(listed[2], full);
    let theirs = store
        .log_entries(roster_domain::OrgScope::trusted(other.id), 10)
        .await
        .unwrap();
    assert_eq!(theirs, vec![failure]);
}

pub async fn trim_removes_entries_by_age_only(store: Arc<dyn Store>) {
    let (a, _) = org(&store, 1).await;
    let (b, _) = crate::support::org(&store, 1).await;
    for i in 0..10 {
        store
            .append_log(&entry(a.id, i, &format!("a{i}")))
            .await
            .unwrap();
    }
    for i in 5..8 {
        store
            .append_log(&entry(b.id, i, &format!("b{i}")))
            .await
            .unwrap();
    }
    // Strictly older than `before`: the entry at exactly at(3) stays.
    assert_eq!(store.trim_log(at(3)).await.unwrap(), 3);
    assert_eq!(
        operations(&store, a.id, 100)
            .await
            .last()
            .map(String::as_str),
        Some("a3")
    );
    // By age only: however many entries an organization has, the recent ones all stay.
    assert_eq!(store.trim_log(at(3)).await.unwrap(), 0);
    assert_eq!(operations(&store, b.id, 100).await, ["b7", "b6", "b5"]);
    assert_eq!(store.trim_log(at(7)).await.unwrap(), 6);
    assert_eq!(operations(&store, a.id, 100).await, ["a9", "a8", "a7"]);
    assert_eq!(operations(&store, b.id, 100).await, ["b7"]);
    assert_eq!(store.trim_log(at(100)).await.unwrap(), 4);
    assert_eq!(operations(&store, a.id, 100).await, Vec::<String>::new());
}
