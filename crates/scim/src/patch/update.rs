//! The new value of one attribute after one operation (RFC 7644 §3.5.2.1–3): given the current
//! value and the operation, compute what replaces it. Pure value-in, value-out; locating the
//! attribute in the resource and the mutability rules live in `apply`.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::PatchOp;
use super::value::{coerce_many, coerce_one};
use crate::error::ScimError;
use crate::filter::{CompValue, CompareOp, Filter, matches_element};
use crate::keys;
use crate::schema::{AttrType, Attribute, Mutability};

/// One operation on one attribute.
pub(crate) struct Update<'a> {
    pub op: PatchOp,
    pub attr: &'static Attribute,
    pub sub: Option<&'static Attribute>,
    pub filter: Option<&'a Filter>,
    /// `None` only for `remove`.
    pub value: Option<&'a Value>,
    /// The path as the client wrote it, for error details.
    pub path: &'a str,
}

impl Update<'_> {
    /// The attribute's value after the operation; `None` means unassigned.
    pub fn compute(&self, current: Option<Value>) -> Result<Option<Value>, ScimError> {
        let current = current.filter(|v| !v.is_null());
        match (self.filter, self.sub) {
            (Some(filter), _) => self.on_selected(filter, current),
            (None, Some(sub)) => self.on_sub_attribute(sub, current),
            (None, None) => self.on_attribute(current),
        }
    }

    /// `attr`: the whole attribute.
    fn on_attribute(&self, current: Option<Value>) -> Result<Option<Value>, ScimError> {
        let attr = self.attr;
        match (self.op, self.value) {
            // Entra's `{"op":"Remove","path":"emails","value":[{...}]}` removes those values only.
            (PatchOp::Remove, Some(v)) if attr.multi_valued && !v.is_null() => {
                let gone = coerce_many(attr, v)?;
                let index = Identities::of(attr, gone.iter());
                let mut elements = into_elements(current);
                elements.retain(|e| {
                    index
                        .find(attr, &gone, e, |g| same_element(attr, e, g))
                        .is_none()
                });
                Ok(non_empty_array(elements))
            }
            (PatchOp::Remove, _) | (_, None) => Ok(None),
            (op, Some(v)) if attr.multi_valued => {
                let given = coerce_many(attr, v)?;
                let mut elements = if op == PatchOp::Replace {
                    Vec::new()
                } else {
                    into_elements(current)
                };
                let mut written = Vec::with_capacity(given.len());
                let mut present = Identities::of(attr, elements.iter());
                for item in given {
                    // RFC 7644 §3.5.2.1: adding a value already present changes nothing, except
                    // the sub-attributes the client sends (e.g. `primary`).
                    match present.find(attr, &elements, &item, |e| same_element(attr, e, &item)) {
                        Some(i) => {
                            merge_identified(&mut elements[i], item);
                            written.push(i);
                        }
                        None => {
                            present.insert(attr, &item, elements.len());
                            elements.push(item);
                            written.push(elements.len() - 1);
                        }
                    }
                }
                keep_one_primary(&mut elements, &written);
                Ok(non_empty_array(elements))
            }
            // RFC 7644 §3.5.2.3: a complex value replaces the sub-attributes it names and leaves
            // the others; `add` on a single-valued attribute behaves the same way.
            (_, Some(v)) if attr.kind == AttrType::Complex => {
                let Some(given) = coerce_one(attr, v)? else {
                    return Ok(None);
                };
                let mut merged = current
                    .filter(Value::is_object)
                    .unwrap_or_else(|| Value::Object(Map::new()));
                merge_into(&mut merged, given);
                unassign_nulls(attr, &mut merged, v);
                Ok(non_empty_object(merged))
            }
            (_, Some(v)) => coerce_one(attr, v),
        }
    }

    /// `attr.sub` without a filter: the sub-attribute of a complex attribute, or of every element
    /// of a multi-valued one.
    fn on_sub_attribute(
        &self,
        sub: &'static Attribute,
        current: Option<Value>,
    ) -> Result<Option<Value>, ScimError> {
        if !self.attr.multi_valued {
            let mut obj = current
                .filter(Value::is_object)
                .unwrap_or_else(|| Value::Object(Map::new()));
            self.set_sub(&mut obj, sub)?;
            return Ok(non_empty_object(obj));
        }
        let mut elements = into_elements(current);
        if elements.is_empty() {
            if self.op == PatchOp::Remove {
                return Ok(None);
            }
            elements.push(Value::Object(Map::new()));
        }
        for element in &mut elements {
            self.set_sub(element, sub)?;
        }
        let written: Vec<usize> = (0..elements.len()).collect();
        keep_one_primary(&mut elements, &written);
        Ok(non_empty_array(drop_empty(elements)))
    }

    /// `attr[filter]` and `attr[filter].sub`.
    fn on_selected(
        &self,
        filter: &Filter,
        current: Option<Value>,
    ) -> Result<Option<Value>, ScimError> {
        let attr = self.attr;
        let mut elements = into_elements(current);
        let selected: Vec<usize> = elements
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.as_object()
                    .is_some_and(|o| matches_element(filter, attr, o))
            })
            .map(|(i, _)| i)
            .collect();
        if self.op == PatchOp::Remove {
            // RFC 7644 §3.5.2.2: a filter that matches nothing removes nothing, successfully.
            match self.sub {
                None => {
                    let mut gone = vec![false; elements.len()];
                    for &i in &selected {
                        gone[i] = true;
                    }
                    let mut i = 0;
                    elements.retain(|_| {
                        i += 1;
                        !gone[i - 1]
                    });
                }
                Some(sub) => {
                    for &i in &selected {
                        self.set_sub(&mut elements[i], sub)?;
                    }
                }
            }
            return Ok(non_empty_array(drop_empty(elements)));
        }
        let written = if selected.is_empty() {
            elements.push(self.new_selected_element(filter)?);
            vec![elements.len() - 1]
        } else {
            for &i in &selected {
                match self.sub {
                    Some(sub) => self.set_sub(&mut elements[i], sub)?,
                    None => self.update_element(&mut elements[i])?,
                }
            }
            selected
        };
        keep_one_primary(&mut elements, &written);
        Ok(non_empty_array(drop_empty(elements)))
    }

    /// `replace` of `attr[filter]` replaces each selected element; `add` merges into it.
    fn update_element(&self, element: &mut Value) -> Result<(), ScimError> {
        let given = match self.value {
            Some(v) => coerce_one(self.attr, v)?,
            None => None,
        };
        match (self.op, given) {
            (_, None) => *element = Value::Object(Map::new()),
            (PatchOp::Replace, Some(g)) => *element = g,
            (_, Some(g)) => merge_into(element, g),
        }
        Ok(())
    }

    /// No element matches `attr[filter]` in an `add` or `replace`. RFC 7644 §3.5.2.3 answers
    /// `noTarget` for `replace`, but Entra sends `replace` of `emails[type eq "work"].value` for
    /// users who have no work email yet and retries a 400 for weeks: when the filter is a plain
    /// `sub eq value` (or several joined with `and`) it describes the element to create, so create
    /// it — `{"type": "work", "value": ...}`. Any other filter cannot, and is `noTarget`.
    fn new_selected_element(&self, filter: &Filter) -> Result<Value, ScimError> {
        let Some(seed) = element_from_filter(self.attr, filter) else {
            return Err(ScimError::no_target(format!(
                "no value of '{}' matches the filter of path '{}'",
                self.attr.name, self.path
            )));
        };
        let mut element = Value::Object(seed);
        match self.sub {
            Some(sub) => self.set_sub(&mut element, sub)?,
            None => {
                if let Some(g) = self
                    .value
                    .map(|v| coerce_one(self.attr, v))
                    .transpose()?
                    .flatten()
                {
                    merge_into(&mut element, g);
                }
            }
        }
        Ok(element)
    }

    /// Sets or removes `sub` in one complex value, refusing to change an immutable one.
    fn set_sub(&self, element: &mut Value, sub: &'static Attribute) -> Result<(), ScimError> {
        let Some(obj) = element.as_object_mut() else {
            return Ok(());
        };
        let new = match (self.op, self.value) {
            (PatchOp::Remove, _) | (_, None) => None,
            (_, Some(v)) if sub.multi_valued => Some(Value::Array(coerce_many(sub, v)?))
                .filter(|a| a.as_array().is_some_and(|a| !a.is_empty())),
            (_, Some(v)) => coerce_one(sub, v)?,
        };
        let old = keys::get(obj, sub.name).filter(|v| !v.is_null());
        if sub.mutability == Mutability::Immutable && old.is_some() && old != new.as_ref() {
            return Err(ScimError::mutability(format!(
                "'{}.{}' is immutable: it cannot be changed once set",
                self.attr.name, sub.name
            )));
        }
        match new {
            Some(v) => keys::set(obj, sub.name, v),
            None => {
                keys::remove(obj, sub.name);
            }
        }
        Ok(())
    }
}

