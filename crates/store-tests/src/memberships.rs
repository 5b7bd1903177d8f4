//! Membership changes (SPEC §2.7 and `MembershipChange`): SCIM touches only SCIM memberships and
//! memberships of SCIM-managed accounts, never links across organizations, and stays atomic and
//! idempotent under concurrent writers of one group.

use std::sync::Arc;

use roster_domain::{
    AccountId, GroupExpect, GroupWrite, Member, MemberSource, MembershipChange, Store, StoreError,
};
use tokio::task::JoinSet;

use crate::support::{
    add, at, change, group, groups, id_is, insert, member, members, new_account, org, remove,
    replace, sorted, stored_account, update,
};

use MemberSource::{Manual, Scim};

/// An active account of `org` that SCIM does not manage (added by an administrator).
async fn hand_made(
    store: &Arc<dyn Store>,
    org: roster_domain::OrgId,
    name: &str,
) -> roster_domain::Account {
    let mut account = new_account(Some(org), name);
    account.scim_managed = false;
    insert(store, account).await
}

pub async fn member_ids_are_listed_in_id_order_up_to_a_limit(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let g = group(&store, scope, "Bounded").await;
    let mut ids = Vec::new();
    for name in ["a", "b", "c", "d"] {
        ids.push(member(&store, org.id, name).await.id);
    }
    change(&store, scope, &g, add(Scim, &ids[..3])).await;
    change(&store, scope, &g, add(Manual, &ids[3..])).await;
    ids.sort_by_key(|id| id.to_string());
    assert_eq!(store.group_member_ids(scope, g.id, 10).await.unwrap(), ids);
    assert_eq!(
        store.group_member_ids(scope, g.id, 2).await.unwrap(),
        ids[..2]
    );
    assert!(
        store
            .group_member_ids(scope, g.id, 0)
            .await
            .unwrap()
            .is_empty()
    );
    let (_, elsewhere) = crate::support::org(&store, 10).await;
    assert!(
        store
            .group_member_ids(elsewhere, g.id, 10)
            .await
            .unwrap()
            .is_empty(),
        "another organization's scope sees no members"
    );
}

pub async fn members_list_sources_and_managed_flags_by_user_name(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let g = group(&store, scope, "Listed").await;
    let zed = member(&store, org.id, "zed").await;
    let amy = hand_made(&store, org.id, "amy").await;
    let mia = member(&store, org.id, "mia").await;
    let mut sleepy = new_account(Some(org.id), "bea");
    sleepy.active = false;
    sleepy.deactivated_at = Some(at(3));
    let bea = insert(&store, sleepy).await;
    change(&store, scope, &g, add(Scim, &[zed.id, mia.id, bea.id])).await;
    change(&store, scope, &g, add(Manual, &[amy.id])).await;
    let listed = store.group_members(scope, g.id).await.unwrap();
    let expected = vec![
        Member {
            account_id: amy.id,
            user_name: "amy".into(),
            display_name: amy.display_name.clone(),
            source: Manual,
            account_scim_managed: false,
        },
        Member {
            account_id: bea.id,
            user_name: "bea".into(),
            display_name: bea.display_name.clone(),
            source: Scim,
            account_scim_managed: true,
        },
        Member {
            account_id: mia.id,
            user_name: "mia".into(),
            display_name: mia.display_name.clone(),
            source: Scim,
            account_scim_managed: true,
        },
        Member {
            account_id: zed.id,
            user_name: "zed".into(),
            display_name: zed.display_name.clone(),
            source: Scim,
            account_scim_managed: true,
        },
    ];
    assert_eq!(listed, expected);
    assert!(store.is_member(scope, g.id, bea.id).await.unwrap());
    assert!(
        !store
            .is_member(scope, g.id, AccountId::new_random())
            .await
            .unwrap()
    );
}

