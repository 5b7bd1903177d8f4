//! What the admin console reads, for both stores: the provisioning log filtered and keyset-paged
//! within a bounded scan, accounts and groups keyset-paged by name key (a search is a key prefix,
//! answered from the same index), a group's members by account id (the membership primary key),
//! and bounded counts. Nothing here reads more rows than the page, the scan bound or the cap
//! asks for, whatever the size of the organization.

use roster_domain::{AccountId, GroupId, LogCursor, LogFilter, OrgId};

use crate::{ACCOUNT_COLUMNS, Arg, Binder, Dialect, GROUP_COLUMNS, Sql, to_i64};

/// The columns a log entry is read from, in this order, in both stores.
pub const LOG_COLUMNS: &str = "id, org_id, at, operation, resource_type, resource_id, name, \
     outcome, status, detail, duration_ms, client_request_id";

/// A LIKE pattern matching `text` anywhere, its `%`, `_` and `\` taken literally (with
/// `ESCAPE '\'`).
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

fn older_than(binder: &mut Binder, cursor: &LogCursor) -> String {
    let at = binder.bind(Arg::Time(cursor.at));
    let id = binder.bind(Arg::Int(cursor.id));
    format!("(at < {at} OR (at = {at} AND id < {id}))")
}

/// The scanned window of a log query: the organization's entries in the time range, older than
/// the cursor, newest first, at most `filter.scan` of them.
fn log_window_cte(binder: &mut Binder, org: OrgId, filter: &LogFilter) -> String {
    let org = binder.bind(Arg::Id(org.into()));
    let mut condition = format!("org_id = {org}");
    if let Some(from) = filter.from {
        condition.push_str(&format!(" AND at >= {}", binder.bind(Arg::Time(from))));
    }
    if let Some(to) = filter.to {
        condition.push_str(&format!(" AND at < {}", binder.bind(Arg::Time(to))));
    }
    if let Some(cursor) = &filter.before {
        condition.push_str(&format!(" AND {}", older_than(binder, cursor)));
    }
    let scan = binder.bind(Arg::Int(i64::from(filter.scan)));
    format!(
        "WITH w AS (SELECT {LOG_COLUMNS} FROM provisioning_log WHERE {condition} \
         ORDER BY at DESC, id DESC LIMIT {scan})"
    )
}

/// The statements of a log query: the matches in the window (newest first, at most
/// `filter.limit`), and the window's oldest entry with the window's size (`at`, `id`, `n`), which
/// tells where a full scan stopped.
pub fn log_window(dialect: Dialect, org: OrgId, filter: &LogFilter) -> (Sql, Sql) {
    let mut binder = Binder::new(dialect);
    let window = log_window_cte(&mut binder, org, filter);
    let edge = Sql {
        text: format!(
            "{window} SELECT at, id, (SELECT count(*) FROM w) AS n FROM w \
             ORDER BY at ASC, id ASC LIMIT 1"
        ),
        args: binder.args.clone(),
    };
    let mut matches = Vec::new();
    if let Some(operation) = &filter.operation {
        matches.push(format!(
            "operation = {}",
            binder.bind(Arg::Text(operation.clone()))
        ));
    }
    if let Some(outcome) = filter.outcome {
        matches.push(format!(
            "outcome = {}",
            binder.bind(Arg::Text(outcome.as_str().to_owned()))
        ));
    }
    if let Some(text) = &filter.text {
        let p = binder.bind(Arg::Text(contains_pattern(text)));
        // Each database lowers both sides with the same function, so they agree on case.
        matches.push(format!(
            "(lower(name) LIKE lower({p}) ESCAPE '\\' \
             OR lower(resource_id) LIKE lower({p}) ESCAPE '\\' \
             OR lower(client_request_id) LIKE lower({p}) ESCAPE '\\')"
        ));
    }
    let condition = if matches.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", matches.join(" AND "))
    };
    let limit = binder.bind(Arg::Int(i64::from(filter.limit)));
    let rows = format!(
        "{window} SELECT {LOG_COLUMNS} FROM w{condition} ORDER BY at DESC, id DESC LIMIT {limit}"
    );
    (binder.finish(rows), edge)
}

