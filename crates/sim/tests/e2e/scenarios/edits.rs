//! Attribute changes in the directory reach Roster in the dialect's update form.

use roster_sim::{Action, Profile, Status};

use crate::{
    fixture::school,
    support::{Expect, Roster, assert_agrees, clean_cycle, shown_user, upn},
};

pub async fn directory_edits_are_sent_as_updates_and_land(profile: Profile) {
    let roster = Roster::start();
    let org = roster.org("school", 100);
    let mut s = school();
    let mut engine = org.engine(profile);
    clean_cycle(&mut engine, &s.dir).await;

    s.dir.update_user(&s.both, |u| {
        u.display_name = "Barbara B. Both".into();
        u.given_name = "Barbie".into();
    });
    s.dir
        .update_user(&s.only_a, |u| u.mail = "olive@new-mail.example.edu".into());
    s.dir
        .update_user(&s.a_direct, |u| u.employee_id = Some("4711".into()));
    s.dir.update_user(&s.via_b, |u| u.surname = "Knight".into());
    s.dir.update_user(&s.solo, |u| {
        u.user_principal_name = "sol.renamed@ridgemont.example.edu".into();
        u.mail_nickname = "sol.renamed".into();
    });
    s.dir.rename_group(&s.b, "Chess & Go Club");
    let report = clean_cycle(&mut engine, &s.dir).await;

    assert_eq!(report.count(Action::Update, Status::Success), 6, "{report}");
    assert_eq!(
        report.entries.len(),
        6,
        "only the changes are sent: {report}"
    );
    assert_eq!(shown_user(&roster, &upn(&s.dir, &s.solo))["active"], true);
    assert_agrees(&roster, &org, &engine, &s.dir, &Expect::default()).await;
}