pub async fn scim_add_keeps_a_manual_membership_manual(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let g = group(&store, scope, "G").await;
    let a = member(&store, org.id, "a").await;
    let b = member(&store, org.id, "b").await;
    assert_eq!(
        change(&store, scope, &g, add(Manual, &[a.id])).await.added,
        1
    );
    let outcome = change(&store, scope, &g, add(Scim, &[a.id, b.id])).await;
    assert_eq!((outcome.added, outcome.removed), (1, 0));
    assert_eq!(outcome.skipped, vec![]);
    assert_eq!(
        members(&store, scope, g.id).await,
        sorted(vec![(a.id, Manual), (b.id, Scim)])
    );
}

pub async fn scim_remove_takes_only_scim_or_managed_memberships(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let g = group(&store, scope, "G").await;
    let by_hand = hand_made(&store, org.id, "by-hand").await;
    let managed_by_hand = member(&store, org.id, "managed-by-hand").await;
    let by_scim = member(&store, org.id, "by-scim").await;
    change(
        &store,
        scope,
        &g,
        add(Manual, &[by_hand.id, managed_by_hand.id]),
    )
    .await;
    change(&store, scope, &g, add(Scim, &[by_scim.id])).await;

    let all = [by_hand.id, managed_by_hand.id, by_scim.id];
    let outcome = change(&store, scope, &g, remove(Scim, &all)).await;
    assert_eq!((outcome.added, outcome.removed), (0, 2));
    assert_eq!(
        members(&store, scope, g.id).await,
        vec![(by_hand.id, Manual)]
    );

    // Once SCIM manages the account, SCIM may remove its hand-made membership too.
    let mut adopted = stored_account(&store, by_hand.id, "by-hand").await.unwrap();
    adopted.scim_managed = true;
    update(&store, adopted).await;
    let outcome = change(&store, scope, &g, remove(Scim, &[by_hand.id])).await;
    assert_eq!(outcome.removed, 1);
    assert_eq!(members(&store, scope, g.id).await, vec![]);
}

pub async fn scim_replace_sets_managed_members_and_keeps_hand_added_ones(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let g = group(&store, scope, "G").await;
    let by_hand = hand_made(&store, org.id, "by-hand").await;
    let managed_by_hand = member(&store, org.id, "managed-by-hand").await;
    let by_scim = member(&store, org.id, "by-scim").await;
    let dropped = member(&store, org.id, "dropped").await;
    let newcomer = member(&store, org.id, "newcomer").await;
    change(
        &store,
        scope,
        &g,
        add(Manual, &[by_hand.id, managed_by_hand.id]),
    )
    .await;
    change(&store, scope, &g, add(Scim, &[by_scim.id, dropped.id])).await;

    let outcome = change(&store, scope, &g, replace(Scim, &[by_scim.id, newcomer.id])).await;
    assert_eq!((outcome.added, outcome.removed), (1, 2));
    assert_eq!(outcome.skipped, vec![]);
    assert_eq!(
        members(&store, scope, g.id).await,
        sorted(vec![
            (by_hand.id, Manual),
            (by_scim.id, Scim),
            (newcomer.id, Scim)
        ])
    );

    // Replacing with nothing empties what SCIM may remove, and only that.
    let outcome = change(&store, scope, &g, replace(Scim, &[])).await;
    assert_eq!((outcome.added, outcome.removed), (0, 2));
    assert_eq!(
        members(&store, scope, g.id).await,
        vec![(by_hand.id, Manual)]
    );

    // A replace that names a hand-added member keeps it as it is.
    let outcome = change(&store, scope, &g, replace(Scim, &[by_hand.id])).await;
    assert_eq!((outcome.added, outcome.removed), (0, 0));
    assert_eq!(
        members(&store, scope, g.id).await,
        vec![(by_hand.id, Manual)]
    );
}

