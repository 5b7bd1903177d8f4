//! The connection pool: deadpool over tokio-postgres, without TLS, with timeouts so a lost
//! database answers with an error instead of a hang, and small helpers that run every statement
//! through the connection's prepared-statement cache.

use std::{str::FromStr, time::Duration};

use deadpool_postgres::{
    GenericClient, Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime,
};
use roster_domain::StoreError;
use tokio_postgres::{NoTls, Row, Statement, types::ToSql};

use crate::{
    convert::{Context, Param},
    list::refs,
};

/// How the pool behaves. [`Default`] suits one `roster serve` instance; with several instances
/// keep `instances × max_connections` below the server's `max_connections`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    /// Connections this instance keeps open at most.
    pub max_connections: usize,
    /// How long a request waits for a free connection before failing.
    pub wait_timeout: Duration,
    /// How long opening a connection may take (unless the URL sets `connect_timeout`).
    pub connect_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            wait_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// Longer than any statement Roster sends takes, shorter than the 30 s request timeout.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(20);

/// How long one round trip (a statement, a prepare, BEGIN or COMMIT) may go unanswered. A
/// server that froze, or a network that holds packets without resetting them, still lets the
/// kernel acknowledge what Roster sends, so neither `tcp_user_timeout` nor keepalives nor the
/// server's `statement_timeout` ends the wait: only the client can. Well above what any
/// statement takes on a healthy server (lock waits included), a third of the request timeout.
pub(crate) const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds the pool for `url` and checks that the server answers. Errors never contain the URL,
/// which may hold a password.
pub(crate) async fn open(url: &str, options: PoolOptions) -> Result<Pool, StoreError> {
    let mut config = tokio_postgres::Config::from_str(url)
        .map_err(|e| StoreError::internal("parsing the PostgreSQL URL", e))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(options.connect_timeout);
    }
    // A server that vanished without closing its sockets (host down, network cut) would leave
    // a statement waiting for TCP's own retries, about 15 minutes: unacknowledged data fails
    // the connection after this instead, and the pool opens a new one.
    if config.get_tcp_user_timeout().is_none() {
        config.tcp_user_timeout(TCP_USER_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("roster");
    }
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            // A closed connection is noticed without a round trip; a broken one fails its next
            // statement and is dropped by deadpool.
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let pool = Pool::builder(manager)
        .max_size(options.max_connections.max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(options.wait_timeout))
        .create_timeout(Some(options.connect_timeout))
        .build()
        .map_err(|e| StoreError::internal("building the PostgreSQL pool", e))?;
    let client = get(&pool).await?;
    query_one(&client, "SELECT 1", &[], "pinging PostgreSQL").await?;
    Ok(pool)
}

/// A connection from the pool. Waiting for a free one and opening a new one (whose startup a
/// frozen server never answers) share one bound, [`ANSWER_TIMEOUT`], on top of the pool's own.
pub(crate) async fn get(pool: &Pool) -> Result<Object, StoreError> {
    let what = "connecting to PostgreSQL";
    match tokio::time::timeout(ANSWER_TIMEOUT, pool.get()).await {
        Ok(got) => got.context(what),
        Err(_) => Err(unanswered(what)),
    }
}

/// One round trip to the server, failing as unavailable when no answer comes within
/// [`ANSWER_TIMEOUT`]. The connection stays usable: tokio-postgres drops the late answer.
pub(crate) async fn answer<T>(
    what: &str,
    round_trip: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(ANSWER_TIMEOUT, round_trip).await {
        Ok(answered) => answered.context(what),
        Err(_) => Err(unanswered(what)),
    }
}

fn unanswered(what: &str) -> StoreError {
    StoreError::unavailable(
        what.to_owned(),
        format!(
            "PostgreSQL did not answer within {} s",
            ANSWER_TIMEOUT.as_secs()
        ),
    )
}

pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Starts a transaction on `client`.
pub(crate) async fn begin(
    client: &mut Object,
) -> Result<deadpool_postgres::Transaction<'_>, StoreError> {
    answer("starting a transaction", client.transaction()).await
}

/// The statement for `sql` from the connection's cache: a round trip only the first time.
///
/// A pipeline (statements sent together, polled with `tokio::join!(biased; …)`, the server
/// running each as soon as the one before it ends) prepares all of its statements first: a
/// cache miss costs a round trip of its own, and a statement sent meanwhile would reach the
/// server before the one that missed.
pub(crate) async fn prepare<C: GenericClient>(
    client: &C,
    sql: &str,
    what: &str,
) -> Result<Statement, StoreError> {
    answer(what, client.prepare_cached(sql)).await
}

