//! What administrators do by hand (the CLI today, the console later): add accounts, invite independent accounts
//! into an organization, look accounts up. The same seat rule applies as for SCIM.

use crate::{
    Account, AccountId, AccountWrite, Change, Conflict, Error, OrgId, Role, Roster, error::Result,
    user_name_key,
};

impl Roster {
    /// Adds an account by hand: in an organization (taking a seat; role defaults to the
    /// organization's lowest) or, without one, an independent account (role defaults to learner).
    pub async fn add_account(
        &self,
        org: Option<OrgId>,
        user_name: &str,
        display_name: Option<String>,
        role: Option<Role>,
    ) -> Result<Account> {
        self.add_account_as(org, user_name, display_name, role, Change::cli())
            .await
    }

    pub(crate) async fn add_account_as(
        &self,
        org: Option<OrgId>,
        user_name: &str,
        display_name: Option<String>,
        role: Option<Role>,
        change: Change,
    ) -> Result<Account> {
        let user_name = user_name.trim();
        if user_name.is_empty() {
            return Err(Error::Invalid("user name must not be empty".into()));
        }
        check_name("userName", user_name)?;
        let display_name = display_name.filter(|d| !d.trim().is_empty());
        if let Some(display_name) = &display_name {
            check_name("displayName", display_name)?;
        }
        let org = match org {
            Some(id) => Some(self.org(id).await?),
            None => None,
        };
        let now = self.now();
        let role = role.unwrap_or_else(|| {
            org.as_ref()
                .map_or(Role::Learner, |o| Role::lowest_for(o.kind))
        });
        let account = Account {
            id: AccountId::new_time_ordered(),
            org_id: org.as_ref().map(|o| o.id),
            user_name: user_name.to_owned(),
            external_id: None,
            display_name,
            role,
            active: true,
            active_unassigned: false,
            deactivated_at: None,
            scim_managed: false,
            scim_deleted: false,
            attributes: serde_json::Map::new(),
            created_at: now,
            updated_at: now,
            version: 0,
        };
        let write = AccountWrite {
            account,
            expected_version: None,
            takes_seat: org.is_some(),
            end_scim_memberships: false,
            change,
        };
        self.write(write).await
    }

    /// Brings an existing independent account into the organization; SCIM then finds it by
    /// filter and manages it from its first write, keeping its role.
    pub async fn invite_account(&self, org: OrgId, user_name: &str) -> Result<Account> {
        self.invite_account_as(org, user_name, Change::cli()).await
    }

    pub(crate) async fn invite_account_as(
        &self,
        org: OrgId,
        user_name: &str,
        change: Change,
    ) -> Result<Account> {
        let org = self.org(org).await?;
        let account = self.account_by_user_name(user_name).await?;
        match account.org_id {
            Some(current) if current == org.id => {
                return Err(Conflict::State(format!(
                    "'{}' is already in this organization",
                    account.user_name
                ))
                .into());
            }
            Some(_) => {
                return Err(Conflict::State(format!(
                    "'{}' belongs to another organization; only independent accounts can be invited",
                    account.user_name
                ))
                .into());
            }
            None => {}
        }
        let mut moved = account.clone();
        moved.org_id = Some(org.id);
        moved.updated_at = self.now();
        let write = AccountWrite {
            takes_seat: moved.active,
            account: moved,
            expected_version: Some(account.version),
            end_scim_memberships: false,
            change,
        };
        self.write(write).await
    }

    /// Any account, by user name (case-insensitive).
    pub async fn account_by_user_name(&self, user_name: &str) -> Result<Account> {
        let not_found = || Error::NotFound(format!("no account with user name '{user_name}'"));
        // A name no account may have is looked up nowhere (and U+0000 never reaches a store).
        if check_name("userName", user_name.trim()).is_err() {
            return Err(not_found());
        }
        self.store
            .account_by_user_name(&user_name_key(user_name.trim()))
            .await?
            .ok_or_else(not_found)
    }
}

/// The SCIM core's rule for names ([`roster_scim::text`]: no control characters, at most
/// [`NAME_MAX_CHARS`](roster_scim::text::NAME_MAX_CHARS) characters), for names given by hand.
pub(crate) fn check_name(what: &str, name: &str) -> Result<()> {
    roster_scim::text::check_name(what, name).map_err(|e| Error::Invalid(e.detail))
}
