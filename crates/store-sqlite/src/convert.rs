//! Conversions between domain values and SQLite columns, and error context.

use roster_domain::{StoreError, Unique};
use roster_store_sql::Arg;
use rusqlite::{ErrorCode, types::Value};
use time::OffsetDateTime;

/// Times are stored as Unix microseconds: compact, ordered and index-friendly.
pub(crate) fn to_micros(t: OffsetDateTime) -> i64 {
    // i64 microseconds span ±292,000 years; truncation cannot happen for real times.
    i64::try_from(t.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

pub(crate) fn from_micros(us: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .map_err(|e| StoreError::internal("reading a stored time", e))
}

/// A value bound to generated SQL, as SQLite stores it: booleans as 0/1, times as
/// microseconds, ids as hyphenated text, a list of ids as a JSON array (read with `json_each`).
pub(crate) fn value(arg: Arg) -> Value {
    match arg {
        Arg::Text(text) => Value::Text(text),
        Arg::Bool(b) => Value::Integer(i64::from(b)),
        Arg::Int(n) => Value::Integer(n),
        Arg::Time(at) => Value::Integer(to_micros(at)),
        Arg::Id(id) => Value::Text(id.hyphenated().to_string()),
        Arg::Ids(ids) => Value::Text(
            serde_json::Value::from(
                ids.iter()
                    .map(|id| id.hyphenated().to_string())
                    .collect::<Vec<_>>(),
            )
            .to_string(),
        ),
    }
}

/// Adds what was being done to a rusqlite error, and turns uniqueness violations into
/// [`StoreError::UniqueViolation`] so the domain can answer 409 instead of 500.
pub(crate) trait Context<T> {
    fn context(self, what: &str) -> Result<T, StoreError>;
}

impl<T> Context<T> for rusqlite::Result<T> {
    fn context(self, what: &str) -> Result<T, StoreError> {
        self.map_err(|e| match e.sqlite_error_code() {
            Some(ErrorCode::ConstraintViolation) => match unique_rule(&e.to_string()) {
                Some(rule) => StoreError::UniqueViolation(rule),
                None => StoreError::internal(what.to_owned(), e),
            },
            Some(code) if is_transient(code) => StoreError::unavailable(what.to_owned(), e),
            _ => StoreError::internal(what.to_owned(), e),
        })
    }
}

/// Failures that pass once an operator (or time) fixes the file's surroundings: the disk is
/// full, the file or its directory became read-only or unreadable, I/O failed, another process
/// held a lock past `busy_timeout`. Nothing was written, and the same write may succeed later.
pub(crate) fn is_transient(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::DiskFull
            | ErrorCode::ReadOnly
            | ErrorCode::SystemIoFailure
            | ErrorCode::CannotOpen
            | ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::OutOfMemory
    )
}

/// A failure of the writer's own transaction statements (BEGIN, SAVEPOINT, COMMIT), classified
/// like a statement's.
pub(crate) fn write_failure(what: &str, e: &rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(code) if is_transient(code) => StoreError::unavailable(what.to_owned(), e.to_string()),
        _ => StoreError::internal(what.to_owned(), e.to_string()),
    }
}

/// The uniqueness rule behind SQLite's "UNIQUE constraint failed: TABLE.COLUMN, ..." message.
fn unique_rule(message: &str) -> Option<Unique> {
    let columns = message.strip_prefix("UNIQUE constraint failed: ")?;
    Some(match columns {
        "accounts.user_name_key" => Unique::UserName,
        "groups.org_id, groups.display_name_key" => Unique::GroupName,
        "scim_tokens.org_id" => Unique::CurrentScimToken,
        _ => Unique::Id,
    })
}

pub(crate) fn to_json(
    map: &serde_json::Map<String, serde_json::Value>,
) -> Result<String, StoreError> {
    serde_json::to_string(map).map_err(|e| StoreError::internal("encoding attributes", e))
}

pub(crate) fn from_json(
    text: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::internal("decoding stored attributes", e))
}

pub(crate) fn parse_id<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, StoreError>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.parse()
        .map_err(|e| StoreError::internal(format!("reading {what}"), e))
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, OpenFlags};

    use super::*;

    /// SQLite's own SQLITE_FULL: a database limited to a few pages, as a full disk would be.
    #[test]
    fn a_full_database_is_unavailable_not_internal() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("full.db")).unwrap();
        conn.execute_batch("CREATE TABLE t (v BLOB); PRAGMA max_page_count = 8;")
            .unwrap();
        let full = (0..100)
            .map(|_| {
                conn.execute("INSERT INTO t VALUES (zeroblob(4096))", [])
                    .context("inserting")
            })
            .find_map(Result::err)
            .unwrap();
        assert!(
            matches!(full, StoreError::Unavailable(_)),
            "{full:?} should be Unavailable"
        );
    }

    #[test]
    fn a_read_only_database_is_unavailable_not_internal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ro.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (v TEXT)")
            .unwrap();
        let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let refused = conn
            .execute("INSERT INTO t VALUES ('x')", [])
            .context("inserting")
            .unwrap_err();
        assert!(
            matches!(refused, StoreError::Unavailable(_)),
            "{refused:?} should be Unavailable"
        );
    }

    #[test]
    fn a_constraint_is_not_unavailable() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v TEXT NOT NULL)")
            .unwrap();
        let refused = conn
            .execute("INSERT INTO t VALUES (NULL)", [])
            .context("inserting")
            .unwrap_err();
        assert!(matches!(refused, StoreError::Internal(_)), "{refused:?}");
    }
}
