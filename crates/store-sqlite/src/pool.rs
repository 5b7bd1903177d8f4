//! Connections: one writer thread with group commit, a pool of read-only connections, and a
//! background WAL checkpointer so the writer pays only for the frames it has not copied yet
//! when it starts the WAL over (see [`WalBound`]).

use std::{
    ffi::c_int,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
    thread,
    time::{Duration, Instant},
};

use roster_domain::StoreError;
use rusqlite::{Connection, OpenFlags, config::DbConfig, hooks::Wal};
use tokio::sync::oneshot;

use crate::{
    convert::{Context, write_failure},
    write_health::WriteHealth,
};

/// Jobs committed together at most; bounds the latency one batch adds to its first job.
const MAX_BATCH: usize = 64;
/// Idle read connections kept open.
const MAX_IDLE_READERS: usize = 8;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// The WAL's size past which the writer starts it over, and the file's size at most once it has
/// (see [`WalBound`]). Readers look pages up in the WAL's index, so a smaller WAL also keeps
/// reads fast.
const WAL_LIMIT: u64 = 64 * 1024 * 1024;
/// How long the writer waits at most for readers to leave the WAL when it starts it over: every
/// write waits meanwhile. Short, because waiting longer rarely helps: under steady reads the
/// checkpoint can lose every time to readers that keep re-taking the read mark it waits for,
/// while a fresh try after the next batch usually succeeds.
const WAL_RESET_WAIT: Duration = Duration::from_millis(20);
/// Between the writer's tries after a reset failed with an error.
const WAL_RESET_RETRY: Duration = Duration::from_millis(250);

/// Runs after the batch's COMMIT (or its failure) to hand the job's result to its caller.
type Deliver = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type Job = Box<dyn WriteJob>;

/// What running a job inside the batch came to.
struct Ran {
    /// Whether it succeeded, so its savepoint is released or rolled back.
    ok: bool,
    /// Why it failed, when the storage refused it (disk full, read-only…), for readiness.
    storage_failure: Option<String>,
    /// Hands its result over once the batch's fate is known.
    deliver: Deliver,
}

/// A write queued for the writer thread.
trait WriteJob: Send {
    /// Runs inside the batch transaction.
    fn run(self: Box<Self>, conn: &Connection) -> Ran;
    /// The job could not run at all.
    fn refuse(self: Box<Self>, error: StoreError);
    /// The job may take long: it runs in a batch of its own (see [`Pool::write_alone`]).
    fn alone(&self) -> bool;
}

struct TypedJob<T, F> {
    job: F,
    reply: oneshot::Sender<Result<T, StoreError>>,
    alone: bool,
}

impl<T, F> WriteJob for TypedJob<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(self: Box<Self>, conn: &Connection) -> Ran {
        let outcome = (self.job)(conn);
        let ok = outcome.is_ok();
        let storage_failure = match &outcome {
            Err(e) if e.is_unavailable() => Some(e.to_string()),
            _ => None,
        };
        let reply = self.reply;
        let deliver: Deliver = Box::new(move |committed| {
            // The caller may have gone away (request cancelled); the work is committed
            // regardless, so there is nobody to tell.
            let _ = reply.send(committed.and(outcome));
        });
        Ran {
            ok,
            storage_failure,
            deliver,
        }
    }

    fn refuse(self: Box<Self>, error: StoreError) {
        let _ = self.reply.send(Err(error));
    }

    fn alone(&self) -> bool {
        self.alone
    }
}

#[derive(Debug)]
pub(crate) struct Pool {
    path: PathBuf,
    jobs: mpsc::Sender<Job>,
    /// Writes sent to the writer thread and not yet taken into a batch.
    queued: Arc<AtomicUsize>,
    readers: Mutex<Vec<Connection>>,
    /// Read connections serving a query now.
    reading: AtomicUsize,
    /// How the writer's last batch went, for readiness.
    health: Arc<WriteHealth>,
    _checkpointer: Checkpointer,
}

/// What the pool is doing now, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Read connections serving a query.
    pub readers_in_use: usize,
    /// Read connections kept open for the next query.
    pub readers_idle: usize,
    /// Writes waiting for the writer thread.
    pub writes_queued: usize,
}

impl Pool {
    pub(crate) fn open(
        path: &Path,
        migrate: fn(&mut Connection) -> Result<(), StoreError>,
    ) -> Result<Self, StoreError> {
        Self::open_bounded(path, migrate, WAL_LIMIT)
    }

