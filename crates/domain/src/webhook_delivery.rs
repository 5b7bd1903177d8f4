//! The webhook delivery job (SPEC §7), one tick at a time: for each active endpoint with events
//! after its cursor (or a retry due), claim it with a lease (so one instance at a time delivers
//! to it), POST the next batch, and write back where it stands. Delivery is at least once and
//! in order: a failed batch is retried, exactly, with backoff, and nothing after it is sent
//! until it succeeds; after a day of failures the endpoint is paused with its cursor kept.
//!
//! An idle endpoint costs one read per tick and no write: it is claimed only when there is
//! something to send, or (rarely) to move its cursor past other organizations' events so it
//! never falls behind the feed's retention horizon.
//!
//! A tick reads only the endpoints that may be due and starts a task for each, without waiting
//! for them: a receiver that hangs until the timeout holds up its own endpoint only, never
//! another organization's. Each instance keeps the endpoints it is delivering to, skips them
//! until their task ends, and runs at most [`DELIVERIES_MAX`] at once.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Instant,
};

use async_trait::async_trait;
use serde_json::json;
use time::Duration;
use uuid::Uuid;

use crate::{
    AuditAction, Event, EventPosition, FeedCursor, Roster, WebhookDelivery, WebhookProgress,
    WebhookRecord, WebhookState,
    audit::Actor,
    error::Result,
    event_json,
    webhooks::{message_id, sign, trimmed},
};

/// Events one POST carries at most.
pub const WEBHOOK_BATCH: u32 = 100;
/// How long an idle endpoint's cursor may lag behind the feed's head before it is moved.
const IDLE_ADVANCE: Duration = Duration::hours(1);
/// Deliveries one instance runs at once: enough that many slow receivers leave room for the
/// rest, few enough that connections and database reads stay modest. Endpoints beyond it wait
/// for a later tick.
pub const DELIVERIES_MAX: u32 = 64;

/// The deliveries this instance has under way.
#[derive(Debug)]
pub(crate) struct InFlight {
    endpoints: Mutex<HashSet<Uuid>>,
    slots: Arc<tokio::sync::Semaphore>,
}

impl Default for InFlight {
    fn default() -> Self {
        Self {
            endpoints: Mutex::default(),
            slots: Arc::new(tokio::sync::Semaphore::new(DELIVERIES_MAX as usize)),
        }
    }
}

impl InFlight {
    /// Marks `id` as in flight, taking a slot: `None` when it already is, or no slot is free.
    fn start(self: &Arc<Self>, id: Uuid) -> Option<Running> {
        let mut endpoints = self.endpoints.lock().unwrap_or_else(|p| p.into_inner());
        if endpoints.contains(&id) {
            return None;
        }
        let slot = Arc::clone(&self.slots).try_acquire_owned().ok()?;
        endpoints.insert(id);
        Some(Running {
            id,
            in_flight: Arc::clone(self),
            _slot: slot,
        })
    }
}

/// One delivery under way. Dropping it (when its task ends, even by a panic) frees the
/// endpoint, then the slot.
struct Running {
    id: Uuid,
    in_flight: Arc<InFlight>,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.in_flight
            .endpoints
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

/// Sends a signed POST. Implemented over HTTP by the web crate; the domain holds no HTTP client.
#[async_trait]
pub trait WebhookTransport: Send + Sync + std::fmt::Debug {
    /// POSTs `body` to `url` with `headers`: the status code when the receiver answered, else
    /// why not (refused address, timeout, connection error), as text for the delivery log.
    async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> std::result::Result<u16, String>;
}

/// How the job retries and gives up; tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// The wait after the first failure; doubled after each further one, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Continuous failure after which the endpoint is paused.
    pub give_up: Duration,
    /// How long a claim lasts: longer than one POST can take.
    pub lease: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            retry_base: Duration::seconds(5),
            retry_max: Duration::hours(1),
            give_up: Duration::hours(24),
            lease: Duration::minutes(2),
        }
    }
}

impl DeliveryPolicy {
    /// The wait before attempt `failures + 1`: doubling from `retry_base`, capped, then
    /// jittered down by up to a fifth so endpoints failing together do not retry together.
    pub fn backoff(&self, failures: u32) -> Duration {
        let doubled = self
            .retry_base
            .checked_mul(1_i32 << failures.saturating_sub(1).min(20))
            .unwrap_or(self.retry_max);
        let wait = doubled.min(self.retry_max);
        let mut byte = [0u8; 1];
        let jitter = getrandom::fill(&mut byte).map_or(0.0, |()| f64::from(byte[0]) / 255.0 / 5.0);
        wait - wait * jitter
    }
}

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryTick {
    /// Endpoints a delivery was started for.
    pub started: u32,
    /// Due endpoints left for a later tick: still being delivered to by this instance, or no
    /// slot free.
    pub skipped: u32,
}

