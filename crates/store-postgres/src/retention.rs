//! Keeping the retention job on one instance at a time. Every retention method of the store is
//! correct when run from several instances at once (see `accounts::purge` and `log::trim`); the
//! lock only saves the duplicated work.

use deadpool_postgres::{Object, Pool};
use roster_domain::StoreError;

use crate::{
    convert::col,
    pool::{self, execute, query_one},
};

/// Advisory lock key of the retention job ("roster" in ASCII, then 2).
const RETENTION_LOCK: i64 = 0x726f_7374_6572_0002;

/// Held while this instance runs retention. The lock belongs to one database session (the
/// connection kept here): [`RetentionLock::release`] unlocks it and returns the connection to
/// the pool; dropping the guard instead closes the connection, and PostgreSQL releases a closed
/// session's locks, so the lock is never left behind in a pooled connection.
#[derive(Debug)]
pub struct RetentionLock {
    client: Option<Object>,
}

impl RetentionLock {
    pub async fn release(mut self) -> Result<(), StoreError> {
        if let Some(client) = self.client.as_ref() {
            execute(
                client,
                "SELECT pg_advisory_unlock($1)",
                &[&RETENTION_LOCK],
                "releasing the retention lock",
            )
            .await?;
        }
        // Unlocked: the connection may go back to the pool.
        self.client = None;
        Ok(())
    }
}

impl Drop for RetentionLock {
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
    Ok(locked.then_some(RetentionLock {
        client: Some(client),
    }))
}
