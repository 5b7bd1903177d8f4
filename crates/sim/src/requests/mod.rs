//! The exact requests each profile sends, as data. Pure: building a request does no I/O, so the
//! shapes are unit-tested byte for byte against ENTRA.md.

mod entra;
mod okta;

use serde_json::Value;

use crate::{
    attrs::{Attr, UserAttrs},
    profile::{Dialect, Profile},
};

pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

/// One SCIM request relative to the tenant URL.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimRequest {
    pub method: Method,
    /// `/Users`, `/Groups/{id}`, ...
    pub path: String,
    /// Query parameters; `None` values are sent as a bare key (`?aadOptscim062020`).
    pub query: Vec<(String, Option<String>)>,
    pub body: Option<Value>,
}

impl ScimRequest {
    fn new(profile: Profile, method: Method, path: String) -> Self {
        let query = profile
            .query_flag()
            .map(|flag| vec![(flag.to_owned(), None)])
            .unwrap_or_default();
        Self {
            method,
            path,
            query,
            body: None,
        }
    }

    fn param(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_owned(), Some(value.into())));
        self
    }

    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// The request as a log line would show it: method, path, decoded query.
    pub fn describe(&self) -> String {
        let query: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| v.as_ref().map_or_else(|| k.clone(), |v| format!("{k}={v}")))
            .collect();
        if query.is_empty() {
            format!("{} {}", self.method.as_str(), self.path)
        } else {
            format!("{} {}?{}", self.method.as_str(), self.path, query.join("&"))
        }
    }
}

/// A member reference: the SCIM id and a display value (Okta sends the `userName`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRef {
    pub id: String,
    pub display: String,
}

/// A SCIM filter string literal (RFC 7644 §3.4.2.2: JSON string escaping).
pub fn quote(value: &str) -> String {
    Value::String(value.to_owned()).to_string()
}

pub fn find_user(profile: Profile, user_name: &str) -> ScimRequest {
    let request = ScimRequest::new(profile, Method::Get, "/Users".into())
        .param("filter", format!("userName eq {}", quote(user_name)));
    match profile {
        Profile::Entra(_) => request,
        Profile::Okta => request.param("startIndex", "1").param("count", "100"),
    }
}

pub fn get_user(profile: Profile, id: &str) -> ScimRequest {
    ScimRequest::new(profile, Method::Get, format!("/Users/{id}"))
}

pub fn create_user(profile: Profile, attrs: &UserAttrs) -> ScimRequest {
    let body = match profile {
        Profile::Entra(dialect) => entra::create_user(dialect, attrs),
        Profile::Okta => okta::user(attrs, true, None),
    };
    ScimRequest::new(profile, Method::Post, "/Users".into()).body(body)
}

/// The update after a change in the directory: Entra PATCHes the changed attributes (and
/// `active` when given); Okta PUTs the whole resource.
pub fn update_user(
    profile: Profile,
    id: &str,
    attrs: &UserAttrs,
    changed: &[Attr],
    active: Option<bool>,
) -> ScimRequest {
    match profile {
        Profile::Entra(dialect) => ScimRequest::new(profile, Method::Patch, format!("/Users/{id}"))
            .body(entra::patch_user(dialect, attrs, changed, active)),
        Profile::Okta => ScimRequest::new(profile, Method::Put, format!("/Users/{id}"))
            .body(okta::user(attrs, active.unwrap_or(true), Some(id))),
    }
}

/// Deactivation (`false`) or reactivation (`true`).
pub fn set_active(profile: Profile, id: &str, active: bool) -> ScimRequest {
    let body = match profile {
        Profile::Entra(dialect) => entra::set_active(dialect, active),
        Profile::Okta => okta::set_active(active),
    };
    ScimRequest::new(profile, Method::Patch, format!("/Users/{id}")).body(body)
}

pub fn delete_user(profile: Profile, id: &str) -> ScimRequest {
    ScimRequest::new(profile, Method::Delete, format!("/Users/{id}"))
}

pub fn find_group(profile: Profile, display_name: &str) -> ScimRequest {
    let filter = format!("displayName eq {}", quote(display_name));
    match profile {
        // Entra never asks for members when matching (a group's member list can be huge).
        Profile::Entra(_) => ScimRequest::new(profile, Method::Get, "/Groups".into())
            .param("excludedAttributes", "members")
            .param("filter", filter),
        Profile::Okta => ScimRequest::new(profile, Method::Get, "/Groups".into())
            .param("filter", filter)
            .param("startIndex", "1")
            .param("count", "100"),
    }
}

/// `GET /Groups/{id}` the way Entra reads a group: without its members.
pub fn get_group(profile: Profile, id: &str) -> ScimRequest {
    ScimRequest::new(profile, Method::Get, format!("/Groups/{id}"))
        .param("excludedAttributes", "members")
}

pub fn create_group(profile: Profile, display_name: &str, external_id: &str) -> ScimRequest {
    let body = match profile {
        Profile::Entra(dialect) => entra::create_group(dialect, display_name, external_id),
        Profile::Okta => okta::create_group(display_name),
    };
    ScimRequest::new(profile, Method::Post, "/Groups".into()).body(body)
}

pub fn rename_group(profile: Profile, id: &str, display_name: &str) -> ScimRequest {
    let body = match profile {
        Profile::Entra(dialect) => entra::rename_group(dialect, display_name),
        Profile::Okta => okta::rename_group(id, display_name),
    };
    ScimRequest::new(profile, Method::Patch, format!("/Groups/{id}")).body(body)
}

pub fn add_members(profile: Profile, id: &str, members: &[MemberRef]) -> ScimRequest {
    let body = match profile {
        Profile::Entra(dialect) => entra::add_members(dialect, members),
        Profile::Okta => okta::add_members(members),
    };
    ScimRequest::new(profile, Method::Patch, format!("/Groups/{id}")).body(body)
}

pub fn remove_members(profile: Profile, id: &str, members: &[MemberRef]) -> ScimRequest {
    let body = match profile {
        Profile::Entra(Dialect::Default) => entra::remove_members_default(members),
        // The flag dialect and Okta remove one member per op, by value filter.
        Profile::Entra(Dialect::Flag) | Profile::Okta => {
            let ops: Vec<Value> = members
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "op": "remove",
                        "path": format!("members[value eq {}]", quote(&m.id)),
                    })
                })
                .collect();
            serde_json::json!({"schemas": [PATCH_OP], "Operations": ops})
        }
    };
    ScimRequest::new(profile, Method::Patch, format!("/Groups/{id}")).body(body)
}

pub fn delete_group(profile: Profile, id: &str) -> ScimRequest {
    ScimRequest::new(profile, Method::Delete, format!("/Groups/{id}"))
}

/// Entra's "Test Connection": a user probe and a group probe with random values; both must
/// answer 200 with an empty list.
pub fn test_connection(profile: Profile) -> [ScimRequest; 2] {
    let probe = uuid::Uuid::new_v4().to_string();
    [find_user(profile, &probe), find_group(profile, &probe)]
}

/// One page of a full listing, for the final comparison (members included for groups).
pub fn list_page(profile: Profile, resource: &str, start_index: u64, count: u64) -> ScimRequest {
    ScimRequest::new(profile, Method::Get, format!("/{resource}"))
        .param("startIndex", start_index.to_string())
        .param("count", count.to_string())
}

#[cfg(test)]
mod tests;
