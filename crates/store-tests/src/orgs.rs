//! Organizations: exact round trips, listing order, updates, seats in use.

use std::sync::Arc;

use roster_domain::{OrgId, OrgKind, OrgScope, Store};

use crate::support::{at, deactivate, expect_unique, insert, member, new_account, new_org, org};

pub async fn orgs_round_trip_exactly_and_list_oldest_first(store: Arc<dyn Store>) {
    let mut late = new_org(10, at(30));
    late.kind = OrgKind::Business;
    late.retention_days = Some(30);
    let early = new_org(0, at(-30));
    store.insert_org(&late).await.unwrap();
    store.insert_org(&early).await.unwrap();
    assert_eq!(store.org(late.id).await.unwrap(), Some(late.clone()));
    assert_eq!(store.org(early.id).await.unwrap(), Some(early.clone()));
    assert_eq!(store.org(OrgId::new_random()).await.unwrap(), None);
    assert_eq!(
        store.orgs().await.unwrap(),
        vec![early.clone(), late.clone()]
    );

    let mut updated = late.clone();
    updated.name = "Renamed Ltd".into();
    updated.seats = 250;
    updated.retention_days = None;
    updated.updated_at = at(31);
    store.update_org(&updated, &[]).await.unwrap();
    assert_eq!(store.org(late.id).await.unwrap(), Some(updated.clone()));

    updated.retention_days = Some(36_500);
    store.update_org(&updated, &[]).await.unwrap();
    assert_eq!(store.org(late.id).await.unwrap(), Some(updated));
}

pub async fn inserting_an_existing_org_id_is_a_unique_violation(store: Arc<dyn Store>) {
    let (org, _) = org(&store, 3).await;
    let mut again = new_org(5, at(5));
    again.id = org.id;
    expect_unique(store.insert_org(&again).await, "inserting an org id twice");
    assert_eq!(store.org(org.id).await.unwrap(), Some(org));
}

pub async fn seats_used_counts_active_accounts_of_the_org_only(store: Arc<dyn Store>) {
    let (a, scope_a) = org(&store, 10).await;
    let (b, scope_b) = org(&store, 10).await;
    assert_eq!(store.seats_used(scope_a).await.unwrap(), 0);
    member(&store, a.id, "one").await;
    let two = member(&store, a.id, "two").await;
    member(&store, b.id, "three").await;
    insert(&store, new_account(None, "independent")).await;
    let mut inactive = new_account(Some(a.id), "inactive");
    inactive.active = false;
    inactive.deactivated_at = Some(at(1));
    insert(&store, inactive).await;
    assert_eq!(store.seats_used(scope_a).await.unwrap(), 2);
    assert_eq!(store.seats_used(scope_b).await.unwrap(), 1);
    deactivate(&store, &two, at(9)).await;
    assert_eq!(store.seats_used(scope_a).await.unwrap(), 1);
    let unknown = OrgScope::trusted(OrgId::new_random());
    assert_eq!(store.seats_used(unknown).await.unwrap(), 0);
}
