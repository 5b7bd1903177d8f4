//! SCIM bearer tokens: 256 bits from the OS RNG, shown once, stored only as a SHA-256 hash, looked
//! up by hash and compared in constant time. A leaked database therefore leaks no usable token.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{Error, OrgId};

/// A prefix makes Roster tokens recognisable to secret scanners and to people.
const TOKEN_PREFIX: &str = "roster_";

/// How long the previous token keeps working after a rotation unless the operator says otherwise:
/// enough time to paste the new token into the identity provider.
pub const DEFAULT_ROTATION_GRACE: Duration = Duration::hours(24);

/// What an administrator copies into the identity provider. The token exists only here and in the
/// output that shows it; Roster keeps its hash.
#[derive(Clone, Serialize)]
pub struct ScimCredentials {
    pub tenant_url: String,
    pub token: String,
}

impl std::fmt::Debug for ScimCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScimCredentials")
            .field("tenant_url", &self.tenant_url)
            .field("token", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    pub fn ct_eq(&self, other: &TokenHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

/// A stored token: which organization it opens and until when. `expires_at: None` is the current
/// token; a rotated-out token carries the end of its grace period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: Uuid,
    pub org_id: OrgId,
    pub hash: TokenHash,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
}

impl TokenRecord {
    pub fn is_valid_at(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_none_or(|end| now < end)
    }
}

/// A fresh token and the record to store for it.
pub(crate) fn generate(org_id: OrgId, now: OffsetDateTime) -> Result<(String, TokenRecord), Error> {
    let token = format!("{TOKEN_PREFIX}{}", random_secret()?);
    let record = TokenRecord {
        id: Uuid::new_v4(),
        org_id,
        hash: TokenHash::of(&token),
        created_at: now,
        expires_at: None,
    };
    Ok((token, record))
}

/// 256 bits from the OS RNG, base64url without padding: every secret Roster hands out (SCIM
/// tokens, console sessions, invitation codes) is one, stored only as its [`TokenHash`].
pub(crate) fn random_secret() -> Result<String, Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::Internal(crate::Internal::new(
            "reading the OS random number generator",
            e.to_string(),
        ))
    })?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The tenant URL of an organization: the base every SCIM client appends `/Users` and `/Groups` to.
pub fn tenant_url(public_url: &str, org_id: OrgId) -> String {
    format!("{}/scim/v2/{org_id}", public_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_random_bits_and_differ() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let (a, ra) = generate(OrgId::new_random(), now).unwrap();
        let (b, _) = generate(OrgId::new_random(), now).unwrap();
        assert_ne!(a, b);
        let raw = URL_SAFE_NO_PAD
            .decode(a.trim_start_matches(TOKEN_PREFIX))
            .unwrap();
        assert_eq!(raw.len(), 32);
        assert!(ra.hash.ct_eq(&TokenHash::of(&a)));
        assert!(!ra.hash.ct_eq(&TokenHash::of(&b)));
    }

    #[test]
    fn grace_period_ends_exactly_at_expiry() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let (_, mut record) = generate(OrgId::new_random(), now).unwrap();
        assert!(record.is_valid_at(now + Duration::days(10_000)));
        record.expires_at = Some(now + Duration::seconds(60));
        assert!(record.is_valid_at(now + Duration::seconds(59)));
        assert!(!record.is_valid_at(now + Duration::seconds(60)));
    }

    #[test]
    fn tenant_url_ignores_a_trailing_slash() {
        let org: OrgId = "6f1c2a57-2d0b-4c1e-9a55-1d2b3c4d5e6f".parse().unwrap();
        assert_eq!(
            tenant_url("https://roster.example.edu/", org),
            "https://roster.example.edu/scim/v2/6f1c2a57-2d0b-4c1e-9a55-1d2b3c4d5e6f"
        );
    }
}
