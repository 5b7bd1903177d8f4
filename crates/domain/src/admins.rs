//! Console administrators: accounts of an organization with the `admin` role, whose
//! `userName` is their email, with a password (argon2id) or a pending one-time invitation to
//! set one. The first one is made by the first-run setup, with the organization; operators add
//! more on the command line, administrators in the console.

use std::fmt;

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::{
    Account, AccountId, AccountWrite, Admin, Conflict, Error, NewOrg, OrgId, OrgScope, OrgStatus,
    Role, Roster, TokenHash,
    audit::{Actor, AuditAction},
    error::Result,
    passwords,
    sessions::{SessionRecord, SessionToken, SignInMethod},
    tokens::random_secret,
    user_name_key,
};

/// How long an invitation code can be used.
pub const INVITATION_VALIDITY: Duration = Duration::days(7);

/// How a new administrator will sign in. `Debug` never shows the password.
#[derive(Clone)]
pub enum AdminCredential {
    Password(String),
    /// A one-time invitation code, for the administrator to choose their own password.
    Invite,
}

impl fmt::Debug for AdminCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Password(_) => "Password(<redacted>)",
            Self::Invite => "Invite",
        })
    }
}

/// A one-time invitation code, shown once (in a link). `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct InvitationCode(String);

impl InvitationCode {
    /// A code as the invitation link carried it.
    pub fn new(code: String) -> Self {
        Self(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The link an invited administrator opens: `<public url>/console/invitation/<code>`.
    pub fn link(&self, public_url: &str) -> String {
        format!(
            "{}/console/invitation/{}",
            public_url.trim_end_matches('/'),
            self.0
        )
    }
}

impl fmt::Debug for InvitationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InvitationCode(<redacted>)")
    }
}

/// An administrator just added, and their invitation code when they were invited.
#[derive(Debug, Clone)]
pub struct AdminAdded {
    pub account: Account,
    pub invitation: Option<InvitationCode>,
}

/// An administrator as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminSummary {
    #[serde(rename = "id")]
    pub account_id: AccountId,
    pub email: String,
    pub display_name: Option<String>,
    pub active: bool,
    /// The administrator can sign in with a password.
    pub password_set: bool,
    /// When the pending invitation ends, if one is pending.
    #[serde(with = "time::serde::rfc3339::option")]
    pub invitation_expires_at: Option<OffsetDateTime>,
}

/// A stored credential. The password hash is an argon2id PHC string; the invitation code is
/// kept as its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminCredentialRecord {
    pub account_id: AccountId,
    pub org_id: OrgId,
    pub password_hash: Option<String>,
    pub invitation_hash: Option<TokenHash>,
    pub invitation_expires_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// What first-run setup writes, in one transaction.
#[derive(Debug, Clone)]
pub struct FirstAdmin {
    pub org: crate::Org,
    pub account: Account,
    pub credential: AdminCredentialRecord,
    pub session: SessionRecord,
}

/// What [`Store::remove_admin`](crate::Store::remove_admin) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminRemoval {
    Removed,
    /// Nothing written: no other active administrator with a credential would remain.
    LastAdmin,
    /// Nothing written: the account is not an administrator of the organization.
    NotAdmin,
}

impl Roster {
    /// Whether the console needs its first-run setup: no administrator can sign in anywhere,
    /// nor is one invited.
    pub async fn setup_needed(&self) -> Result<bool> {
        Ok(!self.store.any_admin_credential().await?)
    }

    /// First-run setup: creates the organization and its first administrator, signed in.
    /// Refused once any administrator exists, also when two setups race.
    pub async fn setup_first_admin(
        &self,
        new: NewOrg,
        email: &str,
        password: &str,
        remote_addr: Option<&str>,
    ) -> Result<(OrgStatus, Admin, SessionToken)> {
        let already = || {
            Error::from(Conflict::State(
                "Roster is already set up: an administrator exists. Sign in, or ask an administrator to add you.".into(),
            ))
        };
        if !self.setup_needed().await? {
            return Err(already());
        }
        let email = check_email(email)?;
        passwords::check_policy(password)?;
        let org = self.new_org(new)?;
        let account = self.new_admin_account(org.id, &email);
        let password_hash = passwords::hash(password.to_owned()).await?;
        let credential = self.credential(account.id, org.id, Some(password_hash), None);
        let (token, session) = self.new_session(account.id, org.id, SignInMethod::Password)?;
        let setup = FirstAdmin {
            org: org.clone(),
            account,
            credential,
            session,
        };
        if !self.store.setup_first_admin(&setup).await? {
            return Err(already());
        }
        let admin = Admin::new(
            setup.account.id,
            org.id,
            setup.account.user_name.clone(),
            remote_addr.map(str::to_owned),
        );
        self.audit(
            &admin,
            AuditAction::AdminAdded,
            Some(admin.email()),
            Some("first administrator, at setup"),
        )
        .await?;
        self.audit(&admin, AuditAction::SignIn, None, None).await?;
        tracing::info!(org.id = %org.id, user.id = %admin.account_id(), "first-run setup done");
        let status = self.org_status(org.id).await?;
        Ok((status, admin, token))
    }

