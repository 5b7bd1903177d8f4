//! Filters the stores answer in SQL (STYLE lesson 3). A validated SCIM filter whose every test is
//! on a column-backed attribute is lowered to a [`StoreFilter`]; the stores compile it to bound
//! SQL, so such a list is filtered, counted and paged in the database. Anything else (sub-
//! attributes of complex values, extension attributes, value paths) is evaluated in memory by
//! `roster_scim::filter::matches` on candidates the store narrowed with an index.
//!
//! The lowering keeps `matches`' semantics exactly (its module documents them): a test that
//! SQL would answer differently is not lowered. Every compiled leaf is NULL-safe, so `not`
//! behaves as in memory.

use roster_scim::{
    filter::{AttrPath, CompValue, CompareOp, Filter},
    schema::{GROUP_RESOURCE, ResourceType, USER_RESOURCE},
};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use uuid::Uuid;

/// A column-backed attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The resource id (exact text).
    Id,
    /// Accounts: the lower-cased `userName` key.
    UserName,
    /// Groups: the lower-cased `displayName` key.
    DisplayName,
    /// Exact text; may be absent.
    ExternalId,
    /// Accounts: `active`, absent when unassigned (see `Account::active_unassigned`).
    Active,
    Created,
    LastModified,
    /// Groups: a member's account id (`members` / `members.value`).
    Member,
}

/// A value bound into SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    /// Already folded to the column's case (lower-case for `UserName` and `DisplayName`).
    Text(String),
    Bool(bool),
    Time(OffsetDateTime),
}

/// The operators a lowered comparison uses. Substring tests never see an empty pattern (that is
/// lowered to a presence test), so stores need no special case for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Predicate {
    /// `Ne` holds when the column has no value, as in memory; every other operator needs one.
    Compare {
        column: Column,
        op: Op,
        value: Bound,
    },
    /// The column has a value.
    Present(Column),
    And(Box<Predicate>, Box<Predicate>),
    Or(Box<Predicate>, Box<Predicate>),
    Not(Box<Predicate>),
    /// A test whose answer does not depend on the row (e.g. `id eq "not-a-uuid"`).
    Const(bool),
}

/// A filter the store can answer in SQL. Only [`StoreFilter::lower`] makes one, from a filter
/// already validated against the resource type's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreFilter(Predicate);

impl StoreFilter {
    /// The SQL form of `filter` on `rt`, or `None` when some test needs the in-memory evaluator.
    pub fn lower(rt: &ResourceType, filter: &Filter) -> Option<Self> {
        let groups = std::ptr::eq(rt, &GROUP_RESOURCE);
        let users = std::ptr::eq(rt, &USER_RESOURCE);
        if !groups && !users {
            return None;
        }
        lower(filter, groups).map(Self)
    }

    pub fn predicate(&self) -> &Predicate {
        &self.0
    }
}

fn lower(filter: &Filter, groups: bool) -> Option<Predicate> {
    Some(match filter {
        Filter::And(a, b) => {
            Predicate::And(Box::new(lower(a, groups)?), Box::new(lower(b, groups)?))
        }
        Filter::Or(a, b) => Predicate::Or(Box::new(lower(a, groups)?), Box::new(lower(b, groups)?)),
        Filter::Not(inner) => Predicate::Not(Box::new(lower(inner, groups)?)),
        Filter::Present(path) => match column(path, groups)? {
            // Ids, creation and modification times are always there.
            Column::Id | Column::Created | Column::LastModified => Predicate::Const(true),
            column => Predicate::Present(column),
        },
        Filter::Compare { path, op, value } => compare(column(path, groups)?, *op, value)?,
        Filter::ValuePath { .. } => return None,
    })
}

/// The column behind a path, for the resource type's column-backed attributes only.
fn column(path: &AttrPath, groups: bool) -> Option<Column> {
    let core = if groups {
        GROUP_RESOURCE.schema.id
    } else {
        USER_RESOURCE.schema.id
    };
    if path
        .urn
        .as_deref()
        .is_some_and(|urn| !urn.eq_ignore_ascii_case(core))
    {
        return None;
    }
    let attr = path.attr.to_ascii_lowercase();
    let sub = path.sub_attr.as_deref().map(str::to_ascii_lowercase);
    Some(match (attr.as_str(), sub.as_deref(), groups) {
        ("id", None, _) => Column::Id,
        ("externalid", None, _) => Column::ExternalId,
        ("meta", Some("created"), _) => Column::Created,
        ("meta", Some("lastmodified"), _) => Column::LastModified,
        ("username", None, false) => Column::UserName,
        ("active", None, false) => Column::Active,
        ("displayname", None, true) => Column::DisplayName,
        ("members", None | Some("value"), true) => Column::Member,
        _ => return None,
    })
}