/// One entry of the organization's log.
pub fn log_entry(dialect: Dialect, org: OrgId, id: i64) -> Sql {
    let mut binder = Binder::new(dialect);
    let org = binder.bind(Arg::Id(org.into()));
    let id = binder.bind(Arg::Int(id));
    binder.finish(format!(
        "SELECT {LOG_COLUMNS} FROM provisioning_log WHERE org_id = {org} AND id = {id}"
    ))
}

/// Entries about one account: by its id, or by its `userName` ignoring case (refusals of a
/// create carry no id), newest first. Each half reads its own index, newest first and at most
/// `limit`, so the page costs the same however long the organization's log is.
pub fn log_about(
    dialect: Dialect,
    org: OrgId,
    resource_id: &str,
    name: &str,
    before: Option<&LogCursor>,
    limit: u32,
) -> Sql {
    let mut binder = Binder::new(dialect);
    let org = binder.bind(Arg::Id(org.into()));
    let id = binder.bind(Arg::Text(resource_id.to_owned()));
    let name = binder.bind(Arg::Text(name.to_owned()));
    let older = before
        .map(|cursor| format!(" AND {}", older_than(&mut binder, cursor)))
        .unwrap_or_default();
    let limit = binder.bind(Arg::Int(i64::from(limit)));
    let half = |condition: String| {
        format!(
            "SELECT {LOG_COLUMNS} FROM (SELECT {LOG_COLUMNS} FROM provisioning_log \
             WHERE org_id = {org} AND {condition}{older} ORDER BY at DESC, id DESC LIMIT {limit})"
        )
    };
    let by_id = half(format!("resource_id = {id}"));
    let by_name = half(format!("lower(name) = lower({name})"));
    binder.finish(format!(
        "SELECT {LOG_COLUMNS} FROM ({by_id} by_id UNION {by_name} by_name) about \
         ORDER BY at DESC, id DESC LIMIT {limit}"
    ))
}

/// `userName`s refused for the seat limit since `since`, among the newest `scan` refusals with a
/// conflict status, one row per name (ignoring case) with its latest refusal (`name`, `at`),
/// newest first, at most `limit`.
pub fn seat_refusals(
    dialect: Dialect,
    org: OrgId,
    since: time::OffsetDateTime,
    scan: u32,
    limit: u32,
) -> Sql {
    let mut binder = Binder::new(dialect);
    let org = binder.bind(Arg::Id(org.into()));
    let since = binder.bind(Arg::Time(since));
    let scan = binder.bind(Arg::Int(i64::from(scan)));
    let prefix = binder.bind(Arg::Text(format!("{}%", roster_domain::SEAT_LIMIT_DETAIL)));
    let limit = binder.bind(Arg::Int(i64::from(limit)));
    binder.finish(format!(
        "SELECT min(name) AS name, max(at) AS at FROM ( \
             SELECT name, at, detail FROM provisioning_log \
             WHERE org_id = {org} AND status = 409 AND at >= {since} \
             ORDER BY at DESC LIMIT {scan}) r \
         WHERE name IS NOT NULL AND detail LIKE {prefix} \
         GROUP BY lower(name) ORDER BY max(at) DESC LIMIT {limit}"
    ))
}

/// Audit entries about `target` (ignoring case) among the organization's newest `scan`, newest
/// first, at most `limit`.
pub fn audit_about(dialect: Dialect, org: OrgId, target: &str, scan: u32, limit: u32) -> Sql {
    let mut binder = Binder::new(dialect);
    let org = binder.bind(Arg::Id(org.into()));
    let scan = binder.bind(Arg::Int(i64::from(scan)));
    let target = binder.bind(Arg::Text(target.to_owned()));
    let limit = binder.bind(Arg::Int(i64::from(limit)));
    let columns =
        "id, org_id, at, actor_account_id, actor_email, action, target, detail, remote_addr";
    binder.finish(format!(
        "SELECT {columns} FROM (SELECT {columns} FROM audit_log WHERE org_id = {org} \
         ORDER BY at DESC, id DESC LIMIT {scan}) w WHERE lower(target) = lower({target}) \
         ORDER BY at DESC, id DESC LIMIT {limit}"
    ))
}

