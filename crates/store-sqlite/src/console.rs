//! SQL for the console: administrators' credentials, sessions and failed sign-ins.

use roster_domain::{
    AccountId, AccountWrite, AdminCredentialRecord, AdminRemoval, AdminSummary, Change,
    ChangeSource, FailureKey, FirstAdmin, OrgId, Role, SessionRecord, StoreError, TokenHash,
    account_events,
};
use rusqlite::{Connection, OptionalExtension, Row, params};
use time::OffsetDateTime;

use crate::convert::{Context, from_micros, parse_id, to_micros};

pub(crate) fn any_credential(conn: &Connection) -> Result<bool, StoreError> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM admin_credentials)",
        [],
        |row| row.get(0),
    )
    .context("looking for an administrator")
}

/// Runs in one writer job, so in one transaction: nothing else writes between the check and
/// the inserts.
pub(crate) fn setup_first_admin(conn: &Connection, setup: &FirstAdmin) -> Result<bool, StoreError> {
    if any_credential(conn)? {
        return Ok(false);
    }
    crate::orgs::insert(conn, &setup.org)?;
    crate::accounts::write(
        conn,
        AccountWrite {
            account: setup.account.clone(),
            expected_version: None,
            takes_seat: true,
            end_scim_memberships: false,
            // First-run setup in the console, before anyone is signed in.
            change: Change {
                source: ChangeSource::Console,
                actor: None,
                log: None,
            },
        },
    )?;
    put_credential(conn, &setup.credential)?;
    insert_session(conn, &setup.session)?;
    Ok(true)
}

pub(crate) fn put_credential(
    conn: &Connection,
    c: &AdminCredentialRecord,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO admin_credentials (account_id, org_id, password_hash, invitation_hash,
             invitation_expires_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (account_id) DO UPDATE SET password_hash = excluded.password_hash,
             invitation_hash = excluded.invitation_hash,
             invitation_expires_at = excluded.invitation_expires_at,
             updated_at = excluded.updated_at",
    )
    .and_then(|mut s| {
        s.execute(params![
            c.account_id.to_string(),
            c.org_id.to_string(),
            c.password_hash,
            c.invitation_hash.map(|h| h.0.to_vec()),
            c.invitation_expires_at.map(to_micros),
            to_micros(c.created_at),
            to_micros(c.updated_at),
        ])
    })
    .context("storing an administrator's credential")?;
    Ok(())
}

pub(crate) fn credential(
    conn: &Connection,
    account: AccountId,
) -> Result<Option<AdminCredentialRecord>, StoreError> {
    let what = "reading an administrator's credential";
    let row = conn
        .prepare_cached(
            "SELECT account_id, org_id, password_hash, invitation_hash, invitation_expires_at,
                 created_at, updated_at
             FROM admin_credentials WHERE account_id = ?1",
        )
        .and_then(|mut s| {
            s.query_row([account.to_string()], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, Option<Vec<u8>>>(3)?,
                    row.get::<_, Option<i64>>(4)?,
                    row.get::<_, i64>(5)?,
                    row.get::<_, i64>(6)?,
                ))
            })
            .optional()
        })
        .context(what)?;
    row.map(
        |(account, org, password, invitation, expires, created, updated)| {
            Ok(AdminCredentialRecord {
                account_id: parse_id(&account, "a credential's account")?,
                org_id: parse_id(&org, "a credential's organization")?,
                password_hash: password,
                invitation_hash: invitation.map(hash).transpose()?,
                invitation_expires_at: expires.map(from_micros).transpose()?,
                created_at: from_micros(created)?,
                updated_at: from_micros(updated)?,
            })
        },
    )
    .transpose()
}

pub(crate) fn admins(conn: &Connection, org: OrgId) -> Result<Vec<AdminSummary>, StoreError> {
    let what = "listing administrators";
    let mut stmt = conn
        .prepare_cached(
            "SELECT a.id, a.user_name, a.display_name, a.active, c.password_hash IS NOT NULL,
                 c.invitation_expires_at
             FROM accounts a LEFT JOIN admin_credentials c ON c.account_id = a.id
             WHERE a.org_id = ?1 AND a.role = 'admin'
             ORDER BY a.user_name_key",
        )
        .context(what)?;
    let rows = stmt
        .query_map([org.to_string()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, bool>(3)?,
                row.get::<_, Option<bool>>(4)?,
                row.get::<_, Option<i64>>(5)?,
            ))
        })
        .context(what)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .context(what)?;
    rows.into_iter()
        .map(|(id, email, display_name, active, password, expires)| {
            Ok(AdminSummary {
                account_id: parse_id(&id, "an administrator's id")?,
                email,
                display_name,
                active,
                password_set: password.unwrap_or(false),
                invitation_expires_at: expires.map(from_micros).transpose()?,
            })
        })
        .collect()
}

