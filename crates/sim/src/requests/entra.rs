//! Entra ID's request bodies in both dialects (ENTRA.md, "Two dialects" and "The requests").

use serde_json::{Map, Value, json};

use super::{CORE_GROUP, CORE_USER, MemberRef, PATCH_OP};
use crate::{
    attrs::{Attr, ENTERPRISE_USER, UserAttrs},
    profile::Dialect,
};

/// The extra schema Entra sometimes puts on groups it creates.
const AD_SCIM_GROUP: &str =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

/// `POST /Users` as Entra sends it: core + enterprise schemas, `externalId`, `roles: []`, `meta`.
pub fn create_user(dialect: Dialect, attrs: &UserAttrs) -> Value {
    let mut body = json!({
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "externalId": attrs.external_id,
        "userName": attrs.user_name,
        "active": true,
        "displayName": attrs.display_name,
        "emails": [{"primary": true, "type": "work", "value": attrs.email}],
        "meta": {"resourceType": "User"},
        "name": {
            "formatted": format!("{} {}", attrs.given_name, attrs.family_name),
            "familyName": attrs.family_name,
            "givenName": attrs.given_name,
        },
        "roles": [],
    });
    if let Some(number) = &attrs.employee_number {
        body[ENTERPRISE_USER] = json!({"employeeNumber": number});
    }
    if dialect == Dialect::Default {
        // Without the flag, booleans may travel as strings even on create (Microsoft's own tests
        // POST "True").
        body["active"] = json!("True");
    }
    body
}

/// The PATCH for changed attributes, plus `active` when given.
pub fn patch_user(
    dialect: Dialect,
    attrs: &UserAttrs,
    changed: &[Attr],
    active: Option<bool>,
) -> Value {
    let mut ops = Vec::new();
    match dialect {
        Dialect::Default => {
            // One op per attribute, capitalised.
            for attr in changed {
                if let Some(value) = attrs.get(*attr) {
                    ops.push(json!({"op": "Replace", "path": attr.path(), "value": value}));
                }
            }
            if let Some(active) = active {
                ops.push(active_op(dialect, active));
            }
        }
        Dialect::Flag => {
            // Simple, dotted and URN-qualified attributes fold into one path-less replace; the
            // value-filtered email keeps its own op, and so does `active`.
            let mut folded = Map::new();
            let mut separate = Vec::new();
            for attr in changed {
                let Some(value) = attrs.get(*attr) else {
                    continue;
                };
                if *attr == Attr::Email {
                    separate.push(json!({"op": "replace", "path": attr.path(), "value": value}));
                } else {
                    folded.insert(attr.path(), json!(value));
                }
            }
            if !folded.is_empty() {
                ops.push(json!({"op": "replace", "value": folded}));
            }
            ops.extend(separate);
            if let Some(active) = active {
                ops.push(active_op(dialect, active));
            }
        }
    }
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

pub fn set_active(dialect: Dialect, active: bool) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": [active_op(dialect, active)]})
}

fn active_op(dialect: Dialect, active: bool) -> Value {
    match dialect {
        Dialect::Default => json!({
            "op": "Replace",
            "path": "active",
            "value": if active { "True" } else { "False" },
        }),
        Dialect::Flag => json!({"op": "replace", "path": "active", "value": active}),
    }
}

pub fn create_group(dialect: Dialect, display_name: &str, external_id: &str) -> Value {
    let schemas = match dialect {
        Dialect::Default => json!([CORE_GROUP, AD_SCIM_GROUP]),
        Dialect::Flag => json!([CORE_GROUP]),
    };
    json!({
        "schemas": schemas,
        "externalId": external_id,
        "displayName": display_name,
        "meta": {"resourceType": "Group"},
        "members": [],
    })
}

pub fn rename_group(dialect: Dialect, display_name: &str) -> Value {
    let op = match dialect {
        Dialect::Default => json!({"op": "Replace", "path": "displayName", "value": display_name}),
        Dialect::Flag => json!({"op": "replace", "value": {"displayName": display_name}}),
    };
    json!({"schemas": [PATCH_OP], "Operations": [op]})
}

pub fn add_members(dialect: Dialect, members: &[MemberRef]) -> Value {
    let values: Vec<Value> = members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            // Entra sends `"$ref": null` on some member values; every other one here.
            if dialect == Dialect::Default && i % 2 == 1 {
                json!({"$ref": null, "value": m.id})
            } else {
                json!({"value": m.id})
            }
        })
        .collect();
    let op = match dialect {
        Dialect::Default => "Add",
        Dialect::Flag => "add",
    };
    json!({"schemas": [PATCH_OP], "Operations": [{"op": op, "path": "members", "value": values}]})
}

/// Without the flag, `Remove` of `members` with a value array: remove *these* members.
pub fn remove_members_default(members: &[MemberRef]) -> Value {
    let values: Vec<Value> = members.iter().map(|m| json!({"value": m.id})).collect();
    json!({"schemas": [PATCH_OP], "Operations": [{"op": "Remove", "path": "members", "value": values}]})
}
