//! SQL for the audit log. Entries are only inserted, so appends from many instances never wait
//! on each other.

use deadpool_postgres::GenericClient;
use roster_domain::{AuditCursor, AuditEntry, NewAuditEntry, OrgId, StoreError};
use tokio_postgres::Row;

use crate::{
    convert::{col, from_uuid, to_uuid},
    pool::{execute, query},
};

pub(crate) async fn append(
    client: &impl GenericClient,
    entry: &NewAuditEntry,
) -> Result<(), StoreError> {
    execute(
        client,
        "INSERT INTO audit_log (org_id, at, actor_account_id, actor_email, action, target,
             detail, remote_addr)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &to_uuid(entry.org_id)?,
            &entry.at,
            &entry.actor_account_id.map(to_uuid).transpose()?,
            &entry.actor_email,
            &entry.action.as_str(),
            &entry.target,
            &entry.detail,
            &entry.remote_addr,
        ],
        "appending to the audit log",
    )
    .await?;
    Ok(())
}

const COLUMNS: &str =
    "id, org_id, at, actor_account_id, actor_email, action, target, detail, remote_addr";

pub(crate) async fn page(
    client: &impl GenericClient,
    org: OrgId,
    before: Option<AuditCursor>,
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError> {
    let what = "reading the audit log";
    let org = to_uuid(org)?;
    let limit = i64::from(limit);
    let rows = match before {
        Some(cursor) => {
            query(
                client,
                &format!(
                    "SELECT {COLUMNS} FROM audit_log WHERE org_id = $1 AND (at, id) < ($2, $3)
                     ORDER BY at DESC, id DESC LIMIT $4"
                ),
                &[&org, &cursor.at, &cursor.id, &limit],
                what,
            )
            .await?
        }
        None => {
            query(
                client,
                &format!(
                    "SELECT {COLUMNS} FROM audit_log WHERE org_id = $1
                     ORDER BY at DESC, id DESC LIMIT $2"
                ),
                &[&org, &limit],
                what,
            )
            .await?
        }
    };
    rows.iter().map(from_row).collect()
}

pub(crate) fn from_row(row: &Row) -> Result<AuditEntry, StoreError> {
    let action: String = col(row, "action")?;
    let actor: Option<uuid::Uuid> = col(row, "actor_account_id")?;
    Ok(AuditEntry {
        id: col(row, "id")?,
        org_id: from_uuid(col(row, "org_id")?, "an audit entry's organization")?,
        at: col(row, "at")?,
        actor_account_id: actor
            .map(|a| from_uuid(a, "an audit entry's actor"))
            .transpose()?,
        actor_email: col(row, "actor_email")?,
        action: action
            .parse()
            .map_err(|e| StoreError::internal("reading an audit entry's action", e))?,
        target: col(row, "target")?,
        detail: col(row, "detail")?,
        remote_addr: col(row, "remote_addr")?,
    })
}
