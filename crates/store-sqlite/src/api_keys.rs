//! The platform API's keys on SQLite: stored by the SHA-256 of the key, never the key.

use roster_domain::{ApiKeyRecord, Capped, OrgScope, StoreError, TokenHash};
use rusqlite::{Connection, OptionalExtension, Row, params};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::convert::{Context, from_micros, parse_id, to_micros};

const KEY_COLUMNS: &str = "id, org_id, name, key_hash, created_at, last_used_at, revoked_at";

type RawKey = (
    String,
    Option<String>,
    String,
    Vec<u8>,
    i64,
    Option<i64>,
    Option<i64>,
);

fn raw_key(row: &Row<'_>) -> rusqlite::Result<RawKey> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

fn key_from_raw(
    (id, org, name, hash, created, used, revoked): RawKey,
) -> Result<ApiKeyRecord, StoreError> {
    Ok(ApiKeyRecord {
        id: parse_id(&id, "an API key id")?,
        org_id: org
            .map(|o| parse_id(&o, "an API key's organization"))
            .transpose()?,
        name,
        hash: TokenHash(
            hash.try_into()
                .map_err(|_| StoreError::internal("reading an API key", "hash is not 32 bytes"))?,
        ),
        created_at: from_micros(created)?,
        last_used_at: used.map(from_micros).transpose()?,
        revoked_at: revoked.map(from_micros).transpose()?,
    })
}

/// Runs on the one writer, so no other insert comes between the count and the insert.
pub(crate) fn insert_key(
    conn: &Connection,
    key: &ApiKeyRecord,
    max_live: u32,
) -> Result<Capped, StoreError> {
    let org = key.org_id.map(|o| o.to_string());
    let live: i64 = conn
        .prepare_cached("SELECT count(*) FROM api_keys WHERE org_id IS ?1 AND revoked_at IS NULL")
        .and_then(|mut s| s.query_row([&org], |row| row.get(0)))
        .context("counting API keys")?;
    if live >= i64::from(max_live) {
        return Ok(Capped::LimitReached);
    }
    conn.prepare_cached(&format!(
        "INSERT INTO api_keys ({KEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    ))
    .and_then(|mut s| {
        s.execute(params![
            key.id.to_string(),
            org,
            key.name,
            key.hash.0.to_vec(),
            to_micros(key.created_at),
            key.last_used_at.map(to_micros),
            key.revoked_at.map(to_micros),
        ])
    })
    .context("inserting an API key")?;
    Ok(Capped::Inserted)
}

pub(crate) fn key_by_hash(
    conn: &Connection,
    hash: &TokenHash,
) -> Result<Option<ApiKeyRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = ?1"
    ))
    .and_then(|mut s| s.query_row([hash.0.to_vec()], raw_key).optional())
    .context("reading an API key")?
    .map(key_from_raw)
    .transpose()
}

pub(crate) fn keys(conn: &Connection) -> Result<Vec<ApiKeyRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, id"
    ))
    .and_then(|mut s| {
        s.query_map([], raw_key)?
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .context("listing API keys")?
    .into_iter()
    .map(key_from_raw)
    .collect()
}

pub(crate) fn keys_of(conn: &Connection, scope: OrgScope) -> Result<Vec<ApiKeyRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys WHERE org_id = ?1 ORDER BY created_at DESC, id"
    ))
    .and_then(|mut s| {
        s.query_map([scope.org_id().to_string()], raw_key)?
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .context("listing the organization's API keys")?
    .into_iter()
    .map(key_from_raw)
    .collect()
}

pub(crate) fn key_of(
    conn: &Connection,
    scope: OrgScope,
    id: Uuid,
) -> Result<Option<ApiKeyRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?1 AND org_id = ?2"
    ))
    .and_then(|mut s| {
        s.query_row([id.to_string(), scope.org_id().to_string()], raw_key)
            .optional()
    })
    .context("reading an API key")?
    .map(key_from_raw)
    .transpose()
}

pub(crate) fn revoke_key(
    conn: &Connection,
    id: Uuid,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached("UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")
        .and_then(|mut s| s.execute(params![id.to_string(), to_micros(at)]))
        .context("revoking an API key")?;
    Ok(n == 1)
}

pub(crate) fn touch_key(conn: &Connection, id: Uuid, at: OffsetDateTime) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![id.to_string(), to_micros(at)]))
        .context("recording an API key's use")?;
    Ok(())
}
