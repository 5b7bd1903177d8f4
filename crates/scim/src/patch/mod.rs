//! SCIM PATCH (RFC 7644 §3.5.2) as a pure function: [`parse_patch`] reads a PatchOp body,
//! [`apply_patch`] applies it to a resource and reports a [`ChangeSet`] the domain acts on.
//!
//! Both dialects of Microsoft Entra ID are accepted (capitalised ops, booleans as strings,
//! path-less objects whose keys are dotted or URN-qualified paths, member removal by value), as
//! well as Okta's and the RFC's forms.
//!
//! Group membership is never applied to the resource. `members` operations are reported in
//! [`ChangeSet::members`] as the exact values added and removed, or the new set for a wholesale
//! replace, so a group with 100,000 members is patched without loading them; the domain applies
//! the change to SCIM-managed memberships only.

mod apply;
mod changes;
mod members;
mod parse;
mod update;
mod value;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests_entra;
#[cfg(test)]
mod tests_rfc;
#[cfg(test)]
mod tests_size;

pub use apply::apply_patch;
pub use changes::{ActiveChange, ChangeSet, MemberChanges};
pub use parse::parse_patch;

use serde_json::Value;

use crate::path::PatchPath;

/// The `schemas` URN of a PATCH request body (RFC 7644 §3.5.2).
pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// `op` of RFC 7644 §3.5.2, read ignoring case (Entra sends `Add`, `Replace`, `Remove`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchOp {
    Add,
    Remove,
    Replace,
}

impl PatchOp {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Remove => "remove",
            Self::Replace => "replace",
        }
    }
}

/// One element of `Operations`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    pub op: PatchOp,
    /// `None` when the request has no `path` (or `"path": null`): the target is the resource.
    pub path: Option<PatchPath>,
    /// `None` when the request has no `value`.
    pub value: Option<Value>,
}

/// A parsed PatchOp request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PatchRequest {
    pub operations: Vec<PatchOperation>,
}
