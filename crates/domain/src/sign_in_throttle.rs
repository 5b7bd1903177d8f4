//! Throttling of failed console sign-ins, counted in the database so the limit holds across
//! every instance: per account and per remote address, over a sliding window. Beyond a limit
//! even a correct password is refused until the oldest counted failure leaves the window.
//! Refused (throttled) attempts are not counted themselves, so an attacker cannot extend an
//! administrator's lockout forever, and each account adds a bounded number of audit entries.

use time::{Duration, OffsetDateTime};

use crate::{AccountId, Error, Roster, error::Result};

/// Failed sign-ins one account may have within [`FAILURE_WINDOW`].
pub const ACCOUNT_FAILURES: u32 = 5;
/// Failed sign-ins one remote address may have within [`FAILURE_WINDOW`], whatever the emails.
pub const ADDRESS_FAILURES: u32 = 20;
pub const FAILURE_WINDOW: Duration = Duration::minutes(15);

/// What failed sign-ins are counted by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKey {
    Account(AccountId),
    Address(String),
}

impl FailureKey {
    fn limit(&self) -> u32 {
        match self {
            Self::Account(_) => ACCOUNT_FAILURES,
            Self::Address(_) => ADDRESS_FAILURES,
        }
    }
}

impl Roster {
    /// Refuses with [`Error::Throttled`] when `key` has its limit of failures in the window
    /// ending at `now`: failures at exactly `now - FAILURE_WINDOW` no longer count.
    pub(crate) async fn check_throttle(&self, key: &FailureKey, now: OffsetDateTime) -> Result<()> {
        let limit = key.limit();
        let recent = self
            .store
            .recent_sign_in_failures(key, now - FAILURE_WINDOW, limit)
            .await?;
        match recent.get(limit as usize - 1) {
            // The limit's oldest failure: once it leaves the window, one attempt is free again.
            Some(oldest) => Err(Error::Throttled {
                retry_after: *oldest + FAILURE_WINDOW - now,
            }),
            None => Ok(()),
        }
    }
}
