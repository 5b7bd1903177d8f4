//! The per-organization request rate (SPEC §3): generous, so identity providers' bursts pass, and
//! per organization, so one tenant's sync never slows another's. Beyond it: 429 with
//! `Retry-After`, which Entra honours.

use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use roster_domain::OrgId;

#[derive(Debug)]
pub struct OrgRateLimit {
    limiter: DefaultKeyedRateLimiter<OrgId>,
    per_second: NonZeroU32,
}

impl OrgRateLimit {
    /// `per_second` sustained, with bursts of twice that. `None` when `per_second` is 0 (off).
    pub fn new(per_second: u32) -> Option<Self> {
        let per_second = NonZeroU32::new(per_second)?;
        let burst = per_second.saturating_mul(NonZeroU32::MIN.saturating_add(1));
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
