//! Creations Roster refuses: the seat limit, and accounts that belong outside the organization.

use roster_sim::{Action, Directory, Mismatch, Profile, Status, UserSpec, compare, scope::Scope};

use crate::{
    fixture::DOMAIN,
    support::{Expect, Roster, assert_agrees, clean_cycle, shown_user},
};

pub async fn seat_limit_failures_are_held_retried_and_succeed_after_seats_are_raised(
    profile: Profile,
) {
    let roster = Roster::start();
    let org = roster.org("business", 20);
    let mut dir = Directory::new();
    let everyone = dir.add_group("Everyone");
    let half = dir.add_group("Half");
    for i in 0..30 {
        let u = dir.add_user(UserSpec::simple(&format!("staff.member{i}"), DOMAIN));
        dir.add_member(&everyone, &u);
        if i % 2 == 0 {
            dir.add_member(&half, &u);
        }
    }
    dir.assign_group(&everyone);
    dir.assign_group(&half);
    let mut engine = org.engine(profile);

    // Cycle 1: four workers race for 20 seats; exactly ten creations are refused.
    let first = engine.run_cycle(&dir).await;
    let refused = first.failures();
    assert_eq!(refused.len(), 10, "{first}");
    for entry in &refused {
        assert_eq!(entry.action, Action::Create);
        assert!(
            entry.detail.contains("20 of 20"),
            "the detail states the limit and the count: {}",
            entry.detail
        );
    }
    assert_eq!(roster.seats_used(&org), 20);
    let comparison = compare(&engine, &dir).await;
    let missing = comparison
        .mismatches
        .iter()
        .filter(|m| matches!(m, Mismatch::UserNotProvisioned { .. }))
        .count();
    assert_eq!(missing, 10, "{comparison}");

    // Cycle 2 retries and fails again; cycle 3 holds them (back-off); seats are raised.
    assert_eq!(engine.run_cycle(&dir).await.failures().len(), 10);
    let third = engine.run_cycle(&dir).await;
    assert_eq!(third.with_status(Status::Skipped).count(), 10, "{third}");
    assert!(third.failures().is_empty());
    roster.cli(&["org", "update", &org.id, "--seats", "40"]);

    let fourth = clean_cycle(&mut engine, &dir).await;
    assert_eq!(
        fourth.count(Action::Create, Status::Success),
        10,
        "{fourth}"
    );
    assert!(fourth.count(Action::AddMembers, Status::Success) >= 2);
    let fifth = engine.run_cycle(&dir).await;
    assert!(fifth.entries.is_empty(), "{fifth}");
    assert_eq!(roster.seats_used(&org), 30);
    let expect = Expect {
        roles: Scope::of(&dir)
            .users
            .iter()
            .map(|u| {
                (
                    dir.users[u].spec.user_principal_name.clone(),
                    "learner".into(),
                )
            })
            .collect(),
        ..Expect::default()
    };
    assert_agrees(&roster, &org, &engine, &dir, &expect).await;
}

pub async fn an_independent_account_blocks_creation_until_it_is_invited(profile: Profile) {
    let roster = Roster::start();
    let org = roster.org("school", 100);
    let indie_name = format!("indie.learner@{DOMAIN}");
    let indie = roster.cli(&["user", "add", "--user-name", &indie_name]);
    let mut dir = Directory::new();
    let indie_user = dir.add_user(UserSpec::simple("indie.learner", DOMAIN));
    dir.assign_user(&indie_user);
    for i in 0..3 {
        let u = dir.add_user(UserSpec::simple(&format!("class.mate{i}"), DOMAIN));
        dir.assign_user(&u);
    }
    let mut engine = org.engine(profile);

    let first = engine.run_cycle(&dir).await;
    let failures = first.failures();
    assert_eq!(failures.len(), 1, "{first}");
    assert_eq!(failures[0].http_status, Some(409));
    assert_eq!(failures[0].action, Action::Create);
    assert!(
        failures[0].detail.to_lowercase().contains("invite"),
        "the detail tells the administrator what to do: {}",
        failures[0].detail
    );
    assert_eq!(
        shown_user(&roster, &indie_name)["org"],
        serde_json::Value::Null
    );

    roster.cli(&[
        "user",
        "invite",
        "--org",
        &org.id,
        "--user-name",
        &indie_name,
    ]);
    let role = shown_user(&roster, &indie_name)["role"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = clean_cycle(&mut engine, &dir).await;

    assert_eq!(second.count(Action::Match, Status::Success), 1, "{second}");
    assert_eq!(second.count(Action::Create, Status::Success), 0, "{second}");
    let shown = shown_user(&roster, &indie_name);
    assert_eq!(shown["id"], indie["id"], "the same account, now managed");
    let expect = Expect {
        roles: vec![(indie_name, role)],
        ..Expect::default()
    };
    assert_agrees(&roster, &org, &engine, &dir, &expect).await;
}