pub async fn manual_changes_touch_every_membership(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let g = group(&store, scope, "G").await;
    let by_hand = hand_made(&store, org.id, "by-hand").await;
    let by_scim = member(&store, org.id, "by-scim").await;
    let other = member(&store, org.id, "other").await;
    change(&store, scope, &g, add(Manual, &[by_hand.id])).await;
    change(&store, scope, &g, add(Scim, &[by_scim.id])).await;
    let outcome = change(&store, scope, &g, remove(Manual, &[by_hand.id, by_scim.id])).await;
    assert_eq!(outcome.removed, 2);
    change(&store, scope, &g, add(Scim, &[by_scim.id])).await;
    let outcome = change(&store, scope, &g, replace(Manual, &[other.id])).await;
    assert_eq!((outcome.added, outcome.removed), (1, 1));
    assert_eq!(members(&store, scope, g.id).await, vec![(other.id, Manual)]);
}

pub async fn members_outside_the_org_are_skipped_and_reported(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let (other, other_scope) = crate::support::org(&store, 10).await;
    let g = group(&store, scope, "G").await;
    let theirs = group(&store, other_scope, "G").await;
    let mine = member(&store, org.id, "mine").await;
    let foreign = member(&store, other.id, "foreign").await;
    let independent = insert(&store, new_account(None, "independent")).await;
    let nobody = AccountId::new_random();
    let mut deleted = member(&store, org.id, "deleted").await;
    deleted.active = false;
    deleted.deactivated_at = Some(at(4));
    deleted.scim_deleted = true;
    let deleted = update(&store, deleted).await;

    let outcome = change(
        &store,
        scope,
        &g,
        add(
            Scim,
            &[foreign.id, mine.id, independent.id, nobody, deleted.id],
        ),
    )
    .await;
    assert_eq!(outcome.added, 1);
    assert_eq!(
        outcome.skipped,
        vec![foreign.id, independent.id, nobody, deleted.id]
    );
    assert_eq!(members(&store, scope, g.id).await, vec![(mine.id, Scim)]);

    let outcome = change(&store, scope, &g, replace(Scim, &[mine.id, foreign.id])).await;
    assert_eq!((outcome.added, outcome.removed), (0, 0));
    assert_eq!(outcome.skipped, vec![foreign.id]);
    assert_eq!(members(&store, scope, g.id).await, vec![(mine.id, Scim)]);

    // Removing a member of another organization touches nothing of theirs.
    change(&store, other_scope, &theirs, add(Scim, &[foreign.id])).await;
    change(&store, scope, &g, remove(Scim, &[foreign.id])).await;
    assert_eq!(
        members(&store, other_scope, theirs.id).await,
        vec![(foreign.id, Scim)]
    );
    assert!(!store.is_member(scope, theirs.id, foreign.id).await.unwrap());
}

pub async fn repeated_changes_are_idempotent(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let g = group(&store, scope, "G").await;
    let a = member(&store, org.id, "a").await;
    let b = member(&store, org.id, "b").await;
    assert_eq!(
        change(&store, scope, &g, add(Scim, &[a.id, b.id]))
            .await
            .added,
        2
    );
    let again = change(&store, scope, &g, add(Scim, &[a.id, b.id])).await;
    assert_eq!((again.added, again.removed), (0, 0));
    assert_eq!(
        change(&store, scope, &g, remove(Scim, &[a.id]))
            .await
            .removed,
        1
    );
    let again = change(&store, scope, &g, remove(Scim, &[a.id])).await;
    assert_eq!((again.added, again.removed), (0, 0));
    let replaced = change(&store, scope, &g, replace(Scim, &[a.id])).await;
    assert_eq!((replaced.added, replaced.removed), (1, 1));
    let again = change(&store, scope, &g, replace(Scim, &[a.id])).await;
    assert_eq!((again.added, again.removed), (0, 0));
    assert_eq!(members(&store, scope, g.id).await, vec![(a.id, Scim)]);
    // An empty change is a plain touch of the group.
    let none = change(&store, scope, &g, MembershipChange::none(Scim)).await;
    assert_eq!((none.added, none.removed), (0, 0));
}

