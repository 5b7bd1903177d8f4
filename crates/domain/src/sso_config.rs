//! Per-organization sign-in configuration (SPEC §6): which OpenID Connect provider the
//! organization's people sign in with. Microsoft Entra ID is a preset of the generic provider: it
//! derives the issuer from the tenant id (`<authority>/{tid}/v2.0`, never the `common` one) and
//! adds the `tid` check. The client secret is sealed under the server's [`SecretKey`], shown
//! never again and never logged.

use std::{fmt, str::FromStr};

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    Error, OrgId, OrgScope, Roster,
    audit::{Actor, AuditAction},
    error::Result,
};

/// The authority Microsoft Entra ID issues tokens under; tests point Roster at their own.
pub const MICROSOFT_AUTHORITY: &str = "https://login.microsoftonline.com";
const CLIENT_ID_MAX_CHARS: usize = 256;
const CLIENT_SECRET_MAX_CHARS: usize = 1024;
const ISSUER_MAX_CHARS: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SsoProvider {
    Microsoft,
    Oidc,
}

impl SsoProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Microsoft => "microsoft",
            Self::Oidc => "oidc",
        }
    }
}

impl FromStr for SsoProvider {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "microsoft" => Ok(Self::Microsoft),
            "oidc" => Ok(Self::Oidc),
            other => Err(Error::Invalid(format!("unknown SSO provider '{other}'"))),
        }
    }
}

/// A client secret as the administrator typed it. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    pub fn new(secret: String) -> Self {
        Self(secret)
    }

    /// The secret, for the token endpoint only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

/// What an administrator or operator asks for.
#[derive(Debug, Clone)]
pub enum SsoSettings {
    Microsoft {
        tenant_id: String,
        client_id: String,
        client_secret: ClientSecret,
    },
    Oidc {
        issuer: String,
        client_id: String,
        client_secret: ClientSecret,
    },
}

/// The stored configuration: for Microsoft the tenant id (the issuer is derived from it), for
/// another provider the issuer. `sealed_secret` is the client secret sealed under the server's
/// key for this organization.
#[derive(Clone, PartialEq, Eq)]
pub struct SsoConfigRecord {
    pub org_id: OrgId,
    pub provider: SsoProvider,
    pub tenant_id: Option<Uuid>,
    pub issuer: Option<String>,
    pub client_id: String,
    pub sealed_secret: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl fmt::Debug for SsoConfigRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsoConfigRecord")
            .field("org_id", &self.org_id)
            .field("provider", &self.provider)
            .field("tenant_id", &self.tenant_id)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("sealed_secret", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// What may be shown of a configuration: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SsoView {
    pub org: OrgId,
    pub provider: SsoProvider,
    pub tenant_id: Option<String>,
    pub issuer: String,
    pub client_id: String,
    /// The link people start signing in at.
    pub sign_in_url: String,
    /// What to register in the provider as the redirect URI.
    pub redirect_uri: String,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// What the OpenID Connect client needs to run a sign-in for an organization.
#[derive(Debug, Clone)]
pub struct SsoClient {
    pub org_id: OrgId,
    pub provider: SsoProvider,
    pub issuer: String,
    /// Microsoft: the `tid` every ID token must carry.
    pub tenant_id: Option<Uuid>,
    pub client_id: String,
    pub client_secret: ClientSecret,
}

/// The redirect URI of every organization (SPEC §6): administrators register it in Entra.
pub fn redirect_uri(public_url: &str) -> String {
    format!("{}/sso/callback", public_url.trim_end_matches('/'))
}

/// Where an organization's people start signing in.
pub fn sign_in_url(public_url: &str, org: OrgId) -> String {
    format!("{}/sso/{org}", public_url.trim_end_matches('/'))
}

/// A field of the configuration form (and of `roster sso configure`'s options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoField {
    TenantId,
    Issuer,
    ClientId,
    ClientSecret,
}

/// Why one field of [`SsoSettings`] is refused, in words for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoFieldError {
    pub field: SsoField,
    pub message: String,
}

/// Settings that passed [`check_sso_settings`], trimmed.
struct Checked {
    provider: SsoProvider,
    tenant_id: Option<Uuid>,
    issuer: Option<String>,
    client_id: String,
    secret: String,
}

fn check_text(what: &str, value: &str, max: usize) -> std::result::Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(format!("{what} is required"));
    }
    if value.chars().count() > max {
        return Err(format!("{what} is longer than {max} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{what} must not contain control characters"));
    }
    Ok(value.to_owned())
}

