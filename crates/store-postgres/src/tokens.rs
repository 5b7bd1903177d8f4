//! SQL for SCIM tokens. Installing a token locks the organization's row first, so two
//! concurrent `enable`s or rotations of one organization run one after the other.

use deadpool_postgres::GenericClient;
use roster_domain::{OrgId, StoreError, TokenHash, TokenRecord, Unique};
use time::OffsetDateTime;
use tokio_postgres::Row;

use crate::{
    convert::{col, from_uuid, to_uuid},
    pool::{execute, query, query_one, query_opt},
};

const COLUMNS: &str = "id, org_id, token_hash, created_at, expires_at";

/// Runs inside the caller's transaction.
pub(crate) async fn install(
    tx: &impl GenericClient,
    token: &TokenRecord,
    previous_valid_until: Option<OffsetDateTime>,
    require_none: bool,
) -> Result<(), StoreError> {
    let org = to_uuid(token.org_id)?;
    let locked = query_opt(
        tx,
        "SELECT 1 FROM orgs WHERE id = $1 FOR UPDATE",
        &[&org],
        "locking the organization",
    )
    .await?;
    if locked.is_none() {
        return Err(StoreError::internal(
            "installing a SCIM token",
            format!("organization {} does not exist", token.org_id),
        ));
    }
    if require_none {
        let current = query_opt(
            tx,
            "SELECT 1 FROM scim_tokens WHERE org_id = $1 AND expires_at IS NULL",
            &[&org],
            "checking for a current token",
        )
        .await?;
        if current.is_some() {
            return Err(StoreError::UniqueViolation(Unique::CurrentScimToken));
        }
    }
    if require_none {
        execute(
            tx,
            "INSERT INTO scim_activity (org_id, enabled_at) VALUES ($1, $2)
             ON CONFLICT (org_id) DO UPDATE SET enabled_at = excluded.enabled_at",
            &[&org, &token.created_at],
            "recording when SCIM was enabled",
        )
        .await?;
    }
    // Every token this install may remove is remembered as revoked first.
    execute(
        tx,
        "INSERT INTO scim_retired_tokens (token_hash, org_id)
         SELECT token_hash, org_id FROM scim_tokens WHERE org_id = $1
         ON CONFLICT (token_hash) DO NOTHING",
        &[&org],
        "remembering revoked tokens",
    )
    .await?;
    execute(
        tx,
        "DELETE FROM scim_tokens WHERE org_id = $1 AND expires_at IS NOT NULL",
        &[&org],
        "revoking tokens in their grace period",
    )
    .await?;
    match previous_valid_until {
        Some(until) => {
            execute(
                tx,
                "UPDATE scim_tokens SET expires_at = $2 WHERE org_id = $1 AND expires_at IS NULL",
                &[&org, &until],
                "retiring the current token",
            )
            .await?
        }
        None => {
            execute(
                tx,
                "DELETE FROM scim_tokens WHERE org_id = $1 AND expires_at IS NULL",
                &[&org],
                "retiring the current token",
            )
            .await?
        }
    };
    execute(
        tx,
        "INSERT INTO scim_tokens (id, org_id, token_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, NULL)",
        &[&token.id, &org, &token.hash.0.as_slice(), &token.created_at],
        "storing a token",
    )
    .await?;
    Ok(())
}

pub(crate) async fn by_hash(
    client: &impl GenericClient,
    hash: &TokenHash,
) -> Result<Option<TokenRecord>, StoreError> {
    query_opt(
        client,
        &format!("SELECT {COLUMNS} FROM scim_tokens WHERE token_hash = $1"),
        &[&hash.0.as_slice()],
        "looking up a token",
    )
    .await?
    .map(|row| from_row(&row))
    .transpose()
}

pub(crate) async fn valid(
    client: &impl GenericClient,
    org: OrgId,
    now: OffsetDateTime,
) -> Result<Vec<TokenRecord>, StoreError> {
    query(
        client,
        &format!(
            "SELECT {COLUMNS} FROM scim_tokens
             WHERE org_id = $1 AND (expires_at IS NULL OR expires_at > $2)
             ORDER BY created_at, id"
        ),
        &[&to_uuid(org)?, &now],
        "listing tokens",
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

pub(crate) async fn revoke_all(client: &impl GenericClient, org: OrgId) -> Result<u64, StoreError> {
    // One statement, so a revoked token is remembered as revoked (its hash only) atomically.
    let row = query_one(
        client,
        "WITH gone AS (DELETE FROM scim_tokens WHERE org_id = $1 RETURNING token_hash, org_id),
              kept AS (INSERT INTO scim_retired_tokens (token_hash, org_id)
                       SELECT token_hash, org_id FROM gone ON CONFLICT (token_hash) DO NOTHING)
         SELECT count(*) AS n FROM gone",
        &[&to_uuid(org)?],
        "revoking tokens",
    )
    .await?;
    Ok(col::<i64>(&row, "n")?.unsigned_abs())
}

fn from_row(row: &Row) -> Result<TokenRecord, StoreError> {
    let hash: Vec<u8> = col(row, "token_hash")?;
    Ok(TokenRecord {
        id: col(row, "id")?,
        org_id: from_uuid(col(row, "org_id")?, "a token's organization")?,
        hash: TokenHash(
            hash.try_into()
                .map_err(|_| StoreError::internal("reading a token hash", "not 32 bytes"))?,
        ),
        created_at: col(row, "created_at")?,
        expires_at: col(row, "expires_at")?,
    })
}
