//! A SCIM write's last statements and its COMMIT go to PostgreSQL as one pipeline. A statement
//! of that pipeline that fails must roll the whole write back (the COMMIT behind it then ends
//! an aborted transaction), and the connection must go back to the pool with no transaction
//! left open. A trigger that refuses events on demand makes the events insert, one of those
//! last statements, fail.

#![expect(clippy::unwrap_used, reason = "a test: a failed step is the report")]

use roster_domain::{
    AccountWrite, Change, GroupExpect, GroupWrite, MemberSource, MembershipChange, Org, OrgScope,
    Store, user_name_key,
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

#[tokio::test]
async fn a_failure_in_the_committing_pipeline_rolls_the_write_back_and_leaves_no_open_transaction()
{
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
    let seats_used = "SELECT active_accounts::bigint FROM orgs WHERE id = $1::text::uuid";
    let org_id = org.id.to_string();
    assert_eq!(count(&admin, seats_used, &[&org_id]).await, 0);
    assert_eq!(count(&admin, "SELECT count(*) FROM accounts", &[]).await, 0);

    // The same connection writes again, and the write is committed: seen from another session.
    let member = store.write_account(create("kept")).await.unwrap();
    assert_eq!(count(&admin, "SELECT count(*) FROM accounts", &[]).await, 1);
    assert_eq!(count(&admin, seats_used, &[&org_id]).await, 1);

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

    // Another session holds the organization's turn, so the write waits inside its transaction
    // (its first pipeline sent) until the request gives up on it.
    let holder = admin.transaction().await.unwrap();
    holder
        .execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&0x7273_7465_i32, &org.id.to_string()],
        )
        .await
        .unwrap();
    let waited = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        store.write_account(create("cancelled")),
    )
    .await;
    assert!(waited.is_err(), "the write waited for the turn");
    holder.commit().await.unwrap();

    // The pool's one connection is handed on only behind the cancelled transaction's ROLLBACK:
    // the next write commits, the cancelled one never does.
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
    let seats_used = "SELECT active_accounts::bigint FROM orgs WHERE id = $1::text::uuid";
    assert_eq!(count(&admin, seats_used, &[&org.id.to_string()]).await, 1);
    drop((store, db));
}
