//! Input normalisation: turns the body a client POSTs or PUTs into a resource Roster can trust.
//!
//! This module owns the input leniency SCIM clients need (RFC 7643 §2.1, §2.5, §3.1, §7, and the
//! Entra quirks in `ENTRA.md`): canonical attribute names whatever the client's casing, unknown
//! attributes and unknown schema objects dropped, `null` treated as absent, `readOnly` attributes
//! ignored, string booleans coerced, values checked against their declared type, and `schemas`
//! rebuilt from what is actually present. It knows nothing of storage: uniqueness, immutability
//! against a stored resource and seat limits are the domain's.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::ScimError;
use crate::schema::{AttrType, Attribute, Mutability, ResourceType, Schema};
use crate::text;

/// Normalises a resource body for `rt`.
///
/// The result has the schema's attribute names (`USERNAME` becomes `userName`, at every level and
/// inside extension objects), only attributes of `rt`'s schemas, no `null`s, no `readOnly`
/// attributes (`id`, `meta`, `groups`, ... are ignored on input, RFC 7643 §7), and a `schemas` list
/// of the core URN plus each extension URN whose object is present.
///
/// Leniency: `"True"`/`"false"` (any case) are booleans, a number given for a string attribute is
/// its decimal text, and a single value given for a multi-valued attribute is wrapped in an array.
/// An explicit empty array is kept: it says "none", which a PUT must tell from "not sent".
///
/// Errors (400): a body that is not an object (`invalidSyntax`), an attribute given twice under
/// different casings (`invalidSyntax`), a value of the wrong type or shape, and a string that
/// breaks the rules of [`crate::text`] (U+0000, control characters in names, too long) —
/// `invalidValue`, naming the attribute.
pub fn normalize(rt: &ResourceType, body: &Value) -> Result<Map<String, Value>, ScimError> {
    let Value::Object(input) = body else {
        return Err(ScimError::invalid_syntax(format!(
            "the request body must be a JSON object, got {}",
            describe(body)
        )));
    };
    let mut core = Map::new();
    let mut extensions: Vec<(&'static Schema, Map<String, Value>)> = rt
        .extensions
        .iter()
        .map(|(s, _)| (*s, Map::new()))
        .collect();

    for (key, value) in input {
        // RFC 7643 §3: `schemas` is rebuilt below from the attributes actually present, so a
        // client's stale or misspelled list never reaches storage.
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if let Some(ext) = rt.extension(key) {
            // `rt.extension` only finds extensions that `extensions` was built from.
            let Some(target) = extension_map(&mut extensions, ext) else {
                continue;
            };
            match value {
                Value::Null => {}
                Value::Object(object) => {
                    for (name, value) in object {
                        if let Some(attribute) = ext.attribute(name) {
                            put(target, attribute, value, &qualified(ext, attribute.name))?;
                        }
                    }
                }
                other => {
                    return Err(ScimError::invalid_value(format!(
                        "{} must be an object holding the extension's attributes, got {}",
                        ext.id,
                        describe(other)
                    )));
                }
            }
            continue;
        }
        // Unknown attributes, and objects under unknown or misspelled schema URNs, are ignored
        // (SPEC §3: "Unknown attributes of a known schema are ignored on input").
        let Some(resolved) = rt.resolve(key) else {
            continue;
        };
        if resolved.in_extension {
            let path = qualified(resolved.schema, resolved.attribute.name);
            if let Some(target) = extension_map(&mut extensions, resolved.schema) {
                put(target, resolved.attribute, value, &path)?;
            }
        } else {
            put(
                &mut core,
                resolved.attribute,
                value,
                resolved.attribute.name,
            )?;
        }
    }

    let mut schemas = vec![Value::String(rt.schema.id.into())];
    for (ext, map) in extensions {
        if !map.is_empty() {
            schemas.push(Value::String(ext.id.into()));
            core.insert(ext.id.into(), Value::Object(map));
        }
    }
    core.insert("schemas".into(), Value::Array(schemas));
    // What the attribute rules above did not see (unknown attributes, `schemas`, keys) may not
    // hold U+0000 either: a request's strings never do.
    if let Some(path) = text::nul_at(body, "") {
        return Err(text::nul_error(&path));
    }
    Ok(core)
}

/// Checks that every required attribute is present and not empty: the core schema's, a required
/// extension's, an optional extension's when its object is present, and required sub-attributes
/// of complex values that are present (RFC 7643 §2.2 "required"). `readOnly` attributes are the
/// server's to set and are not checked.
///
/// Run it on the output of [`normalize`] for POST and PUT; a PATCH result is checked the same way.
pub fn check_required(rt: &ResourceType, resource: &Map<String, Value>) -> Result<(), ScimError> {
    check_attributes(rt.schema.attributes, resource, "")?;
    for (ext, required) in rt.extensions {
        match resource.get(ext.id).and_then(Value::as_object) {
            Some(object) => check_attributes(ext.attributes, object, &format!("{}:", ext.id))?,
            None if *required => {
                return Err(ScimError::invalid_value(format!("{} is required", ext.id)));
            }
            None => {}
        }
    }
    Ok(())
}

fn check_attributes(
    attributes: &[Attribute],
    object: &Map<String, Value>,
    prefix: &str,
) -> Result<(), ScimError> {
    for attribute in attributes {
        if attribute.mutability == Mutability::ReadOnly {
            continue;
        }
        let path = format!("{prefix}{}", attribute.name);
        let value = object.get(attribute.name);
        if attribute.required && value.is_none_or(is_empty) {
            return Err(ScimError::invalid_value(format!("{path} is required")));
        }
        if attribute.kind == AttrType::Complex {
            let values = match value {
                Some(Value::Array(items)) => items.as_slice(),
                Some(single) => std::slice::from_ref(single),
                None => &[],
            };
            for item in values.iter().filter_map(Value::as_object) {
                check_attributes(attribute.sub_attributes, item, &format!("{path}."))?;
            }
        }
    }
    Ok(())
}

/// RFC 7643 §2.5: unassigned, `null` and an empty array are the same state; Roster also treats a
/// blank string as missing, because "Each User MUST include a non-empty userName value" (§4.1.1).
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

fn extension_map<'a>(
    extensions: &'a mut [(&'static Schema, Map<String, Value>)],
    schema: &Schema,
) -> Option<&'a mut Map<String, Value>> {
    extensions
        .iter_mut()
        .find(|(s, _)| s.id == schema.id)
        .map(|(_, map)| map)
}

