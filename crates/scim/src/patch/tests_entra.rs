//! Every PATCH shape of `shared/ENTRA.md`, in both Entra dialects (without and with
//! `aadOptscim062020`), plus Okta's and Microsoft's SCIM Validator's, against the real schemas.

use serde_json::{Map, Value, json};

use super::tests_rfc::{body, obj};
use super::*;
use crate::schema::{GROUP_RESOURCE, USER_RESOURCE};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn user() -> Map<String, Value> {
    obj(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "id": "u-1",
        "externalId": "ada",
        "userName": "ada@example.org",
        "displayName": "Ada",
        "active": true,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": "ada@home.org", "type": "home"}],
        ENTERPRISE: {"department": "Maths"}
    }))
}

fn group() -> Map<String, Value> {
    obj(json!({"id": "g-1", "displayName": "Biology 101"}))
}

fn patch_user(ops: Value) -> (Value, ChangeSet) {
    let req = parse_patch(&body(ops)).unwrap();
    let (r, c) = apply_patch(&USER_RESOURCE, &user(), &req).unwrap();
    (Value::Object(r), c)
}

fn patch_group(ops: Value) -> ChangeSet {
    let req = parse_patch(&body(ops)).unwrap();
    let (r, c) = apply_patch(&GROUP_RESOURCE, &group(), &req).unwrap();
    assert!(
        r.get("members").is_none(),
        "members are never written to the resource"
    );
    c
}

fn deactivated(c: &ChangeSet) -> bool {
    c.active
        .is_some_and(|a| a.old == Some(true) && a.new == Some(false))
}

#[test]
fn deactivate_with_a_string_boolean_and_capitalised_op() {
    for value in [json!("False"), json!("false"), json!(false)] {
        let (r, c) = patch_user(json!([{"op": "Replace", "path": "active", "value": value}]));
        assert_eq!(r["active"], false);
        assert!(deactivated(&c));
        assert_eq!(c.attributes.iter().collect::<Vec<_>>(), ["active"]);
    }
}

#[test]
fn deactivate_with_okta_path_less_replace() {
    let (r, c) = patch_user(json!([{"op": "replace", "value": {"active": false}}]));
    assert_eq!(r["active"], false);
    assert!(deactivated(&c));
}

#[test]
fn reactivate_reports_a_reactivation() {
    let req = parse_patch(&body(
        json!([{"op": "Replace", "path": "active", "value": "True"}]),
    ))
    .unwrap();
    let mut inactive = user();
    inactive.insert("active".into(), json!(false));
    let (r, c) = apply_patch(&USER_RESOURCE, &inactive, &req).unwrap();
    assert_eq!(r["active"], true);
    assert!(c.active.unwrap().is_reactivation());
}

#[test]
fn one_op_per_attribute_without_the_flag() {
    let (r, c) = patch_user(json!([
        {"op": "Replace", "path": "name.givenName", "value": "Augusta"},
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ada@work.org"},
        {"op": "Replace", "path": format!("{ENTERPRISE}:employeeNumber"), "value": "7"},
        {"op": "Add", "path": "displayName", "value": "Ada L"}
    ]));
    assert_eq!(
        r["name"],
        json!({"givenName": "Augusta", "familyName": "Lovelace"})
    );
    // No work email existed: the element the filter describes is created (see `Update`).
    assert_eq!(
        r["emails"],
        json!([{"value": "ada@home.org", "type": "home"}, {"type": "work", "value": "ada@work.org"}])
    );
    assert_eq!(
        r[ENTERPRISE],
        json!({"department": "Maths", "employeeNumber": "7"})
    );
    assert_eq!(r["displayName"], "Ada L");
    assert_eq!(
        c.attributes.iter().collect::<Vec<_>>(),
        [
            "displayName",
            "emails",
            "name",
            &format!("{ENTERPRISE}:employeeNumber")
        ]
    );
}

#[test]
fn replace_of_an_existing_work_email_updates_it_in_place() {
    let req = parse_patch(&body(json!([
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@work.org"}
    ])))
    .unwrap();
    let mut u = user();
    u.insert(
        "emails".into(),
        json!([{"value": "old@work.org", "type": "work", "primary": true}]),
    );
    let (r, _) = apply_patch(&USER_RESOURCE, &u, &req).unwrap();
    assert_eq!(
        r["emails"],
        json!([{"value": "new@work.org", "type": "work", "primary": true}])
    );
}

#[test]
fn path_less_replace_with_dotted_and_urn_keys_with_the_flag() {
    let (r, c) = patch_user(json!([{"op": "replace", "value": {
        "displayName": "Ada L",
        "name.givenName": "Augusta",
        "name.familyName": "King",
        format!("{ENTERPRISE}:employeeNumber"): "7",
        format!("{ENTERPRISE}:manager"): "m-1",
        "unknownThing": "ignored"
    }}]));
    assert_eq!(r["displayName"], "Ada L");
    assert_eq!(
        r["name"],
        json!({"givenName": "Augusta", "familyName": "King"})
    );
    assert_eq!(
        r[ENTERPRISE],
        json!({"department": "Maths", "employeeNumber": "7", "manager": {"value": "m-1"}})
    );
    assert!(r.get("unknownThing").is_none());
    assert_eq!(c.attributes.len(), 4);
}