    /// Adds an administrator to an organization, for an operator (`roster admin add`).
    pub async fn add_admin(
        &self,
        org: OrgId,
        email: &str,
        credential: AdminCredential,
    ) -> Result<AdminAdded> {
        let org = self.org(org).await?;
        self.add_admin_in(org.id, Actor::Operator, email, credential)
            .await
    }

    /// Adds an administrator to `by`'s organization, from the console.
    pub async fn add_admin_by(
        &self,
        by: &Admin,
        email: &str,
        credential: AdminCredential,
    ) -> Result<AdminAdded> {
        self.add_admin_in(by.org_id(), Actor::Admin(by), email, credential)
            .await
    }

    /// The organization's administrators, for an operator (`roster admin list`).
    pub async fn admins(&self, org: OrgId) -> Result<Vec<AdminSummary>> {
        let org = self.org(org).await?;
        Ok(self.store.admins(OrgScope::new(org.id)).await?)
    }

    /// `by`'s organization's administrators, for the console.
    pub async fn admins_of(&self, by: &Admin) -> Result<Vec<AdminSummary>> {
        Ok(self.store.admins(by.scope()).await?)
    }

    /// Removes an administrator, for an operator (`roster admin remove`).
    pub async fn remove_admin(&self, org: OrgId, email: &str) -> Result<()> {
        let org = self.org(org).await?;
        self.remove_admin_in(org.id, Actor::Operator, email).await
    }

    /// Removes an administrator of `by`'s organization (themselves included), from the console.
    pub async fn remove_admin_by(&self, by: &Admin, email: &str) -> Result<()> {
        self.remove_admin_in(by.org_id(), Actor::Admin(by), email)
            .await
    }

    /// Sets the password of an invited administrator, once, and signs them in.
    pub async fn accept_invitation(
        &self,
        code: &InvitationCode,
        password: &str,
        remote_addr: Option<&str>,
    ) -> Result<(Admin, SessionToken)> {
        passwords::check_policy(password)?;
        let invalid = || {
            Error::NotFound(
                "This invitation is not valid: it was used already, has expired (after 7 days), or was replaced. Ask an administrator for a new one.".into(),
            )
        };
        if code.0.is_empty() || code.0.len() > 128 {
            return Err(invalid());
        }
        let password_hash = passwords::hash(password.to_owned()).await?;
        let now = self.now();
        let (account_id, org_id) = self
            .store
            .accept_invitation(&TokenHash::of(&code.0), &password_hash, now)
            .await?
            .ok_or_else(invalid)?;
        let account = self
            .store
            .account(OrgScope::new(org_id), account_id)
            .await?
            .filter(|a| a.active && a.role == Role::Admin)
            .ok_or_else(invalid)?;
        let admin = Admin::new(
            account.id,
            org_id,
            account.user_name,
            remote_addr.map(str::to_owned),
        );
        self.audit(&admin, AuditAction::InvitationAccepted, None, None)
            .await?;
        let token = self.start_session(&admin, SignInMethod::Password).await?;
        self.audit(&admin, AuditAction::SignIn, None, None).await?;
        Ok((admin, token))
    }

