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

#[cfg(test)]
mod tests {
    use roster_domain::{Page, Store, StoreFilter};
    use roster_scim::{
        filter::parse_filter,
        schema::{GROUP_RESOURCE, USER_RESOURCE},
    };
    use roster_store_sql::{ACCOUNTS, Dialect, GROUPS, listing};
    use roster_store_tests::support::{at, new_org};
    use tokio_postgres::NoTls;

    use super::{params, refs};
    use crate::testing::{fresh_store, server_url};

    /// Equality on `externalId` (a client matching by its own ids) searches the sort index, the
    /// only index on the column since migration 0014, rather than every row of the organization.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_external_id_is_looked_up_in_the_external_id_sort_index() {
        let Some(url) = server_url() else { return };
        let (store, db) = fresh_store(&url).await.unwrap();
        let org = new_org(10_000, at(0));
        store.insert_org(&org).await.unwrap();
        let (client, connection) = tokio_postgres::connect(&db.url, NoTls).await.unwrap();
        tokio::spawn(connection);
        // Enough rows, with statistics, that the planner weighs the indexes as it would in a real
        // directory (an empty table is cheapest read whole).
        client
            .execute(
                "INSERT INTO accounts (id, org_id, user_name, user_name_key, external_id, role,
                     active, scim_managed, scim_deleted, attributes, created_at, updated_at, version)
                 SELECT gen_random_uuid(), $1, 'u' || i, 'u' || i, 'E-' || i, 'learner', true, true,
                     false, '{}', now(), now(), 1
                 FROM generate_series(1, 5000) AS i",
                &[&uuid::Uuid::from(org.id)],
            )
            .await
            .unwrap();
        client
            .execute(
                "INSERT INTO groups (id, org_id, display_name, display_name_key, external_id,
                     scim_managed, attributes, created_at, updated_at, version)
                 SELECT gen_random_uuid(), $1, 'g' || i, 'g' || i, 'E-' || i, true, '{}', now(),
                     now(), 1
                 FROM generate_series(1, 5000) AS i",
                &[&uuid::Uuid::from(org.id)],
            )
            .await
            .unwrap();
        client
            .batch_execute("ANALYZE accounts; ANALYZE groups")
            .await
            .unwrap();
        for (table, resource, index) in [
            (ACCOUNTS, &USER_RESOURCE, "accounts_org_external_id_sort"),
            (GROUPS, &GROUP_RESOURCE, "groups_org_external_id_sort"),
        ] {
            let filter = parse_filter("externalId eq \"E-1\"").unwrap();
            let filter = StoreFilter::lower(resource, &filter).unwrap();
            let rows = listing(
                Dialect::Postgres,
                table,
                org.id,
                Some(&filter),
                Page::new(0, 100),
            )
            .rows;
            let (text, args) = params(rows);
            let plan: Vec<String> = client
                .query(&format!("EXPLAIN {text}"), &refs(&args))
                .await
                .unwrap()
                .iter()
                .map(|row| row.get(0))
                .collect();
            let plan = plan.join("\n");
            assert!(
                plan.contains(&format!("Index Scan using {index}")),
                "{plan}"
            );
            assert!(
                plan.lines()
                    .any(|line| line.contains("Index Cond") && line.contains("external_id")),
                "{plan}"
            );
        }
    }
}
