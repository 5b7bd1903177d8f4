//! The embedded SQLite implementation of Roster's [`Store`](roster_domain::Store): the default
//! store, a single file, no server to run.
//!
//! One writer thread owns the only write connection and commits in groups (one transaction per
//! batch, a savepoint per request), because fsync is the bottleneck of durable commits; reads run
//! on a small pool of read-only connections, inline, since WAL lets them proceed beside the
//! writer. Nothing outside this crate sees a rusqlite type.

mod accounts;
mod api_keys;
mod audit;
mod console;
mod console_queries;
mod convert;
mod events;
mod groups;
mod list;
mod log;
mod migrations;
mod orgs;
mod pool;
mod sso;
mod tokens;
mod webhooks;
mod write_health;

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use async_trait::async_trait;
use roster_domain::{
    Account, AccountGroups, AccountId, AccountWrite, AdminCredentialRecord, AdminRemoval,
    AdminSummary, ApiKeyRecord, AuditCursor, AuditEntry, Capped, Change, EventPosition, EventsPage,
    FailureKey, FirstAdmin, Group, GroupId, GroupWrite, LockGuard, LogCursor, LogEntry, LogFilter,
    LogWindow, LoggedEntry, LoggedSignIn, Member, MembershipOutcome, NewAuditEntry, NewEvent, Org,
    OrgId, OrgScope, Page, RetentionLock, Role, ScimActivity, SessionRecord, SignInFilter,
    SsoConfigRecord, SsoFlowRecord, SsoLinkRecord, SsoSignInRecord, Store, StoreError, StoreFilter,
    TokenHash, TokenRecord, TokenUse, WebhookDelivery, WebhookProgress, WebhookRecord,
    WebhookState,
};
use roster_store_sql::{Dialect, console as sql};
use time::OffsetDateTime;
use uuid::Uuid;

use convert::Context;
use pool::Pool;
pub use pool::PoolStats;

/// Log entries one writer job of a log trim deletes at most, so a trim of millions of rows never
/// holds the one writer for more than a few milliseconds at a time.
const BACKGROUND_BATCH: u32 = 1_000;
/// Member ids a group write names beyond which it runs in a writer batch of its own.
const ALONE_MEMBERS: usize = 500;
/// Accounts one writer job of a retention purge deletes at most (each with its memberships).
const PURGE_BATCH: u32 = 100;

#[derive(Debug)]
pub struct SqliteStore {
    pool: Pool,
    retention_held: Arc<AtomicBool>,
}

/// The in-process retention lock, held: released at once by [`LockGuard::release`] or on drop.
#[derive(Debug)]
struct InProcessLock(Arc<AtomicBool>);

#[async_trait]
impl LockGuard for InProcessLock {
    async fn release(self: Box<Self>) -> Result<(), StoreError> {
        // Dropping the guard clears the flag.
        drop(self);
        Ok(())
    }
}

