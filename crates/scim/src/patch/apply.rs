//! Applying a [`PatchRequest`] to a resource (RFC 7644 §3.5.2): resolving each target, the
//! mutability rules, path-less objects, and the [`ChangeSet`].
//!
//! Mutability (RFC 7644 §3.5.2, RFC 7643 §7):
//! - `readOnly` attributes and sub-attributes are ignored, not refused: clients echo `id` and
//!   `meta` back, and Roster answers with the server's values anyway.
//! - `immutable` attributes may be set while they have no value, never changed: 400 `mutability`.
//! - A `required` attribute cannot be removed or set to `null`: 400 `invalidValue`, the `scimType`
//!   RFC 7644 §3.12 gives to "a required value was missing" (§3.5.2.2 names no code of its own).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::changes::{ActiveChange, ChangeSet, active_of, changed_attributes};
use super::members::MemberState;
use super::parse::at_operation;
use super::update::Update;
use super::{PatchOp, PatchOperation, PatchRequest};
use crate::error::ScimError;
use crate::filter::{ResolvedPath, validate_value_filter};
use crate::keys;
use crate::path::{PatchPath, parse_path};
use crate::schema::{AttrType, Mutability, ResourceType, Schema};

/// Applies `req` to `resource` and returns the new resource and what changed.
///
/// All or nothing: the first failing operation fails the request, with a detail that names it
/// (`Operations[2]: ...`). `members` is never written to the returned resource (see
/// [`ChangeSet::members`]); pass the group without its members.
pub fn apply_patch(
    rt: &ResourceType,
    resource: &Map<String, Value>,
    req: &PatchRequest,
) -> Result<(Map<String, Value>, ChangeSet), ScimError> {
    let mut patcher = Patcher {
        rt,
        resource: resource.clone(),
        members: MemberState::new(resource),
        touched_extensions: BTreeSet::new(),
    };
    for (i, op) in req.operations.iter().enumerate() {
        patcher.operation(op).map_err(|e| at_operation(i, e))?;
    }
    patcher.tidy_extensions();
    let Patcher {
        resource: out,
        members,
        ..
    } = patcher;
    let members = members.into_changes();
    let mut attributes = changed_attributes(rt, resource, &out);
    if !members.is_empty() {
        attributes.insert("members".to_owned());
    }
    let (old, new) = (active_of(resource), active_of(&out));
    let changes = ChangeSet {
        attributes,
        active: (old != new).then_some(ActiveChange { old, new }),
        members,
    };
    Ok((out, changes))
}

struct Patcher<'r> {
    rt: &'r ResourceType,
    resource: Map<String, Value>,
    members: MemberState,
    /// Extension schemas written to, whose objects and `schemas` entries are tidied at the end.
    touched_extensions: BTreeSet<&'static str>,
}

