//! PATCH target paths (RFC 7644 §3.5.2, grammar in §3.10 Figure 1):
//! `attr`, `attr.sub`, `urn:...:attr`, `urn:...:attr.sub`, `attr[filter]`, `attr[filter].sub`.
//!
//! The `[filter]` part is parsed by the filter module's own lexer and parser, so paths and filters
//! share one grammar and one set of limits.

use std::fmt::{self, Display, Formatter};

use crate::error::ScimError;
use crate::filter::lexer::{self, TokenKind};
use crate::filter::parser::{self, Parser};
use crate::filter::{AttrPath, Filter, Limits, check_length};

/// A parsed PATCH `path`.
///
/// `attr.sub_attr` is the sub-attribute whether it was written `attr.sub` or `attr[filter].sub`;
/// `filter`, when present, selects elements of the multi-valued attribute `attr.attr`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
}

impl PatchPath {
    /// A path without a value filter.
    pub fn attr(attr: AttrPath) -> Self {
        Self { attr, filter: None }
    }
}

impl Display for PatchPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let Some(filter) = &self.filter else {
            return write!(f, "{}", self.attr);
        };
        if let Some(urn) = &self.attr.urn {
            write!(f, "{urn}:")?;
        }
        write!(f, "{}[{filter}]", self.attr.attr)?;
        if let Some(sub) = &self.attr.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// Parses a PATCH path with [`Limits::DEFAULT`]. Errors are 400 `invalidPath`.
pub fn parse_path(src: &str) -> Result<PatchPath, ScimError> {
    parse_path_with(src, Limits::DEFAULT)
}

/// Parses a PATCH path with explicit limits.
pub fn parse_path_with(src: &str, limits: Limits) -> Result<PatchPath, ScimError> {
    parse(src, limits)
        .map_err(|detail| ScimError::invalid_path(format!("path '{}': {detail}", shorten(src))))
}

fn parse(src: &str, limits: Limits) -> Result<PatchPath, String> {
    check_length(src, limits, "path")?;
    let tokens = lexer::tokenize(src)?;
    let mut p = Parser::new(tokens, limits, src.len());
    let Some(first) = p.advance() else {
        return Err("the path is empty".into());
    };
    let TokenKind::Word(word) = first.kind else {
        return Err(format!(
            "a path starts with an attribute name, found {}",
            first.kind.describe()
        ));
    };
    let mut attr = parser::parse_attr_path(word)?;
    let mut filter = None;
    if p.peek().is_some_and(|t| t.kind == TokenKind::LBracket) {
        if attr.sub_attr.is_some() {
            return Err("a [] filter applies to an attribute, not to a sub-attribute".into());
        }
        p.advance();
        filter = Some(p.parse_bracket_filter()?);
        // After `]` only `.sub` may follow, which the lexer hands over as one word.
        if let Some(TokenKind::Word(rest)) = p.peek().map(|t| t.kind.clone()) {
            let Some(sub) = rest.strip_prefix('.') else {
                return Err(format!(
                    "expected '.' and a sub-attribute after ']', found '{rest}'"
                ));
            };
            parser::check_name(sub, src)?;
            attr.sub_attr = Some(sub.to_owned());
            p.advance();
        }
    }
    p.expect_end()?;
    Ok(PatchPath { attr, filter })
}

