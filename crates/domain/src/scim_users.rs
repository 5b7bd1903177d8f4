//! SCIM `/Users` and the account rules of SPEC §2: lowest role on creation, seat limits,
//! independent accounts not moved, matching and adoption, deactivate instead of delete.

use roster_scim::{
    ScimError, check_required, normalize,
    patch::{apply_patch, parse_patch},
    schema::USER_RESOURCE,
};
use serde_json::Value;

use crate::{
    Account, AccountId, AccountWrite, Conflict, Error, OrgScope, RequestLog, Role, Roster,
    StoreFilter, Unique,
    error::Result,
    listing::{ListPage, ListRequest, Plan},
    resources::{UserFields, user_fields, user_resource},
    retry::{MAX_ATTEMPTS, until_written},
    user_name_key,
};

/// What a SCIM create did: created a new account, or took over a retained or hand-made one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    New,
    /// A SCIM-deleted account of the organization came back, or a hand-added one was adopted.
    Existing,
}

impl Roster {
    /// `POST /Users`.
    pub async fn scim_create_user(
        &self,
        scope: OrgScope,
        body: &Value,
        log: Option<&RequestLog>,
    ) -> Result<(Account, Created)> {
        let resource = normalize(&USER_RESOURCE, body)?;
        check_required(&USER_RESOURCE, &resource)?;
        let fields = user_fields(resource);
        let user_name = fields.user_name.clone().ok_or_else(|| {
            ScimError::invalid_value("userName is required and must not be empty")
        })?;
        for _ in 0..MAX_ATTEMPTS {
            let existing = self
                .store
                .account_by_user_name(&user_name_key(&user_name))
                .await?;
            let result = match existing {
                None => {
                    self.insert_scim_account(scope, &fields, &user_name, log)
                        .await
                }
                Some(account) => self.claim_existing(scope, account, &fields, log).await,
            };
            match result {
                // Another request created or changed the same userName meanwhile: look again.
                Err(Error::Conflict(
                    Conflict::Concurrent
                    | Conflict::Taken {
                        what: Unique::UserName,
                        ..
                    },
                )) => continue,
                other => return other,
            }
        }
        Err(Conflict::Concurrent.into())
    }

    async fn insert_scim_account(
        &self,
        scope: OrgScope,
        fields: &UserFields,
        user_name: &str,
        log: Option<&RequestLog>,
    ) -> Result<(Account, Created)> {
        let org = self.org(scope.org_id()).await?;
        if !org.admits_user_name(user_name) {
            return Err(org.outside_domains(user_name));
        }
        let now = self.now();
        let active = fields.active.unwrap_or(true);
        let account = Account {
            id: AccountId::new_time_ordered(),
            org_id: Some(org.id),
            user_name: user_name.to_owned(),
            external_id: fields.external_id.clone(),
            display_name: fields.display_name.clone(),
            role: Role::lowest_for(org.kind),
            active,
            active_unassigned: false,
            deactivated_at: (!active).then_some(now),
            scim_managed: true,
            scim_deleted: false,
            attributes: fields.attributes.clone(),
            created_at: now,
            updated_at: now,
            version: 0,
        };
        let draft = self.log_draft(scope, log, &account.id.to_string(), user_name, &[]);
        let stored = self
            .write(AccountWrite {
                account,
                expected_version: None,
                takes_seat: active,
                end_scim_memberships: false,
                change: scope.scim_change().logged(draft),
            })
            .await?;
        tracing::info!(org.id = %org.id, user.id = %stored.id, "account created by SCIM");
        Ok((stored, Created::New))
    }

    /// A POST for a `userName` that already has an account.
    async fn claim_existing(
        &self,
        scope: OrgScope,
        account: Account,
        fields: &UserFields,
        log: Option<&RequestLog>,
    ) -> Result<(Account, Created)> {
        if account.org_id != Some(scope.org_id()) {
            return Err(outside_org(fields.user_name.as_deref().unwrap_or_default()));
        }
        if account.scim_managed && !account.scim_deleted {
            return Err(Conflict::State(format!(
                "userName '{}' is already provisioned in this organization (id {}); match it with a filter instead of creating it again",
                account.user_name, account.id
            ))
            .into());
        }
        // A retained account that SCIM deleted earlier, or one an administrator added by hand:
        // take it over, keeping its id, role and content.
        let updated = apply_fields(account.clone(), fields, true);
        let stored = self.save(scope, &account, updated, false, log).await?;
        tracing::info!(org.id = %scope.org_id(), user.id = %stored.id, "existing account taken over by SCIM");
        Ok((stored, Created::Existing))
    }

