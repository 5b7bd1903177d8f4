//! `roster-bench`: end-to-end load on a release-built `roster serve`, on the embedded SQLite
//! store and (when a PostgreSQL server is named) on a fresh PostgreSQL database, side by side in
//! one run because this machine's speed drifts within the hour.
//!
//! It seeds an organization through the CLI and SCIM, then drives the requests Microsoft Entra
//! ID sends most, at a fixed concurrency for a fixed time, and prints req/s, p50 and p99 per
//! scenario and store as a Markdown table on stdout (progress goes to stderr). It talks to Roster
//! only through its binary and HTTP, like a real deployment; nothing here links Roster's crates.
//! With `--peer NAME=URL` it also drives other SCIM servers with the lookups, reads and creates
//! in the same run, and prints them beside Roster on SQLite with the ratios
//! (`bench/peers/run.sh` installs and starts two).
//!
//! `cargo run --release -p roster-bench -- --help`; see `bench/README.md`.

mod fleet;
mod growth;
mod lean;
mod load;
mod scale;
mod server;
mod soak;

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::{
    load::{Scenario, Settings},
    server::{Setup, StoreKind, Target},
};

#[derive(Debug, Parser)]
#[command(
    name = "roster-bench",
    about = "Entra-shaped SCIM load on roster serve, SQLite and PostgreSQL side by side"
)]
struct Args {
    /// Seconds measured per scenario and store.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Seconds of unmeasured load before each measurement (connections, caches, JIT-free but
    /// not cold: the page cache and PostgreSQL's buffers warm up).
    #[arg(long, default_value_t = 1)]
    warmup: u64,
    /// Requests in flight at once (one connection each).
    #[arg(long, default_value_t = 16, value_parser = at_least_one)]
    concurrency: usize,
    /// Users seeded before measuring.
    #[arg(long, default_value_t = 10_000, value_parser = at_least_one)]
    users: usize,
    /// Groups seeded before measuring; the seeded users are spread over them as members.
    #[arg(long, default_value_t = 50, value_parser = at_least_one)]
    groups: usize,
    /// Stores to measure, in this order within each scenario.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "sqlite,postgres"
    )]
    stores: Vec<StoreKind>,
    /// Scenarios to run (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    scenarios: Vec<Scenario>,
    /// PostgreSQL server on which a fresh database is created (and dropped afterwards). Without
    /// it the PostgreSQL store is skipped with a note.
    #[arg(long, env = "ROSTER_TEST_POSTGRES_URL", value_name = "URL")]
    postgres_url: Option<String>,
    /// The `roster` executable; by default `cargo build --release -p roster` is run and its
    /// output used, so a stale binary is never measured.
    #[arg(long, env = "ROSTER_BIN", value_name = "PATH")]
    roster_bin: Option<PathBuf>,
    /// `ROSTER_LOG` for the servers; `info` (the default of `serve`) logs every request.
    #[arg(long, default_value = "info")]
    server_log: String,
    /// `--rate-limit` for the servers. Off by default: one organization sends all the load, and
    /// the benchmark measures the server, not the per-organization limiter (default 100/s).
    #[arg(long, default_value_t = 0, value_name = "N")]
    rate_limit: u32,
    /// Another SCIM server to measure beside Roster on SQLite: `NAME=BASE_URL` (e.g.
    /// `scim2-server=http://127.0.0.1:8080/v2`). Repeatable. It gets the same users and the
    /// `filter-user`, `get-user` and `create-user` scenarios.
    #[arg(long = "peer", value_name = "NAME=URL", value_parser = peer)]
    peers: Vec<(String, String)>,
    /// Bearer token sent to every peer; without it peers get no `Authorization` header.
    #[arg(long, value_name = "TOKEN")]
    peer_token: Option<String>,
    /// Exit with an error when any row counted an error (for a smoke run in CI).
    #[arg(long)]
    fail_on_errors: bool,
    /// Instead of the scenarios: a scale workload or the soak run.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scale workloads (issue 17), each on every store in turn.
    Scale {
        #[arg(
            long,
            value_enum,
            value_delimiter = ',',
            default_value = "initial-sync,many-orgs"
        )]
        workloads: Vec<Workload>,
        /// initial-sync: users, spread one per group over the groups.
        #[arg(long, default_value_t = 100_000, value_parser = at_least_one)]
        sync_users: usize,
        #[arg(long, default_value_t = 1_000, value_parser = at_least_one)]
        sync_groups: usize,
        /// initial-sync: the simulator's requests in flight.
        #[arg(long, default_value_t = 16, value_parser = at_least_one)]
        sync_workers: usize,
        /// many-orgs: organizations, and accounts spread over them.
        #[arg(long, default_value_t = 1_000, value_parser = at_least_one)]
        orgs: usize,
        #[arg(long, default_value_t = 1_000_000, value_parser = at_least_one)]
        accounts: usize,
        /// many-orgs: seconds of lookups before and after the restart.
        #[arg(long, default_value_t = 10)]
        lookup_seconds: u64,
        /// growth: the largest size measured (1,000, 10,000, … up to it).
        #[arg(long, default_value_t = 1_000_000, value_parser = at_least_one)]
        growth_max: usize,
    },
    /// Many organizations provisioned at once by the simulator for minutes, every store at once;
    /// memory, failures and a probe's latency per minute. The servers run with their default
    /// rate limit (250/s per organization) and a 429 counts as a failure.
    Soak {
        #[arg(long, default_value_t = 10)]
        minutes: u64,
        #[arg(long, default_value_t = 50, value_parser = at_least_one)]
        orgs: usize,
        #[arg(long, default_value_t = 200, value_parser = at_least_one)]
        users_per_org: usize,
        #[arg(long, default_value_t = 10, value_parser = at_least_one)]
        groups_per_org: usize,
        /// Seconds between one organization's provisioning cycles.
        #[arg(long, default_value_t = 5)]
        cycle_pause: u64,
        /// Requests started per second by each organization's simulator at most (its two
        /// workers share it): Entra's pace, as Microsoft asks apps to sustain 25 per tenant.
        /// 0: as fast as answers come back.
        #[arg(long, default_value_t = 25)]
        requests_per_second: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Workload {
    InitialSync,
    ManyOrgs,
    /// One organization grown to 1,000, 10,000, … accounts: each operation's cost at each size.
    Growth,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let result = run(&args).await;
    // The servers are stopped by now: every run's future owned them.
    server::finish_logs(result.is_err());
    result
}

async fn run(args: &Args) -> anyhow::Result<()> {
    let bin = match args.roster_bin.clone() {
        Some(path) => path,
        None => server::build_release_binary().context("building roster in release mode")?,
    };
    eprintln!("roster binary: {}", bin.display());
    if let Some(command) = &args.command {
        return run_command(command, args, &bin).await;
    }
    let scenarios = if args.scenarios.is_empty() {
        Scenario::value_variants().to_vec()
    } else {
        args.scenarios.clone()
    };

    let setup = Setup {
        bin: &bin,
        postgres_url: args.postgres_url.as_deref(),
        log: &args.server_log,
        rate_limit: args.rate_limit,
        users: args.users,
        groups: args.groups,
        concurrency: args.concurrency,
    };
    let mut targets = Vec::new();
    for &kind in &args.stores {
        if kind == StoreKind::Postgres && args.postgres_url.is_none() {
            eprintln!("skipping PostgreSQL: set ROSTER_TEST_POSTGRES_URL or --postgres-url");
            continue;
        }
        eprintln!(
            "{}: seeding {} users and {} groups",
            kind.label(),
            args.users,
            args.groups
        );
        let target = Target::start(kind, &setup)
            .await
            .with_context(|| format!("setting up {}", kind.label()))?;
        targets.push(target);
    }
    anyhow::ensure!(!targets.is_empty(), "no store to measure");
    anyhow::ensure!(
        args.peers.is_empty() || args.stores.contains(&StoreKind::Sqlite),
        "--peer compares with Roster on SQLite: include sqlite in --stores"
    );
    for (name, url) in &args.peers {
        eprintln!("{name}: seeding {} users at {url}", args.users);
        let target = Target::peer(name, url, args.peer_token.as_deref(), &setup)
            .await
            .with_context(|| format!("setting up peer {name} at {url}"))?;
        targets.push(target);
    }

    let settings = Settings {
        concurrency: args.concurrency,
        warmup: Duration::from_secs(args.warmup),
        duration: Duration::from_secs(args.duration),
    };
    let rows = measure(&targets, &scenarios, &settings).await;
    for target in targets {
        target.stop();
    }
    let rows = rows?;

    println!(
        "{} users and {} groups seeded; {} connections; {} s measured after {} s warm-up per row; server log level `{}`, rate limit {}.\n",
        args.users,
        args.groups,
        args.concurrency,
        args.duration,
        args.warmup,
        args.server_log,
        if args.rate_limit == 0 {
            "off".to_owned()
        } else {
            format!("{}/s", args.rate_limit)
        }
    );
    println!("| scenario | store | req/s | p50 ms | p99 ms | errors |");
    println!("|---|---|---:|---:|---:|---:|");
    for row in rows.iter().filter(|r| r.roster) {
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {} |",
            row.scenario.title(),
            row.label,
            row.stats.rate(),
            row.stats.percentile_ms(50),
            row.stats.percentile_ms(99),
            row.stats.errors
        );
    }
    if !args.peers.is_empty() {
        print_peers(&rows);
    }
    let errors: u64 = rows.iter().map(|r| r.stats.errors).sum();
    anyhow::ensure!(
        !(args.fail_on_errors && errors > 0),
        "{errors} requests failed (--fail-on-errors); the first error of each row is on stderr"
    );
    Ok(())
}