/// A statement prepared with its parameters, to be sent in a pipeline.
#[derive(Debug)]
pub(crate) struct Queued {
    statement: Statement,
    params: Vec<Param>,
    what: &'static str,
}

impl Queued {
    pub(crate) async fn prepare<C: GenericClient>(
        client: &C,
        sql: &str,
        params: Vec<Param>,
        what: &'static str,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            statement: prepare(client, sql, what).await?,
            params,
            what,
        })
    }

    /// Sends the statement when first polled; its rows.
    pub(crate) async fn run<C: GenericClient>(&self, client: &C) -> Result<Vec<Row>, StoreError> {
        run(client, &self.statement, &refs(&self.params), self.what).await
    }
}

/// Runs `queued` (if any) when first polled; its rows (none without a statement).
pub(crate) async fn run_queued<C: GenericClient>(
    client: &C,
    queued: Option<&Queued>,
) -> Result<Vec<Row>, StoreError> {
    match queued {
        Some(queued) => queued.run(client).await,
        None => Ok(Vec::new()),
    }
}

/// A write whose statements ran up to its last pipeline: its result, and the statements that
/// complete it (seat counters, events, the log entry) prepared, so they can be sent in one
/// flight with the next write's first statements (see [`crate::group_commit`]).
#[derive(Debug)]
pub(crate) struct Finishing<T> {
    value: T,
    last: [Option<Queued>; 4],
}

impl<T> Finishing<T> {
    pub(crate) fn new(value: T, last: [Option<Queued>; 4]) -> Self {
        Self { value, last }
    }

    /// Sends the last statements when first polled, in order; a statement that fails aborts
    /// the transaction, and its error is returned.
    pub(crate) async fn send<C: GenericClient>(&self, tx: &C) -> Result<(), StoreError> {
        let [first, second, third, fourth] = self.last.each_ref().map(Option::as_ref);
        let (first, second, third, fourth) = tokio::join!(
            biased;
            run_queued(tx, first),
            run_queued(tx, second),
            run_queued(tx, third),
            run_queued(tx, fourth),
        );
        first?;
        second?;
        third?;
        fourth.map(drop)
    }

    /// Sends the last statements and returns the write's result once they succeeded.
    pub(crate) async fn finish<C: GenericClient>(self, tx: &C) -> Result<T, StoreError> {
        self.send(tx).await?;
        Ok(self.value)
    }

    pub(crate) fn into_value(self) -> T {
        self.value
    }

    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Finishing<U> {
        Finishing {
            value: f(self.value),
            last: self.last,
        }
    }
}

/// Runs a prepared statement for at most one row; sent when first polled.
pub(crate) async fn run_opt<C: GenericClient>(
    client: &C,
    statement: &Statement,
    params: Params<'_>,
    what: &str,
) -> Result<Option<Row>, StoreError> {
    answer(what, client.query_opt(statement, params)).await
}

/// Runs a prepared statement for its rows; sent when first polled.
pub(crate) async fn run<C: GenericClient>(
    client: &C,
    statement: &Statement,
    params: Params<'_>,
    what: &str,
) -> Result<Vec<Row>, StoreError> {
    answer(what, client.query(statement, params)).await
}

pub(crate) async fn query<C: GenericClient>(
    client: &C,
    sql: &str,
    params: Params<'_>,
    what: &str,
) -> Result<Vec<Row>, StoreError> {
    run(client, &prepare(client, sql, what).await?, params, what).await
}

pub(crate) async fn query_opt<C: GenericClient>(
    client: &C,
    sql: &str,
    params: Params<'_>,
    what: &str,
) -> Result<Option<Row>, StoreError> {
    run_opt(client, &prepare(client, sql, what).await?, params, what).await
}

pub(crate) async fn query_one<C: GenericClient>(
    client: &C,
    sql: &str,
    params: Params<'_>,
    what: &str,
) -> Result<Row, StoreError> {
    let statement = prepare(client, sql, what).await?;
    answer(what, client.query_one(&statement, params)).await
}

pub(crate) async fn execute<C: GenericClient>(
    client: &C,
    sql: &str,
    params: Params<'_>,
    what: &str,
) -> Result<u64, StoreError> {
    let statement = prepare(client, sql, what).await?;
    answer(what, client.execute(&statement, params)).await
}
