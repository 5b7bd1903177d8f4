//! SQL for groups and memberships. A group write updates the group's row first, which locks it:
//! writes to one group, from any instance, apply their membership changes one after the other.
//! Each membership statement is set-based (`= ANY($n)`), so a change costs a few statements
//! whatever its size.

use deadpool_postgres::GenericClient;
use roster_domain::{
    AccountId, Group, GroupExpect, GroupId, GroupLookup, GroupWrite, Member, MembershipChange,
    MembershipOutcome, OrgId, StoreError, display_name_key,
};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use tokio_postgres::{Row, types::Json};
use uuid::Uuid;

use crate::{
    convert::{col, from_uuid, to_uuid},
    pool::{execute, query, query_one, query_opt},
};

const COLUMNS: &str = "id, org_id, display_name, external_id, scim_managed, attributes, \
     created_at, updated_at, version";

const ORDER: &str = "ORDER BY created_at, id";

/// Each lookup is answered from an index on `(org_id, ...)` or on memberships.
pub(crate) async fn lookup(
    client: &impl GenericClient,
    org: OrgId,
    lookup: &GroupLookup,
) -> Result<Vec<Group>, StoreError> {
    let org = to_uuid(org)?;
    let base = format!("SELECT {COLUMNS} FROM groups WHERE org_id = $1");
    let what = "looking up groups";
    let rows = match lookup {
        GroupLookup::Id(id) => {
            let sql = format!("{base} AND id = $2 {ORDER}");
            query(client, &sql, &[&org, &to_uuid(id)?], what).await?
        }
        GroupLookup::DisplayNameKey(key) => {
            let sql = format!("{base} AND display_name_key = $2 {ORDER}");
            query(client, &sql, &[&org, key], what).await?
        }
        GroupLookup::ExternalId(external) => {
            let sql = format!("{base} AND external_id = $2 {ORDER}");
            query(client, &sql, &[&org, external], what).await?
        }
        GroupLookup::WithMember(account) => {
            let sql = format!(
                "{base} AND id IN (SELECT group_id FROM memberships WHERE account_id = $2) {ORDER}"
            );
            query(client, &sql, &[&org, &to_uuid(account)?], what).await?
        }
        GroupLookup::ModifiedSince { at, inclusive } => {
            let op = if *inclusive { ">=" } else { ">" };
            let sql = format!("{base} AND updated_at {op} $2 {ORDER}");
            query(client, &sql, &[&org, at], what).await?
        }
        GroupLookup::All => {
            let sql = format!("{base} {ORDER}");
            query(client, &sql, &[&org], what).await?
        }
    };
    rows.iter().map(from_row).collect()
}

/// Ordered by user name key, bytewise (`COLLATE "C"`), as SQLite orders it.
pub(crate) async fn members(
    client: &impl GenericClient,
    org: OrgId,
    group: GroupId,
) -> Result<Vec<Member>, StoreError> {
    query(
        client,
        "SELECT a.id, a.user_name, a.display_name, m.source, a.scim_managed
         FROM memberships m JOIN accounts a ON a.id = m.account_id
         WHERE m.group_id = $1 AND m.org_id = $2
         ORDER BY a.user_name_key COLLATE \"C\", a.id",
        &[&to_uuid(group)?, &to_uuid(org)?],
        "listing members",
    )
    .await?
    .iter()
    .map(|row| {
        let source: String = col(row, "source")?;
        Ok(Member {
            account_id: from_uuid(col(row, "id")?, "a member id")?,
            user_name: col(row, "user_name")?,
            display_name: col(row, "display_name")?,
            source: source
                .parse()
                .map_err(|e| StoreError::internal("reading a membership source", e))?,
            account_scim_managed: col(row, "scim_managed")?,
        })
    })
    .collect()
}