/// One scenario on one target.
struct Row {
    scenario: Scenario,
    label: String,
    /// Roster (a store), not a peer.
    roster: bool,
    stats: load::Stats,
}

/// Roster on SQLite beside each peer, scenario by scenario, with how many times Roster's rate
/// each one's is.
fn print_peers(rows: &[Row]) {
    let sqlite = StoreKind::Sqlite.label();
    println!(
        "\n| scenario | server | req/s | p50 ms | p99 ms | errors | Roster (SQLite) ÷ server |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for scenario in Scenario::value_variants().iter().filter(|s| s.for_peers()) {
        let Some(roster) = rows
            .iter()
            .find(|r| r.scenario == *scenario && r.roster && r.label == sqlite)
        else {
            continue;
        };
        for row in rows.iter().filter(|r| r.scenario == *scenario && !r.roster) {
            let ratio = roster.stats.rate() / row.stats.rate().max(f64::EPSILON);
            println!(
                "| {} | {} | {:.0} | {:.2} | {:.2} | {} | {:.1}× |",
                scenario.title(),
                row.label,
                row.stats.rate(),
                row.stats.percentile_ms(50),
                row.stats.percentile_ms(99),
                row.stats.errors,
                ratio
            );
        }
        println!(
            "| {} | Roster (SQLite) | {:.0} | {:.2} | {:.2} | {} | 1.0× |",
            scenario.title(),
            roster.stats.rate(),
            roster.stats.percentile_ms(50),
            roster.stats.percentile_ms(99),
            roster.stats.errors
        );
    }
}

