//! What the stores answer in SQL (STYLE lesson 3): a [`StoreFilter`] and a [`Page`].
//!
//! A validated SCIM filter whose every test is on a column-backed attribute is lowered whole
//! ([`StoreFilter::lower`]); the stores compile it to bound SQL (`roster-store-sql`), so such a
//! list is filtered, counted and paged in the database. For any other filter (sub-attributes of
//! complex values, extension attributes, value paths) [`StoreFilter::narrowing`] lowers the
//! top-level conjuncts that can be: the store returns the rows matching those, and the domain
//! evaluates the full filter on them with `roster_scim::filter::matches`. The domain's own
//! lookups (by id, by displayName key) are store filters too, so every listing of a table goes
//! through one store method. `column` below is the one table of column-backed attributes.
//!
//! The lowering keeps `matches`' semantics exactly (its module documents them): a test that
//! SQL would answer differently is not lowered. Every compiled leaf is NULL-safe, so `not`
//! behaves as in memory.

use roster_scim::{
    filter::{AttrPath, CompValue, CompareOp, Filter},
    schema::{GROUP_RESOURCE, ResourceType, USER_RESOURCE},
};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::Position;
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
    /// For `Id` and `Member`.
    Id(Uuid),
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
    /// The row comes after this one in its order: a keyset batch of candidates.
    After(Box<Position>),
}

/// A filter the store can answer in SQL. Only the domain makes one: from a filter already
/// validated against the resource type's schema, or for its own lookups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreFilter(Predicate);

impl StoreFilter {
    /// The SQL form of `filter` on `rt`, or `None` when some test needs the in-memory evaluator.
    pub fn lower(rt: &ResourceType, filter: &Filter) -> Option<Self> {
        lower(filter, is_groups(rt)?).map(Self)
    }

    /// The SQL form of the top-level conjuncts of `filter` that lower (all of it when it lowers
    /// whole), or `None` when none does. Every resource `filter` matches, this matches too: a
    /// store answers it to narrow the candidates the full filter is evaluated on in memory.
    pub fn narrowing(rt: &ResourceType, filter: &Filter) -> Option<Self> {
        if let Some(whole) = Self::lower(rt, filter) {
            return Some(whole);
        }
        let Filter::And(a, b) = filter else {
            return None;
        };
        match (Self::narrowing(rt, a), Self::narrowing(rt, b)) {
            (Some(a), Some(b)) => Some(Self(Predicate::And(Box::new(a.0), Box::new(b.0)))),
            (a, b) => a.or(b),
        }
    }

    /// The accounts whose `externalId` is exactly `value`.
    pub(crate) fn external_id(value: String) -> Self {
        Self(Predicate::Compare {
            column: Column::ExternalId,
            op: Op::Eq,
            value: Bound::Text(value),
        })
    }

    /// The group with this [`display_name_key`](crate::display_name_key).
    pub(crate) fn display_name_key(key: String) -> Self {
        Self(Predicate::Compare {
            column: Column::DisplayName,
            op: Op::Eq,
            value: Bound::Text(key),
        })
    }

    /// The rows `narrowing` selects (every row without one) that come after `position` in its
    /// order: the next batch of candidates, read from where the last one stopped.
    pub fn after(narrowing: Option<&StoreFilter>, position: Position) -> Self {
        let after = Predicate::After(Box::new(position));
        Self(match narrowing {
            Some(n) => Predicate::And(Box::new(n.0.clone()), Box::new(after)),
            None => after,
        })
    }

    pub fn predicate(&self) -> &Predicate {
        &self.0
    }
}

/// An attribute a store sorts by: each has a column, and an index that answers the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    Id,
    /// Accounts: by the folded `userName` key, so ignoring case.
    UserName,
    /// Groups: by the folded `displayName` key, so ignoring case. Users (no key column): by
    /// `displayName` with ASCII letters lower-cased, as both databases' `lower()` does in code
    /// point order; missing values last.
    DisplayName,
    /// Exact text (caseExact); missing values last.
    ExternalId,
    Created,
    LastModified,
}

/// The order of a listing's rows: by `column` (code point order for text), ties by creation
/// time, then id; missing values last. Descending is the exact reverse (missing values first),
/// as [`ListRequest`](crate::ListRequest)'s in-memory sort orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    pub column: SortColumn,
    pub descending: bool,
}

impl Order {
    /// The order `sortBy=path` asks for on `rt`, when the store can sort by it.
    pub fn of(rt: &ResourceType, path: &AttrPath, descending: bool) -> Option<Self> {
        let groups = is_groups(rt)?;
        let core = path
            .urn
            .as_deref()
            .is_none_or(|urn| urn.eq_ignore_ascii_case(rt.schema.id));
        if !groups
            && core
            && path.sub_attr.is_none()
            && path.attr.eq_ignore_ascii_case("displayName")
        {
            return Some(Self {
                column: SortColumn::DisplayName,
                descending,
            });
        }
        let column = match column(path, groups)? {
            Column::Id => SortColumn::Id,
            Column::UserName => SortColumn::UserName,
            Column::DisplayName => SortColumn::DisplayName,
            Column::ExternalId => SortColumn::ExternalId,
            Column::Created => SortColumn::Created,
            Column::LastModified => SortColumn::LastModified,
            Column::Active | Column::Member => return None,
        };
        Some(Self { column, descending })
    }
}

