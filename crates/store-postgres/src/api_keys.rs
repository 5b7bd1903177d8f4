//! The platform API's keys on PostgreSQL: stored by the SHA-256 of the key, never the key.
//! Creating a key counts its owner's live keys under the owner's event lock, so concurrent
//! creations on any number of instances take turns and the cap holds.

use deadpool_postgres::GenericClient;
use roster_domain::{ApiKeyRecord, Capped, OrgScope, StoreError, TokenHash};
use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::{
    convert::{Context, col, from_uuid, to_uuid},
    events,
    pool::{self, execute, query, query_one, query_opt},
};

const KEY_COLUMNS: &str = "id, org_id, name, key_hash, created_at, last_used_at, revoked_at";

fn key_from_row(row: &Row) -> Result<ApiKeyRecord, StoreError> {
    let org: Option<Uuid> = col(row, "org_id")?;
    let hash: Vec<u8> = col(row, "key_hash")?;
    Ok(ApiKeyRecord {
        id: col(row, "id")?,
        org_id: org
            .map(|o| from_uuid(o, "an API key's organization"))
            .transpose()?,
        name: col(row, "name")?,
        hash: TokenHash(
            hash.try_into()
                .map_err(|_| StoreError::internal("reading an API key", "hash is not 32 bytes"))?,
        ),
        created_at: col(row, "created_at")?,
        last_used_at: col(row, "last_used_at")?,
        revoked_at: col(row, "revoked_at")?,
    })
}

pub(crate) async fn insert_key(
    pool: &deadpool_postgres::Pool,
    key: &ApiKeyRecord,
    max_live: u32,
) -> Result<Capped, StoreError> {
    let org = key.org_id.map(to_uuid).transpose()?;
    let mut client = pool::get(pool).await?;
    let tx = events::begin(&mut client, key.org_id).await?;
    let live: i64 = col(
        &query_one(
            &tx,
            "SELECT count(*) AS n FROM api_keys \
             WHERE org_id IS NOT DISTINCT FROM $1 AND revoked_at IS NULL",
            &[&org],
            "counting API keys",
        )
        .await?,
        "n",
    )?;
    if live >= i64::from(max_live) {
        return Ok(Capped::LimitReached);
    }
    execute(
        &tx,
        &format!("INSERT INTO api_keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
        &[
            &key.id,
            &org,
            &key.name,
            &key.hash.0.as_slice(),
            &key.created_at,
            &key.last_used_at,
            &key.revoked_at,
        ],
        "inserting an API key",
    )
    .await?;
    tx.commit().await.context("committing a new API key")?;
    Ok(Capped::Inserted)
}

pub(crate) async fn key_by_hash(
    client: &impl GenericClient,
    hash: &TokenHash,
) -> Result<Option<ApiKeyRecord>, StoreError> {
    query_opt(
        client,
        &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = $1"),
        &[&hash.0.as_slice()],
        "reading an API key",
    )
    .await?
    .map(|r| key_from_row(&r))
    .transpose()
}

pub(crate) async fn keys(client: &impl GenericClient) -> Result<Vec<ApiKeyRecord>, StoreError> {
    query(
        client,
        &format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, id"),
        &[],
        "listing API keys",
    )
    .await?
    .iter()
    .map(key_from_row)
    .collect()
}

pub(crate) async fn keys_of(
    client: &impl GenericClient,
    scope: OrgScope,
) -> Result<Vec<ApiKeyRecord>, StoreError> {
    let org = to_uuid(scope.org_id())?;
    query(
        client,
        &format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE org_id = $1 ORDER BY created_at DESC, id"
        ),
        &[&org],
        "listing the organization's API keys",
    )
    .await?
    .iter()
    .map(key_from_row)
    .collect()
}

pub(crate) async fn key_of(
    client: &impl GenericClient,
    scope: OrgScope,
    id: Uuid,
) -> Result<Option<ApiKeyRecord>, StoreError> {
    let org = to_uuid(scope.org_id())?;
    query_opt(
        client,
        &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1 AND org_id = $2"),
        &[&id, &org],
        "reading an API key",
    )
    .await?
    .map(|r| key_from_row(&r))
    .transpose()
}

pub(crate) async fn revoke_key(
    client: &impl GenericClient,
    id: Uuid,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let n = execute(
        client,
        "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        &[&id, &at],
        "revoking an API key",
    )
    .await?;
    Ok(n == 1)
}

pub(crate) async fn touch_key(
    client: &impl GenericClient,
    id: Uuid,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    execute(
        client,
        "UPDATE api_keys SET last_used_at = $2 WHERE id = $1",
        &[&id, &at],
        "recording an API key's use",
    )
    .await?;
    Ok(())
}