impl Patcher<'_> {
    fn operation(&mut self, op: &PatchOperation) -> Result<(), ScimError> {
        let Some(path) = &op.path else {
            if op.op == PatchOp::Remove {
                return Err(ScimError::no_target(
                    "\"remove\" needs a \"path\" naming what to remove",
                ));
            }
            let obj = object_value(op)?;
            return self.object(op.op, None, obj);
        };
        if let Some(schema) = self.schema_named(path) {
            return self.whole_schema(op, schema);
        }
        let resolved = resolve(self.rt, path)?;
        self.at(op.op, &resolved, path, op.value.as_ref())
    }

    /// A path naming a schema (`"path": "urn:...:enterprise:2.0:User"`) targets all of its
    /// attributes at once.
    fn schema_named(&self, path: &PatchPath) -> Option<&'static Schema> {
        let urn = path.attr.urn.as_deref()?;
        if path.filter.is_some() || path.attr.sub_attr.is_some() {
            return None;
        }
        let full = format!("{urn}:{}", path.attr.attr);
        if full.eq_ignore_ascii_case(self.rt.schema.id) {
            Some(self.rt.schema)
        } else {
            self.rt.extension(&full)
        }
    }

    fn whole_schema(
        &mut self,
        op: &PatchOperation,
        schema: &'static Schema,
    ) -> Result<(), ScimError> {
        if op.op != PatchOp::Remove {
            let obj = object_value(op)?;
            return self.object(op.op, Some(schema), obj);
        }
        let required = self
            .rt
            .extensions
            .iter()
            .any(|(s, req)| *req && s.id == schema.id);
        if schema.id == self.rt.schema.id || required {
            return Err(ScimError::invalid_value(format!(
                "the schema {} is required and cannot be removed",
                schema.id
            )));
        }
        keys::remove(&mut self.resource, schema.id);
        self.touched_extensions.insert(schema.id);
        Ok(())
    }

    /// A path-less `add`/`replace`: every key of the object is a path — `displayName`,
    /// `name.givenName`, `urn:...:User:employeeNumber` — or a schema URN holding an object of its
    /// attributes. Keys that name no attribute are ignored, as unknown attributes are on POST.
    fn object(
        &mut self,
        op: PatchOp,
        schema: Option<&'static Schema>,
        obj: &Map<String, Value>,
    ) -> Result<(), ScimError> {
        for (key, value) in obj {
            if schema.is_none() {
                if key.eq_ignore_ascii_case("schemas") {
                    continue;
                }
                if let Some(nested) = self.schema_of_key(key) {
                    if let Value::Object(inner) = value {
                        self.object(op, Some(nested), inner)?;
                    }
                    continue;
                }
            }
            let Ok(mut path) = parse_path(key) else {
                continue;
            };
            if let Some(s) = schema
                && path.attr.urn.is_none()
                && s.id != self.rt.schema.id
            {
                path.attr.urn = Some(s.id.to_owned());
            }
            if path.attr.resolve(self.rt).is_none() {
                continue;
            }
            let resolved = resolve(self.rt, &path)?;
            self.at(op, &resolved, &path, Some(value))?;
        }
        Ok(())
    }

    fn schema_of_key(&self, key: &str) -> Option<&'static Schema> {
        if key.eq_ignore_ascii_case(self.rt.schema.id) {
            Some(self.rt.schema)
        } else {
            self.rt.extension(key)
        }
    }

    /// One operation on one resolved attribute.
    fn at(
        &mut self,
        op: PatchOp,
        resolved: &ResolvedPath,
        path: &PatchPath,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        let attr = resolved.attribute;
        let sub = resolved.sub_attribute;
        if is_members(resolved) {
            return self
                .members
                .apply(op, path.filter.as_ref(), sub.is_some(), value);
        }
        if attr.mutability == Mutability::ReadOnly
            || sub.is_some_and(|s| s.mutability == Mutability::ReadOnly)
        {
            return Ok(());
        }
        let path_text = path.to_string();
        if op != PatchOp::Remove && value.is_none() {
            return Err(ScimError::invalid_syntax(format!(
                "\"{}\" of '{path_text}' needs a \"value\"",
                op.as_str()
            )));
        }
        let update = Update {
            op,
            attr,
            sub,
            filter: path.filter.as_ref(),
            value,
            path: &path_text,
        };
        if resolved.in_extension {
            self.touched_extensions.insert(resolved.schema.id);
        }
        let Some(container) = container(&mut self.resource, resolved, op != PatchOp::Remove) else {
            return Ok(()); // removing from an extension the resource does not have
        };
        let before = keys::remove(container, attr.name).filter(|v| !v.is_null());
        let after = update.compute(before.clone())?;
        if attr.mutability == Mutability::Immutable && before.is_some() && after != before {
            return Err(ScimError::mutability(format!(
                "'{}' is immutable: it cannot be changed once set",
                attr.name
            )));
        }
        if attr.required && before.is_some() && after.is_none() {
            return Err(ScimError::invalid_value(format!(
                "'{}' is required and cannot be removed",
                attr.name
            )));
        }
        if let Some(Value::Array(values)) = &after {
            attr.check_value_count(values.len(), attr.name)?;
        }
        if let Some(after) = after {
            container.insert(attr.name.to_owned(), after);
        }
        Ok(())
    }

    /// Drops extension objects left empty and keeps `schemas` listing exactly the extensions the
    /// resource carries (RFC 7643 §3), for extensions this request touched.
    fn tidy_extensions(&mut self) {
        for &id in &self.touched_extensions {
            let present = match keys::get(&self.resource, id) {
                Some(Value::Object(obj)) if !obj.is_empty() => true,
                Some(_) => {
                    keys::remove(&mut self.resource, id);
                    false
                }
                None => false,
            };
            let Some(Value::Array(schemas)) = self.resource.get_mut("schemas") else {
                continue;
            };
            let listed = schemas
                .iter()
                .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(id)));
            if present && !listed {
                schemas.push(Value::String(id.to_owned()));
            } else if !present && listed {
                schemas.retain(|s| !s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(id)));
            }
        }
    }
}

