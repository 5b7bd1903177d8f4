//! Members added by hand in Roster stay, whatever membership changes SCIM sends.

use roster_sim::{Action, Profile, Status, UserSpec};

use crate::{
    fixture::{DOMAIN, school},
    support::{Expect, Roster, assert_agrees, clean_cycle},
};

pub async fn hand_added_group_members_survive_every_cycle(profile: Profile) {
    let roster = Roster::start();
    let org = roster.org("school", 200);
    let mut s = school();
    let mut engine = org.engine(profile);
    clean_cycle(&mut engine, &s.dir).await;
    let coach = format!("coach@{DOMAIN}");
    roster.cli(&[
        "user",
        "add",
        "--org",
        &org.id,
        "--user-name",
        &coach,
        "--role",
        "teacher",
    ]);
    let mut group = "Year 9 Science".to_owned();
    roster.cli(&[
        "group",
        "add-member",
        "--org",
        &org.id,
        "--group",
        &group,
        "--user-name",
        &coach,
    ]);
    let expect = |group: &str| Expect {
        manual_members: vec![(group.to_owned(), coach.clone())],
        ..Expect::default()
    };

    // 20 new members: three batches PATCHed to the same group concurrently.
    for i in 0..20 {
        let u = s
            .dir
            .add_user(UserSpec::simple(&format!("new.pupil{i}"), DOMAIN));
        s.dir.add_member(&s.a, &u);
    }
    let report = clean_cycle(&mut engine, &s.dir).await;
    assert_eq!(
        report.count(Action::AddMembers, Status::Success),
        3,
        "{report}"
    );
    assert_agrees(&roster, &org, &engine, &s.dir, &expect(&group)).await;

    // Removals, in the dialect's own form.
    for u in [&s.both, &s.only_a, &s.a_direct] {
        s.dir.remove_member(&s.a, u);
    }
    let report = clean_cycle(&mut engine, &s.dir).await;
    assert_eq!(
        report.count(Action::RemoveMembers, Status::Success),
        1,
        "{report}"
    );
    assert_agrees(&roster, &org, &engine, &s.dir, &expect(&group)).await;

    // A rename.
    group = "Year 9 Science Lab".to_owned();
    s.dir.rename_group(&s.a, &group);
    clean_cycle(&mut engine, &s.dir).await;
    assert_agrees(&roster, &org, &engine, &s.dir, &expect(&group)).await;

    // Every directory member leaves: the SCIM members go, the coach stays.
    let members: Vec<_> = s.dir.groups[&s.a].members.iter().cloned().collect();
    for u in &members {
        s.dir.remove_member(&s.a, u);
    }
    clean_cycle(&mut engine, &s.dir).await;
    assert_agrees(&roster, &org, &engine, &s.dir, &expect(&group)).await;

    // Restarting provisioning: a new initial cycle matches everything again.
    for u in &members {
        s.dir.add_member(&s.a, u);
    }
    engine.restart();
    clean_cycle(&mut engine, &s.dir).await;
    assert_agrees(&roster, &org, &engine, &s.dir, &expect(&group)).await;
}
