//! The platform API's reads (SPEC §7, `/api/v1`): organizations, accounts, groups, members and
//! the membership check, authorized here by the key's scope. An organization's key reads its own
//! organization only; anything of another organization is "not found", exactly like something
//! that does not exist, so a key learns nothing about other tenants. Accounts and groups are
//! always read within one organization: an organization key's own (or `org` naming it), a
//! deployment key's `org` (required; every event names its organization, so a reader has it).
//! Shapes are the events' (`account_data`, `group_data`, `org_data`) so feed and API agree.

use serde_json::{Value, json};

use crate::{
    AccountId, ApiKey, Error, GroupId, Member, Org, OrgId, OrgScope, Roster, account_data,
    error::Result, group_data, org_data, paging,
};

/// Page sizes of the read API's lists: 1–1,000, default 100, like the feed.
pub const READ_LIMIT_DEFAULT: u32 = 100;
pub const READ_LIMIT_MAX: u32 = 1_000;

/// A page of a list, and the cursor of the next (`None` at the end).
#[derive(Debug, Clone, PartialEq)]
pub struct ReadPage {
    pub items: Vec<Value>,
    pub next: Option<String>,
}

fn not_found(what: &str, id: &str) -> Error {
    Error::NotFound(format!("no {what} '{id}' readable with this key"))
}

fn limit_of(limit: Option<u32>) -> Result<u32> {
    let limit = limit.unwrap_or(READ_LIMIT_DEFAULT);
    if !(1..=READ_LIMIT_MAX).contains(&limit) {
        return Err(Error::Invalid(format!(
            "limit must be between 1 and {READ_LIMIT_MAX}"
        )));
    }
    Ok(limit)
}

/// A page cursor: the last id of the previous page, as returned in `next`.
fn cursor<T: std::str::FromStr>(after: Option<&str>) -> Result<Option<T>> {
    after
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.parse::<T>().map_err(|_| {
                Error::Invalid(
                    "'after' is not a cursor this API returned: pass 'next' unchanged".into(),
                )
            })
        })
        .transpose()
}

fn member_json(m: &Member) -> Value {
    json!({
        "account_id": m.account_id,
        "userName": m.user_name,
        "displayName": m.display_name,
        "source": m.source,
    })
}

impl Roster {
    /// The organization a request reads, as the key allows: see the module's rule.
    async fn api_scope(&self, key: &ApiKey, org: Option<&str>) -> Result<OrgScope> {
        let asked = org.filter(|o| !o.is_empty());
        let id = match (key.org(), asked) {
            (Some(own), None) => own,
            (Some(own), Some(asked)) => match asked.parse::<OrgId>() {
                Ok(asked) if asked == own => own,
                _ => return Err(not_found("organization", asked)),
            },
            (None, None) => {
                return Err(Error::Invalid(
                    "a deployment key names the organization to read: add '?org=<organization id>'"
                        .into(),
                ));
            }
            (None, Some(asked)) => {
                let id: OrgId = asked
                    .parse()
                    .map_err(|_| not_found("organization", asked))?;
                self.store
                    .org(id)
                    .await?
                    .ok_or_else(|| not_found("organization", asked))?;
                id
            }
        };
        Ok(OrgScope::new(id))
    }

    async fn api_account_in(&self, scope: OrgScope, id: &str) -> Result<crate::Account> {
        let parsed: AccountId = id.parse().map_err(|_| not_found("account", id))?;
        self.store
            .account(scope, parsed)
            .await?
            .filter(|a| a.org_id == Some(scope.org_id()))
            .ok_or_else(|| not_found("account", id))
    }

    async fn api_group_in(&self, scope: OrgScope, id: &str) -> Result<crate::Group> {
        let parsed: GroupId = id.parse().map_err(|_| not_found("group", id))?;
        self.store
            .group(scope, parsed)
            .await?
            .filter(|g| g.org_id == scope.org_id())
            .ok_or_else(|| not_found("group", id))
    }

    /// `GET /api/v1/accounts/{id}`.
    pub async fn api_account(&self, key: &ApiKey, org: Option<&str>, id: &str) -> Result<Value> {
        let scope = self.api_scope(key, org).await?;
        Ok(account_data(&self.api_account_in(scope, id).await?))
    }

