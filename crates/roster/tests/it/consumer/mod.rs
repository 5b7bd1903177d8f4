//! The platform API's guarantee, checked end to end (issue 15): a reference consumer (a small
//! content service, `view.rs`) follows the change feed while the simulator provisions three
//! organizations with a randomized, seeded workload (`workload.rs`) through `roster serve` —
//! two instances on one PostgreSQL database with requests spread over both, or one on SQLite.
//! Mid-way an instance is SIGKILLed under load and restarted, and the consumer is killed and
//! resumes from its saved cursor. At the end its view — and so every grant "may see content
//! shared with group G" — equals Roster's state exactly for every (account, group) pair, read
//! through the read API (membership check, members lists, accounts) and SCIM.
//!
//! Runs on the store the `it` suite runs on (`ROSTER_TEST_STORE=postgres` for PostgreSQL).

mod view;
mod workload;

use std::{
    collections::BTreeSet,
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use roster_sim::{ClientConfig, Dialect, Engine, EngineConfig, Profile, Status};
use roster_store_postgres::testing;
use serde_json::Value;

use crate::support::{Cli, Server};
use view::{Consumer, View};
use workload::{OrgDirectory, Rng};

const SEED: u64 = 0x5eed_0015;
const ORGS: usize = 3;
const ROUNDS: usize = 8;
const USERS: usize = 30;
const GROUPS: usize = 6;
/// Directory changes per organization and round; many more in the kill round, so the kill
/// lands while requests are in flight.
const OPS: usize = 15;
const KILL_OPS: usize = 80;
/// The round during which an instance is killed, and after which the consumer is.
const KILL_ROUND: usize = 3;
const CONSUMER_KILL_ROUND: usize = 2;

struct Tenant {
    org: String,
    token: String,
    directory: OrgDirectory,
    engine: Engine,
}

fn client(base: &str, org: &str, token: &str) -> ClientConfig {
    let mut config = ClientConfig::new(&format!("{base}/scim/v2/{org}"), token);
    config.timeout = Duration::from_secs(10);
    config
}

/// One provisioning pass over every organization at once, each up to `cycles` cycles; also
/// how many requests got no answer (cut short by a kill).
async fn provision(tenants: Vec<Tenant>, cycles: usize) -> (Vec<Tenant>, usize) {
    let running: Vec<_> = tenants
        .into_iter()
        .map(|mut t| {
            tokio::spawn(async move {
                let reports = t.engine.run_until_settled(&t.directory.dir, cycles).await;
                let unanswered = reports
                    .iter()
                    .flat_map(|r| &r.entries)
                    .filter(|e| e.status == Status::Failure && e.http_status.is_none())
                    .count();
                (t, unanswered)
            })
        })
        .collect();
    let mut done = Vec::new();
    let mut unanswered = 0;
    for t in running {
        let (t, n) = t.await.unwrap();
        done.push(t);
        unanswered += n;
    }
    (done, unanswered)
}

/// Points organization `i`'s job at an instance, turn by turn, so requests spread over all.
fn spread(tenants: &mut [Tenant], bases: &[String], round: usize) {
    for (i, t) in tenants.iter_mut().enumerate() {
        let base = &bases[(i + round) % bases.len()];
        t.engine.retarget(client(base, &t.org, &t.token)).unwrap();
    }
}

async fn content_service_follows_provisioning(cli: &Cli, instances: usize) {
    let started = std::time::Instant::now();
    let mut rng = Rng::new(SEED);
    let mut orgs = Vec::new();
    for i in 0..ORGS {
        let org = cli.json(&[
            "org",
            "create",
            "--name",
            &format!("School {i}"),
            "--kind",
            "school",
            "--seats",
            "1000",
        ])["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let token = cli.json(&["scim", "enable", &org])["token"]
            .as_str()
            .unwrap()
            .to_owned();
        orgs.push((org, token));
    }
    let key = cli.json(&["api-key", "create", "--name", "content service"])["key"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut servers: Vec<Server> = (0..instances).map(|_| cli.serve(&[])).collect();
    let bases = Arc::new(Mutex::new(
        servers.iter().map(|s| s.url("")).collect::<Vec<_>>(),
    ));
    let state_dir = tempfile::tempdir().unwrap();
    let saved = state_dir.path().join("consumer.json");
    let stop = Arc::new(AtomicBool::new(false));
    let mut consumer =
        tokio::spawn(Consumer::start(&key, &saved).follow(Arc::clone(&bases), Arc::clone(&stop)));

    let mut tenants: Vec<Tenant> = orgs
        .iter()
        .enumerate()
        .map(|(i, (org, token))| {
            let profile = if i == 1 {
                Profile::Entra(Dialect::Flag)
            } else {
                Profile::Entra(Dialect::Default)
            };
            let first = bases.lock().unwrap()[0].clone();
            Tenant {
                org: org.clone(),
                token: token.clone(),
                directory: OrgDirectory::new(
                    &format!("school{i}.example"),
                    USERS,
                    GROUPS,
                    &mut rng,
                ),
                engine: Engine::new(client(&first, org, token), EngineConfig::new(profile))
                    .unwrap(),
            }
        })
        .collect();

    let (mut cut_short, mut resumed_at) = (0, 0);
    for round in 0..ROUNDS {
        if round > 0 {
            for t in &mut tenants {
                let ops = if round == KILL_ROUND { KILL_OPS } else { OPS };
                t.directory.mutate(&mut rng, ops);
            }
        }
        let current = bases.lock().unwrap().clone();
        spread(&mut tenants, &current, round);
        if round == KILL_ROUND {
            // SIGKILL the first instance while the cycle's requests are in flight.
            let victim = &mut servers[0];
            let ((done, unanswered), ()) = tokio::join!(provision(tenants, 1), async {
                tokio::time::sleep(Duration::from_millis(60)).await;
                victim.child.kill().unwrap(); // SIGKILL
                victim.child.wait().unwrap();
            });
            assert!(unanswered > 0, "the kill came after the round's requests");
            cut_short = unanswered;
            tenants = done;
            servers[0] = cli.serve(&[]);
            bases.lock().unwrap()[0] = servers[0].url("");
        } else {
            tenants = provision(tenants, 3).await.0;
        }
        if round == CONSUMER_KILL_ROUND {
            // The content service crashes and comes back from what it saved.
            consumer.abort();
            assert!(consumer.await.unwrap_err().is_cancelled());
            let resumed = Consumer::start(&key, &saved);
            assert!(resumed.saved.events > 0, "killed before it read anything");
            resumed_at = resumed.saved.events;
            consumer = tokio::spawn(
                Consumer::start(&key, &saved).follow(Arc::clone(&bases), Arc::clone(&stop)),
            );
        }
    }
    // Whatever the kill left held is retried until the jobs settle.
    let current = bases.lock().unwrap().clone();
    spread(&mut tenants, &current, ROUNDS);
    let tenants = provision(tenants, 10).await.0;

    stop.store(true, Ordering::SeqCst);
    let mut consumer = tokio::time::timeout(Duration::from_secs(30), consumer)
        .await
        .expect("the consumer catches up")
        .unwrap();
    let http = reqwest::Client::new();
    // Eventually consistent within moments: read again until the views agree (or give up).
    let mut attempt = 0;
    let roster = loop {
        let base = bases.lock().unwrap()[attempt % instances].clone();
        consumer.catch_up(&base).await;
        let roster = roster_state(&http, &base, &key, &tenants, &consumer.saved.view).await;
        if roster == consumer.saved.view || attempt == 20 {
            break roster;
        }
        attempt += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let view = &consumer.saved.view;
    assert_eq!(
        view.accounts, roster.accounts,
        "the consumer's accounts are Roster's"
    );
    assert_eq!(
        view.groups, roster.groups,
        "the consumer's groups are Roster's"
    );

    // Every grant, pair by pair, against the read API's membership check.
    let base = bases.lock().unwrap()[0].clone();
    let mut pairs = 0;
    let mut granted = 0;
    for t in &tenants {
        let groups = roster.groups.get(&t.org).cloned().unwrap_or_default();
        for (account, (org, active)) in &roster.accounts {
            if org != &t.org {
                continue;
            }
            for group in groups.keys() {
                let url = format!(
                    "{base}/api/v1/groups/{group}/members/{account}?org={}",
                    t.org
                );
                let member = match read(&http, &url, &key).await {
                    (204, _) => true,
                    (404, _) => false,
                    (other, body) => panic!("membership check: {other} {body:#}"),
                };
                let may_see = view.may_see(&t.org, group, account);
                assert_eq!(
                    may_see,
                    member && *active,
                    "account {account}, group {group}"
                );
                pairs += 1;
                granted += usize::from(may_see);
            }
        }
    }
    let deactivated = roster.accounts.values().filter(|(_, a)| !a).count();
    println!(
        "{} events (consumer resumed after {resumed_at}), {cut_short} requests cut short by the kill, \
         {pairs} pairs checked, {granted} granted, {deactivated} accounts deactivated, {:?}",
        consumer.saved.events,
        started.elapsed()
    );
    assert!(pairs > 100, "too little state to mean anything: {pairs}");
    assert!(granted > 20 && granted < pairs, "{granted} of {pairs}");
    assert!(deactivated > 0, "the workload deactivated no one");
    drop(servers);
}

/// A GET's status and body, asked again while the instance is busy (503) or throttling (429).
async fn read(http: &reqwest::Client, url: &str, bearer: &str) -> (u16, Value) {
    for _ in 0..100 {
        let r = http.get(url).bearer_auth(bearer).send().await.unwrap();
        let status = r.status().as_u16();
        let bytes = r.bytes().await.unwrap();
        if matches!(status, 429 | 503) {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        return (status, body);
    }
    panic!("{url} stayed busy");
}

async fn get(http: &reqwest::Client, url: &str, bearer: &str) -> Value {
    let (status, body) = read(http, url, bearer).await;
    assert_eq!(status, 200, "{url}: {body:#}");
    body
}

/// Roster's state in the consumer's shape: accounts from SCIM (every account provisioned) and
/// from the read API (their `active`, and any the consumer knows that SCIM no longer lists),
/// groups from SCIM, members from the read API's paged members lists.
async fn roster_state(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    tenants: &[Tenant],
    known: &View,
) -> View {
    let mut state = View::default();
    for t in tenants {
        let scim = format!("{base}/scim/v2/{}", t.org);
        let mut ids: BTreeSet<String> = known
            .accounts
            .iter()
            .filter(|(_, (org, _))| org == &t.org)
            .map(|(id, _)| id.clone())
            .collect();
        ids.extend(scim_ids(http, &format!("{scim}/Users"), &t.token).await);
        for id in ids {
            let url = format!("{base}/api/v1/accounts/{id}?org={}", t.org);
            let account = match read(http, &url, key).await {
                (404, _) => continue,
                (200, account) => account,
                (other, body) => panic!("{url}: {other} {body:#}"),
            };
            let active = account["active"].as_bool().unwrap();
            state.accounts.insert(id, (t.org.clone(), active));
        }
        let groups = state.groups.entry(t.org.clone()).or_default();
        for group in scim_ids(http, &format!("{scim}/Groups"), &t.token).await {
            let mut members = BTreeSet::new();
            let mut after = String::new();
            loop {
                let page = get(
                    http,
                    &format!(
                        "{base}/api/v1/groups/{group}/members?org={}&limit=7&after={after}",
                        t.org
                    ),
                    key,
                )
                .await;
                for m in page["members"].as_array().unwrap() {
                    assert!(members.insert(m["account_id"].as_str().unwrap().to_owned()));
                }
                match page["next"].as_str() {
                    Some(next) => after = next.to_owned(),
                    None => break,
                }
            }
            groups.insert(group, members);
        }
    }
    state
}

/// Every id a SCIM list returns, page by page.
async fn scim_ids(http: &reqwest::Client, url: &str, token: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut start = 1;
    loop {
        let page = get(
            http,
            &format!("{url}?startIndex={start}&count=50&attributes=id"),
            token,
        )
        .await;
        let resources = page["Resources"].as_array().cloned().unwrap_or_default();
        ids.extend(
            resources
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned()),
        );
        let total = page["totalResults"].as_u64().unwrap();
        start += resources.len();
        if resources.is_empty() || start as u64 > total {
            return ids;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_content_service_following_the_feed_grants_exactly_what_roster_holds() {
    if std::env::var("ROSTER_TEST_STORE").as_deref() == Ok("postgres") {
        let admin_url = testing::server_url()
            .expect("ROSTER_TEST_STORE=postgres needs ROSTER_TEST_POSTGRES_URL");
        let db = testing::TestDatabase::create(&admin_url).await.unwrap();
        let mut cli = Cli::new();
        cli.database = PathBuf::from(&db.url);
        content_service_follows_provisioning(&cli, 2).await;
    } else {
        content_service_follows_provisioning(&Cli::new(), 1).await;
    }
}
