//! The final comparison: the directory's intended state, as the job's anchors map it, against
//! what the SCIM endpoint returns (full listings, then a GET of every id the job deleted).

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
};

use serde_json::Value;

use crate::{
    attrs::{Attr, RemoteUser, UserAttrs},
    directory::Directory,
    engine::Engine,
    requests,
    scope::Scope,
};

/// Page size of the listings; small enough that hundreds of users take several pages.
const PAGE: u64 = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// In scope, but the job holds no anchor (its creation failed or is held).
    UserNotProvisioned {
        user_name: String,
    },
    /// Anchored, but the endpoint does not list that id.
    UserMissing {
        user_name: String,
        scim_id: String,
    },
    UserAttribute {
        user_name: String,
        attribute: String,
        expected: String,
        actual: Option<String>,
    },
    UserActive {
        user_name: String,
        expected: bool,
        actual: Option<bool>,
    },
    /// A user the job deleted still answers (expected 404).
    DeletedUserAnswers {
        user_name: String,
        scim_id: String,
        status: u16,
    },
    GroupNotProvisioned {
        display_name: String,
    },
    GroupMissing {
        display_name: String,
        scim_id: String,
    },
    GroupName {
        expected: String,
        actual: String,
    },
    MissingMembers {
        group: String,
        user_names: Vec<String>,
    },
    /// Members the directory does not have (hand-added members show up here).
    ExtraMembers {
        group: String,
        members: Vec<String>,
    },
    DeletedGroupAnswers {
        display_name: String,
        scim_id: String,
        status: u16,
    },
    /// The endpoint could not be read.
    Unreadable {
        what: String,
        detail: String,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UserNotProvisioned { user_name } => {
                write!(f, "user {user_name}: not provisioned")
            }
            Self::UserMissing { user_name, scim_id } => {
                write!(f, "user {user_name}: id {scim_id} not listed")
            }
            Self::UserAttribute {
                user_name,
                attribute,
                expected,
                actual,
            } => write!(
                f,
                "user {user_name}: {attribute} is {actual:?}, expected {expected:?}"
            ),
            Self::UserActive {
                user_name,
                expected,
                actual,
            } => write!(
                f,
                "user {user_name}: active is {actual:?}, expected {expected}"
            ),
            Self::DeletedUserAnswers {
                user_name,
                scim_id,
                status,
            } => write!(
                f,
                "deleted user {user_name} ({scim_id}) answers {status}, expected 404"
            ),
            Self::GroupNotProvisioned { display_name } => {
                write!(f, "group {display_name}: not provisioned")
            }
            Self::GroupMissing {
                display_name,
                scim_id,
            } => write!(f, "group {display_name}: id {scim_id} not listed"),
            Self::GroupName { expected, actual } => {
                write!(f, "group {expected}: displayName is {actual:?}")
            }
            Self::MissingMembers { group, user_names } => {
                write!(f, "group {group}: missing members {user_names:?}")
            }
            Self::ExtraMembers { group, members } => {
                write!(f, "group {group}: extra members {members:?}")
            }
            Self::DeletedGroupAnswers {
                display_name,
                scim_id,
                status,
            } => write!(
                f,
                "deleted group {display_name} ({scim_id}) answers {status}, expected 404"
            ),
            Self::Unreadable { what, detail } => write!(f, "cannot read {what}: {detail}"),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    pub users_checked: usize,
    pub groups_checked: usize,
    pub mismatches: Vec<Mismatch>,
}

impl Comparison {
    pub fn agrees(&self) -> bool {
        self.mismatches.is_empty()
    }