impl Roster {
    /// One round of delivery: starts a task for each due endpoint this instance is not already
    /// delivering to, up to [`DELIVERIES_MAX`] under way, and returns without waiting for them
    /// ([`Roster::deliveries_settled`] waits). `instance` names this process in claims.
    pub async fn deliver_webhooks(
        &self,
        transport: Arc<dyn WebhookTransport>,
        policy: DeliveryPolicy,
        instance: &str,
    ) -> Result<DeliveryTick> {
        let hooks = self.store.due_webhooks(self.now(), instance).await?;
        let mut tick = DeliveryTick::default();
        for hook in hooks {
            let Some(running) = self.deliveries.start(hook.id) else {
                tick.skipped += 1;
                continue;
            };
            tick.started += 1;
            let roster = self.clone();
            let transport = transport.clone();
            let instance = instance.to_owned();
            tokio::spawn(async move {
                let id = hook.id;
                if let Err(e) = roster
                    .deliver_to(hook, &*transport, policy, &instance)
                    .await
                {
                    tracing::warn!(webhook.id = %id, error = %e, "webhook delivery failed; retrying at a later tick");
                }
                drop(running);
            });
        }
        Ok(tick)
    }

    /// Waits until none of this instance's deliveries is under way (those started meanwhile
    /// included): for tests, and for a shutdown that lets deliveries finish.
    pub async fn deliveries_settled(&self) {
        let slots = &self.deliveries.slots;
        if let Ok(all) = slots.acquire_many(DELIVERIES_MAX).await {
            drop(all);
        }
    }

    /// Delivers the endpoint's next batch if it has one: `Some(accepted)` when a POST was made.
    async fn deliver_to(
        &self,
        seen: WebhookRecord,
        transport: &dyn WebhookTransport,
        policy: DeliveryPolicy,
        instance: &str,
    ) -> Result<Option<bool>> {
        let page = self
            .store
            .events_page(Some(seen.cursor), seen.org_id, WEBHOOK_BATCH)
            .await?;
        let now = self.now();
        if page.events.is_empty() {
            // Other organizations' events (or none): move the cursor now and then, not every
            // tick, so an idle endpoint costs no writes but never falls behind the horizon.
            if let Some(head) = page.head
                && head > seen.cursor
                && seen.pending.is_none()
                && now - seen.cursor_at >= IDLE_ADVANCE
                && let Some(hook) = self.claim(&seen, instance, policy).await?
            {
                let mut progress = WebhookProgress::of(&hook);
                if hook.cursor == seen.cursor {
                    progress.cursor = head;
                    progress.cursor_at = now;
                }
                self.store
                    .save_webhook_progress(hook.id, instance, &progress)
                    .await?;
            }
            return Ok(None);
        }
        let Some(hook) = self.claim(&seen, instance, policy).await? else {
            return Ok(None);
        };
        // Another instance may have delivered between the read and the claim.
        let page = if hook.cursor == seen.cursor {
            page
        } else {
            self.store
                .events_page(Some(hook.cursor), hook.org_id, WEBHOOK_BATCH)
                .await?
        };
        if page.horizon > hook.cursor {
            tracing::warn!(webhook.id = %hook.id, "events this webhook had not received were trimmed from the feed; its receiver should resynchronise from the read API");
        }
        let batch = batch_of(page.events, hook.pending);
        let Some(last) = batch.last().map(|e| e.position) else {
            // Nothing to send after all: release the claim as it stands.
            self.store
                .save_webhook_progress(hook.id, instance, &WebhookProgress::of(&hook))
                .await?;
            return Ok(None);
        };
        let attempt = hook.attempts + 1;
        let delivery = self
            .post_batch(&hook, hook.cursor, &batch, transport, attempt, false)
            .await?;
        let now = delivery.attempted_at;
        let delivered = delivery.succeeded();
        let mut progress = WebhookProgress::of(&hook);
        if delivered {
            progress.cursor = last;
            progress.cursor_at = now;
            progress.pending = None;
            progress.attempts = 0;
            progress.failing_since = None;
            progress.next_attempt_at = None;
        } else {
            let since = hook.failing_since.unwrap_or(now);
            progress.pending = Some(last);
            progress.attempts = attempt;
            progress.failing_since = Some(since);
            if now - since >= policy.give_up {
                progress.state = WebhookState::Paused;
                progress.paused_at = Some(now);
                progress.next_attempt_at = None;
            } else {
                progress.next_attempt_at = Some(now + policy.backoff(attempt));
            }
        }
        let saved = self
            .store
            .save_webhook_progress(hook.id, instance, &progress)
            .await?;
        if saved && progress.state == WebhookState::Paused {
            tracing::warn!(webhook.id = %hook.id, failing.since = %progress.failing_since.unwrap_or(now), "webhook paused after failing for too long; resume it to deliver what it missed");
            if let Some(org) = hook.org_id {
                self.audit_as(
                    org,
                    Actor::Operator,
                    AuditAction::WebhookPaused,
                    Some(&hook.url),
                    Some("paused by the delivery job: every delivery failed for a day"),
                )
                .await?;
            }
        }
        Ok(Some(delivered))
    }

