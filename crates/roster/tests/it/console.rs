//! The console's domain API (what the pages call), driven next to real SCIM traffic: each
//! administrator reaches only their organization, manual changes follow the seat rules and are
//! audited, and the SCIM page's figures and warnings follow what the tenant URL received.

use roster_domain::{
    AccountId, Admin, AuditAction, Error, LogQuery, OrgKind, Outcome, RefusalKind, Role,
    WarningKind, explain,
};
use serde_json::json;
use time::Duration;

use crate::support::{PUBLIC_URL, Tenant, TestApp};

fn admin_of(tenant: &Tenant) -> Admin {
    Admin::trusted(AccountId::new_random(), tenant.org, "admin@x.edu")
}

fn not_found<T: std::fmt::Debug>(result: Result<T, Error>) {
    assert!(
        matches!(result, Err(Error::NotFound(_))),
        "expected NotFound, got {result:?}"
    );
}

#[tokio::test]
async fn an_administrator_cannot_read_or_change_another_organizations_data_by_id() {
    let app = TestApp::new().await;
    let a = app.tenant(OrgKind::School, 10).await;
    let b = app.tenant(OrgKind::School, 10).await;
    let (admin_a, admin_b) = (admin_of(&a), admin_of(&b));
    let user: AccountId = app.create_user(&a, "ada@x.edu").await.parse().unwrap();
    let group = app
        .roster
        .console_create_group(&admin_a, "Maths")
        .await
        .unwrap();
    app.roster
        .console_add_member(&admin_a, group.id, user)
        .await
        .unwrap();
    app.wait_for_log(&a, 1).await;
    let entries = app
        .roster
        .log_page(&admin_a, LogQuery::default())
        .await
        .unwrap();
    let entry = entries.entries[0].id;

    not_found(app.roster.account_detail(&admin_b, user).await);
    not_found(app.roster.account_timeline(&admin_b, user, None, 10).await);
    not_found(app.roster.console_set_active(&admin_b, user, false).await);
    not_found(app.roster.group_detail(&admin_b, group.id).await);
    not_found(app.roster.group_page(&admin_b, group.id, None, 10).await);
    not_found(
        app.roster
            .console_remove_member(&admin_b, group.id, user)
            .await,
    );
    not_found(
        app.roster
            .console_add_member_by_user_name(&admin_b, group.id, "ada@x.edu")
            .await,
    );
    not_found(app.roster.log_entry(&admin_b, entry).await);
    let b_group = app
        .roster
        .console_create_group(&admin_b, "Art")
        .await
        .unwrap();
    not_found(
        app.roster
            .console_add_member_by_user_name(&admin_b, b_group.id, "ada@x.edu")
            .await,
    );
    not_found(
        app.roster
            .console_add_member(&admin_b, b_group.id, user)
            .await,
    );
    assert!(
        app.roster
            .accounts_page(&admin_b, None, None, 50)
            .await
            .unwrap()
            .accounts
            .is_empty()
    );
    let b_groups = app
        .roster
        .groups_page(&admin_b, None, None, 50)
        .await
        .unwrap();
    assert_eq!(b_groups.groups.len(), 1);
    assert!(
        app.roster
            .log_page(&admin_b, LogQuery::default())
            .await
            .unwrap()
            .entries
            .is_empty()
    );

    // Nothing of A changed.
    let detail = app.roster.account_detail(&admin_a, user).await.unwrap();
    assert!(detail.summary.account.active);
    assert_eq!(detail.summary.groups, ["Maths"]);
    let page = app
        .roster
        .group_page(&admin_a, group.id, None, 10)
        .await
        .unwrap();
    assert_eq!(page.group.member_count, 1);
    assert_eq!(page.members.members[0].account_id, user);
}

