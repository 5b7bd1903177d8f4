//! SQL for the audit log.

use roster_domain::{AuditCursor, AuditEntry, NewAuditEntry, OrgId, StoreError};
use rusqlite::{Connection, Row, params};

use crate::convert::{Context, from_micros, parse_id, to_micros};

pub(crate) fn append(conn: &Connection, entry: &NewAuditEntry) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO audit_log (org_id, at, actor_account_id, actor_email, action, target,
             detail, remote_addr)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut s| {
        s.execute(params![
            entry.org_id.to_string(),
            to_micros(entry.at),
            entry.actor_account_id.map(|id| id.to_string()),
            entry.actor_email,
            entry.action.as_str(),
            entry.target,
            entry.detail,
            entry.remote_addr,
        ])
    })
    .context("appending to the audit log")?;
    Ok(())
}

pub(crate) fn page(
    conn: &Connection,
    org: OrgId,
    before: Option<AuditCursor>,
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError> {
    let what = "reading the audit log";
    // Without a cursor, a position after every entry.
    let (at, id) = before.map_or((i64::MAX, i64::MAX), |c| (to_micros(c.at), c.id));
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, org_id, at, actor_account_id, actor_email, action, target, detail,
                 remote_addr
             FROM audit_log WHERE org_id = ?1 AND (at, id) < (?2, ?3)
             ORDER BY at DESC, id DESC LIMIT ?4",
        )
        .context(what)?;
    let rows = stmt
        .query_map(params![org.to_string(), at, id, limit], raw)
        .context(what)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .context(what)?;
    rows.into_iter().map(from_raw).collect()
}

pub(crate) type Raw = (
    i64,
    String,
    i64,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

pub(crate) fn raw(row: &Row<'_>) -> rusqlite::Result<Raw> {
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
    ))
}

pub(crate) fn from_raw(
    (id, org, at, actor, email, action, target, detail, remote): Raw,
) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        id,
        org_id: parse_id(&org, "an audit entry's organization")?,
        at: from_micros(at)?,
        actor_account_id: actor
            .map(|a| parse_id(&a, "an audit entry's actor"))
            .transpose()?,
        actor_email: email,
        action: action
            .parse()
            .map_err(|e| StoreError::internal("reading an audit entry's action", e))?,
        target,
        detail,
        remote_addr: remote,
    })
}
