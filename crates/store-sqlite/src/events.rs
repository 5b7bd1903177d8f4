//! The change feed on SQLite: events appended in the writer's transaction of the change (the
//! rowid is commit order, since one writer commits one transaction after another), read on a
//! reader in one snapshot, trimmed in short writer jobs. The SQL is roster-store-sql's.

use roster_domain::{
    ApiKeyRecord, ChangeSource, Event, EventPosition, EventType, EventsPage, NewEvent, OrgId,
    StoreError, TokenHash,
};
use roster_store_sql::{Sql, events as sql};
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::convert::{Context, from_micros, parse_id, to_micros, value};

fn execute(conn: &Connection, sql: Sql, what: &str) -> Result<usize, StoreError> {
    conn.prepare_cached(&sql.text)
        .and_then(|mut s| s.execute(params_from_iter(sql.args.into_iter().map(value))))
        .context(what)
}

/// Appends `events` in the caller's transaction.
pub(crate) fn append(conn: &Connection, events: &[NewEvent]) -> Result<(), StoreError> {
    if let Some(sql) = sql::insert_events(roster_store_sql::Dialect::Sqlite, events) {
        execute(conn, sql, "appending events")?;
    }
    Ok(())
}

type RawEvent = (
    i64,
    i64,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    String,
);

fn raw(row: &Row<'_>) -> rusqlite::Result<RawEvent> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
    ))
}

fn from_raw(
    (xid, id, org, kind, source, actor, account, group, at, data): RawEvent,
) -> Result<Event, StoreError> {
    Ok(Event {
        position: EventPosition { xid, id },
        event: NewEvent {
            org_id: org
                .map(|o| parse_id(&o, "an event's organization"))
                .transpose()?,
            kind: EventType::parse(&kind)
                .ok_or_else(|| StoreError::internal("reading an event", "unknown type"))?,
            source: source_of(&source)?,
            actor,
            account_id: account
                .map(|a| parse_id(&a, "an event's account"))
                .transpose()?,
            group_id: group
                .map(|g| parse_id(&g, "an event's group"))
                .transpose()?,
            occurred_at: from_micros(at)?,
            data: serde_json::from_str(&data)
                .map_err(|e| StoreError::internal("reading an event's data", e))?,
        },
    })
}

pub(crate) fn source_of(text: &str) -> Result<ChangeSource, StoreError> {
    Ok(match text {
        "scim" => ChangeSource::Scim,
        "console" => ChangeSource::Console,
        "cli" => ChangeSource::Cli,
        "sso" => ChangeSource::Sso,
        "retention" => ChangeSource::Retention,
        _ => return Err(StoreError::internal("reading an event", "unknown source")),
    })
}

fn position(conn: &Connection, sql: Sql, what: &str) -> Result<Option<EventPosition>, StoreError> {
    conn.prepare_cached(&sql.text)
        .and_then(|mut s| {
            s.query_row(params_from_iter(sql.args.into_iter().map(value)), |r| {
                Ok(EventPosition {
                    xid: r.get(0)?,
                    id: r.get(1)?,
                })
            })
            .optional()
        })
        .context(what)
}