pub async fn fifty_concurrent_adds_and_removes_end_exactly_right(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 100).await;
    let g = group(&store, scope, "Busy").await;
    let mut accounts = Vec::new();
    for i in 0..50 {
        accounts.push(member(&store, org.id, &format!("m{i:02}")).await);
    }
    let (joining, leaving) = accounts.split_at(25);
    change(&store, scope, &g, add(Scim, &crate::support::ids(leaving))).await;

    let mut tasks = JoinSet::new();
    for (i, account) in accounts.iter().enumerate() {
        let store = Arc::clone(&store);
        let members = if i < 25 {
            add(Scim, &[account.id])
        } else {
            remove(Scim, &[account.id])
        };
        let write = GroupWrite {
            group: g.clone(),
            expect: GroupExpect::MembersOnly,
            members,
            change: roster_domain::Change::cli(),
        };
        tasks.spawn(async move { store.write_group(scope, write).await });
    }
    let (mut added, mut removed) = (0, 0);
    while let Some(result) = tasks.join_next().await {
        let (_, outcome) = result.unwrap().unwrap();
        added += outcome.added;
        removed += outcome.removed;
    }
    assert_eq!((added, removed), (25, 25));
    let expected = sorted(joining.iter().map(|a| (a.id, Scim)).collect());
    assert_eq!(members(&store, scope, g.id).await, expected);
    let stored = groups(&store, scope, Some(&id_is(g.id))).await;
    // Created at 1, the seeding write made 2, then one bump per concurrent write.
    assert_eq!(stored[0].version, 52);
}

pub async fn concurrent_adds_of_one_member_add_it_once(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let g = group(&store, scope, "G").await;
    let a = member(&store, org.id, "a").await;
    let mut tasks = JoinSet::new();
    for i in 0..20 {
        let store = Arc::clone(&store);
        // Half of them as administrators: whoever comes first decides the source.
        let source = if i % 2 == 0 { Scim } else { Manual };
        let write = GroupWrite {
            group: g.clone(),
            expect: GroupExpect::MembersOnly,
            members: add(source, &[a.id]),
            change: roster_domain::Change::cli(),
        };
        tasks.spawn(async move { store.write_group(scope, write).await });
    }
    let mut added = 0;
    while let Some(result) = tasks.join_next().await {
        added += result.unwrap().unwrap().1.added;
    }
    assert_eq!(added, 1);
    assert_eq!(store.group_members(scope, g.id).await.unwrap().len(), 1);
}

pub async fn versioned_writers_racing_on_one_group_lose_no_update(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 20).await;
    let g = group(&store, scope, "Contended").await;
    let mut accounts = Vec::new();
    for i in 0..10 {
        accounts.push(member(&store, org.id, &format!("v{i}")).await);
    }
    let mut tasks = JoinSet::new();
    for account in &accounts {
        let store = Arc::clone(&store);
        let id = account.id;
        tasks.spawn(async move {
            // Read, write with the version read, retry on conflict: what a PUT with If-Match
            // does, minus the HTTP.
            let mut conflicts = 0_u32;
            loop {
                let current = groups(&store, scope, Some(&id_is(g.id))).await.remove(0);
                let write = GroupWrite {
                    expect: GroupExpect::Version(current.version),
                    group: current,
                    members: add(Scim, &[id]),
                    change: roster_domain::Change::cli(),
                };
                match store.write_group(scope, write).await {
                    Ok((_, outcome)) => return (outcome.added, conflicts),
                    Err(StoreError::VersionConflict) => conflicts += 1,
                    Err(other) => panic!("a versioned group write failed with {other:?}"),
                }
            }
        });
    }
    let mut added = 0;
    while let Some(result) = tasks.join_next().await {
        added += result.unwrap().0;
    }
    assert_eq!(added, 10);
    assert_eq!(store.group_members(scope, g.id).await.unwrap().len(), 10);
    let stored = groups(&store, scope, Some(&id_is(g.id))).await;
    assert_eq!(stored[0].version, 11);
}
