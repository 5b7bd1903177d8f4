//! SQL for the provisioning log. Entries are only inserted and deleted, never updated, so
//! appends from many instances never wait on each other, and a trim running on two instances at
//! once only deletes each entry once.

use deadpool_postgres::GenericClient;
use roster_domain::{AccountId, Change, LogEntry, OrgId, StoreError};
use time::OffsetDateTime;

use crate::{
    convert::{col, from_uuid, to_i64, to_uuid},
    pool::{execute, query},
};

pub(crate) async fn append(
    client: &impl GenericClient,
    entry: &LogEntry,
) -> Result<(), StoreError> {
    execute(
        client,
        "INSERT INTO provisioning_log (org_id, at, operation, resource_type, resource_id, name,
             outcome, status, detail, duration_ms, client_request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &to_uuid(entry.org_id)?,
            &entry.at,
            &entry.operation,
            &entry.resource_type,
            &entry.resource_id,
            &entry.name,
            &entry.outcome.as_str(),
            &i32::from(entry.status),
            &entry.detail,
            &to_i64(entry.duration_ms),
            &entry.client_request_id,
        ],
        "appending to the provisioning log",
    )
    .await?;
    Ok(())
}

/// A SCIM write's success entry (see [`Change::log`]), completed with the member values the
/// write skipped: called in the write's transaction, so it commits exactly when the write does.
pub(crate) async fn append_written(
    tx: &impl GenericClient,
    change: &Change,
    skipped: &[AccountId],
) -> Result<(), StoreError> {
    match &change.log {
        Some(draft) => append(tx, &draft.complete(skipped)).await,
        None => Ok(()),
    }
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
