//! roster-store-sql: the SQL Roster's stores share, generated once for SQLite and PostgreSQL —
//! SCIM listings ([`listing`]: a [`StoreFilter`](roster_domain::StoreFilter) compiled to bound
//! SQL, paged and counted) and the membership-removal rule of SPEC §2.7 ([`remove_members`]).
//!
//! It sits under the stores and depends on the domain only, never on a driver: it produces SQL
//! text and the values bound to it as driver-neutral [`Arg`]s, which each store converts to its
//! driver's types in one function. What differs between the two databases is a small
//! [`Dialect`]. Values are always bound, never spliced.

pub mod console;
pub mod events;
mod listing;
mod memberships;
pub mod rekey;

use time::OffsetDateTime;
use uuid::Uuid;

pub use listing::{
    ACCOUNT_COLUMNS, ACCOUNTS, GROUP_COLUMNS, GROUPS, Listing, Table, Tally, listing,
};
pub use memberships::{Members, remove_members};

/// The database the SQL is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The placeholder of the `n`th bound value (1-based).
    fn param(self, n: usize) -> String {
        match self {
            Self::Sqlite => format!("?{n}"),
            Self::Postgres => format!("${n}"),
        }
    }

    /// Text column `c` where it is ordered (`<`, `>`): by code point, as the in-memory evaluator
    /// compares. SQLite's default collation is that order; PostgreSQL's depends on the database,
    /// so the "C" collation is asked for.
    fn ordered(self, c: &str) -> String {
        match self {
            Self::Sqlite => c.to_owned(),
            Self::Postgres => format!("{c} COLLATE \"C\""),
        }
    }

    /// `c = p` for `externalId`, whose only index is the one it sorts by (migration 0014 dropped
    /// the plain `(org_id, external_id)`, which cost every write a page of its own): SQLite's
    /// leads with `(c IS NULL)`, which the test must name for the index to be searched;
    /// PostgreSQL's holds `c` in the "C" collation, where equal means what it means in the
    /// database's collation (PostgreSQL's database collations are deterministic: byte-equal).
    fn equals_in_sort_index(self, c: &str, p: &str) -> String {
        match self {
            Self::Sqlite => format!("({c} IS NULL) = 0 AND {c} = {p}"),
            Self::Postgres => format!("{} = {p}", self.ordered(c)),
        }
    }

    /// `c` contains `p`. Character functions compare exactly: no LIKE pattern to escape.
    fn contains(self, c: &str, p: &str) -> String {
        match self {
            Self::Sqlite => format!("instr({c}, {p}) > 0"),
            Self::Postgres => format!("strpos({c}, {p}) > 0"),
        }
    }

    fn starts_with(self, c: &str, p: &str) -> String {
        match self {
            Self::Sqlite => format!("substr({c}, 1, length({p})) = {p}"),
            Self::Postgres => format!("starts_with({c}, {p})"),
        }
    }

    fn ends_with(self, c: &str, p: &str) -> String {
        match self {
            Self::Sqlite => {
                format!(
                    "length({c}) >= length({p}) AND substr({c}, length({c}) - length({p}) + 1) = {p}"
                )
            }
            Self::Postgres => format!("right({c}, char_length({p})) = {p}"),
        }
    }

    /// What follows an id expression to test that it is one of the ids bound at `p` (an
    /// [`Arg::Ids`]).
    fn in_ids(self, p: &str) -> String {
        match self {
            Self::Sqlite => format!("IN (SELECT value FROM json_each({p}))"),
            Self::Postgres => format!("= ANY({p})"),
        }
    }

    /// The clause that skips `offset` rows and keeps every other.
    fn offset_only(self, offset: &str) -> String {
        match self {
            // SQLite has OFFSET only after a LIMIT; a negative one is no limit.
            Self::Sqlite => format!(" LIMIT -1 OFFSET {offset}"),
            Self::Postgres => format!(" OFFSET {offset}"),
        }
    }
}

/// A value bound to a statement, in no driver's type. Each store converts it in one function:
/// SQLite keeps times as Unix microseconds and ids as text, PostgreSQL as `timestamptz` and
/// `uuid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Bool(bool),
    Int(i64),
    Time(OffsetDateTime),
    Id(Uuid),
    /// A list of ids, tested with [`Dialect::in_ids`] (SQLite reads it as a JSON array).
    Ids(Vec<Uuid>),
}

/// A statement and the values of its placeholders, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

/// Binds values while a statement is written, numbering the placeholders.
struct Binder {
    dialect: Dialect,
    args: Vec<Arg>,
}

impl Binder {
    fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            args: Vec::new(),
        }
    }

    /// Binds `arg`; returns its placeholder.
    fn bind(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        self.dialect.param(self.args.len())
    }

    fn finish(self, text: String) -> Sql {
        Sql {
            text,
            args: self.args,
        }
    }
}

/// Counts, limits and offsets are unsigned in the domain and signed 64-bit in both databases.
fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
