//! What the admin console reads: SCIM activity and token use, revoked tokens, the provisioning log
//! filtered and paged within a bounded scan, accounts and groups paged by name key, a group's
//! members by id, and bounded counts — each confined to its organization.

use std::sync::Arc;

use roster_domain::{
    ActivityBucket, LogCursor, LogEntry, LogFilter, MemberSource, OrgId, OrgScope, Outcome,
    ScimActivity, Store, TokenHash, TokenRecord,
};
use time::Duration;

use crate::support::{add, at, change, deactivate, group, insert, member, new_account, org};

fn token(org: OrgId, secret: &str, created: time::OffsetDateTime) -> TokenRecord {
    TokenRecord {
        id: uuid::Uuid::new_v4(),
        org_id: org,
        hash: TokenHash::of(secret),
        created_at: created,
        expires_at: None,
    }
}

fn bucket(seconds: i64, requests: u64, refusals: u64, wrong_tokens: u64) -> ActivityBucket {
    ActivityBucket {
        start: at(seconds),
        requests,
        refusals,
        wrong_tokens,
    }
}

pub async fn activity_adds_up_across_flushes_and_keeps_the_latest_times(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 1).await;
    let (other, other_scope) = crate::support::org(&store, 1).await;
    let current = token(org.id, "console-current", at(0));
    store
        .install_scim_token(&current, None, true, &[])
        .await
        .unwrap();
    let foreign = token(other.id, "console-foreign", at(0));
    store
        .install_scim_token(&foreign, None, true, &[])
        .await
        .unwrap();
    let first = ScimActivity {
        last_request_at: Some(at(100)),
        old_token_seen_at: None,
        wrong_token_seen_at: Some(at(50)),
        buckets: vec![bucket(0, 5, 1, 2), bucket(600, 3, 0, 0)],
        // A token of another organization is never touched from this one.
        token_uses: vec![(current.id, at(100)), (foreign.id, at(100))],
    };
    store
        .record_scim_activity(scope, &first, at(-3600))
        .await
        .unwrap();
    let second = ScimActivity {
        last_request_at: Some(at(90)),
        old_token_seen_at: Some(at(70)),
        wrong_token_seen_at: None,
        buckets: vec![bucket(600, 1, 1, 1)],
        token_uses: vec![(current.id, at(80))],
    };
    store
        .record_scim_activity(scope, &second, at(-3600))
        .await
        .unwrap();
    let (enabled, read) = store.scim_activity(scope, at(0)).await.unwrap();
    assert_eq!(enabled, Some(at(0)), "enabling records its time");
    assert_eq!(read.last_request_at, Some(at(100)), "the later time wins");
    assert_eq!(read.old_token_seen_at, Some(at(70)));
    assert_eq!(read.wrong_token_seen_at, Some(at(50)));
    assert_eq!(read.buckets, vec![bucket(0, 5, 1, 2), bucket(600, 4, 1, 1)]);
    assert!(read.token_uses.is_empty());
    let (_, later) = store.scim_activity(scope, at(600)).await.unwrap();
    assert_eq!(
        later.buckets,
        vec![bucket(600, 4, 1, 1)],
        "since the given time"
    );

    let uses = store.scim_token_uses(scope).await.unwrap();
    assert_eq!(uses.len(), 1);
    assert_eq!(uses[0].id, current.id);
    assert_eq!(uses[0].last_used_at, Some(at(100)));
    let foreign_uses = store.scim_token_uses(other_scope).await.unwrap();
    assert_eq!(foreign_uses[0].last_used_at, None);
    let (_, nothing) = store.scim_activity(other_scope, at(0)).await.unwrap();
    assert!(nothing.buckets.is_empty() && nothing.last_request_at.is_none());

    // A flush removes buckets older than it is told to keep.
    store
        .record_scim_activity(scope, &ScimActivity::default(), at(1))
        .await
        .unwrap();
    let (_, trimmed) = store.scim_activity(scope, at(-100)).await.unwrap();
    assert_eq!(trimmed.buckets, vec![bucket(600, 4, 1, 1)]);
}

