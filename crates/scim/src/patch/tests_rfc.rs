//! PATCH semantics: the examples of RFC 7644 §3.5.2.1–3 and the mutability and validation rules.

use serde_json::{Map, Value, json};

use super::*;
use crate::error::{ScimError, ScimType};
use crate::test_schema::{GROUP_RT, USER_RT};

pub(crate) fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

pub(crate) fn body(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP_URN], "Operations": ops})
}

fn user() -> Map<String, Value> {
    obj(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "2819c223",
        "userName": "bjensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "badge": "B-1"
    }))
}

fn patch(resource: &Map<String, Value>, ops: Value) -> Result<(Value, ChangeSet), ScimError> {
    let req = parse_patch(&body(ops))?;
    apply_patch(&USER_RT, resource, &req).map(|(r, c)| (Value::Object(r), c))
}

fn ok(ops: Value) -> (Value, ChangeSet) {
    patch(&user(), ops).unwrap()
}

fn fails(ops: Value) -> ScimError {
    patch(&user(), ops).unwrap_err()
}

fn changed(c: &ChangeSet) -> Vec<&str> {
    c.attributes.iter().map(String::as_str).collect()
}

// ---- parsing the envelope ----

#[test]
fn parse_reads_ops_paths_and_values_ignoring_case() {
    let req = parse_patch(&json!({
        "SCHEMAS": ["URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:PATCHOP"],
        "operations": [
            {"OP": "Add", "PATH": "title", "VALUE": "x"},
            {"op": "REPLACE", "path": null, "value": {"active": false}},
            {"op": "remove", "path": "emails[type eq \"home\"]"}
        ]
    }))
    .unwrap();
    let ops: Vec<_> = req.operations.iter().map(|o| o.op).collect();
    assert_eq!(ops, [PatchOp::Add, PatchOp::Replace, PatchOp::Remove]);
    assert_eq!(
        req.operations[0]
            .path
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("title")
    );
    assert_eq!(req.operations[1].path, None);
    assert_eq!(req.operations[2].value, None);
}

#[test]
fn parse_refuses_malformed_envelopes_with_invalid_syntax() {
    let cases = [
        (
            json!([]),
            "a PATCH body must be a JSON object with \"schemas\" and \"Operations\"",
        ),
        (
            json!({"schemas": [PATCH_OP_URN]}),
            "a PATCH body needs an \"Operations\" array",
        ),
        (
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "Operations": []}),
            "\"schemas\" of a PATCH request must be [\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"]",
        ),
        (
            body(json!([{"op": "merge", "path": "title", "value": "x"}])),
            "Operations[0]: unknown op \"merge\": use \"add\", \"replace\" or \"remove\"",
        ),
        (
            body(json!([{"path": "title"}])),
            "Operations[0]: an operation needs \"op\": \"add\", \"replace\" or \"remove\"",
        ),
        (
            body(json!({"op": "add"})),
            "\"Operations\" must be an array of operations",
        ),
    ];
    for (input, detail) in cases {
        let e = parse_patch(&input).unwrap_err();
        assert_eq!(
            (e.status, e.scim_type),
            (400, Some(ScimType::InvalidSyntax)),
            "{input}"
        );
        assert_eq!(e.detail, detail);
    }
    let e = parse_patch(&body(
        json!([{"op": "add", "path": "emails[type eq", "value": 1}]),
    ))
    .unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
}

#[test]
fn parse_accepts_a_body_without_schemas() {
    let req =
        parse_patch(&json!({"Operations": [{"op": "replace", "path": "active", "value": false}]}));
    assert_eq!(req.map(|r| r.operations.len()), Ok(1));
}

// ---- RFC 7644 §3.5.2.1 add ----

#[test]
fn add_appends_to_a_multi_valued_attribute() {
    let (r, c) = ok(
        json!([{"op": "add", "path": "emails", "value": [{"value": "b@x.org", "type": "other"}]}]),
    );
    assert_eq!(
        r["emails"],
        json!([
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"},
            {"value": "b@x.org", "type": "other"}
        ])
    );
    assert_eq!(changed(&c), ["emails"]);
}

#[test]
fn add_without_path_adds_each_attribute_of_the_value() {
    // RFC 7644 §3.5.2.1, the example adding emails and a nickname.
    let (r, c) = ok(json!([{"op": "add", "value": {
        "emails": [{"value": "babs@jensen.org", "type": "home"}],
        "nickName": "Babs",
        "title": "Tour Guide"
    }}]));
    // The home email was already there; `nickName` is not in the test schema and is ignored.
    assert_eq!(r["emails"].as_array().map(Vec::len), Some(2));
    assert_eq!(r["title"], "Tour Guide");
    assert!(r.get("nickName").is_none());
    assert_eq!(changed(&c), ["title"]);
}

