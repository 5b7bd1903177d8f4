//! Evaluating a filter against a JSON resource, in memory (RFC 7644 §3.4.2.2).
//!
//! The rules, which a filter the domain lowers to SQL must keep (it lowers only tests that SQL
//! answers the same way):
//! - Attribute names ignore case; string values ignore case unless the attribute is `caseExact`,
//!   comparing [`crate::text::fold`] keys (NFC and full Unicode case folding).
//! - A multi-valued attribute matches if any of its values matches.
//! - A complex attribute compared without a sub-attribute is compared through its `value`
//!   sub-attribute (`emails co "@x.org"`, Entra's `members eq "<id>"`).
//! - `eq null` matches when the attribute has no value; `ne null` when it has one. `ne x` matches
//!   when the attribute has no value or any value differs from `x`.
//! - `pr` matches a non-empty value: not null, not `""`, not `[]`, not `{}`.
//! - `gt`/`ge`/`lt`/`le` compare strings lexicographically, numbers numerically, `dateTime`s as
//!   instants; on booleans they never match.
//! - Extension attributes live under their schema URN key:
//!   `resource["urn:...:enterprise:2.0:User"]["employeeNumber"]`.
//! - Unknown attributes match nothing (validate filters first to answer 400 instead).

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use crate::keys;
use crate::schema::{AttrType, Attribute, ResourceType};
use crate::text;

/// Does `resource` match `filter`?
pub fn matches(filter: &Filter, rt: &ResourceType, resource: &Map<String, Value>) -> bool {
    eval(filter, Scope::Resource(rt), resource)
}

/// Does one element of the complex attribute `parent` match the filter of `parent[filter]`?
pub(crate) fn matches_element(
    filter: &Filter,
    parent: &'static Attribute,
    element: &Map<String, Value>,
) -> bool {
    eval(filter, Scope::Element(parent), element)
}

/// What paths are resolved against: the resource type, or inside `attr[...]` the complex
/// attribute whose element is being tested.
#[derive(Clone, Copy)]
enum Scope<'r> {
    Resource(&'r ResourceType),
    Element(&'static Attribute),
}

fn eval(filter: &Filter, scope: Scope<'_>, obj: &Map<String, Value>) -> bool {
    match filter {
        Filter::And(a, b) => eval(a, scope, obj) && eval(b, scope, obj),
        Filter::Or(a, b) => eval(a, scope, obj) || eval(b, scope, obj),
        Filter::Not(inner) => !eval(inner, scope, obj),
        Filter::Present(path) => {
            lookup(path, scope, obj).is_some_and(|(_, values)| values.into_iter().any(non_empty))
        }
        Filter::Compare { path, op, value } => {
            let Some((attr, values)) = lookup(path, scope, obj) else {
                return false;
            };
            let (attr, values) = if attr.kind == AttrType::Complex {
                let Some(value_attr) = attr.sub_attribute("value") else {
                    return false;
                };
                let subs = values
                    .into_iter()
                    .filter_map(|v| v.as_object().and_then(|o| keys::get(o, "value")))
                    .collect();
                (value_attr, flatten(subs))
            } else {
                (attr, values)
            };
            compare_all(attr, &values, *op, value)
        }
        Filter::ValuePath { attr, filter } => {
            let Some((def, values)) = lookup(attr, scope, obj) else {
                return false;
            };
            values
                .into_iter()
                .filter_map(Value::as_object)
                .any(|element| eval(filter, Scope::Element(def), element))
        }
    }
}

/// The definition and the values (multi-valued attributes flattened, nulls dropped) at `path`.
fn lookup<'v>(
    path: &AttrPath,
    scope: Scope<'_>,
    obj: &'v Map<String, Value>,
) -> Option<(&'static Attribute, Vec<&'v Value>)> {
    match scope {
        Scope::Element(parent) => {
            let def = path.resolve_in(parent)?;
            Some((def, flatten(keys::get(obj, def.name).into_iter().collect())))
        }
        Scope::Resource(rt) => {
            let resolved = path.resolve(rt)?;
            let container = if resolved.in_extension {
                keys::get(obj, resolved.schema.id)?.as_object()?
            } else {
                obj
            };
            let top = flatten(
                keys::get(container, resolved.attribute.name)
                    .into_iter()
                    .collect(),
            );
            match resolved.sub_attribute {
                None => Some((resolved.attribute, top)),
                Some(sub) => {
                    let subs = top
                        .into_iter()
                        .filter_map(|v| v.as_object().and_then(|o| keys::get(o, sub.name)))
                        .collect();
                    Some((sub, flatten(subs)))
                }
            }
        }
    }
}

