//! Webhook endpoints and their delivery log on PostgreSQL. The secret is stored sealed; a claim
//! is one conditional `UPDATE`, so of several instances only one holds an endpoint at a time.
//! Adding an endpoint counts its owner's under the owner's event lock, so concurrent adds on
//! any number of instances take turns and the cap holds.

use deadpool_postgres::GenericClient;
use roster_domain::{
    Capped, EventPosition, OrgScope, StoreError, WebhookDelivery, WebhookProgress, WebhookRecord,
    WebhookState,
};
use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::{
    convert::{Context, col, from_uuid, to_u32, to_uuid},
    events,
    pool::{self, execute, query, query_one, query_opt},
};

const HOOK_COLUMNS: &str = "id, org_id, url, description, sealed_secret, state, cursor_xid, \
     cursor_id, cursor_at, pending_xid, pending_id, attempts, failing_since, next_attempt_at, \
     claimed_by, lease_until, created_at, paused_at";

const DELIVERY_COLUMNS: &str = "id, webhook_id, message_id, after_xid, after_id, last_xid, \
     last_id, events, status, error, duration_ms, attempted_at, attempt, resend";

fn hook_from_row(row: &Row) -> Result<WebhookRecord, StoreError> {
    let org: Option<Uuid> = col(row, "org_id")?;
    let state: String = col(row, "state")?;
    let pending_xid: Option<i64> = col(row, "pending_xid")?;
    let pending_id: Option<i64> = col(row, "pending_id")?;
    Ok(WebhookRecord {
        id: col(row, "id")?,
        org_id: org
            .map(|o| from_uuid(o, "a webhook's organization"))
            .transpose()?,
        url: col(row, "url")?,
        description: col(row, "description")?,
        sealed_secret: col(row, "sealed_secret")?,
        state: WebhookState::parse(&state)
            .ok_or_else(|| StoreError::internal("reading a webhook", "unknown state"))?,
        cursor: EventPosition {
            xid: col(row, "cursor_xid")?,
            id: col(row, "cursor_id")?,
        },
        cursor_at: col(row, "cursor_at")?,
        pending: pending_xid
            .zip(pending_id)
            .map(|(xid, id)| EventPosition { xid, id }),
        attempts: to_u32(col(row, "attempts")?, "a webhook's attempts")?,
        failing_since: col(row, "failing_since")?,
        next_attempt_at: col(row, "next_attempt_at")?,
        claimed_by: col(row, "claimed_by")?,
        lease_until: col(row, "lease_until")?,
        created_at: col(row, "created_at")?,
        paused_at: col(row, "paused_at")?,
    })
}

fn delivery_from_row(row: &Row) -> Result<WebhookDelivery, StoreError> {
    let status: Option<i32> = col(row, "status")?;
    Ok(WebhookDelivery {
        id: col(row, "id")?,
        webhook_id: col(row, "webhook_id")?,
        message_id: col(row, "message_id")?,
        after: EventPosition {
            xid: col(row, "after_xid")?,
            id: col(row, "after_id")?,
        },
        last: EventPosition {
            xid: col(row, "last_xid")?,
            id: col(row, "last_id")?,
        },
        events: to_u32(col(row, "events")?, "a delivery's events")?,
        status: status
            .map(|s| {
                u16::try_from(s)
                    .map_err(|_| StoreError::internal("reading a delivery", "bad status"))
            })
            .transpose()?,
        error: col(row, "error")?,
        duration_ms: to_u32(col(row, "duration_ms")?, "a delivery's duration")?,
        attempted_at: col(row, "attempted_at")?,
        attempt: to_u32(col(row, "attempt")?, "a delivery's attempt")?,
        resend: col(row, "resend")?,
    })
}

