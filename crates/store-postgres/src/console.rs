//! SQL for the console: administrators' credentials, sessions and failed sign-ins. First-run
//! setup runs under an advisory lock, and removing an administrator locks the organization's
//! row, so concurrent calls on any number of instances run one after the other.

use deadpool_postgres::GenericClient;
use roster_domain::{
    AccountId, AccountWrite, AdminCredentialRecord, AdminRemoval, AdminSummary, Change,
    ChangeSource, FailureKey, FirstAdmin, OrgId, Role, SessionRecord, StoreError, TokenHash,
    account_events,
};
use time::OffsetDateTime;
use tokio_postgres::Row;

use crate::{
    convert::{col, from_uuid, to_uuid},
    pool::{execute, query, query_one, query_opt},
};

/// Advisory lock key of first-run setup ("roster" in ASCII, then 3).
const SETUP_LOCK: i64 = 0x726f_7374_6572_0003;

pub(crate) async fn any_credential(client: &impl GenericClient) -> Result<bool, StoreError> {
    let row = query_one(
        client,
        "SELECT EXISTS (SELECT 1 FROM admin_credentials) AS any",
        &[],
        "looking for an administrator",
    )
    .await?;
    col(&row, "any")
}

/// Runs inside the caller's transaction.
pub(crate) async fn setup_first_admin(
    tx: &impl GenericClient,
    setup: &FirstAdmin,
) -> Result<bool, StoreError> {
    execute(
        tx,
        "SELECT pg_advisory_xact_lock($1)",
        &[&SETUP_LOCK],
        "waiting for the setup lock",
    )
    .await?;
    if any_credential(tx).await? {
        return Ok(false);
    }
    crate::orgs::insert(tx, &setup.org).await?;
    crate::accounts::write(
        tx,
        &AccountWrite {
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
    )
    .await?
    .finish(tx)
    .await?;
    put_credential(tx, &setup.credential).await?;
    insert_session(tx, &setup.session).await?;
    Ok(true)
}

pub(crate) async fn put_credential(
    client: &impl GenericClient,
    c: &AdminCredentialRecord,
) -> Result<(), StoreError> {
    execute(
        client,
        "INSERT INTO admin_credentials (account_id, org_id, password_hash, invitation_hash,
             invitation_expires_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (account_id) DO UPDATE SET password_hash = excluded.password_hash,
             invitation_hash = excluded.invitation_hash,
             invitation_expires_at = excluded.invitation_expires_at,
             updated_at = excluded.updated_at",
        &[
            &to_uuid(c.account_id)?,
            &to_uuid(c.org_id)?,
            &c.password_hash,
            &c.invitation_hash.map(|h| h.0.to_vec()),
            &c.invitation_expires_at,
            &c.created_at,
            &c.updated_at,
        ],
        "storing an administrator's credential",
    )
    .await?;
    Ok(())
}

pub(crate) async fn credential(
    client: &impl GenericClient,
    account: AccountId,
) -> Result<Option<AdminCredentialRecord>, StoreError> {
    let Some(row) = query_opt(
        client,
        "SELECT account_id, org_id, password_hash, invitation_hash, invitation_expires_at,
             created_at, updated_at
         FROM admin_credentials WHERE account_id = $1",
        &[&to_uuid(account)?],
        "reading an administrator's credential",
    )
    .await?
    else {
        return Ok(None);
    };
    let invitation: Option<Vec<u8>> = col(&row, "invitation_hash")?;
    Ok(Some(AdminCredentialRecord {
        account_id: from_uuid(col(&row, "account_id")?, "a credential's account")?,
        org_id: from_uuid(col(&row, "org_id")?, "a credential's organization")?,
        password_hash: col(&row, "password_hash")?,
        invitation_hash: invitation.map(hash).transpose()?,
        invitation_expires_at: col(&row, "invitation_expires_at")?,
        created_at: col(&row, "created_at")?,
        updated_at: col(&row, "updated_at")?,
    }))
}

pub(crate) async fn admins(
    client: &impl GenericClient,
    org: OrgId,
) -> Result<Vec<AdminSummary>, StoreError> {
    query(
        client,
        "SELECT a.id, a.user_name, a.display_name, a.active,
             coalesce(c.password_hash IS NOT NULL, false) AS password_set,
             c.invitation_expires_at
         FROM accounts a LEFT JOIN admin_credentials c ON c.account_id = a.id
         WHERE a.org_id = $1 AND a.role = 'admin'
         ORDER BY a.user_name_key",
        &[&to_uuid(org)?],
        "listing administrators",
    )
    .await?
    .iter()
    .map(|row| {
        Ok(AdminSummary {
            account_id: from_uuid(col(row, "id")?, "an administrator's id")?,
            email: col(row, "user_name")?,
            display_name: col(row, "display_name")?,
            active: col(row, "active")?,
            password_set: col(row, "password_set")?,
            invitation_expires_at: col(row, "invitation_expires_at")?,
        })
    })
    .collect()
}

/// Runs inside the caller's transaction.
pub(crate) async fn remove_admin(
    tx: &impl GenericClient,
    org: OrgId,
    account: AccountId,
    role: Role,
    at: OffsetDateTime,
    change: &Change,
) -> Result<AdminRemoval, StoreError> {
    let (org_id, account_id) = (org, account);
    let (org, account) = (to_uuid(org)?, to_uuid(account)?);
    // Removals in one organization take turns, so two cannot each leave the other last.
    query_opt(
        tx,
        "SELECT 1 FROM orgs WHERE id = $1 FOR UPDATE",
        &[&org],
        "locking the organization",
    )
    .await?;
    let is_admin = query_opt(
        tx,
        "SELECT 1 FROM accounts WHERE id = $1 AND org_id = $2 AND role = 'admin'",
        &[&account, &org],
        "reading an administrator",
    )
    .await?
    .is_some();
    if !is_admin {
        return Ok(AdminRemoval::NotAdmin);
    }
    let row = query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM admin_credentials WHERE account_id = $1) AS has_credential,
             (SELECT count(*) FROM admin_credentials c JOIN accounts a ON a.id = c.account_id
              WHERE c.org_id = $2 AND c.account_id <> $1 AND a.active AND a.role = 'admin')
             AS others",
        &[&account, &org],
        "counting administrators",
    )
    .await?;
    let has_credential: bool = col(&row, "has_credential")?;
    let others: i64 = col(&row, "others")?;
    if has_credential && others == 0 {
        return Ok(AdminRemoval::LastAdmin);
    }
    let before = crate::accounts::by_id(tx, org_id, account_id).await?;
    execute(
        tx,
        "UPDATE accounts SET role = $2, version = version + 1, updated_at = $3 WHERE id = $1",
        &[&account, &role.as_str(), &at],
        "changing an administrator's role",
    )
    .await?;
    if let (Some(before), Some(after)) = (
        before,
        crate::accounts::by_id(tx, org_id, account_id).await?,
    ) {
        crate::events::append(tx, &account_events(change, Some(&before), &after, &[])).await?;
    }
    execute(
        tx,
        "DELETE FROM admin_credentials WHERE account_id = $1",
        &[&account],
        "removing an administrator's credential",
    )
    .await?;
    execute(
        tx,
        "DELETE FROM console_sessions WHERE account_id = $1",
        &[&account],
        "ending an administrator's sessions",
    )
    .await?;
    Ok(AdminRemoval::Removed)
}

