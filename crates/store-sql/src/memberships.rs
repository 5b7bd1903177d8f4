//! Removing members (SPEC §2.7): a SCIM removal deletes a membership only if SCIM made it (source
//! `scim`) or the account is SCIM-managed, so hand-added members of unmanaged accounts survive
//! whatever SCIM sends; an administrator's (manual) removal deletes any.

use roster_domain::{AccountId, GroupId, MemberSource};

use crate::{Arg, Binder, Dialect, Sql};

/// The memberships of a group a removal names.
#[derive(Debug, Clone, Copy)]
pub enum Members<'a> {
    /// Those of these accounts (a `remove`).
    Listed(&'a [AccountId]),
    /// Those of every other account (the removal half of a `replace`).
    AllBut(&'a [AccountId]),
}

/// Deletes the memberships of `group` that `members` names and a removal by `source` may delete;
/// it returns the `account_id` and `source` of each membership it deletes.
pub fn remove_members(
    dialect: Dialect,
    group: GroupId,
    source: MemberSource,
    members: Members<'_>,
) -> Sql {
    let mut binder = Binder::new(dialect);
    let group = binder.bind(Arg::Id(group.into()));
    let (not, ids) = match members {
        Members::Listed(ids) => ("", ids),
        Members::AllBut(ids) => ("NOT ", ids),
    };
    let ids = binder.bind(Arg::Ids(ids.iter().map(|&id| id.into()).collect()));
    let named = format!("{not}(m.account_id {})", dialect.in_ids(&ids));
    let removable = match source {
        MemberSource::Manual => "",
        MemberSource::Scim => {
            " AND (m.source = 'scim' \
             OR EXISTS (SELECT 1 FROM accounts a WHERE a.id = m.account_id AND a.scim_managed))"
        }
    };
    binder.finish(format!(
        "DELETE FROM memberships AS m WHERE m.group_id = {group} AND {named}{removable} \
         RETURNING account_id, source"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scim_removals_spare_manual_memberships_of_unmanaged_accounts() {
        let group = GroupId::new_random();
        let keep = [AccountId::new_random()];
        let sql = remove_members(
            Dialect::Postgres,
            group,
            MemberSource::Scim,
            Members::AllBut(&keep),
        );
        assert_eq!(
            sql.text,
            "DELETE FROM memberships AS m WHERE m.group_id = $1 AND NOT (m.account_id = ANY($2)) \
             AND (m.source = 'scim' OR EXISTS (SELECT 1 FROM accounts a \
             WHERE a.id = m.account_id AND a.scim_managed)) RETURNING account_id, source"
        );
        assert_eq!(
            sql.args,
            [Arg::Id(group.into()), Arg::Ids(vec![keep[0].into()])]
        );
        let manual = remove_members(
            Dialect::Sqlite,
            group,
            MemberSource::Manual,
            Members::Listed(&keep),
        );
        assert_eq!(
            manual.text,
            "DELETE FROM memberships AS m WHERE m.group_id = ?1 \
             AND (m.account_id IN (SELECT value FROM json_each(?2))) RETURNING account_id, source"
        );
    }
}
