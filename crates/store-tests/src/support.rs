//! Builders and assertions shared by the cases. Times carry microseconds, the precision both
//! stores keep, so round trips are checked exactly.

use std::{
    fmt::{Debug, Display},
    sync::Arc,
};

use roster_domain::{
    Account, AccountId, AccountWrite, Group, GroupExpect, GroupId, GroupWrite, MemberSource,
    MembershipChange, MembershipOutcome, Org, OrgId, OrgKind, OrgScope, Page, Role, Store,
    StoreError, StoreFilter, user_name_key,
};
use roster_scim::{
    filter::parse_filter,
    schema::{GROUP_RESOURCE, USER_RESOURCE},
};
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime, macros::datetime};

/// A fixed instant with microseconds, and offsets from it.
pub fn at(seconds: i64) -> OffsetDateTime {
    datetime!(2026-03-01 09:30:00.123456 UTC) + Duration::seconds(seconds)
}

pub fn new_org(seats: u32, created: OffsetDateTime) -> Org {
    Org {
        id: OrgId::new_random(),
        name: format!("Org {seats} seats"),
        kind: OrgKind::School,
        seats,
        retention_days: None,
        domains: Vec::new(),
        created_at: created,
        updated_at: created,
    }
}

/// Inserts an organization and returns it with its scope.
pub async fn org(store: &Arc<dyn Store>, seats: u32) -> (Org, OrgScope) {
    let org = new_org(seats, at(0));
    store.insert_org(&org).await.unwrap();
    let scope = OrgScope::trusted(org.id);
    (org, scope)
}

fn attributes(user_name: &str) -> Map<String, Value> {
    let Value::Object(map) = json!({
        "name": {"givenName": "Ada", "familyName": user_name},
        "emails": [{"value": format!("{user_name}@example.edu"), "type": "work", "primary": true}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Maths", "level": 3.5},
    }) else {
        panic!("a JSON object literal is an object");
    };
    map
}

/// An active, SCIM-managed account (not stored yet).
pub fn new_account(org: Option<OrgId>, user_name: &str) -> Account {
    Account {
        id: AccountId::new_random(),
        org_id: org,
        user_name: user_name.to_owned(),
        external_id: Some(format!("ext-{user_name}")),
        display_name: Some(format!("{user_name} display")),
        role: Role::Student,
        active: true,
        deactivated_at: None,
        scim_managed: true,
        scim_deleted: false,
        active_unassigned: false,
        attributes: attributes(user_name),
        created_at: at(1),
        updated_at: at(1),
        version: 0,
    }
}

/// Inserts `account`, taking a seat when it is active in an organization.
pub async fn insert(store: &Arc<dyn Store>, account: Account) -> Account {
    let takes_seat = account.active && account.org_id.is_some();
    store
        .write_account(AccountWrite {
            account,
            expected_version: None,
            takes_seat,
            end_scim_memberships: false,
            change: roster_domain::Change::cli(),
        })
        .await
        .unwrap()
}

/// Inserts an active account of `org` named `user_name`.
pub async fn member(store: &Arc<dyn Store>, org: OrgId, user_name: &str) -> Account {
    insert(store, new_account(Some(org), user_name)).await
}

/// The stored account with this id, read through the platform-wide userName lookup (the trait
/// has no read by id): `None` unless an account with this id is stored under `user_name` — so an
/// account never written, or purged, reads as absent.
pub async fn stored_account(
    store: &Arc<dyn Store>,
    id: AccountId,
    user_name: &str,
) -> Option<Account> {
    store
        .account_by_user_name(&user_name_key(user_name))
        .await
        .unwrap()
        .filter(|a| a.id == id)
}

/// Updates `account` (with its current version) without taking a seat.
pub async fn update(store: &Arc<dyn Store>, account: Account) -> Account {
    let expected = account.version;
    store
        .write_account(AccountWrite {
            account,
            expected_version: Some(expected),
            takes_seat: false,
            end_scim_memberships: false,
            change: roster_domain::Change::cli(),
        })
        .await
        .unwrap()
}

/// Deactivates a stored account at `when`.
pub async fn deactivate(
    store: &Arc<dyn Store>,
    account: &Account,
    when: OffsetDateTime,
) -> Account {
    let mut next = account.clone();
    next.active = false;
    next.deactivated_at = Some(when);
    next.updated_at = when;
    update(store, next).await
}

pub fn new_group(org: OrgId, display_name: &str) -> Group {
    let Value::Object(attributes) = json!({"urn:example:extension": {"room": "B12"}}) else {
        panic!("a JSON object literal is an object");
    };
    Group {
        id: GroupId::new_random(),
        org_id: org,
        display_name: display_name.to_owned(),
        external_id: Some(format!("ext-{display_name}")),
        scim_managed: true,
        attributes,
        created_at: at(2),
        updated_at: at(2),
        version: 0,
    }
}

/// Inserts a group without members.
pub async fn group(store: &Arc<dyn Store>, scope: OrgScope, display_name: &str) -> Group {
    let write = GroupWrite {
        group: new_group(scope.org_id(), display_name),
        expect: GroupExpect::New,
        members: MembershipChange::none(MemberSource::Scim),
        change: roster_domain::Change::cli(),
    };
    store.write_group(scope, write).await.unwrap().0
}

/// Applies a membership change to a stored group (`MembersOnly`).
pub async fn change(
    store: &Arc<dyn Store>,
    scope: OrgScope,
    group: &Group,
    members: MembershipChange,
) -> MembershipOutcome {
    let write = GroupWrite {
        group: group.clone(),
        expect: GroupExpect::MembersOnly,
        members,
        change: roster_domain::Change::cli(),
    };
    store.write_group(scope, write).await.unwrap().1
}

pub fn add(source: MemberSource, ids: &[AccountId]) -> MembershipChange {
    MembershipChange {
        add: ids.to_vec(),
        ..MembershipChange::none(source)
    }
}

pub fn remove(source: MemberSource, ids: &[AccountId]) -> MembershipChange {
    MembershipChange {
        remove: ids.to_vec(),
        ..MembershipChange::none(source)
    }
}

pub fn replace(source: MemberSource, ids: &[AccountId]) -> MembershipChange {
    MembershipChange {
        replace: Some(ids.to_vec()),
        ..MembershipChange::none(source)
    }
}

/// The members of a group as (account, source), sorted by account id.
pub async fn members(
    store: &Arc<dyn Store>,
    scope: OrgScope,
    group: GroupId,
) -> Vec<(AccountId, MemberSource)> {
    let mut members: Vec<_> = store
        .group_members(scope, group)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.account_id, m.source))
        .collect();
    members.sort_by_key(|(id, _)| *id);
    members
}

