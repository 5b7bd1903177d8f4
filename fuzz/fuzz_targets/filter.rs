//! Filter text: parsing never panics; whatever parses prints a canonical form that parses back to
//! the same tree, validates or is refused cleanly, and evaluates against a user.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roster_scim::filter::{Limits, matches, parse_filter, parse_filter_with, validate};
use roster_scim::schema::USER_RESOURCE;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(filter) = parse_filter(text) else {
        return;
    };
    let canonical = filter.to_string();
    // Escaping can make the canonical text longer than the input, so only the length limit is
    // lifted for the round trip; depth and node count of the canonical form never grow.
    let relaxed = Limits {
        max_len: usize::MAX,
        ..Limits::DEFAULT
    };
    assert_eq!(
        parse_filter_with(&canonical, relaxed).as_ref(),
        Ok(&filter),
        "{canonical}"
    );
    let _ = validate(&filter, &USER_RESOURCE);
    let user = serde_json::json!({
        "userName": "ada@example.org",
        "active": true,
        "emails": [{"value": "ada@example.org", "type": "work", "primary": true}],
        "meta": {"lastModified": "2024-05-13T04:42:34Z"}
    });
    if let Some(user) = user.as_object() {
        let _ = matches(&filter, &USER_RESOURCE, user);
    }
});
