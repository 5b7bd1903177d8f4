//! The system under test: a `roster serve` process on its own database, an organization set up
//! through the CLI (`--json`), and the users and groups seeded through SCIM the way Entra's
//! initial cycle creates them; or another SCIM server (a peer) at a base URL, seeded with the
//! same users.

use roster_store_postgres::testing::TestDatabase;
use std::{
    fs::{self, File},
    io::{BufRead, BufReader, LineWriter, Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    process::{Child, ChildStderr, Command, Stdio},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
    time::Duration,
};

use anyhow::{Context, bail};
use clap::ValueEnum;
use reqwest::{Client, Method};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::task::JoinSet;

use crate::load::{member_patch, user_body};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreKind {
    Sqlite,
    Postgres,
}

impl StoreKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// How to start and seed a server.
#[derive(Debug)]
pub struct Setup<'a> {
    pub bin: &'a Path,
    pub postgres_url: Option<&'a str>,
    /// `ROSTER_LOG` for the server.
    pub log: &'a str,
    /// `--rate-limit` for the server (0: off).
    pub rate_limit: u32,
    pub users: usize,
    pub groups: usize,
    pub concurrency: usize,
}

/// A running server with a seeded organization.
#[derive(Debug)]
pub struct Target {
    /// `SQLite`, `PostgreSQL`, or a peer's name.
    pub label: String,
    /// `None` for a peer.
    pub kind: Option<StoreKind>,
    pub tenant: Arc<Tenant>,
    /// Roster's process; a peer runs elsewhere.
    server: Option<Child>,
    /// Kept for its `Drop`: removes the temporary directory or PostgreSQL database.
    _database: Database,
}

/// What a store's data lives in; only its `Drop` matters (directory or database removed).
#[derive(Debug)]
struct Database {
    _sqlite: Option<TempDir>,
    _postgres: Option<TestDatabase>,
}

