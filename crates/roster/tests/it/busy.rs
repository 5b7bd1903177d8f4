//! Large requests do their CPU work off the async workers: while maximum-size PATCHes run,
//! `/healthz` and another organization's reads answer promptly.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use roster_domain::OrgKind;
use serde_json::{Value, json};

use crate::support::TestApp;

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// 20,000 member values (unknown ids, which are skipped but parsed and applied all the same):
/// about as many as a 1 MiB body holds.
fn members_patch() -> Value {
    let members: Vec<Value> = (0..20_000)
        .map(|i| json!({"value": format!("00000000-0000-4000-8000-{i:012}")}))
        .collect();
    json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": members}]})
}

/// The most `emails` a user may have (1,000), each a long address.
fn emails_patch(round: usize) -> Value {
    let emails: Vec<Value> = (0..1_000)
        .map(|i| json!({"value": format!("{}-{round}-{i}@example.org", "x".repeat(200)), "type": "work"}))
        .collect();
    json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "emails", "value": emails}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_another_organizations_get_answer_promptly_while_maximum_size_patches_run() {
    let app = Arc::new(TestApp::new().await);
    let a = Arc::new(app.tenant(OrgKind::School, 10).await);
    let b = app.tenant(OrgKind::School, 10).await;
    let user_a = app.create_user(&a, "ada@example.org").await;
    let user_b = app.create_user(&b, "bob@example.org").await;
    let group = app
        .post(&a, "/Groups", &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Everyone"}))
        .await;
    let group = group.body["id"].as_str().unwrap().to_owned();
    let members = Arc::new(members_patch());
    assert!(members.to_string().len() < roster_web::MAX_BODY_BYTES);

    let mut large = tokio::task::JoinSet::new();
    let started = Instant::now();
    for round in 0..6 {
        let (app, a) = (Arc::clone(&app), Arc::clone(&a));
        let (members, group, user) = (Arc::clone(&members), group.clone(), user_a.clone());
        large.spawn(async move {
            let response = if round % 3 == 2 {
                app.patch(&a, &format!("/Users/{user}"), &emails_patch(round))
                    .await
            } else {
                app.patch(&a, &format!("/Groups/{group}"), &members).await
            };
            assert!(response.status.is_success(), "{:#}", response.body);
            started.elapsed()
        });
    }
    let mut slowest = Duration::ZERO;
    let mut samples = 0;
    let mut finished = Vec::new();
    while !large.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the PATCHes never ended"
        );
        let asked = Instant::now();
        let health = app.get("/healthz", None).await;
        assert_eq!(health.status, 200);
        let user = app.scim_get(&b, &format!("/Users/{user_b}")).await;
        assert_eq!(user.status, 200, "{:#}", user.body);
        slowest = slowest.max(asked.elapsed());
        samples += 1;
        while let Some(done) = large.try_join_next() {
            finished.push(done.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    eprintln!(
        "6 maximum-size PATCHes done after {:?}; {samples} rounds of /healthz and B's GET \
         meanwhile, the slowest in {slowest:?}",
        finished.iter().max()
    );
    assert!(samples >= 3, "the reads ran while the PATCHes did");
    assert!(
        slowest < Duration::from_secs(1),
        "a read waited {slowest:?} behind other requests' work"
    );
}
