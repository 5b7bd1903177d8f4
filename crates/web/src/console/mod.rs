//! The admin console (SPEC §5): server-rendered pages from askama templates, plain forms, one
//! small stylesheet and a copy-button script embedded in the binary. One file per page group;
//! handlers are thin and call one `Roster` method each. Every console method of the domain takes
//! an [`Admin`](roster_domain::Admin), which only the domain mints from a session, so a page can
//! reach nothing but the signed-in administrator's organization whatever URL it is given.

mod api_keys;
pub(crate) mod assets;
mod audit;
mod confirm;
pub(crate) mod cookies;
pub(crate) mod csrf;
mod format;
pub(crate) mod forms;
mod groups;
mod headers;
mod invitation;
mod log;
mod overview;
pub(crate) mod page;
mod retention;
mod scim;
mod session;
mod setup;
pub(crate) mod sign_in;
pub(crate) mod sign_ins;
mod sso;
mod users;
mod webhooks;

use std::sync::Mutex;

use axum::{
    Router,
    routing::{get, post},
};
use roster_domain::TokenHash;

pub use cookies::CookiePolicy;

use crate::AppState;

/// What the console keeps for the life of the process.
#[derive(Debug)]
pub struct Console {
    pub cookies: CookiePolicy,
    /// `scheme://host[:port]` of the public URL: the only `Origin` a form may come from.
    pub origin: String,
    /// The hash of the first-run setup code, while no administrator exists and it is unused.
    /// Held in memory only: a restart prints a new one.
    setup_code: Mutex<Option<TokenHash>>,
}

impl Console {
    pub fn new(public_url: &str) -> Self {
        Self {
            cookies: CookiePolicy::for_public_url(public_url),
            origin: csrf::origin_of(public_url),
            setup_code: Mutex::new(None),
        }
    }

    /// Arms the first-run setup page with a fresh random code and returns it (for the link
    /// `roster serve` prints); `None` when the OS has no randomness to give.
    pub fn arm_setup(&self) -> Option<String> {
        let code = csrf::random_token()?;
        let mut slot = self.setup_code.lock().ok()?;
        *slot = Some(TokenHash::of(&code));
        Some(code)
    }

    /// Whether `code` is the armed setup code (compared in constant time).
    fn setup_code_matches(&self, code: &str) -> bool {
        let presented = TokenHash::of(code);
        self.setup_code
            .lock()
            .ok()
            .and_then(|slot| *slot)
            .is_some_and(|armed| armed.ct_eq(&presented))
    }

    /// Once used, the code opens nothing, even before the process restarts.
    fn disarm_setup(&self) {
        if let Ok(mut slot) = self.setup_code.lock() {
            *slot = None;
        }
    }
}

/// The console's routes, mounted under `/console`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assets/{name}", get(assets::asset))
        .route("/", get(overview::overview))
        .route(
            "/sign-in",
            get(sign_in::sign_in_page).post(sign_in::sign_in),
        )
        .route("/sign-out", post(sign_in::sign_out))
        .route("/setup/{code}", get(setup::setup_page).post(setup::set_up))
        .route(
            "/invitation/{code}",
            get(invitation::invitation_page).post(invitation::accept_invitation),
        )
        .route("/scim", get(scim::scim_page))
        .route("/scim/enable", post(scim::enable))
        .route("/scim/rotate", post(scim::rotate))
        .route(
            "/scim/disable",
            get(scim::confirm_disable).post(scim::disable),
        )
        .route("/api-keys", get(api_keys::list).post(api_keys::create))
        .route(
            "/api-keys/{id}/revoke",
            get(api_keys::confirm_revoke).post(api_keys::revoke),
        )
        .route("/sso", get(sso::sso_page).post(sso::configure))
        .route("/sso/disable", get(sso::confirm_disable).post(sso::disable))
        .route("/webhooks", get(webhooks::list))
        .route("/webhooks/add", post(webhooks::add))
        .route("/webhooks/{id}", get(webhooks::show))
        .route("/webhooks/{id}/pause", post(webhooks::pause))
        .route("/webhooks/{id}/resume", post(webhooks::resume))
        .route(
            "/webhooks/{id}/remove",
            get(webhooks::confirm_remove).post(webhooks::remove),
        )
        .route(
            "/webhooks/{id}/deliveries/{delivery}/resend",
            post(webhooks::resend),
        )
        .route("/sign-ins", get(sign_ins::sign_in_log))
        .route("/users", get(users::list_users))
        .route("/users/add", post(users::add_user))
        .route("/users/invite", post(users::invite_user))
        .route("/users/{id}", get(users::show_user))
        .route("/users/{id}/active", post(users::set_active))
        .route("/groups", get(groups::list_groups))
        .route("/groups/create", post(groups::create_group))
        .route("/groups/{id}", get(groups::show_group))
        .route("/groups/{id}/members", post(groups::add_member))
        .route("/groups/{id}/members/remove", post(groups::remove_member))
        .route("/log", get(log::list_log))
        .route("/log/{id}", get(log::show_log_entry))
        .route(
            "/retention",
            get(retention::retention_page).post(retention::set_retention),
        )
        .route("/audit", get(audit::audit_log))
        .fallback(not_found)
        // Pages are `no-store`; assets set their own long caching first, which the layer keeps.
        .layer(axum::middleware::from_fn(headers::security_headers))
}

async fn not_found() -> page::PageError {
    page::PageError::NotFound
}
