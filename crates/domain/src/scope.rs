//! The tenant capability. Every store call that touches an organization's accounts, groups, log
//! or SCIM tokens takes an [`OrgScope`], and only the domain can mint one (after token
//! verification for SCIM, or an operator command checking the organization exists), so code cannot reach across organizations by accident. Store tests, which call a
//! store directly, mint theirs with `OrgScope::trusted`, which exists only with the `testing`
//! feature.

use uuid::Uuid;

use crate::{Change, OrgId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgScope {
    org_id: OrgId,
    /// The SCIM token a request's scope was minted for: the actor of what SCIM changes.
    token: Option<Uuid>,
}

impl OrgScope {
    /// Minted by the domain after it verified who is asking.
    pub(crate) fn new(org_id: OrgId) -> Self {
        Self {
            org_id,
            token: None,
        }
    }

    /// Minted after verifying the SCIM token `token`.
    pub(crate) fn for_token(org_id: OrgId, token: Uuid) -> Self {
        Self {
            org_id,
            token: Some(token),
        }
    }

    /// A SCIM change made under this scope.
    pub(crate) fn scim_change(&self) -> Change {
        Change::scim(self.token)
    }

    /// For store tests, which call a store directly. Only with the `testing` feature, which test
    /// code enables and a production build never does.
    #[cfg(any(test, feature = "testing"))]
    pub fn trusted(org_id: OrgId) -> Self {
        Self {
            org_id,
            token: None,
        }
    }

    pub fn org_id(&self) -> OrgId {
        self.org_id
    }
}
