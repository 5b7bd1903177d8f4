//! The seat limit (SPEC §2.2): checked in the same transaction as the write that takes the seat,
//! refused with the exact figures, nothing written, and never exceeded under concurrency.

use std::sync::Arc;

use roster_domain::{AccountWrite, Store, StoreError};
use tokio::task::JoinSet;

use crate::support::{
    accounts, at, deactivate, expect_seat_limit, insert, member, new_account, org, stored_account,
};

pub async fn seat_limit_refuses_with_exact_counts_and_writes_nothing(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 2).await;
    member(&store, org.id, "one").await;
    member(&store, org.id, "two").await;
    let third = new_account(Some(org.id), "three");
    let result = store
        .write_account(AccountWrite {
            account: third.clone(),
            expected_version: None,
            takes_seat: true,
            end_scim_memberships: false,
            change: roster_domain::Change::cli(),
        })
        .await;
    expect_seat_limit(result, 2, 2);
    assert_eq!(stored_account(&store, third.id, "three").await, None);
    assert_eq!(store.account_by_user_name("three").await.unwrap(), None);
    assert_eq!(store.seats_used(scope).await.unwrap(), 2);

    // An organization with no seats refuses the first one.
    let (empty, _) = crate::support::org(&store, 0).await;
    let result = store
        .write_account(AccountWrite {
            account: new_account(Some(empty.id), "nobody"),
            expected_version: None,
            takes_seat: true,
            end_scim_memberships: false,
            change: roster_domain::Change::cli(),
        })
        .await;
    expect_seat_limit(result, 0, 0);

    // A deactivated account takes no seat, so it can still be created.
    let mut inactive = new_account(Some(org.id), "inactive");
    inactive.active = false;
    inactive.deactivated_at = Some(at(3));
    insert(&store, inactive).await;
    assert_eq!(store.seats_used(scope).await.unwrap(), 2);
}

pub async fn reactivation_takes_a_seat_and_deactivation_frees_one(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 1).await;
    let holder = member(&store, org.id, "holder").await;
    let mut sleeper = new_account(Some(org.id), "sleeper");
    sleeper.active = false;
    sleeper.deactivated_at = Some(at(3));
    let sleeper = insert(&store, sleeper).await;

    let reactivate = |account: &roster_domain::Account| {
        let mut next = account.clone();
        next.active = true;
        next.deactivated_at = None;
        next.updated_at = at(40);
        AccountWrite {
            expected_version: Some(account.version),
            account: next,
            takes_seat: true,
            end_scim_memberships: false,
            change: roster_domain::Change::cli(),
        }
    };
    let result = store.write_account(reactivate(&sleeper)).await;
    expect_seat_limit(result, 1, 1);
    assert_eq!(
        stored_account(&store, sleeper.id, "sleeper").await,
        Some(sleeper.clone())
    );

    deactivate(&store, &holder, at(30)).await;
    assert_eq!(store.seats_used(scope).await.unwrap(), 0);
    let awake = store.write_account(reactivate(&sleeper)).await.unwrap();
    assert!(awake.active);
    assert_eq!(awake.version, sleeper.version + 1);
    assert_eq!(store.seats_used(scope).await.unwrap(), 1);
}

pub async fn twenty_concurrent_inserts_take_exactly_five_seats(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 5).await;
    let mut tasks = JoinSet::new();
    for i in 0..20 {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            store
                .write_account(AccountWrite {
                    account: new_account(Some(org.id), &format!("racer{i}")),
                    expected_version: None,
                    takes_seat: true,
                    end_scim_memberships: false,
                    change: roster_domain::Change::cli(),
                })
                .await
        });
    }
    let (mut won, mut refused) = (0, 0);
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(_) => won += 1,
            Err(StoreError::SeatLimit(roster_domain::SeatLimit { seats: 5, used: 5 })) => {
                refused += 1
            }
            Err(other) => panic!("a racing insert failed with {other:?}"),
        }
    }
    assert_eq!((won, refused), (5, 15));
    assert_eq!(store.seats_used(scope).await.unwrap(), 5);
    let visible = accounts(&store, scope, None).await;
    assert_eq!(visible.len(), 5, "refused inserts wrote nothing");
}

pub async fn concurrent_reactivations_take_exactly_the_free_seats(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 4).await;
    member(&store, org.id, "already").await;
    let mut sleepers = Vec::new();
    for i in 0..12 {
        let mut account = new_account(Some(org.id), &format!("sleeper{i}"));
        account.active = false;
        account.deactivated_at = Some(at(2));
        sleepers.push(insert(&store, account).await);
    }
    let mut tasks = JoinSet::new();
    for sleeper in sleepers {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            let mut next = sleeper.clone();
            next.active = true;
            next.deactivated_at = None;
            store
                .write_account(AccountWrite {
                    account: next,
                    expected_version: Some(sleeper.version),
                    takes_seat: true,
                    end_scim_memberships: false,
                    change: roster_domain::Change::cli(),
                })
                .await
        });
    }
    let (mut won, mut refused) = (0, 0);
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(_) => won += 1,
            Err(StoreError::SeatLimit(roster_domain::SeatLimit { seats: 4, used: 4 })) => {
                refused += 1
            }
            Err(other) => panic!("a racing reactivation failed with {other:?}"),
        }
    }
    assert_eq!((won, refused), (3, 9));
    assert_eq!(store.seats_used(scope).await.unwrap(), 4);
}
