//! Property tests: the canonical text of any tree parses back to the same tree, and no input makes
//! the parser or the evaluator panic.

use proptest::prelude::*;
use serde_json::Number;

use super::*;
use crate::test_schema::USER_RT;

const URNS: &[&str] = &[
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:example:x",
];

pub(crate) fn name() -> impl Strategy<Value = String> {
    // Includes words the grammar also uses as keywords: as attribute names they must survive.
    prop_oneof![
        "[a-zA-Z][a-zA-Z0-9_-]{0,8}",
        Just("$ref".to_string()),
        Just("not".to_string()),
        Just("and".to_string()),
        Just("pr".to_string()),
        Just("eq".to_string()),
    ]
}

pub(crate) fn attr_path() -> impl Strategy<Value = AttrPath> {
    (
        proptest::option::of(proptest::sample::select(URNS)),
        name(),
        proptest::option::of(name()),
    )
        .prop_map(|(urn, attr, sub_attr)| AttrPath {
            urn: urn.map(str::to_owned),
            attr,
            sub_attr,
        })
}

fn comp_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        any::<i64>().prop_map(|n| CompValue::Number(n.into())),
        any::<u64>().prop_map(|n| CompValue::Number(n.into())),
        any::<f64>()
            .prop_filter_map("finite", Number::from_f64)
            .prop_map(CompValue::Number),
        // U+0000 is refused in filters (`crate::text`); every other character round-trips.
        any::<String>().prop_map(|s| CompValue::String(s.replace('\0', "\u{1}"))),
        "[a-z0-9 .@\"\\\\]{0,12}".prop_map(CompValue::String),
    ]
}

fn leaf() -> impl Strategy<Value = Filter> {
    prop_oneof![
        (
            attr_path(),
            proptest::sample::select(&CompareOp::ALL[..]),
            comp_value()
        )
            .prop_map(|(path, op, value)| Filter::Compare { path, op, value }),
        attr_path().prop_map(Filter::Present),
    ]
}

fn combine(inner: BoxedStrategy<Filter>) -> BoxedStrategy<Filter> {
    prop_oneof![
        (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
        (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::Or(Box::new(a), Box::new(b))),
        inner.prop_map(|f| Filter::Not(Box::new(f))),
    ]
    .boxed()
}

/// Filters as they may appear inside `[...]`: no value paths.
fn bracket_filter() -> BoxedStrategy<Filter> {
    leaf().prop_recursive(4, 24, 2, combine).boxed()
}

pub(crate) fn filter() -> BoxedStrategy<Filter> {
    let value_path = (attr_path(), bracket_filter()).prop_map(|(mut attr, f)| {
        attr.sub_attr = None;
        Filter::ValuePath {
            attr,
            filter: Box::new(f),
        }
    });
    prop_oneof![3 => leaf(), 1 => value_path]
        .prop_recursive(4, 32, 2, combine)
        .boxed()
}

proptest! {
    #![proptest_config(crate::test_schema::proptest_config(512))]

    #[test]
    fn canonical_text_parses_back_to_the_same_tree(f in filter()) {
        let text = f.to_string();
        let back = parse_filter(&text);
        prop_assert_eq!(back, Ok(f), "{}", text);
    }

    #[test]
    fn canonical_text_is_a_fixed_point(f in filter()) {
        let once = f.to_string();
        let twice = parse_filter(&once).map(|g| g.to_string());
        prop_assert_eq!(twice, Ok(once));
    }

    #[test]
    fn a_sub_attribute_after_brackets_parses_as_the_joined_bracket_filter(
        attr in attr_path(),
        inside in bracket_filter(),
        sub in name(),
        comparison in proptest::option::of(
            (proptest::sample::select(&CompareOp::ALL[..]), comp_value())
        ),
    ) {
        // `attr[inside].sub op value` is `attr[inside and sub op value]`.
        let attr = AttrPath { sub_attr: None, ..attr };
        let (tail, test) = match comparison {
            Some((op, value)) => (
                format!("{op} {value}"),
                Filter::Compare { path: AttrPath::new(sub.clone()), op, value },
            ),
            None => ("pr".to_owned(), Filter::Present(AttrPath::new(sub.clone()))),
        };
        let text = format!("{attr}[{inside}].{sub} {tail}");
        let expected = Filter::ValuePath {
            attr,
            filter: Box::new(Filter::And(Box::new(inside), Box::new(test))),
        };
        let parsed = parse_filter(&text);
        prop_assert_eq!(parsed.as_ref(), Ok(&expected), "{}", text);
        prop_assert_eq!(parse_filter(&expected.to_string()), Ok(expected));
    }

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,80}") {
        let _ = parse_filter(&s);
    }

    #[test]
    fn filter_like_text_never_panics_and_evaluates(
        s in r#"[a-z\.\[\]\(\) "]{0,20}( (eq|pr|and|or|not|co|gt) [a-z0-9"\(\)\[\]]{0,6}){0,6}"#
    ) {
        if let Ok(f) = parse_filter(&s) {
            let user = serde_json::json!({"userName": "a", "emails": [{"value": "x"}]});
            let _ = matches(&f, &USER_RT, user.as_object().unwrap_or(&serde_json::Map::new()));
            let _ = validate(&f, &USER_RT);
        }
    }
}