    /// [`open`](Self::open) with the WAL reset past `wal_limit` bytes.
    fn open_bounded(
        path: &Path,
        migrate: fn(&mut Connection) -> Result<(), StoreError>,
        wal_limit: u64,
    ) -> Result<Self, StoreError> {
        let mut writer = open_writer(path)?;
        migrate(&mut writer)?;
        // Each job of a batch runs in a savepoint, whose sub-journal (a copy of every page the job
        // is the first to change) SQLite spills to a temporary file past 64 KiB: a `pwrite` per
        // page, a sixth of the writer's time in a burst of creates. In memory it is dropped at
        // each job's release, so it holds one job's pages: a few per SCIM write, megabytes only
        // while a job that rewrites much (a 100,000-member group's delete) runs. Set after the
        // migrations, whose index builds should keep sorting through temporary files.
        writer
            .execute_batch("PRAGMA temp_store = MEMORY")
            .context("keeping the writer's sub-journals in memory")?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let queued = Arc::new(AtomicUsize::new(0));
        let taken = Arc::clone(&queued);
        let health = Arc::new(WriteHealth::default());
        let noted = Arc::clone(&health);
        let wal = WalBound::new(&mut writer, wal_limit)?;
        thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run_writer(writer, queue, &taken, &noted, wal))
            .map_err(|e| StoreError::internal("starting the SQLite writer thread", e))?;
        let checkpointer = Checkpointer::start(path)?;
        Ok(Self {
            path: path.to_owned(),
            jobs,
            queued,
            readers: Mutex::new(Vec::new()),
            reading: AtomicUsize::new(0),
            health,
            _checkpointer: checkpointer,
        })
    }

    /// Whether writes work, for readiness: an error while the last write failed for a storage
    /// reason (see [`WriteHealth`]). A failure older than [`PROBE_AFTER`](crate::write_health::PROBE_AFTER) is
    /// checked again with a write of its own ([`probe`]), whose outcome the writer notes like
    /// any other: so readiness recovers without client traffic, and probes at most about once
    /// per that interval.
    pub(crate) async fn check_writes(&self) -> Result<(), StoreError> {
        match self.health.failure() {
            None => Ok(()),
            Some(failure) if !failure.stale() => Err(StoreError::unavailable(
                "the last SQLite write failed",
                failure.cause,
            )),
            Some(_) => self.write(probe).await,
        }
    }

    /// Runs `job` in the writer's current transaction and returns its result once that
    /// transaction is durably committed. A failed job rolls back only its own savepoint.
    pub(crate) async fn write<T, F>(&self, job: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.queue(job, false).await
    }

    /// [`write`](Self::write) for a job that may hold the writer long (an atomic change of
    /// thousands of rows): it runs in a batch of its own, so the small writes queued before it
    /// commit without waiting for it, and those queued during it commit right after it.
    pub(crate) async fn write_alone<T, F>(&self, job: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.queue(job, true).await
    }

    async fn queue<T, F>(&self, job: F, alone: bool) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T, StoreError>>();
        let boxed: Job = Box::new(TypedJob { job, reply, alone });
        // Counted before sending, so the writer never takes a job it has not seen counted.
        self.queued.fetch_add(1, Ordering::Relaxed);
        if self.jobs.send(boxed).is_err() {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(writer_gone());
        }
        answer.await.map_err(|_| writer_gone())?
    }

    /// Runs `query` on a read-only connection. Reads are short and indexed, so they run inline
    /// rather than paying a thread hop.
    pub(crate) fn read<T>(
        &self,
        query: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = match self.lock_readers().pop() {
            Some(conn) => conn,
            None => open_reader(&self.path)?,
        };
        self.reading.fetch_add(1, Ordering::Relaxed);
        let result = query(&conn);
        self.reading.fetch_sub(1, Ordering::Relaxed);
        let mut idle = self.lock_readers();
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }

    pub(crate) fn stats(&self) -> PoolStats {
        PoolStats {
            readers_in_use: self.reading.load(Ordering::Relaxed),
            readers_idle: self.lock_readers().len(),
            writes_queued: self.queued.load(Ordering::Relaxed),
        }
    }

    fn lock_readers(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // A panic while holding the lock leaves only a Vec of idle connections behind: still usable.
        self.readers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn writer_gone() -> StoreError {
    StoreError::internal(
        "writing to SQLite",
        "the writer thread has stopped; see the earlier error in the log",
    )
}

pub(crate) fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).context(&format!("opening {}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .context("setting busy_timeout")?;
    // FULL: a request is acknowledged only after its commit reached the disk.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA wal_autocheckpoint = 0;",
    )
    .context("configuring the SQLite writer")?;
    plan_without_bound_values(&conn)?;
    Ok(conn)
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .context(&format!("opening {} for reading", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .context("setting busy_timeout")?;
    conn.execute_batch("PRAGMA query_only = ON; PRAGMA foreign_keys = ON;")
        .context("configuring a SQLite reader")?;
    plan_without_bound_values(&conn)?;
    Ok(conn)
}

/// The query planner stability guarantee: plans never depend on bound values. Without it SQLite
/// (3.47+) plans `LIMIT ?` with the bound number and marks the statement to be prepared again
/// whenever a new value is bound — so every cached list query was parsed and planned anew on
/// each request (a third of a `userName` lookup's CPU in `scripts/profile-request-path`).
fn plan_without_bound_values(conn: &Connection) -> Result<(), StoreError> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .context("enabling the query planner stability guarantee")?;
    Ok(())
}

/// Rewrites the database header's `user_version` with the value it has: a one-page write that
/// is committed and fsynced like any other (so it fails as one would, on a full disk or a
/// read-only file) and changes nothing. Roster keeps `user_version` at SQLite's default; its
/// migrations are recorded in `schema_migrations`.
fn probe(conn: &Connection) -> Result<(), StoreError> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .context("reading user_version")?;
    conn.execute_batch(&format!("PRAGMA user_version = {version}"))
        .context("probing whether SQLite takes writes")
}

