//! The embedded SQLite implementation of Roster's [`Store`](roster_domain::Store): the default
//! store, a single file, no server to run.
//!
//! One writer thread owns the only write connection and commits in groups (one transaction per
//! batch, a savepoint per request), because fsync is the bottleneck of durable commits; reads run
//! on a small pool of read-only connections, inline, since WAL lets them proceed beside the
//! writer. Nothing outside this crate sees a rusqlite type.

mod convert;
mod migrations;
mod orgs;
mod pool;
mod tokens;

use std::path::Path;

use async_trait::async_trait;
use roster_domain::{Org, OrgId, OrgScope, Store, StoreError, TokenHash, TokenRecord};
use time::OffsetDateTime;

use convert::Context;
use pool::Pool;

#[derive(Debug)]
pub struct SqliteStore {
    pool: Pool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::internal(format!("creating the data directory {}", dir.display()), e)
            })?;
        }
        let pool = Pool::open(path, migrations::apply)?;
        Ok(Self { pool })
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.pool.read(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))
                .context("pinging SQLite")
        })
    }

    async fn insert_org(&self, org: &Org) -> Result<(), StoreError> {
        let org = org.clone();
        self.pool.write(move |tx| orgs::insert(tx, &org)).await
    }

    async fn org(&self, id: OrgId) -> Result<Option<Org>, StoreError> {
        self.pool.read(|conn| orgs::get(conn, id))
    }

    async fn update_org(&self, org: &Org) -> Result<(), StoreError> {
        let org = org.clone();
        self.pool.write(move |tx| orgs::update(tx, &org)).await
    }

    async fn seats_used(&self, scope: OrgScope) -> Result<u32, StoreError> {
        self.pool
            .read(|conn| orgs::seats_used(conn, scope.org_id()))
    }

    async fn install_scim_token(
        &self,
        token: &TokenRecord,
        previous_valid_until: Option<OffsetDateTime>,
        require_none: bool,
    ) -> Result<(), StoreError> {
        let token = token.clone();
        self.pool
            .write(move |tx| tokens::install(tx, &token, previous_valid_until, require_none))
            .await
    }

    async fn scim_token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        self.pool.read(|conn| tokens::by_hash(conn, hash))
    }

    async fn valid_scim_tokens(
        &self,
        org: OrgId,
        now: OffsetDateTime,
    ) -> Result<Vec<TokenRecord>, StoreError> {
        self.pool.read(|conn| tokens::valid(conn, org, now))
    }

    async fn revoke_scim_tokens(&self, org: OrgId) -> Result<u64, StoreError> {
        self.pool.write(move |tx| tokens::revoke_all(tx, org)).await
    }
}
