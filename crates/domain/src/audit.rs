//! The audit log (SPEC §5): every administrator action, with who, when and from where, for the
//! organization's administrators to read in the console. Entries are only appended; nothing
//! trims them (an audit trail that ages out is no trail), and an account's purge keeps the
//! entries that name it, since they carry the actor's email as text.

use std::{fmt, str::FromStr};

use serde::Serialize;
use time::OffsetDateTime;

use crate::{AccountId, Admin, Error, OrgId, Roster, error::Result};

/// The most entries one page of the audit log holds.
pub const AUDIT_PAGE_MAX: u32 = 200;

/// What an administrator did. Stored as [`AuditAction::as_str`]; new actions are new variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    SignIn,
    SignInFailed,
    SignOut,
    InvitationAccepted,
    ScimEnabled,
    ScimTokenRotated,
    ScimDisabled,
    RetentionChanged,
    AccountAdded,
    AccountInvited,
    AccountDeactivated,
    AccountReactivated,
    GroupCreated,
    MemberAdded,
    MemberRemoved,
    AdminAdded,
    AdminRemoved,
    SsoConfigured,
    SsoDisabled,
    WebhookAdded,
    WebhookRemoved,
    WebhookPaused,
    WebhookResumed,
    WebhookResent,
    ApiKeyCreated,
    ApiKeyRevoked,
}

impl AuditAction {
    pub const ALL: &[Self] = &[
        Self::SignIn,
        Self::SignInFailed,
        Self::SignOut,
        Self::InvitationAccepted,
        Self::ScimEnabled,
        Self::ScimTokenRotated,
        Self::ScimDisabled,
        Self::RetentionChanged,
        Self::AccountAdded,
        Self::AccountInvited,
        Self::AccountDeactivated,
        Self::AccountReactivated,
        Self::GroupCreated,
        Self::MemberAdded,
        Self::MemberRemoved,
        Self::AdminAdded,
        Self::AdminRemoved,
        Self::SsoConfigured,
        Self::SsoDisabled,
        Self::WebhookAdded,
        Self::WebhookRemoved,
        Self::WebhookPaused,
        Self::WebhookResumed,
        Self::WebhookResent,
        Self::ApiKeyCreated,
        Self::ApiKeyRevoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::SignInFailed => "sign_in_failed",
            Self::SignOut => "sign_out",
            Self::InvitationAccepted => "invitation_accepted",
            Self::ScimEnabled => "scim_enabled",
            Self::ScimTokenRotated => "scim_token_rotated",
            Self::ScimDisabled => "scim_disabled",
            Self::RetentionChanged => "retention_changed",
            Self::AccountAdded => "account_added",
            Self::AccountInvited => "account_invited",
            Self::AccountDeactivated => "account_deactivated",
            Self::AccountReactivated => "account_reactivated",
            Self::GroupCreated => "group_created",
            Self::MemberAdded => "member_added",
            Self::MemberRemoved => "member_removed",
            Self::AdminAdded => "admin_added",
            Self::AdminRemoved => "admin_removed",
            Self::SsoConfigured => "sso_configured",
            Self::SsoDisabled => "sso_disabled",
            Self::WebhookAdded => "webhook_added",
            Self::WebhookRemoved => "webhook_removed",
            Self::WebhookPaused => "webhook_paused",
            Self::WebhookResumed => "webhook_resumed",
            Self::WebhookResent => "webhook_resent",
            Self::ApiKeyCreated => "api_key_created",
            Self::ApiKeyRevoked => "api_key_revoked",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditAction {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| Error::Invalid(format!("unknown audit action '{s}'")))
    }
}

impl Serialize for AuditAction {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// An entry to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub org_id: OrgId,
    pub at: OffsetDateTime,
    /// `None`: an operator on the command line, who has no account.
    pub actor_account_id: Option<AccountId>,
    pub actor_email: Option<String>,
    pub action: AuditAction,
    /// What the action was about (an email, a group name), as text.
    pub target: Option<String>,
    pub detail: Option<String>,
    pub remote_addr: Option<String>,
}

/// A stored entry: [`NewAuditEntry`] and the id the store gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    #[serde(rename = "org")]
    pub org_id: OrgId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor_account_id: Option<AccountId>,
    pub actor_email: Option<String>,
    pub action: AuditAction,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub remote_addr: Option<String>,
}

impl AuditEntry {
    pub fn cursor(&self) -> AuditCursor {
        AuditCursor {
            at: self.at,
            id: self.id,
        }
    }
}

