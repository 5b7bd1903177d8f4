//! Accounts: inserts, versioned updates, platform-wide userName uniqueness, SCIM listings by
//! every indexed column and paging, SCIM-deleted accounts, ending SCIM memberships.

use std::sync::Arc;

use roster_domain::{AccountWrite, MemberSource, Page, Role, Store, user_name_key};
use serde_json::json;
use time::format_description::well_known::Rfc3339;

use crate::support::{
    accounts, add, at, change, expect_conflict, expect_unique, group, groups, id_is, ids, insert,
    member, members, new_account, org, stored_account, update,
};

pub async fn account_insert_sets_version_one_and_round_trips(store: Arc<dyn Store>) {
    let (org, _) = org(&store, 5).await;
    let mut account = new_account(Some(org.id), "Ada.Lovelace@Example.edu");
    account.version = 42;
    account.role = Role::Teacher;
    account.external_id = None;
    account
        .attributes
        .insert("nickName".into(), json!("Ada ✓ \"quoted\""));
    account
        .attributes
        .insert("big".into(), json!(9_007_199_254_740_993_u64));
    let stored = insert(&store, account.clone()).await;
    let expected = roster_domain::Account {
        version: 1,
        ..account
    };
    assert_eq!(stored, expected);
    assert_eq!(
        stored_account(&store, stored.id, &stored.user_name).await,
        Some(expected.clone())
    );
    let key = user_name_key("ADA.lovelace@example.EDU");
    assert_eq!(
        store.account_by_user_name(&key).await.unwrap(),
        Some(expected)
    );
    assert_eq!(store.account_by_user_name("nobody").await.unwrap(), None);

    // Deactivated and independent accounts round-trip too.
    let mut inactive = new_account(None, "independent");
    inactive.active = false;
    inactive.deactivated_at = Some(at(7));
    inactive.scim_managed = false;
    inactive.display_name = None;
    let stored = insert(&store, inactive.clone()).await;
    assert_eq!(
        stored_account(&store, stored.id, "independent").await,
        Some(stored.clone())
    );
    assert_eq!(stored.org_id, None);
    assert_eq!(stored.deactivated_at, Some(at(7)));
}

pub async fn account_update_needs_the_current_version(store: Arc<dyn Store>) {
    let (org, _) = org(&store, 5).await;
    let stored = member(&store, org.id, "grace").await;
    let mut next = stored.clone();
    next.display_name = Some("Grace Hopper".into());
    next.external_id = Some("e-42".into());
    next.attributes
        .insert("title".into(), json!("Rear Admiral"));
    next.updated_at = at(20);
    next.scim_managed = false;
    let updated = update(&store, next.clone()).await;
    assert_eq!(updated.version, 2);
    assert_eq!(updated.display_name.as_deref(), Some("Grace Hopper"));
    assert_eq!(updated.created_at, stored.created_at);
    assert_eq!(updated.updated_at, at(20));
    assert_eq!(
        stored_account(&store, stored.id, "grace").await,
        Some(updated.clone())
    );

    // A writer still holding version 1 loses, and writes nothing.
    let mut stale = stored.clone();
    stale.display_name = Some("stale".into());
    let result = store
        .write_account(AccountWrite {
            account: stale,
            expected_version: Some(1),
            takes_seat: false,
            end_scim_memberships: false,
            change: roster_domain::Change::cli(),
        })
        .await;
    expect_conflict(result, "updating with a stale version");
    assert_eq!(
        stored_account(&store, stored.id, "grace").await,
        Some(updated.clone())
    );

    // So does an update of an account that does not exist.
    let ghost = new_account(Some(org.id), "ghost");
    let result = store
        .write_account(AccountWrite {
            account: ghost.clone(),
            expected_version: Some(1),
            takes_seat: false,
            end_scim_memberships: false,
            change: roster_domain::Change::cli(),
        })
        .await;
    expect_conflict(result, "updating a missing account");
    assert_eq!(stored_account(&store, ghost.id, "ghost").await, None);

    // A renamed userName is found under its new key only.
    let mut renamed = updated;
    renamed.user_name = "Grace.Hopper".into();
    let renamed = update(&store, renamed).await;
    assert_eq!(renamed.version, 3);
    assert_eq!(store.account_by_user_name("grace").await.unwrap(), None);
    assert_eq!(
        store
            .account_by_user_name("grace.hopper")
            .await
            .unwrap()
            .map(|a| a.id),
        Some(stored.id)
    );
}

