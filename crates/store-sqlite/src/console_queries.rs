//! What the admin console reads (and the SCIM activity it flushes), on SQLite. The statements
//! shared with PostgreSQL come from `roster_store_sql::console`.

use roster_domain::{
    Account, AccountGroups, AccountId, Group, GroupId, LogCursor, LogFilter, LogWindow,
    LoggedEntry, Member, OrgId, ScimActivity, StoreError, TokenHash, TokenUse,
};
use roster_store_sql::{Dialect, Sql, console};
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use time::OffsetDateTime;

use crate::convert::{Context, from_micros, parse_id, to_micros, value};

const D: Dialect = Dialect::Sqlite;

fn rows<R>(
    conn: &Connection,
    sql: Sql,
    what: &str,
    read: impl FnMut(&Row<'_>) -> rusqlite::Result<R>,
) -> Result<Vec<R>, StoreError> {
    let mut stmt = conn.prepare_cached(&sql.text).context(what)?;
    stmt.query_map(params_from_iter(sql.args.into_iter().map(value)), read)
        .context(what)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .context(what)
}

fn times(t: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    t.map(from_micros).transpose()
}

pub(crate) fn token_uses(conn: &Connection, org: OrgId) -> Result<Vec<TokenUse>, StoreError> {
    let raw = rows(
        conn,
        Sql {
            text: "SELECT id, created_at, expires_at, last_used_at FROM scim_tokens
                   WHERE org_id = ?1 ORDER BY created_at, id"
                .into(),
            args: vec![roster_store_sql::Arg::Id(org.into())],
        },
        "listing tokens",
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, Option<i64>>(3)?,
            ))
        },
    )?;
    raw.into_iter()
        .map(|(id, created, expires, used)| {
            Ok(TokenUse {
                id: parse_id(&id, "a token id")?,
                created_at: from_micros(created)?,
                expires_at: times(expires)?,
                last_used_at: times(used)?,
            })
        })
        .collect()
}

pub(crate) fn is_retired(
    conn: &Connection,
    org: OrgId,
    hash: &TokenHash,
) -> Result<bool, StoreError> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM scim_retired_tokens WHERE token_hash = ?1 AND org_id = ?2)",
    )
    .and_then(|mut s| s.query_row(params![hash.0.as_slice(), org.to_string()], |r| r.get(0)))
    .context("looking up a revoked token")
}

