//! Webhook endpoints and their delivery log on SQLite. The secret is stored sealed; a claim is
//! a conditional update, so of two claimers (threads of one process) only one wins.

use roster_domain::{
    Capped, EventPosition, OrgScope, StoreError, WebhookDelivery, WebhookProgress, WebhookRecord,
    WebhookState,
};
use rusqlite::{Connection, OptionalExtension, Row, params};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::convert::{Context, from_micros, parse_id, to_micros};

const HOOK_COLUMNS: &str = "id, org_id, url, description, sealed_secret, state, cursor_xid, \
     cursor_id, cursor_at, pending_xid, pending_id, attempts, failing_since, next_attempt_at, \
     claimed_by, lease_until, created_at, paused_at";

const DELIVERY_COLUMNS: &str = "id, webhook_id, message_id, after_xid, after_id, last_xid, \
     last_id, events, status, error, duration_ms, attempted_at, attempt, resend";

fn position(xid: Option<i64>, id: Option<i64>) -> Option<EventPosition> {
    Some(EventPosition { xid: xid?, id: id? })
}

fn count(n: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| StoreError::internal(format!("reading {what}"), "out of range"))
}

fn hook_from_row(row: &Row<'_>) -> rusqlite::Result<Result<WebhookRecord, StoreError>> {
    let id: String = row.get(0)?;
    let org: Option<String> = row.get(1)?;
    let state: String = row.get(5)?;
    let failing: Option<i64> = row.get(12)?;
    let next: Option<i64> = row.get(13)?;
    let lease: Option<i64> = row.get(15)?;
    let paused: Option<i64> = row.get(17)?;
    let (url, description, sealed_secret) = (row.get(2)?, row.get(3)?, row.get(4)?);
    let cursor = EventPosition {
        xid: row.get(6)?,
        id: row.get(7)?,
    };
    let (cursor_at, pending, attempts): (i64, _, i64) = (
        row.get(8)?,
        position(row.get(9)?, row.get(10)?),
        row.get(11)?,
    );
    let (claimed_by, created): (Option<String>, i64) = (row.get(14)?, row.get(16)?);
    Ok((|| {
        Ok(WebhookRecord {
            id: parse_id(&id, "a webhook id")?,
            org_id: org
                .map(|o| parse_id(&o, "a webhook's organization"))
                .transpose()?,
            url,
            description,
            sealed_secret,
            state: WebhookState::parse(&state)
                .ok_or_else(|| StoreError::internal("reading a webhook", "unknown state"))?,
            cursor,
            cursor_at: from_micros(cursor_at)?,
            pending,
            attempts: count(attempts, "a webhook's attempts")?,
            failing_since: failing.map(from_micros).transpose()?,
            next_attempt_at: next.map(from_micros).transpose()?,
            claimed_by,
            lease_until: lease.map(from_micros).transpose()?,
            created_at: from_micros(created)?,
            paused_at: paused.map(from_micros).transpose()?,
        })
    })())
}

fn delivery_from_row(row: &Row<'_>) -> rusqlite::Result<Result<WebhookDelivery, StoreError>> {
    let id: String = row.get(0)?;
    let hook: String = row.get(1)?;
    let message_id: String = row.get(2)?;
    let after = EventPosition {
        xid: row.get(3)?,
        id: row.get(4)?,
    };
    let last = EventPosition {
        xid: row.get(5)?,
        id: row.get(6)?,
    };
    let events: i64 = row.get(7)?;
    let status: Option<i64> = row.get(8)?;
    let error: Option<String> = row.get(9)?;
    let duration: i64 = row.get(10)?;
    let at: i64 = row.get(11)?;
    let attempt: i64 = row.get(12)?;
    let resend: bool = row.get(13)?;
    Ok((|| {
        Ok(WebhookDelivery {
            id: parse_id(&id, "a webhook delivery id")?,
            webhook_id: parse_id(&hook, "a delivery's webhook")?,
            message_id,
            after,
            last,
            events: count(events, "a delivery's events")?,
            status: status
                .map(|s| {
                    u16::try_from(s)
                        .map_err(|_| StoreError::internal("reading a delivery", "bad status"))
                })
                .transpose()?,
            error,
            duration_ms: count(duration, "a delivery's duration")?,
            attempted_at: from_micros(at)?,
            attempt: count(attempt, "a delivery's attempt")?,
            resend,
        })
    })())
}

