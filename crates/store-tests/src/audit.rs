//! The audit log: exact round trips, newest first, keyset pages, one organization's entries only.

use std::sync::Arc;

use roster_domain::{
    AccountId, Admin, AuditAction, AuditCursor, FixedClock, NewAuditEntry, OrgId, OrgScope, Roster,
    Store,
};
use time::Duration;

use crate::support::{at, org};

fn entry(org: OrgId, seconds: i64, action: AuditAction, target: &str) -> NewAuditEntry {
    NewAuditEntry {
        org_id: org,
        at: at(seconds),
        actor_account_id: None,
        actor_email: None,
        action,
        target: Some(target.to_owned()),
        detail: None,
        remote_addr: None,
    }
}

async fn targets(
    store: &Arc<dyn Store>,
    org: OrgId,
    before: Option<AuditCursor>,
    limit: u32,
) -> Vec<String> {
    store
        .audit_entries(OrgScope::trusted(org), before, limit)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.target.unwrap_or_default())
        .collect()
}

pub async fn audit_entries_round_trip_and_list_newest_first(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 1).await;
    let (other, _) = crate::support::org(&store, 1).await;
    let actor = AccountId::new_random();
    let full = NewAuditEntry {
        org_id: org.id,
        at: at(5),
        actor_account_id: Some(actor),
        actor_email: Some("Ada@Example.edu".into()),
        action: AuditAction::ScimTokenRotated,
        target: Some("Year 7 — Maths".into()),
        detail: Some("previous token valid until 2026-03-02T09:30:05Z".into()),
        remote_addr: Some("[2001:db8::1]:51234".into()),
    };
    store.append_audit(&full).await.unwrap();
    store
        .append_audit(&entry(org.id, 1, AuditAction::SignIn, "older"))
        .await
        .unwrap();
    store
        .append_audit(&entry(other.id, 9, AuditAction::SignIn, "other org"))
        .await
        .unwrap();

    let entries = store.audit_entries(scope, None, 10).await.unwrap();
    assert_eq!(entries.len(), 2, "only this organization's entries");
    let read = &entries[0];
    assert_eq!(read.org_id, full.org_id);
    assert_eq!(read.at, full.at);
    assert_eq!(read.actor_account_id, full.actor_account_id);
    assert_eq!(read.actor_email, full.actor_email);
    assert_eq!(read.action, full.action);
    assert_eq!(read.target, full.target);
    assert_eq!(read.detail, full.detail);
    assert_eq!(read.remote_addr, full.remote_addr);
    assert_eq!(entries[1].target.as_deref(), Some("older"));
    assert_eq!(
        entries[1].actor_account_id, None,
        "an operator has no account"
    );
}

pub async fn audit_pages_continue_strictly_before_their_cursor(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 1).await;
    for (seconds, target) in [(1, "a"), (2, "b"), (2, "c"), (2, "d"), (3, "e")] {
        store
            .append_audit(&entry(org.id, seconds, AuditAction::MemberAdded, target))
            .await
            .unwrap();
    }
    // Entries at the same instant come newest-appended first.
    assert_eq!(
        targets(&store, org.id, None, 10).await,
        ["e", "d", "c", "b", "a"]
    );
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store.audit_entries(scope, before, 2).await.unwrap();
        if page.is_empty() {
            break;
        }
        before = page.last().map(|e| e.cursor());
        seen.extend(page.into_iter().map(|e| e.target.unwrap()));
    }
    assert_eq!(
        seen,
        ["e", "d", "c", "b", "a"],
        "no entry twice, none left out"
    );
}

pub async fn an_administrator_audits_and_reads_only_their_own_organization(store: Arc<dyn Store>) {
    let (a, _) = org(&store, 1).await;
    let (b, _) = org(&store, 1).await;
    let clock = Arc::new(FixedClock::new(at(0)));
    let roster = Roster::new(store.clone(), clock.clone());
    let ada = Admin::trusted(AccountId::new_random(), a.id, "ada@a.example");
    let bea = Admin::trusted(AccountId::new_random(), b.id, "bea@b.example");
    for n in 0..5 {
        clock.advance(Duration::seconds(1));
        roster
            .audit(
                &ada,
                AuditAction::GroupCreated,
                Some(&format!("g{n}")),
                None,
            )
            .await
            .unwrap();
    }
    roster
        .audit(&bea, AuditAction::ScimEnabled, None, Some("by bea"))
        .await
        .unwrap();

    let first = roster.audit_page(&ada, None, 3).await.unwrap();
    let names: Vec<_> = first
        .entries
        .iter()
        .map(|e| e.target.clone().unwrap())
        .collect();
    assert_eq!(names, ["g4", "g3", "g2"]);
    assert_eq!(
        first.entries[0].actor_email.as_deref(),
        Some("ada@a.example")
    );
    assert_eq!(first.entries[0].actor_account_id, Some(ada.account_id()));
    let second = roster.audit_page(&ada, first.next, 3).await.unwrap();
    let names: Vec<_> = second
        .entries
        .iter()
        .map(|e| e.target.clone().unwrap())
        .collect();
    assert_eq!(names, ["g1", "g0"]);
    assert_eq!(second.next, None, "the last page says so");

    let theirs = roster.audit_page(&bea, None, 50).await.unwrap();
    assert_eq!(
        theirs.entries.len(),
        1,
        "another organization's entries stay out"
    );
    assert_eq!(theirs.entries[0].action, AuditAction::ScimEnabled);
    // A cursor copied from another organization's page shows nothing of it.
    let probe = roster.audit_page(&bea, first.next, 50).await.unwrap();
    assert!(probe.entries.iter().all(|e| e.org_id == b.id));
}
