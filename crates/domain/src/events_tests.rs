use super::*;
use crate::Role;

fn account() -> Account {
    let now = OffsetDateTime::UNIX_EPOCH;
    Account {
        id: AccountId::new_random(),
        org_id: Some(OrgId::new_random()),
        user_name: "ada@example.org".into(),
        external_id: None,
        display_name: Some("Ada".into()),
        role: Role::Learner,
        active: true,
        active_unassigned: false,
        deactivated_at: None,
        scim_managed: true,
        scim_deleted: false,
        attributes: serde_json::Map::new(),
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

fn kinds(events: &[NewEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

#[test]
fn an_account_write_is_one_event_named_by_what_changed() {
    let change = Change::scim(Some(Uuid::nil()));
    let before = account();
    assert_eq!(
        kinds(&account_events(&change, None, &before, &[])),
        ["account.created"]
    );
    let mut after = before.clone();
    after.version = 2;
    assert!(account_events(&change, Some(&before), &after, &[]).is_empty());
    after.display_name = Some("Ada L".into());
    let events = account_events(&change, Some(&before), &after, &[]);
    assert_eq!(kinds(&events), ["account.updated"]);
    assert_eq!(events[0].data["changed"], json!(["displayName"]));
    assert_eq!(
        events[0].actor.as_deref(),
        Some("token:00000000-0000-0000-0000-000000000000")
    );
    after.active = false;
    let group = GroupId::new_random();
    let events = account_events(
        &change,
        Some(&before),
        &after,
        &[(group, MemberSource::Scim)],
    );
    assert_eq!(
        kinds(&events),
        ["account.deactivated", "membership.removed"]
    );
    assert_eq!(events[0].data["changed"], json!(["displayName", "active"]));
    assert_eq!(events[1].group_id, Some(group));
    let events = account_events(&Change::cli(), Some(&after), &before, &[]);
    assert_eq!(kinds(&events), ["account.reactivated"]);
    assert_eq!(events[0].source.as_str(), "cli");
}

#[test]
fn a_group_write_names_adoption_renames_and_each_applied_membership() {
    let now = OffsetDateTime::UNIX_EPOCH;
    let before = Group {
        id: GroupId::new_random(),
        org_id: OrgId::new_random(),
        display_name: "Staff".into(),
        external_id: None,
        scim_managed: false,
        attributes: serde_json::Map::new(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let change = Change::scim(None);
    let mut after = before.clone();
    after.scim_managed = true;
    let a = AccountId::new_random();
    let events = group_events(
        &change,
        GroupBefore::Was(&before),
        &after,
        &[(a, MemberSource::Scim)],
        &[],
    );
    assert_eq!(kinds(&events), ["group.adopted", "membership.added"]);
    let mut renamed = after.clone();
    renamed.display_name = "Teachers".into();
    let events = group_events(&change, GroupBefore::Was(&after), &renamed, &[], &[]);
    assert_eq!(kinds(&events), ["group.renamed"]);
    let events = group_events(
        &change,
        GroupBefore::MembersOnly,
        &renamed,
        &[],
        &[(a, MemberSource::Manual)],
    );
    assert_eq!(kinds(&events), ["membership.removed"]);
    assert_eq!(events[0].data["source"], "manual");
    let events = group_deleted_events(&change, &renamed, &[(a, MemberSource::Scim)], now);
    assert_eq!(kinds(&events), ["membership.removed", "group.deleted"]);
}

#[test]
fn every_type_reads_back_from_its_name() {
    for t in EventType::ALL {
        assert_eq!(EventType::parse(t.as_str()), Some(t));
    }
    assert_eq!(EventType::parse("account"), None);
}
