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
use tokio_postgres::{Row, types::Json};
use uuid::Uuid;

use crate::{
    convert::{col, from_uuid, to_u32, to_uuid},
    pool::{execute, query, query_one, query_opt},
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

/// Runs inside the caller's transaction; the caller commits only if this succeeds.
pub(crate) async fn write(
    tx: &impl GenericClient,
    write: AccountWrite,
) -> Result<Account, StoreError> {
    let AccountWrite {
        account,
        expected_version,
        takes_seat,
        end_scim_memberships,
        change,
    } = write;
    let id = to_uuid(account.id)?;
    let org = account.org_id.map(to_uuid).transpose()?;
    // The row this write replaces (locked): what its events compare with, and where it held a
    // seat. Its version is the expected one or the update below would match nothing.
    let before = match expected_version {
        None => None,
        Some(expected) => match query_opt(
            tx,
            &format!("SELECT {COLUMNS} FROM accounts WHERE id = $1 FOR UPDATE"),
            &[&id],
            "reading an account",
        )
        .await?
        .map(|row| from_row(&row))
        .transpose()?
        {
            Some(before) if before.version == expected => Some(before),
            _ => return Err(StoreError::VersionConflict),
        },
    };
    let previous_seat: Option<uuid::Uuid> = before
        .as_ref()
        .filter(|b| b.active)
        .and_then(|b| b.org_id)
        .map(to_uuid)
        .transpose()?;
    if takes_seat {
        let org = org.ok_or_else(|| {
            StoreError::internal("checking seats", "an independent account holds no seat")
        })?;
        check_seat(tx, org, previous_seat == Some(org)).await?;
    }
    let attributes = Json(&account.attributes);
    let key = user_name_key(&account.user_name);
    let row = match expected_version {
        None => {
            query_one(
                tx,
                &format!(
                    "INSERT INTO accounts ({COLUMNS}, user_name_key)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $15, $14)
                     RETURNING {COLUMNS}"
                ),
                &[
                    &id,
                    &org,
                    &account.user_name,
                    &account.external_id,
                    &account.display_name,
                    &account.role.as_str(),
                    &account.active,
                    &account.deactivated_at,
                    &account.scim_managed,
                    &account.scim_deleted,
                    &attributes,
                    &account.created_at,
                    &account.updated_at,
                    &key,
                    &account.active_unassigned,
                ],
                "inserting an account",
            )
            .await?
        }
        Some(expected) => {
            // The version check and the write are one statement: a concurrent writer that
            // committed first makes this match nothing.
            query_opt(
                tx,
                &format!(
                    "UPDATE accounts SET org_id = $2, user_name = $3, external_id = $4,
                         display_name = $5, role = $6, active = $7, deactivated_at = $8,
                         scim_managed = $9, scim_deleted = $10, attributes = $11,
                         updated_at = $12, user_name_key = $13, version = version + 1,
                         active_unassigned = $15
                     WHERE id = $1 AND version = $14
                     RETURNING {COLUMNS}"
                ),
                &[
                    &id,
                    &org,
                    &account.user_name,
                    &account.external_id,
                    &account.display_name,
                    &account.role.as_str(),
                    &account.active,
                    &account.deactivated_at,
                    &account.scim_managed,
                    &account.scim_deleted,
                    &attributes,
                    &account.updated_at,
                    &key,
                    &expected,
                    &account.active_unassigned,
                ],
                "updating an account",
            )
            .await?
            .ok_or(StoreError::VersionConflict)?
        }
    };
    let seat_now = if account.active { org } else { None };
    if previous_seat != seat_now {
        move_seat(tx, previous_seat, seat_now).await?;
    }
    if end_scim_memberships {
        // The groups change too: their ETags must not keep vouching for the old member list.
        execute(
            tx,
            "UPDATE groups SET version = version + 1, updated_at = $2 WHERE id IN
                 (SELECT group_id FROM memberships WHERE account_id = $1 AND source = 'scim')",
            &[&id, &account.updated_at],
            "touching the groups a SCIM delete leaves",
        )
        .await?;
    }
    let ended = if end_scim_memberships {
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
        .collect::<Result<Vec<(GroupId, MemberSource)>, StoreError>>()?
    } else {
        Vec::new()
    };
    let mut ended = ended;
    ended.sort();
    let stored = from_row(&row)?;
    crate::events::append(
        tx,
        &account_events(&change, before.as_ref(), &stored, &ended),
    )
    .await?;
    crate::log::append_written(tx, &change, &[]).await?;
    Ok(stored)
}

/// Refuses the write if the organization has no free seat. Locking the organization's row makes
/// every seat-taking write of that organization, on every instance, wait here in turn, and the
/// counter it reads is kept by every account write in the same transaction as the write.
async fn check_seat(
    tx: &impl GenericClient,
    org: uuid::Uuid,
    holds_one_already: bool,
) -> Result<(), StoreError> {
    let row = query_opt(
        tx,
        "SELECT seats, active_accounts FROM orgs WHERE id = $1 FOR UPDATE",
        &[&org],
        "locking the organization's seats",
    )
    .await?
    .ok_or_else(|| {
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

/// Keeps `orgs.active_accounts` right: one seat freed in `from`, one taken in `to`. The update
/// locks the organization's row, as the seat check does, so the counter never loses a change.
async fn move_seat(
    tx: &impl GenericClient,
    from: Option<uuid::Uuid>,
    to: Option<uuid::Uuid>,
) -> Result<(), StoreError> {
    if let Some(org) = from {
        execute(
            tx,
            "UPDATE orgs SET active_accounts = active_accounts - 1 WHERE id = $1",
            &[&org],
            "freeing a seat",
        )
        .await?;
    }
    if let Some(org) = to {
        execute(
            tx,
            "UPDATE orgs SET active_accounts = active_accounts + 1 WHERE id = $1",
            &[&org],
            "taking a seat",
        )
        .await?;
    }
    Ok(())
}
