//! A SCIM write's success entry (`Change::log`) is inserted by the store in the write's own
//! transaction: present exactly when the write committed, completed with what it skipped, and
//! absent (with the write's events) when the write is refused or rolled back.

use std::sync::Arc;

use roster_domain::{
    AccountWrite, Change, GroupExpect, GroupWrite, LogDraft, LogEntry, MemberSource, OrgId,
    OrgScope, Outcome, Store,
};

use crate::{
    events::events,
    support::{
        add, at, expect_conflict, expect_seat_limit, expect_unique, group, member, new_account,
        new_group, org,
    },
};

fn draft(org: OrgId, operation: &str, status: u16, invalid: &[&str]) -> LogDraft {
    LogDraft::new(
        LogEntry {
            org_id: org,
            at: at(30),
            operation: operation.to_owned(),
            resource_type: if operation.contains("Groups") {
                "Group"
            } else {
                "User"
            }
            .into(),
            resource_id: Some(format!("id of {operation}")),
            name: Some(format!("name of {operation}")),
            outcome: Outcome::Success,
            status,
            detail: None,
            duration_ms: 4,
            client_request_id: Some(format!("req {operation}")),
        },
        invalid.iter().map(|v| (*v).to_owned()).collect(),
    )
}

fn logged(draft: &LogDraft) -> Change {
    Change::scim(None).logged(Some(draft.clone()))
}

async fn entries(store: &Arc<dyn Store>, scope: OrgScope) -> Vec<LogEntry> {
    store.log_entries(scope, 100).await.unwrap()
}

pub async fn a_committed_write_stores_its_entry_with_what_it_skipped(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 5).await;
    let (other, _) = org_with_member(&store).await;
    let create = draft(org.id, "POST /Users", 201, &[]);
    let ada = store
        .write_account(AccountWrite {
            account: new_account(Some(org.id), "ada"),
            expected_version: None,
            takes_seat: true,
            end_scim_memberships: false,
            change: logged(&create),
        })
        .await
        .unwrap();
    assert_eq!(entries(&store, scope).await, [create.complete(&[])]);

    // A member of another organization and a value that is no id are skipped: the entry says so.
    let post = draft(org.id, "POST /Groups", 201, &["nope"]);
    let (staff, outcome) = store
        .write_group(
            scope,
            GroupWrite {
                group: new_group(org.id, "Staff"),
                expect: GroupExpect::New,
                members: add(MemberSource::Scim, &[ada.id, other]),
                change: logged(&post),
            },
        )
        .await
        .unwrap();
    assert_eq!(outcome.skipped, [other]);
    let stored = entries(&store, scope).await;
    assert_eq!(stored.len(), 2);
    let mut expected = post.complete(&[]);
    expected.outcome = Outcome::Skipped;
    expected.detail = Some(format!(
        "2 member values were not added (they are not users of this organization): '{other}', 'nope'"
    ));
    assert_eq!(stored[0], expected);

    let delete = draft(org.id, "DELETE /Groups/{id}", 204, &[]);
    assert!(
        store
            .delete_group(scope, staff.id, None, &logged(&delete), at(40))
            .await
            .unwrap()
    );
    let stored = entries(&store, scope).await;
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[0], delete.complete(&[]));
    assert_eq!(stored[0].outcome, Outcome::Success);
}

/// An organization with one member, whose id another organization's group may name.
async fn org_with_member(store: &Arc<dyn Store>) -> (roster_domain::AccountId, OrgScope) {
    let (other, scope) = org(store, 1).await;
    (member(store, other.id, "eve").await.id, scope)
}

pub async fn a_refused_write_stores_neither_its_entry_nor_its_events(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 1).await;
    let ada = member(&store, org.id, "ada").await;
    let staff = group(&store, scope, "Staff").await;
    let before = events(&store, org.id, 2).await.len();
    let refused = draft(org.id, "refused", 201, &[]);
    expect_seat_limit(
        store
            .write_account(AccountWrite {
                account: new_account(Some(org.id), "bob"),
                expected_version: None,
                takes_seat: true,
                end_scim_memberships: false,
                change: logged(&refused),
            })
            .await,
        1,
        1,
    );
    let mut stale = ada.clone();
    stale.display_name = Some("Stale".into());
    expect_conflict(
        store
            .write_account(AccountWrite {
                account: stale,
                expected_version: Some(ada.version + 1),
                takes_seat: false,
                end_scim_memberships: false,
                change: logged(&refused),
            })
            .await,
        "updating with a stale version",
    );
    expect_unique(
        store
            .write_group(
                scope,
                GroupWrite {
                    group: new_group(org.id, "STAFF"),
                    expect: GroupExpect::New,
                    members: add(MemberSource::Scim, &[ada.id]),
                    change: logged(&refused),
                },
            )
            .await,
        "inserting a taken group name",
    );
    expect_conflict(
        store
            .delete_group(
                scope,
                staff.id,
                Some(staff.version + 3),
                &logged(&refused),
                at(9),
            )
            .await,
        "deleting a group with a stale version",
    );
    // No such group: nothing deleted, nothing logged as a success.
    assert!(
        !store
            .delete_group(
                scope,
                roster_domain::GroupId::new_random(),
                None,
                &logged(&refused),
                at(9),
            )
            .await
            .unwrap()
    );
    // One write that commits: once its event is readable, every earlier one would be too.
    let accepted = draft(org.id, "DELETE /Groups/{id}", 204, &[]);
    store
        .delete_group(scope, staff.id, None, &logged(&accepted), at(10))
        .await
        .unwrap();
    let after = events(&store, org.id, before + 1).await;
    assert_eq!(after.len(), before + 1, "only the accepted write's event");
    assert_eq!(entries(&store, scope).await, [accepted.complete(&[])]);
}
