//! What the admin console reads (and the SCIM activity it flushes), on PostgreSQL. The
//! statements shared with SQLite come from `roster_store_sql::console`.

use deadpool_postgres::GenericClient;
use roster_domain::{
    Account, AccountGroups, AccountId, ActivityBucket, Group, GroupId, LogCursor, LogEntry,
    LogFilter, LogWindow, LoggedEntry, Member, OrgId, ScimActivity, StoreError, TokenHash,
    TokenUse,
};
use roster_store_sql::{Dialect, Sql, console};
use time::OffsetDateTime;
use tokio_postgres::Row;

use crate::{
    convert::{Param, col, from_uuid, param, to_i64, to_uuid},
    list::refs,
    pool::{execute, query, query_opt},
};

const D: Dialect = Dialect::Postgres;

async fn rows(client: &impl GenericClient, sql: Sql, what: &str) -> Result<Vec<Row>, StoreError> {
    let params: Vec<Param> = sql.args.into_iter().map(param).collect();
    query(client, &sql.text, &refs(&params), what).await
}

pub(crate) async fn token_uses(
    client: &impl GenericClient,
    org: OrgId,
) -> Result<Vec<TokenUse>, StoreError> {
    query(
        client,
        "SELECT id, created_at, expires_at, last_used_at FROM scim_tokens
         WHERE org_id = $1 ORDER BY created_at, id",
        &[&to_uuid(org)?],
        "listing tokens",
    )
    .await?
    .iter()
    .map(|r| {
        Ok(TokenUse {
            id: col(r, "id")?,
            created_at: col(r, "created_at")?,
            expires_at: col(r, "expires_at")?,
            last_used_at: col(r, "last_used_at")?,
        })
    })
    .collect()
}

pub(crate) async fn is_retired(
    client: &impl GenericClient,
    org: OrgId,
    hash: &TokenHash,
) -> Result<bool, StoreError> {
    Ok(query_opt(
        client,
        "SELECT 1 FROM scim_retired_tokens WHERE token_hash = $1 AND org_id = $2",
        &[&hash.0.as_slice(), &to_uuid(org)?],
        "looking up a revoked token",
    )
    .await?
    .is_some())
}

/// Runs inside the caller's transaction.
pub(crate) async fn record_activity(
    tx: &impl GenericClient,
    org: OrgId,
    activity: &ScimActivity,
    drop_before: OffsetDateTime,
) -> Result<(), StoreError> {
    let org = to_uuid(org)?;
    // GREATEST ignores NULLs: a time only ever moves forward.
    execute(
        tx,
        "INSERT INTO scim_activity (org_id, last_request_at, old_token_seen_at, wrong_token_seen_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id) DO UPDATE SET
             last_request_at = GREATEST(scim_activity.last_request_at, excluded.last_request_at),
             old_token_seen_at = GREATEST(scim_activity.old_token_seen_at, excluded.old_token_seen_at),
             wrong_token_seen_at = GREATEST(scim_activity.wrong_token_seen_at, excluded.wrong_token_seen_at)",
        &[
            &org,
            &activity.last_request_at,
            &activity.old_token_seen_at,
            &activity.wrong_token_seen_at,
        ],
        "recording SCIM activity",
    )
    .await?;
    for b in &activity.buckets {
        execute(
            tx,
            "INSERT INTO scim_activity_buckets (org_id, bucket, requests, refusals, wrong_tokens)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (org_id, bucket) DO UPDATE SET
                 requests = scim_activity_buckets.requests + excluded.requests,
                 refusals = scim_activity_buckets.refusals + excluded.refusals,
                 wrong_tokens = scim_activity_buckets.wrong_tokens + excluded.wrong_tokens",
            &[
                &org,
                &b.start,
                &to_i64(b.requests),
                &to_i64(b.refusals),
                &to_i64(b.wrong_tokens),
            ],
            "recording SCIM activity",
        )
        .await?;
    }
    for (token, at) in &activity.token_uses {
        execute(
            tx,
            "UPDATE scim_tokens SET last_used_at = GREATEST(last_used_at, $3)
             WHERE id = $1 AND org_id = $2",
            &[token, &org, at],
            "recording when a token was used",
        )
        .await?;
    }
    execute(
        tx,
        "DELETE FROM scim_activity_buckets WHERE org_id = $1 AND bucket < $2",
        &[&org, &drop_before],
        "removing old SCIM activity",
    )
    .await?;
    Ok(())
}

