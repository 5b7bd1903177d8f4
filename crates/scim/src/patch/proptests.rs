//! Property tests: PATCH never panics, never produces a resource that breaks the schema, and
//! re-adding present members is a no-op.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::tests_rfc::{body, obj};
use super::*;
use crate::schema::{AttrType, Attribute, GROUP_RESOURCE, ResourceType, USER_RESOURCE};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn start_user() -> Map<String, Value> {
    obj(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "u-1",
        "userName": "ada@example.org",
        "active": true,
        "name": {"givenName": "Ada"},
        "emails": [{"value": "a@x.org", "type": "work", "primary": true}],
    }))
}

fn path() -> impl Strategy<Value = Option<String>> {
    let known = prop::sample::select(vec![
        "userName",
        "active",
        "title",
        "displayName",
        "name",
        "name.givenName",
        "NAME.FAMILYNAME",
        "emails",
        "emails.value",
        "emails[type eq \"work\"]",
        "emails[type eq \"work\"].value",
        "emails[type eq \"home\" and primary eq true].primary",
        "emails[value co \"x\"].type",
        "phoneNumbers[type eq \"mobile\"].value",
        "id",
        "meta.lastModified",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        "groups",
        "nope",
        "name.nope",
        "emails[",
    ])
    .prop_map(str::to_owned);
    prop_oneof![
        1 => Just(None),
        6 => known.prop_map(Some),
        1 => "[a-zA-Z.\\[\\] \"]{0,16}".prop_map(Some),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop::sample::select(vec!["True", "False", "false", "x@y.org", "", "work"])
            .prop_map(|s| json!(s)),
        any::<i32>().prop_map(|n| json!(n)),
        Just(json!(1.5)),
        "\\PC{0,8}".prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let key = prop::sample::select(vec![
        "value",
        "type",
        "primary",
        "givenName",
        "active",
        "userName",
        "title",
        "name.familyName",
        "emails",
        "display",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "id",
        "bogus",
    ]);
    scalar().prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..4).prop_map(|m| Value::Object(
                m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

fn operation() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![
            "add", "Add", "replace", "REPLACE", "remove", "Remove", "bogus",
        ]),
        path(),
        proptest::option::of(value()),
    )
        .prop_map(|(op, path, value)| {
            let mut o = Map::new();
            o.insert("op".into(), json!(op));
            if let Some(p) = path {
                o.insert("path".into(), json!(p));
            }
            if let Some(v) = value {
                o.insert("value".into(), v);
            }
            Value::Object(o)
        })
}

/// Every attribute of `rt` present in `resource` has a value of its declared type.
fn conforms(rt: &ResourceType, resource: &Map<String, Value>) -> Result<(), String> {
    let user_name = resource.get("userName");
    if !user_name.is_some_and(Value::is_string) {
        return Err(format!("userName is {user_name:?}"));
    }
    for attr in rt.schema.attributes {
        if let Some(v) = crate::keys::get(resource, attr.name) {
            check(attr, v)?;
        }
    }
    for (schema, _) in rt.extensions {
        if let Some(ext) = crate::keys::get(resource, schema.id) {
            let ext = ext.as_object().ok_or("extension is not an object")?;
            if ext.is_empty() {
                return Err("empty extension object left behind".into());
            }
            for attr in schema.attributes {
                if let Some(v) = crate::keys::get(ext, attr.name) {
                    check(attr, v)?;
                }
            }
        }
    }
    Ok(())
}

fn check(attr: &Attribute, v: &Value) -> Result<(), String> {
    if attr.multi_valued {
        let items = v
            .as_array()
            .ok_or(format!("{} is not an array: {v}", attr.name))?;
        if items.is_empty() {
            return Err(format!("{} is an empty array", attr.name));
        }
        let primaries = items
            .iter()
            .filter(|i| i.get("primary") == Some(&json!(true)))
            .count();
        if primaries > 1 {
            return Err(format!("{} has {primaries} primary values", attr.name));
        }
        return items.iter().try_for_each(|i| check_one(attr, i));
    }
    check_one(attr, v)
}

