//! Webhook endpoints (SPEC §7): stored exactly, claimed by one instance at a time, progress
//! written only by the claim's holder, and their delivery log newest first. Endpoints and the
//! platform API's keys are capped per owner, even when added concurrently, and an
//! organization's reads return its own rows only.

use std::sync::Arc;

use roster_domain::{
    ApiKeyRecord, Capped, EventPosition, OrgId, Store, TokenHash, WebhookDelivery, WebhookProgress,
    WebhookRecord, WebhookState,
};
use uuid::Uuid;

use crate::support::{at, org};

fn hook(org: Option<roster_domain::OrgId>, created: i64) -> WebhookRecord {
    WebhookRecord {
        id: Uuid::new_v4(),
        org_id: org,
        url: "https://hooks.example.com/roster".into(),
        description: "content service".into(),
        sealed_secret: vec![1, 2, 3, 0, 255],
        state: WebhookState::Active,
        cursor: EventPosition { xid: 7, id: 42 },
        cursor_at: at(created),
        pending: None,
        attempts: 0,
        failing_since: None,
        next_attempt_at: None,
        claimed_by: None,
        lease_until: None,
        created_at: at(created),
        paused_at: None,
    }
}

fn delivery(webhook: Uuid, seconds: i64, status: Option<u16>) -> WebhookDelivery {
    WebhookDelivery {
        id: Uuid::new_v4(),
        webhook_id: webhook,
        message_id: format!("msg_{seconds}"),
        after: EventPosition { xid: 1, id: 2 },
        last: EventPosition { xid: 3, id: 4 },
        events: 5,
        status,
        error: status.is_none().then(|| "connection refused".to_owned()),
        duration_ms: 12,
        attempted_at: at(seconds),
        attempt: 2,
        resend: seconds % 2 == 0,
    }
}

