//! `members` operations, recorded as membership changes instead of being applied to the resource.
//!
//! No operation needs the current member list: adds and removes are reported by value and a
//! replace reports the new set. When the caller did pass the group's `members`, they are used only
//! to drop adds of members already present and removes of members already absent, so re-sent
//! requests (Entra re-sends adds) produce an empty change.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::PatchOp;
use super::changes::MemberChanges;
use crate::error::ScimError;
use crate::filter::{CompValue, CompareOp, Filter};
use crate::keys;

/// Membership changes accumulated over the operations of one request. Each add or remove costs
/// O(1), so a request with tens of thousands of member values stays linear.
#[derive(Debug)]
pub(crate) struct MemberState {
    replaced: Option<OrderedSet>,
    added: OrderedSet,
    removed: OrderedSet,
    /// The members the caller passed in, if any.
    known: Option<HashSet<String>>,
}

/// Values in insertion order without duplicates, with O(1) insert, remove and lookup.
#[derive(Debug, Default)]
struct OrderedSet {
    slots: Vec<Option<String>>,
    positions: HashMap<String, usize>,
}

impl OrderedSet {
    fn insert(&mut self, v: String) {
        if !self.positions.contains_key(&v) {
            self.positions.insert(v.clone(), self.slots.len());
            self.slots.push(Some(v));
        }
    }

    fn remove(&mut self, v: &str) {
        if let Some(i) = self.positions.remove(v)
            && let Some(slot) = self.slots.get_mut(i)
        {
            *slot = None;
        }
    }

    fn into_vec(self) -> Vec<String> {
        self.slots.into_iter().flatten().collect()
    }
}

impl MemberState {
    pub fn new(resource: &Map<String, Value>) -> Self {
        let known = keys::get(resource, "members").map(|members| {
            member_values(members)
                .map(|values| values.into_iter().collect())
                .unwrap_or_default()
        });
        Self {
            replaced: None,
            added: OrderedSet::default(),
            removed: OrderedSet::default(),
            known,
        }
    }

    /// What the request's member operations amount to.
    pub fn into_changes(self) -> MemberChanges {
        MemberChanges {
            replaced: self.replaced.map(OrderedSet::into_vec),
            added: self.added.into_vec(),
            removed: self.removed.into_vec(),
        }
    }

    /// Applies one operation on `members` (`filter` from `members[...]`, `has_sub` for
    /// `members.display`-style paths).
    pub fn apply(
        &mut self,
        op: PatchOp,
        filter: Option<&Filter>,
        has_sub: bool,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        // Roster stores a membership, nothing about it: `display`, `type` and `$ref` are derived.
        if has_sub {
            return Ok(());
        }
        match (op, filter) {
            (PatchOp::Add, None) => {
                let values = member_values(required(op, value)?)?;
                values.into_iter().for_each(|v| self.add(v));
            }
            (PatchOp::Replace, None) => {
                let values = member_values(value.unwrap_or(&Value::Null))?;
                self.replace(values);
            }
            (PatchOp::Remove, None) => match value {
                // Entra: `{"op":"Remove","path":"members","value":[{"value":"<id>"}]}` removes
                // those members, never all of them.
                Some(v) if !v.is_null() => {
                    member_values(v)?.into_iter().for_each(|v| self.remove(v))
                }
                // RFC 7644 §3.5.2.2: no value and no filter removes every value.
                _ => self.replace(Vec::new()),
            },
            (PatchOp::Remove, Some(filter)) => {
                let values = selected_values(filter).ok_or_else(|| {
                    ScimError::invalid_filter(
                        "members can only be selected by id: members[value eq \"<id>\"], optionally joined with 'or'",
                    )
                })?;
                values.into_iter().for_each(|v| self.remove(v));
            }
            (PatchOp::Add | PatchOp::Replace, Some(_)) => {
                return Err(ScimError::invalid_path(
                    "members[...] selects members to remove; to add members use \"add\" with path \"members\" and the members in \"value\"",
                ));
            }
        }
        Ok(())
    }

    fn add(&mut self, v: String) {
        if let Some(set) = &mut self.replaced {
            set.insert(v);
            return;
        }
        // Undoes an earlier remove of the same request; a known member needs nothing more.
        self.removed.remove(&v);
        let present = self.known.as_ref().is_some_and(|k| k.contains(&v));
        if !present {
            self.added.insert(v);
        }
    }

    fn remove(&mut self, v: String) {
        if let Some(set) = &mut self.replaced {
            set.remove(&v);
            return;
        }
        self.added.remove(&v);
        let absent = self.known.as_ref().is_some_and(|k| !k.contains(&v));
        if !absent {
            self.removed.insert(v);
        }
    }

    fn replace(&mut self, values: Vec<String>) {
        let mut set = OrderedSet::default();
        for v in values {
            set.insert(v);
        }
        self.replaced = Some(set);
        self.added = OrderedSet::default();
        self.removed = OrderedSet::default();
    }
}

fn required(op: PatchOp, value: Option<&Value>) -> Result<&Value, ScimError> {
    value.filter(|v| !v.is_null()).ok_or_else(|| {
        ScimError::invalid_syntax(format!(
            "\"{}\" of members needs a \"value\": [{{\"value\": \"<id>\"}}]",
            op.as_str()
        ))
    })
}

/// The ids in a members value: `[{"value": "<id>", "$ref": null}]`, one such object, or bare ids.
fn member_values(value: &Value) -> Result<Vec<String>, ScimError> {
    let items = match value {
        Value::Array(items) => items.as_slice(),
        Value::Null => &[],
        single => std::slice::from_ref(single),
    };
    items
        .iter()
        .filter(|item| !item.is_null())
        .map(|item| {
            let id = match item {
                Value::Object(obj) => keys::get(obj, "value"),
                other => Some(other),
            };
            match id {
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                Some(Value::Number(n)) => Ok(n.to_string()),
                _ => Err(ScimError::invalid_value(
                    "each member needs a \"value\" with the id of a user or group, e.g. {\"value\": \"<id>\"}",
                )),
            }
        })
        .collect()
}

/// The ids selected by `value eq "<id>"` terms joined with `or`; `None` for any other filter.
fn selected_values(filter: &Filter) -> Option<Vec<String>> {
    match filter {
        Filter::Or(a, b) => {
            let mut values = selected_values(a)?;
            values.extend(selected_values(b)?);
            Some(values)
        }
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } if path.urn.is_none()
            && path.sub_attr.is_none()
            && path.attr.eq_ignore_ascii_case("value") =>
        {
            match value {
                CompValue::String(s) => Some(vec![s.clone()]),
                CompValue::Number(n) => Some(vec![n.to_string()]),
                CompValue::Null | CompValue::Bool(_) => None,
            }
        }
        _ => None,
    }
}
