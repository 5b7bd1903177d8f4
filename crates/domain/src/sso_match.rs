//! Which account a sign-in is (SPEC §6), as a pure function of what the store found: never by
//! email alone (adopting an account by its email is a known account-takeover hole), never outside
//! the organization. In order: the account linked to the provider's immutable subject; the
//! organization's account whose `externalId` is the `oid`; the organization's SCIM-managed
//! account whose `userName` is the token's `preferred_username`, ignoring case.

use serde::Serialize;

use crate::{Account, Error, OrgId, error::Result};

/// The accounts the store found for one sign-in, each lookup already made.
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    /// The account linked to the provider's subject in this organization.
    pub linked: Option<Account>,
    /// The organization's account whose `externalId` is the token's `oid` (Microsoft only).
    pub by_external_id: Option<Account>,
    /// The account, anywhere on the platform, whose `userName` is the token's
    /// `preferred_username` (the same key, so ignoring case).
    pub by_user_name: Option<Account>,
}

/// How a sign-in found its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    Link,
    ExternalId,
    UserName,
}

impl MatchedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::ExternalId => "external_id",
            Self::UserName => "user_name",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        [Self::Link, Self::ExternalId, Self::UserName]
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| Error::Invalid(format!("unknown match '{s}'")))
    }
}

/// What became of a sign-in: the verdict in the sign-in log and the page the person sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SsoVerdict {
    SignedIn,
    /// No account of the organization is this person: SCIM has not created it yet.
    NotProvisioned,
    Deactivated,
    /// The only account by that name has no organization.
    Independent,
    /// The only account by that name belongs to another organization.
    OtherOrganization,
    /// The provider's answer did not validate (signature, issuer, audience, nonce, tenant...).
    RejectedToken,
}

impl SsoVerdict {
    pub const ALL: &[Self] = &[
        Self::SignedIn,
        Self::NotProvisioned,
        Self::Deactivated,
        Self::Independent,
        Self::OtherOrganization,
        Self::RejectedToken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignedIn => "signed_in",
            Self::NotProvisioned => "not_provisioned",
            Self::Deactivated => "deactivated",
            Self::Independent => "independent",
            Self::OtherOrganization => "other_organization",
            Self::RejectedToken => "rejected_token",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| Error::Invalid(format!("unknown sign-in verdict '{s}'")))
    }
}

/// The outcome of matching: the verdict, how the account was found, and the account when it
/// is one of the organization's (signed in or deactivated).
#[derive(Debug, Clone, PartialEq)]
pub struct Matched {
    pub verdict: SsoVerdict,
    pub matched_by: Option<MatchedBy>,
    pub account: Option<Account>,
}

/// Applies the matching rules of SPEC §6 for a sign-in to `org`.
pub fn match_account(org: OrgId, candidates: Candidates) -> Matched {
    let in_org = |a: &Account| a.org_id == Some(org);
    let found = candidates
        .linked
        .filter(in_org)
        .map(|a| (a, MatchedBy::Link))
        .or_else(|| {
            candidates
                .by_external_id
                .filter(in_org)
                .map(|a| (a, MatchedBy::ExternalId))
        });
    if let Some((account, by)) = found {
        return decided(account, by);
    }
    match candidates.by_user_name {
        Some(a) if in_org(&a) && a.scim_managed && !a.scim_deleted => {
            decided(a, MatchedBy::UserName)
        }
        // An account added by hand is not one SCIM brought from this tenant: its name alone
        // proves nothing about who signed in.
        Some(a) if in_org(&a) => refused(SsoVerdict::NotProvisioned),
        Some(a) if a.org_id.is_none() => refused(SsoVerdict::Independent),
        Some(_) => refused(SsoVerdict::OtherOrganization),
        None => refused(SsoVerdict::NotProvisioned),
    }
}

fn decided(account: Account, by: MatchedBy) -> Matched {
    Matched {
        verdict: if account.active {
            SsoVerdict::SignedIn
        } else {
            SsoVerdict::Deactivated
        },
        matched_by: Some(by),
        account: Some(account),
    }
}

