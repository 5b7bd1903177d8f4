//! Crash consistency, against the real binary: four SCIM clients create users, deactivate them
//! and add them to groups while `roster serve` is killed with SIGKILL, three times, and restarted
//! on the same database. Afterwards every write that was acknowledged (2xx) is there with its
//! acknowledged state, nothing is half written (userNames unique, seats used = active accounts
//! ≤ seats, group members all users of the organization), events match changes (the change feed
//! replayed gives exactly what SCIM shows) — on SQLite, and on a fresh PostgreSQL database when
//! `ROSTER_TEST_POSTGRES_URL` is set.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::{Client, Method};
use roster_store_postgres::testing;
use serde_json::{Value, json};

use crate::support::{Cli, Server};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SEATS: usize = 60;
const CLIENTS: usize = 4;
/// Requests per client and round: enough that the kill lands during the load now that a write
/// is one commit with its log entry (faster on SQLite), and few enough that the three rounds
/// (3 × 4 × 240 + 2 setup requests) stay under the log's 3,000 entries per minute.
const PER_ROUND: usize = 240;

/// A write the server acknowledged, with the `client-request-id` it was sent with.
#[derive(Debug, Clone)]
enum Ack {
    Created {
        id: String,
        user_name: String,
    },
    Deactivated {
        id: String,
    },
    Added {
        group: String,
        user: String,
    },
    /// A deactivation was sent (acknowledged or not: one cut short by the kill may have
    /// committed).
    DeactivationSent {
        id: String,
    },
}

#[derive(Clone)]
struct Tenant {
    client: Client,
    base: String,
    token: String,
}

impl Tenant {
    /// `None` when the server did not answer (killed meanwhile): the outcome is unknown.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Value,
        id: &str,
    ) -> Option<(u16, Value)> {
        let response = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/scim+json")
            .header("client-request-id", id)
            .body(body.to_string())
            .send()
            .await
            .ok()?;
        let status = response.status().as_u16();
        let text = response.text().await.ok()?;
        // 204 has no body.
        Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }
}

fn tenant(server: &Server, org: &str, token: &str) -> Tenant {
    Tenant {
        client: Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        base: server.url(&format!("/scim/v2/{org}")),
        token: token.to_owned(),
    }
}

/// One client's writes until the server stops answering: a create, then alternately a member
/// add and a deactivation of users it created before.
/// Also says whether the kill cut it short.
async fn client(
    t: Tenant,
    round: usize,
    c: usize,
    groups: Vec<String>,
    answered_so_far: Arc<AtomicUsize>,
) -> (Vec<(String, Ack)>, bool) {
    let mut acks = Vec::new();
    let mut mine: Vec<String> = Vec::new();
    // Bounded, so the three rounds stay under the log's 3,000 entries per organization and
    // minute (beyond which entries are left out by design).
    for i in 0..PER_ROUND {
        let request_id = format!("crash-{round}-{c}-{i}");
        let answered = match i % 3 {
            0 => {
                let user_name = format!("r{round}c{c}n{i}@crash.example");
                let body = json!({"schemas": [USER_SCHEMA], "userName": user_name, "active": true});
                t.send(Method::POST, "/Users", body, &request_id)
                    .await
                    .map(|(status, body)| {
                        let id = body["id"].as_str().map(str::to_owned);
                        if status == 201 {
                            mine.push(id.clone().unwrap());
                        } else {
                            assert_eq!(status, 409, "create: {body:#}");
                        }
                        (status == 201).then(|| Ack::Created {
                            id: id.unwrap_or_default(),
                            user_name,
                        })
                    })
            }
            1 => {
                let Some(user) = mine.last().cloned() else {
                    continue;
                };
                let group = groups[i % groups.len()].clone();
                let body = json!({"schemas": [PATCH_SCHEMA], "Operations": [
                    {"op": "add", "path": "members", "value": [{"value": user}]}]});
                t.send(
                    Method::PATCH,
                    &format!("/Groups/{group}"),
                    body,
                    &request_id,
                )
                .await
                .map(|(status, body)| {
                    assert!(
                        status == 200 || status == 204,
                        "member add: {status} {body:#}"
                    );
                    Some(Ack::Added { group, user })
                })
            }
            _ => {
                // Deactivate every other user created, so seats come back and creates go on.
                if mine.len() < 2 {
                    continue;
                }
                let user = mine.remove(0);
                acks.push((
                    request_id.clone(),
                    Ack::DeactivationSent { id: user.clone() },
                ));
                let body = json!({"schemas": [PATCH_SCHEMA], "Operations": [
                    {"op": "replace", "path": "active", "value": false}]});
                t.send(Method::PATCH, &format!("/Users/{user}"), body, &request_id)
                    .await
                    .map(|(status, body)| {
                        assert!(
                            status == 200 || status == 204,
                            "deactivate: {status} {body:#}"
                        );
                        Some(Ack::Deactivated { id: user })
                    })
            }
        };
        if answered.is_some() {
            answered_so_far.fetch_add(1, Ordering::Relaxed);
        }
        match answered {
            None => return (acks, true),
            Some(Some(ack)) => acks.push((request_id, ack)),
            Some(None) => {}
        }
    }
    (acks, false)
}

