//! Organization › Integrations › Webhooks: adding shows the secret once, the delivery log shows
//! each attempt, Resend re-sends with the same webhook-id (audited), pause and remove work
//! behind the administrator's session, and another organization's administrator reaches
//! nothing of it.

use axum::http::StatusCode;
use roster_domain::{AuditCursor, OrgId, WebhookState};

use super::support::{first_org, other_org};
use crate::{
    support::TestApp,
    webhooks::{Receiver, policy, transport},
};

async fn audit_actions(app: &TestApp, org: OrgId) -> Vec<String> {
    let admin =
        roster_domain::Admin::trusted(roster_domain::AccountId::new_random(), org, "reader@test");
    app.roster
        .audit_page(&admin, None::<AuditCursor>, 50)
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.action.as_str().to_owned())
        .collect()
}

#[tokio::test]
async fn an_administrator_adds_resends_pauses_and_removes_an_endpoint_of_their_organization() {
    let app = TestApp::with_webhooks().await;
    let (mut admin, org) = first_org(&app, 10).await;
    let (mut stranger, _) = other_org(&app).await;
    let (rx, url) = Receiver::start().await;

    let refused = admin
        .submit(
            &app,
            "/console/webhooks",
            "/console/webhooks/add",
            &[("url", "gopher://x"), ("description", "")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.html.contains("https://"), "{}", refused.html);
    assert!(app.roster.webhooks().await.unwrap().is_empty());

    let added = admin
        .submit(
            &app,
            "/console/webhooks",
            "/console/webhooks/add",
            &[("url", &url), ("description", "content service")],
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.html);
    let shown = added
        .html
        .split("value=\"whsec_")
        .nth(1)
        .map(|rest| format!("whsec_{}", rest.split('"').next().unwrap()))
        .unwrap_or_else(|| panic!("no secret shown:\n{}", added.html));
    let hooks = app.roster.webhooks().await.unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].org_id, Some(org));
    let id = hooks[0].id.to_string();
    let list = admin.get(&app, "/console/webhooks").await;
    assert!(list.html.contains(&url));
    assert!(!list.html.contains(&shown), "the secret is shown once");

    // Another organization's administrator sees and changes nothing of it.
    let other = stranger.get(&app, &format!("/console/webhooks/{id}")).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let page = stranger.get(&app, "/console/webhooks").await;
    assert!(!page.html.contains(&url));
    let csrf = page.csrf();
    let forged = stranger
        .post(
            &app,
            &format!("/console/webhooks/{id}/pause"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.roster.webhook(&id).await.unwrap().state,
        WebhookState::Active
    );

    // A delivery, in the log; Resend sends it again with its webhook-id.
    app.roster
        .add_account(Some(org), "ada@springfield.test", None, None)
        .await
        .unwrap();
    for _ in 0..300 {
        if !rx.got().is_empty() {
            break;
        }
        app.roster
            .deliver_webhooks(transport(), policy(), "test")
            .await
            .unwrap();
        app.roster.deliveries_settled().await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let detail = admin.get(&app, &format!("/console/webhooks/{id}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.html.contains("HTTP 200"), "{}", detail.html);
    let delivery = app.roster.webhook_deliveries(&id, 10).await.unwrap()[0].clone();
    assert!(detail.html.contains(&delivery.message_id));
    let resent = admin
        .submit(
            &app,
            &format!("/console/webhooks/{id}"),
            &format!("/console/webhooks/{id}/deliveries/{}/resend", delivery.id),
            &[],
        )
        .await;
    assert_eq!(resent.status, StatusCode::SEE_OTHER, "{}", resent.html);
    let got = rx.got();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].id, got[0].id);

    let paused = admin
        .submit(
            &app,
            &format!("/console/webhooks/{id}"),
            &format!("/console/webhooks/{id}/pause"),
            &[],
        )
        .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.roster.webhook(&id).await.unwrap().state,
        WebhookState::Paused
    );
    let confirm = admin
        .get(&app, &format!("/console/webhooks/{id}/remove"))
        .await;
    assert!(confirm.html.contains("Remove the endpoint"));
    let removed = admin
        .submit(
            &app,
            &format!("/console/webhooks/{id}/remove"),
            &format!("/console/webhooks/{id}/remove"),
            &[],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!(app.roster.webhooks().await.unwrap().is_empty());
    let actions = audit_actions(&app, org).await;
    for action in [
        "webhook_added",
        "webhook_resent",
        "webhook_paused",
        "webhook_removed",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}

#[tokio::test]
async fn a_twenty_first_endpoint_is_refused_beside_the_form_and_nothing_is_added() {
    let app = TestApp::with_webhooks().await;
    let (mut admin, org) = first_org(&app, 10).await;
    let (_rx, url) = Receiver::start().await;
    for _ in 0..20 {
        app.roster.add_webhook(Some(org), &url, None).await.unwrap();
    }
    let refused = admin
        .submit(
            &app,
            "/console/webhooks",
            "/console/webhooks/add",
            &[("url", &url), ("description", "one too many")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.html);
    assert!(
        refused.html.contains(
            "<p class=\"error\" role=\"alert\">This organization already has 20 webhook \
             endpoints; remove one before adding another.</p>"
        ),
        "{}",
        refused.html
    );
    assert!(
        refused.html.contains("value=\"one too many\""),
        "what was typed stays"
    );
    assert!(!refused.html.contains("whsec_"), "no secret shown");
    assert_eq!(app.roster.webhooks().await.unwrap().len(), 20);
}