/// Runs in one writer job: the count and the removal see the same administrators.
pub(crate) fn remove_admin(
    conn: &Connection,
    org: OrgId,
    account: AccountId,
    role: Role,
    at: OffsetDateTime,
    change: &Change,
) -> Result<AdminRemoval, StoreError> {
    let before = crate::accounts::by_id(conn, org, account)?;
    let (org_id, account_id) = (org, account);
    let (org, account) = (org.to_string(), account.to_string());
    let is_admin: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ?1 AND org_id = ?2 AND role = 'admin')",
            params![account, org],
            |row| row.get(0),
        )
        .context("reading an administrator")?;
    if !is_admin {
        return Ok(AdminRemoval::NotAdmin);
    }
    let (has_credential, others): (bool, i64) = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM admin_credentials WHERE account_id = ?1),
                 (SELECT count(*) FROM admin_credentials c JOIN accounts a ON a.id = c.account_id
                  WHERE c.org_id = ?2 AND c.account_id <> ?1 AND a.active = 1 AND a.role = 'admin')",
            params![account, org],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .context("counting administrators")?;
    if has_credential && others == 0 {
        return Ok(AdminRemoval::LastAdmin);
    }
    conn.execute(
        "UPDATE accounts SET role = ?2, version = version + 1, updated_at = ?3 WHERE id = ?1",
        params![account, role.as_str(), to_micros(at)],
    )
    .context("changing an administrator's role")?;
    if let (Some(before), Some(after)) = (before, crate::accounts::by_id(conn, org_id, account_id)?)
    {
        crate::events::append(conn, &account_events(change, Some(&before), &after, &[]))?;
    }
    conn.execute(
        "DELETE FROM admin_credentials WHERE account_id = ?1",
        [&account],
    )
    .context("removing an administrator's credential")?;
    conn.execute(
        "DELETE FROM console_sessions WHERE account_id = ?1",
        [&account],
    )
    .context("ending an administrator's sessions")?;
    Ok(AdminRemoval::Removed)
}

pub(crate) fn accept_invitation(
    conn: &Connection,
    invitation: &TokenHash,
    password_hash: &str,
    now: OffsetDateTime,
) -> Result<Option<(AccountId, OrgId)>, StoreError> {
    let row: Option<(String, String)> = conn
        .query_row(
            "UPDATE admin_credentials SET password_hash = ?2, invitation_hash = NULL,
                 invitation_expires_at = NULL, updated_at = ?3
             WHERE invitation_hash = ?1 AND invitation_expires_at > ?3
             RETURNING account_id, org_id",
            params![invitation.0.as_slice(), password_hash, to_micros(now)],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .context("accepting an invitation")?;
    row.map(|(account, org)| {
        Ok((
            parse_id(&account, "an invited account")?,
            parse_id(&org, "an invited account's organization")?,
        ))
    })
    .transpose()
}

pub(crate) fn insert_session(conn: &Connection, s: &SessionRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO console_sessions (token_hash, account_id, org_id, method, created_at,
             last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            s.token_hash.0.as_slice(),
            s.account_id.to_string(),
            s.org_id.to_string(),
            s.method.as_str(),
            to_micros(s.created_at),
            to_micros(s.last_seen_at),
        ])
    })
    .context("storing a session")?;
    Ok(())
}

type RawSession = (Vec<u8>, String, String, String, i64, i64);

