//! Accounts: one per person on the whole platform, identified by a case-insensitive `userName`,
//! in at most one organization.

use serde::Serialize;
use serde_json::{Map, Value};
use std::{fmt, str::FromStr};
use time::OffsetDateTime;

use crate::{AccountId, Change, Error, OrgId, OrgKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Teacher,
    Learner,
    Student,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Teacher => "teacher",
            Self::Learner => "learner",
            Self::Student => "student",
        }
    }

    /// The role SCIM gives every account it creates (SPEC §2.1).
    pub fn lowest_for(kind: OrgKind) -> Self {
        match kind {
            OrgKind::School => Self::Student,
            OrgKind::Business => Self::Learner,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "admin" => Ok(Self::Admin),
            "teacher" => Ok(Self::Teacher),
            "learner" => Ok(Self::Learner),
            "student" => Ok(Self::Student),
            other => Err(Error::Invalid(format!(
                "unknown role '{other}': use admin, teacher, learner or student"
            ))),
        }
    }
}

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Account {
    pub id: AccountId,
    /// `None`: an independent account.
    #[serde(rename = "org")]
    pub org_id: Option<OrgId>,
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub role: Role,
    pub active: bool,
    /// A PATCH removed `active`: RFC 7644 §3.5.2.2 says the attribute is then unassigned, so SCIM
    /// shows none. Roster reads an account without `active` as active (it holds a seat), as it
    /// does for a create that sends none.
    #[serde(skip)]
    pub active_unassigned: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub deactivated_at: Option<OffsetDateTime>,
    /// SCIM has written to this account (and still manages it).
    pub scim_managed: bool,
    /// A SCIM DELETE ended management: SCIM no longer sees the account (404 on its id), the
    /// account itself stays.
    pub scim_deleted: bool,
    /// The rest of the SCIM resource (name, emails, enterprise extension, ...), normalised.
    /// Never holds `id`, `meta`, `schemas`, `userName`, `externalId`, `displayName` or `active`,
    /// which live in the fields above.
    #[serde(skip)]
    pub attributes: Map<String, Value>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Bumped by every write; the SCIM ETag.
    pub version: i64,
}

impl Account {
    pub fn user_name_key(&self) -> String {
        user_name_key(&self.user_name)
    }
}

/// What "the same userName" means platform-wide: equal after NFC normalisation and full Unicode
/// case folding ([`roster_scim::text::fold`]: `STRASSE` = `straße`, composed = decomposed). Stores
/// keep this key, computed here, in a unique column, so both backends agree.
pub fn user_name_key(user_name: &str) -> String {
    roster_scim::text::fold(user_name)
}

/// When an account that was `current` and is now `active` (or not) was deactivated: now when it
/// just was, never while active, and an earlier deactivation is kept.
pub(crate) fn deactivated_at(
    current: &Account,
    active: bool,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    match (current.active, active) {
        (true, false) => Some(now),
        (_, true) => None,
        (false, false) => current.deactivated_at.or(Some(now)),
    }
}

/// An account write the store performs atomically.
#[derive(Debug, Clone)]
pub struct AccountWrite {
    pub account: Account,
    /// `None`: insert a new account. `Some(v)`: update, only if the stored version is still `v`
    /// (otherwise [`StoreError::VersionConflict`](crate::StoreError::VersionConflict)).
    pub expected_version: Option<i64>,
    /// The write makes the account take a seat (new and active, or reactivated): the store checks
    /// the organization's seat limit in the same transaction, and refuses with
    /// [`StoreError::SeatLimit`](crate::StoreError::SeatLimit).
    pub takes_seat: bool,
    /// SCIM memberships of the account to end in the same transaction (a SCIM DELETE).
    pub end_scim_memberships: bool,
    /// Who asks: the store writes the write's events with it, in the same transaction.
    pub change: Change,
}