#[test]
fn add_to_a_single_valued_attribute_replaces_it() {
    let (r, c) = ok(json!([{"op": "add", "path": "userName", "value": "babs"}]));
    assert_eq!(r["userName"], "babs");
    assert_eq!(changed(&c), ["userName"]);
}

#[test]
fn add_an_existing_value_changes_nothing() {
    let (r, c) = ok(
        json!([{"op": "add", "path": "emails", "value": [{"value": "BABS@jensen.org", "type": "home"}]}]),
    );
    assert_eq!(Value::Object(user()), r);
    assert!(c.is_empty());
}

#[test]
fn a_new_primary_value_demotes_the_old_one() {
    let (r, _) = ok(
        json!([{"op": "add", "path": "emails", "value": [{"value": "n@x.org", "type": "other", "primary": true}]}]),
    );
    assert_eq!(r["emails"][0]["primary"], false);
    assert_eq!(r["emails"][2]["primary"], true);
}

// ---- RFC 7644 §3.5.2.2 remove ----

#[test]
fn remove_without_path_is_no_target() {
    let e = fails(json!([{"op": "remove"}]));
    assert_eq!((e.status, e.scim_type), (400, Some(ScimType::NoTarget)));
    assert_eq!(
        e.detail,
        "Operations[0]: \"remove\" needs a \"path\" naming what to remove"
    );
}

#[test]
fn remove_a_single_valued_attribute() {
    let (r, c) = ok(json!([{"op": "remove", "path": "name.familyName"}]));
    assert_eq!(r["name"], json!({"givenName": "Barbara"}));
    assert_eq!(changed(&c), ["name"]);
    let (r, _) = ok(json!([{"op": "remove", "path": "name"}]));
    assert!(r.get("name").is_none());
}

#[test]
fn remove_an_absent_attribute_changes_nothing() {
    let (_, c) = ok(json!([{"op": "remove", "path": "title"}]));
    assert!(c.is_empty());
}

#[test]
fn remove_with_a_value_filter_removes_matching_values() {
    let (r, _) = ok(
        json!([{"op": "remove", "path": "emails[type eq \"work\" and value ew \"example.com\"]"}]),
    );
    assert_eq!(
        r["emails"],
        json!([{"value": "babs@jensen.org", "type": "home"}])
    );
    let (r, _) = ok(json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}]));
    assert_eq!(
        r["emails"][0],
        json!({"value": "bjensen@example.com", "type": "work"})
    );
    let (r, c) = ok(json!([{"op": "remove", "path": "emails[type eq \"other\"]"}]));
    assert_eq!(Value::Object(user()), r);
    assert!(c.is_empty());
}

#[test]
fn remove_of_all_values_unassigns_the_attribute() {
    let (r, _) = ok(json!([{"op": "remove", "path": "emails"}]));
    assert!(r.get("emails").is_none());
    let (r, _) = ok(json!([{"op": "remove", "path": "emails[value co \"@\"]"}]));
    assert!(r.get("emails").is_none());
}

#[test]
fn remove_with_a_value_removes_those_values_only() {
    let (r, _) =
        ok(json!([{"op": "remove", "path": "emails", "value": [{"value": "babs@jensen.org"}]}]));
    assert_eq!(r["emails"].as_array().map(Vec::len), Some(1));
    assert_eq!(r["emails"][0]["type"], "work");
}

// ---- RFC 7644 §3.5.2.3 replace ----

#[test]
fn replace_a_multi_valued_attribute_replaces_all_values() {
    let (r, _) = ok(
        json!([{"op": "replace", "path": "emails", "value": [{"value": "only@x.org", "type": "work"}]}]),
    );
    assert_eq!(
        r["emails"],
        json!([{"value": "only@x.org", "type": "work"}])
    );
}

#[test]
fn replace_a_complex_attribute_keeps_unnamed_sub_attributes() {
    let (r, _) = ok(
        json!([{"op": "replace", "path": "name", "value": {"familyName": "Jensen-Smith", "formatted": null}}]),
    );
    assert_eq!(
        r["name"],
        json!({"givenName": "Barbara", "familyName": "Jensen-Smith"})
    );
    let (r, _) = ok(json!([{"op": "replace", "path": "name", "value": {"givenName": null}}]));
    assert_eq!(r["name"], json!({"familyName": "Jensen"}));
}

#[test]
fn replace_a_filtered_sub_attribute() {
    let (r, c) = ok(
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@example.com"}]),
    );
    assert_eq!(
        r["emails"][0],
        json!({"value": "new@example.com", "type": "work", "primary": true})
    );
    assert_eq!(changed(&c), ["emails"]);
}

