//! [`Roster`]: the domain's entry point. The SCIM API and the CLI (and the console, when it
//! comes) hold one and call the same methods, so each product rule is enforced in exactly one place.

use std::sync::Arc;
use time::{Duration, OffsetDateTime};

use crate::{
    Change, Clock, Conflict, Error, EventType, NewOrg, Org, OrgId, OrgScope, OrgStatus, OrgUpdate,
    activity::Presented,
    error::Result,
    org_event, orgs,
    store::Store,
    tokens::{self, ScimCredentials, TokenHash},
};

#[derive(Debug, Clone)]
pub struct Roster {
    pub(crate) store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    floods: Arc<crate::log::FloodDigest>,
    /// Tokens verified moments ago (see the module), shared by every clone of this Roster.
    tokens: Arc<crate::token_cache::TokenCache>,
    pub(crate) activity: Arc<crate::activity::ActivityTracker>,
    /// The most candidate rows a list request evaluated in memory examines.
    pub(crate) candidate_limit: u64,
    /// The most members one list response carries in all.
    pub(crate) list_members_budget: u64,
    /// Seals secrets Roster must use again (SSO client secrets); `None`: SSO cannot be set up.
    pub(crate) secret_key: Option<Arc<crate::SecretKey>>,
    /// Where Microsoft Entra ID issuers live; tests point it at a local provider.
    pub(crate) microsoft_authority: String,
    /// Whether webhook endpoints may be on loopback or private networks (tests, labs).
    pub(crate) webhook_private_networks: bool,
    /// This instance's webhook deliveries under way, shared by every clone of this Roster.
    pub(crate) deliveries: Arc<crate::webhook_delivery::InFlight>,
}