pub async fn webhooks_round_trip_change_state_and_are_removed_with_their_log(
    store: Arc<dyn Store>,
) {
    let (org, _) = org(&store, 5).await;
    let deployment = hook(None, 1);
    let mut mine = hook(Some(org.id), 2);
    mine.pending = Some(EventPosition { xid: 8, id: 50 });
    mine.failing_since = Some(at(3));
    assert_eq!(
        store.insert_webhook(&deployment, 20).await.unwrap(),
        Capped::Inserted
    );
    assert_eq!(
        store.insert_webhook(&mine, 20).await.unwrap(),
        Capped::Inserted
    );
    assert_eq!(
        store.webhooks().await.unwrap(),
        vec![deployment.clone(), mine.clone()]
    );
    assert_eq!(store.webhook(mine.id).await.unwrap(), Some(mine.clone()));
    assert_eq!(store.webhook(Uuid::new_v4()).await.unwrap(), None);

    assert!(
        store
            .set_webhook_state(mine.id, WebhookState::Paused, at(9))
            .await
            .unwrap()
    );
    let paused = store.webhook(mine.id).await.unwrap().unwrap();
    assert_eq!(
        (paused.state, paused.paused_at),
        (WebhookState::Paused, Some(at(9)))
    );
    assert!(
        store
            .set_webhook_state(mine.id, WebhookState::Active, at(10))
            .await
            .unwrap()
    );
    let resumed = store.webhook(mine.id).await.unwrap().unwrap();
    assert_eq!(resumed.state, WebhookState::Active);
    assert_eq!(
        (resumed.paused_at, resumed.failing_since, resumed.attempts),
        (None, None, 0)
    );
    // Resuming keeps where it stands, so nothing is skipped.
    assert_eq!(
        (resumed.cursor, resumed.pending),
        (mine.cursor, mine.pending)
    );

    let first = delivery(mine.id, 20, Some(500));
    let second = delivery(mine.id, 21, None);
    store.append_webhook_delivery(&first).await.unwrap();
    store.append_webhook_delivery(&second).await.unwrap();
    store
        .append_webhook_delivery(&delivery(deployment.id, 22, Some(200)))
        .await
        .unwrap();
    assert_eq!(
        store.webhook_deliveries(mine.id, 10).await.unwrap(),
        vec![second.clone(), first.clone()]
    );
    assert_eq!(
        store.webhook_deliveries(mine.id, 1).await.unwrap(),
        vec![second.clone()]
    );
    assert_eq!(store.webhook_delivery(first.id).await.unwrap(), Some(first));

    assert!(store.delete_webhook(mine.id).await.unwrap());
    assert!(!store.delete_webhook(mine.id).await.unwrap());
    assert_eq!(store.webhook_delivery(second.id).await.unwrap(), None);
    assert_eq!(store.webhooks().await.unwrap(), vec![deployment.clone()]);
    assert!(
        !store
            .set_webhook_state(mine.id, WebhookState::Paused, at(30))
            .await
            .unwrap()
    );

    assert_eq!(store.trim_webhook_deliveries(at(23)).await.unwrap(), 1);
    assert!(
        store
            .webhook_deliveries(deployment.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn one_instance_holds_a_webhook_and_only_it_records_progress(store: Arc<dyn Store>) {
    let h = hook(None, 0);
    assert_eq!(
        store.insert_webhook(&h, 20).await.unwrap(),
        Capped::Inserted
    );
    // Collected, so every claim is under way before the first is awaited.
    let claims: Vec<_> = (0..10)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .claim_webhook(h.id, &format!("instance-{i}"), at(10), at(70))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut winners = Vec::new();
    for claim in claims {
        if let Some(claimed) = claim.await.unwrap() {
            winners.push(claimed);
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let holder = winners[0].claimed_by.clone().unwrap();
    assert_eq!(winners[0].lease_until, Some(at(70)));
    // Before the lease ends no other instance gets it; the holder may renew.
    assert!(
        store
            .claim_webhook(h.id, "other", at(69), at(129))
            .await
            .unwrap()
            .is_none()
    );
    let mut progress = WebhookProgress::of(&h);
    progress.cursor = EventPosition { xid: 9, id: 99 };
    progress.cursor_at = at(60);
    assert!(
        !store
            .save_webhook_progress(h.id, "other", &progress)
            .await
            .unwrap()
    );
    assert_eq!(store.webhook(h.id).await.unwrap().unwrap().cursor, h.cursor);
    assert!(
        store
            .save_webhook_progress(h.id, &holder, &progress)
            .await
            .unwrap()
    );
    let saved = store.webhook(h.id).await.unwrap().unwrap();
    assert_eq!(saved.cursor, progress.cursor);
    assert_eq!((saved.claimed_by, saved.lease_until), (None, None));

    // An expired lease is taken over.
    store
        .claim_webhook(h.id, "first", at(100), at(160))
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .claim_webhook(h.id, "second", at(161), at(221))
            .await
            .unwrap()
            .is_some()
    );
    // A paused endpoint is never claimed, and a pause made during a claim stays.
    assert!(
        store
            .set_webhook_state(h.id, WebhookState::Paused, at(170))
            .await
            .unwrap()
    );
    assert!(
        store
            .save_webhook_progress(h.id, "second", &progress)
            .await
            .unwrap()
    );
    assert_eq!(
        store.webhook(h.id).await.unwrap().unwrap().state,
        WebhookState::Paused
    );
    assert!(
        store
            .claim_webhook(h.id, "third", at(300), at(360))
            .await
            .unwrap()
            .is_none()
    );
}

fn key(org: Option<OrgId>, created: i64) -> ApiKeyRecord {
    ApiKeyRecord {
        id: Uuid::new_v4(),
        org_id: org,
        name: format!("key {created}"),
        hash: TokenHash::of(&Uuid::new_v4().to_string()),
        created_at: at(created),
        last_used_at: None,
        revoked_at: None,
    }
}

async fn stored_hooks_of(store: &Arc<dyn Store>, org: Option<OrgId>) -> usize {
    store
        .webhooks()
        .await
        .unwrap()
        .iter()
        .filter(|h| h.org_id == org)
        .count()
}

pub async fn webhooks_are_capped_per_organization_and_for_the_deployment(store: Arc<dyn Store>) {
    let (a, _) = org(&store, 5).await;
    let (b, _) = org(&store, 5).await;
    let mut first = None;
    for i in 0..3 {
        let h = hook(Some(a.id), i);
        assert_eq!(store.insert_webhook(&h, 3).await.unwrap(), Capped::Inserted);
        first.get_or_insert(h.id);
    }
    // A paused endpoint still counts: pausing is no way around the cap.
    let first = first.unwrap();
    store
        .set_webhook_state(first, WebhookState::Paused, at(5))
        .await
        .unwrap();
    let refused = hook(Some(a.id), 10);
    assert_eq!(
        store.insert_webhook(&refused, 3).await.unwrap(),
        Capped::LimitReached
    );
    assert_eq!(store.webhook(refused.id).await.unwrap(), None);
    assert_eq!(stored_hooks_of(&store, Some(a.id)).await, 3);
    // Other owners count apart: another organization, and the deployment.
    assert_eq!(
        store
            .insert_webhook(&hook(Some(b.id), 11), 3)
            .await
            .unwrap(),
        Capped::Inserted
    );
    for i in 0..3 {
        assert_eq!(
            store.insert_webhook(&hook(None, 20 + i), 3).await.unwrap(),
            Capped::Inserted
        );
    }
    assert_eq!(
        store.insert_webhook(&hook(None, 30), 3).await.unwrap(),
        Capped::LimitReached
    );
    assert_eq!(stored_hooks_of(&store, None).await, 3);
    // Removing one makes room for one.
    assert!(store.delete_webhook(first).await.unwrap());
    assert_eq!(
        store.insert_webhook(&refused, 3).await.unwrap(),
        Capped::Inserted
    );
    assert_eq!(
        store
            .insert_webhook(&hook(Some(a.id), 40), 3)
            .await
            .unwrap(),
        Capped::LimitReached
    );
    assert_eq!(stored_hooks_of(&store, Some(a.id)).await, 3);
}

pub async fn concurrent_webhook_and_key_inserts_stop_exactly_at_the_cap(store: Arc<dyn Store>) {
    let (a, _) = org(&store, 5).await;
    for owner in [Some(a.id), None] {
        // Collected, so every insert is under way before the first is awaited.
        let inserts: Vec<_> = (0..16)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move { store.insert_webhook(&hook(owner, i), 5).await.unwrap() })
            })
            .collect();
        let mut inserted = 0;
        for insert in inserts {
            if insert.await.unwrap() == Capped::Inserted {
                inserted += 1;
            }
        }
        assert_eq!(inserted, 5, "endpoints of {owner:?}");
        assert_eq!(stored_hooks_of(&store, owner).await, 5);

        let inserts: Vec<_> = (0..16)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move { store.insert_api_key(&key(owner, i), 5).await.unwrap() })
            })
            .collect();
        let mut inserted = 0;
        for insert in inserts {
            if insert.await.unwrap() == Capped::Inserted {
                inserted += 1;
            }
        }
        assert_eq!(inserted, 5, "keys of {owner:?}");
        let stored = store.api_keys().await.unwrap();
        assert_eq!(stored.iter().filter(|k| k.org_id == owner).count(), 5);
    }
}

