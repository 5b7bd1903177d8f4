//! Console sessions: a random token in the browser's cookie, its SHA-256 in the database. A
//! session ends after [`SESSION_IDLE_TIMEOUT`] without a request, [`SESSION_LIFETIME`] after
//! sign-in whatever the activity, at sign-out, and as soon as its account is no longer an
//! active administrator of the organization. Each sign-in makes a new session (rotation), and
//! records how it was made, so signing in with Microsoft ends in the same kind of session.

use std::{fmt, str::FromStr};

use time::{Duration, OffsetDateTime};

use crate::{
    AccountId, Admin, Error, OrgId, OrgScope, Role, Roster, TokenHash,
    audit::{Actor, AuditAction},
    error::Result,
    passwords,
    sign_in_throttle::FailureKey,
    tokens::random_secret,
    user_name_key,
};

pub const SESSION_IDLE_TIMEOUT: Duration = Duration::minutes(30);
pub const SESSION_LIFETIME: Duration = Duration::hours(12);
/// `last_seen_at` is written at most this often, so a busy console page costs no write per
/// request; idle expiry is exact to within it.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// The session's secret, as the browser's cookie holds it. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    /// A token as the browser sent it back.
    pub fn new(token: String) -> Self {
        Self(token)
    }

    /// The cookie value.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// How the administrator proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMethod {
    Password,
    Sso,
}

impl SignInMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Sso => "sso",
        }
    }
}

impl FromStr for SignInMethod {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "password" => Ok(Self::Password),
            "sso" => Ok(Self::Sso),
            other => Err(Error::Invalid(format!("unknown sign-in method '{other}'"))),
        }
    }
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: TokenHash,
    pub account_id: AccountId,
    pub org_id: OrgId,
    pub method: SignInMethod,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
}

impl SessionRecord {
    /// Whether the session is still valid at `now`: both limits end it at exactly their length.
    pub fn is_live_at(&self, now: OffsetDateTime) -> bool {
        now - self.last_seen_at < SESSION_IDLE_TIMEOUT && now - self.created_at < SESSION_LIFETIME
    }
}

/// What a refused sign-in says, whatever the reason (unknown email, wrong password,
/// deactivated account, no longer an administrator), so it tells an attacker nothing.
fn refused() -> Error {
    Error::Unauthorized("The email or password is not correct.".into())
}

fn address_key(key: Option<&FailureKey>) -> Option<&str> {
    match key {
        Some(FailureKey::Address(address)) => Some(address),
        _ => None,
    }
}

fn ended() -> Error {
    Error::Unauthorized("Your console session has ended; sign in again.".into())
}

