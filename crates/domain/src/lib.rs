//! Roster's product: organizations, SCIM tenancy and tokens, accounts, groups, seats,
//! deactivation, retention and the provisioning log — the rules of `shared/SPEC.md` §2, each
//! written once here and called by the SCIM API, the console and the CLI alike.
//!
//! The domain owns the [`Store`] trait that storage crates implement and a [`Clock`] that tests
//! fix. It must not depend on a database driver or a web framework (CI checks with `cargo tree`).

mod accounts;
mod admin;
mod admin_groups;
mod clock;
mod error;
mod groups;
mod ids;
mod listing;
mod log;
mod orgs;
mod query;
mod resources;
mod retention;
mod retry;
mod roster;
mod scim_groups;
mod scope;
mod store;
mod tokens;
mod users;

pub use accounts::{Account, AccountWrite, Role, user_name_key};
pub use admin_groups::GroupView;
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Conflict, Error, Internal, SeatLimit, StoreError, Unique};
pub use groups::{
    Group, GroupExpect, GroupWrite, Member, MemberSource, MembershipChange, MembershipOutcome,
    display_name_key,
};
pub use ids::{AccountId, GroupId, OrgId};
pub use listing::{ListRequest, MAX_CANDIDATES};
pub use log::{LOG_ENTRIES_KEPT_PER_ORG, LOG_RETENTION_DAYS, LogEntry, Outcome};
pub use orgs::{NewOrg, Org, OrgKind, OrgStatus, OrgUpdate};
pub use query::{Bound, Column, Op, Order, Page, Predicate, SortColumn, StoreFilter};
pub use resources::{etag, group_resource, user_resource};
pub use retention::{Purged, RetentionReport};
pub use roster::Roster;
pub use scim_groups::GroupOutcome;
pub use scope::OrgScope;
pub use store::{LockGuard, RetentionLock, Store};
pub use tokens::{DEFAULT_ROTATION_GRACE, ScimCredentials, TokenHash, TokenRecord, tenant_url};
pub use users::Created;
