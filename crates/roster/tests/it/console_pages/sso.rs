//! Organization › Integrations › Microsoft SSO, the sign-in log, and Microsoft sign-in on the
//! console's sign-in page: configured through the CLI's domain path, audited, the secret never
//! shown; refused fields marked with nothing saved; forged forms and other organizations
//! change nothing.

use axum::http::StatusCode;
use roster_domain::{AuditCursor, ClientSecret, OrgId, SsoIdentity, SsoOutcome, SsoSettings};

use super::{
    browser::Browser,
    support::{first_org, other_org},
};
use crate::support::TestApp;

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const SECRET: &str = "Qx8~never-shown-again.secret";

async fn app() -> TestApp {
    // Nothing listens on port 9: these tests never reach a provider.
    TestApp::with_sso("http://127.0.0.1:9").await
}

fn microsoft_form<'a>(
    tenant: &'a str,
    client: &'a str,
    secret: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("provider", "microsoft"),
        ("tenant_id", tenant),
        ("issuer", ""),
        ("client_id", client),
        ("client_secret", secret),
    ]
}

async fn configured(app: &TestApp, org: OrgId) -> Option<roster_domain::SsoView> {
    app.roster.sso(org, "https://roster.test").await.unwrap()
}

async fn audit_actions(app: &TestApp, org: OrgId) -> Vec<(String, Option<String>)> {
    let admin =
        roster_domain::Admin::trusted(roster_domain::AccountId::new_random(), org, "reader@test");
    app.roster
        .audit_page(&admin, None::<AuditCursor>, 50)
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|e| (e.action.as_str().to_owned(), e.actor_email))
        .collect()
}

#[tokio::test]
async fn configuring_microsoft_sso_shows_the_links_never_the_secret_and_is_audited() {
    let app = app().await;
    let (mut browser, org) = first_org(&app, 10).await;
    let before = browser.get(&app, "/console/sso").await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(before.html.contains("Not configured"), "{}", before.html);
    assert!(
        before
            .html
            .contains("value=\"https://roster.test/sso/callback\"")
    );
    assert!(
        before
            .html
            .contains(&format!("value=\"https://roster.test/sso/{org}\""))
    );
    assert!(before.html.contains(&format!(
        "value=\"https://roster.test/console/sign-in?org={org}\""
    )));
    assert!(
        before
            .html
            .contains("map <code>objectId</code> → <code>externalId</code>")
    );

    let page = browser
        .submit(
            &app,
            "/console/sso",
            "/console/sso",
            &microsoft_form(TENANT, "roster-app", SECRET),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("Sign-in is configured."));
    assert!(page.html.contains(TENANT));
    assert!(page.html.contains("roster-app"));
    assert!(!page.html.contains(SECRET), "the secret is shown");
    assert_eq!(page.field_value("client_secret").as_deref(), Some(""));

    let view = configured(&app, org).await.unwrap();
    assert_eq!(view.tenant_id.as_deref(), Some(TENANT));
    assert_eq!(view.client_id, "roster-app");
    let client = app.roster.sso_client(org).await.unwrap();
    assert_eq!(client.client_secret.expose(), SECRET);
    assert_eq!(
        audit_actions(&app, org).await.first(),
        Some(&(
            "sso_configured".to_owned(),
            Some("principal@springfield.test".to_owned())
        ))
    );

    let again = browser.get(&app, "/console/sso").await;
    assert!(again.html.contains("Configured"));
    assert!(!again.html.contains(SECRET));
    assert!(again.html.contains("Client secret</dt><dd>Set."));
}

