//! The change feed on SQLite: events appended in the writer's transaction of the change (the
//! rowid is commit order, since one writer commits one transaction after another), read on a
//! reader in one snapshot, trimmed in short writer jobs. The SQL is roster-store-sql's.

use roster_domain::{
    ChangeSource, Event, EventPosition, EventType, EventsPage, NewEvent, OrgId, StoreError,
};
use roster_store_sql::{Sql, events as sql};
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use time::OffsetDateTime;

use crate::convert::{Context, from_micros, parse_id, to_micros, value};

fn execute(conn: &Connection, sql: Sql, what: &str) -> Result<usize, StoreError> {
    conn.prepare_cached(&sql.text)
        .and_then(|mut s| s.execute(params_from_iter(sql.args.into_iter().map(value))))
        .context(what)
}

/// Appends `events` in the caller's transaction, in their order: one cached insert per event.
/// (PostgreSQL gets them as one JSON array, one round trip; in process, SQLite parsing such an
/// array back cost the writer more than the inserts do.)
pub(crate) fn append(conn: &Connection, events: &[NewEvent]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO events (org_id, type, source, actor, account_id, group_id, occurred_at,
                 data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .context("appending events")?;
    for event in events {
        let data = serde_json::to_string(&event.data)
            .map_err(|e| StoreError::internal("writing an event's data", e))?;
        insert
            .execute(params![
                event.org_id.map(|o| o.to_string()),
                event.kind.as_str(),
                event.source.as_str(),
                event.actor,
                event.account_id.map(|a| a.to_string()),
                event.group_id.map(|g| g.to_string()),
                to_micros(event.occurred_at),
                data,
            ])
            .context("appending events")?;
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
            source: ChangeSource::parse(&source)
                .ok_or_else(|| StoreError::internal("reading an event", "unknown source"))?,
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
