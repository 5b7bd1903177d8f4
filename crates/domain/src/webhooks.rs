//! Webhooks (SPEC §7): the change feed pushed to an endpoint, per organization or for the whole
//! deployment, signed the Standard Webhooks way. The secret is shown once and kept sealed under
//! the server's secret key (it must be used again to sign, so it cannot be hashed). What the
//! delivery job does with an endpoint is in `webhook_delivery.rs`; this file is the endpoints
//! themselves, their checks, and what the CLI and the console call.

use std::{future::Future, net::IpAddr};

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    Admin, AuditAction, Capped, Conflict, Error, EventPosition, Internal, OrgId, OrgScope, Roster,
    audit::Actor, error::Result,
};

/// Standard Webhooks' prefix, so receivers' libraries take the secret as it is printed.
const SECRET_PREFIX: &str = "whsec_";
const SECRET_BYTES: usize = 32;
const URL_MAX_CHARS: usize = 2_000;
const DESCRIPTION_MAX_CHARS: usize = 200;
/// Entries of the delivery log shown at most.
pub const DELIVERY_LOG_MAX: u32 = 200;
/// Endpoints an organization may have, paused ones included; and deployment endpoints, apart.
/// Each endpoint costs a read every delivery tick and a POST per batch, so one tenant must not
/// be able to add them without bound.
pub const WEBHOOKS_MAX: u32 = 20;
/// How long resolving an endpoint's host may take when it is added: the system resolver has no
/// bound of its own, and a request (or the CLI) waiting on it would hang.
const RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookState {
    Active,
    Paused,
}

impl WebhookState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Paused]
            .into_iter()
            .find(|w| w.as_str() == s)
    }
}

/// A stored endpoint. `sealed_secret` opens only with the server's key and this endpoint's id.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct WebhookRecord {
    #[serde(serialize_with = "as_text")]
    pub id: Uuid,
    /// `None`: a deployment endpoint, which receives every organization's events.
    #[serde(rename = "org")]
    pub org_id: Option<OrgId>,
    pub url: String,
    pub description: String,
    #[serde(skip)]
    pub sealed_secret: Vec<u8>,
    pub state: WebhookState,
    /// The last event delivered (or the feed's head when the endpoint was added).
    #[serde(skip)]
    pub cursor: EventPosition,
    /// When `cursor` last moved.
    #[serde(skip)]
    pub cursor_at: OffsetDateTime,
    /// The last event of the batch being retried: a retry resends exactly that batch, so its
    /// `webhook-id` stays the same.
    #[serde(skip)]
    pub pending: Option<EventPosition>,
    /// Failed attempts since the last success.
    pub attempts: u32,
    #[serde(with = "time::serde::rfc3339::option")]
    pub failing_since: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
    /// The instance delivering to it now, until `lease_until`.
    #[serde(skip)]
    pub claimed_by: Option<String>,
    #[serde(skip)]
    pub lease_until: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub paused_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for WebhookRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookRecord")
            .field("id", &self.id)
            .field("org_id", &self.org_id)
            .field("url", &self.url)
            .field("state", &self.state)
            .field("cursor", &self.cursor)
            .field("pending", &self.pending)
            .field("attempts", &self.attempts)
            .field("sealed_secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// What the delivery job writes back after an attempt (or a quiet cursor move), releasing its
/// claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookProgress {
    pub state: WebhookState,
    pub cursor: EventPosition,
    pub cursor_at: OffsetDateTime,
    pub pending: Option<EventPosition>,
    pub attempts: u32,
    pub failing_since: Option<OffsetDateTime>,
    pub next_attempt_at: Option<OffsetDateTime>,
    pub paused_at: Option<OffsetDateTime>,
}

impl WebhookProgress {
    /// The endpoint's progress as it stands.
    pub fn of(hook: &WebhookRecord) -> Self {
        Self {
            state: hook.state,
            cursor: hook.cursor,
            cursor_at: hook.cursor_at,
            pending: hook.pending,
            attempts: hook.attempts,
            failing_since: hook.failing_since,
            next_attempt_at: hook.next_attempt_at,
            paused_at: hook.paused_at,
        }
    }
}

