//! Organization › Integrations › API keys: a key is shown once, in the answer to *Create*, and
//! works on the platform API; the list shows name, created and last used, never the key;
//! revoking asks first, then the key stops working; both are audited; another organization's
//! administrator can neither see nor revoke the key.

use axum::http::StatusCode;
use roster_domain::{AccountId, Admin, AuditCursor};

use super::support::{first_org, other_org};
use crate::support::TestApp;

fn key_in(html: &str) -> String {
    html.split("id=\"api-key\"")
        .nth(1)
        .and_then(|rest| rest.split("value=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_key_is_created_shown_once_listed_revoked_after_confirmation_and_audited() {
    let app = TestApp::new().await;
    let (mut browser, org) = first_org(&app, 10).await;
    let empty = browser.get(&app, "/console/api-keys").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.html.contains("No API keys yet."), "{}", empty.html);
    assert!(
        empty
            .html
            .contains("aria-current=\"page\">Integrations › API keys")
    );

    let created = browser
        .submit(
            &app,
            "/console/api-keys",
            "/console/api-keys",
            &[("name", "Content service")],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.html);
    assert_eq!(created.header("cache-control"), "no-store");
    super::pages::assert_security_headers(&created);
    let key = key_in(&created.html);
    assert!(key.starts_with("roster_key_"), "{key}");
    assert!(created.html.contains("shown only this once"));
    assert!(created.html.contains("data-copy=\"api-key\""));

    // The key works, for this organization only.
    let feed = app.get("/api/v1/events", Some(&key)).await;
    assert_eq!(feed.status, StatusCode::OK, "{:#}", feed.body);
    assert!(
        feed.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["org"] == org.to_string())
    );

    let listed = browser.get(&app, "/console/api-keys").await;
    assert!(listed.html.contains("Content service"));
    assert!(
        listed.html.contains("2026-01-05 09:00 UTC"),
        "{}",
        listed.html
    );
    assert!(!listed.html.contains(&key), "the key is shown again");
    let revoke_path = listed
        .html
        .split("href=\"/console/api-keys/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|rest| format!("/console/api-keys/{rest}"))
        .unwrap();

    // Another organization's administrator sees nothing of it and cannot revoke it.
    let (mut intruder, _) = other_org(&app).await;
    let theirs = intruder.get(&app, "/console/api-keys").await;
    assert!(!theirs.html.contains("Content service"));
    assert_eq!(
        intruder.get(&app, &revoke_path).await.status,
        StatusCode::NOT_FOUND
    );
    let refused = intruder
        .submit(&app, "/console/api-keys", &revoke_path, &[])
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/events", Some(&key)).await.status,
        StatusCode::OK
    );

    let confirm = browser.get(&app, &revoke_path).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(
        confirm
            .html
            .contains("Revoke the API key “Content service”?")
    );
    let revoked = browser.submit(&app, &revoke_path, &revoke_path, &[]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert_eq!(revoked.location(), "/console/api-keys");
    assert_eq!(
        app.get("/api/v1/events", Some(&key)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let after = browser.get(&app, "/console/api-keys").await;
    assert!(
        after.html.contains("Revoked 2026-01-05 09:00 UTC"),
        "{}",
        after.html
    );

    let audit = browser.get(&app, "/console/audit").await;
    assert!(audit.html.contains("API key created"), "{}", audit.html);
    assert!(audit.html.contains("API key revoked"));

    let reader = Admin::trusted(AccountId::new_random(), org, "reader@test");
    let audited: Vec<(String, Option<String>)> = app
        .roster
        .audit_page(&reader, None::<AuditCursor>, 50)
        .await
        .unwrap()
        .entries
        .into_iter()
        .filter(|e| e.action.as_str().starts_with("api_key"))
        .map(|e| (e.action.as_str().to_owned(), e.detail))
        .collect();
    assert_eq!(
        audited,
        [
            (
                "api_key_revoked".to_owned(),
                Some("Content service".to_owned())
            ),
            (
                "api_key_created".to_owned(),
                Some("Content service".to_owned())
            ),
        ]
    );
}

#[tokio::test]
async fn a_key_without_a_name_is_refused_and_none_is_created() {
    let app = TestApp::new().await;
    let (mut browser, org) = first_org(&app, 10).await;
    let refused = browser
        .submit(
            &app,
            "/console/api-keys",
            "/console/api-keys",
            &[("name", "  ")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused
            .html
            .contains("a key&#39;s name must be 1 to 100 printable characters"),
        "{}",
        refused.html
    );
    let keys = app.roster.api_keys().await.unwrap();
    assert!(keys.iter().all(|k| k.org_id != Some(org)));
}

#[tokio::test]
async fn a_hundred_and_first_key_is_refused_beside_the_form_and_nothing_is_created() {
    let app = TestApp::new().await;
    let (mut browser, org) = first_org(&app, 10).await;
    for i in 0..100 {
        app.roster
            .create_api_key(&format!("service {i}"), Some(org))
            .await
            .unwrap();
    }
    let refused = browser
        .submit(
            &app,
            "/console/api-keys",
            "/console/api-keys",
            &[("name", "One too many")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.html);
    assert!(
        refused.html.contains(
            "<p class=\"error\" role=\"alert\">This organization already has 100 API keys \
             that are not revoked; revoke one before creating another.</p>"
        ),
        "{}",
        refused.html
    );
    assert!(refused.html.contains("value=\"One too many\""));
    assert!(!refused.html.contains("roster_key_"), "no key shown");
    let keys = app.roster.api_keys().await.unwrap();
    assert_eq!(keys.len(), 100);
    assert!(keys.iter().all(|k| k.name != "One too many"));
}
