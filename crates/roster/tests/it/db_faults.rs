//! What clients see when the database fails, against the real binary: PostgreSQL gone (a proxy
//! the test cuts and restores, since other tests share the machine's server), its backends
//! killed from the server side, a statement timeout; SQLite out of disk space (a tiny tmpfs, when
//! this user may mount one). Every request answers 503 with a SCIM error and `Retry-After`, in
//! well under the 30 s request timeout, `/readyz` fails while PostgreSQL is unreachable or SQLite
//! cannot write (and recovers without client writes), and the
//! same process serves again once the database is back. `serve` started before PostgreSQL waits
//! for it; a database that does not exist fails at once.
//!
//! The PostgreSQL tests need `ROSTER_TEST_POSTGRES_URL`; without it they print that they are
//! skipped and pass.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::{Client, Method};
use roster_store_postgres::testing;
use serde_json::{Value, json};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
    task::JoinHandle,
};

use crate::support::{Cli, Server};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// Far below the 30 s request timeout: an unreachable database is answered, not waited for.
const PROMPT: Duration = Duration::from_secs(10);

/// A TCP proxy between `roster serve` and PostgreSQL. Cut, it closes every open connection and
/// each new one at once, as a stopped server does. Frozen, it keeps every connection open and
/// takes new ones, but forwards nothing (what arrives is held), as a server that hangs or a
/// network partition that drops packets without a reset does. Restored, it forwards again,
/// held bytes first.
struct Proxy {
    addr: SocketAddr,
    link: watch::Sender<Link>,
    task: JoinHandle<()>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Up,
    Cut,
    Frozen,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (link, watching) = watch::channel(Link::Up);
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let mut link = watching.clone();
                if *link.borrow_and_update() == Link::Cut {
                    continue;
                }
                let target = target.clone();
                tokio::spawn(async move {
                    // A connection taken while frozen reaches the server only once thawed.
                    if wait_unfrozen(&mut link).await != Link::Up {
                        return;
                    }
                    let Ok(server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    let mut cut = link.clone();
                    tokio::select! {
                        () = forward(client_read, server_write, link.clone()) => {}
                        () = forward(server_read, client_write, link) => {}
                        _ = cut.wait_for(|l| *l == Link::Cut) => {}
                    }
                });
            }
        });
        Self { addr, link, task }
    }

    fn cut(&self) {
        self.link.send_replace(Link::Cut);
    }

    fn freeze(&self) {
        self.link.send_replace(Link::Frozen);
    }

    fn restore(&self) {
        self.link.send_replace(Link::Up);
    }
}

/// The link's state once it is not frozen.
async fn wait_unfrozen(link: &mut watch::Receiver<Link>) -> Link {
    link.wait_for(|l| *l != Link::Frozen)
        .await
        .map_or(Link::Cut, |l| *l)
}

/// Copies `from` to `to` until either closes or the link is cut; holds what it read while the
/// link is frozen.
async fn forward(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut link: watch::Receiver<Link>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        if wait_unfrozen(&mut link).await != Link::Up
            || to.write_all(&buffer[..read]).await.is_err()
        {
            return;
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `host:port` of a `postgres://` URL.
fn host_port(url: &str) -> String {
    let (_, authority) = authority(url);
    if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:5432")
    }
}

/// `url` pointing at `addr` instead of its server.
fn through(url: &str, addr: SocketAddr) -> String {
    let (start, authority) = authority(url);
    url.replacen(
        &format!("{}{authority}", &url[..start]),
        &format!("{}{addr}", &url[..start]),
        1,
    )
}

/// Where the host part of `url` starts, and the host part (`host[:port]`).
fn authority(url: &str) -> (usize, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let userinfo = rest[..end].rfind('@').map_or(0, |i| i + 1);
    (after_scheme + userinfo, &rest[userinfo..end])
}

fn database_name(url: &str) -> String {
    let base = url.split('?').next().unwrap();
    base.rsplit('/').next().unwrap().to_owned()
}

/// Runs `sql` on `url` in a connection of its own.
async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// Kills every other backend connected to the database of `url`; returns how many.
async fn terminate_backends(url: &str) -> i64 {
    let client = connect(url).await;
    let rows = client
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&database_name(url)],
        )
        .await
        .unwrap();
    i64::try_from(rows.len()).unwrap()
}

#[derive(Clone)]
struct Scim {
    client: Client,
    base: String,
    token: String,
}

struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: Value,
    took: Duration,
}

impl Answer {
    /// The answer of an unavailable database: 503, a SCIM error, `Retry-After`, promptly.
    fn assert_unavailable(&self, what: &str) {
        self.assert_unavailable_within(what, PROMPT);
    }

