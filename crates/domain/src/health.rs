//! Health warnings for the console's front page and SCIM page: pure rules over figures Roster
//! saw (activity, tokens, seats, the log), each warning saying what the administrator should do.

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::{
    Admin, OrgScope, Roster,
    activity::{ACTIVITY_BUCKET, ScimActivity, bucket_start},
    error::Result,
    user_name_key,
};

/// Two Entra provisioning cycles (40 minutes each): longer without a request means Entra's job
/// is stopped, quarantined, or pointed elsewhere.
pub const QUIET_AFTER: Duration = Duration::minutes(80);
/// A refusal spike: at least this many refusals in the last hour …
pub const SPIKE_REFUSALS: u64 = 20;
/// … making up at least this percentage of its requests.
pub const SPIKE_PERCENT: u64 = 25;
/// How far back the log is read for people waiting for a seat (Entra retries every cycle, so a
/// person still waiting was refused recently).
pub const WAITING_LOOKBACK: Duration = Duration::days(7);
/// Seat-limit refusals read at most, and distinct names kept at most.
const WAITING_SCAN: u32 = 5_000;
pub const WAITING_MAX: u32 = 100;
/// Names a warning lists.
pub const WAITING_NAMED: usize = 10;

/// What the warnings are computed from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HealthFigures {
    pub now: Option<OffsetDateTime>,
    /// When SCIM was enabled; `None` when it is disabled.
    pub enabled_since: Option<OffsetDateTime>,
    pub last_request_at: Option<OffsetDateTime>,
    pub old_token_seen_at: Option<OffsetDateTime>,
    pub wrong_token_seen_at: Option<OffsetDateTime>,
    pub wrong_tokens_24h: u64,
    pub seats: u32,
    pub seats_used: u32,
    /// People waiting for a seat, newest refusal first (at most [`WAITING_MAX`]).
    pub waiting: Vec<String>,
    pub last_hour_requests: u64,
    pub last_hour_refusals: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    NoRecentRequests,
    OldTokenInUse,
    WrongTokens,
    SeatsNearlyGone,
    SeatsAtLimit,
    PeopleWaiting,
    RefusalSpike,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub kind: WarningKind,
    /// What Roster saw.
    pub message: String,
    /// What the administrator should do.
    pub action: String,
    /// The people a warning is about (waiting for a seat), at most [`WAITING_NAMED`].
    pub names: Vec<String>,
}

fn warning(kind: WarningKind, message: String, action: &str) -> Warning {
    Warning {
        kind,
        message,
        action: action.to_owned(),
        names: Vec::new(),
    }
}

fn minutes(d: Duration) -> i64 {
    d.whole_minutes()
}

/// The warnings the figures call for, most urgent first.
pub fn warnings(f: &HealthFigures) -> Vec<Warning> {
    let mut out = Vec::new();
    let now = f.now.unwrap_or(OffsetDateTime::UNIX_EPOCH);
    if let Some(enabled) = f.enabled_since {
        let since = f.last_request_at.map_or(enabled, |l| l.max(enabled));
        if now - since > QUIET_AFTER {
            let message = match f.last_request_at {
                Some(_) => format!(
                    "No provisioning request for {} minutes (more than two Entra cycles).",
                    minutes(now - since)
                ),
                None => format!(
                    "SCIM was enabled {} minutes ago and no request has arrived yet.",
                    minutes(now - since)
                ),
            };
            out.push(warning(
                WarningKind::NoRecentRequests,
                message,
                "In the Entra admin center, open the application's Provisioning page: check that provisioning is On, not in quarantine, and that the Tenant URL and Secret token are the ones shown here.",
            ));
        }
    }
    if f.seats_used >= f.seats {
        out.push(warning(
            WarningKind::SeatsAtLimit,
            format!(
                "Every seat is in use ({} of {}): provisioning cannot create or reactivate anyone.",
                f.seats_used, f.seats
            ),
            "Deactivate accounts that no longer need a seat, or ask for more seats.",
        ));
    } else if u64::from(f.seats_used) * 100 >= u64::from(f.seats) * 90 {
        out.push(warning(
            WarningKind::SeatsNearlyGone,
            format!(
                "{} of {} seats are in use; {} left.",
                f.seats_used,
                f.seats,
                f.seats - f.seats_used
            ),
            "Plan ahead: deactivate accounts that no longer need a seat, or ask for more seats before provisioning is refused.",
        ));
    }
    if !f.waiting.is_empty() {
        let count = f.waiting.len();
        let count = if count >= WAITING_MAX as usize {
            format!("{count} or more people are")
        } else if count == 1 {
            "1 person is".to_owned()
        } else {
            format!("{count} people are")
        };
        out.push(Warning {
            names: f.waiting.iter().take(WAITING_NAMED).cloned().collect(),
            ..warning(
                WarningKind::PeopleWaiting,
                format!("{count} waiting for a seat: provisioning refused them for the seat limit."),
                "Free seats (deactivate accounts that no longer need one) or ask for more; Entra creates them on its next cycle.",
            )
        });
    }
    if let Some(seen) = f.old_token_seen_at.filter(|s| now - *s < Duration::DAY) {
        out.push(warning(
            WarningKind::OldTokenInUse,
            format!(
                "A revoked or expired token was still used {} minutes ago.",
                minutes(now - seen)
            ),
            "Entra still holds an old Secret token: rotate the token here and paste the new one into the application's Provisioning settings in Entra, then Test Connection.",
        ));
    }
    if f.wrong_tokens_24h > 0 {
        out.push(warning(
            WarningKind::WrongTokens,
            format!(
                "{} request(s) with a missing, wrong or old token in the last 24 hours.",
                f.wrong_tokens_24h
            ),
            "Check the Secret token in Entra's Provisioning settings. If nobody there sent them, someone else is trying this tenant URL: rotate the token.",
        ));
    }
    if f.last_hour_refusals >= SPIKE_REFUSALS
        && f.last_hour_refusals * 100 >= f.last_hour_requests * SPIKE_PERCENT
    {
        out.push(warning(
            WarningKind::RefusalSpike,
            format!(
                "{} of {} requests in the last hour were refused.",
                f.last_hour_refusals, f.last_hour_requests
            ),
            "Open the provisioning log filtered on failures: each refusal says why and what to do.",
        ));
    }
    out
}

