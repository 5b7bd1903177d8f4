//! Test support, behind the `testing` feature so every crate's tests (and the load benchmark) can
//! share it while production builds leave it out: a fresh PostgreSQL database per test on the
//! server named by `ROSTER_TEST_POSTGRES_URL`, dropped when the test ends (even when it fails).
//! Without the variable, PostgreSQL tests print that they are skipped and pass; CI sets it.

use roster_domain::StoreError;
use tokio_postgres::NoTls;

use crate::{PoolOptions, PostgresStore};

pub const URL_VAR: &str = "ROSTER_TEST_POSTGRES_URL";

/// The server URL, or `None` after printing why the test is skipped.
pub fn server_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            println!(
                "skipped: set {URL_VAR} (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run the PostgreSQL tests"
            );
            None
        }
    }
}

/// A database created for one test and dropped with this value.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create(admin_url: &str) -> Result<Self, StoreError> {
        let name = format!("roster_test_{}", uuid::Uuid::new_v4().simple());
        let (client, connection) = tokio_postgres::connect(admin_url, NoTls)
            .await
            .map_err(|e| StoreError::internal("connecting to the test server", e))?;
        tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .map_err(|e| StoreError::internal("creating a test database", e))?;
        Ok(Self {
            admin_url: admin_url.to_owned(),
            url: with_database(admin_url, &name),
            name,
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, where blocking on a future is not allowed: a
        // short-lived thread with its own runtime does the cleanup. Best effort: a leftover
        // database only costs disk.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok((client, connection)) = tokio_postgres::connect(&admin_url, NoTls).await {
                    tokio::spawn(connection);
                    let dropped = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .await;
                    if let Err(e) = dropped {
                        eprintln!("could not drop test database {name}: {e}");
                    }
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let path = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{database}", &base[..path]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// A migrated store on a fresh database.
pub async fn fresh_store(admin_url: &str) -> Result<(PostgresStore, TestDatabase), StoreError> {
    let db = TestDatabase::create(admin_url).await?;
    let options = PoolOptions {
        max_connections: 8,
        ..PoolOptions::default()
    };
    let store = PostgresStore::connect_with(&db.url, options).await?;
    store.migrate().await?;
    Ok((store, db))
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_is_replaced_in_urls() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }
}
