//! The whole HTTP request path: arbitrary method, path and query, headers and body through the
//! real router, in process, on a SQLite store in a temporary directory. No input may panic or
//! get a 5xx. Inputs are text: a method line, a request-target line, header lines, an empty line,
//! the body. `{org}` and `{token}` stand for a real organization and its SCIM token, so inputs
//! reach the authenticated handlers instead of stopping at 401.
#![no_main]

use std::sync::{Arc, LazyLock};

use axum::{Router, body::Body, http::Request};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use roster_domain::{NewOrg, OrgKind, Roster, SystemClock};
use roster_store_sqlite::SqliteStore;
use roster_web::{AppState, app};
use tower::ServiceExt;

const PUBLIC_URL: &str = "https://roster.fuzz";

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: Router,
    org: String,
    token: String,
    _dir: tempfile::TempDir,
}

static HARNESS: LazyLock<Harness> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("roster.db")).unwrap());
    let roster = Roster::new(store, Arc::new(SystemClock));
    let (org, token) = runtime.block_on(async {
        let status = roster
            .create_org(NewOrg {
                name: "Fuzz School".into(),
                kind: OrgKind::School,
                seats: 50,
            })
            .await
            .unwrap();
        let credentials = roster.enable_scim(status.org.id, PUBLIC_URL).await.unwrap();
        (status.org.id.to_string(), credentials.token)
    });
    let router = app(AppState::new(roster, PUBLIC_URL));
    Harness {
        runtime,
        router,
        org,
        token,
        _dir: dir,
    }
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let harness = &*HARNESS;
    let text = text
        .replace("{org}", &harness.org)
        .replace("{token}", &harness.token);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let method = lines.next().unwrap_or("GET");
    let target = lines.next().unwrap_or("/");
    let mut builder = Request::builder().method(method).uri(target);
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            builder = builder.header(name.trim(), value.trim());
        }
    }
    // What the HTTP layer would refuse before the router (bad method, target or header) is
    // not this target's business.
    let Ok(request) = builder.body(Body::from(body.to_owned())) else {
        return;
    };
    let (status, answer) = harness.runtime.block_on(async {
        let response = harness.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.map(|b| b.to_bytes());
        (status, bytes)
    });
    assert!(
        !status.is_server_error(),
        "{status} for:\n{text}\nanswer: {answer:?}"
    );
});
