//! SQL for SCIM tokens.

use roster_domain::{OrgId, StoreError, TokenHash, TokenRecord, Unique};
use rusqlite::{Connection, OptionalExtension, Row, params};
use time::OffsetDateTime;

use crate::convert::{Context, from_micros, to_micros};

pub(crate) fn install(
    conn: &Connection,
    token: &TokenRecord,
    previous_valid_until: Option<OffsetDateTime>,
    require_none: bool,
) -> Result<(), StoreError> {
    let org = token.org_id.to_string();
    if require_none {
        // The partial unique index refuses a second current token; checking first gives the
        // domain a clean answer without relying on the error text.
        let current: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM scim_tokens WHERE org_id = ?1 AND expires_at IS NULL)",
                [&org],
                |row| row.get(0),
            )
            .context("checking for a current token")?;
        if current {
            return Err(StoreError::UniqueViolation(Unique::CurrentScimToken));
        }
    }
    if require_none {
        conn.execute(
            "INSERT INTO scim_activity (org_id, enabled_at) VALUES (?1, ?2)
             ON CONFLICT (org_id) DO UPDATE SET enabled_at = excluded.enabled_at",
            params![org, to_micros(token.created_at)],
        )
        .context("recording when SCIM was enabled")?;
    }
    // Every token this install may remove is remembered as revoked first.
    retire(conn, &org)?;
    conn.execute(
        "DELETE FROM scim_tokens WHERE org_id = ?1 AND expires_at IS NOT NULL",
        [&org],
    )
    .context("revoking tokens in their grace period")?;
    match previous_valid_until {
        Some(until) => conn.execute(
            "UPDATE scim_tokens SET expires_at = ?2 WHERE org_id = ?1 AND expires_at IS NULL",
            params![org, to_micros(until)],
        ),
        None => conn.execute(
            "DELETE FROM scim_tokens WHERE org_id = ?1 AND expires_at IS NULL",
            [&org],
        ),
    }
    .context("retiring the current token")?;
    conn.execute(
        "INSERT INTO scim_tokens (id, org_id, token_hash, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, NULL)",
        params![
            token.id.to_string(),
            org,
            token.hash.0.as_slice(),
            to_micros(token.created_at),
        ],
    )
    .context("storing a token")?;
    Ok(())
}

pub(crate) fn by_hash(
    conn: &Connection,
    hash: &TokenHash,
) -> Result<Option<TokenRecord>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, org_id, token_hash, created_at, expires_at FROM scim_tokens
             WHERE token_hash = ?1",
        )
        .context("looking up a token")?;
    let row = stmt
        .query_row([hash.0.as_slice()], raw)
        .optional()
        .context("looking up a token")?;
    row.map(from_raw).transpose()
}

pub(crate) fn valid(
    conn: &Connection,
    org: OrgId,
    now: OffsetDateTime,
) -> Result<Vec<TokenRecord>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, org_id, token_hash, created_at, expires_at FROM scim_tokens
             WHERE org_id = ?1 AND (expires_at IS NULL OR expires_at > ?2)
             ORDER BY created_at",
        )
        .context("listing tokens")?;
    let rows = stmt
        .query_map(params![org.to_string(), to_micros(now)], raw)
        .context("listing tokens")?
        .collect::<rusqlite::Result<Vec<_>>>()
        .context("listing tokens")?;
    rows.into_iter().map(from_raw).collect()
}

/// Remembers the hashes of the organization's stored tokens as revoked, so a client presenting
/// one after it is removed is known to hold an old token.
fn retire(conn: &Connection, org: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO scim_retired_tokens (token_hash, org_id)
         SELECT token_hash, org_id FROM scim_tokens WHERE org_id = ?1
         ON CONFLICT (token_hash) DO NOTHING",
        [org],
    )
    .context("remembering revoked tokens")?;
    Ok(())
}

pub(crate) fn revoke_all(conn: &Connection, org: OrgId) -> Result<u64, StoreError> {
    retire(conn, &org.to_string())?;
    let n = conn
        .execute(
            "DELETE FROM scim_tokens WHERE org_id = ?1",
            [org.to_string()],
        )
        .context("revoking tokens")?;
    Ok(n as u64)
}

type RawToken = (String, String, Vec<u8>, i64, Option<i64>);

fn raw(row: &Row<'_>) -> rusqlite::Result<RawToken> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn from_raw((id, org, hash, created, expires): RawToken) -> Result<TokenRecord, StoreError> {
    Ok(TokenRecord {
        id: id
            .parse()
            .map_err(|e| StoreError::internal("reading a token id", e))?,
        org_id: org
            .parse()
            .map_err(|e| StoreError::internal("reading a token's organization", e))?,
        hash: TokenHash(
            hash.try_into()
                .map_err(|_| StoreError::internal("reading a token hash", "not 32 bytes"))?,
        ),
        created_at: from_micros(created)?,
        expires_at: expires.map(from_micros).transpose()?,
    })
}
