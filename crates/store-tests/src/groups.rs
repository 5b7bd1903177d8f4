//! Groups: inserts, versioned and members-only updates, displayName uniqueness per
//! organization, SCIM listings by every indexed column and paging, deletion, scope.

use std::sync::Arc;

use roster_domain::{
    AccountId, Group, GroupExpect, GroupId, GroupWrite, MemberSource, MembershipChange,
    MembershipOutcome, OrgId, OrgScope, Page, Store,
};
use serde_json::json;
use time::format_description::well_known::Rfc3339;

use crate::support::{
    add, at, change, expect_conflict, expect_unique, group, groups, id_is, member, new_group, org,
    remove, stored_account,
};

fn write(group: Group, expect: GroupExpect) -> GroupWrite {
    GroupWrite {
        group,
        expect,
        members: MembershipChange::none(MemberSource::Scim),
        change: roster_domain::Change::cli(),
    }
}

pub async fn group_insert_round_trips_with_version_one(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 5).await;
    let mut fresh = new_group(org.id, "Year 7 — Maths");
    fresh.version = 9;
    fresh.external_id = None;
    fresh.scim_managed = false;
    let (stored, outcome) = store
        .write_group(scope, write(fresh.clone(), GroupExpect::New))
        .await
        .unwrap();
    assert_eq!(
        stored,
        Group {
            version: 1,
            ..fresh
        }
    );
    assert_eq!(outcome, MembershipOutcome::default());
    assert_eq!(
        groups(&store, scope, Some(&id_is(stored.id))).await,
        vec![stored.clone()]
    );
    assert_eq!(
        store.group(scope, stored.id).await.unwrap(),
        Some(stored.clone())
    );
    assert_eq!(
        store.group(scope, GroupId::new_random()).await.unwrap(),
        None
    );
    assert_eq!(store.group_members(scope, stored.id).await.unwrap(), vec![]);

    // Inserting with members applies them in the same write.
    let a = member(&store, org.id, "a").await;
    let (with_members, outcome) = store
        .write_group(
            scope,
            GroupWrite {
                group: new_group(org.id, "With members"),
                expect: GroupExpect::New,
                members: add(MemberSource::Scim, &[a.id]),
                change: roster_domain::Change::cli(),
            },
        )
        .await
        .unwrap();
    assert_eq!((outcome.added, outcome.removed), (1, 0));
    assert!(store.is_member(scope, with_members.id, a.id).await.unwrap());
}

pub async fn versioned_group_update_needs_the_current_version(store: Arc<dyn Store>) {
    let (_, scope) = org(&store, 5).await;
    let stored = group(&store, scope, "Staff").await;
    let mut next = stored.clone();
    next.display_name = "All staff".into();
    next.external_id = Some("x-1".into());
    next.attributes
        .insert("note".into(), json!({"k": [1, 2, 3]}));
    next.updated_at = at(50);
    let (updated, _) = store
        .write_group(scope, write(next.clone(), GroupExpect::Version(1)))
        .await
        .unwrap();
    assert_eq!(updated, Group { version: 2, ..next });
    assert_eq!(
        groups(&store, scope, Some("displayName eq \"all staff\"")).await,
        vec![updated.clone()]
    );
    assert_eq!(
        groups(&store, scope, Some("displayName eq \"staff\"")).await,
        vec![]
    );

    let mut stale = stored.clone();
    stale.display_name = "Stale".into();
    expect_conflict(
        store
            .write_group(scope, write(stale, GroupExpect::Version(1)))
            .await,
        "a stale group update",
    );
    let missing = new_group(scope.org_id(), "Missing");
    expect_conflict(
        store
            .write_group(scope, write(missing, GroupExpect::Version(1)))
            .await,
        "updating a missing group",
    );
    assert_eq!(
        groups(&store, scope, Some(&id_is(stored.id))).await,
        vec![updated]
    );
}

