//! The soak run: many organizations provisioned at once by the simulator, at Entra's pace, for
//! minutes on end, on every store side by side. It reports, minute by minute, the server's
//! memory, the simulator's successful and failed requests, and the latency of a steady probe
//! (Entra's `userName` match), so that memory growth, error growth or latency drift show.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context;
use reqwest::Client;
use roster_sim::{
    ClientConfig, Dialect, Directory, Engine, EngineConfig, OrgShape, Profile, Status, UserId,
    UserSpec, generate_org,
};
use tokio::task::JoinSet;

use crate::{
    fleet::{Fleet, OrgTenant},
    server::StoreKind,
};

#[derive(Debug, Clone)]
pub struct SoakSettings {
    pub minutes: u64,
    pub orgs: usize,
    pub users_per_org: usize,
    pub groups_per_org: usize,
    /// Pause between one organization's provisioning cycles (Entra's incremental cycles come
    /// every 20-40 minutes; a soak compresses them).
    pub cycle_pause: Duration,
    /// Each organization's pace (0: none).
    pub requests_per_second: u32,
}

/// What one minute of one store saw.
#[derive(Debug, Default, Clone)]
struct Minute {
    succeeded: u64,
    failed: u64,
    probe_us: Vec<u32>,
    probe_errors: u64,
    rss_mib: Option<f64>,
}

#[derive(Debug, Default)]
struct Tally {
    minutes: Vec<Minute>,
    first_failure: Option<String>,
}

impl Tally {
    fn minute(&mut self, index: usize) -> &mut Minute {
        if self.minutes.len() <= index {
            self.minutes.resize(index + 1, Minute::default());
        }
        &mut self.minutes[index]
    }
}

pub async fn run(
    bin: &std::path::Path,
    postgres_url: Option<&str>,
    stores: &[StoreKind],
    settings: &SoakSettings,
    log: &str,
) -> anyhow::Result<()> {
    let mut fleets = Vec::new();
    for &kind in stores {
        eprintln!("{}: making {} organizations", kind.label(), settings.orgs);
        let seats = settings.users_per_org * 4;
        // `serve`'s default per-organization rate limit: a soak runs as deployed.
        fleets.push(Fleet::start(kind, bin, postgres_url, settings.orgs, seats, log, 250).await?);
    }
    // Every store under load at once: the same minutes of the machine for each.
    let mut runs = JoinSet::new();
    for fleet in fleets {
        let settings = settings.clone();
        runs.spawn(async move {
            let tally = soak_one(&fleet, &settings).await;
            (fleet.kind, tally)
        });
    }
    let mut results = Vec::new();
    while let Some(done) = runs.join_next().await {
        let (kind, tally) = done?;
        results.push((kind, tally?));
    }
    results.sort_by_key(|(kind, _)| *kind as u8);
    println!(
        "Soak: {} organizations per store, {} users and {} groups each, one provisioning cycle per organization every {} s after a random change to its directory, {} per organization; probe: one `userName` filter every 50 ms.\n",
        settings.orgs,
        settings.users_per_org,
        settings.groups_per_org,
        settings.cycle_pause.as_secs(),
        match settings.requests_per_second {
            0 => "unpaced".to_owned(),
            r => format!("at most {r} requests/s"),
        }
    );
    for (kind, tally) in &results {
        print_table(*kind, tally);
    }
    Ok(())
}