fn run_writer(
    conn: Connection,
    queue: mpsc::Receiver<Job>,
    queued: &AtomicUsize,
    health: &WriteHealth,
    mut wal: WalBound,
) {
    // A job that runs alone, taken from the queue while a batch was being filled: it opens the
    // next batch.
    let mut held: Option<Job> = None;
    loop {
        let first = match held.take() {
            Some(job) => job,
            None => match queue.recv() {
                Ok(job) => {
                    queued.fetch_sub(1, Ordering::Relaxed);
                    job
                }
                Err(_) => return,
            },
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH && !batch[0].alone() {
            let job = match queue.try_recv() {
                Ok(job) => job,
                Err(_) => break,
            };
            queued.fetch_sub(1, Ordering::Relaxed);
            if job.alone() {
                held = Some(job);
                break;
            }
            batch.push(job);
        }
        commit_batch(&conn, batch, health);
        wal.keep(&conn);
    }
}

/// Keeps the WAL under a size. The checkpointer's passive checkpoints copy frames into the
/// database but never start the log over: SQLite does that only when a write begins while every
/// frame is copied and no reader uses the WAL, and under steady traffic some reader always holds
/// a snapshot in it. The file then grew with every commit: 13 GB after 150,000 of the million
/// accounts of `roster-bench scale --workloads many-orgs`, until the disk was full and writes
/// answered 503. Past the limit the writer itself checkpoints with RESTART: between batches it
/// holds no transaction, so the checkpoint waits only for readers, which move to the database
/// file as soon as it is fully copied; and no other writer can hold it up (nor be refused by
/// it). The next commit then writes the log from its start again, over the same file: the file
/// keeps its size (SQLite cuts it back to the limit if a large job grew it past), and writing
/// over pages the kernel already holds costs the writer less than growing a truncated file
/// again (taking a new page-cache page and reserving a block for each page the file grew by was
/// over half of the writer's `pwrite` time in a burst of creates).
struct WalBound {
    /// Frames in the WAL after the last commit, as SQLite's WAL hook reports them.
    frames: Arc<AtomicUsize>,
    limit: usize,
    /// Not before then: the last try could not finish.
    next_try: Instant,
}

impl WalBound {
    fn new(conn: &mut Connection, limit: u64) -> Result<Self, StoreError> {
        let page_size: u32 = conn
            .query_row("PRAGMA page_size", [], |row| row.get(0))
            .context("reading the page size")?;
        conn.execute_batch(&format!("PRAGMA journal_size_limit = {limit}"))
            .context("bounding the WAL file")?;
        let frames = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&frames);
        conn.wal_hook(Some(move |_: &mut Wal, pages: c_int| {
            seen.store(usize::try_from(pages).unwrap_or(0), Ordering::Relaxed);
            Ok(())
        }))
        .context("watching the WAL's size")?;
        // A frame is a page and its 24-byte header.
        let limit = usize::try_from(limit / (u64::from(page_size) + 24)).unwrap_or(usize::MAX);
        Ok(Self {
            frames,
            limit,
            next_try: Instant::now(),
        })
    }

    fn keep(&mut self, conn: &Connection) {
        let frames = self.frames.load(Ordering::Relaxed);
        if frames <= self.limit || Instant::now() < self.next_try {
            return;
        }
        match restart_wal(conn) {
            Ok(true) => {}
            Ok(false) => {
                // Tried again after the next batch: each try holds writes for a short wait
                // only, and one of the next usually finds a moment without readers in the WAL.
                // (Backing off instead let a fast writer grow the file by megabytes between
                // tries.)
                tracing::debug!(frames, "the WAL could not be restarted yet; will retry");
            }
            Err(e) => {
                tracing::warn!(error = %e, frames, "restarting the WAL failed; will retry");
                self.next_try = Instant::now() + WAL_RESET_RETRY;
            }
        }
    }
}

