//! Group commit of an organization's account and group writes. Every such write holds its
//! organization's event lock until it commits (see [`crate::events`]), so one organization's
//! writes run one after the other whatever the pool's size, and each used to pay a commit's
//! flush, a lock handover and two round trips to Roster inside that turn. Here, the writes an
//! instance has queued for an organization take the turn together: one transaction, one lock,
//! one commit, each write behind a savepoint so a refusal (a seat limit, a version that moved,
//! a taken userName) undoes only itself. A write's last statements (seat counters, events, log
//! entry) go in one flight with the next write's savepoint and first statements, so each write
//! costs one round trip. An organization's writes also take one pooled connection at a time
//! instead of one each, so a burst in one organization leaves the pool to the others.
//!
//! Writes of all organizations together hold at most [`write_connections`] of the pool's
//! connections at once, so reads (Entra's matching `GET` before each write, console pages, the
//! feed) always find a connection while the writes of many organizations queue: the same shape
//! as SQLite, whose reads never wait for its one writer.
//!
//! A write is answered only after its batch commits; if the batch fails to commit, every write
//! in it is answered with that failure and none was acknowledged. A write whose caller has gone
//! (a cancelled request) before its turn comes is skipped.

use std::{
    collections::{HashMap, VecDeque, hash_map::Entry},
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
};

use deadpool_postgres::{GenericClient, Pool};
use roster_domain::{
    Account, AccountWrite, Group, GroupWrite, MembershipOutcome, OrgId, StoreError,
};
use tokio::sync::{Semaphore, oneshot};

use crate::{
    accounts, events, groups,
    pool::{self, Finishing},
};

/// Writes committed together at most. Each write is a subtransaction, and PostgreSQL keeps
/// the ids of at most 64 per transaction where other sessions' snapshots find them cheaply.
const MAX_BATCH: usize = 32;

/// The organization whose turn a write takes; `None` for accounts of no organization.
type Turn = Option<OrgId>;

/// The queues of the organizations with writes waiting or running on this instance.
#[derive(Debug)]
pub(crate) struct GroupCommit {
    pool: Pool,
    /// One permit per connection writes may hold at once.
    writers: Semaphore,
    /// Batches waiting for a permit, for the pool's queue gauge.
    waiting_for_share: AtomicUsize,
    queues: Mutex<HashMap<Turn, VecDeque<Job>>>,
}

impl GroupCommit {
    pub(crate) fn new(pool: Pool) -> Arc<Self> {
        let writers = Semaphore::new(write_connections(pool.status().max_size));
        Arc::new(Self {
            pool,
            writers,
            waiting_for_share: AtomicUsize::new(0),
            queues: Mutex::new(HashMap::new()),
        })
    }

    /// Writes an account in its organization's next batch.
    pub(crate) async fn account(
        self: &Arc<Self>,
        write: AccountWrite,
    ) -> Result<Account, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.submit(write.account.org_id, Job::Account { write, reply });
        answer.await.unwrap_or_else(|_| Err(abandoned()))
    }

    /// Writes a group of `org` in the organization's next batch.
    pub(crate) async fn group(
        self: &Arc<Self>,
        org: OrgId,
        write: GroupWrite,
    ) -> Result<(Group, MembershipOutcome), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Some(org), Job::Group { org, write, reply });
        answer.await.unwrap_or_else(|_| Err(abandoned()))
    }

    /// Queues `job`; the first write of an idle organization starts its leader.
    fn submit(self: &Arc<Self>, turn: Turn, job: Job) {
        match self.queues().entry(turn) {
            Entry::Occupied(mut queue) => queue.get_mut().push_back(job),
            Entry::Vacant(queue) => {
                queue.insert(VecDeque::from([job]));
                tokio::spawn(Arc::clone(self).lead(turn));
            }
        }
    }

    /// Batches waiting for the writes' share of the pool.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting_for_share.load(Ordering::Relaxed)
    }

    fn queues(&self) -> MutexGuard<'_, HashMap<Turn, VecDeque<Job>>> {
        // Nothing panics while holding the lock; a poisoned map is still consistent.
        self.queues.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Commits the organization's queued writes, batch after batch, until none is left; then
    /// the organization is idle again (its queue removed under the same lock a submit takes).
    async fn lead(self: Arc<Self>, turn: Turn) {
        let mut leading = Leading {
            commit: &self,
            turn,
            done: false,
        };
        loop {
            let batch: Vec<Job> = {
                let mut queues = self.queues();
                match queues.get_mut(&turn) {
                    Some(queue) if !queue.is_empty() => {
                        let take = queue.len().min(MAX_BATCH);
                        queue.drain(..take).collect()
                    }
                    _ => {
                        queues.remove(&turn);
                        leading.done = true;
                        return;
                    }
                }
            };
            commit_batch(&self, turn, batch).await;
        }
    }
}

