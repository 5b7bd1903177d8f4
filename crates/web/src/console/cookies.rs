//! The console's two cookies: the session and, before sign-in, the double-submit CSRF value.
//! Over https they take the `__Host-` prefix, which browsers accept only with `Secure`, `Path=/`
//! and no `Domain`, so no other host or path can plant or read them.

use axum::http::{HeaderMap, HeaderValue, header};

/// How cookies are named and flagged for this deployment's public URL.
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    secure: bool,
}

/// The session lives until sign-out or until the domain finds it idle or too old; the browser
/// forgets it when it closes, which is what a shared computer needs.
const SESSION: &str = "roster_session";
/// Read back only by the form it protects.
const CSRF: &str = "roster_csrf";

impl CookiePolicy {
    pub fn for_public_url(public_url: &str) -> Self {
        Self {
            secure: public_url.starts_with("https://"),
        }
    }

    pub fn session_name(self) -> &'static str {
        if self.secure {
            "__Host-roster_session"
        } else {
            SESSION
        }
    }

    pub fn csrf_name(self) -> &'static str {
        if self.secure {
            "__Host-roster_csrf"
        } else {
            CSRF
        }
    }

    pub fn set(self, name: &str, value: &str) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}"
        ))
        .ok()
    }

    pub fn clear(self, name: &str) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
        ))
        .ok()
    }
}

/// The value of the cookie `name` in the request, if sent once or more (the first wins).
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_cookies_are_host_prefixed_and_secure() {
        let policy = CookiePolicy::for_public_url("https://roster.example.edu");
        assert_eq!(policy.session_name(), "__Host-roster_session");
        let cookie = policy.set(policy.session_name(), "abc").unwrap();
        assert_eq!(
            cookie.to_str().unwrap(),
            "__Host-roster_session=abc; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
    }

    #[test]
    fn http_cookies_are_plain_and_not_secure() {
        let policy = CookiePolicy::for_public_url("http://127.0.0.1:8080");
        let cookie = policy.set(policy.session_name(), "abc").unwrap();
        assert_eq!(
            cookie.to_str().unwrap(),
            "roster_session=abc; Path=/; HttpOnly; SameSite=Lax"
        );
    }

    #[test]
    fn a_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; roster_session=xyz; b=2"),
        );
        assert_eq!(read(&headers, "roster_session"), Some("xyz"));
        assert_eq!(read(&headers, "roster_csrf"), None);
    }
}
