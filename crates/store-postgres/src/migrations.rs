//! Forward-only migrations from `migrations/*.sql`, applied at start in one transaction that
//! first takes a transaction-scoped advisory lock: several instances starting at once queue on
//! the lock, and each then sees what the first one applied. An applied migration is never
//! edited; a change is a new file (and a new entry below).

use deadpool_postgres::{Pool, Transaction};
use roster_domain::{StoreError, display_name_key, user_name_key};
use roster_store_sql::rekey::{self, KeyedRow, Plan};
use uuid::Uuid;

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
    Migration {
        version: 6,
        name: "unicode_name_keys",
        sql: include_str!("../migrations/0006_unicode_name_keys.sql"),
    },
    Migration {
        version: 7,
        name: "console_auth",
        sql: include_str!("../migrations/0007_console_auth.sql"),
    },
    Migration {
        version: 8,
        name: "console_queries",
        sql: include_str!("../migrations/0008_console_queries.sql"),
    },
    Migration {
        version: 9,
        name: "sso",
        sql: include_str!("../migrations/0009_sso.sql"),
    },
    Migration {
        version: 10,
        name: "events",
        sql: include_str!("../migrations/0010_events.sql"),
    },
    Migration {
        version: 11,
        name: "webhooks",
        sql: include_str!("../migrations/0011_webhooks.sql"),
    },
    Migration {
        version: 12,
        name: "resource_counts",
        sql: include_str!("../migrations/0012_resource_counts.sql"),
    },
    Migration {
        version: 13,
        name: "drop_prefix_indexes",
        sql: include_str!("../migrations/0013_drop_prefix_indexes.sql"),
    },
    Migration {
        version: 14,
        name: "drop_external_id_indexes",
        sql: include_str!("../migrations/0014_drop_external_id_indexes.sql"),
    },
];

/// The migration after whose SQL the name keys of existing rows are recomputed in Rust.
const REKEY_NAMES: i64 = 6;

/// Advisory lock key of the migration runner ("roster" in ASCII, then 1). Retention uses
/// another key, so a long purge never delays a start.
pub(crate) const MIGRATION_LOCK: i64 = 0x726f_7374_6572_0001;

pub(crate) async fn apply(pool: &Pool) -> Result<(), StoreError> {
    let mut client = pool::get(pool).await?;
    let tx = client.transaction().await.context("starting migrations")?;
    // Not through `execute`: another instance may hold the lock for as long as its migrations
    // take, far longer than one round trip of a request may.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .context("waiting for the migration lock")?;
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
        if migration.version == REKEY_NAMES {
            rekey_names(&tx).await?;
        }
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

/// Recomputes `user_name_key` and `display_name_key` of existing rows (migration 0004): see
/// [`roster_store_sql::rekey`]. Conflicts are logged and listed in `name_key_conflicts`.
async fn rekey_names(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let accounts = keyed_rows(
        tx,
        "SELECT id, NULL::uuid, user_name, user_name_key FROM accounts ORDER BY created_at, id",
    )
    .await?;
    let plan = rekey::plan(&accounts, user_name_key);
    write_plan(
        tx,
        &plan,
        "account",
        "UPDATE accounts SET user_name_key = $2 WHERE id = $1",
    )
    .await?;
    let groups = keyed_rows(
        tx,
        "SELECT id, org_id, display_name, display_name_key FROM groups ORDER BY created_at, id",
    )
    .await?;
    let plan = rekey::plan(&groups, display_name_key);
    write_plan(
        tx,
        &plan,
        "group",
        "UPDATE groups SET display_name_key = $2 WHERE id = $1",
    )
    .await
}

async fn keyed_rows(tx: &Transaction<'_>, sql: &str) -> Result<Vec<KeyedRow>, StoreError> {
    let what = "reading names to recompute their keys";
    query(tx, sql, &[], what)
        .await?
        .iter()
        .map(|row| {
            Ok(KeyedRow {
                id: row.try_get(0)?,
                scope: row.try_get(1)?,
                name: row.try_get(2)?,
                key: row.try_get(3)?,
            })
        })
        .collect::<Result<_, tokio_postgres::Error>>()
        .context(what)
}

async fn write_plan(
    tx: &Transaction<'_>,
    plan: &Plan,
    kind: &str,
    update: &str,
) -> Result<(), StoreError> {
    for (id, key) in &plan.updates {
        execute(tx, update, &[id, key], "recomputing a name key").await?;
    }
    for conflict in &plan.conflicts {
        conflict.report(kind);
        let scope: Option<Uuid> = conflict.scope;
        execute(
            tx,
            "INSERT INTO name_key_conflicts (kind, id, org_id, name, holder_id)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &kind,
                &conflict.id,
                &scope,
                &conflict.name,
                &conflict.holder,
            ],
            "recording a name key conflict",
        )
        .await?;
    }
    Ok(())
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
        // Versions only grow; a number may be missing where a branch's migration was renumbered.
        for pair in MIGRATIONS.windows(2) {
            assert!(pair[0].version < pair[1].version);
        }
        for m in MIGRATIONS {
            assert!(!m.sql.trim().is_empty());
        }
    }
}
