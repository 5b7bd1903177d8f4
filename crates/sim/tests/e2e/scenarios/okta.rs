//! The Okta profile: POST to create, PUT to update, PATCH `active`, group push by PATCH members.

use roster_sim::{Action, Profile, Status, UserSpec};

use crate::{
    fixture::{DOMAIN, school},
    support::{Expect, Roster, assert_agrees, clean_cycle, shown_user, upn},
};

pub async fn okta_profile_lifecycle_agrees_at_every_step() {
    let roster = Roster::start();
    let org = roster.org("school", 100);
    let mut s = school();
    let mut engine = org.engine(Profile::Okta);
    let none = Expect::default();
    engine.test_connection().await.unwrap();
    clean_cycle(&mut engine, &s.dir).await;
    assert_agrees(&roster, &org, &engine, &s.dir, &none).await;

    // A profile edit is a PUT of the whole user.
    s.dir
        .update_user(&s.both, |u| u.mail = "barbara@new-mail.example.edu".into());
    let report = clean_cycle(&mut engine, &s.dir).await;
    assert!(
        report
            .entries
            .iter()
            .all(|e| e.request.starts_with("PUT /Users/")),
        "{report}"
    );
    assert_agrees(&roster, &org, &engine, &s.dir, &none).await;

    // Unassign, then assign again: PATCH active false / true.
    s.dir.unassign_user(&s.solo);
    let report = clean_cycle(&mut engine, &s.dir).await;
    assert_eq!(
        report.count(Action::Disable, Status::Success),
        1,
        "{report}"
    );
    assert_eq!(shown_user(&roster, &upn(&s.dir, &s.solo))["active"], false);
    s.dir.assign_user(&s.solo);
    let report = clean_cycle(&mut engine, &s.dir).await;
    assert_eq!(report.count(Action::Enable, Status::Success), 1, "{report}");
    assert_agrees(&roster, &org, &engine, &s.dir, &none).await;

    // Group push: members added and removed, the group renamed.
    let newcomer = s.dir.add_user(UserSpec::simple("new.comer", DOMAIN));
    s.dir.add_member(&s.b, &newcomer);
    s.dir.remove_member(&s.b, &s.both);
    s.dir.rename_group(&s.b, "Chess Society");
    clean_cycle(&mut engine, &s.dir).await;
    assert_agrees(&roster, &org, &engine, &s.dir, &none).await;

    // Okta never deletes a user: a deletion in Okta deactivates it in the application.
    s.dir.delete_user(&s.via_b);
    let report = clean_cycle(&mut engine, &s.dir).await;
    assert_eq!(report.count(Action::Delete, Status::Success), 0, "{report}");
    assert_eq!(
        report.count(Action::Disable, Status::Success),
        1,
        "{report}"
    );
    assert_agrees(&roster, &org, &engine, &s.dir, &none).await;

    // Unlinking a pushed group deletes it; its members who lost every assignment are disabled.
    s.dir.unassign_group(&s.a);
    let report = clean_cycle(&mut engine, &s.dir).await;
    assert_eq!(report.count(Action::Delete, Status::Success), 1, "{report}");
    assert_agrees(&roster, &org, &engine, &s.dir, &none).await;
}