async fn soak_one(fleet: &Fleet, settings: &SoakSettings) -> anyhow::Result<Tally> {
    let tally = Arc::new(Mutex::new(Tally::default()));
    let start = Instant::now();
    let end = start + Duration::from_secs(settings.minutes * 60);
    let minute_of =
        move |at: Instant| (at.saturating_duration_since(start).as_secs() / 60) as usize;
    let mut tasks = JoinSet::new();
    let upns: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    for (i, org) in fleet.orgs.iter().enumerate() {
        let (org, settings, tally, upns) = (
            org.clone(),
            settings.clone(),
            Arc::clone(&tally),
            Arc::clone(&upns),
        );
        tasks.spawn(
            async move { provision(i, &org, &settings, end, &tally, &upns, minute_of).await },
        );
    }
    // The probe: Entra's match for a user some organization already has.
    let http = Client::builder().no_proxy().build()?;
    let mut rng = crate::load::Rng::new(7);
    let mut next_sample = start;
    while Instant::now() < end {
        if Instant::now() >= next_sample {
            let rss = fleet.rss_mib();
            tally
                .lock()
                .map_err(|_| anyhow::anyhow!("poisoned"))?
                .minute(minute_of(Instant::now()))
                .rss_mib = rss;
            next_sample += Duration::from_secs(10);
        }
        let pick = {
            let upns = upns.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            (!upns.is_empty()).then(|| upns[rng.below(upns.len())].clone())
        };
        if let Some((org_id, upn)) = pick {
            let org = fleet
                .orgs
                .iter()
                .find(|o| o.id == org_id)
                .context("unknown org")?;
            let url = format!(
                "{}/Users?filter=userName+eq+%22{}%22",
                org.tenant_url,
                upn.replace('@', "%40")
            );
            let began = Instant::now();
            let ok = match http.get(&url).bearer_auth(&org.token).send().await {
                Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            let took = u32::try_from(began.elapsed().as_micros()).unwrap_or(u32::MAX);
            let mut tally = tally.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            let minute = tally.minute(minute_of(began));
            if ok {
                minute.probe_us.push(took);
            } else {
                minute.probe_errors += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    let mut tally = Arc::try_unwrap(tally)
        .map_err(|_| anyhow::anyhow!("tally still shared"))?
        .into_inner()
        .map_err(|_| anyhow::anyhow!("poisoned"))?;
    // Only whole minutes: requests finishing after the end land in a partial last minute.
    tally.minutes.truncate(settings.minutes as usize);
    Ok(tally)
}

/// One organization's provisioning job: the initial cycle, then a small random change to its
/// directory and an incremental cycle, again and again until `end`.
async fn provision(
    index: usize,
    org: &OrgTenant,
    settings: &SoakSettings,
    end: Instant,
    tally: &Mutex<Tally>,
    upns: &Mutex<Vec<(String, String)>>,
    minute_of: impl Fn(Instant) -> usize,
) -> anyhow::Result<()> {
    let mut shape = OrgShape::new(settings.users_per_org, settings.groups_per_org);
    shape.domain = format!("org{index}.example.edu");
    shape.seed = 1 + index as u64;
    let generated = generate_org(&shape);
    let mut directory = generated.directory;
    let mut users = generated.users;
    let groups = generated.groups;
    let mut config = EngineConfig::new(Profile::Entra(Dialect::Default));
    config.workers = 2;
    // A 429 counts as a failure: at Entra's pace the rate limit must never be reached.
    let mut client = ClientConfig::new(&org.tenant_url, &org.token);
    client.max_throttle_retries = 0;
    client.requests_per_second = Some(settings.requests_per_second).filter(|r| *r > 0);
    let mut engine = Engine::new(client, config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut rng = crate::load::Rng::new(index as u64 + 11);
    let mut added = 0usize;
    // Spread the organizations' cycles over the pause so they do not march in step.
    tokio::time::sleep(
        settings
            .cycle_pause
            .mul_f64(index as f64 / settings.orgs.max(1) as f64),
    )
    .await;
    let mut first = true;
    while Instant::now() < end {
        if !first {
            mutate(
                &mut directory,
                &mut users,
                &groups,
                &mut rng,
                &mut added,
                index,
            );
        }
        let report = engine.run_cycle(&directory).await;
        let minute = minute_of(Instant::now());
        {
            let mut tally = tally.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            let (ok, failed) =
                report
                    .entries
                    .iter()
                    .fold((0, 0), |(ok, failed), e| match e.status {
                        Status::Success | Status::Warning => (ok + 1, failed),
                        Status::Failure => (ok, failed + 1),
                        Status::Skipped => (ok, failed),
                    });
            if tally.first_failure.is_none()
                && let Some(f) = report.failures().first()
            {
                tally.first_failure =
                    Some(format!("{} -> {:?} {}", f.request, f.http_status, f.detail));
            }
            let m = tally.minute(minute);
            m.succeeded += ok;
            m.failed += failed;
        }
        if first {
            let mut upns = upns.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            for user in users.iter().take(50) {
                if let Some(u) = directory.users.get(user) {
                    upns.push((org.id.clone(), u.spec.user_principal_name.clone()));
                }
            }
            first = false;
        }
        tokio::time::sleep(settings.cycle_pause).await;
    }
    Ok(())
}

/// A few of the changes an administrator makes in a day: hires, leavers, moves between groups,
/// renames, returns.
fn mutate(
    directory: &mut Directory,
    users: &mut Vec<UserId>,
    groups: &[roster_sim::GroupId],
    rng: &mut crate::load::Rng,
    added: &mut usize,
    org: usize,
) {
    for _ in 0..1 + rng.below(4) {
        let user = users[rng.below(users.len())].clone();
        let group = &groups[rng.below(groups.len().max(1))];
        match rng.below(6) {
            0 => {
                *added += 1;
                let spec = UserSpec::simple(
                    &format!("new.hire{added}"),
                    &format!("org{org}.example.edu"),
                );
                let id = directory.add_user(spec);
                directory.add_member(group, &id);
                directory.assign_user(&id);
                users.push(id);
            }
            1 => directory.unassign_user(&user),
            2 => directory.assign_user(&user),
            3 => directory.add_member(group, &user),
            4 => directory.remove_member(group, &user),
            _ => directory.update_user(&user, |spec| {
                spec.display_name = format!("{} (moved)", spec.given_name);
            }),
        }
    }
}

fn print_table(kind: StoreKind, tally: &Tally) {
    println!("**{}**\n", kind.label());
    println!(
        "| minute | SCIM requests ok | failed | probe p50 ms | probe p99 ms | probe errors | server RSS MiB |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for (i, m) in tally.minutes.iter().enumerate() {
        let mut probe = m.probe_us.clone();
        probe.sort_unstable();
        println!(
            "| {} | {} | {} | {:.2} | {:.2} | {} | {} |",
            i + 1,
            m.succeeded,
            m.failed,
            percentile_ms(&probe, 50),
            percentile_ms(&probe, 99),
            m.probe_errors,
            m.rss_mib.map_or("?".to_owned(), |r| format!("{r:.1}")),
        );
    }
    if let Some(f) = &tally.first_failure {
        println!("\nfirst failure: {f}");
    }
    println!();
}

fn percentile_ms(sorted: &[u32], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (sorted.len() * p).div_ceil(100).max(1) - 1;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
}
