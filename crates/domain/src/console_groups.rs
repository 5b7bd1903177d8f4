//! The console's Groups page: the organization's groups with what SCIM manages and member counts,
//! a group's members with the source of each membership (paged by account id, so a group of
//! 100,000 pages as fast as a small one), and manual groups and members — the rules of
//! [`admin_groups`](crate::admin_groups), with an audit entry each.

use serde::Serialize;

use crate::{
    AccountId, Admin, AuditAction, Change, Error, Group, GroupExpect, GroupId, GroupWrite, Member,
    MemberSource, MembershipChange, Roster, display_name_key,
    error::Result,
    paging::{self, page_size},
};

/// Members counted per group at most; beyond it the console says "more than".
pub const MEMBER_COUNT_CAP: u64 = 100_000;

#[derive(Debug, Clone, Serialize)]
pub struct GroupSummary {
    #[serde(flatten)]
    pub group: Group,
    /// Members, counted up to [`MEMBER_COUNT_CAP`].
    pub member_count: u64,
    /// The group has more members than [`MEMBER_COUNT_CAP`].
    pub member_count_capped: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupsPage {
    pub groups: Vec<GroupSummary>,
    /// Pass back as `cursor` for the next page.
    pub next: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MembersPage {
    pub members: Vec<Member>,
    /// Pass back as `after` for the next page.
    pub next: Option<AccountId>,
}

/// A group's page: the group and a page of its members.
#[derive(Debug, Clone, Serialize)]
pub struct GroupPage {
    pub group: GroupSummary,
    pub members: MembersPage,
}

impl Roster {
    /// A page of the organization's groups, by name; `search` keeps those whose name starts
    /// with it (ignoring case).
    pub async fn groups_page(
        &self,
        admin: &Admin,
        search: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<GroupsPage> {
        let limit = page_size(limit);
        let prefix = search
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(display_name_key);
        let rows = self
            .store
            .console_groups(admin.scope(), prefix.as_deref(), cursor, limit + 1)
            .await?;
        let (groups, next) =
            paging::split(rows, limit, |g: &Group| display_name_key(&g.display_name));
        Ok(GroupsPage {
            groups: self.group_summaries(admin, groups).await?,
            next,
        })
    }

    async fn group_summaries(
        &self,
        admin: &Admin,
        groups: Vec<Group>,
    ) -> Result<Vec<GroupSummary>> {
        let ids: Vec<GroupId> = groups.iter().map(|g| g.id).collect();
        // One more than the cap tells "more than" from "exactly".
        let counts = self
            .store
            .member_counts(admin.scope(), &ids, MEMBER_COUNT_CAP + 1)
            .await?;
        Ok(groups
            .into_iter()
            .zip(counts)
            .map(|(group, n)| GroupSummary {
                group,
                member_count: n.min(MEMBER_COUNT_CAP),
                member_count_capped: n > MEMBER_COUNT_CAP,
            })
            .collect())
    }

    async fn console_group(&self, admin: &Admin, id: GroupId) -> Result<Group> {
        self.store
            .group(admin.scope(), id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no group {id} in this organization")))
    }

    /// A group of the organization with its member count.
    pub async fn group_detail(&self, admin: &Admin, id: GroupId) -> Result<GroupSummary> {
        let group = self.console_group(admin, id).await?;
        self.group_summaries(admin, vec![group])
            .await?
            .pop()
            .ok_or_else(|| Error::NotFound(format!("no group {id} in this organization")))
    }

    /// A page of a group's members with their sources, in account id order after `after`.
    pub async fn group_members_page(
        &self,
        admin: &Admin,
        id: GroupId,
        after: Option<AccountId>,
        limit: u32,
    ) -> Result<MembersPage> {
        let group = self.console_group(admin, id).await?;
        let limit = page_size(limit);
        let rows = self
            .store
            .members_page(admin.scope(), group.id, after, limit + 1)
            .await?;
        let (members, next) = paging::split(rows, limit, |m: &Member| m.account_id);
        Ok(MembersPage { members, next })
    }

    /// The group's page: the group with its member count, and a page of its members.
    pub async fn group_page(
        &self,
        admin: &Admin,
        id: GroupId,
        after: Option<AccountId>,
        limit: u32,
    ) -> Result<GroupPage> {
        let group = self.group_detail(admin, id).await?;
        let members = self.group_members_page(admin, id, after, limit).await?;
        Ok(GroupPage { group, members })
    }

    /// Adds a member by hand, named by `userName`: an account of this organization only (any
    /// other is not found, whoever holds the name).
    pub async fn console_add_member_by_user_name(
        &self,
        admin: &Admin,
        group: GroupId,
        user_name: &str,
    ) -> Result<()> {
        let not_found =
            || Error::NotFound(format!("no account '{user_name}' in this organization"));
        let account = match self.account_by_user_name(user_name).await {
            Ok(account) if account.org_id == Some(admin.org_id()) => account,
            Ok(_) | Err(Error::NotFound(_)) => return Err(not_found()),
            Err(other) => return Err(other),
        };
        self.console_add_member(admin, group, account.id).await
    }

    /// Creates a group by hand; SCIM can later adopt it by name.
    pub async fn console_create_group(&self, admin: &Admin, name: &str) -> Result<Group> {
        let group = self
            .create_group_as(admin.org_id(), name, Change::console(admin.account_id()))
            .await?;
        self.audit(
            admin,
            AuditAction::GroupCreated,
            Some(&group.display_name),
            None,
        )
        .await?;
        Ok(group)
    }

    /// Adds an account of the organization to a group by hand (a `manual` membership).
    pub async fn console_add_member(
        &self,
        admin: &Admin,
        group: GroupId,
        account: AccountId,
    ) -> Result<()> {
        let group = self.console_group(admin, group).await?;
        let account = self.console_account(admin, account).await?;
        self.add_manual_member(
            admin.scope(),
            &group,
            &account,
            Change::console(admin.account_id()),
        )
        .await?;
        self.audit(
            admin,
            AuditAction::MemberAdded,
            Some(&group.display_name),
            Some(&account.user_name),
        )
        .await
    }

    /// Removes a member by hand, whatever the membership's source. A SCIM-managed membership
    /// comes back on Entra's next cycle if the person is still assigned there.
    pub async fn console_remove_member(
        &self,
        admin: &Admin,
        group: GroupId,
        account: AccountId,
    ) -> Result<()> {
        let group = self.console_group(admin, group).await?;
        let account = self.console_account(admin, account).await?;
        let mut touched = group.clone();
        touched.updated_at = self.now();
        let write = GroupWrite {
            group: touched,
            expect: GroupExpect::MembersOnly,
            members: MembershipChange {
                source: MemberSource::Manual,
                replace: None,
                add: Vec::new(),
                remove: vec![account.id],
            },
            change: Change::console(admin.account_id()),
        };
        let (_, outcome) = self.write_group(admin.scope(), write).await?;
        if outcome.removed == 0 {
            return Err(Error::NotFound(format!(
                "'{}' is not a member of '{}'",
                account.user_name, group.display_name
            )));
        }
        self.audit(
            admin,
            AuditAction::MemberRemoved,
            Some(&group.display_name),
            Some(&account.user_name),
        )
        .await
    }
}