/// Which rows of a listing a store returns: in `order` (listing order, creation time then id,
/// without one), `offset` rows skipped, then at most `limit` (all the rest without one); and
/// whether it counts every match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: u64,
    pub limit: Option<u64>,
    pub order: Option<Order>,
    /// Whether the store counts every match; if not, the number of rows is the total returned.
    pub counted: bool,
}

impl Page {
    /// Every matching row, in listing order; the number of matches is the number of rows.
    pub const ALL: Self = Self {
        offset: 0,
        limit: None,
        order: None,
        counted: false,
    };

    /// `limit` rows from `offset`, in listing order, and the count of every match.
    pub fn new(offset: u64, limit: u64) -> Self {
        Self {
            offset,
            limit: Some(limit),
            order: None,
            counted: true,
        }
    }

    /// The first `limit` rows in `order`, without counting the matches: one batch of the
    /// candidates a request evaluates in memory (each continues after the last row of the one
    /// before through [`StoreFilter::after`], never by an offset).
    pub fn batch(limit: u64, order: Option<Order>) -> Self {
        Self {
            offset: 0,
            limit: Some(limit),
            order,
            counted: false,
        }
    }

    /// This page in `order`.
    pub fn ordered(self, order: Option<Order>) -> Self {
        Self { order, ..self }
    }
}

/// Whether `rt` is the Group resource type (else the User one); `None` for any other.
fn is_groups(rt: &ResourceType) -> Option<bool> {
    if std::ptr::eq(rt, &GROUP_RESOURCE) {
        Some(true)
    } else if std::ptr::eq(rt, &USER_RESOURCE) {
        Some(false)
    } else {
        None
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

/// The column behind a path, for the resource type's column-backed attributes only: the one
/// place an attribute becomes indexed (with its [`Column`] and how it compares, below).
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
            let canonical = Uuid::parse_str(text)
                .ok()
                .filter(|u| u.hyphenated().to_string() == *text);
            match (op, canonical) {
                (CompareOp::Eq, Some(id)) => Some(Predicate::Compare {
                    column,
                    op: Op::Eq,
                    value: Bound::Id(id),
                }),
                (CompareOp::Eq, None) => Some(Predicate::Const(false)),
                // Ids are single-valued and always present.
                (CompareOp::Ne, Some(id)) if column == Column::Id => {
                    Some(Predicate::Not(Box::new(Predicate::Compare {
                        column,
                        op: Op::Eq,
                        value: Bound::Id(id),
                    })))
                }
                (CompareOp::Ne, None) if column == Column::Id => Some(Predicate::Const(true)),
                _ => None,
            }
        }
        Column::UserName | Column::DisplayName | Column::ExternalId => {
            let CompValue::String(text) = value else {
                return None;
            };
            // Case-insensitive columns are compared on their stored key, folded the same way.
            let folded = if column == Column::ExternalId {
                text.clone()
            } else {
                roster_scim::text::fold(text)
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
    fn narrowing_keeps_the_top_level_conjuncts_that_lower() {
        let narrowed = |text: &str| {
            StoreFilter::narrowing(&USER_RESOURCE, &parse_filter(text).unwrap()).map(|f| f.0)
        };
        let user_name = Predicate::Compare {
            column: Column::UserName,
            op: Op::Eq,
            value: Bound::Text("ada".into()),
        };
        assert_eq!(
            narrowed("name.familyName eq \"x\" and userName eq \"Ada\""),
            Some(user_name.clone())
        );
        assert_eq!(
            narrowed("(userName eq \"Ada\" and title pr) and active eq true"),
            Some(Predicate::And(
                Box::new(user_name.clone()),
                Box::new(Predicate::Compare {
                    column: Column::Active,
                    op: Op::Eq,
                    value: Bound::Bool(true)
                })
            ))
        );
        // A disjunction or negation with an unlowerable side narrows nothing.
        assert_eq!(narrowed("userName eq \"Ada\" or title pr"), None);
        assert_eq!(narrowed("not (userName eq \"Ada\" and title pr)"), None);
        assert_eq!(narrowed("title pr"), None);
        // What lowers whole narrows to itself.
        assert_eq!(narrowed("userName eq \"Ada\""), Some(user_name));
    }

    #[test]
    fn sorts_on_columns_and_display_names_are_store_orders() {
        let order = |rt: &ResourceType, path: &str| {
            Order::of(rt, &roster_scim::path::parse_path(path).unwrap().attr, true)
                .map(|o| o.column)
        };
        assert_eq!(
            order(&USER_RESOURCE, "userName"),
            Some(SortColumn::UserName)
        );
        assert_eq!(
            order(&USER_RESOURCE, "displayName"),
            Some(SortColumn::DisplayName)
        );
        assert_eq!(
            order(&GROUP_RESOURCE, "DISPLAYNAME"),
            Some(SortColumn::DisplayName)
        );
        assert_eq!(
            order(&USER_RESOURCE, "meta.lastModified"),
            Some(SortColumn::LastModified)
        );
        assert_eq!(order(&USER_RESOURCE, "name.familyName"), None);
        assert_eq!(order(&USER_RESOURCE, "active"), None);
        assert_eq!(order(&GROUP_RESOURCE, "members"), None);
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
