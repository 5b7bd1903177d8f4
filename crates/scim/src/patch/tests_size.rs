//! Large requests: multi-valued attributes are bounded, matching values stays linear, and member
//! lists of tens of thousands of values come out exact.

use serde_json::{Value, json};

use super::tests_rfc::{body, obj};
use super::*;
use crate::error::ScimType;
use crate::normalize::normalize;
use crate::schema::MAX_VALUES;
use crate::test_schema::{GROUP_RT, USER_RT};

fn emails(range: std::ops::Range<usize>, kind: &str) -> Vec<Value> {
    range
        .map(|i| json!({"value": format!("u{i}@Example.org"), "type": kind}))
        .collect()
}

#[test]
fn more_values_than_the_bound_are_refused_naming_the_attribute() {
    let too_many = json!({"userName": "u", "emails": emails(0..MAX_VALUES + 1, "work")});
    let e = normalize(&USER_RT, &too_many).unwrap_err();
    assert_eq!(e.status, 400);
    assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
    assert_eq!(
        e.detail,
        "emails holds 1001 values; Roster keeps at most 1000 values of one attribute"
    );
    let at_the_bound = json!({"userName": "u", "emails": emails(0..MAX_VALUES, "work")});
    assert!(normalize(&USER_RT, &at_the_bound).is_ok());

    // A PATCH that would grow the attribute past the bound, in two steps of 600.
    let resource = obj(json!({"userName": "u", "emails": emails(0..600, "work")}));
    let add = parse_patch(&body(
        json!([{"op": "add", "path": "emails", "value": emails(600..1200, "work")}]),
    ))
    .unwrap();
    let e = apply_patch(&USER_RT, &resource, &add).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
    assert!(
        e.detail.contains("emails holds 1200 values"),
        "{}",
        e.detail
    );
}

#[test]
fn adding_and_removing_many_values_matches_them_as_before() {
    let resource = obj(json!({"userName": "u", "emails": emails(0..500, "work")}));
    // Re-sent values in another case are the same values (emails are caseExact: false); the
    // type distinguishes otherwise equal values only when the new one names a type.
    let mut sent: Vec<Value> = (0..500)
        .map(|i| json!({"value": format!("U{i}@EXAMPLE.ORG"), "type": "work", "display": "again"}))
        .collect();
    sent.extend(emails(500..1000, "home"));
    let add = parse_patch(&body(
        json!([{"op": "add", "path": "emails", "value": sent}]),
    ))
    .unwrap();
    let (after, changes) = apply_patch(&USER_RT, &resource, &add).unwrap();
    let list = after["emails"].as_array().unwrap();
    assert_eq!(list.len(), 1000);
    assert_eq!(
        list[0]["value"], "u0@Example.org",
        "the stored spelling stays"
    );
    assert_eq!(list[0]["display"], "again");
    assert!(changes.attributes.contains("emails"));

    // Remove by value: a "home" typed removal leaves the "work" value with the same address.
    let mixed = obj(json!({"userName": "u", "emails": [
        {"value": "a@x.org", "type": "work"},
        {"value": "a@x.org", "type": "home"},
        {"value": "b@x.org"}
    ]}));
    let remove = parse_patch(&body(json!([{"op": "remove", "path": "emails", "value": [
        {"value": "A@X.ORG", "type": "home"},
        {"value": "b@x.org"}
    ]}])))
    .unwrap();
    let (after, _) = apply_patch(&USER_RT, &mixed, &remove).unwrap();
    assert_eq!(
        after["emails"],
        json!([{"value": "a@x.org", "type": "work"}])
    );
}

#[test]
fn tens_of_thousands_of_member_values_come_out_exact() {
    let group = obj(json!({"displayName": "All staff"}));
    let n = 40_000;
    let values: Vec<Value> = (0..n).map(|i| json!({"value": format!("m{i}")})).collect();
    let removed: Vec<Value> = (0..n)
        .step_by(2)
        .map(|i| json!({"value": format!("m{i}")}))
        .collect();
    let request = parse_patch(&body(json!([
        {"op": "add", "path": "members", "value": values},
        {"op": "add", "path": "members", "value": values},
        {"op": "remove", "path": "members", "value": removed},
    ])))
    .unwrap();
    let (_, changes) = apply_patch(&GROUP_RT, &group, &request).unwrap();
    let expected_added: Vec<String> = (1..n).step_by(2).map(|i| format!("m{i}")).collect();
    let expected_removed: Vec<String> = (0..n).step_by(2).map(|i| format!("m{i}")).collect();
    assert_eq!(changes.members.added, expected_added);
    assert_eq!(changes.members.removed, expected_removed);
    assert_eq!(changes.members.replaced, None);

    let replace = parse_patch(&body(json!([
        {"op": "replace", "path": "members", "value": values},
        {"op": "remove", "path": "members", "value": removed},
        {"op": "add", "path": "members", "value": [{"value": "m0"}]},
    ])))
    .unwrap();
    let (_, changes) = apply_patch(&GROUP_RT, &group, &replace).unwrap();
    let mut expected = expected_added;
    expected.push("m0".into());
    assert_eq!(changes.members.replaced, Some(expected));
}
