//! `/metrics`: who may read it, what a workload leaves in it, and that its size does not grow
//! with the number of organizations.

use std::collections::BTreeSet;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use roster_domain::{OrgId, OrgKind};
use serde_json::json;
use tower::ServiceExt;

use crate::support::{Cli, TestApp};

const TOKEN: &str = "metrics-token-for-the-tests-0123456789";

/// `GET /metrics` with an optional bearer token: status, content type and body text.
async fn scrape(app: &TestApp, token: Option<&str>) -> (StatusCode, String, String) {
    let mut request = Request::get("/metrics");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
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
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

/// Each series of an exposition (name and labels), without its value.
fn series(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.rsplit_once(' ').map(|(s, _)| s.to_owned()))
        .collect()
}

/// The value of one series, by its exact name and labels.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn user(name: &str) -> serde_json::Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "active": true,
    })
}

#[tokio::test]
async fn metrics_are_not_served_on_the_main_listener_without_a_configured_token() {
    let app = TestApp::new().await;
    let tenant = app.tenant(OrgKind::School, 5).await;
    app.create_user(&tenant, "ada@example.edu").await;
    let (status, content_type, body) = scrape(&app, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(content_type, "application/scim+json");
    assert!(!body.contains("roster_"), "{body}");
    // A token sent anyway changes nothing.
    let (status, _, body) = scrape(&app, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("roster_"), "{body}");
}

#[tokio::test]
async fn metrics_on_the_main_listener_need_the_configured_token() {
    let app = TestApp::with_metrics(TOKEN, |state| state).await;
    for wrong in [
        None,
        Some("metrics-token-for-the-tests-012345678"),
        Some(""),
    ] {
        let (status, content_type, body) = scrape(&app, wrong).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{wrong:?}");
        assert_eq!(content_type, "application/scim+json");
        assert!(!body.contains("roster_http"), "{body}");
    }
    let (status, content_type, body) = scrape(&app, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    // The refused scrapes were counted, under the route's name.
    assert_eq!(
        value(
            &body,
            r#"roster_http_requests_total{route="/metrics",method="GET",status="4xx"}"#
        ),
        Some(3.0),
        "{body}"
    );
    assert!(
        !body.contains(TOKEN),
        "the token never appears in the metrics"
    );
}

#[tokio::test]
async fn a_workload_leaves_series_with_exact_label_sets_and_no_ids() {
    let app = TestApp::with_metrics(TOKEN, |state| {
        state.with_rate_limit(roster_web::RateLimit {
            per_second: 1,
            burst: 6,
        })
    })
    .await;
    let tenant = app.tenant(OrgKind::School, 1).await;
    let id = app.create_user(&tenant, "ada@example.edu").await;
    // No second seat.
    let refused = app.post(&tenant, "/Users", &user("bob@example.edu")).await;
    assert_eq!(refused.status, 409, "{:#}", refused.body);
    let patched = app
        .patch(
            &tenant,
            &format!("/Users/{id}"),
            &json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "displayName", "value": "Ada"}],
            }),
        )
        .await;
    assert_eq!(patched.status, 200, "{:#}", patched.body);
    assert_eq!(
        app.scim_get(&tenant, &format!("/Users/{id}")).await.status,
        200
    );
    assert_eq!(
        app.get(&format!("{}/Users", tenant.base), Some("wrong-token"))
            .await
            .status,
        401
    );
    // The bucket of 6 is spent by now (create, refused create, patch, get): the rest are 429.
    let mut limited = 0;
    for _ in 0..4 {
        if app.scim_get(&tenant, "/Users").await.status == 429 {
            limited += 1;
        }
    }
    assert!(limited >= 1, "the rate limit never refused");
    assert_eq!(app.get("/no/such/path", None).await.status, 404);

    let (status, _, text) = scrape(&app, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    let expect = |series: &str, expected: f64| {
        assert_eq!(value(&text, series), Some(expected), "{series} in\n{text}");
    };
    expect(
        r#"roster_http_requests_total{route="/scim/v2/{org}/Users",method="POST",status="2xx"}"#,
        1.0,
    );
    expect(
        r#"roster_http_requests_total{route="/scim/v2/{org}/Users",method="POST",status="4xx"}"#,
        1.0,
    );
    expect(
        r#"roster_http_requests_total{route="/scim/v2/{org}/Users/{id}",method="PATCH",status="2xx"}"#,
        1.0,
    );
    expect(
        r#"roster_http_requests_total{route="unmatched",method="GET",status="4xx"}"#,
        1.0,
    );
    expect(
        r#"roster_http_request_duration_seconds_count{route="/scim/v2/{org}/Users",method="POST"}"#,
        2.0,
    );
    assert!(
        text.contains(
            r#"roster_http_request_duration_seconds_bucket{route="/scim/v2/{org}/Users/{id}",method="GET",le="30"} 1"#
        ),
        "{text}"
    );
    expect(
        r#"roster_scim_operations_total{resource="User",operation="create",outcome="success"}"#,
        1.0,
    );
    expect(
        r#"roster_scim_operations_total{resource="User",operation="create",outcome="seat_limit"}"#,
        1.0,
    );
    expect(
        r#"roster_scim_operations_total{resource="User",operation="update",outcome="success"}"#,
        1.0,
    );
    expect(
        r#"roster_scim_operations_total{resource="User",operation="get",outcome="success"}"#,
        1.0,
    );
    expect(
        r#"roster_scim_operations_total{resource="User",operation="list",outcome="unauthorized"}"#,
        1.0,
    );
    expect(
        r#"roster_scim_operations_total{resource="User",operation="list",outcome="rate_limited"}"#,
        f64::from(limited),
    );
    expect(
        r#"roster_seat_refusals_total{resource="User",operation="create"}"#,
        1.0,
    );
    expect(
        r#"roster_rate_limit_refusals_total{limit="scim_org_requests"}"#,
        f64::from(limited),
    );
    let queue = if app.sqlite_path().is_some() {
        "sqlite_writer"
    } else {
        "pool_wait"
    };
    // Sampled at the scrape, while provisioning log entries may still be being written.
    assert!(
        value(
            &text,
            &format!(r#"roster_db_queue_depth{{queue="{queue}"}}"#)
        )
        .is_some(),
        "{text}"
    );
    let in_use = value(&text, r#"roster_db_connections{state="in_use"}"#).unwrap();
    let idle = value(&text, r#"roster_db_connections{state="idle"}"#).unwrap();
    assert!(in_use + idle >= 1.0, "{text}");
    // Every label is one of a few known names; no id of any kind is a value.
    for s in series(&text) {
        assert!(!s.contains(&tenant.org.to_string()), "{s}");
        assert!(!s.contains(&id), "{s}");
        assert!(!s.contains("example.edu"), "{s}");
    }
}

#[tokio::test]
async fn seat_refusals_in_the_console_are_counted_apart_from_scims() {
    let app = TestApp::with_metrics(TOKEN, |state| state).await;
    // One seat, which the administrator holds.
    let (mut browser, _org) = crate::console_pages::support::first_org(&app, 1).await;
    let refused = browser
        .submit(
            &app,
            "/console/users",
            "/console/users/add",
            &[("user_name", "bart@springfield.test"), ("display_name", "")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.html);
    assert!(refused.html.contains("No free seat"), "{}", refused.html);
    // A refusal for another reason is not a seat refusal.
    let invalid = browser
        .submit(
            &app,
            "/console/users",
            "/console/users/add",
            &[
                ("user_name", "bart\u{7}@springfield.test"),
                ("display_name", ""),
            ],
        )
        .await;
    assert_ne!(invalid.status, StatusCode::CONFLICT, "{}", invalid.html);

    let (_, _, text) = scrape(&app, Some(TOKEN)).await;
    assert_eq!(
        value(
            &text,
            r#"roster_seat_refusals_total{resource="User",operation="console"}"#
        ),
        Some(1.0),
        "{text}"
    );
    let seat_series: Vec<String> = series(&text)
        .into_iter()
        .filter(|s| s.starts_with("roster_seat_refusals_total"))
        .collect();
    assert_eq!(
        seat_series,
        [r#"roster_seat_refusals_total{resource="User",operation="console"}"#],
        "{text}"
    );
}

#[tokio::test]
async fn requests_to_a_thousand_organizations_add_no_series() {
    let app = TestApp::with_metrics(TOKEN, |state| state).await;
    let tenant = app.tenant(OrgKind::Business, 10).await;
    let id = app.create_user(&tenant, "ada@example.com").await;
    // One round of every request shape, for the known tenant and for an unknown one.
    let round = |org: String, token: String, user: String| {
        let app = &app;
        async move {
            let base = format!("/scim/v2/{org}");
            app.get(&format!("{base}/Users"), Some(&token)).await;
            app.get(&format!("{base}/Users/{user}"), Some(&token)).await;
            app.get(
                &format!("{base}/Groups?filter=displayName+eq+%22x%22"),
                Some(&token),
            )
            .await;
            app.get(&format!("{base}/nope/{user}"), Some(&token)).await;
        }
    };
    round(tenant.org.to_string(), tenant.token.clone(), id.clone()).await;
    round(
        tenant.org.to_string(),
        tenant.token.clone(),
        OrgId::new_random().to_string(),
    )
    .await;
    round(
        OrgId::new_random().to_string(),
        "wrong".into(),
        OrgId::new_random().to_string(),
    )
    .await;
    // The first scrape adds the series of `/metrics` itself.
    scrape(&app, Some(TOKEN)).await;
    let (_, _, before) = scrape(&app, Some(TOKEN)).await;
    let before_series = series(&before);

    let mut orgs = Vec::new();
    for i in 0..1_000 {
        let org = OrgId::new_random().to_string();
        round(
            org.clone(),
            format!("wrong-{i}"),
            OrgId::new_random().to_string(),
        )
        .await;
        orgs.push(org);
    }
    // And the known tenant's requests with other users' ids.
    for _ in 0..50 {
        round(
            tenant.org.to_string(),
            tenant.token.clone(),
            OrgId::new_random().to_string(),
        )
        .await;
    }
    let (_, _, after) = scrape(&app, Some(TOKEN)).await;
    let after_series = series(&after);
    assert_eq!(
        after_series.difference(&before_series).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "4,200 requests to 1,001 organizations added series"
    );
    assert!(
        value(
            &after,
            r#"roster_http_requests_total{route="/scim/v2/{org}/Users",method="GET",status="4xx"}"#
        )
        .is_some_and(|v| v >= 1_001.0),
        "{after}"
    );
    for org in orgs.iter().take(20) {
        assert!(!after.contains(org.as_str()));
    }
}

/// A 5xx is logged once, with the request id, route, status and the error behind it; the
/// client gets a SCIM error without the cause.
#[tokio::test]
async fn a_storage_failure_is_logged_once_with_its_cause() {
    let app = TestApp::new().await;
    let Some(database) = app.sqlite_path() else {
        eprintln!("skipped on PostgreSQL: the failure is injected into the SQLite file");
        return;
    };
    let tenant = app.tenant(OrgKind::School, 5).await;
    // Another connection breaks the schema under the running store.
    let conn = rusqlite::Connection::open(&database).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = OFF; ALTER TABLE groups RENAME TO groups_gone;")
        .unwrap();

    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_max_level(tracing::Level::INFO)
        .with_writer(log.clone())
        .finish();
    let response = {
        let _guard = tracing::subscriber::set_default(subscriber);
        app.send(
            Request::get(format!("{}/Groups", tenant.base))
                .header(header::AUTHORIZATION, format!("Bearer {}", tenant.token))
                .header("x-request-id", "broken-groups-1")
                .body(Body::empty())
                .unwrap(),
        )
        .await
    };
    response.assert_scim_error(500, None);
    let detail = response.body["detail"].as_str().unwrap();
    assert!(
        !detail.contains("groups"),
        "the cause is not sent: {detail}"
    );

    let lines = log.lines();
    let loud: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| matches!(l["level"].as_str(), Some("ERROR" | "WARN")))
        .collect();
    assert_eq!(
        loud.len(),
        1,
        "one error line, not {}: {lines:#?}",
        loud.len()
    );
    let line = loud[0];
    assert_eq!(line["level"], "ERROR");
    assert_eq!(line["request.id"], "broken-groups-1");
    assert_eq!(line["http.route"], "/scim/v2/{org}/Groups");
    assert_eq!(line["http.method"], "GET");
    assert_eq!(line["http.status"], 500);
    let error = line["error"].as_str().unwrap();
    assert!(error.contains("no such table: groups"), "{error}");
    assert!(
        !lines.iter().any(|l| l.to_string().contains(&tenant.token)),
        "the token is never logged"
    );
}

/// A `tracing` writer into memory.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    fn lines(&self) -> Vec<serde_json::Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Self;

    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

/// The address `roster serve` reports for its metrics listener.
fn metrics_addr(server: &crate::support::Server) -> String {
    for _ in 0..300 {
        if let Some(rest) = server.log().split("serving metrics on http://").nth(1) {
            return rest.split('/').next().unwrap().to_owned();
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("no metrics address in the log: {}", server.log());
}

#[tokio::test]
async fn the_separate_metrics_listener_serves_metrics_without_a_token_and_the_main_one_does_not() {
    let cli = Cli::new();
    let server = cli.serve(&["--metrics-listen", "127.0.0.1:0"]);
    let addr = metrics_addr(&server);
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    assert_eq!(
        http.get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let main = http.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(main.status(), 404);
    let metrics = http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    // The retention job runs once at start, right after the server starts listening.
    let text = scrape_until(&format!("http://{addr}/metrics"), |text| {
        text.contains(r#"roster_background_job_runs_total{job="retention",outcome="success"}"#)
    })
    .await;
    assert_eq!(
        value(
            &text,
            r#"roster_http_requests_total{route="/healthz",method="GET",status="2xx"}"#
        ),
        Some(1.0),
        "{text}"
    );
    // Nothing else is served there.
    let other = http
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}

#[test]
fn serve_refuses_a_short_metrics_token() {
    let cli = Cli::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "short\n").unwrap();
    let output = cli
        .command()
        .arg("serve")
        .args(["--listen", "127.0.0.1:0", "--metrics-token-file"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("at least 16 characters"), "{stderr}");
    assert!(
        !stderr.contains("short"),
        "the token is not echoed: {stderr}"
    );
}

/// The metrics at `url` once `ready` says they are complete (within a few seconds).
async fn scrape_until(url: &str, ready: impl Fn(&str) -> bool) -> String {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut text = String::new();
    for _ in 0..100 {
        text = http.get(url).send().await.unwrap().text().await.unwrap();
        if ready(&text) {
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the metrics never became complete:\n{text}");
}

/// Metric names in the dashboard's queries: `roster_…`, with a histogram's `_bucket`, `_sum`
/// and `_count` series named by the histogram.
fn dashboard_metrics() -> BTreeSet<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ops/grafana/roster.json");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut expressions = Vec::new();
    collect_expressions(&dashboard, &mut expressions);
    assert!(expressions.len() >= 8, "{expressions:?}");
    let mut names = BTreeSet::new();
    for expression in expressions {
        let mut rest = expression.as_str();
        while let Some(at) = rest.find("roster_") {
            let name: String = rest[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            rest = &rest[at + name.len()..];
            names.insert(name);
        }
    }
    names
}

fn collect_expressions(value: &serde_json::Value, into: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("expr" | "query", serde_json::Value::String(e)) => into.push(e.clone()),
                    _ => collect_expressions(v, into),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                collect_expressions(v, into);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn the_grafana_dashboard_uses_only_metrics_the_server_exports() {
    let cli = Cli::new();
    let org = cli.json(&[
        "org", "create", "--name", "Acme", "--kind", "business", "--seats", "1",
    ]);
    let id = org["id"].as_str().unwrap().to_owned();
    let server = cli.serve(&[
        "--metrics-listen",
        "127.0.0.1:0",
        "--rate-limit",
        "1",
        "--rate-burst",
        "4",
    ]);
    let addr = metrics_addr(&server);
    let enabled = cli.json(&["scim", "enable", &id, "--public-url", &server.url("")]);
    let tenant_url = enabled["tenant_url"].as_str().unwrap();
    let token = enabled["token"].as_str().unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    // A short workload: a create, a seat refusal, then reads until the rate limit refuses.
    for name in ["ada@example.com", "bob@example.com"] {
        http.post(format!("{tenant_url}/Users"))
            .bearer_auth(token)
            .header("content-type", "application/scim+json")
            .body(user(name).to_string())
            .send()
            .await
            .unwrap();
    }
    for _ in 0..6 {
        http.get(format!("{tenant_url}/Users"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
    }
    let text = scrape_until(&format!("http://{addr}/metrics"), |text| {
        text.contains("roster_background_job_runs_total")
    })
    .await;
    let exported: BTreeSet<String> = series(&text)
        .into_iter()
        .map(|s| s.split('{').next().unwrap().to_owned())
        .collect();
    for name in roster_web::metrics::NAMES {
        let present = exported.iter().any(|e| e.starts_with(name));
        assert!(
            present,
            "{name} is not exported after the workload:\n{text}"
        );
    }
    let used = dashboard_metrics();
    for name in roster_web::metrics::NAMES {
        assert!(
            used.contains(*name) || used.iter().any(|u| u.starts_with(name)),
            "the dashboard does not show {name}"
        );
    }
    for name in &used {
        assert!(
            exported.contains(name),
            "the dashboard queries {name}, which the server does not export; it exports {exported:#?}"
        );
    }
}
