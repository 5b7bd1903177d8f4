//! The whole sign-in flow in process, against an OpenID provider the test runs on 127.0.0.1
//! that issues Entra-shaped ID tokens (issuer `<base>/{tid}/v2.0`, `tid`, `oid`,
//! `preferred_username`) signed with a key the test holds: the redirect with PKCE, `state` and
//! `nonce`; the callback; the session cookie; `/api/v1/me`; deactivation ending the session;
//! refusals with their pages; a replayed `state`; rotated keys.

use std::sync::{Arc, Mutex};

use axum::{
    Json, Router,
    body::Body,
    extract::State,
    http::{Request, StatusCode, header},
    routing::{get, post},
};
use chrono::{Duration, Utc};
use http_body_util::BodyExt;
use openidconnect::{
    Audience, EndUserUsername, IdTokenClaims, IssuerUrl, JsonWebKeyId, Nonce, PrivateSigningKey,
    StandardClaims, SubjectIdentifier,
    core::{CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey},
};
use roster_domain::{ClientSecret, OrgKind, SsoSettings};
use roster_oidc::{EntraClaims, EntraIdToken};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{PUBLIC_URL, TestApp};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT_ID: &str = "roster-app";

/// Who the provider says signs in next, and with which key it signs.
#[derive(Clone)]
struct Person {
    oid: String,
    upn: String,
    tid: String,
}

struct Op {
    base: String,
    signing: Mutex<CoreRsaPrivateSigningKey>,
    published: Mutex<Vec<CoreRsaPrivateSigningKey>>,
    next: Mutex<Option<(Person, String)>>,
}

fn key(file: &str, kid: &str) -> CoreRsaPrivateSigningKey {
    let pem = std::fs::read_to_string(format!(
        "{}/../oidc/tests/keys/{file}.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    CoreRsaPrivateSigningKey::from_pem(&pem, Some(JsonWebKeyId::new(kid.into()))).unwrap()
}

async fn discovery(State(op): State<Arc<Op>>) -> Json<Value> {
    let issuer = format!("{}/{TENANT}/v2.0", op.base);
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{}/{TENANT}/oauth2/v2.0/authorize", op.base),
        "token_endpoint": format!("{}/{TENANT}/oauth2/v2.0/token", op.base),
        "jwks_uri": format!("{}/{TENANT}/discovery/v2.0/keys", op.base),
        "response_types_supported": ["code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn keys(State(op): State<Arc<Op>>) -> Json<Value> {
    let published = op.published.lock().unwrap();
    let set = CoreJsonWebKeySet::new(published.iter().map(|k| k.as_verification_key()).collect());
    Json(serde_json::to_value(set).unwrap())
}

async fn token(State(op): State<Arc<Op>>) -> Json<Value> {
    let (person, nonce) = op.next.lock().unwrap().clone().unwrap();
    let now = Utc::now();
    let claims = IdTokenClaims::new(
        IssuerUrl::new(format!("{}/{}/v2.0", op.base, person.tid)).unwrap(),
        vec![Audience::new(CLIENT_ID.into())],
        now + Duration::minutes(60),
        now,
        StandardClaims::new(SubjectIdentifier::new(format!("sub-{}", person.oid)))
            .set_preferred_username(Some(EndUserUsername::new(person.upn.clone()))),
        EntraClaims {
            tid: Some(person.tid.clone()),
            oid: Some(person.oid.clone()),
            idp: None,
        },
    )
    .set_nonce(Some(Nonce::new(nonce)));
    let signing = op.signing.lock().unwrap();
    let id_token = EntraIdToken::new(
        claims,
        &*signing,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        None,
        None,
    )
    .unwrap();
    Json(json!({
        "access_token": "at",
        "token_type": "Bearer",
        "expires_in": 3600,
        "id_token": id_token.to_string(),
    }))
}

async fn start_op() -> Arc<Op> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let k1 = key("signing", "k1");
    let op = Arc::new(Op {
        base,
        signing: Mutex::new(key("signing", "k1")),
        published: Mutex::new(vec![k1]),
        next: Mutex::new(None),
    });
    let app = Router::new()
        .route(
            "/{tid}/v2.0/.well-known/openid-configuration",
            get(discovery),
        )
        .route("/{tid}/discovery/v2.0/keys", get(keys))
        .route("/{tid}/oauth2/v2.0/token", post(token))
        .with_state(op.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    op
}

struct Page {
    status: StatusCode,
    content_type: Option<String>,
    location: Option<String>,
    cookie: Option<String>,
    body: String,
}

async fn get_page(app: &TestApp, uri: &str, cookie: Option<&str>) -> Page {
    let mut request = Request::get(uri);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = app
        .router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned());
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    let body = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    Page {
        status,
        content_type,
        location,
        cookie,
        body,
    }
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap()
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

struct World {
    app: TestApp,
    op: Arc<Op>,
    org: roster_domain::OrgId,
    tenant: crate::support::Tenant,
}

async fn world() -> World {
    let op = start_op().await;
    let app = TestApp::with_sso(&op.base).await;
    let tenant = app.tenant(OrgKind::School, 10).await;
    app.roster
        .configure_sso(
            tenant.org,
            SsoSettings::Microsoft {
                tenant_id: TENANT.into(),
                client_id: CLIENT_ID.into(),
                client_secret: ClientSecret::new("client-secret".into()),
            },
            PUBLIC_URL,
        )
        .await
        .unwrap();
    World {
        app,
        op,
        org: tenant.org,
        tenant,
    }
}

impl World {
    /// Runs a sign-in as `person` up to the callback's answer; returns it and the state used.
    async fn sign_in_as(&self, person: &Person) -> (Page, String) {
        let start = get_page(&self.app, &format!("/sso/{}", self.org), None).await;
        assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
        let to = start.location.unwrap();
        assert!(
            to.starts_with(&format!("{}/{TENANT}/oauth2/v2.0/authorize?", self.op.base)),
            "{to}"
        );
        assert_eq!(
            query_param(&to, "code_challenge_method").as_deref(),
            Some("S256")
        );
        assert_eq!(
            query_param(&to, "redirect_uri").as_deref(),
            Some("https://roster.test/sso/callback")
        );
        assert_eq!(query_param(&to, "client_id").as_deref(), Some(CLIENT_ID));
        assert!(query_param(&to, "scope").unwrap().contains("openid"));
        let state = query_param(&to, "state").unwrap();
        let nonce = query_param(&to, "nonce").unwrap();
        *self.op.next.lock().unwrap() = Some((person.clone(), nonce));
        let back = get_page(
            &self.app,
            &format!("/sso/callback?code=the-code&state={state}"),
            None,
        )
        .await;
        (back, state)
    }

    async fn me(&self, cookie: &str) -> (StatusCode, Value) {
        let page = get_page(&self.app, "/api/v1/me", Some(cookie)).await;
        (page.status, serde_json::from_str(&page.body).unwrap())
    }

    /// A user created through SCIM, as Entra would; returns its id.
    async fn scim_user(&self, user_name: &str) -> String {
        self.app.create_user(&self.tenant, user_name).await
    }

    async fn set_active(&self, id: &str, active: bool) {
        let response = self
            .app
            .patch(
                &self.tenant,
                &format!("/Users/{id}"),
                &json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "path": "active", "value": active}],
                }),
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "{:?}", response.body);
    }
}