pub async fn api_keys_are_capped_by_the_keys_not_revoked_per_owner(store: Arc<dyn Store>) {
    let (a, _) = org(&store, 5).await;
    let (b, _) = org(&store, 5).await;
    let mut keys = Vec::new();
    for i in 0..2 {
        let k = key(Some(a.id), i);
        assert_eq!(store.insert_api_key(&k, 2).await.unwrap(), Capped::Inserted);
        keys.push(k);
    }
    let refused = key(Some(a.id), 5);
    assert_eq!(
        store.insert_api_key(&refused, 2).await.unwrap(),
        Capped::LimitReached
    );
    assert_eq!(store.api_key(&refused.hash).await.unwrap(), None);
    assert_eq!(
        store.insert_api_key(&key(Some(b.id), 6), 2).await.unwrap(),
        Capped::Inserted
    );
    assert_eq!(
        store.insert_api_key(&key(None, 7), 2).await.unwrap(),
        Capped::Inserted
    );
    // A revoked key no longer counts (it stays listed).
    assert!(store.revoke_api_key(keys[0].id, at(8)).await.unwrap());
    assert_eq!(
        store.insert_api_key(&refused, 2).await.unwrap(),
        Capped::Inserted
    );
    assert_eq!(
        store.insert_api_key(&key(Some(a.id), 9), 2).await.unwrap(),
        Capped::LimitReached
    );
    let of_a = store
        .api_keys()
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.org_id == Some(a.id))
        .count();
    assert_eq!(of_a, 3);
}