#[test]
fn replace_filtered_values_replaces_the_whole_element() {
    let (r, _) = ok(
        json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "h@x.org", "type": "home"}}]),
    );
    assert_eq!(r["emails"][1], json!({"value": "h@x.org", "type": "home"}));
}

#[test]
fn replace_with_a_filter_that_cannot_describe_a_new_value_is_no_target() {
    let e = fails(
        json!([{"op": "replace", "path": "emails[value co \"nobody\"].type", "value": "work"}]),
    );
    assert_eq!(e.scim_type, Some(ScimType::NoTarget));
    assert_eq!(
        e.detail,
        "Operations[0]: no value of 'emails' matches the filter of path 'emails[value co \"nobody\"].type'"
    );
}

#[test]
fn replace_active_reports_the_transition() {
    let (r, c) = ok(json!([{"op": "replace", "path": "active", "value": false}]));
    assert_eq!(r["active"], false);
    let active = c.active.unwrap();
    assert_eq!((active.old, active.new), (Some(true), Some(false)));
    assert!(active.is_deactivation() && !active.is_reactivation());
    let (_, c) = ok(json!([{"op": "replace", "path": "active", "value": true}]));
    assert_eq!(c.active, None);
}

// ---- mutability and validation ----

#[test]
fn read_only_attributes_are_ignored() {
    let (r, c) = ok(json!([
        {"op": "replace", "path": "id", "value": "other"},
        {"op": "replace", "value": {"meta": {"lastModified": "2020-01-01T00:00:00Z"}, "groups": [{"value": "g"}]}},
        {"op": "remove", "path": "id"}
    ]));
    assert_eq!(r["id"], "2819c223");
    assert!(c.is_empty());
}

#[test]
fn immutable_attributes_can_be_set_once_but_not_changed() {
    let e = fails(json!([{"op": "replace", "path": "badge", "value": "B-2"}]));
    assert_eq!((e.status, e.scim_type), (400, Some(ScimType::Mutability)));
    assert_eq!(
        e.detail,
        "Operations[0]: 'badge' is immutable: it cannot be changed once set"
    );
    let (_, c) = ok(json!([{"op": "replace", "path": "badge", "value": "B-1"}]));
    assert!(c.is_empty());
    let mut without = user();
    without.remove("badge");
    let (r, _) = patch(
        &without,
        json!([{"op": "add", "path": "badge", "value": "B-9"}]),
    )
    .unwrap();
    assert_eq!(r["badge"], "B-9");
}

#[test]
fn required_attributes_cannot_be_removed() {
    for ops in [
        json!([{"op": "remove", "path": "userName"}]),
        json!([{"op": "replace", "path": "userName", "value": null}]),
        json!([{"op": "replace", "value": {"userName": null}}]),
    ] {
        let e = fails(ops);
        assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidValue)));
        assert_eq!(
            e.detail,
            "Operations[0]: 'userName' is required and cannot be removed"
        );
    }
}

#[test]
fn unknown_paths_are_invalid_path() {
    let e = fails(json!([{"op": "replace", "path": "nickName", "value": "x"}]));
    assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
    assert_eq!(
        e.detail,
        "Operations[0]: unknown attribute 'nickName' in path 'nickName' for resource type User"
    );
    let e = fails(json!([{"op": "replace", "path": "name.nickName", "value": "x"}]));
    assert_eq!(
        e.detail,
        "Operations[0]: 'name' has no sub-attribute 'nickName' (path 'name.nickName')"
    );
    let e = fails(json!([{"op": "replace", "path": "title[value eq \"x\"]", "value": "x"}]));
    assert_eq!(
        e.detail,
        "Operations[0]: 'title' is not a multi-valued complex attribute: path 'title[value eq \"x\"]' cannot filter it"
    );
    let e = fails(json!([{"op": "replace", "path": "emails[kind eq \"x\"].value", "value": "x"}]));
    assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
}

#[test]
fn values_are_checked_against_the_attribute_type() {
    let e = fails(json!([{"op": "replace", "path": "active", "value": "maybe"}]));
    assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidValue)));
    assert_eq!(
        e.detail,
        "Operations[0]: 'active' must be true or false, found a string"
    );
    let e = fails(json!([{"op": "replace", "value": {"loginCount": "many"}}]));
    assert_eq!(
        e.detail,
        "Operations[0]: 'loginCount' must be an integer, found a string"
    );
    let e = fails(json!([{"op": "replace", "value": "active"}]));
    assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
    let e = fails(json!([{"op": "add", "path": "title"}]));
    assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
}

