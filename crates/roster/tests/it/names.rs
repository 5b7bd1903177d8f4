//! Strings every store can keep, and one name per person whatever the Unicode: U+0000 is 400
//! naming the attribute (filters: `invalidFilter`), names refuse control characters and hold at
//! most 256 characters, and userNames equal under NFC + full case folding are one name — the same
//! on SQLite and PostgreSQL (the suite runs on both).

use roster_domain::OrgKind;
use serde_json::{Value, json};

use crate::support::{TestApp, TestResponse};

const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

fn user(extra: Value) -> Value {
    let mut body = json!({"schemas": [CORE_USER], "userName": "ada@x.org"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

fn assert_names(response: &TestResponse, status: u16, scim_type: &str, attribute: &str) {
    response.assert_scim_error(status, Some(scim_type));
    let detail = response.body["detail"].as_str().unwrap();
    assert!(detail.contains(attribute), "{attribute}: {detail}");
}

#[tokio::test]
async fn nul_in_any_name_is_400_invalid_value_naming_the_attribute() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    for (body, attribute) in [
        (user(json!({"userName": "a\u{0}b@x.org"})), "userName"),
        (user(json!({"displayName": "Ada\u{0}"})), "displayName"),
        (
            user(json!({"name": {"givenName": "A\u{0}da"}})),
            "name.givenName",
        ),
        (user(json!({"externalId": "\u{0}"})), "externalId"),
        (user(json!({"title": "x\u{0}"})), "title"),
    ] {
        let response = app.post(&tenant, "/Users", &body).await;
        assert_names(&response, 400, "invalidValue", attribute);
    }
    let group = json!({"schemas": [CORE_GROUP], "displayName": "Bio\u{0}logy"});
    let response = app.post(&tenant, "/Groups", &group).await;
    assert_names(&response, 400, "invalidValue", "displayName");

    let id = app.create_user(&tenant, "ada@x.org").await;
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "name.givenName", "value": "A\u{0}"}],
    });
    let response = app.patch(&tenant, &format!("/Users/{id}"), &patch).await;
    assert_names(&response, 400, "invalidValue", "givenName");
    let response = app
        .put(
            &tenant,
            &format!("/Users/{id}"),
            &user(json!({"displayName": "\u{0}"})),
        )
        .await;
    assert_names(&response, 400, "invalidValue", "displayName");
    // An id with a NUL in the URL is simply not found.
    let response = app
        .put(
            &tenant,
            "/Users/a%00b",
            &user(json!({"displayName": "Ada"})),
        )
        .await;
    response.assert_scim_error(404, None);
    // Nothing was stored, and the refusals were logged (without the NUL), on every store.
    let log = app.wait_for_log(&tenant, 10).await;
    assert!(log.iter().all(|e| {
        e.name.as_deref().is_none_or(|n| !n.contains('\0'))
            && e.resource_id.as_deref().is_none_or(|n| !n.contains('\0'))
    }));
}

#[tokio::test]
async fn nul_in_a_filter_value_is_400_invalid_filter_naming_the_attribute() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    for (filter, named) in [
        ("userName+eq+%22a%5Cu0000b%22", "userName"),
        ("displayName+co+%22%5Cu0000%22", "displayName"),
        ("userName+eq+a%00b", "U+0000"),
    ] {
        let uri = format!("{}/Users?filter={filter}", tenant.base);
        let response = app.get(&uri, Some(&tenant.token)).await;
        assert_names(&response, 400, "invalidFilter", named);
    }
    let uri = format!(
        "{}/Groups?filter=displayName+eq+%22a%5Cu0000%22",
        tenant.base
    );
    let response = app.get(&uri, Some(&tenant.token)).await;
    assert_names(&response, 400, "invalidFilter", "displayName");
}

