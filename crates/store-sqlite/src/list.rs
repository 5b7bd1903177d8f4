//! Runs the SCIM listings `roster-store-sql` writes: the page's rows and, unless the rows tell
//! it (see [`roster_store_sql::Tally::total`]), the count of all matches.

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
    let (rows, tally) = listing.split();
    let (text, args) = params(rows);
    let mut stmt = conn.prepare_cached(&text).context("listing rows")?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args), read)
        .context("listing rows")?
        .collect::<rusqlite::Result<Vec<_>>>()
        .context("listing rows")?;
    let total = match tally.total(rows.len()) {
        Ok(total) => total,
        Err(count) => {
            let (text, args) = params(count);
            let n: i64 = conn
                .prepare_cached(&text)
                .and_then(|mut s| s.query_row(rusqlite::params_from_iter(args), |r| r.get(0)))
                .context("counting matching rows")?;
            n.unsigned_abs()
        }
    };
    let rows = rows
        .into_iter()
        .map(convert)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total))
}

fn params(sql: Sql) -> (String, Vec<rusqlite::types::Value>) {
    (sql.text, sql.args.into_iter().map(value).collect())
}

#[cfg(test)]
mod tests {
    use roster_domain::{OrgId, Page, StoreFilter};
    use roster_scim::{
        filter::parse_filter,
        schema::{GROUP_RESOURCE, ResourceType, USER_RESOURCE},
    };
    use roster_store_sql::{ACCOUNTS, Dialect, GROUPS, Table, listing};

    use super::*;

    /// How SQLite means to answer `filter` on `table`: the details of `EXPLAIN QUERY PLAN`.
    fn plan(conn: &Connection, table: Table, resource: &ResourceType, filter: &str) -> String {
        let filter = StoreFilter::lower(resource, &parse_filter(filter).unwrap()).unwrap();
        let listing = listing(
            Dialect::Sqlite,
            table,
            OrgId::new_random(),
            Some(&filter),
            Page::new(0, 100),
        );
        let (text, args) = params(listing.rows);
        let mut explain = conn.prepare(&format!("EXPLAIN QUERY PLAN {text}")).unwrap();
        explain
            .query_map(rusqlite::params_from_iter(args), |row| {
                row.get::<_, String>(3)
            })
            .unwrap()
            .collect::<rusqlite::Result<Vec<_>>>()
            .unwrap()
            .join("; ")
    }

    fn migrated(dir: &tempfile::TempDir) -> Connection {
        let mut conn = crate::pool::open_writer(&dir.path().join("plan.db")).unwrap();
        crate::migrations::apply(&mut conn).unwrap();
        conn
    }

    #[test]
    fn a_user_name_prefix_is_searched_in_the_organizations_user_name_index() {
        let dir = tempfile::tempdir().unwrap();
        let conn = migrated(&dir);
        let sw = plan(&conn, ACCOUNTS, &USER_RESOURCE, "userName sw \"ab\"");
        assert!(
            sw.contains(
                "USING INDEX accounts_org_user_name_key (org_id=? AND user_name_key>? AND user_name_key<?)"
            ),
            "{sw}"
        );
    }

    /// Equality on `externalId` (a client matching by its own ids) searches the sort index, the
    /// only index on the column since migration 0014, rather than every row of the organization.
    #[test]
    fn an_external_id_is_looked_up_in_the_external_id_sort_index() {
        let dir = tempfile::tempdir().unwrap();
        let conn = migrated(&dir);
        for (table, resource, index) in [
            (ACCOUNTS, &USER_RESOURCE, "accounts_org_external_id_sort"),
            (GROUPS, &GROUP_RESOURCE, "groups_org_external_id_sort"),
        ] {
            let eq = plan(&conn, table, resource, "externalId eq \"E-1\"");
            assert!(
                eq.contains(&format!(
                    "USING INDEX {index} (org_id=? AND <expr>=? AND external_id=?)"
                )),
                "{eq}"
            );
        }
    }
}
