//! SCIM listings: the rows of an organization's table that match a [`StoreFilter`], in listing
//! order, one [`Page`] of them, and their number. Every compiled leaf is NULL-safe, so `not`
//! answers what the in-memory evaluator answers (the domain lowers only what SQL answers alike).

use roster_domain::{
    Bound, Column, Op, Order, OrgId, Page, Position, Predicate, SortColumn, StoreFilter,
};

use crate::{Arg, Binder, Dialect, Sql, to_i64};

/// The columns an account is read from, in this order, in both stores.
pub const ACCOUNT_COLUMNS: &str = "id, org_id, user_name, external_id, display_name, role, \
     active, deactivated_at, scim_managed, scim_deleted, attributes, created_at, updated_at, \
     version, active_unassigned";

/// The columns a group is read from, in this order, in both stores.
pub const GROUP_COLUMNS: &str = "id, org_id, display_name, external_id, scim_managed, \
     attributes, created_at, updated_at, version";

/// A table SCIM lists.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    name: &'static str,
    columns: &'static str,
    /// What else, besides the organization, makes a row visible to SCIM.
    visible: &'static str,
    /// The column of `org_resource_counts` that holds how many rows are visible (migration
    /// 0012), kept by triggers in each change's transaction.
    counted_in: &'static str,
}

/// Accounts SCIM sees: not `scim_deleted`.
pub const ACCOUNTS: Table = Table {
    name: "accounts",
    columns: ACCOUNT_COLUMNS,
    visible: " AND NOT scim_deleted",
    counted_in: "accounts",
};

pub const GROUPS: Table = Table {
    name: "groups",
    columns: GROUP_COLUMNS,
    visible: "",
    counted_in: "groups",
};

/// A listing's statements: the page's rows, in the page's order (listing order, creation time
/// then id, without one), and the count of every match, or `None` when the page is not
/// [`counted`](Page::counted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub rows: Sql,
    pub count: Option<Sql>,
    window: Window,
}

impl Listing {
    /// The page's statement, and what tells the number of matches once its rows are read.
    pub fn split(self) -> (Sql, Tally) {
        (
            self.rows,
            Tally {
                count: self.count,
                window: self.window,
            },
        )
    }
}

/// How a runner learns the number of matches after reading a listing's page.
#[derive(Debug)]
pub struct Tally {
    count: Option<Sql>,
    window: Window,
}

impl Tally {
    /// The number of matches given the page's `rows`, or the statement that counts them when
    /// the rows cannot tell (a full page, or an empty one past the end). A page that is not
    /// counted reports its rows.
    pub fn total(self, rows: usize) -> Result<u64, Sql> {
        match self.count {
            None => Ok(rows as u64),
            Some(count) => self.window.total_from_rows(rows).ok_or(count),
        }
    }
}

/// Where a listing's page lies among the matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    offset: u64,
    limit: Option<u64>,
}

impl Window {
    /// The number of matches when the page's rows already tell it: a page that is not full
    /// ended at the last match, so if it holds rows, or starts at the first match, the total is
    /// the rows skipped plus the rows read. Runners read the rows first and run the listing's
    /// `count` only when this is `None`: Entra's `userName eq` match (one row or none) then
    /// costs one indexed statement instead of two. An empty page past the end says nothing
    /// about where the end is.
    fn total_from_rows(self, rows: usize) -> Option<u64> {
        let rows = rows as u64;
        let full = self.limit.is_some_and(|limit| rows >= limit);
        (!full && (rows > 0 || self.offset == 0)).then(|| self.offset.saturating_add(rows))
    }
}