pub async fn revoked_tokens_are_remembered_by_hash_for_their_org_only(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 1).await;
    let (_, other_scope) = crate::support::org(&store, 1).await;
    let first = token(org.id, "rev-first", at(0));
    store
        .install_scim_token(&first, None, true, &[])
        .await
        .unwrap();
    assert!(
        !store
            .is_retired_scim_token(scope, &first.hash)
            .await
            .unwrap()
    );
    // A rotation without grace removes the first token: it is remembered as revoked.
    let second = token(org.id, "rev-second", at(10));
    store
        .install_scim_token(&second, None, false, &[])
        .await
        .unwrap();
    assert!(store.scim_token(&first.hash).await.unwrap().is_none());
    assert!(
        store
            .is_retired_scim_token(scope, &first.hash)
            .await
            .unwrap()
    );
    assert!(
        !store
            .is_retired_scim_token(other_scope, &first.hash)
            .await
            .unwrap()
    );
    // Disabling revokes the rest.
    assert_eq!(store.revoke_scim_tokens(scope, &[]).await.unwrap(), 1);
    assert!(
        store
            .is_retired_scim_token(scope, &second.hash)
            .await
            .unwrap()
    );
    assert!(
        !store
            .is_retired_scim_token(scope, &TokenHash::of("never issued"))
            .await
            .unwrap()
    );
    assert!(store.scim_token_uses(scope).await.unwrap().is_empty());
}

fn entry(org: OrgId, seconds: i64, operation: &str, name: Option<&str>) -> LogEntry {
    LogEntry {
        org_id: org,
        at: at(seconds),
        operation: operation.to_owned(),
        resource_type: "User".into(),
        resource_id: None,
        name: name.map(str::to_owned),
        outcome: Outcome::Success,
        status: 201,
        detail: None,
        duration_ms: 1,
        client_request_id: None,
    }
}

fn filter(limit: u32) -> LogFilter {
    LogFilter {
        operation: None,
        outcome: None,
        from: None,
        to: None,
        text: None,
        before: None,
        limit,
        scan: 1_000,
    }
}

async fn names(store: &Arc<dyn Store>, scope: OrgScope, filter: &LogFilter) -> Vec<String> {
    store
        .log_window(scope, filter)
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.entry.name.unwrap_or_default())
        .collect()
}

pub async fn log_windows_filter_page_and_bound_their_scan(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 1).await;
    let (other, other_scope) = crate::support::org(&store, 1).await;
    let mut refused = entry(org.id, 3, "POST /Users", Some("Bo_Refused@x.edu"));
    refused.outcome = Outcome::Failure;
    refused.status = 409;
    refused.client_request_id = Some("REQ-42".into());
    let mut with_id = entry(org.id, 4, "PATCH /Users/{id}", Some("cy@x.edu"));
    with_id.resource_id = Some("7f1c2a57-aaaa-4c1e-9a55-1d2b3c4d5e6f".into());
    for e in [
        entry(org.id, 1, "POST /Users", Some("ada@x.edu")),
        entry(org.id, 2, "POST /Groups", Some("100% Maths")),
        refused,
        with_id,
        entry(other.id, 5, "POST /Users", Some("ada@other.edu")),
    ] {
        store.append_log(&e).await.unwrap();
    }
    assert_eq!(
        names(&store, scope, &filter(10)).await,
        ["cy@x.edu", "Bo_Refused@x.edu", "100% Maths", "ada@x.edu"],
        "newest first, this organization only"
    );
    let by = |f: fn(&mut LogFilter)| {
        let mut query = filter(10);
        f(&mut query);
        query
    };
    let store = &store;
    assert_eq!(
        names(
            store,
            scope,
            &by(|q| q.operation = Some("POST /Users".into()))
        )
        .await,
        ["Bo_Refused@x.edu", "ada@x.edu"]
    );
    assert_eq!(
        names(store, scope, &by(|q| q.outcome = Some(Outcome::Failure))).await,
        ["Bo_Refused@x.edu"]
    );
    assert_eq!(
        names(
            store,
            scope,
            &by(|q| {
                q.from = Some(at(2));
                q.to = Some(at(4));
            })
        )
        .await,
        ["Bo_Refused@x.edu", "100% Maths"],
        "from inclusive, to exclusive"
    );
    for (text, expected) in [
        ("BO_REF", vec!["Bo_Refused@x.edu"]),
        ("req-4", vec!["Bo_Refused@x.edu"]),
        ("aaaa-4c1e", vec!["cy@x.edu"]),
        ("0%", vec!["100% Maths"]),
        ("_", vec!["Bo_Refused@x.edu"]),
        ("%", vec!["100% Maths"]),
        ("nobody", vec![]),
    ] {
        let query = LogFilter {
            text: Some(text.into()),
            ..filter(10)
        };
        assert_eq!(names(store, scope, &query).await, expected, "text {text:?}");
    }
    assert!(
        names(store, other_scope, &by(|q| q.text = Some("x.edu".into())))
            .await
            .is_empty()
    );

    // Keyset pages: the next page starts strictly after the cursor.
    let page = store.log_window(scope, &filter(2)).await.unwrap();
    assert_eq!(page.entries.len(), 2);
    assert_eq!(page.scan_ended_at, None, "the whole log was scanned");
    let cursor = LogCursor::of(&page.entries[1]);
    let rest = LogFilter {
        before: Some(cursor),
        ..filter(10)
    };
    assert_eq!(
        names(store, scope, &rest).await,
        ["100% Maths", "ada@x.edu"]
    );

    // A scan bound: two entries examined, one matching; the scan says where it stopped.
    let bounded = LogFilter {
        outcome: Some(Outcome::Success),
        scan: 2,
        ..filter(10)
    };
    let window = store.log_window(scope, &bounded).await.unwrap();
    assert_eq!(window.entries.len(), 1);
    let stopped = window.scan_ended_at.expect("the scan was full");
    assert_eq!(stopped.at, at(3));
    let next = LogFilter {
        before: Some(stopped),
        ..bounded
    };
    assert_eq!(
        names(store, scope, &next).await,
        ["100% Maths", "ada@x.edu"]
    );

    // One entry by id, in its organization only.
    let id = page.entries[0].id;
    let one = store.log_entry(scope, id).await.unwrap().unwrap();
    assert_eq!(one, page.entries[0]);
    assert!(store.log_entry(other_scope, id).await.unwrap().is_none());
}

