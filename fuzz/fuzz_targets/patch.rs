//! PATCH bodies: JSON that parses as a PatchOp is applied to a fixed user and a fixed group;
//! nothing panics, and a successful patch keeps the required `userName` and a boolean `active`,
//! and holds no U+0000 in any string (`roster_scim::text`: no store could keep it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use roster_scim::patch::{apply_patch, parse_patch};
use roster_scim::schema::{GROUP_RESOURCE, USER_RESOURCE};
use serde_json::{Value, json};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok(req) = parse_patch(&body) else {
        return;
    };
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "u-1",
        "userName": "ada@example.org",
        "active": true,
        "name": {"givenName": "Ada"},
        "emails": [{"value": "ada@example.org", "type": "work", "primary": true}]
    });
    if let Some(user) = user.as_object()
        && let Ok((out, _)) = apply_patch(&USER_RESOURCE, user, &req)
    {
        assert!(out.get("userName").is_some_and(Value::is_string));
        assert!(out.get("active").is_none_or(Value::is_boolean));
        assert!(!holds_nul(&Value::Object(out)));
    }
    let group = json!({"id": "g-1", "displayName": "Biology 101", "members": [{"value": "u-1"}]});
    if let Some(group) = group.as_object()
        && let Ok((out, _)) = apply_patch(&GROUP_RESOURCE, group, &req)
    {
        assert!(!holds_nul(&Value::Object(out)));
    }
});

fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}
