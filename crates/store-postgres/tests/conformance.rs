//! The store conformance suite on PostgreSQL: every case on its own fresh database.

mod support;

use std::sync::Arc;

use roster_store_tests::Fixture;
use support::{fresh_store, server_url};

/// What the conformance suite runs each case on.
async fn fixture() -> Option<Fixture> {
    let url = server_url()?;
    let (store, db) = fresh_store(&url).await;
    Some(Fixture::new(Arc::new(store)).with_guard(db))
}

roster_store_tests::store_conformance!(fixture);
