//! The rules every string Roster keeps must follow, written once for SCIM bodies, PATCH values,
//! filters and the operator paths of the domain: which characters are refused, how long a string
//! may be, and what "the same name" means.
//!
//! - U+0000 is refused in every string (PostgreSQL cannot store it; SQLite could, so refusing it
//!   keeps both stores alike).
//! - Names ([`TextKind::Name`]: `userName`, `displayName`, the parts of `name`, `externalId`, a
//!   group's `displayName`) refuse every C0 control character (U+0000–U+001F) and DEL (U+007F),
//!   and hold at most [`NAME_MAX_CHARS`] characters.
//! - Other strings (free text such as `addresses.formatted`) may hold TAB, LF and CR, refuse the
//!   other C0 controls and DEL, and hold at most [`TEXT_MAX_CHARS`] characters
//!   ([`BINARY_MAX_CHARS`] for `binary` values, base64 certificates).
//! - Two names are the same when their [`fold`]s are equal: NFC normalisation and full Unicode
//!   case folding (`STRASSE` = `straße`, composed `é` = `e` + U+0301, `Σ` = `σ` = `ς`).

use std::borrow::Cow;

use icu_casemap::CaseMapper;
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use crate::error::ScimError;
use crate::schema::{AttrType, Attribute};

/// Most characters (Unicode scalar values) of a name. Folding grows a string at most threefold and
/// a character is at most 4 bytes, so a name's key stays well below PostgreSQL's btree entry limit
/// (about 2,700 bytes).
pub const NAME_MAX_CHARS: usize = 256;

/// Most characters of any other string value.
pub const TEXT_MAX_CHARS: usize = 4_096;

/// Most characters of a `binary` value (base64: an X.509 certificate chain fits).
pub const BINARY_MAX_CHARS: usize = 65_536;

/// What kind of text an attribute holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// Free text: line breaks and tabs allowed, up to [`TEXT_MAX_CHARS`].
    Free,
    /// A name: no control characters, up to [`NAME_MAX_CHARS`].
    Name,
}

/// The comparison key of a name: canonical caseless matching (Unicode §3.13, D145) rendered in
/// NFC, i.e. `NFC(casefold(NFD(s)))`. Equal keys mean the same name; case-insensitive filters
/// compare keys too.
pub fn fold(s: &str) -> String {
    // ASCII folds to its lower case and is already NFC: most names, at a fraction of the cost.
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    fold_unicode(s)
}

fn fold_unicode(s: &str) -> String {
    let decomposed: String = s.nfd().collect();
    let folded = CaseMapper::new().fold_string(&decomposed);
    folded.nfc().collect()
}

/// Checks a name (see the module documentation). Errors are 400 `invalidValue` naming `path`.
pub fn check_name(path: &str, s: &str) -> Result<(), ScimError> {
    check(TextKind::Name, path, s)
}

/// Checks a string of `kind` (see the module documentation). Errors are 400 `invalidValue`
/// naming `path`; they never repeat the value.
pub fn check(kind: TextKind, path: &str, s: &str) -> Result<(), ScimError> {
    let max = match kind {
        TextKind::Name => NAME_MAX_CHARS,
        TextKind::Free => TEXT_MAX_CHARS,
    };
    check_up_to(kind, max, path, s)
}

/// Checks a string value of `attr` (a `binary` value may be up to [`BINARY_MAX_CHARS`] long).
pub(crate) fn check_value(attr: &Attribute, path: &str, s: &str) -> Result<(), ScimError> {
    match attr.kind {
        AttrType::Binary => check_up_to(TextKind::Free, BINARY_MAX_CHARS, path, s),
        _ => check(attr.text, path, s),
    }
}

fn check_up_to(kind: TextKind, max: usize, path: &str, s: &str) -> Result<(), ScimError> {
    if s.contains('\0') {
        return Err(nul_error(path));
    }
    let refused = |c: char| match kind {
        TextKind::Name => c.is_ascii_control(),
        TextKind::Free => c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r'),
    };
    if let Some(c) = s.chars().find(|&c| refused(c)) {
        let allowed = match kind {
            TextKind::Name => "a name may not contain control characters",
            TextKind::Free => "only TAB, LF and CR are allowed among control characters",
        };
        return Err(ScimError::invalid_value(format!(
            "{path} contains the control character U+{:04X}: {allowed}",
            u32::from(c)
        )));
    }
    // Counting stops early: a huge string costs no more than a long one.
    if s.len() > max && s.chars().nth(max).is_some() {
        return Err(ScimError::invalid_value(format!(
            "{path} is longer than {max} characters"
        )));
    }
    Ok(())
}

/// 400 `invalidValue`: the string at `path` holds U+0000.
pub(crate) fn nul_error(path: &str) -> ScimError {
    ScimError::invalid_value(format!(
        "{path} contains U+0000 (NUL), which no string may contain"
    ))
}

