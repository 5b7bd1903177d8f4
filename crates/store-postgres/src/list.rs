//! Runs the SCIM listings `roster-store-sql` writes: the page's rows and, unless the page is every
//! row, the count of all matches.

use deadpool_postgres::GenericClient;
use roster_domain::StoreError;
use roster_store_sql::{Listing, Sql};
use tokio_postgres::Row;

use crate::{
    convert::{Param, col, param},
    pool::{query, query_one},
};

/// The listing's rows and the number of matches.
pub(crate) async fn run(
    client: &impl GenericClient,
    listing: Listing,
) -> Result<(Vec<Row>, u64), StoreError> {
    let total = match listing.count {
        Some(count) => {
            let (text, params) = params(count);
            let row = query_one(client, &text, &refs(&params), "counting matching rows").await?;
            Some(col::<i64>(&row, "total")?.unsigned_abs())
        }
        None => None,
    };
    let (text, params) = params(listing.rows);
    let rows = query(client, &text, &refs(&params), "listing rows").await?;
    let total = total.unwrap_or(rows.len() as u64);
    Ok((rows, total))
}

fn params(sql: Sql) -> (String, Vec<Param>) {
    (sql.text, sql.args.into_iter().map(param).collect())
}

pub(crate) fn refs(params: &[Param]) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect()
}