    /// The mismatches, less extra members with these user names (hand-added members, which
    /// Roster keeps whatever SCIM sends).
    pub fn ignoring_extra_members(&self, user_names: &[&str]) -> Vec<Mismatch> {
        self.mismatches
            .iter()
            .filter_map(|m| match m {
                Mismatch::ExtraMembers { group, members } => {
                    let rest: Vec<String> = members
                        .iter()
                        .filter(|n| !user_names.iter().any(|u| u.eq_ignore_ascii_case(n)))
                        .cloned()
                        .collect();
                    (!rest.is_empty()).then(|| Mismatch::ExtraMembers {
                        group: group.clone(),
                        members: rest,
                    })
                }
                other => Some(other.clone()),
            })
            .collect()
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for mismatch in &self.mismatches {
            writeln!(f, "MISMATCH {mismatch}")?;
        }
        write!(
            f,
            "comparison: {} users and {} groups checked, {} mismatches",
            self.users_checked,
            self.groups_checked,
            self.mismatches.len()
        )
    }
}

/// Reads every resource of a type, page by page.
async fn list_all(engine: &Engine, resource: &str) -> Result<Vec<Value>, String> {
    let mut all = Vec::new();
    let mut start = 1;
    loop {
        let request = requests::list_page(engine.profile(), resource, start, PAGE);
        let response = engine
            .client()
            .send(engine.profile(), &request)
            .await
            .map_err(|e| e.to_string())?;
        if response.status != 200 {
            return Err(format!(
                "{} → {}: {}",
                request.describe(),
                response.status,
                response.detail()
            ));
        }
        let page = response.body["Resources"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let total = response.body["totalResults"].as_u64().unwrap_or(0);
        let got = page.len() as u64;
        all.extend(page);
        start += got;
        if got == 0 || start > total {
            return Ok(all);
        }
    }
}

pub async fn compare(engine: &Engine, directory: &Directory) -> Comparison {
    let mut result = Comparison::default();
    let (users, groups) = match (
        list_all(engine, "Users").await,
        list_all(engine, "Groups").await,
    ) {
        (Ok(u), Ok(g)) => (u, g),
        (Err(detail), _) | (_, Err(detail)) => {
            result.mismatches.push(Mismatch::Unreadable {
                what: "the listings".into(),
                detail,
            });
            return result;
        }
    };
    let users: BTreeMap<String, RemoteUser> = users
        .iter()
        .map(RemoteUser::from_resource)
        .filter_map(|u| u.id.clone().map(|id| (id, u)))
        .collect();
    let groups: BTreeMap<String, &Value> = groups
        .iter()
        .filter_map(|g| g["id"].as_str().map(|id| (id.to_owned(), g)))
        .collect();

    let state = engine.state();
    let scope = Scope::of(directory);
    compare_users(directory, &scope, state, &users, &mut result);
    compare_groups(directory, &scope, state, &users, &groups, &mut result);

    // Ids the job deleted must answer 404, unless the same id came back (a re-created account).
    let anchored: BTreeSet<&str> = state
        .users
        .values()
        .map(|u| u.scim_id.as_str())
        .chain(state.groups.values().map(|g| g.scim_id.as_str()))
        .collect();
    for deleted in &state.deleted_users {
        if anchored.contains(deleted.scim_id.as_str()) {
            continue;
        }
        let status = get_status(
            engine,
            &requests::get_user(engine.profile(), &deleted.scim_id),
        )
        .await;
        if status != 404 {
            result.mismatches.push(Mismatch::DeletedUserAnswers {
                user_name: deleted.name.clone(),
                scim_id: deleted.scim_id.clone(),
                status,
            });
        }
    }
    for deleted in &state.deleted_groups {
        if anchored.contains(deleted.scim_id.as_str()) {
            continue;
        }
        let request = requests::get_group(engine.profile(), &deleted.scim_id);
        let status = get_status(engine, &request).await;
        if status != 404 {
            result.mismatches.push(Mismatch::DeletedGroupAnswers {
                display_name: deleted.name.clone(),
                scim_id: deleted.scim_id.clone(),
                status,
            });
        }
    }
    result
}

async fn get_status(engine: &Engine, request: &requests::ScimRequest) -> u16 {
    engine
        .client()
        .send(engine.profile(), request)
        .await
        .map_or(0, |r| r.status)
}

fn compare_users(
    directory: &Directory,
    scope: &Scope,
    state: &crate::state::JobState,
    users: &BTreeMap<String, RemoteUser>,
    result: &mut Comparison,
) {
    for id in &scope.users {
        if !state.users.contains_key(id)
            && let Some(u) = directory.users.get(id)
        {
            result.mismatches.push(Mismatch::UserNotProvisioned {
                user_name: u.spec.user_principal_name.clone(),
            });
        }
    }
    for (id, synced) in &state.users {
        result.users_checked += 1;
        let in_scope = scope.users.contains(id);
        let name = &synced.attrs.user_name;
        let Some(remote) = users.get(&synced.scim_id) else {
            result.mismatches.push(Mismatch::UserMissing {
                user_name: name.clone(),
                scim_id: synced.scim_id.clone(),
            });
            continue;
        };
        if remote.active != Some(in_scope) {
            result.mismatches.push(Mismatch::UserActive {
                user_name: name.clone(),
                expected: in_scope,
                actual: remote.active,
            });
        }
        // Out-of-scope users keep the values last sent; in-scope ones must match the directory.
        let wanted = match directory.users.get(id) {
            Some(u) if in_scope => UserAttrs::from(&u.spec),
            _ => synced.attrs.clone(),
        };
        for attr in remote.differs_from(&wanted) {
            result.mismatches.push(Mismatch::UserAttribute {
                user_name: name.clone(),
                attribute: attr.path(),
                expected: wanted.get(attr).unwrap_or_default().to_owned(),
                actual: remote_value(remote, attr),
            });
        }
    }
}

fn remote_value(remote: &RemoteUser, attr: Attr) -> Option<String> {
    match attr {
        Attr::UserName => remote.user_name.clone(),
        Attr::ExternalId => remote.external_id.clone(),
        Attr::DisplayName => remote.display_name.clone(),
        Attr::GivenName => remote.given_name.clone(),
        Attr::FamilyName => remote.family_name.clone(),
        Attr::Email => remote.email.clone(),
        Attr::EmployeeNumber => remote.employee_number.clone(),
    }
}

fn compare_groups(
    directory: &Directory,
    scope: &Scope,
    state: &crate::state::JobState,
    users: &BTreeMap<String, RemoteUser>,
    groups: &BTreeMap<String, &Value>,
    result: &mut Comparison,
) {
    let name_of = |scim_id: &str| -> String {
        users
            .get(scim_id)
            .and_then(|u| u.user_name.clone())
            .unwrap_or_else(|| scim_id.to_owned())
    };
    for id in &scope.groups {
        let Some(group) = directory.groups.get(id) else {
            continue;
        };
        result.groups_checked += 1;
        let Some(synced) = state.groups.get(id) else {
            result.mismatches.push(Mismatch::GroupNotProvisioned {
                display_name: group.display_name.clone(),
            });
            continue;
        };
        let Some(remote) = groups.get(&synced.scim_id) else {
            result.mismatches.push(Mismatch::GroupMissing {
                display_name: group.display_name.clone(),
                scim_id: synced.scim_id.clone(),
            });
            continue;
        };
        let actual_name = remote["displayName"].as_str().unwrap_or_default();
        if actual_name != group.display_name {
            result.mismatches.push(Mismatch::GroupName {
                expected: group.display_name.clone(),
                actual: actual_name.to_owned(),
            });
        }
        let actual: BTreeSet<String> = remote["members"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|m| m["value"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let wanted: BTreeSet<String> = Scope::members_of(directory, id)
            .iter()
            .filter_map(|u| state.users.get(u).map(|s| s.scim_id.clone()))
            .collect();
        let missing: Vec<String> = wanted.difference(&actual).map(|s| name_of(s)).collect();
        let extra: Vec<String> = actual.difference(&wanted).map(|s| name_of(s)).collect();
        if !missing.is_empty() {
            result.mismatches.push(Mismatch::MissingMembers {
                group: group.display_name.clone(),
                user_names: missing,
            });
        }
        if !extra.is_empty() {
            result.mismatches.push(Mismatch::ExtraMembers {
                group: group.display_name.clone(),
                members: extra,
            });
        }
    }
}