#[tokio::test]
async fn manual_changes_follow_the_seat_rules_say_when_scim_overwrites_them_and_are_audited() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 2).await;
    let admin = admin_of(&tenant);
    let managed: AccountId = app.create_user(&tenant, "sam@x.edu").await.parse().unwrap();
    let by_hand = app
        .roster
        .console_add_account(&admin, "hand@x.edu", None, None)
        .await
        .unwrap();

    let off = app
        .roster
        .console_set_active(&admin, managed, false)
        .await
        .unwrap();
    assert!(!off.result.active);
    assert_eq!(off.result.deactivated_at, Some(app.roster.now()));
    assert!(
        off.note
            .unwrap()
            .contains("Entra overwrites manual changes")
    );
    let detail = app.roster.account_detail(&admin, managed).await.unwrap();
    assert!(
        detail.state.starts_with("Deactivated on"),
        "{}",
        detail.state
    );
    assert!(
        detail.state.ends_with("managed by SCIM."),
        "{}",
        detail.state
    );

    // The freed seat goes to someone else; reactivating then finds no seat and changes nothing.
    app.roster
        .console_add_account(&admin, "new@x.edu", None, None)
        .await
        .unwrap();
    let refused = app.roster.console_set_active(&admin, managed, true).await;
    assert!(
        matches!(refused, Err(Error::SeatLimit(limit)) if limit.seats == 2 && limit.used == 2),
        "{refused:?}"
    );
    assert!(
        !app.roster
            .account_detail(&admin, managed)
            .await
            .unwrap()
            .summary
            .account
            .active
    );

    let off = app
        .roster
        .console_set_active(&admin, by_hand.id, false)
        .await
        .unwrap();
    assert_eq!(off.note, None, "not managed by SCIM: nothing overwrites it");
    let admin_role = app
        .roster
        .console_add_account(&admin, "boss@x.edu", None, Some(Role::Admin))
        .await;
    assert!(
        matches!(admin_role, Err(Error::Invalid(_))),
        "{admin_role:?}"
    );
    let on = app
        .roster
        .console_set_active(&admin, managed, true)
        .await
        .unwrap();
    assert!(on.result.active);
    assert_eq!(on.result.deactivated_at, None);

    let actions: Vec<_> = app
        .roster
        .audit_page(&admin, None, 50)
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|e| (e.action, e.target))
        .collect();
    let target = |s: &str| Some(s.to_owned());
    assert_eq!(
        actions,
        [
            (AuditAction::AccountReactivated, target("sam@x.edu")),
            (AuditAction::AccountDeactivated, target("hand@x.edu")),
            (AuditAction::AccountAdded, target("new@x.edu")),
            (AuditAction::AccountDeactivated, target("sam@x.edu")),
            (AuditAction::AccountAdded, target("hand@x.edu")),
        ]
    );
}

