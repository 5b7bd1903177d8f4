//! The console's Organization › Integrations › Microsoft SSO: the configuration (never its
//! secret), configure and disable through the same path as `roster sso`, audited as the
//! administrator; the sign-in log, keyset-paged like the provisioning log; and what the public
//! sign-in page may know about an organization (only what `/sso/{org}` already answers).

use serde::Serialize;

use crate::{
    AccountId, Admin, LogCursor, OrgId, OrgScope, Roster, SsoProvider, SsoSettings,
    SsoSignInRecord, SsoView, audit::Actor, error::Result, paging,
};

/// Largest page of the sign-in log.
pub const SIGN_IN_PAGE_MAX: u32 = 200;
/// Sign-ins of the organization examined at most for one account's timeline.
pub const SIGN_IN_SCAN: u32 = 5_000;

/// A sign-in log entry with its id (the order of appending).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedSignIn {
    pub id: i64,
    #[serde(flatten)]
    pub record: SsoSignInRecord,
}

impl LoggedSignIn {
    pub fn cursor(&self) -> LogCursor {
        LogCursor {
            at: self.record.at,
            id: self.id,
        }
    }
}

/// What a store reads of the sign-in log: entries older than `before`, newest first; with
/// `account`, only that account's among the `scan` newest (so a rare account never makes one
/// read walk the whole log); `limit` at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInFilter {
    pub before: Option<LogCursor>,
    pub account: Option<AccountId>,
    pub scan: u32,
    pub limit: u32,
}

/// One page of the sign-in log, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct SignInLogPage {
    pub entries: Vec<LoggedSignIn>,
    /// Where the next (older) page starts; `None` when there is nothing older.
    #[serde(serialize_with = "crate::paging::display")]
    pub next: Option<LogCursor>,
}

impl Roster {
    /// The administrator's organization's sign-in configuration; `None` when there is none.
    pub async fn console_sso(&self, admin: &Admin, public_url: &str) -> Result<Option<SsoView>> {
        self.sso(admin.org_id(), public_url).await
    }

    /// Configures (or replaces) sign-in for the administrator's organization, audited.
    pub async fn console_configure_sso(
        &self,
        admin: &Admin,
        settings: SsoSettings,
        public_url: &str,
    ) -> Result<SsoView> {
        self.configure_sso_as(admin.org_id(), Actor::Admin(admin), settings, public_url)
            .await
    }

    /// Removes the administrator's organization's sign-in configuration, audited; `false` when
    /// there was none.
    pub async fn console_disable_sso(&self, admin: &Admin) -> Result<bool> {
        self.disable_sso_as(admin.org_id(), Actor::Admin(admin))
            .await
    }

    /// A page of the administrator's organization's sign-in log, newest first.
    pub async fn sign_in_log_page(
        &self,
        admin: &Admin,
        before: Option<LogCursor>,
        limit: u32,
    ) -> Result<SignInLogPage> {
        let limit = limit.clamp(1, SIGN_IN_PAGE_MAX);
        // One more than asked tells whether an older page exists.
        let rows = self
            .store
            .sso_sign_ins(
                admin.scope(),
                &SignInFilter {
                    before,
                    account: None,
                    scan: limit + 1,
                    limit: limit + 1,
                },
            )
            .await?;
        let (entries, next) = paging::split(rows, limit, LoggedSignIn::cursor);
        Ok(SignInLogPage { entries, next })
    }

    /// An account's newest sign-ins, among the organization's [`SIGN_IN_SCAN`] newest, for its
    /// timeline; another organization's account has none here.
    pub async fn account_sign_ins(
        &self,
        admin: &Admin,
        account: AccountId,
        limit: u32,
    ) -> Result<Vec<LoggedSignIn>> {
        Ok(self
            .store
            .sso_sign_ins(
                admin.scope(),
                &SignInFilter {
                    before: None,
                    account: Some(account),
                    scan: SIGN_IN_SCAN,
                    limit: limit.clamp(1, SIGN_IN_PAGE_MAX),
                },
            )
            .await?)
    }

    /// Which provider people of `org` sign in with, for the console's public sign-in page;
    /// `None` both for an organization without sign-in and for no organization at all, so the
    /// page reveals no more than `/sso/{org}` does.
    pub async fn sso_provider_of(&self, org: OrgId) -> Result<Option<SsoProvider>> {
        Ok(self
            .store
            .sso_config(OrgScope::new(org))
            .await?
            .map(|c| c.provider))
    }
}
