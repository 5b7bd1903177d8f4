//! Splits filter and path text into tokens. One lexer serves both grammars (RFC 7644 §3.4.2.2 filters
//! and §3.10 / §3.5.2 attribute paths), so the two cannot drift apart.
//!
//! The lexer is deliberately context-free: everything that is not a bracket, a parenthesis or a JSON
//! string is a *word* (an attribute path, an operator, `and`/`or`/`not`, a literal or — leniently —
//! an unquoted value). The parser decides what a word means from where it stands.

/// One token and the byte offset where it starts, for error messages.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token<'a> {
    pub kind: TokenKind<'a>,
    pub pos: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind<'a> {
    LParen,
    RParen,
    LBracket,
    RBracket,
    /// A JSON string literal, unescaped.
    Str(String),
    /// Any other run of characters up to whitespace, a bracket, a parenthesis or a quote.
    Word(&'a str),
}

impl TokenKind<'_> {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Self::LParen => "'('".into(),
            Self::RParen => "')'".into(),
            Self::LBracket => "'['".into(),
            Self::RBracket => "']'".into(),
            Self::Str(s) => format!("the string {}", quote(s)),
            Self::Word(w) => format!("'{w}'"),
        }
    }
}

/// A string as JSON writes it, for error messages and the canonical form.
pub(crate) fn quote(s: &str) -> String {
    // Serialising a `str` cannot fail; the fallback only satisfies the type.
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"')
}

/// Tokenizes `src`. Errors are details for an `invalidFilter`/`invalidPath` error.
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token<'_>>, String> {
    if let Some(pos) = src.find('\0') {
        return Err(format!(
            "U+0000 (NUL) at position {pos}: no filter or path may contain it"
        ));
    }
    let mut tokens = Vec::new();
    let mut chars = src.char_indices().peekable();
    while let Some(&(pos, c)) = chars.peek() {
        let kind = match c {
            c if c.is_whitespace() => {
                chars.next();
                continue;
            }
            '(' => TokenKind::LParen,
            ')' => TokenKind::RParen,
            '[' => TokenKind::LBracket,
            ']' => TokenKind::RBracket,
            '"' => {
                let end = string_end(src, pos)?;
                while chars.peek().is_some_and(|&(i, _)| i <= end) {
                    chars.next();
                }
                let literal = &src[pos..=end];
                let text = serde_json::from_str::<String>(literal).map_err(|_| {
                    format!("invalid string {literal} at position {pos}: use JSON string escapes")
                })?;
                tokens.push(Token {
                    kind: TokenKind::Str(text),
                    pos,
                });
                continue;
            }
            _ => {
                let mut end = src.len();
                while let Some(&(i, c)) = chars.peek() {
                    if is_delimiter(c) {
                        end = i;
                        break;
                    }
                    chars.next();
                }
                tokens.push(Token {
                    kind: TokenKind::Word(&src[pos..end]),
                    pos,
                });
                continue;
            }
        };
        chars.next();
        tokens.push(Token { kind, pos });
    }
    Ok(tokens)
}

/// The byte offset of the quote closing the string that opens at `start`.
fn string_end(src: &str, start: usize) -> Result<usize, String> {
    let bytes = src.as_bytes();
    let mut i = start + 1;
    // Scanning bytes is safe on UTF-8: '"' and '\\' never occur inside a multi-byte character.
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Ok(i),
            _ => i += 1,
        }
    }
    Err(format!(
        "unterminated string starting at position {start}: close it with '\"'"
    ))
}

#[cfg(test)]
mod tests {
    use super::TokenKind::*;
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind<'_>> {
        tokenize(src).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn splits_words_strings_and_brackets() {
        assert_eq!(
            kinds(r#"emails[type eq "work"].value"#),
            vec![
                Word("emails"),
                LBracket,
                Word("type"),
                Word("eq"),
                Str("work".into()),
                RBracket,
                Word(".value"),
            ]
        );
        assert_eq!(
            kinds("(a pr)and not(b eq 1)"),
            vec![
                LParen,
                Word("a"),
                Word("pr"),
                RParen,
                Word("and"),
                Word("not"),
                LParen,
                Word("b"),
                Word("eq"),
                Word("1"),
                RParen,
            ]
        );
    }

    #[test]
    fn strings_are_json_strings() {
        assert_eq!(
            kinds(r#""a\"b\\c\u00e9 ü""#),
            vec![Str("a\"b\\cé ü".into())]
        );
    }

    #[test]
    fn bad_strings_are_errors_not_panics() {
        assert!(
            tokenize(r#"a eq "open"#)
                .unwrap_err()
                .contains("unterminated")
        );
        assert!(tokenize(r#"a eq "\"#).unwrap_err().contains("unterminated"));
        assert!(
            tokenize(r#"a eq "\q""#)
                .unwrap_err()
                .contains("invalid string")
        );
    }

    #[test]
    fn positions_are_byte_offsets() {
        let tokens = tokenize("ü eq x").unwrap();
        assert_eq!(tokens.iter().map(|t| t.pos).collect::<Vec<_>>(), [0, 3, 6]);
    }
}
