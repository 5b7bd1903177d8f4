//! Runs the SCIM listings `roster-store-sql` writes: the page's rows and, unless the rows tell
//! it (see [`roster_store_sql::Window::total_from_rows`]), the count of all matches.

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
    let Listing {
        rows,
        count,
        window,
    } = listing;
    let (text, args) = params(rows);
    let rows = query(client, &text, &refs(&args), "listing rows").await?;
    // A page that is not counted reports its rows as the total.
    let total = match (count, window.total_from_rows(rows.len())) {
        (None, _) => rows.len() as u64,
        (Some(_), Some(total)) => total,
        (Some(count), None) => {
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