    async fn add_admin_in(
        &self,
        org: OrgId,
        by: Actor<'_>,
        email: &str,
        credential: AdminCredential,
    ) -> Result<AdminAdded> {
        let change = by.change();
        let email = check_email(email)?;
        // Checked before anything is written, so a refused password changes nothing.
        let password_hash = match &credential {
            AdminCredential::Password(password) => {
                passwords::check_policy(password)?;
                Some(passwords::hash(password.clone()).await?)
            }
            AdminCredential::Invite => None,
        };
        let existing = self
            .store
            .account_by_user_name(&user_name_key(&email))
            .await?;
        let was_admin = existing
            .as_ref()
            .is_some_and(|a| a.org_id == Some(org) && a.role == Role::Admin);
        let account = match existing {
            None => {
                self.write(AccountWrite {
                    account: self.new_admin_account(org, &email),
                    expected_version: None,
                    takes_seat: true,
                    end_scim_memberships: false,
                    change: change.clone(),
                })
                .await?
            }
            Some(account) if account.org_id == Some(org) => {
                if account.role == Role::Admin {
                    account
                } else {
                    let mut promoted = account.clone();
                    promoted.role = Role::Admin;
                    promoted.updated_at = self.now();
                    self.write(AccountWrite {
                        account: promoted,
                        expected_version: Some(account.version),
                        takes_seat: false,
                        end_scim_memberships: false,
                        change: change.clone(),
                    })
                    .await?
                }
            }
            Some(account) => return Err(crate::scim_users::outside_org(&account.user_name)),
        };
        let now = self.now();
        let invitation = match password_hash {
            Some(_) => None,
            None => Some(InvitationCode(random_secret()?)),
        };
        let record = self.credential(
            account.id,
            org,
            password_hash,
            invitation
                .as_ref()
                .map(|code| (TokenHash::of(&code.0), now + INVITATION_VALIDITY)),
        );
        self.store
            .put_admin_credential(OrgScope::new(org), &record)
            .await?;
        // A new password or invitation for an administrator replaces the old credential, and
        // whoever signed in with it is signed out.
        if was_admin {
            self.store.delete_account_sessions(account.id).await?;
        }
        let detail = match (invitation.is_some(), was_admin) {
            (true, false) => "invited (the link is valid 7 days)",
            (false, false) => "with a password",
            (true, true) => "invited again: the previous password or invitation no longer works",
            (false, true) => "password replaced; the administrator's sessions ended",
        };
        self.audit_as(
            org,
            by,
            AuditAction::AdminAdded,
            Some(&account.user_name),
            Some(detail),
        )
        .await?;
        tracing::info!(org.id = %org, user.id = %account.id, "administrator added");
        Ok(AdminAdded {
            account,
            invitation,
        })
    }

    async fn remove_admin_in(&self, org: OrgId, by: Actor<'_>, email: &str) -> Result<()> {
        let scope = OrgScope::new(org);
        let not_admin = || {
            Error::NotFound(format!(
                "'{}' is not an administrator of this organization",
                email.trim()
            ))
        };
        let account = self
            .store
            .account_by_user_name(&user_name_key(email.trim()))
            .await?
            .filter(|a| a.org_id == Some(org))
            .ok_or_else(not_admin)?;
        let kind = self.org(org).await?.kind;
        match self
            .store
            .remove_admin(
                scope,
                account.id,
                Role::lowest_for(kind),
                self.now(),
                &by.change(),
            )
            .await?
        {
            AdminRemoval::Removed => {}
            AdminRemoval::NotAdmin => return Err(not_admin()),
            AdminRemoval::LastAdmin => {
                return Err(Conflict::State(format!(
                    "'{}' is the organization's last administrator who can sign in; add another administrator first",
                    account.user_name
                ))
                .into());
            }
        }
        self.audit_as(
            org,
            by,
            AuditAction::AdminRemoved,
            Some(&account.user_name),
            None,
        )
        .await?;
        tracing::info!(org.id = %org, user.id = %account.id, "administrator removed");
        Ok(())
    }

    fn new_admin_account(&self, org: OrgId, email: &str) -> Account {
        let now = self.now();
        Account {
            id: AccountId::new_time_ordered(),
            org_id: Some(org),
            user_name: email.to_owned(),
            external_id: None,
            display_name: None,
            role: Role::Admin,
            active: true,
            active_unassigned: false,
            deactivated_at: None,
            scim_managed: false,
            scim_deleted: false,
            attributes: serde_json::Map::new(),
            created_at: now,
            updated_at: now,
            version: 0,
        }
    }

    fn credential(
        &self,
        account_id: AccountId,
        org_id: OrgId,
        password_hash: Option<String>,
        invitation: Option<(TokenHash, OffsetDateTime)>,
    ) -> AdminCredentialRecord {
        let now = self.now();
        AdminCredentialRecord {
            account_id,
            org_id,
            password_hash,
            invitation_hash: invitation.map(|(hash, _)| hash),
            invitation_expires_at: invitation.map(|(_, until)| until),
            created_at: now,
            updated_at: now,
        }
    }
}

/// An administrator's email, which is also their `userName`.
fn check_email(email: &str) -> Result<String> {
    let email = email.trim();
    crate::admin_accounts::check_name("email", email)?;
    let valid = email.rsplit_once('@').is_some_and(|(local, host)| {
        !local.is_empty() && host.contains('.') && !host.ends_with('.')
    }) && !email.chars().any(char::is_whitespace);
    if !valid {
        return Err(Error::Invalid(format!(
            "'{email}' is not an email address; an administrator signs in with their email"
        )));
    }
    Ok(email.to_owned())
}