impl Target {
    pub async fn start(kind: StoreKind, setup: &Setup<'_>) -> anyhow::Result<Self> {
        let bin = setup.bin;
        let (database, url) = match kind {
            StoreKind::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = dir.path().join("roster.db").display().to_string();
                (
                    Database {
                        _sqlite: Some(dir),
                        _postgres: None,
                    },
                    url,
                )
            }
            StoreKind::Postgres => {
                let admin = setup.postgres_url.context("no PostgreSQL URL")?;
                let db = TestDatabase::create(admin).await?;
                let url = db.url.clone();
                (
                    Database {
                        _sqlite: None,
                        _postgres: Some(db),
                    },
                    url,
                )
            }
        };
        // Seats for the seeded users and for every create the benchmark can send.
        let org = cli(
            bin,
            &url,
            &[
                "org",
                "create",
                "--name",
                "Bench Academy",
                "--kind",
                "business",
                "--seats",
                "4000000",
            ],
        )?;
        let org_id = org["id"].as_str().context("org create printed no id")?;
        let enabled = cli(bin, &url, &["scim", "enable", org_id])?;
        let token = enabled["token"]
            .as_str()
            .context("scim enable printed no token")?
            .to_owned();
        let (server, addr) = serve(bin, &url, setup.log, setup.rate_limit)?;
        let http = Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(setup.concurrency)
            .timeout(Duration::from_secs(60))
            .build()?;
        let mut target = Self {
            label: kind.label().to_owned(),
            kind: Some(kind),
            tenant: Arc::new(Tenant {
                http,
                base: format!("http://{addr}/scim/v2/{org_id}"),
                token: Some(token),
                entra_dialect: true,
                users: Vec::new(),
                groups: Vec::new(),
            }),
            server: Some(server),
            _database: database,
        };
        target
            .seed(setup.users, setup.groups, setup.concurrency)
            .await?;
        Ok(target)
    }

    /// Another SCIM server at `base` (`http://HOST:PORT/scim`, no trailing slash), seeded with
    /// the same users as Roster (no groups: the peer scenarios do not use them). Peers get
    /// `"active": true` rather than Entra's string `"True"`, which SCIMMY refuses.
    pub async fn peer(
        name: &str,
        base: &str,
        token: Option<&str>,
        setup: &Setup<'_>,
    ) -> anyhow::Result<Self> {
        let http = Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(setup.concurrency)
            .timeout(Duration::from_secs(60))
            .build()?;
        let mut target = Self {
            label: name.to_owned(),
            kind: None,
            tenant: Arc::new(Tenant {
                http,
                base: base.trim_end_matches('/').to_owned(),
                token: token.map(str::to_owned),
                entra_dialect: false,
                users: Vec::new(),
                groups: Vec::new(),
            }),
            server: None,
            _database: Database {
                _sqlite: None,
                _postgres: None,
            },
        };
        target.seed(setup.users, 0, setup.concurrency).await?;
        Ok(target)
    }

    async fn seed(
        &mut self,
        users: usize,
        groups: usize,
        concurrency: usize,
    ) -> anyhow::Result<()> {
        let (users, groups) = seed(&self.tenant, users, groups, concurrency).await?;
        // The seeding tasks have finished, so this is the only reference.
        let tenant = Arc::get_mut(&mut self.tenant).context("the tenant is still shared")?;
        tenant.users = users;
        tenant.groups = groups;
        Ok(())
    }

    /// Whether `scenario` runs on this target: peers get the requests every SCIM server
    /// answers alike (lookups, reads, creates), not Roster's group and Entra-dialect rows.
    pub fn runs(&self, scenario: crate::load::Scenario) -> bool {
        self.kind.is_some() || scenario.for_peers()
    }

    /// Stops the server, then drops the PostgreSQL database (in that order: see `Drop`).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        // Runs before the fields drop: the server is gone before its database is. Also on an
        // early error, so a failed run never leaves a server behind.
        if let Some(server) = &mut self.server {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

/// The organization's SCIM tenant on one server, and what was seeded into it.
#[derive(Debug)]
pub struct Tenant {
    http: Client,
    /// The tenant URL, `http://ADDR/scim/v2/ORG` (a peer's base URL).
    base: String,
    /// Bearer token; a peer may need none.
    token: Option<String>,
    /// Roster understands Entra's string booleans; peers get plain JSON ones.
    pub entra_dialect: bool,
    /// Seeded users: `(id, userName)`.
    pub users: Vec<(String, String)>,
    /// Seeded group ids.
    pub groups: Vec<String>,
}

impl Tenant {
    /// The server's `host:port` and the tenant's path (`/scim/v2/ORG`, or a peer's base path),
    /// for [`crate::lean`].
    pub fn address_and_path(&self) -> anyhow::Result<(&str, &str)> {
        let rest = self
            .base
            .strip_prefix("http://")
            .with_context(|| format!("{} is not a plain HTTP URL", self.base))?;
        Ok(rest.split_at(rest.find('/').unwrap_or(rest.len())))
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Sends one SCIM request; the caller reads (or drops) the response.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> reqwest::Result<reqwest::Response> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        request.send().await
    }

    /// Sends a seeding request that must answer `status`; returns the parsed body.
    async fn expect(
        &self,
        method: Method,
        path: &str,
        body: &Value,
        status: u16,
    ) -> anyhow::Result<Value> {
        let response = self.send(method.clone(), path, Some(body)).await?;
        let got = response.status().as_u16();
        let bytes = response.bytes().await?;
        if got != status {
            bail!(
                "seeding: {method} {path} answered {got}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)?
        })
    }
}

/// Users by POST (in parallel, as Entra's initial cycle does), then groups, then members
/// spread evenly over the groups in PATCHes of 100 values.
async fn seed(
    this: &Arc<Tenant>,
    users: usize,
    groups: usize,
    concurrency: usize,
) -> anyhow::Result<(Vec<(String, String)>, Vec<String>)> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = JoinSet::new();
    for _ in 0..concurrency {
        let (this, next) = (Arc::clone(this), Arc::clone(&next));
        workers.spawn(async move {
            let mut made = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= users {
                    return anyhow::Ok(made);
                }
                let name = format!("user{i:06}@bench.example");
                let body = user_body(&name, this.entra_dialect);
                let body = this.expect(Method::POST, "/Users", &body, 201).await?;
                let id = body["id"].as_str().context("no id")?.to_owned();
                made.push((i, id, name));
            }
        });
    }
    let mut made = Vec::with_capacity(users);
    while let Some(result) = workers.join_next().await {
        made.extend(result??);
    }
    made.sort_unstable_by_key(|(i, _, _)| *i);
    let seeded: Vec<(String, String)> = made.into_iter().map(|(_, id, name)| (id, name)).collect();
    let mut group_ids = Vec::with_capacity(groups);

    for g in 0..groups {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": format!("Cohort {g:03}"),
            "externalId": format!("cohort-{g}"),
            "members": [],
        });
        let created = this.expect(Method::POST, "/Groups", &body, 201).await?;
        group_ids.push(created["id"].as_str().context("no id")?.to_owned());
    }
    let mut patches = JoinSet::new();
    for (g, group) in group_ids.iter().enumerate() {
        let members: Vec<&String> = seeded
            .iter()
            .skip(g)
            .step_by(groups)
            .map(|(id, _)| id)
            .collect();
        for chunk in members.chunks(100) {
            let body = member_patch("Add", chunk.iter().map(|id| id.as_str()));
            let (this, path) = (Arc::clone(this), format!("/Groups/{group}"));
            patches.spawn(async move { this.expect(Method::PATCH, &path, &body, 204).await });
            // Bounded parallelism, like the user seeding.
            if patches.len() >= concurrency
                && let Some(result) = patches.join_next().await
            {
                result??;
            }
        }
    }
    while let Some(result) = patches.join_next().await {
        result??;
    }
    Ok((seeded, group_ids))
}

