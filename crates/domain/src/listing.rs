//! SCIM list requests (RFC 7644 §3.4.2): the validated query, how it is answered (by the store
//! alone, or by the store narrowing and the domain evaluating), and filtering, sorting and paging
//! in memory.

use std::cmp::Ordering;

use roster_scim::{
    ScimError,
    filter::{self, AttrPath, Filter},
    schema::ResourceType,
};
use serde_json::{Map, Value};

use crate::{Page, StoreFilter};

/// How a list is answered.
#[derive(Debug)]
pub(crate) enum Plan {
    /// The store filters (without a filter: takes every row), counts and pages: the filter
    /// lowers whole and the default order is asked for.
    Store {
        filter: Option<StoreFilter>,
        page: Page,
    },
    /// The store returns the rows matching `narrowing` (every row without one), and
    /// [`ListRequest::select`] evaluates the full filter on them, sorts and pages.
    Memory { narrowing: Option<StoreFilter> },
}

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

    /// How the store answers this request on `rt`.
    pub(crate) fn plan(&self, rt: &ResourceType) -> Plan {
        let page = Page::new(self.start_index.saturating_sub(1), self.count);
        match (&self.filter, &self.sort_by) {
            (None, None) => Plan::Store { filter: None, page },
            (Some(f), None) => match StoreFilter::lower(rt, f) {
                Some(filter) => Plan::Store {
                    filter: Some(filter),
                    page,
                },
                None => Plan::Memory {
                    narrowing: StoreFilter::narrowing(rt, f),
                },
            },
            (f, Some(_)) => Plan::Memory {
                narrowing: f.as_ref().and_then(|f| StoreFilter::narrowing(rt, f)),
            },
        }
    }

    /// Keeps the items whose resource matches the filter, sorts them and cuts the requested
    /// page. Returns the page and the total number of matches.
    pub fn select<T>(
        &self,
        rt: &ResourceType,
        resources: Vec<(Map<String, Value>, T)>,
    ) -> (Vec<T>, u64) {
        let mut matching: Vec<(Map<String, Value>, T)> = match &self.filter {
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
            .map(|(_, item)| item)
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
