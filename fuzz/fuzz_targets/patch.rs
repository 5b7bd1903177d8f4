//! PATCH bodies: JSON that parses as a PatchOp is applied to a fixed user and a fixed group;
//! nothing panics, and a successful patch keeps the required `userName` and a boolean `active`.
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
    }
    let group = json!({"id": "g-1", "displayName": "Biology 101", "members": [{"value": "u-1"}]});
    if let Some(group) = group.as_object() {
        let _ = apply_patch(&GROUP_RESOURCE, group, &req);
    }
});
