//! Verified SCIM tokens, remembered for a moment: every SCIM request presents its token, and
//! reading the token's row for each one costs a store round trip on the hottest path.
//!
//! Only tokens that were valid are remembered, so wrong tokens (an attacker's guesses) add
//! nothing and cannot push good entries out. An entry is trusted for [`TOKEN_CACHE_TTL`] after
//! its row was read: a rotation or a disable on *another* instance takes effect here within that
//! window (README); on this instance the domain forgets the organization's tokens at once. A
//! remembered token is still checked against its expiry (a grace period ending) on every use.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::{OrgId, TokenHash, TokenRecord};

/// How long a token read from the store is trusted without reading it again.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(2);
/// Most tokens remembered: far more than the valid tokens of every organization an instance
/// serves (at most two each), so the bound only matters against a bug, never evicts in use.
const CAPACITY: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    entries: Mutex<HashMap<TokenHash, Remembered>>,
}

#[derive(Debug)]
struct Remembered {
    record: TokenRecord,
    read_at: Instant,
}

impl TokenCache {
    /// The record of `hash` if it was read less than [`TOKEN_CACHE_TTL`] ago.
    pub(crate) fn get(&self, hash: &TokenHash) -> Option<TokenRecord> {
        let entries = self.lock();
        let remembered = entries.get(hash)?;
        (remembered.read_at.elapsed() < TOKEN_CACHE_TTL).then(|| remembered.record.clone())
    }

    /// Remembers a token just read from the store and found valid.
    pub(crate) fn put(&self, record: TokenRecord) {
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.retain(|_, r| r.read_at.elapsed() < TOKEN_CACHE_TTL);
            if entries.len() >= CAPACITY {
                // Full of fresh entries: this one is read from the store next time too.
                return;
            }
        }
        entries.insert(
            record.hash,
            Remembered {
                record,
                read_at: Instant::now(),
            },
        );
    }

    /// Forgets the organization's tokens: they were just rotated or revoked here.
    pub(crate) fn forget_org(&self, org: OrgId) {
        self.lock().retain(|_, r| r.record.org_id != org);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TokenHash, Remembered>> {
        // A poisoned lock only means a panic elsewhere; the entries are still sound.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use uuid::Uuid;

    use super::*;

    fn record(org: OrgId, token: &str) -> TokenRecord {
        TokenRecord {
            id: Uuid::new_v4(),
            org_id: org,
            hash: TokenHash::of(token),
            created_at: datetime!(2026-01-01 0:00 UTC),
            expires_at: None,
        }
    }

    #[test]
    fn remembers_tokens_until_their_organization_is_forgotten() {
        let cache = TokenCache::default();
        let (a, b) = (OrgId::new_random(), OrgId::new_random());
        cache.put(record(a, "a"));
        cache.put(record(b, "b"));
        assert_eq!(cache.get(&TokenHash::of("a")).map(|r| r.org_id), Some(a));
        assert!(cache.get(&TokenHash::of("c")).is_none());
        cache.forget_org(a);
        assert!(cache.get(&TokenHash::of("a")).is_none());
        assert!(cache.get(&TokenHash::of("b")).is_some(), "per organization");
    }

    #[test]
    fn a_full_cache_keeps_its_fresh_entries() {
        let cache = TokenCache::default();
        let org = OrgId::new_random();
        for i in 0..CAPACITY {
            cache.put(record(org, &i.to_string()));
        }
        cache.put(record(org, "one more"));
        assert!(cache.get(&TokenHash::of("0")).is_some());
        assert!(cache.get(&TokenHash::of("one more")).is_none());
        assert_eq!(cache.lock().len(), CAPACITY);
    }
}
