//! Which database to use, from `--database` / `ROSTER_DATABASE_URL`, and opening it. This is the
//! only place that picks a store implementation.

use std::{fmt, path::PathBuf, str::FromStr, sync::Arc, time::Duration};

use anyhow::Context;
use roster_domain::{Store, StoreError};
use roster_store_postgres::PostgresStore;
use roster_store_sqlite::SqliteStore;
use roster_web::{PoolSampler, PoolStats};

#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    /// `$XDG_DATA_HOME/roster/roster.db`, else `~/.local/share/roster/roster.db`.
    pub fn default_sqlite() -> Self {
        let base = std::env::var_os("XDG_DATA_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."));
        Self::Sqlite(base.join("roster").join("roster.db"))
    }

    /// Opens the store and applies pending migrations (so `roster migrate` is just an open);
    /// with it, what reads the store's connection figures for metrics.
    /// With `wait`, a PostgreSQL server that does not answer (refused, reset, timed out,
    /// starting up) is tried again with a backoff from 1 s to 30 s, logging each attempt, until
    /// it does; a refusal that waiting cannot fix (wrong password, unknown database) fails at
    /// once either way.
    pub async fn open(&self, wait: bool) -> anyhow::Result<(Arc<dyn Store>, PoolSampler)> {
        match self {
            Self::Sqlite(path) => {
                let store = SqliteStore::open(path)
                    .with_context(|| format!("opening the SQLite database {}", path.display()))?;
                let store = Arc::new(store);
                Ok((store.clone(), sqlite_sampler(store)))
            }
            Self::Postgres(url) => {
                let mut delay = FIRST_RETRY;
                loop {
                    match self.connect_postgres(url).await {
                        Ok(store) => {
                            let store = Arc::new(store);
                            return Ok((store.clone(), postgres_sampler(store)));
                        }
                        Err((e, _)) if !wait || !e.is_unavailable() => {
                            return Err(anyhow::Error::new(e).context(format!(
                                "connecting to and migrating PostgreSQL at {self:?}"
                            )));
                        }
                        Err((e, step)) => {
                            tracing::warn!(
                                database = ?self,
                                error = %e,
                                retry.seconds = delay.as_secs(),
                                "PostgreSQL does not answer ({step}); retrying in {} s",
                                delay.as_secs()
                            );
                            tokio::time::sleep(delay).await;
                            delay = (delay * 2).min(LAST_RETRY);
                        }
                    }
                }
            }
        }
    }

    /// Errors name the server as `Debug` shows it: never the password.
    async fn connect_postgres(
        &self,
        url: &str,
    ) -> Result<PostgresStore, (StoreError, &'static str)> {
        let store = PostgresStore::connect(url)
            .await
            .map_err(|e| (e, "connecting"))?;
        // Every instance migrates at start; the migration lock makes that safe when several
        // start at once.
        store.migrate().await.map_err(|e| (e, "migrating"))?;
        Ok(store)
    }
}

pub fn sqlite_sampler(store: Arc<SqliteStore>) -> PoolSampler {
    Arc::new(move || {
        let stats = store.pool_stats();
        PoolStats {
            in_use: stats.readers_in_use,
            idle: stats.readers_idle,
            queued: stats.writes_queued,
            queue: "sqlite_writer",
        }
    })
}

pub fn postgres_sampler(store: Arc<PostgresStore>) -> PoolSampler {
    Arc::new(move || {
        let stats = store.pool_stats();
        PoolStats {
            in_use: stats.in_use,
            idle: stats.idle,
            queued: stats.waiting,
            queue: "pool_wait",
        }
    })
}

/// The first wait before connecting again to a PostgreSQL server that did not answer at start;
/// it doubles up to [`LAST_RETRY`].
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LAST_RETRY: Duration = Duration::from_secs(30);

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("the database URL is empty".into());
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(Self::Postgres(s.to_owned()));
        }
        if let Some(path) = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(
                    "sqlite:// needs a file path, e.g. sqlite:///var/lib/roster/roster.db".into(),
                );
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(format!(
                "unsupported database scheme '{scheme}': use a file path, sqlite://PATH or postgres://"
            ));
        }
        Ok(Self::Sqlite(PathBuf::from(s)))
    }
}

/// Never prints a PostgreSQL password.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Postgres(url) => {
                // Parameters may carry a password too (`?password=...`): not shown either.
                let url = url.split_once('?').map_or(url.as_str(), |(base, _)| base);
                let host = url.rsplit_once('@').map_or(url, |(_, host)| host);
                let host = host
                    .trim_start_matches("postgres://")
                    .trim_start_matches("postgresql://");
                write!(f, "postgres://<redacted>@{host}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_sqlite_urls_name_a_file() {
        assert_eq!(
            "data/r.db".parse(),
            Ok(DatabaseUrl::Sqlite("data/r.db".into()))
        );
        assert_eq!(
            "sqlite:///var/r.db".parse(),
            Ok(DatabaseUrl::Sqlite("/var/r.db".into()))
        );
        assert_eq!(
            "sqlite:r.db".parse(),
            Ok(DatabaseUrl::Sqlite("r.db".into()))
        );
        assert!("mysql://x".parse::<DatabaseUrl>().is_err());
    }

    #[test]
    fn debug_output_hides_postgres_credentials() {
        let url: DatabaseUrl = "postgres://roster:s3cret@db.internal:5432/roster"
            .parse()
            .unwrap();
        let shown = format!("{url:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("db.internal:5432/roster"), "{shown}");
        let url: DatabaseUrl = "postgres://db.internal/roster?user=r&password=s3cret"
            .parse()
            .unwrap();
        let shown = format!("{url:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
