//! SQL for the provisioning log.

use roster_domain::{AccountId, Change, LogEntry, OrgId, StoreError};
use rusqlite::{Connection, params};

use crate::convert::{Context, from_micros, parse_id, to_micros};

pub(crate) fn append(conn: &Connection, entry: &LogEntry) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO provisioning_log (org_id, at, operation, resource_type, resource_id, name,
             outcome, status, detail, duration_ms, client_request_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .and_then(|mut s| {
        s.execute(params![
            entry.org_id.to_string(),
            to_micros(entry.at),
            entry.operation,
            entry.resource_type,
            entry.resource_id,
            entry.name,
            entry.outcome.as_str(),
            entry.status,
            entry.detail,
            i64::try_from(entry.duration_ms).unwrap_or(i64::MAX),
            entry.client_request_id,
        ])
    })
    .context("appending to the provisioning log")?;
    Ok(())
}

/// A SCIM write's success entry (see [`Change::log`]), completed with the member values the
/// write skipped: called in the write's transaction, so it commits exactly when the write does.
pub(crate) fn append_written(
    conn: &Connection,
    change: &Change,
    skipped: &[AccountId],
) -> Result<(), StoreError> {
    match &change.log {
        Some(draft) => append(conn, &draft.complete(skipped)),
        None => Ok(()),
    }
}

pub(crate) fn newest(
    conn: &Connection,
    org: OrgId,
    limit: u32,
) -> Result<Vec<LogEntry>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT org_id, at, operation, resource_type, resource_id, name, outcome, status,
                 detail, duration_ms, client_request_id
             FROM provisioning_log WHERE org_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
        )
        .context("reading the provisioning log")?;
    let rows = stmt
        .query_map(params![org.to_string(), limit], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, String>(6)?,
                row.get::<_, u16>(7)?,
                row.get::<_, Option<String>>(8)?,
                row.get::<_, i64>(9)?,
                row.get::<_, Option<String>>(10)?,
            ))
        })
        .context("reading the provisioning log")?
        .collect::<rusqlite::Result<Vec<_>>>()
        .context("reading the provisioning log")?;
    rows.into_iter()
        .map(
            |(
                org,
                at,
                operation,
                resource_type,
                resource_id,
                name,
                outcome,
                status,
                detail,
                ms,
                rid,
            )| {
                Ok(LogEntry {
                    org_id: parse_id(&org, "a log entry's organization")?,
                    at: from_micros(at)?,
                    operation,
                    resource_type,
                    resource_id,
                    name,
                    outcome: outcome
                        .parse()
                        .map_err(|e| StoreError::internal("reading a log entry's outcome", e))?,
                    status,
                    detail,
                    duration_ms: ms.unsigned_abs(),
                    client_request_id: rid,
                })
            },
        )
        .collect()
}

/// Deletes at most `limit` entries older than `before`; returns how many.
pub(crate) fn trim_older(conn: &Connection, before: i64, limit: u32) -> Result<u64, StoreError> {
    let n = conn
        .prepare_cached(
            "DELETE FROM provisioning_log WHERE id IN (
                 SELECT id FROM provisioning_log WHERE at < ?1 LIMIT ?2)",
        )
        .and_then(|mut s| s.execute(params![before, limit]))
        .context("trimming old log entries")?;
    Ok(n as u64)
}
