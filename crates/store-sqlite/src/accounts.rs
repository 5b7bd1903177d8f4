//! SQL for accounts, including the seat check that runs in the same transaction as the write.

use roster_domain::{
    Account, AccountId, AccountWrite, Change, GroupId, MemberSource, OrgId, Page, Role, SeatLimit,
    StoreError, StoreFilter, account_events, account_removed_events, user_name_key,
};
use roster_store_sql::{ACCOUNT_COLUMNS as COLUMNS, ACCOUNTS, Dialect, listing};
use rusqlite::{Connection, OptionalExtension, Row, ToSql, params};
use std::{collections::HashMap, sync::LazyLock};
use time::OffsetDateTime;

use crate::convert::{Context, from_json, from_micros, parse_id, to_json, to_micros};
use crate::events;

pub(crate) fn by_user_name(conn: &Connection, key: &str) -> Result<Option<Account>, StoreError> {
    one(conn, "user_name_key = ?1", &[&key])
}

pub(crate) fn by_id(
    conn: &Connection,
    org: OrgId,
    id: AccountId,
) -> Result<Option<Account>, StoreError> {
    // Formatted once: Entra reads by id all day.
    static BY_ID: LazyLock<String> = LazyLock::new(|| select_where("id = ?1 AND org_id = ?2"));
    one_of(conn, &BY_ID, &[&id.to_string(), &org.to_string()])
}

/// The page of the accounts SCIM sees that match `filter`, with the number of matches.
pub(crate) fn list(
    conn: &Connection,
    org: OrgId,
    filter: Option<&StoreFilter>,
    page: Page,
) -> Result<(Vec<Account>, u64), StoreError> {
    let listing = listing(Dialect::Sqlite, ACCOUNTS, org, filter, page);
    crate::list::run(conn, listing, raw, from_raw)
}

