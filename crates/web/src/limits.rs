//! The per-organization request rate (SPEC §3): a token bucket per organization, generous so that
//! no identity provider or validator at its real pace is ever refused (their numbers are in the
//! README), and per organization, so one tenant's runaway client never slows another's. Beyond
//! it: 429 with `Retry-After`, which Entra honours.

use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use roster_domain::OrgId;

#[derive(Debug)]
pub struct OrgRateLimit {
    limiter: DefaultKeyedRateLimiter<OrgId>,
    per_second: NonZeroU32,
}

/// Requests per second each organization may send, sustained, and how many it may send at once
/// before that rate applies (the bucket's size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: u32,
    pub burst: u32,
}

impl RateLimit {
    /// The default: ten times the 25 requests/s Microsoft asks gallery apps to sustain, and a
    /// bucket of 5,000 — more than a whole run of scim2-tester and Microsoft's Postman collection
    /// (about 900 requests, 320 in the busiest second).
    pub const DEFAULT: Self = Self {
        per_second: 250,
        burst: 5_000,
    };
}

impl OrgRateLimit {
    /// `None` when `per_second` is 0 (off). A burst below the rate is raised to it.
    pub fn new(limit: RateLimit) -> Option<Self> {
        let per_second = NonZeroU32::new(limit.per_second)?;
        let burst = NonZeroU32::new(limit.burst)
            .unwrap_or(per_second)
            .max(per_second);
        Some(Self {
            limiter: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
            per_second,
        })
    }

    /// Whether the organization may make one more request now.
    pub fn allow(&self, org: OrgId) -> bool {
        self.limiter.check_key(&org).is_ok()
    }

    pub fn per_second(&self) -> u32 {
        self.per_second.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_passes_a_whole_validator_run_at_once_and_stops_a_runaway() {
        let limit = OrgRateLimit::new(RateLimit::DEFAULT).unwrap();
        let org = OrgId::new_random();
        // scim2-tester plus the Postman collection send about 900 requests; a burst of 5,000
        // passes whole.
        assert!((0..5_000).all(|_| limit.allow(org)));
        // A runaway client is held to the sustained rate right after.
        assert!((0..200).any(|_| !limit.allow(org)));
        assert!(limit.allow(OrgId::new_random()), "per organization");
        assert!(
            OrgRateLimit::new(RateLimit {
                per_second: 0,
                burst: 10
            })
            .is_none()
        );
    }
}
