//! Keys of the platform API and the change feed (SPEC §7): separate from SCIM tokens and console
//! sessions. Like SCIM tokens, 256 random bits shown once, stored as a SHA-256 hash, looked up by
//! hash and compared in constant time. An organization's key reads only that organization; a
//! deployment key (no organization) reads all.

use serde::Serialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    Capped, Conflict, Error, OrgId, Roster, TokenHash, error::Result, tokens::random_secret,
};

/// Recognisable to secret scanners and people, and told apart from a SCIM token at a glance.
const KEY_PREFIX: &str = "roster_key_";

/// `last_used_at` is written at most this often per key: the feed is polled, and a write per
/// request would queue behind provisioning on SQLite's one writer.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// A stored key. `key` is never stored, only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKeyRecord {
    #[serde(serialize_with = "as_text")]
    pub id: Uuid,
    #[serde(rename = "org")]
    pub org_id: Option<OrgId>,
    pub name: String,
    #[serde(skip)]
    pub hash: TokenHash,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// A key just created: the only time its value is shown.
#[derive(Clone, Serialize)]
pub struct NewApiKey {
    #[serde(serialize_with = "as_text")]
    pub id: Uuid,
    pub name: String,
    pub org: Option<OrgId>,
    pub key: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl std::fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiKey")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("org", &self.org)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// A verified key: what the platform API's handlers hold. Only the domain mints one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiKey {
    id: Uuid,
    org: Option<OrgId>,
}

impl ApiKey {
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The organization the key reads; `None` for a deployment key.
    pub fn org(&self) -> Option<OrgId> {
        self.org
    }
}

fn as_text<S: serde::Serializer>(id: &Uuid, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(&id.hyphenated())
}

/// Names are for people listing keys: short, printable.
const NAME_MAX_CHARS: usize = 100;

/// Keys not revoked an organization may have; and deployment keys, apart. Every key is a
/// standing credential to rotate and audit, so a tenant must not mint them without bound.
pub const API_KEYS_MAX: u32 = 100;

impl Roster {
    /// Creates a key for `org` (which must exist), or for the whole deployment.
    pub async fn create_api_key(&self, name: &str, org: Option<OrgId>) -> Result<NewApiKey> {
        let name = name.trim();
        if name.is_empty()
            || name.chars().count() > NAME_MAX_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(Error::Invalid(format!(
                "a key's name must be 1 to {NAME_MAX_CHARS} printable characters"
            )));
        }
        if let Some(org) = org {
            self.org(org).await?;
        }
        let key = format!("{KEY_PREFIX}{}", random_secret()?);
        let record = ApiKeyRecord {
            id: Uuid::new_v4(),
            org_id: org,
            name: name.to_owned(),
            hash: TokenHash::of(&key),
            created_at: self.now(),
            last_used_at: None,
            revoked_at: None,
        };
        if self.store.insert_api_key(&record, API_KEYS_MAX).await? == Capped::LimitReached {
            return Err(Conflict::State(match org {
                Some(_) => format!(
                    "this organization already has {API_KEYS_MAX} API keys that are not \
                     revoked; revoke one before creating another"
                ),
                None => format!(
                    "this deployment already has {API_KEYS_MAX} deployment API keys that are \
                     not revoked; revoke one before creating another"
                ),
            })
            .into());
        }
        tracing::info!(api_key.id = %record.id, org.id = ?org, "API key created");
        Ok(NewApiKey {
            id: record.id,
            name: record.name,
            org,
            key,
            created_at: record.created_at,
        })
    }

    pub async fn api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        Ok(self.store.api_keys().await?)
    }

    pub async fn revoke_api_key(&self, id: &str) -> Result<()> {
        let not_found = || Error::NotFound(format!("no API key with id '{id}' to revoke"));
        let id: Uuid = id.parse().map_err(|_| not_found())?;
        if !self.store.revoke_api_key(id, self.now()).await? {
            return Err(not_found());
        }
        tracing::info!(api_key.id = %id, "API key revoked");
        Ok(())
    }

    /// Verifies a bearer key. Every failure is the same refusal, so a probe learns nothing.
    pub async fn authenticate_api_key(&self, bearer: Option<&str>) -> Result<ApiKey> {
        let refused = || {
            Error::Unauthorized(
                "the API key is missing, revoked or wrong: send 'Authorization: Bearer <key>' with a key from 'roster api-key create'".into(),
            )
        };
        let Some(bearer) = bearer.filter(|b| !b.is_empty()) else {
            return Err(refused());
        };
        let presented = TokenHash::of(bearer);
        let Some(record) = self.store.api_key(&presented).await? else {
            return Err(refused());
        };
        if !record.hash.ct_eq(&presented) || record.revoked_at.is_some() {
            return Err(refused());
        }
        let now = self.now();
        if record.last_used_at.is_none_or(|at| now - at >= TOUCH_EVERY)
            && let Err(e) = self.store.touch_api_key(record.id, now).await
        {
            tracing::warn!(api_key.id = %record.id, error = %e, "recording an API key's use");
        }
        Ok(ApiKey {
            id: record.id,
            org: record.org_id,
        })
    }
}

/// The console's page of API keys (Organization › Integrations › API keys): an administrator
/// sees, creates and revokes only their own organization's keys, never deployment keys; every
/// change is audited. The same domain calls as `roster api-key`, scoped by the [`Admin`].
impl Roster {
    /// The organization's keys, newest first (revoked ones too, marked).
    pub async fn console_api_keys(&self, admin: &crate::Admin) -> Result<Vec<ApiKeyRecord>> {
        Ok(self.store.org_api_keys(admin.scope()).await?)
    }

    /// One of the organization's keys; another organization's or a deployment key is "not
    /// found", like one that does not exist.
    pub async fn console_api_key(&self, admin: &crate::Admin, id: &str) -> Result<ApiKeyRecord> {
        let not_found = || Error::NotFound(format!("no API key '{id}' in this organization"));
        let wanted: Uuid = id.trim().parse().map_err(|_| not_found())?;
        self.store
            .org_api_key(admin.scope(), wanted)
            .await?
            .ok_or_else(not_found)
    }

    pub async fn console_create_api_key(
        &self,
        admin: &crate::Admin,
        name: &str,
    ) -> Result<NewApiKey> {
        let key = self.create_api_key(name, Some(admin.org_id())).await?;
        let target = key.id.hyphenated().to_string();
        self.audit(
            admin,
            crate::AuditAction::ApiKeyCreated,
            Some(&target),
            Some(&key.name),
        )
        .await?;
        Ok(key)
    }

    pub async fn console_revoke_api_key(&self, admin: &crate::Admin, id: &str) -> Result<()> {
        let key = self.console_api_key(admin, id).await?;
        if key.revoked_at.is_some() {
            return Ok(());
        }
        let target = key.id.hyphenated().to_string();
        self.revoke_api_key(&target).await?;
        self.audit(
            admin,
            crate::AuditAction::ApiKeyRevoked,
            Some(&target),
            Some(&key.name),
        )
        .await
    }
}
