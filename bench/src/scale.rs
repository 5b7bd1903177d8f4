//! Scale workloads (issue 17): an initial sync of a big directory driven by the simulator as fast
//! as Roster takes it, and many organizations holding a million accounts between them (lookup
//! latency, memory, start-up time).

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use reqwest::Client;
use roster_sim::{ClientConfig, Dialect, Directory, Engine, EngineConfig, Profile, UserSpec};
use serde_json::Value;
use tokio::task::JoinSet;

use crate::{
    fleet::{Fleet, OrgTenant},
    lean::Connection,
    load::{Rng, user_body},
};

/// The initial sync: `users` users spread over `groups` groups (one group each), every group
/// assigned, provisioned by the simulator's Entra job with `workers` requests in flight.
pub async fn initial_sync(
    fleet: &Fleet,
    users: usize,
    groups: usize,
    workers: usize,
) -> anyhow::Result<String> {
    let org = fleet.orgs.first().context("no organization")?;
    let mut directory = Directory::new();
    let group_ids: Vec<_> = (0..groups)
        .map(|g| directory.add_group(&format!("Section {g:04}")))
        .collect();
    for id in &group_ids {
        directory.assign_group(id);
    }
    for u in 0..users {
        let user = directory.add_user(UserSpec::simple(
            &format!("learner{u:06}"),
            "sync.example.edu",
        ));
        directory.add_member(&group_ids[u % groups.max(1)], &user);
    }
    let mut config = EngineConfig::new(Profile::Entra(Dialect::Default));
    config.workers = workers;
    let mut engine = Engine::new(ClientConfig::new(&org.tenant_url, &org.token), config)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let began = Instant::now();
    let reports = engine.run_until_settled(&directory, 3).await;
    let took = began.elapsed();
    let requests: usize = reports.iter().map(|r| r.entries.len()).sum();
    let failures: usize = reports.iter().map(|r| r.failures().len()).sum();
    if let Some(f) = reports.iter().flat_map(|r| r.failures()).next() {
        eprintln!(
            "  first failure: {} -> {:?} {}",
            f.request, f.http_status, f.detail
        );
    }
    let http = Client::builder().no_proxy().build()?;
    let count = |resource: &'static str| {
        let (http, org) = (http.clone(), org.clone());
        async move { total(&http, &org, resource).await }
    };
    let (stored_users, stored_groups) = (count("Users").await?, count("Groups").await?);
    Ok(format!(
        "| initial sync: {users} users, {groups} groups, {users} memberships | {} | {:.1} s | {} | {:.0} | {} | users {stored_users}, groups {stored_groups} |",
        fleet.kind.label(),
        took.as_secs_f64(),
        requests,
        requests as f64 / took.as_secs_f64().max(f64::EPSILON),
        failures,
    ))
}

async fn total(http: &Client, org: &OrgTenant, resource: &str) -> anyhow::Result<u64> {
    let body: Value = http
        .get(format!("{}/{resource}?count=0", org.tenant_url))
        .bearer_auth(&org.token)
        .send()
        .await?
        .json()
        .await?;
    body["totalResults"]
        .as_u64()
        .context("no totalResults in a list answer")
}

