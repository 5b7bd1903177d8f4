//! Forward-only migrations from `migrations/*.sql`, applied at start in one transaction that
//! first takes a transaction-scoped advisory lock: several instances starting at once queue on
//! the lock, and each then sees what the first one applied. An applied migration is never
//! edited; a change is a new file (and a new entry below).

use deadpool_postgres::Pool;
use roster_domain::StoreError;

use crate::{
    convert::Context,
    pool::{self, execute, query},
};

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// Every migration, in order; a unit test checks this list against the directory.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "drop_passwords",
        sql: include_str!("../migrations/0002_drop_passwords.sql"),
    },
    Migration {
        version: 3,
        name: "org_domains",
        sql: include_str!("../migrations/0003_org_domains.sql"),
    },
    Migration {
        version: 4,
        name: "sort_indexes",
        sql: include_str!("../migrations/0004_sort_indexes.sql"),
    },
    Migration {
        version: 5,
        name: "sort_user_display_name",
        sql: include_str!("../migrations/0005_sort_user_display_name.sql"),
    },
];

/// Advisory lock key of the migration runner ("roster" in ASCII, then 1). Retention uses
/// another key, so a long purge never delays a start.
pub(crate) const MIGRATION_LOCK: i64 = 0x726f_7374_6572_0001;

pub(crate) async fn apply(pool: &Pool) -> Result<(), StoreError> {
    let mut client = pool::get(pool).await?;
    let tx = client.transaction().await.context("starting migrations")?;
    execute(
        &tx,
        "SELECT pg_advisory_xact_lock($1)",
        &[&MIGRATION_LOCK],
        "waiting for the migration lock",
    )
    .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version     bigint PRIMARY KEY,
             name        text NOT NULL,
             applied_at  timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await
    .context("creating schema_migrations")?;
    let applied: Vec<i64> = query(
        &tx,
        "SELECT version FROM schema_migrations ORDER BY version",
        &[],
        "reading schema_migrations",
    )
    .await?
    .iter()
    .map(|row| row.try_get(0))
    .collect::<Result<_, _>>()
    .context("reading schema_migrations")?;
    for migration in MIGRATIONS {
        if applied.contains(&migration.version) {
            continue;
        }
        tx.batch_execute(migration.sql).await.context(&format!(
            "applying migration {} ({})",
            migration.version, migration.name
        ))?;
        execute(
            &tx,
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&migration.version, &migration.name],
            "recording a migration",
        )
        .await?;
        tracing::info!(
            migration.version = migration.version,
            migration.name = migration.name,
            "migration applied"
        );
    }
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    if let Some(newest) = applied.iter().copied().filter(|v| *v > known).max() {
        // A newer instance migrated during a rolling upgrade; migrations only add, so this
        // older build keeps working, but the operator should know.
        tracing::warn!(
            migration.version = newest,
            migration.known = known,
            "the database has migrations this build does not know"
        );
    }
    tx.commit().await.context("committing migrations")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_migrations_is_listed_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|m| format!("{:04}_{}.sql", m.version, m.name))
            .collect();
        assert_eq!(files, listed);
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i64::try_from(i).unwrap() + 1);
            assert!(!m.sql.trim().is_empty());
        }
    }
}
