//! `GET /sso/{org}` under a flood (per address, per organization, a 429 page with
//! `Retry-After`, and no pending sign-in stored for a refused start) and the sign-out that
//! offers the provider's, against a provider the test runs that publishes discovery only.

use std::net::SocketAddr;

use axum::{
    Json, Router,
    body::Body,
    extract::{ConnectInfo, State},
    http::{Request, StatusCode, header},
    routing::get,
};
use http_body_util::BodyExt;
use roster_domain::{ClientSecret, OrgId, OrgKind, SsoIdentity, SsoOutcome, SsoSettings};
use roster_web::SsoStartRates;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::{
    console_pages::browser::Browser,
    support::{PUBLIC_URL, Tenant, TestApp},
};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

#[derive(Clone)]
struct Op {
    base: String,
    end_session: bool,
}

async fn discovery(State(op): State<Op>) -> Json<Value> {
    let mut doc = json!({
        "issuer": format!("{}/{TENANT}/v2.0", op.base),
        "authorization_endpoint": format!("{}/{TENANT}/oauth2/v2.0/authorize", op.base),
        "token_endpoint": format!("{}/{TENANT}/oauth2/v2.0/token", op.base),
        "jwks_uri": format!("{}/{TENANT}/discovery/v2.0/keys", op.base),
        "response_types_supported": ["code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    if op.end_session {
        doc["end_session_endpoint"] = json!(format!("{}/{TENANT}/oauth2/v2.0/logout", op.base));
    }
    Json(doc)
}

async fn start_op(end_session: bool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route(
            "/{tid}/v2.0/.well-known/openid-configuration",
            get(discovery),
        )
        .route(
            "/{tid}/discovery/v2.0/keys",
            get(|| async { Json(json!({ "keys": [] })) }),
        )
        .with_state(Op {
            base: base.clone(),
            end_session,
        });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

async fn with_sso(app: &TestApp) -> Tenant {
    let tenant = app.tenant(OrgKind::School, 10).await;
    app.roster
        .configure_sso(
            tenant.org,
            SsoSettings::Microsoft {
                tenant_id: TENANT.into(),
                client_id: "roster-app".into(),
                client_secret: ClientSecret::new("client-secret".into()),
            },
            PUBLIC_URL,
        )
        .await
        .unwrap();
    tenant
}

struct Answer {
    status: StatusCode,
    retry_after: Option<String>,
    body: String,
}

async fn start(app: &TestApp, org: &str, from: &str) -> Answer {
    let mut request = Request::get(format!("/sso/{org}"))
        .body(Body::empty())
        .unwrap();
    let peer: SocketAddr = from.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        retry_after,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

/// Pending sign-ins stored: they all expire after ten minutes, and trimming counts them.
async fn pending_sign_ins(app: &TestApp) -> u64 {
    app.clock.advance(time::Duration::minutes(11));
    app.roster.trim_sso_flows().await.unwrap()
}

#[tokio::test]
async fn starts_beyond_the_address_or_organization_limit_get_a_429_and_store_nothing() {
    let op = start_op(false).await;
    let app = TestApp::with_sso_start_rates(
        &op,
        SsoStartRates {
            address_burst: 3,
            address_per_minute: 3,
            org_burst: 5,
            org_per_minute: 5,
            max_addresses: 1_000,
        },
    )
    .await;
    let org = with_sso(&app).await.org.to_string();
    for _ in 0..3 {
        let answer = start(&app, &org, "198.51.100.7:40000").await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    }
    let refused = start(&app, &org, "198.51.100.7:40001").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    // Three a minute: the next one in twenty seconds.
    assert_eq!(refused.retry_after.as_deref(), Some("20"));
    assert!(
        refused
            .body
            .contains("Too many sign-ins were started from your network"),
        "{}",
        refused.body
    );
    // An IPv6 host is its /64, whichever address it uses.
    for last in 1..=2 {
        let from = format!("[2001:db8:1:2::{last}]:40000");
        assert_eq!(start(&app, &org, &from).await.status, StatusCode::SEE_OTHER);
    }
    // The organization's five are used up, from any address.
    let refused = start(&app, &org, "203.0.113.9:40000").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused
            .body
            .contains("Too many sign-ins to your organization")
    );
    assert_eq!(refused.retry_after.as_deref(), Some("12"));
    // Made-up organizations are never counted against anyone but their sender's address.
    let unknown = start(&app, &OrgId::new_random().to_string(), "203.0.113.10:1").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    assert_eq!(
        pending_sign_ins(&app).await,
        5,
        "refused starts stored nothing"
    );
}

#[tokio::test]
async fn the_default_lets_a_browser_test_start_thirty_sign_ins_a_minute_from_one_address() {
    let op = start_op(false).await;
    let app = TestApp::with_sso(&op).await;
    let org = with_sso(&app).await.org.to_string();
    for _ in 0..30 {
        let answer = start(&app, &org, "127.0.0.1:5000").await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    }
}

/// A platform session for a provisioned person of `org`, as the callback would start it.
async fn session_of_someone(app: &TestApp, tenant: &Tenant, issuer: &str) -> String {
    app.create_user(tenant, "ada@contoso.com").await;
    let client = app.roster.sso_client(tenant.org).await.unwrap();
    let identity = SsoIdentity {
        issuer: issuer.to_owned(),
        subject: "sub-ada".into(),
        tid: Some(TENANT.into()),
        oid: Some("oid-ada".into()),
        preferred_username: Some("ada@contoso.com".into()),
        name: None,
    };
    match app.roster.finish_sso(&client, &identity).await.unwrap() {
        SsoOutcome::SignedIn { session, .. } => session.as_str().to_owned(),
        SsoOutcome::Refused(verdict) => panic!("refused: {verdict:?}"),
    }
}

async fn sign_out(app: &TestApp, op: &str) -> (Browser, String) {
    let tenant = with_sso(app).await;
    let org = tenant.org;
    let session = session_of_someone(app, &tenant, &format!("{op}/{TENANT}/v2.0")).await;
    let mut browser = Browser::new();
    browser.set_cookie(app.console.cookies.session_name(), &session);
    let home = browser.get(app, "/home").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.html);
    let out = browser
        .post(app, "/sso/sign-out", &[("csrf", &home.csrf())])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), format!("/sso/signed-out?org={org}"));
    assert_eq!(browser.cookie(app.console.cookies.session_name()), None);
    let page = browser.get(app, out.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("You are signed out of Roster"));
    assert!(
        page.html
            .contains(&format!("href=\"/sso/{org}\">Sign in again"))
    );
    let home = browser.get(app, "/home").await;
    assert_eq!(home.status, StatusCode::UNAUTHORIZED, "the session ended");
    (browser, page.html)
}

