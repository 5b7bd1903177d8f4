//! SQL for organizations.

use roster_domain::{Org, OrgId, OrgKind, StoreError, domains_from_column, domains_to_column};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::convert::{Context, from_micros, to_micros};

pub(crate) fn insert(conn: &Connection, org: &Org) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO orgs (id, name, kind, seats, retention_days, created_at, updated_at, domains)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            org.id.to_string(),
            org.name,
            org.kind.as_str(),
            org.seats,
            org.retention_days,
            to_micros(org.created_at),
            to_micros(org.updated_at),
            domains_to_column(&org.domains),
        ],
    )
    .context("inserting an organization")?;
    Ok(())
}

pub(crate) fn update(conn: &Connection, org: &Org) -> Result<(), StoreError> {
    let changed = conn
        .execute(
            "UPDATE orgs SET name = ?2, seats = ?3, retention_days = ?4, updated_at = ?5,
                 domains = ?6
             WHERE id = ?1",
            params![
                org.id.to_string(),
                org.name,
                org.seats,
                org.retention_days,
                to_micros(org.updated_at),
                domains_to_column(&org.domains),
            ],
        )
        .context("updating an organization")?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::internal(
            "updating an organization",
            format!("organization {} vanished", org.id),
        ))
    }
}

pub(crate) fn get(conn: &Connection, id: OrgId) -> Result<Option<Org>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, name, kind, seats, retention_days, created_at, updated_at, domains
             FROM orgs WHERE id = ?1",
        )
        .context("reading an organization")?;
    let row = stmt
        .query_row([id.to_string()], raw)
        .optional()
        .context("reading an organization")?;
    row.map(from_raw).transpose()
}

pub(crate) fn all(conn: &Connection) -> Result<Vec<Org>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, name, kind, seats, retention_days, created_at, updated_at, domains
             FROM orgs ORDER BY created_at, id",
        )
        .context("listing organizations")?;
    let rows = stmt
        .query_map([], raw)
        .context("listing organizations")?
        .collect::<rusqlite::Result<Vec<_>>>()
        .context("listing organizations")?;
    rows.into_iter().map(from_raw).collect()
}

pub(crate) fn seats_used(conn: &Connection, id: OrgId) -> Result<u32, StoreError> {
    conn.prepare_cached("SELECT COALESCE((SELECT active_accounts FROM orgs WHERE id = ?1), 0)")
        .and_then(|mut stmt| stmt.query_row([id.to_string()], |row| row.get(0)))
        .context("counting seats in use")
}

type RawOrg = (String, String, String, u32, Option<u32>, i64, i64, String);

fn raw(row: &Row<'_>) -> rusqlite::Result<RawOrg> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
    ))
}

/// Keyset paging by id: the primary key's order, so each page is one index range.
pub(crate) fn page(
    conn: &Connection,
    after: Option<OrgId>,
    limit: u32,
) -> Result<Vec<Org>, StoreError> {
    let what = "listing a page of organizations";
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, name, kind, seats, retention_days, created_at, updated_at, domains
             FROM orgs WHERE ?1 IS NULL OR id > ?1 ORDER BY id LIMIT ?2",
        )
        .context(what)?;
    let rows = stmt
        .query_map(params![after.map(|a| a.to_string()), limit], raw)
        .context(what)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .context(what)?;
    rows.into_iter().map(from_raw).collect()
}

fn from_raw(
    (id, name, kind, seats, retention_days, created, updated, domains): RawOrg,
) -> Result<Org, StoreError> {
    Ok(Org {
        id: id
            .parse()
            .map_err(|e| StoreError::internal("reading an organization id", e))?,
        name,
        kind: kind
            .parse::<OrgKind>()
            .map_err(|e| StoreError::internal("reading an organization kind", e.to_string()))?,
        seats,
        retention_days,
        domains: domains_from_column(&domains),
        created_at: from_micros(created)?,
        updated_at: from_micros(updated)?,
    })
}
