//! The PostgreSQL implementation of Roster's [`Store`]: for any number of `roster serve`
//! instances sharing one database, with every invariant of SPEC §2 holding across them.
//!
//! Each trait method that must be atomic is one transaction at READ COMMITTED, and what makes it
//! correct under concurrency is a row lock, not an isolation level: a seat-taking account write
//! locks its organization's row before counting seats, a group write locks the group's row before
//! touching memberships, version checks are part of the `UPDATE`. Uniqueness lives in unique
//! indexes on keys the domain computes; memberships cannot cross organizations because their
//! foreign keys include the organization. Nothing outside this crate sees a driver type.

mod accounts;
mod api_keys;
mod audit;
mod console;
mod console_queries;
mod convert;
mod events;
mod group_commit;
mod groups;
mod list;
mod log;
mod migrations;
mod orgs;
mod pool;
mod retention;
mod sso;
#[cfg(feature = "testing")]
pub mod testing;
mod tokens;
mod webhooks;

use std::sync::Arc;

use async_trait::async_trait;
use deadpool_postgres::Pool;
use roster_domain::{
    Account, AccountGroups, AccountId, AccountWrite, AdminCredentialRecord, AdminRemoval,
    AdminSummary, ApiKeyRecord, AuditCursor, AuditEntry, Capped, Change, EventPosition, EventsPage,
    FailureKey, FirstAdmin, Group, GroupId, GroupWrite, LogCursor, LogEntry, LogFilter, LogWindow,
    LoggedEntry, LoggedSignIn, Member, MembershipOutcome, NewAuditEntry, NewEvent, Org, OrgId,
    OrgScope, Page, Role, ScimActivity, SessionRecord, SignInFilter, SsoConfigRecord,
    SsoFlowRecord, SsoLinkRecord, SsoSignInRecord, Store, StoreError, StoreFilter, TokenHash,
    TokenRecord, TokenUse, WebhookDelivery, WebhookProgress, WebhookRecord, WebhookState,
};
use roster_store_sql::{Dialect, console as sql};
use time::OffsetDateTime;
use uuid::Uuid;

use group_commit::GroupCommit;
pub use pool::PoolOptions;

#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    /// Account and group writes, committed together per organization.
    writes: Arc<GroupCommit>,
}

/// Shows the pool's figures, never the connection string (it may hold a password).
impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.pool.status();
        f.debug_struct("PostgresStore")
            .field("max_connections", &status.max_size)
            .field("open_connections", &status.size)
            .finish()
    }
}

impl PostgresStore {
    /// Connects with [`PoolOptions::default`]. Does not migrate: call [`Self::migrate`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, PoolOptions::default()).await
    }

    /// Connects (a `postgres://` URL or a libpq key=value string) and checks the server answers.
    pub async fn connect_with(url: &str, options: PoolOptions) -> Result<Self, StoreError> {
        let pool = pool::open(url, options).await?;
        let writes = GroupCommit::new(pool.clone());
        Ok(Self { pool, writes })
    }

    /// Applies pending migrations. Safe to run from several instances at once.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrations::apply(&self.pool).await
    }

    /// Connections and waiting requests now, for metrics.
    pub fn pool_stats(&self) -> PoolStats {
        let status = self.pool.status();
        PoolStats {
            in_use: status.size.saturating_sub(status.available),
            idle: status.available,
            waiting: status.waiting + self.writes.waiting(),
        }
    }
}

