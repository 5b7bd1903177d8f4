//! The providers Roster signs people in with: each issuer's discovery document and keys,
//! fetched once and cached (per tenant for Microsoft: the `common` document's `{tenantid}`
//! issuer would fail the strict issuer check), the keys fetched again once when a token names
//! a key they lack (rotation); the authorization request (code flow, PKCE S256, `state`,
//! `nonce`); the code exchange and the token's validation.

use std::{collections::HashMap, sync::Arc};

use chrono::Utc;
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, LogoutRequest, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout,
    RedirectUrl, Scope, TokenResponse,
    core::{CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet},
};
use roster_domain::{SsoClient, SsoIdentity, SsoReturn, SsoStart};
use tokio::sync::RwLock;

use crate::{
    http::Http,
    validate::{Expected, Rejected, validate_id_token},
};

/// Why a sign-in could not be finished with the provider.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider could not be reached or answered nonsense; the person may retry.
    #[error("the sign-in provider could not be reached: {0}")]
    Provider(String),
    /// The provider's answer did not validate: a refusal for the sign-in log.
    #[error(transparent)]
    Rejected(#[from] Rejected),
}

/// A provider's discovery document, with the RP-Initiated Logout `end_session_endpoint` when
/// it has one (Entra does).
#[derive(Debug, Clone)]
struct Discovered {
    metadata: ProviderMetadataWithLogout,
}

/// Discovery documents and keys by issuer, shared by every request of the process.
#[derive(Debug, Clone)]
pub struct Providers {
    http: Http,
    cache: Arc<RwLock<HashMap<String, Discovered>>>,
}

fn provider_error(e: impl std::fmt::Display) -> OidcError {
    OidcError::Provider(e.to_string())
}

impl Providers {
    pub fn new() -> Result<Self, OidcError> {
        Ok(Self {
            http: Http::new().map_err(provider_error)?,
            cache: Arc::default(),
        })
    }

    /// Where to send the person's browser to sign in.
    pub async fn authorization_url(
        &self,
        start: &SsoStart,
        redirect_uri: &str,
    ) -> Result<String, OidcError> {
        let client = self.client(&start.client, redirect_uri).await?;
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
            start.pkce_verifier.clone(),
        ));
        let (state, nonce) = (start.state.clone(), start.nonce.clone());
        let (url, _, _) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(url.to_string())
    }

    /// Exchanges the code for tokens and validates the ID token: who signed in.
    pub async fn finish(
        &self,
        back: &SsoReturn,
        code: &str,
        redirect_uri: &str,
    ) -> Result<SsoIdentity, OidcError> {
        let client = self.client(&back.client, redirect_uri).await?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(provider_error)?
            .set_pkce_verifier(PkceCodeVerifier::new(back.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Provider(format!("the code exchange failed: {e}")))?;
        let raw = response
            .id_token()
            .ok_or_else(|| Rejected::Invalid("the provider returned no ID token".into()))?
            .to_string();
        let expected = Expected {
            client: &back.client,
            nonce: &back.nonce,
            now: Utc::now(),
        };
        let keys = self.keys(&back.client.issuer).await?;
        match validate_id_token(&raw, expected, &keys) {
            Err(Rejected::UnknownKey) => {
                // The provider may have rotated its keys: fetch them again, once.
                let keys = self.refresh_keys(&back.client.issuer).await?;
                Ok(validate_id_token(&raw, expected, &keys)?)
            }
            other => Ok(other?),
        }
    }

    /// Where to send the browser to sign out of the provider too (OpenID Connect RP-Initiated
    /// Logout 1.0), coming back to `post_logout_redirect_uri`; `None` when the provider has no
    /// `end_session_endpoint`. The `client_id` tells the provider which application asks, as
    /// the specification allows in place of an ID token, which Roster does not keep.
    pub async fn end_session_url(
        &self,
        issuer: &str,
        client_id: &str,
        post_logout_redirect_uri: &str,
    ) -> Result<Option<String>, OidcError> {
        let discovered = self.discovered(issuer).await?;
        let Some(endpoint) = discovered
            .metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()
        else {
            return Ok(None);
        };
        let back = PostLogoutRedirectUrl::new(post_logout_redirect_uri.to_owned())
            .map_err(provider_error)?;
        Ok(Some(
            LogoutRequest::from(endpoint)
                .set_client_id(ClientId::new(client_id.to_owned()))
                .set_post_logout_redirect_uri(back)
                .http_get_url()
                .to_string(),
        ))
    }

    async fn discovered(&self, issuer: &str) -> Result<Discovered, OidcError> {
        if let Some(found) = self.cache.read().await.get(issuer) {
            return Ok(found.clone());
        }
        let url = IssuerUrl::new(issuer.to_owned()).map_err(provider_error)?;
        // Discovery checks that the document's issuer is exactly this one.
        let metadata = ProviderMetadataWithLogout::discover_async(url, &self.http)
            .await
            .map_err(|e| OidcError::Provider(format!("discovery at {issuer} failed: {e}")))?;
        let found = Discovered { metadata };
        self.cache
            .write()
            .await
            .insert(issuer.to_owned(), found.clone());
        Ok(found)
    }

    async fn keys(&self, issuer: &str) -> Result<CoreJsonWebKeySet, OidcError> {
        Ok(self.discovered(issuer).await?.metadata.jwks().clone())
    }

    async fn refresh_keys(&self, issuer: &str) -> Result<CoreJsonWebKeySet, OidcError> {
        let mut found = self.discovered(issuer).await?;
        let keys = CoreJsonWebKeySet::fetch_async(found.metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| OidcError::Provider(format!("fetching the keys failed: {e}")))?;
        found.metadata = found.metadata.set_jwks(keys.clone());
        self.cache.write().await.insert(issuer.to_owned(), found);
        Ok(keys)
    }

    async fn client(
        &self,
        sso: &SsoClient,
        redirect_uri: &str,
    ) -> Result<
        openidconnect::Client<
            openidconnect::EmptyAdditionalClaims,
            openidconnect::core::CoreAuthDisplay,
            openidconnect::core::CoreGenderClaim,
            openidconnect::core::CoreJweContentEncryptionAlgorithm,
            openidconnect::core::CoreJsonWebKey,
            openidconnect::core::CoreAuthPrompt,
            openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
            openidconnect::core::CoreTokenResponse,
            openidconnect::core::CoreTokenIntrospectionResponse,
            openidconnect::core::CoreRevocableToken,
            openidconnect::core::CoreRevocationErrorResponse,
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        OidcError,
    > {
        let discovered = self.discovered(&sso.issuer).await?;
        let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(provider_error)?;
        Ok(CoreClient::from_provider_metadata(
            discovered.metadata,
            ClientId::new(sso.client_id.clone()),
            Some(ClientSecret::new(sso.client_secret.expose().to_owned())),
        )
        .set_redirect_uri(redirect))
    }
}