/// Runs on the one writer, so no other insert comes between the count and the insert.
pub(crate) fn insert(
    conn: &Connection,
    hook: &WebhookRecord,
    max: u32,
) -> Result<Capped, StoreError> {
    let org = hook.org_id.map(|o| o.to_string());
    let existing: i64 = conn
        .prepare_cached("SELECT count(*) FROM webhooks WHERE org_id IS ?1")
        .and_then(|mut s| s.query_row([&org], |row| row.get(0)))
        .context("counting webhooks")?;
    if existing >= i64::from(max) {
        return Ok(Capped::LimitReached);
    }
    conn.prepare_cached(&format!(
        "INSERT INTO webhooks ({HOOK_COLUMNS}) VALUES \
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
    ))
    .and_then(|mut s| {
        s.execute(params![
            hook.id.to_string(),
            org,
            hook.url,
            hook.description,
            hook.sealed_secret,
            hook.state.as_str(),
            hook.cursor.xid,
            hook.cursor.id,
            to_micros(hook.cursor_at),
            hook.pending.map(|p| p.xid),
            hook.pending.map(|p| p.id),
            i64::from(hook.attempts),
            hook.failing_since.map(to_micros),
            hook.next_attempt_at.map(to_micros),
            hook.claimed_by,
            hook.lease_until.map(to_micros),
            to_micros(hook.created_at),
            hook.paused_at.map(to_micros),
        ])
    })
    .context("adding a webhook")?;
    Ok(Capped::Inserted)
}

fn select(
    conn: &Connection,
    condition: &str,
    params: impl rusqlite::Params,
    what: &str,
) -> Result<Vec<WebhookRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {HOOK_COLUMNS} FROM webhooks {condition} ORDER BY created_at, id"
    ))
    .and_then(|mut s| {
        s.query_map(params, hook_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .context(what)?
    .into_iter()
    .collect()
}

pub(crate) fn list(conn: &Connection) -> Result<Vec<WebhookRecord>, StoreError> {
    select(conn, "", [], "listing webhooks")
}

pub(crate) fn list_of(
    conn: &Connection,
    scope: OrgScope,
) -> Result<Vec<WebhookRecord>, StoreError> {
    select(
        conn,
        "WHERE org_id = ?1",
        [scope.org_id().to_string()],
        "listing the organization's webhooks",
    )
}

pub(crate) fn due(
    conn: &Connection,
    now: OffsetDateTime,
    instance: &str,
) -> Result<Vec<WebhookRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {HOOK_COLUMNS} FROM webhooks WHERE state = 'active' \
         AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) \
         AND (lease_until IS NULL OR lease_until <= ?1 OR claimed_by = ?2) \
         ORDER BY cursor_at, id"
    ))
    .and_then(|mut s| {
        s.query_map(params![to_micros(now), instance], hook_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .context("listing the webhooks due")?
    .into_iter()
    .collect()
}

pub(crate) fn get(conn: &Connection, id: Uuid) -> Result<Option<WebhookRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {HOOK_COLUMNS} FROM webhooks WHERE id = ?1"
    ))
    .and_then(|mut s| s.query_row([id.to_string()], hook_from_row).optional())
    .context("reading a webhook")?
    .transpose()
}

pub(crate) fn get_of(
    conn: &Connection,
    scope: OrgScope,
    id: Uuid,
) -> Result<Option<WebhookRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {HOOK_COLUMNS} FROM webhooks WHERE id = ?1 AND org_id = ?2"
    ))
    .and_then(|mut s| {
        s.query_row([id.to_string(), scope.org_id().to_string()], hook_from_row)
            .optional()
    })
    .context("reading a webhook")?
    .transpose()
}

pub(crate) fn delete(conn: &Connection, id: Uuid) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached("DELETE FROM webhooks WHERE id = ?1")
        .and_then(|mut s| s.execute([id.to_string()]))
        .context("removing a webhook")?;
    Ok(n == 1)
}

pub(crate) fn set_state(
    conn: &Connection,
    id: Uuid,
    state: WebhookState,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let sql = match state {
        WebhookState::Paused => {
            "UPDATE webhooks SET state = 'paused', paused_at = ?2 WHERE id = ?1"
        }
        WebhookState::Active => {
            "UPDATE webhooks SET state = 'active', paused_at = NULL, attempts = 0, \
             failing_since = NULL, next_attempt_at = NULL WHERE id = ?1 AND ?2 IS NOT NULL"
        }
    };
    let n = conn
        .prepare_cached(sql)
        .and_then(|mut s| s.execute(params![id.to_string(), to_micros(at)]))
        .context("changing a webhook's state")?;
    Ok(n == 1)
}

