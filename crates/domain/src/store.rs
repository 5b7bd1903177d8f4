//! The one storage trait. Implementations (SQLite, PostgreSQL) pass the same conformance suite;
//! nothing above this trait sees a driver type.
//!
//! Each method that must be atomic is one call, so each backend runs it in one transaction:
//! the seat check with the write that takes the seat, a group's memberships with the group.
//! Organization-scoped reads take an [`OrgScope`] and filter by it in SQL. Each table SCIM lists
//! has one list method, answering a [`StoreFilter`] (compiled to bound SQL) and a [`Page`].

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{
    Account, AccountGroups, AccountId, AccountWrite, AdminCredentialRecord, AdminRemoval,
    AdminSummary, ApiKeyRecord, AuditCursor, AuditEntry, Change, EventPosition, EventsPage,
    FailureKey, FirstAdmin, Group, GroupId, GroupWrite, LogCursor, LogEntry, LogFilter, LogWindow,
    LoggedEntry, LoggedSignIn, Member, MembershipOutcome, NewAuditEntry, NewEvent, Org, OrgId,
    OrgScope, Page, Role, ScimActivity, SessionRecord, SignInFilter, SsoConfigRecord,
    SsoFlowRecord, SsoLinkRecord, SsoSignInRecord, StoreError, StoreFilter, TokenHash, TokenRecord,
    TokenUse, WebhookDelivery, WebhookProgress, WebhookRecord, WebhookState,
};

/// The retention lock, held (see [`Store::try_lock_retention`]). [`RetentionLock::release`]
/// releases it now, so the next run (on this instance or another) can take it at once; dropping
/// it releases it too, eventually (when the store's guard is dropped).
#[derive(Debug)]
#[must_use = "dropping the lock releases it"]
pub struct RetentionLock(Box<dyn LockGuard>);

impl RetentionLock {
    /// Wraps what a store keeps while it holds the lock.
    pub fn new(guard: impl LockGuard + 'static) -> Self {
        Self(Box::new(guard))
    }

    /// Releases the lock now. On an error the lock is still released eventually, as if dropped.
    pub async fn release(self) -> Result<(), StoreError> {
        self.0.release().await
    }
}

/// What an insert bounded by a cap did ([`Store::insert_webhook`], [`Store::insert_api_key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Capped {
    Inserted,
    /// Nothing written: the owner already has the most allowed.
    LimitReached,
}

/// What a store keeps while it holds a lock. Implementations release the lock on drop too, so a
/// guard dropped without [`release`](LockGuard::release) (a failed or cancelled job) never keeps
/// the lock for good.
#[async_trait]
pub trait LockGuard: Send + std::fmt::Debug {
    /// Releases the lock before returning.
    async fn release(self: Box<Self>) -> Result<(), StoreError>;
}

