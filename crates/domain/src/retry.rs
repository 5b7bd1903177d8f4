//! The one retry policy for read-modify-write requests (PUT, PATCH, DELETE): a write that lost a
//! race to a concurrent writer is tried again on fresh data, so parallel requests from an
//! identity provider lose no update. A client that pinned a version with `If-Match` asked not to
//! be merged with anyone: its conflict is answered, not retried.

use std::future::Future;

use crate::{Conflict, Error, error::Result};

/// Attempts before giving up under extreme contention on one resource.
pub(crate) const MAX_ATTEMPTS: usize = 8;

pub(crate) async fn until_written<T, Fut>(
    if_match: Option<&str>,
    mut attempt: impl FnMut() -> Fut,
) -> Result<T>
where
    Fut: Future<Output = Result<T>>,
{
    for _ in 0..MAX_ATTEMPTS {
        match attempt().await {
            Err(Error::Conflict(Conflict::Concurrent)) if if_match.is_none() => continue,
            // The version the client pinned was current when checked and gone when written:
            // the same answer as a stale `If-Match` (RFC 7232 §3.1), not a retry.
            Err(Error::Conflict(Conflict::Concurrent)) => {
                return Err(Error::PreconditionFailed(
                    "the resource changed while this request was applied; read it again and retry"
                        .into(),
                ));
            }
            other => return other,
        }
    }
    Err(Conflict::Concurrent.into())
}
