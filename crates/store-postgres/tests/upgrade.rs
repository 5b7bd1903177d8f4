//! A database made by the oldest migration set, filled as that version wrote rows, is upgraded
//! by the current store's migrations, and reads back unchanged (see `roster_store_tests::upgrade`).

use roster_store_postgres::{
    PostgresStore,
    testing::{TestDatabase, server_url},
};
use roster_store_tests::upgrade::{
    NAME_ACCOUNTS, NAME_CONFLICTS, NAME_GROUPS, SEED, check_name_keys, check_seeded,
};
use tokio_postgres::NoTls;

/// Rows as the first schema holds them. Written for `0001_initial.sql`; never edited.
fn seed_sql() -> String {
    let s = &SEED;
    let t = format!("to_timestamp({} / 1000000.0)", s.at_micros);
    let account = |id: &str,
                   org: Option<&str>,
                   user_name: &str,
                   external: &str,
                   display: &str,
                   role: &str,
                   active: bool,
                   managed: bool,
                   deleted: bool,
                   attributes: &str,
                   version: i64| {
        let org = org.map_or("NULL".to_owned(), |o| format!("'{o}'"));
        let deactivated = if active { "NULL".to_owned() } else { t.clone() };
        format!(
            "INSERT INTO accounts (id, org_id, user_name, user_name_key, external_id, display_name,
                 role, active, active_unassigned, deactivated_at, scim_managed, scim_deleted,
                 attributes, created_at, updated_at, version)
             VALUES ('{id}', {org}, '{user_name}', lower('{user_name}'), {external}, {display},
                 '{role}', {active}, false, {deactivated}, {managed}, {deleted}, '{attributes}',
                 {t}, {t}, {version});"
        )
    };
    [
        format!(
            "INSERT INTO orgs (id, name, kind, seats, retention_days, active_accounts, created_at, updated_at)
             VALUES ('{}', 'Ridgemont High', 'school', 10, 30, 2, {t}, {t});",
            s.org
        ),
        account(s.ada, Some(s.org), "Ada@Example.org", "'ext-ada'", "'Ada Lovelace'", "student", true, true, false, r#"{"name":{"givenName":"Ada"},"password":"hunter2"}"#, 3),
        account(s.bob, Some(s.org), "bob@example.org", "NULL", "NULL", "teacher", true, false, false, "{}", 1),
        account(s.cy, Some(s.org), "cy@example.org", "NULL", "NULL", "student", false, false, true, "{}", 2),
        account(s.solo, None, "solo@example.org", "NULL", "NULL", "learner", true, false, false, "{}", 1),
        format!(
            "INSERT INTO groups (id, org_id, display_name, display_name_key, external_id, scim_managed,
                 attributes, created_at, updated_at, version)
             VALUES ('{}', '{}', 'Biology 101', 'biology 101', 'ext-bio', true, '{{}}', {t}, {t}, 2);",
            s.group, s.org
        ),
        format!(
            "INSERT INTO memberships (group_id, account_id, org_id, source, created_at)
             VALUES ('{g}', '{}', '{o}', 'scim', {t}), ('{g}', '{}', '{o}', 'manual', {t});",
            s.ada,
            s.bob,
            g = s.group,
            o = s.org
        ),
        format!(
            "INSERT INTO scim_tokens (id, org_id, token_hash, created_at, expires_at)
             VALUES ('0a0a0a0a-0000-4000-8000-0000000000c1', '{}', sha256('{}'::bytea), {t}, NULL);",
            s.org, s.token
        ),
        format!(
            "INSERT INTO provisioning_log (org_id, at, operation, resource_type, resource_id, name,
                 outcome, status, detail, duration_ms, client_request_id)
             VALUES ('{}', {t}, 'POST /Users', 'User', '{}', 'Ada@Example.org', 'success', 201, NULL, 4, 'req-1');",
            s.org, s.ada
        ),
    ]
    .into_iter()
    .chain(NAME_ACCOUNTS.iter().map(|(id, user_name)| {
        format!(
            "INSERT INTO accounts (id, org_id, user_name, user_name_key, role, active,
                 active_unassigned, scim_managed, scim_deleted, attributes, created_at, updated_at,
                 version)
             VALUES ('{id}', NULL, '{user_name}', '{}', 'learner', true, false, false, false,
                 '{{}}', {t}, {t}, 1);",
            user_name.to_lowercase()
        )
    }))
    .chain(NAME_GROUPS.iter().map(|(id, name)| {
        format!(
            "INSERT INTO groups (id, org_id, display_name, display_name_key, external_id,
                 scim_managed, attributes, created_at, updated_at, version)
             VALUES ('{id}', '{}', '{name}', '{}', NULL, false, '{{}}', {t}, {t}, 1);",
            s.org,
            name.to_lowercase()
        )
    }))
    .collect::<Vec<_>>()
    .concat()
}

#[tokio::test]
async fn a_database_of_the_oldest_schema_is_upgraded_with_its_data() {
    let Some(admin_url) = server_url() else {
        return;
    };
    let db = TestDatabase::create(&admin_url).await.unwrap();
    {
        let (client, connection) = tokio_postgres::connect(&db.url, NoTls).await.unwrap();
        tokio::spawn(connection);
        // What the migration runner of the first release recorded, then the first migration.
        client
            .batch_execute(
                "CREATE TABLE schema_migrations (
                     version     bigint PRIMARY KEY,
                     name        text NOT NULL,
                     applied_at  timestamptz NOT NULL DEFAULT now()
                 )",
            )
            .await
            .unwrap();
        client
            .batch_execute(include_str!("../migrations/0001_initial.sql"))
            .await
            .unwrap();
        client
            .batch_execute("INSERT INTO schema_migrations (version, name) VALUES (1, 'initial')")
            .await
            .unwrap();
        client.batch_execute(&seed_sql()).await.unwrap();
    }
    let store = PostgresStore::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    check_seeded(&store).await;
    check_name_keys(&store).await;
    let (client, connection) = tokio_postgres::connect(&db.url, NoTls).await.unwrap();
    tokio::spawn(connection);
    let conflicts: Vec<(String, String, String)> = client
        .query(
            "SELECT kind, id::text, holder_id::text FROM name_key_conflicts ORDER BY kind, id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect();
    let expected: Vec<(String, String, String)> = NAME_CONFLICTS
        .iter()
        .map(|(k, i, h)| ((*k).to_owned(), (*i).to_owned(), (*h).to_owned()))
        .collect();
    assert_eq!(conflicts, expected);
    let group_keys: Vec<String> = client
        .query(
            "SELECT display_name_key FROM groups WHERE id::text IN ($1, $2) ORDER BY id",
            &[&NAME_GROUPS[0].0, &NAME_GROUPS[1].0],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    // `MASSE` held `masse` already; `Maße` keeps its old key.
    assert_eq!(group_keys, ["maße", "masse"]);
}
