//! `roster`: the SCIM provisioning service and its operator CLI.

mod admins;
mod api_keys;
mod cli;
mod commands;
mod connections;
mod database;
mod logging;
mod output;
mod secret_key;
mod serve;
mod sso;
mod webhooks;

use std::process::ExitCode;

use clap::Parser;

/// A request allocates and frees dozens of small blocks across two worker threads; glibc's
/// allocator spent a tenth of a read's CPU on them (`scripts/profile-request-path`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    logging::init(cli.command.is_serve());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_park(logging::write_held_lines)
        .on_thread_stop(logging::stop_holding_lines)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(commands::run(cli));
    // The workers write the log lines they hold as they stop: before the last words below.
    drop(runtime);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", output::printable(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}
