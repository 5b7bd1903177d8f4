//! Lowered SCIM filters ([`StoreFilter`]) as bound PostgreSQL SQL. Values are always bound, never
//! spliced. Substring tests use `strpos`/`starts_with`/`right`, which compare characters exactly
//! (no LIKE pattern to escape); ordering compares under the "C" collation, so it is the same code
//! point order as the in-memory evaluator and SQLite, whatever the database's collation.

use deadpool_postgres::GenericClient;
use roster_domain::{Bound, Column, Op, OrgId, Predicate, StoreError, StoreFilter};
use tokio_postgres::{Row, types::ToSql};
use uuid::Uuid;

use crate::{
    convert::{col, to_i64, to_uuid},
    pool::{query, query_one},
};

/// Where a filtered listing runs: the table, its selected columns, and the rows of the
/// organization SCIM may see there.
pub(crate) struct Listing<'a> {
    pub table: &'a str,
    pub columns: &'a str,
    /// Extra condition on visible rows, e.g. `NOT scim_deleted AND `; empty for none.
    pub visible: &'a str,
}

/// One page of the organization's rows matching `filter` (all of them without one), in listing
/// order, and their number.
pub(crate) async fn page_matching(
    client: &impl GenericClient,
    listing: &Listing<'_>,
    org: OrgId,
    filter: Option<&StoreFilter>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<Row>, u64), StoreError> {
    let (condition, args) = match filter {
        Some(filter) => compile(filter, 2)?,
        None => ("TRUE".to_owned(), Vec::new()),
    };
    let Listing {
        table,
        columns,
        visible,
    } = listing;
    let condition = format!("org_id = $1 AND {visible}{condition}");
    let org = to_uuid(org)?;
    let (limit, offset) = (to_i64(limit), to_i64(offset));
    let n = args.len();
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&org];
    params.extend(args.iter().map(|a| a.as_ref() as &(dyn ToSql + Sync)));
    let total: i64 = col(
        &query_one(
            client,
            &format!("SELECT count(*) AS total FROM {table} WHERE {condition}"),
            &params,
            "counting matching rows",
        )
        .await?,
        "total",
    )?;
    params.push(&limit);
    params.push(&offset);
    let rows = query(
        client,
        &format!(
            "SELECT {columns} FROM {table} WHERE {condition} ORDER BY created_at, id LIMIT ${} OFFSET ${}",
            n + 2,
            n + 3
        ),
        &params,
        "listing matching rows",
    )
    .await?;
    Ok((rows, total.unsigned_abs()))
}

/// A bound value.
pub(crate) type Arg = Box<dyn ToSql + Sync + Send>;

/// SQL for the filter and its bound values, numbered from `first_param`. Runs on `accounts` or
/// `groups`; the domain lowers only the columns each table has.
pub(crate) fn compile(
    filter: &StoreFilter,
    first_param: usize,
) -> Result<(String, Vec<Arg>), StoreError> {
    let mut out = Compiler {
        sql: String::new(),
        args: Vec::new(),
        first_param,
    };
    out.predicate(filter.predicate())?;
    Ok((out.sql, out.args))
}

struct Compiler {
    sql: String,
    args: Vec<Arg>,
    first_param: usize,
}

impl Compiler {
    fn bind(&mut self, column: Column, value: &Bound) -> Result<String, StoreError> {
        self.args.push(match (column, value) {
            // Ids are `uuid` columns; the domain only lowers canonical UUID text for them.
            (Column::Id | Column::Member, Bound::Text(text)) => Box::new(
                Uuid::parse_str(text).map_err(|e| StoreError::internal("binding an id", e))?,
            ),
            (_, Bound::Text(text)) => Box::new(text.clone()),
            (_, Bound::Bool(b)) => Box::new(*b),
            (_, Bound::Time(at)) => Box::new(*at),
        });
        Ok(format!("${}", self.first_param + self.args.len() - 1))
    }

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

    fn predicate(&mut self, predicate: &Predicate) -> Result<(), StoreError> {
        match predicate {
            Predicate::And(a, b) | Predicate::Or(a, b) => {
                let joiner = if matches!(predicate, Predicate::And(..)) {
                    " AND "
                } else {
                    " OR "
                };
                self.sql.push('(');
                self.predicate(a)?;
                self.sql.push_str(joiner);
                self.predicate(b)?;
                self.sql.push(')');
            }
            Predicate::Not(inner) => {
                self.sql.push_str("(NOT ");
                self.predicate(inner)?;
                self.sql.push(')');
            }
            Predicate::Const(true) => self.sql.push_str("TRUE"),
            Predicate::Const(false) => self.sql.push_str("FALSE"),
            Predicate::Present(Column::Active) => self.sql.push_str("(NOT active_unassigned)"),
            Predicate::Present(Column::Member) => self
                .sql
                .push_str("EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = groups.id)"),
            Predicate::Present(column) => {
                let col = Self::column(*column);
                self.sql.push_str(&format!("({col} IS NOT NULL)"));
            }
            Predicate::Compare { column, op, value } => self.compare(*column, *op, value)?,
        }
        Ok(())
    }

    fn compare(&mut self, column: Column, op: Op, value: &Bound) -> Result<(), StoreError> {
        let p = self.bind(column, value)?;
        let sql = match (column, op) {
            (Column::Active, Op::Eq) => format!("(NOT active_unassigned AND active = {p})"),
            (Column::Active, _) => format!("(active_unassigned OR active <> {p})"),
            (Column::Member, _) => format!(
                "EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = groups.id AND m.account_id = {p})"
            ),
            (column, op) => {
                let c = Self::column(column);
                // Text orders by code point, as in memory; other types have one order anyway.
                let ordered = if matches!(value, Bound::Text(_)) {
                    format!("{c} COLLATE \"C\"")
                } else {
                    c.to_owned()
                };
                match op {
                    Op::Ne => format!("({c} IS NULL OR {c} <> {p})"),
                    Op::Eq => format!("({c} IS NOT NULL AND {c} = {p})"),
                    Op::Gt => format!("({c} IS NOT NULL AND {ordered} > {p})"),
                    Op::Ge => format!("({c} IS NOT NULL AND {ordered} >= {p})"),
                    Op::Lt => format!("({c} IS NOT NULL AND {ordered} < {p})"),
                    Op::Le => format!("({c} IS NOT NULL AND {ordered} <= {p})"),
                    Op::Contains => format!("({c} IS NOT NULL AND strpos({c}, {p}) > 0)"),
                    Op::StartsWith => format!("({c} IS NOT NULL AND starts_with({c}, {p}))"),
                    Op::EndsWith => {
                        format!("({c} IS NOT NULL AND right({c}, char_length({p})) = {p})")
                    }
                }
            }
        };
        self.sql.push_str(&sql);
        Ok(())
    }
}
