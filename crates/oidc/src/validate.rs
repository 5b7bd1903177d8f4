//! ID token validation: everything SPEC §6 requires of a token before the domain sees who
//! signed in. openidconnect checks the signature against the provider's keys (never `alg:
//! none`, never a key the token brings), the issuer (exactly the organization's, not a
//! `common` one), the audience (our client id), expiry and the nonce; this adds a small leeway
//! for clocks and, for Microsoft, that `tid` is the configured tenant and `oid` is present.

use chrono::{DateTime, Duration, Utc};
use openidconnect::{
    AdditionalClaims, ClaimsVerificationError, ClientId, ClientSecret, IdToken, IssuerUrl, Nonce,
    SignatureVerificationError,
    core::{
        CoreGenderClaim, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    },
};
use roster_domain::{SsoClient, SsoIdentity, SsoProvider};
use serde::{Deserialize, Serialize};

/// How far a token's expiry may be behind our clock: clocks differ a little.
pub const CLOCK_LEEWAY: Duration = Duration::minutes(2);

/// The claims Microsoft Entra ID adds that sign-in depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntraClaims {
    /// The tenant that issued the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    /// The person's immutable object id in that tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    /// A guest's home identity provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<String>,
}

impl AdditionalClaims for EntraClaims {}

pub type EntraIdToken = IdToken<
    EntraClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// Why a token was not accepted. The text is for the sign-in log, never for the person.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Rejected {
    /// No key of the provider's key set has the token's `kid`: the keys may have rotated.
    #[error("the token's signing key is not among the provider's keys")]
    UnknownKey,
    #[error("{0}")]
    Invalid(String),
}

/// What the token must say.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub client: &'a SsoClient,
    pub nonce: &'a str,
    pub now: DateTime<Utc>,
}

/// Validates `raw` (a compact JWS) against `keys` and returns who signed in.
pub fn validate_id_token(
    raw: &str,
    expected: Expected<'_>,
    keys: &CoreJsonWebKeySet,
) -> Result<SsoIdentity, Rejected> {
    let client = expected.client;
    let token: EntraIdToken = raw
        .parse()
        .map_err(|e| Rejected::Invalid(format!("the ID token does not parse: {e}")))?;
    let issuer = IssuerUrl::new(client.issuer.clone())
        .map_err(|e| Rejected::Invalid(format!("the configured issuer is not a URL: {e}")))?;
    let now = expected.now;
    let verifier = CoreIdTokenVerifier::new_confidential_client(
        ClientId::new(client.client_id.clone()),
        ClientSecret::new(client.client_secret.expose().to_owned()),
        issuer,
        keys.clone(),
    )
    .require_issuer_match(true)
    .require_audience_match(true)
    .set_time_fn(move || now - CLOCK_LEEWAY);
    let nonce = Nonce::new(expected.nonce.to_owned());
    let claims = token.claims(&verifier, &nonce).map_err(|e| match e {
        ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        ) => Rejected::UnknownKey,
        other => Rejected::Invalid(other.to_string()),
    })?;
    let extra = claims.additional_claims();
    if client.provider == SsoProvider::Microsoft {
        let tenant = client.tenant_id.map(|t| t.to_string());
        match (&extra.tid, &tenant) {
            (Some(tid), Some(tenant)) if tid.eq_ignore_ascii_case(tenant) => {}
            (tid, tenant) => {
                return Err(Rejected::Invalid(format!(
                    "the token's tenant (tid) is {}, not the configured {}",
                    tid.as_deref().unwrap_or("missing"),
                    tenant.as_deref().unwrap_or("-")
                )));
            }
        }
        if extra.oid.as_deref().is_none_or(str::is_empty) {
            return Err(Rejected::Invalid("the token has no oid claim".into()));
        }
    }
    Ok(SsoIdentity {
        issuer: claims.issuer().to_string(),
        subject: claims.subject().to_string(),
        tid: extra.tid.clone(),
        oid: extra.oid.clone(),
        preferred_username: claims.preferred_username().map(|u| u.to_string()),
        name: claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string()),
    })
}
