//! Keeping the retention job on one instance at a time. Every retention method of the store is
//! correct when run from several instances at once (see `accounts::purge` and `log::trim`); the
//! lock only saves the duplicated work.

use async_trait::async_trait;
use deadpool_postgres::{Object, Pool};
use roster_domain::{LockGuard, RetentionLock, StoreError};

use crate::{
    convert::col,
    pool::{self, execute, query_one},
};

/// Advisory lock key of the retention job ("roster" in ASCII, then 2).
const RETENTION_LOCK: i64 = 0x726f_7374_6572_0002;

/// A session-level advisory lock, held by the database session of the connection kept here.
/// [`LockGuard::release`] unlocks it and only then returns the connection to the pool, so the
/// next `pg_try_advisory_lock` (from any instance) succeeds at once. Dropping the guard instead
/// closes the connection, and PostgreSQL releases a closed session's locks, so the lock is never
/// left behind in a pooled connection.
#[derive(Debug)]
struct AdvisoryLock {
    key: i64,
    client: Option<Object>,
}

#[async_trait]
impl LockGuard for AdvisoryLock {
    async fn release(mut self: Box<Self>) -> Result<(), StoreError> {
        if let Some(client) = self.client.as_ref() {
            // On an error the guard is dropped with its connection: the session ends, and the
            // lock with it.
            execute(
                client,
                "SELECT pg_advisory_unlock($1)",
                &[&self.key],
                "releasing the retention lock",
            )
            .await?;
        }
        // Unlocked: the connection may go back to the pool.
        self.client = None;
        Ok(())
    }
}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            // Detached from the pool and dropped: the session ends and its lock with it.
            drop(Object::take(client));
        }
    }
}

pub(crate) async fn try_lock(pool: &Pool) -> Result<Option<RetentionLock>, StoreError> {
    let client = pool::get(pool).await?;
    let row = query_one(
        &client,
        "SELECT pg_try_advisory_lock($1) AS locked",
        &[&RETENTION_LOCK],
        "taking the retention lock",
    )
    .await?;
    let locked: bool = col(&row, "locked")?;
    Ok(locked.then(|| {
        RetentionLock::new(AdvisoryLock {
            key: RETENTION_LOCK,
            client: Some(client),
        })
    }))
}
