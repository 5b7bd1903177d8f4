//! Lowered SCIM filters ([`StoreFilter`]) as bound SQLite SQL. Values are always bound, never
//! spliced. Substring tests use `instr`/`substr`, which compare characters exactly, so there is
//! no LIKE pattern to escape and no ASCII-only case folding: columns hold keys the domain folded.

use roster_domain::{Bound, Column, Op, OrgId, Predicate, StoreError, StoreFilter};
use rusqlite::{Connection, ToSql, types::Value};

use crate::convert::{Context, to_micros};

/// One page of the organization's rows of `table` matching `filter` (all of them without one), and
/// their number. `visible`
/// is an extra condition on the rows SCIM may see (e.g. `scim_deleted = 0 AND `); `select` reads
/// the page given the condition, the LIMIT/OFFSET clause and the bound values.
pub(crate) fn page_matching<T>(
    conn: &Connection,
    table: &str,
    visible: &str,
    org: OrgId,
    filter: Option<&StoreFilter>,
    (offset, limit): (u64, u64),
    select: impl FnOnce(&str, &str, &[&dyn ToSql]) -> Result<Vec<T>, StoreError>,
) -> Result<(Vec<T>, u64), StoreError> {
    let (condition, mut args) = match filter {
        Some(filter) => compile(filter, 2),
        None => ("1".to_owned(), Vec::new()),
    };
    let condition = format!("org_id = ?1 AND {visible}{condition}");
    args.insert(0, Value::Text(org.to_string()));
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM {table} WHERE {condition}"))
        .and_then(|mut s| s.query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0)))
        .context("counting matching rows")?;
    let n = args.len();
    args.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    args.push(Value::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
    let refs: Vec<&dyn ToSql> = args.iter().map(|a| a as &dyn ToSql).collect();
    let page = select(
        &condition,
        &format!("LIMIT ?{} OFFSET ?{}", n + 1, n + 2),
        &refs,
    )?;
    Ok((page, total.unsigned_abs()))
}

/// SQL for the filter and its bound values, numbered from `first_param`. Runs on `accounts` or
/// `groups`; the domain lowers only the columns each table has.
pub(crate) fn compile(filter: &StoreFilter, first_param: usize) -> (String, Vec<Value>) {
    let mut out = Compiler {
        sql: String::new(),
        args: Vec::new(),
        first_param,
    };
    out.predicate(filter.predicate());
    (out.sql, out.args)
}

struct Compiler {
    sql: String,
    args: Vec<Value>,
    first_param: usize,
}

impl Compiler {
    fn bind(&mut self, value: &Bound) -> String {
        self.args.push(match value {
            Bound::Text(text) => Value::Text(text.clone()),
            Bound::Bool(b) => Value::Integer(i64::from(*b)),
            Bound::Time(at) => Value::Integer(to_micros(*at)),
        });
        format!("?{}", self.first_param + self.args.len() - 1)
    }

    /// Columns compared directly (`active` and members have their own SQL).
    fn column(column: Column) -> &'static str {
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

    fn predicate(&mut self, predicate: &Predicate) {
        match predicate {
            Predicate::And(a, b) | Predicate::Or(a, b) => {
                let joiner = if matches!(predicate, Predicate::And(..)) {
                    " AND "
                } else {
                    " OR "
                };
                self.sql.push('(');
                self.predicate(a);
                self.sql.push_str(joiner);
                self.predicate(b);
                self.sql.push(')');
            }
            Predicate::Not(inner) => {
                self.sql.push_str("(NOT ");
                self.predicate(inner);
                self.sql.push(')');
            }
            Predicate::Const(true) => self.sql.push_str("(1 = 1)"),
            Predicate::Const(false) => self.sql.push_str("(1 = 0)"),
            Predicate::Present(Column::Active) => self.sql.push_str("(active_unassigned = 0)"),
            Predicate::Present(Column::Member) => self
                .sql
                .push_str("EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = groups.id)"),
            Predicate::Present(column) => {
                let col = Self::column(*column);
                self.sql.push_str(&format!("({col} IS NOT NULL)"));
            }
            Predicate::Compare { column, op, value } => self.compare(*column, *op, value),
        }
    }

    fn compare(&mut self, column: Column, op: Op, value: &Bound) {
        let p = self.bind(value);
        let sql = match (column, op) {
            (Column::Active, Op::Eq) => format!("(active_unassigned = 0 AND active = {p})"),
            (Column::Active, _) => format!("(active_unassigned = 1 OR active <> {p})"),
            (Column::Member, _) => format!(
                "EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = groups.id AND m.account_id = {p})"
            ),
            (column, op) => {
                let c = Self::column(column);
                match op {
                    Op::Ne => format!("({c} IS NULL OR {c} <> {p})"),
                    Op::Eq => format!("({c} IS NOT NULL AND {c} = {p})"),
                    Op::Gt => format!("({c} IS NOT NULL AND {c} > {p})"),
                    Op::Ge => format!("({c} IS NOT NULL AND {c} >= {p})"),
                    Op::Lt => format!("({c} IS NOT NULL AND {c} < {p})"),
                    Op::Le => format!("({c} IS NOT NULL AND {c} <= {p})"),
                    Op::Contains => format!("({c} IS NOT NULL AND instr({c}, {p}) > 0)"),
                    Op::StartsWith => {
                        format!("({c} IS NOT NULL AND substr({c}, 1, length({p})) = {p})")
                    }
                    Op::EndsWith => format!(
                        "({c} IS NOT NULL AND length({c}) >= length({p}) \
                         AND substr({c}, length({c}) - length({p}) + 1) = {p})"
                    ),
                }
            }
        };
        self.sql.push_str(&sql);
    }
}
