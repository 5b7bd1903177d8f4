//! Cross-site request forgery defences for every console form.
//!
//! Signed in, a form carries a token derived from the session token: SHA-256 over a label and
//! the session token. A cross-site page cannot read the `HttpOnly` session cookie, so it cannot
//! compute the token; and since nothing but the session goes in, every instance of a
//! multi-instance deployment derives the same token without sharing a secret. Before sign-in
//! (sign-in, first-run setup, invitation) a random value is set as a cookie and repeated in the
//! form (double submit). Independently, a POST whose `Origin` is present and not the public URL's
//! origin is refused.

use axum::http::{HeaderMap, header};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Separates this use of the session token from any other hash of it (the store keeps another).
const LABEL: &[u8] = b"roster console csrf v1\0";

/// The form token of a session.
pub fn token_for_session(session_token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(LABEL);
    hasher.update(session_token.as_bytes());
    URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// A fresh double-submit value for a form shown before sign-in.
pub fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `presented` equals `expected`, in time independent of where they differ.
pub fn matches(expected: &str, presented: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

/// `scheme://host[:port]` of a URL, as browsers send it in `Origin`.
pub fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let authority = rest.split('/').next().unwrap_or(rest);
    format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    )
}

/// A request is refused when it says it comes from elsewhere. `Sec-Fetch-Site`, which pages
/// cannot forge, must be `same-origin` when a browser sends it. An `Origin` must be ours, except
/// `null`: browsers send `null` for a same-origin form when the page's referrer policy is
/// `no-referrer` (as the console's is), so `null` passes only with `Sec-Fetch-Site: same-origin`
/// (an attacker's page can make its own requests say `null`, but not `same-origin`).
pub fn is_cross_site(headers: &HeaderMap, our_origin: &str) -> bool {
    let fetch_site = headers.get("sec-fetch-site").map(|v| v.as_bytes());
    if fetch_site.is_some_and(|site| site != b"same-origin") {
        return true;
    }
    match headers.get(header::ORIGIN).map(|v| v.as_bytes()) {
        None => false,
        Some(b"null") => fetch_site.is_none(),
        Some(origin) => !origin.eq_ignore_ascii_case(our_origin.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn the_form_token_depends_on_the_session() {
        assert_eq!(token_for_session("a"), token_for_session("a"));
        assert_ne!(token_for_session("a"), token_for_session("b"));
        assert!(matches(&token_for_session("a"), &token_for_session("a")));
        assert!(!matches(&token_for_session("a"), &token_for_session("b")));
    }

    #[test]
    fn an_empty_expected_token_matches_nothing() {
        assert!(!matches("", ""));
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let ours = origin_of("https://Roster.example.edu/base/");
        assert_eq!(ours, "https://roster.example.edu");
        let mut headers = HeaderMap::new();
        assert!(!is_cross_site(&headers, &ours));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://roster.example.edu"),
        );
        assert!(!is_cross_site(&headers, &ours));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(is_cross_site(&headers, &ours));
        headers.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(is_cross_site(&headers, &ours));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://roster.example.edu:8443"),
        );
        assert!(is_cross_site(&headers, &ours));
    }

    #[test]
    fn a_cross_site_fetch_is_refused_even_without_origin() {
        let mut headers = HeaderMap::new();
        for site in ["cross-site", "same-site", "none"] {
            headers.insert("sec-fetch-site", HeaderValue::from_static(site));
            assert!(
                is_cross_site(&headers, "https://roster.example.edu"),
                "{site}"
            );
        }
    }

    #[test]
    fn a_null_origin_passes_only_from_a_same_origin_fetch() {
        let ours = "https://roster.example.edu";
        let mut headers = HeaderMap::new();
        headers.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(is_cross_site(&headers, ours));
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(!is_cross_site(&headers, ours));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(
            is_cross_site(&headers, ours),
            "a foreign origin is refused whatever else"
        );
    }
}