pub async fn user_name_is_unique_platform_wide_ignoring_case(store: Arc<dyn Store>) {
    let (a, scope_a) = org(&store, 5).await;
    let (b, _) = org(&store, 5).await;
    let first = member(&store, a.id, "Alice@School.edu").await;
    for (org, name) in [
        (Some(a.id), "alice@school.edu"),
        (Some(b.id), "ALICE@SCHOOL.EDU"),
        (None, "Alice@school.EDU"),
    ] {
        let result = store
            .write_account(AccountWrite {
                account: new_account(org, name),
                expected_version: None,
                takes_seat: org.is_some(),
                end_scim_memberships: false,
                change: roster_domain::Change::cli(),
            })
            .await;
        expect_unique(result, "inserting a taken userName");
    }
    // Renaming another account onto the name is refused too, and changes nothing.
    let bob = member(&store, b.id, "bob").await;
    let mut clash = bob.clone();
    clash.user_name = "aLiCe@school.edu".into();
    let result = store
        .write_account(AccountWrite {
            account: clash,
            expected_version: Some(bob.version),
            takes_seat: false,
            end_scim_memberships: false,
            change: roster_domain::Change::cli(),
        })
        .await;
    expect_unique(result, "renaming onto a taken userName");
    assert_eq!(stored_account(&store, bob.id, "bob").await, Some(bob));
    assert_eq!(store.seats_used(scope_a).await.unwrap(), 1);
    assert_eq!(
        store
            .account_by_user_name("alice@school.edu")
            .await
            .unwrap(),
        Some(first)
    );
}

pub async fn account_lists_filter_on_every_indexed_column(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let (other, other_scope) = crate::support::org(&store, 10).await;
    // Created out of order, to check the listing order (creation time, then id).
    let mut made = Vec::new();
    for (i, name) in ["carol", "alice", "bob", "dave"].iter().enumerate() {
        let mut account = new_account(Some(org.id), name);
        let i = i64::try_from(i).unwrap();
        account.created_at = at(100 - i * 10);
        account.updated_at = at(200 + i * 10);
        made.push(insert(&store, account).await);
    }
    let mut twin = new_account(Some(org.id), "twin");
    twin.created_at = made[3].created_at; // same creation time as dave: ordered by id
    twin.updated_at = at(500);
    made.push(insert(&store, twin).await);
    let stranger = member(&store, other.id, "stranger").await;
    insert(&store, new_account(None, "loner")).await;

    let mut listed = made.clone();
    listed.sort_by_key(|a| (a.created_at, a.id));
    let all = accounts(&store, scope, None).await;
    assert_eq!(all, listed);

    let carol = made[0].clone();
    let found = |text: String| {
        let store = Arc::clone(&store);
        async move { accounts(&store, scope, Some(&text)).await }
    };
    assert_eq!(found(id_is(carol.id)).await, vec![carol.clone()]);
    assert_eq!(found(id_is(stranger.id)).await, vec![]);
    assert_eq!(
        accounts(&store, other_scope, Some(&id_is(stranger.id))).await,
        vec![stranger.clone()]
    );
    let user_name = |name: &str| format!("userName eq \"{name}\"");
    assert_eq!(found(user_name("CAROL")).await, vec![carol.clone()]);
    assert_eq!(found(user_name("stranger")).await, vec![]);
    assert_eq!(found(user_name("loner")).await, vec![]);
    let external_id = |id: &str| format!("externalId eq \"{id}\"");
    assert_eq!(found(external_id("ext-carol")).await, vec![carol.clone()]);
    assert_eq!(found(external_id("EXT-CAROL")).await, vec![]);

    let bob = made[2].clone();
    let bob = crate::support::deactivate(&store, &bob, at(300)).await;
    let active: Vec<_> = listed.iter().filter(|a| a.id != bob.id).cloned().collect();
    assert_eq!(found("active eq true".into()).await, active);
    assert_eq!(found("active eq false".into()).await, vec![bob.clone()]);

    // updated_at: carol 200, alice 210, dave 230, bob 300 (deactivated), twin 500.
    let since = |at_: time::OffsetDateTime, op: &str| {
        format!(
            "meta.lastModified {op} \"{}\"",
            at_.format(&Rfc3339).unwrap()
        )
    };
    let names = |accounts: Vec<roster_domain::Account>| {
        let mut names: Vec<String> = accounts.into_iter().map(|a| a.user_name).collect();
        names.sort();
        names
    };
    assert_eq!(names(found(since(at(300), "ge")).await), ["bob", "twin"]);
    assert_eq!(names(found(since(at(300), "gt")).await), ["twin"]);
    assert_eq!(
        names(found(since(at(210), "gt")).await),
        ["bob", "dave", "twin"]
    );
    assert_eq!(found(since(at(501), "ge")).await, vec![]);
}