impl Roster {
    /// People provisioning refused for the seat limit (recently, from the log) who have no
    /// active account in the organization, with their latest refusal, newest first.
    pub(crate) async fn people_waiting(
        &self,
        scope: OrgScope,
    ) -> Result<Vec<(String, OffsetDateTime)>> {
        let refused = self
            .store
            .seat_refusals(
                scope,
                self.now() - WAITING_LOOKBACK,
                WAITING_SCAN,
                WAITING_MAX,
            )
            .await?;
        let mut waiting = Vec::new();
        for (name, at) in refused {
            let account = self
                .store
                .account_by_user_name(&user_name_key(&name))
                .await?;
            let seated = account.is_some_and(|a| a.active && a.org_id == Some(scope.org_id()));
            if !seated {
                waiting.push((name, at));
            }
        }
        Ok(waiting)
    }

    /// The figures behind the warnings, and the activity of the last 24 hours they come from.
    pub(crate) async fn health_figures(
        &self,
        admin: &Admin,
    ) -> Result<(HealthFigures, ScimActivity, Vec<crate::TokenUse>)> {
        let scope = admin.scope();
        let org = self.org(admin.org_id()).await?;
        let now = self.now();
        let tokens = self.store.scim_token_uses(scope).await?;
        let valid: Vec<_> = tokens
            .iter()
            .filter(|t| t.expires_at.is_none_or(|end| now < end))
            .cloned()
            .collect();
        let (enabled_at, activity) = self.scim_activity(scope, now - Duration::DAY).await?;
        let enabled_since = if valid.is_empty() {
            None
        } else {
            enabled_at.or_else(|| valid.iter().map(|t| t.created_at).min())
        };
        let hour_ago = bucket_start(now - Duration::HOUR + ACTIVITY_BUCKET);
        let last_hour = activity.buckets.iter().filter(|b| b.start >= hour_ago);
        let (last_hour_requests, last_hour_refusals) =
            last_hour.fold((0, 0), |(r, f), b| (r + b.requests, f + b.refusals));
        let figures = HealthFigures {
            now: Some(now),
            enabled_since,
            last_request_at: activity.last_request_at,
            old_token_seen_at: activity.old_token_seen_at,
            wrong_token_seen_at: activity.wrong_token_seen_at,
            wrong_tokens_24h: activity.buckets.iter().map(|b| b.wrong_tokens).sum(),
            seats: org.seats,
            seats_used: self.store.seats_used(scope).await?,
            waiting: self
                .people_waiting(scope)
                .await?
                .into_iter()
                .map(|(n, _)| n)
                .collect(),
            last_hour_requests,
            last_hour_refusals,
        };
        Ok((figures, activity, valid))
    }

    /// The organization's health warnings, for the front page and the SCIM page.
    pub async fn health(&self, admin: &Admin) -> Result<Vec<Warning>> {
        let (figures, _, _) = self.health_figures(admin).await?;
        Ok(warnings(&figures))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-05-01 12:00 UTC);

