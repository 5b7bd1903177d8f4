//! Throttling of failed console sign-ins, counted in the database so the limit holds across
//! every instance: per account and per remote address, over a sliding window. Beyond a limit
//! even a correct password is refused until the oldest counted failure leaves the window.
//! Each attempt is recorded before the count, so concurrent attempts cannot all slip under the
//! limit; refused (throttled) attempts are then forgotten, so an attacker cannot extend an
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
    /// The key of a remote address as the web layer gives it (`ip:port`, `[v6]:port` or a bare
    /// IP): the port is dropped, since every connection has a new one, and an IPv6 address
    /// counts by its /64 network, the smallest block one client usually holds.
    pub fn address(remote_addr: &str) -> Self {
        use std::net::{IpAddr, SocketAddr};
        let ip = remote_addr
            .parse::<SocketAddr>()
            .map(|s| s.ip())
            .or_else(|_| remote_addr.parse::<IpAddr>());
        Self::Address(match ip {
            Ok(IpAddr::V4(v4)) => v4.to_string(),
            Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
            Err(_) => remote_addr.to_owned(),
        })
    }

    fn limit(&self) -> u32 {
        match self {
            Self::Account(_) => ACCOUNT_FAILURES,
            Self::Address(_) => ADDRESS_FAILURES,
        }
    }
}

impl Roster {
    /// Refuses with [`Error::Throttled`] when `key` has more than its limit of failures in the
    /// window ending at `now`, the attempt being checked (already recorded) included: failures
    /// at exactly `now - FAILURE_WINDOW` no longer count.
    pub(crate) async fn check_throttle(&self, key: &FailureKey, now: OffsetDateTime) -> Result<()> {
        let limit = key.limit() as usize;
        let recent = self
            .store
            .recent_sign_in_failures(key, now - FAILURE_WINDOW, key.limit() + 1)
            .await?;
        match recent.get(limit) {
            // The oldest of the limit's failures before this attempt: once it leaves the window,
            // one attempt is free again.
            Some(oldest) => Err(Error::Throttled {
                retry_after: *oldest + FAILURE_WINDOW - now,
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_count_without_their_port_and_ipv6_by_its_64_network() {
        let key = |a: &str| match FailureKey::address(a) {
            FailureKey::Address(key) => key,
            FailureKey::Account(_) => unreachable!(),
        };
        assert_eq!(key("192.0.2.7:4444"), "192.0.2.7");
        assert_eq!(key("192.0.2.7:4445"), "192.0.2.7");
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("[2001:db8:1:2:aaaa::1]:443"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
        assert_eq!(key("[::ffff:192.0.2.7]:1"), "192.0.2.7");
        assert_eq!(key("unix socket"), "unix socket");
    }
}
