//! The one store conformance suite: every documented behaviour of [`Store`], run against each
//! implementation (SQLite and PostgreSQL) from its `tests/conformance.rs`, with an invariant
//! check after each case (seats within limits, no membership across organizations, no dangling
//! members). A dev-dependency only; it talks to stores through the trait and nothing else.
//!
//! A backend wires it in with [`store_conformance!`], naming an async function that returns a
//! fresh, empty, migrated store (or `None` to skip, e.g. when no test server is configured):
//!
//! ```ignore
//! async fn fresh() -> Option<roster_store_tests::Fixture> { ... }
//! roster_store_tests::store_conformance!(fresh);
//! ```
//!
//! Each case is a `pub async fn(Arc<dyn Store>)` that panics on a failed expectation, so the
//! macro turns it into one `#[tokio::test]` and a failing case names itself.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test suite: a failed expectation is the report"
)]

pub mod accounts;
pub mod admins;
pub mod audit;
pub mod console;
pub mod console_queries;
pub mod events;
pub mod filters;
pub mod groups;
mod invariants;
pub mod log;
pub mod log_writes;
pub mod memberships;
pub mod names;
pub mod orgs;
pub mod retention;
pub mod scim_tokens;
pub mod seats;
pub mod sign_in;
pub mod sso;
pub mod sso_sign_in;
pub mod support;
pub mod tokens;
pub mod upgrade;
pub mod webhooks;

use std::{any::Any, future::Future, sync::Arc};

use roster_domain::Store;

pub use invariants::check_invariants;

/// A fresh store for one case, and whatever must outlive it (a temporary directory, a test
/// database to drop). Fields drop in order: the store first, then the guard.
pub struct Fixture {
    pub store: Arc<dyn Store>,
    guard: Option<Box<dyn Any + Send>>,
}

impl Fixture {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store, guard: None }
    }

    /// Keeps `guard` alive until the case and its invariant check are done.
    pub fn with_guard(mut self, guard: impl Any + Send) -> Self {
        self.guard = Some(Box::new(guard));
        self
    }
}

impl std::fmt::Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixture")
            .field("store", &self.store)
            .field("guard", &self.guard.is_some())
            .finish()
    }
}

/// Runs one case on a fresh store from `make`, then checks the invariants. `make` returning
/// `None` skips the case (it says why).
pub async fn run<M, MF, C, CF>(make: M, case: C)
where
    M: FnOnce() -> MF,
    MF: Future<Output = Option<Fixture>>,
    C: FnOnce(Arc<dyn Store>) -> CF,
    CF: Future<Output = ()>,
{
    let Some(fixture) = make().await else {
        return;
    };
    case(Arc::clone(&fixture.store)).await;
    check_invariants(fixture.store.as_ref()).await;
    drop(fixture);
}