/// The name used in error details for an extension attribute: URN-qualified, as in a PATCH path.
fn qualified(schema: &Schema, name: &str) -> String {
    format!("{}:{name}", schema.id)
}

/// Normalises `value` for `attribute` and stores it under the canonical name.
fn put(
    target: &mut Map<String, Value>,
    attribute: &Attribute,
    value: &Value,
    path: &str,
) -> Result<(), ScimError> {
    // RFC 7643 §7: readOnly attributes "SHALL be ignored" when a client provides them.
    if attribute.mutability == Mutability::ReadOnly {
        return Ok(());
    }
    let Some(value) = normalize_value(attribute, value, path)? else {
        return Ok(());
    };
    if target.contains_key(attribute.name) {
        return Err(ScimError::invalid_syntax(format!(
            "{path} is given more than once (attribute names are case-insensitive); send it once"
        )));
    }
    target.insert(attribute.name.into(), value);
    Ok(())
}

/// `None` means absent: `null`, or a complex value with nothing left in it.
fn normalize_value(
    attribute: &Attribute,
    value: &Value,
    path: &str,
) -> Result<Option<Value>, ScimError> {
    if !attribute.multi_valued {
        if value.is_array() {
            return Err(ScimError::invalid_value(format!(
                "{path} is single-valued and cannot be an array"
            )));
        }
        return normalize_single(attribute, value, path);
    }
    let items = match value {
        Value::Null => return Ok(None),
        Value::Array(items) => items.as_slice(),
        // Leniency: one value where a list is expected is a list of one.
        single => std::slice::from_ref(single),
    };
    attribute.check_value_count(items.len(), path)?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if item.is_array() {
            return Err(ScimError::invalid_value(format!(
                "{path} must be an array of values, not an array of arrays"
            )));
        }
        if let Some(item) = normalize_single(attribute, item, path)? {
            out.push(item);
        }
    }
    if out.is_empty() && !value.is_array() {
        return Ok(None);
    }
    Ok(Some(Value::Array(out)))
}