pub(crate) async fn activity(
    client: &impl GenericClient,
    org: OrgId,
    since: OffsetDateTime,
) -> Result<(Option<OffsetDateTime>, ScimActivity), StoreError> {
    let org = to_uuid(org)?;
    let row = query_opt(
        client,
        "SELECT enabled_at, last_request_at, old_token_seen_at, wrong_token_seen_at
         FROM scim_activity WHERE org_id = $1",
        &[&org],
        "reading SCIM activity",
    )
    .await?;
    let buckets = query(
        client,
        "SELECT bucket, requests, refusals, wrong_tokens FROM scim_activity_buckets
         WHERE org_id = $1 AND bucket >= $2 ORDER BY bucket",
        &[&org, &since],
        "reading SCIM activity",
    )
    .await?
    .iter()
    .map(|r| {
        Ok(ActivityBucket {
            start: col(r, "bucket")?,
            requests: col::<i64>(r, "requests")?.unsigned_abs(),
            refusals: col::<i64>(r, "refusals")?.unsigned_abs(),
            wrong_tokens: col::<i64>(r, "wrong_tokens")?.unsigned_abs(),
        })
    })
    .collect::<Result<Vec<_>, StoreError>>()?;
    let time = |name| -> Result<Option<OffsetDateTime>, StoreError> {
        match &row {
            Some(r) => col(r, name),
            None => Ok(None),
        }
    };
    Ok((
        time("enabled_at")?,
        ScimActivity {
            last_request_at: time("last_request_at")?,
            old_token_seen_at: time("old_token_seen_at")?,
            wrong_token_seen_at: time("wrong_token_seen_at")?,
            buckets,
            token_uses: Vec::new(),
        },
    ))
}

fn log_row(r: &Row) -> Result<LoggedEntry, StoreError> {
    let outcome: String = col(r, "outcome")?;
    let status: i32 = col(r, "status")?;
    let duration: i64 = col(r, "duration_ms")?;
    Ok(LoggedEntry {
        id: col(r, "id")?,
        entry: LogEntry {
            org_id: from_uuid(col(r, "org_id")?, "a log entry's organization")?,
            at: col(r, "at")?,
            operation: col(r, "operation")?,
            resource_type: col(r, "resource_type")?,
            resource_id: col(r, "resource_id")?,
            name: col(r, "name")?,
            outcome: outcome
                .parse()
                .map_err(|e| StoreError::internal("reading a log entry's outcome", e))?,
            status: u16::try_from(status)
                .map_err(|e| StoreError::internal("reading a log entry's status", e))?,
            detail: col(r, "detail")?,
            duration_ms: duration.unsigned_abs(),
            client_request_id: col(r, "client_request_id")?,
        },
    })
}

async fn log_rows(client: &impl GenericClient, sql: Sql) -> Result<Vec<LoggedEntry>, StoreError> {
    rows(client, sql, "reading the provisioning log")
        .await?
        .iter()
        .map(log_row)
        .collect()
}

pub(crate) async fn log_window(
    client: &impl GenericClient,
    org: OrgId,
    filter: &LogFilter,
) -> Result<LogWindow, StoreError> {
    let (matches, edge) = console::log_window(D, org, filter);
    let entries = log_rows(client, matches).await?;
    let edge = rows(client, edge, "reading the provisioning log").await?;
    let scan_ended_at = match edge.first() {
        Some(r) if col::<i64>(r, "n")? >= i64::from(filter.scan) => Some(LogCursor {
            at: col(r, "at")?,
            id: col(r, "id")?,
        }),
        _ => None,
    };
    Ok(LogWindow {
        entries,
        scan_ended_at,
    })
}

pub(crate) async fn log_entry(
    client: &impl GenericClient,
    org: OrgId,
    id: i64,
) -> Result<Option<LoggedEntry>, StoreError> {
    Ok(log_rows(client, console::log_entry(D, org, id))
        .await?
        .pop())
}

pub(crate) async fn log_about(
    client: &impl GenericClient,
    org: OrgId,
    resource_id: &str,
    name: &str,
    before: Option<LogCursor>,
    limit: u32,
) -> Result<Vec<LoggedEntry>, StoreError> {
    log_rows(
        client,
        console::log_about(D, org, resource_id, name, before.as_ref(), limit),
    )
    .await
}

