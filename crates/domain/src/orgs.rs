//! Organizations (tenants, "licenses"): kind, seats, data retention and the email domains their
//! SCIM-provisioned `userName`s must be in.

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
    /// When not empty, SCIM creates and renames must use a `userName` in one of these domains
    /// (or a subdomain): `userName`s are unique platform-wide, so without it one organization's
    /// identity provider could take a name another organization's people need. Lower case.
    pub domains: Vec<String>,
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
    /// `Some(vec![])` removes the domain restriction.
    pub domains: Option<Vec<String>>,
}

impl Org {
    /// Whether SCIM may give an account of this organization `user_name`: any name when no
    /// domain is set; otherwise one whose part after the last `@` is a domain of the
    /// organization or a subdomain of one.
    pub fn admits_user_name(&self, user_name: &str) -> bool {
        if self.domains.is_empty() {
            return true;
        }
        let Some((_, host)) = user_name.rsplit_once('@') else {
            return false;
        };
        let host = host.to_lowercase();
        self.domains.iter().any(|domain| {
            host == *domain
                || host
                    .strip_suffix(domain.as_str())
                    .is_some_and(|rest| rest.ends_with('.'))
        })
    }

    /// The refusal of a `userName` outside the organization's domains.
    pub(crate) fn outside_domains(&self, user_name: &str) -> Error {
        Error::Invalid(format!(
            "userName '{user_name}' is outside this organization's domains ({}); provisioning may only use names in them. Map userName from an attribute in those domains, or ask a Roster operator to add the domain (roster org update ORG --domains ...)",
            self.domains.join(", ")
        ))
    }
}

/// Most domains one organization may list.
pub const MAX_DOMAINS: usize = 50;

/// Domain names as an administrator typed them, checked and lower-cased: letters, digits and
/// hyphens in dot-separated labels (internationalised names in their `xn--` form), no duplicates.
pub(crate) fn validate_domains(domains: Vec<String>) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    for domain in domains {
        let domain = domain.trim().trim_start_matches('@').to_ascii_lowercase();
        if domain.is_empty() {
            continue;
        }
        let valid_label = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if domain.len() > 253 || !domain.contains('.') || !domain.split('.').all(valid_label) {
            return Err(Error::Invalid(format!(
                "'{domain}' is not a domain name (e.g. ridgemont.edu; internationalised names in their xn-- form)"
            )));
        }
        if !out.contains(&domain) {
            out.push(domain);
        }
    }
    if out.len() > MAX_DOMAINS {
        return Err(Error::Invalid(format!(
            "an organization may list at most {MAX_DOMAINS} domains, got {}",
            out.len()
        )));
    }
    Ok(out)
}

/// The stored form of an organization's domains: one comma-separated column (a domain name has
/// no comma), the same on every store.
pub fn domains_to_column(domains: &[String]) -> String {
    domains.join(",")
}

pub fn domains_from_column(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(domains: &[&str]) -> Org {
        Org {
            id: OrgId::new_random(),
            name: "x".into(),
            kind: OrgKind::School,
            seats: 1,
            retention_days: None,
            domains: domains.iter().map(|d| (*d).to_owned()).collect(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn user_names_are_admitted_in_the_domains_and_their_subdomains_only() {
        let open = org(&[]);
        assert!(open.admits_user_name("anyone@anywhere.org"));
        assert!(open.admits_user_name("no-at-sign"));
        let school = org(&["ridgemont.edu", "b.org"]);
        for ok in [
            "ada@ridgemont.edu",
            "Ada@RIDGEMONT.EDU",
            "x@students.ridgemont.edu",
            "y@b.org",
        ] {
            assert!(school.admits_user_name(ok), "{ok}");
        }
        for refused in [
            "ada@evil.edu",
            "ada@notridgemont.edu",
            "ada@ridgemont.edu.evil.org",
            "ridgemont.edu",
            "a@b@evil.org",
        ] {
            assert!(!school.admits_user_name(refused), "{refused}");
        }
    }

    #[test]
    fn domains_are_checked_normalised_and_stored_in_one_column() {
        assert_eq!(
            validate_domains(vec![
                " Ridgemont.EDU ".into(),
                "@b.org".into(),
                "ridgemont.edu".into(),
                "".into()
            ])
            .unwrap(),
            vec!["ridgemont.edu", "b.org"]
        );
        for bad in ["localhost", "a..b", "-a.org", "a_b.org", "a,b.org", "é.org"] {
            assert!(validate_domains(vec![bad.into()]).is_err(), "{bad}");
        }
        let domains = vec!["a.org".to_owned(), "b.org".to_owned()];
        assert_eq!(domains_from_column(&domains_to_column(&domains)), domains);
        assert!(domains_from_column("").is_empty());
    }
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