#[test]
fn a_failing_operation_fails_the_whole_request() {
    let e = fails(json!([
        {"op": "replace", "path": "title", "value": "ok"},
        {"op": "replace", "path": "active", "value": 3}
    ]));
    assert_eq!(
        e.detail,
        "Operations[1]: 'active' must be true or false, found a number"
    );
}

#[test]
fn extension_objects_and_schemas_are_kept_in_step() {
    let urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let (r, c) = ok(json!([{"op": "add", "path": format!("{urn}:employeeNumber"), "value": "7"}]));
    assert_eq!(r[urn], json!({"employeeNumber": "7"}));
    assert_eq!(
        r["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User", urn])
    );
    assert_eq!(changed(&c), [format!("{urn}:employeeNumber")]);
    let (r2, _) = patch(
        &obj(r),
        json!([{"op": "remove", "path": format!("{urn}:employeeNumber")}]),
    )
    .unwrap();
    assert!(r2.get(urn).is_none());
    assert_eq!(
        r2["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User"])
    );
}

#[test]
fn a_path_naming_an_extension_targets_its_attributes() {
    let urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let (r, _) =
        ok(json!([{"op": "add", "path": urn, "value": {"department": "Biology", "bogus": 1}}]));
    assert_eq!(r[urn], json!({"department": "Biology"}));
    let (r, _) = patch(&obj(r), json!([{"op": "remove", "path": urn}])).unwrap();
    assert!(r.get(urn).is_none());
}

// ---- groups ----

fn group() -> Map<String, Value> {
    obj(json!({"id": "g1", "displayName": "Biology 101"}))
}

fn patch_group(resource: &Map<String, Value>, ops: Value) -> Result<(Value, ChangeSet), ScimError> {
    let req = parse_patch(&body(ops))?;
    apply_patch(&GROUP_RT, resource, &req).map(|(r, c)| (Value::Object(r), c))
}

#[test]
fn members_are_reported_not_written() {
    let (r, c) = patch_group(
        &group(),
        json!([{"op": "add", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]}]),
    )
    .unwrap();
    assert_eq!(Value::Object(group()), r);
    assert_eq!(c.members.added, ["u1", "u2"]);
    assert_eq!(changed(&c), ["members"]);
}

#[test]
fn member_operations_compose_in_order() {
    let (_, c) = patch_group(
        &group(),
        json!([
            {"op": "add", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]},
            {"op": "remove", "path": "members[value eq \"u1\"]"},
            {"op": "remove", "path": "members", "value": [{"value": "u3"}]},
            {"op": "add", "path": "members", "value": [{"value": "u3"}, {"value": "u2"}]}
        ]),
    )
    .unwrap();
    assert_eq!(
        c.members,
        MemberChanges {
            replaced: None,
            added: vec!["u2".into(), "u3".into()],
            removed: vec!["u1".into()]
        }
    );

    let (_, c) = patch_group(
        &group(),
        json!([
            {"op": "add", "path": "members", "value": [{"value": "u9"}]},
            {"op": "replace", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]},
            {"op": "remove", "path": "members[value eq \"u2\" or value eq \"u7\"]"},
            {"op": "add", "path": "members", "value": {"value": "u3"}}
        ]),
    )
    .unwrap();
    assert_eq!(
        c.members,
        MemberChanges {
            replaced: Some(vec!["u1".into(), "u3".into()]),
            added: vec![],
            removed: vec![]
        }
    );
}

#[test]
fn remove_members_without_value_removes_them_all() {
    let (_, c) = patch_group(&group(), json!([{"op": "remove", "path": "members"}])).unwrap();
    assert_eq!(c.members.replaced, Some(vec![]));
}

#[test]
fn known_members_make_repeated_adds_and_removes_empty() {
    let mut g = group();
    g.insert("members".into(), json!([{"value": "u1"}, {"value": "u2"}]));
    let (_, c) = patch_group(
        &g,
        json!([
            {"op": "add", "path": "members", "value": [{"value": "u1"}]},
            {"op": "remove", "path": "members[value eq \"u5\"]"}
        ]),
    )
    .unwrap();
    assert!(c.members.is_empty());
    assert!(c.is_empty());
}

#[test]
fn members_cannot_be_selected_by_anything_but_value() {
    let e = patch_group(
        &group(),
        json!([{"op": "remove", "path": "members[display eq \"Ada\"]"}]),
    )
    .unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
    let e = patch_group(
        &group(),
        json!([{"op": "add", "path": "members", "value": [{"display": "Ada"}]}]),
    )
    .unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
}