pub async fn members_only_write_keeps_fields_and_bumps_version(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 5).await;
    let stored = group(&store, scope, "Readers").await;
    let a = member(&store, org.id, "a").await;
    // The caller's copy is stale (another writer renamed the group): its fields are ignored.
    let mut renamed = stored.clone();
    renamed.display_name = "Book club".into();
    let (renamed, _) = store
        .write_group(scope, write(renamed, GroupExpect::Version(1)))
        .await
        .unwrap();
    let mut stale = stored.clone();
    stale.display_name = "Ignored".into();
    stale.updated_at = at(70);
    let (after, outcome) = store
        .write_group(
            scope,
            GroupWrite {
                group: stale,
                expect: GroupExpect::MembersOnly,
                members: add(MemberSource::Scim, &[a.id]),
                change: roster_domain::Change::cli(),
            },
        )
        .await
        .unwrap();
    assert_eq!(outcome.added, 1);
    assert_eq!(
        after,
        Group {
            version: 3,
            updated_at: at(70),
            ..renamed
        }
    );
    assert_eq!(
        groups(&store, scope, Some(&id_is(stored.id))).await,
        vec![after]
    );

    let missing = new_group(org.id, "Missing");
    expect_conflict(
        store
            .write_group(scope, write(missing.clone(), GroupExpect::MembersOnly))
            .await,
        "a members-only write to a missing group",
    );
    assert_eq!(
        groups(&store, scope, Some(&id_is(missing.id))).await,
        vec![]
    );
}

pub async fn display_name_is_unique_per_org_ignoring_case(store: Arc<dyn Store>) {
    let (_, scope_a) = org(&store, 5).await;
    let (_, scope_b) = org(&store, 5).await;
    group(&store, scope_a, "Teachers").await;
    expect_unique(
        store
            .write_group(
                scope_a,
                write(new_group(scope_a.org_id(), "TEACHERS"), GroupExpect::New),
            )
            .await,
        "a second group with the same name",
    );
    // The same name in another organization is fine.
    group(&store, scope_b, "teachers").await;
    // Renaming onto a taken name is refused and changes nothing.
    let other = group(&store, scope_a, "Students").await;
    let mut clash = other.clone();
    clash.display_name = "tEaChErS".into();
    expect_unique(
        store
            .write_group(scope_a, write(clash, GroupExpect::Version(1)))
            .await,
        "renaming onto a taken group name",
    );
    assert_eq!(
        groups(&store, scope_a, Some(&id_is(other.id))).await,
        vec![other]
    );
    assert_eq!(groups(&store, scope_a, None).await.len(), 2);
}

pub async fn group_lists_filter_on_every_indexed_column(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 5).await;
    let (other, other_scope) = crate::support::org(&store, 5).await;
    let mut made = Vec::new();
    for (i, name) in ["Delta", "Alpha", "Charlie", "Bravo"].iter().enumerate() {
        let i = i64::try_from(i).unwrap();
        let mut g = new_group(org.id, name);
        g.created_at = at(100 - i * 10);
        g.updated_at = at(200 + i * 10);
        made.push(
            store
                .write_group(scope, write(g, GroupExpect::New))
                .await
                .unwrap()
                .0,
        );
    }
    let elsewhere = group(&store, other_scope, "Delta").await;
    let mut listed = made.clone();
    listed.sort_by_key(|g| (g.created_at, g.id));
    assert_eq!(groups(&store, scope, None).await, listed);

    let found = |text: String| {
        let store = Arc::clone(&store);
        async move { groups(&store, scope, Some(&text)).await }
    };
    let delta = made[0].clone();
    assert_eq!(found(id_is(delta.id)).await, vec![delta.clone()]);
    assert_eq!(found(id_is(elsewhere.id)).await, vec![]);
    assert_eq!(
        found("displayName eq \"DELTA\"".into()).await,
        vec![delta.clone()]
    );
    assert_eq!(
        found("externalId eq \"ext-Delta\"".into()).await,
        vec![delta.clone()]
    );
    assert_eq!(found("externalId eq \"nope\"".into()).await, vec![]);

    let a = member(&store, org.id, "a").await;
    let stranger = member(&store, other.id, "stranger").await;
    change(&store, scope, &made[1], add(MemberSource::Scim, &[a.id])).await;
    change(&store, scope, &made[3], add(MemberSource::Manual, &[a.id])).await;
    change(
        &store,
        other_scope,
        &elsewhere,
        add(MemberSource::Scim, &[stranger.id]),
    )
    .await;
    let with = |account: AccountId| format!("members eq \"{account}\"");
    let mut with_a: Vec<GroupId> = found(with(a.id)).await.into_iter().map(|g| g.id).collect();
    with_a.sort();
    let mut expected = vec![made[1].id, made[3].id];
    expected.sort();
    assert_eq!(with_a, expected);
    assert_eq!(found(with(stranger.id)).await, vec![]);

    // The member writes above set updated_at to the groups' own (unchanged) times: Delta 200,
    // Alpha 210, Charlie 220, Bravo 230.
    let since = |at_: time::OffsetDateTime, op: &str| {
        format!(
            "meta.lastModified {op} \"{}\"",
            at_.format(&Rfc3339).unwrap()
        )
    };
    let names = |groups: Vec<Group>| {
        let mut names: Vec<String> = groups.into_iter().map(|g| g.display_name).collect();
        names.sort();
        names
    };
    assert_eq!(
        names(found(since(at(220), "ge")).await),
        ["Bravo", "Charlie"]
    );
    assert_eq!(names(found(since(at(220), "gt")).await), ["Bravo"]);
    assert_eq!(found(since(at(231), "ge")).await, vec![]);
}