pub(crate) fn record_activity(
    conn: &Connection,
    org: OrgId,
    activity: &ScimActivity,
    drop_before: OffsetDateTime,
) -> Result<(), StoreError> {
    let org = org.to_string();
    let micros = |t: Option<OffsetDateTime>| t.map(to_micros);
    conn.prepare_cached(
        "INSERT INTO scim_activity (org_id, last_request_at, old_token_seen_at, wrong_token_seen_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (org_id) DO UPDATE SET
             last_request_at = max(coalesce(last_request_at, excluded.last_request_at), coalesce(excluded.last_request_at, last_request_at)),
             old_token_seen_at = max(coalesce(old_token_seen_at, excluded.old_token_seen_at), coalesce(excluded.old_token_seen_at, old_token_seen_at)),
             wrong_token_seen_at = max(coalesce(wrong_token_seen_at, excluded.wrong_token_seen_at), coalesce(excluded.wrong_token_seen_at, wrong_token_seen_at))",
    )
    .and_then(|mut s| {
        s.execute(params![
            org,
            micros(activity.last_request_at),
            micros(activity.old_token_seen_at),
            micros(activity.wrong_token_seen_at)
        ])
    })
    .context("recording SCIM activity")?;
    for b in &activity.buckets {
        conn.prepare_cached(
            "INSERT INTO scim_activity_buckets (org_id, bucket, requests, refusals, wrong_tokens)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (org_id, bucket) DO UPDATE SET
                 requests = requests + excluded.requests,
                 refusals = refusals + excluded.refusals,
                 wrong_tokens = wrong_tokens + excluded.wrong_tokens",
        )
        .and_then(|mut s| {
            s.execute(params![
                org,
                to_micros(b.start),
                to_i64(b.requests),
                to_i64(b.refusals),
                to_i64(b.wrong_tokens)
            ])
        })
        .context("recording SCIM activity")?;
    }
    for (token, at) in &activity.token_uses {
        conn.prepare_cached(
            "UPDATE scim_tokens SET last_used_at = max(coalesce(last_used_at, ?3), ?3)
             WHERE id = ?1 AND org_id = ?2",
        )
        .and_then(|mut s| s.execute(params![token.to_string(), org, to_micros(*at)]))
        .context("recording when a token was used")?;
    }
    conn.prepare_cached("DELETE FROM scim_activity_buckets WHERE org_id = ?1 AND bucket < ?2")
        .and_then(|mut s| s.execute(params![org, to_micros(drop_before)]))
        .context("removing old SCIM activity")?;
    Ok(())
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn activity(
    conn: &Connection,
    org: OrgId,
    since: OffsetDateTime,
) -> Result<(Option<OffsetDateTime>, ScimActivity), StoreError> {
    let org = org.to_string();
    let row = conn
        .prepare_cached(
            "SELECT enabled_at, last_request_at, old_token_seen_at, wrong_token_seen_at
             FROM scim_activity WHERE org_id = ?1",
        )
        .and_then(|mut s| {
            s.query_row([&org], |r| {
                Ok((
                    r.get::<_, Option<i64>>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                ))
            })
            .optional()
        })
        .context("reading SCIM activity")?
        .unwrap_or_default();
    let buckets = rows(
        conn,
        Sql {
            text: "SELECT bucket, requests, refusals, wrong_tokens FROM scim_activity_buckets
                   WHERE org_id = ?1 AND bucket >= ?2 ORDER BY bucket"
                .into(),
            args: vec![
                roster_store_sql::Arg::Text(org.clone()),
                roster_store_sql::Arg::Time(since),
            ],
        },
        "reading SCIM activity",
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        },
    )?
    .into_iter()
    .map(|(start, requests, refusals, wrong)| {
        Ok(roster_domain::ActivityBucket {
            start: from_micros(start)?,
            requests: requests.unsigned_abs(),
            refusals: refusals.unsigned_abs(),
            wrong_tokens: wrong.unsigned_abs(),
        })
    })
    .collect::<Result<Vec<_>, StoreError>>()?;
    Ok((
        times(row.0)?,
        ScimActivity {
            last_request_at: times(row.1)?,
            old_token_seen_at: times(row.2)?,
            wrong_token_seen_at: times(row.3)?,
            buckets,
            token_uses: Vec::new(),
        },
    ))
}

type RawLog = (
    i64,
    String,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    u16,
    Option<String>,
    i64,
    Option<String>,
);

fn raw_log(r: &Row<'_>) -> rusqlite::Result<RawLog> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
    ))
}

fn log_from_raw(
    (id, org, at, operation, resource_type, resource_id, name, outcome, status, detail, ms, rid): RawLog,
) -> Result<LoggedEntry, StoreError> {
    Ok(LoggedEntry {
        id,
        entry: roster_domain::LogEntry {
            org_id: parse_id(&org, "a log entry's organization")?,
            at: from_micros(at)?,
            operation,
            resource_type,
            resource_id,
            name,
            outcome: outcome
                .parse()
                .map_err(|e| StoreError::internal("reading a log entry's outcome", e))?,
            status,
            detail,
            duration_ms: ms.unsigned_abs(),
            client_request_id: rid,
        },
    })
}

fn log_rows(conn: &Connection, sql: Sql) -> Result<Vec<LoggedEntry>, StoreError> {
    rows(conn, sql, "reading the provisioning log", raw_log)?
        .into_iter()
        .map(log_from_raw)
        .collect()
}