#[tokio::test]
async fn refused_fields_are_marked_beside_each_field_and_nothing_is_saved() {
    let app = app().await;
    let (mut browser, org) = first_org(&app, 10).await;
    let page = browser
        .submit(
            &app,
            "/console/sso",
            "/console/sso",
            &microsoft_form("contoso.onmicrosoft.com", "roster-app", ""),
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.html.contains("Nothing was saved"));
    assert!(page.html.contains(
        "<p class=\"field-error\" id=\"tenant-id-error\">The tenant id must be the Directory (tenant) ID, a GUID"
    ), "{}", page.html);
    assert!(page.html.contains(
        "<p class=\"field-error\" id=\"client-secret-error\">The client secret is required.</p>"
    ));
    assert!(!page.html.contains("id=\"client-id-error\""));
    // What was typed stays, so only the wrong field needs typing again.
    assert_eq!(
        page.field_value("tenant_id").as_deref(),
        Some("contoso.onmicrosoft.com")
    );
    assert_eq!(page.field_value("client_id").as_deref(), Some("roster-app"));

    let other = browser
        .submit(
            &app,
            "/console/sso",
            "/console/sso",
            &[
                ("provider", "oidc"),
                ("tenant_id", ""),
                ("issuer", "http://idp.example.com"),
                ("client_id", ""),
                ("client_secret", "s"),
            ],
        )
        .await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
    assert!(other.html.contains(
        "<p class=\"field-error\" id=\"issuer-error\">The issuer URL must start with https://"
    ));
    assert!(other.html.contains(
        "<p class=\"field-error\" id=\"client-id-error\">The client id is required.</p>"
    ));
    assert!(other.html.contains("value=\"oidc\" checked"));

    assert!(configured(&app, org).await.is_none());
    assert!(
        !audit_actions(&app, org)
            .await
            .iter()
            .any(|(a, _)| a == "sso_configured")
    );
}

