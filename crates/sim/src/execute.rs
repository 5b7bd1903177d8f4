//! Runs a phase's tasks against the server with a fixed number of parallel workers (Entra sends
//! requests concurrently, several membership PATCHes to one group at once), and turns each
//! answer into report entries and confirmed [`Effect`]s.

use std::{future::Future, sync::Arc};

use serde_json::Value;
use tokio::{sync::Semaphore, task::JoinSet};

use crate::{
    attrs::RemoteUser,
    client::ScimClient,
    plan::{GroupTask, MemberTask, UserTask},
    profile::Profile,
    report::{Action, LogEntry, ObjectKind, Status},
    requests::{self, ScimRequest},
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
async fn step(
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
fn resources(body: &Value) -> Vec<Value> {
    body["Resources"].as_array().cloned().unwrap_or_default()
}

/// Records a problem with an answer that was 2xx but unusable.
fn bad_answer(
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

impl Task for UserTask {
    async fn run(self, ctx: Arc<Ctx>) -> TaskOutcome {
        let ctx = &*ctx;
        let mut outcome = TaskOutcome::new(ObjectKey::User(self.user().clone()));
        let profile = ctx.profile;
        match self {
            UserTask::Provision { user, attrs } => {
                let name = attrs.user_name.clone();
                let found = match step(
                    ctx,
                    &mut outcome,
                    &requests::find_user(profile, &name),
                    Action::Match,
                    ObjectKind::User,
                    &name,
                )
                .await
                {
                    Ok(body) => resources(&body),
                    Err(f) => return outcome.fail(f.detail, f.quarantine),
                };
                match found.as_slice() {
                    [] => {
                        let request = requests::create_user(profile, &attrs);
                        match step(
                            ctx,
                            &mut outcome,
                            &request,
                            Action::Create,
                            ObjectKind::User,
                            &name,
                        )
                        .await
                        {
                            Ok(body) => match body["id"].as_str() {
                                Some(id) => {
                                    let scim_id = id.to_owned();
                                    outcome.done(Effect::UserSynced {
                                        user,
                                        scim_id,
                                        attrs,
                                        active: true,
                                    })
                                }
                                None => {
                                    let detail = "the created user has no id".to_owned();
                                    bad_answer(
                                        &mut outcome,
                                        Action::Create,
                                        ObjectKind::User,
                                        &name,
                                        detail.clone(),
                                    );
                                    outcome.fail(detail, false)
                                }
                            },
                            Err(f) => outcome.fail(f.detail, f.quarantine),
                        }
                    }
                    [existing] => {
                        let remote = RemoteUser::from_resource(existing);
                        let Some(scim_id) = remote.id.clone() else {
                            let detail = "the matched user has no id".to_owned();
                            bad_answer(
                                &mut outcome,
                                Action::Match,
                                ObjectKind::User,
                                &name,
                                detail.clone(),
                            );
                            return outcome.fail(detail, false);
                        };
                        let changed = remote.differs_from(&attrs);
                        let reactivate = remote.active != Some(true);
                        if changed.is_empty() && !reactivate {
                            return outcome.done(Effect::UserSynced {
                                user,
                                scim_id,
                                attrs,
                                active: true,
                            });
                        }
                        let request = requests::update_user(
                            profile,
                            &scim_id,
                            &attrs,
                            &changed,
                            reactivate.then_some(true),
                        );
                        match step(
                            ctx,
                            &mut outcome,
                            &request,
                            Action::Update,
                            ObjectKind::User,
                            &name,
                        )
                        .await
                        {
                            Ok(_) => outcome.done(Effect::UserSynced {
                                user,
                                scim_id,
                                attrs,
                                active: true,
                            }),
                            Err(f) => outcome.fail(f.detail, f.quarantine),
                        }
                    }
                    many => {
                        let detail = format!("{} users match userName eq \"{name}\"", many.len());
                        bad_answer(
                            &mut outcome,
                            Action::Match,
                            ObjectKind::User,
                            &name,
                            detail.clone(),
                        );
                        outcome.fail(detail, false)
                    }
                }
            }
            UserTask::Update {
                user,
                scim_id,
                attrs,
                changed,
                reactivate,
            } => {
                let name = attrs.user_name.clone();
                let request = requests::update_user(
                    profile,
                    &scim_id,
                    &attrs,
                    &changed,
                    reactivate.then_some(true),
                );
                match step(
                    ctx,
                    &mut outcome,
                    &request,
                    Action::Update,
                    ObjectKind::User,
                    &name,
                )
                .await
                {
                    Ok(_) => outcome.done(Effect::UserSynced {
                        user,
                        scim_id,
                        attrs,
                        active: true,
                    }),
                    Err(f) => outcome.fail(f.detail, f.quarantine),
                }
            }
            UserTask::SetActive {
                user,
                scim_id,
                user_name,
                active,
            } => {
                let action = if active {
                    Action::Enable
                } else {
                    Action::Disable
                };
                let request = requests::set_active(profile, &scim_id, active);
                match step(
                    ctx,
                    &mut outcome,
                    &request,
                    action,
                    ObjectKind::User,
                    &user_name,
                )
                .await
                {
                    Ok(_) => outcome.done(Effect::UserActive { user, active }),
                    Err(f) => outcome.fail(f.detail, f.quarantine),
                }
            }
            UserTask::Delete {
                user,
                scim_id,
                user_name,
            } => {
                let request = requests::delete_user(profile, &scim_id);
                match step(
                    ctx,
                    &mut outcome,
                    &request,
                    Action::Delete,
                    ObjectKind::User,
                    &user_name,
                )
                .await
                {
                    Ok(_) => outcome.done(Effect::UserDeleted { user }),
                    Err(f) => outcome.fail(f.detail, f.quarantine),
                }
            }
        }
    }
}

impl Task for GroupTask {
    async fn run(self, ctx: Arc<Ctx>) -> TaskOutcome {
        let ctx = &*ctx;
        let mut outcome = TaskOutcome::new(ObjectKey::Group(self.group().clone()));
        let profile = ctx.profile;
        match self {
            GroupTask::Provision {
                group,
                display_name,
                external_id,
            } => {
                let name = display_name.clone();
                let found = match step(
                    ctx,
                    &mut outcome,
                    &requests::find_group(profile, &name),
                    Action::Match,
                    ObjectKind::Group,
                    &name,
                )
                .await
                {
                    Ok(body) => resources(&body),
                    Err(f) => return outcome.fail(f.detail, f.quarantine),
                };
                if matches!(profile, Profile::Entra(_))
                    && found.iter().any(|g| g.get("members").is_some())
                {
                    // Entra logs members returned despite `excludedAttributes=members` as an error.
                    outcome.entries.push(LogEntry {
                        action: Action::Match,
                        kind: ObjectKind::Group,
                        object: name.clone(),
                        status: Status::Warning,
                        http_status: Some(200),
                        request: requests::find_group(profile, &name).describe(),
                        detail: "members returned although excludedAttributes=members".into(),
                    });
                }
                match found.as_slice() {
                    [] => {
                        let request = requests::create_group(profile, &name, &external_id);
                        match step(
                            ctx,
                            &mut outcome,
                            &request,
                            Action::Create,
                            ObjectKind::Group,
                            &name,
                        )
                        .await
                        {
                            Ok(body) => match body["id"].as_str() {
                                Some(id) => {
                                    let scim_id = id.to_owned();
                                    outcome.done(Effect::GroupSynced {
                                        group,
                                        scim_id,
                                        display_name,
                                    })
                                }
                                None => {
                                    let detail = "the created group has no id".to_owned();
                                    bad_answer(
                                        &mut outcome,
                                        Action::Create,
                                        ObjectKind::Group,
                                        &name,
                                        detail.clone(),
                                    );
                                    outcome.fail(detail, false)
                                }
                            },
                            Err(f) => outcome.fail(f.detail, f.quarantine),
                        }
                    }
                    [existing] => match existing["id"].as_str() {
                        Some(id) => {
                            let scim_id = id.to_owned();
                            outcome.done(Effect::GroupSynced {
                                group,
                                scim_id,
                                display_name,
                            })
                        }
                        None => {
                            let detail = "the matched group has no id".to_owned();
                            bad_answer(
                                &mut outcome,
                                Action::Match,
                                ObjectKind::Group,
                                &name,
                                detail.clone(),
                            );
                            outcome.fail(detail, false)
                        }
                    },
                    many => {
                        let detail =
                            format!("{} groups match displayName eq \"{name}\"", many.len());
                        bad_answer(
                            &mut outcome,
                            Action::Match,
                            ObjectKind::Group,
                            &name,
                            detail.clone(),
                        );
                        outcome.fail(detail, false)
                    }
                }
            }
            GroupTask::Rename {
                group,
                scim_id,
                display_name,
            } => {
                let request = requests::rename_group(profile, &scim_id, &display_name);
                match step(
                    ctx,
                    &mut outcome,
                    &request,
                    Action::Update,
                    ObjectKind::Group,
                    &display_name,
                )
                .await
                {
                    Ok(_) => outcome.done(Effect::GroupRenamed {
                        group,
                        display_name,
                    }),
                    Err(f) => outcome.fail(f.detail, f.quarantine),
                }
            }
            GroupTask::Delete {
                group,
                scim_id,
                display_name,
            } => {
                let request = requests::delete_group(profile, &scim_id);
                match step(
                    ctx,
                    &mut outcome,
                    &request,
                    Action::Delete,
                    ObjectKind::Group,
                    &display_name,
                )
                .await
                {
                    Ok(_) => outcome.done(Effect::GroupDeleted { group }),
                    Err(f) => outcome.fail(f.detail, f.quarantine),
                }
            }
        }
    }
}

impl Task for MemberTask {
    async fn run(self, ctx: Arc<Ctx>) -> TaskOutcome {
        let ctx = &*ctx;
        let mut outcome = TaskOutcome::new(ObjectKey::Members(self.group.clone()));
        let refs: Vec<_> = self.members.iter().map(|(_, m)| m.clone()).collect();
        let users: Vec<_> = self.members.into_iter().map(|(u, _)| u).collect();
        let (request, action) = if self.add {
            (
                requests::add_members(ctx.profile, &self.scim_id, &refs),
                Action::AddMembers,
            )
        } else {
            (
                requests::remove_members(ctx.profile, &self.scim_id, &refs),
                Action::RemoveMembers,
            )
        };
        let group = self.group;
        match step(
            ctx,
            &mut outcome,
            &request,
            action,
            ObjectKind::Group,
            &self.display_name,
        )
        .await
        {
            Ok(_) if self.add => outcome.done(Effect::MembersAdded { group, users }),
            Ok(_) => outcome.done(Effect::MembersRemoved { group, users }),
            Err(f) => outcome.fail(f.detail, f.quarantine),
        }
    }
}