pub async fn scim_deleted_accounts_are_invisible_to_scim_only(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let kept = member(&store, org.id, "kept").await;
    let gone = member(&store, org.id, "gone").await;
    let mut deleted = gone.clone();
    deleted.active = false;
    deleted.deactivated_at = Some(at(50));
    deleted.scim_managed = false;
    deleted.scim_deleted = true;
    deleted.updated_at = at(50);
    let deleted = update(&store, deleted).await;

    let modified = format!(
        "meta.lastModified ge \"{}\"",
        at(50).format(&Rfc3339).unwrap()
    );
    for filter in [
        None,
        Some(id_is(gone.id)),
        Some("userName eq \"gone\"".to_owned()),
        Some("externalId eq \"ext-gone\"".to_owned()),
        Some("active eq false".to_owned()),
        Some(modified),
    ] {
        let found = accounts(&store, scope, filter.as_deref()).await;
        assert!(
            found.iter().all(|a| a.id != gone.id),
            "{filter:?} returned a SCIM-deleted account"
        );
    }
    let (page, total) = store.accounts(scope, None, Page::new(0, 10)).await.unwrap();
    assert_eq!((ids(&page), total), (vec![kept.id], 1));
    // Operators (and the userName check) still see it.
    assert_eq!(
        stored_account(&store, gone.id, "gone").await,
        Some(deleted.clone())
    );
    assert_eq!(
        store.account_by_user_name("gone").await.unwrap(),
        Some(deleted)
    );
    assert_eq!(store.seats_used(scope).await.unwrap(), 1);
}

pub async fn account_pages_follow_listing_order_with_total(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 20).await;
    let (other, _) = crate::support::org(&store, 20).await;
    let mut made = Vec::new();
    for i in 0..7_i64 {
        let mut account = new_account(Some(org.id), &format!("user{i}"));
        account.created_at = at(1000 - i);
        made.push(insert(&store, account).await);
    }
    member(&store, other.id, "elsewhere").await;
    made.sort_by_key(|a| (a.created_at, a.id));

    let mut seen = Vec::new();
    for offset in [0, 3, 6] {
        let (page, total) = store
            .accounts(scope, None, Page::new(offset, 3))
            .await
            .unwrap();
        assert_eq!(total, 7);
        seen.extend(page);
    }
    assert_eq!(seen, made);
    assert_eq!(
        store.accounts(scope, None, Page::new(7, 3)).await.unwrap(),
        (vec![], 7)
    );
    assert_eq!(
        store
            .accounts(scope, None, Page::new(100, 3))
            .await
            .unwrap(),
        (vec![], 7)
    );
    assert_eq!(
        store.accounts(scope, None, Page::new(2, 0)).await.unwrap(),
        (vec![], 7)
    );
    // Without a limit: every row from the offset on.
    let from = |offset| Page {
        offset,
        limit: None,
        ..Page::new(0, 0)
    };
    assert_eq!(
        store.accounts(scope, None, from(5)).await.unwrap(),
        (made[5..].to_vec(), 7)
    );
    assert_eq!(
        store.accounts(scope, None, from(9)).await.unwrap(),
        (vec![], 7)
    );
    assert_eq!(
        store.accounts(scope, None, Page::ALL).await.unwrap(),
        (made.clone(), 7)
    );
    let (everything, total) = store
        .accounts(scope, None, Page::new(0, u64::MAX))
        .await
        .unwrap();
    assert_eq!((everything, total), (made, 7));
}

pub async fn end_scim_memberships_ends_only_scim_memberships(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let leaver = member(&store, org.id, "leaver").await;
    let stayer = member(&store, org.id, "stayer").await;
    let by_scim = group(&store, scope, "By SCIM").await;
    let by_hand = group(&store, scope, "By hand").await;
    change(
        &store,
        scope,
        &by_scim,
        add(MemberSource::Scim, &[leaver.id, stayer.id]),
    )
    .await;
    change(
        &store,
        scope,
        &by_hand,
        add(MemberSource::Manual, &[leaver.id]),
    )
    .await;

    let version = |group: roster_domain::GroupId| {
        let store = store.clone();
        async move { groups(&store, scope, Some(&id_is(group))).await[0].version }
    };
    let by_scim_version = version(by_scim.id).await;
    let by_hand_version = version(by_hand.id).await;
    let mut deleted = leaver.clone();
    deleted.active = false;
    deleted.deactivated_at = Some(at(60));
    deleted.scim_deleted = true;
    deleted.scim_managed = false;
    let written = store
        .write_account(AccountWrite {
            account: deleted,
            expected_version: Some(leaver.version),
            takes_seat: false,
            end_scim_memberships: true,
            change: roster_domain::Change::cli(),
        })
        .await
        .unwrap();
    assert!(written.scim_deleted);
    assert_eq!(
        members(&store, scope, by_scim.id).await,
        vec![(stayer.id, MemberSource::Scim)]
    );
    assert!(
        version(by_scim.id).await > by_scim_version,
        "a group that lost a member has a new version"
    );
    assert_eq!(
        version(by_hand.id).await,
        by_hand_version,
        "an untouched group keeps its version"
    );
    assert_eq!(
        members(&store, scope, by_hand.id).await,
        vec![(leaver.id, MemberSource::Manual)]
    );

    // A refused write ends nothing.
    let mut stale = stayer.clone();
    stale.scim_deleted = true;
    let result = store
        .write_account(AccountWrite {
            account: stale,
            expected_version: Some(stayer.version + 7),
            takes_seat: false,
            end_scim_memberships: true,
            change: roster_domain::Change::cli(),
        })
        .await;
    expect_conflict(result, "a stale SCIM delete");
    assert!(store.is_member(scope, by_scim.id, stayer.id).await.unwrap());
}