/// A position in the audit log, newest first: a page continues with the entries strictly
/// older than it (by time, then id). Its text form (`<unix microseconds>.<id>`) goes in URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor {
    pub at: OffsetDateTime,
    pub id: i64,
}

impl fmt::Display for AuditCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.at.unix_timestamp_nanos() / 1_000, self.id)
    }
}

impl FromStr for AuditCursor {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let invalid = || Error::Invalid(format!("'{s}' is not a position in the audit log"));
        let (micros, id) = s.split_once('.').ok_or_else(invalid)?;
        let micros: i128 = micros.parse().map_err(|_| invalid())?;
        let at =
            OffsetDateTime::from_unix_timestamp_nanos(micros * 1_000).map_err(|_| invalid())?;
        Ok(Self {
            at,
            id: id.parse().map_err(|_| invalid())?,
        })
    }
}

/// One page of the audit log, newest first, and where the next (older) page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    #[serde(serialize_with = "cursor_text")]
    pub next: Option<AuditCursor>,
}

fn cursor_text<S: serde::Serializer>(
    cursor: &Option<AuditCursor>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match cursor {
        Some(c) => serializer.collect_str(c),
        None => serializer.serialize_none(),
    }
}

/// Who acted: an administrator in the console, or an operator on the command line.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Actor<'a> {
    Admin(&'a Admin),
    Operator,
}

impl Actor<'_> {
    /// The change feed's view of the same actor.
    pub(crate) fn change(self) -> crate::Change {
        match self {
            Self::Admin(admin) => crate::Change::console(admin.account_id()),
            Self::Operator => crate::Change::cli(),
        }
    }
}

impl Roster {
    /// Records what `admin` did in their organization's audit log.
    pub async fn audit(
        &self,
        admin: &Admin,
        action: AuditAction,
        target: Option<&str>,
        detail: Option<&str>,
    ) -> Result<()> {
        self.audit_as(admin.org_id(), Actor::Admin(admin), action, target, detail)
            .await
    }

    /// A page of `admin`'s organization's audit log, newest first: `limit` entries (at most
    /// [`AUDIT_PAGE_MAX`]) older than `before`, or the newest without it.
    pub async fn audit_page(
        &self,
        admin: &Admin,
        before: Option<AuditCursor>,
        limit: u32,
    ) -> Result<AuditPage> {
        let limit = limit.clamp(1, AUDIT_PAGE_MAX);
        // One more than asked tells whether an older page exists.
        let mut entries = self
            .store
            .audit_entries(admin.scope(), before, limit + 1)
            .await?;
        let next = if entries.len() > limit as usize {
            entries.truncate(limit as usize);
            entries.last().map(AuditEntry::cursor)
        } else {
            None
        };
        Ok(AuditPage { entries, next })
    }

    pub(crate) async fn audit_as(
        &self,
        org: OrgId,
        actor: Actor<'_>,
        action: AuditAction,
        target: Option<&str>,
        detail: Option<&str>,
    ) -> Result<()> {
        use roster_scim::text::{NAME_MAX_CHARS, TEXT_MAX_CHARS, recordable};
        let (actor_account_id, actor_email, remote_addr) = match actor {
            Actor::Admin(admin) => (
                Some(admin.account_id()),
                Some(admin.email().to_owned()),
                admin.remote_addr().map(|a| recordable(a, NAME_MAX_CHARS)),
            ),
            Actor::Operator => (None, None, None),
        };
        let entry = NewAuditEntry {
            org_id: org,
            at: self.now(),
            actor_account_id,
            actor_email,
            action,
            target: target.map(|t| recordable(t, NAME_MAX_CHARS)),
            detail: detail.map(|d| recordable(d, TEXT_MAX_CHARS)),
            remote_addr,
        };
        Ok(self.store.append_audit(&entry).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_name() {
        for action in AuditAction::ALL {
            assert_eq!(action.as_str().parse::<AuditAction>().unwrap(), *action);
        }
        assert!("dance".parse::<AuditAction>().is_err());
    }

    #[test]
    fn cursors_read_back_from_their_text() {
        let cursor = AuditCursor {
            at: time::macros::datetime!(2026-03-01 09:30:00.123456 UTC),
            id: 42,
        };
        assert_eq!(cursor.to_string().parse::<AuditCursor>().unwrap(), cursor);
        for bad in ["", "12", "a.b", "1.x", "99999999999999999999999.1"] {
            assert!(bad.parse::<AuditCursor>().is_err(), "{bad}");
        }
    }
}
