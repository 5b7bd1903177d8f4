//! The flood limit of `GET /sso/{org}`: each start stores a pending sign-in, and anyone may
//! start one, so starts are limited per remote address (an IPv4 address, or an IPv6 /64: one
//! host usually holds a whole /64) and per organization, in memory, per instance. Beyond either
//! limit: a 429 page with `Retry-After`. Token buckets from `governor`, as the SCIM rate limit.
//!
//! Memory stays bounded whatever the number of addresses: past [`SsoStartLimit::max_addresses`]
//! remembered addresses, those idle long enough to have a full bucket again are forgotten, and
//! if the table is still full, new addresses are held to the per-organization limit only (which
//! bounds the pending sign-ins an attack from very many addresses can store). Organizations are
//! counted only once they are known to have sign-in configured, so made-up ids never fill that
//! table.

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::Mutex,
    time::{Duration, Instant},
};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use roster_domain::OrgId;

/// How fast sign-ins may start, from one address and in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SsoStartRates {
    /// Starts one address may make at once, and then per minute.
    pub address_burst: u32,
    pub address_per_minute: u32,
    /// Starts one organization's people may make at once, and then per minute.
    pub org_burst: u32,
    pub org_per_minute: u32,
    /// Addresses remembered at most (about 50 bytes each).
    pub max_addresses: usize,
}

impl SsoStartRates {
    /// A school behind one NAT address starts a classroom's sign-ins at once (120), then two a
    /// second; a whole school of thousands at the first bell fits the organization's 1,000 at
    /// once and 1,200 a minute. 200,000 addresses take about 10 MB.
    pub const DEFAULT: Self = Self {
        address_burst: 120,
        address_per_minute: 120,
        org_burst: 1_000,
        org_per_minute: 1_200,
        max_addresses: 200_000,
    };
}

/// Where a start came from, as the limit counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Source {
    V4(u32),
    /// The first 64 bits: the network a host's addresses share.
    V6(u64),
}

impl From<IpAddr> for Source {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self::V4(v4.to_bits()),
            // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::V4(v4.to_bits()),
                None => Self::V6(u64::try_from(v6.to_bits() >> 64).unwrap_or(u64::MAX)),
            },
        }
    }
}

/// Why a start was refused, and when to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TooMany {
    Address(Duration),
    Organization(Duration),
}

impl TooMany {
    /// Whole seconds to wait, at least one.
    pub fn retry_after_seconds(self) -> u64 {
        let (Self::Address(wait) | Self::Organization(wait)) = self;
        (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
    }
}

#[derive(Debug)]
pub struct SsoStartLimit {
    by_address: DefaultKeyedRateLimiter<Source>,
    by_org: DefaultKeyedRateLimiter<OrgId>,
    max_addresses: usize,
    /// When the address table was last swept: at most once per [`SWEEP_EVERY`], so a full
    /// table under a flood costs each request a length check, not a sweep.
    last_sweep: Mutex<Option<Instant>>,
}

const SWEEP_EVERY: Duration = Duration::from_secs(1);

fn quota(burst: u32, per_minute: u32) -> Quota {
    let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(burst)
}

impl SsoStartLimit {
    pub fn new(rates: SsoStartRates) -> Self {
        Self {
            by_address: RateLimiter::keyed(quota(rates.address_burst, rates.address_per_minute)),
            by_org: RateLimiter::keyed(quota(rates.org_burst, rates.org_per_minute)),
            max_addresses: rates.max_addresses.max(1),
            last_sweep: Mutex::new(None),
        }
    }

    /// Counts a start from `ip`; refused when the address started too many.
    pub fn check_address(&self, ip: IpAddr) -> Result<(), TooMany> {
        if self.by_address.len() >= self.max_addresses && !self.make_room() {
            // Full of recently active addresses: the per-organization limit still holds.
            return Ok(());
        }
        let limiter = &self.by_address;
        limiter
            .check_key(&Source::from(ip))
            .map_err(|wait| TooMany::Address(wait.wait_time_from(limiter.clock().now())))
    }

    /// Counts a start in `org` (one with sign-in configured).
    pub fn check_org(&self, org: OrgId) -> Result<(), TooMany> {
        let limiter = &self.by_org;
        limiter
            .check_key(&org)
            .map_err(|wait| TooMany::Organization(wait.wait_time_from(limiter.clock().now())))
    }

    /// Forgets idle addresses; whether there is room for a new one now.
    fn make_room(&self) -> bool {
        // Another request sweeping right now makes this one skip it.
        if let Ok(mut last) = self.last_sweep.try_lock()
            && last.is_none_or(|at| at.elapsed() >= SWEEP_EVERY)
        {
            self.by_address.retain_recent();
            self.by_address.shrink_to_fit();
            *last = Some(Instant::now());
        }
        self.by_address.len() < self.max_addresses
    }

    /// Addresses remembered now (for tests and metrics).
    pub fn remembered_addresses(&self) -> usize {
        self.by_address.len()
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    fn small(max_addresses: usize) -> SsoStartLimit {
        SsoStartLimit::new(SsoStartRates {
            address_burst: 3,
            address_per_minute: 3,
            org_burst: 5,
            org_per_minute: 5,
            max_addresses,
        })
    }

    #[test]
    fn the_default_lets_a_classroom_start_at_once_from_one_address() {
        let limit = SsoStartLimit::new(SsoStartRates::DEFAULT);
        let school = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));
        assert!((0..120).all(|_| limit.check_address(school).is_ok()));
        assert!(matches!(
            limit.check_address(school),
            Err(TooMany::Address(_))
        ));
        let org = OrgId::new_random();
        assert!((0..1_000).all(|_| limit.check_org(org).is_ok()));
        let refused = limit.check_org(org).unwrap_err();
        assert!(matches!(refused, TooMany::Organization(_)));
        // 1,200 a minute: the next start is about 50 ms away, said as one second.
        assert_eq!(refused.retry_after_seconds(), 1);
    }

    #[test]
    fn one_ipv6_host_is_one_source_whatever_address_of_its_64_it_uses() {
        let limit = small(100);
        let host = |last: u16| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, last));
        assert!((1..=3).all(|i| limit.check_address(host(i)).is_ok()));
        assert!(limit.check_address(host(99)).is_err(), "same /64");
        let other = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1));
        assert!(limit.check_address(other).is_ok(), "another /64");
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped());
        let v4 = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        assert!((0..3).all(|_| limit.check_address(mapped).is_ok()));
        assert!(limit.check_address(v4).is_err(), "mapped IPv4 is IPv4");
    }

    #[test]
    fn a_refusal_says_how_long_to_wait() {
        let limit = small(100);
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for _ in 0..3 {
            limit.check_address(ip).unwrap();
        }
        // Three a minute: one more in 20 seconds.
        let wait = limit.check_address(ip).unwrap_err().retry_after_seconds();
        assert!((19..=20).contains(&wait), "{wait}");
    }

    #[test]
    fn a_million_addresses_never_grow_the_table_past_its_bound() {
        let limit = small(1_000);
        for i in 0..1_000_000_u32 {
            let _ = limit.check_address(IpAddr::V4(Ipv4Addr::from_bits(i)));
        }
        assert!(
            limit.remembered_addresses() <= 1_000,
            "{}",
            limit.remembered_addresses()
        );
    }
}
