//! The change feed's SQL, for both stores: events read in feed order after a position and
//! trimmed by age in bounded batches; on PostgreSQL also appended in the writing transaction
//! (one statement however many a write produces: the rows travel as one JSON array; SQLite, in
//! process, inserts them one by one). See ARCHITECTURE.md for the order: SQLite's rowid (one
//! writer), PostgreSQL's `(xid, id)` read only below the oldest running transaction.

use roster_domain::{EventPosition, NewEvent, OrgId};
use serde::Serialize;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;

use crate::{Arg, Binder, Dialect, Sql};

/// The columns an event is read from, in this order, in both stores (`xid` as a number).
fn columns(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "0, id, org_id, type, source, actor, account_id, group_id, occurred_at, data"
        }
        Dialect::Postgres => {
            // Aliased: ORDER BY xid must name the column (and its index), not this number.
            "xid::text::bigint AS position_xid, id, org_id, type, source, actor, account_id, \
             group_id, occurred_at, data::text AS data"
        }
    }
}

/// The position of the feed's order, in the dialect's terms.
fn position(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "id",
        Dialect::Postgres => "xid, id",
    }
}

/// Rows whose transaction can no longer be overtaken: on PostgreSQL, below the oldest
/// transaction still running (a smaller xid may still commit); on SQLite every committed row.
fn settled(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "1 = 1",
        Dialect::Postgres => "xid < pg_snapshot_xmin(pg_current_snapshot())",
    }
}

fn after(binder: &mut Binder, dialect: Dialect, after: EventPosition) -> String {
    match dialect {
        Dialect::Sqlite => format!("id > {}", binder.bind(Arg::Int(after.id))),
        Dialect::Postgres => {
            let xid = binder.bind(Arg::Text(after.xid.to_string()));
            let id = binder.bind(Arg::Int(after.id));
            format!("(xid, id) > ({xid}::text::xid8, {id})")
        }
    }
}

/// One event as the insert statement reads it.
#[derive(Serialize)]
struct Row<'a> {
    org_id: Option<OrgId>,
    #[serde(rename = "type")]
    kind: &'a str,
    source: &'a str,
    actor: Option<&'a str>,
    account_id: Option<roster_domain::AccountId>,
    group_id: Option<roster_domain::GroupId>,
    occurred_at: String,
    data: &'a Value,
}

/// Appends `events` on PostgreSQL in their order: one statement whose only value is the events
/// as a JSON array. `None` when there is nothing to append.
pub fn insert_events(events: &[NewEvent]) -> Option<Sql> {
    if events.is_empty() {
        return None;
    }
    // Serialized straight from the events (no intermediate values): a 20,000-member add
    // writes 20,000 of them in the writer's transaction.
    let rows: Vec<Row<'_>> = events
        .iter()
        .map(|e| Row {
            org_id: e.org_id,
            kind: e.kind.as_str(),
            source: e.source.as_str(),
            actor: e.actor.as_deref(),
            account_id: e.account_id,
            group_id: e.group_id,
            occurred_at: e.occurred_at.format(&Rfc3339).unwrap_or_default(),
            data: &e.data,
        })
        .collect();
    let mut binder = Binder::new(Dialect::Postgres);
    let rows = binder.bind(Arg::Text(
        serde_json::to_string(&rows).unwrap_or_else(|_| "[]".to_owned()),
    ));
    let text = format!(
        "INSERT INTO events (org_id, type, source, actor, account_id, group_id, occurred_at, data)
         SELECT (e->>'org_id')::uuid, e->>'type', e->>'source', e->>'actor',
             (e->>'account_id')::uuid, (e->>'group_id')::uuid,
             (e->>'occurred_at')::timestamptz, e->'data'
         FROM jsonb_array_elements(({rows})::text::jsonb) WITH ORDINALITY AS t(e, n)
         ORDER BY n"
    );
    Some(binder.finish(text))
}

/// At most `limit` settled events after `after` (from the oldest without it), of `org` only when
/// given, in feed order.
pub fn events_after(
    dialect: Dialect,
    from: Option<EventPosition>,
    org: Option<OrgId>,
    limit: u32,
) -> Sql {
    let mut binder = Binder::new(dialect);
    let mut condition = settled(dialect).to_owned();
    if let Some(from) = from {
        condition.push_str(&format!(" AND {}", after(&mut binder, dialect, from)));
    }
    if let Some(org) = org {
        condition.push_str(&format!(
            " AND org_id = {}",
            binder.bind(Arg::Id(org.into()))
        ));
    }
    let limit = binder.bind(Arg::Int(i64::from(limit)));
    binder.finish(format!(
        "SELECT {} FROM events WHERE {condition} ORDER BY {} LIMIT {limit}",
        columns(dialect),
        position(dialect)
    ))
}

/// The newest settled event's position (`xid`, `id`): where a reader that has seen everything
/// continues.
pub fn head(dialect: Dialect) -> Sql {
    let order = match dialect {
        Dialect::Sqlite => "id DESC",
        Dialect::Postgres => "xid DESC, id DESC",
    };
    let xid = match dialect {
        Dialect::Sqlite => "0",
        Dialect::Postgres => "xid::text::bigint AS position_xid",
    };
    Binder::new(dialect).finish(format!(
        "SELECT {xid}, id FROM events WHERE {} ORDER BY {order} LIMIT 1",
        settled(dialect)
    ))
}

/// The newest trimmed position: a cursor before it missed events that are gone.
pub const HORIZON: &str = "SELECT xid, id FROM event_horizon";

/// Deletes at most `limit` events that occurred before `before`, oldest in feed order first,
/// returning their positions (`xid`, `id`).
pub fn trim_events(dialect: Dialect, before: time::OffsetDateTime, limit: u32) -> Sql {
    let mut binder = Binder::new(dialect);
    let before = binder.bind(Arg::Time(before));
    let limit = binder.bind(Arg::Int(i64::from(limit)));
    let text = match dialect {
        Dialect::Sqlite => format!(
            "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE occurred_at < {before}
                 ORDER BY id LIMIT {limit})
             RETURNING 0, id"
        ),
        Dialect::Postgres => format!(
            "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE occurred_at < {before}
                 ORDER BY xid, id LIMIT {limit})
             RETURNING xid::text::bigint AS position_xid, id"
        ),
    };
    binder.finish(text)
}

/// Moves the horizon forward to `to` (never back).
pub fn advance_horizon(dialect: Dialect, to: EventPosition) -> Sql {
    let mut binder = Binder::new(dialect);
    let xid = binder.bind(Arg::Int(to.xid));
    let id = binder.bind(Arg::Int(to.id));
    binder.finish(format!(
        "UPDATE event_horizon SET xid = {xid}, id = {id}
         WHERE xid < {xid} OR (xid = {xid} AND id < {id})"
    ))
}