pub async fn an_organizations_webhook_and_key_reads_return_its_own_rows_only(
    store: Arc<dyn Store>,
) {
    let (a, scope_a) = org(&store, 5).await;
    let (b, scope_b) = org(&store, 5).await;
    let hooks_a = [hook(Some(a.id), 2), hook(Some(a.id), 1)];
    let hook_b = hook(Some(b.id), 3);
    let deployment = hook(None, 4);
    for h in hooks_a.iter().chain([&hook_b, &deployment]) {
        assert_eq!(store.insert_webhook(h, 20).await.unwrap(), Capped::Inserted);
    }
    assert_eq!(
        store.org_webhooks(scope_a).await.unwrap(),
        vec![hooks_a[1].clone(), hooks_a[0].clone()],
        "oldest first"
    );
    assert_eq!(
        store.org_webhooks(scope_b).await.unwrap(),
        vec![hook_b.clone()]
    );
    assert_eq!(
        store.org_webhook(scope_a, hooks_a[0].id).await.unwrap(),
        Some(hooks_a[0].clone())
    );
    for other in [hook_b.id, deployment.id, Uuid::new_v4()] {
        assert_eq!(store.org_webhook(scope_a, other).await.unwrap(), None);
    }

    let keys_a = [key(Some(a.id), 1), key(Some(a.id), 2)];
    let key_b = key(Some(b.id), 3);
    let deployment_key = key(None, 4);
    for k in keys_a.iter().chain([&key_b, &deployment_key]) {
        assert_eq!(
            store.insert_api_key(k, 100).await.unwrap(),
            Capped::Inserted
        );
    }
    assert!(store.revoke_api_key(keys_a[0].id, at(9)).await.unwrap());
    let mut revoked = keys_a[0].clone();
    revoked.revoked_at = Some(at(9));
    assert_eq!(
        store.org_api_keys(scope_a).await.unwrap(),
        vec![keys_a[1].clone(), revoked.clone()],
        "newest first, revoked ones too"
    );
    assert_eq!(
        store.org_api_keys(scope_b).await.unwrap(),
        vec![key_b.clone()]
    );
    assert_eq!(
        store.org_api_key(scope_a, revoked.id).await.unwrap(),
        Some(revoked)
    );
    for other in [key_b.id, deployment_key.id, Uuid::new_v4()] {
        assert_eq!(store.org_api_key(scope_a, other).await.unwrap(), None);
    }
    let (_, empty) = org(&store, 5).await;
    assert!(store.org_webhooks(empty).await.unwrap().is_empty());
    assert!(store.org_api_keys(empty).await.unwrap().is_empty());
}

pub async fn due_webhooks_are_the_active_ones_not_waiting_and_not_held_by_another_instance(
    store: Arc<dyn Store>,
) {
    let now = at(100);
    let idle = hook(None, 1);
    let mut retry_due = hook(None, 2);
    retry_due.next_attempt_at = Some(now);
    let mut retry_later = hook(None, 3);
    retry_later.next_attempt_at = Some(at(101));
    let paused = hook(None, 4);
    let held_by_other = hook(None, 5);
    let held_by_me = hook(None, 6);
    let lease_expired = hook(None, 7);
    for h in [
        &idle,
        &retry_due,
        &retry_later,
        &paused,
        &held_by_other,
        &held_by_me,
        &lease_expired,
    ] {
        assert_eq!(store.insert_webhook(h, 20).await.unwrap(), Capped::Inserted);
    }
    store
        .set_webhook_state(paused.id, WebhookState::Paused, at(50))
        .await
        .unwrap();
    for (h, instance, until) in [
        (&held_by_other, "other", at(160)),
        (&held_by_me, "me", at(160)),
        (&lease_expired, "other", now),
    ] {
        store
            .claim_webhook(h.id, instance, at(60), until)
            .await
            .unwrap()
            .unwrap();
    }
    let due: Vec<Uuid> = store
        .due_webhooks(now, "me")
        .await
        .unwrap()
        .iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(
        due,
        vec![idle.id, retry_due.id, held_by_me.id, lease_expired.id]
    );
}
