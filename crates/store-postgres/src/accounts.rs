//! SQL for accounts, including the seat check that runs in the same transaction as the write
//! that takes the seat.

use deadpool_postgres::GenericClient;
use roster_domain::{
    Account, AccountId, AccountWrite, Change, GroupId, MemberSource, OrgId, Page, Role, SeatLimit,
    StoreError, StoreFilter, account_events, account_removed_events, user_name_key,
};
use roster_store_sql::{ACCOUNT_COLUMNS as COLUMNS, ACCOUNTS, Dialect, listing};
use serde_json::{Map, Value};
use std::collections::HashMap;
use time::OffsetDateTime;
use tokio_postgres::{
    Row,
    types::{Json, ToSql},
};
use uuid::Uuid;

use crate::{
    convert::{col, from_uuid, to_u32, to_uuid},
    pool::{Finishing, Queued, execute, prepare, query, query_opt, run_opt},
};

/// SCIM listing order: stable across pages and across backends.
const ORDER: &str = "ORDER BY created_at, id";

pub(crate) async fn by_user_name(
    client: &impl GenericClient,
    key: &str,
) -> Result<Option<Account>, StoreError> {
    query_opt(
        client,
        &format!("SELECT {COLUMNS} FROM accounts WHERE user_name_key = $1"),
        &[&key],
        "reading an account by userName",
    )
    .await?
    .map(|row| from_row(&row))
    .transpose()
}

pub(crate) async fn by_id(
    client: &impl GenericClient,
    org: OrgId,
    id: AccountId,
) -> Result<Option<Account>, StoreError> {
    query_opt(
        client,
        &format!("SELECT {COLUMNS} FROM accounts WHERE id = $1 AND org_id = $2"),
        &[&to_uuid(id)?, &to_uuid(org)?],
        "reading an account",
    )
    .await?
    .map(|row| from_row(&row))
    .transpose()
}

/// The page of the accounts SCIM sees that match `filter`, with the number of matches.
pub(crate) async fn list(
    client: &impl GenericClient,
    org: OrgId,
    filter: Option<&StoreFilter>,
    page: Page,
) -> Result<(Vec<Account>, u64), StoreError> {
    let listing = listing(Dialect::Postgres, ACCOUNTS, org, filter, page);
    let (rows, total) = crate::list::run(client, listing).await?;
    let accounts = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    Ok((accounts, total))
}