pub(crate) fn write(conn: &Connection, write: AccountWrite) -> Result<Account, StoreError> {
    let AccountWrite {
        mut account,
        expected_version,
        takes_seat,
        end_scim_memberships,
        change,
    } = write;
    let id = account.id.to_string();
    let org = account.org_id.map(|o| o.to_string());
    // The row this write replaces: what its events compare with, and where it held a seat.
    let before = match expected_version {
        None => None,
        Some(expected) => match one(conn, "id = ?1", &[&id])? {
            Some(before) if before.version == expected => Some(before),
            _ => return Err(StoreError::VersionConflict),
        },
    };
    let previous_seat: Option<String> = before
        .as_ref()
        .filter(|b| b.active)
        .and_then(|b| b.org_id)
        .map(|o| o.to_string());
    if takes_seat {
        let org = org.as_deref().ok_or_else(|| {
            StoreError::internal("checking seats", "an independent account holds no seat")
        })?;
        let (seats, mut used): (u32, u32) = conn
            .prepare_cached("SELECT seats, active_accounts FROM orgs WHERE id = ?1")
            .and_then(|mut s| s.query_row([org], |r| Ok((r.get(0)?, r.get(1)?))))
            .context("reading the seat limit")?;
        if previous_seat.as_deref() == Some(org) {
            used = used.saturating_sub(1);
        }
        if used >= seats {
            return Err(StoreError::SeatLimit(SeatLimit { seats, used }));
        }
    }
    let attributes = to_json(&account.attributes)?;
    let key = user_name_key(&account.user_name);
    match expected_version {
        None => {
            account.version = 1;
            conn.prepare_cached(&format!(
                "INSERT INTO accounts ({COLUMNS}, user_name_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
            ))
            .and_then(|mut s| {
                s.execute(params![
                    id,
                    org,
                    account.user_name,
                    account.external_id,
                    account.display_name,
                    account.role.as_str(),
                    account.active,
                    account.deactivated_at.map(to_micros),
                    account.scim_managed,
                    account.scim_deleted,
                    attributes,
                    to_micros(account.created_at),
                    to_micros(account.updated_at),
                    account.version,
                    account.active_unassigned,
                    key,
                ])
            })
            .context("inserting an account")?;
        }
        Some(expected) => {
            account.version = expected + 1;
            let changed = conn
                .prepare_cached(
                    "UPDATE accounts SET org_id = ?2, user_name = ?3, external_id = ?4,
                         display_name = ?5, role = ?6, active = ?7, deactivated_at = ?8,
                         scim_managed = ?9, scim_deleted = ?10, attributes = ?11,
                         updated_at = ?12, version = ?13, user_name_key = ?14,
                         active_unassigned = ?16
                     WHERE id = ?1 AND version = ?15",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        id,
                        org,
                        account.user_name,
                        account.external_id,
                        account.display_name,
                        account.role.as_str(),
                        account.active,
                        account.deactivated_at.map(to_micros),
                        account.scim_managed,
                        account.scim_deleted,
                        attributes,
                        to_micros(account.updated_at),
                        account.version,
                        key,
                        expected,
                        account.active_unassigned,
                    ])
                })
                .context("updating an account")?;
            if changed != 1 {
                return Err(StoreError::VersionConflict);
            }
        }
    }
    let seat_now = account.active.then_some(org.as_deref()).flatten();
    if previous_seat.as_deref() != seat_now {
        move_seat(conn, previous_seat.as_deref(), seat_now)?;
    }
    if end_scim_memberships {
        // The groups change too: their ETags must not keep vouching for the old member list.
        conn.prepare_cached(
            "UPDATE groups SET version = version + 1, updated_at = ?2 WHERE id IN
                 (SELECT group_id FROM memberships WHERE account_id = ?1 AND source = 'scim')",
        )
        .and_then(|mut s| s.execute(params![id, to_micros(account.updated_at)]))
        .context("touching the groups a SCIM delete leaves")?;
    }
    let ended = if end_scim_memberships {
        conn.prepare_cached(
            "DELETE FROM memberships WHERE account_id = ?1 AND source = 'scim' RETURNING group_id",
        )
        .and_then(|mut s| {
            s.query_map([&id], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .context("ending SCIM memberships")?
    } else {
        Vec::new()
    };
    let ended = ended
        .iter()
        .map(|g| Ok((parse_id(g, "a group id")?, MemberSource::Scim)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    events::append(
        conn,
        &account_events(&change, before.as_ref(), &account, &ended),
    )?;
    crate::log::append_written(conn, &change, &[])?;
    Ok(account)
}

/// Keeps `orgs.active_accounts` right: one seat freed in `from`, one taken in `to`.
fn move_seat(conn: &Connection, from: Option<&str>, to: Option<&str>) -> Result<(), StoreError> {
    if let Some(org) = from {
        conn.prepare_cached("UPDATE orgs SET active_accounts = active_accounts - 1 WHERE id = ?1")
            .and_then(|mut s| s.execute([org]))
            .context("freeing a seat")?;
    }
    if let Some(org) = to {
        conn.prepare_cached("UPDATE orgs SET active_accounts = active_accounts + 1 WHERE id = ?1")
            .and_then(|mut s| s.execute([org]))
            .context("taking a seat")?;
    }
    Ok(())
}

pub(crate) fn deactivated_before(
    conn: &Connection,
    org: OrgId,
    before: i64,
) -> Result<Vec<Account>, StoreError> {
    many(
        conn,
        "org_id = ?1 AND active = 0 AND deactivated_at < ?2",
        &[&org.to_string(), &before],
    )
}

/// The first `limit` (in listing order) of [`deactivated_before`].
/// Deletes at most `limit` of the organization's accounts deactivated before `before`, oldest
/// first, in one statement (their memberships go with them); returns them.
pub(crate) fn delete_deactivated_before(
    conn: &Connection,
    org: OrgId,
    before: i64,
    limit: u32,
    change: &Change,
    at: OffsetDateTime,
) -> Result<Vec<Account>, StoreError> {
    // The memberships first, so their events name them; the same accounts as below, since
    // the writer's transaction sees its own deletes and nothing else.
    let ended = conn
        .prepare_cached(
            "DELETE FROM memberships WHERE account_id IN (
                 SELECT id FROM accounts WHERE org_id = ?1 AND active = 0 AND deactivated_at < ?2
                 ORDER BY created_at, id LIMIT ?3)
             RETURNING account_id, group_id, source",
        )
        .and_then(|mut s| {
            s.query_map(params![org.to_string(), before, limit], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .context("ending purged accounts' memberships")?;
    let mut memberships: HashMap<AccountId, Vec<(GroupId, MemberSource)>> = HashMap::new();
    for (account, group, source) in ended {
        memberships
            .entry(parse_id(&account, "an account id")?)
            .or_default()
            .push((
                parse_id(&group, "a group id")?,
                source
                    .parse()
                    .map_err(|e| StoreError::internal("reading a membership", e))?,
            ));
    }
    let sql = format!(
        "DELETE FROM accounts WHERE id IN (
             SELECT id FROM accounts WHERE org_id = ?1 AND active = 0 AND deactivated_at < ?2
             ORDER BY created_at, id LIMIT ?3)
         RETURNING {COLUMNS}"
    );
    let mut stmt = conn.prepare_cached(&sql).context("purging accounts")?;
    let rows = stmt
        .query_map(params![org.to_string(), before, limit], raw)
        .context("purging accounts")?
        .collect::<rusqlite::Result<Vec<_>>>()
        .context("purging accounts")?;
    let mut purged = rows
        .into_iter()
        .map(from_raw)
        .collect::<Result<Vec<_>, _>>()?;
    // RETURNING gives rows in no promised order.
    purged.sort_by_key(|a| (a.created_at, a.id));
    let mut removed = Vec::new();
    for account in &purged {
        let mut ended = memberships.remove(&account.id).unwrap_or_default();
        ended.sort();
        removed.extend(account_removed_events(change, account, &ended, at));
    }
    events::append(conn, &removed)?;
    Ok(purged)
}

fn one(
    conn: &Connection,
    condition: &str,
    args: &[&dyn ToSql],
) -> Result<Option<Account>, StoreError> {
    one_of(conn, &select_where(condition), args)
}

fn select_where(condition: &str) -> String {
    format!("SELECT {COLUMNS} FROM accounts WHERE {condition}")
}

/// The account `sql` (from [`select_where`]) finds, if any.
fn one_of(
    conn: &Connection,
    sql: &str,
    args: &[&dyn ToSql],
) -> Result<Option<Account>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).context("reading an account")?;
    let row = stmt
        .query_row(args, raw)
        .optional()
        .context("reading an account")?;
    row.map(from_raw).transpose()
}

/// Accounts matching `condition`, in listing order.
fn many(
    conn: &Connection,
    condition: &str,
    args: &[&dyn ToSql],
) -> Result<Vec<Account>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE {condition} ORDER BY created_at, id");
    let mut stmt = conn.prepare_cached(&sql).context("listing accounts")?;
    let rows = stmt
        .query_map(args, raw)
        .context("listing accounts")?
        .collect::<rusqlite::Result<Vec<_>>>()
        .context("listing accounts")?;
    rows.into_iter().map(from_raw).collect()
}

pub(crate) struct RawAccount {
    id: String,
    org_id: Option<String>,
    user_name: String,
    external_id: Option<String>,
    display_name: Option<String>,
    role: String,
    active: bool,
    deactivated_at: Option<i64>,
    scim_managed: bool,
    scim_deleted: bool,
    attributes: String,
    created_at: i64,
    updated_at: i64,
    version: i64,
    active_unassigned: bool,
}

pub(crate) fn raw(row: &Row<'_>) -> rusqlite::Result<RawAccount> {
    Ok(RawAccount {
        id: row.get(0)?,
        org_id: row.get(1)?,
        user_name: row.get(2)?,
        external_id: row.get(3)?,
        display_name: row.get(4)?,
        role: row.get(5)?,
        active: row.get(6)?,
        deactivated_at: row.get(7)?,
        scim_managed: row.get(8)?,
        scim_deleted: row.get(9)?,
        attributes: row.get(10)?,
        created_at: row.get(11)?,
        updated_at: row.get(12)?,
        version: row.get(13)?,
        active_unassigned: row.get(14)?,
    })
}

pub(crate) fn from_raw(raw: RawAccount) -> Result<Account, StoreError> {
    Ok(Account {
        id: parse_id(&raw.id, "an account id")?,
        org_id: raw
            .org_id
            .as_deref()
            .map(|o| parse_id(o, "an account's organization"))
            .transpose()?,
        user_name: raw.user_name,
        external_id: raw.external_id,
        display_name: raw.display_name,
        role: raw
            .role
            .parse::<Role>()
            .map_err(|e| StoreError::internal("reading a role", e.to_string()))?,
        active: raw.active,
        active_unassigned: raw.active_unassigned,
        deactivated_at: raw.deactivated_at.map(from_micros).transpose()?,
        scim_managed: raw.scim_managed,
        scim_deleted: raw.scim_deleted,
        attributes: from_json(&raw.attributes)?,
        created_at: from_micros(raw.created_at)?,
        updated_at: from_micros(raw.updated_at)?,
        version: raw.version,
    })
}
