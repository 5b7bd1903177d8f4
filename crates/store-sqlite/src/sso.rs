//! SQL for sign-in with the organization's provider: configuration, pending flows, links to
//! the provider's subjects, the sign-in log, and an account's groups for `/api/v1/me`.

use roster_domain::{
    AccountId, GroupId, LoggedSignIn, MatchedBy, OrgId, SignInFilter, SsoConfigRecord,
    SsoFlowRecord, SsoLinkRecord, SsoSignInRecord, SsoVerdict, StoreError, TokenHash,
};
use rusqlite::{Connection, OptionalExtension, Row, params};
use time::OffsetDateTime;

use crate::{
    console::hash,
    convert::{Context, from_micros, parse_id, to_micros},
};

pub(crate) fn put_config(conn: &Connection, c: &SsoConfigRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO sso_configs (org_id, provider, tenant_id, issuer, client_id, sealed_secret,
             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (org_id) DO UPDATE SET provider = excluded.provider,
             tenant_id = excluded.tenant_id, issuer = excluded.issuer,
             client_id = excluded.client_id, sealed_secret = excluded.sealed_secret,
             updated_at = excluded.updated_at",
    )
    .and_then(|mut s| {
        s.execute(params![
            c.org_id.to_string(),
            c.provider.as_str(),
            c.tenant_id.map(|t| t.to_string()),
            c.issuer,
            c.client_id,
            c.sealed_secret,
            to_micros(c.created_at),
            to_micros(c.updated_at),
        ])
    })
    .context("storing the SSO configuration")?;
    Ok(())
}

type RawConfig = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Vec<u8>,
    i64,
    i64,
);

pub(crate) fn config(conn: &Connection, org: OrgId) -> Result<Option<SsoConfigRecord>, StoreError> {
    let what = "reading the SSO configuration";
    let row: Option<RawConfig> = conn
        .prepare_cached(
            "SELECT org_id, provider, tenant_id, issuer, client_id, sealed_secret, created_at,
                 updated_at
             FROM sso_configs WHERE org_id = ?1",
        )
        .and_then(|mut s| {
            s.query_row([org.to_string()], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })
            .optional()
        })
        .context(what)?;
    row.map(
        |(org, provider, tenant, issuer, client_id, sealed_secret, created, updated)| {
            Ok(SsoConfigRecord {
                org_id: parse_id(&org, "an SSO configuration's organization")?,
                provider: provider
                    .parse()
                    .map_err(|e| StoreError::internal("reading an SSO provider", e))?,
                tenant_id: tenant
                    .map(|t| parse_id(&t, "an SSO tenant id"))
                    .transpose()?,
                issuer,
                client_id,
                sealed_secret,
                created_at: from_micros(created)?,
                updated_at: from_micros(updated)?,
            })
        },
    )
    .transpose()
}

pub(crate) fn delete_config(conn: &Connection, org: OrgId) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached("DELETE FROM sso_configs WHERE org_id = ?1")
        .and_then(|mut s| s.execute([org.to_string()]))
        .context("removing the SSO configuration")?;
    Ok(n > 0)
}

pub(crate) fn insert_flow(conn: &Connection, f: &SsoFlowRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO sso_flows (state_hash, org_id, nonce, pkce_verifier, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| {
        s.execute(params![
            f.state_hash.0.as_slice(),
            f.org_id.to_string(),
            f.nonce,
            f.pkce_verifier,
            to_micros(f.created_at),
            to_micros(f.expires_at),
        ])
    })
    .context("storing a pending sign-in")?;
    Ok(())
}