fn check_tenant_id(tenant_id: &str) -> std::result::Result<Uuid, String> {
    // `tid` in every Entra token is the tenant's GUID, so a domain name could never match it.
    Uuid::parse_str(tenant_id.trim()).map_err(|_| {
        "the tenant id must be the Directory (tenant) ID, a GUID such as \
         72f988bf-86f1-41af-91ab-2d7cd011db47"
            .to_owned()
    })
}

fn check_issuer(issuer: &str) -> std::result::Result<String, String> {
    let issuer = check_text("the issuer URL", issuer, ISSUER_MAX_CHARS)?;
    let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|l| issuer.starts_with(l));
    if !issuer.starts_with("https://") && !local {
        return Err(
            "the issuer URL must start with https:// (plain http only on this machine)".into(),
        );
    }
    if issuer.contains('?') || issuer.contains('#') {
        return Err("the issuer URL must not have a query or fragment".into());
    }
    Ok(issuer)
}

/// Every field of `settings` that would be refused, in form order; empty when they are all
/// fine. The console shows each beside its field; [`Roster::configure_sso`] refuses the first.
pub fn check_sso_settings(settings: &SsoSettings) -> Vec<SsoFieldError> {
    match checked(settings) {
        Ok(_) => Vec::new(),
        Err(errors) => errors,
    }
}

/// The value, or `None` with the field's refusal noted.
fn field<T>(
    errors: &mut Vec<SsoFieldError>,
    field: SsoField,
    result: std::result::Result<T, String>,
) -> Option<T> {
    result
        .map_err(|message| errors.push(SsoFieldError { field, message }))
        .ok()
}

fn checked(settings: &SsoSettings) -> std::result::Result<Checked, Vec<SsoFieldError>> {
    let mut errors = Vec::new();
    let (provider, tenant_id, issuer, client_id, secret) = match settings {
        SsoSettings::Microsoft {
            tenant_id,
            client_id,
            client_secret,
        } => (
            SsoProvider::Microsoft,
            field(&mut errors, SsoField::TenantId, check_tenant_id(tenant_id)),
            None,
            client_id,
            client_secret,
        ),
        SsoSettings::Oidc {
            issuer,
            client_id,
            client_secret,
        } => (
            SsoProvider::Oidc,
            None,
            field(&mut errors, SsoField::Issuer, check_issuer(issuer)),
            client_id,
            client_secret,
        ),
    };
    let client_id = field(
        &mut errors,
        SsoField::ClientId,
        check_text("the client id", client_id, CLIENT_ID_MAX_CHARS),
    );
    // A secret is used exactly as given: only surrounding newlines from stdin go.
    let secret = field(
        &mut errors,
        SsoField::ClientSecret,
        check_text(
            "the client secret",
            secret.0.trim_matches(['\r', '\n']),
            CLIENT_SECRET_MAX_CHARS,
        ),
    );
    match (client_id, secret) {
        (Some(client_id), Some(secret)) if errors.is_empty() => Ok(Checked {
            provider,
            tenant_id,
            issuer,
            client_id,
            secret,
        }),
        _ => Err(errors),
    }
}

/// The issuer of a Microsoft tenant under `authority`.
pub fn microsoft_issuer(authority: &str, tenant_id: Uuid) -> String {
    format!("{}/{tenant_id}/v2.0", authority.trim_end_matches('/'))
}

impl Roster {
    /// Configures (or replaces) sign-in for the organization, as an operator on the command line.
    pub async fn configure_sso(
        &self,
        org: OrgId,
        settings: SsoSettings,
        public_url: &str,
    ) -> Result<SsoView> {
        self.configure_sso_as(org, Actor::Operator, settings, public_url)
            .await
    }

    /// The one path of configuring sign-in, for the command line and the console.
    pub(crate) async fn configure_sso_as(
        &self,
        org: OrgId,
        actor: Actor<'_>,
        settings: SsoSettings,
        public_url: &str,
    ) -> Result<SsoView> {
        let org = self.org(org).await?;
        let record = self.sso_record(org.id, settings)?;
        let scope = OrgScope::new(org.id);
        let configured = crate::org_event(
            &actor.change(),
            org.id,
            crate::EventType::OrgSsoConfigured,
            self.now(),
        );
        self.store
            .put_sso_config(scope, &record, &[configured])
            .await?;
        self.audit_as(
            org.id,
            actor,
            AuditAction::SsoConfigured,
            None,
            Some(record.provider.as_str()),
        )
        .await?;
        tracing::info!(org.id = %org.id, sso.provider = record.provider.as_str(), "SSO configured");
        Ok(self.sso_view(&record, public_url))
    }

