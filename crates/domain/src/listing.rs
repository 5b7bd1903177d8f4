//! SCIM list requests (RFC 7644 §3.4.2): the validated query, the index a filter can use, and
//! filtering, sorting and paging of what the store returned.

use std::cmp::Ordering;

use roster_scim::{
    ScimError,
    filter::{self, AttrPath, CompValue, CompareOp, Filter},
    schema::ResourceType,
};
use serde_json::{Map, Value};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// A list or `.search` request whose filter was checked against the resource type's schema;
/// only the domain constructs one, so nothing unvalidated reaches a store.
#[derive(Debug, Clone)]
pub struct ListRequest {
    filter: Option<Filter>,
    /// 1-based.
    pub start_index: u64,
    pub count: u64,
    sort_by: Option<AttrPath>,
    pub descending: bool,
}

impl ListRequest {
    pub fn new(
        rt: &ResourceType,
        filter_text: Option<&str>,
        start_index: u64,
        count: u64,
        sort_by: Option<&str>,
        descending: bool,
    ) -> Result<Self, ScimError> {
        let filter = filter_text
            .filter(|f| !f.trim().is_empty())
            .map(|text| {
                let parsed = filter::parse_filter(text)?;
                filter::validate(&parsed, rt)?;
                Ok::<_, ScimError>(parsed)
            })
            .transpose()?;
        let sort_by = sort_by
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                let path = roster_scim::path::parse_path(s.trim())
                    .ok()
                    .filter(|p| p.filter.is_none())
                    .map(|p| p.attr)
                    .ok_or_else(|| {
                        ScimError::invalid_value(format!("sortBy '{s}' is not an attribute path"))
                    })?;
                if path.resolve(rt).is_none() {
                    return Err(ScimError::invalid_value(format!(
                        "sortBy '{s}' names no attribute of {}",
                        rt.name
                    )));
                }
                filter::validate_sort_by(&path, rt)?;
                Ok(path)
            })
            .transpose()?;
        Ok(Self {
            filter,
            start_index: start_index.max(1),
            count,
            sort_by,
            descending,
        })
    }

    pub fn filter(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }

    /// Whether the store can page directly: no filter and the default order.
    pub fn is_plain(&self) -> bool {
        self.filter.is_none() && self.sort_by.is_none()
    }

    /// The filter in the form the store answers in SQL, when it has one and the default order
    /// is asked for.
    pub(crate) fn store_filter(&self, rt: &ResourceType) -> Option<crate::StoreFilter> {
        if self.sort_by.is_some() {
            return None;
        }
        crate::StoreFilter::lower(rt, self.filter.as_ref()?)
    }

    /// Keeps the resources matching the filter, sorts them and cuts the requested page.
    /// Returns the page and the total number of matches.
    pub fn select(
        &self,
        rt: &ResourceType,
        resources: Vec<(Map<String, Value>, usize)>,
    ) -> (Vec<usize>, u64) {
        let mut matching: Vec<(Map<String, Value>, usize)> = match &self.filter {
            Some(f) => resources
                .into_iter()
                .filter(|(r, _)| filter::matches(f, rt, r))
                .collect(),
            None => resources,
        };
        if let Some(path) = &self.sort_by {
            matching.sort_by(|(a, _), (b, _)| {
                let order = compare_values(
                    sort_key(rt, path, a).as_ref(),
                    sort_key(rt, path, b).as_ref(),
                );
                if self.descending {
                    order.reverse()
                } else {
                    order
                }
            });
        }
        let total = matching.len() as u64;
        let start = usize::try_from(self.start_index.saturating_sub(1)).unwrap_or(usize::MAX);
        let count = usize::try_from(self.count).unwrap_or(usize::MAX);
        let page = matching
            .into_iter()
            .skip(start)
            .take(count)
            .map(|(_, index)| index)
            .collect();
        (page, total)
    }
}

/// The value a resource sorts by: the attribute, or for a multi-valued one its primary (else
/// first) element's `value` (RFC 7644 §3.4.2.3).
fn sort_key(rt: &ResourceType, path: &AttrPath, resource: &Map<String, Value>) -> Option<Value> {
    let resolved = path.resolve(rt)?;
    let container = if resolved.in_extension {
        resource.get(resolved.schema.id)?.as_object()?
    } else {
        resource
    };
    let top = container
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(resolved.attribute.name))
        .map(|(_, v)| v)?;
    let top = match top {
        Value::Array(items) => items
            .iter()
            .find(|i| i.get("primary") == Some(&Value::Bool(true)))
            .or_else(|| items.first())?,
        other => other,
    };
    let sub = path
        .sub_attr
        .as_deref()
        .or(if top.is_object() { Some("value") } else { None });
    match sub {
        Some(sub) => top
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(sub))
            .map(|(_, v)| v.clone()),
        None => Some(top.clone()),
    }
}

/// Missing values sort last; strings compare ignoring case.
fn compare_values(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(Value::String(x)), Some(Value::String(y))) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        (Some(x), Some(y)) => x.to_string().cmp(&y.to_string()),
    }
}

/// An equality or range test on an indexed attribute found in a top-level conjunction of the
/// filter; the store answers it from an index and the full filter is evaluated on the result.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum IndexHint {
    Id(String),
    /// Already lower-cased: the attribute is case-insensitive.
    UserName(String),
    ExternalId(String),
    DisplayName(String),
    Active(bool),
    ModifiedSince {
        at: OffsetDateTime,
        inclusive: bool,
    },
    /// `members eq "<id>"` / `members.value eq "<id>"`.
    Member(String),
}

pub(crate) fn index_hint(filter: &Filter) -> Option<IndexHint> {
    match filter {
        Filter::And(a, b) => {
            // Prefer the most selective: exact keys over ranges and booleans.
            let (a, b) = (index_hint(a), index_hint(b));
            match (&a, &b) {
                (Some(IndexHint::Active(_) | IndexHint::ModifiedSince { .. }), Some(_)) => b,
                _ => a.or(b),
            }
        }
        Filter::Compare { path, op, value } if path.urn.is_none() => {
            let attr = path.attr.to_ascii_lowercase();
            let sub = path.sub_attr.as_deref().map(str::to_ascii_lowercase);
            match (attr.as_str(), sub.as_deref(), op, value) {
                ("id", None, CompareOp::Eq, CompValue::String(v)) => Some(IndexHint::Id(v.clone())),
                ("username", None, CompareOp::Eq, CompValue::String(v)) => {
                    Some(IndexHint::UserName(v.to_lowercase()))
                }
                ("externalid", None, CompareOp::Eq, CompValue::String(v)) => {
                    Some(IndexHint::ExternalId(v.clone()))
                }
                ("displayname", None, CompareOp::Eq, CompValue::String(v)) => {
                    Some(IndexHint::DisplayName(v.to_lowercase()))
                }
                ("active", None, CompareOp::Eq, CompValue::Bool(v)) => Some(IndexHint::Active(*v)),
                ("members", None | Some("value"), CompareOp::Eq, CompValue::String(v)) => {
                    Some(IndexHint::Member(v.clone()))
                }
                (
                    "meta",
                    Some("lastmodified"),
                    CompareOp::Gt | CompareOp::Ge,
                    CompValue::String(v),
                ) => OffsetDateTime::parse(v, &Rfc3339)
                    .ok()
                    .map(|at| IndexHint::ModifiedSince {
                        at,
                        inclusive: *op == CompareOp::Ge,
                    }),
                _ => None,
            }
        }
        _ => None,
    }
}