pub(crate) async fn is_member(
    client: &impl GenericClient,
    org: OrgId,
    group: GroupId,
    account: AccountId,
) -> Result<bool, StoreError> {
    let row = query_opt(
        client,
        "SELECT 1 FROM memberships WHERE group_id = $1 AND account_id = $2 AND org_id = $3",
        &[&to_uuid(group)?, &to_uuid(account)?, &to_uuid(org)?],
        "checking a membership",
    )
    .await?;
    Ok(row.is_some())
}

/// Runs inside the caller's transaction; the caller commits only if this succeeds.
pub(crate) async fn write(
    tx: &impl GenericClient,
    org: OrgId,
    write: GroupWrite,
) -> Result<(Group, MembershipOutcome), StoreError> {
    let GroupWrite {
        group,
        expect,
        members,
    } = write;
    if group.org_id != org {
        return Err(StoreError::internal(
            "writing a group",
            "the group belongs to another organization than the scope",
        ));
    }
    let id = to_uuid(group.id)?;
    let org = to_uuid(org)?;
    let attributes = Json(&group.attributes);
    let key = display_name_key(&group.display_name);
    let row = match expect {
        GroupExpect::New => {
            query_one(
                tx,
                &format!(
                    "INSERT INTO groups (id, org_id, display_name, display_name_key, external_id,
                         scim_managed, attributes, created_at, updated_at, version)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)
                     RETURNING {COLUMNS}"
                ),
                &[
                    &id,
                    &org,
                    &group.display_name,
                    &key,
                    &group.external_id,
                    &group.scim_managed,
                    &attributes,
                    &group.created_at,
                    &group.updated_at,
                ],
                "inserting a group",
            )
            .await?
        }
        GroupExpect::Version(expected) => {
            // Locks the group's row until commit: concurrent writes to this group queue here,
            // then find the version moved and get a conflict instead of losing an update.
            query_opt(
                tx,
                &format!(
                    "UPDATE groups SET display_name = $3, display_name_key = $4,
                         external_id = $5, scim_managed = $6, attributes = $7, updated_at = $8,
                         version = version + 1
                     WHERE id = $1 AND org_id = $2 AND version = $9
                     RETURNING {COLUMNS}"
                ),
                &[
                    &id,
                    &org,
                    &group.display_name,
                    &key,
                    &group.external_id,
                    &group.scim_managed,
                    &attributes,
                    &group.updated_at,
                    &expected,
                ],
                "updating a group",
            )
            .await?
            .ok_or(StoreError::VersionConflict)?
        }
        GroupExpect::MembersOnly => {
            // Also locks the row, so membership changes to one group apply one after the
            // other; the fields stay as stored (a concurrent rename is kept). A group deleted
            // meanwhile is a conflict, as for a versioned write.
            query_opt(
                tx,
                &format!(
                    "UPDATE groups SET updated_at = $3, version = version + 1
                     WHERE id = $1 AND org_id = $2
                     RETURNING {COLUMNS}"
                ),
                &[&id, &org, &group.updated_at],
                "touching a group",
            )
            .await?
            .ok_or(StoreError::VersionConflict)?
        }
    };
    let stored = from_row(&row)?;
    let outcome = apply_members(tx, org, id, &members, stored.updated_at).await?;
    Ok((stored, outcome))
}

