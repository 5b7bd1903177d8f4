//! The change feed (SPEC §7): events in commit order after an opaque cursor, each exactly once
//! when read with the cursor returned. Every request's work is bounded: at most `limit` rows, or
//! with a type filter at most [`FEED_SCAN`] rows examined, and the cursor returned advances past
//! what was examined (past the whole feed's head when the reader has caught up), so a filtered
//! or quiet reader never rescans and never falls behind the retention horizon by idling.

use std::collections::HashSet;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use crate::{ApiKey, Error, Event, EventPosition, EventType, OrgId, Roster, error::Result};

pub const FEED_LIMIT_DEFAULT: u32 = 100;
pub const FEED_LIMIT_MAX: u32 = 1_000;
/// Rows a filtered request examines at most.
pub const FEED_SCAN: u32 = 5_000;
/// How long events are kept unless configured otherwise.
pub const EVENT_RETENTION_DAYS: u32 = 30;

/// A feed request as the API receives it.
#[derive(Debug, Clone, Default)]
pub struct FeedQuery {
    pub after: Option<String>,
    pub org: Option<String>,
    /// Comma-separated event types.
    pub types: Option<String>,
    pub limit: Option<u32>,
}

/// A position in the feed, as readers hold it: opaque text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedCursor(pub EventPosition);

impl FeedCursor {
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("v1.{}.{}", self.0.xid, self.0.id))
    }

    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.strip_prefix("v1.")?.splitn(2, '.');
        let xid = parts.next()?.parse().ok()?;
        let id = parts.next()?.parse().ok()?;
        Some(Self(EventPosition { xid, id }))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum FeedPage {
    Page {
        events: Vec<Event>,
        next: String,
    },
    /// The cursor points before the oldest retained event: the reader missed events and must
    /// resynchronise from the read API.
    Gone,
}

/// An event as the feed (and later webhooks) shows it.
pub fn event_json(event: &Event) -> Value {
    let e = &event.event;
    json!({
        "id": FeedCursor(event.position).encode(),
        "type": e.kind.as_str(),
        "org": e.org_id,
        "source": e.source.as_str(),
        "actor": e.actor,
        "account_id": e.account_id,
        "group_id": e.group_id,
        "occurred_at": e.occurred_at.format(&Rfc3339).unwrap_or_default(),
        "data": e.data,
    })
}

impl Roster {
    pub async fn events_feed(&self, key: &ApiKey, query: FeedQuery) -> Result<FeedPage> {
        let limit = query.limit.unwrap_or(FEED_LIMIT_DEFAULT);
        if !(1..=FEED_LIMIT_MAX).contains(&limit) {
            return Err(Error::Invalid(format!(
                "limit must be between 1 and {FEED_LIMIT_MAX}"
            )));
        }
        let asked: Option<OrgId> = match query.org.as_deref().filter(|o| !o.is_empty()) {
            None => None,
            Some(org) => Some(org.parse().map_err(|_| org_not_found(org))?),
        };
        let org = match (key.org(), asked) {
            (Some(own), Some(asked)) if own != asked => {
                return Err(org_not_found(&asked.to_string()));
            }
            (Some(own), _) => Some(own),
            (None, asked) => asked,
        };
        let types = match query.types.as_deref().filter(|t| !t.is_empty()) {
            None => None,
            Some(types) => Some(
                types
                    .split(',')
                    .map(|t| {
                        EventType::parse(t.trim()).ok_or_else(|| {
                            Error::Invalid(format!("unknown event type '{}'", t.trim()))
                        })
                    })
                    .collect::<Result<HashSet<_>>>()?,
            ),
        };
        let after = match query.after.as_deref().filter(|a| !a.is_empty()) {
            None => None,
            Some(after) => Some(
                FeedCursor::decode(after)
                    .ok_or_else(|| {
                        Error::Invalid(
                            "'after' is not a cursor this feed returned: pass 'next' unchanged"
                                .into(),
                        )
                    })?
                    .0,
            ),
        };
        let fetch = if types.is_some() { FEED_SCAN } else { limit };
        let page = self.store.events_page(after, org, fetch).await?;
        if after.is_some_and(|a| a < page.horizon) {
            return Ok(FeedPage::Gone);
        }
        let examined = page.events.len();
        let mut last = after;
        let mut events = Vec::new();
        for event in page.events {
            last = Some(event.position);
            if types.as_ref().is_none_or(|t| t.contains(&event.event.kind)) {
                events.push(event);
                if events.len() == limit as usize {
                    break;
                }
            }
        }
        let caught_up = events.len() < limit as usize && examined < fetch as usize;
        let next = if caught_up { last.max(page.head) } else { last };
        let next = next.unwrap_or(page.horizon);
        Ok(FeedPage::Page {
            events,
            next: FeedCursor(next).encode(),
        })
    }
}

/// Events a trim removes per store call: each call is one short transaction (one writer turn
/// on SQLite), so provisioning is never held up by a large trim.
const TRIM_BATCH: u32 = 1_000;

impl Roster {
    /// Removes events older than `days`, in batches; returns how many went. Readers whose
    /// cursor is older get 410 from then on.
    pub async fn trim_events(&self, days: u32) -> Result<u64> {
        let before = self.now() - time::Duration::days(i64::from(days));
        let mut trimmed = 0;
        loop {
            let n = self.store.trim_events(before, TRIM_BATCH).await?;
            trimmed += n;
            if n < u64::from(TRIM_BATCH) {
                // Webhook deliveries are kept as long as the events they carried.
                self.store.trim_webhook_deliveries(before).await?;
                return Ok(trimmed);
            }
            tokio::task::yield_now().await;
        }
    }
}

fn org_not_found(org: &str) -> Error {
    Error::NotFound(format!("no organization '{org}' readable with this key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_and_refuse_anything_else() {
        let c = FeedCursor(EventPosition { xid: 812, id: 77 });
        assert_eq!(FeedCursor::decode(&c.encode()), Some(c));
        assert_eq!(FeedCursor::decode("abc"), None);
        assert_eq!(FeedCursor::decode(&URL_SAFE_NO_PAD.encode("v2.1.2")), None);
    }
}
