//! Candidates evaluated in memory are read in keyset batches: reaching the 10,000th candidate
//! costs SQLite what reaching the first does, where an OFFSET stepped over every row before it.

#![expect(clippy::unwrap_used, reason = "a test: a failed step is the report")]

use std::{path::Path, sync::Arc};

use roster_domain::{Bound, Order, OrgId, Page, Position, SortColumn, Store, StoreFilter};
use roster_scim::{filter::parse_filter, schema::USER_RESOURCE};
use roster_store_sql::{ACCOUNTS, Arg, Dialect, listing};
use roster_store_sqlite::SqliteStore;
use roster_store_tests::support::{at, org};
use rusqlite::{Connection, StatementStatus, params, types::Value};
use time::OffsetDateTime;
use uuid::Uuid;

const USERS: u32 = 30_000;
const BATCH: u64 = 500;
/// Where the deepest batch a request evaluated in memory reads starts (`MAX_CANDIDATES`).
const DEPTH: u32 = 10_000;

fn micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).unwrap()
}

/// `USERS` accounts of `org`, the `i`th created (and last modified) at `at(i)`, written
/// straight to the file; returns each one's (created, id), in creation order.
fn fill(path: &Path, org: OrgId) -> Vec<(OffsetDateTime, Uuid)> {
    let mut conn = Connection::open(path).unwrap();
    let tx = conn.transaction().unwrap();
    let mut rows = Vec::new();
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO accounts (id, org_id, user_name, user_name_key, role, active,
                     active_unassigned, scim_managed, scim_deleted, attributes, created_at,
                     updated_at, version)
                 VALUES (?1, ?2, ?3, ?3, 'student', 1, 0, 1, 0, '{}', ?4, ?4, 1)",
            )
            .unwrap();
        for i in 0..USERS {
            let id = Uuid::new_v4();
            let created = at(i64::from(i));
            insert
                .execute(params![
                    id.to_string(),
                    org.to_string(),
                    format!("u{i}@example.org"),
                    micros(created)
                ])
                .unwrap();
            rows.push((created, id));
        }
    }
    tx.commit().unwrap();
    rows
}

fn value(arg: Arg) -> Value {
    match arg {
        Arg::Text(text) => Value::Text(text),
        Arg::Bool(b) => Value::Integer(i64::from(b)),
        Arg::Int(n) => Value::Integer(n),
        Arg::Time(t) => Value::Integer(micros(t)),
        Arg::Id(id) => Value::Text(id.to_string()),
        Arg::Ids(_) => unreachable!("listings bind no id lists"),
    }
}

/// Runs the listing of `filter` and `page`: the rows it returned and the virtual-machine steps
/// SQLite took, which grow with the rows it examined.
fn steps(conn: &Connection, org: OrgId, filter: Option<&StoreFilter>, page: Page) -> (usize, i32) {
    let sql = listing(Dialect::Sqlite, ACCOUNTS, org, filter, page).rows;
    let mut stmt = conn.prepare(&sql.text).unwrap();
    let n = stmt
        .query_map(
            rusqlite::params_from_iter(sql.args.into_iter().map(value)),
            |_| Ok(()),
        )
        .unwrap()
        .count();
    (n, stmt.get_status(StatementStatus::VmStep))
}

#[tokio::test]
async fn a_batch_deep_in_the_candidates_examines_no_more_rows_than_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let (org, _) = org(&store, 10).await;
    let rows = fill(&path, org.id);
    let conn = Connection::open(&path).unwrap();
    // `filter=title pr` (no indexed condition to narrow by): every user is a candidate.
    let request = parse_filter("title pr").unwrap();
    let narrowing = StoreFilter::narrowing(&USER_RESOURCE, &request);
    assert_eq!(narrowing, None);

    // Listing order, and a sort the store answers: meta.lastModified, descending.
    let by_modification = Order {
        column: SortColumn::LastModified,
        descending: true,
    };
    for order in [None, Some(by_modification)] {
        let mut sorted = rows.clone();
        if order.is_some() {
            // Modified when created: newest first.
            sorted.reverse();
        }
        let (created, id) = sorted[DEPTH as usize - 1];
        let position = Position {
            order,
            value: order.map(|_| Bound::Time(created)),
            created,
            id,
        };
        let (first_rows, first) = steps(&conn, org.id, None, Page::batch(BATCH, order));
        let deep_filter = StoreFilter::after(None, position);
        let (deep_rows, deep) = steps(&conn, org.id, Some(&deep_filter), Page::batch(BATCH, order));
        let by_offset = Page {
            offset: u64::from(DEPTH),
            ..Page::batch(BATCH, order)
        };
        let (offset_rows, offset) = steps(&conn, org.id, None, by_offset);
        eprintln!(
            "order {order:?}: first batch {first} steps; batch after row {DEPTH}: {deep} by \
             keyset, {offset} by OFFSET"
        );
        assert_eq!((first_rows, deep_rows, offset_rows), (500, 500, 500));
        assert!(
            deep < first * 2,
            "the keyset batch took {deep} steps, the first {first}"
        );
        assert!(offset > first * 5, "the measure sees rows stepped over");
    }
}
