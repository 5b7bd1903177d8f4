//! The HTTP side: sends a [`ScimRequest`] to a tenant URL with the bearer token, and honours
//! `Retry-After` on 429 the way recent Entra versions do (sleeping, with a cap tests keep tiny).

use std::{
    fmt,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use reqwest::{Url, header};
use serde_json::Value;

use crate::{profile::Profile, requests::ScimRequest};

/// Where and how to talk to the SCIM tenant.
#[derive(Clone)]
pub struct ClientConfig {
    /// The Tenant URL, e.g. `http://127.0.0.1:8080/scim/v2/<org>`. A query string on it (such as
    /// `?aadOptscim062020`) is dropped: the profile decides the flag.
    pub tenant_url: String,
    pub token: String,
    /// Entra gives up on a request after 60 s.
    pub timeout: Duration,
    /// The longest `Retry-After` honoured by sleeping; longer answers are slept for this long.
    pub max_retry_after: Duration,
    /// How many 429 answers in a row one request survives before it counts as failed.
    pub max_throttle_retries: u32,
    /// The most requests started per second by this client, whatever its parallelism (Entra's
    /// pace: Microsoft asks apps to sustain 25 per tenant); `None` sends each request as soon as
    /// a worker is free.
    pub requests_per_second: Option<u32>,
}

impl ClientConfig {
    pub fn new(tenant_url: &str, token: &str) -> Self {
        Self {
            tenant_url: tenant_url.to_owned(),
            token: token.to_owned(),
            timeout: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(2),
            max_throttle_retries: 5,
            requests_per_second: None,
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a secret: never printed.
        f.debug_struct("ClientConfig")
            .field("tenant_url", &self.tenant_url)
            .field("token", &"<redacted>")
            .field("timeout", &self.timeout)
            .field("max_retry_after", &self.max_retry_after)
            .field("max_throttle_retries", &self.max_throttle_retries)
            .field("requests_per_second", &self.requests_per_second)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid tenant URL '{0}'")]
    TenantUrl(String),
    #[error("{0}")]
    Transport(String),
}

/// A server's answer: status, JSON body (`Null` when empty; a string when not JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct ScimResponse {
    pub status: u16,
    pub body: Value,
    /// How many 429 answers were slept through before this one.
    pub throttled: u32,
}

impl ScimResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The SCIM error `detail` (RFC 7644 §3.12), or what the body says otherwise.
    pub fn detail(&self) -> String {
        match &self.body {
            Value::Object(o) => o
                .get("detail")
                .and_then(Value::as_str)
                .map_or_else(|| self.body.to_string(), str::to_owned),
            Value::Null => String::new(),
            Value::String(s) => s.chars().take(300).collect(),
            other => other.to_string(),
        }
    }
}

#[derive(Clone)]
pub struct ScimClient {
    http: reqwest::Client,
    base: Url,
    token: String,
    config: ClientConfig,
    /// When the next request may start, under [`ClientConfig::requests_per_second`]; clones
    /// share the pace.
    next_start: Arc<Mutex<Instant>>,
}

impl fmt::Debug for ScimClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimClient")
            .field("base", &self.base.as_str())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ScimClient {
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        let mut base = Url::parse(config.tenant_url.trim_end_matches('/'))
            .map_err(|_| ClientError::TenantUrl(config.tenant_url.clone()))?;
        base.set_query(None);
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            base,
            token: config.token.clone(),
            config,
            next_start: Arc::new(Mutex::new(Instant::now())),
        })
    }

    /// Waits for this request's turn under the pace: each request takes the next free slot, one
    /// interval after the previous one's, so workers share the rate instead of each having it.
    async fn wait_for_turn(&self) {
        let Some(rate) = self.config.requests_per_second.filter(|r| *r > 0) else {
            return;
        };
        let interval = Duration::from_secs(1) / rate;
        let start = {
            let mut next = self
                .next_start
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let start = (*next).max(Instant::now());
            *next = start + interval;
            start
        };
        tokio::time::sleep_until(start.into()).await;
    }

    pub fn url(&self, request: &ScimRequest) -> Url {
        let mut url = self.base.clone();
        let path = format!("{}{}", url.path().trim_end_matches('/'), request.path);
        url.set_path(&path);
        if !request.query.is_empty() {
            // Form encoding: spaces as `+`, `@` as `%40`, as Entra sends filters.
            let mut pairs = url.query_pairs_mut();
            for (key, value) in &request.query {
                match value {
                    Some(value) => pairs.append_pair(key, value),
                    None => pairs.append_key_only(key),
                };
            }
        }
        url
    }

    /// Sends the request; sleeps through 429 answers (bounded) and returns the final answer.
    pub async fn send(
        &self,
        profile: Profile,
        request: &ScimRequest,
    ) -> Result<ScimResponse, ClientError> {
        let mut throttled = 0;
        loop {
            let (status, retry_after, body) = self.send_once(profile, request).await?;
            if status == 429 && throttled < self.config.max_throttle_retries {
                throttled += 1;
                let wait = retry_after
                    .unwrap_or(Duration::from_millis(200))
                    .min(self.config.max_retry_after);
                tokio::time::sleep(wait).await;
                continue;
            }
            return Ok(ScimResponse {
                status,
                body,
                throttled,
            });
        }
    }

    async fn send_once(
        &self,
        profile: Profile,
        request: &ScimRequest,
    ) -> Result<(u16, Option<Duration>, Value), ClientError> {
        self.wait_for_turn().await;
        let method = reqwest::Method::from_bytes(request.method.as_str().as_bytes())
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        let mut builder = self
            .http
            .request(method, self.url(request))
            .bearer_auth(&self.token)
            .header(header::ACCEPT, "application/scim+json")
            .header(header::USER_AGENT, profile.user_agent())
            .header("client-request-id", uuid::Uuid::new_v4().to_string());
        if let Some(body) = &request.body {
            builder = builder
                .header(header::CONTENT_TYPE, profile.content_type())
                .body(body.to_string());
        }
        let response = builder
            .send()
            .await
            .map_err(|e| ClientError::Transport(describe_transport(&e)))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ClientError::Transport(describe_transport(&e)))?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Ok((status, retry_after, body))
    }
}

