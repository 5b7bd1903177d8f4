//! Assignment changes: unassigning users and groups, and assigning them again.

use roster_sim::{Action, Profile, Status};

use crate::{
    fixture::school,
    support::{Expect, Roster, assert_agrees, clean_cycle, group_name, shown_user, upn},
};

pub async fn unassigning_a_user_deactivates_it_and_frees_its_seat(profile: Profile) {
    let roster = Roster::start();
    let org = roster.org("school", 100);
    let mut s = school();
    let mut engine = org.engine(profile);
    clean_cycle(&mut engine, &s.dir).await;
    let seats_before = roster.seats_used(&org);

    s.dir.unassign_user(&s.solo);
    let report = clean_cycle(&mut engine, &s.dir).await;

    assert_eq!(report.entries.len(), 1, "{report}");
    assert_eq!(report.count(Action::Disable, Status::Success), 1);
    let shown = shown_user(&roster, &upn(&s.dir, &s.solo));
    assert_eq!(shown["active"], false);
    assert_eq!(roster.seats_used(&org), seats_before - 1);
    assert_agrees(&roster, &org, &engine, &s.dir, &Expect::default()).await;

    // Still a member of an assigned group: unassigning directly changes nothing.
    s.dir.unassign_user(&s.a_direct);
    let report = engine.run_cycle(&s.dir).await;
    assert!(report.entries.is_empty(), "{report}");
    assert_agrees(&roster, &org, &engine, &s.dir, &Expect::default()).await;
}

pub async fn unassigning_a_group_deactivates_only_users_who_lost_every_assignment_and_deletes_it(
    profile: Profile,
) {
    let roster = Roster::start();
    let org = roster.org("school", 100);
    let mut s = school();
    let mut engine = org.engine(profile);
    clean_cycle(&mut engine, &s.dir).await;
    let a_name = group_name(&s.dir, &s.a);

    s.dir.unassign_group(&s.a);
    let report = clean_cycle(&mut engine, &s.dir).await;

    // only_a and the fillers of A lost every assignment; both (via B) and a_direct did not.
    let lost: Vec<String> = std::iter::once(&s.only_a)
        .chain(s.fillers.iter().step_by(2))
        .map(|u| upn(&s.dir, u))
        .collect();
    assert_eq!(
        report.count(Action::Disable, Status::Success),
        lost.len(),
        "{report}"
    );
    assert_eq!(report.count(Action::Delete, Status::Success), 1, "{report}");
    let last_disable = report
        .entries
        .iter()
        .rposition(|e| e.action == Action::Disable);
    let delete = report
        .entries
        .iter()
        .position(|e| e.action == Action::Delete);
    assert!(
        last_disable < delete,
        "users are disabled before the group is deleted"
    );
    for name in &lost {
        assert_eq!(shown_user(&roster, name)["active"], false, "{name}");
    }
    for u in [&s.both, &s.a_direct, &s.via_b] {
        assert_eq!(shown_user(&roster, &upn(&s.dir, u))["active"], true);
    }
    roster.cli_fails(&["group", "show", "--org", &org.id, "--group", &a_name]);
    assert_agrees(&roster, &org, &engine, &s.dir, &Expect::default()).await;
}

pub async fn reassigning_reactivates_the_same_accounts_and_recreates_the_group(profile: Profile) {
    let roster = Roster::start();
    let org = roster.org("school", 100);
    let mut s = school();
    let mut engine = org.engine(profile);
    clean_cycle(&mut engine, &s.dir).await;
    let only_a_id = shown_user(&roster, &upn(&s.dir, &s.only_a))["id"].clone();
    let old_group = engine.state().groups[&s.a].scim_id.clone();
    s.dir.unassign_user(&s.solo);
    s.dir.unassign_group(&s.a);
    clean_cycle(&mut engine, &s.dir).await;

    s.dir.assign_user(&s.solo);
    s.dir.assign_group(&s.a);
    let report = clean_cycle(&mut engine, &s.dir).await;

    // solo, only_a and A's six fillers come back by PATCH active, never by a new POST.
    assert_eq!(report.count(Action::Enable, Status::Success), 8, "{report}");
    let user_creates = report
        .entries
        .iter()
        .filter(|e| e.action == Action::Create && e.kind == roster_sim::ObjectKind::User)
        .count();
    assert_eq!(user_creates, 0, "{report}");
    assert_eq!(
        report.count(Action::Create, Status::Success),
        1,
        "the group again: {report}"
    );
    assert_ne!(engine.state().groups[&s.a].scim_id, old_group);
    assert_eq!(
        shown_user(&roster, &upn(&s.dir, &s.only_a))["id"],
        only_a_id
    );
    assert_agrees(&roster, &org, &engine, &s.dir, &Expect::default()).await;
}