pub(crate) async fn accept_invitation(
    client: &impl GenericClient,
    invitation: &TokenHash,
    password_hash: &str,
    now: OffsetDateTime,
) -> Result<Option<(AccountId, OrgId)>, StoreError> {
    query_opt(
        client,
        "UPDATE admin_credentials SET password_hash = $2, invitation_hash = NULL,
             invitation_expires_at = NULL, updated_at = $3
         WHERE invitation_hash = $1 AND invitation_expires_at > $3
         RETURNING account_id, org_id",
        &[&invitation.0.as_slice(), &password_hash, &now],
        "accepting an invitation",
    )
    .await?
    .map(|row| {
        Ok((
            from_uuid(col(&row, "account_id")?, "an invited account")?,
            from_uuid(col(&row, "org_id")?, "an invited account's organization")?,
        ))
    })
    .transpose()
}

pub(crate) async fn insert_session(
    client: &impl GenericClient,
    s: &SessionRecord,
) -> Result<(), StoreError> {
    execute(
        client,
        "INSERT INTO console_sessions (token_hash, account_id, org_id, method, created_at,
             last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &s.token_hash.0.as_slice(),
            &to_uuid(s.account_id)?,
            &to_uuid(s.org_id)?,
            &s.method.as_str(),
            &s.created_at,
            &s.last_seen_at,
        ],
        "storing a session",
    )
    .await?;
    Ok(())
}

pub(crate) async fn session(
    client: &impl GenericClient,
    token: &TokenHash,
) -> Result<Option<SessionRecord>, StoreError> {
    query_opt(
        client,
        "SELECT token_hash, account_id, org_id, method, created_at, last_seen_at
         FROM console_sessions WHERE token_hash = $1",
        &[&token.0.as_slice()],
        "reading a session",
    )
    .await?
    .map(|row| session_from_row(&row))
    .transpose()
}

