//! Cost of the protocol work on every SCIM request: parsing the filters Entra ID sends, evaluating
//! one, and parsing plus applying its typical PATCH requests. Run with
//! `cargo bench -p roster-scim --bench protocol`; numbers are recorded in `crates/scim/README.md`.
#![expect(
    clippy::expect_used,
    reason = "a benchmark whose fixture does not parse must stop, not measure an error path"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use roster_scim::filter::{matches, parse_filter, validate};
use roster_scim::patch::{apply_patch, parse_patch};
use roster_scim::schema::{GROUP_RESOURCE, ResourceType, USER_RESOURCE};
use serde_json::{Map, Value, json};

const FILTERS: &[(&str, &str)] = &[
    (
        "probe",
        r#"userName eq "8d2f1c0e-5b7a-4e2b-9c41-0f6a3e9d7b12""#,
    ),
    ("match_user", r#"userName eq "ada.lovelace@example.org""#),
    (
        "membership",
        r#"id eq "5c7b1d2e-0a4f-4c3b-8e9d-1f2a3b4c5d6e" and members eq "8d2f1c0e-5b7a-4e2b-9c41-0f6a3e9d7b12""#,
    ),
    (
        "rfc_complex",
        r#"userType eq "Employee" and (emails[type eq "work" and value co "@example.com"] or not (title pr))"#,
    ),
];

fn user() -> Map<String, Value> {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "id": "8d2f1c0e-5b7a-4e2b-9c41-0f6a3e9d7b12",
        "externalId": "ada",
        "userName": "ada.lovelace@example.org",
        "displayName": "Ada Lovelace",
        "active": true,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": "ada.lovelace@example.org", "type": "work", "primary": true}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Maths"}
    })
    .as_object()
    .cloned()
    .expect("fixture is an object")
}

fn group() -> Map<String, Value> {
    json!({"id": "5c7b1d2e", "displayName": "Biology 101"})
        .as_object()
        .cloned()
        .expect("fixture is an object")
}

fn patch_body(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

fn patches() -> Vec<(
    &'static str,
    &'static ResourceType,
    Map<String, Value>,
    Value,
)> {
    let members: Vec<Value> = (0..20)
        .map(|i| json!({"$ref": null, "value": format!("8d2f1c0e-5b7a-4e2b-9c41-0f6a3e9d{i:04}")}))
        .collect();
    vec![
        (
            "deactivate_string_bool",
            &USER_RESOURCE,
            user(),
            patch_body(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        ),
        (
            "pathless_dotted_urn",
            &USER_RESOURCE,
            user(),
            patch_body(json!([{"op": "replace", "value": {
                "displayName": "Ada L",
                "name.givenName": "Augusta",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7"
            }}])),
        ),
        (
            "work_email_value_filter",
            &USER_RESOURCE,
            user(),
            patch_body(json!([
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ada@example.org"},
                {"op": "Replace", "path": "name.familyName", "value": "King"}
            ])),
        ),
        (
            "add_20_members",
            &GROUP_RESOURCE,
            group(),
            patch_body(json!([{"op": "Add", "path": "members", "value": members}])),
        ),
        (
            "remove_member_filter",
            &GROUP_RESOURCE,
            group(),
            patch_body(
                json!([{"op": "remove", "path": "members[value eq \"8d2f1c0e-5b7a-4e2b-9c41-0f6a3e9d7b12\"]"}]),
            ),
        ),
    ]
}

fn filters(c: &mut Criterion) {
    let mut g = c.benchmark_group("filter_parse");
    for (name, text) in FILTERS {
        g.bench_function(*name, |b| b.iter(|| parse_filter(black_box(text))));
    }
    g.finish();

    let resource = user();
    let mut g = c.benchmark_group("filter_validate_match");
    for (name, text) in FILTERS {
        let filter = parse_filter(text).expect("benchmark filter parses");
        g.bench_function(*name, |b| {
            b.iter(|| {
                let ok = validate(black_box(&filter), &USER_RESOURCE).is_ok();
                ok && matches(black_box(&filter), &USER_RESOURCE, black_box(&resource))
            })
        });
    }
    g.finish();
}

fn patch(c: &mut Criterion) {
    let mut g = c.benchmark_group("patch_parse_apply");
    for (name, rt, resource, body) in patches() {
        apply_patch(rt, &resource, &parse_patch(&body).expect("parses")).expect("applies");
        g.bench_function(name, |b| {
            b.iter(|| {
                let req = parse_patch(black_box(&body)).expect("parses");
                apply_patch(rt, black_box(&resource), &req).expect("applies")
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = filters, patch
}
criterion_main!(benches);
