//! Organizations (tenants, "licenses"): kind, seats and data retention.

use serde::Serialize;
use std::{fmt, str::FromStr};
use time::OffsetDateTime;

use crate::{Error, OrgId};

/// Largest seat count an organization may have; beyond it a typo is more likely than a license.
pub const MAX_SEATS: u32 = 10_000_000;
/// Longest data retention period: 100 years.
pub const MAX_RETENTION_DAYS: u32 = 36_500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgKind {
    School,
    Business,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::School => "school",
            Self::Business => "business",
        }
    }
}

impl fmt::Display for OrgKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrgKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "school" => Ok(Self::School),
            "business" => Ok(Self::Business),
            other => Err(Error::Invalid(format!(
                "unknown organization kind '{other}': use 'school' or 'business'"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Org {
    pub id: OrgId,
    pub name: String,
    pub kind: OrgKind,
    pub seats: u32,
    /// Deactivated accounts are purged after this many days; `None` keeps them forever.
    pub retention_days: Option<u32>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// What `roster org create` asks for.
#[derive(Debug, Clone)]
pub struct NewOrg {
    pub name: String,
    pub kind: OrgKind,
    pub seats: u32,
}

/// A change to an organization's settings; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct OrgUpdate {
    pub seats: Option<u32>,
    /// `Some(None)` turns retention off.
    pub retention_days: Option<Option<u32>>,
}

/// An organization as administrators see it: settings plus live figures.
#[derive(Debug, Clone, Serialize)]
pub struct OrgStatus {
    #[serde(flatten)]
    pub org: Org,
    pub seats_used: u32,
    pub scim_enabled: bool,
}

pub(crate) fn validate_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::Invalid("organization name must not be empty".into()));
    }
    if name.chars().count() > 200 {
        return Err(Error::Invalid(
            "organization name must be at most 200 characters".into(),
        ));
    }
    Ok(name.to_owned())
}

pub(crate) fn validate_seats(seats: u32) -> Result<u32, Error> {
    if seats > MAX_SEATS {
        return Err(Error::Invalid(format!(
            "seats must be at most {MAX_SEATS}, got {seats}"
        )));
    }
    Ok(seats)
}

pub(crate) fn validate_retention(days: Option<u32>) -> Result<Option<u32>, Error> {
    match days {
        Some(0) => Err(Error::Invalid(
            "retention must be at least 1 day; use 'off' to keep deactivated accounts forever"
                .into(),
        )),
        Some(d) if d > MAX_RETENTION_DAYS => Err(Error::Invalid(format!(
            "retention must be at most {MAX_RETENTION_DAYS} days, got {d}"
        ))),
        other => Ok(other),
    }
}
