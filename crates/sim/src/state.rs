//! What the provisioning job remembers between cycles, as Entra's job does: the anchor (SCIM id)
//! of every object it provisioned, the values it last wrote, and the objects held after failures
//! with the cycle in which they are retried.

use std::collections::{BTreeMap, BTreeSet};

use crate::{
    attrs::UserAttrs,
    directory::{GroupId, UserId},
};

/// A user as last written to the SCIM endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedUser {
    pub scim_id: String,
    pub attrs: UserAttrs,
    pub active: bool,
}

/// A group as last written: its name and the members the job added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedGroup {
    pub scim_id: String,
    pub display_name: String,
    pub members: BTreeSet<UserId>,
}

/// What a failure is held against. Memberships are held apart from the group itself so a
/// failing member batch does not stop a rename.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKey {
    User(UserId),
    Group(GroupId),
    Members(GroupId),
}

/// A failed object, held until `retry_cycle`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub failures: u32,
    pub retry_cycle: u64,
    pub detail: String,
}

/// Growing gaps between retries, counted in cycles (Entra: 30 min, 1 h, 2 h, ...; a cycle is
/// ~40 min). Simulated time: no sleeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Cycles to wait after the first failure.
    pub first: u64,
    /// The longest wait.
    pub max: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { first: 1, max: 8 }
    }
}

impl Backoff {
    /// Cycles to wait after the `failures`-th consecutive failure: first, 2×first, 4×first, ...
    pub fn after(self, failures: u32) -> u64 {
        let doublings = failures.saturating_sub(1).min(16);
        self.first.saturating_mul(1 << doublings).min(self.max)
    }
}

/// A hard deletion the job sent, remembered so the comparison can check the id is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub name: String,
    pub scim_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobState {
    /// The number of the last cycle run; 0 before the initial cycle.
    pub cycle: u64,
    pub users: BTreeMap<UserId, SyncedUser>,
    pub groups: BTreeMap<GroupId, SyncedGroup>,
    pub deleted_users: Vec<Deleted>,
    pub deleted_groups: Vec<Deleted>,
    pub held: BTreeMap<ObjectKey, Held>,
    /// Set by a 401/403: the job stops until someone fixes the credentials.
    pub quarantine: Option<String>,
}

impl JobState {
    /// The hold on `key` if it is not due in `cycle`.
    pub fn held_in(&self, key: &ObjectKey, cycle: u64) -> Option<&Held> {
        self.held.get(key).filter(|h| h.retry_cycle > cycle)
    }

    pub fn record_failure(&mut self, key: ObjectKey, detail: String, backoff: Backoff) {
        let failures = self.held.get(&key).map_or(1, |h| h.failures + 1);
        let retry_cycle = self.cycle + backoff.after(failures);
        self.held.insert(
            key,
            Held {
                failures,
                retry_cycle,
                detail,
            },
        );
    }

    pub fn record_success(&mut self, key: &ObjectKey) {
        self.held.remove(key);
    }

    /// The directory user whose anchor is this SCIM id.
    pub fn user_by_scim_id(&self, scim_id: &str) -> Option<&UserId> {
        self.users
            .iter()
            .find(|(_, u)| u.scim_id == scim_id)
            .map(|(id, _)| id)
    }
}

/// A confirmed change on the SCIM side, applied to the job's memory once the server said 2xx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Created, matched or updated: the anchor and the values now on the server.
    UserSynced {
        user: UserId,
        scim_id: String,
        attrs: UserAttrs,
        active: bool,
    },
    UserActive {
        user: UserId,
        active: bool,
    },
    UserDeleted {
        user: UserId,
    },
    GroupSynced {
        group: GroupId,
        scim_id: String,
        display_name: String,
    },
    GroupRenamed {
        group: GroupId,
        display_name: String,
    },
    GroupDeleted {
        group: GroupId,
    },
    MembersAdded {
        group: GroupId,
        users: Vec<UserId>,
    },
    MembersRemoved {
        group: GroupId,
        users: Vec<UserId>,
    },
}

impl JobState {
    pub fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::UserSynced {
                user,
                scim_id,
                attrs,
                active,
            } => {
                self.users.insert(
                    user,
                    SyncedUser {
                        scim_id,
                        attrs,
                        active,
                    },
                );
            }
            Effect::UserActive { user, active } => {
                if let Some(u) = self.users.get_mut(&user) {
                    u.active = active;
                }
            }
            Effect::UserDeleted { user } => {
                if let Some(u) = self.users.remove(&user) {
                    self.deleted_users.push(Deleted {
                        name: u.attrs.user_name,
                        scim_id: u.scim_id,
                    });
                }
                // A deleted user's SCIM-managed memberships end on the server (SPEC.md §2.5).
                for group in self.groups.values_mut() {
                    group.members.remove(&user);
                }
            }
            Effect::GroupSynced {
                group,
                scim_id,
                display_name,
            } => {
                // Matching does not read members: the job adds every intended member next.
                self.groups.insert(
                    group,
                    SyncedGroup {
                        scim_id,
                        display_name,
                        members: BTreeSet::new(),
                    },
                );
            }
            Effect::GroupRenamed {
                group,
                display_name,
            } => {
                if let Some(g) = self.groups.get_mut(&group) {
                    g.display_name = display_name;
                }
            }
            Effect::GroupDeleted { group } => {
                if let Some(g) = self.groups.remove(&group) {
                    self.deleted_groups.push(Deleted {
                        name: g.display_name,
                        scim_id: g.scim_id,
                    });
                }
            }
            Effect::MembersAdded { group, users } => {
                if let Some(g) = self.groups.get_mut(&group) {
                    g.members.extend(users);
                }
            }
            Effect::MembersRemoved { group, users } => {
                if let Some(g) = self.groups.get_mut(&group) {
                    for user in &users {
                        g.members.remove(user);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_first_gap_up_to_the_maximum() {
        let backoff = Backoff { first: 1, max: 8 };
        let gaps: Vec<u64> = (1..=6).map(|n| backoff.after(n)).collect();
        assert_eq!(gaps, vec![1, 2, 4, 8, 8, 8]);
    }

    #[test]
    fn a_failed_object_is_held_until_its_retry_cycle() {
        let mut state = JobState {
            cycle: 3,
            ..JobState::default()
        };
        let key = ObjectKey::User(UserId("u".into()));
        state.record_failure(key.clone(), "seat limit".into(), Backoff::default());
        state.record_failure(key.clone(), "seat limit".into(), Backoff::default());

        assert_eq!(state.held[&key].failures, 2);
        assert_eq!(state.held[&key].retry_cycle, 5);
        assert!(state.held_in(&key, 4).is_some());
        assert!(state.held_in(&key, 5).is_none());

        state.record_success(&key);
        assert!(state.held.is_empty());
    }
}
