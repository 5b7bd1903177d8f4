//! Events (SPEC §7): every committed write appends its events in the same transaction, a
//! refused or rolled-back write appends none, and the feed reads them in commit order.

use std::sync::Arc;

use roster_domain::{
    AccountWrite, Change, ChangeSource, EventType, GroupExpect, GroupWrite, MemberSource,
    MembershipChange, NewEvent, OrgId, Store, TokenHash, TokenRecord, org_event,
};
use serde_json::json;
use uuid::Uuid;

use crate::support::{
    add, at, change, expect_conflict, expect_seat_limit, expect_unique, group, insert, member,
    new_account, new_group, org, remove, replace, update,
};

/// Every event of the organization, in feed order, once at least `count` are readable. On
/// PostgreSQL the feed shows only transactions below the oldest one still running anywhere in
/// the cluster (other tests create databases meanwhile), so a committed event can take a moment
/// to become readable; it is never skipped.
pub(crate) async fn events(store: &Arc<dyn Store>, org: OrgId, count: usize) -> Vec<NewEvent> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let events: Vec<NewEvent> = store
            .events_page(None, Some(org), 10_000)
            .await
            .unwrap()
            .events
            .into_iter()
            .map(|e| e.event)
            .collect();
        if events.len() >= count || std::time::Instant::now() > deadline {
            return events;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn kinds(events: &[NewEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

pub async fn every_account_write_appends_its_events(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 5).await;
    let ada = member(&store, org.id, "ada").await;
    let mut renamed = ada.clone();
    renamed.display_name = Some("Ada Lovelace".into());
    renamed.updated_at = at(10);
    let renamed = update(&store, renamed).await;
    let unchanged = update(&store, renamed.clone()).await;
    let mut off = unchanged.clone();
    off.active = false;
    off.deactivated_at = Some(at(20));
    let off = update(&store, off).await;
    let mut on = off.clone();
    on.active = true;
    on.deactivated_at = None;
    let on = store
        .write_account(AccountWrite {
            account: on,
            expected_version: Some(off.version),
            takes_seat: true,
            end_scim_memberships: false,
            change: Change::console(ada.id),
        })
        .await
        .unwrap();
    let staff = group(&store, scope, "Staff").await;
    change(&store, scope, &staff, add(MemberSource::Scim, &[ada.id])).await;
    // A SCIM DELETE: deactivated, and its SCIM memberships end with it.
    let mut gone = on.clone();
    gone.active = false;
    gone.scim_deleted = true;
    gone.scim_managed = false;
    let token = Uuid::new_v4();
    store
        .write_account(AccountWrite {
            account: gone,
            expected_version: Some(on.version),
            takes_seat: false,
            end_scim_memberships: true,
            change: Change::scim(Some(token)),
        })
        .await
        .unwrap();

    let events = events(&store, org.id, 8).await;
    assert_eq!(
        kinds(&events),
        [
            "account.created",
            "account.updated",
            "account.deactivated",
            "account.reactivated",
            "group.created",
            "membership.added",
            "account.deactivated",
            "membership.removed",
        ],
        "a write that changed nothing appends nothing"
    );
    assert_eq!(events[0].account_id, Some(ada.id));
    assert_eq!(events[0].org_id, Some(org.id));
    assert_eq!(events[0].data["account"]["userName"], "ada");
    assert_eq!(events[0].data["account"]["version"], 1);
    assert_eq!(events[0].source, ChangeSource::Cli);
    assert_eq!(events[0].actor.as_deref(), Some("cli"));
    assert_eq!(events[1].data["changed"], json!(["displayName"]));
    assert_eq!(events[1].data["account"]["displayName"], "Ada Lovelace");
    assert_eq!(events[1].occurred_at, at(10));
    assert_eq!(events[3].actor, Some(format!("admin:{}", ada.id)));
    assert_eq!(events[6].source, ChangeSource::Scim);
    assert_eq!(events[6].actor, Some(format!("token:{token}")));
    assert_eq!(events[6].data["account"]["active"], false);
    assert_eq!(events[7].group_id, Some(staff.id));
    assert_eq!(events[7].account_id, Some(ada.id));
    assert_eq!(events[7].data["source"], "scim");
}

pub async fn group_writes_append_an_event_per_membership_really_changed(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let a = member(&store, org.id, "a").await;
    let b = member(&store, org.id, "b").await;
    let c = member(&store, org.id, "c").await;
    let mut unmanaged = new_group(org.id, "Teachers");
    unmanaged.scim_managed = false;
    let unmanaged = store
        .write_group(
            scope,
            GroupWrite {
                group: unmanaged,
                expect: GroupExpect::New,
                members: add(MemberSource::Manual, &[a.id]),
                change: Change::cli(),
            },
        )
        .await
        .unwrap()
        .0;
    let before = events(&store, org.id, 5).await.len();
    // SCIM adopts it by name, adding b; a (manual) stays; a second add of b is no event.
    let mut adopted = unmanaged.clone();
    adopted.scim_managed = true;
    let adopted = store
        .write_group(
            scope,
            GroupWrite {
                group: adopted,
                expect: GroupExpect::Version(unmanaged.version),
                members: add(MemberSource::Scim, &[b.id]),
                change: Change::scim(None),
            },
        )
        .await
        .unwrap()
        .0;
    let again = change(&store, scope, &adopted, add(MemberSource::Scim, &[b.id])).await;
    assert_eq!(again.added, 0);
    // A replace with [c]: b (scim) goes, a (manual, account SCIM-managed) goes, c comes.
    change(
        &store,
        scope,
        &adopted,
        replace(MemberSource::Scim, &[c.id]),
    )
    .await;
    change(&store, scope, &adopted, remove(MemberSource::Scim, &[b.id])).await;
    let mut renamed = store
        .groups(scope, None, roster_domain::Page::ALL)
        .await
        .unwrap()
        .0
        .remove(0);
    let version = renamed.version;
    renamed.display_name = "Teaching staff".into();
    let renamed = store
        .write_group(
            scope,
            GroupWrite {
                group: renamed,
                expect: GroupExpect::Version(version),
                members: MembershipChange::none(MemberSource::Scim),
                change: Change::scim(None),
            },
        )
        .await
        .unwrap()
        .0;
    assert!(
        store
            .delete_group(scope, renamed.id, None, &Change::scim(None), at(50))
            .await
            .unwrap()
    );

    let events = events(&store, org.id, before + 8).await;
    let (created, rest) = events.split_at(before);
    assert_eq!(
        kinds(created),
        ["account.created"; 3]
            .iter()
            .copied()
            .chain(["group.created", "membership.added"])
            .collect::<Vec<_>>()
    );
    assert_eq!(created[4].data["source"], "manual");
    assert_eq!(
        kinds(rest),
        [
            "group.adopted",
            "membership.added",
            "membership.removed",
            "membership.removed",
            "membership.added",
            "group.renamed",
            "membership.removed",
            "group.deleted",
        ]
    );
    assert_eq!(rest[0].data["changed"], json!(["scim_managed"]));
    assert_eq!(rest[1].account_id, Some(b.id));
    let mut removed_by_replace = vec![rest[2].account_id, rest[3].account_id];
    removed_by_replace.sort();
    let mut expected = vec![Some(a.id), Some(b.id)];
    expected.sort();
    assert_eq!(removed_by_replace, expected);
    assert_eq!(rest[4].account_id, Some(c.id));
    assert_eq!(rest[5].data["group"]["displayName"], "Teaching staff");
    assert_eq!(rest[5].data["changed"], json!(["displayName"]));
    assert_eq!(rest[6].account_id, Some(c.id));
    assert_eq!(rest[7].group_id, Some(renamed.id));
    assert_eq!(rest[7].occurred_at, at(50));
}

pub async fn refused_writes_append_no_events(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 1).await;
    let ada = member(&store, org.id, "ada").await;
    let staff = group(&store, scope, "Staff").await;
    let before = events(&store, org.id, 2).await;
    assert_eq!(kinds(&before), ["account.created", "group.created"]);
    // The seat limit.
    let full = store
        .write_account(AccountWrite {
            account: new_account(Some(org.id), "bob"),
            expected_version: None,
            takes_seat: true,
            end_scim_memberships: false,
            change: Change::cli(),
        })
        .await;
    expect_seat_limit(full, 1, 1);
    // A stale version.
    let mut stale = ada.clone();
    stale.display_name = Some("Stale".into());
    let stale = store
        .write_account(AccountWrite {
            account: stale,
            expected_version: Some(ada.version + 1),
            takes_seat: false,
            end_scim_memberships: false,
            change: Change::cli(),
        })
        .await;
    expect_conflict(stale, "updating with a stale version");
    // A taken userName, and a taken group name.
    let mut twin = new_account(None, "ADA");
    twin.active = false;
    expect_unique(
        store
            .write_account(AccountWrite {
                account: twin,
                expected_version: None,
                takes_seat: false,
                end_scim_memberships: false,
                change: Change::cli(),
            })
            .await,
        "inserting a taken userName",
    );
    expect_unique(
        store
            .write_group(
                scope,
                GroupWrite {
                    group: new_group(org.id, "STAFF"),
                    expect: GroupExpect::New,
                    members: add(MemberSource::Scim, &[ada.id]),
                    change: Change::cli(),
                },
            )
            .await,
        "inserting a taken group name",
    );
    expect_conflict(
        store
            .write_group(
                scope,
                GroupWrite {
                    group: staff.clone(),
                    expect: GroupExpect::Version(staff.version + 3),
                    members: add(MemberSource::Scim, &[ada.id]),
                    change: Change::cli(),
                },
            )
            .await,
        "updating a group with a stale version",
    );
    expect_conflict(
        store
            .delete_group(
                scope,
                staff.id,
                Some(staff.version + 3),
                &Change::cli(),
                at(9),
            )
            .await,
        "deleting a group with a stale version",
    );
    // A write after the refusals: once it is readable, anything they committed would be.
    let mut marker = ada.clone();
    marker.display_name = Some("Marker".into());
    update(&store, marker).await;
    let after = events(&store, org.id, 3).await;
    assert_eq!(after[..2], before[..], "nothing refused left an event");
    assert_eq!(kinds(&after[2..]), ["account.updated"]);
    let everywhere = store.events_page(None, None, 10_000).await.unwrap().events;
    assert_eq!(everywhere.len(), 3, "nor outside the organization");
}

pub async fn retention_and_settings_append_their_events(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 5).await;
    let ada = member(&store, org.id, "ada").await;
    let staff = group(&store, scope, "Staff").await;
    change(&store, scope, &staff, add(MemberSource::Manual, &[ada.id])).await;
    crate::support::deactivate(&store, &ada, at(10)).await;
    let before = events(&store, org.id, 5).await.len();
    let purged = store
        .purge_deactivated(scope, at(20), false, &Change::retention(), at(30))
        .await
        .unwrap();
    assert_eq!(purged.len(), 1);
    let token = TokenRecord {
        id: Uuid::new_v4(),
        org_id: org.id,
        hash: TokenHash::of("t1"),
        created_at: at(40),
        expires_at: None,
    };
    let enabled = org_event(&Change::cli(), org.id, EventType::OrgScimEnabled, at(40));
    store
        .install_scim_token(&token, None, true, std::slice::from_ref(&enabled))
        .await
        .unwrap();
    // Refused (a token is current): no event.
    let second = TokenRecord {
        id: Uuid::new_v4(),
        hash: TokenHash::of("t2"),
        ..token.clone()
    };
    expect_unique(
        store
            .install_scim_token(&second, None, true, std::slice::from_ref(&enabled))
            .await,
        "enabling SCIM twice",
    );
    let disabled = org_event(&Change::cli(), org.id, EventType::OrgScimDisabled, at(50));
    assert_eq!(
        store
            .revoke_scim_tokens(scope, std::slice::from_ref(&disabled))
            .await
            .unwrap(),
        1
    );
    // Nothing left to revoke: no second event.
    assert_eq!(
        store
            .revoke_scim_tokens(scope, std::slice::from_ref(&disabled))
            .await
            .unwrap(),
        0
    );
    let mut updated = org.clone();
    updated.seats = 9;
    updated.updated_at = at(60);
    let event = roster_domain::org_updated(&Change::cli(), &org, &updated).unwrap();
    store.update_org(&updated, &[event]).await.unwrap();

    let events = events(&store, org.id, before + 5).await;
    let rest = &events[before..];
    assert_eq!(
        kinds(rest),
        [
            "membership.removed",
            "account.removed",
            "org.scim_enabled",
            "org.scim_disabled",
            "org.updated",
        ]
    );
    assert_eq!(rest[0].source, ChangeSource::Retention);
    assert_eq!(rest[0].group_id, Some(staff.id));
    assert_eq!(rest[0].data["source"], "manual");
    assert_eq!(rest[1].account_id, Some(ada.id));
    assert_eq!(rest[1].occurred_at, at(30));
    assert_eq!(rest[4].data["changed"], json!(["seats"]));
    assert_eq!(rest[4].data["org"]["seats"], 9);
}

