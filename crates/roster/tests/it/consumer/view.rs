//! The reference consumer: a small "content service" that follows `GET /api/v1/events` with a
//! deployment API key and keeps only its own view — which accounts exist and are active, which
//! groups each organization has and who is in them — to answer one question: may this learner
//! see content shared with this group? It saves its cursor with its view after every page, as a
//! real service would in one transaction, so it can be killed at any moment and resume.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the content service knows, built from events alone.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    /// organization → group → member accounts.
    pub groups: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
    /// account → (organization, active).
    pub accounts: BTreeMap<String, (String, bool)>,
}

impl View {
    /// The grant: content shared with `group` is visible to `account` when it is an active
    /// member of it.
    pub fn may_see(&self, org: &str, group: &str, account: &str) -> bool {
        self.accounts
            .get(account)
            .is_some_and(|(_, active)| *active)
            && self
                .groups
                .get(org)
                .and_then(|groups| groups.get(group))
                .is_some_and(|members| members.contains(account))
    }

    /// Applies one event. Anything that contradicts the view so far (a member added twice,
    /// removed without being added, a group deleted with members left) means the feed skipped
    /// or repeated an event, and fails the test.
    pub fn apply(&mut self, e: &Value) {
        let kind = e["type"].as_str().unwrap_or_default();
        let org = e["org"].as_str().unwrap_or_default().to_owned();
        let account = e["account_id"].as_str().unwrap_or_default().to_owned();
        let group = e["group_id"].as_str().unwrap_or_default().to_owned();
        match kind {
            "account.created"
            | "account.updated"
            | "account.deactivated"
            | "account.reactivated" => {
                let active = e["data"]["account"]["active"]
                    .as_bool()
                    .unwrap_or_else(|| panic!("an account event carries the account: {e:#}"));
                if kind != "account.created" {
                    assert!(
                        self.accounts.contains_key(&account),
                        "{kind} of an account never created: {e:#}"
                    );
                }
                self.accounts.insert(account, (org, active));
            }
            "account.removed" => {
                let in_groups = self
                    .groups
                    .values()
                    .flat_map(BTreeMap::values)
                    .any(|members| members.contains(&account));
                assert!(!in_groups, "removed while still a member: {e:#}");
                assert!(self.accounts.remove(&account).is_some(), "{e:#}");
            }
            "group.created" | "group.adopted" => {
                self.groups
                    .entry(org)
                    .or_default()
                    .entry(group)
                    .or_default();
            }
            "group.deleted" => {
                let members = self
                    .groups
                    .get_mut(&org)
                    .and_then(|groups| groups.remove(&group))
                    .unwrap_or_else(|| panic!("deleted a group never created: {e:#}"));
                assert!(
                    members.is_empty(),
                    "deleted with members left (their removals come first): {e:#}"
                );
            }
            "membership.added" => {
                assert!(
                    self.accounts.contains_key(&account),
                    "member is no account: {e:#}"
                );
                let members = self
                    .groups
                    .get_mut(&org)
                    .and_then(|groups| groups.get_mut(&group))
                    .unwrap_or_else(|| panic!("member of a group never created: {e:#}"));
                assert!(members.insert(account), "added twice: {e:#}");
            }
            "membership.removed" => {
                let removed = self
                    .groups
                    .get_mut(&org)
                    .and_then(|groups| groups.get_mut(&group))
                    .is_some_and(|members| members.remove(&account));
                assert!(removed, "removed without being added: {e:#}");
            }
            _ => {}
        }
    }
}

/// The consumer's durable state: where it is in the feed and what it has built.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Saved {
    pub cursor: Option<String>,
    pub view: View,
    pub events: usize,
}

#[derive(Debug)]
pub struct Consumer {
    http: reqwest::Client,
    key: String,
    file: std::path::PathBuf,
    pub saved: Saved,
}

impl Consumer {
    /// A consumer resuming from `file` (starting from the feed's beginning when absent).
    pub fn start(key: &str, file: &Path) -> Self {
        let saved = match std::fs::read(file) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap(),
            Err(_) => Saved::default(),
        };
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
            key: key.to_owned(),
            file: file.to_owned(),
            saved,
        }
    }

    /// Reads one page from the instance at `base`, applies it and saves; how many events it
    /// held, `None` when the instance did not answer (killed, restarting).
    pub async fn poll(&mut self, base: &str) -> Option<usize> {
        let mut url = format!("{base}/api/v1/events?limit=200");
        if let Some(cursor) = &self.saved.cursor {
            url.push_str(&format!("&after={cursor}"));
        }
        let response = self
            .http
            .get(url)
            .bearer_auth(&self.key)
            .send()
            .await
            .ok()?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.ok()?;
        // Busy (503) or throttled (429): a real service tries again a moment later.
        if matches!(status, 429 | 503) {
            return None;
        }
        assert_eq!(status, 200, "the feed refused: {body:#}");
        let events = body["events"].as_array().unwrap();
        for event in events {
            self.saved.view.apply(event);
        }
        self.saved.events += events.len();
        self.saved.cursor = Some(body["next"].as_str().unwrap().to_owned());
        // Written whole, then renamed: a kill leaves the old state or the new, never half.
        let temp = self.file.with_extension("tmp");
        std::fs::write(&temp, serde_json::to_vec(&self.saved).unwrap()).unwrap();
        std::fs::rename(&temp, &self.file).unwrap();
        Some(events.len())
    }

    /// Follows the feed through whichever instances `bases` lists (in turn), until `stop` is
    /// set and a page read after that came back empty.
    pub async fn follow(mut self, bases: Arc<Mutex<Vec<String>>>, stop: Arc<AtomicBool>) -> Self {
        let mut turn = 0;
        loop {
            let base = {
                let bases = bases.lock().unwrap();
                bases[turn % bases.len()].clone()
            };
            turn += 1;
            let stopping = stop.load(Ordering::SeqCst);
            match self.poll(&base).await {
                Some(0) if stopping => return self,
                Some(n) if n > 0 => {}
                _ => tokio::time::sleep(Duration::from_millis(25)).await,
            }
        }
    }

    /// Reads until a page is empty.
    pub async fn catch_up(&mut self, base: &str) {
        for _ in 0..1_000 {
            if self.poll(base).await == Some(0) {
                return;
            }
        }
        panic!("the feed never ended");
    }
}