#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Cheap round trip for readiness checks.
    async fn ping(&self) -> Result<(), StoreError>;

    // --- organizations ---------------------------------------------------------------------

    async fn insert_org(&self, org: &Org) -> Result<(), StoreError>;
    async fn org(&self, id: OrgId) -> Result<Option<Org>, StoreError>;
    /// Every organization, oldest first (for background jobs).
    async fn orgs(&self) -> Result<Vec<Org>, StoreError>;
    /// A page of organizations in id order, after `after` (the read API's keyset paging).
    async fn orgs_page(&self, after: Option<OrgId>, limit: u32) -> Result<Vec<Org>, StoreError>;
    /// Writes the organization's settings (name, seats, retention, updated_at).
    async fn update_org(&self, org: &Org, events: &[NewEvent]) -> Result<(), StoreError>;
    /// Active accounts of the organization: the seats in use.
    async fn seats_used(&self, scope: OrgScope) -> Result<u32, StoreError>;

    // --- SCIM tokens -----------------------------------------------------------------------

    /// Makes `token` the organization's only current token. Tokens still in a grace period are
    /// revoked; the previous current token stays valid until `previous_valid_until`, or is revoked
    /// at once when that is `None`. Fails with [`StoreError::UniqueViolation`] if `require_none`
    /// and the organization already has a current token.
    async fn install_scim_token(
        &self,
        token: &TokenRecord,
        previous_valid_until: Option<OffsetDateTime>,
        require_none: bool,
        events: &[NewEvent],
    ) -> Result<(), StoreError>;
    /// The stored token with this hash, whatever its organization or expiry.
    async fn scim_token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError>;
    /// Tokens of the organization that are still valid at `now`.
    async fn valid_scim_tokens(
        &self,
        scope: OrgScope,
        now: OffsetDateTime,
    ) -> Result<Vec<TokenRecord>, StoreError>;
    /// Revokes every token of the organization; returns how many there were. `events` are
    /// appended only when there was one.
    async fn revoke_scim_tokens(
        &self,
        scope: OrgScope,
        events: &[NewEvent],
    ) -> Result<u64, StoreError>;

    // --- accounts --------------------------------------------------------------------------

    /// Any account by [`user_name_key`](crate::user_name_key), platform-wide.
    async fn account_by_user_name(&self, key: &str) -> Result<Option<Account>, StoreError>;
    /// Accounts of the organization visible to SCIM (not `scim_deleted`) that match `filter`
    /// (all of them without one), in listing order (creation time, then id): the `page` asked
    /// for, and the number of matches.
    async fn accounts(
        &self,
        scope: OrgScope,
        filter: Option<&StoreFilter>,
        page: Page,
    ) -> Result<(Vec<Account>, u64), StoreError>;
    /// Inserts or updates an account atomically (see [`AccountWrite`]): the version check, the
    /// seat check and the uniqueness of `userName` are enforced in the same transaction. Returns
    /// the stored account, whose `version` the store sets (1 on insert, previous + 1 on update).
    async fn write_account(&self, write: AccountWrite) -> Result<Account, StoreError>;

    // --- groups ----------------------------------------------------------------------------

    /// Groups of the organization that match `filter` (all of them without one), in listing
    /// order (creation time, then id): the `page` asked for, and the number of matches.
    async fn groups(
        &self,
        scope: OrgScope,
        filter: Option<&StoreFilter>,
        page: Page,
    ) -> Result<(Vec<Group>, u64), StoreError>;
    /// The group with this id in the organization: a read by primary key, for the reads and
    /// writes by id that identity providers send all day.
    async fn group(&self, scope: OrgScope, id: GroupId) -> Result<Option<Group>, StoreError>;
    /// Members of a group, ordered by user name.
    async fn group_members(
        &self,
        scope: OrgScope,
        group: GroupId,
    ) -> Result<Vec<Member>, StoreError>;
    /// The ids of at most `limit` members of a group, in id order: what a `members` filter
    /// evaluated in memory reads, bounded like every other row such a request reads.
    async fn group_member_ids(
        &self,
        scope: OrgScope,
        group: GroupId,
        limit: u64,
    ) -> Result<Vec<AccountId>, StoreError>;
    async fn is_member(
        &self,
        scope: OrgScope,
        group: GroupId,
        account: AccountId,
    ) -> Result<bool, StoreError>;
    /// Inserts or updates a group and applies its membership changes in one transaction.
    /// `displayName` uniqueness within the organization is enforced by the store.
    async fn write_group(
        &self,
        scope: OrgScope,
        write: GroupWrite,
    ) -> Result<(Group, MembershipOutcome), StoreError>;
    /// Deletes a group and its memberships, if its version is still `expected_version` (any
    /// version for `None`): `true` when deleted, `false` when there is no such group, and
    /// [`StoreError::VersionConflict`] (nothing deleted) when the group has another version.
    async fn delete_group(
        &self,
        scope: OrgScope,
        group: GroupId,
        expected_version: Option<i64>,
        change: &Change,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    // --- provisioning log and retention ----------------------------------------------------

    async fn append_log(&self, entry: &LogEntry) -> Result<(), StoreError>;
    /// Newest first.
    async fn log_entries(&self, scope: OrgScope, limit: u32) -> Result<Vec<LogEntry>, StoreError>;
    /// Removes entries older than `before` — by age only, so no number of new entries can push
    /// real history out. Returns how many were removed.
    async fn trim_log(&self, before: OffsetDateTime) -> Result<u64, StoreError>;
    /// Takes the lock that keeps retention on one instance at a time, if no other holds it
    /// (`None` then). Release it with [`RetentionLock::release`] when done; dropping it releases
    /// it eventually. Purges and trims stay correct without it (each row is deleted once); the
    /// lock saves duplicated work across instances.
    async fn try_lock_retention(&self) -> Result<Option<RetentionLock>, StoreError>;
    /// Accounts of the organization deactivated before `deactivated_before`, which are
    /// permanently deleted with their memberships unless `dry_run`. Returns them.
    async fn purge_deactivated(
        &self,
        scope: OrgScope,
        deactivated_before: OffsetDateTime,
        dry_run: bool,
        change: &Change,
        at: OffsetDateTime,
    ) -> Result<Vec<Account>, StoreError>;

    // --- console: audit log ---------------------------------------------------------------

    async fn append_audit(&self, entry: &NewAuditEntry) -> Result<(), StoreError>;
    /// The organization's audit entries strictly older than `before` (by time, then id), or the
    /// newest without it: at most `limit`, newest first.
    async fn audit_entries(
        &self,
        scope: OrgScope,
        before: Option<AuditCursor>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError>;

    // --- console: administrators, sessions, failed sign-ins --------------------------------

    /// The account with this id in the organization, whatever its state.
    async fn account(&self, scope: OrgScope, id: AccountId) -> Result<Option<Account>, StoreError>;
    /// Whether any organization has an administrator credential (a password or an invitation).
    async fn any_admin_credential(&self) -> Result<bool, StoreError>;
    /// First-run setup, in one transaction: inserts the organization, its administrator's
    /// account (taking a seat), credential and session, unless an administrator credential
    /// already exists anywhere; then it writes nothing and returns `false`. Two concurrent calls
    /// never both succeed.
    async fn setup_first_admin(&self, setup: &FirstAdmin) -> Result<bool, StoreError>;
    /// Inserts or replaces the credential of an account of the organization.
    async fn put_admin_credential(
        &self,
        scope: OrgScope,
        credential: &AdminCredentialRecord,
    ) -> Result<(), StoreError>;
    /// The credential of an account, whatever its organization.
    async fn admin_credential(
        &self,
        account: AccountId,
    ) -> Result<Option<AdminCredentialRecord>, StoreError>;
    /// Accounts of the organization with the `admin` role, by userName key, with what their
    /// credential holds.
    async fn admins(&self, scope: OrgScope) -> Result<Vec<AdminSummary>, StoreError>;
    /// Atomically: unless `account` is the organization's last active administrator with a
    /// credential, gives it `role` (bumping its version, `updated_at` = `at`), deletes its
    /// credential and its sessions.
    async fn remove_admin(
        &self,
        scope: OrgScope,
        account: AccountId,
        role: Role,
        at: OffsetDateTime,
        change: &Change,
    ) -> Result<AdminRemoval, StoreError>;
    /// Sets the password of the credential whose pending invitation has this hash and is valid
    /// at `now`, ending the invitation; the account and organization, or `None`.
    async fn accept_invitation(
        &self,
        invitation: &TokenHash,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<(AccountId, OrgId)>, StoreError>;
    async fn insert_session(&self, session: &SessionRecord) -> Result<(), StoreError>;
    async fn session(&self, token: &TokenHash) -> Result<Option<SessionRecord>, StoreError>;
    /// Sets a session's `last_seen_at`.
    async fn touch_session(&self, token: &TokenHash, at: OffsetDateTime) -> Result<(), StoreError>;
    /// `true` when there was such a session.
    async fn delete_session(&self, token: &TokenHash) -> Result<bool, StoreError>;
    /// Ends every session of an account; returns how many there were.
    async fn delete_account_sessions(&self, account: AccountId) -> Result<u64, StoreError>;
    /// Records a sign-in attempt as failed (committed before it returns, so concurrent
    /// attempts count it); returns its id, for [`Store::forget_sign_in_failure`].
    async fn record_sign_in_failure(
        &self,
        account: Option<AccountId>,
        remote_addr: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError>;
    /// Removes one recorded attempt (one that succeeded, or was refused unchecked).
    async fn forget_sign_in_failure(&self, id: i64) -> Result<(), StoreError>;
    /// Times of the newest failed sign-ins for `key` after `since`: at most `limit`, newest
    /// first.
    async fn recent_sign_in_failures(
        &self,
        key: &FailureKey,
        since: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OffsetDateTime>, StoreError>;
    /// Forgets an account's failed sign-ins (after a successful one).
    async fn clear_sign_in_failures(&self, account: AccountId) -> Result<(), StoreError>;
    /// Removes failed sign-ins before `failures_before` and sessions last seen before
    /// `idle_before` or created before `created_before`; returns how many rows went.
    async fn trim_console(
        &self,
        failures_before: OffsetDateTime,
        idle_before: OffsetDateTime,
        created_before: OffsetDateTime,
    ) -> Result<u64, StoreError>;

    // --- sign-in with the organization's provider (SSO) ----------------------------------

    /// Inserts or replaces the organization's SSO configuration (keeping its `created_at`).
    async fn put_sso_config(
        &self,
        scope: OrgScope,
        config: &SsoConfigRecord,
        events: &[NewEvent],
    ) -> Result<(), StoreError>;
    async fn sso_config(&self, scope: OrgScope) -> Result<Option<SsoConfigRecord>, StoreError>;
    /// `true` when there was a configuration to remove (`events` are appended only then).
    async fn delete_sso_config(
        &self,
        scope: OrgScope,
        events: &[NewEvent],
    ) -> Result<bool, StoreError>;
    async fn insert_sso_flow(&self, flow: &SsoFlowRecord) -> Result<(), StoreError>;
    /// Removes the flow with this state hash and returns it if it is still valid at `now`:
    /// of any number of concurrent calls with one state, at most one gets it.
    async fn take_sso_flow(
        &self,
        state: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Option<SsoFlowRecord>, StoreError>;
    /// Removes flows that expired before `now`; returns how many went.
    async fn trim_sso_flows(&self, now: OffsetDateTime) -> Result<u64, StoreError>;
    /// The account of the organization linked to the provider's subject.
    async fn sso_link(
        &self,
        scope: OrgScope,
        namespace: &str,
        subject: &str,
    ) -> Result<Option<AccountId>, StoreError>;
    /// Stores a link; a link of the organization for the same subject already there is kept.
    async fn insert_sso_link(
        &self,
        scope: OrgScope,
        link: &SsoLinkRecord,
    ) -> Result<(), StoreError>;
    async fn append_sso_sign_in(&self, entry: &SsoSignInRecord) -> Result<(), StoreError>;
    /// The organization's sign-in log, newest first, as `filter` says.
    async fn sso_sign_ins(
        &self,
        scope: OrgScope,
        filter: &SignInFilter,
    ) -> Result<Vec<LoggedSignIn>, StoreError>;
    /// The id and display name of every group of the organization the account is a member of.
    async fn account_groups(
        &self,
        scope: OrgScope,
        account: AccountId,
    ) -> Result<Vec<(GroupId, String)>, StoreError>;
    /// A page of the groups the account is a member of (id and display name), in group id
    /// order after `after`.
    async fn account_groups_page(
        &self,
        scope: OrgScope,
        account: AccountId,
        after: Option<GroupId>,
        limit: u32,
    ) -> Result<Vec<(GroupId, String)>, StoreError>;
    // --- the admin console -----------------------------------------------------------------

    /// Every stored token of the organization (current, in a grace period, or expired and not
    /// yet removed), oldest first, with when each was last used.
    async fn scim_token_uses(&self, scope: OrgScope) -> Result<Vec<TokenUse>, StoreError>;
    /// Whether `hash` is a token of the organization that was revoked (and removed).
    async fn is_retired_scim_token(
        &self,
        scope: OrgScope,
        hash: &TokenHash,
    ) -> Result<bool, StoreError>;
    /// Adds `activity` to the organization's stored activity: later times win, bucket counts
    /// add up, each token's `last_used_at` keeps the later time; buckets starting before
    /// `drop_before` are removed.
    async fn record_scim_activity(
        &self,
        scope: OrgScope,
        activity: &ScimActivity,
        drop_before: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The organization's stored activity, with the buckets starting at or after `since`
    /// (oldest first) and no `token_uses`; `enabled_at` as set when SCIM was last enabled.
    async fn scim_activity(
        &self,
        scope: OrgScope,
        since: OffsetDateTime,
    ) -> Result<(Option<OffsetDateTime>, ScimActivity), StoreError>;
    /// The log entries of the organization that match `filter`, within its scan bound.
    async fn log_window(
        &self,
        scope: OrgScope,
        filter: &LogFilter,
    ) -> Result<LogWindow, StoreError>;
    async fn log_entry(&self, scope: OrgScope, id: i64) -> Result<Option<LoggedEntry>, StoreError>;
    /// Entries about one account (its id, or its `userName` ignoring case), newest first.
    async fn log_about(
        &self,
        scope: OrgScope,
        resource_id: &str,
        name: &str,
        before: Option<LogCursor>,
        limit: u32,
    ) -> Result<Vec<LoggedEntry>, StoreError>;
    /// Audit entries about `target` (ignoring case) among the organization's newest `scan`,
    /// newest first, at most `limit`.
    async fn audit_about(
        &self,
        scope: OrgScope,
        target: &str,
        scan: u32,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError>;
    /// Names refused for the seat limit since `since` (among the newest `scan` conflicts), one
    /// per name ignoring case with its latest refusal, newest first, at most `limit`.
    async fn seat_refusals(
        &self,
        scope: OrgScope,
        since: OffsetDateTime,
        scan: u32,
        limit: u32,
    ) -> Result<Vec<(String, OffsetDateTime)>, StoreError>;
    /// Accounts of the organization (SCIM-deleted ones too) in `userName` key order, after the
    /// key `after`, with keys starting with `prefix`.
    async fn console_accounts(
        &self,
        scope: OrgScope,
        prefix: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Account>, StoreError>;
    /// For each of `accounts` that is in a group: its first `names` group names (by name key)
    /// and its number of groups.
    async fn groups_of_accounts(
        &self,
        scope: OrgScope,
        accounts: &[AccountId],
        names: u32,
    ) -> Result<Vec<AccountGroups>, StoreError>;
    /// Groups of the organization in name key order, like [`Store::console_accounts`].
    async fn console_groups(
        &self,
        scope: OrgScope,
        prefix: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Group>, StoreError>;
    /// The number of members of each group, each counted up to `cap`, in the order given.
    async fn member_counts(
        &self,
        scope: OrgScope,
        groups: &[GroupId],
        cap: u64,
    ) -> Result<Vec<u64>, StoreError>;
    /// A page of a group's members in account id order, after `after`.
    async fn members_page(
        &self,
        scope: OrgScope,
        group: GroupId,
        after: Option<AccountId>,
        limit: u32,
    ) -> Result<Vec<Member>, StoreError>;
    /// SCIM-managed accounts and groups of the organization, each counted up to `cap`.
    async fn scim_managed_counts(
        &self,
        scope: OrgScope,
        cap: u64,
    ) -> Result<(u64, u64), StoreError>;
    /// The accounts [`Store::purge_deactivated`] would remove, counted up to `cap`.
    async fn count_deactivated_before(
        &self,
        scope: OrgScope,
        deactivated_before: OffsetDateTime,
        cap: u64,
    ) -> Result<u64, StoreError>;

    // --- the change feed and the platform API's keys -----------------------------------

    /// At most `limit` events after `after` (from the oldest retained without it), of `org`
    /// only when given, in commit order; with the feed's head and trim horizon, all read in
    /// one snapshot. Never an event a transaction still running could precede (PostgreSQL).
    async fn events_page(
        &self,
        after: Option<EventPosition>,
        org: Option<OrgId>,
        limit: u32,
    ) -> Result<EventsPage, StoreError>;
    /// Removes at most `limit` events that occurred before `before` (oldest first), moving the
    /// horizon past them; returns how many went.
    async fn trim_events(&self, before: OffsetDateTime, limit: u32) -> Result<u64, StoreError>;
    /// Inserts the key unless its organization (the deployment, for a key without one) already
    /// has `max_live` keys not revoked: counted and inserted in one transaction that concurrent
    /// inserts for the same owner, on any instance, wait for.
    async fn insert_api_key(&self, key: &ApiKeyRecord, max_live: u32)
    -> Result<Capped, StoreError>;
    /// The key with this hash, revoked or not.
    async fn api_key(&self, hash: &TokenHash) -> Result<Option<ApiKeyRecord>, StoreError>;
    /// Every key, revoked ones too, oldest first.
    async fn api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError>;
    /// The organization's keys, revoked ones too, newest first.
    async fn org_api_keys(&self, scope: OrgScope) -> Result<Vec<ApiKeyRecord>, StoreError>;
    /// The key with this id if it is the organization's.
    async fn org_api_key(
        &self,
        scope: OrgScope,
        id: uuid::Uuid,
    ) -> Result<Option<ApiKeyRecord>, StoreError>;
    /// `true` when a key that was not yet revoked is now.
    async fn revoke_api_key(&self, id: uuid::Uuid, at: OffsetDateTime) -> Result<bool, StoreError>;
    /// Sets the key's `last_used_at`.
    async fn touch_api_key(&self, id: uuid::Uuid, at: OffsetDateTime) -> Result<(), StoreError>;

    // --- webhooks ----------------------------------------------------------------------

    /// Inserts the endpoint unless its organization (the deployment, for an endpoint without
    /// one) already has `max` endpoints, paused ones included: counted and inserted in one
    /// transaction that concurrent inserts for the same owner, on any instance, wait for.
    async fn insert_webhook(&self, hook: &WebhookRecord, max: u32) -> Result<Capped, StoreError>;
    /// Every endpoint, oldest first.
    async fn webhooks(&self) -> Result<Vec<WebhookRecord>, StoreError>;
    /// The organization's endpoints, oldest first.
    async fn org_webhooks(&self, scope: OrgScope) -> Result<Vec<WebhookRecord>, StoreError>;
    /// Active endpoints with no retry waiting after `now` and no lease of another instance
    /// unexpired at `now`: those the delivery job may have work for, oldest progress first.
    async fn due_webhooks(
        &self,
        now: OffsetDateTime,
        instance: &str,
    ) -> Result<Vec<WebhookRecord>, StoreError>;
    async fn webhook(&self, id: uuid::Uuid) -> Result<Option<WebhookRecord>, StoreError>;
    /// The endpoint with this id if it is the organization's.
    async fn org_webhook(
        &self,
        scope: OrgScope,
        id: uuid::Uuid,
    ) -> Result<Option<WebhookRecord>, StoreError>;
    /// Removes an endpoint and its delivery log; `true` when there was one.
    async fn delete_webhook(&self, id: uuid::Uuid) -> Result<bool, StoreError>;
    /// Pauses an endpoint (`paused_at` = `at`), or resumes it: active, with no failures
    /// counted and no retry waiting, its cursor and pending batch kept. `true` when it exists.
    async fn set_webhook_state(
        &self,
        id: uuid::Uuid,
        state: WebhookState,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Claims an active endpoint for `instance` until `until`, unless another instance holds
    /// an unexpired claim: the endpoint as claimed, or `None`. Of concurrent claimers at most
    /// one wins.
    async fn claim_webhook(
        &self,
        id: uuid::Uuid,
        instance: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Option<WebhookRecord>, StoreError>;
    /// Writes the endpoint's progress and releases the claim, if `instance` still holds it
    /// (`false` otherwise, nothing written). A pause made meanwhile stays.
    async fn save_webhook_progress(
        &self,
        id: uuid::Uuid,
        instance: &str,
        progress: &WebhookProgress,
    ) -> Result<bool, StoreError>;
    async fn append_webhook_delivery(&self, delivery: &WebhookDelivery) -> Result<(), StoreError>;
    /// The endpoint's newest deliveries, newest first, at most `limit`.
    async fn webhook_deliveries(
        &self,
        webhook: uuid::Uuid,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, StoreError>;
    async fn webhook_delivery(&self, id: uuid::Uuid)
    -> Result<Option<WebhookDelivery>, StoreError>;
    /// Removes deliveries attempted before `before`; returns how many went.
    async fn trim_webhook_deliveries(&self, before: OffsetDateTime) -> Result<u64, StoreError>;
}
