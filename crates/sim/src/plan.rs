//! What a cycle sends, decided without I/O: the directory's intended state is compared with what
//! the job last wrote ([`JobState`]). A cycle runs three phases — users, groups, memberships —
//! each planned after the previous one's results are applied, as Entra orders them: users who
//! lose every assignment are disabled before their group is deleted, and memberships are added
//! once both ends exist.

use std::collections::BTreeSet;

use crate::{
    attrs::{Attr, UserAttrs},
    directory::{Directory, GroupId, UserId},
    profile::Profile,
    report::{Action, LogEntry, ObjectKind, Status},
    requests::MemberRef,
    scope::Scope,
    state::{JobState, ObjectKey},
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserTask {
    /// Match by `userName`, then create, or update what differs (initial cycle, or a user the
    /// job holds no anchor for).
    Provision { user: UserId, attrs: UserAttrs },
    /// Send the changed attributes; `reactivate` adds `active: true`.
    Update {
        user: UserId,
        scim_id: String,
        attrs: UserAttrs,
        changed: Vec<Attr>,
        reactivate: bool,
    },
    SetActive {
        user: UserId,
        scim_id: String,
        user_name: String,
        active: bool,
    },
    Delete {
        user: UserId,
        scim_id: String,
        user_name: String,
    },
}

impl UserTask {
    pub fn user(&self) -> &UserId {
        match self {
            Self::Provision { user, .. }
            | Self::Update { user, .. }
            | Self::SetActive { user, .. }
            | Self::Delete { user, .. } => user,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupTask {
    /// Match by `displayName` (without members), then create if absent.
    Provision {
        group: GroupId,
        display_name: String,
        external_id: String,
    },
    Rename {
        group: GroupId,
        scim_id: String,
        display_name: String,
    },
    Delete {
        group: GroupId,
        scim_id: String,
        display_name: String,
    },
}

impl GroupTask {
    pub fn group(&self) -> &GroupId {
        match self {
            Self::Provision { group, .. }
            | Self::Rename { group, .. }
            | Self::Delete { group, .. } => group,
        }
    }
}

/// One membership PATCH: a batch of members added to or removed from one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberTask {
    pub group: GroupId,
    pub scim_id: String,
    pub display_name: String,
    pub add: bool,
    pub members: Vec<(UserId, MemberRef)>,
}

/// A phase's tasks, and a report entry for each object skipped because it is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan<T> {
    pub tasks: Vec<T>,
    pub skipped: Vec<LogEntry>,
}

impl<T> Default for Plan<T> {
    fn default() -> Self {
        Self {
            tasks: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

fn skipped(
    state: &JobState,
    key: &ObjectKey,
    cycle: u64,
    action: Action,
    kind: ObjectKind,
    object: &str,
) -> Option<LogEntry> {
    state.held_in(key, cycle).map(|held| LogEntry {
        action,
        kind,
        object: object.to_owned(),
        status: Status::Skipped,
        http_status: None,
        request: String::new(),
        detail: format!(
            "held after {} failure(s), retried in cycle {}: {}",
            held.failures, held.retry_cycle, held.detail
        ),
    })
}

/// The users phase of cycle `cycle`.
pub fn plan_users(
    directory: &Directory,
    state: &JobState,
    profile: Profile,
    cycle: u64,
) -> Plan<UserTask> {
    let scope = Scope::of(directory);
    let mut plan = Plan::default();
    for id in &scope.users {
        let Some(dir_user) = directory.users.get(id) else {
            continue;
        };
        let attrs = UserAttrs::from(&dir_user.spec);
        let task = match state.users.get(id) {
            None => UserTask::Provision {
                user: id.clone(),
                attrs,
            },
            Some(synced) => {
                let changed = attrs.changed_from(&synced.attrs);
                if !changed.is_empty() {
                    UserTask::Update {
                        user: id.clone(),
                        scim_id: synced.scim_id.clone(),
                        attrs,
                        changed,
                        reactivate: !synced.active,
                    }
                } else if !synced.active {
                    UserTask::SetActive {
                        user: id.clone(),
                        scim_id: synced.scim_id.clone(),
                        user_name: attrs.user_name,
                        active: true,
                    }
                } else {
                    continue;
                }
            }
        };
        push_user(&mut plan, state, cycle, task);
    }
    // Anchored users now out of scope: unassigned (disable) or gone from the directory (delete).
    for (id, synced) in &state.users {
        if scope.users.contains(id) {
            continue;
        }
        let gone = !directory.users.contains_key(id);
        let task = if gone && profile.deletes_users() {
            UserTask::Delete {
                user: id.clone(),
                scim_id: synced.scim_id.clone(),
                user_name: synced.attrs.user_name.clone(),
            }
        } else if synced.active {
            UserTask::SetActive {
                user: id.clone(),
                scim_id: synced.scim_id.clone(),
                user_name: synced.attrs.user_name.clone(),
                active: false,
            }
        } else {
            continue;
        };
        push_user(&mut plan, state, cycle, task);
    }
    plan
}

fn push_user(plan: &mut Plan<UserTask>, state: &JobState, cycle: u64, task: UserTask) {
    let (action, name) = match &task {
        UserTask::Provision { attrs, .. } => (Action::Create, attrs.user_name.clone()),
        UserTask::Update { attrs, .. } => (Action::Update, attrs.user_name.clone()),
        UserTask::SetActive {
            user_name, active, ..
        } => (
            if *active {
                Action::Enable
            } else {
                Action::Disable
            },
            user_name.clone(),
        ),
        UserTask::Delete { user_name, .. } => (Action::Delete, user_name.clone()),
    };
    let key = ObjectKey::User(task.user().clone());
    match skipped(state, &key, cycle, action, ObjectKind::User, &name) {
        Some(entry) => plan.skipped.push(entry),
        None => plan.tasks.push(task),
    }
}

/// The groups phase: create or adopt assigned groups, rename, delete unassigned ones.
pub fn plan_groups(directory: &Directory, state: &JobState, cycle: u64) -> Plan<GroupTask> {
    let scope = Scope::of(directory);
    let mut plan = Plan::default();
    let mut push = |task: GroupTask, action: Action, name: &str| {
        let key = ObjectKey::Group(task.group().clone());
        match skipped(state, &key, cycle, action, ObjectKind::Group, name) {
            Some(entry) => plan.skipped.push(entry),
            None => plan.tasks.push(task),
        }
    };
    for id in &scope.groups {
        let Some(group) = directory.groups.get(id) else {
            continue;
        };
        match state.groups.get(id) {
            None => push(
                GroupTask::Provision {
                    group: id.clone(),
                    display_name: group.display_name.clone(),
                    external_id: group.mail_nickname.clone(),
                },
                Action::Create,
                &group.display_name,
            ),
            Some(synced) if synced.display_name != group.display_name => push(
                GroupTask::Rename {
                    group: id.clone(),
                    scim_id: synced.scim_id.clone(),
                    display_name: group.display_name.clone(),
                },
                Action::Update,
                &group.display_name,
            ),
            Some(_) => {}
        }
    }
    for (id, synced) in &state.groups {
        if !scope.groups.contains(id) {
            push(
                GroupTask::Delete {
                    group: id.clone(),
                    scim_id: synced.scim_id.clone(),
                    display_name: synced.display_name.clone(),
                },
                Action::Delete,
                &synced.display_name,
            );
        }
    }
    plan
}

/// The memberships phase: for each provisioned group, add the direct members the job has not
/// added yet and remove those no longer members, in batches of `batch` per PATCH.
pub fn plan_members(
    directory: &Directory,
    state: &JobState,
    cycle: u64,
    batch: usize,
) -> Plan<MemberTask> {
    let scope = Scope::of(directory);
    let batch = batch.max(1);
    let mut plan = Plan::default();
    for id in &scope.groups {
        let Some(synced) = state.groups.get(id) else {
            continue;
        };
        // Members whose user has no anchor yet (creation failed or held) wait for a later cycle.
        let wanted: BTreeSet<UserId> = Scope::members_of(directory, id)
            .into_iter()
            .filter(|u| state.users.contains_key(u))
            .collect();
        let to_add: Vec<&UserId> = wanted.difference(&synced.members).collect();
        let to_remove: Vec<&UserId> = synced
            .members
            .difference(&wanted)
            .filter(|u| state.users.contains_key(*u))
            .collect();
        if to_add.is_empty() && to_remove.is_empty() {
            continue;
        }
        let key = ObjectKey::Members(id.clone());
        let action = if to_add.is_empty() {
            Action::RemoveMembers
        } else {
            Action::AddMembers
        };
        if let Some(entry) = skipped(
            state,
            &key,
            cycle,
            action,
            ObjectKind::Group,
            &synced.display_name,
        ) {
            plan.skipped.push(entry);
            continue;
        }
        for (add, users) in [(true, to_add), (false, to_remove)] {
            for chunk in users.chunks(batch) {
                let members = chunk
                    .iter()
                    .filter_map(|u| {
                        state.users.get(*u).map(|s| {
                            (
                                (*u).clone(),
                                MemberRef {
                                    id: s.scim_id.clone(),
                                    display: s.attrs.user_name.clone(),
                                },
                            )
                        })
                    })
                    .collect();
                plan.tasks.push(MemberTask {
                    group: id.clone(),
                    scim_id: synced.scim_id.clone(),
                    display_name: synced.display_name.clone(),
                    add,
                    members,
                });
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests;
