//! Checking and coercing PATCH values against attribute definitions (RFC 7643 §2.3).
//!
//! Lenient where clients are known to differ and the meaning is unambiguous: booleans sent as
//! `"True"`/`"false"` (Entra without `aadOptscim062020`), numbers as strings and vice versa, and a
//! bare value for a complex attribute that has a `value` sub-attribute (`"manager": "<id>"`).
//! Unknown and `readOnly` sub-attributes are dropped, like unknown attributes on POST.

use serde_json::{Map, Number, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::ScimError;
use crate::keys;
use crate::schema::{AttrType, Attribute, Mutability};
use crate::text;

/// Coerces `value` for a single-valued slot of `attr` (one element when `attr` is multi-valued).
/// `Ok(None)` for `null`, which means "no value".
pub(crate) fn coerce_one(attr: &Attribute, value: &Value) -> Result<Option<Value>, ScimError> {
    if value.is_null() {
        return Ok(None);
    }
    let coerced = match attr.kind {
        AttrType::String | AttrType::Reference | AttrType::Binary => match value {
            Value::String(s) => {
                text::check_value(attr, attr.name, s)?;
                value.clone()
            }
            Value::Number(n) => Value::String(n.to_string()),
            _ => return Err(wrong_type(attr, "a string", value)),
        },
        AttrType::Boolean => match value {
            Value::Bool(_) => value.clone(),
            Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Value::Bool(true),
            Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err(wrong_type(attr, "true or false", value)),
        },
        AttrType::Integer => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => value.clone(),
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .map(|n| Value::Number(n.into()))
                .map_err(|_| wrong_type(attr, "an integer", value))?,
            _ => return Err(wrong_type(attr, "an integer", value)),
        },
        AttrType::Decimal => match value {
            Value::Number(_) => value.clone(),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| wrong_type(attr, "a number", value))?,
            _ => return Err(wrong_type(attr, "a number", value)),
        },
        AttrType::DateTime => match value {
            Value::String(s) if OffsetDateTime::parse(s, &Rfc3339).is_ok() => value.clone(),
            _ => {
                return Err(wrong_type(
                    attr,
                    "an RFC 3339 date-time such as \"2024-05-13T04:42:34Z\"",
                    value,
                ));
            }
        },
        AttrType::Complex => return coerce_complex(attr, value).map(Some),
    };
    Ok(Some(coerced))
}

/// Coerces a value for a whole multi-valued attribute: an array, or one element standing for an
/// array of one. `null` elements are dropped.
pub(crate) fn coerce_many(attr: &Attribute, value: &Value) -> Result<Vec<Value>, ScimError> {
    let items = match value {
        Value::Array(items) => items.as_slice(),
        Value::Null => &[],
        single => std::slice::from_ref(single),
    };
    attr.check_value_count(items.len(), attr.name)?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if let Some(v) = coerce_one(attr, item)? {
            // An element reduced to nothing (only unknown or readOnly keys) is not a value.
            if v.as_object().is_some_and(Map::is_empty) {
                continue;
            }
            out.push(v);
        }
    }
    Ok(out)
}

fn coerce_complex(attr: &Attribute, value: &Value) -> Result<Value, ScimError> {
    let Value::Object(given) = value else {
        // `"manager": "<id>"` and `"members": ["<id>"]`: a bare value is the `value` sub-attribute.
        if let Some(value_attr) = attr.sub_attribute("value")
            && !value.is_array()
        {
            let mut obj = Map::new();
            if let Some(v) = coerce_one(value_attr, value)? {
                obj.insert(value_attr.name.to_owned(), v);
            }
            return Ok(Value::Object(obj));
        }
        return Err(wrong_type(attr, "an object", value));
    };
    let mut obj = Map::new();
    for (key, v) in given {
        let Some(sub) = attr.sub_attribute(key) else {
            continue;
        };
        if sub.mutability == Mutability::ReadOnly {
            continue;
        }
        let coerced = if sub.multi_valued {
            let items = coerce_many(sub, v)?;
            (!items.is_empty()).then_some(Value::Array(items))
        } else {
            coerce_one(sub, v)?
        };
        if let Some(c) = coerced {
            keys::set(&mut obj, sub.name, c);
        }
    }
    Ok(Value::Object(obj))
}

fn wrong_type(attr: &Attribute, expected: &str, found: &Value) -> ScimError {
    let found = match found {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    ScimError::invalid_value(format!("'{}' must be {expected}, found {found}", attr.name))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::test_schema::{ENTERPRISE, USER};

    fn attr(name: &str) -> &'static Attribute {
        USER.attribute(name)
            .or_else(|| ENTERPRISE.attribute(name))
            .unwrap()
    }

    #[test]
    fn booleans_accept_entra_strings() {
        for (given, expected) in [
            (json!("True"), true),
            (json!("false"), false),
            (json!("FALSE"), false),
            (json!(true), true),
        ] {
            assert_eq!(
                coerce_one(attr("active"), &given).unwrap(),
                Some(json!(expected))
            );
        }
        let e = coerce_one(attr("active"), &json!("yes")).unwrap_err();
        assert_eq!(e.detail, "'active' must be true or false, found a string");
    }

    #[test]
    fn scalars_are_checked_and_coerced_by_type() {
        assert_eq!(
            coerce_one(attr("title"), &json!(7)).unwrap(),
            Some(json!("7"))
        );
        assert_eq!(
            coerce_one(attr("loginCount"), &json!("12")).unwrap(),
            Some(json!(12))
        );
        assert_eq!(
            coerce_one(attr("score"), &json!("2.5")).unwrap(),
            Some(json!(2.5))
        );
        assert_eq!(coerce_one(attr("title"), &Value::Null).unwrap(), None);
        assert!(coerce_one(attr("title"), &json!({"a": 1})).is_err());
        assert!(coerce_one(attr("loginCount"), &json!(1.5)).is_err());
    }

    #[test]
    fn complex_values_drop_unknown_and_read_only_sub_attributes() {
        assert_eq!(
            coerce_one(
                attr("manager"),
                &json!({"VALUE": "m1", "displayName": "Boss", "x": 1})
            )
            .unwrap(),
            Some(json!({"value": "m1"}))
        );
        assert_eq!(
            coerce_one(attr("manager"), &json!("m1")).unwrap(),
            Some(json!({"value": "m1"}))
        );
        assert_eq!(
            coerce_many(attr("emails"), &json!({"value": "a@x", "primary": "True"})).unwrap(),
            vec![json!({"value": "a@x", "primary": true})]
        );
        assert!(coerce_one(attr("name"), &json!("Ada")).is_err());
    }
}
