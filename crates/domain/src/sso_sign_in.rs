//! A sign-in through the organization's OpenID Connect provider, the parts that are product
//! rules: the pending flow (kept in the database, so whichever instance receives the callback
//! can finish it, once, within [`SSO_FLOW_VALIDITY`]), the match to an account
//! ([`match_account`]), the link stored on a match, the sign-in log, and the session. Talking to
//! the provider and validating its ID token happen outside the domain, which sees only the
//! validated claims ([`SsoIdentity`]).

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::{
    AccountId, Error, OrgId, OrgScope, Role, Roster, SessionToken, SignInMethod, StoreFilter,
    TokenHash,
    error::Result,
    sso_config::{SsoClient, SsoProvider},
    sso_match::{Candidates, MatchedBy, SsoVerdict, match_account},
    tokens::random_secret,
    user_name_key,
};

/// How long a started sign-in may take to come back.
pub const SSO_FLOW_VALIDITY: Duration = Duration::minutes(10);
/// Sign-in log entries one read returns at most.
pub const SSO_LOG_MAX: u32 = 1_000;

/// A started sign-in, as stored: the hash of its `state`, and what the callback needs.
#[derive(Clone, PartialEq, Eq)]
pub struct SsoFlowRecord {
    pub state_hash: TokenHash,
    pub org_id: OrgId,
    pub nonce: String,
    pub pkce_verifier: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for SsoFlowRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoFlowRecord")
            .field("org_id", &self.org_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An account's link to a provider's immutable subject: `microsoft:{tid}` and the `oid` for
/// Microsoft, the issuer and `sub` otherwise. Unique per organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoLinkRecord {
    pub org_id: OrgId,
    pub account_id: AccountId,
    pub namespace: String,
    pub subject: String,
    pub created_at: OffsetDateTime,
}

/// One line of an organization's sign-in log: what the provider said, what was expected, and
/// the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SsoSignInRecord {
    #[serde(skip)]
    pub org_id: OrgId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub verdict: SsoVerdict,
    pub matched_by: Option<MatchedBy>,
    pub account_id: Option<AccountId>,
    pub tid: Option<String>,
    pub oid: Option<String>,
    pub preferred_username: Option<String>,
    pub issuer: Option<String>,
    pub subject: Option<String>,
    /// What Roster expected, for a refusal (the tenant, the issuer, ...).
    pub expected: Option<String>,
    pub detail: Option<String>,
}

/// What a validated ID token says about who signed in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SsoIdentity {
    pub issuer: String,
    pub subject: String,
    pub tid: Option<String>,
    pub oid: Option<String>,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
}

/// A sign-in to send to the provider: the values the authorization request carries.
#[derive(Debug)]
pub struct SsoStart {
    pub client: SsoClient,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// A sign-in come back from the provider, its flow used up.
#[derive(Debug)]
pub struct SsoReturn {
    pub client: SsoClient,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// The end of a sign-in.
#[derive(Debug)]
pub enum SsoOutcome {
    SignedIn {
        session: SessionToken,
        account_id: AccountId,
        role: Role,
    },
    /// Refused; the verdict says why, for the page the person sees.
    Refused(SsoVerdict),
}

fn flow_ended() -> Error {
    Error::Unauthorized(
        "This sign-in has expired or was already used. Start signing in again.".into(),
    )
}

impl SsoIdentity {
    /// The subject a link is stored under, for `provider`.
    fn link_key(&self, provider: SsoProvider) -> Result<(String, String)> {
        match provider {
            SsoProvider::Microsoft => match (&self.tid, &self.oid) {
                (Some(tid), Some(oid)) => Ok((format!("microsoft:{tid}"), oid.clone())),
                _ => Err(Error::Invalid(
                    "the Microsoft ID token has no tid or oid claim".into(),
                )),
            },
            SsoProvider::Oidc => Ok((self.issuer.clone(), self.subject.clone())),
        }
    }
}

impl Roster {
    /// Starts a sign-in to the organization: a new one-time flow.
    pub async fn start_sso(&self, org: OrgId) -> Result<SsoStart> {
        let client = self.sso_client(org).await?;
        self.begin_sso(client).await
    }

    /// Starts a sign-in with a client [`sso_client`](Self::sso_client) gave: for a caller that
    /// decides between the two (a rate limit that counts configured organizations only).
    pub async fn begin_sso(&self, client: SsoClient) -> Result<SsoStart> {
        let org = client.org_id;
        let (state, nonce, pkce_verifier) = (random_secret()?, random_secret()?, random_secret()?);
        let now = self.now();
        self.store
            .insert_sso_flow(&SsoFlowRecord {
                state_hash: TokenHash::of(&state),
                org_id: org,
                nonce: nonce.clone(),
                pkce_verifier: pkce_verifier.clone(),
                created_at: now,
                expires_at: now + SSO_FLOW_VALIDITY,
            })
            .await?;
        Ok(SsoStart {
            client,
            state,
            nonce,
            pkce_verifier,
        })
    }

    /// The flow a callback's `state` belongs to, used up: a second callback with the same
    /// `state`, or one after [`SSO_FLOW_VALIDITY`], is refused.
    pub async fn resume_sso(&self, state: &str) -> Result<SsoReturn> {
        let flow = self
            .store
            .take_sso_flow(&TokenHash::of(state), self.now())
            .await?
            .ok_or_else(flow_ended)?;
        let client = self.sso_client(flow.org_id).await?;
        Ok(SsoReturn {
            client,
            nonce: flow.nonce,
            pkce_verifier: flow.pkce_verifier,
        })
    }