    /// `GET /Users/{id}`.
    pub async fn scim_user(&self, scope: OrgScope, id: &str) -> Result<Account> {
        let id = parse_user_id(id)?;
        // By primary key, not through a listing, which would generate, look up and bind its
        // statement on every read: Entra reads and writes by id all day. An account SCIM deleted
        // is gone for SCIM (404), as in every listing.
        self.store
            .account(scope, id)
            .await?
            .filter(|account| !account.scim_deleted)
            .ok_or_else(|| user_not_found(&id.to_string()))
    }

    /// `GET /Users` and `POST /Users/.search`: the page and the total number of matches.
    pub async fn scim_list_users(
        &self,
        scope: OrgScope,
        request: &ListRequest,
    ) -> Result<ListPage<Account>> {
        let mut candidates = match request.plan(&USER_RESOURCE, self.candidate_limit) {
            Plan::Store { filter, page } => {
                let (items, total) = self.store.accounts(scope, filter.as_ref(), page).await?;
                return Ok(request.page(items, total));
            }
            Plan::Keyset(keyset) => {
                let list = |filter: Option<StoreFilter>, page| async move {
                    self.store.accounts(scope, filter.as_ref(), page).await
                };
                return Ok(keyset.read(request, list).await?);
            }
            Plan::Memory(candidates) => candidates,
        };
        let mut selection = request.selection(&USER_RESOURCE);
        while let Some((filter, page)) = candidates.next_batch() {
            crate::listing::yield_now().await;
            let (batch, _) = self.store.accounts(scope, filter.as_ref(), page).await?;
            candidates.read(page, &batch)?;
            for account in batch {
                selection.offer(&user_resource(&account, None), account);
            }
        }
        let (items, total) = selection.finish();
        Ok(request.page(items, total))
    }

    /// `PUT /Users/{id}`: replaces the resource's attributes. `active` left out keeps its value,
    /// since a replace that silently deactivated would cost the person their seat.
    pub async fn scim_replace_user(
        &self,
        scope: OrgScope,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
        log: Option<&RequestLog>,
    ) -> Result<Account> {
        let resource = normalize(&USER_RESOURCE, body)?;
        check_required(&USER_RESOURCE, &resource)?;
        let fields = &user_fields(resource);
        until_written(if_match, || async move {
            let current = self.scim_user(scope, id).await?;
            check_version(&current, if_match)?;
            let updated = apply_fields(current.clone(), fields, false);
            self.save(scope, &current, updated, false, log).await
        })
        .await
    }

    /// `PATCH /Users/{id}`, every dialect the protocol core reads.
    pub async fn scim_patch_user(
        &self,
        scope: OrgScope,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
        log: Option<&RequestLog>,
    ) -> Result<Account> {
        let request = &parse_patch(body)?;
        until_written(if_match, || async move {
            let current = self.scim_user(scope, id).await?;
            check_version(&current, if_match)?;
            let (patched, changes) =
                apply_patch(&USER_RESOURCE, &user_resource(&current, None), request)?;
            if changes.is_empty() && current.scim_managed {
                let id = current.id.to_string();
                self.record_unwritten(scope, log, &id, &current.user_name, &[])
                    .await;
                return Ok(current);
            }
            let fields = user_fields(patched);
            let mut updated = current.clone();
            updated.user_name = fields
                .user_name
                .ok_or_else(|| ScimError::mutability("userName cannot be removed"))?;
            updated.external_id = fields.external_id;
            updated.display_name = fields.display_name;
            updated.attributes = fields.attributes;
            updated.active = fields.active.unwrap_or(true);
            updated.active_unassigned = fields.active.is_none();
            self.save(scope, &current, updated, false, log).await
        })
        .await
    }