pub(crate) async fn seat_refusals(
    client: &impl GenericClient,
    org: OrgId,
    since: OffsetDateTime,
    scan: u32,
    limit: u32,
) -> Result<Vec<(String, OffsetDateTime)>, StoreError> {
    rows(
        client,
        console::seat_refusals(D, org, since, scan, limit),
        "reading seat-limit refusals",
    )
    .await?
    .iter()
    .map(|r| Ok((col(r, "name")?, col(r, "at")?)))
    .collect()
}

pub(crate) async fn accounts(
    client: &impl GenericClient,
    sql: Sql,
) -> Result<Vec<Account>, StoreError> {
    rows(client, sql, "listing accounts")
        .await?
        .iter()
        .map(crate::accounts::from_row)
        .collect()
}

pub(crate) async fn audit_entries(
    client: &impl GenericClient,
    sql: Sql,
) -> Result<Vec<roster_domain::AuditEntry>, StoreError> {
    rows(client, sql, "reading the audit log")
        .await?
        .iter()
        .map(crate::audit::from_row)
        .collect()
}

pub(crate) async fn groups(
    client: &impl GenericClient,
    sql: Sql,
) -> Result<Vec<Group>, StoreError> {
    rows(client, sql, "listing groups")
        .await?
        .iter()
        .map(crate::groups::from_row)
        .collect()
}

pub(crate) async fn groups_of_accounts(
    client: &impl GenericClient,
    org: OrgId,
    accounts: &[AccountId],
    names: u32,
) -> Result<Vec<AccountGroups>, StoreError> {
    let mut out: Vec<AccountGroups> = Vec::new();
    for r in rows(
        client,
        console::groups_of_accounts(D, org, accounts, names),
        "listing accounts' groups",
    )
    .await?
    {
        let account_id: AccountId = from_uuid(col(&r, "account_id")?, "a member id")?;
        let name: String = col(&r, "display_name")?;
        match out.last_mut() {
            Some(last) if last.account_id == account_id => last.names.push(name),
            _ => out.push(AccountGroups {
                account_id,
                names: vec![name],
                count: col::<i64>(&r, "n")?.unsigned_abs(),
            }),
        }
    }
    Ok(out)
}

async fn count(client: &impl GenericClient, sql: Sql, what: &str) -> Result<u64, StoreError> {
    match rows(client, sql, what).await?.first() {
        Some(r) => Ok(col::<i64>(r, "n")?.unsigned_abs()),
        None => Ok(0),
    }
}

pub(crate) async fn member_counts(
    client: &impl GenericClient,
    org: OrgId,
    groups: &[GroupId],
    cap: u64,
) -> Result<Vec<u64>, StoreError> {
    let mut counts = Vec::with_capacity(groups.len());
    for sql in console::member_counts(D, org, groups, cap) {
        counts.push(count(client, sql, "counting members").await?);
    }
    Ok(counts)
}

pub(crate) async fn members_page(
    client: &impl GenericClient,
    org: OrgId,
    group: GroupId,
    after: Option<AccountId>,
    limit: u32,
) -> Result<Vec<Member>, StoreError> {
    rows(
        client,
        console::members_page(D, org, group, after, limit),
        "listing members",
    )
    .await?
    .iter()
    .map(|r| {
        let source: String = col(r, "source")?;
        Ok(Member {
            account_id: from_uuid(col(r, "id")?, "a member id")?,
            user_name: col(r, "user_name")?,
            display_name: col(r, "display_name")?,
            source: source
                .parse()
                .map_err(|e| StoreError::internal("reading a membership source", e))?,
            account_scim_managed: col(r, "scim_managed")?,
        })
    })
    .collect()
}

pub(crate) async fn managed_counts(
    client: &impl GenericClient,
    org: OrgId,
    cap: u64,
) -> Result<(u64, u64), StoreError> {
    let found = rows(
        client,
        console::scim_managed_counts(D, org, cap),
        "counting SCIM-managed accounts and groups",
    )
    .await?;
    match found.first() {
        Some(r) => Ok((
            col::<i64>(r, "accounts")?.unsigned_abs(),
            col::<i64>(r, "groups")?.unsigned_abs(),
        )),
        None => Ok((0, 0)),
    }
}

pub(crate) async fn deactivated_before_count(
    client: &impl GenericClient,
    org: OrgId,
    before: OffsetDateTime,
    cap: u64,
) -> Result<u64, StoreError> {
    count(
        client,
        console::deactivated_before_count(D, org, before, cap),
        "counting accounts due for removal",
    )
    .await
}
