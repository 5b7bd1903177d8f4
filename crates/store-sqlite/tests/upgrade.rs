//! A database made by the oldest migration set, filled as that version wrote rows, is upgraded
//! by opening it with the current store, and reads back unchanged (see `roster_store_tests::upgrade`).

#![expect(clippy::unwrap_used, reason = "a test: a failed step is the report")]

use roster_store_sqlite::SqliteStore;
use roster_store_tests::upgrade::{
    NAME_ACCOUNTS, NAME_CONFLICTS, NAME_GROUPS, SEED, check_name_keys, check_seeded,
    seed_token_hash,
};
use rusqlite::{Connection, params};

/// What the migration runner of the first release recorded, then the first migration itself.
fn create_oldest(conn: &Connection) {
    conn.execute_batch(
        "CREATE TABLE schema_migrations (
             version INTEGER PRIMARY KEY,
             name TEXT NOT NULL,
             applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
         ) STRICT",
    )
    .unwrap();
    conn.execute_batch(include_str!("../migrations/0001_initial.sql"))
        .unwrap();
    conn.execute(
        "INSERT INTO schema_migrations (version, name) VALUES (1, 'initial')",
        [],
    )
    .unwrap();
}

#[derive(Clone, Copy)]
struct Flags {
    external_id: Option<&'static str>,
    display_name: Option<&'static str>,
    active: bool,
    managed: bool,
    deleted: bool,
    attributes: &'static str,
    version: i64,
}

/// Rows as the first schema holds them. Written for `0001_initial.sql`; never edited.
fn seed(conn: &Connection) {
    let s = &SEED;
    let t = s.at_micros;
    conn.execute(
        "INSERT INTO orgs (id, name, kind, seats, retention_days, active_accounts, created_at, updated_at)
         VALUES (?1, 'Ridgemont High', 'school', 10, 30, 2, ?2, ?2)",
        params![s.org, t],
    )
    .unwrap();
    let account = |id: &str, org: Option<&str>, user_name: &str, role: &str, flags: Flags| {
        conn.execute(
            "INSERT INTO accounts (id, org_id, user_name, user_name_key, external_id,
                 display_name, role, active, active_unassigned, deactivated_at, scim_managed,
                 scim_deleted, attributes, created_at, updated_at, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?10, ?11, ?12, ?13, ?13, ?14)",
            params![
                id,
                org,
                user_name,
                user_name.to_lowercase(),
                flags.external_id,
                flags.display_name,
                role,
                flags.active,
                (!flags.active).then_some(t),
                flags.managed,
                flags.deleted,
                flags.attributes,
                t,
                flags.version
            ],
        )
        .unwrap();
    };
    let plain = Flags {
        external_id: None,
        display_name: None,
        active: true,
        managed: false,
        deleted: false,
        attributes: "{}",
        version: 1,
    };
    account(
        s.ada,
        Some(s.org),
        "Ada@Example.org",
        "student",
        Flags {
            external_id: Some("ext-ada"),
            display_name: Some("Ada Lovelace"),
            managed: true,
            attributes: r#"{"name":{"givenName":"Ada"},"password":"hunter2"}"#,
            version: 3,
            ..plain
        },
    );
    account(s.bob, Some(s.org), "bob@example.org", "teacher", plain);
    account(
        s.cy,
        Some(s.org),
        "cy@example.org",
        "student",
        Flags {
            active: false,
            deleted: true,
            version: 2,
            ..plain
        },
    );
    account(s.solo, None, "solo@example.org", "learner", plain);
    for (id, user_name) in NAME_ACCOUNTS {
        account(id, None, user_name, "learner", plain);
    }
    for (id, name) in NAME_GROUPS {
        conn.execute(
            "INSERT INTO groups (id, org_id, display_name, display_name_key, external_id,
                 scim_managed, attributes, created_at, updated_at, version)
             VALUES (?1, ?2, ?3, ?4, NULL, 0, '{}', ?5, ?5, 1)",
            params![id, s.org, name, name.to_lowercase(), t],
        )
        .unwrap();
    }
    conn.execute(
        "INSERT INTO groups (id, org_id, display_name, display_name_key, external_id, scim_managed,
             attributes, created_at, updated_at, version)
         VALUES (?1, ?2, 'Biology 101', 'biology 101', 'ext-bio', 1, '{}', ?3, ?3, 2)",
        params![s.group, s.org, t],
    )
    .unwrap();
    for (account, source) in [(s.ada, "scim"), (s.bob, "manual")] {
        conn.execute(
            "INSERT INTO memberships (group_id, account_id, org_id, source, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![s.group, account, s.org, source, t],
        )
        .unwrap();
    }
    conn.execute(
        "INSERT INTO scim_tokens (id, org_id, token_hash, created_at, expires_at)
         VALUES ('0a0a0a0a-0000-4000-8000-0000000000c1', ?1, ?2, ?3, NULL)",
        params![s.org, seed_token_hash(), t],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO provisioning_log (org_id, at, operation, resource_type, resource_id, name,
             outcome, status, detail, duration_ms, client_request_id)
         VALUES (?1, ?2, 'POST /Users', 'User', ?3, 'Ada@Example.org', 'success', 201, NULL, 4, 'req-1')",
        params![s.org, t, s.ada],
    )
    .unwrap();
}

#[tokio::test]
async fn a_database_of_the_oldest_schema_is_upgraded_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    {
        let conn = Connection::open(&path).unwrap();
        create_oldest(&conn);
        seed(&conn);
    }
    let store = SqliteStore::open(&path).unwrap();
    check_seeded(&store).await;
    check_name_keys(&store).await;
    let conn = Connection::open(&path).unwrap();
    let mut statement = conn
        .prepare("SELECT kind, id, holder_id FROM name_key_conflicts ORDER BY kind, id")
        .unwrap();
    let conflicts: Vec<(String, String, String)> = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected: Vec<(String, String, String)> = NAME_CONFLICTS
        .iter()
        .map(|(k, i, h)| ((*k).to_owned(), (*i).to_owned(), (*h).to_owned()))
        .collect();
    assert_eq!(conflicts, expected);
    let group_keys: Vec<String> = conn
        .prepare("SELECT display_name_key FROM groups WHERE id IN (?1, ?2) ORDER BY id")
        .unwrap()
        .query_map(params![NAME_GROUPS[0].0, NAME_GROUPS[1].0], |row| {
            row.get(0)
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // `MASSE` held `masse` already; `Maße` keeps its old key.
    assert_eq!(group_keys, ["maße", "masse"]);
}