/// The element described by `a eq x and b eq y` on sub-attributes of `attr`; `None` for any other
/// filter.
fn element_from_filter(attr: &Attribute, filter: &Filter) -> Option<Map<String, Value>> {
    match filter {
        Filter::And(a, b) => {
            let mut left = element_from_filter(attr, a)?;
            left.extend(element_from_filter(attr, b)?);
            Some(left)
        }
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } if path.urn.is_none() && path.sub_attr.is_none() => {
            let sub = attr.sub_attribute(&path.attr)?;
            let json = match value {
                CompValue::String(s) => Value::String(s.clone()),
                CompValue::Bool(b) => Value::Bool(*b),
                CompValue::Number(n) => Value::Number(n.clone()),
                CompValue::Null => return None,
            };
            let coerced = coerce_one(sub, &json).ok()??;
            Some(Map::from_iter([(sub.name.to_owned(), coerced)]))
        }
        _ => None,
    }
}

fn into_elements(current: Option<Value>) -> Vec<Value> {
    match current {
        Some(Value::Array(items)) => items.into_iter().filter(|v| !v.is_null()).collect(),
        Some(single) => vec![single],
        None => Vec::new(),
    }
}

fn drop_empty(elements: Vec<Value>) -> Vec<Value> {
    elements
        .into_iter()
        .filter(|e| !e.as_object().is_some_and(Map::is_empty))
        .collect()
}