/// Copies every frame into the database so that the next commit starts the WAL over, waiting
/// at most [`WAL_RESET_WAIT`] for readers; whether it got that far.
fn restart_wal(conn: &Connection) -> rusqlite::Result<bool> {
    conn.busy_timeout(WAL_RESET_WAIT)?;
    let busy = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |row| {
        row.get::<_, i64>(0)
    });
    // Restored even when the checkpoint failed: BEGIN IMMEDIATE relies on the long wait.
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(busy? == 0)
}

/// A statement without values that the writer runs for every batch or job, prepared once.
fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn commit_batch(conn: &Connection, batch: Vec<Job>, health: &WriteHealth) {
    if let Err(e) = run_cached(conn, "BEGIN IMMEDIATE") {
        tracing::error!(error = %e, "SQLite could not start a write transaction");
        note_failure(health, &write_failure("starting a write transaction", &e));
        for job in batch {
            job.refuse(write_failure("starting a write transaction", &e));
        }
        return;
    }
    let mut deliveries = Vec::with_capacity(batch.len());
    // The first storage failure of a job, which a successful COMMIT does not undo: a read-only
    // file fails each statement but commits an empty transaction.
    let mut storage_failure = None;
    for job in batch {
        if let Err(e) = run_cached(conn, "SAVEPOINT job") {
            let error = write_failure("starting a savepoint", &e);
            if error.is_unavailable() {
                storage_failure.get_or_insert_with(|| error.to_string());
            }
            job.refuse(error);
            continue;
        }
        let ran = job.run(conn);
        if let Some(cause) = ran.storage_failure {
            storage_failure.get_or_insert(cause);
        }
        let ended = if ran.ok {
            run_cached(conn, "RELEASE job")
        } else {
            conn.execute_batch("ROLLBACK TO job; RELEASE job")
        }
        .err();
        deliveries.push((ran.deliver, ended));
    }
    let committed = run_cached(conn, "COMMIT");
    if let Err(e) = &committed {
        tracing::error!(error = %e, "SQLite commit failed; rolling back the batch");
        let _ = conn.execute_batch("ROLLBACK");
        note_failure(health, &write_failure("committing a write", e));
    } else if let Some(cause) = storage_failure {
        health.failed(cause);
    } else {
        health.succeeded();
    }
    for (deliver, savepoint_error) in deliveries {
        let failure = committed.as_ref().err().or(savepoint_error.as_ref());
        let result = match failure {
            Some(e) => Err(write_failure("committing a write", e)),
            None => Ok(()),
        };
        deliver(result);
    }
}

/// Notes `error` for readiness when it is a storage failure (a bug is not a reason to take the
/// instance out of rotation).
fn note_failure(health: &WriteHealth, error: &StoreError) {
    if error.is_unavailable() {
        health.failed(error.to_string());
    }
}

/// Moves WAL frames into the database file off the writer's path, so commits never wait on it.
#[derive(Debug)]
struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
}