/// The page, the head and the horizon in one read transaction, so they agree.
pub(crate) fn page(
    conn: &Connection,
    after: Option<EventPosition>,
    org: Option<OrgId>,
    limit: u32,
) -> Result<EventsPage, StoreError> {
    let tx = conn.unchecked_transaction().context("reading the feed")?;
    let listing = sql::events_after(roster_store_sql::Dialect::Sqlite, after, org, limit);
    let rows = tx
        .prepare_cached(&listing.text)
        .and_then(|mut s| {
            s.query_map(params_from_iter(listing.args.into_iter().map(value)), raw)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .context("reading the feed")?;
    let head = position(
        &tx,
        sql::head(roster_store_sql::Dialect::Sqlite),
        "reading the feed's head",
    )?;
    let horizon = tx
        .prepare_cached(sql::HORIZON)
        .and_then(|mut s| {
            s.query_row([], |r| {
                Ok(EventPosition {
                    xid: r.get(0)?,
                    id: r.get(1)?,
                })
            })
        })
        .context("reading the feed's horizon")?;
    tx.finish().context("reading the feed")?;
    Ok(EventsPage {
        events: rows.into_iter().map(from_raw).collect::<Result<_, _>>()?,
        head,
        horizon,
    })
}

/// One batch of the trim, in the writer's transaction.
pub(crate) fn trim(
    conn: &Connection,
    before: OffsetDateTime,
    limit: u32,
) -> Result<u64, StoreError> {
    let trim = sql::trim_events(roster_store_sql::Dialect::Sqlite, before, limit);
    let gone = conn
        .prepare_cached(&trim.text)
        .and_then(|mut s| {
            s.query_map(params_from_iter(trim.args.into_iter().map(value)), |r| {
                Ok(EventPosition {
                    xid: r.get(0)?,
                    id: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .context("trimming events")?;
    if let Some(newest) = gone.iter().max() {
        execute(
            conn,
            sql::advance_horizon(roster_store_sql::Dialect::Sqlite, *newest),
            "moving the feed's horizon",
        )?;
    }
    Ok(gone.len() as u64)
}

// --- API keys ---------------------------------------------------------------------------

const KEY_COLUMNS: &str = "id, org_id, name, key_hash, created_at, last_used_at, revoked_at";

type RawKey = (
    String,
    Option<String>,
    String,
    Vec<u8>,
    i64,
    Option<i64>,
    Option<i64>,
);

fn raw_key(row: &Row<'_>) -> rusqlite::Result<RawKey> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

fn key_from_raw(
    (id, org, name, hash, created, used, revoked): RawKey,
) -> Result<ApiKeyRecord, StoreError> {
    Ok(ApiKeyRecord {
        id: parse_id(&id, "an API key id")?,
        org_id: org
            .map(|o| parse_id(&o, "an API key's organization"))
            .transpose()?,
        name,
        hash: TokenHash(
            hash.try_into()
                .map_err(|_| StoreError::internal("reading an API key", "hash is not 32 bytes"))?,
        ),
        created_at: from_micros(created)?,
        last_used_at: used.map(from_micros).transpose()?,
        revoked_at: revoked.map(from_micros).transpose()?,
    })
}

pub(crate) fn insert_key(conn: &Connection, key: &ApiKeyRecord) -> Result<(), StoreError> {
    conn.prepare_cached(&format!(
        "INSERT INTO api_keys ({KEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    ))
    .and_then(|mut s| {
        s.execute(params![
            key.id.to_string(),
            key.org_id.map(|o| o.to_string()),
            key.name,
            key.hash.0.to_vec(),
            to_micros(key.created_at),
            key.last_used_at.map(to_micros),
            key.revoked_at.map(to_micros),
        ])
    })
    .context("inserting an API key")?;
    Ok(())
}

pub(crate) fn key_by_hash(
    conn: &Connection,
    hash: &TokenHash,
) -> Result<Option<ApiKeyRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = ?1"
    ))
    .and_then(|mut s| s.query_row([hash.0.to_vec()], raw_key).optional())
    .context("reading an API key")?
    .map(key_from_raw)
    .transpose()
}

pub(crate) fn keys(conn: &Connection) -> Result<Vec<ApiKeyRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, id"
    ))
    .and_then(|mut s| {
        s.query_map([], raw_key)?
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .context("listing API keys")?
    .into_iter()
    .map(key_from_raw)
    .collect()
}

pub(crate) fn revoke_key(
    conn: &Connection,
    id: Uuid,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached("UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")
        .and_then(|mut s| s.execute(params![id.to_string(), to_micros(at)]))
        .context("revoking an API key")?;
    Ok(n == 1)
}

pub(crate) fn touch_key(conn: &Connection, id: Uuid, at: OffsetDateTime) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![id.to_string(), to_micros(at)]))
        .context("recording an API key's use")?;
    Ok(())
}