pub(crate) fn log_window(
    conn: &Connection,
    org: OrgId,
    filter: &LogFilter,
) -> Result<LogWindow, StoreError> {
    let (matches, edge) = console::log_window(D, org, filter);
    let entries = log_rows(conn, matches)?;
    let edge = rows(conn, edge, "reading the provisioning log", |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let scan_ended_at = match edge.first() {
        Some(&(at, id, n)) if n >= i64::from(filter.scan) => Some(LogCursor {
            at: from_micros(at)?,
            id,
        }),
        _ => None,
    };
    Ok(LogWindow {
        entries,
        scan_ended_at,
    })
}

pub(crate) fn log_entry(
    conn: &Connection,
    org: OrgId,
    id: i64,
) -> Result<Option<LoggedEntry>, StoreError> {
    Ok(log_rows(conn, console::log_entry(D, org, id))?.pop())
}

pub(crate) fn log_about(
    conn: &Connection,
    org: OrgId,
    resource_id: &str,
    name: &str,
    before: Option<LogCursor>,
    limit: u32,
) -> Result<Vec<LoggedEntry>, StoreError> {
    log_rows(
        conn,
        console::log_about(D, org, resource_id, name, before.as_ref(), limit),
    )
}

pub(crate) fn seat_refusals(
    conn: &Connection,
    org: OrgId,
    since: OffsetDateTime,
    scan: u32,
    limit: u32,
) -> Result<Vec<(String, OffsetDateTime)>, StoreError> {
    rows(
        conn,
        console::seat_refusals(D, org, since, scan, limit),
        "reading seat-limit refusals",
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
    )?
    .into_iter()
    .map(|(name, at)| Ok((name, from_micros(at)?)))
    .collect()
}

pub(crate) fn accounts(conn: &Connection, sql: Sql) -> Result<Vec<Account>, StoreError> {
    rows(conn, sql, "listing accounts", crate::accounts::raw)?
        .into_iter()
        .map(crate::accounts::from_raw)
        .collect()
}

pub(crate) fn audit_entries(
    conn: &Connection,
    sql: Sql,
) -> Result<Vec<roster_domain::AuditEntry>, StoreError> {
    rows(conn, sql, "reading the audit log", crate::audit::raw)?
        .into_iter()
        .map(crate::audit::from_raw)
        .collect()
}

pub(crate) fn groups(conn: &Connection, sql: Sql) -> Result<Vec<Group>, StoreError> {
    rows(conn, sql, "listing groups", crate::groups::raw)?
        .into_iter()
        .map(crate::groups::from_raw)
        .collect()
}

pub(crate) fn groups_of_accounts(
    conn: &Connection,
    org: OrgId,
    accounts: &[AccountId],
    names: u32,
) -> Result<Vec<AccountGroups>, StoreError> {
    let raw = rows(
        conn,
        console::groups_of_accounts(D, org, accounts, names),
        "listing accounts' groups",
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        },
    )?;
    let mut out: Vec<AccountGroups> = Vec::new();
    for (account, name, n) in raw {
        let account_id = parse_id(&account, "a member id")?;
        match out.last_mut() {
            Some(last) if last.account_id == account_id => last.names.push(name),
            _ => out.push(AccountGroups {
                account_id,
                names: vec![name],
                count: n.unsigned_abs(),
            }),
        }
    }
    Ok(out)
}

fn count(conn: &Connection, sql: Sql, what: &str) -> Result<u64, StoreError> {
    Ok(rows(conn, sql, what, |r| r.get::<_, i64>(0))?
        .first()
        .copied()
        .unwrap_or(0)
        .unsigned_abs())
}

pub(crate) fn member_counts(
    conn: &Connection,
    org: OrgId,
    groups: &[GroupId],
    cap: u64,
) -> Result<Vec<u64>, StoreError> {
    console::member_counts(D, org, groups, cap)
        .into_iter()
        .map(|sql| count(conn, sql, "counting members"))
        .collect()
}

pub(crate) fn members_page(
    conn: &Connection,
    org: OrgId,
    group: GroupId,
    after: Option<AccountId>,
    limit: u32,
) -> Result<Vec<Member>, StoreError> {
    rows(
        conn,
        console::members_page(D, org, group, after, limit),
        "listing members",
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, bool>(4)?,
            ))
        },
    )?
    .into_iter()
    .map(|(id, user_name, display_name, source, managed)| {
        Ok(Member {
            account_id: parse_id(&id, "a member id")?,
            user_name,
            display_name,
            source: source
                .parse()
                .map_err(|e| StoreError::internal("reading a membership source", e))?,
            account_scim_managed: managed,
        })
    })
    .collect()
}

pub(crate) fn managed_counts(
    conn: &Connection,
    org: OrgId,
    cap: u64,
) -> Result<(u64, u64), StoreError> {
    let counts = rows(
        conn,
        console::scim_managed_counts(D, org, cap),
        "counting SCIM-managed accounts and groups",
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
    )?;
    let (a, g) = counts.first().copied().unwrap_or_default();
    Ok((a.unsigned_abs(), g.unsigned_abs()))
}

pub(crate) fn deactivated_before_count(
    conn: &Connection,
    org: OrgId,
    before: OffsetDateTime,
    cap: u64,
) -> Result<u64, StoreError> {
    count(
        conn,
        console::deactivated_before_count(D, org, before, cap),
        "counting accounts due for removal",
    )
}
