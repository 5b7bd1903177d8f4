//! Scope "Sync only assigned users and groups": who and what the job provisions.
//!
//! A user is in scope when assigned directly, or as a *direct* member of an assigned group.
//! Nested groups are not expanded (ENTRA.md, "Rhythm"): a member of a group nested in an assigned
//! group is out of scope unless assigned some other way.

use std::collections::BTreeSet;

use crate::directory::{Directory, GroupId, UserId};

/// The users and groups in scope of the application, computed from the directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub users: BTreeSet<UserId>,
    pub groups: BTreeSet<GroupId>,
}

impl Scope {
    pub fn of(directory: &Directory) -> Self {
        let groups: BTreeSet<GroupId> = directory
            .assigned_groups
            .iter()
            .filter(|g| directory.groups.contains_key(*g))
            .cloned()
            .collect();
        let mut users: BTreeSet<UserId> = directory
            .assigned_users
            .iter()
            .filter(|u| directory.users.contains_key(*u))
            .cloned()
            .collect();
        for group in &groups {
            if let Some(g) = directory.groups.get(group) {
                users.extend(
                    g.members
                        .iter()
                        .filter(|u| directory.users.contains_key(*u))
                        .cloned(),
                );
            }
        }
        Self { users, groups }
    }

    /// The members a provisioned group should have: its direct user members (all in scope,
    /// since the group is assigned).
    pub fn members_of(directory: &Directory, group: &GroupId) -> BTreeSet<UserId> {
        directory
            .groups
            .get(group)
            .map(|g| {
                g.members
                    .iter()
                    .filter(|u| directory.users.contains_key(*u))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::UserSpec;

    fn user(dir: &mut Directory, login: &str) -> UserId {
        dir.add_user(UserSpec::simple(login, "example.edu"))
    }

    #[test]
    fn users_are_in_scope_when_assigned_directly_or_through_an_assigned_group() {
        let mut dir = Directory::new();
        let direct = user(&mut dir, "direct.one");
        let member = user(&mut dir, "member.one");
        let outsider = user(&mut dir, "outside.one");
        let group = dir.add_group("Biology 101");
        dir.add_member(&group, &member);
        dir.assign_user(&direct);
        dir.assign_group(&group);

        let scope = Scope::of(&dir);

        assert_eq!(scope.users, BTreeSet::from([direct, member]));
        assert!(!scope.users.contains(&outsider));
        assert_eq!(scope.groups, BTreeSet::from([group]));
    }

    #[test]
    fn members_of_a_nested_group_are_not_in_scope() {
        let mut dir = Directory::new();
        let nested_member = user(&mut dir, "nested.member");
        let parent = dir.add_group("Science");
        let child = dir.add_group("Chemistry");
        dir.add_member(&child, &nested_member);
        dir.nest_group(&parent, &child);
        dir.assign_group(&parent);

        let scope = Scope::of(&dir);

        assert!(scope.users.is_empty());
        assert_eq!(scope.groups, BTreeSet::from([parent.clone()]));
        assert!(Scope::members_of(&dir, &parent).is_empty());
    }

    #[test]
    fn unassigning_a_group_keeps_members_assigned_another_way_in_scope() {
        let mut dir = Directory::new();
        let both = user(&mut dir, "both.ways");
        let only_a = user(&mut dir, "only.a");
        let via_b = user(&mut dir, "via.b");
        let a = dir.add_group("A");
        let b = dir.add_group("B");
        for u in [&both, &only_a] {
            dir.add_member(&a, u);
        }
        dir.add_member(&b, &via_b);
        dir.add_member(&b, &both);
        dir.assign_group(&a);
        dir.assign_group(&b);

        dir.unassign_group(&a);
        let scope = Scope::of(&dir);

        assert_eq!(scope.users, BTreeSet::from([both, via_b]));
        assert!(!scope.users.contains(&only_a));
    }
}
