//! Planning: what each cycle sends for a given directory change.

use super::*;
use crate::{
    directory::UserSpec,
    profile::Dialect,
    state::{Backoff, Effect},
};

const ENTRA: Profile = Profile::Entra(Dialect::Default);

struct Fixture {
    dir: Directory,
    state: JobState,
    ada: UserId,
    bob: UserId,
    maths: GroupId,
}

/// Ada assigned directly and in Maths; Bob only through Maths; everything already synced.
fn synced() -> Fixture {
    let mut dir = Directory::new();
    let ada = dir.add_user(UserSpec::simple("ada.lovelace", "example.edu"));
    let bob = dir.add_user(UserSpec::simple("bob.babbage", "example.edu"));
    let maths = dir.add_group("Maths");
    dir.add_member(&maths, &ada);
    dir.add_member(&maths, &bob);
    dir.assign_user(&ada);
    dir.assign_group(&maths);
    let mut state = JobState {
        cycle: 1,
        ..JobState::default()
    };
    for (i, id) in [&ada, &bob].into_iter().enumerate() {
        state.apply(Effect::UserSynced {
            user: id.clone(),
            scim_id: format!("s{i}"),
            attrs: UserAttrs::from(&dir.users[id].spec),
            active: true,
        });
    }
    state.apply(Effect::GroupSynced {
        group: maths.clone(),
        scim_id: "g1".into(),
        display_name: "Maths".into(),
    });
    state.apply(Effect::MembersAdded {
        group: maths.clone(),
        users: vec![ada.clone(), bob.clone()],
    });
    Fixture {
        dir,
        state,
        ada,
        bob,
        maths,
    }
}

#[test]
fn the_initial_cycle_provisions_every_user_in_scope() {
    let f = synced();
    let plan = plan_users(&f.dir, &JobState::default(), ENTRA, 1);
    assert_eq!(plan.tasks.len(), 2);
    assert!(
        plan.tasks
            .iter()
            .all(|t| matches!(t, UserTask::Provision { .. }))
    );
}

#[test]
fn an_unchanged_directory_plans_nothing() {
    let f = synced();
    assert!(plan_users(&f.dir, &f.state, ENTRA, 2).tasks.is_empty());
    assert!(plan_groups(&f.dir, &f.state, 2).tasks.is_empty());
    assert!(plan_members(&f.dir, &f.state, 2, 10).tasks.is_empty());
}

#[test]
fn an_edited_user_is_updated_with_only_the_changed_attributes() {
    let mut f = synced();
    f.dir
        .update_user(&f.ada, |u| u.mail = "ada@new.example.edu".into());
    let plan = plan_users(&f.dir, &f.state, ENTRA, 2);
    assert_eq!(plan.tasks.len(), 1);
    match &plan.tasks[0] {
        UserTask::Update {
            changed,
            reactivate,
            scim_id,
            ..
        } => {
            assert_eq!(changed, &vec![Attr::Email]);
            assert!(!reactivate);
            assert_eq!(scim_id, "s0");
        }
        other => panic!("expected an update, got {other:?}"),
    }
}

#[test]
fn unassigning_a_group_disables_only_users_who_lost_every_assignment_then_deletes_it() {
    let mut f = synced();
    f.dir.unassign_group(&f.maths);

    let users = plan_users(&f.dir, &f.state, ENTRA, 2);
    assert_eq!(
        users.tasks,
        vec![UserTask::SetActive {
            user: f.bob.clone(),
            scim_id: "s1".into(),
            user_name: "bob.babbage@example.edu".into(),
            active: false,
        }]
    );
    let groups = plan_groups(&f.dir, &f.state, 2);
    assert_eq!(
        groups.tasks,
        vec![GroupTask::Delete {
            group: f.maths.clone(),
            scim_id: "g1".into(),
            display_name: "Maths".into(),
        }]
    );
}

