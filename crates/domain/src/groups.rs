//! Groups of an organization, and their members with the source of each membership.

use std::str::FromStr;

use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::{AccountId, Change, Error, GroupId, OrgId};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub id: GroupId,
    #[serde(rename = "org")]
    pub org_id: OrgId,
    pub display_name: String,
    pub external_id: Option<String>,
    pub scim_managed: bool,
    /// The rest of the SCIM resource, normalised; never `members`, `id`, `meta`, `schemas`,
    /// `displayName` or `externalId`.
    #[serde(skip)]
    pub attributes: Map<String, Value>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// What "the same group name" means within an organization: the same fold as
/// [`user_name_key`](crate::user_name_key).
pub fn display_name_key(display_name: &str) -> String {
    roster_scim::text::fold(display_name)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberSource {
    /// Written by SCIM.
    Scim,
    /// Added by an administrator by hand (the CLI; the console later).
    Manual,
}

impl MemberSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scim => "scim",
            Self::Manual => "manual",
        }
    }
}

/// The text [`MemberSource::as_str`] gives; anything else is an error.
impl FromStr for MemberSource {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "scim" => Ok(Self::Scim),
            "manual" => Ok(Self::Manual),
            other => Err(Error::Invalid(format!(
                "unknown membership source '{other}': use scim or manual"
            ))),
        }
    }
}

/// One member of a group, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub account_id: AccountId,
    pub user_name: String,
    pub display_name: Option<String>,
    pub source: MemberSource,
    /// Whether the member's account is SCIM-managed (then SCIM may remove even a manual
    /// membership of it).
    pub account_scim_managed: bool,
}

/// Membership changes the store applies atomically with a group write.
///
/// SCIM changes (`source: Scim`) follow SPEC §2.7: adds insert a `scim` membership unless one
/// exists (a manual one stays manual); removals and the removal half of a replace delete a
/// membership only if it is a `scim` one or its account is SCIM-managed, so hand-added members of
/// unmanaged accounts survive whatever SCIM sends. Accounts not in the group's organization are
/// skipped and reported, never linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipChange {
    pub source: MemberSource,
    /// Replace the removable members with exactly these (then `add`/`remove` are empty).
    pub replace: Option<Vec<AccountId>>,
    pub add: Vec<AccountId>,
    pub remove: Vec<AccountId>,
}

impl MembershipChange {
    pub fn none(source: MemberSource) -> Self {
        Self {
            source,
            replace: None,
            add: Vec::new(),
            remove: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.replace.is_none() && self.add.is_empty() && self.remove.is_empty()
    }
}

/// How a group write treats the stored row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupExpect {
    /// Insert a new group.
    New,
    /// Update every field, only if the stored version is still this one (otherwise
    /// [`StoreError::VersionConflict`](crate::StoreError::VersionConflict)).
    Version(i64),
    /// Only memberships change: leave the group's fields alone (a concurrent rename is kept),
    /// bump `version` and set `updated_at`, whatever the version was. Membership adds and removes
    /// are row-level and idempotent, so parallel requests to one group need no retry.
    MembersOnly,
}

/// A group write the store performs atomically, with its membership changes. The returned group
/// is the stored row after the write.
#[derive(Debug, Clone)]
pub struct GroupWrite {
    pub group: Group,
    pub expect: GroupExpect,
    pub members: MembershipChange,
    /// Who asks: the store writes the write's events with it, in the same transaction.
    pub change: Change,
}

/// What a group write did to memberships.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembershipOutcome {
    pub added: u64,
    pub removed: u64,
    /// Member values that are not accounts of the organization: skipped, for the log.
    pub skipped: Vec<AccountId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_read_back_what_they_write_and_nothing_else() {
        for source in [MemberSource::Scim, MemberSource::Manual] {
            assert_eq!(source.as_str().parse::<MemberSource>().ok(), Some(source));
        }
        assert!("SCIM".parse::<MemberSource>().is_err());
        assert!("admin".parse::<MemberSource>().is_err());
    }
}
