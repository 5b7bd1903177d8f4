//! How the console writes times and names for people.

use time::{OffsetDateTime, macros::format_description};

/// `2026-01-05 09:00 UTC`: minutes are what an administrator compares with Entra's logs.
pub fn when(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| at.to_string())
}

/// `scim_token_rotated` → `SCIM token rotated`.
pub fn words(code: &str) -> String {
    let spaced = code.replace('_', " ");
    let spaced = spaced
        .replace("scim", "SCIM")
        .replace("sso", "SSO")
        .replace("api key", "API key");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `3 minutes`, `1 hour 5 minutes`: a wait, rounded up to the minute.
pub fn duration(d: time::Duration) -> String {
    let minutes = (d.whole_seconds().max(0) + 59) / 60;
    let (hours, minutes) = (minutes / 60, minutes % 60);
    let unit = |n: i64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    match (hours, minutes) {
        (0, m) => unit(m.max(1), "minute"),
        (h, 0) => unit(h, "hour"),
        (h, m) => format!("{} {}", unit(h, "hour"), unit(m, "minute")),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn times_read_in_utc_to_the_minute() {
        assert_eq!(
            when(datetime!(2026-01-05 09:00:59 +01:00)),
            "2026-01-05 08:00 UTC"
        );
    }

    #[test]
    fn waits_round_up_to_the_minute() {
        assert_eq!(duration(time::Duration::seconds(61)), "2 minutes");
        assert_eq!(duration(time::Duration::seconds(1)), "1 minute");
        assert_eq!(duration(time::Duration::hours(24)), "24 hours");
        assert_eq!(duration(time::Duration::minutes(65)), "1 hour 5 minutes");
    }

    #[test]
    fn codes_read_as_words() {
        assert_eq!(words("scim_token_rotated"), "SCIM token rotated");
        assert_eq!(words("api_key_created"), "API key created");
        assert_eq!(words("sign_in"), "Sign in");
        assert_eq!(words("sso_configured"), "SSO configured");
    }
}
