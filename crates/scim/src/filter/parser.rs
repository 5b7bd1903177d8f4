//! Recursive-descent parser for RFC 7644 §3.4.2.2 filters and the attribute paths they contain.
//!
//! Grammar (precedence `not` > `and` > `or`, `and`/`or` left-associative):
//!
//! ```text
//! filter  = or
//! or      = and *("or" and)
//! and     = unary *("and" unary)
//! unary   = "not" "(" filter ")" / "(" filter ")" / attrExp / valuePath
//! attrExp = attrPath "pr" / attrPath compareOp compValue
//! valuePath = attrPath "[" filter-without-valuePath "]" ["." subAttr ("pr" / compareOp compValue)]
//! ```
//!
//! The optional tail after `]` is not RFC 7644 grammar but Microsoft's documented form:
//! `emails[type eq "work"].value ew "example.org"` reads as
//! `emails[type eq "work" and value ew "example.org"]`, so it becomes that very tree and every
//! consumer (evaluation, SQL lowering, canonical text) sees one form.
//!
//! Limits are enforced here, while parsing: the nesting depth is checked *before* each recursive
//! descent, so hostile input cannot overflow the stack, and the node count bounds the tree that the
//! evaluator and the SQL compilers later walk recursively.

use super::Limits;
use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use super::lexer::{Token, TokenKind};
use serde_json::Number;

pub(crate) struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    pos: usize,
    depth: usize,
    nodes: usize,
    limits: Limits,
    /// Byte length of the source, for "at the end" error positions.
    end: usize,
}

impl<'a> Parser<'a> {
    pub fn new(tokens: Vec<Token<'a>>, limits: Limits, end: usize) -> Self {
        Self {
            tokens,
            pos: 0,
            depth: 0,
            nodes: 0,
            limits,
            end,
        }
    }

    /// Parses a whole filter and checks nothing is left over.
    pub fn parse_filter(&mut self) -> Result<Filter, String> {
        if self.tokens.is_empty() {
            return Err("the filter is empty".into());
        }
        let filter = self.parse_or(false)?;
        self.expect_end()?;
        Ok(filter)
    }

