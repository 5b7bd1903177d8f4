//! SCIM activity: what the console's SCIM page and health warnings read — when each token was
//! last used, the last request, and requests, refusals and wrong-token attempts per ten minutes.
//!
//! Nothing is written per SCIM request: [`ActivityTracker`] counts in memory, a background task
//! of `roster serve` flushes it every ~30 s (and at shutdown) with one store write per
//! organization that had activity, and readers add what this process has not flushed yet. On
//! several instances each flush adds its own counts, so the figures are the sum of all of them.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Mutex,
};

use serde::Serialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{OrgId, OrgScope, Roster, error::Result};

/// The width of one bucket of counts.
pub const ACTIVITY_BUCKET: Duration = Duration::minutes(10);
/// How long buckets are kept: the 24 hours the console shows, with room for the hour before.
pub const ACTIVITY_KEPT: Duration = Duration::hours(48);

/// Counts of one bucket: the ten minutes starting at `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ActivityBucket {
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// Requests with a valid token.
    pub requests: u64,
    /// Of those, the ones answered with an error status (4xx, 5xx).
    pub refusals: u64,
    /// Requests on the organization's tenant URL with a missing, wrong or old token.
    pub wrong_tokens: u64,
}

/// An organization's SCIM activity: a delta to add (what a flush writes) or the sum stored (what
/// a read returns, without `token_uses`, which reads give per token instead).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScimActivity {
    pub last_request_at: Option<OffsetDateTime>,
    /// The last request with a token of this organization that expired or was revoked.
    pub old_token_seen_at: Option<OffsetDateTime>,
    /// The last request with a missing or wrong token on this organization's tenant URL.
    pub wrong_token_seen_at: Option<OffsetDateTime>,
    /// Oldest first.
    pub buckets: Vec<ActivityBucket>,
    /// When each (still stored) token was last used.
    pub token_uses: Vec<(Uuid, OffsetDateTime)>,
}

/// A stored token as the console shows it; never its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenUse {
    #[serde(serialize_with = "crate::paging::text")]
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// `None`: the current token; otherwise the end of its grace period.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

/// What the authentication of one SCIM request found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presented {
    Valid(Uuid),
    Old,
    Wrong,
}

#[derive(Debug, Default)]
struct Pending {
    last_request_at: Option<OffsetDateTime>,
    old_token_seen_at: Option<OffsetDateTime>,
    wrong_token_seen_at: Option<OffsetDateTime>,
    buckets: BTreeMap<OffsetDateTime, ActivityBucket>,
    token_uses: HashMap<Uuid, OffsetDateTime>,
}

impl Pending {
    fn bucket(&mut self, at: OffsetDateTime) -> &mut ActivityBucket {
        let start = bucket_start(at);
        self.buckets.entry(start).or_insert(ActivityBucket {
            start,
            requests: 0,
            refusals: 0,
            wrong_tokens: 0,
        })
    }

    fn into_activity(self) -> ScimActivity {
        ScimActivity {
            last_request_at: self.last_request_at,
            old_token_seen_at: self.old_token_seen_at,
            wrong_token_seen_at: self.wrong_token_seen_at,
            buckets: self.buckets.into_values().collect(),
            token_uses: self.token_uses.into_iter().collect(),
        }
    }

    /// Adds `activity` back (a flush that failed), keeping the later times.
    fn absorb(&mut self, activity: ScimActivity) {
        self.last_request_at = later(self.last_request_at, activity.last_request_at);
        self.old_token_seen_at = later(self.old_token_seen_at, activity.old_token_seen_at);
        self.wrong_token_seen_at = later(self.wrong_token_seen_at, activity.wrong_token_seen_at);
        for b in activity.buckets {
            let mine = self.bucket(b.start);
            mine.requests += b.requests;
            mine.refusals += b.refusals;
            mine.wrong_tokens += b.wrong_tokens;
        }
        for (id, at) in activity.token_uses {
            let use_at = self.token_uses.entry(id).or_insert(at);
            *use_at = (*use_at).max(at);
        }
    }
}

/// The start of the bucket `at` falls in.
pub fn bucket_start(at: OffsetDateTime) -> OffsetDateTime {
    let width = ACTIVITY_BUCKET.whole_seconds();
    let seconds = at.unix_timestamp().div_euclid(width) * width;
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(at)
}

fn later(a: Option<OffsetDateTime>, b: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    a.max(b)
}

/// Counts of this process not flushed yet, per organization. Bounded by the organizations that
/// exist (a wrong token on an unknown organization's URL is not counted) and by the buckets of
/// the ~30 s between flushes.
#[derive(Debug, Default)]
pub(crate) struct ActivityTracker {
    pending: Mutex<HashMap<OrgId, Pending>>,
}

impl ActivityTracker {
    fn with(&self, org: OrgId, f: impl FnOnce(&mut Pending)) {
        // A poisoned lock only means a panic elsewhere; the counts are still usable.
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        f(pending.entry(org).or_default());
    }