fn describe_transport(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        format!("cannot connect: {error}")
    } else {
        error.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{profile::Dialect, requests};

    #[test]
    fn filters_are_form_encoded_and_appended_to_the_tenant_path() {
        let client = ScimClient::new(ClientConfig::new(
            "http://127.0.0.1:9/scim/v2/org-1?aadOptscim062020",
            "t",
        ))
        .unwrap();
        let request = requests::find_user(Profile::Entra(Dialect::Flag), "ada@x.org");

        assert_eq!(
            client.url(&request).as_str(),
            "http://127.0.0.1:9/scim/v2/org-1/Users?aadOptscim062020&filter=userName+eq+%22ada%40x.org%22"
        );
    }

    use crate::fake_server::{self, Canned};

    fn quick(url: &str) -> ScimClient {
        let mut config = ClientConfig::new(url, "t");
        config.max_retry_after = Duration::from_millis(50);
        config.max_throttle_retries = 2;
        ScimClient::new(config).unwrap()
    }

    #[tokio::test]
    async fn a_429_is_retried_after_the_servers_retry_after() {
        let server = fake_server::start(vec![
            Canned::new(429, r#"{"detail":"slow down"}"#).header("retry-after", "0"),
            Canned::new(200, r#"{"totalResults":0,"Resources":[]}"#),
        ])
        .await;
        let request = requests::find_user(Profile::Okta, "a@x.org");

        let response = quick(&server.url)
            .send(Profile::Okta, &request)
            .await
            .unwrap();

        assert_eq!(response.status, 200);
        assert_eq!(response.throttled, 1);
        assert_eq!(server.requests.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn throttling_beyond_the_retry_budget_is_returned_as_the_429() {
        let server = fake_server::start(vec![
            Canned::new(429, r#"{"detail":"slow down"}"#).header("retry-after", "3600"),
        ])
        .await;
        let request = requests::find_user(Profile::Okta, "a@x.org");
        let started = std::time::Instant::now();

        let response = quick(&server.url)
            .send(Profile::Okta, &request)
            .await
            .unwrap();

        assert_eq!(response.status, 429);
        assert_eq!(response.throttled, 2);
        assert_eq!(response.detail(), "slow down");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "Retry-After is capped"
        );
    }

    #[tokio::test]
    async fn a_paced_client_spreads_its_workers_requests_over_the_rate() {
        let server = fake_server::start(vec![Canned::new(
            200,
            r#"{"totalResults":0,"Resources":[]}"#,
        )])
        .await;
        let mut config = ClientConfig::new(&server.url, "t");
        config.requests_per_second = Some(20);
        let client = ScimClient::new(config).unwrap();
        let request = requests::find_user(Profile::Okta, "a@x.org");
        let started = std::time::Instant::now();

        // Five workers at once: the pace, not their number, decides when each request starts
        // (0, 50, 100, 150 and 200 ms); unpaced, five local requests take a few milliseconds.
        let send = || client.send(Profile::Okta, &request);
        let answers = tokio::join!(send(), send(), send(), send(), send());
        let answers = [answers.0, answers.1, answers.2, answers.3, answers.4];

        assert!(
            answers
                .iter()
                .all(|a| a.as_ref().is_ok_and(|r| r.status == 200))
        );
        assert!(
            started.elapsed() >= Duration::from_millis(200),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(server.requests.load(std::sync::atomic::Ordering::SeqCst), 5);
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let config = ClientConfig::new("http://127.0.0.1:9/scim/v2/o", "s3cret-token");
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
