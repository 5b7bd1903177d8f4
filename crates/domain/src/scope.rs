//! The tenant capability. Every store call that touches an organization's accounts, groups or log
//! takes an [`OrgScope`], and only token verification (SCIM), a console session or an operator
//! command can mint one, so code cannot reach across organizations by accident.

use crate::OrgId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgScope {
    org_id: OrgId,
}

impl OrgScope {
    /// Minted by the domain after it verified who is asking.
    pub(crate) fn new(org_id: OrgId) -> Self {
        Self { org_id }
    }

    /// For operator tools that act on an organization by id after checking it exists, and for
    /// store conformance tests. Request paths get their scope from authentication instead.
    pub fn trusted(org_id: OrgId) -> Self {
        Self { org_id }
    }

    pub fn org_id(&self) -> OrgId {
        self.org_id
    }
}