    fn healthy() -> HealthFigures {
        HealthFigures {
            now: Some(NOW),
            enabled_since: Some(NOW - Duration::days(3)),
            last_request_at: Some(NOW - Duration::minutes(5)),
            seats: 100,
            seats_used: 10,
            ..HealthFigures::default()
        }
    }

    fn kinds(f: &HealthFigures) -> Vec<WarningKind> {
        warnings(f).into_iter().map(|w| w.kind).collect()
    }

    #[test]
    fn a_healthy_organization_has_no_warning() {
        assert_eq!(kinds(&healthy()), vec![]);
        let disabled = HealthFigures {
            enabled_since: None,
            last_request_at: None,
            ..healthy()
        };
        assert_eq!(
            kinds(&disabled),
            vec![],
            "no request is expected while disabled"
        );
    }

    #[test]
    fn quiet_for_more_than_eighty_minutes_is_a_warning_counted_from_enabling_when_nothing_came() {
        let quiet = |last: Option<OffsetDateTime>, enabled: OffsetDateTime| HealthFigures {
            last_request_at: last,
            enabled_since: Some(enabled),
            ..healthy()
        };
        let long_ago = NOW - Duration::days(1);
        assert_eq!(kinds(&quiet(Some(NOW - QUIET_AFTER), long_ago)), vec![]);
        assert_eq!(
            kinds(&quiet(Some(NOW - QUIET_AFTER - Duration::SECOND), long_ago)),
            vec![WarningKind::NoRecentRequests]
        );
        assert_eq!(kinds(&quiet(None, NOW - QUIET_AFTER)), vec![]);
        let never = warnings(&quiet(None, NOW - Duration::minutes(81)));
        assert_eq!(
            never[0].message,
            "SCIM was enabled 81 minutes ago and no request has arrived yet."
        );
        assert!(never[0].action.contains("quarantine"));
    }

    #[test]
    fn seats_warn_from_ninety_percent_and_differently_at_the_limit() {
        let seats = |used| HealthFigures {
            seats_used: used,
            ..healthy()
        };
        assert_eq!(kinds(&seats(89)), vec![]);
        assert_eq!(kinds(&seats(90)), vec![WarningKind::SeatsNearlyGone]);
        assert_eq!(kinds(&seats(99)), vec![WarningKind::SeatsNearlyGone]);
        assert_eq!(kinds(&seats(100)), vec![WarningKind::SeatsAtLimit]);
        let none = HealthFigures {
            seats: 0,
            seats_used: 0,
            ..healthy()
        };
        assert_eq!(kinds(&none), vec![WarningKind::SeatsAtLimit]);
    }

    #[test]
    fn people_waiting_are_counted_and_ten_are_named() {
        let waiting: Vec<String> = (0..12).map(|i| format!("p{i}@x.edu")).collect();
        let w = warnings(&HealthFigures {
            waiting,
            ..healthy()
        });
        assert_eq!(w[0].kind, WarningKind::PeopleWaiting);
        assert_eq!(
            w[0].message,
            "12 people are waiting for a seat: provisioning refused them for the seat limit."
        );
        assert_eq!(w[0].names.len(), WAITING_NAMED);
        assert_eq!(w[0].names[0], "p0@x.edu");
    }

    #[test]
    fn an_old_token_warns_for_a_day_and_wrong_tokens_when_any_came() {
        let old = |ago| HealthFigures {
            old_token_seen_at: Some(NOW - ago),
            ..healthy()
        };
        assert_eq!(
            kinds(&old(Duration::hours(23))),
            vec![WarningKind::OldTokenInUse]
        );
        assert_eq!(kinds(&old(Duration::DAY)), vec![]);
        let wrong = HealthFigures {
            wrong_tokens_24h: 1,
            ..healthy()
        };
        assert_eq!(kinds(&wrong), vec![WarningKind::WrongTokens]);
    }

    #[test]
    fn a_spike_needs_twenty_refusals_and_a_quarter_of_the_requests() {
        let spike = |requests, refusals| HealthFigures {
            last_hour_requests: requests,
            last_hour_refusals: refusals,
            ..healthy()
        };
        assert_eq!(kinds(&spike(80, 20)), vec![WarningKind::RefusalSpike]);
        assert_eq!(kinds(&spike(81, 20)), vec![]);
        assert_eq!(kinds(&spike(40, 19)), vec![]);
    }

    #[test]
    fn the_seat_limit_detail_is_what_seat_refusals_say() {
        use crate::console_log::SEAT_LIMIT_DETAIL;
        assert!(
            crate::SeatLimit { seats: 1, used: 1 }
                .to_string()
                .starts_with(SEAT_LIMIT_DETAIL)
        );
    }
}
