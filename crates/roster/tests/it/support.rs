//! Test harness: an app on a temporary SQLite database with a fixed clock, request helpers, and
//! the real `roster` binary.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::Duration,
};

use axum::{
    Router,
    body::Body,
    http::{Request, Response, StatusCode, header},
};
use http_body_util::BodyExt;
use roster_domain::{FixedClock, NewOrg, OrgId, OrgKind, Roster, ScimCredentials, Store};
use roster_store_sqlite::SqliteStore;
use roster_web::{AppState, PoolSampler, PoolStats, app};
use serde_json::Value;
use tempfile::TempDir;
use time::macros::datetime;
use tower::ServiceExt;

pub const PUBLIC_URL: &str = "https://roster.test";

pub struct TestApp {
    pub roster: Roster,
    pub clock: Arc<FixedClock>,
    pub router: Router,
    /// The console's process state (the first-run setup code).
    pub console: Arc<roster_web::Console>,
    _dir: TempDir,
    _database: Option<roster_store_postgres::testing::TestDatabase>,
}

/// An organization with SCIM enabled.
pub struct Tenant {
    pub org: OrgId,
    pub token: String,
    pub base: String,
}

impl TestApp {
    /// The app on SQLite, or on a fresh PostgreSQL database when `ROSTER_TEST_STORE=postgres`
    /// (the test script runs the whole suite both ways).
    pub async fn new() -> Self {
        Self::build(|roster| roster, |state| state).await
    }

    pub async fn with_rate_limit(per_second: u32) -> Self {
        Self::build(
            |roster| roster,
            |state| {
                state.with_rate_limit(roster_web::RateLimit {
                    per_second,
                    burst: per_second * 2,
                })
            },
        )
        .await
    }

    /// The app with a secret key, so SSO can be configured, and Microsoft issuers under
    /// `authority` (a provider the test runs).
    pub async fn with_sso(authority: &str) -> Self {
        let authority = authority.to_owned();
        Self::build(
            move |roster| {
                roster
                    .with_secret_key(roster_domain::SecretKey::generate().unwrap())
                    .with_microsoft_authority(&authority)
            },
            |state| state,
        )
        .await
    }

    /// [`with_sso`](Self::with_sso), with other limits on how fast sign-ins start.
    pub async fn with_sso_start_rates(authority: &str, rates: roster_web::SsoStartRates) -> Self {
        let authority = authority.to_owned();
        Self::build(
            move |roster| {
                roster
                    .with_secret_key(roster_domain::SecretKey::generate().unwrap())
                    .with_microsoft_authority(&authority)
            },
            move |state| state.with_sso_start_rates(rates),
        )
        .await
    }

    /// The app with a secret key (webhook secrets are sealed under it) and webhook endpoints
    /// allowed on loopback, where the tests' receivers listen.
    pub async fn with_webhooks() -> Self {
        Self::build(
            |roster| {
                roster
                    .with_secret_key(roster_domain::SecretKey::generate().unwrap())
                    .with_webhook_private_networks(true)
            },
            |state| {
                state.with_webhook_transport(Arc::new(roster_web::WebhookClient::new(
                    Duration::from_secs(5),
                    true,
                )))
            },
        )
        .await
    }

    /// The app with a secret key, refusing webhook endpoints on private networks (the default).
    pub async fn with_secret_key() -> Self {
        Self::build(
            |roster| roster.with_secret_key(roster_domain::SecretKey::generate().unwrap()),
            |state| state,
        )
        .await
    }

    /// The app with list requests evaluated in memory refused beyond `limit` candidates.
    pub async fn with_candidate_limit(limit: u64) -> Self {
        Self::build(|roster| roster.with_candidate_limit(limit), |state| state).await
    }

    /// The app with `/metrics` served on its router to `token`, configured further by `configure`.
    pub async fn with_metrics(token: &str, configure: impl FnOnce(AppState) -> AppState) -> Self {
        let token = roster_web::MetricsToken::new(token).unwrap();
        Self::build(
            |roster| roster,
            move |state| configure(state.with_metrics_token(token)),
        )
        .await
    }