/// A page of the organization's accounts (every one, SCIM-deleted included) in `userName` key
/// order, after the key `after`, their key starting with `prefix` (a folded search text).
pub fn accounts_page(
    dialect: Dialect,
    org: OrgId,
    prefix: Option<&str>,
    after: Option<&str>,
    limit: u32,
) -> Sql {
    keyed_page(
        dialect,
        "accounts",
        ACCOUNT_COLUMNS,
        "user_name_key",
        org,
        prefix,
        after,
        limit,
    )
}

/// A page of the organization's groups in name key order, like [`accounts_page`].
pub fn groups_page(
    dialect: Dialect,
    org: OrgId,
    prefix: Option<&str>,
    after: Option<&str>,
    limit: u32,
) -> Sql {
    keyed_page(
        dialect,
        "groups",
        GROUP_COLUMNS,
        "display_name_key",
        org,
        prefix,
        after,
        limit,
    )
}

#[expect(
    clippy::too_many_arguments,
    reason = "one statement shape for two tables"
)]
fn keyed_page(
    dialect: Dialect,
    table: &str,
    columns: &str,
    key: &str,
    org: OrgId,
    prefix: Option<&str>,
    after: Option<&str>,
    limit: u32,
) -> Sql {
    let mut binder = Binder::new(dialect);
    let ordered = dialect.ordered(key);
    let org = binder.bind(Arg::Id(org.into()));
    let mut condition = format!("org_id = {org}");
    if let Some(prefix) = prefix {
        // A range on the key, so the index answers it: every key that starts with the prefix
        // sorts between the prefix and the prefix followed by the last code point.
        let low = binder.bind(Arg::Text(prefix.to_owned()));
        let high = binder.bind(Arg::Text(format!("{prefix}\u{10FFFF}")));
        condition.push_str(&format!(" AND {ordered} >= {low} AND {ordered} < {high}"));
    }
    if let Some(after) = after {
        let after = binder.bind(Arg::Text(after.to_owned()));
        condition.push_str(&format!(" AND {ordered} > {after}"));
    }
    let limit = binder.bind(Arg::Int(i64::from(limit)));
    binder.finish(format!(
        "SELECT {columns} FROM {table} WHERE {condition} ORDER BY {ordered} LIMIT {limit}"
    ))
}

/// For each of `accounts`, the names of its first `names` groups by name key and its number of
/// groups: rows (`account_id`, `display_name`, `n`). Read from the accounts' memberships (SQLite
/// joins in the written order after a CROSS JOIN), never from the organization's groups.
pub fn groups_of_accounts(dialect: Dialect, org: OrgId, accounts: &[AccountId], names: u32) -> Sql {
    let mut binder = Binder::new(dialect);
    let org = binder.bind(Arg::Id(org.into()));
    let ids = binder.bind(Arg::Ids(accounts.iter().map(|&a| a.into()).collect()));
    let in_ids = dialect.in_ids(&ids);
    let names = binder.bind(Arg::Int(i64::from(names)));
    let key = dialect.ordered("g.display_name_key");
    binder.finish(format!(
        "SELECT account_id, display_name, n FROM ( \
             SELECT m.account_id, g.display_name, \
                 row_number() OVER (PARTITION BY m.account_id ORDER BY {key}) AS rn, \
                 count(*) OVER (PARTITION BY m.account_id) AS n \
             FROM memberships m CROSS JOIN groups g \
             WHERE g.id = m.group_id AND g.org_id = m.org_id \
             AND m.org_id = {org} AND m.account_id {in_ids}) ranked \
         WHERE rn <= {names} ORDER BY account_id, rn"
    ))
}

