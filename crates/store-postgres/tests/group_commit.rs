//! An organization's account and group writes queued on one instance commit together: one
//! transaction holding the organization's turn, each write behind a savepoint. A write the
//! database refuses must undo only itself, a batch that fails to commit must answer every write
//! in it with the failure, a cancelled write must never commit, the connection must go back to
//! the pool with no transaction left open, and one organization's burst must not take the pool
//! from the others.
//!
//! Writes sent together from tasks of the test's (single-threaded) runtime are all queued before
//! the organization's leader first runs, so they form one batch.

#![expect(clippy::unwrap_used, reason = "a test: a failed step is the report")]

use std::sync::Arc;

use roster_domain::{
    Account, AccountWrite, Change, GroupExpect, GroupWrite, MemberSource, MembershipChange, Org,
    OrgScope, Store, StoreError, user_name_key,
};
use roster_store_postgres::{
    PoolOptions, PostgresStore,
    testing::{TestDatabase, server_url},
};
use roster_store_tests::support::{at, new_account, new_group, new_org};
use tokio_postgres::{Client, NoTls};

async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

async fn count(
    client: &Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> i64 {
    client.query_one(sql, params).await.unwrap().get(0)
}

/// A migrated store on a fresh database with one connection, so every write runs on the
/// connection the one before it used; and a session of its own on that database.
async fn one_connection_store(url: &str) -> (PostgresStore, TestDatabase, Client) {
    let db = TestDatabase::create(url).await.unwrap();
    let options = PoolOptions {
        max_connections: 1,
        ..PoolOptions::default()
    };
    let store = PostgresStore::connect_with(&db.url, options).await.unwrap();
    store.migrate().await.unwrap();
    let admin = connect(&db.url).await;
    (store, db, admin)
}

/// A migrated store on a fresh database whose pool has `connections`, shared between tasks.
async fn pooled_store(url: &str, connections: usize) -> (Arc<PostgresStore>, TestDatabase) {
    let db = TestDatabase::create(url).await.unwrap();
    let options = PoolOptions {
        max_connections: connections,
        wait_timeout: std::time::Duration::from_secs(20),
        ..PoolOptions::default()
    };
    let store = Arc::new(PostgresStore::connect_with(&db.url, options).await.unwrap());
    store.migrate().await.unwrap();
    (store, db)
}

/// A SCIM create of `name` in `org`, taking a seat.
fn scim_create(org: &Org, name: &str) -> AccountWrite {
    AccountWrite {
        account: new_account(Some(org.id), name),
        expected_version: None,
        takes_seat: true,
        end_scim_memberships: false,
        change: Change::scim(None),
    }
}

/// SCIM creates of `names` in `org`, sent at once from tasks of the test's runtime: all queued
/// before the organization's leader first runs, so they form one batch. Their answers in order.
async fn create_together<const N: usize>(
    store: &Arc<PostgresStore>,
    org: &Org,
    names: [&str; N],
) -> [Result<Account, StoreError>; N] {
    let sent = names.map(|name| {
        let store = Arc::clone(store);
        let write = scim_create(org, name);
        tokio::spawn(async move { store.write_account(write).await })
    });
    let mut answers = Vec::with_capacity(N);
    for task in sent {
        answers.push(task.await.unwrap());
    }
    answers.try_into().unwrap()
}

/// The userNames stored, sorted, joined by commas.
async fn stored_names(admin: &Client) -> String {
    let names = "SELECT coalesce(string_agg(user_name, ',' ORDER BY user_name), '') FROM accounts";
    admin.query_one(names, &[]).await.unwrap().get(0)
}

/// The organization's seat counter.
async fn seats_used(admin: &Client, org: &Org) -> i64 {
    let used = "SELECT active_accounts::bigint FROM orgs WHERE id = $1::text::uuid";
    count(admin, used, &[&org.id.to_string()]).await
}

/// A trigger that refuses events on demand makes the events insert, one of a write's last
/// statements, fail.
#[tokio::test]
async fn a_failure_in_a_writes_last_pipeline_rolls_the_write_back_and_leaves_no_open_transaction() {
    let Some(url) = server_url() else { return };
    let (store, db, admin) = one_connection_store(&url).await;
    admin
        .batch_execute(
            "CREATE TABLE refuse_events (on_ boolean NOT NULL);
             INSERT INTO refuse_events VALUES (false);
             CREATE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF (SELECT on_ FROM refuse_events) THEN
                     RAISE EXCEPTION 'events refused by the test';
                 END IF;
                 RETURN NEW;
             END $$;
             CREATE TRIGGER refuse_events BEFORE INSERT ON events
             FOR EACH STATEMENT EXECUTE FUNCTION refuse_events();",
        )
        .await
        .unwrap();
    let refuse = |on: bool| {
        let admin = &admin;
        async move {
            admin
                .execute("UPDATE refuse_events SET on_ = $1", &[&on])
                .await
                .unwrap();
        }
    };
    let org = new_org(10, at(0));
    store.insert_org(&org).await.unwrap();
    let scope = OrgScope::trusted(org.id);
    let create = |name: &str| scim_create(&org, name);

    refuse(true).await;
    assert!(store.write_account(create("refused")).await.is_err());
    refuse(false).await;
    assert!(
        store
            .account_by_user_name(&user_name_key("refused"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(seats_used(&admin, &org).await, 0);
    assert_eq!(count(&admin, "SELECT count(*) FROM accounts", &[]).await, 0);

    // The same connection writes again, and the write is committed: seen from another session.
    let member = store.write_account(create("kept")).await.unwrap();
    assert_eq!(count(&admin, "SELECT count(*) FROM accounts", &[]).await, 1);
    assert_eq!(seats_used(&admin, &org).await, 1);

    // A group write refused the same way keeps neither the group's change nor the membership.
    let group = new_group(org.id, "Class 7B");
    let (stored, _) = store
        .write_group(
            scope,
            GroupWrite {
                group: group.clone(),
                expect: GroupExpect::New,
                members: MembershipChange::none(MemberSource::Scim),
                change: Change::scim(None),
            },
        )
        .await
        .unwrap();
    let add = || GroupWrite {
        group: stored.clone(),
        expect: GroupExpect::MembersOnly,
        members: MembershipChange {
            add: vec![member.id],
            ..MembershipChange::none(MemberSource::Scim)
        },
        change: Change::scim(None),
    };
    refuse(true).await;
    assert!(store.write_group(scope, add()).await.is_err());
    refuse(false).await;
    assert_eq!(
        count(&admin, "SELECT count(*) FROM memberships", &[]).await,
        0
    );
    let version = "SELECT version FROM groups WHERE id = $1::text::uuid";
    let group_id = stored.id.to_string();
    assert_eq!(count(&admin, version, &[&group_id]).await, stored.version);
    let (_, outcome) = store.write_group(scope, add()).await.unwrap();
    assert_eq!(outcome.added, 1);
    assert_eq!(
        count(&admin, "SELECT count(*) FROM memberships", &[]).await,
        1
    );

    // No session of the store is left inside a transaction.
    assert_eq!(count(&admin, OPEN_TRANSACTIONS, &[]).await, 0);
    drop((store, db));
}

/// Sessions of the test's database, other than the asking one, inside a transaction.
const OPEN_TRANSACTIONS: &str = "SELECT count(*) FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid()
       AND state LIKE 'idle in transaction%'";

#[tokio::test]
async fn a_write_cancelled_inside_its_transaction_never_commits_and_the_next_write_does() {
    let Some(url) = server_url() else { return };
    let (store, db, mut admin) = one_connection_store(&url).await;
    let org = new_org(10, at(0));
    store.insert_org(&org).await.unwrap();
    let create = |name: &str| scim_create(&org, name);

    // Another session holds the organization's turn, so the write's batch waits for it inside
    // its transaction until the request gives up on the write.
    let holder = hold_turn(&mut admin, &org).await;
    let waited = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        store.write_account(create("cancelled")),
    )
    .await;
    assert!(waited.is_err(), "the write waited for the turn");
    holder.commit().await.unwrap();

    // The batch finds its write's caller gone once the turn is granted and skips it: the next
    // write commits on the pool's one connection, the cancelled one never does.
    store.write_account(create("next")).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while count(&admin, OPEN_TRANSACTIONS, &[]).await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "a transaction stayed open"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let names = "SELECT count(*) FROM accounts WHERE user_name = $1";
    assert_eq!(count(&admin, names, &[&"next"]).await, 1);
    assert_eq!(count(&admin, names, &[&"cancelled"]).await, 0);
    assert_eq!(seats_used(&admin, &org).await, 1);
    drop((store, db));
}

/// Holds `org`'s turn (its event lock) in a transaction of `admin` until it is committed.
async fn hold_turn<'a>(admin: &'a mut Client, org: &Org) -> tokio_postgres::Transaction<'a> {
    let holder = admin.transaction().await.unwrap();
    holder
        .execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&0x7273_7465_i32, &org.id.to_string()],
        )
        .await
        .unwrap();
    holder
}