/// Runs inside the caller's transaction, which holds the organization's event lock and commits
/// only if this and the returned statements succeed (see [`crate::group_commit`]). The row this
/// write replaces, the seat check and the write itself go as one pipeline, sent when the future
/// is first polled (every statement is prepared from the connection's cache by then, or sent
/// behind what is already in flight); the seat counters, the events and the log entry are
/// returned prepared, for the caller to send with the next write's first pipeline. A statement
/// the answers refuse (a version that moved, no free seat) has run by then; the caller undoes it.
pub(crate) async fn write(
    tx: &impl GenericClient,
    write: &AccountWrite,
) -> Result<Finishing<Account>, StoreError> {
    let AccountWrite {
        account,
        expected_version,
        takes_seat,
        end_scim_memberships,
        change,
    } = write;
    let id = to_uuid(account.id)?;
    let org = account.org_id.map(to_uuid).transpose()?;
    let seat_org = match (*takes_seat, org) {
        (false, _) => None,
        (true, Some(org)) => Some(org),
        (true, None) => {
            return Err(StoreError::internal(
                "checking seats",
                "an independent account holds no seat",
            ));
        }
    };
    let attributes = Json(&account.attributes);
    let key = user_name_key(&account.user_name);
    let role = account.role.as_str();

    // The row this write replaces, locked: what its events compare with, and where it held a
    // seat. Its version is the expected one or the update below matches nothing.
    let before_statement = match expected_version {
        None => None,
        Some(_) => Some(
            prepare(
                tx,
                &format!("SELECT {COLUMNS} FROM accounts WHERE id = $1 FOR UPDATE"),
                "reading an account",
            )
            .await?,
        ),
    };
    let seat_check = match seat_org {
        None => None,
        Some(org) => Some((
            prepare(tx, SEAT_CHECK, "locking the organization's seats").await?,
            org,
        )),
    };
    let (write_sql, what) = match expected_version {
        None => (
            format!(
                "INSERT INTO accounts ({COLUMNS}, user_name_key)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $15, $14)
                 RETURNING {COLUMNS}"
            ),
            "inserting an account",
        ),
        // The version check and the write are one statement: a concurrent writer that
        // committed first makes this match nothing.
        Some(_) => (
            format!(
                "UPDATE accounts SET org_id = $2, user_name = $3, external_id = $4,
                     display_name = $5, role = $6, active = $7, deactivated_at = $8,
                     scim_managed = $9, scim_deleted = $10, attributes = $11,
                     updated_at = $12, user_name_key = $13, version = version + 1,
                     active_unassigned = $15
                 WHERE id = $1 AND version = $14
                 RETURNING {COLUMNS}"
            ),
            "updating an account",
        ),
    };
    let write_statement = prepare(tx, &write_sql, what).await?;
    let mut write_params: Vec<&(dyn ToSql + Sync)> = vec![
        &id,
        &org,
        &account.user_name,
        &account.external_id,
        &account.display_name,
        &role,
        &account.active,
        &account.deactivated_at,
        &account.scim_managed,
        &account.scim_deleted,
        &attributes,
    ];
    let tail: [&(dyn ToSql + Sync); 3] = match &expected_version {
        None => [&account.created_at, &account.updated_at, &key],
        Some(expected) => [&account.updated_at, &key, expected],
    };
    write_params.extend(tail);
    write_params.push(&account.active_unassigned);

    let (before, seat, written) = tokio::join!(
        biased;
        async {
            match &before_statement {
                Some(statement) => run_opt(tx, statement, &[&id], "reading an account").await,
                None => Ok(None),
            }
        },
        async {
            match &seat_check {
                Some((statement, org)) => {
                    run_opt(tx, statement, &[org], "locking the organization's seats").await
                }
                None => Ok(None),
            }
        },
        run_opt(tx, &write_statement, &write_params, what),
    );
    let before = match expected_version {
        None => None,
        Some(expected) => match before?.map(|row| from_row(&row)).transpose()? {
            Some(before) if before.version == *expected => Some(before),
            _ => return Err(StoreError::VersionConflict),
        },
    };
    let previous_seat: Option<uuid::Uuid> = before
        .as_ref()
        .filter(|b| b.active)
        .and_then(|b| b.org_id)
        .map(to_uuid)
        .transpose()?;
    if let Some(org) = seat_org {
        check_seat(seat?, org, previous_seat == Some(org))?;
    }
    let row = match (written?, expected_version) {
        (Some(row), _) => row,
        (None, Some(_)) => return Err(StoreError::VersionConflict),
        (None, None) => {
            return Err(StoreError::internal(
                "inserting an account",
                "the insert returned no row",
            ));
        }
    };
    let stored = from_row(&row)?;

    let mut ended = if *end_scim_memberships {
        end_scim_memberships_of(tx, id, account.updated_at).await?
    } else {
        Vec::new()
    };
    ended.sort();
    let events = account_events(change, before.as_ref(), &stored, &ended);
    let seat_now = if account.active { org } else { None };
    let (freed, taken) = if previous_seat == seat_now {
        (None, None)
    } else {
        (
            queue_seat_change(tx, previous_seat, "- 1", "freeing a seat").await?,
            queue_seat_change(tx, seat_now, "+ 1", "taking a seat").await?,
        )
    };
    let events = crate::events::queue_append(tx, &events).await?;
    let log = crate::log::queue_written(tx, change, &[]).await?;
    Ok(Finishing::new(stored, [freed, taken, events, log]))
}

/// Ends the account's SCIM memberships (a SCIM delete); returns the groups it left.
async fn end_scim_memberships_of(
    tx: &impl GenericClient,
    id: Uuid,
    at: OffsetDateTime,
) -> Result<Vec<(GroupId, MemberSource)>, StoreError> {
    // The groups change too: their ETags must not keep vouching for the old member list.
    execute(
        tx,
        "UPDATE groups SET version = version + 1, updated_at = $2 WHERE id IN
             (SELECT group_id FROM memberships WHERE account_id = $1 AND source = 'scim')",
        &[&id, &at],
        "touching the groups a SCIM delete leaves",
    )
    .await?;
    query(
        tx,
        "DELETE FROM memberships WHERE account_id = $1 AND source = 'scim'
         RETURNING group_id",
        &[&id],
        "ending SCIM memberships",
    )
    .await?
    .iter()
    .map(|row| {
        Ok((
            from_uuid(col(row, "group_id")?, "a group id")?,
            MemberSource::Scim,
        ))
    })
    .collect()
}

/// Locks the organization's row: every seat-taking write of that organization, on every
/// instance, waits here in turn, and the counter it reads is kept by every account write in the
/// same transaction as the write.
const SEAT_CHECK: &str = "SELECT seats, active_accounts FROM orgs WHERE id = $1 FOR UPDATE";

/// Refuses the write if the organization (its [`SEAT_CHECK`] row) has no free seat.
fn check_seat(
    row: Option<Row>,
    org: uuid::Uuid,
    holds_one_already: bool,
) -> Result<(), StoreError> {
    let row = row.ok_or_else(|| {
        StoreError::internal("checking seats", format!("organization {org} vanished"))
    })?;
    let seats = to_u32(col(&row, "seats")?, "an organization's seats")?;
    let mut used = to_u32(col(&row, "active_accounts")?, "seats in use")?;
    if holds_one_already {
        used = used.saturating_sub(1);
    }
    if used >= seats {
        return Err(StoreError::SeatLimit(SeatLimit { seats, used }));
    }
    Ok(())
}

