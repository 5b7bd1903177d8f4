//! Roster's product: organizations, SCIM tenancy and tokens, accounts, groups, seats,
//! deactivation, retention and the provisioning log — the rules of `shared/SPEC.md` §2, each
//! written once here and called by the SCIM API and the CLI alike (and the console, when it comes).
//!
//! The domain owns the [`Store`] trait that storage crates implement and a [`Clock`] that tests
//! fix. It must not depend on a database driver or a web framework (CI checks with `cargo tree`).

mod accounts;
mod activity;
mod admin;
mod admin_accounts;
mod admin_groups;
mod admins;
mod api_keys;
mod audit;
mod clock;
mod conditional;
mod console_accounts;
mod console_groups;
mod console_log;
mod console_retention;
mod console_scim;
mod console_sso;
mod cursor;
mod error;
mod events;
mod feed;
mod groups;
mod health;
mod ids;
mod keyset;
mod listing;
mod log;
mod me;
mod orgs;
mod paging;
mod passwords;
mod query;
mod read_api;
mod resources;
mod retention;
mod retry;
mod roster;
mod scim_groups;
mod scim_users;
mod scope;
mod search;
mod secret_key;
mod sessions;
mod sign_in_throttle;
mod skipped_members;
mod sso_config;
mod sso_match;
mod sso_sign_in;
mod store;
mod token_cache;
mod tokens;
mod webhook_delivery;
mod webhooks;

pub use accounts::{Account, AccountWrite, Role, user_name_key};
pub use activity::{
    ACTIVITY_BUCKET, ACTIVITY_KEPT, ActivityBucket, ScimActivity, TokenUse, bucket_start,
};
pub use admin::Admin;
pub use admin_groups::GroupView;
pub use admins::{
    AdminAdded, AdminCredential, AdminCredentialRecord, AdminRemoval, AdminSummary, FirstAdmin,
    INVITATION_VALIDITY, InvitationCode,
};
pub use api_keys::{API_KEYS_MAX, ApiKey, ApiKeyRecord, NewApiKey};
pub use audit::{AUDIT_PAGE_MAX, AuditAction, AuditCursor, AuditEntry, AuditPage, NewAuditEntry};
pub use clock::{Clock, FixedClock, SystemClock};
pub use conditional::Conditional;
pub use console_accounts::{
    AccountDetail, AccountGroups, AccountSummary, AccountsPage, ConsoleChange, TIMELINE_PAGE,
    WaitingPerson, state_sentence,
};
pub use console_groups::{GroupPage, GroupSummary, GroupsPage, MEMBER_COUNT_CAP, MembersPage};
pub use console_log::{
    Explanation, LOG_PAGE_MAX, LOG_SCAN, LOGGED_OPERATIONS, LogCursor, LogFilter, LogPage,
    LogQuery, LogWindow, LoggedEntry, RefusalKind, SEAT_LIMIT_DETAIL, describe_success, explain,
};
pub use console_retention::{PREVIEW_CAP, RetentionPreview};
pub use console_scim::{MANAGED_COUNT_CAP, ScimOverview};
pub use console_sso::{LoggedSignIn, SIGN_IN_PAGE_MAX, SIGN_IN_SCAN, SignInFilter, SignInLogPage};
pub use error::{
    Conflict, Error, Internal, SeatLimit, StoreError, UNAVAILABLE_RETRY_AFTER_SECONDS, Unique,
};
pub use events::{
    Actor, Change, ChangeSource, Event, EventPosition, EventType, EventsPage, GroupBefore,
    NewEvent, account_data, account_events, account_removed_events, group_data,
    group_deleted_events, group_events, org_data, org_event, org_updated,
};
pub use feed::{
    EVENT_RETENTION_DAYS, FEED_LIMIT_DEFAULT, FEED_LIMIT_MAX, FEED_SCAN, FeedCursor, FeedPage,
    FeedQuery, event_json,
};
pub use groups::{
    Group, GroupExpect, GroupWrite, Member, MemberSource, MembershipChange, MembershipOutcome,
    display_name_key,
};
pub use health::{HealthFigures, QUIET_AFTER, Warning, WarningKind, warnings};
pub use ids::{AccountId, GroupId, OrgId};
pub use keyset::{Listed, Position};
pub use listing::{ListPage, ListRequest, MAX_CANDIDATES};
pub use log::{
    LOG_ENTRIES_PER_MINUTE, LOG_RETENTION_DAYS, LogDraft, LogEntry, Outcome, RequestLog,
};
pub use me::{Me, MeGroup, MeOrg};
pub use orgs::{
    MAX_DOMAINS, NewOrg, Org, OrgKind, OrgStatus, OrgUpdate, domains_from_column, domains_to_column,
};
pub use paging::PAGE_MAX;
pub use passwords::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
pub use query::{Bound, Column, Op, Order, Page, Predicate, SortColumn, StoreFilter};
pub use read_api::{READ_LIMIT_DEFAULT, READ_LIMIT_MAX, ReadPage};
pub use resources::{
    MemberEntry, UserColumns, etag, group_resource, member_entries, user_resource,
};
pub use retention::{Purged, RetentionReport};
pub use roster::Roster;
pub use scim_groups::{GroupOutcome, LIST_MEMBERS_BUDGET};
pub use scim_users::Created;
pub use scope::OrgScope;
pub use search::{ListQuery, SearchPage};
pub use secret_key::{SECRET_KEY_LEN, SecretKey};
pub use sessions::{
    SESSION_IDLE_TIMEOUT, SESSION_LIFETIME, SessionRecord, SessionToken, SignInMethod,
};
pub use sign_in_throttle::{ACCOUNT_FAILURES, ADDRESS_FAILURES, FAILURE_WINDOW, FailureKey};
pub use skipped_members::SKIPPED_SAMPLE;
pub use sso_config::{
    ClientSecret, MICROSOFT_AUTHORITY, SsoClient, SsoConfigRecord, SsoField, SsoFieldError,
    SsoProvider, SsoSettings, SsoView, check_sso_settings, microsoft_issuer, redirect_uri,
    sign_in_url,
};
pub use sso_match::{Candidates, Matched, MatchedBy, SsoVerdict, match_account};
pub use sso_sign_in::{
    SSO_FLOW_VALIDITY, SSO_LOG_MAX, SsoFlowRecord, SsoIdentity, SsoLinkRecord, SsoOutcome,
    SsoReturn, SsoSignInRecord, SsoStart,
};
pub use store::{Capped, LockGuard, RetentionLock, Store};
pub use token_cache::TOKEN_CACHE_TTL;
pub use tokens::{DEFAULT_ROTATION_GRACE, ScimCredentials, TokenHash, TokenRecord, tenant_url};
pub use webhook_delivery::{DeliveryPolicy, DeliveryTick, WEBHOOK_BATCH, WebhookTransport};
pub use webhooks::{
    DELIVERY_LOG_MAX, NewWebhook, Target, WEBHOOKS_MAX, WebhookDelivery, WebhookProgress,
    WebhookRecord, WebhookState, check_url, is_public, message_id, resolve_allowed, sign,
};
