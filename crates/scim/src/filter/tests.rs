//! Example-based tests: RFC 7644 §3.4.2.2 examples, Entra's filters, limits and evaluation.

use serde_json::{Map, Value, json};

use super::*;
use crate::error::ScimType;
use crate::test_schema::{GROUP_RT, USER_RT};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn parse(s: &str) -> Filter {
    parse_filter(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn canonical(s: &str) -> String {
    parse(s).to_string()
}

fn err(s: &str) -> String {
    let e = parse_filter(s).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{s}");
    assert_eq!(e.status, 400);
    e.detail
}

fn cmp(path: AttrPath, op: CompareOp, value: CompValue) -> Filter {
    Filter::Compare { path, op, value }
}

fn s(v: &str) -> CompValue {
    CompValue::String(v.into())
}

#[test]
fn parses_a_simple_comparison() {
    assert_eq!(
        parse(r#"userName eq "bjensen""#),
        cmp(AttrPath::new("userName"), CompareOp::Eq, s("bjensen"))
    );
}

#[test]
fn operators_keywords_and_literals_ignore_case() {
    assert_eq!(
        canonical(r#"userName EQ "a" AND NOT (title Pr) Or active eq TRUE"#),
        r#"userName eq "a" and not (title pr) or active eq true"#
    );
}

#[test]
fn every_rfc_7644_example_parses_to_its_canonical_form() {
    let cases = [
        (
            r#"name.familyName co "O'Malley""#,
            r#"name.familyName co "O'Malley""#,
        ),
        (r#"userName sw "J""#, r#"userName sw "J""#),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        ),
        ("title pr", "title pr"),
        (
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
        ),
        (
            r#"title pr and userType eq "Employee""#,
            r#"title pr and userType eq "Employee""#,
        ),
        (
            r#"title pr or userType eq "Intern""#,
            r#"title pr or userType eq "Intern""#,
        ),
        (
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        ),
        (
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        ),
        (
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        ),
        (
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            r#"userType eq "Employee" and emails.type eq "work""#,
        ),
        (
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        ),
        (
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(canonical(input), expected, "{input}");
    }
}

#[test]
fn entra_filters_parse() {
    assert_eq!(
        parse(r#"id eq "g1" and members eq "u1""#),
        Filter::And(
            Box::new(cmp(AttrPath::new("id"), CompareOp::Eq, s("g1"))),
            Box::new(cmp(AttrPath::new("members"), CompareOp::Eq, s("u1"))),
        )
    );
    assert_eq!(
        parse(&format!(r#"{ENTERPRISE}:manager.value eq "m1""#)),
        cmp(
            AttrPath::new("manager")
                .with_sub("value")
                .with_urn(ENTERPRISE),
            CompareOp::Eq,
            s("m1")
        )
    );
}

#[test]
fn a_bare_word_value_is_read_as_a_string() {
    assert_eq!(
        parse("externalId eq jyoung"),
        cmp(AttrPath::new("externalId"), CompareOp::Eq, s("jyoung"))
    );
    assert_eq!(
        parse("userName eq ada@example.org"),
        cmp(
            AttrPath::new("userName"),
            CompareOp::Eq,
            s("ada@example.org")
        )
    );
    assert_eq!(
        canonical("externalId eq jyoung"),
        r#"externalId eq "jyoung""#
    );
}

#[test]
fn literals_numbers_and_escapes() {
    assert_eq!(parse("loginCount gt 10").to_string(), "loginCount gt 10",);
    assert_eq!(
        parse("score le -2.5e3"),
        cmp(
            AttrPath::new("score"),
            CompareOp::Le,
            CompValue::Number(serde_json::Number::from_f64(-2500.0).unwrap())
        )
    );
    assert_eq!(
        parse("title eq null"),
        cmp(AttrPath::new("title"), CompareOp::Eq, CompValue::Null)
    );
    assert_eq!(
        parse("active eq false"),
        cmp(
            AttrPath::new("active"),
            CompareOp::Eq,
            CompValue::Bool(false)
        )
    );
    assert_eq!(
        canonical(r#"displayName eq "say \"hi\"\n\u00e9""#),
        r#"displayName eq "say \"hi\"\né""#
    );
}

#[test]
fn and_binds_tighter_than_or_and_chains_are_left_associative() {
    let a = || Box::new(Filter::Present(AttrPath::new("a")));
    let b = || Box::new(Filter::Present(AttrPath::new("b")));
    let c = || Box::new(Filter::Present(AttrPath::new("c")));
    assert_eq!(
        parse("a pr or b pr and c pr"),
        Filter::Or(a(), Box::new(Filter::And(b(), c())))
    );
    assert_eq!(
        parse("a pr and b pr and c pr"),
        Filter::And(Box::new(Filter::And(a(), b())), c())
    );
    assert_eq!(
        canonical("a pr and (b pr and c pr)"),
        "a pr and (b pr and c pr)"
    );
    assert_eq!(
        canonical("(a pr and b pr) and c pr"),
        "a pr and b pr and c pr"
    );
    assert_eq!(
        canonical("(a pr or b pr) and c pr"),
        "(a pr or b pr) and c pr"
    );
    assert_eq!(canonical("((((a pr))))"), "a pr");
}

#[test]
fn syntax_errors_say_what_and_where() {
    assert_eq!(err(""), "the filter is empty");
    assert_eq!(
        err("userName"),
        "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after 'userName' at the end of the filter"
    );
    assert_eq!(
        err(r#"userName equals "x""#),
        "unknown operator 'equals' at position 9: use eq, ne, co, sw, ew, gt, ge, lt, le or pr"
    );
    assert_eq!(
        err("userName eq"),
        "expected a value after 'eq' at the end of the filter"
    );
    assert_eq!(err("(title pr"), "expected ')' at the end of the filter");
    assert_eq!(err("title pr)"), "unexpected ')' at position 8");
    assert_eq!(
        err(r#"title pr "x""#),
        r#"unexpected the string "x" at position 9"#
    );
    assert_eq!(
        err(r#"emails[type[value eq "x"]]"#),
        "'[' at position 11: filters inside [] cannot contain another []"
    );
    assert_eq!(
        err(r#"emails.type[value eq "x"]"#),
        "'[' at position 11: a [] filter applies to an attribute, not to a sub-attribute"
    );
    assert_eq!(
        err("1abc pr"),
        "'1abc' is not a valid attribute path: '1abc' is not an attribute name at position 0"
    );
    assert!(err(r#"a eq "x"#).starts_with("unterminated string"));
}

#[test]
fn limits_are_enforced_with_a_detail_naming_the_limit() {
    let long = format!(r#"userName eq "{}""#, "x".repeat(5000));
    assert_eq!(
        err(&long),
        "the filter is too long: 5014 characters, at most 4096 are allowed"
    );

    let deep = format!("{}title pr{}", "(".repeat(33), ")".repeat(33));
    assert_eq!(
        err(&deep),
        "the filter nests too deeply: at most 32 levels of parentheses, not() and [] are allowed"
    );
    let ok = format!("{}title pr{}", "(".repeat(32), ")".repeat(32));
    assert_eq!(canonical(&ok), "title pr");
    let nots = format!("{}title pr{}", "not (".repeat(40), ")".repeat(40));
    assert!(err(&nots).starts_with("the filter nests too deeply"));

    let wide = vec!["a pr"; 257].join(" or ");
    assert_eq!(
        err(&wide),
        "the filter is too complex: at most 512 terms and operators are allowed"
    );
    let fits = vec!["a pr"; 256].join(" or ");
    assert_eq!(parse(&fits).node_count(), 511);
}

#[test]
fn hostile_nesting_is_an_error_not_a_stack_overflow() {
    let src = "(".repeat(3000);
    assert!(err(&src).starts_with("the filter nests too deeply"));
    let src = "a[".repeat(1000);
    assert!(parse_filter(&src).is_err());
}

#[test]
fn custom_limits_apply() {
    let limits = Limits {
        max_len: 10,
        max_depth: 1,
        max_nodes: 2,
    };
    assert!(parse_filter_with("a pr", limits).is_ok());
    assert!(parse_filter_with("((a pr))", limits).is_err());
    assert!(parse_filter_with("a pr or b pr", limits).is_err());
    assert!(parse_filter_with("a pr or b p", limits).is_err());
}

#[test]
fn for_each_path_visits_paths_with_their_parent() {
    let f = parse(r#"userName eq "a" and emails[type eq "work"]"#);
    let mut seen = Vec::new();
    f.for_each_path(&mut |p, parent| {
        seen.push((p.to_string(), parent.map(ToString::to_string)));
    });
    assert_eq!(
        seen,
        vec![
            ("userName".to_string(), None),
            ("emails".to_string(), None),
            ("type".to_string(), Some("emails".to_string())),
        ]
    );
}

// ---- validation ----

fn invalid(s: &str) -> String {
    let e = validate(&parse(s), &USER_RT).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
    e.detail
}

#[test]
fn validation_accepts_known_attributes_in_any_case() {
    for ok in [
        r#"USERNAME eq "a""#,
        r#"name.FAMILYNAME co "x""#,
        r#"emails[TYPE eq "work"] and emails co "@x""#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7""#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "7""#,
        r#"meta.lastModified gt "2024-01-01T00:00:00Z""#,
        r#"id eq "1" or externalId eq "2""#,
    ] {
        validate(&parse(ok), &USER_RT).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    validate(&parse(r#"id eq "g" and members eq "u""#), &GROUP_RT).unwrap();
}

#[test]
fn never_returned_attributes_cannot_be_filtered_or_sorted_on() {
    let refused = "'password' is never returned, so it cannot be filtered or sorted on";
    assert_eq!(invalid(r#"userName eq "u" and password ge "m""#), refused);
    assert_eq!(invalid("PASSWORD pr"), refused);
    assert_eq!(invalid(r#"not (password co "a")"#), refused);
    let sort = AttrPath::new("password");
    let e = validate_sort_by(&sort, &USER_RT).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
    assert_eq!(e.detail, refused);
    validate_sort_by(&AttrPath::new("userName"), &USER_RT).unwrap();
}

#[test]
fn validation_names_the_unknown_attribute() {
    assert_eq!(
        invalid(r#"foo eq "x""#),
        "unknown attribute 'foo' for resource type User"
    );
    assert_eq!(
        invalid(r#"name.nickname eq "x""#),
        "unknown attribute 'name.nickname' for resource type User"
    );
    assert_eq!(
        invalid(r#"emails[kind eq "x"]"#),
        "unknown attribute 'kind' in a filter on 'emails'"
    );
    assert_eq!(
        invalid(r#"name eq "x""#),
        "attribute 'name' is complex: compare one of its sub-attributes, e.g. 'name.formatted'"
    );
    assert_eq!(
        invalid(r#"title[value eq "x"]"#),
        "'title[...]' filters the values of a complex attribute, and 'title' is not complex"
    );
    assert_eq!(
        invalid("active gt true"),
        "operator 'gt' cannot be used on 'active', whose type is boolean"
    );
}

#[test]
fn resolved_paths_expose_type_and_case_exactness() {
    let p = parse_attr(&format!("{ENTERPRISE}:manager.value"));
    let r = p.resolve(&USER_RT).unwrap();
    assert!(r.in_extension);
    assert_eq!(r.schema.id, ENTERPRISE);
    assert_eq!((r.attribute.name, r.target().name), ("manager", "value"));
    let members = AttrPath::new("MEMBERS").resolve(&GROUP_RT).unwrap();
    assert_eq!(members.compared().map(|a| a.name), Some("value"));
    assert!(
        AttrPath::new("externalId")
            .resolve(&USER_RT)
            .unwrap()
            .target()
            .case_exact
    );
}

fn parse_attr(s: &str) -> AttrPath {
    parser::parse_attr_path(s).unwrap()
}

// ---- evaluation ----

fn user() -> Map<String, Value> {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "id": "2819c223",
        "externalId": "BJensen",
        "userName": "bjensen@example.com",
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "displayName": "Babs Jensen",
        "active": true,
        "loginCount": 12,
        "score": 2.5,
        "password": "Secret",
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "nicknames": ["Babs", "BJ"],
        "meta": {"lastModified": "2024-05-13T04:42:34Z"},
        ENTERPRISE: {"employeeNumber": "701984", "manager": {"value": "26118915"}}
    })
    .as_object()
    .cloned()
    .unwrap()
}

fn eval_user(s: &str) -> bool {
    matches(&parse(s), &USER_RT, &user())
}

#[test]
fn string_equality_ignores_case_unless_case_exact() {
    assert!(eval_user(r#"userName eq "BJENSEN@example.com""#));
    assert!(eval_user(r#"USERNAME EQ "bjensen@EXAMPLE.com""#));
    assert!(eval_user(r#"externalId eq "BJensen""#));
    assert!(!eval_user(r#"externalId eq "bjensen""#));
    assert!(!eval_user(r#"password eq "secret""#));
    assert!(eval_user(r#"password eq "Secret""#));
}

#[test]
fn substring_and_ordering_operators() {
    assert!(eval_user(r#"displayName co "BABS""#));
    assert!(eval_user(r#"displayName sw "babs""#));
    assert!(eval_user(r#"displayName ew "jensen""#));
    assert!(!eval_user(r#"displayName sw "jensen""#));
    assert!(eval_user(r#"userName gt "a""#));
    assert!(eval_user(r#"userName lt "C""#));
    assert!(eval_user("loginCount gt 9"));
    assert!(eval_user("loginCount ge 12"));
    assert!(!eval_user("loginCount lt 12"));
    assert!(eval_user("loginCount le 12.0"));
    assert!(eval_user("score gt 2.25"));
    assert!(!eval_user("active gt false"));
    assert!(!eval_user(r#"loginCount co "1""#));
}

#[test]
fn date_times_compare_as_instants() {
    assert!(eval_user(r#"meta.lastModified gt "2024-05-13T04:00:00Z""#));
    // The same instant written in another offset is equal, not lexicographically different.
    assert!(eval_user(
        r#"meta.lastModified eq "2024-05-13T06:42:34+02:00""#
    ));
    assert!(eval_user(
        r#"meta.lastModified lt "2024-05-13T07:00:00+02:00""#
    ));
    assert!(!eval_user(
        r#"meta.lastModified gt "2024-05-13T06:42:34+02:00""#
    ));
}

#[test]
fn booleans_match_literals_and_entra_strings() {
    assert!(eval_user("active eq true"));
    assert!(!eval_user("active eq false"));
    assert!(eval_user(r#"active eq "True""#));
    assert!(eval_user("active ne false"));
}

#[test]
fn multi_valued_attributes_match_if_any_value_matches() {
    assert!(eval_user(r#"emails.type eq "home""#));
    assert!(eval_user(r#"emails co "jensen.org""#));
    assert!(eval_user(r#"emails eq "BJENSEN@example.com""#));
    assert!(eval_user(r#"nicknames eq "bj""#));
    assert!(eval_user(
        r#"emails[type eq "work" and value co "@example.com"]"#
    ));
    // Both conditions must hold on the same element inside brackets, not across elements.
    assert!(!eval_user(
        r#"emails[type eq "home" and value co "@example.com"]"#
    ));
    assert!(eval_user(
        r#"emails.type eq "home" and emails.value co "@example.com""#
    ));
    assert!(eval_user(r#"emails[primary eq true and value ew ".com"]"#));
}

#[test]
fn presence_and_null() {
    assert!(!eval_user("title pr"));
    assert!(eval_user("name pr"));
    assert!(eval_user("emails pr"));
    assert!(eval_user("title eq null"));
    assert!(!eval_user("userName eq null"));
    assert!(eval_user("userName ne null"));
    assert!(eval_user(r#"title ne "x""#));
    let mut u = user();
    u.insert("title".into(), json!(""));
    u.insert("phoneNumbers".into(), json!([]));
    assert!(!matches(&parse("title pr"), &USER_RT, &u));
    assert!(!matches(&parse("phoneNumbers pr"), &USER_RT, &u));
}

#[test]
fn extension_attributes_are_read_under_their_urn() {
    assert!(eval_user(&format!(
        r#"{ENTERPRISE}:employeeNumber eq "701984""#
    )));
    assert!(eval_user(&format!("{ENTERPRISE}:employeeNumber eq 701984")));
    assert!(eval_user(&format!(
        r#"{ENTERPRISE}:manager.value eq "26118915""#
    )));
    assert!(eval_user(&format!(
        r#"{}:manager.value eq "26118915""#,
        ENTERPRISE.to_uppercase()
    )));
    // Unqualified, `employeeNumber` is not a core attribute.
    assert!(!eval_user(r#"employeeNumber eq "701984""#));
}

#[test]
fn logical_operators() {
    assert!(eval_user(
        r#"userName sw "b" and (title pr or active eq true)"#
    ));
    assert!(!eval_user(r#"not (userName sw "b")"#));
    assert!(eval_user(r#"not (title pr)"#));
    assert!(!eval_user(r#"foo eq "x""#));
    assert!(eval_user(r#"not (foo eq "x")"#));
}

#[test]
fn entra_membership_check_compares_member_values() {
    let group = json!({
        "id": "g1",
        "displayName": "Biology 101",
        "members": [{"value": "u1", "display": "Ada"}, {"value": "u2"}]
    });
    let group = group.as_object().unwrap();
    let hit = parse(r#"id eq "g1" and members eq "u2""#);
    let miss = parse(r#"id eq "g1" and members eq "u3""#);
    assert!(matches(&hit, &GROUP_RT, group));
    assert!(!matches(&miss, &GROUP_RT, group));
    assert!(matches(
        &parse(r#"members.value eq "u1""#),
        &GROUP_RT,
        group
    ));
    assert!(matches(
        &parse(r#"displayName eq "biology 101""#),
        &GROUP_RT,
        group
    ));
}

#[test]
fn a_sub_attribute_after_brackets_joins_the_bracket_filter() {
    // Microsoft's form `emails[type eq "work"].value ew "x"` is the RFC's
    // `emails[type eq "work" and value ew "x"]`: the same tree, printed the RFC's way.
    for op in ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"] {
        let sugar = format!(r#"emails[type eq "work"].value {op} "example.org""#);
        let plain = format!(r#"emails[type eq "work" and value {op} "example.org"]"#);
        assert_eq!(parse(&sugar), parse(&plain), "{sugar}");
        assert_eq!(parse(&sugar).to_string(), plain);
    }
    assert_eq!(
        canonical(r#"emails[type eq "work"].value pr"#),
        r#"emails[type eq "work" and value pr]"#
    );
    assert_eq!(
        canonical(r#"EMAILS[TYPE EQ "work"].Primary Eq TRUE and userName pr"#),
        r#"EMAILS[TYPE eq "work" and Primary eq true] and userName pr"#
    );
    // An `or` inside the brackets stays grouped: the test after `]` applies to all of it.
    assert_eq!(
        parse(r#"emails[type eq "work" or type eq "home"].value ew "x""#),
        Filter::ValuePath {
            attr: AttrPath::new("emails"),
            filter: Box::new(Filter::And(
                Box::new(Filter::Or(
                    Box::new(cmp(AttrPath::new("type"), CompareOp::Eq, s("work"))),
                    Box::new(cmp(AttrPath::new("type"), CompareOp::Eq, s("home"))),
                )),
                Box::new(cmp(AttrPath::new("value"), CompareOp::Ew, s("x"))),
            )),
        }
    );
    assert_eq!(
        canonical(r#"emails[type eq "work" or type eq "home"].value ew "x""#),
        r#"emails[(type eq "work" or type eq "home") and value ew "x"]"#
    );
    assert_eq!(
        canonical(&format!(
            r#"{ENTERPRISE}:manager[value pr].displayName sw "A""#
        )),
        format!(r#"{ENTERPRISE}:manager[value pr and displayName sw "A"]"#)
    );
}

#[test]
fn a_sub_attribute_after_brackets_must_be_a_name_and_a_test() {
    assert_eq!(
        err(r#"emails[type eq "work"].value"#),
        "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after '.value' at the end of the filter"
    );
    assert_eq!(
        err(r#"emails[type eq "work"]. eq "x""#),
        "'.' is not a valid attribute path: an attribute name is empty at position 22"
    );
    assert_eq!(
        err(r#"emails[type eq "work"].value.x eq "x""#),
        "'.value.x' is not a valid attribute path: 'value.x' is not an attribute name at position 22"
    );
    assert_eq!(
        err(r#"emails[type eq "work"].value[type pr]"#),
        "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after '.value' at position 28, found '['"
    );
    // Without a sub-attribute, a word after `]` is still an error.
    assert_eq!(
        err(r#"emails[type eq "work"] value eq "x""#),
        "unexpected 'value' at position 23"
    );
}

#[test]
fn a_sub_attribute_after_brackets_counts_the_level_its_canonical_form_needs() {
    // 31 parentheses inside the brackets: the plain form is at the limit (brackets + 31).
    let inner = format!(
        r#"{}type eq "a" or type eq "b"{}"#,
        "(".repeat(31),
        ")".repeat(31)
    );
    assert!(parse_filter(&format!("emails[{inner}]")).is_ok());
    // Its sugar would print with one more pair of parentheses, past the limit: refused.
    let sugar = format!(r#"emails[{inner}].value pr"#);
    assert!(
        err(&sugar).starts_with("the filter nests too deeply"),
        "{sugar}"
    );
    // One level less fits, and its canonical text parses back to the same tree.
    let inner = format!(
        r#"{}type eq "a" or type eq "b"{}"#,
        "(".repeat(30),
        ")".repeat(30)
    );
    let fits = parse(&format!(r#"emails[{inner}].value pr"#));
    assert_eq!(parse(&fits.to_string()), fits);
}

#[test]
fn a_sub_attribute_after_brackets_holds_on_the_same_element() {
    assert!(eval_user(
        r#"emails[type eq "work"].value ew "example.com""#
    ));
    assert!(eval_user(r#"emails[type eq "home"].value ew "jensen.org""#));
    // The home address is not at example.com, though the work address is.
    assert!(!eval_user(
        r#"emails[type eq "home"].value ew "example.com""#
    ));
    assert!(eval_user(r#"emails[type eq "work"].primary eq true"#));
    assert!(!eval_user(r#"emails[type eq "home"].primary pr"#));
    assert!(eval_user(r#"emails[type ne "home"].value co "BJENSEN""#));
    assert!(eval_user(r#"emails[type eq "work"].value gt "a""#));
    assert!(!eval_user(r#"emails[type eq "work"].value lt "a""#));
}