/// Removes the organization's queue if its leader stops early (the runtime shutting down): its
/// waiting writes are dropped, so their callers hear that they were abandoned, and the next
/// write starts a new leader.
struct Leading<'a> {
    commit: &'a GroupCommit,
    turn: Turn,
    done: bool,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.commit.queues().remove(&self.turn);
        }
    }
}

#[derive(Debug)]
enum Job {
    Account {
        write: AccountWrite,
        reply: oneshot::Sender<Result<Account, StoreError>>,
    },
    Group {
        org: OrgId,
        write: GroupWrite,
        reply: oneshot::Sender<Result<(Group, MembershipOutcome), StoreError>>,
    },
}

/// What a job wrote, once its last statements succeeded.
enum Written {
    Account(Account),
    Group((Group, MembershipOutcome)),
}

impl Job {
    /// Whether nobody waits for the answer any more.
    fn gone(&self) -> bool {
        match self {
            Self::Account { reply, .. } => reply.is_closed(),
            Self::Group { reply, .. } => reply.is_closed(),
        }
    }

    /// Runs the write up to its last statements; see [`accounts::write`]. The job keeps its
    /// write, so it can run again when the write before it fails in their shared flight.
    async fn run(&self, tx: &impl GenericClient) -> Result<Finishing<Written>, StoreError> {
        match self {
            Self::Account { write, .. } => {
                Ok(accounts::write(tx, write).await?.map(Written::Account))
            }
            Self::Group { org, write, .. } => {
                Ok(groups::write(tx, *org, write).await?.map(Written::Group))
            }
        }
    }

    fn answer(self, result: Result<Written, StoreError>) {
        // A caller that has gone needs no answer.
        match self {
            Self::Account { reply, .. } => {
                let _ = reply.send(result.and_then(|written| match written {
                    Written::Account(account) => Ok(account),
                    Written::Group(_) => Err(mismatch()),
                }));
            }
            Self::Group { reply, .. } => {
                let _ = reply.send(result.and_then(|written| match written {
                    Written::Group(group) => Ok(group),
                    Written::Account(_) => Err(mismatch()),
                }));
            }
        }
    }
}

fn mismatch() -> StoreError {
    StoreError::internal("answering a write", "the write's result is of another kind")
}

/// A job of the batch whose last statements are prepared and not yet sent.
struct Pending {
    job: Job,
    finishing: Finishing<Written>,
}

/// The batch's transaction, with the jobs that ran in it and their results.
struct Batch<'t> {
    tx: deadpool_postgres::Transaction<'t>,
    done: Vec<(Job, Result<Written, StoreError>)>,
}

impl Batch<'_> {
    /// Undoes the innermost write (its savepoint's); the transaction is lost if that fails.
    async fn undo(&self) -> Result<(), StoreError> {
        pool::answer(
            "undoing a refused write",
            self.tx.batch_execute("ROLLBACK TO SAVEPOINT write"),
        )
        .await
    }

    /// One flight: the pending write's last statements, the job's savepoint and its first
    /// statements, sent in this order when first polled. The job's results come back with the
    /// pending write's fate. Returns the job's progress, or its refusal.
    async fn flight(
        &mut self,
        pending: Option<Pending>,
        job: &Job,
    ) -> Result<Result<Finishing<Written>, StoreError>, StoreError> {
        let tx = &self.tx;
        let (last, saved, ran) = tokio::join!(
            biased;
            async {
                match &pending {
                    Some(pending) => pending.finishing.send(tx).await,
                    None => Ok(()),
                }
            },
            pool::answer("setting a write's savepoint", tx.batch_execute("SAVEPOINT write")),
            job.run(tx),
        );
        if let Some(Pending {
            job: before,
            finishing,
        }) = pending
        {
            match last {
                Ok(()) => self.done.push((before, Ok(finishing.into_value()))),
                Err(unanswered) if unanswered.is_unavailable() => {
                    // Whether the statements ran, and the job's behind them, is unknown: the
                    // batch is lost, and its failure is this one.
                    self.done.push((before, Err(shared(&unanswered))));
                    return Err(unanswered);
                }
                Err(refused) => {
                    // The transaction aborted before the job's savepoint: undo the write before
                    // it (its savepoint is the innermost) and run the job again, alone.
                    self.done.push((before, Err(refused)));
                    self.undo().await?;
                    return Box::pin(self.flight(None, job)).await;
                }
            }
        }
        saved?;
        match ran {
            Ok(finishing) => Ok(Ok(finishing)),
            Err(refused) => {
                self.undo().await?;
                Ok(Err(refused))
            }
        }
    }

    /// Sends the last pending write's statements alone.
    async fn land(&mut self, pending: Pending) -> Result<(), StoreError> {
        match pending.finishing.send(&self.tx).await {
            Ok(()) => self
                .done
                .push((pending.job, Ok(pending.finishing.into_value()))),
            Err(refused) => {
                self.done.push((pending.job, Err(refused)));
                self.undo().await?;
            }
        }
        Ok(())
    }
}

