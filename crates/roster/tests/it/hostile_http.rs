//! The `http` fuzz target's harness (`roster_web::fuzzing`: the input format, the request it
//! builds, the check) on random inputs, every run and on both stores: the whole request path —
//! routing, authentication, body and query parsing, SCIM handlers, the store — takes hostile
//! input without a panic, a 5xx or a slow answer. libFuzzer's coverage-guided runs of the same
//! harness (fuzz/README.md) go deeper; this one costs seconds, not a 14-minute instrumented
//! build, so CI can afford it each time.
//!
//! Inputs: the fuzz seeds (fuzz/seeds/http) mutated with SCIM-flavoured fragments, requests
//! assembled from pieces of Roster's routes, and raw bytes. `PROPTEST_CASES` sets how many.

use std::time::{Duration, Instant};

use proptest::{
    collection::vec,
    prelude::*,
    test_runner::{Config, TestCaseError, TestRunner},
};
use roster_domain::OrgKind;
use roster_web::fuzzing;

use crate::support::TestApp;

/// One answer may take this long at most, on a loaded CI machine with a debug build.
const SLOW: Duration = Duration::from_secs(5);

const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "get",
];

const PATHS: &[&str] = &[
    "/scim/v2/{org}/Users",
    "/scim/v2/{org}/Users/{id}",
    "/scim/v2/{org}/Users/.search",
    "/scim/v2/{org}/Groups",
    "/scim/v2/{org}/Groups/{id}",
    "/scim/v2/{org}/Groups/.search",
    "/scim/v2/{org}/ServiceProviderConfig",
    "/scim/v2/{org}/Schemas",
    "/scim/v2/{org}/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
    "/scim/v2/{org}/ResourceTypes/User",
    "/scim/v2/{org}/Bulk",
    "/scim/v2/{org}/Me",
    "/scim/v2/Users",
    "/api/v1/events",
    "/api/v1/accounts",
    "/api/v1/groups",
    "/console/sign-in",
    "/console/setup",
    "/console/orgs/{org}",
    "/healthz",
    "/readyz",
    "/metrics",
    "/",
];

const QUERIES: &[&str] = &[
    "filter=userName eq \"a@b.org\"",
    "filter=userName%20eq%20%22{id}%22",
    "filter=emails[type eq \"work\" and value co \"@\"]",
    "filter=members.value eq \"{id}\"",
    "filter=displayName sw \"A\" or not (active pr)",
    "filter=meta.lastModified gt \"2026-01-01T00:00:00Z\"",
    "filter=((((((((((userName pr))))))))))",
    "startIndex=0&count=-1",
    "startIndex=99999999999999999999&count=1e3",
    "attributes=userName,emails.value&excludedAttributes=groups",
    "sortBy=userName&sortOrder=descending",
    "after=djEuMC4x&limit=3",
    "limit=0",
    "%zz=%",
    "filter=",
];

const HEADERS: &[&str] = &[
    "authorization: Bearer {token}",
    "authorization: Bearer {token}",
    "authorization: Bearer roster_key_x",
    "authorization: Basic e3Rva2VufQ==",
    "authorization: Bearer",
    "content-type: application/scim+json",
    "content-type: application/json; charset=utf-16",
    "content-type: application/x-www-form-urlencoded",
    "content-type: text/plain",
    "if-match: W/\"1\"",
    "if-match: *",
    "if-none-match: \"x\"",
    "accept: application/scim+json",
    "accept: text/html",
    "origin: https://roster.fuzz",
    "cookie: roster_session=x; roster_csrf=y",
    "x-ms-client-request-id: 00000000-0000-0000-0000-000000000000",
    "content-length: 3",
    "transfer-encoding: chunked",
    "host: roster.test",
];

const BODIES: &[&str] = &[
    "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"{id}@hostile.example\",\"active\":true,\"emails\":[{\"value\":\"a@b\",\"primary\":true}],\"name\":{\"givenName\":\"A\"}}",
    "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],\"displayName\":\"{id}\",\"members\":[{\"value\":\"{id}\"}]}",
    "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"replace\",\"path\":\"active\",\"value\":\"False\"}]}",
    "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"remove\",\"path\":\"members[value eq \\\"{id}\\\"]\"}]}",
    "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"add\",\"value\":{\"emails[type eq \\\"work\\\"].value\":\"x\"}}]}",
    "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:SearchRequest\"],\"filter\":\"userName pr\",\"count\":2}",
    "csrf=x&email=a%40b&password=c",
    "[]",
    "null",
    "{\"userName\":null}",
    "",
];

/// Fragments that mean something to a SCIM parser, spliced into inputs.
const FRAGMENTS: &[&str] = &[
    "\"",
    "\\",
    "%",
    "%00",
    "%22",
    "{org}",
    "{token}",
    "{",
    "}",
    "[",
    "]",
    ".",
    ":",
    ",",
    "\n",
    "\n\n",
    " eq ",
    " and ",
    " or ",
    " not ",
    " pr",
    "(",
    ")",
    "$ref",
    "null",
    "true",
    "-1",
    "1e309",
    "99999999999999999999",
    "\u{0}",
    "\u{FEFF}",
    "\u{FFFD}",
    "ﬀ",
    "İ",
    "e\u{301}",
    "urn:ietf:params:scim:schemas:core:2.0:User:",
    "members",
    "emails[",
    "value",
    "/",
    "?",
    "&",
];