pub async fn group_pages_follow_listing_order_with_total(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 5).await;
    let (_, other_scope) = crate::support::org(&store, 5).await;
    let mut made = Vec::new();
    for i in 0..5_i64 {
        let mut g = new_group(org.id, &format!("group {i}"));
        g.created_at = at(50 - i);
        made.push(
            store
                .write_group(scope, write(g, GroupExpect::New))
                .await
                .unwrap()
                .0,
        );
    }
    group(&store, other_scope, "group 0").await;
    made.sort_by_key(|g| (g.created_at, g.id));
    let (first, total) = store.groups(scope, None, Page::new(0, 2)).await.unwrap();
    let (second, _) = store.groups(scope, None, Page::new(2, 2)).await.unwrap();
    let (third, _) = store.groups(scope, None, Page::new(4, 2)).await.unwrap();
    assert_eq!(total, 5);
    assert_eq!([first, second, third].concat(), made);
    assert_eq!(
        store.groups(scope, None, Page::new(5, 2)).await.unwrap(),
        (vec![], 5)
    );
    let (_, empty_scope) = crate::support::org(&store, 5).await;
    assert_eq!(
        store
            .groups(empty_scope, None, Page::new(0, 2))
            .await
            .unwrap(),
        (vec![], 0)
    );
}