/// The group's `members`, which [`MemberState`] records instead of writing.
fn is_members(resolved: &ResolvedPath) -> bool {
    !resolved.in_extension
        && resolved.attribute.multi_valued
        && resolved.attribute.kind == AttrType::Complex
        && resolved.attribute.name.eq_ignore_ascii_case("members")
}

/// The value object of a path-less `add`/`replace`.
fn object_value(op: &PatchOperation) -> Result<&Map<String, Value>, ScimError> {
    match &op.value {
        Some(Value::Object(obj)) => Ok(obj),
        Some(_) => Err(ScimError::invalid_value(format!(
            "\"{}\" without a \"path\" needs a \"value\" object of attributes, e.g. {{\"active\": false}}",
            op.op.as_str()
        ))),
        None => Err(ScimError::invalid_syntax(format!(
            "\"{}\" without a \"path\" needs a \"value\" object of attributes",
            op.op.as_str()
        ))),
    }
}

/// Resolves a PATCH path, with `invalidPath` details that say what is wrong.
fn resolve(rt: &ResourceType, path: &PatchPath) -> Result<ResolvedPath, ScimError> {
    let mut top = path.attr.clone();
    top.sub_attr = None;
    let Some(resolved) = top.resolve(rt) else {
        return Err(ScimError::invalid_path(format!(
            "unknown attribute '{top}' in path '{path}' for resource type {}",
            rt.name
        )));
    };
    let resolved = match &path.attr.sub_attr {
        None => resolved,
        Some(sub) => {
            let Some(sub_attribute) = resolved.attribute.sub_attribute(sub) else {
                return Err(ScimError::invalid_path(format!(
                    "'{}' has no sub-attribute '{sub}' (path '{path}')",
                    resolved.attribute.name
                )));
            };
            ResolvedPath {
                sub_attribute: Some(sub_attribute),
                ..resolved
            }
        }
    };
    if let Some(filter) = &path.filter {
        let attr = resolved.attribute;
        if !(attr.multi_valued && attr.kind == AttrType::Complex) {
            return Err(ScimError::invalid_path(format!(
                "'{}' is not a multi-valued complex attribute: path '{path}' cannot filter it",
                attr.name
            )));
        }
        validate_value_filter(filter, rt, attr)?;
    }
    Ok(resolved)
}

/// The object holding the attribute: the resource, or its extension object (created for writes).
fn container<'m>(
    resource: &'m mut Map<String, Value>,
    resolved: &ResolvedPath,
    create: bool,
) -> Option<&'m mut Map<String, Value>> {
    if !resolved.in_extension {
        return Some(resource);
    }
    let id = resolved.schema.id;
    let key = match keys::find_key(resource, id) {
        Some(k) => k.clone(),
        None if create => id.to_owned(),
        None => return None,
    };
    let slot = resource
        .entry(key)
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        if !create {
            return None;
        }
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}
