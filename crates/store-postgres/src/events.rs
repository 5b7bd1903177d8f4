//! The change feed on PostgreSQL. Several instances commit concurrently, so a bigserial alone
//! is no commit order: a reader could pass a number whose transaction commits later. Every
//! transaction that appends events first takes its organization's advisory lock — before any
//! statement gives it a transaction id — so within an organization xids are handed out in lock
//! order, which is commit order. Events keep their transaction's xid, and readers return only
//! xids below the oldest transaction still running (`pg_snapshot_xmin`), ordered by `(xid, id)`:
//! nothing below that can still commit, so a cursor never passes an event that appears later.
//! See ARCHITECTURE.md.

use deadpool_postgres::GenericClient;
use roster_domain::{
    ChangeSource, Event, EventPosition, EventType, EventsPage, NewEvent, OrgId, StoreError,
};
use roster_store_sql::{Dialect, Sql, events as sql};
use time::OffsetDateTime;
use tokio_postgres::{IsolationLevel, Row};
use uuid::Uuid;

use crate::{
    convert::{Context, Param, col, from_uuid, param},
    list::refs,
    pool::{self, Queued, execute, query, query_opt},
};

/// The class of the organizations' event locks (the two-key advisory lock space, apart from
/// the single-key locks of migrations, retention and setup).
const EVENTS_LOCK_CLASS: i32 = 0x7273_7465;

/// The lock's statement: the two-key advisory lock of the organization (by its id's text).
const LOCK: &str = "SELECT pg_advisory_xact_lock($1, hashtext($2))";

fn lock_key(org: Option<OrgId>) -> String {
    org.map(|o| o.to_string()).unwrap_or_default()
}

/// Starts a transaction that writes `org`'s events, with [`lock`] as its first statement.
pub(crate) async fn begin(
    client: &mut deadpool_postgres::Object,
    org: Option<OrgId>,
) -> Result<deadpool_postgres::Transaction<'_>, StoreError> {
    let tx = pool::begin(client).await?;
    lock(&tx, org).await?;
    Ok(tx)
}

/// Serializes the organization's event-writing transactions. Must be the transaction's first
/// statement: an xid taken before it (by any write) would break the order it gives.
pub(crate) async fn lock(tx: &impl GenericClient, org: Option<OrgId>) -> Result<(), StoreError> {
    execute(
        tx,
        LOCK,
        &[&EVENTS_LOCK_CLASS, &lock_key(org)],
        "taking the organization's event lock",
    )
    .await?;
    Ok(())
}

async fn run(tx: &impl GenericClient, sql: Sql, what: &str) -> Result<Vec<Row>, StoreError> {
    let params: Vec<Param> = sql.args.into_iter().map(param).collect();
    query(tx, &sql.text, &refs(&params), what).await
}

/// Appends `events` in the caller's transaction (which took [`lock`] first).
pub(crate) async fn append(tx: &impl GenericClient, events: &[NewEvent]) -> Result<(), StoreError> {
    if let Some(queued) = queue_append(tx, events).await? {
        queued.run(tx).await?;
    }
    Ok(())
}

/// [`append`] prepared to be sent in a pipeline; `None` when there is nothing to append.
pub(crate) async fn queue_append(
    tx: &impl GenericClient,
    events: &[NewEvent],
) -> Result<Option<Queued>, StoreError> {
    match sql::insert_events(events) {
        Some(sql) => Ok(Some(
            Queued::prepare(
                tx,
                &sql.text,
                sql.args.into_iter().map(param).collect(),
                "appending events",
            )
            .await?,
        )),
        None => Ok(None),
    }
}

fn position_of(row: &Row) -> Result<EventPosition, StoreError> {
    Ok(EventPosition {
        xid: row.try_get(0).context("reading an event's position")?,
        id: row.try_get(1).context("reading an event's position")?,
    })
}

fn from_row(row: &Row) -> Result<Event, StoreError> {
    let org: Option<Uuid> = col(row, "org_id")?;
    let account: Option<Uuid> = col(row, "account_id")?;
    let group: Option<Uuid> = col(row, "group_id")?;
    let kind: String = col(row, "type")?;
    let source: String = col(row, "source")?;
    let data: String = col(row, "data")?;
    Ok(Event {
        position: position_of(row)?,
        event: NewEvent {
            org_id: org
                .map(|o| from_uuid(o, "an event's organization"))
                .transpose()?,
            kind: EventType::parse(&kind)
                .ok_or_else(|| StoreError::internal("reading an event", "unknown type"))?,
            source: ChangeSource::parse(&source)
                .ok_or_else(|| StoreError::internal("reading an event", "unknown source"))?,
            actor: col(row, "actor")?,
            account_id: account
                .map(|a| from_uuid(a, "an event's account"))
                .transpose()?,
            group_id: group
                .map(|g| from_uuid(g, "an event's group"))
                .transpose()?,
            occurred_at: col(row, "occurred_at")?,
            data: serde_json::from_str(&data)
                .map_err(|e| StoreError::internal("reading an event's data", e))?,
        },
    })
}

/// The page, the head and the horizon in one REPEATABLE READ snapshot, so they agree (the
/// snapshot's xmin included).
pub(crate) async fn page(
    pool: &deadpool_postgres::Pool,
    after: Option<EventPosition>,
    org: Option<OrgId>,
    limit: u32,
) -> Result<EventsPage, StoreError> {
    let mut client = pool::get(pool).await?;
    let tx = pool::answer(
        "starting a feed read",
        client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start(),
    )
    .await?;
    let rows = run(
        &tx,
        sql::events_after(Dialect::Postgres, after, org, limit),
        "reading the feed",
    )
    .await?;
    let head = run(&tx, sql::head(Dialect::Postgres), "reading the feed's head")
        .await?
        .first()
        .map(position_of)
        .transpose()?;
    let horizon = query_opt(&tx, sql::HORIZON, &[], "reading the feed's horizon")
        .await?
        .map(|r| position_of(&r))
        .transpose()?
        .unwrap_or(EventPosition { xid: 0, id: 0 });
    pool::answer("ending a feed read", tx.commit()).await?;
    Ok(EventsPage {
        events: rows.iter().map(from_row).collect::<Result<_, _>>()?,
        head,
        horizon,
    })
}

/// One batch of the trim, in its own transaction with the horizon's move.
pub(crate) async fn trim(
    pool: &deadpool_postgres::Pool,
    before: OffsetDateTime,
    limit: u32,
) -> Result<u64, StoreError> {
    let mut client = pool::get(pool).await?;
    let tx = pool::answer("starting a trim", client.transaction()).await?;
    let gone = run(
        &tx,
        sql::trim_events(Dialect::Postgres, before, limit),
        "trimming events",
    )
    .await?
    .iter()
    .map(position_of)
    .collect::<Result<Vec<_>, _>>()?;
    if let Some(newest) = gone.iter().max() {
        let advance = sql::advance_horizon(Dialect::Postgres, *newest);
        let params: Vec<Param> = advance.args.into_iter().map(param).collect();
        execute(
            &tx,
            &advance.text,
            &refs(&params),
            "moving the feed's horizon",
        )
        .await?;
    }
    pool::answer("committing a trim", tx.commit()).await?;
    Ok(gone.len() as u64)
}