/// `cargo build --release -p roster`, and the executable Cargo reports: never a stale binary.
pub fn build_release_binary() -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--release", "-p", "roster", "--bin", "roster"])
        .args(["--message-format", "json-render-diagnostics"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo")?;
    anyhow::ensure!(output.status.success(), "cargo build -p roster failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "roster")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .context("cargo reported no roster executable")
}

pub(crate) fn command(bin: &Path, database: &str) -> Command {
    let mut command = Command::new(bin);
    command
        .env_remove("ROSTER_DATABASE_URL")
        .env_remove("ROSTER_PUBLIC_URL")
        .env_remove("ROSTER_LISTEN")
        .env_remove("ROSTER_RATE_LIMIT")
        .args(["--database", database]);
    command
}

/// Runs a CLI command with `--json` and returns what it printed.
pub(crate) fn cli(bin: &Path, database: &str, args: &[&str]) -> anyhow::Result<Value> {
    let output = command(bin, database).args(args).arg("--json").output()?;
    if !output.status.success() {
        bail!(
            "roster {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// Starts `roster serve` on a random loopback port; returns it with the address it reported.
/// Its log goes to a file of its own (see [`finish_logs`]).
pub(crate) fn serve(
    bin: &Path,
    database: &str,
    log: &str,
    rate_limit: u32,
) -> anyhow::Result<(Child, String)> {
    let (path, file) = new_log_file()?;
    let mut child = command(bin, database)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(["--rate-limit", &rate_limit.to_string()])
        .env("ROSTER_LOG", log)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting roster serve")?;
    let stderr = child.stderr.take().context("no stderr")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || keep_log(stderr, &path, file, &tx));
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(addr) => Ok((child, addr)),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            bail!("roster serve did not report its address (is ROSTER_LOG at least info?)")
        }
    }
}

/// A server's log file beyond which it starts afresh, its older half moved to `NAME.log.1`: an
/// info-level log has a line per request, and a million-account run would fill gigabytes.
const MAX_LOG_BYTES: u64 = 128 * 1024 * 1024;
/// Lines of each server's log printed when a run fails.
const TAIL_LINES: usize = 40;

/// Every server log of this run, in the order the servers started.
static LOG_FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Outside the servers' temporary directories, which go with their databases when the run
/// fails: the log must outlive them to say why.
fn log_dir() -> PathBuf {
    std::env::temp_dir().join(format!("roster-bench-{}", std::process::id()))
}

fn log_files() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // Only a list of paths behind it: a panic elsewhere leaves it usable.
    LOG_FILES.lock().unwrap_or_else(PoisonError::into_inner)
}

fn new_log_file() -> anyhow::Result<(PathBuf, File)> {
    let dir = log_dir();
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut files = log_files();
    let path = dir.join(format!("server-{}.log", files.len() + 1));
    let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    files.push(path.clone());
    Ok((path, file))
}

/// Copies the server's stderr to `file` line by line (so the file is complete whenever the run
/// stops), sending the address of the `listening on` line to `addr`. It drains the pipe to the
/// end: a full pipe would block the server's logging.
fn keep_log(stderr: ChildStderr, path: &Path, file: File, addr: &mpsc::Sender<String>) {
    let mut out = LineWriter::new(file);
    let mut written = 0u64;
    let mut listening = false;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if !listening && let Some(found) = line.split("listening on ").nth(1) {
            let _ = addr.send(found.split_whitespace().next().unwrap_or("").to_owned());
            listening = true;
        }
        if written > MAX_LOG_BYTES {
            let older = path.with_extension("log.1");
            if fs::rename(path, &older).is_ok()
                && let Ok(fresh) = File::create(path)
            {
                out = LineWriter::new(fresh);
                written = 0;
            }
        }
        written += line.len() as u64 + 1;
        // A log that cannot be written is no reason to stop draining the pipe.
        let _ = writeln!(out, "{line}");
    }
}

/// Once the run is over (its servers stopped): after a failure, each server log's path and last
/// lines, so the run says why the server refused; after a success the logs are removed.
pub fn finish_logs(failed: bool) {
    let files = log_files().clone();
    if !failed {
        let _ = fs::remove_dir_all(log_dir());
        return;
    }
    for path in files {
        eprintln!(
            "--- last {TAIL_LINES} lines of the server log {} ---",
            path.display()
        );
        match tail(&path, TAIL_LINES) {
            Ok(lines) => lines.iter().for_each(|line| eprintln!("{line}")),
            Err(e) => eprintln!("(cannot read it: {e})"),
        }
    }
}

/// The last `n` lines of the file at `path`, read from its last 256 KiB.
fn tail(path: &Path, n: usize) -> std::io::Result<Vec<String>> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let start = len.saturating_sub(256 * 1024);
    file.seek(SeekFrom::Start(start))?;
    let mut text = Vec::new();
    file.read_to_end(&mut text)?;
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text.lines().collect();
    // From the middle of the file, the first line read may be cut.
    let whole = usize::from(start > 0);
    Ok(lines[whole.min(lines.len())..]
        .iter()
        .rev()
        .take(n)
        .rev()
        .map(|line| (*line).to_owned())
        .collect())
}
