//! Runs the SCIM listings `roster-store-sql` writes: the page's rows and, unless the page is every
//! row, the count of all matches.

use roster_domain::StoreError;
use roster_store_sql::{Listing, Sql};
use rusqlite::{Connection, Row};

use crate::convert::{Context, value};

/// The listing's rows, read by `read` and turned into domain values by `convert`, and the number
/// of matches.
pub(crate) fn run<R, T>(
    conn: &Connection,
    listing: Listing,
    read: fn(&Row<'_>) -> rusqlite::Result<R>,
    convert: fn(R) -> Result<T, StoreError>,
) -> Result<(Vec<T>, u64), StoreError> {
    let total = match listing.count {
        Some(count) => {
            let (text, args) = params(count);
            let n: i64 = conn
                .prepare_cached(&text)
                .and_then(|mut s| s.query_row(rusqlite::params_from_iter(args), |r| r.get(0)))
                .context("counting matching rows")?;
            Some(n.unsigned_abs())
        }
        None => None,
    };
    let (text, args) = params(listing.rows);
    let mut stmt = conn.prepare_cached(&text).context("listing rows")?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args), read)
        .context("listing rows")?
        .collect::<rusqlite::Result<Vec<_>>>()
        .context("listing rows")?;
    let rows = rows
        .into_iter()
        .map(convert)
        .collect::<Result<Vec<_>, _>>()?;
    let total = total.unwrap_or(rows.len() as u64);
    Ok((rows, total))
}

fn params(sql: Sql) -> (String, Vec<rusqlite::types::Value>) {
    (sql.text, sql.args.into_iter().map(value).collect())
}
