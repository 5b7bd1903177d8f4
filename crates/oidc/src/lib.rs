//! Roster's OpenID Connect client (SPEC §6): the part of signing in that talks to the
//! organization's provider and checks its answer. It owns no product rule: what a validated
//! token means (which account, which verdict) is the domain's. Built on `openidconnect`, not
//! hand-written JOSE; the web layer calls it, the domain never does.

mod http;
mod provider;
mod validate;

pub use provider::{OidcError, Providers};
pub use validate::{
    CLOCK_LEEWAY, EntraClaims, EntraIdToken, Expected, Rejected, validate_id_token,
};
