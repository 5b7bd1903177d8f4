//! Runs the SCIM listings `roster-store-sql` writes: the page's rows and, unless the rows tell
//! it (see [`roster_store_sql::Tally::total`]), the count of all matches.

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
    let (rows, tally) = listing.split();
    let (text, args) = params(rows);
    let rows = query(client, &text, &refs(&args), "listing rows").await?;
    let total = match tally.total(rows.len()) {
        Ok(total) => total,
        Err(count) => {
            let (text, params) = params(count);
            let row = query_one(client, &text, &refs(&params), "counting matching rows").await?;
            col::<i64>(&row, "total")?.unsigned_abs()
        }
    };
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