fn refused(verdict: SsoVerdict) -> Matched {
    Matched {
        verdict,
        matched_by: None,
        account: None,
    }
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;
    use crate::{AccountId, Role};

    fn account(org: Option<OrgId>, user_name: &str) -> Account {
        let now = OffsetDateTime::UNIX_EPOCH;
        Account {
            id: AccountId::new_random(),
            org_id: org,
            user_name: user_name.into(),
            external_id: None,
            display_name: None,
            role: Role::Student,
            active: true,
            active_unassigned: false,
            deactivated_at: None,
            scim_managed: true,
            scim_deleted: false,
            attributes: Default::default(),
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    fn verdict_of(org: OrgId, c: Candidates) -> (SsoVerdict, Option<MatchedBy>, Option<AccountId>) {
        let m = match_account(org, c);
        (m.verdict, m.matched_by, m.account.map(|a| a.id))
    }

    #[test]
    fn a_linked_account_wins_over_every_other_candidate() {
        let org = OrgId::new_random();
        let linked = account(Some(org), "renamed@contoso.com");
        let other = account(Some(org), "ada@contoso.com");
        let got = verdict_of(
            org,
            Candidates {
                linked: Some(linked.clone()),
                by_external_id: Some(other.clone()),
                by_user_name: Some(other),
            },
        );
        assert_eq!(
            got,
            (SsoVerdict::SignedIn, Some(MatchedBy::Link), Some(linked.id))
        );
    }

    #[test]
    fn external_id_equal_to_oid_matches_before_the_user_name() {
        let org = OrgId::new_random();
        let by_oid = account(Some(org), "a@contoso.com");
        let by_name = account(Some(org), "b@contoso.com");
        let got = verdict_of(
            org,
            Candidates {
                linked: None,
                by_external_id: Some(by_oid.clone()),
                by_user_name: Some(by_name),
            },
        );
        assert_eq!(
            got,
            (
                SsoVerdict::SignedIn,
                Some(MatchedBy::ExternalId),
                Some(by_oid.id)
            )
        );
    }

    #[test]
    fn a_scim_managed_account_of_the_org_matches_by_user_name() {
        let org = OrgId::new_random();
        let a = account(Some(org), "ada@contoso.com");
        let got = verdict_of(
            org,
            Candidates {
                by_user_name: Some(a.clone()),
                ..Candidates::default()
            },
        );
        assert_eq!(
            got,
            (SsoVerdict::SignedIn, Some(MatchedBy::UserName), Some(a.id))
        );
    }

    #[test]
    fn an_account_added_by_hand_is_not_matched_by_its_user_name() {
        let org = OrgId::new_random();
        let mut a = account(Some(org), "ada@contoso.com");
        a.scim_managed = false;
        let got = verdict_of(
            org,
            Candidates {
                by_user_name: Some(a.clone()),
                ..Candidates::default()
            },
        );
        assert_eq!(got, (SsoVerdict::NotProvisioned, None, None));
        a.scim_managed = true;
        a.scim_deleted = true;
        let got = verdict_of(
            org,
            Candidates {
                by_user_name: Some(a),
                ..Candidates::default()
            },
        );
        assert_eq!(got, (SsoVerdict::NotProvisioned, None, None));
    }

    #[test]
    fn a_deactivated_account_is_found_and_refused() {
        let org = OrgId::new_random();
        for by in [MatchedBy::Link, MatchedBy::ExternalId, MatchedBy::UserName] {
            let mut a = account(Some(org), "ada@contoso.com");
            a.active = false;
            let c = match by {
                MatchedBy::Link => Candidates {
                    linked: Some(a.clone()),
                    ..Candidates::default()
                },
                MatchedBy::ExternalId => Candidates {
                    by_external_id: Some(a.clone()),
                    ..Candidates::default()
                },
                MatchedBy::UserName => Candidates {
                    by_user_name: Some(a.clone()),
                    ..Candidates::default()
                },
            };
            assert_eq!(
                verdict_of(org, c),
                (SsoVerdict::Deactivated, Some(by), Some(a.id))
            );
        }
    }

    #[test]
    fn nothing_found_is_not_provisioned() {
        let org = OrgId::new_random();
        assert_eq!(
            verdict_of(org, Candidates::default()),
            (SsoVerdict::NotProvisioned, None, None)
        );
    }

    #[test]
    fn an_independent_account_with_the_name_is_refused_not_adopted() {
        let org = OrgId::new_random();
        let got = verdict_of(
            org,
            Candidates {
                by_user_name: Some(account(None, "ada@contoso.com")),
                ..Candidates::default()
            },
        );
        assert_eq!(got, (SsoVerdict::Independent, None, None));
    }

    #[test]
    fn another_organizations_account_is_never_matched_by_any_route() {
        let org = OrgId::new_random();
        let elsewhere = account(Some(OrgId::new_random()), "ada@contoso.com");
        let got = verdict_of(
            org,
            Candidates {
                linked: Some(elsewhere.clone()),
                by_external_id: Some(elsewhere.clone()),
                by_user_name: Some(elsewhere),
            },
        );
        assert_eq!(got, (SsoVerdict::OtherOrganization, None, None));
    }

    #[test]
    fn verdicts_and_matches_read_back_from_their_names() {
        for v in SsoVerdict::ALL {
            assert_eq!(SsoVerdict::parse(v.as_str()).ok(), Some(*v));
        }
        for m in [MatchedBy::Link, MatchedBy::ExternalId, MatchedBy::UserName] {
            assert_eq!(MatchedBy::parse(m.as_str()).ok(), Some(m));
        }
    }
}
