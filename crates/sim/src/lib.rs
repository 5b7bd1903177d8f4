//! An identity-provider simulator that provisions any SCIM 2.0 tenant the way Microsoft Entra ID
//! (both dialects, see `shared/ENTRA.md`) or Okta does.
//!
//! The simulator owns a [`Directory`] (users, groups, app assignments), a provisioning job
//! ([`Engine`]) that remembers what it has sent like Entra's job does (anchors, last synced
//! values, held failures), and runs cycles over HTTP: the initial cycle matches and creates,
//! later cycles send only what changed. Each cycle yields a [`CycleReport`] shaped like Entra's
//! provisioning logs, and [`compare`] checks the tenant against the directory's intended state.
//!
//! It depends on nothing of Roster: it speaks only SCIM over HTTP, so it can point at any server.
//! Planning and request shapes are pure functions; only [`client`] and [`execute`] do I/O.

pub mod attrs;
pub mod client;
pub mod compare;
pub mod directory;
pub mod engine;
pub mod execute;
#[cfg(test)]
mod fake_server;
pub mod generate;
pub mod plan;
pub mod profile;
pub mod report;
pub mod requests;
pub mod scope;
pub mod state;

pub use client::{ClientConfig, ScimClient};
pub use compare::{Comparison, Mismatch, compare};
pub use directory::{Directory, GroupId, UserId, UserSpec};
pub use engine::{Engine, EngineConfig};
pub use generate::{OrgShape, generate_org};
pub use profile::{Dialect, Profile};
pub use report::{Action, CycleReport, LogEntry, ObjectKind, Status};