/// Accounts of the organization deactivated strictly before `before`, in listing order.
pub(crate) async fn deactivated_before(
    client: &impl GenericClient,
    org: OrgId,
    before: OffsetDateTime,
) -> Result<Vec<Account>, StoreError> {
    query(
        client,
        &format!(
            "SELECT {COLUMNS} FROM accounts
             WHERE org_id = $1 AND NOT active AND deactivated_at < $2 {ORDER}"
        ),
        &[&to_uuid(org)?, &before],
        "listing accounts due for purging",
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Deletes the accounts [`deactivated_before`] would list, with their memberships (by cascade),
/// and returns them in listing order. Rows are locked in id order, so two instances purging at
/// once, or a purge beside a group write, queue instead of deadlocking; an account reactivated
/// meanwhile no longer matches once its lock is granted and stays.
pub(crate) async fn purge(
    client: &impl GenericClient,
    org: OrgId,
    before: OffsetDateTime,
    change: &Change,
    at: OffsetDateTime,
) -> Result<Vec<Account>, StoreError> {
    // The accounts first (locked in id order), then their memberships, so the events name
    // them; memberships of accounts locked here cannot change before the commit.
    let due: Vec<Uuid> = query(
        client,
        "SELECT id FROM accounts
         WHERE org_id = $1 AND NOT active AND deactivated_at < $2
         ORDER BY id FOR UPDATE",
        &[&to_uuid(org)?, &before],
        "locking accounts due for purging",
    )
    .await?
    .iter()
    .map(|row| col(row, "id"))
    .collect::<Result<_, _>>()?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let mut memberships: HashMap<AccountId, Vec<(GroupId, MemberSource)>> = HashMap::new();
    for row in query(
        client,
        "DELETE FROM memberships WHERE account_id = ANY($1) RETURNING account_id, group_id, source",
        &[&due],
        "ending purged accounts' memberships",
    )
    .await?
    {
        let source: String = col(&row, "source")?;
        memberships
            .entry(from_uuid(col(&row, "account_id")?, "an account id")?)
            .or_default()
            .push((
                from_uuid(col(&row, "group_id")?, "a group id")?,
                source
                    .parse()
                    .map_err(|e| StoreError::internal("reading a membership", e))?,
            ));
    }
    let mut purged = query(
        client,
        &format!("DELETE FROM accounts WHERE id = ANY($1) RETURNING {COLUMNS}"),
        &[&due],
        "purging deactivated accounts",
    )
    .await?
    .iter()
    .map(from_row)
    .collect::<Result<Vec<_>, _>>()?;
    purged.sort_by_key(|a| (a.created_at, a.id));
    let mut removed = Vec::new();
    for account in &purged {
        let mut ended = memberships.remove(&account.id).unwrap_or_default();
        ended.sort();
        removed.extend(account_removed_events(change, account, &ended, at));
    }
    crate::events::append(client, &removed).await?;
    Ok(purged)
}

pub(crate) fn from_row(row: &Row) -> Result<Account, StoreError> {
    let role: String = col(row, "role")?;
    let org: Option<uuid::Uuid> = col(row, "org_id")?;
    let Json(attributes): Json<Map<String, Value>> = col(row, "attributes")?;
    Ok(Account {
        id: from_uuid(col(row, "id")?, "an account id")?,
        org_id: org
            .map(|o| from_uuid(o, "an account's organization"))
            .transpose()?,
        user_name: col(row, "user_name")?,
        external_id: col(row, "external_id")?,
        display_name: col(row, "display_name")?,
        role: role
            .parse::<Role>()
            .map_err(|e| StoreError::internal("reading a role", e.to_string()))?,
        active: col(row, "active")?,
        active_unassigned: col(row, "active_unassigned")?,
        deactivated_at: col(row, "deactivated_at")?,
        scim_managed: col(row, "scim_managed")?,
        scim_deleted: col(row, "scim_deleted")?,
        attributes,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
        version: col(row, "version")?,
    })
}

/// Keeps `orgs.active_accounts` right: a seat freed (`- 1`) or taken (`+ 1`) in `org`. The
/// update locks the organization's row, as the seat check does, so the counter never loses a
/// change.
async fn queue_seat_change(
    tx: &impl GenericClient,
    org: Option<uuid::Uuid>,
    change: &'static str,
    what: &'static str,
) -> Result<Option<Queued>, StoreError> {
    let Some(org) = org else {
        return Ok(None);
    };
    let sql = format!("UPDATE orgs SET active_accounts = active_accounts {change} WHERE id = $1");
    Ok(Some(
        Queued::prepare(tx, &sql, vec![Box::new(org)], what).await?,
    ))
}
