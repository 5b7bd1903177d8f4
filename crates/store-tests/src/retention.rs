//! Retention (SPEC §2.6): deactivated accounts purged strictly before the cutoff, with their
//! memberships; a dry run only lists them; concurrent purges delete each account once.

use std::{collections::HashSet, sync::Arc};

use roster_domain::{Account, AccountId, MemberSource, OrgId, Store};
use tokio::task::JoinSet;

use crate::support::{
    add, at, change, group, insert, member, members, new_account, org, stored_account, update,
};

async fn deactivated(
    store: &Arc<dyn Store>,
    org: Option<OrgId>,
    name: &str,
    seconds: i64,
) -> Account {
    let mut account = new_account(org, name);
    account.active = false;
    account.deactivated_at = Some(at(seconds));
    insert(store, account).await
}

fn id_set(accounts: &[Account]) -> HashSet<AccountId> {
    accounts.iter().map(|a| a.id).collect()
}

pub async fn purge_dry_run_lists_without_deleting(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let old = deactivated(&store, Some(org.id), "old", -100).await;
    let older = deactivated(&store, Some(org.id), "older", -200).await;
    deactivated(&store, Some(org.id), "recent", 10).await;
    member(&store, org.id, "active").await;
    let listed = store
        .purge_deactivated(
            scope,
            at(0),
            true,
            &roster_domain::Change::retention(),
            time::OffsetDateTime::UNIX_EPOCH,
        )
        .await
        .unwrap();
    assert_eq!(id_set(&listed), id_set(&[old.clone(), older.clone()]));
    assert!(listed.contains(&old) && listed.contains(&older));
    assert_eq!(stored_account(&store, old.id, "old").await, Some(old));
    assert_eq!(stored_account(&store, older.id, "older").await, Some(older));
    assert_eq!(
        store
            .purge_deactivated(
                scope,
                at(0),
                true,
                &roster_domain::Change::retention(),
                time::OffsetDateTime::UNIX_EPOCH
            )
            .await
            .unwrap()
            .len(),
        2
    );
}

pub async fn purge_is_strictly_before_and_removes_memberships(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let (other, other_scope) = crate::support::org(&store, 10).await;
    let old = deactivated(&store, Some(org.id), "old", -100).await;
    let edge = deactivated(&store, Some(org.id), "edge", 0).await;
    let recent = deactivated(&store, Some(org.id), "recent", 10).await;
    let active = member(&store, org.id, "active").await;
    let theirs = deactivated(&store, Some(other.id), "theirs", -100).await;
    let loner = deactivated(&store, None, "loner", -100).await;
    let mut gone = member(&store, org.id, "gone").await;
    gone.active = false;
    gone.deactivated_at = Some(at(-50));
    gone.scim_deleted = true;
    let gone = update(&store, gone).await;
    let g = group(&store, scope, "G").await;
    change(
        &store,
        scope,
        &g,
        add(MemberSource::Scim, &[old.id, edge.id, active.id]),
    )
    .await;
    change(&store, scope, &g, add(MemberSource::Manual, &[gone.id])).await;

    let purged = store
        .purge_deactivated(
            scope,
            at(0),
            false,
            &roster_domain::Change::retention(),
            time::OffsetDateTime::UNIX_EPOCH,
        )
        .await
        .unwrap();
    assert_eq!(id_set(&purged), id_set(&[old.clone(), gone.clone()]));
    assert!(
        purged.contains(&old),
        "purge returns the accounts as they were"
    );
    for account in [&old, &gone] {
        assert_eq!(
            stored_account(&store, account.id, &account.user_name).await,
            None
        );
    }
    assert_eq!(store.account_by_user_name("old").await.unwrap(), None);
    for kept in [&edge, &recent, &active, &theirs, &loner] {
        assert!(
            stored_account(&store, kept.id, &kept.user_name)
                .await
                .is_some(),
            "{} was purged",
            kept.user_name
        );
    }
    assert_eq!(
        members(&store, scope, g.id).await,
        crate::support::sorted(vec![
            (edge.id, MemberSource::Scim),
            (active.id, MemberSource::Scim)
        ])
    );
    assert_eq!(
        store
            .purge_deactivated(
                scope,
                at(0),
                false,
                &roster_domain::Change::retention(),
                time::OffsetDateTime::UNIX_EPOCH
            )
            .await
            .unwrap(),
        vec![]
    );
    assert_eq!(
        store
            .purge_deactivated(
                other_scope,
                at(-100),
                false,
                &roster_domain::Change::retention(),
                time::OffsetDateTime::UNIX_EPOCH
            )
            .await
            .unwrap(),
        vec![]
    );
    // The userName is free again.
    member(&store, org.id, "old").await;
}

pub async fn concurrent_purges_delete_each_account_once(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let g = group(&store, scope, "G").await;
    let mut doomed = Vec::new();
    for i in 0..12 {
        doomed.push(deactivated(&store, Some(org.id), &format!("d{i}"), -10).await);
    }
    change(
        &store,
        scope,
        &g,
        add(MemberSource::Scim, &crate::support::ids(&doomed)),
    )
    .await;
    let mut tasks = JoinSet::new();
    for _ in 0..4 {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            store
                .purge_deactivated(
                    scope,
                    at(0),
                    false,
                    &roster_domain::Change::retention(),
                    time::OffsetDateTime::UNIX_EPOCH,
                )
                .await
        });
    }
    let mut purged = Vec::new();
    while let Some(result) = tasks.join_next().await {
        purged.extend(result.unwrap().unwrap());
    }
    assert_eq!(
        purged.len(),
        12,
        "each account is reported by exactly one purge"
    );
    assert_eq!(id_set(&purged), id_set(&doomed));
    assert_eq!(store.group_members(scope, g.id).await.unwrap(), vec![]);
}

/// The retention lock keeps the job on one holder at a time; it is free again at once when
/// released (so back-to-back runs are not skipped), and eventually when dropped.
pub async fn retention_lock_has_one_holder_at_a_time(store: Arc<dyn Store>) {
    let Some(first) = store.try_lock_retention().await.unwrap() else {
        panic!("nobody holds it yet");
    };
    assert!(
        store.try_lock_retention().await.unwrap().is_none(),
        "a second holder while the first holds it"
    );
    first.release().await.unwrap();
    let second = store.try_lock_retention().await.unwrap();
    assert!(second.is_some(), "the lock is free at once when released");
    assert!(
        store.try_lock_retention().await.unwrap().is_none(),
        "a second holder while the next one holds it"
    );
    drop(second);
    let mut again = None;
    // PostgreSQL releases a dropped lock when its session closes, which may take a moment.
    for _ in 0..100 {
        again = store.try_lock_retention().await.unwrap();
        if again.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(again.is_some(), "the lock is free once dropped");
}