#[tokio::test]
async fn names_refuse_control_characters_and_free_text_keeps_line_breaks() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    for body in [
        user(json!({"userName": "ada\t@x.org"})),
        user(json!({"displayName": "Ada\nLovelace"})),
        user(json!({"name": {"familyName": "Love\u{1b}[31mlace"}})),
        user(json!({"userName": "ada\u{7f}@x.org"})),
    ] {
        let response = app.post(&tenant, "/Users", &body).await;
        response.assert_scim_error(400, Some("invalidValue"));
    }
    let body = user(json!({"addresses": [{"formatted": "1 Main St\r\nSpringfield\tUSA"}]}));
    let response = app.post(&tenant, "/Users", &body).await;
    assert_eq!(response.status, 201, "{:#}", response.body);
    assert_eq!(
        response.body["addresses"][0]["formatted"],
        "1 Main St\r\nSpringfield\tUSA"
    );
}

#[tokio::test]
async fn an_over_long_user_name_is_400_on_every_store() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    // 3,000 bytes: past PostgreSQL's index entry limit, which once made this a 500.
    let long = format!("{}@x.org", "a".repeat(2_994));
    let response = app
        .post(&tenant, "/Users", &user(json!({"userName": long})))
        .await;
    assert_names(&response, 400, "invalidValue", "userName");
    let group = json!({"schemas": [CORE_GROUP], "displayName": "g".repeat(257)});
    let response = app.post(&tenant, "/Groups", &group).await;
    assert_names(&response, 400, "invalidValue", "displayName");
    // The longest name allowed, in characters whose folded key grows most, is stored.
    let longest = "\u{390}".repeat(256);
    let response = app
        .post(&tenant, "/Users", &user(json!({"userName": longest})))
        .await;
    assert_eq!(response.status, 201, "{:#}", response.body);
}

#[tokio::test]
async fn user_names_equal_under_unicode_folding_are_one_name() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    app.create_user(&tenant, "straße@x.org").await;
    app.create_user(&tenant, "caf\u{e9}@x.org").await;
    app.create_user(&tenant, "sigma\u{3c3}@x.org").await;
    for taken in ["STRASSE@x.org", "Cafe\u{301}@x.org", "SIGMA\u{3a3}@x.org"] {
        let response = app
            .post(&tenant, "/Users", &user(json!({"userName": taken})))
            .await;
        response.assert_scim_error(409, Some("uniqueness"));
    }
    for (filter, found) in [
        ("userName+eq+%22STRASSE@x.org%22", "straße@x.org"),
        ("userName+eq+%22CAFE%CC%81@x.org%22", "caf\u{e9}@x.org"),
        ("userName+eq+%22SIGMA%CE%A3@x.org%22", "sigma\u{3c3}@x.org"),
    ] {
        let uri = format!("{}/Users?filter={filter}", tenant.base);
        let response = app.get(&uri, Some(&tenant.token)).await;
        assert_eq!(response.status, 200, "{:#}", response.body);
        assert_eq!(response.body["totalResults"], 1, "{filter}");
        assert_eq!(response.body["Resources"][0]["userName"], found);
    }
    let group = json!({"schemas": [CORE_GROUP], "displayName": "Maße"});
    assert_eq!(app.post(&tenant, "/Groups", &group).await.status, 201);
    let again = json!({"schemas": [CORE_GROUP], "displayName": "MASSE"});
    app.post(&tenant, "/Groups", &again)
        .await
        .assert_scim_error(409, Some("uniqueness"));
}