/// The number of members of each of `groups`, counting at most `cap` each: rows (`group_id`,
/// `n`).
pub fn member_counts(dialect: Dialect, org: OrgId, groups: &[GroupId], cap: u64) -> Vec<Sql> {
    // One bounded count per group (a page holds few), each read from the membership key.
    groups
        .iter()
        .map(|&group| {
            let mut binder = Binder::new(dialect);
            let org = binder.bind(Arg::Id(org.into()));
            let id = binder.bind(Arg::Id(group.into()));
            let cap = binder.bind(Arg::Int(to_i64(cap)));
            binder.finish(format!(
                "SELECT count(*) AS n FROM (SELECT 1 FROM memberships \
                 WHERE group_id = {id} AND org_id = {org} LIMIT {cap}) capped"
            ))
        })
        .collect()
}

/// A page of a group's members in account id order, after `after`: rows (`id`, `user_name`,
/// `display_name`, `source`, `scim_managed`).
pub fn members_page(
    dialect: Dialect,
    org: OrgId,
    group: GroupId,
    after: Option<AccountId>,
    limit: u32,
) -> Sql {
    let mut binder = Binder::new(dialect);
    let group = binder.bind(Arg::Id(group.into()));
    let org = binder.bind(Arg::Id(org.into()));
    let mut condition = format!("group_id = {group} AND org_id = {org}");
    if let Some(after) = after {
        condition.push_str(&format!(
            " AND account_id > {}",
            binder.bind(Arg::Id(after.into()))
        ));
    }
    let limit = binder.bind(Arg::Int(i64::from(limit)));
    // The page of memberships first, then its accounts: joined whole, PostgreSQL would merge
    // the group's memberships with every account up to the page (measured: 177 ms instead of
    // 2 ms for a page deep in a 100,000-member group).
    binder.finish(format!(
        "SELECT a.id, a.user_name, a.display_name, m.source, a.scim_managed \
         FROM (SELECT account_id, source FROM memberships WHERE {condition} \
               ORDER BY account_id LIMIT {limit}) m \
         JOIN accounts a ON a.id = m.account_id ORDER BY m.account_id"
    ))
}

/// The organization's SCIM-managed accounts and groups, each counted up to `cap`: one row
/// (`accounts`, `groups`).
pub fn scim_managed_counts(dialect: Dialect, org: OrgId, cap: u64) -> Sql {
    let mut binder = Binder::new(dialect);
    let org = binder.bind(Arg::Id(org.into()));
    let cap = binder.bind(Arg::Int(to_i64(cap)));
    binder.finish(format!(
        "SELECT \
           (SELECT count(*) FROM (SELECT 1 FROM accounts WHERE org_id = {org} AND scim_managed \
              LIMIT {cap}) a) AS accounts, \
           (SELECT count(*) FROM (SELECT 1 FROM groups WHERE org_id = {org} AND scim_managed \
              LIMIT {cap}) g) AS groups"
    ))
}

/// The organization's accounts deactivated before `before` (what a retention run removes),
/// counted up to `cap`: one row (`n`).
pub fn deactivated_before_count(
    dialect: Dialect,
    org: OrgId,
    before: time::OffsetDateTime,
    cap: u64,
) -> Sql {
    let mut binder = Binder::new(dialect);
    let org = binder.bind(Arg::Id(org.into()));
    let before = binder.bind(Arg::Time(before));
    let cap = binder.bind(Arg::Int(to_i64(cap)));
    binder.finish(format!(
        "SELECT count(*) AS n FROM (SELECT 1 FROM accounts WHERE org_id = {org} AND NOT active \
         AND deactivated_at < {before} LIMIT {cap}) due"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_wildcards_and_escapes_literally() {
        assert_eq!(contains_pattern("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
        assert_eq!(contains_pattern(""), "%%");
    }
}