    /// [`Self::assert_unavailable`], answered within `bound`.
    fn assert_unavailable_within(&self, what: &str, bound: Duration) {
        assert_eq!(self.status, 503, "{what}: {:#}", self.body);
        assert_eq!(self.body["schemas"], json!([ERROR_SCHEMA]), "{what}");
        assert_eq!(self.body["status"], "503", "{what}");
        assert!(
            self.body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("database")),
            "{what}: {:#}",
            self.body
        );
        assert_eq!(self.retry_after.as_deref(), Some("5"), "{what}");
        assert!(self.took < bound, "{what} took {:?}", self.took);
    }
}

impl Scim {
    fn new(server: &Server, org: &str, token: &str) -> Self {
        Self {
            client: Client::builder()
                .timeout(Duration::from_secs(45))
                .build()
                .unwrap(),
            base: server.url(&format!("/scim/v2/{org}")),
            token: token.to_owned(),
        }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let started = Instant::now();
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        Answer {
            status,
            retry_after,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
            took: started.elapsed(),
        }
    }

    async fn create(&self, user_name: &str) -> Answer {
        let user = json!({"schemas": [USER_SCHEMA], "userName": user_name, "active": true});
        self.send(Method::POST, "/Users", Some(user)).await
    }

    async fn ready(&self, server: &Server) -> u16 {
        self.client
            .get(server.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Creates users until one is stored, or panics after `within`.
    async fn until_created(&self, prefix: &str, within: Duration) -> Duration {
        let started = Instant::now();
        for i in 0.. {
            let answer = self.create(&format!("{prefix}{i}@faults.example")).await;
            match answer.status {
                201 => return started.elapsed(),
                503 => answer.assert_unavailable("a create while the database comes back"),
                other => panic!("{prefix}: unexpected {other} {:#}", answer.body),
            }
            assert!(
                started.elapsed() < within,
                "{prefix}: still refused after {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        unreachable!()
    }
}

/// An organization with SCIM enabled, through the CLI; returns its id and token.
fn tenant(cli: &Cli) -> (String, String) {
    let org = cli.json(&[
        "org",
        "create",
        "--name",
        "Faults High",
        "--kind",
        "school",
        "--seats",
        "10000",
    ]);
    let org_id = org["id"].as_str().unwrap().to_owned();
    let token = cli.json(&["scim", "enable", &org_id])["token"]
        .as_str()
        .unwrap()
        .to_owned();
    (org_id, token)
}

/// Creates users from `clients` clients until `stop`; returns every answer.
fn load(scim: &Scim, clients: usize, stop: &Arc<AtomicBool>) -> Vec<JoinHandle<Vec<Answer>>> {
    (0..clients)
        .map(|c| {
            let scim = scim.clone();
            let stop = Arc::clone(stop);
            tokio::spawn(async move {
                let mut answers = Vec::new();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    answers.push(scim.create(&format!("load{c}-{i}@faults.example")).await);
                    i += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                answers
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_down_killed_or_slow_is_503_with_retry_after_and_recovers_without_a_restart() {
    let Some(admin_url) = testing::server_url() else {
        return;
    };
    let db = testing::TestDatabase::create(&admin_url).await.unwrap();
    let proxy = Proxy::start(host_port(&admin_url)).await;
    let mut cli = Cli::new();
    cli.database = PathBuf::from(through(&db.url, proxy.addr));
    let (org, token) = tenant(&cli);
    let server = cli.serve(&[]);
    let scim = Scim::new(&server, &org, &token);
    assert_eq!(scim.create("before@faults.example").await.status, 201);
    assert_eq!(scim.ready(&server).await, 200);

    // PostgreSQL goes away under load from four clients, and comes back.
    let stop = Arc::new(AtomicBool::new(false));
    let workers = load(&scim, 4, &stop);
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(500)).await;
    scim.create("while-down@faults.example")
        .await
        .assert_unavailable("a create while PostgreSQL is down");
    scim.send(Method::GET, "/Users?count=5", None)
        .await
        .assert_unavailable("a list while PostgreSQL is down");
    assert_eq!(
        scim.ready(&server).await,
        503,
        "readyz while PostgreSQL is down"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.restore();
    let took = scim.until_created("back", Duration::from_secs(15)).await;
    assert!(took < Duration::from_secs(15));
    assert_eq!(
        scim.ready(&server).await,
        200,
        "readyz once PostgreSQL is back"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut answers = Vec::new();
    for worker in workers {
        answers.extend(worker.await.unwrap());
    }
    let stored = answers.iter().filter(|a| a.status == 201).count();
    let refused = answers.iter().filter(|a| a.status == 503).count();
    for answer in &answers {
        match answer.status {
            201 => {}
            503 => answer.assert_unavailable("a create under load while PostgreSQL is down"),
            other => panic!("under load: unexpected {other} {:#}", answer.body),
        }
    }
    assert!(
        stored > 0 && refused > 0,
        "{stored} stored, {refused} refused"
    );

    // Every backend killed from the server side: the pool drops the dead connections and opens
    // new ones; at most the requests that held one see a 503.
    assert!(terminate_backends(&db.url).await >= 1);
    scim.until_created("after-kill", Duration::from_secs(5))
        .await;
    for i in 0..10 {
        let answer = scim.create(&format!("steady{i}@faults.example")).await;
        assert_eq!(answer.status, 201, "{:#}", answer.body);
    }

    // A statement timeout: new sessions get 1 s (existing ones are killed so the pool reopens
    // them), and a lock held elsewhere makes a create wait on it.
    let admin = connect(&db.url).await;
    admin
        .batch_execute(&format!(
            "ALTER DATABASE \"{}\" SET statement_timeout = '1s'",
            database_name(&db.url)
        ))
        .await
        .unwrap();
    terminate_backends(&db.url).await;
    scim.until_created("after-timeout-set", Duration::from_secs(5))
        .await;
    let mut locker = connect(&db.url).await;
    let lock = locker.transaction().await.unwrap();
    lock.batch_execute(
        "SET LOCAL statement_timeout = 0; LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE",
    )
    .await
    .unwrap();
    scim.create("behind-a-lock@faults.example")
        .await
        .assert_unavailable("a create that hit the statement timeout");
    lock.rollback().await.unwrap();
    scim.until_created("after-lock", Duration::from_secs(5))
        .await;

    let log = server.log();
    assert!(!log.contains("panicked"), "{log}");
    assert!(log.contains("database unavailable"), "{log}");
    // Still the first process: it was never restarted.
    drop(admin);
    drop(locker);
    server.terminate();
}

/// The bound on a request while PostgreSQL holds every byte and answers nothing: the store's
/// 10 s per round trip, plus a loaded machine's slack; far from the 30 s request timeout.
const FROZEN_BOUND: Duration = Duration::from_secs(14);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_that_stops_answering_is_503_within_a_bound_and_recovers_when_it_answers() {
    let Some(admin_url) = testing::server_url() else {
        return;
    };
    let db = testing::TestDatabase::create(&admin_url).await.unwrap();
    let proxy = Proxy::start(host_port(&admin_url)).await;
    let mut cli = Cli::new();
    cli.database = PathBuf::from(through(&db.url, proxy.addr));
    let (org, token) = tenant(&cli);
    let server = cli.serve(&[]);
    let scim = Scim::new(&server, &org, &token);
    assert_eq!(scim.create("before@faults.example").await.status, 201);
    assert_eq!(scim.ready(&server).await, 200);

    // The link freezes under load: open connections (idle ones and those mid-statement) and
    // new ones alike get no answer, and nothing closes.
    let stop = Arc::new(AtomicBool::new(false));
    let workers = load(&scim, 4, &stop);
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.freeze();
    let timed_ready = async {
        let started = Instant::now();
        (scim.ready(&server).await, started.elapsed())
    };
    let (created, listed, (ready, ready_took)) = tokio::join!(
        scim.create("while-frozen@faults.example"),
        scim.send(Method::GET, "/Users?count=5", None),
        timed_ready,
    );
    created.assert_unavailable_within("a create while PostgreSQL is frozen", FROZEN_BOUND);
    listed.assert_unavailable_within("a list while PostgreSQL is frozen", FROZEN_BOUND);
    assert_eq!(ready, 503, "readyz while PostgreSQL is frozen");
    assert!(ready_took < FROZEN_BOUND, "readyz took {ready_took:?}");

    proxy.restore();
    scim.until_created("thawed", Duration::from_secs(15)).await;
    assert_eq!(scim.ready(&server).await, 200, "readyz once thawed");
    stop.store(true, Ordering::Relaxed);
    let mut answers = Vec::new();
    for worker in workers {
        answers.extend(worker.await.unwrap());
    }
    for answer in &answers {
        match answer.status {
            201 => assert!(
                answer.took < FROZEN_BOUND,
                "a create under load that waited into the thaw took {:?}",
                answer.took
            ),
            503 => answer.assert_unavailable_within(
                "a create under load while PostgreSQL is frozen",
                FROZEN_BOUND,
            ),
            other => panic!("under load: unexpected {other} {:#}", answer.body),
        }
    }
    // Whether a worker's request was answered 503 or waited into the thaw and succeeded
    // depends on when it started against the requests above: either is right, a hang is not.
    for i in 0..5 {
        let answer = scim.create(&format!("steady{i}@faults.example")).await;
        assert_eq!(answer.status, 201, "{:#}", answer.body);
    }
    let log = server.log();
    assert!(log.contains("did not answer within 10 s"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    server.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_waits_for_postgresql_to_answer_and_then_starts() {
    let Some(admin_url) = testing::server_url() else {
        return;
    };
    let db = testing::TestDatabase::create(&admin_url).await.unwrap();
    let proxy = Proxy::start(host_port(&admin_url)).await;
    proxy.cut();
    let mut cli = Cli::new();
    cli.database = PathBuf::from(through(&db.url, proxy.addr));
    let mut starting = cli.start_serving(&[]);
    // Attempts at 0 s, 1 s and 3 s: two waits logged, the process still running.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert!(starting.exited().is_none(), "{}", starting.startup_log());
    let log = starting.startup_log();
    assert!(
        log.contains("PostgreSQL does not answer (connecting); retrying in 1 s"),
        "{log}"
    );
    assert!(log.contains("retrying in 2 s"), "{log}");
    assert!(
        log.contains(&format!("127.0.0.1:{}", proxy.addr.port())),
        "{log}"
    );
    proxy.restore();
    let server = starting.ready(Duration::from_secs(20));
    let ready = reqwest::get(server.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    server.terminate();
}

#[tokio::test]
async fn serve_refuses_at_once_a_database_that_does_not_exist() {
    let Some(admin_url) = testing::server_url() else {
        return;
    };
    let mut cli = Cli::new();
    let base = admin_url.split('?').next().unwrap();
    let (server, _) = base.rsplit_once('/').unwrap();
    cli.database = PathBuf::from(format!("{server}/roster_no_such_database"));
    let started = Instant::now();
    let mut child = cli
        .command()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("serve kept waiting for a database that does not exist");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(!stderr.contains("retrying"), "{stderr}");
}

/// A tmpfs of its own, unmounted when dropped; `None` when this user may not mount.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        if run(
            "mount",
            &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"],
            dir.path(),
        ) {
            Some(Self { dir })
        } else {
            println!("skipped: this user may not mount a tmpfs (needs root)");
            None
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        unmount(self.dir.path());
    }
}

/// Runs `program args… path` quietly; whether it succeeded.
fn run(program: &str, args: &[&str], path: &Path) -> bool {
    std::process::Command::new(program)
        .args(args)
        .arg(path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn unmount(path: &Path) {
    let _ = std::process::Command::new("umount")
        .arg("-l")
        .arg(path)
        .status();
}

/// An ext4 file system in a file on a [`Tmpfs`], loop-mounted with `errors=remount-ro`, that
/// the test turns read-only the way Linux turns a disk read-only beneath a running process: a
/// file-system error. `mount -o remount,ro` cannot do it: the kernel refuses (busy) while a
/// file is open for writing, as SQLite keeps its database. `None` when this user may not mount
/// or the machine has no loop devices or `mkfs.ext4`.
struct Ext4 {
    dir: tempfile::TempDir,
    /// The loop device's name (`loop3`), under which ext4 lists the file system in sysfs.
    device: String,
    _image: Tmpfs,
}

impl Ext4 {
    fn mount() -> Option<Self> {
        let image = Tmpfs::mount("48m")?;
        let file = image.path().join("ext4.img");
        std::fs::File::create(&file)
            .unwrap()
            .set_len(40 << 20)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file_name = file.display().to_string();
        if !run("mkfs.ext4", &["-q", "-F"], &file)
            || !run(
                "mount",
                &["-o", "loop,errors=remount-ro", &file_name],
                dir.path(),
            )
        {
            println!("skipped: no ext4 file system on a loop device here");
            return None;
        }
        let source = std::process::Command::new("findmnt")
            .args(["-n", "-o", "SOURCE"])
            .arg(dir.path())
            .output()
            .unwrap();
        let device = String::from_utf8(source.stdout).unwrap();
        let device = device.trim().trim_start_matches("/dev/").to_owned();
        assert!(device.starts_with("loop"), "mounted from {device:?}");
        Some(Self {
            dir,
            device,
            _image: image,
        })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Reports a file-system error, which makes ext4 refuse every write from now on.
    fn turn_read_only(&self) {
        std::fs::write(
            format!("/sys/fs/ext4/{}/trigger_fs_error", self.device),
            "db_faults: the disk turns read-only",
        )
        .unwrap();
    }
}

impl Drop for Ext4 {
    fn drop(&mut self) {
        unmount(self.dir.path());
    }
}

/// Fills the file system under `dir` until it is full.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0_u8; 4096];
    while file.write_all(&chunk).is_ok() {}
    let _ = file.sync_all();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_out_of_disk_space_is_503_with_retry_after_and_recovers_when_space_is_freed() {
    let Some(disk) = Tmpfs::mount("8m") else {
        return;
    };
    let mut cli = Cli::new();
    cli.database = disk.path().join("roster.db");
    let (org, token) = tenant(&cli);
    let server = cli.serve(&[]);
    let scim = Scim::new(&server, &org, &token);
    assert_eq!(scim.create("before@faults.example").await.status, 201);

    let filler = fill(disk.path());
    // Writes fill what the WAL already holds first; each user carries 100 KiB of addresses so
    // the log has to grow soon.
    let address = "x".repeat(1000);
    let mut refused = None;
    for i in 0..200 {
        let user = json!({
            "schemas": [USER_SCHEMA],
            "userName": format!("full{i}@faults.example"),
            "addresses": (0..100).map(|n| json!({"type": "work", "streetAddress": format!("{n} {address}")})).collect::<Vec<_>>(),
        });
        let answer = scim.send(Method::POST, "/Users", Some(user)).await;
        match answer.status {
            201 => continue,
            503 => {
                refused = Some(answer);
                break;
            }
            other => panic!(
                "a create on a full disk: unexpected {other} {:#}",
                answer.body
            ),
        }
    }
    let refused = refused.expect("a full disk refuses writes");
    refused.assert_unavailable("a create on a full disk");
    // Reads still work, yet the instance is not ready: it cannot take writes.
    assert_eq!(
        scim.ready(&server).await,
        503,
        "readyz right after a write failed for want of space"
    );

    std::fs::remove_file(filler).unwrap();
    // Without any write from a client (a load balancer sends none to an instance that is not
    // ready), readiness notices by itself that writes work again.
    let started = Instant::now();
    while scim.ready(&server).await != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "readyz still failing after space was freed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    scim.until_created("space-again", Duration::from_secs(10))
        .await;
    assert_eq!(scim.ready(&server).await, 200, "readyz after recovery");
    let log = server.log();
    assert!(log.contains("database unavailable"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    server.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_on_a_disk_turned_read_only_is_503_with_retry_after_and_not_ready() {
    let Some(disk) = Ext4::mount() else {
        return;
    };
    let mut cli = Cli::new();
    cli.database = disk.path().join("roster.db");
    let (org, token) = tenant(&cli);
    let server = cli.serve(&[]);
    let scim = Scim::new(&server, &org, &token);
    assert_eq!(scim.create("before@faults.example").await.status, 201);
    assert_eq!(scim.ready(&server).await, 200);

    // The disk turns read-only under load from four clients.
    let stop = Arc::new(AtomicBool::new(false));
    let workers = load(&scim, 4, &stop);
    tokio::time::sleep(Duration::from_millis(500)).await;
    disk.turn_read_only();
    tokio::time::sleep(Duration::from_millis(300)).await;
    scim.create("read-only@faults.example")
        .await
        .assert_unavailable("a create on a read-only disk");
    // Reads go on, yet the instance is not ready: it cannot take writes.
    let listed = scim.send(Method::GET, "/Users?count=5", None).await;
    assert_eq!(listed.status, 200, "{:#}", listed.body);
    assert_eq!(
        scim.ready(&server).await,
        503,
        "readyz right after a write failed on a read-only disk"
    );
    stop.store(true, Ordering::Relaxed);
    let mut answers = Vec::new();
    for worker in workers {
        answers.extend(worker.await.unwrap());
    }
    let stored = answers.iter().filter(|a| a.status == 201).count();
    let refused = answers.iter().filter(|a| a.status == 503).count();
    for answer in &answers {
        match answer.status {
            201 => {}
            503 => answer.assert_unavailable("a create under load as the disk turns read-only"),
            other => panic!("under load: unexpected {other} {:#}", answer.body),
        }
    }
    assert!(
        stored > 0 && refused > 0,
        "{stored} stored, {refused} refused"
    );

    // Without client writes, readiness writes for itself once the failure is 2 s old: that
    // write fails too, so it stays not ready (a probe that wrote nothing would pass).
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let started = Instant::now();
        assert_eq!(
            scim.ready(&server).await,
            503,
            "readyz while the disk stays read-only"
        );
        assert!(started.elapsed() < PROMPT);
    }
    let log = server.log();
    assert!(log.contains("database unavailable"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    server.terminate();
}