#[test]
fn path_less_value_with_an_extension_object_keyed_by_urn() {
    let (r, _) = patch_user(json!([{"op": "add", "value": {
        ENTERPRISE: {"employeeNumber": "8", "manager": {"value": "m-2", "displayName": "ignored"}},
        "title": "Countess"
    }}]));
    assert_eq!(
        r[ENTERPRISE],
        json!({"department": "Maths", "employeeNumber": "8", "manager": {"value": "m-2"}})
    );
    assert_eq!(r["title"], "Countess");
}

#[test]
fn manager_through_the_enterprise_urn_as_string_or_object() {
    for value in [json!("m-1"), json!({"value": "m-1"})] {
        let (r, _) = patch_user(
            json!([{"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": value}]),
        );
        assert_eq!(r[ENTERPRISE]["manager"], json!({"value": "m-1"}));
    }
    let (r, _) = patch_user(
        json!([{"op": "replace", "path": format!("{ENTERPRISE}:manager.value"), "value": "m-3"}]),
    );
    assert_eq!(r[ENTERPRISE]["manager"], json!({"value": "m-3"}));
    let (r, _) = patch_user(json!([{"op": "Remove", "path": format!("{ENTERPRISE}:manager")}]));
    assert_eq!(r[ENTERPRISE], json!({"department": "Maths"}));
}

#[test]
fn validator_replaces_user_name_and_work_email_primary_with_a_string() {
    let (r, c) = patch_user(json!([
        {"op": "replace", "value": {"userName": "ada.l@example.org"}},
        {"op": "replace", "path": "emails[type eq \"work\"].primary", "value": "True"}
    ]));
    assert_eq!(r["userName"], "ada.l@example.org");
    assert_eq!(
        r["emails"],
        json!([{"value": "ada@home.org", "type": "home"}, {"type": "work", "primary": true}])
    );
    assert!(c.attributes.contains("userName"));
}

#[test]
fn post_style_nulls_and_read_only_echoes_are_tolerated() {
    let (r, c) = patch_user(json!([{"op": "replace", "value": {
        "id": "other", "meta": {"resourceType": "User"}, "schemas": [], "title": null, "nickName": null
    }}]));
    assert_eq!(r["id"], "u-1");
    assert!(c.is_empty());
}

#[test]
fn rename_group_both_forms() {
    for ops in [
        json!([{"op": "Replace", "path": "displayName", "value": "Biology 102"}]),
        json!([{"op": "replace", "value": {"displayName": "Biology 102"}}]),
    ] {
        let req = parse_patch(&body(ops)).unwrap();
        let (r, c) = apply_patch(&GROUP_RESOURCE, &group(), &req).unwrap();
        assert_eq!(r["displayName"], "Biology 102");
        assert_eq!(c.attributes.iter().collect::<Vec<_>>(), ["displayName"]);
    }
}

#[test]
fn add_members_with_null_refs() {
    let c = patch_group(json!([{"op": "Add", "path": "members", "value": [
        {"value": "u-1"}, {"$ref": null, "value": "u-2"}, {"value": "u-1"}
    ]}]));
    assert_eq!(c.members.added, ["u-1", "u-2"]);
    assert!(c.members.removed.is_empty() && c.members.replaced.is_none());
}

#[test]
fn remove_members_by_value_never_empties_the_group() {
    let c = patch_group(json!([{"op": "Remove", "path": "members", "value": [{"value": "u-1"}]}]));
    assert_eq!(
        c.members,
        MemberChanges {
            replaced: None,
            added: vec![],
            removed: vec!["u-1".into()]
        }
    );
}

#[test]
fn remove_member_by_filter_with_the_flag() {
    let c = patch_group(json!([{"op": "remove", "path": "members[value eq \"u-1\"]"}]));
    assert_eq!(c.members.removed, ["u-1"]);
    assert!(c.members.replaced.is_none());
}

#[test]
fn validator_replace_of_members_sets_the_managed_set() {
    let c = patch_group(json!([{"op": "replace", "path": "members", "value": [{"value": "u-5"}]}]));
    assert_eq!(c.members.replaced, Some(vec!["u-5".to_string()]));
    let c = patch_group(
        json!([{"op": "replace", "value": {"members": [{"value": "u-6"}], "displayName": "B"}}]),
    );
    assert_eq!(c.members.replaced, Some(vec!["u-6".to_string()]));
    assert_eq!(
        c.attributes.iter().collect::<Vec<_>>(),
        ["displayName", "members"]
    );
}

#[test]
fn member_sub_attribute_paths_that_do_not_exist_are_invalid_paths() {
    // Roster's members have value, $ref and type (RFC 7643 §8.7.1); `display` is not one.
    let req = parse_patch(&body(
        json!([{"op": "replace", "path": "members[value eq \"u-1\"].display", "value": "Ada"}]),
    ))
    .unwrap();
    let err = apply_patch(&GROUP_RESOURCE, &group(), &req).unwrap_err();
    assert_eq!(err.scim_type, Some(crate::ScimType::InvalidPath));
}