#[tokio::test]
async fn signing_out_offers_the_provider_s_sign_out_that_comes_back_to_roster() {
    let op = start_op(true).await;
    let app = TestApp::with_sso(&op).await;
    let (_, page) = sign_out(&app, &op).await;
    let link = format!(
        "href=\"{op}/{TENANT}/oauth2/v2.0/logout?client_id=roster-app&#38;post_logout_redirect_uri=https%3A%2F%2Froster.test%2Fsso%2Fsigned-out\""
    );
    assert!(page.contains(&link), "{page}");
    assert!(page.contains("Sign out of Microsoft too"));

    // Where the provider sends the browser back: a plain signed-out page.
    let mut browser = Browser::new();
    let back = browser.get(&app, "/sso/signed-out").await;
    assert_eq!(back.status, StatusCode::OK);
    assert!(back.html.contains("You are signed out of Roster"));
    assert!(!back.html.contains("Sign out of Microsoft"));
}

#[tokio::test]
async fn a_provider_without_an_end_session_endpoint_gets_no_sign_out_link() {
    let op = start_op(false).await;
    let app = TestApp::with_sso(&op).await;
    let (_, page) = sign_out(&app, &op).await;
    assert!(!page.contains("Sign out of Microsoft"), "{page}");
    assert!(!page.contains("logout"));
}