pub(crate) async fn insert(
    pool: &deadpool_postgres::Pool,
    hook: &WebhookRecord,
    max: u32,
) -> Result<Capped, StoreError> {
    let org = hook.org_id.map(to_uuid).transpose()?;
    let mut client = pool::get(pool).await?;
    let tx = events::begin(&mut client, hook.org_id).await?;
    let existing: i64 = col(
        &query_one(
            &tx,
            "SELECT count(*) AS n FROM webhooks WHERE org_id IS NOT DISTINCT FROM $1",
            &[&org],
            "counting webhooks",
        )
        .await?,
        "n",
    )?;
    if existing >= i64::from(max) {
        return Ok(Capped::LimitReached);
    }
    execute(
        &tx,
        &format!(
            "INSERT INTO webhooks ({HOOK_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
        ),
        &[
            &hook.id,
            &org,
            &hook.url,
            &hook.description,
            &hook.sealed_secret,
            &hook.state.as_str(),
            &hook.cursor.xid,
            &hook.cursor.id,
            &hook.cursor_at,
            &hook.pending.map(|p| p.xid),
            &hook.pending.map(|p| p.id),
            &i64::from(hook.attempts),
            &hook.failing_since,
            &hook.next_attempt_at,
            &hook.claimed_by,
            &hook.lease_until,
            &hook.created_at,
            &hook.paused_at,
        ],
        "adding a webhook",
    )
    .await?;
    tx.commit().await.context("committing a new webhook")?;
    Ok(Capped::Inserted)
}

pub(crate) async fn list(client: &impl GenericClient) -> Result<Vec<WebhookRecord>, StoreError> {
    query(
        client,
        &format!("SELECT {HOOK_COLUMNS} FROM webhooks ORDER BY created_at, id"),
        &[],
        "listing webhooks",
    )
    .await?
    .iter()
    .map(hook_from_row)
    .collect()
}

pub(crate) async fn list_of(
    client: &impl GenericClient,
    scope: OrgScope,
) -> Result<Vec<WebhookRecord>, StoreError> {
    let org = to_uuid(scope.org_id())?;
    query(
        client,
        &format!("SELECT {HOOK_COLUMNS} FROM webhooks WHERE org_id = $1 ORDER BY created_at, id"),
        &[&org],
        "listing the organization's webhooks",
    )
    .await?
    .iter()
    .map(hook_from_row)
    .collect()
}

pub(crate) async fn due(
    client: &impl GenericClient,
    now: OffsetDateTime,
    instance: &str,
) -> Result<Vec<WebhookRecord>, StoreError> {
    query(
        client,
        &format!(
            "SELECT {HOOK_COLUMNS} FROM webhooks WHERE state = 'active' \
             AND (next_attempt_at IS NULL OR next_attempt_at <= $1) \
             AND (lease_until IS NULL OR lease_until <= $1 OR claimed_by = $2) \
             ORDER BY cursor_at, id"
        ),
        &[&now, &instance],
        "listing the webhooks due",
    )
    .await?
    .iter()
    .map(hook_from_row)
    .collect()
}

pub(crate) async fn get_of(
    client: &impl GenericClient,
    scope: OrgScope,
    id: Uuid,
) -> Result<Option<WebhookRecord>, StoreError> {
    let org = to_uuid(scope.org_id())?;
    query_opt(
        client,
        &format!("SELECT {HOOK_COLUMNS} FROM webhooks WHERE id = $1 AND org_id = $2"),
        &[&id, &org],
        "reading a webhook",
    )
    .await?
    .map(|r| hook_from_row(&r))
    .transpose()
}

