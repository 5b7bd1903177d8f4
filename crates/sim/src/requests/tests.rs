//! The request shapes, asserted exactly against ENTRA.md and Okta's documented requests.

use serde_json::json;

use super::*;
use crate::directory::UserSpec;

const DEFAULT: Profile = Profile::Entra(Dialect::Default);
const FLAG: Profile = Profile::Entra(Dialect::Flag);

fn ada() -> UserAttrs {
    let mut spec = UserSpec::simple("ada.lovelace", "example.edu");
    spec.employee_id = Some("7".into());
    UserAttrs::from(&spec)
}

fn members() -> Vec<MemberRef> {
    vec![
        MemberRef {
            id: "u1".into(),
            display: "a@x.org".into(),
        },
        MemberRef {
            id: "u2".into(),
            display: "b@x.org".into(),
        },
    ]
}

#[test]
fn default_dialect_deactivates_with_a_capitalised_op_and_a_string_boolean() {
    let request = set_active(DEFAULT, "42", false);
    assert_eq!(request.method, Method::Patch);
    assert_eq!(request.path, "/Users/42");
    assert!(request.query.is_empty());
    assert_eq!(
        request.body,
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"}]
        }))
    );
}

#[test]
fn flag_dialect_deactivates_with_a_real_boolean_and_carries_the_query_flag() {
    let request = set_active(FLAG, "42", false);
    assert_eq!(request.query, vec![("aadOptscim062020".to_owned(), None)]);
    assert_eq!(
        request.body,
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "path": "active", "value": false}]
        }))
    );
}

#[test]
fn default_dialect_sends_one_capitalised_op_per_changed_attribute() {
    let changed = [Attr::GivenName, Attr::Email, Attr::EmployeeNumber];
    let request = update_user(DEFAULT, "42", &ada(), &changed, None);
    assert_eq!(
        request.body,
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "Replace", "path": "name.givenName", "value": "Ada"},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ada.lovelace@example.edu"},
                {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "7"}
            ]
        }))
    );
}

#[test]
fn flag_dialect_folds_attributes_into_one_pathless_replace_with_dotted_keys() {
    let changed = [
        Attr::DisplayName,
        Attr::GivenName,
        Attr::Email,
        Attr::EmployeeNumber,
    ];
    let request = update_user(FLAG, "42", &ada(), &changed, Some(true));
    assert_eq!(
        request.body,
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "replace", "value": {
                    "displayName": "Ada Lovelace",
                    "name.givenName": "Ada",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7"
                }},
                {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "ada.lovelace@example.edu"},
                {"op": "replace", "path": "active", "value": true}
            ]
        }))
    );
}

#[test]
fn default_dialect_removes_members_with_a_value_array() {
    let request = remove_members(DEFAULT, "g1", &members());
    assert_eq!(request.path, "/Groups/g1");
    assert_eq!(
        request.body,
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [{"op": "Remove", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]}]
        }))
    );
}

#[test]
fn flag_dialect_removes_each_member_by_value_filter() {
    let request = remove_members(FLAG, "g1", &members());
    assert_eq!(
        request.body,
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "remove", "path": "members[value eq \"u1\"]"},
                {"op": "remove", "path": "members[value eq \"u2\"]"}
            ]
        }))
    );
}

#[test]
fn default_dialect_adds_members_with_a_capital_op_and_some_null_refs() {
    let request = add_members(DEFAULT, "g1", &members());
    assert_eq!(
        request.body,
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [{"op": "Add", "path": "members", "value": [{"value": "u1"}, {"$ref": null, "value": "u2"}]}]
        }))
    );
}

#[test]
fn groups_are_matched_by_display_name_without_members() {
    let request = find_group(DEFAULT, "Biology 101");
    assert_eq!(
        request.describe(),
        "GET /Groups?excludedAttributes=members&filter=displayName eq \"Biology 101\""
    );
    assert_eq!(
        find_group(FLAG, "Biology 101").describe(),
        "GET /Groups?aadOptscim062020&excludedAttributes=members&filter=displayName eq \"Biology 101\""
    );
}

#[test]
fn users_are_matched_by_a_quoted_user_name_filter() {
    assert_eq!(
        find_user(DEFAULT, "o\"malley@x.org").describe(),
        "GET /Users?filter=userName eq \"o\\\"malley@x.org\""
    );
}

#[test]
fn entra_creates_users_with_core_and_enterprise_schemas() {
    let body = create_user(DEFAULT, &ada()).body.unwrap();
    assert_eq!(
        body["schemas"],
        json!([CORE_USER, crate::attrs::ENTERPRISE_USER])
    );
    assert_eq!(body["active"], json!("True"));
    assert_eq!(body["roles"], json!([]));
    assert_eq!(body["externalId"], json!("ada.lovelace"));
    assert_eq!(
        body[crate::attrs::ENTERPRISE_USER]["employeeNumber"],
        json!("7")
    );
    assert_eq!(
        create_user(FLAG, &ada()).body.unwrap()["active"],
        json!(true)
    );
}

#[test]
fn entra_renames_groups_with_a_path_or_a_pathless_object() {
    assert_eq!(
        rename_group(DEFAULT, "g1", "Bio").body,
        Some(
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "displayName", "value": "Bio"}]})
        )
    );
    assert_eq!(
        rename_group(FLAG, "g1", "Bio").body,
        Some(
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"displayName": "Bio"}}]})
        )
    );
}

#[test]
fn okta_updates_with_put_of_the_whole_resource() {
    let request = update_user(Profile::Okta, "42", &ada(), &[Attr::Email], Some(true));
    assert_eq!(request.method, Method::Put);
    let body = request.body.unwrap();
    assert_eq!(body["id"], json!("42"));
    assert_eq!(body["active"], json!(true));
    assert_eq!(body["userName"], json!("ada.lovelace@example.edu"));
}

#[test]
fn okta_deactivates_with_a_pathless_replace_of_active() {
    assert_eq!(
        set_active(Profile::Okta, "42", false).body,
        Some(
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]})
        )
    );
}

#[test]
fn okta_pushes_members_with_their_display_names() {
    assert_eq!(
        add_members(Profile::Okta, "g1", &members()).body,
        Some(
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [
                {"value": "u1", "display": "a@x.org"}, {"value": "u2", "display": "b@x.org"}
            ]}]})
        )
    );
    assert_eq!(
        find_group(Profile::Okta, "Bio").describe(),
        "GET /Groups?filter=displayName eq \"Bio\"&startIndex=1&count=100"
    );
}
