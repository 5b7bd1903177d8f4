//! Roster's product: organizations, SCIM tenancy and tokens, accounts, groups, seats,
//! deactivation, retention and the provisioning log — the rules of `shared/SPEC.md` §2, each
//! written once here and called by the SCIM API, the console and the CLI alike.
//!
//! The domain owns the [`Store`] trait that storage crates implement and a [`Clock`] that tests
//! fix. It must not depend on a database driver or a web framework (CI checks with `cargo tree`).

mod clock;
mod error;
mod ids;
mod orgs;
mod roster;
mod scope;
mod store;
mod tokens;

pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Error, StoreError};
pub use ids::OrgId;
pub use orgs::{NewOrg, Org, OrgKind, OrgStatus, OrgUpdate};
pub use roster::Roster;
pub use scope::OrgScope;
pub use store::Store;
pub use tokens::{DEFAULT_ROTATION_GRACE, ScimCredentials, TokenHash, TokenRecord, tenant_url};
