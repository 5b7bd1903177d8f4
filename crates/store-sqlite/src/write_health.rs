//! Whether SQLite takes writes. A full disk or a file that became read-only fails writes only —
//! reads go on — so readiness cannot learn it from a read: the writer thread notes how each
//! batch went, and readiness reports a storage failure for at least [`PROBE_AFTER`] and then
//! until a write succeeds again.
//!
//! The minimum matters on a full disk: small writes may still fit in the space the WAL file
//! already holds while larger ones fail, and the provisioning-log entry of a refused request
//! is such a small write; without it, readiness would flip back at once.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

/// How long a noted failure is believed whatever succeeds meanwhile; after it, a successful
/// write clears it, and readiness tries a write of its own (see `Pool::check_writes`). Traffic
/// that keeps failing keeps the failure fresh; an instance a load balancer took out of rotation
/// gets no traffic, and still notices within this long of a readiness check that the disk has
/// room again.
pub(crate) const PROBE_AFTER: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
pub(crate) struct WriteHealth {
    /// Whether `last` holds a failure: lets every successful batch skip the lock.
    failing: AtomicBool,
    last: Mutex<Option<Failure>>,
}

/// The last write that failed for a storage reason.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) cause: String,
    at: Instant,
}

impl Failure {
    /// Older than [`PROBE_AFTER`]: time to try a write rather than repeat it.
    pub(crate) fn stale(&self) -> bool {
        self.at.elapsed() >= PROBE_AFTER
    }
}

impl WriteHealth {
    /// A write failed for a storage reason (disk full, read-only, I/O error, locked).
    pub(crate) fn failed(&self, cause: String) {
        *self.lock() = Some(Failure {
            cause,
            at: Instant::now(),
        });
        self.failing.store(true, Ordering::Release);
    }

    /// A batch committed: writes work, unless one failed less than [`PROBE_AFTER`] ago.
    pub(crate) fn succeeded(&self) {
        if self.failing.load(Ordering::Acquire) {
            let mut last = self.lock();
            if last.as_ref().is_none_or(Failure::stale) {
                *last = None;
                self.failing.store(false, Ordering::Release);
            }
        }
    }

    /// The last storage failure, unless a write succeeded since.
    pub(crate) fn failure(&self) -> Option<Failure> {
        if !self.failing.load(Ordering::Acquire) {
            return None;
        }
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Failure>> {
        // Only an Option behind it: a panic elsewhere leaves it usable.
        self.last.lock().unwrap_or_else(|p| p.into_inner())
    }
}