    /// Finishes a sign-in whose ID token was validated: matches the account (SPEC §6), stores
    /// the link on a match, records the verdict and, for an active account, starts a session.
    pub async fn finish_sso(
        &self,
        client: &SsoClient,
        identity: &SsoIdentity,
    ) -> Result<SsoOutcome> {
        let org = client.org_id;
        let scope = OrgScope::new(org);
        let (namespace, subject) = identity.link_key(client.provider)?;
        let linked = match self.store.sso_link(scope, &namespace, &subject).await? {
            Some(id) => self.store.account(scope, id).await?,
            None => None,
        };
        let by_external_id = match (client.provider, &identity.oid) {
            (SsoProvider::Microsoft, Some(oid)) => self
                .store
                .accounts(
                    scope,
                    Some(&StoreFilter::external_id(oid.clone())),
                    crate::Page::new(0, 1),
                )
                .await?
                .0
                .into_iter()
                .next(),
            _ => None,
        };
        let by_user_name = match &identity.preferred_username {
            Some(name) if !name.trim().is_empty() => {
                self.store
                    .account_by_user_name(&user_name_key(name))
                    .await?
            }
            _ => None,
        };
        let already_linked = linked.as_ref().is_some_and(|a| a.org_id == Some(org));
        let matched = match_account(
            org,
            Candidates {
                linked,
                by_external_id,
                by_user_name,
            },
        );
        let now = self.now();
        self.log_sso(SsoSignInRecord {
            org_id: org,
            at: now,
            verdict: matched.verdict,
            matched_by: matched.matched_by,
            account_id: matched.account.as_ref().map(|a| a.id),
            tid: identity.tid.clone(),
            oid: identity.oid.clone(),
            preferred_username: identity.preferred_username.clone(),
            issuer: Some(identity.issuer.clone()),
            subject: Some(identity.subject.clone()),
            expected: None,
            detail: None,
        })
        .await?;
        let Some(account) = matched
            .account
            .filter(|_| matched.verdict == SsoVerdict::SignedIn)
        else {
            tracing::info!(org.id = %org, sso.verdict = matched.verdict.as_str(), "SSO sign-in refused");
            return Ok(SsoOutcome::Refused(matched.verdict));
        };
        if !already_linked {
            self.store
                .insert_sso_link(
                    scope,
                    &SsoLinkRecord {
                        org_id: org,
                        account_id: account.id,
                        namespace,
                        subject,
                        created_at: now,
                    },
                )
                .await?;
        }
        let (session, record) = self.new_session(account.id, org, SignInMethod::Sso)?;
        self.store.insert_session(&record).await?;
        tracing::info!(org.id = %org, user.id = %account.id, "SSO sign-in");
        Ok(SsoOutcome::SignedIn {
            session,
            account_id: account.id,
            role: account.role,
        })
    }

    /// Records a sign-in whose answer from the provider did not validate.
    pub async fn reject_sso(&self, client: &SsoClient, why: &str) -> Result<()> {
        let expected = match client.tenant_id {
            Some(tid) => format!("issuer {}, tenant {tid}", client.issuer),
            None => format!("issuer {}", client.issuer),
        };
        tracing::warn!(org.id = %client.org_id, sso.why = why, "SSO ID token rejected");
        self.log_sso(SsoSignInRecord {
            org_id: client.org_id,
            at: self.now(),
            verdict: SsoVerdict::RejectedToken,
            matched_by: None,
            account_id: None,
            tid: None,
            oid: None,
            preferred_username: None,
            issuer: None,
            subject: None,
            expected: Some(expected),
            detail: Some(why.to_owned()),
        })
        .await
    }

    /// The organization's sign-in log, newest first.
    pub async fn sso_sign_ins(&self, org: OrgId, limit: u32) -> Result<Vec<SsoSignInRecord>> {
        let org = self.org(org).await?;
        let limit = limit.min(SSO_LOG_MAX);
        let filter = crate::SignInFilter {
            before: None,
            account: None,
            scan: limit,
            limit,
        };
        Ok(self
            .store
            .sso_sign_ins(OrgScope::new(org.id), &filter)
            .await?
            .into_iter()
            .map(|logged| logged.record)
            .collect())
    }

    /// Removes expired pending sign-ins; for the background job.
    pub async fn trim_sso_flows(&self) -> Result<u64> {
        Ok(self.store.trim_sso_flows(self.now()).await?)
    }

    async fn log_sso(&self, entry: SsoSignInRecord) -> Result<()> {
        use roster_scim::text::{NAME_MAX_CHARS, recordable};
        // What the provider sent is the provider's: cut to what the log keeps.
        let cut = |v: Option<String>| v.map(|v| recordable(&v, NAME_MAX_CHARS));
        let entry = SsoSignInRecord {
            tid: cut(entry.tid),
            oid: cut(entry.oid),
            preferred_username: cut(entry.preferred_username),
            issuer: cut(entry.issuer),
            subject: cut(entry.subject),
            detail: cut(entry.detail),
            ..entry
        };
        Ok(self.store.append_sso_sign_in(&entry).await?)
    }
}