/// One POST to an endpoint, as the delivery log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookDelivery {
    #[serde(serialize_with = "as_text")]
    pub id: Uuid,
    #[serde(serialize_with = "as_text")]
    pub webhook_id: Uuid,
    /// The `webhook-id` header: the same for every attempt and resend of one batch.
    pub message_id: String,
    /// The endpoint's cursor before the batch, and the batch's last event.
    #[serde(skip)]
    pub after: EventPosition,
    #[serde(skip)]
    pub last: EventPosition,
    pub events: u32,
    /// The receiver's status code; `None` when it did not answer (`error` says why).
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub attempted_at: OffsetDateTime,
    /// 1 for the first attempt of a batch, counting up while it is retried.
    pub attempt: u32,
    /// Sent again by an administrator (or operator), not by the job.
    pub resend: bool,
}

impl WebhookDelivery {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// An endpoint just added: the only time its secret is shown.
#[derive(Clone, Serialize)]
pub struct NewWebhook {
    #[serde(flatten)]
    pub webhook: WebhookRecord,
    pub secret: String,
}

impl std::fmt::Debug for NewWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewWebhook")
            .field("webhook", &self.webhook)
            .field("secret", &"<redacted>")
            .finish()
    }
}

fn as_text<S: serde::Serializer>(id: &Uuid, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(&id.hyphenated())
}

/// A new secret: `whsec_` and the base64 of 32 random bytes.
fn new_secret() -> Result<String> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::Internal(Internal::new(
            "reading the OS random number generator",
            e.to_string(),
        ))
    })?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes)))
}

