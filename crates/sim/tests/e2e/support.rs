//! The harness: a real `roster serve` on a random port with a temporary SQLite database, the
//! `roster` CLI (`--json`) for setup and checks, and the simulator pointed at the tenant.
//!
//! Finding the binary: `CARGO_BIN_EXE_roster` exists only for tests of the `roster` package, so
//! this suite asks Cargo for it. Once per test process it runs `$CARGO build -p roster` (Cargo
//! releases its build lock while tests run, and a fresh build is a no-op) and takes the path of
//! the executable from Cargo's JSON messages. That can never run a stale binary, which locating
//! `target/<profile>/roster` by hand could. `ROSTER_BIN=/path/to/roster` skips the build.

use std::{
    collections::BTreeSet,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{OnceLock, mpsc},
    time::Duration,
};

use roster_sim::{
    ClientConfig, Comparison, CycleReport, Directory, Engine, EngineConfig, Profile, compare,
    directory::{GroupId, UserId},
    scope::Scope,
};
use serde_json::Value;
use tempfile::TempDir;

/// The `roster` executable, built (or found through `ROSTER_BIN`) once per process.
pub fn roster_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(path) = std::env::var_os("ROSTER_BIN") {
            return PathBuf::from(path);
        }
        let mut command = Command::new(env!("CARGO"));
        command
            .args(["build", "-p", "roster", "--bin", "roster"])
            .args(["--message-format", "json-render-diagnostics"])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if is_release_build() {
            command.arg("--release");
        }
        let output = command
            .stderr(Stdio::inherit())
            .output()
            .expect("cargo runs");
        assert!(output.status.success(), "cargo build -p roster failed");
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "roster")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reports the roster executable")
    })
}

/// Whether this test binary was built with the release profile (then so is the server).
fn is_release_build() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent()?.file_name().map(|n| n == "release"))
        .unwrap_or(false)
}

/// A temporary database, the CLI on it, and a running server.
pub struct Roster {
    pub database: PathBuf,
    server: Child,
    pub addr: String,
    _dir: TempDir,
}

impl Roster {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("roster.db");
        let mut server = base_command(&database)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("ROSTER_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = server.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stderr).lines();
            for line in lines.by_ref().map_while(Result::ok) {
                if let Some(addr) = line.split("listening on ").nth(1) {
                    let addr = addr.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = tx.send(addr);
                    break;
                }
            }
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("roster serve reports its address");
        Self {
            database,
            server,
            addr,
            _dir: dir,
        }
    }

