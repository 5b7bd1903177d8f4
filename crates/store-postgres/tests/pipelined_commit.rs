//! A SCIM write's last statements and its COMMIT go to PostgreSQL as one pipeline. A statement
//! of that pipeline that fails must roll the whole write back (the COMMIT behind it then ends
//! an aborted transaction), and the connection must go back to the pool with no transaction
//! left open. A trigger that refuses events on demand makes the events insert, one of those
//! last statements, fail.

#![expect(clippy::unwrap_used, reason = "a test: a failed step is the report")]

use roster_domain::{
    AccountWrite, Change, GroupExpect, GroupWrite, MemberSource, MembershipChange, OrgScope, Store,
    user_name_key,
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

#[tokio::test]
async fn a_failure_in_the_committing_pipeline_rolls_the_write_back_and_leaves_no_open_transaction()
{
    let Some(url) = server_url() else { return };
    let db = TestDatabase::create(&url).await.unwrap();
    // One connection: every write below runs on the connection the refused one used.
    let options = PoolOptions {
        max_connections: 1,
        ..PoolOptions::default()
    };
    let store = PostgresStore::connect_with(&db.url, options).await.unwrap();
    store.migrate().await.unwrap();
    let admin = connect(&db.url).await;
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
    let create = |name: &str| AccountWrite {
        account: new_account(Some(org.id), name),
        expected_version: None,
        takes_seat: true,
        end_scim_memberships: false,
        change: Change::scim(None),
    };

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
    let open = "SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()
                  AND state LIKE 'idle in transaction%'";
    assert_eq!(count(&admin, open, &[]).await, 0);
    drop((store, db));
}
