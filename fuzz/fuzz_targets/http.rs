//! The whole HTTP request path: arbitrary method, path and query, headers and body through the
//! real router, in process, on a SQLite store in a temporary directory. No input may panic or
//! get a 5xx. The input format and the check are `roster_web::fuzzing`'s, which the integration
//! suite's `hostile_http` test also runs on random inputs every CI run.
#![no_main]

use std::sync::{Arc, LazyLock};

use axum::Router;
use libfuzzer_sys::fuzz_target;
use roster_domain::{NewOrg, OrgKind, Roster, SystemClock};
use roster_store_sqlite::SqliteStore;
use roster_web::{AppState, app, fuzzing};

const PUBLIC_URL: &str = "https://roster.fuzz";

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: Router,
    tenant: fuzzing::Tenant,
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
    let tenant = runtime.block_on(async {
        let status = roster
            .create_org(NewOrg {
                name: "Fuzz School".into(),
                kind: OrgKind::School,
                seats: 50,
            })
            .await
            .unwrap();
        let credentials = roster.enable_scim(status.org.id, PUBLIC_URL).await.unwrap();
        fuzzing::Tenant {
            org: status.org.id.to_string(),
            token: credentials.token,
        }
    });
    let router = app(AppState::new(roster, PUBLIC_URL));
    Harness {
        runtime,
        router,
        tenant,
        _dir: dir,
    }
});

fuzz_target!(|data: &[u8]| {
    let harness = &*HARNESS;
    if let Err(failure) = harness
        .runtime
        .block_on(fuzzing::check(&harness.router, data, &harness.tenant))
    {
        panic!("{failure}");
    }
});