    /// `DELETE /Users/{id}`: deactivates the account and ends SCIM's management of it; the account
    /// and its content stay, its SCIM memberships end, and SCIM answers 404 for it from now on.
    pub async fn scim_delete_user(
        &self,
        scope: OrgScope,
        id: &str,
        if_match: Option<&str>,
        log: Option<&RequestLog>,
    ) -> Result<()> {
        let stored = until_written(if_match, || async move {
            let current = self.scim_user(scope, id).await?;
            check_version(&current, if_match)?;
            let mut updated = current.clone();
            updated.active = false;
            updated.scim_managed = false;
            updated.scim_deleted = true;
            self.save(scope, &current, updated, true, log).await
        })
        .await?;
        tracing::info!(org.id = %scope.org_id(), user.id = %stored.id, "account deactivated by SCIM DELETE");
        Ok(())
    }

    /// Writes `updated` over `current`: marks it SCIM-managed, stamps deactivation, and asks the
    /// store for a seat when the account becomes active.
    async fn save(
        &self,
        scope: OrgScope,
        current: &Account,
        mut updated: Account,
        end_scim_memberships: bool,
        log: Option<&RequestLog>,
    ) -> Result<Account> {
        if user_name_key(&updated.user_name) != user_name_key(&current.user_name)
            && let Some(org_id) = updated.org_id
        {
            let org = self.org(org_id).await?;
            if !org.admits_user_name(&updated.user_name) {
                return Err(org.outside_domains(&updated.user_name));
            }
        }
        let now = self.now();
        if !updated.scim_deleted {
            updated.scim_managed = true;
        }
        let takes_seat = updated.active && !current.active;
        updated.deactivated_at = crate::accounts::deactivated_at(current, updated.active, now);
        updated.updated_at = now;
        let draft = self.log_draft(scope, log, &updated.id.to_string(), &updated.user_name, &[]);
        self.write(AccountWrite {
            account: updated,
            expected_version: Some(current.version),
            takes_seat,
            end_scim_memberships,
            change: scope.scim_change().logged(draft),
        })
        .await
    }

    /// Every account write, whoever asks: a refusal names the `userName` it is about.
    /// A deactivation also ends the account's console sessions at once (a session check
    /// would refuse them anyway, on their next request).
    pub(crate) async fn write(&self, write: AccountWrite) -> Result<Account> {
        let user_name = write.account.user_name.clone();
        let update = write.expected_version.is_some();
        let account = self
            .store
            .write_account(write)
            .await
            .map_err(|e| Error::from(e).naming(&user_name))?;
        if update
            && !account.active
            && let Err(e) = self.store.delete_account_sessions(account.id).await
        {
            tracing::warn!(user.id = %account.id, error = %e, "ending a deactivated account's console sessions");
        }
        Ok(account)
    }
}

/// The refusal of a `userName` whose account is outside the organization (SPEC §2.3): Roster
/// never moves an existing account into an organization by itself.
pub(crate) fn outside_org(user_name: &str) -> Error {
    Conflict::State(format!(
        "userName '{user_name}' belongs to an account outside this organization. Roster does not move existing accounts: ask a Roster administrator of the organization to add or invite this person first (roster user invite); provisioning will then match and manage the account."
    ))
    .into()
}

/// The account with a POST's or PUT's fields applied; `claim` also brings back a SCIM-deleted
/// account. The role is never touched.
fn apply_fields(mut account: Account, fields: &UserFields, claim: bool) -> Account {
    if let Some(user_name) = &fields.user_name {
        account.user_name.clone_from(user_name);
    }
    account.external_id.clone_from(&fields.external_id);
    account.display_name.clone_from(&fields.display_name);
    account.attributes.clone_from(&fields.attributes);
    if claim {
        account.scim_deleted = false;
        account.active = fields.active.unwrap_or(true);
        account.active_unassigned = false;
    } else if let Some(active) = fields.active {
        account.active = active;
        account.active_unassigned = false;
    }
    account
}

fn parse_user_id(id: &str) -> Result<AccountId> {
    id.parse().map_err(|_| user_not_found(id))
}

fn user_not_found(id: &str) -> Error {
    Error::NotFound(format!("no user with id '{id}' in this organization"))
}

fn check_version(account: &Account, if_match: Option<&str>) -> Result<()> {
    crate::resources::check_if_match(account.version, if_match)
}