#[tokio::test]
async fn writes_sent_together_commit_together_and_each_refusal_undoes_only_itself() {
    let Some(url) = server_url() else { return };
    let (store, db, admin) = one_connection_store(&url).await;
    let org = new_org(3, at(0));
    store.insert_org(&org).await.unwrap();
    let store = Arc::new(store);
    // Three seats: the refused second "ada" gives its seat back, so "edsger" takes the third and
    // "barbara" finds none.
    let [ada, grace, taken, edsger, no_seat] =
        create_together(&store, &org, ["ada", "grace", "ada", "edsger", "barbara"]).await;
    let kept = [ada.unwrap().id, grace.unwrap().id, edsger.unwrap().id].map(|id| id.to_string());
    assert!(
        matches!(taken, Err(StoreError::UniqueViolation(_))),
        "{taken:?}"
    );
    assert!(
        matches!(no_seat, Err(StoreError::SeatLimit(_))),
        "{no_seat:?}"
    );

    assert_eq!(stored_names(&admin).await, "ada,edsger,grace");
    assert_eq!(seats_used(&admin, &org).await, 3);
    // The refused writes left no event; the kept ones committed in one transaction.
    let refused_events = "SELECT count(*) FROM events
         WHERE account_id IS NOT NULL AND account_id::text NOT IN ($1, $2, $3)";
    let refused = count(&admin, refused_events, &[&kept[0], &kept[1], &kept[2]]).await;
    assert_eq!(refused, 0);
    let transactions = "SELECT count(DISTINCT xid) FROM events WHERE account_id IS NOT NULL";
    assert_eq!(count(&admin, transactions, &[]).await, 1);
    assert_eq!(count(&admin, OPEN_TRANSACTIONS, &[]).await, 0);
    drop((store, db));
}