fn compare(column: Column, op: CompareOp, value: &CompValue) -> Option<Predicate> {
    let present = || match column {
        Column::Id | Column::Created | Column::LastModified => Predicate::Const(true),
        column => Predicate::Present(column),
    };
    if *value == CompValue::Null {
        return Some(match op {
            CompareOp::Eq => Predicate::Not(Box::new(present())),
            CompareOp::Ne => present(),
            _ => Predicate::Const(false),
        });
    }
    match column {
        Column::Active => {
            let CompValue::Bool(b) = value else {
                return None;
            };
            // In memory, booleans answer `eq` (and `ne` as its complement) and nothing else.
            Some(match op {
                CompareOp::Eq | CompareOp::Ne => Predicate::Compare {
                    column,
                    op: if op == CompareOp::Eq { Op::Eq } else { Op::Ne },
                    value: Bound::Bool(*b),
                },
                _ => Predicate::Const(false),
            })
        }
        Column::Created | Column::LastModified => {
            let CompValue::String(text) = value else {
                return None;
            };
            // A value that is no instant is compared as text in memory, and one finer than the
            // stores' microseconds would compare differently once truncated: leave both there.
            let at = OffsetDateTime::parse(text, &Rfc3339)
                .ok()
                .filter(|at| at.nanosecond() % 1_000 == 0)?;
            let op = match op {
                CompareOp::Eq => Op::Eq,
                CompareOp::Ne => Op::Ne,
                CompareOp::Gt => Op::Gt,
                CompareOp::Ge => Op::Ge,
                CompareOp::Lt => Op::Lt,
                CompareOp::Le => Op::Le,
                CompareOp::Co | CompareOp::Sw | CompareOp::Ew => return None,
            };
            Some(Predicate::Compare {
                column,
                op,
                value: Bound::Time(at),
            })
        }
        Column::Id | Column::Member => {
            let CompValue::String(text) = value else {
                return None;
            };
            // Stored ids are lower-case hyphenated UUIDs. `id` is compared exactly (caseExact);
            // a member's `value` ignoring case, as its schema says.
            let text = if column == Column::Member {
                &text.to_lowercase()
            } else {
                text
            };
            let canonical =
                Uuid::parse_str(text).is_ok_and(|u| u.hyphenated().to_string() == *text);
            match (op, canonical) {
                (CompareOp::Eq, true) => Some(Predicate::Compare {
                    column,
                    op: Op::Eq,
                    value: Bound::Text(text.clone()),
                }),
                (CompareOp::Eq, false) => Some(Predicate::Const(false)),
                // Ids are single-valued and always present.
                (CompareOp::Ne, true) if column == Column::Id => {
                    Some(Predicate::Not(Box::new(Predicate::Compare {
                        column,
                        op: Op::Eq,
                        value: Bound::Text(text.clone()),
                    })))
                }
                (CompareOp::Ne, false) if column == Column::Id => Some(Predicate::Const(true)),
                _ => None,
            }
        }
        Column::UserName | Column::DisplayName | Column::ExternalId => {
            let CompValue::String(text) = value else {
                return None;
            };
            let folded = if column == Column::ExternalId {
                text.clone()
            } else {
                text.to_lowercase()
            };
            let op = match op {
                CompareOp::Eq => Op::Eq,
                CompareOp::Ne => Op::Ne,
                CompareOp::Gt => Op::Gt,
                CompareOp::Ge => Op::Ge,
                CompareOp::Lt => Op::Lt,
                CompareOp::Le => Op::Le,
                CompareOp::Co | CompareOp::Sw | CompareOp::Ew if folded.is_empty() => {
                    return Some(Predicate::Present(column));
                }
                CompareOp::Co => Op::Contains,
                CompareOp::Sw => Op::StartsWith,
                CompareOp::Ew => Op::EndsWith,
            };
            Some(Predicate::Compare {
                column,
                op,
                value: Bound::Text(folded),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use roster_scim::filter::parse_filter;

    use super::*;

    fn lowered(rt: &ResourceType, text: &str) -> Option<Predicate> {
        StoreFilter::lower(rt, &parse_filter(text).unwrap()).map(|f| f.0)
    }

    #[test]
    fn entra_queries_are_answered_in_sql() {
        assert_eq!(
            lowered(&USER_RESOURCE, "userName eq \"Ada@Example.org\""),
            Some(Predicate::Compare {
                column: Column::UserName,
                op: Op::Eq,
                value: Bound::Text("ada@example.org".into())
            })
        );
        assert!(lowered(&GROUP_RESOURCE, "displayName eq \"Biology 101\"").is_some());
        let id = "6f1c2a57-2d0b-4c1e-9a55-1d2b3c4d5e6f";
        assert!(
            lowered(
                &GROUP_RESOURCE,
                &format!("id eq \"{id}\" and members eq \"{id}\"")
            )
            .is_some()
        );
        assert!(
            lowered(
                &USER_RESOURCE,
                "meta.lastModified gt \"2026-01-01T00:00:00Z\""
            )
            .is_some()
        );
    }

    #[test]
    fn what_sql_would_answer_differently_stays_in_memory() {
        assert_eq!(lowered(&USER_RESOURCE, "name.familyName eq \"x\""), None);
        assert_eq!(lowered(&USER_RESOURCE, "emails[type eq \"work\"]"), None);
        assert_eq!(lowered(&USER_RESOURCE, "meta.created sw \"2026\""), None);
        assert_eq!(lowered(&USER_RESOURCE, "userName eq 5"), None);
        assert_eq!(lowered(&GROUP_RESOURCE, "members ne \"x\""), None);
    }

    #[test]
    fn tests_with_a_fixed_answer_become_constants() {
        assert_eq!(
            lowered(&USER_RESOURCE, "id eq \"not-an-id\""),
            Some(Predicate::Const(false))
        );
        assert_eq!(
            lowered(&USER_RESOURCE, "active gt true"),
            Some(Predicate::Const(false))
        );
        assert_eq!(
            lowered(&USER_RESOURCE, "userName co \"\""),
            Some(Predicate::Present(Column::UserName))
        );
    }
}