/// One (non-array) value of `attribute`'s type.
fn normalize_single(
    attribute: &Attribute,
    value: &Value,
    path: &str,
) -> Result<Option<Value>, ScimError> {
    if value.is_null() {
        return Ok(None);
    }
    let wrong = |expected: &str| {
        ScimError::invalid_value(format!(
            "{path} must be {expected}, got {}",
            describe(value)
        ))
    };
    let normalized = match attribute.kind {
        AttrType::Complex => {
            let Value::Object(object) = value else {
                return Err(wrong("an object with sub-attributes"));
            };
            let mut out = Map::new();
            for (name, value) in object {
                if let Some(sub) = attribute.sub_attribute(name) {
                    put(&mut out, sub, value, &format!("{path}.{}", sub.name))?;
                }
            }
            if out.is_empty() {
                return Ok(None);
            }
            Value::Object(out)
        }
        AttrType::Boolean => match value {
            Value::Bool(b) => Value::Bool(*b),
            // Entra without `aadOptscim062020` sends "True" / "False" (ENTRA.md).
            Value::String(s) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err(wrong("true or false")),
        },
        AttrType::String => match value {
            Value::String(s) => {
                text::check_value(attribute, path, s)?;
                Value::String(s.clone())
            }
            // Leniency: `"employeeNumber": 42` means "42".
            Value::Number(n) => Value::String(n.to_string()),
            _ => return Err(wrong("a string")),
        },
        AttrType::Reference | AttrType::Binary => match value {
            Value::String(s) => {
                text::check_value(attribute, path, s)?;
                Value::String(s.clone())
            }
            _ => return Err(wrong("a string")),
        },
        AttrType::Integer => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => value.clone(),
            _ => return Err(wrong("an integer")),
        },
        AttrType::Decimal => match value {
            Value::Number(_) => value.clone(),
            _ => return Err(wrong("a number")),
        },
        // RFC 7643 §2.3.5: an xsd:dateTime with a time zone, i.e. RFC 3339.
        AttrType::DateTime => match value {
            Value::String(s) if OffsetDateTime::parse(s, &Rfc3339).is_ok() => value.clone(),
            _ => {
                return Err(wrong(
                    "an RFC 3339 date-time such as \"2024-05-01T12:00:00Z\"",
                ));
            }
        },
    };
    Ok(Some(normalized))
}

