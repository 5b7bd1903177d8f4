//! Organizations: exact round trips, listing order, updates, seats in use.

use std::sync::Arc;

use roster_domain::{MemberSource, OrgId, OrgKind, OrgScope, Store};

use crate::support::{
    add, at, change, deactivate, expect_unique, group, insert, member, new_account, new_org, org,
};

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

/// The read API's keyset pages: organizations and an account's groups in id order, each row
/// exactly once across pages, nothing of another account or organization.
pub async fn orgs_and_an_accounts_groups_page_by_id(store: Arc<dyn Store>) {
    let mut orgs = Vec::new();
    for i in 0..5 {
        orgs.push(org(&store, 10 + i).await);
    }
    let mut ids: Vec<OrgId> = orgs.iter().map(|(o, _)| o.id).collect();
    ids.sort();
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = store.orgs_page(after, 2).await.unwrap();
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        paged.extend(page.iter().map(|o| o.id));
    }
    assert_eq!(paged, ids);
    assert_eq!(
        store.orgs_page(None, 1).await.unwrap(),
        vec![store.org(ids[0]).await.unwrap().unwrap()]
    );

    let (a, scope) = (orgs[0].0.clone(), orgs[0].1);
    let (b, b_scope) = (orgs[1].0.clone(), orgs[1].1);
    let ada = member(&store, a.id, "ada").await;
    let bob = member(&store, a.id, "bob").await;
    let eve = member(&store, b.id, "eve").await;
    let mut ada_groups = Vec::new();
    for name in ["Zeta", "Alpha", "Mid", "Beta"] {
        let g = group(&store, scope, name).await;
        change(&store, scope, &g, add(MemberSource::Scim, &[ada.id])).await;
        ada_groups.push((g.id, name.to_owned()));
    }
    let other = group(&store, scope, "Bob only").await;
    change(&store, scope, &other, add(MemberSource::Scim, &[bob.id])).await;
    let b_group = group(&store, b_scope, "B").await;
    change(
        &store,
        b_scope,
        &b_group,
        add(MemberSource::Scim, &[eve.id]),
    )
    .await;
    ada_groups.sort();

    let first = store
        .account_groups_page(scope, ada.id, None, 3)
        .await
        .unwrap();
    assert_eq!(first, ada_groups[..3]);
    let rest = store
        .account_groups_page(scope, ada.id, Some(first[2].0), 3)
        .await
        .unwrap();
    assert_eq!(rest, ada_groups[3..]);
    assert_eq!(
        store
            .account_groups_page(b_scope, ada.id, None, 10)
            .await
            .unwrap(),
        [],
        "read in another organization, the account is in no group"
    );
}
