//! The domain's one error type. The web layer maps every variant to a SCIM error body (no
//! catch-all), the CLI prints it; internal causes are logged where handled, never sent to clients.

use roster_scim::ScimError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist (or is not visible in this organization).
    #[error("{0}")]
    NotFound(String),
    /// Credentials missing or wrong. The message is safe to show to the caller.
    #[error("{0}")]
    Unauthorized(String),
    /// Input a person or client must correct.
    #[error("{0}")]
    Invalid(String),
    /// The request conflicts with existing state (a name taken, SCIM already enabled, ...).
    #[error("{0}")]
    Conflict(String),
    /// Taking a seat would exceed the organization's seats (SPEC §2.2); nothing was written.
    #[error("seat limit reached: {used} of {seats} seats in use")]
    SeatLimit { seats: u32, used: u32 },
    /// `If-Match` named a version that is no longer current.
    #[error("{0}")]
    PreconditionFailed(String),
    /// A protocol-level error from the SCIM core, passed through unchanged.
    #[error(transparent)]
    Scim(#[from] ScimError),
    /// Storage failed; the cause is for logs, not for clients.
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A storage failure, with the context of what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint refused the write: `what` names the constraint's meaning.
    #[error("already exists: {what}")]
    UniqueViolation { what: String },
    /// Taking a seat would exceed the organization's seats; nothing was written.
    #[error("seat limit reached: {used} of {seats} seats in use")]
    SeatLimit { seats: u32, used: u32 },
    /// The row changed (or vanished) since it was read; nothing was written.
    #[error("the record changed concurrently")]
    VersionConflict,
    /// Anything else: connection lost, disk full, corrupt data, a bug. The cause is part of the
    /// message (logs print it once) rather than an error source (chains would print it twice).
    #[error("{context}: {cause}")]
    Internal {
        context: String,
        cause: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    pub fn internal(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Internal {
            context: context.into(),
            cause: source.into(),
        }
    }
}
