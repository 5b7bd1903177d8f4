//! The console's Users page: the organization's accounts, each person's state in one sentence and
//! timeline, and what an administrator does by hand (add, invite, deactivate, reactivate) — the
//! same rules as the CLI's ([`admin_accounts`](crate::admin_accounts)), with an audit entry each.

use serde::Serialize;
use time::OffsetDateTime;

use crate::{
    Account, AccountId, AccountWrite, Admin, AuditAction, AuditEntry, Change, Conflict, Error,
    LogCursor, LoggedEntry, Role, Roster,
    error::Result,
    paging::{self, page_size},
    user_name_key,
};

/// Group names shown beside an account in a list.
const GROUP_NAMES_IN_LIST: u32 = 3;
/// Group names shown on an account's page.
const GROUP_NAMES_IN_DETAIL: u32 = 100;
/// Audit entries about an account shown on its page, among the organization's newest
/// [`AUDIT_SCAN`] (administrators' actions are few; the audit log has its own page).
const AUDIT_ABOUT: u32 = 20;
const AUDIT_SCAN: u32 = 5_000;
/// Timeline entries per page.
pub const TIMELINE_PAGE: u32 = 50;

/// An account's groups as a store reads them: a few names and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountGroups {
    pub account_id: AccountId,
    pub names: Vec<String>,
    pub count: u64,
}

/// An account as the Users list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AccountSummary {
    #[serde(flatten)]
    pub account: Account,
    /// The first group names, by name.
    pub groups: Vec<String>,
    pub group_count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountsPage {
    pub accounts: Vec<AccountSummary>,
    /// Pass back as `cursor` for the next page.
    pub next: Option<String>,
}

/// One person's page.
#[derive(Debug, Clone, Serialize)]
pub struct AccountDetail {
    #[serde(flatten)]
    pub summary: AccountSummary,
    /// The account's state in one sentence.
    pub state: String,
    /// The newest provisioning log entries about the account.
    pub timeline: Vec<LoggedEntry>,
    #[serde(serialize_with = "crate::paging::display")]
    pub timeline_next: Option<LogCursor>,
    /// The newest administrators' actions on the account (added, invited, deactivated, ...).
    pub audit: Vec<AuditEntry>,
}

/// A person without an account in the organization whom provisioning tried to create.
#[derive(Debug, Clone, Serialize)]
pub struct WaitingPerson {
    pub user_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub refused_at: OffsetDateTime,
    pub state: String,
}

/// What a manual change did, and what the administrator should know about it.
#[derive(Debug, Clone, Serialize)]
pub struct ConsoleChange<T> {
    #[serde(flatten)]
    pub result: T,
    /// E.g. that Entra will overwrite a manual change to a SCIM-managed account.
    pub note: Option<String>,
}

/// A time as the console prints times: `2026-12-02 09:25 UTC`.
fn day(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    let utc = at.to_offset(time::UtcOffset::UTC);
    utc.format(&format).unwrap_or_else(|_| utc.to_string())
}

/// The account's state in one sentence.
pub fn state_sentence(account: &Account) -> String {
    match (account.active, account.deactivated_at) {
        (true, _) if account.scim_managed => format!(
            "Active, managed by SCIM (in Roster since {}).",
            day(account.created_at)
        ),
        (true, _) => format!(
            "Active, added by hand on {} and not managed by SCIM.",
            day(account.created_at)
        ),
        (false, at) => {
            let when = at.map(day).unwrap_or_else(|| "an unknown date".into());
            if account.scim_deleted {
                format!(
                    "Deactivated on {when} by SCIM: the person was removed from the application in Entra. The account is kept (and removed by data retention, if set)."
                )
            } else if account.scim_managed {
                // Who deactivated it is in the timeline; SCIM manages it either way.
                format!("Deactivated on {when}, managed by SCIM.")
            } else {
                format!("Deactivated on {when} by hand.")
            }
        }
    }
}

const MANAGED_NOTE: &str = "This account is managed by SCIM: Entra overwrites manual changes on its next provisioning cycle. Change the person's assignment in Entra to make it last.";