fn session_from_row(row: &Row) -> Result<SessionRecord, StoreError> {
    let method: String = col(row, "method")?;
    Ok(SessionRecord {
        token_hash: hash(col(row, "token_hash")?)?,
        account_id: from_uuid(col(row, "account_id")?, "a session's account")?,
        org_id: from_uuid(col(row, "org_id")?, "a session's organization")?,
        method: method
            .parse()
            .map_err(|e| StoreError::internal("reading a session's method", e))?,
        created_at: col(row, "created_at")?,
        last_seen_at: col(row, "last_seen_at")?,
    })
}

pub(crate) async fn touch_session(
    client: &impl GenericClient,
    token: &TokenHash,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    execute(
        client,
        "UPDATE console_sessions SET last_seen_at = $2 WHERE token_hash = $1",
        &[&token.0.as_slice(), &at],
        "touching a session",
    )
    .await?;
    Ok(())
}

pub(crate) async fn delete_session(
    client: &impl GenericClient,
    token: &TokenHash,
) -> Result<bool, StoreError> {
    let n = execute(
        client,
        "DELETE FROM console_sessions WHERE token_hash = $1",
        &[&token.0.as_slice()],
        "ending a session",
    )
    .await?;
    Ok(n > 0)
}

pub(crate) async fn delete_account_sessions(
    client: &impl GenericClient,
    account: AccountId,
) -> Result<u64, StoreError> {
    execute(
        client,
        "DELETE FROM console_sessions WHERE account_id = $1",
        &[&to_uuid(account)?],
        "ending an account's sessions",
    )
    .await
}

pub(crate) async fn record_failure(
    client: &impl GenericClient,
    account: Option<AccountId>,
    remote_addr: Option<&str>,
    at: OffsetDateTime,
) -> Result<i64, StoreError> {
    let row = query_one(
        client,
        "INSERT INTO sign_in_failures (account_id, remote_addr, at) VALUES ($1, $2, $3)
         RETURNING id",
        &[&account.map(to_uuid).transpose()?, &remote_addr, &at],
        "recording a failed sign-in",
    )
    .await?;
    col(&row, "id")
}

pub(crate) async fn forget_failure(client: &impl GenericClient, id: i64) -> Result<(), StoreError> {
    execute(
        client,
        "DELETE FROM sign_in_failures WHERE id = $1",
        &[&id],
        "forgetting a sign-in attempt",
    )
    .await?;
    Ok(())
}

pub(crate) async fn recent_failures(
    client: &impl GenericClient,
    key: &FailureKey,
    since: OffsetDateTime,
    limit: u32,
) -> Result<Vec<OffsetDateTime>, StoreError> {
    let what = "counting failed sign-ins";
    let limit = i64::from(limit);
    let rows = match key {
        FailureKey::Account(id) => {
            query(
                client,
                "SELECT at FROM sign_in_failures WHERE account_id = $1 AND at > $2
                 ORDER BY at DESC LIMIT $3",
                &[&to_uuid(*id)?, &since, &limit],
                what,
            )
            .await?
        }
        FailureKey::Address(addr) => {
            query(
                client,
                "SELECT at FROM sign_in_failures WHERE remote_addr = $1 AND at > $2
                 ORDER BY at DESC LIMIT $3",
                &[addr, &since, &limit],
                what,
            )
            .await?
        }
    };
    rows.iter().map(|row| col(row, "at")).collect()
}

pub(crate) async fn clear_failures(
    client: &impl GenericClient,
    account: AccountId,
) -> Result<(), StoreError> {
    execute(
        client,
        "DELETE FROM sign_in_failures WHERE account_id = $1",
        &[&to_uuid(account)?],
        "clearing failed sign-ins",
    )
    .await?;
    Ok(())
}

pub(crate) async fn trim(
    client: &impl GenericClient,
    failures_before: OffsetDateTime,
    idle_before: OffsetDateTime,
    created_before: OffsetDateTime,
) -> Result<u64, StoreError> {
    let failures = execute(
        client,
        "DELETE FROM sign_in_failures WHERE at < $1",
        &[&failures_before],
        "trimming failed sign-ins",
    )
    .await?;
    let sessions = execute(
        client,
        "DELETE FROM console_sessions WHERE last_seen_at < $1 OR created_at < $2",
        &[&idle_before, &created_before],
        "trimming expired sessions",
    )
    .await?;
    Ok(failures + sessions)
}

pub(crate) fn hash(bytes: Vec<u8>) -> Result<TokenHash, StoreError> {
    Ok(TokenHash(bytes.try_into().map_err(|_| {
        StoreError::internal("reading a stored hash", "not 32 bytes")
    })?))
}