/// `accounts` accounts spread evenly over the fleet's organizations, created by `POST /Users`
/// with `concurrency` requests in flight; then `userName` lookups for random accounts of random
/// organizations, the server's memory, and its start-up time on the full database.
pub async fn many_orgs(
    fleet: &mut Fleet,
    accounts: usize,
    concurrency: usize,
    lookup_seconds: u64,
) -> anyhow::Result<String> {
    let orgs = fleet.orgs.len();
    let per_org = accounts.div_ceil(orgs.max(1));
    let http = Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(60))
        .build()?;
    let began = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let tenants = Arc::new(fleet.orgs.clone());
    let mut workers = JoinSet::new();
    for _ in 0..concurrency {
        let (http, next, tenants) = (http.clone(), Arc::clone(&next), Arc::clone(&tenants));
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= accounts {
                    return anyhow::Ok(());
                }
                // Round-robin over organizations, so every one grows at once.
                let (org, n) = (&tenants[i % orgs], i / orgs);
                let body = user_body(&account_name(n, i % orgs), true);
                let response = http
                    .post(format!("{}/Users", org.tenant_url))
                    .bearer_auth(&org.token)
                    .header("content-type", "application/scim+json")
                    .body(body.to_string())
                    .send()
                    .await?;
                let status = response.status().as_u16();
                if status != 201 {
                    bail!("seeding answered {status}: {}", response.text().await?);
                }
            }
        });
    }
    let mut done = 0usize;
    while let Some(result) = workers.join_next().await {
        result??;
        done += 1;
    }
    let seeded_in = began.elapsed();
    eprintln!(
        "  {accounts} accounts in {orgs} organizations seeded in {:.0} s ({done} workers)",
        seeded_in.as_secs_f64()
    );
    let warm = lookups(fleet, per_org, concurrency, lookup_seconds).await?;
    let rss_warm = fleet.rss_mib();
    let startup = fleet.restart(&http).await?;
    let rss_started = fleet.rss_mib();
    let after = lookups(fleet, per_org, concurrency, lookup_seconds).await?;
    let rss_after = fleet.rss_mib();
    let mib = |r: Option<f64>| r.map_or("?".to_owned(), |r| format!("{r:.0}"));
    Ok(format!(
        "| {accounts} accounts in {orgs} organizations | {} | {:.0} s | {:.0}/s, p50 {:.2} ms, p99 {:.2} ms ({} errors) | {:.2} s | {} / {} / {} | {:.0}/s, p99 {:.2} ms |",
        fleet.kind.label(),
        seeded_in.as_secs_f64(),
        warm.rate,
        warm.p50_ms,
        warm.p99_ms,
        warm.errors,
        startup.as_secs_f64(),
        mib(rss_warm),
        mib(rss_started),
        mib(rss_after),
        after.rate,
        after.p99_ms,
    ))
}

fn account_name(n: usize, org: usize) -> String {
    format!("person{n:06}@org{org:04}.example")
}

struct Lookups {
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

/// Closed-loop `userName eq` lookups of random existing accounts in random organizations, one
/// lean connection per request in flight (see [`crate::lean`]).
async fn lookups(
    fleet: &Fleet,
    per_org: usize,
    concurrency: usize,
    seconds: u64,
) -> anyhow::Result<Lookups> {
    let tenants = Arc::new(fleet.orgs.clone());
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut workers = JoinSet::new();
    for w in 0..concurrency {
        let (tenants, addr) = (Arc::clone(&tenants), fleet.addr.clone());
        let mut connection = Connection::open(&addr).await?;
        workers.spawn(async move {
            let mut rng = Rng::new(w as u64 + 101);
            let (mut latencies, mut errors) = (Vec::new(), 0u64);
            while Instant::now() < end {
                let org_index = rng.below(tenants.len());
                let org = &tenants[org_index];
                let name = account_name(rng.below(per_org.saturating_sub(1).max(1)), org_index);
                let path = format!(
                    "/scim/v2/{}/Users?filter=userName+eq+%22{}%22",
                    org.id,
                    name.replace('@', "%40")
                );
                let began = Instant::now();
                match connection.get(&path, &org.token).await {
                    Ok((status, length)) if status == 200 && length > 100 => latencies
                        .push(u32::try_from(began.elapsed().as_micros()).unwrap_or(u32::MAX)),
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        // The connection is gone: a new one for the next lookup.
                        if let Ok(fresh) = Connection::open(&addr).await {
                            connection = fresh;
                        }
                    }
                }
            }
            (latencies, errors)
        });
    }
    let (mut all, mut errors) = (Vec::new(), 0);
    while let Some(done) = workers.join_next().await {
        let (latencies, e) = done?;
        all.extend(latencies);
        errors += e;
    }
    all.sort_unstable();
    let pct = |p: usize| {
        if all.is_empty() {
            return 0.0;
        }
        let rank = (all.len() * p).div_ceil(100).max(1) - 1;
        f64::from(all[rank.min(all.len() - 1)]) / 1000.0
    };
    Ok(Lookups {
        rate: all.len() as f64 / seconds.max(1) as f64,
        p50_ms: pct(50),
        p99_ms: pct(99),
        errors,
    })
}

/// The labels the tables use, per workload.
pub fn initial_sync_header() -> &'static str {
    "| workload | store | took | SCIM requests | req/s | failed | stored afterwards |\n|---|---|---:|---:|---:|---:|---|"
}

pub fn many_orgs_header() -> &'static str {
    "| workload | store | seeding | `userName` lookups (16 in flight) | start-up to ready | server RSS MiB: seeded, after lookups / just restarted / after lookups | lookups after restart |\n|---|---|---:|---|---:|---|---|"
}
