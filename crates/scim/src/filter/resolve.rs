//! Resolving filter paths against a resource type's schemas, and validating a whole filter.
//!
//! The domain validates every filter before it uses it (an unknown attribute is a 400, not an
//! empty result); evaluation, PATCH and the domain's `sortBy` use [`ResolvedPath`] to learn each
//! attribute's canonical name, type and `caseExact`.

use super::ast::{AttrPath, CompareOp, Filter};
use crate::error::ScimError;
use crate::schema::{AttrType, Attribute, ResourceType, Returned, Schema};

/// An attribute path resolved against a resource type.
#[derive(Debug, Clone, Copy)]
pub struct ResolvedPath {
    /// The schema the top-level attribute belongs to (the core schema for common attributes).
    pub schema: &'static Schema,
    /// `true` when the attribute lives under its extension URN key in the resource JSON.
    pub in_extension: bool,
    /// The top-level attribute.
    pub attribute: &'static Attribute,
    /// The sub-attribute, when the path names one.
    pub sub_attribute: Option<&'static Attribute>,
}

impl ResolvedPath {
    /// The attribute the path designates: the sub-attribute if any, else the top-level one.
    pub fn target(&self) -> &'static Attribute {
        self.sub_attribute.unwrap_or(self.attribute)
    }

    /// The attribute whose values a comparison reads. A complex target without a sub-attribute is
    /// compared through its `value` sub-attribute: RFC 7644 §3.4.2.2 filters `emails co "x"` that
    /// way, and Entra's membership check sends `members eq "<id>"`. `None` for a complex attribute
    /// without `value` (e.g. `name`), which cannot be compared directly.
    pub fn compared(&self) -> Option<&'static Attribute> {
        let target = self.target();
        if target.kind == AttrType::Complex {
            target.sub_attribute("value")
        } else {
            Some(target)
        }
    }
}

impl AttrPath {
    /// Resolves the path against `rt` (core, common and extension attributes, names ignoring case).
    pub fn resolve(&self, rt: &ResourceType) -> Option<ResolvedPath> {
        let resolved = match &self.urn {
            Some(urn) => rt.resolve(&format!("{urn}:{}", self.attr)),
            None => rt.resolve(&self.attr),
        }?;
        let sub_attribute = match &self.sub_attr {
            Some(sub) => Some(resolved.attribute.sub_attribute(sub)?),
            None => None,
        };
        Some(ResolvedPath {
            schema: resolved.schema,
            in_extension: resolved.in_extension,
            attribute: resolved.attribute,
            sub_attribute,
        })
    }

    /// Resolves a path written inside `parent[...]`: a sub-attribute of `parent`. A URN or a further
    /// sub-attribute cannot name one.
    pub fn resolve_in(&self, parent: &'static Attribute) -> Option<&'static Attribute> {
        if self.urn.is_some() || self.sub_attr.is_some() {
            return None;
        }
        parent.sub_attribute(&self.attr)
    }
}

/// Checks that every attribute of `filter` exists in `rt` and that each comparison makes sense for
/// the attribute's type. Errors are 400 `invalidFilter` with a detail naming the attribute.
pub fn validate(filter: &Filter, rt: &ResourceType) -> Result<(), ScimError> {
    validate_in(filter, rt, None)
}

/// Validates the filter of a value path `attr[filter]` (PATCH paths): its paths are sub-attributes
/// of `parent`.
pub fn validate_value_filter(
    filter: &Filter,
    rt: &ResourceType,
    parent: &'static Attribute,
) -> Result<(), ScimError> {
    validate_in(filter, rt, Some(parent))
}

fn validate_in(
    filter: &Filter,
    rt: &ResourceType,
    parent: Option<&'static Attribute>,
) -> Result<(), ScimError> {
    match filter {
        Filter::And(a, b) | Filter::Or(a, b) => {
            validate_in(a, rt, parent)?;
            validate_in(b, rt, parent)
        }
        Filter::Not(inner) => validate_in(inner, rt, parent),
        Filter::Present(path) => resolve_target(path, rt, parent).map(|_| ()),
        Filter::Compare { path, op, .. } => {
            let target = resolve_target(path, rt, parent)?;
            let compared = if target.kind == AttrType::Complex {
                target.sub_attribute("value").ok_or_else(|| {
                    ScimError::invalid_filter(format!(
                        "attribute '{path}' is complex: compare one of its sub-attributes, e.g. '{path}.{}'",
                        target.sub_attributes.first().map_or("value", |a| a.name)
                    ))
                })?
            } else {
                target
            };
            check_operator(path, *op, compared)
        }
        Filter::ValuePath { attr, filter } => {
            let target = resolve_target(attr, rt, parent)?;
            if target.kind != AttrType::Complex {
                return Err(ScimError::invalid_filter(format!(
                    "'{attr}[...]' filters the values of a complex attribute, and '{attr}' is not complex"
                )));
            }
            validate_in(filter, rt, Some(target))
        }
    }
}

/// Checks that `path` may order a list (`sortBy`): it names an attribute of `rt` that is ever
/// returned. Errors are 400 `invalidFilter`.
pub fn validate_sort_by(path: &AttrPath, rt: &ResourceType) -> Result<(), ScimError> {
    resolve_target(path, rt, None).map(|_| ())
}

fn resolve_target(
    path: &AttrPath,
    rt: &ResourceType,
    parent: Option<&'static Attribute>,
) -> Result<&'static Attribute, ScimError> {
    let found = match parent {
        Some(parent) => path.resolve_in(parent),
        None => path.resolve(rt).map(|r| r.target()),
    };
    // RFC 7643 §7 `returned: never` (`password`): a filter or an order on a value the server never
    // shows would reveal it bit by bit, one yes-or-no answer per request.
    if let Some(attribute) = found.filter(|a| a.returned == Returned::Never) {
        return Err(ScimError::invalid_filter(format!(
            "'{path}' is never returned, so it cannot be filtered or sorted on",
            path = attribute.name
        )));
    }
    found.ok_or_else(|| match parent {
        Some(parent) => ScimError::invalid_filter(format!(
            "unknown attribute '{path}' in a filter on '{}'",
            parent.name
        )),
        None => ScimError::invalid_filter(format!(
            "unknown attribute '{path}' for resource type {}",
            rt.name
        )),
    })
}

/// RFC 7644 §3.4.2.2: `gt`/`ge`/`lt`/`le` on a boolean or binary attribute is `invalidFilter`;
/// substring operators only make sense on text.
fn check_operator(path: &AttrPath, op: CompareOp, attr: &Attribute) -> Result<(), ScimError> {
    let refused = match attr.kind {
        AttrType::Boolean => op.is_ordering() || op.is_substring(),
        AttrType::Binary => op.is_ordering(),
        AttrType::Integer | AttrType::Decimal => op.is_substring(),
        AttrType::String | AttrType::Reference | AttrType::DateTime | AttrType::Complex => false,
    };
    if refused {
        Err(ScimError::invalid_filter(format!(
            "operator '{op}' cannot be used on '{path}', whose type is {}",
            type_name(attr.kind)
        )))
    } else {
        Ok(())
    }
}

/// The RFC 7643 §2.3 spelling of a type, for error details.
fn type_name(kind: AttrType) -> &'static str {
    match kind {
        AttrType::String => "string",
        AttrType::Boolean => "boolean",
        AttrType::Decimal => "decimal",
        AttrType::Integer => "integer",
        AttrType::DateTime => "dateTime",
        AttrType::Binary => "binary",
        AttrType::Reference => "reference",
        AttrType::Complex => "complex",
    }
}
