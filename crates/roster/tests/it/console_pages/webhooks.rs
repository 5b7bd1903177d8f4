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

    let empty = admin.get(&app, "/console/webhooks").await;
    assert!(
        empty
            .html
            .contains("No endpoints yet. Add one below to receive changes as they happen."),
        "{}",
        empty.html
    );

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
    assert!(
        refused
            .html
            .contains(r#"value="gopher://x" aria-invalid="true" aria-describedby="url-error""#),
        "the refused field is marked and points at why: {}",
        refused.html
    );
    assert!(refused.html.contains(r#"id="url-error""#));
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
    assert!(
        list.html
            .contains(r#"<span class="badge on">Active</span>"#),
        "{}",
        list.html
    );
    let fresh = admin.get(&app, &format!("/console/webhooks/{id}")).await;
    assert!(
        fresh.html.contains("No deliveries yet."),
        "an endpoint nothing was sent to says so: {}",
        fresh.html
    );

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
    assert!(
        detail
            .html
            .contains(r#"<span class="badge on">Delivered</span> HTTP 200"#),
        "{}",
        detail.html
    );
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
    let log = admin.get(&app, &format!("/console/webhooks/{id}")).await;
    assert!(log.html.contains("<td>Resent</td>"), "{}", log.html);

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
    let paused = admin.get(&app, &format!("/console/webhooks/{id}")).await;
    assert!(
        paused.html.contains(
            r#"<span class="badge manual">Paused</span> Nothing is sent until you resume"#
        ),
        "{}",
        paused.html
    );
    assert!(paused.html.contains("Resume deliveries"));
    let confirm = admin
        .get(&app, &format!("/console/webhooks/{id}/remove"))
        .await;
    assert!(confirm.html.contains("Remove the endpoint"));
    assert!(confirm.html.contains(&format!(
        r#"<form method="post" action="/console/webhooks/{id}/remove">"#
    )));
    assert!(
        confirm.html.contains(&format!(
            r#"<a class="button secondary" href="/console/webhooks/{id}">Keep it</a>"#
        )),
        "keeping it goes back to the endpoint: {}",
        confirm.html
    );
    let removed = admin
        .submit(
            &app,
            &format!("/console/webhooks/{id}/remove"),
            &format!("/console/webhooks/{id}/remove"),
            &[],
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.html);
    assert!(removed.html.contains("<h1>Endpoint removed</h1>"));
    assert!(
        removed
            .html
            .contains(&format!("Roster no longer sends changes to {url} ")),
        "{}",
        removed.html
    );
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
async fn a_failing_endpoint_shows_failing_with_its_attempts_and_its_failed_deliveries() {
    let app = TestApp::with_webhooks().await;
    let (mut admin, org) = first_org(&app, 10).await;
    // A port nothing listens on: every delivery is refused.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", closed.local_addr().unwrap());
    drop(closed);
    let added = admin
        .submit(
            &app,
            "/console/webhooks",
            "/console/webhooks/add",
            &[("url", &url), ("description", "")],
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.html);
    let id = app.roster.webhooks().await.unwrap()[0].id.to_string();
    app.roster
        .add_account(Some(org), "ada@springfield.test", None, None)
        .await
        .unwrap();
    // A round may find nothing yet: on PostgreSQL the feed shows an event only once no
    // earlier transaction (another test's) can still commit before it.
    for _ in 0..300 {
        app.roster
            .deliver_webhooks(transport(), policy(), "test")
            .await
            .unwrap();
        app.roster.deliveries_settled().await;
        if app
            .roster
            .webhook(&id)
            .await
            .unwrap()
            .failing_since
            .is_some()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    let list = admin.get(&app, "/console/webhooks").await;
    assert!(
        list.html
            .contains(r#"<span class="badge off">Failing</span>"#),
        "{}",
        list.html
    );
    assert!(
        list.html.contains(" (1 failed attempt); next attempt "),
        "{}",
        list.html
    );
    let detail = admin.get(&app, &format!("/console/webhooks/{id}")).await;
    assert!(
        detail
            .html
            .contains(r#"<span class="badge off">Failed</span>"#),
        "{}",
        detail.html
    );
    assert!(!detail.html.contains("Delivered</span>"));
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
        !refused.html.contains("aria-invalid"),
        "the URL is not what is wrong"
    );
    assert!(
        refused.html.contains("value=\"one too many\""),
        "what was typed stays"
    );
    assert!(!refused.html.contains("whsec_"), "no secret shown");
    assert_eq!(app.roster.webhooks().await.unwrap().len(), 20);
}
