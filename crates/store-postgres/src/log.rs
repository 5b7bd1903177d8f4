//! SQL for the provisioning log. Entries are only inserted and deleted, never updated, so
//! appends from many instances never wait on each other, and a trim running on two instances at
//! once only deletes each entry once.

use deadpool_postgres::GenericClient;
use roster_domain::{AccountId, Change, LogEntry, OrgId, StoreError};
use time::OffsetDateTime;

use crate::{
    convert::{Param, col, from_uuid, to_i64, to_uuid},
    pool::{Queued, execute, query},
};

const APPEND: &str = "INSERT INTO provisioning_log (org_id, at, operation, resource_type,
         resource_id, name, outcome, status, detail, duration_ms, client_request_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

fn params(entry: LogEntry) -> Result<Vec<Param>, StoreError> {
    Ok(vec![
        Box::new(to_uuid(entry.org_id)?),
        Box::new(entry.at),
        Box::new(entry.operation),
        Box::new(entry.resource_type),
        Box::new(entry.resource_id),
        Box::new(entry.name),
        Box::new(entry.outcome.as_str()),
        Box::new(i32::from(entry.status)),
        Box::new(entry.detail),
        Box::new(to_i64(entry.duration_ms)),
        Box::new(entry.client_request_id),
    ])
}

pub(crate) async fn append(
    client: &impl GenericClient,
    entry: &LogEntry,
) -> Result<(), StoreError> {
    Queued::prepare(
        client,
        APPEND,
        params(entry.clone())?,
        "appending to the provisioning log",
    )
    .await?
    .run(client)
    .await?;
    Ok(())
}

/// A SCIM write's success entry (see [`Change::log`]), completed with the member values the
/// write skipped, prepared to go in the write's transaction, so it commits exactly when the
/// write does.
pub(crate) async fn queue_written(
    tx: &impl GenericClient,
    change: &Change,
    skipped: &[AccountId],
) -> Result<Option<Queued>, StoreError> {
    match &change.log {
        Some(draft) => Ok(Some(
            Queued::prepare(
                tx,
                APPEND,
                params(draft.complete(skipped))?,
                "appending to the provisioning log",
            )
            .await?,
        )),
        None => Ok(None),
    }
}

/// [`queue_written`], run at once.
pub(crate) async fn append_written(
    tx: &impl GenericClient,
    change: &Change,
    skipped: &[AccountId],
) -> Result<(), StoreError> {
    if let Some(queued) = queue_written(tx, change, skipped).await? {
        queued.run(tx).await?;
    }
    Ok(())
}

/// Newest first; entries with the same time in reverse order of appending.
pub(crate) async fn newest(
    client: &impl GenericClient,
    org: OrgId,
    limit: u32,
) -> Result<Vec<LogEntry>, StoreError> {
    query(
        client,
        "SELECT org_id, at, operation, resource_type, resource_id, name, outcome, status,
             detail, duration_ms, client_request_id
         FROM provisioning_log WHERE org_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        &[&to_uuid(org)?, &i64::from(limit)],
        "reading the provisioning log",
    )
    .await?
    .iter()
    .map(|row| {
        let outcome: String = col(row, "outcome")?;
        let status: i32 = col(row, "status")?;
        let duration: i64 = col(row, "duration_ms")?;
        Ok(LogEntry {
            org_id: from_uuid(col(row, "org_id")?, "a log entry's organization")?,
            at: col(row, "at")?,
            operation: col(row, "operation")?,
            resource_type: col(row, "resource_type")?,
            resource_id: col(row, "resource_id")?,
            name: col(row, "name")?,
            outcome: outcome
                .parse()
                .map_err(|e| StoreError::internal("reading a log entry's outcome", e))?,
            status: u16::try_from(status)
                .map_err(|e| StoreError::internal("reading a log entry's status", e))?,
            detail: col(row, "detail")?,
            duration_ms: duration.unsigned_abs(),
            client_request_id: col(row, "client_request_id")?,
        })
    })
    .collect()
}

/// Deletes entries older than `before`.
pub(crate) async fn trim(
    client: &impl GenericClient,
    before: OffsetDateTime,
) -> Result<u64, StoreError> {
    execute(
        client,
        "DELETE FROM provisioning_log WHERE at < $1",
        &[&before],
        "trimming old log entries",
    )
    .await
}