    /// The SQLite database file, when the app runs on SQLite.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self._database
            .is_none()
            .then(|| self._dir.path().join("roster.db"))
    }

    pub async fn with_list_members_budget(budget: u64) -> Self {
        Self::build(
            |roster| roster.with_list_members_budget(budget),
            |state| state,
        )
        .await
    }

    async fn build(
        roster: impl FnOnce(Roster) -> Roster,
        configure: impl FnOnce(AppState) -> AppState,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (store, pool_stats, database): (Arc<dyn Store>, PoolSampler, _) =
            match std::env::var("ROSTER_TEST_STORE").as_deref() {
                Ok("postgres") => {
                    let url = roster_store_postgres::testing::server_url()
                        .expect("ROSTER_TEST_STORE=postgres needs ROSTER_TEST_POSTGRES_URL");
                    let (store, db) = roster_store_postgres::testing::fresh_store(&url)
                        .await
                        .unwrap();
                    let store = Arc::new(store);
                    let sampled = store.clone();
                    let stats: PoolSampler = Arc::new(move || {
                        let s = sampled.pool_stats();
                        PoolStats {
                            in_use: s.in_use,
                            idle: s.idle,
                            queued: s.waiting,
                            queue: "pool_wait",
                        }
                    });
                    (store, stats, Some(db))
                }
                _ => {
                    let store = Arc::new(SqliteStore::open(&dir.path().join("roster.db")).unwrap());
                    let sampled = store.clone();
                    let stats: PoolSampler = Arc::new(move || {
                        let s = sampled.pool_stats();
                        PoolStats {
                            in_use: s.readers_in_use,
                            idle: s.readers_idle,
                            queued: s.writes_queued,
                            queue: "sqlite_writer",
                        }
                    });
                    (store, stats, None)
                }
            };
        let clock = Arc::new(FixedClock::new(datetime!(2026-01-05 09:00 UTC)));
        let roster = roster(Roster::new(store, clock.clone()));
        let state =
            configure(AppState::new(roster.clone(), PUBLIC_URL).with_pool_stats(pool_stats));
        let console = state.console.clone();
        let router = app(state);
        Self {
            roster,
            clock,
            router,
            console,
            _dir: dir,
            _database: database,
        }
    }

    pub async fn tenant(&self, kind: OrgKind, seats: u32) -> Tenant {
        let status = self
            .roster
            .create_org(NewOrg {
                name: "Springfield Elementary".into(),
                kind,
                seats,
            })
            .await
            .unwrap();
        let ScimCredentials { tenant_url, token } = self
            .roster
            .enable_scim(status.org.id, PUBLIC_URL)
            .await
            .unwrap();
        Tenant {
            org: status.org.id,
            token,
            base: tenant_url.trim_start_matches(PUBLIC_URL).to_owned(),
        }
    }

    /// The provisioning log once it holds `n` entries (entries are written after the answer).
    pub async fn wait_for_log(&self, tenant: &Tenant, n: usize) -> Vec<roster_domain::LogEntry> {
        for _ in 0..200 {
            let entries = self.roster.provisioning_log(tenant.org, 100).await.unwrap();
            if entries.len() >= n {
                return entries;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the provisioning log never reached {n} entries");
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self.router.clone().oneshot(request).await.unwrap();
        TestResponse::read(response).await
    }

    pub async fn get(&self, uri: &str, token: Option<&str>) -> TestResponse {
        let mut builder = Request::get(uri);
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(builder.body(Body::empty()).unwrap()).await
    }

    pub async fn post(&self, tenant: &Tenant, path: &str, body: &Value) -> TestResponse {
        self.send_json(
            "POST",
            &format!("{}{path}", tenant.base),
            &tenant.token,
            body,
        )
        .await
    }

    pub async fn patch(&self, tenant: &Tenant, path: &str, body: &Value) -> TestResponse {
        self.send_json(
            "PATCH",
            &format!("{}{path}", tenant.base),
            &tenant.token,
            body,
        )
        .await
    }

    pub async fn put(&self, tenant: &Tenant, path: &str, body: &Value) -> TestResponse {
        self.send_json(
            "PUT",
            &format!("{}{path}", tenant.base),
            &tenant.token,
            body,
        )
        .await
    }

    pub async fn delete(&self, tenant: &Tenant, path: &str) -> TestResponse {
        let request = Request::delete(format!("{}{path}", tenant.base))
            .header(header::AUTHORIZATION, format!("Bearer {}", tenant.token))
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    pub async fn scim_get(&self, tenant: &Tenant, path: &str) -> TestResponse {
        self.get(&format!("{}{path}", tenant.base), Some(&tenant.token))
            .await
    }

    /// Creates a user through SCIM and returns its id.
    pub async fn create_user(&self, tenant: &Tenant, user_name: &str) -> String {
        let response = self
            .post(
                tenant,
                "/Users",
                &serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": user_name,
                    "active": true,
                }),
            )
            .await;
        assert_eq!(response.status, 201, "{:#}", response.body);
        response.body["id"].as_str().unwrap().to_owned()
    }

    pub async fn send_json(
        &self,
        method: &str,
        uri: &str,
        token: &str,
        body: &Value,
    ) -> TestResponse {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/scim+json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(request).await
    }
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl TestResponse {
    async fn read(response: Response<Body>) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("body is not JSON: {}", String::from_utf8_lossy(&bytes)))
        };
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a SCIM error body (RFC 7644 §3.12) with this status and `scimType`.
    pub fn assert_scim_error(&self, status: u16, scim_type: Option<&str>) {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        assert_eq!(self.content_type(), "application/scim+json");
        assert_eq!(
            self.body["schemas"],
            serde_json::json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
        );
        assert_eq!(self.body["status"], status.to_string());
        assert_eq!(self.body["scimType"].as_str(), scim_type, "{:#}", self.body);
        assert!(
            self.body["detail"].as_str().is_some_and(|d| d.len() > 10),
            "detail must say what is wrong: {:#}",
            self.body
        );
    }
}

