//! `roster-sim`: provisions a generated organization into any SCIM tenant, as Entra ID (either
//! dialect) or Okta would, prints each cycle's report and the final comparison, and exits
//! non-zero when the tenant disagrees with the directory.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use roster_sim::{
    ClientConfig, Engine, EngineConfig, OrgShape, Profile, compare, generate_org, state::Backoff,
};

#[derive(Debug, Parser)]
#[command(
    name = "roster-sim",
    version,
    about = "Identity-provider simulator for SCIM 2.0 endpoints"
)]
struct Cli {
    /// The Tenant URL, e.g. http://127.0.0.1:8080/scim/v2/<org>.
    #[arg(long, env = "ROSTER_SIM_TENANT_URL", global = true)]
    tenant_url: Option<String>,
    /// The secret token. Prefer the environment variable: command lines are visible to others.
    #[arg(long, env = "ROSTER_SIM_TOKEN", global = true, hide_env_values = true)]
    token: Option<String>,
    /// entra, entra-flag (the aadOptscim062020 dialect) or okta.
    #[arg(long, default_value = "entra", global = true)]
    profile: Profile,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, global = true)]
    workers: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Entra's "Test Connection": a user and a group probe that must answer empty lists.
    Probe,
    /// Generate an organization, run cycles until nothing is left to send, compare.
    Sync {
        #[arg(long, default_value_t = 100)]
        users: usize,
        #[arg(long, default_value_t = 10)]
        groups: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// The most cycles to run.
        #[arg(long, default_value_t = 5)]
        cycles: usize,
        /// Members per membership PATCH.
        #[arg(long, default_value_t = 10)]
        batch: usize,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("roster-sim: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Returns whether the tenant passed.
async fn run(cli: Cli) -> anyhow::Result<bool> {
    let tenant_url = cli
        .tenant_url
        .ok_or_else(|| anyhow::anyhow!("--tenant-url (or ROSTER_SIM_TENANT_URL) is required"))?;
    let token = cli
        .token
        .ok_or_else(|| anyhow::anyhow!("ROSTER_SIM_TOKEN (or --token) is required"))?;
    let mut config = EngineConfig::new(cli.profile);
    config.workers = cli.workers;
    match cli.command {
        Command::Probe => {
            let engine = Engine::new(ClientConfig::new(&tenant_url, &token), config)?;
            match engine.test_connection().await {
                Ok(()) => {
                    println!("connection test passed ({})", cli.profile);
                    Ok(true)
                }
                Err(detail) => {
                    println!("connection test failed: {detail}");
                    Ok(false)
                }
            }
        }
        Command::Sync {
            users,
            groups,
            seed,
            cycles,
            batch,
        } => {
            config.member_batch = batch;
            config.backoff = Backoff::default();
            let mut engine = Engine::new(ClientConfig::new(&tenant_url, &token), config)?;
            let org = generate_org(&OrgShape {
                seed,
                ..OrgShape::new(users, groups)
            });
            for report in engine.run_until_settled(&org.directory, cycles).await {
                println!("{report}");
            }
            let comparison = compare(&engine, &org.directory).await;
            println!("{comparison}");
            Ok(comparison.agrees())
        }
    }
}