#[test]
fn reassigning_a_disabled_user_enables_it_without_a_new_create() {
    let mut f = synced();
    f.state.apply(Effect::UserActive {
        user: f.bob.clone(),
        active: false,
    });
    let plan = plan_users(&f.dir, &f.state, ENTRA, 2);
    assert_eq!(
        plan.tasks,
        vec![UserTask::SetActive {
            user: f.bob.clone(),
            scim_id: "s1".into(),
            user_name: "bob.babbage@example.edu".into(),
            active: true,
        }]
    );
}

#[test]
fn a_hard_deleted_user_is_deleted_by_entra_and_disabled_by_okta() {
    let mut f = synced();
    f.dir.delete_user(&f.ada);

    let entra = plan_users(&f.dir, &f.state, ENTRA, 2);
    assert!(matches!(&entra.tasks[..], [UserTask::Delete { scim_id, .. }] if scim_id == "s0"));
    let okta = plan_users(&f.dir, &f.state, Profile::Okta, 2);
    assert!(matches!(
        &okta.tasks[..],
        [UserTask::SetActive { active: false, .. }]
    ));
}

#[test]
fn a_member_removed_in_the_directory_is_removed_from_the_group() {
    let mut f = synced();
    f.dir.remove_member(&f.maths, &f.bob);
    let plan = plan_members(&f.dir, &f.state, 2, 10);
    assert_eq!(plan.tasks.len(), 1);
    let task = &plan.tasks[0];
    assert!(!task.add);
    assert_eq!(task.members.len(), 1);
    assert_eq!(task.members[0].0, f.bob);
    assert_eq!(task.members[0].1.id, "s1");
}

#[test]
fn members_are_added_in_batches() {
    let mut f = synced();
    f.state.groups.get_mut(&f.maths).unwrap().members.clear();
    for i in 0..3 {
        let u = f
            .dir
            .add_user(UserSpec::simple(&format!("extra.user{i}"), "example.edu"));
        f.dir.add_member(&f.maths, &u);
        f.state.apply(Effect::UserSynced {
            user: u.clone(),
            scim_id: format!("x{i}"),
            attrs: UserAttrs::from(&f.dir.users[&u].spec),
            active: true,
        });
    }
    let plan = plan_members(&f.dir, &f.state, 2, 2);
    let sizes: Vec<usize> = plan.tasks.iter().map(|t| t.members.len()).collect();
    assert_eq!(sizes, vec![2, 2, 1]);
    assert!(plan.tasks.iter().all(|t| t.add));
}

#[test]
fn members_without_an_anchor_wait_for_a_later_cycle() {
    let mut f = synced();
    let newcomer = f.dir.add_user(UserSpec::simple("new.comer", "example.edu"));
    f.dir.add_member(&f.maths, &newcomer);
    assert!(plan_members(&f.dir, &f.state, 2, 10).tasks.is_empty());
}

#[test]
fn a_held_user_is_skipped_until_its_retry_cycle() {
    let f = synced();
    let mut state = JobState {
        cycle: 1,
        ..JobState::default()
    };
    state.record_failure(
        ObjectKey::User(f.ada.clone()),
        "seat limit reached".into(),
        Backoff { first: 2, max: 8 },
    );

    let plan = plan_users(&f.dir, &state, ENTRA, 2);
    assert_eq!(plan.tasks.len(), 1);
    assert_eq!(plan.skipped.len(), 1);
    assert_eq!(plan.skipped[0].status, Status::Skipped);
    assert!(plan.skipped[0].detail.contains("retried in cycle 3"));

    assert_eq!(plan_users(&f.dir, &state, ENTRA, 3).tasks.len(), 2);
}

#[test]
fn a_renamed_group_is_renamed_not_recreated() {
    let mut f = synced();
    f.dir.rename_group(&f.maths, "Mathematics");
    let plan = plan_groups(&f.dir, &f.state, 2);
    assert_eq!(
        plan.tasks,
        vec![GroupTask::Rename {
            group: f.maths.clone(),
            scim_id: "g1".into(),
            display_name: "Mathematics".into(),
        }]
    );
}
