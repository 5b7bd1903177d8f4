//! The initial cycle on a realistic organization.

use roster_sim::{Action, OrgShape, Profile, Status, generate_org, scope::Scope};

use crate::support::{Expect, Roster, assert_agrees, clean_cycle, group_name, upn};

pub async fn initial_sync_provisions_a_realistic_org_and_adopts_hand_made_accounts_and_groups(
    profile: Profile,
) {
    let roster = Roster::start();
    let org = roster.org("school", 1000);
    let generated = generate_org(&OrgShape::new(300, 24));
    let dir = &generated.directory;
    let scope = Scope::of(dir);

    // Five in-scope people already have hand-made accounts (one a teacher, one typed in
    // capitals), and one assigned group exists by hand in lower case with a librarian in it.
    let matched: Vec<String> = scope
        .users
        .iter()
        .step_by(60)
        .take(5)
        .map(|u| upn(dir, u))
        .collect();
    let mut expect = Expect::default();
    let mut hand_made_ids = Vec::new();
    for (i, name) in matched.iter().enumerate() {
        let typed = if i == 1 {
            name.to_uppercase()
        } else {
            name.clone()
        };
        let role = if i == 0 { "teacher" } else { "student" };
        let shown = roster.cli(&[
            "user",
            "add",
            "--org",
            &org.id,
            "--user-name",
            &typed,
            "--display-name",
            "Hand Made",
            "--role",
            role,
        ]);
        hand_made_ids.push(shown["id"].as_str().unwrap().to_owned());
        if i == 0 {
            expect.roles.push((name.clone(), "teacher".into()));
        }
    }
    let adopted = scope.groups.iter().next().unwrap();
    let adopted_name = group_name(dir, adopted);
    let librarian = format!("librarian@{}", crate::fixture::DOMAIN);
    roster.cli(&["user", "add", "--org", &org.id, "--user-name", &librarian]);
    roster.cli(&[
        "group",
        "create",
        "--org",
        &org.id,
        "--name",
        &adopted_name.to_lowercase(),
    ]);
    roster.cli(&[
        "group",
        "add-member",
        "--org",
        &org.id,
        "--group",
        &adopted_name,
        "--user-name",
        &librarian,
    ]);
    expect
        .manual_members
        .push((adopted_name.clone(), librarian.clone()));

    let mut engine = org.engine(profile);
    engine.test_connection().await.unwrap();
    let report = clean_cycle(&mut engine, dir).await;

    let users_created = scope.users.len() - matched.len();
    let groups_created = scope.groups.len() - 1;
    assert_eq!(
        report.count(Action::Create, Status::Success),
        users_created + groups_created,
        "{report}"
    );
    // The matched accounts get their missing attributes; the adopted group its spelling.
    assert_eq!(
        report.count(Action::Update, Status::Success),
        matched.len() + 1,
        "{report}"
    );
    assert!(report.count(Action::AddMembers, Status::Success) >= scope.groups.len());

    let second = engine.run_cycle(dir).await;
    assert!(
        second.entries.is_empty(),
        "an unchanged directory sends nothing:\n{second}"
    );

    assert_agrees(&roster, &org, &engine, dir, &expect).await;
    for (name, id) in matched.iter().zip(&hand_made_ids) {
        let shown = roster.cli(&["user", "show", name]);
        assert_eq!(
            shown["id"].as_str(),
            Some(id.as_str()),
            "{name} was matched, not duplicated"
        );
        assert_eq!(
            shown["user_name"].as_str(),
            Some(name.as_str()),
            "Entra's spelling wins"
        );
    }
    let seats = roster.seats_used(&org);
    assert_eq!(
        seats,
        scope.users.len() as u64 + 1,
        "in-scope users and the librarian"
    );
}