#[tokio::test]
async fn a_seat_limit_refusal_reads_in_words_and_the_person_waits_until_created() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 1).await;
    let admin = admin_of(&tenant);
    app.create_user(&tenant, "first@x.edu").await;
    let refused = app
        .post(
            &tenant,
            "/Users",
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "Late@x.edu"}),
        )
        .await;
    assert_eq!(refused.status, 409);
    app.wait_for_log(&tenant, 2).await;

    let failures = app
        .roster
        .log_page(
            &admin,
            LogQuery {
                outcome: Some(Outcome::Failure),
                text: Some("late@".into()),
                limit: 10,
                ..LogQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(failures.entries.len(), 1);
    let explanation = explain(&failures.entries[0].entry).unwrap();
    assert_eq!(explanation.kind, RefusalKind::SeatLimit);
    assert!(
        explanation.summary.contains("1 of 1 seats in use"),
        "{}",
        explanation.summary
    );
    let one = app
        .roster
        .log_entry(&admin, failures.entries[0].id)
        .await
        .unwrap();
    assert_eq!(one, failures.entries[0]);

    let warnings = app.roster.health(&admin).await.unwrap();
    let kinds: Vec<_> = warnings.iter().map(|w| w.kind).collect();
    assert_eq!(
        kinds,
        [WarningKind::SeatsAtLimit, WarningKind::PeopleWaiting]
    );
    assert_eq!(warnings[1].names, ["Late@x.edu"]);
    let waiting = app
        .roster
        .waiting_person(&admin, "late@x.edu")
        .await
        .unwrap();
    assert!(
        waiting.state.starts_with("Refused on "),
        "{}",
        waiting.state
    );
    assert!(waiting.state.contains("no free seat"));

    // A seat is freed and Entra retries: the person is no longer waiting.
    app.roster
        .update_org(
            tenant.org,
            roster_domain::OrgUpdate {
                seats: Some(3),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.create_user(&tenant, "late@x.edu").await;
    let kinds: Vec<_> = app
        .roster
        .health(&admin)
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.kind)
        .collect();
    assert!(!kinds.contains(&WarningKind::PeopleWaiting), "{kinds:?}");
    not_found(app.roster.waiting_person(&admin, "late@x.edu").await);
}

#[tokio::test]
async fn the_scim_page_counts_requests_wrong_and_old_tokens_before_and_after_a_flush() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    let admin = admin_of(&tenant);
    app.create_user(&tenant, "ada@x.edu").await;
    assert_eq!(app.scim_get(&tenant, "/Users?count=1").await.status, 200);
    assert_eq!(app.scim_get(&tenant, "/Users/not-an-id").await.status, 404);
    let wrong = app
        .get(
            &format!("{}/Users", tenant.base),
            Some("roster_not-a-token"),
        )
        .await;
    assert_eq!(wrong.status, 401);

    let overview = app.roster.scim_overview(&admin, PUBLIC_URL).await.unwrap();
    assert!(overview.enabled);
    assert_eq!(overview.tenant_url, format!("{PUBLIC_URL}{}", tenant.base));
    assert_eq!(
        (
            overview.requests_24h,
            overview.refusals_24h,
            overview.wrong_tokens_24h
        ),
        (3, 1, 1),
        "counted in memory, before any flush"
    );
    assert_eq!(overview.last_request_at, Some(app.roster.now()));
    assert_eq!(overview.tokens.len(), 1);
    assert_eq!(overview.tokens[0].last_used_at, None, "not flushed yet");
    assert_eq!((overview.seats, overview.seats_used), (10, 1));
    assert_eq!(overview.scim_managed_accounts, 1);
    assert_eq!(overview.hours.iter().map(|h| h.requests).sum::<u64>(), 3);
    let kinds: Vec<_> = overview.warnings.iter().map(|w| w.kind).collect();
    assert_eq!(kinds, [WarningKind::WrongTokens]);

    app.roster.flush_scim_activity().await.unwrap();
    let flushed = app.roster.scim_overview(&admin, PUBLIC_URL).await.unwrap();
    assert_eq!(
        (
            flushed.requests_24h,
            flushed.refusals_24h,
            flushed.wrong_tokens_24h
        ),
        (3, 1, 1),
        "the same figures once written, not counted twice"
    );
    assert_eq!(flushed.tokens[0].last_used_at, Some(app.roster.now()));

    // A rotation without grace: Entra still sending the old token is told apart.
    let old = tenant.token.clone();
    let rotated = app
        .roster
        .console_rotate_scim_token(&admin, PUBLIC_URL, Duration::ZERO)
        .await
        .unwrap();
    let stale = app.get(&format!("{}/Users", tenant.base), Some(&old)).await;
    assert_eq!(stale.status, 401);
    let kinds: Vec<_> = app
        .roster
        .health(&admin)
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.kind)
        .collect();
    assert_eq!(
        kinds,
        [WarningKind::OldTokenInUse, WarningKind::WrongTokens]
    );

    // Two Entra cycles without a request.
    app.clock.advance(Duration::minutes(81));
    let fresh = Tenant {
        token: rotated.token,
        ..tenant
    };
    let kinds: Vec<_> = app
        .roster
        .health(&admin)
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.kind)
        .collect();
    assert_eq!(kinds[0], WarningKind::NoRecentRequests);
    assert_eq!(app.scim_get(&fresh, "/Users?count=1").await.status, 200);
    let kinds: Vec<_> = app
        .roster
        .health(&admin)
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.kind)
        .collect();
    assert!(!kinds.contains(&WarningKind::NoRecentRequests), "{kinds:?}");

    let disabled = app.roster.console_disable_scim(&admin).await.unwrap();
    assert!(!disabled.scim_enabled);
    let overview = app.roster.scim_overview(&admin, PUBLIC_URL).await.unwrap();
    assert!(!overview.enabled && overview.tokens.is_empty());
    let audited: Vec<_> = app
        .roster
        .audit_page(&admin, None, 10)
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        audited,
        [AuditAction::ScimDisabled, AuditAction::ScimTokenRotated]
    );
}