/// The `roster` binary with a database of its own.
pub struct Cli {
    pub database: PathBuf,
    _dir: TempDir,
}

impl Cli {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            database: dir.path().join("roster.db"),
            _dir: dir,
        }
    }

    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_roster"));
        command
            .env_remove("ROSTER_DATABASE_URL")
            .env_remove("ROSTER_PUBLIC_URL")
            .env_remove("ROSTER_LISTEN")
            .env_remove("ROSTER_SECRET_KEY_FILE")
            .env_remove("ROSTER_MICROSOFT_AUTHORITY_URL")
            .arg("--database")
            .arg(&self.database);
        command
    }

    /// Runs a command with `--json`, asserts success and returns its stdout as JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        let output = self.command().args(args).arg("--json").output().unwrap();
        assert!(
            output.status.success(),
            "roster {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "roster {args:?} printed something other than one JSON document ({e}): {}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    }

    /// Runs a command with `--json` and `input` on its standard input.
    pub fn with_stdin(&self, args: &[&str], input: &str) -> std::process::Output {
        use std::io::Write;
        let mut child = self
            .command()
            .args(args)
            .arg("--json")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs a command expected to fail; returns its stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let output = self.command().args(args).arg("--json").output().unwrap();
        assert!(
            !output.status.success(),
            "roster {args:?} should have failed"
        );
        assert!(output.stdout.is_empty(), "errors go to stderr only");
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    pub fn serve(&self, extra: &[&str]) -> Server {
        Server::start(self.command().arg("serve").args(extra))
    }

    /// `roster serve`, returned before it listens.
    pub fn start_serving(&self, extra: &[&str]) -> Starting {
        Starting::spawn(self.command().arg("serve").args(extra))
    }

    /// `roster serve` allowed at most `open_files` file descriptors (the shell's `ulimit -n`).
    pub fn serve_with_open_files(&self, open_files: u32, extra: &[&str]) -> Server {
        let mut command = Command::new("sh");
        command
            .env_remove("ROSTER_DATABASE_URL")
            .env_remove("ROSTER_PUBLIC_URL")
            .env_remove("ROSTER_LISTEN")
            .args(["-c", r#"ulimit -n "$0" && exec "$@""#])
            .arg(open_files.to_string())
            .arg(env!("CARGO_BIN_EXE_roster"))
            .arg("--database")
            .arg(&self.database)
            .arg("serve")
            .args(extra);
        Server::start(&mut command)
    }
}

/// A `roster serve` process that has not said where it listens yet (it may be waiting for its
/// database); killed when dropped.
pub struct Starting {
    child: Option<Child>,
    addr: std::sync::mpsc::Receiver<String>,
    /// What it logged before listening.
    startup: std::sync::Arc<std::sync::Mutex<String>>,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Starting {
    pub fn spawn(command: &mut Command) -> Self {
        let mut child = command
            .args(["--listen", "127.0.0.1:0"])
            .env("ROSTER_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let startup = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let kept = std::sync::Arc::clone(&log);
        let early = std::sync::Arc::clone(&startup);
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stderr).lines();
            for line in lines.by_ref().map_while(Result::ok) {
                if let Some(addr) = line.split("listening on ").nth(1) {
                    let addr = addr.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = tx.send(addr);
                    break;
                }
                let mut early = early.lock().unwrap();
                early.push_str(&line);
                early.push('\n');
            }
            // Keep draining so the server never blocks on a full pipe.
            for line in lines.map_while(Result::ok) {
                let mut log = kept.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Self {
            child: Some(child),
            addr: rx,
            startup,
            log,
        }
    }

    /// What it logged so far, before listening.
    pub fn startup_log(&self) -> String {
        self.startup.lock().unwrap().clone()
    }

    /// `Some(status)` once the process has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut().unwrap().try_wait().unwrap()
    }

    /// Waits until it listens.
    pub fn ready(mut self, timeout: Duration) -> Server {
        let addr = self.addr.recv_timeout(timeout).unwrap_or_else(|_| {
            panic!(
                "roster serve did not report its address: {}",
                self.startup_log()
            )
        });
        Server {
            child: self.child.take().unwrap(),
            addr,
            stderr: std::sync::Arc::clone(&self.log),
        }
    }
}

impl Drop for Starting {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A running `roster serve` on a random port; killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: String,
    /// Its stderr (the log) after the line saying where it listens; still filled after
    /// [`Server::terminate`].
    pub stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    fn start(command: &mut Command) -> Self {
        Starting::spawn(command).ready(Duration::from_secs(30))
    }
    /// What the server logged after it started listening.
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "server did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
