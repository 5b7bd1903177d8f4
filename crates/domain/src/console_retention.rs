//! The console's Settings › Data retention: the setting, what it removes and when, and how many
//! accounts the next run would remove (the dry run's rule, counted in the database).

use serde::Serialize;

use crate::{Admin, AuditAction, OrgUpdate, Roster, error::Result, retention::cutoff};

/// Accounts counted at most by the preview; beyond it the console says "more than".
pub const PREVIEW_CAP: u64 = 100_000;

#[derive(Debug, Clone, Serialize)]
pub struct RetentionPreview {
    pub retention_days: Option<u32>,
    /// What the setting removes and when, in words.
    pub explanation: String,
    /// Accounts the next run would remove, counted up to [`PREVIEW_CAP`].
    pub due_now: u64,
    pub due_now_capped: bool,
}

impl Roster {
    /// Sets (or, with `None`, turns off) the organization's data retention.
    pub async fn set_retention(
        &self,
        admin: &Admin,
        days: Option<u32>,
    ) -> Result<RetentionPreview> {
        self.update_org_as(
            admin.org_id(),
            OrgUpdate {
                retention_days: Some(days),
                ..OrgUpdate::default()
            },
            &crate::Change::console(admin.account_id()),
        )
        .await?;
        let detail = days.map_or_else(|| "off".to_owned(), |d| format!("{d} days"));
        self.audit(admin, AuditAction::RetentionChanged, None, Some(&detail))
            .await?;
        self.retention_preview(admin).await
    }

    /// The retention setting in words, and how many accounts a run now would remove.
    pub async fn retention_preview(&self, admin: &Admin) -> Result<RetentionPreview> {
        let org = self.org(admin.org_id()).await?;
        let Some(days) = org.retention_days else {
            return Ok(RetentionPreview {
                retention_days: None,
                explanation: "Retention is off: deactivated accounts are kept forever, with their content and group memberships.".into(),
                due_now: 0,
                due_now_capped: false,
            });
        };
        let n = self
            .store
            .count_deactivated_before(admin.scope(), cutoff(self.now(), days), PREVIEW_CAP + 1)
            .await?;
        Ok(RetentionPreview {
            retention_days: Some(days),
            explanation: format!(
                "Accounts deactivated more than {days} days ago are removed for good, with their group memberships, by the next retention run (every hour by default). Active accounts are never removed, and reactivating an account before then keeps it."
            ),
            due_now: n.min(PREVIEW_CAP),
            due_now_capped: n > PREVIEW_CAP,
        })
    }
}
