//! SQL for groups and memberships. Membership changes run in the group write's transaction and
//! touch one row per member, so their cost does not grow with the group's size.

use std::collections::HashSet;

use roster_domain::{
    AccountId, Group, GroupExpect, GroupId, GroupWrite, Member, MemberSource, MembershipChange,
    MembershipOutcome, OrgId, Page, StoreError, StoreFilter, display_name_key,
};
use roster_store_sql::{Dialect, GROUP_COLUMNS as COLUMNS, GROUPS, listing};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::convert::{Context, from_json, from_micros, parse_id, to_json, to_micros};

/// The page of the organization's groups that match `filter`, with the number of matches.
pub(crate) fn list(
    conn: &Connection,
    org: OrgId,
    filter: Option<&StoreFilter>,
    page: Page,
) -> Result<(Vec<Group>, u64), StoreError> {
    let listing = listing(Dialect::Sqlite, GROUPS, org, filter, page);
    crate::list::run(conn, listing, raw, from_raw)
}

pub(crate) fn members(
    conn: &Connection,
    org: OrgId,
    group: GroupId,
) -> Result<Vec<Member>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT a.id, a.user_name, a.display_name, m.source, a.scim_managed
             FROM memberships m JOIN accounts a ON a.id = m.account_id
             WHERE m.group_id = ?1 AND m.org_id = ?2
             ORDER BY a.user_name_key",
        )
        .context("listing members")?;
    let rows = stmt
        .query_map([group.to_string(), org.to_string()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, bool>(4)?,
            ))
        })
        .context("listing members")?
        .collect::<rusqlite::Result<Vec<_>>>()
        .context("listing members")?;
    rows.into_iter()
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

pub(crate) fn is_member(
    conn: &Connection,
    org: OrgId,
    group: GroupId,
    account: AccountId,
) -> Result<bool, StoreError> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM memberships WHERE group_id = ?1 AND account_id = ?2 AND org_id = ?3)",
    )
    .and_then(|mut s| {
        s.query_row(
            [group.to_string(), account.to_string(), org.to_string()],
            |r| r.get(0),
        )
    })
    .context("checking a membership")
}

pub(crate) fn write(
    conn: &Connection,
    org: OrgId,
    write: GroupWrite,
) -> Result<(Group, MembershipOutcome), StoreError> {
    let GroupWrite {
        mut group,
        expect,
        members,
    } = write;
    if group.org_id != org {
        return Err(StoreError::internal(
            "writing a group",
            "the group belongs to another organization than the scope",
        ));
    }
    let id = group.id.to_string();
    let org_text = org.to_string();
    let attributes = to_json(&group.attributes)?;
    let key = display_name_key(&group.display_name);
    match expect {
        GroupExpect::New => {
            group.version = 1;
            conn.prepare_cached(
                "INSERT INTO groups (id, org_id, display_name, display_name_key, external_id,
                     scim_managed, attributes, created_at, updated_at, version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    id,
                    org_text,
                    group.display_name,
                    key,
                    group.external_id,
                    group.scim_managed,
                    attributes,
                    to_micros(group.created_at),
                    to_micros(group.updated_at),
                    group.version,
                ])
            })
            .context("inserting a group")?;
        }
        GroupExpect::MembersOnly => {
            let stored = conn
                .prepare_cached(&format!(
                    "UPDATE groups SET updated_at = ?3, version = version + 1
                     WHERE id = ?1 AND org_id = ?2 RETURNING {COLUMNS}"
                ))
                .and_then(|mut s| {
                    s.query_row(params![id, org_text, to_micros(group.updated_at)], raw)
                        .optional()
                })
                .context("touching a group")?;
            group = from_raw(stored.ok_or(StoreError::VersionConflict)?)?;
        }
        GroupExpect::Version(expected) => {
            group.version = expected + 1;
            let changed = conn
                .prepare_cached(
                    "UPDATE groups SET display_name = ?3, display_name_key = ?4, external_id = ?5,
                         scim_managed = ?6, attributes = ?7, updated_at = ?8, version = ?9
                     WHERE id = ?1 AND org_id = ?2 AND version = ?10",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        id,
                        org_text,
                        group.display_name,
                        key,
                        group.external_id,
                        group.scim_managed,
                        attributes,
                        to_micros(group.updated_at),
                        group.version,
                        expected,
                    ])
                })
                .context("updating a group")?;
            if changed != 1 {
                return Err(StoreError::VersionConflict);
            }
        }
    }
    let outcome = apply_members(conn, &org_text, &id, &members, to_micros(group.updated_at))?;
    Ok((group, outcome))
}

