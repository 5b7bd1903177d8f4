//! SQL for sign-in with the organization's provider: configuration, pending flows, links to
//! the provider's subjects, the sign-in log, and an account's groups for `/api/v1/me`.

use deadpool_postgres::GenericClient;
use roster_domain::{
    AccountId, GroupId, LoggedSignIn, MatchedBy, OrgId, SignInFilter, SsoConfigRecord,
    SsoFlowRecord, SsoLinkRecord, SsoSignInRecord, SsoVerdict, StoreError, TokenHash,
};
use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::{
    console::hash,
    convert::{col, from_uuid, to_uuid},
    pool::{execute, query, query_opt},
};

pub(crate) async fn put_config(
    client: &impl GenericClient,
    c: &SsoConfigRecord,
) -> Result<(), StoreError> {
    let tenant: Option<Uuid> = c.tenant_id;
    execute(
        client,
        "INSERT INTO sso_configs (org_id, provider, tenant_id, issuer, client_id, sealed_secret,
             created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (org_id) DO UPDATE SET provider = excluded.provider,
             tenant_id = excluded.tenant_id, issuer = excluded.issuer,
             client_id = excluded.client_id, sealed_secret = excluded.sealed_secret,
             updated_at = excluded.updated_at",
        &[
            &to_uuid(c.org_id)?,
            &c.provider.as_str(),
            &tenant,
            &c.issuer,
            &c.client_id,
            &c.sealed_secret,
            &c.created_at,
            &c.updated_at,
        ],
        "storing the SSO configuration",
    )
    .await?;
    Ok(())
}

pub(crate) async fn config(
    client: &impl GenericClient,
    org: OrgId,
) -> Result<Option<SsoConfigRecord>, StoreError> {
    let Some(row) = query_opt(
        client,
        "SELECT org_id, provider, tenant_id, issuer, client_id, sealed_secret, created_at,
             updated_at
         FROM sso_configs WHERE org_id = $1",
        &[&to_uuid(org)?],
        "reading the SSO configuration",
    )
    .await?
    else {
        return Ok(None);
    };
    let provider: String = col(&row, "provider")?;
    Ok(Some(SsoConfigRecord {
        org_id: from_uuid(col(&row, "org_id")?, "an SSO configuration's organization")?,
        provider: provider
            .parse()
            .map_err(|e| StoreError::internal("reading an SSO provider", e))?,
        tenant_id: col(&row, "tenant_id")?,
        issuer: col(&row, "issuer")?,
        client_id: col(&row, "client_id")?,
        sealed_secret: col(&row, "sealed_secret")?,
        created_at: col(&row, "created_at")?,
        updated_at: col(&row, "updated_at")?,
    }))
}

pub(crate) async fn delete_config(
    client: &impl GenericClient,
    org: OrgId,
) -> Result<bool, StoreError> {
    let n = execute(
        client,
        "DELETE FROM sso_configs WHERE org_id = $1",
        &[&to_uuid(org)?],
        "removing the SSO configuration",
    )
    .await?;
    Ok(n > 0)
}

pub(crate) async fn insert_flow(
    client: &impl GenericClient,
    f: &SsoFlowRecord,
) -> Result<(), StoreError> {
    execute(
        client,
        "INSERT INTO sso_flows (state_hash, org_id, nonce, pkce_verifier, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &f.state_hash.0.as_slice(),
            &to_uuid(f.org_id)?,
            &f.nonce,
            &f.pkce_verifier,
            &f.created_at,
            &f.expires_at,
        ],
        "storing a pending sign-in",
    )
    .await?;
    Ok(())
}

/// The delete is the claim: of concurrent callbacks with one state, one gets the row.
pub(crate) async fn take_flow(
    client: &impl GenericClient,
    state: &TokenHash,
    now: OffsetDateTime,
) -> Result<Option<SsoFlowRecord>, StoreError> {
    let Some(row) = query_opt(
        client,
        "DELETE FROM sso_flows WHERE state_hash = $1
         RETURNING state_hash, org_id, nonce, pkce_verifier, created_at, expires_at",
        &[&state.0.as_slice()],
        "taking a pending sign-in",
    )
    .await?
    else {
        return Ok(None);
    };
    let flow = SsoFlowRecord {
        state_hash: hash(col(&row, "state_hash")?)?,
        org_id: from_uuid(col(&row, "org_id")?, "a pending sign-in's organization")?,
        nonce: col(&row, "nonce")?,
        pkce_verifier: col(&row, "pkce_verifier")?,
        created_at: col(&row, "created_at")?,
        expires_at: col(&row, "expires_at")?,
    };
    Ok((now < flow.expires_at).then_some(flow))
}

pub(crate) async fn trim_flows(
    client: &impl GenericClient,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    execute(
        client,
        "DELETE FROM sso_flows WHERE expires_at <= $1",
        &[&now],
        "removing expired sign-ins",
    )
    .await
}

pub(crate) async fn link(
    client: &impl GenericClient,
    org: OrgId,
    namespace: &str,
    subject: &str,
) -> Result<Option<AccountId>, StoreError> {
    query_opt(
        client,
        "SELECT account_id FROM sso_links WHERE org_id = $1 AND namespace = $2 AND subject = $3",
        &[&to_uuid(org)?, &namespace, &subject],
        "reading an SSO link",
    )
    .await?
    .map(|row| from_uuid(col(&row, "account_id")?, "an SSO link's account"))
    .transpose()
}

pub(crate) async fn insert_link(
    client: &impl GenericClient,
    org: OrgId,
    l: &SsoLinkRecord,
) -> Result<(), StoreError> {
    execute(
        client,
        "INSERT INTO sso_links (org_id, account_id, namespace, subject, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (org_id, namespace, subject) DO NOTHING",
        &[
            &to_uuid(org)?,
            &to_uuid(l.account_id)?,
            &l.namespace,
            &l.subject,
            &l.created_at,
        ],
        "storing an SSO link",
    )
    .await?;
    Ok(())
}