fn non_empty_array(elements: Vec<Value>) -> Option<Value> {
    (!elements.is_empty()).then_some(Value::Array(elements))
}

fn non_empty_object(obj: Value) -> Option<Value> {
    (!obj.as_object().is_some_and(Map::is_empty)).then_some(obj)
}

/// Overlays the keys of `given` on `target` when both are objects; otherwise replaces.
fn merge_into(target: &mut Value, given: Value) {
    match (target.as_object_mut(), given) {
        (Some(t), Value::Object(g)) => {
            for (k, v) in g {
                keys::set(t, &k, v);
            }
        }
        (_, g) => *target = g,
    }
}

/// Merges a re-sent value into the value it identifies: the identity (`value`, `type`) keeps its
/// stored spelling, the other sub-attributes sent win.
fn merge_identified(existing: &mut Value, mut given: Value) {
    if let Some(g) = given.as_object_mut() {
        keys::remove(g, "value");
        keys::remove(g, "type");
        merge_into(existing, given);
    }
}

/// Explicit `null` sub-attributes in a complex value unassign them (RFC 7643 §2.5).
fn unassign_nulls(attr: &Attribute, merged: &mut Value, raw: &Value) {
    let (Some(m), Some(raw)) = (merged.as_object_mut(), raw.as_object()) else {
        return;
    };
    for (k, v) in raw {
        if v.is_null()
            && let Some(sub) = attr.sub_attribute(k)
        {
            keys::remove(m, sub.name);
        }
    }
}

/// The values of a multi-valued attribute indexed by what identifies them (see
/// [`same_element`]), so matching n values against m others costs O(n + m), not O(n × m): a
/// request may carry up to [`MAX_VALUES`](crate::schema::MAX_VALUES) of them.
struct Identities(HashMap<Identity, Vec<usize>>);

