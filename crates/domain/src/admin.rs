//! The console's capability: an administrator of one organization, verified by the domain.
//!
//! Every console method of [`Roster`](crate::Roster) takes an [`Admin`], and only the domain
//! mints one (after checking a session, a sign-in or the first-run setup), so a console action is
//! authorized here, not merely hidden in a page: an administrator reaches their own organization
//! and nothing else, whatever URL or form they send.

use crate::{AccountId, OrgId, OrgScope};

/// An administrator acting in the console: an active account with the `admin` role of
/// `org_id`, as of when the domain checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    account_id: AccountId,
    org_id: OrgId,
    /// How the administrator is named in audit entries: their sign-in email (`userName`).
    email: String,
    /// Where the request came from, for the audit log (a socket address, not a header).
    remote_addr: Option<String>,
}

impl Admin {
    /// Minted by the domain after it verified the session or credentials.
    pub(crate) fn new(
        account_id: AccountId,
        org_id: OrgId,
        email: String,
        remote_addr: Option<String>,
    ) -> Self {
        Self {
            account_id,
            org_id,
            email,
            remote_addr,
        }
    }

    /// For tests that call console methods without signing in. Only with the `testing`
    /// feature, which test code enables and a production build never does.
    #[cfg(any(test, feature = "testing"))]
    pub fn trusted(account_id: AccountId, org_id: OrgId, email: &str) -> Self {
        Self::new(account_id, org_id, email.to_owned(), None)
    }

    pub fn account_id(&self) -> AccountId {
        self.account_id
    }

    pub fn org_id(&self) -> OrgId {
        self.org_id
    }

    pub fn email(&self) -> &str {
        &self.email
    }

    pub fn remote_addr(&self) -> Option<&str> {
        self.remote_addr.as_deref()
    }

    /// The organization scope every store call of this administrator's actions uses.
    pub fn scope(&self) -> OrgScope {
        OrgScope::new(self.org_id)
    }
}
