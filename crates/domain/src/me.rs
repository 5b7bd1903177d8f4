//! Who is signed in to the platform (SPEC §6, `GET /api/v1/me`): any account's session, made by
//! signing in with the organization's provider (or an administrator's console sign-in), valid
//! while it is live and its account is active in its organization.

use serde::Serialize;

use crate::{
    AccountId, Error, GroupId, OrgId, OrgScope, Role, Roster, SessionToken, error::Result,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeOrg {
    pub id: OrgId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeGroup {
    pub id: GroupId,
    pub display_name: String,
}

/// The signed-in person, as the platform's apps see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Me {
    pub id: AccountId,
    pub user_name: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub organization: MeOrg,
    /// By display name.
    pub groups: Vec<MeGroup>,
}

fn signed_out() -> Error {
    Error::Unauthorized("You are not signed in, or your session has ended.".into())
}

impl Roster {
    /// The person a session belongs to. A session that ended (expired, or its account
    /// deactivated or gone) is removed and refused.
    pub async fn me(&self, token: &SessionToken) -> Result<Me> {
        let hash = token.hash();
        let Some(session) = self.store.session(&hash).await? else {
            return Err(signed_out());
        };
        let now = self.now();
        let scope = OrgScope::new(session.org_id);
        let account = if session.is_live_at(now) {
            self.store
                .account(scope, session.account_id)
                .await?
                .filter(|a| a.active && a.org_id == Some(session.org_id))
        } else {
            None
        };
        let Some(account) = account else {
            self.store.delete_session(&hash).await?;
            return Err(signed_out());
        };
        self.touch_if_due(&session, now).await?;
        let org = self.org(session.org_id).await?;
        let mut groups: Vec<MeGroup> = self
            .store
            .account_groups(scope, account.id)
            .await?
            .into_iter()
            .map(|(id, display_name)| MeGroup { id, display_name })
            .collect();
        groups.sort_by(|a, b| a.display_name.cmp(&b.display_name));
        Ok(Me {
            id: account.id,
            user_name: account.user_name,
            display_name: account.display_name,
            role: account.role,
            organization: MeOrg {
                id: org.id,
                name: org.name,
            },
            groups,
        })
    }
}