fn check_one(attr: &Attribute, v: &Value) -> Result<(), String> {
    let ok = match attr.kind {
        AttrType::String | AttrType::Reference | AttrType::Binary | AttrType::DateTime => {
            v.is_string()
        }
        AttrType::Boolean => v.is_boolean(),
        AttrType::Integer => v.is_i64() || v.is_u64(),
        AttrType::Decimal => v.is_number(),
        AttrType::Complex => {
            let o = v
                .as_object()
                .ok_or(format!("{} is not an object: {v}", attr.name))?;
            if o.is_empty() {
                return Err(format!("{} is an empty object", attr.name));
            }
            for sub in attr.sub_attributes {
                if let Some(s) = crate::keys::get(o, sub.name) {
                    check(sub, s)?;
                }
            }
            true
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{} has the wrong type: {v}", attr.name))
    }
}

proptest! {
    #![proptest_config(crate::test_schema::proptest_config(512))]

    #[test]
    fn patch_never_panics_and_keeps_the_user_schema_valid(
        ops in prop::collection::vec(operation(), 0..6)
    ) {
        let start = start_user();
        conforms(&USER_RESOURCE, &start).map_err(TestCaseError::fail)?;
        let Ok(req) = parse_patch(&body(Value::Array(ops))) else {
            return Ok(());
        };
        let Ok((out, changes)) = apply_patch(&USER_RESOURCE, &start, &req) else {
            return Ok(());
        };
        conforms(&USER_RESOURCE, &out)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{}", Value::Object(out.clone()))))?;
        prop_assert_eq!(out.get("id"), Some(&json!("u-1")));
        prop_assert_eq!(changes.attributes.is_empty(), out == start);
        let active_changed = out.get("active") != start.get("active");
        prop_assert_eq!(changes.active.is_some(), active_changed);
    }

    #[test]
    fn patch_of_arbitrary_json_never_panics(body in value()) {
        if let Ok(req) = parse_patch(&body) {
            let _ = apply_patch(&USER_RESOURCE, &start_user(), &req);
            let _ = apply_patch(&GROUP_RESOURCE, &obj(json!({"displayName": "g"})), &req);
        }
    }

    #[test]
    fn adding_present_members_changes_nothing(
        present in prop::collection::btree_set("[a-f0-9]{1,4}", 1..8),
        pick in prop::collection::vec(any::<prop::sample::Index>(), 1..8),
    ) {
        let present: Vec<String> = present.into_iter().collect();
        let members: Vec<Value> = present.iter().map(|v| json!({"value": v})).collect();
        let group = obj(json!({"displayName": "g", "members": members}));
        let again: Vec<Value> = pick.iter().map(|i| json!({"$ref": null, "value": i.get(&present)})).collect();
        let req = parse_patch(&body(json!([{"op": "Add", "path": "members", "value": again}]))).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (out, changes) = apply_patch(&GROUP_RESOURCE, &group, &req).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(changes.members.is_empty());
        prop_assert!(changes.is_empty());
        prop_assert_eq!(out, group);
    }

    #[test]
    fn member_changes_are_disjoint_and_unique(
        ops in prop::collection::vec((prop::bool::ANY, prop::collection::vec("[a-c]", 1..4)), 1..8)
    ) {
        let ops: Vec<Value> = ops.into_iter().map(|(add, ids)| {
            let value: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
            json!({"op": if add { "add" } else { "remove" }, "path": "members", "value": value})
        }).collect();
        let req = parse_patch(&body(Value::Array(ops))).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (_, c) = apply_patch(&GROUP_RESOURCE, &obj(json!({"displayName": "g"})), &req).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let m = c.members;
        prop_assert!(m.replaced.is_none());
        prop_assert!(m.added.iter().all(|a| !m.removed.contains(a)));
        let mut added = m.added.clone();
        added.dedup();
        prop_assert_eq!(added.len(), m.added.len());
    }
}

#[test]
fn the_start_resource_conforms() {
    assert_eq!(conforms(&USER_RESOURCE, &start_user()), Ok(()));
    let mut bad = start_user();
    bad.insert(ENTERPRISE.into(), json!({}));
    assert!(conforms(&USER_RESOURCE, &bad).is_err());
}