/// Percent-encodes a filter for a query string: everything but unreserved ASCII.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Full Unicode case folding beyond ASCII, and no more: the Kelvin sign is `k`, `ß` and `ẞ` are
/// `ss`, a final sigma is `σ`; the Turkic dotted and dotless i are not `i` (no locale rules), and
/// `İ` is `i` + U+0307. A duplicate is 409 `uniqueness` and `userName eq` finds the stored name;
/// a name that differs is created and not found by the other. The suite runs on both stores, so
/// both answer exactly this.
#[tokio::test]
async fn user_names_fold_beyond_ascii_without_turkic_rules_on_every_store() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 100).await;
    // Each name in turn: `None` when it is a new name, else the stored name it is the same as.
    let steps: &[(&str, Option<&str>)] = &[
        ("kelvin@x.org", None),
        ("\u{212a}elvin@x.org", Some("kelvin@x.org")),
        ("\u{212a}ELVIN@X.ORG", Some("kelvin@x.org")),
        ("\u{212a}ay@x.org", None),
        ("kay@x.org", Some("\u{212a}ay@x.org")),
        ("KAY@x.org", Some("\u{212a}ay@x.org")),
        ("gross@x.org", None),
        ("gro\u{df}@x.org", Some("gross@x.org")),
        ("GROSS@x.org", Some("gross@x.org")),
        ("GRO\u{1e9e}@x.org", Some("gross@x.org")),
        ("ida@x.org", None),
        ("IDA@x.org", Some("ida@x.org")),
        ("\u{131}da@x.org", None),
        ("\u{131}DA@x.org", Some("\u{131}da@x.org")),
        ("\u{130}da@x.org", None),
        ("i\u{307}da@x.org", Some("\u{130}da@x.org")),
        ("I\u{307}DA@x.org", Some("\u{130}da@x.org")),
        ("\u{3bf}\u{3b4}\u{3bf}\u{3c2}@x.org", None),
        (
            "\u{39f}\u{394}\u{39f}\u{3a3}@x.org",
            Some("\u{3bf}\u{3b4}\u{3bf}\u{3c2}@x.org"),
        ),
        (
            "\u{3bf}\u{3b4}\u{3bf}\u{3c3}@x.org",
            Some("\u{3bf}\u{3b4}\u{3bf}\u{3c2}@x.org"),
        ),
    ];
    for &(name, same_as) in steps {
        let filter = encode(&format!("userName eq \"{name}\""));
        let uri = format!("{}/Users?filter={filter}", tenant.base);
        let found = app.get(&uri, Some(&tenant.token)).await;
        assert_eq!(found.status, 200, "{name:?}: {:#}", found.body);
        match same_as {
            Some(stored) => {
                assert_eq!(found.body["totalResults"], 1, "{name:?}: {:#}", found.body);
                assert_eq!(found.body["Resources"][0]["userName"], stored, "{name:?}");
            }
            None => assert_eq!(found.body["totalResults"], 0, "{name:?}: {:#}", found.body),
        }
        let created = app
            .post(&tenant, "/Users", &user(json!({"userName": name})))
            .await;
        match same_as {
            Some(_) => created.assert_scim_error(409, Some("uniqueness")),
            None => assert_eq!(created.status, 201, "{name:?}: {:#}", created.body),
        }
    }
    // Substring operators compare the same keys.
    for (filter, found) in [
        ("userName sw \"\u{212a}EL\"", vec!["kelvin@x.org"]),
        ("userName co \"RO\u{1e9e}@\"", vec!["gross@x.org"]),
        (
            "userName ew \"\u{3a3}@X.ORG\"",
            vec!["\u{3bf}\u{3b4}\u{3bf}\u{3c2}@x.org"],
        ),
        ("userName sw \"\u{131}\"", vec!["\u{131}da@x.org"]),
        ("userName sw \"I\"", vec!["ida@x.org", "\u{130}da@x.org"]),
    ] {
        let uri = format!(
            "{}/Users?filter={}&sortBy=userName",
            tenant.base,
            encode(filter)
        );
        let response = app.get(&uri, Some(&tenant.token)).await;
        assert_eq!(response.status, 200, "{filter}: {:#}", response.body);
        let names: Vec<&str> = response.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["userName"].as_str().unwrap())
            .collect();
        assert_eq!(names, found, "{filter}");
    }
    // Exactly the new names were stored, each once, as sent.
    let uri = format!("{}/Users?count=100", tenant.base);
    let all = app.get(&uri, Some(&tenant.token)).await;
    let mut stored: Vec<&str> = all.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap())
        .collect();
    stored.sort_unstable();
    let mut expected: Vec<&str> = steps
        .iter()
        .filter(|(_, same_as)| same_as.is_none())
        .map(|(name, _)| *name)
        .collect();
    expected.sort_unstable();
    assert_eq!(stored, expected);
}