    pub(crate) fn presented(&self, org: OrgId, at: OffsetDateTime, presented: Presented) {
        self.with(org, |p| match presented {
            Presented::Valid(token) => {
                p.last_request_at = later(p.last_request_at, Some(at));
                let use_at = p.token_uses.entry(token).or_insert(at);
                *use_at = (*use_at).max(at);
            }
            Presented::Old => {
                p.old_token_seen_at = later(p.old_token_seen_at, Some(at));
                p.bucket(at).wrong_tokens += 1;
            }
            Presented::Wrong => {
                p.wrong_token_seen_at = later(p.wrong_token_seen_at, Some(at));
                p.bucket(at).wrong_tokens += 1;
            }
        });
    }

    pub(crate) fn answered(&self, org: OrgId, at: OffsetDateTime, refused: bool) {
        self.with(org, |p| {
            let bucket = p.bucket(at);
            bucket.requests += 1;
            bucket.refusals += u64::from(refused);
        });
    }

    fn take(&self) -> HashMap<OrgId, Pending> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn give_back(&self, org: OrgId, activity: ScimActivity) {
        self.with(org, |p| p.absorb(activity));
    }

    /// This process's unflushed activity of `org`.
    fn peek(&self, org: OrgId) -> ScimActivity {
        let pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let mut copy = Pending::default();
        if let Some(p) = pending.get(&org) {
            copy.last_request_at = p.last_request_at;
            copy.old_token_seen_at = p.old_token_seen_at;
            copy.wrong_token_seen_at = p.wrong_token_seen_at;
            copy.buckets = p.buckets.clone();
            copy.token_uses = p.token_uses.clone();
        }
        copy.into_activity()
    }
}

/// `stored` plus `unflushed`: later times, summed buckets.
fn combine(stored: ScimActivity, unflushed: ScimActivity) -> ScimActivity {
    let mut sum = Pending::default();
    sum.absorb(stored);
    sum.absorb(unflushed);
    sum.into_activity()
}

impl Roster {
    /// Writes this process's counted SCIM activity to the store: one write per organization
    /// that had some. What fails to be written is kept for the next flush.
    pub async fn flush_scim_activity(&self) -> Result<()> {
        let mut first_error = None;
        for (org, pending) in self.activity.take() {
            let activity = pending.into_activity();
            let now = self.now();
            if let Err(e) = self
                .store
                .record_scim_activity(OrgScope::new(org), &activity, now - ACTIVITY_KEPT)
                .await
            {
                self.activity.give_back(org, activity);
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    /// Counts a SCIM request that was answered (after authentication): a refusal when `status`
    /// is an error. Called by the web layer once per request.
    pub fn note_scim_answer(&self, scope: OrgScope, status: u16) {
        self.activity
            .answered(scope.org_id(), self.now(), status >= 400);
    }

    /// When SCIM was last enabled, and the organization's activity since `since` (buckets
    /// starting at or after it), stored and not yet flushed.
    pub(crate) async fn scim_activity(
        &self,
        scope: OrgScope,
        since: OffsetDateTime,
    ) -> Result<(Option<OffsetDateTime>, ScimActivity)> {
        let since = bucket_start(since);
        let (enabled_at, stored) = self.store.scim_activity(scope, since).await?;
        let mut activity = combine(stored, self.activity.peek(scope.org_id()));
        activity.buckets.retain(|b| b.start >= since);
        Ok((enabled_at, activity))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn buckets_start_on_ten_minute_boundaries() {
        assert_eq!(
            bucket_start(datetime!(2026-01-01 10:19:59.9 UTC)),
            datetime!(2026-01-01 10:10 UTC)
        );
        assert_eq!(
            bucket_start(datetime!(2026-01-01 10:20 UTC)),
            datetime!(2026-01-01 10:20 UTC)
        );
    }

    #[test]
    fn counts_add_up_per_bucket_and_times_keep_the_latest() {
        let tracker = ActivityTracker::default();
        let org = OrgId::new_random();
        let token = Uuid::new_v4();
        let t = datetime!(2026-01-01 10:00 UTC);
        tracker.presented(org, t, Presented::Valid(token));
        tracker.answered(org, t, false);
        tracker.presented(org, t + Duration::minutes(11), Presented::Valid(token));
        tracker.answered(org, t + Duration::minutes(11), true);
        tracker.presented(org, t + Duration::minutes(12), Presented::Wrong);
        tracker.presented(org, t + Duration::minutes(1), Presented::Old);
        let seen = tracker.peek(org);
        assert_eq!(seen.last_request_at, Some(t + Duration::minutes(11)));
        assert_eq!(seen.wrong_token_seen_at, Some(t + Duration::minutes(12)));
        assert_eq!(seen.old_token_seen_at, Some(t + Duration::minutes(1)));
        assert_eq!(seen.token_uses, vec![(token, t + Duration::minutes(11))]);
        let counts: Vec<_> = seen
            .buckets
            .iter()
            .map(|b| (b.requests, b.refusals, b.wrong_tokens))
            .collect();
        assert_eq!(counts, vec![(1, 0, 1), (1, 1, 1)]);
        let combined = combine(seen.clone(), seen);
        assert_eq!(combined.buckets[1].refusals, 2);
        assert_eq!(tracker.take().len(), 1);
        assert_eq!(tracker.peek(org), ScimActivity::default());
    }
}
