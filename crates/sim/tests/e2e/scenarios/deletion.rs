//! Hard deletion in the directory, then the same person created again.

use roster_sim::{Action, Profile, Status, requests};

use crate::{
    fixture::school,
    support::{Expect, Roster, assert_agrees, clean_cycle, group_name, shown_user, upn},
};

pub async fn hard_delete_ends_management_and_recreation_reactivates_the_same_account(
    profile: Profile,
) {
    let roster = Roster::start();
    let org = roster.org("school", 100);
    let mut s = school();
    let mut engine = org.engine(profile);
    clean_cycle(&mut engine, &s.dir).await;
    let name = upn(&s.dir, &s.both);
    let spec = s.dir.users[&s.both].spec.clone();
    let account_id = shown_user(&roster, &name)["id"]
        .as_str()
        .unwrap()
        .to_owned();

    s.dir.delete_user(&s.both);
    let report = clean_cycle(&mut engine, &s.dir).await;

    assert_eq!(report.entries.len(), 1, "{report}");
    assert_eq!(report.count(Action::Delete, Status::Success), 1);
    // The comparison also GETs the deleted id and expects 404.
    assert_agrees(&roster, &org, &engine, &s.dir, &Expect::default()).await;
    let shown = shown_user(&roster, &name);
    assert_eq!(shown["active"], false, "deleted means deactivated: {shown}");
    assert_eq!(
        shown["scim_managed"], false,
        "and no longer managed: {shown}"
    );
    assert_eq!(
        shown["org"].as_str(),
        Some(org.id.as_str()),
        "the account stays: {shown}"
    );
    for group in [&s.a, &s.b] {
        let members = roster.cli(&[
            "group",
            "show",
            "--org",
            &org.id,
            "--group",
            &group_name(&s.dir, group),
        ])["members"]
            .to_string();
        assert!(
            !members.contains(&name),
            "SCIM memberships end with the deletion"
        );
    }
    let again = requests::delete_user(profile, &account_id);
    let response = engine.client().send(profile, &again).await.unwrap();
    assert_eq!(response.status, 404, "a second DELETE: {:?}", response.body);

    let recreated = s.dir.add_user(spec);
    s.dir.add_member(&s.a, &recreated);
    let report = clean_cycle(&mut engine, &s.dir).await;

    assert_eq!(report.count(Action::Create, Status::Success), 1, "{report}");
    let shown = shown_user(&roster, &name);
    assert_eq!(
        shown["id"].as_str(),
        Some(account_id.as_str()),
        "reactivated, not duplicated"
    );
    assert_eq!(shown["active"], true);
    assert_agrees(&roster, &org, &engine, &s.dir, &Expect::default()).await;
}