/// Runs in one writer job: the delete is the claim, so a state is taken once.
pub(crate) fn take_flow(
    conn: &Connection,
    state: &TokenHash,
    now: OffsetDateTime,
) -> Result<Option<SsoFlowRecord>, StoreError> {
    let what = "taking a pending sign-in";
    let row: Option<(Vec<u8>, String, String, String, i64, i64)> = conn
        .prepare_cached(
            "DELETE FROM sso_flows WHERE state_hash = ?1
             RETURNING state_hash, org_id, nonce, pkce_verifier, created_at, expires_at",
        )
        .and_then(|mut s| {
            s.query_row([state.0.as_slice()], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .optional()
        })
        .context(what)?;
    let Some((state, org, nonce, pkce_verifier, created, expires)) = row else {
        return Ok(None);
    };
    let flow = SsoFlowRecord {
        state_hash: hash(state)?,
        org_id: parse_id(&org, "a pending sign-in's organization")?,
        nonce,
        pkce_verifier,
        created_at: from_micros(created)?,
        expires_at: from_micros(expires)?,
    };
    Ok((now < flow.expires_at).then_some(flow))
}

pub(crate) fn trim_flows(conn: &Connection, now: OffsetDateTime) -> Result<u64, StoreError> {
    let n = conn
        .prepare_cached("DELETE FROM sso_flows WHERE expires_at <= ?1")
        .and_then(|mut s| s.execute([to_micros(now)]))
        .context("removing expired sign-ins")?;
    Ok(n as u64)
}

pub(crate) fn link(
    conn: &Connection,
    org: OrgId,
    namespace: &str,
    subject: &str,
) -> Result<Option<AccountId>, StoreError> {
    let id: Option<String> = conn
        .prepare_cached(
            "SELECT account_id FROM sso_links
             WHERE org_id = ?1 AND namespace = ?2 AND subject = ?3",
        )
        .and_then(|mut s| {
            s.query_row(params![org.to_string(), namespace, subject], |r| r.get(0))
                .optional()
        })
        .context("reading an SSO link")?;
    id.map(|id| parse_id(&id, "an SSO link's account"))
        .transpose()
}

pub(crate) fn insert_link(
    conn: &Connection,
    org: OrgId,
    l: &SsoLinkRecord,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO sso_links (org_id, account_id, namespace, subject, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (org_id, namespace, subject) DO NOTHING",
    )
    .and_then(|mut s| {
        s.execute(params![
            org.to_string(),
            l.account_id.to_string(),
            l.namespace,
            l.subject,
            to_micros(l.created_at),
        ])
    })
    .context("storing an SSO link")?;
    Ok(())
}

pub(crate) fn append_sign_in(conn: &Connection, e: &SsoSignInRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO sso_sign_ins (org_id, at, verdict, matched_by, account_id, tid, oid,
             preferred_username, issuer, subject, expected, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .and_then(|mut s| {
        s.execute(params![
            e.org_id.to_string(),
            to_micros(e.at),
            e.verdict.as_str(),
            e.matched_by.map(MatchedBy::as_str),
            e.account_id.map(|a| a.to_string()),
            e.tid,
            e.oid,
            e.preferred_username,
            e.issuer,
            e.subject,
            e.expected,
            e.detail,
        ])
    })
    .context("recording a sign-in")?;
    Ok(())
}

type RawSignIn = (
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    [Option<String>; 7],
);

/// The columns after the id.
fn raw_sign_in(r: &Row<'_>) -> rusqlite::Result<RawSignIn> {
    Ok((
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        [
            r.get(6)?,
            r.get(7)?,
            r.get(8)?,
            r.get(9)?,
            r.get(10)?,
            r.get(11)?,
            r.get(12)?,
        ],
    ))
}

/// A page of the sign-in log: the `scan` newest entries older than the cursor, of which those
/// of the account (all without one), `limit` at most.
pub(crate) fn sign_ins(
    conn: &Connection,
    org: OrgId,
    filter: &SignInFilter,
) -> Result<Vec<LoggedSignIn>, StoreError> {
    let what = "reading the sign-in log";
    // Without a cursor, a position after every entry.
    let (before_at, before_id) = filter
        .before
        .map_or((i64::MAX, i64::MAX), |c| (to_micros(c.at), c.id));
    let rows = conn
        .prepare_cached(
            "SELECT id, org_id, at, verdict, matched_by, account_id, tid, oid,
                 preferred_username, issuer, subject, expected, detail
             FROM (SELECT * FROM sso_sign_ins WHERE org_id = ?1 AND (at, id) < (?2, ?3)
                   ORDER BY at DESC, id DESC LIMIT ?4)
             WHERE ?5 IS NULL OR account_id = ?5
             ORDER BY at DESC, id DESC LIMIT ?6",
        )
        .and_then(|mut s| {
            s.query_map(
                params![
                    org.to_string(),
                    before_at,
                    before_id,
                    filter.scan,
                    filter.account.map(|a| a.to_string()),
                    filter.limit
                ],
                |r| Ok((r.get::<_, i64>(0)?, raw_sign_in(r)?)),
            )?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .context(what)?;
    rows.into_iter()
        .map(|(id, (org, at, verdict, matched_by, account, texts))| {
            let [
                tid,
                oid,
                preferred_username,
                issuer,
                subject,
                expected,
                detail,
            ] = texts;
            let record = SsoSignInRecord {
                org_id: parse_id(&org, "a sign-in's organization")?,
                at: from_micros(at)?,
                verdict: SsoVerdict::parse(&verdict).map_err(|e| StoreError::internal(what, e))?,
                matched_by: matched_by
                    .map(|m| MatchedBy::parse(&m))
                    .transpose()
                    .map_err(|e| StoreError::internal(what, e))?,
                account_id: account
                    .map(|a| parse_id(&a, "a sign-in's account"))
                    .transpose()?,
                tid,
                oid,
                preferred_username,
                issuer,
                subject,
                expected,
                detail,
            };
            Ok(LoggedSignIn { id, record })
        })
        .collect()
}

/// An account is in few groups: its memberships come from `memberships_account`, sorted.
pub(crate) fn account_groups_page(
    conn: &Connection,
    org: OrgId,
    account: AccountId,
    after: Option<GroupId>,
    limit: u32,
) -> Result<Vec<(GroupId, String)>, StoreError> {
    let what = "listing a page of an account's groups";
    let rows = conn
        .prepare_cached(
            "SELECT g.id, g.display_name FROM memberships m JOIN groups g ON g.id = m.group_id
             WHERE m.org_id = ?1 AND m.account_id = ?2 AND g.org_id = ?1
               AND (?3 IS NULL OR m.group_id > ?3)
             ORDER BY m.group_id LIMIT ?4",
        )
        .and_then(|mut s| {
            s.query_map(
                params![
                    org.to_string(),
                    account.to_string(),
                    after.map(|a| a.to_string()),
                    limit
                ],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .context(what)?;
    rows.into_iter()
        .map(|(id, name)| Ok((parse_id(&id, "a group's id")?, name)))
        .collect()
}

pub(crate) fn account_groups(
    conn: &Connection,
    org: OrgId,
    account: AccountId,
) -> Result<Vec<(GroupId, String)>, StoreError> {
    let what = "listing an account's groups";
    let rows = conn
        .prepare_cached(
            "SELECT g.id, g.display_name FROM memberships m JOIN groups g ON g.id = m.group_id
             WHERE m.org_id = ?1 AND m.account_id = ?2 AND g.org_id = ?1
             ORDER BY g.display_name_key",
        )
        .and_then(|mut s| {
            s.query_map(params![org.to_string(), account.to_string()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .context(what)?;
    rows.into_iter()
        .map(|(id, name)| Ok((parse_id(&id, "a group's id")?, name)))
        .collect()
}
