//! SQL for organizations and the seats they have in use.

use deadpool_postgres::GenericClient;
use roster_domain::{Org, OrgId, OrgKind, StoreError, domains_from_column, domains_to_column};
use tokio_postgres::Row;

use crate::{
    convert::{col, from_uuid, to_u32, to_uuid},
    pool::{execute, query, query_one, query_opt},
};

const COLUMNS: &str = "id, name, kind, seats, retention_days, domains, created_at, updated_at";

pub(crate) async fn insert(client: &impl GenericClient, org: &Org) -> Result<(), StoreError> {
    execute(
        client,
        "INSERT INTO orgs (id, name, kind, seats, retention_days, created_at, updated_at, domains)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &to_uuid(org.id)?,
            &org.name,
            &org.kind.as_str(),
            &i64::from(org.seats),
            &org.retention_days.map(retention_to_sql).transpose()?,
            &org.created_at,
            &org.updated_at,
            &domains_to_column(&org.domains),
        ],
        "inserting an organization",
    )
    .await?;
    Ok(())
}

pub(crate) async fn update(client: &impl GenericClient, org: &Org) -> Result<(), StoreError> {
    let changed = execute(
        client,
        "UPDATE orgs SET name = $2, seats = $3, retention_days = $4, updated_at = $5,
             domains = $6
         WHERE id = $1",
        &[
            &to_uuid(org.id)?,
            &org.name,
            &i64::from(org.seats),
            &org.retention_days.map(retention_to_sql).transpose()?,
            &org.updated_at,
            &domains_to_column(&org.domains),
        ],
        "updating an organization",
    )
    .await?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::internal(
            "updating an organization",
            format!("organization {} vanished", org.id),
        ))
    }
}

pub(crate) async fn get(client: &impl GenericClient, id: OrgId) -> Result<Option<Org>, StoreError> {
    query_opt(
        client,
        &format!("SELECT {COLUMNS} FROM orgs WHERE id = $1"),
        &[&to_uuid(id)?],
        "reading an organization",
    )
    .await?
    .map(|row| from_row(&row))
    .transpose()
}

pub(crate) async fn all(client: &impl GenericClient) -> Result<Vec<Org>, StoreError> {
    query(
        client,
        &format!("SELECT {COLUMNS} FROM orgs ORDER BY created_at, id"),
        &[],
        "listing organizations",
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Keyset paging by id: the primary key's order, so each page is one index range.
pub(crate) async fn page(
    client: &impl GenericClient,
    after: Option<OrgId>,
    limit: u32,
) -> Result<Vec<Org>, StoreError> {
    let after = after.map(to_uuid).transpose()?;
    query(
        client,
        &format!(
            "SELECT {COLUMNS} FROM orgs WHERE $1::uuid IS NULL OR id > $1 ORDER BY id LIMIT $2"
        ),
        &[&after, &i64::from(limit)],
        "listing a page of organizations",
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

pub(crate) async fn seats_used(client: &impl GenericClient, id: OrgId) -> Result<u32, StoreError> {
    let row = query_one(
        client,
        "SELECT COALESCE((SELECT active_accounts FROM orgs WHERE id = $1), 0) AS used",
        &[&to_uuid(id)?],
        "counting seats in use",
    )
    .await?;
    to_u32(col(&row, "used")?, "seats in use")
}

fn retention_to_sql(days: u32) -> Result<i32, StoreError> {
    i32::try_from(days).map_err(|e| StoreError::internal("storing a retention period", e))
}

fn from_row(row: &Row) -> Result<Org, StoreError> {
    let kind: String = col(row, "kind")?;
    let retention: Option<i32> = col(row, "retention_days")?;
    Ok(Org {
        id: from_uuid(col(row, "id")?, "an organization id")?,
        name: col(row, "name")?,
        kind: kind
            .parse::<OrgKind>()
            .map_err(|e| StoreError::internal("reading an organization kind", e.to_string()))?,
        seats: to_u32(col(row, "seats")?, "an organization's seats")?,
        retention_days: retention
            .map(|d| to_u32(i64::from(d), "a retention period"))
            .transpose()?,
        domains: domains_from_column(&col::<String>(row, "domains")?),
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}
