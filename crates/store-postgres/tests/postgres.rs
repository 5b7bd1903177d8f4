//! What only PostgreSQL has: several instances (pools) on one database — concurrent
//! migrations, the retention lock, the seat limit across instances — and connection errors
//! that never show the password.

mod support;

use std::{sync::Arc, time::Duration};

use roster_domain::{AccountWrite, OrgScope, Store, StoreError};
use roster_store_postgres::{PoolOptions, PostgresStore};
use roster_store_tests::support::{at, new_account, new_org};
use support::{TestDatabase, fresh_store, server_url};
use tokio::task::JoinSet;
use tokio_postgres::NoTls;

/// Another `roster serve` instance on the same database: its own pool.
async fn instance(url: &str) -> Result<PostgresStore, StoreError> {
    let options = PoolOptions {
        max_connections: 4,
        ..PoolOptions::default()
    };
    PostgresStore::connect_with(url, options).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_starting_together_apply_each_migration_once() {
    let Some(url) = server_url() else { return };
    let db = TestDatabase::create(&url)
        .await
        .expect("a fresh test database");
    let mut starting = JoinSet::new();
    for _ in 0..4 {
        let url = db.url.clone();
        starting.spawn(async move {
            let store = instance(&url).await.unwrap();
            store.migrate().await
        });
    }
    while let Some(result) = starting.join_next().await {
        result.unwrap().unwrap();
    }
    let (client, connection) = tokio_postgres::connect(&db.url, NoTls).await.unwrap();
    tokio::spawn(connection);
    let applied: Vec<i64> = client
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    // The version of each migration file, `NNNN_name.sql`.
    let mut versions: Vec<i64> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".sql"))
            .map(|name| name[..4].parse().unwrap())
            .collect();
    versions.sort_unstable();
    assert_eq!(applied, versions);
    // And again later: nothing to do.
    instance(&db.url).await.unwrap().migrate().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retention_lock_is_held_by_one_instance_at_a_time() {
    let Some(url) = server_url() else { return };
    let (a, db) = fresh_store(&url).await;
    let b = instance(&db.url).await.unwrap();
    let held = a
        .try_lock_retention()
        .await
        .unwrap()
        .expect("the lock is free");
    assert!(b.try_lock_retention().await.unwrap().is_none());
    held.release().await.unwrap();
    let by_b = b.try_lock_retention().await.unwrap().expect("released");
    assert!(a.try_lock_retention().await.unwrap().is_none());
    // Dropped without release (a crashed job): closing its session frees the lock.
    drop(by_b);
    let mut retaken = None;
    for _ in 0..50 {
        retaken = a.try_lock_retention().await.unwrap();
        if retaken.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(retaken.is_some(), "a dropped guard left the lock held");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seat_limit_holds_across_instances() {
    let Some(url) = server_url() else { return };
    let (first, db) = fresh_store(&url).await;
    let instances: Vec<Arc<dyn Store>> = vec![
        Arc::new(first),
        Arc::new(instance(&db.url).await.unwrap()),
        Arc::new(instance(&db.url).await.unwrap()),
    ];
    let org = new_org(5, at(0));
    instances[0].insert_org(&org).await.unwrap();
    let mut tasks = JoinSet::new();
    for i in 0..30 {
        let store = Arc::clone(&instances[i % instances.len()]);
        let account = new_account(Some(org.id), &format!("racer{i}"));
        tasks.spawn(async move {
            store
                .write_account(AccountWrite {
                    account,
                    expected_version: None,
                    takes_seat: true,
                    end_scim_memberships: false,
                    change: roster_domain::Change::cli(),
                })
                .await
        });
    }
    let mut won = 0;
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(_) => won += 1,
            Err(StoreError::SeatLimit(roster_domain::SeatLimit { seats: 5, used: 5 })) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won, 5);
    for store in &instances {
        assert_eq!(
            store.seats_used(OrgScope::trusted(org.id)).await.unwrap(),
            5
        );
    }
}

#[tokio::test]
async fn connection_errors_and_debug_output_never_show_the_password() {
    let refused = PostgresStore::connect_with(
        "postgres://roster:s3cret-pw@127.0.0.1:1/roster",
        PoolOptions {
            connect_timeout: Duration::from_secs(2),
            ..PoolOptions::default()
        },
    )
    .await;
    let shown = format!(
        "{:?} / {}",
        refused.as_ref().err(),
        refused
            .as_ref()
            .err()
            .map(ToString::to_string)
            .unwrap_or_default()
    );
    assert!(refused.is_err());
    assert!(!shown.contains("s3cret-pw"), "{shown}");

    let Some(url) = server_url() else { return };
    let (store, _db) = fresh_store(&url).await;
    let shown = format!("{store:?}");
    assert!(!shown.contains("postgres://"), "{shown}");
}
