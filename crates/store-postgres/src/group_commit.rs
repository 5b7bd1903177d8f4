//! Group commit of an organization's account and group writes. Every such write holds its
//! organization's event lock until it commits (see [`crate::events`]), so one organization's
//! writes run one after the other whatever the pool's size, and each used to pay a commit's
//! flush and a lock handover inside that turn. Here, the writes an instance has queued for an
//! organization take the turn together: one transaction, one lock, one commit, each write
//! behind a savepoint so a refusal (a seat limit, a version that moved, a taken userName) undoes
//! only itself. An organization's writes also take one pooled connection at a time instead of
//! one each, so a burst in one organization leaves the pool to the others.
//!
//! A write is answered only after its batch commits; if the batch fails to commit, every write
//! in it is answered with that failure and none was acknowledged. A write whose caller has gone
//! (a cancelled request) is skipped, or undone when the caller leaves while it runs.

use std::{
    collections::{HashMap, VecDeque, hash_map::Entry},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use deadpool_postgres::{GenericClient, Pool};
use roster_domain::{
    Account, AccountWrite, Group, GroupWrite, MembershipOutcome, OrgId, StoreError,
};
use tokio::sync::oneshot;

use crate::{accounts, events, groups, pool};

/// Writes committed together at most. Each write is a subtransaction, and PostgreSQL keeps
/// the ids of at most 64 per transaction where other sessions' snapshots find them cheaply.
const MAX_BATCH: usize = 32;

/// The organization whose turn a write takes; `None` for accounts of no organization.
type Turn = Option<OrgId>;

/// The queues of the organizations with writes waiting or running on this instance.
#[derive(Debug)]
pub(crate) struct GroupCommit {
    pool: Pool,
    queues: Mutex<HashMap<Turn, VecDeque<Job>>>,
}

impl GroupCommit {
    pub(crate) fn new(pool: Pool) -> Arc<Self> {
        Arc::new(Self {
            pool,
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
            commit_batch(&self.pool, turn, batch).await;
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

impl Job {
    /// Whether nobody waits for the answer any more.
    fn gone(&self) -> bool {
        match self {
            Self::Account { reply, .. } => reply.is_closed(),
            Self::Group { reply, .. } => reply.is_closed(),
        }
    }

    async fn run(self, tx: &impl GenericClient) -> Box<dyn Ran> {
        match self {
            Self::Account { write, reply } => Box::new(Outcome {
                result: accounts::write(tx, write).await,
                reply,
            }),
            Self::Group { org, write, reply } => Box::new(Outcome {
                result: groups::write(tx, org, write).await,
                reply,
            }),
        }
    }

    fn refuse(self, error: StoreError) {
        // A caller that has gone needs no answer.
        let _ = match self {
            Self::Account { reply, .. } => reply.send(Err(error)).is_ok(),
            Self::Group { reply, .. } => reply.send(Err(error)).is_ok(),
        };
    }
}

/// A write that ran in the batch, waiting for the batch's fate.
trait Ran: Send {
    fn succeeded(&self) -> bool;
    fn gone(&self) -> bool;
    /// Answers the caller: the write's own result, unless the batch failed after it succeeded.
    fn deliver(self: Box<Self>, batch_failure: Option<&StoreError>);
}

struct Outcome<T> {
    result: Result<T, StoreError>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T: Send> Ran for Outcome<T> {
    fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    fn gone(&self) -> bool {
        self.reply.is_closed()
    }

    fn deliver(self: Box<Self>, batch_failure: Option<&StoreError>) {
        let answer = match (self.result, batch_failure) {
            (Ok(_), Some(failure)) => Err(shared(failure)),
            (result, _) => result,
        };
        let _ = self.reply.send(answer);
    }
}

async fn commit_batch(pool: &Pool, turn: Turn, batch: Vec<Job>) {
    let mut client = match pool::get(pool).await {
        Ok(client) => client,
        Err(error) => return refuse_all(batch, &error),
    };
    let tx = match events::begin(&mut client, turn).await {
        Ok(tx) => tx,
        Err(error) => return refuse_all(batch, &error),
    };
    let mut ran: Vec<Box<dyn Ran>> = Vec::with_capacity(batch.len());
    let mut jobs = batch.into_iter();
    while let Some(job) = jobs.next() {
        if job.gone() {
            continue;
        }
        // The savepoint goes out ahead of the write's first statement, in the same flight.
        let (saved, this) = tokio::join!(
            biased;
            pool::answer("setting a write's savepoint", tx.batch_execute("SAVEPOINT write")),
            job.run(&tx),
        );
        let undo = !this.succeeded() || this.gone();
        let failure = match saved {
            Err(error) => Some(error),
            Ok(()) if undo => pool::answer(
                "undoing a refused write",
                tx.batch_execute("ROLLBACK TO SAVEPOINT write"),
            )
            .await
            .err(),
            Ok(()) => None,
        };
        ran.push(this);
        if let Some(failure) = failure {
            // The transaction is lost (the connection, most likely): nothing of it commits.
            for done in ran {
                done.deliver(Some(&failure));
            }
            return refuse_all(jobs.collect(), &failure);
        }
    }
    let committed = pool::answer("committing the organization's writes", tx.commit()).await;
    for done in ran {
        done.deliver(committed.as_ref().err());
    }
}

fn refuse_all(batch: Vec<Job>, error: &StoreError) {
    for job in batch {
        job.refuse(shared(error));
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