/// The connections of a pool of `max` that writes may hold at once: all but a quarter (rounded
/// down), which is left to reads. A pool of fewer than four keeps every connection for writes,
/// so one organization whose turn is held elsewhere cannot stop the others' writes.
fn write_connections(max: usize) -> usize {
    (max - max / 4).max(1)
}

/// Runs the batch's jobs in one transaction holding the organization's turn. Each write costs
/// one flight: its savepoint and first statements go together with the last statements of the
/// write before it, whose answers are then known.
async fn commit_batch(commit: &GroupCommit, turn: Turn, batch: Vec<Job>) {
    // Held until the batch is answered; taken in arrival order, so the organizations with
    // writes waiting take the write connections in turn, one batch each.
    commit.waiting_for_share.fetch_add(1, Ordering::Relaxed);
    let share = commit.writers.acquire().await;
    commit.waiting_for_share.fetch_sub(1, Ordering::Relaxed);
    // The semaphore is never closed; should that change, the batch is refused, not lost.
    let Ok(_writing) = share else {
        return refuse_all(batch, &abandoned());
    };
    let mut client = match pool::get(&commit.pool).await {
        Ok(client) => client,
        Err(error) => return refuse_all(batch, &error),
    };
    let tx = match events::begin(&mut client, turn).await {
        Ok(tx) => tx,
        Err(error) => return refuse_all(batch, &error),
    };
    let mut run = Batch {
        tx,
        done: Vec::with_capacity(batch.len()),
    };
    let mut pending = None;
    let mut lost = None;
    let mut jobs = batch.into_iter();
    for job in jobs.by_ref() {
        if job.gone() {
            continue;
        }
        match run.flight(pending.take(), &job).await {
            Ok(Ok(finishing)) => pending = Some(Pending { job, finishing }),
            Ok(Err(refused)) => run.done.push((job, Err(refused))),
            Err(error) => {
                run.done.push((job, Err(shared(&error))));
                lost = Some(error);
                break;
            }
        }
    }
    if let (Some(last), None) = (pending, &lost) {
        lost = run.land(last).await.err();
    }
    let Batch { tx, done } = run;
    let failure = match lost {
        // The transaction is lost (the connection, most likely): nothing of it commits.
        Some(lost) => Some(lost),
        None => pool::answer("committing the organization's writes", tx.commit())
            .await
            .err(),
    };
    for (job, result) in done {
        job.answer(match (&failure, result) {
            (Some(failure), Ok(_)) => Err(shared(failure)),
            (_, result) => result,
        });
    }
    if let Some(failure) = failure {
        refuse_all(jobs.collect(), &failure);
    }
}

fn refuse_all(batch: Vec<Job>, error: &StoreError) {
    for job in batch {
        job.answer(Err(shared(error)));
    }
}

/// The batch's failure as each of its writes reports it.
fn shared(error: &StoreError) -> StoreError {
    let what = "committing the organization's writes";
    if error.is_unavailable() {
        StoreError::unavailable(what, error.to_string())
    } else {
        StoreError::internal(what, error.to_string())
    }
}

fn abandoned() -> StoreError {
    StoreError::unavailable(
        "waiting for the organization's writes to commit",
        "the instance stopped before the write committed",
    )
}

#[cfg(test)]
mod tests {
    use super::write_connections;

    #[test]
    fn writes_leave_a_quarter_of_a_pool_of_four_or_more_to_reads() {
        let shares: Vec<usize> = [1, 2, 3, 4, 8, 16, 100]
            .into_iter()
            .map(write_connections)
            .collect();
        assert_eq!(shares, [1, 2, 3, 3, 6, 12, 75]);
    }
}