#[tokio::test]
async fn another_openid_provider_is_configured_by_its_issuer() {
    let app = app().await;
    let (mut browser, org) = first_org(&app, 10).await;
    let page = browser
        .submit(
            &app,
            "/console/sso",
            "/console/sso",
            &[
                ("provider", "oidc"),
                ("tenant_id", ""),
                ("issuer", "https://idp.example.com/realms/school"),
                ("client_id", "roster"),
                ("client_secret", SECRET),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("Another OpenID Connect provider"));
    let view = configured(&app, org).await.unwrap();
    assert_eq!(view.issuer, "https://idp.example.com/realms/school");
    assert_eq!(view.tenant_id, None);
}

#[tokio::test]
async fn forged_forms_and_visitors_without_a_session_configure_nothing() {
    let app = app().await;
    let (mut browser, org) = first_org(&app, 10).await;
    let mut fields = microsoft_form(TENANT, "roster-app", SECRET);
    let page = browser.post(&app, "/console/sso", &fields).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.html.contains("Nothing was changed"));
    fields.push(("csrf", "forged"));
    let page = browser.post(&app, "/console/sso", &fields).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    // Without a session: to the sign-in page, for the form and the page alike.
    let mut stranger = Browser::new();
    let page = stranger.post(&app, "/console/sso", &fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/console/sign-in");
    let page = stranger.get(&app, "/console/sso").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/console/sign-in");
    assert!(configured(&app, org).await.is_none());
}

#[tokio::test]
async fn an_administrator_configures_and_disables_only_their_own_organization() {
    let app = app().await;
    let (mut springfield, springfield_org) = first_org(&app, 10).await;
    let (mut shelbyville, shelbyville_org) = other_org(&app).await;
    let page = shelbyville
        .submit(
            &app,
            "/console/sso",
            "/console/sso",
            &microsoft_form(TENANT, "shelby-app", SECRET),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(configured(&app, springfield_org).await.is_none());
    assert_eq!(
        configured(&app, shelbyville_org).await.unwrap().client_id,
        "shelby-app"
    );
    let theirs = springfield.get(&app, "/console/sso").await;
    assert!(!theirs.html.contains("shelby-app"));
    assert!(theirs.html.contains("Not configured"));

    // Springfield's disable does not touch Shelbyville's configuration.
    let page = springfield
        .submit(&app, "/console/sso", "/console/sso/disable", &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(configured(&app, shelbyville_org).await.is_some());

    let confirm = shelbyville.get(&app, "/console/sso/disable").await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.html.contains("Disable sign-in with Microsoft?"));
    let page = shelbyville
        .submit(&app, "/console/sso/disable", "/console/sso/disable", &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/console/sso");
    assert!(configured(&app, shelbyville_org).await.is_none());
    let actions: Vec<String> = audit_actions(&app, shelbyville_org)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(actions[..2], ["sso_disabled", "sso_configured"]);
    assert!(
        !audit_actions(&app, springfield_org)
            .await
            .iter()
            .any(|(a, _)| a.starts_with("sso_")),
        "nothing to disable, nothing recorded"
    );
}

#[tokio::test]
async fn the_scim_page_warns_until_sso_is_configured() {
    let app = app().await;
    let (mut browser, _org) = first_org(&app, 10).await;
    let page = browser.get(&app, "/console/scim").await;
    assert!(
        page.html
            .contains("<strong>Sign-in with Microsoft is not configured.</strong>")
    );
    assert!(
        page.html
            .contains("<a href=\"/console/sso\">Microsoft SSO</a> first")
    );
    browser
        .submit(
            &app,
            "/console/sso",
            "/console/sso",
            &microsoft_form(TENANT, "roster-app", SECRET),
        )
        .await;
    let page = browser.get(&app, "/console/scim").await;
    assert!(!page.html.contains("is not configured"));
    assert!(
        page.html
            .contains("Sign-in with Microsoft: <span class=\"badge on\">Configured</span>")
    );
}

#[tokio::test]
async fn the_console_sign_in_link_shows_microsoft_only_for_an_organization_with_sso() {
    let app = app().await;
    let (mut admin, org) = first_org(&app, 10).await;
    admin
        .submit(
            &app,
            "/console/sso",
            "/console/sso",
            &microsoft_form(TENANT, "roster-app", SECRET),
        )
        .await;
    let (_, without_sso) = other_org(&app).await;

    let mut visitor = Browser::new();
    let page = visitor
        .get(&app, &format!("/console/sign-in?org={org}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains(&format!(
        "<a class=\"button\" href=\"/sso/{org}\">Sign in with Microsoft</a>"
    )));
    assert!(
        page.html.contains("name=\"password\""),
        "the password form stays"
    );

    // An organization without sign-in, one that does not exist and nonsense all get the same
    // page as no organization at all: it tells nothing about which organizations exist.
    let plain = visitor.get(&app, "/console/sign-in").await.html;
    assert!(!plain.contains("/sso/"));
    assert!(plain.contains("use your organization's console sign-in link"));
    for query in [
        without_sso.to_string(),
        OrgId::new_random().to_string(),
        "not-an-id".to_owned(),
    ] {
        let page = visitor
            .get(&app, &format!("/console/sign-in?org={query}"))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.html, plain, "{query}");
    }
}

#[tokio::test]
async fn the_sign_in_log_pages_newest_first_and_a_person_s_page_shows_their_sign_ins() {
    let app = app().await;
    let (mut browser, org) = first_org(&app, 10).await;
    app.roster
        .configure_sso(
            org,
            SsoSettings::Microsoft {
                tenant_id: TENANT.into(),
                client_id: "roster-app".into(),
                client_secret: ClientSecret::new(SECRET.into()),
            },
            "https://roster.test",
        )
        .await
        .unwrap();
    let empty = browser.get(&app, "/console/sign-ins").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.html.contains("Nobody has signed in"));

    let credentials = app
        .roster
        .enable_scim(org, crate::support::PUBLIC_URL)
        .await
        .unwrap();
    let tenant = crate::support::Tenant {
        org,
        token: credentials.token,
        base: format!("/scim/v2/{org}"),
    };
    let ada = app.create_user(&tenant, "ada@springfield.test").await;
    let client = app.roster.sso_client(org).await.unwrap();
    let who = |oid: &str, upn: &str| SsoIdentity {
        issuer: format!("http://127.0.0.1:9/{TENANT}/v2.0"),
        subject: format!("sub-{oid}"),
        tid: Some(TENANT.into()),
        oid: Some(oid.into()),
        preferred_username: Some(upn.into()),
        name: None,
    };
    // Nobody provisioned: each refused.
    for i in 0..55 {
        let outcome = app
            .roster
            .finish_sso(
                &client,
                &who(&format!("oid-{i}"), &format!("p{i}@springfield.test")),
            )
            .await
            .unwrap();
        assert!(matches!(outcome, SsoOutcome::Refused(_)));
        app.clock.advance(time::Duration::seconds(1));
    }
    let first = browser.get(&app, "/console/sign-ins").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.html.matches("<tr class=\"refused\">").count(), 50);
    assert!(first.html.contains("p54@springfield.test"), "newest first");
    assert!(!first.html.contains("p4@springfield.test"));
    assert!(first.html.contains("Refused: not provisioned"));
    assert!(first.html.contains(&format!(
        "tenant</span> <span class=\"mono\">{TENANT}</span>"
    )));
    let older = first
        .html
        .split("href=\"/console/sign-ins?before=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let second = browser
        .get(&app, &format!("/console/sign-ins?before={older}"))
        .await;
    assert_eq!(second.html.matches("<tr class=\"refused\">").count(), 5);
    assert!(second.html.contains("p0@springfield.test"));
    assert!(!second.html.contains("Older sign-ins"));
    let bad = browser.get(&app, "/console/sign-ins?before=nonsense").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // Ada's own page lists her sign-ins only; the log links to her page.
    let page = browser.get(&app, &format!("/console/users/{ada}")).await;
    assert!(
        page.html
            .contains("No sign-in with the organization's provider")
    );
    let outcome = app
        .roster
        .finish_sso(&client, &who("oid-ada", "Ada@Springfield.test"))
        .await
        .unwrap();
    assert!(matches!(outcome, SsoOutcome::SignedIn { .. }));
    let page = browser.get(&app, &format!("/console/users/{ada}")).await;
    assert_eq!(
        page.html
            .matches("<span class=\"badge on\">Signed in</span>")
            .count(),
        1
    );
    assert!(
        page.html
            .contains("Matched the SCIM-managed account whose userName is Ada@Springfield.test")
    );
    assert!(!page.html.contains("p54@springfield.test"));
    let log = browser.get(&app, "/console/sign-ins").await;
    assert!(log.html.contains(&format!(
        "<a href=\"/console/users/{ada}\">Ada@Springfield.test</a>"
    )));
}

#[tokio::test]
async fn another_organization_s_sign_in_log_shows_none_of_these_sign_ins() {
    let app = app().await;
    let (_, org) = first_org(&app, 10).await;
    let (mut other, _) = other_org(&app).await;
    app.roster
        .configure_sso(
            org,
            SsoSettings::Microsoft {
                tenant_id: TENANT.into(),
                client_id: "roster-app".into(),
                client_secret: ClientSecret::new(SECRET.into()),
            },
            "https://roster.test",
        )
        .await
        .unwrap();
    let client = app.roster.sso_client(org).await.unwrap();
    let someone = SsoIdentity {
        issuer: format!("http://127.0.0.1:9/{TENANT}/v2.0"),
        subject: "sub-x".into(),
        tid: Some(TENANT.into()),
        oid: Some("oid-x".into()),
        preferred_username: Some("x@springfield.test".into()),
        name: None,
    };
    app.roster.finish_sso(&client, &someone).await.unwrap();
    let theirs = other.get(&app, "/console/sign-ins").await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(theirs.html.contains("Nobody has signed in"));
    assert!(!theirs.html.contains("x@springfield.test"));
}