#[tokio::test]
async fn retention_preview_counts_what_the_next_run_removes() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::Business, 10).await;
    let admin = admin_of(&tenant);
    let off = app.roster.retention_preview(&admin).await.unwrap();
    assert_eq!((off.retention_days, off.due_now), (None, 0));
    assert!(off.explanation.starts_with("Retention is off"));
    for name in ["a@x.edu", "b@x.edu"] {
        let id = app.create_user(&tenant, name).await;
        app.delete(&tenant, &format!("/Users/{id}")).await;
    }
    app.clock.advance(Duration::days(31));
    let preview = app.roster.set_retention(&admin, Some(30)).await.unwrap();
    assert_eq!((preview.retention_days, preview.due_now), (Some(30), 2));
    assert!(preview.explanation.contains("more than 30 days ago"));
    let dry = app.roster.run_retention(None, true).await.unwrap();
    assert_eq!(
        dry.purged.len() as u64,
        preview.due_now,
        "the dry run agrees"
    );
    let preview = app.roster.set_retention(&admin, Some(60)).await.unwrap();
    assert_eq!(preview.due_now, 0);
    let audited = app
        .roster
        .audit_page(&admin, None, 10)
        .await
        .unwrap()
        .entries;
    assert_eq!(audited[0].action, AuditAction::RetentionChanged);
    assert_eq!(audited[0].detail.as_deref(), Some("60 days"));
}

#[tokio::test]
async fn a_large_group_pages_through_every_member_once_by_keyset() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 3_000).await;
    let admin = admin_of(&tenant);
    let mut ids = Vec::new();
    for i in 0..1_200 {
        let account = app
            .roster
            .console_add_account(&admin, &format!("p{i:04}@x.edu"), None, None)
            .await
            .unwrap();
        ids.push(account.id);
    }
    let group = app
        .roster
        .console_create_group(&admin, "Everyone")
        .await
        .unwrap();
    let members: Vec<_> = ids
        .iter()
        .map(|id| json!({"value": id.to_string()}))
        .collect();
    let patched = app
        .patch(
            &tenant,
            &format!("/Groups/{}", group.id),
            &json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": "members", "value": members}],
            }),
        )
        .await;
    assert_eq!(patched.status, 204, "{:#}", patched.body);

    let mut seen = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let page = app
            .roster
            .group_members_page(&admin, group.id, after, 200)
            .await
            .unwrap();
        assert!(page.members.len() <= 200);
        seen.extend(page.members.iter().map(|m| m.account_id));
        pages += 1;
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 6);
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(seen, expected, "every member once, in id order");
    let detail = app.roster.group_detail(&admin, group.id).await.unwrap();
    assert_eq!(
        (detail.member_count, detail.member_count_capped),
        (1_200, false)
    );
    let listed = app
        .roster
        .accounts_page(&admin, Some("P000"), None, 5)
        .await
        .unwrap();
    assert_eq!(listed.accounts.len(), 5);
    assert_eq!(listed.accounts[0].groups, ["Everyone"]);
    assert_eq!(listed.next.as_deref(), Some("p0004@x.edu"));
    let rest = app
        .roster
        .accounts_page(&admin, Some("p000"), listed.next.as_deref(), 50)
        .await
        .unwrap();
    assert_eq!(rest.accounts.len(), 5);
    assert_eq!(rest.next, None);
}
