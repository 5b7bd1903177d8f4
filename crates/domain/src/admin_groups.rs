//! Groups and members administrators manage by hand (the CLI today, the console later).

use serde::Serialize;

use crate::{
    Change, Conflict, Error, Group, GroupExpect, GroupId, GroupWrite, Member, MemberSource,
    MembershipChange, OrgId, OrgScope, Roster, StoreFilter, display_name_key, error::Result,
};

/// A group with its members and where each membership came from.
#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    #[serde(flatten)]
    pub group: Group,
    pub members: Vec<Member>,
}

impl Roster {
    /// Creates a group by hand. SCIM can later match it by name and adopt it.
    pub async fn create_group(&self, org: OrgId, name: &str) -> Result<Group> {
        self.create_group_as(org, name, Change::cli()).await
    }

    pub(crate) async fn create_group_as(
        &self,
        org: OrgId,
        name: &str,
        change: Change,
    ) -> Result<Group> {
        let org = self.org(org).await?;
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::Invalid("group name must not be empty".into()));
        }
        crate::admin_accounts::check_name("displayName", name)?;
        let now = self.now();
        let group = Group {
            id: GroupId::new_time_ordered(),
            org_id: org.id,
            display_name: name.to_owned(),
            external_id: None,
            scim_managed: false,
            attributes: serde_json::Map::new(),
            created_at: now,
            updated_at: now,
            version: 0,
        };
        let write = GroupWrite {
            group,
            expect: GroupExpect::New,
            members: MembershipChange::none(MemberSource::Manual),
            change,
        };
        let (group, _) = self.write_group(OrgScope::new(org.id), write).await?;
        Ok(group)
    }

    /// Adds an account of the organization to a group by hand; the membership is `manual`, so
    /// SCIM leaves it alone unless it manages the account.
    pub async fn add_member(
        &self,
        org: OrgId,
        group_name: &str,
        user_name: &str,
    ) -> Result<GroupView> {
        let scope = OrgScope::new(self.org(org).await?.id);
        let group = self.group_by_name(scope, group_name).await?;
        let account = self.account_by_user_name(user_name).await?;
        self.add_manual_member(scope, &group, &account, Change::cli())
            .await?;
        self.group_view(org, group_name).await
    }

    /// The rule of a manual membership, whoever adds it: the account must be in the group's
    /// organization and visible to SCIM; the membership is `manual`.
    pub(crate) async fn add_manual_member(
        &self,
        scope: OrgScope,
        group: &Group,
        account: &crate::Account,
        change: Change,
    ) -> Result<()> {
        if account.org_id != Some(scope.org_id()) {
            return Err(Error::Invalid(format!(
                "'{}' is not an account of this organization; add or invite it first",
                account.user_name
            )));
        }
        if account.scim_deleted {
            return Err(not_addable(&account.user_name));
        }
        let mut touched = group.clone();
        touched.updated_at = self.now();
        let write = GroupWrite {
            group: touched,
            expect: GroupExpect::MembersOnly,
            members: MembershipChange {
                source: MemberSource::Manual,
                replace: None,
                add: vec![account.id],
                remove: Vec::new(),
            },
            change,
        };
        let (_, outcome) = self.write_group(scope, write).await?;
        // The account was removed by SCIM (or left the organization) after it was read.
        if !outcome.skipped.is_empty() {
            return Err(not_addable(&account.user_name));
        }
        Ok(())
    }

    /// A group by name with its members and their sources.
    pub async fn group_view(&self, org: OrgId, group_name: &str) -> Result<GroupView> {
        let scope = OrgScope::new(self.org(org).await?.id);
        let group = self.group_by_name(scope, group_name).await?;
        let members = self.store.group_members(scope, group.id).await?;
        Ok(GroupView { group, members })
    }

    async fn group_by_name(&self, scope: OrgScope, name: &str) -> Result<Group> {
        let not_found = || Error::NotFound(format!("no group named '{name}' in this organization"));
        if crate::admin_accounts::check_name("displayName", name.trim()).is_err() {
            return Err(not_found());
        }
        let key = display_name_key(name.trim());
        self.group_where(scope, StoreFilter::display_name_key(key))
            .await?
            .ok_or_else(not_found)
    }
}

/// Memberships are for accounts SCIM can see: one SCIM deleted stays deactivated and hidden from
/// the identity provider until provisioning brings it back, so a group must not list it.
fn not_addable(user_name: &str) -> Error {
    Conflict::State(format!(
        "'{user_name}' was deleted by SCIM provisioning: the account is deactivated and kept only for data retention, so it cannot join a group. Assign the person to the application in the identity provider again; provisioning will bring the account back."
    ))
    .into()
}