    async fn claim(
        &self,
        hook: &WebhookRecord,
        instance: &str,
        policy: DeliveryPolicy,
    ) -> Result<Option<WebhookRecord>> {
        let now = self.now();
        Ok(self
            .store
            .claim_webhook(hook.id, instance, now, now + policy.lease)
            .await?)
    }

    /// POSTs the batch after `after` and logs the attempt.
    async fn post_batch(
        &self,
        hook: &WebhookRecord,
        after: EventPosition,
        batch: &[Event],
        transport: &dyn WebhookTransport,
        attempt: u32,
        resend: bool,
    ) -> Result<WebhookDelivery> {
        let last = batch.last().map_or(after, |e| e.position);
        let id = message_id(hook.id, after, last);
        let body = json!({
            "events": batch.iter().map(event_json).collect::<Vec<_>>(),
            "next": FeedCursor(last).encode(),
        });
        let body = serde_json::to_vec(&body)
            .map_err(|e| crate::Internal::new("encoding a webhook batch", e.to_string()))?;
        let timestamp = self.now().unix_timestamp();
        let signature = sign(&self.webhook_secret(hook)?, &id, timestamp, &body)?;
        let headers = [
            ("content-type", "application/json".to_owned()),
            ("webhook-id", id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature),
        ];
        let started = Instant::now();
        let answer = transport.post(&hook.url, &headers, body).await;
        let duration_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
        let (status, error) = match answer {
            Ok(status) => (Some(status), None),
            Err(why) => (None, Some(why)),
        };
        let delivery = WebhookDelivery {
            id: Uuid::new_v4(),
            webhook_id: hook.id,
            message_id: id,
            after,
            last,
            events: u32::try_from(batch.len()).unwrap_or(u32::MAX),
            status,
            error,
            duration_ms,
            attempted_at: self.now(),
            attempt,
            resend,
        };
        self.store.append_webhook_delivery(&delivery).await?;
        tracing::debug!(webhook.id = %hook.id, webhook.message = %delivery.message_id, status = ?delivery.status, "webhook batch posted");
        Ok(delivery)
    }

    /// Sends a logged delivery's events again, with the same `webhook-id`, as the operator.
    pub async fn resend_webhook_delivery(
        &self,
        delivery: &str,
        transport: &dyn WebhookTransport,
    ) -> Result<WebhookDelivery> {
        self.resend_as(Actor::Operator, None, delivery, transport)
            .await
    }

    /// Sends a logged delivery of the administrator's organization again, audited.
    pub async fn console_resend_webhook_delivery(
        &self,
        admin: &crate::Admin,
        delivery: &str,
        transport: &dyn WebhookTransport,
    ) -> Result<WebhookDelivery> {
        self.resend_as(
            Actor::Admin(admin),
            Some(admin.scope()),
            delivery,
            transport,
        )
        .await
    }

    async fn resend_as(
        &self,
        actor: Actor<'_>,
        within: Option<crate::OrgScope>,
        delivery: &str,
        transport: &dyn WebhookTransport,
    ) -> Result<WebhookDelivery> {
        let not_found = || crate::Error::NotFound(format!("no webhook delivery '{delivery}'"));
        let id: Uuid = delivery.trim().parse().map_err(|_| not_found())?;
        let logged = self
            .store
            .webhook_delivery(id)
            .await?
            .ok_or_else(not_found)?;
        let hook = match within {
            Some(scope) => self.store.org_webhook(scope, logged.webhook_id).await?,
            None => self.store.webhook(logged.webhook_id).await?,
        }
        .ok_or_else(not_found)?;
        let page = self
            .store
            .events_page(Some(logged.after), hook.org_id, WEBHOOK_BATCH)
            .await?;
        if page.horizon > logged.after {
            return Err(trimmed());
        }
        let batch = batch_of(page.events, Some(logged.last));
        if batch.last().map(|e| e.position) != Some(logged.last) {
            return Err(trimmed());
        }
        let sent = self
            .post_batch(&hook, logged.after, &batch, transport, 1, true)
            .await?;
        if let Some(org) = hook.org_id {
            self.audit_as(
                org,
                actor,
                AuditAction::WebhookResent,
                Some(&hook.url),
                Some(&sent.message_id),
            )
            .await?;
        }
        Ok(sent)
    }
}

/// The batch to send: the events read, up to `pending` when a batch is being retried.
fn batch_of(mut events: Vec<Event>, pending: Option<EventPosition>) -> Vec<Event> {
    if let Some(last) = pending {
        events.retain(|e| e.position <= last);
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_bounded_jitter() {
        let policy = DeliveryPolicy::default();
        for (failures, full) in [(1, 5), (2, 10), (3, 20), (10, 2560), (11, 3600), (40, 3600)] {
            let wait = policy.backoff(failures);
            let full = Duration::seconds(full);
            assert!(wait <= full && wait >= full * 0.8, "{failures}: {wait}");
        }
    }
}