/// A value as an error detail names it: the short strings quoted, everything else by kind.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.chars().count() <= 64 => format!("\"{s}\""),
        Value::String(_) => "a long string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::ScimType;
    use crate::schema::{ENTERPRISE_USER, GROUP, GROUP_RESOURCE, USER, USER_RESOURCE};

    const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn user(body: Value) -> Value {
        Value::Object(normalize(&USER_RESOURCE, &body).unwrap())
    }

    fn user_err(body: Value) -> ScimError {
        normalize(&USER_RESOURCE, &body).unwrap_err()
    }

    #[test]
    fn entra_create_user_body_is_normalised() {
        // The body Microsoft's own provisioning tests POST (ENTRA.md, "create user").
        let body = json!({
            "schemas": [USER.id, ENT],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": "Test_User_ab6490ee@testuser.com",
            "active": "True",
            "displayName": "Test User",
            "emails": [{"primary": true, "type": "work", "value": "Test_User@testuser.com"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
            "roles": [],
            "nickName": null,
            "title": null,
        });
        assert_eq!(
            user(body),
            json!({
                "schemas": [USER.id],
                "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
                "userName": "Test_User_ab6490ee@testuser.com",
                "active": true,
                "displayName": "Test User",
                "emails": [{"primary": true, "type": "work", "value": "Test_User@testuser.com"}],
                "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
                "roles": [],
            })
        );
    }

    #[test]
    fn attribute_names_take_the_schema_casing_at_every_level() {
        let body = json!({
            "USERNAME": "ada@example.org",
            "Name": {"GIVENNAME": "Ada", "familyname": "Lovelace"},
            "Emails": [{"VALUE": "ada@example.org", "Primary": "true"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {
                "EmployeeNumber": "7",
                "MANAGER": {"Value": "m-1"},
            },
        });
        assert_eq!(
            user(body),
            json!({
                "schemas": [USER.id, ENT],
                "userName": "ada@example.org",
                "name": {"givenName": "Ada", "familyName": "Lovelace"},
                "emails": [{"value": "ada@example.org", "primary": true}],
                ENT: {"employeeNumber": "7", "manager": {"value": "m-1"}},
            })
        );
    }

    #[test]
    fn unknown_attributes_and_unknown_schema_objects_are_dropped() {
        let body = json!({
            "userName": "ada",
            "favouriteColour": "green",
            "name": {"givenName": "Ada", "nickname": "A"},
            // Misspelled extension URN ("extensions"), seen from Entra custom mappings.
            "urn:ietf:params:scim:schemas:extensions:enterprise:2.0:User": {"employeeNumber": "7"},
            "urn:ietf:params:scim:schemas:extension:acme:2.0:User": {"badge": "x"},
        });
        assert_eq!(
            user(body),
            json!({"schemas": [USER.id], "userName": "ada", "name": {"givenName": "Ada"}})
        );
    }

    #[test]
    fn read_only_attributes_are_ignored_on_input() {
        let body = json!({
            "id": "client-chosen",
            "userName": "ada",
            "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z"},
            "groups": [{"value": "g1", "display": "Biology"}],
            ENT: {"manager": {"value": "m-1", "displayName": "Boss"}},
        });
        assert_eq!(
            user(body),
            json!({"schemas": [USER.id, ENT], "userName": "ada", ENT: {"manager": {"value": "m-1"}}})
        );
    }

    #[test]
    fn nulls_and_emptied_objects_are_absent() {
        let body = json!({
            "userName": "ada",
            "name": {"givenName": null},
            "emails": [null, {"value": null}, {"value": "a@x.org", "type": null}],
            ENT: {"employeeNumber": null},
            "phoneNumbers": null,
        });
        assert_eq!(
            user(body),
            json!({"schemas": [USER.id], "userName": "ada", "emails": [{"value": "a@x.org"}]})
        );
    }

    #[test]
    fn string_booleans_are_coerced_in_any_case() {
        for (sent, expected) in [
            ("True", true),
            ("true", true),
            ("FALSE", false),
            ("false", false),
        ] {
            let out = user(json!({"userName": "ada", "active": sent}));
            assert_eq!(out["active"], expected, "{sent}");
        }
    }

    #[test]
    fn a_non_boolean_for_a_boolean_is_invalid_value_naming_it() {
        let err = user_err(json!({"userName": "ada", "active": "yes"}));
        assert_eq!(err.status, 400);
        assert_eq!(err.scim_type, Some(ScimType::InvalidValue));
        assert_eq!(err.detail, "active must be true or false, got \"yes\"");
        let err = user_err(json!({"emails": [{"value": "a@x.org", "primary": 1}]}));
        assert_eq!(err.detail, "emails.primary must be true or false, got 1");
    }

    #[test]
    fn a_string_where_an_object_is_expected_is_invalid_value() {
        let err = user_err(json!({"userName": "ada", "name": "Ada Lovelace"}));
        assert_eq!(err.scim_type, Some(ScimType::InvalidValue));
        assert_eq!(
            err.detail,
            "name must be an object with sub-attributes, got \"Ada Lovelace\""
        );
        let err = user_err(json!({"emails": ["a@x.org"]}));
        assert_eq!(
            err.detail,
            "emails must be an object with sub-attributes, got \"a@x.org\""
        );
        let err = user_err(json!({ENT: {"manager": "m-1"}}));
        assert_eq!(
            err.detail,
            format!("{ENT}:manager must be an object with sub-attributes, got \"m-1\"")
        );
        let err = user_err(json!({ENT: "x"}));
        assert_eq!(
            err.detail,
            format!("{ENT} must be an object holding the extension's attributes, got \"x\"")
        );
    }

    #[test]
    fn wrong_scalar_types_are_invalid_value() {
        assert_eq!(
            user_err(json!({"userName": {"a": 1}})).detail,
            "userName must be a string, got an object"
        );
        assert_eq!(
            user_err(json!({"displayName": ["Ada"]})).detail,
            "displayName is single-valued and cannot be an array"
        );
        assert_eq!(
            user_err(json!({"emails": [[{"value": "a"}]]})).detail,
            "emails must be an array of values, not an array of arrays"
        );
        assert_eq!(
            user_err(json!({"x509Certificates": [{"value": true}]})).detail,
            "x509Certificates.value must be a string, got true"
        );
    }

    #[test]
    fn a_number_for_a_string_attribute_becomes_its_text() {
        let out = user(json!({ENT: {"employeeNumber": 42}, "userName": "ada"}));
        assert_eq!(out[ENT]["employeeNumber"], "42");
    }

    #[test]
    fn a_single_object_for_a_multi_valued_attribute_is_wrapped() {
        let out = user(json!({"userName": "ada", "emails": {"value": "a@x.org", "type": "work"}}));
        assert_eq!(out["emails"], json!([{"value": "a@x.org", "type": "work"}]));
    }

    #[test]
    fn urn_qualified_top_level_names_land_in_their_schema() {
        let body = json!({
            "urn:ietf:params:scim:schemas:core:2.0:User:userName": "ada",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Maths",
        });
        assert_eq!(
            user(body),
            json!({"schemas": [USER.id, ENT], "userName": "ada", ENT: {"department": "Maths"}})
        );
    }

    #[test]
    fn the_same_attribute_twice_is_invalid_syntax() {
        let err = user_err(json!({"userName": "a", "USERNAME": "b"}));
        assert_eq!(err.scim_type, Some(ScimType::InvalidSyntax));
        assert_eq!(
            err.detail,
            "userName is given more than once (attribute names are case-insensitive); send it once"
        );
    }

    #[test]
    fn a_body_that_is_not_an_object_is_invalid_syntax() {
        let err = user_err(json!([{"userName": "ada"}]));
        assert_eq!(err.scim_type, Some(ScimType::InvalidSyntax));
        assert_eq!(
            err.detail,
            "the request body must be a JSON object, got an array"
        );
    }

    #[test]
    fn date_times_must_be_rfc_3339() {
        // No writable dateTime exists in the core schemas, so exercise the rule directly.
        let created = USER_RESOURCE
            .resolve("meta")
            .unwrap()
            .attribute
            .sub_attribute("created")
            .unwrap();
        let ok = normalize_single(created, &json!("2024-05-01T12:00:00+02:00"), "meta.created");
        assert_eq!(ok.unwrap(), Some(json!("2024-05-01T12:00:00+02:00")));
        let err = normalize_single(created, &json!("01/05/2024"), "meta.created").unwrap_err();
        assert_eq!(
            err.detail,
            "meta.created must be an RFC 3339 date-time such as \"2024-05-01T12:00:00Z\", got \"01/05/2024\""
        );
    }

    #[test]
    fn entra_create_group_body_is_normalised() {
        let body = json!({
            "schemas": [GROUP.id, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "Biology 101",
            "members": [{"value": "u1", "$ref": null, "display": "Ada"}, {"Value": "u2"}],
            "meta": {"resourceType": "Group"},
        });
        assert_eq!(
            Value::Object(normalize(&GROUP_RESOURCE, &body).unwrap()),
            json!({
                "schemas": [GROUP.id],
                "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                "displayName": "Biology 101",
                "members": [{"value": "u1"}, {"value": "u2"}],
            })
        );
    }

    #[test]
    fn user_name_is_required() {
        for body in [
            json!({}),
            json!({"userName": null}),
            json!({"userName": "  "}),
        ] {
            let resource = normalize(&USER_RESOURCE, &body).unwrap();
            let err = check_required(&USER_RESOURCE, &resource).unwrap_err();
            assert_eq!(err, ScimError::invalid_value("userName is required"));
        }
        let resource = normalize(&USER_RESOURCE, &json!({"userName": "ada"})).unwrap();
        assert_eq!(check_required(&USER_RESOURCE, &resource), Ok(()));
    }

    #[test]
    fn group_display_name_is_required() {
        let resource = normalize(&GROUP_RESOURCE, &json!({"members": []})).unwrap();
        let err = check_required(&GROUP_RESOURCE, &resource).unwrap_err();
        assert_eq!(err.detail, "displayName is required");
    }

    #[test]
    fn required_extension_objects_and_sub_attributes_are_checked() {
        static REQUIRED_SUB: [Attribute; 1] = [Attribute {
            required: true,
            ..Attribute::new("value", AttrType::String)
        }];
        static EXT: Schema = Schema {
            id: "urn:example:ext",
            name: "Ext",
            description: "",
            attributes: &[Attribute {
                sub_attributes: &REQUIRED_SUB,
                ..Attribute::new("owner", AttrType::Complex)
            }],
        };
        static RT: ResourceType = ResourceType {
            extensions: &[(&EXT, true), (&ENTERPRISE_USER, false)],
            ..USER_RESOURCE
        };
        let missing = normalize(&RT, &json!({"userName": "ada"})).unwrap();
        assert_eq!(
            check_required(&RT, &missing).unwrap_err().detail,
            "urn:example:ext is required"
        );
        let no_value = normalize(
            &RT,
            &json!({"userName": "ada", "urn:example:ext": {"owner": {"value": ""}}}),
        )
        .unwrap();
        assert_eq!(
            check_required(&RT, &no_value).unwrap_err().detail,
            "urn:example:ext:owner.value is required"
        );
    }
}