    /// `roster <args> --json`, asserting success; stdout as JSON.
    pub fn cli(&self, args: &[&str]) -> Value {
        let output = base_command(&self.database)
            .args(args)
            .arg("--json")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "roster {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "roster {args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    }

    /// `roster <args> --json`, asserting failure; stderr.
    pub fn cli_fails(&self, args: &[&str]) -> String {
        let output = base_command(&self.database)
            .args(args)
            .arg("--json")
            .output()
            .unwrap();
        assert!(
            !output.status.success(),
            "roster {args:?} should have failed"
        );
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    pub fn seats_used(&self, org: &Org) -> u64 {
        self.cli(&["org", "show", &org.id])["seats_used"]
            .as_u64()
            .unwrap()
    }

    /// An organization with SCIM enabled, its Tenant URL pointing at this server.
    pub fn org(&self, kind: &str, seats: u32) -> Org {
        let org = self.cli(&[
            "org",
            "create",
            "--name",
            "Ridgemont High",
            "--kind",
            kind,
            "--seats",
            &seats.to_string(),
        ]);
        let id = org["id"].as_str().unwrap().to_owned();
        let public_url = format!("http://{}", self.addr);
        let scim = self.cli(&["--public-url", &public_url, "scim", "enable", &id]);
        Org {
            id,
            tenant_url: scim["tenant_url"].as_str().unwrap().to_owned(),
            token: scim["token"].as_str().unwrap().to_owned(),
        }
    }
}

impl Drop for Roster {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn base_command(database: &Path) -> Command {
    let mut command = Command::new(roster_bin());
    command
        .env_remove("ROSTER_DATABASE_URL")
        .env_remove("ROSTER_PUBLIC_URL")
        .env_remove("ROSTER_LISTEN")
        .arg("--database")
        .arg(database);
    command
}

pub struct Org {
    pub id: String,
    pub tenant_url: String,
    pub token: String,
}

impl Org {
    /// A provisioning job for this tenant. Retry-After is capped at 1 s to keep tests fast.
    pub fn engine(&self, profile: Profile) -> Engine {
        let mut client = ClientConfig::new(&self.tenant_url, &self.token);
        client.max_retry_after = Duration::from_secs(1);
        client.timeout = Duration::from_secs(30);
        let mut config = EngineConfig::new(profile);
        config.workers = 4;
        config.member_batch = 8;
        Engine::new(client, config).unwrap()
    }
}

/// Runs one cycle and asserts it was clean (every action succeeded).
pub async fn clean_cycle(engine: &mut Engine, directory: &Directory) -> CycleReport {
    let report = engine.run_cycle(directory).await;
    assert!(report.is_clean(), "cycle was not clean:\n{report}");
    report
}

/// What Roster holds beyond the directory: members added by hand, roles kept from hand-made
/// accounts.
#[derive(Debug, Default, Clone)]
pub struct Expect {
    /// `(group displayName, userName)` added with `roster group add-member`.
    pub manual_members: Vec<(String, String)>,
    /// `(userName, role)` for matched accounts whose role is not the lowest one.
    pub roles: Vec<(String, String)>,
}

/// Asserts the tenant agrees with the directory through SCIM (the simulator's comparison) and
/// through the CLI (`roster user show`, `roster group show`). Hand-added members must be present
/// as `manual` and are the only extra members allowed.
pub async fn assert_agrees(
    roster: &Roster,
    org: &Org,
    engine: &Engine,
    directory: &Directory,
    expect: &Expect,
) -> Comparison {
    let comparison = compare(engine, directory).await;
    let manual_names: Vec<&str> = expect
        .manual_members
        .iter()
        .map(|(_, u)| u.as_str())
        .collect();
    let left = comparison.ignoring_extra_members(&manual_names);
    assert!(
        left.is_empty(),
        "SCIM disagrees with the directory:\n{}",
        left.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_cli_agrees(roster, org, engine, directory, expect);
    comparison
}

fn assert_cli_agrees(
    roster: &Roster,
    org: &Org,
    engine: &Engine,
    directory: &Directory,
    expect: &Expect,
) {
    let scope = Scope::of(directory);
    let state = engine.state();
    for (id, synced) in &state.users {
        let shown = roster.cli(&["user", "show", &synced.attrs.user_name]);
        let name = &synced.attrs.user_name;
        assert_eq!(
            shown["id"].as_str(),
            Some(synced.scim_id.as_str()),
            "{name}"
        );
        assert_eq!(shown["org"].as_str(), Some(org.id.as_str()), "{name}");
        assert_eq!(
            shown["active"],
            Value::Bool(scope.users.contains(id)),
            "{name}: {shown}"
        );
        assert_eq!(shown["scim_managed"], Value::Bool(true), "{name}");
        let role = expect
            .roles
            .iter()
            .find(|(u, _)| u.eq_ignore_ascii_case(name))
            .map_or("student", |(_, r)| r.as_str());
        assert_eq!(shown["role"], role, "SCIM never changes a role: {name}");
    }
    for id in &scope.groups {
        let group = &directory.groups[id];
        let shown = roster.cli(&[
            "group",
            "show",
            "--org",
            &org.id,
            "--group",
            &group.display_name,
        ]);
        let members = shown["members"].as_array().unwrap();
        let by_source = |source: &str| -> BTreeSet<String> {
            members
                .iter()
                .filter(|m| m["source"] == source)
                .map(|m| m["user_name"].as_str().unwrap().to_ascii_lowercase())
                .collect()
        };
        let wanted: BTreeSet<String> = Scope::members_of(directory, id)
            .iter()
            .filter_map(|u| state.users.get(u))
            .map(|s| s.attrs.user_name.to_ascii_lowercase())
            .collect();
        assert_eq!(
            by_source("scim"),
            wanted,
            "SCIM members of {}",
            group.display_name
        );
        let hand_added: BTreeSet<String> = expect
            .manual_members
            .iter()
            .filter(|(g, _)| g.eq_ignore_ascii_case(&group.display_name))
            .map(|(_, u)| u.to_ascii_lowercase())
            .collect();
        assert_eq!(
            by_source("manual"),
            hand_added,
            "hand-added members of {}",
            group.display_name
        );
    }
}

/// The `roster user show` JSON of a user.
pub fn shown_user(roster: &Roster, user_name: &str) -> Value {
    roster.cli(&["user", "show", user_name])
}

/// The directory user with this UPN.
pub fn upn(directory: &Directory, id: &UserId) -> String {
    directory.users[id].spec.user_principal_name.clone()
}

pub fn group_name(directory: &Directory, id: &GroupId) -> String {
    directory.groups[id].display_name.clone()
}