pub(crate) async fn get(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<Option<WebhookRecord>, StoreError> {
    query_opt(
        client,
        &format!("SELECT {HOOK_COLUMNS} FROM webhooks WHERE id = $1"),
        &[&id],
        "reading a webhook",
    )
    .await?
    .map(|r| hook_from_row(&r))
    .transpose()
}

pub(crate) async fn delete(client: &impl GenericClient, id: Uuid) -> Result<bool, StoreError> {
    let n = execute(
        client,
        "DELETE FROM webhooks WHERE id = $1",
        &[&id],
        "removing a webhook",
    )
    .await?;
    Ok(n == 1)
}

pub(crate) async fn set_state(
    client: &impl GenericClient,
    id: Uuid,
    state: WebhookState,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let n = match state {
        WebhookState::Paused => {
            execute(
                client,
                "UPDATE webhooks SET state = 'paused', paused_at = $2 WHERE id = $1",
                &[&id, &at],
                "pausing a webhook",
            )
            .await?
        }
        WebhookState::Active => {
            execute(
                client,
                "UPDATE webhooks SET state = 'active', paused_at = NULL, attempts = 0, \
                 failing_since = NULL, next_attempt_at = NULL WHERE id = $1",
                &[&id],
                "resuming a webhook",
            )
            .await?
        }
    };
    Ok(n == 1)
}

pub(crate) async fn claim(
    client: &impl GenericClient,
    id: Uuid,
    instance: &str,
    now: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<Option<WebhookRecord>, StoreError> {
    query_opt(
        client,
        &format!(
            "UPDATE webhooks SET claimed_by = $2, lease_until = $4 WHERE id = $1 \
             AND state = 'active' AND (lease_until IS NULL OR lease_until <= $3 OR claimed_by = $2) \
             RETURNING {HOOK_COLUMNS}"
        ),
        &[&id, &instance, &now, &until],
        "claiming a webhook",
    )
    .await?
    .map(|r| hook_from_row(&r))
    .transpose()
}

pub(crate) async fn save_progress(
    client: &impl GenericClient,
    id: Uuid,
    instance: &str,
    p: &WebhookProgress,
) -> Result<bool, StoreError> {
    // A pause by an administrator meanwhile wins over the job's state.
    let n = execute(
        client,
        "UPDATE webhooks SET \
           state = CASE WHEN state = 'paused' THEN 'paused' ELSE $3 END, \
           paused_at = CASE WHEN state = 'paused' THEN paused_at ELSE $11 END, \
           cursor_xid = $4, cursor_id = $5, cursor_at = $6, pending_xid = $7, \
           pending_id = $8, attempts = $9, failing_since = $10, next_attempt_at = $12, \
           claimed_by = NULL, lease_until = NULL \
         WHERE id = $1 AND claimed_by = $2",
        &[
            &id,
            &instance,
            &p.state.as_str(),
            &p.cursor.xid,
            &p.cursor.id,
            &p.cursor_at,
            &p.pending.map(|x| x.xid),
            &p.pending.map(|x| x.id),
            &i64::from(p.attempts),
            &p.failing_since,
            &p.paused_at,
            &p.next_attempt_at,
        ],
        "recording a webhook's progress",
    )
    .await?;
    Ok(n == 1)
}

pub(crate) async fn append_delivery(
    client: &impl GenericClient,
    d: &WebhookDelivery,
) -> Result<(), StoreError> {
    execute(
        client,
        &format!(
            "INSERT INTO webhook_deliveries ({DELIVERY_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        ),
        &[
            &d.id,
            &d.webhook_id,
            &d.message_id,
            &d.after.xid,
            &d.after.id,
            &d.last.xid,
            &d.last.id,
            &i64::from(d.events),
            &d.status.map(i32::from),
            &d.error,
            &i64::from(d.duration_ms),
            &d.attempted_at,
            &i64::from(d.attempt),
            &d.resend,
        ],
        "logging a webhook delivery",
    )
    .await?;
    Ok(())
}

pub(crate) async fn deliveries(
    client: &impl GenericClient,
    webhook: Uuid,
    limit: u32,
) -> Result<Vec<WebhookDelivery>, StoreError> {
    query(
        client,
        &format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 \
             ORDER BY attempted_at DESC, seq DESC LIMIT $2"
        ),
        &[&webhook, &i64::from(limit)],
        "reading a webhook's deliveries",
    )
    .await?
    .iter()
    .map(delivery_from_row)
    .collect()
}

pub(crate) async fn delivery(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<Option<WebhookDelivery>, StoreError> {
    query_opt(
        client,
        &format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1"),
        &[&id],
        "reading a webhook delivery",
    )
    .await?
    .map(|r| delivery_from_row(&r))
    .transpose()
}

pub(crate) async fn trim_deliveries(
    client: &impl GenericClient,
    before: OffsetDateTime,
) -> Result<u64, StoreError> {
    execute(
        client,
        "DELETE FROM webhook_deliveries WHERE attempted_at < $1",
        &[&before],
        "trimming the webhook delivery log",
    )
    .await
}