    /// `GET /api/v1/accounts?userName=U`: the account of the organization with that name
    /// (compared as SCIM compares userNames), as a list of zero or one.
    pub async fn api_accounts_by_user_name(
        &self,
        key: &ApiKey,
        org: Option<&str>,
        user_name: &str,
    ) -> Result<Vec<Value>> {
        let scope = self.api_scope(key, org).await?;
        match self.account_by_user_name(user_name).await {
            Ok(a) if a.org_id == Some(scope.org_id()) => Ok(vec![account_data(&a)]),
            Ok(_) | Err(Error::NotFound(_)) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// `GET /api/v1/groups/{id}`.
    pub async fn api_group(&self, key: &ApiKey, org: Option<&str>, id: &str) -> Result<Value> {
        let scope = self.api_scope(key, org).await?;
        Ok(group_data(&self.api_group_in(scope, id).await?))
    }

    /// `GET /api/v1/accounts/{id}/groups?after=&limit=`: the groups the account is in (id
    /// and name), in group id order; the cursor is the last group id of the page.
    pub async fn api_account_groups(
        &self,
        key: &ApiKey,
        org: Option<&str>,
        id: &str,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> Result<ReadPage> {
        let limit = limit_of(limit)?;
        let scope = self.api_scope(key, org).await?;
        let account = self.api_account_in(scope, id).await?;
        let after = cursor::<GroupId>(after)?;
        let rows = self
            .store
            .account_groups_page(scope, account.id, after, limit + 1)
            .await?;
        let (groups, next) = paging::split(rows, limit, |g: &(GroupId, String)| g.0);
        Ok(ReadPage {
            items: groups
                .into_iter()
                .map(|(id, name)| json!({ "id": id, "displayName": name }))
                .collect(),
            next: next.map(|n| n.to_string()),
        })
    }

    /// `GET /api/v1/groups/{id}/members?after=&limit=`: members in account id order; the
    /// cursor is the last account id of the page.
    pub async fn api_group_members(
        &self,
        key: &ApiKey,
        org: Option<&str>,
        id: &str,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> Result<ReadPage> {
        let limit = limit_of(limit)?;
        let scope = self.api_scope(key, org).await?;
        let group = self.api_group_in(scope, id).await?;
        let after = cursor::<AccountId>(after)?;
        let rows = self
            .store
            .members_page(scope, group.id, after, limit + 1)
            .await?;
        let (members, next) = paging::split(rows, limit, |m: &Member| m.account_id);
        Ok(ReadPage {
            items: members.iter().map(member_json).collect(),
            next: next.map(|n| n.to_string()),
        })
    }

    /// `GET /api/v1/groups/{gid}/members/{aid}`: answered from the membership index alone.
    /// An unknown group or account is simply "not a member".
    pub async fn api_is_member(
        &self,
        key: &ApiKey,
        org: Option<&str>,
        group: &str,
        account: &str,
    ) -> Result<bool> {
        let scope = self.api_scope(key, org).await?;
        let (Ok(group), Ok(account)) = (group.parse::<GroupId>(), account.parse::<AccountId>())
        else {
            return Ok(false);
        };
        Ok(self.store.is_member(scope, group, account).await?)
    }

    /// `GET /api/v1/orgs?after=&limit=`: a deployment key's every organization in id order,
    /// keyset-paged in the store; an organization key's own.
    pub async fn api_orgs(
        &self,
        key: &ApiKey,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> Result<ReadPage> {
        let limit = limit_of(limit)?;
        let after = cursor::<OrgId>(after)?;
        let orgs: Vec<Org> = match key.org() {
            Some(own) if after.is_none_or(|a| own > a) => vec![self.org(own).await?],
            Some(_) => Vec::new(),
            None => self.store.orgs_page(after, limit + 1).await?,
        };
        let (orgs, next) = paging::split(orgs, limit, |o: &Org| o.id);
        Ok(ReadPage {
            items: orgs.iter().map(org_data).collect(),
            next: next.map(|n| n.to_string()),
        })
    }

    /// `GET /api/v1/orgs/{id}`.
    pub async fn api_org(&self, key: &ApiKey, id: &str) -> Result<Value> {
        let parsed: OrgId = id.parse().map_err(|_| not_found("organization", id))?;
        if key.org().is_some_and(|own| own != parsed) {
            return Err(not_found("organization", id));
        }
        let org = self
            .store
            .org(parsed)
            .await?
            .ok_or_else(|| not_found("organization", id))?;
        Ok(org_data(&org))
    }
}