/// `pairs` sorted by account id, to compare with [`members`].
pub fn sorted(mut pairs: Vec<(AccountId, MemberSource)>) -> Vec<(AccountId, MemberSource)> {
    pairs.sort_by_key(|(id, _)| *id);
    pairs
}

/// A filter on Users in its store form; it must lower whole.
pub fn user_filter(text: &str) -> StoreFilter {
    StoreFilter::lower(&USER_RESOURCE, &parse_filter(text).unwrap())
        .unwrap_or_else(|| panic!("'{text}' should be answered in SQL"))
}

/// A filter on Groups in its store form; it must lower whole.
pub fn group_filter(text: &str) -> StoreFilter {
    StoreFilter::lower(&GROUP_RESOURCE, &parse_filter(text).unwrap())
        .unwrap_or_else(|| panic!("'{text}' should be answered in SQL"))
}

/// `id eq "<id>"`.
pub fn id_is(id: impl Display) -> String {
    format!("id eq \"{id}\"")
}

/// The accounts SCIM sees in the organization that match the Users filter `text` (all of them
/// without one), in listing order.
pub async fn accounts(store: &Arc<dyn Store>, scope: OrgScope, text: Option<&str>) -> Vec<Account> {
    let filter = text.map(user_filter);
    let (found, total) = store
        .accounts(scope, filter.as_ref(), Page::ALL)
        .await
        .unwrap();
    assert_eq!(total, found.len() as u64, "{text:?}: every row is a match");
    found
}

/// The groups of the organization that match the Groups filter `text` (all of them without
/// one), in listing order.
pub async fn groups(store: &Arc<dyn Store>, scope: OrgScope, text: Option<&str>) -> Vec<Group> {
    let filter = text.map(group_filter);
    let (found, total) = store
        .groups(scope, filter.as_ref(), Page::ALL)
        .await
        .unwrap();
    assert_eq!(total, found.len() as u64, "{text:?}: every row is a match");
    found
}

pub fn ids(accounts: &[Account]) -> Vec<AccountId> {
    accounts.iter().map(|a| a.id).collect()
}

pub fn expect_unique<T: Debug>(result: Result<T, StoreError>, doing: &str) {
    match result {
        Err(StoreError::UniqueViolation(_)) => {}
        other => panic!("{doing}: expected UniqueViolation, got {other:?}"),
    }
}

pub fn expect_conflict<T: Debug>(result: Result<T, StoreError>, doing: &str) {
    match result {
        Err(StoreError::VersionConflict) => {}
        other => panic!("{doing}: expected VersionConflict, got {other:?}"),
    }
}

pub fn expect_seat_limit<T: Debug>(result: Result<T, StoreError>, seats: u32, used: u32) {
    match result {
        Err(StoreError::SeatLimit(roster_domain::SeatLimit { seats: s, used: u }))
            if s == seats && u == used => {}
        other => panic!("expected SeatLimit {{ seats: {seats}, used: {used} }}, got {other:?}"),
    }
}