    /// The organization's sign-in configuration, without its secret; `None` when there is none.
    pub async fn sso(&self, org: OrgId, public_url: &str) -> Result<Option<SsoView>> {
        let org = self.org(org).await?;
        let record = self.store.sso_config(OrgScope::new(org.id)).await?;
        Ok(record.map(|r| self.sso_view(&r, public_url)))
    }

    /// Removes the organization's sign-in configuration. Links between accounts and the
    /// provider stay, so configuring the same provider again keeps every match.
    pub async fn disable_sso(&self, org: OrgId) -> Result<bool> {
        self.disable_sso_as(org, Actor::Operator).await
    }

    pub(crate) async fn disable_sso_as(&self, org: OrgId, actor: Actor<'_>) -> Result<bool> {
        let org = self.org(org).await?;
        let disabled = crate::org_event(
            &actor.change(),
            org.id,
            crate::EventType::OrgSsoDisabled,
            self.now(),
        );
        let removed = self
            .store
            .delete_sso_config(OrgScope::new(org.id), &[disabled])
            .await?;
        if removed {
            self.audit_as(org.id, actor, AuditAction::SsoDisabled, None, None)
                .await?;
            tracing::info!(org.id = %org.id, "SSO disabled");
        }
        Ok(removed)
    }

    /// What the OpenID Connect client needs for a sign-in to the organization, the secret
    /// opened; `NotFound` when sign-in is not configured.
    pub async fn sso_client(&self, org: OrgId) -> Result<SsoClient> {
        let not_configured = || {
            Error::NotFound(
                "Sign-in with Microsoft is not set up for this organization yet: ask its \
                 administrator."
                    .into(),
            )
        };
        let record = self
            .store
            .sso_config(OrgScope::new(org))
            .await?
            .ok_or_else(not_configured)?;
        let key = self.secret_key()?;
        let secret = key.open(&org.to_string(), &record.sealed_secret)?;
        Ok(SsoClient {
            org_id: org,
            provider: record.provider,
            issuer: self.issuer_of(&record),
            tenant_id: record.tenant_id,
            client_id: record.client_id,
            client_secret: ClientSecret(secret),
        })
    }

    fn sso_record(&self, org: OrgId, settings: SsoSettings) -> Result<SsoConfigRecord> {
        let checked = checked(&settings).map_err(|errors| {
            Error::Invalid(
                errors
                    .into_iter()
                    .next()
                    .map(|e| e.message)
                    .unwrap_or_default(),
            )
        })?;
        let sealed_secret = self.secret_key()?.seal(&org.to_string(), &checked.secret)?;
        let now = self.now();
        Ok(SsoConfigRecord {
            org_id: org,
            provider: checked.provider,
            tenant_id: checked.tenant_id,
            issuer: checked.issuer,
            client_id: checked.client_id,
            sealed_secret,
            created_at: now,
            updated_at: now,
        })
    }

    fn secret_key(&self) -> Result<&crate::SecretKey> {
        self.secret_key.as_deref().ok_or_else(|| {
            Error::Invalid(
                "SSO needs the server's secret key, to keep the client secret encrypted: set \
                 --secret-key-file or ROSTER_SECRET_KEY_FILE to a file of 32 random bytes, the \
                 same file on every instance"
                    .into(),
            )
        })
    }

    fn issuer_of(&self, record: &SsoConfigRecord) -> String {
        match (record.provider, record.tenant_id, &record.issuer) {
            (SsoProvider::Microsoft, Some(tid), _) => {
                microsoft_issuer(&self.microsoft_authority, tid)
            }
            (_, _, Some(issuer)) => issuer.clone(),
            (_, _, None) => String::new(),
        }
    }

    fn sso_view(&self, record: &SsoConfigRecord, public_url: &str) -> SsoView {
        SsoView {
            org: record.org_id,
            provider: record.provider,
            tenant_id: record.tenant_id.map(|t| t.to_string()),
            issuer: self.issuer_of(record),
            client_id: record.client_id.clone(),
            sign_in_url: sign_in_url(public_url, record.org_id),
            redirect_uri: redirect_uri(public_url),
            updated_at: record.updated_at,
        }
    }
}
