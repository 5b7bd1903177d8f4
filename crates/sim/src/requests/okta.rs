//! Okta's request bodies: full-resource POST and PUT for users, path-less replace of `active`,
//! group push with PATCH of `members`.

use serde_json::{Value, json};

use super::{CORE_GROUP, CORE_USER, MemberRef, PATCH_OP};
use crate::attrs::{ENTERPRISE_USER, UserAttrs};

/// The whole user, as Okta POSTs it (no `id`) and PUTs it (with the `id`).
pub fn user(attrs: &UserAttrs, active: bool, id: Option<&str>) -> Value {
    let mut schemas = vec![json!(CORE_USER)];
    if attrs.employee_number.is_some() {
        schemas.push(json!(ENTERPRISE_USER));
    }
    let mut body = json!({
        "schemas": schemas,
        "userName": attrs.user_name,
        "name": {"givenName": attrs.given_name, "familyName": attrs.family_name},
        "emails": [{"primary": true, "value": attrs.email, "type": "work"}],
        "displayName": attrs.display_name,
        "locale": "en-US",
        "externalId": attrs.external_id,
        "groups": [],
        "active": active,
    });
    if let Some(id) = id {
        body["id"] = json!(id);
    }
    if let Some(number) = &attrs.employee_number {
        body[ENTERPRISE_USER] = json!({"employeeNumber": number});
    }
    body
}

pub fn set_active(active: bool) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": active}}]})
}

pub fn create_group(display_name: &str) -> Value {
    json!({"schemas": [CORE_GROUP], "displayName": display_name, "members": []})
}

pub fn rename_group(id: &str, display_name: &str) -> Value {
    json!({
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "value": {"id": id, "displayName": display_name}}],
    })
}

pub fn add_members(members: &[MemberRef]) -> Value {
    let values: Vec<Value> = members
        .iter()
        .map(|m| json!({"value": m.id, "display": m.display}))
        .collect();
    json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": values}]})
}