fn apply_members(
    conn: &Connection,
    org: &str,
    group: &str,
    change: &MembershipChange,
    now: i64,
) -> Result<MembershipOutcome, StoreError> {
    let mut outcome = MembershipOutcome::default();
    if change.is_empty() {
        return Ok(outcome);
    }
    let mut to_add: Vec<AccountId> = change.add.clone();
    let mut to_remove: Vec<AccountId> = change.remove.clone();
    if let Some(wanted) = &change.replace {
        let wanted_set: HashSet<String> = wanted.iter().map(ToString::to_string).collect();
        for current in removable(conn, group, change.source)? {
            if !wanted_set.contains(&current) {
                to_remove.push(parse_id(&current, "a member id")?);
            }
        }
        to_add.extend(wanted.iter().copied());
    }
    for account in to_remove {
        outcome.removed += remove(conn, group, account, change.source)?;
    }
    for account in to_add {
        if !visible_in_org(conn, org, account)? {
            outcome.skipped.push(account);
            continue;
        }
        let inserted = conn
            .prepare_cached(
                "INSERT INTO memberships (group_id, account_id, org_id, source, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            )
            .and_then(|mut s| {
                s.execute(params![
                    group,
                    account.to_string(),
                    org,
                    change.source.as_str(),
                    now
                ])
            })
            .context("adding a member")?;
        outcome.added += inserted as u64;
    }
    Ok(outcome)
}

/// Members the given source may remove: all of them for an administrator; for SCIM, its own
/// memberships and those of accounts it manages (SPEC §2.7).
fn removable(
    conn: &Connection,
    group: &str,
    source: MemberSource,
) -> Result<Vec<String>, StoreError> {
    let sql = match source {
        MemberSource::Manual => "SELECT account_id FROM memberships WHERE group_id = ?1",
        MemberSource::Scim => {
            "SELECT m.account_id FROM memberships m JOIN accounts a ON a.id = m.account_id
             WHERE m.group_id = ?1 AND (m.source = 'scim' OR a.scim_managed = 1)"
        }
    };
    let mut stmt = conn
        .prepare_cached(sql)
        .context("listing removable members")?;
    let rows = stmt
        .query_map([group], |r| r.get::<_, String>(0))
        .context("listing removable members")?
        .collect::<rusqlite::Result<Vec<_>>>()
        .context("listing removable members")?;
    Ok(rows)
}

fn remove(
    conn: &Connection,
    group: &str,
    account: AccountId,
    source: MemberSource,
) -> Result<u64, StoreError> {
    let sql = match source {
        MemberSource::Manual => "DELETE FROM memberships WHERE group_id = ?1 AND account_id = ?2",
        MemberSource::Scim => {
            "DELETE FROM memberships WHERE group_id = ?1 AND account_id = ?2
               AND (source = 'scim'
                    OR EXISTS (SELECT 1 FROM accounts WHERE id = ?2 AND scim_managed = 1))"
        }
    };
    let n = conn
        .prepare_cached(sql)
        .and_then(|mut s| s.execute([group, &account.to_string()]))
        .context("removing a member")?;
    Ok(n as u64)
}

/// Whether the account belongs to the organization and SCIM may see it.
fn visible_in_org(conn: &Connection, org: &str, account: AccountId) -> Result<bool, StoreError> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ?1 AND org_id = ?2 AND scim_deleted = 0)",
    )
    .and_then(|mut s| s.query_row([&account.to_string(), org], |r| r.get(0)))
    .context("checking a member's organization")
}

pub(crate) fn delete(conn: &Connection, org: OrgId, group: GroupId) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached("DELETE FROM groups WHERE id = ?1 AND org_id = ?2")
        .and_then(|mut s| s.execute([group.to_string(), org.to_string()]))
        .context("deleting a group")?;
    Ok(n == 1)
}

type RawGroup = (
    String,
    String,
    String,
    Option<String>,
    bool,
    String,
    i64,
    i64,
    i64,
);

fn raw(row: &Row<'_>) -> rusqlite::Result<RawGroup> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
    ))
}

fn from_raw(
    (id, org, display_name, external_id, scim_managed, attributes, created, updated, version): RawGroup,
) -> Result<Group, StoreError> {
    Ok(Group {
        id: parse_id(&id, "a group id")?,
        org_id: parse_id(&org, "a group's organization")?,
        display_name,
        external_id,
        scim_managed,
        attributes: from_json(&attributes)?,
        created_at: from_micros(created)?,
        updated_at: from_micros(updated)?,
        version,
    })
}
