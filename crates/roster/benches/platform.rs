//! The platform API under a big directory (issue 15): the membership check a content service asks
//! on every page view, with 1,000,000 memberships stored, and the change feed's read rate. Also
//! prints what appending the events cost while the fixture was written (one event per membership).
//!
//! `cargo bench -p roster --bench platform` (set `PLATFORM_MEMBERSHIPS=100000` for a quicker run).

#![expect(
    clippy::expect_used,
    reason = "benchmark set-up: a fixture that cannot be built ends the run"
)]

#[path = "support/fixture.rs"]
mod fixture;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use roster_domain::{
    GroupExpect, GroupWrite, MemberSource, MembershipChange, NewOrg, OrgKind, Roster, Store,
    SystemClock,
};
use roster_store_sqlite::SqliteStore;
use roster_web::{AppState, app};
use tower::ServiceExt;

/// Members per group; the groups hold the memberships between them.
const GROUP_SIZE: usize = 10_000;

struct Fixture {
    router: Router,
    key: String,
    groups: Vec<String>,
    members: Vec<String>,
    outsider: String,
    _dir: tempfile::TempDir,
}

fn setup(rt: &tokio::runtime::Runtime, memberships: usize) -> Fixture {
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&dir.path().join("bench.db")).expect("open store"));
        let roster = Roster::new(store.clone(), Arc::new(SystemClock));
        let org = roster
            .create_org(NewOrg {
                name: "Bench".into(),
                kind: OrgKind::Business,
                seats: 200_000,
            })
            .await
            .expect("org")
            .org;
        let credentials = roster
            .enable_scim(org.id, "http://bench")
            .await
            .expect("enable");
        let scope = roster
            .authenticate_scim(&org.id.to_string(), Some(&credentials.token))
            .await
            .expect("scope");
        let members_per_group = GROUP_SIZE.min(memberships);
        let mut ids = fixture::accounts(&store, org.id, members_per_group + 1).await;
        let outsider = ids.pop().expect("one account outside every group");
        let now = time::OffsetDateTime::now_utc();
        let mut groups = Vec::new();
        let began = Instant::now();
        for g in 0..memberships.div_ceil(members_per_group) {
            let group = roster_domain::Group {
                id: roster_domain::GroupId::new_random(),
                org_id: org.id,
                display_name: format!("Section {g}"),
                external_id: None,
                scim_managed: true,
                attributes: serde_json::Map::new(),
                created_at: now,
                updated_at: now,
                version: 0,
            };
            let (group, outcome) = store
                .write_group(
                    scope,
                    GroupWrite {
                        group,
                        expect: GroupExpect::New,
                        members: MembershipChange {
                            source: MemberSource::Scim,
                            replace: None,
                            add: ids.clone(),
                            remove: Vec::new(),
                        },
                        change: roster_domain::Change::cli(),
                    },
                )
                .await
                .expect("group");
            assert_eq!(outcome.added, ids.len() as u64);
            groups.push(group.id.to_string());
        }
        let took = began.elapsed();
        let written = groups.len() * ids.len();
        eprintln!(
            "fixture: {} groups of {} members = {written} memberships and as many \
             membership.added events written in {:.1} s ({:.1} µs per membership with its event)",
            groups.len(),
            ids.len(),
            took.as_secs_f64(),
            took.as_secs_f64() * 1e6 / written.max(1) as f64
        );
        let key = roster
            .create_api_key("bench", Some(org.id))
            .await
            .expect("api key")
            .key;
        Fixture {
            router: app(AppState::new(roster, "http://bench")),
            key,
            groups,
            members: ids.iter().map(ToString::to_string).collect(),
            outsider: outsider.to_string(),
            _dir: dir,
        }
    })
}

async fn get(f: &Fixture, uri: String) -> (StatusCode, axum::body::Bytes) {
    let request = Request::builder()
        .uri(uri)
        .header("authorization", format!("Bearer {}", f.key))
        .body(Body::empty())
        .expect("request");
    let response = f.router.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, body)
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let memberships: usize = std::env::var("PLATFORM_MEMBERSHIPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            // Run as a test (nextest, `cargo test --benches`) it only has to prove it works.
            if std::env::args().any(|a| a == "--bench") {
                1_000_000
            } else {
                2_000
            }
        });
    let f = setup(&rt, memberships);
    let mut group = c.benchmark_group(format!("platform_{memberships}_memberships"));
    let mut pick = 0usize;
    group.bench_function("membership_check_member", |b| {
        b.iter(|| {
            pick = pick.wrapping_add(7919);
            let g = &f.groups[pick % f.groups.len()];
            let a = &f.members[pick % f.members.len()];
            rt.block_on(async {
                let (status, _) = get(&f, format!("/api/v1/groups/{g}/members/{a}")).await;
                assert_eq!(status, StatusCode::NO_CONTENT);
            });
        });
    });
    group.bench_function("membership_check_not_member", |b| {
        b.iter(|| {
            pick = pick.wrapping_add(7919);
            let g = &f.groups[pick % f.groups.len()];
            rt.block_on(async {
                let (status, _) =
                    get(&f, format!("/api/v1/groups/{g}/members/{}", f.outsider)).await;
                assert_eq!(status, StatusCode::NOT_FOUND);
            });
        });
    });
    // The feed from the start, a page of 1,000 events at a time, following `next`.
    let page = 1_000u64;
    group.throughput(Throughput::Elements(page));
    let mut cursor: Option<String> = None;
    group.bench_function("feed_page_of_1000_events", |b| {
        b.iter(|| {
            rt.block_on(async {
                let uri = match &cursor {
                    Some(after) => format!("/api/v1/events?after={after}&limit={page}"),
                    None => format!("/api/v1/events?limit={page}"),
                };
                let (status, body) = get(&f, uri).await;
                assert_eq!(status, StatusCode::OK);
                let body: serde_json::Value = serde_json::from_slice(&body).expect("json");
                let events = body["events"].as_array().map_or(0, Vec::len);
                // At the head, start over: every page measured is a full one.
                cursor = if events as u64 == page {
                    body["next"].as_str().map(str::to_owned)
                } else {
                    None
                };
            });
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .measurement_time(Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