    pub fn expect_end(&self) -> Result<(), String> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(format!(
                "unexpected {} at position {}",
                t.kind.describe(),
                t.pos
            )),
        }
    }

    pub fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.pos)
    }

    fn peek_kind(&self) -> Option<&TokenKind<'a>> {
        self.peek().map(|t| &t.kind)
    }

    fn peek_word(&self) -> Option<&'a str> {
        match self.peek_kind() {
            Some(TokenKind::Word(w)) => Some(w),
            _ => None,
        }
    }

    pub fn advance(&mut self) -> Option<Token<'a>> {
        let token = self.tokens.get(self.pos).cloned();
        if token.is_some() {
            self.pos += 1;
        }
        token
    }

    fn here(&self) -> usize {
        self.peek().map_or(self.end, |t| t.pos)
    }

    /// Consumes `kind` or fails naming what was found instead.
    pub fn expect(&mut self, kind: &TokenKind<'_>, what: &str) -> Result<(), String> {
        match self.peek() {
            Some(t) if &t.kind == kind => {
                self.pos += 1;
                Ok(())
            }
            Some(t) => Err(format!(
                "expected {what} at position {}, found {}",
                t.pos,
                t.kind.describe()
            )),
            None => Err(format!("expected {what} at the end of the filter")),
        }
    }

    /// Enters one level of parentheses, `not (...)` or `[...]`; refuses to go past the limit
    /// before the caller recurses.
    pub fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(format!(
                "the filter nests too deeply: at most {} levels of parentheses, not() and [] are allowed",
                self.limits.max_depth
            ));
        }
        Ok(())
    }

    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Counts one more tree node against the limit.
    fn node(&mut self, filter: Filter) -> Result<Filter, String> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(format!(
                "the filter is too complex: at most {} terms and operators are allowed",
                self.limits.max_nodes
            ));
        }
        Ok(filter)
    }

    fn parse_or(&mut self, in_brackets: bool) -> Result<Filter, String> {
        let mut left = self.parse_and(in_brackets)?;
        while self
            .peek_word()
            .is_some_and(|w| w.eq_ignore_ascii_case("or"))
        {
            self.pos += 1;
            let right = self.parse_and(in_brackets)?;
            left = self.node(Filter::Or(Box::new(left), Box::new(right)))?;
        }
        Ok(left)
    }

    fn parse_and(&mut self, in_brackets: bool) -> Result<Filter, String> {
        let mut left = self.parse_unary(in_brackets)?;
        while self
            .peek_word()
            .is_some_and(|w| w.eq_ignore_ascii_case("and"))
        {
            self.pos += 1;
            let right = self.parse_unary(in_brackets)?;
            left = self.node(Filter::And(Box::new(left), Box::new(right)))?;
        }
        Ok(left)
    }

    fn parse_unary(&mut self, in_brackets: bool) -> Result<Filter, String> {
        let Some(token) = self.advance() else {
            return Err("the filter ends where an expression was expected".into());
        };
        match token.kind {
            TokenKind::LParen => {
                let inner = self.parse_group(in_brackets)?;
                Ok(inner)
            }
            // `not` is a keyword only when a parenthesis follows, so an attribute may still be
            // called `not` (RFC 7644 §3.4.2.2 requires `not (...)`).
            TokenKind::Word(w)
                if w.eq_ignore_ascii_case("not")
                    && self.peek_kind() == Some(&TokenKind::LParen) =>
            {
                self.pos += 1;
                let inner = self.parse_group(in_brackets)?;
                self.node(Filter::Not(Box::new(inner)))
            }
            TokenKind::Word(w) => self.parse_attr_expression(w, token.pos, in_brackets),
            other => Err(format!(
                "expected an attribute, '(' or 'not' at position {}, found {}",
                token.pos,
                other.describe()
            )),
        }
    }

    /// The rest of `( filter )` after the opening parenthesis.
    fn parse_group(&mut self, in_brackets: bool) -> Result<Filter, String> {
        self.enter()?;
        let inner = self.parse_or(in_brackets)?;
        self.expect(&TokenKind::RParen, "')'")?;
        self.leave();
        Ok(inner)
    }

    fn parse_attr_expression(
        &mut self,
        word: &str,
        pos: usize,
        in_brackets: bool,
    ) -> Result<Filter, String> {
        let path = parse_attr_path(word).map_err(|e| format!("{e} at position {pos}"))?;
        if self.peek_kind() == Some(&TokenKind::LBracket) {
            let bracket = self.here();
            if in_brackets {
                return Err(format!(
                    "'[' at position {bracket}: filters inside [] cannot contain another []"
                ));
            }
            if path.sub_attr.is_some() {
                return Err(format!(
                    "'[' at position {bracket}: a [] filter applies to an attribute, not to a sub-attribute"
                ));
            }
            self.pos += 1;
            // The canonical text of `attr[a or b].sub op v` is `attr[(a or b) and sub op v]`, one
            // level deeper than what was written; counting that level here keeps every canonical
            // text within the limits its source passed.
            let sub_attr_follows = self.sub_attr_follows_bracket();
            if sub_attr_follows {
                self.enter()?;
            }
            let mut filter = self.parse_bracket_filter()?;
            if sub_attr_follows {
                self.leave();
                filter = self.parse_sub_attr_test(filter)?;
            }
            return self.node(Filter::ValuePath {
                attr: path,
                filter: Box::new(filter),
            });
        }
        self.parse_test(path, word)
    }

    /// Whether the `]` closing the bracket just opened is followed by `.subAttr`. Brackets do not
    /// nest, so the first `]` is the closing one (any `[` before it is refused while parsing).
    fn sub_attr_follows_bracket(&self) -> bool {
        let rest = self.tokens.get(self.pos..).unwrap_or_default();
        rest.iter()
            .position(|t| t.kind == TokenKind::RBracket)
            .and_then(|i| rest.get(i + 1))
            .is_some_and(|t| matches!(t.kind, TokenKind::Word(w) if w.starts_with('.')))
    }

    /// `.subAttr op value` after `attr[filter]`: the test joins the bracket filter with `and`.
    fn parse_sub_attr_test(&mut self, filter: Filter) -> Result<Filter, String> {
        let Some(Token {
            kind: TokenKind::Word(word),
            pos,
        }) = self.advance()
        else {
            return Err("expected '.' and a sub-attribute after ']'".into());
        };
        let sub = word.strip_prefix('.').unwrap_or(word);
        check_name(sub, word).map_err(|e| format!("{e} at position {pos}"))?;
        let test = self.parse_test(AttrPath::new(sub), word)?;
        self.node(Filter::And(Box::new(filter), Box::new(test)))
    }

    /// `pr` or `op value` after the attribute path `path`, written as `word`.
    fn parse_test(&mut self, path: AttrPath, word: &str) -> Result<Filter, String> {
        let Some(op_token) = self.advance() else {
            return Err(format!(
                "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after '{word}' at the end of the filter"
            ));
        };
        let op_word = match op_token.kind {
            TokenKind::Word(w) => w,
            other => {
                return Err(format!(
                    "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after '{word}' at position {}, found {}",
                    op_token.pos,
                    other.describe()
                ));
            }
        };
        if op_word.eq_ignore_ascii_case("pr") {
            return self.node(Filter::Present(path));
        }
        let Some(op) = CompareOp::parse(op_word) else {
            return Err(format!(
                "unknown operator '{op_word}' at position {}: use eq, ne, co, sw, ew, gt, ge, lt, le or pr",
                op_token.pos
            ));
        };
        let value = self.parse_value(op)?;
        if let CompValue::String(text) = &value
            && text.contains('\0')
        {
            return Err(format!(
                "the value compared with {path} contains U+0000 (NUL), which no string may contain"
            ));
        }
        self.node(Filter::Compare { path, op, value })
    }

    /// The inside of `attr[ ... ]` after the `[`, including the closing `]`.
    pub fn parse_bracket_filter(&mut self) -> Result<Filter, String> {
        self.enter()?;
        let filter = self.parse_or(true)?;
        self.expect(&TokenKind::RBracket, "']'")?;
        self.leave();
        Ok(filter)
    }

    fn parse_value(&mut self, op: CompareOp) -> Result<CompValue, String> {
        match self.advance() {
            Some(Token {
                kind: TokenKind::Str(s),
                ..
            }) => Ok(CompValue::String(s)),
            Some(Token {
                kind: TokenKind::Word(w),
                ..
            }) => Ok(word_value(w)),
            Some(t) => Err(format!(
                "expected a value after '{}' at position {}, found {}",
                op.as_str(),
                t.pos,
                t.kind.describe()
            )),
            None => Err(format!(
                "expected a value after '{}' at the end of the filter",
                op.as_str()
            )),
        }
    }
}

