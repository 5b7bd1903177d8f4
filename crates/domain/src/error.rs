//! The domain's one error type, and the storage error it is made from. The web layer maps every
//! variant to a SCIM error body and picks its `scimType` (no catch-all), the CLI prints it;
//! internal causes are logged where handled, never sent to clients.
//!
//! A [`StoreError`] becomes an [`Error`] through one `From` (exhaustive, so a new storage failure
//! is a compile error until it has a meaning here); call sites use `?` and add nothing but the
//! name a [`Conflict::Taken`] is about.

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
    /// The request conflicts with existing state; nothing was written.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// Taking a seat would exceed the organization's seats (SPEC §2.2); nothing was written.
    #[error(transparent)]
    SeatLimit(#[from] SeatLimit),
    /// Too many failed sign-ins for the account or from the address; even a correct password
    /// is refused until `retry_after` has passed.
    #[error("{}", throttled(*retry_after))]
    Throttled { retry_after: time::Duration },
    /// `If-Match` named a version that is no longer current.
    #[error("{0}")]
    PreconditionFailed(String),
    /// A protocol-level error from the SCIM core, passed through unchanged.
    #[error(transparent)]
    Scim(#[from] ScimError),
    /// The database cannot be reached or cannot take writes for now (connection lost, server
    /// shutting down, statement timeout, disk full, read-only file): nothing was written, and the
    /// same request may succeed later. The cause is for logs, not for clients.
    #[error("database unavailable: {0}")]
    Unavailable(Internal),
    /// Storage failed; the cause is for logs, not for clients.
    #[error(transparent)]
    Internal(#[from] Internal),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UniqueViolation(what) => Conflict::Taken { what, name: None }.into(),
            StoreError::SeatLimit(limit) => limit.into(),
            StoreError::VersionConflict => Conflict::Concurrent.into(),
            StoreError::Unavailable(internal) => Self::Unavailable(internal),
            StoreError::Internal(internal) => internal.into(),
        }
    }
}

impl Error {
    /// Names the value a [`Conflict::Taken`] is about, for a message the caller can act on;
    /// other errors pass unchanged.
    pub(crate) fn naming(self, name: &str) -> Self {
        match self {
            Self::Conflict(Conflict::Taken { what, name: None }) => {
                Self::Conflict(Conflict::Taken {
                    what,
                    name: Some(name.to_owned()),
                })
            }
            other => other,
        }
    }
}

/// How a request conflicts with what is stored.
#[derive(Debug, thiserror::Error)]
pub enum Conflict {
    /// A value that must be unique is taken: a `userName` (platform-wide), a group name (within
    /// the organization), the organization's current SCIM token.
    #[error("{}", taken(*what, name.as_deref()))]
    Taken { what: Unique, name: Option<String> },
    /// Another request changed the record at the same time, more often than the domain retries.
    #[error("the resource was changed by another request at the same time; retry")]
    Concurrent,
    /// Any other conflict with existing state, in words the caller can act on.
    #[error("{0}")]
    State(String),
}

fn throttled(retry_after: time::Duration) -> String {
    let minutes = (retry_after.whole_seconds() + 59) / 60;
    format!(
        "too many failed sign-in attempts; wait {} and try again",
        if minutes <= 1 {
            "a minute".to_owned()
        } else {
            format!("{minutes} minutes")
        }
    )
}

/// What `Retry-After` asks of a client while the database is unavailable: long enough for a
/// restarting server or a connection pool to come back, short enough that a blip costs little.
pub const UNAVAILABLE_RETRY_AFTER_SECONDS: u64 = 5;

impl Error {
    /// Whole seconds until a [`Error::Throttled`] refusal ends (rounded up, at least 1): the
    /// `Retry-After` value; for [`Error::Unavailable`], [`UNAVAILABLE_RETRY_AFTER_SECONDS`].
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            Self::Throttled { retry_after } => {
                let whole = retry_after.whole_seconds();
                let rounded = if retry_after.subsec_nanoseconds() > 0 {
                    whole + 1
                } else {
                    whole
                };
                Some(u64::try_from(rounded.max(1)).unwrap_or(1))
            }
            Self::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER_SECONDS),
            _ => None,
        }
    }
}

