//! The admin console's pages in process: sessions, CSRF and origin checks, organization
//! isolation by URL, security headers, first-run setup, one-time token display. (The domain API
//! behind them is tested in `console.rs`.)

mod api_keys;
pub(crate) mod browser;
mod forgery;
mod invitation;
mod isolation;
mod pages;
mod scim;
mod sessions;
mod setup;
mod sso;
pub(crate) mod support;
mod webhooks;