impl Checkpointer {
    fn start(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).context("opening the checkpoint connection")?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .context("setting busy_timeout")?;
        let (stop, stopped) = mpsc::channel::<()>();
        thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(CHECKPOINT_EVERY)
                {
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::warn!(error = %e, "WAL checkpoint failed; will retry");
                    }
                }
            })
            .map_err(|e| StoreError::internal("starting the checkpoint thread", e))?;
        Ok(Self { stop: Some(stop) })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // Dropping the sender wakes the thread, which then exits.
        self.stop.take();
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Instant};

    use super::*;

    #[test]
    fn a_cached_query_with_a_bound_limit_is_not_prepared_again_for_each_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.db");
        let writer = open_writer(&path).unwrap();
        writer
            .execute_batch(
                "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3);",
            )
            .unwrap();
        let reader = open_reader(&path).unwrap();
        for limit in [1_i64, 2, 3, 1, 2] {
            let mut statement = reader
                .prepare_cached("SELECT id FROM t ORDER BY id LIMIT ?1 OFFSET ?2")
                .unwrap();
            let ids: Vec<i64> = statement
                .query_map([limit, 0], |row| row.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(ids.len() as i64, limit);
            assert_eq!(
                statement.get_status(rusqlite::StatementStatus::RePrepare),
                0,
                "a new LIMIT value made SQLite parse and plan the statement again"
            );
        }
    }

    fn slow(ms: u64) -> impl FnOnce(&Connection) -> Result<(), StoreError> + Send + 'static {
        move |_| {
            thread::sleep(Duration::from_millis(ms));
            Ok(())
        }
    }

    #[tokio::test]
    async fn writes_are_not_ready_after_a_storage_failure_until_a_write_or_a_probe_succeeds() {
        let dir = tempfile::tempdir().unwrap();
        let pool = Pool::open(&dir.path().join("w.db"), |_| Ok(())).unwrap();
        pool.check_writes().await.unwrap();
        let full = |_: &Connection| -> Result<(), StoreError> {
            Err(StoreError::unavailable(
                "writing",
                "database or disk is full",
            ))
        };
        // A refusal that is not the storage's (a duplicate, a bug) says nothing about writes.
        let duplicate = |_: &Connection| -> Result<(), StoreError> {
            Err(StoreError::UniqueViolation(roster_domain::Unique::UserName))
        };
        assert!(pool.write(duplicate).await.is_err());
        pool.check_writes().await.unwrap();

        assert!(pool.write(full).await.is_err());
        let not_ready = pool.check_writes().await.unwrap_err();
        assert!(not_ready.is_unavailable(), "{not_ready}");
        assert!(
            not_ready.to_string().contains("disk is full"),
            "{not_ready}"
        );
        // A small write that still fits does not clear it at once; once it is PROBE_AFTER old,
        // the next successful write does.
        pool.write(slow(0)).await.unwrap();
        assert!(pool.check_writes().await.is_err());
        tokio::time::sleep(crate::write_health::PROBE_AFTER).await;
        pool.write(slow(0)).await.unwrap();
        assert!(pool.health.failure().is_none());
        pool.check_writes().await.unwrap();

        // Without traffic, a check after PROBE_AFTER writes for itself, and that succeeds.
        assert!(pool.write(full).await.is_err());
        assert!(pool.check_writes().await.is_err());
        tokio::time::sleep(crate::write_health::PROBE_AFTER).await;
        pool.check_writes().await.unwrap();
        pool.check_writes().await.unwrap();
        let version: i64 = pool
            .read(|c| {
                c.query_row("PRAGMA user_version", [], |r| r.get(0))
                    .context("reading")
            })
            .unwrap();
        assert_eq!(version, 0, "the probe changes nothing");
    }

    /// Readers that keep a snapshot open at every moment used to stop the WAL from ever
    /// starting over: a passive checkpoint copies frames but cannot reset the log under a
    /// reader, so the file grew with every write (gigabytes while seeding a million accounts).
    /// The schema of the WAL tests: rows of any size.
    fn blob_table(c: &mut Connection) -> Result<(), StoreError> {
        c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
            .context("creating t")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_stays_bounded_while_readers_always_hold_a_snapshot() {
        const LIMIT: u64 = 1024 * 1024;
        const WRITTEN: usize = 16 * 1024 * 1024;
        const ROW: usize = 16 * 1024;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db");
        let pool = Arc::new(Pool::open_bounded(&path, blob_table, LIMIT).unwrap());
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Two readers whose snapshots overlap, so one is always open.
        let readers: Vec<_> = (0..2)
            .map(|r| {
                let (pool, stop) = (Arc::clone(&pool), Arc::clone(&stop));
                thread::spawn(move || {
                    thread::sleep(Duration::from_millis(3 * r));
                    let mut reads = 0_u64;
                    while !stop.load(Ordering::Relaxed) {
                        pool.read(|c| {
                            let snapshot = || -> rusqlite::Result<()> {
                                c.execute_batch("BEGIN")?;
                                c.query_row("SELECT count(*) FROM t", [], |_| Ok(()))?;
                                thread::sleep(Duration::from_millis(6));
                                c.execute_batch("COMMIT")
                            };
                            snapshot().context("reading")
                        })
                        .unwrap();
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        let wal = dir.path().join("wal.db-wal");
        let mut largest = 0;
        for _ in 0..WRITTEN / ROW {
            pool.write(|c| {
                c.execute("INSERT INTO t (body) VALUES (zeroblob(?1))", [ROW as i64])
                    .context("inserting")
                    .map(drop)
            })
            .await
            .unwrap();
            largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        }
        stop.store(true, Ordering::Relaxed);
        let reads: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
        assert!(reads > 100, "the readers hardly ran ({reads} reads)");
        let rows: i64 = pool
            .read(|c| {
                c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                    .context("counting")
            })
            .unwrap();
        assert_eq!(rows as usize, WRITTEN / ROW);
        // Readers can put a reset off for a moment (see WAL_RESET_WAIT) while writes go on;
        // without resets the file holds at least all that was written.
        assert!(
            largest < 8 * LIMIT,
            "the WAL grew to {largest} bytes ({} MiB written, limit {LIMIT})",
            WRITTEN >> 20
        );
    }

    /// The WAL is started over in place, so a job that wrote more than the limit (a large
    /// group's delete) leaves a file that SQLite cuts back to the limit once the log restarts.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wal_grown_past_the_limit_by_one_job_is_cut_back_to_it() {
        const LIMIT: u64 = 1024 * 1024;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grown.db");
        let pool = Pool::open_bounded(&path, blob_table, LIMIT).unwrap();
        let insert = |bytes: i64| {
            move |c: &Connection| {
                c.execute("INSERT INTO t (body) VALUES (zeroblob(?1))", [bytes])
                    .context("inserting")
                    .map(drop)
            }
        };
        pool.write_alone(insert(4 * 1024 * 1024)).await.unwrap();
        let wal = dir.path().join("grown.db-wal");
        let grown = std::fs::metadata(&wal).unwrap().len();
        assert!(grown > 4 * LIMIT, "the job wrote {grown} bytes of WAL");
        for _ in 0..3 {
            pool.write(insert(100)).await.unwrap();
        }
        let now = std::fs::metadata(&wal).unwrap().len();
        assert!(now <= LIMIT, "the WAL is still {now} bytes (limit {LIMIT})");
        let rows: i64 = pool
            .read(|c| {
                c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                    .context("counting")
            })
            .unwrap();
        assert_eq!(rows, 4);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_queued_before_a_job_that_runs_alone_commit_without_waiting_for_it() {
        let dir = tempfile::tempdir().unwrap();
        let pool = Arc::new(Pool::open(&dir.path().join("w.db"), |_| Ok(())).unwrap());
        let started = Instant::now();
        // Keeps the writer busy while the next three queue up behind it, in this order.
        let busy = {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move { pool.write(slow(500)).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let queued = |alone: bool, ms: u64| {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move {
                let result = if alone {
                    pool.write_alone(slow(ms)).await
                } else {
                    pool.write(slow(ms)).await
                };
                result.map(|()| started.elapsed())
            })
        };
        // Gaps long enough for each to be queued before the next, even on a loaded machine.
        let before = queued(false, 0);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let large = queued(true, 800);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let after = queued(false, 0);
        busy.await.unwrap().unwrap();
        let (before, large, after) = (
            before.await.unwrap().unwrap(),
            large.await.unwrap().unwrap(),
            after.await.unwrap().unwrap(),
        );
        assert!(
            before < large,
            "{before:?} waited for the large job ({large:?})"
        );
        assert!(
            before + Duration::from_millis(400) < large,
            "{before:?} vs {large:?}"
        );
        // Queued after the large job, it waits for it (the 800 ms it takes).
        assert!(
            after > before + Duration::from_millis(600),
            "{after:?} did not wait for the large job ({before:?}, {large:?})"
        );
    }
}