/// The pool's figures, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections lent to a request.
    pub in_use: usize,
    /// Open connections waiting in the pool.
    pub idle: usize,
    /// Requests waiting for a connection, and write batches for the writes' share of the pool.
    pub waiting: usize,
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> Result<(), StoreError> {
        let client = pool::get(&self.pool).await?;
        pool::query_one(&client, "SELECT 1", &[], "pinging PostgreSQL").await?;
        Ok(())
    }

    async fn insert_org(&self, org: &Org) -> Result<(), StoreError> {
        orgs::insert(&pool::get(&self.pool).await?, org).await
    }

    async fn org(&self, id: OrgId) -> Result<Option<Org>, StoreError> {
        orgs::get(&pool::get(&self.pool).await?, id).await
    }

    async fn orgs(&self) -> Result<Vec<Org>, StoreError> {
        orgs::all(&pool::get(&self.pool).await?).await
    }

    async fn orgs_page(&self, after: Option<OrgId>, limit: u32) -> Result<Vec<Org>, StoreError> {
        orgs::page(&pool::get(&self.pool).await?, after, limit).await
    }

    async fn update_org(&self, org: &Org, events: &[NewEvent]) -> Result<(), StoreError> {
        let mut client = pool::get(&self.pool).await?;
        let tx = events::begin(&mut client, Some(org.id)).await?;
        orgs::update(&tx, org).await?;
        events::append(&tx, events).await?;
        pool::answer("committing an organization", tx.commit()).await
    }

    async fn seats_used(&self, scope: OrgScope) -> Result<u32, StoreError> {
        orgs::seats_used(&pool::get(&self.pool).await?, scope.org_id()).await
    }

    async fn install_scim_token(
        &self,
        token: &TokenRecord,
        previous_valid_until: Option<OffsetDateTime>,
        require_none: bool,
        events: &[NewEvent],
    ) -> Result<(), StoreError> {
        let mut client = pool::get(&self.pool).await?;
        let tx = events::begin(&mut client, Some(token.org_id)).await?;
        tokens::install(&tx, token, previous_valid_until, require_none).await?;
        events::append(&tx, events).await?;
        pool::answer("committing a SCIM token", tx.commit()).await
    }

    async fn scim_token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        tokens::by_hash(&pool::get(&self.pool).await?, hash).await
    }

    async fn valid_scim_tokens(
        &self,
        scope: OrgScope,
        now: OffsetDateTime,
    ) -> Result<Vec<TokenRecord>, StoreError> {
        tokens::valid(&pool::get(&self.pool).await?, scope.org_id(), now).await
    }

    async fn revoke_scim_tokens(
        &self,
        scope: OrgScope,
        events: &[NewEvent],
    ) -> Result<u64, StoreError> {
        let mut client = pool::get(&self.pool).await?;
        let tx = events::begin(&mut client, Some(scope.org_id())).await?;
        let revoked = tokens::revoke_all(&tx, scope.org_id()).await?;
        if revoked > 0 {
            events::append(&tx, events).await?;
        }
        pool::answer("committing a SCIM revocation", tx.commit()).await?;
        Ok(revoked)
    }

    async fn account_by_user_name(&self, key: &str) -> Result<Option<Account>, StoreError> {
        accounts::by_user_name(&pool::get(&self.pool).await?, key).await
    }

    async fn accounts(
        &self,
        scope: OrgScope,
        filter: Option<&StoreFilter>,
        page: Page,
    ) -> Result<(Vec<Account>, u64), StoreError> {
        accounts::list(&pool::get(&self.pool).await?, scope.org_id(), filter, page).await
    }

    async fn write_account(&self, write: AccountWrite) -> Result<Account, StoreError> {
        self.writes.account(write).await
    }

    async fn groups(
        &self,
        scope: OrgScope,
        filter: Option<&StoreFilter>,
        page: Page,
    ) -> Result<(Vec<Group>, u64), StoreError> {
        groups::list(&pool::get(&self.pool).await?, scope.org_id(), filter, page).await
    }

    async fn group(&self, scope: OrgScope, id: GroupId) -> Result<Option<Group>, StoreError> {
        groups::by_id(&pool::get(&self.pool).await?, scope.org_id(), id).await
    }

    async fn group_members(
        &self,
        scope: OrgScope,
        group: GroupId,
    ) -> Result<Vec<Member>, StoreError> {
        groups::members(&pool::get(&self.pool).await?, scope.org_id(), group).await
    }

    async fn group_member_ids(
        &self,
        scope: OrgScope,
        group: GroupId,
        limit: u64,
    ) -> Result<Vec<AccountId>, StoreError> {
        groups::member_ids(&pool::get(&self.pool).await?, scope.org_id(), group, limit).await
    }

    async fn is_member(
        &self,
        scope: OrgScope,
        group: GroupId,
        account: AccountId,
    ) -> Result<bool, StoreError> {
        groups::is_member(
            &pool::get(&self.pool).await?,
            scope.org_id(),
            group,
            account,
        )
        .await
    }

    async fn write_group(
        &self,
        scope: OrgScope,
        write: GroupWrite,
    ) -> Result<(Group, MembershipOutcome), StoreError> {
        self.writes.group(scope.org_id(), write).await
    }

    async fn delete_group(
        &self,
        scope: OrgScope,
        group: GroupId,
        expected_version: Option<i64>,
        change: &Change,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut client = pool::get(&self.pool).await?;
        let tx = events::begin(&mut client, Some(scope.org_id())).await?;
        let deleted =
            groups::delete(&tx, scope.org_id(), group, expected_version, change, at).await?;
        pool::answer("committing a group's deletion", tx.commit()).await?;
        Ok(deleted)
    }

    async fn append_log(&self, entry: &LogEntry) -> Result<(), StoreError> {
        log::append(&pool::get(&self.pool).await?, entry).await
    }

    async fn log_entries(&self, scope: OrgScope, limit: u32) -> Result<Vec<LogEntry>, StoreError> {
        log::newest(&pool::get(&self.pool).await?, scope.org_id(), limit).await
    }

    async fn trim_log(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        log::trim(&pool::get(&self.pool).await?, before).await
    }

    async fn try_lock_retention(&self) -> Result<Option<roster_domain::RetentionLock>, StoreError> {
        retention::try_lock(&self.pool).await
    }

    async fn purge_deactivated(
        &self,
        scope: OrgScope,
        deactivated_before: OffsetDateTime,
        dry_run: bool,
        change: &Change,
        at: OffsetDateTime,
    ) -> Result<Vec<Account>, StoreError> {
        let mut client = pool::get(&self.pool).await?;
        if dry_run {
            return accounts::deactivated_before(&client, scope.org_id(), deactivated_before).await;
        }
        let tx = events::begin(&mut client, Some(scope.org_id())).await?;
        let purged = accounts::purge(&tx, scope.org_id(), deactivated_before, change, at).await?;
        pool::answer("committing a purge", tx.commit()).await?;
        Ok(purged)
    }

    async fn append_audit(&self, entry: &NewAuditEntry) -> Result<(), StoreError> {
        audit::append(&pool::get(&self.pool).await?, entry).await
    }

    async fn audit_entries(
        &self,
        scope: OrgScope,
        before: Option<AuditCursor>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        audit::page(&pool::get(&self.pool).await?, scope.org_id(), before, limit).await
    }

    async fn account(&self, scope: OrgScope, id: AccountId) -> Result<Option<Account>, StoreError> {
        accounts::by_id(&pool::get(&self.pool).await?, scope.org_id(), id).await
    }

    async fn any_admin_credential(&self) -> Result<bool, StoreError> {
        console::any_credential(&pool::get(&self.pool).await?).await
    }

    async fn setup_first_admin(&self, setup: &FirstAdmin) -> Result<bool, StoreError> {
        let mut client = pool::get(&self.pool).await?;
        let tx = events::begin(&mut client, Some(setup.org.id)).await?;
        if !console::setup_first_admin(&tx, setup).await? {
            return Ok(false);
        }
        pool::answer("committing the first-run setup", tx.commit()).await?;
        Ok(true)
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
        console::put_credential(&pool::get(&self.pool).await?, &credential).await
    }

    async fn admin_credential(
        &self,
        account: AccountId,
    ) -> Result<Option<AdminCredentialRecord>, StoreError> {
        console::credential(&pool::get(&self.pool).await?, account).await
    }

    async fn admins(&self, scope: OrgScope) -> Result<Vec<AdminSummary>, StoreError> {
        console::admins(&pool::get(&self.pool).await?, scope.org_id()).await
    }

    async fn remove_admin(
        &self,
        scope: OrgScope,
        account: AccountId,
        role: Role,
        at: OffsetDateTime,
        change: &Change,
    ) -> Result<AdminRemoval, StoreError> {
        let mut client = pool::get(&self.pool).await?;
        let tx = events::begin(&mut client, Some(scope.org_id())).await?;
        let removal = console::remove_admin(&tx, scope.org_id(), account, role, at, change).await?;
        pool::answer("committing an administrator's removal", tx.commit()).await?;
        Ok(removal)
    }

    async fn accept_invitation(
        &self,
        invitation: &TokenHash,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<(AccountId, OrgId)>, StoreError> {
        console::accept_invitation(
            &pool::get(&self.pool).await?,
            invitation,
            password_hash,
            now,
        )
        .await
    }

    async fn insert_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        console::insert_session(&pool::get(&self.pool).await?, session).await
    }

    async fn session(&self, token: &TokenHash) -> Result<Option<SessionRecord>, StoreError> {
        console::session(&pool::get(&self.pool).await?, token).await
    }

    async fn touch_session(&self, token: &TokenHash, at: OffsetDateTime) -> Result<(), StoreError> {
        console::touch_session(&pool::get(&self.pool).await?, token, at).await
    }

    async fn delete_session(&self, token: &TokenHash) -> Result<bool, StoreError> {
        console::delete_session(&pool::get(&self.pool).await?, token).await
    }

    async fn delete_account_sessions(&self, account: AccountId) -> Result<u64, StoreError> {
        console::delete_account_sessions(&pool::get(&self.pool).await?, account).await
    }

    async fn record_sign_in_failure(
        &self,
        account: Option<AccountId>,
        remote_addr: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        console::record_failure(&pool::get(&self.pool).await?, account, remote_addr, at).await
    }

    async fn forget_sign_in_failure(&self, id: i64) -> Result<(), StoreError> {
        console::forget_failure(&pool::get(&self.pool).await?, id).await
    }

    async fn recent_sign_in_failures(
        &self,
        key: &FailureKey,
        since: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OffsetDateTime>, StoreError> {
        console::recent_failures(&pool::get(&self.pool).await?, key, since, limit).await
    }

    async fn clear_sign_in_failures(&self, account: AccountId) -> Result<(), StoreError> {
        console::clear_failures(&pool::get(&self.pool).await?, account).await
    }

    async fn trim_console(
        &self,
        failures_before: OffsetDateTime,
        idle_before: OffsetDateTime,
        created_before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        console::trim(
            &pool::get(&self.pool).await?,
            failures_before,
            idle_before,
            created_before,
        )
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
        let mut client = pool::get(&self.pool).await?;
        let tx = events::begin(&mut client, Some(scope.org_id())).await?;
        sso::put_config(&tx, &config).await?;
        events::append(&tx, events).await?;
        pool::answer("committing an SSO configuration", tx.commit()).await
    }

    async fn sso_config(&self, scope: OrgScope) -> Result<Option<SsoConfigRecord>, StoreError> {
        sso::config(&pool::get(&self.pool).await?, scope.org_id()).await
    }

    async fn delete_sso_config(
        &self,
        scope: OrgScope,
        events: &[NewEvent],
    ) -> Result<bool, StoreError> {
        let mut client = pool::get(&self.pool).await?;
        let tx = events::begin(&mut client, Some(scope.org_id())).await?;
        let removed = sso::delete_config(&tx, scope.org_id()).await?;
        if removed {
            events::append(&tx, events).await?;
        }
        pool::answer("committing an SSO removal", tx.commit()).await?;
        Ok(removed)
    }

    async fn insert_sso_flow(&self, flow: &SsoFlowRecord) -> Result<(), StoreError> {
        sso::insert_flow(&pool::get(&self.pool).await?, flow).await
    }

    async fn take_sso_flow(
        &self,
        state: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Option<SsoFlowRecord>, StoreError> {
        sso::take_flow(&pool::get(&self.pool).await?, state, now).await
    }

    async fn trim_sso_flows(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        sso::trim_flows(&pool::get(&self.pool).await?, now).await
    }

    async fn sso_link(
        &self,
        scope: OrgScope,
        namespace: &str,
        subject: &str,
    ) -> Result<Option<AccountId>, StoreError> {
        sso::link(
            &pool::get(&self.pool).await?,
            scope.org_id(),
            namespace,
            subject,
        )
        .await
    }

    async fn insert_sso_link(
        &self,
        scope: OrgScope,
        link: &SsoLinkRecord,
    ) -> Result<(), StoreError> {
        sso::insert_link(&pool::get(&self.pool).await?, scope.org_id(), link).await
    }

    async fn append_sso_sign_in(&self, entry: &SsoSignInRecord) -> Result<(), StoreError> {
        sso::append_sign_in(&pool::get(&self.pool).await?, entry).await
    }

    async fn sso_sign_ins(
        &self,
        scope: OrgScope,
        filter: &SignInFilter,
    ) -> Result<Vec<LoggedSignIn>, StoreError> {
        sso::sign_ins(&pool::get(&self.pool).await?, scope.org_id(), filter).await
    }

    async fn account_groups(
        &self,
        scope: OrgScope,
        account: AccountId,
    ) -> Result<Vec<(GroupId, String)>, StoreError> {
        sso::account_groups(&pool::get(&self.pool).await?, scope.org_id(), account).await
    }

    async fn account_groups_page(
        &self,
        scope: OrgScope,
        account: AccountId,
        after: Option<GroupId>,
        limit: u32,
    ) -> Result<Vec<(GroupId, String)>, StoreError> {
        let client = pool::get(&self.pool).await?;
        sso::account_groups_page(&client, scope.org_id(), account, after, limit).await
    }

    async fn scim_token_uses(&self, scope: OrgScope) -> Result<Vec<TokenUse>, StoreError> {
        console_queries::token_uses(&pool::get(&self.pool).await?, scope.org_id()).await
    }

    async fn is_retired_scim_token(
        &self,
        scope: OrgScope,
        hash: &TokenHash,
    ) -> Result<bool, StoreError> {
        console_queries::is_retired(&pool::get(&self.pool).await?, scope.org_id(), hash).await
    }

    async fn record_scim_activity(
        &self,
        scope: OrgScope,
        activity: &ScimActivity,
        drop_before: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut client = pool::get(&self.pool).await?;
        let tx = pool::answer("starting a transaction", client.transaction()).await?;
        console_queries::record_activity(&tx, scope.org_id(), activity, drop_before).await?;
        pool::answer("committing SCIM activity", tx.commit()).await
    }

    async fn scim_activity(
        &self,
        scope: OrgScope,
        since: OffsetDateTime,
    ) -> Result<(Option<OffsetDateTime>, ScimActivity), StoreError> {
        console_queries::activity(&pool::get(&self.pool).await?, scope.org_id(), since).await
    }

    async fn log_window(
        &self,
        scope: OrgScope,
        filter: &LogFilter,
    ) -> Result<LogWindow, StoreError> {
        console_queries::log_window(&pool::get(&self.pool).await?, scope.org_id(), filter).await
    }

    async fn log_entry(&self, scope: OrgScope, id: i64) -> Result<Option<LoggedEntry>, StoreError> {
        console_queries::log_entry(&pool::get(&self.pool).await?, scope.org_id(), id).await
    }

    async fn log_about(
        &self,
        scope: OrgScope,
        resource_id: &str,
        name: &str,
        before: Option<LogCursor>,
        limit: u32,
    ) -> Result<Vec<LoggedEntry>, StoreError> {
        let client = pool::get(&self.pool).await?;
        console_queries::log_about(&client, scope.org_id(), resource_id, name, before, limit).await
    }

    async fn audit_about(
        &self,
        scope: OrgScope,
        target: &str,
        scan: u32,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let statement = sql::audit_about(Dialect::Postgres, scope.org_id(), target, scan, limit);
        console_queries::audit_entries(&pool::get(&self.pool).await?, statement).await
    }

    async fn seat_refusals(
        &self,
        scope: OrgScope,
        since: OffsetDateTime,
        scan: u32,
        limit: u32,
    ) -> Result<Vec<(String, OffsetDateTime)>, StoreError> {
        let client = pool::get(&self.pool).await?;
        console_queries::seat_refusals(&client, scope.org_id(), since, scan, limit).await
    }

    async fn console_accounts(
        &self,
        scope: OrgScope,
        prefix: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Account>, StoreError> {
        let statement = sql::accounts_page(Dialect::Postgres, scope.org_id(), prefix, after, limit);
        console_queries::accounts(&pool::get(&self.pool).await?, statement).await
    }

    async fn groups_of_accounts(
        &self,
        scope: OrgScope,
        accounts: &[AccountId],
        names: u32,
    ) -> Result<Vec<AccountGroups>, StoreError> {
        let client = pool::get(&self.pool).await?;
        console_queries::groups_of_accounts(&client, scope.org_id(), accounts, names).await
    }

    async fn console_groups(
        &self,
        scope: OrgScope,
        prefix: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Group>, StoreError> {
        let statement = sql::groups_page(Dialect::Postgres, scope.org_id(), prefix, after, limit);
        console_queries::groups(&pool::get(&self.pool).await?, statement).await
    }

    async fn member_counts(
        &self,
        scope: OrgScope,
        groups: &[GroupId],
        cap: u64,
    ) -> Result<Vec<u64>, StoreError> {
        console_queries::member_counts(&pool::get(&self.pool).await?, scope.org_id(), groups, cap)
            .await
    }

    async fn members_page(
        &self,
        scope: OrgScope,
        group: GroupId,
        after: Option<AccountId>,
        limit: u32,
    ) -> Result<Vec<Member>, StoreError> {
        let client = pool::get(&self.pool).await?;
        console_queries::members_page(&client, scope.org_id(), group, after, limit).await
    }

    async fn scim_managed_counts(
        &self,
        scope: OrgScope,
        cap: u64,
    ) -> Result<(u64, u64), StoreError> {
        console_queries::managed_counts(&pool::get(&self.pool).await?, scope.org_id(), cap).await
    }

    async fn count_deactivated_before(
        &self,
        scope: OrgScope,
        deactivated_before: OffsetDateTime,
        cap: u64,
    ) -> Result<u64, StoreError> {
        let client = pool::get(&self.pool).await?;
        console_queries::deactivated_before_count(&client, scope.org_id(), deactivated_before, cap)
            .await
    }

    async fn events_page(
        &self,
        after: Option<EventPosition>,
        org: Option<OrgId>,
        limit: u32,
    ) -> Result<EventsPage, StoreError> {
        events::page(&self.pool, after, org, limit).await
    }

    async fn trim_events(&self, before: OffsetDateTime, limit: u32) -> Result<u64, StoreError> {
        events::trim(&self.pool, before, limit).await
    }

    async fn insert_api_key(
        &self,
        key: &ApiKeyRecord,
        max_live: u32,
    ) -> Result<Capped, StoreError> {
        api_keys::insert_key(&self.pool, key, max_live).await
    }

    async fn api_key(&self, hash: &TokenHash) -> Result<Option<ApiKeyRecord>, StoreError> {
        api_keys::key_by_hash(&pool::get(&self.pool).await?, hash).await
    }

    async fn api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        api_keys::keys(&pool::get(&self.pool).await?).await
    }

    async fn org_api_keys(&self, scope: OrgScope) -> Result<Vec<ApiKeyRecord>, StoreError> {
        api_keys::keys_of(&pool::get(&self.pool).await?, scope).await
    }

    async fn org_api_key(
        &self,
        scope: OrgScope,
        id: Uuid,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        api_keys::key_of(&pool::get(&self.pool).await?, scope, id).await
    }

    async fn revoke_api_key(&self, id: Uuid, at: OffsetDateTime) -> Result<bool, StoreError> {
        api_keys::revoke_key(&pool::get(&self.pool).await?, id, at).await
    }

    async fn touch_api_key(&self, id: Uuid, at: OffsetDateTime) -> Result<(), StoreError> {
        api_keys::touch_key(&pool::get(&self.pool).await?, id, at).await
    }

    async fn insert_webhook(&self, hook: &WebhookRecord, max: u32) -> Result<Capped, StoreError> {
        webhooks::insert(&self.pool, hook, max).await
    }

    async fn webhooks(&self) -> Result<Vec<WebhookRecord>, StoreError> {
        webhooks::list(&pool::get(&self.pool).await?).await
    }

    async fn org_webhooks(&self, scope: OrgScope) -> Result<Vec<WebhookRecord>, StoreError> {
        webhooks::list_of(&pool::get(&self.pool).await?, scope).await
    }

    async fn due_webhooks(
        &self,
        now: OffsetDateTime,
        instance: &str,
    ) -> Result<Vec<WebhookRecord>, StoreError> {
        webhooks::due(&pool::get(&self.pool).await?, now, instance).await
    }

    async fn webhook(&self, id: Uuid) -> Result<Option<WebhookRecord>, StoreError> {
        webhooks::get(&pool::get(&self.pool).await?, id).await
    }

    async fn org_webhook(
        &self,
        scope: OrgScope,
        id: Uuid,
    ) -> Result<Option<WebhookRecord>, StoreError> {
        webhooks::get_of(&pool::get(&self.pool).await?, scope, id).await
    }

    async fn delete_webhook(&self, id: Uuid) -> Result<bool, StoreError> {
        webhooks::delete(&pool::get(&self.pool).await?, id).await
    }

    async fn set_webhook_state(
        &self,
        id: Uuid,
        state: WebhookState,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        webhooks::set_state(&pool::get(&self.pool).await?, id, state, at).await
    }

    async fn claim_webhook(
        &self,
        id: Uuid,
        instance: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Option<WebhookRecord>, StoreError> {
        webhooks::claim(&pool::get(&self.pool).await?, id, instance, now, until).await
    }

    async fn save_webhook_progress(
        &self,
        id: Uuid,
        instance: &str,
        progress: &WebhookProgress,
    ) -> Result<bool, StoreError> {
        webhooks::save_progress(&pool::get(&self.pool).await?, id, instance, progress).await
    }

    async fn append_webhook_delivery(&self, delivery: &WebhookDelivery) -> Result<(), StoreError> {
        webhooks::append_delivery(&pool::get(&self.pool).await?, delivery).await
    }

    async fn webhook_deliveries(
        &self,
        webhook: Uuid,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        webhooks::deliveries(&pool::get(&self.pool).await?, webhook, limit).await
    }

    async fn webhook_delivery(&self, id: Uuid) -> Result<Option<WebhookDelivery>, StoreError> {
        webhooks::delivery(&pool::get(&self.pool).await?, id).await
    }

    async fn trim_webhook_deliveries(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        webhooks::trim_deliveries(&pool::get(&self.pool).await?, before).await
    }
}
