//! The console's Organization › Integrations › SCIM provisioning: status, tokens, activity of the
//! last 24 hours, seats and warnings; enable, rotate and disable as the CLI does them, audited.

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::{
    Admin, AuditAction, OrgStatus, Roster, ScimCredentials, TokenUse,
    activity::ActivityBucket,
    error::Result,
    health::{Warning, warnings},
    tokens::tenant_url,
};

/// SCIM-managed accounts and groups counted at most.
pub const MANAGED_COUNT_CAP: u64 = 1_000_000;

/// The SCIM page's status.
#[derive(Debug, Clone, Serialize)]
pub struct ScimOverview {
    pub enabled: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub enabled_since: Option<OffsetDateTime>,
    pub tenant_url: String,
    /// Valid tokens, oldest first: the current one (no `expires_at`) and one in its grace
    /// period (valid until `expires_at`).
    pub tokens: Vec<TokenUse>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_request_at: Option<OffsetDateTime>,
    pub requests_24h: u64,
    pub refusals_24h: u64,
    pub wrong_tokens_24h: u64,
    /// The last 24 hours, one entry per hour, oldest first.
    pub hours: Vec<ActivityBucket>,
    pub seats: u32,
    pub seats_used: u32,
    pub scim_managed_accounts: u64,
    pub scim_managed_groups: u64,
    pub warnings: Vec<Warning>,
}

/// The 24 hours before `now`'s hour and that hour, summed from ten-minute buckets.
fn hours(now: OffsetDateTime, buckets: &[ActivityBucket]) -> Vec<ActivityBucket> {
    let this_hour = now
        .replace_minute(0)
        .and_then(|t| t.replace_second(0))
        .and_then(|t| t.replace_nanosecond(0))
        .unwrap_or(now);
    (0..24)
        .rev()
        .map(|back| {
            let start = this_hour - Duration::hours(back);
            let end = start + Duration::HOUR;
            let mut hour = ActivityBucket {
                start,
                requests: 0,
                refusals: 0,
                wrong_tokens: 0,
            };
            for b in buckets.iter().filter(|b| b.start >= start && b.start < end) {
                hour.requests += b.requests;
                hour.refusals += b.refusals;
                hour.wrong_tokens += b.wrong_tokens;
            }
            hour
        })
        .collect()
}

impl Roster {
    /// Everything the SCIM page shows about the administrator's organization.
    pub async fn scim_overview(&self, admin: &Admin, public_url: &str) -> Result<ScimOverview> {
        let (figures, activity, tokens) = self.health_figures(admin).await?;
        let (scim_managed_accounts, scim_managed_groups) = self
            .store
            .scim_managed_counts(admin.scope(), MANAGED_COUNT_CAP)
            .await?;
        let sum = |f: fn(&ActivityBucket) -> u64| activity.buckets.iter().map(f).sum();
        Ok(ScimOverview {
            enabled: figures.enabled_since.is_some(),
            enabled_since: figures.enabled_since,
            tenant_url: tenant_url(public_url, admin.org_id()),
            tokens,
            last_request_at: activity.last_request_at,
            requests_24h: sum(|b| b.requests),
            refusals_24h: sum(|b| b.refusals),
            wrong_tokens_24h: sum(|b| b.wrong_tokens),
            hours: hours(self.now(), &activity.buckets),
            seats: figures.seats,
            seats_used: figures.seats_used,
            scim_managed_accounts,
            scim_managed_groups,
            warnings: warnings(&figures),
        })
    }

    /// Enables SCIM for the administrator's organization; the token is in the result only.
    pub async fn console_enable_scim(
        &self,
        admin: &Admin,
        public_url: &str,
    ) -> Result<ScimCredentials> {
        let credentials = self
            .enable_scim_as(
                admin.org_id(),
                public_url,
                &crate::Change::console(admin.account_id()),
            )
            .await?;
        self.audit(admin, AuditAction::ScimEnabled, None, None)
            .await?;
        Ok(credentials)
    }

    /// Rotates the token; the previous one stays valid for `grace`.
    pub async fn console_rotate_scim_token(
        &self,
        admin: &Admin,
        public_url: &str,
        grace: Duration,
    ) -> Result<ScimCredentials> {
        let credentials = self
            .rotate_scim_token_as(
                admin.org_id(),
                public_url,
                grace,
                &crate::Change::console(admin.account_id()),
            )
            .await?;
        let detail = format!(
            "previous token valid for {} more minutes",
            grace.whole_minutes()
        );
        self.audit(admin, AuditAction::ScimTokenRotated, None, Some(&detail))
            .await?;
        Ok(credentials)
    }

    /// Disables SCIM: every token is revoked.
    pub async fn console_disable_scim(&self, admin: &Admin) -> Result<OrgStatus> {
        let status = self
            .disable_scim_as(admin.org_id(), &crate::Change::console(admin.account_id()))
            .await?;
        self.audit(admin, AuditAction::ScimDisabled, None, None)
            .await?;
        Ok(status)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn twenty_four_hours_sum_their_ten_minute_buckets() {
        let now = datetime!(2026-05-01 12:34 UTC);
        let bucket = |start, requests| ActivityBucket {
            start,
            requests,
            refusals: 1,
            wrong_tokens: 0,
        };
        let h = hours(
            now,
            &[
                bucket(datetime!(2026-04-30 12:50 UTC), 100),
                bucket(datetime!(2026-04-30 13:00 UTC), 1),
                bucket(datetime!(2026-05-01 12:00 UTC), 2),
                bucket(datetime!(2026-05-01 12:30 UTC), 3),
            ],
        );
        assert_eq!(h.len(), 24);
        assert_eq!(h[0].start, datetime!(2026-04-30 13:00 UTC));
        assert_eq!((h[0].requests, h[0].refusals), (1, 1));
        assert_eq!((h[23].requests, h[23].refusals), (5, 2));
        assert_eq!(h.iter().map(|b| b.requests).sum::<u64>(), 6);
    }
}