pub async fn delete_group_removes_its_memberships_not_its_accounts(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 5).await;
    let (_, other_scope) = crate::support::org(&store, 5).await;
    let doomed = group(&store, scope, "Doomed").await;
    let kept = group(&store, scope, "Kept").await;
    let a = member(&store, org.id, "a").await;
    let b = member(&store, org.id, "b").await;
    change(&store, scope, &doomed, add(MemberSource::Scim, &[a.id])).await;
    change(&store, scope, &doomed, add(MemberSource::Manual, &[b.id])).await;
    change(&store, scope, &kept, add(MemberSource::Scim, &[a.id])).await;

    // Another organization's scope cannot delete it.
    assert!(
        !store
            .delete_group(
                other_scope,
                doomed.id,
                None,
                &roster_domain::Change::cli(),
                time::OffsetDateTime::UNIX_EPOCH
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .delete_group(
                scope,
                doomed.id,
                None,
                &roster_domain::Change::cli(),
                time::OffsetDateTime::UNIX_EPOCH
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_group(
                scope,
                doomed.id,
                None,
                &roster_domain::Change::cli(),
                time::OffsetDateTime::UNIX_EPOCH
            )
            .await
            .unwrap()
    );
    assert_eq!(groups(&store, scope, Some(&id_is(doomed.id))).await, vec![]);
    assert_eq!(store.group_members(scope, doomed.id).await.unwrap(), vec![]);
    assert!(!store.is_member(scope, doomed.id, a.id).await.unwrap());
    assert_eq!(
        groups(&store, scope, Some(&format!("members eq \"{}\"", a.id)))
            .await
            .into_iter()
            .map(|g| g.id)
            .collect::<Vec<_>>(),
        vec![kept.id]
    );
    assert_eq!(stored_account(&store, a.id, "a").await, Some(a));
    assert_eq!(stored_account(&store, b.id, "b").await, Some(b));
    // The name is free again.
    group(&store, scope, "doomed").await;
}

pub async fn delete_group_with_a_stale_version_is_a_conflict_and_deletes_nothing(
    store: Arc<dyn Store>,
) {
    let (org, scope) = org(&store, 5).await;
    let (_, other_scope) = crate::support::org(&store, 5).await;
    let read = group(&store, scope, "Contested").await;
    let a = member(&store, org.id, "a").await;
    // Another writer changes the group after it was read at version 1.
    change(&store, scope, &read, add(MemberSource::Scim, &[a.id])).await;
    let current = groups(&store, scope, Some(&id_is(read.id))).await.remove(0);
    assert_eq!(current.version, 2);

    expect_conflict(
        store
            .delete_group(
                scope,
                read.id,
                Some(read.version),
                &roster_domain::Change::cli(),
                time::OffsetDateTime::UNIX_EPOCH,
            )
            .await,
        "deleting a group at a stale version",
    );
    assert_eq!(
        groups(&store, scope, Some(&id_is(read.id))).await,
        vec![current.clone()]
    );
    assert!(store.is_member(scope, read.id, a.id).await.unwrap());
    // Another organization's scope finds no group, whatever the version.
    assert!(
        !store
            .delete_group(
                other_scope,
                read.id,
                Some(current.version),
                &roster_domain::Change::cli(),
                time::OffsetDateTime::UNIX_EPOCH
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .delete_group(
                scope,
                read.id,
                Some(current.version),
                &roster_domain::Change::cli(),
                time::OffsetDateTime::UNIX_EPOCH
            )
            .await
            .unwrap()
    );
    // Gone: not found, not a conflict.
    assert!(
        !store
            .delete_group(
                scope,
                read.id,
                Some(current.version),
                &roster_domain::Change::cli(),
                time::OffsetDateTime::UNIX_EPOCH
            )
            .await
            .unwrap()
    );
    assert_eq!(groups(&store, scope, Some(&id_is(read.id))).await, vec![]);
}

pub async fn group_writes_stay_in_their_scope(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 5).await;
    let (_, other_scope) = crate::support::org(&store, 5).await;
    let mine = group(&store, scope, "Mine").await;
    let a = member(&store, org.id, "a").await;
    change(&store, scope, &mine, add(MemberSource::Scim, &[a.id])).await;
    let mine = groups(&store, scope, Some(&id_is(mine.id))).await.remove(0);
    let version = mine.version;

    // Another organization sees nothing of the group.
    assert_eq!(
        groups(&store, other_scope, Some(&id_is(mine.id))).await,
        vec![]
    );
    assert_eq!(store.group(other_scope, mine.id).await.unwrap(), None);
    assert_eq!(
        store.group(scope, mine.id).await.unwrap(),
        Some(mine.clone())
    );
    assert_eq!(
        store.group_members(other_scope, mine.id).await.unwrap(),
        vec![]
    );
    assert!(!store.is_member(other_scope, mine.id, a.id).await.unwrap());
    // A write through another organization's scope fails and changes nothing, whatever the
    // group claims.
    let mut hijack = mine.clone();
    hijack.display_name = "Hijacked".into();
    let via_other = store
        .write_group(
            other_scope,
            write(hijack.clone(), GroupExpect::Version(version)),
        )
        .await;
    assert!(
        via_other.is_err(),
        "a write through another scope succeeded"
    );
    hijack.org_id = other_scope.org_id();
    let relabelled = store
        .write_group(other_scope, write(hijack, GroupExpect::Version(version)))
        .await;
    assert!(relabelled.is_err(), "a group moved to another organization");
    let mut members_only = mine.clone();
    members_only.org_id = other_scope.org_id();
    let touched = store
        .write_group(
            other_scope,
            GroupWrite {
                group: members_only,
                expect: GroupExpect::MembersOnly,
                members: remove(MemberSource::Manual, &[a.id]),
                change: roster_domain::Change::cli(),
            },
        )
        .await;
    assert!(
        touched.is_err(),
        "members changed through another organization"
    );
    assert!(store.is_member(scope, mine.id, a.id).await.unwrap());
    let unknown = OrgScope::trusted(OrgId::new_random());
    assert!(
        !store
            .delete_group(
                unknown,
                mine.id,
                None,
                &roster_domain::Change::cli(),
                time::OffsetDateTime::UNIX_EPOCH
            )
            .await
            .unwrap()
    );
    assert_eq!(
        groups(&store, scope, Some(&id_is(mine.id))).await,
        vec![mine]
    );
}