/// Applies a [`MembershipChange`] as its docs state (SPEC §2.7).
async fn apply_members(
    tx: &impl GenericClient,
    org: Uuid,
    group: Uuid,
    change: &MembershipChange,
    now: OffsetDateTime,
) -> Result<MembershipOutcome, StoreError> {
    let mut outcome = MembershipOutcome::default();
    if change.is_empty() {
        return Ok(outcome);
    }
    let source = change.source.as_str();
    let mut to_add: Vec<AccountId> = change.add.clone();
    to_add.extend(change.replace.iter().flatten().copied());
    let addable = lock_addable(tx, org, &to_add).await?;
    for account in &to_add {
        if !addable.contains(&to_uuid(account)?) && !outcome.skipped.contains(account) {
            outcome.skipped.push(*account);
        }
    }
    if let Some(wanted) = &change.replace {
        let wanted = wanted.iter().map(to_uuid).collect::<Result<Vec<_>, _>>()?;
        outcome.removed += execute(
            tx,
            "DELETE FROM memberships m
             WHERE m.group_id = $1 AND NOT (m.account_id = ANY($2))
               AND ($3 = 'manual' OR m.source = 'scim'
                    OR EXISTS (SELECT 1 FROM accounts a WHERE a.id = m.account_id AND a.scim_managed))",
            &[&group, &wanted, &source],
            "replacing members",
        )
        .await?;
    }
    if !change.remove.is_empty() {
        let remove = change
            .remove
            .iter()
            .map(to_uuid)
            .collect::<Result<Vec<_>, _>>()?;
        outcome.removed += execute(
            tx,
            "DELETE FROM memberships m
             WHERE m.group_id = $1 AND m.account_id = ANY($2)
               AND ($3 = 'manual' OR m.source = 'scim'
                    OR EXISTS (SELECT 1 FROM accounts a WHERE a.id = m.account_id AND a.scim_managed))",
            &[&group, &remove, &source],
            "removing members",
        )
        .await?;
    }
    if !addable.is_empty() {
        // An existing membership stays as it is: a manual one is not turned into a SCIM one.
        outcome.added += execute(
            tx,
            "INSERT INTO memberships (group_id, account_id, org_id, source, created_at)
             SELECT $1, a, $2, $3, $4 FROM unnest($5::uuid[]) AS a
             ON CONFLICT DO NOTHING",
            &[&group, &org, &source, &now, &addable],
            "adding members",
        )
        .await?;
    }
    Ok(outcome)
}

/// The accounts among `ids` that may be added: accounts of the organization that SCIM still
/// sees. They are share-locked in id order until commit, so an account cannot be SCIM-deleted
/// (which ends its SCIM memberships) or purged between this check and the insert.
async fn lock_addable(
    tx: &impl GenericClient,
    org: Uuid,
    ids: &[AccountId],
) -> Result<Vec<Uuid>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = ids.iter().map(to_uuid).collect::<Result<Vec<_>, _>>()?;
    query(
        tx,
        "SELECT id FROM accounts
         WHERE id = ANY($1) AND org_id = $2 AND NOT scim_deleted
         ORDER BY id FOR SHARE",
        &[&ids, &org],
        "checking members' organization",
    )
    .await?
    .iter()
    .map(|row| col(row, "id"))
    .collect()
}

pub(crate) async fn delete(
    client: &impl GenericClient,
    org: OrgId,
    group: GroupId,
) -> Result<bool, StoreError> {
    // Memberships go with it (ON DELETE CASCADE); accounts stay.
    let n = execute(
        client,
        "DELETE FROM groups WHERE id = $1 AND org_id = $2",
        &[&to_uuid(group)?, &to_uuid(org)?],
        "deleting a group",
    )
    .await?;
    Ok(n == 1)
}

fn from_row(row: &Row) -> Result<Group, StoreError> {
    let Json(attributes): Json<Map<String, Value>> = col(row, "attributes")?;
    Ok(Group {
        id: from_uuid(col(row, "id")?, "a group id")?,
        org_id: from_uuid(col(row, "org_id")?, "a group's organization")?,
        display_name: col(row, "display_name")?,
        external_id: col(row, "external_id")?,
        scim_managed: col(row, "scim_managed")?,
        attributes,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
        version: col(row, "version")?,
    })
}

/// One page of the visible rows matching `filter` (compiled to bound SQL; all without one), with
/// their number.
pub(crate) async fn page(
    client: &impl GenericClient,
    org: OrgId,
    filter: Option<&roster_domain::StoreFilter>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<Group>, u64), StoreError> {
    let listing = crate::filter::Listing {
        table: "groups",
        columns: COLUMNS,
        visible: "",
    };
    let (rows, total) =
        crate::filter::page_matching(client, &listing, org, filter, offset, limit).await?;
    let page = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    Ok((page, total))
}
