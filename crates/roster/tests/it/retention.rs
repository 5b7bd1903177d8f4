//! Data retention at its exact edges, with the injected clock.

use roster_domain::{Clock, OrgKind, OrgUpdate};
use serde_json::json;
use time::Duration;

use crate::support::TestApp;

#[tokio::test]
async fn deactivated_accounts_are_purged_only_after_the_retention_period() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    app.roster
        .update_org(
            tenant.org,
            OrgUpdate {
                retention_days: Some(Some(30)),
                ..OrgUpdate::default()
            },
        )
        .await
        .unwrap();
    let ada = app.create_user(&tenant, "ada@x.org").await;
    let bob = app.create_user(&tenant, "bob@x.org").await;
    let group = app.roster.create_group(tenant.org, "Club").await.unwrap();
    app.roster
        .add_member(tenant.org, "Club", "ada@x.org")
        .await
        .unwrap();
    let deactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
    app.patch(&tenant, &format!("/Users/{ada}"), &deactivate)
        .await;
    let deactivated_at = app.clock.now();

    app.clock
        .set(deactivated_at + Duration::days(30) - Duration::seconds(1));
    let report = app.roster.run_retention(None, false).await.unwrap();
    assert!(report.purged.is_empty(), "one second early: kept");
    app.clock.set(deactivated_at + Duration::days(30));
    assert!(
        app.roster
            .run_retention(None, false)
            .await
            .unwrap()
            .purged
            .is_empty(),
        "exactly 30 days is not longer than 30 days"
    );

    app.clock
        .set(deactivated_at + Duration::days(30) + Duration::seconds(1));
    let dry = app.roster.run_retention(None, true).await.unwrap();
    assert_eq!(dry.purged.len(), 1);
    assert!(
        app.roster.account_by_user_name("ada@x.org").await.is_ok(),
        "a dry run removes nothing"
    );

    let report = app.roster.run_retention(None, false).await.unwrap();
    assert_eq!(report.purged.len(), 1);
    assert_eq!(report.purged[0].user_name, "ada@x.org");
    assert!(
        app.roster.account_by_user_name("ada@x.org").await.is_err(),
        "removed for good"
    );
    assert!(
        app.roster.account_by_user_name("bob@x.org").await.is_ok(),
        "active accounts stay"
    );
    app.scim_get(&tenant, &format!("/Users/{ada}"))
        .await
        .assert_scim_error(404, None);
    let view = app.roster.group_view(tenant.org, "Club").await.unwrap();
    assert!(view.members.is_empty(), "memberships went with the account");
    assert_eq!(view.group.id, group.id);
    let _ = bob;
}

#[tokio::test]
async fn without_a_retention_setting_nothing_is_ever_removed() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::Business, 10).await;
    let id = app.create_user(&tenant, "old@x.org").await;
    app.delete(&tenant, &format!("/Users/{id}")).await;
    app.clock.advance(Duration::days(3650));
    let report = app.roster.run_retention(None, false).await.unwrap();
    assert!(report.purged.is_empty());
    assert!(app.roster.account_by_user_name("old@x.org").await.is_ok());
}
