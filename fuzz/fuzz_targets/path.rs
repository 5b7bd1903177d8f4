//! PATCH path text: parsing never panics, and the canonical form parses back to the same path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roster_scim::filter::Limits;
use roster_scim::path::{parse_path, parse_path_with};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(path) = parse_path(text) {
        let canonical = path.to_string();
        // Escaping can make the canonical text longer than the input: lift only the length limit.
        let relaxed = Limits {
            max_len: usize::MAX,
            ..Limits::DEFAULT
        };
        assert_eq!(
            parse_path_with(&canonical, relaxed).as_ref(),
            Ok(&path),
            "{canonical}"
        );
    }
});