fn person(oid: &str, upn: &str) -> Person {
    Person {
        oid: oid.into(),
        upn: upn.into(),
        tid: TENANT.into(),
    }
}

#[tokio::test]
async fn a_provisioned_person_signs_in_with_microsoft_and_me_says_who_they_are() {
    let w = world().await;
    let ada = w.scim_user("ada@contoso.com").await;
    let (back, state) = w.sign_in_as(&person("oid-ada", "Ada@Contoso.com")).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    assert_eq!(back.location.as_deref(), Some("/home"));
    let cookie = back.cookie.unwrap();
    let (status, me) = w.me(&cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], ada);
    assert_eq!(me["organization"]["id"], w.org.to_string());
    let home = get_page(&w.app, "/home", Some(&cookie)).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("ada@contoso.com"), "{}", home.body);

    // The same state again: refused, and no session.
    *w.op.next.lock().unwrap() = Some((person("oid-ada", "ada@contoso.com"), "x".into()));
    let replay = get_page(&w.app, &format!("/sso/callback?code=c&state={state}"), None).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert!(replay.cookie.is_none());
    assert!(
        replay.body.contains("expired or was already used"),
        "{}",
        replay.body
    );

    let (status, nobody) = w.me("roster_session=nope").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(nobody["error"], "unauthorized", "{nobody}");
    assert_eq!(
        get_page(&w.app, "/api/v1/me", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn deactivation_ends_the_session_and_refuses_sign_in_with_a_page_that_says_so() {
    let w = world().await;
    let ada = w.scim_user("ada@contoso.com").await;
    let (back, _) = w.sign_in_as(&person("oid-ada", "ada@contoso.com")).await;
    let cookie = back.cookie.unwrap();
    assert_eq!(w.me(&cookie).await.0, StatusCode::OK);
    w.set_active(&ada, false).await;
    assert_eq!(w.me(&cookie).await.0, StatusCode::UNAUTHORIZED);
    let (refused, _) = w.sign_in_as(&person("oid-ada", "ada@contoso.com")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.cookie.is_none());
    assert!(
        refused.body.starts_with("<!doctype html>"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(r#"data-verdict="deactivated""#),
        "{}",
        refused.body
    );
    w.set_active(&ada, true).await;
    let (again, _) = w.sign_in_as(&person("oid-ada", "ada@contoso.com")).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
}

#[tokio::test]
async fn unprovisioned_other_tenant_and_rotated_key_sign_ins_end_on_the_right_page() {
    let w = world().await;
    let (nobody, _) = w.sign_in_as(&person("oid-x", "nobody@contoso.com")).await;
    assert_eq!(nobody.status, StatusCode::FORBIDDEN);
    assert!(nobody.body.contains("not_provisioned"), "{}", nobody.body);

    let mut stranger = person("oid-y", "y@fabrikam.com");
    stranger.tid = "00000000-1111-2222-3333-444444444444".into();
    let (other, _) = w.sign_in_as(&stranger).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    assert!(other.body.contains("rejected_token"), "{}", other.body);

    // The provider rotates to a new key: Roster fetches the keys again once and accepts it.
    w.scim_user("bob@contoso.com").await;
    let k2 = key("rotated", "k2");
    w.op.published.lock().unwrap().push(key("rotated", "k2"));
    *w.op.signing.lock().unwrap() = k2;
    let (rotated, _) = w.sign_in_as(&person("oid-bob", "bob@contoso.com")).await;
    assert_eq!(rotated.status, StatusCode::SEE_OTHER, "{}", rotated.body);

    let log = w.app.roster.sso_sign_ins(w.org, 10).await.unwrap();
    let verdicts: Vec<_> = log.iter().rev().map(|e| e.verdict.as_str()).collect();
    assert_eq!(verdicts, ["not_provisioned", "rejected_token", "signed_in"]);
    assert!(
        log[1].detail.as_deref().unwrap().contains("issuer")
            || log[1].detail.as_deref().unwrap().contains("tenant")
    );
}

#[tokio::test]
async fn a_provider_refusal_ends_the_flow_on_a_page_that_says_the_provider_refused() {
    let w = world().await;
    let start = get_page(&w.app, &format!("/sso/{}", w.org), None).await;
    let state = query_param(&start.location.unwrap(), "state").unwrap();
    // What Entra sends back for an account of another tenant (AADSTS50020).
    let back = get_page(
        &w.app,
        &format!("/sso/callback?error=access_denied&error_description=AADSTS50020&state={state}"),
        None,
    )
    .await;
    assert_eq!(back.status, StatusCode::FORBIDDEN);
    assert!(back.cookie.is_none());
    // A page for the browser, not an error document for a SCIM client.
    assert_eq!(
        back.content_type.as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert!(back.body.starts_with("<!doctype html>"), "{}", back.body);
    assert!(
        back.body.contains("sign-in provider refused the sign-in"),
        "{}",
        back.body
    );
    assert!(
        back.body.contains(r#"data-verdict="provider_error""#),
        "{}",
        back.body
    );

    // The flow is used up: the same state cannot come back with a code.
    let again = get_page(&w.app, &format!("/sso/callback?code=c&state={state}"), None).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);

    // Any other answer without a code is a cancelled sign-in.
    let start = get_page(&w.app, &format!("/sso/{}", w.org), None).await;
    let state = query_param(&start.location.unwrap(), "state").unwrap();
    let cancelled = get_page(
        &w.app,
        &format!("/sso/callback?error=%3Cscript%3E&state={state}"),
        None,
    )
    .await;
    assert_eq!(cancelled.status, StatusCode::FORBIDDEN);
    assert!(
        cancelled.body.contains("Sign-in was cancelled"),
        "{}",
        cancelled.body
    );
}

/// The documented order on one machine: `serve` runs, then the operator configures sign-in
/// with the CLI. The server reads its secret key once, at start, so it must be the one who
/// makes it; a key the CLI made later would leave every sign-in failing until a restart.
#[tokio::test]
async fn sso_configured_from_the_cli_while_serve_runs_on_sqlite_starts_signing_in() {
    let op = start_op().await;
    let cli = crate::support::Cli::new();
    let org = cli.json(&[
        "org", "create", "--name", "Contoso", "--kind", "school", "--seats", "5",
    ])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let server = cli.serve(&["--microsoft-authority-url", &op.base]);
    let key_file = cli.database.with_file_name("roster-secret.key");
    assert!(
        key_file.exists(),
        "serve makes the key file beside the database"
    );

    let configured = cli.with_stdin(
        &[
            "sso",
            "configure",
            &org,
            "--tenant-id",
            TENANT,
            "--client-id",
            CLIENT_ID,
            "--microsoft-authority-url",
            &op.base,
        ],
        "client-secret\n",
    );
    assert!(
        configured.status.success(),
        "{}",
        String::from_utf8_lossy(&configured.stderr)
    );

    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let start = http
        .get(server.url(&format!("/sso/{org}")))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let to = start.headers()[header::LOCATION].to_str().unwrap();
    assert!(
        to.starts_with(&format!("{}/{TENANT}/oauth2/v2.0/authorize?", op.base)),
        "{to}"
    );
}
