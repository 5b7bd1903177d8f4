//! Roster's one integration-test binary. Tests drive the real router in process (`support::TestApp`)
//! or the real binary on a random port (`support::Server`) where process behaviour matters.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod admins;
mod auth;
mod busy;
mod cli;
mod console;
mod console_pages;
mod consumer;
mod crash;
mod cursor;
mod db_faults;
mod discovery;
mod errors;
mod events;
mod groups;
mod hostile_http;
mod isolation;
mod metrics;
mod multi_instance;
mod names;
mod read_api;
mod retention;
mod secrets;
mod serve;
mod sso;
mod sso_flow;
mod sso_limits;
mod support;
mod users;
mod webhooks;
mod wire;
