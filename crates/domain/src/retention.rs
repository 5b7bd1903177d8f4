//! Data retention (SPEC §2.6): accounts deactivated for longer than their organization's
//! retention period are removed for good, with their memberships. Without a retention setting
//! nothing is ever removed. The provisioning log is trimmed on the same run.

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::{AccountId, LOG_RETENTION_DAYS, OrgId, OrgScope, Roster, error::Result};

/// One account a retention run removed (or, in a dry run, would remove).
#[derive(Debug, Clone, Serialize)]
pub struct Purged {
    pub org: OrgId,
    pub id: AccountId,
    pub user_name: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub deactivated_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RetentionReport {
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
    pub dry_run: bool,
    /// `false` when another instance was running retention, so this run did nothing.
    pub ran: bool,
    pub purged: Vec<Purged>,
    pub log_entries_trimmed: u64,
}

/// Accounts deactivated before this time are due for removal as of `as_of`.
pub(crate) fn cutoff(as_of: OffsetDateTime, days: u32) -> OffsetDateTime {
    as_of - Duration::days(i64::from(days))
}

impl Roster {
    /// Purges what is due as of `as_of` (the clock's now when `None`).
    pub async fn run_retention(
        &self,
        as_of: Option<OffsetDateTime>,
        dry_run: bool,
    ) -> Result<RetentionReport> {
        let as_of = as_of.unwrap_or_else(|| self.now());
        let Some(lock) = self.store.try_lock_retention().await? else {
            tracing::debug!("retention is running on another instance");
            return Ok(RetentionReport {
                as_of,
                dry_run,
                ran: false,
                purged: Vec::new(),
                log_entries_trimmed: 0,
            });
        };
        let outcome = self.purge_due(as_of, dry_run).await;
        // Released before answering, so the next run can take the lock at once.
        if let Err(e) = lock.release().await {
            tracing::warn!(error = %e, "could not release the retention lock; it ends with its session");
        }
        let (purged, log_entries_trimmed) = outcome?;
        Ok(RetentionReport {
            as_of,
            dry_run,
            ran: true,
            purged,
            log_entries_trimmed,
        })
    }

    /// What a run removes (or would remove): the accounts due in every organization, and the
    /// number of log entries trimmed.
    async fn purge_due(&self, as_of: OffsetDateTime, dry_run: bool) -> Result<(Vec<Purged>, u64)> {
        let mut purged = Vec::new();
        for org in self.store.orgs().await? {
            let Some(days) = org.retention_days else {
                continue;
            };
            let cutoff = cutoff(as_of, days);
            let due = self
                .store
                .purge_deactivated(
                    OrgScope::new(org.id),
                    cutoff,
                    dry_run,
                    &crate::Change::retention(),
                    as_of,
                )
                .await?;
            if !dry_run && !due.is_empty() {
                tracing::info!(org.id = %org.id, accounts = due.len(), retention.days = days, "retention purged deactivated accounts");
            }
            purged.extend(due.into_iter().map(|a| Purged {
                org: org.id,
                id: a.id,
                user_name: a.user_name,
                deactivated_at: a.deactivated_at,
            }));
        }
        let log_entries_trimmed = if dry_run {
            0
        } else {
            self.store
                .trim_log(as_of - Duration::days(LOG_RETENTION_DAYS))
                .await?
        };
        Ok((purged, log_entries_trimmed))
    }
}
