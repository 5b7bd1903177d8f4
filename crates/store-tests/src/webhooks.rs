//! Webhook endpoints (SPEC §7): stored exactly, claimed by one instance at a time, progress
//! written only by the claim's holder, and their delivery log newest first.

use std::sync::Arc;

use roster_domain::{
    EventPosition, Store, WebhookDelivery, WebhookProgress, WebhookRecord, WebhookState,
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
    store.insert_webhook(&deployment).await.unwrap();
    store.insert_webhook(&mine).await.unwrap();
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
    store.insert_webhook(&h).await.unwrap();
    let claims = (0..10).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .claim_webhook(h.id, &format!("instance-{i}"), at(10), at(70))
                .await
                .unwrap()
        })
    });
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