async fn crash_consistency(cli: &Cli) {
    let org = cli.json(&[
        "org",
        "create",
        "--name",
        "Crash High",
        "--kind",
        "school",
        "--seats",
        &SEATS.to_string(),
    ]);
    let org = org["id"].as_str().unwrap().to_owned();
    let token = cli.json(&["scim", "enable", &org])["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut groups = Vec::new();
    {
        let server = cli.serve(&[]);
        let t = tenant(&server, &org, &token);
        for name in ["Staff", "Students"] {
            let body = json!({"schemas": [GROUP_SCHEMA], "displayName": name});
            let (status, body) = t
                .send(Method::POST, "/Groups", body, "crash-setup")
                .await
                .unwrap();
            assert_eq!(status, 201, "{body:#}");
            groups.push(body["id"].as_str().unwrap().to_owned());
        }
        server.terminate();
    }

    let mut acks = Vec::new();
    for round in 0..3 {
        let mut server = cli.serve(&[]);
        let t = tenant(&server, &org, &token);
        let answered = Arc::new(AtomicUsize::new(0));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let answered = Arc::clone(&answered);
                tokio::spawn(client(t.clone(), round, c, groups.clone(), answered))
            })
            .collect();
        // Kill mid-load by progress, not after a fixed time, so a fast (or slow) machine still
        // cuts the load short: after a quarter, a third, then half of the round's requests.
        let kill_after = CLIENTS * PER_ROUND / [4, 3, 2][round];
        let waiting_since = Instant::now();
        while answered.load(Ordering::Relaxed) < kill_after
            && waiting_since.elapsed() < Duration::from_secs(60)
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.child.kill().unwrap(); // SIGKILL
        server.child.wait().unwrap();
        let mut cut_short = 0;
        for c in clients {
            let (acked, cut) = c.await.unwrap();
            acks.extend(acked);
            cut_short += usize::from(cut);
        }
        assert!(cut_short > 0, "round {round}: the kill came after the load");
    }
    assert!(
        acks.len() > 30,
        "too little load to mean anything: {}",
        acks.len()
    );

    let server = cli.serve(&[]);
    let t = tenant(&server, &org, &token);
    // What SCIM shows now.
    let (status, listed) = t.get("/Users?count=1000").await;
    assert_eq!(status, 200);
    let users: BTreeMap<String, Value> = listed["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["id"].as_str().unwrap().to_owned(), u.clone()))
        .collect();
    assert_eq!(
        listed["totalResults"].as_u64().unwrap() as usize,
        users.len()
    );
    let mut members: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for group in &groups {
        let (status, body) = t.get(&format!("/Groups/{group}")).await;
        assert_eq!(status, 200);
        let ids = body["members"]
            .as_array()
            .map(|m| {
                m.iter()
                    .map(|m| m["value"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        members.insert(group.clone(), ids);
    }

    // Every acknowledged write, with its state (deactivation is the last state a user reaches).
    let deactivated: BTreeSet<&str> = acks
        .iter()
        .filter_map(|(_, a)| match a {
            Ack::DeactivationSent { id } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    for (request_id, ack) in &acks {
        match ack {
            Ack::Created { id, user_name } => {
                let user = users
                    .get(id)
                    .unwrap_or_else(|| panic!("acknowledged create {request_id} is lost"));
                assert_eq!(user["userName"], user_name.as_str());
                if !deactivated.contains(id.as_str()) {
                    assert_eq!(user["active"], true, "{request_id}: {user:#}");
                }
            }
            Ack::Deactivated { id } => {
                let user = users.get(id).unwrap();
                assert_eq!(
                    user["active"], false,
                    "acknowledged deactivation {request_id}"
                );
            }
            Ack::Added { group, user } => assert!(
                members[group].contains(user),
                "acknowledged member add {request_id} is lost"
            ),
            Ack::DeactivationSent { .. } => {}
        }
    }

    // Nothing half written.
    let names: BTreeSet<String> = users
        .values()
        .map(|u| u["userName"].as_str().unwrap().to_lowercase())
        .collect();
    assert_eq!(names.len(), users.len(), "userNames are unique");
    let active = users.values().filter(|u| u["active"] == true).count();
    assert!(
        active <= SEATS,
        "{active} active accounts for {SEATS} seats"
    );
    let shown = cli.json(&["org", "show", &org]);
    assert_eq!(shown["seats_used"].as_u64().unwrap() as usize, active);
    for (group, ids) in &members {
        for id in ids {
            assert!(
                users.contains_key(id),
                "group {group} has member {id} that is no user here"
            );
        }
    }
    check_events(cli, &server, &org, &acks, &users, &members).await;
    server.terminate();

    // The provisioning log has an entry for every acknowledged write.
    let logged: BTreeSet<String> = cli
        .json(&["log", &org, "--limit", "100000"])
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["client_request_id"].as_str().map(str::to_owned))
        .collect();
    let unlogged: Vec<&String> = acks
        .iter()
        .filter(|(_, a)| !matches!(a, Ack::DeactivationSent { .. }))
        .map(|(id, _)| id)
        .filter(|id| !logged.contains(*id))
        .collect();
    println!(
        "{} acknowledged writes, {} without a log entry: {unlogged:?}",
        acks.len(),
        unlogged.len()
    );
    assert!(
        unlogged.is_empty(),
        "acknowledged writes missing from the provisioning log: {unlogged:?}"
    );
}

/// The whole feed of `org`, read page by page to its end.
async fn read_feed(server: &Server, key: &str, org: &str) -> Vec<Value> {
    let client = Client::new();
    let mut events = Vec::new();
    let mut after = String::new();
    loop {
        let cursor = if after.is_empty() {
            String::new()
        } else {
            format!("&after={after}")
        };
        let response = client
            .get(server.url(&format!("/api/v1/events?org={org}&limit=1000{cursor}")))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let page: Value = response.json().await.unwrap();
        let got = page["events"].as_array().unwrap().clone();
        after = page["next"].as_str().unwrap().to_owned();
        if got.is_empty() {
            return events;
        }
        events.extend(got);
    }
}

/// Events match changes: every acknowledged write has its event, and replaying the feed gives
/// exactly the accounts, their `active` and the memberships SCIM shows now — so no event names
/// an account or membership that is not there unless a later event undid it, and no change
/// committed before a kill lacks its event.
async fn check_events(
    cli: &Cli,
    server: &Server,
    org: &str,
    acks: &[(String, Ack)],
    users: &BTreeMap<String, Value>,
    members: &BTreeMap<String, BTreeSet<String>>,
) {
    let key = cli.json(&["api-key", "create", "--name", "crash", "--org", org])["key"]
        .as_str()
        .unwrap()
        .to_owned();
    // On PostgreSQL the feed shows only transactions older than every one still running in the
    // cluster (other tests' too), so a committed event can take a moment to become readable:
    // read again until every acknowledged write's event is there, or a deadline passes.
    let wanted: Vec<(&str, &str, &str)> = acks
        .iter()
        .filter_map(|(_, ack)| match ack {
            Ack::Created { id, .. } => Some(("account.created", "", id.as_str())),
            Ack::Deactivated { id } => Some(("account.deactivated", "", id.as_str())),
            Ack::Added { group, user } => Some(("membership.added", group.as_str(), user.as_str())),
            Ack::DeactivationSent { .. } => None,
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let events = loop {
        let events = read_feed(server, &key, org).await;
        let present: BTreeSet<(&str, &str, &str)> = events
            .iter()
            .map(|e| {
                (
                    e["type"].as_str().unwrap_or_default(),
                    e["group_id"].as_str().unwrap_or_default(),
                    e["account_id"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        if wanted.iter().all(|w| present.contains(w)) || std::time::Instant::now() > deadline {
            break events;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let id = |e: &Value, field: &str| e[field].as_str().unwrap_or_default().to_owned();
    let mut accounts: BTreeMap<String, bool> = BTreeMap::new();
    let mut memberships: BTreeSet<(String, String)> = BTreeSet::new();
    let mut seen: BTreeSet<(String, String, String)> = BTreeSet::new();
    for event in &events {
        assert_eq!(event["org"], org, "{event:#}");
        let kind = event["type"].as_str().unwrap().to_owned();
        let account = id(event, "account_id");
        let group = id(event, "group_id");
        match kind.as_str() {
            "account.created" => {
                assert!(
                    accounts
                        .insert(account.clone(), event["data"]["account"]["active"] == true)
                        .is_none(),
                    "created twice: {event:#}"
                );
            }
            "account.deactivated" | "account.reactivated" => {
                let active = accounts
                    .get_mut(&account)
                    .unwrap_or_else(|| panic!("{kind} of an account never created: {event:#}"));
                assert_eq!(*active, kind == "account.deactivated", "{event:#}");
                *active = kind == "account.reactivated";
            }
            "account.removed" => {
                accounts.remove(&account);
            }
            "membership.added" => {
                assert!(
                    accounts.contains_key(&account),
                    "member {account} is no account: {event:#}"
                );
                assert!(
                    memberships.insert((group.clone(), account.clone())),
                    "added twice: {event:#}"
                );
            }
            "membership.removed" => {
                assert!(
                    memberships.remove(&(group.clone(), account.clone())),
                    "removed without being added: {event:#}"
                );
            }
            _ => {}
        }
        seen.insert((kind, group, account));
    }

    for (request_id, ack) in acks {
        let (kind, group, account) = match ack {
            Ack::Created { id, .. } => ("account.created", "", id),
            Ack::Deactivated { id } => ("account.deactivated", "", id),
            Ack::Added { group, user } => ("membership.added", group.as_str(), user),
            Ack::DeactivationSent { .. } => continue,
        };
        assert!(
            seen.contains(&(kind.to_owned(), group.to_owned(), account.clone())),
            "acknowledged write {request_id} has no {kind} event"
        );
    }

    let shown: BTreeMap<String, bool> = users
        .iter()
        .map(|(id, u)| (id.clone(), u["active"] == true))
        .collect();
    assert_eq!(
        accounts, shown,
        "the feed replayed gives the accounts SCIM shows"
    );
    let shown: BTreeSet<(String, String)> = members
        .iter()
        .flat_map(|(g, ids)| ids.iter().map(move |a| (g.clone(), a.clone())))
        .collect();
    assert_eq!(
        memberships, shown,
        "the feed replayed gives the memberships SCIM shows"
    );
    println!("{} events replayed", events.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_no_acknowledged_write_on_sqlite() {
    crash_consistency(&Cli::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_no_acknowledged_write_on_postgres() {
    let Some(admin_url) = testing::server_url() else {
        return;
    };
    let db = testing::TestDatabase::create(&admin_url).await.unwrap();
    let mut cli = Cli::new();
    cli.database = PathBuf::from(&db.url);
    crash_consistency(&cli).await;
}