impl Drop for InProcessLock {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
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
        Ok(Self {
            pool,
            retention_held: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Connections and queued writes now, for metrics.
    pub fn pool_stats(&self) -> PoolStats {
        self.pool.stats()
    }
}

#[async_trait]
impl Store for SqliteStore {
    /// Reads work and writes work: a full disk or a read-only file fails only writes.
    async fn ping(&self) -> Result<(), StoreError> {
        self.pool.read(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))
                .context("pinging SQLite")
        })?;
        self.pool.check_writes().await
    }

    async fn insert_org(&self, org: &Org) -> Result<(), StoreError> {
        let org = org.clone();
        self.pool.write(move |tx| orgs::insert(tx, &org)).await
    }

    async fn org(&self, id: OrgId) -> Result<Option<Org>, StoreError> {
        self.pool.read(|conn| orgs::get(conn, id))
    }

    async fn orgs(&self) -> Result<Vec<Org>, StoreError> {
        self.pool.read(orgs::all)
    }

    async fn orgs_page(&self, after: Option<OrgId>, limit: u32) -> Result<Vec<Org>, StoreError> {
        self.pool.read(|conn| orgs::page(conn, after, limit))
    }

    async fn update_org(&self, org: &Org, events: &[NewEvent]) -> Result<(), StoreError> {
        let org = org.clone();
        let events = events.to_vec();
        self.pool
            .write(move |tx| {
                orgs::update(tx, &org)?;
                events::append(tx, &events)
            })
            .await
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
        events: &[NewEvent],
    ) -> Result<(), StoreError> {
        let token = token.clone();
        let events = events.to_vec();
        self.pool
            .write(move |tx| {
                tokens::install(tx, &token, previous_valid_until, require_none)?;
                events::append(tx, &events)
            })
            .await
    }

    async fn scim_token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        self.pool.read(|conn| tokens::by_hash(conn, hash))
    }

    async fn valid_scim_tokens(
        &self,
        scope: OrgScope,
        now: OffsetDateTime,
    ) -> Result<Vec<TokenRecord>, StoreError> {
        self.pool
            .read(|conn| tokens::valid(conn, scope.org_id(), now))
    }

    async fn revoke_scim_tokens(
        &self,
        scope: OrgScope,
        events: &[NewEvent],
    ) -> Result<u64, StoreError> {
        let org = scope.org_id();
        let events = events.to_vec();
        self.pool
            .write(move |tx| {
                let revoked = tokens::revoke_all(tx, org)?;
                if revoked > 0 {
                    events::append(tx, &events)?;
                }
                Ok(revoked)
            })
            .await
    }

    async fn account_by_user_name(&self, key: &str) -> Result<Option<Account>, StoreError> {
        self.pool.read(|conn| accounts::by_user_name(conn, key))
    }

    async fn accounts(
        &self,
        scope: OrgScope,
        filter: Option<&StoreFilter>,
        page: Page,
    ) -> Result<(Vec<Account>, u64), StoreError> {
        self.pool
            .read(|conn| accounts::list(conn, scope.org_id(), filter, page))
    }

    async fn write_account(&self, write: AccountWrite) -> Result<Account, StoreError> {
        self.pool
            .write(move |conn| accounts::write(conn, write))
            .await
    }

    async fn groups(
        &self,
        scope: OrgScope,
        filter: Option<&StoreFilter>,
        page: Page,
    ) -> Result<(Vec<Group>, u64), StoreError> {
        self.pool
            .read(|conn| groups::list(conn, scope.org_id(), filter, page))
    }

    async fn group(&self, scope: OrgScope, id: GroupId) -> Result<Option<Group>, StoreError> {
        self.pool
            .read(|conn| groups::by_id(conn, scope.org_id(), id))
    }

    async fn group_members(
        &self,
        scope: OrgScope,
        group: GroupId,
    ) -> Result<Vec<Member>, StoreError> {
        self.pool
            .read(|conn| groups::members(conn, scope.org_id(), group))
    }

    async fn group_member_ids(
        &self,
        scope: OrgScope,
        group: GroupId,
        limit: u64,
    ) -> Result<Vec<AccountId>, StoreError> {
        self.pool
            .read(|conn| groups::member_ids(conn, scope.org_id(), group, limit))
    }

    async fn is_member(
        &self,
        scope: OrgScope,
        group: GroupId,
        account: AccountId,
    ) -> Result<bool, StoreError> {
        self.pool
            .read(|conn| groups::is_member(conn, scope.org_id(), group, account))
    }

    async fn write_group(
        &self,
        scope: OrgScope,
        write: GroupWrite,
    ) -> Result<(Group, MembershipOutcome), StoreError> {
        let change = &write.members;
        // Counted by what the request names: a replace (PUT) naming few members stays in a
        // shared batch, since PUTs are common and each batch costs an fsync, though it removes
        // every other member of the group.
        let named =
            change.add.len() + change.remove.len() + change.replace.as_ref().map_or(0, Vec::len);
        let large = named > ALONE_MEMBERS;
        let job = move |conn: &rusqlite::Connection| groups::write(conn, scope.org_id(), write);
        if large {
            self.pool.write_alone(job).await
        } else {
            self.pool.write(job).await
        }
    }

    async fn delete_group(
        &self,
        scope: OrgScope,
        group: GroupId,
        expected_version: Option<i64>,
        change: &Change,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        // Its memberships go with it, however many: alone, like a large membership change.
        let change = change.clone();
        self.pool
            .write_alone(move |conn| {
                groups::delete(conn, scope.org_id(), group, expected_version, &change, at)
            })
            .await
    }

    async fn append_log(&self, entry: &LogEntry) -> Result<(), StoreError> {
        let entry = entry.clone();
        self.pool.write(move |conn| log::append(conn, &entry)).await
    }

    async fn log_entries(&self, scope: OrgScope, limit: u32) -> Result<Vec<LogEntry>, StoreError> {
        self.pool
            .read(|conn| log::newest(conn, scope.org_id(), limit))
    }

    async fn trim_log(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        // In batches, each its own short writer job, so other writes run between them.
        let before = convert::to_micros(before);
        let mut trimmed = 0;
        loop {
            let n = self
                .pool
                .write(move |conn| log::trim_older(conn, before, BACKGROUND_BATCH))
                .await?;
            trimmed += n;
            if n < u64::from(BACKGROUND_BATCH) {
                return Ok(trimmed);
            }
        }
    }

    async fn try_lock_retention(&self) -> Result<Option<RetentionLock>, StoreError> {
        // One holder per process; another process on the same file (a CLI run beside `serve`)
        // is still safe, since purges run in the writer's transactions and delete each row once.
        let held = self.retention_held.clone();
        if held.swap(true, Ordering::AcqRel) {
            return Ok(None);
        }
        Ok(Some(RetentionLock::new(InProcessLock(held))))
    }

    async fn purge_deactivated(
        &self,
        scope: OrgScope,
        deactivated_before: OffsetDateTime,
        dry_run: bool,
        change: &Change,
        at: OffsetDateTime,
    ) -> Result<Vec<Account>, StoreError> {
        let before = convert::to_micros(deactivated_before);
        let org = scope.org_id();
        if dry_run {
            return self
                .pool
                .read(|conn| accounts::deactivated_before(conn, org, before));
        }
        // In batches, each its own short writer job (an account's memberships go with it).
        let mut purged = Vec::new();
        loop {
            let batch = self
                .pool
                .write({
                    let change = change.clone();
                    move |conn| {
                        accounts::delete_deactivated_before(
                            conn,
                            org,
                            before,
                            PURGE_BATCH,
                            &change,
                            at,
                        )
                    }
                })
                .await?;
            let done = batch.len() < PURGE_BATCH as usize;
            purged.extend(batch);
            if done {
                break;
            }
        }
        Ok(purged)
    }

    async fn append_audit(&self, entry: &NewAuditEntry) -> Result<(), StoreError> {
        let entry = entry.clone();
        self.pool
            .write(move |conn| audit::append(conn, &entry))
            .await
    }

    async fn audit_entries(
        &self,
        scope: OrgScope,
        before: Option<AuditCursor>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.pool
            .read(|conn| audit::page(conn, scope.org_id(), before, limit))
    }

    async fn account(&self, scope: OrgScope, id: AccountId) -> Result<Option<Account>, StoreError> {
        self.pool
            .read(|conn| accounts::by_id(conn, scope.org_id(), id))
    }

    async fn any_admin_credential(&self) -> Result<bool, StoreError> {
        self.pool.read(console::any_credential)
    }

    async fn setup_first_admin(&self, setup: &FirstAdmin) -> Result<bool, StoreError> {
        let setup = setup.clone();
        self.pool
            .write(move |conn| console::setup_first_admin(conn, &setup))
            .await
    }

    async fn put_admin_credential(
        &self,
        scope: OrgScope,
        credential: &AdminCredentialRecord,
    ) -> Result<(), StoreError> {
        let credential = AdminCredentialRecord {
            org_id: scope.org_id(),
            ..credential.clone()
        };
        self.pool
            .write(move |conn| console::put_credential(conn, &credential))
            .await
    }

    async fn admin_credential(
        &self,
        account: AccountId,
    ) -> Result<Option<AdminCredentialRecord>, StoreError> {
        self.pool.read(|conn| console::credential(conn, account))
    }

    async fn admins(&self, scope: OrgScope) -> Result<Vec<AdminSummary>, StoreError> {
        self.pool.read(|conn| console::admins(conn, scope.org_id()))
    }

    async fn remove_admin(
        &self,
        scope: OrgScope,
        account: AccountId,
        role: Role,
        at: OffsetDateTime,
        change: &Change,
    ) -> Result<AdminRemoval, StoreError> {
        let org = scope.org_id();
        let change = change.clone();
        self.pool
            .write(move |conn| console::remove_admin(conn, org, account, role, at, &change))
            .await
    }

    async fn accept_invitation(
        &self,
        invitation: &TokenHash,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<(AccountId, OrgId)>, StoreError> {
        let (invitation, password_hash) = (*invitation, password_hash.to_owned());
        self.pool
            .write(move |conn| console::accept_invitation(conn, &invitation, &password_hash, now))
            .await
    }

    async fn insert_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        let session = session.clone();
        self.pool
            .write(move |conn| console::insert_session(conn, &session))
            .await
    }

    async fn session(&self, token: &TokenHash) -> Result<Option<SessionRecord>, StoreError> {
        self.pool.read(|conn| console::session(conn, token))
    }

    async fn touch_session(&self, token: &TokenHash, at: OffsetDateTime) -> Result<(), StoreError> {
        let token = *token;
        self.pool
            .write(move |conn| console::touch_session(conn, &token, at))
            .await
    }

    async fn delete_session(&self, token: &TokenHash) -> Result<bool, StoreError> {
        let token = *token;
        self.pool
            .write(move |conn| console::delete_session(conn, &token))
            .await
    }

    async fn delete_account_sessions(&self, account: AccountId) -> Result<u64, StoreError> {
        self.pool
            .write(move |conn| console::delete_account_sessions(conn, account))
            .await
    }

    async fn record_sign_in_failure(
        &self,
        account: Option<AccountId>,
        remote_addr: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let remote_addr = remote_addr.map(str::to_owned);
        self.pool
            .write(move |conn| console::record_failure(conn, account, remote_addr.as_deref(), at))
            .await
    }

    async fn forget_sign_in_failure(&self, id: i64) -> Result<(), StoreError> {
        self.pool
            .write(move |conn| console::forget_failure(conn, id))
            .await
    }

    async fn recent_sign_in_failures(
        &self,
        key: &FailureKey,
        since: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OffsetDateTime>, StoreError> {
        self.pool
            .read(|conn| console::recent_failures(conn, key, since, limit))
    }

    async fn clear_sign_in_failures(&self, account: AccountId) -> Result<(), StoreError> {
        self.pool
            .write(move |conn| console::clear_failures(conn, account))
            .await
    }

    async fn trim_console(
        &self,
        failures_before: OffsetDateTime,
        idle_before: OffsetDateTime,
        created_before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let (failures, idle, created) = (
            convert::to_micros(failures_before),
            convert::to_micros(idle_before),
            convert::to_micros(created_before),
        );
        self.pool
            .write(move |conn| console::trim(conn, failures, idle, created))
            .await
    }

    async fn put_sso_config(
        &self,
        scope: OrgScope,
        config: &SsoConfigRecord,
        events: &[NewEvent],
    ) -> Result<(), StoreError> {
        let config = SsoConfigRecord {
            org_id: scope.org_id(),
            ..config.clone()
        };
        let events = events.to_vec();
        self.pool
            .write(move |conn| {
                sso::put_config(conn, &config)?;
                events::append(conn, &events)
            })
            .await
    }

    async fn sso_config(&self, scope: OrgScope) -> Result<Option<SsoConfigRecord>, StoreError> {
        self.pool.read(|conn| sso::config(conn, scope.org_id()))
    }

    async fn delete_sso_config(
        &self,
        scope: OrgScope,
        events: &[NewEvent],
    ) -> Result<bool, StoreError> {
        let events = events.to_vec();
        self.pool
            .write(move |conn| {
                let removed = sso::delete_config(conn, scope.org_id())?;
                if removed {
                    events::append(conn, &events)?;
                }
                Ok(removed)
            })
            .await
    }

    async fn insert_sso_flow(&self, flow: &SsoFlowRecord) -> Result<(), StoreError> {
        let flow = flow.clone();
        self.pool
            .write(move |conn| sso::insert_flow(conn, &flow))
            .await
    }

    async fn take_sso_flow(
        &self,
        state: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Option<SsoFlowRecord>, StoreError> {
        let state = *state;
        self.pool
            .write(move |conn| sso::take_flow(conn, &state, now))
            .await
    }

    async fn trim_sso_flows(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        self.pool
            .write(move |conn| sso::trim_flows(conn, now))
            .await
    }

    async fn sso_link(
        &self,
        scope: OrgScope,
        namespace: &str,
        subject: &str,
    ) -> Result<Option<AccountId>, StoreError> {
        self.pool
            .read(|conn| sso::link(conn, scope.org_id(), namespace, subject))
    }

    async fn insert_sso_link(
        &self,
        scope: OrgScope,
        link: &SsoLinkRecord,
    ) -> Result<(), StoreError> {
        let link = link.clone();
        self.pool
            .write(move |conn| sso::insert_link(conn, scope.org_id(), &link))
            .await
    }

    async fn append_sso_sign_in(&self, entry: &SsoSignInRecord) -> Result<(), StoreError> {
        let entry = entry.clone();
        self.pool
            .write(move |conn| sso::append_sign_in(conn, &entry))
            .await
    }

    async fn sso_sign_ins(
        &self,
        scope: OrgScope,
        filter: &SignInFilter,
    ) -> Result<Vec<LoggedSignIn>, StoreError> {
        self.pool
            .read(|conn| sso::sign_ins(conn, scope.org_id(), filter))
    }

    async fn account_groups(
        &self,
        scope: OrgScope,
        account: AccountId,
    ) -> Result<Vec<(GroupId, String)>, StoreError> {
        self.pool
            .read(|conn| sso::account_groups(conn, scope.org_id(), account))
    }

    async fn account_groups_page(
        &self,
        scope: OrgScope,
        account: AccountId,
        after: Option<GroupId>,
        limit: u32,
    ) -> Result<Vec<(GroupId, String)>, StoreError> {
        self.pool
            .read(|conn| sso::account_groups_page(conn, scope.org_id(), account, after, limit))
    }

    async fn scim_token_uses(&self, scope: OrgScope) -> Result<Vec<TokenUse>, StoreError> {
        self.pool
            .read(|conn| console_queries::token_uses(conn, scope.org_id()))
    }

    async fn is_retired_scim_token(
        &self,
        scope: OrgScope,
        hash: &TokenHash,
    ) -> Result<bool, StoreError> {
        self.pool
            .read(|conn| console_queries::is_retired(conn, scope.org_id(), hash))
    }

    async fn record_scim_activity(
        &self,
        scope: OrgScope,
        activity: &ScimActivity,
        drop_before: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let activity = activity.clone();
        let org = scope.org_id();
        self.pool
            .write(move |conn| console_queries::record_activity(conn, org, &activity, drop_before))
            .await
    }

    async fn scim_activity(
        &self,
        scope: OrgScope,
        since: OffsetDateTime,
    ) -> Result<(Option<OffsetDateTime>, ScimActivity), StoreError> {
        self.pool
            .read(|conn| console_queries::activity(conn, scope.org_id(), since))
    }

    async fn log_window(
        &self,
        scope: OrgScope,
        filter: &LogFilter,
    ) -> Result<LogWindow, StoreError> {
        self.pool
            .read(|conn| console_queries::log_window(conn, scope.org_id(), filter))
    }

    async fn log_entry(&self, scope: OrgScope, id: i64) -> Result<Option<LoggedEntry>, StoreError> {
        self.pool
            .read(|conn| console_queries::log_entry(conn, scope.org_id(), id))
    }

    async fn log_about(
        &self,
        scope: OrgScope,
        resource_id: &str,
        name: &str,
        before: Option<LogCursor>,
        limit: u32,
    ) -> Result<Vec<LoggedEntry>, StoreError> {
        self.pool.read(|conn| {
            console_queries::log_about(conn, scope.org_id(), resource_id, name, before, limit)
        })
    }

    async fn audit_about(
        &self,
        scope: OrgScope,
        target: &str,
        scan: u32,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let statement = sql::audit_about(Dialect::Sqlite, scope.org_id(), target, scan, limit);
        self.pool
            .read(|conn| console_queries::audit_entries(conn, statement))
    }

    async fn seat_refusals(
        &self,
        scope: OrgScope,
        since: OffsetDateTime,
        scan: u32,
        limit: u32,
    ) -> Result<Vec<(String, OffsetDateTime)>, StoreError> {
        self.pool
            .read(|conn| console_queries::seat_refusals(conn, scope.org_id(), since, scan, limit))
    }

    async fn console_accounts(
        &self,
        scope: OrgScope,
        prefix: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Account>, StoreError> {
        let statement = sql::accounts_page(Dialect::Sqlite, scope.org_id(), prefix, after, limit);
        self.pool
            .read(|conn| console_queries::accounts(conn, statement))
    }

    async fn groups_of_accounts(
        &self,
        scope: OrgScope,
        accounts: &[AccountId],
        names: u32,
    ) -> Result<Vec<AccountGroups>, StoreError> {
        self.pool
            .read(|conn| console_queries::groups_of_accounts(conn, scope.org_id(), accounts, names))
    }

    async fn console_groups(
        &self,
        scope: OrgScope,
        prefix: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Group>, StoreError> {
        let statement = sql::groups_page(Dialect::Sqlite, scope.org_id(), prefix, after, limit);
        self.pool
            .read(|conn| console_queries::groups(conn, statement))
    }

    async fn member_counts(
        &self,
        scope: OrgScope,
        groups: &[GroupId],
        cap: u64,
    ) -> Result<Vec<u64>, StoreError> {
        self.pool
            .read(|conn| console_queries::member_counts(conn, scope.org_id(), groups, cap))
    }

    async fn members_page(
        &self,
        scope: OrgScope,
        group: GroupId,
        after: Option<AccountId>,
        limit: u32,
    ) -> Result<Vec<Member>, StoreError> {
        self.pool
            .read(|conn| console_queries::members_page(conn, scope.org_id(), group, after, limit))
    }

    async fn scim_managed_counts(
        &self,
        scope: OrgScope,
        cap: u64,
    ) -> Result<(u64, u64), StoreError> {
        self.pool
            .read(|conn| console_queries::managed_counts(conn, scope.org_id(), cap))
    }

    async fn count_deactivated_before(
        &self,
        scope: OrgScope,
        deactivated_before: OffsetDateTime,
        cap: u64,
    ) -> Result<u64, StoreError> {
        self.pool.read(|conn| {
            console_queries::deactivated_before_count(conn, scope.org_id(), deactivated_before, cap)
        })
    }

    async fn events_page(
        &self,
        after: Option<EventPosition>,
        org: Option<OrgId>,
        limit: u32,
    ) -> Result<EventsPage, StoreError> {
        self.pool.read(|conn| events::page(conn, after, org, limit))
    }

    async fn trim_events(&self, before: OffsetDateTime, limit: u32) -> Result<u64, StoreError> {
        self.pool
            .write(move |conn| events::trim(conn, before, limit))
            .await
    }

    async fn insert_api_key(
        &self,
        key: &ApiKeyRecord,
        max_live: u32,
    ) -> Result<Capped, StoreError> {
        let key = key.clone();
        self.pool
            .write(move |conn| api_keys::insert_key(conn, &key, max_live))
            .await
    }

    async fn api_key(&self, hash: &TokenHash) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.pool.read(|conn| api_keys::key_by_hash(conn, hash))
    }

    async fn api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        self.pool.read(api_keys::keys)
    }

    async fn org_api_keys(&self, scope: OrgScope) -> Result<Vec<ApiKeyRecord>, StoreError> {
        self.pool.read(|conn| api_keys::keys_of(conn, scope))
    }

    async fn org_api_key(
        &self,
        scope: OrgScope,
        id: Uuid,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.pool.read(|conn| api_keys::key_of(conn, scope, id))
    }

    async fn revoke_api_key(&self, id: Uuid, at: OffsetDateTime) -> Result<bool, StoreError> {
        self.pool
            .write(move |conn| api_keys::revoke_key(conn, id, at))
            .await
    }

    async fn touch_api_key(&self, id: Uuid, at: OffsetDateTime) -> Result<(), StoreError> {
        self.pool
            .write(move |conn| api_keys::touch_key(conn, id, at))
            .await
    }

    async fn insert_webhook(&self, hook: &WebhookRecord, max: u32) -> Result<Capped, StoreError> {
        let hook = hook.clone();
        self.pool
            .write(move |conn| webhooks::insert(conn, &hook, max))
            .await
    }

    async fn webhooks(&self) -> Result<Vec<WebhookRecord>, StoreError> {
        self.pool.read(webhooks::list)
    }

    async fn org_webhooks(&self, scope: OrgScope) -> Result<Vec<WebhookRecord>, StoreError> {
        self.pool.read(|conn| webhooks::list_of(conn, scope))
    }

    async fn due_webhooks(
        &self,
        now: OffsetDateTime,
        instance: &str,
    ) -> Result<Vec<WebhookRecord>, StoreError> {
        self.pool.read(|conn| webhooks::due(conn, now, instance))
    }

    async fn webhook(&self, id: Uuid) -> Result<Option<WebhookRecord>, StoreError> {
        self.pool.read(|conn| webhooks::get(conn, id))
    }

    async fn org_webhook(
        &self,
        scope: OrgScope,
        id: Uuid,
    ) -> Result<Option<WebhookRecord>, StoreError> {
        self.pool.read(|conn| webhooks::get_of(conn, scope, id))
    }

    async fn delete_webhook(&self, id: Uuid) -> Result<bool, StoreError> {
        self.pool
            .write(move |conn| webhooks::delete(conn, id))
            .await
    }

    async fn set_webhook_state(
        &self,
        id: Uuid,
        state: WebhookState,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.pool
            .write(move |conn| webhooks::set_state(conn, id, state, at))
            .await
    }

    async fn claim_webhook(
        &self,
        id: Uuid,
        instance: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Option<WebhookRecord>, StoreError> {
        let instance = instance.to_owned();
        self.pool
            .write(move |conn| webhooks::claim(conn, id, &instance, now, until))
            .await
    }

    async fn save_webhook_progress(
        &self,
        id: Uuid,
        instance: &str,
        progress: &WebhookProgress,
    ) -> Result<bool, StoreError> {
        let instance = instance.to_owned();
        let progress = progress.clone();
        self.pool
            .write(move |conn| webhooks::save_progress(conn, id, &instance, &progress))
            .await
    }

    async fn append_webhook_delivery(&self, delivery: &WebhookDelivery) -> Result<(), StoreError> {
        let delivery = delivery.clone();
        self.pool
            .write(move |conn| webhooks::append_delivery(conn, &delivery))
            .await
    }

    async fn webhook_deliveries(
        &self,
        webhook: Uuid,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        self.pool
            .read(|conn| webhooks::deliveries(conn, webhook, limit))
    }

    async fn webhook_delivery(&self, id: Uuid) -> Result<Option<WebhookDelivery>, StoreError> {
        self.pool.read(|conn| webhooks::delivery(conn, id))
    }

    async fn trim_webhook_deliveries(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        self.pool
            .write(move |conn| webhooks::trim_deliveries(conn, before))
            .await
    }
}