/// Every scenario on every store; the servers are stopped by the caller whatever happens.
async fn measure(
    targets: &[Target],
    scenarios: &[Scenario],
    settings: &Settings,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    // Scenario by scenario, each target in turn, so all meet the same machine state.
    for &scenario in scenarios {
        for target in targets.iter().filter(|t| t.runs(scenario)) {
            eprintln!("{} on {} ...", scenario.title(), target.label);
            let stats = load::run(target, scenario, settings).await?;
            eprintln!(
                "  {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
                stats.rate(),
                stats.percentile_ms(50),
                stats.percentile_ms(99),
                stats.errors
            );
            if let Some(sample) = &stats.error_sample {
                eprintln!("  first error: {sample}");
            }
            rows.push(Row {
                scenario,
                label: target.label.clone(),
                roster: target.kind.is_some(),
                stats,
            });
        }
    }

    Ok(rows)
}

/// The scale workloads and the soak run: other tables, the same servers and stores.
async fn run_command(command: &Command, args: &Args, bin: &std::path::Path) -> anyhow::Result<()> {
    let stores: Vec<StoreKind> = args
        .stores
        .iter()
        .copied()
        .filter(|&kind| {
            let skip = kind == StoreKind::Postgres && args.postgres_url.is_none();
            if skip {
                eprintln!("skipping PostgreSQL: set ROSTER_TEST_POSTGRES_URL or --postgres-url");
            }
            !skip
        })
        .collect();
    anyhow::ensure!(!stores.is_empty(), "no store to measure");
    let pg = args.postgres_url.as_deref();
    match command {
        Command::Soak {
            minutes,
            orgs,
            users_per_org,
            groups_per_org,
            cycle_pause,
            requests_per_second,
        } => {
            let settings = soak::SoakSettings {
                minutes: *minutes,
                orgs: *orgs,
                users_per_org: *users_per_org,
                groups_per_org: *groups_per_org,
                cycle_pause: Duration::from_secs(*cycle_pause),
                requests_per_second: *requests_per_second,
            };
            soak::run(bin, pg, &stores, &settings, &args.server_log).await
        }
        Command::Scale {
            workloads,
            sync_users,
            sync_groups,
            sync_workers,
            orgs,
            accounts,
            lookup_seconds,
            growth_max,
        } => {
            for workload in workloads {
                let mut rows = Vec::new();
                for &kind in &stores {
                    match workload {
                        Workload::InitialSync => {
                            eprintln!("initial sync on {}: {sync_users} users", kind.label());
                            let fleet = fleet::Fleet::start(
                                kind,
                                bin,
                                pg,
                                1,
                                sync_users * 2,
                                &args.server_log,
                                args.rate_limit,
                            )
                            .await?;
                            rows.push(
                                scale::initial_sync(
                                    &fleet,
                                    *sync_users,
                                    *sync_groups,
                                    *sync_workers,
                                )
                                .await?,
                            );
                        }
                        Workload::ManyOrgs => {
                            eprintln!("many orgs on {}: making {orgs} organizations", kind.label());
                            let per_org = accounts.div_ceil(*orgs);
                            let mut fleet = fleet::Fleet::start(
                                kind,
                                bin,
                                pg,
                                *orgs,
                                per_org * 2,
                                &args.server_log,
                                args.rate_limit,
                            )
                            .await?;
                            rows.push(
                                scale::many_orgs(
                                    &mut fleet,
                                    *accounts,
                                    args.concurrency,
                                    *lookup_seconds,
                                )
                                .await?,
                            );
                        }
                        Workload::Growth => {
                            eprintln!("growth on {}", kind.label());
                            let fleet = fleet::Fleet::start(
                                kind,
                                bin,
                                pg,
                                1,
                                growth_max * 2,
                                &args.server_log,
                                args.rate_limit,
                            )
                            .await?;
                            rows.push(growth::growth(&fleet, *growth_max, args.concurrency).await?);
                        }
                    }
                    eprintln!("  {}", rows.last().map_or("", String::as_str));
                }
                println!(
                    "{}",
                    match workload {
                        Workload::InitialSync => scale::initial_sync_header(),
                        Workload::ManyOrgs => scale::many_orgs_header(),
                        // Its table carries its own header (one column per size).
                        Workload::Growth => "",
                    }
                );
                for row in rows {
                    println!("{row}");
                }
                println!();
            }
            Ok(())
        }
    }
}

/// `NAME=URL` of `--peer`.
fn peer(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, url)) if !name.is_empty() && url.starts_with("http") => {
            Ok((name.to_owned(), url.to_owned()))
        }
        _ => Err("expected NAME=URL, e.g. scim2-server=http://127.0.0.1:8080/v2".into()),
    }
}

/// Counts the scenarios index into (users, groups, workers): zero would leave nothing to pick.
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_is_a_name_and_a_base_url() {
        assert_eq!(
            peer("SCIMMY=http://127.0.0.1:1/scim"),
            Ok(("SCIMMY".into(), "http://127.0.0.1:1/scim".into()))
        );
        assert!(peer("http://127.0.0.1:1/scim").is_err());
        assert!(peer("=http://127.0.0.1:1/scim").is_err());
        assert!(peer("x=127.0.0.1:1").is_err());
    }

    #[test]
    fn peers_get_the_lookups_reads_and_creates_only() {
        let peer: Vec<Scenario> = Scenario::value_variants()
            .iter()
            .copied()
            .filter(|s| s.for_peers())
            .collect();
        assert_eq!(
            peer,
            [
                Scenario::FilterUser,
                Scenario::GetUser,
                Scenario::CreateUser
            ]
        );
    }
}