pub(crate) async fn append_sign_in(
    client: &impl GenericClient,
    e: &SsoSignInRecord,
) -> Result<(), StoreError> {
    let account: Option<Uuid> = e.account_id.map(to_uuid).transpose()?;
    execute(
        client,
        "INSERT INTO sso_sign_ins (org_id, at, verdict, matched_by, account_id, tid, oid,
             preferred_username, issuer, subject, expected, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            &to_uuid(e.org_id)?,
            &e.at,
            &e.verdict.as_str(),
            &e.matched_by.map(MatchedBy::as_str),
            &account,
            &e.tid,
            &e.oid,
            &e.preferred_username,
            &e.issuer,
            &e.subject,
            &e.expected,
            &e.detail,
        ],
        "recording a sign-in",
    )
    .await?;
    Ok(())
}

const SIGN_IN_COLUMNS: &str = "id, org_id, at, verdict, matched_by, account_id, tid, oid,
    preferred_username, issuer, subject, expected, detail";

/// A page of the sign-in log: the `scan` newest entries older than the cursor, of which those
/// of the account (all without one), `limit` at most.
pub(crate) async fn sign_ins(
    client: &impl GenericClient,
    org: OrgId,
    filter: &SignInFilter,
) -> Result<Vec<LoggedSignIn>, StoreError> {
    let what = "reading the sign-in log";
    let org = to_uuid(org)?;
    let account: Option<Uuid> = filter.account.map(to_uuid).transpose()?;
    let (scan, limit) = (i64::from(filter.scan), i64::from(filter.limit));
    let outer = "WHERE $2::uuid IS NULL OR account_id = $2 ORDER BY at DESC, id DESC LIMIT $3";
    let rows = match filter.before {
        Some(cursor) => {
            query(
                client,
                &format!(
                    "SELECT {SIGN_IN_COLUMNS} FROM (SELECT * FROM sso_sign_ins
                         WHERE org_id = $1 AND (at, id) < ($5, $6)
                         ORDER BY at DESC, id DESC LIMIT $4) AS recent {outer}"
                ),
                &[&org, &account, &limit, &scan, &cursor.at, &cursor.id],
                what,
            )
            .await?
        }
        None => {
            query(
                client,
                &format!(
                    "SELECT {SIGN_IN_COLUMNS} FROM (SELECT * FROM sso_sign_ins WHERE org_id = $1
                         ORDER BY at DESC, id DESC LIMIT $4) AS recent {outer}"
                ),
                &[&org, &account, &limit, &scan],
                what,
            )
            .await?
        }
    };
    rows.iter()
        .map(|row| {
            Ok(LoggedSignIn {
                id: col(row, "id")?,
                record: sign_in_from_row(row)?,
            })
        })
        .collect()
}

fn sign_in_from_row(row: &Row) -> Result<SsoSignInRecord, StoreError> {
    let what = "reading the sign-in log";
    let verdict: String = col(row, "verdict")?;
    let matched_by: Option<String> = col(row, "matched_by")?;
    let account: Option<Uuid> = col(row, "account_id")?;
    Ok(SsoSignInRecord {
        org_id: from_uuid(col(row, "org_id")?, "a sign-in's organization")?,
        at: col(row, "at")?,
        verdict: SsoVerdict::parse(&verdict).map_err(|e| StoreError::internal(what, e))?,
        matched_by: matched_by
            .map(|m| MatchedBy::parse(&m))
            .transpose()
            .map_err(|e| StoreError::internal(what, e))?,
        account_id: account
            .map(|a| from_uuid(a, "a sign-in's account"))
            .transpose()?,
        tid: col(row, "tid")?,
        oid: col(row, "oid")?,
        preferred_username: col(row, "preferred_username")?,
        issuer: col(row, "issuer")?,
        subject: col(row, "subject")?,
        expected: col(row, "expected")?,
        detail: col(row, "detail")?,
    })
}

/// An account is in few groups: its memberships come from `memberships_account`, sorted.
pub(crate) async fn account_groups_page(
    client: &impl GenericClient,
    org: OrgId,
    account: AccountId,
    after: Option<GroupId>,
    limit: u32,
) -> Result<Vec<(GroupId, String)>, StoreError> {
    let after = after.map(to_uuid).transpose()?;
    let rows = query(
        client,
        "SELECT g.id, g.display_name FROM memberships m JOIN groups g ON g.id = m.group_id
         WHERE m.org_id = $1 AND m.account_id = $2 AND g.org_id = $1
           AND ($3::uuid IS NULL OR m.group_id > $3)
         ORDER BY m.group_id LIMIT $4",
        &[
            &to_uuid(org)?,
            &to_uuid(account)?,
            &after,
            &i64::from(limit),
        ],
        "listing a page of an account's groups",
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                from_uuid(col(row, "id")?, "a group's id")?,
                col(row, "display_name")?,
            ))
        })
        .collect()
}

pub(crate) async fn account_groups(
    client: &impl GenericClient,
    org: OrgId,
    account: AccountId,
) -> Result<Vec<(GroupId, String)>, StoreError> {
    let rows = query(
        client,
        "SELECT g.id, g.display_name FROM memberships m JOIN groups g ON g.id = m.group_id
         WHERE m.org_id = $1 AND m.account_id = $2 AND g.org_id = $1
         ORDER BY g.display_name_key",
        &[&to_uuid(org)?, &to_uuid(account)?],
        "listing an account's groups",
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                from_uuid(col(row, "id")?, "a group's id")?,
                col(row, "display_name")?,
            ))
        })
        .collect()
}
