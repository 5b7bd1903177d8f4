//! Forward-only migrations, applied in order at start inside one transaction each. An applied
//! migration is never edited: a change is a new file.

use roster_domain::StoreError;
use rusqlite::Connection;

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
];

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