impl Roster {
    /// A page of the organization's accounts, by `userName`; `search` keeps those whose
    /// `userName` starts with it (ignoring case).
    pub async fn accounts_page(
        &self,
        admin: &Admin,
        search: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<AccountsPage> {
        let limit = page_size(limit);
        let prefix = search
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(user_name_key);
        let rows = self
            .store
            .console_accounts(admin.scope(), prefix.as_deref(), cursor, limit + 1)
            .await?;
        let (accounts, next) = paging::split(rows, limit, Account::user_name_key);
        let accounts = self.summaries(admin, accounts, GROUP_NAMES_IN_LIST).await?;
        Ok(AccountsPage { accounts, next })
    }

    async fn summaries(
        &self,
        admin: &Admin,
        accounts: Vec<Account>,
        names: u32,
    ) -> Result<Vec<AccountSummary>> {
        let ids: Vec<AccountId> = accounts.iter().map(|a| a.id).collect();
        let mut groups = if ids.is_empty() {
            Vec::new()
        } else {
            self.store
                .groups_of_accounts(admin.scope(), &ids, names)
                .await?
        };
        Ok(accounts
            .into_iter()
            .map(|account| {
                let found = groups
                    .iter()
                    .position(|g| g.account_id == account.id)
                    .map(|i| groups.swap_remove(i));
                let (groups, group_count) = found.map_or((Vec::new(), 0), |g| (g.names, g.count));
                AccountSummary {
                    account,
                    groups,
                    group_count,
                }
            })
            .collect())
    }

    /// An account of the administrator's organization; any other is not found.
    pub(crate) async fn console_account(&self, admin: &Admin, id: AccountId) -> Result<Account> {
        self.store
            .account(admin.scope(), id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no account {id} in this organization")))
    }

    /// One person's page: groups, state in one sentence, the newest of the timeline.
    pub async fn account_detail(&self, admin: &Admin, id: AccountId) -> Result<AccountDetail> {
        let account = self.console_account(admin, id).await?;
        let state = state_sentence(&account);
        let (timeline, timeline_next) = self
            .account_timeline(admin, id, None, TIMELINE_PAGE)
            .await?;
        let summary = self
            .summaries(admin, vec![account], GROUP_NAMES_IN_DETAIL)
            .await?
            .pop()
            .ok_or_else(|| Error::NotFound(format!("no account {id} in this organization")))?;
        let audit = self
            .store
            .audit_about(
                admin.scope(),
                &summary.account.user_name,
                AUDIT_SCAN,
                AUDIT_ABOUT,
            )
            .await?;
        Ok(AccountDetail {
            summary,
            state,
            timeline,
            timeline_next,
            audit,
        })
    }

    /// Provisioning log entries about an account (by id, or by `userName` for refusals that
    /// carry none), newest first, older than `before`.
    pub async fn account_timeline(
        &self,
        admin: &Admin,
        id: AccountId,
        before: Option<LogCursor>,
        limit: u32,
    ) -> Result<(Vec<LoggedEntry>, Option<LogCursor>)> {
        let account = self.console_account(admin, id).await?;
        let limit = page_size(limit);
        let rows = self
            .store
            .log_about(
                admin.scope(),
                &account.id.to_string(),
                &account.user_name,
                before,
                limit + 1,
            )
            .await?;
        Ok(paging::split(rows, limit, LogCursor::of))
    }

    /// A person provisioning tried to create who has no active account in the organization,
    /// refused for the seat limit ("Refused on …: no free seat"); not found otherwise.
    pub async fn waiting_person(&self, admin: &Admin, user_name: &str) -> Result<WaitingPerson> {
        let not_waiting = || {
            Error::NotFound(format!(
                "'{user_name}' is not waiting for a seat in this organization"
            ))
        };
        let waiting = self.people_waiting(admin.scope()).await?;
        let key = user_name_key(user_name.trim());
        let (name, refused_at) = waiting
            .into_iter()
            .find(|(n, _)| user_name_key(n) == key)
            .ok_or_else(not_waiting)?;
        Ok(WaitingPerson {
            state: format!(
                "Refused on {}: no free seat. Entra creates the account on a later cycle once a seat is free.",
                day(refused_at)
            ),
            user_name: name,
            refused_at,
        })
    }

    /// Adds an account to the organization by hand (it takes a seat).
    pub async fn console_add_account(
        &self,
        admin: &Admin,
        user_name: &str,
        display_name: Option<String>,
        role: Option<Role>,
    ) -> Result<Account> {
        // Administrators need a credential too: they are added on the Administrators page.
        if role == Some(Role::Admin) {
            return Err(Error::Invalid(
                "add administrators on the Administrators page, which also sets how they sign in"
                    .into(),
            ));
        }
        let account = self
            .add_account_as(
                Some(admin.org_id()),
                user_name,
                display_name,
                role,
                Change::console(admin.account_id()),
            )
            .await?;
        self.audit(
            admin,
            AuditAction::AccountAdded,
            Some(&account.user_name),
            None,
        )
        .await?;
        Ok(account)
    }

    /// Brings an independent account into the organization (it takes a seat when active).
    pub async fn console_invite_account(&self, admin: &Admin, user_name: &str) -> Result<Account> {
        let account = self
            .invite_account_as(
                admin.org_id(),
                user_name,
                Change::console(admin.account_id()),
            )
            .await?;
        self.audit(
            admin,
            AuditAction::AccountInvited,
            Some(&account.user_name),
            None,
        )
        .await?;
        Ok(account)
    }

    /// Deactivates or reactivates an account by hand. A reactivation takes a seat (refused at the
    /// limit); the note says when SCIM manages the account and will overwrite the change.
    pub async fn console_set_active(
        &self,
        admin: &Admin,
        id: AccountId,
        active: bool,
    ) -> Result<ConsoleChange<Account>> {
        let current = self.console_account(admin, id).await?;
        if active && current.scim_deleted {
            return Err(Conflict::State(format!(
                "'{}' was removed by SCIM provisioning. Assign the person to the application in Entra again; provisioning brings the account back.",
                current.user_name
            ))
            .into());
        }
        let note = current.scim_managed.then(|| MANAGED_NOTE.to_owned());
        if current.active == active {
            return Ok(ConsoleChange {
                result: current,
                note,
            });
        }
        let now = self.now();
        let mut updated = current.clone();
        updated.active = active;
        updated.active_unassigned = false;
        updated.deactivated_at = crate::accounts::deactivated_at(&current, active, now);
        updated.updated_at = now;
        let account = self
            .write(AccountWrite {
                account: updated,
                expected_version: Some(current.version),
                takes_seat: active,
                end_scim_memberships: false,
                change: Change::console(admin.account_id()),
            })
            .await?;
        let action = if active {
            AuditAction::AccountReactivated
        } else {
            AuditAction::AccountDeactivated
        };
        self.audit(admin, action, Some(&account.user_name), None)
            .await?;
        Ok(ConsoleChange {
            result: account,
            note,
        })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::OrgId;

    fn account(active: bool, managed: bool, deleted: bool) -> Account {
        Account {
            id: AccountId::new_random(),
            org_id: Some(OrgId::new_random()),
            user_name: "ada@x.edu".into(),
            external_id: None,
            display_name: None,
            role: Role::Student,
            active,
            active_unassigned: false,
            deactivated_at: (!active).then_some(datetime!(2026-03-04 5:06 UTC)),
            scim_managed: managed,
            scim_deleted: deleted,
            attributes: serde_json::Map::new(),
            created_at: datetime!(2026-01-02 3:04 UTC),
            updated_at: datetime!(2026-01-02 3:04 UTC),
            version: 1,
        }
    }

    #[test]
    fn the_state_sentence_says_who_manages_the_account_and_since_when() {
        assert_eq!(
            state_sentence(&account(true, true, false)),
            "Active, managed by SCIM (in Roster since 2026-01-02 03:04 UTC)."
        );
        assert!(state_sentence(&account(true, false, false)).starts_with("Active, added by hand"));
        assert_eq!(
            state_sentence(&account(false, true, false)),
            "Deactivated on 2026-03-04 05:06 UTC, managed by SCIM."
        );
        assert!(
            state_sentence(&account(false, false, true))
                .contains("removed from the application in Entra")
        );
        assert_eq!(
            state_sentence(&account(false, false, false)),
            "Deactivated on 2026-03-04 05:06 UTC by hand."
        );
    }
}