#[tokio::test]
async fn a_batch_that_fails_to_commit_answers_every_write_in_it_with_the_failure() {
    let Some(url) = server_url() else { return };
    let (store, db, admin) = one_connection_store(&url).await;
    // Refuses an account named "poison" only at COMMIT, after every write of the batch ran.
    admin
        .batch_execute(
            "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF NEW.user_name = 'poison' THEN
                     RAISE EXCEPTION 'poison refused at commit by the test';
                 END IF;
                 RETURN NEW;
             END $$;
             CREATE CONSTRAINT TRIGGER refuse_poison AFTER INSERT ON accounts
             DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_poison();",
        )
        .await
        .unwrap();
    let org = new_org(10, at(0));
    store.insert_org(&org).await.unwrap();
    let store = Arc::new(store);
    for answer in create_together(&store, &org, ["before", "poison", "after"]).await {
        assert!(
            answer.is_err(),
            "acknowledged but not committed: {answer:?}"
        );
    }
    assert_eq!(stored_names(&admin).await, "");
    assert_eq!(count(&admin, "SELECT count(*) FROM events", &[]).await, 0);
    assert_eq!(seats_used(&admin, &org).await, 0);

    // The next batch, on the same connection, commits.
    store
        .write_account(scim_create(&org, "next"))
        .await
        .unwrap();
    assert_eq!(count(&admin, "SELECT count(*) FROM accounts", &[]).await, 1);
    assert_eq!(count(&admin, OPEN_TRANSACTIONS, &[]).await, 0);
    drop((store, db));
}

