//! The one SQLite writer is shared by every organization: background work and large requests
//! must not hold it while another organization's small write waits.

#![expect(clippy::unwrap_used, reason = "a test: a failed step is the report")]

use std::{
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use roster_domain::{
    GroupExpect, GroupWrite, MemberSource, MembershipChange, OrgId, OrgScope, Store,
};
use roster_store_sqlite::SqliteStore;
use roster_store_tests::support::{at, group, member, new_account, org};
use rusqlite::{Connection, params};

fn store(dir: &Path) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(&dir.join("roster.db")).unwrap())
}

/// `n` provisioning log entries of `org`, all older than `at(0)`, written straight to the file.
fn fill_log(dir: &Path, org: OrgId, n: u32) {
    let conn = Connection::open(dir.join("roster.db")).unwrap();
    conn.execute(
        "INSERT INTO provisioning_log (org_id, at, operation, resource_type, outcome, status,
             duration_ms)
         WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < ?2)
         SELECT ?1, n, 'create', 'User', 'success', 201, 1 FROM i",
        params![org.to_string(), n],
    )
    .unwrap();
}

fn log_rows(dir: &Path) -> i64 {
    let conn = Connection::open(dir.join("roster.db")).unwrap();
    conn.query_row("SELECT count(*) FROM provisioning_log", [], |r| r.get(0))
        .unwrap()
}

/// Runs `big` and, once it has started, `small`; returns when each finished, measured from the
/// start of `big`.
async fn race<B, S>(big: B, small: S) -> (Duration, Duration)
where
    B: Future + Send + 'static,
    B::Output: Send,
    S: Future + Send + 'static,
    S::Output: Send,
{
    let started = Instant::now();
    let big = tokio::spawn(async move {
        big.await;
        started.elapsed()
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    let small = tokio::spawn(async move {
        small.await;
        started.elapsed()
    });
    (big.await.unwrap(), small.await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organizations_write_finishes_while_a_large_log_trim_runs() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let (a, _) = org(&store, 1).await;
    let (b, _) = org(&store, 5).await;
    fill_log(dir.path(), a.id, 200_000);

    let trimming = Arc::clone(&store);
    let writing = Arc::clone(&store);
    let (trim_done, create_done) = race(
        async move {
            let trimmed = trimming.trim_log(at(0)).await.unwrap();
            assert_eq!(trimmed, 200_000);
        },
        async move {
            member(&writing, b.id, "b@example.org").await;
        },
    )
    .await;
    eprintln!("trim of 200,000 entries done at {trim_done:?}; B's create at {create_done:?}");
    assert!(
        create_done < trim_done,
        "B's create ({create_done:?}) waited for the whole trim ({trim_done:?})"
    );
    assert_eq!(log_rows(dir.path()), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_of_many_accounts_runs_in_batches_and_purges_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let (a, _) = org(&store, 1_000).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..450 {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            let mut account = new_account(Some(a.id), &format!("u{i}@example.org"));
            account.active = false;
            account.deactivated_at = Some(at(i));
            roster_store_tests::support::insert(&store, account).await
        });
    }
    tasks.join_all().await;
    let purged = store
        .purge_deactivated(OrgScope::trusted(a.id), at(400), false)
        .await
        .unwrap();
    assert_eq!(purged.len(), 400, "every due account, across batches");
    let again = store
        .purge_deactivated(OrgScope::trusted(a.id), at(400), false)
        .await
        .unwrap();
    assert!(again.is_empty());
}

/// A group write's membership change is atomic, so it holds the writer for its whole run: what
/// bounds it is the request (1 MiB of body, about 20,000 member ids). Another organization's
/// write waits for that one job, then commits in the next batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_member_add_is_atomic_and_another_organizations_write_follows_right_after_it() {
    const MEMBERS: usize = 19_000;
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let (a, scope_a) = org(&store, 20_000).await;
    let (b, _) = org(&store, 5).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..MEMBERS {
        let store = Arc::clone(&store);
        tasks.spawn(async move { member(&store, a.id, &format!("m{i}@example.org")).await.id });
    }
    let ids = tasks.join_all().await;
    let target = group(&store, scope_a, "Everyone").await;

    let patching = Arc::clone(&store);
    let writing = Arc::clone(&store);
    let (patch_done, create_done) = race(
        async move {
            let mut write = GroupWrite {
                group: target,
                expect: GroupExpect::MembersOnly,
                members: MembershipChange::none(MemberSource::Scim),
            };
            write.members.add = ids;
            let (_, outcome) = patching.write_group(scope_a, write).await.unwrap();
            assert_eq!(outcome.added, MEMBERS as u64);
        },
        async move {
            member(&writing, b.id, "b@example.org").await;
        },
    )
    .await;
    eprintln!("19,000-member add done at {patch_done:?}; B's create at {create_done:?}");
    assert!(
        create_done < patch_done + Duration::from_secs(1),
        "B waited for more than the one large write: {create_done:?} vs {patch_done:?}"
    );
    let members = store
        .group_members(scope_a, ids_group(&store, scope_a).await)
        .await
        .unwrap();
    assert_eq!(members.len(), MEMBERS);
}

async fn ids_group(store: &Arc<dyn Store>, scope: OrgScope) -> roster_domain::GroupId {
    let (groups, _) = store
        .groups(scope, None, roster_domain::Page::ALL)
        .await
        .unwrap();
    groups[0].id
}