/// Where `value` holds U+0000, in a string or an object key: the dotted path of the keys leading
/// there, after `prefix` (array positions are not named, as in attribute paths). Catches what no
/// attribute rule sees, such as unknown attributes that would be dropped.
pub(crate) fn nul_at(value: &Value, prefix: &str) -> Option<String> {
    // Paths are built only for a body that holds a NUL: checking costs no allocation.
    holds_nul(value).then(|| nul_path(value, prefix)).flatten()
}

fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

fn nul_path(value: &Value, prefix: &str) -> Option<String> {
    match value {
        Value::String(s) => s.contains('\0').then(|| prefix.to_owned()),
        Value::Array(items) => items.iter().find_map(|item| nul_path(item, prefix)),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            let path = if prefix.is_empty() {
                recordable(key, 64)
            } else {
                format!("{prefix}.{}", recordable(key, 64))
            };
            if key.contains('\0') {
                Some(path)
            } else {
                nul_path(item, &path)
            }
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

/// `s` made fit to keep in a record of what a client sent (the provisioning log names refused
/// resources too): control characters other than TAB, LF and CR become U+FFFD, and the text is
/// cut after `max_chars` characters, marked by `…`.
pub fn recordable(s: &str, max_chars: usize) -> String {
    let mut out: String = s
        .chars()
        .take(max_chars)
        .map(|c| {
            if c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r') {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect();
    if s.chars().nth(max_chars).is_some() {
        out.push('…');
    }
    out
}

/// Case-insensitive text as filters compare it: the [`fold`] key, borrowed when the attribute is
/// `caseExact`.
pub(crate) fn folded(s: &str, case_exact: bool) -> Cow<'_, str> {
    if case_exact {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(fold(s))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;
    use crate::ScimType;
    use crate::filter::parse_filter;
    use crate::patch::{apply_patch, parse_patch};
    use crate::schema::{GROUP_RESOURCE, USER_RESOURCE};

    #[test]
    fn names_fold_to_one_key_whatever_the_case_and_composition() {
        assert_eq!(fold("STRAßE@x.org"), fold("strasse@x.org"));
        assert_eq!(fold("STRASSE@X.ORG"), "strasse@x.org");
        assert_eq!(fold("caf\u{e9}"), fold("cafe\u{301}"));
        assert_eq!(fold("CAF\u{c9}"), "caf\u{e9}");
        assert_eq!(fold("SIGMA\u{3a3}"), fold("sigma\u{3c3}"));
        assert_eq!(fold("\u{3c2}"), fold("\u{3c3}"));
        assert_ne!(fold("ada"), fold("adam"));
    }

    #[test]
    fn the_ascii_shortcut_folds_as_unicode_does() {
        let ascii: String = (0u8..128).map(char::from).collect();
        assert_eq!(fold(&ascii), fold_unicode(&ascii));
    }

    #[test]
    fn a_folded_name_stays_small_enough_to_index() {
        // U+0390 is the character whose fold grows most (2 bytes to 6).
        let longest = "\u{390}".repeat(NAME_MAX_CHARS);
        assert!(check_name("userName", &longest).is_ok());
        assert!(fold(&longest).len() <= 1_600);
        let emoji = "\u{1F600}".repeat(NAME_MAX_CHARS);
        assert!(fold(&emoji).len() <= 1_600);
    }

    #[test]
    fn nul_is_refused_in_every_string_naming_the_attribute() {
        for kind in [TextKind::Name, TextKind::Free] {
            let e = check(kind, "name.givenName", "a\0b").unwrap_err();
            assert_eq!(e.status, 400);
            assert!(
                e.detail.starts_with("name.givenName contains U+0000"),
                "{}",
                e.detail
            );
        }
    }

    #[test]
    fn control_characters_are_refused_in_names_and_line_breaks_allowed_in_free_text() {
        for c in ['\t', '\n', '\r', '\u{1}', '\u{1b}', '\u{7f}'] {
            let s = format!("a{c}b");
            assert!(check_name("userName", &s).is_err(), "{c:?}");
        }
        for c in ['\t', '\n', '\r'] {
            assert!(check(TextKind::Free, "title", &format!("a{c}b")).is_ok());
        }
        for c in ['\u{1}', '\u{1b}', '\u{7f}'] {
            assert!(check(TextKind::Free, "title", &format!("a{c}b")).is_err());
        }
        // Other Unicode controls and format characters are text like any other.
        assert!(check_name("userName", "a\u{85}\u{200d}b").is_ok());
    }

    fn user() -> Map<String, Value> {
        crate::normalize(&USER_RESOURCE, &json!({"userName": "ada"})).unwrap()
    }

    fn patched(ops: Value) -> Result<Map<String, Value>, ScimError> {
        let req = parse_patch(&json!({"Operations": ops}))?;
        apply_patch(&USER_RESOURCE, &user(), &req).map(|(r, _)| r)
    }

    #[test]
    fn bodies_patches_and_filters_refuse_nul_naming_the_attribute() {
        for (body, named) in [
            (json!({"userName": "a\u{0}b"}), "userName"),
            (
                json!({"userName": "a", "displayName": "a\u{0}"}),
                "displayName",
            ),
            (
                json!({"userName": "a", "name": {"givenName": "\u{0}"}}),
                "name.givenName",
            ),
            (json!({"userName": "a", "title": "x\u{0}"}), "title"),
            (
                json!({"userName": "a", "emails": [{"value": "a\u{0}@x"}]}),
                "emails.value",
            ),
        ] {
            let e = crate::normalize(&USER_RESOURCE, &body).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
            assert!(
                e.detail.starts_with(&format!("{named} contains U+0000")),
                "{}",
                e.detail
            );
        }
        let e = crate::normalize(&GROUP_RESOURCE, &json!({"displayName": "G\u{0}"})).unwrap_err();
        assert!(
            e.detail.starts_with("displayName contains U+0000"),
            "{}",
            e.detail
        );
        for ops in [
            json!([{"op": "replace", "path": "name.givenName", "value": "\u{0}"}]),
            json!([{"op": "replace", "value": {"name": {"givenName": "\u{0}"}}}]),
            json!([{"op": "add", "path": "displayName", "value": "x\u{7}"}]),
        ] {
            let e = patched(ops).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidValue), "{}", e.detail);
        }
        assert!(patched(json!([{"op": "add", "path": "title", "value": "a\tb"}])).is_ok());
        // Anywhere: in attributes that would be dropped, and in object keys.
        for (body, named) in [
            (
                json!({"userName": "a", "nickname2": ["\u{0}"]}),
                "nickname2",
            ),
            (
                json!({"userName": "a", "name": {"x\u{0}": 1}}),
                "name.x\u{fffd}",
            ),
            (json!({"userName": "a", "schemas": ["\u{0}"]}), "schemas"),
        ] {
            let e = crate::normalize(&USER_RESOURCE, &body).unwrap_err();
            assert_eq!(e.detail, nul_error(named).detail);
        }
        let e = patched(json!([{"op": "remove", "path": "title", "value": {"a": "\u{0}"}}]))
            .unwrap_err();
        assert!(e.detail.contains("title.a contains U+0000"), "{}", e.detail);
        for filter in [
            "userName eq \"a\\u0000b\"",
            "userName eq a\u{0}b",
            "title co \"\\u0000\"",
        ] {
            let e = parse_filter(filter).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
            assert!(e.detail.contains("U+0000"), "{}", e.detail);
        }
        let e = parse_filter("userName eq \"a\\u0000b\"").unwrap_err();
        assert!(e.detail.contains("userName"), "{}", e.detail);
    }

    #[test]
    fn an_over_long_user_name_is_invalid_value() {
        let body = json!({"userName": "a".repeat(NAME_MAX_CHARS + 1)});
        let e = crate::normalize(&USER_RESOURCE, &body).unwrap_err();
        assert_eq!(e.detail, "userName is longer than 256 characters");
        let e = patched(json!([{"op": "replace", "path": "userName", "value": "a".repeat(300)}]))
            .unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
    }

    #[test]
    fn filters_compare_folded_text() {
        let resource =
            crate::normalize(&USER_RESOURCE, &json!({"userName": "straße@x.org"})).unwrap();
        for filter in [
            "userName eq \"STRASSE@x.org\"",
            "userName sw \"STRASS\"",
            "userName co \"ß\"",
        ] {
            let f = parse_filter(filter).unwrap();
            assert!(
                crate::filter::matches(&f, &USER_RESOURCE, &resource),
                "{filter}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn a_fold_is_its_own_fold_in_nfc(s in "\\PC{0,24}") {
            let once = fold(&s);
            proptest::prop_assert_eq!(fold(&once), once.clone());
            proptest::prop_assert!(unicode_normalization::is_nfc(&once));
        }
    }

    #[test]
    fn recordable_text_has_no_nul_and_a_bound() {
        assert_eq!(recordable("a\0b\tc", 10), "a\u{fffd}b\tc");
        assert_eq!(recordable("abcdef", 3), "abc…");
        assert_eq!(recordable("abc", 3), "abc");
    }

    #[test]
    fn lengths_are_counted_in_characters() {
        assert!(check_name("userName", &"é".repeat(NAME_MAX_CHARS)).is_ok());
        let e = check_name("userName", &"a".repeat(NAME_MAX_CHARS + 1)).unwrap_err();
        assert_eq!(e.detail, "userName is longer than 256 characters");
        assert!(check(TextKind::Free, "title", &"a".repeat(TEXT_MAX_CHARS)).is_ok());
        assert!(check(TextKind::Free, "title", &"a".repeat(TEXT_MAX_CHARS + 1)).is_err());
        let certificate =
            json!({"userName": "a", "x509Certificates": [{"value": "A".repeat(8_000)}]});
        assert!(crate::normalize(&USER_RESOURCE, &certificate).is_ok());
    }
}