impl Roster {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            floods: Arc::default(),
            tokens: Arc::default(),
            activity: Arc::default(),
            candidate_limit: crate::listing::MAX_CANDIDATES,
            list_members_budget: crate::LIST_MEMBERS_BUDGET,
            secret_key: None,
            microsoft_authority: crate::MICROSOFT_AUTHORITY.to_owned(),
            webhook_private_networks: false,
            deliveries: Arc::default(),
        }
    }

    /// This Roster accepting webhook endpoints on loopback and private networks, which it
    /// refuses by default (`--webhook-allow-private-networks`).
    pub fn with_webhook_private_networks(self, allow: bool) -> Self {
        Self {
            webhook_private_networks: allow,
            ..self
        }
    }

    /// This Roster with the server's secret key, so SSO can be configured and used.
    pub fn with_secret_key(self, key: crate::SecretKey) -> Self {
        Self {
            secret_key: Some(Arc::new(key)),
            ..self
        }
    }

    /// This Roster with Microsoft issuers under `authority` instead of
    /// [`MICROSOFT_AUTHORITY`](crate::MICROSOFT_AUTHORITY); for tests against a local provider.
    pub fn with_microsoft_authority(self, authority: &str) -> Self {
        Self {
            microsoft_authority: authority.trim_end_matches('/').to_owned(),
            ..self
        }
    }

    /// This Roster with list responses carrying at most `budget` members in all instead of
    /// [`LIST_MEMBERS_BUDGET`](crate::LIST_MEMBERS_BUDGET); for tests.
    pub fn with_list_members_budget(self, budget: u64) -> Self {
        Self {
            list_members_budget: budget,
            ..self
        }
    }

    /// This Roster with list requests evaluated in memory refused beyond `limit` candidate rows
    /// instead of [`MAX_CANDIDATES`](crate::MAX_CANDIDATES); for tests that cross the bound with
    /// few rows.
    pub fn with_candidate_limit(self, limit: u64) -> Self {
        Self {
            candidate_limit: limit,
            ..self
        }
    }

    /// Whether the store answers; for `/readyz`.
    pub async fn ready(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }

    pub async fn create_org(&self, new: NewOrg) -> Result<OrgStatus> {
        let org = self.new_org(new)?;
        self.store.insert_org(&org).await?;
        tracing::info!(org.id = %org.id, org.kind = %org.kind, org.seats = org.seats, "organization created");
        Ok(OrgStatus {
            org,
            seats_used: 0,
            scim_enabled: false,
        })
    }

    /// A new organization from what was asked, checked, not stored yet.
    pub(crate) fn new_org(&self, new: NewOrg) -> Result<Org> {
        let now = self.now();
        Ok(Org {
            id: OrgId::new_random(),
            name: orgs::validate_name(&new.name)?,
            kind: new.kind,
            seats: orgs::validate_seats(new.seats)?,
            retention_days: None,
            domains: Vec::new(),
            created_at: now,
            updated_at: now,
        })
    }

    pub async fn org_status(&self, id: OrgId) -> Result<OrgStatus> {
        let org = self.org(id).await?;
        self.status_of(org).await
    }

    pub async fn update_org(&self, id: OrgId, update: OrgUpdate) -> Result<OrgStatus> {
        self.update_org_as(id, update, &Change::cli()).await
    }

    pub(crate) async fn update_org_as(
        &self,
        id: OrgId,
        update: OrgUpdate,
        change: &Change,
    ) -> Result<OrgStatus> {
        let before = self.org(id).await?;
        let mut org = before.clone();
        if let Some(seats) = update.seats {
            org.seats = orgs::validate_seats(seats)?;
        }
        if let Some(retention) = update.retention_days {
            org.retention_days = orgs::validate_retention(retention)?;
        }
        if let Some(domains) = update.domains {
            org.domains = orgs::validate_domains(domains)?;
        }
        org.updated_at = self.now();
        let events: Vec<_> = crate::org_updated(change, &before, &org)
            .into_iter()
            .collect();
        self.store.update_org(&org, &events).await?;
        tracing::info!(org.id = %org.id, org.seats = org.seats, org.retention_days = ?org.retention_days, "organization updated");
        self.status_of(org).await
    }

    /// Turns SCIM provisioning on and issues the organization's first token. Refused when SCIM is
    /// already enabled, so a second `enable` cannot silently cut off a working identity provider;
    /// `rotate_scim_token` is the way to get a new token then.
    pub async fn enable_scim(&self, id: OrgId, public_url: &str) -> Result<ScimCredentials> {
        self.enable_scim_as(id, public_url, &Change::cli()).await
    }

    pub(crate) async fn enable_scim_as(
        &self,
        id: OrgId,
        public_url: &str,
        change: &Change,
    ) -> Result<ScimCredentials> {
        let org = self.org(id).await?;
        let (token, record) = tokens::generate(org.id, self.now())?;
        let enabled = org_event(change, org.id, EventType::OrgScimEnabled, record.created_at);
        self.store
            .install_scim_token(&record, None, true, &[enabled])
            .await?;
        self.tokens.forget_org(org.id);
        tracing::info!(org.id = %org.id, "SCIM enabled");
        Ok(ScimCredentials {
            tenant_url: tokens::tenant_url(public_url, org.id),
            token,
        })
    }

    /// Issues a new token. The previous one keeps working for `grace` so the administrator can
    /// paste the new one into the identity provider without failed provisioning cycles.
    pub async fn rotate_scim_token(
        &self,
        id: OrgId,
        public_url: &str,
        grace: Duration,
    ) -> Result<ScimCredentials> {
        self.rotate_scim_token_as(id, public_url, grace, &Change::cli())
            .await
    }

    pub(crate) async fn rotate_scim_token_as(
        &self,
        id: OrgId,
        public_url: &str,
        grace: Duration,
        change: &Change,
    ) -> Result<ScimCredentials> {
        if grace.is_negative() {
            return Err(Error::Invalid("grace period must not be negative".into()));
        }
        let org = self.org(id).await?;
        let now = self.now();
        let scope = OrgScope::new(org.id);
        if self.store.valid_scim_tokens(scope, now).await?.is_empty() {
            return Err(Conflict::State(format!(
                "SCIM is not enabled for organization {}; use 'roster scim enable' first",
                org.id
            ))
            .into());
        }
        let (token, record) = tokens::generate(org.id, now)?;
        let previous_valid_until = (grace > Duration::ZERO).then(|| now + grace);
        self.store
            .install_scim_token(
                &record,
                previous_valid_until,
                false,
                &[org_event(
                    change,
                    org.id,
                    EventType::OrgScimTokenRotated,
                    now,
                )],
            )
            .await?;
        // The previous token's record changed (its grace period): read it again next time.
        self.tokens.forget_org(org.id);
        tracing::info!(org.id = %org.id, grace.seconds = grace.whole_seconds(), "SCIM token rotated");
        Ok(ScimCredentials {
            tenant_url: tokens::tenant_url(public_url, org.id),
            token,
        })
    }

    /// Revokes every token: the identity provider gets 401 from now on.
    pub async fn disable_scim(&self, id: OrgId) -> Result<OrgStatus> {
        self.disable_scim_as(id, &Change::cli()).await
    }

    pub(crate) async fn disable_scim_as(&self, id: OrgId, change: &Change) -> Result<OrgStatus> {
        let org = self.org(id).await?;
        let disabled = org_event(change, org.id, EventType::OrgScimDisabled, self.now());
        let revoked = self
            .store
            .revoke_scim_tokens(OrgScope::new(org.id), &[disabled])
            .await?;
        self.tokens.forget_org(org.id);
        tracing::info!(org.id = %org.id, tokens.revoked = revoked, "SCIM disabled");
        self.status_of(org).await
    }

    /// Verifies a bearer token presented on an organization's tenant URL and mints the scope
    /// every later call of that request needs. Every failure is the same 401 to the caller, so a
    /// probe learns nothing about which organizations or tokens exist.
    pub async fn authenticate_scim(
        &self,
        org_segment: &str,
        bearer: Option<&str>,
    ) -> Result<OrgScope> {
        let refused = || {
            Error::Unauthorized(
                "The bearer token is missing, revoked or not valid for this tenant URL. Copy the Secret token shown when SCIM was enabled or rotated into the identity provider.".into(),
            )
        };
        let org_id: OrgId = org_segment.parse().map_err(|_| refused())?;
        let scope = OrgScope::new(org_id);
        let presented = match bearer.filter(|b| !b.is_empty()) {
            Some(bearer) => self.presented_token(scope, bearer).await?,
            None => Presented::Wrong,
        };
        let now = self.now();
        if let Presented::Valid(token) = presented {
            self.activity.presented(org_id, now, presented);
            return Ok(OrgScope::for_token(org_id, token));
        }
        // Counted only for an organization that exists, so probes of made-up URLs add nothing.
        if self.store.org(org_id).await?.is_some() {
            self.activity.presented(org_id, now, presented);
        }
        Err(refused())
    }

    /// Whether `bearer` is a valid token of the organization, one it had (expired or revoked),
    /// or neither.
    async fn presented_token(&self, scope: OrgScope, bearer: &str) -> Result<Presented> {
        let presented = TokenHash::of(bearer);
        let now = self.now();
        if let Some(record) = self.tokens.get(&presented)
            && record.hash.ct_eq(&presented)
            && record.org_id == scope.org_id()
            && record.is_valid_at(now)
        {
            return Ok(Presented::Valid(record.id));
        }
        if let Some(record) = self.store.scim_token(&presented).await?
            && record.hash.ct_eq(&presented)
            && record.org_id == scope.org_id()
        {
            return Ok(if record.is_valid_at(now) {
                let id = record.id;
                self.tokens.put(record);
                Presented::Valid(id)
            } else {
                Presented::Old
            });
        }
        Ok(
            if self.store.is_retired_scim_token(scope, &presented).await? {
                Presented::Old
            } else {
                Presented::Wrong
            },
        )
    }

    /// Appends to the organization's provisioning log. Refusals of a flood (429) are digested:
    /// the first of each minute is written, with how many the previous minute left unwritten.
    pub async fn record(&self, scope: OrgScope, mut entry: crate::LogEntry) -> Result<()> {
        entry.org_id = scope.org_id();
        // Counted first: an entry a flood leaves out costs nothing more.
        let Some(entry) = self.floods.admit(entry) else {
            return Ok(());
        };
        Ok(self.store.append_log(&entry.recordable()).await?)
    }

    /// The success entry of a SCIM write about `resource_id`/`name`, for the store to insert in
    /// the write's transaction; `None` without a request to log, or when a flood leaves it out
    /// (then only counted). Each attempt of a retried write asks anew, so a flood may count a
    /// write that conflicted and was retried twice: never a reason to lose an entry.
    pub(crate) fn log_draft(
        &self,
        scope: OrgScope,
        log: Option<&crate::RequestLog>,
        resource_id: &str,
        name: &str,
        invalid_members: &[String],
    ) -> Option<crate::LogDraft> {
        let log = log?;
        let entry = crate::LogEntry {
            org_id: scope.org_id(),
            at: self.now(),
            operation: log.operation.clone(),
            resource_type: log.resource_type.clone(),
            resource_id: Some(resource_id.to_owned()),
            name: Some(name.to_owned()),
            outcome: crate::Outcome::Success,
            status: log.status,
            detail: None,
            duration_ms: u64::try_from(log.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            client_request_id: log.client_request_id.clone(),
        };
        let entry = self.floods.admit(entry)?;
        Some(crate::LogDraft::new(entry, invalid_members.to_vec()))
    }

    /// Records the success entry of a SCIM request that wrote nothing (a PATCH that changes
    /// nothing): there is no write transaction to carry it.
    pub(crate) async fn record_unwritten(
        &self,
        scope: OrgScope,
        log: Option<&crate::RequestLog>,
        resource_id: &str,
        name: &str,
        invalid_members: &[String],
    ) {
        if let Some(draft) = self.log_draft(scope, log, resource_id, name, invalid_members)
            && let Err(e) = self.store.append_log(&draft.complete(&[])).await
        {
            // Nothing changed, so nothing acknowledged goes missing: the answer stands.
            tracing::warn!(org.id = %scope.org_id(), error = %e, "could not record a provisioning log entry");
        }
    }

    /// The organization's provisioning log, newest first.
    pub async fn provisioning_log(&self, org: OrgId, limit: u32) -> Result<Vec<crate::LogEntry>> {
        let org = self.org(org).await?;
        Ok(self.store.log_entries(OrgScope::new(org.id), limit).await?)
    }

    /// The current time at the precision stores keep (microseconds), so what a call returns
    /// equals what a later read returns. Everything Roster stamps takes its time from here.
    pub fn now(&self) -> OffsetDateTime {
        let now = self.clock.now();
        now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
            .unwrap_or(now)
    }

    pub(crate) async fn org(&self, id: OrgId) -> Result<Org> {
        self.store
            .org(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("organization {id} does not exist")))
    }

    async fn status_of(&self, org: Org) -> Result<OrgStatus> {
        let scope = OrgScope::new(org.id);
        let seats_used = self.store.seats_used(scope).await?;
        let scim_enabled = !self
            .store
            .valid_scim_tokens(scope, self.now())
            .await?
            .is_empty();
        Ok(OrgStatus {
            org,
            seats_used,
            scim_enabled,
        })
    }
}
