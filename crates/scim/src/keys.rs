//! Case-insensitive attribute keys in JSON objects (RFC 7643 §2.1: attribute names are
//! case-insensitive), shared by filter evaluation and PATCH.

use serde_json::{Map, Value};

/// The key of `obj` equal to `name` ignoring ASCII case, preferring an exact match.
pub(crate) fn find_key<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a String> {
    if let Some((k, _)) = obj.get_key_value(name) {
        return Some(k);
    }
    obj.keys().find(|k| k.eq_ignore_ascii_case(name))
}

/// The value under `name`, ignoring case.
pub(crate) fn get<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    find_key(obj, name).and_then(|k| obj.get(k))
}

/// Removes every key equal to `name` ignoring case and returns the first value removed.
pub(crate) fn remove(obj: &mut Map<String, Value>, name: &str) -> Option<Value> {
    let keys: Vec<String> = obj
        .keys()
        .filter(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .collect();
    let mut first = None;
    for k in keys {
        let v = obj.remove(&k);
        if first.is_none() {
            first = v;
        }
    }
    first
}

/// Sets `canonical` to `value`, replacing any differently-cased key for the same attribute.
pub(crate) fn set(obj: &mut Map<String, Value>, canonical: &str, value: Value) {
    remove(obj, canonical);
    obj.insert(canonical.to_owned(), value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookups_ignore_case_and_set_canonicalises_the_key() {
        let mut obj = json!({"USERNAME": "a", "title": "t"})
            .as_object()
            .cloned()
            .unwrap();
        assert_eq!(get(&obj, "userName"), Some(&json!("a")));
        set(&mut obj, "userName", json!("b"));
        assert_eq!(
            Value::Object(obj.clone()),
            json!({"userName": "b", "title": "t"})
        );
        assert_eq!(remove(&mut obj, "TITLE"), Some(json!("t")));
        assert_eq!(get(&obj, "title"), None);
    }
}
