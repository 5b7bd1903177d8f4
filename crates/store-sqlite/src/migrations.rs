//! Forward-only migrations, applied in order at start inside one transaction each. An applied
//! migration is never edited: a change is a new file.

use roster_domain::{StoreError, display_name_key, user_name_key};
use roster_store_sql::rekey::{self, KeyedRow, Plan};
use rusqlite::{Connection, Transaction, params};
use uuid::Uuid;

use crate::convert::Context;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/0001_initial.sql")),
    (
        2,
        "drop_passwords",
        include_str!("../migrations/0002_drop_passwords.sql"),
    ),
    (
        3,
        "org_domains",
        include_str!("../migrations/0003_org_domains.sql"),
    ),
    (
        4,
        "sort_indexes",
        include_str!("../migrations/0004_sort_indexes.sql"),
    ),
    (
        5,
        "sort_user_display_name",
        include_str!("../migrations/0005_sort_user_display_name.sql"),
    ),
    (
        6,
        "unicode_name_keys",
        include_str!("../migrations/0006_unicode_name_keys.sql"),
    ),
    (
        7,
        "console_auth",
        include_str!("../migrations/0007_console_auth.sql"),
    ),
    (
        8,
        "console_queries",
        include_str!("../migrations/0008_console_queries.sql"),
    ),
    (9, "sso", include_str!("../migrations/0009_sso.sql")),
    (10, "events", include_str!("../migrations/0010_events.sql")),
    (
        11,
        "webhooks",
        include_str!("../migrations/0011_webhooks.sql"),
    ),
    (
        12,
        "resource_counts",
        include_str!("../migrations/0012_resource_counts.sql"),
    ),
    (
        13,
        "drop_prefix_indexes",
        include_str!("../migrations/0013_drop_prefix_indexes.sql"),
    ),
    (
        14,
        "drop_external_id_indexes",
        include_str!("../migrations/0014_drop_external_id_indexes.sql"),
    ),
];

/// The migration after whose SQL the name keys of existing rows are recomputed in Rust.
const REKEY_NAMES: i64 = 6;

pub(crate) fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY,
             name TEXT NOT NULL,
             applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
         ) STRICT",
    )
    .context("creating schema_migrations")?;
    for &(version, name, sql) in MIGRATIONS {
        // IMMEDIATE: two processes starting at once must not both apply the same migration.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .context("starting a migration")?;
        let applied: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
                [version],
                |row| row.get(0),
            )
            .context("reading schema_migrations")?;
        if !applied {
            tx.execute_batch(sql)
                .context(&format!("applying migration {version} ({name})"))?;
            if version == REKEY_NAMES {
                rekey_names(&tx)?;
            }
            tx.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
                rusqlite::params![version, name],
            )
            .context("recording a migration")?;
            tracing::info!(
                migration.version = version,
                migration.name = name,
                "migration applied"
            );
        }
        tx.commit().context("committing a migration")?;
    }
    Ok(())
}

/// Recomputes `user_name_key` and `display_name_key` of existing rows (migration 0004): see
/// [`roster_store_sql::rekey`]. Conflicts are logged and listed in `name_key_conflicts`.
fn rekey_names(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let accounts = keyed_rows(
        tx,
        "SELECT id, NULL, user_name, user_name_key FROM accounts ORDER BY created_at, id",
    )?;
    let plan = rekey::plan(&accounts, user_name_key);
    write_plan(
        tx,
        &plan,
        "account",
        "UPDATE accounts SET user_name_key = ?2 WHERE id = ?1",
    )?;
    let groups = keyed_rows(
        tx,
        "SELECT id, org_id, display_name, display_name_key FROM groups ORDER BY created_at, id",
    )?;
    let plan = rekey::plan(&groups, display_name_key);
    write_plan(
        tx,
        &plan,
        "group",
        "UPDATE groups SET display_name_key = ?2 WHERE id = ?1",
    )
}

fn keyed_rows(tx: &Transaction<'_>, sql: &str) -> Result<Vec<KeyedRow>, StoreError> {
    let what = "reading names to recompute their keys";
    let mut statement = tx.prepare(sql).context(what)?;
    let rows = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
            ))
        })
        .context(what)?
        .collect::<Result<Vec<_>, _>>()
        .context(what)?;
    let uuid = |s: &str| Uuid::parse_str(s).map_err(|e| StoreError::internal(what, e));
    rows.into_iter()
        .map(|(id, scope, name, key)| {
            Ok(KeyedRow {
                id: uuid(&id)?,
                scope: scope.as_deref().map(uuid).transpose()?,
                name,
                key,
            })
        })
        .collect()
}

fn write_plan(
    tx: &Transaction<'_>,
    plan: &Plan,
    kind: &str,
    update: &str,
) -> Result<(), StoreError> {
    for (id, key) in &plan.updates {
        tx.execute(update, params![id.to_string(), key])
            .context("recomputing a name key")?;
    }
    for conflict in &plan.conflicts {
        conflict.report(kind);
        tx.execute(
            "INSERT INTO name_key_conflicts (kind, id, org_id, name, holder_id)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                kind,
                conflict.id.to_string(),
                conflict.scope.map(|o| o.to_string()),
                conflict.name,
                conflict.holder.to_string()
            ],
        )
        .context("recording a name key conflict")?;
    }
    Ok(())
}