impl Roster {
    /// Signs an administrator in with email and password: a new session each time. Failed
    /// attempts are counted per account and per address and throttled (see
    /// [`sign_in_throttle`](crate::sign_in_throttle)); those for an account are in its
    /// organization's audit log, those for an unknown email only in the service's log.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        remote_addr: Option<&str>,
    ) -> Result<(Admin, SessionToken)> {
        let now = self.now();
        let address = remote_addr.map(FailureKey::address);
        let email = email.trim();
        let account = if crate::admin_accounts::check_name("email", email).is_ok() {
            self.store
                .account_by_user_name(&user_name_key(email))
                .await?
        } else {
            None
        };
        let credential = match &account {
            Some(account) => self.store.admin_credential(account.id).await?,
            None => None,
        };
        let known = account.zip(credential);
        // Every attempt counts as failed until its password matched, and is recorded before
        // the throttle counts: of any number of concurrent attempts, on any instances, at most
        // the limit get as far as checking a password.
        let attempt = self
            .store
            .record_sign_in_failure(
                known.as_ref().map(|(account, _)| account.id),
                address_key(address.as_ref()),
                now,
            )
            .await?;
        let account_key = known
            .as_ref()
            .map(|(account, _)| FailureKey::Account(account.id));
        for key in address.iter().chain(account_key.iter()) {
            if let Err(throttled) = self.check_throttle(key, now).await {
                // A refused attempt is not counted, so no one can extend a lockout forever.
                self.store.forget_sign_in_failure(attempt).await?;
                tracing::warn!(
                    user.id = known.as_ref().map(|(a, _)| a.id.to_string()),
                    remote.addr = remote_addr.unwrap_or("-"),
                    "console sign-in throttled"
                );
                return Err(throttled);
            }
        }
        let Some((account, credential)) = known else {
            // One verification all the same, so the time taken does not say the email is unknown.
            passwords::verify(password.to_owned(), None).await?;
            tracing::warn!(
                remote.addr = remote_addr.unwrap_or("-"),
                "console sign-in refused: no administrator has this email"
            );
            return Err(refused());
        };
        let org_id = credential.org_id;
        let admin = Admin::new(
            account.id,
            org_id,
            account.user_name.clone(),
            remote_addr.map(str::to_owned),
        );
        let matches = passwords::verify(password.to_owned(), credential.password_hash).await?;
        let why_not = if !matches {
            Some("wrong password")
        } else if !account.active {
            Some("the account is deactivated")
        } else if account.role != Role::Admin || account.org_id != Some(org_id) {
            Some("the account is not an administrator of this organization")
        } else {
            None
        };
        if let Some(reason) = why_not {
            self.audit_as(
                org_id,
                Actor::Admin(&admin),
                AuditAction::SignInFailed,
                None,
                Some(reason),
            )
            .await?;
            return Err(refused());
        }
        // The attempt succeeded: it leaves the address's count, and the account starts afresh.
        self.store.forget_sign_in_failure(attempt).await?;
        self.store.clear_sign_in_failures(account.id).await?;
        let token = self.start_session(&admin, SignInMethod::Password).await?;
        self.audit(&admin, AuditAction::SignIn, None, None).await?;
        tracing::info!(org.id = %org_id, user.id = %account.id, "console sign-in");
        Ok((admin, token))
    }

    /// The administrator a session token belongs to, if the session is still valid and its
    /// account is still an active administrator of the session's organization.
    pub async fn session(&self, token: &SessionToken, remote_addr: Option<&str>) -> Result<Admin> {
        let hash = token.hash();
        let Some(session) = self.store.session(&hash).await? else {
            return Err(ended());
        };
        let now = self.now();
        let account = if session.is_live_at(now) {
            self.store
                .account(OrgScope::new(session.org_id), session.account_id)
                .await?
                .filter(|a| a.active && a.org_id == Some(session.org_id))
        } else {
            None
        };
        let Some(account) = account else {
            self.store.delete_session(&hash).await?;
            return Err(ended());
        };
        // A person who signed in with Microsoft holds a platform session whatever their role:
        // it opens the console only for an administrator, and stays valid for the platform.
        if account.role != Role::Admin {
            return Err(ended());
        }
        self.touch_if_due(&session, now).await?;
        Ok(Admin::new(
            account.id,
            session.org_id,
            account.user_name,
            remote_addr.map(str::to_owned),
        ))
    }

    /// Ends the session. Signing out of a session that already ended is not an error.
    pub async fn sign_out(&self, token: &SessionToken, remote_addr: Option<&str>) -> Result<()> {
        let admin = self.session(token, remote_addr).await.ok();
        self.store.delete_session(&token.hash()).await?;
        if let Some(admin) = admin {
            self.audit(&admin, AuditAction::SignOut, None, None).await?;
        }
        Ok(())
    }

    /// Writes `last_seen_at` when [`TOUCH_INTERVAL`] has passed since the last write.
    pub(crate) async fn touch_if_due(
        &self,
        session: &SessionRecord,
        now: OffsetDateTime,
    ) -> Result<()> {
        if now - session.last_seen_at >= TOUCH_INTERVAL {
            self.store.touch_session(&session.token_hash, now).await?;
        }
        Ok(())
    }

    /// A new session for `admin`, who was just verified.
    pub(crate) async fn start_session(
        &self,
        admin: &Admin,
        method: SignInMethod,
    ) -> Result<SessionToken> {
        let (token, record) = self.new_session(admin.account_id(), admin.org_id(), method)?;
        self.store.insert_session(&record).await?;
        Ok(token)
    }

    pub(crate) fn new_session(
        &self,
        account_id: AccountId,
        org_id: OrgId,
        method: SignInMethod,
    ) -> Result<(SessionToken, SessionRecord)> {
        let token = SessionToken(random_secret()?);
        let now = self.now();
        let record = SessionRecord {
            token_hash: token.hash(),
            account_id,
            org_id,
            method,
            created_at: now,
            last_seen_at: now,
        };
        Ok((token, record))
    }

    /// Removes expired sessions and failed sign-ins older than the throttle's window; for the
    /// background job.
    pub async fn trim_console(&self) -> Result<u64> {
        let now = self.now();
        Ok(self
            .store
            .trim_console(
                now - crate::sign_in_throttle::FAILURE_WINDOW,
                now - SESSION_IDLE_TIMEOUT,
                now - SESSION_LIFETIME,
            )
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_tokens_never_show_in_debug_output() {
        let token = SessionToken::new("s3cr3t-value".into());
        assert!(!format!("{token:?}").contains("s3cr3t"));
    }

    #[test]
    fn sessions_end_at_exactly_their_idle_timeout_and_lifetime() {
        let t = time::macros::datetime!(2026-01-01 0:00 UTC);
        let record = SessionRecord {
            token_hash: TokenHash::of("x"),
            account_id: AccountId::new_random(),
            org_id: OrgId::new_random(),
            method: SignInMethod::Password,
            created_at: t,
            last_seen_at: t,
        };
        assert!(record.is_live_at(t + SESSION_IDLE_TIMEOUT - Duration::microseconds(1)));
        assert!(!record.is_live_at(t + SESSION_IDLE_TIMEOUT));
        let busy = SessionRecord {
            last_seen_at: t + SESSION_LIFETIME - Duration::minutes(1),
            ..record
        };
        assert!(busy.is_live_at(t + SESSION_LIFETIME - Duration::microseconds(1)));
        assert!(!busy.is_live_at(t + SESSION_LIFETIME));
    }
}
