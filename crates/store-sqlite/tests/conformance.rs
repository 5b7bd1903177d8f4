//! The store conformance suite on SQLite: every case on its own database file in a temporary
//! directory, removed when the case ends.

use std::sync::Arc;

use roster_store_sqlite::SqliteStore;
use roster_store_tests::Fixture;

#[expect(
    clippy::unwrap_used,
    reason = "test set-up: without a temporary database the case cannot run"
)]
async fn fixture() -> Option<Fixture> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("roster.db")).unwrap();
    Some(Fixture::new(Arc::new(store)).with_guard(dir))
}

roster_store_tests::store_conformance!(fixture);