/// An input assembled from Roster's routes, queries, headers and bodies.
fn assembled() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(METHODS),
        prop::sample::select(PATHS),
        prop::option::of(prop::sample::select(QUERIES)),
        prop::option::weighted(0.8, Just("authorization: Bearer {token}")),
        vec(prop::sample::select(HEADERS), 0..5),
        prop::sample::select(BODIES),
        "[a-zA-Z0-9 _.@-]{0,12}",
    )
        .prop_map(|(method, path, query, authorization, headers, body, id)| {
            let mut text = format!("{method}\n{path}");
            if let Some(query) = query {
                text.push('?');
                text.push_str(query);
            }
            text.push('\n');
            // Mostly authenticated, so most inputs reach the SCIM handlers.
            for header in authorization.into_iter().chain(headers) {
                text.push_str(header);
                text.push('\n');
            }
            text.push('\n');
            text.push_str(body);
            text.replace("{id}", &id).into_bytes()
        })
}

/// An edit of an input: at a position (a fraction of its length), remove bytes, insert a
/// fragment or a byte, or repeat a stretch.
#[derive(Debug, Clone)]
enum Edit {
    Remove(f64, usize),
    Fragment(f64, &'static str),
    Byte(f64, u8),
    Repeat(f64, usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0.0..1.0, 1..16_usize).prop_map(|(at, n)| Edit::Remove(at, n)),
        (0.0..1.0, prop::sample::select(FRAGMENTS)).prop_map(|(at, f)| Edit::Fragment(at, f)),
        (0.0..1.0, any::<u8>()).prop_map(|(at, b)| Edit::Byte(at, b)),
        (0.0..1.0, 1..32_usize, 2..64_usize).prop_map(|(at, n, times)| Edit::Repeat(at, n, times)),
    ]
}

fn apply(mut input: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    let at = |fraction: f64, len: usize| {
        // A fraction in [0, 1) of a length that fits in memory: exact enough.
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "a position within the input"
        )]
        let position = (fraction * len as f64) as usize;
        position.min(len)
    };
    for edit in edits {
        match *edit {
            Edit::Remove(f, n) => {
                let start = at(f, input.len());
                let end = (start + n).min(input.len());
                input.drain(start..end);
            }
            Edit::Fragment(f, fragment) => {
                let start = at(f, input.len());
                input.splice(start..start, fragment.bytes());
            }
            Edit::Byte(f, byte) => {
                let start = at(f, input.len());
                input.insert(start, byte);
            }
            Edit::Repeat(f, n, times) => {
                let start = at(f, input.len());
                let end = (start + n).min(input.len());
                let stretch = input[start..end].repeat(times);
                input.splice(end..end, stretch);
            }
        }
    }
    input
}

fn seeds() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/http");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 3, "seeds in {}", dir.display());
    seeds
}

fn inputs(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let mutated_seed = (prop::sample::select(seeds), vec(edit(), 0..6))
        .prop_map(|(seed, edits)| apply(seed, &edits));
    let mutated_assembly =
        (assembled(), vec(edit(), 0..4)).prop_map(|(input, edits)| apply(input, &edits));
    prop_oneof![
        3 => mutated_seed,
        2 => assembled(),
        3 => mutated_assembly,
        1 => vec(any::<u8>(), 0..512),
    ]
}

#[test]
fn hostile_requests_never_panic_get_a_5xx_or_hang() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (app, tenant) = runtime.block_on(async {
        let app = TestApp::new().await;
        let tenant = app.tenant(OrgKind::School, 50).await;
        (app, tenant)
    });
    let tenant = fuzzing::Tenant {
        org: tenant.org.to_string(),
        token: tenant.token,
    };
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        // Shrinking replays inputs against a store the failing one already changed; the
        // first failing input, printed whole, is what reproduces (with the fuzz target too).
        max_shrink_iters: 0,
        ..Config::default()
    });
    // `run` takes an `Fn`: the tallies live in cells.
    let answered = std::cell::RefCell::new(std::collections::BTreeMap::<u16, usize>::new());
    let slowest = std::cell::Cell::new(Duration::ZERO);
    let outcome = runner.run(&inputs(seeds()), |input| {
        let started = Instant::now();
        let status = runtime
            .block_on(fuzzing::check(&app.router, &input, &tenant))
            .map_err(TestCaseError::fail)?;
        let took = started.elapsed();
        slowest.set(slowest.get().max(took));
        if let Some(status) = status {
            *answered.borrow_mut().entry(status.as_u16()).or_default() += 1;
        }
        prop_assert!(
            took < SLOW,
            "{took:?} for:\n{}",
            String::from_utf8_lossy(&input)
        );
        Ok(())
    });
    let answered = answered.into_inner();
    println!(
        "{cases} inputs; answers by status: {answered:?}; slowest {:?}",
        slowest.get()
    );
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    // The inputs reach past the front door: authenticated SCIM handlers answered (2xx), and
    // refused what they could not take (4xx beyond 401/404).
    let success: usize = answered.range(200..300).map(|(_, n)| n).sum();
    let refused: usize = answered
        .iter()
        .filter(|(status, _)| matches!(status, 400 | 409 | 412 | 413 | 415))
        .map(|(_, n)| n)
        .sum();
    assert!(success > 0 && refused > 0, "{answered:?}");
}