pub(crate) fn claim(
    conn: &Connection,
    id: Uuid,
    instance: &str,
    now: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<Option<WebhookRecord>, StoreError> {
    let n = conn
        .prepare_cached(
            "UPDATE webhooks SET claimed_by = ?2, lease_until = ?4 WHERE id = ?1 \
             AND state = 'active' AND (lease_until IS NULL OR lease_until <= ?3 OR claimed_by = ?2)",
        )
        .and_then(|mut s| {
            s.execute(params![
                id.to_string(),
                instance,
                to_micros(now),
                to_micros(until)
            ])
        })
        .context("claiming a webhook")?;
    if n == 0 {
        return Ok(None);
    }
    get(conn, id)
}

pub(crate) fn save_progress(
    conn: &Connection,
    id: Uuid,
    instance: &str,
    p: &WebhookProgress,
) -> Result<bool, StoreError> {
    // A pause or resume by an administrator meanwhile wins over the job's state.
    let n = conn
        .prepare_cached(
            "UPDATE webhooks SET \
               state = CASE WHEN state = 'paused' THEN 'paused' ELSE ?3 END, \
               paused_at = CASE WHEN state = 'paused' THEN paused_at ELSE ?11 END, \
               cursor_xid = ?4, cursor_id = ?5, cursor_at = ?6, pending_xid = ?7, \
               pending_id = ?8, attempts = ?9, failing_since = ?10, next_attempt_at = ?12, \
               claimed_by = NULL, lease_until = NULL \
             WHERE id = ?1 AND claimed_by = ?2",
        )
        .and_then(|mut s| {
            s.execute(params![
                id.to_string(),
                instance,
                p.state.as_str(),
                p.cursor.xid,
                p.cursor.id,
                to_micros(p.cursor_at),
                p.pending.map(|x| x.xid),
                p.pending.map(|x| x.id),
                i64::from(p.attempts),
                p.failing_since.map(to_micros),
                p.paused_at.map(to_micros),
                p.next_attempt_at.map(to_micros),
            ])
        })
        .context("recording a webhook's progress")?;
    Ok(n == 1)
}

pub(crate) fn append_delivery(conn: &Connection, d: &WebhookDelivery) -> Result<(), StoreError> {
    conn.prepare_cached(&format!(
        "INSERT INTO webhook_deliveries ({DELIVERY_COLUMNS}) VALUES \
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
    ))
    .and_then(|mut s| {
        s.execute(params![
            d.id.to_string(),
            d.webhook_id.to_string(),
            d.message_id,
            d.after.xid,
            d.after.id,
            d.last.xid,
            d.last.id,
            i64::from(d.events),
            d.status.map(i64::from),
            d.error,
            i64::from(d.duration_ms),
            to_micros(d.attempted_at),
            i64::from(d.attempt),
            d.resend,
        ])
    })
    .context("logging a webhook delivery")?;
    Ok(())
}

pub(crate) fn deliveries(
    conn: &Connection,
    webhook: Uuid,
    limit: u32,
) -> Result<Vec<WebhookDelivery>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = ?1 \
         ORDER BY attempted_at DESC, rowid DESC LIMIT ?2"
    ))
    .and_then(|mut s| {
        s.query_map(
            params![webhook.to_string(), i64::from(limit)],
            delivery_from_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()
    })
    .context("reading a webhook's deliveries")?
    .into_iter()
    .collect()
}

pub(crate) fn delivery(conn: &Connection, id: Uuid) -> Result<Option<WebhookDelivery>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ?1"
    ))
    .and_then(|mut s| s.query_row([id.to_string()], delivery_from_row).optional())
    .context("reading a webhook delivery")?
    .transpose()
}

/// Removes deliveries logged before `before`; returns how many went.
pub(crate) fn trim_deliveries(
    conn: &Connection,
    before: OffsetDateTime,
) -> Result<u64, StoreError> {
    let n = conn
        .prepare_cached("DELETE FROM webhook_deliveries WHERE attempted_at < ?1")
        .and_then(|mut s| s.execute([to_micros(before)]))
        .context("trimming the webhook delivery log")?;
    Ok(n as u64)
}
