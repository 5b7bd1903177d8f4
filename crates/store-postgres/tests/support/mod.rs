//! The shared PostgreSQL test support, with failures ending the test.

#![expect(
    clippy::expect_used,
    reason = "test set-up: a server that cannot give us a database ends the test"
)]

use roster_store_postgres::PostgresStore;
pub use roster_store_postgres::testing::{TestDatabase, server_url};

/// A migrated store on a fresh database.
pub async fn fresh_store(admin_url: &str) -> (PostgresStore, TestDatabase) {
    roster_store_postgres::testing::fresh_store(admin_url)
        .await
        .expect("a fresh, migrated test database")
}