/// Spreads arrays into their elements and drops nulls.
fn flatten(values: Vec<&Value>) -> Vec<&Value> {
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        match v {
            Value::Array(items) => out.extend(items.iter().filter(|i| !i.is_null())),
            Value::Null => {}
            other => out.push(other),
        }
    }
    out
}

fn non_empty(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => items.iter().any(non_empty),
        Value::Object(map) => map.values().any(non_empty),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

fn compare_all(attr: &Attribute, values: &[&Value], op: CompareOp, expected: &CompValue) -> bool {
    if *expected == CompValue::Null {
        return match op {
            CompareOp::Eq => values.is_empty(),
            CompareOp::Ne => !values.is_empty(),
            _ => false,
        };
    }
    match op {
        CompareOp::Ne => {
            values.is_empty()
                || values
                    .iter()
                    .any(|v| !compare(attr, v, CompareOp::Eq, expected))
        }
        _ => values.iter().any(|v| compare(attr, v, op, expected)),
    }
}

/// One value against the filter's value, under the attribute's type.
fn compare(attr: &Attribute, actual: &Value, op: CompareOp, expected: &CompValue) -> bool {
    match attr.kind {
        AttrType::Boolean => {
            op == CompareOp::Eq
                && as_bool_value(actual).is_some_and(|a| Some(a) == as_bool(expected))
        }
        AttrType::Integer | AttrType::Decimal => {
            if op.is_substring() {
                return false;
            }
            match (number_of(actual), number_in(expected)) {
                (Some(a), Some(b)) => ordering_matches(op, compare_numbers(&a, &b)),
                _ => false,
            }
        }
        AttrType::DateTime => {
            let (Some(a), Some(b)) = (actual.as_str(), text_of(expected)) else {
                return false;
            };
            match (instant(a), instant(&b)) {
                (Some(a), Some(b)) if !op.is_substring() => ordering_matches(op, a.partial_cmp(&b)),
                _ => compare_text(op, a, &b, false),
            }
        }
        AttrType::Binary if op.is_ordering() => false,
        AttrType::String | AttrType::Reference | AttrType::Binary | AttrType::Complex => {
            let (Some(a), Some(b)) = (scalar_text(actual), text_of(expected)) else {
                return false;
            };
            compare_text(op, &a, &b, attr.case_exact)
        }
    }
}

fn ordering_matches(op: CompareOp, ordering: Option<Ordering>) -> bool {
    let Some(ordering) = ordering else {
        return false;
    };
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Case-insensitive text compares by [`text::fold`] (NFC and full case folding), the key the
/// stores keep for `userName` and a group's `displayName`.
fn compare_text(op: CompareOp, actual: &str, expected: &str, case_exact: bool) -> bool {
    let (a, b) = (
        text::folded(actual, case_exact),
        text::folded(expected, case_exact),
    );
    match op {
        CompareOp::Co => a.contains(&*b),
        CompareOp::Sw => a.starts_with(&*b),
        CompareOp::Ew => a.ends_with(&*b),
        _ => ordering_matches(op, Some(a.cmp(&b))),
    }
}

/// Booleans as stored, tolerating the strings Entra sends (`"True"`).
fn as_bool_value(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => parse_bool(s),
        _ => None,
    }
}

fn as_bool(v: &CompValue) -> Option<bool> {
    match v {
        CompValue::Bool(b) => Some(*b),
        CompValue::String(s) => parse_bool(s),
        CompValue::Null | CompValue::Number(_) => None,
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn number_of(v: &Value) -> Option<Number> {
    match v {
        Value::Number(n) => Some(n.clone()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn number_in(v: &CompValue) -> Option<Number> {
    match v {
        CompValue::Number(n) => Some(n.clone()),
        CompValue::String(s) => s.trim().parse().ok(),
        CompValue::Null | CompValue::Bool(_) => None,
    }
}

/// Integers compare exactly; anything else as `f64`.
fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// A stored scalar as text: strings as they are; numbers and booleans as JSON writes them, so
/// `employeeNumber eq 7` finds `"7"`.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

fn text_of(v: &CompValue) -> Option<String> {
    match v {
        CompValue::String(s) => Some(s.clone()),
        CompValue::Number(n) => Some(n.to_string()),
        CompValue::Bool(b) => Some(b.to_string()),
        CompValue::Null => None,
    }
}

fn instant(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}
