//! Membership cost against group size: a PATCH adding and removing one member, a read with
//! `excludedAttributes=members`, and Entra's membership check, on a group of 10 and of 100,000
//! members. The claim under test: the numbers do not grow with the group.
//!
//! `cargo bench -p roster --bench group_size` (set `GROUP_SIZES=10,1000` for a quicker run).

#![expect(
    clippy::expect_used,
    reason = "benchmark set-up: a fixture that cannot be built ends the run"
)]

#[path = "support/fixture.rs"]
mod fixture;

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use roster_domain::{
    GroupExpect, GroupWrite, MemberSource, MembershipChange, NewOrg, OrgKind, Roster, Store,
    SystemClock,
};
use roster_store_sqlite::SqliteStore;
use roster_web::{AppState, app};
use serde_json::json;
use tower::ServiceExt;

struct Fixture {
    router: Router,
    base: String,
    token: String,
    group: String,
    outsider: String,
    _dir: tempfile::TempDir,
}

fn setup(rt: &tokio::runtime::Runtime, members: usize) -> Fixture {
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
        let now = time::OffsetDateTime::now_utc();
        let mut ids = fixture::accounts(&store, org.id, members + 1).await;
        let outsider = ids.pop().expect("one account outside the group");
        let group = roster_domain::Group {
            id: roster_domain::GroupId::new_random(),
            org_id: org.id,
            display_name: "Everyone".into(),
            external_id: None,
            scim_managed: true,
            attributes: serde_json::Map::new(),
            created_at: now,
            updated_at: now,
            version: 0,
        };
        // The scope a SCIM request of this organization gets.
        let scope = roster
            .authenticate_scim(&org.id.to_string(), Some(&credentials.token))
            .await
            .expect("scope");
        let (group, _) = store
            .write_group(
                scope,
                GroupWrite {
                    group,
                    expect: GroupExpect::New,
                    members: MembershipChange {
                        source: MemberSource::Scim,
                        replace: None,
                        add: ids,
                        remove: Vec::new(),
                    },
                    change: roster_domain::Change::cli(),
                },
            )
            .await
            .expect("group");
        Fixture {
            router: app(AppState::new(roster, "http://bench")),
            base: format!("/scim/v2/{}", org.id),
            token: credentials.token,
            group: group.id.to_string(),
            outsider: outsider.to_string(),
            _dir: dir,
        }
    })
}

async fn send(
    f: &Fixture,
    method: &str,
    uri: String,
    body: Option<serde_json::Value>,
) -> StatusCode {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {}", f.token))
        .header("content-type", "application/scim+json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .expect("request");
    f.router
        .clone()
        .oneshot(request)
        .await
        .expect("response")
        .status()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let sizes: Vec<usize> = std::env::var("GROUP_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| {
            // `cargo bench` passes `--bench`; run as a test (nextest, `cargo test --benches`) the
            // bench only has to prove it works, so a small group will do.
            if std::env::args().any(|a| a == "--bench") {
                vec![10, 100_000]
            } else {
                vec![10, 1_000]
            }
        });
    let mut group = c.benchmark_group("group_size");
    for &size in &sizes {
        let f = setup(&rt, size);
        let member_patch = |op: &str| {
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                   "Operations": [{"op": op, "path": "members", "value": [{"value": f.outsider}]}]})
        };
        group.bench_with_input(
            BenchmarkId::new("patch_add_then_remove_one_member", size),
            &size,
            |b, _| {
                b.iter(|| {
                    rt.block_on(async {
                        let uri = format!("{}/Groups/{}", f.base, f.group);
                        assert_eq!(
                            send(&f, "PATCH", uri.clone(), Some(member_patch("Add"))).await,
                            StatusCode::NO_CONTENT
                        );
                        assert_eq!(
                            send(&f, "PATCH", uri, Some(member_patch("Remove"))).await,
                            StatusCode::NO_CONTENT
                        );
                    });
                });
            },
        );
        group.bench_with_input(
            BenchmarkId::new("get_excluding_members", size),
            &size,
            |b, _| {
                b.iter(|| {
                    rt.block_on(async {
                        let uri =
                            format!("{}/Groups/{}?excludedAttributes=members", f.base, f.group);
                        assert_eq!(send(&f, "GET", uri, None).await, StatusCode::OK);
                    });
                });
            },
        );
        group.bench_with_input(
            BenchmarkId::new("membership_check_query", size),
            &size,
            |b, _| {
                b.iter(|| {
                    rt.block_on(async {
                        let uri = format!(
                            "{}/Groups?filter=id+eq+%22{}%22+and+members+eq+%22{}%22&attributes=id",
                            f.base, f.group, f.outsider
                        );
                        assert_eq!(send(&f, "GET", uri, None).await, StatusCode::OK);
                    });
                });
            },
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
