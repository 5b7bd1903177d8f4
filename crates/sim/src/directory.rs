//! The identity provider's directory: users, groups (with direct members, and nested groups that
//! provisioning ignores), and the enterprise application's assignments.
//!
//! This is the source of truth the simulator provisions from. It is plain data: every change an
//! administrator makes in Entra or Okta is one method here, and the next cycle picks it up.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// A directory user's object id (Entra's immutable `objectId`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UserId(pub String);

/// A directory group's object id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GroupId(pub String);

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Display for GroupId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an administrator types when creating a user in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSpec {
    /// `userPrincipalName`, mapped to SCIM `userName`.
    pub user_principal_name: String,
    pub display_name: String,
    pub given_name: String,
    pub surname: String,
    /// `mail`, mapped to the work email.
    pub mail: String,
    /// `mailNickname`, mapped to SCIM `externalId` (Entra's default mapping).
    pub mail_nickname: String,
    /// `employeeId`, mapped to the enterprise extension's `employeeNumber`.
    pub employee_id: Option<String>,
}

impl UserSpec {
    /// A user whose names and mail derive from one login, e.g. `ada.lovelace` at `example.edu`.
    pub fn simple(login: &str, domain: &str) -> Self {
        let mut parts = login.split('.');
        let given = capitalise(parts.next().unwrap_or(login));
        let family = capitalise(parts.next().unwrap_or("User"));
        Self {
            user_principal_name: format!("{login}@{domain}"),
            display_name: format!("{given} {family}"),
            given_name: given,
            surname: family,
            mail: format!("{login}@{domain}"),
            mail_nickname: login.to_owned(),
            employee_id: None,
        }
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirUser {
    pub id: UserId,
    pub spec: UserSpec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirGroup {
    pub id: GroupId,
    pub display_name: String,
    /// `mailNickname`, sent as the group's `externalId`.
    pub mail_nickname: String,
    /// Direct user members: the only ones provisioning sees.
    pub members: BTreeSet<UserId>,
    /// Groups nested in this one. Entra does not expand them for scope or membership.
    pub nested_groups: BTreeSet<GroupId>,
}

/// The directory and the application's assignments ("Users and groups" in Entra).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    pub users: BTreeMap<UserId, DirUser>,
    pub groups: BTreeMap<GroupId, DirGroup>,
    pub assigned_users: BTreeSet<UserId>,
    pub assigned_groups: BTreeSet<GroupId>,
}

impl Directory {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_user(&mut self, spec: UserSpec) -> UserId {
        let id = UserId(uuid::Uuid::new_v4().to_string());
        self.users.insert(
            id.clone(),
            DirUser {
                id: id.clone(),
                spec,
            },
        );
        id
    }

    /// Changes a user's attributes in place (an edit in the directory).
    pub fn update_user(&mut self, id: &UserId, edit: impl FnOnce(&mut UserSpec)) {
        if let Some(user) = self.users.get_mut(id) {
            edit(&mut user.spec);
        }
    }

    /// Hard deletion: the object is gone from the directory, its assignment and memberships too.
    pub fn delete_user(&mut self, id: &UserId) {
        self.users.remove(id);
        self.assigned_users.remove(id);
        for group in self.groups.values_mut() {
            group.members.remove(id);
        }
    }

    pub fn add_group(&mut self, display_name: &str) -> GroupId {
        let id = GroupId(uuid::Uuid::new_v4().to_string());
        let mail_nickname = display_name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        self.groups.insert(
            id.clone(),
            DirGroup {
                id: id.clone(),
                display_name: display_name.to_owned(),
                mail_nickname,
                members: BTreeSet::new(),
                nested_groups: BTreeSet::new(),
            },
        );
        id
    }

    pub fn rename_group(&mut self, id: &GroupId, display_name: &str) {
        if let Some(group) = self.groups.get_mut(id) {
            display_name.clone_into(&mut group.display_name);
        }
    }

    pub fn delete_group(&mut self, id: &GroupId) {
        self.groups.remove(id);
        self.assigned_groups.remove(id);
        for group in self.groups.values_mut() {
            group.nested_groups.remove(id);
        }
    }

    pub fn add_member(&mut self, group: &GroupId, user: &UserId) {
        if let Some(g) = self.groups.get_mut(group)
            && self.users.contains_key(user)
        {
            g.members.insert(user.clone());
        }
    }

    pub fn remove_member(&mut self, group: &GroupId, user: &UserId) {
        if let Some(g) = self.groups.get_mut(group) {
            g.members.remove(user);
        }
    }

    pub fn nest_group(&mut self, parent: &GroupId, child: &GroupId) {
        if parent != child
            && self.groups.contains_key(child)
            && let Some(g) = self.groups.get_mut(parent)
        {
            g.nested_groups.insert(child.clone());
        }
    }

    pub fn assign_user(&mut self, id: &UserId) {
        if self.users.contains_key(id) {
            self.assigned_users.insert(id.clone());
        }
    }

    pub fn unassign_user(&mut self, id: &UserId) {
        self.assigned_users.remove(id);
    }

    pub fn assign_group(&mut self, id: &GroupId) {
        if self.groups.contains_key(id) {
            self.assigned_groups.insert(id.clone());
        }
    }

    pub fn unassign_group(&mut self, id: &GroupId) {
        self.assigned_groups.remove(id);
    }

    /// The user with this `userPrincipalName` (case-insensitive), if any.
    pub fn user_by_upn(&self, upn: &str) -> Option<&DirUser> {
        self.users
            .values()
            .find(|u| u.spec.user_principal_name.eq_ignore_ascii_case(upn))
    }

    pub fn group_by_name(&self, name: &str) -> Option<&DirGroup> {
        self.groups
            .values()
            .find(|g| g.display_name.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_deleting_a_user_removes_its_assignment_and_memberships() {
        let mut dir = Directory::new();
        let ada = dir.add_user(UserSpec::simple("ada.lovelace", "example.edu"));
        let group = dir.add_group("Maths");
        dir.add_member(&group, &ada);
        dir.assign_user(&ada);

        dir.delete_user(&ada);

        assert!(dir.users.is_empty());
        assert!(dir.assigned_users.is_empty());
        assert!(dir.groups[&group].members.is_empty());
    }

    #[test]
    fn simple_user_spec_derives_names_from_the_login() {
        let spec = UserSpec::simple("ada.lovelace", "example.edu");
        assert_eq!(spec.user_principal_name, "ada.lovelace@example.edu");
        assert_eq!(spec.display_name, "Ada Lovelace");
        assert_eq!(spec.given_name, "Ada");
        assert_eq!(spec.surname, "Lovelace");
        assert_eq!(spec.mail_nickname, "ada.lovelace");
    }
}