/// Generates one `#[tokio::test]` per conformance case, each on a fresh store from `$make`
/// (`async fn() -> Option<Fixture>`). The calling crate needs `tokio` as a dev-dependency.
#[macro_export]
macro_rules! store_conformance {
    ($make:path) => {
        $crate::store_conformance!(@cases $make;
            orgs::orgs_round_trip_exactly_and_list_oldest_first,
            orgs::orgs_and_an_accounts_groups_page_by_id,
            orgs::inserting_an_existing_org_id_is_a_unique_violation,
            orgs::seats_used_counts_active_accounts_of_the_org_only,
            tokens::first_token_installs_only_when_none_is_current,
            tokens::rotation_with_grace_keeps_the_previous_token_until_it_expires,
            tokens::rotation_without_grace_revokes_the_previous_token_at_once,
            tokens::revoking_removes_every_token_of_the_org_only,
            accounts::account_insert_sets_version_one_and_round_trips,
            accounts::account_update_needs_the_current_version,
            accounts::user_name_is_unique_platform_wide_ignoring_case,
            accounts::account_lists_filter_on_every_indexed_column,
            accounts::scim_deleted_accounts_are_invisible_to_scim_only,
            accounts::account_pages_follow_listing_order_with_total,
            accounts::end_scim_memberships_ends_only_scim_memberships,
            seats::seat_limit_refuses_with_exact_counts_and_writes_nothing,
            seats::reactivation_takes_a_seat_and_deactivation_frees_one,
            seats::twenty_concurrent_inserts_take_exactly_five_seats,
            seats::concurrent_reactivations_take_exactly_the_free_seats,
            groups::group_insert_round_trips_with_version_one,
            groups::versioned_group_update_needs_the_current_version,
            groups::members_only_write_keeps_fields_and_bumps_version,
            groups::display_name_is_unique_per_org_ignoring_case,
            groups::group_lists_filter_on_every_indexed_column,
            groups::group_pages_follow_listing_order_with_total,
            groups::delete_group_removes_its_memberships_not_its_accounts,
            groups::delete_group_with_a_stale_version_is_a_conflict_and_deletes_nothing,
            groups::group_writes_stay_in_their_scope,
            memberships::members_list_sources_and_managed_flags_by_user_name,
            memberships::member_ids_are_listed_in_id_order_up_to_a_limit,
            memberships::scim_add_keeps_a_manual_membership_manual,
            memberships::scim_remove_takes_only_scim_or_managed_memberships,
            memberships::scim_replace_sets_managed_members_and_keeps_hand_added_ones,
            memberships::manual_changes_touch_every_membership,
            memberships::members_outside_the_org_are_skipped_and_reported,
            memberships::repeated_changes_are_idempotent,
            memberships::fifty_concurrent_adds_and_removes_end_exactly_right,
            memberships::concurrent_adds_of_one_member_add_it_once,
            memberships::versioned_writers_racing_on_one_group_lose_no_update,
            log::log_round_trips_and_lists_newest_first,
            log::trim_removes_entries_by_age_only,
            log_writes::a_committed_write_stores_its_entry_with_what_it_skipped,
            log_writes::a_refused_write_stores_neither_its_entry_nor_its_events,
            scim_tokens::a_rotated_or_disabled_token_is_refused_here_at_once_and_elsewhere_within_the_ttl,
            audit::audit_entries_round_trip_and_list_newest_first,
            audit::audit_pages_continue_strictly_before_their_cursor,
            audit::an_administrator_audits_and_reads_only_their_own_organization,
            console::credentials_round_trip_and_list_only_the_orgs_administrators,
            console::setup_writes_the_first_administrator_once,
            console::concurrent_setups_make_exactly_one_administrator,
            console::removing_an_admin_demotes_it_and_ends_its_credential_and_sessions,
            console::concurrent_removals_leave_one_administrator,
            console::an_invitation_is_accepted_once_and_only_before_it_expires,
            console::sessions_round_trip_are_touched_and_end,
            console::failed_sign_ins_are_counted_by_account_and_address_within_the_window,
            sign_in::setup_creates_the_organization_and_a_signed_in_administrator_once,
            sign_in::two_concurrent_setups_create_one_organization,
            sign_in::setup_refuses_a_weak_password_and_writes_nothing,
            sign_in::each_sign_in_makes_a_new_session_and_sign_out_ends_it,
            sign_in::wrong_passwords_and_unknown_emails_are_refused_alike,
            sign_in::the_sixth_sign_in_within_fifteen_minutes_is_throttled_even_with_the_right_password,
            sign_in::concurrent_attempts_check_at_most_the_limit_of_passwords,
            sign_in::a_successful_sign_in_clears_the_accounts_failures,
            sign_in::twenty_failures_from_one_address_throttle_it_for_every_email,
            sign_in::sessions_end_after_thirty_idle_minutes,
            sign_in::sessions_are_touched_at_most_once_a_minute,
            sign_in::sessions_end_twelve_hours_after_sign_in_however_busy,
            sign_in::deactivating_an_administrator_ends_their_sessions_and_sign_in,
            admins::adding_an_admin_creates_or_promotes_an_account_of_the_organization,
            admins::an_account_outside_the_organization_is_not_made_an_admin,
            admins::a_weak_password_adds_no_administrator,
            admins::an_invitation_sets_a_password_once_within_seven_days,
            admins::removing_an_admin_keeps_the_account_with_the_lowest_role_and_ends_its_sessions,
            admins::an_admin_of_one_organization_reaches_nothing_of_another,
            retention::purge_dry_run_lists_without_deleting,
            retention::purge_is_strictly_before_and_removes_memberships,
            retention::concurrent_purges_delete_each_account_once,
            retention::retention_lock_has_one_holder_at_a_time,
            filters::sql_filters_on_accounts_agree_with_the_in_memory_evaluator,
            filters::sql_filters_on_groups_agree_with_the_in_memory_evaluator,
            filters::narrowed_filters_on_accounts_agree_with_the_in_memory_evaluator,
            filters::narrowed_filters_on_groups_agree_with_the_in_memory_evaluator,
            filters::sql_sorts_on_accounts_agree_with_the_in_memory_sort,
            filters::sql_sorts_on_groups_agree_with_the_in_memory_sort,
            names::user_names_are_one_name_whatever_the_case_and_composition,
            names::group_names_are_one_name_whatever_the_case_and_composition,
            names::filters_on_names_fold_in_sql_and_in_memory_alike,
            names::the_longest_names_and_texts_are_stored_on_every_store,
            sso::sso_configuration_round_trips_is_replaced_and_removed_per_organization,
            sso::a_pending_sign_in_is_taken_once_and_never_after_it_expires,
            sso::concurrent_callbacks_with_one_state_finish_it_once,
            sso::links_are_unique_per_organization_and_found_only_in_theirs,
            sso::the_sign_in_log_round_trips_newest_first_per_organization,
            sso::an_accounts_groups_are_listed_by_name_in_its_organization_only,
            sso_sign_in::sso_needs_a_secret_key_and_never_shows_the_client_secret,
            sso_sign_in::a_tenant_id_that_is_not_a_guid_and_a_plain_http_issuer_are_refused,
            sso_sign_in::a_started_sign_in_comes_back_once_within_ten_minutes,
            sso_sign_in::a_provisioned_user_signs_in_by_user_name_and_stays_linked_after_a_rename,
            sso_sign_in::external_id_equal_to_the_oid_matches_an_account_with_another_user_name,
            sso_sign_in::deactivation_ends_the_session_and_refuses_sign_in_until_reactivated,
            sso_sign_in::unprovisioned_independent_hand_added_and_other_organizations_people_are_refused,
            sso_sign_in::me_shows_the_organization_role_and_groups_and_sign_out_ends_it,
            sso_sign_in::a_rejected_token_is_in_the_sign_in_log_with_what_was_expected,
            console_queries::activity_adds_up_across_flushes_and_keeps_the_latest_times,
            console_queries::revoked_tokens_are_remembered_by_hash_for_their_org_only,
            console_queries::log_windows_filter_page_and_bound_their_scan,
            console_queries::an_accounts_log_is_found_by_id_or_user_name_and_seat_refusals_once_per_name,
            console_queries::console_accounts_page_by_name_key_with_a_prefix_and_their_groups,
            console_queries::console_groups_and_members_page_by_key_and_id_with_capped_counts,
            console_queries::managed_and_due_counts_are_capped_and_scoped,
            console_queries::audit_entries_about_a_target_are_found_within_a_bounded_scan,
            events::every_account_write_appends_its_events,
            events::group_writes_append_an_event_per_membership_really_changed,
            events::refused_writes_append_no_events,
            events::retention_and_settings_append_their_events,
            events::the_feed_reads_in_order_per_organization_and_trims_behind_a_horizon,
            events::sso_settings_and_an_administrators_removal_append_their_events,
            webhooks::webhooks_round_trip_change_state_and_are_removed_with_their_log,
            webhooks::one_instance_holds_a_webhook_and_only_it_records_progress,
            webhooks::webhooks_are_capped_per_organization_and_for_the_deployment,
            webhooks::concurrent_webhook_and_key_inserts_stop_exactly_at_the_cap,
            webhooks::api_keys_are_capped_by_the_keys_not_revoked_per_owner,
            webhooks::an_organizations_webhook_and_key_reads_return_its_own_rows_only,
            webhooks::due_webhooks_are_the_active_ones_not_waiting_and_not_held_by_another_instance,
        );
    };
    (@cases $make:path; $($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                $crate::run($make, $crate::$module::$case).await;
            }
        )*
    };
}