pub async fn an_accounts_log_is_found_by_id_or_user_name_and_seat_refusals_once_per_name(
    store: Arc<dyn Store>,
) {
    let (org, scope) = org(&store, 1).await;
    let (other, other_scope) = crate::support::org(&store, 1).await;
    let seat = |seconds, name: &str| {
        let mut e = entry(org.id, seconds, "POST /Users", Some(name));
        e.outcome = Outcome::Failure;
        e.status = 409;
        e.detail = Some(roster_domain::SeatLimit { seats: 1, used: 1 }.to_string());
        e
    };
    let mut patched = entry(org.id, 5, "PATCH /Users/{id}", Some("renamed@x.edu"));
    patched.resource_id = Some("acc-1".into());
    let mut taken = entry(org.id, 6, "POST /Users", Some("taken@x.edu"));
    taken.outcome = Outcome::Failure;
    taken.status = 409;
    taken.detail = Some("userName 'taken@x.edu' is already taken".into());
    for e in [
        seat(1, "Wait@x.edu"),
        seat(2, "other@x.edu"),
        seat(3, "wait@X.edu"),
        patched,
        taken,
        entry(org.id, 7, "POST /Users", Some("WAIT@x.edu")),
        entry(other.id, 8, "POST /Users", Some("wait@x.edu")),
    ] {
        store.append_log(&e).await.unwrap();
    }
    let about = store
        .log_about(scope, "acc-1", "wait@x.edu", None, 10)
        .await
        .unwrap();
    let seconds: Vec<_> = about.iter().map(|e| e.entry.at).collect();
    assert_eq!(seconds, [at(7), at(5), at(3), at(1)]);
    let older = store
        .log_about(
            scope,
            "acc-1",
            "wait@x.edu",
            Some(LogCursor::of(&about[1])),
            10,
        )
        .await
        .unwrap();
    assert_eq!(older.len(), 2);
    assert!(
        store
            .log_about(other_scope, "acc-1", "nobody", None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let refusals = store.seat_refusals(scope, at(0), 100, 10).await.unwrap();
    let named: Vec<_> = refusals
        .iter()
        .map(|(n, t)| (n.to_lowercase(), *t))
        .collect();
    assert_eq!(
        named,
        [
            ("wait@x.edu".to_owned(), at(3)),
            ("other@x.edu".to_owned(), at(2))
        ],
        "one per name ignoring case, with its latest refusal, newest first"
    );
    assert_eq!(
        store
            .seat_refusals(scope, at(3), 100, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .seat_refusals(scope, at(0), 100, 1)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .seat_refusals(other_scope, at(0), 100, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn console_accounts_page_by_name_key_with_a_prefix_and_their_groups(
    store: Arc<dyn Store>,
) {
    let (org, scope) = org(&store, 10).await;
    let (other, other_scope) = crate::support::org(&store, 10).await;
    let mut accounts = Vec::new();
    for name in ["carol@x.edu", "Ada@x.edu", "bob@x.edu", "adam@x.edu"] {
        accounts.push(member(&store, org.id, name).await);
    }
    let mut deleted = new_account(Some(org.id), "zed@x.edu");
    deleted.active = false;
    deleted.scim_deleted = true;
    deleted.scim_managed = false;
    insert(&store, deleted).await;
    let foreign = member(&store, other.id, "abe@x.edu").await;
    let page = |prefix: Option<&'static str>, after: Option<String>, limit| {
        let store = Arc::clone(&store);
        async move {
            store
                .console_accounts(scope, prefix, after.as_deref(), limit)
                .await
                .unwrap()
                .into_iter()
                .map(|a| a.user_name)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        page(None, None, 10).await,
        [
            "Ada@x.edu",
            "adam@x.edu",
            "bob@x.edu",
            "carol@x.edu",
            "zed@x.edu"
        ],
        "every account of the organization, SCIM-deleted ones too, by key"
    );
    assert_eq!(
        page(None, Some("adam@x.edu".into()), 2).await,
        ["bob@x.edu", "carol@x.edu"]
    );
    assert_eq!(
        page(Some("ada"), None, 10).await,
        ["Ada@x.edu", "adam@x.edu"]
    );
    assert_eq!(page(Some("ada@"), None, 10).await, ["Ada@x.edu"]);
    assert!(page(Some("abe"), None, 10).await.is_empty());
    assert_eq!(
        store
            .account(scope, accounts[0].id)
            .await
            .unwrap()
            .map(|a| a.id),
        Some(accounts[0].id)
    );
    assert!(store.account(scope, foreign.id).await.unwrap().is_none());
    assert!(
        store
            .account(other_scope, accounts[0].id)
            .await
            .unwrap()
            .is_none()
    );

    let maths = group(&store, scope, "Maths").await;
    let art = group(&store, scope, "art").await;
    let chess = group(&store, scope, "Chess").await;
    for g in [&maths, &art, &chess] {
        change(&store, scope, g, add(MemberSource::Scim, &[accounts[0].id])).await;
    }
    change(
        &store,
        scope,
        &maths,
        add(MemberSource::Manual, &[accounts[1].id]),
    )
    .await;
    let ids = [accounts[0].id, accounts[1].id, accounts[2].id];
    let groups = store.groups_of_accounts(scope, &ids, 2).await.unwrap();
    let mut found: Vec<_> = groups
        .into_iter()
        .map(|g| (g.account_id, g.names, g.count))
        .collect();
    found.sort_by_key(|(id, _, _)| ids.iter().position(|i| i == id));
    assert_eq!(
        found,
        [
            (
                accounts[0].id,
                vec!["art".to_owned(), "Chess".to_owned()],
                3
            ),
            (accounts[1].id, vec!["Maths".to_owned()], 1),
        ],
        "the first names by key and the count; accounts without groups are left out"
    );
    assert!(
        store
            .groups_of_accounts(other_scope, &ids, 2)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn console_groups_and_members_page_by_key_and_id_with_capped_counts(
    store: Arc<dyn Store>,
) {
    let (org, scope) = org(&store, 10).await;
    let (_, other_scope) = crate::support::org(&store, 10).await;
    let maths = group(&store, scope, "Maths").await;
    let art = group(&store, scope, "art").await;
    let mut people = Vec::new();
    for i in 0..5 {
        people.push(member(&store, org.id, &format!("p{i}@x.edu")).await);
    }
    let ids: Vec<_> = people.iter().map(|p| p.id).collect();
    change(&store, scope, &maths, add(MemberSource::Scim, &ids[..3])).await;
    change(&store, scope, &maths, add(MemberSource::Manual, &ids[3..])).await;
    let names = |groups: Vec<roster_domain::Group>| {
        groups
            .into_iter()
            .map(|g| g.display_name)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(store.console_groups(scope, None, None, 10).await.unwrap()),
        ["art", "Maths"]
    );
    assert_eq!(
        names(
            store
                .console_groups(scope, Some("ma"), None, 10)
                .await
                .unwrap()
        ),
        ["Maths"]
    );
    assert_eq!(
        names(
            store
                .console_groups(scope, None, Some("art"), 10)
                .await
                .unwrap()
        ),
        ["Maths"]
    );
    assert!(
        store
            .console_groups(other_scope, None, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .member_counts(scope, &[maths.id, art.id], 100)
            .await
            .unwrap(),
        [5, 0]
    );
    assert_eq!(
        store.member_counts(scope, &[maths.id], 3).await.unwrap(),
        [3]
    );
    assert_eq!(
        store
            .member_counts(other_scope, &[maths.id], 100)
            .await
            .unwrap(),
        [0]
    );

    let mut sorted = ids.clone();
    sorted.sort();
    let first = store.members_page(scope, maths.id, None, 2).await.unwrap();
    let second = store
        .members_page(scope, maths.id, Some(first[1].account_id), 10)
        .await
        .unwrap();
    let paged: Vec<_> = first.iter().chain(&second).map(|m| m.account_id).collect();
    assert_eq!(paged, sorted, "every member once, in id order");
    let manual = first
        .iter()
        .chain(&second)
        .filter(|m| m.source == MemberSource::Manual)
        .count();
    assert_eq!(manual, 2);
    assert!(
        store
            .members_page(other_scope, maths.id, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn managed_and_due_counts_are_capped_and_scoped(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let (_, other_scope) = crate::support::org(&store, 10).await;
    let mut people = Vec::new();
    for i in 0..4 {
        people.push(member(&store, org.id, &format!("m{i}@x.edu")).await);
    }
    let mut by_hand = new_account(Some(org.id), "hand@x.edu");
    by_hand.scim_managed = false;
    insert(&store, by_hand).await;
    group(&store, scope, "Managed").await;
    assert_eq!(store.scim_managed_counts(scope, 100).await.unwrap(), (4, 1));
    assert_eq!(store.scim_managed_counts(scope, 2).await.unwrap(), (2, 1));
    assert_eq!(
        store.scim_managed_counts(other_scope, 100).await.unwrap(),
        (0, 0)
    );

    deactivate(&store, &people[0], at(10)).await;
    deactivate(&store, &people[1], at(20)).await;
    deactivate(&store, &people[2], at(30)).await;
    let count = |before, cap| {
        let store = Arc::clone(&store);
        async move {
            store
                .count_deactivated_before(scope, before, cap)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        count(at(30), 100).await,
        2,
        "strictly before, like the purge"
    );
    assert_eq!(count(at(31), 100).await, 3);
    assert_eq!(count(at(31), 1).await, 1);
    assert_eq!(
        store
            .count_deactivated_before(other_scope, at(31) + Duration::days(1), 100)
            .await
            .unwrap(),
        0
    );
    let dry = store
        .purge_deactivated(
            scope,
            at(30),
            true,
            &roster_domain::Change::retention(),
            time::OffsetDateTime::UNIX_EPOCH,
        )
        .await
        .unwrap();
    assert_eq!(
        dry.len() as u64,
        count(at(30), 100).await,
        "the dry run's rule"
    );
}

pub async fn audit_entries_about_a_target_are_found_within_a_bounded_scan(store: Arc<dyn Store>) {
    use roster_domain::{AuditAction, NewAuditEntry};
    let (org, scope) = org(&store, 1).await;
    let (other, other_scope) = crate::support::org(&store, 1).await;
    let audit = |org: OrgId, seconds, action, target: &str| NewAuditEntry {
        org_id: org,
        at: at(seconds),
        actor_account_id: None,
        actor_email: None,
        action,
        target: Some(target.to_owned()),
        detail: None,
        remote_addr: None,
    };
    for entry in [
        audit(org.id, 1, AuditAction::AccountAdded, "Ada@x.edu"),
        audit(org.id, 2, AuditAction::GroupCreated, "Maths"),
        audit(org.id, 3, AuditAction::AccountDeactivated, "ada@X.edu"),
        audit(other.id, 4, AuditAction::AccountAdded, "ada@x.edu"),
    ] {
        store.append_audit(&entry).await.unwrap();
    }
    let actions = |entries: Vec<roster_domain::AuditEntry>| {
        entries.into_iter().map(|e| e.action).collect::<Vec<_>>()
    };
    assert_eq!(
        actions(
            store
                .audit_about(scope, "ada@x.edu", 100, 10)
                .await
                .unwrap()
        ),
        [AuditAction::AccountDeactivated, AuditAction::AccountAdded],
        "ignoring case, newest first, this organization only"
    );
    assert_eq!(
        actions(store.audit_about(scope, "ada@x.edu", 100, 1).await.unwrap()),
        [AuditAction::AccountDeactivated]
    );
    assert_eq!(
        actions(store.audit_about(scope, "ada@x.edu", 2, 10).await.unwrap()),
        [AuditAction::AccountDeactivated],
        "only the newest entries are examined"
    );
    assert_eq!(
        actions(
            store
                .audit_about(other_scope, "ada@x.edu", 100, 10)
                .await
                .unwrap()
        ),
        [AuditAction::AccountAdded]
    );
}
