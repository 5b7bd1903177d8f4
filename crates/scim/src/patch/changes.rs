//! What a PATCH changed, in the terms the domain acts on: seat checks on reactivation, membership
//! rows for SCIM-managed members, the provisioning log.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::keys;
use crate::schema::ResourceType;

/// The outcome of [`apply_patch`](super::apply_patch) beside the new resource.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChangeSet {
    /// Top-level attributes whose value changed, by canonical name; extension attributes are
    /// URN-qualified (`urn:...:enterprise:2.0:User:employeeNumber`). Includes `members` when
    /// [`Self::members`] is not empty.
    pub attributes: BTreeSet<String>,
    /// Set when `active` changed.
    pub active: Option<ActiveChange>,
    /// Membership changes; never applied to the resource itself.
    pub members: MemberChanges,
}

impl ChangeSet {
    /// Nothing changed: the caller may skip the write (and keep the version).
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty() && self.active.is_none() && self.members.is_empty()
    }
}

/// `active` before and after; `None` means the attribute had (or has) no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveChange {
    pub old: Option<bool>,
    pub new: Option<bool>,
}

impl ActiveChange {
    /// The account goes from inactive to active: the domain must check the seat limit.
    pub fn is_reactivation(&self) -> bool {
        self.old == Some(false) && self.new != Some(false)
    }

    /// The account goes from active (or unset, which SCIM reads as active) to inactive.
    pub fn is_deactivation(&self) -> bool {
        self.old != Some(false) && self.new == Some(false)
    }
}

/// Membership changes of a group, by member `value` (the member's id).
///
/// Either `replaced` is `Some` — the request set the members wholesale, and later operations of
/// the same request are already folded into that set — or `added` and `removed` list exactly what
/// to insert and delete (disjoint, in request order, without duplicates). Applying them is
/// idempotent: adding a present member or removing an absent one changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberChanges {
    pub replaced: Option<Vec<String>>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl MemberChanges {
    pub fn is_empty(&self) -> bool {
        self.replaced.is_none() && self.added.is_empty() && self.removed.is_empty()
    }
}

/// Compares every attribute of `rt` between `old` and `new`. A `null` counts as no value.
pub(crate) fn changed_attributes(
    rt: &ResourceType,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> BTreeSet<String> {
    let mut changed = BTreeSet::new();
    let core = rt
        .schema
        .attributes
        .iter()
        .chain(crate::schema::COMMON_ATTRIBUTES.iter());
    for attr in core {
        if value_of(old, attr.name) != value_of(new, attr.name) {
            changed.insert(attr.name.to_owned());
        }
    }
    for (schema, _) in rt.extensions {
        let old_ext = value_of(old, schema.id).and_then(Value::as_object);
        let new_ext = value_of(new, schema.id).and_then(Value::as_object);
        for attr in schema.attributes {
            let before = old_ext.and_then(|o| value_of(o, attr.name));
            let after = new_ext.and_then(|o| value_of(o, attr.name));
            if before != after {
                changed.insert(format!("{}:{}", schema.id, attr.name));
            }
        }
    }
    changed
}

fn value_of<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    keys::get(obj, name).filter(|v| !v.is_null())
}

/// `active` as stored, tolerating the strings Entra sends.
pub(crate) fn active_of(obj: &Map<String, Value>) -> Option<bool> {
    match keys::get(obj, "active") {
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}
