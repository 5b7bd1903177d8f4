//! Webhook POSTs over HTTP (reqwest, rustls), for the delivery job and the console's resend.
//! The host is resolved here and every address checked against the private-network rule, then
//! the request is pinned to the checked addresses, so a DNS answer that changes between check
//! and connect cannot point a delivery at Roster's own network. Redirects are not followed.

use std::{error::Error as _, time::Duration};

use async_trait::async_trait;
use roster_domain::{WebhookTransport, check_url, resolve_allowed};

/// Posts webhooks; `allow_private` lets them reach loopback and private addresses.
#[derive(Debug, Clone, Copy)]
pub struct WebhookClient {
    timeout: Duration,
    allow_private: bool,
}

impl WebhookClient {
    pub fn new(timeout: Duration, allow_private: bool) -> Self {
        Self {
            timeout,
            allow_private,
        }
    }
}

impl Default for WebhookClient {
    fn default() -> Self {
        Self::new(Duration::from_secs(10), false)
    }
}

#[async_trait]
impl WebhookTransport for WebhookClient {
    async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> Result<u16, String> {
        let target = check_url(url).map_err(|e| e.to_string())?;
        let addrs = resolve_allowed(&target, self.allow_private)
            .await
            .map_err(|e| e.to_string())?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .resolve_to_addrs(&target.host, &addrs)
            .build()
            .map_err(|e| format!("preparing the request: {e}"))?;
        let mut request = client.post(url).body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        match request.send().await {
            Ok(response) => Ok(response.status().as_u16()),
            Err(e) if e.is_timeout() => {
                Err(format!("no answer within {} s", self.timeout.as_secs_f32()))
            }
            Err(e) => {
                let mut text = e.to_string();
                let mut source = e.source();
                while let Some(cause) = source {
                    text.push_str(": ");
                    text.push_str(&cause.to_string());
                    source = cause.source();
                }
                Err(text)
            }
        }
    }
}
