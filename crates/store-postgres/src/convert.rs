//! Conversions between domain values and PostgreSQL columns, and the mapping of driver errors
//! to [`StoreError`], so nothing above this crate sees a tokio-postgres type.

use std::{fmt::Display, str::FromStr};

use roster_domain::{StoreError, Unique};
use roster_store_sql::Arg;
use tokio_postgres::{
    Row,
    error::SqlState,
    types::{FromSql, ToSql},
};
use uuid::Uuid;

/// A value bound to a statement.
pub(crate) type Param = Box<dyn ToSql + Sync + Send>;

/// A value bound to generated SQL, in the column types PostgreSQL keeps: `timestamptz`, `uuid`,
/// `uuid[]` for a list of ids.
pub(crate) fn param(arg: Arg) -> Param {
    match arg {
        Arg::Text(text) => Box::new(text),
        Arg::Bool(b) => Box::new(b),
        Arg::Int(n) => Box::new(n),
        Arg::Time(at) => Box::new(at),
        Arg::Id(id) => Box::new(id),
        Arg::Ids(ids) => Box::new(ids),
    }
}

/// Adds what was being done to a driver error, and turns uniqueness violations into
/// [`StoreError::UniqueViolation`] so the domain can answer 409 instead of 500.
pub(crate) trait Context<T> {
    fn context(self, what: &str) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, tokio_postgres::Error> {
    fn context(self, what: &str) -> Result<T, StoreError> {
        self.map_err(|e| store_error(what, &e))
    }
}

impl<T> Context<T> for Result<T, deadpool_postgres::PoolError> {
    fn context(self, what: &str) -> Result<T, StoreError> {
        self.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(e) => store_error(what, &e),
            // Every connection busy past the wait, or none could be opened in time: the server
            // is slow or gone, and a later request may find one.
            other @ (deadpool_postgres::PoolError::Timeout(_)
            | deadpool_postgres::PoolError::PostCreateHook(_)) => {
                StoreError::unavailable(format!("{what}: getting a database connection"), other)
            }
            other => StoreError::internal(format!("{what}: getting a database connection"), other),
        })
    }
}

pub(crate) fn store_error(what: &str, e: &tokio_postgres::Error) -> StoreError {
    let Some(db) = e.as_db_error() else {
        // No answer from the server: refused, reset, closed, timed out. Errors of our own
        // making (a parameter that does not fit its column) are not transient.
        let cause = with_causes(e);
        return if e.is_closed() || is_connection_failure(e) {
            StoreError::unavailable(what.to_owned(), cause)
        } else {
            StoreError::internal(what.to_owned(), cause)
        };
    };
    if *db.code() == SqlState::UNIQUE_VIOLATION {
        return StoreError::UniqueViolation(unique_rule(db.constraint()));
    }
    // tokio-postgres prints only "db error" for server errors; the server's message (severity,
    // SQLSTATE, text) is what an operator needs in the log.
    let cause = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
    if is_transient(db.code()) {
        StoreError::unavailable(what.to_owned(), cause)
    } else {
        StoreError::internal(what.to_owned(), cause)
    }
}

/// SQLSTATEs that say the server cannot serve now but may shortly: connection exceptions
/// (class 08), insufficient resources (53: too many connections, disk full, out of memory),
/// operator intervention (57: a statement timeout or cancel, a backend terminated, the server
/// shutting down or starting), and a lock not taken within `lock_timeout`.
fn is_transient(code: &SqlState) -> bool {
    let code = code.code();
    code.starts_with("08") || code.starts_with("53") || code.starts_with("57") || code == "55P03"
}

/// An I/O failure under the driver's error (connect refused, reset, timeout) rather than a
/// protocol or conversion problem.
fn is_connection_failure(e: &tokio_postgres::Error) -> bool {
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        if c.is::<std::io::Error>() {
            return true;
        }
        cause = c.source();
    }
    false
}

/// The error and its causes on one line: tokio-postgres says only "error connecting to server"
/// and keeps the reason ("Connection refused", a timeout) in its source.
fn with_causes(e: &tokio_postgres::Error) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let next = c.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = c.source();
    }
    text
}

/// The uniqueness rule behind a violated constraint.
fn unique_rule(constraint: Option<&str>) -> Unique {
    match constraint {
        Some("accounts_user_name_unique") => Unique::UserName,
        Some("groups_display_name_unique") => Unique::GroupName,
        Some("scim_tokens_one_current") => Unique::CurrentScimToken,
        _ => Unique::Id,
    }
}

/// A domain id (`OrgId`, `AccountId`, `GroupId`) as the `uuid` the columns hold.
pub(crate) fn to_uuid(id: impl Display) -> Result<Uuid, StoreError> {
    Uuid::parse_str(&id.to_string()).map_err(|e| StoreError::internal("converting an id", e))
}

/// A stored `uuid` as a domain id.
pub(crate) fn from_uuid<T>(id: Uuid, what: &str) -> Result<T, StoreError>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    id.hyphenated()
        .to_string()
        .parse()
        .map_err(|e| StoreError::internal(format!("reading {what}"), e))
}

/// A column of a row, with the column's name as context when its type does not fit.
pub(crate) fn col<'a, T: FromSql<'a>>(row: &'a Row, name: &str) -> Result<T, StoreError> {
    row.try_get(name)
        .map_err(|e| StoreError::internal(format!("reading column {name}"), e))
}

/// Counts and limits are unsigned in the domain and `bigint` in PostgreSQL.
pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A stored count or size back in the domain's unsigned type.
pub(crate) fn to_u32(n: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|e| StoreError::internal(format!("reading {what}"), e))
}

#[cfg(test)]
mod tests {
    use tokio_postgres::error::SqlState;

    use super::is_transient;

    #[test]
    fn what_passes_is_transient_and_what_does_not_is_not() {
        for code in [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::QUERY_CANCELED,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::TOO_MANY_CONNECTIONS,
            SqlState::CONNECTION_FAILURE,
            SqlState::DISK_FULL,
            SqlState::LOCK_NOT_AVAILABLE,
        ] {
            assert!(is_transient(&code), "{}", code.code());
        }
        for code in [
            SqlState::INVALID_PASSWORD,
            SqlState::INVALID_CATALOG_NAME,
            SqlState::UNDEFINED_TABLE,
            SqlState::NOT_NULL_VIOLATION,
        ] {
            assert!(!is_transient(&code), "{}", code.code());
        }
    }
}
