//! `roster-bench`: end-to-end load on a release-built `roster serve`, on the embedded SQLite
//! store and (when a PostgreSQL server is named) on a fresh PostgreSQL database, side by side in
//! one run because this machine's speed drifts within the hour.
//!
//! It seeds an organization through the CLI and SCIM, then drives the requests Microsoft Entra
//! ID sends most, at a fixed concurrency for a fixed time, and prints req/s, p50 and p99 per
//! scenario and store as a Markdown table on stdout (progress goes to stderr). It talks to Roster
//! only through its binary and HTTP, like a real deployment; nothing here links Roster's crates.
//!
//! `cargo run --release -p roster-bench -- --help`; see `bench/README.md`.

mod load;
mod server;

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use clap::{Parser, ValueEnum};

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bin = match args.roster_bin.clone() {
        Some(path) => path,
        None => server::build_release_binary().context("building roster in release mode")?,
    };
    eprintln!("roster binary: {}", bin.display());
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
    for (scenario, kind, stats) in &rows {
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {} |",
            scenario.title(),
            kind.label(),
            stats.rate(),
            stats.percentile_ms(50),
            stats.percentile_ms(99),
            stats.errors
        );
    }
    Ok(())
}

/// Every scenario on every store; the servers are stopped by the caller whatever happens.
async fn measure(
    targets: &[Target],
    scenarios: &[Scenario],
    settings: &Settings,
) -> anyhow::Result<Vec<(Scenario, StoreKind, load::Stats)>> {
    let mut rows = Vec::new();
    // Scenario by scenario, each store in turn, so both stores meet the same machine state.
    for &scenario in scenarios {
        for target in targets {
            eprintln!("{} on {} ...", scenario.title(), target.kind.label());
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
            rows.push((scenario, target.kind, stats));
        }
    }

    Ok(rows)
}

/// Counts the scenarios index into (users, groups, workers): zero would leave nothing to pick.
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}
