//! The outbox gap on PostgreSQL: with several instances writing, a feed reader must never pass
//! an event whose transaction commits after a later-numbered event became visible.

#![expect(clippy::unwrap_used, reason = "a test: a failed step is the report")]

mod support;

use std::{sync::Arc, time::Duration};

use roster_domain::{AccountWrite, Change, EventPosition, Store};
use roster_store_tests::support::{at, new_account, new_org};
use support::{fresh_store, server_url};

/// Every event readable now, from the start, in feed order, read in pages of 2 with the cursor.
async fn read_all(store: &dyn Store) -> Vec<(EventPosition, String)> {
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.events_page(after, None, 2).await.unwrap();
        if page.events.is_empty() {
            return seen;
        }
        for e in page.events {
            after = Some(e.position);
            seen.push((e.position, e.event.data["account"]["userName"].to_string()));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_never_passes_an_event_whose_transaction_is_still_running() {
    let Some(url) = server_url() else { return };
    let (store, db) = fresh_store(&url).await;
    let store: Arc<dyn Store> = Arc::new(store);
    let (one, two) = (new_org(10, at(0)), new_org(10, at(0)));
    store.insert_org(&one).await.unwrap();
    store.insert_org(&two).await.unwrap();
    let write = |org: &roster_domain::Org, name: &str| AccountWrite {
        account: new_account(Some(org.id), name),
        expected_version: None,
        takes_seat: true,
        end_scim_memberships: false,
        change: Change::cli(),
    };
    store.write_account(write(&one, "before")).await.unwrap();
    // Other tests' transactions on the server may hold the horizon back a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while read_all(store.as_ref()).await.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "'before' became readable"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Another instance's transaction appends an event of organization one and stays open,
    // taking the organization's lock first, as the store does.
    let (mut client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let open = client.transaction().await.unwrap();
    open.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        &[&0x7273_7465_i32, &one.id.to_string()],
    )
    .await
    .unwrap();
    open.execute(
        "INSERT INTO events (org_id, type, source, occurred_at, data)
         VALUES ($1::text::uuid, 'account.created', 'cli', now(),
                 '{\"account\": {\"userName\": \"slow\"}}')",
        &[&one.id.to_string()],
    )
    .await
    .unwrap();

    // Meanwhile: a write of organization two commits (a later xid), and one of organization one
    // waits for the lock.
    store.write_account(write(&two, "other-org")).await.unwrap();
    let same_org = {
        let store = Arc::clone(&store);
        let write = write(&one, "same-org");
        tokio::spawn(async move { store.write_account(write).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !same_org.is_finished(),
        "organization one's writes wait for its lock"
    );
    let while_open = read_all(store.as_ref()).await;
    assert_eq!(
        while_open
            .iter()
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>(),
        ["\"before\""],
        "nothing past the open transaction's position is readable, though 'other-org' committed"
    );
    let cursor = while_open.last().map(|(p, _)| *p);

    open.commit().await.unwrap();
    same_org.await.unwrap().unwrap();
    // Other databases' transactions on the server may hold the horizon back a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut rest = Vec::new();
    while rest.len() < 3 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut after = cursor;
        rest.clear();
        loop {
            let page = store.events_page(after, None, 2).await.unwrap();
            if page.events.is_empty() {
                break;
            }
            for e in page.events {
                after = Some(e.position);
                rest.push(e.event.data["account"]["userName"].to_string());
            }
        }
    }
    assert_eq!(
        rest,
        ["\"slow\"", "\"other-org\"", "\"same-org\""],
        "read on from the cursor: the slow event is not skipped, and organization one's \
         events are in commit order"
    );
}