/// `webhook-signature` for a message: `v1,` and the base64 HMAC-SHA256, keyed with the secret's
/// bytes, of `{id}.{timestamp}.{body}`.
pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &[u8]) -> Result<String> {
    let bad = || {
        Error::Internal(Internal::new(
            "signing a webhook",
            "the stored secret is not a whsec_ secret",
        ))
    };
    let key = STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).ok_or_else(bad)?)
        .map_err(|_| bad())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| bad())?;
    mac.update(message_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-id` of the batch after `after` up to `last` for endpoint `webhook`: derived,
/// not stored, so a retry and a resend carry the same one.
pub fn message_id(webhook: Uuid, after: EventPosition, last: EventPosition) -> String {
    let digest = Sha256::digest(format!(
        "{webhook}.{}.{}.{}.{}",
        after.xid, after.id, last.xid, last.id
    ));
    format!("msg_{}", URL_SAFE_NO_PAD.encode(&digest[..18]))
}

/// Where a URL points: its host (without brackets) and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
}

/// Checks an endpoint URL's form: http or https, a host, no credentials, printable.
pub fn check_url(url: &str) -> Result<Target> {
    let invalid = |why: &str| Error::Invalid(format!("the webhook URL {why}"));
    if url.chars().count() > URL_MAX_CHARS {
        return Err(invalid(&format!(
            "must be at most {URL_MAX_CHARS} characters"
        )));
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid("must not contain spaces or control characters"));
    }
    let (rest, default_port) = if let Some(rest) = strip_prefix_ignore_case(url, "https://") {
        (rest, 443)
    } else if let Some(rest) = strip_prefix_ignore_case(url, "http://") {
        (rest, 80)
    } else {
        return Err(invalid("must start with https:// or http://"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(invalid("must not contain a user name or password"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| invalid("has an unclosed [ in its host"))?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(invalid("has no host"));
    }
    let port = match port {
        None => default_port,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| invalid("has a port that is not a number from 1 to 65535"))?,
    };
    Ok(Target {
        host: host.to_ascii_lowercase(),
        port,
    })
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len() && s.is_char_boundary(prefix.len()))
        .then(|| s.split_at(prefix.len()))
        .filter(|(head, _)| head.eq_ignore_ascii_case(prefix))
        .map(|(_, rest)| rest)
}

/// Whether an address is on the public internet: not loopback, private, link-local, shared,
/// multicast, documentation or otherwise reserved. Webhooks go only there unless the operator
/// allows private networks, so an endpoint cannot make Roster probe its own network.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

/// The addresses `target` resolves to on the system resolver, within 5 s, refused when any is
/// not public (unless `allow_private`).
pub async fn resolve_allowed(
    target: &Target,
    allow_private: bool,
) -> Result<Vec<std::net::SocketAddr>> {
    let host = target.host.clone();
    let port = target.port;
    let lookup = async move {
        tokio::task::spawn_blocking(move || {
            use std::net::ToSocketAddrs;
            (host.as_str(), port)
                .to_socket_addrs()
                .map(Iterator::collect::<Vec<_>>)
        })
        .await
        .map_err(|e| Error::Internal(Internal::new("resolving a webhook host", e.to_string())))
    };
    resolve_with(target, allow_private, RESOLVE_TIMEOUT, lookup).await
}

/// [`resolve_allowed`] with the lookup and its bound given, so tests can make a resolver hang.
/// A lookup still running when the bound passes is left to finish on the blocking pool: a
/// system resolver call cannot be cancelled.
async fn resolve_with(
    target: &Target,
    allow_private: bool,
    within: std::time::Duration,
    lookup: impl Future<Output = Result<std::io::Result<Vec<std::net::SocketAddr>>>>,
) -> Result<Vec<std::net::SocketAddr>> {
    let addrs = tokio::time::timeout(within, lookup)
        .await
        .map_err(|_| {
            Error::Invalid(format!(
                "could not resolve {} within {} s",
                target.host,
                within.as_secs_f64()
            ))
        })??
        .map_err(|e| {
            Error::Invalid(format!(
                "the webhook host '{}' does not resolve: {e}",
                target.host
            ))
        })?;
    if addrs.is_empty() {
        return Err(Error::Invalid(format!(
            "the webhook host '{}' has no address",
            target.host
        )));
    }
    if !allow_private && let Some(private) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(Error::Invalid(format!(
            "the webhook host '{}' resolves to {}, a loopback, private or link-local address: \
             webhooks go to public addresses only unless the server runs with \
             --webhook-allow-private-networks",
            target.host,
            private.ip()
        )));
    }
    Ok(addrs)
}

impl Roster {
    /// Adds an endpoint for `org` (which must exist) or the whole deployment, as the operator.
    pub async fn add_webhook(
        &self,
        org: Option<OrgId>,
        url: &str,
        description: Option<&str>,
    ) -> Result<NewWebhook> {
        self.add_webhook_as(Actor::Operator, org, url, description)
            .await
    }

    /// Adds an endpoint for the administrator's organization, audited.
    pub async fn console_add_webhook(
        &self,
        admin: &Admin,
        url: &str,
        description: Option<&str>,
    ) -> Result<NewWebhook> {
        self.add_webhook_as(Actor::Admin(admin), Some(admin.org_id()), url, description)
            .await
    }

    async fn add_webhook_as(
        &self,
        actor: Actor<'_>,
        org: Option<OrgId>,
        url: &str,
        description: Option<&str>,
    ) -> Result<NewWebhook> {
        let url = url.trim();
        let target = check_url(url)?;
        let description = description.unwrap_or_default().trim();
        if description.chars().count() > DESCRIPTION_MAX_CHARS
            || description.chars().any(char::is_control)
        {
            return Err(Error::Invalid(format!(
                "a webhook's description must be at most {DESCRIPTION_MAX_CHARS} printable characters"
            )));
        }
        let key = self.secret_key.as_deref().ok_or_else(|| {
            Error::Invalid(
                "webhooks need the server's secret key, to keep their signing secrets \
                 encrypted: set --secret-key-file or ROSTER_SECRET_KEY_FILE to a file of 32 \
                 random bytes, the same file on every instance"
                    .into(),
            )
        })?;
        if let Some(org) = org {
            self.org(org).await?;
        }
        resolve_allowed(&target, self.webhook_private_networks).await?;
        let id = Uuid::new_v4();
        let secret = new_secret()?;
        // New endpoints receive what happens from now on; the feed has what came before.
        let page = self.store.events_page(None, None, 0).await?;
        let now = self.now();
        let record = WebhookRecord {
            id,
            org_id: org,
            url: url.to_owned(),
            description: description.to_owned(),
            sealed_secret: key.seal(&id.to_string(), &secret)?,
            state: WebhookState::Active,
            cursor: page.head.unwrap_or(page.horizon).max(page.horizon),
            cursor_at: now,
            pending: None,
            attempts: 0,
            failing_since: None,
            next_attempt_at: None,
            claimed_by: None,
            lease_until: None,
            created_at: now,
            paused_at: None,
        };
        if self.store.insert_webhook(&record, WEBHOOKS_MAX).await? == Capped::LimitReached {
            return Err(Conflict::State(match org {
                Some(_) => format!(
                    "this organization already has {WEBHOOKS_MAX} webhook endpoints; remove one \
                     before adding another"
                ),
                None => format!(
                    "this deployment already has {WEBHOOKS_MAX} deployment-wide webhook \
                     endpoints; remove one before adding another"
                ),
            })
            .into());
        }
        tracing::info!(webhook.id = %id, org.id = ?org, "webhook added");
        if let Some(org) = org {
            self.audit_as(org, actor, AuditAction::WebhookAdded, Some(url), None)
                .await?;
        }
        Ok(NewWebhook {
            webhook: record,
            secret,
        })
    }

    /// Every endpoint (the operator's view), oldest first.
    pub async fn webhooks(&self) -> Result<Vec<WebhookRecord>> {
        Ok(self.store.webhooks().await?)
    }

    /// The administrator's organization's endpoints, oldest first.
    pub async fn console_webhooks(&self, admin: &Admin) -> Result<Vec<WebhookRecord>> {
        Ok(self.store.org_webhooks(admin.scope()).await?)
    }

    /// The endpoint `id`, when `within` (an administrator's organization) may see it: another
    /// organization's is "not found", like one that does not exist.
    async fn webhook_within(&self, id: &str, within: Option<OrgScope>) -> Result<WebhookRecord> {
        let not_found = || Error::NotFound(format!("no webhook with id '{id}'"));
        let uuid: Uuid = id.trim().parse().map_err(|_| not_found())?;
        let hook = match within {
            Some(scope) => self.store.org_webhook(scope, uuid).await?,
            None => self.store.webhook(uuid).await?,
        };
        hook.ok_or_else(not_found)
    }

    pub async fn webhook(&self, id: &str) -> Result<WebhookRecord> {
        self.webhook_within(id, None).await
    }

    pub async fn console_webhook(&self, admin: &Admin, id: &str) -> Result<WebhookRecord> {
        self.webhook_within(id, Some(admin.scope())).await
    }

    pub async fn remove_webhook(&self, id: &str) -> Result<()> {
        self.remove_webhook_as(Actor::Operator, None, id).await
    }

    pub async fn console_remove_webhook(&self, admin: &Admin, id: &str) -> Result<()> {
        self.remove_webhook_as(Actor::Admin(admin), Some(admin.scope()), id)
            .await
    }

    async fn remove_webhook_as(
        &self,
        actor: Actor<'_>,
        within: Option<OrgScope>,
        id: &str,
    ) -> Result<()> {
        let hook = self.webhook_within(id, within).await?;
        if !self.store.delete_webhook(hook.id).await? {
            return Err(Error::NotFound(format!("no webhook with id '{id}'")));
        }
        tracing::info!(webhook.id = %hook.id, "webhook removed");
        if let Some(org) = hook.org_id {
            self.audit_as(
                org,
                actor,
                AuditAction::WebhookRemoved,
                Some(&hook.url),
                None,
            )
            .await?;
        }
        Ok(())
    }

    pub async fn pause_webhook(&self, id: &str) -> Result<WebhookRecord> {
        self.set_webhook_state_as(Actor::Operator, None, id, WebhookState::Paused)
            .await
    }

    pub async fn resume_webhook(&self, id: &str) -> Result<WebhookRecord> {
        self.set_webhook_state_as(Actor::Operator, None, id, WebhookState::Active)
            .await
    }

    pub async fn console_set_webhook_state(
        &self,
        admin: &Admin,
        id: &str,
        state: WebhookState,
    ) -> Result<WebhookRecord> {
        self.set_webhook_state_as(Actor::Admin(admin), Some(admin.scope()), id, state)
            .await
    }

    /// Pauses or resumes an endpoint. Resuming starts afresh (no backoff) from its cursor, so
    /// it receives everything that happened while it was paused.
    async fn set_webhook_state_as(
        &self,
        actor: Actor<'_>,
        within: Option<OrgScope>,
        id: &str,
        state: WebhookState,
    ) -> Result<WebhookRecord> {
        let hook = self.webhook_within(id, within).await?;
        if hook.state == state {
            return Ok(hook);
        }
        if !self
            .store
            .set_webhook_state(hook.id, state, self.now())
            .await?
        {
            return Err(Error::NotFound(format!("no webhook with id '{id}'")));
        }
        tracing::info!(webhook.id = %hook.id, webhook.state = state.as_str(), "webhook state changed");
        if let Some(org) = hook.org_id {
            let action = match state {
                WebhookState::Active => AuditAction::WebhookResumed,
                WebhookState::Paused => AuditAction::WebhookPaused,
            };
            self.audit_as(org, actor, action, Some(&hook.url), None)
                .await?;
        }
        self.webhook_within(id, within).await
    }

    /// The endpoint's newest deliveries, newest first.
    pub async fn webhook_deliveries(&self, id: &str, limit: u32) -> Result<Vec<WebhookDelivery>> {
        let hook = self.webhook_within(id, None).await?;
        Ok(self
            .store
            .webhook_deliveries(hook.id, limit.clamp(1, DELIVERY_LOG_MAX))
            .await?)
    }

    pub async fn console_webhook_deliveries(
        &self,
        admin: &Admin,
        id: &str,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>> {
        let hook = self.webhook_within(id, Some(admin.scope())).await?;
        Ok(self
            .store
            .webhook_deliveries(hook.id, limit.clamp(1, DELIVERY_LOG_MAX))
            .await?)
    }

    /// The secret of an endpoint, opened for signing.
    pub(crate) fn webhook_secret(&self, hook: &WebhookRecord) -> Result<String> {
        let key = self.secret_key.as_deref().ok_or_else(|| {
            Error::Internal(Internal::new(
                "opening a webhook secret",
                "the server has no secret key (--secret-key-file)",
            ))
        })?;
        key.open(&hook.id.to_string(), &hook.sealed_secret)
    }
}

/// A refusal for a resend whose events are gone.
pub(crate) fn trimmed() -> Error {
    Conflict::State(
        "the events of this delivery were trimmed from the feed; resynchronise from the read API"
            .into(),
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_for_scheme_host_port_and_credentials() {
        assert_eq!(
            check_url("https://hooks.example.com/roster?x=1").unwrap(),
            Target {
                host: "hooks.example.com".into(),
                port: 443
            }
        );
        assert_eq!(check_url("HTTP://127.0.0.1:9000/x").unwrap().port, 9000);
        assert_eq!(check_url("http://[::1]:81/").unwrap().host, "::1");
        for bad in [
            "ftp://x",
            "https://",
            "https://a@b/",
            "https://x:0/",
            "https://x:99999/",
            "https://x y/",
            "file:///etc/passwd",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn a_resolver_that_hangs_is_given_up_on_with_the_host_and_the_bound() {
        let target = Target {
            host: "slow.example.com".into(),
            port: 443,
        };
        let hangs = std::future::pending::<Result<std::io::Result<Vec<std::net::SocketAddr>>>>();
        let refused = resolve_with(&target, false, std::time::Duration::from_millis(20), hangs)
            .await
            .unwrap_err();
        assert!(matches!(refused, Error::Invalid(_)), "{refused:?}");
        assert_eq!(
            refused.to_string(),
            "could not resolve slow.example.com within 0.02 s"
        );
        // An answer in time is checked as before.
        let public: std::net::SocketAddr = "93.184.216.34:443".parse().unwrap();
        let answered = resolve_with(
            &target,
            false,
            RESOLVE_TIMEOUT,
            std::future::ready(Ok(Ok(vec![public]))),
        )
        .await
        .unwrap();
        assert_eq!(answered, vec![public]);
    }

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification.
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_are_whsec_and_thirty_two_bytes() {
        let secret = new_secret().unwrap();
        let bytes = STANDARD
            .decode(secret.strip_prefix("whsec_").unwrap())
            .unwrap();
        assert_eq!(bytes.len(), 32);
        assert_ne!(secret, new_secret().unwrap());
    }

    #[test]
    fn message_ids_depend_on_the_batch_only() {
        let w = Uuid::new_v4();
        let a = EventPosition { xid: 0, id: 1 };
        let b = EventPosition { xid: 0, id: 9 };
        assert_eq!(message_id(w, a, b), message_id(w, a, b));
        assert_ne!(message_id(w, a, b), message_id(w, b, b));
        assert_ne!(message_id(w, a, b), message_id(Uuid::new_v4(), a, b));
    }
}