fn taken(what: Unique, name: Option<&str>) -> String {
    match (what, name) {
        (Unique::UserName, Some(name)) => format!(
            "userName '{name}' is already taken by another account (user names are unique across Roster, ignoring case)"
        ),
        (Unique::GroupName, Some(name)) => {
            format!("another group of this organization is already named '{name}'")
        }
        (Unique::CurrentScimToken, _) => "SCIM is already enabled for this organization; rotate the token to get a new one (roster scim rotate-token)".to_owned(),
        (what, _) => format!("{what} already exists"),
    }
}

/// The uniqueness rules the stores enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    /// `userName`, platform-wide, compared by [`user_name_key`](crate::user_name_key).
    UserName,
    /// A group's `displayName` within its organization, by
    /// [`display_name_key`](crate::display_name_key).
    GroupName,
    /// One current SCIM token per organization.
    CurrentScimToken,
    /// A primary key (ids are random, so only a bug or a replayed write collides).
    Id,
}

impl std::fmt::Display for Unique {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::UserName => "an account with this userName",
            Self::GroupName => "a group with this name in the organization",
            Self::CurrentScimToken => "a current SCIM token for the organization",
            Self::Id => "a record with this id",
        })
    }
}

/// The organization's seats are all taken; nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "seat limit reached: {used} of {seats} seats in use. Raise the organization's seat limit in Roster or deactivate accounts, then retry."
)]
pub struct SeatLimit {
    pub seats: u32,
    pub used: u32,
}

/// A failure nobody can act on but an operator: connection lost, disk full, corrupt data, a bug.
/// The cause is part of the message (logs print it once) rather than an error source (chains
/// would print it twice), and so are the cause's own sources: a driver error's `Display` is
/// often only its kind (tokio-postgres: "db error"), the detail being in its source.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {}", chain(cause.as_ref()))]
pub struct Internal {
    context: String,
    cause: Box<dyn std::error::Error + Send + Sync>,
}

/// `error: source: source's source`, each level once.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let line = inner.to_string();
        // Some errors repeat their source in their own message.
        if !text.ends_with(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = inner.source();
    }
    text
}

impl Internal {
    pub fn new(
        context: impl Into<String>,
        cause: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            context: context.into(),
            cause: cause.into(),
        }
    }
}

/// A storage failure, with the context of what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write; nothing was written.
    #[error("already exists: {0}")]
    UniqueViolation(Unique),
    /// Taking a seat would exceed the organization's seats; nothing was written.
    #[error(transparent)]
    SeatLimit(SeatLimit),
    /// The row changed (or vanished) since it was read; nothing was written.
    #[error("the record changed concurrently")]
    VersionConflict,
    /// The database is unreachable or refuses writes for a reason that passes (see
    /// [`Error::Unavailable`]); nothing was written.
    #[error("database unavailable: {0}")]
    Unavailable(Internal),
    #[error(transparent)]
    Internal(Internal),
}

impl StoreError {
    pub fn internal(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Internal(Internal::new(context, source))
    }

    pub fn unavailable(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Unavailable(Internal::new(context, source))
    }

    /// Whether the same call may succeed later without anything changing on Roster's side.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

#[cfg(test)]
mod chain_tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("db error")]
    struct Driver(#[source] std::io::Error);

    #[test]
    fn an_internal_error_names_its_causes_sources_too() {
        let driver = Driver(std::io::Error::other("connection reset by peer"));
        let e = StoreError::internal("reading a user", driver);
        assert_eq!(
            e.to_string(),
            "reading a user: db error: connection reset by peer"
        );
    }
}
