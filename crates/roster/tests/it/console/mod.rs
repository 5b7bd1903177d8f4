//! The admin console in process: sessions, CSRF and origin checks, organization isolation by
//! URL, security headers, first-run setup, one-time token display.

mod browser;
mod pages;