/// The rows of `table` in the organization that match `filter` (all without one).
pub fn listing(
    dialect: Dialect,
    table: Table,
    org: OrgId,
    filter: Option<&StoreFilter>,
    page: Page,
) -> Listing {
    let mut binder = Binder::new(dialect);
    let org = binder.bind(Arg::Id(org.into()));
    let mut condition = format!("org_id = {org}{}", table.visible);
    if let Some(filter) = filter {
        let compiled = binder.predicate(table, filter.predicate());
        condition.push_str(" AND ");
        condition.push_str(&compiled);
    }
    let from = format!("FROM {} WHERE {condition}", table.name);
    // Without a filter every visible row matches: their number is kept, not counted.
    let count = page.counted.then(|| Sql {
        text: match filter {
            Some(_) => format!("SELECT count(*) AS total {from}"),
            None => format!(
                "SELECT coalesce((SELECT {} FROM org_resource_counts WHERE org_id = {org}), 0) \
                 AS total",
                table.counted_in
            ),
        },
        args: binder.args.clone(),
    });
    let mut rows = format!(
        "SELECT {} {from} ORDER BY {}",
        table.columns,
        order_by(dialect, table, page.order)
    );
    match page.limit {
        Some(limit) => {
            let limit = binder.bind(Arg::Int(to_i64(limit)));
            let offset = binder.bind(Arg::Int(to_i64(page.offset)));
            rows.push_str(&format!(" LIMIT {limit} OFFSET {offset}"));
        }
        None if page.offset > 0 => {
            let offset = binder.bind(Arg::Int(to_i64(page.offset)));
            rows.push_str(&dialect.offset_only(&offset));
        }
        None => {}
    }
    Listing {
        rows: binder.finish(rows),
        count,
        window: Window {
            offset: page.offset,
            limit: page.limit,
        },
    }
}

