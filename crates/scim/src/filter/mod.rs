//! SCIM filters (RFC 7644 §3.4.2.2): lexer, parser with limits, syntax tree, canonical text,
//! validation against a schema, and in-memory evaluation.
//!
//! This module owns the one filter grammar of the crate; attribute paths in PATCH
//! ([`crate::path`]) reuse its lexer and parser for their `[...]` part. It knows nothing of SQL
//! or storage: the domain checks a parsed [`Filter`] with [`validate`], lowers one whose every
//! test is on a column-backed attribute to a store filter of its own (which the storage crates
//! compile to SQL; they never see a [`Filter`]), and evaluates any other with [`matches`].
//! [`ResolvedPath`] gives an attribute path's canonical name, type and `caseExact` to validation,
//! evaluation and PATCH.
//!
//! ```
//! use roster_scim::filter::{parse_filter, matches, validate};
//! use roster_scim::schema::USER_RESOURCE;
//!
//! let filter = parse_filter(r#"userName Eq "ADA@example.org" and active eq true"#).unwrap();
//! assert_eq!(filter.to_string(), r#"userName eq "ADA@example.org" and active eq true"#);
//! validate(&filter, &USER_RESOURCE).unwrap();
//! let user = serde_json::json!({"userName": "ada@example.org", "active": true});
//! assert!(matches(&filter, &USER_RESOURCE, user.as_object().unwrap()));
//! ```

mod ast;
mod display;
mod eval;
pub(crate) mod lexer;
pub(crate) mod parser;
mod resolve;

#[cfg(test)]
pub(crate) mod proptests;
#[cfg(test)]
mod tests;

pub use ast::{AttrPath, CompValue, CompareOp, Filter};
pub use eval::matches;
pub(crate) use eval::matches_element;
pub use resolve::{ResolvedPath, validate, validate_sort_by, validate_value_filter};

use crate::error::ScimError;

/// Bounds on what the parser accepts, so that no filter or path can exhaust the stack or the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum length in characters.
    pub max_len: usize,
    /// Maximum nesting of parentheses, `not (...)` and `[...]`.
    pub max_depth: usize,
    /// Maximum number of tree nodes (comparisons, `pr`, `and`, `or`, `not`, `[...]`).
    pub max_nodes: usize,
}

impl Limits {
    /// Generous for every filter an identity provider sends (they send one or two comparisons),
    /// tight enough that evaluation and SQL compilation stay cheap.
    pub const DEFAULT: Limits = Limits {
        max_len: 4096,
        max_depth: 32,
        max_nodes: 512,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Parses a filter with [`Limits::DEFAULT`]. Errors are 400 `invalidFilter` with a detail that says
/// where and what is wrong, or which limit was exceeded.
pub fn parse_filter(src: &str) -> Result<Filter, ScimError> {
    parse_filter_with(src, Limits::DEFAULT)
}

/// Parses a filter with explicit limits.
pub fn parse_filter_with(src: &str, limits: Limits) -> Result<Filter, ScimError> {
    check_length(src, limits, "filter").map_err(ScimError::invalid_filter)?;
    let tokens = lexer::tokenize(src).map_err(ScimError::invalid_filter)?;
    parser::Parser::new(tokens, limits, src.len())
        .parse_filter()
        .map_err(ScimError::invalid_filter)
}

/// The length check shared with path parsing; counts characters only when the byte length could
/// exceed the limit.
pub(crate) fn check_length(src: &str, limits: Limits, what: &str) -> Result<(), String> {
    if src.len() > limits.max_len {
        let chars = src.chars().count();
        if chars > limits.max_len {
            return Err(format!(
                "the {what} is too long: {chars} characters, at most {} are allowed",
                limits.max_len
            ));
        }
    }
    Ok(())
}
