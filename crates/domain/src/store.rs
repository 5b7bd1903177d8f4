//! The one storage trait. Implementations (SQLite, PostgreSQL) pass the same conformance suite;
//! nothing above this trait sees a driver type. Writes that must be atomic are single methods so
//! each backend can run them in one transaction.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{Org, OrgId, OrgScope, StoreError, TokenHash, TokenRecord};

#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Cheap round trip for readiness checks.
    async fn ping(&self) -> Result<(), StoreError>;

    async fn insert_org(&self, org: &Org) -> Result<(), StoreError>;
    async fn org(&self, id: OrgId) -> Result<Option<Org>, StoreError>;
    /// Writes the organization's settings (name, seats, retention, updated_at).
    async fn update_org(&self, org: &Org) -> Result<(), StoreError>;
    /// Active accounts of the organization: the seats in use.
    async fn seats_used(&self, scope: OrgScope) -> Result<u32, StoreError>;

    /// Makes `token` the organization's only current token. Tokens still in a grace period are
    /// revoked; the previous current token stays valid until `previous_valid_until`, or is revoked
    /// at once when that is `None`. Fails with [`StoreError::UniqueViolation`] if `require_none`
    /// and the organization already has a current token.
    async fn install_scim_token(
        &self,
        token: &TokenRecord,
        previous_valid_until: Option<OffsetDateTime>,
        require_none: bool,
    ) -> Result<(), StoreError>;
    /// The stored token with this hash, whatever its organization or expiry.
    async fn scim_token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError>;
    /// Tokens of the organization that are still valid at `now`.
    async fn valid_scim_tokens(
        &self,
        org: OrgId,
        now: OffsetDateTime,
    ) -> Result<Vec<TokenRecord>, StoreError>;
    /// Revokes every token of the organization; returns how many there were.
    async fn revoke_scim_tokens(&self, org: OrgId) -> Result<u64, StoreError>;
}