/// An unquoted value: `true`, `false`, `null`, a JSON number, or — leniently, because Microsoft's
/// own examples send `externalId eq jyoung` — any other word read as a string.
fn word_value(word: &str) -> CompValue {
    if word.eq_ignore_ascii_case("true") {
        CompValue::Bool(true)
    } else if word.eq_ignore_ascii_case("false") {
        CompValue::Bool(false)
    } else if word.eq_ignore_ascii_case("null") {
        CompValue::Null
    } else if let Some(n) = json_number(word) {
        CompValue::Number(n)
    } else {
        CompValue::String(word.into())
    }
}

/// A JSON number, exactly: integers as integers, everything else through Rust's correctly rounded
/// `f64` parser (so the shortest text `Display` prints reads back bit-for-bit). Out-of-range
/// numbers (`1e400`) are `None` and stay strings.
fn json_number(word: &str) -> Option<Number> {
    if !is_json_number(word) {
        return None;
    }
    if let Ok(n) = word.parse::<u64>() {
        return Some(n.into());
    }
    if let Ok(n) = word.parse::<i64>() {
        return Some(n.into());
    }
    word.parse::<f64>().ok().and_then(Number::from_f64)
}

/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` (RFC 8259 §6).
fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.first() == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Parses one word as `[URI ":"] ATTRNAME ["." subAttr]` (RFC 7644 §3.10).
pub(crate) fn parse_attr_path(word: &str) -> Result<AttrPath, String> {
    let (urn, rest) = if crate::schema::starts_with_urn(word) {
        match word.rfind(':') {
            // The URN needs something after `urn:`; the attribute follows the last colon.
            Some(i) if i > 4 => (Some(&word[..i]), &word[i + 1..]),
            _ => return Err(format!("'{word}' is not a valid attribute path")),
        }
    } else {
        (None, word)
    };
    let (attr, sub) = match rest.split_once('.') {
        Some((attr, sub)) => (attr, Some(sub)),
        None => (rest, None),
    };
    check_name(attr, word)?;
    if let Some(sub) = sub {
        check_name(sub, word)?;
    }
    Ok(AttrPath {
        urn: urn.map(str::to_owned),
        attr: attr.to_owned(),
        sub_attr: sub.map(str::to_owned),
    })
}

/// `ATTRNAME = ALPHA *(nameChar)` of RFC 7643 §2.1, plus a leading `$` for `$ref`.
pub(crate) fn check_name(name: &str, word: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '$');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Ok(())
    } else if name.is_empty() {
        Err(format!(
            "'{word}' is not a valid attribute path: an attribute name is empty"
        ))
    } else {
        Err(format!(
            "'{word}' is not a valid attribute path: '{name}' is not an attribute name"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_are_recognised_exactly() {
        for yes in ["0", "-0", "7", "-12", "1.5", "1e9", "2.5E-3", "10e+2"] {
            assert!(is_json_number(yes), "{yes}");
        }
        for no in ["", "-", "01", "1.", ".5", "1e", "1e+", "0x1", "1a", "--1"] {
            assert!(!is_json_number(no), "{no}");
        }
    }

    #[test]
    fn attribute_paths_split_urn_attribute_and_sub_attribute() {
        let p = parse_attr_path(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        )
        .unwrap();
        assert_eq!(
            p,
            AttrPath::new("manager")
                .with_sub("value")
                .with_urn("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!(
            parse_attr_path("members.$ref").unwrap(),
            AttrPath::new("members").with_sub("$ref")
        );
        for bad in [
            "urn:x", "a..b", "a.b.c", "1abc", "a b", "name.", ".value", "urn::a", "a:b",
        ] {
            assert!(parse_attr_path(bad).is_err(), "{bad}");
        }
    }
}