pub async fn the_feed_reads_in_order_per_organization_and_trims_behind_a_horizon(
    store: Arc<dyn Store>,
) {
    let (one, _) = org(&store, 50).await;
    let (two, _) = org(&store, 50).await;
    for i in 0..7 {
        member(&store, one.id, &format!("one-{i}")).await;
        member(&store, two.id, &format!("two-{i}")).await;
    }
    events(&store, one.id, 7).await;
    events(&store, two.id, 7).await;
    // Pages of 3 after each other's last position: every event once, in order.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.events_page(after, None, 3).await.unwrap();
        if page.events.is_empty() {
            assert_eq!(page.head, after, "the head is the last event read");
            break;
        }
        assert!(page.events.len() <= 3);
        for e in &page.events {
            assert!(
                after.is_none_or(|a| a < e.position),
                "strictly after the cursor"
            );
            after = Some(e.position);
            seen.push(
                e.event.data["account"]["userName"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    let expected: Vec<String> = (0..7)
        .flat_map(|i| [format!("one-{i}"), format!("two-{i}")])
        .collect();
    assert_eq!(seen, expected);
    let only_two = store.events_page(None, Some(two.id), 100).await.unwrap();
    assert_eq!(only_two.events.len(), 7);
    assert!(
        only_two
            .events
            .iter()
            .all(|e| e.event.org_id == Some(two.id))
    );
    assert_eq!(only_two.head, after, "the head is the whole feed's");

    // Trimming: everything occurred at at(1), so a cutoff after it removes all, in batches.
    let first = store.events_page(None, None, 1).await.unwrap().events[0].position;
    assert_eq!(store.trim_events(at(2), 10).await.unwrap(), 10);
    assert_eq!(store.trim_events(at(2), 10).await.unwrap(), 4);
    assert_eq!(store.trim_events(at(2), 10).await.unwrap(), 0);
    let after_trim = store.events_page(Some(first), None, 100).await.unwrap();
    assert!(after_trim.events.is_empty());
    assert_eq!(
        after_trim.horizon,
        after.unwrap(),
        "the horizon is the newest trimmed"
    );
    assert!(first < after_trim.horizon);
    // Newer events are kept by the same cutoff.
    member(&store, one.id, "later").await;
    let mut later = new_account(Some(one.id), "later-still");
    later.created_at = at(100);
    later.updated_at = at(100);
    insert(&store, later).await;
    assert_eq!(store.trim_events(at(2), 10).await.unwrap(), 1);
    events(&store, one.id, 1).await;
    let kept = store.events_page(None, None, 100).await.unwrap();
    assert_eq!(kept.events.len(), 1);
    assert_eq!(
        kept.events[0].event.data["account"]["userName"],
        "later-still"
    );
}

pub async fn sso_settings_and_an_administrators_removal_append_their_events(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 5).await;
    let mut admin = new_account(Some(org.id), "boss");
    admin.role = roster_domain::Role::Admin;
    let admin = insert(&store, admin).await;
    let config = roster_domain::SsoConfigRecord {
        org_id: org.id,
        provider: roster_domain::SsoProvider::Microsoft,
        tenant_id: Some(Uuid::new_v4()),
        issuer: None,
        client_id: "client".into(),
        sealed_secret: vec![1, 2, 3],
        created_at: at(1),
        updated_at: at(1),
    };
    let by = Change::console(admin.id);
    let configured = org_event(&by, org.id, EventType::OrgSsoConfigured, at(2));
    store
        .put_sso_config(scope, &config, &[configured])
        .await
        .unwrap();
    let disabled = org_event(&by, org.id, EventType::OrgSsoDisabled, at(3));
    assert!(
        store
            .delete_sso_config(scope, std::slice::from_ref(&disabled))
            .await
            .unwrap()
    );
    // Nothing left to remove: no event.
    assert!(
        !store
            .delete_sso_config(scope, std::slice::from_ref(&disabled))
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .remove_admin(
                scope,
                admin.id,
                roster_domain::Role::Student,
                at(4),
                &Change::cli()
            )
            .await
            .unwrap(),
        roster_domain::AdminRemoval::Removed
    );
    let events = events(&store, org.id, 4).await;
    assert_eq!(
        kinds(&events),
        [
            "account.created",
            "org.sso_configured",
            "org.sso_disabled",
            "account.updated"
        ]
    );
    assert_eq!(events[1].actor, Some(format!("admin:{}", admin.id)));
    assert_eq!(events[3].data["changed"], json!(["role"]));
    assert_eq!(events[3].data["account"]["role"], "student");
    assert_eq!(events[3].occurred_at, at(4));
}