/// The ORDER BY terms of `order`: the column, then creation time and id for a column with ties;
/// missing values last, descending the exact reverse. Each order has an index that answers it
/// (migration 0003): on SQLite, `external_id IS NULL` puts missing values last without `NULLS
/// LAST`, which its planner cannot take from an index; PostgreSQL sorts NULL last ascending
/// anyway, and compares text in the "C" collation, as its indexes are built.
///
/// Accounts have no `displayName` key: they sort by `lower(display_name)`, which lower-cases
/// ASCII letters only in both databases (PostgreSQL's in the "C" collation), from an expression
/// index (migration 0004).
fn order_by(dialect: Dialect, table: Table, order: Option<Order>) -> String {
    let Some(Order { column, descending }) = order else {
        return "created_at, id".to_owned();
    };
    let accounts = table.name == ACCOUNTS.name;
    let terms: &[&str] = match (column, dialect) {
        (SortColumn::Id, _) => &["id"],
        // Unique keys: no ties.
        (SortColumn::UserName, _) => &["user_name_key"],
        (SortColumn::DisplayName, Dialect::Sqlite) if accounts => &[
            "(display_name IS NULL)",
            "lower(display_name)",
            "created_at",
            "id",
        ],
        (SortColumn::DisplayName, Dialect::Postgres) if accounts => {
            &["lower(display_name COLLATE \"C\")", "created_at", "id"]
        }
        (SortColumn::DisplayName, _) => &["display_name_key"],
        (SortColumn::ExternalId, Dialect::Sqlite) => {
            &["(external_id IS NULL)", "external_id", "created_at", "id"]
        }
        (SortColumn::ExternalId, Dialect::Postgres) => &["external_id", "created_at", "id"],
        (SortColumn::Created, _) => &["created_at", "id"],
        (SortColumn::LastModified, _) => &["updated_at", "created_at", "id"],
    };
    let direction = if descending { " DESC" } else { "" };
    terms
        .iter()
        .map(|term| {
            let term = match *term {
                "user_name_key" | "display_name_key" | "external_id" => dialect.ordered(term),
                other => other.to_owned(),
            };
            format!("{term}{direction}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `(t1, t2, …) > (v1, v2, …)` (`<` descending) for non-NULL terms, written out so both
/// databases read it alike, with `t1 >= v1` in front for the index.
fn lexicographic(at: &Position, terms: &[(String, String)]) -> String {
    let descending = at.order.is_some_and(|o| o.descending);
    let (after, from) = if descending { ("<", "<=") } else { (">", ">=") };
    let mut alternatives = Vec::with_capacity(terms.len());
    for (i, (term, value)) in terms.iter().enumerate() {
        let mut tests: Vec<String> = terms[..i]
            .iter()
            .map(|(t, v)| format!("{t} = {v}"))
            .collect();
        tests.push(format!("{term} {after} {value}"));
        alternatives.push(format!("({})", tests.join(" AND ")));
    }
    let Some((first, first_value)) = terms.first() else {
        return "TRUE".to_owned();
    };
    format!(
        "({first} {from} {first_value} AND ({}))",
        alternatives.join(" OR ")
    )
}

/// ASCII letters of text expression `e` lower-cased, as users' `displayName` is ordered
/// (migrations 0004/0005: PostgreSQL's `lower()` in the "C" collation lowers ASCII only, as
/// SQLite's).
fn lower_ascii(dialect: Dialect, e: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("lower({e})"),
        Dialect::Postgres => format!("lower({e} COLLATE \"C\")"),
    }
}

/// The least string above every string that starts with `prefix`, in code-point order (which
/// is UTF-8 byte order): the prefix with its last character raised by one, after dropping
/// trailing characters that cannot be raised. `None` when every character is the highest.
fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'),
            c => char::from_u32(u32::from(c) + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// The column a lowered attribute is stored in. Groups' `members` live in `memberships`; `id`
/// stands in for them where a column name is needed.
fn column_name(column: Column) -> &'static str {
    match column {
        Column::Id | Column::Member => "id",
        Column::ExternalId => "external_id",
        Column::Created => "created_at",
        Column::LastModified => "updated_at",
        Column::UserName => "user_name_key",
        Column::DisplayName => "display_name_key",
        Column::Active => "active",
    }
}

fn arg(value: &Bound) -> Arg {
    match value {
        Bound::Text(text) => Arg::Text(text.clone()),
        Bound::Bool(b) => Arg::Bool(*b),
        Bound::Time(at) => Arg::Time(*at),
        Bound::Id(id) => Arg::Id(*id),
    }
}

impl Binder {
    /// SQL for a lowered predicate, on `accounts` or `groups` (the domain lowers only the
    /// columns each table has).
    fn predicate(&mut self, table: Table, predicate: &Predicate) -> String {
        match predicate {
            Predicate::And(a, b) => {
                let (a, b) = (self.predicate(table, a), self.predicate(table, b));
                format!("({a} AND {b})")
            }
            Predicate::Or(a, b) => {
                let (a, b) = (self.predicate(table, a), self.predicate(table, b));
                format!("({a} OR {b})")
            }
            Predicate::Not(inner) => format!("(NOT {})", self.predicate(table, inner)),
            Predicate::After(position) => self.after(table, position),
            Predicate::Const(true) => "TRUE".to_owned(),
            Predicate::Const(false) => "FALSE".to_owned(),
            Predicate::Present(Column::Active) => "(NOT active_unassigned)".to_owned(),
            Predicate::Present(Column::Member) => {
                "EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = groups.id)".to_owned()
            }
            Predicate::Present(column) => format!("({} IS NOT NULL)", column_name(*column)),
            Predicate::Compare { column, op, value } => self.compare(*column, *op, value),
        }
    }

    /// The rows after `at` in its order: its terms as [`order_by`] writes them compared
    /// lexicographically. The first term is also bounded on its own (`>=`), which lets the
    /// database seek in the order's index to where the last batch stopped. A column that may
    /// be missing is preceded by whether it is (missing values sort last), so no comparison
    /// meets NULL; such orders are answered correctly but seek only to the missing or present
    /// rows, so the domain reads candidates in listing order instead for them.
    fn after(&mut self, table: Table, at: &Position) -> String {
        let d = self.dialect;
        let mut terms = Vec::new();
        match at.order.map(|o| o.column) {
            None | Some(SortColumn::Created) => {}
            Some(SortColumn::Id) => {
                let id = self.bind(Arg::Id(at.id));
                return lexicographic(at, &[("id".to_owned(), id)]);
            }
            // Unique keys: no ties.
            Some(SortColumn::UserName) => return self.after_key(at, "user_name_key"),
            Some(SortColumn::DisplayName) if table.name != ACCOUNTS.name => {
                return self.after_key(at, "display_name_key");
            }
            Some(SortColumn::DisplayName) => {
                self.nullable(at, &mut terms, "display_name", |e| lower_ascii(d, e));
            }
            Some(SortColumn::ExternalId) => {
                self.nullable(at, &mut terms, "external_id", |e| d.ordered(e));
            }
            Some(SortColumn::LastModified) => {
                let updated = self.bind(at.value.as_ref().map_or(Arg::Time(at.created), arg));
                terms.push(("updated_at".to_owned(), updated));
            }
        }
        let created = self.bind(Arg::Time(at.created));
        let id = self.bind(Arg::Id(at.id));
        terms.push(("created_at".to_owned(), created));
        terms.push(("id".to_owned(), id));
        lexicographic(at, &terms)
    }

    fn after_key(&mut self, at: &Position, key: &str) -> String {
        let value = self.bind(at.value.as_ref().map_or(Arg::Text(String::new()), arg));
        lexicographic(at, &[(self.dialect.ordered(key), value)])
    }

    /// The terms of a column that may be missing: whether it is, then (when `at` has a value)
    /// the column as ordered.
    fn nullable(
        &mut self,
        at: &Position,
        terms: &mut Vec<(String, String)>,
        column: &str,
        ordered: impl Fn(&str) -> String,
    ) {
        let missing = self.bind(Arg::Bool(at.value.is_none()));
        terms.push((format!("({column} IS NULL)"), missing));
        if let Some(value) = &at.value {
            let value = self.bind(arg(value));
            terms.push((ordered(column), ordered(&value)));
        }
    }

    /// `sw` as a range on the column's code-point order, `[prefix, successor)`, so an index on
    /// the column is searched instead of every row of the organization tested; the exact test
    /// stays beside it and costs nothing on the rows the range keeps.
    fn prefix_range(&mut self, ordered: &str, p: &str, prefix: &str, exact: String) -> String {
        match prefix_successor(prefix) {
            Some(end) => {
                let end = self.bind(Arg::Text(end));
                format!("{ordered} >= {p} AND {ordered} < {end} AND {exact}")
            }
            None => format!("{ordered} >= {p} AND {exact}"),
        }
    }

    fn compare(&mut self, column: Column, op: Op, value: &Bound) -> String {
        let p = self.bind(arg(value));
        let d = self.dialect;
        match column {
            Column::Active if op == Op::Eq => format!("(NOT active_unassigned AND active = {p})"),
            Column::Active => format!("(active_unassigned OR active <> {p})"),
            Column::Member => format!(
                "EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = groups.id AND m.account_id = {p})"
            ),
            column => {
                let c = column_name(column);
                // Text orders by code point, as in memory; other types have one order anyway.
                let ordered = if matches!(value, Bound::Text(_)) {
                    d.ordered(c)
                } else {
                    c.to_owned()
                };
                let test = match op {
                    Op::Ne => return format!("({c} IS NULL OR {c} <> {p})"),
                    Op::Eq if column == Column::ExternalId => d.equals_in_sort_index(c, &p),
                    Op::Eq => format!("{c} = {p}"),
                    Op::Gt => format!("{ordered} > {p}"),
                    Op::Ge => format!("{ordered} >= {p}"),
                    Op::Lt => format!("{ordered} < {p}"),
                    Op::Le => format!("{ordered} <= {p}"),
                    Op::Contains => d.contains(c, &p),
                    Op::StartsWith => {
                        let exact = d.starts_with(c, &p);
                        match value {
                            Bound::Text(prefix) => self.prefix_range(&ordered, &p, prefix, exact),
                            _ => exact,
                        }
                    }
                    Op::EndsWith => d.ends_with(c, &p),
                };
                format!("({c} IS NOT NULL AND {test})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use roster_scim::{filter::parse_filter, schema::USER_RESOURCE};

    use super::*;

    fn filter(text: &str) -> StoreFilter {
        StoreFilter::lower(&USER_RESOURCE, &parse_filter(text).unwrap()).unwrap()
    }

    #[test]
    fn an_unfiltered_page_reads_the_kept_number_of_rows_instead_of_counting_them() {
        let org = OrgId::new_random();
        let groups = listing(Dialect::Postgres, GROUPS, org, None, Page::new(0, 10));
        assert_eq!(
            groups.count,
            Some(Sql {
                text: "SELECT coalesce((SELECT groups FROM org_resource_counts WHERE org_id = $1), 0) \
                       AS total"
                    .into(),
                args: vec![Arg::Id(org.into())],
            })
        );
        let filtered = listing(
            Dialect::Sqlite,
            ACCOUNTS,
            org,
            Some(&filter("active eq true")),
            Page::new(0, 10),
        );
        assert!(
            filtered
                .count
                .unwrap()
                .text
                .starts_with("SELECT count(*) AS total FROM accounts")
        );
    }

    #[test]
    fn starts_with_is_a_range_on_the_column_beside_the_exact_test() {
        let org = OrgId::new_random();
        let listing = listing(
            Dialect::Sqlite,
            ACCOUNTS,
            org,
            Some(&filter("userName sw \"Ab\"")),
            Page::new(0, 10),
        );
        assert!(listing.rows.text.contains(
            "(user_name_key IS NOT NULL AND user_name_key >= ?2 AND user_name_key < ?3 \
             AND substr(user_name_key, 1, length(?2)) = ?2)"
        ));
        assert_eq!(
            listing.rows.args[1..3],
            [Arg::Text("ab".into()), Arg::Text("ac".into())]
        );
    }

    #[test]
    fn external_id_equality_is_written_for_the_external_id_sort_index() {
        let org = OrgId::new_random();
        let eq = filter("externalId eq \"E-1\"");
        let sqlite = listing(Dialect::Sqlite, ACCOUNTS, org, Some(&eq), Page::new(0, 10));
        assert!(sqlite.rows.text.contains(
            "(external_id IS NOT NULL AND (external_id IS NULL) = 0 AND external_id = ?2)"
        ));
        let postgres = listing(
            Dialect::Postgres,
            ACCOUNTS,
            org,
            Some(&eq),
            Page::new(0, 10),
        );
        assert!(
            postgres
                .rows
                .text
                .contains("(external_id IS NOT NULL AND external_id COLLATE \"C\" = $2)")
        );
        assert_eq!(postgres.rows.args[1], Arg::Text("E-1".into()));
    }

    #[test]
    fn the_successor_of_a_prefix_raises_its_last_raisable_character() {
        assert_eq!(prefix_successor("ab").as_deref(), Some("ac"));
        assert_eq!(prefix_successor("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_successor("\u{10FFFF}\u{10FFFF}"), None);
    }

    proptest::proptest! {
        /// The range keeps exactly the strings with the prefix (code-point order is UTF-8 byte
        /// order, which both stores compare by).
        #[test]
        fn the_prefix_range_keeps_exactly_the_strings_with_the_prefix(
            prefix in "[ab\u{D7FF}\u{E000}\u{10FFFF}]{0,3}",
            rest in "[ab\u{D7FF}\u{E000}\u{10FFFF}]{0,3}",
            other in "[ab\u{D7FF}\u{E000}\u{10FFFF}]{0,5}",
        ) {
            let with_prefix = format!("{prefix}{rest}");
            for s in [with_prefix.as_str(), other.as_str()] {
                let in_range = s >= prefix.as_str()
                    && prefix_successor(&prefix).is_none_or(|end| s < end.as_str());
                proptest::prop_assert_eq!(in_range, s.starts_with(prefix.as_str()), "{:?} {:?}", s, prefix);
            }
        }
    }

    #[test]
    fn a_page_binds_the_organization_the_filter_then_limit_and_offset() {
        let org = OrgId::new_random();
        let listing = listing(
            Dialect::Postgres,
            ACCOUNTS,
            org,
            Some(&filter("userName gt \"B\" and active eq true")),
            Page::new(20, 10),
        );
        let condition = "org_id = $1 AND NOT scim_deleted AND \
             ((user_name_key IS NOT NULL AND user_name_key COLLATE \"C\" > $2) \
             AND (NOT active_unassigned AND active = $3))";
        assert_eq!(
            listing.rows.text,
            format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {condition} \
                 ORDER BY created_at, id LIMIT $4 OFFSET $5"
            )
        );
        let filter_args = vec![Arg::Id(org.into()), Arg::Text("b".into()), Arg::Bool(true)];
        assert_eq!(
            listing.rows.args,
            [filter_args.clone(), vec![Arg::Int(10), Arg::Int(20)]].concat()
        );
        assert_eq!(
            listing.count,
            Some(Sql {
                text: format!("SELECT count(*) AS total FROM accounts WHERE {condition}"),
                args: filter_args,
            })
        );
    }

    #[test]
    fn only_a_page_that_reaches_the_end_of_the_matches_tells_their_number() {
        let window = |offset, limit| Window { offset, limit };
        // Entra's match: one row or none on a page of 100.
        assert_eq!(window(0, Some(100)).total_from_rows(1), Some(1));
        assert_eq!(window(0, Some(100)).total_from_rows(0), Some(0));
        // A last page, not full, after 200 skipped.
        assert_eq!(window(200, Some(100)).total_from_rows(37), Some(237));
        // A full page may have more after it; an empty one past the end, fewer before it.
        assert_eq!(window(0, Some(100)).total_from_rows(100), None);
        assert_eq!(window(500, Some(100)).total_from_rows(0), None);
        assert_eq!(window(0, Some(0)).total_from_rows(0), None);
        assert_eq!(window(5, None).total_from_rows(3), Some(8));
    }

    #[test]
    fn every_row_needs_no_count_and_no_paging() {
        let listing = listing(
            Dialect::Sqlite,
            GROUPS,
            OrgId::new_random(),
            None,
            Page::ALL,
        );
        assert_eq!(
            listing.rows.text,
            format!("SELECT {GROUP_COLUMNS} FROM groups WHERE org_id = ?1 ORDER BY created_at, id")
        );
        assert_eq!(listing.count, None);
        let skipped = super::listing(
            Dialect::Sqlite,
            GROUPS,
            OrgId::new_random(),
            None,
            Page {
                offset: 5,
                limit: None,
                ..Page::new(0, 0)
            },
        );
        assert!(skipped.rows.text.ends_with(" LIMIT -1 OFFSET ?2"));
        assert!(skipped.count.is_some());
    }

    #[test]
    fn substring_tests_use_each_dialects_character_functions() {
        let sql = |dialect| {
            listing(
                dialect,
                ACCOUNTS,
                OrgId::new_random(),
                Some(&filter("userName sw \"a\" or externalId ew \"z\"")),
                Page::ALL,
            )
            .rows
            .text
        };
        assert!(sql(Dialect::Sqlite).contains(
            "(user_name_key IS NOT NULL AND user_name_key >= ?2 AND user_name_key < ?3 \
             AND substr(user_name_key, 1, length(?2)) = ?2)"
        ));
        assert!(sql(Dialect::Postgres).contains(
            "(user_name_key IS NOT NULL AND user_name_key COLLATE \"C\" >= $2 \
             AND user_name_key COLLATE \"C\" < $3 AND starts_with(user_name_key, $2))"
        ));
        assert!(
            sql(Dialect::Postgres)
                .contains("(external_id IS NOT NULL AND right(external_id, char_length($4)) = $4)")
        );
    }

    #[test]
    fn sorted_pages_order_by_the_indexed_column_then_creation_and_id() {
        let sql = |dialect, column, descending| {
            let page = Page::new(0, 1).ordered(Some(Order { column, descending }));
            listing(dialect, ACCOUNTS, OrgId::new_random(), None, page)
                .rows
                .text
        };
        assert!(
            sql(Dialect::Postgres, SortColumn::UserName, false)
                .contains("ORDER BY user_name_key COLLATE \"C\" LIMIT")
        );
        assert!(sql(Dialect::Sqlite, SortColumn::ExternalId, true).contains(
            "ORDER BY (external_id IS NULL) DESC, external_id DESC, created_at DESC, id DESC"
        ));
        assert!(
            sql(Dialect::Postgres, SortColumn::LastModified, false)
                .contains("ORDER BY updated_at, created_at, id LIMIT")
        );
        assert!(
            sql(Dialect::Postgres, SortColumn::DisplayName, false)
                .contains("ORDER BY lower(display_name COLLATE \"C\"), created_at, id LIMIT")
        );
        let groups = listing(
            Dialect::Postgres,
            GROUPS,
            OrgId::new_random(),
            None,
            Page::new(0, 1).ordered(Some(Order {
                column: SortColumn::DisplayName,
                descending: true,
            })),
        );
        assert!(
            groups
                .rows
                .text
                .contains("ORDER BY display_name_key COLLATE \"C\" DESC LIMIT")
        );
        let batch = listing(
            Dialect::Sqlite,
            GROUPS,
            OrgId::new_random(),
            None,
            Page::batch(500, None),
        );
        assert_eq!(batch.count, None, "a batch of candidates is not counted");
    }

    #[test]
    fn a_keyset_batch_continues_after_the_last_row_from_the_orders_index() {
        let org = OrgId::new_random();
        let id = uuid::Uuid::new_v4();
        let created = time::OffsetDateTime::UNIX_EPOCH;
        let after = |order| {
            let position = roster_domain::Position {
                order,
                value: None,
                created,
                id,
            };
            listing(
                Dialect::Sqlite,
                ACCOUNTS,
                org,
                Some(&StoreFilter::after(None, position)),
                Page::batch(500, order),
            )
            .rows
        };
        let sql = after(None);
        assert_eq!(
            sql.text,
            format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE org_id = ?1 AND NOT scim_deleted \
                 AND (created_at >= ?2 AND ((created_at > ?2) OR (created_at = ?2 AND id > ?3))) \
                 ORDER BY created_at, id LIMIT ?4 OFFSET ?5"
            )
        );
        assert_eq!(
            sql.args,
            [
                Arg::Id(org.into()),
                Arg::Time(created),
                Arg::Id(id),
                Arg::Int(500),
                Arg::Int(0)
            ]
        );
        let newest_first = after(Some(Order {
            column: SortColumn::Created,
            descending: true,
        }));
        assert!(newest_first.text.contains(
            "(created_at <= ?2 AND ((created_at < ?2) OR (created_at = ?2 AND id < ?3)))"
        ));
    }
}