/// Error details quote the path; a hostile 4 KiB path is cut so the detail stays readable.
fn shorten(src: &str) -> String {
    const MAX: usize = 200;
    if src.chars().count() <= MAX {
        src.to_owned()
    } else {
        let head: String = src.chars().take(MAX).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::error::ScimType;
    use crate::filter::{CompValue, CompareOp, parse_filter};

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn path(s: &str) -> PatchPath {
        parse_path(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> String {
        let e = parse_path(s).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
        e.detail
    }

    #[test]
    fn every_path_form_parses() {
        assert_eq!(path("userName"), PatchPath::attr(AttrPath::new("userName")));
        assert_eq!(
            path("name.givenName"),
            PatchPath::attr(AttrPath::new("name").with_sub("givenName"))
        );
        assert_eq!(
            path(&format!("{ENTERPRISE}:employeeNumber")),
            PatchPath::attr(AttrPath::new("employeeNumber").with_urn(ENTERPRISE))
        );
        assert_eq!(
            path(&format!("{ENTERPRISE}:manager.value")),
            PatchPath::attr(
                AttrPath::new("manager")
                    .with_sub("value")
                    .with_urn(ENTERPRISE)
            )
        );
        let work = Filter::Compare {
            path: AttrPath::new("type"),
            op: CompareOp::Eq,
            value: CompValue::String("work".into()),
        };
        assert_eq!(
            path(r#"emails[type eq "work"]"#),
            PatchPath {
                attr: AttrPath::new("emails"),
                filter: Some(work.clone())
            }
        );
        assert_eq!(
            path(r#"emails[type eq "work"].value"#),
            PatchPath {
                attr: AttrPath::new("emails").with_sub("value"),
                filter: Some(work)
            }
        );
        assert_eq!(
            path(r#"members[value eq "2819c223-7f76"]"#).filter,
            Some(parse_filter(r#"value eq "2819c223-7f76""#).unwrap())
        );
    }

    #[test]
    fn canonical_text_normalises_operators_and_quotes() {
        assert_eq!(
            path(r#"emails[TYPE EQ work].value"#).to_string(),
            r#"emails[TYPE eq "work"].value"#
        );
        assert_eq!(
            path(r#"addresses[type eq "work" and not (primary eq false)].streetAddress"#)
                .to_string(),
            r#"addresses[type eq "work" and not (primary eq false)].streetAddress"#
        );
    }

    #[test]
    fn invalid_paths_are_invalid_path_errors() {
        assert_eq!(err(""), "path '': the path is empty");
        assert_eq!(
            err("name.givenName.x"),
            "path 'name.givenName.x': 'name.givenName.x' is not a valid attribute path: 'givenName.x' is not an attribute name"
        );
        assert_eq!(
            err(r#"emails[type eq "work"]value"#),
            r#"path 'emails[type eq "work"]value': expected '.' and a sub-attribute after ']', found 'value'"#
        );
        assert_eq!(
            err(r#"emails[type eq "work""#),
            r#"path 'emails[type eq "work"': expected ']' at the end of the filter"#
        );
        assert_eq!(
            err("userName eq"),
            "path 'userName eq': unexpected 'eq' at position 9"
        );
        assert_eq!(
            err(r#"emails.value[type eq "work"]"#),
            r#"path 'emails.value[type eq "work"]': a [] filter applies to an attribute, not to a sub-attribute"#
        );
        assert_eq!(
            err(r#"emails[type eq "work"].value.x"#),
            r#"path 'emails[type eq "work"].value.x': 'emails[type eq "work"].value.x' is not a valid attribute path: 'value.x' is not an attribute name"#
        );
        assert_eq!(
            err("(a)"),
            "path '(a)': a path starts with an attribute name, found '('"
        );
        let long = "a".repeat(5000);
        assert!(
            err(&long).ends_with("the path is too long: 5000 characters, at most 4096 are allowed")
        );
    }

    fn patch_path() -> impl Strategy<Value = PatchPath> {
        use crate::filter::proptests::{attr_path, filter};
        (attr_path(), proptest::option::of(filter())).prop_filter_map(
            "bracket filters hold no value path",
            |(attr, filter)| {
                let has_value_path = |f: &Filter| {
                    let mut found = false;
                    f.for_each_path(&mut |_, parent| found |= parent.is_some());
                    found
                };
                match filter {
                    Some(f) if has_value_path(&f) => None,
                    filter => Some(PatchPath { attr, filter }),
                }
            },
        )
    }

    proptest! {
        #[test]
        fn canonical_text_parses_back_to_the_same_path(p in patch_path()) {
            let text = p.to_string();
            prop_assert_eq!(parse_path(&text), Ok(p), "{}", text);
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,60}") {
            let _ = parse_path(&s);
        }
    }
}