fn raw_session(row: &Row<'_>) -> rusqlite::Result<RawSession> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

pub(crate) fn session(
    conn: &Connection,
    token: &TokenHash,
) -> Result<Option<SessionRecord>, StoreError> {
    let what = "reading a session";
    let row = conn
        .prepare_cached(
            "SELECT token_hash, account_id, org_id, method, created_at, last_seen_at
             FROM console_sessions WHERE token_hash = ?1",
        )
        .and_then(|mut s| s.query_row([token.0.as_slice()], raw_session).optional())
        .context(what)?;
    row.map(|(token, account, org, method, created, seen)| {
        Ok(SessionRecord {
            token_hash: hash(token)?,
            account_id: parse_id(&account, "a session's account")?,
            org_id: parse_id(&org, "a session's organization")?,
            method: method
                .parse()
                .map_err(|e| StoreError::internal("reading a session's method", e))?,
            created_at: from_micros(created)?,
            last_seen_at: from_micros(seen)?,
        })
    })
    .transpose()
}

pub(crate) fn touch_session(
    conn: &Connection,
    token: &TokenHash,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE console_sessions SET last_seen_at = ?2 WHERE token_hash = ?1")
        .and_then(|mut s| s.execute(params![token.0.as_slice(), to_micros(at)]))
        .context("touching a session")?;
    Ok(())
}

pub(crate) fn delete_session(conn: &Connection, token: &TokenHash) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached("DELETE FROM console_sessions WHERE token_hash = ?1")
        .and_then(|mut s| s.execute([token.0.as_slice()]))
        .context("ending a session")?;
    Ok(n > 0)
}

pub(crate) fn delete_account_sessions(
    conn: &Connection,
    account: AccountId,
) -> Result<u64, StoreError> {
    let n = conn
        .prepare_cached("DELETE FROM console_sessions WHERE account_id = ?1")
        .and_then(|mut s| s.execute([account.to_string()]))
        .context("ending an account's sessions")?;
    Ok(n as u64)
}

pub(crate) fn record_failure(
    conn: &Connection,
    account: Option<AccountId>,
    remote_addr: Option<&str>,
    at: OffsetDateTime,
) -> Result<i64, StoreError> {
    conn.prepare_cached(
        "INSERT INTO sign_in_failures (account_id, remote_addr, at) VALUES (?1, ?2, ?3)
         RETURNING id",
    )
    .and_then(|mut s| {
        s.query_row(
            params![account.map(|a| a.to_string()), remote_addr, to_micros(at)],
            |row| row.get(0),
        )
    })
    .context("recording a failed sign-in")
}

pub(crate) fn forget_failure(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM sign_in_failures WHERE id = ?1")
        .and_then(|mut s| s.execute([id]))
        .context("forgetting a sign-in attempt")?;
    Ok(())
}

pub(crate) fn recent_failures(
    conn: &Connection,
    key: &FailureKey,
    since: OffsetDateTime,
    limit: u32,
) -> Result<Vec<OffsetDateTime>, StoreError> {
    let what = "counting failed sign-ins";
    let (sql, value) = match key {
        FailureKey::Account(id) => (
            "SELECT at FROM sign_in_failures WHERE account_id = ?1 AND at > ?2
             ORDER BY at DESC LIMIT ?3",
            id.to_string(),
        ),
        FailureKey::Address(addr) => (
            "SELECT at FROM sign_in_failures WHERE remote_addr = ?1 AND at > ?2
             ORDER BY at DESC LIMIT ?3",
            addr.clone(),
        ),
    };
    let mut stmt = conn.prepare_cached(sql).context(what)?;
    let times = stmt
        .query_map(params![value, to_micros(since), limit], |row| {
            row.get::<_, i64>(0)
        })
        .context(what)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .context(what)?;
    times.into_iter().map(from_micros).collect()
}

pub(crate) fn clear_failures(conn: &Connection, account: AccountId) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM sign_in_failures WHERE account_id = ?1")
        .and_then(|mut s| s.execute([account.to_string()]))
        .context("clearing failed sign-ins")?;
    Ok(())
}

pub(crate) fn trim(
    conn: &Connection,
    failures_before: i64,
    idle_before: i64,
    created_before: i64,
) -> Result<u64, StoreError> {
    let failures = conn
        .execute(
            "DELETE FROM sign_in_failures WHERE at < ?1",
            [failures_before],
        )
        .context("trimming failed sign-ins")?;
    let sessions = conn
        .execute(
            "DELETE FROM console_sessions WHERE last_seen_at < ?1 OR created_at < ?2",
            [idle_before, created_before],
        )
        .context("trimming expired sessions")?;
    Ok((failures + sessions) as u64)
}

pub(crate) fn hash(bytes: Vec<u8>) -> Result<TokenHash, StoreError> {
    Ok(TokenHash(bytes.try_into().map_err(|_| {
        StoreError::internal("reading a stored hash", "not 32 bytes")
    })?))
}
