//! The end-to-end lifecycle suite: every scenario starts a real `roster serve` on a random port
//! with a temporary SQLite database, provisions it with the simulator, and checks after each step
//! that the directory's intended state and Roster's state agree — through SCIM (the simulator's
//! comparison) and through the CLI (`roster user show`, `roster group show`). Entra scenarios run
//! in both dialects; the Okta profile has its own lifecycle.
//!
//! The `roster` binary is built on demand (see `support.rs`); set `ROSTER_BIN` to use another.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod fixture;
mod scenarios;
mod support;

/// Declares a module per scenario with one test per Entra dialect.
macro_rules! in_both_dialects {
    ($($module:ident :: $scenario:ident),* $(,)?) => {$(
        mod $scenario {
            use roster_sim::{Dialect, Profile};

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn default_dialect() {
                crate::scenarios::$module::$scenario(Profile::Entra(Dialect::Default)).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn aad_opt_scim_062020_dialect() {
                crate::scenarios::$module::$scenario(Profile::Entra(Dialect::Flag)).await;
            }
        }
    )*};
}

in_both_dialects!(
    initial::initial_sync_provisions_a_realistic_org_and_adopts_hand_made_accounts_and_groups,
    assignments::unassigning_a_user_deactivates_it_and_frees_its_seat,
    assignments::unassigning_a_group_deactivates_only_users_who_lost_every_assignment_and_deletes_it,
    assignments::reassigning_reactivates_the_same_accounts_and_recreates_the_group,
    deletion::hard_delete_ends_management_and_recreation_reactivates_the_same_account,
    seats::seat_limit_failures_are_held_retried_and_succeed_after_seats_are_raised,
    seats::an_independent_account_blocks_creation_until_it_is_invited,
    members::hand_added_group_members_survive_every_cycle,
    edits::directory_edits_are_sent_as_updates_and_land,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_profile_lifecycle_agrees_at_every_step() {
    scenarios::okta::okta_profile_lifecycle_agrees_at_every_step().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_resources_are_located_under_the_tenant_url() {
    scenarios::locations::created_resources_are_located_under_the_tenant_url().await;
}
