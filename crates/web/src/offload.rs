//! Keeps CPU-heavy request work off the async workers. A large body (a 20,000-member PATCH, a
//! user with a thousand emails) costs milliseconds of parsing, normalising and applying — linear,
//! but long enough that a few of them on the two async workers would hold up every other
//! organization's requests and `/healthz`. Such a request's domain call runs on the blocking
//! pool instead; small requests, nearly all of them, stay on the fast path.

use std::future::Future;

use tracing::Instrument;

use crate::ApiError;

/// Bodies larger than this are parsed, and the request's domain work done, on the blocking
/// pool.
pub(crate) const LARGE_BODY_BYTES: usize = 64 * 1024;

/// The size of a request body, which decides where its work runs.
#[derive(Debug, Clone, Copy)]
pub struct BodySize(pub(crate) usize);

impl BodySize {
    pub(crate) fn is_large(self) -> bool {
        self.0 > LARGE_BODY_BYTES
    }
}

/// Runs `work` (one `Roster` call) inline for a small body, else on the blocking pool, where a
/// thread of its own drives it; either way the caller awaits its result. A request that times
/// out stops waiting, but work moved off the workers runs to its end, as synchronous work did.
pub(crate) async fn by_size<T, F>(size: BodySize, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, ApiError>> + Send + 'static,
{
    if !size.is_large() {
        return work.await;
    }
    let runtime = tokio::runtime::Handle::current();
    // The request's span (its id, organization) goes along, so the work logs as it would inline.
    let work = work.instrument(tracing::Span::current());
    tokio::task::spawn_blocking(move || runtime.block_on(work))
        .await
        .map_err(|e| {
            ApiError::internal(
                "Roster could not complete the request; retry",
                crate::failure::Cause::new("a large request's work failed", &e),
            )
        })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_large_bodys_work_runs_on_another_thread_a_small_ones_inline() {
        let here = std::thread::current().id();
        let thread = |size| by_size(BodySize(size), async { Ok(std::thread::current().id()) });
        assert_eq!(thread(LARGE_BODY_BYTES).await.ok(), Some(here));
        let large = thread(LARGE_BODY_BYTES + 1).await.ok();
        assert!(large.is_some_and(|t| t != here), "{large:?}");
    }
}