#[tokio::test]
async fn an_organizations_burst_of_writes_leaves_the_pool_to_the_other_organizations() {
    let Some(url) = server_url() else { return };
    let (store, db) = pooled_store(&url, 2).await;
    let mut admin = connect(&db.url).await;
    let (busy, quiet) = (new_org(100, at(0)), new_org(100, at(0)));
    store.insert_org(&busy).await.unwrap();
    store.insert_org(&quiet).await.unwrap();

    // The busy organization's turn is held elsewhere while twenty of its writes arrive.
    let holder = hold_turn(&mut admin, &busy).await;
    let waiting: Vec<_> = (0..20)
        .map(|n| {
            let store = Arc::clone(&store);
            let write = scim_create(&busy, &format!("busy-{n}"));
            tokio::spawn(async move { store.write_account(write).await })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // Each waiting write used to hold a connection of its own; now the twenty hold one.
    let quiet_write = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        store.write_account(scim_create(&quiet, "quiet")),
    )
    .await;
    assert!(
        matches!(quiet_write, Ok(Ok(_))),
        "the quiet organization's write waited for the busy one: {quiet_write:?}"
    );
    holder.commit().await.unwrap();
    for task in waiting {
        task.await.unwrap().unwrap();
    }
    let busy_accounts = "SELECT count(*) FROM accounts WHERE org_id = $1::text::uuid";
    assert_eq!(
        count(&admin, busy_accounts, &[&busy.id.to_string()]).await,
        20
    );
    drop((store, db));
}

/// Many organizations writing at once (Entra's initial syncs of a whole fleet) must not take
/// every connection: reads, such as the matching `GET` Entra sends before each write, keep
/// finding one.
#[tokio::test]
async fn writes_of_many_organizations_leave_connections_to_reads() {
    let Some(url) = server_url() else { return };
    let (store, db) = pooled_store(&url, 4).await;
    let admin = connect(&db.url).await;
    let orgs: Vec<Org> = (0..4).map(|_| new_org(100, at(0))).collect();
    for org in &orgs {
        store.insert_org(org).await.unwrap();
    }

    // Every organization's turn is held elsewhere while one write of each arrives: as many
    // writes waiting inside their transactions as the pool has connections.
    let mut sessions = Vec::new();
    for _ in &orgs {
        sessions.push(connect(&db.url).await);
    }
    let mut holders = Vec::new();
    for (session, org) in sessions.iter_mut().zip(&orgs) {
        holders.push(hold_turn(session, org).await);
    }
    let waiting: Vec<_> = orgs
        .iter()
        .map(|org| {
            let store = Arc::clone(&store);
            let write = scim_create(org, &format!("waiting-{}", org.id));
            tokio::spawn(async move { store.write_account(write).await })
        })
        .collect();
    // Three writes come to hold a connection each; the fourth waits for the writes' share, and
    // the pool's gauge says so.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let stats = store.pool_stats();
        if (stats.in_use, stats.waiting) == (3, 1) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the writes never settled as three holding connections and one waiting: {stats:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        store.seats_used(OrgScope::trusted(orgs[0].id)),
    )
    .await;
    assert!(
        matches!(read, Ok(Ok(0))),
        "a read waited for the writes of other organizations: {read:?}"
    );

    for holder in holders {
        holder.commit().await.unwrap();
    }
    for task in waiting {
        task.await.unwrap().unwrap();
    }
    assert_eq!(count(&admin, "SELECT count(*) FROM accounts", &[]).await, 4);
    drop((store, db));
}

/// A write's last statements (here its events) go in one flight with the next write's first
/// ones: when they fail, the transaction aborts under both, so the first is undone alone and
/// the next runs again.
#[tokio::test]
async fn a_write_failing_in_the_flight_it_shares_with_the_next_is_undone_alone() {
    let Some(url) = server_url() else { return };
    let (store, db, admin) = one_connection_store(&url).await;
    admin
        .batch_execute(
            "CREATE FUNCTION refuse_poison_events() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF EXISTS (SELECT 1 FROM accounts
                            WHERE id = NEW.account_id AND user_name = 'poison') THEN
                     RAISE EXCEPTION 'events of poison refused by the test';
                 END IF;
                 RETURN NEW;
             END $$;
             CREATE TRIGGER refuse_poison_events BEFORE INSERT ON events
             FOR EACH ROW EXECUTE FUNCTION refuse_poison_events();",
        )
        .await
        .unwrap();
    let org = new_org(10, at(0));
    store.insert_org(&org).await.unwrap();
    let store = Arc::new(store);
    let [ada, poison, grace, poison_again] =
        create_together(&store, &org, ["ada", "poison", "grace", "poison"]).await;
    let kept = [ada.unwrap().id, grace.unwrap().id].map(|id| id.to_string());
    assert!(poison.is_err() && poison_again.is_err());

    assert_eq!(stored_names(&admin).await, "ada,grace");
    assert_eq!(seats_used(&admin, &org).await, 2);
    let of = "SELECT count(*) FROM events WHERE account_id::text = $1";
    let others = "SELECT count(*) FROM events
         WHERE account_id IS NOT NULL AND account_id::text NOT IN ($1, $2)";
    let ada_events = count(&admin, of, &[&kept[0]]).await;
    assert!(ada_events > 0);
    assert_eq!(count(&admin, of, &[&kept[1]]).await, ada_events);
    assert_eq!(count(&admin, others, &[&kept[0], &kept[1]]).await, 0);
    assert_eq!(count(&admin, OPEN_TRANSACTIONS, &[]).await, 0);
    drop((store, db));
}
