//! Runs a phase's tasks against the server with a fixed number of parallel workers (Entra sends
//! requests concurrently, several membership PATCHes to one group at once), and turns each
//! answer into report entries and confirmed [`Effect`]s.

mod groups;
mod users;

use std::{future::Future, sync::Arc};

use serde_json::Value;
use tokio::{sync::Semaphore, task::JoinSet};

use crate::{
    client::ScimClient,
    profile::Profile,
    report::{Action, LogEntry, ObjectKind, Status},
    requests::ScimRequest,
    state::{Effect, ObjectKey},
};

/// What every task needs: the client and the profile it speaks.
#[derive(Debug)]
pub struct Ctx {
    pub client: ScimClient,
    pub profile: Profile,
}

/// Why a task did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub detail: String,
    /// 401/403: Entra quarantines the whole job.
    pub quarantine: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskOutcome {
    pub key: ObjectKey,
    pub entries: Vec<LogEntry>,
    pub effects: Vec<Effect>,
    pub failure: Option<Failure>,
}

impl TaskOutcome {
    fn new(key: ObjectKey) -> Self {
        Self {
            key,
            entries: Vec::new(),
            effects: Vec::new(),
            failure: None,
        }
    }

    fn done(mut self, effect: Effect) -> Self {
        self.effects.push(effect);
        self
    }

    fn fail(mut self, detail: String, quarantine: bool) -> Self {
        self.failure = Some(Failure { detail, quarantine });
        self
    }
}

/// A unit of work in a phase.
pub trait Task: Send + 'static {
    fn run(self, ctx: Arc<Ctx>) -> impl Future<Output = TaskOutcome> + Send;
}

/// Runs `tasks` with at most `workers` in flight; outcomes come back in task order.
pub async fn run_phase<T: Task>(ctx: &Arc<Ctx>, tasks: Vec<T>, workers: usize) -> Vec<TaskOutcome> {
    let permits = Arc::new(Semaphore::new(workers.max(1)));
    let mut set = JoinSet::new();
    for (index, task) in tasks.into_iter().enumerate() {
        let ctx = Arc::clone(ctx);
        let permits = Arc::clone(&permits);
        set.spawn(async move {
            // The semaphore is never closed, so acquiring only waits.
            let _permit = permits.acquire_owned().await;
            (index, task.run(ctx).await)
        });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = set.join_next().await {
        // A task that panicked leaves no outcome: its object is simply planned again next cycle.
        if let Ok(outcome) = joined {
            outcomes.push(outcome);
        }
    }
    outcomes.sort_by_key(|(index, _)| *index);
    outcomes.into_iter().map(|(_, outcome)| outcome).collect()
}

/// Sends one request and records it. Returns the body on 2xx, the failure otherwise.
pub(super) async fn step(
    ctx: &Ctx,
    outcome: &mut TaskOutcome,
    request: &ScimRequest,
    action: Action,
    kind: ObjectKind,
    object: &str,
) -> Result<Value, Failure> {
    let mut entry = LogEntry {
        action,
        kind,
        object: object.to_owned(),
        status: Status::Success,
        http_status: None,
        request: request.describe(),
        detail: String::new(),
    };
    let result = match ctx.client.send(ctx.profile, request).await {
        Ok(response) => {
            entry.http_status = Some(response.status);
            if response.is_success() {
                if response.throttled > 0 {
                    entry.detail = format!("after {} × 429", response.throttled);
                }
                Ok(response.body)
            } else {
                entry.status = Status::Failure;
                entry.detail = response.detail();
                Err(Failure {
                    detail: format!("{} → {}: {}", entry.request, response.status, entry.detail),
                    quarantine: matches!(response.status, 401 | 403),
                })
            }
        }
        Err(error) => {
            entry.status = Status::Failure;
            entry.detail = error.to_string();
            Err(Failure {
                detail: format!("{} → {error}", entry.request),
                quarantine: false,
            })
        }
    };
    outcome.entries.push(entry);
    result
}

/// The resources of a ListResponse (RFC 7644 §3.4.2).
pub(super) fn resources(body: &Value) -> Vec<Value> {
    body["Resources"].as_array().cloned().unwrap_or_default()
}

/// Records a problem with an answer that was 2xx but unusable.
pub(super) fn bad_answer(
    outcome: &mut TaskOutcome,
    action: Action,
    kind: ObjectKind,
    object: &str,
    detail: String,
) {
    outcome.entries.push(LogEntry {
        action,
        kind,
        object: object.to_owned(),
        status: Status::Failure,
        http_status: None,
        request: String::new(),
        detail,
    });
}