/// What two values that are the same value always share: their `value` folded per `caseExact`
/// (complex values that have one), their number of keys (complex values without one, compared
/// whole), or the simple value folded.
#[derive(PartialEq, Eq, Hash)]
enum Identity {
    Value(String),
    Whole(usize),
}

impl Identities {
    fn of<'v>(attr: &Attribute, values: impl Iterator<Item = &'v Value>) -> Self {
        let mut index = Self(HashMap::new());
        for (i, value) in values.enumerate() {
            index.insert(attr, value, i);
        }
        index
    }

    fn insert(&mut self, attr: &Attribute, value: &Value, position: usize) {
        self.0
            .entry(identity(attr, value))
            .or_default()
            .push(position);
    }

    /// The first indexed value `same` accepts beside `other`, among those sharing its identity.
    fn find(
        &self,
        attr: &Attribute,
        indexed: &[Value],
        other: &Value,
        same: impl Fn(&Value) -> bool,
    ) -> Option<usize> {
        self.0
            .get(&identity(attr, other))?
            .iter()
            .copied()
            .find(|&i| indexed.get(i).is_some_and(&same))
    }
}

fn identity(attr: &Attribute, value: &Value) -> Identity {
    match (value.as_object(), attr.sub_attribute("value")) {
        (Some(obj), Some(value_attr)) => match keys::get(obj, "value") {
            Some(v) => Identity::Value(folded(value_attr, v)),
            None => Identity::Whole(obj.len()),
        },
        (Some(obj), None) => Identity::Whole(obj.len()),
        (None, _) => Identity::Value(folded(attr, value)),
    }
}

/// A scalar as text that is equal for equal values: strings folded ([`crate::text::fold`]) unless
/// `caseExact`, other values as JSON (so `"5"` and `5` stay apart).
fn folded(attr: &Attribute, value: &Value) -> String {
    match value {
        Value::String(s) if !attr.case_exact => format!("s{}", crate::text::fold(s)),
        Value::String(s) => format!("s{s}"),
        other => format!("j{other}"),
    }
}

/// Two values of a multi-valued attribute are the same value when their `value` (and `type`,
/// when the new one has a type) are equal, strings compared per `caseExact`; simple values when
/// they are equal.
fn same_element(attr: &Attribute, existing: &Value, new: &Value) -> bool {
    match (
        existing.as_object(),
        new.as_object(),
        attr.sub_attribute("value"),
    ) {
        (Some(e), Some(n), Some(value_attr)) if keys::get(n, "value").is_some() => {
            let same_value = same_scalar(value_attr, keys::get(e, "value"), keys::get(n, "value"));
            let same_type = match (attr.sub_attribute("type"), keys::get(n, "type")) {
                (Some(type_attr), Some(t)) => same_scalar(type_attr, keys::get(e, "type"), Some(t)),
                _ => true,
            };
            same_value && same_type
        }
        (Some(_), Some(_), _) => existing == new,
        _ => same_scalar(attr, Some(existing), Some(new)),
    }
}

fn same_scalar(attr: &Attribute, a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(Value::String(x)), Some(Value::String(y))) if !attr.case_exact => {
            crate::text::fold(x) == crate::text::fold(y)
        }
        (x, y) => x == y,
    }
}

/// RFC 7643 §2.4: `primary: true` appears at most once. The elements just written win.
fn keep_one_primary(elements: &mut [Value], written: &[usize]) {
    let is_primary = |v: &Value| {
        v.as_object()
            .and_then(|o| keys::get(o, "primary"))
            .is_some_and(|p| p == &Value::Bool(true))
    };
    let Some(&winner) = written
        .iter()
        .rev()
        .find(|&&i| elements.get(i).is_some_and(is_primary))
    else {
        return;
    };
    for (i, element) in elements.iter_mut().enumerate() {
        if i != winner
            && is_primary(element)
            && let Some(obj) = element.as_object_mut()
        {
            keys::set(obj, "primary", Value::Bool(false));
        }
    }
}
