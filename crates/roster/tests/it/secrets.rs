//! Secrets are never written: a realistic workload through the real binary, logging at `debug`
//! (human and JSON format), uses every kind of secret Roster issues — SCIM token, console
//! password and session cookie, SSO client secret, API key, metrics token — rightly and wrongly
//! (a wrong credential that contains the real one shows whether the presented value is echoed).
//! Then everything the server wrote, every response body, the provisioning log, the events feed,
//! `/metrics` and the CLI's later output are searched for each secret: none may appear.

use std::{
    collections::BTreeMap,
    fs::File,
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::Duration,
};

use reqwest::{Client, Method, redirect::Policy};
use serde_json::{Value, json};

use crate::support::Cli;

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/// Everything the test saw that Roster wrote, with where it came from.
#[derive(Default)]
struct Seen(Vec<(String, String)>);

impl Seen {
    fn add(&mut self, origin: impl Into<String>, text: impl Into<String>) {
        self.0.push((origin.into(), text.into()));
    }
}

/// One request; records the response body, returns status, headers and body.
async fn call(
    seen: &mut Seen,
    http: &Client,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = http.request(method.clone(), url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    seen.add(format!("{method} {url} → {status}"), text.clone());
    (status, headers, text)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn output_text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn secrets_never_written(json_format: bool) {
    let cli = Cli::new();
    let dir = tempfile::tempdir().unwrap();
    let org = cli.json(&[
        "org",
        "create",
        "--name",
        "Quiet High",
        "--kind",
        "school",
        "--seats",
        "20",
    ])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let scim_token = cli.json(&["scim", "enable", &org])["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let password = "mauve trellis quartz lantern";
    let added = cli.with_stdin(
        &[
            "admin",
            "add",
            "--org",
            &org,
            "--email",
            "head@quiet.example",
        ],
        &format!("{password}\n"),
    );
    assert!(added.status.success(), "{}", output_text(&added));
    let client_secret = "Zt4~sso.client-secret_never_shown";
    let configured = cli.with_stdin(
        &[
            "sso",
            "configure",
            &org,
            "--tenant-id",
            TENANT,
            "--client-id",
            "app-quiet",
        ],
        &format!("{client_secret}\n"),
    );
    assert!(configured.status.success(), "{}", output_text(&configured));
    let api_key = cli.json(&["api-key", "create", "--name", "feed"])["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let metrics_token = format!(
        "metrics-{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let token_file = dir.path().join("metrics-token");
    std::fs::write(&token_file, format!("{metrics_token}\n")).unwrap();

    // The server, its stdout and stderr kept whole.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let mut command = cli.command();
    command
        .arg("serve")
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--public-url", &base])
        .arg("--metrics-token-file")
        .arg(&token_file)
        .env("ROSTER_LOG", "debug")
        .stdout(Stdio::from(File::create(&out_path).unwrap()))
        .stderr(Stdio::from(File::create(&err_path).unwrap()));
    if json_format {
        command.env("ROSTER_LOG_FORMAT", "json");
    } else {
        command.env_remove("ROSTER_LOG_FORMAT");
    }
    let mut child: Child = command.spawn().unwrap();
    let http = Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status() == 200
        {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "serve exited");
        assert!(std::time::Instant::now() < deadline, "serve never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut seen = Seen::default();
    let scim = format!("{base}/scim/v2/{org}");
    let bearer = format!("Bearer {scim_token}");
    let wrong_bearer = format!("Bearer {scim_token}x");
    let scim_headers = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/scim+json"),
    ];

    // SCIM: creates, a deactivation, a group with a member, a filter, refusals.
    let mut ids = Vec::new();
    for i in 0..3 {
        let body = json!({"schemas": [USER_SCHEMA], "userName": format!("pupil{i}@quiet.example"),
                          "active": true});
        let (status, _, text) = call(
            &mut seen,
            &http,
            Method::POST,
            &format!("{scim}/Users"),
            &scim_headers,
            Some(body.to_string()),
        )
        .await;
        assert_eq!(status, 201, "{text}");
        let created: Value = serde_json::from_str(&text).unwrap();
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let deactivate = json!({"schemas": [PATCH_SCHEMA], "Operations": [
        {"op": "replace", "path": "active", "value": false}]});
    let (status, _, _) = call(
        &mut seen,
        &http,
        Method::PATCH,
        &format!("{scim}/Users/{}", ids[0]),
        &scim_headers,
        Some(deactivate.to_string()),
    )
    .await;
    assert_eq!(status, 200);
    let group = json!({"schemas": [GROUP_SCHEMA], "displayName": "Choir",
                       "members": [{"value": ids[1]}]});
    let (status, _, _) = call(
        &mut seen,
        &http,
        Method::POST,
        &format!("{scim}/Groups"),
        &scim_headers,
        Some(group.to_string()),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _, _) = call(
        &mut seen,
        &http,
        Method::GET,
        &format!("{scim}/Users?filter=userName%20eq%20%22pupil1%40quiet.example%22"),
        &scim_headers,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, _) = call(
        &mut seen,
        &http,
        Method::POST,
        &format!("{scim}/Users"),
        &scim_headers,
        Some("{not json".into()),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _, _) = call(
        &mut seen,
        &http,
        Method::GET,
        &format!("{scim}/Users"),
        &[("authorization", wrong_bearer.as_str())],
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, _, _) = call(
        &mut seen,
        &http,
        Method::GET,
        &format!("{base}/scim/v2/00000000-0000-0000-0000-000000000000/Users"),
        &[("authorization", bearer.as_str())],
        None,
    )
    .await;
    assert!(status == 401 || status == 404, "{status}");

    // Console: a wrong password, then the right one, pages with the session cookie.
    let mut cookies: BTreeMap<String, String> = BTreeMap::new();
    let mut session = (String::new(), String::new());
    for attempt in [format!("{password}x"), password.to_owned()] {
        let cookie_header = |cookies: &BTreeMap<String, String>| {
            cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let jar = cookie_header(&cookies);
        let (status, headers, page) = call(
            &mut seen,
            &http,
            Method::GET,
            &format!("{base}/console/sign-in"),
            &[("cookie", jar.as_str())],
            None,
        )
        .await;
        assert_eq!(status, 200, "{page}");
        remember_cookies(&headers, &mut cookies);
        let csrf = page
            .split("name=\"csrf\"")
            .nth(1)
            .and_then(|rest| rest.split("value=\"").nth(1))
            .and_then(|v| v.split('"').next())
            .unwrap()
            .to_owned();
        let form = serde_urlencoded::to_string([
            ("csrf", csrf.as_str()),
            ("email", "head@quiet.example"),
            ("password", attempt.as_str()),
        ])
        .unwrap();
        let jar = cookie_header(&cookies);
        let (status, headers, _) = call(
            &mut seen,
            &http,
            Method::POST,
            &format!("{base}/console/sign-in"),
            &[
                ("cookie", jar.as_str()),
                ("origin", base.as_str()),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(form),
        )
        .await;
        remember_cookies(&headers, &mut cookies);
        if attempt == password {
            assert_eq!(status, 303);
            session = cookies
                .iter()
                .find(|(name, _)| name.contains("session"))
                .map(|(name, value)| (name.clone(), value.clone()))
                .unwrap_or_else(|| panic!("no session cookie in {cookies:?}"));
        } else {
            assert_ne!(status, 303, "a wrong password signs nobody in");
        }
    }
    let jar = cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    for page in [
        "/console",
        "/console/sso",
        "/console/scim",
        "/console/users",
    ] {
        let (status, _, _) = call(
            &mut seen,
            &http,
            Method::GET,
            &format!("{base}{page}"),
            &[("cookie", jar.as_str())],
            None,
        )
        .await;
        assert!(status < 500, "{page}: {status}");
    }
    let forged = format!("{}={}x", session.0, session.1);
    call(
        &mut seen,
        &http,
        Method::GET,
        &format!("{base}/console"),
        &[("cookie", forged.as_str())],
        None,
    )
    .await;

    // The feed and /metrics, with the right and a wrong credential.
    let key_bearer = format!("Bearer {api_key}");
    let wrong_key = format!("Bearer {api_key}x");
    let (status, _, _) = call(
        &mut seen,
        &http,
        Method::GET,
        &format!("{base}/api/v1/events?limit=1000"),
        &[("authorization", key_bearer.as_str())],
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, _) = call(
        &mut seen,
        &http,
        Method::GET,
        &format!("{base}/api/v1/events"),
        &[("authorization", wrong_key.as_str())],
        None,
    )
    .await;
    assert_eq!(status, 401);
    let metrics_bearer = format!("Bearer {metrics_token}");
    let wrong_metrics = format!("Bearer {metrics_token}x");
    let (status, _, _) = call(
        &mut seen,
        &http,
        Method::GET,
        &format!("{base}/metrics"),
        &[("authorization", metrics_bearer.as_str())],
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, _) = call(
        &mut seen,
        &http,
        Method::GET,
        &format!("{base}/metrics"),
        &[("authorization", wrong_metrics.as_str())],
        None,
    )
    .await;
    assert!(status == 401 || status == 404, "{status}");

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    let stderr = std::fs::read_to_string(&err_path).unwrap();
    let debug_marker = if json_format {
        "\"level\":\"DEBUG\""
    } else {
        "DEBUG"
    };
    assert!(
        stderr.contains(debug_marker),
        "the server logged at debug level: {stderr}"
    );
    assert!(
        stderr.contains("/console/sign-in") && stderr.contains("/api/v1/events"),
        "requests are in the log: {stderr}"
    );
    seen.add("serve stderr", stderr);
    seen.add("serve stdout", std::fs::read_to_string(&out_path).unwrap());
    for args in [
        &["log", org.as_str(), "--limit", "100000", "--json"][..],
        &["sso", "show", &org, "--json"],
        &["sso", "log", &org, "--json"],
        &["api-key", "list", "--json"],
        &["admin", "list", "--org", &org, "--json"],
        &["org", "show", &org, "--json"],
    ] {
        let output = cli.command().args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            output_text(&output)
        );
        seen.add(format!("roster {args:?}"), output_text(&output));
    }

    let secrets = [
        ("SCIM token", scim_token.as_str()),
        ("console password", password),
        ("session cookie", session.1.as_str()),
        ("SSO client secret", client_secret),
        ("API key", api_key.as_str()),
        ("metrics token", metrics_token.as_str()),
    ];
    let mut found = Vec::new();
    for (origin, text) in &seen.0 {
        for (what, secret) in secrets {
            assert!(secret.len() >= 16, "{what} is long enough to search for");
            if text.contains(secret) {
                found.push(format!("{what} in {origin}"));
            }
        }
    }
    assert!(found.is_empty(), "secrets written: {found:#?}");
}

fn remember_cookies(headers: &reqwest::header::HeaderMap, cookies: &mut BTreeMap<String, String>) {
    for set in headers.get_all("set-cookie") {
        let set = set.to_str().unwrap();
        let pair = set.split(';').next().unwrap();
        let (name, value) = pair.split_once('=').unwrap();
        if value.is_empty() || set.contains("Max-Age=0") {
            cookies.remove(name);
        } else {
            cookies.insert(name.to_owned(), value.to_owned());
        }
    }
}

#[tokio::test]
async fn no_secret_is_written_with_debug_logging() {
    secrets_never_written(false).await;
}

#[tokio::test]
async fn no_secret_is_written_with_debug_logging_in_json() {
    secrets_never_written(true).await;
}
